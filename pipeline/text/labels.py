"""Labels: what a report shows for the package's ids (indicators, groups, methods, columns, …).

`label(kind, key, language)` looks one up; an unknown key is shown as itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pipeline.followup import WithParts
from pipeline.indicators import INDICATORS
from pipeline.text.phrases import PHRASES
from pipeline.text.words import Words, check_language

# An indicator's words are its registry entry's (pipeline.indicators).
INDICATOR_LABELS: dict[str, Words] = {i.id: i.words for i in INDICATORS}

# Group names as table/axis labels and inside sentences ("i interventionsgruppen").
GROUP_LABELS: dict[str, Words] = {
    "intervention": Words("Interventionsgrupp", "Intervention"),
    "comparison": Words("Jämförelsegrupp", "Comparison"),
    "intervention_pre": Words("Interventionsområden före start", "Intervention areas before start"),
    "comparison_pre": Words("Jämförelseområden före start", "Comparison areas before start"),
}

GROUP_IN_SENTENCE: dict[str, Words] = {
    "intervention": Words("i interventionsgruppen", "in the intervention group"),
    "comparison": Words("i jämförelsegruppen", "in the comparison group"),
    "intervention_pre": Words(
        sv="i interventionsområdena före start",
        en="in the intervention areas before the start",
    ),
    "comparison_pre": Words("i jämförelseområdena före start", "in the comparison areas before the start"),
}

METHOD_LABELS: dict[str, Words] = {
    "crude": Words("Ojusterad", "Unadjusted"),
    "regression": Words("Justerad (logistisk regression)", "Adjusted (logistic regression)"),
    "iptw": Words("Justerad (viktning, IPTW)", "Adjusted (weighting, IPTW)"),
    "ipwra": Words(
        sv="Justerad (viktning och regression, dubbelt robust)",
        en="Adjusted (weighting and regression, doubly robust)",
    ),
    "did": Words("Skillnad-i-skillnader", "Difference-in-differences"),
    "did_unadjusted": Words("Skillnad-i-skillnader utan justering", "Difference-in-differences, unadjusted"),
    "cace": Words("Instrumentvariabel (erbjudande)", "Instrumental variable (the offer)"),
    "fuzzy_did": Words("Skillnad-i-skillnader för deltagare", "Difference-in-differences for participants"),
    "cox": Words("Justerad (Cox-regression)", "Adjusted (Cox regression)"),
    "discrete_time": Words(
        sv="Justerad (diskret tid, bedömningsintervall)",
        en="Adjusted (discrete time, assessment intervals)",
    ),
    "logistic_did": Words(
        sv="Skillnad-i-skillnader, logistisk (kontroll av skalan)",
        en="Difference-in-differences, logistic (check on the scale)",
    ),
    "triple_difference": Words(
        sv="Skillnad-i-skillnader inom undergruppen",
        en="Difference-in-differences within the subgroup",
    ),
    "kaplan_meier": Words("Kaplan–Meier", "Kaplan–Meier"),
    # count and rate outcomes (count_effects)
    "poisson": Words("Ojusterad (Poissonregression)", "Unadjusted (Poisson regression)"),
    "poisson_adjusted": Words("Justerad (Poissonregression)", "Adjusted (Poisson regression)"),
    "negative_binomial": Words("Negativ binomialregression (kontroll av överspridning)",
                               "Negative binomial regression (check on overdispersion)"),
    "welch": Words("Ojusterad (Welchs t)", "Unadjusted (Welch's t)"),
    "bootstrap_bca": Words("Ojusterad (bootstrap, BCa)", "Unadjusted (bootstrap, BCa)"),
    "linear_adjusted": Words("Justerad (linjär regression)", "Adjusted (linear regression)"),
}

MEASURE_LABELS: dict[str, Words] = {
    "risk_difference": Words("Skillnad (procentenheter)", "Difference (percentage points)"),
    "rate_ratio": Words("Kvot av frekvenser", "Rate ratio"),
    "rate_difference": Words("Skillnad per 100 barnår", "Difference per 100 child-years"),
    "rate_per_100_child_years": Words("Per 100 barnår", "Per 100 child-years"),
    "mean_difference": Words("Skillnad i medelvärde", "Difference in means"),
    "count_ratio": Words("Kvot av medelvärden", "Ratio of means"),
    "mean": Words("Medelvärde", "Mean"),
    "risk_ratio": Words("Riskkvot", "Risk ratio"),
    "odds_ratio": Words("Oddskvot", "Odds ratio"),
    "hazard_ratio": Words("Hasardkvot", "Hazard ratio"),
    "did": Words("Skillnad-i-skillnader (procentenheter)", "Difference-in-differences (percentage points)"),
    "rmst_did": Words(
        sv="Skillnad-i-skillnader i genomsnittlig tid (dagar)",
        en="Difference-in-differences in mean time (days)",
    ),
}

ANALYSIS_LABELS: dict[str, Words] = {
    "itt": Words("Alla som uppfyller villkoren (ITT)", "Everyone eligible (ITT)"),
    "per_protocol": Words(
        sv="Familjer som tackat ja mot alla (vald jämförelse, per protokoll)",
        en="Families who accepted against all (selected comparison, per protocol)",
    ),
    "complier": Words("Effekt för familjer som tackar ja (CACE)", "Effect for families who accept (CACE)"),
    "dose_response": Words("Per extra kontakt (dos–respons)", "Per additional contact (dose–response)"),
    "subgroup": Words("Undergrupp", "Subgroup"),
    "placebo": Words("Placebotest före start", "Placebo test before the start"),
    "no_pandemic": Words(
        sv="Utan barn födda 2020–2021 (pandemin)",
        en="Without children born 2020–2021 (the pandemic)",
    ),
    "landmark": Words("Andel vid en viss ålder (landmärke)", "Share at a given age (landmark)"),
    "filled_windows": Words(
        sv="Med amningspunkter ifyllda från andra bedömningar",
        en="With breastfeeding points filled from other assessments",
    ),
    "multiple_imputation": Words(
        sv="Med saknade bakgrundsuppgifter imputerade (MI)",
        en="With missing covariates imputed (MI)",
    ),
}

COVARIATE_LABELS: dict[str, Words] = {
    "mother_region": Words("Moderns födelseregion", "Mother's region of birth"),
    "education": Words("Föräldrarnas utbildning", "Parents' education"),
    "mother_age": Words("Moderns ålder", "Mother's age"),
    "interpreter_needed": Words("Tolkbehov", "Interpreter needed"),
    "child_sex": Words("Barnets kön", "Child's sex"),
    "birth_weight_g": Words("Födelsevikt (gram)", "Birth weight (grams)"),
    "gestational_weeks": Words("Graviditetslängd (veckor)", "Gestational age (weeks)"),
}

LEVEL_LABELS: dict[str, Words] = {
    "sweden": Words("Sverige", "Sweden"),
    "nordic": Words("Norden", "Nordic countries"),
    "sweden_nordic": Words("Sverige eller Norden", "Sweden or Nordic"),
    "europe": Words("Europa", "Europe"),
    "outside_europe": Words("Utanför Europa", "Outside Europe"),
    "compulsory": Words("Förgymnasial", "Compulsory"),
    "upper_secondary": Words("Gymnasial", "Upper secondary"),
    "post_secondary": Words("Eftergymnasial", "Post-secondary"),
    "true": Words("Ja", "Yes"),
    "false": Words("Nej", "No"),
    "female": Words("Flicka", "Girl"),
    "male": Words("Pojke", "Boy"),
}

RATING_LABELS: dict[str, Words] = {
    "satisfied": Words("Likvärdiga (|d| ≤ 0,05)", "Equivalent (|d| ≤ 0.05)"),
    "adjustment_required": Words(
        sv="Kräver statistisk justering (0,05 < |d| ≤ 0,25)",
        en="Requires statistical adjustment (0.05 < |d| ≤ 0.25)",
    ),
    "not_satisfied": Words("Ej likvärdiga (|d| > 0,25)", "Not equivalent (|d| > 0.25)"),
    # no difference to rate: after weighting, when the weights could not be estimated
    "not_estimable": Words("Kunde inte bedömas", "Could not be rated"),
}

FLOW_LABELS: dict[str, Words] = {
    "born_in_intervention_areas": Words("Födda i interventionsområdena efter start",
                                        "Born in the intervention areas after the start"),
    "eligible": Words("Uppfyller villkoren för programmet", "Eligible for the programme"),
    "offered": Words("Erbjudna programmet", "Offered the programme"),
    "accepted": Words("Tackade ja", "Accepted"),
    "at_least_one_contact": Words("Minst ett programbesök", "At least one programme visit"),
    "due_all_contacts": Words(
        sv="Varav gamla nog för alla planerade kontakter och ej utflyttade",
        en="Of these, old enough for every planned contact and not moved out",
    ),
    "all_planned_contacts": Words("Alla planerade kontakter", "All planned contacts"),
}

FIDELITY_LABELS: dict[str, Words] = {
    "children": Words(
        sv="Barn i interventionsgruppen som tackat ja",
        en="Intervention children whose families accepted",
    ),
    "contacts_planned_per_child": Words("Planerade kontakter per barn", "Planned contacts per child"),
    "mean_contacts_received": Words(
        sv="Genomförda kontakter per barn (medel)",
        en="Contacts received per child (mean)",
    ),
    "contacts_due": Words("Kontakter som borde ha skett", "Contacts due"),
    "contacts_received": Words("Genomförda kontakter", "Contacts received"),
    "share_of_due_received": Words(  # received / due (the row above), not / planned
        sv="Andel av kontakterna som borde ha skett som genomförts",
        en="Share of contacts due that were received",
    ),
    "share_received_on_time": Words("Andel genomförda i tid", "Share received on time"),
    "share_joint": Words(
        sv="Andel med alla förväntade yrkesgrupper (gemensamma besök)",
        en="Share with all expected professions (joint visits)",
    ),
    "share_with_interpreter": Words("Andel med tolk", "Share with an interpreter"),
    "share_with_mother": Words("Andel med mamma närvarande", "Share with the mother present"),
    "share_with_father": Words("Andel med pappa närvarande", "Share with the father present"),
    "share_with_both": Words("Andel med båda föräldrarna närvarande", "Share with both parents present"),
    "extra_contacts": Words("Extra kontakter utöver programmet", "Extra contacts beyond the programme"),
}

TABLE_NAMES: dict[str, Words] = {
    "children": Words("Barn", "Children"),
    "visits": Words("Besök", "Visits"),
    "breastfeeding": Words("Amning", "Breastfeeding"),
    "vaccinations": Words("Vaccinationer", "Vaccinations"),
    "language": Words("Språkscreening", "Language screening"),
    "conversations": Words("Råd- och stödsamtal", "Counselling conversations"),
    "collaboration": Words("Samverkan", "Collaboration"),
    "costs": Words("Kostnader", "Costs"),
    "care_contacts": Words("Vårdkontakter", "Healthcare contacts"),
    "dental": Words("Tandhälsa", "Dental health"),
}

REASON_LABELS: dict[str, Words] = {
    "category_unknown": Words("Okänd kategori", "Unknown category"),
    "date_after_extraction": Words("Datum efter uttagsdatum", "Date after extraction"),
    "date_before_birth": Words("Datum före födseln", "Date before birth"),
    "date_unparseable": Words("Datum går inte att tolka", "Date cannot be read"),
    "duplicate_conflict": Words("Motstridig dubblett", "Conflicting duplicate"),
    "pnr_missing": Words("Personnummer saknas", "Personnummer missing"),
    "pnr_bad_characters": Words("Personnummer med otillåtna tecken", "Personnummer with invalid characters"),
    "pnr_wrong_length": Words("Personnummer med fel längd", "Personnummer of wrong length"),
    "pnr_invalid_date": Words("Personnummer med ogiltigt datum", "Personnummer with an invalid date"),
    "pnr_check_digit": Words("Personnummer med fel kontrollsiffra", "Personnummer with a wrong check digit"),
    "pnr_future_birth": Words(
        sv="Personnummer med födelse i framtiden",
        en="Personnummer with a future birth date",
    ),
    "unknown_child": Words("Barnet finns inte i barntabellen", "Child not in the children table"),
    "id_missing": Words("Varken personnummer eller familje-id", "Neither personnummer nor family id"),
    "vaccine_unknown": Words("Okänt vaccin", "Unknown vaccine"),
    "deft_out_of_range": Words("deft utanför 0–20", "deft outside 0–20"),
    "year_out_of_range": Words("År utanför 1900–2100", "Year outside 1900–2100"),
    "amount_not_positive": Words("Belopp 0 eller negativt", "Amount 0 or negative"),
}

# What was done with a value of an accepted row that could not be read as written (the
# clean stage's value issues: `pipeline.stages.ingest.ISSUE_COLUMNS`), by its issue id.
VALUE_ISSUE_LABELS: dict[str, Words] = {
    "date_unparseable_set_missing": Words("Datum som inte gick att tolka: satt som saknat",
                                          "Date that could not be read: set missing"),
    "integer_unparseable_set_missing": Words("Heltal som inte gick att tolka: satt som saknat",
                                             "Whole number that could not be read: set missing"),
    "number_unparseable_set_missing": Words("Tal som inte gick att tolka: satt som saknat",
                                            "Number that could not be read: set missing"),
    "category_unparseable_set_missing": Words("Okänt värde: satt som saknat", "Unknown value: set missing"),
    "boolean_unparseable_set_missing": Words("Ja/nej som inte gick att tolka: satt som saknat",
                                             "Yes/no that could not be read: set missing"),
    "professions_unparseable_set_missing": Words("Yrke som inte gick att tolka: satt som saknat",
                                                 "Profession that could not be read: set missing"),
    "personnummer_masked": Words("Personnummer i fritext: maskerat", "Personnummer in free text: masked"),
    "personnummer_set_missing": Words("Personnummer i en sifferkolumn: satt som saknat",
                                      "Personnummer in a number column: set missing"),
    "moved_out_before_birth_set_missing": Words(
        sv="Utflyttningsdatum före barnets födelse: satt som saknat",
        en="Moved-out date before the child's birth: set missing"),
    "no_date_placeholder_set_missing": Words(
        sv="Datum före 1901 (exportens \"inget datum\", som 1900-01-01): satt som saknat",
        en="Date before 1901 (the export's \"no date\", such as 1900-01-01): set missing"),
    "impossible_date_personnummer_used": Words(
        sv="Omöjligt datum (före 1901 eller efter uttaget): personnumrets används",
        en="Impossible date (before 1901 or after the extraction): the personnummer's used"),
    "date_after_extraction_kept": Words(
        sv="Datum efter uttagsdatum: behållet", en="Date after the extraction: kept"),
    "accepted_without_offer_date_counted_offered": Words(
        sv="Tackat ja utan datum för erbjudande: räknas som erbjuden",
        en="Accepted with no offer date: counted as offered"),
    "contradicts_personnummer_kept": Words(
        sv="Motsäger personnumret: behållet som exporten anger det",
        en="Contradicts the personnummer: kept as the export gives it"),
    "value_spans_lines": Words("Värde inom citattecken över flera rader: läst som ett värde",
                               "Quoted value over several lines: read as one value"),
}
_OUTSIDE_RANGE = re.compile(r"outside plausible range (?P<low>[-0-9.e+]+)–(?P<high>[-0-9.e+]+)")
_READ_AS = re.compile(r"read as (?P<code>.+) \(value_map\)")


def value_issue_label(issue: Any, language: str) -> str:
    """A value issue in words ("outside plausible range 15–55" -> "Utanför rimligt intervall
    15–55: satt som saknat"); an issue these words do not know is shown as itself."""
    issue = str(issue)
    check_language(language)
    if issue in VALUE_ISSUE_LABELS:
        return VALUE_ISSUE_LABELS[issue].in_(language)
    if found := _OUTSIDE_RANGE.fullmatch(issue):
        low, high = (found[name].replace(".", ",") if language == "sv" else found[name]
                     for name in ("low", "high"))
        return Words(f"Utanför rimligt intervall {low}–{high}: satt som saknat",
                     f"Outside the plausible range {low}–{high}: set missing").in_(language)
    if found := _READ_AS.fullmatch(issue):
        return Words(f"Läst som {found['code']} enligt value_map i study.yml",
                     f"Read as {found['code']} by the value_map in study.yml").in_(language)
    return issue


HEADERS: dict[str, Words] = {
    "indicator": Words("Indikator", "Indicator"),
    "group": Words("Grupp", "Group"),
    "area": Words("Område", "Area"),
    "proportion": Words("Andel (95\u00a0% KI)", "Share (95% CI)"),
    "n": Words("Antal barn", "Children"),
    "events": Words("Antal med utfallet", "With the outcome"),
    "count_total": Words("Antal (kontakter eller tänder)", "Number (contacts or teeth)"),
    "mean_contacts": Words("Kontakter per familj (95\u00a0% KI)", "Contacts per family (95% CI)"),
    "difference_from_reference": Words("Skillnad mot största gruppen (95\u00a0% KI)",
                                       "Difference from the largest group (95% CI)"),
    "measure": Words("Mått", "Measure"),
    "method": Words("Metod", "Method"),
    "estimate": Words("Skattning (95\u00a0% KI)", "Estimate (95% CI)"),
    "p": Words("p", "p"),
    "p_adjusted": Words("Justerat p", "Adjusted p"),
    "n_intervention": Words("n intervention", "n intervention"),
    "n_comparison": Words("n jämförelse", "n comparison"),
    "note": Words("Anmärkning", "Note"),
    "covariate": Words("Bakgrundsfaktor", "Covariate"),
    "level": Words("Nivå", "Level"),
    "value_before": Words("Cox-index/Hedges g före viktning", "Cox index/Hedges' g before weighting"),
    "value_after": Words("Cox-index/Hedges g efter viktning", "Cox index/Hedges' g after weighting"),
    "smd_before": Words(
        sv="Austins standardiserade skillnad före viktning",
        en="Austin's standardised difference before weighting",
    ),
    "smd_after": Words(
        sv="Austins standardiserade skillnad efter viktning",
        en="Austin's standardised difference after weighting",
    ),
    "rating_before": Words("Bedömning före viktning", "Rating before weighting"),
    "rating_after": Words("Bedömning efter viktning", "Rating after weighting"),
    "step": Words("Steg", "Step"),
    "children": Words("Barn", "Children"),
    "share_of_previous": Words("Andel av föregående steg", "Share of previous step"),
    "value": Words("Värde", "Value"),
    "subgroup": Words("Undergrupp", "Subgroup"),
    "p_interaction": Words("p för interaktion", "p for interaction"),
    "contacts_band": Words("Antal kontakter", "Contacts received"),
    "p_comparison": Words("Andel i jämförelsegruppen", "Share in the comparison group"),
    "mdd": Words(
        sv="Minsta upptäckbara ökning / minskning, barn som oberoende",
        en="Minimum detectable rise / fall, children as independent",
    ),
    "mdd_areas": Words(
        sv="Minsta upptäckbara ökning / minskning, områden som kluster",
        en="Minimum detectable rise / fall, areas as clusters",
    ),
    "areas_per_arm_needed": Words("Områden per grupp som behövs", "Areas per group needed"),
    "mdd_decrease": Words("Minsta upptäckbara minskning", "Minimum detectable fall"),
    "difference_named": Words("Önskad skillnad", "Difference wanted"),
    "n_per_group_needed": Words("Barn per grupp som behövs, barn som oberoende",
                                "Children per group needed, children as independent"),
    "table": Words("Tabell", "Table"),
    "source_file": Words("Fil", "File"),
    "rows_read": Words("Rader inlästa", "Rows read"),
    "rows_clean": Words("Rader godkända", "Rows clean"),
    "rows_rejected": Words("Rader avvisade", "Rows rejected"),
    "rows_duplicate": Words("Exakta dubbletter", "Exact duplicates"),
    "reason": Words("Orsak", "Reason"),
    "issue": Words("Problem och åtgärd", "Issue and what was done"),
    "rows": Words("Rader", "Rows"),
    "column": Words("Kolumn", "Column"),
    "missing": Words("Saknas", "Missing"),
    "share_missing": Words("Andel saknade", "Share missing"),
    "median": Words("Median, månader (95\u00a0% KI)", "Median, months (95% CI)"),
    "log_rank": Words("Log-rank p", "Log-rank p"),
    "reference": Words("Referens", "Reference"),
    "what": Words("Vad", "What"),
    "file": Words("Fil", "File"),
    "sha256": Words("SHA-256", "SHA-256"),
    "package": Words("Paket", "Package"),
    "version": Words("Version", "Version"),
    "stage": Words("Steg", "Stage"),
    "status": Words("Status", "Status"),
    "seconds": Words("Sekunder", "Seconds"),
    "item": Words("Uppgift", "Item"),
    "analysis": Words("Analys", "Analysis"),
    "variable": Words("Uppgift", "Item"),
    "missing_intervention_pre": Words("Intervention, före start", "Intervention, before the start"),
    "missing_intervention_post": Words("Intervention, efter start", "Intervention, after the start"),
    "missing_comparison_pre": Words("Jämförelse, före start", "Comparison, before the start"),
    "missing_comparison_post": Words("Jämförelse, efter start", "Comparison, after the start"),
    "logistic": Words("Logistisk kontroll (95\u00a0% KI)", "Logistic check (95% CI)"),
    "p_randomisation": Words(
        sv="p över tilldelningar av områden (lägsta möjliga)",
        en="p over assignments of areas (smallest possible)",
    ),
    "p_placebo": Words(
        sv="p bland placeboområden (lägsta möjliga)",
        en="p among placebo areas (smallest possible)",
    ),
    "leave_one_out": Words(
        sv="Utan ett område i taget (lägst – högst)",
        en="Without one area at a time (lowest – highest)",
    ),
    "pretrend_joint_p": Words(
        sv="p för skillnad före start (eventstudie)",
        en="p for a difference before the start (event study)",
    ),
    "year": Words("År", "Year"),
    "covers": Words("Avser", "Covers (as the cost records word it)"),
    "cost_sek": Words("Kostnad (kr)", "Cost (SEK)"),
    "families": Words("Familjer som tackat ja", "Families who accepted"),
    "cost_per_family": Words("Kostnad per familj (kr)", "Cost per family (SEK)"),
    "contacts": Words("Genomförda programkontakter", "Completed programme contacts"),
    "cost_per_contact": Words("Kostnad per kontakt (kr)", "Cost per contact (SEK)"),
    "effect": Words(
        sv="Skattad effekt, procentenheter (95\u00a0% KI)",
        en="Estimated effect, percentage points (95% CI)",
    ),
    "children_intervention": Words("Barn i interventionsgruppen", "Children in the intervention group"),
    "children_measured": Words("Av dem med värde för indikatorn vid uttaget",
                               "Of them with a value for the indicator at the extraction"),
    "additional_children": Words(
        sv="Ytterligare barn med utfallet (95\u00a0% KI)",
        en="Additional children with the outcome (95% CI)",
    ),
    "cost_per_additional_child": Words(
        sv="Kostnad per ytterligare barn, kr (95\u00a0% KI)",
        en="Cost per additional child, SEK (95% CI)",
    ),
}

SECTION_TITLES: dict[str, Words] = {
    "summary": Words("Sammanfattning", "Summary"),
    "flow": Words("Familjernas väg genom programmet", "Flow of families through the programme"),
    "implementation": Words("Genomförande och programtrohet", "Implementation and fidelity"),
    "balance": Words("Jämförbarhet mellan grupperna", "Comparability of the groups"),
    "breastfeeding": Words("Amning", "Breastfeeding"),
    "vaccination": Words("Vaccination", "Vaccination"),
    "healthcare": Words("Vårdkontakter", "Healthcare use"),
    "dental": Words("Tandhälsa", "Dental health"),
    "language": Words("Språkutveckling", "Language development"),
    "effects": Words("Skattade effekter", "Estimated effects"),
    "equity": Words("Jämlikhet: skillnader i undergrupper", "Equity: differences in subgroups"),
    "dose_response": Words(
        sv="Dos–respons: utfall efter antal kontakter",
        en="Dose–response: outcomes by contacts received",
    ),
    "power": Words("Statistisk styrka", "Statistical power"),
    "data_quality": Words("Bilaga A. Datakvalitet", "Appendix A. Data quality"),
    "methods": Words("Bilaga B. Metoder", "Appendix B. Methods"),
    "manifest": Words("Bilaga C. Körningens innehållsförteckning", "Appendix C. The run's manifest"),
    "survival": Words("Överlevnadskurvor", "Survival curves"),
    "trends": Words("Utvecklingen före och efter start", "Trends before and after the start"),
    "costs": Words("Kostnader", "Costs"),
    "monitoring": Words("Uppföljning över tid och mellan områden", "Over time and across areas"),
    "changes": Words("Vad som ändrats sedan förra rapporten", "What changed since the previous report"),
}

AXIS_LABELS: dict[str, Words] = {
    "share": Words("Andel (%)", "Share (%)"),
    "age_months": Words("Barnets ålder (månader)", "Child's age (months)"),
    "share_vaccinated": Words("Andel vaccinerade (%)", "Share vaccinated (%)"),
    "share_breastfed": Words("Andel som ammas (%)", "Share still breastfed (%)"),
    "difference_pp": Words(
        sv="Skillnad, interventions- minus jämförelsegrupp (procentenheter)",
        en="Difference, intervention minus comparison (percentage points)",
    ),
    "did_by_half_year": Words("Skillnad-i-skillnader (procentenheter)", "DiD (percentage points)"),
    "ratio": Words("Kvot (logaritmisk skala)", "Ratio (log scale)"),
    "families": Words("Antal barn", "Children"),
    "contacts": Words("Antal genomförda programkontakter", "Programme contacts received"),
    "at_risk": Words("Antal i risk", "Number at risk"),
    "did_pp": Words(
        sv=("Skattad effekt: hur mycket mer andelen förändrades från före till efter start där "
            "programmet fanns än i jämförelseområdena (procentenheter)"),
        en=("Estimated effect: how much more the share changed from before to after the start where "
            "the programme ran than in the comparison areas (percentage points)"),
    ),
    "birth_period": Words("Barnets födelseperiod", "Child's birth period"),
    "birth_quarter": Words("Barnets födelsekvartal", "Child's quarter of birth"),
    "children_in_area": Words("Antal barn i området", "Children in the area"),
    "birth_half_year": Words("Barnets födelsehalvår", "Child's half-year of birth"),
}

DESIGN_LABELS: dict[str, Words] = {
    "concurrent": Words(
        sv="samtidig jämförelse mellan interventions- och jämförelseområden",
        en="concurrent comparison of intervention and comparison areas",
    ),
    "historical": Words(
        sv="jämförelse före och efter programstart i samma områden",
        en="the same areas before and after the programme started",
    ),
    "historical_area": Words(
        sv="jämförelse före och efter programstart i samma område",
        en="the same area before and after the programme started",
    ),
    "did": Words(
        sv="skillnad-i-skillnader: områden och perioder före och efter programstart",
        en="difference-in-differences: areas and periods before and after the start",
    ),
}

# The clean tables' canonical columns in words (the data-quality appendix).
COLUMN_LABELS: dict[str, Words] = {
    "accepted": Words("Tackat ja", "Accepted"),
    "area": Words("Område", "Area"),
    "assessment_date": Words("Bedömningsdatum", "Assessment date"),
    "bf_status": Words("Amningsstatus", "Breastfeeding status"),
    "birth_date": Words("Födelsedatum", "Birth date"),
    "birth_date_conflict": Words(
        sv="Födelsedatum motsäger personnumret",
        en="Birth date contradicts the personnummer",
    ),
    "birth_weight_g": Words("Födelsevikt", "Birth weight"),
    "bvc_unit": Words("BVC-enhet", "BVC unit"),
    "child_id": Words("Barnets pseudonym", "Child's pseudonym"),
    "child_sex": Words("Barnets kön", "Child's sex"),
    "coordination_number": Words("Samordningsnummer", "Coordination number"),
    "declined_reason": Words("Orsak till nej", "Reason for declining"),
    "dose_date": Words("Vaccinationsdatum", "Vaccination date"),
    "dose_number_recorded": Words("Dosnummer", "Dose number"),
    "education": Words("Föräldrarnas utbildning", "Parents' education"),
    "first_child": Words("Första barnet", "First child"),
    "first_child_in_sweden": Words("Första barnet i Sverige", "First child in Sweden"),
    "gestational_weeks": Words("Graviditetsvecka", "Gestational weeks"),
    "interpreter_needed": Words("Tolkbehov", "Interpreter needed"),
    "interpreter_used": Words("Tolk vid besöket", "Interpreter at the visit"),
    "mother_age": Words("Moderns ålder", "Mother's age"),
    "mother_region": Words("Moderns födelseregion", "Mother's region of birth"),
    "moved_out_date": Words("Utflyttningsdatum", "Moved-out date"),
    "offered_date": Words("Datum för erbjudande", "Date offered"),
    "parents_present": Words("Närvarande föräldrar", "Parents present"),
    "product": Words("Vaccinprodukt", "Vaccine product"),
    "professions": Words("Yrkesgrupper", "Professions"),
    "referred_speech_therapist": Words("Remiss till logoped", "Referred to a speech therapist"),
    "result": Words("Screeningresultat", "Screening result"),
    "screening": Words("Screeningtyp", "Screening type"),
    "screening_date": Words("Screeningdatum", "Screening date"),
    "sex_conflict": Words("Kön motsäger personnumret", "Sex contradicts the personnummer"),
    "vaccine": Words("Vaccin", "Vaccine"),
    "visit_date": Words("Besöksdatum", "Visit date"),
    "visit_kind": Words("Besökstyp", "Visit kind"),
    "visit_number": Words("Besöksnummer", "Visit number"),
    "visit_status": Words("Besöksstatus", "Visit status"),
}

# The manifest's keys in words: code and run items, stages, statuses and the rows counted (an
# output table's rows are worded by its entry in pipeline.outputs).
MANIFEST_LABELS: dict[str, Words] = {
    "study": Words("Studie", "Study"),
    "created": Words("Skapad", "Created"),
    "source_sha256": Words("Källkodens kontrollsumma", "Source code checksum"),
    "git_commit": Words("Git-version (commit)", "Git commit"),
    "run_folder": Words("Körningens mapp", "Run folder"),
    "ingest + clean": Words("Inläsning och tvätt", "Ingest and clean"),
    "cohort": Words("Kohort", "Cohort"),
    "compare": Words("Jämförelser", "Comparisons"),
    "followup": Words("Uppföljning av programmets arbete", "Follow-up of the programme's work"),
    "report": Words("Rapporter", "Reports"),
    "ran": Words("kördes", "ran"),
    "cached": Words("oförändrat, återanvänt", "unchanged, reused"),
    "children": Words("barn", "children"),
    "in_study": Words("barn i studien", "children in the study"),
    "visits": Words("besök", "visits"),
    "breastfeeding": Words("amningsuppgifter", "breastfeeding assessments"),
    "vaccinations": Words("vaccinationer", "vaccinations"),
    "language": Words("språkscreeningar", "language screenings"),
    "reports": Words("rapporter", "reports"),
}

OUTPUT_TABLE_NAMES: dict[str, Words] = {
    "equity": Words("om undergrupper", "on subgroups"),
    "survival": Words("om tid till händelse (kurvor och medianer)", "on time to event (curves and medians)"),
    "dose_response": Words("om dos–respons", "on dose–response"),
    "power": Words("om statistisk styrka", "on statistical power"),
    "trends": Words("om utvecklingen per födelsehalvår", "on the trends by half-year of birth"),
    "costs": Words("om kostnader", "on costs"),
    "changes": Words("om ändringar sedan förra rapporten", "on the changes since the previous report"),
    "dose_received": Words("om programkontakter per familj efter bakgrund",
                           "on programme contacts per family by background"),
    "missing_data": Words("om saknade värden per grupp", "on missing values by group"),
    "did_cells": Words("om varje område före och efter start", "on each area before and after the start"),
    "did_areas": Words("om skillnad-i-skillnader med ett område i taget",
                       "on the difference-in-differences one area at a time"),
    "event_study": Words("om skillnaden per födelsehalvår (eventstudie)",
                         "on the difference by half-year of birth (event study)"),
    "collaboration_spread": Words("om spridningen i samverkan mellan områden",
                                  "on the spread of collaboration between areas"),
    "collaboration_convergence": Words("om huruvida områdenas samverkan närmar sig varandra",
                                       "on whether the areas' collaboration converges"),
}

# costs.csv's reasons and flags (pipeline.stages.compare.costs, pipeline.stats.costs.REASONS),
# as the costs tables' notes say them.
COST_LABELS: dict[str, Words] = {
    "outside_birth_years": Words(
        sv="utanför åren då interventionsbarnen föddes: räknas inte in i totalen",
        en="outside the years the intervention children were born: not counted in the total",
    ),
    "no_costs_given": Words(
        sv="ingen kostnad angiven: årets barn räknas inte in i totalen",
        en="no cost given: the year's children are not counted in the total",
    ),
    "no_enrolled_families": Words("inga familjer som tackat ja", "no families who accepted"),
    "no_completed_contacts": Words("inga genomförda kontakter", "no completed contacts"),
    "part_year": Words(
        sv="bara en del av årets födda ingår i studien",
        en="only part of the year's births are in the study",
    ),
    "contacts_still_due": Words(
        sv="några barn var ännu inte gamla nog för alla kontakter",
        en="some children were not yet old enough for every contact",
    ),
    "interval_includes_zero": Words(
        sv="kan inte skattas: effektens intervall rymmer noll",
        en="not estimable: the effect's interval includes zero",
    ),
    "effect_below_zero": Words(
        sv="ingen förbättring: hela effektens intervall ligger under noll",
        en="no improvement: the effect's whole interval lies below zero",
    ),
    "among_measured": Words(
        sv="räknat bland barnen med värde för indikatorn",
        en="counted among the children with a value for the indicator",
    ),
    "estimate_not_positive": Words(
        sv="skattningen ligger på eller under noll",
        en="the estimate is at or below zero",
    ),
    "no_effect_estimate": Words(
        sv="kan inte skattas: effekten kunde inte skattas",
        en="not estimable: the effect could not be estimated",
    ),
    "no_effect_interval": Words(
        sv="anges inte: effekten saknar konfidensintervall",
        en="not given: the effect has no confidence interval",
    ),
    "not_additive": Words(
        sv="kan inte skattas: effekten är en kvot, inte en skillnad i andel",
        en="not estimable: the effect is a ratio, not a difference in share",
    ),
    "no_children": Words(
        sv="kan inte skattas: inga barn i interventionsgruppen de åren",
        en="not estimable: no intervention children in those years",
    ),
}

# Methods appendix: (method, reference) in the order the analysis uses them.


# The reasons a follow-up part's own checks give at clean have their words in its module
# (pipeline.followup: `REJECT_REASONS`).
_ALL_REASONS: Mapping[str, Words] = WithParts(
    REASON_LABELS, lambda part: getattr(part, "REJECT_REASONS", {}), "reject reason")

_VOCABULARIES: dict[str, Mapping[str, Words]] = {
    "indicator": INDICATOR_LABELS, "group": GROUP_LABELS, "method": METHOD_LABELS,
    "measure": MEASURE_LABELS, "analysis": ANALYSIS_LABELS, "covariate": COVARIATE_LABELS,
    "level": LEVEL_LABELS, "rating": RATING_LABELS, "flow": FLOW_LABELS, "fidelity": FIDELITY_LABELS,
    "table": TABLE_NAMES, "reason": _ALL_REASONS, "header": HEADERS, "section": SECTION_TITLES,
    "axis": AXIS_LABELS, "phrase": PHRASES, "design": DESIGN_LABELS, "manifest": MANIFEST_LABELS,
    "column": COLUMN_LABELS, "cost": COST_LABELS,
}


def label(kind: str, key: Any, language: str) -> str:
    """The word for `key` of vocabulary `kind` ("indicator", "group", ...); the key itself if unknown.

    A table, column or manifest row count that no vocabulary here names may be an optional
    export's (a follow-up part's `EXPORT`), which carries its own words in pipeline.schema.
    """
    words = _VOCABULARIES[kind].get(str(key)) or _export_words(kind, str(key))
    check_language(language)
    return words.in_(language) if words is not None else str(key)


def _export_words(kind: str, key: str) -> Words | None:
    """The words an optional export declares: its title ("table"), its rows ("manifest", as
    the clean stage counts them) or one of its columns' labels ("column")."""
    if kind not in ("table", "manifest", "column"):
        return None
    from pipeline.schema import TABLES  # at call time: the parts' exports are imported lazily

    optional = [table for table in TABLES.values() if not table.required]
    if kind == "table":
        return next((t.title for t in optional if t.name == key), None)
    if kind == "manifest":
        return next((t.rows for t in optional if t.name == key), None)
    return next((c.label for t in optional for c in t.columns if c.name == key and c.label), None)


def section_title(key: str, language: str) -> str:
    """A report section's heading."""
    return label("section", key, language)


def subgroup_label(subgroup: str, language: str) -> str:
    """"mother_region=europe" -> "Moderns födelseregion: Europa"."""
    variable, _, level = str(subgroup).partition("=")
    return f"{label('covariate', variable, language)}: {label('level', level, language)}"


def output_table_name(table: str, language: str) -> str:
    """An output table in words ("om dos–respons"), for the note that it has no area rows
    (every table of the whole study alone has its words: a test holds them so)."""
    check_language(language)
    return OUTPUT_TABLE_NAMES[table].in_(language)
