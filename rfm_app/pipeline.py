"""The app's one data module: cached wrappers around :mod:`rfm`.

Read, detect, clean, then one :func:`rfm.analysis_view` per (file, reading settings,
filters): every table a page draws -- KPIs, breakdowns, customers, clusters, models,
forecasts, the model check -- is computed here from that view, so the pages agree.

Caching rules (see STYLE.md):

* Every cached function is keyed on the SHA-256 of the whole file (``digest``), never on
  a large frame and never on a file name (two users may upload different files with the
  same name). The bytes themselves are passed as ``_data``, which is not part of the key.
* The caches are bounded by bytes, not entries (:mod:`rfm_app.frame_cache`), within the
  memory budget of :class:`rfm.Limits` (issue 15): a value larger than its cache's bound
  is computed, returned and not kept.
* The Data page and Overview path (read, detect, clean, filter and score, the analysis)
  is shared between sessions (:func:`shared`): keyed on the full SHA-256 of the bytes,
  only someone holding the same bytes can hit an entry, and the same file opened by many
  visitors (the sample every visitor lands on, a team's shared export) is read and scored
  once, not once per session. A file's entries go a minute after the last session using
  it disconnects. The table read as text is dropped as soon as it is cleaned.
* The rest (the analytics pages' models and tables) is per session (:func:`per_session`),
  dropped when the session disconnects.
* Values are kept as they are, never pickled: pickling a polars frame holds the GIL while
  it waits for polars' thread pool, and took part in the deadlock that froze the server
  (issue 15). ``st.cache_data`` is kept for results without frames; a test checks that.
* A bad file is an expected outcome, so errors are returned (and cached) as
  :class:`Failure` instead of raised: a wrong file is not re-parsed on every rerun.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import functools
import io
import json
import logging
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Final, ParamSpec, TypeVar

import polars as pl
import streamlit as st
from threadpoolctl import threadpool_limits

import rfm
from rfm import tables
from rfm.columns import REQUIRED, TEXT
from rfm.errors import ConvergenceError, DataError
from rfm.filters import Filters, age_group
from rfm.forecast import (
    ForecastTotals,
    at_risk_customers,
    customer_forecast,
    default_calibration_end,
    forecast_by,
    forecast_by_segment,
    forecast_totals,
    horizon_days,
)
from rfm.io.attach import AttachReport
from rfm.io.limits import Limits
from rfm.io.xls import XLS_MAGIC, xls_sheet_names
from rfm.quality import QualityReport
from rfm.view import AnalysisView
from rfm_app import session
from rfm_app.frame_cache import FrameCache, cached
from rfm_app.session import Payload, Settings, Source, resolve
from rfm_app.store import AttachedTable, DatasetStore, parse_key

logger = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

TTL: Final = "2h"
PREVIEW_ROWS: Final = 200

MEMORY_BUDGET: Final = Limits().memory_budget
"""What one upload may take to read and analyse (:attr:`rfm.Limits.memory_budget`, 1 GiB):
the caches below take their bounds from it."""
SHARED_BYTES: Final = MEMORY_BUDGET * 3 // 8
"""Bound of the cache shared by all sessions (cleaned transactions, views, dashboards)."""
SESSION_BYTES: Final = MEMORY_BUDGET // 4
"""Bound of each session's own cache (clusters, models, forecasts, page tables)."""
TTL_SECONDS: Final = 2 * 3600.0
RELEASE_GRACE: Final = 60.0
"""Seconds a file's shared entries stay once no session uses it (a reload reconnects)."""


@st.cache_resource(show_spinner=False)
def shared_frames() -> FrameCache:
    """The cache every session shares (one per server process), bounded by bytes."""
    return FrameCache(max_bytes=SHARED_BYTES, ttl=TTL_SECONDS, grace=RELEASE_GRACE)


_NO_SESSION: Final = FrameCache(max_bytes=SESSION_BYTES, ttl=TTL_SECONDS)
"""Stands in for a session's cache when the code runs outside a session (scripts, tests)."""


def _in_session() -> bool:
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    return get_script_run_ctx(suppress_warning=True) is not None


@st.cache_resource(scope="session", show_spinner=False, on_release=lambda cache: cache.clear())
def _session_cache() -> FrameCache:
    return FrameCache(max_bytes=SESSION_BYTES, ttl=TTL_SECONDS)


def session_frames() -> FrameCache:
    """This session's own cache, bounded by bytes; Streamlit drops it (and with it what it
    holds) when the session disconnects."""
    return _session_cache() if _in_session() else _NO_SESSION


@st.cache_resource(
    scope="session",
    max_entries=4,
    show_spinner=False,
    on_release=lambda held: held[0].release(held[1]),
)
def _holding(digest: str) -> tuple[FrameCache, str]:
    cache = shared_frames()
    cache.hold(digest)
    return cache, digest


def _hold(digest: Hashable) -> None:
    """Count this session as a user of the file ``digest`` until it disconnects (or moves
    on to four other files): the file's shared entries go once no session uses it."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    context = get_script_run_ctx(suppress_warning=True)
    if isinstance(digest, str) and context is not None:
        _holding(digest)
        _uploads_go_at_disconnect(context.session_id)


def _forget_uploads(session_id: str) -> None:
    from streamlit import runtime

    if runtime.exists():
        runtime.get_instance().uploaded_file_mgr.remove_session_files(session_id)


@st.cache_resource(scope="session", show_spinner=False, on_release=_forget_uploads)
def _uploads_go_at_disconnect(session_id: str) -> str:
    """Streamlit keeps a session's uploaded files until the session is shut down, which a
    closed tab's session never is: it only expires from the store of sessions that may
    reconnect, and its files stayed in memory for good (146 MiB per 1M-row upload). The
    files go when the session disconnects; the session's own copy of the bytes (its
    :class:`Source`) goes with its state."""
    return session_id


def shared(*, spinner: str | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Cache in :func:`shared_frames`, tagged with the ``digest`` argument."""
    return cached(shared_frames, tag="digest", spinner=spinner, on_call=_hold)


