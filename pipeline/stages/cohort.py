"""Stage 3, cohort: one row per child with eligibility, groups, covariates, dose and outcomes.

Groups per design (SPEC §7):
- `concurrent`: children born from the programme start (and within born_from..born_to) in
  intervention areas vs comparison areas;
- `historical`: children in intervention areas born from the programme start vs before it;
- `did`: area (intervention/comparison) x period (pre/post programme start).
`group` is the study's primary contrast under its design ("intervention" / "comparison",
NA when the child is in neither); `did_area` and `did_period` carry the 2x2 cells.
Eligibility: first child, or first child born in Sweden (either qualifies, per study.yml);
an unknown flag does not qualify a child (counted in the flow table as unknown).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.config import COVARIATES, Study
from pipeline.indicators import INDICATORS, Indicator, TimeToEvent, present
from pipeline.indicators.breastfeeding import breastfeeding_indicators
from pipeline.indicators.common import Cohort
from pipeline.indicators.common import cohort as children_arrays
from pipeline.indicators.healthcare import care_indicators, dental_indicators
from pipeline.indicators.implementation import programme_dose
from pipeline.indicators.language import language_indicators
from pipeline.indicators.vaccination import vaccination_indicators
from pipeline.stats.proportions import proportion
from pipeline.stats.survival import kaplan_meier, turnbull

AREA_GROUPS = ("intervention", "comparison")  # area_group, by code
PERIODS = ("pre", "post")  # period, by code
# group and group_<design>, by code: an area group after the programme start, or before it
DESIGN_GROUPS = ("intervention", "comparison", "intervention_pre", "comparison_pre")

DICTIONARY: dict[str, tuple[str, str]] = {
    "child_id": ("pseudonym of the child (keyed HMAC-SHA256 of the personnummer)", "children"),
    "birth_date": ("birth date (export column, else derived from the personnummer)", "children"),
    "area": ("area of residence as spelled in study.yml", "children.omrade"),
    "area_group": ("intervention / comparison / NA (area outside the design)", "study.yml design"),
    "period": ("pre / post: born before or from the programme start", "birth_date, study.yml"),
    "born_in_range": ("born within design.born_from..born_to", "birth_date, study.yml"),
    "eligible": ("first child or first child in Sweden, per study.yml eligibility", "children"),
    "eligibility_unknown": ("eligibility flags missing, so not counted as eligible", "children"),
    "in_study": ("eligible, born in range, living in a design area", "derived"),
    "group": ("intervention / comparison under the study's design; NA outside it", "derived"),
    "group_concurrent": ("intervention / comparison areas, born from the programme start", "derived"),
    "group_historical": ("intervention areas: born from (intervention) or before (comparison) the start",
                         "derived"),
    "group_did": ("area x period cell: intervention, comparison, intervention_pre, comparison_pre",
                  "derived"),
    "did_area": ("intervention / comparison area, for difference-in-differences", "derived"),
    "did_period": ("pre / post programme start, for difference-in-differences", "derived"),
    "exposed": ("eligible, intervention area, born from the programme start", "derived"),
    "offered": ("the family was offered the programme (an offer date is recorded)", "children.erbjuden"),
    "accepted": ("the family accepted the programme", "children.tackat_ja"),
    "any_contact": ("at least one planned contact of the programme received", "visits"),
    "all_contacts": ("every planned contact received (NA = not yet due every contact: too young at "
                     "the extraction date or moved out before the last contact's window end)",
                     "visits, study.yml programme"),
    "all_contacts_excluded": ("why the child is not due every planned contact", "study.yml programme"),
    "moved_out": ("the child moved out before the extraction date", "children.utflyttad"),
    "moved_out_date": ("date of moving out", "children.utflyttad"),
    "age_at_extraction_days": ("age in days at the extraction date", "birth_date, study.yml"),
    "mother_region": ("mother's region of birth", "children.mor_fodelseregion"),
    "education": ("parents' highest education", "children.utbildning"),
    "mother_age": ("mother's age at birth, years", "children.mor_alder"),
    "interpreter_needed": ("family needs an interpreter", "children.tolkbehov"),
    "child_sex": ("child's sex", "children.kon or the personnummer"),
    "birth_weight_g": ("birth weight, grams", "children.fodelsevikt"),
    "gestational_weeks": ("gestational age, weeks", "children.graviditetsvecka"),
}


def build_cohort(study: Study, children: pd.DataFrame, visits: pd.DataFrame,
                 breastfeeding: pd.DataFrame, antigen_doses: pd.DataFrame,
                 language: pd.DataFrame, care_contacts: pd.DataFrame | None = None,
                 dental: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per child of the children table: base columns, dose and every indicator (those
    of an optional export only when the study gives it)."""
    events = {"visits": visits, "breastfeeding": breastfeeding, "antigen_doses": antigen_doses,
              "language": language, "care_contacts": care_contacts, "dental": dental}
    return cohort_from_events(study, children, [(name, table) for name, table in events.items()
                                                if table is not None])


