"""The app sets polars' allocator default before polars is loaded (rfm_app/__init__.py).

jemalloc reads ``_RJEM_MALLOC_CONF`` once, when polars' library first allocates: set
any later, it does nothing. Each case runs in a fresh interpreter with an import hook
that records the variable at the moment polars is imported, entering the app as a page
file does (its first import is from ``rfm_app``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from rfm_app import ALLOCATOR_SETTING

_SCRIPT = textwrap.dedent("""
    import importlib.abc, os, sys

    class Watch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "polars" and "seen" not in globals():
                globals()["seen"] = os.environ.get("_RJEM_MALLOC_CONF")
            return None

    sys.meta_path.insert(0, Watch())
    assert "polars" not in sys.modules
    from rfm_app import filters, pipeline  # noqa: F401  (what a page imports first)
    assert "polars" in sys.modules
    print(seen)
""")


def _seen(env: dict[str, str]) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip().splitlines()[-1]


def test_polars_loads_with_the_apps_allocator_setting() -> None:
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    assert _seen(env) == ALLOCATOR_SETTING


def test_an_operators_own_setting_is_kept() -> None:
    env = {**os.environ, "_RJEM_MALLOC_CONF": "dirty_decay_ms:100,muzzy_decay_ms:0"}
    assert _seen(env) == "dirty_decay_ms:100,muzzy_decay_ms:0"