def per_session(*, spinner: str | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Cache in :func:`session_frames`."""
    return cached(session_frames, spinner=spinner)


@dataclass(frozen=True)
class Failure:
    """Why the current file cannot be analysed, with the library's structured facts
    (:class:`rfm.DataError`'s ``field``, ``expected``, ``found``, ``choices``) so the
    pages can say what to choose instead of repeating advice written for code."""

    message: str
    kind: str
    column: str | None = None
    candidates: tuple[str, ...] = ()
    field: str | None = None
    expected: str | None = None
    found: str | None = None

    @property
    def ambiguous_dates(self) -> bool:
        """True when the way forward is to choose how to read the dates: every date reads
        both day-first and month-first, or the column mixes the two."""
        return self.kind in {"AmbiguousDatesError", "MixedDatesError"} and bool(self.candidates)

    @property
    def mixed_dates(self) -> bool:
        """True when the date column mixes day-first and month-first values."""
        return self.kind == "MixedDatesError"

    @property
    def for_analyst(self) -> str:
        """The message without the library's advice to callers (``Pass columns=...``,
        ``pass date_format=...``), ended by what to choose in the app."""
        text = re.sub(r"\s*,? ?or pass date_format=.*?(?=\.\s|\.$)", "", self.message)
        text = re.sub(r"\s*Pass (columns|date_format|sheet)=.*?(\.(\s|$)|$)", " ", text).strip()
        if self.field is not None and self.kind == "DataError":
            label = self.field.replace("_", " ")
            text += f" Choose the {label} column below and press Apply."
        return text


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
    """Everything the Overview and Segments pages draw, from one view (small tables)."""

    report: rfm.QualityReport
    preview: pl.DataFrame
    kpis: rfm.Kpis
    counts: rfm.CustomerCounts
    as_of: date
    coverage: tuple[date, date]
    segments: pl.DataFrame
    """:func:`rfm.tables.segment_report` of the view's customers (sizes, orders,
    averages, actions)."""
    by_segment: pl.DataFrame
    """:meth:`rfm.AnalysisView.breakdown` by segment: revenue, orders and units per
    segment, plus a "(returns only)" row when some customers only returned goods, so it
    adds up to the KPIs."""
    activity: pl.DataFrame
    scores: pl.DataFrame
    frequency: pl.DataFrame
    monthly: pl.DataFrame
    yearly: pl.DataFrame
    gender: pl.DataFrame | None
    grid: pl.DataFrame
    optional_columns: tuple[str, ...]
    attached: tuple[tuple[AttachedTable, AttachReport], ...] = ()
    """Each attached table with what its join matched (see :func:`joined`)."""


def _failure(error: Exception) -> Failure:
    if isinstance(error, DataError | ConvergenceError):  # messages written for people
        return Failure(
            message=str(error),
            kind=type(error).__name__,
            column=getattr(error, "column", None),
            candidates=tuple(getattr(error, "choices", ()) or ()),
            field=getattr(error, "field", None),
            expected=getattr(error, "expected", None),
            found=getattr(error, "found", None),
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


@shared(spinner="Reading the file…")
def _raw_table(digest: str, _data: Payload, sheet: str | None = None) -> rfm.RawTable | Failure:
    try:
        return rfm.read_table(resolve(_data), sheet=sheet)
    except Exception as error:
        return _failure(error)


def _cleaned(digest: str, sheet: str | None) -> bool:
    """True when a cleaned table of the file's ``sheet`` is kept (any reading settings)."""
    name = f"{__name__}._transactions"
    return any(
        key[0] == name and ("digest", digest) in key[1] and ("sheet", sheet) in key[1]
        for key in shared_frames()
        if isinstance(key, tuple) and len(key) == 2 and isinstance(key[1], tuple)
    )


@shared(spinner="Detecting columns…")
def table_profile(
    digest: str,
    _source: Source,
    sheet: str | None = None,
    _stored: tuple[DatasetStore, str] | None = None,
) -> TableProfile | Failure:
    """Column names, detected mapping and a raw preview of ``_source`` (keyed on ``digest``).

    ``_stored`` is where a stored dataset keeps its profile beside its parsed table (see
    :func:`keep_parsed`): a reopened link shows the Data page without reading the file.
    """
    kept = _stored_profile(digest, sheet, _stored)
    if kept is not None:
        return kept
    raw = _raw_table(digest, _source.payload, sheet)
    if isinstance(raw, Failure):
        return raw
    if _cleaned(digest, sheet):
        # Read again for a profile after the cleaning (another visitor's upload, say):
        # nothing else needs the text table now.
        shared_frames().discard(_raw_table.key(digest, _source.payload, sheet))  # type: ignore[attr-defined]
    return _profile(raw)


def _profile(raw: rfm.RawTable) -> TableProfile | Failure:
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
def workbook_sheets(digest: str, _data: Payload) -> tuple[str, ...]:
    """The sheet names of a workbook whose chosen sheet cannot be read, so the analyst can
    pick another (empty for other files, or when no other sheet reads either).

    A workbook often opens on a cover or summary sheet; the names come from reading one
    of the next sheets, through the same checks as any upload.
    """
    try:
        data = resolve(_data)
    except DataError:  # no longer kept: nothing to choose from
        return ()
    if data.startswith(XLS_MAGIC):  # .xls: the names come from the workbook globals
        try:
            return xls_sheet_names(data)
        except Exception:
            return ()
    if not data.startswith(b"PK"):  # not a zip archive, so not .xlsx
        return ()
    for index in range(1, 4):
        try:
            return rfm.read_table(data, sheet=index).sheets
        except Exception:  # no such sheet, or that one is empty too
            continue
    return ()


