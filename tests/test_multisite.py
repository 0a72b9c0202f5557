"""Issue 15, many sites: `hembesok synth --sites`, `hembesok share` and `hembesok pool`.

One module fixture writes two synthetic municipalities (600 children each), runs them through
compare with the ordinary runner (two at a time) and shares each with the command line; the
tests then check what a site package may hold (and that the share is refused when a table
holds a personnummer, a pseudonym or a small count), that incompatible packages are refused
naming the difference, and pool the packages end to end. The coverage of the pooled interval
is tests/stats/test_meta_coverage.py's.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from pipeline import privacy
from pipeline.cli import main
from pipeline.errors import HembesokError
from pipeline.multisite.demo import run_sites
from pipeline.multisite.package import MEMBERS, package_problems, read_package, write_site_package
from pipeline.multisite.pool import pool_packages, pooled_table
from pipeline.multisite.report import indicator_sentences
from pipeline.pooling_figures import pooled_name
from pipeline.report_html import slug
from pipeline.stats import meta_analysis
from pipeline.synth.sites import SITE_COMMON_DID, write_synthetic_sites

pytestmark = pytest.mark.slow
CHILDREN = 600


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Two synthetic municipalities, run through compare and shared: root, folders, packages."""
    root = tmp_path_factory.mktemp("sites")
    out = root / "data_raw" / "kommuner"
    assert main(["synth", "--sites", "2", "--out", str(out), "--children", str(CHILDREN), "--seed", "4",
                 "--quiet"]) == 0
    folders = [out / f"kommuner-site{i}" for i in (1, 2)]
    run_sites(folders, root, jobs=2)
    for number, folder in enumerate(folders, start=1):
        assert main(["share", str(folder), "--root", str(root), "--label", f"Kommun {number}",
                     "--quiet"]) == 0
    packages = [root / "outputs" / f"kommuner-site{i}" / "share" / f"kommuner-site{i}-site.zip"
                for i in (1, 2)]
    return {"root": root, "out": out, "folders": folders, "packages": packages}


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rezipped(source: Path, target: Path, change_site) -> Path:  # noqa: ANN001 - a function of site.json
    members = _members(source)
    site = json.loads(members["site.json"])
    change_site(site)
    members["site.json"] = json.dumps(site).encode()
    with zipfile.ZipFile(target, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return target


# --- synth --sites ------------------------------------------------------------------------------

def test_sites_have_the_planted_common_effect_and_heterogeneity(sites: dict) -> None:
    truth = json.loads((sites["out"] / "truth.json").read_text(encoding="utf-8"))
    assert truth["sites"] == 2 and truth["common_did"] == SITE_COMMON_DID and truth["tau"] == 0.02
    for record, folder in zip(truth["site_list"], sites["folders"], strict=True):
        own = json.loads((folder / "truth.json").read_text(encoding="utf-8"))["indicators"]
        for indicator, target in record["target_did"].items():
            assert record["did_expected"][indicator] == pytest.approx(target, abs=1e-8)
            assert own[indicator]["did_expected"] == record["did_expected"][indicator]
            assert target == pytest.approx(SITE_COMMON_DID[indicator] + record["deviation"][indicator])
        assert "title: \"Syntetisk kommun" in (folder / "study.yml").read_text(encoding="utf-8")
    deviations = [r["deviation"]["vacc_mmr1_24m"] for r in truth["site_list"]]
    assert deviations[0] != deviations[1]


def test_same_seed_same_site_files(tmp_path: Path) -> None:
    def digests(folder: Path) -> dict[str, str]:
        return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(folder.rglob("*")) if p.is_file()}

    write_synthetic_sites(tmp_path / "a", 2, n_children=300, seed=9, name="k")
    write_synthetic_sites(tmp_path / "b", 2, n_children=300, seed=9, name="k")
    assert digests(tmp_path / "a") == digests(tmp_path / "b")


# --- share --------------------------------------------------------------------------------------

