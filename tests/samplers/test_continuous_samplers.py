"""Continuous samplers against exact marginals.

Two checks per sampler, each with many independent chains whose final states
are independent draws, compared with exact CDFs by Kolmogorov–Smirnov tests
(three projections, Bonferroni: a correct sampler fails a check with
probability at most ALPHA = 1e-4):

* invariance: start at exact draws from p, run some steps, still p;
* convergence: start every chain at one point, burn in, reach p.

ULA is biased by construction. On a Gaussian its stationary law is known in
closed form, so it is tested against that law, and the test must also detect
the bias when ULA is judged against the target itself.
"""
import math

import numpy as np
import pytest
import torch
from scipy import stats

from conftest import ALPHA
from ebmbook.energies import Gaussian, GaussianMixture, Ring
from ebmbook.metrics import ks_test
from ebmbook.samplers import HMC, MALA, ULA, RandomWalkMetropolis, leapfrog, sample_chain

N_CHAINS = 4000
PROJECTIONS = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1 / math.sqrt(2), 1 / math.sqrt(2)]])


def mixture(device):
    means = torch.tensor([[-1.0, 0.0], [1.0, 0.5]])
    return GaussianMixture(means, torch.tensor([0.6, 0.8]), torch.tensor([0.4, 0.6])).to(device)


def mixture_cdf(mix, direction):
    """Exact CDF of the projection u^T x of a Gaussian mixture (a 1-D mixture)."""
    u = direction.double()
    means = (mix.means.cpu().double() @ u).numpy()
    stds = torch.sqrt(torch.einsum("i,kij,j->k", u, mix.covariances.cpu().double(), u)).numpy()
    w = mix.weights.cpu().double().numpy()
    return lambda x: sum(w[k] * stats.norm.cdf(x, means[k], stds[k]) for k in range(len(w)))


def min_p_value(x, mix):
    x = x.detach().cpu().double()
    return min(ks_test(x @ u.double(), mixture_cdf(mix, u)).p_value for u in PROJECTIONS)


SAMPLERS = {
    "rwm": lambda e: RandomWalkMetropolis(e, step_size=0.8),
    "mala": lambda e: MALA(e, step_size=0.15),
    "hmc": lambda e: HMC(e, step_size=0.25, n_leapfrog=5),
}


class WrongProposalMALA(MALA):
    """Deliberately broken: drops the Hastings correction q(x|y)/q(y|x)."""

    def _log_hastings(self, noise, grad_x, grad_y):
        return torch.zeros(noise.shape[0], device=noise.device, dtype=noise.dtype)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_invariance_from_exact_draws(name, device):
    mix = mixture(device)
    g = torch.Generator(device=device).manual_seed(0)
    x0 = mix.sample(N_CHAINS, generator=g)
    trace = sample_chain(SAMPLERS[name](mix), x0, 1, burn_in=30, generator=g)
    assert min_p_value(trace.samples[-1], mix) > ALPHA / 3


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_convergence_from_a_point(name, device):
    mix = mixture(device)
    g = torch.Generator(device=device).manual_seed(1)
    x0 = torch.full((N_CHAINS, 2), 2.0, device=device)
    # HMC moves farther per step; 100 of its steps (500 gradients) are ample.
    trace = sample_chain(SAMPLERS[name](mix), x0, 1, burn_in=100 if name == "hmc" else 300, generator=g)
    assert min_p_value(trace.samples[-1], mix) > ALPHA / 3


def test_mala_hastings_term_equals_the_two_gaussian_log_densities():
    # log q(x|y) - log q(y|x) for q(b|a) = N(b; a - eps grad E(a), 2 eps I), written out directly,
    # on 3-D events (so the sum runs over event dims) and a large gradient (no cancellation slack).
    eps = 0.37
    gen = torch.Generator().manual_seed(0)
    x, g_x, g_y, noise = (torch.randn(50, 3, 2, generator=gen, dtype=torch.float64) * s for s in (1, 5, 5, 1))
    y = x - eps * g_x + math.sqrt(2 * eps) * noise

    def log_q(to, frm, grad_frm):  # up to the shared normalising constant
        return -((to - frm + eps * grad_frm) ** 2).sum((1, 2)) / (4 * eps)

    direct = log_q(x, y, g_y) - log_q(y, x, g_x)
    fast = MALA(step_size=eps)._log_hastings(noise, g_x, g_y)
    assert fast.shape == (50,) and torch.allclose(fast, direct, rtol=1e-12, atol=1e-10)


def test_broken_mala_fails_the_same_check(device):
    # Without the Hastings term MALA is biased; a large step makes the bias visible.
    mix = mixture(device)
    g = torch.Generator(device=device).manual_seed(0)
    trace = sample_chain(WrongProposalMALA(mix, step_size=0.5), mix.sample(N_CHAINS, generator=g), 1,
                         burn_in=100, generator=g)
    assert min_p_value(trace.samples[-1], mix) < ALPHA / 3


