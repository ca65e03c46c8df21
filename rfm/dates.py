"""Reading the date parameters callers pass (``as_of``, period ends, simulation ranges)."""

from __future__ import annotations

import datetime as dt

from rfm.errors import DataError


def to_date(value: object) -> dt.date | None:
    """A ``datetime.date`` from a date, a datetime (its day) or an ISO string; None otherwise.

    Callers raise their own :class:`rfm.DataError`, naming the parameter.

    Examples
    --------
    >>> to_date("2023-12-31 18:00"), to_date(dt.datetime(2024, 1, 2, 9)), to_date("31/12/2023")
    (datetime.date(2023, 12, 31), datetime.date(2024, 1, 2), None)
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def as_of_date(as_of: dt.date | dt.datetime | str | None) -> dt.date | None:
    """The ``as_of`` parameter as a day (None stays None), or a clear :class:`rfm.DataError`.

    >>> as_of_date("2023-12-31"), as_of_date(None)
    (datetime.date(2023, 12, 31), None)
    """
    if as_of is None:
        return None
    day = to_date(as_of)
    if day is None:
        msg = (
            f"as_of must be a date like '2023-12-31'. Got {as_of!r}. "
            "Pass a datetime.date or an ISO date string."
        )
        raise DataError(msg)
    return day
