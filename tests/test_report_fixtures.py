"""The test fixtures read every row of the real Kolada export (data/reference/kolada/csv-2024),
whose files spell gender K/M or k/m and sometimes drop the ids' leading zeros."""

from __future__ import annotations

import polars as pl

from .report_fixtures import read_kolada_csv


def test_lowercase_gender_and_short_ids_are_read() -> None:
    # This file writes "k"/"m" and "0" for Riket, "17" for Värmland's region.
    values = read_kolada_csv("U01402", ["0000", "0017", "1780"])
    assert set(values["gender"].unique()) == {"T", "K", "M"}
    assert set(values["area_id"].unique()) == {"0000", "0017", "1780"}
    assert values.filter(pl.col("value").is_null()).height < values.height
