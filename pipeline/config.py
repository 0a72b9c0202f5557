"""study.yml -> one validated, typed `Study` object. The one place that knows YAML.

Every problem in a study file is collected and reported together, one line each, naming
the key or file and saying how to fix it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from pipeline import privacy
from pipeline.errors import ConfigError
from pipeline.followup import optional, part_modules
from pipeline.indicators import INDICATOR_IDS
from pipeline.indicators import indicator as indicator_entry
from pipeline.parsing import area_key, fold_label, parse_categories
from pipeline.schema import NAMED_TEXT, PROFESSIONS, TABLE_ORDER, TABLES, column_meanings, column_variants
from pipeline.vaccines import EXAMPLE_NAMES, product_for
from pipeline.words import title_in_language

PRESETS = ("rinkeby", "skaggetorp", "stis")
COVARIATES = ("mother_region", "education", "mother_age", "interpreter_needed", "child_sex",
              "birth_weight_g", "gestational_weeks")
STUDY_FILE = "study.yml"
# Below this min_cell a study must say `allow_small_cells: true` (SPEC §10 suppresses 1..min_cell-1).
MIN_CELL_FLOOR = 3

# Plausible ranges of the children table's numbers (study.yml `plausible_ranges:` overrides
# any of them). A value outside its range is a recording error, not a child: it is set
# missing and listed in value_issues, so that it never enters an adjusted estimate. The
# defaults are wide on purpose, flagging only what no Swedish birth record holds:
# - birth_weight_g 300-6500: a birth is registered from gestational week 22+0 (Socialstyrelsen's
#   definition of a stillbirth since 2008, and the limit of active neonatal care), when
#   children weigh about 400-600 g (survivors under 300 g are world records); over 4500 g is
#   already macrosomia and over 6500 g practically never seen. Below 300 is typically kilograms
#   ("3,5") or a typo, above 6500 a slipped digit ("35000").
# - gestational_weeks 22-45: the same 22+0 registration limit; post-term is 42+0, and Swedish
#   obstetric care induces labour by 42 weeks, so a birth after 45 weeks is a typo or days
#   entered as weeks ("280").
# - mother_age 13-55 (years at the birth): Swedish birth statistics have mothers from their
#   early teens, and births after 55 practically do not occur (Swedish clinics do not offer
#   assisted reproduction that late); outside this an age is a typo, the child's age or a
#   year's digits ("3", "89").
PLAUSIBLE_RANGES: dict[str, tuple[float, float]] = {
    "birth_weight_g": (300.0, 6500.0),
    "gestational_weeks": (22.0, 45.0),
    "mother_age": (13.0, 55.0),
}
RANGED_COLUMNS = tuple(c.name for c in TABLES["children"].columns if c.kind in ("number", "integer"))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contact(_Strict):
    """One planned contact of a programme."""

    id: str = Field(pattern=r"^[A-Za-z0-9_]+$")
    kind: Literal["home", "clinic"]
    target_age_days: int = Field(ge=0)
    window_days: tuple[int, int]
    professions: tuple[str, ...]

    @field_validator("professions")
    @classmethod
    def _known_professions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [p for p in value if p not in PROFESSIONS]
        if unknown:
            raise ValueError(f"unknown profession(s) {unknown}; use any of {list(PROFESSIONS)}")
        return value

    @model_validator(mode="after")
    def _window_holds_target(self) -> Contact:
        low, high = self.window_days
        if not low <= self.target_age_days <= high:
            raise ValueError(f"contact {self.id}: window_days [{low}, {high}] must contain "
                             f"target_age_days {self.target_age_days}")
        return self


class Programme(_Strict):
    """A programme definition: its planned contacts (a preset or inline in study.yml)."""

    name: str
    # one title, or one per report language ({sv: …, en: …}): `title_in`
    title: str | dict[Literal["sv", "en"], str] = ""
    counselling_conversations: bool = False
    contacts: tuple[Contact, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Programme:
        ids = [c.id for c in self.contacts]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            raise ValueError(f"contact ids must be unique; repeated: {duplicated}")
        return self

    def title_in(self, language: str) -> str:
        """The programme's title for a report in `language` (`title_in_language`), else its name."""
        return title_in_language(self.title, language) or self.name


class Eligibility(_Strict):
    """Who the programme targets: first children, or first children born in Sweden (either)."""

    first_child: bool = True
    first_child_in_sweden: bool = True


