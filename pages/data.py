"""Data: choose the sample or upload a file, confirm its columns, see what was kept."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import replace
from datetime import datetime

import polars as pl
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

import rfm
from rfm.columns import OPTIONAL, REQUIRED
from rfm.io.attach import AttachReport
from rfm.io.detect import normalise_header
from rfm_app import filters as view_filters
from rfm_app import format as fmt
from rfm_app import keys, pipeline, session
from rfm_app.pipeline import Failure, TableProfile, analysis, table_profile, workbook_sheets
from rfm_app.routing import ensure_router
from rfm_app.store import AttachedTable
from rfm_app.widgets import download_buttons, plain, show_failure

ensure_router()  # first: a legacy direct run of this file goes through the router

NOT_USED = "— not used —"
MAIN_COLUMNS = (*REQUIRED, "order_id", "quantity", "unit_price")
MORE_COLUMNS = tuple(name for name in OPTIONAL if name not in MAIN_COLUMNS)
LABELS = {
    "customer_id": "Customer ID",
    "order_date": "Order date",
    "amount": "Amount (net line value)",
    "order_id": "Order / invoice ID",
    "quantity": "Quantity",
    "unit_price": "Unit price",
    "is_return": "Return flag",
    "birth_date": "Birth date",
    "signup_date": "Signup date",
    "payment_method": "Payment method",
}
UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "xls", "parquet"]
"""Accepted by the uploader; a format the library cannot read (old .xls) gets its clear
message on the page instead of the uploader's tooltip."""
SAMPLE_LABEL = "Sample data"
UPLOAD_LABEL = "Upload a file"
TEAM_LABEL = "Team data"
SOURCE_CHOICES = [SAMPLE_LABEL, UPLOAD_LABEL]
ATTACH_CHOICES = {
    "customers": "Customer attributes (by customer id)",
    "returns": "Returned orders (by order id)",
}
RETURNS_SHEETS = ("returns", "returned", "returnedorders", "returnorders")
"""Sheet names offered at once as a returns table (Superstore's is "Returns")."""


def _label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " ").capitalize())


def _use_upload() -> None:
    # A callback runs before the script, so the shared sidebar already names the new file.
    uploaded = st.session_state.get(keys.DATA_UPLOAD)
    # Not an UploadedFile once the store keeps the file and Streamlit's copy is dropped
    # (session.use_upload): the uploader then says the file is deleted; nothing new.
    if isinstance(uploaded, UploadedFile):
        session.use_upload(uploaded.getvalue(), name=uploaded.name, file_id=uploaded.file_id)
        if session.current_source().held is None:
            # The store keeps the bytes and Streamlit's upload manager no longer has them,
            # but this run's widget value still does, and drawing the uploader deep-copies
            # it: twice 146 MiB for a 1M-line CSV, alive while the file is first read back
            # from the store. Emptied, the value keeps its name and id, not the bytes.
            uploaded.truncate(0)


def _use_choice() -> None:
    choice = st.session_state.get(keys.DATA_SOURCE_KIND)
    if choice == TEAM_LABEL:
        team = session.team_source()
        if team is not None:
            session.set_source(team)
    elif choice == SAMPLE_LABEL:
        session.set_source(session.sample_source())


