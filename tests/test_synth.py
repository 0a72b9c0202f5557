"""The synthetic study generator: reproducible bytes, honest formats, exact mess, sane truth.

Every planted count in truth.json is counted back here from the files with simple checks
written independently of the generator (a Luhn check, a four-format date parser, the
schema's spelling lists).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from pipeline import followup, synth
from pipeline.schema import CATEGORY_VARIANTS, PROFESSION_VARIANTS
from pipeline.vaccines import product_for

EXTRACTION = dt.date(2024, 6, 30)
GROUPS = ("intervention", "comparison", "intervention_pre", "comparison_pre")
N = 600


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synth") / "study"
    synth.write_synthetic_study(folder, n_children=N, seed=1)
    return folder


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _truth(folder: Path) -> dict:
    return json.loads((folder / "truth.json").read_text(encoding="utf-8"))


def _load(folder: Path, table: str) -> pd.DataFrame:
    """A table as the raw file holds it: strings (and date cells from XLSX)."""
    info = _truth(folder)["files"][table]
    path = folder / info["file"]
    if info["format"] == "xlsx":
        workbook = openpyxl.load_workbook(path, read_only=True)
        rows = list(workbook[info["sheet"]].iter_rows(values_only=True))
        workbook.close()
        width = len(rows[0])
        body = [tuple(row) + (None,) * (width - len(row)) for row in rows[1:]]
        frame = pd.DataFrame(body, columns=rows[0], dtype=object)
        return frame.where(frame.notna(), "").map(lambda v: str(v) if isinstance(v, int) else v)
    return pd.read_csv(path, sep=info["delimiter"], encoding=info["encoding"], dtype=str,
                       keep_default_na=False)


# --- independent checks ---------------------------------------------------------------------

def _luhn_ok(ten: str) -> bool:
    total = 0
    for i, ch in enumerate(ten[:9]):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10 == int(ten[9])


def _pnr_kind(text: str) -> str:
    digits = text.replace("-", "")
    if not digits.isdigit():
        return "pnr_bad_characters"
    if len(digits) not in (10, 12):
        return "pnr_wrong_length"
    return "ok" if _luhn_ok(digits[-10:]) else "pnr_check_digit"


def _ten(text: str) -> str:
    return text.replace("-", "")[-10:]


def _pnr_birth(ten: str) -> dt.date:
    day = int(ten[4:6])
    return dt.date(2000 + int(ten[:2]), int(ten[2:4]), day - 60 if day > 60 else day)


def _parse_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    text = str(value)
    for pattern, form in ((r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d"), (r"\d{8}", "%Y%m%d"),
                          (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "%Y-%m-%d %H:%M"),
                          (r"\d{2}/\d{2}/\d{4}", "%d/%m/%Y")):
        if re.fullmatch(pattern, text):
            try:
                return dt.datetime.strptime(text, form).date()
            except ValueError:
                return None
    return None


def _label(text: str) -> str:
    return " ".join(str(text).lower().split())


_CATEGORY_COLUMNS = {
    "children": {"kon": "sex", "mor_fodelseregion": "region", "utbildning": "education",
                 "forstfodd": "boolean", "forsta_barn_i_sverige": "boolean", "tolkbehov": "boolean",
                 "tackat_ja": "boolean"},
    "visits": {"besokstyp": "visit_kind", "status": "visit_status", "narvarande": "parents_present",
               "tolk": "boolean"},
    "breastfeeding": {"amning": "breastfeeding"},
    "vaccinations": {},
    "language": {"screening": "screening", "resultat": "language_result",
                 "remiss_logoped": "boolean"},
    "care_contacts": {"vardform": "care_type"},
    "dental": {"undersokt": "boolean"},
}
_KEY = {"visits": ("Besöksdatum", "besokstyp"), "breastfeeding": ("datum",),
        "vaccinations": ("datum", "vaccin"), "language": ("screening",),
        "care_contacts": ("datum", "vardform"), "dental": ("datum",)}
_UNKNOWN_CATEGORY_COLUMN = {"visits": "status", "breastfeeding": "amning", "language": "resultat",
                            "care_contacts": "vardform"}
EVENT_TABLES = ("visits", "breastfeeding", "vaccinations", "language", "care_contacts", "dental")


def _count_back(folder: Path, table: str, children_pnr: set[str]) -> dict[str, int]:
    """Count every kind of planted mess in one event table from the file alone."""
    frame = _load(folder, table)
    kinds = frame["personnummer"].map(_pnr_kind)
    counts = {kind: int((kinds == kind).sum())
              for kind in ("pnr_check_digit", "pnr_bad_characters", "pnr_wrong_length")}
    valid = frame[kinds == "ok"]
    ten = valid["personnummer"].map(_ten)
    counts["unknown_child"] = int((~ten.isin(children_pnr)).sum())
    counts["samordningsnummer"] = int((ten.str[4:6].astype(int) > 60).sum())
    date_column = "Besöksdatum" if table == "visits" else "datum"
    dates = valid[date_column].map(_parse_date)
    counts["date_unparseable"] = int(dates.isna().sum())
    births = ten.map(_pnr_birth)
    parsed = dates.notna()
    counts["date_before_birth"] = int((dates[parsed] < births[parsed]).sum())
    counts["date_after_extraction"] = int((dates[parsed] > EXTRACTION).sum())
    counts["exact_duplicate"] = int(frame.duplicated().sum())
    if table == "vaccinations":
        counts["vaccine_unknown"] = int((~frame["vaccin"].isin(synth.VACCINE_NAMES_USED)).sum())
    elif table == "dental":
        counts[synth.DENTAL_MESS_KIND] = int((pd.to_numeric(frame["deft"]) > 20).sum())
    else:
        column = _UNKNOWN_CATEGORY_COLUMN[table]
        vocabulary = _CATEGORY_COLUMNS[table][column]
        counts["category_unknown"] = int((~frame[column].map(_label).isin(
            CATEGORY_VARIANTS[vocabulary])).sum())
    # conflicting duplicates: same normalised key among the rows that are otherwise clean
    in_range = pd.Series(False, index=valid.index)
    in_range[parsed] = (dates[parsed] >= births[parsed]) & (dates[parsed] <= EXTRACTION)
    if table == "dental":  # a deft out of range is that row's only fault
        in_range &= ~(pd.to_numeric(valid["deft"]) > 20)
    clean = valid[in_range & ten.isin(children_pnr)].drop_duplicates()
    key = pd.DataFrame({"pnr": clean["personnummer"].map(_ten)})
    for column in _KEY[table]:
        values = clean[column]
        key[column] = (values.map(_parse_date) if column in ("datum", "Besöksdatum")
                       else values.map(_label))
    counts["duplicate_conflict"] = int(key.duplicated().sum())
    return counts


def _children_count_back(folder: Path) -> tuple[dict[str, int], set[str]]:
    frame = _load(folder, "children")
    kinds = frame["personnummer"].map(_pnr_kind)
    counts = {kind: int((kinds == kind).sum())
              for kind in ("pnr_check_digit", "pnr_bad_characters", "pnr_wrong_length")}
    valid = frame[kinds == "ok"]
    ten = valid["personnummer"].map(_ten)
    counts["exact_duplicate"] = int(frame.duplicated().sum())
    counts["duplicate_conflict"] = int(ten.duplicated().sum()) - counts["exact_duplicate"]
    counts["samordningsnummer"] = int((ten.str[4:6].astype(int) > 60).sum())
    births = ten.map(_pnr_birth)
    stated = valid["fodelsedatum"].map(_parse_date)
    given = valid["fodelsedatum"] != ""
    counts["birth_date_conflict"] = int((given & (stated != births)).sum())
    male_by_pnr = ten.str[8].astype(int) % 2 == 1
    male_stated = valid["kon"].map(_label).map(CATEGORY_VARIANTS["sex"]) == "male"
    counts["sex_conflict"] = int((male_by_pnr != male_stated).sum())
    return counts, set(ten)


# --- reproducibility -------------------------------------------------------------------------

def test_same_seed_same_bytes_other_seed_other_bytes(study: Path, tmp_path: Path) -> None:
    synth.write_synthetic_study(tmp_path / "again", n_children=N, seed=1)
    synth.write_synthetic_study(tmp_path / "other", n_children=N, seed=2)
    first = _hashes(study)
    assert _hashes(tmp_path / "again") == first
    other = _hashes(tmp_path / "other")
    data_files = [name for name in first if name != "study.yml"]
    assert all(other[name] != first[name] for name in data_files)


# --- formats -------------------------------------------------------------------------------

def test_study_file_shape(study: Path) -> None:
    config = yaml.safe_load((study / "study.yml").read_text(encoding="utf-8"))
    assert config["programme"] == "rinkeby" and config["synthetic"] is True
    assert config["design"]["type"] == "did"
    assert config["design"]["programme_start"] == dt.date(2020, 9, 1)
    assert config["column_map"] == {"visits": {"Besöksdatum": "datum"}}
    assert set(config["inputs"]) == set(synth.HEADERS) | {p.EXPORT.name for p in followup.part_modules()}
    design = config["design"]
    # 2 + 8 areas: enough comparison areas for design-based inference over areas (issue 9)
    assert len(design["intervention_areas"]) == 2 and len(design["comparison_areas"]) >= 8
    areas = design["intervention_areas"] + design["comparison_areas"]
    assert len(set(areas)) == len(areas) and any(ch in "".join(areas) for ch in "åäöÅÄÖ")
    for spec in config["inputs"].values():
        assert (study / (spec if isinstance(spec, str) else spec["file"])).exists()


def test_encodings_delimiters_and_headers(study: Path) -> None:
    barn = (study / "barn.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        barn.decode("utf-8")
    text = barn.decode("cp1252")
    assert text.startswith("personnummer;fodelsedatum;kon;omrade")
    assert "Söderängen" in text and "\r\n" in text
    assert re.search(r";\d{2},\d;", text), "decimal commas in the ;-delimited file"
    vaccinations = (study / "vaccinationer.csv").read_bytes()
    assert vaccinations.startswith(b"\xef\xbb\xbfpersonnummer;datum;vaccin;dos")
    breastfeeding = (study / "amning.csv").read_bytes()
    assert breastfeeding.startswith(b"personnummer,datum,amning")
    workbook = openpyxl.load_workbook(study / "besok.xlsx", read_only=True)
    assert workbook.sheetnames == ["Besök"]
    workbook.close()
    for table, headers in synth.HEADERS.items():
        assert tuple(_load(study, table).columns) == headers
    visits = _load(study, "visits")
    assert any(isinstance(v, dt.datetime) for v in visits["Besöksdatum"])


def test_xlsx_has_fixed_document_dates(study: Path) -> None:
    workbook = openpyxl.load_workbook(study / "sprak.xlsx", read_only=True)
    assert workbook.properties.created == workbook.properties.modified == dt.datetime(2024, 6, 30)
    workbook.close()


def test_every_spelling_is_one_the_pipeline_knows(study: Path) -> None:
    for vocabulary, codes in synth.CATEGORY_SPELLINGS.items():
        for code, spellings in codes.items():
            for spelling, _ in spellings:
                assert CATEGORY_VARIANTS[vocabulary][_label(spelling)] == code, spelling
    for spellings in synth.PROFESSION_SPELLINGS.values():
        for spelling, _ in spellings:
            for part in filter(None, (p.strip() for p in spelling.split(","))):
                assert _label(part) in PROFESSION_VARIANTS
    truth = _truth(study)
    for table, columns in _CATEGORY_COLUMNS.items():
        frame = _load(study, table)
        for column, vocabulary in columns.items():
            labels = frame[column].map(_label)
            unknown = labels[(labels != "") & ~labels.isin(CATEGORY_VARIANTS[vocabulary])]
            expected = (truth["planted"][table].get("category_unknown", 0)
                        if column == _UNKNOWN_CATEGORY_COLUMN.get(table) else 0)
            assert len(unknown) == expected, (table, column, unknown.unique())


def test_vaccine_names_map_to_their_antigens() -> None:
    for name in synth.VACCINE_NAMES_USED:
        product = product_for(name)
        assert product is not None, name
        assert set(synth.VACCINE_ANTIGENS_INTENDED[name]) <= set(product.antigens), name
    assert product_for(synth.VACCINE_UNKNOWN_NAME) is None


# --- personnummer and planted mess ------------------------------------------------------------

def test_natural_personnummer_are_valid_and_unique(study: Path) -> None:
    frame = _load(study, "children")
    truth = _truth(study)["planted"]["children"]
    valid = frame[frame["personnummer"].map(_pnr_kind) == "ok"]
    ten = valid["personnummer"].map(_ten)
    assert ten.nunique() == N
    assert len(valid) == N + truth["exact_duplicate"] + truth["duplicate_conflict"]
    male = ten.str[8].astype(int) % 2 == 1
    assert 0.4 < male.mean() < 0.6


def test_planted_counts_match_the_files(study: Path) -> None:
    _assert_planted(study)


def _assert_planted(folder: Path) -> None:
    planted = _truth(folder)["planted"]
    counts, children_pnr = _children_count_back(folder)
    for kind, count in counts.items():
        assert planted["children"][kind] == count, ("children", kind)
    for table in EVENT_TABLES:
        for kind, count in _count_back(folder, table, children_pnr).items():
            assert planted[table][kind] == count, (table, kind)
    for table, entry in planted.items():
        kinds = [k for k in synth.EVENT_MESS_KINDS + ("vaccine_unknown", synth.DENTAL_MESS_KIND)
                 if k in entry]
        if table == "children":
            kinds = list(synth.CHILDREN_EXTRA_KINDS)
        assert all(entry[k] >= 2 for k in kinds), table
        assert entry["samordningsnummer"] >= (2 if table in ("children", "visits") else 0)
        assert entry["rows_written"] == entry["rows_natural"] + sum(entry[k] for k in kinds)
        assert sum(entry["date_formats"].values()) <= entry["rows_written"]
        assert len(_load(folder, table)) == entry["rows_written"]
    assert planted["children"]["decimal_comma"] > 0


# --- truth ---------------------------------------------------------------------------------

MODELLED = ("bf_any_1w", "bf_any_2m", "bf_any_4m", "bf_any_6m", "bf_any_12m", "bf_excl_2m",
            "bf_excl_4m", "vacc_dtp3_24m", "vacc_pcv3_24m", "vacc_mmr1_24m", "vacc_rota_complete",
            "vacc_full_24m", "vacc_mmr1_timely", "lang_screened", "lang_no_deviation",
            "lang_referred")


def test_truth_has_rates_for_every_group(study: Path) -> None:
    indicators = _truth(study)["indicators"]
    assert set(indicators) == set(MODELLED)
    for indicator in MODELLED:
        entry = indicators[indicator]
        assert set(entry["expected"]) == set(GROUPS)
        assert all(0 < entry["expected"][g] < 1 and entry["n"][g] > 0 for g in GROUPS), indicator
        assert entry["restriction"]


def test_effects_have_the_configured_sign(study: Path, tmp_path: Path) -> None:
    base = _truth(study)["indicators"]
    for indicator in ("bf_any_6m", "vacc_mmr1_24m", "lang_screened", "vacc_dtp3_24m"):
        assert base[indicator]["att_itt"] > 0
        assert 0 < base[indicator]["att_itt"] < base[indicator]["att_per_protocol"]
    assert base["vacc_rota_complete"]["att_itt"] == 0
    null = {family: 1.0 for family in synth.DEFAULT_EFFECTS}
    synth.write_synthetic_study(tmp_path / "null", n_children=N, seed=1, effects=null)
    harmful = {**null, "vacc_mmr1": 0.5}
    synth.write_synthetic_study(tmp_path / "harm", n_children=N, seed=1, effects=harmful)
    without = _truth(tmp_path / "null")["indicators"]
    reversed_ = _truth(tmp_path / "harm")["indicators"]

    def difference(indicators: dict, indicator: str) -> float:
        expected = indicators[indicator]["expected"]
        return expected["intervention"] - expected["comparison"]

    for indicator in ("bf_any_6m", "bf_excl_4m", "vacc_mmr1_24m", "lang_screened"):
        assert difference(base, indicator) > difference(without, indicator), indicator
        assert without[indicator]["att_itt"] == 0
    assert difference(reversed_, "vacc_mmr1_24m") < difference(without, "vacc_mmr1_24m")
    assert reversed_["vacc_mmr1_24m"]["att_itt"] < 0


def test_areas_are_documented_and_differ_beyond_their_families(study: Path) -> None:
    parameters = _truth(study)["parameters"]
    areas = synth.AREAS
    assert list(parameters["area_shares"]) == list(areas)
    assert math.isclose(sum(parameters["area_shares"].values()), 1.0)
    screening = parameters["screening_by_area"]
    assert set(screening.values()) == {"30m", "36m"} and list(screening) == list(areas)
    disadvantage = parameters["area_disadvantage"]
    for family, effects in parameters["area_effects_log_odds"].items():
        assert list(effects) == list(areas), family
        # random variation: what the area's disadvantage does not explain still differs by area
        shift = parameters["area_shift_log_odds"][family]
        random_part = [effects[a] - disadvantage[a] * shift for a in areas]
        assert max(random_part) - min(random_part) > 0.05, family
    # selection: every intervention area has more mothers born outside Europe than the
    # comparison areas' average
    region = parameters["mother_region_by_area"]
    average = sum(region[a]["outside_europe"] for a in synth.COMPARISON_AREAS) / len(
        synth.COMPARISON_AREAS)
    assert all(region[a]["outside_europe"] > average for a in synth.INTERVENTION_AREAS)


def test_unknown_effect_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown effect"):
        synth.write_synthetic_study(tmp_path, n_children=10, effects={"mmr": 2.0})


# --- chunks ----------------------------------------------------------------------------------

def test_chunked_run_writes_every_child_once(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synth.study, "_CHUNK_CHILDREN", 500)  # the chunk loop's size
    n = 1600  # three full chunks and a partial one
    result = synth.write_synthetic_study(tmp_path, n_children=n, seed=3)
    children = _load(tmp_path, "children")
    valid = children[children["personnummer"].map(_pnr_kind) == "ok"]
    assert valid["personnummer"].map(_ten).nunique() == n
    assert result.rows["children"] == len(children)
    _assert_planted(tmp_path)
    # realised counts agree with the expected proportions (conservative binomial bound)
    for indicator, entry in _truth(tmp_path)["indicators"].items():
        expected = sum(entry["n"][g] * entry["expected"][g] for g in GROUPS)
        variance = sum(entry["n"][g] * entry["expected"][g] * (1 - entry["expected"][g])
                       for g in GROUPS)
        realised = sum(entry["realised_positive"].values())
        assert abs(realised - expected) <= 4.5 * math.sqrt(variance) + 1, indicator
