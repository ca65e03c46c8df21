"""No polars frame goes through ``st.cache_data`` (issue 15, item 1).

``st.cache_data`` pickles what it returns; pickling a polars frame holds the GIL while it
waits on polars' thread pool, one half of the deadlock that froze the server. Frames are
cached with ``st.cache_resource`` (the same object handed back, never pickled).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import pkgutil
import types
import typing
from pathlib import Path

import polars as pl
from streamlit.runtime.caching.cache_data_api import CachedDataFuncInfo
from streamlit.runtime.caching.cache_utils import CachedFunc

import rfm_app

ROOT = Path(__file__).absolute().parents[2]
FRAMES = (pl.DataFrame, pl.LazyFrame, pl.Series)


def _cached_data_functions() -> dict[str, CachedFunc]:
    found: dict[str, CachedFunc] = {}
    for module_info in pkgutil.iter_modules(rfm_app.__path__, prefix="rfm_app."):
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if isinstance(value, CachedFunc) and isinstance(value._info, CachedDataFuncInfo):
                found[f"{module_info.name}.{name}"] = value
    return found


def _frames_in(annotation: object, seen: set[object]) -> list[str]:
    """Where a polars frame (or an unknown ``Any``) can hide in ``annotation``."""
    if annotation is typing.Any or annotation is object:
        return [repr(annotation)]
    if isinstance(annotation, type) and issubclass(annotation, FRAMES):
        return [annotation.__name__]
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        if annotation in seen:  # a dataclass that refers to itself
            return []
        seen.add(annotation)
        hints = typing.get_type_hints(annotation)
        return [
            f"{annotation.__name__}.{field.name}: {where}"
            for field in dataclasses.fields(annotation)
            for where in _frames_in(hints[field.name], seen)
        ]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        return [where for arg in typing.get_args(annotation) for where in _frames_in(arg, seen)]
    return []


def test_the_scan_finds_the_cache_data_functions() -> None:
    # Guards the test below against finding nothing to check.
    assert "rfm_app.pipeline.workbook_sheets" in _cached_data_functions()


def test_no_cache_data_function_returns_a_polars_frame() -> None:
    offenders = {}
    for name, cached in _cached_data_functions().items():
        function = cached.__wrapped__  # type: ignore[attr-defined]
        returns = typing.get_type_hints(function)["return"]
        where = _frames_in(returns, set())
        if where:
            offenders[name] = where
    assert not offenders, f"st.cache_data would pickle polars frames: {offenders}"


def test_frames_are_found_where_they_hide() -> None:
    # The checker itself: it must see a frame inside a dataclass inside a union.
    @dataclasses.dataclass
    class Holder:
        table: pl.DataFrame | None

    assert _frames_in(Holder | str, set()) == ["Holder.table: DataFrame"]
    assert _frames_in(tuple[str, ...] | None, set()) == []


def test_pages_define_no_cache_data_functions() -> None:
    # Pages are scripts, not importable: read them instead.
    found = []
    for path in [*sorted((ROOT / "pages").glob("*.py")), ROOT / "streamlit_app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "cache_data":
                found.append(f"{path.name}:{node.lineno}")
    assert not found, found
