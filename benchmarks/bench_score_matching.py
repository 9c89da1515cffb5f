"""Score-matching losses on a neural energy: their cost, and ebmbook beside torchebm and ebmkit.

Usage::

    python benchmarks/bench_score_matching.py            # full run (about 1 minute on 2 CPU cores)
    python benchmarks/bench_score_matching.py --quick    # smoke run (about 10 s)
    python benchmarks/bench_score_matching.py --device cuda

What is measured (one process, one run; every timing is the median of
interleaved, warmed-up rounds; see ``benchmarks/README.md``):

1. Cost of one loss evaluation *including the backward pass to the energy's
   parameters* (what a training step pays), as a ratio to one forward and
   backward pass of ``E.sum()`` to x and the parameters on the same batch (the
   natural unit), for ``ebmbook.losses.exact_score_matching_loss``,
   ``sliced_score_matching_loss`` (1 projection, with and without variance
   reduction) and ``denoising_score_matching_loss``, on the same MLP energy
   ``ebmbook.models.MLPEnergy(d, (128, 128))`` at d = 2, 16, 64. Exact score
   matching should grow like d; sliced and denoising should stay within 3x.
2. The same losses of torchebm (``ScoreMatching``, ``SlicedScoreMatching``,
   ``DenoisingScoreMatching``) and ebmkit (``ebm.losses.ExactScoreMatching``,
   ``SlicedScoreMatching``, ``DenoisingScoreMatching``), each timed against the
   ebmbook loss that computes the same quantity (same energy module, same
   batch, same projection distribution), reported as peer time / ebmbook time.
3. Agreement of the loss values: the exact losses, and with the same random
   draw the sliced (Gaussian projections) and denoising losses, must agree to
   float32 rounding; the Rademacher sliced losses (different random streams)
   must agree in expectation; torchebm's finite-difference ``hessian_method=
   "approx"`` is checked against the formula it actually implements.

Results are printed as tables and written to ``benchmarks/results/score_matching.json``.
"""
from __future__ import annotations

import argparse
import copy
import math
import os
import statistics
import sys
import time
from pathlib import Path

if "--omp-passive" in sys.argv:
    # Must be set before torch loads its OpenMP runtime (see bench_langevin.py).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (RESULTS_DIR, environment, finish, interleaved, load_average,  # noqa: E402
                    malloc_no_trim, resolve_device, table, time_call)

from ebmbook.energies import energy_and_grad  # noqa: E402
from ebmbook.losses import (denoising_score_matching_loss, exact_score_matching_loss,  # noqa: E402
                            sliced_score_matching_loss)
from ebmbook.models import MLPEnergy  # noqa: E402

try:  # the peers are optional: without them only parts 1 and 3 (ebmbook alone) run
    import torchebm
    from torchebm.losses import DenoisingScoreMatching as TDenoising
    from torchebm.losses import ScoreMatching as TScoreMatching
    from torchebm.losses import SlicedScoreMatching as TSliced
except ImportError:  # pragma: no cover - depends on the environment
    torchebm = None
try:
    import ebm as ebmkit  # ebmkit's import name is `ebm`
    from ebm.losses import DenoisingScoreMatching as KDenoising
    from ebm.losses import ExactScoreMatching as KExact
    from ebm.losses import SlicedScoreMatching as KSliced
except ImportError:  # pragma: no cover - depends on the environment
    ebmkit = None

