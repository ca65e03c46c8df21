"""What this browser session is analysing: the source bytes and the reading settings.

Both live in ``st.session_state`` under constant keys, so they survive page changes
(Streamlit drops a widget's state when its page is not shown).

An upload is also kept in the server's dataset store (:mod:`rfm_app.store`) and named in
the URL by a random token (``?dataset=...``), so a reload or a teammate opening the copied
link gets the same data and reading settings; :func:`follow_link` reads that token at the
start of every run.
"""

from __future__ import annotations

import glob
import hashlib
import io
import logging
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Final, Literal

import polars as pl
import streamlit as st

from rfm.datasets import sample_path
from rfm.errors import DataError
from rfm.io.limits import Limits
from rfm.sources import SourceSpec, read_source
from rfm_app import keys
from rfm_app.store import (
    AttachedTable,
    DatasetStore,
    ReadingSettings,
    StoredDataset,
    StoreError,
    StoreLimits,
)

logger = logging.getLogger(__name__)

SAMPLE_NAME: Final = "retail"
SourceKind = Literal["sample", "team", "upload"]
"""The bundled sample, the team source configured in secrets, or a file a person gave."""
DATASET_PARAM: Final = "dataset"
"""Query parameter holding the stored dataset's token. Stable: shared links depend on it."""


Payload = bytes | Callable[[], bytes]
"""A file's bytes, or a function reading them when they are needed (see
:attr:`Source.payload`)."""


@dataclass(frozen=True)
class Source:
    """One input file, identified by the SHA-256 of its full content (never its name).

    The session holds the bytes (``held``) until the dataset store keeps them on disk
    (``stored``): from then on they are read back from the store only when something
    needs them (new reading settings, a sheet, an attached sheet), not held in memory
    for the session's whole life (146 MiB for a 1M-line CSV).
    """

    name: str
    kind: SourceKind
    digest: str
    size: int
    """Size in bytes."""
    held: bytes | None = field(default=None, repr=False)
    """The bytes, when this session holds them."""
    stored: tuple[DatasetStore, str] | None = field(default=None, repr=False, compare=False)
    """The store and token keeping the bytes, when the session does not hold them."""

    @property
    def label(self) -> str:
        """What it is, for people: ``"Sample data"``, ``"Team data"`` or ``"Your file"``."""
        return {"sample": "Sample data", "team": "Team data"}.get(self.kind, "Your file")

    @property
    def data(self) -> bytes:
        """The bytes: held, or read back from the dataset store (checked against the
        digest). Raises :class:`rfm.DataError` when the store no longer has them."""
        if self.held is not None:
            return self.held
        found = None
        if self.stored is not None:
            store, token = self.stored
            try:
                found = store.open(token, touch=False)
            except (OSError, sqlite3.Error) as error:
                logger.error("Could not read a stored dataset back: %s", error)
        if found is None or found.digest != self.digest:
            msg = (
                f"The file {self.name} is no longer kept on this server (it expired or "
                "was deleted), so it cannot be read again with other settings. "
                "Upload it again."
            )
            raise DataError(msg)
        return found.data

    @property
    def payload(self) -> Payload:
        """What the readers take: the held bytes, or a function reading them back from
        the store, so nothing is read until a reader needs the file."""
        return self.held if self.held is not None else _Reader(self)

    @classmethod
    def from_bytes(cls, data: bytes, *, name: str, kind: SourceKind) -> Source:
        """Wrap ``data``, hashing all of it."""
        digest = hashlib.sha256(data).hexdigest()
        return cls(name=name, kind=kind, digest=digest, size=len(data), held=data)

    def kept_in(self, store: DatasetStore, token: str) -> Source:
        """The same file, its bytes left to ``store`` (under ``token``) instead of held."""
        return replace(self, held=None, stored=(store, token))


@dataclass(frozen=True)
class _Reader:
    source: Source

    def __call__(self) -> bytes:
        return self.source.data


def resolve(payload: Payload) -> bytes:
    """The bytes of ``payload`` (read back from the store when it is a reader)."""
    return payload() if callable(payload) else payload


