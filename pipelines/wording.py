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


def survey_name(tag: str | None) -> str:
    """A survey's name for readers ("livohalsa" → "Liv & Hälsa"); a name passes unchanged."""
    if tag is None:
        return "okänd källa"
    return SURVEY_NAMES.get(tag, tag)


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
        [text(p) if isinstance(p, str) else p for p in parts], separator="", ignore_nulls=True
    )


# --- numbers ---------------------------------------------------------------------------------


def scaled_round(value: pl.Expr, decimals: int) -> pl.Expr:
    """round(value, decimals) · 10^decimals as a whole number, exactly as Python rounds.

    Python rounds the exact binary value (162.35 is stored as 162.3499… and becomes 162.3;
    exact ties go to even); multiplying by 10 first would round the tie the other way. So
    10^d·x is computed exactly as p + e (Dekker's product: x split into halves of 26 bits,
    10^d has no low part) and compared with the tie f + 0.5, which is exact near p. Null (and
    a non-finite value) gives null.
    """
    scale = float(10**decimals)
    product = value * scale
    split = 134217729.0 * value  # 2^27 + 1
    high = split - (split - value)
    error = (high * scale - product) + (value - high) * scale
    floor = product.floor()
    above_tie = (product - (floor + 0.5)) + error
    return (
        pl.when(above_tie > 0)
        .then(floor + 1)
        .when(above_tie < 0)
        .then(floor)
        .otherwise(floor + floor % 2)  # an exact tie: to even
        .cast(pl.Int64, strict=False)
    )


def with_scaled(frame: pl.DataFrame, wanted: dict[str, tuple[pl.Expr, int]]) -> pl.DataFrame:
    """Add scaled_round of several values as columns, in stages that each refer only to
    columns: one nested expression per number made polars' plans so large that planning cost
    more than the work (wanted: output name -> (value, decimals))."""
    names = list(wanted)
    staged = frame.with_columns(
        *[value.alias(f"{name}_v") for name, (value, _) in wanted.items()]
    ).with_columns(
        *[(c(f"{n}_v") * float(10 ** wanted[n][1])).alias(f"{n}_p") for n in names],
        *[(134217729.0 * c(f"{n}_v")).alias(f"{n}_split") for n in names],
    )
    staged = staged.with_columns(
        *[(c(f"{n}_split") - (c(f"{n}_split") - c(f"{n}_v"))).alias(f"{n}_high") for n in names],
        *[c(f"{n}_p").floor().alias(f"{n}_floor") for n in names],
    )
    staged = staged.with_columns(
        *[
            (
                (c(f"{n}_p") - (c(f"{n}_floor") + 0.5))
                + (
                    (c(f"{n}_high") * float(10 ** wanted[n][1]) - c(f"{n}_p"))
                    + (c(f"{n}_v") - c(f"{n}_high")) * float(10 ** wanted[n][1])
                )
            ).alias(f"{n}_above")
            for n in names
        ]
    )
    return staged.with_columns(
        *[
            pl.when(c(f"{n}_above") > 0)
            .then(c(f"{n}_floor") + 1)
            .when(c(f"{n}_above") < 0)
            .then(c(f"{n}_floor"))
            .otherwise(c(f"{n}_floor") + c(f"{n}_floor") % 2)
            .cast(pl.Int64, strict=False)
            .alias(n)
            for n in names
        ]
    ).drop([f"{n}_{part}" for n in names for part in ("v", "p", "split", "high", "floor", "above")])


