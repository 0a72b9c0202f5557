"""Which dataframe engine for the clean stage? The measurement behind README's table (issue 14).

    pip install -e '.[engines]'        # polars and duckdb, only for this measurement
    hembesok bench --children 100000   # or any study with CSV exports
    python scripts/engine_choice.py data_raw/bench-100000 [--repeat 3]

The clean stage's heavy work on the two largest registers of a study (the visits and the
children), done in each engine the issue names, on the same files and with the same number
of threads (2, the machine the targets are set for): pandas with pyarrow types, pyarrow
compute on its own, Polars and DuckDB (embedded). The steps:

  parse      read both CSV files, every column as text (the exports are transcoded to UTF-8
             first, outside the timing: Polars reads nothing else, and the pipeline does it
             once for every engine)
  ids        personnummer normalised (separators dropped, the last 10 digits), each distinct
             value checked (Luhn) and pseudonymised (HMAC-SHA256) once in Python, joined back
  dates      the visit date parsed (ISO date, with or without a time, or YYYYMMDD)
  dedup      exact duplicates over every column, then conflicting duplicates on the key
             (child, date, visit kind), keeping the first row in file order
  join       visits of children in the children table, not before the child's birth
  aggregate  visits per child, written to parquet

Each engine's best of `--repeat` runs is printed per step, in seconds, with the rows kept at
the end (the same in every engine, or the script says so). The pipeline's own stage does
more (every check with its reason and row number), so its time is not these; these say
which engine does the same work fastest.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipeline.config import load_study
from pipeline.stages.ingest import detect_delimiter, to_utf8

THREADS = 2
KEY = b"engine-choice"  # a fixed key: this script writes no pseudonym anywhere that is kept
STEPS = ("parse", "ids", "dates", "dedup", "join", "aggregate")
VISIT_COLUMNS = ("personnummer", "datum", "besokstyp")  # after the study's column_map


def pseudonyms(distinct: list[str]) -> list[str | None]:
    """Luhn-checked HMAC pseudonyms of distinct 10-digit personnummer (None when invalid);
    the same Python work for every engine, once per distinct value."""
    text = np.array([v if v is not None and len(v) == 10 and v.isdigit() else "0000000001"
                     for v in distinct])
    digits = np.frombuffer("".join(text).encode("ascii"), dtype=np.uint8).reshape(-1, 10) - 48
    doubled = digits[:, 0:9:2] * 2
    total = (doubled - 9 * (doubled > 9)).sum(axis=1) + digits[:, 1:9:2].sum(axis=1)
    valid = (10 - total % 10) % 10 == digits[:, 9]
    return [hmac.new(KEY, v.encode(), hashlib.sha256).hexdigest()[:16] if ok and v == t else None
            for v, t, ok in zip(distinct, text, valid, strict=True)]


class Timer:
    """Seconds per step of one run."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._started = time.perf_counter()

    def step(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = now - self._started
        self._started = now


def run_pandas(visits: Path, children: Path, out: Path, delimiters: dict[Path, str]) -> tuple[Timer, int]:
    import pandas as pd

    timer = Timer()
    read = {path: pd.read_csv(path, sep=delimiters[path], dtype="string[pyarrow]", engine="pyarrow",
                              keep_default_na=False) for path in (visits, children)}
    v, c = read[visits], read[children]
    timer.step("parse")
    for frame in (v, c):
        core = frame["personnummer"].str.replace(r"[-+ ]", "", regex=True).str.slice(-10)
        distinct = core.dropna().unique()
        ids = pd.Series(pseudonyms(list(distinct)), index=distinct, dtype="string[pyarrow]")
        frame["child_id"] = core.map(ids)
    timer.step("ids")
    first10 = v["datum"].str.slice(0, 10)
    v["date"] = pd.to_datetime(first10, format="%Y-%m-%d", errors="coerce").fillna(
        pd.to_datetime(first10, format="%Y%m%d", errors="coerce"))
    c["birth"] = pd.to_datetime(c["fodelsedatum"].str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    timer.step("dates")
    v = v[~v.duplicated()]
    v = v[~v.duplicated(subset=["child_id", "date", "besokstyp"])]
    timer.step("dedup")
    c = c.dropna(subset=["child_id"]).drop_duplicates(subset=["child_id"])
    joined = v.merge(c[["child_id", "birth"]], on="child_id", how="inner")
    joined = joined[joined["date"] >= joined["birth"]]
    timer.step("join")
    counts = joined.groupby("child_id", sort=True).size().rename("visits").reset_index()
    counts.to_parquet(out, index=False)
    timer.step("aggregate")
    return timer, int(counts["visits"].sum())


def run_pyarrow(visits: Path, children: Path, out: Path, delimiters: dict[Path, str]) -> tuple[Timer, int]:
    timer = Timer()
    tables = {}
    for path in (visits, children):
        header = path.open(encoding="utf-8").readline().rstrip("\r\n").split(delimiters[path])
        tables[path] = pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=delimiters[path]),
                                      convert_options=pacsv.ConvertOptions(
                                          column_types={name: pa.string() for name in header},
                                          strings_can_be_null=False))
    v, c = tables[visits], tables[children]
    timer.step("parse")
    with_ids = []
    for table in (v, c):
        core = pc.utf8_slice_codeunits(pc.replace_substring_regex(table["personnummer"], r"[-+ ]", ""), -10)
        distinct = pc.unique(core)
        ids = pa.array(pseudonyms(distinct.to_pylist()), pa.string())
        with_ids.append(table.append_column("child_id", pc.take(ids, pc.index_in(core, distinct))))
    v, c = with_ids
    timer.step("ids")
    first10 = pc.utf8_slice_codeunits(v["datum"], 0, 10)
    date = pc.coalesce(_arrow_date(first10, "%Y-%m-%d"), _arrow_date(first10, "%Y%m%d"))
    v = v.append_column("date", date)
    c = c.append_column("birth", _arrow_date(pc.utf8_slice_codeunits(c["fodelsedatum"], 0, 10), "%Y-%m-%d"))
    timer.step("dates")
    v = _first_rows(_first_rows(v, v.column_names), ["child_id", "date", "besokstyp"])
    timer.step("dedup")
    c = _first_rows(c.filter(pc.is_valid(c["child_id"])), ["child_id"])
    joined = v.select(["child_id", "date"]).join(c.select(["child_id", "birth"]), "child_id",
                                                 join_type="inner")
    joined = joined.filter(pc.greater_equal(joined["date"], joined["birth"]))
    timer.step("join")
    counts = joined.group_by("child_id").aggregate([([], "count_all")])
    counts = counts.rename_columns(["child_id", "visits"]).sort_by("child_id")
    pq.write_table(counts, out)
    timer.step("aggregate")
    return timer, int(pc.sum(counts["visits"]).as_py())


