"""rfm.movement: segment migration, cohort retention and period over period.

Hand-computed fixtures (small customer sets whose segments change for known reasons),
figures tested against each other (a breakdown sums to its total, the transition table
reconciles with both snapshots) and properties over random transactions.
"""

from __future__ import annotations

import datetime as dt

import hypothesis.strategies as st
import polars as pl
import pytest
from hypothesis import example, given, settings
from polars.testing import assert_frame_equal

import rfm
from rfm.movement import NEW_IN_PERIOD, RETURNS_ONLY

D = dt.date


def _tx(rows: list[tuple[str, dt.date, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "order_date": [dt.datetime.combine(r[1], dt.time(12)) for r in rows],
            "amount": [r[2] for r in rows],
        },
        schema={"customer_id": pl.String, "order_date": pl.Datetime("us"), "amount": pl.Float64},
    )


# Seven customers, earlier = 2024-03-31, later = 2024-06-30, bins=2 with the default rules.
# With bins=2 a score of 1 or 2 reads the 5x5 grid at level 3 or 5, so four segments are
# possible: R2 FM2 Champions, R2 FM1 Potential Loyalists, R1 FM2 Loyal Customers and
# R1 FM1 Need Attention (fm = (f + m + 1) // 2).
STORY = _tx(
    [
        ("ann", D(2024, 1, 10), 100.0),  # good customer, buys again in May
        ("ann", D(2024, 3, 20), 100.0),
        ("ann", D(2024, 5, 15), 100.0),
        ("bob", D(2024, 1, 5), 200.0),  # the best at the earlier date, then stays away
        ("bob", D(2024, 2, 1), 200.0),
        ("bob", D(2024, 3, 25), 200.0),
        ("cat", D(2024, 2, 10), 20.0),  # one small order, never back
        ("dan", D(2024, 3, 30), 15.0),  # one small recent order, then two big ones
        ("dan", D(2024, 6, 20), 300.0),
        ("dan", D(2024, 6, 25), 300.0),
        ("eve", D(2024, 6, 28), 50.0),  # first order in the period
        ("fay", D(2024, 2, 15), -10.0),  # a return before any purchase, buys in May
        ("fay", D(2024, 5, 20), 40.0),
        ("gus", D(2024, 1, 20), -5.0),  # only returns
        ("gus", D(2024, 5, 1), -7.0),
    ]
)


def _story(**options: object) -> rfm.SegmentMigration:
    return rfm.segment_migration(
        STORY,
        earlier="2024-03-31",
        later="2024-06-30",
        bins=2,
        **options,  # type: ignore[arg-type]
    )


def test_story_segments_by_hand() -> None:
    # Earlier (n=4, positions 0-1 score 1): recency cat 50, ann 11, bob 6, dan 1 -> R
    # cat, ann = 1; F and M: dan (1 order, 15), cat (1, 20) = 1; ann, bob = 2.
    # Later (n=6, positions 0-2 score 1): recency cat 141, bob 97, ann 46 -> R1; fay 41,
    # dan 5, eve 2 -> R2; F and M: cat, fay (30 net), eve (50) -> 1; ann, bob, dan -> 2.
    got = _story().customers.select(
        "customer_id", "previous_segment", "segment", "change", "segment_since", "revenue"
    )
    early, late = D(2024, 3, 31), D(2024, 6, 30)
    want = pl.DataFrame(
        [
            ("ann", "Loyal Customers", "Loyal Customers", "same", early, 100.0),
            ("bob", "Champions", "Loyal Customers", "down", late, 0.0),
            ("cat", "Need Attention", "Need Attention", "same", early, 0.0),
            ("dan", "Potential Loyalists", "Champions", "up", late, 600.0),
            ("eve", NEW_IN_PERIOD, "Potential Loyalists", "new", late, 50.0),
            ("fay", RETURNS_ONLY, "Potential Loyalists", "up", late, 40.0),
            ("gus", RETURNS_ONLY, RETURNS_ONLY, "same", early, -7.0),
        ],
        schema=got.schema,
        orient="row",
    )
    assert_frame_equal(got, want)


def test_story_transitions_and_totals() -> None:
    moved = _story()
    pairs = {
        (f, t): (n, revenue)
        for f, t, n, revenue in moved.transitions.select(
            "from_segment", "to_segment", "customers", "revenue"
        ).iter_rows()
    }
    assert pairs == {
        ("Champions", "Loyal Customers"): (1, 0.0),
        ("Loyal Customers", "Loyal Customers"): (1, 100.0),
        ("Potential Loyalists", "Champions"): (1, 600.0),
        ("Need Attention", "Need Attention"): (1, 0.0),
        (RETURNS_ONLY, "Potential Loyalists"): (1, 40.0),
        (RETURNS_ONLY, RETURNS_ONLY): (1, -7.0),
        (NEW_IN_PERIOD, "Potential Loyalists"): (1, 50.0),
    }
    totals = {row["segment"]: row for row in moved.totals.iter_rows(named=True)}
    assert totals["Loyal Customers"]["earlier_customers"] == 1
    assert totals["Loyal Customers"]["later_customers"] == 2
    assert totals["Loyal Customers"]["moved_in"] == 1
    assert totals[RETURNS_ONLY]["earlier_customers"] == 2
    assert totals[RETURNS_ONLY]["later_customers"] == 1
    assert totals[NEW_IN_PERIOD]["earlier_customers"] == 1
    assert totals[NEW_IN_PERIOD]["later_customers"] == 0
    # The transition table lists states best first, as segment_levels does.
    order = moved.transitions["from_segment"].to_list()
    assert order.index("Champions") < order.index("Loyal Customers") < order.index(RETURNS_ONLY)
    assert moved.states[-2:] == (RETURNS_ONLY, NEW_IN_PERIOD)


def test_snapshots_are_the_library_pipeline() -> None:
    moved = _story()
    for date, snapshot in (
        ("2024-03-31", moved.earlier_segments),
        ("2024-06-30", moved.later_segments),
    ):
        want = rfm.segment(rfm.score(rfm.summarize(STORY, as_of=date), bins=2), bins=2)
        assert_frame_equal(snapshot, want)


def test_between_lists_one_cell() -> None:
    moved = _story()
    cell = moved.between("Potential Loyalists", "Champions")
    assert cell["customer_id"].to_list() == ["dan"]
    assert cell["monetary"].item() == 615.0


def test_everyone_quiet_own_edges_keep_segments_earlier_edges_drop_recency() -> None:
    # Nobody buys after the earlier date. Scored among themselves, the ranks do not change,
    # so neither do the segments. On the earlier date's edges, R's edge is bob's recency
    # (6 days); at the later date everyone is 91+ days away, so R falls to 1 for all:
    # bob Champions -> Loyal Customers, dan Potential Loyalists -> Need Attention. Ann
    # *is* the F and M edge (position 2 of dan, cat, ann, bob); the tie rule breaks equal
    # F and M by recency, and hers grew from 11 to 102 days, so she ranks below her earlier
    # self: F = M = 1, Loyal Customers -> Need Attention.
    quiet = STORY.filter(pl.col("order_date") <= dt.datetime(2024, 3, 31), pl.col("amount") > 0)
    args = {"earlier": "2024-03-31", "later": "2024-06-30", "bins": 2}
    own = rfm.segment_migration(quiet, **args)  # type: ignore[arg-type]
    assert own.customers["change"].to_list() == ["same"] * 4
    fixed = rfm.segment_migration(quiet, edges="earlier", **args)  # type: ignore[arg-type]
    got = fixed.customers.select("customer_id", "segment", "change").rows()
    assert got == [
        ("ann", "Need Attention", "down"),
        ("bob", "Loyal Customers", "down"),
        ("cat", "Need Attention", "same"),
        ("dan", "Need Attention", "down"),
    ]
    assert fixed.later_segments["r_score"].to_list() == [1, 1, 1, 1]


def test_migration_errors() -> None:
    with pytest.raises(rfm.DataError, match="earlier date with a later one"):
        rfm.segment_migration(STORY, earlier="2024-06-30", later="2024-03-31")
    with pytest.raises(rfm.DataError, match="'earlier' parameter of segment_migration"):
        rfm.segment_migration(STORY, earlier="31/03/2024", later="2024-06-30")
    with pytest.raises(ValueError, match="'edges' parameter of segment_migration"):
        rfm.segment_migration(STORY, earlier="2024-03-31", later="2024-06-30", edges="later")  # type: ignore[arg-type]
    with pytest.raises(rfm.DataError, match="no bin edges"):
        rfm.segment_migration(STORY, earlier="2023-01-01", later="2024-06-30", edges="earlier")
    rules = {1: ("Lost", RETURNS_ONLY), 2: ("New", "Best")}
    with pytest.raises(ValueError, match="reserved"):
        rfm.segment_migration(STORY, earlier="2024-03-31", later="2024-06-30", rules=rules)
    with pytest.raises(rfm.DataError, match="customer_id, order_date and amount"):
        rfm.segment_migration(STORY.drop("amount"), earlier="2024-03-31", later="2024-06-30")


def test_migration_does_not_modify_input_and_takes_lazy() -> None:
    before = STORY.clone()
    eager = _story()
    assert_frame_equal(STORY, before)
    lazy = rfm.segment_migration(STORY.lazy(), earlier="2024-03-31", later="2024-06-30", bins=2)
    assert_frame_equal(lazy.customers, eager.customers)


# --- properties over random transactions --------------------------------------------------------

_rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "h"]),
        st.integers(0, 200),
        st.sampled_from([-12.5, -3.0, 4.0, 10.0, 25.25, 80.0, 310.0]),
    ),
    min_size=1,
    max_size=60,
)
_START = D(2024, 1, 1)


