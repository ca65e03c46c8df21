"""Uploads kept in the dataset store: the link reopens them, with settings and filters."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from rfm_app import keys, session
from tests.app.analytics_helpers import SMALL_CSV, texts
from tests.app.conftest import ENTRYPOINT, Uploader, metrics

# SMALL_CSV with a country: A and C in France, B in Germany. France: 2 customers, orders
# 1, 2, 4, 5, revenue 10 + 4 + 6 + 5 + 15 = 40.
COUNTRY_CSV = b"""order_id,customer_id,order_date,quantity,unit_price,amount,country
1,A,2024-01-05,2,5.00,10.00,France
1,A,2024-01-05,1,4.00,4.00,France
2,A,2024-02-10,1,6.00,6.00,France
3,B,2024-03-01,3,10.00,30.00,Germany
4,C,2024-03-15,1,5.00,5.00,France
5,C,2024-03-20,1,15.00,15.00,France
"""


def _open_link(page: str = "pages/data.py", **query_params: str) -> AppTest:
    """A new browser session opening the app's URL with these query parameters."""
    at = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    at.query_params.update(query_params)
    if page != "pages/data.py":
        at.switch_page(page)  # the link's path: the first run is on that page
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _token(at: AppTest) -> str:
    token = at.query_params.get(session.DATASET_PARAM)
    assert isinstance(token, str), at.query_params
    return token


def _sample_customers(new_session: Callable[[], AppTest]) -> str:
    at = new_session()
    at.switch_page("pages/overview.py").run()
    return metrics(at)["Customers"]


def test_an_upload_gets_a_link_that_a_new_session_opens(app: AppTest, upload: Uploader) -> None:
    upload(app, "orders.csv", SMALL_CSV)
    token = _token(app)
    assert re.fullmatch(r"[A-Za-z0-9_-]{24}", token)
    notice = " ".join(texts(app.markdown))
    assert "Anyone with the link can see this data until" in notice
    assert app.button(key=keys.DATA_FORGET).label == "Forget this dataset"

    # F5, or a teammate with the copied link: a new session with only the URL.
    teammate = _open_link(**{session.DATASET_PARAM: token})
    assert not teammate.warning, texts(teammate.warning)
    assert any("3 customers, 5 orders" in s.value for s in teammate.success)
    assert any(md.value.endswith(r"orders\.csv") for md in teammate.sidebar.markdown)
    teammate.switch_page("pages/overview.py").run()
    shown = metrics(teammate)
    assert (shown["Customers"], shown["Orders"], shown["Revenue"]) == ("3", "5", "$70.00")
    assert _token(teammate) == token  # changing page keeps the dataset in the URL


def test_the_link_keeps_the_settings_chosen_after_the_upload(
    app: AppTest, upload: Uploader
) -> None:
    upload(app, "orders.csv", SMALL_CSV)
    app.selectbox(key=keys.DATA_CURRENCY).set_value("€")
    app.date_input(key=keys.DATA_AS_OF).set_value("2024-03-10")
    app.button(key=keys.DATA_APPLY).click().run()
    assert not app.exception
    # As of 2024-03-10 only A (orders 1, 2) and B (order 3) have bought: 50 in all.
    teammate = _open_link("pages/overview.py", **{session.DATASET_PARAM: _token(app)})
    shown = metrics(teammate)
    assert (shown["Customers"], shown["Orders"], shown["Revenue"]) == ("2", "3", "€50.00")
    assert shown["Measured as of"] == "2024-03-10"


def test_the_link_keeps_the_sidebar_filters(app: AppTest, upload: Uploader) -> None:
    upload(app, "orders.csv", COUNTRY_CSV)
    teammate = _open_link(
        "pages/overview.py", **{session.DATASET_PARAM: _token(app), "country": "France"}
    )
    shown = metrics(teammate)
    assert (shown["Customers"], shown["Orders"], shown["Revenue"]) == ("2", "4", "$40.00")
    assert teammate.query_params.get("country") == "France"


@pytest.mark.parametrize("token", ["NoSuchDatasetTokenHere12", "x' OR '1'='1"])
def test_a_link_to_a_missing_dataset_says_so_and_shows_the_sample(
    token: str, new_session: Callable[[], AppTest]
) -> None:
    at = _open_link("pages/overview.py", **{session.DATASET_PARAM: token})
    (warning,) = texts(at.warning)
    assert warning.startswith(session.MISSING_LINK)
    assert "Showing the sample data instead" in warning
    assert not at.error
    assert metrics(at)["Customers"] == _sample_customers(new_session)
    assert any("Sample data" in md.value for md in at.sidebar.markdown)
    assert session.DATASET_PARAM not in at.query_params  # a reload does not warn again


def test_forget_deletes_the_dataset_at_once(app: AppTest, upload: Uploader) -> None:
    upload(app, "orders.csv", SMALL_CSV)
    token = _token(app)
    app.button(key=keys.DATA_FORGET).click().run()
    assert not app.exception
    assert session.DATASET_PARAM not in app.query_params
    assert app.radio(key=keys.DATA_SOURCE_KIND).value == "Sample data"
    assert any("Sample data" in md.value for md in app.sidebar.markdown)
    later = _open_link(**{session.DATASET_PARAM: token})
    assert texts(later.warning)[0].startswith(session.MISSING_LINK)  # first, above the page


def test_an_upload_the_store_cannot_keep_is_still_analysed_and_says_so(
    app: AppTest, upload: Uploader, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RFM_STORE_MAX_BYTES", "100")  # SMALL_CSV is 226 bytes
    upload(app, "orders.csv", SMALL_CSV)
    assert session.DATASET_PARAM not in app.query_params
    assert any("3 customers, 5 orders" in s.value for s in app.success)
    (shown,) = texts(app.warning)
    warning = shown.replace("\\", "")  # Markdown escapes
    assert "(226 B) is larger than this server keeps for sharing (100 B in all)" in warning
    assert "a reload or a copied link opens the sample data" in warning


def test_a_damaged_xls_workbook_gets_the_librarys_message(app: AppTest, upload: Uploader) -> None:
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024)  # an .xls header, no workbook
    upload(app, "orders.xls", ole2, "application/vnd.ms-excel")
    assert not app.exception
    (shown,) = texts(app.error)
    error = shown.replace("\\", "")  # Markdown escapes
    assert ".xls workbook" in error
    assert "export it as CSV" in error


def test_an_old_xls_workbook_is_analysed(app: AppTest, upload: Uploader) -> None:
    from tests.io.xls_writer import workbook

    rows = [["customer_id", "order_date", "amount"], ["a", "2024-01-05", 10.0]]
    rows += [["a", "2024-02-05", 5.0], ["b", "2024-03-01", 7.5]]
    upload(app, "orders.xls", workbook({"Orders": rows}), "application/vnd.ms-excel")
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, texts(app.error)
    assert any("2 customers, 3 orders" in s.value for s in app.success)


def test_a_dataset_forgotten_elsewhere_is_said_to_be_gone(app: AppTest, upload: Uploader) -> None:
    upload(app, "orders.csv", SMALL_CSV)
    teammate = _open_link(**{session.DATASET_PARAM: _token(app)})
    teammate.button(key=keys.DATA_FORGET).click().run()
    app.run()  # the uploader's session keeps its data, and learns the link is gone
    assert any("3 customers, 5 orders" in s.value for s in app.success)
    assert any("no longer kept on the server" in w.value for w in app.warning)
