"""The command line's subcommands and their options, as a table, and the parser built from it.

:data:`COMMAND_TABLE` lists every subcommand with its help and options, in the
order ``leadblackhole --help`` shows them; :func:`build_parser` turns it into
an :mod:`argparse` parser. An option's help may be a function, called when the
parser is built (the diagnosis lists the scenarios and estimators registered
then). Bad arguments raise :class:`UserArgumentError` (exit 2, with the usage
line). Each command's ``--help`` shows its description and an example.
"""

from __future__ import annotations

import argparse
import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, pipeline
from .config import (
    ALLOCATION_DIR,
    DEFAULT_SEED,
    DIAGNOSIS_DIR,
    FIGURES_DIR,
    FITS_FILE,
    MEASUREMENT_DIR,
    MODELS_DIR,
    PROJECT_ROOT,
    RESULTS_DIR,
    SIMULATED_SURVEY,
)
from .exceptions import LeadBlackHoleUserError
from .formulas import checked_formula
from .outputs import check_output_file
from .specification import MODEL_VARIABLES

__all__ = [
    "COMMAND_TABLE",
    "GLOBAL_OPTIONS",
    "REMEDY_OPTIONS",
    "Command",
    "Option",
    "Parser",
    "UserArgumentError",
    "at_least_30",
    "build_parser",
    "number_list",
    "positive_int",
    "precision_formula",
    "provenance_folder",
    "rounding",
    "seconds",
    "split_names",
]


class UserArgumentError(LeadBlackHoleUserError):
    """A bad command-line argument."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are the user's (exit 2): the message, then the usage line."""

    def error(self, message: str):  # argparse's default also exits 2, with the usage first
        usage = " ".join(self.format_usage().split())
        raise UserArgumentError(
            f"{self.prog}: {message}\n{usage}\n(run '{self.prog} --help' for every option "
            "and an example)"
        )


# ----------------------------------------------------------------------------
# option types
# ----------------------------------------------------------------------------
def positive_int(text: str) -> int:
    """A whole number >= 0."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {v}")
    return v


def at_least_30(text: str) -> int:
    """A number of reps, at least 30."""
    v = positive_int(text)
    if v < 30:
        raise argparse.ArgumentTypeError(f"expected at least 30 reps, got {v}")
    return v


def seconds(text: str) -> float:
    """A number of seconds: finite and above 0."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return v


def provenance_folder(text: str) -> str:
    """A folder whose ``provenance/`` can be written (checked now, before any command runs)."""
    try:
        check_output_file(Path(text) / "provenance" / "step.json")
    except LeadBlackHoleUserError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def rounding(text: str) -> str | float:
    """``auto``, ``none`` or a rounding step that divides 100 (checked by the models layer)."""
    try:
        return pipeline.rounding_option(text)
    except LeadBlackHoleUserError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def precision_formula(text: str) -> str:
    """A precision formula in the package's grammar (checked here, never evaluated)."""
    try:
        return checked_formula(text, MODEL_VARIABLES, "precision")
    except LeadBlackHoleUserError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def number_list(kind: Callable[[str], Any], what: str) -> Callable[[str], list]:
    """The type of a comma-separated list of numbers (``kind`` each), named ``what`` in errors."""

    def parse(text: str):
        items = [t.strip() for t in text.split(",") if t.strip()]
        try:
            values = [kind(t) for t in items]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{what}: expected comma-separated numbers, got {text!r}"
            ) from None
        if not values:
            raise argparse.ArgumentTypeError(f"{what}: empty list")
        return values

    return parse


def split_names(text: str) -> list[str]:
    """A comma-separated list of names (blanks dropped)."""
    return [t.strip() for t in text.split(",") if t.strip()]