class Design(_Strict):
    """The comparison design (SPEC §7)."""

    type: Literal["concurrent", "historical", "did"]
    intervention_areas: tuple[str, ...] = Field(min_length=1)
    comparison_areas: tuple[str, ...] = ()
    programme_start: dt.date
    born_from: dt.date
    born_to: dt.date

    @model_validator(mode="after")
    def _coherent(self) -> Design:
        if self.type in ("concurrent", "did") and not self.comparison_areas:
            raise ValueError(f"design type '{self.type}' needs comparison_areas: add the areas "
                             "whose children form the comparison group")
        overlap = set(self.intervention_areas) & set(self.comparison_areas)
        if overlap:
            raise ValueError(f"areas {sorted(overlap)} are both intervention and comparison areas")
        spelled: dict[str, str] = {}
        for name in self.areas:
            other = spelled.setdefault(area_key(name), name)  # as clean matches them
            if other != name:
                raise ValueError(f"areas '{other}' and '{name}' are one name once accents, case and "
                                 "spacing are ignored, as the exports' areas are matched; an export "
                                 "could not tell them apart: rename one of them (and map the "
                                 "export's spellings with area_map)")
        if self.born_from > self.born_to:
            raise ValueError(f"born_from {self.born_from} is after born_to {self.born_to}")
        if self.type in ("historical", "did") and not (
                self.born_from < self.programme_start <= self.born_to):
            raise ValueError(f"design type '{self.type}' compares children born before and after "
                             f"programme_start ({self.programme_start}); it must lie after born_from "
                             f"({self.born_from}) and not after born_to ({self.born_to})")
        return self

    @property
    def areas(self) -> tuple[str, ...]:
        return self.intervention_areas + self.comparison_areas


class InputFile(_Strict):
    """One raw export: its file name in the study folder and optional read hints."""

    file: str
    sheet: str | None = None
    delimiter: Literal[",", ";", "\t"] | None = None
    encoding: str | None = None
    # the line (CSV) or sheet row (XLSX) holding the column names, for when title rows sit
    # above it and it is not found as the first row holding every required column
    header_row: int | None = Field(default=None, ge=1)


class CostItem(_Strict):
    """One year's cost of the programme (study.yml `costs:`): kronor budgeted or paid, and
    what they cover. Each year's cost is matched to the intervention children born that year
    (pipeline.stages.compare.costs); a year outside their birth years needs a `note` saying
    what it pays for, and is then listed but left out of the totals."""

    year: int = Field(ge=1900, le=2100)
    amount_sek: float = Field(gt=0, allow_inf_nan=False)
    covers: str = Field(min_length=1)
    note: str = ""

    @field_validator("amount_sek", mode="before")
    @classmethod
    def _swedish_number(cls, value: Any) -> Any:
        """An amount written as Swedish text: "2 000 000" or "1 950 000,50" (spaces between
        thousands, a decimal comma); anything else is left for the number check to refuse."""
        if isinstance(value, str):
            plain = re.sub(r"[\s\u00a0]", "", value).replace(",", ".")
            if re.fullmatch(r"[0-9]+(\.[0-9]+)?", plain):
                return plain
        return value

    @field_validator("covers", "note")
    @classmethod
    def _stripped(cls, value: str) -> str:
        return " ".join(value.split())

    @field_validator("covers")
    @classmethod
    def _says_what(cls, value: str) -> str:
        if not value:
            raise ValueError("say what the amount covers (e.g. 'personnel: BVC nurse and parental "
                             "advisor')")
        return value


