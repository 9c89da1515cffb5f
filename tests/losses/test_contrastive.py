import pytest
import torch

from ebmbook.losses import ContrastiveDivergence, contrastive_divergence_loss
from ebmbook.models import MLPEnergy
from ebmbook.samplers import uniform_noise


def test_loss_value_and_gradient_direction():
    e_pos = torch.tensor([1.0, 2.0], requires_grad=True)
    e_neg = torch.tensor([3.0, 5.0], requires_grad=True)
    loss = contrastive_divergence_loss(e_pos, e_neg, alpha=0.5)
    assert float(loss.detach()) == pytest.approx(1.5 - 4.0 + 0.5 * (2.5 + 17.0))
    loss.backward()
    # data energies are pushed down (positive gradient), sample energies up (negative, before regularising)
    torch.testing.assert_close(e_pos.grad, torch.tensor([0.5, 0.5]) + 0.5 * e_pos.detach())
    torch.testing.assert_close(e_neg.grad, torch.tensor([-0.5, -0.5]) + 0.5 * e_neg.detach())


def test_objective_updates_the_buffer_and_reports_metrics():
    torch.manual_seed(0)
    obj = ContrastiveDivergence((2,), step_size=0.05, noise_scale=0.01, n_steps=3, buffer_size=64,
                                init=uniform_noise(-2, 2), generator=torch.Generator().manual_seed(0))
    before = obj.buffer.buffer.clone()
    out = obj(MLPEnergy(2, (8,)), torch.randn(16, 2), generator=torch.Generator().manual_seed(1))
    assert out.loss.requires_grad and set(out.metrics) == {"loss", "energy_pos", "energy_neg"}
    assert not torch.equal(before, obj.buffer.buffer)


def test_short_run_without_buffer():
    obj = ContrastiveDivergence((2,), n_steps=2, buffer_size=None)
    assert obj.state_dict() == {}
    x = obj.negatives(MLPEnergy(2, (8,)), 5, generator=torch.Generator().manual_seed(0))
    assert x.shape == (5, 2)


def test_bad_input():
    with pytest.raises(ValueError, match="alpha"):
        contrastive_divergence_loss(torch.zeros(2), torch.zeros(2), alpha=-1)
    with pytest.raises(ValueError, match="batch"):
        contrastive_divergence_loss(torch.zeros(2, 1), torch.zeros(2))
    with pytest.raises(ValueError, match="step_size"):
        ContrastiveDivergence((2,), step_size=0.0)
    with pytest.raises(ValueError, match="capacity"):
        ContrastiveDivergence((2,), buffer_size=0)
    with pytest.raises(ValueError, match="n_steps"):
        ContrastiveDivergence((2,), n_steps=0)