def choose_source() -> None:
    current = session.current_source()
    team = session.team_source()
    choices = SOURCE_CHOICES if team is None else [TEAM_LABEL, *SOURCE_CHOICES]
    shown = {"team": TEAM_LABEL, "sample": SAMPLE_LABEL}.get(current.kind, UPLOAD_LABEL)
    kind = st.radio(
        "Data source",
        choices,
        index=choices.index(shown) if shown in choices else 0,
        horizontal=True,
        key=keys.DATA_SOURCE_KIND,
        on_change=_use_choice,
    )
    problem = session.team_problem()
    if problem and current.kind == "sample":
        st.warning(problem, icon=":material/cloud_off:")
    if kind == TEAM_LABEL and team is not None:
        st.caption(
            f":material/database: The team's data, set up by the app's owner: {plain(team.name)}. "
            "Everyone with this app's link sees it."
        )
        return
    if kind == SAMPLE_LABEL:
        return
    uploaded = st.file_uploader(
        "Transactions file (CSV, TSV, Excel or Parquet, up to 200 MB)",
        type=UPLOAD_TYPES,
        key=keys.DATA_UPLOAD,
        on_change=_use_upload,
        help="One row per order line: a customer id, an order date and an amount at least.",
    )
    if uploaded is None and current.kind in ("sample", "team"):
        st.info(
            f"Until a file is uploaded, the {current.label.lower()} stays loaded.",
            icon=":material/info:",
        )
    sharing()


# -- sharing a stored upload (rfm_app.store) ------------------------------------------------


def _forget() -> None:
    if session.forget_dataset():
        st.toast("The dataset was deleted from this server.", icon=":material/delete:")
    default = session.current_source()  # what the link opens now: team data or sample
    st.session_state[keys.DATA_SOURCE_KIND] = TEAM_LABEL if default.kind == "team" else SAMPLE_LABEL


def sharing() -> None:
    """Say who can see a stored upload and until when, and offer to delete it now."""
    stored = session.current_dataset()
    if stored is None and session.current_token() is not None:
        st.warning(
            "This file is no longer kept on the server (it expired or was forgotten), so "
            "its link now opens other data. Upload it again to share it.",
            icon=":material/link_off:",
        )
        return
    if stored is None:
        reason = session.not_kept_reason()
        if reason:
            st.warning(
                f"{plain(reason)} This file is analysed in this browser tab only: a reload "
                "or a copied link opens the sample data.",
                icon=":material/link_off:",
            )
        return
    until = stored.expires.strftime("%d %b %Y, %H:%M UTC")
    with st.container(border=True):
        text, button = st.columns([4, 1], vertical_alignment="center")
        text.markdown(
            f":material/link: **{plain(stored.name)}** is kept on this server so this "
            "page's link reopens it, with its settings and filters. **Anyone with the link "
            f"can see this data until {until}** (or earlier, when the server needs the "
            "room)."
        )
        button.button(
            "Forget this dataset",
            icon=":material/delete:",
            key=keys.DATA_FORGET,
            on_click=_forget,
            help="Delete the file from this server now; the link then opens the sample.",
            width="stretch",
        )


def describe_file(profile: TableProfile) -> None:
    source = session.current_source()
    parts = [f"**{plain(source.name)}**", fmt.size(source.size), profile.source_format.upper()]
    if profile.encoding:
        parts.append(f"encoding {plain(profile.encoding)}")
    if profile.delimiter:
        shown = {"\t": "tab", " ": "space"}.get(profile.delimiter, profile.delimiter)
        parts.append(f"delimiter `{shown}`")
    if profile.header_row:
        parts.append(f"header on line {profile.header_row}")
    parts.append(fmt.plural(profile.rows, "row"))
    st.markdown(" · ".join(parts))
    if len(profile.sheets) > 1:
        choose_sheet(profile.sheets)
    for warning in profile.warnings:
        if len(profile.sheets) > 1 and _is_sheet_note(warning):
            continue  # the sheet picker above says it, without "Pass sheet=..."
        st.warning(plain(warning), icon=":material/warning:")


def _is_sheet_note(warning: str) -> bool:
    """The reader's note naming the workbook's sheets: the sheet picker says it."""
    return warning.startswith("The workbook has")


def choose_sheet(names: tuple[str, ...]) -> None:
    """Pick the workbook sheet to read (the first by default)."""
    current = session.current_settings().sheet
    sheets = list(names)
    narrow, _ = st.columns([1, 2])
    chosen = narrow.selectbox(
        f"Sheet — this workbook has {len(sheets)}",
        sheets,
        index=sheets.index(current) if current in sheets else 0,
        key=keys.DATA_SHEET,
    )
    if chosen != (current or sheets[0]):
        # Another sheet is another table: start again from its detected columns.
        session.update_settings(sheet=chosen, columns=None, date_format=None)
        st.rerun()


