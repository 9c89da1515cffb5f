"""Bad input to the noise-conditional parts: ``GaussianMixture.smoothed``, ``SmoothedMixture``,
``NoiseConditionalEnergy`` and ``AnnealedLangevin``."""
from __future__ import annotations

import functools
import math

import torch

from ebmbook import energies as E
from ebmbook import models as Mo
from ebmbook import samplers as S

from .cases_samplers import BAD_X0
from .harness import TV, R, T, V

X0 = torch.zeros(3, 2)
SIGMAS = [2.0, 1.0]


@functools.cache  # energies are never changed by a case: build each once
def mixture():
    return E.GaussianMixture(torch.tensor([[-1.0, 0.0], [1.0, 0.0]]), torch.tensor([0.5, 0.5]))


@functools.cache
def smoothed():
    return E.SmoothedMixture(mixture())


def net():
    torch.manual_seed(0)
    return Mo.NoiseConditionalEnergy(2, hidden=(4,))


def annealed(energy=None):
    return S.AnnealedLangevin(energy or smoothed(), sigmas=SIGMAS, step_size=0.1, n_steps_per_level=2)


def square(x, sigma):
    """Reduces over the last axis, so a 1-D ``x0`` (scalar events) gets a 0-d energy: refused, blamed on x0."""
    return x.pow(2).sum(-1) / sigma.mean()


def detached(x, sigma):
    return x.detach().pow(2).sum(-1) / sigma


CASES = []
for _what, (_kind, _x0) in BAD_X0.items():
    CASES.append(_kind("samplers.AnnealedLangevin", f"init-{_what}", lambda x=_x0: annealed().init(x), "x0"))

