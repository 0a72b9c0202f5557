"""What the pooled report says (issue 15): the interval a reader sees, an interval too wide to say
anything, and no prediction interval from two sites.

The packages are built in memory from the demo's published site estimates (outputs/demo-site*,
share/*.zip, estimates.csv: estimate, 95 % interval and the SE derived from it), so no study is
run. Two indicators of the demo are used:

- bf_any_12m, three sites: 0.0876346 (SE 0.0816149), 0.07785 (SE 0.0714544), 0.0883053
  (SE 0.125932). The estimates lie closer together than their SEs say (Cochran's Q = 0.0102 on 2
  df), so REML's tau² is 0 and the HKSJ factor q is 0.0051: unfloored the interval was 8.3
  (6.8 to 9.8) points while the fixed effect's is -1.4 to 18.0.
- lang_no_deviation, two sites (the third suppressed): 0.493925 (SE 0.153185) and 0.523519
  (SE 0.182942): tau² = 0, q = 0.015, and the floored interval with t on 1 df is -98.6 to 199.8
  points.

Expected values are computed here from the textbook formulas with `math` and scipy's t
quantile, not by the code under test: with tau² = 0 the random-effects weights are the
fixed-effect ones, w_i = 1 / SE_i², mu = sum w y / sum w, SE = 1 / sqrt(sum w), the HKSJ
factor q = sum w (y - mu)² / (k - 1), and the floored interval is mu ± t(k - 1) · max(1, q)^½ · SE.
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from scipy import stats

from pipeline.multisite.package import ESTIMATE_COLUMNS, SitePackage
from pipeline.multisite.pool import PooledIndicator, pool_packages, pooled_table
from pipeline.multisite.report import _verdict_sentence, forest_jobs, indicator_sentences, pooled_report_html
from pipeline.pooling_figures import forest_plot, pooled_name

TWELVE = {"Kommun 1": ("0.0876346", "-0.0747077", "0.245217", "0.0816149"),
          "Kommun 2": ("0.07785", "-0.0621981", "0.217898", "0.0714544"),
          "Kommun 3": ("0.0883053", "-0.16353", "0.330116", "0.125932")}
LANGUAGE = {"Kommun 1": ("0.493925", "0.178988", "0.779464", "0.153185"),
            "Kommun 2": ("0.523519", "0.158766", "0.875884", "0.182942"),
            "Kommun 3": ("", "", "", "")}


# Each test site's children per indicator, as its report's page one and proportions.csv count
# them: 70 / 90 born after the start (intervention / comparison), 80 / 110 before it; its
# estimates (a DiD) rest on both periods', 150 / 200.
CHILDREN = {"intervention": "70", "comparison": "90", "intervention_pre": "80", "comparison_pre": "110"}
PERIODS = {"intervention": "after_start", "comparison": "after_start", "intervention_pre": "before_start",
           "comparison_pre": "before_start"}


def _package(label: str, twelve: dict | None = None) -> SitePackage:
    rows = []
    for indicator, values in (("lang_no_deviation", LANGUAGE), ("bf_any_12m", twelve or TWELVE)):
        estimate, low, high, se = values[label]
        hidden = estimate == ""
        rows.append({**dict.fromkeys(ESTIMATE_COLUMNS, ""), "indicator": indicator, "kind": "binary",
                     "primary": str(indicator == "lang_no_deviation"), "design": "did", "method": "did",
                     "measure": "did", "estimate": estimate, "ci_low": low, "ci_high": high, "se": se,
                     "scale": "additive", "n_intervention": "150", "n_comparison": "200",
                     "verdict": "suppressed" if hidden else "unclear",
                     "reason": "small_group" if hidden else "",
                     "suppression": "small_group" if hidden else ""})
    site = {"label": label, "study": label.lower().replace(" ", ""), "title": label, "min_cell": 5,
            "programme": {"family": "rinkeby", "name": "rinkeby", "title": "Rinkebymodellen"},
            "definitions": {"version": "1", "indicators": {"lang_no_deviation": "a", "bf_any_12m": "b"}},
            "primary_indicators": ["lang_no_deviation"], "language_screening": "36m",
            "extraction_date": "2024-06-30", "hembesok_version": "test",
            "design": {"type": "did", "intervention_areas": ["A", "B"], "comparison_areas": ["C"],
                       "programme_start": "2021-01-01", "born_from": "2017-01-01",
                       "born_to": "2023-12-31"}}
    proportions = pd.DataFrame([{"indicator": indicator, "group": group, "period": PERIODS[group],
                                 "n_denominator": n, "events": "", "proportion": "", "proportion_bound": ""}
                                for indicator in ("lang_no_deviation", "bf_any_12m")
                                for group, n in CHILDREN.items()], dtype=object)
    return SitePackage(path=Path(f"{site['study']}-site.zip"), sha256="0" * 64, site=site,
                       estimates=pd.DataFrame(rows, dtype=object), proportions=proportions,
                       manifest={"code": {"source_sha256": "abc"}})


@pytest.fixture(scope="module")
def pooled() -> list[PooledIndicator]:
    return pool_packages([_package(f"Kommun {i}") for i in (1, 2, 3)])


def _item(pooled: list[PooledIndicator], indicator: str) -> PooledIndicator:
    return next(item for item in pooled if item.indicator == indicator)


def _by_hand(values: dict) -> tuple[float, float, float, int]:
    """(mu, fixed-effect SE, HKSJ factor q, k) with tau² = 0, from the formulas above."""
    pairs = [(float(v[0]), float(v[3])) for v in values.values() if v[0]]
    w = [1 / se**2 for _, se in pairs]
    mu = sum(wi * y for wi, (y, _) in zip(w, pairs, strict=True)) / sum(w)
    q = sum(wi * (y - mu) ** 2 for wi, (y, _) in zip(w, pairs, strict=True)) / (len(pairs) - 1)
    return mu, 1 / math.sqrt(sum(w)), q, len(pairs)


def _said(item: PooledIndicator, pooled: list[PooledIndicator], language: str) -> str:
    """The report's sentences on `item`, spaces plain (the report joins "95 % KI" unbreakably)."""
    return " ".join(indicator_sentences(item, pooled, language)).replace("\xa0", " ")


