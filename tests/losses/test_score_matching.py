"""Score matching (chapter 6): sign and scale pinned by closed forms on Gaussians.

Statistical checks are z-tests whose false-failure probability is ALPHA = 1e-4 per check
(Bonferroni-split where a check makes several comparisons); each has a twin with a
deliberately wrong loss that must fail the same check, so the check has power.
"""
from __future__ import annotations

import math

import pytest
import torch
from scipy.stats import chisquare, norm
from torch import nn

from conftest import ALPHA
from ebmbook.energies import energy_and_grad
from ebmbook.losses import (ScoreMatching, denoising_score_matching_loss, exact_score_matching_loss,
                            noise_conditional_dsm_loss, sliced_score_matching_loss)
from ebmbook.models import MLPEnergy
from ebmbook.train import Trainer

F64 = torch.float64


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


class Quadratic(nn.Module):
    """E(x) = ½ (x − μ)ᵀ P (x − μ) with learnable μ and a learnable symmetric P = (A + Aᵀ)/2."""

    def __init__(self, d, mu=None, a=None):
        super().__init__()
        self.mu = nn.Parameter(torch.zeros(d, dtype=F64) if mu is None else mu.clone())
        self.a = nn.Parameter(torch.eye(d, dtype=F64) if a is None else a.clone())

    @property
    def precision(self):
        return 0.5 * (self.a + self.a.T)

    def forward(self, x):
        r = x - self.mu  # elementwise, not r @ P: BLAS on (n, 3) x (3, 3) stalls on a loaded 2-core CPU
        return 0.5 * (r[:, :, None] * self.precision * r[:, None, :]).sum((1, 2))


class Affine1D(nn.Module):
    """E(x) = ½ a x² + b x on x of shape (batch, 1): a Gaussian of precision a and mean −b/a."""

    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.ones((), dtype=F64))
        self.b = nn.Parameter(torch.zeros((), dtype=F64))

    def forward(self, x):
        return (0.5 * self.a * x.pow(2) + self.b * x).sum(1)


