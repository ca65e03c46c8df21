"""A real PostgreSQL server for the source tests, started once per test session.

The cluster lives in a fresh temporary folder and listens on a free 127.0.0.1 port
(and a Unix socket in the same folder), so it never touches a server the machine
already runs. PostgreSQL refuses to run as root: as root the server runs as
``nobody`` (through ``runuser``), which owns the folder. Debian's binaries live in
``/usr/lib/postgresql/<version>/bin``; ``.ci/run`` installs them. Tests that need
the server skip, saying why, where the binaries are missing.

Two roles: ``rfm_owner`` (superuser, loads the data) and ``analyst`` (may only
SELECT), whose URL the tests use -- the library must work with a read-only role.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.engines.vectors import VECTORS

OWNER_PASSWORD = "owner-pw-5e1f"
ANALYST_PASSWORD = "analyst-pw-93c7"
_PG_TYPES = {
    pl.String: "text",
    pl.Float64: "double precision",
    pl.Boolean: "boolean",
    pl.Date: "date",
    pl.Datetime("us"): "timestamp",
}


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    database: str

    def url(self, user: str = "analyst", password: str = ANALYST_PASSWORD) -> str:
        return f"postgresql://{user}:{password}@{self.host}:{self.port}/{self.database}"


def _binaries() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def table_name(vector_name: str) -> str:
    return "tx_" + vector_name.replace("-", "_")


def load_frame(con: Any, name: str, frame: pl.DataFrame) -> None:
    """Create table ``name`` with the frame's columns and copy its rows in."""
    columns = ", ".join(f'"{c}" {_PG_TYPES[frame.schema[c]]}' for c in frame.columns)
    with con.cursor() as cursor:
        cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
        cursor.execute(f'CREATE TABLE "{name}" ({columns})')
        quoted = ", ".join(f'"{c}"' for c in frame.columns)
        with cursor.copy(f'COPY "{name}" ({quoted}) FROM STDIN') as copy:
            for row in frame.iter_rows():
                copy.write_row(row)
        cursor.execute(f'GRANT SELECT ON "{name}" TO analyst')


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    psycopg = pytest.importorskip(
        "psycopg", reason="psycopg is not installed: pip install 'rfm-studio[postgres]'"
    )
    bin_dir = _binaries()
    if bin_dir is None:
        pytest.skip(
            "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb): "
            "apt-get install postgresql"
        )
    as_root = os.geteuid() == 0
    if as_root and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL unprivileged")
    run_as = ["runuser", "-u", "nobody", "--"] if as_root else []
    # Not under pytest's tmp_path: its parent is private to root, and nobody must
    # reach the folder.
    folder = Path(tempfile.mkdtemp(prefix="rfm-pg-"))
    data = folder / "data"
    password_file = folder / "owner-password"
    password_file.write_text(OWNER_PASSWORD + "\n")
    if as_root:
        shutil.chown(folder, "nobody")
        shutil.chown(password_file, "nobody")
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C", "TZ": "UTC"}
    started = False
    try:
        subprocess.run(
            [
                *run_as,
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "rfm_owner",
                "--auth=scram-sha-256",
                f"--pwfile={password_file}",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            env=env,
            timeout=120,
        )
        options = f"-k {folder} -h 127.0.0.1 -p {port} -F -c timezone=UTC"
        subprocess.run(
            [
                *run_as,
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(folder / "server.log"),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "start",
            ],
            check=True,
            capture_output=True,
            env=env,
            timeout=90,
        )
        started = True
        server = Postgres(host="127.0.0.1", port=port, database="postgres")
        with psycopg.connect(server.url("rfm_owner", OWNER_PASSWORD), autocommit=True) as con:
            con.execute(f"CREATE ROLE analyst LOGIN PASSWORD '{ANALYST_PASSWORD}'")
            # Not UTC, so that a timestamptz read in the session's zone would shift days.
            con.execute("ALTER ROLE analyst SET timezone TO 'America/New_York'")
            for vector in VECTORS:
                load_frame(con, table_name(vector.name), vector.frame)
        yield server
    finally:
        if started:
            subprocess.run(
                [*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True,
                env=env,
                timeout=60,
                check=False,
            )
        shutil.rmtree(folder, ignore_errors=True)
