"""Named RFM segments from an R x FM grid, and activity status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from rfm.errors import DataError


@dataclass(frozen=True)
class Segment:
    """A named group of customers with a one-line description and a recommended action."""

    name: str
    description: str
    action: str


SEGMENTS: Mapping[str, Segment] = {
    s.name: s
    for s in (
        Segment(
            "Champions",
            "Bought recently, buy often and spend the most.",
            "Reward them; ask for reviews; offer early access to new products.",
        ),
        Segment(
            "Loyal Customers",
            "Buy regularly and spend well; respond to promotions.",
            "Upsell higher-value products; enrol them in a loyalty programme.",
        ),
        Segment(
            "Potential Loyalists",
            "Recent customers with average frequency and spend.",
            "Offer membership or loyalty rewards; recommend related products.",
        ),
        Segment(
            "New Customers",
            "Bought very recently, but only once or for little.",
            "Welcome them; make onboarding easy; build the relationship early.",
        ),
        Segment(
            "Promising",
            "Recent shoppers who have not spent much yet.",
            "Create brand awareness; offer free trials or a small incentive.",
        ),
        Segment(
            "Need Attention",
            "Middling recency, frequency and spend; may slip away.",
            "Make limited-time offers; recommend based on past purchases.",
        ),
        Segment(
            "About To Sleep",
            "Below-average recency and spend; will be lost without a nudge.",
            "Share popular products and discounts; reconnect them.",
        ),
        Segment(
            "At Risk",
            "Spent well and bought often, but long ago.",
            "Send personalised win-back emails; offer renewals and helpful content.",
        ),
        Segment(
            "Cannot Lose Them",
            "Were among the best customers, but have not returned for a long time.",
            "Win them back with new products and offers; talk to them; don't lose them to a competitor.",
        ),
        Segment(
            "Hibernating",
            "Last bought long ago, rarely, and for little.",
            "Offer relevant products and special discounts; recreate brand value.",
        ),
        Segment(
            "Lost",
            "Lowest recency, frequency and spend.",
            "Revive interest with a reach-out campaign; otherwise don't spend much on them.",
        ),
    )
}
"""The 11 segments analysts know, with what each means and what to do."""

DEFAULT_RULES: Mapping[int, tuple[str, ...]] = {
    # r_score: segments for fm_score = 1, 2, 3, 4, 5
    5: ("New Customers", "Potential Loyalists", "Potential Loyalists", "Champions", "Champions"),
    4: ("Promising", "Potential Loyalists", "Potential Loyalists", "Loyal Customers", "Champions"),
    3: ("About To Sleep", "About To Sleep", "Need Attention", "Loyal Customers", "Loyal Customers"),
    2: ("Hibernating", "Hibernating", "At Risk", "At Risk", "Cannot Lose Them"),
    1: ("Lost", "Lost", "At Risk", "Cannot Lose Them", "Cannot Lose Them"),
}
"""The default R x FM grid: ``rules[r_score][fm_score - 1]`` is the segment name.

