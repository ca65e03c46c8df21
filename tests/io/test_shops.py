"""Shop platform order exports (rfm.io.shops): a small Shopify-shaped file counted by hand.

The file follows Shopify's documented orders export: one row per line item, the
order-level fields (Financial Status, totals, billing address, Refunded Amount) on the
order's first line only, ``Name`` the order number, ``Created at`` with a UTC offset.

| order | customer | status             | lines (qty x price)            | line sum | Total  |
|-------|----------|--------------------|--------------------------------|----------|--------|
| #1001 | ann      | paid               | 2x10.00, 1x8.50, 1x12.00       | 40.50    | 48.74  |
| #1002 | bob      | paid (21:30 -0500) | 1x15.00, no billing address    | 15.00    | 20.20  |
| #1003 | ann      | refunded           | 1x10.00, 2x8.50                | 27.00    | 34.16  |
| #1004 | cy       | partially_refunded | 1x40.00, 1x12.00; 12.00 back   | 52.00    | 52.00  |
| #1005 | dee      | refunded           | 1x8.50                         | 8.50     | 8.50   |
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

import rfm
from rfm import measures
from rfm.cli import main
from rfm.io.detect import detect_columns
from rfm.io.shops import SHOPIFY, WOOCOMMERCE, WOOCOMMERCE_ADVANCED, detect_layout, set_aside

HEADER = (
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Currency,Subtotal,Shipping,"
    "Taxes,Total,Discount Code,Discount Amount,Created at,Lineitem quantity,Lineitem name,"
    "Lineitem price,Lineitem compare at price,Lineitem sku,Billing City,Billing Country,"
    "Shipping Country,Payment Method,Refunded Amount,Vendor,Id"
)
ROWS = [
    # #1001: three line items; order-level fields on the first line only.
    "#1001,ann@x.com,paid,2024-03-01 10:00:00 -0500,fulfilled,USD,40.50,5.00,3.24,48.74,,0.00,"
    "2024-03-01 10:00:00 -0500,2,Tee,10.00,12.00,TEE,Austin,US,US,Visa,0.00,Acme,5001",
    "#1001,ann@x.com,,,,,,,,,,,2024-03-01 10:00:00 -0500,1,Mug,8.50,,MUG,,,,,,Acme,",
    "#1001,ann@x.com,,,,,,,,,,,2024-03-01 10:00:00 -0500,1,Cap,12.00,,CAP,,,,,,Bolt,",
    # #1002: an evening order (02:30 the next day in UTC), no billing address (a POS sale).
    "#1002,bob@x.com,paid,2024-03-05 21:30:00 -0500,fulfilled,USD,15.00,4.00,1.20,20.20,,0.00,"
    "2024-03-05 21:30:00 -0500,1,Poster,15.00,,POS,,,,Cash,0.00,Acme,5002",
    # #1003: fully refunded, ann's second order.
    "#1003,ann@x.com,refunded,2024-03-10 09:00:00 -0500,fulfilled,USD,27.00,5.00,2.16,34.16,,"
    "0.00,2024-03-10 09:00:00 -0500,1,Tee,10.00,,TEE,Austin,US,US,Visa,34.16,Acme,5003",
    "#1003,ann@x.com,,,,,,,,,,,2024-03-10 09:00:00 -0500,2,Mug,8.50,,MUG,,,,,,Acme,",
    # #1004: 12.00 of 52.00 refunded (the cap came back).
    "#1004,cy@x.com,partially_refunded,2024-03-12 12:00:00 -0500,fulfilled,USD,52.00,0.00,0.00,"
    "52.00,,0.00,2024-03-12 12:00:00 -0500,1,Hoodie,40.00,,HOO,Paris,FR,FR,Visa,12.00,Acme,5004",
    "#1004,cy@x.com,,,,,,,,,,,2024-03-12 12:00:00 -0500,1,Cap,12.00,,CAP,,,,,,Bolt,",
    # #1005: dee's only order, fully refunded: dee bought nothing.
    "#1005,dee@x.com,refunded,2024-03-15 08:00:00 -0500,fulfilled,USD,8.50,0.00,0.00,8.50,,0.00,"
    "2024-03-15 08:00:00 -0500,1,Mug,8.50,,MUG,Lyon,FR,FR,Visa,8.50,Acme,5005",
]
SHOPIFY_CSV = (HEADER + "\n" + "\n".join(ROWS) + "\n").encode()


@pytest.fixture(scope="module")
def shopify() -> rfm.ReadResult:
    return rfm.read_transactions(SHOPIFY_CSV)


def test_shopify_layout_is_recognised_and_mapped_as_documented() -> None:
    names = HEADER.split(",")
    assert detect_layout(names) is SHOPIFY
    assert detect_columns(names) == {
        "customer_id": "Email",
        "order_date": "Created at",
        "order_id": "Name",
        "quantity": "Lineitem quantity",
        "unit_price": "Lineitem price",
        "product": "Lineitem name",
        "payment_method": "Payment Method",
        "country": "Billing Country",
        "city": "Billing City",
        "retailer": "Vendor",
    }


def test_a_customer_id_column_is_preferred_to_the_email() -> None:
    # Apps such as Matrixify add the Shopify customer id to the export.
    names = [*HEADER.split(","), "Customer: ID"]
    assert detect_columns(names)["customer_id"] == "Customer: ID"


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("refunded", "refunded order"),
        ("Refunded", "refunded order"),
        (" voided ", "voided order"),
        ("paid", None),
        ("partially_refunded", None),
        ("Partially refunded", None),
        ("", None),
    ],
)
def test_payment_statuses(status: str, reason: str | None) -> None:
    frame = pl.DataFrame({"Name": ["#1"], "Financial Status": [status]})
    found, _ = set_aside(frame, SHOPIFY)
    assert found is not None
    assert found.to_list() == [reason]


def test_woocommerce_status_prefix() -> None:
    frame = pl.DataFrame({"order_number": ["1", "2"], "status": ["wc-refunded", "wc-failed"]})
    found, _ = set_aside(frame, WOOCOMMERCE)
    assert found is not None
    assert found.to_list() == ["refunded order", "failed order"]


# The full column set of Shopify's orders export, in its order.
FULL_HEADER = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
    "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
    "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
    "Billing Province", "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street",
    "Shipping Address1", "Shipping Address2", "Shipping Company", "Shipping City",
    "Shipping Zip", "Shipping Province", "Shipping Country", "Shipping Phone", "Notes",
    "Note Attributes", "Cancelled at", "Payment Method", "Payment Reference",
    "Refunded Amount", "Vendor", "Outstanding Balance", "Employee", "Location", "Device ID",
    "Id", "Tags", "Risk Level", "Source", "Lineitem discount", "Tax 1 Name", "Tax 1 Value",
    "Tax 2 Name", "Tax 2 Value", "Tax 3 Name", "Tax 3 Value", "Tax 4 Name", "Tax 4 Value",
    "Tax 5 Name", "Tax 5 Value", "Phone", "Receipt Number", "Duties", "Billing Province Name",
    "Shipping Province Name", "Payment ID", "Payment Terms Name", "Next Payment Due At",
    "Payment References",
]  # fmt: skip


def test_the_full_documented_header_maps_line_items_and_the_order_fields() -> None:
    mapping = detect_columns(FULL_HEADER)
    assert detect_layout(FULL_HEADER) is SHOPIFY
    assert mapping == {
        "customer_id": "Email",
        "order_date": "Created at",
        "order_id": "Name",
        "quantity": "Lineitem quantity",
        "unit_price": "Lineitem price",
        "product": "Lineitem name",
        "payment_method": "Payment Method",
        "ship_mode": "Shipping Method",
        "country": "Billing Country",
        "state": "Billing Province Name",
        "city": "Billing City",
        "retailer": "Vendor",
    }


def test_an_undocumented_column_never_becomes_the_amount() -> None:
    names = [*FULL_HEADER, "Total Weight", "Sales Channel"]
    assert "amount" not in detect_columns(names)


def test_a_full_export_reads_with_a_discount_and_a_second_line() -> None:
    first = dict.fromkeys(FULL_HEADER, "")
    first.update({
        "Name": "#5001", "Email": "lea@x.fr", "Financial Status": "paid",
        "Paid at": "2025-06-07 23:40:00 +0200", "Currency": "EUR", "Subtotal": "45.00",
        "Shipping": "0.00", "Taxes": "7.50", "Total": "45.00", "Discount Code": "WELCOME10",
        "Discount Amount": "5.00", "Shipping Method": "Colissimo",
        "Created at": "2025-06-07 23:40:00 +0200", "Lineitem quantity": "1",
        "Lineitem name": "Serum", "Lineitem price": "30.00", "Billing City": "Lyon",
        "Billing Zip": "'69001", "Billing Country": "FR", "Payment Method": "Shopify Payments",
        "Refunded Amount": "0.00", "Vendor": "Leaf", "Id": "7410991464714",
    })  # fmt: skip
    second = dict.fromkeys(FULL_HEADER, "")
    second.update({
        "Name": "#5001", "Email": "lea@x.fr", "Created at": "2025-06-07 23:40:00 +0200",
        "Lineitem quantity": "2", "Lineitem name": "Soap", "Lineitem price": "10.00",
        "Vendor": "Leaf",
    })  # fmt: skip
    frame = pl.DataFrame([first, second], schema=dict.fromkeys(FULL_HEADER, pl.String))
    result = rfm.read_transactions(frame)
    tx = result.transactions
    assert tx["amount"].to_list() == [30.0, 20.0]
    assert tx["order_date"].to_list() == [dt.datetime(2025, 6, 7, 23, 40)] * 2  # not 21:40 UTC
    assert tx["country"].to_list() == ["FR", "FR"]
    assert tx["ship_mode"].to_list() == ["Colissimo", "Colissimo"]
    assert tx["payment_method"].to_list() == ["Shopify Payments"] * 2
    assert result.report.currency == "EUR"
    note = next(w for w in result.report.warnings if "not in them" in w)
    assert "line amounts 50.00 (order 'Subtotal', items after discounts: 45.00)" in note


def test_order_total_is_never_the_amount_even_with_a_sample() -> None:
    names = HEADER.split(",")
    sample = pl.read_csv(SHOPIFY_CSV, infer_schema=False)
    mapping = detect_columns(names, sample)
    assert "amount" not in mapping
    assert not {"Total", "Subtotal", "Refunded Amount", "Id"} & set(mapping.values())


def test_a_generic_name_column_is_never_an_order_id() -> None:
    mapping = detect_columns(["Name", "Email", "Date", "Amount"])
    assert detect_layout(["Name", "Email", "Date", "Amount"]) is None
    assert mapping.get("order_id") != "Name"
    assert "Name" not in mapping.values()


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("Lineitem quantity", "quantity"),
        ("Lineitem price", "unit_price"),
        ("Lineitem name", "product"),
        ("Billing Country", "country"),
        ("Shipping Country", "country"),
        ("Billing City", "city"),
        ("Billing Province", "state"),
        ("item_quantity", "quantity"),
    ],
)
def test_shop_header_synonyms_outside_the_layout(header: str, canonical: str) -> None:
    # A file with only some of a shop's columns still finds them by synonym.
    assert detect_columns(["customer", "order date", "amount", header])[canonical] == header


def test_every_row_is_accounted_for(shopify: rfm.ReadResult) -> None:
    report = shopify.report
    assert report.rows_read == 9
    assert dict(report.excluded) == {"refunded order": 3}  # #1003 (2 lines) and #1005
    assert report.rows_kept == 6
    assert report.reconciles()
    assert report.rows_added == 1  # the refund of #1004
    assert shopify.transactions.height == report.rows_kept + report.rows_added


def test_measures_counted_by_hand(shopify: rfm.ReadResult) -> None:
    tx = shopify.transactions
    got = tx.select(measures.totals(tx.columns, with_customers=True)).row(0, named=True)
    assert got["customers"] == 3  # ann, bob, cy; dee's only order was refunded
    assert got["orders"] == 3  # #1001, #1002, #1004; refunded #1003 is not an order
    assert got["gross_sales"] == pytest.approx(40.50 + 15.00 + 52.00)
    assert got["returned_value"] == pytest.approx(12.00)
    assert got["revenue"] == pytest.approx(40.50 + 15.00 + 52.00 - 12.00)
    assert got["quantity"] == 2 + 1 + 1 + 1 + 1 + 1


def test_summary_frequency_leaves_out_the_refunded_order(shopify: rfm.ReadResult) -> None:
    summary = rfm.summarize(shopify.transactions, as_of="2024-03-31")
    ann = summary.filter(pl.col("customer_id") == "ann@x.com").row(0, named=True)
    assert ann["frequency"] == 1
    assert ann["monetary"] == pytest.approx(40.50)
    assert ann["last_purchase"] == dt.datetime(2024, 3, 1, 10)
    assert "dee@x.com" not in summary["customer_id"].to_list()
    # ... and the report says so rather than letting dee vanish.
    note = next(w for w in shopify.report.warnings if "only refunded or unpaid" in w)
    assert note.startswith("1 customers") and "'dee@x.com'" in note


def test_line_amounts_are_quantity_times_price(shopify: rfm.ReadResult) -> None:
    lines = shopify.transactions.filter(pl.col("order_id") == "#1001")
    assert lines["amount"].to_list() == [20.0, 8.5, 12.0]
    assert lines["product"].to_list() == ["Tee", "Mug", "Cap"]
    assert lines["retailer"].to_list() == ["Acme", "Acme", "Bolt"]


def test_partial_refund_is_one_return_line_at_the_order_date(shopify: rfm.ReadResult) -> None:
    refunds = shopify.transactions.filter(pl.col("is_return"))
    assert refunds.height == 1
    line = refunds.row(0, named=True)
    assert line["order_id"] == "#1004"
    assert line["customer_id"] == "cy@x.com"
    assert line["amount"] == -12.0
    assert line["order_date"] == dt.datetime(2024, 3, 12, 12)
    assert line["country"] == "FR"
    assert line["product"] is None
    assert line["quantity"] is None


def test_evening_order_keeps_the_local_calendar_day(shopify: rfm.ReadResult) -> None:
    bob = shopify.transactions.filter(pl.col("order_id") == "#1002")
    # 21:30 -0500 is 02:30 UTC on 6 March; the customer bought on 5 March.
    assert bob["order_date"].to_list() == [dt.datetime(2024, 3, 5, 21, 30)]
    assert any("UTC offset" in w for w in shopify.report.warnings)


def test_utc_offsets_are_read_as_local_times() -> None:
    csv = (
        b"customer,order date,amount\n"
        b"a,2024-03-05 21:30:00 -0500,1\n"
        b"b,2024-03-05T23:15:00+05:30,2\n"
        b"c,2024-03-05T08:00:00Z,3\n"
    )
    tx = rfm.read_transactions(csv).transactions
    assert tx["order_date"].to_list() == [
        dt.datetime(2024, 3, 5, 21, 30),
        dt.datetime(2024, 3, 5, 23, 15),
        dt.datetime(2024, 3, 5, 8),
    ]


def test_billing_fields_fill_down_within_an_order_only(shopify: rfm.ReadResult) -> None:
    tx = shopify.transactions
    by_order = dict(
        tx.filter(~pl.col("is_return"))
        .group_by("order_id")
        .agg(pl.col("country").unique().sort(nulls_last=True))
        .iter_rows()
    )
    assert by_order["#1001"] == ["US"]  # lines 2 and 3 filled from line 1
    assert by_order["#1004"] == ["FR"]
    # #1002 has no billing address: it must not take #1001's (a fill across orders).
    assert by_order["#1002"] == [None]
    cities = tx.filter(pl.col("order_id") == "#1001")["city"].to_list()
    assert cities == ["Austin", "Austin", "Austin"]


def test_report_gives_the_gap_between_lines_and_order_totals(shopify: rfm.ReadResult) -> None:
    note = next(w for w in shopify.report.warnings if "not in them" in w)
    # Kept orders #1001, #1002, #1004: lines 107.50, totals 48.74 + 20.20 + 52.00 = 120.94.
    assert "line amounts 107.50 (order 'Subtotal', items after discounts: 107.50)" in note
    assert "'Total' 120.94" in note
    assert "difference 13.44" in note
    assert "shipping 9.00" in note
    assert "taxes 4.44" in note
    assert shopify.report.currency == "USD"


def test_an_order_level_discount_shows_in_the_gap() -> None:
    # 2 x 50.00 at list price, a 20.00 discount code: Subtotal 80.00, Total 85.00.
    row = (
        "#2001,ann@x.com,paid,,,USD,80.00,5.00,0.00,85.00,SAVE20,20.00,"
        "2024-05-01 10:00:00 -0500,2,Lamp,50.00,,LMP,Austin,US,US,Visa,0.00,Acme,1"
    )
    result = rfm.read_transactions(f"{HEADER}\n{row}\n".encode())
    assert result.transactions["amount"].to_list() == [100.0]  # quantity x price, as written
    note = next(w for w in result.report.warnings if "not in them" in w)
    assert "line amounts 100.00 (order 'Subtotal', items after discounts: 80.00)" in note
    assert "'Total' 85.00, difference -15.00" in note
    assert "shipping 5.00, taxes 0.00, order-level discounts 20.00" in note


def test_orders_in_two_currencies_are_flagged() -> None:
    text = SHOPIFY_CSV.decode().replace(
        ",paid,2024-03-05 21:30:00 -0500,fulfilled,USD,",
        ",paid,2024-03-05 21:30:00 -0500,fulfilled,CAD,",
    )
    report = rfm.read_transactions(text.encode()).report
    assert report.currency is None
    assert any("2 currencies (CAD, USD)" in w for w in report.warnings)


def test_identical_lines_of_one_order_are_both_kept() -> None:
    # The same item on two lines of #1001: its Subtotal (2 x 8.50) counts both.
    rows = [
        "#1001,ann@x.com,paid,,,USD,17.00,0,0,17.00,,0,2024-03-01 10:00:00 -0500,1,Mug,8.50,,MUG,"
        ",US,US,Visa,0,Acme,1",
        "#1001,ann@x.com,,,,,,,,,,,2024-03-01 10:00:00 -0500,1,Mug,8.50,,MUG,,,,,,Acme,",
        "#1001,ann@x.com,,,,,,,,,,,2024-03-01 10:00:00 -0500,1,Mug,8.50,,MUG,,,,,,Acme,",
    ]
    result = rfm.read_transactions((HEADER + "\n" + "\n".join(rows) + "\n").encode())
    assert result.transactions["amount"].sum() == pytest.approx(25.5)
    assert result.report.rows_kept == 3
    assert any("line items repeat" in w for w in result.report.warnings)


def test_mapping_amount_to_the_total_turns_the_layout_off() -> None:
    result = rfm.read_transactions(SHOPIFY_CSV, columns={"amount": "Total"})
    assert result.report.rows_added == 0
    assert "refunded order" not in result.report.excluded
    assert any("look like a Shopify orders export" in w for w in result.report.warnings)
    assert result.report.reconciles()


def test_app_mapping_round_trip_gives_the_same_result(shopify: rfm.ReadResult) -> None:
    # The app passes back the detected mapping as columns=: nothing may change.
    again = rfm.read_transactions(SHOPIFY_CSV, columns=dict(shopify.report.columns))
    assert again.transactions.equals(shopify.transactions)


def test_input_frame_is_not_modified() -> None:
    frame = pl.read_csv(SHOPIFY_CSV, infer_schema=False)
    before = frame.clone()
    rfm.read_transactions(frame)
    assert frame.equals(before)


def test_cli_prints_the_hand_counted_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "orders_export.csv"
    path.write_bytes(SHOPIFY_CSV)
    assert main([str(path), "--as-of", "2024-03-31"]) == 0
    printed = capsys.readouterr().out
    assert "Rows read: 9" in printed
    assert "Rows kept: 6" in printed
    assert "refunded order: 3" in printed
    assert "Refund lines added: 1" in printed
    assert "order_id <- 'Name'" in printed
    assert "Customers            3" in printed
    assert "Orders               3" in printed
    assert "Revenue              95.50" in printed


WOO_HEADER = (
    # The documented generator titles order_date "date".
    "order_id,order_number,date,status,shipping_total,tax_total,order_total,"
    "refunded_total,order_currency,payment_method,customer_id,billing_email,billing_city,"
    "billing_country,item_name,item_sku,item_quantity,item_subtotal,item_total,item_refunded"
)
WOO_ROWS = [
    # Order-level fields repeat on every item row in this format; guests have customer_id 0.
    "11,1011,2024-04-01 10:00:00,completed,5.00,2.00,37.00,0.00,EUR,stripe,0,eve@x.com,Rome,IT,"
    "Tee,TEE,2,20.00,20.00,0",
    "11,1011,2024-04-01 10:00:00,completed,5.00,2.00,37.00,0.00,EUR,stripe,0,eve@x.com,Rome,IT,"
    "Mug,MUG,1,10.00,10.00,0",
    "12,1012,2024-04-02 11:00:00,refunded,0.00,0.00,15.00,15.00,EUR,stripe,0,fay@x.com,Milan,IT,"
    "Cap,CAP,1,15.00,15.00,15.00",
    "13,1013,2024-04-03 12:00:00,completed,0.00,0.00,40.00,10.00,EUR,stripe,7,gus@x.com,Turin,IT,"
    "Hoodie,HOO,1,40.00,40.00,10.00",
    "14,1014,2024-04-04 12:00:00,cancelled,0.00,0.00,9.00,0.00,EUR,stripe,7,gus@x.com,Turin,IT,"
    "Pin,PIN,3,9.00,9.00,0",
]
WOO_CSV = (WOO_HEADER + "\n" + "\n".join(WOO_ROWS) + "\n").encode()


def test_woocommerce_one_row_per_item_export() -> None:
    assert detect_layout(WOO_HEADER.split(",")) is WOOCOMMERCE
    result = rfm.read_transactions(WOO_CSV)
    report, tx = result.report, result.transactions
    assert report.columns["amount"] == "item_total"  # never the repeated order_total
    assert report.columns["customer_id"] == "billing_email"  # customer_id is 0 for guests
    assert report.columns["order_id"] == "order_number"
    assert dict(report.excluded) == {"refunded order": 1, "cancelled order": 1}
    assert report.rows_read == 5
    assert report.reconciles()
    assert report.rows_added == 1
    got = tx.select(measures.totals(tx.columns, with_customers=True)).row(0, named=True)
    assert got["customers"] == 2  # eve, gus
    assert got["orders"] == 2  # 1011, 1013
    assert got["revenue"] == pytest.approx(20.0 + 10.0 + 40.0 - 10.0)
    assert report.currency == "EUR"


# "Advanced Order Export For WooCommerce": its default columns, products as rows and the
# order's fields repeated on each (its "fill order columns on product rows" default).
AOE_HEADER = (
    "Order Number,Order Status,Order Date,Customer Note,First Name (Billing),"
    "Last Name (Billing),Company (Billing),Address 1&2 (Billing),City (Billing),"
    "State Code (Billing),Postcode (Billing),Country Code (Billing),Email (Billing),"
    "Phone (Billing),First Name (Shipping),Last Name (Shipping),Address 1&2 (Shipping),"
    "City (Shipping),State Code (Shipping),Postcode (Shipping),Country Code (Shipping),"
    "Item #,SKU,Item Name,Quantity,Item Cost,Coupon Code,Discount Amount,"
    "Discount Amount Tax,Shipping Method Title,Payment Method Title,Cart Discount Amount,"
    "Order Subtotal Amount,Order Shipping Amount,Order Refund Amount,Order Total Amount,"
    "Order Total Tax Amount"
)


def _aoe_row(number: str, status: str, date: str, email: str, item: str, qty: int,
             cost: float, refund: float, total: float) -> str:  # fmt: skip
    return ",".join(
        [number, status, date, "", "Eve", "Ray", "", "1 Via Roma", "Rome", "RM", "00100", "IT",
         email, "", "Eve", "Ray", "1 Via Roma", "Rome", "RM", "00100", "IT", "1", item.upper(),
         item, str(qty), f"{cost:.2f}", "", "", "", "Flat rate", "Card", "0.00",
         f"{total - 5:.2f}", "5.00", f"{refund:.2f}", f"{total:.2f}", "0.00"]
    )  # fmt: skip


AOE_CSV = (
    "\n".join(
        [
            AOE_HEADER,
            _aoe_row("2001", "Completed", "2024-05-02 18:00", "eve@x.it", "Tee", 2, 10.0, 0, 35.0),
            _aoe_row("2001", "Completed", "2024-05-02 18:00", "eve@x.it", "Mug", 1, 5.0, 0, 35.0),
            _aoe_row("2002", "Refunded", "2024-05-03 09:00", "eve@x.it", "Cap", 1, 12.0, 17, 17.0),
            _aoe_row("2003", "Processing", "2024-05-04 10:00", "ugo@x.it", "Hat", 1, 30.0, 6, 35.0),
            _aoe_row(
                "2004", "Pending payment", "2024-05-05 11:00", "ugo@x.it", "Pin", 4, 2.0, 0, 13.0
            ),
        ]
    )
    + "\n"
).encode()


def test_woocommerce_advanced_order_export() -> None:
    names = AOE_HEADER.split(",")
    assert detect_layout(names) is WOOCOMMERCE_ADVANCED
    assert "amount" not in detect_columns(names)  # never the repeated Order Total Amount
    result = rfm.read_transactions(AOE_CSV)
    report, tx = result.report, result.transactions
    assert report.columns["order_id"] == "Order Number"
    assert report.columns["customer_id"] == "Email (Billing)"
    assert report.columns["quantity"] == "Quantity"
    assert report.columns["unit_price"] == "Item Cost"
    assert report.columns["country"] == "Country Code (Billing)"
    assert dict(report.excluded) == {"refunded order": 1, "pending payment order": 1}
    assert report.reconciles()
    assert report.rows_added == 1  # the 6.00 refunded on 2003
    got = tx.select(measures.totals(tx.columns, with_customers=True)).row(0, named=True)
    assert got["customers"] == 2  # eve (2001), ugo (2003)
    assert got["orders"] == 2
    assert got["revenue"] == pytest.approx(2 * 10.0 + 5.0 + 30.0 - 6.0)
    note = next(w for w in report.warnings if "not in them" in w)
    assert "shipping and taxes are not in them" in note
    # Totals counted once per order, not once per product row: 35 + 35.
    assert "'Order Total Amount' 70.00" in note
