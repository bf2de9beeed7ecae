"""Command-line interface: ``leadblackhole <command> ...``.

The commands only wire the packages together: data shaping lives in
:mod:`leadblackhole.data`, fitting in :mod:`leadblackhole.models` and
:mod:`leadblackhole.effects`, every file in :mod:`leadblackhole.reporting`.
``fit`` saves the fitted models (``fits.pickle``) and ``figures`` draws from
them, so no model is fitted twice. Default paths come from
:mod:`leadblackhole.config`; every option also accepts ``--option=value``.

Exit codes: 0 success; 2 a problem with the user's input (every problem is
listed, no traceback), with the environment (an output location that cannot be
written, a full disk, an unreadable input) or a missing optional dependency;
1 an internal error; 130 / 143 interrupted by SIGINT / SIGTERM (outputs are
left as they were). ``--debug`` shows the traceback of an internal error.

Every output location is checked (and locked) before any computing. Python
warnings raised during a command (the package's own, numpy's, pandas') are
not shown as tracebacks: they are printed as plain ``warning:`` lines and
written to ``<command>.log`` in the command's output folder.
"""

from __future__ import annotations

import argparse
import errno
import signal
import subprocess
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from . import __version__
from .config import blas_threads
from .exceptions import LeadBlackHoleUserError, OutputError

__all__ = ["main"]

EXIT_OK, EXIT_INTERNAL, EXIT_USER = 0, 1, 2
EXIT_SIGINT, EXIT_SIGTERM = 128 + signal.SIGINT, 128 + signal.SIGTERM

#: errno values of an OSError that are the environment's, not a bug (exit 2).
_ENVIRONMENT_ERRNOS = frozenset(
    {
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.ENOENT,
        errno.ENAMETOOLONG,
        errno.EMFILE,
        errno.EIO,
    }
)


class _Terminated(SystemExit):
    """Raised by the SIGTERM handler so that every ``finally`` block runs."""


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


def _at_least_30(text: str) -> int:
    v = _positive_int(text)
    if v < 30:
        raise argparse.ArgumentTypeError(f"expected at least 30 reps, got {v}")
    return v


def _rounding(text: str) -> str | float:
    """``auto``, ``none`` or a rounding step that divides 100 (checked by the models layer)."""
    from .models.model_set import parse_rounding

    if text.strip().lower() in ("auto", "none"):
        return text.strip().lower()
    try:
        return parse_rounding(text)
    except LeadBlackHoleUserError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _record(args: argparse.Namespace, step: str, inputs, outputs, seed=None) -> None:
    """Record the step's provenance when ``--provenance DIR`` was given."""
    if getattr(args, "provenance", None):
        from .reporting.manifest import record_provenance

        record_provenance(
            args.provenance,
            step,
            args.argv,
            inputs=inputs,
            outputs=outputs,
            seed=seed,
            data=getattr(args, "path", None),
        )


def _cmd_simulate(args: argparse.Namespace) -> int:
    from .config import SIMULATED_SURVEY
    from .data.source import marker_path, simulation_marker
    from .outputs import atomic_write_text, check_output_file, table_to_csv
    from .simulation import StudyDesign, simulate

    out = Path(args.out) if args.out else SIMULATED_SURVEY
    for target in [out] + ([Path(args.truth)] if args.truth else []):
        check_output_file(target)  # before computing
    if args.truth and Path(args.truth).resolve() == out.resolve():
        raise OutputError("--truth and --out name the same file; give two different files")
    changes = {"n_reps": args.n_reps, "n_zero_marketing": args.n_zero_marketing}
    if args.no_heaping:
        changes["heap_step"] = 0
    design = StudyDesign.for_firms(args.firms, **changes)
    survey, truth = simulate(design, seed=args.seed)
    text = table_to_csv(survey)
    marker = marker_path(out)
    atomic_write_text(out, text)
    command = " ".join(["leadblackhole", *args.argv])
    atomic_write_text(marker, simulation_marker(text, args.seed, command))
    print(f"wrote {out} ({len(survey)} reps in {len(design.firms)} firms, seed {args.seed})")
    if args.truth:
        atomic_write_text(args.truth, table_to_csv(truth.effects.reset_index()))
        print(f"wrote {args.truth} (population effects)")
    _record(args, "data", [], [out, marker] + ([args.truth] if args.truth else []), seed=args.seed)
    return EXIT_OK


