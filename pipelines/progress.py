"""The status method of method.md: change, target path and status for every status row.

A status row is one catalog × indicator × area × gender. Everything here is a pure polars
function of frames (no I/O); `area_status` chains the transforms in the order the method
defines its quantities, `compute_progress_by_county` adds what depends on the county (the
county comparison and the rank) for any number of counties at once, `compute_progress` is its
one-county form, and `status_changes` compares two runs and names why a row changed.

Decisions where method.md is silent are marked "(ours)" in the docstrings and summarised in
`compute_progress`'s docstring.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from config import MethodSettings
from models.areas import RIKET_ID
from models.catalog import SHARE_UNITS
from models.schema import GENDERS, PROGRESS_KEY, PROGRESS_SCHEMA, conform
from models.status import RANK_THIRDS, STATUSES
from pipelines import wording
from sources.survey import HLV_WINDOW_YEARS

INDICATOR_KEY = ("catalog_id", "indicator_id")
ROW_KEY = list(PROGRESS_KEY)
# A status row's number within one run of the method: the quantities join points to rows on
# it rather than on the four text columns of ROW_KEY, which cost several times as much.
ROW_ID = "row_id"
# An indicator's number within one run of the method: points carry it instead of the text
# columns of INDICATOR_KEY, whose long ids made every join on them several times slower.
INDICATOR_NO = "indicator_no"
POINT_KEY = [INDICATOR_NO, "area_id", "gender"]  # the status row a point belongs to
SERIES_KEY = [INDICATOR_NO, "gender"]  # one series across areas, for ranks and comparisons
POINT_COLUMNS = ("area_id", "period", "gender", "value", "ci_low", "ci_high", "n", "survey")

# decided_by rule -> status, in the order the method checks them (the first that holds wins)
RULES: dict[str, str] = {
    "no_baseline": "not_assessable",
    "no_value_after_baseline": "not_assessable",
    "interval_exceeds_target": "too_uncertain",
    "latest_beyond_target": "target_met",
    "not_significant": "no_change",
    "below_noise_floor": "no_change",
    "zero_change": "no_change",
    "ahead_of_path": "on_track",
    "behind_path": "improving",
    "right_direction": "right_direction",
    "wrong_direction": "worsening",
}
CATALOG_TEXT = ("title", "goal_area", "life_stage", "notes", "areas", "stand_in", "indicator_kind")
LABELS = {status.code: status.label for status in STATUSES}
SYMBOLS = {status.code: status.symbol for status in STATUSES}
GENDER_ORDER = {gender: position for position, gender in enumerate(GENDERS)}

# The noise level from moving ranges (statistical process control, Wheeler): the mean moving
# range of two values estimates d2·σ with d2 = 1.128, the median moving range 0.954·σ.
MR_TO_SIGMA = 1.128
MEDIAN_MR_TO_SIGMA = 0.954
SIGMA_YEARS = 10  # moving ranges over t − 10 < p ≤ t
MIN_SIGMA_DIFFERENCES = 4  # σ needs at least this many differences
MIN_ROBUST_DIFFERENCES = 3  # σ̃ (for the baseline outlier flag) at least this many
OUTLIER_SIGMAS = 3.0  # a baseline further than 3·σ̃ from its neighbours is flagged
MEAN_MIN_VALUES = 2  # a three-year mean needs at least two values, else no means at all
# Liv & Hälsa's waves are years apart, so its differences mix real change with sampling error:
# the moving-range noise level is not used for it (method.md, uncertainty rule 2).
NO_MOVING_RANGE_SURVEYS = ("livohalsa",)

# The columns whose difference makes a row "changed" between two runs.
COMPARED_COLUMNS = (
    "status",
    "baseline_year",
    "baseline_value",
    "baseline_se",
    "latest_year",
    "latest_value",
    "latest_se",
    "target_value",
    "required_change",
    "se_change",
    "decided_by",
)
# The catalog fields that change what the method computes (title and notes do not).
METHOD_INDICATOR_FIELDS = (
    "series_id",
    "derive_kind",
    "derive_of",
    "derive_women",
    "derive_men",
    "unit",
    "direction",
    "target_kind",
    "target_amount",
    "target_value",
    "baseline_year",
    "target_year",
    "divided_by_gender",
    "areas",
)
CAUSES = (
    "new_row",
    "changed_target",
    "changed_method",
    "new_data_point",
    "revised_baseline",
    "revised_latest",
)


# --- the rows and their points --------------------------------------------------------------


def county_places(areas: pl.DataFrame, county_ids: Sequence[str]) -> pl.DataFrame:
    """Each county's areas with their kind: its municipalities, region, mean group, and Riket.

    One row per county × area (`county_id`, `area_id`, `kind`); Riket belongs to every county.
    """
    wanted = list(county_ids)
    kind = pl.col("kind")
    own = areas.filter(
        (kind.is_in(["kommun", "grupp"]) & pl.col("county_id").is_in(wanted))
        | ((kind == "region") & pl.col("area_id").is_in(wanted))
    ).select(
        county_id=pl.when(kind == "region").then("area_id").otherwise("county_id"),
        area_id="area_id",
        kind="kind",
    )
    riket = pl.DataFrame({"county_id": wanted}, schema={"county_id": pl.String}).join(
        areas.filter(kind == "riket").select("area_id", "kind"), how="cross"
    )
    return pl.concat([own, riket])


def assessed_only(indicators: pl.DataFrame) -> pl.DataFrame:
    """Drop descriptive indicators: they have no direction nor target, so no status rows."""
    if "indicator_kind" not in indicators.columns:
        return indicators
    return indicators.filter(~(pl.col("indicator_kind") == "descriptive").fill_null(False))


def status_rows(indicators: pl.DataFrame, county: pl.DataFrame) -> pl.DataFrame:
    """One row per indicator × area × gender where the indicator's `areas` list applies.

    T always; K and M too when the indicator is divided by gender. Each row is numbered
    (`row_id`).
    """
    genders = pl.DataFrame({"gender": list(GENDERS)})
    return (
        indicators.rename(
            {
                "target_value": "target_level",
                "baseline_year": "baseline_year_planned",
                "survey": "catalog_survey",
            }
        )
        .join(county, how="cross")
        .filter(
            pl.col("areas").list.contains(pl.col("kind"))
            | pl.col("areas").list.contains(pl.col("area_id"))
        )
        .join(genders, how="cross")
        .filter((pl.col("gender") == "T") | pl.col("divided_by_gender"))
        # catalog text the method never reads: every join of the rows would copy it
        .drop(CATALOG_TEXT, strict=False)
        .with_row_index(ROW_ID)
    )


def current_observations(observations: pl.DataFrame, report_year: int) -> pl.DataFrame:
    """The values the method may use: not removed, not missing, not after the report year."""
    return observations.filter(
        ~pl.col("is_deleted").fill_null(False)
        & pl.col("value").is_not_null()
        & (pl.col("period") <= report_year)
    ).select("series_id", *POINT_COLUMNS)


def indicator_points(
    indicators: pl.DataFrame, current: pl.DataFrame, key: Sequence[str] = INDICATOR_KEY
) -> pl.DataFrame:
    """Each indicator's values with its unit, derived series computed (indicator_points_plan)."""
    return indicator_points_plan(indicators, current, key).collect()


