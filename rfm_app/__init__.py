"""The Streamlit side of RFM Studio: chart builders, widget helpers and cached wrappers.

Pages in ``pages/`` import from here; the numbers themselves come from :mod:`rfm`,
which never imports Streamlit.
"""
