"""Annealed importance sampling: the schedule, the general estimator on a Gaussian mixture and an RBM, bad input.

The accuracy checks are statistical. Each estimate is compared with the exact
log Z at a tolerance of at least 5 of its standard errors (two-sided false-failure
probability below 1e-6 for a normal error; the finite-schedule bias,
about -Var(w / E w) / (2M), is below 1e-4 nats in these settings). The
3-standard-error bracket misses the truth with probability about 0.3% by
design, so it is checked on 20 independent groups of runs from one batched call:
a correct estimator leaves at most 4 of 20 brackets open with probability below
1e-5 even if heavy tails tripled the miss rate to 1%, while a broken transition
misses most of them.
"""
import math

import numpy as np
import pytest
import torch

from ebmbook.energies import Energy, Gaussian, GaussianMixture
from ebmbook.exact import grid_quadrature
from ebmbook.metrics import AISResult, GeometricPath, ais, ais_betas, summarise_log_weights
from ebmbook.models import BernoulliRBM, RBMAnnealingPath, RBMGibbs
from ebmbook.models.rbm_gibbs import _IndependentBernoulli
from ebmbook.samplers import HMC, ULA

N_GROUPS, MIN_COVERED = 20, 16


class Shifted(Energy):
    """``energy(x) + shift``: an unnormalised energy with log Z = log Z_energy - shift."""

    def __init__(self, energy, shift):
        super().__init__()
        self.energy, self.shift = energy, shift
        self.event_shape = energy.event_shape

    def forward(self, x):
        return self.energy(x) + self.shift


LOG_Z_MIXTURE = 2.5


@pytest.fixture(scope="module")
def mixture():
    # Three separated, unequal modes (4 to 5.7 apart, widths 0.6-1), normalised, shifted so log Z = 2.5.
    mix = GaussianMixture(torch.tensor([[-4.0, 0.0], [4.0, 0.0], [0.0, 4.0]]), torch.tensor([0.6, 0.8, 1.0]),
                          torch.tensor([0.2, 0.3, 0.5]))
    return Shifted(mix, -LOG_Z_MIXTURE)


# A broad base that covers all three modes, and a schedule beta_k = (k / K)^4 that starts slowly: the
# target's energy is ~100 nats at the base's far samples, so the first steps must be small. With
# 2000 runs, sd(log w) is about 0.35 and the standard error of log Z about 0.007 nats.
BASE = Gaussian(torch.zeros(2), 9.0 * torch.eye(2))
MIXTURE_BETAS = torch.linspace(0, 1, 200, dtype=torch.float64) ** 4
N_RUNS = 2000


def covered(res: AISResult, log_z_base: float, exact: float) -> int:
    groups = [summarise_log_weights(lw, log_z_base) for lw in res.log_weights.chunk(N_GROUPS)]
    return sum(g.log_z_low <= exact <= g.log_z_high for g in groups)


def test_the_mixture_log_z_is_what_quadrature_says(mixture):
    grid = grid_quadrature(mixture, (-12, 12), (-12, 12), resolution=500)
    assert abs(grid.log_z - LOG_Z_MIXTURE) < 1e-3


def test_ais_with_hmc_finds_the_log_z_of_a_gaussian_mixture(mixture):
    torch.set_num_threads(1)  # 2000 chains in 2-D: tiny tensors, threads only add overhead
    res = ais(mixture, BASE, HMC(step_size=0.3, n_leapfrog=5), MIXTURE_BETAS, N_RUNS,
              generator=torch.Generator().manual_seed(0))
    se = (res.log_z_high - res.log_z) / 3
    assert se < 0.01, se                                    # so 0.05 nats is more than 5 standard errors
    assert abs(res.log_z - LOG_Z_MIXTURE) < 0.05, res.log_z
    assert covered(res, BASE.log_z, LOG_Z_MIXTURE) >= MIN_COVERED
    assert res.log_weights.dtype == torch.float64 and res.log_weights.shape == (N_RUNS,)
    assert 0.5 * N_RUNS < res.ess <= N_RUNS


def test_a_transition_that_does_not_leave_the_path_invariant_fails_the_same_check(mixture):
    # ULA has no accept/reject step, so it samples a biased version of each intermediate distribution:
    # the same estimator and checks must catch it (its error is about -0.22 nats, 15 standard errors).
    res = ais(mixture, BASE, ULA(step_size=0.3), MIXTURE_BETAS, N_RUNS, generator=torch.Generator().manual_seed(0))
    assert abs(res.log_z - LOG_Z_MIXTURE) > 0.05
    assert covered(res, BASE.log_z, LOG_Z_MIXTURE) < MIN_COVERED


def random_rbm(d, h, seed, scale=0.5):
    g = torch.Generator().manual_seed(seed)
    rbm = BernoulliRBM(n_hidden=h)
    rbm.weights_ = torch.randn(d, h, generator=g, dtype=torch.float64) * scale
    rbm.visible_bias_ = torch.randn(d, generator=g, dtype=torch.float64) * scale
    rbm.hidden_bias_ = torch.randn(h, generator=g, dtype=torch.float64) * scale
    return rbm


