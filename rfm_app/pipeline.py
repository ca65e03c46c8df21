"""The app's one data module: cached wrappers around :mod:`rfm`.

Read, detect, clean, then one :func:`rfm.analysis_view` per (file, reading settings,
filters): every table a page draws -- KPIs, breakdowns, customers, clusters, models,
forecasts, the model check -- is computed here from that view, so the pages agree.

Caching rules (see STYLE.md):

* Every cached function is keyed on the SHA-256 of the whole file (``digest``), never on
  a large frame (Streamlit hashes only a sample of big frames) and never on a file name
  (two users may upload different files with the same name). The bytes themselves are
  passed as ``_data``, which Streamlit does not hash.
* Caches are per session (``scope="session"``), so one user never receives another's
  results, and they are bounded by ``max_entries`` and a ``ttl``; a session's caches are
  dropped when it disconnects.
* Large immutable intermediates (the raw table, the transactions) use
  ``st.cache_resource``, which hands back the same object instead of unpickling a copy
  of a million rows on every rerun. Small page-ready results use ``st.cache_data``.
* A bad file is an expected outcome, so errors are returned (and cached) as
  :class:`Failure` instead of raised: a wrong file is not re-parsed on every rerun.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Final, TypeVar

import polars as pl
import streamlit as st
from threadpoolctl import threadpool_limits

import rfm
from rfm import tables
from rfm.columns import REQUIRED
from rfm.errors import ConvergenceError, DataError
from rfm.filters import Filters
from rfm.forecast import customer_forecast, default_calibration_end, horizon_days
from rfm.view import AnalysisView
from rfm_app import session
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
    """Everything the Overview and Segments pages draw, from one view (small tables)."""

    report: rfm.QualityReport
    preview: pl.DataFrame
    kpis: rfm.Kpis
    counts: rfm.CustomerCounts
    as_of: date
    coverage: tuple[date, date]
    segments: pl.DataFrame
    """:func:`rfm.segment_table` of the view's customers (sizes, averages, actions)."""
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


@st.cache_resource(scope="session", max_entries=1, ttl=TTL, show_spinner="Reading the file…")
def _raw_table(digest: str, _data: bytes, sheet: str | None = None) -> rfm.RawTable | Failure:
    try:
        return rfm.read_table(_data, sheet=sheet)
    except Exception as error:
        return _failure(error)


@st.cache_data(scope="session", max_entries=2, ttl=TTL, show_spinner="Detecting columns…")
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


@st.cache_resource(scope="session", max_entries=2, ttl=TTL, show_spinner="Cleaning transactions…")
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


@st.cache_resource(scope="session", max_entries=4, ttl=TTL, show_spinner="Scoring customers…")
def _view(
    digest: str,
    _data: bytes,
    columns: tuple[tuple[str, str], ...] | None,
    date_format: str | None,
    as_of: date | None,
    filters: Filters,
    sheet: str | None = None,
) -> AnalysisView | Failure:
    result = _transactions(digest, _data, columns, date_format, sheet)
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
        source.data,
        settings.columns,
        settings.date_format,
        settings.as_of,
        filters or Filters(),
        settings.sheet,
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


def _analyse(result: rfm.ReadResult, found: AnalysisView) -> Analysis:
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
        segments=rfm.segment_table(segmented),
        by_segment=found.breakdown("segment"),
        activity=tables.activity_table(segmented),
        scores=tables.score_histogram(segmented),
        frequency=tables.frequency_bands(segmented),
        monthly=found.breakdown("month"),
        yearly=found.breakdown("year"),
        gender=gender,
        grid=tables.segment_grid(segmented),
        optional_columns=optional,
    )


@st.cache_data(scope="session", max_entries=4, ttl=TTL, show_spinner="Building the dashboards…")
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
        return _analyse(result, found)
    except Exception as error:
        return _failure(error)


@dataclass(frozen=True)
class FittedModels:
    """The churn (BG/NBD) and spend (Gamma-Gamma) models of one view."""

    purchase: rfm.BetaGeo
    spend: rfm.GammaGamma
    customers: pl.DataFrame
    """The customers the models describe (segmented summary with positive spend)."""
    left_out: int
    """Customers left out because their repeat purchases net to zero or less."""


