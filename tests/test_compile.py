"""``run``/``sample_chain`` with ``compile=True`` (torch.compile of the sampler's step).

What is claimed (``ebmbook.samplers.sample_chain``, notes) and checked here:

* the random draws stay eager, so compile=True uses the same random numbers as
  compile=False, and its chains equal compile=False's to rounding (float64:
  1e-10 after 15 steps; measured ~1e-15), not bit for bit;
* compile=True reproduces itself bit for bit from the same generator;
* the compiled step is reused by ``bind`` copies and by other models of the same
  architecture, including one whose parameters an optimiser changed (training);
* bad values of ``compile`` and samplers that do not compile are refused by name;
* on CUDA, the loop synchronises only for the documented finiteness check.

Compiling with inductor is slow on a 2-core CPU (about 20 s for the first
sampler in a fresh process with a cold inductor cache, a few seconds for each
next one; a warm cache cuts that to about 1 s). Every test below reuses the
compilations of ``test_compiled_chains_match_eager`` (same model architecture,
32 chains, float64, same settings) except the adaptation test, which compiles
MALA once more at the adapted step size. Equality to rounding rather than a
distributional test is possible because the random streams are identical; in
float64 a rounding difference could flip a Metropolis decision only if a
uniform fell within ~1e-15 of its acceptance probability (probability ~1e-12
over this file), far below ALPHA.
"""
import warnings

import pytest
import torch
from torch import nn

from ebmbook.energies import Gaussian
from ebmbook.samplers import (HMC, MALA, NUTS, SGLD, ULA, DualAveraging,
                              RandomWalkMetropolis, run, sample_chain)
from ebmbook.samplers import chain as chain_module

N_CHAINS, N_STEPS, ATOL = 32, 15, 1e-10

SAMPLERS = {
    "ULA": lambda: ULA(step_size=0.05),
    "SGLD": lambda: SGLD(step_size=0.05, noise_scale=0.1, grad_clip=5.0, clamp=(-3.0, 3.0)),
    "MALA": lambda: MALA(step_size=0.3),
    "HMC": lambda: HMC(step_size=0.2, n_leapfrog=3, jitter=0.2),
}


class TinyEnergy(nn.Module):
    """E(x) = MLP(x) + |x|^2 / 2 in float64, trainable (its parameters require gradients, as in training)."""

    def __init__(self, seed: int = 0, device="cpu"):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 8), nn.SiLU(), nn.Linear(8, 1)).double()
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for p in self.net.parameters():
                p.copy_(0.5 * torch.randn(p.shape, generator=g, dtype=p.dtype))
        self.to(device)

    def forward(self, x):
        return self.net(x).squeeze(-1) + 0.5 * x.pow(2).sum(-1)


def start(device, seed=1):
    return torch.randn(N_CHAINS, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).to(device)


def gen(device, seed=0):
    return torch.Generator(device=device).manual_seed(seed)


def n_graphs() -> int:
    """Graphs dynamo has compiled in this process (grows with every compilation)."""
    from torch._dynamo.utils import counters
    return counters["stats"]["unique_graphs"]


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("value", [1, 0, "yes", None, 1.0])
def test_compile_must_be_a_bool(value):
    ula = ULA(Gaussian(torch.zeros(2), torch.eye(2)), step_size=0.1)
    with pytest.raises(TypeError, match="compile must be True or False"):
        run(ula, torch.zeros(4, 2), 3, compile=value)
    with pytest.raises(TypeError, match="compile must be True or False"):
        sample_chain(ula, torch.zeros(4, 2), 3, compile=value)


@pytest.mark.parametrize("make", [
    lambda e: NUTS(e, step_size=0.2),
    lambda e: RandomWalkMetropolis(e, step_size=0.5),
], ids=["NUTS", "RandomWalkMetropolis"])
def test_compile_refuses_samplers_whose_step_does_not_compile(make):
    sampler = make(Gaussian(torch.zeros(2), torch.eye(2)))
    with pytest.raises(ValueError, match=r"compile=True supports ULA, SGLD, MALA and HMC, not"):
        run(sampler, torch.zeros(4, 2), 2, compile=True)
    with pytest.raises(ValueError, match=r"compile=True supports"):
        sample_chain(sampler, torch.zeros(4, 2), 2, compile=True)
    # compile=False still works
    assert run(sampler, torch.zeros(4, 2), 2, compile=False).position.shape == (4, 2)


# ----------------------------------------------------------------------------- agreement
@pytest.mark.slow   # compiles four samplers: ~35 s with a cold inductor cache, ~10 s warm
@pytest.mark.parametrize("name", list(SAMPLERS))
def test_compiled_chains_match_eager(name, device):
    """Same generator: compile=True equals compile=False to rounding, and itself bit for bit."""
    sampler = SAMPLERS[name]().bind(TinyEnergy(device=device))
    x0 = start(device)
    g_eager, g_comp, g_again = gen(device), gen(device), gen(device)
    eager = sample_chain(sampler, x0, N_STEPS, generator=g_eager, compile=False)
    comp = sample_chain(sampler, x0, N_STEPS, generator=g_comp, compile=True)
    again = sample_chain(sampler, x0, N_STEPS, generator=g_again, compile=True)

    # the same random numbers were drawn: the generators end in the same state
    assert torch.equal(g_comp.get_state(), g_eager.get_state())
    if name in ("MALA", "HMC"):   # the comparison covers rejected proposals too
        assert eager.acceptance_rate < 1.0
    torch.testing.assert_close(comp.samples, eager.samples, atol=ATOL, rtol=0)
    torch.testing.assert_close(comp.energies, eager.energies, atol=ATOL, rtol=0)
    torch.testing.assert_close(comp.acceptance_prob, eager.acceptance_prob, atol=ATOL, rtol=0)
    torch.testing.assert_close(comp.final_state.grad, eager.final_state.grad, atol=ATOL, rtol=0)
    assert comp.n_grad_evals == eager.n_grad_evals
    # reproducible: compile=True against itself is exact
    assert torch.equal(again.samples, comp.samples) and torch.equal(again.acceptance_prob, comp.acceptance_prob)

    # run() takes the same path
    final = run(sampler, x0, N_STEPS, generator=gen(device), compile=True)
    torch.testing.assert_close(final.position, eager.final_state.position, atol=ATOL, rtol=0)


