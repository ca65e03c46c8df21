"""How customers move: segment migration between two dates, cohort retention, period over period.

RFM segments are a snapshot; these compare snapshots. Every figure comes from the same
pipeline as the rest of the library -- :func:`rfm.summarize` of the transactions up to a
date (or of one period's transactions), then :func:`rfm.score` and :func:`rfm.segment`;
a period's KPIs are those of its :func:`rfm.analysis_view` -- so a segment, a customer
count or a revenue here is the one the other views show for that date or period. What is
a purchase, a return or an order is decided by ``summarize`` and the view alone; the
helpers under "the only direct reads of transaction lines" only find who has any line at
all (returns-only customers, whom a summary leaves out) and add up a period's net amounts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import polars as pl

from rfm.columns import AMOUNT, CUSTOMER_ID, ORDER_DATE
from rfm.dates import to_date
from rfm.errors import DataError
from rfm.filters import Filters
from rfm.kpis import Kpis
from rfm.scoring import score
from rfm.segments import segment, segment_levels
from rfm.summary import summarize
from rfm.view import analysis_view

NEW_IN_PERIOD = "New in period"
"""From-state of customers whose first line is after the earlier date."""

RETURNS_ONLY = "Returns only"
"""State of customers with lines but no purchase up to a date (only returns)."""

CHANGES = ("up", "same", "down", "new")
"""Values of the ``change`` column of :attr:`SegmentMigration.customers`."""

HEADLINE_MEASURES = (
    "customers",
    "orders",
    "revenue",
    "quantity",
    "avg_order_value",
    "orders_per_customer",
)
"""The Overview's headline figures (fields of :class:`rfm.Kpis`) compared period over period."""

_DAY = "__day"
_FIRST_LINE = "__first_line"


# --- the only direct reads of transaction lines -----------------------------------------------


def _frame(transactions: pl.DataFrame | pl.LazyFrame, caller: str) -> pl.DataFrame:
    if isinstance(transactions, pl.LazyFrame):
        return transactions.collect()
    if not isinstance(transactions, pl.DataFrame):
        msg = (
            f"{caller} takes transactions as a polars DataFrame or LazyFrame. Got "
            f"{type(transactions).__module__}.{type(transactions).__qualname__}. "
            "Read them with rfm.read_transactions or convert them, e.g. pl.from_pandas(df)."
        )
        raise DataError(msg)
    missing = [c for c in (CUSTOMER_ID, ORDER_DATE, AMOUNT) if c not in transactions.columns]
    if missing:
        msg = (
            f"{caller} needs the canonical columns customer_id, order_date and amount. "
            f"Missing: {', '.join(missing)}. Read the data with rfm.read_transactions."
        )
        raise DataError(msg)
    return transactions


def _lines(transactions: pl.DataFrame) -> pl.LazyFrame:
    """The lines :func:`rfm.summarize` can place: a customer id and a date, as a day."""
    return (
        transactions.lazy()
        .with_columns(pl.col(ORDER_DATE).cast(pl.Date).alias(_DAY))
        .filter(pl.col(CUSTOMER_ID).is_not_null(), pl.col(_DAY).is_not_null())
    )


def _customer_lines(
    transactions: pl.DataFrame, *, earlier: dt.date, later: dt.date
) -> pl.DataFrame:
    """Every customer with a line on or before ``later``: first line day, net amount after ``earlier``.

    Summaries list only customers with a purchase; this also finds those whose lines are
    all returns, so nobody disappears, and their net amount of the period.
    """
    return (
        _lines(transactions)
        .filter(pl.col(_DAY) <= later)
        .group_by(pl.col(CUSTOMER_ID).cast(pl.String))
        .agg(
            pl.col(_DAY).min().alias(_FIRST_LINE),
            pl.col(AMOUNT).filter(pl.col(_DAY) > earlier).sum().cast(pl.Float64).alias("revenue"),
        )
        .collect()
    )


