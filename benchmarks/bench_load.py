"""The app under a crowd, and its memory per page: headless Chromium against ``streamlit run``.

Two measurements, each against a fresh ``streamlit run streamlit_app.py`` on 127.0.0.1
(the repository's ``.streamlit/config.toml`` applies), with the server's resident memory
sampled from ``/proc`` and its health check polled every second:

* ``crowd`` -- N browser sessions start at once; each opens the link (the sample on the
  Data page), optionally uploads a file, and opens the Overview. Reports, per session, the
  time to the first page and to the Overview's KPIs, the slowest health-check answer, and
  the server's peak memory. ``--client ws`` replaces the browsers by sessions that speak
  Streamlit's own websocket protocol (``/_stcore/stream``: a ``BackMsg`` asks for a script
  run, ``ForwardMsg`` s come back until ``script_finished``), as the frontend does, so the
  2 cores run only the server: what the visitors' browsers would do on their own machines
  is left out.
* ``pages`` -- one session uploads a file and visits every page in turn; reports the
  server's memory after each page (resident and peak), then after the session is closed
  and the server has had time to drop it (``server.disconnectedSessionTTL``, 120 s).

Every loop is bounded (a fixed number of sessions, steps and a timeout on each wait), and
nothing listens beyond 127.0.0.1. Not part of the test suite. Run from the repository root::

    python benchmarks/bench_load.py crowd --sessions 10 --out benchmarks/results/app.md
    python benchmarks/bench_load.py crowd --sessions 20 --out benchmarks/results/app.md
    python benchmarks/bench_load.py crowd --client ws --sessions 20 --out benchmarks/results/app.md
    python benchmarks/bench_load.py pages --rows 1000000 --out benchmarks/results/app.md

``--out`` rewrites only this script's section of the file (between ``<!-- bench_load:...
-->`` markers), so other benchmarks' results stay.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).absolute().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
STEP_TIMEOUT_MS = 600_000
"""The longest any one wait may take: a hung server ends the run instead of blocking it."""
PAGES = ("Overview", "Segments", "Clusters", "Churn & CLV", "Customers")
MIB = 2**20


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _memory(pid: int) -> tuple[int, int]:
    """(resident, peak resident) bytes of ``pid``, from /proc (Linux)."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]
    hwm = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]
    return rss * 1024, hwm * 1024


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (all its threads), from /proc (Linux).

    Unlike wall-clock times, it does not grow when other jobs share the cores."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Watch:
    """The server's memory (sampled every 0.25 s) and health-check latency (every 1 s)."""

    pid: int
    url: str
    peak_rss: int = 0
    window_peak: int = 0
    health_worst: float = 0.0
    health_failures: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        threading.Thread(target=self._memory_loop, daemon=True).start()
        threading.Thread(target=self._health_loop, daemon=True).start()

    def _memory_loop(self) -> None:
        while not self.stop.wait(0.25):
            try:
                rss, _ = _memory(self.pid)
            except (OSError, AttributeError):
                return
            self.peak_rss = max(self.peak_rss, rss)
            self.window_peak = max(self.window_peak, rss)

    def _health_loop(self) -> None:
        while not self.stop.wait(1.0):
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=30):
                    pass
            except OSError:
                self.health_failures += 1
            self.health_worst = max(self.health_worst, time.perf_counter() - start)

    def reset_window(self) -> int:
        """The peak since the last reset, and start a new window."""
        peak, self.window_peak = self.window_peak, _memory(self.pid)[0]
        return max(peak, self.window_peak)


