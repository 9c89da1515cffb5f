"""Composed energies against closed forms and quadrature: Product, Mixture, Negation, Constrained, SoftBox."""
import math

import numpy as np
import pytest
import torch
from conftest import ALPHA

from ebmbook.energies import (Constrained, Gaussian, GaussianMixture, MaskedQuadratic, Mixture, Negation, Product,
                              SoftBox, Tempered)
from ebmbook.exact import grid_quadrature
from ebmbook.metrics import grid_chi_square
from ebmbook.models import MLPEnergy
from ebmbook.samplers import MALA, run

D64 = torch.float64


@pytest.fixture(autouse=True)
def one_thread():
    """Small batched chains: on a loaded CPU, extra intra-op threads cost far more than they save."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def random_gaussian(d, seed, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(d, d, generator=g, dtype=D64)
    cov = a @ a.T + 0.5 * torch.eye(d, dtype=D64)
    return Gaussian(torch.randn(d, generator=g, dtype=D64), cov).to(device)


def closed_form_product(gaussians, weights):
    """Precision-weighted mean, covariance and log Z of prod_i exp(-w_i E_i), written out with NumPy."""
    precisions = [np.linalg.inv(g.covariance.cpu().numpy()) for g in gaussians]
    means = [g.mean.cpu().numpy() for g in gaussians]
    p = sum(w * pr for w, pr in zip(weights, precisions))
    h = sum(w * pr @ m for w, pr, m in zip(weights, precisions, means))
    cov = np.linalg.inv(p)
    mean = cov @ h
    d = len(mean)
    quad = sum(w * m @ pr @ m for w, pr, m in zip(weights, precisions, means))
    log_z = 0.5 * d * math.log(2 * math.pi) - 0.5 * np.linalg.slogdet(p)[1] - 0.5 * quad + 0.5 * h @ cov @ h
    return mean, cov, log_z


@pytest.mark.parametrize("weights", [None, [0.5, 2.0, 1.0]])
def test_product_of_gaussians_is_the_closed_form_gaussian(device, weights):
    parts = [random_gaussian(3, s, device) for s in range(3)]
    prod = Product(parts, weights)
    w = [1.0, 1.0, 1.0] if weights is None else weights
    mean, cov, log_z = closed_form_product(parts, w)
    np.testing.assert_allclose(prod.mean.cpu().numpy(), mean, atol=1e-10)
    np.testing.assert_allclose(prod.covariance.cpu().numpy(), cov, atol=1e-10)
    assert abs(prod.log_z - log_z) < 1e-6
    # the energy equals the Gaussian's up to a constant, and that constant is the difference of log Z
    x = torch.randn(50, 3, dtype=D64, generator=torch.Generator().manual_seed(9)).to(device)
    diff = prod(x) - prod.gaussian(x)
    assert float(diff.max() - diff.min()) < 1e-6
    assert abs(float(diff.mean()) - (prod.gaussian.log_z - prod.log_z)) < 1e-6
    torch.testing.assert_close(prod.log_prob(x), -prod.gaussian(x) - prod.gaussian.log_z)


def test_product_log_z_matches_quadrature_and_tempered_parts():
    a, b = random_gaussian(2, 1), random_gaussian(2, 2)
    prod = Product([a, Tempered(b, 2.0)])
    grid = grid_quadrature(prod, (-12, 12), (-12, 12), 600)
    assert abs(grid.log_z - prod.log_z) < 1e-6
    same = Product([a, b], [1.0, 0.5])
    assert abs(same.log_z - prod.log_z) < 1e-10
    torch.testing.assert_close(same.covariance, prod.covariance)


def test_product_of_networks_has_no_exact_answers_and_trains_its_parts():
    torch.manual_seed(0)
    nets = [MLPEnergy(2, (8,)), MLPEnergy(2, (8,))]
    prod = Product(nets, [1.0, 0.5])
    assert prod.gaussian is None
    assert not hasattr(prod, "log_z") and not hasattr(prod, "mean")
    with pytest.raises(AttributeError, match="closed form"):
        prod.log_z
    assert len(list(prod.parameters())) == sum(len(list(n.parameters())) for n in nets)
    x = torch.randn(4, 2)
    torch.testing.assert_close(prod(x), nets[0](x) + 0.5 * nets[1](x))
    assert prod.double()(x.double()).dtype == D64          # parts move with the module


def test_mixture_of_normalised_energies_integrates_to_one_and_matches_the_formula():
    means = torch.tensor([[-1.5, 0.0], [1.0, 1.0], [0.0, -2.0]], dtype=D64)
    stds = torch.tensor([0.5, 0.8, 0.4], dtype=D64)
    pis = torch.tensor([0.2, 0.5, 0.3], dtype=D64)
    # each part a normalised (log Z = 0) one-component mixture
    parts = [GaussianMixture(means[k:k + 1], stds[k:k + 1]) for k in range(3)]
    mix = Mixture(parts, pis)
    assert abs(mix.log_z) < 1e-12
    grid = grid_quadrature(mix, (-7, 7), (-7, 7), 500)
    assert abs(grid.log_density.exp().sum() * grid.cell_area - 1) < 1e-4
    assert abs(grid.log_z) < 1e-4
    reference = GaussianMixture(means, stds, pis)
    x = torch.randn(100, 2, dtype=D64, generator=torch.Generator().manual_seed(1)) * 2
    torch.testing.assert_close(mix.log_prob(x), reference.log_prob(x), rtol=0, atol=1e-10)


def test_mixture_of_unnormalised_parts_weights_them_by_their_normalisers():
    wide = SoftBox(torch.tensor([-3.0, -1.0], dtype=D64), torch.tensor([3.0, 1.0], dtype=D64), 0.2)
    narrow = Gaussian(torch.tensor([0.0, 2.0], dtype=D64), 0.1 * torch.eye(2, dtype=D64))
    mix = Mixture([wide, narrow], [0.5, 0.5])
    grid = grid_quadrature(mix, (-5, 5), (-5, 5), 500)
    assert abs(grid.log_z - mix.log_z) < 1e-4
    probs = mix.component_probabilities()
    z = torch.tensor([wide.log_z, narrow.log_z], dtype=D64).exp()
    torch.testing.assert_close(probs, z / z.sum())
    dens = Mixture.of_densities([wide, narrow], [0.3, 0.7])
    torch.testing.assert_close(dens.component_probabilities(), torch.tensor([0.3, 0.7], dtype=D64))
    with pytest.raises(AttributeError, match=r"energies\[1\]"):
        Mixture.of_densities([wide, MLPEnergy(2).double()])
    x = mix.sample(4000, generator=torch.Generator().manual_seed(3))
    assert grid_chi_square(x, grid, n_bins=20).p_value >= ALPHA


def test_softbox_log_z_and_samples_are_exact():
    box = SoftBox(torch.tensor([-1.0, -0.5], dtype=D64), torch.tensor([1.5, 0.5], dtype=D64), edge=0.3)
    grid = grid_quadrature(box, (-4, 4), (-4, 4), 800)
    assert abs(grid.log_z - box.log_z) < 1e-5
    x = box.sample(5000, generator=torch.Generator().manual_seed(4))
    assert grid_chi_square(x, grid, n_bins=20).p_value >= ALPHA


def test_negation_on_a_grid_is_base_over_negated_to_the_alpha_renormalised():
    big = SoftBox(torch.tensor([-3.0, -3.0], dtype=D64), torch.tensor([3.0, 3.0], dtype=D64), 0.2)
    small = Gaussian(torch.tensor([0.5, 0.0], dtype=D64), torch.eye(2, dtype=D64))
    alpha = 0.03
    neg = Negation(big, small, alpha)
    lim = (-5, 5)
    grid = grid_quadrature(neg, lim, lim, 300)
    p_base = grid_quadrature(big, lim, lim, 300).log_density
    p_neg = grid_quadrature(small, lim, lim, 300).log_density
    log_ratio = p_base - alpha * p_neg
    log_ratio = log_ratio - torch.logsumexp(log_ratio.flatten(), 0) - math.log(grid.cell_area)
    assert float((grid.log_density - log_ratio).abs().max()) < 1e-8


def test_negation_of_gaussians_is_a_gaussian_and_refuses_what_is_not_normalisable():
    base = Gaussian(torch.zeros(2, dtype=D64), torch.diag(torch.tensor([4.0, 1.0], dtype=D64)))
    negated = Gaussian(torch.tensor([1.0, 0.0], dtype=D64), torch.diag(torch.tensor([2.0, 2.0], dtype=D64)))
    # precisions: base diag(1/4, 1), negated diag(1/2, 1/2); P_b - a P_n is definite iff a < 1/2
    neg = Negation(base, negated, alpha=0.3)
    assert abs(neg.alpha_max - 0.5) < 1e-12
    p = torch.diag(torch.tensor([0.25 - 0.15, 1 - 0.15], dtype=D64))
    torch.testing.assert_close(neg.covariance, torch.linalg.inv(p))
    mean = torch.linalg.solve(p, -0.3 * 0.5 * torch.tensor([1.0, 0.0], dtype=D64))
    torch.testing.assert_close(neg.mean, mean)
    assert abs(grid_quadrature(neg, (-40, 40), (-15, 15), 800).log_z - neg.log_z) < 1e-6
    for alpha in (0.5, 0.8):
        with pytest.raises(ValueError, match="not normalisable.*alpha"):
            Negation(base, negated, alpha)
    # boxes: tails |x|^2 / 2 s^2, so a box negated with the same wall width needs alpha < 1
    box = SoftBox(torch.tensor([-1.0, -1.0], dtype=D64), torch.tensor([1.0, 1.0], dtype=D64), 0.1)
    with pytest.raises(ValueError, match="alpha < 1"):
        Negation(box, box, 1.0)
    assert Negation(box, box, 0.99).alpha_max == pytest.approx(1.0)


def test_negation_against_a_mixture_uses_the_slowest_tail():
    big = SoftBox(torch.tensor([-3.0, -3.0], dtype=D64), torch.tensor([3.0, 3.0], dtype=D64), 0.1)
    small = SoftBox(torch.tensor([-1.0, -1.0], dtype=D64), torch.tensor([1.0, 1.0], dtype=D64), 0.1)
    background = SoftBox(torch.tensor([-6.0, -6.0], dtype=D64), torch.tensor([6.0, 6.0], dtype=D64), 1.0)
    # mixing unnormalised densities: inside the small box exp(-E_n) is 1, outside 1/2, a weak hole
    weak = Negation(big, Mixture([small, background]), alpha=1.0)
    assert weak.alpha_max == pytest.approx(100.0)
    # mixing normalised densities, 1/2 p_small + 1/2 p_background: inside, p_n is ~40 times larger
    neg = Negation(big, Mixture.of_densities([small, background], [0.5, 0.5]), alpha=1.0)
    for energy, (low, high) in ((weak, (0.45, 0.55)), (neg, (0.015, 0.035))):
        grid = grid_quadrature(energy, (-4, 4), (-4, 4), 320)
        hole = grid.expectation(lambda p: (p.abs().max(1).values < 0.9).double()) / 1.8**2
        frame = grid.expectation(lambda p: ((p.abs().max(1).values > 1.1) & (p.abs().max(1).values < 2.9))
                                 .double()) / (5.8**2 - 2.2**2)
        assert low < hole / frame < high, hole / frame


def test_constrained_is_a_product_with_a_tempered_penalty_and_conditions_a_gaussian():
    prior = random_gaussian(3, 5)
    target = torch.tensor([[0.7, 0.0, -1.2]], dtype=D64)
    mask = torch.tensor([1.0, 0.0, 1.0], dtype=D64)
    pin = MaskedQuadratic(target, mask)
    c = Constrained(prior, pin, weight=20.0)
    x = torch.randn(10, 3, dtype=D64)
    torch.testing.assert_close(c(x), Product([prior, Tempered(pin, 1 / 20.0)])(x))
    assert c.temperature == pytest.approx(0.05)
    # lambda -> infinity: the Gaussian conditional of x_1 given x_0, x_2
    hard = c.with_weight(1e7)
    cov, mu = prior.covariance, prior.mean
    obs, free = [0, 2], [1]
    cond_mean = mu[free] + cov[free][:, obs] @ torch.linalg.solve(cov[obs][:, obs], target[0, obs] - mu[obs])
    torch.testing.assert_close(hard.mean[free], cond_mean, atol=1e-5, rtol=0)
    torch.testing.assert_close(hard.mean[obs], target[0, obs], atol=1e-5, rtol=0)
    torch.testing.assert_close(pin.clamp(x)[:, obs], target[:, obs].expand(10, 2))


def test_masked_quadratic_one_target_per_chain():
    targets = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    pin = MaskedQuadratic(targets, torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    torch.testing.assert_close(pin(torch.zeros(2, 2)), torch.tensor([1.0, 16.0]))
    with pytest.raises(ValueError, match="one row per target"):
        pin(torch.zeros(3, 2))


def test_composed_energies_move_with_to_and_samplers_bind_them(device):
    ring = GaussianMixture(torch.tensor([[2.0, 0.0], [-2.0, 0.0]]), torch.tensor([0.4, 0.4]))
    bar = SoftBox(torch.tensor([0.0, -3.0]), torch.tensor([3.0, 3.0]), 0.1)
    energy = Negation(Product([ring, bar]), Mixture([bar, ring]), 0.2).to(device)
    x0 = torch.zeros(16, 2, device=device)
    state = run(MALA(step_size=0.01).bind(energy), x0, 5, generator=torch.Generator(device).manual_seed(0))
    assert state.position.device.type == device.type and torch.isfinite(state.energy).all()
    for buf in energy.buffers():
        assert buf.device.type == device.type


def test_event_shapes_must_agree():
    with pytest.raises(ValueError, match=r"energies must have the same event shape.*\(2,\).*\(3,\)"):
        Product([MLPEnergy(2), MLPEnergy(3)])
    with pytest.raises(ValueError, match="event shape"):
        Negation(MLPEnergy(2), MLPEnergy(3), 1.0)
