"""The sidebar's order-date filter offers only days of the view: the data's first day to
the as-of date. A range asked for outside that (an old link, a later as-of change) is cut
to it with a note on the page, never dropped silently or shown as an error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from streamlit.testing.v1 import AppTest

import rfm
from rfm.filters import FilterOptions, Filters
from rfm_app import filters as view_filters
from rfm_app import format as fmt
from rfm_app import keys
from tests.app.analytics_helpers import minimal_csv, sample_transactions
from tests.app.conftest import ENTRYPOINT

SPAN = FilterOptions(dt.date(2020, 1, 1), dt.date(2023, 12, 31), {})
AS_OF = dt.date(2021, 12, 31)


def test_bounds_end_at_the_as_of_date() -> None:
    assert view_filters.date_bounds(SPAN, AS_OF) == (dt.date(2020, 1, 1), AS_OF)
    # The default as-of (the day after the last line) keeps the data's last day.
    assert view_filters.date_bounds(SPAN, dt.date(2024, 1, 1)) == (
        dt.date(2020, 1, 1),
        dt.date(2023, 12, 31),
    )
    assert view_filters.date_bounds(SPAN, None)[1] == dt.date(2023, 12, 31)  # type: ignore[index]
    empty = FilterOptions(None, None, {})
    assert view_filters.date_bounds(empty, AS_OF) is None


def test_a_range_inside_the_bounds_is_kept_as_asked() -> None:
    bounds = (dt.date(2020, 1, 1), AS_OF)
    asked = (dt.date(2020, 5, 1), dt.date(2021, 2, 1))
    assert view_filters.clamp_dates(asked, bounds) == (asked, None)


def test_a_range_reaching_outside_is_cut_and_said() -> None:
    bounds = (dt.date(2020, 1, 1), AS_OF)
    kept, note = view_filters.clamp_dates((dt.date(2019, 6, 1), dt.date(2022, 6, 30)), bounds)
    assert kept == (dt.date(2020, 1, 1), AS_OF)
    assert note is not None and "2019-06-01 to 2022-06-30" in note and str(AS_OF) in note


def test_a_range_wholly_outside_means_no_date_filter() -> None:
    bounds = (dt.date(2020, 1, 1), AS_OF)
    kept, note = view_filters.clamp_dates((dt.date(2023, 1, 1), dt.date(2023, 3, 1)), bounds)
    assert kept == bounds
    assert note is not None and "off" in note


def _set_as_of(at: AppTest, day: dt.date) -> None:
    at.date_input(key=keys.DATA_AS_OF).set_value(day)
    at.button(key=keys.DATA_APPLY).click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_the_sidebar_offers_no_day_after_the_as_of_date(app: AppTest) -> None:
    assert app.date_input(key=view_filters.DATES).max == dt.date(2023, 12, 31)
    _set_as_of(app, AS_OF)
    field = app.date_input(key=view_filters.DATES)
    assert (field.min, field.max) == (dt.date(2020, 1, 1), AS_OF)
    assert field.value == (dt.date(2020, 1, 1), AS_OF)


def test_a_link_reaching_outside_the_data_is_cut_with_a_note(
    read_metrics: Callable[[AppTest], dict[str, str]],
) -> None:
    at = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    at.query_params[view_filters.DATES] = ["2019-06-01", "2022-06-30"]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    kept = (dt.date(2020, 1, 1), dt.date(2022, 6, 30))
    assert at.date_input(key=view_filters.DATES).value == kept
    notes = [info.value for info in at.sidebar.info]
    assert any("2019-06-01 to 2022-06-30" in note for note in notes), notes
    at.switch_page("pages/overview.py").run()
    expected = rfm.analysis_view(sample_transactions(), filters=Filters.of(date_range=kept)).kpis()
    shown = read_metrics(at)
    assert shown["Customers"] == fmt.count(expected.customers)
    assert shown["Revenue"] == fmt.money(expected.revenue)


def test_an_earlier_as_of_cuts_a_chosen_range_with_a_note(
    app: AppTest, read_metrics: Callable[[AppTest], dict[str, str]]
) -> None:
    app.date_input(key=view_filters.DATES).set_value((dt.date(2021, 6, 1), dt.date(2022, 6, 30)))
    app.run()
    _set_as_of(app, AS_OF)
    assert app.date_input(key=view_filters.DATES).value == (dt.date(2021, 6, 1), AS_OF)
    assert any("2021-06-01 to 2022-06-30" in info.value for info in app.sidebar.info)
    app.switch_page("pages/overview.py").run()
    assert not app.exception
    expected = rfm.analysis_view(
        sample_transactions(),
        as_of=AS_OF,
        filters=Filters.of(date_range=(dt.date(2021, 6, 1), AS_OF)),
    ).kpis()
    assert read_metrics(app)["Customers"] == fmt.count(expected.customers)


def test_other_data_starts_from_its_own_span_without_a_note(
    app: AppTest, upload: Callable[..., AppTest]
) -> None:
    # No date filter on the sample, then a file covering other days: nothing was asked
    # for, so nothing is cut and nothing is said.
    upload(app, "small.csv", minimal_csv())
    assert not app.exception, [e.value for e in app.exception]
    field = app.date_input(key=view_filters.DATES)
    assert field.value == (field.min, field.max)
    assert field.max < dt.date(2023, 12, 31)
    assert not app.sidebar.info, [info.value for info in app.sidebar.info]
