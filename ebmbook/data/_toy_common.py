"""Argument handling shared by the 2-D toy data sets (:mod:`ebmbook.data.toy2d`, :mod:`ebmbook.data.rings`)."""
from __future__ import annotations

import math

import torch

from ..utils import check_finite, check_int, check_tensor

_LOG_2PI = math.log(2.0 * math.pi)


# ---------------------------------------------------------------------------
# shared argument handling
# ---------------------------------------------------------------------------
def _check_common(n, generator, device, dtype) -> tuple[int, torch.device, torch.device]:
    """Validate the common arguments; return ``(n, draw_device, out_device)``."""
    n = check_int(n, "n", minimum=1)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype such as torch.float32, got {dtype!r}")
    draw_device = generator.device if generator is not None else torch.device("cpu")
    try:
        out_device = torch.device(device) if device is not None else draw_device
    except (RuntimeError, TypeError) as err:
        raise TypeError(f"device must be a torch.device, a device string or None, got {device!r}") from err
    return n, draw_device, out_device


def _finish(x: torch.Tensor, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    return x.to(device=device, dtype=dtype)


def _check_points(x, name: str = "x") -> torch.Tensor:
    check_tensor(x, name, ndim=2, last_dim=2)
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    check_finite(x, name)
    return x


def _uniform(n: int, draw_device: torch.device, generator) -> torch.Tensor:
    return torch.rand(n, generator=generator, device=draw_device, dtype=torch.float64)


def _normal(shape: tuple[int, ...], draw_device: torch.device, generator) -> torch.Tensor:
    return torch.randn(shape, generator=generator, device=draw_device, dtype=torch.float64)