def _output_set(args: argparse.Namespace, outdir, name: str):
    """The command's output set: location checked and locked now, before any computing."""
    from .outputs import OutputSet

    out = OutputSet(outdir, name=name, inputs=_inputs(args), log=args.log)
    args.open_sets.append(out)
    return out.prepare()


def _inputs(args: argparse.Namespace) -> list:
    return [getattr(args, k, None) for k in ("path", "codebook", "fits")]


def _load_frame(args: argparse.Namespace):
    from .data import build_analysis_frame, load_survey

    progress = not getattr(args, "no_progress", True) and sys.stderr.isatty()
    survey = load_survey(args.path, codebook=args.codebook, progress=progress)
    return survey, build_analysis_frame(survey)


def _data_notes(args: argparse.Namespace, agreement: bool = False) -> tuple[str, ...]:
    """The label of outputs made from simulated data (empty for a researcher's own survey)."""
    from .data.source import data_source

    src = data_source(args.path)
    if not src.simulated:
        return ()
    return (src.label, src.agreement_note) if agreement else (src.label,)


def _data_source(args: argparse.Namespace):
    from .data.source import data_source

    return data_source(args.path)


def _cmd_validate(args: argparse.Namespace) -> int:
    out = _output_set(args, args.out, "validate") if args.out else None
    survey, frame = _load_frame(args)
    print(f"{survey.source}: the survey meets the input contract")
    print(frame.summary())
    if len(frame.exclusions):
        shown = 10
        print("\nexcluded reps (row, rep_id, reason):")
        for r in frame.exclusions.head(shown).itertuples(index=False):
            print(f"  {r.row:5d}  {r.rep_id}  {r.reason}")
        if len(frame.exclusions) > shown:
            where = " (all in exclusions.csv)" if args.out else ""
            print(f"  ... and {len(frame.exclusions) - shown} more{where}")
    if out is not None:
        from .reporting.tables import validation_markdown

        notes = _data_notes(args)
        text = validation_markdown(survey.source, frame, notes[0] if notes else None)
        out.add_text("validation.md", text)
        out.add_table("exclusions", frame.exclusions, formats=("csv",))
        paths = out.commit()
        _record(args, "validate", [args.path, args.codebook], paths.values())
    return EXIT_OK


def _cmd_measure(args: argparse.Namespace) -> int:
    from .measurement import run_measurement
    from .reporting.tables import stage_measurement, write_outputs

    out = _output_set(args, args.out, "measure")
    survey, frame = _load_frame(args)
    items, scales, variables, groups = frame.measurement_inputs(survey)
    report = run_measurement(items, scales, variables=variables, groups=groups)
    notes = _data_notes(args)
    paths = write_outputs(out, (partial(stage_measurement, data_notes=notes), report))
    print(f"wrote {len(paths)} files to {args.out} (measurement model on {frame.n} reps)")
    _record(args, "measure", [args.path, args.codebook], paths.values())
    return EXIT_OK


