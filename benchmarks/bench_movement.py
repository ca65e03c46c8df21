"""Benchmark segment migration against summarize and write benchmarks/results/movement.md.

``rfm.segment_migration`` needs two snapshots -- ``summarize`` at the earlier and at the
later date, each scored and segmented -- plus one light pass that finds every customer
with a line (returns-only customers included) and the period's net amount. Target: the
whole migration costs at most about two ``summarize`` runs (2.2x one run at the later
date) on the same in-memory polars frame.

Also timed, for perspective: the one-date pipeline (summarize -> score -> segment),
migration on the earlier date's bin edges, monthly cohort retention and period over
period.

The data come from ``rfm.datasets.simulate`` (as ``bench_core.py``: about 7 rows per
customer), kept in memory. Each timing is the best of ``--repeat`` runs, the cases taking
turns so that load from other processes hits them alike.

Usage (from the repository root)::

    python benchmarks/bench_movement.py                   # 1M rows, best of 3
    python benchmarks/bench_movement.py --rows 1e6,1e7    # and 10M rows (about 6 GiB)
    python benchmarks/bench_movement.py --quick --out /tmp/movement.md   # 100k rows: smoke test
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout's rfm
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_core's helpers

from bench_core import Timing, customers_for, interleaved, machine_info, parse_rows

import rfm
from rfm import datasets

RESULTS = Path(__file__).resolve().parent / "results" / "movement.md"
TARGET = 2.2  # migration at most this many times one summarize
GAP_DAYS = 90  # earlier = later - one quarter, the usual comparison


def cases(tx: pl.DataFrame) -> dict[str, Callable[[], Any]]:
    later = tx["order_date"].max().date() + dt.timedelta(days=1)  # type: ignore[union-attr]
    earlier = later - dt.timedelta(days=GAP_DAYS)
    return {
        "summarize": lambda: rfm.summarize(tx),
        # The floor the target speaks of: the two snapshots' summaries and nothing else.
        "two_summaries": lambda: [rfm.summarize(tx, as_of=d) for d in (earlier, later)],
        "pipeline": lambda: rfm.segment(rfm.score(rfm.summarize(tx))),
        "migration": lambda: rfm.segment_migration(tx, earlier=earlier, later=later).customers,
        "migration_fixed": lambda: (
            rfm.segment_migration(tx, earlier=earlier, later=later, edges="earlier").customers
        ),
        "cohorts": lambda: rfm.cohort_retention(tx).table,
        "period": lambda: rfm.period_over_period(tx).table,
    }


LARGE_CASES = ("summarize", "two_summaries", "migration")  # from 5M rows up: the target's cases


def run_size(
    rows: int, *, repeat: int, seed: int
) -> tuple[int, int, tuple[float, float], dict[str, Timing]]:
    n_customers = customers_for(rows, seed)
    print(f"simulating {n_customers:,} customers (~{rows:,} rows)", flush=True)
    tx = datasets.simulate(n_customers, random_state=seed)
    print(f"  {tx.height:,} rows", flush=True)
    load_before = os.getloadavg()[0]
    todo = cases(tx)
    if rows >= 5_000_000:  # minutes per case on 2 shared cores: only what the target needs
        todo = {name: fn for name, fn in todo.items() if name in LARGE_CASES}
    timings = interleaved(todo, repeat)
    for name, timing in timings.items():
        print(f"  {name}: {timing.wall:.3f} s wall, {timing.cpu:.3f} s CPU", flush=True)
    return tx.height, n_customers, (load_before, os.getloadavg()[0]), timings


def report(
    results: list[tuple[int, int, tuple[float, float], dict[str, Timing]]],
    *,
    repeat: int,
    command: str,
) -> str:
    def wall(t: dict[str, Timing], name: str) -> str:
        return f"{t[name].wall:.3f} ({t[name].cpu:.2f})" if name in t else "not run"

    lines = [
        "# Movement benchmark: segment migration vs summarize",
        "",
        f"Written by `{command}`: best of {repeat} run(s) per timing (`--repeat-large` from 5M "
        "rows up), the cases taking turns; "
        "data from `rfm.datasets.simulate` in memory. Times are wall-clock seconds, with the "
        "CPU seconds of the same run (all threads) in brackets. The load column is the "
        "1-minute load average before / after: above the core count (2), other work shared "
        "the machine and absolute times are inflated; the interleaved ratios less so.",
        "",
        *machine_info(),
        "",
        f"Migration compares the day after the last transaction with {GAP_DAYS} days "
        "earlier: two summarize runs (the earlier one keeps fewer rows), two score + segment "
        "on one row per customer, and one light pass for customers with any line and the "
        "period's net amount. Target: migration at most "
        f"{TARGET:g}x one `summarize` (about two runs). Pipeline is "
        "`segment(score(summarize(tx)))` at one date; fixed edges is migration with "
        '`edges="earlier"`; cohorts is `cohort_retention(tx)` (monthly); period is '
        "`period_over_period(tx)` (the last month against the month before). From 5M rows "
        "up only summarize, two summaries and migration are timed. Two summaries is "
        "`summarize` at the earlier and at the later date and nothing else: the floor of any "
        "migration; migration over it is what scoring, segmenting and matching add.",
        "",
        "| rows | customers | load | summarize | two summaries | migration "
        "| migration / summarize | same, CPU seconds | migration / two summaries (CPU) "
        "| pipeline | fixed edges | cohorts | period |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rows, customers, load, t in results:
        ratio = t["migration"].wall / t["summarize"].wall
        verdict = "meets target" if ratio <= TARGET else "misses target"
        lines.append(
            f"| {rows:,} | {customers:,} | {load[0]:.1f} / {load[1]:.1f} | "
            f"{wall(t, 'summarize')} | {wall(t, 'two_summaries')} | {wall(t, 'migration')} | "
            f"{ratio:.2f}x ({verdict}) | {t['migration'].cpu / t['summarize'].cpu:.2f}x | "
            f"{t['migration'].wall / t['two_summaries'].wall:.2f}x "
            f"({t['migration'].cpu / t['two_summaries'].cpu:.2f}x) | "
            f"{wall(t, 'pipeline')} | {wall(t, 'migration_fixed')} | {wall(t, 'cohorts')} | "
            f"{wall(t, 'period')} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", default="1e6", help="comma-separated row counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (best is kept)")
    parser.add_argument(
        "--repeat-large", type=int, default=2, help="runs per timing from 5M rows up"
    )
    parser.add_argument("--quick", action="store_true", help="100k rows, one run each")
    parser.add_argument("--seed", type=int, default=1, help="random_state of the simulator")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results markdown file")
    args = parser.parse_args(argv)
    sizes = [100_000] if args.quick else parse_rows(args.rows)
    command = ("python benchmarks/bench_movement.py " + " ".join(argv or sys.argv[1:])).strip()
    results = []
    text = ""
    for rows in sizes:
        repeat = 1 if args.quick else max(1, args.repeat if rows < 5_000_000 else args.repeat_large)
        results.append(run_size(rows, repeat=repeat, seed=args.seed))
        # Written after every size, so a long run that fails late keeps what it measured.
        text = report(results, repeat=args.repeat, command=command)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
