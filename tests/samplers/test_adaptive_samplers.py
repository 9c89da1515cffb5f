"""HMC with jitter, step-size adaptation, NUTS and parallel tempering against exact laws.

Same style as test_continuous_samplers.py: many independent chains, their final
states compared with the exact law by KS tests on a few projections
(Bonferroni), so a correct sampler fails a check with probability at most
ALPHA = 1e-4; each check has a deliberately broken twin that must fail it.
"""
import math

import pytest
import torch
from scipy import stats

from conftest import ALPHA
from ebmbook.energies import Gaussian, GaussianMixture
from ebmbook.metrics import ks_test
from ebmbook.samplers import HMC, MALA, NUTS, DualAveraging, ParallelTempering, sample_chain
from test_continuous_samplers import PROJECTIONS, min_p_value, mixture

RESONANT = torch.tensor([[1.0, 0.9], [0.9, 1.0]])


def gaussian_p_value(x, cov, directions):
    """Smallest KS p-value of the projections u^T x against N(0, u^T cov u)."""
    x = x.detach().cpu().double()
    cov = cov.double()
    return min(ks_test(x @ u.double(), stats.norm(0, math.sqrt(float(u.double() @ cov @ u.double()))).cdf).p_value
               for u in directions)


def covariance_z(x, cov):
    """Largest |z| of the sample covariance entries, Var(s_ij) = (S_ii S_jj + S_ij^2) / n for a Gaussian."""
    x = x.detach().cpu().double()
    n = x.shape[0]
    s = (x.T @ x) / n                          # the mean is known to be 0
    cov = cov.double()
    se = torch.sqrt((torch.outer(cov.diagonal(), cov.diagonal()) + cov**2) / n)
    return float(((s - cov) / se).abs().max())


# Three distinct entries, two-sided, Bonferroni: |z| below this fails with probability <= ALPHA.
Z_COV = stats.norm.isf(ALPHA / 6)


def resonant_run(jitter, seed=0):
    gauss = Gaussian(torch.zeros(2), RESONANT)
    g = torch.Generator().manual_seed(seed)
    x0 = 4.0 * torch.randn(3000, 2, generator=g)            # dispersed start
    return sample_chain(HMC(gauss, step_size=0.1, n_leapfrog=10, jitter=jitter), x0, 1, burn_in=150, generator=g)


def test_jittered_hmc_forgets_a_dispersed_start_on_the_resonant_gaussian():
    trace = resonant_run(jitter=0.2)
    x = trace.samples[-1]
    assert covariance_z(x, RESONANT) < Z_COV
    assert gaussian_p_value(x, RESONANT, PROJECTIONS) > ALPHA / 3


def test_plain_hmc_fails_the_same_check_at_resonance():
    # theta L ~ pi in the stiff direction: each step mirrors it, so the start is never forgotten
    trace = resonant_run(jitter=0.0)
    assert trace.acceptance_rate > 0.95                     # the failure is silent ...
    assert covariance_z(trace.samples[-1], RESONANT) > Z_COV  # ... but the covariance is wrong


def test_diagonal_mass_matrix_is_exact():
    # badly scaled axes; a mass of 1/variance makes them equally stiff
    cov = torch.diag(torch.tensor([0.01, 4.0]))
    gauss = Gaussian(torch.zeros(2), cov)
    g = torch.Generator().manual_seed(4)
    hmc = HMC(gauss, step_size=0.3, n_leapfrog=5, mass=1.0 / cov.diagonal(), jitter=0.2)
    trace = sample_chain(hmc, gauss.sample(3000, generator=g), 1, burn_in=20, generator=g)
    assert trace.acceptance_rate > 0.8                      # a unit mass would reject almost all at 0.3
    assert gaussian_p_value(trace.samples[-1], cov, PROJECTIONS) > ALPHA / 3


