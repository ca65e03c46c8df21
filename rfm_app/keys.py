"""Session-state and widget keys. Tests find widgets by these keys, so they never change
silently; widget keys start with the page they live on."""

from __future__ import annotations

from typing import Final

# Session state that outlives any one page (widget state is dropped when its page is left).
SOURCE: Final = "rfm.source"
"""The data being analysed: a :class:`rfm_app.session.Source`."""
SETTINGS: Final = "rfm.settings"
"""How to read it: a :class:`rfm_app.session.Settings`."""
CURRENCY: Final = "rfm.currency"
"""Currency symbol used to display amounts."""
DATA_FORM_FILLED_FOR: Final = "rfm.data_form_filled_for"
CURRENCY_ADOPTED_FOR: Final = "rfm.currency_adopted_for"
"""SHA-256 of the file whose settings the Data page's form widgets currently show."""
DATASET_TOKEN: Final = "rfm.dataset_token"
"""Token of the current data in the dataset store (``None`` when it is not stored)."""
DATASET_NOT_KEPT: Final = "rfm.dataset_not_kept"
"""Why the current upload could not be kept in the store (shown on the Data page)."""
ATTACHMENT_FILES: Final = "rfm.attachment_files"
"""SHA-256 -> bytes of the files of the attached tables (customers, returns)."""
ATTACHMENTS_NOT_KEPT: Final = "rfm.attachments_not_kept"
"""SHA-256 -> why the store could not keep that attached file (shown on the Data page)."""
PARSED_KEPT_FOR: Final = "rfm.parsed_kept_for"
"""(token, parse key) of the parsed transactions last kept in the store by this session."""

# Data page widgets.
DATA_SOURCE_KIND: Final = "data.source_kind"
DATA_UPLOAD: Final = "data.upload"
DATA_SETTINGS_FORM: Final = "data.settings_form"
DATA_COLUMN_PREFIX: Final = "data.column."
"""One selectbox per canonical column: ``data.column.customer_id`` and so on."""
DATA_AS_OF: Final = "data.as_of"
DATA_CURRENCY: Final = "data.currency"
DATA_APPLY: Final = "data.apply"
DATA_DATE_FORMAT: Final = "data.date_format"
DATA_SHEET: Final = "data.sheet"
DATA_CHANGE_DATE_FORMAT: Final = "data.change_date_format"
DATA_RESET_COLUMNS: Final = "data.reset_columns"
DATA_FORGET: Final = "data.forget"
"""Deletes the stored dataset at once."""
DATA_ATTACH_TABLE: Final = "data.attach_table"
"""What the second table holds: customer attributes or returns."""
DATA_ATTACH_SHEET: Final = "data.attach_sheet"
DATA_ATTACH_SHEET_BUTTON: Final = "data.attach_sheet_button"
DATA_ATTACH_UPLOAD: Final = "data.attach_upload"
DATA_ATTACH_FILE_BUTTON: Final = "data.attach_file_button"
DATA_ATTACH_SUGGESTED: Final = "data.attach_suggested"
"""Attaches a workbook's Returns sheet as returns, in one click."""
DATA_DETACH_PREFIX: Final = "data.detach."
"""One button per attached table: ``data.detach.customers``, ``data.detach.returns``."""

# Segments page widgets.
SEGMENTS_EXPLORER: Final = "segments.explorer_segments"
SEGMENTS_TOP_N: Final = "segments.top_n"
SEGMENTS_DOWNLOAD_PREFIX: Final = "segments.download."

# Churn & CLV page widgets.
CHURN_HORIZON: Final = "churn.horizon"
CHURN_SEGMENT_CHART: Final = "churn.segment_chart"
CHURN_LOCATION_TABLE: Final = "churn.location_table"
CHURN_AT_RISK_TABLE: Final = "churn.at_risk_table"
CHURN_DOWNLOAD: Final = "churn.download"
"""Prefix of the at-risk list's download buttons (``.csv``, ``.parquet``)."""
CHURN_PARETO: Final = "churn.pareto"
CHURN_MODEL_SCORES: Final = "churn.model_scores"
CHURN_MODEL: Final = "churn.model"
CHURN_CUSTOMER_TABLE: Final = "churn.customer_table"
"""Prefix of the full customer table's download buttons."""

DATA_RETURNS_ONLY: Final = "data.returns_only"
"""Prefix of the returns-only customers' download buttons (``.csv``, ``.parquet``)."""

# Clusters page widgets.
CLUSTERS_MODE: Final = "clusters.mode"
CLUSTERS_K: Final = "clusters.k"
CLUSTERS_PROFILES: Final = "clusters.profiles"
CLUSTERS_DOWNLOAD: Final = "clusters.download"
"""Prefix of the cluster membership download buttons."""

# Customers page widgets.
CUSTOMERS_SEGMENT_CHART: Final = "customers.segment_chart"
CUSTOMERS_MAP_MEASURE: Final = "customers.map_measure"
CUSTOMERS_COUNTRY_TABLE: Final = "customers.country_table"

# Movement page widgets.
MOVEMENT_SINCE: Final = "since"
"""The earlier date, bound to the URL (``/movement?since=2023-09-30``); short and stable
because shared links depend on it, like the sidebar filters' keys."""
MOVEMENT_EDGES: Final = "movement.edges"
MOVEMENT_FROM: Final = "movement.from"
MOVEMENT_TO: Final = "movement.to"
MOVEMENT_DOWNLOAD: Final = "movement.download"
"""Prefix of the cell's customer list download buttons (``.csv``, ``.parquet``)."""
MOVEMENT_TOTALS: Final = "movement.totals"
MOVEMENT_COHORT_EVERY: Final = "movement.cohort_every"

# Customer page widgets.
CUSTOMER: Final = "customer"
"""The customer id box, bound to the URL: ``?customer=<id>`` opens that customer."""
CUSTOMER_MODEL: Final = "customer.model"
CUSTOMER_LINES: Final = "customer.lines"

# Customer lists that open the Customer page (single-row selection).
SEGMENTS_TOP_SPEND_TABLE: Final = "segments.top_spend_table"
SEGMENTS_TOP_SCORE_TABLE: Final = "segments.top_score_table"
