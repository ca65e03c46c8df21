"""Uploaded datasets kept on the server, so a link survives a reload and can be shared.

Plain Python (no Streamlit): :mod:`rfm_app.session` connects it to the URL and the page.

Layout under the store's folder::

    catalogue.sqlite3               one row per dataset: token, name, digest, size, times,
                                    settings (with the attached tables)
    data/<token>.bin                the uploaded bytes, exactly as received
    data/<token>.<sha256>.bin       the bytes of an attached second table (customers, returns)
    data/<token>.parsed.parquet     the cleaned (and joined) transactions, with the quality
                                    report, the join reports and the Data page's profile of
                                    the file as JSON in its metadata

The original bytes are kept beside the parsed table, so every reading setting (sheet,
columns, date format, attached tables) stays changeable after a reopen. A reopen with the
settings the parsed table was made with reads the Parquet and skips parsing; any other
setting parses the bytes again.

A dataset is named by a random token (:func:`secrets.token_urlsafe`), never by the hash
of its content: anyone holding the file could compute the hash, nobody can guess the
token. Whoever has the token can open the dataset until it expires.

Bounds: a total size, a number of datasets and a time to live from the upload. When a
new upload needs room, expired datasets go first, then the least recently used.

Concurrency: many sessions (threads) and server processes share the folder. The bytes
are written to a temporary name and renamed into place (:func:`os.replace`), so a reader
never sees a half-written file; the catalogue row is inserted only after the rename, in
a SQLite transaction (WAL journal), so a token is never visible before its bytes are.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import secrets
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Final, Literal

import polars as pl

import rfm
from rfm_app import format as fmt

logger = logging.getLogger(__name__)

DEFAULT_DIRECTORY: Final = Path(tempfile.gettempdir()) / "rfm-studio-store"
DEFAULT_MAX_BYTES: Final = 500_000_000
"""500 MB for all stored datasets together."""
DEFAULT_MAX_DATASETS: Final = 50
DEFAULT_TTL_DAYS: Final = 7.0
"""A dataset is deleted this many days after its upload."""

ENVIRONMENT: Final = {
    "dir": "RFM_STORE_DIR",
    "max_bytes": "RFM_STORE_MAX_BYTES",
    "max_datasets": "RFM_STORE_MAX_DATASETS",
    "ttl_days": "RFM_STORE_TTL_DAYS",
}
"""Setting name (as in the ``[rfm_store]`` secrets section) -> environment variable."""

TOKEN_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{16,64}")
"""What :func:`secrets.token_urlsafe` produces; anything else is not looked up."""
_TOKEN_BYTES: Final = 18  # 144 random bits, 24 characters in a URL
_ORPHAN_AGE: Final = 3600.0  # seconds before a file without a catalogue row is swept
_SCHEMA_VERSION: Final = 2
_PARSED_FORMAT: Final = 1  # bump when what a stored parsed table holds changes
_PARSED_KEY: Final = "rfm_studio.parse_key"
_PARSED_NOTES: Final = "rfm_studio.reports"
_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS datasets (
    token       TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    digest      TEXT NOT NULL,   -- SHA-256 of the bytes, checked on every open
    size        INTEGER NOT NULL,
    created     REAL NOT NULL,   -- seconds since the epoch (UTC)
    last_used   REAL NOT NULL,
    columns     TEXT,            -- JSON [[canonical, file column], ...]; NULL = as detected
    sheet       TEXT,
    date_format TEXT,
    as_of       TEXT,            -- ISO date
    currency    TEXT             -- NULL = not chosen; '' = no symbol
)
"""
_MIGRATIONS: Final = {
    # version 2: attached tables and the stored parsed transactions
    2: (
        ("attachments", "TEXT"),  # JSON [{table, name, ...}]
        ("parsed", "TEXT"),  # parse_key of <token>.parsed.parquet
    ),
}
"""Columns each schema version adds to ``datasets`` (added unless already there)."""


class StoreError(ValueError):
    """The store cannot keep or configure a dataset; the message says why."""