def _cmd_fit(args: argparse.Namespace) -> int:
    from .effects import run_hypotheses
    from .models import run_models
    from .reporting.artifacts import FitArtifact, file_sha256
    from .reporting.tables import (
        stage_data_source,
        stage_hypotheses,
        stage_models,
        write_outputs,
    )

    out = _output_set(args, args.out, "fit")
    _, frame = _load_frame(args)
    progress = not args.no_progress and sys.stderr.isatty()
    models = run_models(
        frame,
        rounding=args.rounding,
        precision=args.precision,
        cov_type=args.cov,
        progress=progress,
    )
    main = models.main
    others = [
        res for name, res in models.fits.items() if name in ("dirichlet_rounded", "dirichlet")
    ]
    others = [res for res in others if res is not main]
    others += [models.fmlogit, models.fractional_logit, models.ols]
    if models.two_part is not None:  # effects on the unconditional share, over every rep
        others.append((models.two_part, frame.selection))
    hyps = run_hypotheses(
        frame,
        main,
        others,
        bootstrap=args.bootstrap,
        seed=args.seed,
        scheme=args.bootstrap_scheme,
        progress=progress,
        firm_checks=True,
        rounding_step=models.rounding_step,
    )
    keep = ("dirichlet_rounded", "dirichlet", "fmlogit", "fractional_logit", "ols")
    fits = {name: res for name, res in models.fits.items() if name in keep}
    artifact = FitArtifact(fits, hyps, file_sha256(args.path))
    notes = _data_notes(args, agreement=True)
    paths = write_outputs(
        out,
        (partial(stage_models, data_notes=notes[:1]), models),
        (partial(stage_hypotheses, data_notes=notes), hyps),
        (FitArtifact.stage, artifact),
        (partial(stage_data_source, path=args.path), _data_source(args)),
    )
    print(models.summary())
    print(f"wrote {len(paths)} files to {args.out}")
    _record(
        args,
        "fit",
        [args.path, args.codebook],
        paths.values(),
        seed=args.seed if args.bootstrap else None,
    )
    return EXIT_OK


def _cmd_figures(args: argparse.Namespace) -> int:
    from .models import main_model_name
    from .reporting.artifacts import FitArtifact
    from .reporting.figures import make_figures

    out = _output_set(args, args.out, "figures")
    _, frame = _load_frame(args)
    fits = FitArtifact.load(args.fits, args.path)
    main = fits.fits[main_model_name(fits.fits)]
    notes = _data_notes(args)
    paths = make_figures(
        frame,
        main,
        out,
        report=fits.hypotheses,
        data_note=notes[0] if notes else None,
    )
    print(f"wrote {len(paths)} figure files to {args.out}")
    _record(args, "figures", [args.path, args.codebook, args.fits], paths)
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from .reporting.replication_report import build_report

    out = build_report(args.results, args.figures)
    out.name, out.log = "report", args.log
    args.open_sets.append(out)
    paths = out.commit()
    for p in paths.values():
        print(f"wrote {p}")
    _record(args, "report", [], paths.values())
    return EXIT_OK


def _cmd_manifest(args: argparse.Namespace) -> int:
    from .reporting.manifest import build_manifest

    print(f"wrote {build_manifest(args.results)}")
    return EXIT_OK


