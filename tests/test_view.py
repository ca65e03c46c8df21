"""rfm.analysis_view: one set of numbers (issue 11).

Every table of a view is checked against the others -- the KPIs, the breakdowns by
segment, period, country and category, and the customer table add up to the same
customers, orders and revenue -- and against figures known independently of the
measures: counted by hand on a small UCI-shaped file, taken from how random data was
built, or summed from a file with the ``csv`` module.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import random
from collections.abc import Iterable
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import rfm
from rfm import tables
from rfm.datasets import simulate
from rfm.view import RETURNS_ONLY

REPO = Path(__file__).resolve().parents[1]
START = dt.date(2022, 1, 1)
DAYS = 540  # the random logs span 2022-01-01 .. 2023-06-24
COUNTRIES = ("France", "Germany", "Peru", "United Kingdom")
CATEGORIES = ("Books", "Candles", "Garden", "Toys")


def approx(value: float) -> object:
    return pytest.approx(value, rel=1e-9, abs=1e-6)


# --- random transaction logs, with what each line is known by construction ---------------


@dataclasses.dataclass(frozen=True)
class Log:
    """A random transaction log and the truth it was built from (keyed by ``line``)."""

    frame: pl.DataFrame
    purchase: dict[int, bool]  # line -> built as a purchase line (else a return line)
    order: dict[int, tuple[str, int]]  # purchase line -> (customer, order number built)
    one_country: bool  # every customer's lines carry one country
    one_date_per_order: bool  # no two purchase lines of one order id differ in date


def random_log(seed: int, *, customers: int, one_country: bool, missing_order_ids: bool) -> Log:
    """Customers with orders of several lines (a category each), partial returns of
    them as cancellation invoices, customers with only returns, zero-priced lines,
    returns given as a flag with a positive amount or as a negative amount without a
    flag, and, optionally, purchase lines without an order id."""
    rnd = random.Random(seed)
    rows: list[dict[str, object]] = []
    purchase: dict[int, bool] = {}
    order_of: dict[int, tuple[str, int]] = {}
    number = 5000

    def when(low: int = 0, high: int = DAYS - 1) -> dt.datetime:
        day = START + dt.timedelta(days=rnd.randint(low, high))
        return dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=rnd.randrange(86_400))

    def add(
        customer: str,
        order_id: str | None,
        at: dt.datetime,
        qty: int,
        price: float,
        country: str,
        *,
        is_return: bool,
        flag: bool = True,
    ) -> None:
        amount = round(qty * price, 2)
        line = len(rows)
        rows.append(
            {
                "line": line,
                "customer_id": customer,
                "order_id": order_id,
                "order_date": at,
                "quantity": float(qty),
                "amount": amount,
                "is_return": is_return and flag,
                "country": country,
                "category": rnd.choice(CATEGORIES),
            }
        )
        purchase[line] = not is_return

    for c in range(customers):
        customer = f"K{c:03d}"
        home = rnd.choice(COUNTRIES)

        def country() -> str:
            return home if one_country else rnd.choice(COUNTRIES)  # noqa: B023

        if rnd.random() < 0.2:  # only returns (of purchases made before the log)
            number += 1
            at = when()
            for _ in range(rnd.randint(1, 2)):
                add(
                    customer,
                    f"C{number}",
                    at,
                    -rnd.randint(1, 3),
                    rnd.choice([2.5, 9.99]),
                    country(),
                    is_return=True,
                )
            continue
        for _ in range(rnd.randint(1, 4)):
            number += 1
            at = when()
            order_id = None if missing_order_ids and rnd.random() < 0.25 else str(number)
            returned: list[tuple[int, float]] = []
            for _ in range(rnd.randint(1, 4)):
                qty, price = rnd.randint(1, 5), rnd.choice([0.0, 0.5, 1.25, 2.99, 10.0, 24.95])
                add(customer, order_id, at, qty, price, country(), is_return=False)
                order_of[len(rows) - 1] = (customer, number)
                if rnd.random() < 0.3:
                    returned.append((rnd.randint(1, qty), price))
            if returned:  # one cancellation invoice, a few days later
                back = at + dt.timedelta(days=rnd.randint(0, 40), hours=1)
                for qty, price in returned:
                    style = rnd.random()
                    if style < 0.1:  # flagged, amount given positive
                        add(customer, f"C{number}", back, qty, price, country(), is_return=True)
                    elif style < 0.2 and price > 0:  # negative amount, no flag
                        add(
                            customer,
                            f"C{number}",
                            back,
                            -qty,
                            price,
                            country(),
                            is_return=True,
                            flag=False,
                        )
                    else:
                        add(customer, f"C{number}", back, -qty, price, country(), is_return=True)
    frame = pl.DataFrame(
        rows,
        schema={
            "line": pl.Int64,
            "customer_id": pl.String,
            "order_id": pl.String,
            "order_date": pl.Datetime("us"),
            "quantity": pl.Float64,
            "amount": pl.Float64,
            "is_return": pl.Boolean,
            "country": pl.String,
            "category": pl.String,
        },
    )
    return Log(frame, purchase, order_of, one_country, not missing_order_ids)


def simulated_log(seed: int) -> Log:
    """:func:`rfm.datasets.simulate`: one country per customer, one date per order."""
    frame = simulate(
        40,
        start=START,
        end=START + dt.timedelta(days=DAYS - 1),
        random_state=seed,
        return_rate=0.15,
    ).with_row_index("line")
    frame = frame.with_columns(pl.col("line").cast(pl.Int64))
    purchase = dict(zip(frame["line"], ~frame["is_return"], strict=True))
    order = {
        line: (customer, int(order_id))
        for line, customer, order_id, back in frame.select(
            "line", "customer_id", "order_id", "is_return"
        ).iter_rows()
        if not back
    }
    return Log(frame, purchase, order, one_country=True, one_date_per_order=True)


@st.composite
def views(draw: st.DrawFn) -> tuple[Log, dt.date | None, rfm.Filters]:
    source = draw(st.sampled_from(["random", "random", "simulate"]))
    seed = draw(st.integers(0, 2**32 - 1))
    if source == "simulate":
        log = simulated_log(seed)
    else:
        log = random_log(
            seed,
            customers=draw(st.integers(1, 30)),
            one_country=draw(st.booleans()),
            missing_order_ids=draw(st.booleans()),
        )
    day = st.integers(-10, DAYS + 10).map(lambda n: START + dt.timedelta(days=n))
    as_of = draw(st.none() | day)
    date_range = draw(st.none() | st.none() | st.tuples(day, day).map(lambda d: (min(d), max(d))))
    countries = log.frame["country"].unique().sort().to_list()
    categories = log.frame["category"].unique().sort().to_list()
    filters = rfm.Filters.of(
        date_range=date_range,
        country=draw(st.just([]) | st.lists(st.sampled_from(countries), unique=True, max_size=3)),
        category=draw(st.just([]) | st.lists(st.sampled_from(categories), unique=True, max_size=3)),
    )
    if draw(st.integers(0, 3)) == 0:
        # Some of the segments the view has without the segment filter (and at times
        # one it does not have).
        present = rfm.analysis_view(
            log.frame, as_of=as_of, filters=filters, require_customers=False
        ).customers["segment"]
        names = sorted(set(present)) or rfm.segment_levels()
        chosen = draw(st.lists(st.sampled_from(names), unique=True, min_size=1, max_size=3))
        chosen += draw(st.lists(st.sampled_from(rfm.segment_levels()), max_size=1))
        filters = dataclasses.replace(filters, segments=tuple(dict.fromkeys(chosen)))
    return log, as_of, filters


def _passes_row_filters(row: dict[str, object], filters: rfm.Filters) -> bool:
    day = row["order_date"].date()  # type: ignore[attr-defined]
    if filters.date_range is not None and not filters.date_range[0] <= day <= filters.date_range[1]:
        return False
    return all(str(row[column]) in chosen for column, chosen in filters.values)


def _total(frame: pl.DataFrame, column: str) -> float:
    return float(frame[column].sum()) if frame.height else 0.0


def _check_sums(view: rfm.AnalysisView, log: Log) -> None:
    """Every breakdown adds up to the KPIs and to the customer table."""
    kpis = view.kpis()
    tx = view.transactions
    customers = view.customers
    assert kpis.customers == customers.height
    # Revenue: every dimension, and the customers plus the returns-only customers.
    by = {
        name: view.breakdown(name)
        for name in ("segment", "activity", "month", "year", "day", "country", "category")
    }
    for name, table in by.items():
        assert _total(table, "revenue") == approx(kpis.revenue), name
        assert _total(table, "lines") == tx.height, name
        assert table[name if name not in rfm.view.PERIODS else "period"].is_unique().all(), name
    monetary = _total(customers, "monetary")
    assert monetary + view.counts.returns_only_revenue == approx(kpis.revenue)
    assert view.counts.returns_only_revenue == approx(_total(view.returns_only, "revenue"))
    assert kpis.returns_only_revenue == view.counts.returns_only_revenue
    # The returns-only row of a customer-level breakdown is exactly those customers.
    for name in ("segment", "activity"):
        rest = by[name].filter(pl.col(name) == RETURNS_ONLY)
        if view.returns_only.height:
            assert rest["customers"].to_list() == [0]
            assert rest["orders"].to_list() == [0]
            assert rest["revenue"].item() == approx(view.counts.returns_only_revenue)
            assert rest["lines"].item() == view.returns_only["lines"].sum()
        else:
            assert rest.height == 0
    # Orders: each customer is in one segment; each order in one month when it has one date.
    frequency = int(customers["frequency"].sum())
    assert kpis.orders == frequency
    for name in ("segment", "activity"):
        assert _total(by[name], "orders") == kpis.orders
        assert _total(by[name], "customers") == kpis.customers
    if log.one_date_per_order:
        for name in ("day", "month", "year"):
            assert _total(by[name], "orders") == kpis.orders, name
    # Customers: each customer is in one country when the data says so.
    for name in ("country", "category", "month"):
        assert _total(by[name], "customers") >= kpis.customers, name
    if log.one_country:
        assert _total(by["country"], "customers") == kpis.customers
        assert _total(by["country"], "orders") == kpis.orders
    # Customer by customer, the lines (measures) and the summary (summarize) agree.
    per = view.breakdown("customer_id").join(
        customers.select("customer_id", "frequency", "monetary"), on="customer_id", how="left"
    )
    scored = per.filter(pl.col("frequency").is_not_null())
    assert scored.height == customers.height
    assert scored["orders"].to_list() == scored["frequency"].to_list()
    assert scored["customers"].to_list() == [1] * scored.height
    for got, want in scored.select("revenue", "monetary").iter_rows():
        assert got == approx(want)
    rest = per.filter(pl.col("frequency").is_null()).sort("customer_id")
    assert rest["customer_id"].to_list() == view.returns_only["customer_id"].to_list()
    assert rest["customers"].sum() == rest["orders"].sum() == 0
    # Quantity is net units, whichever way it is cut.
    if kpis.quantity is not None:
        for name in ("segment", "month", "country", "category"):
            assert _total(by[name], "quantity") == approx(kpis.quantity), name


def _check_customer_tables(view: rfm.AnalysisView) -> None:
    """The customer-level tables (rfm.tables, segment_table) count every customer once."""
    customers = view.customers
    if customers.height == 0:
        return
    kpis = view.kpis()
    monetary = _total(customers, "monetary")
    with_revenue = {
        "activity": tables.activity_table(customers),
        "frequency bands": tables.frequency_bands(customers),
        "tenure": tables.revenue_by_tenure(customers),
        "cohort": tables.revenue_by_cohort(customers, every="1mo"),
        "segment table": rfm.segment_table(customers),
    }
    for name, table in with_revenue.items():
        assert _total(table, "customers") == kpis.customers, name
        assert _total(table, "revenue") == approx(monetary), name
    for name, table in {
        "score histogram": tables.score_histogram(customers),
        "grid": tables.segment_grid(customers),
    }.items():
        assert _total(table, "customers") == kpis.customers, name
    assert tables.revenue_by_cohort(customers, every="1mo")["cohort"].max() <= view.as_of
    # The segment table and the breakdown by segment agree segment by segment.
    segment_rows = rfm.segment_table(customers).filter(pl.col("customers") > 0)
    by_segment = view.breakdown("segment").filter(pl.col("segment") != RETURNS_ONLY)
    assert segment_rows["segment"].to_list() == by_segment["segment"].to_list()
    assert segment_rows["customers"].to_list() == by_segment["customers"].to_list()
    for got, want in zip(segment_rows["revenue"], by_segment["revenue"], strict=True):
        assert got == approx(want)
    # Its orders (summed from the customers) equal the orders counted on the lines
    # (rfm.measures), segment by segment, and add up to the KPI with none for the
    # customers who only returned goods.
    report = tables.segment_report(customers)
    assert _total(report, "orders") == kpis.orders
    assert report.filter(pl.col("customers") > 0)["orders"].to_list() == (
        by_segment["orders"].to_list()
    )
    assert report.drop("orders").equals(rfm.segment_table(customers))


def _check_dates(view: rfm.AnalysisView) -> None:
    """Nothing after the as-of date, in any table."""
    assert (
        view.transactions.height == 0 or view.transactions["order_date"].max().date() <= view.as_of
    )
    assert view.last_day <= view.as_of
    for period in ("day", "week", "month", "quarter", "year"):
        table = view.breakdown(period)
        if table.height:
            assert table["period"].max() <= view.as_of, period
            assert table["period"].min() <= view.transactions["order_date"].min().date(), period
            # A period is partial exactly when it reaches past the days covered.
            reaches = (table["period"] < view.first_day) | (table["period_end"] > view.last_day)
            assert table["partial"].to_list() == reaches.to_list(), period
    if view.customers.height:
        assert view.customers["last_purchase"].max().date() <= view.as_of
        assert view.customers["recency_days"].min() >= 0


def _check_against_construction(
    view: rfm.AnalysisView, log: Log, as_of: dt.date | None, filters: rfm.Filters
) -> None:
    """The view's lines and counts against a plain-Python pass over the built rows."""
    rows = [row for row in log.frame.iter_rows(named=True) if _passes_row_filters(row, filters)]
    last = max(row["order_date"].date() for row in log.frame.iter_rows(named=True))
    cut = as_of if as_of is not None else last + dt.timedelta(days=1)
    if filters.date_range is not None and filters.date_range[1] < cut:
        cut = filters.date_range[1] + dt.timedelta(days=1)
    assert view.as_of == cut
    window = [row for row in rows if row["order_date"].date() <= cut]
    buyers = {row["customer_id"] for row in window if log.purchase[row["line"]]}
    seen = {row["customer_id"] for row in rows}
    in_window = {row["customer_id"] for row in window}
    counts = view.counts
    assert counts.seen == len(seen)
    assert counts.after_as_of_only == len(seen - in_window)
    assert counts.rows_after_as_of == len(rows) - len(window)
    if not filters.segments:
        assert counts.scored == len(buyers)
        assert set(view.customers["customer_id"]) == buyers
        assert sorted(view.transactions["line"]) == sorted(row["line"] for row in window)
        assert set(view.returns_only["customer_id"]) == in_window - buyers
        assert view.kpis().revenue == approx(sum(row["amount"] for row in window))
        if log.one_date_per_order:
            orders = {log.order[row["line"]] for row in window if log.purchase[row["line"]]}
            assert view.kpis().orders == len(orders)
    else:
        # The segment filter keeps the chosen customers of the view without it, with
        # their segments as computed there, and all their lines.
        whole = rfm.analysis_view(
            log.frame,
            as_of=as_of,
            filters=dataclasses.replace(filters, segments=()),
            require_customers=False,
        )
        if whole.customers.height:
            chosen = whole.customers.filter(pl.col("segment").is_in(list(filters.segments)))
            assert_frame_equal(view.customers, chosen)
            kept = set(chosen["customer_id"])
            assert sorted(view.transactions["line"]) == sorted(
                row["line"] for row in window if row["customer_id"] in kept
            )
            assert counts.outside_segments == whole.counts.scored - len(kept) + (
                whole.counts.returns_only
            )
        assert view.returns_only.height == 0