class StudyFields(_Strict):
    """The fields of a study file that the package itself declares (`Study` adds the
    follow-up parts' STUDY_SETTINGS)."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    # one title, or one per report language ({sv: …, en: …}): `title_in`
    title: str | dict[Literal["sv", "en"], str] = ""
    programme: Programme
    extraction_date: dt.date
    language: Literal["sv", "en"] = "sv"
    synthetic: bool = False
    eligibility: Eligibility = Eligibility()
    design: Design
    covariates: tuple[str, ...] = ("mother_region", "education", "mother_age",
                                   "interpreter_needed", "child_sex")
    primary_indicators: tuple[str, ...] = ()
    # a min_cell below MIN_CELL_FLOOR publishes counts of 1 or 2 children: only on purpose
    allow_small_cells: bool = False
    min_cell: int = Field(default=5, ge=1)
    # the difference (proportion scale) the power table asks about: "could the study detect
    # 5 percentage points?"
    power_difference: float = Field(default=0.05, gt=0, lt=1)
    language_screening: Literal["30m", "36m", "any"] = "any"
    # `validate` is not ok when a table loses more than this share of its rows to rejects (a
    # register export holding children outside the study may need more: say so here)
    max_rejected_share: float = Field(default=0.2, ge=0, le=1)
    inputs: dict[str, InputFile]
    column_map: dict[str, dict[str, str]] = {}
    # export spelling -> design area, for spellings that folding accents, case and spacing
    # does not match ("Norrbyåsen BVC": Norrbyåsen); validated against the design
    area_map: dict[str, str] = {}
    # export spelling -> what it means, for a category (or yes/no) value no spelling list
    # knows, per table and column (its header or name): {language: {resultat: {"Ej bedömd":
    # ej genomförd}}}; validated, and kept as {table: {column name: {spelling: code}}}
    value_map: dict[str, dict[str, dict[str, str]]] = {}
    plausible_ranges: dict[str, tuple[float, float]] = PLAUSIBLE_RANGES
    # the programme's costs per year (issue 12): the costs section of the reports
    costs: tuple[CostItem, ...] = ()
    key_file: str | None = None
    folder: Path = Path(".")

    @field_validator("programme", mode="before")
    @classmethod
    def _preset(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value not in PRESETS:
                raise ValueError(f"unknown programme preset '{value}'{_did_you_mean(value, PRESETS)}; "
                                 f"use one of {list(PRESETS)} or an inline programme with contacts")
            return load_preset(value)
        return value

    @field_validator("inputs", mode="before")
    @classmethod
    def _input_files(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {table: {"file": spec} if isinstance(spec, str) else spec
                    for table, spec in value.items()}
        return value

    @field_validator("min_cell")
    @classmethod
    def _min_cell_floor(cls, value: int, info: ValidationInfo) -> int:
        if value < MIN_CELL_FLOOR and not info.data.get("allow_small_cells", False):
            raise ValueError(
                f"min_cell {value} publishes counts as small as {value} "
                f"{'child' if value == 1 else 'children'}, which can identify them; use min_cell: 5 "
                f"(the default) or at least {MIN_CELL_FLOOR}, or, if a data protection decision "
                "allows it, add 'allow_small_cells: true' to the study file")
        return value

    @field_validator("covariates")
    @classmethod
    def _known_covariates(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for covariate in value:
            if covariate not in COVARIATES:
                raise ValueError(f"unknown covariate '{covariate}'{_did_you_mean(covariate, COVARIATES)}; "
                                 f"allowed: {list(COVARIATES)}")
        return value

    @field_validator("primary_indicators")
    @classmethod
    def _known_indicators(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for indicator in value:
            if indicator not in INDICATOR_IDS:
                raise ValueError(f"unknown indicator '{indicator}'{_did_you_mean(indicator, INDICATOR_IDS)}; "
                                 f"indicator ids are listed in SPEC §6 ({', '.join(INDICATOR_IDS)})")
        return value

    @field_validator("inputs")
    @classmethod
    def _known_tables(cls, value: dict[str, InputFile]) -> dict[str, InputFile]:
        unknown = [t for t in value if t not in TABLES]
        if unknown:
            raise ValueError(f"unknown table(s) {unknown}; the tables are {list(TABLE_ORDER)} and, "
                             f"optional, {[t for t in TABLES if t not in TABLE_ORDER]}")
        missing = [t for t in TABLE_ORDER if t not in value]
        if missing:
            raise ValueError(f"required table(s) {missing} missing: add e.g. "
                             f"'{missing[0]}: {missing[0]}.csv' under inputs")
        return value

    @field_validator("column_map")
    @classmethod
    def _known_targets(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for table, mapping in value.items():
            if table not in TABLES:
                raise ValueError(f"column_map names unknown table '{table}'; "
                                 f"the tables are {list(TABLES)}")
            known = {c.header for c in TABLES[table].columns} | {c.name for c in TABLES[table].columns}
            for source, target in mapping.items():
                if target not in known:
                    raise ValueError(
                        f"column_map.{table}: '{source}' maps to '{target}', which is not a column "
                        f"of {table}{_did_you_mean(target, sorted(known))}; map onto one of "
                        f"{[c.header for c in TABLES[table].columns]}")
        return value

    @field_validator("value_map")
    @classmethod
    def _known_meanings(cls, value: dict[str, dict[str, dict[str, str]]]
                        ) -> dict[str, dict[str, dict[str, str]]]:
        checked: dict[str, dict[str, dict[str, str]]] = {}
        for table, columns in value.items():
            for column, spellings in columns.items():
                name, codes = value_codes(table, column, spellings)
                if name in checked.setdefault(table, {}):  # by its header and by its name
                    raise ValueError(f"value_map.{table} names the column '{name}' twice; give its "
                                     "spellings under one of its names")
                checked[table][name] = codes
        return checked

    @field_validator("area_map")
    @classmethod
    def _areas_of_the_design(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        """Targets must be design areas (spelled as the design spells them once folded); a
        spelling that already folds to a design area cannot be sent to another one."""
        design = info.data.get("design")
        if design is None:  # the design itself is wrong: reported on its own
            return value
        by_key = {area_key(name): name for name in design.areas}  # as clean matches them
        mapped: dict[str, str] = {}
        seen: dict[str, tuple[str, str]] = {}
        for spelling, target in value.items():
            area = by_key.get(area_key(str(target)))
            if area is None:
                raise ValueError(f"'{spelling}' maps to '{target}', which is not an area of the "
                                 f"design{_did_you_mean(target, design.areas)}; map onto one of "
                                 f"{list(design.areas)}")
            own = by_key.get(area_key(spelling))
            if own is not None and own != area:
                raise ValueError(f"'{spelling}' is the design area '{own}' (accents, case and "
                                 f"spacing aside) and cannot be mapped to '{area}'; remove the entry")
            key = area_key(spelling)
            earlier = seen.setdefault(key, (spelling, area))
            if earlier[1] != area:
                raise ValueError(f"'{earlier[0]}' and '{spelling}' are one spelling once accents, case "
                                 f"and spacing are ignored, but map to '{earlier[1]}' and '{area}'; "
                                 "keep one entry")
            mapped[spelling] = area
        return mapped

    @field_validator("plausible_ranges", mode="before")
    @classmethod
    def _ranges_over_defaults(cls, value: Any) -> Any:
        """A study names only the ranges it changes; the others keep their defaults. A column
        may be named by its canonical name or its default export header."""
        if not isinstance(value, dict):
            return value
        headers = {c.header: c.name for c in TABLES["children"].columns}
        return {**PLAUSIBLE_RANGES, **{headers.get(k, k): v for k, v in value.items()}}

    @field_validator("plausible_ranges")
    @classmethod
    def _ranges_of_numbers(cls, value: dict[str, tuple[float, float]]
                           ) -> dict[str, tuple[float, float]]:
        for column, (low, high) in value.items():
            if column not in RANGED_COLUMNS:
                raise ValueError(f"'{column}' is not a number column of the children table"
                                 f"{_did_you_mean(column, RANGED_COLUMNS)}; ranges are set for "
                                 f"{list(RANGED_COLUMNS)}")
            if not low < high:
                raise ValueError(f"{column}: the range [{low:g}, {high:g}] must run from the "
                                 "lowest plausible value to a higher highest one")
        return value

    @model_validator(mode="after")
    def _start_before_the_extraction(self) -> Study:
        """A programme that starts on or after the extraction date has no child born after
        its start in the data: the run gave an evaluation of 0 against 0 children."""
        if self.design.programme_start >= self.extraction_date:
            raise ValueError(
                f"design.programme_start ({self.design.programme_start}) is not before extraction_date "
                f"({self.extraction_date}): no child born after the start can be in the exports; "
                "correct either date (the extraction date is the day the data were taken out)")
        return self

    @model_validator(mode="after")
    def _costs_match_the_design(self) -> Study:
        """Each year and what it covers once; a year outside the intervention children's birth
        years (programme start to born_to) only with a note saying why it is there."""
        problems = []
        for name in self.primary_indicators:  # an indicator of an optional export needs it
            source = indicator_entry(name).source
            if source is not None and source not in self.inputs:
                problems.append(f"primary_indicators: '{name}' is computed from the export "
                                f"'{TABLES[source].file}' ({source}), which `inputs:` does not name; "
                                f"add it (e.g. '{source}: {TABLES[source].file}.csv') or choose another "
                                "primary indicator")
        if self.costs and "costs" in self.inputs:
            problems.append("costs are given twice, under `costs:` and as the export "
                            f"'{self.inputs['costs'].file}' under `inputs:`; keep one of them")
        first: dict[tuple[int, str], int] = {}
        for index, item in enumerate(self.costs):
            key = (item.year, item.covers.casefold())
            if key in first:
                problems.append(f"costs[{index}]: year {item.year} lists '{item.covers}' a second time "
                                f"(first in costs[{first[key]}]); add the amounts up into one entry, or "
                                "say in `covers` what each pays for")
            first.setdefault(key, index)
        low, high = self.cost_years
        for index, item in enumerate(self.costs):
            if not low <= item.year <= high and not item.note:
                problems.append(
                    f"costs[{index}]: year {item.year} lies outside the birth years of the "
                    f"intervention children ({low}–{high}), to which each year's cost is matched; "
                    "correct the year, or add a `note:` saying what it pays for (it is then listed "
                    "but not counted in the totals)")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def cost_years(self) -> tuple[int, int]:
        """The first and last calendar year in which intervention children were born (from the
        programme start, or born_from if later, to born_to): the years a cost is matched to."""
        first = max(self.design.programme_start, self.design.born_from)
        return first.year, self.design.born_to.year

    def input_path(self, table: str) -> Path:
        return self.folder / self.inputs[table].file

    def data_clean_dir(self, root: Path) -> Path:
        return root / "data_clean" / self.name

    def outputs_dir(self, root: Path) -> Path:
        return root / "outputs" / self.name

    def area_group(self, area: str) -> str | None:
        """'intervention', 'comparison' or None for an area outside the design."""
        if area in self.design.intervention_areas:
            return "intervention"
        if area in self.design.comparison_areas:
            return "comparison"
        return None

    def title_in(self, language: str) -> str:
        """The study's title for a report in `language` (`title_in_language`)."""
        return title_in_language(self.title, language)

    def public_config(self) -> dict[str, Any]:
        """The study's settings as plain data for the manifest (no key, no absolute paths)."""
        data = self.model_dump(mode="json", exclude={"folder", "key_file"})
        data["key_file_set"] = self.key_file is not None
        return data


