"""The words of the report's narrative (page one, who is compared with whom, captions, methods
and the technical notes), used by `pipeline.narrative`."""

from __future__ import annotations

from pipeline.text.words import Words

WORDS: dict[str, Words] = {
    "effect_did": Words(
        sv="Skattad effekt av programmet (skillnad-i-skillnader)",
        en="Estimated effect of the programme (difference-in-differences)",
    ),
    "effect_adjusted": Words(
        sv="Skattad effekt av programmet (justerad för skillnader i bakgrund)",
        en="Estimated effect of the programme (adjusted for differences in background)",
    ),
    "effect_hr": Words(
        sv="Skattad effekt av programmet (justerad hasardkvot)",
        en="Estimated effect of the programme (adjusted hazard ratio)",
    ),
    "effect_suppressed": Words("Programmets skattade effekt {what}.",
                               "The programme's estimated effect is {what}."),
    "effect_hr_meaning": Words(
        sv="Skattad effekt av programmet (justerad hasardkvot; {meaning})",
        en="Estimated effect of the programme (adjusted hazard ratio; {meaning})",
    ),
    "pp": Words("procentenheter", "percentage points"),
    "pp_one": Words("procentenhet", "percentage point"),
    "ci": Words("95\u00a0% KI", "95% CI"),
    "to": Words("till", "to"),
    "just_above": Words("strax över", "just above"),
    "just_below": Words("strax under", "just below"),
    "after_start": Words("efter start", "after the start"),
    "before_start": Words("före start", "before the start"),
    "observed_did": Words(
        sv="{after} {p1} i {where} och {p0} i {others} ({before} {q1} och {q0}).",
        en="{after} {p1} in {where} and {p0} in {others} ({before} {q1} and {q0}).",
    ),
    "observed_did_area": Words(
        sv="{after} {p1} i {area} och {p0} i {others} ({before} {q1} och {q0}).",
        en="{after} {p1} in {area} and {p0} in {others} ({before} {q1} and {q0}).",
    ),
    "observed_concurrent_area": Words(
        sv="{p1} i {area} och {p0} i jämförelsegruppen.",
        en="{p1} in {area} and {p0} in the comparison group.",
    ),
    "observed_historical_area": Words(
        sv="{p1} bland barn födda i {area} efter start och {p0} bland barn födda där före start.",
        en="{p1} among children born in {area} after the start and {p0} among those born there before it.",
    ),
    "observed_concurrent": Words(
        sv="{p1} i interventionsgruppen och {p0} i jämförelsegruppen.",
        en="{p1} in the intervention group and {p0} in the comparison group.",
    ),
    "observed_historical": Words(
        sv="{p1} bland barn födda efter start och {p0} bland barn födda före start (samma områden).",
        en=("{p1} among children born after the start and {p0} among children born before it (the same "
            "areas)."),
    ),
    "verdict_higher": Words(
        sv=("högre med programmet; skillnaden är större än vad slumpen rimligen kan förklara (justerat "
            "{p}, {correction})"),
        en=("higher with the programme; the difference is larger than chance would plausibly explain "
            "(adjusted {p}, {correction})"),
    ),
    "verdict_lower": Words(
        sv=("lägre med programmet; skillnaden är större än vad slumpen rimligen kan förklara (justerat "
            "{p}, {correction})"),
        en=("lower with the programme; the difference is larger than chance would plausibly explain "
            "(adjusted {p}, {correction})"),
    ),
    # a concurrent or historical design cannot tell the programme from what else differs between
    # the areas, or changed over the time: its verdict says where the share was higher, not why
    "verdict_concurrent": Words(
        sv=("{direction} i {where} än i {others}; skillnaden är större än vad slumpen rimligen kan förklara "
            "(justerat {p}, {correction}), men den kan också bero på annat som skiljer områdena åt"),
        en=("{direction} in {where} than in {others}; the difference is larger than chance would plausibly "
            "explain (adjusted {p}, {correction}), but it may also stem from other differences between "
            "the areas"),
    ),
    "verdict_historical": Words(
        sv=("{direction} efter start än före; skillnaden är större än vad slumpen rimligen kan förklara "
            "(justerat {p}, {correction}), men den kan också bero på annat som ändrats under samma tid"),
        en=("{direction} after the start than before; the difference is larger than chance would "
            "plausibly explain (adjusted {p}, {correction}), but it may also stem from other changes over "
            "the same time"),
    ),
    "direction_higher": Words("högre", "higher"),
    "direction_lower": Words("lägre", "lower"),
    # a time-to-event verdict ("vaccinationen skedde tidigare med programmet, …") under those
    # designs: where or when instead of "with the programme", and the same last clause
    "with_programme": Words(" med programmet", " with the programme"),
    "where_concurrent": Words(" i {where} än i {others}", " in {where} than in {others}"),
    "where_historical": Words(" efter start än före", " after the start than before"),
    # after "vaccinationen skedde tidigare …": "den" would be the vaccination, not the difference
    "but_concurrent": Words(", men skillnaden kan också bero på annat som skiljer områdena åt",
                            ", but the difference may also stem from other differences between the areas"),
    "but_historical": Words(", men skillnaden kan också bero på annat som ändrats under samma tid",
                            ", but the difference may also stem from other changes over the same time"),
    "reason_interval_includes_null": Words(
        sv="kan bero på slumpen (intervallet omfattar {null})",
        en="could be due to chance (the interval includes {null})",
    ),
    # concurrent: the children-level interval excludes no effect, but the areas with the programme
    # do not stand out among every choice of as many areas (`stats.arm_randomisation`)
    "reason_areas_differ_as_much": Words(
        sv=("intervallet omfattar inte {null}, men skillnaden kan bero på hur områden skiljer sig åt "
            "även utan programmet: ett test av vilka områden som fick det ger {randomisation}"),
        en=("the interval excludes {null}, but the difference could come from how areas differ even "
            "without the programme: a test of which areas had it gives {randomisation}"),
    ),
    "reason_not_significant_after_correction": Words(
        sv=("intervallet omfattar inte {null}, men efter korrektion för flera jämförelser kan skillnaden "
            "bero på slumpen (justerat {p}, {correction})"),
        en=("the interval excludes {null}, but after correction for multiple comparisons the difference "
            "could be due to chance (adjusted {p}, {correction})"),
    ),
    # after reason_not_significant_after_correction, where the randomisation test's own p is above 0.05
    "randomisation_above_alpha": Words(
        sv=("; randomiseringstestet, som bara bygger på vilka områden som fick programmet, ger {p} redan "
            "utan korrektion"),
        en=("; the randomisation test, which rests only on which areas had the programme, gives {p} "
            "even without correction"),
    ),
    "reason_design_cannot_reach_significance": Words(
        sv=("med så få områden kan studien inte visa att skillnaden är större än slumpen, "
            "hur stor den än är (randomiseringstestets lägsta möjliga p är {floor})"),
        en=("with so few areas the study cannot show that the difference is larger than chance, "
            "however large (the randomisation test's smallest possible p is {floor})"),
    ),
    "reason_design_cannot_reach_significance_corrected": Words(
        sv=("med så få områden kan studien inte visa att skillnaden är större än slumpen, "
            "hur stor den än är: randomiseringstestets lägsta möjliga p är {floor}, och {corrected} "
            "efter {correction}"),
        en=("with so few areas the study cannot show that the difference is larger than chance, "
            "however large: the randomisation test's smallest possible p is {floor}, and {corrected} "
            "after {correction}"),
    ),
    # concurrent: areas against areas, children-level p; the floor of its test over which areas
    # had the programme (`stats.arm_randomisation`: 1 in comb(areas, intervention areas))
    "reason_design_cannot_reach_significance_concurrent": Words(
        sv=("med så få områden kan studien inte visa att skillnaden är större än slumpen, "
            "hur stor den än är: områden skiljer sig åt även utan programmet, och ett test av vilka "
            "områden som fick det kan "
            "som lägst ge p = {floor}"),
        en=("with so few areas the study cannot show that the difference is larger than chance, "
            "however large: areas differ even without the programme, and a test of which areas had it "
            "could give p = {floor} at "
            "the lowest"),
    ),
    "reason_design_cannot_reach_significance_corrected_concurrent": Words(
        sv=("med så få områden kan studien inte visa att skillnaden är större än slumpen, "
            "hur stor den än är: områden skiljer sig åt även utan programmet, och ett test av vilka "
            "områden som fick det kan "
            "som lägst ge p = {floor}, och {corrected} efter {correction}"),
        en=("with so few areas the study cannot show that the difference is larger than chance, "
            "however large: areas differ even without the programme, and a test of which areas had it "
            "could give p = {floor} at "
            "the lowest, and {corrected} after {correction}"),
    ),
    "reason_no_interval": Words(
        sv=("inget tillförlitligt osäkerhetsintervall kan beräknas, så skillnaden kan inte skiljas från "
            "slumpen"),
        en=("no reliable uncertainty interval can be computed, so the difference cannot be told apart from "
            "chance"),
    ),
    "reason_no_p_value": Words(
        sv="inget p-värde kunde beräknas, så skillnaden kan inte skiljas från slumpen",
        en="no p-value could be computed, so the difference cannot be told apart from chance",
    ),
    # the indicator is named at the sentence's start; why, from summary.csv's reason_detail
    # (`narrative.not_estimable_why`); the committee reports have no technical appendix
    "not_estimable": Words(
        sv=("Programmets effekt kunde inte skattas med huvudmetoden ({why}; orsaken står i den tekniska "
            "rapporten)."),
        en=("The programme's effect could not be estimated by the main method ({why}; the technical "
            "report gives the reason)."),
    ),
    "not_estimable_separation": Words(
        sv=("i någon kombination av bakgrundsfaktorer hade alla barn utfallet, eller inget, så den justerade "
            "modellen saknar skattning"),
        en=("in some combination of background factors all children had the outcome, or none did, so the "
            "adjusted model has no estimate"),
    ),
    "not_estimable_few": Words("för få barn eller utfall i någon grupp",
                               "too few children or outcomes in a group"),
    "not_estimable_other": Words("modellen kunde inte skattas", "the model could not be estimated"),
    "no_data": Words("uppgift saknas", "no data"),
    "hidden_share": Words("en andel som inte redovisas", "a share not shown"),
    # a group with no child old enough for the measure: there is no share to show
    "no_child_share": Words("ingen andel (inget barn gammalt nog)", "no share (no child old enough)"),
    # no child born after the start old enough for the measure in either group (an early report)
    "none_old_enough": Words(
        sv=("{name}: inget barn fött efter programstart hade hunnit bli gammalt nog för måttet när "
            "uppgifterna togs ut, så programmets effekt kan ännu inte skattas."),
        en=("{name}: no child born after the start was old enough for the measure when the data were "
            "extracted, so the programme's effect cannot be estimated yet."),
    ),
    "none_old_enough_before": Words(
        sv=" Före start: {q1} i {where} och {q0} i {others}.",
        en=" Before the start: {q1} in {where} and {q0} in {others}.",
    ),
    "holm_primary": Words(
        sv="Holms korrektion för {k} huvudindikatorer",
        en="Holm's correction for {k} primary indicators",
    ),
    "bh_secondary": Words(
        sv="Benjamini–Hochbergs korrektion över {k} sekundära indikatorer",
        en="Benjamini–Hochberg correction across {k} secondary indicators",
    ),
    # a family of one (a pool where one secondary indicator had estimates from two sites)
    "holm_primary_one": Words(
        sv="Holms korrektion för {k} huvudindikator",
        en="Holm's correction for {k} primary indicator",
    ),
    "bh_secondary_one": Words(
        sv="Benjamini–Hochbergs korrektion över {k} sekundär indikator",
        en="Benjamini–Hochberg correction across {k} secondary indicator",
    ),
    "caveat_interval_unbounded": Words(
        sv="Intervallet kan inte avgränsas med så få områden.",
        en="The interval cannot be bounded with so few areas.",
    ),
    "caveat_stable_definition": Words(
        sv=("Här räknas fullvaccinerad som DTP-polio-Hib, pneumokock och MMR i båda perioderna: rotavirus "
            "kom in i det nationella vaccinationsprogrammet först för barn födda från 1 september 2019."),
        en=("Fully vaccinated here means DTaP-IPV-Hib, pneumococcal and MMR in both periods: rotavirus "
            "entered the national vaccination programme only for children born from 1 September 2019."),
    ),
    # the vaccination section's shares (indicators.csv) of fully vaccinated are each child's own
    # definition, rotavirus included for births from 1 September 2019; page one's are not
    "stable_definition_body": Words(
        sv=("Fullvaccinerad vid 24 månader i tabellen och figuren nedan omfattar rotavirus för barn födda "
            "från 1 september 2019. Den skattade effekten jämför, som i "
            "sammanfattningen, DTP-polio-Hib, pneumokock och MMR i båda perioderna: med den definitionen "
            "var andelen efter start {intervention} i interventionsgruppen och {comparison} i "
            "jämförelsegruppen."),
        en=("Fully vaccinated at 24 months in the table and figure below includes rotavirus for children "
            "born from 1 September 2019. The estimated effect "
            "compares, as in the summary, DTaP-IPV-Hib, pneumococcal and MMR in both periods: by that "
            "definition the share after the start was {intervention} in the intervention group and "
            "{comparison} in the comparison group."),
    ),
    # under `historical` the comparison group is the same areas' children born before the start
    "stable_definition_body_historical": Words(
        sv=("Fullvaccinerad vid 24 månader i tabellen och figuren nedan omfattar rotavirus för barn födda "
            "från 1 september 2019. Den skattade effekten jämför, som i "
            "sammanfattningen, DTP-polio-Hib, pneumokock och MMR i båda perioderna: med den definitionen "
            "var andelen {intervention} bland barnen födda efter start och {comparison} bland dem som "
            "föddes före start."),
        en=("Fully vaccinated at 24 months in the table and figure below includes rotavirus for children "
            "born from 1 September 2019. The estimated effect "
            "compares, as in the summary, DTaP-IPV-Hib, pneumococcal and MMR in both periods: by that "
            "definition the share was {intervention} among the children born after the start and "
            "{comparison} among those born before it."),
    ),
    "caveat_few_children": Words(
        sv=("Bygger på få barn: bara {n1} i interventionsgruppen och {n0} i jämförelsegruppen hade hunnit "
            "bli gamla nog för måttet."),
        en=("It rests on few children: only {n1} in the intervention group and {n0} in the comparison group "
            "were old enough for the measure."),
    ),
    # the same where a group has none ("bara 0 i interventionsgruppen" said it badly)
    "caveat_few_children_none": Words(
        sv=("Bygger på få barn: {n1} i interventionsgruppen och {n0} i jämförelsegruppen hade hunnit "
            "bli gamla nog för måttet."),
        en=("It rests on few children: {n1} in the intervention group and {n0} in the comparison group "
            "were old enough for the measure."),
    ),
    # an indicator among the children screened (lang_no_deviation, lang_referred): its children
    # are those screened, not all who were old enough
    "caveat_few_children_screened": Words(
        sv=("Bygger på få barn: bara {n1} i interventionsgruppen och {n0} i jämförelsegruppen hade "
            "screenats."),
        en=("It rests on few children: only {n1} in the intervention group and {n0} in the comparison group "
            "had been screened."),
    ),
    "caveat_few_children_none_screened": Words(
        sv="Bygger på få barn: {n1} i interventionsgruppen och {n0} i jämförelsegruppen hade screenats.",
        en=("It rests on few children: {n1} in the intervention group and {n0} in the comparison group "
            "had been screened."),
    ),
    # where only one group has few children ("bara 17 … och 186" called 186 few)
    # a measure defined only for children born from a date (rotavirus): few for that, not for age
    "caveat_few_children_born_from": Words(
        sv=("Bygger på få barn: bara {n1} i interventionsgruppen och {n0} i jämförelsegruppen var födda "
            "från {born_from}, när måttet börjar gälla, och hade hunnit bli gamla nog för det."),
        en=("It rests on few children: only {n1} in the intervention group and {n0} in the comparison "
            "group were born from {born_from}, when the measure begins, and were old enough for it."),
    ),
    "caveat_few_in_group_born_from": Words(
        sv=("Bygger på få barn {group}: bara {n} var födda från {born_from}, när måttet börjar gälla, och "
            "hade hunnit bli gamla nog för det ({other} {in_other})."),
        en=("It rests on few children {group}: only {n} were born from {born_from}, when the measure "
            "begins, and were old enough for it ({other} {in_other})."),
    ),
    "caveat_few_in_group": Words(
        sv="Bygger på få barn {group}: bara {n} hade hunnit bli gamla nog för måttet ({other} {in_other}).",
        en="It rests on few children {group}: only {n} were old enough for the measure ({other} {in_other}).",
    ),
    "caveat_few_in_group_screened": Words(
        sv="Bygger på få barn {group}: bara {n} hade screenats ({other} {in_other}).",
        en="It rests on few children {group}: only {n} had been screened ({other} {in_other}).",
    ),
    # where a group's number is hidden ("bara – i interventionsgruppen" said nothing)
    "caveat_few_children_hidden": Words(
        sv="Bygger på få barn; antalet barn i minst en grupp redovisas inte.",
        en="It rests on few children; the number of children in at least one group is not shown.",
    ),
    "no_child": Words("inget barn", "no child"),
    "caveat_pre_trends_differ": Words(
        sv=("Före programstart utvecklades andelen olika i interventions- och jämförelseområdena "
            "(placebotest {p}), så skattningen är tvivelaktig."),
        en=("Before the programme started the share developed differently in the intervention and "
            "comparison areas (placebo test {p}), so the estimate is doubtful."),
    ),
    "caveat_pre_trends_joint": Words(
        sv=("Eventstudiens gemensamma test av halvåren före start gav {p}: andelen kan ha utvecklats olika "
            "redan före start, så läs skattningen med försiktighet (se metodavsnittet)."),
        en=("The event study's joint test of the half-years before the start gave {p}: the share may have "
            "developed differently already before the start, so read the estimate with caution (see the "
            "methods)."),
    ),
    "sensitivity": Words(
        sv="Känslighetsanalys med viktning (IPTW): {effect}.",
        en="Sensitivity analysis by weighting (IPTW): {effect}.",
    ),
    # a hidden estimate's multiple imputation (every child, none left out for a missing covariate)
    # "A" sensitivity analysis: the others' is the weighting (IPTW), said by name beside them
    "imputed_instead": Words(
        sv=("En känslighetsanalys, där saknade bakgrundsuppgifter imputeras så att alla barn ingår, "
            "skattar effekten till {effect}; den prövas inte mot slumpen som de andra."),
        en=("A sensitivity analysis, which imputes missing background data so that every child "
            "counts, estimates the effect at {effect}; it is not tested against chance as the others "
            "are."),
    ),
    "imputed_instead_did": Words(
        sv=("En känslighetsanalys, där saknade bakgrundsuppgifter imputeras så att alla barn ingår, "
            "skattar skillnaden-i-skillnader till {effect}; den prövas inte mot slumpen som de andra."),
        en=("A sensitivity analysis, which imputes missing background data so that every child "
            "counts, estimates the difference-in-differences at {effect}; it is not tested against "
            "chance as the others are."),
    ),
    # under concurrent: a comparison of areas, which no test over the areas has checked
    "imputed_areas": Words(
        sv=(" Som jämförelse mellan områden kan den inte skilja programmets effekt från hur områdena "
            "skilde sig redan utan programmet."),
        en=(" As a comparison between areas, it cannot tell the programme's effect from how the areas "
            "differed without it."),
    ),
    # under historical: after against before in the same areas (a review read "the effect, 7 points"
    # where a third of the change was the secular trend's)
    "imputed_historical": Words(
        sv=(" Som jämförelse mellan barn födda efter och före start kan den också bero på annat som "
            "ändrats under samma tid."),
        en=(" As a comparison of children born after and before the start, it may also reflect other "
            "changes over the same time."),
    ),
    "summary_rule_historical": Words(
        sv=("Ett resultat kallas högre eller lägre efter start än före bara när p-värdet efter korrektion "
            "för flera jämförelser (Holms metod för huvudindikatorerna, Benjamini–Hochbergs för de övriga) "
            "är under 0,05 och intervallet inte omfattar 0 (ingen skillnad); inte heller då kan skillnaden "
            "skiljas från annat som ändrats under samma tid."),
        en=("A result is called higher or lower after the start than before only when its p-value after "
            "correction for multiple comparisons (Holm's method for the primary indicators, "
            "Benjamini–Hochberg for the others) is below 0.05 and its interval excludes 0 (no "
            "difference); even then the difference cannot be told apart from other changes over the "
            "same time."),
    ),
    "summary_rule_ratio_historical": Words(
        sv=("Ett resultat kallas högre eller lägre efter start än före bara när p-värdet efter korrektion "
            "för flera jämförelser (Holms metod för huvudindikatorerna, Benjamini–Hochbergs för de övriga) "
            "är under 0,05 och intervallet inte omfattar värdet för ingen skillnad (0 för skillnader, 1 "
            "för kvoter); inte heller då kan skillnaden skiljas från annat som ändrats under samma tid."),
        en=("A result is called higher or lower after the start than before only when its p-value after "
            "correction for multiple comparisons (Holm's method for the primary indicators, "
            "Benjamini–Hochberg for the others) is below 0.05 and its interval excludes the value of no "
            "difference (0 for differences, 1 for ratios); even then the difference cannot be told apart "
            "from other changes over the same time."),
    ),
    "sensitivity_did": Words(
        sv="Utan justering för bakgrundsfaktorer: {effect}.",
        en="Without adjustment for background factors: {effect}.",
    ),
    "tag_very_few_areas": Words(
        sv="mycket osäkert med bara {areas} områden",
        en="very uncertain with only {areas} areas",
    ),
    "tag_one_area_in_arm": Words(
        sv="grov skattning: bara {which}",
        en="a rough estimate: only {which}",
    ),
    # the tags' first words, when the whole caveat is said once above the list (`_shared_caveat`)
    "tag_very_few_areas_short": Words("mycket osäkert", "very uncertain"),
    "tag_one_area_in_arm_short": Words("grov skattning", "a rough estimate"),
    "tag_few_treated_areas_short": Words("osäkert", "uncertain"),
    "few_treated_box": Words(
        sv=("**Obs!** Jämförelsen bygger på bara {treated} områden med programmet och {comparison} utan. "
            "Med så få {kind} är osäkerhetsintervallen och p-värdena nedan mindre tillförlitliga; varje "
            "skattning är därför markerad som osäker."),
        en=("**Note:** the comparison rests on only {treated} areas with the programme and {comparison} "
            "without. With so few {kind} the uncertainty intervals and p-values below are less reliable; "
            "every estimate is therefore marked as uncertain."),
    ),
    # a survival indicator whose estimate at its landmark is another indicator's (`_same_estimate_as`)
    "same_estimate_as": Words(
        sv="{indicator}: samma mått och samma skattning som {other} ovan.",
        en="{indicator}: the same measure and the same estimate as {other} above.",
    ),
    # the concurrent design's intervals, child by child (`areas_not_clustered`)
    "not_clustered_box": Words(
        sv=("**Obs!** Jämförelsen bygger på {treated} och {comparison}. Osäkerhetsintervallen och "
            "p-värdena nedan räknar barnen som oberoende av varandra, men barn i samma område liknar "
            "varandra i mer än de bakgrundsfaktorer som justeras för. De verkliga intervallen kan därför "
            "vara bredare än de som visas, och en skillnad som kallas större än slumpen kan bero på "
            "skillnader mellan områdena."),
        en=("**Note:** the comparison rests on {treated} and {comparison}. The uncertainty intervals and "
            "p-values below take the children as independent of each other, but children in the same "
            "area resemble each other in more than the background factors adjusted for. The true "
            "intervals may therefore be wider than those shown, and a difference called larger than "
            "chance may come from differences between the areas."),
    ),
    # which group has a single area (`one_area_in_arm`): said in the tag and in the box
    "one_area_intervention": Words("ett område med programmet", "one area with the programme"),
    "one_area_comparison": Words("ett jämförelseområde", "one comparison area"),
    "one_area_both": Words("ett område i varje grupp", "one area in each group"),
    "one_area_box": Words(
        sv=("**Obs!** Jämförelsen bygger på bara {which}. Då kan inget tillförlitligt osäkerhetsintervall "
            "beräknas: skattningarna nedan är grova, och ingen av skillnaderna kan skiljas från slumpen."),
        en=("**Note:** the comparison rests on only {which}. No reliable uncertainty interval can then be "
            "computed: the estimates below are rough, and none of the differences can be told apart from "
            "chance."),
    ),
    "tag_few_treated_areas": Words(
        sv="osäkert: bara {few}",
        en="uncertain: only {few}",
    ),
    # the group with few areas (`few_treated_areas`: fewer than 3 in either group)
    "few_areas_intervention": Words("{n} områden med programmet", "{n} areas with the programme"),
    "few_areas_comparison": Words("{n} jämförelseområden", "{n} comparison areas"),
    "few_kind_intervention": Words("områden med programmet", "areas with the programme"),
    "few_kind_comparison": Words("jämförelseområden", "comparison areas"),
    # `where`: "interventionsområdena" (-området with one), or an area report's area; `others`:
    # "jämförelseområdena" (-området with one); `between`: who is compared
    "summary_intro_did": Words(
        sv=("Programmets effekt skattas med skillnad-i-skillnader: hur mycket mer andelen förändrades från "
            "före till efter programstart i {where} än i {others}. De observerade andelarna efter "
            "start är inte i sig programmets effekt, eftersom områdena skilde sig åt redan före start."),
        en=("The programme's effect is estimated by difference-in-differences: how much more the share "
            "changed from before to after the start in {where} than in {others}. The observed "
            "shares after the start are not by themselves the programme's effect, because the areas "
            "differed already before it."),
    ),
    "summary_intro_concurrent": Words(
        sv=("Programmets effekt skattas som skillnaden mellan {between} efter justering för skillnader i "
            "familjernas bakgrund. De observerade andelarna är inte i sig programmets effekt. Områdena kan "
            "också skilja sig på sätt som bakgrundsfaktorerna inte fångar, till exempel i hur andelarna låg "
            "redan innan programmet började, och sådana skillnader går inte att skilja från programmets "
            "effekt."),
        en=("The programme's effect is estimated as the difference between {between} after adjustment for "
            "differences in the families' background. The observed shares are not by themselves the "
            "programme's effect. The areas may also differ in ways the background factors do not capture, "
            "such as where the shares stood before the programme began, and such differences cannot be "
            "told apart from the programme's effect."),
    ),
    "between_all": Words("interventions- och jämförelseområdena", "the intervention and comparison areas"),
    "between_one": Words("interventions- och jämförelseområdet", "the intervention and comparison area"),
    "between_area": Words("{area} och {others}", "{area} and {others}"),
    "summary_intro_historical": Words(
        sv=("Programmets effekt skattas som skillnaden mellan barn födda efter och före programstart i "
            "{same}, efter justering för skillnader i familjernas bakgrund. De observerade andelarna "
            "är inte i sig programmets effekt. Annat som ändrats under samma tid, till exempel pandemin, "
            "vaccinationsprogrammet eller vårdens rutiner, går inte att skilja från programmets effekt."),
        en=("The programme's effect is estimated as the difference between children born after and before "
            "the start in {same}, after adjustment for differences in the families' background. The "
            "observed shares are not by themselves the programme's effect. Anything else that changed over "
            "the same time, such as the pandemic, the vaccination programme or routines in care, cannot be "
            "told apart from the programme's effect."),
    ),
    "summary_rule": Words(
        sv=("Ett resultat kallas högre eller lägre med programmet bara när p-värdet efter korrektion för "
            "flera jämförelser (Holms metod för huvudindikatorerna, Benjamini–Hochbergs för de övriga) är "
            "under 0,05 och intervallet inte omfattar 0 (ingen skillnad)."),
        en=("A result is called higher or lower with the programme only when its p-value after correction "
            "for multiple comparisons (Holm's method for the primary indicators, Benjamini–Hochberg for the "
            "others) is below 0.05 and its interval excludes 0 (no difference)."),
    ),
    "summary_rule_ratio": Words(
        sv=("Ett resultat kallas högre eller lägre med programmet bara när p-värdet efter korrektion för "
            "flera jämförelser (Holms metod för huvudindikatorerna, Benjamini–Hochbergs för de övriga) är "
            "under 0,05 och intervallet inte omfattar värdet för ingen skillnad (0 för skillnader, 1 för "
            "kvoter)."),
        en=("A result is called higher or lower with the programme only when its p-value after correction "
            "for multiple comparisons (Holm's method for the primary indicators, Benjamini–Hochberg for the "
            "others) is below 0.05 and its interval excludes the value of no difference (0 for differences, "
            "1 for ratios)."),
    ),
    "summary_rule_areas": Words(
        sv=("Eftersom jämförelsen ställer områden mot områden krävs också att ett randomiseringstest av "
            "vilka områden som fick programmet ger p under 0,05; med {treated} av {areas} områden kan det "
            "som lägst ge {floor}."),
        en=("Since the comparison sets areas against areas, a randomisation test of which areas had the "
            "programme must also give p below 0.05; with {treated} of {areas} areas it can give no less "
            "than {floor}."),
    ),
    "summary_rule_areas_did": Words(
        sv=("Med få områden krävs också att ett randomiseringstest av vilka områden som fick programmet "
            "alls kan ge p under 0,05 efter korrektionen; med {treated} av {areas} områden ger det som "
            "lägst {floor}{corrected}."),
        en=("With few areas, a randomisation test of which areas had the programme must also be able to "
            "give p below 0.05 after the correction; with {treated} of {areas} areas it gives no less "
            "than {floor}{corrected}."),
    ),
    "summary_rule_areas_holm": Words(
        sv=", och {corrected} efter Holms korrektion för {primary} huvudindikatorer",
        en=", and {corrected} after Holm's correction for {primary} primary indicators",
    ),
    "few_areas_box": Words(
        sv=("**Obs!** Jämförelsen bygger på bara {areas} områden ({treated} med programmet och {comparison} "
            "utan). Med så få områden kan ingen statistisk metod ge tillförlitliga osäkerhetsintervall; "
            "alla skattningar nedan är därför mycket osäkra."),
        en=("**Note:** the comparison rests on only {areas} areas ({treated} with the programme and "
            "{comparison} without). With so few areas no statistical method can give reliable uncertainty "
            "intervals; every estimate below is therefore very uncertain."),
    ),
    "primary": Words("Huvudindikatorer", "Primary indicators"),
    "secondary": Words("Övriga indikatorer", "Other indicators"),
    "caution": Words(
        sv=("Jämförelsen bygger på registeruppgifter, inte på lottning. Skillnader kan delvis bero på att "
            "familjerna i områdena skiljer sig åt, även efter justering."),
        en=("The comparison rests on register data, not on randomisation. Differences may partly reflect "
            "differences between the families in the areas, even after adjustment."),
    ),
    # a historical design compares the areas' own children born before and after the start
    "caution_historical": Words(
        sv=("Jämförelsen bygger på registeruppgifter, inte på lottning. Skillnader kan delvis bero på att "
            "familjerna som fick barn före och efter start skiljer sig åt, även efter justering."),
        en=("The comparison rests on register data, not on randomisation. Differences may partly reflect "
            "differences between the families with children born before and after the start, even after "
            "adjustment."),
    ),
}


