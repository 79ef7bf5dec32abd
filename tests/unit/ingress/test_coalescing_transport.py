"""A response's writes of one loop turn leave in one writelines; a close or EOF sends what is
held first; an abort drops it; writes of later turns leave on their own."""

from __future__ import annotations

import asyncio

from ingress.http_protocol import CoalescingTransport


class Recorder(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[object] = []
        self.closing = False

    def writelines(self, list_of_data: object) -> None:
        self.calls.append(b"".join(list_of_data))  # type: ignore[arg-type]

    def write(self, data: object) -> None:
        self.calls.append(("write", data))

    def close(self) -> None:
        self.calls.append("close")
        self.closing = True

    def write_eof(self) -> None:
        self.calls.append("eof")

    def abort(self) -> None:
        self.calls.append("abort")
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return 0


async def _turn() -> None:
    await asyncio.sleep(0)
    await asyncio.sleep(0)


def test_writes_of_one_turn_leave_together_and_later_turns_alone() -> None:
    async def scenario() -> list[object]:
        real = Recorder()
        transport = CoalescingTransport(real, asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(b"body")
        assert real.calls == []  # nothing sent inside the turn
        assert transport.get_write_buffer_size() == len(b"HTTP/1.1 200 OK\r\n\r\nbody")
        await _turn()
        transport.writelines([b"next", b"-response"])
        await _turn()
        return real.calls

    assert asyncio.run(scenario()) == [b"HTTP/1.1 200 OK\r\n\r\nbody", b"next-response"]


def test_close_and_eof_send_what_is_held_first_and_abort_drops_it() -> None:
    async def scenario() -> tuple[list[object], list[object]]:
        loop = asyncio.get_running_loop()
        closed, aborted = Recorder(), Recorder()
        transport = CoalescingTransport(closed, loop)
        transport.write(b"last words")
        transport.write_eof()
        transport.write(b"bye")
        transport.close()
        dropped = CoalescingTransport(aborted, loop)
        dropped.write(b"never sent")
        dropped.abort()
        await _turn()
        return closed.calls, aborted.calls

    closed, aborted = asyncio.run(scenario())
    assert closed == [b"last words", "eof", b"bye", "close"]
    assert aborted == ["abort"]