@contextmanager
def server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``streamlit run`` on a free 127.0.0.1 port, stopped (and waited for) on exit."""
    port = _free_port()
    log = Path(tempfile.gettempdir()) / f"bench_load_{port}.log"
    command = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py"]
    command += ["--server.address", "127.0.0.1", "--server.port", str(port)]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"streamlit did not start:\n{log.read_text()}") from None
                time.sleep(0.3)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


async def _settle(page: Any) -> None:
    await page.wait_for_timeout(250)
    await page.wait_for_selector(IDLE, timeout=STEP_TIMEOUT_MS)


async def _open(page: Any, title: str) -> None:
    # The app draws its own page links (client.showSidebarNavigation = false).
    links = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"] a')
    nav = links.filter(has_text=title).first
    await nav.click(timeout=STEP_TIMEOUT_MS)
    await _settle(page)


async def _upload(page: Any, path: Path) -> None:
    await page.get_by_text("Upload a file", exact=True).click(timeout=STEP_TIMEOUT_MS)
    await _settle(page)
    await page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    sidebar = page.locator('[data-testid="stSidebar"]')
    await sidebar.get_by_text(path.name).first.wait_for(timeout=STEP_TIMEOUT_MS)
    await _settle(page)
    done = page.get_by_text("Open Overview or Segments", exact=False)
    await done.wait_for(timeout=STEP_TIMEOUT_MS)


@dataclass
class SessionTimes:
    first_page: float | None = None
    overview: float | None = None
    error: str | None = None
    metrics: dict[str, str] = field(default_factory=dict)
    """The Overview's KPIs as the session received them (label -> shown value; ``ws`` only)."""
    received: int = 0
    """Bytes the session received over the websocket (``ws`` only)."""


async def _session(browser: Any, url: str, upload: Path | None, start: float) -> SessionTimes:
    times = SessionTimes()
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = await context.new_page()
        await page.goto(url, timeout=STEP_TIMEOUT_MS)
        await _settle(page)
        times.first_page = time.perf_counter() - start
        if upload is not None:
            await _upload(page, upload)
        await _open(page, "Overview")
        await page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=STEP_TIMEOUT_MS)
        times.overview = time.perf_counter() - start
    except Exception as error:  # a timeout or a crash: recorded, the others carry on
        times.error = f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"
    finally:
        await context.close()
    return times


async def _crowd(url: str, sessions: int, upload: Path | None) -> list[SessionTimes]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        start = time.perf_counter()
        results = await asyncio.gather(
            *(_session(browser, url, upload, start) for _ in range(sessions))
        )
        await browser.close()
    return list(results)


# --- The same visit over Streamlit's websocket protocol, without a browser --------------------

WS_TIMEOUT_S = STEP_TIMEOUT_MS / 1000
"""The longest one script run may take over the websocket before the session gives up."""
_FINISHED_FOR_GOOD = (0, 1, 3)
"""``ForwardMsg.script_finished`` values that end a run: successfully, with a compile error,
a fragment run. (2, ``FINISHED_EARLY_FOR_RERUN``, means another run follows.)"""


@dataclass
class ScriptRun:
    """What the server sent for one script run of a protocol session."""

    seconds: float
    status: int
    pages: dict[str, str] = field(default_factory=dict)
    """Page title -> ``page_script_hash``, from the ``navigation`` message."""
    metrics: dict[str, str] = field(default_factory=dict)
    """``st.metric`` label -> value, in the order drawn."""
    elements: int = 0
    received: int = 0
    exception: str | None = None


def _rerun_message(*, page_script_hash: str = "", page_name: str = "", query: str = "") -> bytes:
    """A ``BackMsg`` asking for a script run, as the frontend sends it to open a page.

    The first message of a session names no page (``""``: the app's default page, as for a
    visitor opening the bare link); a click on a page link names that page's hash. No widget
    states are sent: every widget keeps its default, as for a first visit.
    """
    from streamlit.proto.BackMsg_pb2 import BackMsg

    message = BackMsg()
    message.rerun_script.query_string = query
    message.rerun_script.page_script_hash = page_script_hash
    message.rerun_script.page_name = page_name
    message.rerun_script.context_info.timezone = "UTC"
    message.rerun_script.context_info.locale = "en-US"
    return message.SerializeToString()


