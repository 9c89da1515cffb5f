"""Learned energy models: Hopfield networks (classical, dense, modern), RBMs and neural energies."""
from .hopfield import DenseAssociativeMemory, Hopfield, RecallResult, overlap
from .modern_hopfield import ModernHopfield
from .nets import ACTIVATIONS, ConvEnergy, MLPEnergy
from .rbm import AISResult, BernoulliRBM, GaussianBernoulliRBM, ais_betas

__all__ = [
    "Hopfield",
    "DenseAssociativeMemory",
    "ModernHopfield",
    "RecallResult",
    "overlap",
    "BernoulliRBM",
    "GaussianBernoulliRBM",
    "AISResult",
    "ais_betas",
    "MLPEnergy",
    "ConvEnergy",
    "ACTIVATIONS",
]