@dataclass(frozen=True)
class Settings:
    """How to read the current source. ``columns=None`` means "as detected"."""

    columns: tuple[tuple[str, str], ...] | None = None
    date_format: str | None = None
    as_of: date | None = None
    sheet: str | None = None
    """Excel sheet to read; None reads the first."""
    attachments: tuple[AttachedTable, ...] = ()
    """Second tables joined to the transactions (at most one of customers, one of returns);
    their bytes are in :func:`attachment_files` (or the source's, for another sheet)."""

    @property
    def column_map(self) -> dict[str, str] | None:
        """``columns`` as the mapping :func:`rfm.read_transactions` takes."""
        return None if self.columns is None else dict(self.columns)


@st.cache_resource(show_spinner=False)
def sample_source() -> Source:
    """The bundled sample, read once per server process and shared (it is public)."""
    path = sample_path(SAMPLE_NAME)
    return Source.from_bytes(path.read_bytes(), name=path.name, kind="sample")


def current_source() -> Source:
    """The source this session analyses: until something else is chosen, the team's
    configured source, or the bundled sample when there is none."""
    source = st.session_state.get(keys.SOURCE)
    return source if isinstance(source, Source) else default_source()


def default_source() -> Source:
    """What a link without a dataset opens: the team source if it reads, else the sample."""
    return team_source() or sample_source()


def set_source(source: Source, *, token: str | None = None) -> None:
    """Analyse ``source`` from now on; a different file starts from detected settings.

    ``token`` names it in the dataset store (and then in the URL); ``None`` means it is
    not stored, so the URL loses any dataset token.
    """
    if current_source().digest != source.digest:
        st.session_state[keys.SETTINGS] = Settings()
        st.session_state[keys.ATTACHMENT_FILES] = {}  # attached to the previous file
        st.session_state[keys.ATTACHMENTS_NOT_KEPT] = {}
    st.session_state[keys.SOURCE] = source
    st.session_state[keys.DATASET_TOKEN] = token
    if token is None:
        st.query_params.pop(DATASET_PARAM, None)
    else:
        st.query_params[DATASET_PARAM] = token


def current_settings() -> Settings:
    """The reading settings for the current source."""
    settings = st.session_state.get(keys.SETTINGS)
    return settings if isinstance(settings, Settings) else Settings()


def update_settings(**changes: object) -> None:
    """Change some reading settings (keyword names as in :class:`Settings`); a stored
    dataset keeps them (with the currency) for its link."""
    st.session_state[keys.SETTINGS] = replace(current_settings(), **changes)  # type: ignore[arg-type]
    _save_settings()


def currency() -> str:
    """The currency symbol chosen on the Data page (default ``$``)."""
    return str(st.session_state.get(keys.CURRENCY, "$"))


# -- the dataset store: uploads that survive a reload and can be shared --------------------


def _secrets_section(name: str) -> Mapping[str, object]:
    """One ``[name]`` table of ``.streamlit/secrets.toml``; empty when there is none."""
    try:
        section = st.secrets.get(name)
    except Exception:  # no secrets file at all: nothing configured
        return {}
    return dict(section) if isinstance(section, Mapping) else {}


@st.cache_resource(show_spinner=False)
def _open_store(limits: StoreLimits) -> DatasetStore:
    return DatasetStore(limits)


def dataset_store() -> DatasetStore | None:
    """The server's dataset store, or ``None`` when it is turned off or cannot be used
    (the reason goes to the server log, not to the page: it may name server paths)."""
    try:
        limits = StoreLimits.from_settings(_secrets_section("rfm_store"))
        return _open_store(limits) if limits.enabled else None
    except (StoreError, OSError, sqlite3.Error) as error:
        logger.error("The dataset store cannot be used: %s", error)
        return None


def current_token() -> str | None:
    """The store token of the data this session analyses (``None`` if not stored)."""
    token = st.session_state.get(keys.DATASET_TOKEN)
    return token if isinstance(token, str) else None


