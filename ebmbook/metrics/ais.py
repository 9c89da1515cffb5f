r"""Annealed importance sampling (AIS): the normaliser of any energy, from a base whose normaliser is known.

AIS (Neal, 2001) walks from an analytic base :math:`p_0 = e^{-E_0}/Z_0` to the
target :math:`p_K = e^{-E_K}/Z` through intermediate energies
:math:`E_{\beta_0}, \dots, E_{\beta_K}` with :math:`0 = \beta_0 < \dots < \beta_K = 1`.
One run draws :math:`x_0 \sim p_0` and, for :math:`k = 1, \dots, K`,

.. math::
    \log w \mathrel{+}= E_{\beta_{k-1}}(x_{k-1}) - E_{\beta_k}(x_{k-1}),
    \qquad x_k \sim T_k(x_{k-1}, \cdot),

where :math:`T_k` is any MCMC transition that leaves :math:`p_{\beta_k}` invariant.
Then :math:`\mathbb E[w] = Z / Z_0` exactly, for any schedule; a finer schedule
only lowers the variance. With :math:`M` runs,
:math:`\widehat{\log Z} = \log Z_0 + \log \frac1M \sum_m w_m`, which by Jensen's
inequality *underestimates* :math:`\log Z` on average.

The default path is geometric, :class:`GeometricPath`:
:math:`E_\beta = (1-\beta)E_0 + \beta E_K`. A model with latent variables can
supply its own :class:`AnnealingPath` (e.g. the RBM's path through RBMs,
:class:`ebmbook.models.RBMAnnealingPath`), which the transition's sampler
recognises when it is bound to it.

Used in chapter 4.
"""
from __future__ import annotations

import math
from numbers import Real
from typing import Callable, NamedTuple, Sequence

import numpy as np
import torch

from ..energies.base import Energy, evaluate_energy
from ..samplers.base import Sampler
from ..samplers.chain import run
from ..utils import _check_real, check_int, check_probability, check_tensor

__all__ = ["AISResult", "ais", "ais_betas", "summarise_log_weights", "AnnealingPath", "GeometricPath"]

EnergyFn = Callable[[torch.Tensor], torch.Tensor]

# ais_betas: Salakhutdinov & Murray's (2008) 14 500-value schedule, 500 values in [0, 0.5),
# 4 000 in [0.5, 0.9) and 10 000 in [0.9, 1], as a piecewise-linear map of a uniform grid.
_SCHEDULE_U = (0.0, 500 / 14500, 4500 / 14500, 1.0)
_SCHEDULE_BETA = (0.0, 0.5, 0.9, 1.0)


class AISResult(NamedTuple):
    """Annealed importance sampling estimate of :math:`\\log Z`.

    Attributes
    ----------
    log_z : float, :math:`\\log Z_0 + \\log \\frac1M\\sum_m w_m`
    log_z_low, log_z_high : float, :math:`\\log(\\bar w \\mp 3\\,\\mathrm{se}(\\bar w)) + \\log Z_0`
        (the bracket of Salakhutdinov & Murray, 2008; ``log_z_low`` is ``-inf`` when the
        bracket reaches zero, and both are infinite for a single run)
    log_weights : Tensor ``(n_runs,)``, float64, on the CPU: the log importance weights
    ess : float, effective number of runs :math:`(\\sum w)^2 / \\sum w^2`
    """

    log_z: float
    log_z_low: float
    log_z_high: float
    log_weights: torch.Tensor
    ess: float


def ais_betas(n_betas: int = 14500) -> torch.Tensor:
    """Inverse temperatures for AIS, denser near 1 (Salakhutdinov & Murray, 2008).

    Exactly ``n_betas`` strictly increasing values, the first exactly 0 and the
    last exactly 1. The default 14 500 puts 500 in [0, 0.5), 4 000 in [0.5, 0.9)
    and 10 000 in [0.9, 1] (the schedule of the paper); other sizes keep those
    proportions: the values are a uniform grid on [0, 1] mapped through the
    piecewise-linear function through (0, 0), (500/14500, 0.5), (4500/14500, 0.9), (1, 1).

    Parameters
    ----------
    n_betas : int, ``>= 2``

    Returns
    -------
    Tensor ``(n_betas,)``, float64

    Examples
    --------
    >>> b = ais_betas(5)
    >>> b.shape, float(b[0]), float(b[-1])
    (torch.Size([5]), 0.0, 1.0)

    Used in chapter 4.
    """
    n_betas = check_int(n_betas, "n_betas", minimum=2)
    u = np.linspace(0.0, 1.0, n_betas)
    betas = torch.from_numpy(np.interp(u, _SCHEDULE_U, _SCHEDULE_BETA))
    betas[0], betas[-1] = 0.0, 1.0   # exact end points whatever the rounding inside interp
    return betas


