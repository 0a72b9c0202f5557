"""Words of the site package's README (`hembesok share`) and of the pooled report
(`hembesok pool`), in Swedish and English.

The pooled report is read by committee members: it says what a pooled estimate is, that the
sites' data were never pooled (only their results), how much the effect differs between
sites in plain words (I² and the prediction interval), and never calls an effect more than
chance when its interval includes 0.
"""

from __future__ import annotations

from pipeline.text.words import Words

# --- the site package's README.md -----------------------------------------------------------

SHARE_README: dict[str, Words] = {
    "title": Words("Resultatpaket från {label}", "Site package from {label}"),
    "intro": Words(
        sv=("Paketet kommer från hembesok {version} och innehåller bara sammanställda resultat från "
            "utvärderingen av {programme} i {label} (studien {study}, uttag {extraction_date}): inga "
            "uppgifter om enskilda barn, inga personnummer och inga pseudonymer. Det är till för att "
            "väga samman flera kommuners resultat med `hembesok pool`, utan att några barns uppgifter "
            "lämnar kommunen."),
        en=("This package comes from hembesok {version} and holds only aggregate results of the "
            "evaluation of {programme} in {label} (study {study}, extraction {extraction_date}): no "
            "data on individual children, no personnummer and no pseudonyms. It is meant for pooling "
            "several sites' results with `hembesok pool`, without any child's data leaving the site."),
    ),
    "contents": Words("Innehåll", "Contents"),
    "estimates": Words(
        sv=("`estimates.csv`: för varje indikator designens effektskattning ({design}) med 95\u00a0% "
            "konfidensintervall, standardfel, p-värde och antalet barn i interventions- och "
            "jämförelsegruppen, som i rapportens sammanfattning (summary.csv)."),
        en=("`estimates.csv`: per indicator the design's effect estimate ({design}) with its 95% "
            "confidence interval, standard error, p-value and the numbers of children in the "
            "intervention and comparison groups, as in the report's summary (summary.csv)."),
    ),
    "proportions": Words(
        sv=("`proportions.csv`: andelen barn med utfallet per grupp och period (före eller efter "
            "programstarten), med antal barn och antal med utfallet."),
        en=("`proportions.csv`: the share of children with the outcome per group and period (before "
            "or after the programme started), with the numbers of children and of those with the "
            "outcome."),
    ),
    "site": Words(
        sv=("`site.json`: programmet, designen (områden och födelseperioder), version och "
            "fingeravtryck av indikatordefinitionerna, gränsen för små tal och hur standardfelen "
            "räknats fram."),
        en=("`site.json`: the programme, the design (areas and birth periods), the version and "
            "fingerprints of the indicator definitions, the small-cell limit and how the standard "
            "errors were derived."),
    ),
    "manifest": Words(
        sv=("`manifest.json`: körningens manifest: kodversion, kontrollsummor (SHA-256) för de "
            "exportfiler som analyserades, studiens inställningar och paketversioner."),
        en=("`manifest.json`: the run's manifest: code version, checksums (SHA-256) of the exports "
            "that were analysed, the study's settings and package versions."),
    ),
    "protection_title": Words("Skydd av små tal", "Small numbers"),
    "protection": Words(
        sv=("Alla tal är hämtade ur de publicerade tabellerna i outputs/{study}/tables, som redan har "
            "skyddats: antal från 1 till {below} visas som \"<{min_cell}\", och andelar och skattningar "
            "som bygger på dem döljs eller visas som en gräns. Inget tal har räknats om. Innan paketet "
            "skrevs genomsöktes det efter personnummer, pseudonymer och antal under {min_cell}; "
            "hembesok skriver inget paket där något sådant hittas."),
        en=("Every figure is taken from the published tables in outputs/{study}/tables, which are "
            "already protected: counts from 1 to {below} are shown as \"<{min_cell}\", and shares and "
            "estimates resting on them are hidden or shown as a bound. Nothing was recomputed. Before "
            "the package was written it was scanned for personnummer, pseudonyms and counts below "
            "{min_cell}; hembesok writes no package in which one is found."),
    ),
    "se_title": Words("Standardfel", "Standard errors"),
    "se": Words(
        sv=("Standardfelet räknas fram ur konfidensintervallet: intervallets bredd delad med "
            "2 × 1,96, för kvoter på logaritmisk skala (Cochrane Handbook, avsnitt 6.3.1). Ett "
            "osymmetriskt intervall (skillnad-i-skillnaders bootstrapintervall) ger medelvärdet av "
            "de två halvorna. Med få områden är bootstrapintervallet försiktigt (brett), och då blir "
            "också standardfelet och den sammanvägda osäkerheten snarare för stora än för små."),
        en=("The standard error is derived from the confidence interval: the interval's width "
            "divided by 2 × 1.96, for ratios on the log scale (Cochrane Handbook, section 6.3.1). An "
            "asymmetric interval (the difference-in-differences' bootstrap interval) gives the mean "
            "of its two halves. With few areas the bootstrap interval is cautious (wide), so the "
            "standard error and the pooled uncertainty err on the large side."),
    ),
}

