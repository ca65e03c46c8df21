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

from rfm.dates import to_date
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
DATES_NOTE: Final = "filters.dates_note"
"""Session-state key of the note saying a requested date range was clamped."""
DATES_BOUNDS: Final = "filters.dates_bounds"
"""Session-state key of the bounds the date filter was last drawn with."""
DATES_CUT: Final = "filters.dates_cut"
"""Session-state key of a link's cut range, set on the run after the link's first."""

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


def date_bounds(available: FilterOptions, as_of: dt.date | None) -> tuple[dt.date, dt.date] | None:
    """The days the date filter can pick: the data's first day to its last day cut at
    ``as_of`` (lines after the as-of date are in no view, so no filter may pick them).

    ``None`` when the data has no dated line.

    Examples
    --------
    >>> span = FilterOptions(dt.date(2010, 12, 1), dt.date(2011, 12, 9), {})
    >>> date_bounds(span, dt.date(2011, 6, 30))
    (datetime.date(2010, 12, 1), datetime.date(2011, 6, 30))
    >>> date_bounds(span, None)  # default as-of: the day after the last line
    (datetime.date(2010, 12, 1), datetime.date(2011, 12, 9))
    """
    if available.first_day is None or available.last_day is None:
        return None
    last = available.last_day if as_of is None else min(available.last_day, as_of)
    return available.first_day, max(last, available.first_day)


def clamp_dates(
    requested: tuple[dt.date, dt.date], bounds: tuple[dt.date, dt.date]
) -> tuple[tuple[dt.date, dt.date], str | None]:
    """``requested`` cut to ``bounds``, with a note for people when it had to be cut.

    A range wholly outside the bounds becomes the whole span (no date filter).

    Examples
    --------
    >>> bounds = (dt.date(2020, 1, 1), dt.date(2021, 12, 31))
    >>> clamp_dates((dt.date(2021, 3, 1), dt.date(2023, 1, 1)), bounds)[0]
    (datetime.date(2021, 3, 1), datetime.date(2021, 12, 31))
    >>> clamp_dates((dt.date(2021, 3, 1), dt.date(2021, 4, 1)), bounds)
    ((datetime.date(2021, 3, 1), datetime.date(2021, 4, 1)), None)
    """
    first, last = sorted(requested)
    low, high = bounds
    if low <= first and last <= high:
        return (first, last), None
    asked = f"{first} to {last}"
    span = f"{low} to {high}"
    if last < low or first > high:
        return bounds, (
            f"The order dates asked for ({asked}) are outside the data up to the as-of "
            f"date ({span}), so the date filter is off: showing all of {span}."
        )
    kept = (max(first, low), min(last, high))
    return kept, (
        f"The order dates asked for ({asked}) reach outside the data up to the as-of "
        f"date ({span}); showing {kept[0]} to {kept[1]}."
    )


def _requested_dates() -> tuple[dt.date, dt.date] | None:
    """The range the widget is about to show: its state, or on a first run the URL's."""
    if DATES in st.session_state:
        value: object = st.session_state[DATES]
    else:
        value = st.query_params.get_all(DATES)
    if not isinstance(value, tuple | list) or len(value) != 2:
        return None
    first, last = (to_date(day) for day in value)
    return None if first is None or last is None else (first, last)


def _clamp_requested(bounds: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date] | None:
    """Cut a range from the URL or an earlier as-of date to ``bounds`` before the widget
    is drawn (Streamlit would silently drop it), and keep a note saying so.

    On a link's first run a value set in session state would leave the URL without the
    range (Streamlit drops an out-of-range parameter and does not write the set value
    back), so a copied link would lose the filter. Then the link's range is returned
    instead: the widget takes it once with bounds wide enough, the script runs again,
    and the cut range is set then. The address bar keeps the link's range, which
    reopens the same cut view.
    """
    cut = st.session_state.pop(DATES_CUT, None)
    if cut is not None:
        st.session_state[DATES] = cut
        return None
    earlier = st.session_state.get(DATES_BOUNDS)
    st.session_state[DATES_BOUNDS] = bounds
    requested = _requested_dates()
    if requested is None:
        return None
    if DATES in st.session_state and requested == earlier and earlier != bounds:
        # The whole span of other data or an earlier as-of date (no date filter): start
        # from the whole span of this view, with nothing to say. Set, not deleted, so the
        # browser's date field is told too (it keeps its own value otherwise).
        st.session_state[DATES] = bounds
        return None
    kept, note = clamp_dates(requested, bounds)
    if note is None:
        return None
    st.session_state[DATES_NOTE] = (kept, note)
    if DATES not in st.session_state:
        st.session_state[DATES_CUT] = kept
        return requested
    st.session_state[DATES] = kept
    return None


def render() -> None:
    """Draw the filters in the sidebar (after the data caption)."""
    available = current_options()
    if available is None:
        return
    bounds = date_bounds(available, session.current_settings().as_of)
    with st.sidebar:
        st.markdown(":material/filter_alt: **Filters**")
        if bounds is not None:
            link = _clamp_requested(bounds)
            # Bounds wide enough for the link's range on its first run only (see above).
            low, high = (
                bounds if link is None else (min(link[0], bounds[0]), max(link[1], bounds[1]))
            )
            chosen = st.date_input(
                "Order dates",
                value=bounds,
                min_value=low,
                max_value=high,
                key=DATES,
                bind="query-params",
                format="YYYY-MM-DD",
                help="Any days from the first order to the as-of date set on the Data page.",
            )
            if link is not None:
                st.rerun()
            note = st.session_state.get(DATES_NOTE)
            # The note stays until the range is changed by hand.
            if isinstance(note, tuple) and isinstance(chosen, tuple) and chosen == note[0]:
                st.info(note[1], icon=":material/date_range:")
            else:
                st.session_state.pop(DATES_NOTE, None)
        _multiselect("Segment", SEGMENT, tuple(segment_levels()), "All segments")
        for key, column, label, placeholder in _COLUMNS:
            if available.get(column):
                _multiselect(label, key, available.get(column), placeholder)
        if current().active:
            st.caption("Copy the address bar to share this filtered view.")


def _dates(value: object, bounds: tuple[dt.date, dt.date] | None) -> tuple[dt.date, dt.date] | None:
    if bounds is None or not isinstance(value, tuple | list) or len(value) != 2:
        return None  # half-picked range: no date filter until the second day is chosen
    first, last = value
    if not (isinstance(first, dt.date) and isinstance(last, dt.date)):
        return None
    if (first, last) == bounds:
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
        date_range=_dates(
            st.session_state.get(DATES), date_bounds(available, session.current_settings().as_of)
        ),
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