def _customers_with_lines(transactions: pl.DataFrame, *, as_of: dt.date) -> int:
    """How many customers have any line on or before ``as_of`` (returns-only ones too)."""
    seen = _lines(transactions).filter(pl.col(_DAY) <= as_of).select(pl.col(CUSTOMER_ID).n_unique())
    return int(seen.collect().item())


def _last_day(transactions: pl.DataFrame, caller: str) -> dt.date:
    last = _lines(transactions).select(pl.col(_DAY).max()).collect().item()
    if last is None:
        msg = (
            f"{caller} found no transaction with a customer id and a date. "
            "Check the data with rfm.read_transactions and its quality report."
        )
        raise DataError(msg)
    assert isinstance(last, dt.date)
    return last


# --- parameters ---------------------------------------------------------------------------------


def _date(value: object, name: str, caller: str) -> dt.date:
    day = to_date(value)
    if day is None:
        msg = (
            f"The {name!r} parameter of {caller} must be a date like '2023-12-31'. "
            f"Got {value!r}. Pass a datetime.date or an ISO date string."
        )
        raise DataError(msg)
    return day


def _period(every: str, caller: str) -> tuple[int, str]:
    match = re.fullmatch(r"(\d+)(w|mo|q|y)", every) if isinstance(every, str) else None
    if match is None or int(match.group(1)) < 1:
        msg = (
            f"The 'every' parameter of {caller} must be a calendar period like '1w', '1mo', "
            f"'1q' or '1y' (a count and w, mo, q or y). Got {every!r}."
        )
        raise ValueError(msg)
    return int(match.group(1)), match.group(2)


# --- segment migration --------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentMigration:
    """Segments of the same customers at two dates: who moved where.

    Built by :func:`segment_migration`; every frame lists states in :attr:`states` order.

    Attributes
    ----------
    earlier, later
        The two as-of dates.
    edges
        ``"own"`` or ``"earlier"``: whose bin edges scored the later date.
    states
        Row and column order of the tables: the segments best first (the order of
        :func:`rfm.segment_levels`), then ``"Returns only"``, then ``"New in period"``
        (a from-state only).
    customers
        One row per customer with a line on or before ``later``: ``customer_id``,
        ``previous_segment``, ``segment``, ``change`` (``up``, ``same``, ``down`` or
        ``new``), ``segment_since``, ``revenue`` (net amount dated after ``earlier`` up to
        ``later``), then ``previous_rfm_score``, ``rfm_score``, ``recency_days``,
        ``frequency`` and ``monetary`` at ``later`` (null for returns-only customers).
    transitions
        One row per non-empty ``from_segment`` -> ``to_segment`` pair: ``customers``,
        ``revenue`` (of the later period) and ``share`` (of the from-segment's customers).
    totals
        One row per state: ``earlier_customers`` (row sums of the transitions: the
        earlier snapshot's segment sizes, its returns-only customers and the new ones),
        ``later_customers`` (column sums: the later snapshot's sizes), ``net_change``,
        ``stayed``, ``moved_in`` and ``moved_out``.
    earlier_segments, later_segments
        The two snapshots: ``rfm.segment(rfm.score(rfm.summarize(...)))`` at each date
        (the later one scored on the earlier edges when ``edges="earlier"``).
    """

    earlier: dt.date
    later: dt.date
    edges: str
    states: tuple[str, ...]
    customers: pl.DataFrame
    transitions: pl.DataFrame
    totals: pl.DataFrame
    earlier_segments: pl.DataFrame
    later_segments: pl.DataFrame

    def between(self, from_segment: str, to_segment: str) -> pl.DataFrame:
        """The customers behind one cell of the transition table, most valuable first.

        Examples
        --------
        >>> import rfm
        >>> tx = rfm.datasets.load_sample()
        >>> moved = rfm.segment_migration(tx, earlier="2022-12-31", later="2023-12-31")
        >>> lost = moved.between("Champions", "At Risk")
        >>> set(lost["previous_segment"]) <= {"Champions"}, set(lost["segment"]) <= {"At Risk"}
        (True, True)
        """
        return self.customers.filter(
            pl.col("previous_segment") == from_segment, pl.col("segment") == to_segment
        ).sort("monetary", "customer_id", descending=[True, False], nulls_last=True)


