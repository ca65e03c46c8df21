"""Lazy scans of big transaction files for the streaming summary (``--streaming``).

:func:`rfm.read_transactions` reads the whole file as text to detect and clean it;
a file larger than memory cannot go that way. These scans only rename and type the
canonical columns, so :func:`rfm.summarize` can stream the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl

from rfm.columns import AMOUNT, ORDER_DATE
from rfm.errors import DataError

_CSV = {".csv": ",", ".txt": ",", ".tsv": "\t"}


def scan_transactions(
    path: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    date_format: str | None = None,
) -> pl.LazyFrame:
    """Scan a Parquet or CSV file lazily as canonical transactions.

    Parameters
    ----------
    path
        A ``.parquet`` file (or a directory / glob of them) or a ``.csv``, ``.tsv``
        or ``.txt`` file whose columns are already typed or canonical.
    columns
        Canonical name -> column of the file, for columns not named canonically.
    date_format
        strftime format of ``order_date`` when the file stores it as text; text
        dates are never guessed.

    Returns
    -------
    LazyFrame
        Columns renamed to the canonical names; nothing is read yet.

    Raises
    ------
    DataError
        For another file type, or text dates without ``date_format``.

    Examples
    --------
    >>> import io, polars as pl
    >>> from rfm._summary_scan import scan_transactions
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tx.csv"
    >>> _ = path.write_text("Kunde,order_date,amount\\nA,03/01/2024,5.0\\n")
    >>> lf = scan_transactions(path, columns={"customer_id": "Kunde"}, date_format="%d/%m/%Y")
    >>> lf.collect().row(0)
    ('A', datetime.datetime(2024, 1, 3, 0, 0), 5.0)
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet" or path.is_dir():
        lazy = pl.scan_parquet(path)
    elif suffix in _CSV:
        # No date inference: polars would read 12/1/2010 as 12 January without a word.
        lazy = pl.scan_csv(path, separator=_CSV[suffix], try_parse_dates=False)
    else:
        msg = (
            f"Streaming reads .parquet, .csv, .tsv or .txt files. Got {path.name!r}. "
            "Convert the file to Parquet, or drop --streaming to read it in memory."
        )
        raise DataError(msg)
    if columns:
        lazy = lazy.rename({source: canonical for canonical, source in columns.items()})
    schema = lazy.collect_schema()
    if ORDER_DATE in schema and schema[ORDER_DATE] == pl.String:
        if date_format is None:
            msg = (
                "order_date is text and the streaming path does not guess date formats. "
                "Pass --date-format (e.g. --date-format '%Y-%m-%d %H:%M:%S') or store "
                "typed dates in Parquet."
            )
            raise DataError(msg)
        lazy = lazy.with_columns(
            pl.col(ORDER_DATE).str.to_datetime(date_format, time_unit="us", strict=True)
        )
    if AMOUNT in schema and schema[AMOUNT] == pl.String:
        msg = (
            "amount is text (currency symbols or separators?); the streaming path reads "
            "numbers only. Store amount as a number, or drop --streaming."
        )
        raise DataError(msg)
    return lazy
