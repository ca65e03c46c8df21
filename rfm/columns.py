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
    "department",
    "theme",
    "payment_method",
    "country",
    "region",
    "city",
    "retailer",
    "gender",
)
"""Optional columns kept as text (stripped, missing markers made null)."""

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