def part_settings() -> dict[str, Any]:
    """{study.yml key: type} of the settings the follow-up parts read (pipeline.followup:
    `STUDY_SETTINGS`); a key may not be one of the package's own."""
    settings: dict[str, Any] = {}
    for part in part_modules():
        for key, kind in optional(part, "STUDY_SETTINGS", {}).items():
            if key in StudyFields.model_fields or key in settings:
                raise ValueError(f"{part.__name__}.STUDY_SETTINGS names '{key}', which the study file "
                                 "already has: give the setting another name")
            if not isinstance(kind, type):
                raise TypeError(f"{part.__name__}.STUDY_SETTINGS['{key}'] must be a type (a pydantic "
                                f"model, say), not {kind!r}")
            settings[key] = kind
    return settings


def study_model(settings: Mapping[str, Any]) -> type[StudyFields]:
    """The study file's model: the package's fields and a field for each of `settings`
    ({key: type}, None when the study file does not give it), so that a typo in a part's
    settings is reported like any other and `study.<key>` holds the validated value."""
    return create_model("Study", __base__=StudyFields, __module__=__name__,
                        __doc__="A validated study: everything the stages need to know about one "
                                "evaluation.",
                        **{key: (kind | None, None) for key, kind in settings.items()})


Study = study_model(part_settings())