DESIGN_WORDS: dict[str, Words] = {
    "heading": Words("Vem jämförs med vem?", "Who is compared with whom?"),
    "programme": Words(
        sv="**Programmet:** {title}, {contacts} ({home}) under barnets första {months}.",
        en="**The programme:** {title}, {contacts} ({home}) during the child's first {months}.",
    ),
    # the programme's contacts, home visits and months, singular for one (an inline programme
    # of a single visit: "1 planerade kontakter ... första 1 månader")
    "programme_contacts": Words("{n} planerade kontakter", "{n} planned contacts"),
    "programme_contacts_one": Words("{n} planerad kontakt", "{n} planned contact"),
    "programme_home": Words("{n} hembesök", "{n} home visits"),
    "programme_home_one": Words("{n} hembesök", "{n} home visit"),
    "programme_months": Words("{n} månader", "{n} months"),
    "programme_months_one": Words("månad", "month"),
    "areas": Words(
        sv="**{intervention_label}:** {intervention}. **{comparison_label}:** {comparison}.",
        en="**{intervention_label}:** {intervention}. **{comparison_label}:** {comparison}.",
    ),
    "intervention_label": Words("Interventionsområden", "Intervention areas"),
    "intervention_label_one": Words("Interventionsområde", "Intervention area"),
    "comparison_label": Words("Jämförelseområden", "Comparison areas"),
    "comparison_label_one": Words("Jämförelseområde", "Comparison area"),
    "areas_historical": Words(
        sv="**Områden:** {intervention} (samma områden före och efter start).",
        en="**Areas:** {intervention} (the same areas before and after the start).",
    ),
    "areas_historical_one": Words(
        sv="**Område:** {intervention} (samma område före och efter start).",
        en="**Area:** {intervention} (the same area before and after the start).",
    ),
    "periods": Words(
        sv=("**Födelseperioder:** barn födda {pre_from} – {pre_to} (före programstart) och {post_from} – "
            "{post_to} (efter programstart {start})."),
        en=("**Birth periods:** children born {pre_from} – {pre_to} (before the programme started) and "
            "{post_from} – {post_to} (after its start on {start})."),
    ),
    "periods_concurrent": Words(
        sv="**Födelseperiod:** barn födda {post_from} – {post_to} (efter programstart {start}).",
        en=("**Birth period:** children born {post_from} – {post_to} (after the programme started on "
            "{start})."),
    ),
    "extraction": Words(
        sv=("**Uppgifterna togs ut** {date}; barn som inte hunnit bli gamla nog för ett mått, eller som "
            "flyttat innan dess, räknas inte i det måttet."),
        en=("**Data extracted** {date}; children not yet old enough for a measure, or who moved before "
            "then, are not counted in that measure."),
    ),
    "eligibility": Words("**Vilka barn ingår:** {which}.", "**Children included:** {which}."),
    "first_child": Words("familjens första barn", "the family's first child"),
    "first_child_in_sweden": Words(
        sv="familjens första barn fött i Sverige",
        en="the family's first child born in Sweden",
    ),
    "or": Words("eller", "or"),
    "itt": Words(
        sv=("**Interventionsgruppen** är alla dessa barn födda i {where} efter programstart, oavsett om "
            "familjen tackade ja till programmet eller inte (intention to treat). **Jämförelsegruppen** är "
            "{comparison_group}."),
        en=("**The intervention group** is every such child born in {where} after the start, whether or not "
            "the family accepted the programme (intention to treat). **The comparison group** is "
            "{comparison_group}."),
    ),
    "comparison_did": Words(
        sv=("barnen i {others} under samma tid; barnen födda före start i alla områden visar hur "
            "områdena skilde sig åt redan innan"),
        en=("the children in {others} over the same time; the children born before the start in "
            "all areas show how the areas differed already before"),
    ),
    "comparison_concurrent": Words(
        sv="barnen i {others} under samma tid",
        en="the children in {others} over the same time",
    ),
    "comparison_historical": Words(
        sv="barnen födda i samma områden före programstart",
        en="the children born in the same areas before the start",
    ),
    "comparison_historical_one": Words(
        sv="barnen födda i {where} före programstart",
        en="the children born in {where} before the start",
    ),
    "where_all": Words("interventionsområdena", "the intervention areas"),
    "same_areas": Words("samma områden", "the same areas"),
    "where_one": Words("interventionsområdet", "the intervention area"),
    "others_all": Words("jämförelseområdena", "the comparison areas"),
    "others_one": Words("jämförelseområdet", "the comparison area"),
    "children": Words(
        sv=("**Antal barn:** {intervention} i interventionsgruppen och {comparison} i "
            "jämförelsegruppen{pre}."),
        en=("**Children:** {intervention} in the intervention group and {comparison} in the comparison "
            "group{pre}."),
    ),
    "children_pre": Words(
        sv="; före start {intervention_pre} i {where} och {comparison_pre} i {others}",
        en="; before the start {intervention_pre} in {where} and {comparison_pre} in {others}",
    ),
    "area_report": Words(
        sv=("Den här rapporten gäller området **{area}**: interventionsgruppen är barnen i {area}, och alla "
            "skattningar jämför {area} med {others}."),
        en=("This report is about the area **{area}**: the intervention group is the children in {area}, "
            "and every estimate compares {area} with {others}."),
    ),
    "area_report_historical": Words(
        sv=("Den här rapporten gäller området **{area}**: alla skattningar jämför barnen födda i {area} "
            "efter programstart med barnen födda där före start."),
        en=("This report is about the area **{area}**: every estimate compares the children born in {area} "
            "after the start with those born there before it."),
    ),
}


