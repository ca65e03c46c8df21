"""The sidebar filter set every page shares, bound to the URL.

Each widget uses ``bind="query-params"`` with a short key that becomes the query
parameter, so a copied link such as ``/overview?country=France&segment=Champions``
reopens the same view. A filter whose column the data lacks is not drawn (and a URL
value for it is ignored).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import streamlit as st

from rfm.filters import AGE_GROUP, FilterOptions, Filters, filter_options
from rfm.segments import segment_levels
from rfm_app import session
from rfm_app.pipeline import TTL, Failure, joined

# Query-parameter names (also the widgets' keys). Stable: shared links depend on them.
DATES: Final = "dates"
COUNTRY: Final = "country"
CATEGORY: Final = "category"
SEGMENT: Final = "segment"
GENDER: Final = "gender"
AGE: Final = "age"
KEYS: Final = (DATES, COUNTRY, CATEGORY, SEGMENT, GENDER, AGE)

# (query parameter, line column, label, placeholder) of each value filter, in sidebar order.
_COLUMNS: Final = (
    (COUNTRY, "country", "Country", "All countries"),
    (CATEGORY, "category", "Category", "All categories"),
    (GENDER, "gender", "Gender", "All genders"),
    (AGE, AGE_GROUP, "Age group", "All ages"),
)


@st.cache_data(scope="session", max_entries=2, ttl=TTL, show_spinner=False)
def options(
    digest: str, _source: session.Source, settings: session.Settings
) -> FilterOptions | None:
    """What each filter can choose from in the current data (``None`` if unreadable)."""
    result = joined(_source, settings)  # with the attached tables' columns (gender, ...)
    if isinstance(result, Failure):
        return None
    return filter_options(result.transactions)


def current_options() -> FilterOptions | None:
    """:func:`options` of this session's data."""
    source = session.current_source()
    return options(source.digest, source, session.current_settings())


def _multiselect(label: str, key: str, choices: tuple[str, ...], placeholder: str) -> None:
    st.multiselect(
        label,
        choices,
        key=key,
        bind="query-params",
        placeholder=placeholder,
    )


def render() -> None:
    """Draw the filters in the sidebar (after the data caption)."""
    available = current_options()
    if available is None:
        return
    with st.sidebar:
        st.markdown(":material/filter_alt: **Filters**")
        if available.first_day is not None and available.last_day is not None:
            st.date_input(
                "Order dates",
                value=(available.first_day, available.last_day),
                min_value=available.first_day,
                max_value=available.last_day,
                key=DATES,
                bind="query-params",
                format="YYYY-MM-DD",
            )
        _multiselect("Segment", SEGMENT, tuple(segment_levels()), "All segments")
        for key, column, label, placeholder in _COLUMNS:
            if available.get(column):
                _multiselect(label, key, available.get(column), placeholder)
        if current().active:
            st.caption("Copy the address bar to share this filtered view.")


def _dates(value: object, available: FilterOptions) -> tuple[dt.date, dt.date] | None:
    if not isinstance(value, tuple | list) or len(value) != 2:
        return None  # half-picked range: no date filter until the second day is chosen
    first, last = value
    if not (isinstance(first, dt.date) and isinstance(last, dt.date)):
        return None
    if first == available.first_day and last == available.last_day:
        return None
    return (first, last)


def _chosen(key: str) -> tuple[str, ...]:
    value = st.session_state.get(key)
    return tuple(str(item) for item in value) if isinstance(value, list | tuple) else ()


def current() -> Filters:
    """The filters chosen in the sidebar (``Filters()`` when nothing narrows the data)."""
    available = current_options()
    if available is None:
        return Filters()
    return Filters.of(
        date_range=_dates(st.session_state.get(DATES), available),
        segments=_chosen(SEGMENT),
        **{column: _chosen(key) for key, column, _, _ in _COLUMNS if available.get(column)},
    )


def describe(filters: Filters) -> str:
    """One line saying what the view shows, for captions: ``"Country: France · ..."``."""
    parts: list[str] = []
    if filters.date_range is not None:
        parts.append(f"Orders {filters.date_range[0]} to {filters.date_range[1]}")
    if filters.segments:
        parts.append(f"Segment: {', '.join(filters.segments)}")
    for _, column, label, _ in _COLUMNS:
        values = filters.get(column)
        if values:
            parts.append(f"{label}: {', '.join(values)}")
    return " · ".join(parts)
