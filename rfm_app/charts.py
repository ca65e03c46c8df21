"""Chart builders for every page: each takes a small, already aggregated polars frame and
returns an Altair chart. Nothing here computes business numbers; :mod:`rfm` does. The
only arithmetic is display work: histogram bins and a fixed-seed sample of points, so
the browser never receives one mark per customer of a large file.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Final, cast

import altair as alt
import numpy as np
import polars as pl

from rfm_app.palette import ACCENT, ACTIVITY_COLORS, SEGMENT_COLORS, colors_for, text_color_on

HEIGHT: Final = 320
SEGMENT_PICK: Final = "segment_pick"
"""Name of the click selection on segment charts (key in the chart's selection event)."""
UNITS_COLOR: Final = "#3f9a5c"
"""Bar colour for (expected) units, apart from revenue's accent."""
MAX_POINTS: Final = 5000
"""Scatter plots draw at most this many customers (a fixed-seed sample)."""

_ATLAS: Final = Path(__file__).absolute().parents[1] / "static" / "countries-110m.json"
ATLAS_URL: Final = "app/static/countries-110m.json"
"""Where the browser fetches the world atlas: Streamlit serves the repository's ``static/``
folder there (``server.enableStaticServing``). Relative, so it also resolves under a
sub-path (``server.baseUrlPath``, Community Cloud's ``/~/+/``)."""

COUNTRY_ALIASES: Final = {
    "united states": "United States of America",
    "usa": "United States of America",
    "us": "United States of America",
    "u.s.a.": "United States of America",
    "uk": "United Kingdom",
    "great britain": "United Kingdom",
    "england": "United Kingdom",
    "scotland": "United Kingdom",
    "wales": "United Kingdom",
    "northern ireland": "United Kingdom",
    "eire": "Ireland",
    "rsa": "South Africa",
    "czech republic": "Czechia",
    "russian federation": "Russia",
    "korea": "South Korea",
    "republic of korea": "South Korea",
    "bosnia and herzegovina": "Bosnia and Herz.",
    "dominican republic": "Dominican Rep.",
    "central african republic": "Central African Rep.",
    "democratic republic of the congo": "Dem. Rep. Congo",
    "ivory coast": "Côte d'Ivoire",
    "north macedonia": "Macedonia",
    "swaziland": "eSwatini",
    "eswatini": "eSwatini",
    "uae": "United Arab Emirates",
}
"""Common spellings -> the names in world-atlas (Natural Earth 'name')."""

_WHITESPACE: Final = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""The characters Python's ``str.strip()`` removes, so :func:`map_names` strips what
:func:`map_name` strips (polars' default strips a slightly different set)."""


def segment_picker(
    table: pl.DataFrame, *, value: str, title: str, value_format: str = ",.0f"
) -> alt.Chart:
    """Horizontal bars per segment that the user can click to filter the page.

    The click selection is named :data:`SEGMENT_PICK`; unselected bars fade.
    """
    names = table["segment"].to_list()
    pick = alt.selection_point(name=SEGMENT_PICK, fields=["segment"])
    return (
        alt.Chart(table.select(list(dict.fromkeys(["segment", value, "customers"]))))
        .mark_bar(cornerRadiusEnd=3, cursor="pointer")
        .encode(
            y=alt.Y(
                "segment:N",
                sort=names,
                title=None,
                axis=alt.Axis(labelLimit=180, labelOverlap=False),
            ),
            x=alt.X(f"{value}:Q", title=title, axis=alt.Axis(format=value_format)),
            color=alt.Color("segment:N", scale=_segment_scale(names), legend=None),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)),
            tooltip=[
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip(f"{value}:Q", title=title, format=value_format),
                alt.Tooltip("customers:Q", title="Customers", format=","),
            ],
        )
        .add_params(pick)
        .properties(height=max(HEIGHT, 28 * len(names)))
    )


def picked_segments(event: Any) -> tuple[str, ...]:
    """Segments clicked in a :func:`segment_picker` chart (from ``st.altair_chart``'s event)."""
    try:
        points = event["selection"][SEGMENT_PICK]
    except (KeyError, TypeError):
        return ()
    if isinstance(points, dict):  # some versions give {"segment": [...]}
        values = points.get("segment", [])
        return tuple(str(v) for v in (values if isinstance(values, list) else [values]))
    return tuple(str(point["segment"]) for point in points or [] if "segment" in point)


def hbars(
    table: pl.DataFrame,
    *,
    category: str,
    value: str,
    title: str,
    category_title: str,
    value_format: str = ",.0f",
    color: str = ACCENT,
    extra_tooltip: Sequence[tuple[str, str, str]] = (),
) -> alt.Chart:
    """Horizontal bars of ``value`` per ``category``, in the table's order.

    ``extra_tooltip``: (column, title, format) triples shown on hover.
    """
    names = table[category].cast(pl.String).to_list()
    columns = [category, value, *(column for column, _, _ in extra_tooltip)]
    return (
        alt.Chart(table.select(list(dict.fromkeys(columns))))
        .mark_bar(color=color, cornerRadiusEnd=3)
        .encode(
            y=alt.Y(
                f"{category}:N",
                sort=names,
                title=None,
                axis=alt.Axis(labelLimit=200, labelOverlap=False),
            ),
            x=alt.X(f"{value}:Q", title=title, axis=alt.Axis(format=value_format)),
            tooltip=[
                alt.Tooltip(f"{category}:N", title=category_title),
                alt.Tooltip(f"{value}:Q", title=title, format=value_format),
                *(alt.Tooltip(f"{c}:Q", title=t, format=f) for c, t, f in extra_tooltip),
            ],
        )
        .properties(height=max(180, 32 * len(names)))
    )


