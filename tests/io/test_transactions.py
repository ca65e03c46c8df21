"""read_transactions: sources, detection, mapping, conversion, returns, exclusions, errors."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import rfm
from rfm.errors import AmbiguousDatesError, DataError

UCI_CSV = b"""InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850,United Kingdom
536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom
536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom
C536379,D,Discount,-1,12/1/2010 9:41,27.50,14527,United Kingdom
536414,22139,,56,12/1/2010 11:52,0,,United Kingdom
536520,21123,SET/10 IVORY POLKADOT PARTY CANDLES,1,12/13/2010 12:43,1.25,14729,Norway
"""


def _frame(**columns: list) -> pl.DataFrame:
    return pl.DataFrame(columns, schema={k: pl.String for k in columns})


# ----------------------------------------------------------------- a realistic export


@pytest.fixture
def uci() -> rfm.ReadResult:
    return rfm.read_transactions(UCI_CSV)


def test_uci_export_columns_are_detected(uci: rfm.ReadResult) -> None:
    assert dict(uci.report.columns) == {
        "customer_id": "CustomerID",
        "order_date": "InvoiceDate",
        "order_id": "InvoiceNo",
        "quantity": "Quantity",
        "unit_price": "UnitPrice",
        "product": "Description",
        "country": "Country",
    }


def test_uci_export_dates_are_month_first(uci: rfm.ReadResult) -> None:
    # 12/13/2010 only reads month-first, so 12/1/2010 is 1 December.
    assert uci.report.date_format == "%m/%d/%Y %H:%M"
    assert not uci.report.date_ambiguous
    assert uci.transactions["order_date"].to_list()[0] == dt.datetime(2010, 12, 1, 8, 26)


def test_uci_export_amount_is_quantity_times_price(uci: rfm.ReadResult) -> None:
    assert uci.transactions["amount"].to_list() == pytest.approx([15.3, 20.34, -27.5, 1.25])
    assert any("amount derived as quantity x unit_price" in w for w in uci.report.warnings)


def test_uci_export_every_row_is_accounted_for(uci: rfm.ReadResult) -> None:
    report = uci.report
    assert report.rows_read == 6
    assert report.rows_kept == 4
    assert dict(report.excluded) == {"missing customer id": 1, "exact duplicate": 1}
    assert report.reconciles()


def test_uci_cancellation_is_a_kept_return(uci: rfm.ReadResult) -> None:
    tx = uci.transactions
    assert tx.filter(pl.col("is_return"))["order_id"].to_list() == ["C536379"]
    assert uci.report.returns == 1


def test_transactions_schema(uci: rfm.ReadResult) -> None:
    schema = uci.transactions.schema
    assert list(schema)[:4] == ["customer_id", "order_date", "amount", "is_return"]
    assert schema["customer_id"] == pl.String
    assert schema["order_date"] == pl.Datetime("us")
    assert schema["amount"] == pl.Float64
    assert schema["is_return"] == pl.Boolean
    assert schema["order_id"] == pl.String
    assert schema["quantity"] == pl.Float64
    assert schema["product"] == pl.String


# ----------------------------------------------------------------- sources


def _simple() -> pl.DataFrame:
    return _frame(customer=["a", "b"], date=["2020-01-02", "2020-01-03"], amount=["1.5", "2"])


def test_polars_lazy_and_pandas_sources_agree() -> None:
    expected = rfm.read_transactions(_simple()).transactions
    assert_frame_equal(rfm.read_transactions(_simple().lazy()).transactions, expected)
    assert_frame_equal(rfm.read_transactions(_simple().to_pandas()).transactions, expected)


def test_parquet_bytes_source() -> None:
    buffer = io.BytesIO()
    _simple().write_parquet(buffer)
    result = rfm.read_transactions(buffer.getvalue())
    assert_frame_equal(result.transactions, rfm.read_transactions(_simple()).transactions)


def test_csv_path_source(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "orders.csv"
    _simple().write_csv(path)
    result = rfm.read_transactions(path)
    assert result.transactions["amount"].to_list() == [1.5, 2.0]
    assert result.report.encoding is not None


def test_typed_polars_frame() -> None:
    frame = pl.DataFrame(
        {
            "customer_id": [1, 2],
            "order_date": [dt.date(2020, 1, 2), dt.date(2020, 1, 3)],
            "amount": [1.5, 2.0],
        }
    )
    tx = rfm.read_transactions(frame).transactions
    assert tx["customer_id"].to_list() == ["1", "2"]
    assert tx["order_date"].to_list() == [dt.datetime(2020, 1, 2), dt.datetime(2020, 1, 3)]
    assert tx["amount"].to_list() == [1.5, 2.0]


def test_pandas_float_ids_as_in_uci_retail() -> None:
    frame = pd.DataFrame(
        {
            "CustomerID": [12346.0, float("nan"), 12347.0],
            "InvoiceDate": pd.to_datetime(
                ["2011-01-18 10:01", "2011-01-18 10:17", "2011-01-19 09:00"]
            ),
            "Quantity": [74215, 1, 2],
            "UnitPrice": [1.04, 2.0, 3.0],
        }
    )
    result = rfm.read_transactions(frame)
    assert result.transactions["customer_id"].to_list() == ["12346", "12347"]
    assert result.report.excluded == {"missing customer id": 1}
    assert any("'12346'" in w for w in result.report.warnings)


def test_read_table_options_with_a_frame_raise() -> None:
    with pytest.raises(TypeError, match="only apply to files"):
        rfm.read_transactions(_simple(), encoding="utf-8")


def test_input_frames_are_not_modified() -> None:
    polars_in = _frame(
        CustomerID=[" 1 ", "NULL"], Date=["2020-01-02", "2020-01-03"], Sales=["(5.00)", "2"]
    )
    before = polars_in.clone()
    pandas_in = pd.DataFrame(
        {"CustomerID": [1, "x"], "Date": ["2020-01-02", "2020-01-03"], "Sales": [1.5, "2,5"]}
    )
    pandas_before = pandas_in.copy(deep=True)
    rfm.read_transactions(polars_in)
    rfm.read_transactions(pandas_in)
    assert_frame_equal(polars_in, before)
    pd.testing.assert_frame_equal(pandas_in, pandas_before)


# ----------------------------------------------------------------- detection and mapping


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("CustomerID", "customer_id"),
        ("Customer ID", "customer_id"),
        ("cust_id", "customer_id"),
        ("client", "customer_id"),
        ("customer", "customer_id"),
        ("CUSTOMER-NO.", "customer_id"),
        ("InvoiceNo", "order_id"),
        ("Invoice", "order_id"),
        ("order id", "order_id"),
        ("InvoiceDate", "order_date"),
        ("date", "order_date"),
        ("Order Date", "order_date"),
        ("UnitPrice", "unit_price"),
        ("Price", "unit_price"),
        ("Quantity", "quantity"),
        ("Qty", "quantity"),
        ("Sales", "amount"),
        ("Revenue", "amount"),
        ("Total", "amount"),
        ("Amount", "amount"),
        ("Purchase Amount (USD)", "amount"),
        ("Country", "country"),
        ("StockCode", "product"),
        ("Description", "product"),
        ("billing_customer_id", "customer_id"),
        ("Email", "customer_id"),
        ("Created at", "order_date"),
        ("Order Total", "amount"),
        ("dollar_value", "amount"),
        ("number_of_cds", "quantity"),
        ("Kategorie", "category"),
        ("Warengruppe", "category"),
        ("Ort", "city"),
        ("Geschlecht", "gender"),
        ("Categoría", "category"),
    ],
)
def test_header_synonyms(header: str, canonical: str) -> None:
    assert rfm.detect_columns([header]) == {canonical: header}


def test_a_german_export_is_mapped_without_help() -> None:
    header = ["Kundennummer", "Rechnungsnummer", "Rechnungsdatum", "Betrag", "Menge"]
    header += ["Kategorie", "Land", "Ort", "Geschlecht"]
    assert rfm.detect_columns(header) == {
        "customer_id": "Kundennummer",
        "order_id": "Rechnungsnummer",
        "order_date": "Rechnungsdatum",
        "amount": "Betrag",
        "quantity": "Menge",
        "category": "Kategorie",
        "country": "Land",
        "city": "Ort",
        "gender": "Geschlecht",
    }


def test_customer_type_is_not_a_customer_id() -> None:
    assert "customer_id" not in rfm.detect_columns(["Customer type", "Invoice ID"])


def test_description_is_preferred_over_stock_code_for_product() -> None:
    assert rfm.detect_columns(["StockCode", "Description"]) == {"product": "Description"}


def test_columns_override_detection() -> None:
    frame = _frame(
        Kunde=["k1", "k2"], CustomerID=["x", "y"], Datum=["2020-01-02"] * 2, Umsatz=["1,50", "2,00"]
    )
    result = rfm.read_transactions(frame, columns={"customer_id": "Kunde"})
    assert result.transactions["customer_id"].to_list() == ["k1", "k2"]
    assert result.report.columns["customer_id"] == "Kunde"
    assert result.transactions["amount"].to_list() == [1.5, 2.0]


def test_mapping_to_a_missing_column_lists_the_columns() -> None:
    with pytest.raises(
        DataError,
        match=r"columns=\{'customer_id': 'Kunde'\} names a column that "
        r"does not exist\. Columns found: customer, date, amount\.",
    ):
        rfm.read_transactions(_simple(), columns={"customer_id": "Kunde"})


def test_mapping_with_an_unknown_field() -> None:
    with pytest.raises(DataError, match=r"unknown field 'client'\. Known fields: customer_id"):
        rfm.read_transactions(_simple(), columns={"client": "customer"})


def test_no_customer_column() -> None:
    frame = _frame(a=["2020-01-02", "2020-01-03"], b=["1.50", "2.50"], c=["x", "y"])
    with pytest.raises(
        DataError,
        match=r"^No column looks like a customer id\. Columns found: "
        r"a, b, c\. Pass columns=\{'customer_id': \.\.\.\}\.$",
    ):
        rfm.read_transactions(frame)


def test_no_date_column() -> None:
    frame = _frame(customer=["1", "1"], b=["1.50", "2.50"])
    with pytest.raises(
        DataError,
        match=r"No column looks like an order date\. Columns found: "
        r"customer, b\. Pass columns=\{'order_date': \.\.\.\}",
    ):
        rfm.read_transactions(frame)


def test_no_amount_column() -> None:
    frame = _frame(customer=["1", "1"], date=["2020-01-02", "2020-01-03"], note=["x", "y"])
    with pytest.raises(
        DataError,
        match=r"No column looks like an amount \(or a quantity and a "
        r"unit price\)\. Columns found: customer, date, note\. Pass columns=",
    ):
        rfm.read_transactions(frame)


def test_quantity_without_price_is_not_an_amount() -> None:
    frame = _frame(customer=["1"], date=["2020-01-02"], qty=["3"])
    with pytest.raises(
        DataError,
        match=r"No column looks like an amount or a unit price \(found "
        r"quantity 'qty'\)",
    ):
        rfm.read_transactions(frame)


def test_price_alone_is_the_amount_with_a_warning() -> None:
    frame = _frame(customer=["1"], date=["2020-01-02"], price=["3.5"])
    result = rfm.read_transactions(frame)
    assert result.transactions["amount"].to_list() == [3.5]
    assert any("price column 'price'" in w for w in result.report.warnings)


def test_amount_column_wins_over_quantity_times_price() -> None:
    frame = _frame(customer=["1"], date=["2020-01-02"], qty=["3"], price=["2"], total=["5.50"])
    assert rfm.read_transactions(frame).transactions["amount"].to_list() == [5.5]


def test_headerless_cdnow_shape_is_detected_by_content() -> None:
    # CDNOW master: customer id, yyyymmdd date, quantity, dollar value; no header.
    frame = _frame(
        column_1=["00001", "00002", "00002", "00003"],
        column_2=["19970101", "19970112", "19970112", "19970102"],
        column_3=["1", "1", "5", "2"],
        column_4=["11.77", "12.00", "77.00", "20.76"],
    )
    result = rfm.read_transactions(frame)
    assert dict(result.report.columns) == {
        "customer_id": "column_1",
        "order_date": "column_2",
        "amount": "column_4",
    }
    assert result.report.date_format == "%Y%m%d"
    assert result.transactions["customer_id"].to_list()[0] == "00001"
    assert any("recognised from the content" in w for w in result.report.warnings)


# ----------------------------------------------------------------- BAD_INPUTS 11, 16, 17


def test_currency_and_accounting_amounts() -> None:
    frame = _frame(
        customer=["1", "2", "3", "4"],
        date=["2020-01-02"] * 4,
        amount=["$1,234.50", "(12.00)", "-5.25", "12..5"],
    )
    result = rfm.read_transactions(frame)
    assert result.transactions["amount"].to_list() == [1234.5, -12.0, -5.25]
    assert result.report.excluded == {"invalid amount": 1}
    assert result.transactions["is_return"].to_list() == [False, True, True]


def test_decimal_comma_amounts() -> None:
    frame = _frame(customer=["1", "2"], date=["2020-01-02"] * 2, Betrag=["€1.234,50", "3,10"])
    assert rfm.read_transactions(frame).transactions["amount"].to_list() == [1234.5, 3.1]


def test_missing_markers_everywhere() -> None:
    frame = _frame(
        customer=["NULL", "N/A", "-", "", "  ", "ok", "ok2", "ok3"],
        date=["2020-01-02"] * 5 + ["NA", "2020-01-02", "2020-01-02"],
        amount=["1"] * 6 + ["n/a", "1"],
    )
    result = rfm.read_transactions(frame)
    assert result.report.excluded == {
        "missing customer id": 5,
        "missing date": 1,
        "missing amount": 1,
    }
    assert result.transactions["customer_id"].to_list() == ["ok3"]


def test_unparseable_dates_are_excluded_and_counted() -> None:
    frame = _frame(
        customer=["1", "2", "3"],
        date=["2020-01-02", "2020-02-30", "2020-01-05"],
        amount=["1", "2", "3"],
    )
    result = rfm.read_transactions(frame)
    assert result.report.excluded == {"unparseable date": 1}
    assert result.report.rows_kept == 2


def test_pandas_object_columns_with_changing_types() -> None:
    # A column whose type changes after the first rows: nothing crashes or is emptied.
    frame = pd.DataFrame(
        {
            "CustomerID": [12346, 12347, "A-99", "00123"],
            "Date": ["2020-01-02"] * 4,
            "Amount": [10, 12.5, "3.50", "oops"],
        }
    )
    result = rfm.read_transactions(frame)
    assert result.transactions["customer_id"].to_list() == ["12346", "12347", "A-99"]
    assert result.transactions["amount"].to_list() == [10.0, 12.5, 3.5]
    assert result.report.excluded == {"invalid amount": 1}


def test_lossy_ids_are_flagged() -> None:
    frame = _frame(customer=["00123", "1.23457E+11"], date=["2020-01-02"] * 2, amount=["1", "2"])
    result = rfm.read_transactions(frame)
    assert result.transactions["customer_id"].to_list() == ["00123", "1.23457E+11"]
    assert any("lossy spreadsheet export" in w for w in result.report.warnings)


# ----------------------------------------------------------------- BAD_INPUTS 12, 13


def test_mixed_date_conventions_raise() -> None:
    frame = _frame(customer=["1", "2"], date=["13/01/2020", "01/13/2020"], amount=["1", "2"])
    with pytest.raises(DataError, match="mixes day-first and month-first"):
        rfm.read_transactions(frame)


def test_ambiguous_dates_raise_then_read_with_the_chosen_format() -> None:
    frame = _frame(customer=["1", "2"], InvoiceDate=["01/02/2020", "03/04/2020"], amount=["1", "2"])
    with pytest.raises(AmbiguousDatesError, match="date_format='%d/%m/%Y'") as err:
        rfm.read_transactions(frame)
    assert err.value.column == "InvoiceDate"
    result = rfm.read_transactions(frame, date_format=err.value.candidates[1])
    assert result.transactions["order_date"].to_list() == [
        dt.datetime(2020, 1, 2),
        dt.datetime(2020, 3, 4),
    ]
    assert result.report.date_ambiguous
    assert result.report.date_format == "%m/%d/%Y"


def test_a_chosen_date_only_format_reports_only_the_formats_used() -> None:
    # Choosing day-first for plain dates must not report time variants nobody wrote.
    frame = _frame(customer=["1", "2"], InvoiceDate=["01/02/2020", "03/04/2020"], amount=["1", "2"])
    result = rfm.read_transactions(frame, date_format="%d/%m/%Y")
    assert not [w for w in result.report.warnings if "formats" in w]
    mixed = _frame(
        customer=["1", "2"], InvoiceDate=["01/02/2020 08:26", "03/04/2020"], amount=["1", "2"]
    )
    result = rfm.read_transactions(mixed, date_format="%d/%m/%Y")
    assert result.transactions["order_date"].to_list() == [
        dt.datetime(2020, 2, 1, 8, 26),
        dt.datetime(2020, 4, 3),
    ]
    assert [w for w in result.report.warnings if "formats" in w] == [
        "Order dates read with 2 formats: %d/%m/%Y, %d/%m/%Y %H:%M"
    ]
    assert "ambiguous" in str(result.report)


# ----------------------------------------------------------------- returns


def test_return_flag_makes_positive_amounts_negative() -> None:
    frame = _frame(
        customer=["1", "1", "2"],
        date=["2020-01-02"] * 3,
        amount=["10", "4", "3"],
        quantity=["2", "1", "1"],
        Returned=["no", "yes", "Y"],
    )
    result = rfm.read_transactions(frame)
    tx = result.transactions
    assert tx["is_return"].to_list() == [False, True, True]
    assert tx["amount"].to_list() == [10.0, -4.0, -3.0]
    assert tx["quantity"].to_list() == [2.0, -1.0, -1.0]
    assert result.report.returns == 2


def test_negative_quantity_is_a_return() -> None:
    frame = _frame(customer=["1"], date=["2020-01-02"], quantity=["-2"], amount=["5"])
    tx = rfm.read_transactions(frame).transactions
    assert tx["is_return"].to_list() == [True]
    assert tx["amount"].to_list() == [-5.0]


def test_c_prefix_needs_numeric_order_ids() -> None:
    # Order ids that all start with C are a naming scheme, not cancellations.
    frame = _frame(
        customer=["1", "2"], date=["2020-01-02"] * 2, order_id=["C100", "C101"], amount=["1", "2"]
    )
    assert not rfm.read_transactions(frame).transactions["is_return"].any()


# ----------------------------------------------------------------- duplicates, nothing left


def test_exact_duplicates_need_every_column_equal() -> None:
    frame = _frame(
        customer=["1", "1", "1"], date=["2020-01-02"] * 3, amount=["5"] * 3, line=["1", "1", "2"]
    )
    result = rfm.read_transactions(frame, drop_duplicates=True)
    assert result.report.excluded == {"exact duplicate": 1}
    assert result.report.rows_kept == 2


def test_duplicates_dropped_by_default_only_when_rows_can_be_told_apart() -> None:
    bare_dates = _frame(customer=["1", "1", "2"], date=["2020-01-02"] * 3, amount=["5", "5", "5"])
    kept = rfm.read_transactions(bare_dates)
    assert kept.report.rows_kept == 3
    assert dict(kept.report.excluded) == {}
    assert any(
        "1 rows repeat an identical earlier row and were kept" in w for w in kept.report.warnings
    )
    with_time = _frame(
        customer=["1", "1", "2"], date=["2020-01-02 10:15"] * 3, amount=["5", "5", "5"]
    )
    assert dict(rfm.read_transactions(with_time).report.excluded) == {"exact duplicate": 1}
    assert rfm.read_transactions(with_time, drop_duplicates=False).report.rows_kept == 3


@pytest.mark.parametrize("n_repeats", [0, 1, 7, 1500])
def test_excluded_rows_leave_the_others_in_order(n_repeats: int) -> None:
    # Rows are cut out by slicing when few and by a filter when many (over 1000
    # runs); either way the kept rows are exactly the distinct ones, in file order.
    n = 3000
    ids = [f"C{i % 97}" for i in range(n)]
    orders = [str(100_000 + i) for i in range(n)]
    amounts = [f"{i % 50}.25" for i in range(n)]
    repeat_after = set(range(0, n, 2)[:n_repeats])
    rows = []
    for i in range(n):
        rows.append((orders[i], ids[i], "2020-01-02 10:15", amounts[i]))
        if i in repeat_after:
            rows.append(rows[-1])
    rows.append(("100003", "", "2020-01-03", "1"))  # missing customer id, last row
    rows.insert(0, ("100004", "C4", "not a date", "1"))  # unparseable date, first row
    frame = pl.DataFrame(rows, schema=["order", "customer", "date", "amount"], orient="row")
    result = rfm.read_transactions(frame)
    expected = {"unparseable date": 1, "missing customer id": 1}
    if n_repeats:
        expected["exact duplicate"] = n_repeats
    assert dict(result.report.excluded) == expected
    kept = result.transactions
    assert kept["order_id"].to_list() == orders
    assert kept["customer_id"].to_list() == ids
    assert kept["amount"].to_list() == [i % 50 + 0.25 for i in range(n)]


def test_nothing_left_says_what_was_excluded() -> None:
    frame = _frame(customer=["", "NULL"], date=["2020-01-02", "bad"], amount=["1", "2"])
    with pytest.raises(
        DataError,
        match=r"No transactions left after cleaning: 2 rows read, all "
        r"excluded \(missing customer id: 2\)\. Columns used: customer_id <- "
        r"'customer'",
    ):
        rfm.read_transactions(frame)


def test_empty_frame_is_nothing_left() -> None:
    with pytest.raises(DataError, match="the input has no rows"):
        rfm.read_transactions(_simple().clear())


# ----------------------------------------------------------------- optional columns


def test_optional_columns_are_typed() -> None:
    frame = _frame(
        customer=["1", "2"],
        date=["2020-01-02", "2020-01-13"],
        amount=["1", "2"],
        Gender=["F", "N/A"],
        Age=["34", "x"],
        SignupDate=["15/01/2019", "02/01/2019"],
        Country=[" France ", "Spain"],
    )
    result = rfm.read_transactions(frame)
    tx = result.transactions
    assert tx["gender"].to_list() == ["F", None]
    assert tx["age"].to_list() == [34, None]
    assert tx.schema["age"] == pl.Int64
    assert tx["signup_date"].to_list() == [dt.date(2019, 1, 15), dt.date(2019, 1, 2)]
    assert tx["country"].to_list() == ["France", "Spain"]
    assert any("ages" in w for w in result.report.warnings)


def test_ambiguous_signup_dates_follow_the_order_dates() -> None:
    frame = _frame(
        customer=["1", "2"],
        date=["13/01/2020", "01/02/2020"],
        amount=["1", "2"],
        signup_date=["01/02/2019", "03/04/2019"],
    )
    tx = rfm.read_transactions(frame).transactions
    assert tx["signup_date"].to_list() == [dt.date(2019, 2, 1), dt.date(2019, 4, 3)]


def test_report_str_is_readable(uci: rfm.ReadResult) -> None:
    text = str(uci.report)
    assert "Rows read: 6" in text
    assert "exact duplicate: 1" in text
    assert "customer_id <- 'CustomerID'" in text


# ----------------------------------------------------------------- files through read_table


def test_european_csv_end_to_end() -> None:
    # BAD_INPUTS 5 and 11: cp1252, ';' delimiter, decimal commas with thousands dots, €.
    data = "Kunde;Datum;Betrag\r\n1001;13.01.2021;€1.234,50\r\n1002;02.02.2021;-12,00\r\n"
    result = rfm.read_transactions(data.encode("cp1252"))
    tx = result.transactions
    assert tx["amount"].to_list() == [1234.5, -12.0]
    assert tx["order_date"].to_list() == [dt.datetime(2021, 1, 13), dt.datetime(2021, 2, 2)]
    assert result.report.encoding == "cp1252"
    assert result.report.delimiter == ";"
    assert result.report.date_format == "%d.%m.%Y"


def test_excel_end_to_end() -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["CustomerID", "InvoiceDate", "Amount"])
    sheet.append(["00123", dt.datetime(2010, 12, 1, 8, 26), 12.5])
    sheet.append([12348, dt.date(2010, 12, 3), 1234.5])
    buffer = io.BytesIO()
    book.save(buffer)
    tx = rfm.read_transactions(buffer.getvalue()).transactions
    assert tx["customer_id"].to_list() == ["00123", "12348"]
    assert tx["order_date"].to_list() == [dt.datetime(2010, 12, 1, 8, 26), dt.datetime(2010, 12, 3)]


def test_raw_table_source() -> None:
    table = rfm.read_table(UCI_CSV)
    assert_frame_equal(
        rfm.read_transactions(table).transactions, rfm.read_transactions(UCI_CSV).transactions
    )


def test_pandas_duplicate_column_names_are_made_unique() -> None:
    frame = pd.DataFrame(
        [["1", "2020-01-02", "5", "x"]], columns=["CustomerID", "Date", "Amount", "Amount"]
    )
    result = rfm.read_transactions(frame)
    assert result.report.columns["amount"] == "Amount"
    assert result.transactions["amount"].to_list() == [5.0]
    assert result.report.warnings


def test_time_zone_aware_dates_keep_local_times() -> None:
    frame = pd.DataFrame(
        {
            "CustomerID": ["1", "2"],
            "InvoiceDate": pd.to_datetime(["2020-01-02 23:30", "2020-01-03 08:00"]).tz_localize(
                "Europe/Paris"
            ),
            "Amount": [1.0, 2.0],
        }
    )
    result = rfm.read_transactions(frame)
    assert result.transactions["order_date"].to_list() == [
        dt.datetime(2020, 1, 2, 23, 30),
        dt.datetime(2020, 1, 3, 8),
    ]
    assert any("Europe/Paris" in w for w in result.report.warnings)


def test_excel_serial_numbers_as_typed_floats() -> None:
    frame = pl.DataFrame(
        {"CustomerID": ["1", "2"], "InvoiceDate": [40513.0, 40514.25], "Amount": [1.0, 2.0]}
    )
    tx = rfm.read_transactions(frame).transactions
    # 40513 is 2010-12-01 in Excel's 1900 date system.
    assert tx["order_date"].to_list() == [dt.datetime(2010, 12, 1), dt.datetime(2010, 12, 2, 6)]


def test_headerless_csv_keeps_its_first_row() -> None:
    data = b"1,2020-01-02,5.00\n2,2020-01-03,6.50\n2,2020-01-04,1.25\n"
    result = rfm.read_transactions(data)
    assert result.report.rows_read == 3
    assert result.transactions["amount"].to_list() == [5.0, 6.5, 1.25]
    assert dict(result.report.columns) == {
        "customer_id": "column_1",
        "order_date": "column_2",
        "amount": "column_3",
    }
    assert any("looks like data, not a header" in w for w in result.report.warnings)


@pytest.mark.parametrize("header", ["id,date,total", "customer,2020,amount", "a_2,1,2"])
def test_real_headers_are_not_taken_for_data(header: str) -> None:
    data = f"{header}\n1,2020-01-02,5.00\n1,2020-01-03,6.50\n".encode()
    result = rfm.read_transactions(
        data,
        columns={
            "customer_id": header.split(",")[0],
            "order_date": header.split(",")[1],
            "amount": header.split(",")[2],
        },
    )
    assert result.report.rows_read == 2


def test_detect_columns_by_content_only_when_headers_say_nothing() -> None:
    sample = _frame(
        a=["x1", "x2", "x1"],
        b=["2020-01-02", "2020-01-05", "2020-02-01"],
        c=["$5.00", "$6.50", "$1.25"],
        Country=["FR", "FR", "DE"],
    )
    assert rfm.detect_columns(sample.columns, sample) == {
        "customer_id": "a",
        "order_date": "b",
        "amount": "c",
        "country": "Country",
    }
    assert rfm.detect_columns(sample.columns) == {"country": "Country"}


def test_typed_boolean_return_flag() -> None:
    frame = pl.DataFrame(
        {
            "customer_id": ["1", "2"],
            "order_date": ["2020-01-02"] * 2,
            "amount": [5.0, 3.0],
            "is_return": [False, True],
        }
    )
    tx = rfm.read_transactions(frame).transactions
    assert tx["is_return"].to_list() == [False, True]
    assert tx["amount"].to_list() == [5.0, -3.0]


@pytest.mark.parametrize(
    ("amounts", "expected"),
    [
        (["1.234,50 €", "12,00 €", "-3,00 €"], "€"),  # BAD_INPUTS 11: euro amounts
        (["$1,234.50", "(12.00)", "$3"], "$"),  # a value without the symbol is fine
        (["10.00 GBP", "5.00 gbp", "1.00"], "£"),  # codes with a common symbol
        (["10.00 CHF", "5.00", "1 chf"], "CHF"),
        (["$5", "£5", "€5"], None),  # several currencies: no guess
        (["5", "6.5", "7"], None),  # plain numbers
    ],
)
def test_currency_written_in_the_amounts_is_reported(
    amounts: list[str], expected: str | None
) -> None:
    frame = pl.DataFrame(
        {"customer": ["a", "b", "c"], "date": ["2024-01-02"] * 3, "amount": amounts}
    )
    report = rfm.read_transactions(frame).report
    assert report.currency == expected
    assert (f"Currency: {expected}" in str(report)) == (expected is not None)


def test_currency_read_from_unit_prices_when_amount_is_derived() -> None:
    frame = pl.DataFrame(
        {
            "CustomerID": ["1", "2"],
            "InvoiceDate": ["2024-01-02", "2024-01-03"],
            "Quantity": [2, 1],
            "UnitPrice": ["£1.50", "£2.00"],
        }
    )
    result = rfm.read_transactions(frame)
    assert result.report.currency == "£"
    assert result.transactions["amount"].to_list() == [3.0, 2.0]
