"""Draw an Altair chart built once for every session that shows the same figures.

``st.altair_chart`` turns an Altair chart into a Vega-Lite spec on every script run:
``Chart.to_dict()`` validates the whole spec against the Vega-Lite JSON schema in Python
(10-50 ms a chart, most of the Overview's own CPU time), then Streamlit writes each
dataset as Arrow bytes. :func:`draw_chart` does that once per distinct input and keeps
the finished spec in a small cache shared by every session of the server process;
later visits hand the stored spec to ``st.vega_lite_chart``, which sends exactly what
``st.altair_chart`` would have sent.

The cache key is the chart builder's name and a fingerprint of its arguments (polars
frames by the SHA-256 of their Arrow IPC bytes), so two sessions share a spec only when
they would have drawn the same chart. The stored specs hold small, already aggregated
tables; the cache is bounded by entries and bytes.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Final

import altair as alt
import polars as pl
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

MAX_ENTRIES: Final = 256
"""At most this many chart specs are kept (least recently drawn dropped first)."""
MAX_BYTES: Final = 32 * 2**20
"""... and at most about this many bytes of them."""

ChartBuilder = Callable[..., alt.TopLevelMixin]


class SpecCache:
    """A thread-safe, least-recently-used store of finished Vega-Lite specs.

    ``get_or_build(key, build)`` returns the spec stored under ``key``, building it with
    ``build()`` when missing. Sessions asking for a missing key at once (a crowd on a
    fresh server) wait for the first one's build instead of each building it; the lock
    of the whole cache is never held while building.

    Examples
    --------
    >>> cache = SpecCache(max_entries=2, max_bytes=10_000)
    >>> cache.get_or_build("a", lambda: {"mark": "bar"})
    {'mark': 'bar'}
    >>> cache.get_or_build("a", lambda: {"mark": "line"})  # stored: not built again
    {'mark': 'bar'}
    >>> _ = cache.get_or_build("b", lambda: {}), cache.get_or_build("c", lambda: {})
    >>> sorted(cache.keys())  # "a" was the least recently used
    ['b', 'c']
    """

    def __init__(self, *, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[dict[str, Any], int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    def keys(self) -> list[str]:
        """The stored keys, least recently used first."""
        with self._lock:
            return list(self._entries)

    def _stored(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def get_or_build(self, key: str, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """The spec stored under ``key``; ``build()`` it and store it when missing."""
        spec = self._stored(key)
        if spec is not None:
            return spec
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:  # one build per key at a time; the others then find it stored
            spec = self._stored(key)
            if spec is not None:
                return spec
            try:
                spec = build()
                size = _spec_bytes(spec)
                with self._lock:
                    if key not in self._entries and size <= self.max_bytes:
                        self._entries[key] = (spec, size)
                        self._bytes += size
                        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                            _, (_, dropped) = self._entries.popitem(last=False)
                            self._bytes -= dropped
            finally:
                with self._lock:
                    self._building.pop(key, None)
        return spec

    def clear(self) -> None:
        """Drop every stored spec."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0


_SPECS: Final = SpecCache()


def _spec_bytes(spec: Mapping[str, Any]) -> int:
    """About how many bytes ``spec`` holds: its Arrow datasets plus the rest as text."""
    datasets = spec.get("datasets", {})
    data = sum(len(v) if isinstance(v, bytes) else len(repr(v)) for v in datasets.values())
    rest = {k: v for k, v in spec.items() if k != "datasets"}
    return data + len(repr(rest))


def fingerprint(value: Any) -> str:
    """A text that differs whenever ``value`` would draw a different chart.

    Frames and series count by their content (the SHA-256 of their Arrow IPC bytes, which
    hold the schema too); plain values by ``repr``; lists, tuples and dicts element by
    element. Anything else is refused, so an argument type nobody thought about can never
    make two different charts share a spec.

    Examples
    --------
    >>> import polars as pl
    >>> a = pl.DataFrame({"x": [1, 2]})
    >>> fingerprint(a) == fingerprint(pl.DataFrame({"x": [1, 2]}))
    True
    >>> fingerprint(a) == fingerprint(pl.DataFrame({"x": [1.0, 2.0]}))  # another dtype
    False
    >>> fingerprint(("Revenue", 3, None))
    "('Revenue', 3, None)"
    """
    if isinstance(value, pl.DataFrame):
        digest = hashlib.sha256(value.write_ipc(None).getvalue()).hexdigest()
        return f"DataFrame:{digest}"
    if isinstance(value, pl.Series):
        return f"Series:{value.name!r}:{fingerprint(value.to_frame())}"
    if value is None or isinstance(value, str | bool | int | float | dt.date | dt.datetime):
        return repr(value)
    if isinstance(value, list | tuple):
        inner = ", ".join(fingerprint(item) for item in value)
        return (
            f"[{inner}]"
            if isinstance(value, list)
            else f"({inner}{',' if len(value) == 1 else ''})"
        )
    if isinstance(value, Mapping):
        items = sorted((repr(k), fingerprint(v)) for k, v in value.items())
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
    msg = (
        f"cannot fingerprint a {type(value).__name__} for the chart cache; pass frames, "
        "series, plain values, lists, tuples or dicts"
    )
    raise TypeError(msg)


def vega_lite_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The spec ``st.altair_chart(chart)`` sends: Streamlit's own conversion (theme off,
    datasets as Arrow bytes)."""
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    spec: dict[str, Any] = dict(_convert_altair_to_vega_lite_spec(chart))  # type: ignore[arg-type]
    return spec


def shared_spec(build: ChartBuilder, /, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """:func:`vega_lite_spec` of ``build(*args, **kwargs)``, built once per distinct input
    for the whole server process. Treat the result as read-only: it is shared."""
    key = f"{build.__module__}.{build.__qualname__}{fingerprint(args)}{fingerprint(kwargs)}"
    return _SPECS.get_or_build(key, lambda: vega_lite_spec(build(*args, **kwargs)))


def draw_chart(
    build: ChartBuilder,
    /,
    *args: Any,
    where: DeltaGenerator | None = None,
    key: str | None = None,
    on_select: str = "ignore",
    **kwargs: Any,
) -> Any:
    """Draw ``build(*args, **kwargs)`` as ``st.altair_chart(..., width="stretch")`` would.

    ``where`` is the container (default: the page). With ``on_select="rerun"`` (and a
    ``key``) it returns the chart's selection state, as ``st.altair_chart`` does.
    """
    # Streamlit edits the spec it is given in place (legend titles, autosize): hand it a
    # copy. The Arrow datasets are bytes, which copy.deepcopy shares instead of copying.
    spec = copy.deepcopy(shared_spec(build, *args, **kwargs))
    target: Any = st if where is None else where
    if on_select == "ignore":
        return target.vega_lite_chart(spec=spec, width="stretch", key=key)
    return target.vega_lite_chart(spec=spec, width="stretch", key=key, on_select=on_select)