def compact(transactions: pl.DataFrame) -> pl.DataFrame:
    """``transactions`` with its descriptive text columns (country, category, product, ...)
    as ``pl.Categorical``: 4 bytes a line instead of a 16-byte view, the same values.

    The ids stay text: they are joined with other tables on their values.
    """
    text = [
        name
        for name in TEXT
        if name in transactions.columns and transactions.schema[name] == pl.String
    ]
    if not text:
        return transactions
    return transactions.with_columns(pl.col(text).cast(pl.Categorical))


@shared(spinner="Cleaning transactions…")
def _transactions(
    digest: str,
    _data: Payload,
    columns: tuple[tuple[str, str], ...] | None,
    date_format: str | None,
    sheet: str | None = None,
) -> rfm.ReadResult | Failure:
    raw = _raw_table(digest, _data, sheet)
    if isinstance(raw, Failure):
        return raw
    # The Data page shows the text table's profile: take it while the table is here, or
    # the page reads the whole file again for it once the table is dropped (below).
    profile_key = table_profile.key(digest, None, sheet)  # type: ignore[attr-defined]
    shared_frames().get(profile_key, functools.partial(_profile, raw), tag=digest)
    try:
        result = rfm.read_transactions(
            raw, columns=None if columns is None else dict(columns), date_format=date_format
        )
    except Exception as error:
        return _failure(error)
    finally:
        # The text table is as large as the cleaned one: once cleaned, only a change of
        # columns or date format needs it again, and reading the file again is cheaper
        # than holding it (the Data page's profile of it is kept apart).
        shared_frames().discard(_raw_table.key(digest, _data, sheet))  # type: ignore[attr-defined]
    try:
        return result._replace(transactions=compact(result.transactions))
    except Exception as error:
        return _failure(error)


# -- second tables joined to the transactions, and the stored parsed table (issue 14) ------


@dataclass(frozen=True)
class Joined:
    """The cleaned transactions with the attached tables joined, and what was said about
    them (the quality report of the main file, then each join's report)."""

    transactions: pl.DataFrame
    report: rfm.QualityReport
    attached: tuple[tuple[AttachedTable, AttachReport], ...] = ()
    from_store: bool = False
    """True when read from the dataset store's Parquet (no parsing)."""


_JOIN_ORDER: Final = ("customers", "returns")
"""Customers first, so the return lines added after carry their customer's attributes."""
_ATTACHED_WHAT: Final = {"customers": "customer table", "returns": "returns table"}


def _notes(joined: Joined, profile: TableProfile | None) -> str:
    """The reports (and the Data page's profile of the file) as JSON, kept in the stored
    Parquet's metadata; never a pickle. The profile's 200-row preview goes as Parquet
    bytes in base64, so its column types come back as they were."""
    notes: dict[str, Any] = {
        "quality": dataclasses.asdict(joined.report),
        "attached": [dataclasses.asdict(report) for _, report in joined.attached],
    }
    if profile is not None:
        preview = io.BytesIO()
        profile.preview.write_parquet(preview)
        described = {
            name: getattr(profile, name)
            for name in (field.name for field in dataclasses.fields(profile))
            if name != "preview"
        }
        notes["profile"] = {**described, "preview": base64.b64encode(preview.getvalue()).decode()}
    return json.dumps(notes)


def _stored_profile(
    digest: str, sheet: str | None, stored: tuple[DatasetStore, str] | None
) -> TableProfile | None:
    if stored is None:
        return None
    store, token = stored
    try:
        found = store.parsed_notes(token)
        if found is None:
            return None
        key, text = json.loads(found[0]), json.loads(found[1])
        described = text.get("profile")
        if described is None or key["digest"] != digest or key["sheet"] != sheet:
            return None
        return TableProfile(
            columns=tuple(described["columns"]),
            detected=dict(described["detected"]),
            preview=pl.read_parquet(io.BytesIO(base64.b64decode(described["preview"]))),
            source_format=described["source_format"],
            encoding=described["encoding"],
            delimiter=described["delimiter"],
            header_row=described["header_row"],
            sheets=tuple(described["sheets"]),
            rows=described["rows"],
            rows_set_aside=described["rows_set_aside"],
            warnings=tuple(described["warnings"]),
        )
    except Exception:  # a damaged or foreign file: read the bytes instead
        logger.exception("The stored profile of a dataset could not be read")
        return None


def _from_notes(text: str) -> tuple[rfm.QualityReport, tuple[AttachReport, ...]]:
    notes = json.loads(text)
    quality = dict(notes["quality"])
    quality["warnings"] = tuple(quality.get("warnings", ()))
    attached = []
    for item in notes["attached"]:
        report = dict(item)
        report["warnings"] = tuple(report.get("warnings", ()))
        attached.append(AttachReport(**report))
    return QualityReport(**quality), tuple(attached)


def _attach_one(
    transactions: pl.DataFrame, attachment: AttachedTable, data: Payload
) -> tuple[pl.DataFrame, AttachReport] | Failure:
    what = _ATTACHED_WHAT.get(attachment.table, "table")
    # ``attachment.digest`` is the SHA-256 of ``data`` (the files are keyed by it, and a
    # sheet of the transactions' own workbook has the workbook's).
    raw = _raw_table(attachment.digest, data, attachment.sheet)
    if isinstance(raw, Failure):
        return replace(raw, message=f"The attached {what} could not be read. {raw.message}")
    try:
        if attachment.table == "returns":
            return rfm.attach_returns(transactions, raw)
        return rfm.attach_customers(transactions, raw)
    except Exception as error:
        failure = _failure(error)
        return replace(
            failure, message=f"The attached {what} could not be joined. {failure.message}"
        )