def _page(pooled: list[PooledIndicator], language: str) -> str:
    packages = [_package(f"Kommun {i}") for i in (1, 2, 3)]
    return pooled_report_html(pooled, pooled_table(pooled), packages, language,
                              forests={item.indicator: "" for item in pooled})


def _report(pooled: list[PooledIndicator], language: str) -> str:
    """The page with its no-break spaces as spaces and without the soft hyphens of a wide table's
    headers, as the assertions below spell the text."""
    return _shown(_page(pooled, language))


def _shown(page: str) -> str:
    return page.replace("\xa0", " ").replace("\xad", "")


def test_the_interval_shown_everywhere_is_the_floored_one(pooled: list[PooledIndicator]) -> None:
    """bf_any_12m: the reader sees mu ± t(2) · SE (q floored at 1), never the unfloored 6.8 to 9.8,
    in the sentence, the overview table, the forest plot's diamond and pooled.csv; the unfloored
    numbers stay in pooled.csv's random_effects_unfloored row."""
    mu, se, q, k = _by_hand(TWELVE)
    assert q < 1  # the sites agree more closely than their SEs say
    t = stats.t.ppf(0.975, k - 1)  # 4.3027
    low, high = mu - t * se, mu + t * se  # -0.1297, 0.2958
    item = _item(pooled, "bf_any_12m")
    assert item.meta.tau2 == 0 and item.meta.k == 3
    assert (item.meta.pooled.ci_low, item.meta.pooled.ci_high) == (pytest.approx(low, abs=1e-6),
                                                                    pytest.approx(high, abs=1e-6))
    # never narrower than the fixed effect's normal interval (-1.4 to 18.0 points)
    assert low < mu - 1.959964 * se and high > mu + 1.959964 * se
    assert item.meta.fixed.ci_low == pytest.approx(mu - 1.959964 * se, abs=1e-6)
    assert item.verdict == "unclear" and item.reason == "sites_agree_closely"

    sv, en = _said(item, pooled, "sv"), _said(item, pooled, "en")
    assert "8 procentenheter (95 % KI −13 till 30)" in sv and "(95 % KI 7–10)" not in sv
    assert "8 percentage points (95% CI −13 to 30)" in en
    assert "Intervallet rymmer 0" in sv and "The interval includes 0" in en
    page_sv, page_en = _report(pooled, "sv"), _report(pooled, "en")
    assert "8,3 (−13,0 till 29,6)" in page_sv and "6,8–9,8" not in page_sv
    assert "8.3 (−13.0 to 29.6)" in page_en and "6.8 to 9.8" not in page_en
    assert "Knapp och Hartungs justering" in page_sv and "with Knapp and Hartung's adjustment" in page_en

    table = pooled_table(pooled)
    rows = table[table["indicator"] == "bf_any_12m"].set_index("row", drop=False)
    assert list(rows["row"][:3]) == ["random_effects", "random_effects_unfloored", "fixed_effect"]
    shown = rows.loc["random_effects"]
    assert (shown["ci_low"], shown["ci_high"]) == (pytest.approx(low, abs=1e-6),
                                                   pytest.approx(high, abs=1e-6))
    assert shown["hksj_factor"] == 1.0
    kept = rows.loc["random_effects_unfloored"]
    narrow = t * math.sqrt(q) * se
    assert (kept["ci_low"], kept["ci_high"]) == (pytest.approx(mu - narrow, abs=1e-6),
                                                 pytest.approx(mu + narrow, abs=1e-6))
    assert kept["hksj_factor"] == pytest.approx(q, rel=1e-6)
    assert 0.067 < kept["ci_low"] < 0.069 and 0.097 < kept["ci_high"] < 0.099  # 6.8 to 9.8 points

    figure = forest_plot(table, "bf_any_12m", "en")
    diamond = next(p for p in figure.axes[0].patches if p.get_gid() == "pooled")
    xs = [x for x, _ in diamond.get_xy()]
    assert (min(xs), max(xs)) == (pytest.approx(low * 100, abs=1e-4), pytest.approx(high * 100, abs=1e-4))


