"""Bad input to the RBMs (``ebmbook.models``), AIS (``ebmbook.metrics``) and spin patterns (``ebmbook.data``)."""
from __future__ import annotations

import functools
import math

import torch

from ebmbook import data as D
from ebmbook import metrics as M
from ebmbook import models as Mo
from ebmbook.energies import Gaussian
from ebmbook.samplers import HMC, MALA

from .harness import TV, F, R, T, V

RBM = "ebmbook/models/rbm.py"
GIBBS = "ebmbook/models/rbm_gibbs.py"
AIS = "ebmbook/metrics/ais.py"
PATTERNS = "ebmbook/data/patterns.py"

BITS = torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
SPINS = torch.tensor([[1.0, -1.0, 1.0, -1.0], [1.0, 1.0, -1.0, -1.0]])


def rbm():
    model = Mo.BernoulliRBM(n_hidden=2)
    model.weights_ = torch.randn(3, 2, generator=torch.Generator().manual_seed(0))
    model.visible_bias_, model.hidden_bias_ = torch.zeros(3), torch.zeros(2)
    return model


def grbm():
    model = Mo.GaussianBernoulliRBM(n_hidden=2)
    model.weights_, model.visible_bias_, model.hidden_bias_ = torch.ones(3, 2) * 0.1, torch.zeros(3), torch.zeros(2)
    return model


def gibbs():
    return Mo.RBMGibbs(rbm())


@functools.cache  # energies are never changed by a case: build each once
def gauss(mean=0.0):
    return Gaussian(torch.full((2,), mean), torch.eye(2))


def ais(**kw):
    settings = dict(target=gauss(1.0), base=gauss(), transition=HMC(step_size=0.3, n_leapfrog=2),
                    betas=M.ais_betas(3), n_runs=4)
    settings.update(kw)
    return M.ais(**settings)



