"""Column sets shared along the flow: source → checks → warehouse → progress → reports.

Each frame that crosses a module boundary has its polars schema declared here once. The
warehouse's DDL and column comments are built from these (see pipelines/warehouse/).
"""

from __future__ import annotations

from typing import Any

import polars as pl

GENDERS = ("T", "K", "M")  # totalt, kvinnor, män (Kolada's codes)

# One value as received from a source: the tidy frame every source parser returns.
OBSERVATION_SCHEMA: dict[str, Any] = {
    "series_id": pl.String,  # "kolada:N15428", "survey:livohalsa.god_halsa", "manual:..."
    "area_id": pl.String,  # "1780", "0017", "0000", "G33624": strings, leading zeros kept
    "period": pl.Int32,  # the year; for a multi-year window its last year
    "gender": pl.String,  # T, K or M
    "value": pl.Float64,  # null = missing, never 0
    "ci_low": pl.Float64,  # 95 % interval where the source gives one, else null
    "ci_high": pl.Float64,
    "n": pl.Int64,  # respondents where the source gives them, else null
    "count": pl.Int64,  # Kolada: areas contributing to a group mean (1 for one area)
    "status": pl.String,  # "" normally; Kolada "Missing"; a survey suppression symbol ("..")
    "is_deleted": pl.Boolean,  # the source marks the value as removed (Kolada `isdeleted`)
    "period_start": pl.Int32,  # first year of the period (a survey wave or a multi-year window)
    "period_end": pl.Int32,
    "survey": pl.String,  # which survey a point comes from ("livohalsa", "hlv"), else null
}
OBSERVATION_KEY = ("series_id", "area_id", "period", "gender")

# Metadata of one source series (a Kolada KPI, a survey indicator).
SERIES_SCHEMA: dict[str, Any] = {
    "series_id": pl.String,
    "source": pl.String,  # kolada, survey, manual
    "title": pl.String,
    "unit": pl.String,
    "is_divided_by_gender": pl.Boolean,
    "municipality_type": pl.String,  # Kolada: K, L or A
    "latest_period": pl.Int32,  # Kolada publ_period
    "next_publication": pl.Date,  # Kolada publication_date: the next expected publication
    "is_discontinued": pl.Boolean,  # title carries "(-YYYY)" or the KPI vanished
    "first_seen": pl.Datetime("us", "UTC"),
    "last_seen": pl.Datetime("us", "UTC"),
}

# One status row of `method.md`: catalog × indicator × area × gender.
PROGRESS_SCHEMA: dict[str, Any] = {
    "catalog_id": pl.String,
    "report_year": pl.Int32,  # no value after this year is used
    "indicator_id": pl.String,
    "area_id": pl.String,
    "gender": pl.String,
    "unit": pl.String,
    "direction": pl.Int8,
    "target_kind": pl.String,
    "target_amount": pl.Float64,
    "baseline_year_planned": pl.Int32,  # the catalog's baseline year
    "baseline_year": pl.Int32,  # the year actually used (within baseline_window)
    "baseline_value": pl.Float64,
    "baseline_se": pl.Float64,
    "baseline_survey": pl.String,  # which survey the baseline point comes from, else null
    "latest_year": pl.Int32,
    "latest_value": pl.Float64,
    "latest_se": pl.Float64,
    "latest_survey": pl.String,
    "target_year": pl.Int32,
    "target_value": pl.Float64,  # null for direction and gap targets
    "required_change": pl.Float64,  # R = d·(y* − y_b)
    "change": pl.Float64,  # Δ = y_t − y_b in the indicator's unit; from the means when used
    "change_directed": pl.Float64,  # d·Δ
    "share_achieved": pl.Float64,  # Δd / R
    "expected_value": pl.Float64,  # on the target path at the latest year
    "ahead_of_path": pl.Float64,  # d·(y_t − e_t); negative = behind
    "se_change": pl.Float64,  # standard error of the change (from intervals, or from sigma)
    "sigma": pl.Float64,  # noise level from the series' moving ranges; null if unknown
    "sigma_differences": pl.Int32,  # how many moving ranges sigma was computed from
    "uses_means": pl.Boolean,  # change computed from three-year means (noisy series)
    "baseline_mean": pl.Float64,  # mean around the baseline year; null when not used
    "baseline_mean_from": pl.Int32,
    "baseline_mean_to": pl.Int32,
    "latest_mean": pl.Float64,  # mean of the latest years; null when not used
    "latest_mean_from": pl.Int32,
    "latest_mean_to": pl.Int32,
    "baseline_outlier": pl.Boolean,  # the baseline value differs unusually from its neighbours
    "survey": pl.String,  # the survey the status uses ("Liv & Hälsa"); null for other series
    "is_significant": pl.Boolean,  # null when the uncertainty is unknown
    "noise_floor": pl.Float64,  # the threshold used when uncertainty is unknown
    "status": pl.String,  # not_assessable, too_uncertain, target_met, no_change, on_track,
    # improving, right_direction, worsening
    "status_label": pl.String,  # Swedish label, e.g. "Målet är nått"
    "status_symbol": pl.String,  # a symbol that carries the status without colour
    "decided_by": pl.String,  # which rule decided the status
    "reason": pl.String,  # why not assessable, else null
    "explanation": pl.String,  # the one-sentence Swedish explanation
    "county_value": pl.Float64,  # the county's value for the latest year
    "riket_value": pl.Float64,  # Riket's value for the latest year
    "rank": pl.Int32,  # 1 = best among the county's municipalities (municipalities only)
    "rank_of": pl.Int32,
    "rank_year": pl.Int32,  # the period ranked: the latest one most municipalities report
    "rank_value": pl.Float64,  # the value ranked (for rank_year; may differ from latest_value)
    "rank_third": pl.String,  # bästa, mellersta, sämsta tredjedelen; never a status colour
    "gap_baseline": pl.Float64,  # |K − M| at baseline (on T rows of gendered indicators)
    "gap_latest": pl.Float64,
    "gap_widened": pl.Boolean,
    "next_publication": pl.Date,
    "no_new_before_target": pl.Boolean,
    "comparison_note": pl.String,  # e.g. a survey comparison that crosses sources
}
PROGRESS_KEY = ("catalog_id", "indicator_id", "area_id", "gender")

STATUS_CODES = (
    "not_assessable",
    "too_uncertain",
    "target_met",
    "no_change",
    "on_track",
    "improving",
    "right_direction",
    "worsening",
)


def empty_frame(schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def conform(frame: pl.DataFrame, schema: dict[str, Any]) -> pl.DataFrame:
    """Add missing columns as nulls, cast to the schema, and order the columns as declared."""
    return frame.with_columns(
        [
            pl.lit(None, dtype=dtype).alias(name)
            for name, dtype in schema.items()
            if name not in frame.columns
        ]
    ).select([pl.col(name).cast(dtype) for name, dtype in schema.items()])
