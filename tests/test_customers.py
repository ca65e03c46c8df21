"""rfm.customer_table: one row per customer of the view, with forecasts equal to the
models' own predictions; its CSV opens cleanly in a spreadsheet; the CLI writes it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
import pytest

import rfm
from rfm.cli import main
from rfm.export import to_safe_csv

SAMPLE = Path(__file__).absolute().parents[1] / "sample_data" / "retail.csv"


@pytest.fixture(scope="module")
def view() -> rfm.AnalysisView:
    return rfm.analysis_view(rfm.datasets.simulate(400, random_state=5))


@pytest.fixture(scope="module")
def models(view: rfm.AnalysisView) -> tuple[rfm.BetaGeo, rfm.GammaGamma]:
    return rfm.BetaGeo().fit(view.customers), rfm.GammaGamma().fit(view.customers)


def test_one_row_per_view_customer_with_their_segment(view: rfm.AnalysisView) -> None:
    table = rfm.customer_table(view)
    assert table["customer_id"].to_list() == view.customers["customer_id"].to_list()
    assert table.select("segment", "monetary").equals(view.customers.select("segment", "monetary"))


def test_forecast_columns_are_the_models_predictions(
    view: rfm.AnalysisView, models: tuple[rfm.BetaGeo, rfm.GammaGamma]
) -> None:
    bg, gg = models
    table = rfm.customer_table(view, purchase_model=bg, spend_model=gg, horizon_days=90)
    alive = bg.p_alive(view.customers)
    assert table["p_alive"].to_list() == pytest.approx(alive["p_alive"].to_list())
    value = rfm.expected_value(view.customers, purchase_model=bg, spend_model=gg, horizon_days=90)
    got = table.join(value, on="customer_id", suffix="_model")
    assert got["expected_revenue"].to_list() == pytest.approx(
        got["expected_revenue_model"].to_list()
    )
    lifetime = rfm.clv(
        view.customers, purchase_model=bg, spend_model=gg, horizon_days=90, discount_rate=0.01
    )
    assert table["clv"].sum() == pytest.approx(lifetime["clv"].sum())
    assert set(table["churn_band"].unique()) <= {"Low", "Medium", "High"}


def test_clusters_join_by_customer(view: rfm.AnalysisView) -> None:
    clusters = rfm.cluster(view.customers, k=3, random_state=0)
    table = rfm.customer_table(view, clusters=clusters)
    joined = table.join(clusters.labels, on="customer_id", suffix="_c")
    assert (joined["cluster"] == joined["cluster_c"]).all()


def test_spend_without_purchase_model_is_refused(
    view: rfm.AnalysisView, models: tuple[rfm.BetaGeo, rfm.GammaGamma]
) -> None:
    with pytest.raises(rfm.DataError, match="needs a purchase model"):
        rfm.customer_table(view, spend_model=models[1])


def test_the_csv_opens_cleanly_in_a_spreadsheet(
    view: rfm.AnalysisView, models: tuple[rfm.BetaGeo, rfm.GammaGamma]
) -> None:
    bg, gg = models
    table = rfm.customer_table(view, purchase_model=bg, spend_model=gg)
    rows = list(csv.DictReader(io.StringIO(to_safe_csv(table).decode())))
    assert len(rows) == table.height
    for row in rows:
        # Money in cents, probabilities as percentages, dates readable, no float noise.
        for money in ("monetary", "avg_order_value", "expected_revenue", "clv"):
            if row[money]:
                assert len(row[money].partition(".")[2]) <= 2, row[money]
        assert row["p_alive"].endswith("%")
        assert 0.0 <= float(row["p_alive"].rstrip("%")) <= 100.0
        assert len(row["first_purchase"]) == len("2024-01-05 10:11:12")
    spent = sum(float(row["monetary"]) for row in rows)
    assert spent == pytest.approx(table["monetary"].sum(), abs=0.01 * len(rows))


def test_float_noise_and_formulas_in_an_export() -> None:
    frame = pl.DataFrame(
        {"customer_id": ["=HYPERLINK(1)", "b"], "monetary": [154225.15000000002, -5.25]}
    )
    text = to_safe_csv(frame).decode()
    assert "154225.15," not in text and "154225.15\n" in text
    assert "'=HYPERLINK(1)" in text and "-5.25" in text
    assert "0000000002" not in text


def test_cli_forecast_writes_the_customer_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "customers.csv"
    assert main([str(SAMPLE), "-o", str(out), "--forecast", "90"]) == 0
    printed = capsys.readouterr().out
    # Each stretch of time says what it is (the sample runs 2020-01-01 to 2023-12-31;
    # the model check holds out its last year).
    assert "Forecast over the 90 days after 2024-01-01 with" in printed
    assert "fitted on 4 years (2020-01-01 to 2023-12-31) of orders." in printed
    assert (
        "Model check, fitted on 3 years (2020-01-01 to 2022-12-31) and checked on the "
        "next 12 months (2023-01-01 to 2023-12-31): "
    ) in printed
    rows = list(csv.DictReader(out.open()))
    view = rfm.analysis_view(rfm.read_transactions(SAMPLE).transactions)
    assert len(rows) == view.customers.height
    assert {"p_alive", "churn_band", "expected_revenue", "clv"} <= set(rows[0])


def test_cli_forecast_needs_whole_days(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(SAMPLE), "--forecast", "0"]) == 1
    assert "whole number of days" in capsys.readouterr().err