class DuplicateKeyError(yaml.YAMLError):
    """A mapping in a YAML file gives one key more than once (each problem one line)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml's SafeLoader, refusing a key given twice in one mapping, at any depth.

    PyYAML keeps the last of two equal keys without a word, so `min_cell: 5` followed further
    down by `min_cell: 1` would quietly switch suppression off. Every repeated key is reported,
    with its path and the lines of both. Merge keys (`<<: *defaults`) may be overridden.
    """

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        problems = self._repeated_keys(node, ())
        if problems:
            raise DuplicateKeyError(problems)
        return self.construct_document(node)

    def _timestamp(self, node: yaml.Node) -> Any:
        """A YAML date, or a YAMLError naming it where it does not exist (2024-02-30): PyYAML
        raised a bare ValueError, and the run stopped on a traceback."""
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError as error:
            raise yaml.constructor.ConstructorError(
                None, None, f"'{node.value}' is not a date that exists ({error}); write one as YYYY-MM-DD",
                node.start_mark) from None

    def _key(self, node: yaml.Node) -> Any:
        """A scalar key as YAML reads it (`min_cell` and `"min_cell"` are one key), else None."""
        if not isinstance(node, yaml.ScalarNode):
            return None
        key = self.construct_object(node)
        try:
            hash(key)
        except TypeError:
            return None
        return key

    def _repeated_keys(self, node: yaml.Node, path: tuple[str, ...]) -> list[str]:
        problems: list[str] = []
        if isinstance(node, yaml.MappingNode):
            first_line: dict[Any, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self._key(key_node)
                if key is not None and key in first_line:
                    name = ".".join((*path, str(key)))
                    problems.append(f"{name}: key '{key}' is given twice, on lines {first_line[key]} and "
                                    f"{key_node.start_mark.line + 1}; keep one (YAML would silently use "
                                    "the last)")
                elif key is not None:
                    first_line[key] = key_node.start_mark.line + 1
                problems += self._repeated_keys(value_node, (*path, str(key)))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                problems += self._repeated_keys(item, (*path[:-1], f"{path[-1]}[{index}]") if path
                                                else (f"[{index}]",))
        return problems


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _UniqueKeyLoader._timestamp)