@dataclass(frozen=True)
class ModelCheck:
    """Calibration / holdout comparison of the purchase models."""

    calibration_end: dt.date
    holdout_end: dt.date
    holdout_days: int
    customers: int
    scores: pl.DataFrame
    evaluations: dict[str, Any]
    best: str
    penalizer: float = 0.0
    """The penalizer of every candidate: the one the forecast's BG/NBD needed."""


def _settings_view(
    digest: str, data: bytes, settings: session.Settings, filters: Filters
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
    )


def current_view() -> AnalysisView | Failure:
    """The analysis view of this session's data and filters."""
    from rfm_app import filters as view_filters  # the sidebar module imports this one

    return view(session.current_source(), session.current_settings(), view_filters.current())


def _key() -> tuple[str, bytes, session.Settings, Filters]:
    from rfm_app import filters as view_filters  # the sidebar module imports this one

    source = session.current_source()
    return source.digest, source.data, session.current_settings(), view_filters.current()


@st.cache_resource(scope="session", max_entries=2, ttl=TTL, show_spinner=False)
def _models(
    digest: str, _data: bytes, settings: session.Settings, filters: Filters
) -> FittedModels | Failure:
    view = _settings_view(digest, _data, settings, filters)
    if isinstance(view, Failure):
        return view
    # Gamma-Gamma needs positive repeat spend; customers whose repeat days net to zero
    # (e.g. everything returned) cannot be described by it.
    usable = pl.col("avg_repeat_value").is_null() | (pl.col("avg_repeat_value") > 0)
    customers = view.customers.filter(usable)
    try:
        purchase = _fit_penalized(rfm.BetaGeo, customers)
        spend = _fit_penalized(rfm.GammaGamma, customers)
    except Exception as error:
        return _failure(error)
    return FittedModels(purchase, spend, customers, view.customers.height - customers.height)


PENALIZERS = (0.0, 0.001, 0.01)
"""Penalizers tried in turn. On logs where hardly anyone seems to drop out (steady buyers)
or spend hardly differs between customers, unpenalised parameters run off to the
boundary; the library then refuses the fit and suggests a small penalizer."""

Model = TypeVar("Model", rfm.BetaGeo, rfm.GammaGamma)


def _fit_penalized(model: type[Model], customers: pl.DataFrame) -> Model:
    for penalizer in PENALIZERS[:-1]:
        try:
            return model(penalizer=penalizer).fit(customers)
        except rfm.ConvergenceError:
            continue
    return model(penalizer=PENALIZERS[-1]).fit(customers)


def fitted_models() -> FittedModels | Failure:
    """BG/NBD and Gamma-Gamma fitted on the current view (cached)."""
    return _models(*_key())


@st.cache_data(scope="session", max_entries=4, ttl=TTL, show_spinner=False)
def _forecast(
    digest: str, _data: bytes, settings: session.Settings, filters: Filters, months: int
) -> pl.DataFrame | Failure:
    models = _models(digest, _data, settings, filters)
    if isinstance(models, Failure):
        return models
    try:
        return customer_forecast(
            models.customers,
            purchase_model=models.purchase,
            spend_model=models.spend,
            horizon_days=horizon_days(months),
        )
    except Exception as error:
        return _failure(error)


def forecast(months: int) -> pl.DataFrame | Failure:
    """Per-customer churn and expected revenue over ``months`` (cached)."""
    return _forecast(*_key(), months)


