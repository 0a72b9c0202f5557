"""The raw input contract (SPEC §4): tables, their columns, default Swedish headers, types.

This is the one place that knows what an export looks like. Every column has one
canonical English name inside the pipeline; the Swedish default header (and any
`column_map` entry in study.yml) is mapped onto it at ingest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pipeline.followup import WithParts, by_name
from pipeline.words import Words

# "identifier": an id of the source system other than a personnummer (a family id), replaced
# at clean by a keyed pseudonym like the personnummer.
ColumnKind = Literal[
    "personnummer", "date", "integer", "number", "category", "boolean", "text", "professions",
    "identifier",
]


@dataclass(frozen=True)
class Column:
    """One column of a raw table: canonical name, default export header, kind, required."""

    name: str
    header: str
    kind: ColumnKind
    required: bool = False
    vocabulary: str | None = None  # key into CATEGORY_VARIANTS for kind == "category"
    # a number's unit (parsing.UNITS: "g", "years", "weeks"), which its values may be written
    # with ("3500 g", "30 år", "38+2")
    unit: str | None = None
    description: str = ""
    # its name in the reports' data-quality appendix; the core tables' columns have theirs
    # in pipeline.text.COLUMN_LABELS, an optional export's columns here
    label: Words | None = None
    # A blank that is a value, not a gap (a blank moved-out date: the child did not move out):
    # the data-quality table counts no missing values in such a column.
    blank_is_value: bool = False
    # A column asked only of some rows: those whose column `asked_of[0]` is given (value None)
    # or holds `asked_of[1]` (the reason for declining: the families who declined). The
    # data-quality table counts its missing values among those rows.
    asked_of: tuple[str, object] | None = None


@dataclass(frozen=True)
class Table:
    """One raw table of the contract."""

    name: str
    row_is: str
    columns: tuple[Column, ...]
    required: bool = True
    # An optional export (required=False) also says here what the reports call it and its
    # rows (the core tables' words are in pipeline.text), the file stem exports usually have
    # (`hembesok synth` writes <file>.csv), and, when its rows may be identified by more than
    # one column ("personnummer or family id"), those columns: each row needs one of them.
    title: Words | None = None
    rows: Words | None = None
    file: str = ""
    identified_by: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)


PNR = Column(
    "personnummer",
    "personnummer",
    "personnummer",
    required=True,
    description="Swedish personal identity or coordination number of the child",
)

CORE_TABLES: dict[str, Table] = {
    "children": Table(
        "children",
        "child in the study population",
        (
            PNR,
            Column(
                "birth_date",
                "fodelsedatum",
                "date",
                description="birth date (derived from the personnummer when absent)",
            ),
            Column(
                "child_sex", "kon", "category", vocabulary="sex", description="child's sex: female / male"
            ),
            Column(
                "area",
                "omrade",
                "text",
                required=True,
                description="area (stadsdel/område) of residence at birth",
            ),
            Column("bvc_unit", "bvc", "text", description="child health centre (BVC) unit"),
            Column("first_child", "forstfodd", "boolean", description="first child of the mother"),
            Column(
                "first_child_in_sweden",
                "forsta_barn_i_sverige",
                "boolean",
                description="first child of the mother born in Sweden",
            ),
            Column(
                "mother_region",
                "mor_fodelseregion",
                "category",
                vocabulary="region",
                description="mother's region of birth: sweden / nordic / europe / outside_europe",
            ),
            Column("mother_age", "mor_alder", "number", description="mother's age at birth, years",
                   unit="years"),
            Column(
                "education",
                "utbildning",
                "category",
                vocabulary="education",
                description="parents' highest education: compulsory / upper_secondary / post_secondary",
            ),
            Column("interpreter_needed", "tolkbehov", "boolean", description="family needs an interpreter"),
            Column("birth_weight_g", "fodelsevikt", "number", description="birth weight, grams", unit="g"),
            Column(
                "gestational_weeks",
                "graviditetsvecka",
                "number",
                description="gestational age at birth, weeks (weeks + days, 38+2, read as 38 2/7)",
                unit="weeks",
            ),
            Column("moved_out_date", "utflyttad", "date", description="date the child moved out of the area",
                   blank_is_value=True),  # blank: did not move out
            Column(
                "offered_date", "erbjuden", "date", description="date the family was offered the programme",
                blank_is_value=True,  # blank: not offered
            ),
            Column("accepted", "tackat_ja", "boolean", description="family accepted the programme",
                   asked_of=("offered_date", None)),
            Column("declined_reason", "avbojt_orsak", "text", description="reason given for declining",
                   asked_of=("accepted", False)),
        ),
    ),
    "visits": Table(
        "visits",
        "contact",
        (
            PNR,
            Column("visit_date", "datum", "date", required=True, description="date of the contact"),
            Column(
                "visit_kind",
                "besokstyp",
                "category",
                required=True,
                vocabulary="visit_kind",
                description="home / clinic / phone",
            ),
            Column(
                "visit_status",
                "status",
                "category",
                required=True,
                vocabulary="visit_status",
                description="done / cancelled / no_show",
            ),
            Column(
                "professions",
                "yrkesgrupper",
                "professions",
                description="professions present, canonical codes joined by '|'",
            ),
            Column(
                "parents_present",
                "narvarande",
                "category",
                vocabulary="parents_present",
                description="mother / father / both / other",
            ),
            Column("interpreter_used", "tolk", "boolean", description="an interpreter took part"),
            Column(
                "visit_number", "besok_nr", "integer", description="programme visit number, when recorded"
            ),
        ),
    ),
    "breastfeeding": Table(
        "breastfeeding",
        "assessment",
        (
            PNR,
            Column("assessment_date", "datum", "date", required=True, description="date of the assessment"),
            Column(
                "bf_status",
                "amning",
                "category",
                required=True,
                vocabulary="breastfeeding",
                description="exclusive / predominant / partial / none",
            ),
        ),
    ),
    "vaccinations": Table(
        "vaccinations",
        "dose given",
        (
            PNR,
            Column("dose_date", "datum", "date", required=True, description="date the dose was given"),
            Column(
                "vaccine",
                "vaccin",
                "text",
                required=True,
                description="product or antigen name as exported; mapped to antigens at clean",
            ),
            Column(
                "dose_number_recorded", "dos", "integer", description="dose number as recorded in the export"
            ),
        ),
    ),
    "language": Table(
        "language",
        "screening",
        (
            PNR,
            Column("screening_date", "datum", "date", required=True, description="date of the screening"),
            Column(
                "screening",
                "screening",
                "category",
                required=True,
                vocabulary="screening",
                description="18m / 30m / 36m",
            ),
            Column(
                "result",
                "resultat",
                "category",
                required=True,
                vocabulary="language_result",
                description="no_remark / deviation / not_done",
            ),
            Column(
                "referred_speech_therapist",
                "remiss_logoped",
                "boolean",
                description="referred to a speech and language therapist",
            ),
        ),
    ),
}

# Healthcare use and dental health (issue 13): optional exports of child events, read, cleaned
# and accounted like the core event tables (unknown children, dates, duplicates: pipeline.stages.
# clean); a study without them simply has no healthcare or dental indicators.
CORE_TABLES["care_contacts"] = Table(
    "care_contacts",
    "healthcare contact",
    (
        PNR,
        Column("contact_date", "datum", "date", required=True, description="date of the contact",
               label=Words("Datum", "Date")),
        Column("care_type", "vardform", "category", required=True, vocabulary="care_type",
               description="emergency / primary / inpatient / other care",
               label=Words("Vårdform", "Type of care")),
        Column("contact_reason", "orsak", "text", description="reason for the contact, as recorded",
               label=Words("Orsak", "Reason")),
    ),
    required=False,
    title=Words("Vårdkontakter", "Healthcare contacts"),
    rows=Words("vårdkontakter", "contacts"),
    file="vardkontakter",
)
CORE_TABLES["dental"] = Table(
    "dental",
    "dental examination",
    (
        PNR,
        Column("exam_date", "datum", "date", required=True, description="date of the examination",
               label=Words("Datum", "Date")),
        Column("deft", "deft", "integer",
               description="decayed, extracted and filled primary teeth (0-20); blank when the child "
                           "was not examined",
               label=Words("deft (karierade, extraherade och fyllda tänder)",
                           "deft (decayed, extracted and filled teeth)")),
        Column("examined", "undersokt", "boolean",
               description="whether the child was examined (no: booked, not examined)",
               label=Words("Undersökt", "Examined")),
    ),
    required=False,
    title=Words("Tandhälsa", "Dental health"),
    rows=Words("undersökningar", "examinations"),
    file="tandhalsa",
)

# The programme's costs as an optional export (SPEC §4: `costs:` in study.yml or `kostnader`), a
# budget or ledger: one row per year and budget line, or several (a ledger's entries), added up
# per year and line at compare (pipeline.stages.compare.costs). Its rows name no person.
CORE_TABLES["costs"] = Table(
    "costs",
    "cost (a year's amount for what it covers)",
    (
        Column("year", "ar", "integer", required=True,
               description="calendar year the amount was budgeted or paid for",
               label=Words("År", "Year")),
        Column("amount_sek", "belopp_sek", "number", required=True,
               description="amount in kronor (more than 0; net a credit into the line it corrects)",
               label=Words("Belopp (kr)", "Amount (SEK)")),
        Column("covers", "avser", "text", required=True,
               description="what the amount pays for (staff, premises, training)",
               label=Words("Avser", "Covers")),
        Column("note", "anteckning", "text",
               description="why a year outside the intervention children's birth years is listed",
               label=Words("Anteckning", "Note")),
    ),
    required=False,
    title=Words("Kostnader", "Costs"),
    rows=Words("kostnadsrader", "cost rows"),
    file="kostnader",
)

TABLE_ORDER = ("children", "visits", "breastfeeding", "vaccinations", "language")  # the required tables

# Every raw table: the core tables, then each follow-up part's optional export
# (pipeline.followup: `EXPORT`), imported on the first lookup of a table that is not a core one.
TABLES: Mapping[str, Table] = WithParts(CORE_TABLES, lambda part: by_name(part.EXPORT), "raw table")


def input_tables(given: Mapping[str, object] | None = None) -> tuple[str, ...]:
    """The raw tables in reading order: the required ones, then the optional exports (of
    those `given`, e.g. a study's inputs, when given)."""
    optional = tuple(name for name, table in TABLES.items() if not table.required)
    return TABLE_ORDER + tuple(name for name in optional if given is None or name in given)


PROFESSIONS = (
    "bvc_nurse",
    "parental_advisor",
    "dental",
    "midwife",
    "pedagogue",
    "bridge_builder",
    "interpreter",
)

# Export spellings (lower-cased, whitespace folded) -> canonical code. Swedish lives here,
# in the input mapping, and nowhere in the logic.
CATEGORY_VARIANTS: dict[str, dict[str, str]] = {
    "sex": {
        "flicka": "female",
        "f": "female",
        "k": "female",
        "kvinna": "female",
        "girl": "female",
        "female": "female",
        "2": "female",
        "pojke": "male",
        "p": "male",
        "m": "male",
        "man": "male",
        "boy": "male",
        "male": "male",
        "1": "male",
    },
    "region": {
        "sverige": "sweden",
        "sweden": "sweden",
        "se": "sweden",
        "norden": "nordic",
        "nordic": "nordic",
        "övriga norden": "nordic",
        "norden utom sverige": "nordic",
        "europa": "europe",
        "europe": "europe",
        "övriga europa": "europe",
        "europa utom norden": "europe",
        "utanför europa": "outside_europe",
        "utanfor europa": "outside_europe",
        "utom europa": "outside_europe",
        "outside europe": "outside_europe",
        "outside_europe": "outside_europe",
        "övriga världen": "outside_europe",
    },
    "education": {
        "förgymnasial": "compulsory",
        "forgymnasial": "compulsory",
        "grundskola": "compulsory",
        "förgymnasial utbildning": "compulsory",
        "compulsory": "compulsory",
        "gymnasial": "upper_secondary",
        "gymnasium": "upper_secondary",
        "gymnasial utbildning": "upper_secondary",
        "upper_secondary": "upper_secondary",
        "eftergymnasial": "post_secondary",
        "eftergymnasial utbildning": "post_secondary",
        "högskola": "post_secondary",
        "universitet": "post_secondary",
        "post_secondary": "post_secondary",
    },
    "visit_kind": {
        "hembesök": "home",
        "hembesok": "home",
        "hem": "home",
        "home": "home",
        "hembesök bvc": "home",
        "mottagningsbesök": "clinic",
        "mottagningsbesok": "clinic",
        "mottagning": "clinic",
        "bvc-besök": "clinic",
        "clinic": "clinic",
        "telefon": "phone",
        "telefonkontakt": "phone",
        "telefonsamtal": "phone",
        "phone": "phone",
    },
    "visit_status": {
        "genomfört": "done",
        "genomfort": "done",
        "genomförd": "done",
        "utfört": "done",
        "done": "done",
        "inställt": "cancelled",
        "installt": "cancelled",
        "inställd": "cancelled",
        "avbokat": "cancelled",
        "cancelled": "cancelled",
        "uteblivet": "no_show",
        "uteblev": "no_show",
        "uteblivit": "no_show",
        "ej kommit": "no_show",
        "no_show": "no_show",
    },
    "parents_present": {
        "mamma": "mother",
        "mor": "mother",
        "mother": "mother",
        "pappa": "father",
        "far": "father",
        "father": "father",
        "båda": "both",
        "bada": "both",
        "båda föräldrarna": "both",
        "mamma och pappa": "both",
        "mamma, pappa": "both",
        "both": "both",
        "annan": "other",
        "annan vårdnadshavare": "other",
        "other": "other",
    },
    "breastfeeding": {
        "helt ammad": "exclusive",
        "helamning": "exclusive",
        "helammad": "exclusive",
        "helt": "exclusive",
        "exclusive": "exclusive",
        "enbart bröstmjölk": "exclusive",
        "övervägande ammad": "predominant",
        "overvagande ammad": "predominant",
        "övervägande": "predominant",
        "predominant": "predominant",
        "delvis ammad": "partial",
        "delamning": "partial",
        "delammad": "partial",
        "delvis": "partial",
        "partial": "partial",
        "ej ammad": "none",
        "ingen amning": "none",
        "ej": "none",
        "inte ammad": "none",
        "ammas ej": "none",
        "none": "none",
    },
    "screening": {
        "18 mån": "18m",
        "18 man": "18m",
        "18 månader": "18m",
        "18m": "18m",
        "2,5 år": "30m",
        "2.5 år": "30m",
        "2,5 ar": "30m",
        "2.5 ar": "30m",
        "30 mån": "30m",
        "2½ år": "30m",
        "30m": "30m",
        "3 år": "36m",
        "3 ar": "36m",
        "36 mån": "36m",
        "36m": "36m",
    },
    "language_result": {
        "utan anmärkning": "no_remark",
        "utan anmarkning": "no_remark",
        "ua": "no_remark",
        "u.a.": "no_remark",
        "normal": "no_remark",
        "no_remark": "no_remark",
        "avvikelse": "deviation",
        "avvikande": "deviation",
        "deviation": "deviation",
        "ej genomförd": "not_done",
        "ej genomford": "not_done",
        "ej utförd": "not_done",
        "not_done": "not_done",
    },
    # the care form of a healthcare contact (vårdform), as regional systems write it
    "care_type": {
        "akut": "emergency",
        "akutbesök": "emergency",
        "akutbesok": "emergency",
        "akutmottagning": "emergency",
        "akuten": "emergency",
        "barnakut": "emergency",
        "barnakuten": "emergency",
        "emergency": "emergency",
        "primärvård": "primary",
        "primarvard": "primary",
        "vårdcentral": "primary",
        "vardcentral": "primary",
        "primary": "primary",
        "primary care": "primary",
        "slutenvård": "inpatient",
        "slutenvard": "inpatient",
        "inläggning": "inpatient",
        "inlaggning": "inpatient",
        "inneliggande": "inpatient",
        "inpatient": "inpatient",
        "övrigt": "other",
        "ovrigt": "other",
        "övrig": "other",
        "annan": "other",
        "annat": "other",
        "specialistöppenvård": "other",
        "specialistoppenvard": "other",
        "other": "other",
    },
    "boolean": {
        "ja": "true",
        "j": "true",
        "yes": "true",
        "y": "true",
        "1": "true",
        "true": "true",
        "sant": "true",
        "x": "true",
        "nej": "false",
        "n": "false",
        "no": "false",
        "0": "false",
        "false": "false",
        "falskt": "false",
    },
}

# Every vocabulary a category column may name: the ones above, then each follow-up part's
# (pipeline.followup: `VOCABULARIES`), imported on the first lookup of one not given here.
VOCABULARIES: Mapping[str, dict[str, str]] = WithParts(
    CATEGORY_VARIANTS, lambda part: getattr(part, "VOCABULARIES", {}), "vocabulary")


# Text columns whose values name something from a list of our own (a vaccine's name: its
# product, pipeline.vaccines), which `value_map` may give a study's spellings of.
NAMED_TEXT = frozenset({("vaccinations", "vaccine")})


def column_variants(column: Column, spellings: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """The spellings a category or yes/no column reads (spelling -> code), with a study's own
    (`value_map`, already codes) added."""
    variants = VOCABULARIES["boolean" if column.kind == "boolean" else column.vocabulary or ""]
    return {**variants, **spellings} if spellings else variants


def column_meanings(column: Column) -> list[str]:
    """What a category or yes/no column's values can mean, each by its first spelling (the
    Swedish one: "utan anmärkning", "ja")."""
    first: dict[str, str] = {}
    for spelling, code in column_variants(column).items():
        first.setdefault(code, spelling)
    return list(first.values())


PROFESSION_VARIANTS: dict[str, str] = {
    "bvc-sjuksköterska": "bvc_nurse",
    "bvc-sjukskoterska": "bvc_nurse",
    "bvc sjuksköterska": "bvc_nurse",
    "sjuksköterska": "bvc_nurse",
    "bvc-ssk": "bvc_nurse",
    "ssk": "bvc_nurse",
    "bvc_nurse": "bvc_nurse",
    "distriktssköterska": "bvc_nurse",
    "föräldrarådgivare": "parental_advisor",
    "foraldraradgivare": "parental_advisor",
    "socialtjänst": "parental_advisor",
    "socialsekreterare": "parental_advisor",
    "parental_advisor": "parental_advisor",
    "tandvård": "dental",
    "tandhygienist": "dental",
    "tandsköterska": "dental",
    "dental": "dental",
    "barnmorska": "midwife",
    "midwife": "midwife",
    "förskollärare": "pedagogue",
    "pedagog": "pedagogue",
    "förskolepedagog": "pedagogue",
    "pedagogue": "pedagogue",
    "brobyggare": "bridge_builder",
    "bridge_builder": "bridge_builder",
    "tolk": "interpreter",
    "interpreter": "interpreter",
}