CAPTIONS: dict[str, Words] = {
    "design": Words(
        sv="Studiens upplägg: antal barn per område och födelseperiod",
        en="The study's design: children per area and birth period",
    ),
    "design_alt": Words(
        sv=("Rutnät med ett fält per område och födelseperiod; varje fält visar antalet barn och vilken "
            "grupp de tillhör."),
        en=("Grid with one box per area and birth period; each box shows the number of children and the "
            "group they belong to."),
    ),
    "trends": Words(
        sv="Huvudindikatorerna per födelsehalvår i interventions- och jämförelseområden",
        en="The primary indicators by half-year of birth in intervention and comparison areas",
    ),
    "trends_alt": Words(
        sv=("Linjediagram per huvudindikator: andel per födelsehalvår i interventions- och "
            "jämförelseområdena med 95 % konfidensband och en streckad linje vid programstart."),
        en=("Line chart per primary indicator: share per half-year of birth in the intervention and "
            "comparison areas with 95% confidence bands and a dashed line at the programme start."),
    ),
    "flow": Words("Familjernas väg genom programmet", "The flow of families through the programme"),
    "flow_alt": Words(
        sv=("Liggande staplar med antal barn i varje steg, från födda i interventionsområdena till alla "
            "planerade kontakter."),
        en=("Horizontal bars with the children at each step, from born in the intervention areas to all "
            "planned contacts."),
    ),
    "flow_table": Words("Familjernas väg genom programmet", "The flow of families through the programme"),
    "fidelity": Words("Genomförande och programtrohet", "Implementation and fidelity"),
    "balance": Words("Jämförbarhet mellan grupperna vid start", "Comparability of the groups at baseline"),
    "proportions": Words(
        sv="{family}: andel per grupp med 95 % konfidensintervall",
        en="{family}: share per group with 95% confidence intervals",
    ),
    "proportions_alt": Words(
        sv=("Punktdiagram: andel med 95 % konfidensintervall i interventions- och jämförelsegruppen för "
            "varje indikator inom {family}."),
        en=("Dot plot: share with 95% confidence interval in the intervention and comparison groups for "
            "each indicator of {family}."),
    ),
    "indicator_table": Words("{family}: andelar per grupp", "{family}: shares per group"),
    "forest": Words(
        sv="{family}: programmets skattade effekt med 95 % konfidensintervall",
        en="{family}: the programme's estimated effect with 95% confidence intervals",
    ),
    "forest_points": Words(
        sv="{family}: programmets skattade effekt (utan intervall: ett enda interventionsområde)",
        en="{family}: the programme's estimated effect (no intervals: a single intervention area)",
    ),
    "forest_points_alt": Words(
        sv=("Skogsdiagram: skattad effekt i procentenheter för varje indikator inom {family}, utan "
            "konfidensintervall; linjen vid 0 betyder ingen skillnad."),
        en=("Forest plot: estimated effect in percentage points for each indicator of {family}, without "
            "confidence intervals; the line at 0 means no difference."),
    ),
    "forest_alt": Words(
        sv=("Skogsdiagram: skattad effekt i procentenheter med 95 % konfidensintervall för varje indikator "
            "inom {family}; linjen vid 0 betyder ingen skillnad."),
        en=("Forest plot: estimated effect in percentage points with 95% confidence intervals for each "
            "indicator of {family}; the line at 0 means no difference."),
    ),
    "effects": Words("{family}: skattade effekter", "{family}: estimated effects"),
    "dose_received": Words("Programkontakter per familj efter bakgrund",
                           "Programme contacts per family by background"),
    "count_outcomes": Words("{family}: antal per grupp (per 100 barnår eller medelvärde)",
                            "{family}: numbers per group (per 100 child-years, or the mean)"),
    "count_forest": Words(
        sv="{family}: programmets skattade effekt som kvot med 95 % konfidensintervall",
        en="{family}: the programme's estimated effect as a ratio with 95% confidence intervals",
    ),
    "count_forest_points": Words(
        sv="{family}: programmets skattade effekt som kvot (utan intervall: ett enda interventionsområde)",
        en="{family}: the programme's estimated effect as a ratio (no intervals: a single intervention area)",
    ),
    "count_forest_points_alt": Words(
        sv=("Skogsdiagram: kvoten mellan interventions- och jämförelsegruppen (antal kontakter per barnår "
            "eller medelvärde), skillnad-i-skillnader utan konfidensintervall, på logaritmisk skala; "
            "linjen vid 1 betyder ingen skillnad ({family})."),
        en=("Forest plot: the ratio of the intervention to the comparison group (contacts per child-year "
            "or mean), difference-in-differences without confidence intervals, on a log scale; the line "
            "at 1 means no difference ({family})."),
    ),
    "count_forest_alt": Words(
        sv=("Skogsdiagram: kvoten mellan interventions- och jämförelsegruppen (antal kontakter per barnår "
            "eller medelvärde) med 95 % konfidensintervall, på logaritmisk skala; linjen vid 1 betyder "
            "ingen skillnad ({family})."),
        en=("Forest plot: the ratio of the intervention to the comparison group (contacts per child-year "
            "or mean) with 95% confidence intervals, on a log scale; the line at 1 means no difference "
            "({family})."),
    ),
    "count_effects": Words("{family}: skattade effekter på antal och frekvenser",
                           "{family}: estimated effects on counts and rates"),
    "survival": Words("{indicator}: andel över barnets ålder", "{indicator}: share over the child's age"),
    "survival_alt": Words(
        sv=("Kurvor över barnets ålder i månader för interventions- och jämförelsegruppen, med antal barn "
            "kvar i uppföljningen under diagrammet ({indicator})."),
        en=("Curves over the child's age in months for the intervention and comparison groups, with the "
            "numbers still followed below the plot ({indicator})."),
    ),
    # the log-rank p compares the groups as they are: a reader took it for a test of the programme
    "survival_table": Words("{indicator}: median och log-rank-test (en ojusterad jämförelse av de två "
                            "grupperna, inte programmets skattade effekt)",
                            "{indicator}: median and log-rank test (an unadjusted comparison of the two "
                            "groups, not the programme's estimated effect)"),
    "hazard": Words("{indicator}: hasardkvoter", "{indicator}: hazard ratios"),
    # under did the committee's survival table holds the DiD of the share at the landmark, not
    # hazard ratios; the technical one holds every method's
    "survival_effects": Words("{indicator}: programmets skattade effekt",
                              "{indicator}: the programme's estimated effect"),
    "survival_effects_all": Words("{indicator}: skattade effekter med varje metod",
                                  "{indicator}: estimated effects by every method"),
    "equity": Words(
        sv="Observerade skillnader efter start i undergrupper (procentenheter, ojusterade)",
        en="Observed differences after the start in subgroups (percentage points, unadjusted)",
    ),
    # under historical each row compares the children born after the start with those before
    "equity_historical": Words(
        sv="Observerade skillnader mellan barn födda efter och före start i undergrupper (procentenheter, "
           "ojusterade)",
        en="Observed differences between children born after and before the start in subgroups "
           "(percentage points, unadjusted)",
    ),
    # under did each row is the DiD within the subgroup, of children born before and after the start
    "equity_did": Words(
        sv="Skillnad-i-skillnader inom undergrupper (procentenheter, ojusterade)",
        en="Difference-in-differences within subgroups (percentage points, unadjusted)",
    ),
    "dose": Words("Utfall efter antal genomförda kontakter", "Outcomes by contacts received"),
    "dose_alt": Words(
        sv=("Punktdiagram, en panel per huvudindikator: andel med utfallet efter antal genomförda "
            "programkontakter, med 95 % konfidensintervall. Kontakterna grupperas efter hur många barnet "
            "kunde ha fått vid indikatorns ålder, så grupperna skiljer sig mellan panelerna."),
        en=("Dot plot, one panel per primary indicator: share with the outcome by the number of programme "
            "contacts received, with 95% confidence intervals. Contacts are grouped by how many the child "
            "could have had by the indicator's age, so the groups differ between the panels."),
    ),
    "dose_table": Words("Utfall efter antal genomförda kontakter", "Outcomes by contacts received"),
    "power": Words(
        sv="Minsta upptäckbara skillnad och barn som behövs",
        en="Minimum detectable difference and children needed",
    ),
    "costs": Words(
        sv="Kostnader per år och totalt, per familj och per genomförd kontakt",
        en="Costs per year and in total, per family and per completed contact",
    ),
    "cost_per_outcome": Words(
        sv="Kostnad per ytterligare barn som når utfallet, huvudindikatorerna",
        en="Cost per additional child reaching the outcome, primary indicators",
    ),
    "data_quality": Words("Rader per fil", "Rows per file"),
    "rejects": Words("Avvisade rader per orsak", "Rejected rows by reason"),
    "value_issues": Words(
        sv="Värden i godkända rader som inte kunde tolkas som de var skrivna eller motsäger personnumret",
        en="Values of accepted rows that could not be read as written or contradict the personnummer",
    ),
    "missingness": Words("Saknade värden", "Missing values"),
    "missing_data": Words(
        sv="Saknade uppgifter per grupp före och efter start",
        en="Missing values by group before and after the start",
    ),
    "design_checks": Words(
        sv="Skillnad-i-skillnader och designbaserade kontroller, huvudindikatorerna",
        en="Difference-in-differences and design-based checks, primary indicators",
    ),
    "event_study": Words(
        sv="Skillnad-i-skillnader per födelsehalvår (eventstudie), mot halvåret före start",
        en=("Difference-in-differences by half-year of birth (event study), against the half-year before "
            "the start"),
    ),
    "event_study_alt": Words(
        sv=("Punktdiagram per huvudindikator: skillnad-i-skillnader i procentenheter per födelsehalvår med "
            "95 % konfidensintervall; en streckad linje vid programstarten och en linje vid noll"),
        en=("Dot chart per primary indicator: difference-in-differences in percentage points per half-year "
            "of birth with 95% confidence intervals; a dashed line at the programme start and a line at "
            "zero"),
    ),
    "control_chart": Words(
        sv="{area}: andel per födelsekvartal mot jämförelsegruppens nivå (styrdiagram)",
        en="{area}: share by quarter of birth against the comparison group's level (control chart)",
    ),
    "control_chart_alt": Words(
        sv=("Styrdiagram per huvudindikator för {area}: andelen per födelsekvartal som punkter, en "
            "heldragen mittlinje och streckade kontrollgränser tre standardfel från den; punkter utanför "
            "gränserna är röda kryss, och en streckad lodrät linje visar programstarten."),
        en=("Control chart per primary indicator for {area}: the share per quarter of birth as points, a "
            "solid centre line and dashed control limits three standard errors from it; points outside "
            "the limits are red crosses, and a dashed vertical line marks the programme start."),
    ),
    "funnel": Words(
        sv=("Områdenas andel bland barn födda efter start mot antalet barn (trattdiagram). Gränserna är "
            "ritade som jämna kurvor, men om ett område ligger utanför avgörs av dess antal barn med "
            "utfallet mot binomialfördelningens gräns: en punkt strax utanför en linje kan ligga inom "
            "gränsen. Texten om trattdiagrammen nämner de områden som ligger utanför."),
        en=("The areas' share among children born after the start against their number of children "
            "(funnel plot). The limits are drawn as smooth curves, but whether an area lies outside is "
            "decided by its number of children with the outcome against the binomial limit: a point just "
            "beyond a line may lie within the limit. The text on the funnel plots names the areas "
            "outside."),
    ),
    "funnel_alt": Words(
        sv=("Trattdiagram per huvudindikator: varje område som en punkt (andel mot antal barn), en vågrät "
            "linje för alla områden tillsammans och trattformade 95- och 99,8-procentsgränser kring den."),
        en=("Funnel plot per primary indicator: each area as a point (share against number of children), a "
            "horizontal line for all areas together and funnel-shaped 95% and 99.8% limits around it."),
    ),
    "methods": Words("Metoder och referenser", "Methods and references"),
    "all_effects": Words("Alla skattningar", "All estimates"),
    "manifest_code": Words("Kodversion", "Code version"),
    "manifest_inputs": Words("Indatafiler och deras kontrollsummor", "Input files and their checksums"),
    "manifest_packages": Words("Programpaket", "Software packages"),
    "manifest_stages": Words("Stegen i körningen", "The stages of the run"),
}


