"""The Swedish sentences of status rows: what changed, what the target was, and the status.

Written as polars expressions over the status rows, so every row's sentence is built at once
(issue 13: one Python call per row cost more than the method itself). Each sentence is a
function returning an expression; `explanation()` joins them. Numbers go through
`number()`: decimal comma, one decimal, a true minus sign, a no-break space between thousands,
the same text as models.swedish.format_number. Computation keeps full precision; only the text
is rounded, and a displayed change is the difference of the displayed values.
"""

from __future__ import annotations

import polars as pl

from models.catalog import SHARE_UNITS, UNITS
from models.status import STATUSES

SURVEY_NAMES = {"livohalsa": "Liv & Hälsa", "hlv": "Hälsa på lika villkor"}
LABELS = {status.code: status.label for status in STATUSES}
CHANGE_WORDS = {unit: words for unit, (_, words) in UNITS.items()}
NO_BREAK_SPACE = "\u00a0"
MINUS = "−"
# statuses that rest on a change: a change too small for one decimal is shown with two
DECISIVE = ("improving", "worsening", "on_track", "right_direction")

c = pl.col


def text(value: str) -> pl.Expr:
    return pl.lit(value, dtype=pl.String)


def join(*parts: pl.Expr | str) -> pl.Expr:
    """Concatenate; a null part counts as empty text."""
    return pl.concat_str(
        [text(p) if isinstance(p, str) else p.fill_null("") for p in parts], separator=""
    )


# --- numbers ---------------------------------------------------------------------------------