@pytest.mark.parametrize("seed", [0, 1])
def test_ais_with_block_gibbs_on_an_rbm_matches_exact_enumeration(seed):
    torch.set_num_threads(1)
    rbm = random_rbm(20, 12, seed)
    base = _IndependentBernoulli(torch.zeros(20, dtype=torch.float64))
    res = ais(rbm, base, RBMGibbs(), ais_betas(500), N_RUNS, path=RBMAnnealingPath,
              generator=torch.Generator().manual_seed(seed))
    exact = rbm.log_partition_exact()
    # The old RBM AIS test allowed 0.5 nats with 100 runs; with 2000 runs the standard error is below
    # 0.01, so 0.1 nats is still more than 10 standard errors.
    assert abs(res.log_z - exact) < 0.1, (res.log_z, exact)
    assert covered(res, base.log_z, exact) >= MIN_COVERED
    # log_partition_ais is this call: the same numbers from the same generator state.
    again = rbm.log_partition_ais(n_runs=N_RUNS, betas=ais_betas(500), generator=torch.Generator().manual_seed(seed))
    assert again.log_z == res.log_z and torch.equal(again.log_weights, res.log_weights)


def test_ais_betas_has_n_strictly_increasing_values_from_0_to_1():
    for n in list(range(2, 201)) + [1000, 14500, 14501, 100_003, 10**6]:
        b = ais_betas(n)
        assert b.shape == (n,) and b.dtype == torch.float64, n
        assert b[0].item() == 0.0 and b[-1].item() == 1.0, n
        assert bool((b.diff() > 0).all()), n
    with pytest.raises(ValueError, match="n_betas"):
        ais_betas(1)


def test_default_schedule_is_salakhutdinov_and_murrays():
    b = ais_betas()
    counts = [int((b < 0.5).sum()), int(((b >= 0.5) & (b < 0.9)).sum()), int((b >= 0.9).sum())]
    assert len(b) == 14500 and counts == [500, 4000, 10000]


def test_geometric_path_interpolates_and_stays_finite_at_its_ends():
    base, target = Gaussian(torch.zeros(2), 4 * torch.eye(2)), Gaussian(torch.ones(2), torch.eye(2))
    x = torch.randn(5, 2, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(GeometricPath(base, target, 0.3)(x), 0.7 * base(x) + 0.3 * target(x))
    inc = GeometricPath(base, target, 0.3).log_weight_increment(x, 0.5)
    assert inc.dtype == torch.float64
    torch.testing.assert_close(inc, (0.2 * (base(x) - target(x))).double())
    assert torch.equal(GeometricPath(base, Walls(), 0.0)(x), base(x))     # no 0 * inf = NaN at beta = 0
    assert torch.equal(GeometricPath(Walls(), target, 1.0)(x), target(x))


class Walls(Energy):
    """Infinite energy for x_0 > 0: a target with hard constraints."""

    event_shape = (2,)

    def forward(self, x):
        return torch.where(x[:, 0] > 0, torch.inf, 0.0).to(x.dtype)


def test_bad_input_is_refused_by_name(mixture):
    hmc = HMC(step_size=0.3, n_leapfrog=2)
    ok = dict(target=mixture, base=BASE, transition=hmc, betas=ais_betas(10), n_runs=4)

    def call(**changes):
        return ais(**{**ok, **changes})

    for bad in [torch.tensor([0.0, 0.5]), torch.tensor([0.1, 1.0]), torch.tensor([0.0, 0.7, 0.5, 1.0]),
                torch.tensor([0.0, 0.5, 0.5, 1.0]), torch.tensor([0.0]), torch.tensor([0.0, float("nan"), 1.0])]:
        with pytest.raises(ValueError, match="betas"):
            call(betas=bad)
    with pytest.raises(ValueError, match="betas"):
        call(betas=torch.zeros(2, 2))
    with pytest.raises(TypeError, match="betas"):
        call(betas="0 to 1")
    with pytest.raises(ValueError, match="n_runs"):
        call(n_runs=0)
    with pytest.raises(TypeError, match="n_runs"):
        call(n_runs=2.5)
    with pytest.raises(ValueError, match="n_steps_per_beta"):
        call(n_steps_per_beta=0)
    with pytest.raises(TypeError, match="base"):
        call(base=lambda x: x.pow(2).sum(-1))           # an energy without log_z or sample
    with pytest.raises(TypeError, match="base"):
        call(base=Shifted(BASE, 0.0))                  # an Energy without log_z
    with pytest.raises(TypeError, match="transition"):
        call(transition=lambda state: state)
    with pytest.raises(TypeError, match="target"):
        call(target=3.0)
    with pytest.raises(TypeError, match="path"):
        call(path=lambda base, target, beta: target)


def test_block_gibbs_refuses_the_geometric_path_of_an_rbm():
    rbm = random_rbm(5, 3, 0)
    base = _IndependentBernoulli(torch.zeros(5, dtype=torch.float64))
    with pytest.raises(TypeError, match="RBMAnnealingPath"):
        ais(rbm, base, RBMGibbs(), ais_betas(10), 4)         # the default GeometricPath
    with pytest.raises(TypeError, match="RBMGibbs needs an RBM"):
        RBMGibbs(BASE)


def test_a_single_run_has_an_open_bracket_and_nan_weights_raise():
    res = summarise_log_weights(torch.tensor([0.3], dtype=torch.float64), 1.0)
    assert res.log_z == pytest.approx(1.3) and res.log_z_low == -math.inf and res.log_z_high == math.inf
    with pytest.raises(FloatingPointError, match="NaN"):
        summarise_log_weights(torch.tensor([0.0, float("nan")]), 0.0)
    with pytest.raises(FloatingPointError, match="every run"):
        summarise_log_weights(torch.full((3,), -math.inf), 0.0)
    assert np.isfinite(summarise_log_weights(torch.tensor([1000.0, 999.0]), 0.0).log_z)   # no overflow