def fill_form(profile: TableProfile) -> None:
    """Put the current settings into the form's widgets.

    Done for a new file (its columns differ), and for any widget whose state Streamlit
    dropped while another page was shown; edits in progress are left alone.
    """
    source = session.current_source()
    settings = session.current_settings()
    chosen = settings.column_map if settings.column_map is not None else profile.detected
    table = f"{source.digest}:{settings.sheet}"  # another sheet has other columns
    new_file = st.session_state.get(keys.DATA_FORM_FILLED_FOR) != table
    values: dict[str, object] = {
        f"{keys.DATA_COLUMN_PREFIX}{name}": (
            chosen[name] if chosen.get(name) in profile.columns else NOT_USED
        )
        for name in (*MAIN_COLUMNS, *MORE_COLUMNS)
    }
    values[keys.DATA_AS_OF] = settings.as_of
    values[keys.DATA_CURRENCY] = session.currency()
    for key, value in values.items():
        if new_file or key not in st.session_state:
            st.session_state[key] = value
    st.session_state[keys.DATA_FORM_FILLED_FOR] = table


def columns_form(profile: TableProfile) -> None:
    fill_form(profile)
    options = [NOT_USED, *profile.columns]

    def selectbox(name: str) -> str:
        return st.selectbox(
            _label(name) + (" *" if name in REQUIRED else ""),
            options,
            key=f"{keys.DATA_COLUMN_PREFIX}{name}",
        )

    with st.form(keys.DATA_SETTINGS_FORM, border=True):
        st.markdown("**Columns** — pre-filled by detection; correct anything that is wrong.")
        picked: dict[str, str] = {}
        grid = st.columns(3)
        for i, name in enumerate(MAIN_COLUMNS):
            with grid[i % 3]:
                picked[name] = selectbox(name)
        with st.expander("More columns (demographics, products, location)"):
            more = st.columns(3)
            for i, name in enumerate(MORE_COLUMNS):
                with more[i % 3]:
                    picked[name] = selectbox(name)
        left, right = st.columns(2)
        span = view_filters.current_options()
        # Any day from the first transaction to the day after the last (Streamlit's own
        # default range is today +/- 10 years, which rejects 1997 or 2010 data).
        first_day = None if span is None else span.first_day
        last_day = None if span is None or span.last_day is None else span.last_day
        as_of = left.date_input(
            "As-of date",
            key=keys.DATA_AS_OF,
            min_value=first_day,
            max_value=None if last_day is None else last_day + dt.timedelta(days=1),
            help="Recency is measured at this date; later transactions are not counted "
            "anywhere in the app. Empty = the day after the last transaction.",
        )
        symbols = list(fmt.CURRENCIES)
        currency = right.selectbox(
            "Currency",
            symbols,
            format_func=lambda symbol: symbol or "(none)",
            key=keys.DATA_CURRENCY,
        )
        if st.form_submit_button(
            "Apply", type="primary", icon=":material/check:", key=keys.DATA_APPLY
        ):
            mapping = tuple(sorted((k, v) for k, v in picked.items() if v != NOT_USED))
            st.session_state[keys.CURRENCY] = currency
            session.update_settings(columns=mapping, as_of=as_of or None)
            st.rerun()


