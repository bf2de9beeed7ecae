"""Command-line interface: ``leadblackhole <command> ...``, argparse plus dispatch.

Each command is one small function: it loads the survey
(:mod:`leadblackhole.data`), calls a step of :mod:`leadblackhole.pipeline`,
hands the results to :mod:`leadblackhole.reporting` to stage and commits the
output set. The subcommands and their options are the table of
:mod:`leadblackhole.cli_options`; the process around a command is
:mod:`leadblackhole.cli_runner`. ``fit`` saves the fitted models (``fits.json``,
data only) and ``figures`` draws from them, so no model is fitted twice.
Default paths come from :mod:`leadblackhole.config`; every option also accepts
``--option=value``.

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
import sys
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path

from . import pipeline
from .cli_options import build_parser, split_names
from .cli_runner import (
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_SIGINT,
    EXIT_SIGTERM,
    EXIT_USER,
    open_output_set,
    run_command_line,
)
from .exceptions import OutputError

__all__ = ["EXIT_INTERNAL", "EXIT_OK", "EXIT_SIGINT", "EXIT_SIGTERM", "EXIT_USER", "main"]


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


def _load_frame(args: argparse.Namespace, extra: Sequence[str] = ()):
    from .data import attach_extra_columns, build_analysis_frame, load_survey

    progress = not getattr(args, "no_progress", True) and sys.stderr.isatty()
    survey = load_survey(args.path, codebook=args.codebook, progress=progress, extra_columns=extra)
    return survey, attach_extra_columns(build_analysis_frame(survey), survey, extra)


def _data_notes(args: argparse.Namespace, agreement: bool = False) -> tuple[str, ...]:
    """The label of outputs made from simulated data (empty for a researcher's own survey)."""
    src = _data_source(args)
    if not src.simulated:
        return ()
    return (src.label, src.agreement_note) if agreement else (src.label,)


def _data_note(args: argparse.Namespace) -> str | None:
    """The label of outputs made from simulated data, or None."""
    notes = _data_notes(args)
    return notes[0] if notes else None


def _data_source(args: argparse.Namespace):
    from .data.source import data_source

    return data_source(args.path)


# the commands: load, call the pipeline, hand the results to reporting, commit
def _cmd_simulate(args: argparse.Namespace) -> int:
    from .config import SIMULATED_SURVEY
    from .data.source import marker_path, simulated_column, simulation_marker
    from .outputs import FileGroup, check_output_file
    from .tables_text import table_to_csv

    out = Path(args.out) if args.out else SIMULATED_SURVEY
    marker = marker_path(out)
    for target in [out] + ([Path(args.truth)] if args.truth else []):
        check_output_file(target)  # before computing
    if args.truth and Path(args.truth).resolve() in (out.resolve(), marker.resolve()):
        raise OutputError(
            f"--truth {args.truth} names the survey or its simulation marker; give another file"
        )
    study = pipeline.simulate(
        seed=args.seed,
        n_reps=args.n_reps,
        n_zero_marketing=args.n_zero_marketing,
        firms=args.firms,
        heaping=not args.no_heaping,
    )
    text = table_to_csv(study.survey)
    command = " ".join(["leadblackhole", *args.argv])
    truth, label = study.truth.effects["value"].to_dict(), simulated_column(args.seed)
    group = FileGroup()  # the survey, its marker and the truth: all new or none
    args.open_sets.append(group)
    group.add_bytes(out, text.encode("utf-8"))
    group.add_bytes(
        marker, simulation_marker(text, args.seed, command, truth=truth).encode("utf-8")
    )
    if args.truth:
        truth_csv = table_to_csv(study.truth.effects.reset_index(), data_source=label)
        group.add_bytes(args.truth, truth_csv.encode())
    group.commit()
    n_firms = len(study.design.firms)
    print(f"wrote {out} ({len(study.survey)} reps in {n_firms} firms, seed {args.seed})")
    if args.truth:
        print(f"wrote {args.truth} (population effects)")
    _record(args, "data", [], [out, marker] + ([args.truth] if args.truth else []), seed=args.seed)
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    out = open_output_set(args, args.out, "validate") if args.out else None
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

        text = validation_markdown(survey.source, frame, _data_note(args))
        out.add_text("validation.md", text)
        out.add_table("exclusions", frame.exclusions, formats=("csv",))
        paths = out.commit()
        _record(args, "validate", [args.path, args.codebook], paths.values())
    return EXIT_OK


def _cmd_measure(args: argparse.Namespace) -> int:
    from .reporting.tables import stage_measurement, stage_table_set, write_outputs

    out = open_output_set(args, args.out, "measure")
    survey, frame = _load_frame(args)
    report, marker = pipeline.measure(survey, frame), pipeline.marker_cmv(survey, frame)
    notes = _data_notes(args)
    paths = write_outputs(
        out,
        (partial(stage_measurement, data_notes=notes), report),
        (partial(stage_table_set, data_notes=notes), marker),
    )
    print(f"wrote {len(paths)} files to {args.out} (measurement model on {frame.n} reps)")
    _record(args, "measure", [args.path, args.codebook], paths.values())
    return EXIT_OK


def _cmd_fit(args: argparse.Namespace) -> int:
    from .reporting.artifacts import FitArtifact
    from .reporting.tables import (
        stage_data_source,
        stage_fit_tables,
        stage_hypotheses,
        stage_models,
        write_outputs,
    )

    remedies = pipeline.Remedies.from_options(**{k: vars(args)[k] for k in pipeline.REMEDY_OPTIONS})
    out = open_output_set(args, args.out, "fit")
    survey, frame = _load_frame(args, remedies.extra_columns)
    progress = not args.no_progress and sys.stderr.isatty()
    fitted = pipeline.fit(
        frame,
        rounding=args.rounding,
        precision=args.precision,
        cov_type=args.cov,
        progress=progress,
        remedies=remedies,
        survey=survey,
    )
    hyps = pipeline.hypotheses(
        frame,
        fitted,
        bootstrap=args.bootstrap,
        seed=args.seed,
        scheme=args.bootstrap_scheme,
        progress=progress,
    )
    artifact = FitArtifact.from_fit(fitted.kept, hyps, args.path, frame)
    notes = _data_notes(args, agreement=True)
    paths = write_outputs(
        out,
        (partial(stage_models, data_notes=notes[:1]), fitted.models),
        (partial(stage_hypotheses, data_notes=notes), hyps),
        (stage_fit_tables, fitted.tables),
        (FitArtifact.stage, artifact),
        (partial(stage_data_source, path=args.path), _data_source(args)),
    )
    print(fitted.models.summary())
    print(f"wrote {len(paths)} files to {args.out}")
    seed = args.seed if args.bootstrap else None
    _record(args, "fit", [args.path, args.codebook], paths.values(), seed=seed)
    return EXIT_OK


def _cmd_figures(args: argparse.Namespace) -> int:
    from .reporting.artifacts import FitArtifact
    from .reporting.figures import make_figures

    out = open_output_set(args, args.out, "figures")
    _, frame = _load_frame(args)
    fits = FitArtifact.load(args.fits, args.path, frame)  # the survey's hash checked first
    main = fits.fits[pipeline.main_model(frame, fits.fits)]
    paths = make_figures(frame, main, out, report=fits.report, data_note=_data_note(args))
    print(f"wrote {len(paths)} figure files to {args.out} (from the fits in {args.fits})")
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
    from .outputs import atomic_write_text

    src = Path(args.notebook)
    atomic_write_text(args.out, pipeline.execute_notebook(src, timeout=args.timeout), inputs=[src])
    print(f"wrote {args.out}")
    _record(args, f"notebook_{src.stem}", [src], [args.out])
    return EXIT_OK


def _cmd_diagnose(args: argparse.Namespace) -> int:
    from .reporting.diagnosis_figures import write_diagnosis_figures

    result = pipeline.diagnose(
        args.out,
        sims=args.sims,
        seed=args.seed,
        n_reps=args.n_reps,
        effect_scales=args.effect_scale,
        scenarios=[s for item in args.scenario for s in split_names(item)],
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
    from .reporting.allocation import stage_allocation
    from .reporting.artifacts import FitArtifact

    out = open_output_set(args, args.out, "allocate")
    _, frame = _load_frame(args)
    budget = pipeline.allocation_request(args.leads, frame, args.oracle, _data_source(args))
    saved = args.fits is not None  # only the artifact named: refused if missing or foreign
    fits = FitArtifact.load(args.fits, args.path, frame).fits if saved else None
    model = pipeline.allocation_model(frame, fits, args.model)
    role = "the main model" if model.name == pipeline.main_model(frame, fits) else "--model"
    where = f"the {model.name} fit saved in {args.fits}" if saved else None
    note = f"model: {where or model.name + ', fitted now (no --fits given)'} ({role})"
    run = partial(
        pipeline.allocate,
        frame,
        budget=budget,
        policy=args.policy,
        scenarios=args.scenario,
        draws=args.draws,
        seed=args.seed,
        hours_per_lead=args.hours_per_lead,
        hours_per_week=args.hours_per_week,
        oracle=args.oracle,
    )
    res = run(model.results)
    alt = pipeline.alternative_model(frame, fits, model.name)
    other = (alt.name, run(alt.results)) if alt is not None else None
    report = stage_allocation(out, res, note, other, data_note=_data_note(args))
    paths = out.commit()
    print(report, end="")
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
    return run_command_line(argv, _dispatch)


def _dispatch(argv: list[str], log: Iterable[str], open_sets: list) -> int:
    """Parse the arguments and run the command (inside :func:`run_command_line`)."""
    args = build_parser().parse_args(argv)
    args.argv = _command_argv(argv)
    args.log = log
    args.open_sets = open_sets
    return COMMANDS[args.command](args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
