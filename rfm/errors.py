"""Typed errors raised by :mod:`rfm`.

Every message says what was expected, what was found and how to fix it.
"""

from __future__ import annotations


class DataError(ValueError):
    """The input data cannot be used as given.

    Raised for missing or unrecognisable columns, unparseable values and inputs
    that leave nothing to analyse. The message names what was expected, what was
    found and what to do about it.
    """


class NotFittedError(ValueError, AttributeError):
    """A model method that needs fitted parameters was called before ``fit``."""


class ConvergenceError(RuntimeError):
    """A model fit did not converge; the message says what to try."""


class AmbiguousDatesError(DataError):
    """Every date in a column reads both day-first and month-first.

    Raised instead of guessing: ``12/1/2010`` is 12 January or 1 December.
    ``column`` names the source column and ``candidates`` holds the strftime
    formats that fit every value; pass one of them as ``date_format=``.
    """

    def __init__(self, message: str, *, column: str, candidates: tuple[str, ...]) -> None:
        super().__init__(message)
        self.column = column
        self.candidates = candidates
