"""The noise-conditional energy network E(x, sigma) = f([x, log sigma]) / sigma."""
import math

import pytest
import torch

from ebmbook.energies import energy_and_grad
from ebmbook.models import MLPEnergy, NoiseConditionalEnergy


@pytest.mark.parametrize("in_features, shape", [(2, (2,)), (64, (64,)), (64, (1, 8, 8))])
def test_shapes_for_points_and_images(in_features, shape, device):
    torch.manual_seed(0)
    net = NoiseConditionalEnergy(in_features, hidden=(32, 32)).to(device)
    assert net.event_shape == (in_features,)
    x = torch.randn(5, *shape, device=device)
    sigma = torch.linspace(0.1, 2.0, 5, device=device)
    e, grad = energy_and_grad(lambda y: net(y, sigma), x)
    assert e.shape == (5,) and grad.shape == x.shape and bool(torch.isfinite(grad).all())
    assert float(grad.abs().sum()) > 0


def test_energy_is_the_mlp_on_x_and_log_sigma_divided_by_sigma():
    torch.manual_seed(0)
    net = NoiseConditionalEnergy(3, hidden=(8,))
    x, sigma = torch.randn(4, 3), torch.tensor([0.1, 0.5, 2.0, 20.0])
    inputs = torch.cat([x, sigma.log().unsqueeze(1)], dim=1)
    torch.testing.assert_close(net(x, sigma), net.mlp(inputs) / sigma)
    assert isinstance(net.mlp, MLPEnergy) and net.mlp.event_shape == (4,)


def test_a_float_or_0d_sigma_is_every_row():
    torch.manual_seed(0)
    net = NoiseConditionalEnergy(2, hidden=(8,))
    x = torch.randn(6, 2)
    full = net(x, torch.full((6,), 0.3))
    torch.testing.assert_close(net(x, 0.3), full)
    torch.testing.assert_close(net(x, torch.tensor(0.3)), full)
    torch.testing.assert_close(net(x, torch.tensor(0.3, dtype=torch.float64)), full)


def test_float64_end_to_end_and_gradient_matches_finite_differences():
    torch.manual_seed(0)
    net = NoiseConditionalEnergy(2, hidden=(8, 8), activation="softplus").double()
    x = torch.randn(4, 2, dtype=torch.float64, requires_grad=True)
    sigma = torch.tensor([0.2, 0.7, 1.0, 5.0], dtype=torch.float64)
    assert net(x, sigma).dtype == torch.float64
    assert torch.autograd.gradcheck(lambda z: net(z, sigma), (x,))


@pytest.mark.parametrize("call, exc, match", [
    (lambda net: net(torch.zeros(3, 2)), TypeError, r"\(x, sigma\)"),
    (lambda net: net(torch.zeros(3, 2), 0.0), ValueError, "sigma"),
    (lambda net: net(torch.zeros(3, 2), -1.0), ValueError, "sigma"),
    (lambda net: net(torch.zeros(3, 2), torch.tensor([1.0, 0.0, 1.0])), ValueError, "sigma"),
    (lambda net: net(torch.zeros(3, 2), torch.tensor([1.0, math.nan, 1.0])), ValueError, "sigma"),
    (lambda net: net(torch.zeros(3, 2), torch.ones(2)), ValueError, "sigma"),
    (lambda net: net(torch.zeros(3, 2), torch.ones(3, 1)), ValueError, "sigma"),
    (lambda net: net(torch.zeros(3, 2), "1.0"), TypeError, "sigma"),
    (lambda net: net(torch.zeros(3, 2), torch.ones(3, dtype=torch.bool)), TypeError, "sigma"),
    (lambda net: net(torch.zeros(3, 3), 1.0), ValueError, "x"),
    (lambda net: net(torch.zeros(2), 1.0), ValueError, "x"),
    (lambda net: net(torch.zeros(3, 2, dtype=torch.long), 1.0), TypeError, "x"),
    (lambda net: net(torch.zeros(3, 2, dtype=torch.float64), 1.0), TypeError, "x"),
], ids=["no-sigma", "sigma-zero", "sigma-negative", "sigma-row-zero", "sigma-nan", "sigma-short", "sigma-column",
        "sigma-str", "sigma-bool", "x-wrong-features", "x-1d", "x-int", "x-float64"])
def test_bad_input_is_named(call, exc, match):
    net = NoiseConditionalEnergy(2, hidden=(4,))
    with pytest.raises(exc, match=match):
        call(net)


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="in_features"):
        NoiseConditionalEnergy(0)
    with pytest.raises(TypeError, match="hidden"):
        NoiseConditionalEnergy(2, hidden=16)
    with pytest.raises(ValueError, match="activation"):
        NoiseConditionalEnergy(2, activation="relu")
