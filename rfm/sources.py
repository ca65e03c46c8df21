"""Team data sources: a file glob, a DuckDB database or a PostgreSQL query.

A deployment owner points the app at the team's data in ``.streamlit/secrets.toml``
under ``[rfm_source]``; :meth:`SourceSpec.from_mapping` validates that table.
:func:`read_source` brings the raw table back (then :func:`rfm.read_transactions`
maps and converts it, as for an upload); :func:`summarize_source` runs
:func:`rfm.summarize` where the data lives and brings back only the one row per
customer.

Security: the SQL is fixed by the owner and never built from what a viewer types
(the only text added is a ``LIMIT`` with an integer). Connections are opened read
only. Drivers put the connection string, user names and sometimes passwords in
their error messages, so every driver error becomes a :class:`rfm.DataError` that
names the source kind and what to check, never the URL or the driver's text.

The drivers are optional (``pip install 'rfm-studio[postgres]'`` or ``[duckdb]``)
and imported only when a source of that kind is read.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import polars as pl

from rfm.columns import CANONICAL
from rfm.errors import DataError
from rfm.io.limits import Limits

SourceKind = Literal["file", "duckdb", "postgresql"]
KINDS: tuple[str, ...] = get_args(SourceKind)
_FILE_SUFFIXES = (".parquet", ".csv", ".tsv", ".txt")
_KEYS = ("kind", "path", "query", "url", "columns")


@dataclass(frozen=True)
class SourceSpec:
    """Where the team's transactions live, as the deployment owner configured it.

    Parameters
    ----------
    kind
        ``"file"`` (a Parquet or CSV path or glob), ``"duckdb"`` (a database file and
        a query) or ``"postgresql"`` (a connection URL and a query).
    path
        The file path or glob (``file``), or the DuckDB database file (``duckdb``).
    query
        The SQL that returns one row per transaction line (``duckdb``,
        ``postgresql``). Fixed by the owner; never built from viewer input.
    url
        The PostgreSQL connection URL, ``postgresql://user:password@host:5432/db``.
        It holds credentials: it is left out of ``repr`` and never put in errors.
    columns
        Optional mapping from canonical column names (``customer_id``,
        ``order_date``, ``amount``, ...) to the source's column names, as
        ``(canonical, source)`` pairs; :meth:`from_mapping` takes a table.

    Examples
    --------
    >>> import rfm.sources as sources
    >>> spec = sources.SourceSpec.from_mapping(
    ...     {"kind": "postgresql", "url": "postgresql://ana:s3cret@db:5432/shop",
    ...      "query": "select * from sales"}
    ... )
    >>> spec
    SourceSpec(kind='postgresql', path=None, query='select * from sales', columns=())
    >>> spec.describe()
    'PostgreSQL database shop on db'
    """

    kind: SourceKind
    path: str | None = None
    query: str | None = None
    url: str | None = field(default=None, repr=False)
    columns: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        _validate(self)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> SourceSpec:
        """Build a spec from the ``[rfm_source]`` table of ``secrets.toml``.

        Parameters
        ----------
        mapping
            ``kind`` plus the keys that kind needs (``path``; ``path`` and
            ``query``; ``url`` and ``query``) and an optional ``columns`` table.
            Streamlit's ``st.secrets["rfm_source"]`` works as it is.

        Raises
        ------
        DataError
            A key is unknown or missing, or a value has the wrong type; the
            message never repeats the ``url``.
        """
        if not isinstance(mapping, Mapping):
            msg = (
                f"Expected the [rfm_source] settings as a table of keys. Got "
                f"{type(mapping).__name__}. Write them under [rfm_source] in secrets.toml."
            )
            raise DataError(msg)
        unknown = sorted(str(key) for key in mapping if key not in _KEYS)
        if unknown:
            msg = (
                f"Unknown key(s) in [rfm_source]: {', '.join(unknown)}. Expected some of "
                f"{', '.join(_KEYS)}."
            )
            raise DataError(msg)
        values: dict[str, Any] = {}
        for key in ("kind", "path", "query", "url"):
            value = mapping.get(key)
            if value is not None and not isinstance(value, str):
                msg = (
                    f"[rfm_source] {key} must be text. Got {type(value).__name__}. "
                    'Write it in quotes: key = "...".'
                )
                raise DataError(msg)
            values[key] = value
        columns = mapping.get("columns") or {}
        if not isinstance(columns, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
        ):
            msg = (
                "[rfm_source] columns must be a table of canonical name = source column "
                'name, e.g. [rfm_source.columns] customer_id = "cust_no".'
            )
            raise DataError(msg)
        if values["kind"] is None:
            msg = f"[rfm_source] needs kind = one of {', '.join(KINDS)}."
            raise DataError(msg)
        return cls(
            kind=values["kind"],
            path=values["path"],
            query=values["query"],
            url=values["url"],
            columns=tuple(sorted(columns.items())),
        )

    @property
    def column_mapping(self) -> dict[str, str] | None:
        """``columns`` as the ``columns=`` argument of :func:`rfm.read_transactions`."""
        return dict(self.columns) or None

    def describe(self) -> str:
        """Where the data lives, in words safe to show a viewer (no credentials).

        Examples
        --------
        >>> SourceSpec(kind="file", path="data/sales-*.parquet").describe()
        'files data/sales-*.parquet'
        """
        if self.kind == "file":
            return f"files {self.path}"
        if self.kind == "duckdb":
            return f"DuckDB database {Path(self.path or '').name}"
        host, database = _url_parts(self.url or "")
        return f"PostgreSQL database {database or '(default)'} on {host or 'localhost'}"


def _validate(spec: SourceSpec) -> None:
    if spec.kind not in KINDS:
        msg = (
            f"[rfm_source] kind must be one of {', '.join(KINDS)}. Got {spec.kind!r}. "
            'Write e.g. kind = "postgresql".'
        )
        raise DataError(msg)
    needs = {"file": ("path",), "duckdb": ("path", "query"), "postgresql": ("url", "query")}
    missing = [key for key in needs[spec.kind] if not getattr(spec, key)]
    if missing:
        msg = (
            f"A {spec.kind} source needs {' and '.join(needs[spec.kind])} in [rfm_source]. "
            f"Missing: {', '.join(missing)}."
        )
        raise DataError(msg)
    extra = [
        key
        for key in ("path", "query", "url")
        if getattr(spec, key) and key not in needs[spec.kind]
    ]
    if extra:
        msg = (
            f"A {spec.kind} source takes {' and '.join(needs[spec.kind])}; remove "
            f"{', '.join(extra)} from [rfm_source]."
        )
        raise DataError(msg)
    if spec.kind == "postgresql" and not (spec.url or "").startswith(
        ("postgresql://", "postgres://")
    ):
        msg = (
            "[rfm_source] url must be a PostgreSQL URL starting with postgresql:// "
            "(postgresql://user:password@host:5432/database)."
        )
        raise DataError(msg)
    unknown = [name for name, _ in spec.columns if name not in CANONICAL]
    if unknown:
        msg = (
            f"[rfm_source.columns] maps canonical names; {', '.join(unknown)} is not one. "
            f"Expected some of {', '.join(CANONICAL)}."
        )
        raise DataError(msg)


def _url_parts(url: str) -> tuple[str, str]:
    """(host, database) of a PostgreSQL URL, without user or password."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return "", ""
    return host, parts.path.lstrip("/")


