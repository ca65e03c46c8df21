"""Keep Streamlit's garbage collection after every script run cheap.

Streamlit runs ``gc.collect(2)`` after each script run (``runner.postScriptGC``, on by
default). A full collection walks every container object the process holds: after the
imports (Streamlit, polars, pandas, pyarrow, Altair and its Vega-Lite schema) that is
about 170,000 objects, 0.1-0.15 CPU-s per run, half the server's CPU time for a visit
to the Overview. Those objects live as long as the process, so
:func:`freeze_startup_objects` moves them once into the collector's permanent
generation (:func:`gc.freeze`): later collections walk only what the sessions
created, and still find every cycle among those.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_frozen = False


def _in_a_server() -> bool:
    """Whether a real Streamlit server runs this (AppTest installs a stand-in runtime)."""
    from streamlit import runtime

    return runtime.exists() and type(runtime.get_instance()) is runtime.Runtime


def freeze_startup_objects(*, only_in_a_server: bool = True) -> bool:
    """Freeze the objects alive now out of later full collections, once per process.

    Call it at the top of the router, before a session loads any data: what is alive
    then is the imported modules and Streamlit's runtime (and the first session's
    small state, kept for the process's life if it ever becomes a reference cycle).
    With ``only_in_a_server`` (the default) it does nothing outside ``streamlit run``,
    so a test process running the app with AppTest is left as it is. Returns whether
    this call froze (``False``: an earlier call did, or not in a server).

    Examples
    --------
    >>> freeze_startup_objects()  # not in a Streamlit server: nothing happens
    False
    """
    global _frozen
    if only_in_a_server and not _in_a_server():
        return False
    with _lock:
        if _frozen:
            return False
        _frozen = True
        import altair as alt

        # Altair loads the Vega-Lite schema (a large tree of dicts) and builds its
        # validator on the first validated chart: do it now, so they are frozen too.
        alt.Chart(alt.Data(values=[{"x": 1}])).mark_point().encode(x="x:Q").to_dict()
        gc.collect()
        gc.freeze()
        return True