class HalvedRatioRWM(RandomWalkMetropolis):
    """Deliberately broken: accepts with exp(-dE/2), i.e. samples exp(-E/2)."""

    def log_acceptance_ratio(self, energy_current, energy_proposed):
        return (energy_current - energy_proposed) / 2


def test_broken_metropolis_fails_the_same_check(device):
    mix = mixture(device)
    g = torch.Generator(device=device).manual_seed(0)
    trace = sample_chain(HalvedRatioRWM(mix, 0.8), mix.sample(N_CHAINS, generator=g), 1, burn_in=100, generator=g)
    assert min_p_value(trace.samples[-1], mix) < ALPHA / 3


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_ring_radius_is_exact(name):
    # A non-Gaussian target: the radius of Ring(1, 0.5) has density rho * phi((rho - 1) / 0.5).
    ring = Ring(1.0, 0.5)
    g = torch.Generator().manual_seed(2)
    trace = sample_chain(SAMPLERS[name](ring), ring.sample(N_CHAINS, generator=g), 1, burn_in=30, generator=g)
    rho = trace.samples[-1].norm(dim=-1)
    grid = np.linspace(0, 5, 4001)
    dens = grid * np.exp(-((grid - 1.0) ** 2) / (2 * 0.25))
    cdf = np.concatenate([[0.0], np.cumsum((dens[1:] + dens[:-1]) / 2 * np.diff(grid))])
    cdf /= cdf[-1]
    assert ks_test(rho, lambda r: np.interp(r, grid, cdf)).p_value > ALPHA


def ula_stationary_std(step_size, sigma):
    # x' = (1 - eps / s^2) x + sqrt(2 eps) xi  =>  Var = s^2 / (1 - eps / (2 s^2))
    return sigma / math.sqrt(1 - step_size / (2 * sigma**2))


@pytest.mark.parametrize("step_size", [0.1, 0.5])
def test_ula_matches_its_exact_stationary_law(step_size, device):
    sigma = 1.0
    gauss = Gaussian(torch.zeros(2), torch.eye(2) * sigma**2).to(device)
    g = torch.Generator(device=device).manual_seed(3)
    trace = sample_chain(ULA(gauss, step_size), torch.full((N_CHAINS, 2), 3.0, device=device), 1,
                         burn_in=400, generator=g)
    std = ula_stationary_std(step_size, sigma)
    x = trace.samples[-1].cpu().double()
    p = min(ks_test(x @ u.double(), stats.norm(0, std).cdf).p_value for u in PROJECTIONS)
    assert p > ALPHA / 3


def test_ula_bias_is_detected_against_the_target():
    gauss = Gaussian(torch.zeros(2), torch.eye(2))
    g = torch.Generator().manual_seed(3)
    trace = sample_chain(ULA(gauss, 0.5), torch.zeros(N_CHAINS, 2), 1, burn_in=200, generator=g)
    x = trace.samples[-1].double()
    assert min(ks_test(x @ u.double(), stats.norm(0, 1).cdf).p_value for u in PROJECTIONS) < ALPHA / 3


def test_ula_noise_scale_sets_temperature():
    gauss = Gaussian(torch.zeros(2), torch.eye(2))
    ula = ULA(gauss, step_size=10.0, noise_scale=0.005)
    assert abs(ula.temperature - 0.005**2 / 20) < 1e-15
    assert ULA(gauss, 0.3).temperature == pytest.approx(1.0)


def test_leapfrog_is_reversible():
    mix = GaussianMixture(torch.tensor([[-1.0, 0.0], [1.0, 0.5]], dtype=torch.float64),
                          torch.tensor([0.6, 0.8], dtype=torch.float64))
    g = torch.Generator().manual_seed(0)
    x = torch.randn(50, 2, generator=g, dtype=torch.float64)
    p = torch.randn(50, 2, generator=g, dtype=torch.float64)
    from ebmbook.energies import energy_and_grad

    _, grad = energy_and_grad(mix, x)
    x1, p1, _, g1 = leapfrog(mix, x, p, grad, 0.1, 20)
    x2, p2, _, _ = leapfrog(mix, x1, -p1, g1, 0.1, 20)
    torch.testing.assert_close(x2, x, atol=1e-10, rtol=0)
    torch.testing.assert_close(-p2, p, atol=1e-10, rtol=0)


