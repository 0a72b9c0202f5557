"""Collaboration ratings (issue 12, item 2): hand-computed means, changes and spreads, the
radar's gaps, suppression, the section in both languages and the synthetic export."""

from __future__ import annotations

import datetime as dt
import math
import string
import typing
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from matplotlib.lines import Line2D
from scipy import stats

from pipeline import outputs, schema
from pipeline.followup import FigureBlock, TableBlock, Text
from pipeline.followup import collaboration as collab
from pipeline.parsing import parse_categories
from pipeline.publish.cells import _Pass
from pipeline.words import Words

T975_DF4 = 2.776445105  # t(0.975, 4), as printed in every t table (2.776)


def _rows(area: str, occasion: int, dimension: str, scores: list[float],
          professions: list[str] | None = None) -> list[dict]:
    professions = professions or ["parental_advisor"] * len(scores)
    return [{"area": area, "occasion": occasion, "profession": p, "dimension": dimension, "score": float(s)}
            for s, p in zip(scores, professions, strict=True)]


PA, OP, CMH = "parental_advisor", "open_preschool", "child_maternal_health"
THREE = [PA, OP, CMH]


@pytest.fixture
def small_export() -> pd.DataFrame:
    """Three districts, two occasions, two dimensions; B did not rate "Mål" at occasion 2."""
    rows = (
        _rows("A", 1, "Tillit", [4, 5, 6], THREE) + _rows("A", 1, "Mål", [3, 4, 5], THREE)
        + _rows("A", 2, "Tillit", [6, 7, 8, 9, 10], [PA, PA, OP, OP, CMH])
        + _rows("A", 2, "Mål", [3, 4, 5], THREE)
        + _rows("B", 1, "Tillit", [6, 7, 8], THREE) + _rows("B", 1, "Mål", [6, 7, 8], THREE)
        + _rows("B", 2, "Tillit", [7, 8, 9], THREE)
        + _rows("C", 1, "Tillit", [8, 9, 10], THREE) + _rows("C", 1, "Mål", [5, 6, 7], THREE)
        + _rows("C", 2, "Tillit", [8, 9, 10], THREE) + _rows("C", 2, "Mål", [5, 6, 7], THREE)
    )
    return pd.DataFrame(rows)