def test_one_site_is_no_fixed_effect_in_the_table_the_figure_or_pooled_csv() -> None:
    """Language screening where only Kommun 1 has an estimate (Kommun 2's and 3's hidden): its
    estimate is not pooled with anything. The overview table said "–" for the fixed-effect
    sensitivity while the forest plot drew a fixed-effect diamond with numbers, and pooled.csv
    gave the one site's estimate again as a fixed effect."""
    one = {"Kommun 1": LANGUAGE["Kommun 1"], "Kommun 2": ("", "", "", ""), "Kommun 3": ("", "", "", "")}
    packages = []
    for i in (1, 2, 3):
        package = _package(f"Kommun {i}")
        rows = package.estimates
        values = one[f"Kommun {i}"]
        language = rows["indicator"] == "lang_no_deviation"
        rows.loc[language, ["estimate", "ci_low", "ci_high", "se"]] = list(values)
        if not values[0]:
            rows.loc[language, ["verdict", "reason", "suppression"]] = ["suppressed", *["small_group"] * 2]
        packages.append(package)
    pooled = pool_packages(packages)
    assert _item(pooled, "lang_no_deviation").meta.k == 1
    table = pooled_table(pooled)
    fixed = table[(table["indicator"] == "lang_no_deviation") & (table["row"] == "fixed_effect")].iloc[0]
    assert pd.isna(fixed["estimate"]) and pd.isna(fixed["ci_low"]) and fixed["reason"] == "too_few_sites"
    figure = forest_plot(table, "lang_no_deviation", "sv")
    assert not [p for p in figure.axes[0].patches if p.get_gid() == "fixed"]
    assert [t.get_text() for t in figure.axes[0].texts].count("kunde inte skattas") == 2  # pooled, fixed
    site = table[(table["indicator"] == "lang_no_deviation") & (table["site"] == "Kommun 1")].iloc[0]
    assert site["estimate"] == pytest.approx(0.493925)  # the site's own estimate, shown as its own


def test_an_interval_wider_than_100_points_is_said_to_say_nothing(pooled: list[PooledIndicator]) -> None:
    """lang_no_deviation, two sites: mu ± t(1) · SE, t(0.975; 1) = tan(0.475 π) = 12.706, is
    -98.6 to 199.8 points; the sentence says the sites cannot tell, the table gives the numbers."""
    mu, se, q, k = _by_hand(LANGUAGE)
    assert k == 2 and q < 1
    half = math.tan(0.475 * math.pi) * se
    item = _item(pooled, "lang_no_deviation")
    assert (item.meta.pooled.ci_low, item.meta.pooled.ci_high) == (pytest.approx(mu - half, abs=1e-6),
                                                                    pytest.approx(mu + half, abs=1e-6))
    # the p-value goes with the interval: two-sided t(1) (Cauchy) tail, 1 - 2 atan(|t|) / pi
    assert item.meta.pooled.p_value == pytest.approx(1 - 2 * math.atan(mu / se) / math.pi, rel=1e-6)
    assert item.uninformative
    sv, en = _said(item, pooled, "sv"), _said(item, pooled, "en")
    assert ("Språkscreening utan anmärkning: de 2 kommunerna kan tillsammans inte säga hur stor "
            "effekten är") in sv and "bredare än 100 procentenheter" in sv
    assert "together the 2 sites cannot tell how large the effect is" in en
    assert "wider than 100 percentage points" in en
    for words in (sv, en):
        assert "−99" not in words and "200" not in words and "199" not in words
    page_sv, page_en = _report(pooled, "sv"), _report(pooled, "en")
    assert "50,6 (−98,6 till 199,8)" in page_sv and "50.6 (−98.6 to 199.8)" in page_en
    # beside it the fixed effect's normal interval, mu ± 1.96 SE, 27.6 to 73.6: its column is
    # headed as the sensitivity analysis it is, not read as the answer the wide one withholds
    assert (mu - 1.959964 * se, mu + 1.959964 * se) == (pytest.approx(0.276, abs=5e-4),
                                                        pytest.approx(0.736, abs=5e-4))
    assert "<th>Känslighetsanalys: fast effekt (95 % KI)</th>" in page_sv and "50,6 (27,6–73,6)" in page_sv
    assert "<th>Sensitivity analysis: fixed effect (95% CI)</th>" in page_en
    # bf_any_12m's interval, 42.5 points wide, still says something
    assert not _item(pooled, "bf_any_12m").uninformative


def _with_interval(item: PooledIndicator, low: float, high: float,
                   log_scale: bool = False) -> PooledIndicator:
    pooled = dataclasses.replace(item.meta.pooled, ci_low=low, ci_high=high)
    return dataclasses.replace(item, meta=dataclasses.replace(item.meta, pooled=pooled), log_scale=log_scale)


def test_the_too_wide_rule_is_100_points_or_a_hundredfold_ratio(pooled: list[PooledIndicator]) -> None:
    item = _item(pooled, "bf_any_12m")
    assert not _with_interval(item, -0.30, 0.69).uninformative  # 99 points
    assert _with_interval(item, -0.30, 0.71).uninformative  # 101 points
    # a ratio is pooled as its log: 0.1 to 9.9 is 99-fold, 0.1 to 10.1 is 101-fold
    assert not _with_interval(item, math.log(0.1), math.log(9.9), log_scale=True).uninformative
    assert _with_interval(item, math.log(0.1), math.log(10.1), log_scale=True).uninformative


