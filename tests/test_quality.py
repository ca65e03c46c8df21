"""QualityReport: reconciliation, frame view, readable text."""

from __future__ import annotations

import polars as pl

import rfm


def _report(**kw: object) -> rfm.QualityReport:
    base: dict = {
        "rows_read": 10,
        "rows_kept": 6,
        "excluded": {"missing customer id": 3, "exact duplicate": 1},
        "returns": 2,
        "columns": {"customer_id": "CustomerID", "order_date": "InvoiceDate"},
        "date_format": "%m/%d/%Y %H:%M",
        "encoding": "cp1252",
        "delimiter": ";",
        "warnings": ("amount derived as quantity x unit_price",),
    }
    base.update(kw)
    return rfm.QualityReport(**base)


def test_reconciles_when_counts_add_up() -> None:
    assert _report().reconciles()
    assert _report().rows_excluded == 4


def test_does_not_reconcile_when_a_row_is_lost() -> None:
    assert not _report(rows_read=11).reconciles()


def test_to_frame_lists_kept_then_reasons() -> None:
    frame = _report().to_frame()
    assert frame.schema == pl.Schema({"reason": pl.String, "rows": pl.Int64})
    assert frame.rows() == [("kept", 6), ("missing customer id", 3), ("exact duplicate", 1)]
    assert frame["rows"].sum() == 10


def test_str_names_every_count_and_setting() -> None:
    text = str(_report())
    for part in ["Rows read: 10", "Rows kept: 6 (of which returns: 2)", "Rows excluded: 4",
                 "missing customer id: 3", "customer_id <- 'CustomerID'",
                 "Date format: %m/%d/%Y %H:%M", "Encoding: cp1252", "Delimiter: ';'",
                 "- amount derived as quantity x unit_price"]:
        assert part in text


def test_str_marks_an_ambiguous_date_format() -> None:
    assert "ambiguous" in str(_report(date_ambiguous=True))
    assert "ambiguous" not in str(_report())


def test_thousands_are_grouped() -> None:
    assert "Rows read: 69,659" in str(_report(rows_read=69_659, rows_kept=69_659, excluded={}))