def scaled_text(scaled: pl.Expr, decimals: int = 1, signed: bool = False) -> pl.Expr:
    """A number given in units of 10^−decimals (scaled_round) as Swedish text: 123 → "12,3"."""
    size = scaled.abs()
    whole = size // 10**decimals

    def three(part: pl.Expr) -> pl.Expr:
        return part.cast(pl.String).str.zfill(3)

    # a no-break space between thousands (Python's "," grouping, as format_number writes it)
    grouped = (
        pl.when(whole < 1000)
        .then(whole.cast(pl.String))
        .when(whole < 1_000_000)
        .then(join((whole // 1000).cast(pl.String), NO_BREAK_SPACE, three(whole % 1000)))
        .otherwise(
            join(
                (whole // 1_000_000).cast(pl.String),
                NO_BREAK_SPACE,
                three((whole // 1000) % 1000),
                NO_BREAK_SPACE,
                three(whole % 1000),
            )
        )
    )
    if decimals:
        fraction = (size % 10**decimals).cast(pl.String).str.zfill(decimals)
        grouped = join(grouped, ",", fraction)
    plus = text("+") if signed else text("")
    sign = pl.when(scaled < 0).then(text(MINUS)).when(scaled > 0).then(plus).otherwise(text(""))
    return pl.when(scaled.is_null()).then(text("–")).otherwise(join(sign, grouped))


def number(value: pl.Expr, decimals: int = 1, signed: bool = False) -> pl.Expr:
    """12.345 → "12,3"; signed: 3.1 → "+3,1", −0.04 → "0,0"; null → "–" (as format_number).

    For a plain column; where many numbers are formatted, with_numbers stages scaled_round
    into columns first, which keeps the plan small.
    """
    return scaled_text(scaled_round(value, decimals), decimals, signed)


def words() -> pl.Expr:
    """The change words of the row's unit: "procentenheter", "per 100 000 invånare"."""
    return c("unit").replace_strict(CHANGE_WORDS, default="", return_dtype=pl.String)


def unit_suffix() -> pl.Expr:
    """What follows a value: " %" for a share, nothing for an index, else the unit's words."""
    return (
        pl.when(c("unit").is_in(list(SHARE_UNITS)))
        .then(text(" %"))
        .when(c("unit") == "index")
        .then(text(""))
        .otherwise(join(" ", words()))
    )


def with_unit(shown: pl.Expr) -> pl.Expr:
    """A formatted number with its unit: "85,7 %", "4 321,0 per 100 000 invånare" (the
    `_suffix` column of with_numbers)."""
    return join(shown, c("_suffix"))


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


def amount_texts(rows: pl.DataFrame) -> pl.DataFrame:
    """The target amounts as the documents write them ("+2", "−1 000", "+2,5"), formatted once
    per direction and amount rather than once per row."""
    amounts = rows.select("direction", "target_amount").unique().drop_nulls()
    signed = c("direction") * c("target_amount")
    scaled = with_scaled(
        amounts,
        {
            "_a0": (signed, 0), "_a1": (signed, 1),
            "_p0": (c("target_amount"), 0), "_p1": (c("target_amount"), 1),
        },
    )  # fmt: skip
    whole = c("target_amount").round(0) == c("target_amount")
    return scaled.select(
        "direction",
        "target_amount",
        _amount_text=pl.when(whole)
        .then(scaled_text(c("_a0"), 0, True))
        .otherwise(scaled_text(c("_a1"), 1, True)),
        _amount_plain=pl.when(whole)
        .then(scaled_text(c("_p0"), 0))
        .otherwise(scaled_text(c("_p1"), 1)),
    )


def with_numbers(rows: pl.DataFrame) -> pl.DataFrame:
    """Format each number a sentence uses once, as a column (`_`-prefixed), in stages: the
    value (only where the row's sentence uses it), its rounding, its text. Repeating a
    formatting expression in every branch of the sentences made the sentences cost more than
    the method."""
    means = c("uses_means").fill_null(False)
    status = c("status")
    paced = status.is_in(["on_track", "improving"])
    values = rows.with_columns(
        _means=means,
        _first=pl.when(means).then("baseline_mean").otherwise("baseline_value"),
        _last=pl.when(means).then("latest_mean").otherwise("latest_value"),
        _words=words(),
        _suffix=unit_suffix(),
        _expected=pl.when(paced).then("expected_value"),
        _ahead=pl.when(paced).then(c("ahead_of_path").abs()),
        _margin=pl.when(status.is_in(["too_uncertain", "no_change"])).then("change_margin"),
        _required=pl.when(status == "too_uncertain").then("required_change"),
        _floor=pl.when(status == "no_change").then("noise_floor"),
        _change_2=pl.when(status.is_in(DECISIVE) & (c("change").abs() < 0.05)).then("change"),
    ).with_columns(
        _relative=pl.when((c("target_kind") == "percent") & (c("_first") != 0)).then(
            100 * c("change") / c("_first")
        )
    )
    tenths = ("_first", "_last", "target_value", "_expected", "_ahead", "_margin", "_required",
              "_floor", "_relative")  # fmt: skip
    wanted = {f"_s{column}": (c(column), 1) for column in tenths}
    scaled = with_scaled(values, wanted | {"_s_change_2": (c("_change_2"), 2)}).with_columns(
        _shown_tenths=c("_s_last") - c("_s_first")  # the displayed values' difference
    )
    return scaled.with_columns(
        _first_text=with_unit(scaled_text(c("_s_first"))),
        _last_text=with_unit(scaled_text(c("_s_last"))),
        _goal_text=with_unit(scaled_text(c("_starget_value"))),
        _expected_text=with_unit(scaled_text(c("_s_expected"))),
        _tiny=(c("_shown_tenths") == 0) & status.is_in(DECISIVE),
        _change_2_text=scaled_text(c("_s_change_2"), 2, True),
        _change_1=scaled_text(c("_shown_tenths"), 1, True),
        _relative_text=scaled_text(c("_s_relative"), 1, True),
        _margin_text=scaled_text(c("_s_margin")),
        _required_text=scaled_text(c("_s_required")),
        _floor_text=scaled_text(c("_s_floor")),
        _ahead_text=scaled_text(c("_s_ahead")),
    ).join(amount_texts(rows), on=["direction", "target_amount"], how="left", nulls_equal=True)


def change_sentence() -> pl.Expr:
    """ "Andelen har ökat från 85,7 % (2017) till 88,8 % (2023), +3,1 procentenheter." """
    means, first_text, last_text = c("_means"), c("_first_text"), c("_last_text")
    baseline_note = (
        pl.when(c("baseline_year") == c("baseline_year_planned"))
        .then(join("(", period_text(c("baseline_year")), ")"))
        .otherwise(
            join(
                "(",
                period_text(c("baseline_year")),
                "; basåret ",
                c("baseline_year_planned").cast(pl.String),
                " saknar värde, så närmaste år med värde används)",
            )
        )
    )
    single = join(
        first_text,
        " ",
        baseline_note,
        " till ",
        last_text,
        " (",
        period_text(c("latest_year")),
        ")",
    )
    averaged = join(
        first_text,
        " (medelvärdet ",
        c("baseline_mean_from").cast(pl.String),
        "–",
        c("baseline_mean_to").cast(pl.String),
        ") till ",
        last_text,
        " (medelvärdet ",
        c("latest_mean_from").cast(pl.String),
        "–",
        c("latest_mean_to").cast(pl.String),
        ")",
    )
    shown = pl.when("_tiny").then("_change_2_text").otherwise("_change_1")
    verb = (
        pl.when((c("_shown_tenths") == 0) & ~c("_tiny"))
        .then(text("har i stort sett inte förändrats"))
        .when(c("change") > 0)
        .then(text("har ökat"))
        .otherwise(text("har minskat"))
    )
    relative = pl.when((c("target_kind") == "percent") & (c("_first") != 0)).then(
        join(" (", c("_relative_text"), " %)")
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
        subject,
        " ",
        verb,
        " från ",
        pl.when(means).then(averaged).otherwise(single),
        ", ",
        shown,
        " ",
        c("_words"),
        relative,
        ".",
    )


def target_sentence() -> pl.Expr:
    kind, year, goal = c("target_kind"), c("target_year").cast(pl.String), c("_goal_text")
    way = pl.when(c("direction") > 0)
    share_or_value = pl.when(c("unit").is_in(list(SHARE_UNITS))).then(text("andelen"))
    return (
        pl.when(kind.is_in(["pp", "units"]))
        .then(
            join(
                "Målet var ", c("_amount_text"), " ", c("_words"), " till ", year, " (", goal, ")."
            )
        )
        .when(kind == "percent")
        .then(
            join(
                "Målet var ",
                way.then(text("en ökning")).otherwise(text("en minskning")),
                " med ",
                c("_amount_plain"),
                " % från basvärdet till ",
                year,
                " (",
                goal,
                ").",
            )
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
            )
        )
    )


def status_sentence(uncertain_factor: float) -> pl.Expr:
    status, label = c("status"), c("status").replace_strict(LABELS, return_dtype=pl.String)
    unit_words = c("_words")
    margin = join("±", c("_margin_text"), " ", unit_words)
    noise = c("sigma").is_not_null()  # the margin comes from the year-to-year variation
    if uncertain_factor == 2:
        how_much = "mer än dubbelt så stor som"
    else:
        how_much = f"mer än {str(uncertain_factor).replace('.', ',')} gånger så stor som"
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
                c("_required_text"),
                " ",
                unit_words,
                ").",
            )
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
                c("_floor_text"),
                " ",
                unit_words,
                ".",
            )
        )
        .when(status == "right_direction")
        # direction and gap targets have no pace, so "för långsamt" would say too much
        .then(join(label, "; målet anger ingen takt att jämföra med."))
        .when(status.is_in(["on_track", "improving"]) & ahead.is_not_null())
        .then(
            join(
                label,
                ": ",
                c("_ahead_text"),
                " ",
                unit_words,
                " ",
                pl.when(ahead >= 0).then(text("före")).otherwise(text("efter")),
                " målbanan (väntat ",
                c("_expected_text"),
                " år ",
                c("latest_year").cast(pl.String),
                ").",
            )
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
        )
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
        )
    )


