"""RFM Studio: the router. Page config, the shared sidebar and navigation, nothing else.

Pages live in ``pages/`` and are registered explicitly with ``st.Page``. Streamlit's
older automatic discovery of a ``pages/`` folder is ignored once ``st.navigation`` has
run; until then (a deep link on a cold server) each page hands itself back to this
router (see :mod:`rfm_app.routing`).
"""

from __future__ import annotations

import streamlit as st

from rfm_app import routing, sidebar

st.set_page_config(
    page_title="RFM Studio",
    page_icon=":material/donut_small:",
    layout="wide",
    initial_sidebar_state="expanded",
)

PAGES = {
    "Data": [
        st.Page("pages/data.py", title="Data", icon=":material/upload_file:", default=True),
    ],
    "Dashboards": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:"),
        st.Page("pages/segments.py", title="Segments", icon=":material/group_work:"),
    ],
}

page = st.navigation(PAGES, position="sidebar")
sidebar.render()
with routing.routed():
    page.run()
