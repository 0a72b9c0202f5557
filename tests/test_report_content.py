"""Report content: number formats, generated sentences, display tables, figures and the notebook."""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from typing import Any

import matplotlib.colors
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.markers import TICKLEFT

from pipeline import figures, narrative, tables, text
from pipeline.config import Programme, load_preset
from pipeline.followup import area_selection, collaboration, conversations

NBSP = "\u00a0"
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "evaluation.ipynb"
def plain(value: str) -> str:
    """Swedish text with its no-break spaces as ordinary spaces, to compare with the SPEC."""
    return value.replace(NBSP, " ")


# --- numbers ----------------------------------------------------------------------------------

def test_percent_formats() -> None:
    assert text.format_percent(0.9412, "sv") == f"94{NBSP}%"
    assert text.format_percent(0.9412, "en") == "94%"
    assert text.format_percent(0.945, "en") == "95%"  # half away from zero, not to even
    assert text.format_percent(0.0925, "sv", 1) == f"9,3{NBSP}%"
    assert text.format_percent(None, "sv") == "–"
    # never 100 % for less than all, nor 0 % for more than none, where a decimal or two tell
    assert text.format_percent(9002 / 9009, "sv") == f"99,9{NBSP}%"  # 7 families without a visit
    assert text.format_percent(0.995, "en") == "99.5%" and text.format_percent(0.9949, "en") == "99%"
    assert text.format_percent(0.0004, "en") == "0.04%" and text.format_percent(1.0, "en") == "100%"
    assert text.format_percent(0.0, "sv") == f"0{NBSP}%"


def test_numbers_decimal_comma_thousands_and_minus() -> None:
    assert text.format_number(12345.67, "sv", 1) == f"12{NBSP}345,7"
    assert text.format_number(12345.67, "en", 1) == "12,345.7"
    assert text.format_number(-0.08 * 100, "sv") == "−8"
    assert text.format_number(-0.004, "sv", 2) == "0,00"  # no "−0"
    assert text.format_p(0.0221, "sv") == "0,022"
    assert text.format_p(0.00001, "en") == "<0.001"
    assert text.format_p(0.25, "sv") == "0,25"
    # what follows "p" in a sentence: "p < 0,001", never "p = <0,001"
    assert text.p_stated(text.format_p(0.00001, "sv")) == f"p{NBSP}<{NBSP}0,001"
    assert text.p_stated(text.format_p(0.0221, "sv")) == f"p{NBSP}={NBSP}0,022"


# --- sentences (the summary's own are in tests/test_summary.py) --------------------------------

INTERVENTION = {"indicator": "vacc_mmr1_24m", "group": "intervention", "area": "all", "n_denominator": 150,
                "n_numerator": 141, "proportion": 0.94, "ci_low": 0.89, "ci_high": 0.97, "suppressed": False}
COMPARISON = {"indicator": "vacc_mmr1_24m", "group": "comparison", "area": "all", "n_denominator": 150,
              "n_numerator": 129, "proportion": 0.86, "ci_low": 0.79, "ci_high": 0.91, "suppressed": False}
EFFECT = {"indicator": "vacc_mmr1_24m", "measure": "risk_difference", "method": "crude", "estimate": 0.08,
          "ci_low": 0.02, "ci_high": 0.14, "p_value": 0.01, "n_intervention": 150, "n_comparison": 150,
          "analysis": "itt", "subgroup": None}


def test_spec_example_sentence_in_swedish_and_english() -> None:
    """SPEC §8's example: observed shares as what was seen, then the design's estimate."""
    row = {"indicator": "vacc_mmr1_24m", "area": "all", "kind": "binary", "design": "concurrent",
           "method": "regression", "measure": "risk_difference", "estimate": 0.05, "ci_low": -0.01,
           "ci_high": 0.11, "p_value": 0.11, "p_adjusted": 0.2, "multiplicity": "holm_primary",
           "verdict": "unclear", "reason": "interval_includes_null", "caveats": "",
           "proportion_intervention": 0.94, "proportion_comparison": 0.86}
    sv = plain(narrative.indicator_sentence(row, "sv"))
    assert sv == ("MMR vid 24 månader: 94 % i interventionsgruppen och 86 % i jämförelsegruppen. "
                  "Skattad effekt av programmet (justerad för skillnader i bakgrund): 5 procentenheter "
                  "(95 % KI −1 till 11); kan bero på slumpen (intervallet omfattar 0).")
    en = plain(narrative.indicator_sentence(row, "en"))
    assert en == ("MMR at 24 months: 94% in the intervention group and 86% in the comparison group. "
                  "Estimated effect of the programme (adjusted for differences in background): 5 "
                  "percentage points (95% CI −1 to 11); could be due to chance (the interval includes 0).")
    assert "94\u00a0%" in narrative.indicator_sentence(row, "sv")  # "94" and "%" on one line
    bounded = narrative.indicator_sentence({**row, "proportion_comparison": None,
                                            "n_denominator_comparison": 134,
                                            "proportion_bound_comparison": ">0.95"}, "sv")
    assert "över 95\u00a0% i jämförelsegruppen" in bounded


def test_display_tables_show_suppressed_counts() -> None:
    hidden = {**COMPARISON, "n_numerator": "<5", "proportion": None, "ci_low": None, "ci_high": None,
              "suppressed": True}
    frame = tables.indicator_table(pd.DataFrame([INTERVENTION, hidden]), "sv")
    assert list(frame.columns) == ["Indikator", "Grupp", f"Andel (95{NBSP}% KI)", "Antal med utfallet",
                                   "Antal barn"]
    assert frame.iloc[0, 2] == f"94{NBSP}% (89–97)"
    assert frame.iloc[1, 2] == "undertryckt (små tal)" and frame.iloc[1, 3] == "<5"
    blanked = {"estimate": None, "ci_low": None, "ci_high": None}  # as publishing leaves them
    adjusted = {**EFFECT, "method": "regression", "events_intervention": "<5", "suppressed": True}
    effects = tables.effects_table(pd.DataFrame([
        {**EFFECT, "events_intervention": "<5", "suppressed": True, **blanked},
        {**EFFECT, "method": "regression", "estimate": None}, adjusted]), "en")
    # an adjusted estimate that publishing kept stands beside its row's hidden counts
    assert effects["Estimate (95% CI)"].tolist() == ["suppressed (small numbers)", "could not be estimated",
                                                     "8.0 (2.0 to 14.0)"]
    flow_rows = pd.DataFrame({"area": ["all"] * 2, "order": [1, 2], "step": ["eligible", "accepted"],
                              "children": ["12", "<5"], "share_of_previous": [None, None]})
    flow = tables.flow_table(flow_rows, "sv")
    assert flow["Barn"].tolist() == ["12", "<5"]
    # a step hidden to protect another's small count says so (a review read "Minst ett
    # programbesök – –", no number and no reason)
    hidden = pd.DataFrame({"area": ["all"] * 2, "order": [4, 5], "step": ["accepted", "at_least_one_contact"],
                           "children": [550, None], "share_of_previous": [None, None],
                           "suppressed": [False, True], "suppression": [None, "secondary"]})
    assert tables.flow_table(hidden, "sv")["Barn"].tolist() == ["550", "dold för att skydda små tal"]


def test_records_are_python_values_with_none_for_missing() -> None:
    frame = pd.DataFrame({"n": [12, 7], "share": [0.5, float("nan")], "flag": [True, False],
                          "count": pd.Series(["<5", None], dtype="str")})
    rows = tables.records(frame)
    assert rows == [{"n": 12, "share": 0.5, "flag": True, "count": "<5"},
                    {"n": 7, "share": None, "flag": False, "count": None}]
    assert [type(v) for v in rows[0].values()] == [int, float, bool, str]  # not numpy scalars
    assert tables.records(frame.astype(object)) == rows
    assert tables.records(frame.iloc[:0]) == [] and tables.records(None) == []


def test_suppression_says_what_is_small() -> None:
    """A group of 134 with 3 children without the outcome is never "fewer than 5 children"."""
    assert text.suppressed_sentence("vacc_mmr1_24m", "sv", reason="few_without") == (
        "MMR vid 24 månader redovisas inte: i minst en av grupperna var det färre än 5 barn som inte hade "
        "utfallet.")
    assert text.suppressed_sentence("vacc_mmr1_24m", "en", reason="few_events") == (
        "MMR at 24 months is not shown: fewer than 5 children in at least one of the groups had the outcome.")
    assert text.suppressed_sentence("vacc_mmr1_24m", "en", reason="secondary") == (
        "MMR at 24 months is not shown, so that no count under 5 can be worked out.")
    assert "färre än 5 barn" in text.suppressed_sentence("vacc_mmr1_24m", "sv", reason="small_group")
    for language in text.LANGUAGES:
        for reason in ("", None, "few_events", "few_without", "small_count", "secondary", "unknown"):
            for short in (False, True):
                words = text.suppression_phrase(reason, language, 5, short=short)
                assert words and "{" not in words
                if reason != "small_group":  # no claim that a group has fewer than 5 children
                    assert not re.search(r"(fewer than 5 children|färre än 5 barn)\)?$", words), words


def test_bounds_are_shown_as_percentages() -> None:
    assert text.format_bound(">0.95", "sv") == f">{NBSP}95{NBSP}%"
    assert text.format_bound("<0.05", "en") == "<5%"
    assert text.format_bound(">0.95", "sv", words=True) == f"över 95{NBSP}%"
    assert text.format_bound("<0.01", "en", words=True) == "under 1%"
    assert text.format_bound("", "sv") == "" and text.format_bound(None, "en") == ""


def test_indicator_table_shows_a_bound_and_why_a_share_is_hidden() -> None:
    bounded = {**INTERVENTION, "n_denominator": 134, "n_numerator": None, "proportion": None, "ci_low": None,
               "ci_high": None, "suppressed": True, "suppression": "few_without", "proportion_bound": ">0.95"}
    protecting = {**COMPARISON, "n_numerator": None, "proportion": None, "ci_low": None, "ci_high": None,
                  "suppressed": True, "suppression": "secondary", "proportion_bound": ""}
    frame = tables.indicator_table(pd.DataFrame([bounded, protecting]), "sv")
    assert frame.iloc[0, 2:].tolist() == [f">{NBSP}95{NBSP}%", "–", "134"]  # no interval, no point
    assert frame.iloc[1, 2] == "dold för att skydda små tal"
    english = tables.indicator_table(pd.DataFrame([{**protecting, "suppression": "few_without"}]), "en")
    assert english.iloc[0, 2] == "fewer than 5 without the outcome"


