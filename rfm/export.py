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

__all__ = ["FORMULA_PREFIXES", "to_safe_csv"]

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


def to_safe_csv(frame: pl.DataFrame, *, bom: bool = False) -> bytes:
    """Write ``frame`` as UTF-8 CSV that is safe to open in a spreadsheet.

    Parameters
    ----------
    frame : pl.DataFrame
        The table to export. Text, categorical and enum columns are neutralised;
        numeric, boolean and temporal columns are written unchanged.
    bom : bool, default False
        Start the file with a UTF-8 byte-order mark, so that Excel reads accented
        characters correctly when the file is double-clicked.

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
    safe = safe.rename({name: _safe_name(name) for name in safe.columns})
    body = safe.write_csv()
    return ("\ufeff" + body if bom else body).encode("utf-8")