@dataclass(frozen=True)
class StoreLimits:
    """Where the store lives and how much it keeps.

    Parameters
    ----------
    directory : Path
        Folder of the catalogue and the data files (created if missing).
    max_bytes : int
        Total size of all stored datasets; a single larger upload is not kept.
    max_datasets : int
        Number of datasets kept; ``0`` turns the store off.
    ttl_days : float
        Days from its upload until a dataset is deleted.

    Examples
    --------
    >>> limits = StoreLimits.from_settings({"max_datasets": 10}, environ={})
    >>> limits.max_datasets, limits.max_bytes == DEFAULT_MAX_BYTES
    (10, True)
    >>> StoreLimits.from_settings({}, environ={"RFM_STORE_TTL_DAYS": "1.5"}).ttl_days
    1.5
    """

    directory: Path = DEFAULT_DIRECTORY
    max_bytes: int = DEFAULT_MAX_BYTES
    max_datasets: int = DEFAULT_MAX_DATASETS
    ttl_days: float = DEFAULT_TTL_DAYS

    @property
    def enabled(self) -> bool:
        """False when the owner turned the store off (``max_datasets = 0``)."""
        return self.max_datasets > 0 and self.max_bytes > 0

    @classmethod
    def from_settings(
        cls, settings: Mapping[str, object], *, environ: Mapping[str, str] | None = None
    ) -> StoreLimits:
        """Read the ``[rfm_store]`` secrets section; environment variables win over it.

        Raises :class:`StoreError` naming the setting when a value is not usable.
        """
        env = os.environ if environ is None else environ
        unknown = sorted(set(settings) - set(ENVIRONMENT))
        if unknown:
            msg = (
                f"Unknown [rfm_store] setting(s) {unknown}; the store reads "
                f"{sorted(ENVIRONMENT)}. Check the spelling in .streamlit/secrets.toml."
            )
            raise StoreError(msg)
        values: dict[str, object] = {}
        for name, variable in ENVIRONMENT.items():
            if variable in env and env[variable] != "":
                values[name] = env[variable]
            elif name in settings:
                values[name] = settings[name]
        directory = Path(str(values.get("dir", DEFAULT_DIRECTORY))).expanduser()
        return cls(
            directory=directory,
            max_bytes=int(_number(values, "max_bytes", default=DEFAULT_MAX_BYTES, whole=True)),
            max_datasets=int(
                _number(values, "max_datasets", default=DEFAULT_MAX_DATASETS, whole=True)
            ),
            ttl_days=_number(values, "ttl_days", default=DEFAULT_TTL_DAYS, whole=False),
        )


def _number(values: Mapping[str, object], name: str, *, default: float, whole: bool) -> float:
    raw = values.get(name, default)
    number: float | None = None
    if isinstance(raw, int | float | str) and not isinstance(raw, bool):
        try:
            number = float(str(raw).replace("_", "")) if isinstance(raw, str) else float(raw)
        except ValueError:
            number = None
    if number is None or number != number or number < 0 or (whole and not number.is_integer()):
        kind = "a whole number" if whole else "a number"
        msg = (
            f"The store setting {name} must be {kind} >= 0 "
            f"({ENVIRONMENT[name]} or [rfm_store] {name}). Got {raw!r}."
        )
        raise StoreError(msg)
    return number


@dataclass(frozen=True)
class AttachedTable:
    """A second table joined to the transactions (:func:`rfm.attach_customers` by
    customer id, :func:`rfm.attach_returns` by order id).

    Parameters
    ----------
    table : {"customers", "returns"}
        What it holds.
    name : str
        What to call it on the page: the file's name, or the sheet's.
    digest : str
        SHA-256 of the file it is read from; the dataset's own digest for another sheet
        of the same workbook (no second copy is kept then).
    sheet : str or None
        The workbook sheet to read; None reads the first.
    """

    table: Literal["customers", "returns"]
    name: str
    digest: str
    sheet: str | None = None


@dataclass(frozen=True)
class ReadingSettings:
    """How a stored dataset is read and shown; all ``None`` means "as detected"."""

    columns: tuple[tuple[str, str], ...] | None = None
    date_format: str | None = None
    as_of: date | None = None
    sheet: str | None = None
    currency: str | None = None
    attachments: tuple[AttachedTable, ...] = ()


def parse_key(
    digest: str,
    *,
    columns: tuple[tuple[str, str], ...] | None,
    date_format: str | None,
    sheet: str | None,
    attachments: tuple[AttachedTable, ...],
) -> str:
    """What a parsed table was made from: the file and every setting that changes the
    cleaned transactions (the as-of date and the currency apply after, so they are not
    part of it), and the reader's version.

    Examples
    --------
    >>> a = parse_key("ab12", columns=None, date_format=None, sheet=None, attachments=())
    >>> b = parse_key("ab12", columns=None, date_format="%d/%m/%Y", sheet=None, attachments=())
    >>> a == b
    False
    """
    return json.dumps(
        {
            "format": _PARSED_FORMAT,
            "rfm": rfm.__version__,
            "digest": digest,
            "columns": None if columns is None else [list(pair) for pair in columns],
            "date_format": date_format,
            "sheet": sheet,
            "attachments": _attachments_json(attachments),
        },
        sort_keys=True,
    )