def test_a_site_package_holds_only_published_aggregates(sites: dict) -> None:
    root, folder, package = sites["root"], sites["folders"][0], sites["packages"][0]
    members = _members(package)
    assert sorted(members) == sorted(MEMBERS)
    extracted = root / "extracted"
    extracted.mkdir(exist_ok=True)
    for name, content in members.items():
        (extracted / name).write_bytes(content)
    assert package_problems(extracted, 5) == []  # personnummer, pseudonyms, counts below 5
    text = "\n".join(content.decode("utf-8") for content in members.values())
    assert privacy.find_personnummer_like(text) == [] and privacy.find_pseudonym_like(text) == []
    children = pd.read_parquet(root / "data_clean" / "kommuner-site1" / "clean" / "children.parquet")
    assert not any(pseudonym in text for pseudonym in children["child_id"].astype(str))
    raw = (folder / "barn.csv").read_text(encoding="utf-8-sig", errors="replace").splitlines()[1:50]
    numbers = [line.split(";")[0].split(",")[0].strip('"') for line in raw]
    assert not any(number and number in text for number in numbers)
    estimates = pd.read_csv(io.BytesIO(members["estimates.csv"]), dtype=str, keep_default_na=False)
    proportions = pd.read_csv(io.BytesIO(members["proportions.csv"]), dtype=str, keep_default_na=False)
    for frame, columns in ((estimates, ("n_intervention", "n_comparison")),
                           (proportions, ("n_denominator", "events"))):
        for value in frame[list(columns)].to_numpy().ravel():
            assert value == "" or value.startswith("<") or value == "0" or float(value) >= 5, value
    row = estimates[estimates["ci_low"] != ""].iloc[0]
    width = float(row["ci_high"]) - float(row["ci_low"])
    assert float(row["se"]) == pytest.approx(width / 3.919928, rel=1e-5)  # 2 x 1.959964
    site = json.loads(members["site.json"])
    assert site["label"] == "Kommun 1" and site["programme"]["family"] == "rinkeby"
    assert set(site["definitions"]["indicators"]) == set(estimates["indicator"])
    readme = members["README.md"].decode("utf-8")
    assert "# Resultatpaket från Kommun 1" in readme and "# Site package from Kommun 1" in readme
    assert json.loads(members["manifest.json"])["inputs_sha256"]


@pytest.mark.parametrize("column, planted, found", [
    ("caveats", "kontakt 19121212-1212", "personnummer-like"),
    ("reason", "bcdfghjklmnpqrstbcdf", "pseudonym-like"),
    ("n_intervention", "3", "count below 5"),
])
def test_the_share_is_refused_when_the_scan_finds_something(sites: dict, tmp_path: Path, column: str,
                                                             planted: str, found: str) -> None:
    """A copy of a run's outputs with one cell of summary.csv planted: no package is written."""
    source = sites["root"] / "outputs" / "kommuner-site1"
    outputs = tmp_path / "outputs" / "kommuner-site1"
    shutil.copytree(source, outputs, ignore=shutil.ignore_patterns("share"))
    summary = outputs / "tables" / "summary.csv"
    rows = list(csv.DictReader(summary.open(encoding="utf-8")))
    first = next(i for i, r in enumerate(rows) if r["area"] == "all")
    rows[first][column] = planted
    with summary.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(HembesokError, match=found) as refused:
        write_site_package(sites["folders"][0], tmp_path)
    assert "not written" in str(refused.value) and "19121212" not in str(refused.value)
    assert not (outputs / "share").exists()


