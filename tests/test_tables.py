"""rfm.tables: the customer-level report tables, against hand counts and pandas group-bys.

Tables over transaction lines are rfm.breakdown, tested against their totals in
tests/test_view.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

import rfm
from rfm import tables
from rfm.datasets import load_sample
from rfm.errors import DataError


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    return load_sample()


def test_activity_table_keeps_all_statuses_in_order() -> None:
    table = pl.DataFrame({"activity": ["Museum", "Museum", "Active"], "monetary": [1.0, 2.0, 3.0]})
    result = tables.activity_table(table)
    assert result["activity"].to_list() == ["Active", "Inactive", "Museum"]
    assert result["customers"].to_list() == [1, 0, 2]
    assert result["revenue"].to_list() == [3.0, 0.0, 3.0]


def test_frequency_bands_cover_every_customer_once() -> None:
    rng = np.random.default_rng(0)
    frequency = rng.integers(1, 60, 300)
    table = pl.DataFrame({"frequency": frequency, "monetary": np.ones(300)})
    result = tables.frequency_bands(table)
    edges = [0, 1, 2, 5, 10, 20, np.inf]
    expected = pd.cut(pd.Series(frequency), bins=edges).value_counts(sort=False).tolist()
    assert result["customers"].to_list() == expected
    assert result["share"].sum() == pytest.approx(1.0)


def test_score_histogram_counts_totals() -> None:
    rng = np.random.default_rng(2)
    scores = rng.integers(1, 6, (400, 3))
    table = pl.DataFrame(scores, schema=["r_score", "f_score", "m_score"], orient="row")
    result = tables.score_histogram(table)
    expected = pd.Series(scores.sum(axis=1)).value_counts().sort_index()
    assert result["rfm_total"].to_list() == expected.index.tolist()
    assert result["customers"].to_list() == expected.tolist()


def test_segment_grid_is_the_rule_grid_with_counts() -> None:
    table = pl.DataFrame({"r_score": [1, 1, 2], "fm_score": [3, 3, 3]})
    grid = tables.segment_grid(table)
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
    assert tables.segment_grid(table, rules=rules).rows() == [
        (1, 1, "Cold", 0),
        (1, 2, "Warm", 0),
        (2, 1, "Warm", 1),
        (2, 2, "Hot", 1),
    ]


def test_top_customers_rejects_bad_options() -> None:
    table = pl.DataFrame({"customer_id": ["a"], "monetary": [1.0]})
    with pytest.raises(DataError, match=r"'n' parameter of top_customers.*Got 0"):
        tables.top_customers(table, n=0)
    with pytest.raises(DataError, match=r"'by' parameter.*Got 'x'"):
        tables.top_customers(table, by="x")  # type: ignore[arg-type]


def test_tenure_bands_match_pandas(sample: pl.DataFrame) -> None:
    summary = rfm.summarize(sample)
    got = tables.revenue_by_tenure(summary)
    frame = summary.to_pandas()
    bins = pd.cut(frame["tenure_days"], [0, 90, 182, 365, 730, 1095, 10**6], right=False)
    expected = frame.groupby(bins, observed=True)["monetary"].agg(["size", "sum"])
    assert got["customers"].to_list() == expected["size"].to_list()
    assert got["revenue"].to_list() == pytest.approx(expected["sum"].to_list())
    assert got["customers"].sum() == summary.height


def test_crosstab_matches_pandas(sample: pl.DataFrame) -> None:

    customers = rfm.segment(rfm.score(rfm.summarize(sample)))
    customers = customers.with_columns(
        pl.when(pl.col("frequency") > 3).then(pl.lit("many")).otherwise(pl.lit("few")).alias("band")
    )
    got = tables.crosstab(customers, rows="band", columns="segment")
    expected = pd.crosstab(customers["band"].to_pandas(), customers["segment"].to_pandas())
    assert got.height == expected.size
    for row in got.iter_rows(named=True):
        assert row["customers"] == expected.loc[row["band"], row["segment"]]
    assert got["customers"].sum() == customers.height
    with pytest.raises(DataError, match="crosstab needs the column"):
        tables.crosstab(customers, rows="cluster", columns="segment")
