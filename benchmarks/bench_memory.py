"""Where the app's memory goes: resident memory around each step of an upload, in-process.

Two views of the same upload, each in a fresh interpreter so one does not inherit the
other's freed-but-kept memory:

* ``steps`` -- the library calls the app makes for an upload, in the app's order (read the
  bytes, read the table, clean, the analysis view, the Overview's tables, clusters, the
  churn models, the Customers page's tables), each step's peak and what is still resident
  after it, and the size polars reports (``estimated_size``) of the frames each step keeps.
* ``app`` -- the real app script under Streamlit's ``AppTest`` (no browser, no websocket):
  upload, then every page in turn; the peak of each page and what stays resident after.

Peaks come from the kernel (``VmHWM``, reset before each step by writing ``5`` to
``/proc/self/clear_refs``), so memory allocated by polars, Arrow or NumPy -- invisible to
``tracemalloc`` -- is counted. Linux only. Not part of the test suite. Run from the
repository root::

    python benchmarks/bench_memory.py steps --rows 1000000
    python benchmarks/bench_memory.py app --rows 1000000
"""

from __future__ import annotations

import argparse
import gc
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).absolute().parents[1]
sys.path.insert(0, str(ROOT))

MIB = 2**20
SETTLE = 2.0


def _status(field: str) -> int:
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+) kB", text).group(1)) * 1024  # type: ignore[union-attr]


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


class Steps:
    """Runs steps, printing each one's peak and the memory resident after it."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, int, int, str]] = []

    def run(
        self, name: str, action: Callable[[], Any], *, keeps: Callable[[Any], str] | None = None
    ) -> Any:
        gc.collect()
        _reset_peak()
        start = time.perf_counter()
        result = action()
        seconds = time.perf_counter() - start
        peak = _status("VmHWM")
        gc.collect()
        time.sleep(SETTLE)  # polars' allocator (jemalloc) returns freed pages within ~1.5 s
        rss = _status("VmRSS")
        self.rows.append((name, seconds, peak, rss, "" if keeps is None else keeps(result)))
        print(f"{name:<48} {seconds:6.1f} s  peak {peak / MIB:6.0f}  after {rss / MIB:6.0f} MiB")
        return result

    def table(self) -> str:
        lines = [
            "| step | seconds | peak while it ran (MiB) | resident after (MiB) | frames it keeps |",
            "|---|---:|---:|---:|---|",
        ]
        for name, seconds, peak, rss, keeps in self.rows:
            lines.append(
                f"| {name} | {seconds:.1f} | {peak / MIB:.0f} | {rss / MIB:.0f} | {keeps} |"
            )
        return "\n".join(lines)


def steps(path: Path) -> str:
    from threadpoolctl import threadpool_limits

    import rfm
    from rfm.filters import filter_options
    from rfm.forecast import default_calibration_end
    from rfm.models.gamma_gamma import spend_describable
    from rfm_app import pipeline
    from rfm_app.frame_cache import frame_bytes

    def kept(value: Any) -> str:
        return f"{frame_bytes(value) / MIB:.0f} MiB"

    log = Steps()
    log.run("(interpreter, rfm and the app imported)", lambda: None)
    data = log.run("the upload's bytes", path.read_bytes)
    held = [log.run("rfm.read_table (text columns)", lambda: rfm.read_table(data), keeps=kept)]
    result = log.run(
        "rfm.read_transactions (cleaned)", lambda: rfm.read_transactions(held[0]), keeps=kept
    )
    result = log.run(
        "pipeline.compact (text columns as Categorical)",
        lambda: result._replace(transactions=pipeline.compact(result.transactions)),
        keeps=kept,
    )
    held.clear()
    log.run("(the text table dropped, as the app does)", lambda: None)
    view = log.run("rfm.analysis_view", lambda: rfm.analysis_view(result.transactions), keeps=kept)
    log.run("filter options", lambda: filter_options(result.transactions))
    log.run(
        "Overview tables (pipeline._analyse)",
        lambda: pipeline._analyse(
            pipeline.Joined(transactions=result.transactions, report=result.report), view
        ),
        keeps=kept,
    )

    def clusters() -> Any:
        with threadpool_limits(limits=1):
            return rfm.cluster(view.customers, k=None, random_state=0)

    log.run("Clusters: rfm.cluster(k=None)", clusters, keeps=kept)
    customers = view.customers.filter(spend_describable())
    choice = log.run(
        "Churn: rfm.choose_purchase_model",
        lambda: rfm.choose_purchase_model(
            view.transactions,
            as_of=view.as_of,
            calibration_end=default_calibration_end(view.transactions),
            holdout_end=view.last_day,
        ),
        keeps=kept,
    )
    log.run("Churn: fit the chosen model", lambda: choice.fit(customers))
    return log.table()


def app(path: Path) -> str:
    import os

    os.environ.setdefault("RFM_STORE_DIR", tempfile.mkdtemp(prefix="rfm_store_"))
    from streamlit.testing.v1 import AppTest

    from rfm_app import keys

    data = path.read_bytes()
    log = Steps()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=900)
    log.run("first run (sample, Data page)", at.run)

    def upload() -> None:
        at.radio(key=keys.DATA_SOURCE_KIND).set_value("Upload a file").run()
        at.file_uploader(key=keys.DATA_UPLOAD).upload(path.name, data, "text/csv").run()

    log.run("Data (upload, read, clean, score)", upload)
    for page in ("overview", "segments", "clusters", "churn", "customers", "customer"):
        log.run(page, lambda page=page: at.switch_page(f"pages/{page}.py").run())
        if at.exception:
            print(at.exception[0].value)
    return log.table()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["steps", "app"])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--upload", type=Path, default=None)
    args = parser.parse_args()
    if args.upload is not None:
        path = args.upload
    else:
        from benchmarks.bench_app import make_csv

        folder = Path(tempfile.gettempdir()) / "rfm_bench"
        folder.mkdir(exist_ok=True)
        path = make_csv(args.rows, folder)
    print((steps if args.mode == "steps" else app)(path))


if __name__ == "__main__":
    main()
