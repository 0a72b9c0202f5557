"""The command line `hembesok` (also `python -m pipeline`): parses, calls, prints."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pipeline import __version__, parallel, privacy
from pipeline.errors import HembesokError

DEMO_CHILDREN = 2000
DEMO_SEED = 20240630


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 1 a problem the user can fix, 2 usage)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    if os.environ.get(parallel.HUGE_PAGES_ENV) != "1":
        parallel.without_huge_pages()  # the kernel's clearing of huge pages: see there
    try:
        with _terminate_as_interrupt():
            return args.handler(args)
    except HembesokError as error:
        print(f"error: {privacy.mask_text(str(error))}", file=sys.stderr)  # never a personnummer
        return 1
    except KeyboardInterrupt:
        print("interrupted; previous outputs are left whole", file=sys.stderr)
        return 130


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (kill, a scheduler's time limit, systemd) is handled as Ctrl-C: the same
    cleanup, message and exit code. Either is also remembered (`parallel.interrupted`): a
    KeyboardInterrupt raised while a library's code swallows it (a bare `except:` in an
    import, say) would be lost, and the waits for a stage's pieces raise it again."""
    def interrupt(_signum: int, _frame: object) -> None:
        parallel.interrupted.set()
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():  # signals go to the main thread
        yield
        return
    parallel.interrupted.clear()
    before = {signum: signal.signal(signum, interrupt) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hembesok",
        description="Evaluation pipeline for Swedish extended postnatal home-visiting programmes.")
    parser.add_argument("--version", action="version", version=f"hembesok {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", type=Path, default=Path("."),
                        help="folder under which data_clean/<study>/ and outputs/<study>/ live "
                             "(default: the current folder)")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    synth = commands.add_parser("synth", parents=[common], help="write a synthetic study",
                                description="Write a synthetic study (exports, study.yml and a "
                                            "truth file the pipeline never reads); with --sites, "
                                            "K site studies with a common true effect and "
                                            "heterogeneity between sites, for `hembesok pool`.")
    synth.add_argument("--out", type=Path, required=True,
                       help="study folder to write (with --sites: the folder the sites' study "
                            "folders <name>-site1 … and their common truth.json go into)")
    synth.add_argument("--children", type=int, default=DEMO_CHILDREN,
                       help="number of children (with --sites: per site)")
    synth.add_argument("--seed", type=int, default=1, help="random seed (same seed, same files)")
    synth.add_argument("--name", default=None, help="study name (default: the folder's name)")
    synth.add_argument("--sites", type=int, default=None, metavar="K",
                       help="write K site studies (municipalities) instead of one")
    synth.add_argument("--tau", type=float, default=None,
                       help="with --sites: SD of the sites' true DiDs around the common effect, as "
                            "a proportion (default 0.02, i.e. 2 percentage points)")
    synth.set_defaults(handler=_synth)

    validate = commands.add_parser("validate", parents=[common], help="check a study without writing",
                                   description="Check study.yml and every export; print tables, "
                                               "rows and rejects by reason. Writes nothing.")
    validate.add_argument("study", type=Path, help="study folder or its study.yml")
    validate.set_defaults(handler=_validate)

    run = commands.add_parser("run", parents=[common], help="run the pipeline on a study",
                              description="Run the stages of a study (cached: a rerun with "
                                          "nothing changed does no work).")
    run.add_argument("study", type=Path, help="study folder or its study.yml")
    run.add_argument("--stages", nargs="+", default=None, metavar="STAGE",
                     help="stages to run (default: all): ingest clean cohort compare followup report")
    run.add_argument("--force", action="store_true", help="rerun even when nothing changed")
    run.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                     help="processes for the compare stage and the reports (default: the number "
                          "of cores)")
    run.set_defaults(handler=_run)

    share = commands.add_parser(
        "share", parents=[common], help="write a site package of a completed run",
        description="Write outputs/<study>/share/<study>-site.zip: the run's published, "
                    "small-cell-protected estimates, proportions and manifest, with a README in "
                    "Swedish and English; no row-level data. The package is scanned for "
                    "personnummer, pseudonyms and small counts first and not written if one is "
                    "found. Send it to whoever pools the sites (`hembesok pool`).")
    share.add_argument("study", type=Path, help="study folder or its study.yml (run first)")
    share.add_argument("--label", default=None,
                       help="the site's name in a pooled report, e.g. the municipality "
                            "(default: the study's name)")
    share.set_defaults(handler=_share)

    pool = commands.add_parser(
        "pool", parents=[common], help="pool site packages (meta-analysis)",
        description="Pool several sites' packages without pooling their data: per indicator a "
                    "random-effects meta-analysis (REML, Hartung-Knapp-Sidik-Jonkman interval; "
                    "fixed effect as sensitivity), I², tau² and the prediction interval, a forest "
                    "plot per indicator and the pooled report in Swedish and English.")
    pool.add_argument("packages", type=Path, nargs="+", metavar="SITE.zip",
                      help="site packages written by `hembesok share`")
    pool.add_argument("--out", type=Path, required=True,
                      help="folder to write (e.g. outputs/<name>); replaced whole")
    pool.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                      help="processes drawing the forest plots (default: the number of cores)")
    pool.add_argument("--force", action="store_true",
                      help="pool again even when --out holds the pooling of the same packages")
    pool.set_defaults(handler=_pool)

    power = commands.add_parser(
        "power", help="children needed, or the difference groups can detect",
        description="Plan a cohort for a binary indicator (two-sided test, normal approximation, "
                    "Fleiss). Give --difference for the children needed per group to detect it "
                    "from --proportion; give --n1 and --n2 for the smallest difference those groups "
                    "can detect.",
        epilog="examples:\n  hembesok power --proportion 0.86 --difference 0.08\n"
               "  hembesok power --proportion 0.86 --n1 53 --n2 120\n"
               "  hembesok power --proportion 0.6 --difference 0.05 --areas-intervention 2 "
               "--areas-comparison 2 --children-per-area 200 --icc 0.01\n\n"
               "With --areas-intervention, --areas-comparison, --children-per-area and --icc the\n"
               "programme's assignment by area is taken into account: areas, not children, are\n"
               "the independent units, analysed by an area-level t test (for a DiD on each\n"
               "area's before-after change).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    power.add_argument("--proportion", type=float, required=True,
                       help="the comparison group's proportion P, e.g. 0.86")
    power.add_argument("--difference", type=float, help="the difference D to detect, e.g. 0.08")
    power.add_argument("--n1", type=int, help="children in the intervention group")
    power.add_argument("--n2", type=int, help="children in the comparison group")
    power.add_argument("--ratio", type=float, default=1.0,
                       help="intervention / comparison group size, with --difference (default 1)")
    power.add_argument("--power", type=float, default=0.80, dest="target_power",
                       help="power (default 0.80)")
    power.add_argument("--alpha", type=float, default=0.05, help="two-sided level (default 0.05)")
    power.add_argument("--areas-intervention", type=int, help="intervention areas (clusters)")
    power.add_argument("--areas-comparison", type=int, help="comparison areas (clusters)")
    power.add_argument("--children-per-area", type=int,
                       help="children per area (for a DiD: per area and period)")
    power.add_argument("--icc", type=float,
                       help="intra-area correlation of the indicator, e.g. 0.01")
    power.add_argument("--cac", type=float, default=0.8,
                       help="correlation of an area's proportions before and after, for a DiD "
                            "(default 0.8; 0 is the cautious choice)")
    power.add_argument("--design", choices=("did", "concurrent"), default="did",
                       help="with areas: difference-in-differences or concurrent (default did)")
    power.set_defaults(handler=_power)

    bench = commands.add_parser(
        "bench", parents=[common], help="time each stage on a synthetic study",
        description="Write (or reuse) a synthetic study of N children, every export as CSV, and "
                    "time ingest + clean, "
                    "cohort and compare, each in its own process: seconds, rows per second, peak "
                    "memory, and the clean stage against a plain pyarrow parse of the same files.")
    bench.add_argument("--children", type=int, default=100_000, help="number of children")
    bench.add_argument("--seed", type=int, default=1, help="random seed of the synthetic study")
    bench.add_argument("--reference", type=int, default=None,
                       help="also time a study of this many children and print how time grew "
                            "between the two (default 100,000 when --children is larger; 0: none)")
    bench.set_defaults(handler=_bench)

    demo = commands.add_parser("demo", parents=[common], help="synthetic study, every stage",
                               description="Generate the synthetic demo study in data_raw/demo and "
                                           "run every stage on it; then three synthetic "
                                           "municipalities (data_raw/demo_sites), shared and pooled "
                                           "into outputs/demo_pooled.")
    demo.add_argument("--children", type=int, default=DEMO_CHILDREN, help="number of children")
    demo.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                      help="processes for the compare stage and the reports (default: the "
                           "number of cores)")
    demo.add_argument("--no-sites", dest="sites", action="store_false",
                      help="skip the three synthetic municipalities and their pooled report")
    demo.set_defaults(handler=_demo)
    return parser


