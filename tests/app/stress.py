"""Run the app's chart and table code from many threads while others pickle frames.

``python -m tests.app.stress --threads 8 --rounds 100 --timeout 120`` exits 0 when every
thread finished every round, and 1 with every thread's stack when they had not finished
after ``--timeout`` seconds (a deadlock: the server froze this way, issue 15).

Each round computes and draws one of the charts the Overview and Customers pages draw
(the segment treemap, the breakdown charts, the world map's table; polars' thread pool at
work), each thread taking them in turn, and pickles frames as ``st.cache_data`` did. No Streamlit runtime:
only the app's own cache-free code.
"""

from __future__ import annotations

import argparse
import faulthandler
import pickle
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

import rfm
from rfm import tables
from rfm_app import charts
from rfm_app.treemap import treemap_chart

SAMPLE = Path(__file__).absolute().parents[2] / "sample_data" / "retail.csv"


@dataclass(frozen=True)
class Frames:
    transactions: pl.DataFrame
    customers: pl.DataFrame


def load() -> Frames:
    """The sample's transactions and segmented customers, as the app's pipeline holds them."""
    result = rfm.read_transactions(rfm.read_table(SAMPLE.read_bytes()))
    view = rfm.analysis_view(result.transactions)
    return Frames(view.transactions, view.customers)


def _draw(frames: Frames, which: int) -> pl.DataFrame:
    """One chart a page draws, with the table behind it (polars at work); the table."""
    customers, transactions = frames.customers, frames.transactions
    if which == 0:  # the Overview's treemap: its map_elements callback deadlocked
        table = rfm.segment_table(customers)
        treemap_chart(table)
    elif which == 1:
        table = rfm.segment_table(customers)
        charts.bar_by_segment(table, value="revenue", title="Revenue")
    elif which == 2:
        table = tables.score_histogram(customers)
        charts.score_histogram(table, score="rfm_total", title="Total RFM score")
    elif which == 3:
        table = tables.activity_table(customers)
        charts.activity_bars(table, value="customers", title="Customers")
    elif which == 4:
        table = rfm.breakdown(transactions, by="month")
        charts.period_trend(table, period="period", value="revenue", title="R", time_unit="month")
    else:  # the Customers page's world map table (the chart itself does no polars work)
        table = rfm.breakdown(transactions, by="country").with_columns(
            charts.map_names(pl.col("country")).alias("map_country")
        )
    return table


DRAWINGS = 6


def one_round(frames: Frames, *, turn: int) -> None:
    """One page's chart, drawn from its freshly computed table (each thread takes the
    charts in turn), then the pickling of frames that ``st.cache_data`` did."""
    # Every third round is the treemap, the chart of every Overview visit.
    table = _draw(frames, 0 if turn % 3 == 0 else 1 + turn % (DRAWINGS - 1))
    for frame in (table, frames.customers):
        pickle.loads(pickle.dumps(frame))


def run(*, threads: int, rounds: int) -> list[int]:
    """Rounds finished by each thread (every entry is ``rounds`` when all went well)."""
    frames = load()
    done = [0] * threads
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for _ in range(rounds):
                one_round(frames, turn=worker + done[worker])
                done[worker] += 1
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    workers = [
        threading.Thread(target=work, args=(i,), name=f"stress-{i}", daemon=True)
        for i in range(threads)
    ]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    if errors:
        raise errors[0]
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    # A hang dumps every thread's stack and exits 1 instead of waiting forever.
    faulthandler.dump_traceback_later(args.timeout, exit=True)
    started = time.perf_counter()
    done = run(threads=args.threads, rounds=args.rounds)
    faulthandler.cancel_dump_traceback_later()
    seconds = time.perf_counter() - started
    print(f"{args.threads} threads x {args.rounds} rounds: {done} in {seconds:.1f} s")
    return 0 if done == [args.rounds] * args.threads else 1


if __name__ == "__main__":
    sys.exit(main())
