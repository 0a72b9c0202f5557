"""Each report wholly in its language: no raw ids, no English in a Swedish report and no
Swedish in an English one (SPEC §8; issue 8, item 12).

The visible text of every rendered HTML report is read (scripts, styles and embedded image
bytes left out). The study's own title, area and file names are the user's words and are
taken out first; package names in the manifest are names. What remains must hold none of
the other language's common words, and none of the pipeline's internal ids.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

RAW_IDS = ("moved_out_date", "git_commit", "in_study", "source_sha256", "risk_difference",
           "holm_primary", "bh_secondary", "vacc_mmr1", "bf_any_", "lang_no_deviation",
           "not_estimable", "interval_includes_null", "very_few_areas", "few_without", "SPEC",
           "intervention_pre", "comparison_pre", "nan", "None")
# The other language's common words (whole words, case-sensitive where a name could match).
ENGLISH = ("the", "and", "with", "children", "group", "share", "difference", "interval",
           "estimate", "Estimated", "could", "before", "after", "weighting", "Unadjusted",
           "Adjusted", "not shown", "ran", "cached", "Note", "Table", "Figure", "areas")
SWEDISH = ("och", "med", "barn", "andel", "skillnad", "procentenheter", "inte", "före",
           "efter", "områden", "Tabell", "Figur", "kördes", "Justerad", "Ojusterad", "gruppen")


class _Reader(HTMLParser):
    """The text a reader sees: no scripts, styles or code cells (the technical version's
    code is Python, not prose)."""

    SKIPPED = ("script", "style")
    VOID = {"img", "br", "hr", "meta", "link", "input", "col", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[bool] = []  # per open element: is it (inside) skipped content

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.VOID:
            return
        classes = dict(attrs).get("class") or ""
        skipped = (bool(self.stack) and self.stack[-1]) or tag in self.SKIPPED or \
            "jp-InputArea" in classes
        self.stack.append(skipped)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def visible_text(report: Path) -> str:
    reader = _Reader()
    reader.feed(report.read_text(encoding="utf-8"))
    return " ".join(reader.parts)


def without_user_words(body: str, study_folder: Path) -> str:
    import yaml

    config = yaml.safe_load((study_folder / "study.yml").read_text(encoding="utf-8"))
    title = config.get("title") or ""
    names = [*(title.values() if isinstance(title, dict) else [title]),
             *config["design"]["intervention_areas"], *config["design"]["comparison_areas"]]
    names += [spec if isinstance(spec, str) else spec["file"] for spec in config["inputs"].values()]
    for name in sorted(filter(None, names), key=len, reverse=True):
        body = body.replace(name, " ")
    return body


def words_found(body: str, words: tuple[str, ...]) -> list[str]:
    return [w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", body)]


# the design whose every row carries its areas' caveats, and one whose rows can carry none
@pytest.fixture(scope="module", params=["small_study", "concurrent_study"])
def reports(request: pytest.FixtureRequest) -> list[tuple[Path, str]]:
    root, folder, _ = request.getfixturevalue(request.param)
    found = sorted((root / "outputs" / folder.name / "reports").glob("*.html"))
    # the study's and each intervention area's, in both languages, and the technical one
    assert len(found) == 7, found
    return [(path, without_user_words(visible_text(path), folder)) for path in found]


def test_no_raw_ids_in_any_report(reports) -> None:
    for path, body in reports:
        assert not words_found(body, RAW_IDS), (path.name, words_found(body, RAW_IDS))


def test_swedish_reports_have_no_english_words(reports) -> None:
    swedish = [(p, b) for p, b in reports if "_sv" in p.stem]
    assert swedish
    for path, body in swedish:
        assert not words_found(body, ENGLISH), (path.name, words_found(body, ENGLISH))


def test_english_reports_have_no_swedish_words(reports) -> None:
    english = [(p, b) for p, b in reports if "_en" in p.stem]
    assert english
    for path, body in english:
        assert not words_found(body, SWEDISH), (path.name, words_found(body, SWEDISH))


def test_each_report_is_headed_by_the_title_in_its_language(reports) -> None:
    # the synthetic study's study.yml gives a title per language
    for path, _ in reports:
        page = path.read_text(encoding="utf-8")
        title = ("Syntetisk demonstrationsstudie" if "_sv" in path.stem
                 else "Synthetic demonstration study")
        other = ("Synthetic demonstration study" if "_sv" in path.stem
                 else "Syntetisk demonstrationsstudie")
        assert re.search(rf"<title>{title}( – | \(|</title>)", page), path.name
        assert re.search(rf"<h1[^>]*>{title}", page) and other not in page, path.name


def test_html_lang_matches_the_report(reports) -> None:
    for path, _ in reports:
        language = "sv" if "_sv" in path.stem else "en"
        assert f'<html lang="{language}"' in path.read_text(encoding="utf-8")[:500], path.name


SNAKE_CASE = re.compile(r"(?<![\w./-])[a-z]+(?:_[a-z0-9]+)+(?![\w-])")


def test_no_snake_case_id_in_a_committee_report(reports) -> None:
    """Any id of the code's own (a table, column, rating or reason: "dose_received",
    "not_estimable"), not only those RAW_IDS lists: an area report once said "Uppgifterna
    dose_received redovisas inte per område" and a balance table rated "not_estimable"."""
    committee = [(p, b) for p, b in reports if not p.stem.endswith("_technical")]
    assert committee
    for path, body in committee:
        assert not SNAKE_CASE.findall(body), (path.name, sorted(set(SNAKE_CASE.findall(body))))


