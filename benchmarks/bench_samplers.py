"""ebmbook's gradient samplers against torchebm and ebmkit, and the efficiency of the self-tuning samplers.

Usage::

    python benchmarks/bench_samplers.py --threads 1 --omp-passive --malloc-no-trim   # full run (a few minutes)
    python benchmarks/bench_samplers.py --quick                      # smoke run

What is measured (one process, one run; every timing is the median of warmed-up,
interleaved rounds whose order rotates, see ``benchmarks/README.md``):

1. Per step, on 4096 chains of the MLP energy of ``bench_langevin.py``: one
   ``energy_and_grad`` (the reference), ``ULA.step``, ``MALA.step`` and
   ``HMC.step`` / L, next to ebmkit's ``step`` of the same samplers. Target:
   ebmbook's ULA and MALA steps <= 1.1x the reference.
2. Whole runs of 200 steps (same energy, chains, steps and step sizes):
   ``sample_chain`` with ULA, MALA and HMC against torchebm
   (``LangevinDynamics``, ``HamiltonianMonteCarlo``) and ebmkit
   (``LangevinDynamics``, ``MALA``, ``HMC``). Reported as peer time / ebmbook
   time (> 1: ebmbook is faster). Target: every ratio >= 1.0.
3. ESS per gradient evaluation on a 10-D Gaussian (Sigma_ij = 0.8^|i-j|): NUTS
   and HMC/MALA with dual-averaging warm-up against hand-tuned HMC.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

if "--omp-passive" in sys.argv:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_langevin import MLPEnergy, TorchEBMEnergy, paired_ratio  # noqa: E402
from common import (RESULTS_DIR, environment, finish, interleaved, load_average, malloc_no_trim,  # noqa: E402
                    resolve_device, table)

from ebmbook.energies import Gaussian, energy_and_grad  # noqa: E402
from ebmbook.metrics import effective_sample_size  # noqa: E402
from ebmbook.samplers import HMC, MALA, NUTS, ULA, DualAveraging, sample_chain  # noqa: E402

try:
    import torchebm
    from torchebm.samplers import HamiltonianMonteCarlo, LangevinDynamics
except ImportError:  # pragma: no cover
    torchebm = None
try:
    import ebm as ebmkit  # ebmkit's import name is `ebm`
    from ebm.utils import frozen_params
except ImportError:  # pragma: no cover
    ebmkit = None

TARGET_STEP = 1.1
TARGET_RUN = 1.0


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--omp-passive", action="store_true")
    p.add_argument("--malloc-no-trim", action="store_true",
                   help="fix glibc's mmap/trim thresholds, so that no candidate pays page faults for "
                        "re-mapping its activation buffers (see benchmarks/README.md)")
    p.add_argument("--chains", type=int, default=None)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--skip-ess", action="store_true")
    p.add_argument("--out", type=Path, default=None)
    a = p.parse_args(argv)
    a.chains = a.chains or (512 if a.quick else 4096)
    a.steps = a.steps or (20 if a.quick else 200)
    a.repeats = a.repeats or (3 if a.quick else 9)
    a.out = a.out or RESULTS_DIR / ("samplers_quick.json" if a.quick else "samplers.json")
    return a


def per_step(energy, x0, cfg, device):
    g = torch.Generator(device=device).manual_seed(1)
    L, eps_l, eps_h = 5, 0.01, 0.1
    ula, mala, hmc = ULA(energy, eps_l), MALA(energy, eps_l), HMC(energy, eps_h, L)
    s_ula, s_mala, s_hmc = ula.init(x0), mala.init(x0), hmc.init(x0)
    x = x0
    c = {
        "energy_and_grad": lambda: energy_and_grad(energy, x),
        "ebmbook ULA.step": lambda: ula.step(s_ula, generator=g),
        "ebmbook MALA.step": lambda: mala.step(s_mala, generator=g),
        f"ebmbook HMC.step / L": lambda: hmc.step(s_hmc, generator=g),
    }
    if ebmkit is not None:
        k_ula = ebmkit.samplers.LangevinDynamics(step_size=eps_l)
        k_mala = ebmkit.samplers.MALA(step_size=eps_l)
        k_hmc = ebmkit.samplers.HMC(step_size=eps_h, leapfrog_steps=L)

        def k(s):
            def fn():
                with frozen_params(energy), torch.enable_grad():
                    s.step(energy, x)
            return fn
        c.update({"ebmkit LangevinDynamics.step": k(k_ula), "ebmkit MALA.step": k(k_mala),
                  "ebmkit HMC.step / L": k(k_hmc)})
    inner = {n: (4 if "HMC" in n else 20) for n in c}
    st = interleaved(c, device, repeats=3 * cfg.repeats, warmup=2, inner=inner)
    for n in st:
        if "HMC" in n:
            st[n] = {key: ([v / L for v in val] if isinstance(val, list) else val / L) for key, val in st[n].items()}
    ref = st["energy_and_grad"]
    return {n: {"median_ms": 1e3 * s["median_s"], "ratio_to_energy_and_grad": paired_ratio(s, ref),
                "cpu_ratio": paired_ratio(s, ref, "cpu_samples_s"), "rounds": len(s["samples_s"])}
            for n, s in st.items()}


def whole_runs(energy, x0, cfg, device):
    n, g = cfg.steps, torch.Generator(device=device).manual_seed(2)
    eps_l, eps_h, L = 0.01, 0.1, 5
    ours = {"ULA": ULA(energy, eps_l), "MALA": MALA(energy, eps_l), "HMC": HMC(energy, eps_h, L)}
    groups = {kind: {f"ebmbook sample_chain({kind})": (lambda s=s: sample_chain(s, x0, n, generator=g))}
              for kind, s in ours.items()}
    if torchebm is not None:
        model = TorchEBMEnergy(energy).to(device)
        lang = LangevinDynamics(model, step_size=eps_l, noise_scale=1.0, device=device, dtype=torch.float32)
        thmc = HamiltonianMonteCarlo(model, step_size=eps_h, n_leapfrog_steps=L, mass=None, device=device,
                                     dtype=torch.float32)
        groups["ULA"]["torchebm LangevinDynamics (final only)"] = lambda: lang.sample(x=x0, n_steps=n, generator=g)
        groups["ULA"]["torchebm LangevinDynamics (trajectory)"] = lambda: lang.sample(
            x=x0, n_steps=n, return_trajectory=True, generator=g)
        groups["HMC"]["torchebm HamiltonianMonteCarlo (final only)"] = lambda: thmc.sample(x=x0, n_steps=n,
                                                                                           generator=g)
    if ebmkit is not None:
        for kind, s in (("ULA", ebmkit.samplers.LangevinDynamics(step_size=eps_l)),
                        ("MALA", ebmkit.samplers.MALA(step_size=eps_l)),
                        ("HMC", ebmkit.samplers.HMC(step_size=eps_h, leapfrog_steps=L))):
            name = {"ULA": "LangevinDynamics"}.get(kind, kind)
            groups[kind][f"ebmkit {name} (final only)"] = lambda s=s: s.sample(energy, x0, steps=n)
            groups[kind][f"ebmkit {name} (trajectory)"] = lambda s=s: s.sample(energy, x0, steps=n,
                                                                                return_trajectory=True)
    out = {}
    for kind, c in groups.items():
        st = interleaved(c, device, repeats=cfg.repeats, warmup=1)
        base = st[f"ebmbook sample_chain({kind})"]
        for name, s in st.items():
            out[name] = {"kind": kind, "ms_per_step": 1e3 * s["median_s"] / n,
                         "peer_over_ebmbook": paired_ratio(s, base), "cpu_peer_over_ebmbook":
                         paired_ratio(s, base, "cpu_samples_s"), "rounds": len(s["samples_s"])}
    return out


def ess_per_gradient(device, quick: bool):
    """Min-over-coordinates bulk ESS per gradient evaluation (all chains, warm-up included)."""
    d = 10
    idx = torch.arange(float(d))
    cov = 0.8 ** (idx[:, None] - idx[None, :]).abs()
    gauss = Gaussian(torch.zeros(d), cov).to(device)
    n_chains, n_keep, warm = (16, 200, 100) if quick else (32, 1000, 300)
    runs = {
        "hand-tuned HMC (eps 0.25, L 20)": (HMC(gauss, 0.25, 20), None),
        "HMC L 20, adapted eps, jitter 0.2": (HMC(gauss, 0.05, 20, jitter=0.2), DualAveraging()),
        "MALA, adapted eps": (MALA(gauss, 0.05), DualAveraging()),
        "NUTS, adapted eps": (NUTS(gauss, 0.05), DualAveraging()),
    }
    out = {}
    for name, (s, adapt) in runs.items():
        g = torch.Generator(device=device).manual_seed(3)
        x0 = gauss.sample(n_chains, generator=g)
        t = time.perf_counter()
        tr = sample_chain(s, x0, n_keep, burn_in=warm, adapt=adapt, generator=g)
        wall = time.perf_counter() - t
        ess = float(effective_sample_size(tr.samples, method="bulk").min())
        grads = tr.n_grad_evals * n_chains
        row = {"ess_min_bulk": ess, "grad_evals": grads, "ess_per_1000_grad": 1e3 * ess / grads,
               "step_size": tr.step_size, "acceptance": tr.acceptance_rate, "wall_s": wall,
               "ess_per_s": ess / wall}
        if isinstance(s, NUTS):   # per-chain (unbatched) count: what each chain's own tree needed
            state, per_chain = x0, 0
            g2 = torch.Generator(device=device).manual_seed(4)
            probe = sample_chain(NUTS(gauss, tr.step_size), tr.final_state, 50, generator=g2)
            row["batched_over_per_chain_cost"] = None  # filled below
            nuts = NUTS(gauss, tr.step_size)
            st = tr.final_state
            batched = 0
            for _ in range(50):
                st, info = nuts.step(st, generator=g2)
                per_chain += float(info.n_leapfrog.double().mean())
                batched += info.n_grad_evals
            row["batched_over_per_chain_cost"] = batched / per_chain
            row["ess_per_1000_grad_unbatched"] = row["ess_per_1000_grad"] * batched / per_chain
            del state, probe
        out[name] = row
    return out


def main(argv=None):
    cfg = parse_args(argv)
    device = resolve_device(cfg.device)
    torch.set_num_threads(cfg.threads)
    t0 = time.perf_counter()
    torch.manual_seed(0)
    energy = MLPEnergy(dim=2, width=128).to(device)
    energy.requires_grad_(False)
    x0 = torch.randn(cfg.chains, 2, generator=torch.Generator(device=device).manual_seed(0), device=device)
    env = environment(device)
    env["loadavg_start"] = load_average()
    env["malloc_no_trim"] = malloc_no_trim() if cfg.malloc_no_trim else False
    env["torchebm"] = getattr(torchebm, "__version__", None) if torchebm else None
    env["ebmkit"] = getattr(ebmkit, "__version__", None) if ebmkit else None
    print(f"bench_samplers device={device} threads={torch.get_num_threads()} chains={cfg.chains} "
          f"torchebm {env['torchebm']} ebmkit {env['ebmkit']} malloc_no_trim={env['malloc_no_trim']}")
    result = {"environment": env, "config": {k: str(v) for k, v in vars(cfg).items()}}

    steps = per_step(energy, x0, cfg, device)
    result["per_step"] = steps
    print("\n1. One step, ratio to energy_and_grad (median of paired rounds)")
    print(table([[n, f"{s['median_ms']:.3f}", f"{s['ratio_to_energy_and_grad']:.3f}", f"{s['cpu_ratio']:.3f}"]
                 for n, s in steps.items()], ["operation", "median ms", "ratio", "ratio (CPU time)"]))
    worst = max(steps["ebmbook ULA.step"]["ratio_to_energy_and_grad"],
                steps["ebmbook MALA.step"]["ratio_to_energy_and_grad"])
    print(f"target ULA/MALA <= {TARGET_STEP}: {'PASS' if worst <= TARGET_STEP else 'MISS'} (worst {worst:.3f})")

    runs = whole_runs(energy, x0, cfg, device)
    result["whole_runs"] = runs
    print(f"\n2. Whole runs of {cfg.steps} steps: peer time / ebmbook time (> 1: ebmbook faster)")
    print(table([[n, s["kind"], f"{s['ms_per_step']:.2f}", f"{s['peer_over_ebmbook']:.3f}",
                  f"{s['cpu_peer_over_ebmbook']:.3f}", str(s["rounds"])] for n, s in runs.items()],
                ["run", "sampler", "ms/step", "ratio", "ratio (CPU time)", "rounds"]))
    peers = [s["peer_over_ebmbook"] for n, s in runs.items() if not n.startswith("ebmbook")]
    peer_steps = [steps[n]["ratio_to_energy_and_grad"] / steps[m]["ratio_to_energy_and_grad"]
                  for n, m in (("ebmkit LangevinDynamics.step", "ebmbook ULA.step"),
                               ("ebmkit MALA.step", "ebmbook MALA.step"),
                               ("ebmkit HMC.step / L", "ebmbook HMC.step / L")) if n in steps]
    low = min(peers + peer_steps, default=float("nan"))
    result["targets"] = {"step_worst": worst, "lowest_peer_ratio": low}
    print(f"target every peer ratio >= {TARGET_RUN} (steps and runs): "
          f"{'PASS' if low >= TARGET_RUN else 'MISS'} (lowest {low:.3f})")

    if not cfg.skip_ess:
        ess = ess_per_gradient(device, cfg.quick)
        result["ess"] = ess
        print("\n3. ESS per 1000 gradient evaluations, 10-D Gaussian Sigma_ij = 0.8^|i-j| (min over coordinates)")
        print(table([[n, f"{r['ess_min_bulk']:.0f}", f"{r['grad_evals']}", f"{r['ess_per_1000_grad']:.2f}",
                      f"{r.get('ess_per_1000_grad_unbatched', r['ess_per_1000_grad']):.2f}",
                      f"{r['step_size']:.3f}", f"{r['acceptance']:.2f}"] for n, r in ess.items()],
                    ["sampler", "ESS", "gradients", "ESS/1000 grad", "(unbatched count)", "step", "accept"]))
    finish(result, device, cfg.out, t0)
    return result


if __name__ == "__main__":
    main()
