"""Real-browser fixtures: `streamlit run` on 127.0.0.1 and Debian's Chromium.

pytest-playwright provides ``page``; these fixtures point it at /usr/bin/chromium
(Playwright's own browser download is not available here) and start the app.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).absolute().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 900}


def _require_chromium() -> None:
    if not Path(CHROMIUM).is_file():
        pytest.skip(
            "Debian's chromium is not installed (no /usr/bin/chromium): "
            "`apt-get install chromium` to run the browser test (.ci/run does)."
        )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium headless with a quiet, sandbox-free profile."""
    _require_chromium()
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """Pages at 1400 x 900, the size the screenshots are judged at."""
    return {**browser_context_args, "viewport": VIEWPORT}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_app(*options: str, folder: Path, base_path: str = "") -> Iterator[str]:
    """``streamlit run streamlit_app.py`` on a free local port, with ``options`` added and
    a dataset store in ``folder``; yields its URL (under ``base_path``) once it answers
    its health check, and stops it after. Its output goes to ``folder / "server.log"``."""
    _require_chromium()
    port = _free_port()
    log = folder / "server.log"
    command = [
        sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
        "--server.headless", "true", "--server.address", "127.0.0.1",
        "--server.port", str(port), "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none", *options,
    ]  # fmt: skip
    # Uploads kept for sharing go to a store folder of the caller's own.
    env = {**os.environ, "RFM_STORE_DIR": str(folder / "store")}
    with log.open("wb") as sink:
        server = subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}{base_path}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run ``streamlit run streamlit_app.py`` on a free local port for the session."""
    with running_app(folder=tmp_path_factory.mktemp("streamlit")) as url:
        yield url


@pytest.fixture(scope="session")
def screenshot_dir() -> Path | None:
    """Where to save page screenshots (set RFM_SCREENSHOTS); None to skip them."""
    target = os.environ.get("RFM_SCREENSHOTS")
    if not target:
        return None
    path = Path(target)
    path.mkdir(parents=True, exist_ok=True)
    return path