def lbfgs(params, loss_fn):
    opt = torch.optim.LBFGS(params, lr=1.0, max_iter=500, tolerance_grad=1e-13, tolerance_change=1e-16,
                            history_size=50, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    opt.step(closure)


def gaussian_data(n, d, seed=0):
    g = gen(seed)
    mix = torch.randn(d, d, generator=g, dtype=F64) / math.sqrt(d) + torch.eye(d, dtype=F64)
    return torch.randn(n, d, generator=g, dtype=F64) @ mix.T + torch.arange(1.0, d + 1, dtype=F64)


def from_scratch_exact(energy, x, laplacian_sign=-1.0):
    """½‖∇E‖² + laplacian_sign · ΔE, written out for d small (laplacian_sign=+1 is a wrong loss)."""
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(energy(x).sum(), x, create_graph=True)
    lap = sum(torch.autograd.grad(g[:, i].sum(), x, create_graph=True)[0][:, i] for i in range(x.shape[1]))
    return (0.5 * g.pow(2).sum(1) + laplacian_sign * lap).mean()


# -- exact score matching ---------------------------------------------------------------------------
def test_exact_loss_equals_its_closed_form_on_a_gaussian_energy():
    # For E = ½(x−μ)ᵀP(x−μ): ∇E = P(x−μ), ΔE = tr P, so J = ½ tr(P² C_μ) − tr P with
    # C_μ = mean of (x−μ)(x−μ)ᵀ. Value and parameter gradient both pinned (create_graph works).
    x = gaussian_data(500, 3)
    g = gen(1)
    model = Quadratic(3, mu=torch.randn(3, generator=g, dtype=F64), a=torch.randn(3, 3, generator=g, dtype=F64))
    loss = exact_score_matching_loss(model, x)
    r = x - model.mu
    closed = 0.5 * torch.trace(model.precision @ model.precision @ (r.T @ r / x.shape[0])) - torch.trace(model.precision)
    torch.testing.assert_close(loss, closed, rtol=1e-12, atol=1e-12)
    got = torch.autograd.grad(loss, [model.mu, model.a])
    want = torch.autograd.grad(closed, [model.mu, model.a])
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(loss, from_scratch_exact(model, x), rtol=1e-12, atol=1e-12)


def _fit_gaussian_by_exact_sm(loss_fn, x):
    model = Quadratic(x.shape[1])
    lbfgs(list(model.parameters()), lambda: loss_fn(model, x))
    m = x.mean(0)
    cov = (x - m).T @ (x - m) / x.shape[0]  # biased (1/n): the empirical loss's own minimiser
    return model, m, torch.linalg.inv(cov)


def test_minimising_exact_sm_recovers_sample_mean_and_inverse_covariance():
    x = gaussian_data(3000, 3)
    model, m, prec = _fit_gaussian_by_exact_sm(exact_score_matching_loss, x)
    err_mu = float((model.mu.detach() - m).abs().max())
    err_p = float((model.precision.detach() - prec).abs().max())
    print(f"exact SM fit: max |mu - mean| = {err_mu:.2e}, max |P - S^-1| = {err_p:.2e}")
    assert err_mu < 1e-4 and err_p < 1e-4


@pytest.mark.parametrize("wrong", ["laplacian_sign_flipped", "missing_half"])
def test_a_wrong_exact_loss_fails_the_same_check(wrong):
    x = gaussian_data(3000, 3)
    if wrong == "laplacian_sign_flipped":  # minimiser P = −S⁻¹
        loss_fn = lambda e, x: from_scratch_exact(e, x, laplacian_sign=+1.0)  # noqa: E731
    else:  # ‖∇E‖² − ΔE: minimiser P = S⁻¹/2
        loss_fn = lambda e, x: exact_score_matching_loss(e, x) + from_scratch_exact(e, x, 0.0)  # noqa: E731
    model, m, prec = _fit_gaussian_by_exact_sm(loss_fn, x)
    assert float((model.precision.detach() - prec).abs().max()) > 1e-2


# -- sliced score matching ----------------------------------------------------------------------------
def test_rademacher_vr_is_exact_for_a_diagonal_precision():
    # With v_i = ±1, vᵀ diag(p) v = Σ p_i = ΔE exactly: SSM-VR then has no variance at all.
    x = gaussian_data(200, 3)
    model = Quadratic(3, a=torch.diag(torch.tensor([0.5, 2.0, 3.0], dtype=F64)))
    exact = exact_score_matching_loss(model, x)
    for seed in range(3):
        sliced = sliced_score_matching_loss(model, x, 2, generator=gen(seed))
        torch.testing.assert_close(sliced, exact, rtol=1e-12, atol=1e-12)


def _sliced_estimates(energy, x, variance_reduction, projection, k=200):
    g = gen(7)
    return torch.stack([sliced_score_matching_loss(energy, x, 1, variance_reduction=variance_reduction,
                                                   projection=projection, generator=g).detach() for _ in range(k)])


def _mlp():
    torch.manual_seed(0)
    return MLPEnergy(3, (16, 16), activation="softplus").double()


# 4 comparisons (2 projection kinds × VR or not) share ALPHA, two-sided: |z| < 4.21
Z_SLICED = norm.isf(ALPHA / 4 / 2)


@pytest.mark.parametrize("projection", ["rademacher", "gaussian"])
@pytest.mark.parametrize("variance_reduction", [True, False], ids=["vr", "plain"])
def test_sliced_loss_is_unbiased_for_the_exact_loss(projection, variance_reduction):
    # Each estimate is one projection per example, averaged over the batch: a mean of 128
    # independent terms, so the 200 estimates are close to normal and the z-test is honest.
    energy, x = _mlp(), gaussian_data(128, 3) * 0.5
    exact = float(exact_score_matching_loss(energy, x).detach())
    est = _sliced_estimates(energy, x, variance_reduction, projection)
    se = float(est.std()) / math.sqrt(est.numel())
    z = (float(est.mean()) - exact) / se
    print(f"sliced {projection} vr={variance_reduction}: mean {float(est.mean()):.5f} vs exact {exact:.5f}, z = {z:.2f}")
    assert abs(z) < Z_SLICED
    # power: the same z-test against the loss with the Laplacian's sign flipped fails
    wrong = float(from_scratch_exact(energy, x, laplacian_sign=+1.0).detach())
    assert abs((float(est.mean()) - wrong) / se) > Z_SLICED


def _closed_form_variance(model, x, variance_reduction, projection):
    """Variance over projections of the batch-mean SSM estimate for a quadratic energy.

    Per example the estimate is vᵀAv (plus a constant) with A = ½ ggᵀ − P (plain) or −P (VR),
    g = P(x − μ). For Gaussian v, Var vᵀAv = 2‖A‖²_F; for Rademacher v the diagonal drops out
    (v_i² = 1): 2 Σ_{i≠j} A_ij².
    """
    p = model.precision.detach()
    g = (x - model.mu.detach()) @ p
    a = -p.expand(x.shape[0], -1, -1)
    if not variance_reduction:
        a = a + 0.5 * g[:, :, None] * g[:, None, :]
    per_example = 2 * a.pow(2).sum((1, 2))
    if projection == "rademacher":
        per_example = per_example - 2 * torch.diagonal(a, dim1=1, dim2=2).pow(2).sum(1)
    return float(per_example.sum()) / x.shape[0] ** 2


@pytest.mark.parametrize("projection", ["rademacher", "gaussian"])
def test_variance_reduction_lowers_the_variance_as_its_closed_form_says(projection):
    # A quadratic energy whose precision does not match the data (x twice too wide): the
    # training regime, where gradients are large. Each measured variance is z-tested against
    # its closed form with the standard error sqrt((m4 - s^4)/K), which holds for any
    # distribution of the estimates; 4 comparisons (2 kinds × VR or not) share ALPHA.
    p = torch.tensor([[2.0, 0.8, 0.0], [0.8, 1.0, 0.3], [0.0, 0.3, 1.5]], dtype=F64)
    model, x = Quadratic(3, a=p), 2 * torch.randn(128, 3, generator=gen(11), dtype=F64)
    z_crit, variances = norm.isf(ALPHA / 4 / 2), {}
    for vr in (True, False):
        est = _sliced_estimates(model, x, vr, projection, k=400)
        centred = est - est.mean()
        s2, m4 = float(centred.pow(2).mean()), float(centred.pow(4).mean())
        closed = _closed_form_variance(model, x, vr, projection)
        z = (s2 - closed) / math.sqrt((m4 - s2 * s2) / est.numel())
        print(f"{projection} vr={vr}: variance {s2:.4g} vs closed form {closed:.4g} (z = {z:.2f})")
        assert abs(z) < z_crit
        variances[vr] = s2
    ratio = variances[True] / variances[False]
    # measured: ≈ 0.004 (rademacher), ≈ 0.014 (gaussian); closed forms 0.0040 and 0.0124
    print(f"SSM-VR / SSM variance ratio ({projection}): {ratio:.4f}")
    assert ratio < 0.1


# -- denoising score matching ---------------------------------------------------------------------
def wrong_dsm(energy, x, sigma, *, generator=None, target_power=2, sign=1.0):
    """DSM with a wrong target: (x̃ − x)/σ^target_power, times sign (the right loss is power 2, sign +1)."""
    z = torch.randn(x.shape, generator=generator, dtype=x.dtype)
    xt = (x + sigma * z).requires_grad_(True)
    (g,) = torch.autograd.grad(energy(xt).sum(), xt, create_graph=True)
    return (0.5 * (g - sign * (xt - x) / sigma ** target_power).pow(2).sum(1)).mean()


S, SIGMA, N_DSM = 1.0, 0.5, 200_000


def _fit_affine_by_dsm(loss_fn, x, sigma):
    model = Affine1D()
    lbfgs(list(model.parameters()), lambda: loss_fn(model, x, sigma, generator=gen(3)))  # same noise every call
    return float(model.a.detach()), float(model.b.detach())


def _dsm_z_scores(a, b, n, s, sigma):
    # The fitted (a, b) is the least-squares regression of z/σ on x̃ = x + σz. Its residual is
    # independent of x̃ (jointly Gaussian, uncorrelated), which gives the exact asymptotic errors
    # sd(a) = s / (σ v √n) and sd(b) = sqrt((1/σ² − 1/v) / n), v = s² + σ².
    v = s * s + sigma * sigma
    return (a - 1 / v) / (s / (sigma * v * math.sqrt(n))), b / math.sqrt((1 / sigma ** 2 - 1 / v) / n)


# 2 comparisons (a and b) share ALPHA, two-sided
Z_DSM = norm.isf(ALPHA / 2 / 2)


def test_minimising_dsm_gives_the_smoothed_precision():
    x = S * torch.randn(N_DSM, 1, generator=gen(2), dtype=F64)
    a, b = _fit_affine_by_dsm(denoising_score_matching_loss, x, SIGMA)
    za, zb = _dsm_z_scores(a, b, N_DSM, S, SIGMA)
    print(f"DSM: precision {a:.5f} vs 1/(s²+σ²) = {1 / (S * S + SIGMA ** 2):.5f} (z = {za:.2f}), b = {b:.2e} (z = {zb:.2f})")
    assert abs(za) < Z_DSM and abs(zb) < Z_DSM


@pytest.mark.parametrize("wrong", [dict(target_power=1), dict(sign=-1.0)], ids=["sigma_not_sigma2", "sign_flipped"])
def test_a_wrong_dsm_fails_the_same_check(wrong):
    # σ in place of σ²: precision σ/(s²+σ²) = 0.4 instead of 0.8 (≈ 110 standard errors away);
    # the flipped sign gives a negative precision
    x = S * torch.randn(N_DSM, 1, generator=gen(2), dtype=F64)
    a, b = _fit_affine_by_dsm(lambda e, x, s, generator: wrong_dsm(e, x, s, generator=generator, **wrong), x, SIGMA)
    za, zb = _dsm_z_scores(a, b, N_DSM, S, SIGMA)
    assert abs(za) > Z_DSM


class Recording(nn.Module):
    """A non-quadratic energy that remembers where it was evaluated (and at which sigma)."""

    def __init__(self, conditional=False):
        super().__init__()
        self.w = nn.Parameter(torch.tensor([0.7, -1.3], dtype=F64))
        self.conditional = conditional

    def energy(self, x, sigma=None):
        e = torch.log(torch.cosh(x @ self.w)) + 0.25 * x.pow(4).sum(1)
        return e if sigma is None else e * (1 + sigma)

    def forward(self, x, sigma=None):
        self.seen = (x.detach().clone(), None if sigma is None else sigma.detach().clone())
        return self.energy(x, sigma) if self.conditional else self.energy(x)


def test_dsm_value_matches_its_formula_with_sigma_squared():
    x = torch.randn(50, 2, generator=gen(0), dtype=F64)
    model, sigma = Recording(), 0.3
    loss = denoising_score_matching_loss(model, x, sigma, generator=gen(1))
    xt = model.seen[0]
    _, grad = energy_and_grad(model.energy, xt)
    torch.testing.assert_close(loss.detach(), (0.5 * (grad - (xt - x) / sigma ** 2).pow(2).sum(1)).mean())
    assert loss.requires_grad


# -- noise-conditional DSM ----------------------------------------------------------------------------
class LevelAffine(nn.Module):
    """E(x, σ) = ½ a_k x² + b_k x at level k (σ = sigmas[k]); remembers the levels it was called with."""

    def __init__(self, sigmas):
        super().__init__()
        self.register_buffer("sigmas", torch.as_tensor(sigmas, dtype=F64))
        self.a = nn.Parameter(torch.ones(len(sigmas), dtype=F64))
        self.b = nn.Parameter(torch.zeros(len(sigmas), dtype=F64))

    def forward(self, x, sigma):
        k = (sigma[:, None] - self.sigmas[None]).abs().argmin(1)
        self.levels = k
        return (0.5 * self.a[k] * x.pow(2).sum(1) + self.b[k] * x.sum(1))


def test_noise_conditional_dsm_recovers_the_smoothed_precision_at_every_level():
    sigmas, n = [1.0, 0.5, 0.25], 300_000
    x = S * torch.randn(n, 1, generator=gen(4), dtype=F64)
    model = LevelAffine(sigmas)
    lbfgs(list(model.parameters()), lambda: noise_conditional_dsm_loss(model, x, sigmas, generator=gen(5)))
    counts = torch.bincount(model.levels, minlength=3)
    # 3 levels × (a, b) plus the level-count chi-square: 7 comparisons share ALPHA
    z_crit = norm.isf(ALPHA / 7 / 2)
    assert chisquare(counts.numpy()).pvalue > ALPHA / 7
    for k, sigma in enumerate(sigmas):
        a, b = float(model.a[k].detach()), float(model.b[k].detach())
        za, zb = _dsm_z_scores(a, b, int(counts[k]), S, sigma)
        print(f"NC-DSM level sigma={sigma}: precision {a:.4f} vs {1 / (S * S + sigma ** 2):.4f} (z = {za:.2f})")
        assert abs(za) < z_crit and abs(zb) < z_crit


def test_noise_conditional_value_matches_its_formula_with_lambda_sigma_squared():
    x = torch.randn(60, 2, generator=gen(0), dtype=F64)
    sigmas = torch.tensor([2.0, 0.7, 0.1], dtype=F64)
    model = Recording(conditional=True)
    loss = noise_conditional_dsm_loss(model, x, sigmas, generator=gen(1))
    xt, sigma = model.seen
    assert sigma.shape == (60,) and set(sigma.tolist()) <= set(sigmas.tolist()) and len(set(sigma.tolist())) == 3
    _, grad = energy_and_grad(lambda y: model.energy(y, sigma), xt)
    z = (xt - x) / sigma[:, None]
    # ½ σ² ‖∇E − z/σ‖² per example (λ(σ) = σ²)
    want = (0.5 * sigma ** 2 * (grad - z / sigma[:, None]).pow(2).sum(1)).mean()
    torch.testing.assert_close(loss.detach(), want)


def test_noise_conditional_accepts_a_sequence_and_refuses_an_unconditional_energy():
    x = torch.randn(8, 2)
    noise_conditional_dsm_loss(lambda x, s: x.pow(2).sum(1) / s, x, (1.0, 0.1), generator=gen())
    with pytest.raises(TypeError, match=r"energy must accept \(x, sigma\)"):
        noise_conditional_dsm_loss(MLPEnergy(2, (4,)), x, [1.0, 0.1])


# -- the objective under Trainer ------------------------------------------------------------------
class NoiseConditionalMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3, 16), nn.SiLU(), nn.Linear(16, 1))

    def forward(self, x, sigma):
        return self.net(torch.cat([x, sigma.log()[:, None]], 1)).squeeze(-1)


