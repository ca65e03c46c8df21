"""The README's tables say what the library does (so they cannot drift apart)."""

from __future__ import annotations

from pathlib import Path

import rfm

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _rows(first_cell: str) -> list[list[str]]:
    rows = []
    for line in README.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == first_cell:
            rows.append(cells)
    return rows


def test_segment_grid_matches_default_rules() -> None:
    for r, names in rfm.DEFAULT_RULES.items():
        (row,) = _rows(f"**{r}**")
        assert tuple(row[1:]) == names


def test_segment_descriptions_match_library() -> None:
    for seg in rfm.SEGMENTS.values():
        (row,) = _rows(seg.name)
        assert row[1:] == [seg.description, seg.action]