def _random_tx(rows: list[tuple[str, int, float]]) -> pl.DataFrame:
    return _tx([(c, _START + dt.timedelta(days=d), a) for c, d, a in rows])


def _counts(frame: pl.DataFrame, column: str) -> dict[str, int]:
    return dict(frame.group_by(column).agg(pl.len()).iter_rows())


@settings(max_examples=40, deadline=None)
@given(
    rows=_rows,
    cut=st.integers(0, 199),
    gap=st.integers(1, 60),
    edges=st.sampled_from(["own", "earlier"]),
    seed=st.integers(0, 2**16),
)
@example(rows=[("a", 10, -3.0)], cut=50, gap=10, edges="own", seed=0)
def test_transitions_reconcile_with_both_snapshots(
    rows: list[tuple[str, int, float]], cut: int, gap: int, edges: str, seed: int
) -> None:
    tx = _random_tx(rows)
    earlier = _START + dt.timedelta(days=cut)
    later = earlier + dt.timedelta(days=gap)
    if edges == "earlier" and rfm.summarize(tx, as_of=earlier).height == 0:
        edges = "own"
    moved = rfm.segment_migration(tx, earlier=earlier, later=later, bins=3, edges=edges)  # type: ignore[arg-type]
    t = moved.transitions
    row_sums = dict(t.group_by("from_segment").agg(pl.col("customers").sum()).iter_rows())
    col_sums = dict(t.group_by("to_segment").agg(pl.col("customers").sum()).iter_rows())
    day = pl.col("order_date").dt.date()
    seen_early = tx.filter(day <= earlier)["customer_id"].unique()
    seen_late = tx.filter(day <= later)["customer_id"].unique()
    early_segments = _counts(moved.earlier_segments, "segment")
    late_segments = _counts(moved.later_segments, "segment")
    # Rows: the earlier snapshot's sizes, its returns-only customers and the new ones.
    want_rows = dict(early_segments)
    want_rows[RETURNS_ONLY] = seen_early.len() - moved.earlier_segments.height
    want_rows[NEW_IN_PERIOD] = seen_late.len() - seen_early.len()
    assert row_sums == {k: v for k, v in want_rows.items() if v}
    # Columns: the later snapshot's sizes and its returns-only customers.
    want_cols = dict(late_segments)
    want_cols[RETURNS_ONLY] = seen_late.len() - moved.later_segments.height
    assert col_sums == {k: v for k, v in want_cols.items() if v}
    # Totals say the same as the sums.
    totals = moved.totals
    assert dict(totals.select("segment", "earlier_customers").iter_rows()) == {
        s: want_rows.get(s, 0) for s in moved.states
    }
    assert dict(totals.select("segment", "later_customers").iter_rows()) == {
        s: want_cols.get(s, 0) for s in moved.states
    }
    # Revenue of the period: every amount dated after earlier up to later.
    period = tx.filter(day > earlier, day <= later)["amount"].sum()
    assert t["revenue"].sum() == pytest.approx(period, abs=1e-9)
    assert set(moved.customers["change"]) <= set(rfm.movement.CHANGES)
    # Row order does not matter.
    shuffled = tx.sample(fraction=1.0, shuffle=True, seed=seed)
    again = rfm.segment_migration(shuffled, earlier=earlier, later=later, bins=3, edges=edges)  # type: ignore[arg-type]
    assert_frame_equal(again.customers, moved.customers, check_exact=False)
    assert_frame_equal(again.transitions, moved.transitions, check_exact=False)


