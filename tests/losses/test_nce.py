"""Noise-contrastive estimation and InfoNCE (chapter 7), pinned by closed forms.

The learned normaliser is compared with log Z of a Gaussian; its spread over seeds with the
asymptotic variance of the NCE estimator (an M-estimator: Var = Var(psi) / (d psi)^2, computed
by quadrature). Statistical checks reject a correct implementation with probability ALPHA = 1e-4
(Bonferroni-split where a check makes several comparisons).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import integrate, stats
from scipy.special import expit
from torch import nn

from conftest import ALPHA
from ebmbook.energies import Gaussian, SelfNormalized
from ebmbook.losses import NCE, info_nce_loss, nce_loss
from ebmbook.train import Trainer

F64 = torch.float64
LOG_Z_STD_NORMAL = 0.5 * math.log(2 * math.pi)   # 0.9189
NOISE_STD = 2.0                                   # the noise N(0, 2^2) of the 1-D checks


def gen(seed):
    return torch.Generator().manual_seed(seed)


def fit_lbfgs(params, loss_fn, iters=100):
    """Minimise a smooth full-batch loss (NCE of a log-linear model is convex: logistic regression)."""
    opt = torch.optim.LBFGS(params, max_iter=iters, tolerance_grad=1e-12, tolerance_change=1e-14,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    opt.step(closure)
    return [p.detach().clone() for p in params]


def normal_log_prob(x, std):
    return -0.5 * (x / std) ** 2 - math.log(std) - LOG_Z_STD_NORMAL


def fit_log_z(seed, nu, n=10_000):
    """NCE of log p(x) = -x^2/2 - c on x ~ N(0, 1) with noise N(0, NOISE_STD^2): returns the learned c."""
    g = gen(seed)
    x = torch.randn(n, generator=g, dtype=F64)
    y = NOISE_STD * torch.randn(round(nu * n), generator=g, dtype=F64)
    c = torch.zeros((), dtype=F64, requires_grad=True)
    lnd, lnn = normal_log_prob(x, NOISE_STD), normal_log_prob(y, NOISE_STD)
    (c_hat,) = fit_lbfgs([c], lambda: nce_loss(-0.5 * x**2 - c, -0.5 * y**2 - c, lnd, lnn, nu))
    return float(c_hat)


def asymptotic_variance(nu):
    """n Var(c_hat) for the estimator of fit_log_z, by quadrature (sandwich formula at the truth)."""
    pd = lambda u: math.exp(-u * u / 2) / math.sqrt(2 * math.pi)
    pn = lambda u: math.exp(-u * u / (2 * NOISE_STD**2)) / (math.sqrt(2 * math.pi) * NOISE_STD)
    h = lambda u: expit(math.log(NOISE_STD) + u * u * (1 / (2 * NOISE_STD**2) - 0.5) - math.log(nu))
    mean = lambda f, p: integrate.quad(lambda u: f(u) * p(u), -40, 40, limit=200)[0]
    var_d = mean(lambda u: h(u) ** 2, pd) - mean(h, pd) ** 2
    var_n = mean(lambda u: h(u) ** 2, pn) - mean(h, pn) ** 2
    curvature = mean(lambda u: h(u) * (1 - h(u)), pd) + nu * mean(lambda u: h(u) * (1 - h(u)), pn)
    return (var_d + nu * var_n) / curvature**2


# -- the loss itself ---------------------------------------------------------------------
def test_nce_loss_equals_the_logistic_loss_by_hand():
    g = gen(0)
    lmd, lmn, lnd, lnn = (torch.randn(n, generator=g, dtype=F64) for n in (7, 21, 7, 21))
    nu = 3.0
    h_data = 1 / (1 + nu * torch.exp(lnd - lmd))           # P(data | x) = p_m / (p_m + nu p_n)
    h_noise = 1 / (1 + nu * torch.exp(lnn - lmn))
    by_hand = -(torch.log(h_data).mean() + nu * torch.log(1 - h_noise).mean())
    assert torch.allclose(nce_loss(lmd, lmn, lnd, lnn, nu), by_hand, rtol=1e-12)


def test_nce_loss_allows_data_outside_the_noise_support():
    lm = torch.zeros(3, dtype=F64)
    lnd = torch.tensor([0.0, -math.inf, 0.0], dtype=F64)
    out = nce_loss(lm, lm, lnd, torch.zeros(3, dtype=F64))
    # the point outside the support is data with certainty: log sigma(+inf) = 0
    expected = -(2 * F.logsigmoid(torch.zeros((), dtype=F64)) / 3) - F.logsigmoid(torch.zeros((), dtype=F64))
    assert torch.isfinite(out) and torch.allclose(out, expected)


def test_learned_log_z_equals_the_gaussian_normaliser():
    c = fit_log_z(seed=1, nu=10)
    assert abs(c - LOG_Z_STD_NORMAL) < 0.02
    # the tolerance is ~9 asymptotic standard deviations (sd = sqrt(0.049 / 1e4) = 0.0022)
    assert 0.02 / math.sqrt(asymptotic_variance(10) / 10_000) > 8


def test_log_z_mse_falls_with_the_noise_ratio_as_theory_says():
    n, seeds = 10_000, range(20)
    mse = {}
    for nu in (1, 10):
        errors = np.array([fit_log_z(100 + s, nu, n) - LOG_Z_STD_NORMAL for s in seeds])
        mse[nu] = float(np.mean(errors**2))
        # n * sum(err^2) / avar ~ chi-square(20): two-sided test of the asymptotic variance
        statistic = n * float(np.sum(errors**2)) / asymptotic_variance(nu)
        lo, hi = stats.chi2.ppf([ALPHA / 4, 1 - ALPHA / 4], df=len(seeds))
        assert lo < statistic < hi, (nu, statistic, lo, hi)
    assert mse[10] < mse[1]


class QuadraticLogDensity(nn.Module):
    """log p(x) = -1/2 (x - mu)^T L L^T (x - mu) - c, every parameter free (c included)."""

    def __init__(self, d):
        super().__init__()
        self.mu = nn.Parameter(torch.zeros(d, dtype=F64))
        self.chol = nn.Parameter(torch.eye(d, dtype=F64))
        self.log_z = nn.Parameter(torch.zeros((), dtype=F64))

    @property
    def precision(self):
        lower = torch.tril(self.chol)
        return lower @ lower.T

    def forward(self, x):
        z = (x - self.mu) @ torch.tril(self.chol)
        return 0.5 * z.pow(2).sum(1)

    def log_prob(self, x):
        return -self(x) - self.log_z


def test_2d_gaussian_mean_precision_and_log_z_are_recovered():
    mean = torch.tensor([1.0, -1.0], dtype=F64)
    cov = torch.tensor([[2.0, 0.6], [0.6, 1.0]], dtype=F64)
    truth = Gaussian(mean, cov)
    noise = Gaussian(torch.zeros(2, dtype=F64), 9.0 * torch.eye(2, dtype=F64))
    g = gen(3)
    x, y = truth.sample(20_000, generator=g), noise.sample(200_000, generator=g)
    model = QuadraticLogDensity(2)
    lnd, lnn = noise.log_prob(x), noise.log_prob(y)
    fit_lbfgs(list(model.parameters()), lambda: nce_loss(model.log_prob(x), model.log_prob(y), lnd, lnn, 10.0), 300)
    # tolerances are >= 5 standard deviations of the estimates (measured over 8 seeds: mean 0.012,
    # precision entries <= 0.009, log Z 0.005)
    assert torch.allclose(model.mu.detach(), mean, atol=0.06)
    assert torch.allclose(model.precision.detach(), torch.linalg.inv(cov), atol=0.1)
    assert abs(float(model.log_z.detach()) - truth.log_z) < 0.05


# -- the objective -----------------------------------------------------------------------
class ShiftedQuadratic(nn.Module):
    event_shape = (1,)

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(0.3))

    def forward(self, x):
        return 0.5 * self.scale.exp() * x.pow(2).sum(1)


def test_nce_objective_trains_the_self_normalised_log_z_with_the_trainer():
    torch.manual_seed(0)
    x = torch.randn(20_000, 1, generator=gen(4))
    model = SelfNormalized(ShiftedQuadratic())
    trainer = Trainer(model, NCE(Gaussian(torch.zeros(1), torch.eye(1) * 4.0), noise_ratio=4.0), lr=0.03,
                      seed=0, progress=False)
    trainer.fit(x, n_steps=500, batch_size=512)
    assert model.log_z in trainer.trained_parameters
    # precision 1 and log Z = 0.919: the Adam noise floor at lr 0.03 is ~0.03
    assert abs(float(model.energy.scale.detach())) < 0.1
    assert abs(float(model.log_z.detach()) - LOG_Z_STD_NORMAL) < 0.1
    assert abs(trainer.history["log_z"][-1] - float(model.log_z.detach())) < 0.05
    assert 0.4 < trainer.history["accuracy"][-1] < 1.0


def test_nce_objective_refuses_a_model_without_log_prob_and_wrong_noise():
    x = torch.randn(16, 1)
    with pytest.raises(TypeError, match="SelfNormalized"):
        NCE(Gaussian(torch.zeros(1), torch.eye(1)))(ShiftedQuadratic(), x)

    class BadNoise:
        def log_prob(self, x):
            return torch.zeros(x.shape[0])

        def sample(self, n, generator=None):
            return torch.zeros(n, 2)

    with pytest.raises(ValueError, match="noise samples"):
        NCE(BadNoise())(SelfNormalized(ShiftedQuadratic()), x)


# -- InfoNCE -----------------------------------------------------------------------------
def test_info_nce_equals_cross_entropy_over_the_score_matrix():
    s = torch.randn(9, 9, generator=gen(5), dtype=F64)
    by_hand = -(torch.diagonal(s) - torch.logsumexp(s, dim=1)).mean()
    assert torch.allclose(info_nce_loss(s), by_hand, rtol=1e-12)
    by_hand_t = -(torch.diagonal(s) - torch.logsumexp(s, dim=0)).mean()
    assert torch.allclose(info_nce_loss(s, symmetric=True), 0.5 * (by_hand + by_hand_t), rtol=1e-12)


def test_info_nce_bounds_the_mutual_information_of_a_gaussian_pair():
    rho, n, batches = 0.8, 64, 400
    mi = -0.5 * math.log(1 - rho**2)                        # exact I(x; y) = 0.511 nats
    g = gen(6)
    losses = []
    for _ in range(batches):
        x = torch.randn(n, generator=g, dtype=F64)
        y = rho * x + math.sqrt(1 - rho**2) * torch.randn(n, generator=g, dtype=F64)
        # the optimal critic: log p(y_j | x_i) - log p(y_j)
        scores = (-(y[None, :] - rho * x[:, None]) ** 2 / (2 * (1 - rho**2)) + y[None, :] ** 2 / 2)
        losses.append(float(info_nce_loss(scores)))
    losses = np.array(losses)
    estimate, se = math.log(n) - losses.mean(), losses.std(ddof=1) / math.sqrt(batches)
    z = stats.norm.ppf(1 - ALPHA / 2)
    assert estimate <= mi + z * se                          # the bound: L >= log N - I
    # and the optimal critic makes it nearly tight at N = 64 (simulated: 0.500 against I = 0.511);
    # a sign slip in the loss lands far below
    assert estimate >= mi - 0.1 - z * se


def test_info_nce_objective_pulls_views_together():
    from functools import partial

    from ebmbook.data import two_views
    from ebmbook.losses import InfoNCE

    g = torch.Generator().manual_seed(7)
    prototypes = torch.rand(4, 16, generator=g)
    labels = torch.randint(0, 4, (512,), generator=g)
    x = prototypes[labels] + 0.05 * torch.randn(512, 16, generator=g)
    torch.manual_seed(0)
    encoder = nn.Sequential(nn.Linear(16, 32), nn.SiLU(), nn.Linear(32, 8))
    objective = InfoNCE(partial(two_views, image_shape=(4, 4), max_shift=0, noise=0.05), temperature=0.2)
    trainer = Trainer(encoder, objective, lr=3e-3, seed=0, progress=False).fit(x, 200, batch_size=64)
    history = trainer.history
    # the views of one example stay aligned while the other examples are pushed apart: the loss falls
    assert np.mean(history["loss"][-20:]) < np.mean(history["loss"][:20]) - 0.5
    assert history["positive_similarity"][-1] > 0.5
    # the bound log N - L can never exceed log N
    assert max(history["mutual_information_bound"]) <= math.log(64) + 1e-6