def test_no_prediction_interval_from_two_sites(pooled: list[PooledIndicator]) -> None:
    """Two sites give no prediction interval anywhere, and the report says why; three sites give
    mu ± t(2) · sqrt(tau² + SE²), here with tau² = 0 the floored interval itself."""
    language = _item(pooled, "lang_no_deviation")
    assert language.meta.k == 2 and language.prediction is None
    sv, en = _said(language, pooled, "sv"), _said(language, pooled, "en")
    assert ("Med bara 2 kommuner går det inte att säga var effekten skulle hamna i en ny kommun, så "
            "inget prediktionsintervall anges") in sv and "I en ny kommun skulle" not in sv
    assert "With only 2 sites there is no telling where the effect would fall in a new site" in en
    table = pooled_table(pooled)
    rows = table[(table["indicator"] == "lang_no_deviation") & table["row"].str.startswith("random")]
    assert rows["prediction_low"].isna().all() and rows["prediction_high"].isna().all()
    page = _report(pooled, "sv")
    assert "för få kommuner" in page
    captions = {job.indicator: job.caption for job in forest_jobs(pooled, "sv")}
    assert "prediktionsintervallet" not in captions["lang_no_deviation"]
    assert "inget prediktionsintervall" in captions["lang_no_deviation"]
    assert "prediktionsintervallet för en ny kommun" in captions["bf_any_12m"]
    figure = forest_plot(table, "lang_no_deviation", "en")
    ax = figure.axes[0]
    assert not [line for line in ax.get_lines() if line.get_gid() == "prediction"]
    assert "too few sites to predict a new site's effect" in [t.get_text() for t in ax.texts]

    mu, se, _q, _k = _by_hand(TWELVE)
    twelve = _item(pooled, "bf_any_12m")
    t = stats.t.ppf(0.975, 2)
    assert twelve.prediction == (pytest.approx(mu - t * se, abs=1e-6), pytest.approx(mu + t * se, abs=1e-6))
    assert "I en ny kommun skulle effekten kunna ligga mellan −13 och 30 procentenheter" in _said(
        twelve, pooled, "sv")
    figure = forest_plot(table, "bf_any_12m", "en")
    bar = next(line for line in figure.axes[0].get_lines() if line.get_gid() == "prediction")
    assert list(bar.get_xdata()) == [pytest.approx((mu - t * se) * 100, abs=1e-4),
                                     pytest.approx((mu + t * se) * 100, abs=1e-4)]


@pytest.mark.parametrize(("second", "words"), [
    # Q = 0.15² / (0.05² + 0.05²) = 4.5 below chi²(0.975; 1) = 5.02: tau²'s Q-profile interval from 0
    ("-0.10", "I² = 78 %, men med bara 2 kommuner är det måttet mycket osäkert"),
    # Q = 0.2² / 0.005 = 8: the interval is above 0, and I² = 7/8 is said as large
    ("-0.15", "I² = 88 %, alltså speglar ungefär 88 % av spridningen mellan kommunernas skattningar "
              "verkliga skillnader och resten slumpen (stora skillnader)"),
])
def test_i2_from_two_sites_is_said_to_be_uncertain_when_tau2_may_be_zero(second: str, words: str) -> None:
    """Two sites' I² of 69 % was said to mean "large differences" between them, while the
    between-site variance's interval reached 0 (and the synthetic sites' true effects were 5.4
    and 4.2 points). I² = (Q - 1) / Q for two sites; the interval is metafor's Q-profile."""
    values = {"Kommun 1": ("0.05", "-0.048", "0.148", "0.05"),
              "Kommun 2": (second, "-0.2", "0.1", "0.05")}
    pooled = pool_packages([_package(label, values) for label in values])
    item = _item(pooled, "bf_any_12m")
    q = (0.05 - float(second)) ** 2 / (0.05**2 + 0.05**2)
    assert item.meta.i2 == pytest.approx(100 * (q - 1) / q)
    assert (item.meta.tau2_ci[0] == 0) == (q < stats.chi2.ppf(0.975, 1))
    assert words in _said(item, pooled, "sv")


def test_a_time_to_event_indicator_is_named_with_the_share_it_pools(pooled: list[PooledIndicator]) -> None:
    """Age at MMR vaccination is pooled as the DiD of its landmark share (MMR by 730 days, the
    design's estimate in each site), not as an age: heading, sentences, table row and forest
    caption say "share vaccinated by 24 months", as the study report's page one does; pooled as a
    hazard ratio it keeps its plain name, and an indicator that is a share already is unchanged."""
    age = dataclasses.replace(_item(pooled, "bf_any_12m"), indicator="vacc_mmr1_age")
    shown = [age, *pooled]
    assert pooled_name("vacc_mmr1_age", "en") == "Age at MMR vaccination (share vaccinated by 24 months)"
    assert pooled_name("vacc_mmr1_age", "sv") == ("Ålder vid MMR-vaccination "
                                                  "(andel vaccinerade vid 24 månader)")
    assert pooled_name("vacc_mmr1_age", "en", ratio=True) == "Age at MMR vaccination"
    assert pooled_name("bf_any_12m", "en") == "Any breastfeeding at 12 months"
    said = _said(age, shown, "en")
    assert said.startswith("Age at MMR vaccination (share vaccinated by 24 months): "
                           "pooled effect 8 percentage")
    page = _report(shown, "en")
    assert "<h3>Age at MMR vaccination (share vaccinated by 24 months)</h3>" in page
    assert "<td>Age at MMR vaccination (share vaccinated by 24 months)</td>" in page
    caption = next(job.caption for job in forest_jobs(shown, "en") if job.indicator == "vacc_mmr1_age")
    assert caption.startswith("Age at MMR vaccination (share vaccinated by 24 months):")


@pytest.mark.parametrize(("p_adjusted", "language", "said"), [
    (0.0004, "sv", "(justerat p\u00a0<\u00a00,001, "),
    (0.012, "en", "(adjusted p\u00a0=\u00a00.012, "),
])
def test_pooled_verdict_states_p_as_equal_or_below(p_adjusted, language, said) -> None:
    """The pooled report's verdict says "p < 0,001", never "p = <0,001", as the study's does."""
    item = SimpleNamespace(reason="adjusted_p_below_alpha", verdict="higher", primary=True,
                           multiplicity="holm_primary", p_adjusted=p_adjusted, indicator="vacc_mmr1_24m",
                           tested_as="")
    sentence = _verdict_sentence(item, [item, item], language)
    assert said in sentence and "= <" not in sentence.replace("\u00a0", " "), sentence