# --- the pooled report ------------------------------------------------------------------------

POOL_WORDS: dict[str, Words] = {
    "title": Words("Sammanvägd analys av {k} kommuner: {programme}",
                   "Pooled analysis of {k} sites: {programme}"),
    "what_pooled": Words(
        sv=("Rapporten väger samman resultaten från {k} kommuner som var för sig har utvärderat "
            "programmet med verktyget hembesok. Varje kommun har analyserat sina egna data och lämnat ifrån "
            "sig enbart sina resultat – effektskattningar med osäkerhet och antal barn – i ett "
            "resultatpaket. Inga uppgifter om enskilda barn har lämnat någon kommun, och inga barns "
            "uppgifter har slagits ihop."),
        en=("This report combines the results of {k} sites that each evaluated the programme with "
            "hembesok. Each site analysed its own data and handed over only its results – effect "
            "estimates with their uncertainty and numbers of children – in a site package. No data on "
            "individual children left any site, and no children's data were pooled."),
    ),
    "what_estimate_means": Words(
        sv=("Den sammanvägda effekten är ett vägt medelvärde av kommunernas egna skattningar (en "
            "metaanalys med slumpmässiga effekter). Den svarar på frågan hur stor programmets effekt "
            "är i genomsnitt i kommuner som dessa. Kommuner med säkrare skattningar väger tyngre; där "
            "effekten skiljer sig mellan kommunerna jämnas vikterna ut."),
        en=("The pooled effect is a weighted average of the sites' own estimates (a random-effects "
            "meta-analysis). It answers how large the programme's effect is on average in sites like "
            "these. Sites with more precise estimates weigh more; where the effect differs between "
            "sites, the weights are evened out."),
    ),
    "what_heterogeneity": Words(
        sv=("Effekten kan skilja sig mellan kommuner, till exempel för att programmet genomförs på "
            "olika sätt eller för att familjerna skiljer sig. Två mått visar hur mycket: I² är den "
            "del av spridningen mellan kommunernas skattningar som speglar verkliga skillnader och "
            "inte slumpen, och prediktionsintervallet visar var effekten skulle kunna hamna i en ny "
            "kommun."),
        en=("The effect may differ between sites, for instance because the programme is run "
            "differently or the families differ. Two measures show how much: I² is the part of the "
            "spread between the sites' estimates that reflects real differences rather than chance, "
            "and the prediction interval shows where the effect could fall in a new site."),
    ),
    "few_sites": Words(
        sv=("Med bara {k} kommuner är både den sammanvägda effekten och skillnaderna mellan "
            "kommunerna osäkra, och intervallen blir breda (t-fördelningen med en frihetsgrad färre än "
            "kommunerna som vägs samman för en indikator: {df} med alla {k}, 1 med två)."),
        en=("With only {k} sites both the pooled effect and the differences between sites are "
            "uncertain, and the intervals are wide (the t distribution with one degree of freedom fewer "
            "than the sites pooled for an indicator: {df} with all {k}, 1 with two)."),
    ),
    "sites_title": Words("Kommunerna", "The sites"),
    "sites_caption": Words(
        sv="Kommunerna och deras resultatpaket",
        en="The sites and their packages",
    ),
    "mixed_designs": Words(
        sv=("Kommunerna har använt olika jämförelser ({designs}); de sammanvägda effekterna blandar "
            "därför skattningar som gjorts på olika sätt."),
        en=("The sites used different designs ({designs}); the pooled effects therefore combine "
            "estimates made in different ways."),
    ),
    "main_title": Words("Huvudindikatorer", "Primary indicators"),
    "other_title": Words("Övriga indikatorer", "Other indicators"),
    "overview_caption": Words(
        sv="Sammanvägda effekter för övriga indikatorer",
        en="Pooled effects for the other indicators",
    ),
    "main_caption": Words(
        sv="Sammanvägda effekter för huvudindikatorerna",
        en="Pooled effects for the primary indicators",
    ),
    # what the overview's numbers are in, after its caption: the cells give none
    "unit_points": Words(sv="{caption}, i procentenheter", en="{caption}, in percentage points"),
    "unit_ratios": Words(sv="{caption}, som kvoter", en="{caption}, as ratios"),
    "unit_mixed": Words(sv="{caption}, i procentenheter (kvoter för {ratios})",
                        en="{caption}, in percentage points (ratios for {ratios})"),
    # the overview's adjusted p: the family it is corrected in, as the verdict's sentence names it
    "caption_correction": Words(sv="{caption}; justerat p med {correction}",
                                en="{caption}; adjusted p by {correction}"),
    "pooled": Words(
        sv="{indicator}: sammanvägd effekt {estimate} ({interval}), från {k} kommuner.",
        en="{indicator}: pooled effect {estimate} ({interval}), from {k} sites.",
    ),
    "verdict_chance": Words(
        sv="Intervallet rymmer 0, så skillnaden kan bero på slumpen.",
        en="The interval includes 0, so the difference may be due to chance.",
    ),
    "verdict_not_after_correction": Words(
        sv=("Intervallet ligger på ena sidan om 0, men efter korrektion för flera jämförelser "
            "(justerat {p}, {correction}) kan skillnaden ändå bero på slumpen."),
        en=("The interval lies on one side of 0, but after correcting for several comparisons "
            "(adjusted {p}, {correction}) the difference may still be due to chance."),
    ),
    "verdict_agree_closely": Words(
        sv=("Intervallet rymmer 0, så skillnaden kan bero på slumpen. Kommunernas skattningar råkar "
            "ligga närmare varandra än deras egen osäkerhet talar för; ett intervall som bara byggde på "
            "hur nära de ligger hade uteslutit 0, men det vore smalare än osäkerheten tillåter (se "
            "Metod)."),
        en=("The interval includes 0, so the difference may be due to chance. The sites' estimates "
            "happen to lie closer together than their own uncertainty suggests; an interval resting "
            "only on how close they lie would have excluded 0, but it would be narrower than that "
            "uncertainty allows (see Methods)."),
    ),
    "pooled_too_wide": Words(
        sv=("{indicator}: de {k} kommunerna kan tillsammans inte säga hur stor effekten är. "
            "Osäkerhetsintervallet är för brett för att säga något ({why}); det rymmer allt från "
            "stora negativa till stora positiva effekter. Siffrorna står i tabellen och figuren."),
        en=("{indicator}: together the {k} sites cannot tell how large the effect is. The "
            "uncertainty interval is too wide to say anything ({why}); it spans everything from large "
            "negative to large positive effects. The numbers are given in the table and the figure."),
    ),
    "too_wide_two_sites": Words(
        sv=("Bredden kommer av metoden mer än av kommunernas egna skattningar: med 2 kommuner bygger "
            "intervallet på t-fördelningen med en frihetsgrad, vars 95-procentsgräns är 12,7 "
            "standardfel."),
        en=("The width comes from the method more than from the sites' own estimates: with 2 sites "
            "the interval rests on the t distribution with one degree of freedom, whose 95% limit is "
            "12.7 standard errors."),
    ),
    "site_verdict_chance": Words(
        sv="I rapporten från {site} bedöms skillnaden kunna bero på slumpen{why}.",
        en="The report of {site} finds that the difference could be due to chance{why}.",
    ),
    "site_verdict_clear": Words(
        sv=("I rapporten från {site} bedöms skillnaden vara större än slumpen rimligen kan förklara, "
            "efter korrektion för flera jämförelser."),
        en=("The report of {site} finds the difference larger than chance can reasonably explain, "
            "after correction for multiple comparisons."),
    ),
    # "visa en skillnad större än slumpen" read as "a difference larger than chance" (a review)
    "site_why_design": Words(
        sv=(": med så få områden kan den studien inte visa att skillnaden är större än slumpen, hur stor "
            "den än är"),
        en=(": with so few areas that study cannot show that the difference is larger than chance, however "
            "large"),
    ),
    "site_why_correction": Words(" efter korrektion för flera jämförelser",
                                 " after correction for multiple comparisons"),
    "site_why_interval": Words(" (intervallet omfattar {null})", " (the interval includes {null})"),
    "too_wide_points": Words(
        sv="bredare än {limit}\u00a0procentenheter, mer än halva den möjliga skalan",
        en="wider than {limit} percentage points, more than half the possible range",
    ),
    "too_wide_ratio": Words(
        sv="den övre gränsen är mer än {limit} gånger den nedre",
        en="its upper limit is more than {limit} times its lower",
    ),
    "verdict_higher": Words(
        sv=("Andelen var i genomsnitt högre med programmet, mer än slumpen rimligen kan förklara "
            "(justerat {p}, {correction})."),
        en=("On average the share was higher with the programme, more than chance would plausibly "
            "explain (adjusted {p}, {correction})."),
    ),
    "verdict_lower": Words(
        sv=("Andelen var i genomsnitt lägre med programmet, mer än slumpen rimligen kan förklara "
            "(justerat {p}, {correction})."),
        en=("On average the share was lower with the programme, more than chance would plausibly "
            "explain (adjusted {p}, {correction})."),
    ),
    "i2_none": Words(
        sv=("Skillnader mellan kommunerna: I² = {i2}, skattningarna skiljer sig inte mer än slumpen "
            "kan förklara."),
        en="Differences between sites: I² = {i2}, the estimates differ no more than chance would explain.",
    ),
    "i2_some": Words(
        sv=("Skillnader mellan kommunerna: I² = {i2}, alltså speglar ungefär {i2} av spridningen "
            "mellan kommunernas skattningar verkliga skillnader och resten slumpen ({size})."),
        en=("Differences between sites: I² = {i2}, so about {i2} of the spread between the sites' "
            "estimates reflects real differences and the rest chance ({size})."),
    ),
    "i2_uncertain": Words(
        sv=("Skillnader mellan kommunerna: I² = {i2}, men med bara {k} kommuner är det måttet mycket "
            "osäkert, och skillnaderna kan lika gärna vara slumpen (variansen mellan kommunerna kan "
            "vara noll enligt dess 95\u00a0% KI)."),
        en=("Differences between sites: I² = {i2}, but with only {k} sites that measure is very "
            "uncertain, and the differences may as well be chance (the variance between sites may be "
            "zero by its 95% CI)."),
    ),
    "i2_small": Words("små skillnader", "small differences"),
    "i2_moderate": Words("måttliga skillnader", "moderate differences"),
    "i2_large": Words("stora skillnader", "large differences"),
    "prediction": Words(
        sv=("I en ny kommun skulle effekten kunna ligga mellan {low} och {high}\u00a0{unit} "
            "(95\u00a0% prediktionsintervall)."),
        en=("In a new site the effect could lie between {low} and {high}\u00a0{unit} "
            "(95% prediction interval)."),
    ),
    "prediction_ratio": Words(
        sv=("I en ny kommun skulle kvoten kunna ligga mellan {low} och {high} "
            "(95\u00a0% prediktionsintervall)."),
        en="In a new site the ratio could lie between {low} and {high} (95% prediction interval).",
    ),
    "prediction_unbounded": Words(
        sv=("Var effekten skulle hamna i en ny kommun kan inte avgränsas med så få och så osäkra "
            "skattningar: prediktionsintervallet ({low} till {high}\u00a0{unit}) är bredare än hela skalan."),
        en=("Where the effect would fall in a new site cannot be bounded with so few and so uncertain "
            "estimates: the prediction interval ({low} to {high}\u00a0{unit}) is wider than the whole "
            "scale."),
    ),
    "prediction_too_few": Words(
        sv=("Med bara {k} kommuner går det inte att säga var effekten skulle hamna i en ny kommun, så "
            "inget prediktionsintervall anges (det kräver minst {minimum} kommuner)."),
        en=("With only {k} sites there is no telling where the effect would fall in a new site, so no "
            "prediction interval is given (it needs at least {minimum} sites)."),
    ),
    "too_few_to_predict": Words("för få kommuner", "too few sites"),
    "prediction_as_interval": Words(
        sv=("Prediktionsintervallet är detsamma som intervallet för medelvärdet bara för att "
            "spridningen mellan kommunerna (τ²) skattades till 0; med {k} kommuner kan den verkliga "
            "spridningen ändå vara stor."),
        en=("The prediction interval equals the interval for the mean only because the spread "
            "between sites (τ²) was estimated as 0; with {k} sites the true spread may still be large."),
    ),
    "prediction_widest": Words(
        sv=("Enligt 95\u00a0% KI för spridningen kan effekten i en ny kommun ligga upp till "
            "{spread}\u00a0{unit} från medelvärdet åt vardera hållet."),
        en=("By the 95% CI of the spread, the effect in a new site could lie up to {spread}\u00a0{unit} from "
            "the mean either way."),
    ),
    # beyond ±50 points (an interval over 100 points wide) τ²'s interval bounds nothing: "up to 98
    # percentage points" of breastfeeding around 10 (a review)
    "prediction_widest_unbounded": Words(
        sv=("Enligt 95\u00a0% KI för spridningen kan effekten i en ny kommun ligga hur långt som helst från "
            "medelvärdet: det intervallet är för brett för att säga något om det."),
        en=("By the 95% CI of the spread, the effect in a new site could lie any distance from the mean: "
            "that interval is too wide to say anything of it."),
    ),
    "prediction_sign": Words(
        sv="I en enskild kommun kan effekten alltså bli noll eller gå åt andra hållet.",
        en="In a single site the effect could therefore be nil or go the other way.",
    ),
    "fixed": Words(
        sv=("Känslighetsanalys med fast effekt (samma effekt antas i alla kommuner): {estimate} "
            "({interval})."),
        en="Sensitivity analysis with a fixed effect (the same effect assumed in every site): "
           "{estimate} ({interval}).",
    ),
    "fixed_narrower_no_spread": Words(
        sv=("Den fasta effektens intervall rymmer inte {null}, men det är smalare för att det bortser "
            "från hur osäker själva sammanvägningen är med så få kommuner (normalfördelningen i stället "
            "för t-fördelningen); slutsatsen bygger på den sammanvägda effekten ovan."),
        en=("The fixed effect's interval does not include {null}, but it is narrower because it ignores "
            "how uncertain the pooling itself is with so few sites (the normal distribution instead of "
            "the t distribution); the conclusion rests on the pooled effect above."),
    ),
    # the fixed effect's interval clear of no effect where the reported one is not: which to read
    "fixed_narrower": Words(
        sv=("Den fasta effektens intervall rymmer inte {null}, men det är smalare för att det bortser "
            "från att effekten kan skilja sig mellan kommunerna och, med så få kommuner, från hur osäker "
            "själva sammanvägningen är; slutsatsen bygger på den sammanvägda effekten ovan."),
        en=("The fixed effect's interval does not include {null}, but it is narrower because it ignores "
            "that the effect may differ between sites and, with so few sites, how uncertain the pooling "
            "itself is; the conclusion rests on the pooled effect above."),
    ),
    "left_out": Words("Ingår inte: {site} ({reason}).", "Not included: {site} ({reason})."),
    # the sites table's children under a DiD, after the groups' (as page one of a site's report)
    "children_before": Words("; före start {counts}", "; before the start {counts}"),
    # the overview's adjusted p of an estimate tested as another indicator's (`tested_as`)
    "p_tested_as": Words("{p} (som för {indicator})", "{p} (as for {indicator})"),
    "one_site": Words(
        sv="{indicator}: bara {site} har en skattning, {estimate} ({interval}); inget kan vägas samman.",
        en="{indicator}: only {site} has an estimate, {estimate} ({interval}); nothing can be pooled.",
    ),
    "no_site": Words(
        sv="{indicator}: ingen kommun har en skattning som kan vägas samman.",
        en="{indicator}: no site has an estimate that can be pooled.",
    ),
    "no_width": Words(
        sv=("{indicator}: alla kommuner har samma skattning, {estimate}; intervallet kan inte "
            "beräknas med den här metoden (se den fasta effekten)."),
        en=("{indicator}: every site has the same estimate, {estimate}; the interval cannot be "
            "computed by this method (see the fixed effect)."),
    ),
    "forest_caption": Words(
        sv=("{indicator}: varje kommuns skattning med 95\u00a0% konfidensintervall (rutans storlek visar "
            "vikten), den sammanvägda effekten (romb) och prediktionsintervallet för en ny kommun"),
        en=("{indicator}: each site's estimate with its 95% confidence interval (the square's size "
            "shows its weight), the pooled effect (diamond) and the prediction interval for a new site"),
    ),
    "forest_caption_few": Words(
        sv=("{indicator}: varje kommuns skattning med 95\u00a0% konfidensintervall (rutans storlek visar "
            "vikten) och den sammanvägda effekten (romb); med så få kommuner inget prediktionsintervall"),
        en=("{indicator}: each site's estimate with its 95% confidence interval (the square's size "
            "shows its weight) and the pooled effect (diamond); with so few sites no prediction interval"),
    ),
    "forest_caption_one": Words(
        sv=("{indicator}: den enda kommunens skattning med 95\u00a0% konfidensintervall; inget att "
            "väga samman"),
        en="{indicator}: the one site's estimate with its 95% confidence interval; nothing to pool",
    ),
    "forest_alt": Words(
        sv="Forestdiagram för {indicator} med {k} kommuner och den sammanvägda effekten {estimate}.",
        en="Forest plot of {indicator} with {k} sites and the pooled effect {estimate}.",
    ),
    "forest_alt_one": Words(
        sv="Forestdiagram för {indicator} med en kommuns skattning och ingen sammanvägd effekt.",
        en="Forest plot of {indicator} with one site's estimate and no pooled effect.",
    ),
    "methods_title": Words("Metod", "Methods"),
    "provenance_title": Words("Resultatpaketens ursprung", "Where the packages come from"),
    "provenance": Words(
        sv=("Varje resultatpaket bär sin körnings manifest (kodversion och kontrollsummor för de "
            "analyserade exportfilerna). Tabellen visar paketens egna kontrollsummor, så att varje "
            "siffra kan spåras till ett paket och en körning."),
        en=("Each site package carries its run's manifest (code version and checksums of the exports "
            "analysed). The table shows the packages' own checksums, so that every figure can be "
            "traced to a package and a run."),
    ),
    "provenance_caption": Words("Resultatpaketen", "The site packages"),
    "files": Words(
        sv="Tabellerna finns också som CSV: {files}.",
        en="The tables are also given as CSV: {files}.",
    ),
}

