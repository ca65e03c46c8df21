"""Headline numbers and the segment table, computed from the customer table.

The customer table is the output of :func:`rfm.summarize` (one row per customer),
optionally scored and segmented. Everything here is per customer, so it is as fast on a
million transactions as on a thousand once the summary exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import polars as pl

from rfm.errors import DataError

__all__ = ["kpis", "segment_table"]

KpiValue = int | float | date | None


def _require(customers: pl.DataFrame, needed: tuple[str, ...], caller: str) -> None:
    missing = [name for name in needed if name not in customers.columns]
    if missing:
        msg = (
            f"{caller} needs the customer table from rfm.summarize (then rfm.score and "
            f"rfm.segment for segment columns). Missing columns: {missing}; "
            f"found: {customers.columns}."
        )
        raise DataError(msg)


def kpis(customers: pl.DataFrame) -> dict[str, KpiValue]:
    """Headline KPIs of a customer table.

    Parameters
    ----------
    customers : pl.DataFrame
        One row per customer, as returned by :func:`rfm.summarize` (and optionally
        :func:`rfm.segment`, which adds ``activity``).

    Returns
    -------
    dict
        ``customers`` (count), ``orders`` (sum of ``frequency``), ``revenue`` (net, sum of
        ``monetary``), ``quantity`` (sum, or None without a quantity column),
        ``avg_order_value`` (revenue / orders), ``orders_per_customer``,
        ``share_active`` (share of customers whose ``activity`` is "Active", or None
        without that column) and ``as_of`` (the date recency is measured at).
        Ratios are None when their denominator is 0.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> table = pl.DataFrame({
    ...     "customer_id": ["a", "b"], "frequency": [3, 1], "monetary": [90.0, 30.0],
    ...     "recency_days": [1, 10],
    ...     "last_purchase": [datetime(2024, 1, 9), datetime(2023, 12, 31)],
    ... })
    >>> result = kpis(table)
    >>> result["orders"], result["revenue"], result["avg_order_value"], result["as_of"]
    (4, 120.0, 30.0, datetime.date(2024, 1, 10))
    """
    _require(customers, ("customer_id", "frequency", "monetary"), "kpis")
    n_customers = customers.height
    orders = int(customers["frequency"].sum())
    revenue = float(customers["monetary"].sum())
    quantity = float(customers["quantity"].sum()) if "quantity" in customers.columns else None
    share_active = None
    if "activity" in customers.columns and n_customers:
        share_active = float((customers["activity"] == "Active").mean() or 0.0)
    as_of = None
    if {"last_purchase", "recency_days"} <= set(customers.columns) and n_customers:
        # recency_days = as_of - last purchase date, so any row gives as_of back.
        as_of = customers.select(
            (
                pl.col("last_purchase").dt.date()
                + pl.duration(days=pl.col("recency_days"))
            ).max()
        ).item()
    return {
        "customers": n_customers,
        "orders": orders,
        "revenue": revenue,
        "quantity": quantity,
        "avg_order_value": revenue / orders if orders else None,
        "orders_per_customer": orders / n_customers if n_customers else None,
        "share_active": share_active,
        "as_of": as_of,
    }


def _segment_catalogue() -> Mapping[str, Any]:
    # Imported here: rfm/__init__ imports this module, and SEGMENTS lives beside segment().
    import rfm

    return rfm.SEGMENTS


def segment_table(
    customers: pl.DataFrame, *, segments: Mapping[str, Any] | None = None
) -> pl.DataFrame:
    """One row per segment: size, shares, averages, description and recommended action.

    Parameters
    ----------
    customers : pl.DataFrame
        Output of :func:`rfm.segment` (needs ``segment``, ``recency_days``,
        ``frequency`` and ``monetary``; ``quantity`` is summed when present).
    segments : mapping, optional
        Segment name -> object with ``description`` and ``action`` attributes.
        Defaults to :data:`rfm.SEGMENTS`; its order is the row order, and segments
        it does not know follow alphabetically.

    Returns
    -------
    pl.DataFrame
        ``segment``, ``customers``, ``customer_share``, ``revenue``, ``revenue_share``,
        [``quantity``,] ``avg_recency_days``, ``avg_frequency``, ``avg_monetary``,
        ``description``, ``action``. Only segments with customers appear. Shares are in
        [0, 1]; ``revenue_share`` is null when total revenue is 0.

    Examples
    --------
    >>> import polars as pl
    >>> from types import SimpleNamespace as Seg
    >>> table = pl.DataFrame({
    ...     "segment": ["Lost", "Champions", "Champions"], "recency_days": [400, 2, 4],
    ...     "frequency": [1, 9, 7], "monetary": [10.0, 500.0, 490.0],
    ... })
    >>> catalogue = {"Champions": Seg(description="Best", action="Reward"),
    ...              "Lost": Seg(description="Gone", action="Ignore")}
    >>> segment_table(table, segments=catalogue).select(
    ...     "segment", "customers", "revenue_share", "avg_frequency").rows()
    [('Champions', 2, 0.99, 8.0), ('Lost', 1, 0.01, 1.0)]
    """
    _require(customers, ("segment", "recency_days", "frequency", "monetary"), "segment_table")
    catalogue = _segment_catalogue() if segments is None else segments
    sums = [pl.col("monetary").sum().alias("revenue")]
    if "quantity" in customers.columns:
        sums.append(pl.col("quantity").sum().alias("quantity"))
    table = customers.group_by("segment").agg(
        pl.len().cast(pl.Int64).alias("customers"),
        *sums,
        pl.col("recency_days").mean().alias("avg_recency_days"),
        pl.col("frequency").mean().alias("avg_frequency"),
        pl.col("monetary").mean().alias("avg_monetary"),
    )
    total_revenue = float(customers["monetary"].sum())
    known = list(catalogue)
    names = table["segment"].to_list()
    order = {name: i for i, name in enumerate(known + sorted(n for n in names if n not in known))}
    table = table.with_columns(
        (pl.col("customers") / customers.height).alias("customer_share"),
        (pl.col("revenue") / total_revenue if total_revenue else pl.lit(None, pl.Float64)).alias(
            "revenue_share"
        ),
        pl.col("segment")
        .replace_strict(
            {name: getattr(catalogue[name], "description", None) for name in names
             if name in catalogue},
            default=None,
            return_dtype=pl.String,
        )
        .alias("description"),
        pl.col("segment")
        .replace_strict(
            {name: getattr(catalogue[name], "action", None) for name in names
             if name in catalogue},
            default=None,
            return_dtype=pl.String,
        )
        .alias("action"),
        pl.col("segment").replace_strict(order, return_dtype=pl.Int64).alias("_order"),
    )
    columns = ["segment", "customers", "customer_share", "revenue", "revenue_share"]
    columns += ["quantity"] if "quantity" in customers.columns else []
    columns += ["avg_recency_days", "avg_frequency", "avg_monetary", "description", "action"]
    return table.sort("_order").select(columns)
