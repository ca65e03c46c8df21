"""rfm.kpis: headline numbers and the segment table, checked by hand and against pandas."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

import numpy as np
import pandas as pd
import polars as pl
import pytest

from rfm.errors import DataError
from rfm.kpis import kpis, segment_table

CATALOGUE = {
    "Champions": SimpleNamespace(description="Bought recently, often, most.", action="Reward"),
    "At Risk": SimpleNamespace(description="Used to buy a lot.", action="Win back"),
    "Lost": SimpleNamespace(description="Gone.", action="Ignore"),
}


def _customers(n: int = 200, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    recency = rng.integers(0, 700, n)
    return pl.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "last_purchase": [datetime(2024, 6, 30) - pd.Timedelta(days=int(r)) for r in recency],
            "recency_days": recency + 1,
            "frequency": rng.integers(1, 30, n),
            "monetary": rng.gamma(2.0, 50.0, n) - 10.0,
            "quantity": rng.integers(1, 100, n).astype(float),
            "segment": rng.choice(["Champions", "At Risk", "Lost", "Custom B", "Custom A"], n),
            "activity": rng.choice(["Active", "Inactive", "Museum"], n),
        }
    )


def test_kpis_by_hand() -> None:
    table = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "frequency": [1, 2, 3, 4],
            "monetary": [10.0, 20.0, -5.0, 75.0],
            "quantity": [1.0, 2.0, -1.0, 8.0],
            "activity": ["Active", "Museum", "Active", "Inactive"],
            "recency_days": [3, 400, 10, 100],
            "last_purchase": [datetime(2024, 3, 1, 15, 30), datetime(2023, 1, 28),
                              datetime(2024, 2, 23), datetime(2023, 11, 25)],
        }
    )
    assert kpis(table) == {
        "customers": 4,
        "orders": 10,
        "revenue": 100.0,
        "quantity": 10.0,
        "avg_order_value": 10.0,
        "orders_per_customer": 2.5,
        "share_active": 0.5,
        "as_of": date(2024, 3, 4),
    }


def test_kpis_agree_with_pandas() -> None:
    table = _customers()
    frame = table.to_pandas()
    result = kpis(table)
    assert result["customers"] == len(frame)
    assert result["orders"] == frame["frequency"].sum()
    assert result["revenue"] == pytest.approx(frame["monetary"].sum())
    assert result["quantity"] == pytest.approx(frame["quantity"].sum())
    assert result["avg_order_value"] == pytest.approx(
        frame["monetary"].sum() / frame["frequency"].sum()
    )
    assert result["share_active"] == pytest.approx((frame["activity"] == "Active").mean())


def test_kpis_without_optional_columns_are_none() -> None:
    table = pl.DataFrame({"customer_id": ["a"], "frequency": [2], "monetary": [8.0]})
    result = kpis(table)
    assert result["quantity"] is None
    assert result["share_active"] is None
    assert result["as_of"] is None
    assert result["avg_order_value"] == 4.0


def test_kpis_of_an_empty_table_have_no_ratios() -> None:
    table = pl.DataFrame(schema={"customer_id": pl.String, "frequency": pl.Int64,
                                 "monetary": pl.Float64})
    result = kpis(table)
    assert result["customers"] == 0
    assert result["avg_order_value"] is None
    assert result["orders_per_customer"] is None


def test_kpis_name_missing_columns() -> None:
    with pytest.raises(DataError, match=r"kpis needs the customer table.*\['monetary'\]"):
        kpis(pl.DataFrame({"customer_id": ["a"], "frequency": [1]}))


def test_segment_table_agrees_with_pandas() -> None:
    table = _customers()
    result = segment_table(table, segments=CATALOGUE)
    frame = table.to_pandas()
    grouped = frame.groupby("segment").agg(
        customers=("customer_id", "size"),
        revenue=("monetary", "sum"),
        quantity=("quantity", "sum"),
        avg_recency_days=("recency_days", "mean"),
        avg_frequency=("frequency", "mean"),
        avg_monetary=("monetary", "mean"),
    )
    assert result["segment"].to_list() == ["Champions", "At Risk", "Lost", "Custom A", "Custom B"]
    for row in result.iter_rows(named=True):
        expected = grouped.loc[row["segment"]]
        assert row["customers"] == expected["customers"]
        assert row["customer_share"] == pytest.approx(expected["customers"] / len(frame))
        assert row["revenue"] == pytest.approx(expected["revenue"])
        assert row["revenue_share"] == pytest.approx(
            expected["revenue"] / frame["monetary"].sum()
        )
        assert row["quantity"] == pytest.approx(expected["quantity"])
        assert row["avg_recency_days"] == pytest.approx(expected["avg_recency_days"])
        assert row["avg_frequency"] == pytest.approx(expected["avg_frequency"])
        assert row["avg_monetary"] == pytest.approx(expected["avg_monetary"])
    assert result["customer_share"].sum() == pytest.approx(1.0)


def test_segment_table_descriptions_and_unknown_segments() -> None:
    result = segment_table(_customers(), segments=CATALOGUE)
    rows = {row["segment"]: row for row in result.iter_rows(named=True)}
    assert rows["At Risk"]["action"] == "Win back"
    assert rows["Champions"]["description"] == "Bought recently, often, most."
    assert rows["Custom A"]["description"] is None


def test_segment_table_zero_revenue_has_null_share() -> None:
    table = pl.DataFrame(
        {"segment": ["Lost", "Lost"], "recency_days": [1, 2], "frequency": [1, 1],
         "monetary": [5.0, -5.0]}
    )
    result = segment_table(table, segments=CATALOGUE)
    assert result["revenue_share"].to_list() == [None]
    assert "quantity" not in result.columns


def test_segment_table_does_not_modify_input() -> None:
    table = _customers(20)
    before = table.clone()
    segment_table(table, segments=CATALOGUE)
    assert table.equals(before)
