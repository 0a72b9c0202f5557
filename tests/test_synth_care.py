"""The synthetic study's healthcare and dental exports (issue 13): `vardkontakter` and
`tandhalsa` pass the pipeline's ingest and clean with exactly their planted mess rejected,
the pipeline's healthcare indicators (pipeline.indicators.healthcare, on the clean tables)
recover truth.json's expected values per design group, and the same seed writes the same
bytes without moving a byte of the core exports.

Why 4 standard errors: about 30 comparisons against the truth; at 4 SE the chance that one
fails by sampling error alone is about 30 x 6e-5 = 2e-3, while a wrong rule (a window, a
denominator, contacts counted after the 24-month birthday) moves a value by far more. The
SEs are conditional on the children, as truth.json's expected values are: binomial for a
share, Poisson for a count of contacts (a sum of the children's independent counts), the
sample SD for mean deft.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline import synth
from pipeline.config import load_study
from pipeline.indicators.healthcare import care_indicators, dental_indicators
from pipeline.runner import run_ingest_clean
from pipeline.stages import clean as clean_stage
from pipeline.stages.cohort import cohort_base

GROUPS = ("intervention", "comparison", "intervention_pre", "comparison_pre")
TOLERANCE_SE = 4.0
N_SMALL = 600
N_LARGE = 12_000  # generation and ingest + clean of every export in about 25 s
# Every reason a planted row is rejected with (the kinds of truth.json's "planted")
REJECT_KINDS = ("duplicate_conflict", "pnr_check_digit", "pnr_bad_characters", "pnr_wrong_length",
                "date_unparseable", "date_before_birth", "date_after_extraction", "unknown_child",
                "category_unknown", synth.DENTAL_MESS_KIND)
PNR_LIKE = re.compile(r"\d{6,8}[-+]?\d{4}")
AFTER_EVERY_WINDOW = dt.date(2030, 1, 1)  # every child's 48-month birthday is before it


def _truth(folder: Path) -> dict:
    return json.loads((folder / "truth.json").read_text(encoding="utf-8"))


def _clean(folder: Path) -> tuple[dict, clean_stage.CleanResult, pd.Series, dt.date]:
    """truth.json, the clean tables, each clean child's DiD group (the cohort's) and the
    extraction date."""
    study = load_study(folder)
    result = run_ingest_clean(study)
    children = result.tables["children"].frame
    groups = cohort_base(study, children)["group_did"]
    return _truth(folder), result, pd.Series(groups.to_numpy(), index=children["child_id"]), \
        study.extraction_date


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, clean_stage.CleanResult]:
    folder = tmp_path_factory.mktemp("care") / "small"
    synth.write_synthetic_study(folder, n_children=N_SMALL, seed=5)
    truth, result, _, _ = _clean(folder)
    return folder, truth, result


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The healthcare indicators of a large synthetic study, with each child's group."""
    folder = tmp_path_factory.mktemp("care") / "large"
    synth.write_synthetic_study(folder, n_children=N_LARGE, seed=11)
    truth, result, groups, extraction = _clean(folder)
    children = result.tables["children"].frame
    contacts = result.tables["care_contacts"].frame
    dental = result.tables["dental"].frame
    return {
        "truth": truth["healthcare"],
        "care": care_indicators(children, contacts, extraction).join(groups.rename("group")),
        "dental": dental_indicators(children, dental, extraction).join(groups.rename("group")),
        # the same rule, not waiting for the window to close: truth's "_examined" entries
        "dental_examined": dental_indicators(children, dental, AFTER_EVERY_WINDOW).join(
            groups.rename("group")),
    }


# --- the exports, their mess and the clean stage ---------------------------------------------

def test_only_the_planted_mess_is_rejected(small) -> None:
    _, truth, result = small
    reasons = clean_stage.rejects_by_reason(result)
    quality = clean_stage.accounting(result).set_index("table")
    for table in synth.OPTIONAL_TABLES:
        planted = truth["planted"][table]
        expected = {kind: planted[kind] for kind in REJECT_KINDS if planted.get(kind)}
        found = reasons[reasons["table"] == table].set_index("reason")["rows"].to_dict()
        assert found == expected, table
        assert all(count >= 2 for count in expected.values()), table
        assert len(expected) == 9, table  # every kind of mess, as in the core event exports
        assert quality.loc[table, "rows_read"] == planted["rows_written"]
        assert quality.loc[table, "rows_duplicate"] == planted["exact_duplicate"] >= 2
        assert quality.loc[table, "rows_clean"] == planted["rows_natural"]
    assert "category_unknown" in truth["planted"]["care_contacts"]  # an unknown care form
    assert result.value_issues.query("table in @synth.OPTIONAL_TABLES").empty


