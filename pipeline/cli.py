"""The command line `hembesok` (also `python -m pipeline`): parses, calls, prints."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pipeline import __version__
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
    try:
        return args.handler(args)
    except HembesokError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; previous outputs are left whole", file=sys.stderr)
        return 130


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
                                            "truth file the pipeline never reads).")
    synth.add_argument("--out", type=Path, required=True, help="study folder to write")
    synth.add_argument("--children", type=int, default=DEMO_CHILDREN, help="number of children")
    synth.add_argument("--seed", type=int, default=1, help="random seed (same seed, same files)")
    synth.add_argument("--name", default=None, help="study name (default: the folder's name)")
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
                     help="stages to run (default: all): ingest clean cohort compare report")
    run.add_argument("--force", action="store_true", help="rerun even when nothing changed")
    run.add_argument("--jobs", type=int, default=1, help="reports rendered in parallel")
    run.set_defaults(handler=_run)

    power = commands.add_parser(
        "power", help="children needed, or the difference groups can detect",
        description="Plan a cohort for a binary indicator (two-sided test, normal approximation, "
                    "Fleiss). Give --difference for the children needed per group to detect it "
                    "from --proportion; give --n1 and --n2 for the smallest difference those groups "
                    "can detect.",
        epilog="examples:\n  hembesok power --proportion 0.86 --difference 0.08\n"
               "  hembesok power --proportion 0.86 --n1 53 --n2 120",
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
    power.set_defaults(handler=_power)

    bench = commands.add_parser(
        "bench", parents=[common], help="time each stage on a synthetic study",
        description="Write (or reuse) a synthetic study of N children and time ingest + clean, "
                    "cohort and compare, each in its own process: seconds, rows per second, peak "
                    "memory, and the clean stage against a plain pyarrow parse of the same files.")
    bench.add_argument("--children", type=int, default=100_000, help="number of children")
    bench.add_argument("--seed", type=int, default=1, help="random seed of the synthetic study")
    bench.set_defaults(handler=_bench)

    demo = commands.add_parser("demo", parents=[common], help="synthetic study, every stage",
                               description="Generate the synthetic demo study in data_raw/demo and "
                                           "run every stage on it.")
    demo.add_argument("--children", type=int, default=DEMO_CHILDREN, help="number of children")
    demo.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                      help="reports rendered in parallel (default: the number of cores)")
    demo.set_defaults(handler=_demo)
    return parser


def _say(args: argparse.Namespace):  # noqa: ANN202 - a tiny printer
    return (lambda _message: None) if args.quiet else (lambda message: print(message, flush=True))


def _synth(args: argparse.Namespace) -> int:
    from pipeline.synth import write_synthetic_study

    name = args.name or args.out.resolve().name
    result = write_synthetic_study(args.out, n_children=args.children, seed=args.seed, name=name,
                                   progress=_say(args))
    if not args.quiet:
        print(f"synthetic study '{name}' written to {args.out} ({args.children:,} children)")
        for table, rows in result.rows.items():
            print(f"  {table:<14} {rows:>12,} rows")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from pipeline import runner
    from pipeline.config import load_study
    from pipeline.stages import clean as clean_stage

    study = load_study(args.study)
    result = runner.run_ingest_clean(study)
    quality = clean_stage.accounting(result)
    reasons = clean_stage.rejects_by_reason(result)
    print(f"study {study.name}: {study.title}")
    print(f"  programme {study.programme.name} ({len(study.programme.contacts)} planned contacts), "
          f"design {study.design.type}, extraction {study.extraction_date}")
    print(f"  {'table':<14} {'file':<24} {'read':>9} {'clean':>9} {'rejected':>9} {'duplicate':>9}")
    for row in quality.itertuples():
        print(f"  {row.table:<14} {row.source_file:<24} {row.rows_read:>9,} {row.rows_clean:>9,} "
              f"{row.rows_rejected:>9,} {row.rows_duplicate:>9,}")
    if len(reasons):
        print("  rejects by reason:")
        for reason, rows in reasons.groupby("reason")["rows"].sum().sort_values(ascending=False).items():
            print(f"    {reason:<24} {rows:>8,}")
    for note in result.notes:
        print(f"  note: {note}")
    print("ok: the study can be run" if quality["balanced"].all() else "error: row accounting broken")
    return 0 if quality["balanced"].all() else 1


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


def _power(args: argparse.Namespace) -> int:
    from pipeline.stats.power import minimum_detectable_difference, sample_size_two_proportions

    share = f"{args.proportion:.0%}"
    try:
        if args.difference is not None:
            size = sample_size_two_proportions(args.proportion, args.difference, ratio=args.ratio,
                                               alpha=args.alpha, power=args.target_power)
            print(f"To detect a difference of {args.difference * 100:.1f} percentage points from "
                  f"{share} ({args.proportion:.3f} -> {args.proportion + args.difference:.3f}) with "
                  f"{args.target_power:.0%} power, two-sided alpha {args.alpha:g}:")
            print(f"  {size.n_intervention} intervention and {size.n_comparison} comparison children "
                  f"({size.total} in all)")
            print(f"  with continuity correction: {size.n_intervention_corrected} and "
                  f"{size.n_comparison_corrected}")
        elif args.n1 is not None and args.n2 is not None:
            found = minimum_detectable_difference(args.proportion, args.n1, args.n2,
                                                  alpha=args.alpha, power=args.target_power)
            print(f"Groups of {args.n1} (intervention) and {args.n2} (comparison) children, "
                  f"comparison proportion {share}, {args.target_power:.0%} power, two-sided alpha "
                  f"{args.alpha:g}:")
            print(f"  {found.summary()}")
        else:
            print("error: give --difference, or both --n1 and --n2 (see hembesok power --help)",
                  file=sys.stderr)
            return 2
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _bench(args: argparse.Namespace) -> int:
    from pipeline.bench import benchmark, report

    folder = args.root / "data_raw" / f"bench-{args.children}"
    _synthetic_study(folder, args.children, args.seed, f"bench-{args.children}", _say(args))
    timings, parse = benchmark(folder, args.root)
    print(report(timings, parse, args.children))
    return 0


def _synthetic_study(folder: Path, children: int, seed: int, name: str, say) -> None:  # noqa: ANN001
    """Write a synthetic study unless the folder already holds the same one."""
    from pipeline.synth import write_synthetic_study

    truth = folder / "truth.json"
    wanted = {"n_children": children, "seed": seed}
    current = json.loads(truth.read_text()) if truth.is_file() else {}
    if {k: current.get(k) for k in wanted} == wanted:
        say(f"synthetic study already in {folder}")
        return
    say(f"writing a synthetic study ({children:,} children) to {folder} …")
    write_synthetic_study(folder, n_children=children, seed=seed, name=name, progress=say)


def _demo(args: argparse.Namespace) -> int:
    from pipeline.runner import run_study

    say = _say(args)
    folder = args.root / "data_raw" / "demo"
    _synthetic_study(folder, args.children, DEMO_SEED, "demo", say)
    summary = run_study(folder, args.root, jobs=args.jobs, progress=say)
    if not args.quiet:
        _print_summary(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
