"""Uploading files through st.file_uploader: KPIs, errors, date choice, isolation."""

from __future__ import annotations

import datetime as dt
import gzip
import io
from collections.abc import Callable

import openpyxl
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

import rfm
import rfm.datasets
from rfm_app import format as fmt
from rfm_app import keys
from tests.app.analytics_helpers import SMALL_CSV


def test_uploaded_csv_kpis_match_hand_computation(
    app: AppTest, upload: Callable[..., AppTest], read_metrics: Callable[..., dict[str, str]]
) -> None:
    upload(app, "orders.csv", SMALL_CSV)
    assert not app.exception
    assert not app.error
    assert read_metrics(app)["Rows kept"] == "6"
    app.switch_page("pages/overview.py").run()
    assert not app.exception
    assert read_metrics(app) == {
        "Customers": "3",
        "Orders": "5",
        "Revenue": "$70.00",
        "Quantity": "9",
        "Average order value": "$14.00",
        "Orders per customer": "1.67",
        "Active customers": "100.0%",
        "Measured as of": "2024-03-21",
    }


def test_uploaded_csv_kpis_match_the_library(
    app: AppTest,
    upload: Callable[..., AppTest],
    read_metrics: Callable[..., dict[str, str]],
    tmp_path: object,
) -> None:
    transactions = rfm.datasets.simulate(n_customers=400, random_state=7)
    path = tmp_path / "simulated.csv"  # type: ignore[operator]
    rfm.datasets.write_retail_csv(transactions, path)
    data = path.read_bytes()
    upload(app, "simulated.csv", data)
    app.switch_page("pages/overview.py").run()
    assert not app.exception

    expected = rfm.kpis(rfm.summarize(rfm.read_transactions(data).transactions))
    shown = read_metrics(app)
    assert shown["Customers"] == fmt.count(expected.customers)
    assert shown["Orders"] == fmt.count(expected.orders)
    assert shown["Revenue"] == fmt.money(expected.revenue)
    assert shown["Quantity"] == fmt.count(expected.quantity)
    assert shown["Average order value"] == fmt.money(expected.avg_order_value)
    assert shown["Active customers"] == fmt.percent(expected.share_active)


def test_segment_table_matches_the_library(app: AppTest, upload: Callable[..., AppTest]) -> None:
    upload(app, "orders.csv", SMALL_CSV)
    app.switch_page("pages/segments.py").run()
    assert not app.exception
    customers = rfm.segment(rfm.score(rfm.summarize(rfm.read_transactions(SMALL_CSV).transactions)))
    expected = rfm.segment_table(customers).filter(pl.col("customers") > 0)
    shown = app.dataframe[0].value  # the segment table comes first on the page
    assert shown["segment"].tolist() == expected["segment"].to_list()
    assert shown["customers"].tolist() == expected["customers"].to_list()