def _check_states(rules: Mapping[int, Sequence[str]] | None) -> list[str]:
    names = segment_levels(rules)
    clash = sorted({NEW_IN_PERIOD, RETURNS_ONLY} & set(names))
    if clash:
        msg = (
            f"Segment names {clash!r} are reserved for customers outside the segments in a "
            "migration. Rename them in rules."
        )
        raise ValueError(msg)
    return names


def segment_migration(
    transactions: pl.DataFrame | pl.LazyFrame,
    *,
    earlier: dt.date | dt.datetime | str,
    later: dt.date | dt.datetime | str | None = None,
    rules: Mapping[int, Sequence[str]] | None = None,
    bins: int = 5,
    edges: Literal["own", "earlier"] = "own",
) -> SegmentMigration:
    """Segments of the same customers at two dates, each scored as of its own date.

    Each date's snapshot is exactly what the rest of the library shows for it:
    ``rfm.segment(rfm.score(rfm.summarize(transactions, as_of=date), bins=bins),
    rules=rules, bins=bins)``. Customers are then matched by ``customer_id``. Nobody
    disappears: every customer of the earlier snapshot is a customer at the later date
    too (with a longer recency if they did not come back), and two more states are rows
    and columns of their own:

    - ``"New in period"`` (from-state only): the customer's first line is after
      ``earlier``;
    - ``"Returns only"``: the customer has lines up to that date but none is a purchase,
      so no summary row (e.g. a return of something bought before the data starts).

    ``change`` compares positions in :attr:`SegmentMigration.states` (segments best
    first as :func:`rfm.segment_levels` lists them -- for the default rules the order
    of :data:`rfm.SEGMENTS`, Champions to Lost -- then Returns only): ``up`` to an
    earlier-listed state, ``down`` to a later-listed one, ``same``, or ``new``.

    ``segment_since`` is the first of the two compared dates from which the customer
    has been seen in their current segment: ``earlier`` when it is unchanged (they may
    have been in it longer, and a move away and back between the dates is not seen),
    ``later`` when it changed or the customer is new. Segments are measured at as-of
    dates, so the exact day of a change is not known; compare nearer dates to narrow it.

    Parameters
    ----------
    transactions
        Canonical transactions (see :func:`rfm.read_transactions`), e.g. an analysis
        view's transactions; lines after ``later`` are ignored.
    earlier, later
        The two as-of dates (``earlier < later``); lines on each date count for it.
        Default ``later``: the day after the last transaction, as in :func:`rfm.summarize`.
    rules, bins
        As in :func:`rfm.segment` and :func:`rfm.score`, the same for both dates.
    edges
        Whose score bin edges place the later date's customers. ``"own"`` (default):
        each date is scored among its own customers, so both snapshots are the segments
        every other view shows for that date, bins stay equal in size, and the column
        totals match the later date's Segments table. ``"earlier"``: the later date is
        scored on the earlier date's edges (:func:`rfm.score` with ``edges_from``), one
        fixed scale, so a base that drifts away shows as movement down -- but the later
        snapshot then differs from the later date's own segments.

    Returns
    -------
    SegmentMigration
        Per-customer table, transition table and totals; see its attributes.

    Raises
    ------
    DataError
        A date is not a date, ``earlier`` is not before ``later``, or the data have no
        customer at ``earlier`` when ``edges="earlier"``.
    ValueError
        ``edges`` is not ``"own"`` or ``"earlier"``, or ``bins`` / ``rules`` are invalid.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> import rfm
    >>> tx = pl.DataFrame({
    ...     "customer_id": ["a", "a", "b", "c"],
    ...     "order_date": [dt.datetime(2024, 1, 5), dt.datetime(2024, 3, 2),
    ...                    dt.datetime(2024, 1, 20), dt.datetime(2024, 2, 15)],
    ...     "amount": [10.0, 30.0, 5.0, 8.0],
    ... })
    >>> moved = rfm.segment_migration(tx, earlier="2024-01-31", later="2024-03-31", bins=2)
    >>> moved.customers.select("customer_id", "previous_segment", "segment", "change").rows()
    [('a', 'Loyal Customers', 'Champions', 'up'), ('b', 'Potential Loyalists', 'Need Attention', 'down'), ('c', 'New in period', 'Need Attention', 'new')]
    >>> moved.transitions["revenue"].sum()  # the amounts dated February and March
    38.0
    """
    caller = "segment_migration"
    if edges not in ("own", "earlier"):
        msg = f"The 'edges' parameter of {caller} must be 'own' or 'earlier'. Got {edges!r}."
        raise ValueError(msg)
    frame = _frame(transactions, caller)
    first = _date(earlier, "earlier", caller)
    if later is None:
        last = _last_day(frame, caller) + dt.timedelta(days=1)
    else:
        last = _date(later, "later", caller)
    if first >= last:
        msg = (
            f"segment_migration compares an earlier date with a later one. Got "
            f"earlier={first.isoformat()} and later={last.isoformat()}; swap or change them."
        )
        raise DataError(msg)
    names = _check_states(rules)
    before = summarize(frame, as_of=first)
    after = summarize(frame, as_of=last)
    if edges == "earlier" and before.height == 0:
        msg = (
            f"No customer has a purchase on or before earlier={first.isoformat()}, so there "
            "are no bin edges to score the later date on. Pick a later 'earlier' or edges='own'."
        )
        raise DataError(msg)
    earlier_segments = segment(score(before, bins=bins), rules=rules, bins=bins)
    later_segments = segment(
        score(after, bins=bins, edges_from=before if edges == "earlier" else None),
        rules=rules,
        bins=bins,
    )
    states = (*names, RETURNS_ONLY, NEW_IN_PERIOD)
    rank = {name: i for i, name in enumerate(states)}
    previous = earlier_segments.select(
        CUSTOMER_ID,
        pl.col("segment").alias("previous_segment"),
        pl.col("rfm_score").alias("previous_rfm_score"),
    )
    current = later_segments.select(
        CUSTOMER_ID, "segment", "rfm_score", "recency_days", "frequency", "monetary"
    )
    moved = pl.col("previous_segment") != pl.col("segment")
    # The later snapshot holds every customer but the returns-only ones, already sorted by
    # id: joining onto it in its order saves sorting 1M+ ids afterwards.
    lines = _customer_lines(frame, earlier=first, later=last)
    everyone = current.join(lines, on=CUSTOMER_ID, how="left", maintain_order="left")
    returns_only = lines.join(current, on=CUSTOMER_ID, how="anti")
    if returns_only.height:
        everyone = pl.concat([everyone, returns_only], how="diagonal").sort(CUSTOMER_ID)
    customers = (
        everyone.join(previous, on=CUSTOMER_ID, how="left", maintain_order="left")
        .with_columns(
            pl.col("previous_segment").fill_null(
                pl.when(pl.col(_FIRST_LINE) <= first)
                .then(pl.lit(RETURNS_ONLY))
                .otherwise(pl.lit(NEW_IN_PERIOD))
            ),
            pl.col("segment").fill_null(pl.lit(RETURNS_ONLY)),
        )
        .with_columns(
            pl.when(pl.col("previous_segment") == NEW_IN_PERIOD)
            .then(pl.lit("new"))
            .when(~moved)
            .then(pl.lit("same"))
            .when(
                pl.col("segment").replace_strict(rank, return_dtype=pl.Int32)
                < pl.col("previous_segment").replace_strict(rank, return_dtype=pl.Int32)
            )
            .then(pl.lit("up"))
            .otherwise(pl.lit("down"))
            .alias("change"),
            pl.when(moved).then(pl.lit(last)).otherwise(pl.lit(first)).alias("segment_since"),
        )
        .select(
            CUSTOMER_ID,
            "previous_segment",
            "segment",
            "change",
            "segment_since",
            "revenue",
            "previous_rfm_score",
            "rfm_score",
            "recency_days",
            "frequency",
            "monetary",
        )
    )
    return SegmentMigration(
        earlier=first,
        later=last,
        edges=edges,
        states=states,
        customers=customers,
        transitions=_transitions(customers, states),
        totals=_totals(customers, states),
        earlier_segments=earlier_segments,
        later_segments=later_segments,
    )


