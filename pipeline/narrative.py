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

from pipeline.text import (
    EN_DASH,
    MINUS,
    check_language,
    format_bound,
    format_count,
    format_number,
    format_p,
    format_percent,
    is_true,
    label,
    round_half_up,
    suppressed_sentence,
    to_number,
)

WORDS: dict[str, dict[str, str]] = {
    "sv": {
        "effect_did": "Skattad effekt av programmet (skillnad-i-skillnader)",
        "effect_adjusted": "Skattad effekt av programmet (justerad för skillnader i bakgrund)",
        "effect_hr": "Skattad effekt av programmet (justerad hasardkvot)",
        "pp": "procentenheter", "pp_one": "procentenhet", "ci": "95\u00a0% KI", "to": "till",
        "just_above": "strax över", "just_below": "strax under",
        "after_start": "efter start", "before_start": "före start",
        "observed_did": "{after} {p1} i interventionsområdena och {p0} i jämförelseområdena "
                        "({before} {q1} och {q0}).",
        "observed_did_area": "{after} {p1} i {area} och {p0} i jämförelseområdena ({before} {q1} "
                             "och {q0}).",
        "observed_concurrent_area": "{p1} i {area} och {p0} i jämförelsegruppen.",
        "observed_historical_area": "{p1} bland barn födda i {area} efter start och {p0} bland "
                                    "barn födda där före start.",
        "observed_concurrent": "{p1} i interventionsgruppen och {p0} i jämförelsegruppen.",
        "observed_historical": "{p1} bland barn födda efter start och {p0} bland barn födda "
                               "före start (samma områden).",
        "landmark_vacc_mmr1_age": "Andel vaccinerade vid 24 månader",
        "landmark_bf_duration": "andel som fortfarande ammas vid 6 månader",
        "verdict_higher": "högre med programmet; skillnaden är större än vad slumpen rimligen "
                          "kan förklara (justerat p = {p}, {correction})",
        "verdict_lower": "lägre med programmet; skillnaden är större än vad slumpen rimligen "
                         "kan förklara (justerat p = {p}, {correction})",
        "verdict_higher_hr_vacc_mmr1_age": "vaccinationen skedde tidigare med programmet, mer "
                                           "än slumpen rimligen kan förklara (justerat p = {p}, "
                                           "{correction})",
        "verdict_lower_hr_vacc_mmr1_age": "vaccinationen skedde senare med programmet, mer än "
                                          "slumpen rimligen kan förklara (justerat p = {p}, "
                                          "{correction})",
        "verdict_higher_hr_bf_duration": "avvänjningen skedde tidigare med programmet (kortare "
                                         "amning), mer än slumpen rimligen kan förklara "
                                         "(justerat p = {p}, {correction})",
        "verdict_lower_hr_bf_duration": "avvänjningen skedde senare med programmet (längre "
                                        "amning), mer än slumpen rimligen kan förklara "
                                        "(justerat p = {p}, {correction})",
        "reason_interval_includes_null": "kan bero på slumpen (intervallet omfattar {null})",
        "reason_not_significant_after_correction": "intervallet omfattar inte {null}, men "
                                                   "efter korrektion för flera jämförelser "
                                                   "kan skillnaden bero på slumpen (justerat "
                                                   "p = {p}, {correction})",
        "reason_design_cannot_reach_significance": "med så få områden kan studien inte visa en "
                                                   "skillnad större än slumpen, hur stor den än "
                                                   "är (randomiseringstestets lägsta möjliga "
                                                   "p är {floor})",
        "reason_no_interval": "inget tillförlitligt osäkerhetsintervall kan beräknas, så "
                              "skillnaden kan inte skiljas från slumpen",
        "reason_no_p_value": "inget p-värde kunde beräknas, så skillnaden kan inte skiljas "
                             "från slumpen",
        "not_estimable": "{name}: programmets effekt kunde inte skattas med studiens design "
                         "(för få barn eller utfall i någon grupp; se den tekniska bilagan).",
        "no_data": "uppgift saknas", "hidden_share": "en andel som inte redovisas",
        "holm_primary": "Holms korrektion för {k} huvudindikatorer",
        "bh_secondary": "Benjamini–Hochbergs korrektion för {k} övriga indikatorer",
        "caveat_interval_unbounded": "Intervallet kan inte avgränsas med så få områden.",
        "caveat_stable_definition": "Här räknas fullvaccinerad som DTP-polio-Hib, pneumokock och "
                                    "MMR i båda perioderna: rotavirus kom in i programmet först "
                                    "för barn födda från 1 september 2019.",
        "caveat_few_children": "Bygger på få barn: bara {n1} i interventionsgruppen och {n0} i "
                               "jämförelsegruppen hade hunnit bli gamla nog för måttet.",
        "caveat_pre_trends_differ": "Före programstart utvecklades andelen olika i "
                                    "interventions- och jämförelseområdena (placebotest p = "
                                    "{p}), så skattningen är tvivelaktig.",
        "sensitivity": "Känslighetsanalys med viktning (IPTW): {effect}.",
        "sensitivity_did": "Utan justering för bakgrundsfaktorer: {effect}.",
        "tag_very_few_areas": "mycket osäkert med bara {areas} områden",
        "tag_one_area_in_arm": "grov skattning: bara ett område med programmet",
        "tag_few_treated_areas": "osäkert: bara {treated} områden med programmet",
        "summary_intro_did": "Programmets effekt skattas med skillnad-i-skillnader: hur mycket "
                             "mer andelen förändrades från före till efter programstart i "
                             "interventionsområdena än i jämförelseområdena. De observerade "
                             "andelarna efter start är inte i sig programmets effekt, eftersom "
                             "områdena skilde sig åt redan före start.",
        "summary_intro_concurrent": "Programmets effekt skattas som skillnaden mellan "
                                    "interventions- och jämförelseområdena efter justering för "
                                    "skillnader i familjernas bakgrund. De observerade andelarna "
                                    "är inte i sig programmets effekt.",
        "summary_intro_historical": "Programmets effekt skattas som skillnaden mellan barn "
                                    "födda efter och före programstart i samma områden, efter "
                                    "justering för skillnader i familjernas bakgrund. De "
                                    "observerade andelarna är inte i sig programmets effekt.",
        "summary_rule": "Ett resultat kallas högre eller lägre med programmet bara när "
                        "p-värdet efter korrektion för flera jämförelser (Holms metod för "
                        "huvudindikatorerna, Benjamini–Hochbergs för de övriga) är under 0,05 "
                        "och intervallet inte omfattar 0 (ingen skillnad).",
        "few_areas_box": "**Obs!** Jämförelsen bygger på bara {areas} områden ({treated} med "
                         "programmet och {comparison} utan). Med så få områden kan ingen "
                         "statistisk metod ge tillförlitliga osäkerhetsintervall; alla "
                         "skattningar nedan är därför mycket osäkra.",
        "primary": "Huvudindikatorer", "secondary": "Övriga indikatorer",
        "caution": "Jämförelsen bygger på registeruppgifter, inte på lottning. Skillnader kan "
                   "delvis bero på att familjerna i områdena skiljer sig åt, även efter "
                   "justering.",
    },
    "en": {
        "effect_did": "Estimated effect of the programme (difference-in-differences)",
        "effect_adjusted": "Estimated effect of the programme (adjusted for differences in "
                           "background)",
        "effect_hr": "Estimated effect of the programme (adjusted hazard ratio)",
        "pp": "percentage points", "pp_one": "percentage point", "ci": "95% CI", "to": "to",
        "just_above": "just above", "just_below": "just below",
        "after_start": "after the start", "before_start": "before the start",
        "observed_did": "{after} {p1} in the intervention areas and {p0} in the comparison "
                        "areas ({before} {q1} and {q0}).",
        "observed_did_area": "{after} {p1} in {area} and {p0} in the comparison areas ({before} "
                             "{q1} and {q0}).",
        "observed_concurrent_area": "{p1} in {area} and {p0} in the comparison group.",
        "observed_historical_area": "{p1} among children born in {area} after the start and {p0} "
                                    "among those born there before it.",
        "observed_concurrent": "{p1} in the intervention group and {p0} in the comparison "
                               "group.",
        "observed_historical": "{p1} among children born after the start and {p0} among "
                               "children born before it (the same areas).",
        "landmark_vacc_mmr1_age": "Share vaccinated by 24 months",
        "landmark_bf_duration": "share still breastfed at 6 months",
        "verdict_higher": "higher with the programme; the difference is larger than chance "
                          "would plausibly explain (adjusted p = {p}, {correction})",
        "verdict_lower": "lower with the programme; the difference is larger than chance "
                         "would plausibly explain (adjusted p = {p}, {correction})",
        "verdict_higher_hr_vacc_mmr1_age": "vaccination came earlier with the programme, more "
                                           "than chance would plausibly explain (adjusted p = "
                                           "{p}, {correction})",
        "verdict_lower_hr_vacc_mmr1_age": "vaccination came later with the programme, more "
                                          "than chance would plausibly explain (adjusted p = "
                                          "{p}, {correction})",
        "verdict_higher_hr_bf_duration": "weaning came earlier with the programme (shorter "
                                         "breastfeeding), more than chance would plausibly "
                                         "explain (adjusted p = {p}, {correction})",
        "verdict_lower_hr_bf_duration": "weaning came later with the programme (longer "
                                        "breastfeeding), more than chance would plausibly "
                                        "explain (adjusted p = {p}, {correction})",
        "reason_interval_includes_null": "could be due to chance (the interval includes "
                                         "{null})",
        "reason_not_significant_after_correction": "the interval excludes {null}, but after "
                                                   "correction for multiple comparisons the "
                                                   "difference could be due to chance "
                                                   "(adjusted p = {p}, {correction})",
        "reason_design_cannot_reach_significance": "with so few areas the study cannot show a "
                                                   "difference larger than chance, however "
                                                   "large (the randomisation test's smallest "
                                                   "possible p is {floor})",
        "reason_no_interval": "no reliable uncertainty interval can be computed, so the "
                              "difference cannot be told apart from chance",
        "reason_no_p_value": "no p-value could be computed, so the difference cannot be told "
                             "apart from chance",
        "not_estimable": "{name}: the programme's effect could not be estimated with the "
                         "study's design (too few children or outcomes in a group; see the "
                         "technical appendix).",
        "no_data": "no data", "hidden_share": "a share not shown",
        "holm_primary": "Holm's correction for {k} primary indicators",
        "bh_secondary": "Benjamini–Hochberg correction for {k} other indicators",
        "caveat_interval_unbounded": "The interval cannot be bounded with so few areas.",
        "caveat_stable_definition": "Fully vaccinated here means DTaP-IPV-Hib, pneumococcal and "
                                    "MMR in both periods: rotavirus entered the programme only for "
                                    "children born from 1 September 2019.",
        "caveat_few_children": "It rests on few children: only {n1} in the intervention group "
                               "and {n0} in the comparison group were old enough for the measure.",
        "caveat_pre_trends_differ": "Before the programme started the share developed "
                                    "differently in the intervention and comparison areas "
                                    "(placebo test p = {p}), so the estimate is doubtful.",
        "sensitivity": "Sensitivity analysis by weighting (IPTW): {effect}.",
        "sensitivity_did": "Without adjustment for background factors: {effect}.",
        "tag_very_few_areas": "very uncertain with only {areas} areas",
        "tag_one_area_in_arm": "a rough estimate: only one area with the programme",
        "tag_few_treated_areas": "uncertain: only {treated} areas with the programme",
        "summary_intro_did": "The programme's effect is estimated by difference-in-differences: "
                             "how much more the share changed from before to after the start "
                             "in the intervention areas than in the comparison areas. The "
                             "observed shares after the start are not by themselves the "
                             "programme's effect, because the areas differed already before "
                             "it.",
        "summary_intro_concurrent": "The programme's effect is estimated as the difference "
                                    "between the intervention and comparison areas after "
                                    "adjustment for differences in the families' background. "
                                    "The observed shares are not by themselves the programme's "
                                    "effect.",
        "summary_intro_historical": "The programme's effect is estimated as the difference "
                                    "between children born after and before the start in the "
                                    "same areas, after adjustment for differences in the "
                                    "families' background. The observed shares are not by "
                                    "themselves the programme's effect.",
        "summary_rule": "A result is called higher or lower with the programme only when its "
                        "p-value after correction for multiple comparisons (Holm's method for "
                        "the primary indicators, Benjamini–Hochberg for the others) is below "
                        "0.05 and its interval excludes 0 (no difference).",
        "few_areas_box": "**Note:** the comparison rests on only {areas} areas ({treated} with "
                         "the programme and {comparison} without). With so few areas no "
                         "statistical method can give reliable uncertainty intervals; every "
                         "estimate below is therefore very uncertain.",
        "primary": "Primary indicators", "secondary": "Other indicators",
        "caution": "The comparison rests on register data, not on randomisation. Differences "
                   "may partly reflect differences between the families in the areas, even "
                   "after adjustment.",
    },
}


