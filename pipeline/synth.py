"""The synthetic study generator (SPEC §13): realistic exports with a known truth.

`write_synthetic_study` writes a study folder that the pipeline ingests: `study.yml`, the
five core exports with the default Swedish headers of `pipeline.schema` (mixed formats,
encodings, delimiters and the mess of real exports), and `truth.json` beside them, which
the pipeline never reads: the generator's parameters, the true expected proportion of
every modelled indicator per design group, the true programme effects, and the exact
number of rows planted with each kind of mess.

Children are generated and written in fixed-size chunks (`_CHUNK_CHILDREN`), each from its
own random stream `default_rng([seed, chunk, table])`, so memory does not grow with the
number of children and the files depend only on `n_children` and `seed`.

Outcome model. Every outcome family has a linear predictor
    eta_i = covariates_i · beta + area effect + trend · years since programme start
            + log(OR) · [exposed and accepted]
and a child-level uniform draw. Time-to-event outcomes (weaning, end of exclusive
breastfeeding, third DTaP and PCV dose, first MMR) use a time-varying logistic curve,
P(still breastfed at age t) = expit(a(t) + eta_i), P(vaccinated by age t) = expit(f(t) + eta_i),
with a(t), f(t) linear in t between knots on the logit scale; the event age is obtained by
inverting the curve at the child's draw, so the odds ratio of the programme holds at every
age and each child's probability of every indicator is known exactly.

Areas (`AREA_TABLE`). The study covers ten districts of one region: two intervention areas
(Norrbyåsen, Söderängen; 40 % of the children) and eight comparison areas (60 %, 6-9 % each),
so that design-based inference over areas is possible (a randomisation test over the 45
assignments of 2 of 10 areas to the intervention arm can reach p = 1/45). Selection: the
intervention areas have the most mothers born outside Europe, a shift in education and their
own disadvantage on every outcome; the comparison areas range from two much like them to
three affluent ones. Areas also differ at random (the area effect on the logit has a modest
SD per outcome, drawn once per study from the seed; see AREA_SHIFT). Language screening is
at 2,5 years in one intervention and two comparison areas, at 3 years in the other seven.
The realised area effects, shares, mother's-region mix and screening age of every area are
written to truth.json under "parameters".
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

# --- the study -----------------------------------------------------------------------------

# Bumped whenever the same seed and size give other files (2: ten areas), so that a cached
# demo study written by an older generator is written again.
GENERATOR_VERSION = 3
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

# Where the exports change from XLSX to CSV (a spreadsheet holds at most ~200,000 rows here).
_XLSX_MAX_ROWS = 200_000
_VISITS_PER_CHILD_BOUND = 13
_XLSX_EPOCH = dt.datetime(2024, 6, 30, 0, 0, 0)

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

# --- spellings -----------------------------------------------------------------------------

# Every export spelling used, by schema vocabulary and canonical code, with its share.
CATEGORY_SPELLINGS: dict[str, dict[str, tuple[tuple[str, float], ...]]] = {
    "sex": {"female": (("flicka", 0.8), ("Flicka", 0.2)), "male": (("pojke", 0.8), ("Pojke", 0.2))},
    "region": {"sweden": (("Sverige", 1.0),), "nordic": (("Norden", 0.6), ("Övriga Norden", 0.4)),
               "europe": (("Europa", 0.6), ("Övriga Europa", 0.4)),
               "outside_europe": (("Utanför Europa", 0.8), ("utom Europa", 0.2))},
    "education": {"compulsory": (("förgymnasial", 0.7), ("Grundskola", 0.3)),
                  "upper_secondary": (("gymnasial", 0.7), ("Gymnasium", 0.3)),
                  "post_secondary": (("eftergymnasial", 0.7), ("Högskola", 0.3))},
    "boolean": {"true": (("ja", 0.8), ("Ja", 0.2)), "false": (("nej", 0.8), ("Nej", 0.2))},
    "visit_kind": {"home": (("hembesök", 0.8), ("Hembesök", 0.2)),
                   "clinic": (("mottagningsbesök", 0.6), ("Mottagning", 0.2), ("BVC-besök", 0.2)),
                   "phone": (("telefon", 0.7), ("Telefonkontakt", 0.3))},
    "visit_status": {"done": (("genomfört", 0.8), ("Genomfört", 0.2)),
                     "cancelled": (("inställt", 0.7), ("Avbokat", 0.3)),
                     "no_show": (("uteblivet", 0.7), ("Uteblev", 0.3))},
    "parents_present": {"mother": (("mamma", 1.0),), "father": (("pappa", 1.0),),
                        "both": (("båda", 0.7), ("Mamma och pappa", 0.3)),
                        "other": (("annan", 1.0),)},
    "breastfeeding": {"exclusive": (("helt ammad", 0.6), ("Helt ammad", 0.1), ("helamning", 0.3)),
                      "predominant": (("övervägande ammad", 0.8), ("Övervägande", 0.2)),
                      "partial": (("delvis ammad", 0.6), ("delamning", 0.3), ("Delvis", 0.1)),
                      "none": (("ej ammad", 0.6), ("ingen amning", 0.3), ("Ej ammad", 0.1))},
    "screening": {"18m": (("18 mån", 1.0),), "30m": (("2,5 år", 0.8), ("2½ år", 0.2)),
                  "36m": (("3 år", 0.85), ("36 mån", 0.15))},
    "language_result": {"no_remark": (("utan anmärkning", 0.7), ("Utan anmärkning", 0.2),
                                      ("u.a.", 0.1)),
                        "deviation": (("avvikelse", 0.8), ("Avvikande", 0.2)),
                        "not_done": (("ej genomförd", 0.8), ("Ej genomförd", 0.2))},
}
# Professions present, by who came: (spelling, share).
PROFESSION_SPELLINGS: dict[str, tuple[tuple[str, float], ...]] = {
    "joint": (("BVC-sjuksköterska, föräldrarådgivare", 0.6), ("BVC-ssk, Föräldrarådgivare", 0.2),
              ("Sjuksköterska,föräldrarådgivare", 0.2)),
    "nurse": (("BVC-sjuksköterska", 0.85), ("Sjuksköterska", 0.15)),
    "advisor": (("Föräldrarådgivare", 1.0),),
    "none": (("", 1.0),),
}
UNKNOWN_CATEGORY = {"visits": "oklart", "breastfeeding": "?", "language": "oklart"}
UNPARSEABLE_DATES = ("2021-13-45", "okänt", "2020-02-30", "31/02/2021", "20211345", "ej känt")

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

# --- the mess ------------------------------------------------------------------------------

MESS_RATE = 0.003  # planted rows per kind, as a share of the chunk's natural rows
MESS_MIN_FIRST_CHUNK = 2
EVENT_MESS_KINDS = ("exact_duplicate", "duplicate_conflict", "pnr_check_digit",
                    "pnr_bad_characters", "pnr_wrong_length", "date_unparseable",
                    "date_before_birth",
                    "date_after_extraction", "unknown_child", "category_unknown")
CHILDREN_EXTRA_KINDS = ("exact_duplicate", "duplicate_conflict", "pnr_check_digit",
                        "pnr_bad_characters", "pnr_wrong_length")
CHILDREN_FLAG_KINDS = ("birth_date_conflict", "sex_conflict", "samordningsnummer")

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


def _exports(n_children: int) -> dict[str, _Export]:
    visits_xlsx = n_children * _VISITS_PER_CHILD_BOUND <= _XLSX_MAX_ROWS
    language_xlsx = n_children * 1.1 <= _XLSX_MAX_ROWS
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
}
_DATE_COLUMN = {"visits": "Besöksdatum", "breastfeeding": "datum", "vaccinations": "datum",
                "language": "datum"}
_TABLE_STREAM = {"children": 0, "outcomes": 1, "visits": 2, "breastfeeding": 3, "vaccinations": 4,
                 "language": 5, "mess": 6, "children_rows": 7,
                 "areas": 8}  # once per study, as chunk 0: never a chunk's table stream


@dataclass
class SynthResult:
    """What `write_synthetic_study` wrote: paths and rows per table."""

    out_dir: Path
    study_file: Path
    truth_file: Path
    files: dict[str, Path]
    rows: dict[str, int]
    n_children: int
    seed: int
    seconds: float = 0.0
    planted: dict[str, dict[str, object]] = field(default_factory=dict)


# --- small vectorised helpers ---------------------------------------------------------------

def _days(date: dt.date) -> int:
    return (date - dt.date(1970, 1, 1)).days


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.log(p) - np.log1p(-p)


def _draw_categories(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One category per row from a row-wise probability matrix (n, k)."""
    cumulative = np.cumsum(probabilities, axis=1)
    u = rng.random(len(probabilities))[:, None] * cumulative[:, -1:]
    return np.minimum((u >= cumulative).sum(axis=1), probabilities.shape[1] - 1)


def _draw_fixed(rng: np.random.Generator, shares: tuple[float, ...] | np.ndarray,
                n: int) -> np.ndarray:
    cumulative = np.cumsum(np.asarray(shares, dtype=float))
    cumulative /= cumulative[-1]
    return np.minimum(np.searchsorted(cumulative, rng.random(n), side="right"), len(cumulative) - 1)


def _spell(rng: np.random.Generator, vocabulary: str, codes: np.ndarray,
           canonical: tuple[str, ...]) -> np.ndarray:
    """Export spellings for integer codes indexing `canonical` (one variant drawn per row)."""
    out = np.empty(len(codes), dtype=object)
    for index, code in enumerate(canonical):
        rows = np.flatnonzero(codes == index)
        if len(rows) == 0:
            continue
        variants = CATEGORY_SPELLINGS[vocabulary][code]
        names = np.array([name for name, _ in variants], dtype=object)
        out[rows] = names[_draw_fixed(rng, tuple(s for _, s in variants), len(rows))]
    return out


# Education is unknown for some mothers, more often for those born outside Europe (the
# register lacks foreign degrees): missing at random given region, so complete-case and
# multiple imputation differ a little.
EDUCATION_MISSING = {"outside_europe": 0.10, "other": 0.03}