def customer_bars(
    table: pl.DataFrame,
    *,
    category: str,
    value: str,
    title: str,
    category_title: str | None = None,
    top: int | None = None,
) -> alt.Chart:
    """:func:`hbars` of the first ``top`` rows, with the ``customers`` count on hover.

    ``category_title`` defaults to the capitalised column name.
    """
    return hbars(
        table if top is None else table.head(top),
        category=category,
        value=value,
        title=title,
        category_title=category_title or category.capitalize(),
        extra_tooltip=[("customers", "Customers", ",")],
    )


def expected_units_bars(table: pl.DataFrame, *, category: str, top: int | None = None) -> alt.Chart:
    """Expected units per ``category``, most first (the ``top`` most)."""
    ranked = table.sort("expected_units", descending=True)
    return hbars(
        ranked if top is None else ranked.head(top),
        category=category,
        value="expected_units",
        title="Expected units",
        category_title=category.capitalize(),
        color=UNITS_COLOR,
    )


def vbars(
    table: pl.DataFrame,
    *,
    category: str,
    value: str,
    title: str,
    category_title: str,
    value_format: str = ",.0f",
    sort: Sequence[str] | None = None,
) -> alt.Chart:
    """Vertical bars of ``value`` per ``category`` (in ``sort`` or the table's order)."""
    names = list(sort) if sort is not None else table[category].cast(pl.String).to_list()
    return (
        alt.Chart(table.select(category, value))
        .mark_bar(color=ACCENT, cornerRadiusEnd=2)
        .encode(
            x=alt.X(
                f"{category}:N",
                sort=names,
                title=category_title,
                axis=alt.Axis(
                    labelAngle=-30 if max(map(len, names), default=0) > 8 else 0,
                    labelOverlap=False,
                    labelLimit=140,
                ),
            ),
            y=alt.Y(f"{value}:Q", title=title, axis=alt.Axis(format=value_format)),
            tooltip=[
                alt.Tooltip(f"{category}:N", title=category_title),
                alt.Tooltip(f"{value}:Q", title=title, format=value_format),
            ],
        )
        .properties(height=HEIGHT)
    )


def histogram_table(
    values: pl.Series, *, bins: int = 20, lower: float | None = None, upper: float | None = None
) -> pl.DataFrame:
    """Counts in ``bins`` equal-width bins: ``start``, ``end``, ``customers``."""
    data = values.drop_nulls().cast(pl.Float64).to_numpy()
    low = float(np.min(data)) if lower is None and data.size else float(lower or 0.0)
    high = float(np.max(data)) if upper is None and data.size else float(upper or 1.0)
    if high <= low:
        high = low + 1.0
    counts, edges = np.histogram(data, bins=bins, range=(low, high))
    return pl.DataFrame(
        {"start": edges[:-1], "end": edges[1:], "customers": counts.astype(np.int64)}
    )


def histogram(
    table: pl.DataFrame, *, title: str, value_format: str = ",.0f", color: str = ACCENT
) -> alt.Chart:
    """Bars of a :func:`histogram_table`."""
    return (
        alt.Chart(table)
        .mark_bar(color=color, binSpacing=1)
        .encode(
            x=alt.X("start:Q", bin="binned", title=title, axis=alt.Axis(format=value_format)),
            x2="end:Q",
            y=alt.Y("customers:Q", title="Customers", axis=alt.Axis(format=",.0f")),
            tooltip=[
                alt.Tooltip("start:Q", title="From", format=value_format),
                alt.Tooltip("end:Q", title="To", format=value_format),
                alt.Tooltip("customers:Q", title="Customers", format=","),
            ],
        )
        .properties(height=HEIGHT)
    )


def calibration_chart(by_frequency: pl.DataFrame, *, model: str) -> alt.Chart:
    """Mean predicted vs actual holdout purchases by calibration repeat purchases."""
    long = by_frequency.unpivot(
        index=["calibration_purchases", "customers"],
        on=["predicted_purchases", "actual_purchases"],
        variable_name="series",
        value_name="purchases",
    ).with_columns(
        pl.col("series").replace_strict(
            {"predicted_purchases": f"Predicted ({model})", "actual_purchases": "Actual"}
        )
    )
    top = int(by_frequency.select(pl.col("calibration_purchases").max()).item() or 0)
    return (
        alt.Chart(long)
        .mark_line(point=True, strokeWidth=2.5)
        .encode(
            x=alt.X(
                "calibration_purchases:O",
                title=f"Repeat purchase days in calibration ({top} = {top} or more)",
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y("purchases:Q", title="Mean purchase days in holdout"),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(range=["#8a8a8a", ACCENT]),
                legend=alt.Legend(orient="top"),
            ),
            strokeDash=alt.StrokeDash("series:N", legend=None),
            tooltip=[
                alt.Tooltip("calibration_purchases:O", title="Calibration repeats"),
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("purchases:Q", title="Mean holdout purchases", format=".2f"),
                alt.Tooltip("customers:Q", title="Customers", format=","),
            ],
        )
        .properties(height=HEIGHT)
    )


