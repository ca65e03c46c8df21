"""Model parameters read as people write numbers: no ``1.301e-05``; a boundary value
reads ``≈ 0`` with a note, as the fit's diagnosis calls it."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from rfm_app import format as fmt

_SUPERSCRIPT = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def _read_back(text: str) -> float:
    """The number a person reads in ``text`` (independent of how it was written)."""
    if " × 10" in text:
        mantissa, power = text.split(" × 10")
        return float(mantissa) * 10.0 ** int(power.translate(_SUPERSCRIPT))
    return float(text.replace(",", ""))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.89181, "0.8918"),
        (61.2349, "61.23"),
        (6.531, "6.531"),
        (46751.2, "46,750"),  # issue 12 showed "b = 4.675e+04"
        (1.301e-05, "1.301 × 10⁻⁵"),  # and "a = 1.301e-05"
        (2.073e5, "207,300"),
        (5.303e6, "5,303,000"),
        (0.00013014, "0.0001301"),
        (2.0, "2"),
        (999.96, "1,000"),
        (-0.25, "-0.25"),
        (0.0, "0"),
        (float("nan"), "–"),
        (float("inf"), "∞"),
    ],
)
def test_parameters_read_in_plain_notation(value: float, expected: str) -> None:
    assert fmt.parameter(value) == expected


@given(st.floats(min_value=-1e15, max_value=1e15, allow_nan=False).filter(lambda v: v != 0))
@example(1e-4)
@example(9.9995e8)
@example(123456789.0)
@example(-1.5e-7)
def test_the_text_reads_back_as_the_value_to_its_digits(value: float) -> None:
    text = fmt.parameter(value)
    assert "e" not in text.lower()
    # Four significant digits: within half a unit of the fourth digit.
    assert _read_back(text) == pytest.approx(value, rel=5.001e-4)
    digits = re.sub(r"[^0-9]", "", text.split(" × ")[0]).strip("0")
    assert len(digits) <= 4


def test_a_boundary_parameter_near_zero_reads_approximately_zero() -> None:
    text = fmt.parameter_estimate(1.301e-05, float("nan"), at_boundary=True)
    assert text.startswith("≈ 0 ")
    assert "boundary" in text and "towards 0" in text
    assert "nan" not in text


def test_a_boundary_parameter_running_off_reads_large_with_the_note() -> None:
    text = fmt.parameter_estimate(46751.2, float("nan"), at_boundary=True)
    assert text.startswith("= 46,750 ")
    assert "towards infinity" in text


@pytest.mark.parametrize(
    ("value", "error", "expected"),
    [
        (0.89181, 0.0312, "= 0.8918 ± 0.031"),
        (5.481, 0.7413, "= 5.481 ± 0.74"),
        (5.303e6, 1.5e5, "= 5,303,000 ± 150,000"),
        (2189.0, 3600.0, "= 2,189 ± 3,600 (uncertain: the error is larger than the value)"),
        (2189.0, math.nan, "= 2,189 (not pinned down by the data)"),
        (2189.0, None, "= 2,189"),
    ],
)
def test_estimates_carry_their_standard_error_in_words(
    value: float, error: float | None, expected: str
) -> None:
    assert fmt.parameter_estimate(value, error) == expected


def test_library_sentences_lose_their_scientific_notation() -> None:
    # As the model check's reason read on a German shop's export.
    said = (
        "The fit ran towards the edge of the parameter range (r = 1.49e+05, alpha = "
        "1.39e+07): the optimiser stopped there. a = 1.3E-05; 16 months; version 2.5e; x1e5"
    )
    assert fmt.readable_numbers(said) == (
        "The fit ran towards the edge of the parameter range (r = 149,000, alpha = "
        "13,900,000): the optimiser stopped there. a = 1.3 × 10⁻⁵; 16 months; version 2.5e; x1e5"
    )
