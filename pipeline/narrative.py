"""The report's page one in words: who is compared with whom, and what the design's estimates say.

Every sentence here is built from `tables/summary.csv` (the design's headline estimate,
its interval, the multiplicity-adjusted p, the verdict and its caveats) and from the
study's design as recorded in the manifest; nothing is computed here. Observed shares are
told as what was seen; the programme's effect is always the design's own estimate.
Interval bounds are printed with enough decimals to show on which side of "no effect"
they lie, so a printed interval never contradicts the verdict beside it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import pandas as pd

from pipeline.indicators import indicator as registry_entry
from pipeline.indicators import time_to_event
from pipeline.indicators.language import DENOMINATOR_IS_EVENTS_OF
from pipeline.summary import ALPHA, FEW_CHILDREN, NULL_VALUES, corrected_floor, repeated_from
from pipeline.text import (
    DEFAULT_MIN_CELL,
    EN_DASH,
    GROUP_IN_SENTENCE,
    MINUS,
    check_language,
    format_bound,
    format_count,
    format_date,
    format_month,
    format_number,
    format_p,
    format_percent,
    is_missing,
    is_true,
    label,
    p_stated,
    phrase,
    records,
    round_half_up,
    suppressed_marker,
    suppressed_sentence,
    suppression_phrase,
    to_number,
)
from pipeline.text.narrative_words import (
    CAPTIONS,
    CHANGES_WORDS,
    COST_WORDS,
    DESIGN_WORDS,
    FAMILY_NAMES,
    METHOD_WORDS,
    MONITORING_WORDS,
    NOTE_WORDS,
    WORDS,
)
from pipeline.text.words import in_language
from pipeline.words import title_in_language


def _is_ratio(measure: str) -> bool:
    """Whether a measure's value of no difference is 1 (a ratio), not 0 (`NULL_VALUES`)."""
    return NULL_VALUES.get(measure) == 1.0


def word(key: str, language: str, **values: Any) -> str:
    """A phrase of WORDS with its placeholders filled in."""
    return WORDS[key].format(language, **values)


# --- numbers that show their side of "no effect" -------------------------------------------------

def _side(value: float | Decimal, null: float) -> int:
    return (value > Decimal(repr(null))) - (value < Decimal(repr(null))) if isinstance(
        value, Decimal) else (value > null) - (value < null)


def decimals_for(values: Sequence[float], null: float, start: int, most: int) -> int:
    """The fewest decimals (from `start`, at most `most`) at which each value, rounded, lies on
    the same side of `null` as the value itself; `start` when none is enough (the bound that
    still rounds onto `null` is then said in words)."""
    for decimals in range(start, most + 1):
        if all(_side(round_half_up(v, decimals), null) == _side(v, null) for v in values):
            return decimals
    return start


def _wide_enough(bounds: Sequence[float], decimals: int, most: int) -> int:
    """`decimals`, or more (at most `most`) until the bounds, rounded, lie at least two units
    of the last decimal apart."""
    if len(bounds) != 2:
        return decimals
    while decimals < most and abs(round_half_up(bounds[1], decimals)
                                  - round_half_up(bounds[0], decimals)) < Decimal(2).scaleb(-decimals):
        decimals += 1
    return decimals


def _bound_text(value: float, null: float, decimals: int, language: str) -> str:
    """A bound; one that rounds onto `null` although it is not on it is said in words."""
    if _side(round_half_up(value, decimals), null) != _side(value, null):
        words = word("just_above" if value > null else "just_below", language)
        return f"{words} {format_number(null, language, 0)}"
    return format_number(value, language, decimals)


def interval_text(low: Any, high: Any, null: float, language: str, *, scale: float = 1.0,
                  decimals: int = 0, most: int = 1, prefix: bool = True) -> str:
    """"95 % KI 2–14" with bounds that keep their side of `null` (values times `scale`)."""
    lo, hi = to_number(low), to_number(high)
    if lo is None or hi is None:
        return ""
    lo, hi, null = lo * scale, hi * scale, null * scale
    places = decimals_for([lo, hi], null, decimals, most)
    lo_text, hi_text = _bound_text(lo, null, places, language), _bound_text(hi, null, places,
                                                                           language)
    plain = not (lo_text.startswith((MINUS, word("just_above", language),
                                     word("just_below", language)))
                 or hi_text.startswith((MINUS, word("just_above", language),
                                        word("just_below", language))))
    if language == "sv" and plain:
        body = f"{lo_text}{EN_DASH}{hi_text}"
    else:
        body = f"{lo_text} {word('to', language)} {hi_text}"
    return f"{word('ci', language)}\u00a0{body}" if prefix else body  # "KI" kept with its bounds


def effect_text(row: Mapping[str, Any], language: str) -> str:
    """"7 procentenheter (95 % KI −17 till 39)" or "1,25 (95 % KI 1,05–1,49)" for a headline row.

    Decimals as few as keep each bound on its side of no effect and keep the interval at
    least two units of the last decimal wide: "2,4 procentenheter (95 % KI 1,6–3,3)", not
    "2 (95 % KI 2–3)", whose estimate seems to sit on a bound."""
    measure = str(row.get("measure") or "")
    estimate = to_number(row.get("estimate"))
    if estimate is None:
        return EN_DASH
    low, high = to_number(row.get("ci_low")), to_number(row.get("ci_high"))
    if _is_ratio(measure):
        bounds = [v for v in (low, high) if v is not None]
        places = _wide_enough(bounds, decimals_for(bounds, 1.0, 2, 3), 3)
        text = format_number(estimate, language, places)
        interval = interval_text(low, high, 1.0, language, decimals=places, most=3)
    else:
        bounds = [v * 100 for v in (low, high) if v is not None]
        places = _wide_enough(bounds, decimals_for(bounds, 0.0, 0, 1), 1)
        number = format_number(estimate * 100, language, places)
        unit = word("pp_one" if number.lstrip(MINUS) in ("1", "1,0", "1.0") else "pp", language)
        text = f"{number}\u00a0{unit}"  # never broken between the number and its unit
        interval = interval_text(low, high, 0.0, language, scale=100, decimals=places, most=1)
    return f"{text} ({interval})" if interval else text


# --- the summary --------------------------------------------------------------------------------

def p_text(p: Any, language: str) -> str:
    """A p-value with enough decimals to show its side of 0.05 ("0,0496", never "0,050")."""
    number = to_number(p)
    if number is None or number < 0.001:
        return format_p(p, language)
    text = format_p(number, language)
    decimals = 3 if number < 0.1 else 2
    while (round_half_up(number, decimals) < Decimal("0.05")) != (number < 0.05) and decimals < 6:
        decimals += 1
        text = format_number(number, language, decimals)
    return text


def _correction(row: Mapping[str, Any], family_sizes: Mapping[tuple[str, str], int],
                language: str) -> str:
    family = str(row.get("multiplicity") or "")
    if family not in ("holm_primary", "bh_secondary"):
        return ""
    size = family_sizes.get((str(row.get("area")), family), 0)
    return correction_words(family, size, language)


def count_not_tested(design: str, language: str) -> str:
    """That the count sections' estimates are not tested as the summary's are: in no correction
    for multiple comparisons and, where the summary's have one, no randomisation test (a
    historical study's have none: its count sections had said "no randomisation test" as if
    its summary had one)."""
    return phrase("count_not_tested_historical" if design == "historical" else "count_not_tested", language)


def correction_words(family: str, size: int, language: str) -> str:
    """"Holm's correction for 3 primary indicators" (for 1 primary indicator)."""
    return word(f"{family}_one" if size == 1 else family, language, k=size)


def _family_sizes(summary: pd.DataFrame) -> dict[tuple[str, str], int]:
    """The indicators of each area's correction for multiple comparisons: every row it labels.
    An indicator not estimable counts as p = 1 in its family (`stats.holm`), and one whose p
    is hidden counted all the same: counting only the rows with an adjusted p shown said
    "Holm's correction for 2 primary indicators" of a correction made for 3."""
    sizes: dict[tuple[str, str], int] = {}
    for _, row in summary.iterrows():
        if not is_missing(row.get("multiplicity")):
            key = (str(row["area"]), str(row["multiplicity"]))
            sizes[key] = sizes.get(key, 0) + 1
    return sizes


def _share(row: Mapping[str, Any], group: str, language: str) -> str:
    """An observed share; its bound ("över 95 %") or "ej redovisad" where it is suppressed."""
    bound = format_bound(row.get(f"proportion_bound_{group}"), language, words=True)
    if bound:
        return bound
    value = to_number(row.get(f"proportion_{group}"))
    if value is None:
        if to_number(row.get(f"n_denominator_{group}")) == 0:
            return word("no_child_share", language)
        # a group whose count is hidden too is a share not shown ("–" said nothing)
        hidden = row.get(f"n_denominator_{group}") is not None or not is_missing(row.get("suppression"))
        return word("hidden_share", language) if hidden else EN_DASH
    return format_percent(value, language)