def k_selection(scores: pl.DataFrame, *, chosen: int) -> alt.HConcatChart:
    """Silhouette (higher is better) and inertia by k, the chosen k highlighted."""
    data = scores.with_columns((pl.col("k") == chosen).alias("chosen"))
    base = alt.Chart(data).encode(
        x=alt.X("k:O", title="Number of clusters k", axis=alt.Axis(labelAngle=0))
    )

    def panel(field: str, title: str, fmt: str) -> alt.LayerChart:
        line = base.mark_line(color=ACCENT, strokeWidth=2).encode(
            y=alt.Y(
                f"{field}:Q", title=title, scale=alt.Scale(zero=False), axis=alt.Axis(format=fmt)
            )
        )
        points = base.mark_point(filled=True, size=90).encode(
            y=f"{field}:Q",
            color=alt.condition("datum.chosen", alt.value("#d4603f"), alt.value(ACCENT)),
            tooltip=[
                alt.Tooltip("k:O", title="k"),
                alt.Tooltip(f"{field}:Q", title=title, format=fmt),
            ],
        )
        return cast(alt.LayerChart, alt.layer(line, points).properties(height=240, width=320))

    return alt.hconcat(
        panel("silhouette", "Silhouette (higher is better)", ".3f"),
        panel("inertia", "Inertia (within-cluster spread)", ",.0f"),
    )


def _with_plotted_revenue(points: pl.DataFrame) -> pl.DataFrame:
    # A log axis cannot show zero or negative net revenue: such customers sit on the
    # axis floor (1) while tooltips keep the true value.
    return points.with_columns(pl.col("monetary").clip(lower_bound=1.0).alias("plotted_revenue"))


def _revenue_scatter(
    points: pl.DataFrame,
    *,
    currency: str,
    color: alt.Color,
    group: tuple[str, str],
    size: int,
    height: int,
) -> alt.Chart:
    """Recency vs net revenue per customer (log scale), coloured by ``group`` (field, title)."""
    money = f"Net revenue ({currency})" if currency else "Net revenue"
    field, title = group
    return (
        alt.Chart(_with_plotted_revenue(points))
        .mark_circle(size=size, opacity=0.6)
        .encode(
            x=alt.X("recency_days:Q", title="Days since last purchase"),
            y=alt.Y(
                "plotted_revenue:Q",
                title=f"{money}, log scale",
                scale=alt.Scale(type="log"),
                axis=alt.Axis(format=",.0f"),
            ),
            color=color,
            tooltip=[
                alt.Tooltip("customer_id:N", title="Customer"),
                alt.Tooltip(f"{field}:N", title=title),
                alt.Tooltip("recency_days:Q", title="Recency (days)", format=","),
                alt.Tooltip("frequency:Q", title="Orders", format=","),
                alt.Tooltip("monetary:Q", title=money, format=",.2f"),
            ],
        )
        .properties(height=height)
    )


def cluster_scatter(points: pl.DataFrame, *, names: Sequence[str], currency: str) -> alt.Chart:
    """Recency vs net revenue per customer (log scale), coloured by cluster."""
    color = alt.Color(
        "cluster_name:N",
        title="Cluster",
        sort=list(names),
        legend=alt.Legend(orient="bottom", columns=2, labelLimit=260),
    )
    return _revenue_scatter(
        points,
        currency=currency,
        color=color,
        group=("cluster_name", "Cluster"),
        size=28,
        height=420,
    )


def crosstab(table: pl.DataFrame, *, rows: Sequence[str], columns: Sequence[str]) -> alt.LayerChart:
    """Heatmap of customers by cluster (rows) and segment (columns), with counts."""
    base = alt.Chart(table).encode(
        x=alt.X(
            "segment:N",
            sort=list(columns),
            title=None,
            axis=alt.Axis(labelAngle=-35, labelLimit=160, labelOverlap=False),
        ),
        y=alt.Y("cluster_name:N", sort=list(rows), title=None, axis=alt.Axis(labelLimit=260)),
    )
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color("customers:Q", title="Customers", scale=alt.Scale(scheme="blues")),
        tooltip=[
            alt.Tooltip("cluster_name:N", title="Cluster"),
            alt.Tooltip("segment:N", title="Segment"),
            alt.Tooltip("customers:Q", title="Customers", format=","),
        ],
    )
    # White on the darkest cells (top of the blues scale), dark elsewhere, grey for zero.
    dark = 0.55 * float(table.select(pl.col("customers").max()).item() or 0)
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("customers:Q", format=","),
        color=alt.when(f"datum.customers > {dark}")
        .then(alt.value("#ffffff"))
        .when("datum.customers > 0")
        .then(alt.value("#1f1f1f"))
        .otherwise(alt.value("#bbbbbb")),
    )
    return cast(alt.LayerChart, alt.layer(cells, text).properties(height=max(200, 44 * len(rows))))


def sample_points(frame: pl.DataFrame, *, limit: int = MAX_POINTS, seed: int = 0) -> pl.DataFrame:
    """At most ``limit`` rows, a fixed-seed sample when there are more."""
    return frame if frame.height <= limit else frame.sample(n=limit, seed=seed)


@cache
def _atlas() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_ATLAS.read_text(encoding="utf-8"))
    return data