CHEAP_TARGET = 3.0  # sliced and denoising: at most this many forward+backward passes


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes, a smoke run of about 10 s")
    p.add_argument("--device", default="auto", help="auto (CUDA if available), cpu or cuda[:i]")
    p.add_argument("--threads", type=int, default=1,
                   help="torch.set_num_threads for everything (default 1)")
    p.add_argument("--dims", type=int, nargs="+", default=[2, 16, 64], help="data dimensions d")
    p.add_argument("--batch", type=int, default=None, help="batch size (default 1024; quick 256)")
    p.add_argument("--width", type=int, default=128, help="width of the two hidden layers of the MLP energy")
    p.add_argument("--sigma", type=float, default=0.1, help="noise level of denoising score matching")
    p.add_argument("--repeats", type=int, default=None, help="timed rounds per dimension (default 11; quick 3)")
    p.add_argument("--sample-ms", type=float, default=None,
                   help="target length of one timed sample; cheap calls are repeated to reach it "
                        "(default 40 ms; quick 10 ms)")
    p.add_argument("--budget", type=float, default=None,
                   help="seconds per dimension after which no new round starts once 3 rounds are done "
                        "(default 40; quick 4)")
    p.add_argument("--mc-draws", type=int, default=None,
                   help="random draws per library for the in-expectation check of the Rademacher "
                        "sliced losses (default 64; quick 8)")
    p.add_argument("--no-peers", action="store_true", help="time ebmbook alone")
    p.add_argument("--omp-passive", action="store_true",
                   help="set OMP_WAIT_POLICY=PASSIVE (idle OpenMP threads sleep instead of spinning); "
                        "use it on a CPU shared with other busy processes")
    p.add_argument("--malloc-no-trim", action="store_true",
                   help="fix glibc's mmap/trim thresholds (same for every candidate; see common.py)")
    p.add_argument("--out", type=Path, default=None,
                   help="JSON output (default benchmarks/results/score_matching.json)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    q = args.quick
    args.batch = args.batch or (256 if q else 1024)
    args.repeats = args.repeats or (3 if q else 11)
    args.sample_ms = args.sample_ms or (10.0 if q else 40.0)
    args.budget = args.budget or (4.0 if q else 40.0)
    args.mc_draws = args.mc_draws or (8 if q else 64)
    args.out = args.out or RESULTS_DIR / ("score_matching_quick.json" if q else "score_matching.json")
    return args


def make_generator(seed: int, device: torch.device) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def paired_ratio(a: dict, b: dict, key: str = "samples_s") -> float:
    """Median over rounds of a/b, each pair timed in the same round (robust to drifting load)."""
    return statistics.median(x / y for x, y in zip(a[key], b[key]))


# --------------------------------------------------------------------------- candidates
def param_grads(loss: torch.Tensor, params: list[torch.Tensor]):
    """The backward pass a training step pays. The output layer's bias does not reach the
    score, so it is unused in every score-matching graph."""
    return torch.autograd.grad(loss, params, allow_unused=True)


def build_candidates(energy, x, cfg, device, peers: bool) -> tuple[dict, dict]:
    """name -> zero-argument callable (one loss + its parameter gradients), and name -> the
    ebmbook candidate a peer is compared with (the same quantity, the same random draws'
    distribution)."""
    params = list(energy.parameters())
    g = make_generator(cfg.seed + 1, device)
    sigma = cfg.sigma

    def forward_only():
        with torch.no_grad():
            energy(x)

    def forward_backward():  # the unit: E.sum() to x and to the parameters
        xr = x.detach().requires_grad_(True)
        torch.autograd.grad(energy(xr).sum(), [xr] + params)

    def sliced(vr, proj):
        return lambda: param_grads(sliced_score_matching_loss(
            energy, x, 1, variance_reduction=vr, projection=proj, generator=g), params)

    c = {
        "forward only": forward_only,
        "forward+backward (x, params)": forward_backward,
        "energy_and_grad (x only)": lambda: energy_and_grad(energy, x),
        "ebmbook exact": lambda: param_grads(exact_score_matching_loss(energy, x), params),
        "ebmbook sliced VR (rademacher)": sliced(True, "rademacher"),
        "ebmbook sliced plain (rademacher)": sliced(False, "rademacher"),
        "ebmbook sliced VR (gaussian)": sliced(True, "gaussian"),
        "ebmbook sliced plain (gaussian)": sliced(False, "gaussian"),
        "ebmbook denoising": lambda: param_grads(
            denoising_score_matching_loss(energy, x, sigma, generator=g), params),
    }
    match = {}
    if peers and torchebm is not None:
        t_exact = TScoreMatching(energy, hessian_method="exact", device=device)
        # torchebm's sliced loss has no variance-reduced form: it is ebmbook's plain one.
        t_sliced = TSliced(energy, n_projections=1, projection_type="rademacher", device=device)
        t_dsm = TDenoising(energy, noise_scale=sigma, device=device)
        c["torchebm exact (vmap, jacrev)"] = lambda: param_grads(t_exact(x), params)
        c["torchebm sliced plain (rademacher)"] = lambda: param_grads(t_sliced(x, generator=g), params)
        c["torchebm denoising"] = lambda: param_grads(t_dsm(x, generator=g), params)
        match.update({"torchebm exact (vmap, jacrev)": "ebmbook exact",
                      "torchebm sliced plain (rademacher)": "ebmbook sliced plain (rademacher)",
                      "torchebm denoising": "ebmbook denoising"})
    if peers and ebmkit is not None:
        # ebmkit draws from the global RNG (no generator argument) and projects on Gaussians only.
        k_exact, k_vr, k_plain, k_dsm = KExact(), KSliced(1, vr=True), KSliced(1, vr=False), KDenoising(sigma)
        c["ebmkit exact"] = lambda: param_grads(k_exact(energy, x).loss, params)
        c["ebmkit sliced VR (gaussian)"] = lambda: param_grads(k_vr(energy, x).loss, params)
        c["ebmkit sliced plain (gaussian)"] = lambda: param_grads(k_plain(energy, x).loss, params)
        c["ebmkit denoising"] = lambda: param_grads(k_dsm(energy, x).loss, params)
        match.update({"ebmkit exact": "ebmbook exact",
                      "ebmkit sliced VR (gaussian)": "ebmbook sliced VR (gaussian)",
                      "ebmkit sliced plain (gaussian)": "ebmbook sliced plain (gaussian)",
                      "ebmkit denoising": "ebmbook denoising"})
    return c, match


UNIT = "forward+backward (x, params)"


def time_dimension(energy, x, cfg, device, peers: bool, exact: bool) -> dict:
    """Time one group of candidates at one dimension: the exact losses (``exact=True``) or
    all the others. Each group has its own forward+backward reference. The exact losses
    are timed apart, after every cheap group: at d = 64 their autograd graphs take hundreds of
    megabytes, and the allocator's state they leave behind (memory returned to the OS and
    page-faulted back) changed the timings of whatever ran next."""
    cands, match = build_candidates(energy, x, cfg, device, peers)
    keep = {n for n in cands if (" exact" in n) == exact} | {UNIT}
    cands = {n: f for n, f in cands.items() if n in keep}
    match = {n: m for n, m in match.items() if n in keep}
    # Warm up, then pick calls per sample so that every sample lasts about sample_ms.
    inner = {}
    for name, fn in cands.items():
        fn()
        wall, _, _ = time_call(fn, device, 1)
        inner[name] = max(1, min(200, round(cfg.sample_ms / 1e3 / max(wall, 1e-6))))
    stats = interleaved(cands, device, repeats=cfg.repeats, warmup=1, inner=inner,
                        budget_s=cfg.budget, min_repeats=min(3, cfg.repeats))
    ref = stats[UNIT]
    out = {}
    for name, s in stats.items():
        row = {
            "median_ms": 1e3 * s["median_s"],
            "min_ms": 1e3 * s["min_s"],
            "rounds": len(s["samples_s"]),
            "calls_per_sample": inner[name],
            # median over rounds of (this / forward+backward) timed in the same round
            "ratio_to_forward_backward": paired_ratio(s, ref),
            "ratio_of_minima": s["min_s"] / ref["min_s"],
            "cpu_ratio": paired_ratio(s, ref, "cpu_samples_s"),
            "minor_faults_per_call": s["minor_faults"],
        }
        if name in match:
            base = stats[match[name]]
            row["compared_with"] = match[name]
            row["ratio_to_ebmbook"] = paired_ratio(s, base)
            row["ratio_to_ebmbook_of_minima"] = s["min_s"] / base["min_s"]
            row["cpu_ratio_to_ebmbook"] = paired_ratio(s, base, "cpu_samples_s")
        out[name] = row
    return out


# --------------------------------------------------------------------------- agreement
def val(t) -> float:
    """A Python float from a tensor (detached: the losses keep their graph) or a number."""
    return float(t.detach()) if isinstance(t, torch.Tensor) else float(t)


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-30)


