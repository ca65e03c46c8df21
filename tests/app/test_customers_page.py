"""Customers page: breakdowns equal the library's on the view; missing columns are named."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from rfm import breakdown
from rfm.filters import Filters
from rfm.view import analysis_view
from tests.app.analytics_helpers import sample_transactions, texts
from tests.app.conftest import open_page

PAGE = "pages/customers.py"


@pytest.fixture(scope="module")
def women() -> AppTest:
    return open_page(PAGE, gender="Female")


def test_renders_every_section_on_the_sample(women: AppTest) -> None:
    assert not women.exception, [e.value for e in women.exception]
    assert not women.error, texts(women.error)
    assert not women.info, texts(women.info)  # no section is missing a column
    headers = texts(women.subheader)
    for header in (
        "Age groups",
        "Gender",
        "Where customers are",
        "Payment methods",
        "Returns",
        "Revenue by tenure",
        "Revenue by signup cohort",
        "Recency",
        "Monthly purchase frequency",
        "Spend vs recency",
    ):
        assert header in headers


def test_country_table_equals_the_library_on_the_view(women: AppTest) -> None:
    view = analysis_view(sample_transactions(), filters=Filters.of(gender=("Female",)))
    expected = breakdown(view.transactions, by="country")
    table = women.dataframe[0].value
    assert table["country"].tolist() == expected["country"].to_list()
    assert table["customers"].tolist() == expected["customers"].to_list()
    # Displayed rounded to whole currency units.
    assert table["revenue"].tolist() == pytest.approx(expected["revenue"].to_list(), abs=0.5)


def test_without_optional_columns_each_section_names_its_column(
    minimal_page: Callable[[str], AppTest],
) -> None:
    app = minimal_page(PAGE)
    notes = " ".join(texts(app.info))
    for column in (
        "age",
        "birth_date",
        "gender",
        "country",
        "payment_method",
        "category",
        "department",
        "theme",
    ):
        assert f"`{column}`" in notes, column
    # Sections that need only the required columns still draw.
    assert "Revenue by tenure" in texts(app.subheader)
    assert any("cohorts are by first purchase" in c for c in texts(app.caption))


def test_one_country_shows_its_states(app: AppTest, upload: Callable[..., AppTest]) -> None:
    # A Superstore-shaped export: one country, customers spread over states.
    header = "Order ID,Order Date,Customer ID,Country,State,City,Sales\n"
    rows = [
        f"O{i},2024-0{1 + i % 6}-1{i % 9},C{i % 7},United States,"
        f"{('Texas', 'Ohio', 'Utah')[i % 3]},Town{i % 4},{10 + i}.50\n"
        for i in range(40)
    ]
    upload(app, "superstore.csv", (header + "".join(rows)).encode())
    app.switch_page("pages/customers.py").run()
    assert not app.exception, [e.value for e in app.exception]
    said = " ".join(c.value for c in app.caption).replace("\\", "")
    assert "by state in United States" in said