def _arrow_date(text: pa.ChunkedArray, form: str) -> pa.ChunkedArray:
    """pyarrow's strptime reads 2020-02-30 as a date (it checks each field's range, not the
    day of that month): a date is kept only when it is written back as it was read."""
    parsed = pc.strptime(text, form, "s", error_is_null=True)
    return pc.if_else(pc.equal(pc.strftime(parsed, form), text), parsed, pa.scalar(None, parsed.type))


def _first_rows(table: pa.Table, keys: list[str]) -> pa.Table:
    """The first row in table order of each distinct value of `keys`, in table order."""
    positions = table.append_column("_position", pa.array(np.arange(len(table))))
    first = positions.group_by(keys, use_threads=False).aggregate([("_position", "min")])["_position_min"]
    return table.take(pc.take(first, pc.sort_indices(first)))


def run_polars(visits: Path, children: Path, out: Path, delimiters: dict[Path, str]) -> tuple[Timer, int]:
    import polars as pl

    timer = Timer()
    v, c = (pl.read_csv(path, separator=delimiters[path], infer_schema=False)
            for path in (visits, children))
    timer.step("parse")
    framed = []
    for frame in (v, c):
        frame = frame.with_columns(core=pl.col("personnummer").str.replace_all(r"[-+ ]", "").str.slice(-10))
        distinct = frame["core"].unique(maintain_order=True)
        ids = pl.DataFrame({"core": distinct, "child_id": pseudonyms(distinct.to_list())},
                           schema={"core": pl.String, "child_id": pl.String})
        framed.append(frame.join(ids, on="core", how="left", maintain_order="left").drop("core"))
    v, c = framed
    timer.step("ids")
    first10 = pl.col("datum").str.slice(0, 10)
    v = v.with_columns(date=pl.coalesce(first10.str.to_date("%Y-%m-%d", strict=False),
                                        first10.str.to_date("%Y%m%d", strict=False)))
    c = c.with_columns(birth=pl.col("fodelsedatum").str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
    timer.step("dates")
    v = v.unique(keep="first", maintain_order=True)
    v = v.unique(subset=["child_id", "date", "besokstyp"], keep="first", maintain_order=True)
    timer.step("dedup")
    c = c.filter(pl.col("child_id").is_not_null())
    c = c.unique(subset=["child_id"], keep="first", maintain_order=True)
    joined = v.join(c.select("child_id", "birth"), on="child_id", how="inner")
    joined = joined.filter(pl.col("date") >= pl.col("birth"))
    timer.step("join")
    counts = joined.group_by("child_id").agg(visits=pl.len()).sort("child_id")
    counts.write_parquet(out)
    timer.step("aggregate")
    return timer, int(counts["visits"].sum())


def run_duckdb(visits: Path, children: Path, out: Path, delimiters: dict[Path, str]) -> tuple[Timer, int]:
    import duckdb

    timer = Timer()
    con = duckdb.connect(config={"threads": THREADS})
    for name, path in (("v_raw", visits), ("c_raw", children)):
        con.execute(f"CREATE TABLE {name} AS SELECT *, row_number() OVER () AS row FROM read_csv(?, "
                    f"delim='{delimiters[path]}', header=true, all_varchar=true)", [str(path)])
    timer.step("parse")
    con.create_function("pseudonyms_of", lambda values: pa.array(pseudonyms(values.to_pylist()), pa.string()),
                        [duckdb.sqltype("VARCHAR")], duckdb.sqltype("VARCHAR"), type="arrow",
                        null_handling="special")
    for name in ("v", "c"):
        con.execute(f"CREATE TABLE {name}_core AS SELECT *, "
                    f"right(regexp_replace(personnummer, '[-+ ]', '', 'g'), 10) AS core FROM {name}_raw")
        con.execute(f"CREATE TABLE {name}_ids AS SELECT core, pseudonyms_of(core) AS child_id FROM "
                    f"(SELECT DISTINCT core FROM {name}_core)")
        con.execute(f"CREATE TABLE {name}_id AS SELECT t.* EXCLUDE (core), i.child_id FROM {name}_core t "
                    f"LEFT JOIN {name}_ids i USING (core)")
    timer.step("ids")
    con.execute("CREATE TABLE v_dated AS SELECT *, coalesce(try_strptime(left(datum, 10), '%Y-%m-%d'), "
                "try_strptime(left(datum, 10), '%Y%m%d')) AS date FROM v_id")
    con.execute("CREATE TABLE c_dated AS SELECT *, try_strptime(left(fodelsedatum, 10), '%Y-%m-%d') AS birth "
                "FROM c_id")
    timer.step("dates")
    columns = con.execute("SELECT * EXCLUDE (row) FROM v_dated LIMIT 0").description
    every = ", ".join(f'"{column[0]}"' for column in columns)
    con.execute(f"CREATE TABLE v_exact AS SELECT * FROM v_dated QUALIFY row_number() OVER "
                f"(PARTITION BY {every} ORDER BY row) = 1")
    con.execute("CREATE TABLE v_kept AS SELECT * FROM v_exact QUALIFY row_number() OVER "
                "(PARTITION BY child_id, date, besokstyp ORDER BY row) = 1")
    timer.step("dedup")
    con.execute("CREATE TABLE c_kept AS SELECT * FROM c_dated WHERE child_id IS NOT NULL "
                "QUALIFY row_number() OVER (PARTITION BY child_id ORDER BY row) = 1")
    con.execute("CREATE TABLE joined AS SELECT v.child_id FROM v_kept v JOIN c_kept c USING (child_id) "
                "WHERE v.date >= c.birth")
    timer.step("join")
    con.execute(f"COPY (SELECT child_id, count(*) AS visits FROM joined GROUP BY child_id ORDER BY child_id) "
                f"TO '{out}' (FORMAT parquet)")
    timer.step("aggregate")
    total = con.execute(f"SELECT sum(visits) FROM read_parquet('{out}')").fetchone()[0]
    con.close()
    return timer, int(total)


Engine = Callable[[Path, Path, Path, dict[Path, str]], tuple[Timer, int]]
ENGINES: dict[str, Engine] = {"pandas + pyarrow types": run_pandas, "pyarrow compute": run_pyarrow,
                              "Polars": run_polars, "DuckDB": run_duckdb}


def utf8_copies(study: Path, folder: Path) -> tuple[Path, Path, dict[Path, str]]:
    """The study's visits and children exports as UTF-8 files in `folder`, with the visit date
    column under its contract name; and each file's delimiter."""
    config = load_study(study)
    copies, delimiters = [], {}
    for table in ("visits", "children"):
        source = config.input_path(table)
        if source.suffix.lower() != ".csv":
            raise SystemExit(f"{source}: the {table} export is not CSV; run on a study with CSV exports "
                             "(e.g. one that `hembesok bench` wrote)")
        data, _ = to_utf8(source.read_bytes())
        text = data.decode("utf-8")
        header, _, rest = text.partition("\n")
        delimiter = detect_delimiter(header)
        renamed = config.column_map.get(table) or {}
        names = [name.strip() for name in header.rstrip("\r").split(delimiter)]
        header = delimiter.join(renamed.get(name, name) for name in names)
        copy = folder / f"{table}.csv"
        copy.write_text(header + "\n" + rest.replace("\r\n", "\n"), encoding="utf-8")
        copies.append(copy)
        delimiters[copy] = delimiter
    return copies[0], copies[1], delimiters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path, help="a study folder with CSV exports (data_raw/<study>)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine; the best is shown")
    parser.add_argument("--engines", nargs="*", default=list(ENGINES), choices=list(ENGINES))
    args = parser.parse_args(argv)
    os.environ.setdefault("POLARS_MAX_THREADS", str(THREADS))
    pa.set_cpu_count(THREADS)
    pa.set_io_thread_count(THREADS)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        visits, children, delimiters = utf8_copies(args.study, folder)
        size_mb = sum(p.stat().st_size for p in (visits, children)) / 1e6
        print(f"{args.study}: visits and children, {size_mb:,.0f} MB of CSV, {THREADS} threads, "
              f"best of {args.repeat}")
        print(f"{'engine':<24}" + "".join(f"{s:>10}" for s in STEPS) + f"{'total':>10}{'visits kept':>13}")
        kept = set()
        for name in args.engines:
            best: Timer | None = None
            for _ in range(args.repeat):
                timer, visits_kept = ENGINES[name](visits, children, folder / "out.parquet", delimiters)
                if best is None or sum(timer.seconds.values()) < sum(best.seconds.values()):
                    best = timer
            kept.add(visits_kept)
            print(f"{name:<24}" + "".join(f"{best.seconds[s]:>10.2f}" for s in STEPS)
                  + f"{sum(best.seconds.values()):>10.2f}{visits_kept:>13,}")
        if len(kept) > 1:
            print("the engines kept different numbers of visits: the comparison is not like for like")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
