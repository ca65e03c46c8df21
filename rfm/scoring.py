"""R, F and M scores in 1..bins, high = good."""

from __future__ import annotations

import polars as pl

from rfm.errors import DataError

# Each score ranks customers by its own measure first; ties are broken by the other two
# measures, then by customer_id, so every customer gets a distinct rank and the bins
# stay equal in size even when most customers share a value (e.g. frequency 1).
# ``True`` means larger is better.
_RANK_KEYS: dict[str, tuple[tuple[str, bool], ...]] = {
    "r_score": (("recency_days", False), ("frequency", True), ("monetary", True)),
    "f_score": (("frequency", True), ("monetary", True), ("recency_days", False)),
    "m_score": (("monetary", True), ("frequency", True), ("recency_days", False)),
}


def _check_bins(bins: int) -> None:
    if isinstance(bins, bool) or not isinstance(bins, int) or not 2 <= bins <= 10:
        msg = f"The 'bins' parameter of score must be an int in [2, 10]. Got {bins!r}."
        raise ValueError(msg)


def _ordinal_rank(keys: tuple[tuple[str, bool], ...]) -> pl.Expr:
    """0-based position of each row in the order 'worst first' by ``keys``, then customer_id."""
    by = [pl.col(name) for name, _ in keys] + [pl.col("customer_id")]
    descending = [not larger_is_better for _, larger_is_better in keys] + [True]
    # arg_sort gives row indices in sorted order; arg_sort of that is each row's position.
    return pl.arg_sort_by(by, descending=descending).arg_sort()


def score(summary: pl.DataFrame, *, bins: int = 5) -> pl.DataFrame:
    """Add ``r_score``, ``f_score``, ``m_score``, ``fm_score`` and ``rfm_score``.

    Each score is in ``1..bins`` and high is good: recent, frequent, valuable.
    Customers are ranked by the score's own measure and put into ``bins`` groups of
    equal size (sizes differ by at most one). Ties are broken by one deterministic
    rule: by the other two measures (for R: frequency then monetary; for F: monetary
    then recency; for M: frequency then recency), then by ``customer_id`` (the
    alphabetically earlier id ranks higher). So bins stay
    balanced even when most customers bought once, and two customers with the same
    value may land in neighbouring bins.

    ``fm_score`` is the mean of F and M rounded half up, and ``rfm_score`` is the
    three scores as a string, e.g. ``"545"``.

    Parameters
    ----------
    summary
        A customer summary from :func:`rfm.summarize`.
    bins
        Number of score levels, 2 to 10 (so ``rfm_score`` stays three digits).

    Examples
    --------
    >>> import polars as pl
    >>> import rfm
    >>> summary = pl.DataFrame({
    ...     "customer_id": ["a", "b", "c", "d"],
    ...     "recency_days": [5, 40, 10, 300],
    ...     "frequency": [4, 1, 1, 1],
    ...     "monetary": [200.0, 20.0, 35.0, 10.0],
    ... })
    >>> rfm.score(summary, bins=2).select("customer_id", "r_score", "f_score", "rfm_score").rows()
    [('a', 2, 2, '222'), ('b', 1, 1, '111'), ('c', 2, 2, '222'), ('d', 1, 1, '111')]
    """
    _check_bins(bins)
    missing = [
        c
        for c in ("customer_id", "recency_days", "frequency", "monetary")
        if c not in summary.columns
    ]
    if missing:
        msg = (
            f"score needs a customer summary with customer_id, recency_days, frequency and "
            f"monetary. Missing: {', '.join(missing)}. Build it with rfm.summarize(transactions)."
        )
        raise DataError(msg)
    n = summary.height
    scores = {
        name: ((_ordinal_rank(keys) * bins) // max(n, 1) + 1).cast(pl.Int8).alias(name)
        for name, keys in _RANK_KEYS.items()
    }
    out = summary.with_columns(*scores.values())
    return out.with_columns(
        ((pl.col("f_score") + pl.col("m_score") + 1) // 2).cast(pl.Int8).alias("fm_score"),
        pl.concat_str(
            pl.col("r_score").cast(pl.String),
            pl.col("f_score").cast(pl.String),
            pl.col("m_score").cast(pl.String),
        ).alias("rfm_score"),
    )