BALANCE = pd.DataFrame([
    {"area": "all", "covariate": "mother_region", "level": "europe", "measure": "cox_index",
     "value_before": 0.301, "value_after": 0.04, "smd_before": 0.22, "smd_after": 0.03,
     "rating_before": "not_satisfied", "rating_after": "satisfied", "n_intervention": 70, "n_comparison": 75,
     "suppressed": False, "suppression": ""},
    {"area": "all", "covariate": "mother_age", "level": None, "measure": "hedges_g",
     "value_before": -0.148, "value_after": -0.153, "smd_before": -0.149, "smd_after": -0.154,
     "rating_before": "adjustment_required", "rating_after": "adjustment_required", "n_intervention": 68,
     "n_comparison": 75, "suppressed": False, "suppression": ""},
    {"area": "North", "covariate": "mother_age", "level": None, "measure": "hedges_g",
     "value_before": 0.5, "value_after": 0.1, "smd_before": 0.5, "smd_after": 0.1,
     "rating_before": "not_satisfied", "rating_after": "adjustment_required", "n_intervention": 30,
     "n_comparison": 75, "suppressed": False, "suppression": ""},
])


def test_table_one_never_shows_two_ratings_beside_one_rounded_number() -> None:
    """0.0476 is satisfied (|d| <= 0.05) and −0.0543 needs adjustment: a review read both as
    0,05 beside different ratings; they get the decimals that tell them apart."""
    balance = BALANCE.iloc[[0, 0]].assign(area="all", value_before=[0.0476, -0.0543],
                                           rating_before=["satisfied", "adjustment_required"])
    table = tables.table_one(balance, "sv")
    assert table.iloc[:, 2].tolist() == ["0,048", "−0,054"]
    assert table.iloc[:, 4].str.split(" ").str[0].tolist() == ["Likvärdiga", "Kräver"]


def test_table_one_shows_the_number_that_is_rated() -> None:
    table = tables.table_one(BALANCE, "sv")
    assert list(table.columns) == ["Bakgrundsfaktor", "Nivå", "Cox-index/Hedges g före viktning",
                                   "Cox-index/Hedges g efter viktning", "Bedömning före viktning",
                                   "Bedömning efter viktning"]
    assert table.iloc[:, 2].tolist() == ["0,30", "−0,15"]  # value_before, not Austin's 0,22
    assert table.iloc[0, 4].startswith("Ej likvärdiga")
    technical = tables.table_one(BALANCE, "en", audience="technical", area="North")
    assert technical.columns[2] == "Cox index/Hedges' g before weighting"
    assert technical.columns[-2] == "Austin's standardised difference before weighting"
    assert technical.iloc[:, 2].tolist() == ["0.50"]
    assert tables.balance_counts(BALANCE) == (70, 75)
    # weights that could not be estimated leave nothing to rate after weighting: said in words
    unweighted = BALANCE.iloc[[0]].assign(value_after=None, smd_after=None, rating_after="not_estimable")
    assert tables.table_one(unweighted, "sv").iloc[0, [3, 5]].tolist() == ["–", "Kunde inte bedömas"]
    assert tables.table_one(unweighted, "en").iloc[0, 5] == "Could not be rated"
    for language, names in (("sv", ("Cox-index", "Hedges g")), ("en", ("Cox index", "Hedges' g"))):
        intro = text.phrase("balance_intro", language, n_intervention="70", n_comparison="75")
        assert all(name in intro for name in names), language


def test_proportions_figure_draws_a_bound_as_an_arrow() -> None:
    rows = pd.DataFrame([{**INTERVENTION, "n_numerator": None, "proportion": None, "ci_low": None,
                          "ci_high": None, "suppressed": True, "suppression": "few_without",
                          "proportion_bound": ">0.95"}, COMPARISON])
    figure = figures.proportions_figure(rows, ["vacc_mmr1_24m"], "en")
    ax = figure.axes[0]
    arrows = [child for child in ax.texts if child.get_gid() == "intervention_bound"]
    assert len(arrows) == 1 and arrows[0].xy[0] == 100 and arrows[0].xyann[0] == 95
    assert "Intervention: >95%" in _all_text(figure)
    assert "intervention" not in [line.get_gid() for line in ax.get_lines()]  # no point, no interval
    assert "comparison" in [line.get_gid() for line in ax.get_lines()]


def test_the_legend_names_a_group_shown_only_by_its_bound_or_small_count_note() -> None:
    """Söderängen's language figure: the comparison group's shares were all bounds or small
    counts, so no point of it was drawn and its legend named the intervention group alone,
    though the orange arrows and notes were the comparison group's."""
    bound = {"n_numerator": None, "proportion": None, "ci_low": None, "ci_high": None, "suppressed": True,
             "suppression": "few_without", "proportion_bound": ">0.8"}
    rows = pd.DataFrame([INTERVENTION, {**COMPARISON, **bound}])
    for groups in (("intervention", "comparison"), ("comparison", "intervention")):
        rows = rows.iloc[::-1]  # the legend keeps the order of `groups`, not of the rows
        figure = figures.proportions_figure(rows, ["vacc_mmr1_24m"], "en", groups=groups)
        legend = figure.axes[0].get_legend()
        assert [t.get_text() for t in legend.get_texts()] == [
            {"intervention": "Intervention", "comparison": "Comparison"}[g] for g in groups]
        colours = [matplotlib.colors.to_hex(h.get_color()) for h in legend.legend_handles]
        assert colours == [figures.GROUP_STYLES[g]["color"] for g in groups]
    # a group with no row at all is not named
    figure = figures.proportions_figure(pd.DataFrame([INTERVENTION]), ["vacc_mmr1_24m"], "en")
    assert [t.get_text() for t in figure.axes[0].get_legend().get_texts()] == ["Intervention"]


def test_methods_appendix_names_every_method_with_its_reference() -> None:
    for language in text.LANGUAGES:
        references = " ".join(tables.methods_table(language).iloc[:, 1])
        for reference in ("Wilson 1927", "Newcombe 1998", "Austin & Stuart 2015",
                          "Cameron, Gelbach & Miller 2008", "Webb 2023", "Roodman", "Greenwood", "Efron",
                          "Grambsch & Therneau", "Turnbull", "Holm 1979",
                          "Benjamini & Hochberg 1995", "HomVEE", "Fleiss"):
            assert reference in references, (language, reference)


def test_methods_appendix_adds_the_methods_of_the_sections_a_run_has() -> None:
    costs = pd.DataFrame({"part": ["total"], "cost_sek": [1.0]})
    part_tables = {t.name: pd.DataFrame({"x": [1]}) for t in collaboration.OUTPUTS}
    plain = tables.RunTables(Path("."), {}, {})
    full = tables.RunTables(Path("."), {"costs": costs, **part_tables}, {},
                            written=frozenset({"costs", *part_tables}))
    for language in text.LANGUAGES:
        before = " ".join(tables.methods_table(language, plain).iloc[:, 1])
        after = " ".join(tables.methods_table(language, full).iloc[:, 1])
        assert before == " ".join(tables.methods_table(language).iloc[:, 1])
        for reference in ("Fieller 1954", "Welch 1947"):
            assert reference not in before and reference in after, (language, reference)
        for part in (conversations, area_selection):  # no tables of theirs: not in the appendix
            assert part.METHODS[0][1].in_(language) not in after


def test_the_run_stages_table_leaves_out_the_did_tables_another_design_does_not_make() -> None:
    rows = {"effects": 635, "did_cells": 0, "did_areas": 0, "event_study": 0, "changes": 0}

    def compare_rows(design: str, language: str) -> str:
        manifest = {"config": {"design": {"type": design}},
                    "stages": [{"stage": "compare", "rows": rows}]}
        return tables.manifest_tables(manifest, language)["stages"].iloc[0, 1]

    assert compare_rows("concurrent", "en") == "635 effect rows, 0 changes"
    assert compare_rows("historical", "sv") == "635 effektrader, 0 ändringar"
    # under did an empty DiD table is news (every row hidden, say): it is shown
    assert compare_rows("did", "en") == ("635 effect rows, 0 area × period cells, 0 DiDs by area, "
                                         "0 event-study coefficients, 0 changes")

def test_an_interaction_p_is_given_only_beside_two_subgroup_differences_or_more() -> None:
    def row(subgroup: str, estimate: float | None, p_interaction: float) -> dict[str, Any]:
        return {"indicator": "vacc_mmr1_24m", "analysis": "subgroup", "measure": "risk_difference",
                "method": "crude", "area": "all", "subgroup": subgroup, "estimate": estimate,
                "ci_low": None if estimate is None else estimate - 0.05,
                "ci_high": None if estimate is None else estimate + 0.05, "p_value": 0.2,
                "p_interaction": p_interaction, "n_intervention": 60, "n_comparison": 70}

    effects = pd.DataFrame([
        # region: one difference shown of three (the others hidden): its test compares nothing seen
        row("mother_region=europe", None, 0.0004), row("mother_region=outside_europe", 0.10, 0.0004),
        row("mother_region=sweden_nordic", None, 0.0004),
        # education: two of three shown: the test is given
        row("parent_education=compulsory", 0.16, 0.037), row("parent_education=post_secondary", None, 0.037),
        row("parent_education=upper_secondary", 0.12, 0.037)])
    table = tables.subgroup_table(effects, "en")
    assert table.iloc[:, 4].tolist() == ["–", "–", "–", "0.037", "0.037", "0.037"]
    for language in text.LANGUAGES:
        for design in ("", "_did", "_historical"):
            assert ("no interaction p is given" if language == "en" else "anges inget p för interaktion") in \
                text.phrase(f"equity_intro{design}", language)

def test_a_wide_tables_long_header_words_break_at_their_syllables() -> None:
    columns = ["Indicator", "Subgroup", "Estimate", "p", "p for interaction", "n intervention"]
    narrow = tables.html(pd.DataFrame([["a"] * 6], columns=columns))
    wide = tables.html(pd.DataFrame([["a"] * 7], columns=[*columns, "n jämförelsegruppen"]))
    assert "\u00ad" not in narrow  # six columns fit the page with whole words
    assert "<th>n inter\u00adven\u00adtion</th>" in wide
    assert "<th>n jäm\u00adför\u00adelse\u00adgrup\u00adpen</th>" in wide
    assert "<td>a</td>" in wide and "\u00ad" not in wide.split("</thead>")[1]  # cells as they are


