"""Device choice, seeding and input validation shared by the whole package.

Every public function of :mod:`ebmbook` validates its arguments with these
helpers so that bad input fails early with a message that names the argument.
"""
from __future__ import annotations

import math
import os
import random
from numbers import Real

import numpy as np
import torch

__all__ = [
    "default_device",
    "seed_everything",
    "make_generator",
    "check_positive",
    "check_nonnegative",
    "check_probability",
    "check_int",
    "check_tensor",
    "check_finite",
    "check_spins",
    "check_binary",
    "check_square_symmetric",
    "check_generator",
    "check_device",
    "check_path",
]


def default_device() -> torch.device:
    """Return ``cuda`` when a CUDA GPU is available, otherwise ``cpu``.

    Examples
    --------
    >>> device = default_device()
    >>> x = torch.zeros(3, device=device)
    """
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and PyTorch (CPU and CUDA) and return a CPU generator.

    Chapters call this once at the top so that every figure and number is
    reproducible; library functions take an explicit ``generator`` instead.

    Parameters
    ----------
    seed : int
        Non-negative integer seed.

    Returns
    -------
    torch.Generator
        A CPU generator seeded with ``seed``.
    """
    seed = check_int(seed, "seed", minimum=0)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def make_generator(seed: int, device: torch.device | str | None = None) -> torch.Generator:
    """Return a ``torch.Generator`` on ``device`` seeded with ``seed``.

    Random functions in :mod:`ebmbook` draw on the generator's device, so a
    CUDA chain needs a CUDA generator; this helper makes the right one.
    """
    seed = check_int(seed, "seed", minimum=0)
    device = check_device(device) or torch.device("cpu")
    return torch.Generator(device=device).manual_seed(seed)


def check_int(value, name: str, minimum: int | None = None) -> int:
    """Return ``value`` as ``int`` or raise a ``TypeError``/``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _check_real(value, name: str) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_positive(value, name: str) -> float:
    """Return ``value`` as a float, raising ``ValueError`` unless it is finite and > 0."""
    value = _check_real(value, name)
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return value


def check_nonnegative(value, name: str) -> float:
    """Return ``value`` as a float, raising ``ValueError`` unless it is finite and >= 0."""
    value = _check_real(value, name)
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}")
    return value


def check_probability(value, name: str) -> float:
    """Return ``value`` as a float, raising ``ValueError`` unless it lies in [0, 1]."""
    value = _check_real(value, name)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value}")
    return value


def check_tensor(x, name: str, ndim: int | None = None, min_ndim: int | None = None,
                 last_dim: int | None = None, floating: bool = False) -> torch.Tensor:
    """Check that ``x`` is a tensor of the expected rank and size (and real floating dtype, if ``floating``).

    Raises
    ------
    TypeError
        If ``x`` is not a ``torch.Tensor``, or ``floating`` and its dtype is not a real
        floating-point one (integer, bool and complex tensors are refused).
    ValueError
        If the rank or the size of the last dimension is wrong.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if floating and not x.is_floating_point():
        raise TypeError(f"{name} must be a real floating-point tensor, got dtype {x.dtype}")
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {tuple(x.shape)}")
    if min_ndim is not None and x.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimensions, got shape {tuple(x.shape)}")
    if last_dim is not None and (x.ndim == 0 or x.shape[-1] != last_dim):
        raise ValueError(f"{name} must have last dimension {last_dim}, got shape {tuple(x.shape)}")
    return x


def check_finite(x: torch.Tensor, name: str) -> torch.Tensor:
    """Raise ``ValueError`` if ``x`` holds NaN or infinite entries (``TypeError`` if it is no tensor)."""
    check_tensor(x, name)
    if (x.is_floating_point() or x.is_complex()) and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def check_spins(x: torch.Tensor, name: str) -> torch.Tensor:
    """Raise ``ValueError`` unless every entry of ``x`` is -1 or +1."""
    check_tensor(x, name)
    if not bool(((x == 1) | (x == -1)).all()):
        raise ValueError(f"{name} must contain only spins -1 and +1")
    return x


def check_binary(x: torch.Tensor, name: str) -> torch.Tensor:
    """Raise ``ValueError`` unless every entry of ``x`` is 0 or 1."""
    check_tensor(x, name)
    if not bool(((x == 0) | (x == 1)).all()):
        raise ValueError(f"{name} must contain only 0 and 1")
    return x


def check_square_symmetric(J: torch.Tensor, name: str, atol: float = 1e-8) -> torch.Tensor:
    """Raise ``ValueError`` unless ``J`` is a finite, square, symmetric real matrix."""
    check_tensor(J, name, ndim=2)
    if J.is_complex():
        raise TypeError(f"{name} must be a real matrix, got dtype {J.dtype}")
    if J.shape[0] != J.shape[1]:
        raise ValueError(f"{name} must be square, got shape {tuple(J.shape)}")
    check_finite(J, name)
    if not torch.allclose(J, J.T, atol=atol):
        raise ValueError(f"{name} must be symmetric")
    return J


def check_generator(generator, name: str = "generator",
                    device: torch.device | str | None = None) -> torch.Generator | None:
    """Check that ``generator`` is ``None`` or a ``torch.Generator`` on ``device``.

    The package's device rule: random draws happen on the generator's device,
    unless a tensor argument fixes the device; then the generator must live
    there too (a CPU generator cannot drive CUDA draws, and the reverse).

    Raises
    ------
    TypeError
        If ``generator`` is not a ``torch.Generator`` (e.g. an int seed: use
        :func:`make_generator`).
    ValueError
        If it lives on another device than ``device``.
    """
    if generator is None:
        return None
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"{name} must be a torch.Generator or None, got {type(generator).__name__} "
                        "(to use a seed, pass ebmbook.utils.make_generator(seed, device))")
    if device is not None and torch.device(device).type != generator.device.type:
        raise ValueError(f"{name} is on {generator.device.type} but the tensors are on {torch.device(device)}: "
                         f"make it with ebmbook.utils.make_generator(seed, {str(torch.device(device).type)!r})")
    return generator


def check_device(device, name: str = "device") -> torch.device | None:
    """Return ``device`` as a ``torch.device`` (``None`` stays ``None``), or raise naming ``name``.

    Raises
    ------
    TypeError
        If ``device`` is not a ``torch.device``, a string or ``None``.
    ValueError
        If the string names no device type (e.g. ``"gpu"``: use ``"cuda"``).
    """
    if device is None or isinstance(device, torch.device):
        return device
    if not isinstance(device, str):
        raise TypeError(f"{name} must be a torch.device, a string such as 'cpu' or 'cuda', or None, "
                        f"got {type(device).__name__}")
    try:
        return torch.device(device)
    except RuntimeError as err:
        raise ValueError(f"{name} {device!r} is not a device: use e.g. 'cpu', 'cuda' or 'cuda:0'") from err


def check_path(path, name: str = "path") -> str:
    """Return ``path`` (a string or ``os.PathLike``) as a string, or raise a ``TypeError`` naming ``name``."""
    if isinstance(path, bool) or not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"{name} must be a file path (str or os.PathLike), got {type(path).__name__}")
    path = os.fspath(path)
    return os.fsdecode(path) if isinstance(path, bytes) else path
