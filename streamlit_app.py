"""RFM Studio: the router. Page config, the shared sidebar and navigation, nothing else.

Pages live in ``pages/`` and are registered explicitly with ``st.Page``. Streamlit's
older automatic discovery of a ``pages/`` folder is ignored once ``st.navigation`` has
run; until then (the first visit to a cold server) Streamlit wraps this router in its
legacy page list. So the navigation is drawn here with ``st.page_link`` and Streamlit's
own menu is hidden (``client.showSidebarNavigation = false``): the first visitor sees
the same menu as everyone else. A deep link on a cold server runs its page file, which
hands itself back to this router (see :mod:`rfm_app.routing`).
"""

from __future__ import annotations

import streamlit as st

from rfm_app import filters, heap, routing, session, sidebar

heap.freeze_startup_objects()  # once per process: cheap post-run garbage collections

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
        st.Page("pages/movement.py", title="Movement", icon=":material/swap_horiz:"),
        st.Page("pages/clusters.py", title="Clusters", icon=":material/scatter_plot:"),
        st.Page("pages/churn.py", title="Churn & CLV", icon=":material/trending_down:"),
        st.Page("pages/customers.py", title="Customers", icon=":material/groups:"),
        st.Page("pages/customer.py", title="Customer", icon=":material/person_search:"),
    ],
}

page = st.navigation(PAGES, position="hidden")
unavailable = session.follow_link()  # ?dataset=<token>: the stored upload a link names
sidebar.navigation(PAGES)
sidebar.render()
filters.render()
if unavailable:
    st.warning(unavailable, icon=":material/link_off:")
with routing.routed():
    page.run()