def test_clean_tables_hold_every_care_form_and_the_dental_cases(small) -> None:
    _, _, result = small
    contacts = result.tables["care_contacts"].frame
    assert set(contacts["care_type"].dropna()) == {"emergency", "primary", "inpatient", "other"}
    assert not contacts.duplicated(["child_id", "contact_date", "care_type"]).any()
    given = contacts["contact_reason"].notna().mean()
    assert 0.5 < given < 0.7  # an optional orsak, in about 60 % of the rows
    dental = result.tables["dental"].frame
    not_examined = dental["examined"].eq(False).fillna(False).astype(bool)
    assert not_examined.sum() > 0 and dental.loc[not_examined, "deft"].isna().all()
    assert dental.loc[~not_examined, "deft"].notna().all()
    assert dental["examined"].isna().sum() > 0  # undersokt blank, deft given: examined
    assert (dental["child_id"].value_counts() >= 2).any()  # two rows: a rebooking or two exams
    deft = dental["deft"].dropna()
    assert deft.between(0, 20).all() and (deft == 0).mean() > 0.5


def test_the_exports_are_named_in_study_yml_and_written_like_regional_exports(small) -> None:
    folder, truth, _ = small
    inputs = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))["inputs"]
    assert inputs["care_contacts"] == "vardkontakter.csv" and inputs["dental"] == "tandhalsa.csv"
    care = (folder / "vardkontakter.csv").read_bytes()
    assert care.startswith(b"\xef\xbb\xbfpersonnummer;datum;vardform;orsak\r\n")
    dental = (folder / "tandhalsa.csv").read_bytes()
    assert dental.startswith(b"personnummer;datum;deft;undersokt\r\n")
    frame = pd.read_csv(folder / "vardkontakter.csv", sep=";", encoding="utf-8-sig", dtype=str,
                        keep_default_na=False)
    spellings = set(frame["vardform"])
    assert {"akut", "Akutmottagning", "barnakuten", "primärvård", "Vårdcentral", "slutenvård",
            "övrigt"} <= spellings
    assert not frame["orsak"].str.contains(PNR_LIKE).any()  # no personal data in the reason
    dates = frame["datum"]
    assert dates.str.fullmatch(r"\d{8}").any() and dates.str.fullmatch(r"\d{2}/\d{2}/\d{4}").any()
    assert truth["files"]["dental"] == {"file": "tandhalsa.csv", "format": "csv", "sheet": None,
                                        "delimiter": ";", "encoding": "cp1252",
                                        "rows": truth["planted"]["dental"]["rows_written"]}


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_same_bytes_and_the_core_exports_do_not_depend_on_care(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synth.study, "_CHUNK_CHILDREN", 400)  # three chunks: counters carry over
    null = {effect: 1.0 for effect in synth.DEFAULT_CARE_EFFECTS}
    first = synth.write_synthetic_study(tmp_path / "first", n_children=1000, seed=4)
    synth.write_synthetic_study(tmp_path / "again", n_children=1000, seed=4)
    without = synth.write_synthetic_study(tmp_path / "null", n_children=1000, seed=4,
                                          care_effects=null)
    assert _hashes(tmp_path / "again") == _hashes(tmp_path / "first")
    care_files = {first.files[table].name for table in synth.OPTIONAL_TABLES}
    core = _hashes(tmp_path / "first").keys() - care_files - {"truth.json"}
    other = _hashes(tmp_path / "null")
    assert all(other[name] == _hashes(tmp_path / "first")[name] for name in core)
    assert all(other[name] != _hashes(tmp_path / "first")[name] for name in care_files)
    planted = _truth(tmp_path / "null")["healthcare"]["planted"]
    assert planted["emergency_rate_ratio_itt"] == 1.0 and planted["caries_3y_att_itt"] == 0
    assert _truth(tmp_path / "null")["healthcare"]["indicators"]["care_any_emergency_24m"][
        "att_itt"] == 0
    assert without.rows["care_contacts"] != first.rows["care_contacts"]


def test_an_unknown_care_effect_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown effect 'emergency'"):
        synth.write_synthetic_study(tmp_path, n_children=10, care_effects={"emergency": 0.8})
    with pytest.raises(ValueError, match="positive"):
        synth.write_synthetic_study(tmp_path, n_children=10, care_effects={"dental_caries": 0.0})


def test_truth_documents_the_planted_effects(small) -> None:
    _, truth, _ = small
    parameters = truth["parameters"]["healthcare_and_dental"]
    assert parameters["effects_among_accepting"]["care_emergency_rate_ratio"] == 0.8
    assert parameters["care_age_bands_days"][0] == [3, 365]
    first_year, second_year, _ = parameters["care_base_rate_per_child_year"]["emergency"]
    assert first_year > second_year  # more emergency care in the first year
    planted = truth["healthcare"]["planted"]
    assert planted["emergency_rate_ratio_among_accepting"] == 0.8
    assert 0.8 < planted["emergency_rate_ratio_itt"] < 1  # decliners dilute it
    assert planted["caries_odds_ratio_among_accepting"] == 0.7
    rate = truth["healthcare"]["care_emergency_rate_24m"]
    assert set(rate["expected_per_child_year"]) == set(GROUPS)


