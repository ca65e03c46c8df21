"""Narrow the transactions to one view: a date range, countries, categories, genders, age
groups and RFM segments.

Transaction attributes (date, country, category, gender, age group) select rows. Segments
are a property of customers, computed by :func:`rfm.segment` on the transactions left by
the other filters; the segment filter then keeps the customers in the chosen segments
(with all their remaining transactions). Segments are *not* recomputed on that final
subset: re-scoring only the Champions would spread them over all segments again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import polars as pl

from rfm.errors import DataError
from rfm.scoring import score
from rfm.segments import segment
from rfm.summary import summarize

__all__ = [
    "AGE_GROUPS",
    "FilterOptions",
    "FilteredData",
    "Filters",
    "age_group",
    "apply_filters",
    "filter_options",
    "filter_transactions",
]

AGE_GROUPS: Final = ("Under 25", "25-34", "35-44", "45-54", "55-64", "65+")
"""Age-group labels, youngest first. Lower bounds: 25, 35, 45, 55, 65 (years, inclusive)."""

_AGE_BREAKS: Final = (25, 35, 45, 55, 65)

# filter name -> the transaction column it needs (age groups come from age or birth_date).
_COLUMN: Final = {"countries": "country", "categories": "category", "genders": "gender"}


@dataclass(frozen=True)
class Filters:
    """One view of the data. ``None`` (or an empty tuple) means "no filter".

    Hashable, so the app can use it as part of a cache key.

    Attributes
    ----------
    date_range : tuple of date, optional
        First and last order day, both included.
    countries, categories, genders, age_groups, segments : tuple of str
        Keep rows whose value is one of these. Age groups are :data:`AGE_GROUPS` labels.
    """

    date_range: tuple[dt.date, dt.date] | None = None
    countries: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    genders: tuple[str, ...] = ()
    age_groups: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        """True when at least one filter narrows the data."""
        return self.date_range is not None or any(
            (self.countries, self.categories, self.genders, self.age_groups, self.segments)
        )


@dataclass(frozen=True)
class FilteredData:
    """The transactions and the segmented customers of one view.

    Attributes
    ----------
    transactions : DataFrame
        Rows that pass every filter.
    customers : DataFrame
        ``rfm.segment(rfm.score(rfm.summarize(...)))`` of the transactions that pass the
        row filters, restricted to the chosen segments.
    """

    transactions: pl.DataFrame
    customers: pl.DataFrame


@dataclass(frozen=True)
class FilterOptions:
    """What each filter can choose from in a transaction table (empty: column absent)."""

    first_day: dt.date | None
    last_day: dt.date | None
    countries: tuple[str, ...]
    categories: tuple[str, ...]
    genders: tuple[str, ...]
    age_groups: tuple[str, ...]


def age_group(columns: Sequence[str], *, as_of: dt.date | None = None) -> pl.Expr | None:
    """Expression labelling each row with its :data:`AGE_GROUPS` label.

    Uses ``age`` when present, else the whole years from ``birth_date`` to ``as_of``
    (default: each row's order day, so nothing depends on today). Rows without an age
    give null.

    Parameters
    ----------
    columns
        The transaction table's column names.
    as_of
        Day at which ages are measured from ``birth_date``. Default: each row's order day.

    Returns
    -------
    Expr or None
        ``None`` when the table has neither ``age`` nor ``birth_date``.

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"age": [19, 25, 34, 70, None]})
    >>> frame.select(age_group(frame.columns))["age_group"].to_list()
    ['Under 25', '25-34', '25-34', '65+', None]
    """
    if "age" in columns:
        years = pl.col("age").cast(pl.Int64)
    elif "birth_date" in columns:
        birth = pl.col("birth_date").cast(pl.Date)
        day = (
            pl.lit(as_of, dtype=pl.Date)
            if as_of is not None
            else pl.col("order_date").cast(pl.Date)
        )
        # Whole years: subtract one when the birthday has not come yet that year.
        before_birthday = (day.dt.month() < birth.dt.month()) | (
            (day.dt.month() == birth.dt.month()) & (day.dt.day() < birth.dt.day())
        )
        years = (day.dt.year() - birth.dt.year()).cast(pl.Int64) - before_birthday.cast(pl.Int64)
    else:
        return None
    # The group index is the number of lower bounds reached (25 is already "25-34").
    index = pl.sum_horizontal([(years >= lower).cast(pl.Int64) for lower in _AGE_BREAKS])
    label = index.replace_strict(dict(enumerate(AGE_GROUPS)), return_dtype=pl.String)
    return pl.when(years.is_not_null()).then(label).alias("age_group")


def _sorted_values(frame: pl.DataFrame, column: str) -> tuple[str, ...]:
    if column not in frame.columns:
        return ()
    values = frame.get_column(column).cast(pl.String).drop_nulls().unique().sort()
    return tuple(value for value in values.to_list() if value.strip())


def filter_options(transactions: pl.DataFrame) -> FilterOptions:
    """The date span and the distinct values each filter can pick from.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> tx = pl.DataFrame({
    ...     "customer_id": ["a", "b"], "amount": [1.0, 2.0],
    ...     "order_date": [dt.datetime(2024, 1, 5), dt.datetime(2024, 3, 1)],
    ...     "country": ["France", "Chile"],
    ... })
    >>> options = filter_options(tx)
    >>> options.first_day, options.last_day, options.countries, options.genders
    (datetime.date(2024, 1, 5), datetime.date(2024, 3, 1), ('Chile', 'France'), ())
    """
    days = transactions.select(
        pl.col("order_date").cast(pl.Date).min().alias("first"),
        pl.col("order_date").cast(pl.Date).max().alias("last"),
    ).row(0)
    expr = age_group(transactions.columns)
    present: tuple[str, ...] = ()
    if expr is not None:
        seen = set(transactions.select(expr).get_column("age_group").drop_nulls().to_list())
        present = tuple(name for name in AGE_GROUPS if name in seen)
    return FilterOptions(
        first_day=days[0],
        last_day=days[1],
        countries=_sorted_values(transactions, "country"),
        categories=_sorted_values(transactions, "category"),
        genders=_sorted_values(transactions, "gender"),
        age_groups=present,
    )


def _describe(filters: Filters) -> str:
    parts = (
        []
        if filters.date_range is None
        else [f"orders {filters.date_range[0]} to {filters.date_range[1]}"]
    )
    for name in ("countries", "categories", "genders", "age_groups", "segments"):
        values: tuple[str, ...] = getattr(filters, name)
        if values:
            parts.append(f"{name.replace('_', ' ')}: {', '.join(values)}")
    return "; ".join(parts) or "no filter"


def _need(transactions: pl.DataFrame, column: str, what: str) -> None:
    if column not in transactions.columns:
        msg = (
            f"Filtering by {what} needs a '{column}' column. Columns found: "
            f"{', '.join(transactions.columns)}. Map a {column} column when reading the "
            f"data, or drop the {what} filter."
        )
        raise DataError(msg)


def _row_filter(transactions: pl.DataFrame, filters: Filters) -> pl.DataFrame:
    conditions: list[pl.Expr] = []
    if filters.date_range is not None:
        first, last = filters.date_range
        if first > last:
            msg = (
                f"The date range must start on or before its end. Got {first} to {last}. "
                "Swap the two dates."
            )
            raise DataError(msg)
        day = pl.col("order_date").cast(pl.Date)
        conditions.append(day.is_between(first, last, closed="both"))
    for name, column in _COLUMN.items():
        chosen: tuple[str, ...] = getattr(filters, name)
        if chosen:
            _need(transactions, column, column)
            conditions.append(pl.col(column).cast(pl.String).is_in(list(chosen)))
    if filters.age_groups:
        unknown = sorted(set(filters.age_groups) - set(AGE_GROUPS))
        if unknown:
            msg = (
                f"Unknown age group(s): {', '.join(unknown)}. Expected some of "
                f"{', '.join(AGE_GROUPS)}."
            )
            raise DataError(msg)
        expr = age_group(transactions.columns)
        if expr is None:
            msg = (
                "Filtering by age group needs an 'age' or 'birth_date' column. Columns "
                f"found: {', '.join(transactions.columns)}. Map one when reading the data, "
                "or drop the age-group filter."
            )
            raise DataError(msg)
        conditions.append(expr.is_in(list(filters.age_groups)))
    if not conditions:
        return transactions
    return transactions.filter(pl.all_horizontal(conditions))


def apply_filters(
    transactions: pl.DataFrame,
    filters: Filters,
    *,
    as_of: dt.date | dt.datetime | str | None = None,
) -> FilteredData:
    """Filter ``transactions`` and segment the customers of the view.

    Parameters
    ----------
    transactions
        Canonical transactions (see :func:`rfm.read_transactions`).
    filters
        The view; ``Filters()`` keeps everything.
    as_of
        Passed to :func:`rfm.summarize` (default: the day after the last transaction
        that passes the row filters).

    Returns
    -------
    FilteredData
        Filtered transactions and their segmented customer summary.

    Raises
    ------
    DataError
        A filter needs a column the table lacks, the date range is reversed, or no
        customer is left.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> tx = pl.DataFrame({
    ...     "customer_id": ["a", "a", "b"], "amount": [10.0, 5.0, 7.0],
    ...     "order_date": [dt.datetime(2024, 1, d) for d in (1, 9, 3)],
    ...     "country": ["France", "France", "Chile"],
    ... })
    >>> view = apply_filters(tx, Filters(countries=("France",)))
    >>> view.transactions.height, view.customers["customer_id"].to_list()
    (2, ['a'])
    """
    rows = _row_filter(transactions, filters)
    customers = segment(score(summarize(rows, as_of=as_of))) if rows.height else None
    if filters.segments and customers is not None:
        customers = customers.filter(pl.col("segment").is_in(list(filters.segments)))
    if customers is None or customers.height == 0:
        msg = (
            f"No customer matches these filters ({_describe(filters)}). Widen or clear the filters."
        )
        raise DataError(msg)
    if filters.segments:
        rows = rows.join(
            customers.select("customer_id"), on="customer_id", how="semi", maintain_order="left"
        )
    return FilteredData(transactions=rows, customers=customers)


def filter_transactions(
    transactions: pl.DataFrame,
    *,
    date_range: tuple[dt.date, dt.date] | None = None,
    countries: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    segments: Sequence[str] | None = None,
    genders: Sequence[str] | None = None,
    age_groups: Sequence[str] | None = None,
    as_of: dt.date | dt.datetime | str | None = None,
) -> pl.DataFrame:
    """The rows of ``transactions`` in one view (see :func:`apply_filters`).

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> tx = pl.DataFrame({
    ...     "customer_id": ["a", "b", "c"], "amount": [10.0, 5.0, 7.0],
    ...     "order_date": [dt.datetime(2024, 1, d) for d in (1, 9, 20)],
    ... })
    >>> filter_transactions(
    ...     tx, date_range=(dt.date(2024, 1, 2), dt.date(2024, 1, 20))
    ... )["customer_id"].to_list()
    ['b', 'c']
    """
    filters = Filters(
        date_range=date_range,
        countries=tuple(countries or ()),
        categories=tuple(categories or ()),
        genders=tuple(genders or ()),
        age_groups=tuple(age_groups or ()),
        segments=tuple(segments or ()),
    )
    return apply_filters(transactions, filters, as_of=as_of).transactions