# The overview's verdict cells: the verdict the text gives (`report._verdict_key`), in its words.
VERDICT_CELLS: dict[str, Words] = {
    "higher": Words("högre med programmet, mer än slumpen rimligen kan förklara",
                    "higher with the programme, more than chance would plausibly explain"),
    "lower": Words("lägre med programmet, mer än slumpen rimligen kan förklara",
                   "lower with the programme, more than chance would plausibly explain"),
    "not_after_correction": Words("kan bero på slumpen efter korrektion för flera jämförelser",
                                  "may be due to chance after correcting for several comparisons"),
    "agree_closely": Words("kan bero på slumpen", "may be due to chance"),
    "chance": Words("kan bero på slumpen", "may be due to chance"),
}

# Why a site's estimate is not pooled, in words (the pool's `reason` ids).
LEFT_OUT: dict[str, Words] = {
    "no_estimate": Words("kommunen har ingen skattning för indikatorn",
                         "the site has no estimate for this indicator"),
    "no_interval": Words("skattningen saknar konfidensintervall, så dess osäkerhet är okänd",
                         "the estimate has no confidence interval, so its uncertainty is unknown"),
    "other_measure": Words("kommunens skattning är ett annat mått ({measure}) än de övrigas ({common})",
                           "the site's estimate is another measure ({measure}) than the others' ({common})"),
    "not_estimable": Words("effekten kunde inte skattas i kommunen ({reason})",
                           "the effect could not be estimated in the site ({reason})"),
    "suppressed": Words("kommunens skattning {reason}", "the site's estimate is {reason}"),
}

