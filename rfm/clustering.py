"""Data-driven customer groups: KMeans on log-scaled, standardised R, F and M."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn import config_context
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

from rfm.errors import DataError

K_RANGE = range(2, 9)
"""Candidate numbers of clusters when ``k=None``."""

_SILHOUETTE_SAMPLE = 10_000  # silhouette is O(n^2); a fixed-seed sample keeps it fast
_FIT_SAMPLE = 50_000
"""Above this many customers, KMeans is fitted on a fixed-seed sample of this size and every
customer is then assigned to its nearest centre: three features need no more points to place
the centres, and the cost stops growing with the customer base."""


@dataclass(frozen=True)
class ClusterResult:
    """What :func:`cluster` found.

    Attributes
    ----------
    labels
        ``customer_id``, ``cluster`` (0-based, ordered from the most to the least
        valuable cluster) and ``cluster_name``.
    k
        The number of clusters used.
    scores
        ``k``, ``silhouette`` and ``inertia`` for every k tried (one row when ``k``
        was given). Above 50,000 customers both are measured on the fixed-seed sample
        the centres were fitted on.
    profiles
        One row per cluster in original units: ``customers``, ``share``, mean and
        median ``recency_days``, ``frequency`` and ``monetary``, and total revenue.
    """

    labels: pl.DataFrame
    k: int
    scores: pl.DataFrame
    profiles: pl.DataFrame


def features(summary: pl.DataFrame) -> np.ndarray:
    """Log-scaled, standardised recency, frequency and monetary as an ``(n, 3)`` array.

    ``log1p`` tames the long right tails; negative net revenue (more returned than
    bought) is treated as 0. Columns with no spread are left at 0.
    """
    raw = summary.select(
        pl.col("recency_days").cast(pl.Float64).clip(lower_bound=0).log1p(),
        pl.col("frequency").cast(pl.Float64).clip(lower_bound=0).log1p(),
        pl.col("monetary").cast(pl.Float64).clip(lower_bound=0).log1p(),
    ).to_numpy()
    std = raw.std(axis=0)
    return (raw - raw.mean(axis=0)) / np.where(std > 0, std, 1.0)


def _fit(x: np.ndarray, k: int, random_state: int) -> KMeans:
    # One thread: on a busy or shared machine (Streamlit Cloud, CI) OpenMP threads that wait
    # for each other made these small fits 20x slower; one thread is never much slower.
    with threadpool_limits(limits=1):
        return KMeans(n_clusters=k, n_init=10, random_state=random_state).fit(x)


def _level(value: float, population: pl.Series, names: tuple[str, str, str]) -> str:
    share_below = float((population < value).mean())  # type: ignore[arg-type]
    return names[0] if share_below < 1 / 3 else names[1] if share_below < 2 / 3 else names[2]


def _name(profile: dict[str, float], summary: pl.DataFrame) -> str:
    recency = _level(
        profile["recency_days_median"], summary["recency_days"], ("Recent", "Lapsing", "Lapsed")
    )
    frequency = _level(
        profile["frequency_median"], summary["frequency"], ("rare", "occasional", "frequent")
    )
    spend = _level(
        profile["monetary_median"], summary["monetary"], ("low spend", "mid spend", "high spend")
    )
    return f"{recency}, {frequency}, {spend}"


def cluster(
    summary: pl.DataFrame,
    *,
    k: int | None = None,
    random_state: int = 0,
) -> ClusterResult:
    """Group customers by KMeans on log-scaled, standardised recency, frequency and monetary.

    Parameters
    ----------
    summary
        A customer summary from :func:`rfm.summarize`.
    k
        Number of clusters, 2 to 20. ``None`` tries 2 to 8 and keeps the k with the
        highest silhouette (ties: the smaller k).
    random_state
        Seed for KMeans and the silhouette sample; the same seed gives the same result.

    Returns
    -------
    ClusterResult
        Labels, the chosen k, the silhouette and inertia per k, and profiles in
        original units with readable names such as ``"Recent, frequent, high spend"``
        (each cluster median placed in the thirds of all customers).

    Examples
    --------
    >>> import polars as pl
    >>> import rfm
    >>> summary = pl.DataFrame({
    ...     "customer_id": [f"c{i}" for i in range(6)],
    ...     "recency_days": [2, 3, 4, 300, 320, 310],
    ...     "frequency": [12, 10, 11, 1, 1, 2],
    ...     "monetary": [900.0, 800.0, 950.0, 20.0, 15.0, 30.0],
    ... })
    >>> result = rfm.cluster(summary, k=2)
    >>> result.labels["cluster"].to_list()
    [0, 0, 0, 1, 1, 1]
    >>> result.profiles["cluster_name"].to_list()
    ['Recent, frequent, high spend', 'Lapsed, rare, low spend']
    """
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= 20):
        msg = f"The 'k' parameter of cluster must be an int in [2, 20] or None. Got {k!r}."
        raise ValueError(msg)
    missing = [
        c
        for c in ("customer_id", "recency_days", "frequency", "monetary")
        if c not in summary.columns
    ]
    if missing:
        msg = (
            f"cluster needs a customer summary with customer_id, recency_days, frequency and "
            f"monetary. Missing: {', '.join(missing)}. Build it with rfm.summarize(transactions)."
        )
        raise DataError(msg)
    x = features(summary)
    n_distinct = len(np.unique(x, axis=0))
    needed = k if k is not None else min(K_RANGE)
    if n_distinct <= needed:
        msg = (
            f"cluster needs more distinct customers than clusters: found {n_distinct} distinct "
            f"(recency, frequency, monetary) profiles among {summary.height} customers for "
            f"k={needed}. Use more data or a smaller k."
        )
        raise DataError(msg)

    candidates = [k] if k is not None else [c for c in K_RANGE if c < n_distinct]
    if len(x) > _FIT_SAMPLE:
        rng = np.random.default_rng(random_state)
        fit_x = x[np.sort(rng.choice(len(x), size=_FIT_SAMPLE, replace=False))]
    else:
        fit_x = x
    sample = min(_SILHOUETTE_SAMPLE, len(fit_x))
    rows = []
    models = {}
    for c in candidates:
        model = _fit(fit_x, c, random_state)
        models[c] = model
        # scikit-learn's default working memory (1 GiB) builds the whole distance block of
        # the sample at once (+767 MiB at 10,000 customers); 64 MiB chunks give the same
        # score within a bounded memory (issue 15: an app container has about 1 GB).
        with config_context(working_memory=64):
            sil = silhouette_score(
                fit_x, model.labels_, sample_size=sample, random_state=random_state
            )
        rows.append((c, float(sil), float(model.inertia_)))
    scores = pl.DataFrame(
        rows, schema={"k": pl.Int64, "silhouette": pl.Float64, "inertia": pl.Float64}, orient="row"
    )
    best_k = (
        k
        if k is not None
        else int(scores.sort(["silhouette", "k"], descending=[True, False])["k"][0])
    )
    with threadpool_limits(limits=1):
        raw_labels = models[best_k].predict(x) if fit_x is not x else models[best_k].labels_

    labelled = summary.select("customer_id", "recency_days", "frequency", "monetary").with_columns(
        pl.Series("__raw", raw_labels, dtype=pl.Int64)
    )
    # Order clusters from most to least valuable by the mean of their standardised
    # F + M - R centre, so cluster 0 is always the best and labels are stable.
    centres = models[best_k].cluster_centers_
    value = centres[:, 1] + centres[:, 2] - centres[:, 0]
    order = np.argsort(-value, kind="stable")
    relabel = pl.DataFrame(
        {"__raw": order.astype(np.int64), "cluster": np.arange(best_k, dtype=np.int64)}
    )
    labelled = labelled.join(relabel, on="__raw", how="left", maintain_order="left").drop("__raw")

    profiles = (
        labelled.group_by("cluster")
        .agg(
            pl.len().cast(pl.Int64).alias("customers"),
            pl.col("recency_days").mean().alias("recency_days_mean"),
            pl.col("recency_days").median().alias("recency_days_median"),
            pl.col("frequency").mean().alias("frequency_mean"),
            pl.col("frequency").median().alias("frequency_median"),
            pl.col("monetary").mean().alias("monetary_mean"),
            pl.col("monetary").median().alias("monetary_median"),
            pl.col("monetary").sum().alias("revenue"),
        )
        .sort("cluster")
        .with_columns((pl.col("customers") / pl.col("customers").sum()).alias("share"))
    )
    names = [_name(row, summary) for row in profiles.iter_rows(named=True)]
    seen: dict[str, int] = {}
    unique_names = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique_names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    profiles = profiles.with_columns(pl.Series("cluster_name", unique_names, dtype=pl.String))
    profiles = profiles.select(
        "cluster",
        "cluster_name",
        "customers",
        "share",
        pl.exclude("cluster", "cluster_name", "customers", "share"),
    )
    labels = labelled.join(
        profiles.select("cluster", "cluster_name"), on="cluster", how="left", maintain_order="left"
    ).select("customer_id", "cluster", "cluster_name")
    return ClusterResult(labels=labels, k=best_k, scores=scores, profiles=profiles)