def customer_accounts(counts: rfm.CustomerCounts, as_of: dt.date) -> None:
    """Where every customer in the file went, as the quality report does for rows."""
    if counts.rows_after_as_of:
        st.info(
            f"{fmt.plural(counts.rows_after_as_of, 'row')} dated after the as-of date "
            f"{as_of} are not counted anywhere (recency is measured at that date).",
            icon=":material/event:",
        )
    if counts.scored == counts.seen:
        return
    rows = [
        ("Scored (bought on or before the as-of date)", counts.scored, ""),
        (
            "Only returns on or before the as-of date",
            counts.returns_only,
            fmt.money(counts.returns_only_revenue, session.currency()),
        ),
        ("Only transactions after the as-of date", counts.after_as_of_only, ""),
    ]
    with st.expander(
        f"Customers: {fmt.count(counts.seen)} seen, {fmt.count(counts.scored)} scored",
        icon=":material/groups:",
    ):
        st.dataframe(
            pl.DataFrame(rows, schema=["Customers", "Count", "Net value"], orient="row").filter(
                pl.col("Count") > 0
            ),
            hide_index=True,
            width="stretch",
        )
        st.caption(
            "Customers with only returns are not scored (they have no purchase to measure); "
            "their returns are part of the revenue figure."
        )
        returns_only = pipeline.returns_only(source, session.current_settings())
        if returns_only is not None and returns_only.height:
            download_buttons(
                returns_only, stem="returns-only-customers", key=keys.DATA_RETURNS_ONLY
            )


def adopt_currency(digest: str, written: str | None) -> None:
    """Default the currency to the one the file's amounts are written in, once per file.

    An analyst's own choice afterwards stands; a file of plain numbers keeps the
    current choice.
    """
    if written not in fmt.CURRENCIES or not written:
        return
    if st.session_state.get(keys.CURRENCY_ADOPTED_FOR) == digest:
        return
    st.session_state[keys.CURRENCY_ADOPTED_FOR] = digest
    st.session_state[keys.CURRENCY] = written
    st.session_state[keys.DATA_CURRENCY] = written  # the picker, drawn further down


def _format_example(pattern: str) -> str:
    example = datetime(2024, 12, 31, 17, 45).strftime(pattern)
    first = "day first" if pattern.find("%d") < pattern.find("%m") else "month first"
    return f"{first} — {example} (`{pattern}`)"


def choose_date_format(failure: Failure) -> None:
    # The library's advice ("pass date_format=...") is for code; here the radio asks.
    then = (
        " Choose below how to read them: rows written the other way are set aside and "
        "counted in the quality report."
        if failure.mixed_dates
        else " Choose below how to read them."
    )
    st.warning(f"{plain(failure.for_analyst)}{then}", icon=":material/calendar_month:")
    choice = st.radio(
        "How should the order dates be read?",
        list(failure.candidates),
        index=None,
        format_func=_format_example,
        key=keys.DATA_DATE_FORMAT,
    )
    if choice is not None:
        session.update_settings(date_format=choice)
        st.rerun()


# -- a second table: customer attributes or returned orders (rfm.attach_*) ----------------


def attach_summary(attachment: AttachedTable, report: AttachReport) -> str:
    """What a join did, in plain words (Markdown, user text escaped)."""
    name = plain(attachment.name)
    if report.table == "returns":
        text = (
            f"**Returns** ({name}): {fmt.plural(report.matched, 'order')} marked returned "
            f"({fmt.plural(report.lines_added, 'return line')} added, taking "
            f"{fmt.money(abs(report.returned_value), session.currency())} off the revenue)"
        )
        if report.unmatched:
            text += f", {fmt.plural(report.unmatched, 'order id')} not found in the transactions"
        return text + "."
    added = ", ".join(_label(column).lower() for column in report.columns)
    text = (
        f"**Customer attributes** ({name}): {fmt.count(report.matched)} of "
        f"{fmt.plural(report.keys, 'customer')} found in the transactions, adding {added}"
    )
    if report.unmatched:
        text += f"; {fmt.plural(report.unmatched, 'customer id')} not found in the transactions"
    if report.lines_unmatched:
        text += (
            f"; {fmt.plural(report.lines_unmatched, 'transaction line')} of customers "
            "the table does not list"
        )
    return text + "."


