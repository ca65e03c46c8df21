"""segment: the grid covers every cell once, every segment is reachable, rules are data."""

from __future__ import annotations

import polars as pl
import pytest

import rfm


def test_default_grid_is_complete_and_reaches_all_segments() -> None:
    grid = rfm.rules_frame()
    assert grid.height == 25
    assert grid.select("r_score", "fm_score").is_unique().all()
    assert set(grid["segment"]) == set(rfm.SEGMENTS)
    assert len(rfm.SEGMENTS) == 11


def test_every_segment_has_description_and_action() -> None:
    for seg in rfm.SEGMENTS.values():
        assert seg.description.strip() and seg.action.strip()


@pytest.mark.parametrize(
    ("r", "fm", "expected"),
    [
        (5, 5, "Champions"),
        (5, 1, "New Customers"),
        (4, 1, "Promising"),
        (4, 3, "Potential Loyalists"),
        (3, 4, "Loyal Customers"),
        (3, 3, "Need Attention"),
        (3, 1, "About To Sleep"),
        (2, 3, "At Risk"),
        (1, 5, "Cannot Lose Them"),
        (2, 1, "Hibernating"),
        (1, 1, "Lost"),
    ],
)
def test_cells(r: int, fm: int, expected: str) -> None:
    scored = pl.DataFrame(
        {"customer_id": ["x"], "recency_days": [10], "r_score": [r], "fm_score": [fm]}
    )
    assert rfm.segment(scored)["segment"].item() == expected


def test_pipeline_assigns_a_segment_to_everyone() -> None:
    summary = pl.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(50)],
            "recency_days": [(i * 37) % 400 for i in range(50)],
            "frequency": [1 + (i * 7) % 5 for i in range(50)],
            "monetary": [float((i * 53) % 900) for i in range(50)],
        }
    )
    out = rfm.segment(rfm.score(summary))
    assert out["segment"].null_count() == 0
    assert out.height == 50


def test_custom_rules() -> None:
    rules = {1: ("Cold", "Cold"), 2: ("Warm", "Hot")}
    scored = pl.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "recency_days": [1, 2, 3],
            "r_score": [2, 2, 1],
            "fm_score": [2, 1, 2],
        }
    )
    assert rfm.segment(scored, rules=rules, bins=2)["segment"].to_list() == ["Hot", "Warm", "Cold"]


def test_rules_rescaled_from_other_bins() -> None:
    # bins=10 onto the 5x5 grid: level = ceil(score / 2)
    scored = pl.DataFrame(
        {"customer_id": ["a", "b"], "recency_days": [1, 2], "r_score": [10, 1], "fm_score": [9, 2]}
    )
    assert rfm.segment(scored, bins=10)["segment"].to_list() == ["Champions", "Lost"]


def test_activity_thresholds() -> None:
    frame = pl.DataFrame({"recency_days": [0, 90, 91, 365, 366]})
    got = frame.select(rfm.activity_status())["activity"].to_list()
    assert got == ["Active", "Active", "Inactive", "Inactive", "Museum"]
    custom = frame.select(rfm.activity_status(active_days=30, inactive_days=91))[
        "activity"
    ].to_list()
    assert custom == ["Active", "Inactive", "Inactive", "Museum", "Museum"]


def test_bad_rules_shape() -> None:
    with pytest.raises(ValueError, match=r"rules\[2\] must list 2 segment names"):
        rfm.rules_frame({1: ("a", "b"), 2: ("c",)})
    with pytest.raises(ValueError, match="rules must map every r_score 1..n"):
        rfm.rules_frame({1: ("a", "b"), 3: ("c", "d")})
    with pytest.raises(ValueError, match="blank or non-text segment names"):
        rfm.rules_frame({1: ("a", " "), 2: ("c", "d")})


def test_scores_above_bins() -> None:
    scored = pl.DataFrame(
        {"customer_id": ["a"], "recency_days": [1], "r_score": [7], "fm_score": [1]}
    )
    with pytest.raises(ValueError, match="Scores go up to 7 but bins=5"):
        rfm.segment(scored)


def test_missing_columns() -> None:
    with pytest.raises(rfm.DataError, match="Missing: fm_score, recency_days"):
        rfm.segment(pl.DataFrame({"customer_id": ["a"], "r_score": [1]}))


def test_bad_activity_thresholds() -> None:
    with pytest.raises(ValueError, match="0 < active_days < inactive_days"):
        rfm.activity_status(active_days=100, inactive_days=50)