def indicator_points_plan(
    indicators: pl.DataFrame, current: pl.DataFrame, key: Sequence[str] = INDICATOR_KEY
) -> pl.LazyFrame:
    """Each indicator's values with its unit, derived series computed before the method runs.

    `key` names the indicator: INDICATOR_KEY, or the method's `indicator_no`.

    complement: 100 − value; the interval flips (lo' = 100 − hi) and n carries over, since
    p(1 − p) is the same for a share and its complement.
    gap: |women − men| per area and period, on the T row. The interval is left null (ours):
    |K − M| has a folded distribution, and a symmetric interval built from se_K and se_M is
    wrong exactly where it matters, near a gap of 0. The survey tag carries over only when both
    sides come from the same survey.
    """
    # one lazy plan: polars runs its parts in parallel and copies only the columns kept
    values = current.lazy()
    keys = indicators.lazy().select(
        *key, "unit", "series_id", "derive_kind", "derive_of", "derive_women", "derive_men"
    )
    plain = keys.filter(pl.col("derive_kind").is_null()).select(*key, "unit", "series_id")
    complement = keys.filter(pl.col("derive_kind") == "complement").select(
        *key, "unit", series_id="derive_of"
    )
    gap_of = keys.filter((pl.col("derive_kind") == "gap") & pl.col("derive_of").is_not_null())
    gap_pair = keys.filter((pl.col("derive_kind") == "gap") & pl.col("derive_women").is_not_null())
    side = ["period", "area_id"]

    def gap_side(name: str, gender: str, pair_column: str) -> pl.LazyFrame:
        """One side of a gap: gender K or M of `derive_of`, or the T values of a paired series."""
        return pl.concat(
            [
                gap_of.select(*key, series_id="derive_of").join(
                    values.filter(pl.col("gender") == gender), on="series_id"
                ),
                gap_pair.select(*key, series_id=pair_column).join(
                    values.filter(pl.col("gender") == "T"), on="series_id"
                ),
            ]
        ).select(
            *key,
            *side,
            pl.col("value").alias(name),
            pl.col("survey").alias(f"{name}_survey"),
        )

    women = gap_side("women", "K", "derive_women")
    men = gap_side("men", "M", "derive_men")
    gaps = women.join(men, on=[*key, *side]).select(
        *key,
        *side,
        unit=pl.lit(None, dtype=pl.String),  # a gap has neither interval nor n, so no se
        gender=pl.lit("T"),
        value=(pl.col("women") - pl.col("men")).abs(),
        survey=pl.when(pl.col("women_survey") == pl.col("men_survey")).then("women_survey"),
    )
    return pl.concat(
        [
            plain.join(values, on="series_id").drop("series_id"),
            complement.join(values, on="series_id")
            .drop("series_id")
            .with_columns(
                value=100 - pl.col("value"),
                ci_low=100 - pl.col("ci_high"),
                ci_high=100 - pl.col("ci_low"),
            ),
            gaps,
        ],
        how="diagonal_relaxed",
    ).select(*key, *POINT_COLUMNS, "unit")


def standard_error(z: float) -> pl.Expr:
    """A point's `se`: from the interval, (hi − lo)/(2z); else for a share (`unit`) from n;
    else null.

    Never invented: a value without interval and n keeps se null (uncertainty unknown).
    """
    share = pl.col("value") / 100
    return (
        pl.when(pl.col("ci_low").is_not_null() & pl.col("ci_high").is_not_null())
        .then((pl.col("ci_high") - pl.col("ci_low")) / (2 * z))
        .when(pl.col("n").is_not_null() & (pl.col("n") > 0) & pl.col("unit").is_in(SHARE_UNITS))
        .then(100 * (share * (1 - share) / pl.col("n")).sqrt())
    )


def row_points(rows: pl.DataFrame, points: pl.DataFrame) -> pl.DataFrame:
    """Every point of a status row, with the row's `row_id`: the one join on area and gender."""
    return points.join(rows.select(*POINT_KEY, ROW_ID), on=POINT_KEY)