def word(key: str, language: str, **values: Any) -> str:
    """A phrase of WORDS with its placeholders filled in."""
    return WORDS[check_language(language)][key].format(**values)


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
    return f"{word('ci', language)} {body}" if prefix else body


def effect_text(row: Mapping[str, Any], language: str) -> str:
    """"7 procentenheter (95 % KI −17 till 39)" or "1,25 (95 % KI 1,05–1,49)" for a headline row."""
    measure = str(row.get("measure") or "")
    estimate = to_number(row.get("estimate"))
    if estimate is None:
        return EN_DASH
    low, high = to_number(row.get("ci_low")), to_number(row.get("ci_high"))
    if measure in ("hazard_ratio", "odds_ratio", "risk_ratio"):
        bounds = [v for v in (low, high) if v is not None]
        places = decimals_for(bounds, 1.0, 2, 3)
        text = format_number(estimate, language, places)
        interval = interval_text(low, high, 1.0, language, decimals=places, most=3)
    else:
        bounds = [v * 100 for v in (low, high) if v is not None]
        places = decimals_for(bounds, 0.0, 0, 1)
        number = format_number(estimate * 100, language, places)
        unit = word("pp_one" if number.lstrip(MINUS) in ("1", "1,0", "1.0") else "pp", language)
        text = f"{number} {unit}"
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
    return word(family, language, k=size)


