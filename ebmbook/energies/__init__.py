"""Energies: the contract, analytic energies with known log Z, and the Ising model."""
from .base import AnalyticEnergy, Energy, energy_and_grad, evaluate_energy
from .composition import Mixture, Negation, Product
from .constrained import Constrained, MaskedQuadratic
from .gaussian import Gaussian, GaussianMixture
from .ising import Ising, ising_chain_log_z
from .ring import Ring
from .shapes import SoftBox
from .self_normalized import SelfNormalized
from .smoothed import SmoothedMixture
from .tempered import Tempered
from .uniform import UniformBox

__all__ = [
    "Energy",
    "AnalyticEnergy",
    "energy_and_grad",
    "evaluate_energy",
    "Gaussian",
    "GaussianMixture",
    "SmoothedMixture",
    "Ring",
    "Ising",
    "ising_chain_log_z",
    "Tempered",
    "Product",
    "Mixture",
    "Negation",
    "Constrained",
    "MaskedQuadratic",
    "SoftBox",
    "SelfNormalized",
    "UniformBox",
]
