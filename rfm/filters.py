"""Which lines and customers a view looks at: a date range, values of any column, segments.

:class:`Filters` is a plain, hashable spec; :func:`rfm.analysis_view` applies it. Line
attributes (date, country, category, gender, age group, ...) select lines. Segments are a
property of customers, computed on the lines the other filters keep; the segment filter
then keeps the customers in the chosen segments (with all their lines). Segments are
*not* recomputed on that final subset: re-scoring only the Champions would spread them
over all segments again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import polars as pl

from rfm.dates import to_date
from rfm.errors import DataError

__all__ = [
    "AGE_GROUP",
    "AGE_GROUPS",
    "FilterOptions",
    "Filters",
    "age_group",
    "filter_options",
]

AGE_GROUP: Final = "age_group"
"""Name of the derived age-group column (from ``age`` or ``birth_date``)."""

AGE_GROUPS: Final = ("Under 25", "25-34", "35-44", "45-54", "55-64", "65+")
"""Age-group labels, youngest first. Lower bounds: 25, 35, 45, 55, 65 (years, inclusive)."""

_AGE_BREAKS: Final = (25, 35, 45, 55, 65)


@dataclass(frozen=True)
class Filters:
    """One view of the data. Empty means "no filter". Hashable (a cache key).

    Attributes
    ----------
    date_range : tuple of date, optional
        First and last order day, both included.
    values : tuple of (column, values) pairs
        Keep lines whose ``column`` is one of ``values`` (as text). Any line column
        works, and ``age_group`` (derived from ``age`` or ``birth_date``).
    segments : tuple of str
        Keep the customers in these segments.

    Examples
    --------
    >>> f = Filters.of(country=["France"], segments=["Champions"])
    >>> f.values, f.segments, f.get("country"), f.get("category")
    ((('country', ('France',)),), ('Champions',), ('France',), ())
    """

    date_range: tuple[dt.date, dt.date] | None = None
    values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    segments: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Datetimes (a pandas Timestamp too) and ISO strings become days, so the range
        # compares with the as-of date; anything else is refused here, not deep inside.
        if self.date_range is None:
            return
        given = tuple(self.date_range) if isinstance(self.date_range, Sequence) else ()
        days = tuple(to_date(value) for value in given)
        if len(days) != 2 or days[0] is None or days[1] is None:
            msg = (
                f"date_range must be the first and last order day, two dates like "
                f"(datetime.date(2024, 1, 1), datetime.date(2024, 3, 31)) or ISO strings. "
                f"Got {self.date_range!r}."
            )
            raise DataError(msg)
        object.__setattr__(self, "date_range", days)

    @classmethod
    def of(
        cls,
        *,
        date_range: tuple[dt.date, dt.date] | None = None,
        segments: Sequence[str] = (),
        **values: Sequence[str],
    ) -> Filters:
        """Build filters from keyword arguments, one per column; empty ones are dropped."""
        pairs = tuple(
            (column, tuple(str(v) for v in chosen))
            for column, chosen in sorted(values.items())
            if chosen
        )
        return cls(date_range=date_range, values=pairs, segments=tuple(segments))

    def get(self, column: str) -> tuple[str, ...]:
        """The values chosen for ``column`` (empty: no filter on it)."""
        return dict(self.values).get(column, ())

    @property
    def active(self) -> bool:
        """True when at least one filter narrows the data."""
        return self.date_range is not None or bool(self.segments) or any(v for _, v in self.values)

    def describe(self) -> str:
        """The filters in words, e.g. ``"orders 2024-01-01 to 2024-03-31; country: France"``."""
        parts = (
            []
            if self.date_range is None
            else [f"orders {self.date_range[0]} to {self.date_range[1]}"]
        )
        parts += [f"{column.replace('_', ' ')}: {', '.join(v)}" for column, v in self.values if v]
        if self.segments:
            parts.append(f"segments: {', '.join(self.segments)}")
        return "; ".join(parts) or "no filter"

    def filter_lines(self, transactions: pl.DataFrame) -> pl.DataFrame:
        """The lines that pass the date range and value filters (not the segment filter).

        Raises
        ------
        DataError
            The date range is reversed, or a filter needs a column the table lacks.
        """
        conditions: list[pl.Expr] = []
        if self.date_range is not None:
            first, last = self.date_range
            if first > last:
                msg = (
                    f"The date range must start on or before its end. Got {first} to {last}. "
                    "Swap the two dates."
                )
                raise DataError(msg)
            day = pl.col("order_date").cast(pl.Date)
            conditions.append(day.is_between(first, last, closed="both"))
        for column, chosen in self.values:
            if not chosen:
                continue
            if column == AGE_GROUP and column not in transactions.columns:
                unknown = sorted(set(chosen) - set(AGE_GROUPS))
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
                        f"found: {', '.join(transactions.columns)}. Map one when reading the "
                        "data, or drop the age-group filter."
                    )
                    raise DataError(msg)
                conditions.append(expr.is_in(list(chosen)))
                continue
            if column not in transactions.columns:
                msg = (
                    f"Filtering by {column.replace('_', ' ')} needs a '{column}' column. "
                    f"Columns found: {', '.join(transactions.columns)}. Map a {column} "
                    f"column when reading the data, or drop the {column} filter."
                )
                raise DataError(msg)
            conditions.append(pl.col(column).cast(pl.String).is_in(list(chosen)))
        if not conditions:
            return transactions
        return transactions.filter(pl.all_horizontal(conditions))


@dataclass(frozen=True)
class FilterOptions:
    """The date span of a transaction table and the distinct values of its filterable
    columns (``values``: column -> sorted values; only columns present are listed)."""

    first_day: dt.date | None
    last_day: dt.date | None
    values: Mapping[str, tuple[str, ...]]

    def get(self, column: str) -> tuple[str, ...]:
        """The values ``column`` can be filtered to (empty: column absent)."""
        return tuple(self.values.get(column, ()))


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
    # Distinct first: a Categorical column's 1M values are not turned into text.
    values = frame.get_column(column).drop_nulls().unique().cast(pl.String).sort()
    return tuple(value for value in values.to_list() if value.strip())


def filter_options(
    transactions: pl.DataFrame,
    *,
    columns: Sequence[str] = ("country", "category", "gender"),
) -> FilterOptions:
    """The date span and the distinct values each filter can pick from.

    ``columns`` are the line columns to list (those absent are skipped); age groups
    are listed under ``age_group`` when ``age`` or ``birth_date`` is present.

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
    >>> options.first_day, options.last_day, options.get("country"), options.get("gender")
    (datetime.date(2024, 1, 5), datetime.date(2024, 3, 1), ('Chile', 'France'), ())
    """
    days = transactions.select(
        pl.col("order_date").cast(pl.Date).min().alias("first"),
        pl.col("order_date").cast(pl.Date).max().alias("last"),
    ).row(0)
    values = {
        column: _sorted_values(transactions, column)
        for column in columns
        if column in transactions.columns and column != AGE_GROUP
    }
    expr = age_group(transactions.columns)
    if expr is not None:
        seen = set(transactions.select(expr).get_column(AGE_GROUP).drop_nulls().to_list())
        values[AGE_GROUP] = tuple(name for name in AGE_GROUPS if name in seen)
    return FilterOptions(first_day=days[0], last_day=days[1], values=values)
