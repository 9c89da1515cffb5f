"""Argument handling shared by the 2-D toy data sets (:mod:`ebmbook.data.toy2d`, :mod:`ebmbook.data.rings`)."""
from __future__ import annotations

import math

import torch

from ..utils import check_device, check_finite, check_generator, check_int, check_tensor

_LOG_2PI = math.log(2.0 * math.pi)


# ---------------------------------------------------------------------------
# shared argument handling
# ---------------------------------------------------------------------------
def _check_common(n, generator, device, dtype) -> tuple[int, torch.device, torch.device]:
    """Validate the common arguments; return ``(n, draw_device, out_device)``."""
    n = check_int(n, "n", minimum=1)
    check_generator(generator, "generator")   # no device to match: the numbers are drawn on the generator's
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype such as torch.float32, got {dtype!r}")
    draw_device = generator.device if generator is not None else torch.device("cpu")
    out_device = check_device(device)
    return n, draw_device, out_device if out_device is not None else draw_device


def _finish(x: torch.Tensor, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    return x.to(device=device, dtype=dtype)


def _check_points(x, name: str = "x") -> torch.Tensor:
    check_tensor(x, name, ndim=2, last_dim=2, floating=True)
    check_finite(x, name)
    return x


def _uniform(n: int, draw_device: torch.device, generator) -> torch.Tensor:
    return torch.rand(n, generator=generator, device=draw_device, dtype=torch.float64)


def _normal(shape: tuple[int, ...], draw_device: torch.device, generator) -> torch.Tensor:
    return torch.randn(shape, generator=generator, device=draw_device, dtype=torch.float64)
