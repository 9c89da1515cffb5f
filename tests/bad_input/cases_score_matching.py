"""Bad input to the score-matching losses and objective (``ebmbook.losses.score_matching``)."""
from __future__ import annotations

import torch

from ebmbook import losses as L
from ebmbook.models import MLPEnergy

from .harness import T, V

X = torch.randn(8, 2, generator=torch.Generator().manual_seed(0))
NAN = X.clone().index_put_((torch.tensor([1]), torch.tensor([0])), torch.tensor(float("nan")))
SIGMAS = [1.0, 0.5, 0.1]


def mlp():
    torch.manual_seed(0)
    return MLPEnergy(2, hidden=(4,))


def under_no_grad(x):
    with torch.no_grad():
        return mlp()(x)


W = torch.nn.Parameter(torch.ones(2))


def detached(x):  # depends on a parameter, not on x: it has no score
    return (x.detach() * W).sum(1)


def wrong_shape(x):
    return x.pow(2)


def conditional(x, sigma):
    return 0.5 * x.pow(2).sum(1) / (1 + sigma ** 2)


def conditional_no_grad(x, sigma):
    with torch.no_grad():
        return conditional(x, sigma)


def conditional_wrong_shape(x, sigma):
    return x.pow(2) / sigma[:, None]


def one_argument(x):
    return x.pow(2).sum(1)


def objective(method="sliced", **kw):
    return L.ScoreMatching(method, **kw)


exact, sliced = L.exact_score_matching_loss, L.sliced_score_matching_loss
dsm, ncdsm = L.denoising_score_matching_loss, L.noise_conditional_dsm_loss