@shared(spinner="Joining the attached tables…")
def _joined(
    digest: str,
    _data: Payload,
    columns: tuple[tuple[str, str], ...] | None,
    date_format: str | None,
    sheet: str | None,
    attachments: tuple[AttachedTable, ...],
    _files: dict[str, bytes] | None = None,
    _stored: tuple[DatasetStore, str] | None = None,
) -> Joined | Failure:
    # The attached files' bytes (``_files``) are not hashed: ``attachments`` names each by
    # its SHA-256, so the key covers their content. ``_stored`` is where a stored dataset's
    # parsed table may be; it is only used when it was read with exactly these settings.
    ordered = sorted(attachments, key=lambda a: _JOIN_ORDER.index(a.table))
    if _stored is not None:
        store, token = _stored
        key = parse_key(
            digest, columns=columns, date_format=date_format, sheet=sheet, attachments=attachments
        )
        try:
            kept = store.open_parsed(token, key)
            if kept is not None:
                report, reports = _from_notes(kept[1])
                if len(reports) == len(attachments):
                    return Joined(
                        transactions=kept[0],
                        report=report,
                        attached=tuple(zip(ordered, reports, strict=True)),
                        from_store=True,
                    )
        except Exception:  # a damaged or foreign file: parse the bytes instead
            logger.exception("The stored parsed transactions could not be read")
    result = _transactions(digest, _data, columns, date_format, sheet)
    if isinstance(result, Failure):
        return result
    transactions = result.transactions
    attached = []
    for attachment in ordered:
        data = _data if attachment.digest == digest else (_files or {}).get(attachment.digest)
        if data is None:
            return Failure(
                message=f"The attached {attachment.name} is no longer in this session. "
                "Attach it again.",
                kind="DataError",
            )
        outcome = _attach_one(transactions, attachment, data)
        if isinstance(outcome, Failure):
            return outcome
        transactions, join_report = outcome
        attached.append((attachment, join_report))
    return Joined(transactions=transactions, report=result.report, attached=tuple(attached))


def joined(source: Source, settings: Settings) -> Joined | Failure:
    """The cleaned transactions of ``source`` read with ``settings``, attached tables
    joined (cached and shared, not copied)."""
    return _joined(
        source.digest,
        source.payload,
        settings.columns,
        settings.date_format,
        settings.sheet,
        settings.attachments,
        session.attachment_files(),
        session.stored_dataset(),
    )


def try_attach(
    source: Source, settings: Settings, attachment: AttachedTable, data: bytes
) -> Joined | Failure:
    """Join ``attachment`` (read from ``data``) to the current transactions, in place of
    any table of the same kind: what :func:`joined` gives once it is attached."""
    attachments = (*(a for a in settings.attachments if a.table != attachment.table), attachment)
    files = {**session.attachment_files(), attachment.digest: data}
    return _joined(
        source.digest,
        source.payload,
        settings.columns,
        settings.date_format,
        settings.sheet,
        attachments,
        files,
        None,
    )


def keep_parsed(source: Source, settings: Settings) -> None:
    """Keep the cleaned, joined transactions in the dataset store (for a stored upload),
    so a reload or a teammate's link reads them instead of parsing the file."""
    found = joined(source, settings)
    if isinstance(found, Failure) or found.from_store or session.stored_dataset() is None:
        return
    key = parse_key(
        source.digest,
        columns=settings.columns,
        date_format=settings.date_format,
        sheet=settings.sheet,
        attachments=settings.attachments,
    )
    profile = table_profile(source.digest, source, settings.sheet)
    described = None if isinstance(profile, Failure) else profile
    session.keep_parsed(found.transactions, key=key, notes=_notes(found, described))


@shared(spinner="Scoring customers…")
def _view(
    digest: str,
    _data: Payload,
    columns: tuple[tuple[str, str], ...] | None,
    date_format: str | None,
    as_of: date | None,
    filters: Filters,
    sheet: str | None = None,
    attachments: tuple[AttachedTable, ...] = (),
    _files: dict[str, bytes] | None = None,
    _stored: tuple[DatasetStore, str] | None = None,
) -> AnalysisView | Failure:
    result = _joined(digest, _data, columns, date_format, sheet, attachments, _files, _stored)
    if isinstance(result, Failure):
        return result
    try:
        # The one view every page, download and model draws from: the transactions cut
        # at the as-of date and narrowed by the sidebar filters (rfm_app.filters).
        return rfm.analysis_view(result.transactions, as_of=as_of, filters=filters)
    except Exception as error:
        return _failure(error)


def view(
    source: Source, settings: Settings, filters: Filters | None = None
) -> AnalysisView | Failure:
    """The analysis view of ``source`` read with ``settings`` and narrowed by ``filters``
    (cached and shared, not copied)."""
    return _view(
        source.digest,
        source.payload,
        settings.columns,
        settings.date_format,
        settings.as_of,
        filters or Filters(),
        settings.sheet,
        settings.attachments,
        session.attachment_files(),
        session.stored_dataset(),
    )


def returns_only(source: Source, settings: Settings) -> pl.DataFrame | None:
    """Customers with only returns in the (unfiltered) view: id, lines, net value."""
    found = view(source, settings)
    return None if isinstance(found, Failure) else found.returns_only


def customers(
    source: Source, settings: Settings, filters: Filters | None = None
) -> pl.DataFrame | Failure:
    """The scored, segmented customer table of the view (one row per customer)."""
    found = view(source, settings, filters)
    return found if isinstance(found, Failure) else found.customers


def _analyse(result: Joined, found: AnalysisView) -> Analysis:
    segmented = found.customers
    transactions = found.transactions
    optional = tuple(name for name in transactions.columns if name not in REQUIRED)
    gender = None
    if "gender" in transactions.columns:
        genders = found.customer_attribute("gender").with_columns(
            pl.col("gender").fill_null("Unknown")
        )
        gender = tables.crosstab(
            genders.join(segmented.select("customer_id", "segment"), on="customer_id"),
            rows="segment",
            columns="gender",
        ).select("segment", "gender", "customers")
    return Analysis(
        report=result.report,
        preview=result.transactions.head(PREVIEW_ROWS),
        kpis=found.kpis(),
        counts=found.counts,
        as_of=found.as_of,
        coverage=found.coverage,
        segments=tables.segment_report(segmented),
        by_segment=found.breakdown("segment"),
        activity=tables.activity_table(segmented),
        scores=tables.score_histogram(segmented),
        frequency=tables.frequency_bands(segmented),
        monthly=found.breakdown("month"),
        yearly=found.breakdown("year"),
        gender=gender,
        grid=tables.segment_grid(segmented),
        optional_columns=optional,
        attached=result.attached,
    )


