"""Holdout accuracy in purchase days and money, in words; honest-horizon warnings.

Figures are checked against hand-built transactions and against each other (groups sum
to the total; percentages are error / actual).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

import rfm
from rfm.errors import DataError
from rfm.models.holdout import HoldoutEvaluation


def _tx() -> pl.DataFrame:
    rows = [
        ("a", dt.datetime(2024, 1, 1), 10.0),
        ("a", dt.datetime(2024, 1, 5), 12.0),
        ("a", dt.datetime(2024, 1, 20), 9.0),
        ("a", dt.datetime(2024, 1, 20), 1.0),  # same day: one purchase day
        ("a", dt.datetime(2024, 1, 25), -4.0),  # a return: revenue, not a purchase
        ("b", dt.datetime(2024, 1, 2), 5.0),
        ("b", dt.datetime(2024, 1, 3), 6.0),
        ("c", dt.datetime(2024, 1, 15), 7.0),  # first bought in the holdout: not counted
    ]
    return pl.DataFrame(rows, schema=["customer_id", "order_date", "amount"], orient="row")


def test_holdout_counts_purchase_days_and_nets_revenue() -> None:
    split = rfm.calibration_holdout(_tx(), calibration_end="2024-01-10", holdout_end="2024-01-31")
    assert split.holdout.rows() == [("a", 1, 6.0), ("b", 0, 0.0)]


def test_revenue_is_purchases_times_expected_spend() -> None:
    split = rfm.calibration_holdout(_tx(), calibration_end="2024-01-10", holdout_end="2024-01-31")
    model = rfm.BetaGeo.from_params({"r": 0.24, "alpha": 30.9, "a": 0.79, "b": 2.43})
    spend = rfm.GammaGamma.from_params({"p": 6.25, "q": 3.74, "gamma": 15.44})
    evaluation = rfm.evaluate_holdout(model, split, spend_model=spend)
    per = evaluation.per_customer
    expected_spend = spend.expected_spend(split.calibration)["expected_spend"]
    assert per["predicted_revenue"].to_list() == pytest.approx(
        (per["predicted_purchases"] * expected_spend).to_list()
    )
    assert per["actual_revenue"].to_list() == [6.0, 0.0]
    with pytest.raises(DataError, match="'spend_model' parameter of evaluate_holdout"):
        rfm.evaluate_holdout(model, split, spend_model=model)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def cdnow_accuracy(
    cdnow_transactions: pl.DataFrame,
) -> tuple[rfm.HoldoutAccuracy, HoldoutEvaluation, pl.DataFrame]:
    split = rfm.calibration_holdout(
        cdnow_transactions, calibration_end="1997-09-30", holdout_end="1998-06-30"
    )
    model = rfm.BetaGeo().fit(split.calibration)
    spend = rfm.GammaGamma().fit(split.calibration)
    evaluation = rfm.evaluate_holdout(model, split, spend_model=spend)
    groups = rfm.segment(rfm.score(split.calibration))
    accuracy = rfm.holdout_accuracy(evaluation, by="segment", groups=groups, currency="$")
    return accuracy, evaluation, groups


def test_totals_are_sums_and_percentages_are_error_over_actual(
    cdnow_accuracy: tuple[rfm.HoldoutAccuracy, HoldoutEvaluation, pl.DataFrame],
) -> None:
    accuracy, evaluation, _ = cdnow_accuracy
    per = evaluation.per_customer
    totals = {row["measure"]: row for row in accuracy.totals.iter_rows(named=True)}
    assert totals["purchase days"]["actual"] == per["actual_purchases"].sum()
    assert totals["revenue"]["predicted"] == pytest.approx(per["predicted_revenue"].sum())
    for row in totals.values():
        assert row["error_pct"] == pytest.approx((row["predicted"] - row["actual"]) / row["actual"])


def test_groups_add_up_to_the_totals(
    cdnow_accuracy: tuple[rfm.HoldoutAccuracy, HoldoutEvaluation, pl.DataFrame],
) -> None:
    accuracy, evaluation, groups = cdnow_accuracy
    table = accuracy.by_group
    assert table is not None
    assert table["customers"].sum() == evaluation.per_customer.height
    assert set(table["segment"]) == set(groups["segment"])
    totals = accuracy.totals.filter(pl.col("measure") == "revenue").row(0, named=True)
    assert table["predicted_revenue"].sum() == pytest.approx(totals["predicted"])
    assert table["actual_revenue"].sum() == pytest.approx(totals["actual"])
    row = table.row(0, named=True)
    assert row["purchases_error_pct"] == pytest.approx(
        row["predicted_purchases"] / row["actual_purchases"] - 1
    )


def test_sentences_read_as_the_figures(
    cdnow_accuracy: tuple[rfm.HoldoutAccuracy, HoldoutEvaluation, pl.DataFrame],
) -> None:
    accuracy, _, _ = cdnow_accuracy
    days = accuracy.totals.row(0, named=True)
    direction = "too high" if days["predicted"] > days["actual"] else "too low"
    assert accuracy.sentences[0] == (
        f"Predicted {days['predicted']:,.0f} purchase days, {days['actual']:,.0f} happened: "
        f"{abs(days['error_pct']):.0%} {direction}."
    )
    assert accuracy.sentences[1].startswith("Predicted revenue $")


@pytest.mark.parametrize(
    ("predicted", "actual", "sentence"),
    [
        (4476.0, 5460.0, "Predicted 4,476 purchase days, 5,460 happened: 18% too low."),
        (120.0, 100.0, "Predicted 120 purchase days, 100 happened: 20% too high."),
        (100.2, 100.0, "Predicted 100 purchase days, 100 happened: about right (within 0.5%)."),
        (3.0, 0.0, "Predicted 3 purchase days; none happened in the holdout."),
    ],
)
def test_sentence_cases(predicted: float, actual: float, sentence: str) -> None:
    per = pl.DataFrame(
        {"customer_id": ["a"], "predicted_purchases": [predicted], "actual_purchases": [actual]}
    )
    accuracy = rfm.holdout_accuracy(HoldoutEvaluation("BetaGeo", per, per, 0.0))
    assert accuracy.sentences == (sentence,)
    assert accuracy.by_group is None


def test_grouping_by_a_missing_column_says_how_to_fix() -> None:
    per = pl.DataFrame(
        {"customer_id": ["a"], "predicted_purchases": [1.0], "actual_purchases": [1.0]}
    )
    with pytest.raises(DataError, match=r"cannot group by 'segment'.*Pass groups="):
        rfm.holdout_accuracy(HoldoutEvaluation("BetaGeo", per, per, 0.0), by="segment")


def test_by_frequency_table_is_kept(
    cdnow_accuracy: tuple[rfm.HoldoutAccuracy, HoldoutEvaluation, pl.DataFrame],
) -> None:
    _, evaluation, _ = cdnow_accuracy
    table = evaluation.by_frequency
    assert table.columns == [
        "calibration_purchases",
        "customers",
        "predicted_purchases",
        "actual_purchases",
    ]
    assert table["customers"].sum() == evaluation.per_customer.height


def test_horizon_warnings_cases() -> None:
    assert rfm.horizon_warnings(history_days=730, horizon_days=182, holdout_days=120) == ()
    assert rfm.horizon_warnings(history_days=730, horizon_days=182) == ()
    longer = rfm.horizon_warnings(history_days=36, horizon_days=182)
    assert longer == (
        "The 6-month forecast reaches further ahead than the 5 weeks of history it is based "
        "on: read it as a rough extrapolation, not an estimate.",
    )
    short = rfm.horizon_warnings(history_days=400, horizon_days=30, holdout_days=13)
    assert len(short) == 1 and "only 13 days long (at least 60 are advised)" in short[0]
    # The thresholds are parameters: exactly at them, no warning.
    assert rfm.horizon_warnings(history_days=182, horizon_days=182, holdout_days=60) == ()
    assert (
        rfm.horizon_warnings(
            history_days=400, horizon_days=240, holdout_days=60, max_horizon_to_holdout=4
        )
        == ()
    )
    far = rfm.horizon_warnings(history_days=400, horizon_days=241, holdout_days=60)
    assert far == (
        "The forecast covers 241 days but the model check only 60: its accuracy figures say "
        "nothing about the later part of the forecast.",
    )


@pytest.mark.parametrize("bad", [0, -5, float("nan"), "90", None, True])
def test_horizon_warnings_reject_bad_days(bad: object) -> None:
    with pytest.raises(DataError, match=r"'horizon_days' parameter of horizon_warnings"):
        rfm.horizon_warnings(history_days=100, horizon_days=bad)  # type: ignore[arg-type]
