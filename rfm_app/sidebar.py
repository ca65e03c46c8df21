"""The sidebar every page shares: what data is loaded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from rfm_app import format as fmt
from rfm_app import session
from rfm_app.widgets import plain

LOGO = Path(__file__).parent / "assets" / "logo.svg"


def navigation(pages: Mapping[str, Sequence[StreamlitPage]]) -> None:
    """The page menu, by section (drawn by the app, so a cold server shows it too)."""
    with st.sidebar:
        for section, members in pages.items():
            st.caption(section)
            for page in members:
                st.page_link(page)


def render() -> None:
    """Draw the shared sidebar below the page navigation."""
    st.logo(str(LOGO), size="large")
    source = session.current_source()
    with st.sidebar:
        icon = ":material/inventory_2:" if source.kind == "sample" else ":material/description:"
        st.markdown(f"{icon} **{source.label}**  \n{plain(source.name)}")
        st.caption(f"{fmt.size(source.size)} · SHA-256 {source.digest[:12]}…")
