"""kpis and segment_table agree with independent sums over the inputs."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

import rfm


@pytest.fixture
def transactions() -> pl.DataFrame:
    d = dt.datetime
    return pl.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "c", "c"],
            "order_id": ["1", "2", "3", "4", "5", "C6"],
            "order_date": [
                d(2024, 1, 1),
                d(2024, 3, 1),
                d(2023, 6, 1),
                d(2024, 2, 1),
                d(2024, 3, 20),
                d(2024, 3, 25),
            ],
            "amount": [10.0, 20.0, 5.0, 40.0, 60.0, -15.0],
            "quantity": [1.0, 2.0, 1.0, 4.0, 6.0, -1.0],
        }
    )


def test_kpis_hand_computed(transactions: pl.DataFrame) -> None:
    k = rfm.kpis(rfm.summarize(transactions, as_of="2024-03-31"))
    assert k.customers == 3
    assert k.orders == 5  # the return is not an order
    assert k.revenue == pytest.approx(120.0)
    assert k.quantity == pytest.approx(13.0)
    assert k.avg_order_value == pytest.approx(24.0)
    assert k.orders_per_customer == pytest.approx(5 / 3)
    assert k.share_active == pytest.approx(2 / 3)  # b last bought 10 months ago
    assert "Revenue              120.00" in str(k)


def test_kpis_without_quantity(transactions: pl.DataFrame) -> None:
    k = rfm.kpis(rfm.summarize(transactions.drop("quantity")))
    assert k.quantity is None
    assert "Quantity             n/a" in str(k)


def test_segment_table_lists_every_segment_and_sums_up(transactions: pl.DataFrame) -> None:
    seg = rfm.segment(rfm.score(rfm.summarize(transactions)))
    table = rfm.segment_table(seg)
    assert table["segment"].to_list() == list(rfm.SEGMENTS)
    assert table["customers"].sum() == 3
    assert table["revenue"].sum() == pytest.approx(120.0)
    assert table["share"].sum() == pytest.approx(1.0)
    assert table["revenue_share"].sum() == pytest.approx(1.0)


def test_errors() -> None:
    with pytest.raises(
        rfm.DataError, match="kpis needs a customer summary. Missing: frequency, monetary"
    ):
        rfm.kpis(pl.DataFrame({"customer_id": ["a"], "recency_days": [1]}))
    with pytest.raises(
        rfm.DataError, match="segment_table needs segmented customers. Missing: segment"
    ):
        rfm.segment_table(pl.DataFrame({"customer_id": ["a"]}))
