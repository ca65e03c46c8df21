"""Attaching a second table on the Data page: a workbook's Returns sheet, a customer file.

The workbook is Superstore-shaped (Orders, Returns and People sheets) and small enough to
count by hand; every expected figure below is counted from the rows in this file.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import rfm
from rfm_app import keys, session
from tests.app.analytics_helpers import texts
from tests.app.conftest import ENTRYPOINT, Uploader, metrics
from tests.io.xls_writer import Cell, workbook

XLS = "application/vnd.ms-excel"
HEADER = ["Row ID", "Order ID", "Order Date", "Ship Mode", "Customer ID", "Segment", "City"]
HEADER += ["State", "Region", "Sub-Category", "Sales", "Quantity"]
# (order id, date, customer, sales, quantity); the other columns are filled alike.
LINES = [
    ("CA-1", "2016-01-05", "CG-1", 100.0, 2),
    ("CA-1", "2016-01-05", "CG-1", 50.0, 1),
    ("CA-2", "2016-02-10", "CG-1", 30.0, 1),
    ("US-3", "2016-03-01", "SO-2", 200.0, 4),
    ("US-4", "2016-03-15", "DP-3", 20.0, 1),
    ("US-5", "2016-04-01", "DP-3", 80.0, 2),
]
RETURNED = ["CA-1", "US-4", "XX-9", "XX-8"]  # the last two are not orders of this file
PEOPLE_CSV = (
    b"Customer ID,Gender,Birth Date\n"
    b"CG-1,F,1980-05-01\n"
    b"SO-2,M,1975-03-02\n"
    b"ZZ-9,F,1990-01-01\n"  # not a customer of this file; DP-3 is not listed
)
GENDER = {"CG-1": "F", "SO-2": "M"}


def superstore_xls(*, cover: bool = False) -> bytes:
    """Orders, Returns and People sheets (and an empty Cover sheet first, if asked)."""
    place = ("Standard Class", "Consumer", "Austin", "Texas", "Central", "Paper")
    orders: list[list[Cell]] = [list(HEADER)]
    for i, (order, day, customer, sales, quantity) in enumerate(LINES):
        ship, segment, city, state, region, sub_category = place
        orders.append(
            [i + 1, order, day, ship, customer, segment, city, state, region, sub_category]
        )
        orders[-1] += [sales, quantity]
    sheets: dict[str, list[list[Cell]]] = {"Cover": [[None]]} if cover else {}
    sheets["Orders"] = orders
    sheets["Returns"] = [["Returned", "Order ID"], *(["Yes", order] for order in RETURNED)]
    sheets["People"] = [["Person", "Region"], ["Anna Andreadi", "West"]]
    return workbook(sheets)


# Counted by hand from LINES and RETURNED, independently of the library.
ORDER_IDS = {line[0] for line in LINES}
MATCHED = [order for order in RETURNED if order in ORDER_IDS]  # CA-1, US-4
NOT_FOUND = [order for order in RETURNED if order not in ORDER_IDS]  # XX-9, XX-8
RETURN_LINES = [line for line in LINES if line[0] in MATCHED]  # 3 lines
REVENUE = sum(line[3] for line in LINES)  # 480
RETURNED_VALUE = sum(line[3] for line in RETURN_LINES)  # 170
QUANTITY = sum(line[4] for line in LINES)  # 11


def _upload_workbook(app: AppTest, upload: Uploader, data: bytes | None = None) -> AppTest:
    upload(app, "superstore.xls", data or superstore_xls(), XLS)
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, texts(app.error)
    return app


def _overview(at: AppTest) -> dict[str, str]:
    at.switch_page("pages/overview.py").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = metrics(at)
    at.switch_page("pages/data.py").run()
    return shown


def _attached_lines(at: AppTest) -> list[str]:
    return [md.value.replace("\\", "") for md in at.markdown if "marked returned" in md.value]


def test_the_returns_sheet_is_offered_and_its_join_is_counted(
    app: AppTest, upload: Uploader
) -> None:
    _upload_workbook(app, upload)
    before = _overview(app)
    assert before["Revenue"] == f"${REVENUE:,.2f}"
    assert app.button(key=keys.DATA_ATTACH_SUGGESTED).label == "Attach Returns"

    app.button(key=keys.DATA_ATTACH_SUGGESTED).click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, texts(app.error)
    (line,) = _attached_lines(app)
    assert (
        f"{len(MATCHED)} orders marked returned ({len(RETURN_LINES)} return lines added, "
        f"taking ${RETURNED_VALUE:,.2f} off the revenue), {len(NOT_FOUND)} order ids not "
        "found in the transactions."
    ) in line
    assert app.button(key=f"{keys.DATA_DETACH_PREFIX}returns").label == "Remove"
    assert metrics(app)["Returns kept"] == str(len(RETURN_LINES))  # the file had none

    after = _overview(app)
    # A returned order nets to zero but stays an order (rfm.attach_returns).
    assert after["Revenue"] == f"${REVENUE - RETURNED_VALUE:,.2f}"
    assert after["Orders"] == before["Orders"] == str(len(ORDER_IDS))
    returned_units = sum(line[4] for line in RETURN_LINES)
    assert after["Quantity"] == str(QUANTITY - returned_units)

    app.button(key=f"{keys.DATA_DETACH_PREFIX}returns").click().run()
    assert _overview(app)["Revenue"] == before["Revenue"]


def test_a_customer_file_adds_attributes_to_the_customers_page(
    app: AppTest, upload: Uploader
) -> None:
    _upload_workbook(app, upload)
    app.switch_page("pages/customers.py").run()
    assert any("gender" in text for text in texts(app.info))  # nothing to split by yet
    app.switch_page("pages/data.py").run()

    app.radio(key=keys.DATA_ATTACH_TABLE).set_value("customers").run()
    app.file_uploader(key=keys.DATA_ATTACH_UPLOAD).upload("people.csv", PEOPLE_CSV, "text/csv")
    app.run()
    app.button(key=keys.DATA_ATTACH_FILE_BUTTON).click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, texts(app.error)
    listed = ["CG-1", "SO-2", "ZZ-9"]
    customers = {line[2] for line in LINES}
    found = [c for c in listed if c in customers]
    unlisted_lines = [line for line in LINES if line[2] not in listed]  # DP-3's two lines
    summary = " ".join(md.value.replace("\\", "") for md in app.markdown)
    assert (
        f"{len(found)} of {len(listed)} customers found in the transactions, adding gender, "
        f"birth date; {len(listed) - len(found)} customer id not found in the transactions; "
        f"{len(unlisted_lines)} transaction lines of customers the table does not list."
    ) in summary

    app.switch_page("pages/customers.py").run()
    assert not app.exception, [e.value for e in app.exception]
    notes = " ".join(texts(app.info))
    assert "gender" not in notes and "birth_date" not in notes  # both sections draw now
    # The sidebar's gender filter offers the attached values, and narrows the view.
    assert sorted(app.multiselect(key="gender").options) == sorted(set(GENDER.values()))
    app.multiselect(key="gender").set_value(["F"]).run()
    app.switch_page("pages/overview.py").run()
    shown = metrics(app)
    women = [line for line in LINES if GENDER.get(line[2]) == "F"]
    assert shown["Customers"] == str(len({line[2] for line in women}))
    assert shown["Revenue"] == f"${sum(line[3] for line in women):,.2f}"


def test_a_sheet_that_is_not_a_customer_table_gets_the_librarys_message(
    app: AppTest, upload: Uploader
) -> None:
    _upload_workbook(app, upload)
    app.radio(key=keys.DATA_ATTACH_TABLE).set_value("customers").run()
    app.selectbox(key=keys.DATA_ATTACH_SHEET).set_value("People").run()
    app.button(key=keys.DATA_ATTACH_SHEET_BUTTON).click().run()
    assert not app.exception, [e.value for e in app.exception]
    (error,) = (text.replace("\\", "") for text in texts(app.error))
    assert "No column of the attached table looks like customer id" in error
    assert "Columns found: Person, Region." in error
    assert "Pass " not in error  # advice for code is not shown to the analyst
    assert session.DATASET_PARAM in app.query_params
    assert not app.session_state[keys.SETTINGS].attachments  # nothing was attached


def test_an_xls_workbook_whose_first_sheet_is_empty_lists_its_sheets(
    app: AppTest, upload: Uploader
) -> None:
    upload(app, "superstore.xls", superstore_xls(cover=True), XLS)
    assert not app.exception, [e.value for e in app.exception]
    assert app.selectbox(key=keys.DATA_SHEET).options == ["Cover", "Orders", "Returns", "People"]
    app.selectbox(key=keys.DATA_SHEET).set_value("Orders").run()
    assert not app.error, texts(app.error)
    assert any(f"3 customers, {len(ORDER_IDS)} orders" in s.value for s in app.success)


# -- the stored dataset keeps its attached tables --------------------------------------


def _attach_both(app: AppTest, upload: Uploader) -> str:
    _upload_workbook(app, upload)
    app.button(key=keys.DATA_ATTACH_SUGGESTED).click().run()
    app.radio(key=keys.DATA_ATTACH_TABLE).set_value("customers").run()
    app.file_uploader(key=keys.DATA_ATTACH_UPLOAD).upload("people.csv", PEOPLE_CSV, "text/csv")
    app.run()
    app.button(key=keys.DATA_ATTACH_FILE_BUTTON).click().run()
    assert not app.error, texts(app.error)
    token = app.query_params[session.DATASET_PARAM]
    assert isinstance(token, str)
    return token


def _stored_files(token: str) -> list[str]:
    folder = Path(os.environ["RFM_STORE_DIR"]) / "data"
    return sorted(path.name for path in folder.iterdir() if path.name.startswith(token))


class _Calls:
    """Counts calls of a library reader and runs the real one."""

    def __init__(self, reader: object) -> None:
        self.reader = reader
        self.calls = 0

    def __call__(self, *args: object, **kwargs: object) -> object:
        self.calls += 1
        return self.reader(*args, **kwargs)  # type: ignore[operator]


def test_a_reopened_link_joins_the_same_tables_from_the_stored_parquet(
    app: AppTest, upload: Uploader, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = _attach_both(app, upload)
    quality = metrics(app)  # rows read, kept, excluded, returns kept
    shown = _overview(app)
    files = _stored_files(token)
    assert f"{token}.bin" in files and f"{token}.parsed.parquet" in files
    assert any(name.endswith(".bin") and name != f"{token}.bin" for name in files)  # people.csv
    stored = pl.read_parquet(Path(os.environ["RFM_STORE_DIR"]) / "data" / files[-1])
    assert stored.height == len(LINES) + len(RETURN_LINES)
    assert dict(stored.select("customer_id", "gender").unique().drop_nulls().rows()) == GENDER

    # A server restart (empty caches), then a teammate opens the link: nothing is parsed.
    st.cache_resource.clear()
    st.cache_data.clear()
    parses = _Calls(rfm.read_transactions)
    monkeypatch.setattr(rfm, "read_transactions", parses)
    teammate = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    teammate.query_params[session.DATASET_PARAM] = token
    teammate.switch_page("pages/overview.py")
    teammate.run()
    assert not teammate.exception, [e.value for e in teammate.exception]
    assert metrics(teammate) == shown
    assert parses.calls == 0
    settings = teammate.session_state[keys.SETTINGS]
    assert [a.table for a in settings.attachments] == ["returns", "customers"]

    # The Data page shows the same file, quality report and join counts as before the
    # reload, and still reads nothing: the link usually opens there.
    reads = _Calls(rfm.read_table)
    monkeypatch.setattr(rfm, "read_table", reads)
    teammate.switch_page("pages/data.py").run()
    assert not teammate.exception, [e.value for e in teammate.exception]
    assert _attached_lines(teammate) == _attached_lines(app)
    assert metrics(teammate) == quality
    described = [md.value for md in teammate.markdown if "EXCEL" in md.value]
    assert described == [md.value for md in app.markdown if "EXCEL" in md.value]
    assert teammate.dataframe[-1].value.equals(app.dataframe[-1].value)  # the file as read
    assert (parses.calls, reads.calls) == (0, 0)


def test_forget_deletes_the_attached_files_too(app: AppTest, upload: Uploader) -> None:
    token = _attach_both(app, upload)
    assert len(_stored_files(token)) == 3  # the workbook, people.csv, the parsed table
    app.button(key=keys.DATA_FORGET).click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert _stored_files(token) == []