def atlas_names() -> frozenset[str]:
    """Country names in the vendored world atlas."""
    return frozenset(
        str(geometry["properties"]["name"])
        for geometry in _atlas()["objects"]["countries"]["geometries"]
    )


def map_name(country: str) -> str | None:
    """The atlas name of ``country`` (case-insensitive, common aliases), else ``None``."""
    names = atlas_names()
    if country in names:
        return country
    alias = COUNTRY_ALIASES.get(country.strip().lower())
    if alias is not None:
        return alias
    lowered = {name.lower(): name for name in names}
    return lowered.get(country.strip().lower())


def map_names(country: pl.Expr) -> pl.Expr:
    """:func:`map_name` of every value of ``country`` as a polars expression.

    A native expression, not ``map_elements``: a Python callback run by polars' thread
    pool waits for the GIL, and deadlocked the server while another thread pickled a frame.

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"country": ["France", " uk", "Atlantis", None]})
    >>> frame.select(map_names(pl.col("country")))["country"].to_list()
    ['France', 'United Kingdom', None, None]
    """
    names = atlas_names()
    lookup = {name.lower(): name for name in sorted(names)}
    lookup.update(COUNTRY_ALIASES)  # an alias wins over a case-insensitive match, as above
    key = country.str.strip_chars(_WHITESPACE).str.to_lowercase()
    return (
        pl.when(country.is_in(sorted(names)))
        .then(country)
        .otherwise(key.replace_strict(lookup, default=None, return_dtype=pl.String))
    )


def world_map(
    table: pl.DataFrame, *, value: str, title: str, value_format: str = ",.0f"
) -> alt.LayerChart:
    """Choropleth of ``value`` by ``map_country`` (atlas names) on the vendored atlas.

    The atlas goes by URL (:data:`ATLAS_URL`, a static file of the app): inline, Altair
    walked its 105 KB in Python on every visit and each visitor received it again.
    """
    geo = alt.Data(url=ATLAS_URL, format=alt.DataFormat(type="topojson", feature="countries"))
    fields = [value, "customers", "country"]
    background = alt.Chart(geo).mark_geoshape(fill="#e9ecef", stroke="white", strokeWidth=0.5)
    filled = (
        alt.Chart(geo)
        .mark_geoshape(stroke="white", strokeWidth=0.5)
        .transform_lookup(
            lookup="properties.name",
            from_=alt.LookupData(
                data=alt.InlineData(values=table.select("map_country", *fields).to_dicts()),
                key="map_country",
                fields=fields,
            ),
        )
        .transform_filter(f"isValid(datum['{value}'])")
        .encode(
            color=alt.Color(
                f"{value}:Q",
                title=title,
                scale=alt.Scale(scheme="blues"),
                legend=alt.Legend(format=value_format, orient="bottom-left"),
            ),
            tooltip=[
                alt.Tooltip("country:N", title="Country"),
                alt.Tooltip(f"{value}:Q", title=title, format=value_format),
                alt.Tooltip("customers:Q", title="Customers", format=","),
            ],
        )
    )
    # altair types .properties() on a layer as LayerChart | FacetChart; it is a layer.
    chart = alt.layer(background, filled).project(type="equalEarth").properties(height=440)
    return cast(alt.LayerChart, chart)


