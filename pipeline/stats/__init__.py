"""Statistical methods: pure functions over counts and arrays, no study or file concepts.

Every estimate is an `Estimate` (estimate, interval, p, SE, method, n, and a reason when
not estimable); every test a `Test` (statistic, df, p, method, reference distribution).
A method that fits a model with several results returns a small container of these (a
"fit": `CoxResult`, `DidResult`, `EventStudyResult`, ...); curves, weights and planning
figures have their own types. Import from here::

    from pipeline import stats
    stats.risk_difference(30, 50, 15, 50).summary()

What a researcher can call, by topic:

Result types (`results`)
    NotEstimable: Raised inside a method when these data cannot give an estimate; carries
        the reason.
    Dropped: What a covariate design left out before the fit.
    Estimate: A point estimate with its confidence interval, or a reason why there is none.
    Test: A hypothesis test: its statistic, df, p and method, or the reason there is none.

Proportions (`proportions`)
    proportion: Proportion of children with the event, with a confidence interval (Wilson by
        default).

Rates (`rates`)
    poisson_rate: Events per unit of exposure, with a Poisson interval (exact by default).

Binary outcome, two groups (`effects`)
    risk_difference: Risk difference p1 − p0 with Newcombe's hybrid score interval (method
        10, 1998).
    risk_ratio: Risk ratio p1 / p0 with the Katz log interval (Katz et al. 1978).
    odds_ratio: Odds ratio, intervention vs comparison: Woolf logit interval or exact
        conditional.
    association_test: Test of independence: Fisher's exact if any expected count is < 5,
        else chi-square.
    fisher_exact_test: Fisher's exact test of a 2 × 2 table, two-sided or one-sided, with
        the odds ratio.
    ProportionComparison: Proportions in both groups with the crude effects and a test, for
        one indicator.
    compare_proportions: Both proportions, risk difference, risk ratio, odds ratio and a
        test, in one bundle.

Continuous outcome (`continuous`)
    mean_difference: Difference of two means with Welch's t interval and test (Student's if
        `equal_var`).
    bootstrap_mean_difference: Difference of two means with a bootstrap interval (BCa or
        percentile), for skewed data.
    linear_adjusted_effect: Covariate-adjusted mean difference by least squares and
        regression standardisation.
    iptw_mean_difference: Difference of inverse-probability-weighted means, with a
        stacked-sandwich interval.

Counts and rates (`counts`)
    poisson_rate_ratio: Rate ratio (treated vs comparison) from a Poisson model with a log
        person-time offset.
    poisson_rate_difference: Rate difference (treated minus comparison) by standardisation
        over a Poisson fit.
    count_ratio: Ratio of mean counts (treated vs comparison) per child, e.g. deft at three
        years.
    OverdispersionCheck: Negative binomial (NB2) rate ratio, its dispersion and the LR test
        against Poisson.
    overdispersion_check: Negative binomial (NB2) fit with the Poisson model's offset, and
        the LR test of alpha = 0.
    iptw_rate_ratio: Marginal rate ratio by inverse probability of treatment weighting
        (weighted Poisson).

Logistic regression (`regression`)
    AdjustedEffects: Adjusted odds ratio and standardised risks, risk difference and risk
        ratio.
    logistic_adjusted_effects: Adjusted odds ratio and g-computation risk difference/ratio
        from one logistic fit.
    logistic_slope: Odds ratio per unit of a numeric exposure from a covariate-adjusted
        logistic model.
    interaction_test: Likelihood-ratio test of treatment × subgroup in a logistic model, or
        the reason.

Propensity weighting (`weighting`)
    propensity_scores: P(treated | covariates) from a logistic model; NaN for rows with
        missing values.
    iptw_weights: ATT weights (controls ps/(1-ps)) or stabilised ATE weights, mean 1 within
        each group.
    kish_effective_sample_size: Kish's effective sample size (sum w)^2 / sum w^2.
    WeightDiagnostics: Per-group weight distribution, Kish effective sample size, and
        warnings.
    weight_diagnostics: Min, max, percentiles and Kish ESS of the weights in each group;
        flag extremes.
    IPTWResult: IPTW effects with the weights and their diagnostics.
    iptw_effect: Weighted risk difference, risk ratio and odds ratio with stacked-sandwich
        intervals.
    iptw_effects: `iptw_effect` for each `doubly_robust` value (IPTW, IPWRA) from one
        propensity model.

Baseline balance (`balance`)
    equivalence_rating: WWC/HomVEE baseline-equivalence rating of a standardised difference.
    hedges_g: Hedges' g for a continuous covariate (WWC): ω(x̄1 − x̄0) / pooled SD.
    cox_index: Cox index for a binary (0/1) covariate (WWC): ω · (logit p1 − logit p0) /
        1.65.
    standardised_mean_difference: Austin's (2009) standardised mean difference, as
        propensity-score papers report it.
    baseline_difference: WWC standardised difference for one covariate: Cox index if binary,
        else Hedges' g.

Take-up (complier effects) (`complier`)
    complier_effect: Complier average causal effect (CACE) on the risk-difference scale,
        with a Wald interval.
    fuzzy_did: Wald-DID: DiD of the outcome / DiD of take-up, with an SE clustered by area.

Time to event (`survival`)
    KaplanMeierResult: A Kaplan–Meier curve: tidy table, median, and the data for risk
        tables.
    kaplan_meier: Kaplan–Meier estimate with Greenwood pointwise intervals (log-log by
        default).
    log_rank_test: Log-rank test of equal survival across groups (statsmodels `survdiff`).
    CoxResult: Cox hazard ratio for treatment, all coefficients, and the PH test.
    cox_hazard_ratio: Hazard ratio (treated vs comparison) from a Cox model, with a Wald
        interval and PH test.
    cox_likelihood_ratio_test: Likelihood-ratio test of a Cox model: all its coefficients,
        or treatment given the rest.
    proportional_hazards_test: Grambsch–Therneau (1994) test from scaled Schoenfeld
        residuals vs transformed time.
    TurnbullResult: Turnbull NPMLE: probability mass on innermost intervals, survival and
        median.
    turnbull: Turnbull (1976) NPMLE of the survival curve for interval-censored times.
    midpoint_kaplan_meier: APPROXIMATION: Kaplan–Meier after imputing each event at its
        interval's midpoint.

Time to event on a grid, RMST (`duration`)
    DiscreteTimeResult: Grouped-time proportional hazards fit: hazard ratio, coefficients,
        baseline hazards.
    discrete_time_hazard_ratio: Hazard ratio (treated vs comparison) from a grouped-time PH
        model, cloglog link.
    restricted_mean_survival: RMST: the area under the Kaplan–Meier curve from 0 to `tau`,
        with a normal interval.
    rmst_difference: RMST of group 1 minus group 0 up to `tau`: normal interval and p
        (survRM2::rmst2).
    rmst_did: DiD of RMST: (treated post - treated pre) - (comparison post - comparison
        pre).

Difference-in-differences (`did`)
    DidResult: DiD estimate with cluster-robust and HC1 inference, bootstrap p-value and
        caveats.
    difference_in_differences: DiD on the risk-difference scale (or of means) with SEs
        clustered by area.
    at_least_child_level: The cluster-robust result, its SE raised to the child-level HC1 SE
        when smaller.

DiD of counts and rates (`did_counts`)
    WildClusterScoreBootstrap: Restricted wild cluster score bootstrap-t of H0: coefficient k
        = b in a Poisson GLM.
    poisson_did: Ratio of rate ratios from a Poisson DiD with a log person-time offset,
        clustered by area.
    rate_difference_did: DiD of rates (events per unit person-time) as a
        person-time-weighted linear DiD.

DiD inference with few areas (`did_inference`)
    randomisation_inference: Two-sided randomisation test of the area-effects DiD over
        assignments of areas to arms.
    arm_randomisation: Two-sided randomisation test of a concurrent comparison over the
        assignments of areas to arms.
    area_period_cells: Children, events and proportion in each area before and after the
        start.
    pairwise_did: Every unadjusted DiD of one intervention area against one comparison area.
    leave_one_area_out: The area-effects DiD re-estimated without each area in turn.
    placebo_areas: Each comparison area in turn as a placebo intervention area (in-space
        placebos).
    placebo_p: Where the observed DiD falls among placebo DiDs: a test with its p and floor.
    area_checks: Several few-area checks of the same children, from one panel of them.

DiD models (`did_models`)
    EventStudyResult: Event-study coefficients per period, the joint pre-trend test, and
        caveats.
    LogisticDidResult: Logistic DiD: the odds ratio of treated_area x post and the
        g-computation ATT.
    event_study: DiD per period relative to `reference`, with area and period fixed effects.
    logistic_did: Logistic DiD with area and period effects: odds ratio and g-computation
        ATT.

Effects by subgroup (equity) (`equity`)
    TripleDifferenceResult: DiD within each subgroup level (measure "did"), triple
        differences, joint F test.
    AdditiveInteractionResult: Risk difference within each level, interaction contrasts and
        the joint Wald test.
    triple_difference: The DiD within each subgroup level, their differences and a joint
        test (additive scale).
    additive_interaction: Risk difference within each subgroup level and the Wald test that
        they are equal.

Missing covariates (`imputation`)
    missingness_table: Children, missing values and share missing per variable in each
        combination of groups.
    ImputedCovariates: The m completed copies of the covariates (a list of DataFrames) and
        how they were made.
    impute_covariates: m completed copies of `covariates`, missing values drawn by chained
        equations.
    pool_rubin: Pool one scalar estimate and its variance per imputed data set (m >= 2) by
        Rubin's rules.
    pool_estimates: Pool one Estimate per imputed data set by Rubin's rules.

Multiple comparisons (`multiplicity`)
    holm: Holm (1979) step-down adjusted p-values, controlling the family-wise error rate.
    benjamini_hochberg: Benjamini–Hochberg (1995) adjusted p-values, controlling the false
        discovery rate.

Planning (power, sample size) (`power`)
    power_two_proportions: Power of the two-sided z test of p_intervention vs p_comparison
        at these group sizes.
    SampleSize: Children needed per group to detect a named difference, with and without
        correction.
    sample_size_two_proportions: Children per group to detect p_comparison + difference
        (Fleiss, Levin & Paik ch. 4).
    DetectableDifference: Smallest true difference the test would detect with the given
        power, both directions.
    minimum_detectable_difference: Smallest detectable rise and fall from p_comparison,
        solving the power equation.
    design_effect: Variance inflation of a cluster mean: 1 + ((cv² + 1) m − 1) ρ (Eldridge
        et al. 2006).
    did_design_effect: Variance of an area's after − before change relative to 2σ²/m
        (repeated cross-sections).
    cluster_power: Power of the area-level t test for a true difference (DiD or concurrent),
        analytic.
    SimulatedPower: Share of simulated studies in which the area-level t test rejects, with
        its MC error.
    simulate_cluster_power: Power of the area-level t test by simulating the study
        (beta-binomial areas), seeded.
    DetectableClusterDifference: Smallest true difference (DiD or concurrent) the area-level
        test detects, both directions.
    minimum_detectable_did: Smallest detectable rise and fall with areas as clusters
        (area-level t test).
    AreasNeeded: Areas and children needed for a named difference with areas as clusters
        (analytic).
    areas_needed: Areas per arm (and children per area) needed to detect `difference`,
        analytic power.
    IccEstimate: ANOVA estimate of the intra-area correlation of a binary outcome, truncated
        at 0.
    estimate_icc: Intra-area correlation of a 0/1 outcome by the ANOVA estimator, truncated
        at 0.

Meta-analysis of sites (`meta`)
    MetaAnalysis: Pooled effect of several sites, their heterogeneity, weights and the sites
        left out.
    meta_analysis: Random-effects meta-analysis of one estimate and standard error per site.

Monitoring over time and across areas (`monitoring`)
    PChart: A p-chart: each point's proportion against a centre line and sigma limits.
    p_chart: Shewhart p-chart of a proportion over time, with the run rule of 8 on one side.
    FunnelLimits: Funnel-plot control limits around a target proportion, per number of
        children.
    funnel_limits: Funnel-plot limits around a target proportion for each number of children.
    Funnel: A funnel plot: each unit's proportion, its limits at its own n, and where it
        falls.
    funnel_plot: Funnel plot of units' proportions against a target, with limits and
        classification.

Costs (`costs`)
    unit_cost: An amount per unit (family, contact, child); None where there are no units.
    cost_per_outcome: The cost per additional child reaching an outcome, its interval by
        inverting the effect's.

Covariates (`_design`)
    dummy_code: Numeric columns as floats; categorical, string and boolean columns as 0/1
        dummies.

Constants: `FLAGS` (what a result's flags may say), `REFERENCES` (a test's reference
distributions), `DEFAULT_CAC` (the planning cluster autocorrelation).

Internal building blocks, not exported: `proportions.check_counts` and
`check_confidence` (argument checks), `regression.fit_logistic` and `LogisticFit` (the
IRLS fit behind the logistic methods), `did.WildClusterBootstrap` and
`wild_cluster_bootstrap_p` (the bootstrap behind `difference_in_differences`),
`did.cluster_weight_draws` and `inverted_test_bound` (its weight draws and interval search,
shared with `did_counts`), and the rest of the `_design` module (each method's covariate
design: a frame of `dummy_code`'s columns is taken as it is, so a caller running many
methods on one population codes its covariates once).
"""