def _apart(share: Any, limit: Any, language: str) -> tuple[str, str]:
    """A share and the limit it lies beyond, as percentages with as many decimals (up to two)
    as tell them apart: "50 %; gränsen 50 %" said nothing of a point above its limit."""
    for decimals in (0, 1, 2):
        shown = (format_percent(share, language, decimals), format_percent(limit, language, decimals))
        if shown[0] != shown[1]:
            return shown
    return shown


def not_estimable_why(row: Mapping[str, Any], language: str) -> str:
    """Why an effect could not be estimated, in a committee's words, from the row's
    reason_detail: the outcome model's separation by the covariates, a group without events
    or without children, or else the model alone."""
    detail = str(row.get("reason_detail") or "").lower()
    # the DiD's own check names an area, period or arm in which all or none had the outcome
    in_a_group = any(sign in detail for sign in ("area ", "areas after", "areas before", "period", "post ="))
    if "separation" in detail and "zero cell" not in detail and not in_a_group:
        return word("not_estimable_separation", language)
    if in_a_group or any(sign in detail for sign in ("zero cell", "no events", "no children", "too few",
                                                     "no child")):
        return word("not_estimable_few", language)
    return word("not_estimable_other", language)


def none_old_enough(row: Mapping[str, Any]) -> bool:
    """No child born after the start, in either group, old enough for the row's measure (a
    report early in the programme): nothing to estimate yet, whatever else the row says."""
    return all(to_number(row.get(f"n_denominator_{group}")) == 0 for group in ("intervention", "comparison"))


def indicator_name(indicator: str, language: str) -> str:
    return label("indicator", indicator, language)


def within_sentence(name: str) -> str:
    """A name as it reads inside a sentence: its first letter small, unless its first word is an
    abbreviation ("MMR vid 24 månader", "DTP-polio-Hib, …" stay; "Ålder vid MMR-vaccination" ->
    "ålder vid MMR-vaccination", where `str.lower` made "mmr")."""
    first = re.split(r"[\s,(-]", name, maxsplit=1)[0]
    if sum(character.isupper() for character in first) > 1:
        return name
    return name[:1].lower() + name[1:]


def landmark_name(indicator: str, language: str) -> str:
    """A time-to-event indicator's name with the landmark share its estimate on a difference
    scale is of ("Age at MMR vaccination (share vaccinated by 24 months)"); another
    indicator's name as it is."""
    name = indicator_name(indicator, language)
    course = time_to_event(indicator)
    return name if course is None else f"{name} ({course.landmark_words.in_(language).lower()})"


def observed_sentence(row: Mapping[str, Any], language: str,
                      places: Mapping[str, str] | None = None) -> str:
    """What was seen in each group, never called an effect. `places` (`arm_places`) names
    each arm's areas; by default as the row's own counts of areas say."""
    design = str(row.get("design") or "did")
    values = {"p1": _share(row, "intervention", language), "p0": _share(row, "comparison", language),
              **row_places(row, language, places)}
    if design == "did":
        values |= {"q1": _share(row, "intervention_pre", language),
                   "q0": _share(row, "comparison_pre", language),
                   "after": word("after_start", language),
                   "before": word("before_start", language)}
    area = str(row.get("area") or "all")
    if area != "all":
        return word(f"observed_{design}_area", language, area=area, **values)
    return word(f"observed_{design}", language, **values)


def verdict_phrase(row: Mapping[str, Any], family_sizes: Mapping[tuple[str, str], int],
                   language: str, places: Mapping[str, str] | None = None) -> str:
    """The verdict in words, naming the correction; never stronger than the numbers."""
    verdict, reason = str(row.get("verdict")), str(row.get("reason") or "")
    measure = str(row.get("measure") or "")
    null = format_number(1 if _is_ratio(measure) else 0, language, 0)
    values = {"p": p_stated(p_text(row.get("p_adjusted"), language)),
              "correction": _correction(row, family_sizes, language), "null": null,
              "floor": p_text(row.get("p_floor"), language),
              "randomisation": p_stated(p_text(row.get("p_randomisation"), language))}
    if verdict in ("higher", "lower"):
        design = str(row.get("design") or "did")
        at = row_places(row, language, places)
        course = time_to_event(str(row.get("indicator")))
        if measure == "hazard_ratio" and course is not None:
            said = (course.verdict_higher if verdict == "higher" else course.verdict_lower
                    ).format(language, **values)
            if design in ("concurrent", "historical"):  # where (or when) it came earlier, not why
                said = said.replace(word("with_programme", language),
                                    word(f"where_{design}", language, **at), 1)
                said += word(f"but_{design}", language)
            return said
        if design in ("concurrent", "historical"):  # where (or when) it was higher, not why
            return word(f"verdict_{design}", language, direction=word(f"direction_{verdict}", language),
                        **at, **values)
        return word(f"verdict_{verdict}", language, **values)
    if reason == "design_cannot_reach_significance":
        floor = to_number(row.get("p_floor"))
        size = family_sizes.get((str(row.get("area")), str(row.get("multiplicity") or "")), 1)
        # concurrent: its children-level p, the floor of its test over the areas (areas differ anyway)
        which = "_concurrent" if str(row.get("design")) == "concurrent" else ""
        if floor is not None and floor <= ALPHA and row.get("multiplicity") == "holm_primary":
            # the floor itself is below 5 %: only the correction puts it above
            return word(f"reason_design_cannot_reach_significance_corrected{which}", language,
                        corrected=p_text(corrected_floor(floor, "holm_primary", size), language), **values)
        return word(f"reason_design_cannot_reach_significance{which}", language, **values)
    said = word(f"reason_{reason}", language, **values) if reason else ""
    randomisation = to_number(row.get("p_randomisation"))
    if reason == "not_significant_after_correction" and randomisation is not None and randomisation > ALPHA:
        # the correction is not the only doubt: the design's own test over the areas, uncorrected
        said += word("randomisation_above_alpha", language,
                     p=p_stated(p_text(randomisation, language)))
    return said


def caveat_sentences(row: Mapping[str, Any], language: str, *, skip: Sequence[str] = ()) -> list[str]:
    """The row's caveats in words (`skip`: those already said once for the whole summary)."""
    sentences = []
    codes = str(row.get("caveats") or "").split(";")
    for code in codes:
        if not code or code in skip or code in ("few_areas", "no_interval", "very_few_areas",
                                                "one_area_in_arm", "few_treated_areas",
                                                "areas_not_clustered"):
            continue  # the first two need no words on page one; the others are tags
        if code == "pre_trends_differ":
            sentences.append(word("caveat_pre_trends_differ", language,
                                  p=p_stated(p_text(row.get("pretrend_p"), language))))
        elif code == "few_children":
            counts = [to_number(row.get(f"n_denominator_{arm}")) for arm in ("intervention", "comparison")]
            if None in counts:
                sentences.append(word("caveat_few_children_hidden", language))
                continue
            n1, n0 = (word("no_child", language) if count == 0 else format_count(count, language)
                      for count in counts)
            among = "_screened" if str(row.get("indicator")) in DENOMINATOR_IS_EVENTS_OF else ""
            if not among and _born_from(str(row.get("indicator"))) is not None:
                # few because the measure begins with a birth date (rotavirus from 1 September
                # 2019), not only for their age: "only 35 were old enough" of the oldest children
                among = "_born_from"
            few = [count < FEW_CHILDREN for count in counts]
            if 0 not in counts and few.count(True) == 1:  # "only 17 … and 186": only the few said so
                small = few.index(True)
                groups = [GROUP_IN_SENTENCE[arm].in_(language) for arm in ("intervention", "comparison")]
                sentences.append(word("caveat_few_in_group" + among, language, group=groups[small],
                                      n=(n1, n0)[small], other=(n1, n0)[1 - small],
                                      in_other=groups[1 - small], **_born_from_words(row, language)))
                continue
            key = "caveat_few_children_none" if 0 in counts else "caveat_few_children"
            if among == "_born_from" and key == "caveat_few_children_none":
                among = ""
            sentences.append(word(key + among, language, n1=n1, n0=n0, **_born_from_words(row, language)))
        else:
            sentences.append(word(f"caveat_{code}", language))
    joint = to_number(row.get("pretrend_joint_p"))
    if joint is not None and joint < ALPHA and "pre_trends_differ" not in codes:
        # the methods' checks said "a reason to read their estimates with caution" of MMR's
        # event study, page one nothing (a review, twice): said here, as the methods say it, not
        # as the placebo test's "doubtful" (a joint test over few areas has few degrees of freedom)
        sentences.append(word("caveat_pre_trends_joint", language,
                              p=p_stated(p_text(joint, language))))
    return sentences


def _born_from(indicator_id: str) -> Any:
    try:
        return registry_entry(indicator_id).born_from
    except KeyError:  # a row of no known indicator (a hand-made summary)
        return None


def _born_from_words(row: Mapping[str, Any], language: str) -> dict[str, str]:
    born_from = _born_from(str(row.get("indicator")))
    return {"born_from": format_date(born_from, language)} if born_from is not None else {}


# the caveats said as a tag next to the number, the first a row carries
TAG_CAVEATS = ("very_few_areas", "one_area_in_arm", "few_treated_areas")


