"""Customer-level report tables: one row per customer in, a few rows out.

Tables over transaction lines (revenue by month, by country, by segment, ...) are all
:func:`rfm.breakdown` / :meth:`rfm.AnalysisView.breakdown`, which count with
:mod:`rfm.measures`. The tables here group the view's customers (one row each) by a
customer property: activity status, total score, number of orders, the R x FM grid,
tenure, or any two columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, Literal

import polars as pl

from rfm.errors import DataError
from rfm.segments import rules_frame, segment_table

__all__ = [
    "ACTIVITY_ORDER",
    "FREQUENCY_BANDS",
    "TENURE_BANDS",
    "activity_table",
    "crosstab",
    "frequency_bands",
    "revenue_by_cohort",
    "revenue_by_tenure",
    "score_histogram",
    "segment_grid",
    "segment_report",
    "top_customers",
]

ACTIVITY_ORDER: Final = ("Active", "Inactive", "Museum")
FREQUENCY_BANDS: Final = (
    ("1", 1, 1),
    ("2", 2, 2),
    ("3–5", 3, 5),
    ("6–10", 6, 10),
    ("11–20", 11, 20),
    ("21+", 21, None),
)
"""Order-count bands: (label, lowest, highest or None for no upper bound)."""

TENURE_BANDS: Final = (
    (90, "Under 3 months"),
    (182, "3-6 months"),
    (365, "6-12 months"),
    (730, "1-2 years"),
    (1095, "2-3 years"),
    (None, "3 years or more"),
)
"""Tenure bands: (upper bound in days, exclusive; ``None`` = no bound), label."""


def _require(frame: pl.DataFrame | pl.LazyFrame, needed: tuple[str, ...], caller: str) -> None:
    columns = frame.collect_schema().names() if isinstance(frame, pl.LazyFrame) else frame.columns
    missing = [name for name in needed if name not in columns]
    if missing:
        msg = f"{caller} needs the columns {list(needed)}. Missing: {missing}; found: {columns}."
        raise DataError(msg)


def activity_table(customers: pl.DataFrame) -> pl.DataFrame:
    """Customers and revenue by activity status, in Active, Inactive, Museum order.

    Statuses with no customers appear with 0, so charts keep the same three bars.

    Examples
    --------
    >>> import polars as pl
    >>> table = pl.DataFrame({"activity": ["Active", "Museum", "Active"],
    ...                       "monetary": [10.0, 5.0, 20.0]})
    >>> activity_table(table).rows()
    [('Active', 2, 0.6666666666666666, 30.0), ('Inactive', 0, 0.0, 0.0), ('Museum', 1, 0.3333333333333333, 5.0)]
    """
    _require(customers, ("activity", "monetary"), "activity_table")
    counts = customers.group_by("activity").agg(
        pl.len().cast(pl.Int64).alias("customers"), pl.col("monetary").sum().alias("revenue")
    )
    statuses = list(ACTIVITY_ORDER) + sorted(
        set(counts["activity"].drop_nulls().to_list()) - set(ACTIVITY_ORDER)
    )
    total = max(customers.height, 1)
    return (
        pl.DataFrame({"activity": statuses})
        .join(counts, on="activity", how="left")
        .with_columns(pl.col("customers").fill_null(0), pl.col("revenue").fill_null(0.0))
        .select("activity", "customers", (pl.col("customers") / total).alias("share"), "revenue")
    )


def score_histogram(scored: pl.DataFrame) -> pl.DataFrame:
    """Customers per total RFM score (``r_score + f_score + m_score``), ascending.

    Examples
    --------
    >>> import polars as pl
    >>> scored = pl.DataFrame({"r_score": [5, 1, 4], "f_score": [5, 1, 5], "m_score": [4, 1, 5]})
    >>> score_histogram(scored).rows()
    [(3, 1), (14, 2)]
    """
    _require(scored, ("r_score", "f_score", "m_score"), "score_histogram")
    total = (
        pl.col("r_score").cast(pl.Int64)
        + pl.col("f_score").cast(pl.Int64)
        + pl.col("m_score").cast(pl.Int64)
    )
    return (
        scored.group_by(total.alias("rfm_total"))
        .agg(pl.len().cast(pl.Int64).alias("customers"))
        .sort("rfm_total")
    )


def frequency_bands(customers: pl.DataFrame) -> pl.DataFrame:
    """Customers and revenue by number of orders, in the bands of :data:`FREQUENCY_BANDS`.

    Examples
    --------
    >>> import polars as pl
    >>> table = pl.DataFrame({"frequency": [1, 1, 4, 30], "monetary": [5.0, 5.0, 40.0, 900.0]})
    >>> frequency_bands(table).select("orders", "customers").rows()
    [('1', 2), ('2', 0), ('3–5', 1), ('6–10', 0), ('11–20', 0), ('21+', 1)]
    """
    _require(customers, ("frequency", "monetary"), "frequency_bands")
    labels = [label for label, _, _ in FREQUENCY_BANDS]
    band: pl.Expr = pl.lit(None, pl.String)
    for label, low, high in reversed(FREQUENCY_BANDS):
        inside = pl.col("frequency") >= low
        if high is not None:
            inside = inside & (pl.col("frequency") <= high)
        band = pl.when(inside).then(pl.lit(label)).otherwise(band)
    counts = (
        customers.with_columns(band.alias("orders"))
        .group_by("orders")
        .agg(pl.len().cast(pl.Int64).alias("customers"), pl.col("monetary").sum().alias("revenue"))
    )
    total = max(customers.height, 1)
    return (
        pl.DataFrame({"orders": labels})
        .join(counts, on="orders", how="left")
        .with_columns(pl.col("customers").fill_null(0), pl.col("revenue").fill_null(0.0))
        .with_columns((pl.col("customers") / total).alias("share"))
        .select("orders", "customers", "share", "revenue")
    )


def segment_grid(
    customers: pl.DataFrame, *, rules: Mapping[int, Sequence[str]] | None = None
) -> pl.DataFrame:
    """Every cell of the R x FM rule grid with its segment and its number of customers.

    Cells without customers are listed with 0, so the grid is always complete.

    Examples
    --------
    >>> import polars as pl
    >>> seg = pl.DataFrame({"r_score": [5, 5, 1], "fm_score": [5, 5, 1]})
    >>> grid = segment_grid(seg)
    >>> grid.height, grid.filter(pl.col("customers") > 0).rows()
    (25, [(1, 1, 'Lost', 1), (5, 5, 'Champions', 2)])
    """
    _require(customers, ("r_score", "fm_score"), "segment_grid")
    counts = customers.group_by(
        pl.col("r_score").cast(pl.Int8), pl.col("fm_score").cast(pl.Int8)
    ).agg(pl.len().cast(pl.Int64).alias("customers"))
    return (
        rules_frame(rules)
        .join(counts, on=["r_score", "fm_score"], how="left")
        .with_columns(pl.col("customers").fill_null(0))
        .sort("r_score", "fm_score")
    )


def segment_report(
    segmented: pl.DataFrame, *, rules: Mapping[int, Sequence[str]] | None = None
) -> pl.DataFrame:
    """The segment table people read: :func:`rfm.segment_table` with each segment's orders.

    ``orders`` counts purchase orders as :func:`rfm.measures.orders` does (a distinct
    order of a customer among purchase lines; a cancellation invoice is a return, never
    an order): the sum of the segment's customers' ``frequency``. So the column adds up
    to the view's KPI orders, as ``customers`` adds up to its customers; customers with
    only returns in the view have no order and no segment.

    Parameters
    ----------
    segmented
        One row per customer with ``segment`` and the summary columns (an
        :class:`rfm.AnalysisView`'s ``customers``).
    rules
        The segment rules, for the row order (default: the 11 standard segments).

    Returns
    -------
    DataFrame
        ``segment``, ``customers``, ``share``, ``orders``, ``revenue``,
        ``revenue_share``, ``avg_recency_days``, ``avg_frequency``, ``avg_monetary``,
        ``description``, ``action``; every segment, best first.

    Examples
    --------
    >>> import polars as pl
    >>> seg = pl.DataFrame({"customer_id": ["a", "b", "c"], "segment": ["Champions", "Lost", "Lost"],
    ...                     "recency_days": [5, 400, 500], "frequency": [9, 1, 2],
    ...                     "monetary": [900.0, 50.0, 50.0]})
    >>> segment_report(seg).filter(pl.col("customers") > 0).select("segment", "orders").rows()
    [('Champions', 9), ('Lost', 3)]
    """
    table = segment_table(segmented, rules=rules)
    orders = segmented.group_by("segment").agg(pl.col("frequency").sum().alias("orders"))
    return (
        table.join(orders, on="segment", how="left", maintain_order="left")
        .with_columns(pl.col("orders").fill_null(0).cast(pl.Int64))
        .select(
            "segment",
            "customers",
            "share",
            "orders",
            *(c for c in table.columns if c not in ("segment", "customers", "share")),
        )
    )


def top_customers(
    customers: pl.DataFrame, *, by: Literal["spend", "rfm_score"] = "spend", n: int = 20
) -> pl.DataFrame:
    """The ``n`` best customers by net spend, or by total RFM score (ties: spend).

    Examples
    --------
    >>> import polars as pl
    >>> seg = pl.DataFrame({"customer_id": ["a", "b", "c"], "monetary": [5.0, 50.0, 20.0],
    ...                     "r_score": [5, 1, 4], "f_score": [5, 1, 4], "m_score": [1, 5, 4]})
    >>> top_customers(seg, n=2)["customer_id"].to_list()
    ['b', 'c']
    >>> top_customers(seg, by="rfm_score", n=2)["customer_id"].to_list()
    ['c', 'a']
    """
    if n < 1:
        msg = f"The 'n' parameter of top_customers must be an int >= 1. Got {n!r}."
        raise DataError(msg)
    if by == "spend":
        _require(customers, ("customer_id", "monetary"), "top_customers")
        return customers.sort(["monetary", "customer_id"], descending=[True, False]).head(n)
    if by == "rfm_score":
        _require(
            customers, ("customer_id", "monetary", "r_score", "f_score", "m_score"), "top_customers"
        )
        total = pl.sum_horizontal(pl.col("r_score", "f_score", "m_score").cast(pl.Int64))
        return (
            customers.with_columns(total.alias("_total"))
            .sort(["_total", "monetary", "customer_id"], descending=[True, True, False])
            .drop("_total")
            .head(n)
        )
    msg = f"The 'by' parameter of top_customers must be 'spend' or 'rfm_score'. Got {by!r}."
    raise DataError(msg)


def _band(days: pl.Expr) -> pl.Expr:
    label = pl.when(days.is_null()).then(pl.lit(None, dtype=pl.String))
    for upper, name in TENURE_BANDS:
        label = label.when(days < upper if upper is not None else pl.lit(True)).then(pl.lit(name))  # type: ignore[assignment]
    return label.otherwise(pl.lit(None, dtype=pl.String))


def revenue_by_tenure(customers: pl.DataFrame) -> pl.DataFrame:
    """Customers and net revenue by tenure band (days since the first purchase).

    Parameters
    ----------
    customers
        Customer summary (:func:`rfm.summarize`): ``tenure_days`` and ``monetary``.

    Returns
    -------
    DataFrame
        ``tenure`` (the :data:`TENURE_BANDS` label), ``customers``, ``revenue``,
        ``avg_revenue`` per customer, in band order; bands without customers are left out.

    Examples
    --------
    >>> import polars as pl
    >>> summary = pl.DataFrame({"tenure_days": [10, 400, 500], "monetary": [5.0, 20.0, 40.0]})
    >>> revenue_by_tenure(summary).rows()
    [('Under 3 months', 1, 5.0, 5.0), ('1-2 years', 2, 60.0, 30.0)]
    """
    _require(customers, ("tenure_days", "monetary"), "revenue_by_tenure")
    rank = {name: index for index, (_, name) in enumerate(TENURE_BANDS)}
    return (
        customers.group_by(_band(pl.col("tenure_days")).alias("tenure"))
        .agg(pl.len().alias("customers"), pl.col("monetary").sum().alias("revenue"))
        .with_columns((pl.col("revenue") / pl.col("customers")).alias("avg_revenue"))
        .sort(pl.col("tenure").replace_strict(rank, return_dtype=pl.Int64))
    )


def crosstab(customers: pl.DataFrame, *, rows: str, columns: str) -> pl.DataFrame:
    """Customers in every (``rows``, ``columns``) pair, zeros included, in long form.

    Parameters
    ----------
    customers
        One row per customer with both columns (e.g. ``cluster_name`` and ``segment``).
    rows, columns
        The two grouping columns.

    Returns
    -------
    DataFrame
        ``rows``, ``columns``, ``customers`` (Int64) and ``share_of_row`` (the share of the
        row's customers in that column), one row per pair of values seen.

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"cluster": ["x", "x", "y"], "segment": ["A", "B", "A"]})
    >>> crosstab(frame, rows="cluster", columns="segment").rows()
    [('x', 'A', 1, 0.5), ('x', 'B', 1, 0.5), ('y', 'A', 1, 1.0), ('y', 'B', 0, 0.0)]
    """
    _require(customers, (rows, columns), "crosstab")
    pairs = customers.select(pl.col(rows).unique()).join(
        customers.select(pl.col(columns).unique()), how="cross"
    )
    counts = customers.group_by(rows, columns).agg(pl.len().cast(pl.Int64).alias("customers"))
    return (
        pairs.join(counts, on=[rows, columns], how="left")
        .with_columns(pl.col("customers").fill_null(0))
        .with_columns(
            (pl.col("customers") / pl.col("customers").sum().over(rows)).alias("share_of_row")
        )
        .sort(rows, columns)
    )


def revenue_by_cohort(
    customers: pl.DataFrame, *, start: str = "first_purchase", every: str = "1q"
) -> pl.DataFrame:
    """Customers and their net revenue by the period their ``start`` date falls in.

    Parameters
    ----------
    customers
        One row per customer with ``monetary`` and the ``start`` date column (the
        view's ``first_purchase``, or a joined ``signup_date``).
    start
        The date that puts a customer in a cohort.
    every
        Cohort length: ``"1mo"``, ``"1q"`` or ``"1y"``.

    Returns
    -------
    DataFrame
        ``cohort`` (first day of the period), ``customers``, ``revenue``, ``avg_revenue``;
        customers without a ``start`` date are left out.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> c = pl.DataFrame({"first_purchase": [dt.date(2024, 1, 5), dt.date(2024, 2, 1), dt.date(2024, 5, 2)],
    ...                   "monetary": [10.0, 5.0, 7.0]})
    >>> revenue_by_cohort(c).rows()
    [(datetime.date(2024, 1, 1), 2, 15.0, 7.5), (datetime.date(2024, 4, 1), 1, 7.0, 7.0)]
    """
    _require(customers, (start, "monetary"), "revenue_by_cohort")
    if every not in {"1mo", "1q", "1y"}:
        msg = f"The 'every' parameter of revenue_by_cohort must be '1mo', '1q' or '1y'. Got {every!r}."
        raise DataError(msg)
    return (
        customers.filter(pl.col(start).is_not_null())
        .group_by(pl.col(start).cast(pl.Date).dt.truncate(every).alias("cohort"))
        .agg(pl.len().cast(pl.Int64).alias("customers"), pl.col("monetary").sum().alias("revenue"))
        .with_columns((pl.col("revenue") / pl.col("customers")).alias("avg_revenue"))
        .sort("cohort")
    )