# The costs section (pipeline.narrative.costs_markdown): what the programme cost, and per
# additional child. Careful words for a committee: no claim beyond what the interval says.
COST_WORDS: dict[str, Words] = {
    "sek": Words("{amount}\u00a0kr", "SEK\u00a0{amount}"),
    "sek_interval": Words("{ci} {low}\u2013{high}\u00a0kr", "{ci} SEK\u00a0{low} to {high}"),
    "totals": Words(
        sv=("Programmets kostnader för åren {years} var {cost}, räknade mot barnen i "
            "interventionsgruppen födda samma år: {per_family} och {per_contact}."),
        en=("The programme's costs for {years} were {cost}, counted against the intervention children "
            "born in those years: {per_family} and {per_contact}."),
    ),
    "per_family": Words("{amount} per familj som tackade ja ({families} familjer)",
                        "{amount} per family who accepted ({families} families)"),
    "per_family_not_shown": Words("ingen kostnad per familj redovisas", "no cost per family is shown"),
    "per_contact": Words("{amount} per genomförd programkontakt ({contacts} kontakter)",
                         "{amount} per completed programme contact ({contacts} contacts)"),
    "per_contact_not_shown": Words("ingen kostnad per kontakt redovisas", "no cost per contact is shown"),
    "outcome_heading": Words(
        sv="Kostnad per ytterligare barn som når utfallet",
        en="Cost per additional child reaching the outcome",
    ),
    "outcome_intro": Words(
        sv=("För varje huvudindikator: kostnaden delad med antalet ytterligare barn som når utfallet "
            "enligt programmets skattade effekt (effekten gånger barnen i interventionsgruppen födda under "
            "kostnadsåren, också de som ännu inte nått indikatorns ålder; för en indikator bland de "
            "screenade barnen bara de screenade)."),
        en=("For each primary indicator: the cost divided by the additional children reaching the "
            "outcome according to the programme's estimated effect (the effect times the children in "
            "the intervention group born in the cost years, those not yet old enough for the indicator "
            "too; for an indicator among the screened children the screened alone)."),
    ),
    # in an area's report: the effects below are the whole study's, not page one's of the area
    "outcome_whole_study": Words(
        sv="Effekterna här är hela studiens, liksom kostnaderna, inte områdets egna på sidan ett.",
        en="The effects here are the whole study's, as the costs are, not this area's own on page one.",
    ),
    # what the design cannot tell apart from the effect, which the cost per child inherits
    "design_concurrent": Words(
        sv=("Med studiens design kan den skattade effekten också rymma skillnader mellan områdenas "
            "familjer som fanns redan före programmet, och kostnaden per ytterligare barn ärver dem."),
        en=("With the study's design the estimated effect may also hold differences between the areas' "
            "families that were there before the programme, and the cost per additional child inherits "
            "them."),
    ),
    "design_historical": Words(
        sv=("Med studiens design kan den skattade effekten också rymma annat som ändrats under samma tid, "
            "och kostnaden per ytterligare barn ärver det."),
        en=("With the study's design the estimated effect may also hold other changes over the same "
            "time, and the cost per additional child inherits them."),
    ),
    "estimated": Words(
        sv=("{name}: omkring {cost} per ytterligare barn ({interval}). Det bygger på den skattade "
            "effekten {effect}, alltså omkring {additional} fler barn av {children} i "
            "interventionsgruppen."),
        en=("{name}: about {cost} per additional child ({interval}). This rests on the estimated "
            "effect of {effect}, that is about {additional} more of the {children} children in the "
            "intervention group."),
    ),
    # the children the number counts, where fewer had a value for the indicator at the extraction
    # (not yet old enough, or not screened where the indicator is among the screened): "74 more of
    # the 646 children" read as impossible beside the 43 who had been screened
    "measured_fewer": Words(
        sv=("Av de {children} barnen kunde {measured} räknas för indikatorn vid uttaget; antalet ytterligare "
            "barn förutsätter att effekten gäller också de övriga {rest}."),
        en=("Of the {children} children, {measured} could be counted for this indicator at the "
            "extraction; the number of additional children takes the effect to hold for the other {rest} "
            "as well."),
    ),
    "measured_fewer_hidden": Words(
        sv=("Av de {children} barnen kunde färre än {min_cell} räknas för indikatorn vid uttaget; antalet "
            "ytterligare barn förutsätter att effekten gäller också de övriga."),
        en=("Of the {children} children, fewer than {min_cell} could be counted for this indicator at the "
            "extraction; the number of additional children takes the effect to hold for the others as "
            "well."),
    ),
    # an indicator among another's children (language screening without remark, among the screened)
    "estimated_among_measured": Words(
        sv=("{name}: omkring {cost} per ytterligare barn ({interval}). Det bygger på den skattade "
            "effekten {effect}, alltså omkring {additional} fler barn av de {children} i "
            "interventionsgruppen som hade ett värde för indikatorn vid uttaget."),
        en=("{name}: about {cost} per additional child ({interval}). This rests on the estimated "
            "effect of {effect}, that is about {additional} more of the {children} children in the "
            "intervention group with a value for the indicator at the extraction."),
    ),
    "interval_includes_zero": Words(
        sv=("{name}: kostnaden per ytterligare barn kan inte skattas. Den skattade effekten är "
            "{effect}; intervallet rymmer noll, så det är förenligt med data att programmet inte gav "
            "ett enda ytterligare barn. Då kan kostnaden per ytterligare barn vara hur stor som "
            "helst, och ingen siffra anges."),
        en=("{name}: the cost per additional child cannot be estimated. The estimated effect is "
            "{effect}; the interval includes zero, so the data are consistent with the programme "
            "giving not a single additional child. The cost per additional child could then be any "
            "amount, however large, and no figure is given."),
    ),
    "effect_not_beyond_chance": Words(
        sv=("Sammanfattningen kan dock inte skilja effekten från slumpen, så siffran är ett räkneexempel, "
            "inte ett belägg för vad programmet kostar per ytterligare barn."),
        en=("The summary cannot, however, tell the effect from chance, so the figure is a worked example, "
            "not evidence of what the programme costs per additional child."),
    ),
    "estimate_not_positive": Words(
        sv="Skattningen ligger dessutom på eller under noll: studien visar inte att programmet förbättrade "
           "detta utfall.",
        en="The estimate itself is at or below zero: the study does not show that the programme improved "
           "this outcome.",
    ),
    "effect_below_zero": Words(
        sv=("{name}: ingen kostnad per ytterligare barn. Den skattade effekten är {effect}, med hela "
            "intervallet under noll: skattningen talar för att programmet inte förbättrade detta "
            "utfall, så det finns inga ytterligare barn att räkna kostnaden på."),
        en=("{name}: no cost per additional child. The estimated effect is {effect}, with the whole "
            "interval below zero: the estimate indicates that the programme did not improve this "
            "outcome, so there are no additional children to count the cost on."),
    ),
    "no_effect_estimate": Words(
        sv="{name}: kostnaden per ytterligare barn kan inte skattas, eftersom programmets effekt inte kunde "
           "skattas.",
        en="{name}: the cost per additional child cannot be estimated, because the programme's effect "
           "could not be estimated.",
    ),
    "no_effect_interval": Words(
        sv=("{name}: kostnaden per ytterligare barn anges inte. Den skattade effekten ({effect}) saknar "
            "ett tillförlitligt konfidensintervall, och utan det går det inte att säga hur osäker "
            "kostnaden är."),
        en=("{name}: the cost per additional child is not given. The estimated effect ({effect}) has no "
            "reliable confidence interval, and without one there is no saying how uncertain the cost "
            "is."),
    ),
    "not_additive": Words(
        sv=("{name}: kostnaden per ytterligare barn kan inte skattas: effekten är en kvot (en "
            "hasardkvot), som inte säger hur många fler barn som nådde utfallet."),
        en=("{name}: the cost per additional child cannot be estimated: the effect is a ratio (a hazard "
            "ratio), which does not say how many more children reached the outcome."),
    ),
    "no_children": Words(
        sv=("{name}: kostnaden per ytterligare barn kan inte skattas: inga barn i interventionsgruppen "
            "föddes de år som kostnaderna avser."),
        en=("{name}: the cost per additional child cannot be estimated: no intervention children were "
            "born in the years the costs are for."),
    ),
    "no_costs_given": Words(
        sv=("{name}: kostnaden per ytterligare barn kan inte skattas: ingen kostnad angavs för de år då "
            "barnen i interventionsgruppen föddes."),
        en=("{name}: the cost per additional child cannot be estimated: no cost was given for the years "
            "the intervention children were born."),
    ),
    "suppressed": Words("{name}: kostnaden per ytterligare barn {why}.", "{name}: the cost per additional "
                        "child is {why}."),
    "uncertainty": Words(
        sv=("Intervallen visar bara osäkerheten i den skattade effekten; kostnaderna är budgeterade "
            "belopp och räknas som kända. Hela programmets kostnad räknas mot ett utfall i taget, men "
            "programmet kan påverka flera utfall på en gång: kostnaderna per barn ska därför inte "
            "läggas ihop, och de är inga priser."),
        en=("The intervals show the uncertainty of the estimated effect only; the costs are budgeted "
            "amounts and taken as known. The whole programme's cost is counted against one outcome at "
            "a time, but the programme may affect several outcomes at once: the costs per child are "
            "therefore not to be added up, and they are no prices."),
    ),
    "method": Words(
        sv=("Metod. Kostnaderna anges i studiefilen (`costs:` med år, belopp och vad de avser). Varje "
            "kalenderårs kostnad matchas mot barnen i interventionsgruppen födda det året; år utanför "
            "deras födelseår redovisas men räknas inte in, och ett födelseår utan kostnad räknas inte "
            "in med sina barn. Familjer är barn i interventionsgruppen vars familj tackat ja; "
            "kontakter är planerade programkontakter som de fått fram till uttagsdatum. Kostnad per "
            "ytterligare barn = kostnad / (effekt × barn i interventionsgruppen födda de åren), där "
            "effekten är designens huvudskattning för alla som uppfyller villkoren (ITT) och antas "
            "gälla även barn som ännu inte nått indikatorns ålder. Intervallet är effektens intervall "
            "vänt: kostnad / (barn × övre gräns) till kostnad / (barn × nedre gräns). Det är exakt, "
            "eftersom kostnaderna är kända belopp och kvoten avtar med effekten; det är Fiellers "
            "intervall när täljaren saknar varians (Fieller 1954; Chaudhary & Stearns 1996), och det "
            "bär med sig effektintervallets metod (för skillnad-i-skillnader den vilda "
            "klusterbootstrappen). Rymmer effektens intervall noll är Fiellers mängd obegränsad och "
            "kostnaden kan inte skattas."),
        en=("Method. The costs are given in the study file (`costs:` with year, amount and what they "
            "cover). Each calendar year's cost is matched to the intervention children born that year; "
            "years outside their birth years are listed but not counted, and a birth year without a "
            "cost is left out with its children. Families are intervention children whose families "
            "accepted; contacts are the planned programme contacts they received by the extraction "
            "date. Cost per additional child = cost / (effect × intervention children born in those "
            "years), where the effect is the design's headline estimate for everyone eligible (ITT), "
            "taken to hold also for children not yet at the indicator's age. The interval is the "
            "effect's turned round: cost / (children × upper bound) to cost / (children × lower "
            "bound). It is exact, since the costs are known amounts and the ratio falls as the "
            "effect rises; it is Fieller's interval for a numerator without variance (Fieller 1954; "
            "Chaudhary & Stearns 1996), and it carries the effect interval's own method (for a "
            "difference-in-differences, the wild cluster bootstrap). When the effect's interval "
            "includes zero, Fieller's set is unbounded and the cost cannot be estimated."),
    ),
}

