"""RBMs: exact and AIS normalisers against brute force, training, bad input."""
import itertools
import math

import numpy as np
import pytest
import torch

from ebmbook.data import load_digits
from ebmbook.exact import grid_quadrature, probabilities
from ebmbook.metrics import GeometricPath, ais_betas, discrete_chi_square, state_index
from ebmbook.models import BernoulliRBM, GaussianBernoulliRBM, RBMAnnealingPath, RBMGibbs, RBMGibbsState
from ebmbook.models.rbm_gibbs import _IndependentBernoulli
from ebmbook.samplers import run


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


# -- block Gibbs ---------------------------------------------------------------------------------------

def gibbs_draws(energy, d, seed, n_chains=20000, n_steps=30):
    """Final states of independent RBMGibbs chains, as state indices (one draw per chain)."""
    g = torch.Generator().manual_seed(seed)
    v0 = torch.bernoulli(torch.full((n_chains, d), 0.5, dtype=torch.float64), generator=g)
    state = run(RBMGibbs(energy), v0, n_steps, generator=g)
    return state, state_index(state.position, "binary")


def test_block_gibbs_samples_an_rbm_and_every_point_of_its_annealing_path_exactly():
    # Chi-square test of 20 000 independent chains against exact enumeration at p = 1e-4: a correct
    # sampler fails with probability 1e-4 per check. 30 sweeps mix this 5 x 3 RBM far below that level
    # (the second eigenvalue of its v -> v' transition matrix is 0.28, so 0.28^30 < 1e-16).
    torch.set_num_threads(1)
    rbm = random_rbm(5, 3, 4, scale=1.0)
    state, idx = gibbs_draws(rbm, 5, 0)
    assert isinstance(state, RBMGibbsState) and state.hidden.shape == (20000, 3)
    torch.testing.assert_close(state.energy, rbm.free_energy(state.position))
    assert discrete_chi_square(idx, probabilities(rbm, 5, "binary")).p_value > 1e-4

    base = _IndependentBernoulli(torch.randn(5, generator=torch.Generator().manual_seed(1), dtype=torch.float64))
    path = RBMAnnealingPath(base, rbm, 0.4)
    state, idx = gibbs_draws(path, 5, 1)
    torch.testing.assert_close(state.energy, path(state.position))
    assert discrete_chi_square(idx, probabilities(path, 5, "binary")).p_value > 1e-4
    # ... and the geometric path between the marginals at the same beta is another distribution: block
    # Gibbs would sample it wrongly, which is why RBMGibbs refuses it (the same test rejects it).
    geometric = GeometricPath(base, rbm, 0.4)
    assert discrete_chi_square(idx, probabilities(geometric, 5, "binary")).p_value < 1e-4
    # The path starts at the base and ends at the RBM, constants included.
    v = state.position[:50]
    torch.testing.assert_close(path.at(0.0)(v), base(v))
    torch.testing.assert_close(path.at(1.0)(v), rbm.free_energy(v))


def test_gaussian_bernoulli_gibbs_matches_quadrature_moments():
    # Mean and second moment of 20 000 independent chains against the quadrature values, 5 Monte Carlo
    # standard errors each (false-failure probability about 2e-6 per coordinate and moment).
    torch.set_num_threads(1)
    rbm = random_rbm(2, 3, 0, scale=0.7, cls=GaussianBernoulliRBM)
    draws = rbm.sample(20000, n_steps=50, generator=torch.Generator().manual_seed(0))
    grid = grid_quadrature(rbm.free_energy, (-12, 12), (-12, 12), resolution=400)
    for fn in (lambda x: x, lambda x: x.pow(2)):
        values = fn(draws)
        exact = torch.tensor([grid.expectation(lambda x, i=i: fn(x)[:, i]) for i in range(2)], dtype=values.dtype)
        se = values.std(0) / math.sqrt(len(values))
        assert bool(((values.mean(0) - exact).abs() < 5 * se).all()), (values.mean(0), exact, se)


def test_sample_is_a_run_of_the_block_gibbs_sampler(trained):
    v0 = torch.bernoulli(torch.sigmoid(trained.visible_bias_).expand(6, -1), generator=torch.Generator().manual_seed(5))
    via_run = run(RBMGibbs(trained), v0, 7, generator=torch.Generator().manual_seed(6)).position
    assert torch.equal(trained.sample(6, n_steps=7, init=v0, generator=torch.Generator().manual_seed(6)), via_run)
    with pytest.raises(ValueError, match="init"):
        trained.sample(5, n_steps=1, init=v0)


