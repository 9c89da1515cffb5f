"""MCMC samplers with one shape: ``s.bind(energy)``; ``state = s.init(x0)``; ``state, info = s.step(state, generator=g)``."""
from .adapt import DualAveraging
from .annealed import AnnealedLangevin, AnnealedState, ReverseDiffusion
from .base import Info, Sampler, State, is_state, metropolis_accept
from .chain import Trace, run, sample_chain
from .gibbs import Gibbs, colour_classes
from .hmc import HMC, leapfrog
from .langevin import MALA, ULA
from .metropolis import RandomWalkMetropolis, SpinFlipMetropolis
from .nuts import NUTS, NUTSInfo
from .replay import ReplayBuffer, uniform_noise
from .sgld import SGLD
from .tempering import ParallelTempering, PTInfo, PTState

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
    "DualAveraging",
    "NUTS",
    "NUTSInfo",
    "ParallelTempering",
    "PTState",
    "PTInfo",
]