FAMILY_NAMES: dict[str, Words] = {
    "breastfeeding": Words("Amning", "Breastfeeding"),
    "vaccination": Words("Vaccination", "Vaccination"),
    "language": Words("Språkutveckling", "Language development"),
    "healthcare": Words("Vårdkontakter", "Healthcare use"),
    "dental": Words("Tandhälsa", "Dental health"),
}


METHOD_WORDS: dict[str, Words] = {
    "estimand": Words(
        sv=("**Vad som skattas.** Huvudanalysen avser alla barn som uppfyller villkoren och föds i "
            "interventionsområdena efter programstart, oavsett om familjen tackade ja (intention to treat, "
            "ITT): effekten av att erbjudas programmet. Som sekundär analys jämförs barnen i familjer som "
            "tackade ja med jämförelsegruppen (per protokoll); den jämförelsen kan påverkas av vilka "
            "familjer som tackar ja."),
        en=("**What is estimated.** The main analysis covers every eligible child born in the intervention "
            "areas after the start, whether or not the family accepted (intention to treat, ITT): the "
            "effect of being offered the programme. As a secondary analysis the children of families who "
            "accepted are compared with the comparison group (per protocol); that comparison can be "
            "affected by which families accept."),
    ),
    "estimand_technical": Words(
        sv=" Den jämförelsen redovisas i den tekniska rapporten.",
        en=" That comparison is shown in the technical report.",
    ),
    "estimator_did": Words(
        sv=("**Huvudskattning.** Skillnad-i-skillnader: en linjär sannolikhetsmodell med fasta effekter "
            "för varje område och varje födelsehalvår och en term för programmet (interventionsområde "
            "efter start), justerad för {covariates}. Osäkerheten tar hänsyn till att barn i samma område "
            "liknar varandra: med färre än 30 områden ges p-värde och intervall av samma wild cluster "
            "bootstrap-test (intervallet är de värden testet inte förkastar), så intervallet utesluter 0 "
            "precis när p < 0,05."),
        en=("**Headline estimate.** Difference-in-differences: a linear probability model with fixed "
            "effects for each area and each birth half-year and a term for the programme (intervention "
            "area after the start), adjusted for {covariates}. The uncertainty allows for children in one "
            "area being alike: with fewer than 30 areas the p-value and the interval come from one wild "
            "cluster bootstrap test (the interval is the values the test does not reject), so the interval "
            "excludes 0 exactly when p < 0.05."),
    ),
    "estimator_did_one_area": Words(
        sv=(" Med ett enda interventionsområde, som här, går osäkerheten inte att skatta tillförlitligt: "
            "skattningen ges utan intervall och utan p-värde."),
        en=(" With a single intervention area, as here, the uncertainty cannot be estimated reliably: the "
            "estimate is given without an interval or a p-value."),
    ),
    "estimator_concurrent": Words(
        sv=("**Huvudskattning.** Logistisk regression med {covariates}; effekten redovisas som en "
            "standardiserad riskskillnad för barnen i interventionsgruppen (g-beräkning). Viktning med "
            "propensity score (IPTW) är känslighetsanalys. Intervallen räknar barnen som oberoende; "
            "därför kallas en skillnad större än slumpen bara om också ett randomiseringstest av vilka "
            "områden som fick programmet (skillnaden i andel mellan armarna, över alla sätt att välja "
            "lika många områden) ger p under 0,05."),
        en=("**Headline estimate.** Logistic regression on {covariates}; the effect is reported as a risk "
            "difference standardised to the intervention group (g-computation). Inverse probability of "
            "treatment weighting (IPTW) is the sensitivity analysis. The intervals take the children as "
            "independent, so a difference is called larger than chance only where a randomisation test "
            "of which areas had the programme (the difference in share between the arms, over every way "
            "of choosing as many areas) also gives p below 0.05."),
    ),
    "estimator_historical": Words(
        sv=("**Huvudskattning.** Logistisk regression med {covariates}; effekten redovisas som en "
            "standardiserad riskskillnad för barnen födda efter start (g-beräkning). Viktning med "
            "propensity score (IPTW) är känslighetsanalys."),
        en=("**Headline estimate.** Logistic regression on {covariates}; the effect is reported as a risk "
            "difference standardised to the children born after the start (g-computation). Inverse "
            "probability of treatment weighting (IPTW) is the sensitivity analysis."),
    ),
    "survival": Words(
        sv=("**Tid till händelse.** Ålder vid MMR och amningens längd redovisas med Kaplan–Meier- "
            "respektive Turnbullkurvor; {survival_estimator}"),
        en=("**Time to event.** Age at MMR and the duration of breastfeeding are shown as Kaplan–Meier and "
            "Turnbull curves; {survival_estimator}"),
    ),
    "survival_did": Words(
        sv=("i skillnad-i-skillnader används andelen vid ett fast åldersmått (vaccinerad vid 24 månader, "
            "ammas vid 6 månader), och i den tekniska bilagan även vid 18 och 20 månader respektive 2 och 4 "
            "månader samt skillnaden i genomsnittlig tid (restricted mean survival time)."),
        en=("the difference-in-differences uses the share at a fixed age (vaccinated by 24 months, "
            "breastfed at 6 months), and in the technical appendix also at 18 and 20 months and at 2 and 4 "
            "months, with the difference in restricted mean survival time."),
    ),
    "survival_other": Words(
        sv=("effekten skattas som en justerad hasardkvot (Cox-regression; för amningens längd, som bara är "
            "känd mellan två bedömningar, en modell i diskret tid på intervallen mellan bedömningarna)."),
        en=("the effect is estimated as an adjusted hazard ratio (Cox regression; for the duration of "
            "breastfeeding, known only between two assessments, a discrete-time model on the intervals "
            "between assessments)."),
    ),
    "missing": Words(
        sv=("**Saknade bakgrundsuppgifter.** Barn som saknar någon av bakgrundsfaktorerna ingår inte i de "
            "justerade analyserna (fullständiga fall); för {indicator} gällde det {dropped} barn i den här "
            "körningen (för andra indikatorer kan antalet vara ett annat, som deras nämnare är). De "
            "ojusterade andelarna bygger på alla barn. Som känslighetsanalys upprepas huvudindikatorernas "
            "skattningar med de saknade uppgifterna imputerade (multipel imputering med kedjade ekvationer, "
            "tio dataset, Rubins regler); bilaga A visar vad som saknas per grupp."),
        en=("**Missing background data.** Children missing any covariate are left out of the adjusted "
            "analyses (complete cases); for {indicator} that was {dropped} children in this run (other "
            "indicators may differ, as their denominators do). The unadjusted shares rest "
            "on every child. As a sensitivity analysis the primary indicators' estimates are repeated with "
            "the missing values imputed (multiple imputation by chained equations, ten data sets, Rubin's "
            "rules); appendix A shows what is missing in each group."),
    ),
    "multiplicity": Words(
        sv=("**Flera jämförelser.** p-värden för huvudindikatorerna justeras med Holms metod och för övriga "
            "indikatorer med Benjamini–Hochbergs metod; bara justerade p-värden under 0,05 räknas som "
            "skillnader större än slumpen."),
        en=("**Multiple comparisons.** p-values of the primary indicators are adjusted by Holm's method and "
            "those of the other indicators by Benjamini–Hochberg; only adjusted p-values below 0.05 count "
            "as differences larger than chance."),
    ),
    "assumption_did": Words(
        sv=("**Antagande.** Skillnad-i-skillnader förutsätter att andelarna hade utvecklats parallellt i "
            "interventions- och jämförelseområdena om programmet inte funnits (parallella trender). Det går "
            "inte att pröva efter start, men ett placebotest bland barn födda före start (en låtsad start "
            "mitt i perioden) ska ge en skillnad nära 0, och en eventstudie visar skillnaden halvår för "
            "halvår före start. En logistisk modell kontrollerar att slutsatsen inte hänger på den linjära "
            "skalan."),
        en=("**Assumption.** Difference-in-differences assumes that the shares would have developed in "
            "parallel in the intervention and comparison areas without the programme (parallel trends). "
            "That cannot be tested after the start, but a placebo test among children born before the start "
            "(a fake start halfway through) should give a difference near 0, and an event study shows the "
            "difference half-year by half-year before the start. A logistic model checks that the "
            "conclusion does not hinge on the linear scale."),
    ),
    "assumption_other": Words(
        sv=("**Antagande.** Jämförelsen förutsätter att de bakgrundsfaktorer som justeras för fångar alla "
            "skillnader mellan grupperna som påverkar utfallen (inga omätta störfaktorer). Det kan inte "
            "prövas med registeruppgifter."),
        en=("**Assumption.** The comparison assumes that the covariates adjusted for capture every "
            "difference between the groups that affects the outcomes (no unmeasured confounding). Register "
            "data cannot test that."),
    ),
    # `historical`: no comparison areas, so that a change over the same time is the first doubt
    "assumption_historical": Words(
        sv=("**Antagande.** Jämförelsen med barn födda i samma områden före start förutsätter att inget "
            "annat som påverkar utfallen ändrades mellan perioderna (andra insatser, pandemin, hur "
            "uppgifterna registreras, allmänna trender), och att de bakgrundsfaktorer som justeras för "
            "fångar hur barnen skiljer sig mellan perioderna. Utan jämförelseområden kan det första inte "
            "prövas: en skillnad kan också bero på annat som ändrats under samma tid."),
        en=("**Assumption.** Comparing with the children born in the same areas before the start assumes "
            "that nothing else that affects the outcomes changed between the periods (other services, the "
            "pandemic, how the data are recorded, general trends), and that the covariates adjusted for "
            "capture how the children differ between the periods. Without comparison areas the first "
            "cannot be tested: a difference may also come from other changes over the same time."),
    ),
    "monitoring": Words(
        sv=("**Uppföljning över tid och mellan områden.** Styrdiagrammen är Shewharts p-diagram "
            "(Montgomery, *Introduction to Statistical Quality Control*, kap. 7): mittlinjen är {baseline}, "
            "och gränserna är mittlinjen ± 3·√(p̄(1 − p̄)/n) för en punkt med n barn. En punkt är utanför "
            "när den ligger strikt över eller under sina gränser, och åtta punkter i rad på samma sida om "
            "mittlinjen bildar en serie. Kvartal räknas från programstarten, så inget kvartal blandar barn "
            "födda före och efter start. Trattdiagrammens gränser är Spiegelhalters exakta binomialgränser "
            "(Stat Med 2005;24:1185–1202) kring alla områdens sammanlagda andel bland barn födda efter "
            "start; ett område räknas som över en gräns först när det har fler barn med utfallet än "
            "gränsens binomialkvantil, så att ett litet område där alla barn har utfallet inte flaggas av "
            "interpolationen. Indikatorerna definieras som i studiens egen jämförelse."),
        en=("**Over time and across areas.** The control charts are Shewhart p-charts (Montgomery, "
            "*Introduction to Statistical Quality Control*, ch. 7): the centre line is {baseline}, and the "
            "limits are the centre line ± 3·√(p̄(1 − p̄)/n) for a point of n children. A point is outside "
            "when it lies strictly above or below its limits, and eight points in a row on one side of "
            "the centre line make a run. Quarters are counted from the programme start, so no quarter "
            "mixes children born before and after it. The funnel plots' limits are Spiegelhalter's exact "
            "binomial limits (Stat Med 2005;24:1185–1202) around the share of all areas together among "
            "children born after the start; an area counts as above a limit only when it has more "
            "children with the outcome than the limit's binomial quantile, so that a small area where "
            "every child had the outcome is not flagged by the interpolation. The indicators are "
            "defined as in the study's own comparison."),
    ),
    "checks_did": Words(
        sv=("**Vad kontrollerna visade.** Placebotestet gav p < 0,05 för {failed} av {tested} "
            "indikatorer{which}. Jämförelsen bygger på {areas} områden ({treated} med programmet)."),
        en=("**What the checks showed.** The placebo test gave p < 0.05 for {failed} of {tested} "
            "indicators{which}. The comparison rests on {areas} areas ({treated} with the programme)."),
    ),
    "checks_joint": Words(
        sv=(" Eventstudiens gemensamma test av alla halvår före start gav p < 0,05 för {failed} av "
            "{tested} indikatorer{which}: skäl att läsa deras skattningar med försiktighet, eftersom "
            "skillnaden mellan områdena kan ha ändrats redan före start, men inget bevis (med få "
            "områden har testet få frihetsgrader)."),
        en=(" The event study's joint test of every half-year before the start gave p < 0.05 for "
            "{failed} of {tested} indicators{which}: a reason to read their estimates with care, since "
            "the difference between the areas may have changed before the start, but no proof (with "
            "few areas the test has few degrees of freedom)."),
    ),
    "checks_joint_none": Words(
        sv=(" Eventstudiens gemensamma test av alla halvår före start gav p < 0,05 för ingen av "
            "{tested} indikatorer."),
        en=(" The event study's joint test of every half-year before the start gave p < 0.05 for none "
            "of {tested} indicators."),
    ),
    "checks_floor": Words(
        sv=(" Ett randomiseringstest över alla sätt att välja {treated} av {areas} områden som "
            "interventionsområden kan inte ge ett p-värde under {floor}; {consequence}"),
        en=(" A randomisation test over every way of choosing {treated} of {areas} areas as intervention "
            "areas cannot give a p-value below {floor}; {consequence}"),
    ),
    "floor_blocks": Words(
        sv="därför kan ingen skillnad kallas större än slumpen.",
        en="so no difference can be called larger than chance.",
    ),
    "floor_allows": Words(
        sv="designen kan alltså i princip visa en effekt.",
        en="so the design can in principle show an effect.",
    ),
    "floor_allows_not_primary": Words(
        sv=("designen kan alltså i princip visa en effekt, men inte för huvudindikatorerna: efter Holms "
            "korrektion för {k} huvudindikatorer kan randomiseringstestet inte ge ett p-värde under "
            "{corrected}."),
        en=("so the design can in principle show an effect, but not for the primary indicators: after "
            "Holm's correction for {k} primary indicators the randomisation test cannot give a p-value "
            "below {corrected}."),
    ),
    "checks_balance": Words(
        sv=(" Före viktning var {unequal} av {covariates} bakgrundsfaktorer (nivåer) inte likvärdiga enligt "
            "WWC/HomVEE (|d| > 0,25)."),
        en=(" Before weighting {unequal} of {covariates} covariates (levels) were not equivalent by "
            "WWC/HomVEE (|d| > 0.25)."),
    ),
    "checks_balance_none": Words(  # (it said "0 av 10 … inte likvärdiga": a review)
        sv=" Före viktning skilde sig ingen av {covariates} bakgrundsfaktorer (nivåer) mer än WWC/HomVEE "
           "godtar (alla |d| ≤ 0,25).",
        en=" Before weighting none of {covariates} covariates (levels) differed more than WWC/HomVEE "
           "accepts (all |d| ≤ 0.25).",
    ),
}


