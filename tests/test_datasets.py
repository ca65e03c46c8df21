"""Tests for rfm.datasets: the simulator against BG/NBD and Gamma-Gamma theory, the sample."""

from __future__ import annotations

import datetime as dt
import io
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy.special import hyp2f1

from rfm import datasets
from rfm.errors import DataError

# The defaults documented in simulate's docstring, restated by hand (time in days).
R, ALPHA, A, B = 0.9, 60.0, 1.4, 5.0
P, Q, GAMMA = 6.0, 4.0, 30.0


@pytest.fixture(scope="module")
def big() -> pl.DataFrame:
    """About 280,000 rows: enough for tight statistical checks, under a second to make."""
    return datasets.simulate(40_000, random_state=7)


@pytest.fixture(scope="module")
def purchases(big: pl.DataFrame) -> pl.DataFrame:
    """One row per purchase order: customer, date and gross order value."""
    return (
        big.filter(~pl.col("is_return"))
        .group_by("order_id")
        .agg(
            pl.col("customer_id").first(),
            pl.col("order_date").first(),
            pl.col("amount").sum().alias("value"),
        )
    )


def bgnbd_expected_repeats(t: float, r: float, alpha: float, a: float, b: float) -> float:
    """E[X(t)] of BG/NBD, Fader, Hardie & Lee (2005), equation (9)."""
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


def repeats_within(orders: pl.DataFrame, horizon: int, end: dt.datetime) -> np.ndarray:
    """Repeat orders within ``horizon`` days of each first order, for customers seen that long."""
    first = orders.group_by("customer_id").agg(pl.col("order_date").min().alias("first"))
    eligible = first.filter(pl.col("first") < end - dt.timedelta(horizon))
    days = (pl.col("order_date").dt.date() - pl.col("first").dt.date()).dt.total_days()
    return (
        orders.join(eligible, on="customer_id")
        .group_by("customer_id")
        .agg(((days <= horizon).sum() - 1).alias("x"))["x"]
        .to_numpy()
    )


def test_same_seed_same_log_and_other_seed_differs() -> None:
    first = datasets.simulate(300, random_state=11)
    assert first.equals(datasets.simulate(300, random_state=11))
    assert not first.equals(datasets.simulate(300, random_state=12))


def test_column_names_and_types() -> None:
    tx = datasets.simulate(50, random_state=0)
    assert dict(tx.schema) == {
        "order_id": pl.String,
        "customer_id": pl.String,
        "order_date": pl.Datetime("us"),
        "quantity": pl.Float64,
        "unit_price": pl.Float64,
        "amount": pl.Float64,
        "product": pl.String,
        "category": pl.String,
        "department": pl.String,
        "theme": pl.String,
        "payment_method": pl.String,
        "retailer": pl.String,
        "country": pl.String,
        "city": pl.String,
        "gender": pl.String,
        "age": pl.Int64,
        "signup_date": pl.Date,
        "is_return": pl.Boolean,
    }
    assert tx.null_count().sum_horizontal().item() == 0


def test_every_customer_appears_with_readable_ids() -> None:
    tx = datasets.simulate(120, random_state=3)
    ids = tx["customer_id"].unique().sort()
    assert ids.to_list() == [f"C{i:06d}" for i in range(1, 121)]


def test_dates_within_period_with_times_of_day(big: pl.DataFrame) -> None:
    assert big["order_date"].min() >= dt.datetime(2020, 1, 1)
    assert big["order_date"].max() < dt.datetime(2024, 1, 1)
    # Orders have times of day, mostly in waking hours.
    hours = big["order_date"].dt.hour()
    assert hours.n_unique() == 24
    assert ((hours >= 8) & (hours <= 22)).mean() > 0.8  # type: ignore[operator]
    custom = datasets.simulate(30, start="2022-03-01", end="2022-03-31", random_state=1)
    assert custom["order_date"].dt.date().min() >= dt.date(2022, 3, 1)
    assert custom["order_date"].dt.date().max() <= dt.date(2022, 3, 31)


