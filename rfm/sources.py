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
import functools
import glob
import hashlib
import os
import re
import threading
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


def _parquet_frame(spec: SourceSpec, paths: list[str]) -> pl.LazyFrame:
    names = None
    for path in paths:
        try:
            schema = pl.read_parquet_schema(path)
        except Exception:
            msg = (
                f"The file source {path!r} is not a readable Parquet file. Check [rfm_source] "
                "path, or write the file again."
            )
            raise DataError(msg) from None
        if names is None:
            names, first = list(schema), path
        elif list(schema) != names:
            msg = (
                f"The files of the file source disagree on their columns: {first!r} has "
                f"{', '.join(names)}; {path!r} has {', '.join(schema)}. Give every file the "
                "same columns, or narrow [rfm_source] path."
            )
            raise DataError(msg)
    return pl.concat([pl.scan_parquet(path) for path in paths], how="vertical_relaxed")


def _read_files(spec: SourceSpec, limits: Limits) -> pl.DataFrame:
    paths = _file_paths(spec)
    if Path(paths[0]).suffix.lower() == ".parquet":
        lazy = _parquet_frame(spec, paths)
        rows = int(lazy.select(pl.len()).collect().item())  # from the metadata
        _check_rows(rows, limits, spec)
        return lazy.collect()
    from rfm.io.table import read_table

    frames: list[pl.DataFrame] = []
    for path in paths:
        table = read_table(path, limits=limits)
        if frames and table.frame.columns != frames[0].columns:
            msg = (
                f"The files of the file source disagree on their columns: {paths[0]!r} has "
                f"{', '.join(frames[0].columns)}; {path!r} has {', '.join(table.frame.columns)}. "
                "Give every file the same header, or narrow [rfm_source] path."
            )
            raise DataError(msg)
        frames.append(table.frame)
        _check_rows(sum(frame.height for frame in frames), limits, spec)
    return pl.concat(frames)


def _check_rows(rows: int, limits: Limits, spec: SourceSpec) -> None:
    if rows > limits.max_rows:
        msg = (
            f"The {spec.kind} source has more than {limits.max_rows:,} rows "
            f"(Limits.max_rows), too many to bring into memory. Use summarize_source, which "
            "computes the customer summary where the data lives, or narrow the source."
        )
        raise DataError(msg)


def _renamed(frame: Any, mapping: Mapping[str, str]) -> Any:
    """The canonical columns of a narwhals frame, renamed from the source's names."""
    import narwhals.stable.v2 as nw

    lazy = nw.from_native(frame)
    available = lazy.collect_schema().names()
    wanted = {canonical: mapping.get(canonical, canonical) for canonical in CANONICAL}
    missing = [
        f"{c} (from {s!r})" for c, s in wanted.items() if c in mapping and s not in available
    ]
    if missing:
        msg = (
            f"[rfm_source.columns] names columns the source does not have: "
            f"{', '.join(missing)}. Columns found: {', '.join(available)}."
        )
        raise DataError(msg)
    kept = [nw.col(s).alias(c) for c, s in wanted.items() if s in available]
    if not kept:  # summarize says which canonical columns are missing
        return frame
    return lazy.select(kept).to_native()


def _summarize_files(
    spec: SourceSpec, mapping: Mapping[str, str], as_of: dt.date | dt.datetime | str | None
) -> pl.DataFrame:
    from rfm.summary import summarize

    paths = _file_paths(spec)
    if Path(paths[0]).suffix.lower() == ".parquet":
        lazy = _renamed(_parquet_frame(spec, paths), mapping)
        out = summarize(lazy, as_of=as_of)
        assert isinstance(out, pl.LazyFrame)
        return out.collect(engine="streaming")
    # Text files hold text: they go through the reader, which parses and counts.
    from rfm.io.transactions import read_transactions

    result = read_transactions(read_source(spec), columns=dict(mapping) or None)
    return summarize(result.transactions, as_of=as_of)


# --- drivers -----------------------------------------------------------------------