CASES = [
    # -- Bernoulli RBM -----------------------------------------------------------------------------------------
    V("models.BernoulliRBM", "n-hidden-zero", lambda: Mo.BernoulliRBM(n_hidden=0), "n_hidden"),
    V("models.BernoulliRBM", "method-unknown", lambda: Mo.BernoulliRBM(method="ml"), "method"),
    V("models.BernoulliRBM", "k-zero", lambda: Mo.BernoulliRBM(k=0), "k"),
    V("models.BernoulliRBM", "learning-rate-zero", lambda: Mo.BernoulliRBM(learning_rate=0.0), "learning_rate"),
    V("models.BernoulliRBM", "momentum-one", lambda: Mo.BernoulliRBM(momentum=1.0), "momentum"),
    V("models.BernoulliRBM", "batch-size-zero", lambda: Mo.BernoulliRBM(batch_size=0), "batch_size"),
    V("models.BernoulliRBM", "n-chains-zero", lambda: Mo.BernoulliRBM(n_chains=0), "n_chains"),
    T("models.BernoulliRBM", "dtype-int", lambda: Mo.BernoulliRBM(dtype=torch.int64), "dtype"),
    TV("models.BernoulliRBM", "bad-device", lambda: Mo.BernoulliRBM(device="nonsense"), "device"),
    V("models.BernoulliRBM", "fit-empty", lambda: Mo.BernoulliRBM(n_epochs=1).fit(torch.zeros(0, 3)), "data"),
    V("models.BernoulliRBM", "fit-no-features", lambda: Mo.BernoulliRBM(n_epochs=1).fit(torch.zeros(4, 0)), "data"),
    V("models.BernoulliRBM", "fit-non-binary", lambda: Mo.BernoulliRBM(n_epochs=1).fit(BITS * 0.5), "data"),
    V("models.BernoulliRBM", "fit-nan", lambda: Mo.BernoulliRBM(n_epochs=1).fit(BITS * math.nan), "data"),
    V("models.BernoulliRBM", "fit-1d", lambda: Mo.BernoulliRBM(n_epochs=1).fit(BITS[0]), "data"),
    T("models.BernoulliRBM", "fit-list", lambda: Mo.BernoulliRBM(n_epochs=1).fit(BITS.tolist()), "data"),
    T("models.BernoulliRBM", "fit-int-generator", lambda: Mo.BernoulliRBM(n_epochs=1).fit(BITS, generator=0),
      "generator"),
    R("models.BernoulliRBM", "hidden-probs-unfitted", lambda: Mo.BernoulliRBM().hidden_probs(BITS), "fit"),
    R("models.BernoulliRBM", "sample-unfitted", lambda: Mo.BernoulliRBM().sample(2), "fit"),
    R("models.BernoulliRBM", "free-energy-unfitted", lambda: Mo.BernoulliRBM().free_energy(BITS), "fit"),
    V("models.BernoulliRBM", "hidden-probs-width", lambda: rbm().hidden_probs(torch.zeros(2, 5)), "v"),
    T("models.BernoulliRBM", "free-energy-list", lambda: rbm().free_energy([[0.0, 1.0, 0.0]]), "v"),
    V("models.BernoulliRBM", "free-energy-width", lambda: rbm()(torch.zeros(2, 4)), "v"),
    V("models.BernoulliRBM", "visible-probs-width", lambda: rbm().visible_probs(torch.zeros(2, 3)), "h"),
    V("models.BernoulliRBM", "energy-h-width", lambda: rbm().energy(BITS, torch.zeros(4, 3)), "h"),
    V("models.BernoulliRBM", "sample-zero", lambda: rbm().sample(0), "n"),
    V("models.BernoulliRBM", "sample-init-non-binary", lambda: rbm().sample(4, 1, init=BITS * 2), "init"),
    T("models.BernoulliRBM", "sample-int-generator", lambda: rbm().sample(2, 1, generator=0), "generator"),
    V("models.BernoulliRBM", "gibbs-step-non-binary", lambda: rbm().gibbs_step(BITS * 3), "v|x0"),
    V("models.BernoulliRBM", "pseudo-ll-non-binary", lambda: rbm().pseudo_log_likelihood(BITS - 1), "v"),
    V("models.BernoulliRBM", "pseudo-ll-chunk-zero", lambda: rbm().pseudo_log_likelihood(BITS, chunk_size=0),
      "chunk_size"),
    V("models.BernoulliRBM", "log-likelihood-nan-log-z", lambda: rbm().log_likelihood(BITS, math.nan), "log_z"),
    V("models.BernoulliRBM", "ais-n-runs-zero", lambda: rbm().log_partition_ais(n_runs=0), "n_runs"),
    V("models.BernoulliRBM", "ais-betas-not-to-one", lambda: rbm().log_partition_ais(4, torch.tensor([0.0, 0.5])),
      "betas"),
    V("models.BernoulliRBM", "ais-base-data-width",
      lambda: rbm().log_partition_ais(4, M.ais_betas(3), torch.ones(2, 4)),
      "base_data"),
    V("models.GaussianBernoulliRBM", "n-hidden-zero", lambda: Mo.GaussianBernoulliRBM(n_hidden=0), "n_hidden"),
    V("models.GaussianBernoulliRBM", "fit-empty", lambda: Mo.GaussianBernoulliRBM(n_epochs=1).fit(torch.zeros(0, 3)),
      "data"),
    V("models.GaussianBernoulliRBM", "fit-nan",
      lambda: Mo.GaussianBernoulliRBM(n_epochs=1).fit(BITS * math.nan), "data"),
    V("models.GaussianBernoulliRBM", "fit-inf",
      lambda: Mo.GaussianBernoulliRBM(n_epochs=1).fit(BITS * math.inf), "data"),
    R("models.GaussianBernoulliRBM", "hidden-probs-unfitted",
      lambda: Mo.GaussianBernoulliRBM().hidden_probs(BITS), "fit"),
    V("models.GaussianBernoulliRBM", "free-energy-width", lambda: grbm().free_energy(torch.zeros(2, 4)), "v"),
    V("models.GaussianBernoulliRBM", "sample-zero", lambda: grbm().sample(0), "n"),
    # -- block Gibbs and the RBM annealing path --------------------------------------------------------------
    T("models.RBMGibbs", "energy-not-rbm", lambda: Mo.RBMGibbs(gauss()), "RBM"),
    R("models.RBMGibbs", "init-unbound", lambda: Mo.RBMGibbs().init(BITS), "bind"),
    R("models.RBMGibbs", "unfitted-rbm", lambda: Mo.RBMGibbs(Mo.BernoulliRBM()), "fit"),
    V("models.RBMGibbs", "init-width", lambda: gibbs().init(torch.zeros(2, 4)), "x0"),
    V("models.RBMGibbs", "init-non-binary", lambda: gibbs().init(BITS * 0.5), "x0"),
    V("models.RBMGibbs", "init-empty", lambda: gibbs().init(torch.zeros(0, 3)), "x0"),
    T("models.RBMGibbs", "init-list", lambda: gibbs().init(BITS.tolist()), "x0"),
    T("models.RBMGibbs", "step-int-generator", lambda: gibbs().step(gibbs().init(BITS), generator=0), "generator"),
    T("models.RBMGibbs", "step-other-samplers-state",
      lambda: gibbs().step(MALA(lambda v: v.sum(-1), step_size=0.1).init(BITS)), "state"),
    T("models.RBMAnnealingPath", "target-not-rbm",
      lambda: Mo.RBMAnnealingPath(gauss(), gauss(), 0.5), "RBM"),
    T("models.RBMAnnealingPath", "base-without-logits",
      lambda: Mo.RBMAnnealingPath(gauss(), rbm(), 0.5), "base"),
    V("models.RBMAnnealingPath", "beta-above-one",
      lambda: Mo.RBMAnnealingPath(gauss(), rbm(), 1.5), "beta"),
    # -- AIS --------------------------------------------------------------------------------------------------
    V("metrics.ais_betas", "one", lambda: M.ais_betas(1), "n_betas"),
    T("metrics.ais_betas", "float", lambda: M.ais_betas(10.0), "n_betas"),
    T("metrics.ais", "target-not-callable", lambda: ais(target=5), "target"),
    T("metrics.ais", "base-not-analytic", lambda: ais(base=Mo.MLPEnergy(2, hidden=(2,))), "base"),
    T("metrics.ais", "transition-str", lambda: ais(transition="HMC"), "transition"),
    V("metrics.ais", "betas-not-to-one", lambda: ais(betas=[0.0, 0.5]), "betas"),
    V("metrics.ais", "betas-decreasing", lambda: ais(betas=[0.0, 0.7, 0.3, 1.0]), "betas"),
    V("metrics.ais", "betas-nan", lambda: ais(betas=torch.tensor([0.0, math.nan, 1.0])), "betas"),
    T("metrics.ais", "betas-str", lambda: ais(betas="linear"), "betas"),
    V("metrics.ais", "n-runs-zero", lambda: ais(n_runs=0), "n_runs"),
    V("metrics.ais", "n-steps-per-beta-zero", lambda: ais(n_steps_per_beta=0), "n_steps_per_beta"),
    T("metrics.ais", "path-not-a-path", lambda: ais(path=Gaussian), "path"),
    T("metrics.ais", "int-generator", lambda: ais(generator=0), "generator"),
    V("metrics.summarise_log_weights", "2d", lambda: M.summarise_log_weights(torch.zeros(2, 2), 0.0), "log_weights"),
    V("metrics.summarise_log_weights", "empty", lambda: M.summarise_log_weights(torch.zeros(0), 0.0), "log_weights"),
    F("metrics.summarise_log_weights", "nan", lambda: M.summarise_log_weights(torch.tensor([0.0, math.nan]), 0.0),
      "NaN"),
    T("metrics.summarise_log_weights", "list", lambda: M.summarise_log_weights([0.0, 1.0], 0.0), "log_weights"),
    T("metrics.summarise_log_weights", "log-z-base-str", lambda: M.summarise_log_weights(torch.zeros(3), "0"),
      "log_z_base"),
    V("metrics.summarise_log_weights", "log-z-base-nan", lambda: M.summarise_log_weights(torch.zeros(3), math.nan),
      "log_z_base"),
    V("metrics.AnnealingPath", "beta-above-one", lambda: M.AnnealingPath(gauss(), gauss(1.0), 1.5), "beta"),
    T("metrics.AnnealingPath", "target-not-callable", lambda: M.AnnealingPath(gauss(), 3, 0.5), "target"),
    V("metrics.GeometricPath", "beta-negative", lambda: M.GeometricPath(gauss(), gauss(1.0), -0.1), "beta"),
    T("metrics.GeometricPath", "base-not-callable", lambda: M.GeometricPath("base", gauss(1.0), 0.5), "base"),
    V("metrics.GeometricPath", "forward-shape", lambda: M.GeometricPath(gauss(), gauss(1.0), 0.5)(torch.zeros(3, 3)),
      "x"),
    # -- spin patterns ----------------------------------------------------------------------------------------
    V("data.random_patterns", "n-patterns-zero", lambda: D.random_patterns(0, 4), "n_patterns"),
    T("data.random_patterns", "n-units-float", lambda: D.random_patterns(2, 4.0), "n_units"),
    V("data.random_patterns", "bias-above-one", lambda: D.random_patterns(2, 4, bias=1.5), "bias"),
    TV("data.random_patterns", "bias-str", lambda: D.random_patterns(2, 4, bias="0"), "bias"),
    T("data.random_patterns", "int-generator", lambda: D.random_patterns(2, 4, generator=0), "generator"),
    T("data.random_patterns", "dtype-int", lambda: D.random_patterns(2, 4, dtype=torch.int64), "dtype"),
    TV("data.random_patterns", "bad-device", lambda: D.random_patterns(2, 4, device="nonsense"), "device"),
    V("data.flip_spins", "non-spins", lambda: D.flip_spins(SPINS * 0.5, 0.1), "patterns"),
    V("data.flip_spins", "3d", lambda: D.flip_spins(SPINS[None], 0.1), "patterns"),
    V("data.flip_spins", "empty-units", lambda: D.flip_spins(torch.ones(2, 0), 0.1), "patterns"),
    T("data.flip_spins", "list", lambda: D.flip_spins(SPINS.tolist(), 0.1), "patterns"),
    V("data.flip_spins", "fraction-above-one", lambda: D.flip_spins(SPINS, 1.5), "flip_fraction"),
    V("data.flip_spins", "fraction-nan", lambda: D.flip_spins(SPINS, math.nan), "flip_fraction"),
    T("data.flip_spins", "int-generator", lambda: D.flip_spins(SPINS, 0.5, generator=0), "generator"),
]