def _attach_advice(failure: Failure, table: str) -> str:
    """The library's message without its advice for code (``Pass on=...``), with what to
    do on this page instead."""
    text = re.sub(r"\s*Pass \w+=.*$", "", failure.message, flags=re.DOTALL).strip()
    if table == "returns":
        then = "A returns table needs an order id column (and may have a yes/no Returned column)."
    else:
        then = "A customer table needs a customer id column and attribute columns."
    return f"{plain(text)}\n\n{then} Choose another sheet or file."


def _attach(table: str, data: bytes, *, name: str, sheet: str | None) -> None:
    """Join a second table if it joins; otherwise say why (the page goes on)."""
    source = session.current_source()
    attachment = AttachedTable(
        table="returns" if table == "returns" else "customers",
        name=name,
        digest=hashlib.sha256(data).hexdigest(),
        sheet=sheet,
    )
    outcome = pipeline.try_attach(source, session.current_settings(), attachment, data)
    if isinstance(outcome, Failure):
        st.error(_attach_advice(outcome, table), icon=":material/error:")
        return
    session.attach(attachment, data)
    st.rerun()


def _returns_sheet(profile: TableProfile, current: str) -> str | None:
    return next(
        (
            name
            for name in profile.sheets
            if name != current and normalise_header(name) in RETURNS_SHEETS
        ),
        None,
    )


def attached_tables() -> None:
    """The tables joined now, each with a button to stop joining it."""
    settings = session.current_settings()
    not_kept = session.attachments_not_kept()
    for attachment in settings.attachments:
        text, button = st.columns([4, 1], vertical_alignment="center")
        what = "Customer attributes" if attachment.table == "customers" else "Returned orders"
        text.markdown(f":material/join: **{what}** from {plain(attachment.name)}")
        if attachment.digest in not_kept:
            text.caption(
                f"{plain(not_kept[attachment.digest])} This table is joined in this tab only."
            )
        if button.button(
            "Remove",
            icon=":material/link_off:",
            key=f"{keys.DATA_DETACH_PREFIX}{attachment.table}",
            width="stretch",
        ):
            session.detach(attachment.table)
            st.rerun()


def _current_sheet(profile: TableProfile) -> str:
    return session.current_settings().sheet or (profile.sheets[0] if profile.sheets else "")


def suggest_returns_sheet(profile: TableProfile, result: pipeline.Analysis) -> None:
    """Offer a workbook's Returns sheet (Superstore's) as returned orders, in one click."""
    settings = session.current_settings()
    suggested = _returns_sheet(profile, _current_sheet(profile))
    if (
        suggested is None
        or any(a.table == "returns" for a in settings.attachments)
        or "order_id" not in result.report.columns
    ):
        return
    with st.container(border=True):
        text, button = st.columns([3, 1], vertical_alignment="center")
        text.markdown(
            f":material/assignment_return: This workbook also has a **{plain(suggested)}** "
            "sheet. Attach it to mark the orders it lists as returned (by order id)."
        )
        if button.button(
            f"Attach {suggested}",
            key=keys.DATA_ATTACH_SUGGESTED,
            icon=":material/join:",
            type="primary",
            width="stretch",
        ):
            data = _file_bytes(session.current_source())
            if data is not None:
                _attach("returns", data, name=f"{suggested} sheet", sheet=suggested)


def _file_bytes(source: session.Source) -> bytes | None:
    """The file's bytes, read back from the dataset store when the session does not hold
    them; None, with the reason on the page, when the store no longer keeps the file."""
    try:
        return source.data
    except rfm.DataError as error:
        st.error(str(error), icon=":material/error:")
        return None