class AnnealingPath(Energy):
    r"""An intermediate energy :math:`E_\beta` on a path from ``base`` (:math:`\beta=0`) to ``target`` (:math:`\beta=1`).

    A path must equal the base energy at :math:`\beta = 0` and the target energy
    at :math:`\beta = 1` (constants included: AIS's :math:`\log Z` is the base's
    plus the log mean weight). Subclasses implement ``forward`` and
    :meth:`log_weight_increment`; :func:`ais` builds one with
    ``path(base, target, beta)`` and moves along it with :meth:`at`.

    Parameters
    ----------
    base, target : energies ``(batch, *event) -> (batch,)``
    beta : float in [0, 1]
    """

    def __init__(self, base: EnergyFn, target: EnergyFn, beta: float):
        super().__init__()
        for name, energy in (("base", base), ("target", target)):
            if not callable(energy):
                raise TypeError(f"{name} must be an energy, a callable (batch, *event_shape) -> (batch,), "
                                f"got {type(energy).__name__}")
        self.base = base
        self.target = target
        self.beta = check_probability(beta, "beta")
        self.event_shape = tuple(getattr(target, "event_shape", None) or getattr(base, "event_shape", ()) or ())

    def at(self, beta: float) -> "AnnealingPath":
        """The same path at another inverse temperature."""
        return type(self)(self.base, self.target, beta)

    def log_weight_increment(self, x: torch.Tensor, beta_next: float) -> torch.Tensor:
        r""":math:`E_\beta(x) - E_{\beta'}(x)` for :math:`\beta' =` ``beta_next``, shape ``(batch,)``, float64."""
        raise NotImplementedError(f"{type(self).__name__} must implement log_weight_increment")

    def extra_repr(self) -> str:
        return f"beta={self.beta:.6g}"