# --- on a small synthetic study ---------------------------------------------------------------

@pytest.fixture(scope="module")
def run_folder(small_study) -> Path:
    """The outputs folder of the session's 600-child synthetic study (conftest.py)."""
    root, _, _ = small_study
    return root / "outputs" / "small"


@pytest.fixture(scope="module")
def run(run_folder: Path) -> tables.RunTables:
    return tables.load_run(run_folder)


def _labelled(figure: Figure) -> None:
    assert isinstance(figure, Figure)
    main_axes = figure.axes[0]
    assert any(ax.get_xlabel() for ax in figure.axes)  # panels one above another: the lowest's
    assert main_axes.get_ylabel() or main_axes.get_yticklabels() or main_axes.texts
    assert figure.to_png()[:4] == b"\x89PNG"


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_figure_on_a_small_study(run: tables.RunTables, language: str) -> None:
    binary = tables.indicators_by_family(run, "binary")
    # the synthetic study gives the healthcare and dental exports too
    assert set(binary) == {"breastfeeding", "vaccination", "language", "healthcare", "dental"}
    assert tables.count_indicators_by_family(run) == {"healthcare": ["care_emergency_rate_24m"],
                                                      "dental": ["dental_deft_3y"]}
    made = [
        figures.proportions_figure(run["indicators"], binary["vaccination"], language),
        figures.survival_figure(run["survival"], "vacc_mmr1_age", language),
        figures.survival_figure(run["survival"], "bf_duration", language),
        figures.forest_figure(run["effects"], language, indicators_shown=binary["breastfeeding"]),
        figures.forest_figure(run["effects"], language, measures=("hazard_ratio",), methods=("crude", "cox")),
        figures.flow_figure(run["flow"], language),
        figures.dose_response_figure(run["dose_response"], ["bf_any_6m", "vacc_mmr1_24m"], language),
        figures.forest_figure(run["count_effects"], language, indicators_shown=["care_emergency_rate_24m"],
                              measures=("rate_ratio",), methods=("did", "poisson", "poisson_adjusted")),
    ]
    for figure in made:
        _labelled(figure)
    km = made[1].axes[0]
    assert km.get_xlabel() == text.label("axis", "age_months", language)
    assert km.get_ylabel() == text.label("axis", "share_vaccinated", language)
    assert {line.get_label() for line in km.get_lines()} >= {text.label("group", "intervention", language),
                                                             text.label("group", "comparison", language)}
    at_risk = [t.get_text() for t in made[1].axes[1].texts]
    assert at_risk, "numbers at risk are drawn under the curves"
    assert made[0].axes[0].get_xlabel().endswith("(%)")


def test_forest_rows_are_labelled_beside_the_axes(run: tables.RunTables) -> None:
    """The forest's rows are labelled by texts, not ticks: the indicator's heading in bold at the
    top, then a method per row, each ending left of the axes, one tick mark per row."""
    methods = ("did", "poisson", "poisson_adjusted")
    figure = figures.forest_figure(run["count_effects"], "sv", indicators_shown=["care_emergency_rate_24m"],
                                   measures=("rate_ratio",), methods=methods)
    ax = figure.axes[0]
    rows = sorted((t for t in ax.texts if t.get_horizontalalignment() == "right"),
                  key=lambda t: -t.get_position()[1])
    shown = [t.get_text().replace("\n", " ") for t in rows]  # labels are wrapped at 40 characters
    assert shown[0] == text.label("indicator", "care_emergency_rate_24m", "sv")
    assert [t.get_fontweight() for t in rows] == ["bold"] + ["normal"] * (len(rows) - 1)
    assert set(shown[1:]) <= {text.label("method", m, "sv") for m in methods}
    assert len(rows) > 1
    assert [t.get_position()[1] for t in rows] == list(range(len(rows) - 1, -1, -1))
    assert len(ax.get_yticks()) == 0
    marks = [line for line in ax.get_lines() if line.get_marker() == TICKLEFT]
    assert len(marks) == 1 and list(marks[0].get_ydata()) == list(range(len(rows) - 1, -1, -1))
    figure.canvas.draw()
    left = ax.get_window_extent().x0
    assert all(t.get_window_extent().x1 < left for t in rows)


def test_a_hidden_effect_in_the_forest_says_why_as_the_effects_table_does(run: tables.RunTables) -> None:
    effects = run["effects"].astype(object)
    effects = effects[~(effects["indicator"].eq("bf_any_6m") & effects["area"].ne("all"))]
    rows = effects["indicator"].eq("bf_any_6m") & effects["measure"].eq("did") & effects["analysis"].eq("itt")
    did, unadjusted = rows & (effects["method"] == "did"), rows & (effects["method"] == "did_unadjusted")
    assert did.sum() == 1 and unadjusted.sum() == 1
    effects.loc[did | unadjusted, ["estimate", "ci_low", "ci_high", "suppressed"]] = [None, None, None, True]
    effects.loc[did, ["suppression", "events_intervention"]] = ["secondary", 12]
    effects.loc[unadjusted, ["suppression", "events_intervention"]] = ["few_events", "<5"]
    figure = figures.forest_figure(effects, "sv", indicators_shown=["bf_any_6m"],
                                   methods=("did", "did_unadjusted"))
    said = [t.get_text() for t in figure.axes[0].texts if t.get_gid() == figures.SUPPRESSED_GID]
    assert said == ["dold för att skydda små tal", "färre än 5 med utfallet"]
    shown = tables.effects_table(effects, "sv", indicators_shown=["bf_any_6m"], measures=("did",),
                                 methods=("did", "did_unadjusted"))
    assert all(any(words in str(cell) for cell in shown.to_numpy().ravel()) for words in said)


def test_an_adjusted_estimates_reason_says_it_is_among_its_own_children(run: tables.RunTables) -> None:
    """A review: an adjusted caries estimate said "fewer than 5 with the outcome" under a table
    showing 5 of 24; its own 19 children (those with complete background data) had fewer. And a
    forest whose every row is hidden drew an axis reading "0,0 0,0 0 0,0 0,0"."""
    effects = run["effects"].astype(object)
    effects = effects[~(effects["indicator"].eq("bf_any_6m") & effects["area"].ne("all"))]
    rows = effects["indicator"].eq("bf_any_6m") & effects["measure"].eq("did") & effects["analysis"].eq("itt")
    did, unadjusted = rows & (effects["method"] == "did"), rows & (effects["method"] == "did_unadjusted")
    effects.loc[did | unadjusted, ["estimate", "ci_low", "ci_high", "suppressed", "suppression"]] = [
        None, None, None, True, "few_events"]
    effects.loc[did | unadjusted, "events_intervention"] = "<5"
    shown = tables.effects_table(effects, "en", indicators_shown=["bf_any_6m"], measures=("did",),
                                 methods=("did", "did_unadjusted"))
    cells = [str(cell) for cell in shown.to_numpy().ravel()]
    assert "fewer than 5 with the outcome among the children with complete background data" in cells
    assert "fewer than 5 with the outcome" in cells  # the unadjusted estimate's: every child's
    figure = figures.forest_figure(effects, "sv", indicators_shown=["bf_any_6m"],
                                   methods=("did", "did_unadjusted"))
    assert list(figure.axes[0].get_xticks()) == []  # nothing drawn: no scale
    shown_figure = figures.forest_figure(run["effects"], "sv", indicators_shown=["bf_any_6m"],
                                         methods=("did", "did_unadjusted"))
    assert len(shown_figure.axes[0].get_xticks()) >= 3


@pytest.mark.parametrize(("design", "randomisation"), [("historical", False), ("did", True),
                                                       ("concurrent", True)])
def test_the_count_sections_name_a_randomisation_test_only_where_the_summary_has_one(design,
                                                                                    randomisation) -> None:
    """A historical study's summary has no randomisation test; its count sections said they were
    "not tested with any randomisation test" as the summary's indicators were (a review)."""
    for language, word in (("sv", "randomiseringstest"), ("en", "randomisation test")):
        said = narrative.count_not_tested(design, language)
        assert (word in said) is randomisation
        assert "0,05" in said or "0.05" in said

def test_dose_response_has_a_panel_per_indicator_on_its_own_bands() -> None:
    """Breastfeeding at 6 months is banded 0, 1, 2, 3+ and MMR at 24 months 0, 1-2, 3-4, 5+: each
    indicator gets its own panel and bands, its shown shares drawn where they are and its
    hidden or empty bands saying why, in the table's words."""
    columns = ["indicator", "contacts_band", "n", "events", "proportion", "ci_low", "ci_high", "suppressed",
               "suppression"]
    dose = pd.DataFrame([
        ["bf_any_6m", "0", 0, 0, None, None, None, False, None],
        ["bf_any_6m", "1", 12, None, None, None, None, True, "few_without"],
        ["bf_any_6m", "2", 30, 15, 0.5, 0.32, 0.68, False, None],
        ["vacc_mmr1_24m", "0", 0, 0, None, None, None, False, None],
        ["vacc_mmr1_24m", "1-2", 7, 7, 1.0, 0.65, 1.0, False, None],
        ["vacc_mmr1_24m", "3-4", "<5", "<5", None, None, None, True, "small_group"],
        ["vacc_mmr1_24m", "5+", 40, 30, 0.75, 0.6, 0.86, False, None],
    ], columns=columns).astype(object)
    figure = figures.dose_response_figure(dose, ["bf_any_6m", "vacc_mmr1_24m"], "sv")
    first, second = figure.axes
    assert first.get_title(loc="left") == "Amning (hel eller delvis) vid 6 månader"
    assert second.get_title(loc="left") == "MMR vid 24 månader"
    assert [t.get_text() for t in first.get_xticklabels()] == ["0", "1", "2"]
    assert [t.get_text() for t in second.get_xticklabels()] == ["0", "1–2", "3–4", "5+"]

    def notes(ax: Any) -> dict[float, str]:
        return {t.get_position()[0]: t.get_text() for t in ax.texts}

    def points(ax: Any) -> list[tuple[float, float]]:
        return [(x, y) for line in ax.get_lines() if line.get_marker() == "o"
                for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)]

    assert notes(first) == {0: "inga barn", 1: "färre än 5 utan utfallet"}
    assert notes(second) == {0: "inga barn", 2: "färre än 5 barn"}
    assert points(first) == [(2, 50.0)] and points(second) == [(1, 100.0), (3, 75.0)]


