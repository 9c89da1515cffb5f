import pytest
import torch

from ebmbook.data import eight_gaussians
from ebmbook.losses import ContrastiveDivergence, contrastive_divergence_loss
from ebmbook.models import MLPEnergy
from ebmbook.samplers import HMC, MALA, SGLD, ReplayBuffer, uniform_noise
from ebmbook.train import Trainer


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
    obj = ContrastiveDivergence((2,), sampler=SGLD(step_size=0.05, noise_scale=0.01), n_steps=3, buffer=64,
                                init=uniform_noise(-2, 2), generator=torch.Generator().manual_seed(0))
    before = obj.buffer.buffer.clone()
    out = obj(MLPEnergy(2, (8,)), torch.randn(16, 2), generator=torch.Generator().manual_seed(1))
    assert out.loss.requires_grad and set(out.metrics) == {"loss", "energy_pos", "energy_neg"}
    assert not torch.equal(before, obj.buffer.buffer)
    assert set(obj.guarded) == {"energy_pos", "energy_neg"}


def test_short_run_without_buffer():
    obj = ContrastiveDivergence((2,), n_steps=2, buffer=None)
    assert obj.state_dict() == {}
    x = obj.negatives(MLPEnergy(2, (8,)), 5, generator=torch.Generator().manual_seed(0))
    assert x.shape == (5, 2)


def test_the_objective_binds_its_sampler_to_the_current_model_and_leaves_it_unbound():
    sampler = MALA(step_size=0.01)
    obj = ContrastiveDivergence((2,), sampler=sampler, n_steps=2, buffer=None)
    obj(MLPEnergy(2, (8,)), torch.randn(8, 2), generator=torch.Generator().manual_seed(0))
    assert obj.sampler is sampler and not sampler.is_bound


@pytest.mark.parametrize("sampler", [MALA(step_size=0.01), HMC(step_size=0.05, n_leapfrog=3)],
                         ids=["MALA", "HMC"])
def test_mala_and_hmc_train_the_eight_gaussians_model(sampler):
    # Chapter 5's model and data with another sampler: training runs, and the model learns to put
    # data below the uniform noise it started from (an untrained network has no such preference).
    torch.manual_seed(0)
    data = eight_gaussians(4000, generator=torch.Generator().manual_seed(0))
    model = MLPEnergy(2, (64, 64), activation="silu")
    buffer = ReplayBuffer(128, (2,), init=uniform_noise(-5, 5), generator=torch.Generator().manual_seed(1))
    obj = ContrastiveDivergence((2,), sampler=sampler, n_steps=10, buffer=buffer, alpha=0.001)
    trainer = Trainer(model, obj, lr=3e-3, seed=0, progress=False).fit(data, 150, batch_size=128)
    assert trainer.step == 150
    noise = uniform_noise(-5, 5)(4000, (2,), torch.Generator().manual_seed(2), "cpu")
    with torch.no_grad():
        assert float(model(data).mean()) < float(model(noise).mean()) - 1.0


def test_float64_model_gets_float64_chains():
    obj = ContrastiveDivergence((2,), sampler=SGLD(step_size=0.02), n_steps=2, buffer=32)
    out = obj(MLPEnergy(2, (8,)).double(), torch.randn(8, 2, dtype=torch.float64),
              generator=torch.Generator().manual_seed(0))
    assert obj.buffer.buffer.dtype == torch.float64 and out.loss.dtype == torch.float64
    short = ContrastiveDivergence((2,), n_steps=2, buffer=None)
    assert short.negatives(MLPEnergy(2, (8,)).double(), 4, like=torch.zeros(1, 2, dtype=torch.float64)).dtype \
        == torch.float64


def test_checkpoint_state_must_match_the_buffer_setting():
    with_buffer = ContrastiveDivergence((2,), buffer=16)
    without = ContrastiveDivergence((2,), buffer=None)
    with pytest.raises(ValueError, match="no replay buffer"):
        without.load_state_dict(with_buffer.state_dict())
    with pytest.raises(ValueError, match="has a replay buffer"):
        with_buffer.load_state_dict(without.state_dict())


def test_bad_input():
    with pytest.raises(ValueError, match="alpha"):
        contrastive_divergence_loss(torch.zeros(2), torch.zeros(2), alpha=-1)
    with pytest.raises(ValueError, match="energy_pos"):
        contrastive_divergence_loss(torch.zeros(2, 1), torch.zeros(2))
    with pytest.raises(ValueError, match="step_size"):
        ContrastiveDivergence((2,), sampler=SGLD(step_size=0.0))
    with pytest.raises(TypeError, match="sampler"):
        ContrastiveDivergence((2,), sampler="sgld")
    with pytest.raises(TypeError, match="event_shape"):
        ContrastiveDivergence(2)
    with pytest.raises(ValueError, match="capacity"):
        ContrastiveDivergence((2,), buffer=0)
    with pytest.raises(ValueError, match="n_steps"):
        ContrastiveDivergence((2,), n_steps=0)
    with pytest.raises(ValueError, match="event_shape"):
        ContrastiveDivergence((2,), buffer=ReplayBuffer(4, (3,)))
    with pytest.raises(ValueError, match="batch"):
        ContrastiveDivergence((2,))(MLPEnergy(2), torch.zeros(4, 3))
