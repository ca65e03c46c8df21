"""A team source configured in secrets ([rfm_source]): the link opens on the team's data."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
from streamlit.testing.v1 import AppTest

from rfm_app import keys, session
from tests.app.analytics_helpers import texts
from tests.app.conftest import ENTRYPOINT, metrics
from tests.app.test_store_app import COUNTRY_CSV  # 3 customers, 5 orders, 70 in all

# The same six lines under other names, typed, for the table sources.
TABLE = pl.DataFrame(
    {
        "client": ["A", "A", "A", "B", "C", "C"],
        "invoice": ["1", "1", "2", "3", "4", "5"],
        "day": pl.Series(
            ["2024-01-05", "2024-01-05", "2024-02-10", "2024-03-01", "2024-03-15", "2024-03-20"]
        ).str.to_date(),
        "value": [10.0, 4.0, 6.0, 30.0, 5.0, 15.0],
    }
)
MAPPING = {"customer_id": "client", "order_id": "invoice", "order_date": "day", "amount": "value"}


def _open(source: dict[str, object], page: str = "pages/data.py") -> AppTest:
    """A new session of a deployment whose secrets name ``source``."""
    at = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    at.secrets["rfm_source"] = source
    if page != "pages/data.py":
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _figures(at: AppTest) -> tuple[str, str, str]:
    shown = metrics(at)
    return shown["Customers"], shown["Orders"], shown["Revenue"]


def test_the_link_opens_on_a_configured_file_and_the_sample_is_one_click_away(
    tmp_path: Path,
) -> None:
    path = tmp_path / "team.csv"
    path.write_bytes(COUNTRY_CSV)
    at = _open({"kind": "file", "path": str(path)})
    assert at.radio(key=keys.DATA_SOURCE_KIND).value == "Team data"
    assert any("3 customers, 5 orders" in s.value for s in at.success)
    assert any("Team data" in md.value for md in at.sidebar.markdown)
    at.switch_page("pages/overview.py").run()
    assert _figures(at) == ("3", "5", "$70.00")

    at.switch_page("pages/data.py").run()
    at.radio(key=keys.DATA_SOURCE_KIND).set_value("Sample data").run()
    assert any("Sample data" in md.value for md in at.sidebar.markdown)
    at.radio(key=keys.DATA_SOURCE_KIND).set_value("Team data").run()
    assert any("3 customers, 5 orders" in s.value for s in at.success)


def test_a_parquet_glob_with_a_column_mapping(tmp_path: Path) -> None:
    TABLE.head(3).write_parquet(tmp_path / "sales-1.parquet")
    TABLE.tail(3).write_parquet(tmp_path / "sales-2.parquet")
    source = {"kind": "file", "path": str(tmp_path / "sales-*.parquet"), "columns": MAPPING}
    at = _open(source, "pages/overview.py")
    assert _figures(at) == ("3", "5", "$70.00")


def test_a_duckdb_query(tmp_path: Path) -> None:
    database = tmp_path / "team.duckdb"
    with duckdb.connect(str(database)) as con:
        con.register("source", TABLE.to_arrow())
        con.execute("CREATE TABLE orders AS SELECT * FROM source")
    query = "SELECT client, invoice, day, value FROM orders WHERE client <> 'B'"
    source = {"kind": "duckdb", "path": str(database), "query": query, "columns": MAPPING}
    at = _open(source, "pages/overview.py")
    assert _figures(at) == ("2", "4", "$40.00")  # the owner's query left B out


def test_an_unreachable_database_shows_a_plain_message_and_no_credentials() -> None:
    url = "postgresql://ana:Sup3rSecret-pw@127.0.0.1:9/teamdb"  # port 9: nobody listens
    at = _open({"kind": "postgresql", "url": url, "query": "select * from sales"})
    assert texts(at.warning)[0] == session.TEAM_UNAVAILABLE
    assert any("3,000 customers" in s.value for s in at.success)  # the sample
    shown = " ".join(
        texts(at.markdown)
        + texts(at.warning)
        + texts(at.error)
        + texts(at.caption)
        + texts(at.sidebar.markdown)
        + texts(at.success)
        + texts(at.info)
    )
    for secret in ("Sup3rSecret", "ana:", "teamdb", "127.0.0.1"):
        assert secret not in shown


def test_a_misconfigured_source_shows_the_same_plain_message() -> None:
    at = _open({"kind": "ftp", "path": "/srv/secret/place"})
    assert texts(at.warning)[0] == session.TEAM_UNAVAILABLE
    assert "/srv/secret" not in " ".join(texts(at.warning) + texts(at.markdown))


def test_a_missing_dataset_link_falls_back_to_the_team_data(tmp_path: Path) -> None:
    path = tmp_path / "team.csv"
    path.write_bytes(COUNTRY_CSV)
    at = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    at.secrets["rfm_source"] = {"kind": "file", "path": str(path)}
    at.query_params[session.DATASET_PARAM] = "NoSuchDatasetTokenHere12"
    at.run()
    assert texts(at.warning)[0].startswith(session.MISSING_LINK)
    assert "Showing the team data instead" in texts(at.warning)[0]
    assert any("3 customers, 5 orders" in s.value for s in at.success)