def test_a_tensor_mass_is_converted_once_per_device_and_dtype():
    # converting a CPU mass at every step would be a blocking host-to-GPU copy per step
    gauss = Gaussian(torch.zeros(2, dtype=torch.float64), torch.eye(2, dtype=torch.float64))
    for sampler in (HMC(gauss, 0.3, 3, mass=torch.tensor([1.0, 2.0])), NUTS(gauss, 0.3, mass=torch.tensor([1.0, 2.0]))):
        state = sampler.init(torch.zeros(4, 2, dtype=torch.float64))
        g = torch.Generator().manual_seed(0)
        state, _ = sampler.step(state, generator=g)
        sqrt_m, inv_m = sampler._mass_cache[4:]
        assert sqrt_m.dtype == torch.float64 and torch.equal(inv_m, torch.tensor([1.0, 0.5], dtype=torch.float64))
        sampler.step(state, generator=g)
        assert sampler._mass_cache[4] is sqrt_m                # reused, not converted again
        sampler.mass = torch.tensor([4.0, 4.0])                # a new mass is picked up ...
        sampler.step(state, generator=g)
        assert torch.equal(sampler._mass_cache[5], torch.full((2,), 0.25, dtype=torch.float64))
        sampler.mass *= 4                                      # ... and so is one changed in place
        sampler.step(state, generator=g)
        assert torch.equal(sampler._mass_cache[5], torch.full((2,), 1 / 16, dtype=torch.float64))


@pytest.mark.parametrize("make", [lambda e: MALA(e, step_size=0.01),
                                  lambda e: HMC(e, step_size=0.01, n_leapfrog=5, jitter=0.1)],
                         ids=["mala", "hmc"])
def test_adapted_samplers_are_exact_after_warm_up(make):
    mix = mixture("cpu")
    g = torch.Generator().manual_seed(6)
    sampler = make(mix)
    trace = sample_chain(sampler, torch.full((3000, 2), 2.0), 30, burn_in=200,
                         adapt=DualAveraging(n_steps=150), generator=g)
    assert sampler.step_size == 0.01                        # the caller's sampler is untouched
    assert trace.step_size > 0.05                           # tuned up from a far too small step
    # the kept steps' acceptance is near the target (a loose band: the scheme's own accuracy)
    assert abs(trace.acceptance_rate - sampler.target_accept) < 0.12
    assert min_p_value(trace.samples[-1], mix) > ALPHA / 3


class RecordingMALA(MALA):
    """MALA that records the step size of every step it takes."""

    def step(self, state, *, generator=None):
        self.used.append(self.step_size)
        return super().step(state, generator=generator)


def test_adaptation_freezes_the_step_after_warm_up():
    mala = RecordingMALA(mixture("cpu"), 0.05)
    mala.used = []
    trace = sample_chain(mala, torch.zeros(200, 2), 20, burn_in=60, adapt=DualAveraging(n_steps=40),
                         generator=torch.Generator().manual_seed(0))
    assert len(mala.used) == 80 and len(set(mala.used[:40])) > 10     # tuned during adaptation ...
    assert set(mala.used[40:]) == {trace.step_size}                  # ... then one kernel to the end


def nuts_target_10d():
    idx = torch.arange(10.0)
    cov = 0.8 ** (idx[:, None] - idx[None, :]).abs()
    return Gaussian(torch.zeros(10), cov), cov


DIRECTIONS_10D = [torch.eye(10)[0], torch.eye(10)[9], torch.ones(10) / math.sqrt(10)]


class NoHastingsNUTS(NUTS):
    """Deliberately broken: every point of the trajectory gets the same weight (no exp(-dH) factor)."""

    def _leaf_log_weight(self, delta_h):
        return torch.zeros_like(delta_h)


def test_nuts_on_the_2d_mixture_from_a_point():
    mix = mixture("cpu")
    g = torch.Generator().manual_seed(7)
    trace = sample_chain(NUTS(mix, step_size=0.3), torch.full((2000, 2), 2.0), 1, burn_in=40,
                         adapt=DualAveraging(n_steps=25), generator=g)
    assert min_p_value(trace.samples[-1], mix) > ALPHA / 3


def test_nuts_on_a_10d_correlated_gaussian():
    gauss, cov = nuts_target_10d()
    g = torch.Generator().manual_seed(8)
    trace = sample_chain(NUTS(gauss, step_size=0.3), 3.0 * torch.randn(1500, 10, generator=g), 1, burn_in=40,
                         adapt=DualAveraging(n_steps=25), generator=g)
    assert gaussian_p_value(trace.samples[-1], cov, DIRECTIONS_10D) > ALPHA / 3