def _state_order(column: str, states: Sequence[str]) -> pl.Expr:
    return pl.col(column).replace_strict(
        {name: i for i, name in enumerate(states)}, return_dtype=pl.Int32
    )


def _transitions(customers: pl.DataFrame, states: Sequence[str]) -> pl.DataFrame:
    pairs = (
        customers.group_by(
            pl.col("previous_segment").alias("from_segment"), pl.col("segment").alias("to_segment")
        )
        .agg(pl.len().cast(pl.Int64).alias("customers"), pl.col("revenue").sum())
        .with_columns(
            (pl.col("customers") / pl.col("customers").sum().over("from_segment")).alias("share")
        )
    )
    return pairs.sort(_state_order("from_segment", states), _state_order("to_segment", states))


def _totals(customers: pl.DataFrame, states: Sequence[str]) -> pl.DataFrame:
    def count(frame: pl.DataFrame, column: str, name: str) -> pl.DataFrame:
        return frame.group_by(pl.col(column).alias("segment")).agg(
            pl.len().cast(pl.Int64).alias(name)
        )

    stayed = customers.filter(pl.col("previous_segment") == pl.col("segment"))
    return (
        pl.DataFrame({"segment": list(states)})
        .join(count(customers, "previous_segment", "earlier_customers"), on="segment", how="left")
        .join(count(customers, "segment", "later_customers"), on="segment", how="left")
        .join(count(stayed, "segment", "stayed"), on="segment", how="left")
        .with_columns(pl.col("earlier_customers", "later_customers", "stayed").fill_null(0))
        .with_columns(
            (pl.col("later_customers") - pl.col("earlier_customers")).alias("net_change"),
            (pl.col("later_customers") - pl.col("stayed")).alias("moved_in"),
            (pl.col("earlier_customers") - pl.col("stayed")).alias("moved_out"),
        )
    )


