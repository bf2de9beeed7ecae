"""Command-line interface: ``leadblackhole <command> ...``.

Exit codes: 0 success; 2 a problem with the user's input (every problem is
listed, no traceback); 1 an internal error. ``--debug`` shows the traceback of
an internal error.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .exceptions import LeadBlackHoleUserError

__all__ = ["main"]

EXIT_OK, EXIT_INTERNAL, EXIT_USER = 0, 1, 2


class _UserArgumentError(LeadBlackHoleUserError):
    """A bad command-line argument."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's default also exits 2, but prints usage first
        raise _UserArgumentError(f"{self.prog}: {message}")


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {v}")
    return v


def _cmd_simulate(args: argparse.Namespace) -> int:
    from .config import SIMULATED_SURVEY
    from .reporting.io import atomic_write_text, table_to_csv
    from .simulation import StudyDesign, simulate

    changes = {"n_reps": args.n_reps, "n_zero_marketing": args.n_zero_marketing}
    if args.no_heaping:
        changes["heap_step"] = 0
    design = StudyDesign.for_firms(args.firms, **changes)
    survey, truth = simulate(design, seed=args.seed)
    out = Path(args.out) if args.out else SIMULATED_SURVEY
    atomic_write_text(out, table_to_csv(survey))
    print(f"wrote {out} ({len(survey)} reps in {len(design.firms)} firms, seed {args.seed})")
    if args.truth:
        from .reporting.io import atomic_write_text as write

        eff = truth.effects.reset_index()
        write(args.truth, table_to_csv(eff))
        print(f"wrote {args.truth} (population effects)")
    return EXIT_OK


def _load_frame(args: argparse.Namespace):
    from .data import build_analysis_frame, load_survey

    survey = load_survey(args.path, codebook=args.codebook)
    return survey, build_analysis_frame(survey)


def _cmd_validate(args: argparse.Namespace) -> int:
    survey, frame = _load_frame(args)
    print(f"{survey.source}: the survey meets the input contract")
    print(frame.summary())
    if len(frame.exclusions):
        print("\nexcluded reps (row, rep_id, reason):")
        for r in frame.exclusions.itertuples(index=False):
            print(f"  {r.row:5d}  {r.rep_id}  {r.reason}")
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "simulate": _cmd_simulate,
    "validate": _cmd_validate,
}


def _add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", help="survey file (.csv, .parquet, .dta, .sav)")
    p.add_argument("--codebook", metavar="FILE", default=None,
                   help="TOML codebook mapping the file's columns onto the schema")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    from .config import DEFAULT_SEED

    parser = _Parser(prog="leadblackhole", description=(
        "Replication package for Sabnis et al. (2013), 'The Sales Lead Black Hole'."))
    parser.add_argument("--version", action="version", version=f"leadblackhole {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("simulate", help="simulate a survey of the study")
    p.add_argument("--seed", type=_positive_int, default=DEFAULT_SEED,
                   help=f"random seed (default {DEFAULT_SEED})")
    p.add_argument("--n-reps", type=_positive_int, default=461,
                   help="analysable reps (default 461)")
    p.add_argument("--n-zero-marketing", type=_positive_int, default=0,
                   help="extra reps with no marketing-lead time (default 0)")
    p.add_argument("--firms", type=_positive_int, default=4, help="number of firms (default 4)")
    p.add_argument("--no-heaping", action="store_true",
                   help="report exact percents instead of multiples of 5")
    p.add_argument("--out", default=None, help="output CSV (default data/simulated/reps.csv)")
    p.add_argument("--truth", default=None, metavar="CSV",
                   help="also write the population value of every registry effect")

    p = sub.add_parser("validate", help="check a survey file against the input contract")
    _add_data_args(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except LeadBlackHoleUserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:  # pragma: no cover
        print("interrupted", file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if debug:
            traceback.print_exc()
        print(f"internal error: {type(exc).__name__}: {exc}\n"
              "This is a bug in leadblackhole; rerun with --debug for the traceback.",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