def agreement(energy, x, cfg, device, peers: bool) -> dict:
    """Do the three libraries compute the same numbers? Same draws where that can be arranged."""
    d = x.shape[1]
    params = list(energy.parameters())
    sigma = cfg.sigma
    have_t = peers and torchebm is not None
    have_k = peers and ebmkit is not None
    out: dict = {"d": d}

    def flat_grad(loss):
        gs = torch.autograd.grad(loss, params, allow_unused=True, materialize_grads=True)
        return torch.cat([g.reshape(-1) for g in gs])

    def grad_rel(a, b):
        return val((a - b).abs().max() / a.abs().max().clamp_min(1e-30))

    # exact: deterministic
    l_b = exact_score_matching_loss(energy, x)
    g_b = flat_grad(l_b)
    out["exact"] = {"ebmbook": val(l_b)}
    if have_t:
        l_t = TScoreMatching(energy, hessian_method="exact", device=device)(x)
        out["exact"]["torchebm"] = val(l_t)
        out["exact"]["torchebm_rel_diff"] = _rel(val(l_b), val(l_t))
        out["exact"]["torchebm_param_grad_rel_diff"] = grad_rel(g_b, flat_grad(l_t))
    if have_k:
        l_k = KExact()(energy, x).loss
        out["exact"]["ebmkit"] = val(l_k)
        out["exact"]["ebmkit_rel_diff"] = _rel(val(l_b), val(l_k))
        out["exact"]["ebmkit_param_grad_rel_diff"] = grad_rel(g_b, flat_grad(l_k))

    # sliced with Gaussian projections and the same draw: torch.randn / randn_like from the
    # same seed give the same numbers (ebmkit reads the global RNG, so it is seeded globally).
    seed = cfg.seed + 100
    for vr in (False, True):
        key = f"sliced {'VR' if vr else 'plain'} (gaussian, same draw)"
        l_b = sliced_score_matching_loss(energy, x, 1, variance_reduction=vr, projection="gaussian",
                                         generator=make_generator(seed, device))
        row = {"ebmbook": val(l_b)}
        if have_t and not vr:
            l_t = TSliced(energy, n_projections=1, projection_type="gaussian", device=device)(
                x, generator=make_generator(seed, device))
            row["torchebm"] = val(l_t)
            row["torchebm_rel_diff"] = _rel(val(l_b), val(l_t))
        if have_k:
            torch.manual_seed(seed)
            l_k = KSliced(1, vr=vr)(energy, x).loss
            row["ebmkit"] = val(l_k)
            row["ebmkit_rel_diff"] = _rel(val(l_b), val(l_k))
        out[key] = row

    # denoising with the same noise draw
    l_b = denoising_score_matching_loss(energy, x, sigma, generator=make_generator(seed, device))
    row = {"ebmbook": val(l_b), "sigma": sigma}
    if have_t:
        l_t = TDenoising(energy, noise_scale=sigma, device=device)(x, generator=make_generator(seed, device))
        row["torchebm"] = val(l_t)
        row["torchebm_rel_diff"] = _rel(val(l_b), val(l_t))
    if have_k:
        torch.manual_seed(seed)
        l_k = KDenoising(sigma)(energy, x).loss
        row["ebmkit"] = val(l_k)
        row["ebmkit_rel_diff"] = _rel(val(l_b), val(l_k))
    out["denoising (same draw)"] = row

    # Rademacher sliced: ebmbook draws signs with randint, torchebm takes sign(randn): same
    # distribution, different stream. Both are unbiased for the exact loss; compare means.
    n = cfg.mc_draws
    exact = val(exact_score_matching_loss(energy, x))
    mc = {"exact": exact, "draws": n}
    draws = {"ebmbook": [val(sliced_score_matching_loss(
        energy, x, 1, variance_reduction=False, generator=make_generator(seed + i, device))) for i in range(n)]}
    if have_t:
        t_sl = TSliced(energy, n_projections=1, projection_type="rademacher", device=device)
        draws["torchebm"] = [val(t_sl(x, generator=make_generator(seed + 10_000 + i, device)))
                             for i in range(n)]
    for lib, v in draws.items():
        m, se = statistics.fmean(v), statistics.stdev(v) / math.sqrt(n)
        mc[lib] = {"mean": m, "stderr": se, "z_vs_exact": (m - exact) / se if se > 0 else 0.0}
    out["sliced plain (rademacher, in expectation)"] = mc

    # torchebm's hessian_method="approx": a finite difference with a Gaussian probe, divided
    # by d. In float64 (the difference itself exact enough) it estimates 1/2|grad E|^2 - lap E / d.
    if have_t:
        e64 = copy.deepcopy(energy).double()
        x64 = x.double()
        with torch.enable_grad():
            xr = x64.detach().requires_grad_(True)
            (ge,) = torch.autograd.grad(e64(xr).sum(), xr)
        half_sq = val(0.5 * ge.pow(2).sum(1).mean())
        exact64 = val(exact_score_matching_loss(e64, x64))
        lap = half_sq - exact64                       # mean Laplacian of E
        # the same Gaussian probe n as torchebm's (randn_like from the same seed), and n^T H n exactly
        probe = torch.randn(x64.shape, generator=make_generator(seed, device), device=device,
                            dtype=torch.float64)
        with torch.enable_grad():
            xr = x64.detach().requires_grad_(True)
            (g1,) = torch.autograd.grad(e64(xr).sum(), xr, create_graph=True)
            (hn,) = torch.autograd.grad((g1 * probe).sum(), xr)
        n_h_n = val((probe * hn).sum(1).mean())
        approx32 = val(TScoreMatching(energy, hessian_method="approx", device=device)(
            x, generator=make_generator(seed, device)))
        approx64 = val(TScoreMatching(e64, hessian_method="approx", dtype=torch.float64, device=device)(
            x64, generator=make_generator(seed, device)))
        out["torchebm approx"] = {
            "exact (float64)": exact64,
            "half_sq_grad": half_sq,
            "mean_laplacian": lap,
            "formula 1/2|grad E|^2 - lap/d": half_sq - lap / d,
            "same probe: 1/2|grad E|^2 - n^T H n / d": half_sq - n_h_n / d,
            "approx float64": approx64,
            "approx float32": approx32,
        }
    return out


