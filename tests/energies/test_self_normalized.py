"""SelfNormalized (a learnable log Z), UniformBox and Gaussian.fit: the pieces of chapter 7's NCE."""
from __future__ import annotations

import math

import torch
from scipy import stats

from conftest import ALPHA
from ebmbook.energies import Gaussian, SelfNormalized, UniformBox
from ebmbook.models import MLPEnergy


def test_self_normalized_log_prob_subtracts_the_learned_constant():
    torch.manual_seed(0)
    net = MLPEnergy(2, (8,))
    model = SelfNormalized(net, log_z=1.5)
    x = torch.randn(5, 2)
    assert torch.allclose(model(x), net(x))
    assert torch.allclose(model.log_prob(x), -net(x) - 1.5)
    assert model.event_shape == (2,)
    names = dict(model.named_parameters())
    assert "log_z" in names and len(names) == len(list(net.parameters())) + 1
    model.log_prob(x).sum().backward()
    assert float(model.log_z.grad) == -5.0


def test_self_normalized_follows_double():
    model = SelfNormalized(MLPEnergy(2, (8,))).double()
    assert model.log_z.dtype == torch.float64
    assert model.log_prob(torch.zeros(2, 2, dtype=torch.float64)).dtype == torch.float64


def test_uniform_box_normaliser_and_samples():
    low, high = torch.tensor([-1.0, 0.0], dtype=torch.float64), torch.tensor([1.0, 3.0], dtype=torch.float64)
    box = UniformBox(low, high)
    assert math.isclose(box.log_z, math.log(6.0))
    x = box.sample(20_000, generator=torch.Generator().manual_seed(0))
    assert bool(((x >= low) & (x <= high)).all())
    assert torch.allclose(box.log_prob(x), torch.full((20_000,), -math.log(6.0), dtype=torch.float64))
    # each coordinate is uniform: KS test, Bonferroni over the two coordinates
    for i in range(2):
        u = ((x[:, i] - low[i]) / (high[i] - low[i])).numpy()
        assert stats.kstest(u, "uniform").pvalue > ALPHA / 2
    assert box(torch.tensor([[2.0, 1.0]], dtype=torch.float64)).item() == math.inf


def test_gaussian_fit_is_the_sample_mean_and_covariance():
    x = torch.randn(500, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64) @ torch.tensor(
        [[1.0, 0.3, 0.0], [0.0, 2.0, 0.5], [0.0, 0.0, 0.7]], dtype=torch.float64)
    g = Gaussian.fit(x, ridge=0.0)
    assert torch.allclose(g.mean, x.mean(0))
    assert torch.allclose(g.covariance, torch.cov(x.T), atol=1e-12)
    assert g.mean.dtype == torch.float64