CASES = [
    # exact
    T("losses.exact_score_matching_loss", "x-list", lambda: exact(mlp(), [[0.0, 0.0]]), "x"),
    T("losses.exact_score_matching_loss", "x-int", lambda: exact(mlp(), torch.zeros(4, 2, dtype=torch.long)), "x"),
    V("losses.exact_score_matching_loss", "x-nan", lambda: exact(mlp(), NAN), "x"),
    V("losses.exact_score_matching_loss", "x-empty", lambda: exact(mlp(), torch.zeros(0, 2)), "x"),
    T("losses.exact_score_matching_loss", "energy-not-callable", lambda: exact("mlp", X), "energy"),
    T("losses.exact_score_matching_loss", "energy-no-grad", lambda: exact(under_no_grad, X), "energy"),
    T("losses.exact_score_matching_loss", "energy-detached", lambda: exact(detached, X), "energy"),
    V("losses.exact_score_matching_loss", "energy-wrong-shape", lambda: exact(wrong_shape, X), "energy"),
    # sliced
    V("losses.sliced_score_matching_loss", "n-projections-zero", lambda: sliced(mlp(), X, 0), "n_projections"),
    T("losses.sliced_score_matching_loss", "n-projections-float", lambda: sliced(mlp(), X, 1.5), "n_projections"),
    V("losses.sliced_score_matching_loss", "projection-unknown", lambda: sliced(mlp(), X, projection="uniform"),
      "projection"),
    T("losses.sliced_score_matching_loss", "variance-reduction-str",
      lambda: sliced(mlp(), X, variance_reduction="yes"), "variance_reduction"),
    T("losses.sliced_score_matching_loss", "generator-int", lambda: sliced(mlp(), X, generator=0), "generator"),
    V("losses.sliced_score_matching_loss", "x-nan", lambda: sliced(mlp(), NAN), "x"),
    V("losses.sliced_score_matching_loss", "x-empty", lambda: sliced(mlp(), torch.zeros(0, 2)), "x"),
    T("losses.sliced_score_matching_loss", "x-int", lambda: sliced(mlp(), torch.zeros(4, 2, dtype=torch.int32)), "x"),
    T("losses.sliced_score_matching_loss", "energy-no-grad", lambda: sliced(under_no_grad, X), "energy"),
    T("losses.sliced_score_matching_loss", "energy-detached", lambda: sliced(detached, X), "energy"),
    # denoising
    V("losses.denoising_score_matching_loss", "sigma-zero", lambda: dsm(mlp(), X, 0.0), "sigma"),
    V("losses.denoising_score_matching_loss", "sigma-negative", lambda: dsm(mlp(), X, -0.1), "sigma"),
    V("losses.denoising_score_matching_loss", "sigma-nan", lambda: dsm(mlp(), X, float("nan")), "sigma"),
    T("losses.denoising_score_matching_loss", "sigma-str", lambda: dsm(mlp(), X, "0.1"), "sigma"),
    T("losses.denoising_score_matching_loss", "generator-int", lambda: dsm(mlp(), X, 0.1, generator=1), "generator"),
    V("losses.denoising_score_matching_loss", "x-nan", lambda: dsm(mlp(), NAN, 0.1), "x"),
    V("losses.denoising_score_matching_loss", "x-empty", lambda: dsm(mlp(), torch.zeros(0, 2), 0.1), "x"),
    T("losses.denoising_score_matching_loss", "energy-no-grad", lambda: dsm(under_no_grad, X, 0.1), "energy"),
    T("losses.denoising_score_matching_loss", "energy-detached", lambda: dsm(detached, X, 0.1), "energy"),
    # noise-conditional
    V("losses.noise_conditional_dsm_loss", "sigmas-increasing", lambda: ncdsm(conditional, X, [0.1, 0.5, 1.0]),
      "sigmas"),
    V("losses.noise_conditional_dsm_loss", "sigmas-repeated", lambda: ncdsm(conditional, X, [1.0, 1.0]), "sigmas"),
    V("losses.noise_conditional_dsm_loss", "sigmas-zero", lambda: ncdsm(conditional, X, torch.tensor([1.0, 0.0])),
      "sigmas"),
    V("losses.noise_conditional_dsm_loss", "sigmas-negative-in-list", lambda: ncdsm(conditional, X, [1.0, -0.1]),
      "sigmas"),
    V("losses.noise_conditional_dsm_loss", "sigmas-nan", lambda: ncdsm(conditional, X, torch.tensor([float("nan")])),
      "sigmas"),
    V("losses.noise_conditional_dsm_loss", "sigmas-empty", lambda: ncdsm(conditional, X, []), "sigmas"),
    V("losses.noise_conditional_dsm_loss", "sigmas-2d", lambda: ncdsm(conditional, X, torch.ones(2, 2)), "sigmas"),
    T("losses.noise_conditional_dsm_loss", "sigmas-float", lambda: ncdsm(conditional, X, 0.5), "sigmas"),
    T("losses.noise_conditional_dsm_loss", "sigmas-complex",
      lambda: ncdsm(conditional, X, torch.tensor([1.0 + 0j])), "sigmas"),
    T("losses.noise_conditional_dsm_loss", "energy-one-argument", lambda: ncdsm(one_argument, X, SIGMAS), "energy"),
    T("losses.noise_conditional_dsm_loss", "energy-unconditional-module", lambda: ncdsm(mlp(), X, SIGMAS), "energy"),
    T("losses.noise_conditional_dsm_loss", "energy-not-callable", lambda: ncdsm(None, X, SIGMAS), "energy"),
    T("losses.noise_conditional_dsm_loss", "energy-no-grad", lambda: ncdsm(conditional_no_grad, X, SIGMAS), "energy"),
    V("losses.noise_conditional_dsm_loss", "energy-wrong-shape",
      lambda: ncdsm(conditional_wrong_shape, X, SIGMAS), "energy"),
    T("losses.noise_conditional_dsm_loss", "x-int", lambda: ncdsm(conditional, torch.zeros(4, 2, dtype=torch.long),
                                                                  SIGMAS), "x"),
    V("losses.noise_conditional_dsm_loss", "x-nan", lambda: ncdsm(conditional, NAN, SIGMAS), "x"),
    T("losses.noise_conditional_dsm_loss", "generator-int", lambda: ncdsm(conditional, X, SIGMAS, generator=0),
      "generator"),
    # the objective
    V("losses.ScoreMatching", "method-unknown", lambda: objective("hyvarinen"), "method"),
    T("losses.ScoreMatching", "method-int", lambda: objective(3), "method"),
    V("losses.ScoreMatching", "denoising-without-sigma", lambda: objective("denoising"), "sigma"),
    V("losses.ScoreMatching", "denoising-sigma-zero", lambda: objective("denoising", sigma=0.0), "sigma"),
    V("losses.ScoreMatching", "sliced-with-sigma", lambda: objective("sliced", sigma=0.1), "sigma"),
    V("losses.ScoreMatching", "denoising-with-sigmas", lambda: objective("denoising", sigma=0.1, sigmas=SIGMAS),
      "sigmas"),
    V("losses.ScoreMatching", "noise-conditional-without-sigmas", lambda: objective("noise_conditional"), "sigmas"),
    V("losses.ScoreMatching", "noise-conditional-increasing", lambda: objective("noise_conditional", sigmas=[0.1, 1.0]),
      "sigmas"),
    V("losses.ScoreMatching", "noise-conditional-with-sigma",
      lambda: objective("noise_conditional", sigma=0.1, sigmas=SIGMAS), "sigma"),
    V("losses.ScoreMatching", "n-projections-zero", lambda: objective(n_projections=0), "n_projections"),
    V("losses.ScoreMatching", "projection-unknown", lambda: objective(projection="sphere"), "projection"),
    T("losses.ScoreMatching", "variance-reduction-int", lambda: objective(variance_reduction=1), "variance_reduction"),
    T("losses.ScoreMatching", "batch-tuple", lambda: objective()(mlp(), (X,)), "batch"),
    T("losses.ScoreMatching", "batch-int", lambda: objective()(mlp(), torch.zeros(4, 2, dtype=torch.long)), "batch"),
    V("losses.ScoreMatching", "batch-nan", lambda: objective("exact")(mlp(), NAN), "batch"),
    V("losses.ScoreMatching", "batch-empty", lambda: objective()(mlp(), torch.zeros(0, 2)), "batch"),
    T("losses.ScoreMatching", "generator-int", lambda: objective()(mlp(), X, generator=0), "generator"),
    T("losses.ScoreMatching", "model-no-grad", lambda: objective("denoising", sigma=0.1)(under_no_grad, X), "energy"),
    T("losses.ScoreMatching", "noise-conditional-unconditional-model",
      lambda: objective("noise_conditional", sigmas=SIGMAS)(mlp(), X), "energy"),
]