def test_a_trend_line_breaks_where_a_half_year_is_hidden_or_missing() -> None:
    """The intervention areas' MMR by half-year: 50 %, hidden, 70 %, no row, 60 %. The line is
    drawn 50, gap, 70, gap, 60, never across a gap; each point, alone between gaps, keeps its
    interval as a bar."""
    columns = ["indicator", "arm", "half_year_start", "n", "events", "proportion", "ci_low", "ci_high",
               "suppressed", "suppression"]
    trends = pd.DataFrame([
        ["vacc_mmr1_24m", "intervention", "2019-03-01", 20, 10, 0.5, 0.3, 0.7, False, None],
        ["vacc_mmr1_24m", "intervention", "2019-09-01", 20, None, None, None, None, True, "few_without"],
        ["vacc_mmr1_24m", "intervention", "2020-03-01", 20, 14, 0.7, 0.48, 0.85, False, None],
        ["vacc_mmr1_24m", "intervention", "2021-03-01", 20, 12, 0.6, 0.39, 0.78, False, None],
    ], columns=columns).astype(object)
    figure = figures.trends_figure(trends, ["vacc_mmr1_24m"], "sv", programme_start="2020-09-01")
    ax = figure.axes[0]
    (line,) = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert np.array_equal(line.get_ydata(), [50, np.nan, 70, np.nan, 60], equal_nan=True)
    bars = [c for c in ax.collections if isinstance(c, LineCollection)]
    lone = sorted(tuple(np.round(segment[:, 1], 6)) for bar in bars for segment in bar.get_segments())
    assert lone == [(30.0, 70.0), (39.0, 78.0), (48.0, 85.0)]
    assert "1 halvår utan punkt" in " ".join(t.get_text() for t in ax.texts)


def test_a_funnel_of_one_area_without_limits_is_drawn_on_whole_children_and_shares() -> None:
    """Every area but one hidden, so no limits: the one area (5 children, all screened) is drawn
    on an axis of whole children from 0 and on the whole share scale, never "4,9" children or
    "102 %"."""
    columns = ["indicator", "area", "arm", "children", "events", "proportion", "target", "classification",
               "suppressed", "suppression"]
    funnel = pd.DataFrame([
        ["lang_screened", "Lövängen", "comparison", 5, 5, 1.0, None, None, False, None],
        ["lang_screened", "Norrbyåsen", "intervention", 12, None, None, None, None, True, "secondary"],
        ["lang_screened", "Söderängen", "intervention", 8, "<5", None, None, None, True, "few_events"],
    ], columns=columns).astype(object)
    figure = figures.funnel_figure(funnel, ["lang_screened"], "sv")
    ax = figure.axes[0]
    figure.canvas.draw()
    assert ax.get_xlim()[0] == 0 and ax.get_xlim()[1] > 5
    assert all(float(tick).is_integer() for tick in ax.get_xticks())
    assert ax.get_ylim() == (-2, 103)
    shown = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert shown[0] == "0" and shown[-1] == "100"
    assert "2 områden visas inte" in " ".join(t.get_text() for t in ax.texts)


def test_numbers_at_risk_are_the_published_times_nearest_each_mark() -> None:
    """A curve published at 0, 75, 120, 195 and 300 days (the rows between left out): every 90
    days the number at risk of the nearest published time within 45 days, written at that
    time: 0 -> 0, 90 -> 75, 180 -> 195, 270 -> 300; never a gap for want of a row on the mark."""
    rows = [(0, 1.0, 40), (75, 0.9, 36), (120, 0.8, 30), (195, 0.7, 25), (300, 0.6, 20)]
    survival = pd.DataFrame([
        {"indicator": "bf_duration", "group": group, "statistic": "km_point", "time": time, "survival": share,
         "ci_low": None, "ci_high": None, "at_risk": at_risk, "events": 0, "n": 40, "suppressed": False,
         "suppression": None}
        for group in ("intervention", "comparison") for time, share, at_risk in rows]).astype(object)
    figure = figures.survival_figure(survival, "bf_duration", "en")
    risk = figure.axes[1]
    written = sorted((round(t.get_position()[0] * figures.DAYS_PER_MONTH), t.get_text()) for t in risk.texts
                     if t.get_position()[1] == 1)  # the intervention group's row
    assert written == [(0, "40"), (75, "36"), (195, "25"), (300, "20")]


def test_a_ratio_forest_labels_ratios_around_its_intervals() -> None:
    """A rate ratio of 0.87 (0.62-1.21): the log axis is labelled at 0,67, 0,80, 1,00 and 1,25,
    not at its one decade (1,00) alone."""
    effects = pd.DataFrame([{"indicator": "care_emergency_rate_24m", "measure": "rate_ratio", "method": "did",
                             "estimate": 0.87, "ci_low": 0.62, "ci_high": 1.21, "analysis": "itt"}])
    figure = figures.forest_figure(effects, "sv", indicators_shown=["care_emergency_rate_24m"],
                                   measures=("rate_ratio",), methods=("did",))
    figure.canvas.draw()
    ax = figure.axes[0]
    labelled = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labelled == ["0,67", "0,80", "1,00", "1,25"]
    assert ax.get_xscale() == "log"


@pytest.mark.parametrize(("low", "high", "expected"), [
    # the axis runs from 0,165 to 10,9 (the interval, the line at 1, matplotlib's margins): of
    # the twelve ratios there every other one, 1 among them
    (0.2, 9.0, ["0,25", "0,67", "1,00", "1,50", "4,00", "10,00"]),
    # 0,0038 to 1,30: eleven ratios, every other one counted from 1
    (0.005, 0.04, ["0,02", "0,10", "0,25", "0,67", "1,00"]),
])
def test_a_wide_or_far_ratio_forest_keeps_labelled_ticks(low: float, high: float,
                                                         expected: list[str]) -> None:
    effects = pd.DataFrame([{"indicator": "care_emergency_rate_24m", "measure": "rate_ratio",
                             "method": "did", "estimate": (low * high) ** 0.5, "ci_low": low,
                             "ci_high": high, "analysis": "itt"}])
    figure = figures.forest_figure(effects, "sv", indicators_shown=["care_emergency_rate_24m"],
                                   measures=("rate_ratio",), methods=("did",))
    figure.canvas.draw()
    ax = figure.axes[0]
    shown = [t.get_text() for t in ax.get_xticklabels()
             if t.get_text() and ax.get_xlim()[0] <= t.get_position()[0] <= ax.get_xlim()[1]]
    assert shown == expected


def test_a_funnel_names_neighbouring_areas_apart() -> None:
    """Two comparison areas below the limits at 33 and 34 children, 45 % and 44 %: the second's
    name goes under its point instead of over the first's."""
    columns = ["indicator", "area", "arm", "children", "events", "proportion", "target", "classification",
               "suppressed", "suppression"]
    funnel = pd.DataFrame([
        ["bf_any_6m", "Åsbyhöjden", "comparison", 33, 15, 15 / 33, 0.65, "below_95", False, None],
        ["bf_any_6m", "Tallmyra", "comparison", 34, 15, 15 / 34, 0.65, "below_95", False, None],
        ["bf_any_6m", "Norrbyåsen", "intervention", 99, 57, 57 / 99, 0.65, "within", False, None],
    ], columns=columns).astype(object)
    ax = figures.funnel_figure(funnel, ["bf_any_6m"], "sv").axes[0]
    offsets = {t.get_text(): tuple(t.xyann) for t in ax.texts if hasattr(t, "xyann")}
    assert offsets == {"Åsbyhöjden": (5, 3), "Tallmyra": (5, -11), "Norrbyåsen": (5, 3)}


def test_a_funnel_of_many_intervention_areas_names_those_outside_the_limits() -> None:
    """Eight intervention areas at 100 % of 10-13 children would have eight names on top of one
    another: among more than six, only those outside the limits are named (here the one below)."""
    columns = ["indicator", "area", "arm", "children", "events", "proportion", "target", "classification",
               "suppressed", "suppression"]
    rows = [["vacc_mmr1_24m", f"Område {k}", "intervention", 10 + k % 4, 10 + k % 4, 1.0, 0.93, "within",
             False, None] for k in range(8)]
    rows.append(["vacc_mmr1_24m", "Ekbacken", "intervention", 37, 31, 31 / 37, 0.93, "below_95", False, None])
    funnel = pd.DataFrame(rows, columns=columns).astype(object)
    ax = figures.funnel_figure(funnel, ["vacc_mmr1_24m"], "sv").axes[0]
    assert [t.get_text() for t in ax.texts if hasattr(t, "xyann")] == ["Ekbacken"]
    few = figures.funnel_figure(funnel.iloc[[0, 1, 8]], ["vacc_mmr1_24m"], "sv").axes[0]
    named = {t.get_text(): tuple(t.xyann) for t in few.texts if hasattr(t, "xyann")}
    assert set(named) == {"Område 0", "Område 1", "Ekbacken"}
    assert named["Område 0"] != named["Område 1"]  # 10 and 11 children at 100 %: one above, one below


def _all_text(figure: Figure) -> str:
    return " ".join(t.get_text() for ax in figure.axes for t in ax.texts)


