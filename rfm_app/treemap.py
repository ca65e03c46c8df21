"""Segment treemap: a squarified layout computed in Python, drawn with Altair rects."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl
import squarify

from rfm_app import format as fmt
from rfm_app.palette import SEGMENT_COLORS, colors_for, text_color_on

WIDTH = 1000.0
HEIGHT = 560.0
# Tiles smaller than this (layout units) carry no text; the tooltip still names them.
_FULL_LABEL = (150.0, 90.0)
_NAME_ONLY = (90.0, 40.0)


def treemap_layout(
    names: Sequence[str], sizes: Sequence[float], *, width: float = WIDTH, height: float = HEIGHT
) -> pl.DataFrame:
    """Squarified rectangles whose areas are proportional to ``sizes``.

    Tiles with size 0 are left out. Returns one row per tile, largest first, with
    ``name``, ``size`` and corners ``x``, ``y``, ``x2``, ``y2`` in a
    ``width`` x ``height`` box.
    """
    pairs = sorted(
        ((name, float(size)) for name, size in zip(names, sizes, strict=True) if size > 0),
        key=lambda pair: -pair[1],
    )
    if not pairs:
        return pl.DataFrame(
            schema={
                "name": pl.String,
                "size": pl.Float64,
                "x": pl.Float64,
                "y": pl.Float64,
                "x2": pl.Float64,
                "y2": pl.Float64,
            }
        )
    normalised = squarify.normalize_sizes([size for _, size in pairs], width, height)
    rects = squarify.squarify(normalised, 0.0, 0.0, width, height)
    return pl.DataFrame(
        {
            "name": [name for name, _ in pairs],
            "size": [size for _, size in pairs],
            "x": [rect["x"] for rect in rects],
            "y": [rect["y"] for rect in rects],
            "x2": [rect["x"] + rect["dx"] for rect in rects],
            "y2": [rect["y"] + rect["dy"] for rect in rects],
        }
    )


def _label(name: str, customers: float, share: float, dx: float, dy: float) -> str:
    if dx >= _FULL_LABEL[0] and dy >= _FULL_LABEL[1]:
        return f"{name}\n{fmt.plural(round(customers), 'customer')}\n{fmt.percent(share)}"
    if dx >= _NAME_ONLY[0] and dy >= _NAME_ONLY[1]:
        return f"{name}\n{fmt.percent(share)}"
    return ""


def treemap_chart(
    table: pl.DataFrame,
    *,
    name: str = "segment",
    size: str = "customers",
    share: str = "share",
    colors: dict[str, str] = SEGMENT_COLORS,
    height: int = 440,
) -> alt.LayerChart:
    """Treemap of ``table`` (one row per tile), each tile labelled with name, count, share.

    ``table`` needs the columns ``name``, ``size`` (a count) and ``share`` (in [0, 1]).
    """
    layout = treemap_layout(table[name].to_list(), table[size].to_list())
    shares = dict(zip(table[name].to_list(), table[share].to_list(), strict=True))
    tile_colors = colors_for(layout["name"].to_list(), colors)
    tiles = layout.with_columns(
        pl.Series("share", [shares[n] for n in layout["name"]], dtype=pl.Float64),
        pl.Series("fill", tile_colors),
        pl.Series("ink", [text_color_on(c) for c in tile_colors]),
        ((pl.col("x") + pl.col("x2")) / 2).alias("cx"),
        ((pl.col("y") + pl.col("y2")) / 2).alias("cy"),
    )
    # Labels and share texts are built in Python over the few tiles, never by a Python
    # callback inside polars (map_elements): polars' pool waiting on the GIL deadlocked the
    # server while another thread pickled a frame.
    rows = list(tiles.iter_rows(named=True))
    tiles = tiles.with_columns(
        pl.Series(
            "label",
            [
                _label(
                    row["name"],
                    row["size"],
                    row["share"],
                    row["x2"] - row["x"],
                    row["y2"] - row["y"],
                )
                for row in rows
            ],
            dtype=pl.String,
        ),
        pl.Series("share_text", [fmt.percent(row["share"]) for row in rows], dtype=pl.String),
    )
    x = alt.X("x:Q", scale=alt.Scale(domain=[0, WIDTH], nice=False, zero=True), axis=None)
    y = alt.Y("y:Q", scale=alt.Scale(domain=[0, HEIGHT], nice=False, reverse=True), axis=None)
    base = alt.Chart(tiles)
    rects = base.mark_rect(stroke="white", strokeWidth=2).encode(
        x=x,
        x2="x2:Q",
        y=y,
        y2="y2:Q",
        color=alt.Color("fill:N", scale=None),
        tooltip=[
            alt.Tooltip("name:N", title="Segment"),
            alt.Tooltip("size:Q", title="Customers", format=","),
            alt.Tooltip("share_text:N", title="Share"),
        ],
    )
    labels = base.mark_text(lineBreak="\n", fontSize=13, fontWeight=600, lineHeight=17).encode(
        x=alt.X("cx:Q", scale=alt.Scale(domain=[0, WIDTH], nice=False), axis=None),
        y=alt.Y("cy:Q", scale=alt.Scale(domain=[0, HEIGHT], nice=False, reverse=True), axis=None),
        text="label:N",
        color=alt.Color("ink:N", scale=None),
    )
    return alt.layer(rects, labels).properties(height=height).configure_view(stroke=None)
