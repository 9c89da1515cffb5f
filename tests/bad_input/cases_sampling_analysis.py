"""Bad input to the analysis helpers of chapter 2: ``ebmbook.exact`` (magnetisation distribution,
Gaussian closed forms) and ``ebmbook.metrics`` (sampler bias, mode coverage, magnetisation histogram)."""
from __future__ import annotations

import functools
import math

import torch

from ebmbook import exact as X
from ebmbook import metrics as M
from ebmbook.energies import Gaussian, GaussianMixture, Ising
from ebmbook.samplers import MALA

from .harness import T, V

MODES = torch.tensor([[-1.0, 0.0], [1.0, 0.0]])


@functools.cache  # energies are never changed by a case: build each once
def mixture():
    return GaussianMixture(MODES, torch.tensor([0.5, 0.5]))


@functools.cache
def mala():
    return MALA(Gaussian(torch.zeros(1), torch.eye(1)), 0.1)


CASES = [
    V("exact.magnetisation_distribution", "n-zero", lambda: X.magnetisation_distribution(Ising.chain(3), 0), "n"),
    V("exact.magnetisation_distribution", "n-too-large", lambda: X.magnetisation_distribution(Ising.chain(3), 31),
      "n"),
    T("exact.magnetisation_distribution", "n-float", lambda: X.magnetisation_distribution(Ising.chain(3), 3.0), "n"),
    T("exact.magnetisation_distribution", "energy-str", lambda: X.magnetisation_distribution("ising", 3), "energy"),
    V("exact.magnetisation_distribution", "temperature-zero",
      lambda: X.magnetisation_distribution(Ising.chain(3), 3, temperature=0.0), "temperature"),
    T("exact.mixture_marginal_density", "mixture-gaussian",
      lambda: X.mixture_marginal_density(Gaussian(torch.zeros(2), torch.eye(2)), torch.zeros(3)), "mixture"),
    T("exact.mixture_marginal_density", "x-list", lambda: X.mixture_marginal_density(mixture(), [0.0]), "x"),
    T("exact.mixture_marginal_density", "x-int",
      lambda: X.mixture_marginal_density(mixture(), torch.zeros(3, dtype=torch.long)), "x"),
    V("exact.mixture_marginal_density", "x-nan",
      lambda: X.mixture_marginal_density(mixture(), torch.tensor([math.nan])), "x"),
    V("exact.mixture_marginal_density", "dim-too-large",
      lambda: X.mixture_marginal_density(mixture(), torch.zeros(3), dim=2), "dim"),
    V("exact.ula_gaussian_variance", "step-size-zero", lambda: X.ula_gaussian_variance(0.0, 1.0), "step_size"),
    V("exact.ula_gaussian_variance", "step-size-unstable", lambda: X.ula_gaussian_variance(2.0, 1.0), "step_size"),
    V("exact.ula_gaussian_variance", "std-negative", lambda: X.ula_gaussian_variance(0.1, -1.0), "std"),
    T("exact.ula_gaussian_variance", "std-str", lambda: X.ula_gaussian_variance(0.1, "1"), "std"),
    V("exact.ula_gaussian_energy_bias", "step-size-inf",
      lambda: X.ula_gaussian_energy_bias(math.inf, 1.0, dim=2), "step_size"),
    V("exact.ula_gaussian_energy_bias", "dim-zero", lambda: X.ula_gaussian_energy_bias(0.1, 1.0, dim=0), "dim"),
    T("exact.ula_gaussian_energy_bias", "dim-float", lambda: X.ula_gaussian_energy_bias(0.1, 1.0, dim=2.0), "dim"),
    T("metrics.sampler_bias", "sampler-callable", lambda: M.sampler_bias(lambda x: x, torch.zeros(3, 1), 5, 0.0),
      "sampler"),
    V("metrics.sampler_bias", "x0-one-chain", lambda: M.sampler_bias(mala(), torch.zeros(1, 1), 5, 0.0), "x0"),
    T("metrics.sampler_bias", "x0-list", lambda: M.sampler_bias(mala(), [[0.0], [1.0]], 5, 0.0), "x0"),
    V("metrics.sampler_bias", "n-steps-zero", lambda: M.sampler_bias(mala(), torch.zeros(3, 1), 0, 0.0), "n_steps"),
    V("metrics.sampler_bias", "burn-in-negative",
      lambda: M.sampler_bias(mala(), torch.zeros(3, 1), 5, 0.0, burn_in=-1), "burn_in"),
    V("metrics.sampler_bias", "exact-nan", lambda: M.sampler_bias(mala(), torch.zeros(3, 1), 5, math.nan), "exact"),
    T("metrics.sampler_bias", "fn-str", lambda: M.sampler_bias(mala(), torch.zeros(3, 1), 5, 0.0, fn="x"), "fn"),
    V("metrics.sampler_bias", "fn-wrong-shape",
      lambda: M.sampler_bias(mala(), torch.zeros(3, 1), 5, 0.0, fn=lambda x: x), "fn"),
    T("metrics.sampler_bias", "generator-int",
      lambda: M.sampler_bias(mala(), torch.zeros(3, 1), 5, 0.0, generator=0), "generator"),
    V("metrics.nearest_mode", "x-1d", lambda: M.nearest_mode(torch.zeros(4), MODES), "x"),
    T("metrics.nearest_mode", "x-int", lambda: M.nearest_mode(torch.zeros(4, 2, dtype=torch.long), MODES), "x"),
    V("metrics.nearest_mode", "x-inf", lambda: M.nearest_mode(torch.tensor([[0.0, math.inf]]), MODES), "x"),
    V("metrics.nearest_mode", "modes-wrong-dim", lambda: M.nearest_mode(torch.zeros(4, 3), MODES), "modes"),
    V("metrics.nearest_mode", "modes-empty", lambda: M.nearest_mode(torch.zeros(4, 2), torch.zeros(0, 2)), "modes"),
    T("metrics.nearest_mode", "modes-none", lambda: M.nearest_mode(torch.zeros(4, 2), None), "modes"),
    V("metrics.mode_fractions", "x-empty", lambda: M.mode_fractions(torch.zeros(0, 2), MODES), "x"),
    V("metrics.mode_fractions", "modes-nan",
      lambda: M.mode_fractions(torch.zeros(3, 2), torch.tensor([[math.nan, 0.0]])), "modes"),
    T("metrics.magnetisation_histogram", "list", lambda: M.magnetisation_histogram([[1, -1]]), "spins"),
    V("metrics.magnetisation_histogram", "1d", lambda: M.magnetisation_histogram(torch.ones(4)), "spins"),
    V("metrics.magnetisation_histogram", "empty", lambda: M.magnetisation_histogram(torch.ones(0, 4)), "spins"),
    V("metrics.magnetisation_histogram", "not-spins",
      lambda: M.magnetisation_histogram(torch.tensor([[1.0, 0.0]])), "spins"),
]