_summaries = st.lists(
    st.tuples(st.integers(0, 5), st.integers(1, 3), st.sampled_from([0.0, -0.0, 5.0, 7.5, 100.0])),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(values=_summaries, bins=st.integers(2, 10), seed=st.integers(0, 2**16))
def test_scoring_on_own_edges_is_plain_scoring(
    values: list[tuple[int, int, float]], bins: int, seed: int
) -> None:
    summary = pl.DataFrame(
        {
            "customer_id": [f"c{i:02d}" for i in range(len(values))],
            "recency_days": [v[0] for v in values],
            "frequency": [v[1] for v in values],
            "monetary": [v[2] for v in values],
        }
    ).sample(fraction=1.0, shuffle=True, seed=seed)
    assert_frame_equal(
        rfm.score(summary, bins=bins, edges_from=summary), rfm.score(summary, bins=bins)
    )


def test_scoring_on_edges_by_hand() -> None:
    # Reference recency 1..4 (a best), same F and M: with 2 bins the R edge is the row in
    # position 2 of 'worst first' (d, c, b, a): b, recency 2. Reaching it means recency
    # below 2, or 2 with an id at or before 'b' (ties go to the earlier id).
    reference = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "recency_days": [1, 2, 3, 4],
            "frequency": [1, 1, 1, 1],
            "monetary": [5.0, 5.0, 5.0, 5.0],
        }
    )
    later = pl.DataFrame(
        {
            "customer_id": ["a0", "b", "bb", "x", "y"],
            "recency_days": [2, 2, 2, 0, 10],
            "frequency": [1, 1, 1, 1, 1],
            "monetary": [5.0, 5.0, 5.0, 5.0, 5.0],
        }
    )
    scored = rfm.score(later, bins=2, edges_from=reference)
    assert scored["r_score"].to_list() == [2, 2, 1, 2, 1]
    with pytest.raises(rfm.DataError, match="edges_from must be a customer summary"):
        rfm.score(later, edges_from=reference.drop("monetary"))
    with pytest.raises(rfm.DataError, match="no customers to take bin edges from"):
        rfm.score(later, edges_from=reference.clear())


