"""How fast the app answers with a 1M-row upload: time to Overview and rerun times.

Two views of the same question:

* AppTest (in-process, no browser): server-side script time for upload -> Data page,
  then Overview (first and repeated runs), Segments and back.
* A headless Chromium against ``streamlit run`` (``--browser``): wall-clock from
  choosing the file to the Overview KPIs on screen, and rerun times, as a person sees it.

Reference: the same file read by ``polars.read_csv`` and ``pandas.read_csv`` alone, so the
figures read as ratios ("the whole app is N x one plain CSV read").

Run from the repository root::

    python benchmarks/bench_app.py --rows 1000000 --browser --out benchmarks/results/app.md
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).absolute().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
import polars as pl  # noqa: E402

import rfm.datasets  # noqa: E402


def make_csv(rows: int, folder: Path) -> Path:
    """A simulated retail log of exactly ``rows`` lines (about 7 lines per customer)."""
    path = folder / f"transactions_{rows}.csv"
    if path.exists():
        return path
    transactions = rfm.datasets.simulate(n_customers=rows // 6 + 100, random_state=11)
    if transactions.height < rows:
        msg = f"simulate gave {transactions.height} rows, fewer than {rows}"
        raise SystemExit(msg)
    rfm.datasets.write_retail_csv(transactions.head(rows), path)
    return path


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def bench_steps(data: bytes) -> dict[str, float]:
    """Where the upload time goes: each library call the app makes, timed alone."""
    import rfm
    from rfm import tables

    figures: dict[str, float] = {}

    def step(name: str, action: Callable[[], object]) -> object:
        start = time.perf_counter()
        result = action()
        figures[name] = time.perf_counter() - start
        return result

    raw = step("rfm.read_table", lambda: rfm.read_table(data))
    read = step("rfm.read_transactions (from the raw table)", lambda: rfm.read_transactions(raw))  # type: ignore[arg-type]
    transactions = read.transactions  # type: ignore[attr-defined]
    view = step(
        "rfm.analysis_view (as-of cut, summarize, score, segment, reconciliation)",
        lambda: rfm.analysis_view(transactions),
    )
    customers = view.customers  # type: ignore[attr-defined]
    step(
        "kpis, segment table, grid, bands (per customer)",
        lambda: (
            view.kpis(),  # type: ignore[attr-defined]
            rfm.segment_table(customers),
            tables.segment_grid(customers),
            tables.frequency_bands(customers),
        ),
    )
    step(
        "breakdowns by segment, month and year (per transaction)",
        lambda: (
            view.breakdown("segment"),  # type: ignore[attr-defined]
            view.breakdown("month"),  # type: ignore[attr-defined]
            view.breakdown("year"),  # type: ignore[attr-defined]
        ),
    )
    return figures


def bench_apptest(data: bytes, name: str) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    from rfm_app import keys

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=900)
    figures = {"first run on the sample (Data page)": timed(at.run)}
    at.radio(key=keys.DATA_SOURCE_KIND).set_value("Upload a file").run()
    uploader = at.file_uploader(key=keys.DATA_UPLOAD)
    figures["upload -> Data page (read, clean, score)"] = timed(
        lambda: uploader.upload(name, data, "text/csv").run()
    )
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    figures["Data page -> Overview"] = timed(lambda: at.switch_page("pages/overview.py").run())
    customers = next(m.value for m in at.metric if m.label == "Customers")
    figures["Overview rerun"] = min(timed(at.run) for _ in range(3))
    figures["Overview -> Segments"] = timed(lambda: at.switch_page("pages/segments.py").run())
    figures["Segments rerun"] = min(timed(at.run) for _ in range(3))
    figures["Segments -> Overview"] = timed(lambda: at.switch_page("pages/overview.py").run())
    figures["upload -> Overview, total"] = (
        figures["upload -> Data page (read, clean, score)"] + figures["Data page -> Overview"]
    )
    print(f"AppTest: Customers KPI = {customers}")
    return figures


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_browser(csv: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    idle = '[data-testid="stApp"][data-test-script-state="notRunning"]'
    figures: dict[str, float] = {}
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            page = browser.new_page(viewport={"width": 1400, "height": 900})

            def settle() -> None:
                page.wait_for_timeout(200)
                page.wait_for_selector(idle, timeout=900_000)

            def open_page(title: str) -> None:
                page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"] a').filter(
                    has_text=title
                ).first.click()
                settle()

            start = time.perf_counter()
            page.goto(url)
            settle()
            figures["open the link (sample, Data page)"] = time.perf_counter() - start
            page.get_by_text("Upload a file", exact=True).click()
            settle()
            start = time.perf_counter()
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(csv))
            # The sidebar names the new file as soon as its run starts; the run ends with
            # the Data page's summary line for it.
            page.locator('[data-testid="stSidebar"]').get_by_text(csv.name).wait_for(
                timeout=900_000
            )
            settle()
            page.get_by_text("Open Overview or Segments", exact=False).wait_for()
            figures["choose file -> Data page done (upload, read, clean, score)"] = (
                time.perf_counter() - start
            )
            start = time.perf_counter()
            open_page("Overview")
            page.locator('[data-testid="stMetricValue"]').first.wait_for()
            figures["Data page -> Overview KPIs on screen"] = time.perf_counter() - start
            figures["upload -> Overview, total"] = (
                figures["choose file -> Data page done (upload, read, clean, score)"]
                + figures["Data page -> Overview KPIs on screen"]
            )
            reruns = []
            for _ in range(3):
                start = time.perf_counter()
                page.keyboard.press("r")  # Streamlit's "rerun" shortcut
                settle()
                reruns.append(time.perf_counter() - start)
            figures["Overview rerun (R key), best of 3"] = min(reruns)
            start = time.perf_counter()
            open_page("Segments")
            figures["Overview -> Segments"] = time.perf_counter() - start
            start = time.perf_counter()
            open_page("Overview")
            figures["Segments -> Overview"] = time.perf_counter() - start
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--browser", action="store_true", help="also time headless Chromium")
    parser.add_argument("--out", type=Path, default=None, help="write a Markdown report")
    args = parser.parse_args()

    folder = Path(tempfile.gettempdir()) / "rfm_bench"
    folder.mkdir(exist_ok=True)
    csv = make_csv(args.rows, folder)
    data = csv.read_bytes()
    print(f"{csv} ({len(data) / 1e6:.1f} MB, {args.rows:,} rows)")

    references = {
        "polars.read_csv (all columns as text)": timed(
            lambda: pl.read_csv(data, infer_schema=False)
        ),
        "pandas.read_csv (types inferred)": timed(lambda: pd.read_csv(csv, low_memory=False)),
    }
    load_before = os.getloadavg()[0]
    steps = bench_steps(data)
    apptest = bench_apptest(data, csv.name)
    browser = bench_browser(csv) if args.browser else {}
    load_after = os.getloadavg()[0]

    polars_read = references["polars.read_csv (all columns as text)"]
    lines = [
        "# App speed with a large upload",
        "",
        f"File: simulated retail log, {args.rows:,} rows, {len(data) / 1e6:.1f} MB CSV "
        f"(`rfm.datasets.simulate`, random_state=11). Machine: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.system()}. 1-minute load average "
        f"{load_before:.1f} before and {load_after:.1f} after the app runs (other jobs shared "
        "the 2 cores; on an idle machine expect shorter times).",
        "",
        "Command: `python benchmarks/bench_app.py --rows "
        f"{args.rows}{' --browser' if args.browser else ''} --out benchmarks/results/app.md`",
        "",
        "## Reference: reading the same CSV alone",
        "",
        "| step | seconds |",
        "|---|---:|",
        *[f"| {name} | {seconds:.2f} |" for name, seconds in references.items()],
        "",
        "## Where the upload time goes (each library call alone)",
        "",
        "| step | seconds | x polars.read_csv |",
        "|---|---:|---:|",
        *[f"| {name} | {s:.2f} | {s / polars_read:.1f} |" for name, s in steps.items()],
        "",
        "## AppTest (server-side script time, no browser)",
        "",
        "| step | seconds | x polars.read_csv |",
        "|---|---:|---:|",
        *[f"| {name} | {s:.2f} | {s / polars_read:.1f} |" for name, s in apptest.items()],
    ]
    if browser:
        lines += [
            "",
            "## Headless Chromium against `streamlit run` (wall clock, as a person sees it)",
            "",
            "| step | seconds | x polars.read_csv |",
            "|---|---:|---:|",
            *[f"| {name} | {s:.2f} | {s / polars_read:.1f} |" for name, s in browser.items()],
        ]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        # Keep the sections bench_load.py wrote to the same file (between its markers).
        kept = ""
        if args.out.exists():
            kept = "\n".join(
                match.group(0)
                for match in re.finditer(
                    r"<!-- bench_load:(\S+) -->.*?<!-- /bench_load:\1 -->",
                    args.out.read_text(),
                    flags=re.DOTALL,
                )
            )
        args.out.write_text(report + (f"\n{kept}\n" if kept else ""))


if __name__ == "__main__":
    main()