# --- the pipeline's indicators recover the truth ----------------------------------------------

def _proportion(frame: pd.DataFrame, indicator: str, group: str) -> tuple[float, int]:
    values = frame.loc[frame["group"] == group, indicator].dropna()
    return float(values.astype(float).mean()) if len(values) else math.nan, len(values)


@pytest.mark.parametrize(("indicator", "table"), [
    ("care_any_emergency_24m", "care"), ("care_inpatient_24m", "care"),
    ("dental_caries_3y", "dental"), ("dental_caries_3y_examined", "dental_examined")])
def test_shares_within_sampling_error_of_truth(large, indicator: str, table: str) -> None:
    truth = large["truth"]["indicators"][indicator]
    column = indicator.removesuffix("_examined")
    for group in GROUPS:
        observed, n = _proportion(large[table], column, group)
        expected_n = truth["n"][group]
        # a few children cross an age limit by a planted birth-date conflict or duplicate
        assert abs(n - expected_n) <= max(3, 0.01 * expected_n), (indicator, group, n, expected_n)
        if expected_n == 0:  # dental at 3 years: nobody born after the start has reached 48 months
            assert truth["expected"][group] is None
            continue
        expected = truth["expected"][group]
        se = math.sqrt(expected * (1 - expected) / n)
        assert abs(observed - expected) <= TOLERANCE_SE * se, (
            f"{indicator} {group}: observed {observed:.4f} (n={n}), truth {expected:.4f}, SE {se:.4f}")


def test_dental_at_3_years_counts_children_born_after_the_start(large) -> None:
    """No child born after the start has reached 48 months by the extraction date (48 months
    after 2020-09-01 is after it); those examined at or after 36 months are counted, as their
    nearest examination cannot change."""
    truth = large["truth"]["indicators"]["dental_caries_3y"]
    examined = large["truth"]["indicators"]["dental_caries_3y_examined"]
    for group in ("intervention", "comparison"):
        assert 0 < truth["n"][group] < examined["n"][group]
    assert truth["n"]["intervention_pre"] > 500 and truth["n"]["comparison_pre"] > 500


@pytest.mark.parametrize("table", ["dental", "dental_examined"])
def test_mean_deft_within_sampling_error_of_truth(large, table: str) -> None:
    indicator = "dental_deft_3y" + ("_examined" if table == "dental_examined" else "")
    truth = large["truth"]["indicators"][indicator]
    frame = large[table]
    for group in GROUPS:
        deft = frame.loc[frame["group"] == group, "dental_deft_3y"].dropna().astype(float)
        if truth["n"][group] == 0:
            assert deft.empty
            continue
        se = deft.std(ddof=1) / math.sqrt(len(deft))
        expected = truth["expected"][group]
        assert abs(deft.mean() - expected) <= TOLERANCE_SE * se, (group, deft.mean(), expected, se)


def test_emergency_rate_within_sampling_error_of_truth(large) -> None:
    truth = large["truth"]["care_emergency_rate_24m"]
    care = large["care"]
    for group in GROUPS:
        rows = care[care["group"] == group]
        years = float(rows["care_followup_years_24m"].sum())
        contacts = int(rows["care_emergency_contacts_24m"].sum())
        assert abs(years - truth["child_years"][group]) <= 0.002 * truth["child_years"][group]
        expected = truth["expected_per_child_year"][group]
        se = math.sqrt(expected * years) / years  # Poisson, given the children
        assert abs(contacts / years - expected) <= TOLERANCE_SE * se, (
            group, contacts / years, expected, se)


def test_the_planted_effects_are_recovered_in_the_designs_terms(large) -> None:
    """The observed DiD of the emergency rate and of caries lies within sampling error of the
    truth's, and the truth's is a reduction."""
    truth = large["truth"]
    care = large["care"]
    rates, variances = {}, {}
    for group in GROUPS:
        rows = care[care["group"] == group]
        years = float(rows["care_followup_years_24m"].sum())
        rates[group] = int(rows["care_emergency_contacts_24m"].sum()) / years
        variances[group] = rates[group] / years
    observed = ((rates["intervention"] - rates["intervention_pre"])
                - (rates["comparison"] - rates["comparison_pre"]))
    se = math.sqrt(sum(variances.values()))
    expected = truth["planted"]["emergency_rate_did_per_child_year"]
    assert expected < 0 and abs(observed - expected) <= TOLERANCE_SE * se
    shares = {group: _proportion(large["dental_examined"], "dental_caries_3y", group)
              for group in GROUPS}
    observed = ((shares["intervention"][0] - shares["intervention_pre"][0])
                - (shares["comparison"][0] - shares["comparison_pre"][0]))
    se = math.sqrt(sum(p * (1 - p) / n for p, n in shares.values()))
    expected = truth["planted"]["caries_3y_did"]
    assert expected < 0 and abs(observed - expected) <= TOLERANCE_SE * se
    assert np.isclose(expected, truth["indicators"]["dental_caries_3y_examined"]["did_expected"])