def attach_tables(profile: TableProfile) -> None:
    """Offer to join customer attributes or returned orders, from another sheet of this
    workbook or from another file (read through the same checks as the upload)."""
    source = session.current_source()
    current_sheet = _current_sheet(profile)
    st.subheader("Attach a second table", anchor=False)
    st.caption(
        "Customer attributes (gender, birth date or age, signup date, city, region, "
        "country…) are joined by customer id; a table of returned orders (such as "
        "Superstore's Returns sheet) marks those whole orders as returned, by order id."
    )
    attached_tables()
    table = st.radio(
        "The second table holds",
        list(ATTACH_CHOICES),
        format_func=ATTACH_CHOICES.__getitem__,
        horizontal=True,
        key=keys.DATA_ATTACH_TABLE,
    )
    others = [name for name in profile.sheets if name != current_sheet]
    from_sheet, from_file = st.columns(2) if others else (None, st.container())
    if from_sheet is not None:
        with from_sheet:
            sheet = st.selectbox(
                "From a sheet of this workbook", others, key=keys.DATA_ATTACH_SHEET
            )
            if st.button(
                "Attach this sheet", icon=":material/join:", key=keys.DATA_ATTACH_SHEET_BUTTON
            ):
                data = _file_bytes(source)
                if data is not None:
                    _attach(table, data, name=f"{sheet} sheet", sheet=sheet)
    with from_file:
        uploaded = st.file_uploader(
            "From another file (CSV, TSV, Excel or Parquet)",
            type=UPLOAD_TYPES,
            key=keys.DATA_ATTACH_UPLOAD,
        )
        if uploaded is not None and st.button(
            "Attach this file", icon=":material/join:", key=keys.DATA_ATTACH_FILE_BUTTON
        ):
            _attach(table, uploaded.getvalue(), name=uploaded.name, sheet=None)


def _returns_help(in_file: int, refunds: int, joined: int) -> str:
    parts = [f"{fmt.count(in_file)} in the file"]
    if refunds:
        parts.append(f"{fmt.count(refunds)} added for the partial refunds the export lists")
    if joined:
        parts.append(f"{fmt.count(joined)} added for the orders the returns table lists")
    return ", ".join(parts) + "."


def quality_report(
    report: rfm.QualityReport, attached: tuple[tuple[AttachedTable, AttachReport], ...] = ()
) -> None:
    st.subheader("Quality report", anchor=False)
    excluded = sum(report.excluded.values())
    joined = sum(join.lines_added for _, join in attached)
    added = joined + report.rows_added  # return lines of a returns table and of shop refunds
    cols = st.columns(4)
    cols[0].metric("Rows read", fmt.count(report.rows_read), border=True)
    cols[1].metric("Rows kept", fmt.count(report.rows_kept), border=True)
    cols[2].metric("Rows excluded", fmt.count(excluded), border=True)
    cols[3].metric(
        "Returns kept",
        fmt.count(report.returns + added),
        border=True,
        help=None if not added else _returns_help(report.returns, report.rows_added, joined),
    )
    left, right = st.columns(2)
    with left:
        st.markdown("**Where every row went**")
        if excluded:
            _counts(report.to_frame(), ("reason", "Outcome"), ("rows", "Rows"))
        else:  # an empty table next to this message only says "empty"
            st.success("Every row was kept.", icon=":material/check_circle:")
        attach_reports(attached)
    with right:
        st.markdown("**Columns used**")
        mapping = pl.DataFrame(
            {"column": list(report.columns), "from file": list(report.columns.values())},
            schema={"column": pl.String, "from file": pl.String},
        )
        st.dataframe(mapping, hide_index=True, width="stretch")
        date_format = report.date_format
        if date_format:
            note = " (ambiguous: your choice)" if report.date_ambiguous else ""
            st.caption(f"Dates read as `{date_format}`{plain(note)}")
    for warning in report.warnings:
        if not _is_sheet_note(warning):
            st.warning(plain(warning), icon=":material/warning:")


