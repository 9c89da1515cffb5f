import math

import pytest
import torch
from scipy import stats

from conftest import ALPHA
from ebmbook.energies import Gaussian
from ebmbook.samplers import SGLD, ULA, ReplayBuffer, run, sample_chain, uniform_noise


def test_buffer_reinitialises_at_the_stated_rate():
    # Fill the buffer with a sentinel, then count fresh draws: binomial test at 1e-4.
    buf = ReplayBuffer(100, (2,), reinit_prob=0.2, init=uniform_noise(-1, 1), generator=torch.Generator().manual_seed(0))
    buf.buffer.fill_(5.0)
    x, idx = buf.sample(5000, generator=torch.Generator().manual_seed(1))
    fresh = int((x[:, 0] != 5.0).sum())
    assert stats.binomtest(fresh, 5000, 0.2).pvalue > ALPHA
    assert bool((x[x[:, 0] != 5.0].abs() <= 1).all())


def test_buffer_push_writes_back_and_round_trips(tmp_path):
    g = torch.Generator().manual_seed(0)
    buf = ReplayBuffer(50, (3,), generator=g)
    x, idx = buf.sample(10, generator=g)
    buf.push(torch.full_like(x, 7.0), idx)
    assert bool((buf.buffer[idx] == 7.0).all())
    other = ReplayBuffer(50, (3,), generator=torch.Generator().manual_seed(9))
    other.load_state_dict(buf.state_dict())
    assert torch.equal(other.buffer, buf.buffer)


def test_buffer_bad_input():
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(0, (2,))
    with pytest.raises(ValueError, match="reinit_prob"):
        ReplayBuffer(10, (2,), reinit_prob=1.5)
    buf = ReplayBuffer(10, (2,))
    x, idx = buf.sample(4)
    with pytest.raises(ValueError, match="shape"):
        buf.push(torch.zeros(4, 3), idx)
    with pytest.raises(ValueError, match="NaN"):
        buf.push(torch.full((4, 2), float("nan")), idx)
    with pytest.raises(ValueError, match="init"):
        ReplayBuffer(10, (2,), init=lambda n, shape, g, d: torch.zeros(n))


def test_sgld_without_options_is_ula():
    gauss = Gaussian(torch.zeros(2), torch.eye(2))
    a = sample_chain(SGLD(gauss, 0.1, 0.05), torch.ones(8, 2), 10, generator=torch.Generator().manual_seed(0))
    b = sample_chain(ULA(gauss, 0.1, 0.05), torch.ones(8, 2), 10, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a.samples, b.samples)


def test_sgld_temperature_of_the_deep_ebm_convention():
    # Stationary variance of ULA on N(0, 1) with decoupled noise: sigma^2 / (2 eps - eps^2)
    eps, sigma = 0.1, 0.1
    gauss = Gaussian(torch.zeros(1), torch.eye(1))
    sgld = SGLD(gauss, eps, sigma)
    x = run(sgld, torch.zeros(20000, 1), 300, generator=torch.Generator().manual_seed(0)).position
    expected_std = sigma / math.sqrt(2 * eps - eps**2)
    assert stats.kstest(x.squeeze(1).double().numpy(), stats.norm(0, expected_std).cdf).pvalue > ALPHA
    assert sgld.temperature == pytest.approx(sigma**2 / (2 * eps))


def test_sgld_clamp_and_gradient_clip():
    gauss = Gaussian(torch.zeros(2), torch.eye(2))
    x = run(SGLD(gauss, 0.5, 0.1, clamp=(2.0, 3.0)), torch.full((16, 2), 2.5), 5,
            generator=torch.Generator().manual_seed(0)).position
    assert bool(((x >= 2.0) & (x <= 3.0)).all())
    # With no noise and clipping to norm 0.1, one step moves each point by exactly 0.5 * 0.1.
    far = torch.full((4, 2), 100.0)
    y = run(SGLD(gauss, 0.5, 0.0, grad_clip=0.1), far, 1).position
    torch.testing.assert_close((far - y).norm(dim=1), torch.full((4,), 0.05))


def test_sgld_bad_input():
    gauss = Gaussian(torch.zeros(2), torch.eye(2))
    with pytest.raises(ValueError, match="clamp"):
        SGLD(gauss, 0.1, clamp=(1.0, 0.0))
    with pytest.raises(ValueError, match="grad_clip"):
        SGLD(gauss, 0.1, grad_clip=0.0)
    with pytest.raises(ValueError, match="step_size"):
        SGLD(gauss, -1.0)


def test_buffer_follows_a_float64_model():
    buf = ReplayBuffer(20, (2,), generator=torch.Generator().manual_seed(0))
    assert buf.buffer.dtype == torch.float32
    buf.to(dtype=torch.float64)
    x, idx = buf.sample(30, generator=torch.Generator().manual_seed(1))   # fresh draws too
    assert x.dtype == torch.float64 and buf.buffer.dtype == torch.float64
    assert ReplayBuffer(5, (2,), dtype=torch.float64).buffer.dtype == torch.float64
    assert uniform_noise()(3, (2,), None, "cpu", torch.float64).dtype == torch.float64


def test_float64_buffer_draws_fresh_chains_at_float64_resolution():
    # uniform_noise takes the dtype: a float64 buffer's fresh draws are not float32 numbers cast up
    buf = ReplayBuffer(2000, (2,), dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert not torch.equal(buf.buffer, buf.buffer.float().double())
    four_args = ReplayBuffer(10, (2,), init=lambda n, shape, g, d: torch.zeros(n, *shape), dtype=torch.float64)
    assert four_args.buffer.dtype == torch.float64