def _check_filters(view: rfm.AnalysisView, filters: rfm.Filters) -> None:
    """Every line of the view passes every filter."""
    for row in view.transactions.iter_rows(named=True):
        assert _passes_row_filters(row, filters)
    if filters.segments and view.customers.height:
        assert set(view.customers["segment"]) <= set(filters.segments)
        assert set(view.transactions["customer_id"]) == set(view.customers["customer_id"])


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=views())
def test_every_table_of_a_random_view_tells_the_same_numbers(
    case: tuple[Log, dt.date | None, rfm.Filters],
) -> None:
    log, as_of, filters = case
    view = rfm.analysis_view(log.frame, as_of=as_of, filters=filters, require_customers=False)
    assert view.counts.reconciles(), view.counts
    event("customers" if view.customers.height else "no customer")
    event(f"returns-only customers: {bool(view.returns_only.height)}")
    event(f"segment filter: {bool(filters.segments)}; row filters: {bool(filters.values)}")
    _check_filters(view, filters)
    _check_dates(view)
    _check_sums(view, log)
    _check_customer_tables(view)
    _check_against_construction(view, log, as_of, filters)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    as_of=st.integers(200, DAYS + 5).map(lambda n: START + dt.timedelta(days=n)),
    back=st.integers(1, 180),
    missing_order_ids=st.booleans(),
)
def test_the_model_check_split_of_a_view_adds_up(
    seed: int, as_of: dt.date, back: int, missing_order_ids: bool
) -> None:
    log = random_log(seed, customers=25, one_country=False, missing_order_ids=missing_order_ids)
    view = rfm.analysis_view(log.frame, as_of=as_of, require_customers=False)
    calibration_end = view.last_day - dt.timedelta(days=back)
    assume(view.customers.height > 0)
    assume(view.customers["first_purchase"].min().date() <= calibration_end)
    split = rfm.calibration_holdout(
        view.transactions, calibration_end=calibration_end, holdout_end=view.last_day
    )
    assert split.holdout_end <= view.as_of
    # Purchase days before and after the calibration end add up to the view's.
    whole = view.customers.select("customer_id", "purchase_days")
    both = split.calibration.select("customer_id", "purchase_days").join(
        split.holdout, on="customer_id"
    )
    joined = both.join(whole, on="customer_id", suffix="_view")
    assert joined.height == split.calibration.height
    assert (joined["purchase_days"] + joined["holdout_purchases"]).to_list() == joined[
        "purchase_days_view"
    ].to_list()