def with_survey(
    rows: pl.DataFrame, points: pl.DataFrame, own: pl.DataFrame, county_survey: str
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Split series that mix surveys into one series per survey; keep the row's survey only.

    Adds `survey_tag` to the rows: the catalog's survey (else the county's) where the row's
    area has values of it; an area with values of one other survey only (e.g. Riket, which
    has HLV and no Liv & Hälsa) uses that one (ours). `own` are the rows' points (row_points).
    Returns the rows; their own points of the row's survey, so that baseline, latest, noise
    level and means always come from one survey and a change across surveys is never computed;
    and the points comparisons and ranks read: every area's points without a survey tag, and
    the tagged ones of the row's survey.
    """
    wanted = pl.coalesce("catalog_survey", pl.lit(county_survey))
    tagged = own.filter(pl.col("survey").is_not_null())
    surveys = (
        tagged.join(rows.select(ROW_ID, wanted=wanted), on=ROW_ID)
        .group_by(ROW_ID)
        .agg(
            has_wanted=(pl.col("survey") == pl.col("wanted")).any(),
            wanted=pl.col("wanted").first(),
            only=pl.col("survey").unique().sort().first(),
            surveys=pl.col("survey").n_unique(),
        )
        .select(
            ROW_ID,
            survey_tag=pl.when(pl.col("has_wanted") | (pl.col("surveys") > 1))
            .then("wanted")
            .otherwise("only"),
        )
    )
    rows = rows.join(surveys, on=ROW_ID, how="left").with_columns(
        survey=pl.col("survey_tag").replace_strict(
            wording.SURVEY_NAMES, default=pl.col("survey_tag"), return_dtype=pl.String
        )
    )
    # points without a survey tag belong to no survey and stay; tagged ones only in their row's
    # survey (joining only the tagged points keeps this cheap for register data)
    kept = (
        tagged.join(rows.select(ROW_ID, "survey_tag"), on=ROW_ID)
        .filter(pl.col("survey") == pl.col("survey_tag"))
        .drop("survey_tag")
    )
    untagged = pl.col("survey").is_null()
    # only what later steps read: every join copies each column it carries
    own_plan = pl.concat([own.lazy().filter(untagged), kept.lazy()]).select(
        ROW_ID, "period", "value", "se", "survey"
    )
    used_plan = pl.concat([points.lazy().filter(untagged), kept.lazy().drop(ROW_ID)]).select(
        *POINT_KEY, "period", "value"
    )
    own, used = pl.collect_all([own_plan, used_plan])
    return rows, own, used


# --- the quantities of method.md ------------------------------------------------------------


def with_baseline(rows: pl.DataFrame, points: pl.DataFrame, window: int) -> pl.DataFrame:
    """Add the baseline: the value in year b, else the nearest within `window` years.

    On a tie between the year before and the year after, the earlier year wins (ours): it is
    the one measured before any effect of the steering document.
    """
    chosen = (
        points.lazy()
        .join(rows.lazy().select(ROW_ID, "baseline_year_planned"), on=ROW_ID)
        .with_columns(distance=(pl.col("period") - pl.col("baseline_year_planned")).abs())
        .filter(pl.col("distance") <= window)
        .select(ROW_ID, "period", "value", "se", "survey", "distance")
        .group_by(ROW_ID)
        .agg(pl.all().sort_by("distance", "period").first())
        .select(
            ROW_ID,
            baseline_year="period",
            baseline_value="value",
            baseline_se="se",
            baseline_survey="survey",
        )
        .collect()
    )
    return rows.join(chosen, on=ROW_ID, how="left")


def with_latest(rows: pl.DataFrame, points: pl.DataFrame) -> pl.DataFrame:
    """Add the latest value: the most recent period after the baseline year actually used.

    The points are the row's own survey's (with_survey), so the latest value always comes from
    the same survey as the baseline. A row without a baseline still gets the latest value after
    the planned baseline year (ours): it is the value reports show, and it must be the status
    survey's, even when the status is not_assessable.
    """
    baseline = rows.select(
        ROW_ID, baseline_year=pl.coalesce("baseline_year", "baseline_year_planned")
    )
    chosen = (
        points.lazy()
        .join(baseline.lazy(), on=ROW_ID)
        .filter(pl.col("period") > pl.col("baseline_year"))
        .select(ROW_ID, "period", "value", "se", "survey")
        .group_by(ROW_ID)
        .agg(pl.all().sort_by("period").last())
        .select(
            ROW_ID,
            latest_year="period",
            latest_value="value",
            latest_se="se",
            latest_survey="survey",
        )
        .collect()
    )
    return rows.join(chosen, on=ROW_ID, how="left")


def with_noise_level(rows: pl.DataFrame, points: pl.DataFrame) -> pl.DataFrame:
    """Add the noise level σ = MR̄/1.128 and the robust σ̃ = MR̃/0.954 (uncertainty rule 2).

    The moving ranges are |y_p − y_{p−k}| for every p with t − 10 < p ≤ t where both values
    exist; k is 1, the KPI's window for a k-year mean (windows then do not overlap), and at
    least 4 for HLV's 4-year windows (ours). Rule 2 applies to rows whose values have no interval
    or sample size (register data) and whose survey is not one with waves years apart
    (Liv & Hälsa). σ needs 4 differences, σ̃ 3; `sigma_differences` says how many there were.
    """
    lag = pl.max_horizontal(
        pl.col("window_years").fill_null(1),
        pl.when(pl.col("survey_tag") == "hlv").then(HLV_WINDOW_YEARS).otherwise(1),
    )
    applies = (
        pl.col("latest_value").is_not_null()
        & pl.col("baseline_se").is_null()
        & pl.col("latest_se").is_null()
        & ~pl.col("survey_tag").is_in(NO_MOVING_RANGE_SURVEYS).fill_null(False)
    )
    rows = rows.with_columns(moving_range_rule=applies)
    values = points.select(ROW_ID, "period", "value")
    earlier = values.rename({"period": "earlier_period", "value": "earlier_value"})
    ranges = (
        values.join(
            rows.filter("moving_range_rule").select(ROW_ID, "latest_year", lag=lag), on=ROW_ID
        )
        .filter(
            (pl.col("period") > pl.col("latest_year") - SIGMA_YEARS)
            & (pl.col("period") <= pl.col("latest_year"))
        )
        .with_columns(earlier_period=pl.col("period") - pl.col("lag"))
        .join(earlier, on=[ROW_ID, "earlier_period"])
        .sort(ROW_ID, "period")  # sums in period order: the same bits whatever the join order
        .group_by(ROW_ID)
        .agg(
            sigma_differences=pl.len().cast(pl.Int32),
            moving_range=(pl.col("value") - pl.col("earlier_value")).abs().mean(),
            moving_range_median=(pl.col("value") - pl.col("earlier_value")).abs().median(),
        )
    )
    count = pl.col("sigma_differences")
    return (
        rows.join(ranges, on=ROW_ID, how="left")
        .with_columns(
            sigma_differences=pl.when("moving_range_rule").then(count.fill_null(0)),
            sigma=pl.when(count >= MIN_SIGMA_DIFFERENCES).then(
                pl.col("moving_range") / MR_TO_SIGMA
            ),
            sigma_robust=pl.when(count >= MIN_ROBUST_DIFFERENCES).then(
                pl.col("moving_range_median") / MEDIAN_MR_TO_SIGMA
            ),
        )
        .drop("moving_range", "moving_range_median")
    )


def with_means(rows: pl.DataFrame, points: pl.DataFrame, settings: MethodSettings) -> pl.DataFrame:
    """Add three-year means for noisy series, the baseline outlier flag, and se from σ.

    A series is noisy when σ is known and z·σ·√2 > R (for targets without a positive R, such
    as direction and gap targets: > noise_abs): one year's change could not show the whole
    target. Then the baseline is the mean of b'−1 … b'+1 and the latest the mean of t−2 … t;
    if either has fewer than 2 values, neither is averaged. A mean of m values has se = σ/√m,
    a single value se = σ. The baseline is an outlier when it differs from the mean of its
    neighbours b'−1 and b'+1 (those that exist) by more than 3·σ̃.
    """
    base, latest = pl.col("baseline_year"), pl.col("latest_year")
    in_base = (pl.col("period") >= base - 1) & (pl.col("period") <= base + 1)
    in_latest = (pl.col("period") >= latest - 2) & (pl.col("period") <= latest)
    neighbour = (pl.col("period") == base - 1) | (pl.col("period") == base + 1)
    value, period = pl.col("value"), pl.col("period")
    windows = (
        points.select(ROW_ID, "period", "value")
        .join(
            rows.filter("moving_range_rule").select(ROW_ID, "baseline_year", "latest_year"),
            on=ROW_ID,
        )
        .sort(ROW_ID, "period")  # means summed in period order, as in with_noise_level
        .group_by(ROW_ID)
        .agg(
            baseline_mean=value.filter(in_base).mean(),
            baseline_count=in_base.sum(),
            baseline_mean_from=period.filter(in_base).min(),
            baseline_mean_to=period.filter(in_base).max(),
            latest_mean=value.filter(in_latest).mean(),
            latest_count=in_latest.sum(),
            latest_mean_from=period.filter(in_latest).min(),
            latest_mean_to=period.filter(in_latest).max(),
            neighbour_mean=value.filter(neighbour).mean(),
        )
    )
    scale = pl.when(pl.col("required_change") > 0).then("required_change")
    noisy = (
        settings.confidence_z * pl.col("sigma") * 2**0.5
        > scale.otherwise(pl.lit(settings.noise_abs))
    ).fill_null(False)
    uses_means = (
        noisy
        & (pl.col("baseline_count") >= MEAN_MIN_VALUES)
        & (pl.col("latest_count") >= MEAN_MIN_VALUES)
    ).fill_null(False)
    mean_columns = [
        "baseline_mean", "baseline_mean_from", "baseline_mean_to",
        "latest_mean", "latest_mean_from", "latest_mean_to",
    ]  # fmt: skip
    sigma = pl.col("sigma")
    return (
        rows.join(windows, on=ROW_ID, how="left")
        .with_columns(uses_means=uses_means)
        .with_columns(
            *[pl.when("uses_means").then(name).alias(name) for name in mean_columns],
            baseline_se=pl.coalesce(
                "baseline_se",
                pl.when("uses_means")
                .then(sigma / pl.col("baseline_count").sqrt())
                .otherwise(sigma),
            ),
            latest_se=pl.coalesce(
                "latest_se",
                pl.when("uses_means").then(sigma / pl.col("latest_count").sqrt()).otherwise(sigma),
            ),
            baseline_outlier=pl.when(
                pl.col("sigma_robust").is_not_null() & pl.col("neighbour_mean").is_not_null()
            ).then(
                (pl.col("baseline_value") - pl.col("neighbour_mean")).abs()
                > OUTLIER_SIGMAS * pl.col("sigma_robust")
            ),
        )
        .with_columns(
            baseline_level=pl.coalesce("baseline_mean", "baseline_value"),
            latest_level=pl.coalesce("latest_mean", "latest_value"),
        )
    )


def with_target(rows: pl.DataFrame) -> pl.DataFrame:
    """Add `target_value` y* by target kind and the required change R = d·(y* − y_b)."""
    d, amount, base = pl.col("direction"), pl.col("target_amount"), pl.col("baseline_value")
    kind = pl.col("target_kind")
    return rows.with_columns(
        target_value=pl.when(kind.is_in(["pp", "units"]))
        .then(base + d * amount)
        .when(kind == "percent")
        .then(base * (1 + d * amount / 100))
        .when(kind == "level")
        .then(pl.col("target_level"))
    ).with_columns(required_change=d * (pl.col("target_value") - base))


def with_change(rows: pl.DataFrame) -> pl.DataFrame:
    """Add Δ = y_t − y_b (in the indicator's unit), Δd = d·Δ and the share achieved Δd/R.

    With three-year means, Δ is the difference of the means.
    """
    return rows.with_columns(change=pl.col("latest_level") - pl.col("baseline_level")).with_columns(
        change_directed=pl.col("direction") * pl.col("change"),
        share_achieved=pl.when(pl.col("required_change") > 0).then(
            pl.col("direction") * pl.col("change") / pl.col("required_change")
        ),
    )


def with_path(rows: pl.DataFrame) -> pl.DataFrame:
    """Add the expected value on the target path at the latest year and how far ahead of it.

    The path runs from (baseline year actually used, y_b) to (T, y*), flat after T (ours: a
    neighbouring baseline year is where the series was measured, so the line starts there).
    It starts at the single baseline value even when means are used (the documents fix the
    target from it); how far ahead is measured from the latest mean then.
    """
    elapsed = pl.col("latest_year") - pl.col("baseline_year")
    span = pl.col("target_year") - pl.col("baseline_year")
    fraction = pl.when(span > 0).then((elapsed / span).clip(upper_bound=1.0)).otherwise(1.0)
    return rows.with_columns(
        expected_value=pl.col("baseline_value")
        + (pl.col("target_value") - pl.col("baseline_value")) * fraction
    ).with_columns(
        ahead_of_path=pl.col("direction") * (pl.col("latest_level") - pl.col("expected_value"))
    )


def with_uncertainty(rows: pl.DataFrame, settings: MethodSettings) -> pl.DataFrame:
    """Add se_Δ, significance (|Δ| > z·se_Δ) and, when uncertainty is unknown, the noise floor.

    The floor is noise_share·R when there is a positive required change, else noise_abs: for
    direction and gap targets, and (ours) for a level target already reached at baseline, where
    R ≤ 0 gives no scale.
    """
    z = settings.confidence_z
    se_change = (pl.col("baseline_se") ** 2 + pl.col("latest_se") ** 2).sqrt()
    return rows.with_columns(se_change=se_change).with_columns(
        change_margin=z * pl.col("se_change"),
        is_significant=pl.col("change").abs() > z * pl.col("se_change"),
        noise_floor=pl.when(pl.col("change").is_not_null() & pl.col("se_change").is_null()).then(
            pl.when(pl.col("required_change") > 0)
            .then(settings.noise_share * pl.col("required_change"))
            .otherwise(pl.lit(settings.noise_abs))
        ),
    )


def with_status(rows: pl.DataFrame, settings: MethodSettings, report_year: int) -> pl.DataFrame:
    """Add `decided_by` (the first rule of method.md that holds), `status`, label and symbol.

    too_uncertain needs a positive R to compare with (ours: direction, gap and already-reached
    level targets skip it). A change of exactly 0 that passes the significance or noise test
    (possible only with a zero-width interval or a floor of 0) is no_change.
    """
    delta_d = pl.col("change_directed")
    has_path = pl.col("ahead_of_path").is_not_null()
    decided_by = (
        pl.when(pl.col("baseline_value").is_null())
        .then(pl.lit("no_baseline"))
        .when(pl.col("latest_value").is_null())
        .then(pl.lit("no_value_after_baseline"))
        .when(
            (pl.col("required_change") > 0)
            & (pl.col("change_margin") > settings.uncertain_factor * pl.col("required_change"))
        )
        .then(pl.lit("interval_exceeds_target"))
        .when(pl.col("direction") * (pl.col("latest_level") - pl.col("target_value")) >= 0)
        .then(pl.lit("latest_beyond_target"))
        .when(~pl.col("is_significant"))
        .then(pl.lit("not_significant"))
        .when(delta_d.abs() < pl.col("noise_floor"))
        .then(pl.lit("below_noise_floor"))
        .when(delta_d == 0)
        .then(pl.lit("zero_change"))
        .when((delta_d > 0) & has_path & (pl.col("ahead_of_path") >= 0))
        .then(pl.lit("ahead_of_path"))
        .when((delta_d > 0) & has_path)
        .then(pl.lit("behind_path"))
        .when(delta_d > 0)
        .then(pl.lit("right_direction"))
        .otherwise(pl.lit("wrong_direction"))
    )
    reason = (
        pl.when(pl.col("baseline_value").is_null())
        .then(wording.missing_baseline_reason_expr(settings.baseline_window))
        .when(pl.col("latest_value").is_null())
        .then(
            pl.format(
                "Inget värde efter basåret {} (till och med {}).",
                pl.col("baseline_year"),
                pl.lit(report_year),
            )
        )
    )
    return (
        rows.with_columns(decided_by=decided_by, reason=reason)
        .with_columns(status=pl.col("decided_by").replace_strict(RULES, return_dtype=pl.String))
        .with_columns(
            status_label=pl.col("status").replace_strict(LABELS, return_dtype=pl.String),
            status_symbol=pl.col("status").replace_strict(SYMBOLS, return_dtype=pl.String),
        )
    )


def with_explanation(rows: pl.DataFrame, settings: MethodSettings) -> pl.DataFrame:
    """Add the comparison note and the Swedish explanation of each row (pipelines/wording.py).

    The note warns when the change compares two overlapping multi-year windows, whose values
    share years (survey-data.md, point 7); the status still treats them as independent, which
    overstates se_Δ and so errs towards no_change and too_uncertain. (A change across surveys
    is never computed: with_survey.)
    """
    noted = rows.with_columns(comparison_note=wording.comparison_note_expr())
    return wording.with_explanation(noted, settings.uncertain_factor)


# --- around the status ----------------------------------------------------------------------


def with_comparisons(
    rows: pl.DataFrame, points: pl.DataFrame, places: pl.DataFrame
) -> pl.DataFrame:
    """Add the county's and Riket's value for the row's latest year (rows carry `county_id`).

    The county value is the region's; where the region has none for that KPI and year (e.g. a
    municipality-only KPI), the county mean group's.
    """
    by_kind = points.join(places.filter(pl.col("kind") != "kommun"), on="area_id")
    at_latest = ["county_id", *SERIES_KEY, "latest_year"]

    def values_of(kind: str, name: str) -> pl.DataFrame:
        return by_kind.filter(pl.col("kind") == kind).select(
            "county_id", *SERIES_KEY, latest_year="period", **{name: "value"}
        )

    return (
        rows.join(values_of("region", "region_value"), on=at_latest, how="left")
        .join(values_of("grupp", "group_value"), on=at_latest, how="left")
        .join(values_of("riket", "riket_value"), on=at_latest, how="left")
        .with_columns(county_value=pl.coalesce("region_value", "group_value"))
    )


def with_rank(rows: pl.DataFrame, points: pl.DataFrame, places: pl.DataFrame) -> pl.DataFrame:
    """Add the municipality's rank (1 = best in the indicator's direction) and its third.

    Ranks compare the municipalities of the row's county (`county_id`).

    Every rank compares one period (ours): the most recent period in which at least half of
    the county's municipalities with values for the series have one. Surveys that reach a
    municipality every other year, or one municipality's early figures, would otherwise rank
    different years against each other or rank one municipality alone. A municipality without
    a value for that period has no rank. Ties share the best rank. Thirds: rank r of n falls
    in third floor(3(r − 1)/n) + 1, so 16 municipalities split 6/5/5.
    """
    third = (3 * (pl.col("rank") - 1) / pl.col("rank_of")).floor().cast(pl.Int64)
    county_series = ["county_id", *SERIES_KEY]
    # one lazy plan: the municipal points are joined once and the counts run in parallel
    municipal = points.lazy().join(
        places.lazy().filter(pl.col("kind") == "kommun").select("county_id", "area_id"),
        on="area_id",
    )
    # counted per group rather than with windows over every point: the same numbers, a fraction
    # of the time
    reporting = municipal.group_by(*county_series, "period").agg(reporting=pl.len())
    reporting_ever = municipal.group_by(county_series).agg(
        reporting_ever=pl.col("area_id").n_unique()
    )
    rank_period = (
        reporting.join(reporting_ever, on=county_series)
        .filter(2 * pl.col("reporting") >= pl.col("reporting_ever"))
        .group_by(county_series)
        .agg(pl.col("period").max())
    )
    ranks = (
        municipal.join(rank_period, on=[*county_series, "period"])
        .join(rows.lazy().select(INDICATOR_NO, "direction").unique(), on=INDICATOR_NO)
        .with_columns(
            rank=(-pl.col("direction") * pl.col("value")).rank("min").over(county_series),
            rank_of=pl.len().over(county_series),
        )
        .with_columns(
            rank_third=third.replace_strict(dict(enumerate(RANK_THIRDS)), return_dtype=pl.String)
        )
        .select(
            "county_id",
            *POINT_KEY,
            "rank",
            "rank_of",
            "rank_third",
            rank_year="period",
            rank_value="value",
        )
        .collect()
    )
    return rows.join(ranks, on=["county_id", *POINT_KEY], how="left")


def with_gender_gap(rows: pl.DataFrame, points: pl.DataFrame) -> pl.DataFrame:
    """Add |K − M| at the baseline and latest years on T rows of gendered indicators.

    `points` are the rows' own (with `row_id`): a T row's gap compares the points of its K and
    M rows. `gap_widened` is a plain comparison of the two gaps (ours): no test, since the gap
    has no interval (see indicator_points).
    """
    place = [INDICATOR_NO, "area_id"]
    gender = pl.col("gender")

    def row_of(sex: str, name: str) -> pl.DataFrame:
        return rows.filter(gender == sex).select(*place, **{name: ROW_ID})

    totals = (
        rows.filter((gender == "T") & pl.col("divided_by_gender"))
        .select(ROW_ID, *place, "baseline_year", "latest_year")
        .join(row_of("K", "women_row"), on=place)
        .join(row_of("M", "men_row"), on=place)
    )
    for row, sex in (("women_row", "women"), ("men_row", "men")):
        for year in ("baseline_year", "latest_year"):
            # the points probe the few wanted (row, year) pairs: a left join from the totals
            # would hash every point
            wanted = totals.select(row, year).unique()
            found = points.join(wanted, left_on=[ROW_ID, "period"], right_on=[row, year])
            totals = totals.join(
                found.select(**{row: ROW_ID, year: "period", f"{sex}_{year}": "value"}),
                on=[row, year],
                how="left",
            )
    gaps = totals.select(
        ROW_ID,
        gap_baseline=(pl.col("women_baseline_year") - pl.col("men_baseline_year")).abs(),
        gap_latest=(pl.col("women_latest_year") - pl.col("men_latest_year")).abs(),
    )
    return rows.join(gaps, on=ROW_ID, how="left").with_columns(
        gap_widened=pl.col("gap_latest") > pl.col("gap_baseline")
    )


def with_next_publication(rows: pl.DataFrame, series: pl.DataFrame | None) -> pl.DataFrame:
    """Add the next expected publication and `no_new_before_target`.

    no_new_before_target (ours, precisely): true when the series' next publication date falls
    after 31 December of the target year, or the series is discontinued, so no new value can be
    published before the target year is over; false when the next publication falls within or
    before the target year; null when the series metadata does not say. A derived series reads
    the metadata of its first source (`derive_of`, else `derive_women`).
    """
    if series is None:
        return rows.with_columns(
            next_publication=pl.lit(None, dtype=pl.Date),
            no_new_before_target=pl.lit(None, dtype=pl.Boolean),
        )
    metadata = series.select(
        source_series="series_id", next_publication="next_publication",
        is_discontinued="is_discontinued",
    )  # fmt: skip
    return (
        rows.with_columns(source_series=pl.coalesce("series_id", "derive_of", "derive_women"))
        .join(metadata, on="source_series", how="left")
        .with_columns(
            no_new_before_target=pl.when(pl.col("is_discontinued").fill_null(False))
            .then(True)
            .when(pl.col("next_publication").is_not_null())
            .then(pl.col("next_publication").dt.year() > pl.col("target_year"))
        )
    )


# --- the whole method -----------------------------------------------------------------------


def method_points(
    indicators: pl.DataFrame,
    observations: pl.DataFrame,
    area_ids: pl.Series,
    settings: MethodSettings,
    report_year: int,
) -> pl.DataFrame:
    """The points the method reads for these areas: current values, derived series, and se."""
    current = current_observations(
        observations.filter(pl.col("area_id").is_in(area_ids.implode())), report_year
    )
    # only what later steps read: every join below copies each column it carries; and no K
    # or M values of an indicator not divided by gender, which no status row reads
    gendered = indicators.filter("divided_by_gender")[INDICATOR_NO]
    return (
        indicator_points_plan(indicators, current, [INDICATOR_NO])
        .filter((pl.col("gender") == "T") | pl.col(INDICATOR_NO).is_in(gendered.implode()))
        .with_columns(se=standard_error(settings.confidence_z))
        .select(*POINT_KEY, "period", "value", "se", "survey")
        .collect()
    )


def area_status(
    indicators: pl.DataFrame,
    areas: pl.DataFrame,
    points: pl.DataFrame,
    survey: str,
    settings: MethodSettings,
    report_year: int,
    series: pl.DataFrame | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The status rows of these areas (`area_id`, `kind`), with every quantity that does not
    depend on the county asking: all but the county comparison and the rank (and the sentence,
    written once for all rows). `survey` is the status survey of series that mix surveys.
    Returns the rows and the points comparisons and ranks read (with_survey)."""
    rows = status_rows(indicators, areas)
    rows, own, used = with_survey(rows, points, row_points(rows, points), survey)
    return (
        rows.pipe(with_baseline, own, settings.baseline_window)
        .pipe(with_latest, own)
        .pipe(with_target)
        .pipe(with_noise_level, own)
        .pipe(with_means, own, settings)
        .pipe(with_change)
        .pipe(with_path)
        .pipe(with_uncertainty, settings)
        .pipe(with_status, settings, report_year)
        .pipe(with_gender_gap, own)
        .pipe(with_next_publication, series)
    ), used


