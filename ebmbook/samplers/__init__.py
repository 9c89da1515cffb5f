"""MCMC samplers with one shape: ``s.bind(energy)``; ``state = s.init(x0)``; ``state, info = s.step(state, generator=g)``."""
from .annealed import AnnealedLangevin, AnnealedState, ReverseDiffusion
from .base import Info, Sampler, State, is_state, metropolis_accept
from .chain import Trace, run, sample_chain
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
    "is_state",
    "Trace",
    "run",
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
    "AnnealedLangevin",
    "AnnealedState",
    "ReverseDiffusion",
    "ReplayBuffer",
    "uniform_noise",
]