def test_the_equity_caption_says_what_the_designs_subgroup_rows_compare(reports, request) -> None:
    """did: a DiD within each subgroup (it said "observed differences after the start" of rows
    holding children born before it too); concurrent: the groups after the start."""
    study = next(body for path, body in reports if path.stem.endswith("_study_sv"))
    did = "Skillnad-i-skillnader inom undergrupper (procentenheter, ojusterade)" in study
    after = "Observerade skillnader efter start i undergrupper (procentenheter, ojusterade)" in study
    historical = "Observerade skillnader mellan barn födda efter och före start i undergrupper" in study
    assert (did, after, historical) == {"small_study": (True, False, False),
                                        "concurrent_study": (False, True, False)}[
        request.node.callspec.params["reports"]]


def test_the_methods_and_the_durations_table_are_the_designs_own(reports, request) -> None:
    """A concurrent study's methods appendix listed the DiD's wild cluster bootstrap and its
    placebo test, and its breastfeeding duration's table of hazard ratios had a header and no
    row (its estimate is the discrete-time model's, not Cox's). Under did both stay."""
    design = {"small_study": "did", "concurrent_study": "concurrent"}[
        request.node.callspec.params["reports"]]
    path = next(path for path, _ in reports if path.stem.endswith("_study_sv"))
    page = path.read_text(encoding="utf-8")
    study = next(body for p, body in reports if p == path)
    listed = ("Placebotest av parallella trender" in study,
              "Skillnad-i-skillnader med osäkerhet per område" in study)
    assert listed == ((True, True) if design == "did" else (False, False))
    # a concurrent study's own test over the areas, in its methods and its appendix
    assert ("Randomiseringstest av vilka områden som fick programmet" in study) == (design == "concurrent")
    assert "Indikatorerna definieras som i studiens egen jämförelse" in study
    if design == "concurrent":  # the duration's table has its discrete-time hazard ratio
        caption = page.index("Amningens längd: hasardkvoter")
        table = page[caption:page.index("</table>", caption)]
        assert table.count("<tr") >= 2 and "Justerad (diskret tid" in table, table[:2000]


def test_an_area_reports_missing_data_table_says_it_is_the_whole_studys(reports) -> None:
    """An area report's table of missing values by group gave both intervention areas' children
    (680 of them, the area had 369) under "Intervention, after the start" without a word (a review)."""
    areas = [body for path, body in reports
             if "_study_" not in path.name and path.stem.endswith("_sv")]
    study = next(body for path, body in reports if path.stem.endswith("_study_sv"))
    assert areas
    note = "Uppgifterna om saknade värden per grupp redovisas inte per område; de gäller hela studien."
    for body in areas:
        start = body.index("Andel saknade uppgifter per grupp")
        assert note in body[start:start + 600]
    assert note not in study


def test_the_count_sections_say_their_p_is_not_tested_and_draw_no_empty_ratio_figure(reports,
                                                                                   request) -> None:
    """A DiD's deft read "−0.87 (−1.49 to −0.20), p 0.031" beside a figure of ratios saying "No
    data" and an intro promising a ratio (a review): its DiD is a difference in means alone, and
    no count estimate is in a multiplicity family or a test over the areas."""
    design = {"small_study": "did", "concurrent_study": "concurrent"}[
        request.node.callspec.params["reports"]]
    study = next(body for path, body in reports if path.stem.endswith("_study_sv"))
    assert study.count("prövas inte mot slumpen som indikatorerna i sammanfattningen") == 2
    dental = study[study.index("Antalet karierade, extraherade och fyllda mjölktänder"):]
    dental = dental[:dental.index("Uppföljning över tid")] if "Uppföljning över tid" in dental else dental
    assert ("Effekten anges som skillnad i medelvärde, med 95" in dental) == (design == "did")
    assert ("programmets skattade effekt som kvot" in dental) == (design != "did")
    assert "Inga uppgifter" not in dental