# --- a UCI-shaped file, counted by hand ---------------------------------------------------

# Five customers and two lines without one. Amounts are Quantity x UnitPrice.
# 12346 (UK)          536365 on 1 Dec: 6 x 2.55 + 2 x 3.39 = 22.08; 536370 on 15 Dec:
#                     10 x 1.25 = 12.50; cancels C536380 on 20 Dec: -2 x 3.39 = -6.78.
# 12347 (France)      536400 on 5 Jan: 12 x 0.85 + 4 x 4.95 + postage 1 x 0.00 = 30.00.
# 12348 (Germany)     only a return C536390 on 18 Dec (-27.50) before February; buys
#                     536500 on 14 Feb: 3 x 5.00 = 15.00.
# 12349 (UK)          only returns: C536395 on 21 Dec, -3 x 2.10 - 1 x 4.00 = -10.30.
# 12350 (Spain)       buys only on 13 Mar: 5 x 2.00 = 10.00.
# 12351 (Netherlands) 536420 on 20 Jan: 2 x 8.50 + 1 x 3.75 = 20.75; cancels C536700 on
#                     10 Feb: -8.50.
# (no id)             536371 on 16 Dec (11.80) and C536411 on 17 Jan (-2.95): excluded.
UCI_CSV = """\
InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,01/12/2010 08:26,2.55,12346,United Kingdom
536365,71053,WHITE METAL LANTERN,2,01/12/2010 08:26,3.39,12346,United Kingdom
536370,22728,ALARM CLOCK BAKELIKE PINK,10,15/12/2010 09:10,1.25,12346,United Kingdom
536371,22086,PAPER CHAIN KIT 50'S CHRISTMAS,4,16/12/2010 11:00,2.95,,United Kingdom
C536380,71053,WHITE METAL LANTERN,-2,20/12/2010 14:05,3.39,12346,United Kingdom
C536390,22423,REGENCY CAKESTAND 3 TIER,-1,18/12/2010 10:30,27.50,12348,Germany
C536395,21730,GLASS STAR FROSTED T-LIGHT HOLDER,-3,21/12/2010 12:00,2.10,12349,United Kingdom
C536395,84029G,KNITTED UNION FLAG HOT WATER BOTTLE,-1,21/12/2010 12:00,4.00,12349,United Kingdom
536400,22745,POPPY'S PLAYHOUSE BEDROOM,12,05/01/2011 13:45,0.85,12347,France
536400,22748,POPPY'S PLAYHOUSE KITCHEN,4,05/01/2011 13:45,4.95,12347,France
536400,POST,POSTAGE,1,05/01/2011 13:45,0.00,12347,France
C536411,22086,PAPER CHAIN KIT 50'S CHRISTMAS,-1,17/01/2011 16:20,2.95,,United Kingdom
536420,22960,JAM MAKING SET WITH JARS,2,20/01/2011 10:00,8.50,12351,Netherlands
536420,22961,JAM MAKING PRINTED,1,20/01/2011 10:00,3.75,12351,Netherlands
C536700,22960,JAM MAKING SET WITH JARS,-1,10/02/2011 15:30,8.50,12351,Netherlands
536500,22423,REGENCY CAKESTAND 3 TIER,3,14/02/2011 09:00,5.00,12348,Germany
536600,21212,PACK OF 72 RETROSPOT CAKE CASES,5,13/03/2011 11:11,2.00,12350,Spain
"""


