"""The summary as data: the design's estimate heads it, and no verdict contradicts its numbers.

Verdicts by hand; a property check over many interval / adjusted-p combinations of what
the report prints; and a hand-made cohort whose crude difference and DiD have opposite
signs, where the summary must state the DiD.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from test_compare import make_cohort, make_study

from pipeline import narrative, text
from pipeline.stages.compare import compare, landmark_outcome
from pipeline.summary import headline, verdict
from pipeline.text import MINUS, NBSP


@pytest.mark.parametrize(("low", "high", "p_adjusted", "expected"), [
    (0.02, 0.10, 0.01, ("higher", "adjusted_p_below_alpha")),
    (-0.10, -0.02, 0.04, ("lower", "adjusted_p_below_alpha")),
    (0.02, 0.10, 0.12, ("unclear", "not_significant_after_correction")),
    (-0.01, 0.10, 0.01, ("unclear", "interval_includes_null")),  # p and interval disagree
    (0.0, 0.10, 0.01, ("unclear", "interval_includes_null")),    # touching 0 includes it
    (None, None, 0.01, ("unclear", "no_interval")),
    (0.02, 0.10, None, ("unclear", "no_p_value")),
])
def test_verdict_by_hand(low, high, p_adjusted, expected) -> None:
    assert verdict(0.05, low, high, p_adjusted, "did") == expected


def test_verdict_on_ratios_uses_one_as_no_effect() -> None:
    assert verdict(1.4, 1.1, 1.8, 0.01, "hazard_ratio") == ("higher", "adjusted_p_below_alpha")
    assert verdict(0.9, 0.7, 1.05, 0.01, "hazard_ratio")[0] == "unclear"
    assert verdict(None, None, None, None, "did") == ("not_estimable", "not_estimable")


def test_headline_follows_the_design() -> None:
    assert (headline("did", "binary").method, headline("did", "survival").measure) == ("did", "did")
    concurrent = headline("concurrent", "binary")
    assert (concurrent.method, concurrent.measure, concurrent.sensitivity_method) == (
        "regression", "risk_difference", "iptw")
    assert headline("historical", "survival").method == "cox"


def _printed_bounds(text: str, language: str) -> tuple[float, float]:
    """The two bounds as a reader reads them ("strax över 0" read as a tiny positive number)."""
    body = text.split("KI\u00a0" if language == "sv" else "CI\u00a0", 1)[1].rstrip(")")
    body = body.replace("strax över", "+").replace("strax under", MINUS + "+")
    body = body.replace("just above", "+").replace("just below", MINUS + "+")
    parts = re.split(r" till | to |–", body)
    values = []
    for part in parts:
        part = part.strip().replace(MINUS, "-").replace(",", ".").replace("\u00a0", "")
        if part.startswith("+"):
            values.append(1e-9 * (1 if not part.startswith("-") else -1))
        elif part.startswith("-+"):
            values.append(-1e-9)
        else:
            values.append(float(part))
    return values[0], values[1]


def test_verdict_agrees_with_the_printed_interval_and_p_for_every_combination() -> None:
    rng = np.random.default_rng(20261202)
    # bounds near 0 at every scale, including ones that round to 0 at 0 or 1 decimals
    magnitudes = np.array([0.0, 1e-7, 4e-5, 4.9e-5, 5e-5, 4e-4, 0.004, 0.0049, 0.005, 0.03, 0.2])
    checked = set()
    for _ in range(4000):
        a, b = rng.choice(magnitudes, 2) * rng.choice([-1.0, 1.0], 2)
        low, high = min(a, b), max(a, b)
        estimate = (low + high) / 2
        p_adjusted = float(rng.choice([0.0004, 0.0049, 0.049, 0.0496, 0.04999, 0.05, 0.0504, 0.3]))
        result, reason = verdict(estimate, low, high, p_adjusted, "did")
        for language in ("sv", "en"):
            printed = narrative.effect_text({"measure": "did", "estimate": estimate,
                                             "ci_low": low, "ci_high": high}, language)
            lo, hi = _printed_bounds(printed, language)
            p_printed = float(narrative.p_text(p_adjusted, language).replace(",", ".")
                              .replace("<", ""))
            if result == "higher":
                assert lo > 0 and p_printed < 0.05, (printed, p_adjusted)
            elif result == "lower":
                assert hi < 0 and p_printed < 0.05, (printed, p_adjusted)
            elif reason == "interval_includes_null":
                assert lo <= 0 <= hi, (printed, low, high)
            elif reason == "not_significant_after_correction":
                assert (lo > 0 or hi < 0) and p_printed >= 0.05, (printed, p_adjusted)
            checked.add((result, reason))
    assert {("higher", "adjusted_p_below_alpha"), ("lower", "adjusted_p_below_alpha"),
            ("unclear", "interval_includes_null"),
            ("unclear", "not_significant_after_correction")} <= checked


@pytest.mark.parametrize(("estimate", "low", "high", "said"), [
    # a national year's breastfeeding at 1 week: at whole points "2 (2–3)" seemed to put the
    # estimate on a bound; one decimal more shows the interval
    (0.0239, 0.0158, 0.0330, f"2,4{NBSP}procentenheter (95{NBSP}% KI{NBSP}1,6–3,3)"),
    (0.0784, 0.0606, 0.0961, f"8{NBSP}procentenheter (95{NBSP}% KI{NBSP}6–10)"),  # wide enough as it is
    (0.1000, -0.0070, 0.1980, f"10{NBSP}procentenheter (95{NBSP}% KI{NBSP}{MINUS}1 till 20)"),
    (0.0200, 0.0150, 0.0260, f"2,0{NBSP}procentenheter (95{NBSP}% KI{NBSP}1,5–2,6)"),
])
def test_effect_has_the_decimals_its_interval_needs(estimate, low, high, said) -> None:
    row = {"measure": "did", "estimate": estimate, "ci_low": low, "ci_high": high}
    assert narrative.effect_text(row, "sv") == said


@pytest.mark.parametrize(("p_adjusted", "language", "said"), [
    (0.008, "sv", f"(justerat p{NBSP}={NBSP}0,008, Holms korrektion för 3 huvudindikatorer)"),
    (0.0000004, "sv", f"(justerat p{NBSP}<{NBSP}0,001, Holms korrektion för 3 huvudindikatorer)"),
    (0.0000004, "en", f"(adjusted p{NBSP}<{NBSP}0.001, "),
    (0.0496, "en", f"(adjusted p{NBSP}={NBSP}0.0496, "),
])
def test_verdict_states_p_as_equal_or_below_never_equal_to_below(p_adjusted, language, said) -> None:
    """The page-one verdict of a p below 0.001 reads "p < 0,001", not "p = <0,001" (a national
    year's MMR and breastfeeding effects are that clear); other p-values "p = 0,008"; no-break
    spaces keep "p", its sign and its value on one line."""
    row = {"verdict": "higher", "reason": "adjusted_p_below_alpha", "measure": "did",
           "indicator": "vacc_mmr1_24m", "area": "all", "multiplicity": "holm_primary",
           "p_adjusted": p_adjusted}
    phrase = narrative.verdict_phrase(row, {("all", "holm_primary"): 3}, language)
    assert said in phrase and "= <" not in phrase.replace(NBSP, " "), phrase


def test_a_correction_names_every_indicator_it_was_made_for() -> None:
    """A historical study's page one said "Holm's correction for 2 primary indicators" where the
    correction was made for 3 (0.004357 x 3 = 0.013072): the third's p was hidden to protect a
    small count, and only rows with an adjusted p shown were counted. Not estimable ones count
    too (as p = 1, `stats.holm`)."""
    summary = pd.DataFrame({
        "indicator": ["vacc_mmr1_24m", "bf_any_6m", "lang_no_deviation", "bf_any_1w", "vacc_dtp3_24m",
                      "bf_any_2m", "vacc_mmr1_24m"],
        "area": ["all"] * 6 + ["Norrbyåsen"],
        "multiplicity": ["holm_primary"] * 3 + ["bh_secondary"] * 3 + ["holm_primary"],
        "p_adjusted": [0.013072, 0.479138, None, 0.094626, None, 0.529593, 0.2],
        "verdict": ["higher", "unclear", "suppressed", "unclear", "not_estimable", "unclear", "unclear"]})
    sizes = narrative._family_sizes(summary)
    assert sizes == {("all", "holm_primary"): 3, ("all", "bh_secondary"): 3,
                     ("Norrbyåsen", "holm_primary"): 1}
    row = summary.iloc[0].to_dict() | {"reason": "adjusted_p_below_alpha", "measure": "did"}
    assert "Holm's correction for 3 primary indicators" in narrative.verdict_phrase(row, sizes, "en")
    # the secondary family counts the row's own indicator: not "for 3 other indicators" (s13:
    # "korrektion för 19 övriga indikatorer" read as 19 besides this one, 20 in all)
    secondary = summary.iloc[3].to_dict() | {"reason": "adjusted_p_below_alpha", "measure": "did",
                                             "verdict": "higher", "p_adjusted": 0.04}
    assert "Benjamini–Hochberg correction across 3 secondary indicators" in narrative.verdict_phrase(
        secondary, sizes, "en")
    assert "Benjamini–Hochbergs korrektion över 3 sekundära indikatorer" in narrative.verdict_phrase(
        secondary, sizes, "sv")


def test_a_historical_area_report_names_its_one_area_in_its_design_line() -> None:
    """s13's Norrbyåsen report: "Design: jämförelse före och efter programstart i samma områden"
    for one area, whose own bullet says "samma område"."""
    from pipeline import text

    area = text.title_markdown("Studie", "s13", "sv", area="Norrbyåsen", design="historical")
    assert "*Design: jämförelse före och efter programstart i samma område.*" in area
    study = text.title_markdown("Studie", "s13", "en", design="historical")
    assert "the same areas before and after the programme started" in study


def test_a_hidden_group_is_said_hidden_not_drawn_as_a_dash() -> None:
    """An area report read "bara – i interventionsgruppen" and "Språkscreening genomförd: – bland
    barn födda i Norrbyåsen": where a group's number is hidden the words say so."""
    row = {"caveats": "few_children", "n_denominator_intervention": None, "n_denominator_comparison": 32,
           "suppression": "secondary", "proportion_intervention": None}
    assert narrative.caveat_sentences(row, "sv") == [
        "Bygger på få barn; antalet barn i minst en grupp redovisas inte."]
    assert narrative.caveat_sentences(row, "en") == [
        "It rests on few children; the number of children in at least one group is not shown."]
    assert narrative._share(row, "intervention", "sv") == "en andel som inte redovisas"
    assert narrative._share({"proportion_intervention": None}, "intervention", "en") == "–"  # no such group


def test_an_indicator_among_the_screened_rests_on_the_children_screened() -> None:
    """"17 ... were old enough for the measure" was said of lang_no_deviation, whose children are
    those screened."""
    row = {"caveats": "few_children", "n_denominator_intervention": 17, "n_denominator_comparison": 28,
           "indicator": "lang_no_deviation"}
    assert narrative.caveat_sentences(row, "en") == [
        "It rests on few children: only 17 in the intervention group and 28 in the comparison group "
        "had been screened."]
    assert "hade hunnit bli gamla nog" in narrative.caveat_sentences(row | {"indicator": "lang_screened"},
                                                                      "sv")[0]


def _did_cohort(seed: int = 3) -> pd.DataFrame:
    """Three intervention and three comparison areas; crude after the start -20 pp, DiD +20 pp.

    Before the start intervention areas 50 %, comparison areas 90 %; after it 70 % and 90 %:
    a crude (after-start) difference of -20 pp and a difference-in-differences of +20 pp.
    """
    rng = np.random.default_rng(seed)
    groups, areas, outcome = [], [], []
    share = {"intervention_pre": 0.5, "intervention": 0.7, "comparison_pre": 0.9, "comparison": 0.9}
    for group, p in share.items():
        for k in range(3):
            n = 60
            events = round(p * n)
            groups += [group] * n
            areas += [f"{'I' if group.startswith('intervention') else 'C'}{k}"] * n
            outcome += list(rng.permutation([True] * events + [False] * (n - events)))
    cohort = make_cohort(groups, seed=seed, outcomes={"vacc_mmr1_24m": outcome})
    cohort["area"] = areas
    return cohort


def _did_study():
    study = make_study("did", primary=("vacc_mmr1_24m", "bf_any_6m"))
    design = study.design.model_copy(update={"intervention_areas": ["I0", "I1", "I2"],
                                             "comparison_areas": ["C0", "C1", "C2"]})
    return study.model_copy(update={"design": design})


def test_summary_states_the_did_when_the_crude_difference_points_the_other_way() -> None:
    tables = compare(_did_study(), _did_cohort())
    effects, summary = tables["effects"], tables["summary"]
    crude = effects[(effects["indicator"] == "vacc_mmr1_24m") & (effects["method"] == "crude")
                    & (effects["measure"] == "risk_difference") & (effects["analysis"] == "itt")
                    & (effects["area"] == "all")].iloc[0]
    assert crude["estimate"] == pytest.approx(0.7 - 0.9)
    row = summary[(summary["indicator"] == "vacc_mmr1_24m") & (summary["area"] == "all")].iloc[0]
    assert (row["method"], row["measure"]) == ("did", "did")
    assert row["estimate"] == pytest.approx((0.7 - 0.5) - (0.9 - 0.9), abs=0.03)  # covariates
    assert row["proportion_intervention"] == pytest.approx(0.7)
    assert row["proportion_comparison_pre"] == pytest.approx(0.9)
    assert row["multiplicity"] == "holm_primary"
    record = row.to_dict()
    for language, words in (("sv", "skillnad-i-skillnader"), ("en", "difference-in-differences")):
        sentence = narrative.indicator_sentence(record, language)
        assert words in sentence
        effect = sentence.split(words + "): ", 1)[1]
        assert effect.startswith((f"19{NBSP}", f"20{NBSP}", f"21{NBSP}")), sentence  # the DiD, positive
        assert "−20" not in sentence and "-20" not in sentence  # never the crude difference


def test_landmark_outcome_by_hand() -> None:
    birth = pd.Timestamp("2021-01-01")
    frame = pd.DataFrame({
        "vacc_mmr1_age_days": [500.0, 800.0, 700.0, 730.0, 600.0, 400.0],
        "vacc_mmr1_age_event": pd.array([True, True, False, False, False, True], dtype="boolean"),
        "bf_duration_left_days": [200.0, 100.0, 150.0, np.nan, 190.0, 100.0],
        "bf_duration_right_days": [np.nan, 140.0, np.nan, np.nan, 230.0, 130.0],
        "birth_date": [birth] * 6,
        # the last child is 600 days old at extraction: too young for the MMR landmark
        "age_at_extraction_days": [1000, 1000, 700, 1000, 600, 600],
        "moved_out_date": [pd.NaT, pd.NaT, pd.NaT, pd.NaT, birth + pd.Timedelta(days=600), pd.NaT],
    })
    mmr, known = landmark_outcome(frame, "vacc_mmr1_age")
    # vaccinated at 500 days; vaccinated after 730; followed only to 700 (unknown); followed to
    # 730 unvaccinated; moved out at 600 (unknown); vaccinated at 400 but only 600 days old:
    # unknown, as an unvaccinated child of that age would be
    assert known.tolist() == [True, True, False, True, False, False]
    assert mmr[known].tolist() == [1.0, 0.0, 0.0]
    breastfed, known = landmark_outcome(frame, "bf_duration")
    # last breastfed at 200 (>= 183); weaned 100-140 (midpoint 120); last seen breastfed at
    # 150 (unknown); no assessment; weaned 190-230 (midpoint 210: still breastfed at 183);
    # weaned 100-130, followed to 600 days
    assert known.tolist() == [True, True, False, False, True, True]
    assert breastfed[known].tolist() == [1.0, 0.0, 1.0, 0.0]


def test_every_caveat_and_reason_has_words_in_both_languages() -> None:
    row = {"indicator": "lang_no_deviation", "area": "all", "kind": "binary", "design": "did",
           "method": "did", "measure": "did", "estimate": -0.4, "ci_low": -0.9, "ci_high": 0.2,
           "p_adjusted": 0.2, "multiplicity": "holm_primary", "n_areas_intervention": 2,
           "n_areas_comparison": 2, "pretrend_p": 0.01, "n_denominator_intervention": 22,
           "n_denominator_comparison": 22}
    codes = ("few_areas", "very_few_areas", "one_area_in_arm", "interval_unbounded", "no_interval",
             "pre_trends_differ", "few_children", "stable_definition", "few_treated_areas")
    for language in ("sv", "en"):
        for code in codes:
            for reason in ("interval_includes_null", "not_significant_after_correction", "no_interval",
                           "no_p_value"):
                sentence = narrative.indicator_sentence(
                    {**row, "caveats": code, "verdict": "unclear", "reason": reason}, language)
                extra = " ".join(narrative.caveat_sentences({**row, "caveats": code}, language))
                assert "{" not in sentence + extra, (code, reason)
    few = " ".join(narrative.caveat_sentences({**row, "caveats": "few_children"}, "sv"))
    assert "bara 22 i interventionsgruppen och 22 i jämförelsegruppen" in few


def test_rotavirus_entering_the_schedule_mid_study_gives_no_spurious_did() -> None:
    # No effect on anything: DTaP3, PCV3 and MMR1 are 60 % in intervention areas and 90 % in
    # comparison areas in both periods. Children after the start were born when rotavirus
    # was in the programme; 80 % of them completed it, in both arms alike. "Fully vaccinated"
    # as defined (rotavirus required after, not before) falls by .6 x .2 = .12 in the
    # intervention areas and by .9 x .2 = .18 in the comparison areas: a spurious DiD of
    # +6 pp. On one definition in both periods the DiD is 0.
    rng = np.random.default_rng(11)
    groups, areas, base, rota = [], [], [], []
    for group in ("intervention_pre", "intervention", "comparison_pre", "comparison"):
        share = 0.6 if group.startswith("intervention") else 0.9
        for k in range(3):
            n = 100
            groups += [group] * n
            areas += [f"{'I' if group.startswith('intervention') else 'C'}{k}"] * n
            base += list(rng.permutation([True] * round(share * n) + [False] * (n - round(share * n))))
            rota += list(rng.permutation([True] * 80 + [False] * 20))
    base, rota = np.array(base), np.array(rota)
    post = np.array([not g.endswith("_pre") for g in groups])
    full = base & np.where(post, rota, True)
    outcomes = {"vacc_dtp3_24m": base, "vacc_pcv3_24m": base, "vacc_mmr1_24m": base,
                "vacc_full_24m": full}
    cohort = make_cohort(groups, seed=11, outcomes={k: list(v) for k, v in outcomes.items()})
    cohort["area"] = areas
    study = _did_study()
    start = pd.Timestamp(study.design.programme_start)  # 2020-01-01: pre births in 2018-19
    assert (cohort.loc[~post, "birth_date"] < pd.Timestamp("2019-09-01")).any()
    assert (cohort.loc[post, "birth_date"] >= start).all()
    def share(mask: np.ndarray) -> float:
        return float(full[mask].mean())
    arm = np.array([g.startswith("intervention") for g in groups])
    as_defined = (share(arm & post) - share(arm & ~post)) - (share(~arm & post) - share(~arm & ~post))
    assert as_defined == pytest.approx(0.06, abs=0.02)  # the spurious DiD
    effects = compare(study, cohort)["effects"]
    for method in ("did", "did_unadjusted"):
        row = effects[(effects["indicator"] == "vacc_full_24m") & (effects["method"] == method)
                      & (effects["analysis"] == "itt") & (effects["area"] == "all")].iloc[0]
        assert row["estimate"] == pytest.approx(0.0, abs=0.015), method
        assert "DTaP3 + PCV3 + MMR1" in row["note"]


def test_two_plus_two_areas_never_support_a_significance_claim() -> None:
    # A large, clear DiD (+40 pp) on 2 + 2 areas: the model-based p is tiny, but over the six
    # ways of calling two of the four areas "intervention" the randomisation p cannot go below
    # 2/6 (an assignment and its complement give the same |DiD|), so the verdict is unclear.
    rng = np.random.default_rng(5)
    share = {"intervention_pre": 0.3, "intervention": 0.7, "comparison_pre": 0.3, "comparison": 0.3}
    groups, areas, outcome = [], [], []
    for group, p in share.items():
        for k in range(2):
            groups += [group] * 200
            areas += [f"{'I' if group.startswith('intervention') else 'C'}{k}"] * 200
            outcome += list(rng.random(200) < p + 0.02 * k)
    cohort = make_cohort(groups, seed=5, outcomes={"vacc_mmr1_24m": outcome})
    cohort["area"] = areas
    study = make_study("did", primary=("vacc_mmr1_24m",))
    design = study.design.model_copy(update={"intervention_areas": ["I0", "I1"],
                                             "comparison_areas": ["C0", "C1"]})
    tables = compare(study.model_copy(update={"design": design}), cohort)
    effects, summary = tables["effects"], tables["summary"]
    did = effects[(effects["indicator"] == "vacc_mmr1_24m") & (effects["method"] == "did")
                  & (effects["analysis"] == "itt") & (effects["area"] == "all")].iloc[0]
    assert did["p_adjusted"] < 0.05 and did["ci_low"] > 0  # the model alone would claim it
    assert did["p_floor"] == pytest.approx(1 / 3) and did["p_randomisation"] == pytest.approx(1 / 3)
    row = summary[(summary["indicator"] == "vacc_mmr1_24m") & (summary["area"] == "all")].iloc[0]
    assert (row["verdict"], row["reason"]) == ("unclear", "design_cannot_reach_significance")
    sentence = narrative.indicator_sentence(row.to_dict(), "sv")
    assert "kan studien inte visa att skillnaden är större än slumpen" in sentence and "0,33" in sentence


def _two_of_ten_areas(primary: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(effects, summary) of a clear DiD of MMR (+40 points) on 2 intervention and 8 comparison
    areas: over the 45 ways of calling 2 of the 10 areas "intervention" the randomisation p
    cannot go below 1/45 = 0.022."""
    rng = np.random.default_rng(7)
    groups, areas, outcome = [], [], []
    for group in ("intervention_pre", "intervention", "comparison_pre", "comparison"):
        arm, count = ("I", 2) if group.startswith("intervention") else ("C", 8)
        names = [f"{arm}{k}" for k in range(count)]
        for k, area in enumerate(names):
            groups += [group] * 120
            areas += [area] * 120
            outcome += list(rng.random(120) < (0.7 if group == "intervention" else 0.3) + 0.01 * k)
    cohort = make_cohort(groups, seed=7, outcomes={"vacc_mmr1_24m": outcome})
    cohort["area"] = areas
    study = make_study("did", primary=primary)
    design = study.design.model_copy(update={"intervention_areas": ["I0", "I1"],
                                             "comparison_areas": [f"C{k}" for k in range(8)]})
    tables = compare(study.model_copy(update={"design": design}), cohort)
    return tables["effects"], tables["summary"]


def test_a_randomisation_floor_under_5_percent_is_not_after_holms_correction() -> None:
    """2 of 10 areas: the floor 1/45 = 0.022 lets a single primary indicator be called larger
    than chance, but Holm's smallest adjusted p is k times the smallest p: across 3 primary
    indicators no randomisation p could be below 3/45 = 0.067, and the report called MMR "higher
    with the programme; larger than chance (adjusted p = 0.023, Holm for 3)" (s21). With 2,
    2/45 = 0.044 is below 0.05 and the claim stands."""
    from pipeline.summary import corrected_floor

    assert corrected_floor(1 / 45, "holm_primary", 3) == pytest.approx(1 / 15)
    assert corrected_floor(1 / 45, "bh_secondary", 20) == pytest.approx(1 / 45)
    assert corrected_floor(None, "holm_primary", 3) is None
    for primary, expected in (((("vacc_mmr1_24m", "bf_any_6m"), ("higher", "adjusted_p_below_alpha"))),
                              (("vacc_mmr1_24m", "bf_any_6m", "lang_no_deviation"),
                               ("unclear", "design_cannot_reach_significance"))):
        effects, summary = _two_of_ten_areas(primary)
        did = effects[(effects["indicator"] == "vacc_mmr1_24m") & (effects["method"] == "did")
                      & (effects["analysis"] == "itt") & (effects["area"] == "all")].iloc[0]
        assert did["p_floor"] == pytest.approx(1 / 45) and did["ci_low"] > 0
        assert did["p_adjusted"] < 0.05 and did["multiplicity"] == "holm_primary"
        row = summary[(summary["indicator"] == "vacc_mmr1_24m") & (summary["area"] == "all")].iloc[0]
        assert (row["verdict"], row["reason"]) == expected, primary
    sizes = narrative._family_sizes(summary)
    sentence = narrative.verdict_phrase(row.to_dict(), sizes, "sv")
    assert sentence == ("med så få områden kan studien inte visa att skillnaden är större än slumpen, hur "
                        "stor den än är: randomiseringstestets lägsta möjliga p är 0,022, och 0,067 efter "
                        "Holms korrektion för 3 huvudindikatorer")
    methods = narrative.methods_markdown({"design": {"type": "did"}}, summary, pd.DataFrame(), "sv")
    assert ("kan inte ge ett p-värde under 0,022; designen kan alltså i princip visa en effekt, men inte för "
            "huvudindikatorerna: efter Holms korrektion för 3 huvudindikatorer kan randomiseringstestet "
            "inte ge ett p-värde under 0,067.") in methods


def test_the_methods_say_the_event_studys_joint_test_beside_the_placebo_test() -> None:
    """The placebo test's count alone read as if every check of the trends before the start had
    passed, while the event study's joint test gave p < 0.05 for three indicators (a review of a
    6,000-child study: a primary one among them). Counted as the placebo test is: the tested
    indicators (p known), those below 0.05 named, an abbreviation as it is written ("mmr" before)."""
    summary = pd.DataFrame({
        "indicator": ["vacc_mmr1_24m", "bf_any_6m", "lang_no_deviation"], "area": "all",
        "pretrend_p": [0.40, 0.70, None], "pretrend_joint_p": [0.031, 0.20, None],
        "n_areas_intervention": 2, "n_areas_comparison": 8, "p_floor": None})
    methods = narrative.methods_markdown({"design": {"type": "did"}}, summary, pd.DataFrame(), "sv")
    assert ("Placebotestet gav p < 0,05 för 0 av 2 indikatorer. Jämförelsen bygger på 10 områden (2 med "
            "programmet). Eventstudiens gemensamma test av alla halvår före start gav p < 0,05 för 1 av 2 "
            "indikatorer (MMR vid 24 månader): skäl att läsa deras skattningar med försiktighet") in methods
    # a name that holds a comma: the names by semicolons
    summary["indicator"] = ["vacc_pcv3_24m", "bf_any_6m", "lang_no_deviation"]
    summary["pretrend_joint_p"] = [0.031, 0.02, None]
    methods = narrative.methods_markdown({"design": {"type": "did"}}, summary, pd.DataFrame(), "en")
    assert ("gave p < 0.05 for 2 of 2 indicators (pneumococcal vaccine, 3 doses by 24 months; any "
            "breastfeeding at 6 months): a reason") in methods
    summary["pretrend_joint_p"] = [0.06, 0.20, None]
    english = narrative.methods_markdown({"design": {"type": "did"}}, summary, pd.DataFrame(), "en")
    assert ("The event study's joint test of every half-year before the start gave p < 0.05 for none of 2 "
            "indicators.") in english


def test_a_difference_not_significant_after_correction_says_when_the_randomisation_test_is_not_either():
    """Any breastfeeding at 6 months in a 6,000-child study: DiD 10 points (2.4 to 19.8), p 0.030,
    0.089 after Holm's correction for 3; over the 45 ways of choosing its 2 of 10 areas, 8 give a
    difference at least as large (p = 8/45 = 0.18). Page one named the correction alone."""
    row = {"indicator": "bf_any_6m", "area": "all", "design": "did", "measure": "did",
           "verdict": "unclear", "reason": "not_significant_after_correction", "estimate": 0.1029,
           "ci_low": 0.0243, "ci_high": 0.1975, "p_adjusted": 0.0888, "multiplicity": "holm_primary",
           "p_randomisation": 8 / 45, "p_floor": 1 / 45}
    sizes = {("all", "holm_primary"): 3}
    assert narrative.verdict_phrase(row, sizes, "sv") == (
        "intervallet omfattar inte 0, men efter korrektion för flera jämförelser kan skillnaden bero på "
        "slumpen (justerat p\u00a0=\u00a00,089, Holms korrektion för 3 huvudindikatorer); "
        "randomiseringstestet, som bara bygger på vilka områden som fick programmet, ger p\u00a0=\u00a00,18 "
        "redan utan korrektion")
    assert narrative.verdict_phrase(row, sizes, "en").endswith(
        "; the randomisation test, which rests only on which areas had the programme, gives "
        "p\u00a0=\u00a00.18 even without correction")
    # where the randomisation test is below 0.05 (its floor, 1/45), the correction is the doubt
    assert narrative.verdict_phrase(row | {"p_randomisation": 1 / 45}, sizes, "sv").endswith(
        "Holms korrektion för 3 huvudindikatorer)")


def _one_area_rows(treated: int, comparison: int, reasons: tuple[str, ...]) -> pd.DataFrame:
    """An area's summary rows: DiD estimates without an interval (a single area in a group)."""
    rows = []
    for k, reason in enumerate(reasons):
        rows.append({"indicator": ("vacc_mmr1_24m", "bf_any_6m", "lang_no_deviation")[k],
                     "area": "Norrbyåsen", "primary": True, "kind": "binary", "design": "did",
                     "method": "did", "measure": "did",
                     "estimate": 0.06 + k / 100, "ci_low": None, "ci_high": None, "p_adjusted": None,
                     "verdict": "unclear", "reason": reason, "caveats": "one_area_in_arm;no_interval",
                     "n_areas_intervention": treated, "n_areas_comparison": comparison,
                     "proportion_intervention": 0.85, "proportion_comparison": 0.97,
                     "proportion_intervention_pre": 0.79, "proportion_comparison_pre": 0.95})
    return pd.DataFrame(rows)


def test_a_single_area_is_said_once_above_the_list_and_each_estimate_is_called_rough() -> None:
    rows = _one_area_rows(1, 9, ("no_interval",) * 3)
    text = narrative.summary_markdown(rows, "sv", area="Norrbyåsen")
    box = ("**Obs!** Jämförelsen bygger på bara ett område med programmet. Då kan inget tillförlitligt "
           "osäkerhetsintervall beräknas")
    assert text.count(box) == 1
    assert text.index(box) < text.index("**Huvudindikatorer**")
    assert "osäkerhetsintervall" not in text.split("**Huvudindikatorer**")[1]  # not again per indicator
    assert text.count(f"6{NBSP}procentenheter (grov skattning).") == 1  # 0.06: the number, then its tag
    assert text.count("(grov skattning).") == 3
    english = narrative.summary_markdown(rows, "en", area="Norrbyåsen")
    assert english.count("rests on only one area with the programme") == 1
    assert english.count("(a rough estimate).") == 3


def test_a_single_comparison_area_is_named_as_such() -> None:
    said = narrative.summary_markdown(_one_area_rows(4, 1, ("no_interval",) * 3), "sv", area="Norrbyåsen")
    assert "bygger på bara ett jämförelseområde." in said
    assert "område med programmet" not in said
    both = narrative.summary_markdown(_one_area_rows(1, 1, ("no_interval",) * 3), "en", area="Norrbyåsen")
    assert "rests on only one area in each group." in both
    # said with its row when the rows do not all share it
    row = _one_area_rows(4, 1, ("no_interval",)).iloc[0].to_dict()
    assert "(grov skattning: bara ett jämförelseområde); inget tillförlitligt" in (
        narrative.indicator_sentence(row, "sv"))


def test_a_single_area_box_only_when_every_shown_estimate_lacks_its_interval_for_that_reason() -> None:
    rows = _one_area_rows(1, 9, ("no_interval", "no_interval", "no_p_value"))
    text = narrative.summary_markdown(rows, "sv", area="Norrbyåsen")
    assert "**Obs!**" not in text
    assert text.count("grov skattning: bara ett område med programmet") == 3
    assert text.count("inget tillförlitligt osäkerhetsintervall kan beräknas") == 2
    # a suppressed indicator prints no estimate: it does not stop the box
    suppressed = _one_area_rows(1, 9, ("no_interval",) * 3)
    suppressed.loc[2, ["verdict", "reason"]] = ["suppressed", "few_without"]
    assert narrative.summary_markdown(suppressed, "sv", area="Norrbyåsen").count("**Obs!**") == 1


def test_a_concurrent_comparison_says_once_that_its_intervals_take_children_as_independent() -> None:
    """s3 (concurrent, 2 areas with the programme against 8): intervals of the children one by
    one, not clustered by area, with nothing on page one to say so, beside a DiD report that
    warned of the same 2 areas. Its summary rows carry `areas_not_clustered` and the counts of
    areas (compare), and page one says it once above the list, in words for one area too."""
    rows = _one_area_rows(2, 8, ("interval_includes_null",) * 3)
    rows["caveats"], rows["area"], rows["design"] = "areas_not_clustered", "all", "concurrent"
    rows["method"], rows["measure"] = "regression", "risk_difference"
    rows["ci_low"], rows["ci_high"], rows["p_adjusted"] = -0.01, 0.2, 0.3
    text = narrative.summary_markdown(rows, "sv")
    box = ("**Obs!** Jämförelsen bygger på 2 områden med programmet och 8 jämförelseområden. "
           "Osäkerhetsintervallen och p-värdena nedan räknar barnen som oberoende av varandra")
    assert text.count(box) == 1 and text.index(box) < text.index("**Huvudindikatorer**")
    assert "osäkert" not in text  # no tag: the box says it
    rows["n_areas_intervention"], rows["n_areas_comparison"] = 1, 1
    english = narrative.summary_markdown(rows, "en")
    assert ("**Note:** the comparison rests on one area with the programme and one comparison area. The "
            "uncertainty intervals and p-values below take the children as independent") in english
    rows["caveats"] = ""
    assert "oberoende av varandra" not in narrative.summary_markdown(rows, "sv")
    # the compare stage: every concurrent row, with its areas (1 + 1 here, North against South)
    summary = compare(make_study("concurrent"), make_cohort(["intervention"] * 150 + ["comparison"] * 150,
                                                            seed=3))["summary"]
    assert (summary["caveats"].str.split(";").map(lambda c: "areas_not_clustered" in c)).all()
    assert summary[["n_areas_intervention", "n_areas_comparison"]].eq(1).all().all()


def test_few_areas_with_the_programme_said_once_above_the_list_and_each_estimate_marked_uncertain() -> None:
    rows = _one_area_rows(2, 8, ("interval_includes_null",) * 3)
    rows["caveats"] = "few_treated_areas"
    rows["area"] = "all"
    rows["ci_low"], rows["ci_high"], rows["p_adjusted"] = -0.01, 0.2, 0.3
    text = narrative.summary_markdown(rows, "sv")
    box = ("**Obs!** Jämförelsen bygger på bara 2 områden med programmet och 8 utan. Med så få områden "
           "med programmet är osäkerhetsintervallen")
    assert text.count(box) == 1 and text.index(box) < text.index("**Huvudindikatorer**")
    assert "bara 2 områden" not in text.split("**Huvudindikatorer**")[1]
    said = f"6{NBSP}procentenheter (95{NBSP}% KI{NBSP}−1 till 20; osäkert); kan bero på slumpen"
    assert text.count(said) == 1
    assert text.count("; osäkert); kan bero på slumpen (intervallet omfattar 0)") == 3
    assert narrative.summary_markdown(rows, "en").count("; uncertain); could be due to chance") == 3
    # areas that differ between rows (an indicator measured in fewer areas): each says its own
    rows.loc[0, "n_areas_intervention"] = 3
    text = narrative.summary_markdown(rows, "sv")
    assert "**Obs!**" not in text
    assert text.count("osäkert: bara 2 områden med programmet") == 2
    assert text.count("osäkert: bara 3 områden med programmet") == 1
    # the group with few areas is the one named: 8 areas with the programme, 2 without
    rows["n_areas_intervention"], rows["n_areas_comparison"] = 8, 2
    text = narrative.summary_markdown(rows, "sv")
    assert text.count("bygger på bara 8 områden med programmet och 2 utan. Med så få jämförelseområden") == 1
    rows.loc[0, "n_areas_comparison"] = 1  # no longer shared
    said = narrative.summary_markdown(rows, "en")
    assert said.count("uncertain: only 2 comparison areas") == 2 and "rests on only" not in said


def test_very_few_areas_keep_their_box_and_each_estimate_is_marked_very_uncertain() -> None:
    rows = _one_area_rows(2, 2, ("interval_includes_null",) * 3)
    rows["caveats"], rows["area"] = "very_few_areas", "all"
    rows["ci_low"], rows["ci_high"], rows["p_adjusted"] = -0.01, 0.2, 0.3
    text = narrative.summary_markdown(rows, "sv")
    assert text.count("**Obs!** Jämförelsen bygger på bara 4 områden (2 med programmet och 2 utan).") == 1
    assert text.count("; mycket osäkert); kan bero på slumpen") == 3
    assert "med bara 4 områden" not in text.split("**Huvudindikatorer**")[1]


@pytest.mark.parametrize(("detail", "sv", "en"), [
    ("outcome model: complete or quasi-complete separation — some covariate pattern predicts the outcome",
     "i någon kombination av bakgrundsfaktorer hade alla barn utfallet, eller inget",
     "in some combination of background factors all children had the outcome, or none did"),
    ("zero cell: only events in the treated group, so treatment separates the outcome",
     "för få barn eller utfall i någon grupp", "too few children or outcomes in a group"),
    ("separation — area Norrbyåsen: all 12 children have the outcome",
     "för få barn eller utfall i någon grupp", "too few children or outcomes in a group"),
])
def test_an_effect_not_estimable_says_why_once_named(detail, sv, en) -> None:
    """A concurrent study's MMR read "MMR vid 24 månader: 87 % … MMR vid 24 månader: programmets
    effekt kunde inte skattas … (för få barn eller utfall i någon grupp; se den tekniska
    bilagan)", where summary.csv said the covariates separated the outcome and the committee
    report has no technical appendix."""
    row = {"indicator": "vacc_mmr1_24m", "area": "all", "kind": "binary", "design": "concurrent",
           "verdict": "not_estimable", "reason": "not_estimable", "reason_detail": detail,
           "measure": "risk_difference", "n_denominator_intervention": 115, "n_denominator_comparison": 289,
           "proportion_intervention": 0.87, "proportion_comparison": 0.97, "caveats": ""}
    for language, why in (("sv", sv), ("en", en)):
        sentence = narrative.indicator_sentence(row, language).replace(NBSP, " ")
        assert why in sentence, sentence
        assert sentence.count(text.label("indicator", "vacc_mmr1_24m", language)) == 1, sentence
        assert "bilaga" not in sentence and "appendix" not in sentence


def test_a_hazard_ratio_on_page_one_says_which_way_is_which() -> None:
    """"Duration of breastfeeding … (adjusted hazard ratio): 0.78 (95% CI 0.59 to 1.02)": a
    hazard of weaning, so below 1 is longer breastfeeding, which a committee could not tell."""
    row = {"indicator": "bf_duration", "area": "all", "kind": "survival", "design": "concurrent",
           "verdict": "unclear", "reason": "interval_includes_null", "measure": "hazard_ratio",
           "estimate": 0.78,
           "ci_low": 0.59, "ci_high": 1.02, "p_value": 0.07, "caveats": "",
           "n_denominator_intervention": 200, "n_denominator_comparison": 280,
           "proportion_intervention": 0.67, "proportion_comparison": 0.62}
    sentence = narrative.indicator_sentence(row, "en").replace(NBSP, " ")
    assert "(adjusted hazard ratio; above 1: weaned earlier in the intervention group): 0.78" in sentence
    sv = narrative.indicator_sentence(row | {"indicator": "vacc_mmr1_age"}, "sv").replace(NBSP, " ")
    assert "(justerad hasardkvot; över 1: vaccinerade tidigare i interventionsgruppen): 0,78" in sv


def test_the_closing_rule_reads_a_ratio_against_1() -> None:
    """s13 (historical): page one gave hazard ratios "(95 % KI 1,25–2,29)" and then closed on
    "intervallet inte omfattar 0 (ingen skillnad)", whose no difference for a ratio is 1. A
    page of differences alone keeps its rule against 0; a ratio hidden says nothing of 1."""
    rows = pd.DataFrame([{"indicator": indicator, "area": "all", "primary": False, "kind": kind,
                          "design": "historical", "verdict": "unclear", "reason": "interval_includes_null",
                          "measure": measure, "estimate": estimate, "ci_low": low, "ci_high": high,
                          "n_denominator_intervention": 200, "n_denominator_comparison": 240,
                          "proportion_intervention": 0.9, "proportion_comparison": 0.85, "caveats": ""}
                         for indicator, kind, measure, estimate, low, high in (
                             ("vacc_mmr1_24m", "binary", "risk_difference", 0.05, -0.02, 0.12),
                             ("vacc_mmr1_age", "survival", "hazard_ratio", 1.69, 1.25, 2.29))])
    with_ratio = narrative.summary_markdown(rows, "sv")
    assert ("intervallet inte omfattar värdet för ingen skillnad (0 för skillnader, 1 för kvoter)"
            in with_ratio)
    assert "omfattar 0 (ingen skillnad)" not in with_ratio
    english = narrative.summary_markdown(rows, "en")
    assert "its interval excludes the value of no difference (0 for differences, 1 for ratios)" in english
    differences = narrative.summary_markdown(rows.iloc[:1], "en")
    assert "its interval excludes 0 (no difference)" in differences
    hidden_ratio = rows.copy()
    hidden_ratio.loc[1, ["estimate", "ci_low", "ci_high"]] = None
    assert "excludes 0 (no difference)" in narrative.summary_markdown(hidden_ratio, "en")
    # before against after in the same areas: higher or lower after the start than before, not
    # "with the programme", and not told from other changes even then (a review)
    assert ("A result is called higher or lower after the start than before only when" in english
            and "even then the difference cannot be told apart from other changes over the same time."
            in english and "with the programme" not in english)
    concurrent = narrative.summary_markdown(rows.assign(design="concurrent"), "en")
    assert "higher or lower with the programme" in concurrent and "even then" not in concurrent


def test_a_historical_summary_closes_on_the_families_before_and_after_the_start() -> None:
    """A historical study's page one closed on "differences between the families in the areas",
    where it compares the areas' own children born before and after the start."""
    rows = pd.DataFrame([{"indicator": "vacc_mmr1_24m", "area": "all", "primary": True, "kind": "binary",
                          "design": design, "verdict": "unclear", "reason": "interval_includes_null",
                          "measure": "risk_difference", "estimate": 0.05, "ci_low": -0.02, "ci_high": 0.12,
                          "n_denominator_intervention": 200, "n_denominator_comparison": 240,
                          "proportion_intervention": 0.9, "proportion_comparison": 0.85, "caveats": ""}
                         for design in ("historical", "concurrent")])
    historical = narrative.summary_markdown(rows.iloc[:1], "en", primary=["vacc_mmr1_24m"])
    assert historical.endswith("differences between the families with children born before and after the "
                               "start, even after adjustment.")
    concurrent = narrative.summary_markdown(rows.iloc[1:], "sv", primary=["vacc_mmr1_24m"])
    assert concurrent.endswith("att familjerna i områdena skiljer sig åt, även efter justering.")


def test_a_hidden_effect_still_says_the_shares_the_tables_publish() -> None:
    """"Language screening without remark: not shown …" while summary.csv published 52.9 % and
    over 80 %: where only the estimate is hidden, page one says what the tables show."""
    row = {"indicator": "lang_no_deviation", "area": "all", "kind": "binary", "design": "concurrent",
           "verdict": "suppressed", "reason": "few_without", "proportion_intervention": 9 / 17,
           "proportion_bound_comparison": ">0.8", "n_denominator_intervention": 17,
           "n_denominator_comparison": 28, "caveats": ""}
    sentence = narrative.indicator_sentence(row, "en").replace(NBSP, " ")
    assert sentence == ("Language screening without remark: 53% in the intervention group and over 80% in "
                        "the comparison group. The programme's estimated effect is not shown: fewer than 5 "
                        "children in at least one of the groups did not have the outcome."), sentence
    hidden = row | {"proportion_intervention": None, "proportion_bound_comparison": None}
    assert narrative.indicator_sentence(hidden, "sv").replace(NBSP, " ") == (
        "Språkscreening utan anmärkning redovisas inte: i minst en av grupperna var det färre än 5 barn som "
        "inte hade utfallet.")


def test_a_hidden_survival_effect_still_says_its_landmark_shares() -> None:
    """s32 (concurrent): "Duration of breastfeeding is not shown, so that no count under 5 can
    be worked out", while summary.csv published its shares still breastfed at 6 months (68 %
    and 68 %): a survival indicator whose hazard ratio alone is hidden says its shares too."""
    row = {"indicator": "bf_duration", "area": "all", "kind": "survival", "design": "concurrent",
           "verdict": "suppressed", "reason": "secondary", "measure": "hazard_ratio",
           "proportion_intervention": 167 / 246, "proportion_comparison": 0.680597,
           "n_denominator_intervention": 246, "n_denominator_comparison": 335, "caveats": ""}
    sentence = narrative.indicator_sentence(row, "en").replace(NBSP, " ")
    assert sentence.startswith("Duration of breastfeeding (share still breastfed at 6 months): 68% in the "
                               "intervention group and 68% in the comparison group. The programme's "
                               "estimated effect is not shown"), sentence
    hidden = row | {"proportion_intervention": None, "proportion_comparison": None}
    assert narrative.indicator_sentence(hidden, "en").startswith("Duration of breastfeeding is not shown")


def test_a_point_outside_its_limit_is_told_apart_from_the_limit() -> None:
    """"above the upper limit … (50%; the limit 50%)": 0.500 against 0.4966 needs a decimal."""
    assert narrative._apart(0.5, 0.4966, "en") == ("50.0%", "49.7%")
    assert narrative._apart(0.8864, 0.8883, "sv") == (f"88,6{NBSP}%", f"88,8{NBSP}%")
    assert narrative._apart(0.70, 0.52, "en") == ("70%", "52%")  # no decimal where none is needed


def test_a_hidden_headline_names_the_studys_own_min_cell() -> None:
    """A study with min_cell: 10 was told "fewer than 5 children …" on page one."""
    row = {"indicator": "lang_no_deviation", "area": "all", "kind": "binary", "design": "concurrent",
           "verdict": "suppressed", "reason": "few_without", "proportion_intervention": 9 / 17,
           "n_denominator_intervention": 17, "n_denominator_comparison": 28, "caveats": ""}
    assert "fewer than 10 children" in narrative.indicator_sentence(row, "en", min_cell=10)
    hidden = row | {"proportion_intervention": None}
    assert "färre än 10 barn" in narrative.indicator_sentence(hidden, "sv", min_cell=10)
    summary = pd.DataFrame([hidden | {"primary": True}])
    assert "färre än 10 barn" in narrative.summary_markdown(summary, "sv", min_cell=10)


def test_a_chart_without_centre_line_says_why_without_guessing_the_count() -> None:
    """A historical study's chart said its comparison share "rests on too few children with or
    without the outcome" of a group of 213 with 60 events, hidden only so that a total could
    not give a small count away."""
    chart = pd.DataFrame([{"indicator": "bf_any_12m", "area": "Norrbyåsen", "baseline": "area_before_start",
                           "period": "post", "quarter_start": "2021-01-01", "quarter_end": "2021-03-31",
                           "proportion": None, "centre": None, "suppression": "secondary"}])
    words = narrative.monitoring_markdown(chart, pd.DataFrame(), "en")
    assert ("Without centre line and limits, because the comparison group's share is not shown, to protect "
            "small counts: Any breastfeeding at 12 months.") in words
    assert "rests on too few" not in words


def test_few_children_in_one_group_only_are_said_of_that_group() -> None:
    """"only 17 in the intervention group and 186 in the comparison group": 186 is not few."""
    row = {"caveats": "few_children", "n_denominator_intervention": 17, "n_denominator_comparison": 186,
           "indicator": "lang_no_deviation"}
    assert narrative.caveat_sentences(row, "en") == [
        "It rests on few children in the intervention group: only 17 had been screened (186 in the "
        "comparison group)."]
    assert narrative.caveat_sentences(row | {"indicator": "bf_any_6m", "n_denominator_intervention": 300,
                                             "n_denominator_comparison": 24}, "sv") == [
        "Bygger på få barn i jämförelsegruppen: bara 24 hade hunnit bli gamla nog för måttet (300 i "
        "interventionsgruppen)."]
    both = narrative.caveat_sentences(row | {"n_denominator_comparison": 28}, "en")[0]
    assert both.startswith("It rests on few children: only 17 in the intervention group and 28")


def test_age_at_mmr_at_24_months_is_said_once_as_mmr_by_24_months() -> None:
    """s21: "MMR vid 24 månader: … 7 procentenheter (95 % KI 3–12); högre med programmet (Holm)"
    and, below, "Ålder vid MMR-vaccination (andel vaccinerade vid 24 månader): … 7
    procentenheter (95 % KI 3–12); kan bero på slumpen (Benjamini–Hochberg)": one estimate
    (0.07122, the same children) with two verdicts from its two families' corrections. The
    second line now names the first; with another estimate (a hazard ratio: the concurrent
    design) it keeps its own sentence."""
    rows = _one_area_rows(2, 8, ("interval_includes_null",) * 3)
    rows["area"], rows["caveats"] = "all", ""
    rows["ci_low"], rows["ci_high"], rows["p_adjusted"] = 0.027, 0.116, 0.023
    rows.loc[0, ["verdict", "reason", "multiplicity"]] = ["higher", "adjusted_p_below_alpha", "holm_primary"]
    age = rows.iloc[[0]].assign(indicator="vacc_mmr1_age", kind="survival", primary=False, p_adjusted=0.055,
                                verdict="unclear", reason="not_significant_after_correction",
                                multiplicity="bh_secondary")
    both = pd.concat([rows, age], ignore_index=True)
    text = narrative.summary_markdown(both, "sv")
    assert ("- Ålder vid MMR-vaccination (andel vaccinerade vid 24 månader): samma mått och samma skattning "
            "som MMR vid 24 månader ovan.") in text
    assert text.count("högre med programmet") == 1 and "kan bero på slumpen (justerat p = 0,055" not in text
    assert "the same measure and the same estimate as MMR at 24 months above." in narrative.summary_markdown(
        both, "en")
    # age at MMR primary, MMR by 24 months not: the primary one keeps its own sentence and verdict
    swapped = both.assign(primary=both["indicator"].eq("vacc_mmr1_age") | both["indicator"].isin(
        ["bf_any_6m", "lang_no_deviation"]))
    assert "samma mått" not in narrative.summary_markdown(swapped, "sv", primary=[
        "vacc_mmr1_age", "bf_any_6m", "lang_no_deviation"])
    both.loc[3, ["measure", "estimate"]] = ["hazard_ratio", 1.3]
    assert "samma mått" not in narrative.summary_markdown(both, "sv")


def test_a_did_without_its_randomisation_floor_is_judged_by_its_areas() -> None:
    """s5's language screening: one comparison area had no child screened after the start, so
    the randomisation test was not run and p_floor was empty, and the caveat read "very uncertain
    with only 10 areas" beside every other indicator's "uncertain: only 2 areas with the
    programme". Without the test's floor, the areas' own is one assignment in comb(10, 2) = 45:
    0.022, below 0.05; 2 of 4 areas give 1 in 6, above it."""
    from pipeline.stages.compare.tables import _did_caveats

    head = {"n_areas_intervention": 2, "n_areas_comparison": 8, "p_floor": float("nan"),
            "estimate": 0.06, "ci_low": -0.2, "ci_high": 0.35}
    assert _did_caveats(head) == ["few_treated_areas"]
    assert _did_caveats(head | {"n_areas_comparison": 2}) == ["very_few_areas"]
    assert _did_caveats(head | {"p_floor": 0.1}) == ["very_few_areas"]  # the test's own floor first


def test_few_children_of_a_measure_that_begins_with_a_birth_date_say_so() -> None:
    """s13 (historical): "only 35 were old enough for the measure" of rotavirus in the group born
    before the start, the oldest children; 35 of 159 count because rotavirus is measured only
    for children born from 1 September 2019."""
    row = {"indicator": "vacc_rota_complete", "n_denominator_intervention": 115,
           "n_denominator_comparison": 35, "caveats": "few_children"}
    assert narrative.caveat_sentences(row, "sv") == [
        f"Bygger på få barn i jämförelsegruppen: bara 35 var födda från 1{NBSP}september 2019, när måttet "
        "börjar gälla, och hade hunnit bli gamla nog för det (115 i interventionsgruppen)."]
    other = row | {"indicator": "vacc_mmr1_24m"}
    assert narrative.caveat_sentences(other, "en") == [
        "It rests on few children in the comparison group: only 35 were old enough for the measure "
        "(115 in the intervention group)."]


def test_a_list_of_names_that_hold_commas_is_set_apart_by_semicolons() -> None:
    names = ["pneumokockvaccin, 3 doser vid 24 månader", "MMR vid 24 månader", "karies"]
    assert narrative._listing(names, "sv") == (
        "pneumokockvaccin, 3 doser vid 24 månader; MMR vid 24 månader och karies")
    assert narrative._listing(["Norrbyåsen", "Söderängen", "Lövängen"], "en") == (
        "Norrbyåsen, Söderängen and Lövängen")
    # a decimal comma is no list's comma: "94,8 %; gränsen 95,0 %" stays one of a list by commas
    assert narrative._listing(["mars 2018 (94,8 %)", "maj 2019 (90,1 %)"], "sv") == (
        "mars 2018 (94,8 %) och maj 2019 (90,1 %)")


def test_the_methods_of_a_historical_study_and_the_children_a_missing_covariate_left_out() -> None:
    """A historical study's assumption named unmeasured confounding alone, not that nothing else
    changed between the periods, its first doubt without comparison areas; and "in this run that
    was 78 children" was one indicator's (the first primary's) number, where the others lost
    49 to 79 (a review of a 6,000-child historical study)."""
    summary = pd.DataFrame({
        "indicator": ["bf_any_6m", "vacc_mmr1_24m"], "area": "all", "primary": [True, True],
        "design": "historical", "n_intervention": [300, 318], "n_comparison": [560, 597],
        "n_denominator_intervention": [330, 342], "n_denominator_comparison": [608, 641]})
    dropped = narrative.dropped_for_covariates(summary)
    assert dropped == (330 + 608 - 300 - 560, "bf_any_6m")
    methods = narrative.methods_markdown({"design": {"type": "historical"}}, summary, pd.DataFrame(),
                                         "en", dropped_for_covariates=dropped)
    assert ("Comparing with the children born in the same areas before the start assumes that nothing "
            "else that affects the outcomes changed between the periods") in methods
    assert "(complete cases); for any breastfeeding at 6 months that was 78 children in this run" in methods
    assert "no unmeasured confounding" not in methods
    other = narrative.methods_markdown({"design": {"type": "concurrent"}}, summary, pd.DataFrame(), "en")
    assert "no unmeasured confounding" in other and "before the start assumes" not in other


def test_an_estimate_the_main_method_cannot_make_gives_the_weighting_checks_own() -> None:
    """Pneumococcal vaccine in a historical study: the adjusted model separated (education), and
    page one said the effect "could not be estimated with the study's design", where the
    weighting check (IPTW) gave 3.4 points (0.5 to 6.4) that the committee was not told."""
    row = {"indicator": "vacc_pcv3_24m", "area": "all", "primary": False, "design": "historical",
           "kind": "binary", "method": "regression", "measure": "risk_difference",
           "verdict": "not_estimable", "reason": "not_estimable",
           "reason_detail": "outcome model: complete or quasi-complete separation",
           "proportion_intervention": 0.95, "proportion_comparison": 0.92,
           "n_denominator_intervention": 342, "n_denominator_comparison": 641,
           "sensitivity_method": "iptw", "sensitivity_estimate": 0.0343,
           "sensitivity_ci_low": 0.0048, "sensitivity_ci_high": 0.0638}
    sentence = narrative.indicator_sentence(row, "en")
    assert "could not be estimated by the main method" in sentence
    assert "with the study's design" not in sentence
    assert sentence.replace("\xa0", " ").endswith(
        "could not be estimated by the main method (in some combination of background factors all "
        "children had the outcome, or none did, so the adjusted model has no estimate; the technical "
        "report gives the reason). Sensitivity analysis by weighting (IPTW): 3.4 percentage points "
        "(95% CI 0.5 to 6.4).")


def test_a_hidden_estimate_is_said_by_its_multiple_imputation_where_that_is_published() -> None:
    """A historical study's MMR estimate on complete cases was hidden (a few children left out for
    a missing covariate would come back from it), and page one said nothing of the effect of two
    of its three primary indicators, while effects.csv published the multiple imputation's 9.1
    points (4.8 to 13.4), which leaves no child out. Page one now says it, with no verdict; a
    hidden imputation, or none, adds nothing."""
    row = {"indicator": "vacc_mmr1_24m", "area": "all", "primary": True, "design": "historical",
           "kind": "binary", "method": "regression", "measure": "risk_difference",
           "verdict": "suppressed", "reason": "secondary",
           "proportion_intervention": 311 / 342, "proportion_comparison": 530 / 641,
           "n_denominator_intervention": 342, "n_denominator_comparison": 641}
    summary = pd.DataFrame([row])
    imputed = {"indicator": "vacc_mmr1_24m", "area": "all", "analysis": "multiple_imputation",
               "method": "regression", "measure": "risk_difference", "estimate": 0.091238,
               "ci_low": 0.048499, "ci_high": 0.133976}
    itt = imputed | {"analysis": "itt", "estimate": None, "ci_low": None, "ci_high": None}
    effects = pd.DataFrame([itt, imputed])
    page = narrative.summary_markdown(summary, "en", primary=["vacc_mmr1_24m"], effects=effects)
    assert ("A sensitivity analysis, which imputes missing background data so that every child counts, "
            "estimates the effect at 9 percentage points (95% CI 5 to 13); it is not tested against "
            "chance as the others are. As a comparison of children born after and before the start, it "
            "may also reflect other changes over the same time.") in page.replace("\xa0", " ")
    assert "larger than chance" not in page and "how the areas differed" not in page
    # under concurrent it compares areas, as the hidden estimate did: said (a review read −11 points
    # as the programme's where the truth was +5.5 and the areas' own difference −8)
    areas = summary.assign(design="concurrent", caveats="areas_not_clustered")
    said = narrative.summary_markdown(areas, "sv", primary=["vacc_mmr1_24m"], effects=effects)
    assert ("skattar effekten till 9 procentenheter (95 % KI 5–13); den prövas inte mot slumpen som "
            "de andra. Som jämförelse mellan områden kan den inte skilja programmets effekt från hur "
            "områdena skilde sig redan utan programmet.") in said.replace("\xa0", " ")
    hidden = effects.assign(estimate=None, ci_low=None, ci_high=None)
    for without in (hidden, None, effects.iloc[:1]):
        assert "sensitivity analysis" not in narrative.summary_markdown(
            summary, "en", primary=["vacc_mmr1_24m"], effects=without)
    shown = summary.assign(verdict="higher", reason="adjusted_p_below_alpha", estimate=0.08, ci_low=0.04,
                           ci_high=0.12, p_adjusted=0.001, multiplicity="holm_primary")
    assert "imputes" not in narrative.summary_markdown(shown, "en", primary=["vacc_mmr1_24m"],
                                                       effects=effects)


def test_a_concurrent_page_one_states_the_test_over_the_areas_in_its_rule() -> None:
    """Under concurrent a difference is called larger than chance only when the randomisation test
    over which areas had the programme also gives p < 0.05 (`_summary_row`); page one's rule named
    only the corrected p and the interval (a review): it names the test and its floor, 1/45 with
    2 of 10 areas."""
    row = {"indicator": "vacc_mmr1_24m", "area": "all", "primary": True, "design": "concurrent",
           "kind": "binary", "method": "regression", "measure": "risk_difference", "verdict": "unclear",
           "reason": "interval_includes_null", "estimate": 0.02, "ci_low": -0.01, "ci_high": 0.05,
           "proportion_intervention": 0.9, "proportion_comparison": 0.88, "n_denominator_intervention": 300,
           "n_denominator_comparison": 600, "p_floor": 1 / 45, "n_areas_intervention": 2,
           "n_areas_comparison": 8, "caveats": "areas_not_clustered"}
    page = narrative.summary_markdown(pd.DataFrame([row]), "en", primary=["vacc_mmr1_24m"])
    assert ("interval excludes 0 (no difference). Since the comparison sets areas against areas, a "
            "randomisation test of which areas had the programme must also give p below 0.05; with 2 of "
            "10 areas it can give no less than 0.022.") in page
    # a DiD's: that the test can reach 5 % after the correction (a review applied the rule as
    # printed to MMR, adjusted p 0.018 and interval 2-12, beside "so few areas cannot show it",
    # the test's floor being 0.067 after Holm's correction for 3 primary indicators)
    did = narrative.summary_markdown(pd.DataFrame([row | {"design": "did", "measure": "did"}]), "en",
                                     primary=["vacc_mmr1_24m"])
    assert ("With few areas, a randomisation test of which areas had the programme must also be able "
            "to give p below 0.05 after the correction; with 2 of 10 areas it gives no less than "
            "0.022.") in did
    primary = ["vacc_mmr1_24m", "bf_any_6m", "lang_no_deviation"]
    three = narrative.summary_markdown(pd.DataFrame(
        [row | {"design": "did", "measure": "did", "indicator": indicator} for indicator in primary]),
        "en", primary=primary)
    assert "no less than 0.022, and 0.067 after Holm's correction for 3 primary indicators." in three


@pytest.mark.parametrize("joint, placebo, said", [(0.02, 0.4, True), (0.2, 0.4, False),
                                                  (0.02, 0.01, False), (None, 0.4, False)])
def test_page_one_says_the_event_studys_joint_test_where_the_methods_urge_caution(joint, placebo,
                                                                                   said) -> None:
    """The methods said of MMR "a reason to read their estimates with caution" (the event study's
    joint test, p = 0.020); page one, the committee's page, said nothing (a review, twice). Said
    once: not beside the placebo test's own "doubtful"."""
    row = {"indicator": "vacc_mmr1_24m", "area": "all", "primary": True, "design": "did",
           "kind": "binary", "method": "did", "measure": "did", "verdict": "unclear",
           "reason": "interval_includes_null", "estimate": 0.02, "ci_low": -0.01, "ci_high": 0.05,
           "proportion_intervention": 0.9, "proportion_comparison": 0.88,
           "n_denominator_intervention": 300, "n_denominator_comparison": 600,
           "pretrend_p": placebo, "pretrend_joint_p": joint,
           "caveats": "pre_trends_differ" if placebo < 0.05 else ""}
    page = narrative.summary_markdown(pd.DataFrame([row]), "sv", primary=["vacc_mmr1_24m"])
    assert ("Eventstudiens gemensamma test av halvåren före start gav p\u00a0=\u00a00,020: andelen kan "
            "ha utvecklats olika redan före start, så läs skattningen med försiktighet (se "
            "metodavsnittet).") in page or not said
    assert ("Eventstudiens gemensamma test" in page) is said


def test_the_committees_methods_say_where_the_per_protocol_comparison_is() -> None:
    """The methods named a per-protocol comparison the committee report never shows (a review)."""
    summary = pd.DataFrame({"indicator": ["vacc_mmr1_24m"], "area": "all"})
    committee = narrative.methods_markdown({"design": {"type": "did"}}, summary, pd.DataFrame(), "sv")
    technical = narrative.methods_markdown({"design": {"type": "did"}}, summary, pd.DataFrame(), "sv",
                                           audience="technical")
    assert "(per protokoll); den jämförelsen kan påverkas av vilka familjer som tackar ja. Den " \
           "jämförelsen redovisas i den tekniska rapporten." in committee
    assert "tekniska rapporten" not in technical


def test_the_methods_say_all_covariates_were_equivalent_not_none_of_them_were_not() -> None:
    """It read "Före viktning var 0 av 10 bakgrundsfaktorer (nivåer) inte likvärdiga" (a review)."""
    summary = pd.DataFrame({"indicator": ["vacc_mmr1_24m"], "area": "all"})
    balance = pd.DataFrame({"rating_before": ["satisfied", "adjustment_required", "satisfied"]})
    methods = narrative.methods_markdown({"design": {"type": "concurrent"}}, summary, balance, "sv")
    assert ("Före viktning skilde sig ingen av 3 bakgrundsfaktorer (nivåer) mer än WWC/HomVEE godtar "
            "(alla |d| ≤ 0,25).") in methods
    balance.loc[0, "rating_before"] = "not_satisfied"
    methods = narrative.methods_markdown({"design": {"type": "concurrent"}}, summary, balance, "sv")
    assert "Före viktning var 1 av 3 bakgrundsfaktorer (nivåer) inte likvärdiga" in methods


@pytest.mark.parametrize(("size", "en", "sv"), [
    (1, "Benjamini–Hochberg correction across 1 secondary indicator",
     "Benjamini–Hochbergs korrektion över 1 sekundär indikator"),
    (19, "Benjamini–Hochberg correction across 19 secondary indicators",
     "Benjamini–Hochbergs korrektion över 19 sekundära indikatorer")])
def test_a_correction_family_of_one_is_said_in_the_singular(size, en, sv) -> None:
    """A pool with one secondary indicator estimated at two sites read "across 1 secondary
    indicators" (a review)."""
    assert narrative.correction_words("bh_secondary", size, "en") == en
    assert narrative.correction_words("bh_secondary", size, "sv") == sv
    assert narrative.correction_words("holm_primary", 1, "en") == "Holm's correction for 1 primary indicator"
