"""Report wording in Swedish and English, number formatting and sentences built from estimates.

All words a report shows live in this package as `Words(sv=..., en=...)`, looked up by the
package's canonical English ids: `words` (the shape and the languages), `labels` (what the
ids are called), `phrases` (fixed phrases and the methods appendix), `numbers` (Swedish and
English number formats), `cells` (blank, suppressed and numeric values of published tables)
and `sentences` (suppressed figures, titles). `from pipeline import text` gives all of them.
"""

from pipeline.text.cells import (
    DEFAULT_MIN_CELL,
    is_missing,
    is_true,
    min_cell_of,
    records,
    row_is_suppressed,
    suppressed_marker,
    to_number,
)
from pipeline.text.labels import (
    ANALYSIS_LABELS,
    AXIS_LABELS,
    COLUMN_LABELS,
    COST_LABELS,
    COVARIATE_LABELS,
    DESIGN_LABELS,
    FIDELITY_LABELS,
    FLOW_LABELS,
    GROUP_IN_SENTENCE,
    GROUP_LABELS,
    HEADERS,
    INDICATOR_LABELS,
    LEVEL_LABELS,
    MANIFEST_LABELS,
    MEASURE_LABELS,
    METHOD_LABELS,
    OUTPUT_TABLE_NAMES,
    RATING_LABELS,
    REASON_LABELS,
    SECTION_TITLES,
    TABLE_NAMES,
    VALUE_ISSUE_LABELS,
    label,
    output_table_name,
    section_title,
    subgroup_label,
    value_issue_label,
)
from pipeline.text.numbers import (
    days_to_months,
    format_bound,
    format_count,
    format_date,
    format_estimate,
    format_interval,
    format_month,
    format_number,
    format_p,
    format_percent,
    p_stated,
    round_half_up,
)
from pipeline.text.phrases import COST_METHODS, COUNT_METHODS, METHODS, PHRASES, methods, phrase
from pipeline.text.sentences import (
    area_note,
    heading,
    suppressed_sentence,
    suppression_phrase,
    title_markdown,
)
from pipeline.text.words import EN_DASH, LANGUAGES, MINUS, NBSP, Words, check_language

__all__ = [
    "ANALYSIS_LABELS", "AXIS_LABELS", "COLUMN_LABELS", "COST_LABELS", "COST_METHODS", "COUNT_METHODS",
    "COVARIATE_LABELS",
    "DEFAULT_MIN_CELL", "DESIGN_LABELS", "EN_DASH", "FIDELITY_LABELS", "FLOW_LABELS", "GROUP_IN_SENTENCE",
    "GROUP_LABELS", "HEADERS", "INDICATOR_LABELS", "LANGUAGES", "LEVEL_LABELS", "MANIFEST_LABELS",
    "MEASURE_LABELS", "METHODS", "METHOD_LABELS", "MINUS", "NBSP", "OUTPUT_TABLE_NAMES", "PHRASES",
    "RATING_LABELS", "REASON_LABELS", "SECTION_TITLES", "TABLE_NAMES", "VALUE_ISSUE_LABELS",
    "Words", "area_note", "check_language",
    "days_to_months", "format_bound", "format_count", "format_date", "format_estimate",
    "format_interval", "format_month", "format_number", "format_p", "format_percent", "heading",
    "is_missing", "is_true", "label", "records",
    "methods", "min_cell_of", "output_table_name", "p_stated", "phrase", "round_half_up", "row_is_suppressed",
    "section_title", "subgroup_label", "suppressed_marker", "suppressed_sentence",
    "suppression_phrase", "title_markdown", "to_number", "value_issue_label",
]