@pytest.fixture
def uci(tmp_path: Path) -> rfm.ReadResult:
    path = tmp_path / "online_retail.csv"
    path.write_text(UCI_CSV)
    return rfm.read_transactions(path)


def test_uci_file_reader_accounts_for_every_row(uci: rfm.ReadResult) -> None:
    report = uci.report
    assert (report.rows_read, report.rows_kept) == (17, 15)
    assert dict(report.excluded) == {"missing customer id": 2}
    assert report.returns == 5  # C536380, C536390, C536395 (2 lines), C536700
    tx = uci.transactions
    assert tx.filter(pl.col("is_return"))["amount"].max() < 0
    assert tx["order_date"].min() == dt.datetime(2010, 12, 1, 8, 26)
    assert tx["order_date"].max() == dt.datetime(2011, 3, 13, 11, 11)


def test_uci_view_at_the_end_of_january_by_hand(uci: rfm.ReadResult) -> None:
    view = rfm.analysis_view(uci.transactions, as_of="2011-01-31")
    kpis = view.kpis()
    assert kpis.customers == 3  # 12346, 12347, 12351
    assert kpis.orders == 4  # 536365, 536370, 536400, 536420; no cancellation invoice
    # 22.08 + 12.50 - 6.78 + 30.00 + 20.75 - 27.50 - 10.30
    assert kpis.revenue == approx(40.75)
    assert kpis.quantity == approx(6 + 2 + 10 - 2 + 12 + 4 + 1 + 2 + 1 - 1 - 3 - 1)
    assert (kpis.returns_only_customers, kpis.returns_only_revenue) == (2, approx(-37.80))
    assert view.returns_only.rows() == [("12348", 1, approx(-27.50)), ("12349", 2, approx(-10.30))]
    counts = view.counts
    assert (counts.seen, counts.scored, counts.returns_only, counts.after_as_of_only) == (
        6,
        3,
        2,
        1,
    )
    assert counts.rows_after_as_of == 3  # C536700, 536500, 536600
    assert counts.reconciles()
    customers = view.customers.select("customer_id", "frequency", "monetary").rows()
    assert customers == [
        ("12346", 2, approx(27.80)),
        ("12347", 1, approx(30.00)),
        ("12351", 1, approx(20.75)),
    ]
    by_country = {
        row["country"]: (row["customers"], row["orders"], row["revenue"])
        for row in view.breakdown("country").iter_rows(named=True)
    }
    assert by_country == {
        "United Kingdom": (1, 2, approx(27.80 - 10.30)),
        "France": (1, 1, approx(30.00)),
        "Netherlands": (1, 1, approx(20.75)),
        "Germany": (0, 0, approx(-27.50)),
    }
    by_month = view.breakdown("month").select("period", "customers", "orders", "revenue").rows()
    assert by_month == [
        (dt.date(2010, 12, 1), 1, 2, approx(22.08 + 12.50 - 6.78 - 27.50 - 10.30)),
        (dt.date(2011, 1, 1), 2, 2, approx(30.00 + 20.75)),
    ]