NOTE_WORDS: dict[str, Words] = {
    "crude": Words("ojusterad jämförelse", "unadjusted comparison"),
    "fisher": Words("p: Fishers exakta test", "p: Fisher's exact test"),
    "chi_square": Words("p: chi-två-test", "p: chi-square test"),
    "log_rank": Words("p: log-rank-test", "p: log-rank test"),
    "regression": Words(
        sv="logistisk regression justerad för bakgrundsfaktorerna",
        en="logistic regression adjusted for the covariates",
    ),
    "marginal": Words(
        sv="riskskillnad standardiserad till interventionsgruppen (ATT)",
        en="risk difference standardised to the intervention group (ATT)",
    ),
    "iptw": Words(
        sv=("viktning (IPTW, ATT-vikter); standardfel som tar hänsyn till den skattade sannolikheten för "
            "programmet"),
        en="weighting (IPTW, ATT weights); standard errors that account for the estimated propensity score",
    ),
    "ipwra": Words(
        sv="dubbelt robust: viktning och viktad logistisk regression med bakgrundsfaktorerna (IPWRA)",
        en="doubly robust: weighting and a weighted logistic regression with the covariates (IPWRA)",
    ),
    "did": Words(
        sv=("linjär sannolikhetsmodell med fasta effekter för område och födelsehalvår, justerad för "
            "bakgrundsfaktorerna"),
        en=("linear probability model with area and birth half-year fixed effects, adjusted for the "
            "covariates"),
    ),
    "did_unadjusted": Words(
        sv=("linjär sannolikhetsmodell med fasta effekter för område och födelsehalvår, utan "
            "bakgrundsfaktorer"),
        en="linear probability model with area and birth half-year fixed effects, without covariates",
    ),
    "areas": Words(
        sv="{areas} områden ({treated} med programmet)",
        en="{areas} areas ({treated} with the programme)",
    ),
    "bootstrap": Words(
        sv="p och intervall från samma wild cluster bootstrap-test",
        en="p and interval from one wild cluster bootstrap test",
    ),
    "unbounded": Words("intervallet kan inte avgränsas", "the interval cannot be bounded"),
    "one_area": Words(
        sv="inget tillförlitligt intervall med ett enda område i en grupp",
        en="no reliable interval with a single area in a group",
    ),
    "few_areas": Words(
        sv="få områden: intervall och p är osäkra (se Metoder)",
        en="few areas: interval and p are uncertain (see Methods)",
    ),
    "cox": Words(
        sv="Cox-regression (Efron) justerad för bakgrundsfaktorerna",
        en="Cox regression (Efron) adjusted for the covariates",
    ),
    # the diagnostics effects.csv's English note gives (`effect_note` reads them from it)
    "ph_test": Words("test av proportionella hasarder (Grambsch–Therneau): p = {p} för programmet, "
                     "globalt p = {overall}",
                     "proportional-hazards test (Grambsch–Therneau): p = {p} for the programme, "
                     "global p = {overall}"),
    "largest_weight": Words("största vikten {weight} gånger medelvikten",
                            "largest weight {weight} times the mean"),
    "small_ess": Words("jämförelsegruppens effektiva storlek {ess} är under hälften av dess barn",
                       "the comparison group's effective size {ess} is under half its children"),
    "dropped": Words("{children} barn utan bakgrundsuppgifter utelämnade",
                     "{children} children without covariates left out"),
    "cox_crude": Words("ojusterad Cox-modell (Efron)", "unadjusted Cox model (Efron)"),
    "midpoint": Words(
        sv="avvänjningsålder vid mittpunkten mellan två bedömningar (närmevärde)",
        en="weaning age at the midpoint between two assessments (approximation)",
    ),
    "discrete_time": Words(
        sv=("modell i diskret tid (proportionella hasarder, komplementär log-log) på intervallen mellan "
            "bedömningarna"),
        en=("discrete-time proportional hazards model (complementary log-log) on the intervals between "
            "assessments"),
    ),
    "logistic_did": Words(
        sv=("kontroll av skalan: logistisk modell med fasta effekter för område och födelsehalvår, effekten "
            "som riskskillnad (g-beräkning)"),
        en=("check on the scale: logistic model with area and birth half-year fixed effects, the effect as "
            "a risk difference (g-computation)"),
    ),
    "rmst_did": Words(
        sv="skillnad-i-skillnader i genomsnittlig tid fram till {horizon} dagar (Kaplan–Meier)",
        en="difference-in-differences in mean time up to {horizon} days (Kaplan–Meier)",
    ),
    "point_only": Words(
        sv="bara punktskattning: för få områden för ett tillförlitligt intervall",
        en="point estimate only: too few areas for a reliable interval",
    ),
    "placebo": Words(
        sv="placebotest bland barn födda före start",
        en="placebo test among children born before the start",
    ),
    "no_pandemic": Words(
        sv="känslighetsanalys utan barn födda under pandemiåren 2020–2021",
        en="sensitivity analysis without children born in the pandemic years 2020–2021",
    ),
    "filled_windows": Words(
        sv=("känslighetsanalys: amningspunkter utan bedömning i fönstret ifyllda från barnets andra "
            "bedömningar"),
        en=("sensitivity analysis: breastfeeding points without an assessment in the window filled from the "
            "child's other assessments"),
    ),
    "multiple_imputation": Words(
        sv="känslighetsanalys: saknade bakgrundsuppgifter imputerade (multipel imputering, Rubins regler)",
        en="sensitivity analysis: missing covariates imputed (multiple imputation, Rubin's rules)",
    ),
    "per_protocol": Words(
        sv="interventionsgrupp: familjer som tackade ja (vald jämförelse)",
        en="intervention group: families who accepted (selected comparison)",
    ),
    "complier": Words(
        sv="effekt för familjer som tackar ja: effekten av erbjudandet delad med andelen som tackade ja",
        en="effect for families who accept: the effect of the offer divided by the share who accepted",
    ),
    "weak_instrument": Words(
        sv="svagt instrument: få familjer tackade ja, så skattningen är osäker",
        en="weak instrument: few families accepted, so the estimate is uncertain",
    ),
    "dose_response": Words(
        sv=("beskrivande: oddskvot per extra genomförd kontakt före utfallets ålder, bland familjer som "
            "tackat ja; inget p-värde"),
        en=("descriptive: odds ratio per additional contact received before the outcome's age, among "
            "accepting families; no p-value"),
    ),
    "subgroup": Words(
        sv="utforskande; p för interaktion: test av lika effekter (additiv skala)",
        en="exploratory; interaction p: test of equal effects (additive scale)",
    ),
    "multiplicity_holm_primary": Words(
        sv="justerat p: Holm (huvudindikatorer)",
        en="adjusted p: Holm (primary indicators)",
    ),
    "multiplicity_bh_secondary": Words(
        sv="justerat p: Benjamini–Hochberg (övriga indikatorer)",
        en="adjusted p: Benjamini–Hochberg (other indicators)",
    ),
    "not_estimable": Words("kunde inte skattas", "could not be estimated"),
    "separation": Words(
        sv="fullständig separation (ett mönster förutsäger utfallet helt)",
        en="complete separation (a pattern predicts the outcome perfectly)",
    ),
    "zero_cell": Words(
        sv="nollcell (inga eller bara utfall i en grupp)",
        en="zero cell (no or only events in a group)",
    ),
    "empty_cell": Words("tom cell i tabellen område × period", "empty cell in the area × period table"),
    "no_mle": Words("ML-skattningen finns inte", "the maximum-likelihood estimate does not exist"),
    "other_reason": Words("se tables/effects.csv", "see tables/effects.csv"),
    "suppressed": Words(
        sv="undertryckt för att skydda enskilda barn",
        en="suppressed to protect individual children",
    ),
}