# Whose choice a baseline year is when the source document names none: the words before and
# after the year, by `baseline_basis`. One wording serves one row and the vectorised sentences.
ASSUMPTION_WORDS = {
    "adopted_year": (
        "Dokumentet anger inget basår; basåret ",
        ", året målen antogs, är projektets antagande.",
    ),
    "catalog": ("Dokumentet anger inget basår; basåret ", " är valt i katalogen."),
}


def baseline_assumption(basis: str | None, planned_year: int | None) -> str | None:
    """Say whose choice the baseline year is when the source document names none."""
    if basis not in ASSUMPTION_WORDS:
        return None
    before, after = ASSUMPTION_WORDS[basis]
    return f"{before}{planned_year}{after}"


def assumption_sentence() -> pl.Expr:
    """ " Dokumentet anger inget basår; …" when the baseline year is the project's choice."""
    planned = c("baseline_year_planned").cast(pl.String)
    return pl.coalesce(
        pl.when(c("baseline_basis") == basis).then(join(" " + before, planned, after))
        for basis, (before, after) in ASSUMPTION_WORDS.items()
    )


def with_explanation(rows: pl.DataFrame, uncertain_factor: float) -> pl.DataFrame:
    """Add `explanation`: the few short Swedish sentences that explain each status row."""
    staged = with_numbers(rows)
    assessed = join(
        change_sentence(),
        " ",
        target_sentence(),
        " ",
        status_sentence(uncertain_factor),
        outlier_sentence(),
        survey_sentence(),
        pl.when(c("comparison_note").is_not_null()).then(join(" ", c("comparison_note"))),
    )
    explanation = (
        pl.when(c("status") == "not_assessable")
        .then(join(c("reason"), " ", LABELS["not_assessable"], "."))
        .otherwise(assessed)
    )
    if "baseline_basis" in staged.columns:
        explanation = join(explanation, assumption_sentence())
    temporary = [name for name in staged.columns if name not in rows.columns]
    return staged.with_columns(explanation=explanation).drop(temporary)
