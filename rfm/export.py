"""Spreadsheet-safe CSV export.

A CSV cell that begins with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a
line feed is run as a formula by Excel, LibreOffice and Google Sheets when the file is
opened (OWASP "CSV injection"). :func:`to_safe_csv` writes such text cells with a
leading ``'`` so they are shown as text. Numbers are left alone: ``-5.25`` in a numeric
column, or a text cell that is exactly a plain number such as ``"-5.25"``, cannot run.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from rfm.errors import DataError

__all__ = ["FORMULA_PREFIXES", "MONEY_COLUMNS", "SHARE_COLUMNS", "for_spreadsheet", "to_safe_csv"]

MONEY_COLUMNS: Final = frozenset(
    {
        "monetary",
        "avg_order_value",
        "avg_repeat_value",
        "avg_monetary",
        "revenue",
        "gross_sales",
        "returned_value",
        "avg_revenue",
        "expected_spend",
        "expected_revenue",
        "avg_expected_revenue",
        "revenue_at_risk",
        "clv",
        "holdout_revenue",
    }
)
"""Columns of amounts of money: written rounded to cents."""

SHARE_COLUMNS: Final = frozenset(
    {
        "share",
        "revenue_share",
        "return_rate",
        "p_alive",
        "churn_probability",
        "no_purchase_probability",
        "avg_p_alive",
        "avg_churn_probability",
        "avg_no_purchase_probability",
        "low_share",
        "medium_share",
        "high_share",
        "retention",
    }
)
"""Columns of shares and probabilities (0..1): written as percentages (``"52.34%"``)."""

FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r", "\n")
"""First characters that make a spreadsheet treat a cell as a formula."""

_STARTS_LIKE_FORMULA: Final = r"^[=+\-@\t\r\n]"
# A plain signed decimal number is data, not a formula, in every spreadsheet.
_PLAIN_NUMBER: Final = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def _neutralise(text: pl.Expr) -> pl.Expr:
    risky = text.str.contains(_STARTS_LIKE_FORMULA) & ~text.str.contains(_PLAIN_NUMBER)
    return pl.when(risky).then(pl.lit("'") + text).otherwise(text)


def _safe_name(name: str) -> str:
    frame = pl.DataFrame({"name": [name]}).select(_neutralise(pl.col("name")))
    return str(frame.item())


def for_spreadsheet(frame: pl.DataFrame) -> pl.DataFrame:
    """The table as a spreadsheet should show it: money rounded to cents, shares as
    percentages, other decimals to 4 places (no ``154225.15000000002``).

    Money and share columns are recognised by name (:data:`MONEY_COLUMNS`,
    :data:`SHARE_COLUMNS`); shares become text such as ``"52.34%"``, which Excel,
    LibreOffice and Google Sheets read as the number 0.5234 shown as a percentage.

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"monetary": [154225.15000000002], "p_alive": [0.52341],
    ...                       "expected_purchases": [1.234567891]})
    >>> for_spreadsheet(frame).row(0)
    (154225.15, '52.34%', 1.2346)
    """
    out = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if not dtype.is_float():
            continue
        if name in SHARE_COLUMNS:
            text = (column * 100).round(2).cast(pl.String)
            out.append(pl.when(column.is_not_null()).then(text + pl.lit("%")).alias(name))
        elif name in MONEY_COLUMNS:
            out.append(column.round(2))
        else:
            out.append(column.round(4))
    return frame.with_columns(out) if out else frame


def to_safe_csv(frame: pl.DataFrame, *, bom: bool = False, tidy: bool = True) -> bytes:
    """Write ``frame`` as UTF-8 CSV that is safe to open in a spreadsheet.

    Parameters
    ----------
    frame : pl.DataFrame
        The table to export. Text, categorical and enum columns are neutralised;
        numeric, boolean and temporal columns are written unchanged.
    bom : bool, default False
        Start the file with a UTF-8 byte-order mark, so that Excel reads accented
        characters correctly when the file is double-clicked.
    tidy : bool, default True
        Round and format numbers for a spreadsheet first (:func:`for_spreadsheet`);
        dates are written ``YYYY-MM-DD`` and times ``YYYY-MM-DD HH:MM:SS``.

    Returns
    -------
    bytes
        The CSV file: header row, then one line per row; nulls are empty cells.

    Raises
    ------
    DataError
        If a column holds lists, arrays or structs, which have no CSV form.

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"name": ["=1+1", "Ann"], "amount": [-5.25, 3.0]})
    >>> print(to_safe_csv(frame).decode())
    name,amount
    '=1+1,-5.25
    Ann,3.0
    <BLANKLINE>
    """
    nested = [name for name, dtype in frame.schema.items() if dtype.is_nested()]
    if nested:
        msg = (
            f"to_safe_csv writes flat tables only. Columns {nested} hold lists or structs. "
            "Flatten or drop them first (e.g. frame.drop(...) or .list.join(';'))."
        )
        raise DataError(msg)
    text_columns = [
        name
        for name, dtype in frame.schema.items()
        if dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum))
    ]
    safe = frame.with_columns(
        _neutralise(pl.col(name).cast(pl.String)).alias(name) for name in text_columns
    )
    if tidy:
        safe = for_spreadsheet(safe)
    safe = safe.rename({name: _safe_name(name) for name in safe.columns})
    body = safe.write_csv(date_format="%Y-%m-%d", datetime_format="%Y-%m-%d %H:%M:%S")
    return ("\ufeff" + body if bom else body).encode("utf-8")
