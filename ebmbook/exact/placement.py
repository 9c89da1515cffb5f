"""Where and in what dtype an energy is evaluated by the exact methods.

Enumeration and quadrature work in float64, but a float32 network may refuse float64
input; :func:`evaluation_placement` finds out, and :func:`_cast_input` feeds it its own dtype.
"""
from __future__ import annotations

from typing import Callable

import torch

from ..utils import check_device, check_int

__all__ = ["evaluation_placement"]

EnergyFn = Callable[[torch.Tensor], torch.Tensor]


def _module_placement(energy: EnergyFn) -> tuple[torch.device | None, torch.dtype | None]:
    """Device of a module energy's first parameter/buffer and its first float dtype (else None, None)."""
    if isinstance(energy, torch.nn.Module):
        tensors = list(energy.parameters()) + list(energy.buffers())
        if tensors:
            floats = [t.dtype for t in tensors if t.is_floating_point()]
            return tensors[0].device, (floats[0] if floats else None)
    return None, None


def evaluation_placement(energy: EnergyFn, event_shape: tuple[int, ...] = (2,),
                         device: torch.device | str | None = None) -> tuple[torch.device, torch.dtype]:
    """The device and dtype in which :func:`grid_quadrature` evaluates ``energy``.

    The device is ``device`` when given, otherwise that of the energy's first
    parameter or buffer (CPU for a plain function). The dtype is float64 when
    the energy accepts float64 input there, which makes quadrature exact up to
    round-off; an ``nn.Module`` that rejects it (float32 weights) is
    evaluated in the dtype of its parameters instead, so a trained network can
    be normalised as it is, on the GPU it lives on.

    Parameters
    ----------
    energy : callable ``(batch, *event_shape) -> (batch,)``
    event_shape : tuple of int, shape of one input (a probe batch of zeros is evaluated)
    device : torch.device or str, optional

    Returns
    -------
    (torch.device, torch.dtype)

    Raises
    ------
    TypeError
        If ``energy`` is not callable.
    RuntimeError, TypeError
        The energy's own error, if it rejects float64 input and has no
        floating-point parameters to fall back to.

    Examples
    --------
    >>> evaluation_placement(torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.Flatten(0)))
    (device(type='cpu'), torch.float32)

    Used by :func:`grid_quadrature`, :mod:`ebmbook.plot` and :mod:`ebmbook.widgets`.
    """
    if not callable(energy):
        raise TypeError(f"energy must be callable (batch, *event_shape) -> (batch,), got {type(energy).__name__}")
    own_device, param_dtype = _module_placement(energy)
    device = check_device(device)
    if device is None:
        device = own_device if own_device is not None else torch.device("cpu")
    if not isinstance(event_shape, (tuple, list, torch.Size)):
        raise TypeError(f"event_shape must be a tuple of int such as (2,), got {type(event_shape).__name__}")
    shape = tuple(check_int(v, "event_shape", minimum=1) for v in event_shape)
    probe = torch.zeros((2, *shape), dtype=torch.float64, device=device)
    try:
        with torch.no_grad():
            energy(probe)
        return device, torch.float64
    except (RuntimeError, TypeError):
        # A float32 layer rejects float64 input with a RuntimeError (dtype mismatch);
        # without float parameters there is no other dtype to try.
        if param_dtype is None or param_dtype == torch.float64:
            raise
    return device, param_dtype


def _cast_input(energy: EnergyFn, dtype: torch.dtype) -> EnergyFn:
    """``energy`` evaluated on input cast to ``dtype``, returning float64 energies."""
    def cast(x: torch.Tensor) -> torch.Tensor:
        return energy(x.to(dtype)).double()

    return cast
