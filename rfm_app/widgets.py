"""Widget helpers shared by the pages: safe text, errors, metrics, downloads."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import NoReturn, TypeVar

import polars as pl
import streamlit as st

import rfm
from rfm.export import to_safe_csv
from rfm_app import filters as view_filters
from rfm_app import format as fmt
from rfm_app import keys, session
from rfm_app.pipeline import Analysis, Failure, analysis, customers
from rfm_app.routing import ensure_router

T = TypeVar("T")

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: object) -> str:
    """Escape ``text`` so Streamlit's Markdown shows it literally.

    File contents and column names are user data: ``<script>``, ``**bold**`` or a
    ``[link](…)`` in a cell must appear as typed, never be rendered.
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def show_failure(failure: Failure, *, where: str = "") -> NoReturn:
    """Show why the data cannot be analysed and what to do, then end the page."""
    hint = "" if not where else f"\n\n{where}"
    st.error(f"{plain(failure.for_analyst)}{hint}", icon=":material/error:")
    st.stop()


def with_status(
    compute: Callable[[], T | Failure], *, running: str, failed: str, done: Callable[[T], str]
) -> T | Failure:
    """Run ``compute`` inside a collapsed ``st.status`` that ends labelled ``done(result)``
    or ``failed``; the caller decides what a failure means for the page."""
    with st.status(running, expanded=False) as status:
        result = compute()
        if isinstance(result, Failure):
            status.update(label=failed, state="error")
        else:
            status.update(label=done(result), state="complete")
    return result


def require_analysis() -> Analysis:
    """The current session's analysis, or an error message and the end of the page."""
    source = session.current_source()
    result = analysis(source.digest, source, session.current_settings(), view_filters.current())
    if isinstance(result, Failure):
        if result.ambiguous_dates:
            st.warning(
                "The order dates could be read day-first or month-first. "
                "Choose the format on the **Data** page.",
                icon=":material/calendar_month:",
            )
            st.page_link("pages/data.py", label="Open the Data page", icon=":material/upload_file:")
            st.stop()
        show_failure(result, where="Open the **Data** page to change the file or its columns.")
    return result


def require_customers() -> pl.DataFrame:
    """The current scored, segmented customer table (call after :func:`require_analysis`)."""
    result = customers(session.current_source(), session.current_settings(), view_filters.current())
    if isinstance(result, Failure):
        show_failure(result, where="Open the **Data** page to change the file or its columns.")
    return result


def source_caption() -> None:
    """One line naming the data on screen, so a screenshot says what it shows."""
    source = session.current_source()
    label = source.label
    st.caption(f"{label}: {plain(source.name)} · {fmt.size(source.size)}")


def filter_caption() -> None:
    """One line listing the sidebar filters in force (nothing when none is)."""
    active = view_filters.current()
    if active.active:
        st.caption(f":material/filter_alt: {plain(view_filters.describe(active))}")


def analysis_page(title: str) -> Analysis:
    """Start an analytics page: route, title, the analysis and what data and filters it shows.

    Call first in the page file: a legacy direct run hands over to the router, and data
    that cannot be analysed ends the page with a message (see :func:`require_analysis`).
    """
    ensure_router()
    st.title(title, anchor=False)
    result = require_analysis()
    source_caption()
    filter_caption()
    return result


def revenue_help(kpi: rfm.Kpis, currency: str) -> str:
    """What the revenue KPI includes, for its help tooltip."""
    text = (
        f"{fmt.money(kpi.revenue, currency)} net: purchases minus returns and cancellations, "
        "on or before the as-of date."
    )
    if kpi.returns_only_customers:
        text += (
            f" Includes {fmt.money(kpi.returns_only_revenue, currency)} of returns by "
            f"{fmt.count(kpi.returns_only_customers)} customers with no purchase in the "
            "period, who are not counted as customers."
        )
    return text


def partial_caption(*tables: pl.DataFrame) -> None:
    """Say which periods of the time charts the data covers only in part."""
    partial: list[str] = []
    for table in tables:
        if "partial" not in table.columns:
            continue
        for start, end in table.filter(pl.col("partial")).select("period", "period_end").rows():
            partial.append(f"{start:%b %Y}" if (end - start).days < 32 else f"{start:%Y}")
    if partial:
        st.caption(
            "The data cover only part of these periods ("
            + ", ".join(dict.fromkeys(partial))
            + "; drawn pale, or said in the tooltip): compare them with care."
        )


def download_buttons(
    frame: pl.DataFrame | Callable[[], pl.DataFrame], *, stem: str, key: str
) -> None:
    """CSV (spreadsheet-safe) and Parquet downloads of ``frame``, built only when clicked.

    ``frame`` may be a function without arguments returning the table: then the table
    itself is built only on a click, and dropped once its file is written. Streamlit runs
    it in another thread, outside the session: it must make no Streamlit call and read
    no session state, only compute from values gathered beforehand.
    """

    def table() -> pl.DataFrame:
        return frame() if callable(frame) else frame

    def parquet() -> bytes:
        buffer = io.BytesIO()
        table().write_parquet(buffer)
        return buffer.getvalue()

    formats = (
        ("CSV", lambda: to_safe_csv(table(), bom=True), "csv", "text/csv"),
        ("Parquet", parquet, "parquet", "application/vnd.apache.parquet"),
    )
    for side, (label, data, suffix, mime) in zip(st.columns(2), formats, strict=True):
        side.download_button(
            f"Download {label}",
            data=data,
            file_name=f"{stem}.{suffix}",
            mime=mime,
            key=f"{key}.{suffix}",
            icon=":material/download:",
            on_click="ignore",
            width="stretch",
        )


CUSTOMER_PAGE = "pages/customer.py"


def customer_link(event: object, shown: pl.DataFrame) -> None:
    """Under a customer list drawn with ``on_select="rerun", selection_mode="single-row"``:
    a link opening the selected customer on the Customer page (nothing when none is)."""
    rows = getattr(getattr(event, "selection", None), "rows", None) or []
    if not rows or rows[0] >= shown.height:
        st.caption("Select a row to open that customer.")
        return
    customer_id = str(shown["customer_id"][rows[0]])
    st.page_link(
        CUSTOMER_PAGE,
        label=f"Open customer {plain(customer_id)}",
        icon=":material/person_search:",
        query_params={keys.CUSTOMER: customer_id},
    )
