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
