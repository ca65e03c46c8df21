"""Cached wrappers around :mod:`rfm`: read, detect, clean, summarise, score, segment.

Caching rules (see STYLE.md):

* Every cached function is keyed on the SHA-256 of the whole file (``digest``), never on
  a large frame (Streamlit hashes only a sample of big frames) and never on a file name
  (two users may upload different files with the same name). The bytes themselves are
  passed as ``_data``, which Streamlit does not hash.
* The Data page and Overview path (read, detect, clean, filter and score, the analysis)
  is shared between sessions: keyed on the full SHA-256 of the bytes, only someone
  holding the same bytes can hit an entry, and the same file opened by many visitors
  (the sample every visitor lands on, a team's shared export) is read and scored once,
  not once per session. These caches are bounded by ``max_entries`` for the whole server,
  whatever the number of sessions, and by a ``ttl``.
* The rest (the sheet list, the analytics pages' models) is per session
  (``scope="session"``), bounded by ``max_entries`` and a ``ttl``; a session's caches are
  dropped when it disconnects.
* Anything holding a polars frame uses ``st.cache_resource``, which hands back the same
  (immutable) object instead of pickling it in and unpickling a copy on every rerun.
  ``st.cache_data`` pickles its result, and pickling a polars frame holds the GIL while
  it waits for polars' thread pool: it took part in the deadlock that froze the server
  (issue 15). ``st.cache_data`` is kept for results without frames; a test checks that.
* A bad file is an expected outcome, so errors are returned (and cached) as
  :class:`Failure` instead of raised: a wrong file is not re-parsed on every rerun.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Final

import polars as pl
import streamlit as st

import rfm
from rfm import breakdowns
from rfm.columns import REQUIRED
from rfm.errors import ConvergenceError, DataError
from rfm.filters import FilteredData, Filters, apply_filters
from rfm_app.session import Settings, Source

logger = logging.getLogger(__name__)

TTL: Final = "2h"
PREVIEW_ROWS: Final = 200


@dataclass(frozen=True)
class Failure:
    """Why the current file cannot be analysed, in words for the analyst."""

    message: str
    kind: str
    column: str | None = None
    candidates: tuple[str, ...] = ()

    @property
    def ambiguous_dates(self) -> bool:
        """True when the only problem is a day-first / month-first choice."""
        return self.kind == "AmbiguousDatesError" and bool(self.candidates)


@dataclass(frozen=True)
class TableProfile:
    """What the Data page shows before any cleaning: columns, detection, raw preview."""

    columns: tuple[str, ...]
    detected: dict[str, str]
    preview: pl.DataFrame
    source_format: str
    encoding: str | None
    delimiter: str | None
    header_row: int | None
    sheets: tuple[str, ...]
    rows: int
    rows_set_aside: int
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Analysis:
    """Everything the pages draw, already aggregated (small, one row per customer at most)."""

    report: rfm.QualityReport
    preview: pl.DataFrame
    kpis: rfm.Kpis
    as_of: date | None
    segments: pl.DataFrame
    quantity: pl.DataFrame | None
    activity: pl.DataFrame
    scores: pl.DataFrame
    frequency: pl.DataFrame
    monthly: pl.DataFrame
    yearly: pl.DataFrame
    gender: pl.DataFrame | None
    grid: pl.DataFrame
    optional_columns: tuple[str, ...]


def _failure(error: Exception) -> Failure:
    if isinstance(error, DataError | ConvergenceError):  # messages written for people
        return Failure(
            message=str(error),
            kind=type(error).__name__,
            column=getattr(error, "column", None),
            candidates=tuple(getattr(error, "candidates", ()) or ()),
        )
    # Anything else is a bug or a file no reader anticipated: log it for us, and tell the
    # analyst something useful instead of showing a traceback.
    logger.exception("Unexpected error while analysing an uploaded file")
    return Failure(
        message=(
            f"This file could not be read ({type(error).__name__}: {error}). "
            "Check that it is a CSV, Excel or Parquet export of transactions, or try the "
            "sample data."
        ),
        kind=type(error).__name__,
    )


@st.cache_resource(max_entries=2, ttl=TTL, show_spinner="Reading the file…")
def _raw_table(digest: str, _data: bytes, sheet: str | None = None) -> rfm.RawTable | Failure:
    try:
        return rfm.read_table(_data, sheet=sheet)
    except Exception as error:
        return _failure(error)


@st.cache_resource(max_entries=8, ttl=TTL, show_spinner="Detecting columns…")
def table_profile(digest: str, _source: Source, sheet: str | None = None) -> TableProfile | Failure:
    """Column names, detected mapping and a raw preview of ``_source`` (keyed on ``digest``)."""
    raw = _raw_table(digest, _source.data, sheet)
    if isinstance(raw, Failure):
        return raw
    try:
        sample = raw.frame.head(1000)
        detected = dict(rfm.detect_columns(raw.frame.columns, sample))
    except Exception as error:
        return _failure(error)
    return TableProfile(
        columns=tuple(raw.frame.columns),
        detected=detected,
        preview=raw.frame.head(PREVIEW_ROWS),
        source_format=raw.source_format,
        encoding=raw.encoding,
        delimiter=raw.delimiter,
        header_row=raw.header_row,
        sheets=raw.sheets,
        rows=raw.frame.height,
        rows_set_aside=raw.rejected.height,
        warnings=tuple(raw.warnings),
    )


@st.cache_data(scope="session", max_entries=2, ttl=TTL, show_spinner=False)
def workbook_sheets(digest: str, _data: bytes) -> tuple[str, ...]:
    """The sheet names of a workbook whose chosen sheet cannot be read, so the analyst can
    pick another (empty for other files, or when no other sheet reads either).

    A workbook often opens on a cover or summary sheet; the names come from reading one
    of the next sheets, through the same checks as any upload.
    """
    if not _data.startswith(b"PK"):  # not a zip archive, so not .xlsx
        return ()
    for index in range(1, 4):
        try:
            return rfm.read_table(_data, sheet=index).sheets
        except Exception:  # no such sheet, or that one is empty too
            continue
    return ()


@st.cache_resource(max_entries=4, ttl=TTL, show_spinner="Cleaning transactions…")
def _transactions(
    digest: str,
    _data: bytes,
    columns: tuple[tuple[str, str], ...] | None,
    date_format: str | None,
    sheet: str | None = None,
) -> rfm.ReadResult | Failure:
    raw = _raw_table(digest, _data, sheet)
    if isinstance(raw, Failure):
        return raw
    try:
        return rfm.read_transactions(
            raw, columns=None if columns is None else dict(columns), date_format=date_format
        )
    except Exception as error:
        return _failure(error)


@st.cache_resource(max_entries=4, ttl=TTL, show_spinner="Scoring customers…")
def _view(
    digest: str,
    _data: bytes,
    columns: tuple[tuple[str, str], ...] | None,
    date_format: str | None,
    as_of: date | None,
    filters: Filters,
    sheet: str | None = None,
) -> FilteredData | Failure:
    result = _transactions(digest, _data, columns, date_format, sheet)
    if isinstance(result, Failure):
        return result
    try:
        # The sidebar filters (rfm_app.filters) narrow the data for every page.
        return apply_filters(result.transactions, filters, as_of=as_of)
    except Exception as error:
        return _failure(error)


def view(
    source: Source, settings: Settings, filters: Filters | None = None
) -> FilteredData | Failure:
    """The filtered transactions and their scored, segmented customers (shared, not copied)."""
    return _view(
        source.digest,
        source.data,
        settings.columns,
        settings.date_format,
        settings.as_of,
        filters or Filters(),
        settings.sheet,
    )


def rows_after_as_of(source: Source, settings: Settings) -> int:
    """Transactions dated after the chosen as-of date: read, but not counted."""
    if settings.as_of is None:
        return 0
    found = view(source, settings)
    if isinstance(found, Failure):
        return 0
    return found.transactions.filter(pl.col("order_date").dt.date() > settings.as_of).height


def customers(
    source: Source, settings: Settings, filters: Filters | None = None
) -> pl.DataFrame | Failure:
    """The scored, segmented customer table (one row per customer), shared, not copied."""
    found = view(source, settings, filters)
    return found if isinstance(found, Failure) else found.customers


def _analyse(result: rfm.ReadResult, found: FilteredData, as_of: date | None) -> Analysis:
    transactions = found.transactions
    segmented = found.customers
    optional = tuple(name for name in transactions.columns if name not in REQUIRED)
    return Analysis(
        report=result.report,
        preview=result.transactions.head(PREVIEW_ROWS),
        kpis=rfm.kpis(segmented),
        as_of=breakdowns.measured_as_of(segmented),
        segments=rfm.segment_table(segmented),
        quantity=(
            breakdowns.quantity_by_segment(segmented) if "quantity" in segmented.columns else None
        ),
        activity=breakdowns.activity_table(segmented),
        scores=breakdowns.score_histogram(segmented),
        frequency=breakdowns.frequency_bands(segmented),
        monthly=breakdowns.revenue_by_period(transactions, every="1mo", as_of=as_of),
        yearly=breakdowns.revenue_by_period(transactions, every="1y", as_of=as_of),
        gender=(
            breakdowns.gender_by_segment(transactions, segmented)
            if "gender" in transactions.columns
            else None
        ),
        grid=breakdowns.segment_grid(segmented),
        optional_columns=optional,
    )


@st.cache_resource(max_entries=16, ttl=TTL, show_spinner="Building the dashboards…")
def analysis(
    digest: str, _source: Source, settings: Settings, filters: Filters | None = None
) -> Analysis | Failure:
    """KPIs and breakdowns of ``_source`` read with ``settings``, narrowed to the view
    ``filters`` (all small tables).

    ``digest`` (the SHA-256 of the file), ``settings`` and ``filters`` are the cache key. The
    per-customer table is kept apart (:func:`customers`) so that pages which only draw
    aggregates never copy it.
    """
    result = _transactions(
        digest, _source.data, settings.columns, settings.date_format, settings.sheet
    )
    if isinstance(result, Failure):
        return result
    found = view(_source, settings, filters)
    if isinstance(found, Failure):
        return found
    try:
        return _analyse(result, found, settings.as_of)
    except Exception as error:
        return _failure(error)
