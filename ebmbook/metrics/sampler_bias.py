r"""The bias of a sampler's estimate of an expectation, measured with independent chains.

To tell a biased sampler (ULA) from an exact one (MALA, HMC) we need the
estimate's Monte Carlo standard error, and many *independent* chains give a
trustworthy one whatever the autocorrelation inside each chain: every chain's
time average is one number, and their spread across chains is the error.
:func:`sampler_bias` runs the chains and compares the estimate with an exact
value (from enumeration, quadrature or a closed form).
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

import torch

from ..samplers.base import Sampler
from ..samplers.chain import sample_chain
from ..utils import _check_real, check_generator, check_int, check_tensor

__all__ = ["SamplerBias", "sampler_bias"]


class SamplerBias(NamedTuple):
    """A sampler's estimate of :math:`\\mathbb E_p[f]`, compared with the exact value (all Python floats).

    Attributes
    ----------
    estimate : float, the mean over chains of each chain's time average :math:`\\bar f_c`
    bias : float, ``estimate - exact``
    mcse : float, Monte Carlo standard error: the standard deviation of the
        :math:`\\bar f_c` over :math:`\\sqrt{C}` for :math:`C` independent chains
    z : float, ``bias / mcse``: about standard normal for an exact sampler
    acceptance : float, the run's mean acceptance probability (1 for unadjusted samplers)
    """

    estimate: float
    bias: float
    mcse: float
    z: float
    acceptance: float


def sampler_bias(sampler: Sampler, x0: torch.Tensor, n_steps: int, exact: float, *, burn_in: int = 0,
                 fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
                 generator: torch.Generator | None = None) -> SamplerBias:
    r"""Bias and Monte Carlo standard error of ``sampler``'s estimate of :math:`\mathbb E_p[f]`.

    The :math:`C` chains start at the rows of ``x0`` and run
    :func:`ebmbook.samplers.sample_chain` for ``burn_in`` discarded and ``n_steps``
    kept steps. Chain :math:`c`'s time average :math:`\bar f_c = \frac1n \sum_t f(x_{t,c})`
    is one number per chain; with independent chains

    .. math:: \hat f = \frac1C \sum_c \bar f_c, \qquad
              \mathrm{bias} = \hat f - \mathbb E_p[f], \qquad
              \mathrm{MCSE} = \frac{\operatorname{sd}_c(\bar f_c)}{\sqrt C},
              \qquad z = \frac{\mathrm{bias}}{\mathrm{MCSE}} .

    For an exact sampler whose chains start at exact draws from :math:`p`,
    :math:`\hat f` is unbiased and :math:`z` follows Student's t with :math:`C - 1`
    degrees of freedom (the MCSE is estimated from the same chains). With
    thousands of chains that is standard normal, and :math:`|z| < 4` fails with
    probability :math:`6 \times 10^{-5}`; with few chains the tails are much
    heavier (:math:`C = 5`: 0.016), so use many chains or the t quantile. A
    biased sampler shows up as a large :math:`|z|` once there are enough chains.

    Parameters
    ----------
    sampler : Sampler, bound to the target's energy
    x0 : Tensor ``(C, *event_shape)``, ``C >= 2`` starting points, e.g. exact draws from the
        target (then no burn-in is needed for an exact sampler)
    n_steps : int, ``>= 1``, kept steps per chain
    exact : float, the exact :math:`\mathbb E_p[f]`
    burn_in : int, ``>= 0``, steps discarded first
    fn : callable ``(m, *event_shape) -> (m,)``, optional
        The function :math:`f`; by default the bound energy of the sampler
        (:attr:`ebmbook.samplers.Trace.energies`, computed by the sampler anyway),
        whose expectation is the mean energy :math:`\langle E \rangle_p`.
    generator : torch.Generator, optional; on ``x0``'s device

    Returns
    -------
    SamplerBias. If all chains give the same average, ``mcse`` is 0 and ``z`` is
    :math:`\pm\infty` (or 0 when the bias is 0 too).

    Raises
    ------
    TypeError
        If ``sampler`` is not an ebmbook Sampler, ``x0`` not a tensor, ``exact`` not a real
        number, ``fn`` not callable, or ``generator`` not a ``torch.Generator``.
    ValueError
        If ``x0`` holds fewer than two chains, ``n_steps < 1``, ``burn_in < 0``, ``exact`` is
        not finite, or ``fn`` returns the wrong shape.
    FloatingPointError
        If the chains diverge (see :func:`ebmbook.samplers.sample_chain`).

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> from ebmbook.samplers import MALA
    >>> target = Gaussian(torch.zeros(1), torch.eye(1))          # <E> = 1/2
    >>> g = torch.Generator().manual_seed(0)
    >>> r = sampler_bias(MALA(target, 0.5), target.sample(2000, generator=g), 50, 0.5, generator=g)
    >>> abs(r.z) < 4
    True

    Used in chapter 2, to measure ULA's bias of the mean energy and MALA's and HMC's lack of it.
    """
    if not isinstance(sampler, Sampler):
        raise TypeError(f"sampler must be an ebmbook Sampler, got {type(sampler).__name__}")
    check_tensor(x0, "x0", min_ndim=1)
    if x0.shape[0] < 2:
        raise ValueError(f"x0 must hold at least two independent chains (n_chains, *event_shape), "
                         f"got shape {tuple(x0.shape)}")
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    burn_in = check_int(burn_in, "burn_in", minimum=0)
    exact = _check_real(exact, "exact")
    if fn is not None and not callable(fn):
        raise TypeError(f"fn must be callable (m, *event_shape) -> (m,) or None, got {type(fn).__name__}")
    check_generator(generator, "generator", device=x0.device)

    trace = sample_chain(sampler, x0, n_steps, burn_in=burn_in, generator=generator)
    if fn is None:
        values = trace.energies
    else:
        n_kept, n_chains = trace.samples.shape[:2]
        with torch.no_grad():
            values = fn(trace.samples.reshape(n_kept * n_chains, *trace.samples.shape[2:]))
        if not isinstance(values, torch.Tensor) or tuple(values.shape) != (n_kept * n_chains,):
            raise ValueError(f"fn must map draws of shape (m, *event_shape) to values of shape (m,) = "
                             f"({n_kept * n_chains},), got {getattr(values, 'shape', type(values).__name__)}")
        values = values.reshape(n_kept, n_chains)
    per_chain = values.double().mean(0)                     # (n_chains,) time average of f(x_t) per chain
    estimate = float(per_chain.mean())
    bias = estimate - exact
    mcse = float(per_chain.std()) / math.sqrt(per_chain.shape[0])   # independent chains: plain standard error
    if mcse > 0:
        z = bias / mcse
    else:
        z = 0.0 if bias == 0 else math.copysign(math.inf, bias)
    return SamplerBias(estimate, bias, mcse, z, trace.acceptance_rate)