def test_the_sites_table_counts_the_children_as_the_sites_reports_do(pooled: list[PooledIndicator]) -> None:
    """The sites table gave a DiD estimate's children, both periods' (150 / 200 here; 242 / 308 in
    the demo, where the site's page one says 218 / 289, before the start 240 / 326): now each
    site's groups as its report counts them, born after the start, and before it apart."""
    page = _report(pooled, "en")
    assert ("Children, Language screening without remark (intervention / comparison, as in the site's "
            "report)") in page
    assert page.count("<td>70 / 90; before the start 80 / 110</td>") == 3
    assert "150 / 200" not in page
    assert "<td>70 / 90; före start 80 / 110</td>" in _report(pooled, "sv")


def test_one_percentage_point_is_singular(pooled: list[PooledIndicator]) -> None:
    """The pooled report said "−1 percentage points" where page one says "1 percentage point"."""
    from pipeline.multisite.report import _value

    item = _item(pooled, "bf_any_12m")  # a no-break space keeps the number with its unit
    assert _value(item, -0.01, "en") == "\u22121\u00a0percentage point"
    assert _value(item, 0.01, "sv") == "1\u00a0procentenhet"
    assert _value(item, 0.02, "en") == "2\u00a0percentage points"


def test_a_number_and_its_unit_never_break_across_lines(pooled: list[PooledIndicator]) -> None:
    """The printed pooled report broke "95 | % KI" and "37 | procentenheter" across lines, as
    the study report did before its no-break spaces."""
    page = re.sub(r"<[^>]+>", " ", _page(pooled, "sv"))
    assert "95\u00a0%" in page and "\u00a0procentenheter" in page
    broken = re.findall(r".{20}\d (?:[%]|procentenhet|KI\b).{5}", page)
    assert not broken, broken


def test_the_overview_tables_say_what_their_effects_are_in(pooled: list[PooledIndicator]) -> None:
    """The overview's cells give "9,7 (−17,6 till 37,0)" with no unit: its caption says
    percentage points, ratios, or both with the ratio indicators named."""
    from pipeline.multisite.report import _with_unit

    page_sv, page_en = _report(pooled, "sv"), _report(pooled, "en")
    assert "Sammanvägda effekter för huvudindikatorerna, i procentenheter" in page_sv
    assert "Pooled effects for the other indicators, in percentage points" in page_en
    item = _item(pooled, "bf_any_12m")
    ratio = dataclasses.replace(item, log_scale=True)
    assert _with_unit("Tabell", [ratio], "sv") == "Tabell, som kvoter"
    assert _with_unit("Table", [_item(pooled, "lang_no_deviation"), ratio], "en") == (
        "Table, in percentage points (ratios for Any breastfeeding at 12 months)")


def test_a_fixed_effect_clear_of_no_effect_beside_an_unclear_pooled_one_is_explained(
        pooled: list[PooledIndicator]) -> None:
    """bf_any_12m: the pooled interval, −13.0 to 29.6 points, includes 0; its fixed effect's,
    −1.4 to 18.0, does too, and nothing more is said. With a fixed-effect interval of 1 to 18
    points the report said "Sensitivity analysis with a fixed effect: 8 (1 to 18)" after "The
    interval includes 0", and left the reader to choose: it now says which one to read."""
    item = _item(pooled, "bf_any_12m")
    sv, en = _said(item, pooled, "sv"), _said(item, pooled, "en")
    assert "fasta effektens intervall rymmer inte" not in sv and "does not include" not in en
    clear = dataclasses.replace(item.meta.fixed, ci_low=0.01, ci_high=0.18)
    moved = dataclasses.replace(item, meta=dataclasses.replace(item.meta, fixed=clear))
    sv, en = _said(moved, pooled, "sv"), _said(moved, pooled, "en")
    assert "Intervallet rymmer 0" in sv
    # tau² estimated as 0: the two intervals differ only in t(2) against the normal, nothing else
    assert item.meta.tau2 == 0
    assert ("Den fasta effektens intervall rymmer inte 0, men det är smalare för att det bortser från "
            "hur osäker själva sammanvägningen är") in sv and "kan skilja sig" not in sv
    assert "The fixed effect's interval does not include 0" in en and "rests on the pooled effect" in en
    spread = dataclasses.replace(moved, meta=dataclasses.replace(moved.meta, tau2=0.002, i2=21.0))
    assert ("Den fasta effektens intervall rymmer inte 0, men det är smalare för att det bortser från "
            "att effekten kan skilja sig mellan kommunerna") in _said(spread, pooled, "sv")


def _one_site(reason: str) -> list[PooledIndicator]:
    """bf_any_12m estimated by Kommun 1 alone (the others' hidden), with its own report's reason."""
    alone = {**TWELVE, "Kommun 2": ("", "", "", ""), "Kommun 3": ("", "", "", "")}
    packages = [_package(f"Kommun {i}", alone) for i in (1, 2, 3)]
    own = packages[0].estimates
    own.loc[own["indicator"] == "bf_any_12m", "reason"] = reason
    return pool_packages(packages)


