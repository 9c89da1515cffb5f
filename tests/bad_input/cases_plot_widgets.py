"""Bad input to ``ebmbook.plot`` and ``ebmbook.widgets`` (every call fails before drawing much)."""
from __future__ import annotations

import functools
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from ebmbook import plot as P  # noqa: E402
from ebmbook import widgets as W  # noqa: E402
from ebmbook.energies import Gaussian  # noqa: E402
from ebmbook.models import Hopfield  # noqa: E402

from .harness import TV, R, T, V  # noqa: E402

PTS = torch.randn(10, 2, generator=torch.Generator().manual_seed(0))
CHAINS = torch.randn(10, 3, 2, generator=torch.Generator().manual_seed(1))
SPINS16 = torch.tensor([1.0, -1.0] * 8)
XI = torch.tensor([[1.0, -1.0, 1.0, -1.0], [1.0, 1.0, -1.0, -1.0]])


@functools.cache  # energies are never changed by a case: build each once
def gauss():
    return Gaussian(torch.zeros(2), torch.eye(2))


@functools.cache
def gauss1():
    return Gaussian(torch.zeros(1), torch.eye(1))


def net():
    return Hopfield().fit(XI)


def landscape(**kw):
    return P.plot_energy_landscape(gauss(), resolution=8, **kw)