async def _script_run(websocket: Any, request: bytes, *, deadline: float) -> ScriptRun:
    """Send ``request`` and read ``ForwardMsg`` s until the run it started has finished."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    start = time.perf_counter()
    run = ScriptRun(seconds=0.0, status=-1)
    await websocket.send(request)
    while True:  # bounded: every receive has a deadline
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no script_finished within {WS_TIMEOUT_S:.0f} s")
        data = await asyncio.wait_for(websocket.recv(), timeout=remaining)
        run.received += len(data)
        message = ForwardMsg()
        message.ParseFromString(data)
        kind = message.WhichOneof("type")
        if kind == "navigation":
            run.pages = {p.page_name: p.page_script_hash for p in message.navigation.app_pages}
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            run.elements += 1
            which = element.WhichOneof("type")
            if which == "metric":
                run.metrics[element.metric.label] = element.metric.body
            elif which == "exception":
                run.exception = f"{element.exception.type}: {element.exception.message[:120]}"
        elif kind == "script_finished" and message.script_finished in _FINISHED_FOR_GOOD:
            run.status = message.script_finished
            run.seconds = time.perf_counter() - start
            return run


async def protocol_visit(
    url: str,
    *,
    pages: tuple[str, ...] = ("Overview",),
    start: float | None = None,
    expect_kpis: bool = True,
) -> SessionTimes:
    """One visitor over the websocket: open the link (the default page), then ``pages`` in turn.

    ``url`` is the app's ``http://127.0.0.1:PORT`` address. Times are seconds since ``start``
    (default: now); ``metrics`` are the KPIs (``st.metric``) of the last page, and a last
    page without any is an error when ``expect_kpis``. A failure is recorded in ``error``,
    never raised, so one stuck session does not stop a crowd.
    """
    import websockets

    start = time.perf_counter() if start is None else start
    times = SessionTimes()
    stream = url.replace("http://", "ws://", 1) + "/_stcore/stream"
    deadline = time.monotonic() + WS_TIMEOUT_S * (1 + len(pages))
    try:
        async with websockets.connect(
            stream,
            subprotocols=[websockets.Subprotocol("streamlit")],
            origin=websockets.Origin(url),
            max_size=None,
            open_timeout=WS_TIMEOUT_S,
            ping_interval=None,
        ) as websocket:
            landing = await _script_run(websocket, _rerun_message(), deadline=deadline)
            times.first_page = time.perf_counter() - start
            times.received += landing.received
            run = landing
            for title in pages:
                if title not in landing.pages:
                    raise LookupError(f"no page {title!r} in the navigation")
                request = _rerun_message(page_script_hash=landing.pages[title], page_name=title)
                run = await _script_run(websocket, request, deadline=deadline)
                times.received += run.received
                if run.exception:
                    raise RuntimeError(f"{title}: {run.exception}")
            times.metrics = run.metrics
            if expect_kpis and pages and not run.metrics:
                raise RuntimeError(f"{pages[-1]} drew no KPI")
            times.overview = time.perf_counter() - start
    except Exception as error:  # a timeout or a refused connection: recorded, others carry on
        times.error = f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"
    return times


async def _ws_crowd(url: str, sessions: int) -> list[SessionTimes]:
    start = time.perf_counter()
    results = await asyncio.gather(*(protocol_visit(url, start=start) for _ in range(sessions)))
    return list(results)


def _seconds(values: list[float]) -> str:
    if not values:
        return "–"
    return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f}"


def crowd(args: argparse.Namespace) -> tuple[str, str]:
    upload = _data_file(args)
    protocol = args.client == "ws"
    if protocol and upload is not None:
        raise SystemExit("--client ws opens the sample only (no --upload or --rows)")
    with server() as (url, process):
        watch = Watch(process.pid, url)
        idle_rss = _memory(process.pid)[0]
        watch.start()
        load_before = os.getloadavg()[0]
        cpu_before = _cpu_seconds(process.pid)
        if protocol:
            results = asyncio.run(_ws_crowd(url, args.sessions))
        else:
            results = asyncio.run(_crowd(url, args.sessions, upload))
        cpu = _cpu_seconds(process.pid) - cpu_before
        load_after = os.getloadavg()[0]
        watch.stop.set()
    first = [r.first_page for r in results if r.first_page is not None]
    overview = [r.overview for r in results if r.overview is not None]
    errors = [r.error for r in results if r.error]
    what = f"uploads {upload.name} ({upload.stat().st_size / MIB:.1f} MiB)" if upload else ""
    flow = f"opens the link, {what + ', ' if what else ''}opens the Overview"
    if protocol:
        who = (
            f"{args.sessions} sessions speaking Streamlit's websocket protocol (no browser: "
            "each sends the `rerun_script` messages the frontend sends and reads the "
            "`ForwardMsg`s back until `script_finished`)"
        )
        cores = "only the server and this client run on them"
        done = "seconds to the Overview's last message (min / median / max)"
    else:
        who = f"{args.sessions} headless Chromium sessions"
        cores = "Chromium runs on the same cores"
        done = "seconds to the Overview KPIs (min / median / max)"
    lines = [
        f"## {args.sessions} concurrent sessions (`bench_load.py crowd"
        f"{' --client ws' if protocol else ''}`)",
        "",
        f"{who} start at once against one fresh "
        f"`streamlit run` on 127.0.0.1; each {flow} (the sample's KPIs when nothing is "
        f"uploaded). Machine: {os.cpu_count()} cores shared with other jobs (1-minute load "
        f"{load_before:.1f} before, {load_after:.1f} after); {cores}. "
        f"{platform.system()}, Python {platform.python_version()}.",
        "",
        f"Command: `python benchmarks/bench_load.py crowd"
        f"{' --client ws' if protocol else ''} --sessions {args.sessions}"
        f"{' --upload ' + str(args.upload) if args.upload else ''}"
        f"{' --rows ' + str(args.rows) if args.rows else ''}"
        f"{' --label ' + repr(args.label) if args.label else ''} --out benchmarks/results/app.md`",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| sessions that reached the Overview | {len(overview)} of {args.sessions} |",
        f"| seconds to the first page (min / median / max) | {_seconds(first)} |",
        f"| {done} | {_seconds(overview)} |",
        f"| server CPU seconds for the whole crowd (user + system) | {cpu:.1f} |",
        f"| server CPU seconds per session | {cpu / args.sessions:.2f} |",
    ]
    if protocol:
        received = [r.received / MIB for r in results if r.overview is not None]
        kpis = {tuple(r.metrics.items()) for r in results if r.overview is not None}
        lines += [
            f"| MiB each session received (median) | "
            f"{statistics.median(received) if received else 0:.2f} |",
            f"| sessions that got the same KPIs | {'all' if len(kpis) == 1 else len(kpis)} |",
        ]
    lines += [
        f"| slowest health-check answer (s) | {watch.health_worst:.1f} |",
        f"| health checks that failed | {watch.health_failures} |",
        f"| server memory idle, before the crowd (MiB) | {idle_rss / MIB:.0f} |",
        f"| server peak memory (MiB) | {watch.peak_rss / MIB:.0f} |",
    ]
    if protocol and overview:
        shown = next(r.metrics for r in results if r.overview is not None)
        lines += ["", "KPIs received: " + ", ".join(f"{k} {v}" for k, v in shown.items()) + "."]
    if errors:
        lines += ["", "Sessions that did not finish: " + "; ".join(sorted(set(errors)))]
    key = f"crowd-{args.sessions}{'-ws' if protocol else ''}{'-upload' if upload else ''}"
    return key, "\n".join(lines)


def _data_file(args: argparse.Namespace) -> Path | None:
    if args.upload:
        return Path(args.upload)
    if args.rows:
        from benchmarks.bench_app import make_csv

        folder = Path(tempfile.gettempdir()) / "rfm_bench"
        folder.mkdir(exist_ok=True)
        return make_csv(args.rows, folder)
    return None


async def _open_page(page: Any, title: str) -> None:
    # The app draws its own menu with st.page_link (Streamlit's own is hidden).
    links = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"] a')
    await links.filter(has_text=title).first.click(timeout=STEP_TIMEOUT_MS)
    await _settle(page)


async def _upload_or_refusal(page: Any, path: Path) -> str | None:
    """Upload ``path`` on the Data page; None once the app has scored it, else the
    refusal shown (Streamlit's upload size limit, or the app's error)."""
    await page.get_by_text("Upload a file", exact=True).click(timeout=STEP_TIMEOUT_MS)
    await _settle(page)
    await page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    # The sample's Data page says "Open Overview or Segments" too: first wait until the
    # sidebar names the upload (or the uploader refuses it), then for the verdict.
    too_large = page.get_by_text(re.compile(r"File must be .* or smaller"))
    named = page.locator('[data-testid="stSidebar"]').get_by_text(path.name).first
    await named.or_(too_large).first.wait_for(timeout=STEP_TIMEOUT_MS)
    done = page.get_by_text("Open Overview or Segments", exact=False)
    error = page.locator('[data-testid="stMain"] [data-testid="stAlertContainer"]').filter(
        has_text=re.compile("Expected a|cannot be read|could not be read")
    )
    if not await too_large.count():
        await _settle(page)
        await done.or_(error).first.wait_for(timeout=STEP_TIMEOUT_MS)
        if not await error.count():
            return None
    shown = too_large if await too_large.count() else error
    return " ".join((await shown.first.inner_text()).split())


@dataclass
class PagesRun:
    steps: list[tuple[str, float, float, int]] = field(default_factory=list)
    refusal: str | None = None


async def _pages(url: str, upload: Path, watch: Watch) -> PagesRun:
    run = PagesRun()
    async with _opened(url) as page:
        watch.reset_window()
        start, cpu = time.perf_counter(), _cpu_seconds(watch.pid)
        run.refusal = await _upload_or_refusal(page, upload)
        run.steps.append(
            (
                "Data (upload, read, clean, score)"
                if run.refusal is None
                else "Data (upload, refused)",
                time.perf_counter() - start,
                _cpu_seconds(watch.pid) - cpu,
                watch.reset_window(),
            )
        )
        for title in PAGES if run.refusal is None else ():
            start, cpu = time.perf_counter(), _cpu_seconds(watch.pid)
            await _open_page(page, title)
            await page.wait_for_timeout(500)
            await _settle(page)
            seconds = time.perf_counter() - start
            run.steps.append((title, seconds, _cpu_seconds(watch.pid) - cpu, watch.reset_window()))
    return run


@asynccontextmanager
async def _opened(url: str) -> AsyncIterator[Any]:
    """A headless Chromium page on ``url``, its first run settled; closed after."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 1400, "height": 900})
        try:
            page = await context.new_page()
            await page.goto(url, timeout=STEP_TIMEOUT_MS)
            await _settle(page)
            yield page
        finally:
            await context.close()
            await browser.close()


