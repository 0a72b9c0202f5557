"""A broken file stops the run with a message naming file and column, and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from studykit import STUDY, pnr, write_study

from pipeline.cli import main

ANALYSIS = ["--stages", "ingest", "clean", "cohort", "compare"]  # no reports: faster

A = pnr("20210304", "123")
GOOD = {
    "children": [
        f"{A};Norrby;ja;Sverige;gymnasial;nej;30;3500",
        f"{pnr('20210405', '246')};Söderby;ja;Sverige;gymnasial;nej;30;3500",
    ],
    "visits": [f"{A};2021-03-14;hembesök;genomfört;BVC-sjuksköterska;mamma;nej"],
    "breastfeeding": [f"{A};2021-03-10;helt ammad"],
    "vaccinations": [f"{A};2021-06-04;Infanrix hexa;1"],
    "language": [f"{A};2024-03-04;3 år;utan anmärkning;nej"],
}


def run_and_capture(folder: Path, root: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["run", str(folder), "--root", str(root), "--quiet", *ANALYSIS])
    err = capsys.readouterr().err
    assert code == 1, err
    assert not (root / "outputs").exists() or not any((root / "outputs").rglob("*.csv"))
    assert not any((root / "data_clean").rglob("*.parquet")) if (root / "data_clean").exists() else True
    return err


def test_missing_required_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_study(tmp_path / "s", GOOD)
    text = (
        (folder / "amning.csv")
        .read_text()
        .replace("personnummer;datum;amning", "personnummer;Datum för bedömning;amning")
    )
    (folder / "amning.csv").write_text(text)
    err = run_and_capture(folder, tmp_path / "root", capsys)
    assert "amning.csv (breastfeeding)" in err
    assert "'datum'" in err and "Datum för bedömning" in err
    assert "column_map: {breastfeeding: {'Datum för bedömning': datum}}" in err


def test_column_map_fixes_it(tmp_path: Path) -> None:
    folder = write_study(
        tmp_path / "s", GOOD, study={"column_map": {"breastfeeding": {"Datum för bedömning": "datum"}}}
    )
    text = (
        (folder / "amning.csv")
        .read_text()
        .replace("personnummer;datum;amning", "personnummer;Datum för bedömning;amning")
    )
    (folder / "amning.csv").write_text(text)
    assert main(["run", str(folder), "--root", str(tmp_path / "root"), "--quiet", *ANALYSIS]) == 0


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "empty"),
        (b"personnummer;datum;amning\n", "header row but no data rows"),
        (b"personnummer;datum;amning\n\x00\x01\x02\x00binary\x00", "unreadable encoding"),
        (
            b"personnummer;datum;amning\n"
            + "191212121212;2021-01-01;helt ammad Ã¥\n".encode()
            + b"\x81\x8d\x8f;2021;x\n",
            "unreadable encoding",
        ),
    ],
)
def test_unusable_file_stops_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str
) -> None:
    folder = write_study(tmp_path / "s", GOOD)
    (folder / "amning.csv").write_bytes(content)
    err = run_and_capture(folder, tmp_path / "root", capsys)
    assert "amning.csv" in err and expected in err


def test_broken_file_leaves_previous_outputs_whole(tmp_path: Path) -> None:
    folder = write_study(tmp_path / "s", GOOD)
    root = tmp_path / "root"
    assert main(["run", str(folder), "--root", str(root), "--quiet", *ANALYSIS]) == 0
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and p.suffix in (".csv", ".parquet")}
    (folder / "amning.csv").write_bytes(b"personnummer;datum;amning\n")
    assert main(["run", str(folder), "--root", str(root), "--quiet", *ANALYSIS]) == 1
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and p.suffix in (".csv", ".parquet")}
    assert before == after


def test_cp1252_and_comma_and_bom_files_read(tmp_path: Path) -> None:
    folder = write_study(tmp_path / "s", GOOD, encoding="cp1252")
    children = (folder / "barn.csv").read_text(encoding="cp1252").replace(";", ",")
    (folder / "barn.csv").write_bytes(b"\xef\xbb\xbf" + children.encode("utf-8"))
    assert main(["run", str(folder), "--root", str(tmp_path / "root"), "--quiet", *ANALYSIS]) == 0
    import pandas as pd

    children = pd.read_parquet(tmp_path / "root/data_clean/tiny/clean/children.parquet")
    assert sorted(children["area"]) == ["Norrby", "Söderby"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"programe": "rinkeby"}, "unknown key 'programe' (did you mean 'programme'?)"),
        ({"min_cell": "five"}, "min_cell"),
        ({"programme": "rinkby"}, "unknown programme preset 'rinkby' (did you mean 'rinkeby'?)"),
        (
            {"primary_indicators": ["vacc_mmr_24m"]},
            "unknown indicator 'vacc_mmr_24m' (did you mean 'vacc_mmr1_24m'?)",
        ),
        ({"covariates": ["mother_regio"]}, "unknown covariate 'mother_regio'"),
        (
            {"inputs": {**STUDY["inputs"], "language": "saknas.csv"}},
            "inputs.language: file 'saknas.csv' not found",
        ),
        ({"design": {**STUDY["design"], "comparison_areas": ["Norrby"]}}, "both intervention and comparison"),
        ({"design": {**STUDY["design"], "extra": 1}}, "design.extra: unknown key 'extra'"),
        ({"extraction_date": "30/06/2024"},
         "extraction_date: expected a date written as YYYY-MM-DD (e.g. 2024-06-30) (given: '30/06/2024')"),
        ({"design": {**STUDY["design"], "intervention_areas": "Norrby"}},
         "design.intervention_areas: expected a list, e.g. [Norrby] or one item per line starting "
         "with '- ' (given: 'Norrby')"),
        # a start after the data were taken out: the run gave a report of 0 against 0 children
        ({"design": {**STUDY["design"], "programme_start": "2024-09-01", "born_to": "2025-12-31"}},
         "design.programme_start (2024-09-01) is not before extraction_date (2024-06-30)"),
    ],
)
def test_study_file_problems_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict, message: str
) -> None:
    folder = write_study(tmp_path / "s", GOOD)
    config = yaml.safe_load((folder / "study.yml").read_text())
    config.update(change)
    (folder / "study.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
    assert main(["validate", str(folder)]) == 1
    assert message in capsys.readouterr().err


def test_a_date_that_does_not_exist_is_named_not_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`extraction_date: 2024-02-30` stopped validate and run with PyYAML's ValueError."""
    folder = write_study(tmp_path / "s", GOOD)
    text = (folder / "study.yml").read_text(encoding="utf-8")
    (folder / "study.yml").write_text(text.replace("extraction_date: '2024-06-30'",
                                                   "extraction_date: 2024-02-30"), encoding="utf-8")
    assert "2024-02-30" in (folder / "study.yml").read_text(encoding="utf-8")
    run = ["run", str(folder), "--root", str(tmp_path / "r"), "--quiet"]
    for command in (["validate", str(folder)], run):
        assert main(command) == 1
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err + captured.out
        assert ("'2024-02-30' is not a date that exists (day is out of range for month); write one as "
                "YYYY-MM-DD") in captured.err


