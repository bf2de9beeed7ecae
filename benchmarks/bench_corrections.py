"""Time and memory of the corrected main models (``fit_eiv``, ``fit_marker``) by sample size.

Each size runs in its own child process (so the peak resident memory is the fit's);
the figures are the wall and CPU time of the whole correction (first step, second
step, the registry effects and their standard errors: the two-step sandwich by
default, or ``--std-errors bootstrap`` with ``--boot`` replicates of both steps), the
resident memory before the fit and its peak, and the peak that the correction itself
allocates (``tracemalloc``, a second run in the same child). The time per 1 000 reps
shows the growth in N.

    python benchmarks/bench_corrections.py --sizes 461 5000 50000 --model dirichlet_rounded
    python benchmarks/bench_corrections.py --sizes 461 5000 --std-errors bootstrap --boot 200
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def child(n: int, boot: int, model: str, what: str, std_errors: str) -> dict:
    import tracemalloc

    from leadblackhole.corrections import fit_eiv, fit_marker
    from leadblackhole.diagnosis import scenario_design, simulate_frame
    from leadblackhole.simulation import draw_study

    sc = "latent_shares" if what == "eiv" else "method_factor"
    design = scenario_design(sc, n, 1.0).replace(marker_items=3 if what == "marker" else 0)
    frame, _ = simulate_frame(design, seed=1)
    st = draw_study(design, seed=1)
    items = st.items[st.percents[:, 0] > 0].reset_index(drop=True)
    opts = {"model": model, "std_errors": std_errors, "n_boot": boot}

    def run():
        if what == "eiv":
            return fit_eiv(frame, items, **opts)
        scales = dict(frame.scales) | {"marker": ["mk_1", "mk_2", "mk_3"]}
        return fit_marker(frame, items, "marker", scales, **opts)

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0, c0 = time.perf_counter(), time.process_time()
    res = run()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    run()
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "n": n, "model": res.model_name, "std_errors": std_errors,
        "boot": boot if std_errors == "bootstrap" else 0, "failed": res.n_failed,
        "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
        "cpu_per_1000_reps_s": round(1000 * cpu / n, 3),
        "rss_before_mb": round(rss0), "peak_rss_mb": round(peak), "traced_mb": round(traced),
    }  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sizes", type=int, nargs="+", default=[461, 5000, 50000])
    p.add_argument("--boot", type=int, default=200)
    p.add_argument("--model", default="dirichlet_rounded")
    p.add_argument("--what", choices=["eiv", "marker"], default="eiv")
    p.add_argument("--std-errors", choices=["sandwich", "bootstrap"], default="sandwich")
    p.add_argument("--child", type=int, default=None)
    a = p.parse_args()
    if a.child is not None:
        print(json.dumps(child(a.child, a.boot, a.model, a.what, a.std_errors)))
        return
    with open("/proc/loadavg") as fh:
        print("load average before:", fh.read().split()[:3])
    print("| N | model | standard errors | replicates | failed | wall (s) | CPU (s) "
          "| CPU per 1 000 reps (s) | RSS before (MB) | peak RSS (MB) | traced peak (MB) |")  # fmt: skip
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in a.sizes:
        cmd = [sys.executable, __file__, "--child", str(n), "--boot", str(a.boot),
               "--model", a.model, "--what", a.what, "--std-errors", a.std_errors]  # fmt: skip
        r = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
        print(f"| {r['n']} | {r['model']} | {r['std_errors']} | {r['boot']} | {r['failed']} | "
              f"{r['wall_s']} | {r['cpu_s']} | {r['cpu_per_1000_reps_s']} | "
              f"{r['rss_before_mb']} | {r['peak_rss_mb']} | {r['traced_mb']} |",
              flush=True)  # fmt: skip
    with open("/proc/loadavg") as fh:
        print("load average after:", fh.read().split()[:3])


if __name__ == "__main__":
    main()
