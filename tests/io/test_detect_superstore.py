"""Column detection on a Superstore-shaped export: the names it learned for issue 14."""

from __future__ import annotations

import pytest

import rfm
from rfm.io.detect import detect_columns

SUPERSTORE = [
    "Row ID",
    "Order ID",
    "Order Date",
    "Ship Date",
    "Ship Mode",
    "Customer ID",
    "Customer Name",
    "Segment",
    "Country",
    "City",
    "State",
    "Postal Code",
    "Region",
    "Product ID",
    "Category",
    "Sub-Category",
    "Product Name",
    "Sales",
    "Quantity",
    "Discount",
    "Profit",
]


@pytest.mark.parametrize(
    ("canonical", "header"),
    [
        ("customer_id", "Customer ID"),
        ("order_id", "Order ID"),
        ("order_date", "Order Date"),
        ("amount", "Sales"),
        ("quantity", "Quantity"),
        ("product", "Product Name"),
        ("category", "Category"),
        ("subcategory", "Sub-Category"),
        ("ship_mode", "Ship Mode"),
        ("customer_type", "Segment"),
        ("country", "Country"),
        ("region", "Region"),
        ("state", "State"),
        ("city", "City"),
    ],
)
def test_superstore_header_maps_each_column(canonical: str, header: str) -> None:
    assert detect_columns(SUPERSTORE)[canonical] == header


def test_superstore_columns_left_unmapped() -> None:
    used = set(detect_columns(SUPERSTORE).values())
    # A ship date is not the order date, a name is not an id, profit is not revenue.
    for header in ("Row ID", "Ship Date", "Customer Name", "Postal Code", "Discount", "Profit"):
        assert header not in used, header


@pytest.mark.parametrize(
    ("headers", "canonical", "header"),
    [
        (["Customer", "Date", "Amount", "State"], "state", "State"),
        (["Customer", "Date", "Amount", "Province"], "state", "Province"),
        (["Customer", "Date", "Amount", "State/Province"], "state", "State/Province"),
        (["Customer", "Date", "Amount", "Sales Region"], "region", "Sales Region"),
        (["Customer", "Date", "Amount", "SubCategory"], "subcategory", "SubCategory"),
        (["Customer", "Date", "Amount", "Customer Segment"], "customer_type", "Customer Segment"),
        (["Customer", "Date", "Amount", "Customer Type"], "customer_type", "Customer Type"),
        (["Customer", "Date", "Amount", "Shipping Method"], "ship_mode", "Shipping Method"),
    ],
)
def test_new_names_alone(headers: list[str], canonical: str, header: str) -> None:
    mapping = detect_columns(headers)
    assert mapping[canonical] == header
    assert mapping["customer_id"] == "Customer"  # "Customer Segment" never takes the id


def test_superstore_file_reads_with_the_new_columns() -> None:
    row = [
        "1", "CA-2016-152156", "11/8/2016", "11/11/2016", "Second Class", "CG-12520",
        "Claire Gute", "Consumer", "United States", "Henderson", "Kentucky", "42420", "South",
        "FUR-BO-10001798", "Furniture", "Bookcases", "Bush Somerset Collection Bookcase",
        "261.96", "2", "0", "41.9136",
    ]  # fmt: skip
    text = ",".join(SUPERSTORE) + "\n" + ",".join(row) + "\n"
    result = rfm.read_transactions(text.encode(), date_format="%m/%d/%Y")
    tx = result.transactions
    assert tx.select(
        "customer_type", "ship_mode", "region", "state", "city", "category", "subcategory"
    ).row(0) == (
        "Consumer",
        "Second Class",
        "South",
        "Kentucky",
        "Henderson",
        "Furniture",
        "Bookcases",
    )
