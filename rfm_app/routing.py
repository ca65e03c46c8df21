"""Make sure every page runs inside the router (``streamlit_app.py``).

Streamlit still knows its older multipage mode: when a folder named ``pages/`` sits
next to the entrypoint, the first script runs of a fresh server process, before any
session has called ``st.navigation``, execute ``pages/<name>.py`` *directly* for a deep
link such as ``/segments`` — without the router, so without the page config, the shared
sidebar or the navigation. (Once ``st.navigation`` has run, Streamlit ignores the folder
for every session.) A shared link opened on a cold server hits exactly that case, so
each page starts with :func:`ensure_router`: if the router is not running it, it runs
the router, which renders the same page properly, and ends the direct run.
"""

from __future__ import annotations

import runpy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import streamlit as st

ENTRYPOINT: Final = Path(__file__).absolute().parents[1] / "streamlit_app.py"

_state = threading.local()  # one script run per thread at a time


@contextmanager
def routed() -> Iterator[None]:
    """Mark the page run inside this block as started by the router."""
    previous = getattr(_state, "routed", False)
    _state.routed = True
    try:
        yield
    finally:
        _state.routed = previous


def ensure_router() -> None:
    """Call first in every page file: hand a direct (legacy) run over to the router."""
    if getattr(_state, "routed", False):
        return
    runpy.run_path(str(ENTRYPOINT), run_name="__main__")
    st.stop()
