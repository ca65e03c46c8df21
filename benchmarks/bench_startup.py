"""Start-up time of ``python -m rfm --help`` and ``import rfm``; writes
benchmarks/results/startup.md.

Each command runs in a fresh interpreter ``--repeat`` times; the median and the best
are reported. ``--compare DIR`` times another checkout the same way, in the same run (for
example a worktree of an older commit: ``git worktree add /tmp/old <commit>``).

Usage (from the repository root)::

    python benchmarks/bench_startup.py
    python benchmarks/bench_startup.py --compare /tmp/old --repeat 15
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "startup.md"
COMMANDS = {
    "python -m rfm --help": ["-m", "rfm", "--help"],
    "import rfm": ["-c", "import rfm"],
}


def heavy_modules(checkout: Path) -> str:
    code = "import sys, rfm; print(','.join(m for m in ('sklearn', 'scipy') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=checkout, capture_output=True, text=True, check=True
    )
    return out.stdout.strip() or "none"


def timings(checkout: Path, repeat: int) -> dict[str, tuple[float, float]]:
    out = {}
    for label, args in COMMANDS.items():
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run([sys.executable, *args], cwd=checkout, capture_output=True, check=True)
            runs.append(time.perf_counter() - start)
        out[label] = (statistics.median(runs), min(runs))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", type=Path, help="another checkout to time alongside")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    checkouts = {"this checkout": ROOT}
    if args.compare is not None:
        checkouts[f"`{args.compare}`"] = args.compare.resolve()
    load = os.getloadavg()[0]
    lines = [
        "# Start-up time",
        "",
        f"Written by `python benchmarks/bench_startup.py"
        f"{' --compare ' + str(args.compare) if args.compare else ''} --repeat {args.repeat}` "
        f"on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; 1-minute load average {load:.1f} "
        "(2 cores: above 2, other work shared the machine and times are inflated). Seconds, "
        "median (best) of fresh interpreters.",
        "",
        "| checkout | `python -m rfm --help` | `import rfm` | heavy modules loaded by `import rfm` |",
        "|---|---:|---:|---|",
    ]
    for name, path in checkouts.items():
        found = timings(path, args.repeat)
        cells = [f"{med:.3f} ({best:.3f})" for med, best in found.values()]
        lines.append(f"| {name} | {cells[0]} | {cells[1]} | {heavy_modules(path)} |")
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