def test_uci_view_of_the_whole_file_by_hand(uci: rfm.ReadResult) -> None:
    view = rfm.analysis_view(uci.transactions)
    assert view.as_of == dt.date(2011, 3, 14)  # the day after the last line
    kpis = view.kpis()
    assert kpis.customers == 5  # 12348 bought in February; 12349 never bought
    assert kpis.orders == 6
    assert kpis.revenue == approx(40.75 + 15.00 - 8.50 + 10.00)
    assert view.returns_only.rows() == [("12349", 2, approx(-10.30))]
    assert (view.counts.seen, view.counts.after_as_of_only, view.counts.rows_after_as_of) == (
        6,
        0,
        0,
    )


def test_uci_cli_printout_and_download_by_hand(
    uci: rfm.ReadResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rfm.cli import main

    source, out = tmp_path / "online_retail.csv", tmp_path / "customers.csv"
    assert main([str(source), "--as-of", "2011-01-31", "-o", str(out)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    for text in [
        "Rows read: 17",
        "missing customer id: 2",
        "Customers seen 6",
        "scored 3",
        "only returns 2 (net -37.80)",
        "only after as-of 1",
        "Customers 3",
        "Orders 4",
        "Revenue 40.75",
        "Revenue includes -37.80 of returns by 2 customers with no purchase",
    ]:
        assert text in printed
    # The downloaded customer table: the three customers, their net revenue the KPI's
    # less the returns of the customers with no purchase.
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["customer_id"] for row in rows] == ["12346", "12347", "12351"]
    assert sum(float(row["monetary"]) for row in rows) == approx(40.75 + 37.80)
    assert sum(int(row["frequency"]) for row in rows) == 4


def test_uci_filters_by_hand(uci: rfm.ReadResult) -> None:
    # Germany in January: 12348's only line is a return -> no customer, its return counted.
    germany = rfm.analysis_view(
        uci.transactions,
        as_of="2011-01-31",
        filters=rfm.Filters.of(country=["Germany"]),
        require_customers=False,
    )
    assert germany.kpis().customers == 0
    assert germany.kpis().revenue == approx(-27.50)
    assert (germany.counts.seen, germany.counts.returns_only) == (1, 1)
    with pytest.raises(
        rfm.DataError,
        match="No customer matches these filters .country: Germany. with a purchase on or before 2011-01-31",
    ):
        rfm.analysis_view(
            uci.transactions, as_of="2011-01-31", filters=rfm.Filters.of(country=["Germany"])
        )
    # December only: the as-of moves to the day after the range.
    december = rfm.analysis_view(
        uci.transactions,
        filters=rfm.Filters.of(date_range=(dt.date(2010, 12, 1), dt.date(2010, 12, 31))),
    )
    assert december.as_of == dt.date(2011, 1, 1)
    assert (december.kpis().customers, december.kpis().orders) == (1, 2)
    assert december.kpis().revenue == approx(22.08 + 12.50 - 6.78 - 27.50 - 10.30)
    assert december.counts.seen == 3  # 12346, 12348, 12349 have December lines
    assert december.counts.reconciles()


# --- the contradictions of issue 11 -------------------------------------------------------


def test_revenue_and_orders_by_month_equal_the_kpis_with_cancellation_invoices(
    uci: rfm.ReadResult,
) -> None:
    # Old main: the month chart counted the cancellation invoices C536380, C536390 and
    # C536395 as orders and left out the returns of customers with no purchase.
    view = rfm.analysis_view(uci.transactions, as_of="2011-01-31")
    months = view.breakdown("month")
    assert months["orders"].sum() == view.kpis().orders == 4
    assert months["revenue"].sum() == approx(view.kpis().revenue)
    sample = rfm.read_transactions(REPO / "sample_data" / "retail.csv").transactions
    assert sample["order_id"].str.starts_with("C").any()
    view = rfm.analysis_view(sample, as_of="2021-12-31")
    months = view.breakdown("month")
    assert months["orders"].sum() == view.kpis().orders
    assert months["revenue"].sum() == approx(view.kpis().revenue)


def test_returns_only_customers_are_counted_and_in_the_revenue(uci: rfm.ReadResult) -> None:
    view = rfm.analysis_view(uci.transactions, as_of="2011-01-31")
    assert view.counts.returns_only == 2
    assert view.counts.returns_only_revenue == approx(-37.80)
    assert view.kpis().revenue == approx(view.customers["monetary"].sum() - 37.80)
    assert "returns by 2 customers with no purchase" in str(view.kpis())
    assert "only returns       2 (net -37.80)" in str(view.counts)


def test_as_of_cuts_every_table_of_the_sample() -> None:
    path = REPO / "sample_data" / "retail.csv"
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    countries: dict[str, set[str]] = {}
    for row in rows:
        countries.setdefault(row["customer_id"], set()).add(row["country"])
    assert all(len(seen) == 1 for seen in countries.values())  # one country per customer
    # Customers with a purchase on or before 2021-12-31, and the net revenue then.
    early = [row for row in rows if row["order_date"][:10] <= "2021-12-31"]
    buyers = {row["customer_id"] for row in early if row["is_return"] == "false"}
    revenue = sum(float(row["amount"]) for row in early)

    view = rfm.analysis_view(rfm.read_transactions(path).transactions, as_of="2021-12-31")
    # Old main: Overview 1,476 customers, the Customers page's country table 3,000.
    assert view.kpis().customers == len(buyers) < len(countries)
    assert view.customers.height == len(buyers)
    by_country = view.breakdown("country")
    assert by_country["customers"].sum() == len(buyers)
    assert by_country["revenue"].sum() == approx(revenue)
    assert view.kpis().revenue == approx(revenue)
    assert view.breakdown("month")["period"].max() == dt.date(2021, 12, 1)
    assert view.transactions["order_date"].max() < dt.datetime(2022, 1, 1)
    assert view.customers["last_purchase"].max() < dt.datetime(2022, 1, 1)


# --- CDNOW, against a plain reading of the file -------------------------------------------


def _cdnow_rows(path: Path) -> Iterable[list[str]]:
    with path.open(newline="") as handle:
        next(handle)  # header: customer_id date number_of_cds dollar_value
        for line in handle:
            if line.strip():
                yield line.split()


def test_cdnow_view_agrees_with_the_file() -> None:
    path = REPO / "sample_data" / "cdnow" / "CDNOW_master.txt"
    rows = list(_cdnow_rows(path))
    dollars = sum(float(row[3]) for row in rows if row[1] <= "19980630")
    ids = {row[0] for row in rows}
    buyers = {row[0] for row in rows if float(row[3]) >= 0}

    read = rfm.read_transactions(path)
    assert read.report.rows_kept == len(rows)
    view = rfm.analysis_view(read.transactions, as_of="1998-06-30")
    kpis = view.kpis()
    assert kpis.revenue == pytest.approx(dollars, rel=1e-12)
    assert view.breakdown("month")["revenue"].sum() == pytest.approx(dollars, rel=1e-12)
    assert view.breakdown("month").height == 18  # January 1997 .. June 1998
    assert kpis.customers == len(buyers) == len(ids)
    assert view.counts.reconciles()
    assert view.counts.seen == len(ids)
    assert view.customers["monetary"].sum() == pytest.approx(dollars, rel=1e-12)


# --- edges and errors ---------------------------------------------------------------------


def _small() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c"],
            "order_id": ["1", "2", "3", "C4"],
            "order_date": [dt.datetime(2024, 1, d) for d in (1, 5, 6, 7)],
            "amount": [10.0, 5.0, 7.0, -2.0],
            "category": ["Toys", None, "Books", "Toys"],
        }
    )