# Monitoring over time and across areas (issue 15): the control charts and funnel plots.
MONITORING_WORDS: dict[str, Words] = {
    "intro": Words(
        sv=("Styrdiagrammen (p-diagram) visar andelen per födelsekvartal i varje interventionsområde. "
            "Mittlinjen är {baseline}. Kontrollgränserna ligger tre standardfel från mittlinjen, "
            "beräknade för antalet barn i varje punkt, så de är vidare där barnen är färre. Ett kvartal "
            "med för få barn för att redovisas, eller med för få barn med eller utan utfallet, slås ihop "
            "med kvartalen efter (lika i alla interventionsområden), så en punkt kan gälla flera kvartal. "
            "Trattdiagrammet visar varje områdes andel bland barn födda efter start mot antalet barn, med "
            "95- och 99,8-procentsgränser kring alla områdens sammanlagda andel."),
        en=("The control charts (p-charts) show the share per quarter of birth in each intervention "
            "area. The centre line is {baseline}. The control limits lie three standard errors from the "
            "centre line, computed for the number of children in each point, so they are wider where "
            "there are fewer children. A quarter with too few children to be shown, or too few with or "
            "without the outcome, is pooled with the quarters after it (the same in every intervention "
            "area), so a point may cover several quarters. The funnel plot shows each area's share among "
            "children born after the start against its number of children, with 95% and 99.8% limits "
            "around the share of all areas together."),
    ),
    "baseline_comparison_areas": Words(
        sv=("andelen bland jämförelseområdenas barn födda under hela perioden som diagrammet visar "
            "(ett värde)"),
        en=("the share among the comparison areas' children born over the whole period the chart shows "
            "(one value)"),
    ),
    # historical: each area's chart against its own children before the start, as its estimates
    "baseline_area_before_start": Words(
        sv="andelen bland barnen födda i samma område före programstart (varje område sin egen)",
        en=("the share among the children born in the same area before the programme start (each area "
            "its own)"),
    ),
    "outside_above": Words("över den övre gränsen", "above the upper limit"),
    "outside_below": Words("under den nedre gränsen", "below the lower limit"),
    "point_period": Words("{period} ({share}; gränsen {limit})", "{period} ({share}; the limit {limit})"),
    "indicator_outside": Words(
        sv="{indicator}: {side} för barn födda {periods}.",
        en="{indicator}: {side} for children born {periods}.",
    ),
    "area_outside": Words(
        sv="**{area}.** Punkter utanför kontrollgränserna och serier:",
        en="**{area}.** Points outside the control limits, and runs:",
    ),
    "area_inside": Words(
        sv="**{area}.** Ingen punkt ligger utanför kontrollgränserna, och ingen serie bildas.",
        en="**{area}.** No point lies outside the control limits, and there is no run.",
    ),
    "run_above": Words("över mittlinjen", "above the centre line"),
    "run_below": Words("under mittlinjen", "below the centre line"),
    "indicator_run": Words(
        sv="{indicator}: {count} punkter i rad {side} (barn födda {period}).",
        en="{indicator}: {count} points in a row {side} (children born {period}).",
    ),
    # where a chart has points before and after the start (each period is its own p-chart)
    "runs_by_period": Words(
        sv=("Punkterna före och efter start bedöms var för sig: en serie (minst åtta punkter i rad på samma "
            "sida om mittlinjen) räknas inom den ena perioden, så en serie som fortsätter över starten "
            "redovisas bara för den del som själv har åtta punkter i rad."),
        en=("The points before and after the start are judged apart: a run (at least eight points in a row "
            "on one side of the centre line) is counted within one period, so a run that goes on across the "
            "start is reported only for a part that itself has eight points in a row."),
    ),
    "before_start": Words(
        sv=("Punkterna före programstart visar hur området skilde sig från jämförelseområdena innan "
            "programmet fanns; för programmet är frågan om punkterna efter start närmar sig eller går över "
            "mittlinjen."),
        en=("The points before the programme start show how the area differed from the comparison areas "
            "before the programme existed; for the programme, the question is whether the points after the "
            "start move towards or above the centre line."),
    ),
    # hidden for a small count of its own, or because a total would give one away elsewhere
    "no_centre": Words(
        sv=("Utan mittlinje och gränser, eftersom jämförelsegruppens andel inte redovisas, för att skydda "
            "små tal: {indicators}."),
        en=("Without centre line and limits, because the comparison group's share is not shown, to protect "
            "small counts: {indicators}."),
    ),
    "hidden_points": Words(
        sv="{count} punkter redovisas inte, för att skydda enskilda barn.",
        en="{count} points are not shown, to protect individual children.",
    ),
    "hidden_points_one": Words(
        sv="1 punkt redovisas inte, för att skydda enskilda barn.",
        en="1 point is not shown, to protect individual children.",
    ),
    "funnel_outside": Words(
        sv="**Trattdiagrammen.** Områden utanför 95-procentsgränserna:",
        en="**The funnel plots.** Areas outside the 95% limits:",
    ),
    "funnel_inside": Words(
        sv="**Trattdiagrammen.** Inget område ligger utanför 95-procentsgränserna.",
        en="**The funnel plots.** No area lies outside the 95% limits.",
    ),
    "funnel_area": Words("{area} ({share}, {side})", "{area} ({share}, {side})"),
    "indicator_areas": Words("{indicator}: {areas}.", "{indicator}: {areas}."),
    "funnel_above_95": Words("över 95-procentsgränsen", "above the 95% limit"),
    "funnel_above_998": Words("över 99,8-procentsgränsen", "above the 99.8% limit"),
    "funnel_below_95": Words("under 95-procentsgränsen", "below the 95% limit"),
    "funnel_below_998": Words("under 99,8-procentsgränsen", "below the 99.8% limit"),
    "signal": Words(
        sv=("En punkt eller ett område utanför gränserna är en signal att undersöka närmare, inte ett bevis "
            "på att något har förändrats eller skiljer sig. Om inget skilde sig från mittlinjen skulle "
            "ungefär {expected} av de {points} punkterna med gränser hamna utanför dem av slumpen, och vart "
            "tjugonde område utanför 95-procentsgränserna. Se först efter om uppgifterna är fullständiga "
            "(sent registrerade besök, vaccinationer eller screeningar) innan slutsatser dras."),
        en=("A point or an area outside the limits is a signal to look into, not proof that something "
            "changed or differs. If nothing differed from the centre line, about {expected} of the {points} "
            "points with limits would lie outside them by chance, and one area in twenty outside the 95% "
            "limits. First check that the records are complete (late-registered visits, vaccinations or "
            "screenings) before drawing conclusions."),
    ),
    "centre": Words("Mittlinje", "Centre line"),
    "limits": Words("Kontrollgränser (3 standardfel)", "Control limits (3 standard errors)"),
    "share_point": Words("Andel (punkten täcker perioden)", "Share (the point covers the period)"),
    "outside_marker": Words("Utanför gränserna", "Outside the limits"),
    "run_marker": Words("I en serie på minst 8 på samma sida", "In a run of 8 or more on one side"),
    "target": Words("Alla områden tillsammans", "All areas together"),
    "limit_95": Words("95-procentsgräns", "95% limit"),
    "limit_998": Words("99,8-procentsgräns", "99.8% limit"),
    "hidden_areas": Words(
        sv="{count} områden visas inte: få barn med eller utan utfallet",
        en="{count} areas not drawn: few children with or without the outcome",
    ),
    "hidden_areas_one": Words(
        sv="1 område visas inte: få barn med eller utan utfallet",
        en="1 area not drawn: few children with or without the outcome",
    ),
    "hidden_chart_points": Words(
        sv="{count} punkter visas inte (skydd av enskilda barn)",
        en="{count} points not drawn (protecting individual children)",
    ),
    "hidden_chart_points_one": Words(  # (it said "1 punkter visas inte": a review)
        sv="1 punkt visas inte (skydd av enskilda barn)",
        en="1 point not drawn (protecting individual children)",
    ),
    "no_target": Words(
        sv="alla områdens andel och gränserna redovisas inte (få barn med eller utan utfallet)",
        en="the share of all areas and the limits not shown (few children with or without the outcome)",
    ),
    "no_limits": Words(
        sv="mittlinje och gränser redovisas inte (få barn i jämförelsegruppen)",
        en="centre line and limits not shown (few children in the comparison group)",
    ),
}