def test_one_site_is_said_with_its_own_reports_verdict() -> None:
    """The demo's pooled report gave a 2-area site's 49 points (18 to 78) alone, which read as a
    clear effect, where that site's own report said the design cannot tell it from chance."""
    pooled = _one_site("design_cannot_reach_significance")
    item = _item(pooled, "bf_any_12m")
    assert item.meta.k == 1
    sv, en = _said(item, pooled, "sv"), _said(item, pooled, "en")
    # Kommun 1: 0.0876 (-0.0747 to 0.2452) in points
    assert sv.startswith("Amning (hel eller delvis) vid 12 månader: bara Kommun 1 har en skattning, "
                         "9 procentenheter (95 % KI −7 till 25); inget kan vägas samman. I rapporten från "
                         "Kommun 1 bedöms skillnaden kunna bero på slumpen: med så få områden kan den "
                         "studien inte visa att skillnaden är större än slumpen, hur stor den än är."), sv
    # "visa en skillnad större än slumpen" read as "show a difference larger than chance" (a review)
    assert ("The report of Kommun 1 finds that the difference could be due to chance: with so few areas "
            "that study cannot show that the difference is larger than chance, however large.") in en
    unclear = _one_site("interval_includes_null")
    assert "bero på slumpen (intervallet omfattar 0)." in _said(_item(unclear, "bf_any_12m"), unclear, "sv")


def test_a_site_has_no_weight_where_nothing_is_pooled() -> None:
    """One site's row said "vikt 100 %" beside a pooled effect that "could not be estimated"."""
    pooled = _one_site("")
    frame = pooled_table(pooled)
    sites = frame[(frame["indicator"] == "bf_any_12m") & (frame["row"] == "site")]
    assert sites["weight_percent"].isna().all()
    figure = forest_plot(frame, "bf_any_12m", "sv")
    shown = [t.get_text() for ax in figure.axes for t in ax.texts]
    assert any(t.startswith("8,8 (") for t in shown) and not any("vikt" in t for t in shown), shown
    job = next(j for j in forest_jobs(pooled, "sv") if j.indicator == "bf_any_12m")
    assert "inget att väga samman" in job.caption and "romb" not in job.caption
    three = pooled_table(pool_packages([_package(f"Kommun {i}") for i in (1, 2, 3)]))
    weights = three[(three["indicator"] == "bf_any_12m") & (three["row"] == "site")]["weight_percent"]
    assert weights.sum() == pytest.approx(100)


def test_no_forest_plot_of_an_indicator_no_site_estimates() -> None:
    """An indicator every site's estimate of is hidden drew an empty axis from 0 to 1."""
    hidden = {label: ("", "", "", "") for label in TWELVE}
    pooled = pool_packages([_package(f"Kommun {i}", hidden) for i in (1, 2, 3)])
    assert _item(pooled, "bf_any_12m").meta.k == 0
    assert [j.indicator for j in forest_jobs(pooled, "sv")] == ["lang_no_deviation"]
    assert [j.number for j in forest_jobs(pooled, "en")] == [1]


def test_a_prediction_interval_equal_to_the_mean_s_says_why(pooled: list[PooledIndicator]) -> None:
    """bf_any_12m: tau² estimated as 0, so the prediction interval is the mean's (−13 to 30)."""
    item = _item(pooled, "bf_any_12m")
    assert item.meta.tau2 == 0 and item.prediction is not None
    sv = _said(item, pooled, "sv")
    assert ("Prediktionsintervallet är detsamma som intervallet för medelvärdet bara för att spridningen "
            "mellan kommunerna (τ²) skattades till 0; med 3 kommuner kan den verkliga spridningen ändå "
            "vara stor.") in sv
    # and how far a new site's effect may lie by τ²'s interval, with what that means for its sign
    # ("between 2 and 15" read as every new site gaining where τ's interval allowed ±15 points;
    # a review, the truth's τ 5 points)
    assert item.meta.tau2_ci == (0.0, 0.0) and "åt vardera hållet" not in sv  # τ's interval is 0 too
    wide = dataclasses.replace(item, meta=dataclasses.replace(item.meta, tau2_ci=(0.0, 0.0059)))
    said = _said(wide, pooled, "sv")
    assert ("Enligt 95 % KI för spridningen kan effekten i en ny kommun ligga upp till "
            "15 procentenheter från medelvärdet åt vardera hållet.") in said  # 1.96 x √0.0059
    assert "bli noll eller gå åt andra hållet" not in said  # the mean's own interval holds 0 already
    # 1.96 x √0.249 = 98 points of a share around 10: an interval wider than 100 points says nothing
    wider = dataclasses.replace(item, meta=dataclasses.replace(item.meta, tau2_ci=(0.0, 0.249)))
    said = _said(wider, pooled, "sv")
    assert "upp till" not in said and ("kan effekten i en ny kommun ligga hur långt som helst från "
                                       "medelvärdet") in said
    shown = dataclasses.replace(wide.meta.pooled, estimate=0.084, ci_low=0.015, ci_high=0.152)
    surely = dataclasses.replace(wide, meta=dataclasses.replace(wide.meta, pooled=shown))
    assert "I en enskild kommun kan effekten alltså bli noll eller gå åt andra hållet." in _said(
        surely, pooled, "sv")
    spread = dataclasses.replace(item, meta=dataclasses.replace(item.meta, tau2=0.002, i2=21.0))
    assert "skattades till 0" not in _said(spread, pooled, "sv")
    # Fisher scoring stopped a hair above 0: the page says I² = 0 %, and the same of the interval
    hair = dataclasses.replace(item, meta=dataclasses.replace(item.meta, tau2=1e-9, i2=0.004))
    assert "skattades till 0" in _said(hair, pooled, "sv")


