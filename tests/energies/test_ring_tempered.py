import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from ebmbook.energies import Gaussian, Ring, Tempered
from ebmbook.exact import grid_quadrature


@pytest.mark.parametrize("radius, width", [(2.0, 0.3), (0.5, 1.0), (3.0, 0.1)])
def test_ring_log_z_matches_quadrature(radius, width):
    ring = Ring(radius, width)
    lim = radius + 8 * width
    grid = grid_quadrature(ring, (-lim, lim), (-lim, lim), resolution=800)
    assert abs(grid.log_z - ring.log_z) < 1e-4


def test_ring_sample_radius_and_angle_are_exact():
    ring = Ring(1.0, 0.6)  # wide enough that the radius density is far from Gaussian
    x = ring.sample(20000, generator=torch.Generator().manual_seed(0)).double()
    rho = x.norm(dim=-1).numpy()
    dens = lambda r: r * math.exp(-((r - 1.0) ** 2) / (2 * 0.36))
    norm = integrate.quad(dens, 0, np.inf)[0]
    cdf = np.vectorize(lambda r: integrate.quad(dens, 0, max(r, 0.0))[0] / norm)
    grid = np.linspace(0, 5, 2001)
    cdf_grid = cdf(grid)
    # Bonferroni over two KS tests at total false-failure probability 1e-4
    assert stats.kstest(rho, lambda r: np.interp(r, grid, cdf_grid)).pvalue > 5e-5
    angle = (torch.atan2(x[:, 1], x[:, 0]).numpy() + math.pi) / (2 * math.pi)
    assert stats.kstest(angle, "uniform").pvalue > 5e-5


def test_ring_gradient_is_finite_at_origin():
    x = torch.zeros(1, 2, requires_grad=True)
    Ring()(x).sum().backward()
    assert torch.isfinite(x.grad).all()


def test_ring_bad_input():
    with pytest.raises(ValueError, match="width"):
        Ring(1.0, 0.0)
    with pytest.raises(ValueError, match="radius"):
        Ring(-1.0, 0.1)
    with pytest.raises(ValueError, match="shape"):
        Ring()(torch.zeros(3))


def test_tempered_scales_energy_and_log_z():
    g = Gaussian(torch.zeros(2, dtype=torch.float64), torch.eye(2, dtype=torch.float64))
    hot = Tempered(g, 4.0)
    x = torch.randn(5, 2, dtype=torch.float64)
    torch.testing.assert_close(hot(x), g(x) / 4.0)
    # exp(-|x|^2 / 8) is a Gaussian with variance 4: log Z = log(2 pi 4)
    assert abs(grid_quadrature(hot, (-12, 12), (-12, 12), 400).log_z - math.log(8 * math.pi)) < 1e-5
    with pytest.raises(ValueError, match="temperature"):
        Tempered(g, -1.0)
    with pytest.raises(TypeError, match="energy"):
        Tempered(3.0, 1.0)