def compute_progress_by_county(
    indicators: pl.DataFrame,
    observations: pl.DataFrame,
    areas: pl.DataFrame,
    county_ids: Sequence[str],
    settings: MethodSettings,
    report_year: int,
    series: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Status rows (PROGRESS_SCHEMA, after a first column `county_id`) for several counties,
    each as compute_progress gives it: Riket's rows appear once per county.

    A row's own quantities depend on its area and on the county's status survey only, so they
    are computed once per area and survey: every area but Riket belongs to one county, and
    Riket is computed once per survey the counties use. Only the county and Riket comparison
    and the rank among the county's municipalities are per county.
    """
    indicators = assessed_only(indicators).with_row_index(INDICATOR_NO)
    surveys = {county_id: settings.survey_for(county_id) for county_id in county_ids}
    places = county_places(areas, county_ids).with_columns(
        status_survey=pl.col("county_id").replace_strict(surveys, return_dtype=pl.String)
    )
    points = method_points(
        indicators, observations, places["area_id"].unique(), settings, report_year
    )
    frames = []
    for (survey,), group in places.partition_by("status_survey", as_dict=True).items():
        group_areas = group.select("area_id", "kind").unique(maintain_order=True)
        group_points = points.filter(pl.col("area_id").is_in(group_areas["area_id"].implode()))
        rows, used = area_status(
            indicators, group_areas, group_points, str(survey), settings, report_year, series
        )
        frames.append(
            rows.join(group.select("county_id", "area_id"), on="area_id")
            .pipe(with_comparisons, used, group)
            .pipe(with_rank, used, group)
        )
    return (
        pl.concat(frames)
        .pipe(with_explanation, settings)
        .with_columns(report_year=pl.lit(report_year, dtype=pl.Int32))
        .pipe(conform, {"county_id": pl.String, **PROGRESS_SCHEMA})
        .sort("county_id", *INDICATOR_KEY, "area_id", pl.col("gender").replace_strict(GENDER_ORDER))
    )


def compute_progress(
    indicators: pl.DataFrame,
    observations: pl.DataFrame,
    areas: pl.DataFrame,
    county_id: str,
    settings: MethodSettings,
    report_year: int,
    series: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Status rows (PROGRESS_SCHEMA) for one county: its municipalities, region, mean group
    and Riket, for every indicator whose `areas` list applies, T (and K, M when gendered).

    Rows where nothing can be assessed are kept, with status not_assessable and a reason.
    Decisions of ours where method.md is silent: a baseline tie takes the earlier year; the
    target path starts at the baseline year actually used; too_uncertain needs R > 0; the
    noise floor is noise_abs when R ≤ 0 or undefined; a gap series has no interval; ranks
    compare the most recent period at least half the county's municipalities report.
    """
    return compute_progress_by_county(
        indicators, observations, areas, [county_id], settings, report_year, series
    ).drop("county_id")


def as_stored(rows_by_county: pl.DataFrame, county_ids: Sequence[str]) -> pl.DataFrame:
    """compute_progress_by_county's rows as the warehouse stores them (PROGRESS_SCHEMA): each
    county's own areas, and Riket once, as the first county in `county_ids` sees it. In Kolada's
    data Riket's rows then differ between counties only in their county value (Riket has one
    survey, HLV, whichever county's survey is asked for); with several counties followed no one
    county is Riket's, so that value is null on Riket's rows rather than the first county's."""
    order = {county_id: position for position, county_id in enumerate(county_ids)}
    rows = (
        rows_by_county.sort(pl.col("county_id").replace_strict(order), maintain_order=True)
        .unique(subset=ROW_KEY, keep="first", maintain_order=True)
        .drop("county_id")
    )
    if len(county_ids) > 1:
        rows = rows.with_columns(
            county_value=pl.when(pl.col("area_id") != RIKET_ID).then("county_value")
        )
    return rows


# --- why a status changed -------------------------------------------------------------------


def changed_indicators(previous: pl.DataFrame, current: pl.DataFrame) -> pl.DataFrame:
    """The (catalog, indicator) pairs whose method-relevant catalog fields differ."""
    fields = list(METHOD_INDICATOR_FIELDS)
    return (
        current.select(*INDICATOR_KEY, *fields)
        .join(previous.select(*INDICATOR_KEY, *fields), on=INDICATOR_KEY, suffix="_previous")
        .filter(
            pl.any_horizontal(
                [pl.col(name).ne_missing(pl.col(f"{name}_previous")) for name in fields]
            )
        )
        .select(*INDICATOR_KEY, catalog_changed=pl.lit(True))
    )


def differs(name: str) -> pl.Expr:
    """Null-safe difference between this run's and the previous run's value of a column."""
    now, before = pl.col(name), pl.col(f"{name}_previous")
    if PROGRESS_SCHEMA[name] == pl.Float64:
        # floats are compared to 9 decimals so that re-running the same data is no change
        return now.round(9).ne_missing(before.round(9))
    return now.ne_missing(before)


def status_changes(
    previous: pl.DataFrame,
    current: pl.DataFrame,
    previous_settings: dict[str, Any] | None,
    current_settings: dict[str, Any],
    previous_indicators: pl.DataFrame | None = None,
    current_indicators: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The rows of `current` whose status or numbers differ from `previous`, with a `cause`.

    `causes` lists every cause that applies, `cause` is the first in this precedence:
    new_row (no previous row) > changed_target (the catalog entry's method fields, or the
    row's target kind, amount, direction, years or unit) > changed_method (the method settings)
    > new_data_point (a later latest year) > revised_baseline (baseline value, se or year)
    > revised_latest (latest value or se in the same year, or an earlier latest year, i.e. a
    removed value). Deliberate decisions come first because they explain every row they touch;
    among data changes a new point outweighs revisions. Without previous settings the method
    is assumed unchanged (nothing to compare with). A row that differs for none of these
    reasons (e.g. a code change) gets changed_method.
    """
    method_changed = previous_settings is not None and previous_settings != current_settings
    if previous_indicators is not None and current_indicators is not None:
        catalog_changes = changed_indicators(previous_indicators, current_indicators)
    else:
        catalog_changes = pl.DataFrame(
            schema={
                "catalog_id": pl.String,
                "indicator_id": pl.String,
                "catalog_changed": pl.Boolean,
            }
        )
    row_target = ("target_kind", "target_amount", "direction", "baseline_year_planned",
                  "target_year", "unit")  # fmt: skip
    compared = sorted(set(COMPARED_COLUMNS) | set(row_target))
    earlier = previous.select(*ROW_KEY, *compared, present=pl.lit(True))
    joined = current.join(earlier, on=ROW_KEY, how="left", suffix="_previous").join(
        catalog_changes, on=list(INDICATOR_KEY), how="left"
    )
    is_new = pl.col("present").is_null()
    same_latest_year = pl.col("latest_year").eq_missing(pl.col("latest_year_previous"))
    flags = {
        "new_row": is_new,
        "changed_target": pl.col("catalog_changed").fill_null(False)
        | pl.any_horizontal([differs(name) for name in row_target]),
        "changed_method": pl.lit(method_changed),
        "new_data_point": pl.col("latest_year") > pl.col("latest_year_previous"),
        "revised_baseline": differs("baseline_value")
        | differs("baseline_se")
        | differs("baseline_year"),
        "revised_latest": (same_latest_year & (differs("latest_value") | differs("latest_se")))
        | (pl.col("latest_year") < pl.col("latest_year_previous"))
        | (pl.col("latest_year").is_null() & pl.col("latest_year_previous").is_not_null()),
    }
    changed = is_new | pl.any_horizontal([differs(name) for name in COMPARED_COLUMNS])
    causes = pl.concat_list(
        [pl.when(flag.fill_null(False)).then(pl.lit(name)) for name, flag in flags.items()]
    ).list.drop_nulls()
    return (
        joined.filter(changed)
        .with_columns(causes=causes)
        .with_columns(
            cause=pl.col("causes").list.first().fill_null("changed_method"),
        )
        .select(*current.columns, "cause", "causes")
        .sort(*INDICATOR_KEY, "area_id", pl.col("gender").replace_strict(GENDER_ORDER))
    )