@shared(spinner="Building the dashboards…")
def analysis(
    digest: str, _source: Source, settings: Settings, filters: Filters | None = None
) -> Analysis | Failure:
    """KPIs and breakdowns of ``_source`` read with ``settings``, narrowed to the view
    ``filters`` (all small tables).

    ``digest`` (the SHA-256 of the file), ``settings`` and ``filters`` are the cache key. The
    per-customer table is kept apart (:func:`customers`) so that pages which only draw
    aggregates never copy it.
    """
    result = joined(_source, settings)
    if isinstance(result, Failure):
        return result
    found = view(_source, settings, filters)
    if isinstance(found, Failure):
        return found
    try:
        return _analyse(result, found)
    except Exception as error:
        return _failure(error)


def _settings_view(
    digest: str, data: Payload, settings: session.Settings, filters: Filters
) -> AnalysisView | Failure:
    # The same cached view the Overview draws from (not a copy).
    return _view(
        digest,
        data,
        settings.columns,
        settings.date_format,
        settings.as_of,
        filters,
        settings.sheet,
        settings.attachments,
        session.attachment_files(),
        session.stored_dataset(),
    )


def current_view() -> AnalysisView | Failure:
    """The analysis view of this session's data and filters."""
    from rfm_app import filters as view_filters  # the sidebar module imports this one

    return view(session.current_source(), session.current_settings(), view_filters.current())


def _key() -> tuple[str, Payload, session.Settings, Filters]:
    from rfm_app import filters as view_filters  # the sidebar module imports this one

    source = session.current_source()
    return source.digest, source.payload, session.current_settings(), view_filters.current()


MODEL_CHOICES: Final = ("best", "bg/nbd", "mbg/nbd", "pareto/nbd")
"""What the analyst can pick on the Churn page: the holdout's winner, or one model."""


@dataclass(frozen=True)
class ChurnModels:
    """The purchase and spend models of one view, and how the purchase model was chosen."""

    purchase: Any
    """The fitted purchase model the forecasts use (BG/NBD, MBG/NBD or Pareto/NBD)."""
    model_name: str
    why: str
    """Why this model, in words (the holdout comparison, or the analyst's override)."""
    choice: rfm.ModelChoice | None
    """The holdout comparison; None when the history is too short to run it."""
    check_failure: str | None
    spend: rfm.GammaGamma
    diagnosis: rfm.FitDiagnosis
    """What the purchase model can and cannot tell on this data."""
    customers: pl.DataFrame
    """The customers the models describe (the view's, with usable spend)."""
    left_out: int
    """Customers left out because their repeat purchases net to zero or less."""
    history_days: int
    one_time_buyers: int
    """Customers with one purchase day: BG/NBD counts them all as still active."""


PENALIZERS = (0.0, 0.001, 0.01)
"""Penalizers tried in turn. On logs where hardly anyone seems to drop out (steady buyers)
or spend hardly differs between customers, unpenalised parameters run off to the
boundary; the library then refuses the fit and suggests a small penalizer."""


@per_session()
def _models(
    digest: str, _data: Payload, settings: session.Settings, filters: Filters, model: str
) -> ChurnModels | Failure:
    from rfm.models.gamma_gamma import fit_spend_model, spend_describable  # loads scipy

    view = _settings_view(digest, _data, settings, filters)
    if isinstance(view, Failure):
        return view
    # Gamma-Gamma needs positive repeat spend; customers whose repeat days net to zero
    # (e.g. everything returned) cannot be described by it.
    customers = view.customers.filter(spend_describable())
    choice: rfm.ModelChoice | None = None
    check_failure: str | None = None
    try:
        # The model check runs on the view's own lines: its holdout ends at the view's
        # last day, never after the as-of date.
        choice = rfm.choose_purchase_model(
            view.transactions,
            as_of=view.as_of,
            calibration_end=default_calibration_end(view.transactions),
            holdout_end=view.last_day,
        )
    except (DataError, ConvergenceError) as error:
        check_failure = str(error)
    try:
        override = None if model == "best" else model
        if choice is not None:
            purchase = choice.fit(customers, model=override)
        else:
            purchase = rfm.purchase_model(override or "bg/nbd")
            for penalizer in PENALIZERS:
                try:
                    purchase = rfm.purchase_model(override or "bg/nbd", penalizer=penalizer)
                    purchase.fit(customers)
                    break
                except rfm.ConvergenceError:
                    if penalizer == PENALIZERS[-1]:
                        raise
        spend = fit_spend_model(customers)
    except Exception as error:
        return _failure(error)
    name = MODEL_NAMES[type(purchase).__name__]
    if choice is None:
        why = (
            f"{name} (no model check: {check_failure})"
            if model == "best"
            else f"{name}, chosen by you (no model check could run on this history)."
        )
    elif model == "best":
        why = choice.reason
    else:
        why = f"{name}, chosen by you. The model check prefers {choice.name}: {choice.reason}"
    return ChurnModels(
        purchase=purchase,
        model_name=name,
        why=why,
        choice=choice,
        check_failure=check_failure,
        spend=spend,
        diagnosis=purchase.diagnose(),
        customers=customers,
        left_out=view.customers.height - customers.height,
        history_days=(view.as_of - view.first_day).days,
        one_time_buyers=customers.filter(pl.col("purchase_days") == 1).height,
    )