# what a date in study.yml looks like, for pydantic's messages about one
_DATE_ERRORS = ("date_from_datetime_parsing", "date_parsing", "date_type", "datetime_parsing",
                "date_from_datetime_inexact")


def load_yaml(text: str) -> Any:
    """YAML text as data, safely (no objects), refusing repeated keys (DuplicateKeyError)."""
    return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: plain data only


def yaml_quoted(text: str) -> str:
    """A string as a quoted YAML scalar to paste into study.yml: in single quotes, or where it
    holds a line break, another control character or a quote, in double quotes with escapes
    (a JSON string is a YAML double-quoted scalar)."""
    if text.isprintable() and "'" not in text:
        return f"'{text}'"
    return json.dumps(text, ensure_ascii=False)


def load_preset(name: str) -> dict[str, Any]:
    """A programme preset as data, read from the package's programmes/ folder."""
    text = resources.files("pipeline.programmes").joinpath(f"{name}.yml").read_text("utf-8")
    return load_yaml(text)


def study_file_path(path: Path) -> Path:
    """The study.yml of a study folder, or the path itself when it names a file."""
    path = Path(path)
    return path / STUDY_FILE if path.is_dir() else path


def load_study(path: Path) -> Study:
    """Read and validate a study file; raise ConfigError listing every problem."""
    file = study_file_path(path)
    if not file.exists():
        raise ConfigError([f"no study file at {file}: pass a study folder holding study.yml, "
                           "or the path of a study file (make one with `hembesok synth`)"],
                          source=str(file))
    try:
        raw = load_yaml(file.read_text(encoding="utf-8"))
    except DuplicateKeyError as error:
        raise ConfigError(error.problems, source=str(file)) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError([f"not valid YAML{where}: {getattr(error, 'problem', error)}"],
                          source=str(file)) from None
    except UnicodeDecodeError:
        raise ConfigError(["not UTF-8 text: save the study file as UTF-8"], source=str(file)) from None
    if not isinstance(raw, dict):
        raise ConfigError(["the file must be a mapping of keys (name:, programme:, design: …)"],
                          source=str(file))
    try:
        study = Study.model_validate({**raw, "folder": file.parent})
    except ValidationError as error:
        raise ConfigError(_describe(error), source=str(file)) from None
    problems = [_outside_study_folder(table, spec.file, file.parent)
                or f"inputs.{table}: file '{spec.file}' not found in {file.parent}; put the export "
                f"there or correct the file name{_near_file(file.parent, spec.file)}"
                for table, spec in study.inputs.items()
                if _outside_study_folder(table, spec.file, file.parent)
                or not (file.parent / spec.file).is_file()]
    # data_clean/<study>/study_file.txt keeps the study folder's path (whose results they are)
    if privacy.find_personnummer_like(str(file.parent.resolve())):
        problems.append(f"the study folder '{privacy.mask_text(str(file.parent))}' holds a "
                        "personnummer-like number in its path, which data_clean/ keeps with the "
                        "results; rename the folder")
    problems += [f"design: the area name '{privacy.mask_text(area)}' holds a personnummer-like "
                 "number, which every published table would show; name areas without "
                 "identifiers" for area in study.design.areas if privacy.find_personnummer_like(area)]
    # a file name is kept with every row read from it (source_file) and in the manifest: one
    # holding a date and time such as "besok 20210624 1538.csv" can read as a personnummer,
    # and the scan of data_clean/ would stop the run after the cleaning
    problems += [f"inputs.{table}: the file name '{privacy.mask_text(spec.file)}' holds a "
                 "personnummer-like number, which every clean table keeps as the rows' source; "
                 "rename the file (a date and time in a name is best written 2021-06-24_15.38)"
                 for table, spec in study.inputs.items() if privacy.find_personnummer_like(spec.file)]
    problems += [f"title: '{privacy.mask_text(title)}' holds a personnummer-like number, which "
                 "every report would show; give the study a title without identifiers"
                 for title in ([study.title] if isinstance(study.title, str) else study.title.values())
                 if privacy.find_personnummer_like(title)]
    if not problems:  # anywhere else (an area_map key, a note): the manifest keeps the whole file
        problems = [f"{where}: '{privacy.mask_text(text)}' holds a personnummer-like number, which "
                    "the manifest of every run would keep; write it without identifiers"
                    for where, text in _texts(raw) if privacy.find_personnummer_like(text)]
    if problems:
        raise ConfigError(problems, source=str(file))
    return study