def test_nuts_without_hastings_weights_fails_the_same_check():
    gauss, cov = nuts_target_10d()
    g = torch.Generator().manual_seed(8)
    # a large step makes the energy errors, and so the missing weights, matter
    trace = sample_chain(NoHastingsNUTS(gauss, step_size=0.9), gauss.sample(1500, generator=g), 1, burn_in=30,
                         generator=g)
    assert gaussian_p_value(trace.samples[-1], cov, DIRECTIONS_10D) < ALPHA / 3


def test_nuts_reports_its_tree():
    gauss, _ = nuts_target_10d()
    nuts = NUTS(gauss, step_size=0.3, max_depth=5)
    state = nuts.init(torch.zeros(50, 10))
    state, info = nuts.step(state, generator=torch.Generator().manual_seed(0))
    assert int(info.tree_depth.max()) <= 5 and int(info.n_leapfrog.max()) <= info.n_grad_evals <= 2**5 - 1
    assert bool(((info.acceptance_prob >= 0) & (info.acceptance_prob <= 1)).all())


# --------------------------------------------------------------------------- parallel tempering
def far_mixture():
    """Two modes 7 apart (barrier ~24 nats, chapter 2), with unequal weights 0.3 / 0.7."""
    return GaussianMixture(torch.tensor([[-3.5, 0.0], [3.5, 0.0]], dtype=torch.float64),
                           torch.tensor([0.5, 0.5], dtype=torch.float64),
                           torch.tensor([0.3, 0.7], dtype=torch.float64))


LADDER = [25.0 ** (k / 4) for k in range(5)]   # 1 ... 25: at T = 25 the barrier is ~1 nat
N_PT = 500


class AlwaysSwap(ParallelTempering):
    """Deliberately broken: every proposed swap is accepted."""

    def _swap_log_ratio(self, base_cold, base_hot, t_cold, t_hot):
        return torch.zeros_like(base_cold)


def right_mode_z(x):
    """z-score of the fraction of chains in the right mode against its exact weight 0.7."""
    frac = float((x[:, 0] > 0).double().mean())
    return (frac - 0.7) / math.sqrt(0.7 * 0.3 / x.shape[0])


def pt_run(make, seed=9):
    g = torch.Generator().manual_seed(seed)
    x0 = 3.0 * torch.randn(N_PT, 2, generator=g, dtype=torch.float64)   # dispersed over both basins
    return sample_chain(make(far_mixture()), x0, 1, burn_in=400, generator=g)


# mode weight (two-sided) and a KS test of x1: Bonferroni over the two
Z_WEIGHT = stats.norm.isf(ALPHA / 4)


def x1_p_value(x):
    return ks_test(x[:, 0].cpu().double(), lambda v: 0.3 * stats.norm.cdf(v, -3.5, 0.5)
                   + 0.7 * stats.norm.cdf(v, 3.5, 0.5)).p_value


def test_parallel_tempering_gets_the_mode_weights():
    trace = pt_run(lambda e: ParallelTempering(MALA(e, step_size=0.3), LADDER))
    x = trace.samples[-1]
    assert abs(right_mode_z(x)) < Z_WEIGHT
    assert x1_p_value(x) > ALPHA / 2
    acc = trace.final_state.swap_acceptance
    assert acc.shape == (len(LADDER) - 1,) and bool((acc > 0.3).all())


def test_plain_mala_at_the_same_step_misses_the_mode_weights():
    trace = pt_run(lambda e: MALA(e, step_size=0.3))
    assert abs(right_mode_z(trace.samples[-1])) > Z_WEIGHT


def test_parallel_tempering_that_always_swaps_fails_the_same_check():
    trace = pt_run(lambda e: AlwaysSwap(MALA(e, step_size=0.3), LADDER))
    x = trace.samples[-1]
    assert abs(right_mode_z(x)) > Z_WEIGHT or x1_p_value(x) < ALPHA / 2


def test_parallel_tempering_keeps_cached_energies_consistent():
    mix = far_mixture()
    pt = ParallelTempering(MALA(mix, step_size=0.3), LADDER)
    trace = sample_chain(pt, torch.zeros(50, 2, dtype=torch.float64), 20, generator=torch.Generator().manual_seed(0))
    for t, rep in zip(LADDER, trace.final_state.replicas):
        torch.testing.assert_close(rep.energy, mix(rep.position) / t)
    assert trace.n_grad_evals == len(LADDER) * 21