def test_a_view_without_customers_has_empty_tables() -> None:
    # Before any purchase: nobody, but the tables keep their columns.
    view = rfm.analysis_view(_small(), as_of="2023-12-31", require_customers=False)
    assert view.customers.height == 0
    assert {"customer_id", "monetary", "segment", "activity"} <= set(view.customers.columns)
    assert view.breakdown("segment").height == 0
    assert view.breakdown("month").height == 0
    kpis = view.kpis()
    assert (kpis.customers, kpis.orders, kpis.revenue, kpis.share_active) == (0, 0, 0.0, 0.0)
    assert (view.counts.seen, view.counts.after_as_of_only, view.counts.rows_after_as_of) == (
        3,
        3,
        4,
    )
    # Only a return in the window: its customer is counted, its return in the revenue.
    only_c = rfm.analysis_view(
        _small(), filters=rfm.Filters.of(customer_id=["c"]), require_customers=False
    )
    assert only_c.kpis().revenue == -2.0
    assert only_c.breakdown("segment").select("segment", "customers", "revenue").rows() == [
        (RETURNS_ONLY, 0, -2.0)
    ]


@pytest.mark.parametrize("column", ["customer_id", "order_date", "amount"])
def test_lines_without_a_customer_date_or_amount_are_refused(column: str) -> None:
    # Before: a line without a customer id made a "(returns only)" customer of its
    # purchases and an order the customer table did not have.
    tx = _small().with_columns(
        pl.when(pl.col("order_id").is_in(["2", "3"]))
        .then(None)
        .otherwise(pl.col(column))
        .alias(column)
    )
    with pytest.raises(rfm.DataError, match=rf"Found 2 without {column}\. Read the data with rfm"):
        rfm.analysis_view(tx)


