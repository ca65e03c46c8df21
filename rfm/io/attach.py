"""A second table joined to the transactions: customer attributes, or returned orders.

Exports often come as several sheets: the orders, a table of customers (gender,
birth date, signup date, location, customer type) and a list of returned orders
(Superstore's Returns sheet). :func:`attach_customers` joins the first by customer
id and :func:`attach_returns` the second by order id; each says in an
:class:`AttachReport` what matched and what did not, so nothing is lost silently.

Ids are compared as text on both sides, as :func:`rfm.read_transactions` reads
them (``00123`` stays ``00123``; a spreadsheet's ``12346.0`` becomes ``12346``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from rfm.columns import CUSTOMER_ID
from rfm.errors import DataError
from rfm.io.detect import detect_columns, normalise_header
from rfm.io.parse import TRIMMED, clean_series, convert_ids, convert_numbers, detect_date_format
from rfm.io.table import RawTable

CUSTOMER_ATTRIBUTES = (
    "gender",
    "age",
    "birth_date",
    "signup_date",
    "customer_type",
    "country",
    "region",
    "state",
    "city",
)
"""Canonical columns :func:`attach_customers` takes from a customer table."""

_DATES = ("birth_date", "signup_date")
_TRUE = ("yes", "y", "true", "t", "1", "returned", "x", "ja", "oui", "si", "sí")
_FALSE = ("no", "n", "false", "f", "0", "nein", "non")
_RETURN_FLAG_HEADERS = ("returned", "return", "isreturn", "isreturned", "returnflag", "status")


@dataclass(frozen=True)
class AttachReport:
    """What joining a second table matched and did not.

    Attributes
    ----------
    table
        ``"customers"`` or ``"returns"``.
    key
        The canonical key (``customer_id`` or ``order_id``) and ``source_key`` the
        attached table's column it was read from.
    rows
        Rows in the attached table.
    keys
        Distinct keys the table lists (after dropping rows without one).
    matched, unmatched
        Of those keys, how many the transactions have, and how many they do not.
    missing_key
        Rows of the attached table without a key (not used).
    duplicate_keys
        Keys listed more than once; the first row of each is used.
    lines_matched
        Transaction lines that found a row in the table.
    lines_unmatched
        Transaction lines without one (customers without attributes, or lines of
        orders not returned).
    columns
        Canonical column -> the attached table's column, for what was added.
    lines_added
        Return lines added (:func:`attach_returns`); 0 for customers.
    returned_value
        Sum of the added return lines' amounts (negative); 0.0 for customers.
    warnings
        Everything else worth knowing, in words.
    """

    table: str
    key: str
    source_key: str
    rows: int
    keys: int
    matched: int
    unmatched: int
    missing_key: int = 0
    duplicate_keys: int = 0
    lines_matched: int = 0
    lines_unmatched: int = 0
    columns: Mapping[str, str] = field(default_factory=dict)
    lines_added: int = 0
    returned_value: float = 0.0
    warnings: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        """One sentence for the quality report.

        Examples
        --------
        >>> AttachReport(table="returns", key="order_id", source_key="Order ID", rows=3,
        ...              keys=3, matched=2, unmatched=1, lines_added=5).summary
        'Returns table: 2 of 3 order ids found in the transactions (1 not found); 5 return lines added.'
        """
        noun = self.key.replace("_", " ") + "s"
        text = (
            f"{self.table.capitalize()} table: {self.matched:,} of {self.keys:,} {noun} found in "
            f"the transactions ({self.unmatched:,} not found)"
        )
        if self.table == "returns":
            return f"{text}; {self.lines_added:,} return lines added."
        return f"{text}; {self.lines_unmatched:,} transaction lines without a match."

    def to_frame(self) -> pl.DataFrame:
        """The counts as a two-column table (``measure``, ``value``) for display."""
        rows = [
            (f"rows in the {self.table} table", self.rows),
            (f"{self.key}s listed", self.keys),
            (f"{self.key}s found in the transactions", self.matched),
            (f"{self.key}s not in the transactions", self.unmatched),
            (f"rows without {self.key} (not used)", self.missing_key),
            (f"{self.key}s listed more than once (first row used)", self.duplicate_keys),
            ("transaction lines matched", self.lines_matched),
            ("transaction lines not matched", self.lines_unmatched),
        ]
        if self.table == "returns":
            rows.append(("return lines added", self.lines_added))
        return pl.DataFrame(rows, schema=["measure", "value"], orient="row")


def _as_frame(table: pl.DataFrame | RawTable, what: str) -> pl.DataFrame:
    if isinstance(table, RawTable):
        return table.frame
    if isinstance(table, pl.DataFrame):
        return table
    msg = (
        f"Expected the {what} table as a polars DataFrame or an rfm.RawTable. Got "
        f"{type(table).__name__}. Read it first, e.g. rfm.read_table(data, sheet='...')."
    )
    raise DataError(msg)


def _check_transactions(transactions: pl.DataFrame, key: str) -> None:
    if not isinstance(transactions, pl.DataFrame) or key not in transactions.columns:
        found = ", ".join(getattr(transactions, "columns", [])) or "(none)"
        msg = (
            f"Expected transactions with a {key!r} column, as rfm.read_transactions returns "
            f"them. Columns found: {found}."
        )
        raise DataError(msg)


def _key_column(frame: pl.DataFrame, given: str | None, detected: str | None, key: str) -> str:
    if given is not None:
        if given not in frame.columns:
            msg = (
                f"The attached table has no column {given!r}. Columns found: "
                f"{', '.join(frame.columns)}."
            )
            raise DataError(msg)
        return given
    if detected is None:
        option = "on" if key == CUSTOMER_ID else "order_id"
        msg = (
            f"No column of the attached table looks like {key.replace('_', ' ')}. Columns "
            f"found: {', '.join(frame.columns)}. Pass {option}='<column>'."
        )
        raise DataError(msg)
    return detected


def _keys(values: pl.Series) -> tuple[pl.Series, tuple[str, ...]]:
    ids, notes = convert_ids(values)
    return ids.str.strip_chars(TRIMMED).replace("", None), notes


def attach_customers(
    transactions: pl.DataFrame,
    customers: pl.DataFrame | RawTable,
    *,
    on: str | None = None,
    columns: Mapping[str, str] | None = None,
    date_format: str | None = None,
) -> tuple[pl.DataFrame, AttachReport]:
    """Join a table of customer attributes to the transactions by customer id.

    Each transaction line gets its customer's attributes. Where the transactions
    already have a value (a per-order ``city``, say) it is kept, and the customer
    table fills only the missing ones: the line's own record is the more specific.

    Parameters
    ----------
    transactions
        Canonical transactions (:func:`rfm.read_transactions`).
    customers
        The customer table, one row per customer, as read (text columns are parsed
        here: numbers for ``age``, dates for ``birth_date`` and ``signup_date``).
    on
        The customer table's customer-id column; detected from its header if None.
    columns
        Canonical attribute -> the customer table's column, overriding detection
        (attributes are :data:`CUSTOMER_ATTRIBUTES`).
    date_format
        strftime format of the birth and signup dates when the data cannot tell
        (every day 12 or less).

    Returns
    -------
    (polars.DataFrame, AttachReport)
        The transactions with the attribute columns (same rows, same order), and
        what matched.

    Raises
    ------
    DataError
        No customer-id column, no attribute column, or a date column that mixes
        day-first and month-first values.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> import rfm
    >>> tx = pl.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "order_date": [dt.datetime(2024, 1, d) for d in (1, 5, 9)],
    ...                    "amount": [10.0, 5.0, 8.0]})
    >>> people = pl.DataFrame({"Customer ID": ["a", "z"], "Gender": ["F", "M"]})
    >>> joined, report = rfm.attach_customers(tx, people)
    >>> joined["gender"].to_list(), report.matched, report.unmatched, report.lines_unmatched
    (['F', 'F', None], 1, 1, 1)
    """
    _check_transactions(transactions, CUSTOMER_ID)
    table = _as_frame(customers, "customer")
    detected = detect_columns(table.columns)
    key_column = _key_column(
        table, on, (columns or {}).get(CUSTOMER_ID) or detected.get(CUSTOMER_ID), CUSTOMER_ID
    )
    unknown = [c for c in (columns or {}) if c not in (*CUSTOMER_ATTRIBUTES, CUSTOMER_ID)]
    if unknown:
        msg = (
            f"columns= names {', '.join(unknown)}, not a customer attribute. Expected some of "
            f"{', '.join(CUSTOMER_ATTRIBUTES)}."
        )
        raise DataError(msg)
    mapping = {
        canon: name
        for canon, name in detected.items()
        if canon in CUSTOMER_ATTRIBUTES and name != key_column
    }
    mapping.update({c: n for c, n in (columns or {}).items() if c != CUSTOMER_ID})
    missing_columns = [n for n in mapping.values() if n not in table.columns]
    if missing_columns:
        msg = (
            f"columns= names {', '.join(missing_columns)}, not in the customer table. Columns "
            f"found: {', '.join(table.columns)}."
        )
        raise DataError(msg)
    if not mapping:
        msg = (
            f"No column of the customer table looks like a customer attribute "
            f"({', '.join(CUSTOMER_ATTRIBUTES)}). Columns found: {', '.join(table.columns)}. "
            "Pass columns={'gender': '<column>', ...}."
        )
        raise DataError(msg)

    warnings: list[str] = []
    keys, notes = _keys(table[key_column])
    warnings += notes
    values: dict[str, pl.Series] = {CUSTOMER_ID: keys.alias(CUSTOMER_ID)}
    for canon, name in mapping.items():
        source = table[name]
        if canon == "age":
            ages = convert_numbers(source)
            if int(ages.invalid.sum()):
                warnings.append(
                    f"{int(ages.invalid.sum()):,} ages in {name!r} could not be read (left missing)."
                )
            values[canon] = ages.values.round(0).cast(pl.Int64).alias(canon)
        elif canon in _DATES:
            dates = detect_date_format(source, date_format=date_format)
            warnings += dates.warnings
            if int(dates.invalid.sum()):
                warnings.append(
                    f"{int(dates.invalid.sum()):,} values of {name!r} did not fit {dates.format} (left missing)."
                )
            parsed = dates.values
            values[canon] = (parsed.dt.date() if parsed.dtype != pl.Date else parsed).alias(canon)
        else:
            values[canon] = clean_series(source).alias(canon)
    attributes = pl.DataFrame(values)
    missing_key = int(attributes[CUSTOMER_ID].null_count())
    attributes = attributes.filter(pl.col(CUSTOMER_ID).is_not_null())
    duplicate_keys = int(
        attributes.filter(pl.col(CUSTOMER_ID).is_duplicated())[CUSTOMER_ID].n_unique()
    )
    if duplicate_keys:
        warnings.append(
            f"{duplicate_keys:,} customers are listed more than once in the customer table; "
            "the first row of each is used."
        )
    attributes = attributes.unique(CUSTOMER_ID, keep="first", maintain_order=True)

    key = "__attach_key"
    own_keys = transactions.select(pl.col(CUSTOMER_ID).cast(pl.String).alias(key))
    listed = attributes[CUSTOMER_ID]
    matched = int(listed.is_in(own_keys[key].unique().implode()).sum())
    added = [c for c in mapping if c in attributes.columns]
    joined = (
        transactions.with_columns(own_keys[key])
        .join(
            attributes.rename({CUSTOMER_ID: key, **{c: f"__attached_{c}" for c in added}}),
            on=key,
            how="left",
            maintain_order="left",
        )
        .drop(key)
    )
    hit = own_keys[key].is_in(listed.implode())
    kept_own = []
    for canon in added:
        attached = pl.col(f"__attached_{canon}")
        if canon in transactions.columns:
            own = pl.col(canon)
            if transactions[canon].null_count() < transactions.height:
                kept_own.append(canon)
            joined = joined.with_columns(
                own.fill_null(attached.cast(transactions.schema[canon])).alias(canon)
            )
        else:
            joined = joined.with_columns(attached.alias(canon))
        joined = joined.drop(f"__attached_{canon}")
    if kept_own:
        warnings.append(
            f"The transactions already had {', '.join(kept_own)}; their values were kept and "
            "the customer table filled only the missing ones."
        )
    lines_matched = int(hit.sum())
    report = AttachReport(
        table="customers",
        key=CUSTOMER_ID,
        source_key=key_column,
        rows=table.height,
        keys=listed.len(),
        matched=matched,
        unmatched=listed.len() - matched,
        missing_key=missing_key,
        duplicate_keys=duplicate_keys,
        lines_matched=lines_matched,
        lines_unmatched=transactions.height - lines_matched,
        columns={c: mapping[c] for c in added},
        warnings=tuple(warnings),
    )
    return joined, report


def attach_returns(
    transactions: pl.DataFrame,
    returns: pl.DataFrame | RawTable,
    *,
    order_id: str | None = None,
    returned: str | None = None,
) -> tuple[pl.DataFrame, AttachReport]:
    """Mark whole orders as returned, from a table of returned order ids.

    Superstore's Returns sheet lists orders returned whole (``Returned = Yes``,
    ``Order ID``) with no date or amount of its own. A returned order was still
    bought: its purchase lines stay as they are (it counts as an order, as the
    original invoice does when a UCI-style ``C`` invoice cancels it), and for each
    purchase line a return line is added -- same customer, order id, date and
    product, amount and quantity negated, ``is_return`` true. So the order's net
    revenue is zero, ``returns`` counts its lines, and every measure that reads
    ``is_return`` sees them. The return is dated on the order's date: the table
    gives no other. An order that already has return lines is left as it is (and
    counted), so attaching the same table twice changes nothing.

    Parameters
    ----------
    transactions
        Canonical transactions with ``order_id`` (:func:`rfm.read_transactions`).
    returns
        The returns table: one row per returned order.
    order_id
        Its order-id column; detected from the header if None.
    returned
        A yes/no column saying whether the order was returned (``Returned``);
        detected if None. Rows saying no are not returns; without such a column
        every listed order is.

    Returns
    -------
    (polars.DataFrame, AttachReport)
        The transactions with the return lines appended (original rows first, in
        their order) and ``is_return`` set on every line, and what matched.

    Raises
    ------
    DataError
        The transactions have no ``order_id``, the table has no order-id column, or
        the yes/no column holds other values.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> import rfm
    >>> tx = pl.DataFrame({"customer_id": ["a", "a", "b"], "order_id": ["o1", "o1", "o2"],
    ...                    "order_date": [dt.datetime(2024, 1, 1)] * 3,
    ...                    "amount": [10.0, 5.0, 8.0]})
    >>> returned = pl.DataFrame({"Returned": ["Yes", "Yes"], "Order ID": ["o1", "o9"]})
    >>> out, report = rfm.attach_returns(tx, returned)
    >>> out["amount"].to_list(), out["is_return"].to_list()
    ([10.0, 5.0, 8.0, -10.0, -5.0], [False, False, False, True, True])
    >>> report.matched, report.unmatched, report.lines_added, report.returned_value
    (1, 1, 2, -15.0)
    """
    _check_transactions(transactions, "order_id")
    table = _as_frame(returns, "returns")
    detected = detect_columns(table.columns)
    key_column = _key_column(table, order_id, detected.get("order_id"), "order_id")
    flag_column = returned
    if flag_column is None:
        flag_column = next(
            (
                name
                for name in table.columns
                if name != key_column and normalise_header(name) in _RETURN_FLAG_HEADERS
            ),
            None,
        )
    elif flag_column not in table.columns:
        msg = f"The returns table has no column {flag_column!r}. Columns found: {', '.join(table.columns)}."
        raise DataError(msg)

    warnings: list[str] = []
    keys, notes = _keys(table[key_column])
    warnings += notes
    listed = pl.DataFrame({"order_id": keys})
    if flag_column is not None:
        flags = clean_series(table[flag_column]).str.to_lowercase()
        yes, no = flags.is_in(list(_TRUE)), flags.is_in(list(_FALSE))
        odd = ~(yes | no) & flags.is_not_null()
        if odd.any():
            examples = ", ".join(
                repr(v) for v in flags.filter(odd).unique(maintain_order=True).head(3)
            )
            msg = (
                f"Expected yes/no values in the returns table's {flag_column!r} column but found "
                f"{examples}. Pass returned=None with a table of returned orders only, or "
                "returned='<column>' for the right column."
            )
            raise DataError(msg)
        not_returned = int(no.sum())
        if not_returned:
            warnings.append(
                f"{not_returned:,} rows of the returns table say the order was not returned."
            )
        listed = listed.filter(yes.fill_null(False))
    missing_key = int(listed["order_id"].null_count())
    listed = listed.drop_nulls()
    duplicate_keys = int(listed.filter(pl.col("order_id").is_duplicated())["order_id"].n_unique())
    listed = listed.unique(maintain_order=True)

    tx = transactions
    if "is_return" not in tx.columns:
        tx = tx.with_columns(pl.col("amount").lt(0).fill_null(False).alias("is_return"))
    order_key = pl.col("order_id").cast(pl.String)
    in_list = order_key.is_in(listed["order_id"].implode()).fill_null(False)
    matched_orders = tx.filter(in_list).select(order_key.unique()).height
    is_return = pl.col("is_return").fill_null(False)
    # An order that already has return lines (attached before, or returns recorded
    # under the same id) is left as it is: attaching twice must not return it twice.
    has_returns = tx.filter(in_list & is_return).select(order_key.unique()).to_series()
    settled = order_key.is_in(has_returns.implode()).fill_null(False)
    offsets = tx.filter(in_list & ~is_return & ~settled)
    if has_returns.len():
        warnings.append(
            f"{has_returns.len():,} returned orders already had return lines; they were left "
            "as they are (no second return)."
        )
    negate = [pl.col(c).abs().neg().alias(c) for c in ("amount", "quantity") if c in tx.columns]
    offsets = offsets.with_columns(*negate, pl.lit(True).alias("is_return"))
    out = pl.concat([tx, offsets], how="vertical")
    lines_matched = int(tx.select(in_list.sum()).item())
    report = AttachReport(
        table="returns",
        key="order_id",
        source_key=key_column,
        rows=table.height,
        keys=listed.height,
        matched=matched_orders,
        unmatched=listed.height - matched_orders,
        missing_key=missing_key,
        duplicate_keys=duplicate_keys,
        lines_matched=lines_matched,
        lines_unmatched=tx.height - lines_matched,
        columns={"is_return": flag_column or key_column},
        lines_added=offsets.height,
        returned_value=float(offsets["amount"].sum()),
        warnings=tuple(warnings),
    )
    return out, report
