"""``run(..., compile=True)`` against ``run(...)``: what torch.compile of the step costs and buys.

Usage::

    python benchmarks/bench_compile.py                 # full run (a few minutes on 2 CPU cores)
    python benchmarks/bench_compile.py --quick         # smoke run (256 chains, about a minute: compiling)
    python benchmarks/bench_compile.py --device cuda

What is measured, for ULA, MALA and HMC (L = 5) on the MLP energy of
``bench_langevin.py`` (2 -> 128 -> 128 -> 1, SiLU, float32, frozen), at each
chain count:

1. **Compile time**: the first ``run(sampler, state, 2, compile=True)`` minus a
   2-step eager run. The inductor cache is a fresh temporary folder (unless
   ``--warm-cache``), so this is the cost a user pays the first time; inductor's
   one-off start-up (imports, worker pool) is timed apart, on a trivial function,
   before the first sampler. A second chain count compiles again (a new shape:
   dynamo then compiles a dynamic-shape version).
2. **Per-step time** of ``run(sampler, state, n_steps)`` with ``compile=False``
   and ``compile=True`` after that warm-up, in interleaved rounds (medians); the
   speed-up is the median over rounds of eager / compiled timed in the same
   round, and ``break-even`` the steps after which the compile time is repaid.
   The number of graphs dynamo compiles during the timed rounds is recorded
   (it must be 0: no recompilation in steady state).
3. **Agreement**: from the same generator, the largest difference between the
   compiled and the eager chains after ``n_steps`` (float32), and for MALA and
   HMC the fraction of chains within 1e-4 (a rounding difference can flip a
   Metropolis decision, after which that chain takes another path).

Results go to ``benchmarks/results/compile.json`` (``compile_quick.json`` for ``--quick``).
"""
from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

if "--omp-passive" in sys.argv:   # before torch loads OpenMP (see bench_langevin.py)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
if "--warm-cache" not in sys.argv:   # before inductor reads its configuration
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="ebmbook_bench_compile_")
    atexit.register(shutil.rmtree, os.environ["TORCHINDUCTOR_CACHE_DIR"], ignore_errors=True)

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_langevin import MLPEnergy  # noqa: E402
from common import (RESULTS_DIR, environment, finish, interleaved, load_average,  # noqa: E402
                    malloc_no_trim, resolve_device, synchronize, table)

