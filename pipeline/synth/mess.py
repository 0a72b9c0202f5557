"""The mess of real exports: spellings, date formats and the planted bad rows.

Natural rows become export strings here (a spelling variant per value, a date format per
row), and each chunk gets its planted rows: duplicates, conflicting duplicates, invalid
personnummer, unparseable and impossible dates, unknown children and categories.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from pipeline.synth.outcomes import _Events
from pipeline.synth.parameters import (
    _DATE_COLUMN,
    _FMT_BAD,
    _FMT_ISO,
    AREAS,
    BVC_UNITS,
    CARE_FORMS,
    CARE_REASONS,
    CHILDREN_EXTRA_KINDS,
    CHILDREN_FLAG_KINDS,
    DECLINE_REASONS,
    DENTAL_DEFT_MAX,
    DENTAL_MESS_KIND,
    EDUCATIONS,
    EVENT_MESS_KINDS,
    EXTRACTION_DATE,
    MESS_MIN_FIRST_CHUNK,
    MESS_RATE,
    REGIONS,
    VACCINE_UNKNOWN_NAME,
    _Export,
)
from pipeline.synth.population import _NEVER, _Calendar, _Children, _days, _draw_fixed, _PersonnummerFactory

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
    # the care form of a contact as regional care registers export it
    "care_type": {"emergency": (("akut", 0.3), ("Akutmottagning", 0.3), ("barnakuten", 0.25),
                                ("Akutbesök", 0.15)),
                  "primary": (("primärvård", 0.5), ("Vårdcentral", 0.5)),
                  "inpatient": (("slutenvård", 0.7), ("Inläggning", 0.3)),
                  "other": (("övrigt", 0.6), ("Specialistöppenvård", 0.4))},
}
# Professions present, by who came: (spelling, share).
PROFESSION_SPELLINGS: dict[str, tuple[tuple[str, float], ...]] = {
    "joint": (("BVC-sjuksköterska, föräldrarådgivare", 0.6), ("BVC-ssk, Föräldrarådgivare", 0.2),
              ("Sjuksköterska,föräldrarådgivare", 0.2)),
    "nurse": (("BVC-sjuksköterska", 0.85), ("Sjuksköterska", 0.15)),
    "advisor": (("Föräldrarådgivare", 1.0),),
    "none": (("", 1.0),),
}
UNKNOWN_CATEGORY = {"visits": "oklart", "breastfeeding": "?", "language": "oklart",
                    "care_contacts": "okänd vårdform"}
_CATEGORY_COLUMN = {"visits": "status", "breastfeeding": "amning", "care_contacts": "vardform"}
UNPARSEABLE_DATES = ("2021-13-45", "okänt", "2020-02-30", "31/02/2021", "20211345", "ej känt")


# Canonical codes of the vocabularies, in the order of the generator's integer codes.
_BF_STATUSES = ("exclusive", "predominant", "partial", "none")
_VISIT_KINDS = ("home", "clinic", "phone")
_VISIT_STATUSES = ("done", "cancelled", "no_show")
_PARENTS = ("mother", "father", "both", "other")
_SCREENINGS = ("18m", "30m", "36m")
_RESULTS = ("no_remark", "deviation", "not_done")


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


def _spell_bool(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    return _spell(rng, "boolean", np.where(values, 0, 1), ("true", "false"))


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


# --- formatting rows -----------------------------------------------------------------------

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
    elif table == "care_contacts":
        data.update({"vardform": _spell(rng, "care_type", c["form"], CARE_FORMS),
                     "orsak": c["reason"]})
    elif table == "dental":
        examined = _spell_bool(rng, c["examined"])
        examined[c["examined_blank"]] = ""
        data.update({"deft": np.where(c["examined"], c["deft"].astype(str).astype(object), ""),
                     "undersokt": examined})
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
    last_kind = {"vaccinations": "vaccine_unknown", "dental": DENTAL_MESS_KIND}.get(table)
    if last_kind is not None:
        counts = {(last_kind if kind == "category_unknown" else kind): 0 for kind in EVENT_MESS_KINDS}
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
    elif table == "care_contacts":  # the same contact with another reason recorded
        form = events.columns["form"][src]
        reasons = [CARE_REASONS[CARE_FORMS[f]] for f in form.tolist()]
        rows["orsak"] = [texts[(texts.index(old) + 1) % len(texts) if old in texts else 0]
                         for texts, old in zip(reasons, rows["orsak"], strict=True)]
    elif table == "dental":  # the same examination with another deft (never above 20)
        rows["deft"] = [str(int(d) + 1) for d in rows["deft"]]
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
    elif table == "dental":  # a deft no child can have (20 primary teeth), or a typo of one
        src = take()
        rows = frame.iloc[src].copy()
        rows["deft"] = np.where(rng.random(len(src)) < 0.5, "99",
                                (DENTAL_DEFT_MAX + rng.integers(1, 11, len(src))).astype(str)).astype(object)
        emit(DENTAL_MESS_KIND, rows, fmt[src])
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
        rows[_CATEGORY_COLUMN[table]] = UNKNOWN_CATEGORY[table]
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