def caveat_tag(row: Mapping[str, Any], language: str, *, said_above: str | None = None) -> str:
    """A short caveat said next to the number itself ("mycket osäkert med bara 4 områden");
    only its first words ("mycket osäkert") when it is `said_above` the list in full."""
    codes = str(row.get("caveats") or "").split(";")
    code = next((c for c in TAG_CAVEATS if c in codes), None)
    if code is None:
        return ""
    if code == said_above:
        return word(f"tag_{code}_short", language)
    treated = to_number(row.get("n_areas_intervention")) or 0
    comparison = to_number(row.get("n_areas_comparison")) or 0
    if code == "very_few_areas":
        return word("tag_very_few_areas", language,
                    areas=format_count(treated + comparison, language))
    if code == "one_area_in_arm":
        return word("tag_one_area_in_arm", language, which=_one_area(row, language))
    group = _few_group(row)
    few = format_count(treated if group == "intervention" else comparison, language)
    return word("tag_few_treated_areas", language, few=word(f"few_areas_{group}", language, n=few))


def _few_group(row: Mapping[str, Any]) -> str:
    """The group with fewer areas ("intervention" on a tie), for `few_treated_areas`."""
    treated = to_number(row.get("n_areas_intervention"))
    comparison = to_number(row.get("n_areas_comparison"))
    if treated is not None and comparison is not None and comparison < treated:
        return "comparison"
    return "intervention"


def _one_area(row: Mapping[str, Any], language: str) -> str:
    """Which group has a single area ("ett område med programmet"), for `one_area_in_arm`."""
    treated = to_number(row.get("n_areas_intervention"))
    comparison = to_number(row.get("n_areas_comparison"))
    if comparison is not None and comparison < 2:
        return word("one_area_both" if treated is not None and treated < 2 else "one_area_comparison",
                    language)
    return word("one_area_intervention", language)


def indicator_sentence(row: Mapping[str, Any], language: str,
                       family_sizes: Mapping[tuple[str, str], int] | None = None, *,
                       said_above: str | None = None, places: Mapping[str, str] | None = None,
                       min_cell: int = DEFAULT_MIN_CELL) -> str:
    """One indicator's summary from its summary.csv row, as SPEC §8 words it.

    `said_above`: a caveat said once above the list (`_shared_caveat`): the row's tag is then
    its first words ("osäkert"), and for `one_area_in_arm` the row has no verdict of no
    interval either, which the box gives for every row. `places`: as `observed_sentence`."""
    check_language(language)
    sizes = family_sizes or {}
    indicator = str(row["indicator"])
    name = indicator_name(indicator, language)
    verdict = str(row.get("verdict"))
    survival = str(row.get("kind") or "binary") == "survival"
    if verdict == "suppressed":
        shown = any(to_number(row.get(f"proportion_{g}")) is not None or row.get(f"proportion_bound_{g}")
                    for g in ("intervention", "comparison"))
        if not shown:
            return suppressed_sentence(indicator, language, min_cell, reason=row.get("reason"))
        # the shares the tables publish are said (a survival indicator's at its landmark, named
        # so); only the estimate is hidden
        why = suppression_phrase(row.get("reason"), language, min_cell)
        said = observed_sentence(row, language, places)
        title = landmark_name(indicator, language) if survival else name
        return f"{title}: {said} " + word("effect_suppressed", language, what=why)
    opening = landmark_name(indicator, language) if survival else name
    if none_old_enough(row):
        sentence = word("none_old_enough", language, name=opening)
        if str(row.get("design") or "did") == "did":  # the shares before the start, where there are some
            sentence += word("none_old_enough_before", language, q1=_share(row, "intervention_pre", language),
                             q0=_share(row, "comparison_pre", language), **row_places(row, language, places))
        return sentence
    observed = observed_sentence(row, language, places)
    measure = str(row.get("measure") or "")
    if verdict == "not_estimable":
        why = not_estimable_why(row, language)
        # the weighting check, where it could be made (an outcome model that separates does not
        # stop it), as beside an estimate: the committee was told nothing of a 3-point estimate
        return f"{opening}: {observed} " + word("not_estimable", language, why=why) + _sensitivity(
            row, measure, language)
    lead = {"did": "effect_did", "hazard_ratio": "effect_hr"}.get(measure, "effect_adjusted")
    effect = effect_text(row, language)
    if tag := caveat_tag(row, language, said_above=said_above):
        effect = f"{effect[:-1]}; {tag})" if effect.endswith(")") else f"{effect} ({tag})"
    said = (said_above == "one_area_in_arm" and str(row.get("reason")) == "no_interval"
            and "one_area_in_arm" in str(row.get("caveats") or "").split(";"))
    verdict_said = "" if said else f"; {verdict_phrase(row, sizes, language, places)}"
    course = time_to_event(indicator) if survival else None
    meaning = course.above_one.in_(language) if course is not None and measure == "hazard_ratio" else ""
    lead_words = word("effect_hr_meaning", language, meaning=meaning) if meaning else word(lead, language)
    sentence = f"{opening}: {observed} {lead_words}: {effect}{verdict_said}."
    return sentence + _sensitivity(row, measure, language)


def _sensitivity(row: Mapping[str, Any], measure: str, language: str) -> str:
    """" Känslighetsanalys med viktning (IPTW): …" (under did the unadjusted DiD) where the
    summary row has that estimate; "" otherwise."""
    if to_number(row.get("sensitivity_estimate")) is None or measure not in ("risk_difference", "did"):
        return ""
    check = {"estimate": row.get("sensitivity_estimate"), "measure": measure,
             "ci_low": row.get("sensitivity_ci_low"), "ci_high": row.get("sensitivity_ci_high")}
    key = "sensitivity_did" if measure == "did" else "sensitivity"
    return " " + word(key, language, effect=effect_text(check, language))


def summary_markdown(summary: pd.DataFrame, language: str, *, area: str = "all",
                     primary: Sequence[str] = (), min_cell: int = DEFAULT_MIN_CELL,
                     effects: pd.DataFrame | None = None) -> str:
    """The plain-language summary from summary.csv: intro, primary indicators, the others.

    `effects` (effects.csv as published): where an indicator's estimate is hidden, its multiple
    imputation row (every child, none left out for a missing covariate) is said instead when it
    is published (`imputed_instead`)."""
    check_language(language)
    rows = summary[summary["area"].astype(str) == str(area)] if "area" in summary else summary
    if rows.empty:
        return word("no_data", language).capitalize() + "."
    sizes = _family_sizes(rows)
    design = str(rows["design"].dropna().iloc[0]) if rows["design"].notna().any() else "did"
    # an area's report names its area where the study's says "the intervention areas"
    counts = [pd.to_numeric(rows[f"n_areas_{arm}"], errors="coerce").max() if f"n_areas_{arm}" in rows
              else None for arm in ("intervention", "comparison")]
    places = arm_places(language, *counts)
    one_intervention, one_comparison = (to_number(count) == 1 for count in counts)
    where = area if area != "all" else places["where"]
    same = where if area != "all" or one_intervention \
        else _design_word("same_areas", language)  # a historical design's: the areas themselves
    if area != "all" or one_intervention != one_comparison:  # a name, or -området and -områdena
        between = word("between_area", language, area=where, others=places["others"])
    else:
        between = word("between_one" if one_intervention else "between_all", language)
    lines = [word(f"summary_intro_{design}", language, where=where, others=places["others"], same=same,
                  between=between), ""]
    shared = _shared_caveat(rows)
    if shared is not None:
        code, row = shared
        treated = to_number(row.get("n_areas_intervention")) or 0
        comparison = to_number(row.get("n_areas_comparison")) or 0
        if code == "very_few_areas":
            lines += [word("few_areas_box", language, areas=format_count(treated + comparison, language),
                           treated=format_count(treated, language),
                           comparison=format_count(comparison, language)), ""]
        elif code == "one_area_in_arm":
            lines += [word("one_area_box", language, which=_one_area(row, language)), ""]
        else:
            lines += [word("few_treated_box", language, treated=format_count(treated, language),
                           comparison=format_count(comparison, language),
                           kind=word(f"few_kind_{_few_group(row)}", language)), ""]
    elif (clustered := _not_clustered(rows, language)) is not None:
        lines += [word("not_clustered_box", language, **clustered), ""]
    primary_ids = [i for i in primary if i in set(rows["indicator"])]
    if not primary_ids:
        primary_ids = [i for i, p in zip(rows["indicator"], rows["primary"], strict=True) if is_true(p)]
    by_id = {str(r["indicator"]): r for r in records(rows)}
    listed: set[str] = set()
    for title, ids in ((word("primary", language), primary_ids),
                       (word("secondary", language), [i for i in by_id if i not in primary_ids])):
        if not ids:
            continue
        lines += [f"**{title}**", ""]
        for indicator in ids:
            row = by_id[indicator]
            if (same := _same_estimate_as(row, by_id)) is not None and same in listed:
                # age at MMR's DiD at 24 months is MMR by 24 months': one estimate, one verdict
                # (it had two, from its two families' corrections: "higher" and "chance"); said
                # once where the other is already said (a primary one keeps its own verdict)
                lines.append("- " + word("same_estimate_as", language,
                                         indicator=landmark_name(indicator, language),
                                         other=indicator_name(same, language)))
                listed.add(indicator)
                continue
            listed.add(indicator)
            sentence = indicator_sentence(row, language, sizes, places=places, min_cell=min_cell,
                                          said_above=shared[0] if shared is not None else None)
            sentence += imputed_instead(row, effects, language)
            # "bara 0 … hade hunnit bli gamla nog": what the sentence itself has just said
            notes = caveat_sentences(row, language, skip=("few_children",) if none_old_enough(row) else ())
            lines.append("- " + " ".join([sentence, *notes]))
        lines.append("")
    # a ratio's interval is read against 1, a difference's against 0: the rule names both when
    # the page gives a ratio (a historical study's hazard ratios), else 0 alone
    ratio = any(_is_ratio(str(row.get("measure"))) and to_number(row.get("estimate")) is not None
                for row in by_id.values())
    rule = word(("summary_rule_ratio" if ratio else "summary_rule")
                + ("_historical" if design == "historical" else ""), language)
    if design in ("concurrent", "did"):  # the third condition (`stages.compare.tables`)
        rule += _areas_rule(list(by_id.values()), language, design)
    lines += [rule, "", word("caution_historical" if design == "historical" else "caution", language)]
    return "\n".join(lines)