# -- silent failures -----------------------------------------------------------------------------------

@pytest.mark.parametrize("monitor_size", [500, 0])
def test_a_diverging_gaussian_bernoulli_rbm_stops_with_a_clear_error(monitor_size):
    # Reproduces the issue: on whitened digits a learning rate of 5 with batches of 100 drove W to ~4e8
    # and the reconstruction error to ~1e19 within one epoch, and fit returned as if nothing happened.
    torch.set_num_threads(1)
    x = load_digits().x_train.float()
    x = (x - x.mean(0)) / (x.std(0) + 1e-3)
    rbm = GaussianBernoulliRBM(n_hidden=16, learning_rate=5.0, batch_size=100, n_epochs=2, monitor_size=monitor_size)
    with pytest.raises(FloatingPointError, match="learning_rate"):
        rbm.fit(x, generator=torch.Generator().manual_seed(0))
    assert len(rbm.history_) == 1                           # stopped in the epoch that diverged


def test_a_non_finite_monitor_stops_training(digits):
    class Exploding(BernoulliRBM):
        def _epoch_metrics(self, monitor):
            return {"pseudo_log_likelihood": -math.inf}

    with pytest.raises(FloatingPointError, match="pseudo_log_likelihood.*learning_rate"):
        Exploding(4, n_epochs=3).fit(digits.x_train[:50])


def test_fitting_empty_data_is_refused_by_name():
    for rbm in (BernoulliRBM(4), GaussianBernoulliRBM(4)):
        with pytest.raises(ValueError, match="data must hold at least one example"):
            rbm.fit(torch.ones(0, 5))
        with pytest.raises(ValueError, match="data"):
            rbm.fit(torch.ones(5, 0))


def test_an_unfitted_rbm_says_so():
    v, h = torch.ones(2, 3), torch.ones(2, 4)
    for rbm in (BernoulliRBM(4), GaussianBernoulliRBM(4)):
        calls = [lambda: rbm.hidden_probs(v), lambda: rbm.visible_probs(h), lambda: rbm.free_energy(v),
                 lambda: rbm.energy(v, h), lambda: rbm(v), lambda: rbm.sample(2), lambda: rbm.gibbs_step(v),
                 lambda: rbm.log_partition_exact(), lambda: RBMGibbs(rbm), lambda: rbm.log_likelihood(v, 0.0)]
        if isinstance(rbm, BernoulliRBM):
            calls += [lambda: rbm.log_partition_ais(n_runs=2, betas=ais_betas(3)),
                      lambda: rbm.pseudo_log_likelihood(v)]
        for call in calls:
            with pytest.raises(RuntimeError, match="not fitted"):
                call()
    half = BernoulliRBM(4)
    half.weights_ = torch.zeros(3, 4)                         # set by hand, biases forgotten
    with pytest.raises(RuntimeError, match="not fitted"):
        half.hidden_probs(v)
    half.visible_bias_, half.hidden_bias_ = torch.zeros(3), torch.zeros(5)
    with pytest.raises(ValueError, match="hidden_bias_"):
        half.free_energy(v)


def test_exact_log_z_of_a_float32_rbm_is_computed_in_float64():
    # float32 parameters are exactly representable in float64, so a float64 computation gives the same
    # log Z for both copies up to float64 rounding; a float32 sum of 2^16 terms would differ by ~1e-5.
    r64 = random_rbm(64, 16, 3, scale=0.3)
    r32 = BernoulliRBM(16)
    r32.weights_, r32.visible_bias_, r32.hidden_bias_ = (t.float() for t in (r64.weights_, r64.visible_bias_,
                                                                              r64.hidden_bias_))
    r64.weights_, r64.visible_bias_, r64.hidden_bias_ = (t.double() for t in (r32.weights_, r32.visible_bias_,
                                                                              r32.hidden_bias_))
    assert abs(r32.log_partition_exact() - r64.log_partition_exact()) < 1e-9
    g32 = random_rbm(3, 10, 0, cls=GaussianBernoulliRBM, dtype=torch.float32)
    g64 = GaussianBernoulliRBM(10)
    g64.weights_, g64.visible_bias_, g64.hidden_bias_ = (t.double() for t in (g32.weights_, g32.visible_bias_,
                                                                              g32.hidden_bias_))
    assert abs(g32.log_partition_exact() - g64.log_partition_exact()) < 1e-9
