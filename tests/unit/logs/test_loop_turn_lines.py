"""Log lines of one loop turn leave in one write at its end; outside a loop, each at once."""

from __future__ import annotations

import asyncio
import io

from shared.log_output import LoopTurnLines


class CountingFile(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_outside_a_loop_each_line_is_written_at_once() -> None:
    file = CountingFile()
    lines = LoopTurnLines(file)
    lines.write("a\n")
    lines.flush()
    lines.write("b\n")
    assert (file.getvalue(), file.writes) == ("a\nb\n", 2)


def test_the_lines_of_one_turn_leave_in_one_write_in_order() -> None:
    file = CountingFile()
    lines = LoopTurnLines(file)

    async def scenario() -> tuple[str, str]:
        lines.write("one\n")
        lines.flush()
        lines.write("two\n")
        during = file.getvalue()
        await asyncio.sleep(0)
        lines.write("three\n")
        await asyncio.sleep(0)
        return during, file.getvalue()

    during, after = asyncio.run(scenario())
    assert during == ""
    assert after == "one\ntwo\nthree\n"
    assert file.writes == 2