def test_an_interval_s_bounds_keep_their_side_of_no_effect(pooled: list[PooledIndicator]) -> None:
    """A fixed effect of −0.4 to 22.6 points read "(95 % KI 0–23)", as if it excluded 0."""
    from pipeline.multisite.report import _interval

    item = _item(pooled, "bf_any_12m")
    assert _interval(item, -0.004, 0.226, "sv").replace("\xa0", " ") == "95 % KI −0,4 till 22,6"
    assert _interval(item, 0.18, 0.78, "sv").replace("\xa0", " ") == "95 % KI 18–78"
    assert "dominera" not in _page(pooled, "sv") and "dominate" not in _page(pooled, "en")


def test_the_overview_counts_the_children_born_after_the_start(pooled: list[PooledIndicator]) -> None:
    """SPEC §7: every table says how many children it rests on. The overview summed each DiD
    estimate's children of both periods (150 / 200 a site: 450 / 600), which read as children who
    could have had the programme; the sites' reports count their groups born after the start (70 /
    90 a site) and those born before it apart. By hand: three sites 3 × 70 = 210 and 3 × 90 = 270;
    two for language screening (Kommun 3's estimate is hidden, so not counted) 140 / 180."""
    page = _report(pooled, "sv")
    assert "Kommuner (barn födda efter start: intervention / jämförelse)" in page
    assert "<td>3 (210 / 270)</td>" in page and "<td>2 (140 / 180)</td>" in page
    assert "450 / 600" not in page and "300 / 400" not in page
    assert "Sites (children born after the start: intervention / comparison)" in _report(pooled, "en")
    frame = pooled_table(pooled).set_index(["indicator", "row"])  # pooled.csv says the same
    assert frame.loc[("bf_any_12m", "random_effects"), ["children_intervention", "children_comparison"]
                     ].tolist() == [210, 270]
    assert frame.loc[("lang_no_deviation", "random_effects"), "children_intervention"] == 140
    hidden = {label: ("", "", "", "") for label in TWELVE}
    none = pool_packages([_package(f"Kommun {i}", hidden) for i in (1, 2, 3)])
    assert "<td>0</td>" in _report(none, "en")


def test_a_historical_comparison_s_children_are_said_to_be_born_before_the_start() -> None:
    """Under a historical comparison the comparison group is the children born before the start:
    the header says so rather than "born after the start" for both groups."""
    packages = [_package(f"Kommun {i}") for i in (1, 2, 3)]
    site = packages[2].site
    historical = {**site["design"], "type": "historical"}
    packages[2] = dataclasses.replace(packages[2], site={**site, "design": historical})
    pooled = pool_packages(packages)
    page = _shown(pooled_report_html(pooled, pooled_table(pooled), packages, "en",
                                     forests={item.indicator: "" for item in pooled}))
    assert ("Sites (children: intervention, born after the start / comparison, in a historical comparison "
            "born before it)") in page
    assert "born after the start: intervention / comparison" not in page