# --- cohort retention ---------------------------------------------------------------------------

COHORTS = _tx(
    [
        ("a", D(2024, 1, 5), 10.0),
        ("a", D(2024, 2, 9), 30.0),
        ("a", D(2024, 4, 1), 5.0),  # after as_of: ignored
        ("b", D(2024, 1, 20), 5.0),
        ("c", D(2024, 2, 2), 8.0),
        ("c", D(2024, 2, 3), -8.0),  # a return in the month of the purchase: net 0
        ("c", D(2024, 3, 10), -2.0),  # only a return in March: not active
        ("d", D(2024, 3, 3), -4.0),  # only returns: in no cohort
    ]
)


def test_cohorts_by_hand() -> None:
    c = rfm.cohort_retention(COHORTS, as_of="2024-03-31")
    got = c.table.select(
        "cohort", "period_index", "period", "customers", "active_customers", "retention", "revenue"
    )
    jan, feb, mar, apr = D(2024, 1, 1), D(2024, 2, 1), D(2024, 3, 1), D(2024, 4, 1)
    want = pl.DataFrame(
        [
            (jan, 0, jan, 2, 2, 1.0, 15.0),
            (jan, 1, feb, 2, 1, 0.5, 30.0),
            (jan, 2, mar, 2, 0, 0.0, 0.0),  # observed, nobody came back: zero, not null
            (feb, 0, feb, 1, 1, 1.0, 0.0),
            (feb, 1, mar, 1, 0, 0.0, 0.0),
            (feb, 2, apr, 1, None, None, None),  # after as_of: not observed
        ],
        schema=got.schema,
        orient="row",
    )
    assert_frame_equal(got, want)
    assert c.table["revenue_per_customer"].to_list()[:2] == [7.5, 15.0]
    assert c.table["complete"].to_list() == [True, True, True, True, True, False]
    assert dict(c.sizes.iter_rows()) == {jan: 2, feb: 1}
    assert c.returns_only_customers == 1


