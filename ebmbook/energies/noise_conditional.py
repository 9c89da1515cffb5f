r"""Helpers shared by everything noise-conditional: energies called as ``energy(x, sigma)``.

The calling convention (chapter 6): ``x`` of shape ``(batch, *event_shape)`` and ``sigma`` a
tensor of shape ``(batch,)``, one noise level per row. A *ladder* of noise levels is strictly
decreasing, :math:`\sigma_1 > \dots > \sigma_L > 0` (Song & Ermon's order).
"""
from __future__ import annotations

import inspect
import math
from numbers import Real

import torch
from torch import nn

from ..utils import check_positive

__all__ = ["takes_sigma", "check_noise_ladder", "noise_levels_like"]


def takes_sigma(energy) -> bool | None:
    """Whether ``energy`` can be called as ``energy(x, sigma)`` (``None``: its signature cannot be read)."""
    fn = energy.forward if isinstance(energy, nn.Module) else energy
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(None, None)
    except TypeError:
        return False
    return True


def check_noise_ladder(sigmas, name: str = "sigmas") -> tuple[float, ...]:
    """``sigmas`` (a sequence or 1-D tensor) as a tuple of floats, checked to be a ladder:
    non-empty, finite, positive and strictly decreasing. Errors name ``name``."""
    if sigmas is None:
        raise TypeError(f"{name} is required: the noise levels from largest to smallest, e.g. "
                        "sigmas=torch.logspace(math.log10(20), 0, 10)")
    if isinstance(sigmas, torch.Tensor):
        if sigmas.is_complex() or sigmas.dtype == torch.bool:
            raise TypeError(f"{name} must hold real noise levels, got dtype {sigmas.dtype}")
        if sigmas.ndim != 1:
            raise ValueError(f"{name} must be a 1-D tensor or a sequence of real numbers, got a tensor of shape "
                             f"{tuple(sigmas.shape)}")
        sigmas = sigmas.tolist()
    if isinstance(sigmas, (str, bytes)) or not isinstance(sigmas, (list, tuple)):
        raise TypeError(f"{name} must be a sequence of noise levels (list, tuple or 1-D tensor), "
                        f"got {type(sigmas).__name__}")
    if len(sigmas) == 0:
        raise ValueError(f"{name} must hold at least one noise level")
    values = []
    for s in sigmas:
        if isinstance(s, bool) or not isinstance(s, (int, float)):
            raise TypeError(f"{name} must hold real numbers, got {type(s).__name__}")
        if not math.isfinite(s) or s <= 0:
            raise ValueError(f"{name} must hold finite noise levels > 0, got {s!r}")
        values.append(float(s))
    if any(b >= a for a, b in zip(values[:-1], values[1:])):
        raise ValueError(f"{name} must be strictly decreasing (sigma_1 > ... > sigma_L: annealing goes from "
                         f"the largest noise to the smallest), got {values}")
    return tuple(values)


def noise_levels_like(sigma, x: torch.Tensor, owner: str) -> torch.Tensor:
    """``sigma`` as a ``(batch,)`` tensor of positive noise levels in ``x``'s dtype and device.

    Accepts a Python number, a 0-d tensor (broadcast to every row) or a tensor of
    shape ``(batch,)``. Checking the values waits for the device once per call.
    """
    if sigma is None:
        raise TypeError(f"{owner} is noise-conditional and needs (x, sigma): call it as energy(x, sigma) with "
                        f"sigma a positive float or a tensor of shape (batch,) = ({x.shape[0]},), one noise "
                        "level per row")
    if isinstance(sigma, Real) and not isinstance(sigma, bool):
        value = check_positive(sigma, "sigma")
        return torch.full((x.shape[0],), value, dtype=x.dtype, device=x.device)
    if not isinstance(sigma, torch.Tensor):
        raise TypeError(f"sigma must be a positive float or a tensor of shape (batch,) = ({x.shape[0]},), "
                        f"got {type(sigma).__name__}")
    if sigma.dtype == torch.bool or sigma.is_complex():
        raise TypeError(f"sigma must hold real noise levels, got dtype {sigma.dtype}")
    if sigma.ndim == 0:
        sigma = sigma.to(device=x.device).expand(x.shape[0])
    elif sigma.shape != (x.shape[0],):
        raise ValueError(f"sigma must be a float, a 0-d tensor or a tensor of shape (batch,) = ({x.shape[0]},) "
                         f"(one noise level per row of x), got shape {tuple(sigma.shape)}")
    elif sigma.device != x.device:
        raise ValueError(f"sigma is on {sigma.device} but x is on {x.device}: put both on one device")
    sigma = sigma.to(x.dtype)
    if not bool((torch.isfinite(sigma) & (sigma > 0)).all()):
        raise ValueError("sigma must hold finite noise levels > 0 (a standard deviation per row)")
    return sigma
