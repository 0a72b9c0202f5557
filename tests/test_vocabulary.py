"""Every word a report shows exists in both languages, and every id a run writes has its words
(issue 10: `birth_weight_g` and `gestational_weeks` once printed as raw ids in Table 1)."""

from __future__ import annotations

import string
from types import ModuleType

import pandas as pd
import pytest

from pipeline import config, followup, indicators, outputs, report_html, schema, text
from pipeline.stats.results import FLAGS
from pipeline.text import labels, narrative_words, phrases, pooling
from pipeline.words import Words

MODULES = (labels, phrases, narrative_words, pooling, outputs, indicators, report_html,
           *followup.part_modules())


def _words_in(value: object, where: str) -> list[tuple[str, Words]]:
    """Every Words inside a vocabulary, registry entry or tuple of them, with where it is."""
    if isinstance(value, Words):
        return [(where, value)]
    if isinstance(value, dict):
        return [w for key, item in value.items() for w in _words_in(item, f"{where}[{key!r}]")]
    if isinstance(value, tuple | list):
        return [w for i, item in enumerate(value) for w in _words_in(item, f"{where}[{i}]")]
    if hasattr(value, "__dataclass_fields__"):
        return [w for name in value.__dataclass_fields__
                for w in _words_in(getattr(value, name), f"{where}.{name}")]
    return []


def _all_words(module: ModuleType) -> list[tuple[str, Words]]:
    return [w for name, value in vars(module).items() if name.isupper() and not name.startswith("_")
            for w in _words_in(value, f"{module.__name__}.{name}")]


def _placeholders(words: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(words) if field is not None}


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_entry_says_the_same_in_both_languages(module: ModuleType) -> None:
    found = _all_words(module)
    assert found, module.__name__
    for where, words in found:
        assert words.sv.strip() and words.en.strip(), where
        assert _placeholders(words.sv) == _placeholders(words.en), where


def test_the_registries_words_are_found() -> None:
    found = dict(_all_words(indicators))
    assert len([w for w in found if w.endswith(".words")]) == len(indicators.INDICATORS)
    mmr_age = indicators.INDICATOR_IDS.index("vacc_mmr1_age")
    assert f"pipeline.indicators.INDICATORS[{mmr_age}].time_to_event.verdict_higher" in found
    titles = [w for w in dict(_all_words(outputs))
              if w.startswith("pipeline.outputs.OUTPUT_TABLES[") and w.endswith(".title")]
    assert len(titles) == len(outputs.OUTPUT_TABLES)


def test_every_optional_export_and_its_columns_have_words() -> None:
    """The data-quality appendix and the manifest name an optional export's table, rows and
    columns in the report's language: each part's EXPORT carries its words."""
    for table in (t for t in schema.TABLES.values() if not t.required):
        assert table.title is not None and table.rows is not None, table.name
        for language in text.LANGUAGES:
            assert text.label("table", table.name, language) == table.title.in_(language)
            assert text.label("manifest", table.name, language) == table.rows.in_(language)
            for column in table.columns:
                named = {"personnummer": "child_id"}.get(column.name, column.name)  # as clean writes it
                assert text.label("column", named, language) != named, (table.name, named)
    assert text.label("column", "mother_present", "sv") == "Mamma närvarande"
    assert text.label("reason", "id_missing", "en") == "Neither personnummer nor family id"


def test_every_covariate_study_yml_accepts_has_words() -> None:
    assert set(config.COVARIATES) <= set(text.COVARIATE_LABELS)
    assert text.label("covariate", "birth_weight_g", "sv") == "Födelsevikt (gram)"
    assert text.label("covariate", "gestational_weeks", "en") == "Gestational age (weeks)"


def test_every_indicator_has_the_properties_its_kind_needs() -> None:
    for indicator in indicators.INDICATORS:
        assert (indicator.time_to_event is not None) == (indicator.kind == "survival"), indicator.id
        course = indicator.time_to_event
        if course is not None:
            assert course.landmark_days in course.landmark_ages, indicator.id
            assert bool(course.cut_points) == course.interval_censored, indicator.id
        if indicator.window_days is not None:
            assert indicator.outcome_from_days == indicator.window_days[0], indicator.id
        assert set(indicator.stable_parts) <= set(indicators.INDICATOR_IDS), indicator.id
    assert indicators.indicator("bf_any_2m").definition == "any breastfeeding at 2 months (42–82 days)"
    with pytest.raises(KeyError, match="unknown indicator 'bf_any_3m'"):
        indicators.indicator("bf_any_3m")


def test_every_id_a_run_writes_has_words(small_study) -> None:
    root, folder, _ = small_study
    tables_dir = root / "outputs" / folder.name / "tables"

    def ids(table: str, column: str) -> set[str]:
        return set(pd.read_csv(tables_dir / f"{table}.csv")[column].dropna().astype(str))

    checks = {("effects", "method"): text.METHOD_LABELS, ("effects", "measure"): text.MEASURE_LABELS,
              ("effects", "analysis"): text.ANALYSIS_LABELS, ("balance", "covariate"): text.COVARIATE_LABELS,
              ("balance", "level"): text.LEVEL_LABELS, ("flow", "step"): text.FLOW_LABELS,
              ("fidelity", "measure"): text.FIDELITY_LABELS, ("indicators", "group"): text.GROUP_LABELS,
              ("rejects_by_reason", "reason"): text.REASON_LABELS,
              ("summary", "indicator"): text.INDICATOR_LABELS}
    for (table, column), vocabulary in checks.items():
        assert ids(table, column) - {""} <= set(vocabulary), (table, column)
    levels = {s.partition("=")[2] for s in ids("effects", "subgroup") if s}
    assert levels <= set(text.LEVEL_LABELS)
    written_flags = {f for flags in ids("effects", "flags") for f in flags.split(";")} - {""}
    assert written_flags <= set(FLAGS)
    assert {"p_fisher_exact", "wild_bootstrap", "landmark"} <= written_flags  # a study this size has them