def read_source(spec: SourceSpec, *, limits: Limits | None = None) -> pl.DataFrame:
    """The source's raw table, for :func:`rfm.read_transactions`.

    Parameters
    ----------
    spec
        Where the data lives.
    limits
        ``max_rows`` bounds the rows brought into memory (the query is wrapped in a
        ``LIMIT``; file metadata is checked before reading); defaults to
        :class:`rfm.Limits`.

    Returns
    -------
    polars.DataFrame
        The columns as the source has them (typed for Parquet and SQL; text for
        CSV). Pass it on as ``rfm.read_transactions(frame, columns=spec.column_mapping)``.

    Raises
    ------
    DataError
        Nothing matches the path, the files disagree on their columns, the table
        exceeds ``limits.max_rows``, the database cannot be reached or the query
        fails (the message names what to check, never credentials).
    ImportError
        The driver for this kind is not installed (the message names the extra).
    """
    limits = limits or Limits()
    if spec.kind == "file":
        return _read_files(spec, limits)
    if spec.kind == "duckdb":
        return _read_duckdb(spec, limits)
    return _read_postgresql(spec, limits)


def summarize_source(
    spec: SourceSpec,
    *,
    columns: Mapping[str, str] | None = None,
    as_of: dt.date | dt.datetime | str | None = None,
) -> pl.DataFrame:
    """:func:`rfm.summarize` run where the data lives; only the summary comes back.

    The source's columns must already be typed: ``order_date`` a date or timestamp,
    ``amount`` a number (cast them in the query). Parquet files are scanned lazily
    by polars' streaming engine; DuckDB and PostgreSQL run the same narwhals
    definition as every other engine (:func:`rfm.summary.customer_aggregates`).

    Parameters
    ----------
    spec
        Where the data lives.
    columns
        Canonical name -> source column name; defaults to ``spec.column_mapping``.
        Columns already named canonically need no entry.
    as_of
        As in :func:`rfm.summarize`.

    Returns
    -------
    polars.DataFrame
        The customer summary, exactly as :func:`rfm.summarize` returns it.

    Raises
    ------
    DataError
        As :func:`read_source`, and when a canonical column is missing or untyped.
    """
    mapping = dict(columns) if columns is not None else (spec.column_mapping or {})
    if spec.kind == "file":
        return _summarize_files(spec, mapping, as_of)
    if spec.kind == "duckdb":
        return _summarize_duckdb(spec, mapping, as_of)
    return _summarize_postgresql(spec, mapping, as_of)