def _grouped(whole: pl.Expr) -> pl.Expr:
    """A non-negative whole number with a no-break space between thousands: 4321 → "4 321"."""

    def part(expr: pl.Expr) -> pl.Expr:
        return expr.cast(pl.String).str.zfill(3)

    millions, thousands, units = whole // 1_000_000, (whole // 1000) % 1000, whole % 1000
    return (
        pl.when(whole < 1000)
        .then(whole.cast(pl.String))
        .when(whole < 1_000_000)
        .then(join((whole // 1000).cast(pl.String), NO_BREAK_SPACE, part(units)))
        .otherwise(
            join(
                millions.cast(pl.String),
                NO_BREAK_SPACE,
                part(thousands),
                NO_BREAK_SPACE,
                part(units),
            )
        )
    )


def number(value: pl.Expr, decimals: int = 1, signed: bool = False) -> pl.Expr:
    """12.345 → "12,3"; signed: 3.1 → "+3,1", −0.04 → "0,0"; null → "–"."""
    scale = 10**decimals
    scaled = (value * scale).round(0).cast(pl.Int64)
    size = scaled.abs()
    digits = _grouped(size // scale)
    if decimals:
        digits = join(digits, ",", (size % scale).cast(pl.String).str.zfill(decimals))
    sign = pl.when(scaled < 0).then(text(MINUS))
    if signed:
        sign = sign.when(scaled > 0).then(text("+"))
    return (
        pl.when(value.is_null()).then(text("–")).otherwise(join(sign.otherwise(text("")), digits))
    )


def rounded(value: pl.Expr) -> pl.Expr:
    """The value as displayed with one decimal, as a number."""
    return (value * 10).round(0) / 10


def words() -> pl.Expr:
    """The change words of the row's unit: "procentenheter", "per 100 000 invånare"."""
    return c("unit").replace_strict(CHANGE_WORDS, default="", return_dtype=pl.String)


def value_text(value: pl.Expr) -> pl.Expr:
    """85.71 → "85,7 %"; 4321 per 100 000 → "4 321,0 per 100 000 invånare"."""
    shown = number(value)
    return (
        pl.when(c("unit").is_in(list(SHARE_UNITS)))
        .then(join(shown, " %"))
        .when(c("unit") == "index")
        .then(shown)
        .otherwise(join(shown, " ", words()))
    )


def amount_text(amount: pl.Expr, signed: bool = True) -> pl.Expr:
    """Target amounts as the documents write them: "+2", "−1 000", "+2,5"."""
    whole = amount.round(0) == amount
    return pl.when(whole).then(number(amount, 0, signed)).otherwise(number(amount, 1, signed))


# --- the reasons a row is not assessable ---------------------------------------------------


def missing_baseline_reason_expr(window: int) -> pl.Expr:
    """Why the baseline is missing, naming the neighbouring years tried and the survey."""
    planned = c("baseline_year_planned")
    where = pl.when(c("survey").is_not_null()).then(join(" i ", c("survey")))
    missing = join("Värde för basåret ", planned.cast(pl.String), " saknas", where, ".")
    if window <= 0:
        return missing
    if window == 1:
        return pl.format(
            "{} Inget värde finns heller för {} eller {}.", missing, planned - 1, planned + 1
        )
    return pl.format(
        "{} Inget värde finns heller för åren {}–{}.", missing, planned - window, planned + window
    )


def comparison_note_expr() -> pl.Expr:
    """The warning when baseline and latest are multi-year windows that share years."""
    window = c("window_years").fill_null(1)
    return pl.when(
        c("latest_year").is_not_null()
        & c("baseline_year").is_not_null()
        & (window > 1)
        & (c("latest_year") - c("baseline_year") < window)
    ).then(
        pl.format(
            "Basvärdet och det senaste värdet är medelvärden över {} år som delar år, "
            "så de är inte oberoende mätningar.",
            window,
        )
    )


# --- the sentences -------------------------------------------------------------------------


def period_text(year: pl.Expr) -> pl.Expr:
    """A period as the reader should see it: "2022", or "2020–2022" for a 3-year mean."""
    window = c("window_years").fill_null(1)
    return (
        pl.when(window <= 1)
        .then(year.cast(pl.String))
        .otherwise(join((year - window + 1).cast(pl.String), "–", year.cast(pl.String)))
    )


def change_sentence() -> pl.Expr:
    """ "Andelen har ökat från 85,7 % (2017) till 88,8 % (2023), +3,1 procentenheter." """
    means = c("uses_means").fill_null(False)
    first = pl.when(means).then("baseline_mean").otherwise("baseline_value")
    last = pl.when(means).then("latest_mean").otherwise("latest_value")
    baseline_note = (
        pl.when(c("baseline_year") == c("baseline_year_planned"))
        .then(join("(", period_text(c("baseline_year")), ")"))
        .otherwise(
            join(
                "(",
                period_text(c("baseline_year")),
                ", närmaste år till basåret ",
                c("baseline_year_planned").cast(pl.String),
                ")",
            )  # fmt: skip
        )
    )
    single = join(
        value_text(first), " ", baseline_note, " till ", value_text(last), " (",
        period_text(c("latest_year")), ")",
    )  # fmt: skip
    averaged = join(
        value_text(first), " (medelvärdet ", c("baseline_mean_from").cast(pl.String), "–",
        c("baseline_mean_to").cast(pl.String), ") till ", value_text(last), " (medelvärdet ",
        c("latest_mean_from").cast(pl.String), "–", c("latest_mean_to").cast(pl.String), ")",
    )  # fmt: skip
    shown_change = rounded(rounded(last) - rounded(first))
    tiny = (shown_change == 0) & c("status").is_in(DECISIVE)
    shown = (
        pl.when(tiny).then(number(c("change"), 2, True)).otherwise(number(shown_change, 1, True))
    )
    verb = (
        pl.when((shown_change == 0) & ~tiny)
        .then(text("har i stort sett inte förändrats"))
        .when(c("change") > 0)
        .then(text("har ökat"))
        .otherwise(text("har minskat"))
    )
    relative = pl.when((c("target_kind") == "percent") & (first != 0)).then(
        join(" (", number(100 * c("change") / first, 1, True), " %)")
    )
    subject = (
        pl.when(means)
        .then(text("Medelvärdet"))
        .when(c("target_kind") == "gap")
        .then(text("Skillnaden mellan kvinnor och män"))
        .when(c("unit").is_in(list(SHARE_UNITS)))
        .then(text("Andelen"))
        .otherwise(text("Värdet"))
    )
    return join(
        subject, " ", verb, " från ", pl.when(means).then(averaged).otherwise(single), ", ",
        shown, " ", words(), relative, ".",
    )  # fmt: skip


def target_sentence() -> pl.Expr:
    kind, year = c("target_kind"), c("target_year").cast(pl.String)
    goal = value_text(c("target_value"))
    way = pl.when(c("direction") > 0)
    share_or_value = pl.when(c("unit").is_in(list(SHARE_UNITS))).then(text("andelen"))
    return (
        pl.when(kind.is_in(["pp", "units"]))
        .then(
            join(
                "Målet var ",
                amount_text(c("direction") * c("target_amount")),
                " ",
                words(),
                " till ",
                year,
                " (",
                goal,
                ").",
            )  # fmt: skip
        )
        .when(kind == "percent")
        .then(
            join(
                "Målet var ",
                way.then(text("en ökning")).otherwise(text("en minskning")),
                " med ",
                amount_text(c("target_amount"), signed=False),
                " % från basvärdet till ",
                year,
                " (",
                goal,
                ").",
            )  # fmt: skip
        )
        .when(kind == "level")
        .then(join("Målet var att nå ", goal, " till ", year, "."))
        .when(kind == "gap")
        .then(text("Målet är att skillnaden mellan kvinnor och män ska minska."))
        .otherwise(
            join(
                "Målet anger bara riktningen: ",
                share_or_value.otherwise(text("värdet")),
                " ska ",
                way.then(text("öka")).otherwise(text("minska")),
                ".",
            )  # fmt: skip
        )
    )


def status_sentence(uncertain_factor: float) -> pl.Expr:
    status, label = c("status"), c("status").replace_strict(LABELS, return_dtype=pl.String)
    margin = join("±", number(c("change_margin")), " ", words())
    noise = c("sigma").is_not_null()  # the margin comes from the year-to-year variation
    how_much = "mer än dubbelt så stor som" if uncertain_factor == 2 else (
        f"mer än {str(uncertain_factor).replace('.', ',')} gånger så stor som"
    )  # fmt: skip
    ahead = c("ahead_of_path")
    return (
        pl.when(status == "too_uncertain")
        .then(
            join(
                label,
                ": ",
                pl.when(noise)
                .then(text("den normala variationen mellan åren"))
                .otherwise(text("felmarginalen för förändringen")),
                " (",
                margin,
                ") är ",
                how_much,
                " hela målet (",
                number(c("required_change")),
                " ",
                words(),
                ").",
            )  # fmt: skip
        )
        .when((status == "no_change") & noise)
        .then(
            join(
                label,
                ": skillnaden är mindre än den normala variationen mellan åren (",
                margin,
                ").",
            )
        )
        .when((status == "no_change") & c("se_change").is_not_null())
        .then(join(label, ": förändringen ryms inom felmarginalen (", margin, ")."))
        .when((status == "no_change") & c("noise_floor").is_not_null())
        .then(
            join(
                label,
                ": förändringen är mindre än tröskeln ",
                number(c("noise_floor")),
                " ",
                words(),
                ".",
            )  # fmt: skip
        )
        .when(status == "right_direction")
        # direction and gap targets have no pace, so "för långsamt" would say too much
        .then(join(label, "; målet anger ingen takt att jämföra med."))
        .when(status.is_in(["on_track", "improving"]) & ahead.is_not_null())
        .then(
            join(
                label,
                ": ",
                number(ahead.abs()),
                " ",
                words(),
                " ",
                pl.when(ahead >= 0).then(text("före")).otherwise(text("efter")),
                " målbanan (väntat ",
                value_text(c("expected_value")),
                " år ",
                c("latest_year").cast(pl.String),
                ").",
            )  # fmt: skip
        )
        .otherwise(join(label, "."))
    )


def outlier_sentence() -> pl.Expr:
    return pl.when(c("baseline_outlier").fill_null(False)).then(
        join(
            " Basåret ",
            c("baseline_year").cast(pl.String),
            " avviker kraftigt från åren runt "
            "omkring, så ett mål räknat från det är ovanligt lätt eller svårt att nå.",
        )  # fmt: skip
    )


def survey_sentence() -> pl.Expr:
    return pl.when(c("survey").is_not_null()).then(
        join(
            " Värdena kommer från ",
            c("survey"),
            " ",
            c("baseline_year").cast(pl.String),
            " och ",
            c("latest_year").cast(pl.String),
            ".",
        )  # fmt: skip
    )


def explanation(uncertain_factor: float) -> pl.Expr:
    """The one-sentence (a few short sentences) Swedish explanation of every status row."""
    assessed = join(
        change_sentence(), " ", target_sentence(), " ", status_sentence(uncertain_factor),
        outlier_sentence(), survey_sentence(),
        pl.when(c("comparison_note").is_not_null()).then(join(" ", c("comparison_note"))),
    )  # fmt: skip
    return (
        pl.when(c("status") == "not_assessable")
        .then(join(c("reason"), " ", LABELS["not_assessable"], "."))
        .otherwise(assessed)
    )