def test_inline_programme(tmp_path: Path) -> None:
    programme = {
        "name": "own",
        "contacts": [
            {
                "id": "hv1",
                "kind": "home",
                "target_age_days": 10,
                "window_days": [0, 28],
                "professions": ["bvc_nurse", "interpreter"],
            }
        ],
    }
    folder = write_study(tmp_path / "s", GOOD, study={"programme": programme})
    from pipeline.config import load_study

    study = load_study(folder)
    assert study.programme.contacts[0].professions == ("bvc_nurse", "interpreter")
    bad = {**programme, "contacts": [{**programme["contacts"][0], "professions": ["nurse"]}]}
    folder = write_study(tmp_path / "t", GOOD, study={"programme": bad})
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown profession"):
        load_study(folder)


def test_presets_load() -> None:
    from pipeline.config import PRESETS, Programme, load_preset

    sizes = {name: len(Programme.model_validate(load_preset(name)).contacts) for name in PRESETS}
    assert sizes == {"rinkeby": 6, "skaggetorp": 8, "stis": 6}  # SPEC §2: 6, 6 + 2, as rinkeby


def test_real_study_without_key_stops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HEMBESOK_KEY", raising=False)
    monkeypatch.delenv("HEMBESOK_KEY_FILE", raising=False)
    folder = write_study(tmp_path / "s", GOOD, study={"synthetic": False})
    err = run_and_capture(folder, tmp_path / "root", capsys)
    assert "HEMBESOK_KEY" in err
    monkeypatch.setenv("HEMBESOK_KEY", "a-secret-that-is-long-enough")
    assert main(["run", str(folder), "--root", str(tmp_path / "root"), "--quiet", *ANALYSIS]) == 0