# --------------------------------------------------------------------------- main
def main(argv=None) -> dict:
    cfg = parse_args(argv)
    device = resolve_device(cfg.device)
    torch.set_num_threads(cfg.threads)  # one setting for every candidate
    t_start = time.perf_counter()
    peers = not cfg.no_peers

    env = environment(device)
    env["loadavg_start"] = load_average()
    env["malloc_no_trim"] = malloc_no_trim() if cfg.malloc_no_trim else False
    env["torchebm"] = getattr(torchebm, "__version__", None) if torchebm is not None else None
    env["ebmkit"] = getattr(ebmkit, "__version__", None) if ebmkit is not None else None
    w = cfg.width
    print(f"bench_score_matching  device={device}  threads={torch.get_num_threads()}  batch={cfg.batch}  "
          f"MLPEnergy(d, ({w}, {w})) SiLU float32  sigma={cfg.sigma}  torch {torch.__version__}  "
          f"torchebm {env['torchebm']}  ebmkit {env['ebmkit']}  "
          f"OMP_WAIT_POLICY={env['OMP_WAIT_POLICY'] or 'unset'}")
    if peers and (torchebm is None or ebmkit is None):
        missing = [n for n, m in (("torchebm", torchebm), ("ebmkit", ebmkit)) if m is None]
        print(f"not installed, skipped: {', '.join(missing)} (pip install -c constraints.txt -e '.[bench]')")

    result = {"environment": env,
              "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(cfg).items()},
              "timings": {}, "agreement": {}}
    problems = {}
    for d in cfg.dims:
        torch.manual_seed(cfg.seed + d)
        energy = MLPEnergy(d, (w, w)).to(device)
        x = torch.randn(cfg.batch, d, generator=make_generator(cfg.seed + d, device), device=device)
        problems[d] = (energy, x)
        result["agreement"][str(d)] = agreement(energy, x[:256], cfg, device, peers)
    print(f"  agreement checks: done ({time.perf_counter() - t_start:.0f} s)", flush=True)
    for exact in (False, True):  # every cheap group first, then the exact losses (see time_dimension)
        for d, (energy, x) in problems.items():
            group = time_dimension(energy, x, cfg, device, peers, exact)
            if exact:  # one table: the exact rows' ratios are to their own group's reference
                group[UNIT + " [exact group]"] = group.pop(UNIT)
            result["timings"].setdefault(str(d), {}).update(group)
            print(f"  d={d} {'exact' if exact else 'sliced, denoising'}: done "
                  f"({time.perf_counter() - t_start:.0f} s)", flush=True)

    T = result["timings"]
    dims = [str(d) for d in cfg.dims]
    own = ["forward only", "energy_and_grad (x only)", "ebmbook exact", "ebmbook sliced VR (rademacher)",
           "ebmbook sliced plain (rademacher)", "ebmbook denoising"]
    print(f"\n1. One loss + backward to the parameters, / one forward+backward of E.sum() to x and "
          f"the parameters (batch {cfg.batch}; median over rounds of the paired ratio)")
    rows = [["forward+backward, ms"] + [f"{T[d][UNIT]['median_ms']:.3f}" for d in dims]]
    rows += [[n] + [f"{T[d][n]['ratio_to_forward_backward']:.2f}" for d in dims] for n in own]
    rows += [["exact / d"] + [f"{T[d]['ebmbook exact']['ratio_to_forward_backward'] / int(d):.2f}" for d in dims]]
    print(table(rows, ["ebmbook"] + [f"d={d}" for d in dims]))
    worst = max(T[d][n]["ratio_to_forward_backward"] for d in dims
                for n in ("ebmbook sliced VR (rademacher)", "ebmbook sliced plain (rademacher)",
                          "ebmbook denoising"))
    verdict = "PASS" if worst <= CHEAP_TARGET else "MISS"
    print(f"target: sliced and denoising <= {CHEAP_TARGET} x forward+backward -> {verdict} (worst {worst:.2f})")
    result["cheap_target"] = {"ratio": CHEAP_TARGET, "worst": worst, "verdict": verdict}
    rows = [[n] + [f"{T[d][n]['cpu_ratio']:.2f}" for d in dims] for n in own]
    print("same ratios from process CPU time:")
    print(table(rows, ["ebmbook"] + [f"d={d}" for d in dims]))

    peer_names = [n for n in T[dims[0]] if "compared_with" in T[dims[0]][n]]
    if peer_names:
        print("\n2. Peer time / ebmbook time for the same loss (> 1: ebmbook is faster): median of "
              "the paired ratios, (the same from CPU time), [ratio of the fastest rounds]")
        rows = [[f"{n}  vs  {T[dims[0]][n]['compared_with'].removeprefix('ebmbook ')}"]
                + [f"{T[d][n]['ratio_to_ebmbook']:.2f} ({T[d][n]['cpu_ratio_to_ebmbook']:.2f}) "
                   f"[{T[d][n]['ratio_to_ebmbook_of_minima']:.2f}]" for d in dims]
                for n in peer_names]
        print(table(rows, ["peer loss vs ebmbook loss"] + [f"d={d}" for d in dims]))
        rows = [[n] + [f"{T[d][n]['ratio_to_forward_backward']:.2f}" for d in dims] for n in peer_names]
        print("peer loss / forward+backward:")
        print(table(rows, ["peer"] + [f"d={d}" for d in dims]))
    exact_rows = [n for n in T[dims[0]] if " exact" in n]
    rows = [[n] + [f"{T[d][n]['minor_faults_per_call']:.0f}" for d in dims] for n in exact_rows]
    print("page faults per call of the exact losses (memory returned to the OS and faulted back"
          + ("" if cfg.malloc_no_trim else "; try --malloc-no-trim") + "):")
    print(table(rows, ["loss"] + [f"d={d}" for d in dims]))

    A = result["agreement"]
    print("\n3. Agreement of the loss values (256 examples; relative differences to ebmbook)")
    rows = []
    for d in dims:
        for key in ("exact", "sliced plain (gaussian, same draw)", "sliced VR (gaussian, same draw)",
                    "denoising (same draw)"):
            r = A[d][key]
            rows.append([f"d={d} {key}", f"{r['ebmbook']:.6g}",
                         f"{r['torchebm_rel_diff']:.1e}" if "torchebm_rel_diff" in r else "-",
                         f"{r['ebmkit_rel_diff']:.1e}" if "ebmkit_rel_diff" in r else "-"])
    print(table(rows, ["loss", "ebmbook", "torchebm rel diff", "ebmkit rel diff"]))
    grads = [(d, A[d]["exact"].get("torchebm_param_grad_rel_diff"), A[d]["exact"].get("ebmkit_param_grad_rel_diff"))
             for d in dims]
    print("exact loss, parameter gradients, max rel diff (torchebm, ebmkit): "
          + "; ".join(f"d={d}: {t if t is None else f'{t:.1e}'}, {k if k is None else f'{k:.1e}'}"
                      for d, t, k in grads))
    rows = []
    for d in dims:
        mc = A[d]["sliced plain (rademacher, in expectation)"]
        for lib in ("ebmbook", "torchebm"):
            if lib in mc:
                rows.append([f"d={d} {lib}", f"{mc['exact']:.5g}", f"{mc[lib]['mean']:.5g}",
                             f"{mc[lib]['stderr']:.2g}", f"{mc[lib]['z_vs_exact']:+.2f}"])
    print(f"sliced plain, Rademacher, mean of {cfg.mc_draws} draws against the exact loss:")
    print(table(rows, ["library", "exact", "mean", "std err", "z"]))
    if "torchebm approx" in A[dims[0]]:
        rows = [[f"d={d}", f"{A[d]['torchebm approx']['exact (float64)']:.5g}",
                 f"{A[d]['torchebm approx']['formula 1/2|grad E|^2 - lap/d']:.5g}",
                 f"{A[d]['torchebm approx']['same probe: 1/2|grad E|^2 - n^T H n / d']:.5g}",
                 f"{A[d]['torchebm approx']['approx float64']:.5g}",
                 f"{A[d]['torchebm approx']['approx float32']:.5g}"] for d in dims]
        print("torchebm ScoreMatching(hessian_method='approx') against exact SM = 1/2|grad E|^2 - lap E:")
        print(table(rows, ["d", "exact SM", "1/2|grad E|^2 - lap E / d", "same probe n: .. - n'Hn / d",
                           "approx (float64)", "approx (float32)"]))

    finish(result, device, cfg.out, t_start)
    return result


if __name__ == "__main__":
    main()