BAD_FILES = {
    "empty": b"",
    "header only": b"customer_id,order_date,amount\n",
    "no usable columns": b"a,b\n1,2\n3,4\n",
    "binary": bytes(range(256)) * 20,
    "gzip named csv": gzip.compress(SMALL_CSV),
    "no valid dates": b"customer_id,order_date,amount\nA,not a date,3\nB,never,4\n",
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_file_shows_an_error_and_raises_nothing(
    app: AppTest, upload: Callable[..., AppTest], name: str
) -> None:
    upload(app, "bad.csv", BAD_FILES[name])
    assert not app.exception, [e.value for e in app.exception]
    assert app.error, "expected st.error for a bad file"
    # The other pages say the same, without a traceback.
    for page in ("pages/overview.py", "pages/segments.py"):
        app.switch_page(page).run()
        assert not app.exception
        assert app.error


AMBIGUOUS = b"""customer_id,order_date,amount
A,01/02/2024,10
A,03/04/2024,20
B,05/06/2024,30
B,07/08/2024,40
"""


def test_ambiguous_dates_ask_for_a_format(
    app: AppTest, upload: Callable[..., AppTest], read_metrics: Callable[..., dict[str, str]]
) -> None:
    upload(app, "ambiguous.csv", AMBIGUOUS)
    assert not app.exception
    choice = app.radio(key=keys.DATA_DATE_FORMAT)
    assert choice.value is None, "the app must not pick a format by itself"
    asked = " ".join(w.value for w in app.warning).replace("\\", "")  # markdown escapes
    assert "reads both day-first and month-first" in asked
    assert "date_format=" not in asked, "advice for code, not for someone using the app"
    shown = [option for option in choice.options if "day first" in option]
    assert len(shown) == 1 and "31/12/2024" in shown[0]
    choice.set_value("%d/%m/%Y").run()
    assert not app.exception
    assert not app.error
    assert any("ambiguous" in caption.value for caption in app.caption)
    # Plain dates read with the chosen format: no list of unused time formats.
    assert not [w.value for w in app.warning if "formats" in w.value]
    app.switch_page("pages/overview.py").run()
    # Day-first: the last purchase is 7 August 2024, so as of 8 August.
    assert read_metrics(app)["Measured as of"] == "2024-08-08"
    # The choice can be revisited: month-first makes the last purchase 8 July.
    app.switch_page("pages/data.py").run()
    app.button(key=keys.DATA_CHANGE_DATE_FORMAT).click().run()
    app.radio(key=keys.DATA_DATE_FORMAT).set_value("%m/%d/%Y").run()
    app.switch_page("pages/overview.py").run()
    assert read_metrics(app)["Measured as of"] == "2024-07-09"


def test_uploads_with_the_same_name_are_told_apart(
    app: AppTest,
    new_session: Callable[[], AppTest],
    upload: Callable[..., AppTest],
    read_metrics: Callable[..., dict[str, str]],
) -> None:
    other = SMALL_CSV.replace(b"5,C,2024-03-20,1,15.00,15.00", b"5,D,2024-03-20,1,15.00,15.00")
    upload(app, "orders.csv", SMALL_CSV)
    second = upload(new_session(), "orders.csv", other)
    for at in (app, second):
        at.switch_page("pages/overview.py").run()
    assert read_metrics(app)["Customers"] == "3"
    assert read_metrics(second)["Customers"] == "4"
    # And one session replacing its file with another of the same name sees the new one.
    app.switch_page("pages/data.py").run()
    upload(app, "orders.csv", other)
    app.switch_page("pages/overview.py").run()
    assert read_metrics(app)["Customers"] == "4"


def test_upload_survives_page_changes(
    app: AppTest, upload: Callable[..., AppTest], read_metrics: Callable[..., dict[str, str]]
) -> None:
    upload(app, "orders.csv", SMALL_CSV)
    for page in ("pages/overview.py", "pages/data.py", "pages/segments.py", "pages/overview.py"):
        app.switch_page(page).run()
    assert read_metrics(app)["Customers"] == "3"


def test_column_mapping_can_be_corrected(
    app: AppTest, upload: Callable[..., AppTest], read_metrics: Callable[..., dict[str, str]]
) -> None:
    # Two amount-like columns: detection takes one, the analyst picks the other.
    data = b"""customer_id,order_date,gross,net
A,2024-01-05,100.00,10.00
B,2024-02-05,200.00,20.00
"""
    upload(app, "two_amounts.csv", data)
    app.selectbox(key=f"{keys.DATA_COLUMN_PREFIX}amount").set_value("net")
    app.button(key=keys.DATA_APPLY).click().run()
    assert not app.exception
    app.switch_page("pages/overview.py").run()
    assert read_metrics(app)["Revenue"] == "$30.00"
    app.switch_page("pages/data.py").run()
    app.selectbox(key=f"{keys.DATA_COLUMN_PREFIX}amount").set_value("gross")
    app.button(key=keys.DATA_APPLY).click().run()
    app.switch_page("pages/overview.py").run()
    assert read_metrics(app)["Revenue"] == "$300.00"


def test_html_in_cells_and_names_is_never_rendered(
    app: AppTest, upload: Callable[..., AppTest]
) -> None:
    data = (
        b'customer_id,order_date,amount,"<script>alert(1)</script>"\n'
        b"<b>A</b>,2024-01-05,10,<img src=x onerror=alert(2)>\n"
        b"B,2024-01-06,20,x\n"
    )
    upload(app, "<i>evil</i>.csv", data)
    assert not app.exception
    for page in ("pages/data.py", "pages/overview.py", "pages/segments.py"):
        app.switch_page(page).run()
        assert not app.exception
        assert not [md.value for md in app.markdown if md.allow_html]
        for text in [md.value for md in app.markdown] + [c.value for c in app.caption]:
            assert "<i>" not in text and "<script>" not in text


def test_a_new_file_refills_the_column_form(app: AppTest, upload: Callable[..., AppTest]) -> None:
    # The sample's detected columns must not linger in the form for a file without them.
    upload(app, "renamed.csv", b"client,day,amount\nA,2024-01-05,10\nB,2024-02-05,20\n")
    shown = {
        name: app.selectbox(key=f"{keys.DATA_COLUMN_PREFIX}{name}").value
        for name in ("customer_id", "order_date", "amount", "order_id", "quantity")
    }
    assert shown == {
        "customer_id": "client",
        "order_date": "day",
        "amount": "amount",
        "order_id": "— not used —",
        "quantity": "— not used —",
    }
    upload(app, "bad.csv", b"a,b\n1,2\n")
    assert app.selectbox(key=f"{keys.DATA_COLUMN_PREFIX}customer_id").value in {
        "— not used —",
        "a",
        "b",
    }
    assert app.error


def test_minimal_columns_degrade_with_messages(
    app: AppTest, upload: Callable[..., AppTest], read_metrics: Callable[..., dict[str, str]]
) -> None:
    data = b"customer_id,order_date,amount\nA,2024-01-05,10\nA,2024-02-05,20\nB,2024-02-06,5\n"
    upload(app, "minimal.csv", data)
    app.switch_page("pages/overview.py").run()
    assert not app.exception
    assert not app.error
    assert read_metrics(app)["Quantity"] == "–"
    infos = " ".join(info.value for info in app.info)
    assert "quantity" in infos and "gender" in infos
    app.switch_page("pages/segments.py").run()
    assert not app.exception


def test_parquet_and_excel_uploads(
    app: AppTest,
    upload: Callable[..., AppTest],
    read_metrics: Callable[..., dict[str, str]],
    tmp_path: object,
) -> None:
    frame = pl.read_csv(SMALL_CSV, schema_overrides={"order_id": pl.String})
    parquet = tmp_path / "orders.parquet"  # type: ignore[operator]
    frame.write_parquet(parquet)
    excel = tmp_path / "orders.xlsx"  # type: ignore[operator]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(frame.columns)
    for row in frame.iter_rows():
        sheet.append(list(row))
    workbook.save(excel)
    for path, mime in [
        (parquet, "application/vnd.apache.parquet"),
        (excel, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ]:
        app.switch_page("pages/data.py").run()
        upload(app, path.name, path.read_bytes(), mime)
        assert not app.exception
        assert not app.error, [e.value for e in app.error]
        app.switch_page("pages/overview.py").run()
        shown = read_metrics(app)
        assert (shown["Customers"], shown["Orders"], shown["Revenue"]) == ("3", "5", "$70.00")


def test_no_empty_outcome_table_when_every_row_is_kept(
    app: AppTest, upload: Callable[..., AppTest]
) -> None:
    def outcome_tables(at: AppTest) -> list[object]:
        return [df for df in at.dataframe if "reason" in df.value.columns]

    upload(app, "orders.csv", b"customer,date,amount\nc1,2024-01-02,10\nc2,2024-01-03,5\n")
    assert not app.exception
    assert [s.value for s in app.success if "Every row was kept" in s.value]
    assert outcome_tables(app) == []
    upload(app, "orders.csv", b"customer,date,amount\nc1,2024-01-02,10\n,2024-01-03,5\n")
    assert not app.exception
    assert [df.value.to_dict("records") for df in outcome_tables(app)] == [
        [{"reason": "missing customer id", "rows": 1}]
    ]


def test_the_sheet_holding_the_orders_can_be_chosen(
    app: AppTest, upload: Callable[..., AppTest], read_metrics: Callable[..., dict[str, str]]
) -> None:
    # A workbook whose first sheet is a cover page: the orders are on the second.
    frame = pl.read_csv(SMALL_CSV, schema_overrides={"order_id": pl.String})
    workbook = openpyxl.Workbook()
    cover = workbook.active
    cover.title = "Summary"
    cover.append(["Report", "Q1 orders"])
    orders = workbook.create_sheet("Orders")
    orders.append(frame.columns)
    for row in frame.iter_rows():
        orders.append(list(row))
    data = io.BytesIO()
    workbook.save(data)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    upload(app, "report.xlsx", data.getvalue(), xlsx)
    assert not app.exception
    assert app.error, "the cover sheet holds no transactions"
    picker = app.selectbox(key=keys.DATA_SHEET)
    assert picker.options == ["Summary", "Orders"]
    assert "sheet=" not in " ".join(e.value for e in [*app.warning, *app.error])
    picker.set_value("Orders").run()
    assert not app.exception
    assert not app.error, [e.value for e in app.error]
    assert app.selectbox(key=f"{keys.DATA_COLUMN_PREFIX}customer_id").value == "customer_id"
    app.switch_page("pages/overview.py").run()
    shown = read_metrics(app)
    assert (shown["Customers"], shown["Orders"], shown["Revenue"]) == ("3", "5", "$70.00")


def test_rows_after_the_as_of_date_are_said_to_be_left_out(
    app: AppTest, upload: Callable[..., AppTest]
) -> None:
    upload(app, "orders.csv", SMALL_CSV)
    app.date_input(key=keys.DATA_AS_OF).set_value(dt.date(2024, 3, 10))
    app.button(key=keys.DATA_APPLY).click().run()
    assert not app.exception
    # SMALL_CSV: customer C's two orders (15 and 20 March) come after 10 March.
    assert [i.value for i in app.info if "as-of date" in i.value] == [
        "2 rows dated after the as-of date 2024-03-10 are not counted anywhere (recency "
        "is measured at that date)."
    ]
    assert "2 customers, 3 orders" in " ".join(s.value for s in app.success)


def test_currency_written_in_the_file_becomes_the_default(
    app: AppTest, upload: Callable[..., AppTest], read_metrics: Callable[..., dict[str, str]]
) -> None:
    euro = (
        "Kunde;Datum;Betrag\na;2024-01-02;1.234,50 €\nb;2024-01-03;12,00 €\na;2024-02-01;3,50 €\n"
    ).encode()
    upload(app, "umsatz.csv", euro)
    assert not app.exception
    assert app.selectbox(key=keys.DATA_CURRENCY).value == "€"
    app.switch_page("pages/overview.py").run()
    assert read_metrics(app)["Revenue"] == "€1,250.00"
    # The analyst's own choice stands on later runs of the same file.
    app.switch_page("pages/data.py").run()
    app.selectbox(key=keys.DATA_CURRENCY).select("$")
    app.button(key=keys.DATA_APPLY).click().run()
    app.switch_page("pages/overview.py").run()
    assert read_metrics(app)["Revenue"] == "$1,250.00"


MIXED = b"""customer_id,order_date,amount
a,13/01/2024,10.00
a,20/02/2024,5.00
b,01/25/2024,7.00
c,03/03/2024,4.00
"""


def test_mixed_date_formats_let_the_analyst_choose(
    app: AppTest, upload: Callable[..., AppTest]
) -> None:
    # 13/01 and 20/02 only read day-first, 01/25 only month-first: the file mixes both.
    upload(app, "mixed.csv", MIXED)
    assert not app.exception
    asked = " ".join(w.value for w in app.warning).replace("\\", "")
    assert "mixes day-first and month-first" in asked
    assert "set aside and counted" in asked
    assert "date_format=" not in asked, "advice for code, not for someone using the app"
    app.radio(key=keys.DATA_DATE_FORMAT).set_value("%d/%m/%Y").run()
    assert not app.exception
    assert not app.error
    # Three rows read day-first (customers a, a, c); b's 01/25/2024 does not, and is
    # counted, not lost.
    assert "2 customers, 3 orders" in " ".join(s.value for s in app.success)
    outcomes = [frame.value for frame in app.dataframe if "reason" in frame.value.columns]
    assert outcomes, "the quality report lists where the rows went"
    reasons = dict(zip(outcomes[0]["reason"], outcomes[0]["rows"], strict=True))
    assert any("chosen format" in reason and rows == 1 for reason, rows in reasons.items())


def test_a_missing_column_asks_to_choose_it(app: AppTest, upload: Callable[..., AppTest]) -> None:
    upload(app, "orders.csv", b"who,when,amt\nann,2024-01-02,3\nbob,2024-01-05,4\n")
    assert not app.exception
    said = " ".join(e.value for e in app.error).replace("\\", "")
    assert "Choose the customer id column below" in said
    assert "columns=" not in said, "advice for code, not for someone using the app"


def test_customer_accounts_show_no_none_for_counts_without_a_value(app: AppTest) -> None:
    # The accounts table (scored / returns only / after the as-of date) gives a net value only
    # for the returns-only row; the others showed the word "None" to the analyst.
    app.date_input(key=keys.DATA_AS_OF).set_value(dt.date(2021, 12, 31))
    app.button(key=keys.DATA_APPLY).click().run()
    assert not app.exception, [e.value for e in app.exception]
    tables = [t.value for t in app.dataframe if "Net value" in t.value.columns]
    assert tables, "the customer accounts table is drawn when customers are not all scored"
    net_value = tables[0]["Net value"]
    assert not net_value.isna().any(), net_value.tolist()
