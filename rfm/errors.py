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