def current_dataset() -> StoredDataset | None:
    """The store's entry for this session's data (no bytes), or ``None``."""
    token = current_token()
    store = dataset_store()
    return None if token is None or store is None else store.describe(token)


def _reading_settings() -> ReadingSettings:
    settings = current_settings()
    chosen = st.session_state.get(keys.CURRENCY)
    not_kept = attachments_not_kept()
    return ReadingSettings(
        columns=settings.columns,
        date_format=settings.date_format,
        as_of=settings.as_of,
        sheet=settings.sheet,
        currency=chosen if isinstance(chosen, str) else None,
        # A table the store could not keep is joined in this tab only.
        attachments=tuple(a for a in settings.attachments if a.digest not in not_kept),
    )


def _save_settings() -> None:
    token = current_token()
    store = dataset_store()
    if token is None or store is None:
        return
    try:
        store.update_settings(token, _reading_settings())
    except (OSError, sqlite3.Error) as error:
        logger.error("Could not save the settings of a stored dataset: %s", error)


def use_upload(data: bytes, *, name: str, file_id: str | None = None) -> None:
    """Analyse an uploaded file and keep it in the store, so its link can be shared.

    The same file uploaded again keeps its token and settings. When the store cannot keep
    it, the session still analyses it (holding its bytes); :func:`not_kept_reason` says
    why it is not shared. Once the store keeps it, the session holds no copy: neither its
    :class:`Source` nor, given the uploader's ``file_id``, Streamlit's upload manager.
    """
    source = Source.from_bytes(data, name=name, kind="upload")
    if source.digest == current_source().digest and current_token() is not None:
        _drop_upload(file_id)
        return
    st.session_state[keys.DATASET_NOT_KEPT] = None
    store = dataset_store()
    token = None
    if store is None:
        st.session_state[keys.DATASET_NOT_KEPT] = "Sharing uploads is turned off on this server."
    else:
        try:
            token = store.save(data, name=name).token
        except StoreError as error:
            st.session_state[keys.DATASET_NOT_KEPT] = str(error)
        except (OSError, sqlite3.Error) as error:
            logger.error("Could not keep an upload in the dataset store: %s", error)
            st.session_state[keys.DATASET_NOT_KEPT] = "The server could not keep a copy."
    if store is not None and token is not None:
        source = source.kept_in(store, token)
        _drop_upload(file_id)
    set_source(source, token=token)


def _drop_upload(file_id: str | None) -> None:
    """Drop Streamlit's copy of an uploaded file the dataset store keeps (the uploader
    then shows it still, and returns nothing for it)."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    context = get_script_run_ctx(suppress_warning=True)
    if file_id is None or context is None:
        return
    # Streamlit's in-memory manager has it; the manager protocol does not name it.
    remove = getattr(context.uploaded_file_mgr, "remove_file", None)
    if callable(remove):
        remove(context.session_id, file_id)


def not_kept_reason() -> str | None:
    """Why the current upload is not in the store (so its link shows other data)."""
    if current_source().kind != "upload" or current_token() is not None:
        return None
    reason = st.session_state.get(keys.DATASET_NOT_KEPT)
    return reason if isinstance(reason, str) else None


def forget_dataset() -> bool:
    """Delete this session's stored dataset at once and go back to the default data."""
    token = current_token()
    store = dataset_store()
    forgotten = token is not None and store is not None and store.forget(token)
    set_source(default_source())
    return forgotten


MISSING_LINK: Final = (
    "The dataset in this link is not available: it has expired, was forgotten, or was "
    "never kept on this server."
)


def follow_link() -> str | None:
    """Make the session show the dataset the URL names; call first in every run.

    Returns a message for the page when the link names a dataset that is not (or no
    longer) available; the session then shows the default data (:func:`default_source`).
    """
    wanted = st.query_params.get(DATASET_PARAM)
    held = current_token()
    if not wanted:
        if held is not None:
            st.query_params[DATASET_PARAM] = held  # a page change dropped it: put it back
        return None
    if wanted == held:
        return None
    store = dataset_store()
    try:
        found = None if store is None else store.open(wanted)
    except (OSError, sqlite3.Error) as error:
        logger.error("Could not open a stored dataset: %s", error)
        found = None
    if found is None:
        fallback = default_source()
        set_source(fallback)
        return (
            f"{MISSING_LINK} Showing the {fallback.label.lower()} instead; upload the file "
            "again to share it."
        )
    _restore(found)
    return None


