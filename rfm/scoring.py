"""R, F and M scores in 1..bins, high = good."""

from __future__ import annotations

import numpy as np
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
_KEY_COLUMNS = ("recency_days", "frequency", "monetary")
_ID_RANK = "__id_rank"


def _check_bins(bins: int) -> None:
    if isinstance(bins, bool) or not isinstance(bins, int) or not 2 <= bins <= 10:
        msg = f"The 'bins' parameter of score must be an int in [2, 10]. Got {bins!r}."
        raise ValueError(msg)


def _ordinal_rank(frame: pl.DataFrame, keys: tuple[tuple[str, bool], ...]) -> np.ndarray:
    """0-based position of each row in the order 'worst first' by ``keys``, then customer_id.

    The general route, used when the measures hold nulls or NaN or their codes do not
    fit one 64-bit key. ``frame`` carries ``__id_rank``, the ascending rank of
    customer_id, so the sort runs on numbers only.
    """
    by = [pl.col(name) for name, _ in keys] + [pl.col(_ID_RANK)]
    descending = [not larger_is_better for _, larger_is_better in keys] + [True]
    order = frame.select(pl.arg_sort_by(by, descending=descending)).to_series().to_numpy()
    # Inverting the permutation: each row's position in the sorted order.
    position = np.empty(frame.height, dtype=np.int64)
    position[order] = np.arange(frame.height, dtype=np.int64)
    return position


def _codes(keyed: pl.DataFrame) -> dict[str, tuple[np.ndarray, int]] | None:
    """Order-preserving small codes (0-based) of the measures and the id, with their maxima.

    Integer measures are coded as ``value - min`` (no sort needed); ``monetary`` by its
    dense rank. None with nulls or NaN: the multi-column sort places those, and the
    packed key would not reproduce it.
    """
    if keyed.null_count().sum_horizontal().item() or keyed["monetary"].is_nan().any():
        return None
    codes: dict[str, tuple[np.ndarray, int]] = {}
    for name in (*_KEY_COLUMNS, _ID_RANK):
        column = keyed[name]
        if column.dtype.is_integer():
            low, high = column.min(), column.max()
            if low is None or high is None:  # no rows
                return {c: (np.zeros(0, dtype=np.uint64), 0) for c in (*_KEY_COLUMNS, _ID_RANK)}
            span = int(high) - int(low)  # type: ignore[arg-type]
            if span.bit_length() > 62:
                return None
            code = (column.cast(pl.Int64) - int(low)).to_numpy().astype(np.uint64)  # type: ignore[arg-type]
        else:
            # + 0.0 makes -0.0 equal to 0.0 for the rank, as it is for the sort.
            rank = (column.cast(pl.Float64) + 0.0).rank("dense").cast(pl.Int64) - 1
            code = rank.to_numpy().astype(np.uint64)
            span = int(code.max()) if len(code) else 0
        codes[name] = (code, span)
    return codes


def _packed_key(
    codes: dict[str, tuple[np.ndarray, int]], keys: tuple[tuple[str, bool], ...]
) -> np.ndarray | None:
    """One uint64 per row ordering rows 'worst first' by ``keys``, then customer_id.

    The codes are laid side by side, the score's own measure in the top bits. Every
    key is distinct (the id code is). None when the codes need more than 64 bits.
    """
    fields = [(name, not larger_is_better) for name, larger_is_better in keys]
    fields.append((_ID_RANK, True))
    packed = np.zeros(len(codes[_ID_RANK][0]), dtype=np.uint64)
    used = 0
    for name, descending in fields:
        code, top = codes[name]
        width = max(top.bit_length(), 1)
        used += width
        if used > 64:
            return None
        # Descending: the largest code sorts first.
        value = np.uint64(top) - code if descending else code
        packed = (packed << np.uint64(width)) | value
    return packed


