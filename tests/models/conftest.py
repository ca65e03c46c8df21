"""Fixtures for the model tests: the CDNOW sample and the lifetimes oracle."""

from __future__ import annotations

import warnings
from typing import Any

import polars as pl
import pytest

import rfm
from tests.models.cdnow import CALIBRATION_END, read_cdnow


@pytest.fixture(scope="session")
def cdnow_transactions() -> pl.DataFrame:
    return read_cdnow()


@pytest.fixture(scope="session")
def cdnow_summary(cdnow_transactions: pl.DataFrame) -> pl.DataFrame:
    """The CDNOW calibration summary (checked against Hardie's published one)."""
    return rfm.summarize(cdnow_transactions, as_of=CALIBRATION_END)


@pytest.fixture(scope="session")
def lifetimes() -> Any:
    """The lifetimes package as a test-only oracle, imported quietly.

    lifetimes 0.11.3 predates pandas 3 / numpy 2: importing it sets a deprecated pandas
    option and its fitters call ``warnings.simplefilter`` — harmless here, so silenced only
    around the import, never in rfm.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes as lt
        import lifetimes.datasets
        import lifetimes.utils
    return lt
