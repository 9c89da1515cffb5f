import math

import numpy as np
import pytest
import torch
from scipy import stats

from ebmbook.energies import Gaussian, GaussianMixture, SmoothedMixture, energy_and_grad
from ebmbook.exact import grid_quadrature


def test_gaussian_log_z_and_log_prob_match_scipy():
    mean = torch.tensor([0.5, -1.0], dtype=torch.float64)
    cov = torch.tensor([[1.5, 0.4], [0.4, 0.7]], dtype=torch.float64)
    g = Gaussian(mean, cov)
    x = torch.randn(20, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    expected = stats.multivariate_normal(mean.numpy(), cov.numpy()).logpdf(x.numpy())
    np.testing.assert_allclose(g.log_prob(x).numpy(), expected, atol=1e-10)


def test_gaussian_grad_matches_closed_form():
    mean = torch.tensor([0.5, -1.0], dtype=torch.float64)
    cov = torch.tensor([[1.5, 0.4], [0.4, 0.7]], dtype=torch.float64)
    g = Gaussian(mean, cov)
    x = torch.randn(10, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    _, grad = energy_and_grad(g, x)
    torch.testing.assert_close(grad, (x - mean) @ torch.linalg.inv(cov).T)


def test_gaussian_sample_moments(device):
    # z-test on every coordinate of the mean: a correct sampler fails w.p. < 1e-4.
    g = Gaussian(torch.tensor([1.0, -2.0]), torch.tensor([[2.0, 0.5], [0.5, 1.0]])).to(device)
    n = 20000
    x = g.sample(n, generator=torch.Generator(device=device).manual_seed(0)).cpu().double()
    z = (x.mean(0) - g.mean.cpu()) / torch.sqrt(torch.diagonal(g.covariance.cpu()) / n)
    assert bool((z.abs() < stats.norm.isf(1e-4 / 4)).all())


def test_mixture_is_normalised_and_matches_scipy():
    means = torch.tensor([[-2.0, 0.0], [2.0, 1.0], [0.0, -2.0]], dtype=torch.float64)
    stds = torch.tensor([0.5, 0.8, 0.6], dtype=torch.float64)
    w = torch.tensor([0.2, 0.5, 0.3], dtype=torch.float64)
    mix = GaussianMixture(means, stds, w)
    grid = grid_quadrature(mix, (-6, 6), (-6, 6), resolution=400)
    assert abs(grid.log_z - mix.log_z) < 1e-6
    x = torch.randn(7, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    ref = np.log(sum(w[k].item() * stats.multivariate_normal(means[k].numpy(), stds[k].item() ** 2 * np.eye(2)).pdf(x.numpy())
                     for k in range(3)))
    np.testing.assert_allclose(mix.log_prob(x).numpy(), ref, atol=1e-10)


def test_mixture_sample_component_shares():
    mix = GaussianMixture(torch.tensor([[-2.0, 0.0], [2.0, 0.0]]), torch.tensor([0.5, 0.5]),
                          torch.tensor([0.3, 0.7]))
    n = 10000
    _, comp = mix.sample(n, generator=torch.Generator().manual_seed(0), return_components=True)
    # two-sided binomial test at 1e-4
    assert stats.binomtest(int((comp == 1).sum()), n, 0.7).pvalue > 1e-4


def test_mixture_grad_matches_finite_differences():
    mix = GaussianMixture(torch.tensor([[-1.0, 0.0], [1.0, 0.5]], dtype=torch.float64),
                          torch.tensor([0.6, 0.9], dtype=torch.float64))
    x = torch.randn(5, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(4), requires_grad=True)
    assert torch.autograd.gradcheck(lambda z: mix(z), (x,))


def test_full_covariance_mixture_covariance_property():
    covs = torch.stack([torch.tensor([[1.0, 0.3], [0.3, 0.5]]), torch.tensor([[0.4, -0.1], [-0.1, 0.8]])])
    mix = GaussianMixture(torch.tensor([[0.0, 0.0], [3.0, 1.0]]), covs, torch.tensor([0.25, 0.75]))
    x = mix.sample(200000, generator=torch.Generator().manual_seed(0)).double()
    torch.testing.assert_close(torch.cov(x.T).float(), mix.covariance, atol=0.03, rtol=0)


@pytest.mark.parametrize("kwargs, match", [
    (dict(mean=torch.zeros(2), covariance=torch.eye(3)), "covariance"),
    (dict(mean=torch.zeros(2), covariance=torch.tensor([[1.0, 2.0], [2.0, 1.0]])), "positive definite"),
    (dict(mean=torch.tensor([float("nan"), 0.0]), covariance=torch.eye(2)), "mean"),
    (dict(mean=torch.zeros(2, 2), covariance=torch.eye(2)), "mean"),
])
def test_gaussian_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Gaussian(**kwargs)


def test_mixture_bad_input():
    with pytest.raises(ValueError, match="covariances"):
        GaussianMixture(torch.zeros(2, 2), torch.ones(3))
    with pytest.raises(ValueError, match="weights"):
        GaussianMixture(torch.zeros(2, 2), torch.ones(2), torch.tensor([-1.0, 2.0]))
    with pytest.raises(ValueError, match="shape"):
        GaussianMixture(torch.zeros(2, 2), torch.ones(2))(torch.zeros(3, 3))


def test_energies_move_with_to(device):
    mix = GaussianMixture(torch.tensor([[-1.0, 0.0], [1.0, 0.0]]), torch.tensor([0.5, 0.5])).to(device)
    e = mix(torch.zeros(4, 2, device=device))
    assert e.device.type == device.type and e.shape == (4,)
    assert math.isfinite(float(e[0]))


# -- smoothing by Gaussian noise (chapter 6) ------------------------------------------------------------------

def _anisotropic_mixture(dtype=torch.float64):
    covs = torch.stack([torch.tensor([[1.0, 0.3], [0.3, 0.5]]), torch.tensor([[0.4, -0.1], [-0.1, 0.8]]),
                        torch.tensor([[0.2, 0.0], [0.0, 0.2]])]).to(dtype)
    return GaussianMixture(torch.tensor([[0.0, 0.0], [3.0, 1.0], [-2.0, 2.0]], dtype=dtype), covs,
                           torch.tensor([0.25, 0.5, 0.25], dtype=dtype))


def _projected_cdf(mix, a):
    """CDF of a^T x under ``mix`` (every projection of a Gaussian mixture is a 1-D Gaussian mixture)."""
    loc = (mix.means @ a).numpy()
    scale = torch.sqrt(torch.einsum("i,kij,j->k", a, mix.covariances, a)).numpy()
    w = mix.weights.numpy()
    return lambda t: sum(w[k] * stats.norm.cdf(t, loc[k], scale[k]) for k in range(len(w)))


def test_smoothed_adds_sigma_squared_to_every_covariance():
    mix = _anisotropic_mixture()
    smooth = mix.smoothed(0.7)
    assert isinstance(smooth, GaussianMixture)
    torch.testing.assert_close(smooth.covariances, mix.covariances + 0.49 * torch.eye(2, dtype=torch.float64))
    torch.testing.assert_close(smooth.means, mix.means)
    torch.testing.assert_close(smooth.weights, mix.weights)
    assert smooth.means.dtype == torch.float64


@pytest.mark.parametrize("sigma", [0.5, 2.0])
def test_smoothed_is_the_law_of_a_draw_plus_sigma_noise(sigma):
    # x + sigma z with x ~ mix, z ~ N(0, I): KS test of two projections against smoothed(sigma)'s exact
    # projected CDF, each at 1e-4 / 2 (Bonferroni) so a correct smoothing fails w.p. < 1e-4. Forgetting
    # the square (Sigma + sigma I) must fail the same test.
    mix = _anisotropic_mixture()
    g = torch.Generator().manual_seed(0)
    n = 20000
    y = mix.sample(n, generator=g) + sigma * torch.randn(n, 2, dtype=torch.float64, generator=g)
    broken = GaussianMixture(mix.means, mix.covariances + sigma * torch.eye(2, dtype=torch.float64), mix.weights)
    for a in (torch.tensor([1.0, 0.0]), torch.tensor([0.6, -0.8])):
        a = a.double()
        proj = (y @ a).numpy()
        assert stats.kstest(proj, _projected_cdf(mix.smoothed(sigma), a)).pvalue > 1e-4 / 2
    assert stats.kstest((y @ torch.tensor([1.0, 0.0]).double()).numpy(),
                        _projected_cdf(broken, torch.tensor([1.0, 0.0]).double())).pvalue < 1e-4


@pytest.mark.parametrize("sigma", [0.3, 1.5])
def test_smoothed_density_integrates_to_one(sigma):
    grid = grid_quadrature(_anisotropic_mixture().smoothed(sigma), (-14, 14), (-14, 14), resolution=400)
    assert abs(grid.log_z) < 1e-5


@pytest.mark.parametrize("sigma", [0.0, -1.0, math.nan, math.inf])
def test_smoothed_refuses_non_positive_sigma(sigma):
    with pytest.raises(ValueError, match="sigma"):
        _anisotropic_mixture().smoothed(sigma)


def test_smoothed_mixture_matches_smoothed_row_by_row():
    mix = _anisotropic_mixture()
    energy = SmoothedMixture(mix)
    g = torch.Generator().manual_seed(5)
    x = 3 * torch.randn(6, 2, dtype=torch.float64, generator=g)
    sigma = torch.tensor([0.1, 0.5, 1.0, 2.0, 5.0, 20.0], dtype=torch.float64)
    e = energy(x, sigma)
    expected = torch.cat([mix.smoothed(float(s))(x[i:i + 1]) for i, s in enumerate(sigma)])
    torch.testing.assert_close(e, expected, rtol=1e-12, atol=1e-12)
    # gradients too (the score that annealed Langevin follows)
    _, grad = energy_and_grad(lambda z: energy(z, sigma), x)
    for i, s in enumerate(sigma):
        _, g_i = energy_and_grad(mix.smoothed(float(s)), x[i:i + 1])
        torch.testing.assert_close(grad[i:i + 1], g_i, rtol=1e-10, atol=1e-12)
    # a float or a 0-d tensor is one level for every row
    torch.testing.assert_close(energy(x, 0.5), mix.smoothed(0.5)(x))
    torch.testing.assert_close(energy(x, torch.tensor(0.5)), mix.smoothed(0.5)(x))
    torch.testing.assert_close(energy.log_prob(x, sigma), -e)
    assert energy.log_z == 0.0 and energy.event_shape == (2,)


def test_smoothed_mixture_follows_the_input_dtype_and_device(device):
    energy = SmoothedMixture(_anisotropic_mixture(torch.float32)).to(device)
    x = torch.zeros(4, 2, device=device)
    e = energy(x, torch.full((4,), 0.5, device=device))
    assert e.dtype == torch.float32 and e.device.type == device.type
    assert energy(x.double(), 0.5).dtype == torch.float64
    draws = energy.sample(10, 0.5, generator=torch.Generator(device=device).manual_seed(0))
    assert draws.shape == (10, 2) and draws.device.type == device.type


def test_smoothed_mixture_bad_input():
    energy = SmoothedMixture(_anisotropic_mixture())
    x = torch.zeros(3, 2, dtype=torch.float64)
    with pytest.raises(TypeError, match=r"\(x, sigma\)"):
        energy(x)
    with pytest.raises(ValueError, match="sigma"):
        energy(x, torch.tensor([0.5, 0.0, 1.0]))
    with pytest.raises(ValueError, match="sigma"):
        energy(x, torch.ones(2))
    with pytest.raises(ValueError, match="sigma"):
        energy(x, -1.0)
    with pytest.raises(TypeError, match="mixture"):
        SmoothedMixture(Gaussian(torch.zeros(2), torch.eye(2)))