def _areas_rule(rows: Sequence[Mapping[str, Any]], language: str, design: str) -> str:
    """" Eftersom jämförelsen ställer områden mot områden krävs också …": the test over which
    areas had the programme, with the lowest p it can give. A review read page one's rule
    without it, while the methods named it and no area report could meet it (concurrent); and
    a DiD's MMR met the rule as printed (adjusted p 0.018, interval 2-12) beside the verdict
    that so few areas cannot show it, since the test's lowest p after Holm's correction was
    0.067 (did: only that the test can reach 5 %, `stages.compare.tables`)."""
    for row in rows:
        floor = to_number(row.get("p_floor"))
        treated, compared = (to_number(row.get(f"n_areas_{arm}")) for arm in ("intervention", "comparison"))
        if floor is not None and treated and compared:
            values = {"floor": p_text(floor, language), "treated": format_count(treated, language),
                      "areas": format_count(treated + compared, language)}
            if design == "concurrent":
                return " " + word("summary_rule_areas", language, **values)
            primary = sum(bool(other.get("primary")) for other in rows)
            corrected = "" if primary < 2 else word(
                "summary_rule_areas_holm", language, primary=format_count(primary, language),
                corrected=p_text(corrected_floor(floor, "holm_primary", primary), language))
            return " " + word("summary_rule_areas_did", language, corrected=corrected, **values)
    return ""


def imputed_instead(row: Mapping[str, Any], effects: pd.DataFrame | None, language: str) -> str:
    """" En känslighetsanalys, där saknade bakgrundsuppgifter imputeras så att alla barn ingår,
    skattar effekten till 9 procentenheter (95 % KI 5–13); …" where the row's estimate is hidden
    and `effects` (as published) has its multiple imputation estimate; "" otherwise.

    An estimate on complete cases is hidden where a few children left out for a missing covariate
    would come back from it (the README's disclosure section), which a handful of children missing
    a covariate does to most adjusted estimates: page one then said nothing of the effect of two
    of a study's three primary indicators. The multiple imputation leaves no child out; publishing
    judged it apart, and its row is what it published. No verdict on chance: it is the
    sensitivity analysis, its p not corrected with the others'."""
    if effects is None or effects.empty or str(row.get("verdict")) != "suppressed":
        return ""
    found = effects[effects["analysis"].eq("multiple_imputation")
                    & effects["indicator"].eq(row.get("indicator"))
                    & effects["area"].astype(str).eq(str(row.get("area")))
                    & effects["measure"].eq(row.get("measure"))]
    found = found[pd.to_numeric(found["estimate"], errors="coerce").notna()]
    if found.empty:
        return ""
    imputed = found.iloc[0].to_dict()
    said = " " + word("imputed_instead_did" if str(row.get("measure")) == "did" else "imputed_instead",
                      language, effect=effect_text(imputed, language))
    # areas against areas (concurrent): a review read "−11" as the programme's where the truth was +5.5
    if "areas_not_clustered" in str(row.get("caveats") or "").split(";"):
        said += word("imputed_areas", language)
    elif str(row.get("design")) == "historical":
        said += word("imputed_historical", language)
    return said