CASES += [
    # -- GaussianMixture.smoothed -----------------------------------------------------------------------------
    V("energies.GaussianMixture", "smoothed-sigma-zero", lambda: mixture().smoothed(0.0), "sigma"),
    V("energies.GaussianMixture", "smoothed-sigma-negative", lambda: mixture().smoothed(-0.5), "sigma"),
    V("energies.GaussianMixture", "smoothed-sigma-nan", lambda: mixture().smoothed(math.nan), "sigma"),
    T("energies.GaussianMixture", "smoothed-sigma-str", lambda: mixture().smoothed("1"), "sigma"),
    TV("energies.GaussianMixture", "smoothed-sigma-vector", lambda: mixture().smoothed(torch.ones(2)), "sigma"),
    # -- SmoothedMixture --------------------------------------------------------------------------------------
    T("energies.SmoothedMixture", "mixture-gaussian",
      lambda: E.SmoothedMixture(E.Gaussian(torch.zeros(2), torch.eye(2))), "mixture"),
    T("energies.SmoothedMixture", "mixture-none", lambda: E.SmoothedMixture(None), "mixture"),
    T("energies.SmoothedMixture", "no-sigma", lambda: smoothed()(X0), "sigma"),
    V("energies.SmoothedMixture", "sigma-zero", lambda: smoothed()(X0, 0.0), "sigma"),
    V("energies.SmoothedMixture", "sigma-row-negative", lambda: smoothed()(X0, torch.tensor([1.0, -1.0, 1.0])),
      "sigma"),
    V("energies.SmoothedMixture", "sigma-inf", lambda: smoothed()(X0, torch.full((3,), math.inf)), "sigma"),
    V("energies.SmoothedMixture", "sigma-wrong-batch", lambda: smoothed()(X0, torch.ones(4)), "sigma"),
    V("energies.SmoothedMixture", "sigma-column", lambda: smoothed()(X0, torch.ones(3, 1)), "sigma"),
    T("energies.SmoothedMixture", "sigma-list", lambda: smoothed()(X0, [1.0, 1.0, 1.0]), "sigma"),
    T("energies.SmoothedMixture", "sigma-complex", lambda: smoothed()(X0, torch.ones(3, dtype=torch.complex64)),
      "sigma"),
    V("energies.SmoothedMixture", "x-wrong-event", lambda: smoothed()(torch.zeros(3, 5), 1.0), "x"),
    T("energies.SmoothedMixture", "x-int", lambda: smoothed()(torch.zeros(3, 2, dtype=torch.long), 1.0), "x"),
    T("energies.SmoothedMixture", "x-list", lambda: smoothed()([[0.0, 0.0]], 1.0), "x"),
    V("energies.SmoothedMixture", "log-prob-sigma-zero", lambda: smoothed().log_prob(X0, 0.0), "sigma"),
    V("energies.SmoothedMixture", "sample-n-zero", lambda: smoothed().sample(0, 1.0), "n"),
    V("energies.SmoothedMixture", "sample-sigma-zero", lambda: smoothed().sample(5, 0.0), "sigma"),
    T("energies.SmoothedMixture", "sample-int-generator", lambda: smoothed().sample(5, 1.0, generator=0),
      "generator"),
    # -- NoiseConditionalEnergy -------------------------------------------------------------------------------
    V("models.NoiseConditionalEnergy", "in-features-zero", lambda: Mo.NoiseConditionalEnergy(0), "in_features"),
    T("models.NoiseConditionalEnergy", "in-features-str", lambda: Mo.NoiseConditionalEnergy("2"), "in_features"),
    T("models.NoiseConditionalEnergy", "hidden-int", lambda: Mo.NoiseConditionalEnergy(2, hidden=8), "hidden"),
    V("models.NoiseConditionalEnergy", "hidden-empty", lambda: Mo.NoiseConditionalEnergy(2, hidden=()), "hidden"),
    V("models.NoiseConditionalEnergy", "activation-unknown",
      lambda: Mo.NoiseConditionalEnergy(2, activation="relu"), "activation"),
    T("models.NoiseConditionalEnergy", "no-sigma", lambda: net()(X0), "sigma"),
    V("models.NoiseConditionalEnergy", "sigma-zero", lambda: net()(X0, 0.0), "sigma"),
    V("models.NoiseConditionalEnergy", "sigma-row-nan", lambda: net()(X0, torch.tensor([1.0, math.nan, 1.0])),
      "sigma"),
    V("models.NoiseConditionalEnergy", "sigma-wrong-batch", lambda: net()(X0, torch.ones(2)), "sigma"),
    T("models.NoiseConditionalEnergy", "sigma-bool", lambda: net()(X0, True), "sigma"),
    V("models.NoiseConditionalEnergy", "x-wrong-features", lambda: net()(torch.zeros(3, 3), 1.0), "x"),
    V("models.NoiseConditionalEnergy", "x-1d", lambda: net()(torch.zeros(2), 1.0), "x"),
    T("models.NoiseConditionalEnergy", "x-int", lambda: net()(torch.zeros(3, 2, dtype=torch.long), 1.0), "x"),
    T("models.NoiseConditionalEnergy", "x-float64-on-float32",
      lambda: net()(torch.zeros(3, 2, dtype=torch.float64), 1.0), "x|dtype"),
    # -- AnnealedLangevin -------------------------------------------------------------------------------------
    T("samplers.AnnealedLangevin", "sigmas-missing", lambda: S.AnnealedLangevin(smoothed(), step_size=0.1), "sigmas"),
    V("samplers.AnnealedLangevin", "sigmas-increasing",
      lambda: S.AnnealedLangevin(sigmas=[1.0, 2.0], step_size=0.1), "sigmas"),
    V("samplers.AnnealedLangevin", "sigmas-repeated",
      lambda: S.AnnealedLangevin(sigmas=[2.0, 1.0, 1.0], step_size=0.1), "sigmas"),
    V("samplers.AnnealedLangevin", "sigmas-zero", lambda: S.AnnealedLangevin(sigmas=[1.0, 0.0], step_size=0.1),
      "sigmas"),
    V("samplers.AnnealedLangevin", "sigmas-negative",
      lambda: S.AnnealedLangevin(sigmas=[1.0, -1.0], step_size=0.1), "sigmas"),
    V("samplers.AnnealedLangevin", "sigmas-nan", lambda: S.AnnealedLangevin(sigmas=[math.nan], step_size=0.1),
      "sigmas"),
    V("samplers.AnnealedLangevin", "sigmas-empty", lambda: S.AnnealedLangevin(sigmas=[], step_size=0.1), "sigmas"),
    V("samplers.AnnealedLangevin", "sigmas-2d-tensor",
      lambda: S.AnnealedLangevin(sigmas=torch.ones(2, 2), step_size=0.1), "sigmas"),
    T("samplers.AnnealedLangevin", "sigmas-float", lambda: S.AnnealedLangevin(sigmas=2.0, step_size=0.1), "sigmas"),
    T("samplers.AnnealedLangevin", "sigmas-str", lambda: S.AnnealedLangevin(sigmas="21", step_size=0.1), "sigmas"),
    T("samplers.AnnealedLangevin", "sigmas-of-str",
      lambda: S.AnnealedLangevin(sigmas=["2", "1"], step_size=0.1), "sigmas"),
    T("samplers.AnnealedLangevin", "step-size-missing", lambda: S.AnnealedLangevin(sigmas=SIGMAS), "step_size"),
    V("samplers.AnnealedLangevin", "step-size-zero", lambda: S.AnnealedLangevin(sigmas=SIGMAS, step_size=0.0),
      "step_size"),
    V("samplers.AnnealedLangevin", "step-size-negative",
      lambda: S.AnnealedLangevin(sigmas=SIGMAS, step_size=-0.1), "step_size"),
    V("samplers.AnnealedLangevin", "n-steps-per-level-zero",
      lambda: S.AnnealedLangevin(sigmas=SIGMAS, step_size=0.1, n_steps_per_level=0), "n_steps_per_level"),
    T("samplers.AnnealedLangevin", "n-steps-per-level-float",
      lambda: S.AnnealedLangevin(sigmas=SIGMAS, step_size=0.1, n_steps_per_level=10.0), "n_steps_per_level"),
    T("samplers.AnnealedLangevin", "energy-not-noise-conditional", lambda: annealed(mixture()), "energy"),
    T("samplers.AnnealedLangevin", "bind-not-noise-conditional",
      lambda: S.AnnealedLangevin(sigmas=SIGMAS, step_size=0.1).bind(mixture()), "energy"),
    T("samplers.AnnealedLangevin", "bind-not-callable",
      lambda: S.AnnealedLangevin(sigmas=SIGMAS, step_size=0.1).bind("smoothed"), "energy"),
    R("samplers.AnnealedLangevin", "init-unbound", lambda: S.AnnealedLangevin(sigmas=SIGMAS, step_size=0.1).init(X0),
      "bind"),
    R("samplers.AnnealedLangevin", "run-unbound",
      lambda: S.run(S.AnnealedLangevin(sigmas=SIGMAS, step_size=0.1), X0, 3), "bind"),
    T("samplers.AnnealedLangevin", "not-differentiable", lambda: annealed(detached).init(X0), "differentiable"),
    V("samplers.AnnealedLangevin", "energy-wrong-shape", lambda: annealed(lambda x, s: x.sum()).init(X0), "energy"),
    V("samplers.AnnealedLangevin", "x0-1d-blamed-on-x0", lambda: annealed(square).init(torch.zeros(2)), "x0"),
    T("samplers.AnnealedLangevin", "step-not-a-state", lambda: annealed().step(X0), "state"),
    T("samplers.AnnealedLangevin", "step-with-ula-state",
      lambda: annealed().step(S.ULA(mixture(), step_size=0.1).init(X0)), "state"),
    V("samplers.AnnealedLangevin", "step-level-out-of-range",
      lambda: annealed().step(annealed().init(X0)._replace(level=5)), "level"),
    T("samplers.AnnealedLangevin", "step-level-tensor",
      lambda: annealed().step(annealed().init(X0)._replace(level=torch.tensor(0))), "level"),
    V("samplers.AnnealedLangevin", "step-negative-step",
      lambda: annealed().step(annealed().init(X0)._replace(step=-1)), "step"),
    T("samplers.AnnealedLangevin", "step-int-generator", lambda: annealed().step(annealed().init(X0), generator=0),
      "generator"),
]