def _bins_from_keys(packed: np.ndarray, bins: int) -> np.ndarray:
    """``position * bins // n + 1`` for distinct keys, without sorting them all.

    The row at position ``p`` (0-based, ascending) is in bin ``b + 1`` for the largest
    ``b`` with ``p >= ceil(b * n / bins)``. So the keys at those ``bins - 1`` positions,
    found by a partial sort, are the bin edges, and a search places every row.
    """
    n = len(packed)
    cuts = sorted({-(-b * n // bins) for b in range(1, bins)} - {n})
    if not cuts:
        return np.ones(n, dtype=np.int64)
    edges = np.partition(packed, cuts)[cuts]
    # Several b can share a cut when n < bins; each one that is passed adds a bin.
    weights = np.array([sum(1 for b in range(1, bins) if -(-b * n // bins) == c) for c in cuts])
    passed = np.searchsorted(edges, packed, side="right")
    return 1 + np.concatenate([[0], np.cumsum(weights)])[passed]


def _id_rank(customer_id: pl.Series) -> pl.Series:
    """Ascending ordinal rank of ``customer_id``; summaries come sorted, so usually free."""
    if customer_id.is_sorted():
        return pl.Series(_ID_RANK, np.arange(customer_id.len(), dtype=np.int64))
    return customer_id.rank("ordinal").cast(pl.Int64).alias(_ID_RANK)


def _own_scores(summary: pl.DataFrame, bins: int) -> list[pl.Series]:
    """Each score as ``summary``'s own equal-sized bins (see :func:`score`)."""
    n = summary.height
    keyed = summary.select(*_KEY_COLUMNS).with_columns(_id_rank(summary["customer_id"]))
    codes = _codes(keyed)
    scores = []
    for name, keys in _RANK_KEYS.items():
        packed = _packed_key(codes, keys) if codes is not None else None
        if packed is not None:
            level = _bins_from_keys(packed, bins)
        else:
            level = (_ordinal_rank(keyed, keys) * bins) // max(n, 1) + 1
        scores.append(pl.Series(name, level).cast(pl.Int8))
    return scores


def _edge_rows(
    reference: pl.DataFrame, keys: tuple[tuple[str, bool], ...], bins: int
) -> list[dict[str, object] | None]:
    """The customers at the bin edges of ``reference``, one per ``b`` in ``1..bins - 1``.

    Bin ``b + 1`` starts at the row in position ``ceil(b * n / bins)`` of the order
    'worst first' by ``keys`` and customer_id (as in :func:`score`); None when that
    position is past the end (n < bins), a bin nobody reaches.
    """
    n = reference.height
    keyed = reference.select(*_KEY_COLUMNS, "customer_id").with_columns(
        _id_rank(reference["customer_id"])
    )
    position = _ordinal_rank(keyed, keys)
    at = np.empty(n, dtype=np.int64)
    at[position] = np.arange(n, dtype=np.int64)  # at[p]: the row in position p
    edges: list[dict[str, object] | None] = []
    for b in range(1, bins):
        cut = -(-b * n // bins)
        edges.append(keyed.row(int(at[cut]), named=True) if cut < n else None)
    return edges


def _not_worse_than(keys: tuple[tuple[str, bool], ...], edge: dict[str, object]) -> pl.Expr:
    """True where a customer sorts at or after ``edge`` in the order 'worst first'."""
    # Last tie-break: the alphabetically earlier id ranks higher (as in _ordinal_rank).
    expr = pl.col("customer_id") <= pl.lit(edge["customer_id"], dtype=pl.String)
    for name, larger_is_better in reversed(keys):
        value = pl.lit(edge[name])
        better = pl.col(name) > value if larger_is_better else pl.col(name) < value
        expr = better | ((pl.col(name) == value) & expr)
    return expr


def _scores_on_edges(summary: pl.DataFrame, reference: pl.DataFrame, bins: int) -> list[pl.Series]:
    """Each score as the number of ``reference``'s bin edges a customer reaches, plus one."""
    for name, frame in (("edges_from", reference), ("summary", summary)):
        measures = frame.select(*_KEY_COLUMNS, "customer_id")
        if measures.null_count().sum_horizontal().item() or measures["monetary"].is_nan().any():
            msg = (
                f"Scoring on fixed bin edges needs recency_days, frequency, monetary and "
                f"customer_id without nulls or NaN; {name} has some. Build it with rfm.summarize."
            )
            raise DataError(msg)
    if reference.height == 0:
        msg = "edges_from has no customers to take bin edges from. Pass a non-empty summary."
        raise DataError(msg)
    levels = []
    for name, keys in _RANK_KEYS.items():
        reached = [
            _not_worse_than(keys, edge).cast(pl.Int8)
            for edge in _edge_rows(reference, keys, bins)
            if edge is not None
        ]
        # No edge at all (one reference customer): everyone is in bin 1.
        level = pl.sum_horizontal(*reached) + 1 if reached else pl.repeat(1, pl.len())
        levels.append(level.alias(name))
    return [s.cast(pl.Int8) for s in summary.select(levels).get_columns()]


def score(
    summary: pl.DataFrame, *, bins: int = 5, edges_from: pl.DataFrame | None = None
) -> pl.DataFrame:
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
        Number of score levels, 2 to 10. Below 10, ``rfm_score`` is three digits; with
        10, a score of 10 is written "10" (e.g. ``"10910"``).
    edges_from
        Another customer summary (typically the same customers at an earlier date) whose
        bin edges to use instead of ``summary``'s own: each customer gets the score they
        would have had among ``edges_from``'s customers, by the same ranking and tie
        rule. Scores then compare across dates on one scale (a customer who stays away
        drops in R even if everyone else did too), but bins are no longer equal in size.
        ``score(s, edges_from=s)`` equals ``score(s)``. Default: ``summary``'s own edges.

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
    if edges_from is None:
        scores = _own_scores(summary, bins)
    else:
        missing = [c for c in (*_KEY_COLUMNS, "customer_id") if c not in edges_from.columns]
        if missing:
            msg = (
                f"edges_from must be a customer summary like summary. Missing: "
                f"{', '.join(missing)}. Build it with rfm.summarize(transactions, as_of=...)."
            )
            raise DataError(msg)
        scores = _scores_on_edges(summary, edges_from, bins)
    out = summary.with_columns(scores)
    if bins < 10:  # one digit per score: the number's digits are the string (5x cheaper)
        digits = pl.col("r_score").cast(pl.Int32) * 100 + pl.col("f_score") * 10 + pl.col("m_score")
        rfm_score = digits.cast(pl.String)
    else:
        rfm_score = pl.concat_str(
            pl.col("r_score").cast(pl.String),
            pl.col("f_score").cast(pl.String),
            pl.col("m_score").cast(pl.String),
        )
    return out.with_columns(
        ((pl.col("f_score") + pl.col("m_score") + 1) // 2).cast(pl.Int8).alias("fm_score"),
        rfm_score.alias("rfm_score"),
    )
