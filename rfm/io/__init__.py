"""Reading transaction logs: raw tables, column detection, typed conversion."""

from __future__ import annotations

from rfm.io.attach import AttachReport, attach_customers, attach_returns
from rfm.io.detect import detect_columns
from rfm.io.limits import Limits
from rfm.io.table import RawTable, read_table
from rfm.io.transactions import ReadResult, read_transactions

__all__ = [
    "AttachReport",
    "Limits",
    "RawTable",
    "ReadResult",
    "attach_customers",
    "attach_returns",
    "detect_columns",
    "read_table",
    "read_transactions",
]
