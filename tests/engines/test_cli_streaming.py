"""``python -m rfm --streaming`` gives the same customer table as the in-memory path."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from rfm.cli import main
from tests.engines.vectors import VECTORS


def test_streaming_matches_in_memory(tmp_path: Path) -> None:
    source = tmp_path / "tx.parquet"
    VECTORS[-1].frame.write_parquet(source)
    streamed, in_memory = tmp_path / "streamed.parquet", tmp_path / "memory.parquet"
    assert main([str(source), "--streaming", "-o", str(streamed), "--quiet"]) == 0
    assert main([str(source), "-o", str(in_memory), "--quiet"]) == 0
    assert_frame_equal(
        pl.read_parquet(streamed), pl.read_parquet(in_memory), check_exact=False, rel_tol=1e-9
    )


def test_streaming_csv_needs_date_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "tx.csv"
    source.write_text("Kunde,order_date,amount\nA,03/01/2024,5.0\nA,09/01/2024,7.0\n")
    assert main([str(source), "--streaming", "--map", "customer_id=Kunde"]) == 1
    assert "--date-format" in capsys.readouterr().err
    out = tmp_path / "c.csv"
    args = [str(source), "--streaming", "--map", "customer_id=Kunde", "--date-format", "%d/%m/%Y"]
    assert main([*args, "--as-of", "2024-01-10", "-o", str(out)]) == 0
    row = pl.read_csv(out).row(0, named=True)
    assert (row["customer_id"], row["recency_days"], row["tenure_days"]) == ("A", 1, 7)


def test_streaming_rejects_other_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "tx.xlsx"
    source.write_bytes(b"PK")
    assert main([str(source), "--streaming"]) == 1
    assert "Streaming reads .parquet, .csv, .tsv or .txt files. Got 'tx.xlsx'" in (
        capsys.readouterr().err
    )


def _uci_shaped(path: Path) -> None:
    """Canonical typed lines with what the printout must account for: a cancellation
    invoice, customers with only returns, one buying only after the as-of date, lines
    without a customer id."""
    import datetime as dt

    rows = [
        # order_id, customer_id, day, quantity, amount
        ("536365", "12346", dt.datetime(2010, 12, 1, 8, 26), 6, 15.30),
        ("536365", "12346", dt.datetime(2010, 12, 1, 8, 26), 2, 6.78),
        ("536370", "12346", dt.datetime(2010, 12, 15, 9, 10), 10, 12.50),
        ("536371", None, dt.datetime(2010, 12, 16, 11, 0), 4, 11.80),
        ("C536380", "12346", dt.datetime(2010, 12, 20, 14, 5), -2, -6.78),
        ("C536390", "12348", dt.datetime(2010, 12, 18, 10, 30), -1, -27.50),
        ("C536395", "12349", dt.datetime(2010, 12, 21, 12, 0), -3, -6.30),
        ("C536395", "12349", dt.datetime(2010, 12, 21, 12, 0), -1, -4.00),
        ("536400", "12347", dt.datetime(2011, 1, 5, 13, 45), 12, 10.20),
        ("536400", "12347", dt.datetime(2011, 1, 5, 13, 45), 4, 19.80),
        ("C536411", None, dt.datetime(2011, 1, 17, 16, 20), -1, -2.95),
        ("536420", "12351", dt.datetime(2011, 1, 20, 10, 0), 2, 17.00),
        ("C536700", "12351", dt.datetime(2011, 2, 10, 15, 30), -1, -8.50),
        ("536500", "12348", dt.datetime(2011, 2, 14, 9, 0), 3, 15.00),
        ("536600", "12350", dt.datetime(2011, 3, 13, 11, 11), 5, 10.00),
    ]
    pl.DataFrame(
        rows,
        schema={
            "order_id": pl.String,
            "customer_id": pl.String,
            "order_date": pl.Datetime("us"),
            "quantity": pl.Int64,
            "amount": pl.Float64,
        },
        orient="row",
    ).write_parquet(path)


def _accounts(printout: str) -> str:
    """The customer accounts and headline figures (from "Customers seen" to the segments)."""
    start = printout.index("Customers seen")
    return printout[start : printout.index("\n\n", printout.index("Orders per customer"))]


@pytest.mark.parametrize("as_of", [None, "2011-01-31"])
def test_streaming_prints_the_same_accounts_and_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], as_of: str | None
) -> None:
    source = tmp_path / "online_retail.parquet"
    _uci_shaped(source)
    extra = [] if as_of is None else ["--as-of", as_of]
    assert main([str(source), *extra]) == 0
    in_memory = capsys.readouterr().out
    assert main([str(source), "--streaming", *extra]) == 0
    streamed = capsys.readouterr().out
    assert _accounts(streamed) == _accounts(in_memory)
    # The two lines without a customer id are said to be left out.
    assert "2 rows without a customer id or date are not counted" in streamed
    if as_of is not None:
        # By hand at 2011-01-31: 12346, 12347, 12351 scored; 12348 and 12349 only
        # returned (-27.50 - 10.30); 12350 bought only in March; 4 purchase orders;
        # revenue 22.08 + 12.50 - 6.78 - 27.50 - 10.30 + 30.00 + 17.00.
        assert "Customers seen       6" in streamed
        assert "only returns       2 (net -37.80)" in streamed
        assert "only after as-of   1" in streamed
        assert "Orders               4" in streamed
        assert "Revenue              37.00" in streamed


def test_streaming_a_semicolon_export_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A German shop's export: one column for polars' comma reader, so the mapped names
    # are missing. A clear error and exit status 1, not a polars query plan.
    source = tmp_path / "shop_de.csv"
    source.write_text(
        "Bestellnummer;Kundennummer;Bestelldatum;Betrag\n1;010001;30.07.2023;1.032,00 €\n",
        encoding="utf-8",
    )
    args = ["--map", "customer_id=Kundennummer", "--map", "order_date=Bestelldatum"]
    assert main([str(source), "--streaming", *args, "--date-format", "%d.%m.%Y"]) == 1
    err = capsys.readouterr().err
    assert "--streaming could not read shop_de.csv" in err and "Kundennummer" in err
    assert "Drop --streaming" in err and "Traceback" not in err
    # The in-memory path reads it.
    assert main([str(source), "--map", "customer_id=Kundennummer", "--quiet"]) == 0
