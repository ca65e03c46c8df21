"""cluster: determinism, k selection, profiles in original units, errors."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

import rfm


def _blobs(seed: int = 0, per: int = 60) -> pl.DataFrame:
    """Three well-separated groups in log space: champions, regulars, lapsed one-timers."""
    rng = np.random.default_rng(seed)
    centres = [(3, 30, 3000.0), (40, 6, 400.0), (500, 1, 20.0)]
    rows = []
    for g, (r, f, m) in enumerate(centres):
        for i in range(per):
            rows.append(
                (
                    f"g{g}-{i:03d}",
                    int(r * rng.lognormal(0, 0.15)),
                    max(1, int(f * rng.lognormal(0, 0.15))),
                    float(m * rng.lognormal(0, 0.15)),
                )
            )
    return pl.DataFrame(
        rows, schema=["customer_id", "recency_days", "frequency", "monetary"], orient="row"
    )


def test_picks_three_for_three_blobs() -> None:
    result = rfm.cluster(_blobs())
    assert result.k == 3
    assert result.scores["k"].to_list() == list(range(2, 9))
    truth = [cid.split("-")[0] for cid in result.labels["customer_id"]]
    assert adjusted_rand_score(truth, result.labels["cluster"].to_list()) == pytest.approx(1.0)


def test_best_cluster_first_with_readable_names_and_original_units() -> None:
    summary = _blobs()
    result = rfm.cluster(summary, k=3)
    profiles = result.profiles
    assert profiles["cluster_name"].to_list()[0].startswith("Recent")
    champions = summary.filter(pl.col("customer_id").str.starts_with("g0"))
    assert profiles["monetary_mean"][0] == pytest.approx(champions["monetary"].mean())
    assert profiles["customers"].sum() == summary.height
    assert profiles["share"].sum() == pytest.approx(1.0)


def test_same_labels_as_sklearn_on_the_same_features() -> None:
    summary = _blobs(seed=3)
    x = np.log1p(summary.select("recency_days", "frequency", "monetary").to_numpy().astype(float))
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    reference = KMeans(n_clusters=4, n_init=10, random_state=7).fit(x).labels_
    got = rfm.cluster(summary, k=4, random_state=7).labels["cluster"].to_list()
    assert adjusted_rand_score(reference, got) == pytest.approx(1.0)


def test_deterministic() -> None:
    summary = _blobs(seed=1)
    a = rfm.cluster(summary, random_state=5)
    b = rfm.cluster(summary, random_state=5)
    assert a.labels.equals(b.labels)
    assert a.scores.equals(b.scores)


@pytest.mark.parametrize("k", [1, 21, 2.0, True])
def test_bad_k(k: object) -> None:
    with pytest.raises(
        ValueError, match=r"The 'k' parameter of cluster must be an int in \[2, 20\] or None"
    ):
        rfm.cluster(_blobs(), k=k)  # type: ignore[arg-type]


def test_too_few_distinct_customers() -> None:
    summary = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "recency_days": [1, 1, 1],
            "frequency": [1, 1, 1],
            "monetary": [5.0, 5.0, 5.0],
        }
    )
    with pytest.raises(rfm.DataError, match="found 1 distinct"):
        rfm.cluster(summary)


def test_missing_columns() -> None:
    with pytest.raises(rfm.DataError, match="Missing: monetary"):
        rfm.cluster(pl.DataFrame({"customer_id": ["a"], "recency_days": [1], "frequency": [1]}))


def test_large_customer_base_fits_on_a_sample_and_labels_everyone() -> None:
    summary = _blobs(seed=2, per=20_001)  # 60,003 customers: above the fitting sample
    result = rfm.cluster(summary, random_state=0)
    assert result.k == 3
    assert result.labels.height == summary.height
    truth = [cid.split("-")[0] for cid in result.labels["customer_id"]]
    assert adjusted_rand_score(truth, result.labels["cluster"].to_list()) == pytest.approx(1.0)
    assert result.profiles["customers"].sum() == summary.height
