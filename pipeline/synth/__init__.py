"""The synthetic study generator (SPEC §13): realistic exports with a known truth.

`write_synthetic_study` writes a study folder that the pipeline ingests: `study.yml`, the
five core exports with the default Swedish headers of `pipeline.schema` (mixed formats,
encodings, delimiters and the mess of real exports), the optional exports of healthcare
contacts (`vardkontakter`) and dental health (`tandhalsa`, issue 13), and `truth.json`
beside them, which the pipeline never reads: the generator's parameters, the true expected
proportion of every modelled indicator per design group, the true programme effects, and
the exact number of rows planted with each kind of mess.

Children are generated and written in fixed-size chunks (`_CHUNK_CHILDREN`), each from its
own random stream `default_rng([seed, chunk, table])`, so memory does not grow with the
number of children and the files depend only on `n_children` and `seed`.

Outcome model. Every outcome family has a linear predictor
    eta_i = covariates_i · beta + area effect + trend · years since programme start
            + log(OR) · [exposed and accepted]
and a child-level uniform draw. Time-to-event outcomes (weaning, end of exclusive
breastfeeding, third DTaP and PCV dose, first MMR) use a time-varying logistic curve,
P(still breastfed at age t) = expit(a(t) + eta_i), P(vaccinated by age t) = expit(f(t) + eta_i),
with a(t), f(t) linear in t between knots on the logit scale; the event age is obtained by
inverting the curve at the child's draw, so the odds ratio of the programme holds at every
age and each child's probability of every indicator is known exactly.

Areas (`AREA_TABLE`). The study covers ten districts of one region: two intervention areas
(Norrbyåsen, Söderängen; 40 % of the children) and eight comparison areas (60 %, 6-9 % each),
so that design-based inference over areas is possible (a randomisation test over the 45
assignments of 2 of 10 areas to the intervention arm can reach p = 1/45). Selection: the
intervention areas have the most mothers born outside Europe, a shift in education and their
own disadvantage on every outcome; the comparison areas range from two much like them to
three affluent ones. Areas also differ at random (the area effect on the logit has a modest
SD per outcome, drawn once per study from the seed; see AREA_SHIFT). Language screening is
at 2,5 years in one intervention and two comparison areas, at 3 years in the other seven.
The realised area effects, shares, mother's-region mix and screening age of every area are
written to truth.json under "parameters".

Healthcare use and dental health (`care`). Contacts of each care form (emergency, primary,
inpatient, other) follow a Poisson process over the first three years whose rate per
child-year depends on the age band (highest in the first year), the covariates, the area
and the trend, and is multiplied by the programme's rate ratio among accepting families
(emergency 0.80, inpatient 0.85 by default); a register lists one contact a day and form.
Caries at the 3-year examination (deft > 0) is a logistic model with the programme's odds
ratio (0.70), deft given caries 1 + Poisson with a rate ratio (0.85). Their streams and
planted rows' personnummer counters are their own: the core exports are the same bytes as
before these were added. truth.json's "healthcare" section holds their expected values per
group and the planted effects in the design's terms.

The package, one concern a module, each building on those before it: `parameters` (dates,
areas, covariate mix, outcome model, how each table is exported), `population` (children,
their covariates and personnummer), `outcomes` (linear predictors and the natural rows of
the event tables), `care` (healthcare contacts and dental examinations), `mess` (spellings,
date formats and the planted bad rows), `truth` (truth.json), `writers` (CSV and XLSX
files) and `study` (`write_synthetic_study`).
"""

from pipeline.synth.mess import CATEGORY_SPELLINGS, PROFESSION_SPELLINGS
from pipeline.synth.parameters import (
    AREA_TABLE,
    AREAS,
    CHILDREN_EXTRA_KINDS,
    CHILDREN_FLAG_KINDS,
    COMPARISON_AREAS,
    DEFAULT_CARE_EFFECTS,
    DEFAULT_EFFECTS,
    DENTAL_MESS_KIND,
    EVENT_MESS_KINDS,
    GENERATOR_VERSION,
    HEADERS,
    INTERVENTION_AREAS,
    OPTIONAL_TABLES,
    VACCINE_ANTIGENS_INTENDED,
    VACCINE_NAMES_USED,
    VACCINE_UNKNOWN_NAME,
    SynthArea,
)
from pipeline.synth.study import SynthResult, write_synthetic_study

__all__ = [
    "AREAS",
    "AREA_TABLE",
    "CATEGORY_SPELLINGS",
    "CHILDREN_EXTRA_KINDS",
    "CHILDREN_FLAG_KINDS",
    "COMPARISON_AREAS",
    "DEFAULT_CARE_EFFECTS",
    "DEFAULT_EFFECTS",
    "DENTAL_MESS_KIND",
    "EVENT_MESS_KINDS",
    "GENERATOR_VERSION",
    "HEADERS",
    "INTERVENTION_AREAS",
    "OPTIONAL_TABLES",
    "PROFESSION_SPELLINGS",
    "VACCINE_ANTIGENS_INTENDED",
    "VACCINE_NAMES_USED",
    "VACCINE_UNKNOWN_NAME",
    "SynthArea",
    "SynthResult",
    "write_synthetic_study",
]