# What changed since the previous report (issue 15): changes.csv in words.
CHANGES_WORDS: dict[str, Words] = {
    "first": Words(
        sv="Det här är studiens första rapport: det finns ingen tidigare rapport att jämföra med.",
        en="This is the study's first report: there is no earlier report to compare with.",
    ),
    "design_changed": Words(
        sv=("Studiens upplägg har ändrats sedan dess ({what}): grupperna är andra, så siffrorna jämförs "
            "inte med förra rapportens."),
        en=("The study's design has changed since then ({what}): the groups are others, so the figures "
            "are not compared with the previous report's."),
    ),
    "key_type": Words("typ av upplägg", "design type"),
    "key_intervention_areas": Words("interventionsområden", "intervention areas"),
    "key_comparison_areas": Words("jämförelseområden", "comparison areas"),
    "key_programme_start": Words("programstart", "programme start"),
    "key_born_from": Words("födelseperiodens början", "start of the birth period"),
    "key_born_to": Words("födelseperiodens slut", "end of the birth period"),
    "compared_with": Words(
        sv="Jämfört med förra rapporten (körd {run}, uttag {extraction}):",
        en="Compared with the previous report (run {run}, extraction {extraction}):",
    ),
    "new_children": Words(
        sv="Barn i studiens grupper sedan dess: {groups}.",
        en="Children in the study's groups since then: {groups}.",
    ),
    "no_new_children": Words(
        sv="Inga nya barn har tillkommit i studiens grupper.",
        en="No new children have joined the study's groups.",
    ),
    "group_more": Words("{count} fler barn {group}", "{count} more children {group}"),
    "group_fewer": Words("{count} färre barn {group}", "{count} fewer children {group}"),
    "group_hidden": Words("barn {group}: kan inte redovisas (små tal)",
                          "children {group}: cannot be shown (small numbers)"),
    "moved": Words(
        sv=("Skattningar som flyttat mer än halva bredden av sitt tidigare 95 %-intervall: {estimates}. "
            "Det betyder inte att programmets effekt har ändrats, men nya barn och uppgifter har flyttat "
            "skattningen mer än dess osäkerhet lät förvänta."),
        en=("Estimates that moved by more than half the width of their previous 95% interval: "
            "{estimates}. This does not mean that the programme's effect changed, but new children and "
            "records moved the estimate by more than its uncertainty led one to expect."),
    ),
    "not_moved": Words(
        sv="Ingen skattning har flyttat mer än halva bredden av sitt tidigare 95 %-intervall.",
        en="No estimate moved by more than half the width of its previous 95% interval.",
    ),
    "moved_one": Words("{indicator}{where} från {before} till {after}",
                       "{indicator}{where} from {before} to {after}"),
    "in_area": Words(" i {area}", " in {area}"),
    "earlier": Words(
        sv=("Tidigare redovisade andelar per födelsehalvår har ändrats på {count} ställen (indikator, "
            "områden och halvår), först de där samma barn fått nya uppgifter, sedan de största: {figures}. "
            "Det kan bero på sent registrerade eller rättade uppgifter, eller på barn som sedan dess "
            "registrerats eller hunnit nå indikatorns ålder."),
        en=("Shares per half-year of birth published before have changed in {count} places (indicator, "
            "areas and half-year), first those where the same children have new records, then the "
            "largest: {figures}. This can come from records registered late or corrected, or from "
            "children registered since or who have since reached the indicator's age."),
    ),
    "earlier_one": Words(
        sv="{indicator}, {arm}, födda {period}: {before} av {n_before} blev {after} av {n_after}{why}",
        en="{indicator}, {arm}, born {period}: {before} of {n_before} became {after} of {n_after}{why}",
    ),
    "run_time": Words("{date} kl. {time}", "{date} at {time}"),
    "same_children": Words(" (samma barn, nya uppgifter)", " (the same children, new records)"),
    "more_listed": Words("och {count} till (se tables/changes.csv)",
                         "and {count} more (see tables/changes.csv)"),
    "no_earlier": Words(
        sv="Inga tidigare redovisade andelar per födelsehalvår har ändrats.",
        en="No share per half-year of birth published before has changed.",
    ),
    "arm_intervention": Words("interventionsområdena", "the intervention areas"),
    "arm_comparison": Words("jämförelseområdena", "the comparison areas"),
}