def test_rows_sorted_by_date(big: pl.DataFrame) -> None:
    assert big["order_date"].is_sorted()


def test_amount_is_quantity_times_unit_price(big: pl.DataFrame) -> None:
    diff = (big["amount"] - big["quantity"] * big["unit_price"]).abs()
    assert diff.max() < 0.005 + 1e-9  # type: ignore[operator]
    assert (big["unit_price"] > 0).all()
    assert (big["quantity"] == big["quantity"].round()).all()


def test_orders_are_one_customer_one_moment(big: pl.DataFrame) -> None:
    per_order = big.group_by("order_id").agg(
        pl.col("customer_id").n_unique().alias("customers"),
        pl.col("order_date").n_unique().alias("moments"),
        pl.len().alias("lines"),
    )
    assert (per_order["customers"] == 1).all()
    assert (per_order["moments"] == 1).all()
    # Most orders have one line, a fair share several.
    multi = (per_order["lines"] > 1).mean()
    assert 0.15 < multi < 0.5  # type: ignore[operator]


def test_returns_look_like_uci_cancellations(big: pl.DataFrame) -> None:
    returns = big.filter("is_return")
    share = returns.height / big.height
    assert 0.02 <= share <= 0.04
    assert (returns["quantity"] < 0).all()
    assert (returns["amount"] < 0).all()
    assert returns["order_id"].str.starts_with("C").all()
    assert not big.filter(~pl.col("is_return"))["order_id"].str.starts_with("C").any()
    # Each return refers to an earlier purchase of the same customer and product.
    original = big.filter(~pl.col("is_return")).select(
        pl.format("C{}", "order_id").alias("order_id"),
        pl.col("customer_id").alias("buyer"),
        pl.col("order_date").alias("bought"),
        pl.col("product").alias("bought_product"),
        pl.col("quantity").alias("bought_quantity"),
    )
    joined = returns.join(original, on="order_id", how="left")
    assert (joined["buyer"] == joined["customer_id"]).all()
    assert (joined["order_date"] > joined["bought"]).all()
    assert joined.filter(pl.col("product") == pl.col("bought_product")).height > 0
    matched = joined.filter(pl.col("product") == pl.col("bought_product"))
    assert (-matched["quantity"] <= matched["bought_quantity"]).any()


def test_no_returns_when_rate_is_zero() -> None:
    tx = datasets.simulate(200, return_rate=0.0, random_state=5)
    assert not tx["is_return"].any()


def test_demographics_fixed_per_customer(big: pl.DataFrame) -> None:
    per_customer = big.group_by("customer_id").agg(
        pl.col("gender", "age", "country", "city", "signup_date").n_unique(),
        pl.col("order_date").min().dt.date().alias("first_order"),
        pl.col("signup_date").first().alias("signed_up"),
    )
    for column in ("gender", "age", "country", "city", "signup_date"):
        assert (per_customer[column] == 1).all(), column
    assert (per_customer["signed_up"] <= per_customer["first_order"]).all()
    assert big["age"].min() >= 18  # type: ignore[operator]
    assert big["age"].max() <= 85  # type: ignore[operator]
    assert set(big["gender"].unique()) == {"Female", "Male", "Other"}


def test_cities_belong_to_their_country(big: pl.DataFrame) -> None:
    pairs = big.select("country", "city").unique()
    assert pairs["city"].is_unique().all()  # each city lies in exactly one country
    known = {"London": "United Kingdom", "Paris": "France", "Berlin": "Germany"}
    for city, country in known.items():
        assert pairs.filter(pl.col("city") == city)["country"].to_list() == [country]
    top = big.group_by("country").agg(pl.col("customer_id").n_unique()).sort("customer_id")
    assert top["country"][-1] == "United Kingdom"


def test_payment_methods_and_dimensions_present(big: pl.DataFrame) -> None:
    methods = set(big["payment_method"].unique())
    assert {"card", "cash", "crypto", "paypal", "gift card"} <= methods
    for column in ("product", "category", "department", "theme", "retailer"):
        assert big[column].n_unique() >= 3, column
    # A product always sits in the same category, department and theme.
    hierarchy = big.select("product", "category", "department", "theme").unique()
    assert hierarchy["product"].is_unique().all()


