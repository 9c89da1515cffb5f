"""Step-size adaptation during warm-up: dual averaging to a target acceptance (Hoffman & Gelman, 2014).

Used through :func:`ebmbook.samplers.sample_chain`'s ``adapt=`` argument: the
step size of a Metropolis-type sampler (MALA, HMC, NUTS) is tuned during the
first ``n_steps`` steps of burn-in and then frozen, so that every kept draw
comes from one fixed, valid Markov kernel.
"""
from __future__ import annotations

import math

from ..utils import check_int, check_positive, _check_real

__all__ = ["DualAveraging"]


class DualAveraging:
    r"""Tune a sampler's ``step_size`` so that its mean acceptance probability reaches ``target_accept``.

    The dual-averaging scheme of Nesterov as adapted by Hoffman & Gelman (2014,
    Algorithm 5). After warm-up step :math:`t` with mean acceptance
    probability :math:`\bar\alpha_t` (the mean over chains; one step size is
    shared by all chains),

    .. math::
        \bar H_t = \Big(1 - \frac1{t + t_0}\Big)\bar H_{t-1} + \frac{\delta - \bar\alpha_t}{t + t_0},\quad
        \log\epsilon_{t+1} = \mu - \frac{\sqrt t}{\gamma}\bar H_t,\quad
        \log\bar\epsilon_{t} = t^{-\kappa}\log\epsilon_{t+1} + (1 - t^{-\kappa})\log\bar\epsilon_{t-1},

    with :math:`\mu = \log(10\,\epsilon_0)` and :math:`\epsilon_0` the sampler's
    step size. At the end of adaptation the step is frozen at the averaged
    :math:`\bar\epsilon`. Reading :math:`\bar\alpha_t` costs one host-device
    synchronisation per warm-up step (none afterwards).

    Parameters
    ----------
    target_accept : float in (0, 1), optional
        :math:`\delta`; default the sampler's ``target_accept`` (MALA 0.574,
        Roberts & Rosenthal 1998; HMC 0.65; NUTS 0.8)
    n_steps : int, optional
        Warm-up steps that adapt (default: the whole ``burn_in``); at most ``burn_in``.
    gamma, t0, kappa : float
        The scheme's constants (defaults 0.05, 10, 0.75 as in the paper).

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> from ebmbook.samplers import MALA, sample_chain
    >>> trace = sample_chain(MALA(Gaussian(torch.zeros(2), torch.eye(2)), step_size=0.01),
    ...                      torch.zeros(64, 2), 100, burn_in=200, adapt=DualAveraging(),
    ...                      generator=torch.Generator().manual_seed(0))
    >>> trace.step_size > 0.01
    True

    Used in chapter 2.
    """

    def __init__(self, target_accept: float | None = None, n_steps: int | None = None, *,
                 gamma: float = 0.05, t0: float = 10.0, kappa: float = 0.75):
        if target_accept is not None:
            target_accept = _check_real(target_accept, "target_accept")
            if not 0.0 < target_accept < 1.0:
                raise ValueError(f"target_accept must lie strictly between 0 and 1, got {target_accept}")
        self.target_accept = target_accept
        self.n_steps = None if n_steps is None else check_int(n_steps, "n_steps", minimum=1)
        self.gamma = check_positive(gamma, "gamma")
        self.t0 = check_positive(t0, "t0")
        self.kappa = check_positive(kappa, "kappa")
        if not self.kappa <= 1.0:
            raise ValueError(f"kappa must lie in (0, 1], got {self.kappa}")

    def __repr__(self) -> str:
        return f"DualAveraging(target_accept={self.target_accept}, n_steps={self.n_steps})"

    # -- the running scheme (one instance of _Run per sample_chain call) ---------------
    def start(self, step_size: float, target_accept: float) -> "_Run":
        return _Run(self, step_size, target_accept)


class _Run:
    """The state of one adaptation: update with each warm-up step's mean acceptance."""

    def __init__(self, cfg: DualAveraging, step_size: float, target: float):
        self.cfg, self.target = cfg, target
        self.mu = math.log(10.0 * step_size)
        self.h_bar, self.log_eps, self.log_eps_bar, self.t = 0.0, math.log(step_size), 0.0, 0

    def update(self, mean_accept: float) -> float:
        """Record one warm-up step; return the step size for the next."""
        c = self.cfg
        self.t += 1
        t = self.t
        if not math.isfinite(mean_accept):
            mean_accept = 0.0
        w = 1.0 / (t + c.t0)
        self.h_bar = (1.0 - w) * self.h_bar + w * (self.target - mean_accept)
        self.log_eps = self.mu - math.sqrt(t) / c.gamma * self.h_bar
        eta = t ** (-c.kappa)
        self.log_eps_bar = eta * self.log_eps + (1.0 - eta) * self.log_eps_bar
        return math.exp(self.log_eps)

    @property
    def final_step_size(self) -> float:
        return math.exp(self.log_eps_bar)