def _cmd_notebook(args: argparse.Namespace) -> int:
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError as exc:
        raise _UserArgumentError(
            f"the notebook command needs nbformat and nbclient ({exc.name} is missing); "
            "install them with: pip install 'leadblackhole[dev]'"
        ) from None

    from .outputs import atomic_write_text

    src = Path(args.notebook)
    if not src.is_file():
        raise _UserArgumentError(f"notebook {src.name} not found")
    nb = nbformat.read(src, as_version=4)
    NotebookClient(
        nb,
        timeout=args.timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(src.parent)}},
    ).execute(
        # the kernel's own log lines (a warning about its local TCP transport) are noise
        # here; errors in the notebook's cells come back through the kernel protocol
        stderr=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
    nb.metadata.get("language_info", {}).pop("version", None)
    atomic_write_text(args.out, nbformat.writes(nb) + "\n", inputs=[src])
    print(f"wrote {args.out}")
    _record(args, f"notebook_{src.stem}", [src], [args.out])
    return EXIT_OK


def _number_list(kind, what: str):
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


def _names(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _cmd_diagnose(args: argparse.Namespace) -> int:
    from .diagnosis import run_diagnosis
    from .reporting.diagnosis_figures import write_diagnosis_figures

    scenarios = [s for item in args.scenario for s in _names(item)]
    result = run_diagnosis(
        args.out,
        sims=args.sims,
        seed=args.seed,
        n_reps=args.n_reps,
        effect_scales=args.effect_scale,
        scenarios=scenarios,
        estimators=args.estimators,
        workers=args.workers,
        scheduler=args.scheduler,
        chunk_size=args.chunk_size,
        progress=not args.no_progress,
        connect_timeout=args.connect_timeout,
    )
    written = list(result.paths.values())
    if not args.no_figures:
        written += list(write_diagnosis_figures(result.diagnosands, f"{args.out}/figures").values())
    print(
        f"design diagnosis: {result.n_computed} fits computed "
        f"({len(result.replications)} effect rows in all) in {result.seconds:.1f} s"
    )
    for path in written:
        print(f"wrote {path}")
    _record(args, "diagnosis", [], written, seed=args.seed)
    return EXIT_OK


def _cmd_allocate(args: argparse.Namespace) -> int:
    from .allocation import SCENARIOS, allocate, check_budget
    from .models import fit_share_model, main_model_name, rounding_step_of
    from .reporting.allocation import stage_allocation_figure
    from .reporting.artifacts import FitArtifact

    budget = None if args.leads is None else check_budget(args.leads)
    out = _output_set(args, args.out, "allocate")
    _, frame = _load_frame(args)
    saved = Path(args.fits).is_file()
    if saved:  # the main model `fit` saved for this survey (refused if fitted on another file)
        fits = FitArtifact.load(args.fits, args.path).fits
        name = main_model_name(fits)
        model = fits[name]
        print(f"main model: the {name} fit saved in {args.fits}")
    else:
        # the same choice `fit --rounding auto` makes: rounding-aware when the answers are rounded
        name = "dirichlet_rounded" if rounding_step_of(frame) is not None else "dirichlet"
        model = fit_share_model(frame, name)
        print(f"main model: {name}, fitted now ({args.fits} not found)")
    truth = None
    if args.oracle:
        from .simulation import StudyDesign, simulate

        truth = simulate(StudyDesign(), seed=0).truth
    policies = ["equal", "score", "optimal"] if args.policy == "all" else [args.policy]
    if budget is None and args.policy == "all":
        policies.insert(0, "observed")
    res = allocate(
        model,
        frame,
        budget=budget,
        policies=policies,
        scenarios=SCENARIOS if "all" in args.scenario else args.scenario,
        n_draws=args.draws,
        seed=args.seed,
        hours_per_lead=args.hours_per_lead,
        hours_per_week=args.hours_per_week,
        truth=truth,
    )
    out.add_table("allocation", res.allocation, formats=("csv",))
    out.add_table("policies", res.policies, formats=("csv",))
    out.add_text("assumptions.txt", res.summary() + "\n")
    notes = _data_notes(args)
    stage_allocation_figure(out, res.policies, data_note=notes[0] if notes else None)
    paths = out.commit()
    print(res.summary())
    print(f"wrote {len(paths)} files to {args.out}")
    inputs = [args.path, args.codebook] + ([args.fits] if saved else [])
    _record(args, "allocate", inputs, paths.values(), seed=args.seed)
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "simulate": _cmd_simulate,
    "validate": _cmd_validate,
    "measure": _cmd_measure,
    "fit": _cmd_fit,
    "figures": _cmd_figures,
    "report": _cmd_report,
    "manifest": _cmd_manifest,
    "notebook": _cmd_notebook,
    "diagnose": _cmd_diagnose,
    "allocate": _cmd_allocate,
}


def _add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", help="survey file (.csv, .parquet, .dta, .sav)")
    p.add_argument(
        "--codebook",
        metavar="FILE",
        default=None,
        help="TOML codebook mapping the file's columns onto the schema",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
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

    def rel(path: Path) -> str:
        """A config path relative to the project root: resolved against the current folder."""
        return str(path.relative_to(PROJECT_ROOT))

    parser = _Parser(
        prog="leadblackhole",
        description=("Replication package for Sabnis et al. (2013), 'The Sales Lead Black Hole'."),
    )
    parser.add_argument("--version", action="version", version=f"leadblackhole {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    parser.add_argument(
        "--provenance",
        metavar="DIR",
        default=None,
        help="record what each command reads and writes in DIR/provenance/",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("simulate", help="simulate a survey of the study")
    p.add_argument(
        "--seed",
        type=_positive_int,
        default=DEFAULT_SEED,
        help=f"random seed (default {DEFAULT_SEED})",
    )
    p.add_argument(
        "--n-reps",
        type=_at_least_30,
        default=461,
        help="analysable reps, at least 30 (default 461)",
    )
    p.add_argument(
        "--n-zero-marketing",
        type=_positive_int,
        default=0,
        help="extra reps with no marketing-lead time (default 0)",
    )
    p.add_argument("--firms", type=_positive_int, default=4, help="number of firms (default 4)")
    p.add_argument(
        "--no-heaping", action="store_true", help="report exact percents instead of multiples of 5"
    )
    p.add_argument("--out", default=None, help=f"output CSV (default {rel(SIMULATED_SURVEY)})")
    p.add_argument(
        "--truth",
        default=None,
        metavar="CSV",
        help="also write the population value of every registry effect",
    )

    p = sub.add_parser("validate", help="check a survey file against the input contract")
    _add_data_args(p)
    p.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="also write DIR/validation.md and DIR/exclusions.csv",
    )

    p = sub.add_parser("measure", help="reliability, CFA, validity, CMV checks and descriptives")
    _add_data_args(p)
    p.add_argument(
        "--out",
        default=rel(MEASUREMENT_DIR),
        metavar="DIR",
        help=f"output folder (default {rel(MEASUREMENT_DIR)})",
    )

    p = sub.add_parser("fit", help="main and robustness models, share-scale hypotheses, probing")
    _add_data_args(p)
    p.add_argument(
        "--out",
        default=rel(MODELS_DIR),
        metavar="DIR",
        help=f"output folder, with the fitted models in fits.pickle (default {rel(MODELS_DIR)})",
    )
    p.add_argument(
        "--bootstrap",
        type=_positive_int,
        default=0,
        metavar="N",
        help="bootstrap draws for the effects' intervals (default 0: none)",
    )
    p.add_argument(
        "--bootstrap-scheme",
        choices=("stratified", "firm"),
        default="stratified",
        help="resample reps within firm (default) or whole firms (firm blocks; "
        "with four firms only 35 distinct resamples exist)",
    )
    p.add_argument(
        "--seed",
        type=_positive_int,
        default=DEFAULT_SEED,
        help=f"seed of the bootstrap (default {DEFAULT_SEED})",
    )
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bars (they are shown on a terminal only)",
    )
    p.add_argument(
        "--rounding",
        type=_rounding,
        default="auto",
        metavar="auto|none|STEP",
        help="rounding step of the reported percents: auto (default: the largest of 10, 5 "
        "and 1 dividing every analysable rep's pct_marketing and pct_self), none (exact "
        "shares), or a step in percentage points that divides 100; with a step the "
        "rounding-aware Dirichlet (dirichlet_rounded) is the main model",
    )
    p.add_argument(
        "--precision",
        default=None,
        metavar="FORMULA",
        help="precision model of the Dirichlet models, a formula on the analysis variables, "
        'e.g. "firm + experience + performance" (default constant precision); adds '
        "precision_tests.csv (likelihood-ratio test against constant precision)",
    )
    p.add_argument(
        "--cov",
        choices=("oim", "robust"),
        default="oim",
        help="covariance of the Dirichlet models: oim (inverse observed information, "
        "default) or robust (sandwich)",
    )

    p = sub.add_parser("figures", help="draw every figure (PNG and PDF) from the saved fits")
    _add_data_args(p)
    p.add_argument(
        "--fits",
        default=rel(FITS_FILE),
        metavar="FILE",
        help=f"the models `fit` saved for this survey (default {rel(FITS_FILE)})",
    )
    p.add_argument(
        "--out", default=rel(FIGURES_DIR), metavar="DIR", help="output folder (default figures)"
    )

    results = {"default": rel(RESULTS_DIR), "help": "results folder (default results)"}
    p = sub.add_parser("report", help="assemble the replication report from the outputs")
    p.add_argument("--results", **results)
    p.add_argument("--figures", default=rel(FIGURES_DIR), help="figures folder (default figures)")

    p = sub.add_parser("manifest", help="hash every recorded output into RESULTS/manifest.json")
    p.add_argument("--results", **results)

    p = sub.add_parser("notebook", help="execute a notebook and write the executed copy")
    p.add_argument("notebook", help="the .ipynb file")
    p.add_argument("--out", required=True, help="where to write the executed notebook")
    p.add_argument(
        "--timeout", type=_positive_int, default=300, help="seconds allowed per cell (default 300)"
    )

    p = sub.add_parser("allocate", help="compare lead-allocation policies for a monthly budget")
    _add_data_args(p)
    p.add_argument("--leads", metavar="N", help="monthly lead budget (default the survey's total)")
    p.add_argument(
        "--policy",
        default="all",
        choices=("equal", "score", "optimal", "all"),
        help="policy to evaluate (default all: observed, equal, score, optimal)",
    )
    p.add_argument(
        "--scenario",
        nargs="+",
        default=["all"],
        choices=("baseline", "prequal_up", "no_tracking_top", "all"),
        help="scenarios (default all)",
    )
    p.add_argument(
        "--draws", type=_positive_int, default=200, help="draws of the estimates (default 200)"
    )
    p.add_argument(
        "--seed", type=_positive_int, default=DEFAULT_SEED, help=f"seed (default {DEFAULT_SEED})"
    )
    p.add_argument("--hours-per-lead", type=float, metavar="H", help="default: from the survey")
    p.add_argument("--hours-per-week", type=float, metavar="H", help="for reps without an answer")
    p.add_argument(
        "--oracle", action="store_true", help="add the oracle (default simulated design)"
    )
    p.add_argument(
        "--fits",
        default=rel(FITS_FILE),
        metavar="FILE",
        help=f"the main model `fit` saved, used when the file exists (default {rel(FITS_FILE)})",
    )
    p.add_argument(
        "--out",
        default=rel(ALLOCATION_DIR),
        metavar="DIR",
        help=f"output folder (default {rel(ALLOCATION_DIR)})",
    )
    _add_diagnose_parser(sub, rel(DIAGNOSIS_DIR))
    return parser


def _add_diagnose_parser(sub, out: str) -> None:
    """The ``diagnose`` subcommand (bad names are reported by the diagnosis, exit 2)."""
    from .diagnosis import ESTIMATORS, SCENARIOS

    p = sub.add_parser(
        "diagnose",
        help="design diagnosis: bias, coverage and power of each estimator (on Dask)",
    )
    p.add_argument("--sims", type=int, required=True, help="replications per cell (>= 1)")
    p.add_argument("--seed", type=int, required=True, help="master seed")
    p.add_argument(
        "--n-reps",
        type=_number_list(int, "--n-reps"),
        default=[461],
        metavar="N,N,...",
        help="analysable reps per simulated study (default 461)",
    )
    p.add_argument(
        "--effect-scale",
        type=_number_list(float, "--effect-scale"),
        default=[1.0],
        metavar="S,S,...",
        help="multipliers of every slope (default 1)",
    )
    p.add_argument(
        "--scenario",
        nargs="+",
        default=["default"],
        metavar="NAME",
        help=f"scenarios (default 'default'); known: {', '.join(SCENARIOS)}",
    )
    p.add_argument(
        "--estimators",
        type=_names,
        default=["dirichlet", "ols", "fractional_logit"],
        metavar="NAME,...",
        help=f"estimators (default dirichlet,ols,fractional_logit); known: {', '.join(ESTIMATORS)}",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="K",
        help="worker processes of a local Dask cluster (default one per core; 0: no Dask)",
    )
    where.add_argument(
        "--scheduler", default=None, metavar="ADDRESS", help="existing Dask scheduler address"
    )
    p.add_argument(
        "--connect-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="seconds to wait for --scheduler (default 10)",
    )
    p.add_argument(
        "--chunk-size", type=int, default=25, help="replications per Dask task (default 25)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-figures", action="store_true", help="do not draw the figures")
    p.add_argument("--out", default=out, metavar="DIR", help=f"output folder (default {out})")


def _command_argv(argv: Sequence[str]) -> list[str]:
    """The arguments that define a step's outputs: without --debug and --provenance."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--provenance":
            skip = True
        elif a != "--debug" and not a.startswith("--provenance="):
            out.append(a)
    return out


def _environment_message(exc: OSError) -> str:
    where = f" {exc.filename}" if exc.filename else ""
    reason = exc.strerror or str(exc)
    return f"cannot use{where}: {reason}; check the path and its permissions"


def _on_sigterm(signum, frame):  # noqa: ARG001 - the signal handler's signature
    raise _Terminated(EXIT_SIGTERM)


class _RunLog:
    """The run's log: the Python warnings caught so far, one plain line each (no duplicates).

    An output set iterates over it when it commits (``<command>.log``); ``main`` prints it.
    """

    def __init__(self, caught: list) -> None:
        self.caught = caught

    def __iter__(self):
        lines = (f"{w.category.__name__}: {w.message}" for w in self.caught)
        return iter(dict.fromkeys(" ".join(str(x).split()) for x in lines))


def _blas_limit():
    """Limit the BLAS library to ``config.blas_threads()`` threads for the run."""
    # the limit reaches only libraries already loaded: numpy's and scipy's OpenBLAS
    import numpy  # noqa: F401
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_limits

    try:
        threads = blas_threads()
    except ValueError as exc:
        raise _UserArgumentError(str(exc)) from None
    return threadpool_limits(limits=threads, user_api="blas")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 success, 2 user or environment error, 1 internal error, 130/143 interrupted.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    caught: list = []
    open_sets: list = []
    try:
        old_term = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # pragma: no cover - not the main thread
        old_term = None
    try:
        with warnings.catch_warnings(record=True) as caught, _blas_limit():
            warnings.simplefilter("always")
            args = build_parser().parse_args(argv)
            args.argv = _command_argv(argv)
            args.log = _RunLog(caught)
            args.open_sets = open_sets
            return COMMANDS[args.command](args)
    except LeadBlackHoleUserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER
    except OSError as exc:
        if exc.errno in _ENVIRONMENT_ERRNOS:
            print(f"error: {_environment_message(exc)}", file=sys.stderr)
            return EXIT_USER
        return _internal(exc, debug)
    except KeyboardInterrupt:
        print("interrupted: outputs are left as they were", file=sys.stderr)
        return EXIT_SIGINT
    except _Terminated:
        print("terminated: outputs are left as they were", file=sys.stderr)
        return EXIT_SIGTERM
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        return _internal(exc, debug)
    finally:
        for out in open_sets:
            out.close()
        for line in _RunLog(caught):
            print(f"warning: {line}", file=sys.stderr)
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)


def _internal(exc: BaseException, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    print(
        f"internal error: {type(exc).__name__}: {exc}\n"
        "This is a bug in leadblackhole; rerun with --debug for the traceback.",
        file=sys.stderr,
    )
    return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
