"""`make bench` (`python -m tests.bench`): issue 12's benchmark in one sitting.

Parts, in the issue's numbering: 1 ingress (webhook_ingress.py), 2 apply, 3 Stripe look-ups
off the event path, 5 flat cost (apply_rounds.py), 4 reads (reads.py), 6 scale (the 1, 2 and
4 process runs of parts 1 and 2). Each part runs --rounds rounds, each product run followed by
its reference; the summary shows medians with [min–max], then RESULTS.md and scale.png are
written (--out, default tests/bench/). --quick shrinks every size to check the bench itself in
a few minutes; its figures say nothing about the targets.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.bench import apply_rounds, reads, webhook_ingress
from tests.bench.environment import DATABASE, REDIS, machine, prepare_database
from tests.bench.report import draw_scale, print_summary, write_results
from tests.bench.results import Scale, Section

PARTS = ("ingress", "apply", "reads")


@dataclass
class Sizes:
    requests: int  # webhooks a run (part 1)
    warmup: int
    users: int  # the world's users (parts 2-5)
    seeded: int  # subscriptions and purchases already stored (parts 4, 5)
    read_seconds: float
    metric_calls: int


FULL = Sizes(requests=20_000, warmup=500, users=1_500, seeded=100_000, read_seconds=15,
             metric_calls=20)  # fmt: skip
QUICK = Sizes(requests=2_000, warmup=200, users=150, seeded=5_000, read_seconds=3,
              metric_calls=10)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every part (default 3)")
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the bench")
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts to run, of {', '.join(PARTS)} (default all)",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="py-spy's raw stacks of the last round's apply by billing worker",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).parent,
        help="where RESULTS.md and scale.png go (default tests/bench/)",
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    if unknown := only - set(PARTS):
        parser.error(f"unknown part(s) {', '.join(sorted(unknown))}; choose from {PARTS}")
    sizes = QUICK if args.quick else FULL
    seeded = (sizes.seeded, sizes.seeded)
    started = time.perf_counter()
    engine = prepare_database()
    about = machine(engine)
    print(f"bench on {about['CPU']} ({about['cores']} cores), {DATABASE}, {REDIS}", flush=True)
    sections: dict[str, Section] = {}
    scales: list[Scale] = []
    if "ingress" in only:
        sections["1"], scale = webhook_ingress.run(
            engine, args.rounds, sizes.requests, sizes.warmup, connections=64
        )
        scales.append(scale)
    if "apply" in only:
        apply_sizes = apply_rounds.Sizes(users=sizes.users, seeded=seeded)
        (sections["2"], sections["3"], sections["5"]), scale = apply_rounds.run(
            engine, args.rounds, apply_sizes, args.profile
        )
        scales.insert(0, scale)
    if "reads" in only:
        sections["4"] = reads.run(
            engine, args.rounds, sizes.users, seeded, rate=1000, seconds=sizes.read_seconds,
            calls=sizes.metric_calls,
        )  # fmt: skip
    ordered = [sections[key] for key in sorted(sections)]
    for key, section in sections.items():
        section.part = key
    print_summary(ordered)
    args.out.mkdir(parents=True, exist_ok=True)
    chart = args.out / "scale.png"
    if scales:
        draw_scale(chart, scales)
    given = " ".join(sys.argv[1:])
    command = f"make bench BENCH_ARGS='{given}'" if given else "make bench"
    write_results(
        args.out / "RESULTS.md", about,
        [f"{command}   # python -m tests.bench {given}".rstrip(),
         "then, by make bench, figures on the terminal only:",
         "python -m tests.bench.import_account   # 10,000-customer billing import",
         "python -m tests.bench.movements        # the metrics SQL straight on the database"],
        ordered, scales, args.rounds, args.quick, chart.name,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    print(f"\nwrote {args.out / 'RESULTS.md'} and {chart} ({elapsed / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