class GeometricPath(AnnealingPath):
    r"""The geometric path :math:`E_\beta(x) = (1-\beta)\,E_0(x) + \beta\,E_1(x)`.

    Its density :math:`\propto p_0^{1-\beta} p_1^{\beta}` interpolates between
    the base and the target; it is the default path of :func:`ais`, sampled by
    any sampler bound to it (it is an ordinary energy).

    Parameters
    ----------
    base : energy :math:`E_0`, ``(batch, *event) -> (batch,)``
    target : energy :math:`E_1`, same shapes
    beta : float in [0, 1]

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> base, target = Gaussian(torch.zeros(2), 4 * torch.eye(2)), Gaussian(torch.ones(2), torch.eye(2))
    >>> GeometricPath(base, target, 0.5)(torch.zeros(3, 2)).shape
    torch.Size([3])

    Used in chapter 4.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # At the end points only one energy counts: skipping the other avoids 0 * inf = NaN
        # where it is infinite (e.g. a target with hard constraints evaluated on base samples).
        if self.beta == 0.0:
            return evaluate_energy(self.base, x)
        if self.beta == 1.0:
            return evaluate_energy(self.target, x)
        return (1.0 - self.beta) * evaluate_energy(self.base, x) + self.beta * evaluate_energy(self.target, x)

    def log_weight_increment(self, x: torch.Tensor, beta_next: float) -> torch.Tensor:
        r""":math:`(\beta' - \beta)\,(E_0(x) - E_1(x))` in float64.

        Formed from the two energies, not as a difference of two intermediate energies:
        consecutive :math:`\beta` differ by as little as :math:`10^{-5}`, and that difference
        would cancel away in the energies' (often float32) precision.
        """
        e0 = evaluate_energy(self.base, x).double()
        e1 = evaluate_energy(self.target, x).double()
        return (float(beta_next) - self.beta) * (e0 - e1)


def _check_betas(betas) -> list[float]:
    if isinstance(betas, np.ndarray):
        betas = torch.from_numpy(np.asarray(betas, dtype=np.float64))
    if not isinstance(betas, torch.Tensor):
        if not isinstance(betas, Sequence) or not all(isinstance(b, Real) for b in betas):
            raise TypeError(f"betas must be a 1-D tensor or a sequence of numbers, got {type(betas).__name__}")
        betas = torch.tensor([float(b) for b in betas], dtype=torch.float64)
    check_tensor(betas, "betas", ndim=1)
    betas = betas.detach().double().cpu()
    if betas.numel() < 2 or not bool(torch.isfinite(betas).all()) or float(betas[0]) != 0.0 \
            or float(betas[-1]) != 1.0 or not bool((betas.diff() > 0).all()):
        raise ValueError("betas must increase strictly from exactly 0 to exactly 1 (at least 2 values, "
                         "e.g. ebmbook.metrics.ais_betas(1000))")
    return betas.tolist()


def _base_log_z(base) -> float:
    if not callable(base):
        raise TypeError(f"base must be an energy (callable) with log_z and sample(n, generator=), "
                        f"got {type(base).__name__}")
    try:
        log_z = base.log_z
    except (AttributeError, NotImplementedError):
        log_z = None
    sample = getattr(base, "sample", None)
    if isinstance(log_z, torch.Tensor) and log_z.numel() == 1:
        log_z = log_z.item()
    if isinstance(log_z, bool) or not isinstance(log_z, Real) or not callable(sample):
        raise TypeError(f"base must be an analytic energy with a known log_z (a float) and exact "
                        f"sample(n, generator=) (e.g. ebmbook.energies.Gaussian); {type(base).__name__} has "
                        f"log_z={log_z!r} and sample={'yes' if callable(sample) else 'no'}")
    if not math.isfinite(float(log_z)):
        raise ValueError(f"base.log_z must be finite, got {log_z}")
    return float(log_z)


def ais(target: EnergyFn, base: EnergyFn, transition: Sampler, betas, n_runs: int, *,
        n_steps_per_beta: int = 1, path: type[AnnealingPath] = GeometricPath,
        generator: torch.Generator | None = None) -> AISResult:
    r"""Estimate :math:`\log Z` of ``target`` by annealed importance sampling from ``base`` (Neal, 2001).

    ``n_runs`` runs advance together as one batch of chains. Run :math:`m`
    starts at :math:`x_0 \sim` ``base`` and, for :math:`k = 1, \dots, K`, adds

    .. math:: \log w_m \mathrel{+}= E_{\beta_{k-1}}(x_{k-1}) - E_{\beta_k}(x_{k-1})
        \;=\; (\beta_k - \beta_{k-1})\big(E_0(x_{k-1}) - E_1(x_{k-1})\big)

    (the second form on the geometric path), accumulated in float64, and then
    takes ``n_steps_per_beta`` steps of ``transition`` bound to
    :math:`E_{\beta_k}` (``transition.bind(path(base, target, beta_k))``), which
    leaves :math:`p_{\beta_k}` invariant. The estimate is
    :math:`\log Z_0 + \log \frac1M \sum_m w_m`.

    Parameters
    ----------
    target : energy ``(batch, *event) -> (batch,)``, unnormalised
    base : analytic energy with ``log_z`` (float) and ``sample(n, generator=)``
        (e.g. :class:`ebmbook.energies.Gaussian`); it should cover the target's modes
    transition : Sampler, bound or not (e.g. ``HMC(step_size=0.2, n_leapfrog=5)``);
        it is re-bound to every intermediate energy
    betas : Tensor or sequence ``(K + 1,)``, strictly increasing from exactly 0 to
        exactly 1 (e.g. :func:`ais_betas`)
    n_runs : int, ``>= 1``, independent runs :math:`M`
    n_steps_per_beta : int, ``>= 1``, transition steps at each intermediate energy
    path : AnnealingPath subclass, the intermediate energies (default :class:`GeometricPath`)
    generator : torch.Generator, optional; on the base samples' device

    Returns
    -------
    AISResult

    Raises
    ------
    TypeError
        If ``base`` has no ``log_z``/``sample``, ``transition`` is not a
        :class:`ebmbook.samplers.Sampler`, or ``path`` is not an :class:`AnnealingPath`
        subclass (also, from ``bind``, if the sampler cannot sample the path).
    ValueError
        If ``betas`` does not increase from 0 to 1, ``n_runs < 1`` or ``base.sample``
        returns the wrong number of samples.
    FloatingPointError
        If a log weight is NaN, or every run has weight zero.

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> from ebmbook.samplers import HMC
    >>> target = Gaussian(torch.tensor([1.0, -1.0]), 0.5 * torch.eye(2))
    >>> base = Gaussian(torch.zeros(2), 4 * torch.eye(2))
    >>> res = ais(target, base, HMC(step_size=0.3, n_leapfrog=3), ais_betas(100), 200,
    ...           generator=torch.Generator().manual_seed(0))
    >>> abs(res.log_z - target.log_z) < 0.1
    True

    Used in chapter 4.
    """
    if not callable(target):
        raise TypeError(f"target must be an energy (callable (batch, *event) -> (batch,)), got {type(target).__name__}")
    log_z_base = _base_log_z(base)
    if not isinstance(transition, Sampler):
        raise TypeError(f"transition must be an ebmbook Sampler (e.g. HMC(step_size=0.2, n_leapfrog=5)), "
                        f"got {type(transition).__name__}")
    if not (isinstance(path, type) and issubclass(path, AnnealingPath)):
        raise TypeError(f"path must be an AnnealingPath subclass (e.g. GeometricPath), got {path!r}")
    betas = _check_betas(betas)
    n_runs = check_int(n_runs, "n_runs", minimum=1)
    n_steps_per_beta = check_int(n_steps_per_beta, "n_steps_per_beta", minimum=1)

    with torch.no_grad():
        x = base.sample(n_runs, generator=generator)
        if not isinstance(x, torch.Tensor) or x.ndim < 1 or x.shape[0] != n_runs:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"base.sample({n_runs}) must return a tensor of shape ({n_runs}, *event), got {shape}")
        log_w = torch.zeros(n_runs, dtype=torch.float64, device=x.device)
        current = path(base, target, betas[0])
        for k in range(1, len(betas)):
            log_w += current.log_weight_increment(x, betas[k])
            current = current.at(betas[k])
            if k < len(betas) - 1:  # a transition after the last weight would not change it
                x = run(transition.bind(current), x, n_steps_per_beta, generator=generator).position
    return summarise_log_weights(log_w, log_z_base)


def summarise_log_weights(log_weights: torch.Tensor, log_z_base: float) -> AISResult:
    r"""The :class:`AISResult` of given log importance weights: estimate, 3-s.e. bracket, ESS.

    With :math:`\bar w` the mean weight and :math:`\mathrm{se} = s_w / \sqrt M` its
    standard error, :math:`\widehat{\log Z} = \log Z_0 + \log \bar w` and the bracket
    is :math:`\log Z_0 + \log(\bar w \mp 3\,\mathrm{se})` (Salakhutdinov & Murray, 2008),
    computed in the scale :math:`w / \max w` so nothing overflows. Useful to
    summarise subsets of runs (e.g. independent groups of one batched call).

    Parameters
    ----------
    log_weights : Tensor ``(n_runs,)``
    log_z_base : float, :math:`\log Z_0`

    Returns
    -------
    AISResult (``log_weights`` as float64 on the CPU)
    """
    check_tensor(log_weights, "log_weights", ndim=1)
    log_z_base = _check_real(log_z_base, "log_z_base")
    log_w = log_weights.detach().double()
    n = log_w.numel()
    if n == 0:
        raise ValueError("log_weights must hold at least one run")
    if bool(torch.isnan(log_w).any()):
        raise FloatingPointError(f"{int(torch.isnan(log_w).sum())} of {n} AIS log weights are NaN: an energy "
                                 "was NaN (or +inf - inf) on some chains; check the target and the transition")
    top = log_w.max()
    if not bool(torch.isfinite(top)):
        raise FloatingPointError(f"AIS log weights reach {float(top)} on every run (weight zero or infinite): "
                                 "the base does not cover the target, or an energy is infinite")
    scaled = torch.exp(log_w - top)
    mean = scaled.mean()
    log_z = log_z_base + float(torch.log(mean) + top)
    rel_se = float(scaled.std() / (mean * math.sqrt(n))) if n > 1 else math.inf
    ess = float(scaled.sum() ** 2 / scaled.pow(2).sum())
    low = log_z + (math.log(1 - 3 * rel_se) if rel_se < 1 / 3 else -math.inf)
    return AISResult(log_z, low, log_z + math.log1p(3 * rel_se), log_w.cpu(), ess)