def test_suppressed_group_is_marked_not_drawn(run: tables.RunTables) -> None:
    indicators = run["indicators"].astype(object)
    hide = (indicators["indicator"] == "vacc_mmr1_24m") & (indicators["group"] == "comparison")
    indicators.loc[hide, ["n_numerator", "proportion", "ci_low", "ci_high"]] = ["<5", None, None, None]
    indicators.loc[hide, "suppressed"] = True
    indicators.loc[hide, ["suppression", "proportion_bound"]] = ["few_events", ""]
    figure = figures.proportions_figure(indicators, ["vacc_mmr1_24m"], "sv")
    assert "Jämförelsegrupp: färre än 5 med utfallet" in _all_text(figure)
    ax = figure.axes[0]
    assert [line.get_gid() for line in ax.get_lines() if line.get_gid()] == ["intervention"]
    assert text.label("group", "comparison", "sv") not in ax.get_legend_handles_labels()[1]

    survival = run["survival"].astype(object)
    rows = (survival["indicator"] == "vacc_mmr1_age") & (survival["group"] == "comparison")
    survival.loc[rows, ["survival", "ci_low", "ci_high"]] = None
    survival.loc[rows, "at_risk"] = "<5"
    survival["suppressed"] = rows
    km = figures.survival_figure(survival, "vacc_mmr1_age", "en")
    assert "suppressed (small numbers)" in _all_text(km)
    labels = {line.get_label() for line in km.axes[0].get_lines()}
    assert "Comparison" not in labels and "Intervention" in labels
    assert "<5" in [t.get_text() for t in km.axes[1].texts]

    # some of a group's points hidden: said under the numbers at risk, not across the curves
    some = (survival["indicator"] == "vacc_mmr1_age") & (survival["group"] == "intervention")
    survival = run["survival"].astype(object)
    survival["suppressed"] = False
    first_hidden = survival.index[some][3]
    survival.loc[first_hidden, ["survival", "ci_low", "ci_high", "suppressed"]] = [None, None, None, True]
    km = figures.survival_figure(survival, "vacc_mmr1_age", "en")
    note = "Intervention: some points not drawn, to protect counts under 5"
    assert note in [t.get_text() for t in km.axes[1].texts]
    assert note not in [t.get_text() for t in km.axes[0].texts]


def test_area_filter_keeps_area_rows_and_names_study_tables(run: tables.RunTables) -> None:
    areas = tables.areas_in(run)
    assert areas
    restricted = tables.for_area(run, areas[0])
    frame = restricted["indicators"]
    assert set(frame.loc[frame["group"] == "intervention", "area"]) == {areas[0]}
    assert set(frame.loc[frame["group"] == "comparison", "area"]) == {"all"}
    # effects, summary and balance have the area's own rows (the area against the comparison
    # areas); survival curves, dose-response and power are for the whole study and say so
    for name in ("effects", "summary", "balance"):
        assert set(restricted[name]["area"]) == {areas[0]}, name
        assert name not in restricted.not_by_area
    assert "survival" in restricted.not_by_area
    assert tables.for_area(run, "all").not_by_area == []


@pytest.mark.parametrize("language", ["sv", "en"])
def test_area_note_names_every_whole_study_table_in_words(language: str) -> None:
    # an area report said "Uppgifterna dose_received redovisas inte per område": each table
    # an area report can show whole is named in words of the report's language
    for name in tables.STUDY_TABLES:
        note = text.area_note(name, language)
        assert "_" not in note, note  # and no KeyError: every one has its words
    assert text.area_note("dose_received", "sv") == (
        "Uppgifterna om programkontakter per familj efter bakgrund redovisas inte per område; "
        "de gäller hela studien.")