OBJECTIVES = {
    "sliced": dict(method="sliced", n_projections=2),
    "sliced_plain_gaussian": dict(method="sliced", variance_reduction=False, projection="gaussian"),
    "exact": dict(method="exact"),
    "denoising": dict(method="denoising", sigma=0.1),
    "noise_conditional": dict(method="noise_conditional", sigmas=[1.0, 0.3, 0.1]),
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", list(OBJECTIVES))
def test_score_matching_trains_under_trainer(name, dtype, device):
    torch.manual_seed(0)
    model = (NoiseConditionalMLP() if name == "noise_conditional" else MLPEnergy(2, (16,))).to(device, dtype)
    before = [p.detach().clone() for p in model.parameters()]
    objective = ScoreMatching(**OBJECTIVES[name])
    assert objective.guarded == ()
    data = torch.randn(256, 2, generator=gen(0))
    trainer = Trainer(model, objective, lr=1e-2, seed=0, progress=False).fit(data, n_steps=4, batch_size=32)
    assert trainer.step == 4 and len(trainer.history["loss"]) == 4
    assert all(math.isfinite(v) for v in trainer.history["loss"] + trainer.history["grad_energy_norm"])
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


@pytest.mark.parametrize("method", ["exact", "sliced", "denoising", "noise_conditional"])
def test_losses_follow_the_device_and_dtype_of_x(method, device, make_generator):
    torch.manual_seed(0)
    x = torch.randn(16, 2, device=device)
    g = make_generator(device)
    if method == "noise_conditional":
        loss = noise_conditional_dsm_loss(NoiseConditionalMLP().to(device), x, torch.tensor([1.0, 0.1]), generator=g)
    else:
        model = MLPEnergy(2, (8,)).to(device)
        loss = {"exact": lambda: exact_score_matching_loss(model, x),
                "sliced": lambda: sliced_score_matching_loss(model, x, 2, projection="gaussian", generator=g),
                "denoising": lambda: denoising_score_matching_loss(model, x, 0.1, generator=g)}[method]()
    assert loss.device == x.device and loss.dtype == x.dtype and loss.requires_grad and torch.isfinite(loss)


def test_objective_matches_the_functions_and_reports_the_gradient_norm():
    torch.manual_seed(0)
    model, x = MLPEnergy(2, (8,)).double(), torch.randn(32, 2, dtype=F64)
    out = ScoreMatching("exact")(model, x, generator=gen())
    assert set(out.metrics) == {"loss", "grad_energy_norm"}
    assert out.metrics["loss"] == pytest.approx(float(exact_score_matching_loss(model, x).detach()), rel=1e-12)
    assert out.metrics["grad_energy_norm"] == pytest.approx(float(energy_and_grad(model, x)[1].norm(dim=1).mean()),
                                                            rel=1e-12)
    out = ScoreMatching("sliced", n_projections=3, projection="gaussian")(model, x, generator=gen(4))
    same = sliced_score_matching_loss(model, x, 3, projection="gaussian", generator=gen(4))
    assert out.metrics["loss"] == pytest.approx(float(same.detach()), rel=1e-12)
    out = ScoreMatching("denoising", sigma=0.2)(model, x, generator=gen(5))
    assert out.metrics["loss"] == pytest.approx(float(denoising_score_matching_loss(model, x, 0.2, generator=gen(5)).detach()),
                                                rel=1e-12)


def test_loss_works_inside_no_grad_and_stays_differentiable():
    # an evaluation loop may call the loss under no_grad: the x-gradients are still taken
    model, x = MLPEnergy(2, (8,)), torch.randn(16, 2)
    with torch.no_grad():
        loss = exact_score_matching_loss(model, x)
    assert loss.requires_grad and torch.isfinite(loss)


def test_an_energy_ignoring_x_or_detaching_it_is_refused():
    w = nn.Parameter(torch.ones(2))
    for energy in (lambda x: (x.detach() * w).sum(1), lambda x: torch.zeros(x.shape[0]) + w.sum()):
        with pytest.raises(TypeError, match="energy is not differentiable"):
            exact_score_matching_loss(energy, torch.randn(4, 2))


def test_same_seed_same_loss():
    model, x = MLPEnergy(2, (8,)), torch.randn(16, 2)
    for fn in (lambda g: sliced_score_matching_loss(model, x, 2, generator=g),
               lambda g: denoising_score_matching_loss(model, x, 0.1, generator=g)):
        assert torch.equal(fn(gen(3)).detach(), fn(gen(3)).detach())