def _import_driver(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        msg = (
            f"Reading a {extra} source needs {module}, which is not installed. Install the "
            f"extra: pip install 'rfm-studio[{extra}]'."
        )
        raise ImportError(msg) from None


# --- DuckDB ------------------------------------------------------------------------

_DUCKDB_HINTS = {
    "CatalogException": "a table or column in the query does not exist",
    "ParserException": "the query is not valid SQL",
    "BinderException": "the query names a column that does not exist",
    "IOException": "the database file cannot be opened (is another program writing it?)",
    "PermissionException": "the query tried to write; the source is opened read only",
    "InvalidInputException": "the query is not one SELECT (the database is opened read only)",
}


def _duckdb_failure(error: BaseException, spec: SourceSpec) -> str:
    kind = type(error).__name__
    hint = _DUCKDB_HINTS.get(kind, "the query failed")
    return (
        f"The DuckDB source {Path(spec.path or '').name!r} could not be read: {hint} "
        f"({kind}). Check [rfm_source] path and query."
    )


def _duckdb_relation(spec: SourceSpec) -> tuple[Any, Any]:
    duckdb = _import_driver("duckdb", "duckdb")
    if not os.path.isfile(spec.path or ""):
        msg = (
            f"The DuckDB source's database file {spec.path!r} does not exist. Check "
            "[rfm_source] path (relative paths start from the folder the app runs in)."
        )
        raise DataError(msg)
    failure = None
    con: Any = None
    try:
        con = duckdb.connect(spec.path, read_only=True)
        relation = con.sql(_strip_query(spec.query))
    except duckdb.Error as error:
        failure = _duckdb_failure(error, spec)
    if failure is not None:  # raised outside the handler: no driver text in __context__
        if con is not None:
            con.close()
        raise DataError(failure)
    if relation is None:
        con.close()
        msg = "The DuckDB source's query returns no table. Write one SELECT in [rfm_source] query."
        raise DataError(msg)
    return con, relation


def _read_duckdb(spec: SourceSpec, limits: Limits) -> pl.DataFrame:
    duckdb = _import_driver("duckdb", "duckdb")
    con, relation = _duckdb_relation(spec)
    failure = None
    try:
        with con:
            frame = relation.limit(limits.max_rows + 1).pl()
    except duckdb.Error as error:
        failure = _duckdb_failure(error, spec)
    if failure is not None:
        raise DataError(failure)
    _check_rows(frame.height, limits, spec)
    return frame


def _summarize_duckdb(
    spec: SourceSpec, mapping: Mapping[str, str], as_of: dt.date | dt.datetime | str | None
) -> pl.DataFrame:
    from rfm.summary import summarize

    duckdb = _import_driver("duckdb", "duckdb")
    con, relation = _duckdb_relation(spec)
    failure = None
    with con:
        renamed = _renamed(relation, mapping)
        try:
            return summarize(renamed, as_of=as_of)
        except duckdb.Error as error:
            failure = _duckdb_failure(error, spec)
    raise DataError(failure)


def _strip_query(query: str | None) -> str:
    """The owner's query without trailing semicolons, to nest it as a subquery."""
    return (query or "").strip().rstrip(";").strip()


# --- PostgreSQL --------------------------------------------------------------------
#
# summarize runs on the server with the one narwhals definition every engine uses
# (rfm.summary.customer_aggregates). SQLFrame turns it into PostgreSQL SQL, but only
# as a compiler: its PostgresSession is not used to run anything, because it writes
# to the database when it starts (CREATE EXTENSION fuzzystrmatch, temporary views to
# learn a frame's schema), which a read-only analytics role may not do, needs
# psycopg2, and is a process-wide singleton. psycopg 3 runs the compiled SQL in a
# read-only transaction; the schema SQLFrame needs comes from the query's result
# description (LIMIT 0).

_SOURCE_TABLE = "rfm_source"
_PG_SPARK_TYPES = {
    "text": "string",
    "varchar": "string",
    "bpchar": "string",
    "char": "string",
    "name": "string",
    "uuid": "string",
    "int2": "bigint",
    "int4": "bigint",
    "int8": "bigint",
    "float4": "double",
    "float8": "double",
    "numeric": "double",
    "bool": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "timestamptz": "timestamp",
}


def _postgres_failure(error: BaseException, *, stage: str) -> str:
    """What to check, from the SQLSTATE alone: driver text can hold credentials."""
    code = str(getattr(error, "sqlstate", None) or "")
    kind = type(error).__name__
    # libpq's connection errors carry no SQLSTATE: their text is looked at here to
    # choose the advice, and never passed on.
    text = str(error).lower() if stage == "connect" else ""
    if stage == "connect" and kind == "ProgrammingError":
        return (
            "[rfm_source] url is not a valid PostgreSQL connection URL (a malformed part or "
            "an unknown option). Write it as postgresql://user:password@host:5432/database."
        )
    if code.startswith("28") or "authentication failed" in text or "password" in text:
        return (
            "Could not log in to the PostgreSQL source: the server refused the user name or "
            "password. Check the user and password in [rfm_source] url."
        )
    if code == "3D000" or ("database" in text and "does not exist" in text):
        return (
            "The PostgreSQL source's database does not exist on the server. Check the "
            "database name at the end of [rfm_source] url."
        )
    if stage == "connect":
        return (
            "Could not connect to the PostgreSQL source. Check the host, port and database "
            "in [rfm_source] url, and that the server accepts connections from this app."
        )
    if code == "25006":
        hint = "it tried to write, and the source is read only"
    elif code == "42501":
        hint = "the configured user may not read a table it names (GRANT SELECT)"
    elif code.startswith("42"):
        hint = "a table or column it names does not exist, or it is not valid SQL"
    elif code == "57014":
        hint = "it ran too long and was cancelled"
    else:
        hint = "it failed on the server"
    detail = f"{kind}, SQLSTATE {code}" if code else kind
    return (
        f"The PostgreSQL source's query could not run: {hint} ({detail}). Check "
        "[rfm_source] query: one SELECT that the configured user may run."
    )


def _postgres_connect(spec: SourceSpec) -> Any:
    psycopg = _import_driver("psycopg", "postgres")
    failure = None
    try:
        con = psycopg.connect(spec.url or "", connect_timeout=15)
        con.read_only = True
        con.execute("SET TIME ZONE 'UTC'")
    except psycopg.Error as error:
        failure = _postgres_failure(error, stage="connect")
    if failure is not None:  # raised outside the handler: no driver text in __context__
        raise DataError(failure)
    return con


def _postgres_rows(con: Any, query: str) -> pl.DataFrame:
    psycopg = _import_driver("psycopg", "postgres")
    failure = None
    try:
        with con.cursor() as cursor:
            cursor.execute(query)
            names = [column.name for column in cursor.description or ()]
            rows = cursor.fetchall()
    except psycopg.Error as error:
        failure = _postgres_failure(error, stage="query")
    if failure is not None:
        raise DataError(failure)
    return pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)


