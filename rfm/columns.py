"""Canonical column names shared by the reader, the summary and the app.

After :func:`rfm.read_transactions` every transaction table uses these names.
"""

from __future__ import annotations

from typing import Final

CUSTOMER_ID: Final = "customer_id"
ORDER_DATE: Final = "order_date"
AMOUNT: Final = "amount"

REQUIRED: Final = (CUSTOMER_ID, ORDER_DATE, AMOUNT)
"""Columns every transaction table has: ``customer_id`` (str), ``order_date``
(datetime), ``amount`` (float, net line value; returns are negative)."""

TEXT: Final = (
    "product",
    "category",
    "subcategory",
    "department",
    "theme",
    "payment_method",
    "ship_mode",
    "country",
    "region",
    "state",
    "city",
    "retailer",
    "customer_type",
    "gender",
)
"""Optional columns kept as text (stripped, missing markers made null).

Where a file has both, ``region`` is a sales region or area (Superstore's Region:
East, West, ...) and ``state`` the state or province; a file with only one of them
gets it under its own name. ``subcategory`` sits below ``category`` (Superstore's
Sub-Category below Category); ``category`` always stays the file's Category, so the
same header never lands in a different column depending on its neighbours.
``customer_type`` is the customer's own business segment (Consumer, Corporate, Home
Office): named so it is never confused with the RFM ``segment`` the analysis adds.
``ship_mode`` is the shipping method (Standard Class, Same Day, ...).
"""

OPTIONAL: Final = (
    "order_id",
    "quantity",
    "unit_price",
    *TEXT,
    "age",
    "birth_date",
    "signup_date",
    "is_return",
)
"""Columns used when present."""

CANONICAL: Final = REQUIRED + OPTIONAL
