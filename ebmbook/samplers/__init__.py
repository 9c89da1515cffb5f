"""MCMC samplers with one shape: ``state = s.init(x0)``; ``state, info = s.step(state, generator=g)``."""
from .base import Info, Sampler, State, metropolis_accept
from .chain import Trace, sample_chain
from .gibbs import Gibbs, colour_classes
from .hmc import HMC, leapfrog
from .langevin import MALA, ULA
from .metropolis import RandomWalkMetropolis, SpinFlipMetropolis
from .replay import ReplayBuffer, uniform_noise
from .sgld import SGLD

__all__ = [
    "State",
    "Info",
    "Sampler",
    "metropolis_accept",
    "Trace",
    "sample_chain",
    "RandomWalkMetropolis",
    "SpinFlipMetropolis",
    "Gibbs",
    "colour_classes",
    "ULA",
    "MALA",
    "HMC",
    "leapfrog",
    "SGLD",
    "ReplayBuffer",
    "uniform_noise",
]
