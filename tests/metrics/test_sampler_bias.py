"""ebmbook.metrics.sampler_bias: hand-computed runs, and ULA's closed-form bias on a Gaussian."""
import math

import pytest
import torch
from scipy import stats

from conftest import ALPHA
from ebmbook import exact
from ebmbook.energies import Gaussian
from ebmbook.metrics import SamplerBias, sampler_bias
from ebmbook.samplers import MALA, ULA, Info, Sampler, State

Z_LIMIT = stats.norm.isf(ALPHA / 2)        # two-sided z-test at false-failure probability ALPHA


class Shift(Sampler):
    """A deterministic 'sampler' that moves every chain by +1, so every average is known by hand."""

    def step(self, state, *, generator=None):
        x = state.position + 1
        n = x.shape[0]
        return State(x, self.energy(x)), Info(torch.ones(n, dtype=x.dtype), torch.ones(n, dtype=torch.bool))


def total(x):
    return x.sum(-1)


def test_hand_computed_run():
    # Chains start at 0, 1, 2; one burn-in step, then two kept steps: positions x0 + 2, x0 + 3, so the
    # per-chain averages of E(x) = x are 2.5, 3.5, 4.5: estimate 3.5, sd 1, MCSE 1/sqrt(3).
    x0 = torch.tensor([[0.0], [1.0], [2.0]], dtype=torch.float64)
    r = sampler_bias(Shift(total), x0, 2, 3.0, burn_in=1)
    assert isinstance(r, SamplerBias)
    assert r.estimate == pytest.approx(3.5, abs=1e-15)
    assert r.bias == pytest.approx(0.5, abs=1e-15)
    assert r.mcse == pytest.approx(1 / math.sqrt(3), rel=1e-14)
    assert r.z == pytest.approx(0.5 * math.sqrt(3), rel=1e-14)
    assert r.acceptance == 1.0


def test_hand_computed_run_with_a_statistic():
    # f(x) = x^2 on chains at 0 and 2, three kept steps: averages (1+4+9)/3 and (9+16+25)/3.
    x0 = torch.tensor([[0.0], [2.0]], dtype=torch.float64)
    r = sampler_bias(Shift(total), x0, 3, 10.0, fn=lambda x: x[:, 0] ** 2)
    a, b = 14 / 3, 50 / 3
    assert r.estimate == pytest.approx((a + b) / 2, rel=1e-14)
    assert r.bias == pytest.approx((a + b) / 2 - 10.0, rel=1e-14)
    assert r.mcse == pytest.approx(abs(b - a) / math.sqrt(2) / math.sqrt(2), rel=1e-14)


def test_identical_chains_give_zero_mcse():
    x0 = torch.zeros(4, 1, dtype=torch.float64)
    r = sampler_bias(Shift(total), x0, 1, 0.0)          # every chain's average is 1
    assert r.mcse == 0.0 and r.bias == 1.0 and r.z == math.inf
    assert sampler_bias(Shift(total), x0, 1, 1.0).z == 0.0


def test_ula_bias_on_a_gaussian_is_the_closed_form(device):
    # ULA on E = x^2 / 2 (sigma = 1) with eps = 0.5 has the stationary law N(0, 4/3). Chains started
    # there stay stationary, so the estimate of <E> is unbiased for ULA's own law: its bias against the
    # exact <E> = 1/2 is ula_gaussian_energy_bias = 1/6, to within Z_LIMIT MCSE.
    eps, n_chains = 0.5, 4000
    target = Gaussian(torch.zeros(1, dtype=torch.float64), torch.eye(1, dtype=torch.float64)).to(device)
    g = torch.Generator(device=device).manual_seed(0)
    v = exact.ula_gaussian_variance(eps, 1.0)
    x0 = math.sqrt(v) * torch.randn(n_chains, 1, generator=g, device=device, dtype=torch.float64)
    r = sampler_bias(ULA(target, eps), x0, 20, 0.5, generator=g)
    predicted = exact.ula_gaussian_energy_bias(eps, 1.0, dim=1)
    assert abs(r.bias - predicted) < Z_LIMIT * r.mcse, (r, predicted)
    assert r.z > 10                                           # and the bias is detected, far beyond noise
    assert r.acceptance == 1.0


def test_mala_is_unbiased_on_a_gaussian(device):
    target = Gaussian(torch.zeros(2, dtype=torch.float64), torch.eye(2, dtype=torch.float64)).to(device)
    g = torch.Generator(device=device).manual_seed(1)
    x0 = target.sample(4000, generator=g)                     # exact draws: stationary from the start
    r = sampler_bias(MALA(target, 0.5), x0, 20, 1.0, generator=g)   # <E> = d/2 = 1
    assert abs(r.z) < Z_LIMIT, r
    assert 0.0 < r.acceptance < 1.0
    # the same statistic through fn: E|x|^2 = 2
    r2 = sampler_bias(MALA(target, 0.5), x0, 20, 2.0, fn=lambda x: x.pow(2).sum(-1),
                      generator=torch.Generator(device=device).manual_seed(2))   # not the seed of x0
    assert abs(r2.z) < Z_LIMIT, r2


def _gauss():
    return Gaussian(torch.zeros(1), torch.eye(1))


@pytest.mark.parametrize("call, exc, match", [
    (lambda: sampler_bias(lambda x: x, torch.zeros(3, 1), 5, 0.0), TypeError, "sampler must be an ebmbook Sampler"),
    (lambda: sampler_bias(MALA(_gauss(), 0.1), [[0.0], [1.0]], 5, 0.0), TypeError, "x0 must be a torch.Tensor"),
    (lambda: sampler_bias(MALA(_gauss(), 0.1), torch.zeros(1, 1), 5, 0.0), ValueError, "x0 must hold at least two"),
    (lambda: sampler_bias(MALA(_gauss(), 0.1), torch.zeros(3, 1), 0, 0.0), ValueError, "n_steps must be >= 1"),
    (lambda: sampler_bias(MALA(_gauss(), 0.1), torch.zeros(3, 1), 2.5, 0.0), TypeError, "n_steps must be an integer"),
    (lambda: sampler_bias(MALA(_gauss(), 0.1), torch.zeros(3, 1), 5, 0.0, burn_in=-1), ValueError, "burn_in must be"),
    (lambda: sampler_bias(MALA(_gauss(), 0.1), torch.zeros(3, 1), 5, math.nan), ValueError, "exact must be finite"),
    (lambda: sampler_bias(MALA(_gauss(), 0.1), torch.zeros(3, 1), 5, "0"), TypeError, "exact must be a real number"),
    (lambda: sampler_bias(MALA(_gauss(), 0.1), torch.zeros(3, 1), 5, 0.0, fn="x^2"), TypeError, "fn must be callable"),
    (lambda: sampler_bias(MALA(_gauss(), 0.1), torch.zeros(3, 1), 5, 0.0, fn=lambda x: x), ValueError,
     r"fn must map draws"),
    (lambda: sampler_bias(MALA(_gauss(), 0.1), torch.zeros(3, 1), 5, 0.0, generator=0), TypeError,
     "generator must be a torch.Generator"),
])
def test_bad_input_names_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