def test_view_input_errors_say_what_to_do() -> None:
    with pytest.raises(rfm.DataError, match="Missing: amount"):
        rfm.analysis_view(_small().drop("amount"))
    with pytest.raises(rfm.DataError, match="as_of must be a date"):
        rfm.analysis_view(_small(), as_of="yesterday")
    with pytest.raises(rfm.DataError, match="no dated line"):
        rfm.analysis_view(_small().clear())


def test_breakdown_labels_unknown_values_and_checks_its_arguments() -> None:
    view = rfm.analysis_view(_small())
    by_category = view.breakdown("category")
    assert by_category.select("category", "lines", "revenue").rows() == [
        ("Toys", 2, 8.0),
        ("Books", 1, 7.0),
        ("(unknown)", 1, 5.0),
    ]
    assert view.breakdown("category", top=1)["category"].to_list() == ["Toys"]
    with pytest.raises(rfm.DataError, match="No column 'region' to break down by"):
        view.breakdown("region")
    with pytest.raises(rfm.DataError, match="'top' parameter"):
        view.breakdown("category", top=0)
    with pytest.raises(rfm.DataError, match="needs an 'age' or 'birth_date' column"):
        view.breakdown("age_group")


def test_ages_are_measured_at_the_as_of_date_of_the_view() -> None:
    tx = _small().with_columns(pl.lit(dt.date(1999, 6, 1)).alias("birth_date"))
    # 24 on 2024-01-05, 25 on 2024-06-01: the view's as-of decides, not the order day.
    early = rfm.analysis_view(tx, as_of="2024-01-31").breakdown("age_group")
    late = rfm.analysis_view(tx, as_of="2024-06-01").breakdown("age_group")
    assert early["age_group"].to_list() == ["Under 25"]
    assert late["age_group"].to_list() == ["25-34"]
    assert late["revenue"].sum() == early["revenue"].sum() == 20.0