from __future__ import annotations

import importlib
from typing import Any

# Where each public name lives; imported on first use, so that `import pipeline.stats`
# stays cheap and a method module may import another without a cycle.
_HOME: dict[str, str] = {
    "NotEstimable": "results",
    "Dropped": "results",
    "Estimate": "results",
    "Test": "results",
    "FLAGS": "results",
    "REFERENCES": "results",
    "proportion": "proportions",
    "poisson_rate": "rates",
    "risk_difference": "effects",
    "risk_ratio": "effects",
    "odds_ratio": "effects",
    "association_test": "effects",
    "fisher_exact_test": "effects",
    "ProportionComparison": "effects",
    "compare_proportions": "effects",
    "mean_difference": "continuous",
    "bootstrap_mean_difference": "continuous",
    "linear_adjusted_effect": "continuous",
    "iptw_mean_difference": "continuous",
    "poisson_rate_ratio": "counts",
    "poisson_rate_difference": "counts",
    "count_ratio": "counts",
    "OverdispersionCheck": "counts",
    "overdispersion_check": "counts",
    "iptw_rate_ratio": "counts",
    "AdjustedEffects": "regression",
    "logistic_adjusted_effects": "regression",
    "logistic_slope": "regression",
    "interaction_test": "regression",
    "propensity_scores": "weighting",
    "iptw_weights": "weighting",
    "kish_effective_sample_size": "weighting",
    "WeightDiagnostics": "weighting",
    "weight_diagnostics": "weighting",
    "IPTWResult": "weighting",
    "iptw_effect": "weighting",
    "iptw_effects": "weighting",
    "equivalence_rating": "balance",
    "hedges_g": "balance",
    "cox_index": "balance",
    "standardised_mean_difference": "balance",
    "baseline_difference": "balance",
    "complier_effect": "complier",
    "fuzzy_did": "complier",
    "KaplanMeierResult": "survival",
    "kaplan_meier": "survival",
    "log_rank_test": "survival",
    "CoxResult": "survival",
    "cox_hazard_ratio": "survival",
    "cox_likelihood_ratio_test": "survival",
    "proportional_hazards_test": "survival",
    "TurnbullResult": "survival",
    "turnbull": "survival",
    "midpoint_kaplan_meier": "survival",
    "DiscreteTimeResult": "duration",
    "discrete_time_hazard_ratio": "duration",
    "restricted_mean_survival": "duration",
    "rmst_difference": "duration",
    "rmst_did": "duration",
    "DidResult": "did",
    "difference_in_differences": "did",
    "at_least_child_level": "did",
    "WildClusterScoreBootstrap": "did_counts",
    "poisson_did": "did_counts",
    "rate_difference_did": "did_counts",
    "randomisation_inference": "did_inference",
    "arm_randomisation": "did_inference",
    "area_period_cells": "did_inference",
    "pairwise_did": "did_inference",
    "leave_one_area_out": "did_inference",
    "placebo_areas": "did_inference",
    "placebo_p": "did_inference",
    "area_checks": "did_inference",
    "EventStudyResult": "did_models",
    "LogisticDidResult": "did_models",
    "event_study": "did_models",
    "logistic_did": "did_models",
    "TripleDifferenceResult": "equity",
    "AdditiveInteractionResult": "equity",
    "triple_difference": "equity",
    "additive_interaction": "equity",
    "missingness_table": "imputation",
    "ImputedCovariates": "imputation",
    "impute_covariates": "imputation",
    "pool_rubin": "imputation",
    "pool_estimates": "imputation",
    "holm": "multiplicity",
    "benjamini_hochberg": "multiplicity",
    "power_two_proportions": "power",
    "SampleSize": "power",
    "sample_size_two_proportions": "power",
    "DetectableDifference": "power",
    "minimum_detectable_difference": "power",
    "design_effect": "power",
    "did_design_effect": "power",
    "cluster_power": "power",
    "SimulatedPower": "power",
    "simulate_cluster_power": "power",
    "DetectableClusterDifference": "power",
    "minimum_detectable_did": "power",
    "AreasNeeded": "power",
    "areas_needed": "power",
    "IccEstimate": "power",
    "estimate_icc": "power",
    "DEFAULT_CAC": "power",
    "MetaAnalysis": "meta",
    "meta_analysis": "meta",
    "PChart": "monitoring",
    "p_chart": "monitoring",
    "FunnelLimits": "monitoring",
    "funnel_limits": "monitoring",
    "Funnel": "monitoring",
    "funnel_plot": "monitoring",
    "dummy_code": "_design",
    "unit_cost": "costs",
    "cost_per_outcome": "costs",
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