@pytest.mark.slow   # compiles MALA once more: without a generator the draws are traced into the graph
def test_global_rng_draws_are_the_same_numbers(device):
    """generator=None: the compiled step draws from the global RNG exactly as the eager one does."""
    sampler = SAMPLERS["MALA"]().bind(TinyEnergy(device=device))
    x0 = start(device)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(5)
        eager = run(sampler, x0, N_STEPS, compile=False)
        torch.manual_seed(5)
        comp = run(sampler, x0, N_STEPS, compile=True)
    torch.testing.assert_close(comp.position, eager.position, atol=ATOL, rtol=0)


def test_rebinding_and_training_reuse_the_compiled_step(device):
    """What an objective does at every training step: bind a configured sampler to the current model and
    run it. New bound copies, another model of the same architecture, a generator per call and parameters
    changed in place by an optimiser must not compile again."""
    configured = SAMPLERS["MALA"]()
    model = TinyEnergy(seed=3, device=device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    run(configured.bind(model), start(device), 3, generator=gen(device), compile=True)   # compiled (or cached)
    before = n_graphs()
    for i in range(3):
        opt.zero_grad()
        model(start(device, seed=10 + i)).mean().backward()
        opt.step()                                   # the parameters change in place
        sampler = configured.bind(model)             # a fresh copy every step, as objectives do
        x0 = start(device, seed=20 + i)
        comp = run(sampler, x0, 3, generator=gen(device, i), compile=True)
        eager = run(sampler, x0, 3, generator=gen(device, i), compile=False)
        torch.testing.assert_close(comp.position, eager.position, atol=ATOL, rtol=0)
    other = TinyEnergy(seed=4, device=device)        # another model, same architecture
    run(configured.bind(other), start(device), 3, generator=gen(device), compile=True)
    assert n_graphs() == before, "a bound copy, an optimiser step or a new model recompiled the step"


@pytest.mark.slow   # compiles MALA once more, at the adapted step size
def test_adaptation_runs_eagerly_then_compiled(device):
    """With adapt=, the adapting steps are eager (the step size changes every step) and the kept draws
    are compiled at the frozen step size: the same adapted step and the same chains to rounding."""
    sampler = SAMPLERS["MALA"]().bind(TinyEnergy(device=device))
    x0 = start(device)
    kwargs = dict(burn_in=10, adapt=DualAveraging(target_accept=0.6))
    eager = sample_chain(sampler, x0, 8, generator=gen(device), compile=False, **kwargs)
    comp = sample_chain(sampler, x0, 8, generator=gen(device), compile=True, **kwargs)
    assert comp.step_size == eager.step_size != sampler.step_size
    torch.testing.assert_close(comp.samples, eager.samples, atol=ATOL, rtol=0)
    torch.testing.assert_close(comp.acceptance_prob, eager.acceptance_prob, atol=ATOL, rtol=0)


# ----------------------------------------------------------------------------- GPU
@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("compile", [False, True])
@pytest.mark.parametrize("name", ["ULA", "MALA", "HMC"])
def test_loop_synchronises_only_for_the_finiteness_check(name, compile):
    """On CUDA, count the host-device synchronisations of the loop: one per finiteness check, no more."""
    device = torch.device("cuda")
    sampler = SAMPLERS[name]().bind(TinyEnergy(device=device))
    g = gen(device)
    state = run(sampler, start(device), 2, generator=g, compile=compile)   # init and compilation done
    n_steps = 25
    checks = len([t for t in range(n_steps) if t % chain_module.FINITE_CHECK_EVERY == 0 or t == n_steps - 1])
    torch.cuda.synchronize()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            run(sampler, state, n_steps, generator=g, compile=compile)
        finally:
            torch.cuda.set_sync_debug_mode("default")
    syncs = [w for w in caught if "synchroniz" in str(w.message)]
    assert len(syncs) == checks, [str(w.message) for w in syncs]


def test_contrastive_divergence_passes_compile_to_its_sampler_runs(device):
    """ContrastiveDivergence(compile=True): the same negatives as compile=False, to rounding, and a
    sampler whose step does not compile is refused when the objective is built."""
    from ebmbook.losses import ContrastiveDivergence
    from ebmbook.samplers import uniform_noise

    model = TinyEnergy(seed=5, device=device)
    x = start(device, seed=6)
    outs = []
    for flag in (False, True):
        cd = ContrastiveDivergence((2,), sampler=SAMPLERS["MALA"](), n_steps=4, buffer=None,
                                   init=uniform_noise(-2, 2), compile=flag)
        outs.append(cd.negatives(model, N_CHAINS, generator=gen(device), like=x))
    torch.testing.assert_close(outs[1], outs[0], atol=ATOL, rtol=0)
    with pytest.raises(ValueError, match="compile=True supports"):
        ContrastiveDivergence((2,), sampler=RandomWalkMetropolis(step_size=0.5), compile=True)
    with pytest.raises(TypeError, match="compile must be True or False"):
        ContrastiveDivergence((2,), compile="yes")
