"""score: balanced bins, the tie rule, bounds and errors."""

from __future__ import annotations

import hypothesis.strategies as st
import polars as pl
import pytest
from hypothesis import given, settings

import rfm


def _summary(recency: list[int], frequency: list[int], monetary: list[float]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [f"c{i:03d}" for i in range(len(recency))],
            "recency_days": recency,
            "frequency": frequency,
            "monetary": monetary,
        }
    )


def test_hand_computed_scores() -> None:
    # Ten customers with distinct values: quintiles are pairs in rank order.
    s = _summary(
        recency=[1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        frequency=[10, 9, 8, 7, 6, 5, 4, 3, 2, 1],
        monetary=[5.0, 4.0, 3.0, 2.0, 1.0, 10.0, 9.0, 8.0, 7.0, 6.0],
    )
    out = rfm.score(s)
    assert out["r_score"].to_list() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert out["f_score"].to_list() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert out["m_score"].to_list() == [3, 2, 2, 1, 1, 5, 5, 4, 4, 3]
    # fm = (f + m) / 2 rounded half up
    assert out["fm_score"].to_list() == [4, 4, 3, 3, 2, 4, 4, 3, 3, 2]
    assert out["rfm_score"].to_list()[:2] == ["553", "552"]


def test_ties_broken_by_other_measures_then_id() -> None:
    # Everyone bought once: F is decided by monetary, then recency, then customer_id.
    s = _summary(
        recency=[10, 10, 10, 10],
        frequency=[1, 1, 1, 1],
        monetary=[50.0, 10.0, 10.0, 10.0],
    ).with_columns(pl.Series("recency_days", [10, 30, 20, 20]))
    out = rfm.score(s, bins=4)
    # monetary: c000 best. Among c001..c003 (10.0): recency 30 is worst; c002 and c003 tie
    # on recency too, and the alphabetically earlier id ranks higher.
    assert out["f_score"].to_list() == [4, 1, 3, 2]


def test_bins_balanced_when_most_bought_once() -> None:
    n = 1000
    s = _summary(
        recency=[i % 97 for i in range(n)],
        frequency=[1] * 900 + [2] * 80 + [5] * 20,
        monetary=[float(i % 13) for i in range(n)],
    )
    out = rfm.score(s)
    for col in ("r_score", "f_score", "m_score"):
        counts = out[col].value_counts()["count"].to_list()
        assert counts == [200] * 5, col


@settings(max_examples=50, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.integers(0, 400), st.integers(1, 20), st.floats(-10, 1e4, allow_nan=False)),
        min_size=1,
        max_size=60,
    ),
    bins=st.integers(2, 10),
)
def test_scores_in_range_and_balanced(data: list[tuple[int, int, float]], bins: int) -> None:
    s = _summary([d[0] for d in data], [d[1] for d in data], [d[2] for d in data])
    out = rfm.score(s, bins=bins)
    for col in ("r_score", "f_score", "m_score", "fm_score"):
        assert out[col].min() >= 1
        assert out[col].max() <= bins
    sizes = out["f_score"].value_counts()["count"]
    assert sizes.max() - sizes.min() <= 1 or len(data) < bins
    # Monotone: a strictly more recent customer never gets a lower R score.
    levels = (
        out.group_by("recency_days")
        .agg(pl.col("r_score").min().alias("lo"), pl.col("r_score").max().alias("hi"))
        .sort("recency_days")
    )
    lo, hi = levels["lo"].to_list(), levels["hi"].to_list()
    assert all(lo[i] >= hi[i + 1] for i in range(len(lo) - 1))


def test_rows_order_independent() -> None:
    s = _summary([5, 1, 9, 3], [2, 1, 1, 4], [10.0, 30.0, 1.0, 2.0])
    a = rfm.score(s).sort("customer_id")
    b = rfm.score(s.reverse()).sort("customer_id")
    assert a.equals(b)


@pytest.mark.parametrize("bins", [1, 11, 2.5, True])
def test_bad_bins(bins: object) -> None:
    with pytest.raises(
        ValueError, match=r"The 'bins' parameter of score must be an int in \[2, 10\]"
    ):
        rfm.score(_summary([1], [1], [1.0]), bins=bins)  # type: ignore[arg-type]


def test_missing_columns() -> None:
    with pytest.raises(rfm.DataError, match="Missing: monetary. Build it with rfm.summarize"):
        rfm.score(pl.DataFrame({"customer_id": ["a"], "recency_days": [1], "frequency": [1]}))


def _lexsort_scores(s: pl.DataFrame, bins: int) -> dict[str, list[int]]:
    """The documented rule computed independently: a full lexsort per score, then bins."""
    import numpy as np

    recency = s["recency_days"].to_numpy().astype(float)
    frequency = s["frequency"].to_numpy().astype(float)
    monetary = s["monetary"].to_numpy() + 0.0
    # Ascending customer_id is better, so a later id sorts earlier ("worst first").
    ids = -s["customer_id"].rank("ordinal").to_numpy().astype(float)
    worst_first = {  # np.lexsort: last key is primary; larger = better for each key
        "r_score": (ids, monetary, frequency, -recency),
        "f_score": (ids, -recency, monetary, frequency),
        "m_score": (ids, -recency, frequency, monetary),
    }
    n = s.height
    out = {}
    for name, keys in worst_first.items():
        position = np.empty(n, dtype=np.int64)
        position[np.lexsort(keys)] = np.arange(n)
        out[name] = ((position * bins) // n + 1).tolist()
    return out


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.integers(-5, 3000),
            st.integers(1, 300),
            st.sampled_from([0.0, -0.0, 1.5, 10.0, 99.99, -3.0, 1e6]) | st.floats(-1e3, 1e7),
            st.text("abcxyz", min_size=1, max_size=4),
        ),
        min_size=1,
        max_size=300,
        unique_by=lambda d: d[3],
    ),
    bins=st.integers(2, 10),
)
def test_scores_match_a_full_lexsort(data: list[tuple[int, int, float, str]], bins: int) -> None:
    # Unsorted ids, ties, -0.0 and n < bins all go through the packed-key route.
    s = pl.DataFrame(
        {
            "customer_id": [d[3] for d in data],
            "recency_days": [d[0] for d in data],
            "frequency": [d[1] for d in data],
            "monetary": [d[2] for d in data],
        }
    )
    out = rfm.score(s, bins=bins)
    expected = _lexsort_scores(s, bins)
    for name, levels in expected.items():
        assert out[name].to_list() == levels, name
    digits = [f"{r}{f}{m}" for r, f, m in zip(*expected.values(), strict=True)]
    assert out["rfm_score"].to_list() == digits
