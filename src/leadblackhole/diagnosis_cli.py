"""The ``leadblackhole diagnose`` command (parser and runner).

``leadblackhole diagnose --sims N --seed S [--n-reps 150,300,461,1000]
[--effect-scale 0.5,1] [--scenario NAME ...] [--estimators dirichlet,ols,...]
[--workers K | --scheduler tcp://HOST:PORT] --out DIR`` runs (or resumes)
:func:`leadblackhole.diagnosis.run_diagnosis` and draws its figures into
``DIR/figures``. Bad options raise
:class:`~leadblackhole.diagnosis.DiagnosisError` (exit code 2).
"""

from __future__ import annotations

import argparse

__all__ = ["add_parser", "run"]


def _list(kind, what: str):
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


def add_parser(sub) -> None:
    """Add the ``diagnose`` subcommand to the command line's subparsers.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subparsers of :func:`leadblackhole.cli.build_parser`.
    """
    from .diagnosis import ESTIMATORS, SCENARIOS

    p = sub.add_parser(
        "diagnose",
        help="design diagnosis: bias, coverage and power of each estimator (on Dask)",
    )
    p.add_argument("--sims", type=int, required=True, help="replications per cell (>= 1)")
    p.add_argument("--seed", type=int, required=True, help="master seed")
    p.add_argument(
        "--n-reps",
        type=_list(int, "--n-reps"),
        default=[461],
        metavar="N,N,...",
        help="analysable reps per simulated study (default 461)",
    )
    p.add_argument(
        "--effect-scale",
        type=_list(float, "--effect-scale"),
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
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")


def run(args: argparse.Namespace) -> int:
    """Run the ``diagnose`` command; return the exit code (0)."""
    from .diagnosis import run_diagnosis

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
        from .reporting.diagnosis_figures import write_diagnosis_figures

        written += list(write_diagnosis_figures(result.diagnosands, f"{args.out}/figures").values())
    print(
        f"design diagnosis: {result.n_computed} fits computed "
        f"({len(result.replications)} effect rows in all) in {result.seconds:.1f} s"
    )
    for path in written:
        print(f"wrote {path}")
    return 0
