"""Report wording in Swedish and English, number formatting and sentences built from estimates.

All words a report shows live here, keyed by language ("sv", "en"); logic elsewhere uses the
canonical English ids of the package. Swedish number formats follow Språkrådet's
recommendations (Svenska skrivregler): decimal comma, a no-break space before "%" and between
groups of thousands, a true minus sign (U+2212), "95 % KI", "procentenheter"; an interval with
a negative bound is written with "till" rather than a dash ("−14 till −2").
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

LANGUAGES = ("sv", "en")
NBSP = "\u00a0"  # no-break space: before "%" and between groups of thousands
MINUS = "\u2212"
EN_DASH = "\u2013"
DEFAULT_MIN_CELL = 5
_SUPPRESSED_PATTERN = re.compile(r"^\s*<\s*(\d+)\s*$")

# --- labels ---------------------------------------------------------------------------------

INDICATOR_LABELS: dict[str, dict[str, str]] = {
    "sv": {
        "bf_any_1w": "Amning (hel eller delvis) vid 1 vecka",
        "bf_any_2m": "Amning (hel eller delvis) vid 2 månader",
        "bf_any_4m": "Amning (hel eller delvis) vid 4 månader",
        "bf_any_6m": "Amning (hel eller delvis) vid 6 månader",
        "bf_any_12m": "Amning (hel eller delvis) vid 12 månader",
        "bf_excl_2m": "Helamning vid 2 månader",
        "bf_excl_4m": "Helamning vid 4 månader",
        "bf_duration": "Amningens längd",
        "vacc_dtp3_24m": "DTP-polio-Hib, 3 doser vid 24 månader",
        "vacc_pcv3_24m": "Pneumokockvaccin, 3 doser vid 24 månader",
        "vacc_mmr1_24m": "MMR vid 24 månader",
        "vacc_rota_complete": "Rotavirusvaccin, fullständig serie",
        "vacc_full_24m": "Fullvaccinerad vid 24 månader",
        "vacc_mmr1_timely": "MMR i tid (vid 20 månader)",
        "vacc_mmr1_age": "Ålder vid MMR-vaccination",
        "lang_screened": "Språkscreening genomförd",
        "lang_no_deviation": "Språkscreening utan anmärkning",
        "lang_referred": "Remiss till logoped",
        "lang_deviation_detected": "Språkavvikelse upptäckt (bland alla barn i åldern)",
    },
    "en": {
        "bf_any_1w": "Any breastfeeding at 1 week",
        "bf_any_2m": "Any breastfeeding at 2 months",
        "bf_any_4m": "Any breastfeeding at 4 months",
        "bf_any_6m": "Any breastfeeding at 6 months",
        "bf_any_12m": "Any breastfeeding at 12 months",
        "bf_excl_2m": "Exclusive breastfeeding at 2 months",
        "bf_excl_4m": "Exclusive breastfeeding at 4 months",
        "bf_duration": "Duration of breastfeeding",
        "vacc_dtp3_24m": "DTaP-IPV-Hib, 3 doses by 24 months",
        "vacc_pcv3_24m": "Pneumococcal vaccine, 3 doses by 24 months",
        "vacc_mmr1_24m": "MMR at 24 months",
        "vacc_rota_complete": "Rotavirus vaccine, complete series",
        "vacc_full_24m": "Fully vaccinated at 24 months",
        "vacc_mmr1_timely": "MMR on time (by 20 months)",
        "vacc_mmr1_age": "Age at MMR vaccination",
        "lang_screened": "Language screening done",
        "lang_no_deviation": "Language screening without remark",
        "lang_referred": "Referred to a speech therapist",
        "lang_deviation_detected": "Language deviation found (among all children of the age)",
    },
}

# Group names as table/axis labels and inside sentences ("i interventionsgruppen").
GROUP_LABELS: dict[str, dict[str, str]] = {
    "sv": {"intervention": "Interventionsgrupp", "comparison": "Jämförelsegrupp",
           "intervention_pre": "Interventionsområden före start",
           "comparison_pre": "Jämförelseområden före start"},
    "en": {"intervention": "Intervention", "comparison": "Comparison",
           "intervention_pre": "Intervention areas before start",
           "comparison_pre": "Comparison areas before start"},
}
GROUP_IN_SENTENCE: dict[str, dict[str, str]] = {
    "sv": {"intervention": "i interventionsgruppen", "comparison": "i jämförelsegruppen",
           "intervention_pre": "i interventionsområdena före start",
           "comparison_pre": "i jämförelseområdena före start"},
    "en": {"intervention": "in the intervention group", "comparison": "in the comparison group",
           "intervention_pre": "in the intervention areas before the start",
           "comparison_pre": "in the comparison areas before the start"},
}

METHOD_LABELS: dict[str, dict[str, str]] = {
    "sv": {"crude": "Ojusterad", "regression": "Justerad (logistisk regression)",
           "iptw": "Justerad (viktning, IPTW)",
           "ipwra": "Justerad (viktning och regression, dubbelt robust)", "did": "Skillnad-i-skillnader",
           "did_unadjusted": "Skillnad-i-skillnader utan justering",
           "cace": "Instrumentvariabel (erbjudande)", "fuzzy_did": "Skillnad-i-skillnader för deltagare",
           "cox": "Justerad (Cox-regression)",
           "discrete_time": "Justerad (diskret tid, bedömningsintervall)",
           "logistic_did": "Skillnad-i-skillnader, logistisk (kontroll av skalan)",
           "triple_difference": "Skillnad-i-skillnader inom undergruppen",
           "kaplan_meier": "Kaplan–Meier"},
    "en": {"crude": "Unadjusted", "regression": "Adjusted (logistic regression)",
           "iptw": "Adjusted (weighting, IPTW)",
           "ipwra": "Adjusted (weighting and regression, doubly robust)", "did": "Difference-in-differences",
           "did_unadjusted": "Difference-in-differences, unadjusted",
           "cace": "Instrumental variable (the offer)",
           "fuzzy_did": "Difference-in-differences for participants",
           "cox": "Adjusted (Cox regression)",
           "discrete_time": "Adjusted (discrete time, assessment intervals)",
           "logistic_did": "Difference-in-differences, logistic (check on the scale)",
           "triple_difference": "Difference-in-differences within the subgroup",
           "kaplan_meier": "Kaplan–Meier"},
}

MEASURE_LABELS: dict[str, dict[str, str]] = {
    "sv": {"risk_difference": "Skillnad (procentenheter)", "risk_ratio": "Riskkvot",
           "odds_ratio": "Oddskvot", "hazard_ratio": "Hasardkvot",
           "did": "Skillnad-i-skillnader (procentenheter)",
           "rmst_did": "Skillnad-i-skillnader i genomsnittlig tid (dagar)"},
    "en": {"risk_difference": "Difference (percentage points)", "risk_ratio": "Risk ratio",
           "odds_ratio": "Odds ratio", "hazard_ratio": "Hazard ratio",
           "did": "Difference-in-differences (percentage points)",
           "rmst_did": "Difference-in-differences in mean time (days)"},
}

ANALYSIS_LABELS: dict[str, dict[str, str]] = {
    "sv": {"itt": "Alla som uppfyller villkoren (ITT)",
           "per_protocol": "Familjer som tackat ja mot alla (vald jämförelse, per protokoll)",
           "complier": "Effekt för familjer som tackar ja (CACE)",
           "dose_response": "Per extra kontakt (dos–respons)", "subgroup": "Undergrupp",
           "placebo": "Placebotest före start",
           "no_pandemic": "Utan barn födda 2020–2021 (pandemin)",
           "landmark": "Andel vid en viss ålder (landmärke)",
           "filled_windows": "Med amningspunkter ifyllda från andra bedömningar",
           "multiple_imputation": "Med saknade bakgrundsuppgifter imputerade (MI)"},
    "en": {"itt": "Everyone eligible (ITT)",
           "per_protocol": "Families who accepted against all (selected comparison, per protocol)",
           "complier": "Effect for families who accept (CACE)",
           "dose_response": "Per additional contact (dose–response)", "subgroup": "Subgroup",
           "placebo": "Placebo test before the start",
           "no_pandemic": "Without children born 2020–2021 (the pandemic)",
           "landmark": "Share at a given age (landmark)",
           "filled_windows": "With breastfeeding points filled from other assessments",
           "multiple_imputation": "With missing covariates imputed (MI)"},
}

COVARIATE_LABELS: dict[str, dict[str, str]] = {
    "sv": {"mother_region": "Moderns födelseregion", "education": "Föräldrarnas utbildning",
           "mother_age": "Moderns ålder", "interpreter_needed": "Tolkbehov",
           "child_sex": "Barnets kön"},
    "en": {"mother_region": "Mother's region of birth", "education": "Parents' education",
           "mother_age": "Mother's age", "interpreter_needed": "Interpreter needed",
           "child_sex": "Child's sex"},
}

LEVEL_LABELS: dict[str, dict[str, str]] = {
    "sv": {"sweden": "Sverige", "nordic": "Norden", "sweden_nordic": "Sverige eller Norden",
           "europe": "Europa", "outside_europe": "Utanför Europa", "compulsory": "Förgymnasial",
           "upper_secondary": "Gymnasial", "post_secondary": "Eftergymnasial", "true": "Ja",
           "false": "Nej", "female": "Flicka", "male": "Pojke"},
    "en": {"sweden": "Sweden", "nordic": "Nordic countries", "sweden_nordic": "Sweden or Nordic",
           "europe": "Europe", "outside_europe": "Outside Europe", "compulsory": "Compulsory",
           "upper_secondary": "Upper secondary", "post_secondary": "Post-secondary", "true": "Yes",
           "false": "No", "female": "Girl", "male": "Boy"},
}

RATING_LABELS: dict[str, dict[str, str]] = {
    "sv": {"satisfied": "Likvärdiga (|d| ≤ 0,05)",
           "adjustment_required": "Kräver statistisk justering (0,05 < |d| ≤ 0,25)",
           "not_satisfied": "Ej likvärdiga (|d| > 0,25)"},
    "en": {"satisfied": "Equivalent (|d| ≤ 0.05)",
           "adjustment_required": "Requires statistical adjustment (0.05 < |d| ≤ 0.25)",
           "not_satisfied": "Not equivalent (|d| > 0.25)"},
}

FLOW_LABELS: dict[str, dict[str, str]] = {
    "sv": {"born_in_intervention_areas": "Födda i interventionsområdena",
           "eligible": "Uppfyller villkoren för programmet", "offered": "Erbjudna programmet",
           "accepted": "Tackade ja", "at_least_one_contact": "Minst ett programbesök",
           "due_all_contacts": "Varav gamla nog för alla planerade kontakter och ej utflyttade",
           "all_planned_contacts": "Alla planerade kontakter"},
    "en": {"born_in_intervention_areas": "Born in the intervention areas",
           "eligible": "Eligible for the programme", "offered": "Offered the programme",
           "accepted": "Accepted", "at_least_one_contact": "At least one programme visit",
           "due_all_contacts": "Of these, old enough for every planned contact and not moved out",
           "all_planned_contacts": "All planned contacts"},
}

FIDELITY_LABELS: dict[str, dict[str, str]] = {
    "sv": {"children": "Barn i interventionsgruppen som tackat ja",
           "contacts_planned_per_child": "Planerade kontakter per barn",
           "mean_contacts_received": "Genomförda kontakter per barn (medel)",
           "contacts_due": "Kontakter som borde ha skett", "contacts_received": "Genomförda kontakter",
           "share_of_due_received": "Andel av planerade kontakter som genomförts",
           "share_received_on_time": "Andel genomförda i tid",
           "share_joint": "Andel med alla förväntade yrkesgrupper (gemensamma besök)",
           "share_with_interpreter": "Andel med tolk", "share_with_mother": "Andel med mamma närvarande",
           "share_with_father": "Andel med pappa närvarande",
           "share_with_both": "Andel med båda föräldrarna närvarande",
           "extra_contacts": "Extra kontakter utöver programmet"},
    "en": {"children": "Intervention children whose families accepted",
           "contacts_planned_per_child": "Planned contacts per child",
           "mean_contacts_received": "Contacts received per child (mean)",
           "contacts_due": "Contacts due", "contacts_received": "Contacts received",
           "share_of_due_received": "Share of planned contacts received",
           "share_received_on_time": "Share received on time",
           "share_joint": "Share with all expected professions (joint visits)",
           "share_with_interpreter": "Share with an interpreter",
           "share_with_mother": "Share with the mother present",
           "share_with_father": "Share with the father present",
           "share_with_both": "Share with both parents present",
           "extra_contacts": "Extra contacts beyond the programme"},
}

TABLE_NAMES: dict[str, dict[str, str]] = {
    "sv": {"children": "Barn", "visits": "Besök", "breastfeeding": "Amning",
           "vaccinations": "Vaccinationer", "language": "Språkscreening",
           "conversations": "Råd- och stödsamtal", "collaboration": "Samverkan", "costs": "Kostnader"},
    "en": {"children": "Children", "visits": "Visits", "breastfeeding": "Breastfeeding",
           "vaccinations": "Vaccinations", "language": "Language screening",
           "conversations": "Counselling conversations", "collaboration": "Collaboration",
           "costs": "Costs"},
}

REASON_LABELS: dict[str, dict[str, str]] = {
    "sv": {"category_unknown": "Okänd kategori", "date_after_extraction": "Datum efter uttagsdatum",
           "date_before_birth": "Datum före födseln", "date_unparseable": "Datum går inte att tolka",
           "duplicate_conflict": "Motstridig dubblett", "pnr_missing": "Personnummer saknas",
           "pnr_bad_characters": "Personnummer med otillåtna tecken",
           "pnr_wrong_length": "Personnummer med fel längd",
           "pnr_invalid_date": "Personnummer med ogiltigt datum",
           "pnr_check_digit": "Personnummer med fel kontrollsiffra",
           "pnr_future_birth": "Personnummer med födelse i framtiden",
           "unknown_child": "Barnet finns inte i barntabellen", "vaccine_unknown": "Okänt vaccin"},
    "en": {"category_unknown": "Unknown category", "date_after_extraction": "Date after extraction",
           "date_before_birth": "Date before birth", "date_unparseable": "Date cannot be read",
           "duplicate_conflict": "Conflicting duplicate", "pnr_missing": "Personnummer missing",
           "pnr_bad_characters": "Personnummer with invalid characters",
           "pnr_wrong_length": "Personnummer of wrong length",
           "pnr_invalid_date": "Personnummer with an invalid date",
           "pnr_check_digit": "Personnummer with a wrong check digit",
           "pnr_future_birth": "Personnummer with a future birth date",
           "unknown_child": "Child not in the children table", "vaccine_unknown": "Unknown vaccine"},
}

HEADERS: dict[str, dict[str, str]] = {
    "sv": {"indicator": "Indikator", "group": "Grupp", "area": "Område", "proportion": "Andel (95\u00a0% KI)",
           "n": "Antal barn", "events": "Antal med utfallet", "measure": "Mått", "method": "Metod",
           "estimate": "Skattning (95\u00a0% KI)", "p": "p", "p_adjusted": "Justerat p",
           "n_intervention": "n intervention", "n_comparison": "n jämförelse", "note": "Anmärkning",
           "covariate": "Bakgrundsfaktor", "level": "Nivå",
           "value_before": "Cox-index/Hedges g före viktning",
           "value_after": "Cox-index/Hedges g efter viktning",
           "smd_before": "Austins standardiserade skillnad före viktning",
           "smd_after": "Austins standardiserade skillnad efter viktning",
           "rating_before": "Bedömning före viktning",
           "rating_after": "Bedömning efter viktning", "step": "Steg", "children": "Barn",
           "share_of_previous": "Andel av föregående steg", "value": "Värde",
           "subgroup": "Undergrupp", "p_interaction": "p för interaktion",
           "contacts_band": "Antal kontakter", "p_comparison": "Andel i jämförelsegruppen",
           "mdd": "Minsta upptäckbara ökning, barn som oberoende",
           "mdd_areas": "Minsta upptäckbara ökning, områden som kluster",
           "areas_per_arm_needed": "Områden per grupp som behövs",
           "mdd_decrease": "Minsta upptäckbara minskning",
           "difference_named": "Önskad skillnad", "n_per_group_needed": "Barn per grupp som behövs",
           "table": "Tabell", "source_file": "Fil", "rows_read": "Rader inlästa",
           "rows_clean": "Rader godkända", "rows_rejected": "Rader avvisade",
           "rows_duplicate": "Exakta dubbletter", "reason": "Orsak", "rows": "Rader",
           "column": "Kolumn", "missing": "Saknas", "share_missing": "Andel saknade",
           "median": "Median, månader (95\u00a0% KI)", "log_rank": "Log-rank p", "reference": "Referens",
           "what": "Vad", "file": "Fil", "sha256": "SHA-256", "package": "Paket",
           "version": "Version", "stage": "Steg", "status": "Status", "seconds": "Sekunder",
           "item": "Uppgift", "analysis": "Analys", "variable": "Uppgift",
           "missing_intervention_pre": "Intervention, före start",
           "missing_intervention_post": "Intervention, efter start",
           "missing_comparison_pre": "Jämförelse, före start",
           "missing_comparison_post": "Jämförelse, efter start",
           "logistic": "Logistisk kontroll (95\u00a0% KI)",
           "p_randomisation": "p över tilldelningar av områden (lägsta möjliga)",
           "p_placebo": "p bland placeboområden (lägsta möjliga)",
           "leave_one_out": "Utan ett område i taget (lägst – högst)",
           "pretrend_joint_p": "p för skillnad före start (eventstudie)"},
    "en": {"indicator": "Indicator", "group": "Group", "area": "Area", "proportion": "Share (95% CI)",
           "n": "Children", "events": "With the outcome", "measure": "Measure", "method": "Method",
           "estimate": "Estimate (95% CI)", "p": "p", "p_adjusted": "Adjusted p",
           "n_intervention": "n intervention", "n_comparison": "n comparison", "note": "Note",
           "covariate": "Covariate", "level": "Level",
           "value_before": "Cox index/Hedges' g before weighting",
           "value_after": "Cox index/Hedges' g after weighting",
           "smd_before": "Austin's standardised difference before weighting",
           "smd_after": "Austin's standardised difference after weighting",
           "rating_before": "Rating before weighting",
           "rating_after": "Rating after weighting", "step": "Step", "children": "Children",
           "share_of_previous": "Share of previous step", "value": "Value",
           "subgroup": "Subgroup", "p_interaction": "p for interaction",
           "contacts_band": "Contacts received", "p_comparison": "Share in the comparison group",
           "mdd": "Minimum detectable rise, children as independent",
           "mdd_areas": "Minimum detectable rise, areas as clusters",
           "areas_per_arm_needed": "Areas per group needed", "mdd_decrease": "Minimum detectable fall",
           "difference_named": "Difference wanted", "n_per_group_needed": "Children per group needed",
           "table": "Table", "source_file": "File", "rows_read": "Rows read",
           "rows_clean": "Rows clean", "rows_rejected": "Rows rejected",
           "rows_duplicate": "Exact duplicates", "reason": "Reason", "rows": "Rows",
           "column": "Column", "missing": "Missing", "share_missing": "Share missing",
           "median": "Median, months (95% CI)", "log_rank": "Log-rank p", "reference": "Reference",
           "what": "What", "file": "File", "sha256": "SHA-256", "package": "Package",
           "version": "Version", "stage": "Stage", "status": "Status", "seconds": "Seconds",
           "item": "Item", "analysis": "Analysis", "variable": "Item",
           "missing_intervention_pre": "Intervention, before the start",
           "missing_intervention_post": "Intervention, after the start",
           "missing_comparison_pre": "Comparison, before the start",
           "missing_comparison_post": "Comparison, after the start",
           "logistic": "Logistic check (95% CI)",
           "p_randomisation": "p over assignments of areas (smallest possible)",
           "p_placebo": "p among placebo areas (smallest possible)",
           "leave_one_out": "Without one area at a time (lowest – highest)",
           "pretrend_joint_p": "p for a difference before the start (event study)"},
}

SECTION_TITLES: dict[str, dict[str, str]] = {
    "sv": {"summary": "Sammanfattning", "flow": "Familjernas väg genom programmet",
           "implementation": "Genomförande och programtrohet",
           "balance": "Jämförbarhet mellan grupperna",
           "breastfeeding": "Amning", "vaccination": "Vaccination", "language": "Språkutveckling",
           "effects": "Skattade effekter", "equity": "Jämlikhet: skillnader i undergrupper",
           "dose_response": "Dos–respons: utfall efter antal kontakter", "power": "Statistisk styrka",
           "data_quality": "Bilaga A. Datakvalitet", "methods": "Bilaga B. Metoder",
           "manifest": "Bilaga C. Körningens innehållsförteckning", "survival": "Överlevnadskurvor",
           "trends": "Utvecklingen före och efter start"},
    "en": {"summary": "Summary", "flow": "Flow of families through the programme",
           "implementation": "Implementation and fidelity",
           "balance": "Comparability of the groups",
           "breastfeeding": "Breastfeeding", "vaccination": "Vaccination",
           "language": "Language development", "effects": "Estimated effects",
           "equity": "Equity: differences in subgroups",
           "dose_response": "Dose–response: outcomes by contacts received", "power": "Statistical power",
           "data_quality": "Appendix A. Data quality", "methods": "Appendix B. Methods",
           "manifest": "Appendix C. The run's manifest", "survival": "Survival curves",
           "trends": "Trends before and after the start"},
}

AXIS_LABELS: dict[str, dict[str, str]] = {
    "sv": {"share": "Andel (%)", "age_months": "Barnets ålder (månader)",
           "share_vaccinated": "Andel vaccinerade (%)", "share_breastfed": "Andel som ammas (%)",
           "difference_pp": "Skillnad, interventions- minus jämförelsegrupp (procentenheter)",
           "did_by_half_year": "Skillnad-i-skillnader (procentenheter)",
           "ratio": "Kvot (logaritmisk skala)", "families": "Antal barn",
           "contacts": "Antal genomförda programkontakter", "at_risk": "Antal i risk",
           "did_pp": "Skattad effekt: hur mycket mer andelen förändrades från före till efter start i "
                     "interventionsområdena än i jämförelseområdena (procentenheter)",
           "birth_period": "Barnets födelseperiod", "birth_half_year": "Barnets födelsehalvår"},
    "en": {"share": "Share (%)", "age_months": "Child's age (months)",
           "share_vaccinated": "Share vaccinated (%)", "share_breastfed": "Share still breastfed (%)",
           "difference_pp": "Difference, intervention minus comparison (percentage points)",
           "did_by_half_year": "DiD (percentage points)",
           "ratio": "Ratio (log scale)", "families": "Children",
           "contacts": "Programme contacts received", "at_risk": "Number at risk",
           "did_pp": "Estimated effect: how much more the share changed from before to after the start "
                     "in the intervention areas than in the comparison areas (percentage points)",
           "birth_period": "Child's birth period", "birth_half_year": "Child's half-year of birth"},
}

PHRASES: dict[str, dict[str, str]] = {
    "sv": {
        "pp": "procentenheter", "pp_one": "procentenhet",
        "ci": "95\u00a0% KI", "to": "till",
        # Suppression (SPEC §10), worded by what is small (the `suppression` column of a
        # published table); "suppressed"/"suppressed_short" when the reason is not known.
        "suppressed": "redovisas inte, eftersom ett tal bakom uppgiften är mindre än {min_cell} "
                      "eller skulle avslöja ett sådant tal",
        "suppressed_short": "undertryckt (små tal)",
        "suppressed_small_group": "redovisas inte: en av grupperna har färre än {min_cell} barn",
        "suppressed_few_events": "redovisas inte: färre än {min_cell} barn i en av grupperna hade "
                                 "utfallet",
        "suppressed_few_without": "redovisas inte: färre än {min_cell} barn i en av grupperna saknade "
                                  "utfallet",
        "suppressed_small_count": "redovisas inte: ett av talen bakom uppgiften är mindre än {min_cell}",
        "suppressed_secondary": "redovisas inte, för att en annan uppgift med få barn inte ska kunna "
                                "räknas fram",
        "suppressed_short_small_group": "färre än {min_cell} barn",
        "suppressed_short_few_events": "färre än {min_cell} med utfallet",
        "suppressed_short_few_without": "färre än {min_cell} utan utfallet",
        "suppressed_short_small_count": "tal under {min_cell}",
        "suppressed_short_secondary": "dold för att skydda en annan uppgift",
        "bound_above": "över", "bound_below": "under", "whole_study": "Hela studien",
        "out_of_reach": "nås inte",
        "hidden_half_years": "{count} halvår utan punkt: få barn med eller utan utfallet",
        "partly_suppressed": "enstaka punkter undertryckta (<{min_cell}), visas inte",
        "not_estimable": "kunde inte skattas",
        "no_data": "uppgift saknas",
        "no_area_rows": "Uppgifterna {table} redovisas inte per område; de gäller hela studien.",
        "design": "Design", "title_fallback": "Utvärdering av utökat hembesöksprogram",
        "synthetic": "Obs! Uppgifterna är syntetiska (påhittade) och gäller inga verkliga barn.",
        "none": "Inga uppgifter.",
        "period_pre": "Födda före programstart", "period_post": "Födda efter programstart",
        "arm_intervention": "Interventionsområden", "arm_comparison": "Jämförelseområden",
        "programme_start": "programstart",
        "flow_intro": "Hur många familjer som uppfyllde villkoren, erbjöds programmet, tackade ja och fick "
                      "besöken. Procent i parentes är andelen av föregående steg.",
        "implementation_intro": "Hur programmet genomfördes för de familjer som tackade ja: antal kontakter, "
                                "andel i tid, gemensamma besök och vilka föräldrar som var med.",
        "balance_intro": "Skillnader mellan interventions- och jämförelsegruppen vid start, före och efter "
                         "viktning, mätta som What Works Clearinghouse/HomVEE mäter dem: Cox-index för "
                         "kategorier (till exempel moderns födelseregion) och Hedges g för mätvärden "
                         "(moderns ålder). Bedömningen gäller just dessa tal: högst 0,05 är likvärdigt, "
                         "0,05–0,25 kräver statistisk justering, över 0,25 är inte likvärdigt. Tabellen "
                         "bygger på {n_intervention} barn i interventionsgruppen och {n_comparison} i "
                         "jämförelsegruppen.",
        "proportions_intro": "Andel med 95 % konfidensintervall per grupp.",
        "forest_intro_did": "Programmets skattade effekt (skillnad-i-skillnader) i procentenheter med "
                            "95 % konfidensintervall; linjen vid 0 betyder ingen skillnad.",
        "forest_intro_concurrent": "Programmets skattade effekt i procentenheter, justerad för skillnader "
                                   "i bakgrund (logistisk regression; viktning med IPTW som "
                                   "känslighetsanalys), med 95 % konfidensintervall; linjen vid 0 "
                                   "betyder ingen skillnad.",
        "forest_intro_historical": "Programmets skattade effekt i procentenheter, justerad för "
                                   "skillnader i bakgrund (logistisk regression; viktning med IPTW som "
                                   "känslighetsanalys), med 95 % konfidensintervall; linjen vid 0 "
                                   "betyder ingen skillnad.",
        "trends_intro": "Skillnad-i-skillnader förutsätter att andelarna hade utvecklats parallellt i "
                        "interventions- och jämförelseområdena utan programmet. Diagrammet visar "
                        "huvudindikatorerna per födelsehalvår: före programstart bör linjerna löpa "
                        "ungefär parallellt. Ett placebotest bland barn födda före start redovisas i "
                        "sammanfattningen när det ger anledning till tvivel.",
        "survival_intro": "Kurvor över barnens ålder (Kaplan–Meier; för amning Turnbulls skattning) med "
                          "antal barn kvar i uppföljningen under diagrammet.",
        "equity_intro": "Observerade skillnader efter start mellan interventions- och jämförelsegruppen "
                        "inom undergrupper efter moderns födelseregion och föräldrarnas utbildning. De är "
                        "ojusterade jämförelser, inte programmets skattade effekt; p för interaktion prövar "
                        "om skillnaden varierar mellan undergrupperna.",
        "dose_intro": "Utfall efter antal genomförda programkontakter bland barn i familjer som tackat ja. "
                      "Familjer som tar emot fler besök kan skilja sig på andra sätt, så sambandet visar "
                      "inte i sig en effekt.",
        "power_intro": "Minsta skillnad som studien kan upptäcka med 80 % styrka (tvåsidigt test, 5 % "
                       "nivå), och hur många barn per grupp som behövs för den önskade skillnaden. "
                       "Programmet ges per område, och barn i samma område liknar varandra: kolumnerna "
                       "med områden som kluster är det ärliga svaret (samvariationen inom områden "
                       "skattad ur data), de med barn som oberoende ett alltför optimistiskt.",
        "dq_intro": "Rader som lästes in, godkändes och avvisades per fil, avvisade rader per orsak samt "
                    "saknade värden i de rensade tabellerna.",
        "methods_intro": "Metoderna som används och deras referenser.",
        "manifest_intro": "Vilka data och vilken kod som gav rapportens siffror.",
        "per_protocol": "Familjer som tackat ja (per protokoll)",
        "technical_effects": "Alla skattningar (teknisk bilaga)",
        "design_checks": "Designbaserade kontroller av skillnad-i-skillnader",
        "design_checks_intro": "Med få områden vilar modellens p-värden och intervall på "
                               "antaganden. Tabellen visar det som kan kontrolleras utan dem: "
                               "en logistisk modell som kontroll av skalan, p-värdet när "
                               "områdena fördelas på grupperna på alla möjliga sätt, var "
                               "skattningen hamnar bland jämförelseområden som låtsas ha "
                               "programmet, skattningen när ett område i taget lämnas utanför, "
                               "och ett test av skillnader mellan grupperna före start. Figuren "
                               "visar skillnaden halvår för halvår mot halvåret före start.",
        "missing_data_intro": "Andel saknade uppgifter per grupp före och efter start (bara "
                              "uppgifter där något saknas). Huvudanalysen utesluter barn som "
                              "saknar en bakgrundsuppgift; känslighetsanalysen med multipel "
                              "imputering tar med dem.",
    },
    "en": {
        "pp": "percentage points",
        "pp_one": "percentage point", "ci": "95% CI",
        "to": "to",
        "suppressed": "not shown, because a number behind it is below {min_cell} or would reveal one",
        "suppressed_short": "suppressed (small numbers)",
        "suppressed_small_group": "not shown: one of the groups has fewer than {min_cell} children",
        "suppressed_few_events": "not shown: fewer than {min_cell} children in one of the groups had "
                                 "the outcome",
        "suppressed_few_without": "not shown: fewer than {min_cell} children in one of the groups did "
                                  "not have the outcome",
        "suppressed_small_count": "not shown: one of the numbers behind it is below {min_cell}",
        "suppressed_secondary": "not shown, so that another figure with few children cannot be "
                                "worked out",
        "suppressed_short_small_group": "fewer than {min_cell} children",
        "suppressed_short_few_events": "fewer than {min_cell} with the outcome",
        "suppressed_short_few_without": "fewer than {min_cell} without the outcome",
        "suppressed_short_small_count": "a count under {min_cell}",
        "suppressed_short_secondary": "hidden to protect another figure",
        "bound_above": "over", "bound_below": "under", "whole_study": "Whole study",
        "out_of_reach": "out of reach",
        "hidden_half_years": "{count} half-years not drawn: few children with or without the outcome",
        "partly_suppressed": "some points suppressed (<{min_cell}), not drawn",
        "not_estimable": "could not be estimated",
        "no_data": "no data",
        "no_area_rows": "The figures {table} are not broken down by area; they are for the whole study.",
        "design": "Design", "title_fallback": "Evaluation of an extended home-visiting programme",
        "synthetic": "Note: the data are synthetic (made up) and describe no real children.",
        "none": "No data.",
        "period_pre": "Born before the start", "period_post": "Born after the start",
        "arm_intervention": "Intervention areas", "arm_comparison": "Comparison areas",
        "programme_start": "programme start",
        "flow_intro": "How many families were eligible, were offered the programme, accepted and received "
                      "the visits. Percentages in brackets are shares of the previous step.",
        "implementation_intro": "How the programme was delivered to the families who accepted: contacts, "
                                "timeliness, joint visits and which parents took part.",
        "balance_intro": "Differences between the intervention and comparison groups at baseline, before "
                         "and after weighting, measured as the What Works Clearinghouse/HomVEE standards "
                         "measure them: the Cox index for categories (such as the mother's region of "
                         "birth) and Hedges' g for measurements (the mother's age). The rating is of these "
                         "numbers: up to 0.05 is equivalent, 0.05–0.25 requires statistical adjustment, "
                         "over 0.25 is not equivalent. The table rests on {n_intervention} intervention "
                         "and {n_comparison} comparison children.",
        "proportions_intro": "Share with 95% confidence interval per group.",
        "forest_intro_did": "The programme's estimated effect (difference-in-differences) in percentage "
                            "points with 95% confidence intervals; the line at 0 means no difference.",
        "forest_intro_concurrent": "The programme's estimated effect in percentage points, adjusted for "
                                   "differences in background (logistic regression; IPTW weighting as "
                                   "the sensitivity analysis), with 95% confidence intervals; the line "
                                   "at 0 means no difference.",
        "forest_intro_historical": "The programme's estimated effect in percentage points, adjusted for "
                                   "differences in background (logistic regression; IPTW weighting as "
                                   "the sensitivity analysis), with 95% confidence intervals; the line "
                                   "at 0 means no difference.",
        "trends_intro": "Difference-in-differences assumes that the shares would have developed in "
                        "parallel in the intervention and comparison areas without the programme. The "
                        "chart shows the primary indicators by half-year of birth: before the start the "
                        "lines should run roughly in parallel. A placebo test among children born "
                        "before the start is reported in the summary when it gives reason for doubt.",
        "survival_intro": "Curves over the child's age (Kaplan–Meier; for breastfeeding Turnbull's estimate) "
                          "with the numbers still followed below the plot.",
        "equity_intro": "Observed differences after the start between the intervention and comparison "
                        "groups within subgroups by mother's region of birth and parents' education. They "
                        "are unadjusted comparisons, not the programme's estimated effect; the interaction p "
                        "tests whether the difference varies between the subgroups.",
        "dose_intro": "Outcomes by the number of programme contacts received, among children of families "
                      "who accepted. Families who receive more visits may differ in other ways, so the "
                      "pattern is not by itself an effect.",
        "power_intro": "The smallest difference the study can detect with 80% power (two-sided test at the "
                       "5% level), and the children per group needed for the difference wanted. The "
                       "programme is given by area, and children in one area are alike: the columns with "
                       "areas as clusters are the honest answer (the correlation within areas estimated "
                       "from the data), those with children as independent an optimistic one.",
        "dq_intro": "Rows read, accepted and rejected per file, rejected rows by reason, and missing values "
                    "in the clean tables.",
        "methods_intro": "The methods used and their references.",
        "manifest_intro": "Which data and which code produced the figures of this report.",
        "per_protocol": "Families who accepted (per protocol)",
        "technical_effects": "All estimates (technical appendix)",
        "design_checks": "Design-based checks of the difference-in-differences",
        "design_checks_intro": "With few areas the model's p-values and intervals rest on "
                               "assumptions. The table shows what can be checked without them: "
                               "a logistic model as a check on the scale, the p-value over every "
                               "way of assigning the areas to the groups, where the estimate "
                               "falls among comparison areas treated as if they had the "
                               "programme, the estimate leaving out one area at a time, and a "
                               "test of differences between the groups before the start. The "
                               "figure shows the difference half-year by half-year against the "
                               "half-year before the start.",
        "missing_data_intro": "Share of missing values by group before and after the start "
                              "(only items with any missing). The main analysis leaves out "
                              "children with a missing covariate; the sensitivity analysis "
                              "with multiple imputation keeps them.",
    },
}

DESIGN_LABELS: dict[str, dict[str, str]] = {
    "sv": {"concurrent": "samtidig jämförelse mellan interventions- och jämförelseområden",
           "historical": "jämförelse före och efter programstart i samma områden",
           "did": "skillnad-i-skillnader: områden och perioder före och efter programstart"},
    "en": {"concurrent": "concurrent comparison of intervention and comparison areas",
           "historical": "the same areas before and after the programme started",
           "did": "difference-in-differences: areas and periods before and after the start"},
}

# Methods appendix: (method, reference) per language, in the order the analysis uses them.
METHODS: dict[str, list[tuple[str, str]]] = {
    "sv": [
        ("Andelar med 95 % konfidensintervall (Wilsons score-intervall)",
         "Wilson 1927; Newcombe 1998"),
        ("Riskskillnad med Newcombes hybrid-score-intervall", "Newcombe 1998"),
        ("Test av skillnad: Fishers exakta test när något förväntat antal är under 5, annars "
         "chi-två-test", "Fisher 1922; Pearson 1900"),
        ("Justerad oddskvot med logistisk regression; marginell (standardiserad) riskskillnad "
         "med g-beräkning och deltametoden", "Robins 1986; Austin 2010"),
        ("Viktning med propensity score (IPTW, ATT, stabiliserade vikter) med robusta "
         "standardfel", "Austin & Stuart 2015"),
        ("Skillnad-i-skillnader med osäkerhet per område: med färre än 30 områden ger samma wild "
         "cluster bootstrap-test både p-värdet och intervallet (testinversion)",
         "Cameron, Gelbach & Miller 2008; Webb 2023; Roodman m.fl. 2019"),
        ("Placebotest av parallella trender bland barn födda före start", "Angrist & Pischke 2009"),
        ("Kaplan–Meier-kurvor med Greenwoods variansskattning och log-rank-test",
         "Kaplan & Meier 1958; Greenwood 1926; Mantel 1966"),
        ("Cox-regression (Efrons metod för lika tider) med Grambsch–Therneaus test av "
         "proportionella hasarder", "Cox 1972; Efron 1977; Grambsch & Therneau 1994"),
        ("Intervallcensurerad amningslängd: Turnbulls icke-parametriska ML-skattning (NPMLE)",
         "Turnbull 1976"),
        ("Multipla jämförelser: Holms metod för huvudindikatorerna", "Holm 1979"),
        ("Multipla jämförelser: Benjamini–Hochbergs metod för övriga indikatorer",
         "Benjamini & Hochberg 1995"),
        ("Jämförbarhet vid start: standardiserade skillnader (Hedges g, "
         "Cox index) bedömda enligt WWC/HomVEE", "What Works Clearinghouse 2022; HomVEE 2023"),
        ("Statistisk styrka och stickprovsstorlek för två andelar, med kontinuitetskorrektion",
         "Fleiss, Tytun & Ury 1980"),
        ("Röjandeskydd: antal 1–4 visas som \"<5\"", "Socialstyrelsen"),
    ],
    "en": [
        ("Proportions with 95% confidence intervals (Wilson score interval)", "Wilson 1927; Newcombe 1998"),
        ("Risk difference with Newcombe's hybrid score interval", "Newcombe 1998"),
        ("Test of a difference: Fisher's exact test when any expected count is below 5, "
         "otherwise the chi-square test", "Fisher 1922; Pearson 1900"),
        ("Adjusted odds ratio by logistic regression; marginal (standardised) risk difference by "
         "g-computation with the delta method", "Robins 1986; Austin 2010"),
        ("Inverse probability of treatment weighting (IPTW, ATT, stabilised weights) with robust "
         "standard errors", "Austin & Stuart 2015"),
        ("Difference-in-differences with uncertainty by area: with fewer than 30 areas one wild "
         "cluster bootstrap test gives both the p-value and the interval (test inversion)",
         "Cameron, Gelbach & Miller 2008; Webb 2023; Roodman et al. 2019"),
        ("Placebo test of parallel trends among children born before the start",
         "Angrist & Pischke 2009"),
        ("Kaplan–Meier curves with Greenwood's variance and the log-rank test",
         "Kaplan & Meier 1958; Greenwood 1926; Mantel 1966"),
        ("Cox regression (Efron ties) with the Grambsch–Therneau test of proportional hazards",
         "Cox 1972; Efron 1977; Grambsch & Therneau 1994"),
        ("Interval-censored breastfeeding duration: Turnbull's nonparametric maximum likelihood "
         "estimate (NPMLE)", "Turnbull 1976"),
        ("Multiplicity: Holm's method across the primary indicators", "Holm 1979"),
        ("Multiplicity: Benjamini–Hochberg across the secondary indicators", "Benjamini & Hochberg 1995"),
        ("Baseline equivalence: standardised differences (Hedges' g, Cox index) rated as in "
         "WWC/HomVEE", "What Works Clearinghouse 2022; HomVEE 2023"),
        ("Power and sample size for two proportions, with continuity correction",
         "Fleiss, Tytun & Ury 1980"),
        ("Small-cell suppression: counts of 1–4 shown as \"<5\"", "Socialstyrelsen"),
    ],
}

# The clean tables' canonical columns in words (the data-quality appendix).
COLUMN_LABELS: dict[str, dict[str, str]] = {
    "sv": {"accepted": "Tackat ja", "area": "Område", "assessment_date": "Bedömningsdatum",
           "bf_status": "Amningsstatus", "birth_date": "Födelsedatum",
           "birth_date_conflict": "Födelsedatum motsäger personnumret",
           "birth_weight_g": "Födelsevikt", "bvc_unit": "BVC-enhet", "child_id": "Barnets pseudonym",
           "child_sex": "Barnets kön", "coordination_number": "Samordningsnummer",
           "declined_reason": "Orsak till nej", "dose_date": "Vaccinationsdatum",
           "dose_number_recorded": "Dosnummer", "education": "Föräldrarnas utbildning",
           "first_child": "Första barnet", "first_child_in_sweden": "Första barnet i Sverige",
           "gestational_weeks": "Graviditetsvecka", "interpreter_needed": "Tolkbehov",
           "interpreter_used": "Tolk vid besöket", "mother_age": "Moderns ålder",
           "mother_region": "Moderns födelseregion", "moved_out_date": "Utflyttningsdatum",
           "offered_date": "Datum för erbjudande", "parents_present": "Närvarande föräldrar",
           "product": "Vaccinprodukt", "professions": "Yrkesgrupper",
           "referred_speech_therapist": "Remiss till logoped", "result": "Screeningresultat",
           "screening": "Screeningtyp", "screening_date": "Screeningdatum",
           "sex_conflict": "Kön motsäger personnumret", "vaccine": "Vaccin",
           "visit_date": "Besöksdatum", "visit_kind": "Besökstyp", "visit_number": "Besöksnummer",
           "visit_status": "Besöksstatus"},
    "en": {"accepted": "Accepted", "area": "Area", "assessment_date": "Assessment date",
           "bf_status": "Breastfeeding status", "birth_date": "Birth date",
           "birth_date_conflict": "Birth date contradicts the personnummer",
           "birth_weight_g": "Birth weight", "bvc_unit": "BVC unit", "child_id": "Child's pseudonym",
           "child_sex": "Child's sex", "coordination_number": "Coordination number",
           "declined_reason": "Reason for declining", "dose_date": "Vaccination date",
           "dose_number_recorded": "Dose number", "education": "Parents' education",
           "first_child": "First child", "first_child_in_sweden": "First child in Sweden",
           "gestational_weeks": "Gestational weeks", "interpreter_needed": "Interpreter needed",
           "interpreter_used": "Interpreter at the visit", "mother_age": "Mother's age",
           "mother_region": "Mother's region of birth", "moved_out_date": "Moved-out date",
           "offered_date": "Date offered", "parents_present": "Parents present",
           "product": "Vaccine product", "professions": "Professions",
           "referred_speech_therapist": "Referred to a speech therapist", "result": "Screening result",
           "screening": "Screening type", "screening_date": "Screening date",
           "sex_conflict": "Sex contradicts the personnummer", "vaccine": "Vaccine",
           "visit_date": "Visit date", "visit_kind": "Visit kind", "visit_number": "Visit number",
           "visit_status": "Visit status"},
}

# The manifest's keys in words: code and run items, stages, statuses and the rows counted.
MANIFEST_LABELS: dict[str, dict[str, str]] = {
    "sv": {"study": "Studie", "created": "Skapad", "source_sha256": "Källkodens kontrollsumma",
           "git_commit": "Git-version (commit)", "run_folder": "Körningens mapp",
           "ingest + clean": "Inläsning och tvätt", "cohort": "Kohort", "compare": "Jämförelser",
           "report": "Rapporter", "ran": "kördes", "cached": "oförändrat, återanvänt",
           "children": "barn", "in_study": "barn i studien", "visits": "besök",
           "breastfeeding": "amningsuppgifter", "vaccinations": "vaccinationer",
           "language": "språkscreeningar", "effects": "effektrader", "summary": "sammanfattningsrader",
           "balance": "jämförbarhetsrader", "survival": "kurvpunkter", "dose_response": "dos–responsrader",
           "power": "styrkerader", "trends": "trendpunkter", "design": "designceller",
           "did_cells": "område × period-celler", "did_areas": "DiD per område",
           "event_study": "eventstudiekoefficienter", "missing_data": "saknade värden",
           "reports": "rapporter"},
    "en": {"study": "Study", "created": "Created", "source_sha256": "Source code checksum",
           "git_commit": "Git commit", "run_folder": "Run folder",
           "ingest + clean": "Ingest and clean", "cohort": "Cohort", "compare": "Comparisons",
           "report": "Reports", "ran": "ran", "cached": "unchanged, reused",
           "children": "children", "in_study": "children in the study", "visits": "visits",
           "breastfeeding": "breastfeeding assessments", "vaccinations": "vaccinations",
           "language": "language screenings", "effects": "effect rows", "summary": "summary rows",
           "balance": "balance rows", "survival": "curve points", "dose_response": "dose–response rows",
           "power": "power rows", "trends": "trend points", "design": "design cells",
           "did_cells": "area × period cells", "did_areas": "DiDs by area",
           "event_study": "event-study coefficients", "missing_data": "missing values",
           "reports": "reports"},
}

_VOCABULARIES = {
    "indicator": INDICATOR_LABELS, "group": GROUP_LABELS, "method": METHOD_LABELS,
    "measure": MEASURE_LABELS, "analysis": ANALYSIS_LABELS, "covariate": COVARIATE_LABELS,
    "level": LEVEL_LABELS, "rating": RATING_LABELS, "flow": FLOW_LABELS, "fidelity": FIDELITY_LABELS,
    "table": TABLE_NAMES, "reason": REASON_LABELS, "header": HEADERS, "section": SECTION_TITLES,
    "axis": AXIS_LABELS, "phrase": PHRASES, "design": DESIGN_LABELS, "manifest": MANIFEST_LABELS,
    "column": COLUMN_LABELS,
}


def check_language(language: str) -> str:
    """Return `language` if it is one the reports are written in, else raise ValueError."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    return language