# --- cohort retention ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortRetention:
    """Customers grouped by the period of their first purchase, followed period by period.

    Built by :func:`cohort_retention`.

    Attributes
    ----------
    every
        The period length, e.g. ``"1mo"``.
    as_of
        The last day observed; periods starting after it are null.
    table
        Long format, one row per cohort and ``period_index`` (0 = the cohort's own
        period) up to the last period observed for the oldest cohort: ``cohort`` and
        ``period`` (first days), ``customers`` (the cohort's size), ``active_customers``
        (cohort customers with a purchase in the period), ``retention`` (their share),
        ``revenue`` (net revenue of those customers in the period) and
        ``revenue_per_customer`` (revenue per cohort customer), all null for periods
        not yet observed; ``complete`` is true when the whole period is on or before
        ``as_of`` (the last observed period is usually partial).
    sizes
        One row per cohort: ``cohort``, ``customers``.
    returns_only_customers
        Customers with lines up to ``as_of`` but no purchase: in no cohort.
    """

    every: str
    as_of: dt.date
    table: pl.DataFrame
    sizes: pl.DataFrame
    returns_only_customers: int


def _period_customers(transactions: pl.DataFrame, *, every: str, as_of: dt.date) -> pl.DataFrame:
    """Per period, its customers and their net revenue: ``summarize`` of the period's lines.

    One :func:`rfm.summarize` over all periods at once, keyed by period and customer
    (the period's ISO date, 10 characters, before the id), instead of one call per period.
    Returns ``customer_id``, ``period`` (first day) and ``monetary``.
    """
    key = pl.concat_str(
        pl.col(_DAY).dt.truncate(every).dt.to_string("%Y-%m-%d"), pl.col(CUSTOMER_ID)
    )
    lines = (
        _lines(transactions)
        .filter(pl.col(_DAY) <= as_of)
        .with_columns(key.alias(CUSTOMER_ID))
        .drop(_DAY)
        .collect()
    )
    return summarize(lines, as_of=as_of).select(
        pl.col(CUSTOMER_ID).str.slice(10).alias(CUSTOMER_ID),
        pl.col(CUSTOMER_ID).str.slice(0, 10).str.to_date("%Y-%m-%d").alias("period"),
        "monetary",
    )


