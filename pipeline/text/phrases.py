"""Fixed phrases of the reports (with `{placeholders}`) and the methods appendix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pipeline.text.words import Words

PHRASES: dict[str, Words] = {
    "pp": Words("procentenheter", "percentage points"),
    "pp_one": Words("procentenhet", "percentage point"),
    "ci": Words("95\u00a0% KI", "95% CI"),
    "to": Words("till", "to"),
    "suppressed": Words(
        sv=("redovisas inte, eftersom ett tal bakom uppgiften är mindre än {min_cell} eller skulle avslöja "
            "ett sådant tal"),
        en="not shown, because a number behind it is below {min_cell} or would reveal one",
    ),
    "suppressed_short": Words("undertryckt (små tal)", "suppressed (small numbers)"),
    "suppressed_small_group": Words(
        sv="redovisas inte: minst en av grupperna har färre än {min_cell} barn",
        en="not shown: at least one of the groups has fewer than {min_cell} children",
    ),
    "suppressed_few_events": Words(
        sv="redovisas inte: färre än {min_cell} barn i minst en av grupperna hade utfallet",
        en="not shown: fewer than {min_cell} children in at least one of the groups had the outcome",
    ),
    # "saknade utfallet" read as a missing outcome, and of "no remark" it meant a remark
    "suppressed_few_without": Words(
        sv="redovisas inte: i minst en av grupperna var det färre än {min_cell} barn som inte hade utfallet",
        en="not shown: fewer than {min_cell} children in at least one of the groups did not have the outcome",
    ),
    "suppressed_small_count": Words(
        sv="redovisas inte: ett av talen bakom uppgiften är mindre än {min_cell}",
        en="not shown: one of the numbers behind it is below {min_cell}",
    ),
    # also said of a row whose own small count a more specific reason would give away
    # (`privacy.LinkedCells.concealed`): words true of both
    "suppressed_secondary": Words(
        sv="redovisas inte, för att inget tal under {min_cell} ska kunna räknas fram",
        en="not shown, so that no count under {min_cell} can be worked out",
    ),
    "suppressed_short_small_group": Words("färre än {min_cell} barn", "fewer than {min_cell} children"),
    "suppressed_short_few_events": Words(
        sv="färre än {min_cell} med utfallet",
        en="fewer than {min_cell} with the outcome",
    ),
    "suppressed_short_few_without": Words(
        sv="färre än {min_cell} utan utfallet",
        en="fewer than {min_cell} without the outcome",
    ),
    # a reason, not the value: "tal under 5" in an estimate's cell read as the mean deft (a review)
    "suppressed_short_small_count": Words("bygger på ett antal under {min_cell}",
                                          "rests on a count under {min_cell}"),
    # after a reason of an adjusted estimate's own children (its complete cases): the 5 with the
    # outcome in the table above were 24 children's, its "fewer than 5" the 19 it analysed
    "suppressed_among_complete": Words(" bland barnen med fullständiga bakgrundsuppgifter",
                                       " among the children with complete background data"),
    "suppressed_short_secondary": Words(
        sv="dold för att skydda små tal",
        en="hidden to protect small counts",
    ),
    "bound_above": Words("över", "over"),
    "bound_below": Words("under", "under"),
    "whole_study": Words("Hela studien", "Whole study"),
    "all_intervention_areas": Words("Alla interventionsområden", "All intervention areas"),
    "all_comparison_areas": Words("Alla jämförelseområden", "All comparison areas"),
    # a historical design's comparison group: the intervention areas' children born before the start
    "all_intervention_areas_before_start": Words("Alla interventionsområden före start",
                                                 "All intervention areas before the start"),
    "area_before_start": Words("{area} före start", "{area} before the start"),
    # and its intervention group: the same areas' children born after it
    "all_intervention_areas_after_start": Words("Alla interventionsområden efter start",
                                                "All intervention areas after the start"),
    "area_after_start": Words("{area} efter start", "{area} after the start"),
    "out_of_reach": Words("nås inte", "out of reach"),
    "hidden_half_years": Words(
        sv="{count} halvår utan punkt: få barn med eller utan utfallet",
        en="{count} half-years not drawn: few children with or without the outcome",
    ),
    "partly_suppressed": Words(
        sv="enstaka punkter visas inte, för att skydda tal under {min_cell}",
        en="some points not drawn, to protect counts under {min_cell}",
    ),
    "not_estimable": Words("kunde inte skattas", "could not be estimated"),
    "no_data": Words("uppgift saknas", "no data"),
    "no_children": Words("inga barn", "no children"),
    "no_area_rows": Words(
        sv="Uppgifterna {table} redovisas inte per område; de gäller hela studien.",
        en="The figures {table} are not broken down by area; they are for the whole study.",
    ),
    "design": Words("Design", "Design"),
    "title_fallback": Words(
        sv="Utvärdering av utökat hembesöksprogram",
        en="Evaluation of an extended home-visiting programme",
    ),
    "synthetic": Words(
        sv="Obs! Uppgifterna är syntetiska (påhittade) och gäller inga verkliga barn.",
        en="Note: the data are synthetic (made up) and describe no real children.",
    ),
    "none": Words("Inga uppgifter.", "No data."),
    "own_district_rows": Words(
        sv="Tabellerna och figurerna per område visar här bara områdets egna uppgifter.",
        en="The tables and figures by area show only this area's own figures here.",
    ),
    "period_pre": Words("Födda före programstart", "Born before the start"),
    "period_post": Words("Födda efter programstart", "Born after the start"),
    "arm_intervention": Words("Interventionsområden", "Intervention areas"),
    "arm_comparison": Words("Jämförelseområden", "Comparison areas"),
    "programme_start": Words("programstart", "programme start"),
    "flow_intro": Words(
        sv=("Hur många familjer som uppfyllde villkoren, erbjöds programmet, tackade ja och fick besöken. "
            "Procent i parentes är andelen av föregående steg."),
        en=("How many families were eligible, were offered the programme, accepted and received the visits. "
            "Percentages in brackets are shares of the previous step."),
    ),
    "implementation_intro": Words(
        sv=("Hur programmet genomfördes för de familjer som tackade ja: antal kontakter, andel i tid, "
            "gemensamma besök och vilka föräldrar som var med."),
        en=("How the programme was delivered to the families who accepted: contacts, timeliness, joint "
            "visits and which parents took part."),
    ),
    "balance_intro": Words(
        sv=("Skillnader mellan interventions- och jämförelsegruppen vid start, före och efter viktning, "
            "mätta som What Works Clearinghouse/HomVEE mäter dem: Cox-index för kategorier (till exempel "
            "moderns födelseregion) och Hedges g för mätvärden (moderns ålder). Bedömningen gäller just "
            "dessa tal: högst 0,05 är likvärdigt, 0,05–0,25 kräver statistisk justering, över 0,25 är inte "
            "likvärdigt. Tabellen bygger på {n_intervention} barn i interventionsgruppen och {n_comparison} "
            "i jämförelsegruppen."),
        en=("Differences between the intervention and comparison groups at baseline, before and after "
            "weighting, measured as the What Works Clearinghouse/HomVEE standards measure them: the Cox "
            "index for categories (such as the mother's region of birth) and Hedges' g for measurements "
            "(the mother's age). The rating is of these numbers: up to 0.05 is equivalent, 0.05–0.25 "
            "requires statistical adjustment, over 0.25 is not equivalent. The table rests on "
            "{n_intervention} intervention and {n_comparison} comparison children."),
    ),
    "dose_received_intro": Words(
        sv=("Hur många av programmets planerade kontakter familjerna som tackade ja fick, i genomsnitt och "
            "efter familjens bakgrund, med skillnaden mot den största gruppen. Beskrivande: familjerna "
            "skiljer sig i mer än bakgrunden, och barn som ännu inte hunnit bli gamla nog för alla "
            "kontakter har fått färre."),
        en=("How many of the programme's planned contacts the families who accepted received, on average "
            "and by the family's background, with the difference from the largest group. Descriptive: "
            "families differ in more than their background, and children not yet old enough for every "
            "contact have received fewer."),
    ),
    "reference_level": Words("referenskategori", "reference"),
    "all_families": Words("Alla familjer", "All families"),
    "count_intro_healthcare": Words(
        sv=("Akuta vårdkontakter räknas per 100 barnår: varje barn bidrar med den tid det följdes från "
            "födseln till 24 månader, eller kortare om det flyttade eller inte hunnit bli så gammalt. "
            "Effekten anges som kvot (1 = ingen skillnad) och som skillnad per 100 barnår, med 95 % "
            "konfidensintervall."),
        en=("Emergency care contacts are counted per 100 child-years: each child contributes the time it "
            "was followed from birth to 24 months, or less if it moved or was not yet that old. The "
            "effect is given as a ratio (1 = no difference) and as a difference per 100 child-years, "
            "with 95% confidence intervals."),
    ),
    "count_intro_dental": Words(
        sv=("Antalet karierade, extraherade och fyllda mjölktänder (deft) vid tandundersökningen närmast "
            "3 år, bland de undersökta. Effekten anges som skillnad i medelvärde och som kvot "
            "(1 = ingen skillnad), med 95 % konfidensintervall."),
        en=("The number of decayed, extracted and filled primary teeth (deft) at the dental examination "
            "nearest 3 years, among the children examined. The effect is given as a difference in means "
            "and as a ratio (1 = no difference), with 95% confidence intervals."),
    ),
    "count_intro_dental_no_ratio": Words(
        sv=("Antalet karierade, extraherade och fyllda mjölktänder (deft) vid tandundersökningen närmast "
            "3 år, bland de undersökta. Effekten anges som skillnad i medelvärde, med 95 % "
            "konfidensintervall."),
        en=("The number of decayed, extracted and filled primary teeth (deft) at the dental examination "
            "nearest 3 years, among the children examined. The effect is given as a difference in means, "
            "with 95% confidence intervals."),
    ),
    "count_intro_healthcare_no_ratio": Words(
        sv=("Akuta vårdkontakter räknas per 100 barnår: varje barn bidrar med den tid det följdes från "
            "födseln till 24 månader, eller kortare om det flyttade eller inte hunnit bli så gammalt. "
            "Effekten anges som skillnad per 100 barnår, med 95 % konfidensintervall."),
        en=("Emergency care contacts are counted per 100 child-years: each child contributes the time it "
            "was followed from birth to 24 months, or less if it moved or was not yet that old. The "
            "effect is given as a difference per 100 child-years, with 95% confidence intervals."),
    ),
    # a review read deft's DiD, p 0.031, as shown beyond chance: these are in no family of the
    # multiplicity corrections and have no test over the areas (`stages.compare.counts`)
    "count_not_tested": Words(
        sv=("De här skattningarna prövas inte mot slumpen som indikatorerna i sammanfattningen: de ingår "
            "inte i korrektionen för flera jämförelser och prövas inte med något randomiseringstest, så ett "
            "p-värde under 0,05 är här inget belägg för en effekt."),
        en=("These estimates are not tested against chance as the summary's indicators are: they are in "
            "no correction for multiple comparisons and no randomisation test, so a p-value below 0.05 is "
            "no evidence of an effect here."),
    ),
    # historical: the summary's indicators have no randomisation test either (no comparison areas)
    "count_not_tested_historical": Words(
        sv=("De här skattningarna prövas inte mot slumpen som indikatorerna i sammanfattningen: de ingår "
            "inte i korrektionen för flera jämförelser, så ett p-värde under 0,05 är här inget belägg för "
            "en effekt."),
        en=("These estimates are not tested against chance as the summary's indicators are: they are in "
            "no correction for multiple comparisons, so a p-value below 0.05 is no evidence of an effect "
            "here."),
    ),
    "proportions_intro": Words(
        sv="Andel med 95 % konfidensintervall per grupp.",
        en="Share with 95% confidence interval per group.",
    ),
    "forest_intro_did": Words(
        sv=("Programmets skattade effekt (skillnad-i-skillnader) i procentenheter med 95\u00a0% "
            "konfidensintervall; linjen vid 0 betyder ingen skillnad."
            " Tabellens n är barnen som skattningen bygger på: i interventions- respektive "
            "jämförelseområdena, födda både före och efter start (därför fler än i sammanfattningens grupper,"
            " som räknar barnen födda efter start)."),
        en=("The programme's estimated effect (difference-in-differences) in percentage points with 95% "
            "confidence intervals; the line at 0 means no difference."
            " The table's n are the children each estimate rests on: in the intervention and the comparison "
            "areas, born both before and after the start (so more than in the summary's groups, which count "
            "the children born after the start)."),
    ),
    "forest_intro_did_points": Words(
        sv=("Programmets skattade effekt (skillnad-i-skillnader) i procentenheter, utan "
            "konfidensintervall: med ett enda interventionsområde går osäkerheten inte att skatta "
            "tillförlitligt; linjen vid 0 betyder ingen skillnad."
            " Tabellens n är barnen som skattningen bygger på: i interventions- respektive "
            "jämförelseområdena, födda både före och efter start (därför fler än i sammanfattningens grupper,"
            " som räknar barnen födda efter start)."),
        en=("The programme's estimated effect (difference-in-differences) in percentage points, without "
            "confidence intervals: with a single intervention area the uncertainty cannot be estimated "
            "reliably; the line at 0 means no difference."
            " The table's n are the children each estimate rests on: in the intervention and the comparison "
            "areas, born both before and after the start (so more than in the summary's groups, which count "
            "the children born after the start)."),
    ),
    "forest_intro_concurrent": Words(
        sv=("Programmets skattade effekt i procentenheter, justerad för skillnader i bakgrund (logistisk "
            "regression; viktning med IPTW som känslighetsanalys), med 95\u00a0% konfidensintervall; linjen "
            "vid 0 betyder ingen skillnad."),
        en=("The programme's estimated effect in percentage points, adjusted for differences in background "
            "(logistic regression; IPTW weighting as the sensitivity analysis), with 95% confidence "
            "intervals; the line at 0 means no difference."),
    ),
    "forest_intro_historical": Words(
        sv=("Programmets skattade effekt i procentenheter, justerad för skillnader i bakgrund (logistisk "
            "regression; viktning med IPTW som känslighetsanalys), med 95\u00a0% konfidensintervall; linjen "
            "vid 0 betyder ingen skillnad."),
        en=("The programme's estimated effect in percentage points, adjusted for differences in background "
            "(logistic regression; IPTW weighting as the sensitivity analysis), with 95% confidence "
            "intervals; the line at 0 means no difference."),
    ),
    "trends_intro": Words(
        sv=("Skillnad-i-skillnader förutsätter att andelarna hade utvecklats parallellt i interventions- "
            "och jämförelseområdena utan programmet. Diagrammet visar huvudindikatorerna per födelsehalvår: "
            "före programstart bör linjerna löpa ungefär parallellt. Ett placebotest bland barn födda före "
            "start och eventstudiens gemensamma test av halvåren före start redovisas i sammanfattningen "
            "när de ger anledning till tvivel."),
        en=("Difference-in-differences assumes that the shares would have developed in parallel in the "
            "intervention and comparison areas without the programme. The chart shows the primary "
            "indicators by half-year of birth: before the start the lines should run roughly in parallel. A "
            "placebo test among children born before the start and the event study's joint test of the "
            "half-years before the start are reported in the summary when they give reason for doubt."),
    ),
    "survival_intro": Words(
        sv=("Kurvor över barnens ålder (Kaplan–Meier; för amning Turnbulls skattning) med antal barn kvar i "
            "uppföljningen under diagrammet. Kurvan tar med även barn som ännu inte följts till en viss "
            "ålder, så dess andel vid den åldern kan skilja sig från sammanfattningens, som bara räknar "
            "barn som följts dit (och för amning tar avvänjningen mitt emellan två bedömningar)."),
        en=("Curves over the child's age (Kaplan–Meier; for breastfeeding Turnbull's estimate) with the "
            "numbers still followed below the plot. A curve also counts children not yet followed to an "
            "age, so its share at that age can differ from the summary's, which counts only children "
            "followed that far (and, for breastfeeding, takes weaning midway between two assessments)."),
    ),
    "equity_intro": Words(
        sv=("Observerade skillnader efter start mellan interventions- och jämförelsegruppen inom "
            "undergrupper efter moderns födelseregion och föräldrarnas utbildning. De är ojusterade "
            "jämförelser, inte programmets skattade effekt; p för interaktion prövar om skillnaden varierar "
            "mellan undergrupperna. "
            "Där färre än två av undergruppernas skillnader visas anges inget p för interaktion."),
        en=("Observed differences after the start between the intervention and comparison groups within "
            "subgroups by mother's region of birth and parents' education. They are unadjusted comparisons, "
            "not the programme's estimated effect; the interaction p tests whether the difference varies "
            "between the subgroups. "
            "Where fewer than two of the subgroups' differences are shown, no interaction p is given."),
    ),
    "equity_intro_did": Words(
        sv=("Skillnad-i-skillnader inom undergrupper efter moderns födelseregion och föräldrarnas "
            "utbildning: hur mycket mer andelen ändrades från före till efter start i interventionsområdena "
            "än i jämförelseområdena bland barnen i varje undergrupp (barnen födda både före och efter "
            "start räknas), i procentenheter. De är ojusterade för bakgrundsfaktorer och utforskande, inte "
            "programmets skattade effekt; p för interaktion prövar om skillnaden varierar mellan "
            "undergrupperna. "
            "Där färre än två av undergruppernas skillnader visas anges inget p för interaktion."),
        en=("Difference-in-differences within subgroups by mother's region of birth and parents' "
            "education: how much more the share changed from before to after the start in the intervention "
            "areas than in the comparison areas among the children of each subgroup (children born both "
            "before and after the start are counted), in percentage points. They are unadjusted for "
            "background factors and exploratory, not the programme's estimated effect; the interaction p "
            "tests whether the difference varies between the subgroups. "
            "Where fewer than two of the subgroups' differences are shown, no interaction p is given."),
    ),
    "equity_intro_historical": Words(
        sv=("Observerade skillnader mellan barn födda efter och före start inom undergrupper efter "
            "moderns födelseregion och föräldrarnas utbildning. De är ojusterade jämförelser, inte "
            "programmets skattade effekt; p för interaktion prövar om skillnaden varierar mellan "
            "undergrupperna. "
            "Där färre än två av undergruppernas skillnader visas anges inget p för interaktion."),
        en=("Observed differences between children born after and before the start within subgroups by "
            "mother's region of birth and parents' education. They are unadjusted comparisons, not the "
            "programme's estimated effect; the interaction p tests whether the difference varies between "
            "the subgroups. "
            "Where fewer than two of the subgroups' differences are shown, no interaction p is given."),
    ),
    "dose_intro": Words(
        sv=("Utfall efter antal genomförda programkontakter bland barn i familjer som tackat ja. Familjer "
            "som tar emot fler besök kan skilja sig på andra sätt, så sambandet visar inte i sig en effekt."),
        en=("Outcomes by the number of programme contacts received, among children of families who "
            "accepted. Families who receive more visits may differ in other ways, so the pattern is not by "
            "itself an effect."),
    ),
    "power_intro": Words(
        sv=("Minsta skillnad som studien kan upptäcka med 80 % styrka (tvåsidigt test, 5 % nivå), och hur "
            "många barn per grupp som behövs för den önskade skillnaden. Programmet ges per område, och "
            "barn i samma område liknar varandra: kolumnerna med områden som kluster är det ärliga svaret "
            "(samvariationen inom områden skattad ur data), de med barn som oberoende ett alltför "
            "optimistiskt. En indikator som programmet vill sänka (karies, akuta vårdkontakter) bedöms "
            "efter minskningen. ”Nås inte”: ingen förändring inom skalan (upp till 100 % eller ned till "
            "0 %) når den styrkan. Barnen per grupp som behövs gäller den önskade skillnaden uppåt, eller "
            "nedåt där andelen är för nära 100 %."),
        en=("The smallest difference the study can detect with 80% power (two-sided test at the 5% level), "
            "and the children per group needed for the difference wanted. The programme is given by area, "
            "and children in one area are alike: the columns with areas as clusters are the honest answer "
            "(the correlation within areas estimated from the data), those with children as independent an "
            "optimistic one. An indicator the programme hopes to lower (caries, emergency contacts) is "
            "judged by its fall. \u201cOut of reach\u201d: no change within the scale (up to 100% or down to "
            "0%) reaches that power. The children per group needed are for the difference wanted upwards, "
            "or downwards where the share is too near 100%."),
    ),
    # the same where no areas-as-clusters column could be made (no comparison areas, or too few
    # areas to estimate the correlation within them): the table has children as independent alone
    "power_intro_children": Words(
        sv=("Minsta skillnad som studien kan upptäcka med 80 % styrka (tvåsidigt test, 5 % nivå), och hur "
            "många barn per grupp som behövs för den önskade skillnaden. Programmet ges per område, och "
            "barn i samma område liknar varandra, men hur mycket kunde inte skattas här: siffrorna räknar "
            "barnen som oberoende och är därför för optimistiska. En indikator som programmet vill sänka "
            "(karies, akuta vårdkontakter) bedöms efter minskningen. ”Nås inte”: ingen förändring inom "
            "skalan (upp till 100 % eller ned till 0 %) når den styrkan. Barnen per grupp som behövs gäller "
            "den önskade skillnaden uppåt, eller nedåt där andelen är för nära 100 %."),
        en=("The smallest difference the study can detect with 80% power (two-sided test at the 5% level), "
            "and the children per group needed for the difference wanted. The programme is given by area, "
            "and children in one area are alike, but how much could not be estimated here: the figures "
            "take the children as independent and are therefore too optimistic. An indicator the "
            "programme hopes to lower (caries, emergency contacts) is judged by its fall. \u201cOut of "
            "reach\u201d: no change within the scale (up to 100% or down to 0%) reaches that power. The "
            "children per group needed are for the difference wanted upwards, or downwards where the "
            "share is too near 100%."),
    ),
    "cost_total": Words("Totalt {years}", "Total {years}"),
    "costs_intro": Words(
        sv=("Programmets kostnader som studien anger dem, per år och vad de avser. Varje års kostnad "
            "räknas mot barnen i interventionsgruppen som föddes samma år: familjerna erbjuds programmet vid "
            "födseln och besöken fortsätter in i nästa år, så ett års budget motsvarar ungefär en "
            "årskulls program. Kostnad per familj är kostnaden delad med antalet barn vars familj "
            "tackade ja; kostnad per kontakt är den delad med de planerade programkontakter som "
            "barnen fått."),
        en=("The programme's costs as the study gives them, per year and what they cover. Each "
            "year's cost is counted against the intervention children born in that year: families are "
            "offered the programme at the birth and the visits go on into the next year, so a year's "
            "budget pays for about one year's births. The cost per family is the cost divided by the "
            "children whose families accepted; the cost per contact is it divided by the planned "
            "programme contacts those children received."),
    ),
    "dq_intro": Words(
        sv=("Rader som lästes in, godkändes och avvisades per fil, avvisade rader per orsak, värden i "
            "godkända rader som inte kunde tolkas eller motsäger personnumret samt saknade värden i de "
            "rensade tabellerna. Ett tomt "
            "utflyttningsdatum eller erbjudandedatum är inget saknat värde (barnet har inte flyttat, "
            "familjen har inte erbjudits programmet); om familjen tackat ja räknas bland de familjer som "
            "erbjudits och orsaken till att avböja bland dem som avböjt."),
        en=("Rows read, accepted and rejected per file, rejected rows by reason, values of accepted rows "
            "that could not be read or contradict the personnummer, and missing values in the clean "
            "tables. A blank moved-out date or "
            "offer date is no missing value (the child did not move out; the family was not offered the "
            "programme); whether the family accepted is counted among the families offered, and the "
            "reason for declining among those who declined."),
    ),
    "no_value_issues": Words(
        sv=("Varje värde i de godkända raderna kunde tolkas som det var skrivet, och inget födelsedatum "
            "eller kön motsäger personnumret."),
        en=("Every value of the accepted rows could be read as written, and no birth date or sex "
            "contradicts the personnummer."),
    ),
    "methods_intro": Words(
        sv="Metoderna som används och deras referenser.",
        en="The methods used and their references.",
    ),
    "manifest_intro": Words(
        sv="Vilka data och vilken kod som gav rapportens siffror.",
        en="Which data and which code produced the figures of this report.",
    ),
    "per_protocol": Words("Familjer som tackat ja (per protokoll)", "Families who accepted (per protocol)"),
    "technical_effects": Words("Alla skattningar (teknisk bilaga)", "All estimates (technical appendix)"),
    "design_checks": Words(
        sv="Designbaserade kontroller av skillnad-i-skillnader",
        en="Design-based checks of the difference-in-differences",
    ),
    "design_checks_intro": Words(
        sv=("Med få områden vilar modellens p-värden och intervall på antaganden. Tabellen visar det som "
            "kan kontrolleras utan dem: en logistisk modell som kontroll av skalan, p-värdet när områdena "
            "fördelas på grupperna på alla möjliga sätt, var skattningen hamnar bland jämförelseområden som "
            "låtsas ha programmet, skattningen när ett område i taget lämnas utanför, och ett test av "
            "skillnader mellan grupperna före start. Figuren visar skillnaden halvår för halvår mot "
            "halvåret före start."),
        en=("With few areas the model's p-values and intervals rest on assumptions. The table shows what "
            "can be checked without them: a logistic model as a check on the scale, the p-value over every "
            "way of assigning the areas to the groups, where the estimate falls among comparison areas "
            "treated as if they had the programme, the estimate leaving out one area at a time, and a test "
            "of differences between the groups before the start. The figure shows the difference half-year "
            "by half-year against the half-year before the start."),
    ),
    "missing_data_intro": Words(
        sv=("Andel saknade uppgifter per grupp före och efter start (bara uppgifter där något saknas). "
            "Huvudanalysen utesluter barn som saknar en bakgrundsuppgift; känslighetsanalysen med multipel "
            "imputering tar med dem."),
        en=("Share of missing values by group before and after the start (only items with any missing). The "
            "main analysis leaves out children with a missing covariate; the sensitivity analysis with "
            "multiple imputation keeps them."),
    ),
}


# The difference-in-differences and its placebo test: the appendix of a `did` study's report alone
# (a historical study's listed them, though it has no comparison areas to take a DiD against).
DID_METHODS: tuple[tuple[Words, Words], ...] = (
    (
        Words(
            sv=("Skillnad-i-skillnader med osäkerhet per område: med färre än 30 områden ger samma wild "
                "cluster bootstrap-test både p-värdet och intervallet (testinversion)"),
            en=("Difference-in-differences with uncertainty by area: with fewer than 30 areas one wild "
                "cluster bootstrap test gives both the p-value and the interval (test inversion)"),
        ),
        Words(
            sv="Cameron, Gelbach & Miller 2008; Webb 2023; Roodman m.fl. 2019",
            en="Cameron, Gelbach & Miller 2008; Webb 2023; Roodman et al. 2019",
        ),
    ),
    (
        Words(
            sv="Placebotest av parallella trender bland barn födda före start",
            en="Placebo test of parallel trends among children born before the start",
        ),
        Words("Angrist & Pischke 2009", "Angrist & Pischke 2009"),
    ),
)


METHODS: tuple[tuple[Words, Words], ...] = (
    (
        Words(
            sv="Andelar med 95 % konfidensintervall (Wilsons score-intervall)",
            en="Proportions with 95% confidence intervals (Wilson score interval)",
        ),
        Words("Wilson 1927; Newcombe 1998", "Wilson 1927; Newcombe 1998"),
    ),
    (
        Words(
            sv="Riskskillnad med Newcombes hybrid-score-intervall",
            en="Risk difference with Newcombe's hybrid score interval",
        ),
        Words("Newcombe 1998", "Newcombe 1998"),
    ),
    (
        Words(
            sv=("Test av skillnad: Fishers exakta test när något förväntat antal är under 5, annars "
                "chi-två-test"),
            en=("Test of a difference: Fisher's exact test when any expected count is below 5, otherwise "
                "the chi-square test"),
        ),
        Words("Fisher 1922; Pearson 1900", "Fisher 1922; Pearson 1900"),
    ),
    (
        Words(
            sv=("Justerad oddskvot med logistisk regression; marginell (standardiserad) riskskillnad med "
                "g-beräkning och deltametoden"),
            en=("Adjusted odds ratio by logistic regression; marginal (standardised) risk difference by "
                "g-computation with the delta method"),
        ),
        Words("Robins 1986; Austin 2010", "Robins 1986; Austin 2010"),
    ),
    (
        Words(
            sv="Viktning med propensity score (IPTW, ATT, stabiliserade vikter) med robusta standardfel",
            en=("Inverse probability of treatment weighting (IPTW, ATT, stabilised weights) with robust "
                "standard errors"),
        ),
        Words("Austin & Stuart 2015", "Austin & Stuart 2015"),
    ),
    *DID_METHODS,
    (
        Words(
            sv="Kaplan–Meier-kurvor med Greenwoods variansskattning och log-rank-test",
            en="Kaplan–Meier curves with Greenwood's variance and the log-rank test",
        ),
        Words(
            sv="Kaplan & Meier 1958; Greenwood 1926; Mantel 1966",
            en="Kaplan & Meier 1958; Greenwood 1926; Mantel 1966",
        ),
    ),
    (
        Words(
            sv=("Cox-regression (Efrons metod för lika tider) med Grambsch–Therneaus test av proportionella "
                "hasarder"),
            en="Cox regression (Efron ties) with the Grambsch–Therneau test of proportional hazards",
        ),
        Words(
            sv="Cox 1972; Efron 1977; Grambsch & Therneau 1994",
            en="Cox 1972; Efron 1977; Grambsch & Therneau 1994",
        ),
    ),
    (
        Words(
            sv="Intervallcensurerad amningslängd: Turnbulls icke-parametriska ML-skattning (NPMLE)",
            en=("Interval-censored breastfeeding duration: Turnbull's nonparametric maximum likelihood "
                "estimate (NPMLE)"),
        ),
        Words("Turnbull 1976", "Turnbull 1976"),
    ),
    (
        Words(
            sv="Multipla jämförelser: Holms metod för huvudindikatorerna",
            en="Multiplicity: Holm's method across the primary indicators",
        ),
        Words("Holm 1979", "Holm 1979"),
    ),
    (
        Words(
            sv="Multipla jämförelser: Benjamini–Hochbergs metod för övriga indikatorer",
            en="Multiplicity: Benjamini–Hochberg across the secondary indicators",
        ),
        Words("Benjamini & Hochberg 1995", "Benjamini & Hochberg 1995"),
    ),
    (
        Words(
            sv=("Jämförbarhet vid start: standardiserade skillnader (Hedges g, Cox index) bedömda enligt "
                "WWC/HomVEE"),
            en=("Baseline equivalence: standardised differences (Hedges' g, Cox index) rated as in "
                "WWC/HomVEE"),
        ),
        Words(
            sv="What Works Clearinghouse 2022; HomVEE 2023",
            en="What Works Clearinghouse 2022; HomVEE 2023",
        ),
    ),
    (
        Words(
            sv="Statistisk styrka och stickprovsstorlek för två andelar, med kontinuitetskorrektion",
            en="Power and sample size for two proportions, with continuity correction",
        ),
        Words("Fleiss, Tytun & Ury 1980", "Fleiss, Tytun & Ury 1980"),
    ),
    (
        Words(
            sv="Röjandeskydd: antal 1–4 visas som \"<5\"",
            en="Small-cell suppression: counts of 1–4 shown as \"<5\"",
        ),
        Words("Socialstyrelsen", "Socialstyrelsen"),
    ),
)


def phrase(key: str, language: str, **values: Any) -> str:
    """A fixed phrase of PHRASES with `{placeholders}` filled in."""
    return PHRASES[key].format(language, **values)


# The costs section's method, in the appendix when a run has costs.
COST_METHODS: tuple[tuple[Words, Words], ...] = (
    (
        Words(
            sv=("Kostnad per ytterligare barn som når utfallet: kostnaden delad med effekten gånger "
                "barnen; intervallet genom att vända effektens intervall (Fiellers intervall när "
                "kostnaden är känd); inget värde när effektens intervall innefattar 0"),
            en=("Cost per additional child reaching the outcome: the cost divided by the effect times "
                "the children; its interval by inverting the effect's (Fieller's interval for a known "
                "cost); no value when the effect's interval includes 0"),
        ),
        Words("Fieller 1954; Chaudhary & Stearns 1996; Polsky m.fl. 1997",
              "Fieller 1954; Chaudhary & Stearns 1996; Polsky et al. 1997"),
    ),
)


# The methods of count and rate outcomes (healthcare contacts, deft), when a run has them.
COUNT_METHODS: tuple[tuple[Words, Words], ...] = (
    (
        Words(
            sv=("Vårdkontakter per barnår: Poissonregression med barnets uppföljningstid som exponering "
                "(offset) och robust (sandwich) standardfel, ojusterad, justerad och med viktning (IPTW); "
                "negativ binomialregression som kontroll av överspridning"),
            en=("Healthcare contacts per child-year: Poisson regression with the child's follow-up time as "
                "exposure (offset) and robust (sandwich) standard errors, unadjusted, adjusted and "
                "weighted (IPTW); negative binomial regression as the check on overdispersion"),
        ),
        Words("Zou 2004; Cameron & Trivedi 2013; Garwood 1936",
              "Zou 2004; Cameron & Trivedi 2013; Garwood 1936"),
    ),
    (
        Words(
            sv=("Antal tänder (deft): skillnad i medelvärde med Welchs t-intervall och "
                "BCa-bootstrapintervall för sneda fördelningar; justerad med linjär regression "
                "(regressionsstandardisering, HC1)"),
            en=("Number of teeth (deft): difference in means with Welch's t interval and a BCa bootstrap "
                "interval for skewed distributions; adjusted by linear regression (regression "
                "standardisation, HC1)"),
        ),
        Words("Welch 1947; Efron & Tibshirani 1993; White 1980",
              "Welch 1947; Efron & Tibshirani 1993; White 1980"),
    ),
)


# A concurrent study's test over which areas had the programme (`stats.arm_randomisation`).
CONCURRENT_METHODS: tuple[tuple[Words, Words], ...] = (
    (
        Words(
            sv=("Randomiseringstest av vilka områden som fick programmet: skillnaden i andel mellan armarna "
                "över alla sätt att välja lika många områden"),
            en=("Randomisation test of which areas had the programme: the difference in share between the "
                "arms over every way of choosing as many areas"),
        ),
        Words("Fisher 1935; Gail m.fl. 1996", "Fisher 1935; Gail et al. 1996"),
    ),
)


def methods(language: str, extra: Sequence[tuple[Words, Words]] = (), design: str | None = None
            ) -> list[tuple[str, str]]:
    """The methods appendix in `language`: (method, reference) in the order the analysis uses them,
    then `extra` (the methods of the sections a run has: costs, the follow-up parts). With a
    `design` other than did, without the DiD's own methods (`DID_METHODS`)."""
    used = [entry for entry in METHODS if design in (None, "did") or entry not in DID_METHODS]
    if design == "concurrent":
        used += CONCURRENT_METHODS
    return [(method.in_(language), reference.in_(language)) for method, reference in (*used, *extra)]