def _texts(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every key and text value of a study file's mapping, with where it is ("area_map", "costs.2")."""
    if isinstance(value, dict):
        for key, item in value.items():
            inside = f"{where}.{key}" if where else str(key)
            yield (where or "(top level)") + " (a key)", str(key)
            yield from _texts(item, inside)
    elif isinstance(value, list):
        for number, item in enumerate(value):
            yield from _texts(item, f"{where}.{number}")
    elif value is not None:
        yield where, str(value)


def _near_file(folder: Path, name: str) -> str:
    """" (the folder has 'Amning.CSV': is it that one?)" for a file of the folder whose name differs
    from `name` only in case (a tester's 'Amning.CSV' was just "not found"); else ""."""
    try:
        found = sorted(path.name for path in folder.iterdir()
                       if path.name.casefold() == Path(name).name.casefold() and path.is_file())
    except OSError:
        return ""
    return f" (the folder has '{found[0]}': is it that one? The name must match in case too)" if found else ""


def _outside_study_folder(table: str, name: str, folder: Path) -> str | None:
    """Why an input file name leads out of the study folder (an absolute path, `..`, or a
    symbolic link pointing elsewhere), or None: a study reads only what lies in its folder."""
    if Path(name).is_absolute() or ".." in Path(name).parts:
        return (f"inputs.{table}: file '{name}' points outside the study folder {folder}; "
                "copy the export into the study folder and give its name only")
    target = (folder / name).resolve()
    if not target.is_relative_to(folder.resolve()):
        return (f"inputs.{table}: file '{name}' is a link to {target}, outside the study "
                f"folder {folder}; copy the export itself into the study folder")
    return None


def _describe(error: ValidationError) -> list[str]:
    """One actionable line per pydantic error, naming the key."""
    lines = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"] if part != "__root__")
        kind = item["type"]
        if kind == "extra_forbidden":
            parent = ".".join(str(p) for p in item["loc"][:-1])
            key = str(item["loc"][-1])
            allowed = _allowed_keys(parent)
            lines.append(f"{location}: unknown key '{key}'{_did_you_mean(key, allowed)}; "
                         f"allowed keys here: {allowed}")
        elif kind == "missing":
            lines.append(f"{location}: required key missing; add '{item['loc'][-1]}:' to the study file")
        else:
            message = re.sub(r"^(Value error|Assertion failed), ", "", item["msg"])
            given = item.get("input")
            shown = "" if isinstance(given, dict | list) else f" (given: {given!r})"
            if kind in _DATE_ERRORS:
                message = "expected a date written as YYYY-MM-DD (e.g. 2024-06-30)"
            elif kind == "tuple_type" and isinstance(given, str):
                message = f"expected a list, e.g. [{given}] or one item per line starting with '- '"
            lines.append(f"{location or 'study'}: {message}{shown}")
    return lines


def _allowed_keys(parent: str) -> list[str]:
    models: dict[str, type[BaseModel]] = {"": Study, "design": Design, "eligibility": Eligibility,
                                          "programme": Programme}
    head = parent.split(".")[0]
    setting = part_settings().get(head)  # a follow-up part's settings model
    model = models.get(parent) or (Contact if head == "programme" and "contacts" in parent
                                   else InputFile if head == "inputs"
                                   else CostItem if head == "costs"
                                   else setting if isinstance(setting, type)
                                   and issubclass(setting, BaseModel) else None)
    if model is None:
        return []
    return [name for name in model.model_fields if name != "folder"]


def value_codes(table: str, column: str, spellings: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """A `value_map` entry checked: the column's name, and each spelling's code in the
    column's vocabulary. The column is named by its header or name and holds categories or
    yes/no; each meaning is a spelling the vocabulary knows; a spelling it already reads as
    something else is refused (the map adds spellings, it does not change what one means)."""
    if table not in TABLES:
        raise ValueError(f"value_map names unknown table '{table}'{_did_you_mean(table, TABLES)}; "
                         f"the tables are {list(TABLES)}")
    by_key = {fold_label(key): c for c in TABLES[table].columns for key in (c.header, c.name)}
    found = by_key.get(fold_label(column))
    coded = [c.header for c in TABLES[table].columns if c.kind in ("category", "boolean")
             or (table, c.name) in NAMED_TEXT]
    if found is not None and (table, found.name) in NAMED_TEXT:
        return found.name, _vaccine_names(table, column, spellings)
    if found is None or found.kind not in ("category", "boolean"):
        what = "not a column" if found is None else "not a column of categories or yes/no"
        raise ValueError(f"value_map.{table}: '{column}' is {what} of {table}"
                         f"{_did_you_mean(column, coded)}; the columns whose values it maps are {coded}")
    variants = column_variants(found)
    meanings = column_meanings(found)
    codes: dict[str, str] = {}
    for spelling, meaning in spellings.items():
        code = _read_as(str(meaning), variants)
        if code is None:
            raise ValueError(f"value_map.{table}.{column}: '{spelling}' maps to '{meaning}', which is no "
                             f"value of {found.header}{_did_you_mean(meaning, variants)}; map onto one "
                             f"of {meanings} or a spelling of one")
        already = _read_as(str(spelling), variants)
        if already is not None and already != code:
            raise ValueError(f"value_map.{table}.{column}: '{spelling}' is already read as '{already}' "
                             f"and cannot be mapped to '{code}'; remove the entry")
        codes[str(spelling)] = code
    try:  # two of the study's spellings alike but for case or spacing, meaning two things
        parse_categories(pd.Series([], dtype=object), column_variants(found, codes))
    except ValueError as clash:
        raise ValueError(f"value_map.{table}.{column}: {clash}; keep one of them") from None
    return found.name, codes


def _vaccine_names(table: str, column: str, spellings: Mapping[str, str]) -> dict[str, str]:
    """`value_map` for the vaccine's name: each meaning a name the product list knows (kept as
    written, the name the export's spelling is read as); a spelling it knows as another
    product is refused."""
    names: dict[str, str] = {}
    for spelling, meaning in spellings.items():
        product = product_for(str(meaning))
        if product is None:
            raise ValueError(f"value_map.{table}.{column}: '{spelling}' maps to '{meaning}', which is no "
                             "vaccine the product list knows; map onto a product or antigen name such as "
                             f"{', '.join(EXAMPLE_NAMES)}")
        already = product_for(str(spelling))
        if already is not None and already != product:
            raise ValueError(f"value_map.{table}.{column}: '{spelling}' is already read as {already.name} "
                             f"and cannot be mapped to {product.name}; remove the entry")
        names[str(spelling)] = str(meaning)
    return names


def _read_as(text: str, variants: Mapping[str, str]) -> str | None:
    """The code a spelling list reads `text` as (accents, case and spacing aside), or None."""
    values, failed = parse_categories(pd.Series([text], dtype=object), variants)
    return None if bool(failed.iloc[0]) else str(values.iloc[0])


def _did_you_mean(word: str, choices: Any) -> str:
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    return f" (did you mean '{match[0]}'?)" if match else ""