def cohort_retention(
    transactions: pl.DataFrame | pl.LazyFrame,
    *,
    every: str = "1mo",
    as_of: dt.date | dt.datetime | str | None = None,
) -> CohortRetention:
    """The share of each first-purchase cohort buying again in each later period.

    A customer's cohort is the calendar period (``every``: week from Monday, month,
    quarter or year) of their first purchase. For period ``k`` after it (``k = 0`` is
    the cohort's own period, where retention is 1 by definition), a cohort customer is
    active when they made a purchase in that period -- a customer of that period's
    :func:`rfm.summarize` -- and revenue is the net revenue of the active customers in
    the period (as the KPIs count revenue). Periods starting after ``as_of`` are not
    yet observed and are null, not zero.

    Parameters
    ----------
    transactions
        Canonical transactions (see :func:`rfm.read_transactions`).
    every
        Period length: ``"1w"``, ``"1mo"`` (default), ``"1q"`` or ``"1y"`` (any count).
    as_of
        The last day observed; later lines are ignored. Default: the last day with a
        transaction.

    Returns
    -------
    CohortRetention
        The long table, the cohort sizes and the count of returns-only customers.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> import rfm
    >>> tx = pl.DataFrame({
    ...     "customer_id": ["a", "a", "b", "c"],
    ...     "order_date": [dt.date(2024, 1, 5), dt.date(2024, 2, 9), dt.date(2024, 1, 20),
    ...                    dt.date(2024, 2, 2)],
    ...     "amount": [10.0, 30.0, 5.0, 8.0],
    ... })
    >>> c = rfm.cohort_retention(tx, as_of="2024-02-29")
    >>> c.table.select("cohort", "period_index", "customers", "retention", "revenue").rows()
    [(datetime.date(2024, 1, 1), 0, 2, 1.0, 15.0), (datetime.date(2024, 1, 1), 1, 2, 0.5, 30.0), (datetime.date(2024, 2, 1), 0, 1, 1.0, 8.0), (datetime.date(2024, 2, 1), 1, 1, None, None)]
    """
    caller = "cohort_retention"
    count, unit = _period(every, caller)
    frame = _frame(transactions, caller)
    last = _last_day(frame, caller) if as_of is None else _date(as_of, "as_of", caller)
    summary = summarize(frame, as_of=last)
    cohorts = summary.select(
        CUSTOMER_ID, pl.col("first_purchase").cast(pl.Date).dt.truncate(every).alias("cohort")
    )
    sizes = (
        cohorts.group_by("cohort").agg(pl.len().cast(pl.Int64).alias("customers")).sort("cohort")
    )
    returns_only = _customers_with_lines(frame, as_of=last) - summary.height

    schema = pl.Schema(
        {
            "cohort": pl.Date(),
            "period_index": pl.Int64(),
            "period": pl.Date(),
            "customers": pl.Int64(),
            "active_customers": pl.Int64(),
            "retention": pl.Float64(),
            "revenue": pl.Float64(),
            "revenue_per_customer": pl.Float64(),
            "complete": pl.Boolean(),
        }
    )
    if sizes.height == 0:
        empty = pl.DataFrame(schema=schema)
        return CohortRetention(every, last, empty, sizes, returns_only)

    def shifted(column: str, steps: pl.Expr) -> pl.Expr:
        # Calendar offsets from the cohort's first day (never chained: no month-end drift).
        return pl.col(column).dt.offset_by(pl.format(f"{{}}{unit}", steps * count))

    first_cohort, last_period = pl.select(
        pl.lit(sizes["cohort"][0], dtype=pl.Date), pl.lit(last).dt.truncate(every).alias("last")
    ).row(0)
    span = pl.date_range(first_cohort, last_period, interval=every, eager=True).len()
    grid = sizes.join(
        pl.DataFrame({"period_index": range(span)}, schema={"period_index": pl.Int64}),
        how="cross",
    ).with_columns(shifted("cohort", pl.col("period_index")).alias("period"))
    activity = (
        _period_customers(frame, every=every, as_of=last)
        .join(cohorts, on=CUSTOMER_ID, how="inner")
        .group_by("cohort", "period")
        .agg(
            pl.len().cast(pl.Int64).alias("active_customers"),
            pl.col("monetary").sum().alias("revenue"),
        )
    )
    observed = pl.col("period") <= last
    table = (
        grid.join(activity, on=["cohort", "period"], how="left")
        .with_columns(
            pl.when(observed).then(pl.col("active_customers").fill_null(0)),
            pl.when(observed).then(pl.col("revenue").fill_null(0.0)),
        )
        .with_columns(
            (pl.col("active_customers") / pl.col("customers")).alias("retention"),
            (pl.col("revenue") / pl.col("customers")).alias("revenue_per_customer"),
            (shifted("period", pl.lit(1)) <= last + dt.timedelta(days=1)).alias("complete"),
        )
        .select(*schema)
        .sort("cohort", "period_index")
    )
    return CohortRetention(every, last, table.cast(schema), sizes, returns_only)