def _read_postgresql(spec: SourceSpec, limits: Limits) -> pl.DataFrame:
    with _postgres_connect(spec) as con:
        frame = _postgres_rows(
            con,
            f"SELECT * FROM ({_strip_query(spec.query)}) AS rfm_query LIMIT {limits.max_rows + 1:d}",
        )
    _check_rows(frame.height, limits, spec)
    return frame


def _postgres_source(
    con: Any, spec: SourceSpec, mapping: Mapping[str, str], as_of: dt.date | None
) -> tuple[Any, dict[str, str]]:
    """The owner's query narrowed to the canonical columns (and to ``as_of``), and
    their types."""
    psycopg = _import_driver("psycopg", "postgres")
    from psycopg import sql

    query = _strip_query(spec.query)
    failure = None
    try:
        with con.cursor() as cursor:
            cursor.execute(f"SELECT * FROM ({query}) AS rfm_query LIMIT 0")
            described = [
                (column.name, con.adapters.types.get(column.type_code))
                for column in cursor.description or ()
            ]
    except psycopg.Error as error:
        failure = _postgres_failure(error, stage="query")
    if failure is not None:
        raise DataError(failure)
    types = {name: (info.name if info is not None else "") for name, info in described}
    missing = [f"{c} (from {s!r})" for c, s in mapping.items() if s not in types]
    if missing:
        msg = (
            f"[rfm_source.columns] names columns the query does not return: "
            f"{', '.join(missing)}. Columns found: {', '.join(types)}."
        )
        raise DataError(msg)
    selected: list[sql.Composable] = []
    schema: dict[str, str] = {}
    values: dict[str, sql.Composable] = {}
    for canonical in CANONICAL:
        source = mapping.get(canonical, canonical)
        if source not in types:
            continue
        value: sql.Composable = sql.SQL("rfm_query.{}").format(sql.Identifier(source))
        if types[source] == "timestamptz":
            value = sql.SQL("({} AT TIME ZONE 'UTC')").format(value)
        values[canonical] = value
        selected.append(sql.SQL("{} AS {}").format(value, sql.Identifier(canonical)))
        schema[canonical] = _PG_SPARK_TYPES.get(types[source], "string")
    if not selected:
        selected = [sql.SQL("rfm_query.*")]  # summarize then names what is missing
        schema = {name: _PG_SPARK_TYPES.get(t, "string") for name, t in types.items()}
    # as_of narrows the rows here, as a bound parameter, so the compiled summary SQL
    # does not depend on it (compiling takes seconds; it is cached per schema).
    where: sql.Composable = sql.SQL("")
    if as_of is not None and "order_date" in values:
        where = sql.SQL(" WHERE CAST({} AS date) <= {}").format(
            values["order_date"], sql.Literal(as_of)
        )
    inner = sql.SQL("SELECT {} FROM ({}) AS rfm_query{}").format(
        sql.SQL(", ").join(selected),
        sql.SQL(query),  # the owner's fixed SQL
        where,
    )
    return inner.as_string(con), schema


