r"""Exact answers by brute force: enumeration of binary states and 2-D quadrature.

For :math:`n` binary units the :math:`2^n` configurations are enumerated in
chunks (float64), so :math:`\log Z`, probabilities, marginals and expectations
are exact up to round-off while memory stays bounded: :math:`n = 20` touches a
million states in a few dozen chunks. For 2-D continuous densities a midpoint
grid gives :math:`\log Z` and the normalised density, and
:func:`boltzmann_weights` normalises any finite list of energies.
:func:`magnetisation_distribution` gives the exact distribution of a spin
system's total magnetisation, and a few closed forms for Gaussian targets
(:func:`mixture_marginal_density`, :func:`ula_gaussian_variance`,
:func:`ula_gaussian_energy_bias`) give the exact answers continuous samplers
are checked against.

Temperature has one meaning everywhere: a function that takes
``temperature=T`` computes its answer for :class:`ebmbook.energies.Tempered`
``(energy, T)``, the distribution :math:`p_T(x) \propto \exp(-E(x)/T)`
(``T = 1`` is ``energy`` itself).

These are the ground truth that samplers, AIS and trained models are tested
against. Enumeration needs energies that accept float64 input (all
:mod:`ebmbook.energies` do; call ``.double()`` on a neural energy first);
:func:`grid_quadrature` also takes a float32 neural energy as it is, and
evaluates it on its own device in its own dtype.
"""
from .enumeration import (Thermodynamics, all_states, boltzmann_weights, expectation, iter_states, log_partition,
                          marginals, probabilities, thermodynamics)
from .gaussian import mixture_marginal_density, ula_gaussian_energy_bias, ula_gaussian_variance
from .magnetisation import magnetisation_distribution
from .placement import evaluation_placement
from .quadrature import GridDensity, grid_kl_divergence, grid_quadrature

__all__ = [
    "boltzmann_weights",
    "iter_states",
    "all_states",
    "log_partition",
    "probabilities",
    "expectation",
    "marginals",
    "Thermodynamics",
    "thermodynamics",
    "GridDensity",
    "evaluation_placement",
    "grid_quadrature",
    "grid_kl_divergence",
    "magnetisation_distribution",
    "mixture_marginal_density",
    "ula_gaussian_variance",
    "ula_gaussian_energy_bias",
]