def test_repeat_purchases_follow_bgnbd_mean(purchases: pl.DataFrame) -> None:
    horizon = 365
    x = repeats_within(purchases, horizon, dt.datetime(2023, 12, 31))
    expected = bgnbd_expected_repeats(horizon, R, ALPHA, A, B)
    standard_error = x.std(ddof=1) / math.sqrt(x.size)
    assert abs(x.mean() - expected) < 4 * standard_error, (x.mean(), expected, standard_error)
    # P(X(t) = 0) = (alpha / (alpha + t))^r: nobody drops out before a first repeat order.
    p_zero = (ALPHA / (ALPHA + horizon)) ** R
    se_zero = math.sqrt(p_zero * (1 - p_zero) / x.size)
    assert abs((x == 0).mean() - p_zero) < 4 * se_zero, ((x == 0).mean(), p_zero)


def test_other_bgnbd_parameters_are_used() -> None:
    params = {"r": 2.0, "alpha": 20.0, "a": 3.0, "b": 4.0}
    tx = datasets.simulate(
        8000,
        start="2021-01-01",
        end="2022-12-31",
        bg_params=params,
        return_rate=0.0,
        random_state=9,
    )
    per_order = tx.group_by("order_id").agg(pl.col("customer_id", "order_date").first())
    horizon = 180
    x = repeats_within(per_order, horizon, dt.datetime(2022, 12, 31))
    expected = bgnbd_expected_repeats(horizon, **params)
    assert abs(x.mean() - expected) < 4 * x.std(ddof=1) / math.sqrt(x.size)


def test_spend_follows_gamma_gamma_mean(purchases: pl.DataFrame) -> None:
    # E[z] = p * gamma / (q - 1); customers are independent, so average per customer.
    per_customer = purchases.group_by("customer_id").agg(pl.col("value").mean())["value"]
    values = per_customer.to_numpy()
    expected = P * GAMMA / (Q - 1)
    standard_error = values.std(ddof=1) / math.sqrt(values.size)
    assert abs(values.mean() - expected) < 4 * standard_error, (values.mean(), expected)


def test_spend_within_customer_has_gamma_gamma_dispersion(purchases: pl.DataFrame) -> None:
    # Given nu, orders are Gamma(p, nu): the coefficient of variation of a customer's orders
    # is 1 / sqrt(p), whatever nu is. Pool the squared CVs of customers with many orders.
    stats = (
        purchases.group_by("customer_id")
        .agg(pl.col("value").mean().alias("mean"), pl.col("value").var().alias("var"), pl.len())
        .filter(pl.col("len") >= 10)
    )
    cv2 = (stats["var"] / stats["mean"] ** 2).to_numpy()
    # The sample CV^2 is biased low by about a (1 + 1/p)-ish factor for small n; be generous.
    assert 0.6 / P < np.median(cv2) < 1.2 / P


def test_rejects_bad_arguments() -> None:
    with pytest.raises(DataError, match="'n_customers' parameter of simulate must be an int"):
        datasets.simulate(0)
    with pytest.raises(DataError, match="'start' parameter of simulate must be an ISO date"):
        datasets.simulate(10, start="01/02/2020")
    with pytest.raises(DataError, match="start <= end"):
        datasets.simulate(10, start="2021-01-01", end="2020-01-01")
    with pytest.raises(DataError, match="'bg_params' parameter of simulate must map exactly"):
        datasets.simulate(10, bg_params={"r": 1.0, "alpha": 2.0})
    with pytest.raises(DataError, match=r"'gg_params' parameter .* positive"):
        datasets.simulate(10, gg_params={"p": 1.0, "q": -1.0, "gamma": 2.0})
    with pytest.raises(DataError, match=r"'return_rate' parameter of simulate must be in \[0, 1\)"):
        datasets.simulate(10, return_rate=1.5)


def test_unknown_sample_name() -> None:
    with pytest.raises(DataError, match=r"Unknown sample 'nope'\. Expected one of"):
        datasets.load_sample("nope")
    with pytest.raises(DataError, match="Unknown sample 'nope'"):
        datasets.sample_path("nope")


