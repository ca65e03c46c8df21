"""Small aggregated tables behind the dashboard charts.

Each function returns a few rows (per segment, per score, per month, ...), so charts
and tables never receive raw transactions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Final, Literal

import polars as pl

from rfm.errors import DataError
from rfm.segments import rules_frame, segment_levels

__all__ = [
    "ACTIVITY_ORDER",
    "FREQUENCY_BANDS",
    "activity_table",
    "frequency_bands",
    "gender_by_segment",
    "measured_as_of",
    "quantity_by_segment",
    "revenue_by_period",
    "score_histogram",
    "segment_grid",
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


def _as_of_filter(as_of: date | datetime | None) -> pl.Expr:
    if as_of is None:
        return pl.lit(True)
    day = as_of.date() if isinstance(as_of, datetime) else as_of
    # Date-level, like rfm.summarize: everything on or before the as-of day counts.
    return pl.col("order_date").dt.date() <= day


def revenue_by_period(
    transactions: pl.DataFrame | pl.LazyFrame,
    *,
    every: Literal["1mo", "1q", "1y"] = "1mo",
    as_of: date | datetime | None = None,
) -> pl.DataFrame:
    """Net revenue, orders and customers per calendar month, quarter or year.

    Parameters
    ----------
    transactions : pl.DataFrame or pl.LazyFrame
        Canonical transactions (``customer_id``, ``order_date``, ``amount``; ``order_id``
        and ``quantity`` used when present).
    every : {"1mo", "1q", "1y"}
        Period length.
    as_of : date, optional
        Only transactions on or before this day count (as in :func:`rfm.summarize`).

    Returns
    -------
    pl.DataFrame
        ``period`` (Date, first day), ``revenue``, ``orders`` (distinct order ids, or
        distinct customer + timestamp without order ids, as :func:`rfm.summarize`
        counts them), ``customers`` [, ``quantity``], one row per period with data.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> tx = pl.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "order_date": [datetime(2024, 1, 3), datetime(2024, 1, 3), datetime(2024, 2, 1)],
    ...     "amount": [10.0, 5.0, 7.5],
    ... })
    >>> revenue_by_period(tx).rows()
    [(datetime.date(2024, 1, 1), 15.0, 1, 1), (datetime.date(2024, 2, 1), 7.5, 1, 1)]
    """
    _require(transactions, ("customer_id", "order_date", "amount"), "revenue_by_period")
    lazy = transactions.lazy()
    names = lazy.collect_schema().names()
    order_key = (
        ("customer_id", "order_id") if "order_id" in names else ("customer_id", "order_date")
    )
    aggregations = [
        pl.col("amount").sum().alias("revenue"),
        pl.struct(order_key).n_unique().cast(pl.Int64).alias("orders"),
        pl.col("customer_id").n_unique().cast(pl.Int64).alias("customers"),
    ]
    if "quantity" in names:
        aggregations.append(pl.col("quantity").sum().alias("quantity"))
    return (
        lazy.filter(_as_of_filter(as_of))
        .group_by(pl.col("order_date").dt.truncate(every).dt.date().alias("period"))
        .agg(aggregations)
        .sort("period")
        .collect()
    )


def gender_by_segment(
    transactions: pl.DataFrame | pl.LazyFrame, customers: pl.DataFrame
) -> pl.DataFrame:
    """Customers per segment and gender.

    A customer's gender is the value on most of their transactions (ties: the
    alphabetically first); customers with no gender recorded count as "Unknown".

    Examples
    --------
    >>> import polars as pl
    >>> tx = pl.DataFrame({"customer_id": ["a", "a", "b", "c"],
    ...                    "gender": ["F", "F", "M", None]})
    >>> seg = pl.DataFrame({"customer_id": ["a", "b", "c"],
    ...                     "segment": ["Lost", "Lost", "Champions"]})
    >>> gender_by_segment(tx, seg).rows()
    [('Champions', 'Unknown', 1), ('Lost', 'F', 1), ('Lost', 'M', 1)]
    """
    _require(transactions, ("customer_id", "gender"), "gender_by_segment")
    _require(customers, ("customer_id", "segment"), "gender_by_segment")
    per_customer = (
        transactions.lazy()
        .filter(pl.col("gender").is_not_null())
        .group_by("customer_id", "gender")
        .agg(pl.len().alias("lines"))
        .sort(["customer_id", "lines", "gender"], descending=[False, True, False])
        .group_by("customer_id", maintain_order=True)
        .first()
        .select("customer_id", "gender")
        .collect()
    )
    return (
        customers.select("customer_id", "segment")
        .join(per_customer, on="customer_id", how="left")
        .with_columns(pl.col("gender").fill_null("Unknown"))
        .group_by("segment", "gender")
        .agg(pl.len().cast(pl.Int64).alias("customers"))
        .sort("segment", "gender")
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


def quantity_by_segment(
    customers: pl.DataFrame, *, rules: Mapping[int, Sequence[str]] | None = None
) -> pl.DataFrame:
    """Units bought per segment (net of returns), in display order, 0 for empty segments.

    Examples
    --------
    >>> import polars as pl
    >>> seg = pl.DataFrame({"segment": ["Lost", "Champions", "Lost"],
    ...                     "quantity": [1.0, 10.0, 2.0]})
    >>> quantity_by_segment(seg).head(2).rows()
    [('Champions', 10.0), ('Loyal Customers', 0.0)]
    """
    _require(customers, ("segment", "quantity"), "quantity_by_segment")
    names = segment_levels(rules)
    names += sorted(set(customers["segment"].drop_nulls().to_list()) - set(names))
    totals = customers.group_by("segment").agg(pl.col("quantity").sum())
    return (
        pl.DataFrame({"segment": names}, schema={"segment": pl.String})
        .join(totals, on="segment", how="left", maintain_order="left")
        .with_columns(pl.col("quantity").fill_null(0.0))
    )


def measured_as_of(summary: pl.DataFrame) -> date | None:
    """The day a customer summary measures recency at (``last_purchase + recency_days``).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> summary = pl.DataFrame({"last_purchase": [datetime(2024, 1, 9, 15)],
    ...                         "recency_days": [3]})
    >>> measured_as_of(summary)
    datetime.date(2024, 1, 12)
    """
    _require(summary, ("last_purchase", "recency_days"), "measured_as_of")
    if summary.height == 0:
        return None
    value = summary.select(
        (pl.col("last_purchase").dt.date() + pl.duration(days=pl.col("recency_days"))).max()
    ).item()
    return value if isinstance(value, date) else None


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