def _summarize_postgresql(
    spec: SourceSpec, mapping: Mapping[str, str], as_of: dt.date | dt.datetime | str | None
) -> pl.DataFrame:
    from rfm.dates import as_of_date
    from rfm.summary import summary_from_aggregates

    as_of_day = as_of_date(as_of)
    with _postgres_connect(spec) as con:
        inner, schema = _postgres_source(con, spec, mapping, as_of_day)
        compiled = _compile_postgres(tuple(schema.items()))
        table = re.escape(f'"{_table_name(schema)}"')
        pattern = re.compile(rf'\b(FROM|JOIN) {table}( AS "[^"]+")?')
        statement, found = pattern.subn(
            lambda m: f"{m.group(1)} ({inner}){m.group(2) or ' AS rfm_source'}", compiled
        )
        if not found:  # pragma: no cover - a change in SQLFrame's output
            msg = "SQLFrame's SQL for the summary does not read the source table."
            raise RuntimeError(msg)
        aggregates = _postgres_rows(con, statement)
    return summary_from_aggregates(aggregates, as_of=as_of_day)


def _table_name(schema: Mapping[str, str]) -> str:
    # One catalogue entry per schema: SQLFrame's catalogue lives as long as the process.
    digest = hashlib.sha1(repr(sorted(schema.items())).encode()).hexdigest()[:12]
    return f"{_SOURCE_TABLE}_{digest}"


_COMPILE_LOCK = threading.Lock()
# customer_aggregates counts purchase lines without an order id as one order by
# filling the missing id with NUL, which cannot occur in real ids -- nor in a
# PostgreSQL text value. U+FFFF (a Unicode non-character) plays its part there.
_NUL_LITERAL = "'\x00'"
_PG_NO_ORDER_ID = "'\uffff'"


@functools.lru_cache(maxsize=16)
def _compile_postgres(schema: tuple[tuple[str, str], ...]) -> str:
    """customer_aggregates as PostgreSQL SQL over a table with ``schema``."""
    import narwhals.stable.v2 as nw

    from rfm.summary import customer_aggregates

    session = _sqlframe_session()
    # SQLFrame keeps one session per process; compile one summary at a time.
    with _COMPILE_LOCK:
        name = _table_name(dict(schema))
        session.catalog.add_table(name, dict(schema))
        frame = nw.from_native(session.sql(f'SELECT * FROM "{name}"'))
        native = customer_aggregates(frame, as_of=None).to_native()
        compiled = str(native.sql(dialect="postgres", pretty=False))
    return compiled.replace(_NUL_LITERAL, _PG_NO_ORDER_ID)


@functools.cache
def _sqlframe_classes() -> Any:
    sqlframe = _import_driver("sqlframe", "postgres")
    del sqlframe
    from sqlframe.base.catalog import Column
    from sqlframe.standalone import StandaloneSession
    from sqlframe.standalone.dataframe import StandaloneDataFrame
    from sqlglot.optimizer.annotate_types import annotate_types
    from sqlglot.optimizer.qualify import qualify

    frame_base: Any = StandaloneDataFrame
    session_base: Any = StandaloneSession

    class SchemaFrame(frame_base):
        """A compile-only frame that knows its schema from the catalogue.

        SQLFrame's standalone frames cannot tell their schema (narwhals asks for it);
        sqlglot's type annotation over the catalogue can, without a connection.
        """

        @property
        def _typed_columns(self) -> list[Any]:
            tables = self.session.catalog._schema
            expression = qualify(self.expression.copy(), schema=tables, dialect="postgres")
            expression = annotate_types(expression, schema=tables, dialect="postgres")
            return [
                Column(select.alias_or_name, None, _spark_type(select.type), True, False, False)
                for select in expression.selects
            ]

    class CompileSession(session_base):
        _df = SchemaFrame

        @property
        def _is_postgres(self) -> bool:
            # SQLFrame's functions pick PostgreSQL's spellings (no ISNULL(), ...).
            return True

        class Builder(session_base.Builder):
            DEFAULT_INPUT_DIALECT = "postgres"
            DEFAULT_OUTPUT_DIALECT = "postgres"

        builder = Builder()

    return CompileSession


def _spark_type(data_type: Any) -> str:
    return str(data_type.sql("spark")) if data_type is not None else "string"


def _sqlframe_session() -> Any:
    return _sqlframe_classes()()
