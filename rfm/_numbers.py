"""Numbers written for people in the library's messages (no ``1.49e+05``)."""

from __future__ import annotations

import math
from typing import Final

_SUPERSCRIPTS: Final = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
PLAIN_RANGE: Final = (1e-4, 1e9)
"""Magnitudes written in plain notation; powers of ten only outside it."""


def readable(value: float | None, *, digits: int = 3) -> str:
    """``value`` to ``digits`` significant digits in plain notation with thousands
    separators; powers of ten only for the very small or very large.

    >>> readable(0.89181), readable(61.2349), readable(46751.2), readable(0.00013014)
    ('0.892', '61.2', '46,800', '0.00013')
    >>> readable(1.301e-05, digits=4), readable(-2.5e12, digits=2), readable(0.0)
    ('1.301 × 10⁻⁵', '-2.5 × 10¹²', '0')
    """
    if value is None or math.isnan(value):
        return "–"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value == 0:
        return "0"
    rounded = float(f"{value:.{digits}g}")
    magnitude = abs(rounded)
    if not PLAIN_RANGE[0] <= magnitude < PLAIN_RANGE[1]:
        mantissa, exponent = f"{rounded:.{digits - 1}e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPTS)}"
    # Decimals enough for `digits` significant digits, none beyond them.
    decimals = max(0, digits - 1 - math.floor(math.log10(magnitude)))
    text = f"{rounded:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def size(n_bytes: float) -> str:
    """A number of bytes in the largest binary unit that keeps it at 1 or more.

    >>> size(512 * 2**20), size(1.5 * 2**30), size(300 * 1024), size(12), size(0.4 * 2**20)
    ('512 MiB', '1.5 GiB', '300 KiB', '12 bytes', '410 KiB')
    """
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(n_bytes) >= scale:
            value = n_bytes / scale
            return (
                f"{value:,.1f} {unit}".replace(".0 ", " ") if value < 10 else f"{value:,.0f} {unit}"
            )
    return f"{n_bytes:,.0f} bytes"