# --- period over period -------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodComparison:
    """The headline KPIs of a period and of the period of the same length before it.

    Built by :func:`period_over_period`. Dates are inclusive.

    Attributes
    ----------
    current_start, current_end, previous_start, previous_end
        The two periods; ``previous_end`` is the day before ``current_start``.
    current, previous
        The KPIs of each period's analysis view (:meth:`rfm.AnalysisView.kpis`).
    table
        One row per measure of :data:`HEADLINE_MEASURES`: ``measure``, ``current``,
        ``previous``, ``change`` (current - previous) and ``relative_change`` (change /
        previous; null when the previous figure is 0 or missing).
    previous_is_partial
        True when the data start after ``previous_start``, so the previous period is
        only partly covered and its figures are low.
    """

    current_start: dt.date
    current_end: dt.date
    previous_start: dt.date
    previous_end: dt.date
    current: Kpis
    previous: Kpis
    table: pl.DataFrame
    previous_is_partial: bool

    @property
    def current_label(self) -> str:
        """The current period as text, e.g. ``"2024-03-01 to 2024-03-31"``."""
        return f"{self.current_start.isoformat()} to {self.current_end.isoformat()}"

    @property
    def previous_label(self) -> str:
        """The previous period as text, e.g. ``"2024-02-01 to 2024-02-29"``."""
        return f"{self.previous_start.isoformat()} to {self.previous_end.isoformat()}"


