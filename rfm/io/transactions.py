"""``read_transactions``: any table of orders -> canonical transactions + a quality report."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

import polars as pl

from rfm.columns import AMOUNT, CANONICAL, CUSTOMER_ID, ORDER_DATE
from rfm.errors import AmbiguousDatesError, DataError
from rfm.io.detect import detect_columns
from rfm.io.parse import (
    DateColumn,
    Decimal,
    clean_series,
    convert_ids,
    convert_numbers,
    detect_date_format,
)
from rfm.io.table import RawTable, read_table
from rfm.quality import QualityReport

__all__ = ["ReadResult", "detect_columns", "read_transactions"]

_TEXT_COLUMNS = (
    "product", "category", "department", "theme", "payment_method", "country", "region",
    "city", "retailer", "gender",
)
_TRUE = ("true", "t", "yes", "y", "1", "return", "returned", "r", "x", "refund", "refunded")
_FALSE = ("false", "f", "no", "n", "0", "sale", "")
_DETECT_ROWS = 2000
_WHAT = {
    CUSTOMER_ID: "a customer id",
    ORDER_DATE: "an order date",
    AMOUNT: "an amount (or a quantity and a unit price)",
}


class ReadResult(NamedTuple):
    """What :func:`read_transactions` returns: the transactions and how they were read."""

    transactions: pl.DataFrame
    report: QualityReport


class _Source(NamedTuple):
    frame: pl.DataFrame
    rejected: dict[str, int]
    encoding: str | None
    delimiter: str | None
    warnings: tuple[str, ...]


def read_transactions(
    source: Any,
    *,
    columns: Mapping[str, str] | None = None,
    date_format: str | None = None,
    decimal: Decimal | None = None,
    drop_duplicates: bool = True,
    **read_table_options: Any,
) -> ReadResult:
    """Read a transaction log into canonical columns, accounting for every row.

    Parameters
    ----------
    source : path, bytes, file, RawTable, polars or pandas DataFrame, or LazyFrame
        Files go through :func:`rfm.read_table` (CSV/TSV/TXT, Excel, Parquet).
    columns : mapping, optional
        Canonical field -> source column, e.g. ``{"customer_id": "Kunde"}``;
        overrides what detection found for those fields.
    date_format : str, optional
        strftime format of the order dates, e.g. ``"%d/%m/%Y"``. Needed when
        every date reads both day-first and month-first.
    decimal : {".", ","}, optional
        Decimal separator of number columns; decided per column from the data
        when omitted.
    drop_duplicates : bool, default True
        Exclude repeats of an identical input row (every column equal) as
        ``"exact duplicate"``. Pass False for logs where identical lines are real
        repeat purchases (CDNOW has 255 such lines).
    **read_table_options
        Passed to :func:`rfm.read_table` (``encoding``, ``delimiter``, ``sheet``, ...).

    Returns
    -------
    ReadResult
        ``transactions`` with ``customer_id`` (String), ``order_date``
        (Datetime), ``amount`` (Float64, returns negative), ``is_return``
        (Boolean) and the optional canonical columns found; ``report``, a
        :class:`rfm.QualityReport`.

    Raises
    ------
    DataError
        No plausible customer id / date / amount column, a mapping naming a
        column that does not exist, dates mixing day-first and month-first,
        or nothing left after cleaning.
    AmbiguousDatesError
        Every date reads both day-first and month-first; pass ``date_format``.

    Examples
    --------
    >>> raw = pl.DataFrame({
    ...     "InvoiceNo": ["536365", "536365", "C536379"],
    ...     "InvoiceDate": ["2010-12-01 08:26", "2010-12-01 08:26", "2010-12-01 09:41"],
    ...     "CustomerID": ["17850", "17850", None],
    ...     "Quantity": ["6", "2", "-1"],
    ...     "UnitPrice": ["2.55", "3.39", "27.50"],
    ... })
    >>> result = read_transactions(raw)
    >>> result.transactions.select("customer_id", "amount", "is_return").rows()
    [('17850', 15.299999999999999, False), ('17850', 6.78, False)]
    >>> dict(result.report.excluded)
    {'missing customer id': 1}
    """
    loaded = _load(source, read_table_options)
    frame = loaded.frame
    mapping = _resolve_mapping(frame, columns)
    warnings: list[str] = list(loaded.warnings)
    if columns is None or any(c not in columns for c in mapping):
        detected_by_content = set(mapping.values()) - set(
            detect_columns(frame.columns).values()
        ) - set((columns or {}).values())
        warnings += [
            f"{canon} was recognised from the content of column {name!r} (its header "
            "says nothing); check it, or pass columns=."
            for canon, name in mapping.items()
            if name in detected_by_content
        ]

    out: dict[str, pl.Series] = {}
    customer, notes = convert_ids(frame[mapping[CUSTOMER_ID]])
    warnings += notes
    out[CUSTOMER_ID] = customer.alias(CUSTOMER_ID)

    dates = detect_date_format(frame[mapping[ORDER_DATE]], date_format=date_format)
    warnings += dates.warnings
    if len(dates.formats) > 1:
        warnings.append(
            f"Order dates read with {len(dates.formats)} formats: " + ", ".join(dates.formats)
        )
    out[ORDER_DATE] = dates.values.alias(ORDER_DATE)

    numbers = {}
    for canon in (AMOUNT, "quantity", "unit_price"):
        if canon in mapping:
            numbers[canon] = convert_numbers(frame[mapping[canon]], decimal=decimal)
            warnings += numbers[canon].warnings
    if AMOUNT in numbers:
        amount = numbers[AMOUNT].values
        amount_missing, amount_invalid = numbers[AMOUNT].missing, numbers[AMOUNT].invalid
    elif "quantity" in numbers:
        qty, price = numbers["quantity"], numbers["unit_price"]
        amount = qty.values * price.values
        amount_invalid = qty.invalid | price.invalid
        amount_missing = (qty.missing | price.missing) & ~amount_invalid
        warnings.append(
            f"amount derived as quantity x unit_price ({mapping['quantity']!r} x "
            f"{mapping['unit_price']!r})."
        )
    else:
        price = numbers["unit_price"]
        amount, amount_missing, amount_invalid = price.values, price.missing, price.invalid
        warnings.append(
            f"amount taken from the price column {mapping['unit_price']!r} (no quantity column)."
        )
    for canon in ("quantity", "unit_price"):
        if canon in numbers and AMOUNT in numbers:
            bad = int(numbers[canon].invalid.sum())
            if bad:
                warnings.append(
                    f"{bad:,} {canon} values in {mapping[canon]!r} could not be read as "
                    "numbers and are left missing (the rows are kept: they have an amount)."
                )
    for canon in ("quantity", "unit_price"):
        if canon in numbers:
            out[canon] = numbers[canon].values.alias(canon)

    is_return, return_notes = _returns(frame, mapping, amount, out.get("quantity"))
    warnings += return_notes
    flagged = pl.select(pl.lit(is_return) & (pl.lit(amount) > 0)).to_series()
    amount = pl.select(pl.when(pl.lit(is_return)).then(-pl.lit(amount).abs())
                       .otherwise(pl.lit(amount))).to_series()
    if "quantity" in out:
        q = out["quantity"]
        out["quantity"] = pl.select(
            pl.when(pl.lit(is_return)).then(-pl.lit(q).abs()).otherwise(pl.lit(q))
        ).to_series().alias("quantity")
    if flagged.any():
        warnings.append(
            f"{int(flagged.sum()):,} returns given with a positive amount were made negative."
        )
    out[AMOUNT] = amount.alias(AMOUNT)
    out["is_return"] = is_return.alias("is_return")

    if "order_id" in mapping:
        order_id, notes = convert_ids(frame[mapping["order_id"]])
        warnings += notes
        out["order_id"] = order_id.alias("order_id")
    for canon in _TEXT_COLUMNS:
        if canon in mapping:
            out[canon] = clean_series(frame[mapping[canon]]).alias(canon)
    if "age" in mapping:
        ages = convert_numbers(frame[mapping["age"]], decimal=decimal)
        bad = int(ages.invalid.sum())
        if bad:
            warnings.append(f"{bad:,} ages in {mapping['age']!r} could not be read (left missing).")
        out["age"] = ages.values.round(0).cast(pl.Int64).alias("age")
    for canon in ("birth_date", "signup_date"):
        if canon in mapping:
            values, date_notes = _secondary_dates(frame[mapping[canon]], dates)
            warnings += date_notes
            out[canon] = values.alias(canon)

    reason = pl.select(
        pl.when(pl.lit(out[CUSTOMER_ID]).is_null()).then(pl.lit("missing customer id"))
        .when(pl.lit(dates.missing)).then(pl.lit("missing date"))
        .when(pl.lit(dates.invalid)).then(pl.lit("unparseable date"))
        .when(pl.lit(amount_invalid)).then(pl.lit("invalid amount"))
        .when(pl.lit(amount_missing) | pl.lit(amount).is_null()).then(pl.lit("missing amount"))
    ).to_series()
    if drop_duplicates:
        reason = _mark_duplicates(frame, reason)

    order = [CUSTOMER_ID, ORDER_DATE, AMOUNT, "is_return"]
    order += [c for c in CANONICAL if c in out and c not in order]
    keep = reason.is_null()
    transactions = pl.DataFrame([out[c] for c in order]).filter(keep)
    excluded = dict(loaded.rejected)
    counts = reason.drop_nulls().value_counts(sort=True)
    for why, n in counts.iter_rows():
        excluded[why] = excluded.get(why, 0) + int(n)
    report = QualityReport(
        rows_read=frame.height + sum(loaded.rejected.values()),
        rows_kept=transactions.height,
        excluded=excluded,
        returns=int(transactions["is_return"].sum()),
        columns=dict(mapping),
        date_format=dates.format,
        date_ambiguous=dates.ambiguous,
        encoding=loaded.encoding,
        delimiter=loaded.delimiter,
        warnings=tuple(warnings),
    )
    if transactions.is_empty():
        why = "; ".join(f"{r}: {n:,}" for r, n in excluded.items()) or "the input has no rows"
        where = ", ".join(f"{c} <- {s!r}" for c, s in mapping.items() if c in _WHAT)
        msg = (
            f"No transactions left after cleaning: {report.rows_read:,} rows read, all "
            f"excluded ({why}). Columns used: {where}. Check the mapping (columns=) and "
            "the date format (date_format=)."
        )
        raise DataError(msg)
    return ReadResult(transactions, report)


def _load(source: Any, options: Mapping[str, Any]) -> _Source:
    if isinstance(source, pl.LazyFrame):
        source = source.collect()
    if isinstance(source, pl.DataFrame):
        _no_options(options)
        return _Source(source, {}, None, None, ())
    if type(source).__module__.split(".")[0] == "pandas":
        _no_options(options)
        return _Source(_from_pandas(source), {}, None, None, ())
    if isinstance(source, RawTable):
        _no_options(options)
        raw = source
    else:
        raw = read_table(source, **options)
    rejected: dict[str, int] = {}
    if raw.rejected.height:
        # "too many fields: expected 8, found 9" -> "malformed row (too many fields)"
        kinds = raw.rejected.select(
            pl.format("malformed row ({})", pl.col("reason").str.replace(r":.*$", ""))
        ).to_series()
        for why, n in kinds.value_counts(sort=True).iter_rows():
            rejected[str(why)] = int(n)
    warnings = list(raw.warnings)
    frame, delimiter = raw.frame, raw.delimiter
    if raw.source_format == "csv" and frame.width == 1:
        split = _split_on_spaces(frame)
        if split is not None:
            frame, delimiter = split, " "
            warnings.append(
                f"Fields are separated by runs of spaces; read as {frame.width} columns."
            )
    if raw.blank_rows:
        warnings.append(f"{raw.blank_rows:,} blank lines skipped (not counted as rows).")
    return _Source(frame, rejected, raw.encoding, delimiter, tuple(warnings))


def _split_on_spaces(frame: pl.DataFrame) -> pl.DataFrame | None:
    """Split a one-column text table whose lines are fields separated by runs of spaces.

    Fixed-width exports such as CDNOW's ``CDNOW_master.txt`` (`` 00001 19970101  1
    11.77``) come through a delimiter sniffer as one column. Only split when the
    header and every row have the same number of fields (no spaces inside values).
    """
    header = frame.columns[0].split()
    tokens = frame.to_series().str.extract_all(r"\S+")
    if len(header) < 2 or not (tokens.list.len() == len(header)).all():
        return None
    numeric = [re.fullmatch(r"[-+]?[\d.,]+", h) is not None for h in header]
    names = [f"column_{i + 1}" for i in range(len(header))] if any(numeric) else header
    if len(set(names)) != len(names):
        return None
    out = pl.DataFrame({n: tokens.list.get(i) for i, n in enumerate(names)})
    if any(numeric):  # the "header" was the first data line
        out = pl.concat([pl.DataFrame([header], schema=names, orient="row"), out])
    return out


def _no_options(options: Mapping[str, Any]) -> None:
    if options:
        msg = (
            f"read_table options ({', '.join(options)}) only apply to files; "
            "this source is already a table."
        )
        raise TypeError(msg)


def _from_pandas(frame: Any) -> pl.DataFrame:
    # Object columns may mix types (ints, then strings); read them as text so
    # nothing is emptied or truncated by type inference.
    data = frame.copy(deep=False)
    data.columns = [str(c) for c in data.columns]
    for name in data.columns:
        if data[name].dtype == object:
            data[name] = data[name].astype("string")
    return pl.from_pandas(data, include_index=False)


def _resolve_mapping(frame: pl.DataFrame, columns: Mapping[str, str] | None) -> dict[str, str]:
    names = frame.columns
    found = ", ".join(names) if names else "(none)"
    given = dict(columns or {})
    for canon, name in given.items():
        if canon not in CANONICAL:
            msg = (
                f"columns= has an unknown field {canon!r}. Known fields: "
                f"{', '.join(CANONICAL)}."
            )
            raise DataError(msg)
        if name not in names:
            msg = (
                f"columns={{{canon!r}: {name!r}}} names a column that does not exist. "
                f"Columns found: {found}."
            )
            raise DataError(msg)
    detected = detect_columns(names, frame.head(_DETECT_ROWS))
    claimed = set(given.values())
    mapping = {c: n for c, n in detected.items() if c not in given and n not in claimed}
    mapping.update(given)
    for canon in (CUSTOMER_ID, ORDER_DATE):
        if canon not in mapping:
            msg = (
                f"No column looks like {_WHAT[canon]}. Columns found: {found}. "
                f"Pass columns={{{canon!r}: ...}}."
            )
            raise DataError(msg)
    if AMOUNT not in mapping and "quantity" in mapping and "unit_price" not in mapping:
        msg = (
            f"No column looks like an amount or a unit price (found quantity "
            f"{mapping['quantity']!r}). Columns found: {found}. Pass columns={{'amount': ...}}."
        )
        raise DataError(msg)
    if AMOUNT not in mapping and "unit_price" not in mapping:
        msg = (
            f"No column looks like {_WHAT[AMOUNT]}. Columns found: {found}. "
            "Pass columns={'amount': ...}."
        )
        raise DataError(msg)
    return {c: mapping[c] for c in CANONICAL if c in mapping}


def _returns(
    frame: pl.DataFrame,
    mapping: Mapping[str, str],
    amount: pl.Series,
    quantity: pl.Series | None,
) -> tuple[pl.Series, tuple[str, ...]]:
    notes: list[str] = []
    flag = (amount < 0).fill_null(False)
    if quantity is not None:
        flag = flag | (quantity < 0).fill_null(False)
    if "order_id" in mapping:
        ids = clean_series(frame[mapping["order_id"]])
        # The UCI retail convention: C536379 cancels; only when plain ids are numbers.
        marker = ids.str.contains(r"^[Cc]\d+$").fill_null(False)
        if marker.any() and ids.str.contains(r"^\d+$").any():
            notes.append(
                f"{int(marker.sum()):,} rows have a cancellation marker ('C' before the order "
                f"id in {mapping['order_id']!r}) and are returns."
            )
            flag = flag | marker
    if "is_return" in mapping:
        text = clean_series(frame[mapping["is_return"]]).str.to_lowercase()
        yes = text.is_in(_TRUE).fill_null(False)
        unknown = ~text.is_in(_TRUE + _FALSE).fill_null(True)
        if unknown.any():
            notes.append(
                f"{int(unknown.sum()):,} values of the return flag {mapping['is_return']!r} "
                f"are neither yes nor no (e.g. {text.filter(unknown).item(0)!r}); "
                "read as not a return."
            )
        flag = flag | yes
    return flag.alias("is_return"), tuple(notes)


def _secondary_dates(values: pl.Series, order_dates: DateColumn) -> tuple[pl.Series, list[str]]:
    name = values.name
    try:
        col = detect_date_format(values, day_first=order_dates.day_first)
    except AmbiguousDatesError as err:
        return pl.Series(name, [None] * len(values), dtype=pl.Date), [
            f"{err} Left missing: order dates give no hint."
        ]
    except DataError as err:
        return pl.Series(name, [None] * len(values), dtype=pl.Date), [f"{err} Left missing."]
    notes = list(col.warnings)
    bad = int(col.invalid.sum())
    if bad:
        notes.append(f"{bad:,} values of {name!r} did not fit {col.format} (left missing).")
    return col.values.dt.date(), notes


def _mark_duplicates(frame: pl.DataFrame, reason: pl.Series) -> pl.Series:
    """Label repeats of an identical input row (all columns) among otherwise valid rows."""
    ok = reason.is_null()
    positions = ok.arg_true()
    if positions.is_empty() or frame.width == 0:
        return reason
    valid = frame.filter(ok)
    first = valid.select(pl.struct(pl.all()).is_first_distinct()).to_series()
    if first.all():
        return reason
    return reason.scatter(positions.filter(~first), "exact duplicate")
