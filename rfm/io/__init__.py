"""Reading transaction logs: raw tables, column detection, typed conversion."""

from __future__ import annotations

from rfm.io.detect import detect_columns
from rfm.io.transactions import ReadResult, read_transactions

__all__ = ["ReadResult", "detect_columns", "read_transactions"]