async def _visit(url: str) -> None:
    """Another visitor opens the link and leaves: Streamlit collects the sessions whose
    reconnect time (``server.disconnectedSessionTTL``) is over only when one is stored."""
    async with _opened(url):
        pass


def _pages_file(args: argparse.Namespace) -> Path | None:
    """The file to upload: ``--upload``, or a simulated log of ``--rows`` lines, as CSV or
    (``--parquet``) the same lines as Parquet with typed columns."""
    csv = _data_file(args)
    if csv is None or not args.parquet or args.upload:
        return csv
    import polars as pl

    path = csv.with_suffix(".parquet")
    if not path.exists():
        pl.read_csv(csv, try_parse_dates=True, infer_schema_length=None).write_parquet(path)
    return path


def pages(args: argparse.Namespace) -> tuple[str, str]:
    upload = _pages_file(args)
    if upload is None:
        raise SystemExit("pages needs --upload PATH or --rows N")
    # A dataset store of its own, as a fresh deployment has (not one left by other runs).
    os.environ.setdefault("RFM_STORE_DIR", tempfile.mkdtemp(prefix="bench_load_store_"))
    with server() as (url, process):
        watch = Watch(process.pid, url)
        idle_rss = _memory(process.pid)[0]
        watch.start()
        run = asyncio.run(_pages(url, upload, watch))
        closed_rss = _memory(process.pid)[0]
        time.sleep(args.after_close)
        later_rss = _memory(process.pid)[0]
        asyncio.run(_visit(url))
        time.sleep(5)
        visited_rss = _memory(process.pid)[0]
        peak = _memory(process.pid)[1]
        watch.stop.set()
    lines = [
        f"## Server memory per page, one session, {upload.name} (`bench_load.py pages`)",
        "",
        f"One headless Chromium session uploads {upload.name} "
        f"({upload.stat().st_size / MIB:.1f} MiB) to a fresh `streamlit run` on 127.0.0.1, "
        "then opens each page in turn. Memory is the server process's resident set "
        "(`/proc/<pid>/status`), sampled every 0.25 s; the peak of a page is the highest "
        "sample while it ran. The process's own peak (`VmHWM`) is the ground truth for the "
        f"whole run. Machine: {os.cpu_count()} cores, {platform.system()}, Python "
        f"{platform.python_version()}.",
        "",
        f"Command: `python benchmarks/bench_load.py pages"
        f"{' --upload ' + str(args.upload) if args.upload else ''}"
        f"{' --rows ' + str(args.rows) if args.rows else ''}"
        f"{' --parquet' if args.parquet else ''}"
        f" --after-close {args.after_close:g}"
        f"{' --label ' + repr(args.label) if args.label else ''} --out benchmarks/results/app.md`",
        "",
        "| page | seconds | server CPU seconds | peak memory while it ran (MiB) |",
        "|---|---:|---:|---:|",
        f"| (server idle, before the session) | | | {idle_rss / MIB:.0f} |",
        *[
            f"| {title} | {seconds:.1f} | {cpu:.1f} | {peak_rss / MIB:.0f} |"
            for title, seconds, cpu, peak_rss in run.steps
        ],
        f"| session closed (at once) | | | {closed_rss / MIB:.0f} |",
        f"| {args.after_close:g} s after the session closed | | | {later_rss / MIB:.0f} |",
        f"| then another visitor came and left (+5 s) | | | {visited_rss / MIB:.0f} |",
        f"| process peak (`VmHWM`) | | | {peak / MIB:.0f} |",
    ]
    if run.refusal is not None:
        lines += ["", f"The upload was refused: {run.refusal}"]
    key = f"pages-{upload.name}"
    return key, "\n".join(lines)


