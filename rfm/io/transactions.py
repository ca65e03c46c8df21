"""``read_transactions``: any table of orders -> canonical transactions + a quality report."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import polars as pl

from rfm.columns import AMOUNT, CANONICAL, CUSTOMER_ID, ORDER_DATE, TEXT
from rfm.errors import AmbiguousDatesError, DataError
from rfm.io import shops
from rfm.io.detect import detect_columns
from rfm.io.dialect import unique_names
from rfm.io.parse import (
    DateColumn,
    Decimal,
    NumberColumn,
    clean_columns,
    clean_series,
    convert_ids,
    convert_numbers,
    detect_currency,
    detect_date_format,
    other_order,
    strptime,
)
from rfm.io.table import RawTable, read_table
from rfm.quality import QualityReport

__all__ = ["ReadResult", "detect_columns", "read_transactions"]

_TRUE = ("true", "t", "yes", "y", "1", "return", "returned", "r", "x", "refund", "refunded")
_FALSE = ("false", "f", "no", "n", "0", "sale", "")
_TYPED = frozenset(
    {AMOUNT, "quantity", "unit_price", "age", ORDER_DATE, "birth_date", "signup_date"}
)
_DETECT_ROWS = 2000
_NOT_CHOSEN = "date not in the chosen format"
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
    drop_duplicates: bool | None = None,
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
    drop_duplicates : bool, optional
        Exclude repeats of an identical input row (every column equal) as
        ``"exact duplicate"``. By default (None) they are excluded only when the
        rows can tell two purchases apart — they carry an order id or a time of
        day — because in a log of bare dates identical lines are most likely real
        repeat purchases on the same day (CDNOW has 255 such lines); they are then
        kept and a warning counts them. A shop platform's order export
        (:mod:`rfm.io.shops`) keeps them too: it lists each line item of an order,
        so two identical lines of one order are two items. True or False forces
        either way.
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
    # No rechunk: copying every column costs more than the chunked kernels lose.
    frame = loaded.frame
    warnings: list[str] = list(loaded.warnings)
    layout = shops.detect_layout(frame.columns)
    if layout is not None:
        frame, fill_notes = shops.fill_orders(frame, layout)
        warnings += fill_notes
    mapping = _resolve_mapping(frame, columns)
    shop = _shop_layout(layout, frame.columns, mapping)
    if layout is not None and shop is None:
        warnings.append(
            f"The columns look like a {layout.name}, but the mapping does not read its line "
            "items (order id, line quantity and price); refunds and unpaid orders are not "
            "applied."
        )
    if columns is None or any(c not in columns for c in mapping):
        detected_by_content = (
            set(mapping.values())
            - set(detect_columns(frame.columns).values())
            - set((columns or {}).values())
        )
        warnings += [
            f"{canon} was recognised from the content of column {name!r} (its header "
            "says nothing); check it, or pass columns=."
            for canon, name in mapping.items()
            if name in detected_by_content
        ]

    # Trim and null the missing markers of every text column used, in one
    # parallel pass over the columns. Number and date columns are left out: they
    # are parsed from the raw text first and cleaned only if that fails.
    used = [
        name
        for name in dict.fromkeys(mapping.values())
        if frame[name].dtype == pl.String
        and any(c not in _TYPED for c, n in mapping.items() if n == name)
    ]
    text: dict[str, pl.Series] = {}

    def column_for(canon: str) -> pl.Series:
        return text[canon] if canon in text else frame[mapping[canon]]

    def clean() -> None:
        cleaned = clean_columns(frame, used)
        text.update({canon: cleaned[name] for canon, name in mapping.items() if name in used})

    def date_columns() -> tuple[DateColumn, dict[str, pl.Series], list[str]]:
        try:
            dates = detect_date_format(
                column_for(ORDER_DATE), date_format=date_format, cleaned=ORDER_DATE in text
            )
        except DataError as error:
            error.field = error.field or ORDER_DATE
            raise
        others: dict[str, pl.Series] = {}
        notes: list[str] = []
        for canon in ("birth_date", "signup_date"):
            if canon in mapping:
                values, date_notes = _secondary_dates(column_for(canon), dates, canon in text)
                notes += date_notes
                others[canon] = values.alias(canon)
        return dates, others, notes

    # Dates and row hashes read the raw columns: a second thread works them out
    # while this one cleans text and converts numbers (polars releases the GIL, so
    # the two run side by side). Dates mapped from a cleaned column wait for it.
    dated_text = any(mapping.get(c) in used for c in (ORDER_DATE, "birth_date", "signup_date"))
    with ThreadPoolExecutor(max_workers=1) as pool:
        if dated_text:
            clean()
        dates_job = pool.submit(date_columns)
        hashes_job = pool.submit(frame.hash_rows)
        try:
            if not dated_text:
                clean()
            out, amounts, notes = _convert(column_for, text, mapping, decimal, frame)
        except BaseException:
            hashes_job.cancel()
            dates_job.result()  # a date error comes first, as it did in sequence
            raise
        dates, secondary, date_notes = dates_job.result()
        hashes = hashes_job.result()
    amount_missing, amount_invalid = amounts
    merged, merge_note = _merged_ids(frame[mapping[CUSTOMER_ID]], column_for(CUSTOMER_ID))
    warnings += merge_note
    money = next((c for c in (AMOUNT, "unit_price") if c in mapping), None)
    currency = detect_currency(column_for(money)) if money is not None else None
    warnings += notes[0]
    warnings += dates.warnings
    if any("%z" in f for f in dates.formats):
        warnings.append(
            "Order dates carry a UTC offset (e.g. -0500); each is read as the local date and "
            "time written before it (the customer's calendar day), not converted to UTC."
        )
    if len(dates.formats) > 1:
        warnings.append(
            f"Order dates read with {len(dates.formats)} formats: " + ", ".join(dates.formats)
        )
    warnings += notes[1] + date_notes
    out[ORDER_DATE] = dates.values.alias(ORDER_DATE)
    out.update(secondary)

    reason = pl.select(
        pl.when(pl.lit(out[CUSTOMER_ID]).is_null())
        .then(pl.lit("missing customer id"))
        .when(pl.lit(dates.missing))
        .then(pl.lit("missing date"))
        .when(pl.lit(dates.invalid))
        .then(pl.lit(_NOT_CHOSEN if date_format is not None else "unparseable date"))
        .when(pl.lit(amount_invalid))
        .then(pl.lit("invalid amount"))
        .when(pl.lit(amount_missing) | pl.lit(out[AMOUNT]).is_null())
        .then(pl.lit("missing amount"))
    ).to_series()
    status: pl.Series | None = None
    if shop is not None:
        status, status_notes = shops.set_aside(frame, shop)
        if status is not None:
            reason = reason.fill_null(status)
            warnings += status_notes
    if drop_duplicates is None:
        # A shop export writes every line item the order holds: two identical lines
        # of one order are two items (its subtotal counts both), not a copy.
        drop_duplicates = shop is None and (
            "order_id" in mapping or _has_time_of_day(out[ORDER_DATE])
        )
    if drop_duplicates:
        reason = _mark_duplicates(frame, hashes, reason)
    else:
        # scatter works in place, so mark a copy.
        marked = _mark_duplicates(frame, hashes, reason.clone())
        repeats = int((marked.is_not_null() & reason.is_null()).sum())
        if repeats and shop is not None:
            warnings.append(
                f"{repeats:,} line items repeat an identical line of the same order and were "
                f"kept: a {shop.name} lists each line item of an order, so they are items "
                "bought twice; pass drop_duplicates=True to exclude them."
            )
        elif repeats:
            warnings.append(
                f"{repeats:,} rows repeat an identical earlier row and were kept as separate "
                "purchases (there is no order id or time of day to tell them apart); pass "
                "drop_duplicates=True to exclude them."
            )

    if date_format is not None and dates.invalid.any():
        note = _set_aside_dates(column_for(ORDER_DATE), reason, date_format)
        warnings += [note] if note else []

    order = [CUSTOMER_ID, ORDER_DATE, AMOUNT, "is_return"]
    order += [c for c in CANONICAL if c in out and c not in order]
    transactions = _drop_rows(pl.DataFrame([out[c] for c in order]), reason.is_not_null())
    rows_kept = transactions.height
    returns = int(transactions["is_return"].sum())
    if shop is not None:
        line_amount = (
            f"{mapping[AMOUNT]!r}"
            if AMOUNT in mapping
            else f"{mapping['quantity']!r} x {mapping['unit_price']!r}"
        )
        warnings += shops.totals_note(transactions, frame, out["order_id"], shop, line_amount)
        if status is not None:
            warnings += shops.customers_without_sales(
                out[CUSTOMER_ID], status, transactions[CUSTOMER_ID]
            )
        refunds, refund_notes = shops.refund_lines(transactions, frame, out["order_id"], shop)
        warnings += refund_notes
        if refunds.height:
            transactions = pl.concat([transactions, refunds])
        code, currency_notes = shops.order_currency(frame, shop)
        currency = currency or code
        warnings += currency_notes
    excluded = dict(loaded.rejected)
    counts = reason.drop_nulls().value_counts(sort=True)
    for why, n in counts.iter_rows():
        excluded[why] = excluded.get(why, 0) + int(n)
    report = QualityReport(
        rows_read=frame.height + sum(loaded.rejected.values()),
        rows_kept=rows_kept,
        excluded=excluded,
        returns=returns,
        rows_added=transactions.height - rows_kept,
        columns=dict(mapping),
        date_format=dates.format,
        date_ambiguous=dates.ambiguous,
        encoding=loaded.encoding,
        delimiter=loaded.delimiter,
        currency=currency,
        ids_merged=merged,
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


def _shop_layout(
    layout: shops.ShopLayout | None, names: list[str], mapping: Mapping[str, str]
) -> shops.ShopLayout | None:
    """The shop layout, when the mapping reads its line items (else None)."""
    if layout is None:
        return None
    own = layout.columns(names)
    reads = [c for c in ("order_id", AMOUNT, "quantity", "unit_price") if c in own]
    if mapping.get(AMOUNT) != own.get(AMOUNT) or not all(mapping.get(c) == own[c] for c in reads):
        return None
    return layout if AMOUNT in mapping or "quantity" in mapping else None


def _merged_ids(raw: pl.Series, cleaned: pl.Series) -> tuple[int, list[str]]:
    """How many id spellings became another id once trimmed, with a note saying so.

    ``' 12346'``, ``'12346\\t'`` and ``'\\u200b12346'`` are customer ``'12346'``:
    merging them is right, but the customer count drops, so the report says why.
    """
    if raw.dtype != pl.String or cleaned.dtype != pl.String:
        return 0, []
    trimmed = raw.ne_missing(cleaned) & cleaned.is_not_null()
    if not trimmed.any():
        return 0, []
    targets = cleaned.filter(trimmed).unique()
    pairs = (
        pl.DataFrame({"raw": raw, "id": cleaned})
        .filter(pl.col("id").is_in(targets.implode()))
        .unique(maintain_order=True)
    )
    merged = pairs.height - pairs["id"].n_unique()
    if not merged:
        return 0, []  # every spelling of those ids was padded the same way
    shared = pairs.filter(pl.col("id").is_duplicated() & (pl.col("raw") != pl.col("id")))
    before, after = shared.row(0)
    note = (
        f"{merged:,} customer ids merged with another after trimming spaces or invisible "
        f"characters (zero-width space, no-break space, byte-order mark), e.g. {before!r} -> "
        f"{after!r}: they are read as the same customer."
    )
    return merged, [note]


def _set_aside_dates(values: pl.Series, reason: pl.Series, date_format: str) -> str | None:
    """Say how many rows were set aside because their order date is not in the chosen format."""
    chosen = (reason == _NOT_CHOSEN).fill_null(False)
    n = int(chosen.sum())
    if not n:
        return None
    bad = values.filter(chosen)
    note = (
        f"{n:,} rows set aside because their order date does not read as {date_format} "
        f"(the format chosen), e.g. {bad.item(0)!r}"
    )
    mirror = other_order(date_format)
    if mirror is not None:
        text = (bad if bad.dtype == pl.String else bad.cast(pl.String)).str.strip_chars()
        other = int(pl.select(strptime(pl.lit(text), mirror).is_not_null().sum()).item())
        if other:
            note += f"; {other:,} of them read as {mirror} (the other order)"
    return note + "."


def _convert(
    column_for: Callable[[str], pl.Series],
    text: Mapping[str, pl.Series],
    mapping: Mapping[str, str],
    decimal: Decimal | None,
    frame: pl.DataFrame,
) -> tuple[dict[str, pl.Series], tuple[pl.Series, pl.Series], tuple[list[str], list[str]]]:
    """Every output column but the dates.

    Returns the columns, the amount's missing and invalid masks, and the notes that
    come before and after the date notes in the report.
    """
    before: list[str] = []
    after: list[str] = []
    out: dict[str, pl.Series] = {}
    customer, notes = convert_ids(column_for(CUSTOMER_ID), cleaned=CUSTOMER_ID in text)
    before += notes
    out[CUSTOMER_ID] = customer.alias(CUSTOMER_ID)

    numbers: dict[str, NumberColumn] = {
        canon: convert_numbers(column_for(canon), decimal=decimal, cleaned=canon in text)
        for canon in (AMOUNT, "quantity", "unit_price")
        if canon in mapping
    }
    for column in numbers.values():
        after += column.warnings
    amount, amount_missing, amount_invalid, amount_notes = _amounts(numbers, mapping)
    after += amount_notes
    for canon in ("quantity", "unit_price"):
        if canon in numbers:
            out[canon] = numbers[canon].values.alias(canon)

    order_ids = None
    if "order_id" in mapping:
        order_ids, notes = convert_ids(column_for("order_id"), cleaned="order_id" in text)
        after += notes
        out["order_id"] = order_ids.alias("order_id")
    flags = column_for("is_return") if "is_return" in mapping else None
    is_return, notes = _returns(mapping, amount, out.get("quantity"), order_ids, flags)
    after += notes
    # Returns carry negative amounts (and quantities), whatever sign they came with.
    signed = {AMOUNT: amount, **({"quantity": out["quantity"]} if "quantity" in out else {})}
    flipped = int((is_return & (amount > 0)).sum())
    if flipped:
        after.append(f"{flipped:,} returns given with a positive amount were made negative.")
    for canon, values in signed.items():
        if not (is_return & (values > 0)).any():  # already negative (or zero)
            out[canon] = values.alias(canon)
            continue
        out[canon] = (
            pl.select(
                pl.when(pl.lit(is_return)).then(-pl.lit(values).abs()).otherwise(pl.lit(values))
            )
            .to_series()
            .alias(canon)
        )
    out["is_return"] = is_return.alias("is_return")

    for canon in TEXT:
        if canon in mapping:
            values = column_for(canon) if canon in text else clean_series(frame[mapping[canon]])
            out[canon] = values.alias(canon)
    if "age" in mapping:
        ages = convert_numbers(column_for("age"), decimal=decimal, cleaned="age" in text)
        bad = int(ages.invalid.sum())
        if bad:
            after.append(f"{bad:,} ages in {mapping['age']!r} could not be read (left missing).")
        out["age"] = ages.values.round(0).cast(pl.Int64).alias("age")
    return out, (amount_missing, amount_invalid), (before, after)


def _amounts(
    numbers: Mapping[str, NumberColumn], mapping: Mapping[str, str]
) -> tuple[pl.Series, pl.Series, pl.Series, list[str]]:
    """The amount with its missing and invalid masks: given, derived, or the price."""
    if AMOUNT in numbers:
        given = numbers[AMOUNT]
        notes = [
            f"{int(numbers[c].invalid.sum()):,} {c} values in {mapping[c]!r} could not be read "
            "as numbers and are left missing (the rows are kept: they have an amount)."
            for c in ("quantity", "unit_price")
            if c in numbers and numbers[c].invalid.any()
        ]
        return given.values, given.missing, given.invalid, notes
    if "quantity" in numbers:
        qty, price = numbers["quantity"], numbers["unit_price"]
        invalid = qty.invalid | price.invalid
        note = (
            f"amount derived as quantity x unit_price ({mapping['quantity']!r} x "
            f"{mapping['unit_price']!r})."
        )
        return qty.values * price.values, (qty.missing | price.missing) & ~invalid, invalid, [note]
    price = numbers["unit_price"]
    note = f"amount taken from the price column {mapping['unit_price']!r} (no quantity column)."
    return price.values, price.missing, price.invalid, [note]


def _load(source: Any, options: Mapping[str, Any]) -> _Source:
    if isinstance(source, pl.LazyFrame):
        source = source.collect()
    if isinstance(source, pl.DataFrame):
        _no_options(options)
        return _Source(source, {}, None, None, ())
    if type(source).__module__.split(".")[0] == "pandas":
        _no_options(options)
        names, notes = unique_names([str(c) for c in source.columns])
        return _Source(_from_pandas(source, names), {}, None, None, tuple(notes))
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
    header_given = options.get("header_row") is not None
    if raw.source_format == "csv" and not header_given and _header_is_data(frame.columns):
        first = pl.DataFrame([frame.columns], schema=frame.columns, orient="row")
        names = [f"column_{i + 1}" for i in range(frame.width)]
        frame = pl.concat([first, frame]).rename(dict(zip(frame.columns, names, strict=True)))
        warnings.append(
            "The first line looks like data, not a header; it was read as a row and the "
            f"columns named column_1 .. column_{frame.width}."
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


_DATA_LIKE = re.compile(
    r"[-+(]?[$€£]?\d[\d.,]*\)?"  # numbers, currency amounts
    r"|\d{4}-\d{1,2}-\d{1,2}(?:[ T][\d:.]+)?"  # ISO dates
    r"|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?: [\d:]+)?"  # d/m/y or m/d/y
)


def _header_is_data(names: list[str]) -> bool:
    """Whether a "header" is really the first data row: most names are numbers or dates.

    Names the table reader made up or de-duplicated (``column_3``, ``id_2``) are not
    the original text, so a header with those is never turned back into a row.
    """
    if any(re.fullmatch(r".*_\d+", n) for n in names):
        return False
    data_like = sum(_DATA_LIKE.fullmatch(n.strip()) is not None for n in names)
    return data_like >= max(2, (len(names) + 1) // 2)


def _no_options(options: Mapping[str, Any]) -> None:
    if options:
        msg = (
            f"read_table options ({', '.join(options)}) only apply to files; "
            "this source is already a table."
        )
        raise TypeError(msg)


def _from_pandas(frame: Any, names: list[str]) -> pl.DataFrame:
    # Object columns may mix types (ints, then strings); read them as text so
    # nothing is emptied or truncated by type inference.
    data = frame.copy(deep=False)
    data.columns = names
    for name in names:
        if data[name].dtype == object:
            data[name] = data[name].astype("string")
    return pl.from_pandas(data, include_index=False)


def _resolve_mapping(frame: pl.DataFrame, columns: Mapping[str, str] | None) -> dict[str, str]:
    names = frame.columns
    found = ", ".join(names) if names else "(none)"
    given = dict(columns or {})
    for canon, name in given.items():
        if canon not in CANONICAL:
            msg = f"columns= has an unknown field {canon!r}. Known fields: {', '.join(CANONICAL)}."
            raise DataError(
                msg,
                field=canon,
                expected="a known field",
                found=f"unknown field {canon!r}",
                choices=tuple(CANONICAL),
            )
        if name not in names:
            msg = (
                f"columns={{{canon!r}: {name!r}}} names a column that does not exist. "
                f"Columns found: {found}."
            )
            raise DataError(
                msg,
                field=canon,
                column=name,
                expected="a column of the file",
                found=f"no column named {name!r}",
                choices=tuple(names),
            )
    detected = detect_columns(names, frame.head(_DETECT_ROWS))
    claimed = set(given.values())
    mapping = {c: n for c, n in detected.items() if c not in given and n not in claimed}
    mapping.update(given)
    # Columns the analyst may pick for a missing field: any not read as another
    # required field (a column detected as, say, the country may be the id).
    taken = {mapping[c] for c in (CUSTOMER_ID, ORDER_DATE, AMOUNT) if c in mapping}
    free = tuple(n for n in names if n not in taken)
    for canon in (CUSTOMER_ID, ORDER_DATE):
        if canon not in mapping:
            msg = (
                f"No column looks like {_WHAT[canon]}. Columns found: {found}. "
                f"Pass columns={{{canon!r}: ...}}."
            )
            raise _missing(msg, canon, free)
    if AMOUNT not in mapping and "quantity" in mapping and "unit_price" not in mapping:
        msg = (
            f"No column looks like an amount or a unit price (found quantity "
            f"{mapping['quantity']!r}). Columns found: {found}. Pass columns={{'amount': ...}}."
        )
        raise _missing(msg, AMOUNT, free)
    if AMOUNT not in mapping and "unit_price" not in mapping:
        msg = (
            f"No column looks like {_WHAT[AMOUNT]}. Columns found: {found}. "
            "Pass columns={'amount': ...}."
        )
        raise _missing(msg, AMOUNT, free)
    return {c: mapping[c] for c in CANONICAL if c in mapping}


def _missing(message: str, canon: str, free: tuple[str, ...]) -> DataError:
    return DataError(
        message,
        field=canon,
        expected=f"{_WHAT[canon]} column",
        found="no column that looks like one",
        choices=free,
    )


def _returns(
    mapping: Mapping[str, str],
    amount: pl.Series,
    quantity: pl.Series | None,
    ids: pl.Series | None,
    flags: pl.Series | None,
) -> tuple[pl.Series, tuple[str, ...]]:
    notes: list[str] = []
    flag = (amount < 0).fill_null(False)
    if quantity is not None:
        flag = flag | (quantity < 0).fill_null(False)
    if ids is not None:
        # The UCI retail convention: C536379 cancels; only when plain ids are numbers.
        marker = (ids.str.starts_with("C") | ids.str.starts_with("c")).fill_null(False)
        plain = False
        if marker.any():
            # Regexes only on the few candidate rows and on a sample of the others.
            where = marker.arg_true()
            exact = ids.gather(where).str.contains(r"^[Cc]\d+$")
            marker = pl.repeat(False, len(ids), eager=True).scatter(where.filter(exact), True)
            plain = _first_present(ids, ~marker, 10_000).str.contains(r"^\d+$").any()
        if marker.any() and plain:
            notes.append(
                f"{int(marker.sum()):,} rows have a cancellation marker ('C' before the order "
                f"id in {mapping['order_id']!r}) and are read as returns (counted before any "
                "row is set aside; the returns kept are counted in the report)."
            )
            flag = flag | marker
    if flags is not None:
        # Text columns arrive cleaned; a typed (Boolean, 0/1) column becomes text here.
        text = flags if flags.dtype == pl.String else clean_series(flags)
        # The words are lower case: lower-case the column only if some value is unknown.
        known = text.is_in(_TRUE + _FALSE).fill_null(True)
        if not known.all():
            text = text.str.to_lowercase()
            known = text.is_in(_TRUE + _FALSE).fill_null(True)
        yes = text.is_in(_TRUE).fill_null(False)
        unknown = ~known
        if unknown.any():
            notes.append(
                f"{int(unknown.sum()):,} values of the return flag {mapping['is_return']!r} "
                f"are neither yes nor no (e.g. {text.filter(unknown).item(0)!r}); "
                "read as not a return."
            )
        flag = flag | yes
    return flag.alias("is_return"), tuple(notes)


def _first_present(values: pl.Series, where: pl.Series, n: int) -> pl.Series:
    """The first ``n`` non-null ``values`` where ``where`` holds, in order.

    Looks at a head window first: filtering the whole column copies it.
    """
    window = 10 * n
    if len(values) > window:
        head = values.head(window).filter(where.head(window)).drop_nulls()
        if head.len() >= n:
            return head.head(n)
    return values.filter(where).drop_nulls().head(n)


def _secondary_dates(
    values: pl.Series, order_dates: DateColumn, cleaned: bool
) -> tuple[pl.Series, list[str]]:
    name = values.name
    try:
        col = detect_date_format(values, day_first=order_dates.day_first, cleaned=cleaned)
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


_MAX_PIECES = 1000


def _drop_rows(frame: pl.DataFrame, drop: pl.Series) -> pl.DataFrame:
    """``frame`` without the rows ``drop`` marks.

    A few dropped rows (a handful of duplicates in millions) are cut out by
    slicing around them: slices share memory, whereas a filter copies every
    column (seconds on a wide frame of 10M text rows).
    """
    where = drop.arg_true()
    if where.is_empty():
        return frame
    # Runs of consecutive dropped rows cost one cut each.
    starts = where.filter(where.diff().fill_null(0) != 1)
    if starts.len() > _MAX_PIECES:
        return frame.filter(~drop)
    ends = where.filter(where.diff(-1).fill_null(0) != -1) + 1
    pieces, start = [], 0
    for first, end in zip(starts.to_list(), ends.to_list(), strict=True):
        if first > start:
            pieces.append(frame.slice(start, first - start))
        start = end
    if start < frame.height:
        pieces.append(frame.slice(start))
    return pl.concat(pieces, rechunk=False) if pieces else frame.clear()


def _has_time_of_day(order_dates: pl.Series) -> bool:
    """Whether any order timestamp is not at midnight (the log records times, not just days)."""
    return bool((order_dates.dt.time() != dt.time(0)).any())


def _mark_duplicates(frame: pl.DataFrame, hashes: pl.Series, reason: pl.Series) -> pl.Series:
    """Label repeats of an identical input row (all columns) among otherwise valid rows.

    ``hashes`` is ``frame.hash_rows()``. Row hashes find the candidates cheaply (sorting 64-bit hashes, not hashing
    wide rows into a table); the exact comparison then runs on the candidates only,
    so a hash collision can never drop a row.
    """
    ok = reason.is_null()
    positions = ok.arg_true()
    if positions.len() < 2 or frame.width == 0:
        return reason
    if positions.len() < len(reason):
        hashes = hashes.filter(ok)
    # Sorting the hashes finds the repeated ones (usually none) at the cost of an
    # n_unique; a set lookup of those few then marks every row that shares one.
    ordered = hashes.sort()
    repeated = ordered.filter(ordered == ordered.shift(1))
    if repeated.is_empty():
        return reason
    candidates = positions.filter(hashes.is_in(repeated.unique().implode()))
    first = frame[candidates].select(pl.struct(pl.all()).is_first_distinct()).to_series()
    if first.all():
        return reason
    return reason.scatter(candidates.filter(~first), "exact duplicate")
