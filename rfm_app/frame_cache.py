"""Caches bounded by bytes, not by entries (issue 15: a memory budget for the app).

Streamlit's caches are bounded by ``max_entries`` and ``ttl``: four entries can be four
small files or four million-row tables. :class:`FrameCache` is a least-recently-used
cache whose bound is the size in memory of what it holds, measured with
:func:`frame_bytes` (polars frames, NumPy arrays, and the dataclasses holding them).

* A value larger than the whole budget is returned but not kept.
* Adding a value evicts the least recently used entries until the total fits.
* A frame held by several entries (the view's transactions are the cleaned transactions'
  very object) counts once.
* The same key asked for by several threads at once is computed once; the others wait
  for it (the same file opened by many visitors is read once).
* Entries can be tagged (the app tags them with the file's SHA-256): :meth:`FrameCache.hold`
  and :meth:`FrameCache.release` count the sessions using a tag, and the tag's entries
  are dropped ``grace`` seconds after the last one lets go.

Values are kept as they are (never pickled): pickling a polars frame holds the GIL while
it waits on polars' thread pool (the deadlock of issue 15).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final, ParamSpec, TypeVar

import numpy as np
import polars as pl

__all__ = ["FrameCache", "cached", "frame_bytes"]

P = ParamSpec("P")
R = TypeVar("R")

VIEW_BYTES: Final = 16
"""Bytes of a polars String or Binary value besides its text (the view), which
``estimated_size`` leaves out: ``pl.Series(["abc"] * 10**6).estimated_size()`` is 3 MB,
its memory 19 MB."""

_MAX_DEPTH: Final = 6


def _series_bytes(series: pl.Series) -> int:
    size = int(series.estimated_size())
    if series.dtype in (pl.String, pl.Binary):
        size += VIEW_BYTES * series.len()
    return size


def _frames(value: object) -> Iterator[tuple[int, int]]:
    """``(id, bytes)`` of every frame, series and array reachable from ``value``."""
    seen: set[int] = set()
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if id(item) in seen or depth > _MAX_DEPTH or item is None:
            continue
        seen.add(id(item))
        if isinstance(item, pl.DataFrame):
            yield id(item), sum(_series_bytes(s) for s in item.get_columns())
        elif isinstance(item, pl.Series):
            yield id(item), _series_bytes(item)
        elif isinstance(item, np.ndarray):
            yield id(item), int(item.nbytes)
        elif isinstance(item, str | bytes | int | float | bool | type):
            continue
        elif isinstance(item, tuple | list | set | frozenset):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif dataclasses.is_dataclass(item):
            stack.extend((getattr(item, f.name), depth + 1) for f in dataclasses.fields(item))
        elif hasattr(item, "__dict__"):  # fitted models and the like
            stack.extend((v, depth + 1) for v in vars(item).values())


def frame_bytes(value: object) -> int:
    """Memory held by the polars frames and NumPy arrays reachable from ``value``.

    Follows dataclass fields, tuples (named or not), lists, dicts and object attributes
    a few levels deep; an object reached twice counts once. String columns count their
    views (16 bytes a value) besides their text.

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"n": [1.0, 2.0, 3.0, 4.0]})
    >>> frame_bytes(frame), frame_bytes((frame, frame)), frame_bytes({"a": [frame]})
    (32, 32, 32)
    >>> frame_bytes(pl.Series(["ab"] * 10))
    180
    """
    return sum(size for _, size in _frames(value))


@dataclass
class _Entry:
    value: Any
    tag: Hashable | None
    frames: dict[int, int]
    stored: float


@dataclass
class _Held:
    sessions: int = 0
    timer: threading.Timer | None = None


@dataclass
class FrameCache:
    """A thread-safe least-recently-used cache bounded by :func:`frame_bytes`.

    Parameters
    ----------
    max_bytes
        The most the entries may hold together.
    ttl
        Seconds after which an entry is computed again (``None``: no expiry).
    grace
        Seconds a tag's entries stay after the last :meth:`release` of the tag.

    Examples
    --------
    >>> import polars as pl
    >>> cache = FrameCache(max_bytes=100)
    >>> small = cache.get("a", lambda: pl.DataFrame({"n": [1.0] * 10}))  # 80 bytes
    >>> cache.get("a", lambda: None) is small
    True
    >>> big = cache.get("b", lambda: pl.DataFrame({"n": [1.0] * 20}))  # 160: not kept
    >>> "b" in cache, cache.nbytes
    (False, 80)
    """

    max_bytes: int
    ttl: float | None = None
    grace: float = 0.0
    _entries: OrderedDict[Hashable, _Entry] = field(default_factory=OrderedDict, repr=False)
    _frames: dict[int, list[int]] = field(default_factory=dict, repr=False)
    """id of a frame -> [bytes, number of entries holding it]."""
    _computing: dict[Hashable, threading.Lock] = field(default_factory=dict, repr=False)
    _held: dict[Hashable, _Held] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def nbytes(self) -> int:
        """Bytes held by the entries (each frame once)."""
        with self._lock:
            return sum(size for size, _ in self._frames.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._entries

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self.keys())

    def keys(self) -> list[Hashable]:
        """The keys, least recently used first."""
        with self._lock:
            return list(self._entries)

    def get(self, key: Hashable, compute: Callable[[], R], *, tag: Hashable | None = None) -> R:
        """The value kept under ``key``, or ``compute()``'s, kept if it fits the budget."""
        found, value = self._lookup(key)
        if found:
            return value
        with self._lock:
            lock = self._computing.setdefault(key, threading.Lock())
        with lock:  # one thread computes a key; the others wait, then find it
            try:
                found, value = self._lookup(key)
                if found:
                    return value
                value = compute()
                self._store(key, value, tag)
                return value
            finally:
                with self._lock:
                    if self._computing.get(key) is lock:
                        del self._computing[key]

    def _lookup(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return False, None
            if self.ttl is not None and time.monotonic() - entry.stored > self.ttl:
                self._drop(key)
                return False, None
            self._entries.move_to_end(key)
            return True, entry.value

    def _store(self, key: Hashable, value: Any, tag: Hashable | None) -> None:
        frames = dict(_frames(value))
        with self._lock:
            new = sum(size for frame, size in frames.items() if frame not in self._frames)
            if new > self.max_bytes:
                return  # larger than the whole budget: returned, never kept
            if key in self._entries:
                self._drop(key)
            for frame, size in frames.items():
                self._frames.setdefault(frame, [size, 0])[1] += 1
            self._entries[key] = _Entry(value, tag, frames, time.monotonic())
            total = sum(size for size, _ in self._frames.values())
            for old in list(self._entries):
                if total <= self.max_bytes:
                    break
                if old != key:
                    total -= self._drop(old)

    def _drop(self, key: Hashable) -> int:
        """Remove ``key``; the bytes this freed (frames no other entry holds)."""
        entry = self._entries.pop(key)
        freed = 0
        for frame in entry.frames:
            counted = self._frames[frame]
            counted[1] -= 1
            if counted[1] == 0:
                freed += counted[0]
                del self._frames[frame]
        return freed

    def discard(self, key: Hashable) -> bool:
        """Forget ``key``; True if it was kept."""
        with self._lock:
            if key not in self._entries:
                return False
            self._drop(key)
            return True

    def discard_tag(self, tag: Hashable) -> int:
        """Forget every entry tagged ``tag``; how many."""
        with self._lock:
            keys = [key for key, entry in self._entries.items() if entry.tag == tag]
            for key in keys:
                self._drop(key)
            return len(keys)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()
            self._frames.clear()

    def hold(self, tag: Hashable) -> None:
        """One more user (a session) of ``tag``'s entries."""
        with self._lock:
            held = self._held.setdefault(tag, _Held())
            held.sessions += 1
            if held.timer is not None:
                held.timer.cancel()
                held.timer = None

    def release(self, tag: Hashable) -> None:
        """One user fewer; with none left, ``tag``'s entries go after ``grace`` seconds."""
        with self._lock:
            held = self._held.get(tag)
            if held is None:
                return
            held.sessions -= 1
            if held.sessions > 0:
                return
            if self.grace <= 0:
                self._forget(tag, held)
                return
            held.timer = threading.Timer(self.grace, self._forget, args=(tag, held))
            held.timer.daemon = True
            held.timer.start()

    def _forget(self, tag: Hashable, held: _Held) -> None:
        with self._lock:
            if held.sessions > 0 or self._held.get(tag) is not held:
                return  # taken up again meanwhile
            del self._held[tag]
            self.discard_tag(tag)


def cached(
    store: Callable[[], FrameCache],
    *,
    tag: str | None = None,
    spinner: str | None = None,
    on_call: Callable[[Hashable], None] | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Cache a function's results in ``store()``, keyed like ``st.cache_resource``.

    The key is the function's name and its arguments, except those whose name starts
    with ``_`` (not hashed: pass large objects that way, next to a digest of them).
    ``tag`` names the argument whose value tags the entry (see :meth:`FrameCache.hold`);
    ``on_call(tag value)`` runs on every call (the app counts the sessions using a file
    this way); ``spinner`` is shown while a missing value is computed. The wrapper's ``key(*args,
    **kwargs)`` gives the key a call would use, e.g. to :meth:`FrameCache.discard` it.
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(func)
        name = f"{func.__module__}.{func.__qualname__}"

        def key(*args: Any, **kwargs: Any) -> tuple[Hashable, Hashable | None]:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            named = tuple(
                (arg, value) for arg, value in bound.arguments.items() if not arg.startswith("_")
            )
            return (name, named), None if tag is None else bound.arguments[tag]

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            entry, label = key(*args, **kwargs)

            def compute() -> R:
                with _spinner(spinner):
                    return func(*args, **kwargs)

            if on_call is not None and label is not None:
                on_call(label)
            return store().get(entry, compute, tag=label)

        wrapper.key = lambda *a, **k: key(*a, **k)[0]  # type: ignore[attr-defined]
        return wrapper

    return decorate


@contextmanager
def _spinner(text: str | None) -> Iterator[None]:
    if text is None:
        yield
        return
    import streamlit as st
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:  # no page to show it on
        yield
        return
    with st.spinner(text):
        yield