def _same_estimate_as(row: Mapping[str, Any], by_id: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The indicator whose very estimate a row gives over again (`pipeline.summary.repeated_from`),
    when both rows are on the page; else None."""
    return repeated_from(str(row.get("indicator")), row, by_id)


def _not_clustered(rows: pd.DataFrame, language: str) -> dict[str, str] | None:
    """The areas compared, in words ({treated}, {comparison}), when the summary's intervals
    take the children as independent of each other (`areas_not_clustered`, the concurrent
    design, whose estimates compare areas but whose intervals are not clustered by area)."""
    if "caveats" not in rows or not rows["caveats"].astype("string").fillna("").str.contains(
            "areas_not_clustered").any():
        return None
    counts = [to_number(pd.to_numeric(rows[f"n_areas_{arm}"], errors="coerce").max())
              if f"n_areas_{arm}" in rows else None for arm in ("intervention", "comparison")]
    if None in counts:
        return None
    return {key: word(f"one_area_{arm}", language) if count == 1 else
            word(f"few_areas_{arm}", language, n=format_count(count, language))
            for key, arm, count in zip(("treated", "comparison"), ("intervention", "comparison"), counts,
                                       strict=True)}


def _shared_caveat(rows: pd.DataFrame) -> tuple[str, dict[str, Any]] | None:
    """The tag caveat (`TAG_CAVEATS`) that every row with an estimate carries, all with the same
    numbers of areas, said once above the list rather than in full with every indicator: too
    few areas for any reliable interval, few areas with the programme, or a single area in a
    group (an area's own report; there only when every such row lacks its interval for that
    reason, which the box then says for them all)."""
    rows = rows.reindex(columns=[*rows.columns, *({"verdict", "reason", "caveats", "n_areas_intervention",
                                                    "n_areas_comparison"} - set(rows.columns))])
    shown = rows[~rows["verdict"].astype(str).isin(["suppressed", "not_estimable"])]
    if shown.empty or len(shown[["n_areas_intervention", "n_areas_comparison"]].drop_duplicates()) != 1:
        return None
    codes = [str(c or "").split(";") for c in shown["caveats"].astype(object).fillna("")]
    firsts = {next((c for c in TAG_CAVEATS if c in row), None) for row in codes}
    if len(firsts) != 1 or (code := firsts.pop()) is None:
        return None
    if code == "one_area_in_arm" and not (shown["reason"].astype(str) == "no_interval").all():
        return None
    return code, shown.iloc[0].to_dict()


# --- who is compared with whom --------------------------------------------------------------------

def _design_word(key: str, language: str, **values: Any) -> str:
    return DESIGN_WORDS[key].format(language, **values)


def arm_places(language: str, intervention_areas: Any, comparison_areas: Any) -> dict[str, str]:
    """How page one names each arm's areas (`where`, `others`): "interventionsområdena" and
    "jämförelseområdena", or "-området" for an arm of one area (a pilot in one district against
    one other: "i interventionsområdena" was wrong there). Unknown counts read as several."""
    def one(count: Any) -> bool:
        return to_number(count) == 1
    return {"where": _design_word("where_one" if one(intervention_areas) else "where_all", language),
            "others": _design_word("others_one" if one(comparison_areas) else "others_all", language)}


def row_places(row: Mapping[str, Any], language: str, places: Mapping[str, str] | None = None
               ) -> dict[str, str]:
    """`arm_places` for one summary row (the summary's `places`, else the row's own counts of
    areas), with an area's row naming its area as `where`."""
    at = dict(places or arm_places(language, row.get("n_areas_intervention"), row.get("n_areas_comparison")))
    if str(row.get("area") or "all") != "all":
        at["where"] = str(row["area"])
    return at


def _listing(names: Sequence[str], language: str) -> str:
    """"a, b och c" / "a, b and c"; by semicolons where a name holds a comma ("pneumokockvaccin,
    3 doser vid 24 månader; MMR vid 24 månader och …")."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    joiner = " och " if language == "sv" else " and "
    return _separator(names).join(names[:-1]) + joiner + names[-1]


def _separator(names: Sequence[str]) -> str:
    return "; " if any(", " in name for name in names) else ", "


def design_markdown(config: Mapping[str, Any], design: pd.DataFrame, language: str, *,
                    area: str = "all") -> str:
    """Page one's "who is compared with whom", from the study config and design.csv."""
    check_language(language)
    spec = config.get("design") or {}
    kind = str(spec.get("type") or "did")
    programme = config.get("programme") or {}
    contacts = programme.get("contacts") or []
    last_age = max((c.get("target_age_days", 0) for c in contacts), default=0)
    months = max(1, round(last_age / 30.4375))
    intervention = list(spec.get("intervention_areas") or [])
    if area != "all":
        intervention = [area]
    start = dt.date.fromisoformat(str(spec.get("programme_start")))
    places = arm_places(language, len(intervention), len(spec.get("comparison_areas") or []))
    lines = [f"### {_design_word('heading', language)}", ""]
    if area != "all":
        lines += [_design_word("area_report_historical" if kind == "historical" else "area_report", language,
                               area=area, others=places["others"]), ""]
    counted = {"contacts": len(contacts), "home": sum(c.get("kind") == "home" for c in contacts),
               "months": months}
    lines.append("- " + _design_word(
        "programme", language,
        title=title_in_language(programme.get("title"), language) or programme.get("name") or "",
        **{what: _design_word(f"programme_{what}{'_one' if n == 1 else ''}", language,
                              n=format_count(n, language)) for what, n in counted.items()}))
    if kind == "historical":
        lines.append("- " + _design_word(f"areas_historical{'_one' if len(intervention) == 1 else ''}",
                                         language, intervention=_listing(intervention, language)))
    else:
        comparison = list(spec.get("comparison_areas") or [])
        lines.append("- " + _design_word(
            "areas", language, intervention=_listing(intervention, language),
            comparison=_listing(comparison, language),
            **{f"{arm}_label": _design_word(f"{arm}_label{'_one' if len(names) == 1 else ''}", language)
               for arm, names in (("intervention", intervention), ("comparison", comparison))}))
    periods = {"pre_from": format_date(spec.get("born_from"), language),
               "pre_to": format_date(start - dt.timedelta(days=1), language),
               "post_from": format_date(start, language),
               "post_to": format_date(spec.get("born_to"), language),
               "start": format_date(start, language)}
    lines.append("- " + _design_word("periods_concurrent" if kind == "concurrent" else "periods",
                                     language, **periods))
    lines.append("- " + _design_word("extraction", language,
                                     date=format_date(config.get("extraction_date"), language)))
    rule = config.get("eligibility") or {}
    which = [_design_word(k, language) for k in ("first_child", "first_child_in_sweden")
             if rule.get(k)]
    if which:
        joined = f" {_design_word('or', language)} ".join(which)
        lines.append("- " + _design_word("eligibility", language, which=joined))
    where = area if area != "all" else places["where"]
    one_area = kind == "historical" and len(intervention) == 1
    lines.append("- " + _design_word("itt", language, where=where, comparison_group=_design_word(
        f"comparison_{kind}{'_one' if one_area else ''}", language, others=places["others"], where=where)))
    counts = design_counts(design, area)
    pre = ""
    if kind == "did":
        pre = _design_word("children_pre", language, where=where, others=places["others"],
                           intervention_pre=format_count(counts["intervention_pre"], language),
                           comparison_pre=format_count(counts["comparison_pre"], language))
    lines.append("- " + _design_word("children", language,
                                     intervention=format_count(counts["intervention"], language),
                                     comparison=format_count(counts["comparison"], language),
                                     pre=pre))
    return "\n".join(lines)


def design_counts(design: pd.DataFrame, area: str = "all") -> dict[str, Any]:
    """Children per design group (a suppressed cell makes its group's total "<n"-free: '–')."""
    counts: dict[str, Any] = {}
    if design is None or design.empty:
        return {g: None for g in ("intervention", "comparison", "intervention_pre",
                                  "comparison_pre")}
    rows = design
    if area != "all":
        rows = design[(design["arm"] == "comparison") | (design["area"] == area)]
    for group in ("intervention", "comparison", "intervention_pre", "comparison_pre"):
        cells = rows[rows["group"].astype(str) == group]["children"]
        numbers = [to_number(v) for v in cells]
        counts[group] = None if any(v is None for v in numbers) else int(sum(numbers))
    return counts


# --- captions and alt texts ---------------------------------------------------------------------


def caption(key: str, language: str, **values: Any) -> str:
    """A figure's or table's caption (or alt text, key + "_alt") in the report's language."""
    if "family" in values:
        family = FAMILY_NAMES.get(values["family"])
        values["family"] = family.in_(language) if family is not None else values["family"]
    if "indicator" in values:
        # under did a survival indicator's effects table holds the DiD of its landmark share:
        # the caption names the share ("… (andel vaccinerade vid 24 månader)")
        named = landmark_name if key == "survival_effects" else indicator_name
        values["indicator"] = named(values["indicator"], language)
    return CAPTIONS[key].format(language, **values)


class Numbering:
    """Running numbers of a report's figures and tables (Figur 1, Tabell 1, …)."""

    def __init__(self) -> None:
        self.figures = 0
        self.tables = 0

    def next_figure(self) -> int:
        self.figures += 1
        return self.figures

    def next_table(self) -> int:
        self.tables += 1
        return self.tables


# --- methods in words -----------------------------------------------------------------------------


def stable_definition_note(summary: pd.DataFrame | None, language: str, *, area: str = "all") -> str:
    """The vaccination section's words on fully vaccinated when the summary takes it by its
    stable parts (caveat stable_definition: page one's 83 % and 94 % beside the section's
    71 % and 87 %, rotavirus included); "" otherwise. A hidden share is said as page one says it."""
    if summary is None or summary.empty:
        return ""
    rows = summary[(summary["indicator"] == "vacc_full_24m") & (summary["area"].astype(str) == area)]
    if rows.empty or "stable_definition" not in str(rows.iloc[0].get("caveats") or "").split(";"):
        return ""
    row = rows.iloc[0]
    shares = {group: _share(row, group, language) for group in ("intervention", "comparison")}
    historical = str(row.get("design")) == "historical"  # its comparison: born before the start
    return word("stable_definition_body_historical" if historical else "stable_definition_body",
                language, **shares)


def one_intervention_area(summary: pd.DataFrame | None, design: str) -> bool:
    """Whether a DiD's every headline rests on a single intervention area (an area's report, or
    a study of one): no interval is then reliable, and the estimates are given without one."""
    if design != "did" or summary is None or summary.empty or "n_areas_intervention" not in summary:
        return False
    areas = [to_number(v) for v in summary["n_areas_intervention"]]  # none where not estimated
    areas = [a for a in areas if a is not None]
    return bool(areas) and all(a == 1 for a in areas)


def methods_markdown(config: Mapping[str, Any], summary: pd.DataFrame, balance: pd.DataFrame,
                     language: str, *, dropped_for_covariates: tuple[int, str] | None = None,
                     control_chart: pd.DataFrame | None = None, audience: str = "committee") -> str:
    """The methods in words: estimand, headline estimator, missing data, assumptions, checks,
    and (when `control_chart`, control_chart.csv, has rows) the control charts and funnels. The
    committee's version says that the per-protocol comparison it names is in the technical
    report (a review looked for it in the committee report, which shows none)."""
    check_language(language)
    words = in_language(METHOD_WORDS, language)
    design = str((config.get("design") or {}).get("type") or "did")
    covariates = _listing([label("covariate", c, language).lower()
                           for c in config.get("covariates") or []], language) or "—"
    estimator = words[f"estimator_{design}"].format(covariates=covariates)
    if one_intervention_area(summary, design):
        estimator += words["estimator_did_one_area"]
    estimand = words["estimand"] + (words["estimand_technical"] if audience == "committee" else "")
    paragraphs = [estimand, estimator,
                  words["survival"].format(survival_estimator=words[
                      "survival_did" if design == "did" else "survival_other"])]
    if dropped_for_covariates is not None:
        dropped, indicator = dropped_for_covariates
        paragraphs.append(words["missing"].format(
            dropped=format_count(dropped, language),
            indicator=within_sentence(indicator_name(indicator, language))))
    paragraphs.append(words["multiplicity"])
    paragraphs.append(words[{"did": "assumption_did", "historical": "assumption_historical"}.get(
        design, "assumption_other")])
    checks = ""
    rows = summary if summary is not None else pd.DataFrame()
    tested = rows[rows["pretrend_p"].notna()] if "pretrend_p" in rows else rows.iloc[0:0]
    if design == "did" and len(tested):
        failed = tested[tested["pretrend_p"] < 0.05]
        which = ""
        if len(failed):
            which = _indicators_in_brackets(failed["indicator"], language)
        first = rows.iloc[0]
        treated = to_number(first.get("n_areas_intervention")) or 0
        comparison = to_number(first.get("n_areas_comparison")) or 0
        checks = words["checks_did"].format(
            failed=format_count(len(failed), language), tested=format_count(len(tested), language),
            which=which, areas=format_count(treated + comparison, language),
            treated=format_count(treated, language))
        checks += _joint_pretrend_check(rows, words, language)
        floor = to_number(first.get("p_floor"))
        if floor is not None:
            primaries = int((rows["area"].eq("all") & rows["multiplicity"].eq("holm_primary")).sum()) \
                if "multiplicity" in rows else 0
            consequence = words["floor_blocks" if floor > ALPHA else "floor_allows"]
            corrected = corrected_floor(floor, "holm_primary", primaries)
            if floor <= ALPHA < corrected:
                consequence = words["floor_allows_not_primary"].format(
                    k=format_count(primaries, language), corrected=p_text(corrected, language))
            checks += words["checks_floor"].format(
                treated=format_count(treated, language),
                areas=format_count(treated + comparison, language), floor=p_text(floor, language),
                consequence=consequence)
    if balance is not None and not balance.empty and "rating_before" in balance:
        rated = balance[balance["rating_before"].isin(["satisfied", "adjustment_required",
                                                        "not_satisfied"])]
        unequal = int((rated["rating_before"] == "not_satisfied").sum())
        balance_text = words["checks_balance" if unequal else "checks_balance_none"].format(
            unequal=format_count(unequal, language), covariates=format_count(len(rated), language))
        checks = (checks + balance_text) if checks else (
            "**" + ("Vad kontrollerna visade." if language == "sv" else "What the checks showed.")
            + "**" + balance_text)
    if checks:
        paragraphs.append(checks)
    baselines = ([] if control_chart is None or control_chart.empty else
                 [b for b in control_chart["baseline"].dropna().unique() if b])
    if baselines:
        paragraphs.append(words["monitoring"].format(
            baseline=_monitoring_word(f"baseline_{baselines[0]}", language)))
    return "\n\n".join(paragraphs)


def _indicators_in_brackets(indicators: Sequence[str], language: str) -> str:
    """" (a, b)": the indicators named within a sentence, by semicolons where a name holds a comma
    ("pneumokockvaccin, 3 doser vid 24 månader" read as two in a list by commas)."""
    names = [within_sentence(indicator_name(str(i), language)) for i in indicators]
    return " (" + _separator(names).join(names) + ")"


def _joint_pretrend_check(rows: pd.DataFrame, words: Mapping[str, str], language: str) -> str:
    """The event study's joint test of every half-year before the start, as the placebo test is
    said beside it: of how many indicators it gave p < 0.05, which, and what that means (the
    methods say an event study shows the half-years before the start; the committee report
    gave no result of it, while the technical report's design checks did)."""
    if "pretrend_joint_p" not in rows:
        return ""
    p = pd.to_numeric(rows["pretrend_joint_p"], errors="coerce")
    tested = rows[p.notna()]
    if not len(tested):
        return ""
    failed = tested[p[p.notna()] < ALPHA]
    which = _indicators_in_brackets(failed["indicator"], language) if len(failed) else ""
    return words["checks_joint" if len(failed) else "checks_joint_none"].format(
        failed=format_count(len(failed), language), tested=format_count(len(tested), language),
        which=which)


def dropped_for_covariates(summary: pd.DataFrame) -> tuple[int, str] | None:
    """Children left out of the adjusted headline for a missing covariate, and of which indicator
    (the first primary row: each indicator's denominator loses its own number; the methods said
    "78 children" of a study whose indicators lost 49 to 79)."""
    if summary is None or summary.empty:
        return None
    rows = summary.sort_values("primary", ascending=False, key=lambda c: c.map(is_true))
    for row in records(rows):
        used = [to_number(row.get(c)) for c in ("n_intervention", "n_comparison")]
        groups = [to_number(row.get(f"n_denominator_{g}")) for g in
                  ("intervention", "comparison", "intervention_pre", "comparison_pre")]
        if any(v is None for v in used):
            continue
        total = sum(v for v in groups if v is not None)
        if str(row.get("design")) != "did":
            total = sum(v for v in groups[:2] if v is not None)
        return max(int(total - sum(used)), 0), str(row.get("indicator"))
    return None


# --- costs ---------------------------------------------------------------------------------------


def _cost_word(key: str, language: str, **values: Any) -> str:
    return COST_WORDS[key].format(language, **values)


def about(amount: Any) -> float | None:
    """An amount rounded to three significant figures (226 000 for 225 594), as a ratio of
    estimates deserves; amounts under 1 000 to whole kronor."""
    number = to_number(amount)
    if number is None or number < 1000:
        return None if number is None else float(round_half_up(number, 0))
    places = len(str(int(number))) - 3
    return float(round_half_up(number / 10 ** places, 0)) * 10 ** places


def sek_text(amount: Any, language: str, *, rounded: bool = False) -> str:
    """Kronor as a report says them: "2 000 000 kr" / "SEK 2,000,000" (`rounded`: `about`)."""
    number = about(amount) if rounded else to_number(amount)
    if number is None:
        return EN_DASH
    return _cost_word("sek", language, amount=format_number(number, language, 0))


def _interval_sek(low: Any, high: Any, language: str) -> str:
    """"95 % KI 165 000–1 110 000 kr" / "95% CI SEK 165,000 to 1,110,000", rounded."""
    return _cost_word("sek_interval", language, ci=word("ci", language),
                      low=format_number(about(low), language, 0),
                      high=format_number(about(high), language, 0))


def costs_markdown(costs: pd.DataFrame, summary: pd.DataFrame, language: str, *,
                   audience: str = "committee", min_cell: int = DEFAULT_MIN_CELL,
                   area: str = "all") -> str:
    """The costs section in words, from costs.csv (and summary.csv's caveats): the totals, then
    the cost per additional child of each primary indicator, or plainly why there is none. In an
    area's report (`area`) it says that these effects are the whole study's, not page one's."""
    check_language(language)
    if costs is None or costs.empty:
        return ""
    rows = costs.astype(object).where(costs.notna(), None).to_dict("records")
    lines = []
    total = next((r for r in rows if r.get("part") == "total"), None)
    if total is not None and to_number(total.get("cost_sek")) is not None:
        parts = {}
        for unit, count in (("family", "families"), ("contact", "contacts")):
            amount = to_number(total.get(f"cost_per_{unit}"))
            parts[f"per_{unit}"] = (_cost_word(f"per_{unit}_not_shown", language) if amount is None else
                                    _cost_word(f"per_{unit}", language, amount=sek_text(amount, language),
                                               **{count: format_count(total.get(count), language)}))
        lines += [_cost_word("totals", language, years=str(total.get("year") or ""),
                             cost=sek_text(total.get("cost_sek"), language), **parts), ""]
    outcomes = [r for r in rows if r.get("part") == "outcome"]
    if outcomes:
        heads = {} if summary is None or summary.empty else {
            str(r["indicator"]): r for r in summary.astype(object).where(summary.notna(), None)
            .to_dict("records") if str(r.get("area") or "all") == "all"}
        designs = {str(r.get("design")) for r in heads.values() if r.get("design")}
        design = next(iter(designs)) if len(designs) == 1 else "did"
        intro = _cost_word("outcome_intro", language)
        if area != "all":  # an area report's page one gave its own effects
            intro += " " + _cost_word("outcome_whole_study", language)
        if design in ("concurrent", "historical"):
            intro += " " + _cost_word(f"design_{design}", language)
        lines += [f"**{_cost_word('outcome_heading', language)}**", "", intro, ""]
        lines += [f"- {cost_sentence(row, heads.get(str(row['indicator'])), language, min_cell)}"
                  for row in outcomes]
        lines += ["", _cost_word("uncertainty", language)]
    if audience == "technical":
        lines += ["", _cost_word("method", language)]
    return "\n".join(lines).strip()


def cost_sentence(row: Mapping[str, Any], headline: Mapping[str, Any] | None, language: str,
                  min_cell: int = DEFAULT_MIN_CELL) -> str:
    """One primary indicator's cost per additional child in words (a costs.csv outcome row), with
    the headline's caveat said beside the interval as the summary says it."""
    name = indicator_name(str(row["indicator"]), language)
    effect = effect_text({"measure": row.get("measure"), "estimate": row.get("effect"),
                          "ci_low": row.get("effect_ci_low"), "ci_high": row.get("effect_ci_high")},
                         language)
    status, reason = str(row.get("status") or ""), str(row.get("reason") or "")
    if status == "suppressed":
        why = suppression_phrase(row.get("suppression"), language, min_cell)
        return _cost_word("suppressed", language, name=name, why=why)
    if status == "estimated":
        interval = _interval_sek(row.get("ci_low"), row.get("ci_high"), language)
        if headline is not None and (tag := caveat_tag(headline, language)):
            interval = f"{interval}; {tag}"
        among = "among_measured" in str(row.get("flags") or "").split(";")
        sentence = _cost_word("estimated_among_measured" if among else "estimated", language, name=name,
                              effect=effect,
                              cost=sek_text(row.get("cost_per_additional_child"), language, rounded=True),
                              interval=interval,
                              additional=format_number(row.get("additional_children"), language, 0),
                              children=format_count(row.get("children"), language))
        sentence += _measured_fewer(row, language)
        if headline is not None and str(headline.get("verdict")) == "unclear":
            # a DiD whose few areas cannot show its MMR effect beyond chance: its costs section
            # gave 142,000 kr per additional child (83,200-495,000) as if the effect were shown
            sentence += " " + _cost_word("effect_not_beyond_chance", language)
        return sentence
    sentence = _cost_word(reason if reason in COST_WORDS else "no_effect_estimate", language,
                          name=name, effect=effect)
    if "estimate_not_positive" in str(row.get("flags") or "").split(";"):
        sentence += " " + _cost_word("estimate_not_positive", language)
    return sentence


def _measured_fewer(row: Mapping[str, Any], language: str) -> str:
    """" Of the 646 children, 43 could be counted …" where fewer of the children the number
    counts had a value for the indicator than there are (costs.csv `children_measured`)."""
    children, measured = to_number(row.get("children")), row.get("children_measured")
    if children is None:
        return ""
    if (hidden := suppressed_marker(measured)) is not None:
        return " " + _cost_word("measured_fewer_hidden", language, children=format_count(children, language),
                                min_cell=hidden)
    shown = to_number(measured)
    if shown is None or shown >= children:
        return ""
    return " " + _cost_word("measured_fewer", language, children=format_count(children, language),
                            measured=format_count(shown, language),
                            rest=format_count(children - shown, language))


# --- notes of the technical effects table, in the report's language ------------------------------


def effect_note(row: Mapping[str, Any], language: str) -> str:
    """A technical note for an effects row in the report's language, from its columns.

    effects.csv keeps the statistics' full English note for researchers; the report words
    the same facts from the row's method, measure, analysis, counts and `flags` (never from
    the English note).
    """
    words = in_language(NOTE_WORDS, language)
    method, measure = str(row.get("method") or ""), str(row.get("measure") or "")
    analysis = str(row.get("analysis") or "itt")
    flags = set(str(row.get("flags") or "").split(";")) - {""}
    indicator = str(row.get("indicator") or "")
    parts: list[str] = []
    if analysis in ("placebo", "no_pandemic", "filled_windows", "multiple_imputation"):
        parts.append(words[analysis])
    elif analysis in ("per_protocol", "complier"):
        parts.append(words[analysis])
        if "weak_instrument" in flags:
            parts.append(words["weak_instrument"])
    elif analysis == "dose_response":
        parts.append(words["dose_response"])
    elif analysis == "subgroup":
        parts.append(words["subgroup"])
    course = time_to_event(indicator)
    if method in ("did", "did_unadjusted") and "landmark" in flags and course is not None:
        days = to_number(row.get("landmark_days")) or course.landmark_days
        parts.append(course.landmark_share.format(language, days=format_count(days, language)))
        if "midpoint_imputed" in flags:
            parts.append(words["midpoint"])
    if method == "crude" and measure == "hazard_ratio":
        parts.append(words["cox_crude"])
    elif method == "crude":
        parts.append(words["crude"])
    elif method == "regression" and analysis != "dose_response":
        parts.append(words["regression"])
        if measure == "risk_difference":
            parts.append(words["marginal"])
    elif method in ("iptw", "ipwra"):
        parts.append(words[method])
    elif method == "cox":
        parts.append(words["cox"])
    elif method == "discrete_time":
        parts.append(words["discrete_time"])
    elif method == "logistic_did":
        parts.append(words["logistic_did"])
    elif method == "kaplan_meier" and measure == "rmst_did" and course is not None:
        parts.append(words["rmst_did"].format(horizon=course.rmst_horizon))
        if "point_estimate_only" in flags:
            parts.append(words["point_only"])
        elif "few_areas_per_arm" in flags:
            parts.append(words["few_areas"])
    elif method in ("did", "did_unadjusted"):
        parts.append(words[method])
        treated, comparison = (to_number(row.get("n_areas_intervention")),
                               to_number(row.get("n_areas_comparison")))
        if treated is not None and comparison is not None:
            parts.append(words["areas"].format(areas=format_count(treated + comparison, language),
                                               treated=format_count(treated, language)))
        if "wild_bootstrap" in flags:
            parts.append(words["bootstrap"])
        if "interval_unbounded" in flags:
            parts.append(words["unbounded"])
        if "hc1_not_clustered" in flags:
            parts.append(words["one_area"])
        elif flags & {"few_areas", "few_treated_areas"}:
            parts.append(words["few_areas"])
    parts += _diagnostics(str(row.get("note") or ""), words, language)
    if "p_fisher_exact" in flags:
        parts.append(words["fisher"])
    elif "p_chi_square" in flags:
        parts.append(words["chi_square"])
    elif "p_log_rank" in flags and method == "crude":
        parts.append(words["log_rank"])
    family = str(row.get("multiplicity") or "")
    if f"multiplicity_{family}" in words:
        parts.append(words[f"multiplicity_{family}"])
    if is_true(row.get("suppressed")):
        parts.append(words["suppressed"])
    elif to_number(row.get("estimate")) is None:
        kind = next((k for k in ("separation", "zero_cell", "empty_cell", "no_mle") if k in flags),
                    "other_reason")
        parts.append(f"{words['not_estimable']}: {words[kind]}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


# the diagnostics of effects.csv's English notes (`pipeline.stats`), as their numbers appear there
_PH_TEST = re.compile(r"proportional-hazards test \(Grambsch–Therneau\) p = ([\d.e-]+) for treatment, "
                      r"global p = ([\d.e-]+)")
_LARGEST_WEIGHT = re.compile(r"largest weight ([\d.]+) x mean")
_SMALL_ESS = re.compile(r"comparison: effective sample size ([\d.]+) is under 50%")
_DROPPED = re.compile(r"(?<![\w<])(<?\d+) children dropped for missing covariates")  # "<5" when small


def _diagnostics(note: str, words: Mapping[str, str], language: str) -> list[str]:
    """A model's diagnostics in the technical report's words: the proportional-hazards test,
    the largest weight and a small effective size, the children left out for want of
    covariates (the methods gave only the total; the report none of these)."""
    parts = []
    if match := _PH_TEST.search(note):
        parts.append(words["ph_test"].format(p=format_number(float(match.group(1)), language, 3),
                                             overall=format_number(float(match.group(2)), language, 3)))
    if match := _LARGEST_WEIGHT.search(note):
        parts.append(words["largest_weight"].format(weight=format_number(float(match.group(1)), language, 1)))
    if match := _SMALL_ESS.search(note):
        parts.append(words["small_ess"].format(ess=format_number(float(match.group(1)), language, 0)))
    if match := _DROPPED.search(note):
        count = match.group(1)
        parts.append(words["dropped"].format(
            children=count if count.startswith("<") else format_count(int(count), language)))
    return parts


# --- over time and across areas (issue 15) -------------------------------------------------------


def _monitoring_word(key: str, language: str, **values: Any) -> str:
    return MONITORING_WORDS[key].format(language, **values)


def _change_word(key: str, language: str, **values: Any) -> str:
    return CHANGES_WORDS[key].format(language, **values)


def period_text(first: Any, last: Any, language: str) -> str:
    """Births from the month of `first` to the month of `last`: "mars–maj 2022", "mars 2022–februari
    2023" / "March–May 2022"."""
    start, end = format_month(first, language), format_month(last, language)
    if str(first)[:4] == str(last)[:4]:
        return f"{start.rsplit(' ', 1)[0]}{EN_DASH}{end}"
    return f"{start}{EN_DASH}{end}"


def _joined(items: Sequence[str], language: str) -> str:
    return _listing(list(items), language)


def monitoring_markdown(control_chart: pd.DataFrame, funnel: pd.DataFrame, language: str, *,
                        area: str = "all", born: tuple[Any, Any] = (None, None)) -> str:
    """The monitoring section in words, from control_chart.csv and funnel.csv: the centre line,
    which points of which area lie outside the control limits or make a run, which areas lie
    outside the funnels' 95 % limits, and that such a point is a signal, not proof. `area`: an
    intervention area's report speaks of that area's charts only. `born`: the design's
    born_from and born_to, within which a point's births are said (its quarters are counted
    from the programme start: the first can begin before the first birth the study takes)."""
    check_language(language)
    charts = control_chart if control_chart is not None else pd.DataFrame()
    funnels = funnel if funnel is not None else pd.DataFrame()
    baselines = [b for b in charts.get("baseline", pd.Series(dtype=object)).dropna().unique() if b]
    baseline = _monitoring_word(f"baseline_{baselines[0]}", language) if baselines else EN_DASH
    paragraphs = [_monitoring_word("intro", language, baseline=baseline)]
    if charts.empty:
        return "\n\n".join(paragraphs)
    shown = charts if area == "all" else charts[charts["area"].astype(str) == area]
    records_shown = records(shown)
    periods = {str(r.get("period")) for r in records_shown}
    if "comparison_areas" in baselines and "pre" in periods:
        paragraphs[0] += " " + _monitoring_word("before_start", language)
    if {"pre", "post"} <= periods:  # each period its own chart: a run is counted within one
        paragraphs[0] += " " + _monitoring_word("runs_by_period", language)
    for name in dict.fromkeys(str(r["area"]) for r in records_shown):
        mine = [r for r in records_shown if str(r["area"]) == name]
        lines = _outside_lines(mine, language, born) + _run_lines(mine, language, born)
        heading = _monitoring_word("area_outside" if lines else "area_inside", language, area=name)
        paragraphs.append("\n".join([heading, *(f"- {line}" for line in lines)]))
    no_centre = [indicator_name(str(i), language) for i in dict.fromkeys(
        r["indicator"] for r in records_shown if to_number(r.get("centre")) is None)]
    hidden = sum(1 for r in records_shown if to_number(r.get("proportion")) is None)
    notes = []
    if no_centre:
        notes.append(_monitoring_word("no_centre", language, indicators=_joined(no_centre, language)))
    if hidden:
        notes.append(_monitoring_word("hidden_points" + ("_one" if hidden == 1 else ""), language,
                                      count=format_count(hidden, language)))
    if notes:
        paragraphs.append(" ".join(notes))
    paragraphs.append(_funnel_lines(funnels, language))
    limited = sum(1 for r in records_shown if to_number(r.get("lower")) is not None
                  and to_number(r.get("proportion")) is not None)
    paragraphs.append(_monitoring_word("signal", language, points=format_count(limited, language),
                                       expected=format_number(limited * 0.0027, language, 1)))
    return "\n\n".join(paragraphs)


def _births(first: Any, last: Any, born: tuple[Any, Any], language: str) -> str:
    """`period_text` of a point's quarters, within the design's births (`born`, ISO dates or None)."""
    low, high = (None if day is None else str(day)[:10] for day in born)
    first, last = str(first)[:10], str(last)[:10]
    return period_text(max(first, low) if low else first, min(last, high) if high else last, language)


def _outside_lines(records: list[dict[str, Any]], language: str, born: tuple[Any, Any]) -> list[str]:
    """One line per indicator and side: the birth periods whose point lies outside the limits."""
    lines = []
    for indicator in dict.fromkeys(r["indicator"] for r in records):
        for side in ("above", "below"):
            points = [r for r in records
                      if r["indicator"] == indicator and str(r.get("outside") or "") == side]
            if not points:
                continue
            periods = [_monitoring_word(
                "point_period", language,
                period=_births(r["quarter_start"], r["quarter_end"], born, language),
                **dict(zip(("share", "limit"), _apart(r.get("proportion"),
                                                      r.get("upper" if side == "above" else "lower"),
                                                      language), strict=True)))
                for r in points]
            lines.append(_monitoring_word("indicator_outside", language,
                                          indicator=indicator_name(str(indicator), language),
                                          side=_monitoring_word(f"outside_{side}", language),
                                          periods=_joined(periods, language)))
    return lines


def _run_lines(records: list[dict[str, Any]], language: str, born: tuple[Any, Any]) -> list[str]:
    """One line per run (consecutive points of one indicator on one side of the centre)."""
    lines = []
    for indicator in dict.fromkeys(r["indicator"] for r in records):
        points = [r for r in records if r["indicator"] == indicator]
        position = 0
        while position < len(points):
            side = str(points[position].get("run") or "")
            end = position
            while end + 1 < len(points) and str(points[end + 1].get("run") or "") == side:
                end += 1
            if side in ("above", "below"):
                lines.append(_monitoring_word(
                    "indicator_run", language, indicator=indicator_name(str(indicator), language),
                    count=format_count(end - position + 1, language),
                    side=_monitoring_word(f"run_{side}", language),
                    period=_births(points[position]["quarter_start"], points[end]["quarter_end"], born,
                                   language)))
            position = end + 1
    return lines


def _funnel_lines(funnel: pd.DataFrame, language: str) -> str:
    """Which areas lie outside the funnels' 95 % limits, per indicator (every area, whichever
    report)."""
    outside = [] if funnel.empty else [r for r in records(funnel)
                                       if str(r.get("classification") or "") not in ("", "within")]
    if not outside:
        return _monitoring_word("funnel_inside", language)
    lines = []
    for indicator in dict.fromkeys(r["indicator"] for r in outside):
        areas = [_monitoring_word("funnel_area", language, area=str(r["area"]),
                                  share=format_percent(r.get("proportion"), language),
                                  side=_monitoring_word(f"funnel_{r['classification']}", language))
                 for r in outside if r["indicator"] == indicator]
        lines.append(_monitoring_word("indicator_areas", language,
                                      indicator=indicator_name(str(indicator), language),
                                      areas=_joined(areas, language)))
    return "\n".join([_monitoring_word("funnel_outside", language), *(f"- {line}" for line in lines)])


# --- what changed since the previous report (issue 15) -------------------------------------------

EARLIER_LISTED = 8  # changed half-years named in the report; the rest are in changes.csv


def changes_markdown(changes: pd.DataFrame, language: str, *, min_cell: int = DEFAULT_MIN_CELL) -> str:
    """What changed since the previous report, from changes.csv: the first report says so; a
    later one names the previous run, the new children per group, the estimates that moved by
    more than half their previous interval, and the earlier published shares that changed."""
    check_language(language)
    rows = records(changes)
    previous = next((r for r in rows if r.get("change") == "compared_with"), None)
    if previous is None:
        return _change_word("first", language)
    lines = [_change_word("compared_with", language, run=_run_text(previous.get("previous_run"), language),
                          extraction=_date_or_dash(previous.get("previous_extraction"), language))]
    redesigned = next((r for r in rows if r.get("change") == "design_changed"), None)
    if redesigned is not None:  # other groups: nothing is compared
        keys = [_change_word(f"key_{k}", language) if f"key_{k}" in CHANGES_WORDS else k
                for k in str(redesigned.get("note") or "").split(";") if k]
        lines.append(_change_word("design_changed", language, what=_joined(keys, language)))
        return lines[0] + "\n\n" + "\n".join(f"- {line}" for line in lines[1:])
    groups = []
    for r in (r for r in rows if r.get("change") == "new_children"):
        words = GROUP_IN_SENTENCE.get(str(r.get("group")))
        group = words.in_(language) if words is not None else str(r.get("group"))
        value = r.get("new_children")
        if suppressed_marker(value) is not None:
            groups.append(_change_word("group_more", language, count=str(value).strip(),
                                       group=group))
        elif to_number(value) is None:
            groups.append(_change_word("group_hidden", language, group=group))
        elif to_number(value) != 0:
            number = int(to_number(value))
            groups.append(_change_word("group_more" if number > 0 else "group_fewer", language,
                                       count=format_count(abs(number), language), group=group))
    lines.append(_change_word("new_children", language, groups=_joined(groups, language)) if groups
                 else _change_word("no_new_children", language))
    moved = [_moved_text(r, language) for r in rows if r.get("change") == "estimate_moved"]
    lines.append(_change_word("moved", language, estimates="; ".join(moved)) if moved
                 else _change_word("not_moved", language))
    # the same children with new records first (late registrations), then the largest changes
    earlier = sorted((r for r in rows if r.get("change") == "earlier_figure_changed"),
                     key=lambda r: (r.get("note") != "same_children",
                                    -abs(to_number(r.get("difference")) or 0)))
    if earlier:
        named = [_change_word(
            "earlier_one", language, indicator=indicator_name(str(r["indicator"]), language),
            arm=_change_word(f"arm_{r['group']}", language) if f"arm_{r['group']}" in CHANGES_WORDS
            else str(r["group"]),
            period=period_text(f"{r['half_year']}-01", _half_year_end(str(r["half_year"])), language),
            before=format_percent(r.get("previous_value"), language),
            after=format_percent(r.get("current_value"), language),
            n_before=format_count(r.get("previous_n"), language), n_after=format_count(r.get("n"), language),
            why=_change_word("same_children", language) if r.get("note") == "same_children" else "")
            for r in [r for r in earlier if to_number(r.get("current_value")) is not None][:EARLIER_LISTED]]
        if len(earlier) > len(named):  # the rest, and those hidden to protect small counts
            named.append(_change_word("more_listed", language,
                                      count=format_count(len(earlier) - len(named), language)))
        lines.append(_change_word("earlier", language, count=format_count(len(earlier), language),
                                  figures="; ".join(named)))
    else:
        lines.append(_change_word("no_earlier", language))
    return lines[0] + "\n\n" + "\n".join(f"- {line}" for line in lines[1:])


def _run_text(run: Any, language: str) -> str:
    """A run id ("2024-07-02T10-15-02", `pipeline.changes.run_id`) as a time: "2 juli 2024 kl. 10.15"."""
    text = "" if run is None or (not isinstance(run, str) and pd.isna(run)) else str(run)
    try:
        when = dt.datetime.strptime(text, "%Y-%m-%dT%H-%M-%S")
    except ValueError:
        return text or EN_DASH
    clock = when.strftime("%H.%M" if language == "sv" else "%H:%M")
    return _change_word("run_time", language, date=format_date(when.date().isoformat(), language), time=clock)


def _half_year_end(half_year: str) -> str:
    """The last month of a half-year that starts in `half_year` ("2021-03" -> "2021-08")."""
    first = dt.date.fromisoformat(f"{half_year}-01")
    month = first.month + 5
    return f"{first.year + (month - 1) // 12}-{(month - 1) % 12 + 1:02d}"


def _date_or_dash(value: Any, language: str) -> str:
    text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    try:
        return format_date(text, language)
    except ValueError:
        return text or EN_DASH


def _moved_text(row: Mapping[str, Any], language: str) -> str:
    """"MMR vid 24 månader from 5 to 12 percentage points" (a ratio with two decimals)."""
    measure = str(row.get("measure") or "")
    area = str(row.get("area") or "all")
    where = "" if area == "all" else _change_word("in_area", language, area=area)
    if measure in ("risk_difference", "did"):
        def shown(value: Any) -> str:
            return f"{format_number(to_number(value) * 100, language, 0)}\u00a0{word('pp', language)}"
    else:
        def shown(value: Any) -> str:
            return format_number(value, language, 2)
    return _change_word("moved_one", language, indicator=indicator_name(str(row["indicator"]), language),
                        where=where, before=shown(row.get("previous_value")),
                        after=shown(row.get("current_value")))
