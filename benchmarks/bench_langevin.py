"""Gradient-based samplers on a neural energy: ebmbook's steps and torchebm side by side.

Usage::

    python benchmarks/bench_langevin.py            # full run (about 2 minutes on 2 CPU cores)
    python benchmarks/bench_langevin.py --quick    # smoke run (seconds)
    python benchmarks/bench_langevin.py --device cuda

What is measured (one process, one run; every timing is the median of
interleaved, warmed-up rounds; see ``benchmarks/README.md``):

1. Per step, on a batch of chains of an MLP energy: one energy+gradient
   evaluation (``ebmbook.energies.energy_and_grad``), one ``ULA.step``, one
   ``MALA.step`` and one ``HMC.step`` divided by its number of leapfrog steps.
   Reported as ratios to the energy+gradient evaluation; the target is
   ULA/MALA <= 1.3.
2. Whole runs: ``ebmbook.samplers.sample_chain`` with ``ULA`` and ``HMC``
   against ``torchebm.samplers.LangevinDynamics`` and
   ``HamiltonianMonteCarlo`` with matched settings (same energy module, chains,
   steps, step size, noise, leapfrog steps, random stream). Reported as
   torchebm time / ebmbook time, after checking that both produce the same
   chains from the same seed.
3. Energy evaluations (forward passes) and gradient evaluations (backward
   passes) per step of every sampler, counted on the energy module itself.

Results are printed as tables and written to ``benchmarks/results/langevin.json``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

if "--omp-passive" in sys.argv:
    # Must be set before torch loads its OpenMP runtime. On a CPU shared with
    # other busy processes, spinning OpenMP workers steal the main thread's
    # core between parallel regions and inflate (and scramble) every timing.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (RESULTS_DIR, environment, finish, interleaved, load_average,  # noqa: E402
                    malloc_no_trim, resolve_device, synchronize, table)

from ebmbook.energies import energy_and_grad  # noqa: E402
from ebmbook.samplers import HMC, MALA, ULA, sample_chain  # noqa: E402

try:  # the peer is optional: without it only part 1 runs
    import torchebm
    from torchebm.core import BaseModel
    from torchebm.samplers import HamiltonianMonteCarlo, LangevinDynamics
except ImportError:  # pragma: no cover - depends on the environment
    torchebm = None

TARGET_RATIO = 1.1


class MLPEnergy(nn.Module):
    r"""E(x) = MLP(x) + |x|^2 / 2: a 2 -> width -> width -> 1 SiLU network plus a
    quadratic confinement so that exp(-E) is normalisable and chains stay put.

    Counts its own evaluations when ``counting`` is on: every forward call, and
    every backward pass that reaches the input (a gradient evaluation).
    """

    def __init__(self, dim: int = 2, width: int = 128):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dim, width), nn.SiLU(),
            nn.Linear(width, width), nn.SiLU(),
            nn.Linear(width, 1),
        )
        self.counting = False
        self.n_forward = 0
        self.n_backward = 0

    def _count_backward(self, grad: torch.Tensor) -> None:
        self.n_backward += 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.counting:
            self.n_forward += 1
            if x.requires_grad:
                x.register_hook(self._count_backward)
        return self.net(x).squeeze(-1) + 0.5 * x.pow(2).sum(-1)

    def reset_counts(self) -> None:
        self.n_forward = 0
        self.n_backward = 0


if torchebm is not None:

    class TorchEBMEnergy(BaseModel):
        """The same MLP module seen through torchebm's model interface."""

        def __init__(self, net: MLPEnergy):
            super().__init__()
            self.energy = net

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.energy(x)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes, a smoke run of a few seconds")
    p.add_argument("--device", default="auto", help="auto (CUDA if available), cpu or cuda[:i]")
    p.add_argument("--threads", type=int, default=None,
                   help="torch.set_num_threads for everything (default: number of CPU cores)")
    p.add_argument("--chains", type=int, default=None, help="number of chains (default 4096; quick 512)")
    p.add_argument("--steps", type=int, default=None, help="steps of the whole-run comparison (default 200; quick 20)")
    p.add_argument("--width", type=int, default=128, help="hidden width of the MLP energy")
    p.add_argument("--n-leapfrog", type=int, default=5, help="HMC leapfrog steps")
    p.add_argument("--repeats", type=int, default=None, help="timed rounds of the whole-run comparison (default 5; quick 2)")
    p.add_argument("--budget", type=float, default=None,
                   help="seconds per timed section after which no new round starts once 3-5 rounds "
                        "are done (default 30; quick 5): bounds the run time on a busy machine")
    p.add_argument("--omp-passive", action="store_true",
                   help="set OMP_WAIT_POLICY=PASSIVE (idle OpenMP threads sleep instead of spinning); "
                        "use it on a CPU shared with other busy processes")
    p.add_argument("--malloc-no-trim", action="store_true",
                   help="fix glibc's mmap/trim thresholds so freed activation buffers are not returned "
                        "to the OS and page-faulted back every step (same for every candidate)")
    p.add_argument("--profile", action="store_true",
                   help="always print a profile of the steps (otherwise only when a ratio misses the target)")
    p.add_argument("--out", type=Path, default=None, help="JSON output (default benchmarks/results/langevin.json)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    q = args.quick
    args.chains = args.chains or (512 if q else 4096)
    args.steps = args.steps or (20 if q else 200)
    args.repeats = args.repeats or (2 if q else 5)
    args.budget = args.budget or (5.0 if q else 30.0)
    args.step_repeats = 5 if q else 21   # timed rounds of the per-step comparison
    args.step_inner = 5 if q else 20     # calls per timed sample of one step
    args.out = args.out or RESULTS_DIR / ("langevin_quick.json" if q else "langevin.json")
    return args


def make_generator(seed: int, device: torch.device) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


# --------------------------------------------------------------------------- part 1
def paired_ratio(a: dict, b: dict, key: str = "samples_s") -> float:
    """Median over rounds of a/b, each pair timed in the same round (robust to drifting load)."""
    return statistics.median(x / y for x, y in zip(a[key], b[key]))


def per_step(energy, x0, cfg, device) -> dict:
    """Time one energy+gradient evaluation against one step of ULA, MALA, HMC (per leapfrog step)."""
    g = make_generator(cfg.seed + 1, device)
    L = cfg.n_leapfrog
    ula = ULA(energy, step_size=cfg.langevin_step)
    mala = MALA(energy, step_size=cfg.langevin_step)
    hmc = HMC(energy, step_size=cfg.hmc_step, n_leapfrog=L)
    # Start from states a few steps in, so that the step sees typical positions.
    s_ula = sample_chain(ula, x0, 5, generator=g).final_state
    s_mala = sample_chain(mala, x0, 5, generator=g).final_state
    s_hmc = sample_chain(hmc, x0, 2, generator=g).final_state
    x = s_ula.position

    def forward_only():
        with torch.no_grad():
            energy(x)

    candidates = {
        "energy (forward only)": forward_only,
        "energy_and_grad": lambda: energy_and_grad(energy, x),
        "ULA.step": lambda: ula.step(s_ula, generator=g),
        "MALA.step": lambda: mala.step(s_mala, generator=g),
        f"HMC.step / L (L={L})": lambda: hmc.step(s_hmc, generator=g),
    }
    k = cfg.step_inner
    inner = {n: k for n in candidates}
    inner[f"HMC.step / L (L={L})"] = max(1, k // L)
    stats = interleaved(candidates, device, repeats=cfg.step_repeats, warmup=2, inner=inner,
                        budget_s=cfg.budget, min_repeats=min(5, cfg.step_repeats))
    stats[f"HMC.step / L (L={L})"] = {
        key: ([v / L for v in val] if isinstance(val, list) else val / L)
        for key, val in stats[f"HMC.step / L (L={L})"].items()
    }
    ref = stats["energy_and_grad"]
    out = {}
    for name, s in stats.items():
        out[name] = {
            "median_ms": 1e3 * s["median_s"],
            "rounds": len(s["samples_s"]),
            "min_ms": 1e3 * s["min_s"],
            "max_ms": 1e3 * s["max_s"],
            # median over rounds of (this / energy_and_grad) timed in the same round
            "ratio_to_energy_and_grad": paired_ratio(s, ref),
            # ratio of the fastest rounds: least sensitive to a busy neighbour
            "ratio_of_minima": s["min_s"] / ref["min_s"],
            # same from process CPU time: blind to time spent descheduled by neighbours
            "cpu_ratio": paired_ratio(s, ref, "cpu_samples_s"),
            "overhead_ms": 1e3 * (s["median_s"] - ref["median_s"]),
            "minor_faults_per_call": s["minor_faults"],
        }
    return out, {"ULA": (ula, s_ula), "MALA": (mala, s_mala), "HMC": (hmc, s_hmc)}, x


def profile_steps(energy, samplers, x, device, n: int = 20) -> str:
    """Profiler table of energy_and_grad, ULA.step and MALA.step (self time per op)."""
    from torch.profiler import ProfilerActivity, profile, record_function

    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    g = make_generator(123, device)
    for _ in range(3):
        energy_and_grad(energy, x)
        for s, st in samplers.values():
            s.step(st, generator=g)
    synchronize(device)
    reports = []
    for label, fn in [
        ("energy_and_grad", lambda: energy_and_grad(energy, x)),
        ("ULA.step", lambda: samplers["ULA"][0].step(samplers["ULA"][1], generator=g)),
        ("MALA.step", lambda: samplers["MALA"][0].step(samplers["MALA"][1], generator=g)),
    ]:
        with profile(activities=acts) as prof:
            for _ in range(n):
                with record_function(label):
                    fn()
            synchronize(device)
        sort = "self_cuda_time_total" if device.type == "cuda" else "self_cpu_time_total"
        reports.append(f"--- {label} x{n} ---\n" + prof.key_averages().table(sort_by=sort, row_limit=14))
    return "\n".join(reports)


# --------------------------------------------------------------------------- part 2
def build_peers(energy, cfg, device):
    """ebmbook and torchebm samplers with the same update rule and settings."""
    ula = ULA(energy, step_size=cfg.langevin_step)  # noise sqrt(2 eps)
    hmc = HMC(energy, step_size=cfg.hmc_step, n_leapfrog=cfg.n_leapfrog)  # mass 1
    model = TorchEBMEnergy(energy).to(device)
    # torchebm's Euler-Maruyama step is x + eps * (-grad E) + sqrt(2 * noise_scale^2) * sqrt(eps) * xi,
    # so noise_scale=1 is exactly ebmbook's default sqrt(2 eps) (temperature 1).
    lang = LangevinDynamics(model, step_size=cfg.langevin_step, noise_scale=1.0,
                            device=device, dtype=torch.float32)
    thmc = HamiltonianMonteCarlo(model, step_size=cfg.hmc_step, n_leapfrog_steps=cfg.n_leapfrog,
                                 mass=None, device=device, dtype=torch.float32)
    return ula, hmc, lang, thmc


def equivalence(energy, x0, peers, cfg, device, n_steps: int = 10) -> dict:
    """Same seed, same start: do the two libraries produce the same chains?"""
    ula, hmc, lang, thmc = peers
    out = {}
    a = sample_chain(ula, x0, n_steps, generator=make_generator(7, device)).final_state.position
    b = lang.sample(x=x0, n_steps=n_steps, generator=make_generator(7, device))
    out["langevin_max_abs_diff"] = float((a - b).abs().max())
    a = sample_chain(hmc, x0, n_steps, generator=make_generator(7, device))
    b = thmc.sample(x=x0, n_steps=n_steps, generator=make_generator(7, device))
    d = (a.final_state.position - b).abs().amax(-1)
    out["hmc_max_abs_diff"] = float(d.max())
    out["hmc_fraction_chains_equal_1e-4"] = float((d < 1e-4).float().mean())
    out["hmc_acceptance_rate_ebmbook"] = a.acceptance_rate
    out["n_steps"] = n_steps
    return out


def whole_runs(energy, x0, peers, cfg, device) -> dict:
    ula, hmc, lang, thmc = peers
    n = cfg.steps
    g = make_generator(cfg.seed + 2, device)
    results = {}
    lang_group = {
        "ebmbook sample_chain(ULA)": lambda: sample_chain(ula, x0, n, generator=g),
        "torchebm LangevinDynamics (trajectory)": lambda: lang.sample(
            x=x0, n_steps=n, return_trajectory=True, generator=g),
        "torchebm LangevinDynamics (final only)": lambda: lang.sample(x=x0, n_steps=n, generator=g),
    }
    hmc_group = {
        "ebmbook sample_chain(HMC)": lambda: sample_chain(hmc, x0, n, generator=g),
        "torchebm HamiltonianMonteCarlo (trajectory)": lambda: thmc.sample(
            x=x0, n_steps=n, return_trajectory=True, generator=g),
    }
    # Warm every code path with a short run; the full runs are then all timed.
    n_warm = min(n, 10)
    sample_chain(ula, x0, n_warm, generator=g)
    sample_chain(hmc, x0, n_warm, generator=g)
    lang.sample(x=x0, n_steps=n_warm, return_trajectory=True, generator=g)
    lang.sample(x=x0, n_steps=n_warm, generator=g)
    thmc.sample(x=x0, n_steps=n_warm, return_trajectory=True, generator=g)
    results.update(interleaved(lang_group, device, repeats=cfg.repeats, warmup=0,
                               budget_s=cfg.budget, min_repeats=min(3, cfg.repeats)))
    results.update(interleaved(hmc_group, device, repeats=cfg.repeats, warmup=0,
                               budget_s=2 * cfg.budget, min_repeats=min(3, cfg.repeats)))
    base = {"Langevin": results["ebmbook sample_chain(ULA)"],
            "HMC": results["ebmbook sample_chain(HMC)"]}
    out = {}
    for name, s in results.items():
        kind = "HMC" if ("HMC" in name or "Hamiltonian" in name) else "Langevin"
        out[name] = {
            "family": kind,
            "median_s": s["median_s"],
            "rounds": len(s["samples_s"]),
            "min_s": s["min_s"],
            "max_s": s["max_s"],
            "ms_per_step": 1e3 * s["median_s"] / n,
            "ratio_to_ebmbook": paired_ratio(s, base[kind]),
            "ratio_of_minima": s["min_s"] / base[kind]["min_s"],
            "cpu_ratio_to_ebmbook": paired_ratio(s, base[kind], "cpu_samples_s"),
            "cpu_ms_per_step": 1e3 * s["cpu_median_s"] / n,
            "minor_faults_per_step": s["minor_faults"] / n,
        }
    return out


# --------------------------------------------------------------------------- part 3
def counts(energy: MLPEnergy, run, n_small: int = 4, n_large: int = 12) -> dict:
    """Forward and backward passes per step: difference of two run lengths (removes init cost)."""
    def measure(n):
        energy.reset_counts()
        energy.counting = True
        try:
            run(n)
        finally:
            energy.counting = False
        return energy.n_forward, energy.n_backward

    f1, b1 = measure(n_small)
    f2, b2 = measure(n_large)
    per_f = (f2 - f1) / (n_large - n_small)
    per_b = (b2 - b1) / (n_large - n_small)
    return {
        "forward_per_step": per_f,
        "grad_per_step": per_b,
        "forward_only_per_step": per_f - per_b,
        "forward_per_run_fixed": f1 - per_f * n_small,
        "grad_per_run_fixed": b1 - per_b * n_small,
    }


def eval_counts(energy, x0, peers_or_none, cfg, device) -> dict:
    g = make_generator(11, device)
    ula_ = ULA(energy, step_size=cfg.langevin_step)
    mala_ = MALA(energy, step_size=cfg.langevin_step)
    hmc_ = HMC(energy, step_size=cfg.hmc_step, n_leapfrog=cfg.n_leapfrog)
    x = x0[:256]
    out = {
        "ebmbook ULA (sample_chain)": counts(energy, lambda n: sample_chain(ula_, x, n, generator=g)),
        "ebmbook MALA (sample_chain)": counts(energy, lambda n: sample_chain(mala_, x, n, generator=g)),
        "ebmbook HMC (sample_chain)": counts(energy, lambda n: sample_chain(hmc_, x, n, generator=g)),
    }
    if peers_or_none is not None:
        _, _, lang, thmc = peers_or_none
        out["torchebm LangevinDynamics"] = counts(energy, lambda n: lang.sample(x=x, n_steps=n, generator=g))
        out["torchebm HamiltonianMonteCarlo"] = counts(energy, lambda n: thmc.sample(x=x, n_steps=n, generator=g))
    return out


# --------------------------------------------------------------------------- main
def main(argv=None) -> dict:
    cfg = parse_args(argv)
    cfg.langevin_step = 0.01
    cfg.hmc_step = 0.1
    device = resolve_device(cfg.device)

    threads = cfg.threads or os.cpu_count() or 1
    torch.set_num_threads(threads)  # one setting for every candidate
    t_start = time.perf_counter()

    torch.manual_seed(cfg.seed)
    energy = MLPEnergy(dim=2, width=cfg.width).to(device)
    energy.requires_grad_(False)  # sampling a fixed model: gradients w.r.t. x only
    x0 = torch.randn(cfg.chains, 2, generator=make_generator(cfg.seed, device), device=device)

    env = environment(device)
    env["loadavg_start"] = load_average()
    env["malloc_no_trim"] = malloc_no_trim() if cfg.malloc_no_trim else False
    env["torchebm"] = getattr(torchebm, "__version__", None) if torchebm is not None else None
    print(f"bench_langevin  device={device}  threads={torch.get_num_threads()}  chains={cfg.chains}  "
          f"MLP 2-{cfg.width}-{cfg.width}-1 (SiLU, float32)  torch {torch.__version__}  "
          f"torchebm {env['torchebm']}  OMP_WAIT_POLICY={env['OMP_WAIT_POLICY'] or 'unset'}  "
          f"malloc_no_trim={env['malloc_no_trim']}")

    # 1. per-step cost
    steps, samplers, x = per_step(energy, x0, cfg, device)
    rows = [[name, f"{s['median_ms']:.3f}", f"{s['min_ms']:.3f}", f"{s['overhead_ms']:+.3f}",
             f"{s['ratio_to_energy_and_grad']:.3f}", f"{s['ratio_of_minima']:.3f}", f"{s['cpu_ratio']:.3f}",
             f"{s['minor_faults_per_call']:.0f}"]
            for name, s in steps.items()]
    print(f"\n1. One step on {cfg.chains} chains (median of {steps['energy_and_grad']['rounds']} "
          f"interleaved rounds x {cfg.step_inner} calls)")
    print(table(rows, ["operation", "median ms", "min ms", "vs e+g ms", "ratio (median)", "ratio (min)",
                       "ratio (CPU time)", "page faults"]))
    spread = steps["energy_and_grad"]["median_ms"] / steps["energy_and_grad"]["min_ms"]
    print(f"spread of energy_and_grad (median / min over rounds): {spread:.2f}"
          + ("  <- large: the CPU was shared, trust the ratios less" if spread > 1.25 else ""))
    worst = max(steps["ULA.step"]["ratio_to_energy_and_grad"], steps["MALA.step"]["ratio_to_energy_and_grad"])
    verdict = "PASS" if worst <= TARGET_RATIO else "MISS"
    print(f"target: ULA and MALA step <= {TARGET_RATIO} x energy_and_grad -> {verdict} (worst {worst:.3f})")
    profile_text = None
    if cfg.profile or worst > TARGET_RATIO:
        profile_text = profile_steps(energy, samplers, x, device)
        print("\nprofile (self time per op):\n" + profile_text)

    result = {"environment": env,
              "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(cfg).items()},
              "per_step": steps, "per_step_target": {"ratio": TARGET_RATIO, "worst": worst, "verdict": verdict},
              "per_step_spread": spread,
              "profile": profile_text}

    # 2. whole runs against the peer
    peers = None
    if torchebm is None:
        print("\n2. torchebm not installed: peer comparison skipped")
    else:
        peers = build_peers(energy, cfg, device)
        eq = equivalence(energy, x0, peers, cfg, device)
        result["equivalence"] = eq
        runs = whole_runs(energy, x0, peers, cfg, device)
        result["whole_runs"] = runs
        print(f"\n2. Whole runs: {cfg.steps} steps x {cfg.chains} chains (median of "
              f"{min(s['rounds'] for s in runs.values())}+ interleaved rounds); Langevin eps={cfg.langevin_step}, noise sqrt(2 eps); "
              f"HMC eps={cfg.hmc_step}, L={cfg.n_leapfrog}, mass 1")
        rows = [[name, f"{s['median_s']:.3f}", f"{s['ms_per_step']:.2f}", f"{s['ratio_to_ebmbook']:.2f}",
                 f"{s['ratio_of_minima']:.2f}", f"{s['cpu_ratio_to_ebmbook']:.2f}",
                 f"{s['minor_faults_per_step']:.0f}"]
                for name, s in runs.items()]
        print(table(rows, ["run", "median s", "ms/step", "torchebm / ebmbook", "ratio (min)",
                           "ratio (CPU time)", "page faults/step"]))
        print(f"same seed, {eq['n_steps']} steps: Langevin max |diff| = {eq['langevin_max_abs_diff']:.2e}; "
              f"HMC max |diff| = {eq['hmc_max_abs_diff']:.2e} "
              f"({100 * eq['hmc_fraction_chains_equal_1e-4']:.1f}% of chains equal within 1e-4)")

    # 3. evaluation counts
    ec = eval_counts(energy, x0, peers, cfg, device)
    result["eval_counts"] = ec
    print(f"\n3. Energy evaluations per step (counted on the module; HMC with L={cfg.n_leapfrog})")
    rows = [[name, f"{c['grad_per_step']:g}", f"{c['forward_only_per_step']:g}",
             f"{c['grad_per_run_fixed']:g}", f"{c['forward_per_run_fixed'] - c['grad_per_run_fixed']:g}"]
            for name, c in ec.items()]
    print(table(rows, ["sampler", "energy+grad / step", "energy only / step",
                       "energy+grad / run (init)", "energy only / run (init)"]))

    finish(result, device, cfg.out, t_start)
    return result


if __name__ == "__main__":
    main()