@pytest.fixture
def tables(small_export: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return collab.compute(small_export, SimpleNamespace(min_cell=3))


def _row(frame: pd.DataFrame, **where: object) -> pd.Series:
    mask = np.ones(len(frame), dtype=bool)
    for column, value in where.items():
        mask &= (frame[column] == value).to_numpy()
    assert mask.sum() == 1, where
    return frame.loc[mask].iloc[0]


def _publish(tables: dict[str, pd.DataFrame], min_cell: int) -> dict[str, pd.DataFrame]:
    """What publish_tables does with these rules, without the catalog the framework adds."""
    run = _Pass(min_cell, {n: f.reset_index(drop=True) for n, f in tables.items()})
    renders = {n: collab.PUBLISHERS[n](run, run.frames[n]) for n in run.frames}
    hidden = run.cells.protect()
    return {n: render(hidden) for n, render in renders.items()}


# --- the contract -------------------------------------------------------------------------------

def test_the_part_declares_its_export_outputs_and_rules() -> None:
    assert collab.EXPORT.required is False
    assert [c.header for c in collab.EXPORT.columns] == ["omrade", "tillfalle", "yrkesgrupp", "dimension",
                                                         "poang"]
    kinds = typing.get_args(schema.ColumnKind)
    for column in collab.EXPORT.columns:
        assert column.kind in kinds, column.name
        if column.kind == "category":
            assert column.vocabulary in collab.VOCABULARIES, column.name
    assert {t.stage for t in collab.OUTPUTS} == {"followup"}
    assert set(collab.PUBLISHERS) == {t.name for t in collab.OUTPUTS}
    for name, kind in collab.NEW_COLUMN_KINDS.items():
        assert kind in outputs.KINDS
        assert outputs.COLUMN_KINDS.get(name, kind) == kind, name  # no clash with the catalog's
    for table in collab.OUTPUTS:
        assert isinstance(table.title, Words) and isinstance(table.rows, Words)
        assert not table.counts_export_rows


def test_every_word_says_the_same_in_both_languages() -> None:
    found = [w for name, value in vars(collab).items() if name.isupper()
             for w in ([value] if isinstance(value, Words) else
                       list(value.values()) if isinstance(value, dict) else [])
             if isinstance(w, Words)]
    found += [t.title for t in collab.OUTPUTS] + [t.rows for t in collab.OUTPUTS]
    assert len(found) > 40

    def fields(words: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(words) if f is not None}
    for words in found:
        assert words.sv.strip() and words.en.strip()
        assert fields(words.sv) == fields(words.en), words


def test_compute_returns_every_table_in_its_declared_columns(tables: dict[str, pd.DataFrame]) -> None:
    for table in collab.OUTPUTS:
        assert list(tables[table.name].columns) == list(table.columns), table.name
    assert str(tables[collab.MEANS]["respondents"].dtype) == "Int64"
    empty = collab.compute(pd.DataFrame(columns=["area", "occasion", "profession", "dimension", "score"]),
                           SimpleNamespace(min_cell=5))
    assert all(frame.empty for frame in empty.values())


# --- validation ---------------------------------------------------------------------------------

def test_scores_outside_the_scale_are_rejected_with_a_reason(small_export: pd.DataFrame) -> None:
    export = small_export.assign(source_row=range(2, len(small_export) + 2), source_file="samverkan.csv")
    export.loc[[0, 5], "score"] = [0.0, 11.0]
    export.loc[1, "score"] = 10.0  # the top of the scale is on it
    kept, rejects = collab.reject_out_of_range(export)
    assert len(kept) == len(export) - 2
    assert rejects["reason"].tolist() == ["score_out_of_range"] * 2
    assert rejects["source_row"].tolist() == [2, 7]
    assert rejects["value"].tolist() == ["0", "11"]
    assert list(rejects.columns) == collab.REJECT_COLUMNS
    assert set(rejects["reason"]) <= set(collab.REJECT_REASONS)
    with pytest.raises(ValueError, match="outside the scale 1–10"):
        collab.compute(export, SimpleNamespace(min_cell=3))


# --- hand-computed statistics -------------------------------------------------------------------

def test_means_by_hand_and_a_missing_dimension_is_missing_not_zero(tables: dict[str, pd.DataFrame]) -> None:
    means = tables[collab.MEANS]
    assert len(means) == 3 * 2 * 2  # every district × its occasions × every dimension
    a_trust = _row(means, area="A", occasion=2, dimension="Tillit")
    assert a_trust["respondents"] == 5 and a_trust["mean"] == 8.0
    assert a_trust["sd"] == pytest.approx(math.sqrt(2.5))
    assert _row(means, area="B", occasion=1, dimension="Mål")["mean"] == 7.0
    missing = _row(means, area="B", occasion=2, dimension="Mål")
    assert missing["respondents"] == 0 and np.isnan(missing["mean"]) and np.isnan(missing["sd"])
    assert list(dict.fromkeys(means["dimension"])) == ["Tillit", "Mål"]  # the export's order


def test_respondents_are_summed_over_professions(tables: dict[str, pd.DataFrame]) -> None:
    respondents = tables[collab.RESPONDENTS]
    # A at occasion 2: Tillit from 2 advisors, 2 pre-school staff, 1 nurse; Mål from one of each
    a2 = _row(respondents, area="A", occasion=2)
    assert a2["respondents"] == 2 + 2 + 1
    assert a2["professions"] == "parental_advisor|open_preschool|child_maternal_health"
    assert _row(respondents, area="B", occasion=2)["respondents"] == 3
    assert "all" not in set(respondents["area"])


def test_change_first_to_last_by_hand(tables: dict[str, pd.DataFrame]) -> None:
    change = tables[collab.CHANGE]
    # A, Tillit: [4, 5, 6] then [6, 7, 8, 9, 10]: difference 3, se² = 1/3 + 2.5/5 = 5/6,
    # Welch df = (5/6)² / ((1/3)²/2 + (1/2)²/4) = 100/17
    a = _row(change, area="A", dimension="Tillit")
    assert (a["occasion_first"], a["occasion_last"]) == (1, 2)
    assert a["difference"] == pytest.approx(3.0)
    assert a["df"] == pytest.approx(100 / 17)
    half = stats.t.ppf(0.975, 100 / 17) * math.sqrt(5 / 6)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((3 - half, 3 + half))
    # B, Tillit: [6, 7, 8] then [7, 8, 9]: 1 ± t(0.975, 4) · sqrt(2/3)
    b = _row(change, area="B", dimension="Tillit")
    assert b["df"] == pytest.approx(4.0)
    assert (b["ci_low"], b["ci_high"]) == pytest.approx((1 - T975_DF4 * math.sqrt(2 / 3),
                                                         1 + T975_DF4 * math.sqrt(2 / 3)), abs=1e-6)
    assert (b["ci_low"], b["ci_high"]) == pytest.approx((-1.266958, 3.266958), abs=1e-6)
    # C, Tillit: no change; its interval is symmetric about 0
    c = _row(change, area="C", dimension="Tillit")
    assert c["difference"] == 0 and c["ci_low"] == pytest.approx(-c["ci_high"])
    # B did not rate Mål at its last occasion: no change, and a note saying why
    b_goal = _row(change, area="B", dimension="Mål")
    assert b_goal["note"] == "not_rated_last" and b_goal["respondents_last"] == 0
    assert np.isnan(b_goal["difference"]) and np.isnan(b_goal["ci_low"])
    assert b_goal["mean_first"] == 7.0


def test_welch_interval_matches_the_published_sleep_example() -> None:
    """R's t.test(extra ~ group, data = sleep) (Welch): t = -1.8608, df = 17.776,
    p = 0.07939, 95 % CI of group 1 - group 2: -3.3654832 to 0.2054832. The scores are
    shifted by +3 to lie on the 1-10 scale, which changes no difference: group 1 rated at the
    first occasion, group 2 at the last."""
    group1 = np.array([0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]) + 3
    group2 = np.array([1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]) + 3
    rows = _rows("A", 1, "Tillit", list(group1)) + _rows("A", 2, "Tillit", list(group2))
    welch = _row(collab.compute(pd.DataFrame(rows), SimpleNamespace(min_cell=1))[collab.CHANGE],
                 area="A", dimension="Tillit")
    assert welch["difference"] == pytest.approx(1.58)
    assert welch["df"] == pytest.approx(17.776, abs=5e-4)
    assert welch["p_value"] == pytest.approx(0.07939, abs=5e-6)
    assert (welch["ci_low"], welch["ci_high"]) == pytest.approx((-0.2054832, 3.3654832), abs=1e-6)


def test_change_notes_when_no_interval_can_be_made() -> None:
    rows = (_rows("A", 1, "Tillit", [5]) + _rows("A", 3, "Tillit", [6, 7])
            + _rows("A", 1, "Mål", [5, 5]) + _rows("A", 3, "Mål", [6, 6])
            + _rows("B", 2, "Tillit", [5, 6]) + _rows("B", 2, "Mål", [5, 6]))
    change = collab.compute(pd.DataFrame(rows), SimpleNamespace(min_cell=1))[collab.CHANGE]
    assert _row(change, area="A", dimension="Tillit")["note"] == "too_few"
    equal = _row(change, area="A", dimension="Mål")
    assert equal["note"] == "no_variance" and equal["difference"] == 1 and np.isnan(equal["ci_low"])
    assert _row(change, area="B", dimension="Tillit")["note"] == "one_occasion"


def test_spread_between_districts_by_hand(tables: dict[str, pd.DataFrame]) -> None:
    spread = tables[collab.SPREAD]
    # Tillit, occasion 1: district means 5, 7, 9 -> SD 2, range 4; each s²/n = 1/3
    first = _row(spread, occasion=1, dimension="Tillit")
    assert first["districts"] == 3 and first["mean_of_means"] == 7
    assert first["sd_between"] == pytest.approx(2.0) and first["range_between"] == 4
    assert first["sd_sampling"] == pytest.approx(math.sqrt(1 / 3))
    # occasion 2: 8, 8, 9 -> SD sqrt(1/3), range 1; s²/n = 2.5/5, 1/3, 1/3
    second = _row(spread, occasion=2, dimension="Tillit")
    assert second["sd_between"] == pytest.approx(math.sqrt(1 / 3)) and second["range_between"] == 1
    assert second["sd_sampling"] == pytest.approx(math.sqrt((0.5 + 2 / 3) / 3))
    # Mål, occasion 2: B did not rate it, so the spread is over A and C only (4, 6)
    goal = _row(spread, occasion=2, dimension="Mål")
    assert goal["districts"] == 2 and goal["sd_between"] == pytest.approx(math.sqrt(2))
    assert _row(spread, occasion=1, dimension="Mål")["sd_between"] == pytest.approx(math.sqrt(7 / 3))


def test_convergence_compares_the_same_districts(tables: dict[str, pd.DataFrame]) -> None:
    convergence = tables[collab.CONVERGENCE]
    trust = _row(convergence, dimension="Tillit")
    assert (trust["sd_first"], trust["sd_last"]) == pytest.approx((2.0, math.sqrt(1 / 3)))
    assert trust["sd_change"] == pytest.approx(math.sqrt(1 / 3) - 2)
    assert trust["spread_change"] == "narrower" and trust["districts"] == 3
    # Mål: B has no mean at occasion 2, so A and C alone: 4, 6 at both occasions
    goal = _row(convergence, dimension="Mål")
    assert goal["districts"] == 2 and goal["sd_first"] == pytest.approx(math.sqrt(2))
    assert goal["sd_change"] == pytest.approx(0) and goal["spread_change"] == "unchanged"


def test_means_below_min_cell_stay_out_of_the_spread(small_export: pd.DataFrame) -> None:
    extra = pd.DataFrame(_rows("D", 1, "Tillit", [1, 2, 3, 4]) + _rows("D", 2, "Tillit", [1, 2, 3, 4, 5]))
    tables = collab.compute(pd.concat([small_export, extra], ignore_index=True), SimpleNamespace(min_cell=5))
    spread = tables[collab.SPREAD]
    assert _row(spread, occasion=1, dimension="Tillit")["districts"] == 0  # every district below 5
    second = _row(spread, occasion=2, dimension="Tillit")
    assert second["districts"] == 2 and second["mean_of_means"] == pytest.approx((8 + 3) / 2)
    assert _row(tables[collab.CONVERGENCE], dimension="Tillit")["spread_change"] == "not_comparable"


# --- suppression --------------------------------------------------------------------------------

def test_small_counts_of_respondents_are_hidden_with_their_means(tables: dict[str, pd.DataFrame]) -> None:
    published = _publish(tables, min_cell=5)
    respondents = published[collab.RESPONDENTS]
    assert _row(respondents, area="A", occasion=2)["respondents"] == 5
    hidden = _row(respondents, area="A", occasion=1)
    assert hidden["respondents"] == "<5" and hidden["suppressed"]
    means = published[collab.MEANS]
    shown = _row(means, area="A", occasion=2, dimension="Tillit")
    assert shown["respondents"] == 5 and shown["mean"] == 8.0 and not shown["suppressed"]
    small = _row(means, area="A", occasion=2, dimension="Mål")
    assert small["respondents"] == "<5" and np.isnan(small["mean"]) and np.isnan(small["sd"])
    assert small["suppression"] == "small_group"
    missing = _row(means, area="B", occasion=2, dimension="Mål")  # nobody rated it: 0, not hidden
    assert missing["respondents"] == 0 and not missing["suppressed"]
    change = published[collab.CHANGE]
    a = _row(change, area="A", dimension="Tillit")  # 3 respondents at the first occasion
    assert a["respondents_first"] == "<5" and a["respondents_last"] == 5
    assert np.isnan(a["mean_first"]) and a["mean_last"] == 8.0
    assert all(np.isnan(a[c]) for c in ("difference", "ci_low", "ci_high", "df", "p_value"))


def test_a_spread_resting_on_a_hidden_mean_is_blank(tables: dict[str, pd.DataFrame]) -> None:
    """The spread was computed with min_cell 3; published with 5 its means are hidden, so a
    spread over them would give them back."""
    published = _publish(tables, min_cell=5)
    spread = _row(published[collab.SPREAD], occasion=1, dimension="Tillit")
    assert spread["suppressed"] and np.isnan(spread["sd_between"]) and np.isnan(spread["mean_of_means"])
    convergence = _row(published[collab.CONVERGENCE], dimension="Tillit")
    assert convergence["spread_change"] == "" and np.isnan(convergence["sd_first"])
    same = _publish(tables, min_cell=3)
    assert not _row(same[collab.SPREAD], occasion=1, dimension="Tillit")["suppressed"]
    assert _row(same[collab.CONVERGENCE], dimension="Tillit")["spread_change"] == "narrower"


# --- the radar ----------------------------------------------------------------------------------

def _radar_means() -> pd.DataFrame:
    """Published means of one district: Mål not rated at occasion 2, Tid hidden at occasion 3."""
    rows = []
    by_occasion = {1: (5.0, 6.0, 4.0, 5.5), 2: (6.0, np.nan, 5.0, 6.5), 3: (7.0, 7.5, np.nan, 7.0)}
    for occasion, values in by_occasion.items():
        for dimension, mean in zip(("Tillit", "Mål", "Tid", "Rutiner"), values, strict=True):
            respondents: object = 8
            if occasion == 2 and dimension == "Mål":
                respondents = 0
            if occasion == 3 and dimension == "Tid":
                respondents = "<5"
            rows.append({"area": "Norrbyåsen", "occasion": occasion, "dimension": dimension,
                         "respondents": respondents, "mean": mean, "sd": 1.0})
    return pd.DataFrame(rows)


def _occasion_lines(figure) -> dict[str, Line2D]:
    ax = figure.axes[0]
    return {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}


def test_the_radar_title_stands_clear_of_the_label_at_the_top() -> None:
    """The district's name above the rim's labels, not over the top one (the report figures'
    settings put an axes' title just above it, which on polar axes is where that label is)."""
    figure = collab.radar_figure(_radar_means(), "Norrbyåsen", "sv")
    figure.canvas.draw()
    ax = figure.axes[0]
    renderer = figure.canvas.get_renderer()
    title = ax.title.get_window_extent(renderer)
    rim = [label.get_window_extent(renderer) for label in ax.get_xticklabels() if label.get_text()]
    assert rim and all(title.y0 >= box.y1 or not title.overlaps(box) for box in rim)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_radar_leaves_a_gap_for_a_missing_dimension(language: str) -> None:
    figure = collab.radar_figure(_radar_means(), "Norrbyåsen", language)
    lines = list(_occasion_lines(figure).values())
    assert len(lines) == 3  # one closed line per occasion
    r = [np.asarray(line.get_ydata(), dtype=float) for line in lines]
    theta = np.asarray(lines[0].get_xdata(), dtype=float)
    assert len(theta) == 5 and theta[-1] == pytest.approx(theta[0] + 2 * np.pi)  # closed
    assert r[0].tolist() == [5.0, 6.0, 4.0, 5.5, 5.0]
    assert np.isnan(r[1][1]) and not np.isnan(r[1][[0, 2, 3]]).any()  # Mål missing: a NaN vertex
    assert 0 not in r[1].tolist()  # never drawn as a zero
    assert np.isnan(r[2][2]) and r[2][0] == r[2][-1] == 7.0  # Tid hidden: a gap too
    labels = list(_occasion_lines(figure))
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert legend == labels
    word = {"sv": ("saknas: Mål", "dolt (färre än 5 svarande): Tid"),
            "en": ("missing: Mål", "hidden (fewer than 5 respondents): Tid")}[language]
    assert word[0] in labels[1].replace("\n", " ") and word[1] in labels[2].replace("\n", " ")
    assert "saknas" not in labels[0] and "missing" not in labels[0]
    ax = figure.axes[0]
    assert ax.get_ylim() == collab.SCORE_SCALE
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Tillit", "Mål", "Tid", "Rutiner"]
    figure.clear()


# --- the section --------------------------------------------------------------------------------

RAW_IDS = ("parental_advisor", "open_preschool", "child_maternal_health", "not_rated_last",
           "not_comparable", "one_occasion", "nan", "None")
VERDICTS = ("narrower", "wider", "unchanged")


def _all_text(blocks: list) -> str:
    parts = []
    for block in blocks:
        if isinstance(block, Text):
            parts.append(block.markdown)
        elif isinstance(block, TableBlock):
            parts += [block.caption, *map(str, block.frame.columns),
                      *block.frame.astype(str).to_numpy().ravel()]
        else:
            parts += [block.caption, block.alt]
    return "\n".join(parts)


@pytest.mark.parametrize("technical", [False, True])
def test_section_renders_in_both_languages(tables: dict[str, pd.DataFrame], technical: bool) -> None:
    published = _publish(tables, min_cell=3)
    rendered = {language: collab.section(published, language, technical=technical)
                for language in ("sv", "en")}
    for language, blocks in rendered.items():
        assert isinstance(blocks[0], Text) and blocks[0].markdown == f"## {collab.TITLE.in_(language)}"
        figures = [b for b in blocks if isinstance(b, FigureBlock)]
        assert [f.name for f in figures] == ["collaboration_radar_a", "collaboration_radar_b",
                                             "collaboration_radar_c"]
        assert all(f.caption and f.alt for f in figures)
        words = _all_text(blocks)
        for raw in RAW_IDS:
            assert raw not in words, (language, raw)
        cells = {str(v) for b in blocks if isinstance(b, TableBlock) for v in b.frame.to_numpy().ravel()}
        assert not cells & set(VERDICTS), language
        for block in figures:
            block.figure.clear()
    sv, en = (_all_text(rendered[language]) for language in ("sv", "en"))
    assert "Förändring (95\u00a0% KI)" in sv and "Change (95% CI)" in en
    assert "3,0 (" in sv and "3.0 (" in en  # A's change of Tillit, in each language's format
    assert "Dimensionen skattades inte vid sista tillfället" in sv
    assert "The dimension was not rated at the last occasion" in en
    assert "Minskade" in sv and "Narrowed" in en
    assert "Tillfälle" not in en and "Occasion" not in sv
    assert ("Metod." in sv) == technical and ("Method." in en) == technical
    assert len(rendered["sv"]) == len(rendered["en"])


def test_section_is_empty_without_ratings() -> None:
    empty = collab.compute(pd.DataFrame(columns=["area", "occasion", "profession", "dimension", "score"]),
                           SimpleNamespace(min_cell=5))
    assert collab.section(empty, "sv", technical=True) == []
    assert collab.section({}, "en", technical=False) == []


def test_section_says_what_is_hidden(tables: dict[str, pd.DataFrame]) -> None:
    published = _publish(tables, min_cell=5)
    blocks = collab.section(published, "en", technical=True)
    words = _all_text(blocks)
    assert "<5" in words
    figures = [b for b in blocks if isinstance(b, FigureBlock)]
    assert "fewer than 5" in figures[0].caption
    assert "not shown" in figures[0].alt  # A's first occasion rests on 3 respondents
    for block in figures:
        block.figure.clear()


# --- the synthetic export -----------------------------------------------------------------------

def test_synthetic_export_is_what_a_survey_tool_writes() -> None:
    areas = ["Norrbyåsen", "Söderängen", "Åsbyhöjden"]
    raw = collab.synthetic(np.random.default_rng(7), areas, dt.date(2017, 1, 1), dt.date(2021, 6, 30))
    again = collab.synthetic(np.random.default_rng(7), areas, dt.date(2017, 1, 1), dt.date(2021, 6, 30))
    pd.testing.assert_frame_equal(raw, again)
    assert list(raw.columns) == [c.header for c in collab.EXPORT.columns]
    assert set(raw["omrade"]) == set(areas)
    assert sorted(set(raw["tillfalle"].astype(int))) == [1, 2, 3, 4, 5, 6]
    scores = raw["poang"].astype(float)
    assert scores.between(*collab.SCORE_SCALE).all()
    codes, failed = parse_categories(raw["yrkesgrupp"].astype(object), collab.RESPONDENT_PROFESSION_VARIANTS)
    assert not failed.any()
    assert set(codes) == {PA, OP, CMH}
    assert raw["yrkesgrupp"].nunique() > 3  # several spellings
    grid = raw.groupby(["omrade", "tillfalle"])["dimension"].nunique()
    assert (grid == 9).sum() == len(grid) - 1 and (grid == 8).sum() == 1  # one dimension skipped once
    export = pd.DataFrame({"area": raw["omrade"], "occasion": raw["tillfalle"].astype(int),
                           "profession": codes, "dimension": raw["dimension"], "score": scores})
    tables = collab.compute(export, SimpleNamespace(min_cell=5))
    assert (tables[collab.MEANS]["respondents"] == 0).sum() == 1
    assert tables[collab.CONVERGENCE]["spread_change"].isin(["narrower", "unchanged", "wider"]).all()
    assert collab.synthetic(np.random.default_rng(7), [], dt.date(2017, 1, 1), dt.date(2021, 1, 1)).empty


def test_a_raw_export_reads_through_ingest_once_the_vocabulary_is_wired(tmp_path, monkeypatch) -> None:
    """The path the framework will wire: ingest with EXPORT (its vocabulary added to
    schema.CATEGORY_VARIANTS), reject_out_of_range at clean, then compute."""
    from pipeline.config import InputFile
    from pipeline.stages.ingest import ingest_table

    monkeypatch.setitem(schema.CATEGORY_VARIANTS, "collaboration_profession",
                        collab.VOCABULARIES["collaboration_profession"])
    raw = collab.synthetic(np.random.default_rng(3), ["Norrbyåsen", "Söderängen"], dt.date(2018, 1, 1),
                           dt.date(2019, 12, 31))
    raw.loc[0, "poang"] = "11"  # a typing error
    raw.loc[1, "poang"] = "7,5"  # a half point with a decimal comma
    raw.loc[2, "yrkesgrupp"] = "Kurator"  # a profession no one maps: kept, profession unknown
    path = tmp_path / "samverkan.csv"
    raw.to_csv(path, sep=";", index=False, encoding="cp1252")
    ingested = ingest_table(path, collab.EXPORT, InputFile(file=path.name), {})
    assert ingested.rejects.empty and len(ingested.frame) == len(raw)
    assert ingested.value_issues["column"].tolist() == ["profession"]
    kept, rejects = collab.reject_out_of_range(ingested.frame.assign(source_file=path.name))
    assert rejects[["source_row", "reason", "value"]].values.tolist() == [[2, "score_out_of_range", "11"]]
    tables = collab.compute(kept, SimpleNamespace(min_cell=5))
    assert sorted(set(tables[collab.MEANS]["occasion"])) == [1, 2, 3, 4]
    assert any("unknown" in cell for cell in tables[collab.RESPONDENTS]["professions"])
    assert kept.loc[kept["source_row"] == 3, "score"].item() == 7.5  # the half point is kept


def test_the_change_sentence_says_only_what_the_intervals_show() -> None:
    def change(*intervals: tuple[float | None, float | None]) -> pd.DataFrame:
        return pd.DataFrame(intervals, columns=["ci_low", "ci_high"])
    # 5 estimable: 2 wholly above 0, 1 wholly below, 2 across 0; 1 without an interval
    mixed = collab._change_sentence(
        change((0.2, 1.0), (0.1, 3.0), (-2.0, -0.5), (-1.0, 1.0), (-3.0, 2.0), (None, None)), "sv")
    assert mixed.startswith("Mellan första och sista tillfället steg medelvärdet, med ett intervall helt "
                            "över noll, i 2 av 5 jämförelser (område och dimension), och sjönk, med ett "
                            "intervall helt under noll, i 1; övriga 2 förändringar kan bero på slumpen. ")
    everything = collab._change_sentence(change((0.2, 1.0), (0.1, 3.0)), "en")
    assert everything == ("Between the first and last occasion the mean rose, with an interval wholly above "
                          "zero, in all 2 comparisons (area and dimension). With so many comparisons, an "
                          "odd one is expected to have an interval excluding zero by chance.")
    nothing = collab._change_sentence(change((-1.0, 1.0)), "en")
    assert nothing.startswith("Between the first and last occasion the mean rose with an interval wholly "
                              "above zero in none of 1 comparisons (area and dimension); the other "
                              "change may be chance.")


def test_a_districts_radar_is_keyed_alike_in_both_reports(tables: dict[str, pd.DataFrame]) -> None:
    """The reports of a run share a figure by its key: district B's radar in the study report is
    the figure of B's own report, whose tables hold B's rows (`tables.for_area`)."""
    published = _publish(tables, min_cell=3)
    own = {name: frame[frame["area"].astype("string") == "B"].reset_index(drop=True)
           if name == collab.MEANS else frame for name, frame in published.items()}

    def keys(blocks: list) -> dict[str, str | None]:
        return {b.name: b.figure.inputs_key for b in blocks if isinstance(b, FigureBlock)}

    study, district = (keys(collab.section(t, "sv", technical=False)) for t in (published, own))
    assert None not in study.values() and len(set(study.values())) == 3
    assert district == {"collaboration_radar_b": study["collaboration_radar_b"]}


def test_the_intro_counts_districts_and_occasions_in_agreeing_words(tables: dict[str, pd.DataFrame]) -> None:
    """An area report's intro said "i 1 områden vid 6 tillfällen" / "in 1 districts"."""
    means = tables[collab.MEANS]
    occasions = means["occasion"].map(collab._occasion).nunique()
    one = means[means["area"] == means["area"].iloc[0]]
    assert f" i 1 område vid {occasions} tillfällen (" in collab._intro(one, None, "sv")
    assert f" in 1 area on {occasions} occasions (" in collab._intro(one, None, "en")
    districts = means["area"].nunique()
    assert f" in {districts} areas on " in collab._intro(means, None, "en") and districts > 1
    once = one[one["occasion"] == one["occasion"].iloc[0]]
    assert " i 1 område vid 1 tillfälle (" in collab._intro(once, None, "sv")


def test_an_area_report_leaves_out_the_spread_between_districts(tables: dict[str, pd.DataFrame]) -> None:
    """The spread between districts (mean of the districts' means and their SD) is the whole
    study's; an area report's tables hold its own district alone, under a note saying so, and
    showed it all the same ("Districts 2", the spread narrowing for 9 of 9 dimensions)."""
    published = _publish(tables, min_cell=3)
    own = {name: frame[frame["area"].astype("string") == "B"].reset_index(drop=True)
           if name in (collab.MEANS, collab.CHANGE) else frame for name, frame in published.items()}
    convergence = collab.PHRASES["convergence_caption"].format("en", first="", last="").split("(")[0][:20]
    spread = collab.PHRASES["spread_caption"].in_("en")
    study = _all_text(collab.section(published, "en", technical=True))
    district = _all_text(collab.section(own, "en", technical=True))
    assert convergence in study and spread in study
    assert convergence not in district and spread not in district
    assert "Change (95% CI)" in district  # the district's own change stays


def test_a_personnummer_typed_as_a_score_rejects_the_row_at_clean(tmp_path, monkeypatch) -> None:
    """A review typed 198503122387 as a score: clean set it missing and kept the row, and the
    follow-up stage then stopped with a traceback on a required value missing. The row is rejected
    as a blank score is, its value masked."""
    from pipeline.config import InputFile
    from pipeline.stages.clean import mask_identifiers
    from pipeline.stages.ingest import ingest_table

    monkeypatch.setitem(schema.CATEGORY_VARIANTS, "collaboration_profession",
                        collab.VOCABULARIES["collaboration_profession"])
    raw = collab.synthetic(np.random.default_rng(3), ["Norrbyåsen", "Söderängen"], dt.date(2018, 1, 1),
                           dt.date(2019, 12, 31))
    raw.loc[1, "poang"] = "198112189876"
    path = tmp_path / "samverkan.csv"
    raw.to_csv(path, sep=";", index=False, encoding="utf-8")
    masked = mask_identifiers(ingest_table(path, collab.EXPORT, InputFile(file=path.name), {}))
    assert len(masked.frame) == len(raw) - 1 and masked.frame["score"].notna().all()
    assert masked.rejects[["source_row", "reason", "column", "value"]].values.tolist() == [
        [3, "value_missing", "score", "#" * 12]]
