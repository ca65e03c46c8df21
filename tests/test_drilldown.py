"""One customer's drill-down: their lines and P(alive) over their history.

The P(alive) path is checked against lifetimes' ``calculate_alive_path`` (a test-only
oracle, one pandas ``apply`` per day) at the same published parameters, and by hand:
BG/NBD never counts a customer gone before a repeat purchase, lets them leave right
after one with probability a / (a + b + x - 1), and P(alive) falls while they do not buy.
"""

from __future__ import annotations

import datetime as dt
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import rfm

SAMPLE = Path(__file__).absolute().parents[1] / "sample_data" / "retail.csv"
BG = {"r": 0.2426, "alpha": 30.895, "a": 0.7929, "b": 2.4259}
MBG = {"r": 0.525, "alpha": 43.28, "a": 0.891, "b": 1.614}
PARETO = {"r": 0.553, "alpha": 74.06, "s": 0.606, "beta": 81.69}


@cache
def _view() -> rfm.AnalysisView:
    return rfm.analysis_view(rfm.read_transactions(SAMPLE).transactions)


def _lifetimes() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes
        import lifetimes.utils
    return lifetimes


@pytest.fixture
def _pandas_fillna_method(monkeypatch: pytest.MonkeyPatch) -> None:
    """lifetimes 0.11.3's ``calculate_alive_path`` calls ``Series.fillna(method="ffill")``,
    which pandas 3 removed; give the oracle that call back (as ``ffill``) in this test only.
    """
    fillna = pd.Series.fillna

    def patched(
        self: pd.Series, value: Any = None, *args: Any, method: Any = None, **kwargs: Any
    ) -> Any:
        if method == "ffill":
            return self.ffill()
        return fillna(self, value, *args, **kwargs)

    monkeypatch.setattr(pd.Series, "fillna", patched)


def _oracle_path(
    fitter_class: Any, params: dict[str, float], lines: pl.DataFrame, as_of: dt.date
) -> np.ndarray:
    """lifetimes' alive path of the purchase lines, one point per day to ``as_of``."""
    fitter = fitter_class()
    fitter.params_ = pd.Series(params)
    buys = lines.filter(pl.col("kind") == "purchase")
    days = buys.select(pl.col("order_date").cast(pl.Date)).to_series()
    first: dt.date = days.min()  # type: ignore[assignment]
    t = (as_of - first).days
    frame = pd.DataFrame({"date": pd.to_datetime(days.to_list())})
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        path = _lifetimes().utils.calculate_alive_path(fitter, frame, "date", t, freq="D")
    # Each row's value comes back as a numpy scalar or a one-element array.
    return np.array([float(np.asarray(value).reshape(-1)[0]) for value in path])


KINDS = ("most purchase days", "three purchase days", "one purchase day", "with returns")


@cache
def _customer(kind: str) -> str:
    """A sample customer of each kind (the first by id)."""
    customers = _view().customers.sort("purchase_days", "customer_id", descending=[True, False])
    returners = _view().transactions.filter(pl.col("amount") < 0)["customer_id"].unique()
    picked = {
        "most purchase days": customers,
        "three purchase days": customers.filter(pl.col("purchase_days") == 3),
        "one purchase day": customers.filter(pl.col("purchase_days") == 1),
        "with returns": customers.filter(pl.col("customer_id").is_in(returners.to_list())),
    }[kind]
    return str(picked["customer_id"][0])


def _customers() -> list[str]:
    return list(dict.fromkeys(_customer(kind) for kind in KINDS))


