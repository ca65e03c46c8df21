"""Shopify-shaped exports of any shape against a plain-Python reference (hypothesis).

The reference reads the orders the way the layout documents them: a fully refunded or
voided order is no sale; every other order's lines are quantity x price, less its
refunded amount capped at those lines.
"""

from __future__ import annotations

import hypothesis.strategies as st
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings

import rfm
from rfm import measures
from tests.io.test_shops import HEADER

_STATUSES = ("paid", "pending", "refunded", "partially_refunded", "voided")
_LINE = st.tuples(
    st.integers(1, 3), st.sampled_from(["Tee", "Mug", "Cap"]), st.sampled_from([5.0, 8.5, 12.25])
)
_ORDER = st.fixed_dictionaries(
    {
        "customer": st.sampled_from(["ann@x.com", "bob@x.com", "cy@x.com"]),
        "status": st.sampled_from(_STATUSES),
        "lines": st.lists(_LINE, min_size=1, max_size=3),
        "refund": st.sampled_from([0.0, 4.0, 1000.0]),
        "country": st.sampled_from(["US", "FR", ""]),
        "day": st.integers(1, 28),
    }
)  # fmt: skip


def _csv(orders: list[dict]) -> bytes:
    rows = [HEADER]
    for number, order in enumerate(orders, start=1001):
        created = f"2024-03-{order['day']:02d} 21:30:00 -0500"
        refund = order["refund"] if order["status"] != "paid" else 0.0
        for i, (qty, name, price) in enumerate(order["lines"]):
            head = i == 0
            fields = [
                f"#{number}",
                order["customer"],
                order["status"] if head else "",
                created if head else "",
                "",
                "USD" if head else "",
                "",
                "1.00" if head else "",
                "0.00" if head else "",
                "1.00" if head else "",
                "",
                "0.00" if head else "",
                created,
                str(qty),
                name,
                f"{price:.2f}",
                "",
                name.upper(),
                "",
                order["country"] if head else "",
                "",
                "Visa" if head else "",
                f"{refund:.2f}" if head else "",
                "Acme",
                str(number) if head else "",
            ]
            rows.append(",".join(fields))
    return ("\n".join(rows) + "\n").encode()


def _reference(orders: list[dict]) -> dict[str, float]:
    revenue, kept_orders, customers, lines, excluded, added = 0.0, 0, set(), 0, 0, 0
    for order in orders:
        n = len(order["lines"])
        lines += n
        if order["status"] in ("refunded", "voided"):
            excluded += n
            continue
        value = sum(qty * price for qty, _, price in order["lines"])
        refund = order["refund"] if order["status"] != "paid" else 0.0
        kept_orders += 1
        customers.add(order["customer"])
        revenue += value
        if refund > 0:
            revenue -= min(refund, value)
            added += 1
    return {
        "rows_read": lines,
        "excluded": excluded,
        "added": added,
        "revenue": revenue,
        "orders": kept_orders,
        "customers": len(customers),
    }


@settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ORDER, min_size=1, max_size=8))
def test_reader_agrees_with_the_reference(orders: list[dict]) -> None:
    want = _reference(orders)
    if want["orders"] == 0:
        with pytest.raises(rfm.DataError, match="No transactions left"):
            rfm.read_transactions(_csv(orders))
        return
    result = rfm.read_transactions(_csv(orders))
    report, tx = result.report, result.transactions
    assert report.rows_read == want["rows_read"]
    assert report.reconciles()
    assert report.rows_excluded == want["excluded"]
    assert report.rows_added == want["added"]
    assert tx.height == report.rows_kept + report.rows_added
    got = tx.select(measures.totals(tx.columns, with_customers=True)).row(0, named=True)
    assert got["revenue"] == pytest.approx(want["revenue"])
    assert got["orders"] == want["orders"]
    assert got["customers"] == want["customers"]
    # Every line of an order carries its first line's country, and only that.
    per_order = tx.group_by("order_id").agg(pl.col("country").n_unique().alias("countries"))
    assert per_order["countries"].max() == 1