def _restore(found: StoredDataset) -> None:
    store = dataset_store()
    # The store checked the bytes against their digest: read back when needed, not held.
    source = Source(
        name=found.name,
        kind="upload",
        digest=found.digest,
        size=len(found.data),
        held=found.data if store is None else None,
        stored=None if store is None else (store, found.token),
    )
    set_source(source, token=found.token)
    kept = found.settings
    attachments = []
    files: dict[str, bytes] = {}
    for attachment in kept.attachments:
        if attachment.digest == source.digest:  # another sheet of the same workbook
            attachments.append(attachment)
            continue
        data = None if store is None else store.attachment(found.token, attachment.digest)
        if data is None:
            logger.error("An attached table of stored dataset %s is missing", found.token[:6])
            continue
        files[attachment.digest] = data
        attachments.append(attachment)
    st.session_state[keys.ATTACHMENT_FILES] = files
    st.session_state[keys.SETTINGS] = Settings(
        columns=kept.columns,
        date_format=kept.date_format,
        as_of=kept.as_of,
        sheet=kept.sheet,
        attachments=tuple(attachments),
    )
    if kept.currency is not None:
        st.session_state[keys.CURRENCY] = kept.currency
        st.session_state[keys.CURRENCY_ADOPTED_FOR] = source.digest  # the choice stands


# -- second tables joined to the transactions (customers, returns) --------------------------


def attachment_files() -> dict[str, bytes]:
    """SHA-256 -> bytes of the files attached to the current source (not its own sheets)."""
    files = st.session_state.get(keys.ATTACHMENT_FILES)
    return files if isinstance(files, dict) else {}


def attachments_not_kept() -> dict[str, str]:
    """SHA-256 of an attached file -> why the store could not keep it (so a reopened link
    does not join it)."""
    reasons = st.session_state.get(keys.ATTACHMENTS_NOT_KEPT)
    return reasons if isinstance(reasons, dict) else {}


def attach(attachment: AttachedTable, data: bytes) -> None:
    """Join ``attachment`` (read from ``data``) from now on, in place of any table of the
    same kind; a stored dataset keeps it for its link."""
    source = current_source()
    if attachment.digest != source.digest:
        st.session_state[keys.ATTACHMENT_FILES] = {
            **attachment_files(),
            attachment.digest: data,
        }
        _keep_attachment(attachment, data)
    others = tuple(a for a in current_settings().attachments if a.table != attachment.table)
    update_settings(attachments=(*others, attachment))


def detach(table: str) -> None:
    """Stop joining the ``table`` ("customers" or "returns"); the store deletes its bytes."""
    kept = tuple(a for a in current_settings().attachments if a.table != table)
    update_settings(attachments=kept)
    named = {a.digest for a in kept}
    st.session_state[keys.ATTACHMENT_FILES] = {
        digest: data for digest, data in attachment_files().items() if digest in named
    }


def _keep_attachment(attachment: AttachedTable, data: bytes) -> None:
    token = current_token()
    store = dataset_store()
    if token is None or store is None:
        return
    reasons = {d: r for d, r in attachments_not_kept().items() if d != attachment.digest}
    try:
        if not store.keep_attachment(token, data):
            reasons[attachment.digest] = "The dataset is no longer kept on the server."
    except StoreError as error:
        reasons[attachment.digest] = str(error)
    except (OSError, sqlite3.Error) as error:
        logger.error("Could not keep an attached table in the dataset store: %s", error)
        reasons[attachment.digest] = "The server could not keep a copy."
    st.session_state[keys.ATTACHMENTS_NOT_KEPT] = reasons


