"""python -m rfm: writes the segmented table, prints the report, fails clearly on bad input."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import rfm
from rfm.cli import build_parser, main

CSV = """CustomerID,InvoiceNo,InvoiceDate,Quantity,UnitPrice
17850,536365,2010-12-01 08:26,6,2.55
17850,536366,2010-12-05 08:28,6,1.85
13047,536367,2010-12-01 08:34,32,1.69
13047,C536368,2010-12-02 08:34,-2,1.69
12583,536370,2010-12-03 08:45,24,3.75
"""


@pytest.fixture
def orders(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_writes_parquet_equal_to_library(
    orders: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "customers.parquet"
    assert main([str(orders), "-o", str(out), "--as-of", "2010-12-31"]) == 0
    got = pl.read_parquet(out)
    tx = rfm.read_transactions(orders).transactions
    want = rfm.segment(rfm.score(rfm.summarize(tx, as_of="2010-12-31")))
    assert got.equals(want)
    printed = capsys.readouterr().out
    assert "Customers            3" in printed
    assert "Wrote 3 customers" in printed


def test_writes_csv(orders: Path, tmp_path: Path) -> None:
    out = tmp_path / "customers.csv"
    assert main([str(orders), "-o", str(out), "--quiet"]) == 0
    table = pl.read_csv(out, schema_overrides={"customer_id": pl.String})
    assert sorted(table["customer_id"]) == ["12583", "13047", "17850"]
    # monetary of 13047: 32 * 1.69 - 2 * 1.69
    assert table.filter(pl.col("customer_id") == "13047")["monetary"].item() == pytest.approx(
        30 * 1.69
    )


def test_column_mapping_option(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Kunde,Tag,Wert\nx,2024-01-02,5.0\ny,2024-01-03,7.5\n", encoding="utf-8")
    out = tmp_path / "c.parquet"
    args = [
        str(path),
        "-o",
        str(out),
        "--quiet",
        "--map",
        "customer_id=Kunde",
        "--map",
        "order_date=Tag",
        "--map",
        "amount=Wert",
    ]
    assert main(args) == 0
    assert pl.read_parquet(out)["monetary"].to_list() == [5.0, 7.5]


def test_bad_input_exits_1_with_library_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    assert main([str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    with pytest.raises(rfm.DataError) as info:
        rfm.read_transactions(path)
    assert str(info.value) in err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nope.csv")]) == 1
    assert "Input file not found" in capsys.readouterr().err


def test_bad_map_and_output(
    orders: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(orders), "--map", "customer_id"]) == 1
    assert "--map takes CANONICAL=SOURCE" in capsys.readouterr().err
    assert main([str(orders), "--map", "shoe_size=Quantity"]) == 1
    assert "--map names unknown column 'shoe_size'" in capsys.readouterr().err
    assert main([str(orders), "-o", str(tmp_path / "x.json")]) == 1
    assert "Output must be .csv or .parquet" in capsys.readouterr().err


def test_help_lists_every_option() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "rfm", "--help"], capture_output=True, text=True, check=True
    )
    for option in (
        "--output",
        "--format",
        "--as-of",
        "--bins",
        "--map",
        "--date-format",
        "--sheet",
        "--active-days",
        "--inactive-days",
        "--compare-to",
        "--memory-budget",
        "--streaming",
        "--quiet",
    ):
        assert option in proc.stdout


def test_compare_to_adds_previous_segment_and_segment_since(
    orders: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "customers.parquet"
    args = [str(orders), "-o", str(out), "--as-of", "2010-12-31", "--bins", "2"]
    assert main([*args, "--compare-to", "2010-12-02"]) == 0
    got = pl.read_parquet(out)
    assert main(args) == 0
    plain = pl.read_parquet(out)
    # The table is the usual one with two columns added at the end.
    assert got.columns == [*plain.columns, "previous_segment", "segment_since"]
    assert got.drop("previous_segment", "segment_since").equals(plain)
    # On 2 December 17850 and 13047 had bought (on the 1st); 12583 started on the 3rd.
    tx = rfm.read_transactions(orders).transactions
    before = rfm.segment(rfm.score(rfm.summarize(tx, as_of="2010-12-02"), bins=2), bins=2)
    was = dict(before.select("customer_id", "segment").iter_rows())
    assert sorted(was) == ["13047", "17850"]
    for row in got.iter_rows(named=True):
        previous = was.get(row["customer_id"], "New in period")
        assert row["previous_segment"] == previous
        unchanged = previous == row["segment"]
        assert row["segment_since"] == dt.date(2010, 12, 2 if unchanged else 31)
    assert "Since 2010-12-02: " in capsys.readouterr().out


def test_compare_to_in_csv_and_errors(
    orders: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "customers.csv"
    assert main([str(orders), "-o", str(out), "--quiet", "--compare-to", "2010-12-02"]) == 0
    table = pl.read_csv(out, schema_overrides={"customer_id": pl.String}, try_parse_dates=True)
    new = table.filter(pl.col("customer_id") == "12583").row(0, named=True)
    # Default as-of: the day after the last transaction (2010-12-05).
    assert (new["previous_segment"], new["segment_since"]) == (
        "New in period",
        dt.date(2010, 12, 6),
    )
    args = [str(orders), "--quiet", "--as-of", "2010-12-02", "--compare-to", "2010-12-03"]
    assert main(args) == 1
    assert "compares an earlier date with a later one" in capsys.readouterr().err
    assert main([str(orders), "--streaming", "--compare-to", "2010-12-02"]) == 1
    assert "drop --streaming" in capsys.readouterr().err


def _big_orders(path: Path, rows: int) -> int:
    lines = ["customer_id,order_date,amount"]
    lines += [f"c{i % 500},2024-01-{1 + i % 28:02d},{10 + i % 7}.50" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path.stat().st_size


def test_memory_budget_raises_the_limits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "orders.csv"
    size = _big_orders(source, 12_000)
    # rfm.Limits allows 200 MiB of file per GiB of budget: 1 MiB of budget takes
    # 200 KiB, which this file exceeds; 4 MiB of budget takes it.
    assert 200 * 2**10 < size < 800 * 2**10
    assert main([str(source), "--memory-budget", "1MiB", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "Limits.max_bytes" in err and "--memory-budget 4GiB" in err
    assert main([str(source), "--memory-budget", "4MiB", "--quiet"]) == 0
    assert main([str(source), "--quiet"]) == 0  # the default 1 GiB budget


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4GiB", 4 * 2**30),
        ("4G", 4 * 2**30),
        ("512MiB", 512 * 2**20),
        ("1.5GB", 1_500_000_000),
        ("2 KB", 2000),
        ("1048576", 2**20),
    ],
)
def test_memory_sizes_read_like_people_write_them(text: str, expected: int) -> None:
    args = build_parser().parse_args(["x.csv", "--memory-budget", text])
    assert args.memory_budget == expected


@pytest.mark.parametrize("text", ["four gigs", "4XB", "-1GiB", "0", ""])
def test_a_bad_memory_size_is_refused_with_an_example(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["x.csv", f"--memory-budget={text}"])
    assert exit_info.value.code == 2
    assert "expected a memory size such as 4GiB" in capsys.readouterr().err
