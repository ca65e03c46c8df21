"""rfm.measures: the definitions on hand-built lines, and summarize counting with them.

Also: ``import rfm`` and ``python -m rfm --help`` leave scikit-learn and scipy unloaded
(issue 11, item 7).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import narwhals.stable.v2 as nw
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rfm
from rfm import measures

T0 = dt.datetime(2024, 1, 1, 9)


def _frame(**columns: list[object]) -> pl.DataFrame:
    schema = {
        "customer_id": pl.String,
        "order_id": pl.String,
        "order_date": pl.Datetime("us"),
        "amount": pl.Float64,
        "quantity": pl.Float64,
        "is_return": pl.Boolean,
    }
    return pl.DataFrame(columns, schema={name: schema[name] for name in columns})


def _totals(frame: pl.DataFrame) -> dict[str, object]:
    return frame.select(measures.totals(frame.columns, with_customers=True)).row(0, named=True)


def test_what_is_a_purchase_and_what_a_return() -> None:
    frame = _frame(
        amount=[10.0, 0.0, -3.0, 4.0, -2.0, None, None, None],
        is_return=[False, None, False, True, None, None, True, False],
    )
    kinds = frame.select(
        measures.is_return(frame.columns).alias("return"),
        measures.is_purchase(frame.columns).alias("purchase"),
    )
    assert kinds["return"].to_list() == [False, False, True, True, True, None, True, None]
    # A zero amount is a purchase (a free item); a flagged line is a return whatever its
    # sign; a line without an amount or a flag is neither.
    assert kinds["purchase"].to_list() == [True, True, False, False, False, False, False, False]
    # Without an is_return column, the sign alone decides.
    bare = frame.drop("is_return")
    assert bare.select(measures.is_return(bare.columns))["amount"].to_list() == [
        False, False, True, False, True, None, None, None,
    ]  # fmt: skip


def test_the_narwhals_definitions_match_the_polars_ones() -> None:
    frame = _frame(amount=[10.0, 0.0, -3.0, 4.0, None], is_return=[False, None, False, True, None])
    names = frame.columns
    native = frame.select(
        measures.is_return(names).alias("r"), measures.is_purchase(names).alias("p")
    )
    via = (
        nw.from_native(frame)
        .select(
            measures.is_return(names, ns=nw).alias("r"),
            measures.is_purchase(names, ns=nw).alias("p"),
        )
        .to_native()
    )
    assert via.rows() == native.rows()


def test_totals_of_hand_built_lines() -> None:
    frame = _frame(
        customer_id=["a", "a", "a", "a", "b", "b", "c", "d"],
        order_id=["1", "1", "2", "C1", "1", None, "C9", "7"],
        amount=[10.0, 0.0, 5.0, -4.0, 7.0, None, -6.0, 3.0],
        quantity=[2.0, 1.0, 1.0, -1.0, 1.0, 1.0, -2.0, None],
        is_return=[False, False, False, True, False, None, True, True],
    )
    got = _totals(frame)
    assert got["lines"] == 8
    # a: orders 1 and 2 (C1 is a cancellation); b: order 1 (the same id as a's order 1
    # is another customer's order); the line without an amount is no order; c only
    # returns; d's line is flagged a return although its amount is positive.
    assert got["orders"] == 3
    assert got["customers"] == 2  # a and b
    assert got["revenue"] == pytest.approx(10 + 0 + 5 - 4 + 7 - 6 + 3)
    assert got["gross_sales"] == pytest.approx(10 + 0 + 5 + 7)
    assert got["returned_value"] == pytest.approx(4 + 6 + 3)
    assert got["quantity"] == pytest.approx(2 + 1 + 1 - 1 + 1 + 1 - 2)


def test_totals_of_no_lines() -> None:
    frame = _frame(customer_id=[], order_id=[], amount=[], is_return=[])
    got = _totals(frame)
    assert (got["lines"], got["customers"], got["orders"]) == (0, 0, 0)
    assert got["revenue"] == 0.0
    assert "quantity" not in got


def test_purchase_lines_without_an_order_id_are_one_order_of_their_customer() -> None:
    frame = _frame(
        customer_id=["a", "a", "a", "a", "b", "b"],
        order_id=["1", None, None, None, None, "C2"],
        order_date=[T0, T0, T0 + dt.timedelta(days=3), T0 + dt.timedelta(days=4), T0, T0],
        amount=[5.0, 2.0, 3.0, -1.0, 4.0, -4.0],
        is_return=[False, False, False, False, False, True],
    )
    per = frame.group_by("customer_id").agg(measures.orders(frame.columns)).sort("customer_id")
    # a: order 1 and the id-less purchases (two days, one order); the negative line
    # without an id is a return. b: its id-less purchase.
    assert per.rows() == [("a", 2), ("b", 1)]
    assert _totals(frame)["orders"] == 3


def test_without_an_order_id_column_orders_are_purchase_timestamps() -> None:
    later = T0 + dt.timedelta(hours=2)
    frame = _frame(
        customer_id=["a", "a", "a", "a", "b", "b"],
        order_date=[T0, T0, later, later + dt.timedelta(days=1), T0, later],
        amount=[5.0, 2.0, 0.0, -5.0, 4.0, -1.0],
    )
    per = frame.group_by("customer_id").agg(measures.orders(frame.columns)).sort("customer_id")
    # a: 09:00 (two lines) and 11:00 (a free item); the return is not an order.
    # b: 09:00; the return at 11:00 is not an order.
    assert per.rows() == [("a", 2), ("b", 1)]
    assert frame.select(measures.order_key(frame.columns)).to_series().name == "order_date"


def test_the_order_key_of_numeric_ids_is_text() -> None:
    frame = pl.DataFrame({"order_id": [1, None, 3]})
    keys = frame.select(measures.order_key(frame.columns)).to_series().to_list()
    assert keys == ["1", measures.NO_ORDER_ID, "3"]


# --- summarize counts with the same definitions --------------------------------------------

_lines = st.fixed_dictionaries(
    {
        "customer_id": st.sampled_from(["a", "b", "c", "d"]),
        "order_id": st.sampled_from(["1", "2", "3", "C1", None]),
        "day": st.integers(0, 6),
        "hour": st.sampled_from([9, 15]),
        "amount": st.sampled_from([-5.0, -0.5, 0.0, 0.5, 2.25, 10.0]),
        "quantity": st.sampled_from([-1.0, 0.0, 1.0, 3.0]),
        "is_return": st.sampled_from([True, False, None]),
    }
)


def _lines_frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    """The lines drawn by ``_lines`` as a frame (dated from T0 by day and hour)."""
    return pl.DataFrame(
        {
            "customer_id": [r["customer_id"] for r in rows],
            "order_date": [
                T0 + dt.timedelta(days=r["day"], hours=r["hour"] - 9)  # type: ignore[operator]
                for r in rows
            ],
            "amount": [r["amount"] for r in rows],
            "quantity": [r["quantity"] for r in rows],
            "order_id": [r["order_id"] for r in rows],
            "is_return": [r["is_return"] for r in rows],
        },
        schema_overrides={"order_date": pl.Datetime("us"), "is_return": pl.Boolean},
    )


@settings(max_examples=50, deadline=None)
@given(
    rows=st.lists(_lines, min_size=1, max_size=25),
    with_order_id=st.booleans(),
    with_flag=st.booleans(),
)
def test_summarize_counts_orders_customers_and_revenue_as_the_measures(
    rows: list[dict[str, object]], with_order_id: bool, with_flag: bool
) -> None:
    frame = _lines_frame(rows)
    if not with_order_id:
        frame = frame.drop("order_id")
    if not with_flag:
        frame = frame.drop("is_return")
    summary = rfm.summarize(frame, as_of=dt.date(2024, 1, 10))
    per = (
        frame.group_by("customer_id")
        .agg(measures.orders(frame.columns), measures.customers(frame.columns))
        .filter(pl.col("customers") > 0)
        .sort("customer_id")
    )
    assert summary["customer_id"].to_list() == per["customer_id"].to_list()
    assert summary["frequency"].to_list() == per["orders"].to_list()
    assert summary.height == frame.select(measures.customers(frame.columns)).item()
    assert summary["frequency"].sum() == _totals(frame)["orders"]
    # Net revenue: the customers' monetary, plus the lines of customers with no purchase.
    buyers = frame["customer_id"].is_in(summary["customer_id"].to_list())
    assert summary["monetary"].sum() == pytest.approx(frame.filter(buyers)["amount"].sum())
    assert (
        summary["returns"].sum()
        == frame.filter(buyers).select(measures.is_return(frame.columns).sum()).item()
    )


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(_lines, min_size=1, max_size=30),
    groups=st.lists(st.sampled_from(["x", "y", None]), min_size=30, max_size=30),
    with_order_id=st.booleans(),
    keyed=st.booleans(),
)
def test_totals_by_counts_distinct_customers_and_orders_of_each_group(
    rows: list[dict[str, object]], groups: list[str | None], with_order_id: bool, keyed: bool
) -> None:
    # Oracle: plain Python sets of the purchase lines' customers and (customer, order)
    # pairs per group, with the module docstring's rules written out by hand: a return
    # has a negative amount or the flag; a missing order id is one order of its customer;
    # without order ids an order is a purchase timestamp. Counted from text keys and from
    # the integer keys of line_keys (appended to the lines), the figures are the same.
    frame = (
        _lines_frame(rows)
        .drop("quantity")
        .with_columns(pl.Series("channel", groups[: len(rows)], dtype=pl.String))
    )
    if not with_order_id:
        frame = frame.drop("order_id")
    lines = frame.hstack(measures.line_keys(frame)) if keyed else frame
    out = {
        row["channel"]: row for row in measures.totals_by(lines, "channel").iter_rows(named=True)
    }
    expected: dict[object, dict[str, set[object]]] = {}
    for row in frame.iter_rows(named=True):
        seen = expected.setdefault(row["channel"], {"customers": set(), "orders": set()})
        if row["amount"] < 0 or row["is_return"] is True:
            continue
        order = row["order_id"] if with_order_id else row["order_date"]
        seen["customers"].add(row["customer_id"])
        seen["orders"].add((row["customer_id"], order))
    assert set(out) == set(expected)
    for channel, seen in expected.items():
        assert out[channel]["orders"] == len(seen["orders"])
        assert out[channel]["lines"] == frame.filter(pl.col("channel").eq_missing(channel)).height
    with_customers = measures.totals_by(lines, "channel", with_customers=True)
    for row in with_customers.iter_rows(named=True):
        assert row["customers"] == len(expected[row["channel"]]["customers"])
    # The totals of all the lines: the union of the groups' keys.
    total = lines.select(measures.totals(lines.columns, with_customers=True)).row(0, named=True)
    assert total["orders"] == len(set().union(*(seen["orders"] for seen in expected.values())))
    assert total["customers"] == len(
        set().union(*(seen["customers"] for seen in expected.values()))
    )


# --- start-up: no scikit-learn, no scipy --------------------------------------------------

_STARTUP = """
import contextlib, io, runpy, sys

