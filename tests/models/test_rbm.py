"""RBMs: exact and AIS normalisers against brute force, training, bad input."""
import itertools
import math

import numpy as np
import pytest
import torch

from ebmbook.data import load_digits
from ebmbook.exact import grid_quadrature
from ebmbook.models import BernoulliRBM, GaussianBernoulliRBM, ais_betas


def random_rbm(d, h, seed, scale=1.0, cls=BernoulliRBM, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    rbm = cls(n_hidden=h)
    rbm.weights_ = (torch.randn(d, h, generator=g) * scale).to(dtype)
    rbm.visible_bias_ = (torch.randn(d, generator=g) * scale).to(dtype)
    rbm.hidden_bias_ = (torch.randn(h, generator=g) * scale).to(dtype)
    return rbm


def brute_force_log_z(rbm):
    d, h = rbm.weights_.shape
    v = torch.tensor(list(itertools.product([0.0, 1.0], repeat=d)), dtype=torch.float64)
    hs = torch.tensor(list(itertools.product([0.0, 1.0], repeat=h)), dtype=torch.float64)
    w, b, c = rbm.weights_.double(), rbm.visible_bias_.double(), rbm.hidden_bias_.double()
    neg_e = (v @ w @ hs.T) + (v @ b)[:, None] + (hs @ c)[None, :]  # over both layers
    return float(torch.logsumexp(neg_e.flatten(), 0))


@pytest.mark.parametrize("d, h", [(6, 4), (4, 7), (10, 10), (8, 9)])
def test_exact_log_z_matches_brute_force_over_both_layers(d, h):
    for seed in range(3):
        rbm = random_rbm(d, h, seed)
        assert abs(rbm.log_partition_exact(chunk_size=37) - brute_force_log_z(rbm)) < 1e-9


def test_free_energy_sums_out_hidden_units():
    rbm = random_rbm(5, 4, 0)
    v = torch.tensor(list(itertools.product([0.0, 1.0], repeat=5)), dtype=torch.float64)
    hs = torch.tensor(list(itertools.product([0.0, 1.0], repeat=4)), dtype=torch.float64)
    e = torch.stack([rbm.energy(v, hh.expand(32, -1)) for hh in hs], dim=1)
    torch.testing.assert_close(rbm.free_energy(v), -torch.logsumexp(-e, dim=1))


def test_pseudo_likelihood_matches_definition():
    rbm = random_rbm(6, 3, 1)
    v = torch.bernoulli(torch.full((5, 6), 0.5), generator=torch.Generator().manual_seed(0)).double()
    expected = torch.zeros(5, dtype=torch.float64)
    for i in range(6):
        flipped = v.clone()
        flipped[:, i] = 1 - flipped[:, i]
        f, f_flip = rbm.free_energy(v), rbm.free_energy(flipped)
        expected += -f - torch.logaddexp(-f, -f_flip)
    torch.testing.assert_close(rbm.pseudo_log_likelihood(v, chunk_size=4), expected / 6)


@pytest.mark.parametrize("seed", [0, 1])
def test_ais_within_half_a_nat_on_random_rbms(seed):
    rbm = random_rbm(20, 12, seed, scale=0.5)
    res = rbm.log_partition_ais(n_runs=100, betas=ais_betas(3000), generator=torch.Generator().manual_seed(seed))
    exact = rbm.log_partition_exact()
    assert abs(res.log_z - exact) < 0.5
    assert res.log_z_low <= res.log_z <= res.log_z_high


@pytest.fixture(scope="module")
def digits():
    return load_digits(binarize=True, seed=0)


@pytest.fixture(scope="module")
def trained(digits):
    torch.set_num_threads(1)  # tiny matrices: threads only add overhead
    return BernoulliRBM(n_hidden=16, method="pcd", learning_rate=0.05, n_epochs=10).fit(
        digits.x_train, generator=torch.Generator().manual_seed(0))


def test_ais_within_half_a_nat_on_a_trained_rbm(trained, digits):
    res = trained.log_partition_ais(n_runs=100, betas=ais_betas(5000), base_data=digits.x_train,
                                    generator=torch.Generator().manual_seed(0))
    assert abs(res.log_z - trained.log_partition_exact()) < 0.5


def test_training_beats_independent_bernoulli_baseline(trained, digits):
    p = digits.x_train.mean(0).clamp(1e-3, 1 - 1e-3).double()
    x = digits.x_test.double()
    baseline = float((x * p.log() + (1 - x) * (1 - p).log()).sum(1).mean())
    ll = float(trained.log_likelihood(digits.x_test, trained.log_partition_exact()).mean())
    assert ll > baseline + 2.0
    assert len(trained.history_) == 10 and trained.history_[-1]["pseudo_log_likelihood"] < 0


def test_cd_and_pcd_are_seeded(digits):
    for method in ("cd", "pcd"):
        a, b = (BernoulliRBM(8, method=method, k=2, n_epochs=1, momentum=0.5).fit(
            digits.x_train[:200], generator=torch.Generator().manual_seed(3)) for _ in range(2))
        assert torch.equal(a.weights_, b.weights_)


def test_sampling_shapes_and_init(trained, digits):
    g = torch.Generator().manual_seed(0)
    v = trained.sample(7, n_steps=5, generator=g)
    assert v.shape == (7, 64) and set(v.unique().tolist()) <= {0.0, 1.0}
    assert trained.sample(3, n_steps=0, init=digits.x_test[:3]).equal(digits.x_test[:3])


def test_diverging_training_stops_with_a_clear_error(digits):
    with pytest.raises(FloatingPointError, match="learning_rate"):
        # weight decay this strong flips and multiplies W by ~1e10 per update: overflow
        BernoulliRBM(16, learning_rate=1.0, weight_decay=1e10, n_epochs=2).fit(digits.x_train[:100],
                                                            generator=torch.Generator().manual_seed(0))


def test_gaussian_bernoulli_log_z_matches_quadrature():
    rbm = random_rbm(2, 3, 0, scale=0.7, cls=GaussianBernoulliRBM)
    grid = grid_quadrature(rbm.free_energy, (-12, 12), (-12, 12), resolution=600)
    assert abs(grid.log_z - rbm.log_partition_exact()) < 1e-6


def test_gaussian_bernoulli_fits_real_data():
    g = torch.Generator().manual_seed(0)
    centres = torch.tensor([[2.0, 2.0], [-2.0, -2.0]])
    x = centres[torch.randint(2, (2000,), generator=g)] + 0.5 * torch.randn(2000, 2, generator=g)
    rbm = GaussianBernoulliRBM(n_hidden=4, n_epochs=20, learning_rate=0.01, batch_size=20).fit(x, generator=g)
    # it must beat a single standard-normal around the data mean
    log_z = rbm.log_partition_exact()
    ll = float((-rbm.free_energy(x).double() - log_z).mean())
    baseline = float((-0.5 * (x - x.mean(0)).pow(2).sum(1) - math.log(2 * math.pi)).mean())
    assert ll > baseline


def test_bad_input(digits):
    rbm = BernoulliRBM(4, n_epochs=1)
    with pytest.raises(ValueError, match="binary"):
        rbm.fit(torch.rand(10, 5))
    with pytest.raises(ValueError, match="NaN"):
        rbm.fit(torch.full((10, 5), float("nan")))
    with pytest.raises(ValueError, match="dimensions"):
        rbm.fit(torch.ones(5))
    rbm.fit(digits.x_train[:50])
    with pytest.raises(ValueError, match="64 features"):
        rbm.free_energy(torch.ones(3, 10)) if False else rbm.pseudo_log_likelihood(torch.ones(3, 10))
    with pytest.raises(ValueError, match="method"):
        BernoulliRBM(method="ml")
    with pytest.raises(ValueError, match="learning_rate"):
        BernoulliRBM(learning_rate=0)
    with pytest.raises(ValueError, match="momentum"):
        BernoulliRBM(momentum=1.0)
    with pytest.raises(ValueError, match="betas"):
        rbm.log_partition_ais(betas=torch.tensor([0.0, 0.5]))
    with pytest.raises(RuntimeError, match="fit"):
        BernoulliRBM().free_energy(torch.ones(2, 3))
    with pytest.raises(ValueError, match="NaN"):
        GaussianBernoulliRBM(2).fit(torch.tensor([[0.0, float("nan")]]))


def test_monitoring_can_be_switched_off(digits):
    g = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    quiet = BernoulliRBM(8, n_epochs=2, monitor_size=0).fit(digits.x_train[:200], generator=g())
    loud = BernoulliRBM(8, n_epochs=2).fit(digits.x_train[:200], generator=g())
    assert set(quiet.history_[0]) == {"epoch", "seconds"}
    assert "pseudo_log_likelihood" in loud.history_[0]
    assert torch.equal(quiet.weights_, loud.weights_)   # monitoring never changes training
