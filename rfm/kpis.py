"""Headline figures of a customer base, from the customer summary."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import polars as pl

from rfm.errors import DataError

if TYPE_CHECKING:
    from rfm.view import AnalysisView


@dataclass(frozen=True)
class Kpis:
    """Headline figures; ``quantity`` is None when the data has no quantities."""

    customers: int
    orders: int
    revenue: float
    quantity: float | None
    avg_order_value: float
    orders_per_customer: float
    share_active: float
    active_days: int
    returns_only_customers: int = 0
    """Customers with only returns in the view: not counted as customers."""
    returns_only_revenue: float = 0.0
    """Their net value (negative), included in ``revenue``."""

    def as_dict(self) -> dict[str, float | int | None]:
        """The figures as a plain dict (for JSON or a table)."""
        return asdict(self)

    def __str__(self) -> str:
        quantity = "n/a" if self.quantity is None else f"{self.quantity:,.0f}"
        return "\n".join(
            [
                f"Customers            {self.customers:,}",
                f"Orders               {self.orders:,}",
                f"Revenue              {self.revenue:,.2f}",
                f"Quantity             {quantity}",
                f"Average order value  {self.avg_order_value:,.2f}",
                f"Orders per customer  {self.orders_per_customer:,.2f}",
                f"{f'Active (<= {self.active_days} days)':<21}{self.share_active:.1%}",
            ]
            + (
                [
                    f"Revenue includes {self.returns_only_revenue:,.2f} of returns by "
                    f"{self.returns_only_customers:,} customers with no purchase"
                ]
                if self.returns_only_customers
                else []
            )
        )


def kpis(summary: pl.DataFrame | AnalysisView, *, active_days: int = 90) -> Kpis:
    """Customers, orders, revenue, quantity, average order value, orders per customer, share active.

    Given an :class:`rfm.AnalysisView`, the view's own figures (:meth:`~rfm.AnalysisView.kpis`:
    revenue then includes the returns of customers with no purchase in the view). Given a
    customer summary, orders are the sum of each customer's ``frequency`` and revenue the
    sum of net ``monetary``, so the figures agree with the summary they come from.

    Examples
    --------
    >>> import polars as pl
    >>> import rfm
    >>> summary = pl.DataFrame({"customer_id": ["a", "b"], "recency_days": [10, 200],
    ...                         "frequency": [3, 1], "monetary": [90.0, 10.0]})
    >>> k = rfm.kpis(summary)
    >>> k.customers, k.orders, k.revenue, k.avg_order_value, k.share_active
    (2, 4, 100.0, 25.0, 0.5)
    """
    if not isinstance(summary, pl.DataFrame):
        return summary.kpis()
    missing = [
        c
        for c in ("customer_id", "recency_days", "frequency", "monetary")
        if c not in summary.columns
    ]
    if missing:
        msg = f"kpis needs a customer summary. Missing: {', '.join(missing)}. Build it with rfm.summarize."
        raise DataError(msg)
    row = summary.select(
        pl.len().alias("customers"),
        pl.col("frequency").sum().alias("orders"),
        pl.col("monetary").sum().alias("revenue"),
        (
            pl.col("quantity").sum() if "quantity" in summary.columns else pl.lit(None, pl.Float64)
        ).alias("quantity"),
        (pl.col("recency_days") <= active_days).mean().alias("share_active"),
    ).row(0, named=True)
    customers, orders = int(row["customers"]), int(row["orders"] or 0)
    revenue = float(row["revenue"] or 0.0)
    return Kpis(
        customers=customers,
        orders=orders,
        revenue=revenue,
        quantity=None if row["quantity"] is None else float(row["quantity"]),
        avg_order_value=revenue / orders if orders else 0.0,
        orders_per_customer=orders / customers if customers else 0.0,
        share_active=float(row["share_active"] or 0.0),
        active_days=active_days,
    )
