"""Time and memory of the corrected main models (``fit_eiv``, ``fit_marker``) by sample size.

Each size runs in its own child process (so the peak resident memory is the fit's);
the figures are the wall and CPU time of the whole correction (first step, second
step and the ``--boot`` bootstrap replicates with their effects) and the peak
resident memory. The per-replicate time shows the growth in N.

    python benchmarks/bench_corrections.py --sizes 461 50000 --boot 200 --model dirichlet_rounded
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def child(n: int, boot: int, model: str, what: str) -> dict:
    from leadblackhole.corrections import fit_eiv, fit_marker
    from leadblackhole.diagnosis import scenario_design, simulate_frame
    from leadblackhole.simulation import draw_study

    sc = "latent_shares" if what == "eiv" else "method_factor"
    design = scenario_design(sc, n, 1.0).replace(marker_items=3 if what == "marker" else 0)
    frame, _ = simulate_frame(design, seed=1)
    st = draw_study(design, seed=1)
    items = st.items[st.percents[:, 0] > 0].reset_index(drop=True)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0, c0 = time.perf_counter(), time.process_time()
    if what == "eiv":
        res = fit_eiv(frame, items, model=model, n_boot=boot)
    else:
        scales = dict(frame.scales) | {"marker": ["mk_1", "mk_2", "mk_3"]}
        res = fit_marker(frame, items, "marker", scales, model=model, n_boot=boot)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "n": n, "model": res.model_name, "boot": boot, "failed": res.n_failed,
        "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
        "per_replicate_ms": round(1000 * wall / (boot + 1), 1),
        "rss_before_mb": round(rss0), "peak_rss_mb": round(resource.getrusage(
            resource.RUSAGE_SELF).ru_maxrss / 1024),
    }  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sizes", type=int, nargs="+", default=[461, 5000, 50000])
    p.add_argument("--boot", type=int, default=200)
    p.add_argument("--model", default="dirichlet_rounded")
    p.add_argument("--what", choices=["eiv", "marker"], default="eiv")
    p.add_argument("--child", type=int, default=None)
    a = p.parse_args()
    if a.child is not None:
        print(json.dumps(child(a.child, a.boot, a.model, a.what)))
        return
    with open("/proc/loadavg") as fh:
        print("load average before:", fh.read().split()[:3])
    print("| N | model | replicates | failed | wall (s) | CPU (s) | wall per replicate (ms) "
          "| RSS before (MB) | peak RSS (MB) |")  # fmt: skip
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for n in a.sizes:
        cmd = [sys.executable, __file__, "--child", str(n), "--boot", str(a.boot),
               "--model", a.model, "--what", a.what]  # fmt: skip
        r = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
        print(f"| {r['n']} | {r['model']} | {r['boot']} | {r['failed']} | {r['wall_s']} | "
              f"{r['cpu_s']} | {r['per_replicate_ms']} | {r['rss_before_mb']} | "
              f"{r['peak_rss_mb']} |", flush=True)  # fmt: skip
    with open("/proc/loadavg") as fh:
        print("load average after:", fh.read().split()[:3])


if __name__ == "__main__":
    main()