# ----------------------------------------------------------------------------
# the table
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Option:
    """One argument: its flags (or name) and the keywords of ``add_argument``.

    ``group`` names a mutually exclusive group of the command; ``help`` may be a
    function, called when the parser is built.
    """

    flags: tuple[str, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    group: str | None = None


def opt(*flags: str, group: str | None = None, **kwargs: Any) -> Option:
    """An :class:`Option` written like a call of ``add_argument``."""
    return Option(flags, kwargs, group)


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, its help line, its options in order, what it does, an example.

    ``description`` (a few sentences) and ``example`` (command lines) head and
    end the command's ``--help``.
    """

    name: str
    help: str
    options: tuple[Option, ...]
    description: str = ""
    example: str = ""


def _rel(path: Path) -> str:
    """A config path relative to the project root: resolved against the current folder."""
    return str(path.relative_to(PROJECT_ROOT))


def _seed(help: str = f"random seed (default {DEFAULT_SEED})") -> Option:
    return opt("--seed", type=positive_int, default=DEFAULT_SEED, help=help)


def _out(path: Path, help: str | None = None) -> Option:
    return opt(
        "--out",
        default=_rel(path),
        metavar="DIR",
        help=help or f"output folder (default {_rel(path)})",
    )


def _known(kind: int, text: str) -> Callable[[], str]:
    """A help text ending with the scenarios (0) or estimators (1) a diagnosis knows."""
    return lambda: f"{text}; known: {', '.join(pipeline.diagnosis_names()[kind])}"


#: The options before the command.
GLOBAL_OPTIONS: tuple[Option, ...] = (
    opt("--version", action="version", version=f"leadblackhole {__version__}"),
    opt("--debug", action="store_true", help="show tracebacks of internal errors"),
    opt(
        "--provenance",
        metavar="DIR",
        type=provenance_folder,
        default=None,
        help="record what each command reads and writes in DIR/provenance/ (a folder that "
        "can be written)",
    ),
)

#: The survey file and its codebook, read by every command that analyses a survey.
DATA_OPTIONS: tuple[Option, ...] = (
    opt("path", help="survey file (.csv, .parquet, .dta, .sav)"),
    opt(
        "--codebook",
        metavar="FILE",
        default=None,
        help="TOML codebook mapping the file's columns onto the schema",
    ),
)

#: The options of ``fit`` that add corrected and two-step versions of the main model
#: (docs/models.md; read by :meth:`leadblackhole.pipeline.Remedies.from_options`).
REMEDY_OPTIONS: tuple[Option, ...] = (
    opt(
        "--errors-in-variables",
        action="store_true",
        help="add <main>_eiv: the main model corrected for unreliable scale scores "
        "(docs/corrections.md)",
    ),
    opt(
        "--eiv-method",
        default=None,
        metavar="NAME",
        help="method of --errors-in-variables (default and only one: calibration)",
    ),
    opt(
        "--marker",
        default=None,
        metavar="SCALE",
        help="add <main>_marker: the main model controlling for the method factor of this "
        "marker scale of the codebook ([scales.SCALE])",
    ),
    opt(
        "--marker-loadings",
        default=None,
        metavar="auto|free|equal",
        help="method loadings of --marker: one per item, one shared by every item, or auto "
        "(default: free when the test of equal loadings rejects them at 1%%)",
    ),
    opt(
        "--correction-se",
        choices=("sandwich", "bootstrap"),
        default="sandwich",
        help="standard errors of the two corrections: the two-step sandwich (default) or a "
        "bootstrap of both steps",
    ),
    opt(
        "--correction-boot",
        type=positive_int,
        default=200,
        metavar="N",
        help="bootstrap replicates of --correction-se bootstrap, both steps redone (default "
        "200; seeded by --seed)",
    ),
    opt(
        "--endogenous",
        default=None,
        metavar="VAR[,VAR...]",
        help="endogenous model variables of the control function (default volume)",
    ),
    opt(
        "--instrument",
        default=None,
        metavar="COL[,COL...]",
        help="add <main>_cf: a control function with these extra survey columns as "
        "instruments; writes first_stage.csv and endogeneity_tests.csv",
    ),
    opt(
        "--selection-instrument",
        default=None,
        metavar="COL|none",
        help="add <main>_heckman: the selection correction with this exclusion variable "
        "(none: identified by the probit's functional form only)",
    ),
)

_RESULTS = opt("--results", default=_rel(RESULTS_DIR), help="results folder (default results)")
_FITS = _rel(FITS_FILE)

#: Every subcommand, in the order of ``leadblackhole --help``.
COMMAND_TABLE: tuple[Command, ...] = (
    Command(
        "simulate",
        "simulate a survey of the study",
        (
            _seed(),
            opt(
                "--n-reps",
                type=at_least_30,
                default=461,
                help="analysable reps, at least 30 and at least 6 in every firm (37 with "
                "four firms; default 461)",
            ),
            opt(
                "--n-zero-marketing",
                type=positive_int,
                default=0,
                help="extra reps with no marketing-lead time (default 0)",
            ),
            opt(
                "--firms",
                type=positive_int,
                default=4,
                help="number of firms, each with at least 6 analysable reps (default 4)",
            ),
            opt(
                "--no-heaping",
                action="store_true",
                help="report exact percents instead of multiples of 5",
            ),
            opt("--out", default=None, help=f"output CSV (default {_rel(SIMULATED_SURVEY)})"),
            opt(
                "--truth",
                default=None,
                metavar="CSV",
                help="also write the population value of every registry effect",
            ),
        ),
        description=(
            "Draw a survey from the population model of docs/simulation.md (the default design: 461 analysable reps in four firms) and write it as CSV, with a marker file beside it that labels every later output as simulated and keeps the population value of each effect."
        ),
        example="leadblackhole simulate --seed 20130101 --n-zero-marketing 30 --out data/simulated/reps.csv",
    ),
    Command(
        "validate",
        "check a survey file against the input contract",
        (
            *DATA_OPTIONS,
            opt(
                "--out",
                default=None,
                metavar="DIR",
                help="also write DIR/validation.md and DIR/exclusions.csv",
            ),
        ),
        description=(
            "Read a survey (CSV, Parquet, Stata, SPSS), map its columns with the codebook and check every cell against the input contract (docs/data.md); list every problem with its row, or summarize who is analysed and who is excluded."
        ),
        example="leadblackhole validate data/raw/my_survey.dta --codebook data/raw/codebook.toml --out results",
    ),
    Command(
        "measure",
        "reliability, CFA, validity, CMV checks and descriptives",
        (*DATA_OPTIONS, _out(MEASUREMENT_DIR)),
        description=(
            "The measurement model of the two scales: Cronbach's alpha, composite reliability, AVE, the CFA and its fit, discriminant validity, common-method checks and descriptive statistics."
        ),
        example="leadblackhole measure data/simulated/reps.csv --out results/measurement",
    ),
    Command(
        "fit",
        "main and robustness models, share-scale hypotheses, probing",
        (
            *DATA_OPTIONS,
            _out(
                MODELS_DIR,
                "output folder, with the fitted models in fits.json and fits.npz (data "
                f"only) (default {_rel(MODELS_DIR)})",
            ),
            opt(
                "--bootstrap",
                type=positive_int,
                default=0,
                metavar="N",
                help="bootstrap draws for the effects' intervals (default 0: none)",
            ),
            opt(
                "--bootstrap-scheme",
                choices=("stratified", "firm"),
                default="stratified",
                help="resample reps within firm (default) or whole firms (firm blocks; "
                "with four firms only 35 distinct resamples exist)",
            ),
            _seed(f"seed of the bootstrap (default {DEFAULT_SEED})"),
            opt(
                "--no-progress",
                action="store_true",
                help="no progress bars (they are shown on a terminal only)",
            ),
            opt(
                "--rounding",
                type=rounding,
                default="auto",
                metavar="auto|none|STEP",
                help="rounding step of the reported percents: auto (default: the largest of "
                "10, 5 and 1 dividing every analysable rep's pct_marketing and pct_self), none "
                "(exact shares), or a step in percentage points that divides 100; with a step "
                "the rounding-aware Dirichlet (dirichlet_rounded) is the main model",
            ),
            opt(
                "--precision",
                type=precision_formula,
                default=None,
                metavar="FORMULA",
                help="precision model of the Dirichlet models, a formula on the analysis "
                'variables, e.g. "firm + experience + performance" (default constant '
                "precision); adds precision_tests.csv (likelihood-ratio test against constant "
                "precision)",
            ),
            opt(
                "--cov",
                choices=("oim", "robust"),
                default="oim",
                help="covariance of the Dirichlet models: oim (inverse observed information, "
                "default) or robust (sandwich)",
            ),
            *REMEDY_OPTIONS,
        ),
        description=(
            "Fit the main model (the Dirichlet regression of the three time shares, rounding-aware when the percents are rounded) and the robustness models, test every hypothesis on the share scale, probe the moderations, and save the fits for `figures` and `allocate`."
        ),
        example="leadblackhole fit data/simulated/reps.csv --out results/models\nleadblackhole fit data/raw/my_survey.dta --codebook data/raw/codebook.toml --bootstrap 999",
    ),
    Command(
        "figures",
        "draw every figure (PNG and PDF) from the saved fits",
        (
            *DATA_OPTIONS,
            opt(
                "--fits",
                default=_FITS,
                metavar="FILE",
                help=f"the models `fit` saved for this survey (default {_FITS}; refused "
                "unless made from this survey file)",
            ),
            _out(FIGURES_DIR, "output folder (default figures)"),
        ),
        description=(
            "Draw every figure from the fits that `fit` saved (no model is fitted again). The fit artifact (fits.json with its arrays in fits.npz) holds data only; it is checked against the survey's SHA-256 before anything else in it is read."
        ),
        example="leadblackhole figures data/simulated/reps.csv --fits results/models/fits.json --out figures",
    ),
    Command(
        "report",
        "assemble the replication report from the outputs",
        (
            _RESULTS,
            opt("--figures", default=_rel(FIGURES_DIR), help="figures folder (default figures)"),
        ),
        description=(
            "Assemble results/report.md and results/report.html (one self-contained page to open in a browser) from the tables and figures the other commands wrote."
        ),
        example="leadblackhole report --results results --figures figures",
    ),
    Command(
        "manifest",
        "hash every recorded output into RESULTS/manifest.json",
        (_RESULTS,),
        description=(
            "Hash every output the commands recorded (run them with --provenance RESULTS) into RESULTS/manifest.json, with the command, inputs and versions behind each."
        ),
        example="leadblackhole manifest --results results",
    ),
    Command(
        "notebook",
        "execute a notebook and write the executed copy",
        (
            opt("notebook", help="the .ipynb file"),
            opt("--out", required=True, help="where to write the executed notebook"),
            opt(
                "--timeout",
                type=positive_int,
                default=300,
                help="seconds allowed per cell (default 300)",
            ),
        ),
        description=("Execute a notebook of notebooks/ and write the executed copy."),
        example="leadblackhole notebook notebooks/01_simulate_the_study.ipynb --out results/notebooks/01.ipynb",
    ),
    Command(
        "allocate",
        "compare lead-allocation policies for a monthly budget",
        (
            *DATA_OPTIONS,
            opt(
                "--leads",
                metavar="N",
                help="monthly lead budget (default the survey's total; at most 10 times it)",
            ),
            opt(
                "--policy",
                default="all",
                choices=("equal", "score", "optimal", "all"),
                help="policy to evaluate (default all: observed, equal, score, optimal)",
            ),
            opt(
                "--scenario",
                nargs="+",
                default=["all"],
                choices=("baseline", "prequal_up", "no_tracking_top", "all"),
                help="scenarios (default all)",
            ),
            opt(
                "--draws",
                type=positive_int,
                default=200,
                help="draws of the estimates (default 200)",
            ),
            _seed(f"seed (default {DEFAULT_SEED})"),
            opt("--hours-per-lead", type=float, metavar="H", help="default: from the survey"),
            opt("--hours-per-week", type=float, metavar="H", help="for reps without an answer"),
            opt(
                "--oracle",
                action="store_true",
                help="add the oracle (default simulated design); only on a survey written by "
                "`simulate`, with its marker",
            ),
            opt(
                "--fits",
                default=None,
                metavar="FILE",
                help=f"the models `fit` saved (for example {_FITS}); without it the model "
                "is fitted now (no artifact is read unless named here)",
            ),
            opt(
                "--model",
                metavar="NAME",
                help="the fitted model the allocation reads (default the main model)",
            ),
            _out(ALLOCATION_DIR),
        ),
        description=(
            "Compare policies for sharing a monthly budget of marketing leads among the reps, read from the main model `fit` saved: leads followed up, leads lost to the black hole, hours."
        ),
        example="leadblackhole allocate data/simulated/reps.csv --fits results/models/fits.json --leads 2000",
    ),
    # bad scenario or estimator names are reported by the diagnosis (exit 2)
    Command(
        "diagnose",
        "design diagnosis: bias, coverage and power of each estimator (on Dask)",
        (
            opt("--sims", type=int, required=True, help="replications per cell (>= 1)"),
            opt("--seed", type=int, required=True, help="master seed"),
            opt(
                "--n-reps",
                type=number_list(int, "--n-reps"),
                default=[461],
                metavar="N,N,...",
                help="analysable reps per simulated study (default 461)",
            ),
            opt(
                "--effect-scale",
                type=number_list(float, "--effect-scale"),
                default=[1.0],
                metavar="S,S,...",
                help="multipliers of every slope (default 1)",
            ),
            opt(
                "--scenario",
                nargs="+",
                default=["default"],
                metavar="NAME",
                help=_known(0, "scenarios (default 'default')"),
            ),
            opt(
                "--estimators",
                type=split_names,
                default=["dirichlet", "ols", "fractional_logit"],
                metavar="NAME,...",
                help=_known(1, "estimators (default dirichlet,ols,fractional_logit)"),
            ),
            opt(
                "--workers",
                group="where",
                type=int,
                default=None,
                metavar="K",
                help="worker processes of a local Dask cluster (default one per core; 0: no Dask)",
            ),
            opt(
                "--scheduler",
                group="where",
                default=None,
                metavar="ADDRESS",
                help="existing Dask scheduler address",
            ),
            opt(
                "--connect-timeout",
                type=seconds,
                default=10.0,
                metavar="SECONDS",
                help="seconds to wait for --scheduler (default 10)",
            ),
            opt(
                "--chunk-size",
                type=int,
                default=25,
                help="replications per Dask task (default 25)",
            ),
            opt("--no-progress", action="store_true", help="no progress bar"),
            opt("--no-figures", action="store_true", help="do not draw the figures"),
            _out(DIAGNOSIS_DIR),
        ),
        description=(
            "Monte Carlo design diagnosis on Dask: simulate many studies, fit each estimator, and report bias, coverage and power per hypothesis (docs/simulation.md)."
        ),
        example="leadblackhole diagnose --sims 200 --seed 20130101 --scenario default rounding_10 --workers 4",
    ),
)


def add_options(parser: argparse.ArgumentParser, options: Sequence[Option]) -> None:
    """Add the options to ``parser``, in order (mutually exclusive groups made as met)."""
    groups: dict[str, Any] = {}
    for option in options:
        target: Any = parser
        if option.group is not None:
            if option.group not in groups:
                groups[option.group] = parser.add_mutually_exclusive_group()
            target = groups[option.group]
        kwargs = dict(option.kwargs)
        if callable(kwargs.get("help")):
            kwargs["help"] = kwargs["help"]()
        target.add_argument(*option.flags, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand of :data:`COMMAND_TABLE`."""
    parser = Parser(
        prog="leadblackhole",
        description="Replication package for Sabnis et al. (2013), 'The Sales Lead Black Hole'.",
    )
    add_options(parser, GLOBAL_OPTIONS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for command in COMMAND_TABLE:
        description = command.description or command.help[:1].upper() + command.help[1:] + "."
        example = "\n".join(f"  {line}" for line in command.example.splitlines())
        add_options(
            sub.add_parser(
                command.name,
                help=command.help,
                description=textwrap.fill(description, width=78),
                epilog=f"example:\n{example}" if example else None,
                formatter_class=argparse.RawDescriptionHelpFormatter,
            ),
            command.options,
        )
    return parser