@st.cache_resource(scope="session", max_entries=2, ttl=TTL, show_spinner=False)
def _model_check(
    digest: str, _data: bytes, settings: session.Settings, filters: Filters, pareto: bool
) -> ModelCheck | Failure:
    view = _settings_view(digest, _data, settings, filters)
    if isinstance(view, Failure):
        return view
    try:
        # The split ends on the view's last covered day: nothing after its as-of date.
        end = default_calibration_end(view.transactions)
        split = rfm.calibration_holdout(
            view.transactions, calibration_end=end, holdout_end=view.last_day
        )
        usable = pl.col("avg_repeat_value").is_null() | (pl.col("avg_repeat_value") > 0)
        split = rfm.CalibrationHoldout(
            split.calibration.filter(usable),
            split.holdout,
            split.calibration_end,
            split.holdout_end,
            split.holdout_days,
        )
        # Judge the models as the forecast uses them: with its penalizer, if it needed one.
        models = _models(digest, _data, settings, filters)
        penalizer = 0.0 if isinstance(models, Failure) else models.purchase.penalizer
        candidates: list[Any] = [
            rfm.BetaGeo(penalizer=penalizer),
            rfm.ModifiedBetaGeo(penalizer=penalizer),
        ]
        if pareto:
            candidates.append(rfm.ParetoNBD(penalizer=penalizer))
        selection = rfm.select_model(split, candidates=candidates)
    except Exception as error:
        return _failure(error)
    return ModelCheck(
        calibration_end=split.calibration_end,
        holdout_end=split.holdout_end,
        holdout_days=split.holdout_days,
        customers=split.calibration.height,
        scores=selection.scores,
        evaluations=dict(selection.evaluations),
        best=type(selection.best).__name__,
        penalizer=penalizer,
    )


def model_check(*, pareto: bool) -> ModelCheck | Failure:
    """Calibration / holdout check of BG/NBD, MBG/NBD and, if ``pareto``, Pareto/NBD
    (cached). Pareto/NBD is optional: its fit took over a minute on some histories here
    (a 4,000-line slice of the sample) against a fraction of a second for the others."""
    return _model_check(*_key(), pareto)


@st.cache_resource(scope="session", max_entries=4, ttl=TTL, show_spinner=False)
def _clusters(
    digest: str, _data: bytes, settings: session.Settings, filters: Filters, k: int | None
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


_LINE_COLUMNS: Final[tuple[str, ...]] = (
    "age_group",
    "gender",
    "country",
    "payment_method",
    "category",
    "department",
    "theme",
)


@st.cache_resource(scope="session", max_entries=4, ttl=TTL, show_spinner=False)
def _customer_tables(
    digest: str,
    _data: bytes,
    settings: session.Settings,
    filters: Filters,
    focus: tuple[str, ...],
) -> CustomerTables | Failure:
    found = _settings_view(digest, _data, settings, filters)
    if isinstance(found, Failure):
        return found
    try:
        customers = found.customers
        lines = found.transactions
        if focus:
            customers = customers.filter(pl.col("segment").is_in(list(focus)))
            lines = lines.join(customers.select("customer_id"), on="customer_id", how="semi")
        by_column = {
            column: rfm.breakdown(lines, by=column, coverage=found.coverage)
            for column in _LINE_COLUMNS
            if column in lines.columns
        }
        start, source = "first_purchase", "first purchase"
        if "signup_date" in lines.columns:
            signup = lines.group_by("customer_id").agg(pl.col("signup_date").cast(pl.Date).min())
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


# --- How customers move (issue 13): segment migration, cohorts, period over period ---------------
#
# All three are computed from the view's transactions (cut at its as-of date and narrowed by
# the sidebar filters), with the view's as-of date as the later date, so the Movement page and
# the Overview deltas count exactly what the other pages count.


def _row_filtered_view(
    digest: str, data: bytes, settings: session.Settings, filters: Filters
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


@st.cache_resource(scope="session", max_entries=4, ttl=TTL, show_spinner="Comparing segments…")
def _movement(
    digest: str,
    _data: bytes,
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


@st.cache_resource(scope="session", max_entries=4, ttl=TTL, show_spinner="Following cohorts…")
def _cohorts(
    digest: str, _data: bytes, settings: session.Settings, filters: Filters, every: str
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


@st.cache_resource(scope="session", max_entries=4, ttl=TTL, show_spinner=False)
def _period_comparison(
    digest: str, _data: bytes, settings: session.Settings, filters: Filters
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