# --- files -------------------------------------------------------------------------


def _file_paths(spec: SourceSpec) -> list[str]:
    pattern = os.path.expanduser(spec.path or "")
    paths = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
    paths = [p for p in paths if os.path.isfile(p)]
    if not paths:
        msg = (
            f"No file matches the file source path {spec.path!r}. Check [rfm_source] path "
            "(relative paths start from the folder the app runs in)."
        )
        raise DataError(msg)
    suffixes = {Path(p).suffix.lower() for p in paths}
    if not suffixes <= set(_FILE_SUFFIXES) or len(suffixes & {".parquet"}) not in (
        0,
        len(suffixes),
    ):
        msg = (
            f"A file source reads Parquet or CSV files, one kind at a time. The path "
            f"{spec.path!r} matches {', '.join(sorted(suffixes))}. Narrow the glob."
        )
        raise DataError(msg)
    return paths


def _read_files(spec: SourceSpec, limits: Limits) -> pl.DataFrame:
    raise NotImplementedError


def _summarize_files(
    spec: SourceSpec, mapping: Mapping[str, str], as_of: dt.date | dt.datetime | str | None
) -> pl.DataFrame:
    raise NotImplementedError


# --- DuckDB ------------------------------------------------------------------------


def _read_duckdb(spec: SourceSpec, limits: Limits) -> pl.DataFrame:
    raise NotImplementedError


def _summarize_duckdb(
    spec: SourceSpec, mapping: Mapping[str, str], as_of: dt.date | dt.datetime | str | None
) -> pl.DataFrame:
    raise NotImplementedError


# --- PostgreSQL --------------------------------------------------------------------


def _read_postgresql(spec: SourceSpec, limits: Limits) -> pl.DataFrame:
    raise NotImplementedError


def _summarize_postgresql(
    spec: SourceSpec, mapping: Mapping[str, str], as_of: dt.date | dt.datetime | str | None
) -> pl.DataFrame:
    raise NotImplementedError
