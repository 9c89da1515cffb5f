"""Closed forms for Gaussian targets (ebmbook.exact.gaussian) against integration, recursion and hand values."""
import math

import numpy as np
import pytest
import torch

from ebmbook import exact
from ebmbook.energies import Gaussian, GaussianMixture


def correlated_mixture():
    means = torch.tensor([[-1.0, 0.5], [2.0, -1.0]], dtype=torch.float64)
    covs = torch.tensor([[[1.0, 0.6], [0.6, 0.8]], [[0.5, -0.2], [-0.2, 1.5]]], dtype=torch.float64)
    return GaussianMixture(means, covs, torch.tensor([0.3, 0.7], dtype=torch.float64))


@pytest.mark.parametrize("dim", [0, 1])
def test_marginal_is_the_integral_of_the_joint_density(dim):
    # Integrate p(x) = exp(-E(x)) over the other coordinate numerically (trapezoid rule on a fine,
    # wide grid: the integrand is smooth and decays like a Gaussian, so the error is ~1e-12).
    mix = correlated_mixture()
    xs = torch.linspace(-4.0, 5.0, 13, dtype=torch.float64)
    other = torch.linspace(-15.0, 15.0, 30_001, dtype=torch.float64)
    numeric = []
    for x in xs:
        pts = torch.stack([x.expand_as(other), other], -1) if dim == 0 else torch.stack([other, x.expand_as(other)], -1)
        numeric.append(np.trapezoid(torch.exp(-mix(pts)).numpy(), other.numpy()))
    closed = exact.mixture_marginal_density(mix, xs, dim=dim)
    assert np.allclose(closed.numpy(), numeric, rtol=1e-9, atol=1e-12)


def test_marginal_integrates_to_one_and_keeps_shape():
    mix = correlated_mixture()
    x = torch.linspace(-12.0, 12.0, 40_001, dtype=torch.float64)
    assert np.trapezoid(exact.mixture_marginal_density(mix, x, dim=1).numpy(), x.numpy()) == pytest.approx(1, abs=1e-10)
    grid = torch.zeros(3, 4, dtype=torch.float64)
    assert exact.mixture_marginal_density(mix, grid, dim=0).shape == (3, 4)


def test_marginal_of_one_isotropic_component_by_hand():
    mix = GaussianMixture(torch.tensor([[0.5, -2.0]], dtype=torch.float64), torch.tensor([0.75], dtype=torch.float64))
    at_mean = exact.mixture_marginal_density(mix, torch.tensor([-2.0], dtype=torch.float64), dim=1)
    one_sd = exact.mixture_marginal_density(mix, torch.tensor([0.5 + 0.75], dtype=torch.float64), dim=0)
    assert float(at_mean) == pytest.approx(1 / math.sqrt(2 * math.pi * 0.75 ** 2), rel=1e-14)
    assert float(one_sd) == pytest.approx(math.exp(-0.5) / math.sqrt(2 * math.pi * 0.75 ** 2), rel=1e-14)


def test_marginal_follows_the_input_device_and_dtype(device):
    mix = correlated_mixture()                                # float64 parameters on the CPU
    x = torch.linspace(-2.0, 2.0, 5, device=device, dtype=torch.float32)
    out = exact.mixture_marginal_density(mix, x, dim=0)
    assert out.device.type == device.type and out.dtype == torch.float32
    ref = exact.mixture_marginal_density(mix, x.cpu().double(), dim=0)
    assert torch.allclose(out.cpu().double(), ref, rtol=1e-6)


@pytest.mark.parametrize("step_size, std", [(0.01, 1.0), (0.3, 0.75), (1.0, 0.8), (0.5, 2.0)])
def test_ula_variance_is_the_fixed_point_of_the_variance_recursion(step_size, std):
    # x' = (1 - eps/sigma^2) x + sqrt(2 eps) z  =>  Var' = (1 - eps/sigma^2)^2 Var + 2 eps; iterate to convergence.
    a = 1 - step_size / std ** 2
    v = std ** 2
    for _ in range(20_000):
        v = a * a * v + 2 * step_size
    assert exact.ula_gaussian_variance(step_size, std) == pytest.approx(v, rel=1e-12)


