"""What ``read_transactions`` adds on top of reading the file; writes results/read_transactions.md.

On the same 1M-row retail CSV (``rfm.datasets.simulate`` in the sample's format) and a
UCI-shaped text frame (``12/1/2010 8:26`` dates, quantity x price), each best of
``--repeat`` runs, wall and CPU time (CPU = all threads of this process, which is less
disturbed by other load on the machine):

- floor: ``polars.read_csv(path, infer_schema=False)`` (text) and a bare typed
  conversion of the needed columns with the formats known in advance;
- ``rfm.read_table(path)``; ``rfm.read_transactions(raw_table)`` (detection, typed
  conversion, returns, exclusions); ``rfm.read_transactions(path)``.

Usage (from the repository root)::

    python benchmarks/bench_read_transactions.py            # 1M rows, best of 3
    python benchmarks/bench_read_transactions.py --rows 2e5 --repeat 1
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

import rfm
from rfm import datasets

RESULTS = Path(__file__).parent / "results" / "read_transactions.md"


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    wall, cpu = float("inf"), float("inf")
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - w)
        cpu = min(cpu, time.process_time() - c)
    return wall, cpu


def uci_frame(rows: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    minutes = rng.integers(0, 365 * 1440, rows).astype("timedelta64[m]")
    stamps = pl.Series((np.datetime64("2010-12-01T08:00") + minutes).astype("datetime64[us]"))
    return pl.DataFrame(
        {
            "InvoiceNo": rng.integers(536_000, 582_000, rows).astype(str),
            "StockCode": rng.integers(10_000, 99_999, rows).astype(str),
            "Quantity": rng.integers(1, 24, rows).astype(str),
            "InvoiceDate": stamps.dt.strftime("%-m/%-d/%Y %-H:%M"),
            "UnitPrice": pl.Series(np.round(rng.gamma(2.0, 2.0, rows), 2)).cast(pl.String),
            "CustomerID": rng.integers(12_346, 18_287, rows).astype(str),
            "Country": rng.choice(["United Kingdom", "France", "Germany", "EIRE"], rows),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows, repeat = int(args.rows), args.repeat
    lines = [
        "# read_transactions: cost over the read",
        "",
        f"`python benchmarks/bench_read_transactions.py --rows {args.rows:g} --repeat {repeat}`; "
        f"polars {pl.__version__}, {os.cpu_count()} CPUs, load average at start "
        f"{os.getloadavg()[0]:.1f}. Best of {repeat}; seconds (wall / CPU of all threads).",
        "",
        "| input | step | wall s | CPU s | wall / floor |",
        "|---|---|---:|---:|---:|",
    ]

    after_table: list[str] = []

    def row(name: str, step: str, t: tuple[float, float], floor: float) -> None:
        lines.append(f"| {name} | {step} | {t[0]:.3f} | {t[1]:.3f} | {t[0] / floor:.2f}x |")
        print(lines[-1], flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        pilot = 20_000
        per_customer = datasets.simulate(pilot, random_state=args.seed).height / pilot
        tx = datasets.simulate(round(rows / per_customer), random_state=args.seed)
        path = Path(tmp) / "retail.csv"
        datasets.write_retail_csv(tx, path)
        name = f"retail CSV, {tx.height:,} rows x {tx.width} columns"
        bare = best_of(lambda: pl.read_csv(path, infer_schema=False), repeat)
        row(name, "polars.read_csv(infer_schema=False) (floor)", bare, bare[0])
        # Issue 2's floor for the whole path; order ids like C101408 need text.
        typed = best_of(
            lambda: pl.read_csv(
                path, try_parse_dates=True, schema_overrides={"order_id": pl.String}
            ),
            repeat,
        )
        row(name, "polars.read_csv(try_parse_dates=True)", typed, bare[0])
        raw = rfm.read_table(path)
        row(name, "rfm.read_table(path)", best_of(lambda: rfm.read_table(path), repeat), bare[0])
        row(
            name,
            "rfm.read_transactions(raw_table)",
            best_of(lambda: rfm.read_transactions(raw), repeat),
            bare[0],
        )
        full = best_of(lambda: rfm.read_transactions(path), repeat)
        row(name, "rfm.read_transactions(path)", full, bare[0])
        after_table.append(
            f"rfm.read_transactions(path) / polars.read_csv(try_parse_dates=True): "
            f"{full[0] / typed[0]:.2f}x wall, {full[1] / typed[1]:.2f}x CPU."
        )

    frame = uci_frame(rows, args.seed)
    name = f"UCI-shaped text frame, {frame.height:,} rows"

    def convert() -> pl.DataFrame:
        return frame.select(
            pl.col("CustomerID"),
            pl.col("InvoiceDate").str.strptime(pl.Datetime("us"), "%m/%d/%Y %H:%M"),
            pl.col("Quantity").cast(pl.Float64) * pl.col("UnitPrice").cast(pl.Float64),
        )

    floor = best_of(convert, repeat)
    row(name, "bare strptime + casts, formats known (floor)", floor, floor[0])
    row(
        name,
        "rfm.read_transactions(frame)",
        best_of(lambda: rfm.read_transactions(frame), repeat),
        floor[0],
    )
    row(
        name,
        "rfm.read_transactions(frame, drop_duplicates=False)",
        best_of(lambda: rfm.read_transactions(frame, drop_duplicates=False), repeat),
        floor[0],
    )
    lines += ["", *after_table]
    print(*after_table, sep="\n")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
