"""PostgreSQL: the summary computed on the server equals the polars one.

The server is real (see conftest.py); the test vectors are the engine tests' own.
"""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import rfm
from tests.engines.vectors import VECTORS, Vector
from tests.sources.conftest import ANALYST_PASSWORD, OWNER_PASSWORD, Postgres, table_name

FLOATS = ("monetary", "avg_order_value", "avg_repeat_value", "quantity")


def _spec(server: Postgres, query: str, **options: object) -> rfm.SourceSpec:
    return rfm.SourceSpec.from_mapping(
        {"kind": "postgresql", "url": server.url(), "query": query, **options}
    )


def _assert_same(got: pl.DataFrame, want: pl.DataFrame) -> None:
    got, want = got.sort("customer_id"), want.sort("customer_id")
    assert got.schema == want.schema
    exact = [c for c in want.columns if c not in FLOATS]
    assert_frame_equal(got.select(exact), want.select(exact), check_exact=True)
    floats = [c for c in want.columns if c in FLOATS]
    assert_frame_equal(
        got.select(floats), want.select(floats), check_exact=False, rel_tol=1e-9, abs_tol=1e-9
    )


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_summary_on_postgresql_equals_polars(postgres: Postgres, vector: Vector) -> None:
    spec = _spec(postgres, f"select * from {table_name(vector.name)}")
    got = rfm.summarize_source(spec, as_of=vector.as_of)
    _assert_same(got, rfm.summarize(vector.frame, as_of=vector.as_of))


def test_read_source_runs_the_query(postgres: Postgres) -> None:
    vector = VECTORS[0]
    spec = _spec(postgres, f"select * from {table_name(vector.name)} where amount > 0;")
    got = rfm.read_source(spec)
    want = vector.frame.filter(pl.col("amount") > 0)
    assert_frame_equal(got.sort("order_id", "amount"), want.sort("order_id", "amount"))


def test_read_source_stops_at_max_rows(postgres: Postgres) -> None:
    spec = _spec(postgres, f"select * from {table_name('random')}")
    with pytest.raises(rfm.DataError, match=r"more than 100 rows \(Limits.max_rows\)"):
        rfm.read_source(spec, limits=rfm.Limits(max_rows=100))


def test_summary_with_source_column_names(postgres: Postgres) -> None:
    vector = VECTORS[0]
    query = (
        "select customer_id as client, order_id as invoice, order_date as sold_at, "
        f"amount as net, quantity from {table_name(vector.name)}"
    )
    columns = {"customer_id": "client", "order_id": "invoice", "order_date": "sold_at"}
    spec = _spec(postgres, query, columns={**columns, "amount": "net"})
    got = rfm.summarize_source(spec, as_of=vector.as_of)
    _assert_same(got, rfm.summarize(vector.frame, as_of=vector.as_of))
    # The same mapping serves the in-memory route.
    read = rfm.read_transactions(rfm.read_source(spec), columns=spec.column_mapping)
    _assert_same(rfm.summarize(read.transactions, as_of=vector.as_of), got)


def _assert_secret_free(error: BaseException, *secrets: str) -> None:
    # Neither the message nor anything chained to it carries the secrets.
    assert error.__cause__ is None
    assert error.__context__ is None
    for secret in secrets:
        assert secret not in str(error)
        assert secret not in repr(error)


def test_wrong_password_never_leaks(postgres: Postgres) -> None:
    url = postgres.url("analyst", "Wr0ng-Passw0rd")
    spec = rfm.SourceSpec.from_mapping({"kind": "postgresql", "url": url, "query": "select 1"})
    assert "Wr0ng" not in repr(spec)
    with pytest.raises(rfm.DataError, match="refused the user name or password") as caught:
        rfm.read_source(spec)
    _assert_secret_free(caught.value, "Wr0ng-Passw0rd", url)
    with pytest.raises(rfm.DataError, match="refused the user name or password") as caught:
        rfm.summarize_source(spec)
    _assert_secret_free(caught.value, "Wr0ng-Passw0rd", url)


def test_unreachable_server_bad_url_and_missing_database_never_leak(postgres: Postgres) -> None:
    base = f"postgresql://analyst:{ANALYST_PASSWORD}@127.0.0.1"
    cases = {
        f"{base}:1/postgres": "Could not connect",
        f"{base}:{postgres.port}/postgres?bogus_option=1": "not a valid PostgreSQL connection URL",
        f"{base}:{postgres.port}/no_such_db": "database does not exist",
    }
    for url, message in cases.items():
        spec = rfm.SourceSpec.from_mapping({"kind": "postgresql", "url": url, "query": "select 1"})
        with pytest.raises(rfm.DataError, match=message) as caught:
            rfm.read_source(spec)
        _assert_secret_free(caught.value, ANALYST_PASSWORD, url)


def test_query_errors_name_what_to_check_not_the_driver_text(postgres: Postgres) -> None:
    spec = _spec(postgres, "select * from no_such_table")
    with pytest.raises(rfm.DataError, match=r"does not exist.*SQLSTATE 42P01") as caught:
        rfm.read_source(spec)
    assert "no_such_table" not in str(caught.value)  # the driver's own words stay out
    _assert_secret_free(caught.value, ANALYST_PASSWORD)


def test_source_is_read_only_even_for_an_owner(postgres: Postgres) -> None:
    url = postgres.url("rfm_owner", OWNER_PASSWORD)
    query = f"select * from {table_name('retail')} for update"
    spec = rfm.SourceSpec.from_mapping({"kind": "postgresql", "url": url, "query": query})
    with pytest.raises(rfm.DataError, match=r"tried to write.*SQLSTATE 25006") as caught:
        rfm.read_source(spec)
    _assert_secret_free(caught.value, OWNER_PASSWORD, url)


def test_typed_columns_other_than_the_vectors(postgres: Postgres) -> None:
    """timestamptz, numeric amounts and integer quantities summarize like polars."""
    psycopg = pytest.importorskip("psycopg")
    vector = next(v for v in VECTORS if v.name == "random")
    with psycopg.connect(postgres.url("rfm_owner", OWNER_PASSWORD), autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS typed_sales")
        con.execute(
            "CREATE TABLE typed_sales AS SELECT customer_id::varchar(20) AS customer_id, "
            "order_id, (order_date AT TIME ZONE 'UTC')::timestamptz AS order_date, "
            "amount::numeric(12, 2) AS amount, quantity::integer AS quantity "
            f"FROM {table_name(vector.name)}"
        )
        con.execute("GRANT SELECT ON typed_sales TO analyst")
    spec = _spec(postgres, "select * from typed_sales")
    got = rfm.summarize_source(spec, as_of=vector.as_of)
    _assert_same(got, rfm.summarize(vector.frame, as_of=vector.as_of))
