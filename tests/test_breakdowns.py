"""rfm.breakdowns: the dashboard's small tables, against pandas and hand counts."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import polars as pl
import pytest

from rfm import breakdowns
from rfm.errors import DataError


def _transactions(n: int = 500, seed: int = 3, *, order_ids: bool = True) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 800, n)
    data = {
        "customer_id": [f"c{i}" for i in rng.integers(0, 60, n)],
        "order_date": [
            datetime(2022, 1, 1) + pd.Timedelta(days=int(d), hours=int(d % 7)) for d in days
        ],
        "amount": np.round(rng.normal(40, 30, n), 2),
        "quantity": rng.integers(-2, 9, n).astype(float),
        "gender": rng.choice(["F", "M", None], n).tolist(),
    }
    if order_ids:
        data["order_id"] = [f"o{i}" for i in rng.integers(0, 300, n)]
    return pl.DataFrame(data)


@pytest.mark.parametrize(("every", "freq"), [("1mo", "MS"), ("1y", "YS"), ("1q", "QS")])
def test_revenue_by_period_agrees_with_pandas(every: str, freq: str) -> None:
    tx = _transactions()
    result = breakdowns.revenue_by_period(tx, every=every)  # type: ignore[arg-type]
    frame = tx.to_pandas()
    frame["period"] = frame["order_date"].dt.to_period(freq[0]).dt.start_time.dt.date
    expected = frame.groupby("period").agg(
        revenue=("amount", "sum"),
        customers=("customer_id", "nunique"),
        quantity=("quantity", "sum"),
    )
    expected["orders"] = frame.groupby("period")[["customer_id", "order_id"]].apply(
        lambda g: len(g.drop_duplicates())
    )
    assert result["period"].to_list() == list(expected.index)
    np.testing.assert_allclose(result["revenue"].to_numpy(), expected["revenue"].to_numpy())
    assert result["orders"].to_list() == expected["orders"].tolist()
    assert result["customers"].to_list() == expected["customers"].tolist()
    np.testing.assert_allclose(result["quantity"].to_numpy(), expected["quantity"].to_numpy())


def test_revenue_by_period_without_order_ids_counts_timestamps() -> None:
    tx = pl.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            "order_date": [
                datetime(2024, 1, 3, 10),
                datetime(2024, 1, 3, 10),
                datetime(2024, 1, 3, 11),
                datetime(2024, 1, 3, 10),
            ],
            "amount": [1.0, 2.0, 3.0, 4.0],
        }
    )
    assert breakdowns.revenue_by_period(tx)["orders"].to_list() == [3]


def test_revenue_by_period_respects_as_of_by_day_and_takes_lazy() -> None:
    tx = pl.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "order_date": [
                datetime(2024, 1, 31, 23, 59),
                datetime(2024, 2, 1),
                datetime(2024, 3, 5),
            ],
            "amount": [1.0, 2.0, 4.0],
        }
    )
    result = breakdowns.revenue_by_period(tx.lazy(), as_of=date(2024, 1, 31))
    assert result.rows() == [(date(2024, 1, 1), 1.0, 1, 1)]


def test_activity_table_keeps_all_statuses_in_order() -> None:
    table = pl.DataFrame({"activity": ["Museum", "Museum", "Active"], "monetary": [1.0, 2.0, 3.0]})
    result = breakdowns.activity_table(table)
    assert result["activity"].to_list() == ["Active", "Inactive", "Museum"]
    assert result["customers"].to_list() == [1, 0, 2]
    assert result["revenue"].to_list() == [3.0, 0.0, 3.0]


def test_frequency_bands_cover_every_customer_once() -> None:
    rng = np.random.default_rng(0)
    frequency = rng.integers(1, 60, 300)
    table = pl.DataFrame({"frequency": frequency, "monetary": np.ones(300)})
    result = breakdowns.frequency_bands(table)
    edges = [0, 1, 2, 5, 10, 20, np.inf]
    expected = pd.cut(pd.Series(frequency), bins=edges).value_counts(sort=False).tolist()
    assert result["customers"].to_list() == expected
    assert result["share"].sum() == pytest.approx(1.0)


def test_score_histogram_counts_totals() -> None:
    rng = np.random.default_rng(2)
    scores = rng.integers(1, 6, (400, 3))
    table = pl.DataFrame(scores, schema=["r_score", "f_score", "m_score"], orient="row")
    result = breakdowns.score_histogram(table)
    expected = pd.Series(scores.sum(axis=1)).value_counts().sort_index()
    assert result["rfm_total"].to_list() == expected.index.tolist()
    assert result["customers"].to_list() == expected.tolist()


def test_gender_by_segment_majority_and_ties() -> None:
    tx = pl.DataFrame(
        {"customer_id": ["a", "a", "a", "b", "b", "c"], "gender": ["M", "F", "F", "M", "F", None]}
    )
    customers = pl.DataFrame(
        {"customer_id": ["a", "b", "c", "d"], "segment": ["Lost", "Lost", "Lost", "Lost"]}
    )
    result = breakdowns.gender_by_segment(tx, customers)
    # a: F twice; b: tie -> "F" (alphabetical); c only nulls and d no rows -> Unknown.
    assert result.rows() == [("Lost", "F", 2), ("Lost", "Unknown", 2)]


def test_segment_grid_is_the_rule_grid_with_counts() -> None:
    table = pl.DataFrame({"r_score": [1, 1, 2], "fm_score": [3, 3, 3]})
    grid = breakdowns.segment_grid(table)
    assert grid.height == 25
    assert grid["customers"].sum() == 3
    cells = {(r, fm): (seg, n) for r, fm, seg, n in grid.rows()}
    # DEFAULT_RULES: r=1, fm=3 is At Risk; r=2, fm=3 is At Risk; r=5, fm=5 Champions.
    assert cells[(1, 3)] == ("At Risk", 2)
    assert cells[(2, 3)] == ("At Risk", 1)
    assert cells[(5, 5)] == ("Champions", 0)


def test_segment_grid_takes_custom_rules() -> None:
    rules = {1: ("Cold", "Warm"), 2: ("Warm", "Hot")}
    table = pl.DataFrame({"r_score": [2, 2], "fm_score": [2, 1]})
    assert breakdowns.segment_grid(table, rules=rules).rows() == [
        (1, 1, "Cold", 0),
        (1, 2, "Warm", 0),
        (2, 1, "Warm", 1),
        (2, 2, "Hot", 1),
    ]


def test_quantity_by_segment_against_pandas() -> None:
    rng = np.random.default_rng(5)
    names = ["Champions", "Lost", "At Risk", "Custom"]
    table = pl.DataFrame(
        {
            "segment": rng.choice(names, 300).tolist(),
            "quantity": rng.integers(-3, 20, 300).astype(float),
        }
    )
    result = breakdowns.quantity_by_segment(table)
    expected = table.to_pandas().groupby("segment")["quantity"].sum()
    got = dict(result.rows())
    for name in names:
        assert got[name] == pytest.approx(expected[name])
    assert result["segment"].to_list()[-1] == "Custom"
    assert got["Hibernating"] == 0.0


def test_measured_as_of_inverts_recency() -> None:
    summary = pl.DataFrame(
        {
            "last_purchase": [datetime(2024, 1, 1, 23), datetime(2024, 2, 1)],
            "recency_days": [41, 10],
        }
    )
    assert breakdowns.measured_as_of(summary) == date(2024, 2, 11)
    assert breakdowns.measured_as_of(summary.clear()) is None


def test_top_customers_rejects_bad_options() -> None:
    table = pl.DataFrame({"customer_id": ["a"], "monetary": [1.0]})
    with pytest.raises(DataError, match=r"'n' parameter of top_customers.*Got 0"):
        breakdowns.top_customers(table, n=0)
    with pytest.raises(DataError, match=r"'by' parameter.*Got 'x'"):
        breakdowns.top_customers(table, by="x")  # type: ignore[arg-type]


def test_missing_columns_are_named() -> None:
    with pytest.raises(DataError, match=r"revenue_by_period needs.*Missing: \['amount'\]"):
        breakdowns.revenue_by_period(
            pl.DataFrame({"customer_id": ["a"], "order_date": [datetime(2024, 1, 1)]})
        )