def test_share_needs_a_current_run(sites: dict, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    folder = sites["folders"][0]
    assert main(["share", str(folder), "--root", str(tmp_path), "--quiet"]) == 1
    assert "run `hembesok run" in capsys.readouterr().err
    copy = tmp_path / "data_raw" / "changed"
    shutil.copytree(folder, copy)
    shutil.copytree(sites["root"] / "outputs" / "kommuner-site1", tmp_path / "outputs" / "kommuner-site1")
    with (copy / "barn.csv").open("ab") as handle:
        handle.write(b"\n")
    assert main(["share", str(copy), "--root", str(tmp_path), "--quiet"]) == 1
    error = capsys.readouterr().err
    assert "barn.csv" in error and "changed since" in error and "hembesok run" in error


# --- pool ---------------------------------------------------------------------------------------

def test_incompatible_packages_are_refused_naming_the_difference(sites: dict, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture) -> None:
    first, second = sites["packages"]

    def refused(*packages: Path) -> str:
        assert main(["pool", *map(str, packages), "--out", str(tmp_path / "pooled"), "--quiet"]) == 1
        return capsys.readouterr().err

    newer = _rezipped(second, tmp_path / "newer.zip",
                      lambda site: site["definitions"].update(version="2"))
    error = refused(first, newer)
    assert "indicator definitions version differs" in error and "newer.zip" in error and "2 in" in error
    other = _rezipped(second, tmp_path / "other.zip",
                      lambda site: site["programme"].update(family="skaggetorp", name="skaggetorp"))
    error = refused(first, other)
    assert "programme differs" in error and "skaggetorp in other.zip" in error and "rinkeby in" in error

    def screening(site: dict) -> None:
        site["language_screening"] = "30m"
        for indicator in site["definitions"]["indicators"]:
            if indicator.startswith("lang_"):
                site["definitions"]["indicators"][indicator] = "0" * 16

    error = refused(first, _rezipped(second, tmp_path / "screening.zip", screening))
    assert "indicator lang_screened is defined differently" in error and "language_screening: 30m" in error
    twice = tmp_path / "again.zip"
    shutil.copyfile(first, twice)
    assert "labelled 'Kommun 1'" in refused(first, twice)
    assert not (tmp_path / "pooled").exists()


def test_pool_end_to_end(sites: dict, capsys: pytest.CaptureFixture) -> None:
    out = sites["root"] / "outputs" / "pooled"
    arguments = ["pool", *map(str, sites["packages"]), "--out", str(out), "--jobs", "2"]
    assert main(arguments) == 0
    printed = capsys.readouterr().out
    assert "pooled 2 sites: Kommun 1, Kommun 2" in printed and "pooled_sv.html" in printed
    pooled = pd.read_csv(out / "tables" / "pooled.csv")
    indicators = list(dict.fromkeys(pooled["indicator"]))
    assert indicators[:3] == ["vacc_mmr1_24m", "bf_any_6m", "lang_no_deviation"]
    for indicator in indicators:
        rows = pooled[pooled["indicator"] == indicator]
        assert list(rows["row"]) == ["random_effects", "random_effects_unfloored", "fixed_effect", "site",
                                     "site"]
        sites_rows = rows[rows["row"] == "site"]
        kept = sites_rows[sites_rows["reason"].isna()]
        left = sites_rows[sites_rows["reason"].notna()]
        assert left["reason"].isin(["no_estimate", "no_interval", "not_estimable", "other_measure"]).all()
        random = rows[rows["row"] == "random_effects"].iloc[0]
        assert random["n_sites"] == len(kept)
        if len(kept) >= 2:
            assert kept["weight_percent"].sum() == pytest.approx(100, abs=1e-3)
            again = meta_analysis(kept["estimate"], kept["se"]).pooled
            assert random["estimate"] == pytest.approx(again.estimate, rel=1e-5)
        for language in ("sv", "en"):  # named after the indicator in the report's language
            names = {slug(pooled_name(indicator, language, ratio=ratio)) for ratio in (False, True)}
            figures = [path for name in names for path in (out / "figures" / f"pooled_{language}").glob(
                f"{'figur' if language == 'sv' else 'figure'}-*-{name}.*")]
            # no forest plot of an indicator no site has an estimate of: it would be an empty axis
            wanted = [".png", ".svg"] if len(kept) else []
            assert sorted(p.suffix for p in figures) == wanted, (indicator, language)
    shown = pooled[(pooled["row"] == "random_effects") & (pooled["n_sites"] > 0)]
    first, second = (slug(pooled_name(i, "sv")) for i in shown["indicator"][:2])
    assert (out / "figures" / "pooled_sv" / f"figur-1-{first}.png").is_file()
    assert (out / "figures" / "pooled_sv" / f"figur-2-{second}.svg").is_file()
    sv = (out / "reports" / "pooled_sv.html").read_text(encoding="utf-8")
    en = (out / "reports" / "pooled_en.html").read_text(encoding="utf-8")
    assert "inga barns uppgifter har slagits ihop" in sv and "no children&#x27;s data were pooled" in en
    # the overview's headers carry soft hyphens (eight columns: `tables.html`)
    assert "Sammanvägd effekt" in sv.replace("\xad", "") and "vacc_mmr1_24m" not in sv and 'lang="sv"' in sv
    assert "http://" not in sv.replace("http://www.w3.org", "") and "https://" not in sv
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [p["site"] for p in manifest["packages"]] == ["Kommun 1", "Kommun 2"]
    assert main([*arguments, "--quiet"]) == 0 and main(arguments) == 0
    assert "nothing changed" in capsys.readouterr().out


def test_no_effect_is_called_more_than_chance_when_its_interval_includes_zero(sites: dict) -> None:
    pooled = pool_packages([read_package(p) for p in sites["packages"]])
    for item in pooled:
        estimate = item.meta.pooled
        if estimate.ci_low is None:
            continue
        words = " ".join(indicator_sentences(item, pooled, "sv"))
        if estimate.ci_low <= 0 <= estimate.ci_high:
            assert item.verdict == "unclear"
            assert item.reason in ("interval_includes_null", "sites_agree_closely")
            assert "kan bero på slumpen" in words and "mer än slumpen rimligen" not in words
        if item.verdict in ("higher", "lower"):
            assert "mer än slumpen rimligen kan förklara" in words


def _with_estimates(package, indicator: str, **values: str):  # noqa: ANN001, ANN202
    estimates = package.estimates.copy()
    rows = estimates["indicator"] == indicator
    for column, value in values.items():
        estimates.loc[rows, column] = value
    return dataclasses.replace(package, estimates=estimates)


def test_a_site_without_an_estimate_is_listed_with_its_reason(sites: dict) -> None:
    first, second = (read_package(p) for p in sites["packages"])
    hidden = _with_estimates(second, "bf_any_6m", estimate="", ci_low="", ci_high="", se="",
                             verdict="suppressed", suppression="small_group")
    pooled = pool_packages([first, hidden])
    item = next(i for i in pooled if i.indicator == "bf_any_6m")
    assert item.meta.k == 1 and item.verdict == "not_estimable"
    site = next(s for s in item.sites if s.site == "Kommun 2")
    assert site.left_out == "not_estimable"
    table = pooled_table(pooled)
    row = table[(table["indicator"] == "bf_any_6m") & (table["site"] == "Kommun 2")].iloc[0]
    assert row["reason"] == "not_estimable" and "suppression=small_group" in row["reason_detail"]
    words = " ".join(indicator_sentences(item, pooled, "sv"))
    assert ("Ingår inte: Kommun 2 (kommunens skattning redovisas inte: minst en av grupperna har färre än 5 "
            "barn)") in words
    assert "bara Kommun 1 har en skattning" in words


def test_sites_that_agree_too_well_are_not_called_more_than_chance(sites: dict) -> None:
    """Two sites, nearly the same estimate, each ±10 points: the unfloored HKSJ interval is a
    fraction of a point wide and excludes 0, the floored one (the one reported) does not; the
    verdict is unclear and says why. Two sites that both show a clear effect (±1 point) are
    called higher: with two sites the t interval has 1 degree of freedom, and Holm multiplies p
    by the 3 primary indicators."""
    first, second = (read_package(p) for p in sites["packages"])
    close = [_with_estimates(first, "bf_any_6m", estimate="0.1", ci_low="0.002", ci_high="0.198", se="0.05"),
             _with_estimates(second, "bf_any_6m", estimate="0.1005", ci_low="0.0025", ci_high="0.1985",
                             se="0.05")]
    item = next(i for i in pool_packages(close) if i.indicator == "bf_any_6m")
    narrow = item.unfloored.pooled
    assert 0 < narrow.ci_low and narrow.ci_high - narrow.ci_low < 0.01
    assert item.meta.pooled.ci_low < 0 < item.meta.pooled.ci_high
    assert item.verdict == "unclear" and item.reason == "sites_agree_closely"
    assert "råkar ligga närmare varandra" in " ".join(indicator_sentences(item, [item], "sv"))
    # the demo's language indicator: the unfloored interval excludes 0 but Holm's p is 0.055; the
    # reader hears of the too-narrow interval (floored: about -0.99 to 2.0), not of the correction
    demo = [_with_estimates(first, "bf_any_6m", estimate="0.4939", ci_low="0.1790", ci_high="0.7795",
                            se="0.1532"),
            _with_estimates(second, "bf_any_6m", estimate="0.5235", ci_low="0.1588", ci_high="0.8759",
                            se="0.1829")]
    item = next(i for i in pool_packages(demo) if i.indicator == "bf_any_6m")
    assert 0 < item.unfloored.pooled.ci_low and item.p_adjusted >= 0.05
    assert item.meta.pooled.ci_low < 0 < item.meta.pooled.ci_high
    assert item.verdict == "unclear" and item.reason == "sites_agree_closely"
    clear = [_with_estimates(first, "bf_any_6m", estimate="0.2", ci_low="0.19", ci_high="0.21",
                             se="0.005"),
             _with_estimates(second, "bf_any_6m", estimate="0.201", ci_low="0.191", ci_high="0.211",
                             se="0.005")]
    item = next(i for i in pool_packages(clear) if i.indicator == "bf_any_6m")
    assert item.verdict == "higher", (item.reason, item.p_adjusted)


def test_doctests_of_the_package_module() -> None:
    import doctest

    from pipeline.multisite import package

    assert doctest.testmod(package).failed == 0
    assert privacy.find_pseudonym_like("bcdfghjklmnpqrstbcdf, Söderängen") == ["bcdfghjklmnpqrstbcdf"]
    assert privacy.find_pseudonym_like("bcdfghjklmnpqrstbcdfg strength") == []  # 21 letters, a word


def test_a_site_packages_readme_names_the_programme_in_each_language() -> None:
    from pipeline.multisite.package import readme

    site = {"label": "Kommun 1", "hembesok_version": "x", "study": "s", "extraction_date": "2024-06-30",
            "programme": {"name": "rinkeby", "title": "Rinkebymodellen",
                          "titles": {"sv": "Rinkebymodellen", "en": "the Rinkeby model"}},
            "design": {"type": "did"}, "min_cell": 5}
    swedish, english = readme(site).split("# ", 2)[1:]
    assert "utvärderingen av Rinkebymodellen i Kommun 1" in swedish
    assert "evaluation of the Rinkeby model in Kommun 1" in english
    del site["programme"]["titles"]  # a package before titles per language: its one title
    assert "evaluation of Rinkebymodellen in Kommun 1" in readme(site)
