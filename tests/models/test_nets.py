import pytest
import torch

from ebmbook.energies import energy_and_grad
from ebmbook.models import ConvEnergy, MLPEnergy


@pytest.mark.parametrize("spectral_norm", [False, True])
def test_mlp_energy_shapes_and_gradients(spectral_norm, device):
    model = MLPEnergy(3, hidden=(16, 16), spectral_norm=spectral_norm).to(device)
    x = torch.randn(5, 3, device=device)
    e, g = energy_and_grad(model, x)
    assert e.shape == (5,) and g.shape == (5, 3)


def test_mlp_gradient_matches_finite_differences():
    model = MLPEnergy(2, hidden=(8,), activation="softplus").double()
    x = torch.randn(4, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda z: model(z), (x,))


def test_spectral_norm_bounds_the_lipschitz_constant():
    # Each layer has spectral norm ~1 and SiLU is 1.1-Lipschitz, so |grad E| stays small
    # however large the raw weights are.
    torch.manual_seed(0)
    model = MLPEnergy(2, hidden=(32, 32), spectral_norm=True)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(100.0)
    for _ in range(5):  # power iterations converge in training mode
        model(torch.randn(8, 2))
    model.eval()
    _, g = energy_and_grad(model, torch.randn(256, 2) * 3)
    assert float(g.norm(dim=1).max()) < 1.1**2 * 1.05


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28)])
def test_conv_energy_accepts_images_and_flat_vectors(shape, device):
    model = ConvEnergy(shape, channels=(8, 16)).to(device)
    c, h, w = shape
    x = torch.rand(3, c, h, w, device=device)
    torch.testing.assert_close(model(x), model(x.flatten(1)))
    assert model(x).shape == (3,)


def test_bad_input():
    with pytest.raises(ValueError, match="activation"):
        MLPEnergy(2, activation="relu6")
    with pytest.raises(ValueError, match="hidden"):
        MLPEnergy(2, hidden=())
    with pytest.raises(ValueError, match="shape"):
        MLPEnergy(2)(torch.zeros(4, 3))
    with pytest.raises(ValueError, match=r"\(batch, 1, 8, 8\)"):
        ConvEnergy((1, 8, 8))(torch.zeros(4, 1, 28, 28))
    with pytest.raises(ValueError, match="image_shape"):
        ConvEnergy((8, 8))