def test_cohorts_partial_last_period_and_weeks_and_quarters() -> None:
    mid = rfm.cohort_retention(COHORTS, as_of="2024-03-15")
    assert mid.table.filter(pl.col("period") == D(2024, 3, 1))["complete"].to_list() == [False] * 2
    weeks = rfm.cohort_retention(COHORTS, every="1w", as_of="2024-03-31")
    # Monday-based weeks: 2024-01-01 is a Monday, a's first order on the 5th is in it.
    assert weeks.sizes["cohort"].to_list() == [D(2024, 1, 1), D(2024, 1, 15), D(2024, 1, 29)]
    a_back = weeks.table.filter(pl.col("cohort") == D(2024, 1, 1), pl.col("active_customers") > 0)
    assert a_back["period"].to_list() == [D(2024, 1, 1), D(2024, 2, 5)]
    quarters = rfm.cohort_retention(COHORTS, every="1q", as_of="2024-03-31")
    assert quarters.table.select("period_index", "customers", "retention").rows() == [(0, 3, 1.0)]
    # c's March return now falls in a quarter where c bought: it counts (a 10 + 30, b 5,
    # c 8 - 8 - 2); d's return does not (d is in no cohort).
    assert quarters.table["revenue"].item() == pytest.approx(43.0)


def test_cohort_default_as_of_is_last_day_and_errors() -> None:
    c = rfm.cohort_retention(COHORTS)
    assert c.as_of == D(2024, 4, 1)
    with pytest.raises(ValueError, match="'every' parameter of cohort_retention"):
        rfm.cohort_retention(COHORTS, every="month")
    with pytest.raises(rfm.DataError, match="'as_of' parameter of cohort_retention"):
        rfm.cohort_retention(COHORTS, as_of="yesterday")


@settings(max_examples=40, deadline=None)
@given(
    rows=_rows,
    cut=st.integers(0, 200),
    every=st.sampled_from(["1w", "1mo", "1q"]),
    seed=st.integers(0, 2**16),
)
@example(rows=[("a", 5, -3.0)], cut=100, every="1mo", seed=0)  # only returns: no cohort
@example(rows=[("a", 150, 4.0)], cut=10, every="1w", seed=0)  # as_of before the data
def test_cohort_properties(
    rows: list[tuple[str, int, float]], cut: int, every: str, seed: int
) -> None:
    tx = _random_tx(rows)
    as_of = _START + dt.timedelta(days=cut)
    c = rfm.cohort_retention(tx, every=every, as_of=as_of)
    table = c.table
    observed = table.filter(pl.col("period") <= as_of)
    unobserved = table.filter(pl.col("period") > as_of)
    assert observed["retention"].is_between(0.0, 1.0).all()
    assert observed.null_count().sum_horizontal().item() == 0
    for column in ("active_customers", "retention", "revenue", "revenue_per_customer"):
        assert unobserved[column].null_count() == unobserved.height
    assert (table.filter(pl.col("period_index") == 0)["retention"] == 1.0).all()
    # Cohort sizes add up to the customers at as_of.
    assert c.sizes["customers"].sum() == rfm.summarize(tx, as_of=as_of).height
    # Each calendar period: active customers over all cohorts = that period's customers.
    day = pl.col("order_date").dt.date()
    for period, active in (
        observed.group_by("period").agg(pl.col("active_customers").sum()).iter_rows()
    ):
        end = min(
            pl.select(pl.lit(period).dt.offset_by(every)).item() - dt.timedelta(days=1), as_of
        )
        window = tx.filter(day >= period, day <= end)
        assert active == rfm.summarize(window).height
    shuffled = rfm.cohort_retention(
        tx.sample(fraction=1.0, shuffle=True, seed=seed), every=every, as_of=as_of
    )
    assert_frame_equal(shuffled.table, table, check_exact=False)


