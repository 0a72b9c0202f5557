"""The synthetic study's parameters: dates, areas, covariate mix, outcome model, exports.

Everything the generator draws from is declared here as data; see the package docstring
(`pipeline.synth`) for the model these numbers feed.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

# --- the study -----------------------------------------------------------------------------

# Bumped whenever the same seed and size give other files (2: ten areas; 4: the healthcare
# and dental exports; 5: truth.json's language denominator, and with it the synthetic
# municipalities' planted language effect), so that a cached demo study written by an older
# generator is written again.
GENERATOR_VERSION = 5
_CHUNK_CHILDREN = 20_000  # children per generated chunk; output depends on it, n and seed only

EXTRACTION_DATE = dt.date(2024, 6, 30)
BORN_FROM = dt.date(2017, 1, 1)
BORN_TO = dt.date(2023, 12, 31)
PROGRAMME_START = dt.date(2020, 9, 1)
ROTA_FROM = dt.date(2019, 9, 1)  # rotavirus in the national programme for children born from


@dataclass(frozen=True)
class SynthArea:
    """One district of the synthetic region: its arm, size, BVC, screening age and families."""

    name: str
    intervention: bool
    share: float  # of all children in the study
    bvc: str  # the BVC unit as the export spells it (two small districts share one)
    screening: str  # language screening age at its BVC: "30m" (2,5 år) or "36m" (3 år)
    mother_region: tuple[float, float, float, float]  # shares of REGIONS
    disadvantage: float  # area effect beyond the families' covariates, in units of AREA_SHIFT


# The region: two intervention districts and eight comparison districts (issue 9: with 2 + 8
# areas a randomisation test over assignments of areas to arms can go down to 1/45). The
# intervention districts are the most disadvantaged (most mothers born outside Europe, an
# area effect of their own); the comparison districts vary: Kvarnbäcken and Tallmyra are much
# like them, Lövängen, Åsbyhöjden and Granlunda in between, Ängsbacka, Östra Lindås and
# Sjöviken affluent. Language screening is at 2,5 years in Norrbyåsen, Tallmyra and Ängsbacka
# (their BVCs follow the 2,5-year routine), at 3 years elsewhere.
AREA_TABLE: tuple[SynthArea, ...] = (
    SynthArea("Norrbyåsen", True, 0.22, "BVC Norrbyåsen", "30m", (0.25, 0.03, 0.12, 0.60), 1.0),
    SynthArea("Söderängen", True, 0.18, "Söderängens BVC", "36m", (0.35, 0.03, 0.12, 0.50), 0.6),
    SynthArea("Lövängen", False, 0.090, "BVC Lövängen", "36m", (0.57, 0.04, 0.13, 0.26), 0.0),
    SynthArea("Åsbyhöjden", False, 0.085, "Åsbyhöjdens BVC", "36m", (0.62, 0.04, 0.12, 0.22),
              -0.2),
    SynthArea("Kvarnbäcken", False, 0.080, "Kvarnbäckens familjecentral", "36m",
              (0.36, 0.03, 0.13, 0.48), 0.5),
    SynthArea("Tallmyra", False, 0.075, "BVC Tallmyra", "30m", (0.44, 0.03, 0.13, 0.40), 0.3),
    SynthArea("Granlunda", False, 0.075, "Granlunda vårdcentral, BVC", "36m",
              (0.52, 0.04, 0.14, 0.30), 0.1),
    SynthArea("Ängsbacka", False, 0.070, "BVC Ängsbacka", "30m", (0.68, 0.05, 0.11, 0.16), 0.0),
    SynthArea("Östra Lindås", False, 0.065, "Lindås BVC", "36m", (0.78, 0.05, 0.09, 0.08), -0.2),
    SynthArea("Sjöviken", False, 0.060, "Lindås BVC", "36m", (0.84, 0.05, 0.06, 0.05), -0.3),
)


INTERVENTION_AREAS = tuple(a.name for a in AREA_TABLE if a.intervention)
COMPARISON_AREAS = tuple(a.name for a in AREA_TABLE if not a.intervention)
AREAS = tuple(a.name for a in AREA_TABLE)  # the area code of a child indexes this tuple
if AREAS != INTERVENTION_AREAS + COMPARISON_AREAS:
    raise RuntimeError("AREA_TABLE must list the intervention areas first")
AREA_SHARES = tuple(a.share for a in AREA_TABLE)
if not math.isclose(sum(AREA_SHARES), 1.0):
    raise RuntimeError(f"AREA_TABLE shares sum to {sum(AREA_SHARES)}, not 1")
BVC_UNITS = tuple(a.bvc for a in AREA_TABLE)
SCREENING_BY_AREA = tuple(a.screening for a in AREA_TABLE)
SCREENING_AGE_DAYS = {"30m": 913, "36m": 1095}
SCREENING_WINDOW = (-30, 90)  # days around the screening age; rows are drawn within -14..+75


REGIONS = ("sweden", "nordic", "europe", "outside_europe")
EDUCATIONS = ("compulsory", "upper_secondary", "post_secondary")
# Selection: intervention areas have more mothers born outside Europe (rows: areas).
REGION_BY_AREA = np.array([a.mother_region for a in AREA_TABLE])
EDUCATION_BY_REGION = np.array([[0.07, 0.38, 0.55],
                                [0.08, 0.40, 0.52],
                                [0.12, 0.38, 0.50],
                                [0.35, 0.40, 0.25]])
EDUCATION_SHIFT_INTERVENTION = 0.06  # moved from post-secondary to compulsory in intervention areas
INTERPRETER_BY_REGION = np.array([0.003, 0.02, 0.20, 0.45])
MOTHER_AGE_BY_REGION = np.array([31.0, 31.0, 30.0, 28.5])
FIRST_CHILD_BY_REGION = np.array([0.47, 0.47, 0.46, 0.40])
FIRST_IN_SWEDEN_IF_ABROAD = 0.30  # older siblings born abroad, mother born outside Sweden
MOVE_OUT_PROBABILITY = 0.075
ACCEPT_PROBABILITY = 0.87
ACCEPT_PROBABILITY_INTERPRETER = 0.80
DECLINE_REASONS = ("Vill inte ha hembesök", "Har stöd från släkten", "Ingen tid",
                   "Flyttar inom kort", "Tackar nej, ingen orsak angiven", "Upplever inget behov")


# --- the outcome model ---------------------------------------------------------------------

TERMS = ("region_nordic", "region_europe", "region_outside_europe", "education_compulsory",
         "education_post_secondary", "mother_age_per_5y_over_30", "interpreter_needed", "male",
         "outside_europe_in_intervention_area")

OUTCOME_FAMILIES = ("bf_any", "bf_excl", "vacc_dtp3", "vacc_pcv3", "vacc_mmr1", "vacc_rota",
                    "lang_screened", "lang_no_deviation")

# True programme effects: odds ratios among families who accepted (none among decliners).
DEFAULT_EFFECTS: dict[str, float] = {
    "bf_any": 1.5, "bf_excl": 1.4, "vacc_dtp3": 1.3, "vacc_pcv3": 1.3, "vacc_mmr1": 1.8,
    "vacc_rota": 1.0, "lang_screened": 2.0, "lang_no_deviation": 1.3,
}

COEFFICIENTS: dict[str, dict[str, float]] = {
    "bf_any": {"region_europe": 0.1, "region_outside_europe": 0.3, "education_compulsory": -0.35,
               "education_post_secondary": 0.35, "mother_age_per_5y_over_30": 0.1,
               "interpreter_needed": -0.1},
    "bf_excl": {"region_outside_europe": -0.3, "education_compulsory": -0.3,
                "education_post_secondary": 0.3, "mother_age_per_5y_over_30": 0.1,
                "interpreter_needed": -0.2},
    "vacc_dtp3": {"region_europe": -0.4, "region_outside_europe": -1.0,
                  "education_compulsory": -0.5,
                  "education_post_secondary": 0.3, "mother_age_per_5y_over_30": 0.1,
                  "interpreter_needed": -0.3},
    "vacc_pcv3": {"region_europe": -0.4, "region_outside_europe": -1.0,
                  "education_compulsory": -0.5,
                  "education_post_secondary": 0.3, "mother_age_per_5y_over_30": 0.1,
                  "interpreter_needed": -0.3},
    "vacc_mmr1": {"region_europe": -0.5, "region_outside_europe": -1.2,
                  "education_compulsory": -0.4,
                  "education_post_secondary": 0.2, "interpreter_needed": -0.3,
                  "outside_europe_in_intervention_area": -0.8},
    "vacc_rota": {"region_europe": -0.3, "region_outside_europe": -0.8,
                  "education_compulsory": -0.3,
                  "interpreter_needed": -0.2},
    "lang_screened": {"region_outside_europe": -0.6, "education_compulsory": -0.3,
                      "interpreter_needed": -0.4},
    "lang_no_deviation": {"region_europe": -0.3, "region_outside_europe": -1.0,
                          "education_compulsory": -0.4, "education_post_secondary": 0.3,
                          "interpreter_needed": -0.5, "male": -0.5},
}
# Area effects on the logit, constant over time and not study covariates:
#     area effect[area, family] = disadvantage[area] * AREA_SHIFT[family]
#                                 + AREA_VARIATION sd[family] * z[area, domain of family]
# The first term is the area's own disadvantage beyond its families' covariates (services,
# housing, local norms; Norrbyåsen = 1, see AREA_TABLE). The second is random variation
# between areas, so that areas differ beyond chance even at equal covariates: z ~ N(0, 1) is
# drawn once per study from its seed (stream [seed, 0, 8], independent of the chunks) and is
# shared by the families of one domain (DTaP, PCV and rotavirus are given at the same
# visits). An SD of 0.10-0.25 on the logit is an intra-area correlation of about 0.003-0.02
# on the latent scale (sd^2 / (sd^2 + pi^2 / 3)), modest as between districts of one region.
AREA_SHIFT: dict[str, float] = {
    "bf_any": -0.2, "bf_excl": -0.15, "vacc_dtp3": -0.3, "vacc_pcv3": -0.3, "vacc_mmr1": -0.4,
    "vacc_rota": -0.2, "lang_screened": -0.2, "lang_no_deviation": -0.1,
}
AREA_DOMAINS = ("breastfeeding", "infant_vaccination", "mmr", "screening", "language")
AREA_VARIATION: dict[str, tuple[str, float]] = {  # family -> (domain, SD on the logit)
    "bf_any": ("breastfeeding", 0.15), "bf_excl": ("breastfeeding", 0.15),
    "vacc_dtp3": ("infant_vaccination", 0.20), "vacc_pcv3": ("infant_vaccination", 0.20),
    "vacc_rota": ("infant_vaccination", 0.20), "vacc_mmr1": ("mmr", 0.25),
    "lang_screened": ("screening", 0.20), "lang_no_deviation": ("language", 0.10),
}
TREND_PER_YEAR: dict[str, float] = {  # secular trend, per year of birth after programme start
    "bf_any": -0.03, "bf_excl": -0.02, "vacc_dtp3": 0.0, "vacc_pcv3": 0.0, "vacc_mmr1": 0.05,
    "vacc_rota": 0.05, "lang_screened": 0.03, "lang_no_deviation": 0.0,
}
# Reference child: mother born in Sweden, upper-secondary education, aged 30, no interpreter,
# girl, area effect 0. Curves: (age in days, probability) knots, linear on the logit scale.
CURVES: dict[str, tuple[tuple[float, float], ...]] = {
    "bf_any": ((0, 0.96), (7, 0.93), (60, 0.85), (120, 0.76), (183, 0.64), (240, 0.52),
               (365, 0.25), (500, 0.10), (800, 0.03)),
    "bf_excl": ((0, 0.85), (7, 0.80), (60, 0.65), (120, 0.52), (183, 0.12), (240, 0.03),
                (365, 0.005)),
    "vacc_dtp3": ((330, 0.001), (365, 0.05), (380, 0.5), (400, 0.8), (450, 0.9), (550, 0.95),
                  (730, 0.985), (1000, 0.99), (1500, 0.993)),
    "vacc_pcv3": ((330, 0.001), (365, 0.05), (380, 0.5), (400, 0.8), (450, 0.9), (550, 0.94),
                  (730, 0.98), (1000, 0.986), (1500, 0.99)),
    "vacc_mmr1": ((500, 0.001), (540, 0.02), (548, 0.35), (560, 0.6), (580, 0.8), (609, 0.88),
                  (650, 0.93), (730, 0.975), (900, 0.982), (1200, 0.986), (1800, 0.988)),
}
BASELINE: dict[str, float] = {"vacc_rota": 0.92, "lang_screened": 0.92, "lang_no_deviation": 0.85}
REFERRAL_IF_DEVIATION = 0.6
REFERRAL_IF_NO_REMARK = 0.02
BF_MISSING = 0.10  # each measurement point missing independently
BF_EXTRA = 0.08  # an extra assessment between windows
NOT_SCREENED_ROW = 0.4  # share of unscreened children with an "ej genomförd" row

# Breastfeeding measurement points and windows (age in days) as in Socialstyrelsen's statistics.
BF_POINTS = {"1w": (0, 18), "2m": (42, 82), "4m": (105, 143), "6m": (167, 213), "8m": (227, 274),
             "12m": (335, 426)}
_BF_DRAW_FROM = {"1w": 2}  # the first assessment is not made on the day of birth
_BF_GAPS = ((19, 41), (83, 104), (144, 166), (214, 226), (275, 334))

# Rinkeby programme contacts (target day, window) — the preset's planned contacts.
PROGRAMME_CONTACTS = ((10, (0, 28)), (61, (40, 82)), (122, (92, 152)), (243, (213, 273)),
                      (335, (305, 365)), (456, (411, 501)))
CLINIC_VISIT_AGES = ((28, 6), (42, 6), (61, 6), (91, 10), (122, 10), (152, 10), (183, 10),
                     (243, 10), (304, 10), (365, 10), (548, 20), (913, 30), (1095, 30),
                     (1460, 30), (1825, 30))


# --- healthcare use and dental health (issue 13) ---------------------------------------------

# Healthcare contacts (vardkontakter) over the first three years: for each care form a Poisson
# process in continuous time, rate per child-year
#     lambda_i(age) = base[form][age band] * exp(covariates_i · beta[form] + area effect[form]
#                     + trend[form] * years since programme start) * RR[form] ^ [accepted]
# (the programme's rate ratio among accepting families, as the odds ratios above). The export,
# like a register, lists one contact per child, day and care form: several events of one form
# on one day are one row, so a day has a contact with probability 1 - exp(-lambda / 365.25),
# which truth.json uses for the expected counts. No contact before CARE_FROM_DAY (the birth stay
# is the maternity ward's, not in this export) nor after CARE_TO_DAY, moving out or extraction.
CARE_FORMS = ("emergency", "primary", "inpatient", "other")
CARE_BANDS = ((3, 365), (365, 730), (730, 1096))  # age in days [from, to): years 1, 2 and 3
CARE_FROM_DAY, CARE_TO_DAY = CARE_BANDS[0][0], CARE_BANDS[-1][1]
CARE_BASE_RATE: dict[str, tuple[float, float, float]] = {  # reference child, per child-year
    "emergency": (0.40, 0.30, 0.20), "primary": (2.2, 1.6, 1.1), "inpatient": (0.07, 0.05, 0.04),
    "other": (0.45, 0.30, 0.30),
}
CARE_COEFFICIENTS: dict[str, dict[str, float]] = {  # log rate ratios (TERMS)
    "emergency": {"region_outside_europe": 0.25, "education_compulsory": 0.15,
                  "education_post_secondary": -0.10, "mother_age_per_5y_over_30": -0.05,
                  "interpreter_needed": 0.10, "male": 0.10},
    "primary": {"region_outside_europe": -0.10, "education_post_secondary": 0.05, "male": 0.05},
    "inpatient": {"region_outside_europe": 0.20, "education_compulsory": 0.15,
                  "interpreter_needed": 0.10, "male": 0.15},
    "other": {"education_post_secondary": 0.10},
}
# Area effect on the log rate: disadvantage * shift + sd * z[area], z ~ N(0, 1) per form from the
# stream [seed, 0, care_areas] (own stream: the core exports' area effects are drawn as before).
CARE_AREA_SHIFT = {"emergency": 0.10, "primary": -0.05, "inpatient": 0.05, "other": 0.0}
CARE_AREA_SD = {"emergency": 0.10, "primary": 0.10, "inpatient": 0.10, "other": 0.10}
CARE_TREND_PER_YEAR = {"emergency": -0.02, "primary": 0.0, "inpatient": 0.0, "other": 0.0}
# Planted programme effects among accepting families: rate ratios of the care forms, the odds
# ratio of caries at 3 years and the rate ratio of the deft count among children with caries.
DEFAULT_CARE_EFFECTS: dict[str, float] = {
    "care_emergency": 0.80, "care_primary": 1.0, "care_inpatient": 0.85, "care_other": 1.0,
    "dental_caries": 0.70, "dental_deft": 0.85,
}
CARE_REASONS: dict[str, tuple[str, ...]] = {  # orsak, as recorded (never a personal detail)
    "emergency": ("feber", "andningsbesvär", "kräkningar och diarré", "fall, skalltrauma",
                  "öroninflammation", "förgiftningstillbud", "falsk krupp"),
    "primary": ("hosta", "utslag", "öronvärk", "förkylning", "ögoninflammation", "återbesök"),
    "inpatient": ("RS-virus", "gastroenterit", "pneumoni", "feberkramp", "observation"),
    "other": ("allergiutredning", "öron-näsa-hals", "barnmedicinsk mottagning", "hörselkontroll"),
}
CARE_REASON_GIVEN = 0.6  # share of contacts whose export gives an orsak

# Dental health (tandhalsa): caries at the 3-year examination. Child-level latent state: caries
# (deft > 0) with logit P = logit(DENTAL_CARIES_BASE) + covariates · beta + area effect + trend
# + log(OR) * [accepted]; a child with caries has deft = min(1 + Poisson(mu_i), DENTAL_DEFT_MAX),
# log mu_i = log(DENTAL_DEFT_EXTRA) + covariates · gamma + log(RR) * [accepted]. Every
# examination of a child records the same deft (a filled tooth stays counted).
DENTAL_CARIES_BASE = 0.17  # reference child (about 25 % in the comparison group)
DENTAL_COEFFICIENTS: dict[str, float] = {
    "region_europe": 0.3, "region_outside_europe": 1.1, "education_compulsory": 0.45,
    "education_post_secondary": -0.35, "interpreter_needed": 0.25,
    "mother_age_per_5y_over_30": -0.05,
}
DENTAL_AREA_SHIFT, DENTAL_AREA_SD = 0.20, 0.15
DENTAL_TREND_PER_YEAR = -0.03
DENTAL_DEFT_EXTRA = 1.6  # mean of the Poisson part of deft for a reference child with caries
DENTAL_DEFT_COEFFICIENTS: dict[str, float] = {"region_outside_europe": 0.25,
                                              "education_compulsory": 0.15}
DENTAL_DEFT_MAX = 20  # a child has 20 primary teeth
# Examinations: age of the first booking (days) drawn from a mixture of on time (33-42
# months), early (24-29 months) and late (49-54 months); some bookings are not kept (a row
# undersokt = nej with a blank deft, then a new booking 20-90 days later, or none); a few
# children are examined twice (the second 60-240 days after the first, same deft); some have
# no row at all. A kept examination's undersokt is blank in a share of rows (deft given).
DENTAL_AGE_MIX = ((0.92, (1004, 1278)), (0.04, (730, 899)), (0.04, (1492, 1650)))
DENTAL_NO_ROW = 0.06
DENTAL_NOT_KEPT = 0.07
DENTAL_REBOOKED = 0.7  # of bookings not kept
DENTAL_TWICE = 0.04
DENTAL_EXAMINED_BLANK = 0.10
DENTAL_WINDOW_MONTHS = (30, 48)  # the indicator's window (pipeline.indicators.healthcare)
DENTAL_TARGET_MONTHS = 36
CARE_LIMIT_MONTHS = 24


# --- vaccine products ----------------------------------------------------------------------

# Vaccine products: (series, spellings with shares); a child keeps one product per series.
_VACCINE_PRODUCTS: dict[str, tuple[tuple[tuple[str, ...], float], ...]] = {
    "dtp": ((("Infanrix hexa", "Infanrix Hexa", "INFANRIX HEXA"), 0.60),
            (("Hexyon", "HEXYON"), 0.25), (("Vaxelis",), 0.12), (("Pentavac",), 0.03)),
    "pcv": ((("Prevenar 13", "Prevenar13", "PREVENAR 13"), 0.60), (("Synflorix",), 0.25),
            (("Vaxneuvance",), 0.15)),
    "mmr": ((("M-M-RVAXPRO", "M-M-RvaxPro"), 0.55), (("Priorix",), 0.40), (("MMR",), 0.05)),
    "rota": ((("Rotarix", "ROTARIX"), 0.70), (("RotaTeq", "Rotateq"), 0.30)),
}
VACCINE_NAMES_USED: tuple[str, ...] = tuple(
    name for products in _VACCINE_PRODUCTS.values() for names, _ in products for name in names)
# What each name is meant to give (for mapping checks): antigen groups per name.
VACCINE_ANTIGENS_INTENDED: dict[str, tuple[str, ...]] = {
    **{n: ("dtp", "ipv", "hib", "hepb") for n in ("Infanrix hexa", "Infanrix Hexa", "INFANRIX HEXA",
                                                 "Hexyon", "HEXYON", "Vaxelis")},
    "Pentavac": ("dtp", "ipv", "hib"),
    **{n: ("pcv",) for n in ("Prevenar 13", "Prevenar13", "PREVENAR 13", "Synflorix",
                             "Vaxneuvance")},
    **{n: ("mmr",) for n in ("M-M-RVAXPRO", "M-M-RvaxPro", "Priorix", "MMR")},
    **{n: ("rota",) for n in ("Rotarix", "ROTARIX", "RotaTeq", "Rotateq")},
}
VACCINE_UNKNOWN_NAME = "Vaccin X"


# --- the exports ---------------------------------------------------------------------------

# Where the exports change from XLSX to CSV (a spreadsheet holds at most ~200,000 rows here).
_XLSX_MAX_ROWS = 200_000
_VISITS_PER_CHILD_BOUND = 13

DATE_FORMATS = ("iso", "compact", "iso_time", "day_first", "xlsx_date_cell", "unparseable")
_DATE_FORMAT_LABELS = {"iso": "2021-03-04", "compact": "20210304", "iso_time": "2021-03-04 10:15",
                       "day_first": "04/03/2021", "xlsx_date_cell": "xlsx date cell",
                       "unparseable": "unparseable"}
_FMT_ISO, _FMT_COMPACT, _FMT_TIME, _FMT_DMY, _FMT_CELL, _FMT_BAD = range(6)
_XLSX_DATE_MARK = "\x00"  # internal: a date string to be written as a real XLSX date cell
PNR_FORMS = ("YYYYMMDD-NNNC", "YYYYMMDDNNNC", "YYMMDD-NNNC")


@dataclass(frozen=True)
class _Export:
    """How one table is exported: file, format, delimiter, encoding, date-format shares."""

    table: str
    file: str
    delimiter: str = ","
    encoding: str = "utf-8"
    sheet: str | None = None
    date_mix: tuple[float, ...] = (0.6, 0.15, 0.15, 0.1, 0.0)  # iso, compact, time, dmy, cell
    line_end: str = "\n"

    @property
    def is_xlsx(self) -> bool:
        return self.file.endswith(".xlsx")


def _exports(n_children: int, csv_only: bool = False) -> dict[str, _Export]:
    """How each table is exported; `csv_only` writes as CSV the tables that a study this
    small would get as XLSX sheets, exported as a larger study's are (the benchmark's
    yardstick is a plain parse of CSV files)."""
    visits_xlsx = not csv_only and n_children * _VISITS_PER_CHILD_BOUND <= _XLSX_MAX_ROWS
    language_xlsx = not csv_only and n_children * 1.1 <= _XLSX_MAX_ROWS
    cell_mix = (0.45, 0.1, 0.1, 0.05, 0.3)
    return {
        "children": _Export("children", "barn.csv", ";", "cp1252",
                            date_mix=(0.7, 0.1, 0.0, 0.2, 0.0), line_end="\r\n"),
        "visits": (_Export("visits", "besok.xlsx", sheet="Besök", date_mix=cell_mix) if visits_xlsx
                   else _Export("visits", "besok.csv", ",", "utf-8-sig")),
        "breastfeeding": _Export("breastfeeding", "amning.csv", ",", "utf-8",
                                 date_mix=(0.55, 0.2, 0.15, 0.1, 0.0)),
        "vaccinations": _Export("vaccinations", "vaccinationer.csv", ";", "utf-8-sig",
                                date_mix=(0.5, 0.25, 0.1, 0.15, 0.0)),
        "language": (_Export("language", "sprak.xlsx", sheet="Språkscreening", date_mix=cell_mix)
                     if language_xlsx else _Export("language", "sprak.csv", ";", "utf-8")),
        # the optional exports of issue 13: a region's care register, a dental-care system
        "care_contacts": _Export("care_contacts", "vardkontakter.csv", ";", "utf-8-sig",
                                 date_mix=(0.5, 0.2, 0.2, 0.1, 0.0), line_end="\r\n"),
        "dental": _Export("dental", "tandhalsa.csv", ";", "cp1252",
                          date_mix=(0.6, 0.25, 0.0, 0.15, 0.0), line_end="\r\n"),
    }


HEADERS = {  # default headers of pipeline.schema, except the visits date (see column_map)
    "children": ("personnummer", "fodelsedatum", "kon", "omrade", "bvc", "forstfodd",
                 "forsta_barn_i_sverige", "mor_fodelseregion", "mor_alder", "utbildning",
                 "tolkbehov",
                 "fodelsevikt", "graviditetsvecka", "utflyttad", "erbjuden", "tackat_ja",
                 "avbojt_orsak"),
    "visits": ("personnummer", "Besöksdatum", "besokstyp", "status", "yrkesgrupper", "narvarande",
               "tolk", "besok_nr"),
    "breastfeeding": ("personnummer", "datum", "amning"),
    "vaccinations": ("personnummer", "datum", "vaccin", "dos"),
    "language": ("personnummer", "datum", "screening", "resultat", "remiss_logoped"),
    "care_contacts": ("personnummer", "datum", "vardform", "orsak"),
    "dental": ("personnummer", "datum", "deft", "undersokt"),
}
OPTIONAL_TABLES = ("care_contacts", "dental")  # written by the generator, optional in a study
_DATE_COLUMN = {"visits": "Besöksdatum", "breastfeeding": "datum", "vaccinations": "datum",
                "language": "datum", "care_contacts": "datum", "dental": "datum"}
# Streams [seed, chunk, n]: the areas' (8, 11) are drawn once per study, as chunk 0, so never
# a chunk's table stream. The healthcare and dental exports (9-11) have streams of their own,
# so that the core exports are the same bytes as before they were added.
_TABLE_STREAM = {"children": 0, "outcomes": 1, "visits": 2, "breastfeeding": 3, "vaccinations": 4,
                 "language": 5, "mess": 6, "children_rows": 7,
                 "areas": 8, "care_contacts": 9, "dental": 10, "care_areas": 11}


# --- the mess ------------------------------------------------------------------------------

MESS_RATE = 0.003  # planted rows per kind, as a share of the chunk's natural rows
MESS_MIN_FIRST_CHUNK = 2
# (dental has no category column: its last kind is a deft outside 0-20, DENTAL_MESS_KIND)
DENTAL_MESS_KIND = "deft_out_of_range"
EVENT_MESS_KINDS = ("exact_duplicate", "duplicate_conflict", "pnr_check_digit",
                    "pnr_bad_characters", "pnr_wrong_length", "date_unparseable",
                    "date_before_birth",
                    "date_after_extraction", "unknown_child", "category_unknown")
CHILDREN_EXTRA_KINDS = ("exact_duplicate", "duplicate_conflict", "pnr_check_digit",
                        "pnr_bad_characters", "pnr_wrong_length")
CHILDREN_FLAG_KINDS = ("birth_date_conflict", "sex_conflict", "samordningsnummer")
