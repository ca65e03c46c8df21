"""Typed errors raised by :mod:`rfm`.

Every message says what was expected, what was found and how to fix it.
"""

from __future__ import annotations


class DataError(ValueError):
    """The input data cannot be used as given.

    Raised for missing or unrecognisable columns, unparseable values, limits
    exceeded and inputs that leave nothing to analyse. ``str(error)`` names what
    was expected, what was found and what to do about it, in words for people who
    call the library. The attributes carry the same facts for an application that
    words them its own way (an app asks the analyst to *choose the date column*
    instead of telling them to pass ``columns=``); each is None (or empty) when it
    does not apply.

    Attributes
    ----------
    field : str or None
        The canonical field at fault: ``"customer_id"``, ``"order_date"``,
        ``"amount"``, ... (see :data:`rfm.columns.CANONICAL`).
    column : str or None
        The source column at fault, as named in the file.
    expected : str or None
        What was expected, in a few words (``"a customer id column"``,
        ``"one date format"``, ``"at most 5,000,000 rows"``).
    found : str or None
        What was found instead, in a few words (``"no column named 'Kunde'"``,
        ``"2 values only day-first, 1 only month-first"``).
    choices : tuple of str
        What the caller may choose from to go on: candidate columns for a
        field, or strftime formats for dates (pass one as ``date_format=``).
    limit : str or None
        The :class:`rfm.Limits` attribute exceeded (``"max_table_bytes"``, ...).

    Examples
    --------
    >>> import rfm
    >>> try:
    ...     rfm.read_transactions(b"who,when\\nann,2024-01-02\\n")
    ... except rfm.DataError as error:
    ...     print(error.field, error.choices)
    customer_id ('who',)
    """

    def __init__(
        self,
        message: str = "",
        *,
        field: str | None = None,
        column: str | None = None,
        expected: str | None = None,
        found: str | None = None,
        choices: tuple[str, ...] = (),
        limit: str | None = None,
    ) -> None:
        super().__init__(message)
        self.field = field
        self.column = column
        self.expected = expected
        self.found = found
        self.choices = tuple(choices)
        self.limit = limit


class NotFittedError(ValueError, AttributeError):
    """A model method that needs fitted parameters was called before ``fit``."""


class ConvergenceError(RuntimeError):
    """A model fit did not converge; the message says what to try."""


class AmbiguousDatesError(DataError):
    """Every date in a column reads both day-first and month-first.

    Raised instead of guessing: ``12/1/2010`` is 12 January or 1 December.
    ``column`` names the source column and ``candidates`` (the same as
    ``choices``) holds the strftime formats that fit every value; pass one of
    them as ``date_format=``.
    """

    def __init__(
        self,
        message: str = "",
        *,
        column: str | None = None,
        candidates: tuple[str, ...] = (),
        field: str | None = None,
    ) -> None:
        super().__init__(
            message,
            field=field,
            column=column,
            expected="dates whose order (day or month first) the data shows",
            found="every date reads both ways",
            choices=candidates,
        )

    @property
    def candidates(self) -> tuple[str, ...]:
        """The strftime formats that fit every value (the same as ``choices``)."""
        return self.choices


class MixedDatesError(DataError):
    """A date column mixes day-first and month-first values.

    ``13/01/2010`` only reads day-first and ``01/13/2010`` only month-first, so
    one of them was written the other way round. ``choices`` holds the two
    strftime formats; pass one as ``date_format=`` and the rows that do not fit
    it are set aside and counted (``"date not in the chosen format"``).
    """

    @property
    def candidates(self) -> tuple[str, ...]:
        """The two strftime formats (the same as ``choices``), as on :class:`AmbiguousDatesError`."""
        return self.choices
