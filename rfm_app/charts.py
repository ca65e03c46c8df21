"""Chart builders: each takes a small, already aggregated polars frame and returns an
Altair chart. Nothing here computes business numbers; :mod:`rfm` does."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

from rfm_app.palette import ACCENT, ACTIVITY_COLORS, SEGMENT_COLORS, colors_for, text_color_on

_HEIGHT = 320


def _segment_scale(names: Sequence[str]) -> alt.Scale:
    return alt.Scale(domain=list(names), range=colors_for(names, SEGMENT_COLORS))


def bar_by_segment(
    table: pl.DataFrame, *, value: str, title: str, value_format: str = ",.0f"
) -> alt.Chart:
    """Horizontal bars of ``value`` per segment, in the table's order, segment colours."""
    names = table["segment"].to_list()
    return (
        alt.Chart(table.select("segment", value))
        .mark_bar(cornerRadiusEnd=3)
        .encode(
            y=alt.Y("segment:N", sort=names, title=None, axis=alt.Axis(labelLimit=180)),
            x=alt.X(f"{value}:Q", title=title, axis=alt.Axis(format=value_format)),
            color=alt.Color("segment:N", scale=_segment_scale(names), legend=None),
            tooltip=[
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip(f"{value}:Q", title=title, format=value_format),
            ],
        )
        .properties(height=alt.Step(26))
    )


def score_histogram(table: pl.DataFrame, *, score: str, title: str) -> alt.Chart:
    """Customers per score value (columns ``score`` and ``customers``)."""
    return (
        alt.Chart(table)
        .mark_bar(color=ACCENT, cornerRadiusEnd=2)
        .encode(
            x=alt.X(f"{score}:O", title=title, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("customers:Q", title="Customers", axis=alt.Axis(format=",.0f")),
            tooltip=[
                alt.Tooltip(f"{score}:O", title=title),
                alt.Tooltip("customers:Q", title="Customers", format=","),
            ],
        )
        .properties(height=_HEIGHT)
    )


def category_bars(
    table: pl.DataFrame,
    *,
    category: str,
    value: str,
    title: str,
    category_title: str,
    colors: dict[str, str] | None = None,
    value_format: str = ",.0f",
) -> alt.Chart:
    """Vertical bars of ``value`` per ``category`` in the table's order."""
    names = table[category].cast(pl.String).to_list()
    color: alt.Color | alt.ColorValue
    if colors is None:
        color = alt.ColorValue(ACCENT)
    else:
        color = alt.Color(
            f"{category}:N",
            scale=alt.Scale(domain=names, range=colors_for(names, colors)),
            legend=None,
        )
    return (
        alt.Chart(table.select(category, value))
        .mark_bar(cornerRadiusEnd=2)
        .encode(
            x=alt.X(f"{category}:N", sort=names, title=category_title, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"{value}:Q", title=title, axis=alt.Axis(format=value_format)),
            color=color,
            tooltip=[
                alt.Tooltip(f"{category}:N", title=category_title),
                alt.Tooltip(f"{value}:Q", title=title, format=value_format),
            ],
        )
        .properties(height=_HEIGHT)
    )


def activity_bars(table: pl.DataFrame, *, value: str, title: str) -> alt.Chart:
    """Customers (or revenue) by activity status, in Active, Inactive, Museum order."""
    return category_bars(
        table,
        category="activity",
        value=value,
        title=title,
        category_title="Activity status",
        colors=ACTIVITY_COLORS,
    )


def period_trend(
    table: pl.DataFrame, *, period: str, value: str, title: str, time_unit: str
) -> alt.Chart:
    """Bars of ``value`` per period (a date column), labelled by month or year."""
    label_format = "%b %Y" if time_unit == "yearmonth" else "%Y"
    return (
        alt.Chart(table.select(period, value))
        .mark_bar(color=ACCENT, cornerRadiusEnd=2)
        .encode(
            x=alt.X(
                f"{time_unit}({period}):O",
                title=None,
                axis=alt.Axis(
                    format=label_format,
                    labelAngle=-45 if time_unit == "yearmonth" else 0,
                    labelOverlap=True,
                ),
            ),
            y=alt.Y(f"{value}:Q", title=title, axis=alt.Axis(format=",.0f")),
            tooltip=[
                alt.Tooltip(f"{time_unit}({period}):O", title="Period", format=label_format),
                alt.Tooltip(f"{value}:Q", title=title, format=",.2f"),
            ],
        )
        .properties(height=_HEIGHT)
    )


def stacked_share_by_segment(
    table: pl.DataFrame, *, group: str, value: str, group_title: str, segments: Sequence[str]
) -> alt.Chart:
    """100 % stacked bars: for each segment, the split of ``value`` by ``group``."""
    return (
        alt.Chart(table.select("segment", group, value))
        .mark_bar()
        .encode(
            y=alt.Y(
                "segment:N",
                sort=list(segments),
                title=None,
                axis=alt.Axis(labelLimit=180, labelOverlap=False),
            ),
            x=alt.X(
                f"sum({value}):Q",
                stack="normalize",
                title="Share of customers",
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color(f"{group}:N", title=group_title, legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip(f"{group}:N", title=group_title),
                alt.Tooltip(f"sum({value}):Q", title="Customers", format=","),
            ],
        )
        .properties(height=alt.Step(26))
    )


def rfm_grid(grid: pl.DataFrame, *, order: Sequence[str] | None = None) -> alt.LayerChart:
    """The R x FM grid: one cell per (``r_score``, ``fm_score``), coloured by its
    ``segment``, labelled with its ``customers``; legend in ``order`` (default: as met)."""
    names = list(order) if order is not None else list(dict.fromkeys(grid["segment"]))
    names += [name for name in dict.fromkeys(grid["segment"]) if name not in names]
    size = int(grid.select(pl.col("r_score").max()).item() or 5)
    fills = dict(zip(names, colors_for(names, SEGMENT_COLORS), strict=True))
    cells = grid.with_columns(
        pl.col("segment")
        .replace_strict({n: text_color_on(c) for n, c in fills.items()}, return_dtype=pl.String)
        .alias("ink")
    )
    base = alt.Chart(cells)
    x = alt.X(
        "r_score:O",
        title="Recency score (5 = most recent)",
        scale=alt.Scale(domain=list(range(1, size + 1))),
        axis=alt.Axis(labelAngle=0),
    )
    y = alt.Y(
        "fm_score:O",
        title="Frequency & monetary score (5 = most)",
        scale=alt.Scale(domain=list(range(size, 0, -1))),
    )
    rects = base.mark_rect(stroke="white", strokeWidth=2).encode(
        x=x,
        y=y,
        color=alt.Color(
            "segment:N",
            title="Segment",
            scale=alt.Scale(domain=names, range=[fills[n] for n in names]),
            legend=alt.Legend(orient="right", labelLimit=200),
        ),
        tooltip=[
            alt.Tooltip("segment:N", title="Segment"),
            alt.Tooltip("r_score:O", title="R"),
            alt.Tooltip("fm_score:O", title="FM"),
            alt.Tooltip("customers:Q", title="Customers", format=","),
        ],
    )
    counts = base.mark_text(fontSize=13, fontWeight=600).encode(
        x=x,
        y=y,
        text=alt.Text("customers:Q", format=","),
        color=alt.Color("ink:N", scale=None),
    )
    return alt.LayerChart(layer=[rects, counts], height=380)