CASES = [
    # -- plot --------------------------------------------------------------------------------------------------
    T("plot.plot_energy_landscape", "energy-not-callable", lambda: P.plot_energy_landscape(5, resolution=8), "energy"),
    V("plot.plot_energy_landscape", "energy-wrong-shape",
      lambda: P.plot_energy_landscape(lambda x: x, resolution=8), "energy"),
    V("plot.plot_energy_landscape", "kind-unknown", lambda: landscape(kind="score"), "kind"),
    V("plot.plot_energy_landscape", "xlim-reversed", lambda: landscape(xlim=(1.0, -1.0)), "xlim"),
    V("plot.plot_energy_landscape", "ylim-nan", lambda: landscape(ylim=(math.nan, 1.0)), "ylim"),
    V("plot.plot_energy_landscape", "resolution-one", lambda: P.plot_energy_landscape(gauss(), resolution=1),
      "resolution"),
    V("plot.plot_energy_landscape", "temperature-zero", lambda: landscape(temperature=0.0), "temperature"),
    T("plot.plot_energy_landscape", "ax-str", lambda: landscape(ax="left"), "ax"),
    V("plot.plot_samples", "shape", lambda: P.plot_samples(torch.zeros(4, 3)), "samples"),
    V("plot.plot_samples", "nan", lambda: P.plot_samples(torch.tensor([[0.0, math.nan]])), "samples"),
    V("plot.plot_samples", "empty", lambda: P.plot_samples(torch.zeros(0, 2)), "samples"),
    T("plot.plot_samples", "list", lambda: P.plot_samples([[0.0, 0.0]]), "samples"),
    T("plot.plot_samples", "complex", lambda: P.plot_samples(torch.zeros(3, 2, dtype=torch.complex64)), "samples"),
    V("plot.plot_samples", "max-points-zero", lambda: P.plot_samples(PTS, max_points=0), "max_points"),
    V("plot.plot_samples", "xlim-reversed", lambda: P.plot_samples(PTS, xlim=(2.0, 1.0)), "xlim"),
    T("plot.plot_samples", "energy-not-callable", lambda: P.plot_samples(PTS, energy="gauss"), "energy"),
    T("plot.plot_density_comparison", "model-str", lambda: P.plot_density_comparison(gauss(), "model", resolution=8),
      "model"),
    V("plot.plot_density_comparison", "model-samples-shape",
      lambda: P.plot_density_comparison(gauss(), torch.zeros(4, 3), resolution=8), "model"),
    T("plot.plot_density_comparison", "true-energy-not-callable",
      lambda: P.plot_density_comparison(None, PTS, resolution=8), "energy"),
    V("plot.plot_density_comparison", "resolution-one", lambda: P.plot_density_comparison(gauss(), PTS, resolution=1),
      "resolution"),
    T("plot.plot_density_comparison", "fig-str", lambda: P.plot_density_comparison(gauss(), PTS, resolution=8, fig="f"),
      "fig"),
    TV("plot.plot_density_comparison", "titles-one",
       lambda: P.plot_density_comparison(gauss(), PTS, resolution=8, titles=("only",)), "titles"),
    V("plot.plot_trajectory", "shape", lambda: P.plot_trajectory(torch.zeros(5, 3)), "positions"),
    V("plot.plot_trajectory", "inf", lambda: P.plot_trajectory(torch.tensor([[0.0, math.inf]])), "positions"),
    V("plot.plot_trajectory", "accepted-shape",
      lambda: P.plot_trajectory(PTS, accepted=torch.ones(10, dtype=torch.bool)),
      "accepted"),
    T("plot.plot_trajectory", "accepted-list", lambda: P.plot_trajectory(PTS, accepted=[True] * 9), "accepted"),
    V("plot.plot_trace", "scalar", lambda: P.plot_trace(torch.tensor(1.0)), "samples"),
    V("plot.plot_trace", "one-draw", lambda: P.plot_trace(torch.zeros(1, 3)), "samples"),
    V("plot.plot_trace", "dim-too-large", lambda: P.plot_trace(CHAINS, dim=2), "dim"),
    V("plot.plot_trace", "dim-negative", lambda: P.plot_trace(CHAINS, dim=-1), "dim"),
    V("plot.plot_trace", "chains-out-of-range", lambda: P.plot_trace(CHAINS, chains=[0, 5]), "chains"),
    V("plot.plot_trace", "chains-zero", lambda: P.plot_trace(CHAINS, chains=0), "chains"),
    V("plot.plot_trace", "nan", lambda: P.plot_trace(CHAINS * math.nan), "samples"),
    T("plot.plot_trace", "list", lambda: P.plot_trace([[0.0], [1.0]]), "samples"),
    V("plot.plot_autocorrelation", "constant", lambda: P.plot_autocorrelation(torch.ones(10, 2)), "samples"),
    V("plot.plot_autocorrelation", "max-lag-zero", lambda: P.plot_autocorrelation(CHAINS, max_lag=0), "max_lag"),
    V("plot.plot_autocorrelation", "inf", lambda: P.plot_autocorrelation(CHAINS * math.inf), "samples"),
    V("plot.plot_spins", "non-spins", lambda: P.plot_spins(SPINS16 * 0.5, (4, 4)), "spins"),
    V("plot.plot_spins", "lattice-mismatch", lambda: P.plot_spins(SPINS16, (3, 3)), "spins"),
    V("plot.plot_spins", "2d-without-lattice", lambda: P.plot_spins(SPINS16.reshape(4, 4)), "spins"),
    T("plot.plot_spins", "lattice-str", lambda: P.plot_spins(SPINS16, ("4", "4")), "lattice_shape"),
    V("plot.plot_spins", "lattice-3d", lambda: P.plot_spins(SPINS16, (2, 2, 4)), "lattice_shape"),
    T("plot.plot_spins", "list", lambda: P.plot_spins([1.0, -1.0]), "spins"),
    V("plot.plot_spin_grid", "1d", lambda: P.plot_spin_grid(SPINS16, (4, 4)), "spins"),
    V("plot.plot_spin_grid", "lattice-none", lambda: P.plot_spin_grid(SPINS16[None], None), "lattice_shape"),
    V("plot.plot_spin_grid", "titles-length", lambda: P.plot_spin_grid(SPINS16[None], (4, 4), titles=["a", "b"]),
      "titles"),
    V("plot.plot_spin_grid", "ncols-zero", lambda: P.plot_spin_grid(SPINS16[None], (4, 4), ncols=0), "ncols"),
    T("plot.plot_spin_grid", "fig-str", lambda: P.plot_spin_grid(SPINS16[None], (4, 4), fig="figure"), "fig"),
    V("plot.plot_image_grid", "flat-without-shape", lambda: P.plot_image_grid(torch.rand(4, 64)), "images"),
    V("plot.plot_image_grid", "shape-mismatch", lambda: P.plot_image_grid(torch.rand(4, 64), image_shape=(7, 7)),
      "images"),
    V("plot.plot_image_grid", "empty", lambda: P.plot_image_grid(torch.rand(0, 8, 8)), "images"),
    V("plot.plot_image_grid", "nrow-zero", lambda: P.plot_image_grid(torch.rand(4, 8, 8), nrow=0), "nrow"),
    V("plot.plot_image_grid", "padding-negative",
      lambda: P.plot_image_grid(torch.rand(4, 8, 8), padding=-1), "padding"),
    T("plot.plot_image_grid", "list", lambda: P.plot_image_grid([[[0.0]]]), "images"),
    TV("plot.plot_image_grid", "cmap-unknown", lambda: P.plot_image_grid(torch.rand(2, 8, 8), cmap="nonexistent"),
       "cmap"),
    V("plot.plot_marginal", "3d", lambda: P.plot_marginal(CHAINS), "samples_1d"),
    V("plot.plot_marginal", "empty", lambda: P.plot_marginal(torch.zeros(0)), "samples_1d"),
    V("plot.plot_marginal", "nan", lambda: P.plot_marginal(torch.tensor([0.0, math.nan])), "samples_1d"),
    V("plot.plot_marginal", "bins-zero", lambda: P.plot_marginal(PTS[:, 0], bins=0), "bins"),
    V("plot.plot_marginal", "exact-x-alone", lambda: P.plot_marginal(PTS[:, 0], exact_x=torch.zeros(3)), "exact_x"),
    V("plot.plot_marginal", "exact-lengths", lambda: P.plot_marginal(PTS[:, 0], exact_x=torch.zeros(3),
                                                                    exact_density=torch.zeros(4)), "exact_x"),
    T("plot.plot_histogram_vs_density", "density-fn-str", lambda: P.plot_histogram_vs_density(PTS[:, 0], "normal"),
      "density_fn"),
    V("plot.plot_histogram_vs_density", "density-fn-shape",
      lambda: P.plot_histogram_vs_density(PTS[:, 0], lambda x: x.sum()), "density_fn"),
    V("plot.plot_histogram_vs_density", "n-points-one",
      lambda: P.plot_histogram_vs_density(PTS[:, 0], torch.exp, n_points=1), "n_points"),
    V("plot.plot_histogram_vs_density", "samples-nan",
      lambda: P.plot_histogram_vs_density(torch.tensor([math.nan, 0.0]), torch.exp), "samples"),
    # -- widgets ---------------------------------------------------------------------------------------------------
    V("widgets.tempered_grid_density", "temperature-zero",
      lambda: W.tempered_grid_density(gauss(), 0.0), "temperature"),
    V("widgets.tempered_grid_density", "resolution-one", lambda: W.tempered_grid_density(gauss(), 1.0, resolution=1),
      "resolution"),
    V("widgets.tempered_grid_density", "xlim-reversed",
      lambda: W.tempered_grid_density(gauss(), 1.0, (1.0, 0.0)), "xlim"),
    T("widgets.tempered_grid_density", "energy-not-callable", lambda: W.tempered_grid_density(5, 1.0, resolution=8),
      "energy"),
    V("widgets.temperature_small_multiples", "empty",
      lambda: W.temperature_small_multiples(gauss(), []), "temperatures"),
    V("widgets.temperature_small_multiples", "zero", lambda: W.temperature_small_multiples(gauss(), [1.0, 0.0]),
      "temperatures"),
    T("widgets.temperature_small_multiples", "str",
      lambda: W.temperature_small_multiples(gauss(), "hot"), "temperatures"),
    V("widgets.temperature_small_multiples", "ncols-zero",
      lambda: W.temperature_small_multiples(gauss(), [1.0], resolution=8, ncols=0), "ncols"),
    V("widgets.temperature_explorer", "temperatures-nonpositive",
      lambda: W.temperature_explorer(gauss(), temperatures=(0.0, 1.0)), "temperatures"),
    V("widgets.temperature_explorer", "temperatures-reversed",
      lambda: W.temperature_explorer(gauss(), temperatures=(4.0, 1.0)), "temperatures"),
    V("widgets.temperature_explorer", "resolution-one", lambda: W.temperature_explorer(gauss(), resolution=1),
      "resolution"),
    V("widgets.run_sampler_path", "sampler-unknown", lambda: W.run_sampler_path(gauss(), "NUTS"), "sampler"),
    V("widgets.run_sampler_path", "step-size-zero", lambda: W.run_sampler_path(gauss(), "MALA", 0.0), "step_size"),
    V("widgets.run_sampler_path", "n-steps-zero", lambda: W.run_sampler_path(gauss(), "MALA", 0.1, 0), "n_steps"),
    V("widgets.run_sampler_path", "x0-shape", lambda: W.run_sampler_path(gauss(), x0=(0.0, 0.0, 0.0)), "x0"),
    V("widgets.run_sampler_path", "x0-nan", lambda: W.run_sampler_path(gauss(), x0=(math.nan, 0.0)), "x0"),
    TV("widgets.run_sampler_path", "x0-str", lambda: W.run_sampler_path(gauss(), x0="origin"), "x0"),
    T("widgets.run_sampler_path", "int-generator", lambda: W.run_sampler_path(gauss(), n_steps=2, generator=0),
      "generator"),
    T("widgets.run_sampler_path", "energy-not-callable", lambda: W.run_sampler_path("ring"), "energy"),
    V("widgets.sampler_small_multiples", "step-sizes-empty",
      lambda: W.sampler_small_multiples(gauss(), []), "step_sizes"),
    V("widgets.sampler_small_multiples", "seed-negative",
      lambda: W.sampler_small_multiples(gauss(), [0.1], seed=-1, resolution=8), "seed"),
    V("widgets.sampler_small_multiples", "sampler-unknown", lambda: W.sampler_small_multiples(gauss(), [0.1], "Gibbs"),
      "sampler"),
    V("widgets.sampler_explorer", "seed-negative", lambda: W.sampler_explorer(gauss(), seed=-1), "seed"),
    V("widgets.sampler_explorer", "xlim-reversed", lambda: W.sampler_explorer(gauss(), xlim=(3.0, -3.0)), "xlim"),
    T("widgets.corrupt_and_recall", "net-str", lambda: W.corrupt_and_recall("hopfield", XI[0], 0.25), "net"),
    R("widgets.corrupt_and_recall", "net-unfitted", lambda: W.corrupt_and_recall(Hopfield(), XI[0], 0.25), "fit"),
    V("widgets.corrupt_and_recall", "pattern-length",
      lambda: W.corrupt_and_recall(net(), torch.ones(5), 0.25), "pattern"),
    V("widgets.corrupt_and_recall", "pattern-non-spins",
      lambda: W.corrupt_and_recall(net(), XI[0] * 0, 0.25), "pattern"),
    V("widgets.corrupt_and_recall", "pattern-2d", lambda: W.corrupt_and_recall(net(), XI, 0.25), "pattern"),
    V("widgets.corrupt_and_recall", "fraction-above-one",
      lambda: W.corrupt_and_recall(net(), XI[0], 1.5), "flip_fraction"),
    V("widgets.corrupt_and_recall", "mode-unknown", lambda: W.corrupt_and_recall(net(), XI[0], 0.25, mode="x"), "mode"),
    V("widgets.corrupt_and_recall", "max-sweeps-zero", lambda: W.corrupt_and_recall(net(), XI[0], 0.25, max_sweeps=0),
      "max_sweeps"),
    T("widgets.corrupt_and_recall", "int-generator", lambda: W.corrupt_and_recall(net(), XI[0], 0.25, generator=0),
      "generator"),
    V("widgets.recall_small_multiples", "image-shape-mismatch",
      lambda: W.recall_small_multiples(net(), XI, (3, 3), [0.1]),
      "image_shape"),
    V("widgets.recall_small_multiples", "fractions-empty", lambda: W.recall_small_multiples(net(), XI, (2, 2), []),
      "flip_fractions"),
    V("widgets.recall_small_multiples", "fraction-above-one",
      lambda: W.recall_small_multiples(net(), XI, (2, 2), [1.5]), "flip_fractions"),
    V("widgets.recall_small_multiples", "patterns-non-spins",
      lambda: W.recall_small_multiples(net(), XI * 0.5, (2, 2), [0.1]), "patterns"),
    V("widgets.recall_small_multiples", "seed-negative",
      lambda: W.recall_small_multiples(net(), XI, (2, 2), [0.1], seed=-1), "seed"),
    V("widgets.recall_explorer", "labels-length", lambda: W.recall_explorer(net(), XI, (2, 2), labels=["a"]), "labels"),
    V("widgets.recall_explorer", "max-sweeps-zero", lambda: W.recall_explorer(net(), XI, (2, 2), max_sweeps=0),
      "max_sweeps"),
    T("widgets.recall_explorer", "net-str", lambda: W.recall_explorer(None, XI, (2, 2)), "net"),
    # -- plot.fields -------------------------------------------------------------------------------------------
    T("plot.plot_energy_profile", "energy-not-callable", lambda: P.plot_energy_profile(5), "energy"),
    V("plot.plot_energy_profile", "energy-wrong-shape", lambda: P.plot_energy_profile(lambda x: x), "energy"),
    V("plot.plot_energy_profile", "energy-nan", lambda: P.plot_energy_profile(lambda x: x[:, 0] * math.nan),
      "energy"),
    V("plot.plot_energy_profile", "xlim-reversed", lambda: P.plot_energy_profile(gauss1(), (1.0, -1.0)), "xlim"),
    V("plot.plot_energy_profile", "temperatures-empty", lambda: P.plot_energy_profile(gauss1(), temperatures=()),
      "temperatures"),
    V("plot.plot_energy_profile", "temperature-zero", lambda: P.plot_energy_profile(gauss1(), temperatures=(0.0,)),
      "temperatures"),
    V("plot.plot_energy_profile", "resolution-one", lambda: P.plot_energy_profile(gauss1(), resolution=1),
      "resolution"),
    T("plot.plot_energy_profile", "axes-one", lambda: P.plot_energy_profile(gauss1(), axes=("left", "right")), "axes"),
    T("plot.plot_score_field", "energy-not-callable", lambda: P.plot_score_field(5, resolution=8), "energy"),
    V("plot.plot_score_field", "ylim-nan", lambda: P.plot_score_field(gauss(), ylim=(math.nan, 1.0), resolution=8),
      "ylim"),
    V("plot.plot_score_field", "n-arrows-one", lambda: P.plot_score_field(gauss(), n_arrows=1, resolution=8),
      "n_arrows"),
    T("plot.plot_score_field", "ax-str", lambda: P.plot_score_field(gauss(), resolution=8, ax="left"), "ax"),
]