def heavy():
    return ",".join(sorted({m.split(".")[0] for m in sys.modules} & {"sklearn", "scipy"}))

import rfm
rfm.analysis_view, rfm.summarize, rfm.measures
print("import rfm:", heavy() or "none")
sys.argv = ["rfm", "--help"]
with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()) as out:
    runpy.run_module("rfm", run_name="__main__")
print("rfm --help:", heavy() or "none", "usage:" in out.getvalue())
import scipy
print("import scipy:", heavy() or "none")
"""


@pytest.fixture(scope="module")
def startup() -> dict[str, str]:
    """What a fresh interpreter has loaded after each step (one process: imports are slow)."""
    proc = subprocess.run(
        [sys.executable, "-c", _STARTUP], capture_output=True, text=True, check=True
    )
    steps = (line.split(": ", 1) for line in proc.stdout.splitlines() if ": " in line)
    return dict(steps)


def test_import_rfm_loads_neither_scikit_learn_nor_scipy(startup: dict[str, str]) -> None:
    assert startup["import rfm"] == "none"
    # The check sees them once imported.
    assert startup["import scipy"] == "scipy"


def test_cli_help_loads_neither_scikit_learn_nor_scipy(startup: dict[str, str]) -> None:
    assert startup["rfm --help"] == "none True"  # and the help was printed
