import math

import numpy as np
import pytest
import torch
from scipy import stats

from ebmbook.energies import Gaussian, GaussianMixture, energy_and_grad
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
