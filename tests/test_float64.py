"""float64 end to end: every model and objective trains and evaluates in double precision as in float32.

A model made ``.double()`` (or fitted on float64 data, or built with ``dtype=torch.float64``) must give
float64 results all the way through: chains, replay buffers, losses, energies. Nothing may silently
drop to float32 or crash on a dtype mismatch.
"""
import pytest
import torch

from ebmbook.losses import ContrastiveDivergence
from ebmbook.models import ConvEnergy, DenseAssociativeMemory, Hopfield, MLPEnergy, ModernHopfield
from ebmbook.samplers import HMC, MALA, SGLD, ReplayBuffer, uniform_noise
from ebmbook.train import Trainer

DTYPES = [torch.float32, torch.float64]
SAMPLERS = {"SGLD": lambda: SGLD(step_size=0.02), "MALA": lambda: MALA(step_size=0.01),
            "HMC": lambda: HMC(step_size=0.02, n_leapfrog=2)}


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("sampler", list(SAMPLERS))
@pytest.mark.parametrize("buffered", [True, False], ids=["buffer", "short-run"])
def test_contrastive_divergence_trains_in_the_model_dtype(dtype, sampler, buffered):
    torch.manual_seed(0)
    model = MLPEnergy(2, (16,)).to(dtype)
    buffer = ReplayBuffer(32, (2,), init=uniform_noise(-2, 2)) if buffered else None
    obj = ContrastiveDivergence((2,), sampler=SAMPLERS[sampler](), n_steps=3, buffer=buffer)
    data = torch.randn(64, 2)                                       # float32 data: the trainer casts it
    trainer = Trainer(model, obj, lr=1e-3, seed=0, progress=False).fit(data, 3, batch_size=16)
    assert trainer.step == 3
    if buffered:
        assert obj.buffer.buffer.dtype == dtype
    negatives = obj.negatives(model, 4, like=torch.zeros(1, 2, dtype=dtype))
    assert negatives.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_conv_energy_trains_in_the_model_dtype(dtype):
    torch.manual_seed(0)
    model = ConvEnergy((1, 8, 8), channels=(4, 4)).to(dtype)
    obj = ContrastiveDivergence((64,), sampler=SGLD(step_size=1.0, noise_scale=0.01, clamp=(-1.0, 1.0)),
                                n_steps=2, buffer=16)
    Trainer(model, obj, lr=1e-3, seed=0, progress=False).fit(torch.rand(32, 64) * 2 - 1, 2, batch_size=8)
    assert obj.buffer.buffer.dtype == dtype
    assert model(torch.zeros(2, 64, dtype=dtype)).dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_memories_in_either_precision(dtype):
    g = torch.Generator().manual_seed(0)
    patterns = torch.where(torch.rand(2, 64, generator=g) < 0.5, -1.0, 1.0).to(dtype)   # far below capacity
    for net in (Hopfield(), DenseAssociativeMemory(degree=3), DenseAssociativeMemory("exponential")):
        net.fit(patterns)
        result = net.recall(patterns, generator=g)
        assert torch.equal(result.states.to(dtype), patterns)
        assert torch.isfinite(net.energy(patterns)).all()
    modern = ModernHopfield(beta=2.0).fit(patterns)
    assert modern.retrieve(patterns).dtype == dtype
    assert modern.energy(patterns).dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_rbms_in_either_precision(dtype):
    from ebmbook.models import BernoulliRBM, GaussianBernoulliRBM

    g = torch.Generator().manual_seed(0)
    binary = (torch.rand(40, 6, generator=g) < 0.4).to(dtype)
    rbm = BernoulliRBM(n_hidden=3, n_epochs=2, batch_size=10, dtype=dtype).fit(binary, generator=g)
    assert rbm.weights_.dtype == dtype and rbm.free_energy(binary).dtype == dtype
    assert abs(rbm.log_partition_exact()) < float("inf")
    real = torch.randn(40, 3, generator=g, dtype=dtype)
    gauss = GaussianBernoulliRBM(n_hidden=2, n_epochs=2, batch_size=10, dtype=dtype).fit(real, generator=g)
    assert gauss.free_energy(real).dtype == dtype
