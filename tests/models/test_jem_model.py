"""JEM: its three readings of the logits agree with their formulas; conditional energies are energies."""
import pytest
import torch

from ebmbook.energies import Energy
from ebmbook.models import JEM, MLPClassifier
from ebmbook.samplers import SGLD, run


def make():
    torch.manual_seed(0)
    return JEM(MLPClassifier(64, 10, hidden=(16,)), 10)


def test_energies_and_probabilities():
    jem, x = make(), torch.rand(7, 64)
    f = jem.classifier(x)
    assert torch.allclose(jem(x), -torch.logsumexp(f, 1))
    y = torch.randint(10, (7,))
    assert torch.allclose(jem.energy(x, y), -f[torch.arange(7), y])
    assert torch.allclose(jem.class_probs(x).sum(1), torch.ones(7))
    # p(y|x) = exp(-E(x, y)) / exp(-E(x)): the normaliser cancels
    assert torch.allclose(jem.class_probs(x)[torch.arange(7), y], torch.exp(jem(x) - jem.energy(x, y)))


def test_conditional_is_an_energy_and_sampling_raises_its_logit():
    jem = make()
    for y in (3, torch.arange(10).repeat(2)):
        e = jem.conditional(y)
        assert isinstance(e, Energy) and e.event_shape == (64,)
        x0 = torch.rand(20, 64, generator=torch.Generator().manual_seed(0))
        x = run(SGLD(step_size=0.05, noise_scale=0.0).bind(e), x0, 20).position
        assert float(e(x).mean().detach()) < float(e(x0).mean().detach())   # noise-free Langevin descends the energy


def test_event_shape_is_inferred_or_required():
    assert JEM(torch.nn.Sequential(torch.nn.Linear(5, 3)), 3).event_shape == (5,)
    with pytest.raises(ValueError, match="event_shape"):
        JEM(torch.nn.Sequential(torch.nn.SiLU()), 3)


@pytest.mark.parametrize("device", ["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
def test_follows_device_and_dtype(device):
    jem = make().to(device).double()
    x = torch.rand(3, 64, device=device, dtype=torch.float64)
    assert jem(x).device.type == device and jem(x).dtype == torch.float64
