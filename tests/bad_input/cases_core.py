"""Bad input to ``ebmbook.utils`` and ``ebmbook.energies``."""
from __future__ import annotations

import functools
import math

import torch

from ebmbook import energies as E
from ebmbook import utils as U

from .harness import TV, T, V

NAN2 = torch.tensor([[0.0, math.nan]])
INF2 = torch.tensor([[math.inf, 0.0]])


@functools.cache  # energies are never changed by a case: build each once
def gauss():
    return E.Gaussian(torch.zeros(2), torch.eye(2))


@functools.cache  # energies are never changed by a case: build each once
def mixture():
    return E.GaussianMixture(torch.tensor([[-1.0, 0.0], [1.0, 0.0]]), torch.tensor([0.5, 0.5]))


@functools.cache  # energies are never changed by a case: build each once
def ising():
    return E.Ising.chain(4)


def detached(x):
    return x.detach().pow(2).sum(-1)


CASES = [
    # -- utils ------------------------------------------------------------------------------------
    T("utils.seed_everything", "str", lambda: U.seed_everything("1"), "seed"),
    T("utils.seed_everything", "float", lambda: U.seed_everything(1.5), "seed"),
    T("utils.seed_everything", "bool", lambda: U.seed_everything(True), "seed"),
    V("utils.seed_everything", "negative", lambda: U.seed_everything(-1), "seed"),
    T("utils.make_generator", "none-seed", lambda: U.make_generator(None), "seed"),
    V("utils.make_generator", "negative", lambda: U.make_generator(-3), "seed"),
    TV("utils.make_generator", "bad-device", lambda: U.make_generator(0, "nonsense"), "device"),
    TV("utils.make_generator", "int-device", lambda: U.make_generator(0, [1]), "device"),
    T("utils.check_positive", "str", lambda: U.check_positive("1", "step"), "step"),
    T("utils.check_positive", "none", lambda: U.check_positive(None, "step"), "step"),
    T("utils.check_positive", "complex", lambda: U.check_positive(1j, "step"), "step"),
    V("utils.check_positive", "zero", lambda: U.check_positive(0, "step"), "step"),
    V("utils.check_positive", "nan", lambda: U.check_positive(math.nan, "step"), "step"),
    V("utils.check_positive", "inf", lambda: U.check_positive(math.inf, "step"), "step"),
    TV("utils.check_positive", "vector", lambda: U.check_positive(torch.ones(2), "step"), "step"),
    V("utils.check_nonnegative", "negative", lambda: U.check_nonnegative(-1e-9, "alpha"), "alpha"),
    T("utils.check_nonnegative", "list", lambda: U.check_nonnegative([1], "alpha"), "alpha"),
    V("utils.check_probability", "above-one", lambda: U.check_probability(1.5, "p"), "p"),
    V("utils.check_probability", "nan", lambda: U.check_probability(math.nan, "p"), "p"),
    T("utils.check_probability", "none", lambda: U.check_probability(None, "p"), "p"),
    T("utils.check_int", "float", lambda: U.check_int(1.0, "n"), "n"),
    T("utils.check_int", "bool", lambda: U.check_int(True, "n"), "n"),
    T("utils.check_int", "tensor", lambda: U.check_int(torch.tensor([1, 2]), "n"), "n"),
    V("utils.check_int", "below-minimum", lambda: U.check_int(0, "n", minimum=1), "n"),
    T("utils.check_tensor", "list", lambda: U.check_tensor([1.0], "x"), "x"),
    T("utils.check_tensor", "numpy", lambda: U.check_tensor(torch.ones(2).numpy(), "x"), "x"),
    V("utils.check_tensor", "ndim", lambda: U.check_tensor(torch.ones(2), "x", ndim=2), "x"),
    V("utils.check_tensor", "min-ndim", lambda: U.check_tensor(torch.ones(()), "x", min_ndim=1), "x"),
    V("utils.check_tensor", "last-dim", lambda: U.check_tensor(torch.ones(3, 3), "x", last_dim=2), "x"),
    V("utils.check_finite", "nan", lambda: U.check_finite(NAN2, "x"), "x"),
    V("utils.check_finite", "inf", lambda: U.check_finite(INF2, "x"), "x"),
    V("utils.check_finite", "complex-nan", lambda: U.check_finite(torch.tensor([complex(math.nan, 0)]), "x"), "x"),
    T("utils.check_finite", "list", lambda: U.check_finite([math.nan], "x"), "x"),
    V("utils.check_spins", "bits", lambda: U.check_spins(torch.tensor([0.0, 1.0]), "s"), "s"),
    V("utils.check_spins", "nan", lambda: U.check_spins(torch.tensor([math.nan, 1.0]), "s"), "s"),
    T("utils.check_spins", "list", lambda: U.check_spins([1, -1], "s"), "s"),
    V("utils.check_binary", "spins", lambda: U.check_binary(torch.tensor([-1.0, 1.0]), "v"), "v"),
    T("utils.check_binary", "none", lambda: U.check_binary(None, "v"), "v"),
    V("utils.check_square_symmetric", "not-square", lambda: U.check_square_symmetric(torch.ones(2, 3), "J"), "J"),
    V("utils.check_square_symmetric", "asymmetric",
      lambda: U.check_square_symmetric(torch.tensor([[0.0, 1.0], [0.0, 0.0]]), "J"), "J"),
    V("utils.check_square_symmetric", "nan", lambda: U.check_square_symmetric(torch.full((2, 2), math.nan), "J"), "J"),
    V("utils.check_square_symmetric", "1-d", lambda: U.check_square_symmetric(torch.ones(4), "J"), "J"),
    T("utils.check_square_symmetric", "list", lambda: U.check_square_symmetric([[0, 1], [1, 0]], "J"), "J"),
    T("utils.check_generator", "int-seed", lambda: U.check_generator(0), "generator"),
    T("utils.check_generator", "str", lambda: U.check_generator("cpu"), "generator"),
    V("utils.check_generator", "other-device", lambda: U.check_generator(torch.Generator(), device="meta"),
      "generator"),
    TV("utils.check_device", "unknown", lambda: U.check_device("gpu"), "device"),
    T("utils.check_device", "int", lambda: U.check_device(0), "device"),
    T("utils.check_device", "list", lambda: U.check_device(["cpu"], "where"), "where"),
    T("utils.check_path", "none", lambda: U.check_path(None), "path"),
    T("utils.check_path", "int", lambda: U.check_path(3, "images_path"), "images_path"),
    T("utils.check_path", "bool", lambda: U.check_path(True), "path"),
    # -- energies: the contract ---------------------------------------------------------------------
    T("energies.evaluate_energy", "energy-not-callable", lambda: E.evaluate_energy(5, torch.zeros(3, 2)), "energy"),
    T("energies.evaluate_energy", "x-list", lambda: E.evaluate_energy(gauss(), [[0.0, 0.0]]), "x"),
    V("energies.evaluate_energy", "energy-wrong-shape",
      lambda: E.evaluate_energy(lambda x: x.sum(), torch.zeros(3, 2)), "energy"),
    V("energies.evaluate_energy", "energy-not-tensor",
      lambda: E.evaluate_energy(lambda x: 0.0, torch.zeros(3, 2)), "energy"),
    T("energies.evaluate_energy", "energy-complex",
      lambda: E.evaluate_energy(lambda x: x.sum(-1).to(torch.complex64), torch.zeros(3, 2)), "energy"),
    T("energies.energy_and_grad", "not-differentiable", lambda: E.energy_and_grad(detached, torch.zeros(3, 2)),
      "differentiable"),
    T("energies.energy_and_grad", "energy-not-callable", lambda: E.energy_and_grad(None, torch.zeros(3, 2)), "energy"),
    T("energies.energy_and_grad", "x-list", lambda: E.energy_and_grad(gauss(), [[0.0, 0.0]]), "x"),
    T("energies.energy_and_grad", "x-int", lambda: E.energy_and_grad(gauss(), torch.zeros(3, 2, dtype=torch.long)),
      "x"),
    V("energies.energy_and_grad", "energy-wrong-shape",
      lambda: E.energy_and_grad(lambda x: x.pow(2).sum(), torch.zeros(3, 2)), "energy"),
    # -- energies: Gaussian -------------------------------------------------------------------------
    T("energies.Gaussian", "mean-list", lambda: E.Gaussian([0.0, 0.0], torch.eye(2)), "mean"),
    T("energies.Gaussian", "mean-int", lambda: E.Gaussian(torch.zeros(2, dtype=torch.long), torch.eye(2)), "mean"),
    T("energies.Gaussian", "mean-complex", lambda: E.Gaussian(torch.zeros(2, dtype=torch.complex64), torch.eye(2)),
      "mean"),
    V("energies.Gaussian", "mean-2d", lambda: E.Gaussian(torch.zeros(1, 2), torch.eye(2)), "mean"),
    V("energies.Gaussian", "mean-nan", lambda: E.Gaussian(torch.tensor([0.0, math.nan]), torch.eye(2)), "mean"),
    V("energies.Gaussian", "mean-empty", lambda: E.Gaussian(torch.zeros(0), torch.eye(0)), "mean"),
    T("energies.Gaussian", "cov-none", lambda: E.Gaussian(torch.zeros(2), None), "covariance"),
    T("energies.Gaussian", "cov-int", lambda: E.Gaussian(torch.zeros(2), torch.eye(2, dtype=torch.long)),
      "covariance"),
    V("energies.Gaussian", "cov-shape", lambda: E.Gaussian(torch.zeros(2), torch.eye(3)), "covariance"),
    V("energies.Gaussian", "cov-asymmetric", lambda: E.Gaussian(torch.zeros(2), torch.tensor([[1.0, 0.5], [0.0, 1.0]])),
      "covariance"),
    V("energies.Gaussian", "cov-not-pd", lambda: E.Gaussian(torch.zeros(2), -torch.eye(2)), "covariance"),
    V("energies.Gaussian", "cov-inf", lambda: E.Gaussian(torch.zeros(2), torch.eye(2) * math.inf), "covariance"),
    V("energies.Gaussian", "forward-shape", lambda: gauss()(torch.zeros(3, 3)), "x"),
    V("energies.Gaussian", "forward-1d", lambda: gauss()(torch.zeros(2)), "x"),
    T("energies.Gaussian", "forward-list", lambda: gauss()([[0.0, 0.0]]), "x"),
    T("energies.Gaussian", "forward-int", lambda: gauss()(torch.ones(3, 2, dtype=torch.long)), "x"),
    T("energies.Gaussian", "forward-bool", lambda: gauss()(torch.ones(3, 2, dtype=torch.bool)), "x"),
    T("energies.Gaussian", "forward-complex", lambda: gauss()(torch.ones(3, 2, dtype=torch.complex64)), "x"),
    V("energies.Gaussian", "sample-negative", lambda: gauss().sample(-1), "n"),
    V("energies.Gaussian", "sample-zero", lambda: gauss().sample(0), "n"),
    T("energies.Gaussian", "sample-float", lambda: gauss().sample(2.5), "n"),
    T("energies.Gaussian", "sample-int-generator", lambda: gauss().sample(3, generator=0), "generator"),
    V("energies.AnalyticEnergy", "log_prob-shape", lambda: gauss().log_prob(torch.zeros(4)), "x"),
    T("energies.AnalyticEnergy", "log_prob-list", lambda: mixture().log_prob([[0.0, 0.0]]), "x"),
    # -- energies: GaussianMixture ------------------------------------------------------------------
    T("energies.GaussianMixture", "means-list", lambda: E.GaussianMixture([[0.0, 0.0]], torch.ones(1)), "means"),
    T("energies.GaussianMixture", "means-int",
      lambda: E.GaussianMixture(torch.zeros(1, 2, dtype=torch.long), torch.ones(1)), "means"),
    V("energies.GaussianMixture", "means-1d", lambda: E.GaussianMixture(torch.zeros(2), torch.ones(2)), "means"),
    V("energies.GaussianMixture", "means-empty", lambda: E.GaussianMixture(torch.zeros(0, 2), torch.ones(0)), "means"),
    V("energies.GaussianMixture", "means-nan", lambda: E.GaussianMixture(NAN2, torch.ones(1)), "means"),
    T("energies.GaussianMixture", "cov-none", lambda: E.GaussianMixture(torch.zeros(2, 2), None), "covariances"),
    V("energies.GaussianMixture", "cov-shape", lambda: E.GaussianMixture(torch.zeros(2, 2), torch.ones(3)),
      "covariances"),
    V("energies.GaussianMixture", "std-negative", lambda: E.GaussianMixture(torch.zeros(2, 2), -torch.ones(2)),
      "covariances"),
    V("energies.GaussianMixture", "std-nan",
      lambda: E.GaussianMixture(torch.zeros(2, 2), torch.tensor([1.0, math.nan])),
      "covariances"),
    V("energies.GaussianMixture", "cov-not-pd", lambda: E.GaussianMixture(torch.zeros(1, 2), -torch.eye(2)[None]),
      "covariances"),
    V("energies.GaussianMixture", "weights-negative",
      lambda: E.GaussianMixture(torch.zeros(2, 2), torch.ones(2), torch.tensor([1.0, -0.5])), "weights"),
    V("energies.GaussianMixture", "weights-zero",
      lambda: E.GaussianMixture(torch.zeros(2, 2), torch.ones(2), torch.zeros(2)), "weights"),
    V("energies.GaussianMixture", "weights-shape",
      lambda: E.GaussianMixture(torch.zeros(2, 2), torch.ones(2), torch.ones(3)), "weights"),
    T("energies.GaussianMixture", "weights-list",
      lambda: E.GaussianMixture(torch.zeros(2, 2), torch.ones(2), [0.5, 0.5]), "weights"),
    V("energies.GaussianMixture", "forward-shape", lambda: mixture()(torch.zeros(3, 3)), "x"),
    T("energies.GaussianMixture", "forward-int", lambda: mixture()(torch.ones(3, 2, dtype=torch.long)), "x"),
    V("energies.GaussianMixture", "responsibilities-shape", lambda: mixture().responsibilities(torch.zeros(2)), "x"),
    V("energies.GaussianMixture", "sample-zero", lambda: mixture().sample(0), "n"),
    V("energies.GaussianMixture", "sample-negative", lambda: mixture().sample(-2), "n"),
    T("energies.GaussianMixture", "sample-int-generator", lambda: mixture().sample(3, generator=1), "generator"),
    # -- energies: Ring -------------------------------------------------------------------------------
    V("energies.Ring", "radius-negative", lambda: E.Ring(radius=-1.0), "radius"),
    V("energies.Ring", "radius-nan", lambda: E.Ring(radius=math.nan), "radius"),
    T("energies.Ring", "width-str", lambda: E.Ring(width="0.3"), "width"),
    V("energies.Ring", "width-zero", lambda: E.Ring(width=0.0), "width"),
    V("energies.Ring", "forward-shape", lambda: E.Ring()(torch.zeros(3, 3)), "x"),
    T("energies.Ring", "forward-int", lambda: E.Ring()(torch.ones(3, 2, dtype=torch.long)), "x"),
    T("energies.Ring", "forward-none", lambda: E.Ring()(None), "x"),
    V("energies.Ring", "sample-negative", lambda: E.Ring().sample(-1), "n"),
    V("energies.Ring", "sample-zero", lambda: E.Ring().sample(0), "n"),
    T("energies.Ring", "sample-float", lambda: E.Ring().sample(3.0), "n"),
    T("energies.Ring", "sample-int-generator", lambda: E.Ring().sample(3, generator=0), "generator"),
    TV("energies.Ring", "sample-bad-device", lambda: E.Ring().sample(3, device="nonsense"), "device"),
    # -- energies: Ising --------------------------------------------------------------------------------
    T("energies.Ising", "couplings-list", lambda: E.Ising([[0.0, 1.0], [1.0, 0.0]]), "couplings"),
    V("energies.Ising", "couplings-asymmetric", lambda: E.Ising(torch.tensor([[0.0, 1.0], [0.0, 0.0]])), "couplings"),
    V("energies.Ising", "couplings-diagonal", lambda: E.Ising(torch.eye(2)), "couplings"),
    V("energies.Ising", "couplings-nan", lambda: E.Ising(torch.full((2, 2), math.nan)), "couplings"),
    V("energies.Ising", "couplings-empty", lambda: E.Ising(torch.zeros(0, 0)), "couplings"),
    T("energies.Ising", "couplings-complex", lambda: E.Ising(torch.zeros(2, 2, dtype=torch.complex64)), "couplings"),
    V("energies.Ising", "field-shape", lambda: E.Ising(torch.zeros(3, 3), torch.zeros(2)), "field"),
    V("energies.Ising", "field-nan", lambda: E.Ising(torch.zeros(3, 3), math.nan), "field"),
    T("energies.Ising", "field-str", lambda: E.Ising(torch.zeros(3, 3), "up"), "field"),
    V("energies.Ising", "lattice-shape-mismatch", lambda: E.Ising(torch.zeros(4, 4), lattice_shape=(3, 3)),
      "lattice_shape"),
    T("energies.Ising", "lattice-shape-int", lambda: E.Ising(torch.zeros(4, 4), lattice_shape=4), "lattice_shape"),
    V("energies.Ising", "chain-n-1", lambda: E.Ising.chain(1), "n"),
    T("energies.Ising", "chain-coupling-str", lambda: E.Ising.chain(3, coupling="1"), "coupling"),
    V("energies.Ising", "chain-coupling-nan", lambda: E.Ising.chain(3, coupling=math.nan), "coupling"),
    T("energies.Ising", "chain-field-str", lambda: E.Ising.chain(3, field="x"), "field"),
    V("energies.Ising", "lattice-L-2", lambda: E.Ising.lattice(2), "L"),
    T("energies.Ising", "lattice-coupling-none", lambda: E.Ising.lattice(3, coupling=None), "coupling"),
    V("energies.Ising", "forward-shape", lambda: ising()(torch.ones(2, 3)), "s"),
    T("energies.Ising", "forward-list", lambda: ising()([[1, 1, 1, 1]]), "s"),
    V("energies.Ising", "local_field-shape", lambda: ising().local_field(torch.ones(2, 3)), "s"),
    T("energies.Ising", "magnetisation-list", lambda: ising().magnetisation([[1, 1, 1, 1]]), "s"),
    V("energies.ising_chain_log_z", "n-1", lambda: E.ising_chain_log_z(1, 1.0), "n"),
    T("energies.ising_chain_log_z", "coupling-str", lambda: E.ising_chain_log_z(4, "1"), "coupling"),
    V("energies.ising_chain_log_z", "field-inf", lambda: E.ising_chain_log_z(4, 1.0, field=math.inf), "field"),
    V("energies.ising_chain_log_z", "temperature-zero",
      lambda: E.ising_chain_log_z(4, 1.0, temperature=0), "temperature"),
    V("energies.ising_chain_log_z", "periodic-n-2", lambda: E.ising_chain_log_z(2, 1.0, periodic=True), "n"),
    # -- energies: Tempered -------------------------------------------------------------------------------
    T("energies.Tempered", "energy-not-callable", lambda: E.Tempered(5, 2.0), "energy"),
    V("energies.Tempered", "temperature-zero", lambda: E.Tempered(gauss(), 0.0), "temperature"),
    V("energies.Tempered", "temperature-negative", lambda: E.Tempered(gauss(), -1.0), "temperature"),
    V("energies.Tempered", "temperature-inf", lambda: E.Tempered(gauss(), math.inf), "temperature"),
    T("energies.Tempered", "temperature-str", lambda: E.Tempered(gauss(), "hot"), "temperature"),
    T("energies.Tempered", "temperature-none", lambda: E.Tempered(gauss(), None), "temperature"),
    V("energies.Tempered", "forward-shape", lambda: E.Tempered(gauss(), 2.0)(torch.zeros(3, 5)), "x"),
]
