"""The sidebar filters: bound to the URL, applied on every page, numbers equal the
library's on the filtered data, and absent columns mean absent filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

import rfm
from rfm.filters import Filters
from rfm.view import analysis_view
from rfm_app import filters as view_filters
from rfm_app import format as fmt
from tests.app.analytics_helpers import minimal_csv, sample_transactions
from tests.app.conftest import ENTRYPOINT


def _open(page: str, **params: str | list[str]) -> AppTest:
    """A new session opened on a link with these query parameters, then ``page``."""
    at = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page != "pages/data.py":
        at.switch_page(page).run()
    return at


def _expected_kpis(filters: Filters) -> rfm.Kpis:
    return analysis_view(sample_transactions(), filters=filters).kpis()


@pytest.mark.parametrize(
    ("params", "filters"),
    [
        ({"country": ["France", "Germany"]}, Filters.of(country=("France", "Germany"))),
        ({"segment": "Champions"}, Filters.of(segments=("Champions",))),
        (
            {"dates": ["2022-01-01", "2022-12-31"], "gender": "Female"},
            Filters.of(date_range=(dt.date(2022, 1, 1), dt.date(2022, 12, 31)), gender=("Female",)),
        ),
        (
            {"category": "Candles", "age": ["25-34", "65+"]},
            Filters.of(category=("Candles",), age_group=("25-34", "65+")),
        ),
    ],
)
def test_a_filtered_link_shows_the_library_numbers_for_that_view(
    params: dict[str, str | list[str]], filters: Filters
) -> None:
    at = _open("pages/data.py", **params)
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page("pages/overview.py").run()
    assert not at.exception
    shown = {metric.label: metric.value for metric in at.metric}
    expected = _expected_kpis(filters)
    assert shown["Customers"] == fmt.count(expected.customers)
    assert shown["Orders"] == fmt.count(expected.orders)
    assert shown["Revenue"] == fmt.money(expected.revenue)
    # The view is narrower than the whole sample, so the numbers really changed.
    assert expected.customers < _expected_kpis(Filters()).customers


def test_widgets_read_the_link_and_the_filters_survive_a_page_change() -> None:
    at = _open("pages/data.py", country="France", segment=["Champions", "Lost"])
    assert at.multiselect(key=view_filters.COUNTRY).value == ["France"]
    assert at.multiselect(key=view_filters.SEGMENT).value == ["Champions", "Lost"]
    at.switch_page("pages/customers.py").run()
    assert not at.exception
    # The customers page draws the view: one country left, so it shows France's cities.
    said = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "by city in France" in said


def test_changing_a_widget_changes_the_numbers() -> None:
    at = _open("pages/overview.py")
    at.multiselect(key=view_filters.COUNTRY).set_value(["Spain"]).run()
    assert not at.exception
    shown = {metric.label: metric.value for metric in at.metric}
    assert shown["Customers"] == fmt.count(_expected_kpis(Filters.of(country=("Spain",))).customers)


def test_a_view_without_customers_says_so_without_a_traceback() -> None:
    at = _open(
        "pages/overview.py",
        country="Australia",
        segment="New Customers",
        dates=["2020-01-01", "2020-01-02"],
    )
    assert not at.exception
    assert any("No customer matches these filters" in e.value for e in at.error)


def test_filters_for_absent_columns_are_not_drawn(
    app: AppTest, upload: Callable[..., AppTest]
) -> None:
    upload(app, "minimal.csv", minimal_csv())
    assert not app.exception
    keys = {widget.key for widget in app.sidebar if getattr(widget, "key", None)}
    assert view_filters.DATES in keys and view_filters.SEGMENT in keys
    for absent in (
        view_filters.COUNTRY,
        view_filters.CATEGORY,
        view_filters.GENDER,
        view_filters.AGE,
    ):
        assert absent not in keys


def test_describe_says_what_the_view_shows() -> None:
    text = view_filters.describe(
        Filters.of(date_range=(dt.date(2021, 1, 1), dt.date(2021, 6, 30)), country=("France",))
    )
    assert text == "Orders 2021-01-01 to 2021-06-30 · Country: France"
    assert view_filters.describe(Filters()) == ""


def test_sample_has_the_columns_these_tests_filter_on() -> None:
    # Guards the tests above: they need a sample with every filterable column.
    columns = set(sample_transactions().columns)
    assert {"country", "category", "gender", "age"} <= columns
    assert sample_transactions().filter(pl.col("country") == "France").height > 0