from ebmbook.samplers import HMC, MALA, ULA, run  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="256 chains, few steps and rounds: a smoke run")
    p.add_argument("--device", default="auto", help="auto (CUDA if available), cpu or cuda[:i]")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: CPU cores)")
    p.add_argument("--chains", type=int, nargs="+", default=None, help="chain counts (default 256 4096; quick 256)")
    p.add_argument("--steps", type=int, default=None, help="steps per timed run (default 30; quick 10)")
    p.add_argument("--samplers", nargs="+", default=["ULA", "MALA", "HMC"], choices=["ULA", "MALA", "HMC"])
    p.add_argument("--width", type=int, default=128, help="hidden width of the MLP energy")
    p.add_argument("--n-leapfrog", type=int, default=5, help="HMC leapfrog steps")
    p.add_argument("--repeats", type=int, default=None, help="timed rounds (default 7; quick 3)")
    p.add_argument("--budget", type=float, default=None,
                   help="seconds per timed section after which no new round starts once 3 are done "
                        "(default 40; quick 10)")
    p.add_argument("--warm-cache", action="store_true",
                   help="use inductor's usual on-disk cache instead of a fresh one (compile times then "
                        "show a warm cache)")
    p.add_argument("--omp-passive", action="store_true", help="set OMP_WAIT_POLICY=PASSIVE (shared CPU)")
    p.add_argument("--malloc-no-trim", action="store_true", help="fix glibc's mmap/trim thresholds")
    p.add_argument("--out", type=Path, default=None, help="JSON output (default benchmarks/results/compile.json)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    q = args.quick
    args.chains = args.chains or ([256] if q else [256, 4096])
    args.steps = args.steps or (10 if q else 30)
    args.repeats = args.repeats or (3 if q else 7)
    args.budget = args.budget or (10.0 if q else 40.0)
    args.out = args.out or RESULTS_DIR / ("compile_quick.json" if q else "compile.json")
    return args


def make_sampler(name: str, energy, cfg):
    if name == "ULA":
        return ULA(energy, step_size=0.01)
    if name == "MALA":
        return MALA(energy, step_size=0.01)
    return HMC(energy, step_size=0.1, n_leapfrog=cfg.n_leapfrog)


def n_graphs() -> int:
    from torch._dynamo.utils import counters
    return counters["stats"]["unique_graphs"]


def inductor_startup(device) -> float:
    """Seconds to compile and run a trivial function: inductor's one-off cost in a process."""
    f = torch.compile(lambda x: torch.sin(x) + 1.0)
    x = torch.ones(8, device=device)
    t = time.perf_counter()
    f(x)
    synchronize(device)
    return time.perf_counter() - t


def timed_once(fn, device) -> float:
    synchronize(device)
    t = time.perf_counter()
    fn()
    synchronize(device)
    return time.perf_counter() - t


def agreement(sampler, state, cfg, device) -> dict:
    """Same generator, ``n_steps`` steps: how far the compiled chains are from the eager ones."""
    a = run(sampler, state, cfg.steps, generator=torch.Generator(device=device).manual_seed(7), compile=True).position
    b = run(sampler, state, cfg.steps, generator=torch.Generator(device=device).manual_seed(7), compile=False).position
    d = (a - b).abs().amax(-1)
    return {"max_abs_diff": float(d.max()), "fraction_chains_within_1e-4": float((d < 1e-4).float().mean())}


def bench_one(name: str, energy, n_chains: int, cfg, device) -> dict:
    g = torch.Generator(device=device).manual_seed(cfg.seed + 1)
    x0 = torch.randn(n_chains, 2, generator=torch.Generator(device=device).manual_seed(cfg.seed), device=device)
    sampler = make_sampler(name, energy, cfg)
    state = sampler.init(x0)
    state = run(sampler, state, 3, generator=g)   # typical positions
    eager_2 = min(timed_once(lambda: run(sampler, state, 2, generator=g), device) for _ in range(2))
    graphs = n_graphs()
    first = timed_once(lambda: run(sampler, state, 2, generator=g, compile=True), device)
    compile_s = first - eager_2
    graphs_compiled = n_graphs() - graphs
    n = cfg.steps
    candidates = {
        "eager": lambda: run(sampler, state, n, generator=g),
        "compiled": lambda: run(sampler, state, n, generator=g, compile=True),
    }
    graphs = n_graphs()
    stats = interleaved(candidates, device, repeats=cfg.repeats, warmup=1, budget_s=cfg.budget, min_repeats=3)
    recompiled = n_graphs() - graphs
    e, c = stats["eager"], stats["compiled"]
    speedup = statistics.median(x / y for x, y in zip(e["samples_s"], c["samples_s"]))
    saved_per_step = (e["median_s"] - c["median_s"]) / n
    return {
        "sampler": name, "chains": n_chains, "steps_per_run": n, "rounds": len(e["samples_s"]),
        "compile_s": compile_s, "graphs_compiled": graphs_compiled, "graphs_compiled_while_timed": recompiled,
        "eager_ms_per_step": 1e3 * e["median_s"] / n, "compiled_ms_per_step": 1e3 * c["median_s"] / n,
        "eager_min_ms_per_step": 1e3 * e["min_s"] / n, "compiled_min_ms_per_step": 1e3 * c["min_s"] / n,
        "speedup": speedup, "speedup_of_minima": e["min_s"] / c["min_s"],
        "cpu_speedup": statistics.median(x / y for x, y in zip(e["cpu_samples_s"], c["cpu_samples_s"])),
        "break_even_steps": compile_s / saved_per_step if saved_per_step > 0 else None,
        "agreement": agreement(sampler, state, cfg, device),
    }


def main(argv=None) -> dict:
    cfg = parse_args(argv)
    device = resolve_device(cfg.device)
    torch.set_num_threads(cfg.threads or os.cpu_count() or 1)
    t_start = time.perf_counter()
    torch.manual_seed(cfg.seed)
    energy = MLPEnergy(dim=2, width=cfg.width).to(device)
    energy.requires_grad_(False)

    env = environment(device)
    env["loadavg_start"] = load_average()
    env["malloc_no_trim"] = malloc_no_trim() if cfg.malloc_no_trim else False
    env["inductor_cache"] = "warm (default folder)" if cfg.warm_cache else "cold (fresh temporary folder)"
    print(f"bench_compile  device={device}  threads={torch.get_num_threads()}  chains={cfg.chains}  "
          f"MLP 2-{cfg.width}-{cfg.width}-1 (SiLU, float32)  torch {torch.__version__}  "
          f"inductor cache {env['inductor_cache']}  OMP_WAIT_POLICY={env['OMP_WAIT_POLICY'] or 'unset'}")
    startup = inductor_startup(device)
    print(f"inductor start-up (trivial function, once per process): {startup:.1f} s")

    rows, results = [], []
    for n_chains in cfg.chains:
        for name in cfg.samplers:
            r = bench_one(name, energy, n_chains, cfg, device)
            results.append(r)
            be = f"{r['break_even_steps']:.0f}" if r["break_even_steps"] is not None else "never"
            rows.append([f"{name}{f' (L={cfg.n_leapfrog})' if name == 'HMC' else ''}", str(n_chains),
                         f"{r['compile_s']:.1f}", f"{r['eager_ms_per_step']:.3f}", f"{r['compiled_ms_per_step']:.3f}",
                         f"{r['speedup']:.2f}", f"{r['speedup_of_minima']:.2f}", f"{r['cpu_speedup']:.2f}", be,
                         str(r["graphs_compiled_while_timed"]), f"{r['agreement']['max_abs_diff']:.1e}",
                         f"{100 * r['agreement']['fraction_chains_within_1e-4']:.0f}%"])
            print(f"  done {name} x {n_chains} chains ({r['rounds']} rounds)")
    print(f"\nrun(..., compile=True) vs run(...): {cfg.steps} steps per timed run, medians of interleaved rounds")
    print(table(rows, ["sampler", "chains", "compile s", "eager ms/step", "compiled ms/step", "speed-up",
                       "speed-up (min)", "speed-up (CPU)", "break-even steps", "recompiles", "max |diff|",
                       "chains equal"]))
    result = {"environment": env,
              "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(cfg).items()},
              "inductor_startup_s": startup, "results": results}
    finish(result, device, cfg.out, t_start)
    return result


if __name__ == "__main__":
    main()
