"""The app's chart code and frame pickling from 8 threads never deadlock (issue 15, item 1).

The server froze for good when a thread pickling a frame for ``st.cache_data`` held the
GIL while waiting on polars' pool, whose workers waited for the GIL to run a
``map_elements`` callback. :mod:`tests.app.stress` runs the app's own chart and table code
and pickles frames from 8 threads for 100 rounds each, in a child process that dumps every
thread's stack and exits if it has not finished in time, so a deadlock fails this test
instead of hanging the suite. On the code before the fix it hung in 5 of 5 runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).absolute().parents[2]
THREADS = 8
ROUNDS = 100
TIMEOUT = 240  # seconds; a healthy run takes about 15 s on a busy 2-core machine


def test_threads_drawing_and_pickling_finish_every_round() -> None:
    # Two pool workers, as on Community Cloud and this 2-core box: a larger pool makes
    # the deadlock rarer, not impossible.
    env = {**os.environ, "POLARS_MAX_THREADS": "2"}
    command = [sys.executable, "-m", "tests.app.stress", "--threads", str(THREADS)]
    command += ["--rounds", str(ROUNDS), "--timeout", str(TIMEOUT)]
    try:
        proc = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT + 60
        )
    except subprocess.TimeoutExpired as error:  # faulthandler should have ended it first
        raise AssertionError(f"the stress run hung and was killed:\n{error.stderr!r}") from None
    assert proc.returncode == 0, f"deadlock or error:\n{proc.stdout}\n{proc.stderr[-6000:]}"
    finished = f"{[ROUNDS] * THREADS}"
    assert finished in proc.stdout, proc.stdout
