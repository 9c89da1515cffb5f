"""Bad input to the self-tuning samplers: HMC jitter and mass, DualAveraging, NUTS, ParallelTempering."""
from __future__ import annotations

import functools
import math

import torch

from ebmbook import samplers as S
from ebmbook.energies import Gaussian

from .harness import T, V


@functools.cache
def gauss():
    return Gaussian(torch.zeros(2), torch.eye(2))


def mala():
    return S.MALA(gauss(), step_size=0.1)


X0 = torch.zeros(3, 2)

CASES = [
    V("samplers.HMC", "jitter-negative", lambda: S.HMC(gauss(), 0.1, 3, jitter=-0.1), "jitter"),
    V("samplers.HMC", "jitter-one", lambda: S.HMC(gauss(), 0.1, 3, jitter=1.0), "jitter"),
    T("samplers.HMC", "jitter-string", lambda: S.HMC(gauss(), 0.1, 3, jitter="0.2"), "jitter"),
    V("samplers.HMC", "mass-tensor-negative", lambda: S.HMC(gauss(), 0.1, 3, mass=torch.tensor([1.0, -1.0])), "mass"),
    V("samplers.HMC", "mass-tensor-nan", lambda: S.HMC(gauss(), 0.1, 3, mass=torch.tensor([1.0, math.nan])), "mass"),
    T("samplers.HMC", "mass-tensor-int", lambda: S.HMC(gauss(), 0.1, 3, mass=torch.tensor([1, 2])), "mass"),
    V("samplers.DualAveraging", "target-zero", lambda: S.DualAveraging(target_accept=0.0), "target_accept"),
    V("samplers.DualAveraging", "target-one", lambda: S.DualAveraging(target_accept=1.0), "target_accept"),
    V("samplers.DualAveraging", "target-above-one", lambda: S.DualAveraging(target_accept=1.5), "target_accept"),
    V("samplers.DualAveraging", "target-nan", lambda: S.DualAveraging(target_accept=math.nan), "target_accept"),
    T("samplers.DualAveraging", "target-string", lambda: S.DualAveraging(target_accept="0.8"), "target_accept"),
    V("samplers.DualAveraging", "n-steps-zero", lambda: S.DualAveraging(n_steps=0), "n_steps"),
    V("samplers.DualAveraging", "kappa-above-one", lambda: S.DualAveraging(kappa=2.0), "kappa"),
    V("samplers.sample_chain", "adapt-longer-than-burn-in",
      lambda: S.sample_chain(mala(), X0, 5, burn_in=10, adapt=S.DualAveraging(n_steps=20)), r"adapt\.n_steps"),
    V("samplers.sample_chain", "adapt-without-burn-in",
      lambda: S.sample_chain(mala(), X0, 5, adapt=S.DualAveraging()), "burn_in"),
    T("samplers.sample_chain", "adapt-ula", lambda: S.sample_chain(S.ULA(gauss(), 0.1), X0, 5, burn_in=5,
                                                                      adapt=S.DualAveraging()), "adapt"),
    T("samplers.sample_chain", "adapt-float", lambda: S.sample_chain(mala(), X0, 5, burn_in=5, adapt=0.8), "adapt"),
    V("samplers.NUTS", "step-size-negative", lambda: S.NUTS(gauss(), step_size=-0.1), "step_size"),
    T("samplers.NUTS", "step-size-missing", lambda: S.NUTS(gauss()), "step_size"),
    V("samplers.NUTS", "max-depth-zero", lambda: S.NUTS(gauss(), 0.1, max_depth=0), "max_depth"),
    V("samplers.NUTS", "max-depth-huge", lambda: S.NUTS(gauss(), 0.1, max_depth=40), "max_depth"),
    V("samplers.NUTS", "mass-zero", lambda: S.NUTS(gauss(), 0.1, mass=0.0), "mass"),
    V("samplers.NUTS", "init-x0-nan", lambda: S.NUTS(gauss(), 0.1).init(torch.tensor([[math.nan, 0.0]])), "x0"),
    V("samplers.ParallelTempering", "temperatures-not-starting-at-1",
      lambda: S.ParallelTempering(mala(), [2.0, 4.0]), "temperatures"),
    V("samplers.ParallelTempering", "temperatures-decreasing",
      lambda: S.ParallelTempering(mala(), [1.0, 4.0, 2.0]), "temperatures"),
    V("samplers.ParallelTempering", "temperatures-repeated",
      lambda: S.ParallelTempering(mala(), [1.0, 1.0, 2.0]), "temperatures"),
    V("samplers.ParallelTempering", "temperatures-one-only", lambda: S.ParallelTempering(mala(), [1.0]), "temperatures"),
    V("samplers.ParallelTempering", "temperatures-infinite",
      lambda: S.ParallelTempering(mala(), [1.0, math.inf]), "temperatures"),
    T("samplers.ParallelTempering", "temperatures-string", lambda: S.ParallelTempering(mala(), "1,2"), "temperatures"),
    T("samplers.ParallelTempering", "temperatures-scalar", lambda: S.ParallelTempering(mala(), 2.0), "temperatures"),
    T("samplers.ParallelTempering", "sampler-not-a-sampler", lambda: S.ParallelTempering("mala", [1.0, 2.0]),
      "sampler"),
    T("samplers.ParallelTempering", "sampler-annealed",
      lambda: S.ParallelTempering(S.AnnealedLangevin(sigmas=[1.0, 0.5], step_size=0.1), [1.0, 2.0]),
      "sampler"),
    T("samplers.ParallelTempering", "step-foreign-state",
      lambda: S.ParallelTempering(mala(), [1.0, 2.0]).step(mala().init(X0)), "state"),
]