def test_committed_sample_regenerates_bit_for_bit() -> None:
    buffer = io.BytesIO()
    datasets.write_retail_csv(datasets.simulate(**datasets.RETAIL_SAMPLE), buffer)
    committed = datasets.sample_path("retail").read_bytes()
    assert buffer.getvalue() == committed
    assert len(committed) < 5 * 2**20


def test_load_sample_reads_the_typed_frame() -> None:
    sample = datasets.load_sample("retail")
    assert sample.equals(datasets.simulate(**datasets.RETAIL_SAMPLE))
    assert sample["customer_id"].n_unique() == 3000


def test_load_sample_regenerates_without_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(datasets, "_SAMPLE_DIR", tmp_path)
    with pytest.raises(DataError, match=r"not found\. Samples ship with the repository"):
        datasets.sample_path("retail")
    assert datasets.load_sample("retail").equals(datasets.simulate(**datasets.RETAIL_SAMPLE))


def test_lifetimes_recovers_the_true_parameters() -> None:
    # lifetimes (an independent implementation) used only as an oracle: its maximum-likelihood
    # fit on the simulated log should land near the parameters the simulator was given.
    pytest.importorskip("lifetimes")
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    tx = datasets.simulate(10_000, random_state=21)
    orders = (
        tx.filter(~pl.col("is_return"))
        .group_by("order_id")
        .agg(pl.col("customer_id", "order_date").first(), pl.col("amount").sum())
        .select("customer_id", "order_date", "amount")
        .to_pandas()
    )
    summary = summary_data_from_transaction_data(
        orders, "customer_id", "order_date", "amount", observation_period_end="2023-12-31"
    )
    bg = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    for name, truth in {"r": R, "alpha": ALPHA, "a": A, "b": B}.items():
        assert bg.params_[name] == pytest.approx(truth, rel=0.2), name
    repeaters = summary[summary["frequency"] > 0]
    gg = GammaGammaFitter().fit(repeaters["frequency"], repeaters["monetary_value"])
    for name, truth in {"p": P, "q": Q, "v": GAMMA}.items():
        assert gg.params_[name] == pytest.approx(truth, rel=0.2), name


def test_read_transactions_reads_the_sample_as_simulated() -> None:
    # The committed CSV through the library's own reader gives back the simulated frame:
    # every column detected, returns recognised, nothing excluded.
    import rfm

    result = rfm.read_transactions(datasets.sample_path("retail"))
    sample = datasets.load_sample("retail")
    assert result.report.rows_read == sample.height
    assert result.report.rows_kept == sample.height
    assert result.report.returns == sample["is_return"].sum()
    assert result.transactions.equals(sample.select(result.transactions.columns))


@pytest.mark.parametrize(
    ("name", "customers", "rows"),
    # Counts published with the data (Fader & Hardie): 23,570 customers; 1-in-10 sample 2,357.
    [("cdnow", 23_570, 69_659), ("cdnow_sample", 2_357, 6_919)],
)
def test_load_cdnow_matches_pandas_reading(name: str, customers: int, rows: int) -> None:
    import pandas as pd

    frame = datasets.load_sample(name)
    assert frame["customer_id"].n_unique() == customers
    assert frame.height == rows
    # pandas' whitespace reader as the oracle for the fields.
    header = 0 if name == "cdnow" else None
    oracle = pd.read_csv(datasets.sample_path(name), sep=r"\s+", header=header, dtype=str)
    values = oracle.iloc[:, -2:].astype(float)
    assert frame["quantity"].to_list() == values.iloc[:, 0].tolist()
    assert frame["amount"].to_list() == values.iloc[:, 1].tolist()
    assert frame["customer_id"].to_list() == oracle.iloc[:, 0].tolist()
    dates = pd.to_datetime(oracle.iloc[:, -3], format="%Y%m%d")
    assert frame["order_date"].dt.date().to_list() == [d.date() for d in dates]
    assert not frame["is_return"].any()