def monthly_line(table: pl.DataFrame, *, value: str, title: str, value_format: str) -> alt.Chart:
    """A line over ``period`` (months); partial months (a ``partial`` column) get hollow points."""
    partial = pl.col("partial") if "partial" in table.columns else pl.lit(False)
    frame = table.select(
        "period",
        value,
        pl.when(partial).then(pl.lit("Partial month")).otherwise(pl.lit("Full")).alias("coverage"),
    )
    return (
        alt.Chart(frame)
        .mark_line(color=ACCENT, strokeWidth=2, point=alt.OverlayMarkDef(size=24, filled=True))
        .encode(
            x=alt.X("period:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=-45)),
            y=alt.Y(
                f"{value}:Q",
                title=title,
                axis=alt.Axis(format=value_format),
                scale=alt.Scale(zero=False),
            ),
            tooltip=[
                alt.Tooltip("period:T", title="Month", format="%B %Y"),
                alt.Tooltip(f"{value}:Q", title=title, format=value_format),
                alt.Tooltip("coverage:N", title="Data"),
            ],
        )
        .properties(height=HEIGHT)
    )


def cohort_bars(table: pl.DataFrame, *, value: str, title: str, every: str) -> alt.Chart:
    """Bars per cohort (``every``: ``"1mo"``, ``"1q"`` or ``"1y"``), labelled ``2021 Q3``."""
    year = pl.col("cohort").dt.year().cast(pl.String)
    label = {
        "1q": year + pl.lit(" Q") + pl.col("cohort").dt.quarter().cast(pl.String),
        "1y": year,
        "1mo": pl.col("cohort").dt.strftime("%b %Y"),
    }[every]
    data = table.select(label.alias("label"), value, "customers")
    return (
        alt.Chart(data)
        .mark_bar(color=ACCENT, cornerRadiusEnd=2)
        .encode(
            x=alt.X(
                "label:N",
                sort=data["label"].to_list(),
                title="Signup cohort",
                axis=alt.Axis(labelAngle=-45),
            ),
            y=alt.Y(f"{value}:Q", title=title, axis=alt.Axis(format=",.0f")),
            tooltip=[
                alt.Tooltip("label:N", title="Cohort"),
                alt.Tooltip(f"{value}:Q", title=title, format=",.2f"),
                alt.Tooltip("customers:Q", title="Customers", format=","),
            ],
        )
        .properties(height=HEIGHT)
    )


def spend_vs_recency(points: pl.DataFrame, *, currency: str) -> alt.Chart:
    """Net revenue against days since the last purchase, coloured by segment."""
    names = [name for name in SEGMENT_COLORS if name in set(points["segment"].to_list())]
    color = alt.Color(
        "segment:N",
        title="Segment",
        scale=_segment_scale(names),
        legend=alt.Legend(orient="right", labelLimit=200),
    )
    return _revenue_scatter(
        points.select("customer_id", "recency_days", "monetary", "frequency", "segment"),
        currency=currency,
        color=color,
        group=("segment", "Segment"),
        size=26,
        height=400,
    )


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
        .properties(height=HEIGHT)
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
        .properties(height=HEIGHT)
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
    """Bars of ``value`` per period (a date column), labelled by month or year.

    With a ``partial`` column (from :meth:`rfm.AnalysisView.breakdown`), periods the data
    covers only in part are drawn pale and say so in the tooltip, so a short last month
    does not look like a collapse.
    """
    label_format = "%b %Y" if time_unit == "yearmonth" else "%Y"
    has_partial = "partial" in table.columns
    frame = table.select(
        period,
        value,
        (
            pl.when(pl.col("partial")).then(pl.lit("Partial period")).otherwise(pl.lit("Full"))
            if has_partial
            else pl.lit("Full")
        ).alias("coverage"),
    )
    return (
        alt.Chart(frame)
        .mark_bar(cornerRadiusEnd=2)
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
            color=alt.Color(
                "coverage:N",
                scale=alt.Scale(domain=["Full", "Partial period"], range=[ACCENT, "#a9c4e4"]),
                legend=alt.Legend(title=None, orient="top") if has_partial else None,
            ),
            tooltip=[
                alt.Tooltip(f"{time_unit}({period}):O", title="Period", format=label_format),
                alt.Tooltip(f"{value}:Q", title=title, format=",.2f"),
                alt.Tooltip("coverage:N", title="Data"),
            ],
        )
        .properties(height=HEIGHT)
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


BAND_COLORS: Final = {"Low": "#3f9a5c", "Medium": "#f2c14e", "High": "#d4603f"}


def band_mix(by_segment: pl.DataFrame) -> alt.Chart:
    """Stacked bars: each segment's customers by churn band (Low / Medium / High), as shares.

    ``by_segment`` is :func:`rfm.churn_by` by segment (``low_share``, ``medium_share``,
    ``high_share``), in display order.
    """
    names = by_segment["segment"].to_list()
    long = by_segment.select(
        "segment",
        "customers",
        pl.col("low_share").alias("Low"),
        pl.col("medium_share").alias("Medium"),
        pl.col("high_share").alias("High"),
    ).unpivot(index=["segment", "customers"], variable_name="band", value_name="share")
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            # Every segment named: Vega drops "overlapping" labels of a short band axis.
            y=alt.Y(
                "segment:N",
                sort=names,
                title=None,
                axis=alt.Axis(labelLimit=180, labelOverlap=False),
            ),
            x=alt.X(
                "share:Q",
                title="Share of the segment's customers",
                axis=alt.Axis(format="%"),
                stack="normalize",
            ),
            color=alt.Color(
                "band:N",
                title="Churn risk",
                scale=alt.Scale(domain=list(BAND_COLORS), range=list(BAND_COLORS.values())),
                legend=alt.Legend(orient="top"),
            ),
            order=alt.Order("band_order:Q"),
            tooltip=[
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip("band:N", title="Churn risk"),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
                alt.Tooltip("customers:Q", title="Customers in segment", format=","),
            ],
        )
        .transform_calculate(band_order="indexof(['Low', 'Medium', 'High'], datum.band)")
        .properties(height=max(HEIGHT, 28 * len(names)))
    )


# --- How customers move (Movement page) ------------------------------------------------------

_STATE_COLORS: Final = {**SEGMENT_COLORS, "Returns only": "#c9a27e", "New in period": "#b8c4d6"}
"""Segment colours plus the two states of a migration outside the segments."""
_FLOW_STEPS: Final = 24
"""Points along each band of the flow chart (enough for a smooth S-curve)."""
_NODE_WIDTH: Final = 0.04
"""Width of the flow chart's node bars, as a share of the distance between the dates."""