def test_partial_periods_and_coverage() -> None:
    view = rfm.analysis_view(_small(), as_of="2024-01-06")
    assert (view.first_day, view.last_day) == (dt.date(2024, 1, 1), dt.date(2024, 1, 6))
    month = view.breakdown("month")
    assert month.select("period", "period_end", "partial").rows() == [
        (dt.date(2024, 1, 1), dt.date(2024, 1, 31), True)
    ]
    days = view.breakdown("day")
    assert days["partial"].to_list() == [False, False, False]


def test_customer_attribute_is_the_most_frequent_value() -> None:
    tx = _small().with_columns(pl.Series("category", ["Toys", "Books", "Books", "Toys"]))
    tx = pl.concat([tx, tx.head(1).with_columns(pl.lit("Books").alias("category"))])
    view = rfm.analysis_view(tx)
    # a: Toys, Books, Books -> Books; b: Books; c has only a return.
    assert view.customer_attribute("category").rows() == [("a", "Books"), ("b", "Books")]
    with pytest.raises(rfm.DataError, match="No column 'region'"):
        view.customer_attribute("region")


def test_uci_segment_report_counts_purchase_orders_by_hand(uci: rfm.ReadResult) -> None:
    view = rfm.analysis_view(uci.transactions, as_of="2011-01-31")
    report = tables.segment_report(view.customers)
    # 12346: invoices 536365 and 536370 (C536380 is a return); 12347: 536400; 12351:
    # 536420. The cancellation-only customers 12348 and 12349 are in no segment.
    by_customer = {"12346": 2, "12347": 1, "12351": 1}
    segment_of = dict(view.customers.select("customer_id", "segment").iter_rows())
    expected: dict[str, int] = {}
    for customer, orders in by_customer.items():
        expected[segment_of[customer]] = expected.get(segment_of[customer], 0) + orders
    got = dict(report.filter(pl.col("orders") > 0).select("segment", "orders").iter_rows())
    assert got == expected
    assert int(report["orders"].sum()) == 4 == view.kpis().orders


def test_the_line_keys_line_up_with_the_lines_chunks() -> None:
    # A reader gives a chunk per slice of the file; the keys appended to the view's lines
    # are cut the same way (a one-chunk column beside them makes polars copy every
    # column to line them up), and number the same customers and orders as the text.
    lines = simulate(300, random_state=5)
    chunked = pl.concat(
        [lines.slice(0, 1000), lines.slice(1000, 700), lines.slice(1700)], rechunk=False
    )
    view = rfm.analysis_view(chunked)
    assert set(view.transactions.n_chunks("all")) == {3}
    keyed = view.keyed_transactions
    assert keyed.n_chunks("all") == [3] * keyed.width
    keys = keyed.select(rfm.measures.CUSTOMER_KEY, rfm.measures.ORDER_KEY)
    assert_frame_equal(keys, rfm.measures.line_keys(view.transactions.rechunk()))
    pairs = keyed.select("customer_id", rfm.measures.CUSTOMER_KEY).unique()
    assert pairs.height == keyed["customer_id"].n_unique() == pairs["__customer_key"].n_unique()