def _family_sizes(summary: pd.DataFrame) -> dict[tuple[str, str], int]:
    sizes: dict[tuple[str, str], int] = {}
    for _, row in summary.iterrows():
        if pd.notna(row.get("p_adjusted")) and row.get("multiplicity"):
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
        return word("hidden_share", language) if row.get(f"n_denominator_{group}") is not None \
            else EN_DASH
    return format_percent(value, language)


def indicator_name(indicator: str, language: str) -> str:
    return label("indicator", indicator, language)


def observed_sentence(row: Mapping[str, Any], language: str) -> str:
    """What was seen in each group, never called an effect."""
    design = str(row.get("design") or "did")
    values = {"p1": _share(row, "intervention", language), "p0": _share(row, "comparison", language)}
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
                   language: str) -> str:
    """The verdict in words, naming the correction; never stronger than the numbers."""
    verdict, reason = str(row.get("verdict")), str(row.get("reason") or "")
    measure = str(row.get("measure") or "")
    null = format_number(1 if measure == "hazard_ratio" else 0, language, 0)
    values = {"p": p_text(row.get("p_adjusted"), language),
              "correction": _correction(row, family_sizes, language), "null": null,
              "floor": p_text(row.get("p_floor"), language)}
    if verdict in ("higher", "lower"):
        key = f"verdict_{verdict}"
        if measure == "hazard_ratio":
            key += f"_hr_{row.get('indicator')}"
        return word(key, language, **values)
    return word(f"reason_{reason}", language, **values) if reason else ""


def caveat_sentences(row: Mapping[str, Any], language: str, *, skip: Sequence[str] = ()) -> list[str]:
    """The row's caveats in words (`skip`: those already said once for the whole summary)."""
    sentences = []
    for code in str(row.get("caveats") or "").split(";"):
        if not code or code in skip or code in ("few_areas", "no_interval", "very_few_areas",
                                                "one_area_in_arm", "few_treated_areas"):
            continue  # the first two need no words on page one; the others are tags
        if code == "pre_trends_differ":
            sentences.append(word("caveat_pre_trends_differ", language,
                                  p=p_text(row.get("pretrend_p"), language)))
        elif code == "few_children":
            sentences.append(word("caveat_few_children", language,
                                  n1=format_count(row.get("n_denominator_intervention"), language),
                                  n0=format_count(row.get("n_denominator_comparison"), language)))
        else:
            sentences.append(word(f"caveat_{code}", language))
    return sentences


def caveat_tag(row: Mapping[str, Any], language: str) -> str:
    """A short caveat said next to the number itself ("mycket osäkert med bara 4 områden")."""
    codes = str(row.get("caveats") or "").split(";")
    treated = to_number(row.get("n_areas_intervention")) or 0
    comparison = to_number(row.get("n_areas_comparison")) or 0
    if "very_few_areas" in codes:
        return word("tag_very_few_areas", language,
                    areas=format_count(treated + comparison, language))
    if "one_area_in_arm" in codes:
        return word("tag_one_area_in_arm", language)
    if "few_treated_areas" in codes:
        return word("tag_few_treated_areas", language, treated=format_count(treated, language))
    return ""


def indicator_sentence(row: Mapping[str, Any], language: str,
                       family_sizes: Mapping[tuple[str, str], int] | None = None) -> str:
    """One indicator's summary from its summary.csv row, as SPEC §8 words it."""
    check_language(language)
    sizes = family_sizes or {}
    indicator = str(row["indicator"])
    name = indicator_name(indicator, language)
    verdict = str(row.get("verdict"))
    if verdict == "suppressed":
        return suppressed_sentence(indicator, language, reason=row.get("reason"))
    kind = str(row.get("kind") or "binary")
    landmark = kind == "survival"
    opening = name
    if landmark:
        opening = f"{name} ({word(f'landmark_{indicator}', language).lower()})"
    observed = observed_sentence(row, language)
    if verdict == "not_estimable":
        return f"{opening}: {observed} " + word("not_estimable", language, name=name)
    measure = str(row.get("measure") or "")
    lead = {"did": "effect_did", "hazard_ratio": "effect_hr"}.get(measure, "effect_adjusted")
    effect = effect_text(row, language)
    if tag := caveat_tag(row, language):
        effect = f"{effect[:-1]}; {tag})" if effect.endswith(")") else f"{effect} ({tag})"
    sentence = (f"{opening}: {observed} {word(lead, language)}: {effect}; "
                f"{verdict_phrase(row, sizes, language)}.")
    if to_number(row.get("sensitivity_estimate")) is not None and measure in ("risk_difference",
                                                                              "did"):
        check = {"estimate": row.get("sensitivity_estimate"), "measure": measure,
                 "ci_low": row.get("sensitivity_ci_low"), "ci_high": row.get("sensitivity_ci_high")}
        key = "sensitivity_did" if measure == "did" else "sensitivity"
        sentence += " " + word(key, language, effect=effect_text(check, language))
    return sentence


def summary_markdown(summary: pd.DataFrame, language: str, *, area: str = "all",
                     primary: Sequence[str] = ()) -> str:
    """The plain-language summary from summary.csv: intro, primary indicators, the others."""
    check_language(language)
    rows = summary[summary["area"].astype(str) == str(area)] if "area" in summary else summary
    if rows.empty:
        return word("no_data", language).capitalize() + "."
    sizes = _family_sizes(rows)
    design = str(rows["design"].dropna().iloc[0]) if rows["design"].notna().any() else "did"
    lines = [word(f"summary_intro_{design}", language), ""]
    shared = _shared_caveat(rows)
    if shared is not None:
        code, row = shared
        treated = to_number(row.get("n_areas_intervention")) or 0
        comparison = to_number(row.get("n_areas_comparison")) or 0
        if code == "very_few_areas":
            lines += [word("few_areas_box", language, areas=format_count(treated + comparison, language),
                           treated=format_count(treated, language),
                           comparison=format_count(comparison, language)), ""]
    primary_ids = [i for i in primary if i in set(rows["indicator"])]
    if not primary_ids:
        primary_ids = [i for i, p in zip(rows["indicator"], rows["primary"], strict=True) if is_true(p)]
    by_id = {str(r["indicator"]): r for r in rows.to_dict("records")}
    for title, ids in ((word("primary", language), primary_ids),
                       (word("secondary", language), [i for i in by_id if i not in primary_ids])):
        if not ids:
            continue
        lines += [f"**{title}**", ""]
        for indicator in ids:
            row = by_id[indicator]
            sentence = indicator_sentence(row, language, sizes)
            notes = caveat_sentences(row, language)
            lines.append("- " + " ".join([sentence, *notes]))
        lines.append("")
    lines += [word("summary_rule", language), "", word("caution", language)]
    return "\n".join(lines)


def _shared_caveat(rows: pd.DataFrame) -> tuple[str, dict[str, Any]] | None:
    """A caveat that every estimable row carries (said once, above the list)."""
    codes = [set(str(c or "").split(";")) for c in rows["caveats"].fillna("")]
    if codes and all("very_few_areas" in c for c in codes):
        return "very_few_areas", rows.iloc[0].to_dict()
    return None


# --- who is compared with whom --------------------------------------------------------------------