def _flow_layout(
    transitions: pl.DataFrame, states: Sequence[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Where the flow chart draws its nodes and bands (display arithmetic only).

    Nodes are the states stacked top to bottom in ``states`` order, one column per date,
    with a small gap between them; each band leaves its from-node and enters its to-node
    in state order, so bands do not cross inside a node.
    """
    rank = {name: index for index, name in enumerate(states)}
    links = transitions.select("from_segment", "to_segment", "customers", "share").with_columns(
        pl.col("from_segment").replace_strict(rank, return_dtype=pl.Int32).alias("from_rank"),
        pl.col("to_segment").replace_strict(rank, return_dtype=pl.Int32).alias("to_rank"),
    )
    total = float(links["customers"].sum() or 0)
    gap = 0.02 * total

    def nodes(column: str, side: str) -> pl.DataFrame:
        return (
            links.group_by(pl.col(column).alias("state"), pl.col(column.replace("segment", "rank")))
            .agg(pl.col("customers").sum())
            .sort(column.replace("segment", "rank"))
            .with_columns(
                (pl.col("customers").cum_sum() - pl.col("customers") + pl.int_range(pl.len()) * gap)
                .cast(pl.Float64)
                .alias("top"),
                pl.lit(side).alias("side"),
            )
            .with_columns((pl.col("top") + pl.col("customers")).alias("bottom"))
            .select("state", "side", "customers", "top", "bottom")
        )

    left, right = nodes("from_segment", "earlier"), nodes("to_segment", "later")
    bands = (
        links.sort("from_rank", "to_rank")
        .with_columns(
            (pl.col("customers").cum_sum().over("from_rank") - pl.col("customers")).alias(
                "from_offset"
            )
        )
        .sort("to_rank", "from_rank")
        .with_columns(
            (pl.col("customers").cum_sum().over("to_rank") - pl.col("customers")).alias("to_offset")
        )
        .join(
            left.select(pl.col("state").alias("from_segment"), pl.col("top").alias("from_top")),
            on="from_segment",
        )
        .join(
            right.select(pl.col("state").alias("to_segment"), pl.col("top").alias("to_top")),
            on="to_segment",
        )
        .with_columns(
            (pl.col("from_top") + pl.col("from_offset")).alias("start"),
            (pl.col("to_top") + pl.col("to_offset")).alias("end"),
            pl.concat_str("from_segment", pl.lit(" → "), "to_segment").alias("link"),
        )
    )
    steps = pl.DataFrame({"step": range(_FLOW_STEPS + 1)}, schema={"step": pl.Int64})
    t = pl.col("step") / _FLOW_STEPS
    ease = t * t * (3 - 2 * t)  # smoothstep: flat where a band leaves and enters a node
    points = bands.join(steps, how="cross").with_columns(
        (_NODE_WIDTH + t * (1 - 2 * _NODE_WIDTH)).alias("x"),
        (pl.col("start") + (pl.col("end") - pl.col("start")) * ease).alias("y"),
    )
    points = points.with_columns((pl.col("y") + pl.col("customers")).alias("y2")).select(
        "link", "from_segment", "to_segment", "customers", "share", "step", "x", "y", "y2"
    )
    return pl.concat([left, right]), points


def migration_flow(
    transitions: pl.DataFrame,
    *,
    states: Sequence[str],
    earlier_label: str,
    later_label: str,
    height: int = 520,
) -> alt.LayerChart:
    """Sankey-style flow of customers from their segment at the earlier date (left) to
    their segment at the later date (right); band width = customers.

    ``transitions`` is :attr:`rfm.SegmentMigration.transitions`; ``states`` its order.
    """
    nodes, points = _flow_layout(transitions, states)
    present = [name for name in states if name in set(nodes["state"])]
    color = alt.Scale(domain=present, range=colors_for(present, _STATE_COLORS))
    span = float(nodes.select(pl.col("bottom").max()).item() or 1.0)
    y_scale = alt.Scale(domain=[0, span], reverse=True, nice=False, zero=False)
    x_scale = alt.Scale(domain=[-0.42, 1.42], nice=False, zero=False)
    no_axis = alt.Axis(title=None, labels=False, ticks=False, domain=False, grid=False)
    bands = (
        alt.Chart(points)
        .mark_area(opacity=0.4, interpolate="monotone")
        .encode(
            x=alt.X("x:Q", scale=x_scale, axis=no_axis),
            # No stacking: each band's top and bottom are laid out above; the points are
            # in step order already (``order`` would mean stack order on an area).
            y=alt.Y("y:Q", scale=y_scale, axis=no_axis, stack=None),
            y2="y2:Q",
            detail="link:N",
            color=alt.Color("from_segment:N", scale=color, legend=None),
            tooltip=[
                alt.Tooltip("from_segment:N", title=earlier_label),
                alt.Tooltip("to_segment:N", title=later_label),
                alt.Tooltip("customers:Q", title="Customers", format=","),
                alt.Tooltip("share:Q", title=f"Share of the {earlier_label} segment", format=".1%"),
            ],
        )
    )
    boxes = nodes.with_columns(
        pl.when(pl.col("side") == "earlier")
        .then(pl.lit(0.0))
        .otherwise(pl.lit(1.0 - _NODE_WIDTH))
        .alias("x"),
        pl.when(pl.col("side") == "earlier")
        .then(pl.lit(_NODE_WIDTH))
        .otherwise(pl.lit(1.0))
        .alias("x2"),
        pl.when(pl.col("side") == "earlier")
        .then(pl.lit(-0.01))
        .otherwise(pl.lit(1.01))
        .alias("label_x"),
        ((pl.col("top") + pl.col("bottom")) / 2).alias("middle"),
        pl.format("{} ({})", "state", pl.col("customers")).alias("label"),
        pl.when(pl.col("side") == "earlier")
        .then(pl.lit(earlier_label))
        .otherwise(pl.lit(later_label))
        .alias("date"),
    )
    base = alt.Chart(boxes)
    bars = base.mark_rect().encode(
        x=alt.X("x:Q", scale=x_scale, axis=no_axis),
        x2="x2:Q",
        y=alt.Y("top:Q", scale=y_scale, axis=no_axis),
        y2="bottom:Q",
        color=alt.Color("state:N", scale=color, legend=None),
        tooltip=[
            alt.Tooltip("date:N", title="As of"),
            alt.Tooltip("state:N", title="Segment"),
            alt.Tooltip("customers:Q", title="Customers", format=","),
        ],
    )
    left_labels = (
        base.transform_filter(alt.datum.side == "earlier")
        .mark_text(align="right", baseline="middle", fontSize=12)
        .encode(
            x=alt.X("label_x:Q", scale=x_scale, axis=no_axis),
            y=alt.Y("middle:Q", scale=y_scale, axis=no_axis),
            text="label:N",
        )
    )
    right_labels = (
        base.transform_filter(alt.datum.side == "later")
        .mark_text(align="left", baseline="middle", fontSize=12)
        .encode(
            x=alt.X("label_x:Q", scale=x_scale, axis=no_axis),
            y=alt.Y("middle:Q", scale=y_scale, axis=no_axis),
            text="label:N",
        )
    )
    headers = (
        alt.Chart(
            pl.DataFrame(
                {"x": [_NODE_WIDTH / 2, 1 - _NODE_WIDTH / 2], "text": [earlier_label, later_label]}
            )
        )
        .mark_text(baseline="bottom", fontSize=13, fontWeight=600, dy=-6)
        .encode(
            x=alt.X("x:Q", scale=x_scale, axis=no_axis),
            y=alt.value(0),
            text="text:N",
        )
    )
    return cast(
        alt.LayerChart,
        alt.layer(bands, bars, left_labels, right_labels, headers)
        .properties(height=height)
        .configure_view(stroke=None),
    )


def transition_heatmap(
    transitions: pl.DataFrame, *, states: Sequence[str], earlier_label: str, later_label: str
) -> alt.LayerChart:
    """The transition matrix: rows = segment at the earlier date, columns = at the later
    date; colour = share of the row's customers, label = customers and share."""
    present_from = [s for s in states if s in set(transitions["from_segment"])]
    present_to = [s for s in states if s in set(transitions["to_segment"])]
    cells = transitions.with_columns(
        pl.format(
            "{}\n{}%", pl.col("customers"), (pl.col("share") * 100).round(0).cast(pl.Int64)
        ).alias("label")
    )
    base = alt.Chart(cells).encode(
        x=alt.X(
            "to_segment:N",
            sort=present_to,
            title=f"Segment {later_label}",
            axis=alt.Axis(orient="top", labelAngle=-35, labelLimit=160, labelOverlap=False),
        ),
        y=alt.Y(
            "from_segment:N",
            sort=present_from,
            title=f"Segment {earlier_label}",
            axis=alt.Axis(labelLimit=180),
        ),
    )
    rects = base.mark_rect(stroke="white").encode(
        color=alt.Color(
            "share:Q",
            title="Share of row",
            scale=alt.Scale(scheme="blues", domain=[0, 1]),
            legend=alt.Legend(format="%"),
        ),
        tooltip=[
            alt.Tooltip("from_segment:N", title=earlier_label),
            alt.Tooltip("to_segment:N", title=later_label),
            alt.Tooltip("customers:Q", title="Customers", format=","),
            alt.Tooltip("share:Q", title="Share of row", format=".1%"),
            alt.Tooltip("revenue:Q", title="Revenue since the earlier date", format=",.2f"),
        ],
    )
    text = base.mark_text(fontSize=11, lineBreak="\n").encode(
        text="label:N",
        color=alt.when(alt.datum.share > 0.55)
        .then(alt.value("#ffffff"))
        .otherwise(alt.value("#1f1f1f")),
    )
    return cast(
        alt.LayerChart,
        alt.layer(rects, text).properties(height=max(240, 44 * len(present_from))),
    )


def cohort_heatmap(table: pl.DataFrame, *, every_label: str) -> alt.LayerChart:
    """Retention by first-purchase cohort (rows) and periods since (columns).

    ``every_label`` names the period: ``"Week"`` (cohorts labelled by their Monday),
    ``"Month"``, ``"Quarter"`` or ``"Year"``.

    ``table`` is :attr:`rfm.CohortRetention.table`; periods not yet observed (null) are
    left empty. The colour scale ends at the highest retention after the first period,
    so period 0 (always 100 %) does not wash the rest out.
    """
    cohort = pl.col("cohort")
    label = {
        "Month": cohort.dt.to_string("%Y-%m"),
        "Quarter": pl.format("{}-Q{}", cohort.dt.year(), cohort.dt.quarter()),
        "Year": cohort.dt.year().cast(pl.String),
    }.get(every_label, cohort.dt.to_string("%Y-%m-%d"))
    observed = table.filter(pl.col("retention").is_not_null()).with_columns(
        label.alias("cohort_label")
    )
    cohorts = observed["cohort_label"].unique(maintain_order=True).to_list()
    later = observed.filter(pl.col("period_index") > 0)["retention"].max()
    top = float(later) if isinstance(later, int | float) and later > 0 else 1.0
    base = alt.Chart(
        observed.select(
            "cohort_label",
            "period_index",
            "period",
            "customers",
            "active_customers",
            "retention",
            "revenue_per_customer",
            "complete",
        )
    ).encode(
        x=alt.X(
            "period_index:O",
            title=f"{every_label}s since the first purchase",
            axis=alt.Axis(labelAngle=0, labelOverlap=True),
        ),
        y=alt.Y("cohort_label:O", sort=cohorts, title="First purchase in", axis=alt.Axis()),
    )
    rects = base.mark_rect().encode(
        color=alt.Color(
            "retention:Q",
            title="Buying again",
            scale=alt.Scale(scheme="greens", domain=[0, top], clamp=True),
            legend=alt.Legend(format=".0%"),
        ),
        tooltip=[
            alt.Tooltip("cohort_label:O", title="Cohort"),
            alt.Tooltip("period:T", title=every_label, format="%Y-%m-%d"),
            alt.Tooltip("customers:Q", title="Cohort customers", format=","),
            alt.Tooltip("active_customers:Q", title="Buying in the period", format=","),
            alt.Tooltip("retention:Q", title="Share", format=".1%"),
            alt.Tooltip(
                "revenue_per_customer:Q", title="Revenue per cohort customer", format=",.2f"
            ),
            alt.Tooltip("complete:N", title="Whole period observed"),
        ],
    )
    layers: list[alt.Chart] = [rects]
    if observed.height <= 400:  # labels only while they fit
        layers.append(
            base.mark_text(fontSize=10).encode(
                text=alt.Text("retention:Q", format=".0%"),
                color=alt.when(alt.datum.retention > 0.6 * top)
                .then(alt.value("#ffffff"))
                .otherwise(alt.value("#1f1f1f")),
            )
        )
    return cast(
        alt.LayerChart,
        alt.layer(*layers).properties(height=max(220, 18 * len(cohorts))),
    )


KIND_COLORS: Final = {"purchase": ACCENT, "return": "#d4603f"}


def _days_axis(days: tuple[dt.date, dt.date]) -> tuple[alt.Scale, alt.Axis]:
    """A time axis over ``days`` with one label per month, or per few months on long spans
    (automatic ticks repeat a month's label on short spans)."""
    first, last = days
    months = max(1, (last.year - first.year) * 12 + last.month - first.month)
    step = next(s for s in (1, 2, 3, 6, 12, 24, 60, 120, 10**6) if months / s <= 12)
    interval = (
        {"interval": "month", "step": step}
        if step < 12
        else {"interval": "year", "step": step // 12}
    )
    scale = alt.Scale(domain=[first.isoformat(), last.isoformat()])
    return scale, alt.Axis(format="%b %Y" if step < 12 else "%Y", tickCount=interval)


def order_timeline(
    timeline: pl.DataFrame, *, currency: str, days: tuple[dt.date, dt.date]
) -> alt.Chart:
    """One customer's purchases (up) and returns (down) per day, as bars of their net amount.

    ``timeline`` is :meth:`rfm.CustomerHistory.timeline` (``date``, ``kind``, ``lines``,
    ``orders``, ``amount`` [, ``quantity``]); ``days`` the first and last day of the axis.
    """
    scale, axis = _days_axis(days)
    title = f"Amount ({currency})" if currency else "Amount"
    tooltip = [
        alt.Tooltip("date:T", title="Day", format="%Y-%m-%d"),
        alt.Tooltip("kind:N", title="Kind"),
        alt.Tooltip("amount:Q", title=title, format=",.2f"),
        alt.Tooltip("orders:Q", title="Orders"),
        alt.Tooltip("lines:Q", title="Lines"),
    ]
    if "quantity" in timeline.columns:
        tooltip.append(alt.Tooltip("quantity:Q", title="Units", format=","))
    return (
        alt.Chart(timeline)
        .mark_bar(size=6)
        .encode(
            x=alt.X("date:T", title=None, scale=scale, axis=axis),
            y=alt.Y("amount:Q", title=title),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=list(KIND_COLORS), range=list(KIND_COLORS.values())),
                legend=alt.Legend(orient="top", labelExpr="datum.label + 's'"),
            ),
            tooltip=tooltip,
        )
        .properties(height=HEIGHT)
    )


def alive_path(path: pl.DataFrame, *, model: str, days: tuple[dt.date, dt.date]) -> alt.LayerChart:
    """P(alive) over one customer's history (:func:`rfm.alive_history`), with a mark on
    each day they bought, as lifetimes' ``plot_history_alive`` draws it; ``days`` the first
    and last day of the axis (the order timeline's, so the two line up)."""
    scale, axis = _days_axis(days)
    base = alt.Chart(path).encode(x=alt.X("date:T", title=None, scale=scale, axis=axis))
    y = alt.Y(
        "p_alive:Q",
        title=f"P(alive) under {model}",
        scale=alt.Scale(domain=[0, 1]),
        axis=alt.Axis(format="%"),
    )
    line = base.mark_line(color=ACCENT).encode(
        y=y,
        tooltip=[
            alt.Tooltip("date:T", title="Day", format="%Y-%m-%d"),
            alt.Tooltip("p_alive:Q", title="P(alive)", format=".1%"),
            alt.Tooltip("purchase_days:Q", title="Purchase days so far"),
        ],
    )
    bought = (
        base.transform_filter(alt.datum.purchase)
        .mark_rule(color="#888888", strokeDash=[3, 3])
        .encode(tooltip=[alt.Tooltip("date:T", title="Purchase on", format="%Y-%m-%d")])
    )
    return alt.LayerChart(layer=[bought, line], height=HEIGHT)