MODEL_NAMES: Final = {"BetaGeo": "BG/NBD", "ModifiedBetaGeo": "MBG/NBD", "ParetoNBD": "Pareto/NBD"}


def fitted_models(model: str = "best") -> ChurnModels | Failure:
    """The purchase model (the holdout's winner, or ``model``) and Gamma-Gamma, fitted on
    the current view (cached)."""
    return _models(*_key(), model)


@per_session()
def _forecast(
    digest: str,
    _data: Payload,
    settings: session.Settings,
    filters: Filters,
    months: int,
    model: str,
) -> pl.DataFrame | Failure:
    models = _models(digest, _data, settings, filters, model)
    if isinstance(models, Failure):
        return models
    try:
        days = horizon_days(months)
        forecast = customer_forecast(
            models.customers,
            purchase_model=models.purchase,
            spend_model=models.spend,
            horizon_days=days,
        )
        risk = rfm.churn_risk(models.customers, model=models.purchase, days=days)
        return forecast.with_columns(
            risk.get_column("no_purchase_probability"), risk.get_column("churn_band")
        )
    except Exception as error:
        return _failure(error)


def _build_customer_table(
    view: AnalysisView, models: ChurnModels, clusters: rfm.ClusterResult | None, months: int
) -> pl.DataFrame:
    table = rfm.customer_table(
        view,
        purchase_model=models.purchase,
        spend_model=models.spend,
        horizon_days=horizon_days(months),
        clusters=clusters,
    )
    if not models.diagnosis.churn_estimable:
        # The page withholds churn figures this history cannot support; so does the file.
        risk = ("p_alive", "churn_probability", "no_purchase_probability", "churn_band")
        table = table.with_columns(pl.lit(None, dtype=table.schema[c]).alias(c) for c in risk)
    return table


def customer_table_builder(
    months: int, model: str = "best"
) -> Callable[[], pl.DataFrame] | Failure:
    """A function building everything the app knows per customer (segment, scores,
    activity, cluster, churn risk, expected purchases, revenue and units over ``months``,
    CLV), for a download built only when clicked.

    The cached models, view and clusters are gathered now, in the script's thread; the
    function only computes with the library (Streamlit runs a download's function in
    another thread, without the session), and keeps nothing: the table (43 MiB for a
    1M-line file, +140 MiB while built) lives only while its file is written.
    """
    key = _key()
    models = _models(*key, model)
    if isinstance(models, Failure):
        return models
    view = _settings_view(*key)
    if isinstance(view, Failure):
        return view
    found = _clusters(*key, None)
    clusters = None if isinstance(found, Failure) else found

    def build() -> pl.DataFrame:
        return _build_customer_table(view, models, clusters, months)

    return build


def forecast(months: int, model: str = "best") -> pl.DataFrame | Failure:
    """Per-customer churn risk and expected revenue over ``months`` (cached): the view's
    customers with ``p_alive``, ``churn_probability``, ``no_purchase_probability`` (in the
    horizon), ``churn_band`` and the expected purchases, spend, revenue and units."""
    return _forecast(*_key(), months, model)


@dataclass(frozen=True)
class ModelCheck:
    """How well the chosen model forecast the holdout, in purchase days and money."""

    accuracy: rfm.HoldoutAccuracy
    by_frequency: pl.DataFrame
    calibration_end: dt.date
    holdout_end: dt.date
    holdout_days: int
    customers: int


@per_session()
def _model_check(
    digest: str, _data: Payload, settings: session.Settings, filters: Filters, model: str
) -> ModelCheck | Failure | None:
    from rfm.models.gamma_gamma import fit_spend_model  # loads scipy

    models = _models(digest, _data, settings, filters, model)
    if isinstance(models, Failure):
        return models
    choice = models.choice
    if choice is None:
        return None
    try:
        split = choice.split
        key = {"BG/NBD": "bg/nbd", "MBG/NBD": "mbg/nbd", "Pareto/NBD": "pareto/nbd"}[
            models.model_name
        ]
        fitted = choice.candidates[key].model
        if fitted is None:
            return Failure(
                message=f"{models.model_name} did not fit the calibration period.",
                kind="ConvergenceError",
            )
        spend = fit_spend_model(split.calibration)
        evaluation = rfm.evaluate_holdout(fitted, split, spend_model=spend)
        groups = rfm.segment(rfm.score(split.calibration)).select("customer_id", "segment")
        accuracy = rfm.holdout_accuracy(
            evaluation, by="segment", groups=groups, currency=session.currency()
        )
        if accuracy.by_group is not None:  # segments best first, as on every page
            order = {name: index for index, name in enumerate(rfm.segment_levels())}
            ranked = accuracy.by_group.sort(
                pl.col("segment").replace_strict(order, default=len(order), return_dtype=pl.Int64)
            )
            accuracy = dataclasses.replace(accuracy, by_group=ranked)
    except Exception as error:
        return _failure(error)
    return ModelCheck(
        accuracy=accuracy,
        by_frequency=evaluation.by_frequency,
        calibration_end=split.calibration_end,
        holdout_end=split.holdout_end,
        holdout_days=split.holdout_days,
        customers=split.calibration.height,
    )


def model_check(model: str = "best") -> ModelCheck | Failure | None:
    """The calibration / holdout check of the model the forecasts use (None: no check
    could run on this history)."""
    return _model_check(*_key(), model)


@per_session()
def _clusters(
    digest: str, _data: Payload, settings: session.Settings, filters: Filters, k: int | None
) -> rfm.ClusterResult | Failure:
    view = _settings_view(digest, _data, settings, filters)
    if isinstance(view, Failure):
        return view
    try:
        # KMeans' OpenMP threads oversubscribe a busy 2-core host (50 s instead of 2 s
        # measured here); one thread is fast enough for one row per customer.
        with threadpool_limits(limits=1):
            return rfm.cluster(view.customers, k=k, random_state=0)
    except Exception as error:
        return _failure(error)