def test_ula_variance_and_energy_bias_by_hand():
    assert exact.ula_gaussian_variance(0.5, 1.0) == pytest.approx(4 / 3, rel=1e-15)
    # d/2 (v/sigma^2 - 1): 2 dimensions, v = 4/3  ->  1/3; 3 dimensions, sigma = 0.75, eps = 0.16.
    assert exact.ula_gaussian_energy_bias(0.5, 1.0, dim=2) == pytest.approx(1 / 3, rel=1e-14)
    v = exact.ula_gaussian_variance(0.16, 0.75)
    assert exact.ula_gaussian_energy_bias(0.16, 0.75, dim=3) == pytest.approx(1.5 * (v / 0.5625 - 1), rel=1e-12)


def test_ula_energy_bias_is_linear_for_small_steps():
    for eps in [1e-3, 1e-4]:
        assert exact.ula_gaussian_energy_bias(eps, 0.75, dim=2) == pytest.approx(eps / (2 * 0.75 ** 2), rel=2 * eps)


def test_ula_energy_bias_is_the_mean_energy_excess_of_the_stationary_gaussian():
    # The stationary law of ULA on E = |x|^2 / 2 sigma^2 is N(0, v I); its mean energy by quadrature.
    std, eps = 0.75, 0.32
    v = exact.ula_gaussian_variance(eps, std)
    target = Gaussian(torch.zeros(2, dtype=torch.float64), std ** 2 * torch.eye(2, dtype=torch.float64))
    stationary = Gaussian(torch.zeros(2, dtype=torch.float64), v * torch.eye(2, dtype=torch.float64))
    grid = exact.grid_quadrature(stationary, (-8.0, 8.0), (-8.0, 8.0), resolution=400)
    assert grid.expectation(target) - 1.0 == pytest.approx(exact.ula_gaussian_energy_bias(eps, std, dim=2), rel=1e-6)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: exact.mixture_marginal_density("mix", torch.zeros(3)), TypeError, "mixture must be"),
    (lambda: exact.mixture_marginal_density(correlated_mixture(), torch.zeros(3, dtype=torch.long)), TypeError, "x must"),
    (lambda: exact.mixture_marginal_density(correlated_mixture(), [0.0, 1.0]), TypeError, "x must"),
    (lambda: exact.mixture_marginal_density(correlated_mixture(), torch.tensor([0.0, math.nan])), ValueError, "x contains"),
    (lambda: exact.mixture_marginal_density(correlated_mixture(), torch.zeros(3), dim=2), ValueError, "dim must be < 2"),
    (lambda: exact.mixture_marginal_density(correlated_mixture(), torch.zeros(3), dim=-1), ValueError, "dim must be >= 0"),
    (lambda: exact.mixture_marginal_density(correlated_mixture(), torch.zeros(3), dim=0.0), TypeError, "dim must be"),
    (lambda: exact.ula_gaussian_variance(0.0, 1.0), ValueError, "step_size must be positive"),
    (lambda: exact.ula_gaussian_variance(2.0, 1.0), ValueError, "step_size must be < 2 std"),
    (lambda: exact.ula_gaussian_variance(0.1, -1.0), ValueError, "std must be positive"),
    (lambda: exact.ula_gaussian_variance("0.1", 1.0), TypeError, "step_size must be a real number"),
    (lambda: exact.ula_gaussian_energy_bias(math.nan, 1.0, dim=2), ValueError, "step_size must be finite"),
    (lambda: exact.ula_gaussian_energy_bias(1.2, 0.75, dim=2), ValueError, "step_size must be < 2 std"),
    (lambda: exact.ula_gaussian_energy_bias(0.1, 0.0, dim=2), ValueError, "std must be positive"),
    (lambda: exact.ula_gaussian_energy_bias(0.1, 1.0, dim=0), ValueError, "dim must be >= 1"),
    (lambda: exact.ula_gaussian_energy_bias(0.1, 1.0, dim=2.0), TypeError, "dim must be an integer"),
])
def test_bad_input_names_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