CASES += [
    # -- ReverseDiffusion (shares the ladder checks with AnnealedLangevin) -------------------------------------
    T("samplers.ReverseDiffusion", "sigmas-missing", lambda: S.ReverseDiffusion(smoothed()), "sigmas"),
    V("samplers.ReverseDiffusion", "sigmas-increasing", lambda: S.ReverseDiffusion(sigmas=[1.0, 2.0]), "sigmas"),
    V("samplers.ReverseDiffusion", "sigmas-zero", lambda: S.ReverseDiffusion(sigmas=[1.0, 0.0]), "sigmas"),
    T("samplers.ReverseDiffusion", "energy-not-noise-conditional",
      lambda: S.ReverseDiffusion(mixture(), sigmas=SIGMAS), "energy"),
    R("samplers.ReverseDiffusion", "init-unbound", lambda: S.ReverseDiffusion(sigmas=SIGMAS).init(X0), "bind"),
    V("samplers.ReverseDiffusion", "init-nan", lambda: S.ReverseDiffusion(smoothed(), sigmas=SIGMAS).init(
        torch.full((3, 2), math.nan)), "x0"),
    T("samplers.ReverseDiffusion", "step-with-ula-state",
      lambda: S.ReverseDiffusion(smoothed(), sigmas=SIGMAS).step(S.ULA(mixture(), step_size=0.1).init(X0)), "state"),
    T("samplers.ReverseDiffusion", "step-int-generator",
      lambda: S.ReverseDiffusion(smoothed(), sigmas=SIGMAS).step(
          S.ReverseDiffusion(smoothed(), sigmas=SIGMAS).init(X0), generator=0), "generator"),
]