def clusters(k: int | None) -> rfm.ClusterResult | Failure:
    """KMeans clusters of the current view's customers (``k=None``: chosen by silhouette)."""
    return _clusters(*_key(), k)


@dataclass(frozen=True)
class CustomerTables:
    """The Customers page's tables, from the view (focused on some segments, or all).

    A table is ``None`` when the data lacks the column that would enable it.
    """

    customers: pl.DataFrame
    """The view's customers (of the focused segments)."""
    by_line_column: dict[str, pl.DataFrame]
    """:meth:`rfm.AnalysisView.breakdown` by each line column present (age group,
    gender, country, payment method, category, department, theme)."""
    tenure: pl.DataFrame
    cohorts: pl.DataFrame
    cohort_source: str
    monthly: pl.DataFrame


_MEASURE_COLUMNS: Final = (
    "customer_id",
    "order_date",
    "amount",
    "is_return",
    "order_id",
    "quantity",
)
"""The line columns :mod:`rfm.measures` counts with."""

_LINE_COLUMNS: Final[tuple[str, ...]] = (
    "age_group",
    "gender",
    "country",
    "state",
    "region",
    "city",
    "payment_method",
    "category",
    "department",
    "theme",
)


@per_session()
def _customer_tables(
    digest: str,
    _data: Payload,
    settings: session.Settings,
    filters: Filters,
    focus: tuple[str, ...],
) -> CustomerTables | Failure:
    found = _settings_view(digest, _data, settings, filters)
    if isinstance(found, Failure):
        return found
    try:
        customers = found.customers
        # Only the columns these tables read: the focus's join copies what it is given.
        wanted = (*_MEASURE_COLUMNS, *_LINE_COLUMNS, "age", "birth_date", "signup_date")
        wanted += (rfm.measures.CUSTOMER_KEY, rfm.measures.ORDER_KEY)  # the lighter counts
        keyed = found.keyed_transactions
        lines = keyed.select(c for c in keyed.columns if c in wanted)
        if focus:
            customers = customers.filter(pl.col("segment").is_in(list(focus)))
            lines = lines.join(customers.select("customer_id"), on="customer_id", how="semi")
        age = age_group(lines.columns, as_of=found.as_of)  # ages at the view's as-of date
        if age is not None:
            lines = lines.with_columns(age)
        by_column = {
            column: rfm.breakdown(lines, by=column, coverage=found.coverage)
            for column in _LINE_COLUMNS
            if column in lines.columns
        }
        start, source = "first_purchase", "first purchase"
        if "signup_date" in lines.columns:
            signup = (  # grouped by the integer customer keys: the text ids once per customer
                lines.group_by(rfm.measures.CUSTOMER_KEY)
                .agg(pl.col("customer_id").first(), pl.col("signup_date").cast(pl.Date).min())
                .drop(rfm.measures.CUSTOMER_KEY)
            )
            customers_with = customers.join(signup, on="customer_id", how="left")
            if customers_with["signup_date"].null_count() < customers_with.height:
                start, source, customers = "signup_date", "signup date", customers_with
        return CustomerTables(
            customers=customers,
            by_line_column=by_column,
            tenure=tables.revenue_by_tenure(customers),
            cohorts=tables.revenue_by_cohort(customers, start=start, every="1q"),
            cohort_source=source,
            monthly=rfm.breakdown(lines, by="month", coverage=found.coverage).with_columns(
                (pl.col("orders") / pl.col("customers")).alias("orders_per_customer")
            ),
        )
    except Exception as error:
        return _failure(error)


def customer_tables(focus: tuple[str, ...] = ()) -> CustomerTables | Failure:
    """The Customers page's tables for this session's view, focused on ``focus`` segments."""
    return _customer_tables(*_key(), focus)


@dataclass(frozen=True)
class ForecastTables:
    """The Churn & CLV page's tables for the current view, horizon, model and focus."""

    customers: pl.DataFrame
    """The forecast rows of the focused customers (all when no focus)."""
    totals: ForecastTotals
    by_segment: pl.DataFrame
    """Churn risk, band mix and expected revenue per segment, in segment order."""
    by_column: dict[str, pl.DataFrame]
    """Expected purchases, revenue and units by each line column present (country,
    region, city, category, retailer), split by past purchase value."""
    at_risk: pl.DataFrame


_FORECAST_COLUMNS: Final[tuple[str, ...]] = ("country", "region", "city", "category", "retailer")


@per_session()
def _forecast_tables(
    digest: str,
    _data: Payload,
    settings: session.Settings,
    filters: Filters,
    months: int,
    model: str,
    focus: tuple[str, ...],
) -> ForecastTables | Failure:
    found = _forecast(digest, _data, settings, filters, months, model)
    if isinstance(found, Failure):
        return found
    view = _settings_view(digest, _data, settings, filters)
    if isinstance(view, Failure):
        return view
    try:
        everyone = found
        chosen = everyone.filter(pl.col("segment").is_in(list(focus))) if focus else everyone
        risk = rfm.churn_by(everyone, by="segment")
        money = forecast_by_segment(everyone).drop("customers")
        order = {name: index for index, name in enumerate(rfm.segment_levels())}
        by_segment = (
            risk.join(money, on="segment", how="left")
            .with_columns(
                pl.col("segment")
                .replace_strict(order, default=len(order), return_dtype=pl.Int64)
                .alias("__order")
            )
            .sort("__order")
            .drop("__order")
        )
        lines = view.transactions
        # forecast_by filters the lines before it picks its columns: hand it only those
        # it reads, so the filter copies four columns, not every one (~100 MiB at 1M lines).
        by_column = {
            column: forecast_by(
                chosen,
                lines.select(pl.col("customer_id", "amount", "is_return", column)),
                by=column,
            )
            for column in _FORECAST_COLUMNS
            if column in lines.columns
        }
        return ForecastTables(
            customers=chosen,
            totals=forecast_totals(chosen),
            by_segment=by_segment,
            by_column=by_column,
            at_risk=at_risk_customers(chosen, top=None),
        )
    except Exception as error:
        return _failure(error)