def _overview_rows(page: str) -> dict[str, list[str]]:
    """The overview tables' rows by indicator name, cells as text."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        cells = [re.sub(r"<[^>]+>", "", cell).strip()
                 for cell in re.findall(r"<td>(.*?)</td>", row, flags=re.S)]
        if len(cells) == 8:
            rows[cells[0]] = cells
    return rows


def _p_by_hand(values: dict) -> float:
    """The pooled p with tau² = 0: t = mu / (max(1, q)^½ · SE) on k - 1 df (the docstring's formulas)."""
    mu, se, q, k = _by_hand(values)
    return 2 * stats.t.sf(abs(mu) / (math.sqrt(max(1.0, q)) * se), k - 1)


def test_the_overview_gives_each_pooled_estimate_its_adjusted_p_and_verdict() -> None:
    """The overview tables had no adjusted p and no verdict, though the text gives each pooled
    estimate one: a reader of the table could not see which estimates are told from chance.

    Both indicators primary; bf_any_12m 10 points with SE 2 at each of three sites (SE of the mean
    2/√3, p = 2·P(t₂ > 8.66) = 0.0131), language as in the docstring (p = 0.145). Holm by hand:
    the smaller p times 2, the larger times 1 but not below the first: 0.026 and 0.145."""
    strong = {label: ("0.1", "0.0608", "0.1392", "0.02") for label in TWELVE}
    packages = []
    for i in (1, 2, 3):
        package = _package(f"Kommun {i}", strong)
        packages.append(dataclasses.replace(package, site={
            **package.site, "primary_indicators": ["lang_no_deviation", "bf_any_12m"]}))
    pooled = pool_packages(packages)
    p_strong, p_language = _p_by_hand(strong), _p_by_hand(LANGUAGE)
    assert p_strong < p_language  # so Holm multiplies the strong one's by 2, the language one's by 1
    holm_strong, holm_language = 2 * p_strong, max(2 * p_strong, p_language)
    assert (round(holm_strong, 3), round(holm_language, 3)) == (0.026, 0.145)
    page = _shown(pooled_report_html(pooled, pooled_table(pooled), packages, "sv",
                                     forests={item.indicator: "" for item in pooled}))
    assert "<th>Justerat p</th>" in page and "<th>Slutsats</th>" in page
    assert ("Sammanvägda effekter för huvudindikatorerna, i procentenheter; justerat p med Holms korrektion "
            "för 2 huvudindikatorer") in page
    rows = _overview_rows(page)
    strong_row = rows[pooled_name("bf_any_12m", "sv")]
    assert strong_row[3:5] == ["0,026", "högre med programmet, mer än slumpen rimligen kan förklara"]
    language_row = rows[pooled_name("lang_no_deviation", "sv")]
    assert language_row[3:5] == ["0,15", "kan bero på slumpen"]
    # the text says the same of each (`_verdict_sentence`)
    assert ("Andelen var i genomsnitt högre med programmet, mer än slumpen rimligen kan förklara "
            "(justerat p = 0,026, Holms korrektion för 2 huvudindikatorer).") in page
    english = _overview_rows(pooled_report_html(pooled, pooled_table(pooled), packages, "en",
                                                forests={item.indicator: "" for item in pooled}))
    assert english[pooled_name("bf_any_12m", "en")][3:5] == [
        "0.026", "higher with the programme, more than chance would plausibly explain"]
    assert english[pooled_name("lang_no_deviation", "en")][4] == "may be due to chance"


def test_the_overview_gives_no_pooled_verdict_where_the_text_gives_none() -> None:
    """One site's estimate is not a pooling: the text gives that site's own verdict, and the
    overview a dash for the pooled adjusted p and verdict (not "kan bero på slumpen")."""
    pooled = _one_site("interval_includes_null")
    packages = [_package(f"Kommun {i}") for i in (1, 2, 3)]
    page = _shown(pooled_report_html(pooled, pooled_table(pooled), packages, "sv",
                                     forests={item.indicator: "" for item in pooled}))
    row = _overview_rows(page)[pooled_name("bf_any_12m", "sv")]
    assert row[1].startswith("1") and row[3:5] == ["\u2013", "\u2013"]


def test_a_pool_of_synthetic_sites_says_its_data_are_synthetic(pooled: list[PooledIndicator]) -> None:
    """Each site's report said its data were synthetic; the pooled report of the demo's sites,
    titled "Sammanvägd analys av 3 kommuner", said nothing of it (a review)."""
    real = _page(pooled, "sv")
    assert "syntetiska" not in real
    packages = [dataclasses.replace(_package(f"Kommun {i}"), manifest={
        "code": {"source_sha256": "abc"}, "config": {"synthetic": True}}) for i in (1, 2, 3)]
    page = pooled_report_html(pooled, pooled_table(pooled), packages, "sv",
                              forests={item.indicator: "" for item in pooled})
    assert ("<p><strong>Obs! Uppgifterna är syntetiska (påhittade) och gäller inga verkliga barn."
            "</strong></p>") in page
    assert page.index("syntetiska") < page.index("<h2>")


def test_a_pooled_estimate_given_twice_is_tested_once(pooled: list[PooledIndicator]) -> None:
    """Age at MMR's pooled DiD at 24 months is MMR by 24 months' over again: it had adjusted p
    0.091 as primary and 0.43 among the secondary indicators (a review). It is tested once, in
    MMR's family, and the secondary family is the others alone."""
    from pipeline.multisite.pool import _with_verdicts

    twelve, language = _item(pooled, "bf_any_12m"), _item(pooled, "lang_no_deviation")
    items = [dataclasses.replace(twelve, indicator="vacc_mmr1_24m", primary=True),
             dataclasses.replace(twelve, indicator="vacc_mmr1_age", primary=False),
             dataclasses.replace(language, primary=True), dataclasses.replace(twelve, primary=False)]
    adjusted = {item.indicator: item for item in _with_verdicts(items)}
    p, other = twelve.meta.pooled.p_value, language.meta.pooled.p_value
    first = min(1.0, 2 * min(p, other))  # Holm over the two primary indicators, by hand
    assert adjusted["vacc_mmr1_24m"].p_adjusted == pytest.approx(first if p <= other else max(first, p))
    assert adjusted["vacc_mmr1_age"].p_adjusted == adjusted["vacc_mmr1_24m"].p_adjusted
    twin = adjusted["vacc_mmr1_age"]
    assert (twin.multiplicity, twin.tested_as) == ("", "vacc_mmr1_24m")
    assert adjusted["vacc_mmr1_age"].verdict == adjusted["vacc_mmr1_24m"].verdict
    assert adjusted["bf_any_12m"].p_adjusted == pytest.approx(p)  # BH over one: itself
    # the overview's adjusted p of the twin is MMR's, and says so
    from pipeline.multisite.report import _p_adjusted_cell
    from pipeline.text import format_p

    assert _p_adjusted_cell(twin, list(adjusted.values()), "sv") == (
        f"{format_p(adjusted['vacc_mmr1_24m'].p_adjusted, 'sv')} (som för MMR vid 24 månader)")
    # pooled from neither (one site each, as the demo's MMR and age at MMR): one hypothesis still,
    # the secondary family the other one alone (BH had counted 19 where the sites' reports count 18)
    none = dataclasses.replace(twelve.meta.pooled, estimate=None, ci_low=None, ci_high=None, p_value=None,
                               reason="one site")
    unpooled = [dataclasses.replace(item, meta=dataclasses.replace(item.meta, pooled=none))
                if item.indicator.startswith("vacc_mmr1") else item for item in items]
    adjusted = {item.indicator: item for item in _with_verdicts(unpooled)}
    age = adjusted["vacc_mmr1_age"]
    assert (age.tested_as, age.multiplicity) == ("vacc_mmr1_24m", "")
    assert adjusted["bf_any_12m"].p_adjusted == pytest.approx(p)  # BH over one, not over two (2p)