def _counts(table: pl.DataFrame, label: tuple[str, str], count: tuple[str, str]) -> None:
    """A two-column table of what was counted: its ``label`` and ``count`` columns as
    (column, title), the counts written with thousands separators."""
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            label[0]: st.column_config.TextColumn(label[1]),
            count[0]: st.column_config.NumberColumn(count[1], format="localized"),
        },
    )


def attach_reports(attached: tuple[tuple[AttachedTable, AttachReport], ...]) -> None:
    """What each attached table matched, in the quality report."""
    if not attached:
        return
    st.markdown("**Attached tables**")  # in the quality report's left column
    for attachment, report in attached:
        st.markdown(f":material/join: {attach_summary(attachment, report)}")
        for warning in report.warnings:
            st.warning(plain(warning), icon=":material/warning:")
        with st.expander(f"What the {attachment.name} join matched", icon=":material/table:"):
            _counts(report.to_frame(), ("measure", "Count"), ("value", "Value"))


st.title("Data", anchor=False)
st.caption(
    "Start from the bundled sample or upload your own export of order lines. "
    "Check the detected columns, then explore the dashboards."
)
choose_source()
source = session.current_source()
profile = table_profile(
    source.digest, source, session.current_settings().sheet, session.stored_dataset()
)
if isinstance(profile, Failure):
    sheets = workbook_sheets(source.digest, source.payload)
    if len(sheets) > 1:
        choose_sheet(sheets)
        said = re.sub(r"\s*The workbook has sheets .*$", "", profile.message, flags=re.DOTALL)
        show_failure(
            replace(profile, message=said),
            where="Choose the sheet that holds the transactions above.",
        )
    show_failure(profile, where="Upload a different file, or go back to the sample data.")
describe_file(profile)

# The verdict comes before the form, so a problem is the first thing seen; the form
# only changes the settings when submitted, which reruns the page.
result = analysis(source.digest, source, session.current_settings())
if isinstance(result, Failure):
    if result.ambiguous_dates:
        choose_date_format(result)
    else:
        then = (
            "Or upload a different file."
            if result.field is not None
            else "Correct the columns below and press **Apply**, or upload a different file."
        )
        st.error(f"{plain(result.for_analyst)}\n\n{then}", icon=":material/error:")
    if session.current_settings().attachments:
        st.caption("Or remove an attached table:")
        attached_tables()
    columns_form(profile)
    with st.expander("File as read", expanded=True):
        st.dataframe(profile.preview, hide_index=True, width="stretch")
    st.stop()

st.success(
    f"{fmt.plural(result.kpis.customers, 'customer')}, "
    f"{fmt.plural(result.kpis.orders, 'order')}, measured as of {result.as_of}. "
    "Open **Overview** or **Segments** to explore.",
    icon=":material/check_circle:",
)
adopt_currency(source.digest, result.report.currency)
settings = session.current_settings()
customer_accounts(result.counts, result.as_of)
if (
    settings.date_format
    and result.report.date_ambiguous
    and st.button(
        "Change the date format",
        icon=":material/calendar_month:",
        key=keys.DATA_CHANGE_DATE_FORMAT,
    )
):
    session.update_settings(date_format=None)
    st.rerun()
if source.kind == "upload":  # the sample and the team's data are shared by everyone
    suggest_returns_sheet(profile, result)
columns_form(profile)
if source.kind == "upload":
    attach_tables(profile)
pipeline.keep_parsed(source, session.current_settings())  # a reopened link skips parsing
quality_report(result.report, result.attached)

st.subheader("Preview", anchor=False)
cleaned, as_read = st.tabs(["Cleaned transactions", "File as read"])
with cleaned:
    st.dataframe(result.preview, hide_index=True, width="stretch")
    st.caption(f"The first {fmt.plural(result.preview.height, 'row')} after cleaning.")
with as_read:
    st.dataframe(profile.preview, hide_index=True, width="stretch")
    st.caption(f"The first {fmt.plural(profile.preview.height, 'row')} as text, as read.")