def _dose(study: Study, children: pd.DataFrame, visits: pd.DataFrame, kids: Cohort) -> pd.DataFrame:
    return programme_dose(children, visits, study.programme, study.extraction_date, kids=kids)


def _language(study: Study, children: pd.DataFrame, language: pd.DataFrame,
              kids: Cohort) -> pd.DataFrame:
    # each child by its own screening records (SPEC §6): never a type chosen per area
    return language_indicators(children, language, study.extraction_date,
                               screening=study.language_screening, kids=kids)


def _at_extraction(indicators: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
    """A family of indicators that needs only the study's extraction date."""
    def part(study: Study, children: pd.DataFrame, events: pd.DataFrame, kids: Cohort) -> pd.DataFrame:
        return indicators(children, events, study.extraction_date, kids=kids)
    return part


# The clean event tables the cohort's parts are computed from, each with the function that
# computes its part (one row per child, in the children's order), in the cohort's column order.
EVENT_PARTS: dict[str, Callable[[Study, pd.DataFrame, pd.DataFrame, Cohort], pd.DataFrame]] = {
    "visits": _dose,
    "breastfeeding": _at_extraction(breastfeeding_indicators),
    "antigen_doses": _at_extraction(vaccination_indicators),
    "language": _language,
    "care_contacts": _at_extraction(care_indicators),
    "dental": _at_extraction(dental_indicators),
}


def cohort_from_events(study: Study, children: pd.DataFrame,
                       events: Iterable[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """`build_cohort` of the event tables given as (name in EVENT_PARTS, table) pairs, taken
    one at a time: each is let go once its part is computed, so that a reader can read the
    tables as they are asked for (`runner.CleanEvents`) and a million children's 40M
    events need not be in memory together."""
    base = cohort_base(study, children)
    kids = children_arrays(children, study.extraction_date)  # checked once: a million ids take a second
    parts = {}
    for name, table in events:
        if name not in EVENT_PARTS:
            raise ValueError(f"no cohort part is computed from a table named {name!r}; "
                             f"the event tables are {list(EVENT_PARTS)}")
        parts[name] = EVENT_PARTS[name](study, children, table, kids)
        del table  # before the next is asked for
    # every part is indexed by the children's ids in the children's order (Cohort.frame), as
    # the base is: the parts are set side by side at once (a join per part copied the growing
    # cohort six times: a second at a million children)
    ordered = [parts[name] for name in EVENT_PARTS if name in parts]
    return pd.concat([base.set_index("child_id"), *ordered], axis=1).reset_index()


def cohort_base(study: Study, children: pd.DataFrame) -> pd.DataFrame:
    """Eligibility, groups, period, covariates and follow-up for each child.

    The groups are worked out as small codes and spelled out once per column (`_texts`): as
    pandas string operations on the labels they took half a second of a million children's."""
    design = study.design
    extraction = pd.Timestamp(study.extraction_date)
    birth = children["birth_date"]
    area = children["area"]
    index = children.index
    # the area's group by its place in AREA_GROUPS, -1 outside the design (an area named in
    # both lists counts as a comparison area)
    area_code = np.full(len(children), -1, dtype=np.int8)
    area_code[_isin(area, design.intervention_areas)] = AREA_GROUPS.index("intervention")
    area_code[_isin(area, design.comparison_areas)] = AREA_GROUPS.index("comparison")
    post = (birth >= pd.Timestamp(design.programme_start)).to_numpy(dtype=bool)  # else "pre"
    born_in_range = (birth >= pd.Timestamp(design.born_from)) & (birth <= pd.Timestamp(design.born_to))
    eligible, unknown = _eligibility(study, children)
    in_study = (eligible & born_in_range).to_numpy(dtype=bool) & (area_code >= 0)
    groups = {kind: _texts(np.where(in_study, _design_group(kind, area_code, post), -1),
                           DESIGN_GROUPS, index)
              for kind in ("concurrent", "historical", "did")}
    in_did = in_study & (design.type == "did")
    moved = children["moved_out_date"]
    base = pd.DataFrame({
        "child_id": children["child_id"],
        "birth_date": birth,
        "area": area,
        "area_group": _texts(area_code, AREA_GROUPS, index),
        "period": _texts(post.astype(np.int8), PERIODS, index),
        "born_in_range": born_in_range.astype(bool),
        "eligible": eligible,
        "eligibility_unknown": unknown,
        "in_study": pd.Series(in_study, index=index),
        "group": groups[design.type],
        "group_concurrent": groups["concurrent"],
        "group_historical": groups["historical"],
        "group_did": groups["did"],
        "did_area": _texts(np.where(in_did, area_code, -1), AREA_GROUPS, index),
        "did_period": _texts(np.where(in_did, post, -1), PERIODS, index),
        "exposed": pd.Series(in_study & (area_code == AREA_GROUPS.index("intervention")) & post,
                             index=index),
        # a family that accepted was offered, its offer's date missing or not (clean lists them)
        "offered": (children["offered_date"].notna()
                    | children["accepted"].astype("boolean").eq(True).fillna(False)).astype(bool),
        "accepted": children["accepted"].astype("boolean"),
        "moved_out": (moved.notna() & (moved <= extraction)).astype(bool),
        "moved_out_date": moved,
        "age_at_extraction_days": (extraction - birth).dt.days.astype("Int64"),
    })
    for column in COVARIATES:  # every covariate study.yml may name
        base[column] = children[column]
    return base


def _isin(values: pd.Series, names: Iterable[str]) -> np.ndarray:
    return values.isin(list(names)).to_numpy(dtype=bool, na_value=False)


def _texts(codes: np.ndarray, labels: tuple[str, ...], index: pd.Index) -> pd.Series:
    """The labels by code (-1: <NA>) as a nullable string column."""
    texts = pa.array(labels, type=pa.large_string()).take(pa.array(codes, mask=codes < 0))
    return pd.Series(pd.array(texts, dtype="string"), index=index)


def _eligibility(study: Study, children: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Eligible when any flag named in study.yml is true; unknown when none is known true."""
    flags = [children[name].astype("boolean") for name, wanted in
             (("first_child", study.eligibility.first_child),
              ("first_child_in_sweden", study.eligibility.first_child_in_sweden)) if wanted]
    if not flags:
        everyone = pd.Series(True, index=children.index)
        return everyone, ~everyone
    eligible = pd.Series(False, index=children.index)
    all_known = pd.Series(True, index=children.index)
    for flag in flags:
        eligible |= flag.fillna(False).astype(bool)
        all_known &= flag.notna().astype(bool)
    return eligible.astype(bool), (~eligible & ~all_known).astype(bool)


def _design_group(kind: str, area_code: np.ndarray, post: np.ndarray) -> np.ndarray:
    """The primary contrast's group of each child under the design, by its place in
    DESIGN_GROUPS (-1: none), from its area's group (AREA_GROUPS) and period."""
    if kind == "concurrent":
        return np.where(post, area_code, -1)
    if kind == "historical":
        labels = np.where(post, DESIGN_GROUPS.index("intervention"), DESIGN_GROUPS.index("comparison"))
        return np.where(area_code == AREA_GROUPS.index("intervention"), labels, -1)
    # did: the primary two-group contrast is the concurrent one after the start; the pre
    # period cells are labelled for the 2x2 analysis (intervention_pre, comparison_pre)
    return np.where(area_code >= 0, area_code + np.where(post, 0, 2), -1)


# --- tables -------------------------------------------------------------------------------------



def indicator_table(cohort: pd.DataFrame) -> pd.DataFrame:
    """indicators.csv: every indicator per group, and per group and area.

    Binary indicators: the proportion with a Wilson interval. Survival indicators, at their
    landmark age: a right-censored one (`vacc_mmr1_age`) the Kaplan–Meier share (censored at
    moving out and extraction, with its pointwise interval); an interval-censored one
    (`bf_duration`) the Turnbull NPMLE share (no interval is given, as the NPMLE's needs a
    bootstrap); the share with the event for a `rising` indicator (vaccinated by 730 days),
    else the share still without it (breastfed at 183 days). Right-censored indicators come
    before interval-censored ones (the table's row order, which publishing depends on).
    Small-cell suppression is applied when the table is published (pipeline/publish/),
    not here.
    """
    binary = [i.id for i in present(cohort.columns, ("binary",))]
    survival = sorted((i for i in INDICATORS if i.time_to_event is not None),
                      key=lambda i: i.time_to_event.interval_censored)
    read = {i.id: _landmark_columns(i, cohort.columns) for i in survival}
    # the children in the study, with only the columns read here (not all ~116 of the cohort)
    columns = ["group", "area", *binary, *dict.fromkeys(c for known, used in read.values()
                                                       for c in (known, *used))]
    in_study = cohort.loc[cohort["group"].notna(), columns]
    rows = _proportion_rows(in_study, binary)
    for indicator in survival:
        known, used = read[indicator.id]
        cells = in_study.loc[in_study[known].notna(), ["group", "area", *used]]
        for (group, area), cell in _cells(cells):
            rows.append(_landmark_row(indicator.id, indicator.time_to_event, group, area, cell))
    return pd.DataFrame(rows)


def _landmark_columns(indicator: Indicator, present: pd.Index) -> tuple[str, list[str]]:
    """A survival indicator's column saying whom it is known for, and those its landmark
    share reads (of them, those the cohort has)."""
    course = indicator.time_to_event
    known = f"{indicator.id}_censoring" if course.interval_censored else f"{indicator.id}_days"
    used = ([f"{indicator.id}_left_days", f"{indicator.id}_right_days"] if course.interval_censored
            else [f"{indicator.id}_days", f"{indicator.id}_event"])
    return known, [column for column in used if column in present]


def _cells(values: pd.DataFrame):  # noqa: ANN202 - yields ((group, area), frame)
    for group, cell in values.groupby("group", sort=True):
        yield (group, "all"), cell
        for area, area_cell in cell.groupby("area", sort=True):
            yield (group, area), area_cell


def _proportion_rows(in_study: pd.DataFrame, indicators: list[str]) -> list[dict]:
    """Each binary indicator's proportion per group, in all areas and in each area (sorted),
    among the children it is known for: every cell counted in one pass over the children."""
    known = in_study[indicators].notna()
    positive = in_study[indicators].fillna(False).astype(bool)
    by_group = [in_study["group"]]
    by_cell = [in_study["group"], in_study["area"]]
    n_group, events_group = (frame.groupby(by_group, sort=True).sum() for frame in (known, positive))
    n_cell, events_cell = (frame.groupby(by_cell, sort=True).sum() for frame in (known, positive))
    rows = []
    for indicator in indicators:
        for group in n_group.index:
            if n_group.at[group, indicator] == 0:
                continue  # no child of the group has the indicator known
            rows.append(_proportion_row(indicator, group, "all", n_group.at[group, indicator],
                                        events_group.at[group, indicator]))
            areas = n_cell.loc[group, indicator]
            for area, n in areas[areas > 0].items():
                events = events_cell.at[(group, area), indicator]
                rows.append(_proportion_row(indicator, group, area, n, events))
    return rows


def _proportion_row(indicator: str, group: str, area: str, n: int, events: int) -> dict:
    n, events = int(n), int(events)
    estimate = proportion(events, n, method="wilson")
    return {"indicator": indicator, "group": group, "area": area, "measure": "proportion",
            "n_denominator": n, "n_numerator": events, "proportion": estimate.estimate,
            "ci_low": estimate.ci_low, "ci_high": estimate.ci_high}


def _landmark_row(indicator: str, course: TimeToEvent, group: str, area: str,
                  cell: pd.DataFrame) -> dict:
    """A survival indicator's share at its landmark; n_numerator: the children with the
    event (by the landmark when right-censored; ever, when known only between assessments)."""
    days = course.landmark_days
    if course.interval_censored:
        left = cell[f"{indicator}_left_days"].to_numpy(dtype=float)
        right = cell[f"{indicator}_right_days"].to_numpy(dtype=float)
        bounds = turnbull(left, right).survival_at([days]).iloc[0]
        survival = float((bounds["survival_lower"] + bounds["survival_upper"]) / 2)
        low = high = None
        events = int((~np.isnan(right)).sum())
    else:
        time = cell[f"{indicator}_days"].to_numpy(dtype=float)
        event = cell[f"{indicator}_event"].to_numpy(dtype=bool)
        curve = kaplan_meier(time, event).survival_at([days]).iloc[0]
        survival, low, high = curve["survival"], curve["ci_low"], curve["ci_high"]
        events = int((event & (time <= days)).sum())
    share = survival
    if course.rising:  # the share with the event: 1 - S, its interval turned round
        share = 1 - survival
        low, high = (None, None) if low is None else (1 - high, 1 - low)
    return {"indicator": indicator, "group": group, "area": area,
            "measure": course.landmark_measure.format(days=days),
            "n_denominator": len(cell), "n_numerator": events, "proportion": share,
            "ci_low": _finite(low), "ci_high": _finite(high)}


def _finite(value: float | None) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


def flow_table(cohort: pd.DataFrame) -> pd.DataFrame:
    """flow.csv: eligible -> offered -> accepted -> at least one contact -> due every
    planned contact -> all planned contacts.

    "All planned contacts" honours age as every indicator does (SPEC §6): it is counted
    among the children who reached the end of the programme's latest contact window by the
    extraction date and did not move out before it (`all_contacts` is <NA> for the others),
    and that denominator is a step of its own, so a child too young for its last contacts is
    shown as not yet due rather than as a family that dropped out.
    """
    rows = []
    target = cohort.loc[cohort["area_group"].eq("intervention").fillna(False)
                        & cohort["period"].eq("post") & cohort["born_in_range"],
                        ["area", "eligible", "offered", "accepted", "any_contact", "all_contacts"]]
    # Each step is a subset of the one before: a contact counts only for accepting families.
    eligible = target["eligible"]
    offered = eligible & target["offered"]
    accepted = offered & target["accepted"].fillna(False).astype(bool)
    any_contact = accepted & target["any_contact"].fillna(False).astype(bool)
    due_all_contacts = any_contact & target["all_contacts"].notna()
    all_contacts = due_all_contacts & target["all_contacts"].fillna(False).astype(bool)
    steps = [("born_in_intervention_areas", pd.Series(True, index=target.index)),
             ("eligible", eligible), ("offered", offered), ("accepted", accepted),
             ("at_least_one_contact", any_contact), ("due_all_contacts", due_all_contacts),
             ("all_planned_contacts", all_contacts)]
    for area, cell in [("all", target), *sorted(target.groupby("area"), key=lambda x: x[0])]:
        previous = None
        for order, (step, mask) in enumerate(steps, start=1):
            n = int(mask.loc[cell.index].sum())
            rows.append({"area": area, "order": order, "step": step, "children": n,
                         "share_of_previous": round(n / previous, 4) if previous else None})
            previous = n
    return pd.DataFrame(rows)


def fidelity_table(cohort: pd.DataFrame, programme_contacts: int) -> pd.DataFrame:
    """fidelity.csv: contacts received, on time, joint, with interpreter, who attended."""
    exposed = cohort.loc[cohort["exposed"] & cohort["accepted"].fillna(False).astype(bool),
                         ["area", *(c for c in cohort.columns if c.startswith("contacts_"))]]
    rows = []
    for area, cell in [("all", exposed), *sorted(exposed.groupby("area"), key=lambda x: x[0])]:
        due = int(cell["contacts_due"].sum())
        received = int(cell["contacts_received"].sum())
        measures = {
            "children": len(cell),
            "contacts_planned_per_child": programme_contacts,
            "mean_contacts_received": cell["contacts_received"].mean() if len(cell) else None,
            "contacts_due": due,
            "contacts_received": received,
            "share_of_due_received": _share(received, due),
            "share_received_on_time": _share(int(cell["contacts_on_time"].sum()), received),
            "share_joint": _share(int(cell["contacts_joint"].sum()), received),
            "share_with_interpreter": _share(int(cell["contacts_interpreter"].sum()), received),
            "share_with_mother": _share(int(cell["contacts_mother"].sum()), received),
            "share_with_father": _share(int(cell["contacts_father"].sum()), received),
            "share_with_both": _share(int(cell["contacts_both"].sum()), received),
            "extra_contacts": int(cell["contacts_extra"].sum()),
        }
        rows += [{"area": area, "measure": k, "value": v} for k, v in measures.items()]
    return pd.DataFrame(rows)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def data_dictionary(cohort: pd.DataFrame) -> pd.DataFrame:
    """Each cohort column with its meaning and source."""
    definitions = {i.id: i.definition for i in INDICATORS}
    rows = []
    for column in cohort.columns:
        meaning, source = DICTIONARY.get(column, ("", ""))
        stem = column.removesuffix("_excluded")
        filled = column.removesuffix("_filled")
        if column in definitions:
            meaning, source = definitions[column] + " (NA = outside the denominator)", "indicators"
        elif stem in definitions:
            meaning, source = f"why the child is outside the denominator of {stem}", "indicators"
        elif filled in definitions:
            meaning, source = (f"{filled} where the window has no assessment but the child's "
                               "other assessments determine it (sensitivity analysis; NA "
                               "otherwise)"), "indicators"
        elif not meaning:
            meaning, source = _describe_derived(column)
        rows.append({"column": column, "dtype": str(cohort[column].dtype), "meaning": meaning,
                     "source": source})
    return pd.DataFrame(rows)


def _describe_derived(column: str) -> tuple[str, str]:
    if column.startswith("contact"):
        return column.replace("_", " "), "visits matched to the programme's planned contacts"
    if column.startswith(("bf_", "vacc_", "lang_", "care_", "dental_")):
        return column.replace("_", " "), "indicators"
    return "", ""