def _date(value: Any, language: str) -> str:
    day = dt.date.fromisoformat(str(value)[:10])
    if language == "sv":
        return f"{day.day} {SV_MONTHS[day.month - 1]} {day.year}"
    return f"{day.day} {EN_MONTHS[day.month - 1]} {day.year}"


SV_MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
             "september", "oktober", "november", "december")
EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")

DESIGN_WORDS: dict[str, dict[str, str]] = {
    "sv": {
        "heading": "Vem jämförs med vem?",
        "programme": "**Programmet:** {title}, {contacts} planerade kontakter ({home} hembesök) "
                     "under barnets första {months} månader.",
        "areas": "**Interventionsområden:** {intervention}. **Jämförelseområden:** {comparison}.",
        "areas_one": "**Interventionsområde:** {intervention}. **Jämförelseområden:** {comparison}.",
        "areas_historical": "**Områden:** {intervention} (samma områden före och efter start).",
        "periods": "**Födelseperioder:** barn födda {pre_from} – {pre_to} (före programstart) och "
                   "{post_from} – {post_to} (efter programstart {start}).",
        "periods_concurrent": "**Födelseperiod:** barn födda {post_from} – {post_to} (efter "
                              "programstart {start}).",
        "extraction": "**Uppgifterna togs ut** {date}; barn som inte hunnit bli gamla nog för ett "
                      "mått, eller som flyttat innan dess, räknas inte i det måttet.",
        "eligibility": "**Vilka barn ingår:** {which}.",
        "first_child": "familjens första barn",
        "first_child_in_sweden": "familjens första barn fött i Sverige",
        "or": "eller",
        "itt": "**Interventionsgruppen** är alla dessa barn födda i {where} efter "
               "programstart, oavsett om familjen tackade ja till programmet eller inte "
               "(intention to treat). **Jämförelsegruppen** är {comparison_group}.",
        "comparison_did": "barnen i jämförelseområdena under samma tid; barnen födda före start "
                          "i alla områden visar hur områdena skilde sig åt redan innan",
        "comparison_concurrent": "barnen i jämförelseområdena under samma tid",
        "comparison_historical": "barnen födda i samma områden före programstart",
        "where_all": "interventionsområdena",
        "children": "**Antal barn:** {intervention} i interventionsgruppen och {comparison} i "
                    "jämförelsegruppen{pre}.",
        "children_pre": "; före start {intervention_pre} i interventionsområdena och "
                        "{comparison_pre} i jämförelseområdena",
        "area_report": "Den här rapporten gäller området **{area}**: interventionsgruppen är "
                       "barnen i {area}, och alla skattningar jämför {area} med "
                       "jämförelseområdena.",
    },
    "en": {
        "heading": "Who is compared with whom?",
        "programme": "**The programme:** {title}, {contacts} planned contacts ({home} home "
                     "visits) during the child's first {months} months.",
        "areas": "**Intervention areas:** {intervention}. **Comparison areas:** {comparison}.",
        "areas_one": "**Intervention area:** {intervention}. **Comparison areas:** {comparison}.",
        "areas_historical": "**Areas:** {intervention} (the same areas before and after the "
                            "start).",
        "periods": "**Birth periods:** children born {pre_from} – {pre_to} (before the "
                   "programme started) and {post_from} – {post_to} (after its start on {start}).",
        "periods_concurrent": "**Birth period:** children born {post_from} – {post_to} (after "
                              "the programme started on {start}).",
        "extraction": "**Data extracted** {date}; children not yet old enough for a measure, or "
                      "who moved before then, are not counted in that measure.",
        "eligibility": "**Children included:** {which}.",
        "first_child": "the family's first child",
        "first_child_in_sweden": "the family's first child born in Sweden",
        "or": "or",
        "itt": "**The intervention group** is every such child born in {where} "
               "after the start, whether or not the family accepted the programme (intention "
               "to treat). **The comparison group** is {comparison_group}.",
        "comparison_did": "the children in the comparison areas over the same time; the "
                          "children born before the start in all areas show how the areas "
                          "differed already before",
        "comparison_concurrent": "the children in the comparison areas over the same time",
        "comparison_historical": "the children born in the same areas before the start",
        "where_all": "the intervention areas",
        "children": "**Children:** {intervention} in the intervention group and {comparison} in "
                    "the comparison group{pre}.",
        "children_pre": "; before the start {intervention_pre} in the intervention areas and "
                        "{comparison_pre} in the comparison areas",
        "area_report": "This report is about the area **{area}**: the intervention group is the "
                       "children in {area}, and every estimate compares {area} with the "
                       "comparison areas.",
    },
}


def _design_word(key: str, language: str, **values: Any) -> str:
    return DESIGN_WORDS[check_language(language)][key].format(**values)


