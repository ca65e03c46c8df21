"""The pages that need no model leave scipy and scikit-learn unloaded.

A fresh server (a Community Cloud container wakes up for its first visitor) imports what
its first pages use: scipy (~40 MiB resident) and scikit-learn (~45 MiB more) are for the
Clusters and Churn & CLV pages only. Run in a fresh interpreter: this process has loaded
them already.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.app.conftest import ENTRYPOINT

_SCRIPT = textwrap.dedent(f"""
    import sys
    from streamlit.testing.v1 import AppTest

    def heavy():
        return ",".join(sorted({{m.split(".")[0] for m in sys.modules}} & {{"scipy", "sklearn"}}))

    app = AppTest.from_file({ENTRYPOINT!r}, default_timeout=120)
    app.run()
    for page in ("overview", "segments", "customers"):
        app.switch_page(f"pages/{{page}}.py").run()
        assert not app.exception, [e.value for e in app.exception]
        print(page, heavy() or "none")
    app.switch_page("pages/churn.py").run()
    print("churn", heavy() or "none")
""")


def test_data_overview_segments_and_customers_load_no_model_library() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if " " in line)
    assert {page: loaded.get(page) for page in ("overview", "segments", "customers")} == {
        "overview": "none",
        "segments": "none",
        "customers": "none",
    }
    assert "scipy" in loaded["churn"]  # the churn models do fit with scipy