def test_personnummer_in_an_area_name_stops_the_run(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # An area named with a personnummer would be published in every table: the study file is
    # refused, its message masked (the output scan is the last guard, tested in test_publish).
    leaked = pnr("20180704", "157")
    design = {**STUDY["design"], "comparison_areas": [f"Söderby {leaked}"]}
    rows = {**GOOD, "children": [GOOD["children"][0],
                                 GOOD["children"][1].replace("Söderby", f"Söderby {leaked}")]}
    folder = write_study(tmp_path / "s", rows, study={"design": design})
    root = tmp_path / "root"
    assert main(["run", str(folder), "--root", str(root), "--quiet", *ANALYSIS]) == 1
    err = capsys.readouterr().err
    assert "design: the area name 'Söderby ########-####' holds a personnummer-like" in err
    assert leaked not in err and leaked[2:] not in err
    assert not (root / "outputs" / "tiny").exists()


@pytest.mark.parametrize("how", ["parent", "absolute", "symlink"])
def test_an_input_path_never_leads_out_of_the_study_folder(tmp_path: Path, how: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_study(tmp_path / "s", GOOD)
    outside = tmp_path / "elsewhere.csv"
    outside.write_text((folder / "amning.csv").read_text())
    named = {"parent": "../elsewhere.csv", "absolute": str(outside), "symlink": "amning_link.csv"}
    if how == "symlink":
        (folder / "amning_link.csv").symlink_to(outside)
    study = yaml.safe_load((folder / "study.yml").read_text())
    study["inputs"]["breastfeeding"] = named[how]
    (folder / "study.yml").write_text(yaml.safe_dump(study, allow_unicode=True))
    err = run_and_capture(folder, tmp_path / "root", capsys)
    assert "inputs.breastfeeding" in err and "outside the study folder" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("separator", ["-", "\u2013", " "], ids=["hyphen", "en_dash", "space"])
def test_a_personnummer_typed_into_another_column_is_masked_everywhere(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], separator: str) -> None:
    # a parent's number typed into free text and a category, its "-" as a word processor
    # makes it or a person types it
    other = pnr("19811218", "987").replace("-", separator)
    # 1 of 2 breastfeeding rows is rejected for its category: more than the default share
    folder = write_study(tmp_path / "s", GOOD, study={"max_rejected_share": 0.5})
    children = (folder / "barn.csv").read_text().splitlines()
    children[0] += ";avbojt_orsak"
    children[1] += f";ring mamma {other}"
    children[2] += ";"
    (folder / "barn.csv").write_text("\n".join(children) + "\n")
    amning = (folder / "amning.csv").read_text() + f"{A};2021-04-10;{other}\n"
    (folder / "amning.csv").write_text(amning)
    root = tmp_path / "root"
    assert main(["run", str(folder), "--root", str(root), "--quiet", *ANALYSIS]) == 0
    clean = root / "data_clean" / "tiny" / "clean"
    kept = pd.read_parquet(clean / "children.parquet")
    assert kept["declined_reason"].dropna().tolist() == [f"ring mamma ########{separator}####"]
    issues = pd.read_parquet(clean / "value_issues.parquet")
    masked = issues[issues["issue"] == "personnummer_masked"]
    assert sorted(masked["column"]) == ["bf_status", "declined_reason"]
    for path in [*clean.glob("*.parquet"), *(root / "outputs").rglob("*.csv")]:
        assert other not in path.read_bytes().decode("latin-1"), path
        assert other[2:] not in path.read_bytes().decode("latin-1"), path
    assert other not in capsys.readouterr().err


def test_the_public_demo_key_only_for_children_hembesok_synth_wrote(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("HEMBESOK_KEY", raising=False)
    monkeypatch.delenv("HEMBESOK_KEY_FILE", raising=False)
    # the demo's study.yml copied onto exports that synth did not write: no marker
    folder = write_study(tmp_path / "copied", GOOD)
    (folder / "synthetic.json").unlink()
    err = run_and_capture(folder, tmp_path / "root", capsys)
    assert "no valid synthetic.json" in err and "remove `synthetic: true`" in err
    # a marker from another study: none of these children are listed in it
    others = {**GOOD, "children": [f"{pnr('20200101', '111')};Norrby;ja;Sverige;gymnasial;nej;30;3500"]}
    other = write_study(tmp_path / "other", others)
    (folder / "synthetic.json").write_bytes((other / "synthetic.json").read_bytes())
    err = run_and_capture(folder, tmp_path / "root", capsys)
    assert "only 0% of the children in the export are ones `hembesok synth` wrote" in err
    # with a secret key of one's own, synthetic: true needs no marker
    monkeypatch.setenv("HEMBESOK_KEY", "0123456789abcdef" * 4)
    assert main(["run", str(folder), "--root", str(tmp_path / "root"), "--quiet", *ANALYSIS]) == 0