def _listing(names: Sequence[str], language: str) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    joiner = " och " if language == "sv" else " and "
    return ", ".join(names[:-1]) + joiner + names[-1]


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
    lines = [f"### {_design_word('heading', language)}", ""]
    if area != "all":
        lines += [_design_word("area_report", language, area=area), ""]
    lines.append("- " + _design_word(
        "programme", language, title=programme.get("title") or programme.get("name") or "",
        contacts=format_count(len(contacts), language),
        home=format_count(sum(c.get("kind") == "home" for c in contacts), language),
        months=format_count(months, language)))
    if kind == "historical":
        lines.append("- " + _design_word("areas_historical", language,
                                         intervention=_listing(intervention, language)))
    else:
        lines.append("- " + _design_word(
            "areas_one" if len(intervention) == 1 else "areas", language,
            intervention=_listing(intervention, language),
            comparison=_listing(spec.get("comparison_areas") or [], language)))
    periods = {"pre_from": _date(spec.get("born_from"), language),
               "pre_to": _date(start - dt.timedelta(days=1), language),
               "post_from": _date(start, language), "post_to": _date(spec.get("born_to"), language),
               "start": _date(start, language)}
    lines.append("- " + _design_word("periods_concurrent" if kind == "concurrent" else "periods",
                                     language, **periods))
    lines.append("- " + _design_word("extraction", language,
                                     date=_date(config.get("extraction_date"), language)))
    rule = config.get("eligibility") or {}
    which = [_design_word(k, language) for k in ("first_child", "first_child_in_sweden")
             if rule.get(k)]
    if which:
        joined = f" {_design_word('or', language)} ".join(which)
        lines.append("- " + _design_word("eligibility", language, which=joined))
    where = area if area != "all" else _design_word("where_all", language)
    lines.append("- " + _design_word("itt", language, where=where, comparison_group=_design_word(
        f"comparison_{kind}", language)))
    counts = design_counts(design, area)
    pre = ""
    if kind == "did":
        pre = _design_word("children_pre", language,
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

CAPTIONS: dict[str, dict[str, str]] = {
    "sv": {
        "design": "Studiens upplägg: antal barn per område och födelseperiod",
        "design_alt": "Rutnät med ett fält per område och födelseperiod; varje fält visar antalet "
                      "barn och vilken grupp de tillhör.",
        "trends": "Huvudindikatorerna per födelsehalvår i interventions- och jämförelseområden",
        "trends_alt": "Linjediagram per huvudindikator: andel per födelsehalvår i interventions- "
                      "och jämförelseområdena med 95 % konfidensband och en streckad linje vid "
                      "programstart.",
        "flow": "Familjernas väg genom programmet",
        "flow_alt": "Liggande staplar med antal barn i varje steg, från födda i "
                    "interventionsområdena till alla planerade kontakter.",
        "flow_table": "Familjernas väg genom programmet",
        "fidelity": "Genomförande och programtrohet",
        "balance": "Jämförbarhet mellan grupperna vid start",
        "proportions": "{family}: andel per grupp med 95 % konfidensintervall",
        "proportions_alt": "Punktdiagram: andel med 95 % konfidensintervall i interventions- och "
                           "jämförelsegruppen för varje indikator inom {family}.",
        "indicator_table": "{family}: andelar per grupp",
        "forest": "{family}: programmets skattade effekt med 95 % konfidensintervall",
        "forest_alt": "Skogsdiagram: skattad effekt i procentenheter med 95 % konfidensintervall "
                      "för varje indikator inom {family}; linjen vid 0 betyder ingen skillnad.",
        "effects": "{family}: skattade effekter",
        "survival": "{indicator}: andel över barnets ålder",
        "survival_alt": "Kurvor över barnets ålder i månader för interventions- och "
                        "jämförelsegruppen, med antal barn kvar i uppföljningen under diagrammet "
                        "({indicator}).",
        "survival_table": "{indicator}: median och log-rank-test",
        "hazard": "{indicator}: hasardkvoter",
        "equity": "Observerade skillnader efter start i undergrupper (ojusterade)",
        "dose": "Utfall efter antal genomförda kontakter",
        "dose_alt": "Punktdiagram: andel med utfallet efter antal genomförda programkontakter "
                    "för huvudindikatorerna, med 95 % konfidensintervall.",
        "dose_table": "Utfall efter antal genomförda kontakter",
        "power": "Minsta upptäckbara skillnad och barn som behövs",
        "data_quality": "Rader per fil",
        "rejects": "Avvisade rader per orsak",
        "missingness": "Saknade värden",
        "missing_data": "Saknade uppgifter per grupp före och efter start",
        "design_checks": "Skillnad-i-skillnader och designbaserade kontroller, huvudindikatorerna",
        "event_study": "Skillnad-i-skillnader per födelsehalvår (eventstudie), mot halvåret före "
                       "start",
        "event_study_alt": "Punktdiagram per huvudindikator: skillnad-i-skillnader i "
                           "procentenheter per födelsehalvår med 95 % konfidensintervall; en "
                           "streckad linje vid programstarten och en linje vid noll",
        "methods": "Metoder och referenser",
        "all_effects": "Alla skattningar",
        "manifest_code": "Kodversion",
        "manifest_inputs": "Indatafiler och deras kontrollsummor",
        "manifest_packages": "Programpaket",
        "manifest_stages": "Stegen i körningen",
    },
    "en": {
        "design": "The study's design: children per area and birth period",
        "design_alt": "Grid with one box per area and birth period; each box shows the number of "
                      "children and the group they belong to.",
        "trends": "The primary indicators by half-year of birth in intervention and comparison "
                  "areas",
        "trends_alt": "Line chart per primary indicator: share per half-year of birth in the "
                      "intervention and comparison areas with 95% confidence bands and a dashed "
                      "line at the programme start.",
        "flow": "The flow of families through the programme",
        "flow_alt": "Horizontal bars with the children at each step, from born in the intervention "
                    "areas to all planned contacts.",
        "flow_table": "The flow of families through the programme",
        "fidelity": "Implementation and fidelity",
        "balance": "Comparability of the groups at baseline",
        "proportions": "{family}: share per group with 95% confidence intervals",
        "proportions_alt": "Dot plot: share with 95% confidence interval in the intervention and "
                           "comparison groups for each indicator of {family}.",
        "indicator_table": "{family}: shares per group",
        "forest": "{family}: the programme's estimated effect with 95% confidence intervals",
        "forest_alt": "Forest plot: estimated effect in percentage points with 95% confidence "
                      "intervals for each indicator of {family}; the line at 0 means no "
                      "difference.",
        "effects": "{family}: estimated effects",
        "survival": "{indicator}: share over the child's age",
        "survival_alt": "Curves over the child's age in months for the intervention and "
                        "comparison groups, with the numbers still followed below the plot "
                        "({indicator}).",
        "survival_table": "{indicator}: median and log-rank test",
        "hazard": "{indicator}: hazard ratios",
        "equity": "Observed differences after the start in subgroups (unadjusted)",
        "dose": "Outcomes by contacts received",
        "dose_alt": "Dot plot: share with the outcome by the number of programme contacts "
                    "received for the primary indicators, with 95% confidence intervals.",
        "dose_table": "Outcomes by contacts received",
        "power": "Minimum detectable difference and children needed",
        "data_quality": "Rows per file",
        "rejects": "Rejected rows by reason",
        "missingness": "Missing values",
        "missing_data": "Missing values by group before and after the start",
        "design_checks": "Difference-in-differences and design-based checks, primary indicators",
        "event_study": "Difference-in-differences by half-year of birth (event study), against "
                       "the half-year before the start",
        "event_study_alt": "Dot chart per primary indicator: difference-in-differences in "
                           "percentage points per half-year of birth with 95% confidence "
                           "intervals; a dashed line at the programme start and a line at zero",
        "methods": "Methods and references",
        "all_effects": "All estimates",
        "manifest_code": "Code version",
        "manifest_inputs": "Input files and their checksums",
        "manifest_packages": "Software packages",
        "manifest_stages": "The stages of the run",
    },
}

FAMILY_NAMES: dict[str, dict[str, str]] = {
    "sv": {"breastfeeding": "Amning", "vaccination": "Vaccination", "language": "Språkutveckling"},
    "en": {"breastfeeding": "Breastfeeding", "vaccination": "Vaccination",
           "language": "Language development"},
}


def caption(key: str, language: str, **values: Any) -> str:
    """A figure's or table's caption (or alt text, key + "_alt") in the report's language."""
    if "family" in values:
        values["family"] = FAMILY_NAMES[check_language(language)].get(values["family"],
                                                                       values["family"])
    if "indicator" in values:
        values["indicator"] = indicator_name(values["indicator"], language)
    return CAPTIONS[check_language(language)][key].format(**values)


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

METHOD_WORDS: dict[str, dict[str, str]] = {
    "sv": {
        "estimand": "**Vad som skattas.** Huvudanalysen avser alla barn som uppfyller villkoren "
                    "och föds i interventionsområdena efter programstart, oavsett om familjen "
                    "tackade ja (intention to treat, ITT): effekten av att erbjudas programmet. "
                    "Som sekundär analys jämförs barnen i familjer som tackade ja med "
                    "jämförelsegruppen (per protokoll); den jämförelsen kan påverkas av vilka "
                    "familjer som tackar ja.",
        "estimator_did": "**Huvudskattning.** Skillnad-i-skillnader: en linjär sannolikhetsmodell "
                         "med område (interventions- eller jämförelseområde), period (före eller "
                         "efter start) och deras samspel, justerad för {covariates}. Osäkerheten "
                         "tar hänsyn till att barn i samma område liknar varandra: med färre än "
                         "30 områden ges p-värde och intervall av samma wild cluster "
                         "bootstrap-test (intervallet är de värden testet inte förkastar), så "
                         "intervallet utesluter 0 precis när p < 0,05.",
        "estimator_concurrent": "**Huvudskattning.** Logistisk regression med {covariates}; "
                                "effekten redovisas som en standardiserad riskskillnad för "
                                "barnen i interventionsgruppen (g-beräkning). Viktning med "
                                "propensity score (IPTW) är känslighetsanalys.",
        "estimator_historical": "**Huvudskattning.** Logistisk regression med {covariates}; "
                                "effekten redovisas som en standardiserad riskskillnad för "
                                "barnen födda efter start (g-beräkning). Viktning med propensity "
                                "score (IPTW) är känslighetsanalys.",
        "survival": "**Tid till händelse.** Ålder vid MMR och amningens längd redovisas med "
                    "Kaplan–Meier- respektive Turnbullkurvor; {survival_estimator}",
        "survival_did": "i skillnad-i-skillnader används andelen vid ett fast åldersmått "
                        "(vaccinerad vid 24 månader, ammas vid 6 månader), och i den tekniska "
                        "bilagan även vid 18 och 20 månader respektive 2 och 4 månader samt "
                        "skillnaden i genomsnittlig tid (restricted mean survival time).",
        "survival_other": "effekten skattas som en justerad hasardkvot (Cox-regression; för "
                          "amningens längd, som bara är känd mellan två bedömningar, en modell i "
                          "diskret tid på intervallen mellan bedömningarna).",
        "missing": "**Saknade bakgrundsuppgifter.** Barn som saknar någon av bakgrundsfaktorerna "
                   "ingår inte i de justerade analyserna (fullständiga fall); i den här "
                   "körningen gällde det {dropped} barn. De ojusterade andelarna bygger på alla "
                   "barn. Som känslighetsanalys upprepas huvudindikatorernas skattningar med de "
                   "saknade uppgifterna imputerade (multipel imputering med kedjade ekvationer, "
                   "tio dataset, Rubins regler); bilaga A visar vad som saknas per grupp.",
        "multiplicity": "**Flera jämförelser.** p-värden för huvudindikatorerna justeras med "
                        "Holms metod och för övriga indikatorer med Benjamini–Hochbergs metod; "
                        "bara justerade p-värden under 0,05 räknas som skillnader större än "
                        "slumpen.",
        "assumption_did": "**Antagande.** Skillnad-i-skillnader förutsätter att andelarna hade "
                          "utvecklats parallellt i interventions- och jämförelseområdena om "
                          "programmet inte funnits (parallella trender). Det går inte att pröva "
                          "efter start, men ett placebotest bland barn födda före start (en "
                          "låtsad start mitt i perioden) ska ge en skillnad nära 0, och en "
                          "eventstudie visar skillnaden halvår för halvår före start. En "
                          "logistisk modell kontrollerar att slutsatsen inte hänger på den "
                          "linjära skalan.",
        "assumption_other": "**Antagande.** Jämförelsen förutsätter att de bakgrundsfaktorer som "
                            "justeras för fångar alla skillnader mellan grupperna som påverkar "
                            "utfallen (inga omätta störfaktorer). Det kan inte prövas med "
                            "registeruppgifter.",
        "checks_did": "**Vad kontrollerna visade.** Placebotestet gav p < 0,05 för {failed} av "
                      "{tested} indikatorer{which}. Jämförelsen bygger på {areas} områden "
                      "({treated} med programmet).",
        "checks_floor": " Ett randomiseringstest över alla sätt att välja {treated} av {areas} "
                        "områden som interventionsområden kan inte ge ett p-värde under {floor}; "
                        "{consequence}",
        "floor_blocks": "därför kan ingen skillnad kallas större än slumpen.",
        "floor_allows": "designen kan alltså i princip visa en effekt.",
        "checks_balance": " Före viktning var {unequal} av {covariates} bakgrundsfaktorer (nivåer) "
                          "inte likvärdiga enligt WWC/HomVEE (|d| > 0,25).",
    },
    "en": {
        "estimand": "**What is estimated.** The main analysis covers every eligible child born in "
                    "the intervention areas after the start, whether or not the family accepted "
                    "(intention to treat, ITT): the effect of being offered the programme. As a "
                    "secondary analysis the children of families who accepted are compared with "
                    "the comparison group (per protocol); that comparison can be affected by "
                    "which families accept.",
        "estimator_did": "**Headline estimate.** Difference-in-differences: a linear probability "
                         "model with area (intervention or comparison), period (before or after "
                         "the start) and their interaction, adjusted for {covariates}. The "
                         "uncertainty allows for children in one area being alike: with fewer "
                         "than 30 areas the p-value and the interval come from one wild cluster "
                         "bootstrap test (the interval is the values the test does not reject), "
                         "so the interval excludes 0 exactly when p < 0.05.",
        "estimator_concurrent": "**Headline estimate.** Logistic regression on {covariates}; the "
                                "effect is reported as a risk difference standardised to the "
                                "intervention group (g-computation). Inverse probability of "
                                "treatment weighting (IPTW) is the sensitivity analysis.",
        "estimator_historical": "**Headline estimate.** Logistic regression on {covariates}; the "
                                "effect is reported as a risk difference standardised to the "
                                "children born after the start (g-computation). Inverse "
                                "probability of treatment weighting (IPTW) is the sensitivity "
                                "analysis.",
        "survival": "**Time to event.** Age at MMR and the duration of breastfeeding are shown as "
                    "Kaplan–Meier and Turnbull curves; {survival_estimator}",
        "survival_did": "the difference-in-differences uses the share at a fixed age (vaccinated "
                        "by 24 months, breastfed at 6 months), and in the technical appendix "
                        "also at 18 and 20 months and at 2 and 4 months, with the difference in "
                        "restricted mean survival time.",
        "survival_other": "the effect is estimated as an adjusted hazard ratio (Cox regression; "
                          "for the duration of breastfeeding, known only between two "
                          "assessments, a discrete-time model on the intervals between "
                          "assessments).",
        "missing": "**Missing background data.** Children missing any covariate are left out of "
                   "the adjusted analyses (complete cases); in this run that was {dropped} "
                   "children. The unadjusted shares rest on every child. As a sensitivity "
                   "analysis the primary indicators' estimates are repeated with the missing "
                   "values imputed (multiple imputation by chained equations, ten data sets, "
                   "Rubin's rules); appendix A shows what is missing in each group.",
        "multiplicity": "**Multiple comparisons.** p-values of the primary indicators are "
                        "adjusted by Holm's method and those of the other indicators by "
                        "Benjamini–Hochberg; only adjusted p-values below 0.05 count as "
                        "differences larger than chance.",
        "assumption_did": "**Assumption.** Difference-in-differences assumes that the shares would "
                          "have developed in parallel in the intervention and comparison areas "
                          "without the programme (parallel trends). That cannot be tested after "
                          "the start, but a placebo test among children born before the start (a "
                          "fake start halfway through) should give a difference near 0, and an "
                          "event study shows the difference half-year by half-year before the "
                          "start. A logistic model checks that the conclusion does not hinge on "
                          "the linear scale.",
        "assumption_other": "**Assumption.** The comparison assumes that the covariates adjusted "
                            "for capture every difference between the groups that affects the "
                            "outcomes (no unmeasured confounding). Register data cannot test "
                            "that.",
        "checks_did": "**What the checks showed.** The placebo test gave p < 0.05 for {failed} of "
                      "{tested} indicators{which}. The comparison rests on {areas} areas "
                      "({treated} with the programme).",
        "checks_floor": " A randomisation test over every way of choosing {treated} of {areas} areas "
                        "as intervention areas cannot give a p-value below {floor}; {consequence}",
        "floor_blocks": "so no difference can be called larger than chance.",
        "floor_allows": "so the design can in principle show an effect.",
        "checks_balance": " Before weighting {unequal} of {covariates} covariates (levels) were "
                          "not equivalent by WWC/HomVEE (|d| > 0.25).",
    },
}


def methods_markdown(config: Mapping[str, Any], summary: pd.DataFrame, balance: pd.DataFrame,
                     language: str, *, dropped_for_covariates: int | None = None) -> str:
    """The methods in words: estimand, headline estimator, missing data, assumptions, checks."""
    check_language(language)
    words = METHOD_WORDS[language]
    design = str((config.get("design") or {}).get("type") or "did")
    covariates = _listing([label("covariate", c, language).lower()
                           for c in config.get("covariates") or []], language) or "—"
    paragraphs = [words["estimand"], words[f"estimator_{design}"].format(covariates=covariates),
                  words["survival"].format(survival_estimator=words[
                      "survival_did" if design == "did" else "survival_other"])]
    if dropped_for_covariates is not None:
        paragraphs.append(words["missing"].format(
            dropped=format_count(dropped_for_covariates, language)))
    paragraphs.append(words["multiplicity"])
    paragraphs.append(words["assumption_did" if design == "did" else "assumption_other"])
    checks = ""
    rows = summary if summary is not None else pd.DataFrame()
    tested = rows[rows["pretrend_p"].notna()] if "pretrend_p" in rows else rows.iloc[0:0]
    if design == "did" and len(tested):
        failed = tested[tested["pretrend_p"] < 0.05]
        which = ""
        if len(failed):
            which = " (" + ", ".join(indicator_name(i, language).lower()
                                     for i in failed["indicator"]) + ")"
        first = rows.iloc[0]
        treated = to_number(first.get("n_areas_intervention")) or 0
        comparison = to_number(first.get("n_areas_comparison")) or 0
        checks = words["checks_did"].format(
            failed=format_count(len(failed), language), tested=format_count(len(tested), language),
            which=which, areas=format_count(treated + comparison, language),
            treated=format_count(treated, language))
        floor = to_number(first.get("p_floor"))
        if floor is not None:
            checks += words["checks_floor"].format(
                treated=format_count(treated, language),
                areas=format_count(treated + comparison, language), floor=p_text(floor, language),
                consequence=words["floor_blocks" if floor > 0.05 else "floor_allows"])
    if balance is not None and not balance.empty and "rating_before" in balance:
        rated = balance[balance["rating_before"].isin(["satisfied", "adjustment_required",
                                                        "not_satisfied"])]
        unequal = int((rated["rating_before"] == "not_satisfied").sum())
        balance_text = words["checks_balance"].format(unequal=format_count(unequal, language),
                                                      covariates=format_count(len(rated), language))
        checks = (checks + balance_text) if checks else (
            "**" + ("Vad kontrollerna visade." if language == "sv" else "What the checks showed.")
            + "**" + balance_text)
    if checks:
        paragraphs.append(checks)
    return "\n\n".join(paragraphs)


def dropped_for_covariates(summary: pd.DataFrame) -> int | None:
    """Children left out of the adjusted headline for a missing covariate (first primary row)."""
    if summary is None or summary.empty:
        return None
    rows = summary.sort_values("primary", ascending=False, key=lambda c: c.map(is_true))
    for row in rows.to_dict("records"):
        used = [to_number(row.get(c)) for c in ("n_intervention", "n_comparison")]
        groups = [to_number(row.get(f"n_denominator_{g}")) for g in
                  ("intervention", "comparison", "intervention_pre", "comparison_pre")]
        if any(v is None for v in used):
            continue
        total = sum(v for v in groups if v is not None)
        if str(row.get("design")) != "did":
            total = sum(v for v in groups[:2] if v is not None)
        return max(int(total - sum(used)), 0)
    return None


# --- notes of the technical effects table, in the report's language ------------------------------

NOTE_WORDS: dict[str, dict[str, str]] = {
    "sv": {
        "crude": "ojusterad jämförelse", "fisher": "p: Fishers exakta test",
        "chi_square": "p: chi-två-test", "log_rank": "p: log-rank-test",
        "regression": "logistisk regression justerad för bakgrundsfaktorerna",
        "marginal": "riskskillnad standardiserad till interventionsgruppen (ATT)",
        "iptw": "viktning (IPTW, ATT-vikter); standardfel som tar hänsyn till den skattade "
                "sannolikheten för programmet",
        "ipwra": "dubbelt robust: viktning och viktad logistisk regression med "
                 "bakgrundsfaktorerna (IPWRA)",
        "did": "linjär sannolikhetsmodell med fasta effekter för område och födelsehalvår, "
               "justerad för bakgrundsfaktorerna",
        "did_unadjusted": "linjär sannolikhetsmodell med fasta effekter för område och "
                          "födelsehalvår, utan bakgrundsfaktorer",
        "areas": "{areas} områden ({treated} med programmet)",
        "bootstrap": "p och intervall från samma wild cluster bootstrap-test",
        "unbounded": "intervallet kan inte avgränsas",
        "one_area": "inget tillförlitligt intervall med ett enda område i en grupp",
        "few_areas": "få områden: intervall och p är osäkra (se Metoder)",
        "cox": "Cox-regression (Efron) justerad för bakgrundsfaktorerna",
        "cox_crude": "ojusterad Cox-modell (Efron)",
        "midpoint": "avvänjningsålder vid mittpunkten mellan två bedömningar (närmevärde)",
        "landmark_vacc_mmr1_age": "andel vaccinerade vid {days} dagar",
        "landmark_bf_duration": "andel som ammas vid {days} dagar",
        "discrete_time": "modell i diskret tid (proportionella hasarder, komplementär "
                         "log-log) på intervallen mellan bedömningarna",
        "logistic_did": "kontroll av skalan: logistisk modell med fasta effekter för område och "
                        "födelsehalvår, effekten som riskskillnad (g-beräkning)",
        "rmst_did": "skillnad-i-skillnader i genomsnittlig tid fram till {horizon} dagar "
                    "(Kaplan–Meier)",
        "point_only": "bara punktskattning: för få områden för ett tillförlitligt intervall",
        "placebo": "placebotest bland barn födda före start",
        "no_pandemic": "känslighetsanalys utan barn födda under pandemiåren 2020–2021",
        "filled_windows": "känslighetsanalys: amningspunkter utan bedömning i fönstret ifyllda "
                          "från barnets andra bedömningar",
        "multiple_imputation": "känslighetsanalys: saknade bakgrundsuppgifter imputerade "
                               "(multipel imputering, Rubins regler)",
        "per_protocol": "interventionsgrupp: familjer som tackade ja (vald jämförelse)",
        "complier": "effekt för familjer som tackar ja: effekten av erbjudandet delad med "
                    "andelen som tackade ja",
        "dose_response": "beskrivande: oddskvot per extra genomförd kontakt före utfallets "
                         "ålder, bland familjer som tackat ja; inget p-värde",
        "subgroup": "utforskande; p för interaktion: test av lika effekter (additiv skala)",
        "multiplicity_holm_primary": "justerat p: Holm (huvudindikatorer)",
        "multiplicity_bh_secondary": "justerat p: Benjamini–Hochberg (övriga indikatorer)",
        "not_estimable": "kunde inte skattas",
        "separation": "fullständig separation (ett mönster förutsäger utfallet helt)",
        "zero_cell": "nollcell (inga eller bara utfall i en grupp)",
        "empty_cell": "tom cell i tabellen område × period",
        "no_mle": "ML-skattningen finns inte",
        "other_reason": "se tables/effects.csv",
        "suppressed": "undertryckt för att skydda enskilda barn",
    },
    "en": {
        "crude": "unadjusted comparison", "fisher": "p: Fisher's exact test",
        "chi_square": "p: chi-square test", "log_rank": "p: log-rank test",
        "regression": "logistic regression adjusted for the covariates",
        "marginal": "risk difference standardised to the intervention group (ATT)",
        "iptw": "weighting (IPTW, ATT weights); standard errors that account for the estimated "
                "propensity score",
        "ipwra": "doubly robust: weighting and a weighted logistic regression with the "
                 "covariates (IPWRA)",
        "did": "linear probability model with area and birth half-year fixed effects, adjusted "
               "for the covariates",
        "did_unadjusted": "linear probability model with area and birth half-year fixed "
                          "effects, without covariates",
        "areas": "{areas} areas ({treated} with the programme)",
        "bootstrap": "p and interval from one wild cluster bootstrap test",
        "unbounded": "the interval cannot be bounded",
        "one_area": "no reliable interval with a single area in a group",
        "few_areas": "few areas: interval and p are uncertain (see Methods)",
        "cox": "Cox regression (Efron) adjusted for the covariates",
        "cox_crude": "unadjusted Cox model (Efron)",
        "midpoint": "weaning age at the midpoint between two assessments (approximation)",
        "landmark_vacc_mmr1_age": "share vaccinated by {days} days",
        "landmark_bf_duration": "share breastfed at {days} days",
        "discrete_time": "discrete-time proportional hazards model (complementary log-log) on "
                         "the intervals between assessments",
        "logistic_did": "check on the scale: logistic model with area and birth half-year "
                        "fixed effects, the effect as a risk difference (g-computation)",
        "rmst_did": "difference-in-differences in mean time up to {horizon} days "
                    "(Kaplan–Meier)",
        "point_only": "point estimate only: too few areas for a reliable interval",
        "placebo": "placebo test among children born before the start",
        "no_pandemic": "sensitivity analysis without children born in the pandemic years 2020–2021",
        "filled_windows": "sensitivity analysis: breastfeeding points without an assessment in "
                          "the window filled from the child's other assessments",
        "multiple_imputation": "sensitivity analysis: missing covariates imputed (multiple "
                               "imputation, Rubin's rules)",
        "per_protocol": "intervention group: families who accepted (selected comparison)",
        "complier": "effect for families who accept: the effect of the offer divided by the "
                    "share who accepted",
        "dose_response": "descriptive: odds ratio per additional contact received before the "
                         "outcome's age, among accepting families; no p-value",
        "subgroup": "exploratory; interaction p: test of equal effects (additive scale)",
        "multiplicity_holm_primary": "adjusted p: Holm (primary indicators)",
        "multiplicity_bh_secondary": "adjusted p: Benjamini–Hochberg (other indicators)",
        "not_estimable": "could not be estimated",
        "separation": "complete separation (a pattern predicts the outcome perfectly)",
        "zero_cell": "zero cell (no or only events in a group)",
        "empty_cell": "empty cell in the area × period table",
        "no_mle": "the maximum-likelihood estimate does not exist",
        "other_reason": "see tables/effects.csv",
        "suppressed": "suppressed to protect individual children",
    },
}


def effect_note(row: Mapping[str, Any], language: str) -> str:
    """A technical note for an effects row in the report's language, from its columns.

    effects.csv keeps the statistics' full English note for researchers; the report words
    the same facts from the row's method, measure, analysis and counts.
    """
    words = NOTE_WORDS[check_language(language)]
    method, measure = str(row.get("method") or ""), str(row.get("measure") or "")
    analysis = str(row.get("analysis") or "itt")
    note = str(row.get("note") or "")
    indicator = str(row.get("indicator") or "")
    parts: list[str] = []
    if analysis in ("placebo", "no_pandemic", "filled_windows", "multiple_imputation"):
        parts.append(words[analysis])
    elif analysis in ("per_protocol", "complier"):
        parts.append(words[analysis])
    elif analysis == "dose_response":
        parts.append(words["dose_response"])
    elif analysis == "subgroup":
        parts.append(words["subgroup"])
    if method in ("did", "did_unadjusted") and f"landmark_{indicator}" in words:
        stated = re.search(r"landmark: share [^;]*? (?:by|at) (\d+) days", note)
        days = to_number(row.get("landmark_days")) or (int(stated.group(1)) if stated else None)
        parts.append(words[f"landmark_{indicator}"].format(days=format_count(days, language)))
        if indicator == "bf_duration":
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
    elif method == "kaplan_meier" and measure == "rmst_did":
        horizon = re.search(r"up to (\d+) days", note)
        parts.append(words["rmst_did"].format(horizon=horizon.group(1) if horizon else "?"))
        if "point estimate only" in note:
            parts.append(words["point_only"])
    elif method in ("did", "did_unadjusted"):
        parts.append(words[method])
        treated, comparison = (to_number(row.get("n_areas_intervention")),
                               to_number(row.get("n_areas_comparison")))
        if treated is not None and comparison is not None:
            parts.append(words["areas"].format(areas=format_count(treated + comparison, language),
                                               treated=format_count(treated, language)))
        if "wild cluster bootstrap" in note:
            parts.append(words["bootstrap"])
        if "unbounded" in note:
            parts.append(words["unbounded"])
        if "one area in an arm" in note:
            parts.append(words["one_area"])
        elif re.search(r"only \d+ (treated )?areas?", note):
            parts.append(words["few_areas"])
    if "Fisher's exact" in note:
        parts.append(words["fisher"])
    elif "chi-square test" in note:
        parts.append(words["chi_square"])
    elif "log-rank test" in note and method == "crude":
        parts.append(words["log_rank"])
    family = str(row.get("multiplicity") or "")
    if f"multiplicity_{family}" in words:
        parts.append(words[f"multiplicity_{family}"])
    if is_true(row.get("suppressed")):
        parts.append(words["suppressed"])
    elif to_number(row.get("estimate")) is None:
        parts.append(f"{words['not_estimable']}: {words[_reason_kind(note)]}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def _reason_kind(note: str) -> str:
    """Which kind of "not estimable" an English note describes."""
    for pattern, kind in (("separation", "separation"), ("zero cell", "zero_cell"),
                          ("empty cell", "empty_cell"), ("does not exist", "no_mle")):
        if pattern in note:
            return kind
    return "other_reason"