def stored_dataset() -> tuple[DatasetStore, str] | None:
    """The store and token of this session's data, when it is stored (the readers look
    for its parsed transactions there before parsing)."""
    token = current_token()
    store = dataset_store()
    return None if token is None or store is None else (store, token)


def keep_parsed(transactions: pl.DataFrame, *, key: str, notes: str) -> None:
    """Keep the stored dataset's cleaned transactions as Parquet, once per ``key``, so a
    reload or a teammate's link skips parsing."""
    found = stored_dataset()
    if found is None:
        return
    store, token = found
    if st.session_state.get(keys.PARSED_KEPT_FOR) == (token, key):
        return
    try:
        store.keep_parsed(token, transactions, key=key, notes=notes)
    except (OSError, sqlite3.Error, pl.exceptions.PolarsError) as error:
        logger.error("Could not keep the parsed transactions of a stored dataset: %s", error)
    st.session_state[keys.PARSED_KEPT_FOR] = (token, key)  # tried: not again every rerun


# -- the team source configured in secrets ([rfm_source]) ----------------------------------

TEAM_SOURCE_TTL: Final = "15m"
"""How long the team's data is reused before it is read again from its source."""
TEAM_UNAVAILABLE: Final = (
    "The team's data source could not be read just now, so the sample data is shown. "
    "The app's owner finds the reason in the server log."
)


def team_spec() -> SourceSpec | None:
    """The ``[rfm_source]`` of ``.streamlit/secrets.toml``; ``None`` when there is none or
    it is not usable (the reason is logged: it may name servers or paths)."""
    section = _secrets_section("rfm_source")
    if not section:
        return None
    # The section holds credentials: it is part of the cache key only through a digest.
    fingerprint = hashlib.sha256(repr(sorted(section.items())).encode()).hexdigest()
    return _parse_team_spec(fingerprint, section)


@st.cache_resource(max_entries=4, show_spinner=False)
def _parse_team_spec(fingerprint: str, _section: Mapping[str, object]) -> SourceSpec | None:
    try:
        return SourceSpec.from_mapping(_section)
    except Exception as error:  # logged once per configuration, not on every rerun
        logger.error("[rfm_source] in secrets.toml is not usable: %s", error)
        return None


def team_configured() -> bool:
    """True when the owner configured a team source (usable or not)."""
    return bool(_secrets_section("rfm_source"))


def team_source() -> Source | None:
    """The team's data as a :class:`Source`, read at most every :data:`TEAM_SOURCE_TTL`
    and shared by all sessions (it is the same for everyone with the app's link)."""
    spec = team_spec()
    if spec is None:
        return None
    fingerprint = hashlib.sha256(repr((spec, spec.url)).encode()).hexdigest()  # as above
    return _read_team_source(fingerprint, spec)


@st.cache_resource(ttl=TEAM_SOURCE_TTL, max_entries=2, show_spinner="Reading the team's data…")
def _read_team_source(fingerprint: str, _spec: SourceSpec) -> Source | None:
    try:
        return _team_source(_spec)
    except Exception:
        # Driver messages can carry connection strings: the log only, never the page.
        logger.exception("The team source (%s) could not be read", _spec.kind)
        return None


def _team_source(spec: SourceSpec) -> Source:
    """A single file is read as its bytes, so it goes through the same readers as an
    upload (sheets, encodings); anything else comes back as a table, kept as Parquet."""
    path = Path(spec.path or "").expanduser()
    if (
        spec.kind == "file"
        and not glob.has_magic(str(path))
        and not spec.columns
        and path.is_file()
        and path.stat().st_size <= Limits().max_bytes
    ):
        return Source.from_bytes(path.read_bytes(), name=path.name, kind="team")
    frame = read_source(spec)
    renames = {source: canonical for canonical, source in spec.columns if source != canonical}
    if renames:
        frame = frame.rename(renames)  # the owner's mapping, then detection as usual
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return Source.from_bytes(buffer.getvalue(), name=spec.describe(), kind="team")


def team_problem() -> str | None:
    """A message for the page when a team source is configured but cannot be read."""
    return TEAM_UNAVAILABLE if team_configured() and team_source() is None else None
