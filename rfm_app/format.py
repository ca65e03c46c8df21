"""How numbers read in the app: thousands separators, currency, percentages."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Final

from rfm._numbers import readable

CURRENCIES: Final = ("$", "€", "£", "¥", "")
"""Currency symbols the analyst can pick on the Data page ("" = none)."""


def count(value: float | None) -> str:
    """Whole number with thousands separators: ``1234567 -> '1,234,567'``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{round(value):,}"


def number(value: float | None, *, decimals: int = 2) -> str:
    """Decimal number with thousands separators: ``1234.5 -> '1,234.50'``."""
    if value is None or math.isnan(value):
        return "–"
    return f"{value:,.{decimals}f}"


def money(value: float | None, currency: str = "$", *, decimals: int = 2) -> str:
    """Amount with currency and thousands separators: ``-12.5 -> '-$12.50'``."""
    if value is None or math.isnan(value):
        return "–"
    sign = "-" if value < 0 else ""
    return f"{sign}{currency}{abs(value):,.{decimals}f}"


def money_metric(value: float | None, currency: str = "$") -> str:
    """An amount for a KPI tile: cents below a million, whole units from a million on, so
    ``$1,299,520.66`` does not overflow a quarter-width tile.

    >>> money_metric(823562.73), money_metric(1299520.66), money_metric(-1.5e6, "€")
    ('$823,562.73', '$1,299,521', '-€1,500,000')
    """
    if value is None or math.isnan(value):
        return "–"
    return money(value, currency, decimals=0 if abs(value) >= 1_000_000 else 2)


def percent(share: float | None, *, decimals: int = 1) -> str:
    """A share in [0, 1] as a percentage: ``0.1234 -> '12.3%'``."""
    if share is None or math.isnan(share):
        return "–"
    return f"{share * 100:.{decimals}f}%"


def money_title(label: str, currency: str) -> str:
    """Axis title with the currency: ``('Revenue', '€') -> 'Revenue (€)'``."""
    return f"{label} ({currency})" if currency else label


def size(n_bytes: int) -> str:
    """File size for people: ``226 -> '226 B'``, ``3_181_566 -> '3.2 MB'``."""
    value = float(n_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1000
    return f"{value:,.1f} GB"  # pragma: no cover - loop always returns


def plural(n: int, word: str) -> str:
    """``(1, 'customer') -> '1 customer'``, ``(3, 'customer') -> '3 customers'``."""
    return f"{count(n)} {word}" if n == 1 else f"{count(n)} {word}s"


def percent_axis(top: float | None) -> str:
    """d3 format for an axis of shares up to ``top``: enough decimals that ticks differ.

    Whole percents label a 0-4 % axis (ticks every 0.5 %) "0% 1% 1% 2% 2% ...".
    """
    if top is None or math.isnan(top) or top >= 0.1:
        return ".0%"
    return ".1%" if top >= 0.01 else ".2%"


def days_between(first: dt.date, last: dt.date, *, of: str = "") -> str:
    """A stretch of days for people, both ends included: its length in words, then what
    it is a stretch of (``of``), then its dates.

    >>> days_between(dt.date(2020, 1, 1), dt.date(2022, 12, 31), of="orders")
    '3 years of orders (2020-01-01 to 2022-12-31)'
    >>> days_between(dt.date(2024, 1, 1), dt.date(2024, 2, 4))
    '5 weeks (2024-01-01 to 2024-02-04)'
    """
    # Imported here: rfm.models.diagnosis loads scipy, which pages without models skip.
    from rfm.models.diagnosis import history_phrase

    length = history_phrase((last - first).days + 1)
    return f"{length}{f' of {of}' if of else ''} ({first} to {last})"


"""Magnitudes :func:`parameter` writes as plain decimals; outside, as ``1.3 × 10⁻⁵``."""


def parameter(value: float | None, *, digits: int = 4) -> str:
    """A model parameter for people: ``digits`` significant digits in plain notation,
    with thousands separators; powers of ten only for the very small or very large.

    >>> parameter(0.89181), parameter(61.2349), parameter(46751.2), parameter(0.00013014)
    ('0.8918', '61.23', '46,750', '0.0001301')
    >>> parameter(1.301e-05), parameter(-2.5e12, digits=2), parameter(0.0)
    ('1.301 × 10⁻⁵', '-2.5 × 10¹²', '0')
    """
    return readable(value, digits=digits)


def parameter_estimate(
    value: float, error: float | None = None, *, at_boundary: bool = False
) -> str:
    """A fitted parameter with its standard error, and what to make of it, in words.

    ``at_boundary``: the fit's diagnosis lists the parameter among its
    ``boundary_params`` (:class:`rfm.FitDiagnosis`), i.e. the optimiser ran it towards 0
    or infinity. Below 1 it ran towards 0 and reads ``≈ 0`` (its natural scale is 1, or
    the customers' mean tenure in days, so at the lower boundary it is below 1e-4 of
    that); otherwise it ran off towards infinity. Its standard error then means nothing
    and is not shown.

    >>> parameter_estimate(0.89181, 0.0312)
    '= 0.8918 ± 0.031'
    >>> parameter_estimate(1.301e-05, float("nan"), at_boundary=True)
    '≈ 0 (at the boundary: the fit pushed it towards 0, so the data do not pin it down)'
    >>> parameter_estimate(46751.2, float("nan"), at_boundary=True)
    '= 46,750 (at the boundary: the fit ran off towards infinity, so the data do not pin it down)'
    >>> parameter_estimate(2189.0, 3600.0)
    '= 2,189 ± 3,600 (uncertain: the error is larger than the value)'
    >>> parameter_estimate(2189.0, float("nan"))
    '= 2,189 (not pinned down by the data)'
    """
    if at_boundary:
        if abs(value) < 1:
            return (
                "≈ 0 (at the boundary: the fit pushed it towards 0, so the data do not pin it down)"
            )
        return (
            f"= {parameter(value)} (at the boundary: the fit ran off towards infinity, so "
            "the data do not pin it down)"
        )
    shown = f"= {parameter(value)}"
    if error is None:
        return shown
    if math.isnan(error) or math.isinf(error):
        return f"{shown} (not pinned down by the data)"
    spread = f"{shown} ± {parameter(error, digits=2)}"
    if error > abs(value):
        return f"{spread} (uncertain: the error is larger than the value)"
    return spread


_SCIENTIFIC: Final = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?e[+-]?\d+\b", re.IGNORECASE)


def readable_numbers(text: str) -> str:
    """``text`` with numbers in scientific notation (``1.49e+05``) written as
    :func:`parameter` writes them, for messages from the library shown as they are.

    >>> readable_numbers("r = 1.49e+05, alpha = 1.39e+07, a = 1.3e-05, b = 2.5")
    'r = 149,000, alpha = 13,900,000, a = 1.3 × 10⁻⁵, b = 2.5'
    """
    return _SCIENTIFIC.sub(lambda match: parameter(float(match.group(0))), text)
