"""One colour per segment and activity status, used by every chart so that a segment
looks the same on every page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

SEGMENT_COLORS: Final = {
    "Champions": "#1a6b3c",
    "Loyal Customers": "#3f9a5c",
    "Potential Loyalists": "#8cc97e",
    "New Customers": "#2b7bba",
    "Promising": "#7cc0d8",
    "Need Attention": "#f2c14e",
    "About To Sleep": "#e8913a",
    "At Risk": "#d4603f",
    "Cannot Lose Them": "#a3202e",
    "Hibernating": "#8e8fc2",
    "Lost": "#8a8a8a",
}
"""The 11 standard segments, from best (greens) through at risk (reds) to lost (grey)."""

ACTIVITY_COLORS: Final = {"Active": "#3f9a5c", "Inactive": "#e8913a", "Museum": "#8a8a8a"}

ACCENT: Final = "#2b6cb0"
"""The theme's primary colour (kept equal to primaryColor in .streamlit/config.toml)."""

_FALLBACK: Final = (
    "#4c78a8",
    "#f58518",
    "#54a24b",
    "#e45756",
    "#72b7b2",
    "#eeca3b",
    "#b279a2",
    "#ff9da6",
    "#9d755d",
    "#bab0ac",
)


def colors_for(names: Sequence[str], known: dict[str, str] = SEGMENT_COLORS) -> list[str]:
    """Colours for ``names``: the fixed colour when known, else a fallback in order."""
    spare = iter(_FALLBACK * (len(names) // len(_FALLBACK) + 1))
    return [known[name] if name in known else next(spare) for name in names]


def text_color_on(background: str) -> str:
    """Black or white, whichever reads better on the hex colour ``background``."""
    red, green, blue = (int(background[i : i + 2], 16) for i in (1, 3, 5))
    # Relative luminance (ITU-R BT.601 weights) is enough to pick a legible label colour.
    luminance = (0.299 * red + 0.587 * green + 0.114 * blue) / 255
    return "#1f1f1f" if luminance > 0.6 else "#ffffff"