def period_over_period(
    transactions: pl.DataFrame | pl.LazyFrame,
    *,
    as_of: dt.date | dt.datetime | str | None = None,
    days: int | None = None,
    every: str | None = None,
) -> PeriodComparison:
    """The Overview KPIs for the period ending at ``as_of`` against the period before it.

    Each period's figures are the KPIs of its analysis view,
    ``rfm.analysis_view(transactions, as_of=last day, filters=rfm.Filters.of(date_range=
    (first day, last day))).kpis()``: the customers are those with a purchase in the
    period, orders theirs in it, and revenue and quantity net over every line of the
    period (returns of customers with no purchase in it included), exactly as the
    Overview counts them for a date range.

    Parameters
    ----------
    transactions
        Canonical transactions (see :func:`rfm.read_transactions`).
    as_of
        Last day of the current period (included). Default: the last day with a
        transaction.
    days
        Periods of this many days: ``as_of - days + 1`` to ``as_of``, and the ``days``
        before.
    every
        Calendar periods ending at ``as_of`` instead: ``"1mo"`` is the month up to
        ``as_of`` (e.g. 2024-03-31 gives March, and February before it; 2024-03-15 gives
        16 February to 15 March), also ``"1w"``, ``"1q"``, ``"1y"``. Default when
        neither is given: ``"1mo"``. Pass one of ``days`` and ``every``.

    Returns
    -------
    PeriodComparison
        Both periods named by their dates, their KPIs and a table of the changes.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> import rfm
    >>> tx = pl.DataFrame({
    ...     "customer_id": ["a", "b", "a", "c"],
    ...     "order_date": [dt.date(2024, 2, 3), dt.date(2024, 2, 20), dt.date(2024, 3, 4),
    ...                    dt.date(2024, 3, 30)],
    ...     "amount": [10.0, 20.0, 30.0, 60.0],
    ... })
    >>> p = rfm.period_over_period(tx, as_of="2024-03-31")
    >>> p.current_label, p.previous_label
    ('2024-03-01 to 2024-03-31', '2024-02-01 to 2024-02-29')
    >>> p.table.filter(pl.col("measure") == "revenue").row(0)
    ('revenue', 90.0, 30.0, 60.0, 2.0)
    """
    caller = "period_over_period"
    if days is not None and every is not None:
        msg = f"Pass one of 'days' and 'every' to {caller}, not both. Got days={days!r}, every={every!r}."
        raise ValueError(msg)
    frame = _frame(transactions, caller)
    end = _last_day(frame, caller) if as_of is None else _date(as_of, "as_of", caller)
    if days is not None:
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            msg = f"The 'days' parameter of {caller} must be a positive int. Got {days!r}."
            raise ValueError(msg)
        current_start = end - dt.timedelta(days=days - 1)
        previous_start = end - dt.timedelta(days=2 * days - 1)
    else:
        count, unit = _period(every or "1mo", caller)
        back = pl.select(
            pl.lit(end).dt.offset_by(f"-{count}{unit}"),
            pl.lit(end).dt.offset_by(f"-{2 * count}{unit}").alias("twice"),
        ).row(0)
        current_start = back[0] + dt.timedelta(days=1)
        previous_start = back[1] + dt.timedelta(days=1)
    previous_end = current_start - dt.timedelta(days=1)

    def figures(first: dt.date, last: dt.date) -> Kpis:
        # The analysis view of the period, so revenue and quantity include the returns of
        # customers with no purchase in it, as the Overview's KPIs do.
        window = Filters.of(date_range=(first, last))
        return analysis_view(frame, as_of=last, filters=window, require_customers=False).kpis()

    current = figures(current_start, end)
    previous = figures(previous_start, previous_end)
    now, before = current.as_dict(), previous.as_dict()
    table = pl.DataFrame(
        {
            "measure": list(HEADLINE_MEASURES),
            "current": [now[m] for m in HEADLINE_MEASURES],
            "previous": [before[m] for m in HEADLINE_MEASURES],
        },
        schema={"measure": pl.String, "current": pl.Float64, "previous": pl.Float64},
    ).with_columns(
        (pl.col("current") - pl.col("previous")).alias("change"),
        pl.when(pl.col("previous") != 0)
        .then((pl.col("current") - pl.col("previous")) / pl.col("previous"))
        .alias("relative_change"),
    )
    first_day = _lines(frame).select(pl.col(_DAY).min()).collect().item()
    return PeriodComparison(
        current_start=current_start,
        current_end=end,
        previous_start=previous_start,
        previous_end=previous_end,
        current=current,
        previous=previous,
        table=table,
        previous_is_partial=first_day is None or first_day > previous_start,
    )
