"""Published CDNOW estimates, reproduced through the whole path read -> summarize -> fit.

The CDNOW sample (2,357 customers who first bought in Q1 1997) is calibrated on purchases
up to 1997-09-30, counting purchase days, as in Fader, Hardie & Lee (2005). Papers report
times in weeks; rfm works in days, so ``alpha``/``beta`` are compared after dividing by 7
and the weekly log-likelihood is the daily one plus ``log(7) * sum(x)`` (a time density
per repeat purchase).

Tolerances: the papers print 3-4 significant digits, so each estimate is compared to half
a unit in the last printed digit (a correct fit can differ by rounding only); the
log-likelihoods are printed to 0.01.
"""

from __future__ import annotations

import math

import polars as pl
import pytest

import rfm
from tests.models.cdnow import CALIBRATION_END

WEEK = 7.0


@pytest.fixture(scope="module")
def summary(cdnow_transactions: pl.DataFrame) -> pl.DataFrame:
    return rfm.summarize(cdnow_transactions, as_of=CALIBRATION_END)


@pytest.fixture(scope="module")
def repeat_days(summary: pl.DataFrame) -> int:
    return int((summary["purchase_days"] - 1).sum())


def test_summary_matches_the_published_cdnow_summary(summary: pl.DataFrame, lifetimes) -> None:
    """Our x, t_x, T equal Hardie's CDNOW summary (weeks, 2 decimals) shipped by lifetimes."""
    published = pl.from_pandas(lifetimes.datasets.load_cdnow_summary().reset_index(drop=True))
    published = published.with_columns(pl.int_range(1, published.height + 1).alias("ID"))
    ours = summary.select(
        pl.col("customer_id").cast(pl.Int64).alias("ID"),
        (pl.col("purchase_days") - 1).alias("x"),
        ((pl.col("tenure_days") - pl.col("recency_days")) / WEEK).alias("t_x"),
        (pl.col("tenure_days") / WEEK).alias("T_weeks"),
    ).join(published, on="ID", validate="1:1")
    assert summary.height == 2357
    assert ours.height == 2357
    assert (ours["x"] == ours["frequency"]).all()
    assert (ours["t_x"] - ours["recency"]).abs().max() < 0.005 + 1e-9
    assert (ours["T_weeks"] - ours["T"]).abs().max() < 0.005 + 1e-9


def test_bg_nbd_reproduces_fader_hardie_lee_2005(summary: pl.DataFrame, repeat_days: int) -> None:
    model = rfm.BetaGeo().fit(summary)
    p = model.params_
    assert p.r == pytest.approx(0.2426, abs=5e-5)
    assert p.alpha / WEEK == pytest.approx(4.4136, abs=5e-5)
    assert p.alpha == pytest.approx(30.895, abs=5e-4)
    assert p.a == pytest.approx(0.7929, abs=5e-5)
    assert p.b == pytest.approx(2.4259, abs=5e-5)
    weekly = model.log_likelihood_ + math.log(WEEK) * repeat_days
    assert weekly == pytest.approx(-9582.43, abs=0.005)
    assert model.n_customers_ == 2357


def test_gamma_gamma_reproduces_fader_hardie_2013(summary: pl.DataFrame) -> None:
    model = rfm.GammaGamma().fit(summary)
    assert model.n_customers_ == 946
    assert model.params_.p == pytest.approx(6.25, abs=0.005)
    assert model.params_.q == pytest.approx(3.74, abs=0.005)
    assert model.params_.gamma == pytest.approx(15.44, abs=0.005)


def test_pareto_nbd_reproduces_published_cdnow_fit(summary: pl.DataFrame, repeat_days: int) -> None:
    model = rfm.ParetoNBD().fit(summary)
    p = model.params_
    assert p.r == pytest.approx(0.553, abs=5e-4)
    assert p.alpha / WEEK == pytest.approx(10.58, abs=5e-3)
    assert p.s == pytest.approx(0.606, abs=5e-4)
    assert p.beta / WEEK == pytest.approx(11.67, abs=5e-3)
    weekly = model.log_likelihood_ + math.log(WEEK) * repeat_days
    assert weekly == pytest.approx(-9594.98, abs=0.005)


def test_mbg_nbd_reproduces_batislam_et_al_2007(summary: pl.DataFrame) -> None:
    p = rfm.ModifiedBetaGeo().fit(summary).params_
    assert p.r == pytest.approx(0.525, abs=5e-4)
    assert p.alpha / WEEK == pytest.approx(6.183, abs=5e-4)
    assert p.a == pytest.approx(0.891, abs=5e-4)
    assert p.b == pytest.approx(1.614, abs=5e-4)


@pytest.mark.parametrize(
    ("x", "t_x", "expected", "tol"),
    [(0.0, 0.0, -0.59947382, 5e-9), (200.0, 38.0, 100.7957, 5e-5)],
)
def test_stable_bg_nbd_log_likelihood_reference_points(
    x: float, t_x: float, expected: float, tol: float
) -> None:
    """Hardie's reference values at r=0.25, alpha=4, a=0.8, b=2.5, T=40."""
    import numpy as np

    from rfm.models.beta_geo import log_likelihood

    value = log_likelihood(
        np.log([0.25, 4.0, 0.8, 2.5]), np.array([x]), np.array([t_x]), np.array([40.0])
    )
    assert value[0] == pytest.approx(expected, abs=tol)


def test_fit_in_weeks_gives_the_same_shapes_and_weekly_scales(
    summary: pl.DataFrame, repeat_days: int
) -> None:
    """Rescaling time leaves r, a, b unchanged, divides alpha by 7 and shifts the LL."""
    weeks = summary.with_columns(pl.col("recency_days") / WEEK, pl.col("tenure_days") / WEEK)
    days_model = rfm.BetaGeo().fit(summary)
    weeks_model = rfm.BetaGeo().fit(weeks)
    for name in ("r", "a", "b"):
        assert getattr(weeks_model.params_, name) == pytest.approx(
            getattr(days_model.params_, name), rel=1e-6
        )
    assert weeks_model.params_.alpha * WEEK == pytest.approx(days_model.params_.alpha, rel=1e-6)
    shift = weeks_model.log_likelihood_ - days_model.log_likelihood_
    assert shift == pytest.approx(math.log(WEEK) * repeat_days, rel=1e-7)