@pytest.mark.parametrize(
    ("model_class", "oracle_name", "params"),
    [
        (rfm.BetaGeo, "BetaGeoFitter", BG),
        (rfm.ModifiedBetaGeo, "ModifiedBetaGeoFitter", MBG),
        (rfm.ParetoNBD, "ParetoNBDFitter", PARETO),
    ],
    ids=["bg", "mbg", "pareto"],
)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.usefixtures("_pandas_fillna_method")
def test_alive_path_equals_lifetimes(
    model_class: Any, oracle_name: str, params: dict[str, float], kind: str
) -> None:
    view = _view()
    customer_id = _customer(kind)
    history = rfm.customer_history(view, customer_id)
    model = model_class.from_params(params)
    path = rfm.alive_history(history.lines, model=model, as_of=view.as_of)
    expected = _oracle_path(getattr(_lifetimes(), oracle_name), params, history.lines, view.as_of)
    assert path.height == expected.size
    np.testing.assert_allclose(path["p_alive"].to_numpy(), expected, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("model_class", [rfm.BetaGeo, rfm.ModifiedBetaGeo, rfm.ParetoNBD])
def test_last_point_is_the_customers_p_alive_at_as_of(model_class: Any) -> None:
    """The path ends where the model scores the view's customer row."""
    params = {rfm.BetaGeo: BG, rfm.ModifiedBetaGeo: MBG, rfm.ParetoNBD: PARETO}[model_class]
    model = model_class.from_params(params)
    view = _view()
    ids = _customers()
    ends = [
        rfm.alive_history(rfm.customer_history(view, c).lines, model=model, as_of=view.as_of)[
            "p_alive"
        ][-1]
        for c in ids
    ]
    scored = model.p_alive(view.customers.filter(pl.col("customer_id").is_in(ids)))
    by_id = dict(zip(scored["customer_id"], scored["p_alive"], strict=True))
    np.testing.assert_allclose(ends, [by_id[c] for c in ids], rtol=1e-12)


def _lines(days: list[int], *, returns: list[int] = ()) -> pl.DataFrame:  # type: ignore[assignment]
    start = dt.date(2024, 1, 1)
    return pl.DataFrame(
        {
            "customer_id": ["c"] * (len(days) + len(returns)),
            "order_date": [start + dt.timedelta(days=d) for d in [*days, *returns]],
            "amount": [20.0] * len(days) + [-5.0] * len(returns),
        }
    )


def test_bg_nbd_by_hand() -> None:
    """Purchases on days 0, 0, 30 and 45; a return on day 60 changes nothing."""
    a, b = BG["a"], BG["b"]
    model = rfm.BetaGeo.from_params(BG)
    lines = _lines([0, 0, 30, 45], returns=[60])
    path = rfm.alive_history(lines, model=model, as_of=dt.date(2024, 4, 1))
    alive = path["p_alive"].to_numpy()
    assert path.height == 92  # 1 January to 1 April 2024, both included
    assert path["purchase"].arg_true().to_list() == [0, 30, 45]
    # Two lines on the first day are one purchase day: no repeat purchase before day 30.
    assert path["purchase_days"][29] == 1
    np.testing.assert_array_equal(alive[:30], 1.0)
    # Right after the x-th repeat purchase: 1 / (1 + a / (b + x - 1)).
    assert alive[30] == pytest.approx(1 / (1 + a / b))
    assert alive[45] == pytest.approx(1 / (1 + a / (b + 1)))
    # Falling every day without a purchase.
    assert np.all(np.diff(alive[30:45]) < 0)
    assert np.all(np.diff(alive[45:]) < 0)
    # The return on day 60 is not a purchase.
    without_return = rfm.alive_history(
        _lines([0, 0, 30, 45]), model=model, as_of=dt.date(2024, 4, 1)
    )
    assert_frame_equal(path, without_return)


def test_pareto_nbd_is_alive_on_a_purchase_day() -> None:
    model = rfm.ParetoNBD.from_params(PARETO)
    path = rfm.alive_history(_lines([0, 20, 50]), model=model, as_of=dt.date(2024, 3, 31))
    alive = path["p_alive"].to_numpy()
    np.testing.assert_allclose(alive[[0, 20, 50]], 1.0, rtol=1e-12)
    assert np.all(np.diff(alive[21:50]) < 0)
    assert np.all(np.diff(alive[51:]) < 0)


def test_freq_days_keeps_the_daily_values() -> None:
    model = rfm.ModifiedBetaGeo.from_params(MBG)
    lines = _lines([0, 9, 25])
    as_of = dt.date(2024, 3, 3)
    daily = rfm.alive_history(lines, model=model, as_of=as_of)
    weekly = rfm.alive_history(lines, model=model, as_of=as_of, freq_days=7)
    assert weekly["date"][0] == dt.date(2024, 1, 1)
    assert weekly["date"][-1] == as_of
    assert_frame_equal(
        weekly.drop("purchase"),
        daily.filter(pl.col("date").is_in(weekly["date"].to_list())).drop("purchase"),
    )


def test_purchases_after_as_of_are_left_out() -> None:
    model = rfm.BetaGeo.from_params(BG)
    with_later = rfm.alive_history(_lines([0, 10, 200]), model=model, as_of=dt.date(2024, 2, 1))
    without = rfm.alive_history(_lines([0, 10]), model=model, as_of=dt.date(2024, 2, 1))
    assert_frame_equal(with_later, without)


def test_customer_history_matches_the_view() -> None:
    view = _view()
    customer_id = _customer("with returns")
    history = rfm.customer_history(view, customer_id)
    row = view.customers.filter(pl.col("customer_id") == customer_id).row(0, named=True)
    assert history.row == row
    own = view.transactions.filter(pl.col("customer_id") == customer_id)
    assert history.lines.height == own.height
    timeline = history.timeline()
    # The day totals add up to the customer's net spend, and the purchase days to theirs.
    assert timeline["amount"].sum() == pytest.approx(row["monetary"])
    assert timeline.filter(pl.col("kind") == "purchase").height == row["purchase_days"]
    assert timeline.filter(pl.col("kind") == "return")["amount"].max() < 0  # type: ignore[operator]


def test_unknown_customer_is_a_clear_error() -> None:
    with pytest.raises(rfm.DataError, match=r"Customer 'nobody' is not in this view.*check the id"):
        rfm.customer_history(_view(), "nobody")


def test_returns_only_customer_is_named_as_such() -> None:
    tx = pl.DataFrame(
        {
            "customer_id": ["a", "b"],
            "amount": [10.0, -3.0],
            "order_date": [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2)],
        }
    )
    with pytest.raises(rfm.DataError, match="has only returns"):
        rfm.customer_history(rfm.analysis_view(tx), "b")


def test_alive_history_bad_inputs() -> None:
    model = rfm.BetaGeo.from_params(BG)
    with pytest.raises(rfm.DataError, match="freq_days.*int >= 1. Got 0"):
        rfm.alive_history(_lines([0]), model=model, as_of="2024-02-01", freq_days=0)
    with pytest.raises(rfm.DataError, match="at least one purchase on or before 2023-12-01"):
        rfm.alive_history(_lines([0]), model=model, as_of="2023-12-01")
    with pytest.raises(rfm.DataError, match="as_of must be a date"):
        rfm.alive_history(_lines([0]), model=model, as_of="soon")
    with pytest.raises(rfm.DataError, match="Missing: amount"):
        rfm.alive_history(_lines([0]).drop("amount"), model=model, as_of="2024-02-01")