def write_section(path: Path, key: str, markdown: str) -> None:
    """Put ``markdown`` between this key's markers in ``path``, replacing what was there."""
    begin, end = f"<!-- bench_load:{key} -->", f"<!-- /bench_load:{key} -->"
    block = f"{begin}\n{markdown}\n{end}"
    text = path.read_text() if path.exists() else ""
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + block + "\n"
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["crowd", "pages"])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument(
        "--client",
        choices=["browser", "ws"],
        default="browser",
        help="crowd: headless Chromium tabs, or Streamlit's websocket protocol without a browser",
    )
    parser.add_argument("--upload", type=Path, default=None, help="a file every session uploads")
    parser.add_argument("--rows", type=int, default=None, help="upload a simulated CSV this long")
    parser.add_argument("--after-close", type=float, default=130.0)
    parser.add_argument(
        "--parquet", action="store_true", help="pages: upload the --rows log as Parquet"
    )
    parser.add_argument("--out", type=Path, default=None, help="a Markdown file to update")
    parser.add_argument(
        "--label", default="", help="names the run in the heading and its section, e.g. 'before'"
    )
    args = parser.parse_args()
    if not 1 <= args.sessions <= 50:
        parser.error("--sessions must be in [1, 50]")
    key, markdown = crowd(args) if args.mode == "crowd" else pages(args)
    if args.label:
        key = f"{key}-{args.label.replace(' ', '-')}"
        heading, rest = markdown.split("\n", 1)
        markdown = f"{heading}: {args.label}\n{rest}"
    print(markdown)
    if args.out:
        write_section(args.out, key, markdown)


if __name__ == "__main__":
    main()