def _attachments_json(attachments: tuple[AttachedTable, ...]) -> list[dict[str, str | None]]:
    return [
        {"table": a.table, "name": a.name, "digest": a.digest, "sheet": a.sheet}
        for a in attachments
    ]


def _attachments_from_json(text: object) -> tuple[AttachedTable, ...]:
    if text is None:
        return ()
    found = []
    for item in json.loads(str(text)):
        table: Literal["customers", "returns"] = (
            "returns" if item["table"] == "returns" else "customers"
        )
        sheet = item.get("sheet")
        found.append(
            AttachedTable(
                table=table,
                name=str(item["name"]),
                digest=str(item["digest"]),
                sheet=None if sheet is None else str(sheet),
            )
        )
    return tuple(found)


@dataclass(frozen=True)
class StoredDataset:
    """One dataset in the store: its catalogue entry, and its bytes when opened."""

    token: str
    name: str
    digest: str
    size: int
    created: datetime
    last_used: datetime
    expires: datetime
    settings: ReadingSettings
    data: bytes = field(default=b"", repr=False)
    parsed: str | None = None
    """The :func:`parse_key` of the stored parsed transactions, or None when none is kept."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DatasetStore:
    """Uploaded datasets on disk, named by random tokens, bounded and safe to share.

    Parameters
    ----------
    limits : StoreLimits
        Folder and bounds.
    clock : callable, optional
        Returns the current UTC time (tests move it forward to check expiry).

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> store = DatasetStore(StoreLimits(directory=Path(folder)))
    >>> kept = store.save(b"customer_id,order_date,amount\\n", name="orders.csv")
    >>> store.open(kept.token).data
    b'customer_id,order_date,amount\\n'
    >>> store.forget(kept.token), store.open(kept.token)
    (True, None)
    """

    def __init__(self, limits: StoreLimits, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self.limits = limits
        self._clock = clock
        self._data_dir = limits.directory / "data"
        self._data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._catalogue = limits.directory / "catalogue.sqlite3"
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            if db.execute("PRAGMA user_version").fetchone()[0] != _SCHEMA_VERSION:
                with _transaction(db):
                    # Read again inside the transaction: another process may have just
                    # upgraded the catalogue, and ALTER TABLE must run once.
                    version = int(db.execute("PRAGMA user_version").fetchone()[0])
                    db.execute(_SCHEMA)
                    present = {row[1] for row in db.execute("PRAGMA table_info(datasets)")}
                    for step in range(max(version, 1) + 1, _SCHEMA_VERSION + 1):
                        for column, kind in _MIGRATIONS[step]:
                            # A catalogue may carry a column without its version mark
                            # (written by a build between the two): ALTER TABLE would
                            # refuse it, and the store would be off for good.
                            if column not in present:
                                db.execute(f"ALTER TABLE datasets ADD COLUMN {column} {kind}")
                    db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    # -- what a session does -------------------------------------------------------------

    def save(
        self, data: bytes, *, name: str, settings: ReadingSettings | None = None
    ) -> StoredDataset:
        """Keep ``data`` under a new random token, making room if needed.

        Raises :class:`StoreError` when the store is off or ``data`` alone is larger
        than the store's total size.
        """
        if not self.limits.enabled:
            msg = "The dataset store is turned off on this server (max_datasets = 0)."
            raise StoreError(msg)
        if len(data) > self.limits.max_bytes:
            msg = (
                f"The file ({fmt.size(len(data))}) is larger than this server keeps for "
                f"sharing ({fmt.size(self.limits.max_bytes)} in all)."
            )
            raise StoreError(msg)
        token = secrets.token_urlsafe(_TOKEN_BYTES)
        settings = settings or ReadingSettings()
        path = self._path(token)
        _write_atomically(path, data)  # complete on disk before any row names it
        now = self._clock().timestamp()
        try:
            with self._connect() as db, _transaction(db):
                victims = self._make_room(db, now, incoming=len(data))
                db.execute(
                    "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                    (
                        token,
                        name,
                        hashlib.sha256(data).hexdigest(),
                        len(data),
                        now,
                        now,
                        *_settings_row(settings),
                    ),
                )
                # Read back in the same transaction: once it commits, another process
                # making room may evict this entry before we could describe it.
                row = db.execute("SELECT * FROM datasets WHERE token = ?", (token,)).fetchone()
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        self._delete_files(victims)
        return self._entry(row)

    def open(self, token: str, *, touch: bool = True) -> StoredDataset | None:
        """The dataset named ``token`` with its bytes, or ``None`` when there is none
        (never stored, forgotten, expired or evicted). ``touch`` marks it as used now."""
        entry = self.describe(token)
        if entry is None:
            return None
        try:
            data = self._path(token).read_bytes()
        except FileNotFoundError:  # forgotten or evicted by another session meanwhile
            return None
        if hashlib.sha256(data).hexdigest() != entry.digest:
            logger.error("Stored dataset %s does not match its digest; dropping it", token[:6])
            self.forget(token)
            return None
        if touch:
            with self._connect() as db, _transaction(db):
                db.execute(
                    "UPDATE datasets SET last_used = ? WHERE token = ?",
                    (self._clock().timestamp(), token),
                )
        return replace(entry, data=data)

    def describe(self, token: str) -> StoredDataset | None:
        """The catalogue entry of ``token`` (without bytes), or ``None``; an expired
        entry is deleted on sight."""
        if not TOKEN_PATTERN.fullmatch(token):
            return None
        with self._connect() as db:
            row = db.execute("SELECT * FROM datasets WHERE token = ?", (token,)).fetchone()
        if row is None:
            return None
        entry = self._entry(row)
        if entry.expires <= self._clock():
            self.forget(token)
            return None
        return entry

    def update_settings(self, token: str, settings: ReadingSettings) -> bool:
        """Replace the reading settings of ``token``; False when it is gone.

        The bytes of an attached table the settings no longer name are deleted.
        """
        if not TOKEN_PATTERN.fullmatch(token):
            return False
        with self._connect() as db, _transaction(db):
            cursor = db.execute(
                "UPDATE datasets SET columns = ?, sheet = ?, date_format = ?, as_of = ?, "
                "currency = ?, attachments = ? WHERE token = ?",
                (*_settings_row(settings), token),
            )
            if cursor.rowcount == 1:
                named = {a.digest for a in settings.attachments}
                for path in self._attachment_files(token):
                    if path.name.split(".")[1] not in named:
                        path.unlink(missing_ok=True)
                self._recount(db, token)
        return cursor.rowcount == 1

    # -- attached tables and the parsed transactions -------------------------------------

    def keep_attachment(self, token: str, data: bytes) -> bool:
        """Keep the bytes of a second table for ``token`` (named by their SHA-256, so the
        settings' :class:`AttachedTable` finds them); False when ``token`` is gone.

        Raises :class:`StoreError` when the dataset with it would exceed the store's size.
        """
        entry = self.describe(token)
        if entry is None:
            return False
        if entry.size + len(data) > self.limits.max_bytes:
            msg = (
                f"The attached file ({fmt.size(len(data))}) and the dataset together are "
                f"larger than this server keeps for sharing ({fmt.size(self.limits.max_bytes)} "
                "in all)."
            )
            raise StoreError(msg)
        path = self._attachment_path(token, hashlib.sha256(data).hexdigest())
        if not path.exists():
            _write_atomically(path, data)
        return self._account(token, incoming=len(data), written=path)

    def attachment(self, token: str, digest: str) -> bytes | None:
        """The bytes of ``token``'s attached table whose SHA-256 is ``digest``, or None."""
        if not TOKEN_PATTERN.fullmatch(token) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            return None
        try:
            data = self._attachment_path(token, digest).read_bytes()
        except FileNotFoundError:
            return None
        return data if hashlib.sha256(data).hexdigest() == digest else None

    def keep_parsed(self, token: str, transactions: pl.DataFrame, *, key: str, notes: str) -> bool:
        """Keep ``token``'s cleaned transactions as Parquet, so a reopen skips parsing.

        ``key`` (:func:`parse_key`) says what they were read with and ``notes`` (JSON
        text: the quality report and join reports) goes into the file's metadata, so the
        table and what is said about it are one file, replaced in one rename. Returns
        False when ``token`` is gone or the table does not fit in the store (it is only
        a shortcut: the bytes are kept either way).
        """
        entry = self.describe(token)
        if entry is None:
            return False
        buffer = io.BytesIO()
        transactions.write_parquet(buffer, metadata={_PARSED_KEY: key, _PARSED_NOTES: notes})
        table = buffer.getvalue()
        path = self._parsed_path(token)
        now_there = path.stat().st_size if path.exists() else 0
        if entry.size - now_there + len(table) > self.limits.max_bytes:
            return False
        _write_atomically(path, table)
        return self._account(token, incoming=len(table) - now_there, written=path, parsed=key)

    def open_parsed(self, token: str, key: str) -> tuple[pl.DataFrame, str] | None:
        """``token``'s stored transactions and their notes when they were read with
        ``key``; None otherwise (none kept, other settings, or being replaced)."""
        entry = self.describe(token)
        if entry is None or entry.parsed != key:
            return None
        try:
            table = self._parsed_path(token).read_bytes()
        except FileNotFoundError:
            return None
        # The file's own key decides: the catalogue and the file are not replaced at once.
        metadata = pl.read_parquet_metadata(io.BytesIO(table))
        if metadata.get(_PARSED_KEY) != key:
            return None
        return pl.read_parquet(io.BytesIO(table)), metadata.get(_PARSED_NOTES, "{}")

    def parsed_notes(self, token: str) -> tuple[str, str] | None:
        """``(parse key, notes)`` of ``token``'s stored parsed transactions, read from the
        Parquet footer only (not the table); None when none is kept."""
        if self.describe(token) is None:
            return None
        try:
            metadata = pl.read_parquet_metadata(self._parsed_path(token))
        except FileNotFoundError:
            return None
        key = metadata.get(_PARSED_KEY)
        return None if key is None else (key, metadata.get(_PARSED_NOTES, "{}"))

    def _account(
        self, token: str, *, incoming: int, written: Path, parsed: str | None = None
    ) -> bool:
        """Make room for ``incoming`` more bytes of ``token`` and count its files again;
        a file written for a dataset forgotten meanwhile is deleted."""
        with self._connect() as db, _transaction(db):
            victims = self._make_room(
                db, self._clock().timestamp(), incoming=max(incoming, 0), keep=token
            )
            exists = db.execute("SELECT 1 FROM datasets WHERE token = ?", (token,)).fetchone()
            if exists and parsed is not None:
                db.execute("UPDATE datasets SET parsed = ? WHERE token = ?", (parsed, token))
            if exists:
                self._recount(db, token)
        self._delete_files(victims)
        if not exists:
            written.unlink(missing_ok=True)
        return bool(exists)

    def _recount(self, db: sqlite3.Connection, token: str) -> None:
        size = 0
        for path in self._data_dir.glob(f"{token}.*"):
            if path.suffix != ".tmp":
                with contextlib.suppress(FileNotFoundError):
                    size += path.stat().st_size
        db.execute("UPDATE datasets SET size = ? WHERE token = ?", (size, token))

    def _attachment_files(self, token: str) -> list[Path]:
        return [
            path
            for path in self._data_dir.glob(f"{token}.*.bin")
            if re.fullmatch(r"[0-9a-f]{64}", path.name.split(".")[1])
        ]

    def forget(self, token: str) -> bool:
        """Delete ``token`` and its bytes at once; False when it did not exist."""
        if not TOKEN_PATTERN.fullmatch(token):
            return False
        with self._connect() as db, _transaction(db):
            cursor = db.execute("DELETE FROM datasets WHERE token = ?", (token,))
        self._delete_files([token])
        return cursor.rowcount == 1

    # -- housekeeping --------------------------------------------------------------------

    def usage(self) -> tuple[int, int]:
        """``(datasets, bytes)`` currently kept."""
        with self._connect() as db:
            count, total = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM datasets"
            ).fetchone()
        return int(count), int(total)

    def tokens(self) -> list[str]:
        """Every token kept, least recently used first."""
        with self._connect() as db:
            rows = db.execute("SELECT token FROM datasets ORDER BY last_used, created").fetchall()
        return [str(row[0]) for row in rows]

    def prune(self) -> int:
        """Delete expired datasets and leftover files of interrupted saves; returns how
        many datasets went."""
        with self._connect() as db, _transaction(db):
            victims = self._make_room(db, self._clock().timestamp(), incoming=None)
        self._delete_files(victims)
        self._sweep_orphans()
        return len(victims)

    def _make_room(
        self, db: sqlite3.Connection, now: float, *, incoming: int | None, keep: str | None = None
    ) -> list[str]:
        """Delete the rows of expired datasets, then (for an ``incoming`` upload of that
        many bytes) the least recently used until it fits; returns their tokens.

        ``keep`` names a dataset growing by ``incoming`` (an attached table, its parsed
        transactions): it is not evicted, and it adds no dataset to the count."""
        ttl = self.limits.ttl_days * 86400.0
        expired = [
            str(row[0])
            for row in db.execute("SELECT token FROM datasets WHERE created + ? <= ?", (ttl, now))
        ]
        victims = list(expired)
        if incoming is not None:
            count, total = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM datasets WHERE created + ? > ?",
                (ttl, now),
            ).fetchone()
            rows = db.execute(
                "SELECT token, size FROM datasets WHERE created + ? > ? "
                "ORDER BY last_used, created",
                (ttl, now),
            ).fetchall()
            adds = 0 if keep is not None else 1
            for token, size in rows:
                if (
                    count + adds <= self.limits.max_datasets
                    and total + incoming <= self.limits.max_bytes
                ):
                    break
                if token == keep:
                    continue
                victims.append(str(token))
                count -= 1
                total -= size
        db.executemany("DELETE FROM datasets WHERE token = ?", [(token,) for token in victims])
        if victims:
            logger.info("Dataset store: %d dataset(s) expired or evicted", len(victims))
        return victims

    def _sweep_orphans(self) -> None:
        known = set(self.tokens())
        cutoff = time.time() - _ORPHAN_AGE
        for path in self._data_dir.iterdir():
            token = path.name.split(".")[0]
            with contextlib.suppress(FileNotFoundError):
                if token not in known and path.stat().st_mtime < cutoff:
                    path.unlink()

    def _delete_files(self, tokens: list[str]) -> None:
        for token in tokens:
            # The bytes, the attached tables and the parsed table (tokens hold no glob
            # characters, and no token is another's prefix followed by a dot).
            for path in self._data_dir.glob(f"{token}.*"):
                path.unlink(missing_ok=True)

    def _path(self, token: str) -> Path:
        return self._data_dir / f"{token}.bin"

    def _attachment_path(self, token: str, digest: str) -> Path:
        return self._data_dir / f"{token}.{digest}.bin"

    def _parsed_path(self, token: str) -> Path:
        return self._data_dir / f"{token}.parsed.parquet"

    def _connect(self) -> contextlib.closing[sqlite3.Connection]:
        # One short-lived connection per operation: safe across threads and processes.
        db = sqlite3.connect(self._catalogue, timeout=30.0, isolation_level=None)
        return contextlib.closing(db)

    def _entry(self, row: tuple[object, ...]) -> StoredDataset:
        (
            token,
            name,
            digest,
            size,
            created,
            last_used,
            columns,
            sheet,
            date_format,
            as_of,
            cur,
            attachments,
            parsed,
        ) = row
        created_at = datetime.fromtimestamp(float(created), UTC)  # type: ignore[arg-type]
        return StoredDataset(
            token=str(token),
            name=str(name),
            digest=str(digest),
            size=int(size),  # type: ignore[call-overload]
            created=created_at,
            last_used=datetime.fromtimestamp(float(last_used), UTC),  # type: ignore[arg-type]
            expires=created_at + timedelta(days=self.limits.ttl_days),
            settings=ReadingSettings(
                columns=None
                if columns is None
                else tuple((str(a), str(b)) for a, b in json.loads(str(columns))),
                date_format=None if date_format is None else str(date_format),
                as_of=None if as_of is None else date.fromisoformat(str(as_of)),
                sheet=None if sheet is None else str(sheet),
                currency=None if cur is None else str(cur),
                attachments=_attachments_from_json(attachments),
            ),
            parsed=None if parsed is None else str(parsed),
        )


def _settings_row(settings: ReadingSettings) -> tuple[str | None, ...]:
    return (
        None if settings.columns is None else json.dumps([list(pair) for pair in settings.columns]),
        settings.sheet,
        settings.date_format,
        None if settings.as_of is None else settings.as_of.isoformat(),
        settings.currency,
        json.dumps(_attachments_json(settings.attachments)) if settings.attachments else None,
    )


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``: one writer at a time, readers never blocked."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that the name only ever shows the complete bytes."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f"{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
