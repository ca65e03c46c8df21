"""One analysis view: the only source of every figure a page, a download or a script shows.

:func:`analysis_view` cuts the transactions at the as-of date, applies the filters, and
builds the customer summary, scores and segments of what is left. Its tables --
:meth:`AnalysisView.kpis`, :meth:`AnalysisView.breakdown` by any column, the customer
table -- all count with :mod:`rfm.measures`, so a breakdown by any dimension adds up to
the KPI, and nothing dated after the as-of date is in any of them.

Customers are accounted for like rows (:class:`CustomerCounts`): every customer seen in
the filtered data is scored, or has only returns in the window, or buys only after the
as-of date, or is outside the chosen segments.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import polars as pl

from rfm import measures
from rfm.columns import AMOUNT, CUSTOMER_ID, ORDER_DATE
from rfm.dates import as_of_date
from rfm.errors import DataError
from rfm.filters import AGE_GROUP, AGE_GROUPS, Filters, age_group
from rfm.kpis import Kpis
from rfm.scoring import score
from rfm.segments import segment, segment_levels
from rfm.summary import summary_and_returns_only

__all__ = [
    "PERIODS",
    "RETURNS_ONLY",
    "AnalysisView",
    "CustomerCounts",
    "analysis_view",
    "breakdown",
]

PERIODS: Final = {"day": "1d", "week": "1w", "month": "1mo", "quarter": "1q", "year": "1y"}
"""Calendar periods :meth:`AnalysisView.breakdown` can group by, with their polars interval."""

RETURNS_ONLY: Final = "(returns only)"
"""Label of the lines of customers with no purchase in the window, in customer-level breakdowns."""

UNKNOWN: Final = "(unknown)"
"""Label of lines with no value in the breakdown column."""

_DAY: Final = "__day"


@dataclass(frozen=True)
class CustomerCounts:
    """Customers accounted for like rows: ``seen == scored + returns_only + after_as_of_only
    + outside_segments``.

    Attributes
    ----------
    seen
        Distinct customers in the transactions that pass the row filters, at any date.
    scored
        Customers of the view: at least one purchase on or before the as-of date.
    returns_only
        Customers whose only lines on or before the as-of date are returns.
    returns_only_revenue
        Their net value (negative): part of the revenue KPI.
    after_as_of_only
        Customers whose every line is dated after the as-of date (not counted).
    outside_segments
        Customers left out by the segment filter.
    rows_after_as_of
        Transaction lines dated after the as-of date (not counted).
    """

    seen: int
    scored: int
    returns_only: int
    returns_only_revenue: float
    after_as_of_only: int
    outside_segments: int
    rows_after_as_of: int

    def reconciles(self) -> bool:
        """True when every customer seen is in exactly one of the four groups."""
        return self.seen == (
            self.scored + self.returns_only + self.after_as_of_only + self.outside_segments
        )

    def __str__(self) -> str:
        lines = [
            f"Customers seen       {self.seen:,}",
            f"  scored             {self.scored:,}",
            f"  only returns       {self.returns_only:,} (net {self.returns_only_revenue:,.2f})",
            f"  only after as-of   {self.after_as_of_only:,}",
        ]
        if self.outside_segments:
            lines.append(f"  other segments     {self.outside_segments:,}")
        return "\n".join(lines)


def _period_column(by: str) -> pl.Expr:
    return pl.col(ORDER_DATE).cast(pl.Date).dt.truncate(PERIODS[by]).alias("period")


def _period_end(by: str) -> pl.Expr:
    return pl.col("period").dt.offset_by(PERIODS[by]) - pl.duration(days=1)


def breakdown(
    lines: pl.DataFrame,
    *,
    by: str,
    customers: pl.DataFrame | None = None,
    coverage: tuple[dt.date, dt.date] | None = None,
    top: int | None = None,
) -> pl.DataFrame:
    """The standard measures of ``lines`` by any column (see :mod:`rfm.measures`).

    Parameters
    ----------
    lines
        Canonical transaction lines (an :class:`AnalysisView`'s ``transactions``).
    by
        A line column (``country``, ``category``, ``age_group``, ...), a calendar period
        (``"day"``, ``"week"``, ``"month"``, ``"quarter"``, ``"year"``), or a column of
        ``customers`` (``segment``, ``activity``, ``cluster``, ...) joined on
        ``customer_id``; lines of customers missing from ``customers`` (they have only
        returns) are labelled :data:`RETURNS_ONLY`.
    customers
        One row per customer, for customer-level ``by`` columns.
    coverage
        First and last day the lines cover; with a period ``by``, periods not wholly
        inside are flagged ``partial``.
    top
        Keep the ``top`` groups by revenue (``None``: all).

    Returns
    -------
    DataFrame
        ``by`` (``period`` and ``period_end`` for periods), ``lines``, ``customers``
        (distinct customers with a purchase in the group), ``orders``, ``revenue`` (net),
        ``gross_sales``, ``returned_value``, ``return_rate``, ``revenue_share`` [,
        ``quantity``] [, ``partial``]. Revenue, orders and lines of the groups add up to
        the totals of ``lines``; customers do when each customer is in one group.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> tx = pl.DataFrame({
    ...     "customer_id": ["a", "a", "b"], "amount": [30.0, -10.0, 5.0],
    ...     "order_date": [dt.datetime(2024, 1, 1)] * 3,
    ...     "category": ["Toys", "Toys", "Books"],
    ... })
    >>> breakdown(tx, by="category").select("category", "customers", "revenue", "return_rate").rows()
    [('Toys', 1, 20.0, 0.3333333333333333), ('Books', 1, 5.0, 0.0)]
    """
    frame = lines.lazy()
    names = lines.columns
    label: str = by
    if by in PERIODS:
        frame = frame.with_columns(_period_column(by))
        label = "period"
    elif by == AGE_GROUP and AGE_GROUP not in names:
        expr = age_group(names)
        if expr is None:
            msg = (
                f"A breakdown by age group needs an 'age' or 'birth_date' column. Columns "
                f"found: {', '.join(names)}. Map one when reading the data."
            )
            raise DataError(msg)
        frame = frame.with_columns(expr)
    elif by not in names:
        if customers is None or by not in customers.columns:
            found = ", ".join(names + ([] if customers is None else customers.columns))
            msg = (
                f"No column '{by}' to break down by. Columns found: {found}. Pick one of "
                f"them, or a period: {', '.join(PERIODS)}."
            )
            raise DataError(msg)
        frame = frame.join(customers.lazy().select(CUSTOMER_ID, by), on=CUSTOMER_ID, how="left")
        missing = RETURNS_ONLY  # customers of no purchase, and customers without a value
    else:
        missing = UNKNOWN
    if label == "period":
        out = measures.totals_by(frame, label, with_customers=True)
    else:
        # Group by the column as it is (a Categorical groups by its codes) and name the
        # groups after: a text copy of the column would cost ~100 MiB at 1M lines.
        as_text = pl.col(label).cast(pl.String).fill_null(missing)
        out = measures.totals_by(frame, label, with_customers=True).with_columns(as_text)
        if out[label].is_duplicated().any():  # e.g. a null and a text "(unknown)": merge them
            out = measures.totals_by(frame.with_columns(as_text), label, with_customers=True)
    out = out.with_columns(
        pl.when(pl.col("gross_sales") > 0)
        .then(pl.col("returned_value") / pl.col("gross_sales"))
        .alias("return_rate"),
        (pl.col("revenue") / pl.col("revenue").sum()).alias("revenue_share"),
    )
    if label == "period":
        out = out.with_columns(_period_end(by).alias("period_end")).sort("period")
        if coverage is not None:
            first, last = coverage
            out = out.with_columns(
                ((pl.col("period") < first) | (pl.col("period_end") > last)).alias("partial")
            )
        out = out.select("period", "period_end", pl.exclude("period", "period_end"))
    elif by == AGE_GROUP:
        rank = {name: index for index, name in enumerate(AGE_GROUPS)}
        out = out.sort(pl.col(label).replace_strict(rank, default=len(rank), return_dtype=pl.Int64))
    elif by == "segment":
        rank = {name: index for index, name in enumerate(segment_levels())}
        out = out.sort(pl.col(label).replace_strict(rank, default=len(rank), return_dtype=pl.Int64))
    else:
        out = out.sort(["revenue", label], descending=[True, False])
    if top is not None:
        if not (isinstance(top, int) and top >= 1):
            msg = f"The 'top' parameter of breakdown must be an int >= 1 or None. Got {top!r}."
            raise DataError(msg)
        out = out.head(top)
    return out


def _chunked_like(frame: pl.DataFrame, columns: pl.DataFrame) -> pl.DataFrame:
    """``columns`` (as long as ``frame``) cut into ``frame``'s chunks, copying nothing.

    A reader gives a chunk per slice of the file (78 for a 1M-line CSV); columns made in
    one chunk beside them make polars copy every column to line them up on the next
    ``select`` (107 MiB for the Customers page's lines at 1M).
    """
    if frame.width == 0:
        return columns
    lengths = frame.to_series(0).chunk_lengths()
    if len(lengths) == 1 or any(column.chunk_lengths() != lengths for column in frame):
        return columns  # one chunk, or already misaligned: nothing to line up with
    offsets = itertools.accumulate(lengths, initial=0)
    pieces = [
        columns.slice(offset, length) for offset, length in zip(offsets, lengths, strict=False)
    ]
    return pl.concat(pieces, rechunk=False)


@dataclass(frozen=True, eq=False)
class AnalysisView:
    """Transactions cut at ``as_of`` and narrowed by ``filters``, with their customers.

    Build it with :func:`analysis_view`. Every table a page, a download, a model or the
    CLI shows is computed from it.

    Attributes
    ----------
    transactions
        The lines of the view: dated on or before ``as_of``, passing every filter.
        Ages (``age_group``) are measured at ``as_of``.
    customers
        One row per customer of the view (at least one purchase in it): the columns of
        :func:`rfm.summarize`, the scores of :func:`rfm.score`, ``segment`` and
        ``activity``; sorted by ``customer_id``.
    returns_only
        ``customer_id``, ``lines`` and ``revenue`` (net, negative) of the customers whose
        only lines in the view are returns.
    as_of
        The day the view is measured at.
    filters
        The filters applied.
    counts
        Where every customer seen went (:class:`CustomerCounts`).
    first_day, last_day
        The days the view covers: the data's first and last day, cut at ``as_of`` and
        by the date range filter. Periods not wholly inside are partial.
    """

    transactions: pl.DataFrame
    customers: pl.DataFrame
    returns_only: pl.DataFrame
    as_of: dt.date
    filters: Filters
    counts: CustomerCounts
    first_day: dt.date
    last_day: dt.date
    active_days: int = 90

    @property
    def coverage(self) -> tuple[dt.date, dt.date]:
        """``(first_day, last_day)``."""
        return self.first_day, self.last_day

    def kpis(self) -> Kpis:
        """Headline figures of the view (see :class:`rfm.Kpis`).

        Revenue and quantity are net over every line of the view, including the returns
        of customers with no purchase in it (``returns_only_revenue``); customers are the
        customers of the view.
        """
        lines = self.keyed_transactions
        row = lines.select(measures.totals(lines.columns)).row(0, named=True)
        customers = self.customers.height
        orders = int(row["orders"] or 0)
        revenue = float(row["revenue"] or 0.0)
        share_active = (
            float(self.customers.select((pl.col("recency_days") <= self.active_days).mean()).item())
            if customers
            else 0.0
        )
        return Kpis(
            customers=customers,
            orders=orders,
            revenue=revenue,
            quantity=None if "quantity" not in row else float(row["quantity"] or 0.0),
            avg_order_value=revenue / orders if orders else 0.0,
            orders_per_customer=orders / customers if customers else 0.0,
            share_active=share_active,
            active_days=self.active_days,
            returns_only_customers=self.counts.returns_only,
            returns_only_revenue=self.counts.returns_only_revenue,
        )

    @functools.cached_property
    def keyed_transactions(self) -> pl.DataFrame:
        """:attr:`transactions` with the integer customer and order keys of
        :func:`rfm.measures.line_keys` appended (made once, on first use): breakdowns of
        these lines count distinct customers and orders in about half the memory."""
        lines = self.transactions
        return lines.hstack(_chunked_like(lines, measures.line_keys(lines)))

    def breakdown(self, by: str, *, top: int | None = None) -> pl.DataFrame:
        """The standard measures by any line or customer column, or by a period.

        See :func:`breakdown`; periods carry a ``partial`` flag for the first and last
        period when the view does not cover them whole.
        """
        lines = self.keyed_transactions
        if by == AGE_GROUP and AGE_GROUP not in lines.columns:
            age = age_group(lines.columns, as_of=self.as_of)  # as the age filter measures
            if age is not None:
                lines = lines.with_columns(age)
        return breakdown(lines, by=by, customers=self.customers, coverage=self.coverage, top=top)

    def customer_attribute(self, column: str) -> pl.DataFrame:
        """Each view customer's most frequent value of a line column (ties: the first
        alphabetically; customers without a value: null), as ``customer_id``, ``column``.
        """
        if column not in self.transactions.columns:
            msg = (
                f"No column '{column}' in the transactions. Columns found: "
                f"{', '.join(self.transactions.columns)}. Map it when reading the data."
            )
            raise DataError(msg)
        per = (
            self.transactions.lazy()
            .filter(pl.col(column).is_not_null())
            .group_by(CUSTOMER_ID, pl.col(column).cast(pl.String))
            .agg(pl.len().alias("__lines"))
            .sort([CUSTOMER_ID, "__lines", column], descending=[False, True, False])
            .group_by(CUSTOMER_ID, maintain_order=True)
            .first()
            .select(CUSTOMER_ID, column)
            .collect()
        )
        return self.customers.select(CUSTOMER_ID).join(
            per, on=CUSTOMER_ID, how="left", maintain_order="left"
        )


def analysis_view(
    transactions: pl.DataFrame,
    *,
    as_of: dt.date | dt.datetime | str | None = None,
    filters: Filters | None = None,
    bins: int = 5,
    rules: Mapping[int, Sequence[str]] | None = None,
    active_days: int = 90,
    inactive_days: int = 365,
    require_customers: bool = True,
) -> AnalysisView:
    """Cut ``transactions`` at ``as_of``, apply ``filters``, and segment the customers.

    Parameters
    ----------
    transactions
        Canonical transactions (see :func:`rfm.read_transactions`).
    as_of
        The day the view is measured at; lines dated after it are left out (and
        counted). Default: the day after the last transaction of the whole table, so
        filters never move it. A date range ending earlier moves it to the day after
        the range.
    filters
        Rows to keep (:class:`rfm.Filters`); the segment filter then keeps the customers
        in those segments, segmented on everything the row filters keep.
    bins, rules
        Passed to :func:`rfm.score` and :func:`rfm.segment`.
    active_days, inactive_days
        Thresholds of :func:`rfm.activity_status`.
    require_customers
        Raise :class:`rfm.DataError` when no customer is left (default).

    Returns
    -------
    AnalysisView

    Raises
    ------
    DataError
        A canonical column is missing or has lines without a value, a filter needs a
        column the table lacks, the date range is reversed, ``as_of`` is not a date, or
        no customer is left.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> import rfm
    >>> tx = pl.DataFrame({
    ...     "customer_id": ["a", "a", "b", "c"], "amount": [10.0, 5.0, -7.0, 4.0],
    ...     "order_date": [dt.datetime(2024, 1, d) for d in (1, 9, 3, 20)],
    ... })
    >>> view = rfm.analysis_view(tx, as_of="2024-01-10")
    >>> view.customers["customer_id"].to_list(), view.kpis().revenue
    (['a'], 8.0)
    >>> view.counts.seen, view.counts.returns_only, view.counts.after_as_of_only
    (3, 1, 1)
    """
    filters = filters or Filters()
    missing = [
        name for name in (CUSTOMER_ID, ORDER_DATE, AMOUNT) if name not in transactions.columns
    ]
    if missing:
        msg = (
            f"An analysis view needs the canonical columns customer_id, order_date and "
            f"amount. Missing: {', '.join(missing)}. Columns found: "
            f"{', '.join(transactions.columns)}. Read the data with rfm.read_transactions."
        )
        raise DataError(msg)
    # A line without a customer, a date or an amount has no place in any count; the
    # reader excludes and counts such lines, so the view refuses them rather than
    # dropping them unseen.
    blanks = transactions.select(pl.col(CUSTOMER_ID, ORDER_DATE, AMOUNT).null_count()).row(
        0, named=True
    )
    if any(blanks.values()):
        found = ", ".join(f"{n:,} without {name}" for name, n in blanks.items() if n)
        msg = (
            f"Every line of an analysis view needs a customer_id, an order_date and an "
            f"amount. Found {found}. Read the data with rfm.read_transactions, which "
            "excludes such lines and counts them, or drop them first."
        )
        raise DataError(msg)
    day = pl.col(ORDER_DATE).cast(pl.Date)
    data_first, data_last = transactions.select(
        day.min().alias("first"), day.max().alias("last")
    ).row(0)
    if data_last is None:
        msg = "The transactions have no dated line. Expected at least one transaction."
        raise DataError(msg)
    requested = as_of_date(as_of)
    if requested is None:
        requested = data_last + dt.timedelta(days=1)
    cut = requested
    if filters.date_range is not None and filters.date_range[1] < requested:
        cut = filters.date_range[1] + dt.timedelta(days=1)

    # Ages are measured at the view's as-of date, for the filter and the breakdowns alike
    # (the breakdown derives them the same way); the column is only built to filter by it.
    age = (
        age_group(transactions.columns, as_of=cut)
        if AGE_GROUP not in transactions.columns and filters.get(AGE_GROUP)
        else None
    )
    rows = filters.filter_lines(transactions.with_columns(age) if age is not None else transactions)
    if age is not None:
        rows = rows.drop(AGE_GROUP)
    in_window = day <= cut
    if data_last <= cut:  # the usual case: nothing after the as-of date, no copy
        window, later = rows, rows.clear()
    else:
        window, later = rows.filter(in_window), rows.filter(~in_window)

    # An empty window still gives the customer table its columns, so an empty view's
    # tables (a breakdown by segment, say) are empty rather than errors.
    summary, returns_only = summary_and_returns_only(window, as_of=cut)
    customers = segment(
        score(summary, bins=bins),
        rules=rules,
        bins=bins,
        active_days=active_days,
        inactive_days=inactive_days,
    )
    outside = 0
    if filters.segments:
        kept = customers.filter(pl.col("segment").is_in(list(filters.segments)))
        outside = customers.height - kept.height
        customers = kept
    if customers.height == 0 and require_customers:
        msg = (
            f"No customer matches these filters ({filters.describe()}) with a purchase "
            f"on or before {cut}. Widen or clear the filters, or pick a later as-of date."
        )
        raise DataError(msg)

    # Every customer seen: scored, with only returns (both from the summary's own pass),
    # or with lines only after the as-of date.
    window_customers = summary.height + returns_only.height
    after_only = 0
    if later.height:
        in_view = pl.concat([summary.select(CUSTOMER_ID), returns_only.select(CUSTOMER_ID)])
        after_only = (
            later.select(pl.col(CUSTOMER_ID).cast(pl.String))
            .unique()
            .join(in_view, on=CUSTOMER_ID, how="anti")
            .height
        )
    seen = window_customers + after_only
    if filters.segments:
        # The segment filter keeps the chosen customers and their lines only.
        window = window.join(
            customers.select(CUSTOMER_ID), on=CUSTOMER_ID, how="semi", maintain_order="left"
        )
        outside += returns_only.height
        returns_only = returns_only.clear()
    counts = CustomerCounts(
        seen=seen,
        scored=customers.height,
        returns_only=returns_only.height,
        returns_only_revenue=float(returns_only["revenue"].sum() or 0.0),
        after_as_of_only=seen - window_customers,
        outside_segments=outside,
        rows_after_as_of=later.height,
    )
    first_day, last_day = data_first, min(data_last, cut)
    if filters.date_range is not None:
        first_day = max(first_day, filters.date_range[0])
        last_day = min(last_day, filters.date_range[1])
    return AnalysisView(
        transactions=window,
        customers=customers,
        returns_only=returns_only,
        as_of=cut,
        filters=filters,
        counts=counts,
        first_day=first_day,
        last_day=last_day,
        active_days=active_days,
    )