METHOD_WORDS: dict[str, Words] = {
    "random_effects": Words(
        sv=("Den sammanvägda effekten skattas med en metaanalys med slumpmässiga effekter: varje "
            "kommuns sanna effekt antas variera kring ett gemensamt medelvärde, och mellankommunvariansen "
            "τ² skattas med begränsad maximum likelihood (REML). Intervallet för medelvärdet, i "
            "tabeller, diagram och text, är Hartung–Knapp–Sidik–Jonkmans (t-fördelningen med k − 1 "
            "frihetsgrader), som håller sin täckning bättre än det vanliga normalintervallet när "
            "kommunerna är få, med Knapp och Hartungs justering: intervallets skalfaktor är minst 1, "
            "så att intervallet aldrig blir smalare än normalintervallet och därmed aldrig smalare än "
            "den fasta effektens. Utan justeringen kan intervallet bli orimligt smalt när kommunernas "
            "skattningar råkar ligga närmare varandra än deras egen osäkerhet talar för; de ojusterade "
            "gränserna finns kvar i tables/pooled.csv (raden random_effects_unfloored). Med justeringen "
            "är intervallet snarare för brett än för smalt. Ett intervall bredare än 100\u00a0procentenheter "
            "(halva skalan från −100 till 100), eller för en kvot med en övre gräns mer än 100 gånger "
            "den nedre, säger ingenting: texten säger då det i ord och siffrorna står bara i tabellen."),
        en=("The pooled effect comes from a random-effects meta-analysis: each site's true effect is "
            "taken to vary around a common mean, and the between-site variance τ² is estimated by "
            "restricted maximum likelihood (REML). The interval for the mean, in "
            "tables, figures and text, is the Hartung–Knapp–Sidik–Jonkman interval (the t "
            "distribution with k − 1 degrees of freedom), which keeps its coverage better than the "
            "usual normal interval when sites are few, with Knapp and Hartung's adjustment: its "
            "scaling factor is at least 1, so that the interval is never narrower than the normal "
            "interval, and hence never narrower than the fixed effect's. Without the adjustment the "
            "interval can be implausibly narrow when the sites' estimates happen to lie closer "
            "together than their own uncertainty suggests; the unadjusted limits are kept in "
            "tables/pooled.csv (row random_effects_unfloored). With the adjustment the interval errs "
            "on the wide side. An interval wider than 100 percentage points (half the range from −100 "
            "to 100), or for a ratio one whose upper limit is more than 100 times its lower, says "
            "nothing: the text then says so in words and the numbers are given only in the table."),
    ),
    "random_effects_reference": Words(
        "Viechtbauer 2005; Hartung & Knapp 2001; Sidik & Jonkman 2002; Knapp & Hartung 2003; "
        "Röver m.fl. 2015; Jackson m.fl. 2017",
        "Viechtbauer 2005; Hartung & Knapp 2001; Sidik & Jonkman 2002; Knapp & Hartung 2003; "
        "Röver et al. 2015; Jackson et al. 2017"),
    "fixed_effect": Words(
        sv=("Som känslighetsanalys en modell med fast effekt (inversvariansvägning, normalintervall), "
            "som antar samma effekt i alla kommuner."),
        en=("As a sensitivity analysis, a fixed-effect model (inverse-variance weights, normal "
            "interval), which assumes the same effect in every site."),
    ),
    "fixed_effect_reference": Words("Borenstein m.fl. 2009", "Borenstein et al. 2009"),
    "heterogeneity": Words(
        sv=("I² är τ² delad med τ² plus en typisk kommuns varians, i procent; Cochrans Q prövar om "
            "skattningarna skiljer sig mer än slumpen förklarar. Prediktionsintervallet är "
            "medelvärdet ± t · √(τ² + SE²), med samma t och SE som intervallet för medelvärdet, som "
            "metafors predict() (Higgins m.fl. 2009 använder t med två frihetsgrader färre än "
            "kommunerna, vilket ger bredare intervall); när τ² skattas till 0 blir det därför "
            "detsamma som intervallet för medelvärdet. Med färre än 3 kommuner anges inget, eftersom "
            "två kommuner inte kan säga var en tredjes effekt skulle hamna. I² under 30\u00a0% kallas "
            "här små skillnader, 30–60\u00a0% måttliga och över 60\u00a0% stora (jfr Cochrane Handbook, "
            "avsnitt 10.10.2)."),
        en=("I² is τ² over τ² plus a typical site's variance, in percent; Cochran's Q tests whether "
            "the estimates differ more than chance explains. The prediction interval is the mean "
            "± t · √(τ² + SE²), with the same t and SE as the interval for the mean, as metafor's "
            "predict() (Higgins et al. 2009 use t with two degrees of freedom fewer than the sites, "
            "which gives wider intervals); where τ² is estimated as 0 it is therefore the interval "
            "for the mean. With fewer than 3 sites none is given, since two sites cannot say where a "
            "third site's effect would fall. I² below 30% is called small differences here, 30–60% "
            "moderate and above 60% large (cf. Cochrane Handbook, section 10.10.2)."),
    ),
    "heterogeneity_reference": Words(
        "Higgins & Thompson 2002; Higgins, Thompson & Spiegelhalter 2009; Riley m.fl. 2011; Viechtbauer 2010",
        "Higgins & Thompson 2002; Higgins, Thompson & Spiegelhalter 2009; Riley et al. 2011; "
        "Viechtbauer 2010"),
    "standard_errors": Words(
        sv=("Varje kommuns standardfel räknas fram ur dess publicerade 95\u00a0% konfidensintervall "
            "(bredden delad med 2 × 1,96). Skillnad-i-skillnadernas intervall kommer från en "
            "bootstrap som med få områden är försiktig, så de sammanvägda intervallen är snarare för "
            "breda än för smala."),
        en=("Each site's standard error is derived from its published 95% confidence interval (the "
            "width divided by 2 × 1.96). The difference-in-differences' intervals come from a "
            "bootstrap that is cautious with few areas, so the pooled intervals err on the wide side."),
    ),
    "standard_errors_reference": Words("Cochrane Handbook 6.3.1", "Cochrane Handbook 6.3.1"),
    "multiplicity": Words(
        sv=("Justerade p-värden: Holms korrektion över huvudindikatorerna och Benjamini–Hochbergs "
            "över de övriga, som i kommunernas egna rapporter."),
        en=("Adjusted p-values: Holm's correction across the primary indicators and "
            "Benjamini–Hochberg's across the others, as in the sites' own reports."),
    ),
    "multiplicity_reference": Words("Holm 1979; Benjamini & Hochberg 1995",
                                    "Holm 1979; Benjamini & Hochberg 1995"),
    "compatibility": Words(
        sv=("Bara paket med samma version av indikatordefinitionerna, samma definition av varje "
            "indikator och samma program vägs samman; annars avbryts sammanvägningen och det sägs "
            "vad som skiljer."),
        en=("Only packages with the same version of the indicator definitions, the same definition "
            "of every indicator and the same programme are pooled; otherwise pooling stops, saying "
            "what differs."),
    ),
    "compatibility_reference": Words("hembesok", "hembesok"),
}