def forecast_tables(
    months: int, model: str = "best", focus: tuple[str, ...] = ()
) -> ForecastTables | Failure:
    """The Churn & CLV page's tables (cached), focused on ``focus`` segments."""
    return _forecast_tables(*_key(), months, model, focus)


# --- How customers move (issue 13): segment migration, cohorts, period over period ---------------
#
# All three are computed from the view's transactions (cut at its as-of date and narrowed by
# the sidebar filters), with the view's as-of date as the later date, so the Movement page and
# the Overview deltas count exactly what the other pages count.


def _row_filtered_view(
    digest: str, data: Payload, settings: session.Settings, filters: Filters
) -> AnalysisView | Failure:
    """The view with the segment filter lifted (the row filters kept).

    Segments are measured on everything the row filters keep, so this view's customers
    carry the very segments of the filtered view's; movement needs all of them to say
    where the chosen segments' customers came from.
    """
    if not filters.segments:
        return _settings_view(digest, data, settings, filters)
    return _settings_view(digest, data, settings, replace(filters, segments=()))


def default_earlier(as_of: date, first_day: date) -> date:
    """One period before ``as_of``: a quarter, or a month, a week or half the span when
    the data cover less than two of them (never before ``first_day``)."""
    for period in ("1q", "1mo", "1w"):
        earlier = pl.select(pl.lit(as_of).dt.offset_by(f"-{period}")).item()
        if pl.select(pl.lit(earlier).dt.offset_by(f"-{period}")).item() >= first_day:
            assert isinstance(earlier, date)
            return earlier
    return first_day + (as_of - first_day) / 2


@per_session(spinner="Comparing segments…")
def _movement(
    digest: str,
    _data: Payload,
    settings: session.Settings,
    filters: Filters,
    earlier: date,
    edges: str,
) -> rfm.SegmentMigration | Failure:
    found = _row_filtered_view(digest, _data, settings, filters)
    if isinstance(found, Failure):
        return found
    try:
        return rfm.segment_migration(
            found.transactions,
            earlier=earlier,
            later=found.as_of,
            edges="earlier" if edges == "earlier" else "own",
        )
    except Exception as error:
        return _failure(error)


def movement(earlier: date, *, edges: str = "own") -> rfm.SegmentMigration | Failure:
    """Segments of the view's customers at ``earlier`` and at the view's as-of date (cached).

    The segment filter is lifted (see :func:`_row_filtered_view`); ``edges`` as in
    :func:`rfm.segment_migration`.
    """
    return _movement(*_key(), earlier, edges)


@per_session(spinner="Following cohorts…")
def _cohorts(
    digest: str, _data: Payload, settings: session.Settings, filters: Filters, every: str
) -> rfm.CohortRetention | Failure:
    found = _settings_view(digest, _data, settings, filters)
    if isinstance(found, Failure):
        return found
    try:
        return rfm.cohort_retention(found.transactions, every=every, as_of=found.last_day)
    except Exception as error:
        return _failure(error)


def cohorts(every: str) -> rfm.CohortRetention | Failure:
    """First-purchase cohorts of the view's customers, period by period (cached)."""
    return _cohorts(*_key(), every)


@per_session()
def _period_comparison(
    digest: str, _data: Payload, settings: session.Settings, filters: Filters
) -> rfm.PeriodComparison | Failure | None:
    if filters.segments:
        # Segments are measured at the end of the view; a period before it would need its
        # own segments, so the figures could not be compared like for like.
        return None
    found = _settings_view(digest, _data, settings, filters)
    if isinstance(found, Failure):
        return found
    # The view's dates are the current period; the lines before it come from the same
    # view without its date range (every other filter kept).
    whole = _settings_view(digest, _data, settings, replace(filters, date_range=None))
    if isinstance(whole, Failure):
        return whole
    try:
        return rfm.period_over_period(
            whole.transactions,
            as_of=found.last_day,
            days=(found.last_day - found.first_day).days + 1,
        )
    except Exception as error:
        return _failure(error)


def period_comparison() -> rfm.PeriodComparison | Failure | None:
    """The view's headline KPIs against the period of the same length before it (cached);
    ``None`` with a segment filter."""
    return _period_comparison(*_key())


# -- One customer: the Customer page's drill-down ----------------------------------------


@per_session()
def _customer_history(
    digest: str, _data: Payload, settings: session.Settings, filters: Filters, customer_id: str
) -> rfm.CustomerHistory | Failure:
    found = _settings_view(digest, _data, settings, filters)
    if isinstance(found, Failure):
        return found
    try:
        return rfm.customer_history(found, customer_id)
    except Exception as error:
        return _failure(error)


def customer_history(customer_id: str) -> rfm.CustomerHistory | Failure:
    """One customer of the current view: their row of the customer table and their lines
    (cached). An id that is not a customer of the view is a :class:`Failure` saying why."""
    return _customer_history(*_key(), customer_id)


@per_session()
def _customer_alive(
    digest: str,
    _data: Payload,
    settings: session.Settings,
    filters: Filters,
    customer_id: str,
    model: str,
) -> pl.DataFrame | Failure:
    history = _customer_history(digest, _data, settings, filters, customer_id)
    if isinstance(history, Failure):
        return history
    models = _models(digest, _data, settings, filters, model)
    if isinstance(models, Failure):
        return models
    try:
        return rfm.alive_history(history.lines, model=models.purchase, as_of=history.as_of)
    except Exception as error:
        return _failure(error)


def customer_alive(customer_id: str, model: str = "best") -> pl.DataFrame | Failure:
    """P(alive) of one customer at each day from their first purchase to the as-of date,
    under the purchase model the forecasts use (cached; see :func:`rfm.alive_history`)."""
    return _customer_alive(*_key(), customer_id, model)