def _say(args: argparse.Namespace):  # noqa: ANN202 - a tiny printer
    from pipeline.progress import printer

    return (lambda _message: None) if args.quiet else printer()


def _synth(args: argparse.Namespace) -> int:
    from pipeline.synth import write_synthetic_study

    name = args.name or args.out.resolve().name
    if args.sites is not None:
        return _synth_sites(args, name)
    if args.tau is not None:
        print("error: --tau is the heterogeneity between sites: give it with --sites", file=sys.stderr)
        return 2
    result = write_synthetic_study(args.out, n_children=args.children, seed=args.seed, name=name,
                                   progress=_say(args))
    if not args.quiet:
        print(f"synthetic study '{name}' written to {args.out} ({args.children:,} children)")
        for table, rows in result.rows.items():
            print(f"  {table:<14} {rows:>12,} rows")
    return 0


def _synth_sites(args: argparse.Namespace, name: str) -> int:
    from pipeline.synth.sites import SITE_TAU, write_synthetic_sites

    try:
        result = write_synthetic_sites(args.out, args.sites, n_children=args.children, seed=args.seed,
                                       name=name, tau=SITE_TAU if args.tau is None else args.tau,
                                       progress=_say(args))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(f"{args.sites} synthetic site studies written to {args.out} "
              f"({args.children:,} children each; common truth in {result.truth_file}):")
        for site in result.sites:
            print(f"  {site.out_dir}")
        print("run each with `hembesok run`, share it with `hembesok share`, then `hembesok pool`")
    return 0