# Column headers of the pooled report's tables.
POOL_HEADERS: dict[str, Words] = {
    "site": Words("Kommun", "Site"),
    "study": Words("Studie", "Study"),
    "design": Words("Design", "Design"),
    "areas": Words("Områden (intervention + jämförelse)", "Areas (intervention + comparison)"),
    "born": Words("Födda", "Born"),
    "extraction": Words("Uttag", "Extraction"),
    # the groups as page one of the site's report counts them: intervention / comparison, and under
    # a DiD "; före start …" (the estimate's own counts, both periods, read as 242 children who
    # could have had the programme where 118 were born after the start)
    "children": Words("Barn, {indicator} (intervention / jämförelse, som i kommunens rapport)",
                      "Children, {indicator} (intervention / comparison, as in the site's report)"),
    "indicator": Words("Indikator", "Indicator"),
    # children born before the start are in a DiD's analysis but could not have had the programme:
    # the overview counts the groups, born after the start (its counts had both periods: a review)
    "sites": Words("Kommuner (barn födda efter start: intervention / jämförelse)",
                   "Sites (children born after the start: intervention / comparison)"),
    # a historical comparison's comparison group is the children born before the start
    "sites_historical": Words(
        sv=("Kommuner (barn: intervention, födda efter start / jämförelse, vid historisk jämförelse "
            "födda före)"),
        en="Sites (children: intervention, born after the start / comparison, in a historical comparison "
           "born before it)"),
    # a word short enough not to break in an eight-column table ("Bedömning" printed "Bedömnin|g")
    "verdict": Words("Slutsats", "Verdict"),
    "pooled": Words("Sammanvägd effekt (95\u00a0% KI)", "Pooled effect (95% CI)"),
    "i2": Words("I²", "I²"),
    "prediction": Words("Prediktionsintervall", "Prediction interval"),
    # a sensitivity analysis, said in its header: its interval ignores how sites differ, and
    # beside a random-effects interval too wide to say anything it looked like the answer
    "fixed": Words("Känslighetsanalys: fast effekt (95\u00a0% KI)",
                   "Sensitivity analysis: fixed effect (95% CI)"),
    "package": Words("Paket", "Package"),
    "sha256": Words("SHA-256 (början)", "SHA-256 (start)"),
    "code": Words("Kodversion", "Code version"),
    "definitions": Words("Indikatordefinitioner", "Indicator definitions"),
    "method": Words("Metod", "Method"),
    "reference": Words("Källa", "Reference"),
}

# Labels drawn on the forest plot.
FOREST_WORDS: dict[str, Words] = {
    "pooled": Words("Sammanvägd effekt", "Pooled effect"),
    "fixed": Words("Fast effekt (känslighetsanalys)", "Fixed effect (sensitivity)"),
    "prediction": Words("Prediktionsintervall (ny kommun)", "Prediction interval (new site)"),
    "axis_points": Words("Effekt (procentenheter)", "Effect (percentage points)"),
    "axis_ratio": Words("Kvot (logaritmisk skala)", "Ratio (log scale)"),
    "weight": Words("vikt {weight}", "weight {weight}"),
    "not_pooled": Words("ingår inte", "not included"),
    "too_few_to_predict": Words("för få kommuner för en ny kommuns effekt",
                                "too few sites to predict a new site's effect"),
    "favours": Words("← lägre med programmet · högre med programmet →",
                     "← lower with the programme · higher with the programme →"),
}