def label(kind: str, key: Any, language: str) -> str:
    """The word for `key` of vocabulary `kind` ("indicator", "group", ...); the key itself if unknown."""
    vocabulary = _VOCABULARIES[kind][check_language(language)]
    return vocabulary.get(str(key), str(key))


def phrase(key: str, language: str, **values: Any) -> str:
    """A fixed phrase of PHRASES with `{placeholders}` filled in."""
    return PHRASES[check_language(language)][key].format(**values)


def section_title(key: str, language: str) -> str:
    """A report section's heading."""
    return label("section", key, language)


def subgroup_label(subgroup: str, language: str) -> str:
    """"mother_region=europe" -> "Moderns födelseregion: Europa"."""
    variable, _, level = str(subgroup).partition("=")
    return f"{label('covariate', variable, language)}: {label('level', level, language)}"


# --- values that may be suppressed ----------------------------------------------------------

def is_missing(value: Any) -> bool:
    """True for None, NaN, NA and blank strings."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def suppressed_marker(value: Any) -> int | None:
    """The threshold of a suppressed count such as "<5" (5), else None."""
    if isinstance(value, str):
        match = _SUPPRESSED_PATTERN.match(value)
        if match:
            return int(match.group(1))
    return None


def to_number(value: Any) -> float | None:
    """A float from a table cell; None when blank, suppressed ("<5") or not a number."""
    if is_missing(value) or suppressed_marker(value) is not None:
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(MINUS, "-").replace(",", "."))
        except ValueError:
            return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def is_true(value: Any) -> bool:
    """A boolean cell read from CSV ("True", True, 1) as a bool; blank is False."""
    if is_missing(value):
        return False
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes", "ja"}
    return bool(value)


def row_is_suppressed(row: Mapping[str, Any] | None, columns: Sequence[str] = ()) -> bool:
    """True when a row is flagged `suppressed` or any of `columns` holds a "<n>" marker."""
    if row is None:
        return False
    if is_true(row.get("suppressed")):
        return True
    return any(suppressed_marker(row.get(c)) is not None for c in columns)


def min_cell_of(*values: Any, default: int = DEFAULT_MIN_CELL) -> int:
    """The suppression threshold found in the first "<n>" marker among `values`, else `default`."""
    for value in values:
        marker = suppressed_marker(value)
        if marker is not None:
            return marker
    return default


# --- numbers --------------------------------------------------------------------------------

def round_half_up(value: float, decimals: int) -> Decimal:
    """`value` rounded half away from zero (as people round), without binary-float surprises."""
    quantum = Decimal(1).scaleb(-decimals)
    return Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)


def format_number(value: Any, language: str, decimals: int = 0) -> str:
    """A number in the language's format: sv "12 345,6" and "−3"; en "12,345.6" and "−3".

    Blank or NaN gives "–"; a suppressed count ("<5") is returned as it is.
    """
    check_language(language)
    if suppressed_marker(value) is not None:
        return str(value).strip()
    number = to_number(value)
    if number is None:
        return EN_DASH
    rounded = round_half_up(number, decimals)
    negative = rounded < 0
    digits = f"{abs(rounded):,.{decimals}f}"  # "12,345.6"
    if language == "sv":
        digits = digits.replace(",", NBSP).replace(".", ",")
    return (MINUS if negative else "") + digits


def format_count(value: Any, language: str) -> str:
    """A count of children or rows; "<5" stays "<5"."""
    return format_number(value, language, 0)


def format_percent(share: Any, language: str, decimals: int = 0, sign: bool = True) -> str:
    """A share 0–1 as a percentage: 0.9412 -> sv "94 %", en "94%"; `sign=False` drops the "%"."""
    if suppressed_marker(share) is not None:
        return str(share).strip()
    number = to_number(share)
    if number is None:
        return EN_DASH
    digits = format_number(number * 100, language, decimals)
    if not sign:
        return digits
    return digits + (NBSP + "%" if language == "sv" else "%")


def format_interval(low: Any, high: Any, language: str, decimals: int = 0, scale: float = 1.0,
                    prefix: bool = True) -> str:
    """"95 % KI 2–14" / "95% CI 2 to 14"; with a negative bound sv uses "till": "−14 till −2"."""
    lo, hi = to_number(low), to_number(high)
    if lo is None or hi is None:
        body = EN_DASH
    else:
        lo_text = format_number(lo * scale, language, decimals)
        hi_text = format_number(hi * scale, language, decimals)
        if language == "sv" and not (lo_text.startswith(MINUS) or hi_text.startswith(MINUS)):
            body = f"{lo_text}{EN_DASH}{hi_text}"
        else:
            body = f"{lo_text} {phrase('to', language)} {hi_text}"
    return f"{phrase('ci', language)} {body}" if prefix else body


def format_estimate(estimate: Any, low: Any, high: Any, language: str, decimals: int = 0,
                    scale: float = 1.0) -> str:
    """"8 (2–14)": an estimate with its interval in brackets, no "95 % KI" prefix."""
    if to_number(estimate) is None:
        return EN_DASH
    value = format_number(to_number(estimate) * scale, language, decimals)
    if to_number(low) is None or to_number(high) is None:
        return value
    return f"{value} ({format_interval(low, high, language, decimals, scale, prefix=False)})"


def format_p(p: Any, language: str) -> str:
    """A p-value: "<0,001", "0,022", "0,25" (sv) / "<0.001", "0.022", "0.25" (en)."""
    number = to_number(p)
    if number is None:
        return EN_DASH
    if number < 0.001:
        return "<" + format_number(0.001, language, 3)
    return format_number(number, language, 3 if number < 0.1 else 2)


def days_to_months(days: Any) -> float | None:
    """Age in days as months (30.4375 days a month)."""
    number = to_number(days)
    return None if number is None else number / 30.4375


# --- sentences ------------------------------------------------------------------------------

def suppression_phrase(reason: Any, language: str, min_cell: int = DEFAULT_MIN_CELL, *,
                       short: bool = False) -> str:
    """What a suppressed figure says, by why it was suppressed: a published table's
    `suppression` (small_group, few_events, few_without, small_count, secondary), so that a
    group of 134 is never called "fewer than 5 children"; general words for another reason."""
    base = "suppressed_short" if short else "suppressed"
    key = f"{base}_{reason}" if isinstance(reason, str) and reason else base
    return phrase(key if key in PHRASES[check_language(language)] else base, language, min_cell=min_cell)


def suppressed_sentence(indicator: str, language: str, min_cell: int = DEFAULT_MIN_CELL,
                        reason: Any = None) -> str:
    """"MMR vid 24 månader: redovisas inte: färre än 5 barn i en av grupperna saknade utfallet."
    (`reason`: the row's `suppression`; without it, the general words)."""
    return f"{label('indicator', indicator, language)}: {suppression_phrase(reason, language, min_cell)}."


def format_bound(bound: Any, language: str, *, words: bool = False) -> str:
    """A published `proportion_bound` (">0.95", "<0.05") as a percentage: sv "> 95 %", en
    ">95%"; `words=True` for a sentence: "över 95 %" / "over 95%". "" when there is none."""
    match = re.fullmatch(r"\s*([<>])\s*([0-9]*\.?[0-9]+)\s*", bound) if isinstance(bound, str) else None
    if match is None:
        return ""
    share = format_percent(float(match[2]), language)
    if words:
        return f"{phrase('bound_above' if match[1] == '>' else 'bound_below', language)} {share}"
    return f"{match[1]}{NBSP if language == 'sv' else ''}{share}"


def heading(key: str, language: str, level: int = 2) -> str:
    """A markdown heading for a report section."""
    return f"{'#' * level} {section_title(key, language)}"


def title_markdown(title: str | None, study: str, language: str, *, area: str = "all",
                   design: str | None = None, synthetic: bool = False) -> str:
    """The report's title block: title, area, design and a warning for synthetic data."""
    lines = [f"# {title or phrase('title_fallback', language)}", ""]
    if area and area != "all":
        lines += [f"## {area}", ""]
    if design:
        lines += [f"*{phrase('design', language)}: {label('design', design, language)}.*", ""]
    if synthetic:
        lines += [f"**{phrase('synthetic', language)}**", ""]
    return "\n".join(lines).rstrip()


OUTPUT_TABLE_NAMES: dict[str, dict[str, str]] = {
    "sv": {"equity": "om undergrupper", "survival": "om tid till händelse (kurvor och medianer)",
           "dose_response": "om dos–respons", "power": "om statistisk styrka",
           "trends": "om utvecklingen per födelsehalvår"},
    "en": {"equity": "on subgroups", "survival": "on time to event (curves and medians)",
           "dose_response": "on dose–response", "power": "on statistical power",
           "trends": "on the trends by half-year of birth"},
}


def area_note(table: str, language: str) -> str:
    """Says that an output table has no per-area rows (in an area report)."""
    name = OUTPUT_TABLE_NAMES[check_language(language)].get(table, table)
    return phrase("no_area_rows", language, table=name)