def test_leapfrog_energy_error_is_second_order():
    # Fixed trajectory length 1: halving the step should quarter |dH|.
    from ebmbook.energies import energy_and_grad

    mix = GaussianMixture(torch.tensor([[-1.0, 0.0], [1.0, 0.5]], dtype=torch.float64),
                          torch.tensor([0.6, 0.8], dtype=torch.float64))
    g = torch.Generator().manual_seed(1)
    x = torch.randn(200, 2, generator=g, dtype=torch.float64)
    p = torch.randn(200, 2, generator=g, dtype=torch.float64)
    e0, grad = energy_and_grad(mix, x)
    h0 = e0 + 0.5 * p.pow(2).sum(-1)
    errors = []
    for eps in (0.04, 0.02, 0.01):
        x1, p1, e1, _ = leapfrog(mix, x, p, grad, eps, round(1 / eps))
        errors.append(float((e1 + 0.5 * p1.pow(2).sum(-1) - h0).abs().mean()))
    for coarse, fine in zip(errors, errors[1:]):
        assert 3.5 < coarse / fine < 4.5


def test_one_gradient_evaluation_per_langevin_step():
    calls = {"n": 0}
    gauss = Gaussian(torch.zeros(2), torch.eye(2))

    def counted(x):
        calls["n"] += 1
        return gauss(x)

    for sampler, per_step in ((ULA(counted, 0.1), 1), (MALA(counted, 0.1), 1), (HMC(counted, 0.1, 7), 7)):
        calls["n"] = 0
        trace = sample_chain(sampler, torch.zeros(16, 2), 10, generator=torch.Generator().manual_seed(0))
        assert calls["n"] == 1 + 10 * per_step == trace.n_grad_evals


def test_same_seed_same_chain(device):
    mix = mixture(device)
    for make in list(SAMPLERS.values()) + [lambda e: ULA(e, 0.1)]:
        runs = [sample_chain(make(mix), torch.zeros(8, 2, device=device), 15,
                             generator=torch.Generator(device=device).manual_seed(5)) for _ in range(2)]
        assert torch.equal(runs[0].samples, runs[1].samples)
        assert torch.equal(runs[0].acceptance_prob, runs[1].acceptance_prob)


def test_trace_shapes_thinning_and_acceptance():
    mix = mixture("cpu")
    trace = sample_chain(MALA(mix, 0.2), torch.zeros(6, 2), 20, burn_in=5, thin=4,
                         generator=torch.Generator().manual_seed(0))
    assert trace.samples.shape == (5, 6, 2)
    assert trace.energies.shape == (5, 6)
    assert trace.acceptance_prob.shape == (20, 6)
    assert 0 < trace.acceptance_rate <= 1
    torch.testing.assert_close(trace.energies[-1], mix(trace.samples[-1]))
    cont = sample_chain(MALA(mix, 0.2), trace.final_state, 4, generator=torch.Generator().manual_seed(1))
    assert cont.samples.shape == (4, 6, 2) and cont.n_grad_evals == 4


def test_diverging_ula_stops_with_a_clear_error():
    gauss = Gaussian(torch.zeros(2), torch.eye(2))
    with pytest.raises(FloatingPointError, match="step_size"):
        sample_chain(ULA(gauss, step_size=5.0), torch.ones(4, 2), 2000, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("make, match", [
    (lambda e: ULA(e, 0.0), "step_size"),
    (lambda e: ULA(e, 0.1, noise_scale=-1.0), "noise_scale"),
    (lambda e: MALA(e, -0.1), "step_size"),
    (lambda e: HMC(e, 0.1, 0), "n_leapfrog"),
    (lambda e: HMC(e, 0.1, 3, mass=0.0), "mass"),
    (lambda e: RandomWalkMetropolis(e, float("nan")), "step_size"),
])
def test_bad_settings(make, match):
    with pytest.raises(ValueError, match=match):
        make(Gaussian(torch.zeros(2), torch.eye(2)))


def test_bad_chain_input():
    mala = MALA(Gaussian(torch.zeros(2), torch.eye(2)), 0.1)
    with pytest.raises(ValueError, match="x0"):
        mala.init(torch.tensor([[float("nan"), 0.0]]))
    with pytest.raises(ValueError, match="shape"):
        mala.init(torch.zeros(4, 3))
    with pytest.raises(TypeError, match="x0"):
        mala.init([[0.0, 0.0]])
    with pytest.raises(ValueError, match="n_steps"):
        sample_chain(mala, torch.zeros(4, 2), 0)
    with pytest.raises(ValueError, match="thin"):
        sample_chain(mala, torch.zeros(4, 2), 3, thin=5)
    with pytest.raises(TypeError, match="sampler"):
        sample_chain("mala", torch.zeros(4, 2), 3)
    with pytest.raises(TypeError, match="energy"):
        MALA("not an energy", 0.1)
    with pytest.raises(ValueError, match=r"shape \(batch,\)"):
        MALA(lambda x: x.sum(), 0.1).init(torch.zeros(4, 2))
