r"""Figures for the book: energy landscapes, samples, chains, spins and image grids.

Every function draws with matplotlib's object API on an ``Axes`` (or
``Figure``) that it returns; pass ``ax=`` to draw into a panel of your own
figure, or leave it out and a new figure is made with :func:`matplotlib.pyplot.subplots`
(which a notebook displays). Nothing here calls ``plt.show()``.

Inputs may be torch tensors (on any device, with or without gradients) or
NumPy arrays. A 2-D energy is any callable ``(batch, 2) -> (batch,)`` following
the contract :math:`p(x) = \exp(-E(x))/Z`; it is normalised on a grid by
:func:`ebmbook.exact.grid_quadrature`, in float64 where the energy accepts it,
otherwise in the dtype and on the device of its parameters (a float32 neural
energy on a GPU works as is).

One module per kind of figure, all re-exported here:
``landscapes`` (:func:`plot_energy_landscape`, :func:`plot_density_comparison`),
``fields`` (:func:`plot_energy_profile`, :func:`plot_score_field`),
``samples`` (:func:`plot_samples`, :func:`plot_trajectory`, :func:`plot_marginal`,
:func:`plot_histogram_vs_density`), ``diagnostics`` (:func:`plot_trace`,
:func:`plot_autocorrelation`), ``spins`` (:func:`plot_spins`,
:func:`plot_spin_grid`) and ``images`` (:func:`plot_image_grid`).

This layer is optional and sits on top of the package: nothing in the core
imports it, and it needs matplotlib (``pip install "ebmbook[plot]"``).
Used from chapter 1 on (landscapes, spins), in chapter 2 (trajectories, trace
and autocorrelation plots) and in the RBM and deep-EBM chapters (image grids).
"""
try:
    import matplotlib  # noqa: F401
except ImportError as err:  # matplotlib is an optional dependency of ebmbook
    raise ImportError('ebmbook.plot needs matplotlib, which the core package does not install: '
                      'pip install "ebmbook[plot]"') from err

from .calibration import plot_reliability_diagram
from .diagnostics import plot_autocorrelation, plot_trace
from .fields import plot_energy_profile, plot_score_field
from .images import plot_image_grid
from .ood import plot_score_histograms
from .landscapes import plot_density_comparison, plot_energy_landscape
from .samples import plot_histogram_vs_density, plot_marginal, plot_samples, plot_trajectory
from .spins import plot_spin_grid, plot_spins

__all__ = [
    "plot_energy_landscape",
    "plot_samples",
    "plot_density_comparison",
    "plot_trajectory",
    "plot_trace",
    "plot_autocorrelation",
    "plot_spins",
    "plot_spin_grid",
    "plot_image_grid",
    "plot_marginal",
    "plot_histogram_vs_density",
    "plot_reliability_diagram",
    "plot_score_histograms",
    "plot_energy_profile",
    "plot_score_field",
]
