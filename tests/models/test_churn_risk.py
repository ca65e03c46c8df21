"""Churn risk: P(no purchase in the next N days), bands and segment averages.

References: lifetimes' Pareto/NBD conditional PMF (Hardie's note 028, a different
derivation) as an oracle; event-by-event simulation from each model (tests/models/simulate.py)
as an independent check of every formula; hand-built frames for bands and averages.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rfm
from rfm.errors import DataError
from rfm.models import beta_geo, modified_beta_geo, pareto_nbd
from tests.models.simulate import simulate_histories

PARAMS = {
    "bg/nbd": {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 2.5},
    "mbg/nbd": {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 2.5},
    "pareto/nbd": {"r": 0.5, "alpha": 20.0, "s": 0.8, "beta": 60.0},
}
FORMULAS = {"bg/nbd": beta_geo, "mbg/nbd": modified_beta_geo, "pareto/nbd": pareto_nbd}
PARETO = {"r": 0.553, "alpha": 74.06, "s": 0.606, "beta": 81.69}


def _summary(x: Any, t_x: Any, T: Any) -> pl.DataFrame:
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    return pl.DataFrame(
        {
            "customer_id": [str(i) for i in range(x.size)],
            "purchase_days": x + 1,
            "recency_days": T - t_x,
            "tenure_days": T,
        }
    )


@pytest.mark.parametrize("key", list(PARAMS))
def test_no_purchase_probability_matches_simulation_by_repeat_count(key: str) -> None:
    """Mean predicted P(no purchase in 60 days) equals the simulated share, per x group.

    Conditioning on x (discrete) is exact: within a group the average of the conditional
    probability is the group's probability. 4 standard errors + 0.003 of slack.
    """
    T, horizon = 180.0, 60.0
    history = simulate_histories(key, PARAMS[key], 50_000, T=T, horizon=horizon, seed=7)
    params = np.array(list(PARAMS[key].values()))
    T_all = np.full(history.x.size, T)
    predicted = FORMULAS[key].p_no_purchase(params, horizon, history.x, history.t_x, T_all)
    alive = FORMULAS[key].p_alive(params, history.x, history.t_x, T_all)
    happened = ~history.bought_after_T
    for lo, hi in ((0, 0), (1, 1), (2, 3), (4, 10), (11, 10**9)):
        group = (history.x >= lo) & (history.x <= hi)
        share = happened[group].mean()
        slack = 4 * np.sqrt(share * (1 - share) / group.sum()) + 0.003
        assert abs(predicted[group].mean() - share) < slack, (key, lo)
        truly_alive = history.alive_at_T[group].mean()
        slack = 4 * np.sqrt(truly_alive * (1 - truly_alive) / group.sum()) + 0.003
        assert abs(alive[group].mean() - truly_alive) < slack, (key, lo)


def test_pareto_no_purchase_equals_lifetimes_conditional_pmf(
    cdnow_summary: pl.DataFrame, lifetimes: Any
) -> None:
    fitter = lifetimes.ParetoNBDFitter()
    fitter.params_ = pd.Series(PARETO)
    x = (cdnow_summary["purchase_days"] - 1).to_numpy().astype(float)
    t_x = (cdnow_summary["tenure_days"] - cdnow_summary["recency_days"]).to_numpy().astype(float)
    T = cdnow_summary["tenure_days"].to_numpy().astype(float)
    model = rfm.ParetoNBD.from_params(PARETO)
    for days in (30.0, 182.0):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            expected = fitter.conditional_probability_of_n_purchases_up_to_time(0, days, x, t_x, T)
        ours = model.no_purchase_probability(cdnow_summary, days)["no_purchase_probability"]
        np.testing.assert_allclose(ours.to_numpy(), np.asarray(expected), rtol=0, atol=1e-10)


MODELS = {
    "bg/nbd": lambda p: rfm.BetaGeo.from_params(p),
    "mbg/nbd": lambda p: rfm.ModifiedBetaGeo.from_params(p),
    "pareto/nbd": lambda p: rfm.ParetoNBD.from_params(p),
}


@pytest.mark.parametrize("key", list(PARAMS))
def test_no_purchase_is_one_at_zero_days_and_grows_with_days(key: str) -> None:
    model = MODELS[key](PARAMS[key])
    summary = _summary([0, 1, 5, 40], [0, 30, 100, 170], [10, 200, 200, 180])
    at = {
        days: model.no_purchase_probability(summary, days)["no_purchase_probability"].to_numpy()
        for days in (0, 30, 365, 3650)
    }
    churn = model.p_alive(summary)["churn_probability"].to_numpy()
    np.testing.assert_allclose(at[0], 1.0)
    assert np.all(at[30] >= at[365]) and np.all(at[365] >= at[3650])
    assert np.all(at[3650] >= churn - 1e-12)


probabilities = st.floats(0.05, 5.0)


@settings(max_examples=60, deadline=None)
@given(
    key=st.sampled_from(list(PARAMS)),
    r=probabilities,
    alpha=st.floats(1.0, 200.0),
    a=probabilities,
    b=st.floats(0.05, 50.0),
    x=st.integers(0, 60),
    T=st.integers(1, 1000),
    recency=st.data(),
)
def test_longer_since_last_purchase_never_lowers_churn_risk(
    key: str, r: float, alpha: float, a: float, b: float, x: int, T: int, recency: Any
) -> None:
    """Same (x, T), larger recency_days: churn and no-purchase probabilities do not drop."""
    names = list(PARAMS[key])
    model = MODELS[key](dict(zip(names, (r, alpha, a, b), strict=True)))
    low = recency.draw(st.integers(0, T))
    high = recency.draw(st.integers(low, T))
    if x == 0:
        low = high = T  # without repeats the last purchase is the first
    summary = pl.DataFrame(
        {
            "customer_id": ["recent", "silent"],
            "purchase_days": [x + 1, x + 1],
            "recency_days": [low, high],
            "tenure_days": [T, T],
        }
    )
    risk = rfm.churn_risk(summary, model=model, days=90)
    churn = risk["churn_probability"].to_list()
    none = risk["no_purchase_probability"].to_list()
    assert churn[1] >= churn[0] - 1e-9
    assert none[1] >= none[0] - 1e-9


def test_churn_band_thresholds_are_inclusive_from_below() -> None:
    frame = pl.DataFrame({"p": [0.0, 0.099, 0.1, 0.7, 0.8, 1.0, None]})
    bands = frame.select(rfm.models.churn_band("p", thresholds=(0.1, 0.8)))["churn_band"]
    assert bands.to_list() == ["Low", "Low", "Medium", "Medium", "High", "High", None]
    assert bands.dtype == pl.Enum(rfm.models.CHURN_BANDS)


@pytest.mark.parametrize("thresholds", [(0.5, 0.25), (0.0, 0.5), (0.2, 1.5), (0.3,), "low"])
def test_bad_thresholds_say_what_is_expected(thresholds: Any) -> None:
    model = rfm.BetaGeo.from_params(PARAMS["bg/nbd"])
    with pytest.raises(DataError, match=r"'thresholds' parameter of churn_risk must be two"):
        rfm.churn_risk(_summary([1], [5], [10]), model=model, thresholds=thresholds)


def test_churn_risk_rejects_a_spend_model_and_a_bad_band_basis() -> None:
    with pytest.raises(DataError, match="'model' parameter of churn_risk must be a fitted"):
        rfm.churn_risk(_summary([1], [5], [10]), model=rfm.GammaGamma())  # type: ignore[arg-type]
    model = rfm.BetaGeo.from_params(PARAMS["bg/nbd"])
    with pytest.raises(DataError, match="'band_on' parameter of churn_risk"):
        rfm.churn_risk(_summary([1], [5], [10]), model=model, band_on="p_alive")  # type: ignore[arg-type]


def test_churn_risk_keeps_summary_columns_and_does_not_modify_input() -> None:
    summary = _summary([0, 3, 3], [0, 20, 190], [200, 200, 200]).with_columns(
        pl.Series("segment", ["Lost", "Lost", "Champions"])
    )
    before = summary.clone()
    model = rfm.ModifiedBetaGeo.from_params(PARAMS["mbg/nbd"])
    risk = rfm.churn_risk(summary, model=model, band_on="no_purchase_probability")
    assert summary.equals(before)
    assert risk.columns == [
        *summary.columns,
        "p_alive",
        "churn_probability",
        "no_purchase_probability",
        "churn_band",
    ]
    expected = risk.select(rfm.models.churn_band("no_purchase_probability"))["churn_band"]
    assert risk["churn_band"].to_list() == expected.to_list()


def test_churn_by_adds_up_to_the_whole_base() -> None:
    rng = np.random.default_rng(3)
    n = 500
    summary = _summary(
        rng.integers(0, 6, n), np.zeros(n), rng.integers(30, 400, n).astype(float)
    ).with_columns(
        (pl.col("tenure_days") * pl.Series(rng.uniform(0, 1, n))).floor().alias("recency_days"),
        pl.Series("segment", rng.choice(["A", "B", "C"], n)),
    )
    summary = summary.with_columns(
        pl.when(pl.col("purchase_days") == 1)
        .then(pl.col("tenure_days"))
        .otherwise(pl.col("recency_days"))
        .alias("recency_days")
    )
    risk = rfm.churn_risk(summary, model=rfm.ParetoNBD.from_params(PARETO))
    table = rfm.churn_by(risk, by="segment")
    assert table["customers"].sum() == n
    shares = table.select(pl.sum_horizontal("low_share", "medium_share", "high_share"))
    np.testing.assert_allclose(shares.to_series().to_numpy(), 1.0)
    weighted = (table["avg_churn_probability"] * table["customers"]).sum() / n
    assert weighted == pytest.approx(risk["churn_probability"].mean())
    high = (risk["churn_band"] == "High").sum()
    assert (table["high_share"] * table["customers"]).sum() == pytest.approx(high)


def test_churn_by_names_the_missing_column() -> None:
    with pytest.raises(
        DataError, match=r"churn_by needs the output of churn_risk.*Missing: region"
    ):
        rfm.churn_by(pl.DataFrame({"p_alive": [0.5]}), by="region")


def test_one_time_buyers_p_alive_equals_lifetimes_and_is_below_one(
    cdnow_summary: pl.DataFrame, lifetimes: Any
) -> None:
    """Done-means: on CDNOW (fitted here), MBG/NBD and Pareto/NBD let one-time buyers leave."""
    one_time = cdnow_summary.filter(pl.col("purchase_days") == 1)
    x = np.zeros(one_time.height)
    T = one_time["tenure_days"].to_numpy().astype(float)
    for model, fitter_class in (
        (rfm.ModifiedBetaGeo().fit(cdnow_summary), lifetimes.ModifiedBetaGeoFitter),
        (rfm.ParetoNBD().fit(cdnow_summary), lifetimes.ParetoNBDFitter),
    ):
        fitter = fitter_class()
        fitter.params_ = pd.Series(model.params_.as_dict())
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            expected = np.asarray(fitter.conditional_probability_alive(x, x, T))
        ours = model.p_alive(one_time)["p_alive"].to_numpy()
        np.testing.assert_allclose(ours, expected, rtol=1e-9)
        assert ours.max() < 1.0
    bg = rfm.BetaGeo().fit(cdnow_summary).p_alive(one_time)["p_alive"]
    assert bg.min() == 1.0  # the BG/NBD's assumption the other two remove


def test_fitted_model_recovers_who_dropped_out_on_simulated_data() -> None:
    """Simulated MBG/NBD data with drop-out: customers who truly left rank riskier.

    The fitted model's churn probability separates the truly gone from the truly active
    (AUC > 0.75), and among repeat buyers long silences rank above recent purchases.
    """
    T = 365.0
    history = simulate_histories("mbg/nbd", PARAMS["mbg/nbd"], 20_000, T=T, horizon=1.0, seed=11)
    summary = _summary(history.x, np.round(history.t_x), np.full(history.x.size, T))
    choice_model = rfm.ModifiedBetaGeo().fit(summary)
    assert choice_model.diagnose().churn_estimable
    churn = choice_model.p_alive(summary)["churn_probability"].to_numpy()
    gone = ~history.alive_at_T
    # AUC by ranks (Mann-Whitney U), ties counted half.
    ranks = pd.Series(churn).rank().to_numpy()
    auc = (ranks[gone].sum() - gone.sum() * (gone.sum() + 1) / 2) / (gone.sum() * (~gone).sum())
    assert auc > 0.75
    repeaters = history.x > 0
    silence = T - history.t_x
    long_ago = repeaters & (silence > 180)
    lately = repeaters & (silence < 30)
    assert churn[long_ago].mean() > churn[lately].mean() + 0.3


LEAVING = {"Lost", "Hibernating"}
STAYING = {"Champions", "Loyal Customers"}


def _segment_risk(transactions: pl.DataFrame, as_of: str, calibration_end: str) -> pl.DataFrame:
    choice = rfm.choose_purchase_model(transactions, as_of=as_of, calibration_end=calibration_end)
    summary = rfm.segment(rfm.score(rfm.summarize(transactions, as_of=as_of)))
    risk = rfm.churn_risk(summary, model=choice.fit(summary), days=90)
    return rfm.churn_by(risk, by="segment")


def _averages(table: pl.DataFrame, column: str, names: set[str]) -> list[float]:
    return table.filter(pl.col("segment").is_in(sorted(names)))[column].to_list()


def test_lost_and_hibernating_are_riskier_than_champions_and_loyal_on_the_sample() -> None:
    """Done-means, on the bundled sample with the winning model (the BG/NBD: the sample is
    simulated from it). Its churn probability cannot rank one-time buyers (P(alive) = 1 by
    the model's assumption, and the sample's Lost are mostly one-time buyers), so the
    ranking is on the probability of no purchase in the next 90 days."""
    transactions = rfm.datasets.load_sample()
    table = _segment_risk(transactions, "2024-01-01", "2023-01-01")
    leaving = _averages(table, "avg_no_purchase_probability", LEAVING)
    staying = _averages(table, "avg_no_purchase_probability", STAYING)
    assert len(leaving) == 2 and len(staying) == 2
    assert min(leaving) > max(staying)


def test_segment_churn_matches_who_truly_left_on_simulated_data() -> None:
    """Done-means, on MBG/NBD data with drop-out and the winning model: each segment's
    average churn probability is close to the share of its customers who truly left, so
    Lost and Hibernating average above Champions.

    (They do not average above Loyal Customers here, and rightly: in the simulated truth
    63 % of Lost but 76 % of Loyal Customers -- frequent buyers gone quiet, each purchase
    a chance to leave -- had left. The test follows the truth, not the expectation.)
    """
    from tests.models.simulate import simulate_with_truth

    transactions, truth = simulate_with_truth("mbg/nbd", PARAMS["mbg/nbd"], 2000, seed=4)
    choice = rfm.choose_purchase_model(
        transactions, as_of="2024-01-01", calibration_end="2023-06-30"
    )
    summary = rfm.segment(rfm.score(rfm.summarize(transactions, as_of="2024-01-01")))
    risk = rfm.churn_risk(summary, model=choice.fit(summary)).join(truth, on="customer_id")
    table = (
        risk.group_by("segment")
        .agg(pl.len().alias("customers"), pl.col("churn_probability").mean(), pl.col("gone").mean())
        .filter(pl.col("customers") >= 50)
    )
    assert table.height >= 7
    gaps = (table["churn_probability"] - table["gone"]).abs()
    assert gaps.max() < 0.08, table
    by_segment = dict(zip(table["segment"], table["churn_probability"], strict=True))
    assert min(by_segment["Lost"], by_segment["Hibernating"]) > by_segment["Champions"]
