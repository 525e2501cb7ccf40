"""python3 -m analysis compare PATH... [--out DIR]   (installed: ringsim-compare PATH... [--out DIR])

Compares the placement strategies in ringsim result files: tables in markdown
on stdout; CSV, PNG figures and report.html in DIR. Bad input gets one line
`compare: error: ...` on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from .reader import NotARingsimResult

DEFAULT_OUT = "results/compare"


COMPARE_DESCRIPTION = ("Compare the placement strategies of ringsim result files. A PATH is a result file, a "
                       "folder (every *.h5 below it) or a Slurm sweep folder with an index.csv (failed or "
                       "missing tasks are named and skipped).")


def _compare_arguments(c: argparse.ArgumentParser) -> argparse.ArgumentParser:
    c.add_argument("paths", nargs="+", metavar="PATH")
    c.add_argument("-o", "--out", default=DEFAULT_OUT, metavar="DIR",
                   help=f"folder for the CSV files, figures and report.html (default {DEFAULT_OUT})")
    c.add_argument("--alpha", type=float, default=0.05,
                   help="family-wise significance level of the Mann-Whitney U tests after Holm's correction "
                        "(default 0.05; the tests need at least 5 samples per strategy and cluster size)")
    c.add_argument("--event", type=int, default=None, metavar="N",
                   help="the event the migration matrix figure shows (default: the figure's own choice)")
    c.add_argument("--no-plots", action="store_true", help="tables and report only")
    return c


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python3 -m analysis", description=__doc__.split("\n\n")[1])
    sub = p.add_subparsers(dest="command", required=True)
    _compare_arguments(sub.add_parser("compare", help="compare strategies across result files, folders and sweeps",
                                      description=COMPARE_DESCRIPTION))
    return p


def _command_line(program: str, argv) -> str:
    return " ".join([program, *(shlex.quote(str(a)) for a in argv)])


def _error(message: str) -> int:
    print(f"compare: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


def run_compare(args, made_by: str) -> int:
    """Runs a comparison; `made_by` is the command line the report names."""
    # Imported here so that `--help` and argument errors do not wait for pandas and matplotlib.
    from . import compare as cmp
    from . import report, tables
    from .inputs import InputError, collect

    if not 0 < args.alpha < 1:
        return _error(f"--alpha {args.alpha}: must be between 0 and 1")
    try:
        inputs = collect(args.paths)
    except (InputError, NotARingsimResult) as e:
        return _error(str(e))
    # Files left out (unreadable, or a stale partial beside its complete run)
    # were named on stderr by collect(); the report names them too.
    notes = list(inputs.notes)
    if inputs.missing:
        named = "; ".join(m.describe() for m in inputs.missing)
        notes.append(f"{len(inputs.missing)} sweep task(s) without a result, left out: {named}")
        print(f"compare: warning: {notes[-1]}", file=sys.stderr)
    try:
        comparison = cmp.compare(inputs.runs, alpha=args.alpha)
    except ValueError as e:
        return _error(str(e))
    notes += comparison.notes
    for note in comparison.notes:
        if cmp.OVERSUBSCRIBED in note:  # on the terminal too: these times must not be read as per-core
            print(f"compare: warning: {note}", file=sys.stderr)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        return _error(f"{out}: cannot create the output folder ({e.strerror})")
    figures = []
    if not args.no_plots:
        from . import plots
        figures, plot_notes = (plots.all_figures(comparison, inputs.runs, out) if args.event is None
                               else plots.all_figures(comparison, inputs.runs, out, event=args.event))
        notes += plot_notes
        for n in plot_notes:
            print(f"compare: note: {n}", file=sys.stderr)
    csvs = tables.write_csv(comparison, out)
    html = report.write(comparison, inputs.runs, figures, notes, out, made_by)
    sys.stdout.write(tables.markdown(comparison, notes))
    written = ", ".join(p.name for p in csvs + figures + [html])
    print(f"compare: wrote {written} in {out}", file=sys.stderr)
    return 0


def main(argv=None) -> int:
    """`python3 -m analysis SUBCOMMAND ...`."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser().parse_args(argv)
    if args.command == "compare":
        return run_compare(args, _command_line("python3 -m analysis", argv))
    return 2


def compare_main(argv=None) -> int:
    """The `ringsim-compare` console script: `python3 -m analysis compare` under its own name."""
    argv = sys.argv[1:] if argv is None else list(argv)
    p = _compare_arguments(argparse.ArgumentParser(prog="ringsim-compare", description=COMPARE_DESCRIPTION))
    return run_compare(p.parse_args(argv), _command_line("ringsim-compare", argv))


if __name__ == "__main__":
    sys.exit(main())
