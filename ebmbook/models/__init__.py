"""Learned energy models: Hopfield networks (classical, dense, modern) and RBMs."""
from .hopfield import DenseAssociativeMemory, Hopfield, ModernHopfield, RecallResult, overlap
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
]
