"""Reading the date parameters callers pass (``as_of``, period ends, simulation ranges)."""

from __future__ import annotations

import datetime as dt


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
