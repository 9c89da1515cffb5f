"""Learned energy models: Hopfield networks (classical, dense, modern), RBMs and neural energies."""
from .hopfield import DenseAssociativeMemory, Hopfield, RecallResult, overlap
from .modern_hopfield import ModernHopfield
from .nets import ACTIVATIONS, ConvEnergy, MLPEnergy
from .classifier import MLPClassifier
from .jem import JEM, ClassConditionalEnergy
from .noise_conditional import NoiseConditionalEnergy
from .bernoulli_rbm import BernoulliRBM
from .gaussian_rbm import GaussianBernoulliRBM
from .rbm_gibbs import RBMAnnealingPath, RBMGibbs, RBMGibbsState, RBMLayers

__all__ = [
    "Hopfield",
    "DenseAssociativeMemory",
    "ModernHopfield",
    "RecallResult",
    "overlap",
    "BernoulliRBM",
    "GaussianBernoulliRBM",
    "RBMGibbs",
    "RBMGibbsState",
    "RBMLayers",
    "RBMAnnealingPath",
    "MLPEnergy",
    "ConvEnergy",
    "NoiseConditionalEnergy",
    "ACTIVATIONS",
    "MLPClassifier",
    "JEM",
    "ClassConditionalEnergy",
]
