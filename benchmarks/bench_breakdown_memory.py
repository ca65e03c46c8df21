"""The memory a breakdown adds while it runs: peak over resident, per breakdown, 1M lines.

Each breakdown (``AnalysisView.breakdown`` by country, month and segment, and
``rfm.forecast_by`` by country as the Churn page calls it) runs in a fresh interpreter
that first loads the cleaned lines and the view (saved once as Parquet), settles, then
resets the kernel's peak (``VmHWM``, by writing ``5`` to ``/proc/self/clear_refs``) and
runs the breakdown three times; each case runs in ``--repeat`` fresh interpreters (the
median is reported: two cores shared with other work make single runs noisy by ~50 MiB).
Reported: the peak over what was resident before (MiB), the seconds and the CPU seconds
(user + system) of the fastest run. Linux only. Not part of the test suite. Run from the repository root::

    python benchmarks/bench_breakdown_memory.py --rows 1000000
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).absolute().parents[1]
sys.path.insert(0, str(ROOT))

MIB = 2**20
CASES = ("country", "month", "segment", "forecast_by country")


def _status(field: str) -> int:
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+) kB", text).group(1)) * 1024  # type: ignore[union-attr]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def prepare(rows: int, folder: Path) -> Path:
    """Save the cleaned, compacted lines of a simulated 1M-line upload once."""
    import rfm
    from benchmarks.bench_app import make_csv
    from rfm_app import pipeline

    path = folder / f"breakdown_lines_{rows}.parquet"
    if not path.exists():
        result = rfm.read_transactions(rfm.read_table(make_csv(rows, folder).read_bytes()))
        pipeline.compact(result.transactions).write_parquet(path)
    return path


def measure(case: str, path: Path) -> dict[str, float]:
    """Run one breakdown in this interpreter; its peak over resident, seconds, CPU seconds."""
    import polars as pl

    import rfm
    from rfm.forecast import forecast_by

    view = rfm.analysis_view(pl.read_parquet(path))
    lines = view.transactions
    forecast = view.customers.select(
        "customer_id",
        pl.col("frequency").cast(pl.Float64).alias("expected_purchases"),
        pl.col("monetary").alias("expected_revenue"),
    )

    def run() -> object:
        if case.startswith("forecast_by"):
            column = case.split()[-1]
            return forecast_by(
                forecast, lines.select("customer_id", "amount", "is_return", column), by=column
            )
        return view.breakdown(case)

    run()  # warm up (first call compiles and allocates pools)
    gc.collect()
    time.sleep(2.0)
    before = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    best = (float("inf"), float("inf"))
    for _ in range(3):
        start, cpu = time.perf_counter(), _cpu()
        run()
        best = min(best, (time.perf_counter() - start, _cpu() - cpu))
    return {
        "peak_over_resident_mib": (_status("VmHWM") - before) / MIB,
        "seconds": best[0],
        "cpu_seconds": best[1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--case", choices=CASES, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--lines", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case is not None:
        print(json.dumps(measure(args.case, args.lines)))
        return
    folder = Path(tempfile.gettempdir()) / "rfm_bench"
    folder.mkdir(exist_ok=True)
    path = prepare(args.rows, folder)
    print("| breakdown | added peak (MiB) | seconds | CPU seconds |")
    print("|---|---:|---:|---:|")
    for case in CASES:
        runs = [
            json.loads(
                subprocess.run(
                    [sys.executable, __file__, "--case", case, "--lines", str(path)],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            for _ in range(args.repeat)
        ]
        figures = {name: statistics.median(run[name] for run in runs) for name in runs[0]}
        print(
            f"| {case} | {figures['peak_over_resident_mib']:.0f} | {figures['seconds']:.2f} "
            f"| {figures['cpu_seconds']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