Read it as a table with recency from 5 (most recent) at the top to 1 at the bottom
and FM from 1 (least) on the left to 5 on the right. Every cell maps to exactly one
segment and every one of the 11 segments is in at least one cell.
"""

ACTIVITY_LEVELS = ("Active", "Inactive", "Museum")


def _check_rules(rules: Mapping[int, Sequence[str]]) -> int:
    size = len(rules)
    if size < 2 or sorted(rules) != list(range(1, size + 1)):
        msg = (
            "rules must map every r_score 1..n to a row of n segment names. "
            f"Got r_score keys {sorted(rules)}. Use rfm.DEFAULT_RULES as a template."
        )
        raise ValueError(msg)
    for r, row in rules.items():
        if isinstance(row, str) or len(row) != size:
            msg = (
                f"rules[{r}] must list {size} segment names, one per fm_score 1..{size}. "
                f"Got {row!r}. Use rfm.DEFAULT_RULES as a template."
            )
            raise ValueError(msg)
        blank = [name for name in row if not isinstance(name, str) or not name.strip()]
        if blank:
            msg = f"rules[{r}] has blank or non-text segment names: {blank!r}."
            raise ValueError(msg)
    return size


def rules_frame(rules: Mapping[int, Sequence[str]] | None = None) -> pl.DataFrame:
    """The rule grid as a long frame with ``r_score``, ``fm_score``, ``segment``.

    Examples
    --------
    >>> import rfm
    >>> grid = rfm.rules_frame()
    >>> grid.height, grid["segment"].n_unique()
    (25, 11)
    """
    rules = DEFAULT_RULES if rules is None else rules
    size = _check_rules(rules)
    return pl.DataFrame(
        {
            "r_score": [r for r in sorted(rules) for _ in range(size)],
            "fm_score": [fm for _ in sorted(rules) for fm in range(1, size + 1)],
            "segment": [rules[r][fm - 1] for r in sorted(rules) for fm in range(1, size + 1)],
        },
        schema={"r_score": pl.Int8, "fm_score": pl.Int8, "segment": pl.String},
    )


def activity_status(
    recency_days: pl.Expr | str = "recency_days",
    *,
    active_days: int = 90,
    inactive_days: int = 365,
) -> pl.Expr:
    """Active / Inactive / Museum by days since the last purchase.

    Active: bought within ``active_days``; Inactive: within ``inactive_days``;
    Museum: longer ago.

    Examples
    --------
    >>> import polars as pl
    >>> import rfm
    >>> pl.DataFrame({"recency_days": [10, 90, 91, 400]}).select(rfm.activity_status())["activity"].to_list()
    ['Active', 'Active', 'Inactive', 'Museum']
    """
    if not 0 < active_days < inactive_days:
        msg = (
            "activity_status needs 0 < active_days < inactive_days. "
            f"Got active_days={active_days}, inactive_days={inactive_days}."
        )
        raise ValueError(msg)
    days = pl.col(recency_days) if isinstance(recency_days, str) else recency_days
    return (
        pl.when(days <= active_days)
        .then(pl.lit("Active"))
        .when(days <= inactive_days)
        .then(pl.lit("Inactive"))
        .otherwise(pl.lit("Museum"))
        .alias("activity")
    )


def segment(
    scored: pl.DataFrame,
    *,
    rules: Mapping[int, Sequence[str]] | None = None,
    bins: int = 5,
    active_days: int = 90,
    inactive_days: int = 365,
) -> pl.DataFrame:
    """Add the named ``segment`` and the ``activity`` status to scored customers.

    Parameters
    ----------
    scored
        The output of :func:`rfm.score`.
    rules
        An R x FM grid ``{r_score: (segment for fm_score 1, ..., n)}`` of any size n;
        default :data:`rfm.DEFAULT_RULES` (5 x 5). Scores made with a different number
        of ``bins`` are rescaled to the grid: level ``ceil(score * n / bins)``.
    bins
        The ``bins`` the scores were made with.
    active_days, inactive_days
        Thresholds of :func:`rfm.activity_status`.

    Examples
    --------
    >>> import polars as pl
    >>> import rfm
    >>> scored = pl.DataFrame({"customer_id": ["a", "b"], "recency_days": [3, 500],
    ...                        "r_score": [5, 1], "fm_score": [5, 1]})
    >>> rfm.segment(scored).select("customer_id", "segment", "activity").rows()
    [('a', 'Champions', 'Active'), ('b', 'Lost', 'Museum')]
    """
    grid = rules_frame(rules)
    size = int(grid["r_score"].max())  # type: ignore[arg-type]
    missing = [c for c in ("r_score", "fm_score", "recency_days") if c not in scored.columns]
    if missing:
        msg = (
            f"segment needs scored customers with r_score, fm_score and recency_days. "
            f"Missing: {', '.join(missing)}. Build them with rfm.score(rfm.summarize(transactions))."
        )
        raise DataError(msg)
    top = scored.select(pl.max_horizontal("r_score", "fm_score").max()).item()
    if top is not None and top > bins:
        msg = f"Scores go up to {top} but bins={bins}. Pass the bins used in rfm.score."
        raise ValueError(msg)

    def level(col: str) -> pl.Expr:
        if size == bins:
            return pl.col(col).cast(pl.Int8)
        return (pl.col(col).cast(pl.Int32) * size + bins - 1).floordiv(bins).cast(pl.Int8)

    keyed = scored.with_columns(level("r_score").alias("__r"), level("fm_score").alias("__fm"))
    out = keyed.join(
        grid.rename({"r_score": "__r", "fm_score": "__fm"}),
        on=["__r", "__fm"],
        how="left",
        maintain_order="left",
    ).drop("__r", "__fm")
    return out.with_columns(activity_status(active_days=active_days, inactive_days=inactive_days))


def segment_levels(rules: Mapping[int, Sequence[str]] | None = None) -> list[str]:
    """Segment names in display order, best first (default rules: the 11 of :data:`SEGMENTS`)."""
    if rules is None:
        return list(SEGMENTS)
    return list(dict.fromkeys(name for r in sorted(rules, reverse=True) for name in rules[r]))


def segment_table(
    segmented: pl.DataFrame, *, rules: Mapping[int, Sequence[str]] | None = None
) -> pl.DataFrame:
    """One row per segment: size, share, revenue and its share, averages, description, action.

    Segments without customers are listed with zero counts so the table always has
    every segment, in display order (best first).

    Examples
    --------
    >>> import polars as pl
    >>> import rfm
    >>> seg = pl.DataFrame({"customer_id": ["a", "b", "c"], "segment": ["Champions", "Lost", "Lost"],
    ...                     "recency_days": [5, 400, 500], "frequency": [9, 1, 1], "monetary": [900.0, 50.0, 50.0]})
    >>> t = rfm.segment_table(seg)
    >>> t.filter(pl.col("customers") > 0).select("segment", "customers", "revenue_share").rows()
    [('Champions', 1, 0.9), ('Lost', 2, 0.1)]
    """
    missing = [
        c
        for c in ("customer_id", "segment", "recency_days", "frequency", "monetary")
        if c not in segmented.columns
    ]
    if missing:
        msg = (
            f"segment_table needs segmented customers. Missing: {', '.join(missing)}. "
            "Build them with rfm.segment(rfm.score(rfm.summarize(transactions)))."
        )
        raise DataError(msg)
    names = segment_levels(rules)
    extra = sorted(set(segmented["segment"].drop_nulls().unique()) - set(names))
    order = pl.DataFrame({"segment": names + extra, "__order": range(len(names) + len(extra))})
    stats = segmented.group_by("segment").agg(
        pl.len().alias("customers"),
        pl.col("monetary").sum().alias("revenue"),
        pl.col("recency_days").mean().alias("avg_recency_days"),
        pl.col("frequency").mean().alias("avg_frequency"),
        pl.col("monetary").mean().alias("avg_monetary"),
    )
    total_customers = max(segmented.height, 1)
    total_revenue = segmented["monetary"].sum()
    info = pl.DataFrame(
        {
            "segment": list(SEGMENTS),
            "description": [s.description for s in SEGMENTS.values()],
            "action": [s.action for s in SEGMENTS.values()],
        }
    )
    return (
        order.join(stats, on="segment", how="left")
        .join(info, on="segment", how="left")
        .sort("__order")
        .drop("__order")
        .with_columns(
            pl.col("customers").fill_null(0).cast(pl.Int64),
            pl.col("revenue").fill_null(0.0),
            pl.col("description").fill_null(""),
            pl.col("action").fill_null(""),
        )
        .with_columns(
            (pl.col("customers") / total_customers).alias("share"),
            (pl.col("revenue") / total_revenue if total_revenue else pl.lit(0.0)).alias(
                "revenue_share"
            ),
        )
        .select(
            "segment",
            "customers",
            "share",
            "revenue",
            "revenue_share",
            "avg_recency_days",
            "avg_frequency",
            "avg_monetary",
            "description",
            "action",
        )
    )