# --- period over period -------------------------------------------------------------------------

POP = _tx(
    [
        ("a", D(2024, 2, 3), 10.0),
        ("b", D(2024, 2, 20), 20.0),
        ("b", D(2024, 2, 21), -5.0),
        ("a", D(2024, 3, 1), 30.0),
        ("a", D(2024, 3, 4), 30.0),
        ("c", D(2024, 3, 31), 60.0),
        ("c", D(2024, 4, 2), 99.0),  # after as_of
    ]
)


def test_period_over_period_by_hand() -> None:
    p = rfm.period_over_period(POP, as_of="2024-03-31")
    assert (p.current_start, p.current_end) == (D(2024, 3, 1), D(2024, 3, 31))
    assert (p.previous_start, p.previous_end) == (D(2024, 2, 1), D(2024, 2, 29))
    # March: a (2 orders, 60) and c (1, 60). February: a (1, 10) and b (1, 20 - 5).
    got = {m: (now, before) for m, now, before, *_ in p.table.iter_rows()}
    assert got["customers"] == (2.0, 2.0)
    assert got["orders"] == (3.0, 2.0)
    assert got["revenue"] == (120.0, 25.0)
    assert got["avg_order_value"] == (40.0, 12.5)
    assert got["orders_per_customer"] == (1.5, 1.0)
    assert got["quantity"] == (None, None)
    revenue = p.table.filter(pl.col("measure") == "revenue").row(0, named=True)
    assert revenue["change"] == 95.0
    assert revenue["relative_change"] == pytest.approx(95.0 / 25.0)
    assert p.previous_is_partial  # the data start on 2024-02-03, after February 1
    assert not rfm.period_over_period(POP, as_of="2024-03-31", days=20).previous_is_partial


def test_period_over_period_days_and_calendar_edges() -> None:
    p = rfm.period_over_period(POP, as_of="2024-03-04", days=3)
    assert (p.current_start, p.previous_start, p.previous_end) == (
        D(2024, 3, 2),
        D(2024, 2, 28),
        D(2024, 3, 1),
    )
    assert (p.current.revenue, p.previous.revenue) == (30.0, 30.0)
    mid = rfm.period_over_period(POP, as_of="2024-03-15", every="1mo")
    assert mid.current_label == "2024-02-16 to 2024-03-15"
    assert mid.previous_label == "2024-01-16 to 2024-02-15"
    assert mid.previous_is_partial  # the data start on 2024-02-03
    assert mid.previous.revenue == 10.0
    # Default as_of: the last day with a line (2024-04-02).
    assert rfm.period_over_period(POP, days=2).current.revenue == 99.0


def test_period_over_period_matches_kpis_of_the_window_and_errors() -> None:
    # The previous figures are the Overview KPIs of the same rows: a breakdown by
    # customer of the window's lines sums to them.
    p = rfm.period_over_period(POP, as_of="2024-03-31", days=31)
    window = POP.filter(pl.col("order_date").dt.date().is_between(D(2024, 3, 1), D(2024, 3, 31)))
    assert p.current.revenue == window["amount"].sum()
    with pytest.raises(ValueError, match="Pass one of 'days' and 'every'"):
        rfm.period_over_period(POP, days=7, every="1w")
    with pytest.raises(ValueError, match="'days' parameter of period_over_period"):
        rfm.period_over_period(POP, days=0)
    with pytest.raises(rfm.DataError, match="no transaction with a customer id"):
        rfm.period_over_period(POP.clear())


def test_period_over_period_revenue_includes_returns_only_customers() -> None:
    # d returns 7.0 in March without buying anything in it: not a customer of March,
    # but the return is part of March's net revenue, as in the Overview's KPIs.
    tx = pl.concat([POP, _tx([("d", D(2024, 3, 10), -7.0)])])
    p = rfm.period_over_period(tx, as_of="2024-03-31")
    assert p.current.customers == 2
    assert p.current.revenue == 120.0 - 7.0
    assert p.current.returns_only_customers == 1
    march = rfm.Filters.of(date_range=(D(2024, 3, 1), D(2024, 3, 31)))
    assert p.current.revenue == rfm.analysis_view(tx, filters=march).kpis().revenue