class _Masked:
    """A text stream whose writes have every personnummer-like number masked (`privacy.mask_text`)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(privacy.mask_text(text))

    def __getattr__(self, name: str) -> Any:  # flush, isatty, encoding: the stream's own
        return getattr(self.stream, name)


def _validate(args: argparse.Namespace) -> int:
    # what it prints masked as a run's messages are: a note naming a column or a sheet of the
    # export ("column(s) not read: 'kommentar 19811218-9876'") was printed as it stood
    with contextlib.redirect_stdout(_Masked(sys.stdout)):
        return _validated(args)


def _validated(args: argparse.Namespace) -> int:
    from pipeline import runner
    from pipeline.config import load_study, study_file_path
    from pipeline.stages import clean as clean_stage

    study = load_study(args.study)
    # the name a run would refuse (another study folder's results under it), named before the reading
    runner.claim_study_name(study_file_path(args.study), study.name, args.root,
                            study.outputs_dir(args.root), record=False)
    result = runner.run_ingest_clean(study)
    quality = clean_stage.accounting(result)
    reasons = clean_stage.rejects_by_reason(result)
    print(f"study {study.name}: {study.title_in(study.language)}")
    print(f"  programme {study.programme.name} ({len(study.programme.contacts)} planned contacts), "
          f"design {study.design.type}, extraction {study.extraction_date}")
    print(f"  {'table':<14} {'file':<24} {'read':>9} {'clean':>9} {'rejected':>9} {'duplicate':>9}")
    for row in quality.itertuples():
        print(f"  {row.table:<14} {row.source_file:<24} {row.rows_read:>9,} {row.rows_clean:>9,} "
              f"{row.rows_rejected:>9,} {row.rows_duplicate:>9,}")
    if len(reasons):
        print("  rejects by table and reason:")
        by_table = reasons.groupby(["table", "reason"], sort=False)["rows"].sum().reset_index()
        order = {table: i for i, table in enumerate(dict.fromkeys(quality["table"]))}  # as listed above
        by_table["order"] = by_table["table"].map(order)
        by_table = by_table.sort_values(["order", "rows"], ascending=[True, False], kind="stable")
        for row in by_table.itertuples():
            print(f"    {row.table:<14} {row.reason:<24} {row.rows:>8,}")
    if len(result.value_issues):
        print("  value issues (set missing, or read with a note):")
        counts = result.value_issues.groupby(["table", "column", "issue"]).size()
        for (table, column, issue), rows in counts.items():
            print(f"    {table:<14} {column:<24} {issue:<34} {rows:>8,}")
    _print_area_spellings(result.area_spellings)
    _print_unknown_values(result)
    for note in result.notes:
        print(f"  note: {note}")
    problems = [] if quality["balanced"].all() else ["row accounting broken"]
    problems += clean_stage.rejected_share_problems(result, study.max_rejected_share)
    for problem in problems:
        print(f"error: {problem}")
    if problems:
        return 1
    print(f"ok: the study can be run (no table lost more than {study.max_rejected_share:.0%} of its rows "
          "to rejects: max_rejected_share in study.yml)")
    return 0


def _print_area_spellings(spellings) -> None:  # noqa: ANN001 - clean's area_spellings frame
    """The children export's areas that the design does not spell so: unmatched ones first
    (their children are outside the study), with the nearest design area and the fix."""
    from pipeline.stages.clean import MAPPED, UNMATCHED

    if spellings.empty:
        return
    print("  areas in the children export not spelled as in the design:")
    print(f"    {'area in export':<28} {'children':>9}  read as")
    for row in spellings.itertuples(index=False):
        if row.status == UNMATCHED:
            nearest = (f"nearest design area '{row.nearest_area}', similarity {row.similarity:.2f}"
                       if row.nearest_area else "no design area is near")
            read = f"NOT IN THE DESIGN, children outside the study ({nearest})"
        else:
            how = "area_map" if row.status == MAPPED else "ignoring accents, case and spacing"
            read = f"{row.read_as} ({how})"
        print(f"    {row.area_in_export:<28} {row.children:>9,}  {read}")
    unmatched = spellings[(spellings["status"] == UNMATCHED) & spellings["similarity"].notna()]
    if len(unmatched):
        first = unmatched.sort_values("similarity", ascending=False, kind="stable").iloc[0]
        print(f"  to count an unmatched area's children, map its spelling in study.yml, e.g. "
              f"area_map: {{\"{first.area_in_export}\": {first.nearest_area}}} (if that is the area)")


# what a category or yes/no value no spelling list knows is called among the rejects (a
# required column's) and the value issues (an optional one's, set missing)
_UNKNOWN_VALUE_REASONS = ("category_unknown", "value_unparseable", "category_unparseable_set_missing",
                          "boolean_unparseable_set_missing", "vaccine_unknown")


def _print_unknown_values(result) -> None:  # noqa: ANN001 - clean's CleanResult
    """The category, yes/no and vaccine values no spelling list knows, most rows first, with
    the fix: `value_map` in study.yml, which says what a spelling means."""
    import numpy as np
    import pandas as pd

    from pipeline.schema import NAMED_TEXT, TABLES, column_meanings
    from pipeline.vaccines import EXAMPLE_NAMES

    columns = {(table, c.name): c for table in TABLES for c in TABLES[table].columns
               if c.kind in ("category", "boolean") or (table, c.name) in NAMED_TEXT}
    found = [frame.rename(columns={"issue": "reason"})[["table", "column", "value", "reason"]]
             for frame in (result.rejects, result.value_issues) if len(frame)]
    if not found:
        return
    unknown = pd.concat(found, ignore_index=True)
    pairs = zip(unknown["table"], unknown["column"], strict=True)
    mapped = np.array([pair in columns for pair in pairs], dtype=bool)
    unknown = unknown[unknown["reason"].isin(_UNKNOWN_VALUE_REASONS).to_numpy() & mapped]
    counts = unknown.groupby(["table", "column", "value"]).size().sort_values(ascending=False, kind="stable")
    if counts.empty:  # none, or only blank values
        return
    print("  category, yes/no and vaccine values no spelling list knows (most rows first):")
    print(f"    {'table':<14} {'column':<18} {'value':<28} {'rows':>8}")
    for (table, column, value), rows in counts.head(12).items():
        print(f"    {table:<14} {columns[(table, column)].header:<18} {value:<28} {rows:>8,}")
    if len(counts) > 12:
        print(f"    … and {len(counts) - 12:,} more")
    (table, column, value), _ = next(iter(counts.items()))
    header = columns[(table, column)].header
    meanings = ("a vaccine such as " + ", ".join(EXAMPLE_NAMES) if (table, column) in NAMED_TEXT
                else "one of " + ", ".join(column_meanings(columns[(table, column)])))
    # no meaning is guessed: a value mapped by a guess copied unread would bias the outcome
    print(f"  to read such a value, say in study.yml what it means: value_map: "
          f"{{{table}: {{{header}: {{\"{value}\": <{meanings}>}}}}}} "
          "(or leave it, if it means none of them)")


def _run(args: argparse.Namespace) -> int:
    from pipeline.runner import run_study

    summary = run_study(args.study, args.root, stages=args.stages, force=args.force, jobs=args.jobs,
                        progress=_say(args))
    if not args.quiet:
        _print_summary(summary)
    return 0


def _print_summary(summary) -> None:  # noqa: ANN001
    for outcome in summary.stages:
        print(f"  {outcome.stage:<15} {outcome.status:<7} {outcome.seconds:6.1f} s")
    print(f"clean data:          {summary.data_clean}")
    print(f"data-quality tables: {summary.outputs / 'tables'}")
    if summary.reports:
        print("reports:")
        for path in summary.reports:
            pdf = path.with_suffix(".pdf")
            print(f"  {path}" + (f"  (and {pdf.name})" if pdf.is_file() else ""))
        figures = summary.outputs / "figures"
        if figures.is_dir() and any(figures.iterdir()):
            print(f"figures (PNG, SVG):  {figures}")


def _share(args: argparse.Namespace) -> int:
    from pipeline.multisite.package import write_site_package

    written = write_site_package(args.study, args.root, label=args.label)
    if not args.quiet:
        print(f"site package: {written}")
        print("it holds only published aggregates (see README.md inside); pool packages with "
              "`hembesok pool SITE.zip SITE.zip … --out outputs/<name>`")
    return 0


def _pool(args: argparse.Namespace) -> int:
    from pipeline.multisite.report import write_pooled

    result = write_pooled(args.packages, args.out, jobs=args.jobs, force=args.force, progress=_say(args))
    if not args.quiet:
        _print_pooled(result)
    return 0


def _print_pooled(result) -> None:  # noqa: ANN001 - a multisite.report.PooledOutputs
    print(f"pooled {len(result.sites)} sites: {', '.join(result.sites)}"
          + (" (nothing changed: the earlier pooling is kept)" if result.cached else ""))
    for line in result.lines:
        print(f"  {line}")
    print(f"pooled tables:  {result.tables}")
    print(f"forest plots:   {result.figures}")
    print("pooled report:")
    for path in result.reports:
        pdf = path.with_suffix(".pdf")
        print(f"  {path}" + (f"  (and {pdf.name})" if pdf.is_file() else ""))


def _power(args: argparse.Namespace) -> int:
    from pipeline.stats.power import minimum_detectable_difference, sample_size_two_proportions

    share = f"{args.proportion:.0%}"
    by_area = (args.areas_intervention, args.areas_comparison, args.children_per_area, args.icc)
    if any(option is not None for option in by_area) and None in by_area:
        print("error: areas as clusters need all of --areas-intervention, --areas-comparison, "
              "--children-per-area and --icc", file=sys.stderr)
        return 2
    n1, n2 = args.n1, args.n2
    if None not in by_area and args.difference is None and n1 is None and n2 is None:
        # The independent-groups answer for the same children (after the start, for a DiD).
        n1 = args.areas_intervention * args.children_per_area
        n2 = args.areas_comparison * args.children_per_area
    try:
        named = args.difference
        if args.difference is not None:
            size = sample_size_two_proportions(args.proportion, args.difference, ratio=args.ratio,
                                               alpha=args.alpha, power=args.target_power)
            print(f"To detect a difference of {args.difference * 100:.1f} percentage points from "
                  f"{share} ({args.proportion:.3f} -> {args.proportion + args.difference:.3f}) with "
                  f"{args.target_power:.0%} power, two-sided alpha {args.alpha:g}"
                  + (", counted as independent children:" if None not in by_area else ":"))
            print(f"  {size.n_intervention} intervention and {size.n_comparison} comparison children "
                  f"({size.total} in all)")
            print(f"  with continuity correction: {size.n_intervention_corrected} and "
                  f"{size.n_comparison_corrected}")
        elif n1 is not None and n2 is not None:
            found = minimum_detectable_difference(args.proportion, n1, n2,
                                                  alpha=args.alpha, power=args.target_power)
            print(f"Groups of {n1} (intervention) and {n2} (comparison) children, "
                  f"comparison proportion {share}, {args.target_power:.0%} power, two-sided alpha "
                  f"{args.alpha:g}" + (", counted as independent children:" if None not in by_area
                                       else ":"))
            print(f"  {found.summary()}")
            named = found.increase
        else:
            print("error: give --difference, or both --n1 and --n2 (see hembesok power --help)",
                  file=sys.stderr)
            return 2
        if None not in by_area:
            _power_by_area(args, named, named_by_user=args.difference is not None)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _power_by_area(args: argparse.Namespace, named: float | None, named_by_user: bool) -> None:
    """Print the area-level (cluster) answers: detectable difference, power, areas needed.

    `named` is the user's --difference, or else the difference independent children could
    detect, so the two answers can be read side by side.
    """
    from pipeline.stats.power import areas_needed, minimum_detectable_did, simulate_cluster_power

    k1, k0, m = args.areas_intervention, args.areas_comparison, args.children_per_area
    did = args.design == "did"
    common = {"design": args.design, "cac": args.cac, "alpha": args.alpha}
    found = minimum_detectable_did(args.proportion, k1, k0, m, args.icc, power=args.target_power,
                                   **common)

    def points(value: float) -> str:
        return f"{value * 100:.1f} percentage points"

    def areas(n: int, kind: str) -> str:
        return f"{n} {kind} area" + ("" if n == 1 else "s")

    print(f"Areas as clusters ({'difference-in-differences' if did else 'concurrent comparison'}: "
          f"{areas(k1, 'intervention')} and {areas(k0, 'comparison')} of {m} children"
          + (" per period" if did else "") + f", ICC {args.icc:g}"
          + (f", CAC {args.cac:g}" if did else "")
          + f"; area-level t test on {found.degrees_of_freedom} degrees of freedom):")
    for word, value, limit in (("rise", found.increase, "up to 100%"),
                               ("fall", found.decrease, "down to 0%")):
        if value is None:
            print(f"  with {k1} + {k0} areas no {word} {limit} can be detected with "
                  f"{args.target_power:.0%} power")
        else:
            print(f"  smallest detectable {word}: {points(value)}")
    if named is None or not 0 <= args.proportion + named <= 1:
        return
    needed = areas_needed(args.proportion, named, m, args.icc, areas_intervention=k1,
                          areas_comparison=k0, power=args.target_power, **common)
    if needed.power_with_study_areas is not None:
        simulated = simulate_cluster_power(args.proportion, named, k1, k0, m, args.icc,
                                           design=args.design, cac=args.cac, alpha=args.alpha)
        what = (f"a difference of {points(named)}" if named_by_user else
                f"the {points(named)} independent children could detect")
        print(f"  {what} would be detected with "
              f"{needed.power_with_study_areas:.0%} power (a simulation of "
              f"{simulated.simulations:,} such studies: {simulated.power:.0%})")
    if needed.areas_intervention_needed is not None:
        print(f"  to detect it with {args.target_power:.0%} power: "
              f"{areas(needed.areas_intervention_needed, 'intervention')} and "
              f"{areas(needed.areas_comparison_needed, 'comparison')} of {m} children"
              + (" per period" if did else ""))
    keeping = f"  keeping the {k1} + {k0} areas:"
    if needed.children_per_area_needed is not None:
        print(f"{keeping} {needed.children_per_area_needed} children per area"
              + (" and period" if did else ""))
    elif needed.power_limit_children is not None:
        print(f"{keeping} no number of children per area is enough (power stays below "
              f"{needed.power_limit_children:.0%}: areas differ from one another)")
    keeping = f"  keeping the {areas(k1, 'intervention')}:"
    if needed.comparison_areas_needed is not None:
        print(f"{keeping} {areas(needed.comparison_areas_needed, 'comparison')}")
    elif needed.power_limit_comparison_areas is not None:
        print(f"{keeping} no number of comparison areas is enough (power stays below "
              f"{needed.power_limit_comparison_areas:.0%})")


def _bench(args: argparse.Namespace) -> int:
    from pipeline.bench import REFERENCE_CHILDREN, benchmark, report, verdict

    reference = args.reference
    if reference is None:
        reference = REFERENCE_CHILDREN if args.children > REFERENCE_CHILDREN else 0
    measured = {}
    for children in ([reference] if 0 < reference < args.children else []) + [args.children]:
        folder = args.root / "data_raw" / f"bench-{children}"
        _synthetic_study(folder, children, args.seed, f"bench-{children}", _say(args), csv_only=True)
        measured[children] = benchmark(folder, args.root)
        print(report(*measured[children], children), end="\n\n", flush=True)
    small = ((measured[reference][0], reference) if reference in measured
             and reference != args.children else None)
    print(verdict(*measured[args.children], args.children, small))
    return 0


def _synthetic_study(folder: Path, children: int, seed: int, name: str, say,  # noqa: ANN001
                     csv_only: bool = False) -> None:
    """Write a synthetic study unless the folder already holds the same one (with `csv_only`,
    one whose every export is CSV: the bench's, see `write_synthetic_study`)."""
    from pipeline.synth import GENERATOR_VERSION, write_synthetic_study

    truth = folder / "truth.json"
    wanted = {"n_children": children, "seed": seed, "generator_version": GENERATOR_VERSION}
    current = json.loads(truth.read_text()) if truth.is_file() else {}
    formats = {export.get("format") for export in current.get("files", {}).values()}
    if {k: current.get(k) for k in wanted} == wanted and not (csv_only and formats != {"csv"}):
        say(f"synthetic study already in {folder}")
        return
    say(f"writing a synthetic study ({children:,} children) to {folder} …")
    write_synthetic_study(folder, n_children=children, seed=seed, name=name, progress=say,
                          csv_only=csv_only)


def _demo(args: argparse.Namespace) -> int:
    from pipeline.multisite.demo import share_and_pool, sites_in_background
    from pipeline.runner import run_study

    say = _say(args)
    folder = args.root / "data_raw" / "demo"
    # the municipalities are prepared beside the main study, at a lower priority, by as many
    # processes as --jobs: they use what the main study leaves idle, and every core once it is done
    background = sites_in_background(args.root, args.jobs) if args.sites else None
    with background or contextlib.nullcontext() as sites:
        _synthetic_study(folder, args.children, DEMO_SEED, "demo", say)
        summary = run_study(folder, args.root, jobs=args.jobs, progress=say)
        if not args.quiet:
            _print_summary(summary)
        if sites is not None:
            say("waiting for the synthetic municipalities (data_raw/demo_sites) …")
            sites()
    if args.sites:
        pooled = share_and_pool(args.root, jobs=args.jobs, progress=say)
        if not args.quiet:
            print(f"pooled report of {len(pooled.sites)} synthetic municipalities (their data not pooled, "
                  "only their site packages):")
            for path in pooled.reports:
                pdf = path.with_suffix(".pdf")
                print(f"  {path}" + (f"  (and {pdf.name})" if pdf.is_file() else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