@pytest.mark.parametrize(("language", "heading"), [("sv", "## Sammanfattning"), ("en", "## Summary")])
def test_notebook_runs_in_both_languages(run_folder: Path, tmp_path: Path, language: str,
                                        heading: str) -> None:
    papermill = pytest.importorskip("papermill")
    stored = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert all(c.get("outputs", []) == [] and c.get("execution_count") is None
               for c in stored["cells"] if c["cell_type"] == "code"), "stored without outputs"
    assert stored["metadata"]["kernelspec"]["name"] == "python3"
    out = tmp_path / f"evaluation_{language}.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), kernel_name="python3", progress_bar=False,
                               cwd=str(NOTEBOOK.parents[1]),
                               parameters={"study": "small", "run_folder": str(run_folder),
                                           "language": language, "audience": "committee"})
    executed = json.loads(out.read_text(encoding="utf-8"))
    outputs = [o for c in executed["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    markdown = "".join("".join(o["data"]["text/markdown"]) for o in outputs
                       if "text/markdown" in o.get("data", {}))
    assert heading in markdown
    # the small study's design is did: its subgroup rows are DiDs within each subgroup, of children
    # born before and after the start, and the section says so (it said "observed differences after
    # the start", "not the programme's estimated effect")
    assert text.phrase("equity_intro_did", language) in markdown
    pages = "".join("".join(o.get("data", {}).get("text/html", "")) for o in outputs)
    caption = {"sv": "Skillnad-i-skillnader inom undergrupper (procentenheter, ojusterade)",
               "en": "Difference-in-differences within subgroups (percentage points, unadjusted)"}
    assert caption[language] in pages
    figures_shown = sum("".join(o.get("data", {}).get("text/html", "")).count('class="report-figure"')
                        for o in outputs)
    assert figures_shown >= 6


def test_a_run_s_tables_are_parsed_once_and_again_when_their_bytes_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """load_run in a report worker, report after report: each table parsed once while its
    file's bytes are the same, each report given its own copy, a rewritten file parsed anew
    even when its size and time are the same."""
    folder = tmp_path / "run"
    (folder / "tables").mkdir(parents=True)
    table = folder / "tables" / "summary.csv"
    table.write_text("indicator,estimate\nvacc_mmr1_24m,0.10\n", encoding="utf-8")
    parsed: list[bytes] = []
    parse = tables._parsed
    monkeypatch.setattr(tables, "_parsed", lambda content: parsed.append(content) or parse(content))
    first = tables.load_run(folder)
    first.tables["summary"].loc[0, "estimate"] = 99.0  # a report changing its own frame
    second = tables.load_run(folder)
    assert second["summary"]["estimate"].tolist() == [0.10]
    assert len(parsed) == 1  # the same bytes: not parsed again
    stat = table.stat()
    table.write_text("indicator,estimate\nvacc_mmr1_24m,0.20\n", encoding="utf-8")  # same size
    os.utime(table, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same time
    assert tables.load_run(folder)["summary"]["estimate"].tolist() == [0.20]
    assert len(parsed) == 2
    assert tables.read_table(table).equals(tables.load_run(folder)["summary"])


def test_page_one_counts_an_area_reports_children_in_its_area() -> None:
    """An area's report says its children before the start are in the area, not "in the
    intervention areas" (a national year's Norrbyåsen report did); the study's says the areas."""
    config = {"design": {"type": "did", "intervention_areas": ["Norrbyåsen", "Söderängen"],
                         "comparison_areas": ["Lövängen"], "programme_start": "2020-09-01",
                         "born_from": "2017-01-01", "born_to": "2023-12-31"},
              "programme": {"title": "Rinkebymodellen", "contacts": [
                  {"kind": "home", "target_age_days": 30}]},
              "extraction_date": "2024-06-30"}
    design = pd.DataFrame({
        "arm": ["intervention"] * 4 + ["comparison"] * 2,
        "area": ["Norrbyåsen", "Norrbyåsen", "Söderängen", "Söderängen", "Lövängen", "Lövängen"],
        "group": ["intervention_pre", "intervention"] * 2 + ["comparison_pre", "comparison"],
        "children": [126, 115, 114, 103, 300, 280]})
    area = plain(narrative.design_markdown(config, design, "sv", area="Norrbyåsen"))
    # (one comparison area: "jämförelseområdet", singular)
    assert ("Antal barn: 115 i interventionsgruppen och 280 i jämförelsegruppen; före start 126 i "
            "Norrbyåsen och 300 i jämförelseområdet.") in area.replace("**", "")
    study = plain(narrative.design_markdown(config, design, "en"))
    assert ("Children: 218 in the intervention group and 280 in the comparison group; before the "
            "start 240 in the intervention areas and 300 in the comparison area.") in study.replace("**", "")


@pytest.mark.parametrize(("contacts", "sv", "en"), [
    ([{"kind": "home", "target_age_days": 20}],
     "Rinkebymodellen, 1 planerad kontakt (1 hembesök) under barnets första månad.",
     "Rinkebymodellen, 1 planned contact (1 home visit) during the child's first month."),
    ([{"kind": "home", "target_age_days": 30}, {"kind": "clinic", "target_age_days": 61}],
     "Rinkebymodellen, 2 planerade kontakter (1 hembesök) under barnets första 2 månader.",
     "Rinkebymodellen, 2 planned contacts (1 home visit) during the child's first 2 months."),
    ([{"kind": "home", "target_age_days": 7}, {"kind": "home", "target_age_days": 456}],
     "Rinkebymodellen, 2 planerade kontakter (2 hembesök) under barnets första 15 månader.",
     "Rinkebymodellen, 2 planned contacts (2 home visits) during the child's first 15 months."),
])
def test_page_one_names_the_programme_in_the_singular_for_one(contacts, sv, en) -> None:
    """A programme of a single visit read "1 planerade kontakter (1 hembesök) under barnets första
    1 månader" (15 months: 456 days / 30.44)."""
    config = {"design": {"type": "did", "intervention_areas": ["Norrbyåsen"],
                         "comparison_areas": ["Lövängen"], "programme_start": "2020-09-01",
                         "born_from": "2017-01-01", "born_to": "2023-12-31"},
              "programme": {"title": "Rinkebymodellen", "contacts": contacts},
              "extraction_date": "2024-06-30"}
    design = pd.DataFrame({"arm": ["intervention", "comparison"], "area": ["Norrbyåsen", "Lövängen"],
                           "group": ["intervention", "comparison"], "children": [115, 280]})
    for language, expected in (("sv", sv), ("en", en)):
        assert expected in plain(narrative.design_markdown(config, design, language)).replace("**", "")


@pytest.mark.parametrize(("intervention", "comparison", "sv", "en"), [
    (["Norrbyåsen", "Söderängen"], ["Lövängen", "Tallmyra"],
     ("i interventionsområdena", "i jämförelseområdena"),
     ("in the intervention areas", "in the comparison areas")),
    (["Norrbyåsen"], ["Lövängen"], ("i interventionsområdet", "i jämförelseområdet"),
     ("in the intervention area", "in the comparison area")),
    (["Norrbyåsen"], ["Lövängen", "Tallmyra"], ("i interventionsområdet", "i jämförelseområdena"),
     ("in the intervention area", "in the comparison areas")),
])
def test_page_one_says_area_or_areas_as_each_arm_has(intervention, comparison, sv, en) -> None:
    """A pilot in one district against one other (Skäggetorp's shape) read "efter start 85 % i
    interventionsområdena och 80 % i jämförelseområdena": page one now says each arm's areas
    in the singular when the arm has one, in the design's words and in each summary sentence."""
    config = {"design": {"type": "did", "intervention_areas": intervention, "comparison_areas": comparison,
                         "programme_start": "2020-09-01", "born_from": "2017-01-01",
                         "born_to": "2023-12-31"},
              "programme": {"title": "Skäggetorp", "contacts": [{"kind": "home", "target_age_days": 30}]},
              "extraction_date": "2024-06-30"}
    design = pd.DataFrame({"arm": ["intervention"] * 2 + ["comparison"] * 2, "area": ["A", "A", "C", "C"],
                           "group": ["intervention_pre", "intervention", "comparison_pre", "comparison"],
                           "children": [126, 115, 300, 280]})
    row = {"indicator": "vacc_mmr1_24m", "area": "all", "design": "did", "primary": True, "measure": "did",
           "method": "did", "estimate": 0.09, "ci_low": None, "ci_high": None, "verdict": "unclear",
           "reason": "no_interval", "caveats": "very_few_areas",
           "n_areas_intervention": len(intervention), "n_areas_comparison": len(comparison),
           "proportion_intervention": 0.85, "proportion_comparison": 0.80,
           "proportion_intervention_pre": 0.78, "proportion_comparison_pre": 0.82}
    for language, (where, others) in (("sv", sv), ("en", en)):
        page = plain(narrative.design_markdown(config, design, language)).replace("**", "")
        page += plain(narrative.summary_markdown(pd.DataFrame([row]), language, primary=["vacc_mmr1_24m"]))
        after = "efter start 85 %" if language == "sv" else "after the start 85%"
        assert f"{after} {where} " in page, page
        # who is in each group, the children before the start, how the effect is estimated, what was seen
        assert page.count(where) == 4 and page.count(others) == 4, (where, others, page)
        labels = {"sv": ("Interventionsområde", "Jämförelseområde"),
                  "en": ("Intervention area", "Comparison area")}
        said = [label + ("" if len(names) == 1 else "n" if language == "sv" else "s")
                for label, names in zip(labels[language], (intervention, comparison), strict=True)]
        assert f"{said[0]}: " in page and f"{said[1]}: " in page, page
        wrong = {"i interventionsområdet": "i interventionsområdena", "in the intervention area": "in the "
                 "intervention areas", "i jämförelseområdet": "i jämförelseområdena",
                 "in the comparison area": "in the comparison areas"}
        for said in (where, others):
            if said in wrong:
                assert wrong[said] not in page, page


def test_a_historical_area_report_compares_the_area_with_itself_before_the_start() -> None:
    """Under `historical` an area's report shows its own children before the start (indicators.csv
    has the comparison group's rows by area), says so, and never speaks of comparison areas."""
    indicators = pd.DataFrame({
        "indicator": ["vacc_mmr1_24m"] * 6,
        "group": ["comparison", "comparison", "comparison", "intervention", "intervention", "intervention"],
        "area": ["all", "Norrbyåsen", "Söderängen"] * 2,
        "n_denominator": [438, 236, 202, 227, 126, 101]})
    shown = tables.area_indicator_rows(indicators, "Norrbyåsen")
    assert shown[["group", "area", "n_denominator"]].values.tolist() == [
        ["comparison", "Norrbyåsen", 236], ["intervention", "Norrbyåsen", 126]]
    # a DiD's comparison rows are the comparison areas': the area report shows them whole
    did = indicators.assign(area=["all", "Lövängen", "Tallmyra", "all", "Norrbyåsen", "Söderängen"])
    assert tables.area_indicator_rows(did, "Norrbyåsen")["area"].tolist() == ["all", "Norrbyåsen"]
    config = {"design": {"type": "historical", "intervention_areas": ["Norrbyåsen", "Söderängen"],
                         "comparison_areas": [], "programme_start": "2020-09-01",
                         "born_from": "2017-01-01", "born_to": "2023-12-31"},
              "programme": {"title": "Rinkebymodellen",
                            "contacts": [{"kind": "home", "target_age_days": 30}]},
              "extraction_date": "2024-06-30"}
    design = pd.DataFrame({"arm": ["intervention"] * 4, "area": ["Norrbyåsen"] * 2 + ["Söderängen"] * 2,
                           "group": ["comparison", "intervention"] * 2, "children": [246, 222, 210, 209]})
    page = plain(narrative.design_markdown(config, design, "sv", area="Norrbyåsen")).replace("**", "")
    assert ("Den här rapporten gäller området Norrbyåsen: alla skattningar jämför barnen födda i Norrbyåsen "
            "efter programstart med barnen födda där före start.") in page
    assert "Område: Norrbyåsen (samma område före och efter start)." in page
    assert "Jämförelsegruppen är barnen födda i Norrbyåsen före programstart." in page
    assert "jämförelseområde" not in page


@pytest.mark.parametrize(("design", "area", "language", "said"), [
    ("did", "all", "sv", "lägre med programmet; skillnaden är större än vad slumpen rimligen kan förklara"),
    ("concurrent", "all", "sv",
     "lägre i interventionsområdena än i jämförelseområdena; skillnaden är större än vad slumpen "
     "rimligen kan förklara (justerat p = 0,036, Holms korrektion för 2 huvudindikatorer), men den kan "
     "också bero på annat som skiljer områdena åt."),
    ("concurrent", "Norrbyåsen", "en",
     "lower in Norrbyåsen than in the comparison areas; the difference is larger than chance would "
     "plausibly explain"),
    ("historical", "all", "sv",
     "lägre efter start än före; skillnaden är större än vad slumpen rimligen kan förklara (justerat "
     "p = 0,036, Holms korrektion för 2 huvudindikatorer), men den kan också bero på annat som ändrats "
     "under samma tid."),
])
def test_a_verdict_beyond_chance_credits_the_programme_only_under_did(design, area, language, said) -> None:
    """The demo's children as a concurrent study: Norrbyåsen's MMR −9 (−15 to −2), "lower with the
    programme", against a synthetic truth of +5.8 (its areas started lower, which only a DiD
    sees). A concurrent or historical verdict now says where or when the share was lower, and
    that the design cannot say why."""
    row = {"indicator": "vacc_mmr1_24m", "area": area, "design": design, "primary": True,
           "measure": "did" if design == "did" else "risk_difference",
           "method": "did" if design == "did" else "regression", "estimate": -0.09, "ci_low": -0.15,
           "ci_high": -0.02, "p_value": 0.018, "p_adjusted": 0.036, "multiplicity": "holm_primary",
           "verdict": "lower", "reason": "adjusted_p_below_alpha", "caveats": "",
           "proportion_intervention": 0.85, "proportion_comparison": 0.96}
    other = {**row, "indicator": "bf_any_6m", "verdict": "unclear", "reason": "interval_includes_null"}
    page = plain(narrative.summary_markdown(pd.DataFrame([row, other]), language, area=area,
                                            primary=["vacc_mmr1_24m", "bf_any_6m"]))
    assert said in page, page
    if design != "did":
        assert "med programmet;" not in page and "with the programme;" not in page
    # a hazard ratio's verdict ("vaccinationen skedde tidigare med programmet") likewise
    hazard = {**row, "indicator": "vacc_mmr1_age", "kind": "survival", "measure": "hazard_ratio",
              "method": "cox", "estimate": 1.3, "ci_low": 1.1, "ci_high": 1.6, "verdict": "higher"}
    words = narrative.verdict_phrase(hazard, {}, language)
    assert ("med programmet" in words or "with the programme" in words) == (design == "did"), words
    if design == "concurrent":
        # "skillnaden": after "vaccinationen skedde tidigare …", "den" was the vaccination
        assert words.endswith(("men skillnaden kan också bero på annat som skiljer områdena åt",
                               "but the difference may also stem from other differences between the areas")
                              ), words


def test_every_time_to_event_verdict_names_the_programme_where_other_designs_name_a_place() -> None:
    """A concurrent or historical hazard-ratio verdict is the indicator's own words with
    " med programmet" / " with the programme" put as where or when: words without it would keep
    crediting the programme, with only the last clause added."""
    from pipeline.indicators import INDICATORS
    from pipeline.text.narrative_words import WORDS

    courses = [i.time_to_event for i in INDICATORS if i.time_to_event is not None]
    assert courses
    for course in courses:
        for verdict in (course.verdict_higher, course.verdict_lower):
            for language in ("sv", "en"):
                assert verdict.in_(language).count(WORDS["with_programme"].in_(language)) == 1, verdict


def test_summary_reads_a_row_without_caveats_as_a_run_s_csv_gives_it(tmp_path: Path) -> None:
    """A concurrent study's rows can carry no caveat at all (a DiD's always carry its areas'),
    and a blank text field is read back as NaN: every report of such a study stopped at page
    one on "caveat_nan"."""
    row = {"indicator": "vacc_mmr1_24m", "area": "all", "design": "concurrent", "primary": True,
           "measure": "risk_difference", "method": "regression", "estimate": -0.048, "ci_low": -0.098,
           "ci_high": 0.003, "p_value": 0.06, "verdict": "unclear", "reason": "interval_includes_null",
           "caveats": "", "proportion_intervention": 0.88, "proportion_comparison": 0.96}
    path = tmp_path / "summary.csv"
    few = {**row, "indicator": "bf_any_6m", "caveats": "few_children",
           "n_denominator_intervention": 31, "n_denominator_comparison": 59}
    pd.DataFrame([row, few]).to_csv(path, index=False)
    summary = tables.read_table(path)
    assert pd.isna(summary.loc[0, "caveats"])
    page = plain(narrative.summary_markdown(summary, "sv", primary=["vacc_mmr1_24m", "bf_any_6m"]))
    assert not re.search(r"\bnan\b", page)
    assert ("MMR vid 24 månader: 88 % i interventionsgruppen och 96 % i jämförelsegruppen. Skattad "
            "effekt av programmet (justerad för skillnader i bakgrund): −4,8 procentenheter (95 % KI "
            "−9,8 till 0,3); kan bero på slumpen (intervallet omfattar 0).") in page
    assert ("Bygger på få barn i interventionsgruppen: bara 31 hade hunnit bli gamla nog för måttet (59 i "
            "jämförelsegruppen).") in page
    # the design's own limit, said where the reader starts
    assert "går inte att skilja från programmets effekt" in page.split("\n")[0]


def test_page_one_of_an_early_report_says_no_child_is_old_enough_yet() -> None:
    """A report nine months after the start (extraction 2021-09-30): no child born after it had
    reached 24 months. Page one said "efter start en andel som inte redovisas i
    interventionsområdena och en andel som inte redovisas i jämförelseområdena … kunde inte
    skattas (för få barn eller utfall i någon grupp …). Bygger på få barn: bara 0 i
    interventionsgruppen och 0 i jämförelsegruppen hade hunnit bli gamla nog för måttet."""
    row = {"indicator": "vacc_mmr1_24m", "area": "all", "design": "did", "primary": True, "measure": "did",
           "method": "did", "estimate": None, "verdict": "not_estimable", "reason": "not_estimable",
           "caveats": "very_few_areas;few_children", "n_areas_intervention": 2, "n_areas_comparison": 8,
           "n_denominator_intervention": 0, "n_denominator_comparison": 0, "events_intervention": 0,
           "proportion_intervention_pre": 0.81, "proportion_comparison_pre": 0.96,
           "n_denominator_intervention_pre": 122, "n_denominator_comparison_pre": 312}
    half = {**row, "indicator": "bf_any_6m", "caveats": "few_children", "n_denominator_comparison": 92,
            "proportion_comparison": 0.68, "proportion_intervention_pre": 0.64,
            "proportion_comparison_pre": 0.69}
    summary = pd.DataFrame([row, half])
    sv = plain(narrative.summary_markdown(summary, "sv", primary=["vacc_mmr1_24m", "bf_any_6m"]))
    assert ("MMR vid 24 månader: inget barn fött efter programstart hade hunnit bli gammalt nog för måttet "
            "när uppgifterna togs ut, så programmets effekt kan ännu inte skattas. Före start: 81 % i "
            "interventionsområdena och 96 % i jämförelseområdena.\n") in sv
    # one group without a child old enough: its share is none, not "a share not shown"
    assert "efter start ingen andel (inget barn gammalt nog) i interventionsområdena och 68 % i" in sv
    assert ("Bygger på få barn: inget barn i interventionsgruppen och 92 i jämförelsegruppen hade hunnit "
            "bli gamla nog för måttet.") in sv
    en = plain(narrative.summary_markdown(summary, "en", primary=["vacc_mmr1_24m", "bf_any_6m"]))
    assert ("MMR at 24 months: no child born after the start was old enough for the measure when the data "
            "were extracted, so the programme's effect cannot be estimated yet. Before the start: 81% in "
            "the intervention areas and 96% in the comparison areas.\n") in en
    assert "only 0" not in en and "bara 0" not in sv and "inte redovisas" not in sv


@pytest.mark.parametrize(("design", "area", "language", "said"), [
    ("did", "Norrbyåsen", "sv", "från före till efter programstart i Norrbyåsen än i jämförelseområdena"),
    ("did", "all", "sv", "efter programstart i interventionsområdena än i jämförelseområdena"),
    ("did", "Norrbyåsen", "en", "from before to after the start in Norrbyåsen than in the comparison areas"),
    ("concurrent", "Norrbyåsen", "sv", "skillnaden mellan Norrbyåsen och jämförelseområdena"),
    ("concurrent", "all", "en", "the difference between the intervention and comparison areas"),
])
def test_summary_intro_names_an_area_reports_area(design, area, language, said) -> None:
    summary = pd.DataFrame([{"indicator": "vacc_mmr1_24m", "area": area, "design": design, "primary": True,
                             "measure": "did" if design == "did" else "risk_difference",
                             "estimate": 0.05, "ci_low": -0.01, "ci_high": 0.11, "verdict": "unclear",
                             "reason": "interval_includes_null", "caveats": ""}])
    intro = narrative.summary_markdown(summary, language, area=area).split("\n")[0]
    assert said in intro, intro


def test_value_issues_in_words_in_both_languages() -> None:
    issues = pd.DataFrame({
        "table": ["vaccinations", "visits", "children", "language", "visits"],
        "source_file": ["vacc.csv", "besok.csv", "barn.csv", "sprak.csv", "besok.csv"],
        "column": ["vaccine", "comment", "gestational_weeks", "assessment_date", "status"],
        "issue": ["read as priorix (value_map)", "personnummer_masked", "outside plausible range 22–44.5",
                  "date_unparseable_set_missing", "something new"],
        "rows": [2, 1, 3, 12345, 4]})
    sv = tables.value_issues_table(issues, "sv")
    assert sv["Problem och åtgärd"].tolist() == [
        "Läst som priorix enligt value_map i study.yml", "Personnummer i fritext: maskerat",
        "Utanför rimligt intervall 22–44,5: satt som saknat",  # a decimal comma in Swedish
        "Datum som inte gick att tolka: satt som saknat",
        "something new"]  # an issue no words name is shown as it is, not dropped
    assert sv["Rader"].tolist() == ["2", "1", "3", f"12{NBSP}345", "4"]
    en = tables.value_issues_table(issues, "en")
    assert en["Issue and what was done"].tolist()[:4] == [
        "Read as priorix by the value_map in study.yml", "Personnummer in free text: masked",
        "Outside the plausible range 22–44.5: set missing", "Date that could not be read: set missing"]
    assert en["Table"].tolist()[0] == "Vaccinations"


@pytest.mark.parametrize(("preset", "sv", "en"), [
    ("rinkeby", "Programmet: Rinkebymodellen, 6 planerade", "The programme: the Rinkeby model, 6 planned"),
    ("stis", "Programmet: Stockholms ytterstadssatsning – tidiga insatser,",
     "The programme: Stockholm's outer-city programme – early interventions,"),
])
def test_page_one_names_a_preset_programme_in_the_reports_language(preset, sv, en) -> None:
    """An English report named the Rinkeby model "Rinkebymodellen": a preset's title is given per
    language, as a study's may be."""
    programme = Programme(**load_preset(preset))
    config = {"design": {"type": "did", "intervention_areas": ["Norrbyåsen"],
                         "comparison_areas": ["Lövängen"], "programme_start": "2020-09-01",
                         "born_from": "2017-01-01", "born_to": "2023-12-31"},
              "programme": programme.model_dump(mode="json"), "extraction_date": "2024-06-30"}
    design = pd.DataFrame({"arm": ["intervention", "comparison"], "area": ["Norrbyåsen", "Lövängen"],
                           "group": ["intervention", "comparison"], "children": [115, 280]})
    for language, expected in (("sv", sv), ("en", en)):
        assert expected in plain(narrative.design_markdown(config, design, language)).replace("**", "")
    assert programme.title_in("en") != programme.title_in("sv")
    assert Programme(name="own", contacts=programme.contacts).title_in("en") == "own"  # no title: its name


def test_a_did_reports_words_say_what_its_figures_and_tables_hold(small_study) -> None:
    """Under did an area's report (one intervention area: no interval is reliable) captioned
    its forests "with 95% confidence intervals" and its methods described the bootstrap
    interval; every committee report captioned a DiD of the share at the landmark "hazard
    ratios", and showed the Poisson comparisons after the start alone, which page one says
    are not the effect, as "the programme's estimated effect". Its flow began "born in the
    intervention areas" where one area was meant."""
    root, folder, _ = small_study
    reports = root / "outputs" / "small" / "reports"
    study = plain(html.unescape((reports / "small_study_sv.html").read_text(encoding="utf-8")))
    area = next(p for p in sorted(reports.glob("small_*_sv.html")) if p.name != "small_study_sv.html")
    one = plain(html.unescape(area.read_text(encoding="utf-8")))
    assert "programmets skattade effekt (utan intervall: ett enda interventionsområde)" in one
    assert "Med ett enda interventionsområde, som här, går osäkerheten inte att skatta" in one
    assert "i procentenheter, utan konfidensintervall: med ett enda interventionsområde" in one
    assert "utan intervall" not in study and "Med ett enda interventionsområde" not in study
    assert "programmets skattade effekt med 95 % konfidensintervall" in study
    # the flow's first step in an area's report is that area's children
    assert "Födda i interventionsområdena" in study and "Födda i interventionsområdena" not in one
    for page in (study, one):
        assert "hasardkvoter" not in page
        assert ("Amningens längd (andel som fortfarande ammas vid 6 månader): programmets skattade "
                "effekt") in page
        assert "Ojusterad (Poissonregression)" not in page  # the rows after the start alone
        assert "fasta effekter för varje område och varje födelsehalvår" in page


def test_the_vaccination_section_says_its_fully_vaccinated_is_not_the_summarys() -> None:
    """Under did page one gave fully vaccinated by its stable parts (83 % and 94 % after the
    start) and the vaccination section's table, rotavirus included, 71 % and 87 %, with nothing
    to say why: the section now says which definition each uses, with page one's shares."""
    from pipeline import narrative

    row = {"indicator": "vacc_full_24m", "area": "all", "caveats": "few_treated_areas;stable_definition",
           "proportion_intervention": 0.83, "proportion_comparison": 0.94,
           "n_denominator_intervention": 119, "n_denominator_comparison": 156}
    summary = pd.DataFrame([row, {**row, "area": "Norrby", "proportion_comparison": None,
                                  "proportion_bound_comparison": ">0.95"}])
    said = plain(narrative.stable_definition_note(summary, "sv"))
    assert said.startswith("Fullvaccinerad vid 24 månader i tabellen och figuren nedan omfattar rotavirus")
    assert said.endswith("var andelen efter start 83 % i interventionsgruppen och 94 % i jämförelsegruppen.")
    assert "över 95 %" in plain(narrative.stable_definition_note(summary, "sv", area="Norrby"))
    assert narrative.stable_definition_note(summary.assign(caveats="few_treated_areas"), "en") == ""
    # under historical the comparison group is born before the start, not after it in other areas
    # (a review: "the share after the start ... 77 % in the comparison group", of children born before)
    historical = plain(narrative.stable_definition_note(summary.assign(design="historical"), "en"))
    assert historical.endswith("the share was 83% among the children born after the start and 94% "
                               "among those born before it.")


def test_one_intervention_area_is_read_past_rows_not_estimated() -> None:
    """A row whose DiD was not estimated has no count of areas: an area's report then lost its
    "no intervals" captions and methods sentence."""
    from pipeline import narrative

    summary = pd.DataFrame({"n_areas_intervention": [1, None, 1]})
    assert narrative.one_intervention_area(summary, "did")
    assert not narrative.one_intervention_area(summary.assign(n_areas_intervention=[2, None, 2]), "did")
    assert not narrative.one_intervention_area(summary, "concurrent")
    assert not narrative.one_intervention_area(summary.assign(n_areas_intervention=None), "did")


def test_the_technical_notes_give_the_models_diagnostics() -> None:
    """effects.csv's notes give the proportional-hazards test, the largest weight, a small
    effective size and the children left out for want of covariates; the technical report's
    notes, worded from the row, gave none of them (its methods only the total left out)."""
    from pipeline import narrative

    cox = {"indicator": "vacc_mmr1_age", "method": "cox", "measure": "hazard_ratio", "analysis": "itt",
           "estimate": 0.85,
           "note": ("Cox model (Efron ties), adjusted for mother_region; hazard ratio > 1: vaccinated "
                    "earlier in the intervention group; proportional-hazards test (Grambsch–Therneau) "
                    "p = 0.847 for treatment, global p = 0.258; 33 children dropped for missing covariates")}
    assert plain(narrative.effect_note(cox, "sv")) == (
        "Cox-regression (Efron) justerad för bakgrundsfaktorerna; test av proportionella hasarder "
        "(Grambsch–Therneau): p = 0,847 för programmet, globalt p = 0,258; 33 barn utan "
        "bakgrundsuppgifter utelämnade")
    weights = {"indicator": "bf_any_1w", "method": "iptw", "measure": "risk_difference", "analysis": "itt",
               "estimate": 0.05,
               "note": ("ATT weights; largest weight 4.2 x mean; comparison: effective sample size 118.2 "
                        "is under 50% of the children")}
    said = narrative.effect_note(weights, "en")
    assert "largest weight 4.2 times the mean" in said
    assert "the comparison group's effective size 118 is under half its children" in said


def test_a_follow_up_parts_figures_are_named_in_the_reports_language(small_study) -> None:
    """A Swedish report's figures folder had `figur-4-conversations.png` and
    `figur-5-collaboration-radar-norrbyasen.png` beside `figur-7-amning-…`: the follow-up parts'
    figures are named after their captions, as every other figure is."""
    root, _, _ = small_study
    figures = root / "outputs" / "small" / "figures"
    names = [p.name for p in figures.glob("*_sv/*.png")] + [p.name for p in figures.glob("*_en/*.png")]
    assert names and not [n for n in names if n.endswith("-conversations.png") or "collaboration-radar" in n]
    swedish = [p.name for p in figures.glob("small_study_sv/*.png")]
    assert [n for n in swedish if "-rad-och-stodsamtal-per-manad" in n]  # the samtal part's, in Swedish


def test_a_survival_indicators_did_table_names_the_share_it_estimates() -> None:
    """Under did the effects table of age at MMR vaccination holds the DiD of the share vaccinated
    by 24 months (730 days; a review read a positive "effect on age at MMR" beside medians that put
    the intervention group later): the caption says which share; the curves' table does not."""
    assert narrative.caption("survival_effects", "sv", indicator="vacc_mmr1_age") == (
        "Ålder vid MMR-vaccination (andel vaccinerade vid 24 månader): programmets skattade effekt")
    assert narrative.caption("survival_effects", "en", indicator="bf_duration") == (
        "Duration of breastfeeding (share still breastfed at 6 months): the programme's estimated effect")
    # the curves' log-rank p is not the programme's effect (a review took a p of 0.001 for one)
    assert narrative.caption("survival_table", "en", indicator="bf_duration") == (
        "Duration of breastfeeding: median and log-rank test (an unadjusted comparison of the two groups, "
        "not the programme's estimated effect)")


def test_a_dose_response_row_says_which_contacts_it_counts() -> None:
    """Breastfeeding at 6 months counts the 3 contacts planned before 6 months: its top band is all
    3 of them, not "3+" of the programme's 6 (a review read it so); at 2 months, 1 contact."""
    dose = pd.DataFrame({
        "indicator": ["bf_any_6m", "bf_any_6m", "bf_any_2m"], "contacts_band": ["0-2", "3+", "1+"],
        "contacts_min": [0, 3, 1], "contacts_max": [2, None, None], "n": [40, 200, 300],
        "events": [20, 130, 250], "proportion": [0.5, 0.65, 0.8333], "ci_low": [0.35, 0.58, 0.79],
        "ci_high": [0.65, 0.71, 0.87], "contacts_counted": [3, 3, 1], "suppressed": False,
        "suppression": "", "proportion_bound": None})
    sv = tables.dose_response_table(dose, "sv")
    assert sv.iloc[:, 0].tolist()[1:] == [
        "Amning (hel eller delvis) vid 6 månader (räknar de 3 kontakter som planeras före mätåldern)",
        "Amning (hel eller delvis) vid 2 månader (räknar den 1 kontakt som planeras före mätåldern)"]
    assert sv.iloc[:, 1].tolist() == ["0\u20132", "3", "1"]
    assert tables.dose_response_table(dose, "en").iloc[0, 0] == (
        "Any breastfeeding at 6 months (counting the 3 contacts planned before the age measured)")
    figure = figures.dose_response_figure(dose, ["bf_any_6m"], "en")  # the figure's bands alike
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == ["0\u20132", "3"]


def test_the_funnel_caption_says_a_point_beyond_a_drawn_line_may_lie_within() -> None:
    """Ängsbacka's MMR, 44 of 44: above the drawn 95 % curve (0.978 at 44 children) yet within the
    limit, which is 44 itself as the binomial counts (a review read the figure against the text)."""
    assert "a point just beyond a line may lie within the limit" in narrative.caption("funnel", "en")
    assert "en punkt strax utanför en linje kan ligga inom gränsen" in narrative.caption("funnel", "sv")


def test_the_power_table_shows_the_fall_beside_the_rise_and_says_out_of_reach() -> None:
    """Caries (47 % in the comparison group), which the programme hopes to lower: with 2 + 8 areas no
    fall down to 0 % reaches 80 % power, which the table showed as a rise of 45.3 only (a review).
    DTP3 (97 %): no rise up to 100 % reaches it by the children either ("–" before)."""
    power = pd.DataFrame([
        {"indicator": "dental_caries_3y", "p_comparison": 0.47, "n_intervention": 150, "n_comparison": 260,
         "mdd": 0.12, "mdd_decrease": 0.11, "mdd_areas": 0.453, "mdd_decrease_areas": None, "icc": 0.02,
         "difference_named": 0.05, "n_per_group_needed": 1500, "n_per_group_needed_corrected": 1540,
         "areas_per_arm_needed": None, "suppressed": False, "suppression": ""},
        {"indicator": "vacc_dtp3_24m", "p_comparison": 0.97, "n_intervention": 560, "n_comparison": 880,
         "mdd": None, "mdd_decrease": 0.031, "mdd_areas": None, "mdd_decrease_areas": 0.08, "icc": 0.0,
         "difference_named": 0.05, "n_per_group_needed": 300, "n_per_group_needed_corrected": 320,
         "areas_per_arm_needed": 9, "suppressed": False, "suppression": ""}])
    sv = tables.power_table(power, "sv").set_index("Indikator")
    caries, dtp3 = sv.loc["Karies vid 3 år (deft > 0)"], sv.loc["DTP-polio-Hib, 3 doser vid 24 månader"]
    areas = "Minsta upptäckbara ökning / minskning, områden som kluster (procentenheter)"
    children = "Minsta upptäckbara ökning / minskning, barn som oberoende (procentenheter)"
    assert caries[areas] == "45,3 / nås inte" and caries[children] == "12,0 / 11,0"
    assert dtp3[children] == "nås inte / 3,1" and dtp3[areas] == "nås inte / 8,0"
    assert dtp3["Barn per grupp som behövs, barn som oberoende"] == "320"
    english = tables.power_table(power, "en")
    assert "Minimum detectable rise / fall, areas as clusters (percentage points)" in english.columns
    assert len(english.columns) == 9  # as before: the printed page holds no wider table
    # without a correlation within areas (a historical study: no comparison areas) the table has
    # children as independent alone, and the intro must not call absent columns the honest answer
    assert tables.power_by_areas(english, "en") and tables.power_by_areas(sv.reset_index(), "sv")
    alone = tables.power_table(power.assign(icc=None, mdd_areas=None, mdd_decrease_areas=None,
                                            areas_per_arm_needed=None), "en")
    assert len(alone.columns) == 7 and not tables.power_by_areas(alone, "en")
    assert "honest answer" in text.phrase("power_intro", "en")
    assert "honest answer" not in text.phrase("power_intro_children", "en")
    assert "too optimistic" in text.phrase("power_intro_children", "en")


def test_the_did_effects_intro_says_what_its_table_counts() -> None:
    """Under did the effects table's n are children before and after the start (a review read 588
    "n intervention" beside page one's 323 in the intervention group): the intro says so."""
    for key in ("forest_intro_did", "forest_intro_did_points"):
        assert "born both before and after the start" in text.phrase(key, "en")
        assert "födda både före och efter start" in text.phrase(key, "sv")
    assert "before and after" not in text.phrase("forest_intro_concurrent", "en")


def test_a_weaning_median_says_why_it_has_no_interval() -> None:
    """Turnbull's median weaning age is the midpoint of an interval and has no confidence interval
    (a review read "9,0" under a header promising one); a Kaplan–Meier median keeps its own."""
    survival = pd.DataFrame([
        {"indicator": "bf_duration", "group": "intervention", "statistic": "median", "time": 273.5,
         "ci_low": None, "ci_high": None, "events": 194, "n": 323, "method": "turnbull"},
        {"indicator": "bf_duration", "group": "intervention", "statistic": "log_rank", "p_value": 0.03},
        {"indicator": "vacc_mmr1_age", "group": "intervention", "statistic": "median", "time": 572,
         "ci_low": 564, "ci_high": 579, "events": 202, "n": 323, "method": "kaplan_meier"}])
    shown = tables.survival_table(survival, "sv").iloc[:, 2].tolist()
    assert shown[0] == "9,0 (inget intervall: avvänjningen ligger mellan två bedömningar)"
    assert "inget intervall" not in shown[1] and "(" in shown[1]
    assert tables.survival_table(survival, "en").iloc[0, 2].endswith("(no interval: weaning lies between "
                                                                       "two assessments)")