def _with_missing_education(rng: np.random.Generator, kids: _Children,
                            spelled: np.ndarray) -> np.ndarray:
    """Blank the education of some children, drawn from a stream of its own (spawned, so the
    rest of the study is drawn as without it)."""
    (own,) = rng.spawn(1)
    chance = np.where(kids.region == REGIONS.index("outside_europe"),
                      EDUCATION_MISSING["outside_europe"], EDUCATION_MISSING["other"])
    out = spelled.copy()
    out[own.random(len(kids)) < chance] = ""
    return out


def _spell_bool(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    return _spell(rng, "boolean", np.where(values, 0, 1), ("true", "false"))


def _luhn(digits: np.ndarray) -> np.ndarray:
    """Check digits for rows of 9 digits (YYMMDDNNN): weights 2,1,2,…; digit sums of products."""
    products = digits * np.array([2, 1, 2, 1, 2, 1, 2, 1, 2])
    total = (products // 10 + products % 10).sum(axis=1)
    return (10 - total % 10) % 10


def _curve(family: str) -> tuple[np.ndarray, np.ndarray]:
    knots = CURVES[family]
    return (np.array([t for t, _ in knots], dtype=float),
            _logit(np.array([p for _, p in knots], dtype=float)))


def _curve_logit(family: str, age: np.ndarray) -> np.ndarray:
    ages, logits = _curve(family)
    return np.interp(age, ages, logits)


def _decreasing_event_age(family: str, z: np.ndarray) -> np.ndarray:
    """Age where a decreasing logit curve equals z: 0 above its start, inf below its end."""
    ages, logits = _curve(family)
    age = np.interp(z, logits[::-1], ages[::-1])
    age = np.where(z > logits[0], 0.0, age)
    return np.where(z < logits[-1], np.inf, age)


def _increasing_event_age(family: str, z: np.ndarray) -> np.ndarray:
    """First whole day where an increasing logit curve reaches z: inf above its end."""
    ages, logits = _curve(family)
    age = np.ceil(np.interp(z, logits, ages))
    return np.where(z > logits[-1], np.inf, age)


# --- calendar and personnummer --------------------------------------------------------------

class _Calendar:
    """Date strings for every day the generator can write, by format (lookup, not strftime)."""

    first = _days(BORN_FROM) - 800
    last = _days(EXTRACTION_DATE) + 800
    times = tuple(f" {h:02d}:{m:02d}" for h in range(8, 17) for m in (0, 15, 30, 45))

    def __init__(self) -> None:
        dates = pd.date_range(pd.Timestamp(self.first, unit="D"), pd.Timestamp(self.last, unit="D"),
                              freq="D")
        self.iso = np.asarray(dates.strftime("%Y-%m-%d"), dtype=object)
        self.compact = np.asarray(dates.strftime("%Y%m%d"), dtype=object)
        self.day_first = np.asarray(dates.strftime("%d/%m/%Y"), dtype=object)
        self.short = np.asarray(dates.strftime("%y%m%d"), dtype=object)
        self.year = dates.year.to_numpy()
        self.month = dates.month.to_numpy()
        self.day = dates.day.to_numpy()
        self.with_time = np.add.outer(self.iso, np.array(self.times, dtype=object)).ravel()
        self.cell = np.array([_XLSX_DATE_MARK + s for s in self.iso], dtype=object)

    def format(self, day: np.ndarray, fmt: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Date strings of absolute days (days since 1970) in per-row format codes."""
        index = day - self.first
        out = np.empty(len(day), dtype=object)
        for code, table in ((_FMT_ISO, self.iso), (_FMT_COMPACT, self.compact),
                            (_FMT_DMY, self.day_first), (_FMT_CELL, self.cell)):
            rows = fmt == code
            out[rows] = table[index[rows]]
        rows = np.flatnonzero(fmt == _FMT_TIME)
        slot = rng.integers(0, len(self.times), len(rows))
        out[rows] = self.with_time[index[rows] * len(self.times) + slot]
        return out


class _PersonnummerFactory:
    """Unique synthetic personnummer: a serial counter per (birth day, sex) across chunks.

    Serials 0..449 of a (day, sex) are children of the study; 450..499 are reserved for
    numbers that must be valid but belong to no child in the children table.
    """

    natural_limit = 450
    reserved_limit = 500

    def __init__(self, calendar: _Calendar) -> None:
        self.calendar = calendar
        n_days = _days(BORN_TO) - _days(BORN_FROM) + 1
        self.natural = np.zeros((n_days, 2), dtype=np.int64)
        self.reserved = np.full((n_days, 2), self.natural_limit, dtype=np.int64)

    def _serials(self, counter: np.ndarray, birth: np.ndarray, male: np.ndarray,
                 limit: int) -> np.ndarray:
        key = (birth - _days(BORN_FROM)) * 2 + male.astype(np.int64)
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_key)) + 1]
        rank_sorted = np.arange(len(key)) - np.repeat(starts, np.diff(np.r_[starts, len(key)]))
        rank = np.empty(len(key), dtype=np.int64)
        rank[order] = rank_sorted
        flat = counter.reshape(-1)
        serial = flat[key] + rank
        np.add.at(flat, key, 1)
        if len(serial) and serial.max() >= limit:
            raise ValueError("too many children for the birth-date range: at most "
                             f"{self.natural_limit} per birth day and sex")
        return serial

    def numbers(self, birth: np.ndarray, male: np.ndarray, coordination: np.ndarray,
                reserved: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(n, 3) strings in PNR_FORMS and the (n, 10) digit matrix, for new numbers."""
        counter, limit = ((self.reserved, self.reserved_limit) if reserved
                          else (self.natural, self.natural_limit))
        serial = self._serials(counter, birth, male, limit)
        # serial k -> NNN: two digits k // 5, then the sex digit (odd for boys)
        sex_digit = 2 * (serial % 5) + male.astype(np.int64)
        nnn = (serial // 5) * 10 + sex_digit
        index = birth - self.calendar.first
        year = self.calendar.year[index]
        month = self.calendar.month[index]
        day = self.calendar.day[index] + np.where(coordination, 60, 0)
        yy = year % 100
        digits = np.stack([yy // 10, yy % 10, month // 10, month % 10, day // 10, day % 10,
                           nnn // 100, (nnn // 10) % 10, nnn % 10], axis=1)
        check = _luhn(digits)
        digits = np.concatenate([digits, check[:, None]], axis=1)
        return self.strings(year, digits), digits

    @staticmethod
    def strings(year: np.ndarray, digits: np.ndarray) -> np.ndarray:
        text = np.array(["".join(map(str, row)) for row in digits.tolist()], dtype=object)
        century = np.array([str(y // 100) for y in year.tolist()], dtype=object)
        date6 = np.array([t[:6] for t in text], dtype=object)
        tail = np.array([t[6:] for t in text], dtype=object)
        forms = np.empty((len(text), 3), dtype=object)
        forms[:, 0] = century + date6 + "-" + tail
        forms[:, 1] = century + text
        forms[:, 2] = date6 + "-" + tail
        return forms


# --- one chunk of children -----------------------------------------------------------------

@dataclass
class _Children:
    """One chunk of children: attributes as arrays (index = position in the chunk)."""

    birth: np.ndarray
    male: np.ndarray
    area: np.ndarray
    region: np.ndarray
    education: np.ndarray
    interpreter: np.ndarray
    mother_age: np.ndarray
    first_child: np.ndarray
    first_in_sweden: np.ndarray
    eligible: np.ndarray
    exposed: np.ndarray
    accepted: np.ndarray
    offered: np.ndarray
    moved: np.ndarray  # absolute day of moving out; a large number when the child stayed
    coordination: np.ndarray
    pnr: np.ndarray  # (n, 3) forms
    pnr_digits: np.ndarray
    group: np.ndarray  # index into GROUPS; -1 when not eligible
    terms: np.ndarray
    years: np.ndarray

    def __len__(self) -> int:
        return len(self.birth)

    def alive_until(self) -> np.ndarray:
        """Last day (exclusive) on which events can be recorded: move-out or after extraction."""
        return np.minimum(self.moved, _days(EXTRACTION_DATE) + 1)


GROUPS = ("intervention", "comparison", "intervention_pre", "comparison_pre")
_NEVER = 10**7


def _draw_children(rng: np.random.Generator, n: int, pnr: _PersonnummerFactory,
                   first_chunk: bool = False) -> _Children:
    born_from, born_to = _days(BORN_FROM), _days(BORN_TO)
    birth = born_from + rng.integers(0, born_to - born_from + 1, n)
    male = rng.random(n) < 0.512
    area = _draw_fixed(rng, AREA_SHARES, n)
    in_intervention = area < len(INTERVENTION_AREAS)
    region = _draw_categories(rng, REGION_BY_AREA[area])
    education_p = EDUCATION_BY_REGION[region].copy()
    shift = np.where(in_intervention, EDUCATION_SHIFT_INTERVENTION, 0.0)
    shift = np.minimum(shift, education_p[:, 2])
    education_p[:, 0] += shift
    education_p[:, 2] -= shift
    education = _draw_categories(rng, education_p)
    interpreter = rng.random(n) < INTERPRETER_BY_REGION[region]
    first_child = rng.random(n) < FIRST_CHILD_BY_REGION[region]
    first_in_sweden = first_child | ((region != 0) & (rng.random(n) < FIRST_IN_SWEDEN_IF_ABROAD))
    eligible = first_child | first_in_sweden
    age = rng.normal(MOTHER_AGE_BY_REGION[region] - 2.5 * first_child, 5.0)
    age = np.clip(age, 16.0, 48.0)
    decimal_age = rng.random(n) < 0.3
    mother_age = np.where(decimal_age, np.round(age, 1), np.floor(age))
    moved = rng.random(n) < MOVE_OUT_PROBABILITY
    move_day = birth + rng.integers(20, 1600, n)
    moved &= move_day <= _days(EXTRACTION_DATE)
    moved_day = np.where(moved, move_day, _NEVER)
    after_start = birth >= _days(PROGRAMME_START)
    exposed = eligible & in_intervention & after_start
    offered = np.where(exposed, birth + rng.integers(1, 8, n), -1)
    accept_p = np.where(interpreter, ACCEPT_PROBABILITY_INTERPRETER, ACCEPT_PROBABILITY)
    accepted = exposed & (rng.random(n) < accept_p)
    coordination = rng.random(n) < MESS_RATE * 1.5
    if first_chunk:  # a few coordination numbers among children old enough for every table
        old = np.flatnonzero((birth < _days(dt.date(2020, 1, 1))) & ~moved)
        coordination[old[:MESS_MIN_FIRST_CHUNK]] = True
    forms, digits = pnr.numbers(birth, male, coordination)
    group = np.where(~eligible, -1,
                     np.where(in_intervention, 0, 1) + np.where(after_start, 0, 2))
    terms = np.stack([region == 1, region == 2, region == 3, education == 0, education == 2,
                      (mother_age - 30.0) / 5.0, interpreter, male,
                      (region == 3) & in_intervention], axis=1).astype(float)
    years = (birth - _days(PROGRAMME_START)) / 365.25
    return _Children(birth, male, area, region, education, interpreter, mother_age, first_child,
                     first_in_sweden, eligible, exposed, accepted, offered, moved_day, coordination,
                     forms, digits, group, terms, years)


def _children_frame(rng: np.random.Generator, kids: _Children, calendar: _Calendar,
                    export: _Export) -> tuple[pd.DataFrame, np.ndarray, int]:
    """Children rows as export strings, each row's date format code, decimal-comma rows."""
    n = len(kids)
    fmt = _draw_fixed(rng, export.date_mix, n)
    form = _draw_fixed(rng, (0.5, 0.3, 0.2), n)

    def dates(day: np.ndarray, present: np.ndarray) -> np.ndarray:
        out = np.full(n, "", dtype=object)
        out[present] = calendar.format(day[present], fmt[present], rng)
        return out

    birth_present = rng.random(n) >= 0.03
    gest = np.clip(np.round(rng.normal(39.4, 1.7, n)), 25, 43)
    weight = 3500 + 160 * (gest - 40) + rng.normal(0, 420, n) - 120 * (kids.region == 3)
    weight = np.clip(np.round(weight), 600, 5800).astype(int)
    weight_comma = rng.random(n) < 0.1
    weight_text = np.array([str(w) for w in weight.tolist()], dtype=object)
    weight_text[weight_comma] = weight_text[weight_comma] + ",0"
    age_decimal = kids.mother_age != np.floor(kids.mother_age)
    age_text = np.array([f"{a:.1f}".replace(".", ",") if d else str(int(a))
                         for a, d in zip(kids.mother_age.tolist(), age_decimal.tolist(),
                                         strict=True)],
                        dtype=object)
    offered = kids.offered >= 0
    tackat = np.full(n, "", dtype=object)
    tackat[offered] = _spell_bool(rng, kids.accepted[offered])
    reason = np.full(n, "", dtype=object)
    declined = offered & ~kids.accepted
    reason[declined] = np.array(DECLINE_REASONS, dtype=object)[
        rng.integers(0, len(DECLINE_REASONS), declined.sum())]
    frame = pd.DataFrame({
        "personnummer": kids.pnr[np.arange(n), form],
        "fodelsedatum": dates(kids.birth, birth_present),
        "kon": _spell(rng, "sex", kids.male.astype(int), ("female", "male")),
        "omrade": np.array(AREAS, dtype=object)[kids.area],
        "bvc": np.array(BVC_UNITS, dtype=object)[kids.area],
        "forstfodd": _spell_bool(rng, kids.first_child),
        "forsta_barn_i_sverige": _spell_bool(rng, kids.first_in_sweden),
        "mor_fodelseregion": _spell(rng, "region", kids.region, REGIONS),
        "mor_alder": age_text,
        "utbildning": _with_missing_education(rng, kids,
                                              _spell(rng, "education", kids.education,
                                                     EDUCATIONS)),
        "tolkbehov": _spell_bool(rng, kids.interpreter),
        "fodelsevikt": weight_text,
        "graviditetsvecka": np.array([str(int(g)) for g in gest.tolist()], dtype=object),
        "utflyttad": dates(kids.moved, kids.moved < _NEVER),
        "erbjuden": dates(kids.offered, offered),
        "tackat_ja": tackat,
        "avbojt_orsak": reason,
    }, dtype=object)
    row_fmt = np.where(birth_present | (kids.moved < _NEVER) | offered, fmt, -1)
    decimal_rows = int((weight_comma | age_decimal).sum())
    return frame, row_fmt, decimal_rows


# --- outcomes ------------------------------------------------------------------------------

@dataclass
class _Outcomes:
    """Linear predictors (untreated) and latent draws of one chunk."""

    eta: dict[str, np.ndarray]
    log_or: dict[str, float]
    treated: np.ndarray
    u_bf: np.ndarray
    u_vacc: np.ndarray
    u_mmr: np.ndarray
    u_rota: np.ndarray
    u_screened: np.ndarray
    u_deviation: np.ndarray
    u_referral: np.ndarray

    def actual(self, family: str) -> np.ndarray:
        return self.eta[family] + self.log_or[family] * self.treated

    def versions(self, family: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(actual, untreated, treated) linear predictors."""
        untreated = self.eta[family]
        return self.actual(family), untreated, untreated + self.log_or[family]


def _area_effects(seed: int) -> dict[str, np.ndarray]:
    """Each family's effect of every area (in the order of AREAS) on the logit; see AREA_SHIFT."""
    rng = np.random.default_rng([seed, 0, _TABLE_STREAM["areas"]])
    z = dict(zip(AREA_DOMAINS, rng.standard_normal((len(AREA_DOMAINS), len(AREAS))), strict=True))
    disadvantage = np.array([area.disadvantage for area in AREA_TABLE])
    return {family: np.round(disadvantage * AREA_SHIFT[family] + sd * z[domain], 4)
            for family, (domain, sd) in AREA_VARIATION.items()}


def _draw_outcomes(rng: np.random.Generator, kids: _Children, effects: dict[str, float],
                   area_effects: dict[str, np.ndarray]) -> _Outcomes:
    eta = {}
    for family in OUTCOME_FAMILIES:
        beta = np.array([COEFFICIENTS[family].get(term, 0.0) for term in TERMS])
        value = kids.terms @ beta + area_effects[family][kids.area]
        value = value + TREND_PER_YEAR[family] * kids.years
        if family in BASELINE:
            value = value + _logit(BASELINE[family])
        eta[family] = value
    log_or = {family: math.log(effects[family]) for family in OUTCOME_FAMILIES}
    n = len(kids)
    return _Outcomes(eta, log_or, kids.accepted.astype(float), *(rng.random(n) for _ in range(7)))


# --- event tables (natural rows) -----------------------------------------------------------

@dataclass
class _Events:
    """Natural rows of one event table: chunk child index, absolute day, formatted frame."""

    child: np.ndarray
    day: np.ndarray
    columns: dict[str, np.ndarray]
    key_extra: np.ndarray | None = None  # part of the row key besides child and day (visit kind)
    conflict_ok: np.ndarray | None = None  # rows allowed as sources of duplicate_conflict


def _keep(child: np.ndarray, day: np.ndarray, kids: _Children) -> np.ndarray:
    return (day >= kids.birth[child]) & (day < kids.alive_until()[child])


def _breastfeeding_events(rng: np.random.Generator, kids: _Children, out: _Outcomes) -> tuple[
        _Events, dict[str, np.ndarray]]:
    """Assessments at the official points (one per window, ~10% missing) plus a few extras."""
    n = len(kids)
    any_eta = out.actual("bf_any")
    excl_eta = out.actual("bf_excl")
    z = _logit(out.u_bf)
    weaning = _decreasing_event_age("bf_any", z - any_eta)
    excl_end = _decreasing_event_age("bf_excl", z - excl_eta)
    children, ages, points = [], [], []
    assessed_age: dict[str, np.ndarray] = {}
    for index, (point, (lo, hi)) in enumerate(BF_POINTS.items()):
        present = rng.random(n) >= BF_MISSING
        age = rng.integers(_BF_DRAW_FROM.get(point, lo), hi + 1, n)
        child = np.flatnonzero(present)
        keep = _keep(child, kids.birth[child] + age[child], kids)
        child = child[keep]
        children.append(child)
        ages.append(age[child])
        points.append(np.full(len(child), index))
        assessed = np.full(n, -1)
        assessed[child] = age[child]
        assessed_age[point] = assessed
    extra = np.flatnonzero(rng.random(n) < BF_EXTRA)
    gap = rng.integers(0, len(_BF_GAPS), len(extra))
    gaps = np.array(_BF_GAPS)
    gap_days = gaps[gap, 1] - gaps[gap, 0] + 1
    extra_age = gaps[gap, 0] + (rng.random(len(extra)) * gap_days).astype(int)
    keep = _keep(extra, kids.birth[extra] + extra_age, kids)
    children.append(extra[keep])
    ages.append(extra_age[keep])
    points.append(np.full(keep.sum(), len(BF_POINTS)))
    child = np.concatenate(children)
    age = np.concatenate(ages)
    point = np.concatenate(points)
    order = np.lexsort((age, child))
    child, age, point = child[order], age[order], point[order]
    is_any = weaning[child] > age
    is_excl = is_any & (excl_end[child] > age)
    predominant = rng.random(len(child)) < np.where(age - excl_end[child] < 30, 0.5, 0.15)
    status = np.where(~is_any, 3, np.where(is_excl, 0, np.where(predominant, 1, 2)))
    events = _Events(child, kids.birth[child] + age, {"status": status},
                     conflict_ok=point >= list(BF_POINTS).index("8m"))
    return events, assessed_age


_BF_STATUSES = ("exclusive", "predominant", "partial", "none")


def _vaccination_events(rng: np.random.Generator, kids: _Children, out: _Outcomes) -> _Events:
    """DTaP and PCV at ~3, 5, 12 months, MMR at ~18 months, rotavirus for births from 2019-09-01."""
    n = len(kids)
    z = _logit(out.u_vacc)
    dtp3 = _increasing_event_age("vacc_dtp3", z - out.actual("vacc_dtp3"))
    pcv3 = _increasing_event_age("vacc_pcv3", z - out.actual("vacc_pcv3"))
    mmr = _increasing_event_age("vacc_mmr1", _logit(out.u_mmr) - out.actual("vacc_mmr1"))
    dose1 = 90 + rng.integers(0, 21, n)
    dose2 = dose1 + 60 + rng.integers(0, 21, n)
    partial_doses = _draw_fixed(rng, (0.35, 0.25, 0.40), n)  # doses given when the series stops
    rota_eligible = kids.birth >= _days(ROTA_FROM)
    p_rota = _expit(out.actual("vacc_rota"))
    rota_complete = rota_eligible & (out.u_rota < p_rota)
    rota_started = rota_complete | (rota_eligible & (rng.random(n) < 0.5))
    products = {series: _draw_fixed(rng, tuple(s for _, s in spec), n)
                for series, spec in _VACCINE_PRODUCTS.items()}
    rotateq = products["rota"] == 1
    rota_doses = np.where(rota_complete, np.where(rotateq, 3, 2), np.where(rota_started, 1, 0))
    rota_ages = np.stack([42 + rng.integers(0, 15, n), 90 + rng.integers(0, 15, n),
                          150 + rng.integers(0, 15, n)], axis=1)
    child_parts, age_parts, series_parts, dose_parts = [], [], [], []

    def add(mask: np.ndarray, age: np.ndarray, series: int, dose: int) -> None:
        child = np.flatnonzero(mask & np.isfinite(age))
        child_parts.append(child)
        age_parts.append(age[child].astype(np.int64))
        series_parts.append(np.full(len(child), series))
        dose_parts.append(np.full(len(child), dose))

    for series, third in ((0, dtp3), (1, pcv3)):
        complete = np.isfinite(third)
        add(complete | (partial_doses >= 1), dose1.astype(float), series, 1)
        add(complete | (partial_doses >= 2), dose2.astype(float), series, 2)
        add(complete, third, series, 3)
    add(np.ones(n, dtype=bool), mmr, 2, 1)
    for dose in (1, 2, 3):
        add(rota_doses >= dose, rota_ages[:, dose - 1].astype(float), 3, dose)
    child = np.concatenate(child_parts)
    age = np.concatenate(age_parts)
    series = np.concatenate(series_parts)
    dose = np.concatenate(dose_parts)
    day = kids.birth[child] + age
    keep = _keep(child, day, kids)
    child, day, series, dose = child[keep], day[keep], series[keep], dose[keep]
    order = np.lexsort((series, day, child))
    child, day, series, dose = child[order], day[order], series[order], dose[order]
    names = np.empty(len(child), dtype=object)
    for s, (name, spec) in enumerate(_VACCINE_PRODUCTS.items()):
        rows = np.flatnonzero(series == s)
        product = products[name][child[rows]]
        for p, (spellings, _) in enumerate(spec):
            sub = rows[product == p]
            pick = rng.integers(0, len(spellings), len(sub))
            names[sub] = np.array(spellings, dtype=object)[pick]
    dose_text = np.where(rng.random(len(child)) < 0.6, dose.astype(str).astype(object), "")
    return _Events(child, day, {"vaccine": names, "dose": dose_text, "series": series,
                                "rotateq": rotateq[child] & (series == 3)},
                   conflict_ok=dose_text != "")


def _language_events(rng: np.random.Generator, kids: _Children, out: _Outcomes) -> tuple[
        _Events, dict[str, np.ndarray]]:
    n = len(kids)
    screening = np.array(SCREENING_BY_AREA)[kids.area]
    nominal = np.where(screening == "30m", SCREENING_AGE_DAYS["30m"], SCREENING_AGE_DAYS["36m"])
    age = nominal + rng.integers(-14, 76, n)
    p_screened = _expit(out.actual("lang_screened"))
    p_no_deviation = _expit(out.actual("lang_no_deviation"))
    screened = out.u_screened < p_screened
    no_deviation = out.u_deviation < p_no_deviation
    referred = screened & (out.u_referral < np.where(no_deviation, REFERRAL_IF_NO_REMARK,
                                                     REFERRAL_IF_DEVIATION))
    has_row = screened | (rng.random(n) < NOT_SCREENED_ROW)
    child = np.flatnonzero(has_row)
    child = child[_keep(child, kids.birth[child] + age[child], kids)]
    result = np.where(~screened[child], 2, np.where(no_deviation[child], 0, 1))
    events = _Events(child, kids.birth[child] + age[child],
                     {"screening": np.where(screening[child] == "30m", 1, 2), "result": result,
                      "referred": referred[child]},
                     conflict_ok=np.ones(len(child), dtype=bool))
    written = np.zeros(n, dtype=bool)
    written[child] = True
    return events, {"screened": screened, "no_deviation": no_deviation, "referred": referred,
                    "written": written, "nominal": nominal}


def _visit_events(rng: np.random.Generator, kids: _Children) -> _Events:
    """Programme home visits for accepting families, the ordinary BVC programme for everyone."""
    n = len(kids)
    parts: list[dict[str, np.ndarray]] = []
    accepted = np.flatnonzero(kids.accepted)
    for number, (_target, (lo, hi)) in enumerate(PROGRAMME_CONTACTS, start=1):
        child = accepted
        m = len(child)
        lo_draw = max(lo, 3)
        # on time, late, cancelled, no-show, no row at all
        state = _draw_fixed(rng, (0.78, 0.07, 0.06, 0.04, 0.05), m)
        age = lo_draw + rng.integers(0, hi - lo_draw + 1, m)
        age = np.where(state == 1, hi + rng.integers(1, 9, m), age)
        rows = state != 4
        who = _draw_fixed(rng, (0.85, 0.12, 0.03), m)  # joint, nurse only, advisor only
        parts.append({"child": child[rows], "age": age[rows], "kind": np.zeros(rows.sum(), int),
                      "status": np.select([state == 2, state == 3], [1, 2], 0)[rows],
                      "who": np.array(["joint", "nurse", "advisor"])[who][rows],
                      "number": np.full(rows.sum(), number)})
    newborn = np.flatnonzero(~kids.accepted)
    m = len(newborn)
    parts.append({"child": newborn, "age": 3 + rng.integers(0, 12, m), "kind": np.zeros(m, int),
                  "status": _draw_fixed(rng, (0.95, 0.03, 0.02), m),
                  "who": np.full(m, "nurse"), "number": np.zeros(m, int)})
    for target, jitter in CLINIC_VISIT_AGES:
        child = np.flatnonzero(rng.random(n) < 0.88)
        m = len(child)
        parts.append({"child": child, "age": target + rng.integers(-jitter, jitter + 1, m),
                      "kind": np.where(rng.random(m) < 0.07, 2, 1),
                      "status": _draw_fixed(rng, (0.95, 0.02, 0.03), m),
                      "who": np.where(rng.random(m) < 0.1, "none", "nurse"),
                      "number": np.zeros(m, int)})
    columns = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    child = columns.pop("child")
    day = kids.birth[child] + columns.pop("age")
    keep = _keep(child, day, kids)
    child, day = child[keep], day[keep]
    columns = {key: value[keep] for key, value in columns.items()}
    order = np.lexsort((columns["kind"], day, child))
    child, day = child[order], day[order]
    columns = {key: value[order] for key, value in columns.items()}
    return _Events(child, day, columns, key_extra=columns["kind"].copy(),
                   conflict_ok=np.ones(len(child), dtype=bool))


# --- formatting event rows -----------------------------------------------------------------

_VISIT_KINDS = ("home", "clinic", "phone")
_VISIT_STATUSES = ("done", "cancelled", "no_show")
_PARENTS = ("mother", "father", "both", "other")
_SCREENINGS = ("18m", "30m", "36m")
_RESULTS = ("no_remark", "deviation", "not_done")


def _professions(rng: np.random.Generator, who: np.ndarray) -> np.ndarray:
    out = np.empty(len(who), dtype=object)
    for key, variants in PROFESSION_SPELLINGS.items():
        rows = np.flatnonzero(who == key)
        names = np.array([name for name, _ in variants], dtype=object)
        out[rows] = names[_draw_fixed(rng, tuple(s for _, s in variants), len(rows))]
    return out


def _event_frame(table: str, rng: np.random.Generator, events: _Events, kids: _Children,
                 calendar: _Calendar, export: _Export) -> tuple[pd.DataFrame, np.ndarray]:
    """Natural event rows as export strings, and the date format code of each row."""
    m = len(events.child)
    fmt = _draw_fixed(rng, export.date_mix, m)
    form = _draw_fixed(rng, (0.45, 0.35, 0.2), m)
    data: dict[str, np.ndarray] = {
        "personnummer": kids.pnr[events.child, form],
        _DATE_COLUMN[table]: calendar.format(events.day, fmt, rng),
    }
    c = events.columns
    if table == "visits":
        programme = c["number"] > 0
        done = c["status"] == 0
        # fathers come less often, and less often still to the programme's home visits
        parents = np.where(programme, _draw_fixed(rng, (0.55, 0.07, 0.33, 0.05), m),
                           _draw_fixed(rng, (0.50, 0.15, 0.32, 0.03), m))
        narvarande = _spell(rng, "parents_present", parents, _PARENTS)
        narvarande[~done] = ""
        interpreter = kids.interpreter[events.child] & (rng.random(m) < 0.85) & done
        number = np.where(programme & (rng.random(m) < 0.5),
                          c["number"].astype(str).astype(object), "")
        data.update({
            "besokstyp": _spell(rng, "visit_kind", c["kind"], _VISIT_KINDS),
            "status": _spell(rng, "visit_status", c["status"], _VISIT_STATUSES),
            "yrkesgrupper": _professions(rng, c["who"]),
            "narvarande": narvarande,
            "tolk": _spell_bool(rng, interpreter),
            "besok_nr": number,
        })
    elif table == "breastfeeding":
        data["amning"] = _spell(rng, "breastfeeding", c["status"], _BF_STATUSES)
    elif table == "vaccinations":
        data.update({"vaccin": c["vaccine"], "dos": c["dose"]})
    elif table == "language":
        data.update({"screening": _spell(rng, "screening", c["screening"], _SCREENINGS),
                     "resultat": _spell(rng, "language_result", c["result"], _RESULTS),
                     "remiss_logoped": _spell_bool(rng, c["referred"])})
    return pd.DataFrame(data, dtype=object), fmt


# --- the mess ------------------------------------------------------------------------------

def _mess_count(rows: int, first_chunk: bool) -> int:
    count = int(round(MESS_RATE * rows))
    return max(count, MESS_MIN_FIRST_CHUNK) if first_chunk else count


def _pick_sources(rng: np.random.Generator, child: np.ndarray, allowed: np.ndarray,
                  used_children: np.ndarray, k: int) -> np.ndarray:
    """Up to k random rows of distinct, not yet used children among the allowed rows."""
    candidates = np.flatnonzero(allowed & ~used_children[child])
    if k <= 0 or len(candidates) == 0:
        return candidates[:0]
    sample = rng.choice(candidates, size=min(len(candidates), 3 * k + 20), replace=False)
    _, first = np.unique(child[sample], return_index=True)
    picked = sample[np.sort(first)][:k]
    used_children[child[picked]] = True
    return picked


_LOOKALIKE = {"0": "O", "1": "l", "5": "S", "8": "B", "2": "Z"}


def _typo_check_digit(text: str, rng: np.random.Generator) -> str:
    """Change one of the last four digits (serial or check digit): Luhn always catches it."""
    positions = [i for i, ch in enumerate(text) if ch.isdigit()][-4:]
    position = positions[int(rng.integers(0, 4))]
    new = str((int(text[position]) + int(rng.integers(1, 10))) % 10)
    return text[:position] + new + text[position + 1:]


def _bad_characters(text: str, rng: np.random.Generator) -> str:
    positions = [i for i, ch in enumerate(text) if ch.isdigit()]
    position = positions[int(rng.integers(0, len(positions)))]
    return text[:position] + _LOOKALIKE.get(text[position], "X") + text[position + 1:]


def _wrong_length(text: str, rng: np.random.Generator) -> str:
    digits = re.sub(r"\D", "", text)[-10:]
    if rng.random() < 0.5:
        return digits[:6] + "-" + digits[6:9]  # check digit missing: 9 digits
    return digits[:6] + "-" + digits[6:8] + str(int(rng.integers(0, 10))) + digits[8:]  # 11 digits


def _row_keys(child: np.ndarray, day: np.ndarray, extra: np.ndarray) -> np.ndarray:
    """One integer per (chunk child, absolute day, extra key part) for collision checks."""
    return (child.astype(np.int64) * 2**24 + (day - _Calendar.first)) * 8 + extra


def _insert_rows(rng: np.random.Generator, frame: pd.DataFrame, fmt: np.ndarray,
                 extra: list[pd.DataFrame], extra_fmt: list[np.ndarray]
                 ) -> tuple[pd.DataFrame, np.ndarray]:
    """Planted rows at random positions among the natural rows."""
    if not extra:
        return frame, fmt
    planted = pd.concat(extra, ignore_index=True)
    planted_fmt = np.concatenate(extra_fmt)
    position = np.sort(rng.integers(0, len(frame) + 1, len(planted)))
    order = np.argsort(np.r_[2 * np.arange(len(frame)) + 1, 2 * position], kind="stable")
    combined = pd.concat([frame, planted], ignore_index=True).iloc[order].reset_index(drop=True)
    return combined, np.r_[fmt, planted_fmt][order]


def _plant_events(table: str, rng: np.random.Generator, frame: pd.DataFrame, fmt: np.ndarray,
                  events: _Events, kids: _Children, pnr: _PersonnummerFactory, calendar: _Calendar,
                  first_chunk: bool) -> tuple[pd.DataFrame, np.ndarray, dict[str, int]]:
    """Extra rows, one kind of mess each, copied from natural rows of distinct children."""
    k = _mess_count(len(frame), first_chunk)
    counts = dict.fromkeys(EVENT_MESS_KINDS, 0)
    if table == "vaccinations":
        counts = {("vaccine_unknown" if kind == "category_unknown" else kind): 0
                  for kind in EVENT_MESS_KINDS}
    if k == 0 or len(frame) == 0:
        return frame, fmt, counts
    used = kids.coordination.copy()  # coordination-number children stay clean
    date_col = _DATE_COLUMN[table]
    extra: list[pd.DataFrame] = []
    extra_fmt: list[np.ndarray] = []
    extraction = _days(EXTRACTION_DATE)
    iso_fmt = _FMT_ISO

    def take(allowed: np.ndarray | None = None, count: int = k) -> np.ndarray:
        allowed = np.ones(len(frame), dtype=bool) if allowed is None else allowed
        return _pick_sources(rng, events.child, allowed, used, count)

    def emit(kind: str, rows: pd.DataFrame, row_fmt: np.ndarray) -> None:
        extra.append(rows)
        extra_fmt.append(row_fmt)
        counts[kind] += len(rows)

    src = take()
    emit("exact_duplicate", frame.iloc[src].copy(), fmt[src])

    src = take(events.conflict_ok)
    rows = frame.iloc[src].copy()
    if table == "breastfeeding":
        status = events.columns["status"][src]
        other = (status + 1 + rng.integers(0, 3, len(src))) % 4
        rows["amning"] = _spell(rng, "breastfeeding", other, _BF_STATUSES)
    elif table == "visits":
        status = events.columns["status"][src]
        rows["status"] = _spell(rng, "visit_status", np.where(status == 0, 1, 0), _VISIT_STATUSES)
    elif table == "vaccinations":
        rows["dos"] = [str(int(d) + 1) for d in rows["dos"]]
    else:
        result = events.columns["result"][src]
        rows["resultat"] = _spell(rng, "language_result", np.where(result == 0, 1, 0), _RESULTS)
    emit("duplicate_conflict", rows, fmt[src])

    for kind, change in (("pnr_check_digit", _typo_check_digit),
                         ("pnr_bad_characters", _bad_characters),
                         ("pnr_wrong_length", _wrong_length)):
        src = take()
        rows = frame.iloc[src].copy()
        rows["personnummer"] = [change(text, rng) for text in rows["personnummer"]]
        emit(kind, rows, fmt[src])

    src = take()
    rows = frame.iloc[src].copy()
    rows[date_col] = np.array(UNPARSEABLE_DATES, dtype=object)[
        rng.integers(0, len(UNPARSEABLE_DATES), len(src))]
    emit("date_unparseable", rows, np.full(len(src), _FMT_BAD))

    for kind in ("date_before_birth", "date_after_extraction"):
        src = take()
        rows = frame.iloc[src].copy()
        if kind == "date_before_birth":
            day = kids.birth[events.child[src]] - rng.integers(1, 61, len(src))
        else:
            day = extraction + rng.integers(1, 366, len(src))
        rows[date_col] = calendar.iso[day - calendar.first]
        emit(kind, rows, np.full(len(src), iso_fmt))

    src = take()
    rows = frame.iloc[src].copy()
    child = events.child[src]
    forms, _ = pnr.numbers(kids.birth[child], kids.male[child], np.zeros(len(src), dtype=bool),
                           reserved=True)
    rows["personnummer"] = forms[np.arange(len(src)), rng.integers(0, 3, len(src))]
    emit("unknown_child", rows, fmt[src])

    if table == "vaccinations":
        src = take()
        rows = frame.iloc[src].copy()
        rows["vaccin"] = VACCINE_UNKNOWN_NAME
        emit("vaccine_unknown", rows, fmt[src])
    elif table == "language":
        # an 18-month screening (never generated naturally) with an unknown result
        child = np.flatnonzero(~used)
        child = child[rng.permutation(len(child))]
        day = kids.birth[child] + 548 + rng.integers(0, 31, len(child))
        child = child[day < kids.alive_until()[child]][:k]
        used[child] = True
        day = kids.birth[child] + 548 + rng.integers(0, 31, len(child))
        day = np.minimum(day, kids.alive_until()[child] - 1)
        rows = pd.DataFrame({
            "personnummer": kids.pnr[child, rng.integers(0, 3, len(child))],
            "datum": calendar.iso[day - calendar.first],
            "screening": "18 mån", "resultat": UNKNOWN_CATEGORY["language"],
            "remiss_logoped": _spell_bool(rng, np.zeros(len(child), dtype=bool))}, dtype=object)
        emit("category_unknown", rows, np.full(len(child), iso_fmt))
    else:
        # unknown status on a day free for that child (so the row is no duplicate of another)
        src = take(count=2 * k)
        child = events.child[src]
        all_extra = (events.key_extra if events.key_extra is not None
                     else np.zeros(len(events.child), dtype=np.int64))
        taken = np.sort(_row_keys(events.child, events.day, all_extra))
        new_day = np.full(len(src), -1)
        for shift in (1, -1, 2, -2, 3, -3):
            candidate = events.day[src] + shift
            wanted = _row_keys(child, candidate, all_extra[src])
            at = np.minimum(np.searchsorted(taken, wanted), len(taken) - 1)
            free = taken[at] != wanted
            ok = (new_day < 0) & free & (candidate >= kids.birth[child]) & (
                candidate < kids.alive_until()[child])
            new_day = np.where(ok, candidate, new_day)
        good = np.flatnonzero(new_day >= 0)[:k]
        released = np.setdiff1d(np.arange(len(src)), good)
        used[child[released]] = False
        rows = frame.iloc[src[good]].copy()
        column = "status" if table == "visits" else "amning"
        rows[column] = UNKNOWN_CATEGORY[table]
        rows[date_col] = calendar.format(new_day[good], fmt[src[good]], rng)
        emit("category_unknown", rows, fmt[src[good]])
    frame, fmt = _insert_rows(rng, frame, fmt, extra, extra_fmt)
    return frame, fmt, counts


def _plant_children(rng: np.random.Generator, frame: pd.DataFrame, fmt: np.ndarray, kids: _Children,
                    pnr: _PersonnummerFactory, calendar: _Calendar, first_chunk: bool
                    ) -> tuple[pd.DataFrame, np.ndarray, dict[str, int]]:
    """Flags on natural child rows (valid, kept) and extra rows, one kind each."""
    n = len(frame)
    k = _mess_count(n, first_chunk)
    counts = dict.fromkeys(CHILDREN_EXTRA_KINDS + CHILDREN_FLAG_KINDS, 0)
    counts["samordningsnummer"] = int(kids.coordination.sum())
    used = kids.coordination.copy()
    index = np.arange(n)
    frame = frame.copy()
    # birth date that disagrees with the personnummer (the personnummer's date is the truth)
    src = _pick_sources(rng, index, frame["fodelsedatum"].to_numpy() != "", used, k)
    shifted = kids.birth[src] + rng.choice(np.array([-3, -2, -1, 1, 2, 3]), len(src))
    frame.loc[src, "fodelsedatum"] = calendar.format(shifted, fmt[src], rng)
    counts["birth_date_conflict"] = len(src)
    src = _pick_sources(rng, index, np.ones(n, dtype=bool), used, k)
    frame.loc[src, "kon"] = _spell(rng, "sex", 1 - kids.male[src].astype(int), ("female", "male"))
    counts["sex_conflict"] = len(src)
    extra, extra_fmt = [], []

    def emit(kind: str, rows: pd.DataFrame, row_fmt: np.ndarray) -> None:
        extra.append(rows)
        extra_fmt.append(row_fmt)
        counts[kind] += len(rows)

    src = _pick_sources(rng, index, np.ones(n, dtype=bool), used, k)
    emit("exact_duplicate", frame.iloc[src].copy(), fmt[src])
    src = _pick_sources(rng, index, np.ones(n, dtype=bool), used, k)
    rows = frame.iloc[src].copy()
    change_area = rng.random(len(src)) < 0.5
    new_area = (kids.area[src] + rng.integers(1, len(AREAS), len(src))) % len(AREAS)
    rows["omrade"] = np.where(change_area, np.array(AREAS, dtype=object)[new_area], rows["omrade"])
    new_education = (kids.education[src] + rng.integers(1, 3, len(src))) % 3
    rows["utbildning"] = np.where(change_area, rows["utbildning"],
                                  _spell(rng, "education", new_education, EDUCATIONS))
    emit("duplicate_conflict", rows, fmt[src])
    # extra children with no events: invalid numbers of fresh serials
    for kind, change in (("pnr_check_digit", None), ("pnr_bad_characters", _bad_characters),
                         ("pnr_wrong_length", _wrong_length)):
        src = _pick_sources(rng, index, np.ones(n, dtype=bool), used, k)
        rows = frame.iloc[src].copy()
        forms, digits = pnr.numbers(kids.birth[src], kids.male[src], np.zeros(len(src), dtype=bool),
                                    reserved=True)
        text = forms[np.arange(len(src)), rng.integers(0, 3, len(src))]
        if change is None:
            wrong = (digits[:, 9] + rng.integers(1, 10, len(src))) % 10
            text = np.array([t[:-1] + str(w) for t, w in zip(text, wrong.tolist(), strict=True)],
                            dtype=object)
        else:
            text = np.array([change(t, rng) for t in text], dtype=object)
        rows["personnummer"] = text
        emit(kind, rows, fmt[src])
    frame, fmt = _insert_rows(rng, frame, fmt, extra, extra_fmt)
    return frame, fmt, counts


# --- truth ---------------------------------------------------------------------------------

INDICATORS: dict[str, str] = {  # id -> restriction, as written into truth.json
    **{f"bf_any_{p}": "window" for p in ("1w", "2m", "4m", "6m", "12m")},
    "bf_excl_2m": "window", "bf_excl_4m": "window",
    "vacc_dtp3_24m": "age 730", "vacc_pcv3_24m": "age 730", "vacc_mmr1_24m": "age 730",
    "vacc_rota_complete": "age 224", "vacc_full_24m": "age 730", "vacc_mmr1_timely": "age 609",
    "lang_screened": "screening", "lang_no_deviation": "screened", "lang_referred": "screened",
}
RESTRICTIONS = {
    "window": "eligible children whose natural assessment in the indicator's window was written "
              "(one per window at most), who reached the window's last day (birth + upper "
              "bound, in days) on or before the extraction date and did not move out on or "
              "before that day; "
              "the probability is evaluated at the assessment's actual age in days",
    "age 730": "eligible children aged >= 730 days at the extraction date (birth + 730 <= "
               "extraction date) who had not moved out by birth + 730; 'by 24 months' means a dose "
               "at age <= 730 days",
    "age 609": "eligible children with birth + 609 <= extraction date, not moved out by then; "
               "'timely' means MMR at age <= 609 days (20 months)",
    "age 224": "eligible children born on or after 2019-09-01 with birth + 224 <= extraction date "
               "(32 weeks), not moved out by then; every complete series ends before age 170 days",
    "screening": "eligible children who reached the screening age + 90 days (913 days = 2,5 år in "
                 + ", ".join(a for a, age in zip(AREAS, SCREENING_BY_AREA, strict=True)
                             if age == "30m")
                 + "; 1095 days = 3 år elsewhere) by the extraction date and did not move "
                 "out by then; screened means a row with a result other than 'ej genomförd'",
    "screened": "the 'screening' children who were screened (a natural row with result utan "
                "anmärkning or avvikelse)",
}


class _Truth:
    """Streaming sums per indicator and group (expected and realised), plus exposure effects."""

    def __init__(self) -> None:
        self.sums: dict[str, dict[str, np.ndarray]] = {}

    def add(self, indicator: str, kids: _Children, mask: np.ndarray, p_actual: np.ndarray,
            p_untreated: np.ndarray, p_treated: np.ndarray, realised: np.ndarray) -> None:
        s = self.sums.setdefault(indicator, {
            key: np.zeros(len(GROUPS)) for key in ("n", "p", "p_untreated", "realised")}
            | {key: np.zeros(1) for key in ("itt", "pp", "n_accepted", "pp_untreated")})
        group = kids.group[mask]
        for key, values in (("n", np.ones(mask.sum())), ("p", p_actual[mask]),
                            ("p_untreated", p_untreated[mask]), ("realised", realised[mask])):
            s[key] += np.bincount(group[group >= 0], values[group >= 0], minlength=len(GROUPS))
        exposed = mask & kids.exposed
        s["itt"] += (p_actual[exposed] - p_untreated[exposed]).sum()
        accepted = mask & kids.accepted
        s["pp"] += (p_treated[accepted] - p_untreated[accepted]).sum()
        s["pp_untreated"] += p_untreated[accepted].sum()
        s["n_accepted"] += accepted.sum()

    def summary(self) -> dict[str, dict[str, object]]:
        out = {}
        for indicator, s in self.sums.items():
            n = s["n"]
            mean = np.divide(s["p"], n, out=np.full(len(GROUPS), np.nan), where=n > 0)
            untreated = np.divide(s["p_untreated"], n, out=np.full(len(GROUPS), np.nan),
                                  where=n > 0)
            expected = {g: _round(mean[i]) for i, g in enumerate(GROUPS)}
            n_exposed = int(n[0])
            n_accepted = int(s["n_accepted"][0])
            out[indicator] = {
                "restriction": RESTRICTIONS[INDICATORS[indicator]],
                "expected": expected,
                "n": {g: int(n[i]) for i, g in enumerate(GROUPS)},
                "realised_positive": {g: int(s["realised"][i]) for i, g in enumerate(GROUPS)},
                "expected_untreated_intervention": _round(untreated[0]),
                "att_itt": _round(s["itt"][0] / n_exposed) if n_exposed else None,
                "att_per_protocol": _round(s["pp"][0] / n_accepted) if n_accepted else None,
                "n_exposed": n_exposed, "n_accepted": n_accepted,
                "crude_difference": _round(mean[0] - mean[1]),
                "did_expected": _round((mean[0] - mean[2]) - (mean[1] - mean[3])),
            }
        return out


def _round(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 10)


def _reached(kids: _Children, age: int | np.ndarray) -> np.ndarray:
    """Reached the age by extraction and had not moved out by that age (no move on/before it)."""
    day = kids.birth + age
    return (day <= _days(EXTRACTION_DATE)) & (kids.moved > day)


def _accumulate_truth(truth: _Truth, kids: _Children, out: _Outcomes,
                      bf_age: dict[str, np.ndarray], lang: dict[str, np.ndarray],
                      bf_events: _Events, vacc_events: _Events) -> None:
    n = len(kids)
    # breastfeeding at the assessment's age
    for point in ("1w", "2m", "4m", "6m", "12m"):
        age = bf_age[point]
        mask = kids.eligible & (age >= 0) & _reached(kids, BF_POINTS[point][1])
        a = _curve_logit("bf_any", age)
        any_versions = [_expit(a + e) for e in out.versions("bf_any")]
        status = _status_on(bf_events, n, kids.birth + age)
        truth.add(f"bf_any_{point}", kids, mask, *any_versions,
                  realised=(status >= 0) & (status < 3))
        if point in ("2m", "4m"):
            c = _curve_logit("bf_excl", age)
            excl_versions = [np.minimum(_expit(c + e), p)
                             for e, p in zip(out.versions("bf_excl"), any_versions, strict=True)]
            truth.add(f"bf_excl_{point}", kids, mask, *excl_versions, realised=status == 0)
    # vaccinations
    dose_counts = _doses_by_age(vacc_events, kids)
    by730 = _reached(kids, 730)
    f = {family: [_expit(_curve_logit(family, np.full(n, 730.0)) + e) for e in out.versions(family)]
         for family in ("vacc_dtp3", "vacc_pcv3", "vacc_mmr1")}
    truth.add("vacc_dtp3_24m", kids, kids.eligible & by730, *f["vacc_dtp3"],
              realised=dose_counts["dtp"] >= 3)
    truth.add("vacc_pcv3_24m", kids, kids.eligible & by730, *f["vacc_pcv3"],
              realised=dose_counts["pcv"] >= 3)
    truth.add("vacc_mmr1_24m", kids, kids.eligible & by730, *f["vacc_mmr1"],
              realised=dose_counts["mmr"] >= 1)
    timely = [_expit(_curve_logit("vacc_mmr1", np.full(n, 609.0)) + e)
              for e in out.versions("vacc_mmr1")]
    truth.add("vacc_mmr1_timely", kids, kids.eligible & _reached(kids, 609), *timely,
              realised=dose_counts["mmr_609"] >= 1)
    rota_eligible = kids.birth >= _days(ROTA_FROM)
    rota = [_expit(e) for e in out.versions("vacc_rota")]
    rota_done = dose_counts["rota"] >= dose_counts["rota_needed"]
    truth.add("vacc_rota_complete", kids, kids.eligible & rota_eligible & _reached(kids, 224),
              *rota, realised=rota_done)
    full = [np.minimum(d, p) * m * np.where(rota_eligible, r, 1.0) for d, p, m, r in
            zip(f["vacc_dtp3"], f["vacc_pcv3"], f["vacc_mmr1"], rota, strict=True)]
    truth.add("vacc_full_24m", kids, kids.eligible & by730, *full,
              realised=(dose_counts["dtp"] >= 3) & (dose_counts["pcv"] >= 3)
              & (dose_counts["mmr"] >= 1) & (~rota_eligible | rota_done))
    # language
    reached = _reached(kids, lang["nominal"] + SCREENING_WINDOW[1])
    base = kids.eligible & reached
    screened_versions = [_expit(e) for e in out.versions("lang_screened")]
    truth.add("lang_screened", kids, base, *screened_versions, realised=lang["screened"])
    nd_versions = [_expit(e) for e in out.versions("lang_no_deviation")]
    screened = base & lang["screened"] & lang["written"]
    truth.add("lang_no_deviation", kids, screened, *nd_versions, realised=lang["no_deviation"])
    referral = [p * REFERRAL_IF_NO_REMARK + (1 - p) * REFERRAL_IF_DEVIATION for p in nd_versions]
    truth.add("lang_referred", kids, screened, *referral, realised=lang["referred"])


def _status_on(events: _Events, n: int, day: np.ndarray) -> np.ndarray:
    """Breastfeeding status code of each child's natural assessment on the given day (-1: none)."""
    out = np.full(n, -1)
    hit = events.day == day[events.child]
    out[events.child[hit]] = events.columns["status"][hit]
    return out


def _doses_by_age(events: _Events, kids: _Children) -> dict[str, np.ndarray]:
    n = len(kids)
    age = events.day - kids.birth[events.child]
    series = events.columns["series"]
    rotateq = events.columns["rotateq"]
    count = {}
    for key, s, limit in (("dtp", 0, 730), ("pcv", 1, 730), ("mmr", 2, 730), ("mmr_609", 2, 609),
                          ("rota", 3, 730)):
        rows = (series == s) & (age <= limit)
        count[key] = np.bincount(events.child[rows], minlength=n)
    needed = np.full(n, 2)
    needed[events.child[rotateq]] = 3
    count["rota_needed"] = needed
    return count


# --- writers -------------------------------------------------------------------------------

class _CsvWriter:
    """Appends chunk frames to one CSV file in a fixed encoding, delimiter and line ending."""

    def __init__(self, path: Path, export: _Export) -> None:
        self.export = export
        self.handle = path.open("wb")
        self.header = True

    def write(self, frame: pd.DataFrame) -> None:
        sep, eol = self.export.delimiter, self.export.line_end
        columns = [_csv_quoted(frame[c].to_numpy(dtype=object), sep) for c in frame.columns]
        lines = [sep.join(row) for row in zip(*columns, strict=True)]
        text = eol.join(lines) + eol if lines else ""
        encoding = self.export.encoding
        if self.header:
            text = sep.join(frame.columns) + eol + text
        else:
            encoding = encoding.replace("-sig", "")
        self.handle.write(text.encode(encoding))
        self.header = False

    def close(self) -> None:
        self.handle.close()


def _csv_quoted(values: np.ndarray, sep: str) -> list[str]:
    """Values as CSV fields: quoted (RFC 4180) only where they hold the delimiter or a quote."""
    out = values.tolist()
    joined = "".join(out)
    if sep not in joined and '"' not in joined and "\n" not in joined:
        return out
    for i, value in enumerate(out):
        if sep in value or '"' in value or "\n" in value:
            out[i] = '"' + value.replace('"', '""') + '"'
    return out


class _XlsxWriter:
    """Streams chunk frames into one sheet of an XLSX workbook; byte-stable on close.

    openpyxl writes the workbook (styles, relations, properties) around a one-row sheet; the
    sheet's rows are written here as inline-string cells, which is what openpyxl writes too,
    because writing hundreds of thousands of cells through openpyxl takes minutes.
    """

    _DATE_STYLE = "1"  # the style openpyxl gives the date cell of the placeholder sheet

    def __init__(self, path: Path, export: _Export) -> None:
        import tempfile

        self.path = path
        self.export = export
        self.rows = tempfile.TemporaryFile()
        self.n_rows = 0
        self.columns: list[str] = []

    def write(self, frame: pd.DataFrame) -> None:
        if not self.columns:
            self.columns = list(frame.columns)
            self._append([np.array([c], dtype=object) for c in self.columns],
                         [False] * len(self.columns))
        integer = [c == "besok_nr" for c in frame.columns]
        self._append([frame[c].to_numpy(dtype=object) for c in frame.columns], integer)

    def _append(self, columns: list[np.ndarray], integer: list[bool]) -> None:
        n = len(columns[0])
        first = self.n_rows + 1
        cells_by_column = []
        for index, (values, is_integer) in enumerate(zip(columns, integer, strict=True)):
            letter = chr(ord("A") + index)
            cells = []
            for row, value in enumerate(values.tolist(), start=first):
                if value == "":
                    cells.append("")
                elif value.startswith(_XLSX_DATE_MARK):
                    serial = (dt.date.fromisoformat(value[1:]) - dt.date(1899, 12, 30)).days
                    cells.append(f'<c r="{letter}{row}" s="{self._DATE_STYLE}" t="n">'
                                 f'<v>{serial}</v></c>')
                elif is_integer:
                    cells.append(f'<c r="{letter}{row}" t="n"><v>{int(value)}</v></c>')
                else:
                    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                    cells.append(f'<c r="{letter}{row}" t="inlineStr"><is><t>{text}</t></is></c>')
            cells_by_column.append(cells)
        body = "".join(f'<row r="{first + i}">' + "".join(cells) + "</row>"
                       for i, cells in enumerate(zip(*cells_by_column, strict=True)))
        self.rows.write(body.encode("utf-8"))
        self.n_rows += n

    def close(self) -> None:
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = self.export.sheet
        sheet.append(["placeholder", dt.date(2024, 6, 30)])
        workbook.properties.creator = "hembesok synth"
        workbook.properties.created = _XLSX_EPOCH
        buffer = io.BytesIO()
        workbook.save(buffer)
        last = f"{chr(ord('A') + len(self.columns) - 1)}{max(self.n_rows, 1)}"
        self.rows.seek(0)
        _write_stable_zip(buffer.getvalue(), self.path, self.rows, last)
        self.rows.close()


def _write_stable_zip(data: bytes, path: Path, rows: object, last_cell: str) -> None:
    """Re-pack openpyxl's XLSX with our sheet rows, fixed entry times and fixed document dates."""
    fixed = _XLSX_EPOCH.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            entry = zipfile.ZipInfo(info.filename, date_time=(2024, 6, 30, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                                 rb"\g<1>" + fixed.encode() + rb"\g<2>", content)
            if info.filename == "xl/worksheets/sheet1.xml":
                date_style = re.search(rb'<c r="B1" s="(\d+)"', content)
                if date_style is None or date_style.group(1).decode() != _XlsxWriter._DATE_STYLE:
                    raise RuntimeError("unexpected openpyxl sheet layout: date style not found")
                head, rest = content.split(b"<sheetData>", 1)
                tail = rest.split(b"</sheetData>", 1)[1]
                dimension = b'<dimension ref="A1:' + last_cell.encode() + b'"'
                head = re.sub(rb'<dimension ref="[^"]*"', dimension, head)
                with target.open(entry, "w") as handle:
                    handle.write(head + b"<sheetData>")
                    while block := rows.read(1 << 20):
                        handle.write(block)
                    handle.write(b"</sheetData>" + tail)
                continue
            target.writestr(entry, content)


# --- the study folder ----------------------------------------------------------------------

def _study_yaml(name: str, exports: dict[str, _Export]) -> str:
    quoted = name if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name) else json.dumps(name)

    def entry(table: str) -> str:
        export = exports[table]
        return f"{{file: {export.file}, sheet: {export.sheet}}}" if export.sheet else export.file

    return "\n".join([
        f"name: {quoted}",
        "title: Syntetisk demonstrationsstudie",
        "programme: rinkeby",
        f"extraction_date: {EXTRACTION_DATE.isoformat()}",
        "language: sv",
        "synthetic: true",
        "eligibility: {first_child: true, first_child_in_sweden: true}",
        "design:",
        "  type: did",
        f"  intervention_areas: [{', '.join(INTERVENTION_AREAS)}]",
        f"  comparison_areas: [{', '.join(COMPARISON_AREAS)}]",
        f"  programme_start: {PROGRAMME_START.isoformat()}",
        f"  born_from: {BORN_FROM.isoformat()}",
        f"  born_to: {BORN_TO.isoformat()}",
        "covariates: [mother_region, education, mother_age, interpreter_needed, child_sex]",
        "primary_indicators: [vacc_mmr1_24m, bf_any_6m, lang_no_deviation]",
        "min_cell: 5",
        "inputs:",
        *(f"  {table}: {entry(table)}" for table in ("children", "visits", "breastfeeding",
                                                     "vaccinations", "language")),
        "column_map: {visits: {Besöksdatum: datum}}   # this export names the date Besöksdatum",
        "",
    ])


def _parameters(effects: dict[str, float], area_effects: dict[str, np.ndarray]) -> dict[str, object]:
    return {
        "effects_odds_ratio_among_accepting": effects,
        "effect_model": "log(OR) added to the linear predictor of exposed eligible children whose "
                        "family accepted; zero for decliners. ITT truth averages over all exposed.",
        "curves_reference_probability": {k: [list(p) for p in v] for k, v in CURVES.items()},
        "baseline_probability": BASELINE,
        "reference_child": "mother born in Sweden, upper-secondary education, aged 30, no "
                           "interpreter, girl, area effect 0, born at programme start",
        "coefficients_log_odds": COEFFICIENTS,
        "terms": {"mother_age_per_5y_over_30": "(mother's age as written - 30) / 5",
                  "outside_europe_in_intervention_area": "mother born outside Europe and the child "
                                                         "lives in an intervention area"},
        "area_effects_log_odds": {family: dict(zip(AREAS, values.tolist(), strict=True))
                                  for family, values in area_effects.items()},
        "area_effect_model": "area effect = disadvantage x shift[family] + sd[family] x z[area, "
                             "domain], z ~ N(0, 1) drawn once per study from the seed and shared "
                             "by the families of a domain; constant over time; rounded to 4 "
                             "decimals, the values above are the ones used",
        "area_disadvantage": {area.name: area.disadvantage for area in AREA_TABLE},
        "area_shift_log_odds": AREA_SHIFT,
        "area_variation": {family: {"domain": domain, "sd_log_odds": sd}
                           for family, (domain, sd) in AREA_VARIATION.items()},
        "note_on_area_effects": "area effects are not study covariates: only designs that "
                                "difference them out (did) are unbiased for the programme effect",
        "trend_log_odds_per_year": TREND_PER_YEAR,
        "area_shares": dict(zip(AREAS, AREA_SHARES, strict=True)),
        "mother_region_by_area": {a: dict(zip(REGIONS, row.tolist(), strict=True))
                                  for a, row in zip(AREAS, REGION_BY_AREA, strict=True)},
        "education_by_region": {r: dict(zip(EDUCATIONS, row.tolist(), strict=True))
                                for r, row in zip(REGIONS, EDUCATION_BY_REGION, strict=True)},
        "education_shift_intervention": EDUCATION_SHIFT_INTERVENTION,
        "interpreter_by_region": dict(zip(REGIONS, INTERPRETER_BY_REGION.tolist(), strict=True)),
        "first_child_by_region": dict(zip(REGIONS, FIRST_CHILD_BY_REGION.tolist(), strict=True)),
        "first_in_sweden_if_mother_born_abroad": FIRST_IN_SWEDEN_IF_ABROAD,
        "move_out_probability": MOVE_OUT_PROBABILITY,
        "accept_probability": {"no_interpreter": ACCEPT_PROBABILITY,
                               "interpreter": ACCEPT_PROBABILITY_INTERPRETER},
        "breastfeeding_points": {k: list(v) for k, v in BF_POINTS.items()},
        "breastfeeding_missing_per_point": BF_MISSING,
        "language_referral": {"deviation": REFERRAL_IF_DEVIATION,
                              "no_remark": REFERRAL_IF_NO_REMARK},
        "screening_by_area": dict(zip(AREAS, SCREENING_BY_AREA, strict=True)),
        "bvc_by_area": dict(zip(AREAS, BVC_UNITS, strict=True)),
        "programme_contacts": [[t, list(w)] for t, w in PROGRAMME_CONTACTS],
        "mess_rate_per_kind": MESS_RATE,
    }


def write_synthetic_study(out_dir: Path, n_children: int = 2000, seed: int = 1, name: str = "demo",
                          effects: dict[str, float] | None = None,
                          progress: Callable[[str], None] | None = None) -> SynthResult:
    """Write a synthetic study folder (exports, study.yml, truth.json); same seed, same bytes."""
    started = time.perf_counter()
    if n_children < 1:
        raise ValueError(f"n_children must be at least 1, got {n_children}")
    effects_used = dict(DEFAULT_EFFECTS)
    for key, value in (effects or {}).items():
        if key not in DEFAULT_EFFECTS:
            raise ValueError(f"unknown effect '{key}': use one of {', '.join(DEFAULT_EFFECTS)}")
        if not value > 0:
            raise ValueError(f"effect '{key}' must be a positive odds ratio, got {value}")
        effects_used[key] = float(value)
    say = progress or (lambda _message: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    exports = _exports(n_children)
    calendar = _Calendar()
    pnr = _PersonnummerFactory(calendar)
    writers = {table: (_XlsxWriter if e.is_xlsx else _CsvWriter)(out_dir / e.file, e)
               for table, e in exports.items()}
    truth = _Truth()
    planted: dict[str, dict[str, object]] = {}
    formats = {table: np.zeros(len(DATE_FORMATS), dtype=np.int64) for table in exports}
    rows_written = dict.fromkeys(exports, 0)
    rows_natural = dict.fromkeys(exports, 0)
    decimal_comma = 0
    n_chunks = -(-n_children // _CHUNK_CHILDREN)
    area_effects = _area_effects(seed)
    try:
        for chunk in range(n_chunks):
            size = min(_CHUNK_CHILDREN, n_children - chunk * _CHUNK_CHILDREN)
            first = chunk == 0

            def stream(table: str, chunk: int = chunk) -> np.random.Generator:
                return np.random.default_rng([seed, chunk, _TABLE_STREAM[table]])

            kids = _draw_children(stream("children"), size, pnr, first)
            outcomes = _draw_outcomes(stream("outcomes"), kids, effects_used, area_effects)
            frame, fmt, decimals = _children_frame(stream("children_rows"), kids, calendar,
                                                   exports["children"])
            decimal_comma += decimals
            rows_natural["children"] += len(frame)
            frame, fmt, counts = _plant_children(stream("mess"), frame, fmt, kids, pnr, calendar,
                                                 first)
            _add_counts(planted, "children", counts)
            _write(writers["children"], frame, fmt, formats["children"], rows_written, "children")

            bf_events, bf_age = _breastfeeding_events(stream("breastfeeding"), kids, outcomes)
            vacc_events = _vaccination_events(stream("vaccinations"), kids, outcomes)
            lang_events, lang = _language_events(stream("language"), kids, outcomes)
            visit_events = _visit_events(stream("visits"), kids)
            _accumulate_truth(truth, kids, outcomes, bf_age, lang, bf_events, vacc_events)
            for table, events in (("visits", visit_events), ("breastfeeding", bf_events),
                                  ("vaccinations", vacc_events), ("language", lang_events)):
                rng = np.random.default_rng([seed, chunk, _TABLE_STREAM[table], 1])
                frame, fmt = _event_frame(table, rng, events, kids, calendar, exports[table])
                rows_natural[table] += len(frame)
                coordination_rows = int(kids.coordination[events.child].sum())
                frame, fmt, counts = _plant_events(table, rng, frame, fmt, events, kids, pnr,
                                                   calendar, first)
                counts["samordningsnummer"] = coordination_rows
                _add_counts(planted, table, counts)
                _write(writers[table], frame, fmt, formats[table], rows_written, table)
            done = chunk * _CHUNK_CHILDREN + size
            say(f"synth: chunk {chunk + 1}/{n_chunks} ({done:,} children)")
    finally:
        for writer in writers.values():
            writer.close()
    for table, export in exports.items():
        planted[table].update({
            "file": export.file,
            "rows_written": rows_written[table],
            "rows_natural": rows_natural[table],
            "date_formats": {_DATE_FORMAT_LABELS[f]: int(c)
                             for f, c in zip(DATE_FORMATS, formats[table], strict=True) if c},
            "decimal_comma": decimal_comma if table == "children" else 0,
        })
    study_file = out_dir / "study.yml"
    study_file.write_text(_study_yaml(name, exports), encoding="utf-8")
    truth_file = out_dir / "truth.json"
    document = {
        "generator": "pipeline.synth",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "n_children": n_children,
        "name": name,
        "chunk_children": _CHUNK_CHILDREN,
        "study": {"extraction_date": EXTRACTION_DATE.isoformat(),
                  "born_from": BORN_FROM.isoformat(), "born_to": BORN_TO.isoformat(),
                  "programme_start": PROGRAMME_START.isoformat(),
                  "intervention_areas": list(INTERVENTION_AREAS),
                  "comparison_areas": list(COMPARISON_AREAS)},
        "groups": {
            "intervention": "eligible (first child or first child in Sweden), intervention area, "
                            "born on or after programme_start (= exposed)",
            "comparison": "eligible, comparison area, born on or after programme_start",
            "intervention_pre": "eligible, intervention area, born before programme_start",
            "comparison_pre": "eligible, comparison area, born before programme_start",
        },
        "definitions": {
            "expected": "mean over the group's children in the restriction of each child's "
                        "model probability of the indicator (given their covariates, area, birth "
                        "date and actual programme status), not the realised count",
            "realised_positive": "the realised number of children with the indicator in the "
                                 "natural rows (before any planted mess), over the same children",
            "att_itt": "mean over exposed eligible children in the restriction of p_i(actual) - "
                       "p_i(untreated); decliners contribute 0 (intention to treat)",
            "att_per_protocol": "mean over exposed children whose family accepted of "
                                "p_i(treated) - p_i(untreated)",
            "crude_difference": "expected intervention - expected comparison (confounded)",
            "did_expected": "(intervention - intervention_pre) - (comparison - comparison_pre) of "
                            "the expected proportions",
            "true_birth_date": "the date in the personnummer (day - 60 for samordningsnummer); "
                               "rows flagged birth_date_conflict carry a fodelsedatum 1-3 days off",
            "mess": "planted rows are extra rows (except the children's flags); the natural rows "
                    "alone give realised_positive. duplicate_conflict rows in breastfeeding "
                    "come only from 8-month or between-window assessments",
        },
        "parameters": _parameters(effects_used, area_effects),
        "indicators": truth.summary(),
        "files": {table: {"file": e.file, "format": "xlsx" if e.is_xlsx else "csv",
                          "sheet": e.sheet, "delimiter": None if e.is_xlsx else e.delimiter,
                          "encoding": None if e.is_xlsx else e.encoding,
                          "rows": rows_written[table]} for table, e in exports.items()},
        "planted": planted,
        "vaccine_names_used": list(VACCINE_NAMES_USED),
        "vaccine_unknown_name": VACCINE_UNKNOWN_NAME,
    }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    truth_file.write_text(text, encoding="utf-8")
    seconds = time.perf_counter() - started
    say(f"synth: {n_children:,} children written to {out_dir} in {seconds:.1f} s")
    return SynthResult(out_dir=out_dir, study_file=study_file, truth_file=truth_file,
                       files={table: out_dir / e.file for table, e in exports.items()},
                       rows=dict(rows_written), n_children=n_children, seed=seed, seconds=seconds,
                       planted=planted)


def _add_counts(planted: dict[str, dict[str, object]], table: str, counts: dict[str, int]) -> None:
    target = planted.setdefault(table, {})
    for key, value in counts.items():
        target[key] = int(target.get(key, 0)) + int(value)


def _write(writer: _CsvWriter | _XlsxWriter, frame: pd.DataFrame, fmt: np.ndarray,
           format_counts: np.ndarray, rows_written: dict[str, int], table: str) -> None:
    writer.write(frame)
    valid = fmt[fmt >= 0]
    format_counts += np.bincount(valid, minlength=len(DATE_FORMATS))
    rows_written[table] += len(frame)
