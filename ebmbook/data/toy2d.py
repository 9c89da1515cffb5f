r"""Seeded two-dimensional toy data sets, the standard test bed of deep EBMs.

Every generator has the form ``name(n, *, <shape parameters>, generator=None,
device=None, dtype=torch.float32) -> Tensor`` of shape ``(n, 2)``, with i.i.d.
rows. Randomness comes only from ``generator``:

- the numbers are drawn on the generator's device (the global PyTorch RNG on
  the CPU when ``generator`` is ``None``), in float64, and then moved to
  ``device`` and cast to ``dtype``; so the same seed gives the same data on
  every output device;
- ``device=None`` means the generator's device (CPU without a generator).

Where the density is known in closed form there is an exact log density
(:func:`eight_gaussians_log_density`, :func:`checkerboard_log_density`,
:func:`rings_log_density`), so a model trained on the data can be compared
with the truth. ``two_moons`` and ``swiss_roll`` (uniform curves blurred by
Gaussian noise) have no closed form.

Used in chapter 5 (deep EBMs) and the score-matching and NCE chapters.

Examples
--------
>>> g = torch.Generator().manual_seed(0)
>>> x = toy_dataset("eight_gaussians", 512, generator=g)
>>> x.shape
torch.Size([512, 2])
"""
from __future__ import annotations

import inspect
import math
from typing import Callable, Mapping

import torch

from ..utils import check_nonnegative, check_positive
from ._toy_common import _LOG_2PI, _check_common, _check_points, _finish, _normal, _uniform
from .rings import rings, rings_log_density

__all__ = [
    "TOY_DATASETS",
    "toy_dataset",
    "eight_gaussians",
    "eight_gaussians_log_density",
    "two_moons",
    "swiss_roll",
    "checkerboard",
    "checkerboard_log_density",
    "rings",
    "rings_log_density",
]

# ---------------------------------------------------------------------------
# eight Gaussians
# ---------------------------------------------------------------------------
def _eight_centres(radius: float, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    angles = torch.arange(8, device=device, dtype=torch.float64) * (math.pi / 4)
    centres = radius * torch.stack((torch.cos(angles), torch.sin(angles)), dim=1)
    return centres.to(dtype)


def eight_gaussians(n: int, *, radius: float = 2.83, std: float = 0.35,
                    generator: torch.Generator | None = None,
                    device: torch.device | str | None = None,
                    dtype: torch.dtype = torch.float32) -> torch.Tensor:
    r"""Draw from an equal mixture of 8 isotropic Gaussians on a circle.

    .. math::
        p(x) = \frac18 \sum_{k=0}^{7} \mathcal N\big(x;\ \mu_k, \sigma^2 I\big),
        \qquad \mu_k = r\,(\cos\tfrac{k\pi}{4}, \sin\tfrac{k\pi}{4}).

    Parameters
    ----------
    n : int, positive
        Number of points.
    radius : float, positive
        Radius :math:`r` of the circle of centres (2.83 ~ :math:`2\sqrt2`).
    std : float, positive
        Standard deviation :math:`\sigma` of each component.
    generator, device, dtype
        See the module docstring.

    Returns
    -------
    Tensor, shape ``(n, 2)``

    Examples
    --------
    >>> x = eight_gaussians(1000, generator=torch.Generator().manual_seed(0))
    >>> x.shape, x.dtype
    (torch.Size([1000, 2]), torch.float32)
    """
    n, draw_device, out_device = _check_common(n, generator, device, dtype)
    radius = check_positive(radius, "radius")
    std = check_positive(std, "std")
    component = torch.randint(0, 8, (n,), generator=generator, device=draw_device)
    centres = _eight_centres(radius, draw_device, torch.float64)
    x = centres[component] + std * _normal((n, 2), draw_device, generator)
    return _finish(x, out_device, dtype)


def eight_gaussians_log_density(x: torch.Tensor, *, radius: float = 2.83,
                                std: float = 0.35) -> torch.Tensor:
    r"""Exact log density of :func:`eight_gaussians`.

    .. math::
        \log p(x) = \log \sum_{k=0}^{7} \exp\Big(-\frac{\lVert x - \mu_k\rVert^2}{2\sigma^2}\Big)
                    - \log 8 - \log(2\pi\sigma^2).

    Parameters
    ----------
    x : Tensor, shape ``(n, 2)``, floating point
    radius, std : float, positive
        As in :func:`eight_gaussians`.

    Returns
    -------
    Tensor, shape ``(n,)``, dtype and device of ``x``

    Examples
    --------
    >>> lp = eight_gaussians_log_density(torch.tensor([[2.83, 0.0]]))
    >>> lp.shape
    torch.Size([1])
    """
    _check_points(x)
    radius = check_positive(radius, "radius")
    std = check_positive(std, "std")
    centres = _eight_centres(radius, x.device, x.dtype)
    sq = (x.unsqueeze(1) - centres.unsqueeze(0)).pow(2).sum(-1)  # (n, 8)
    return torch.logsumexp(-sq / (2 * std**2), dim=1) - math.log(8.0) - _LOG_2PI - 2 * math.log(std)


# ---------------------------------------------------------------------------
# two moons and the swiss roll (no closed-form density)
# ---------------------------------------------------------------------------
def two_moons(n: int, *, noise: float = 0.1,
              generator: torch.Generator | None = None,
              device: torch.device | str | None = None,
              dtype: torch.dtype = torch.float32) -> torch.Tensor:
    r"""Draw from two interleaved half circles (scikit-learn's moons), centred and scaled by 2.

    Each point picks a moon with probability 1/2 and a uniform angle
    :math:`t \in [0, \pi]`; the upper moon is :math:`(\cos t, \sin t)`, the
    lower one :math:`(1 - \cos t, \tfrac12 - \sin t)`. Gaussian noise of
    standard deviation ``noise`` is added in these units, and the result is
    mapped to :math:`2\,(u - (\tfrac12, \tfrac14))`, which spans about
    :math:`[-3, 3] \times [-1.5, 1.5]` (so the noise in the output has standard
    deviation ``2 * noise``).

    Parameters
    ----------
    n : int, positive
    noise : float, non-negative
        Noise standard deviation in the unit-moon coordinates (scikit-learn's ``noise``).
    generator, device, dtype
        See the module docstring.

    Returns
    -------
    Tensor, shape ``(n, 2)``

    Examples
    --------
    >>> x = two_moons(200, noise=0.05, generator=torch.Generator().manual_seed(0))
    >>> x.shape
    torch.Size([200, 2])
    """
    n, draw_device, out_device = _check_common(n, generator, device, dtype)
    noise = check_nonnegative(noise, "noise")
    lower = torch.rand(n, generator=generator, device=draw_device) < 0.5
    t = math.pi * _uniform(n, draw_device, generator)
    upper_xy = torch.stack((torch.cos(t), torch.sin(t)), dim=1)
    lower_xy = torch.stack((1.0 - torch.cos(t), 0.5 - torch.sin(t)), dim=1)
    u = torch.where(lower.unsqueeze(1), lower_xy, upper_xy)
    u = u + noise * _normal((n, 2), draw_device, generator)
    centre = torch.tensor([0.5, 0.25], device=draw_device, dtype=torch.float64)
    return _finish(2.0 * (u - centre), out_device, dtype)


def swiss_roll(n: int, *, noise: float = 1.0,
               generator: torch.Generator | None = None,
               device: torch.device | str | None = None,
               dtype: torch.dtype = torch.float32) -> torch.Tensor:
    r"""Draw from a 2-D swiss roll (a spiral), scaled to about :math:`[-3, 3]^2`.

    With :math:`t = \tfrac{3\pi}{2}(1 + 2u)`, :math:`u \sim U(0, 1)`, the point
    is :math:`\big(t\cos t + \epsilon_1,\ t\sin t + \epsilon_2\big) / 5`,
    :math:`\epsilon \sim \mathcal N(0, \texttt{noise}^2 I)` (scikit-learn's
    ``make_swiss_roll`` projected on its first and third coordinates, as in
    the FFJORD toy sets). The output noise standard deviation is ``noise / 5``.

    Parameters
    ----------
    n : int, positive
    noise : float, non-negative
        Noise standard deviation before the division by 5.
    generator, device, dtype
        See the module docstring.

    Returns
    -------
    Tensor, shape ``(n, 2)``

    Examples
    --------
    >>> x = swiss_roll(300, generator=torch.Generator().manual_seed(0))
    >>> x.shape
    torch.Size([300, 2])
    """
    n, draw_device, out_device = _check_common(n, generator, device, dtype)
    noise = check_nonnegative(noise, "noise")
    t = 1.5 * math.pi * (1.0 + 2.0 * _uniform(n, draw_device, generator))
    x = torch.stack((t * torch.cos(t), t * torch.sin(t)), dim=1)
    x = x + noise * _normal((n, 2), draw_device, generator)
    return _finish(x / 5.0, out_device, dtype)


# ---------------------------------------------------------------------------
# checkerboard
# ---------------------------------------------------------------------------
_BOARD_HALF_WIDTH = 4.0
_SQUARE = 2.0
_DARK_AREA = 8 * _SQUARE**2  # 8 dark squares of area 4


def checkerboard(n: int, *, generator: torch.Generator | None = None,
                 device: torch.device | str | None = None,
                 dtype: torch.dtype = torch.float32) -> torch.Tensor:
    r"""Draw uniformly from the dark squares of a 4x4 checkerboard on :math:`[-4, 4)^2`.

    The board has squares of side 2 with column/row indices
    :math:`i, j = \lfloor (x + 4)/2 \rfloor \in \{0,1,2,3\}`; a square is dark
    when :math:`i + j` is even (the corner :math:`[-4,-2)^2` is dark). The
    density is :math:`1/32` on the 8 dark squares and 0 elsewhere.

    Parameters
    ----------
    n : int, positive
    generator, device, dtype
        See the module docstring.

    Returns
    -------
    Tensor, shape ``(n, 2)``

    Examples
    --------
    >>> x = checkerboard(100, generator=torch.Generator().manual_seed(0))
    >>> bool(torch.isfinite(checkerboard_log_density(x)).all())
    True
    """
    n, draw_device, out_device = _check_common(n, generator, device, dtype)
    square = torch.randint(0, 8, (n,), generator=generator, device=draw_device)
    row = square // 2  # j in 0..3
    col = 2 * (square % 2) + (row % 2)  # i with i + j even
    corner = torch.stack((col, row), dim=1).to(torch.float64) * _SQUARE - _BOARD_HALF_WIDTH
    offset = _SQUARE * torch.rand((n, 2), generator=generator, device=draw_device, dtype=torch.float64)
    x = _finish(corner + offset, out_device, dtype)
    # Rounding to a low-precision dtype can carry a point onto the open right
    # edge of its square (a light square); keep it just inside instead.
    upper = _finish(corner + _SQUARE, out_device, dtype)  # exact: small integers
    return torch.minimum(x, torch.nextafter(upper, torch.full_like(upper, -math.inf)))


def checkerboard_log_density(x: torch.Tensor) -> torch.Tensor:
    r"""Exact log density of :func:`checkerboard`: :math:`-\log 32` on dark squares, :math:`-\infty` elsewhere.

    Squares are half open, :math:`[a, a + 2)`, so the board is :math:`[-4, 4)^2`.

    Parameters
    ----------
    x : Tensor, shape ``(n, 2)``, floating point

    Returns
    -------
    Tensor, shape ``(n,)``, dtype and device of ``x``

    Examples
    --------
    >>> checkerboard_log_density(torch.tensor([[-3.0, -3.0], [-1.0, -3.0]]))
    tensor([-3.4657,    -inf])
    """
    _check_points(x)
    inside = ((x >= -_BOARD_HALF_WIDTH) & (x < _BOARD_HALF_WIDTH)).all(dim=1)
    idx = torch.floor((x + _BOARD_HALF_WIDTH) / _SQUARE).to(torch.int64)
    dark = (idx.sum(dim=1) % 2) == 0
    value = torch.full((x.shape[0],), -math.log(_DARK_AREA), dtype=x.dtype, device=x.device)
    return torch.where(inside & dark, value, torch.full_like(value, -math.inf))


# ---------------------------------------------------------------------------
# dispatcher
# ---------------------------------------------------------------------------
_GENERATORS: dict[str, Callable[..., torch.Tensor]] = {
    "eight_gaussians": eight_gaussians,
    "two_moons": two_moons,
    "swiss_roll": swiss_roll,
    "checkerboard": checkerboard,
    "rings": rings,
}

#: Names accepted by :func:`toy_dataset`.
TOY_DATASETS: tuple[str, ...] = tuple(_GENERATORS)

_COMMON = ("generator", "device", "dtype")


def _shape_parameters(name: str) -> tuple[str, ...]:
    signature = inspect.signature(_GENERATORS[name])
    return tuple(p for p in signature.parameters if p not in ("n", *_COMMON))


def toy_dataset(name: str, n: int, *, params: Mapping[str, float] | None = None,
                generator: torch.Generator | None = None,
                device: torch.device | str | None = None,
                dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Draw ``n`` points from the toy data set called ``name``.

    Parameters
    ----------
    name : str
        One of :data:`TOY_DATASETS`: ``"eight_gaussians"``, ``"two_moons"``,
        ``"swiss_roll"``, ``"checkerboard"``, ``"rings"``.
    n : int, positive
    params : mapping, optional
        Shape parameters of that data set (e.g. ``{"noise": 0.05}`` for
        ``"two_moons"``); unknown keys raise a ``ValueError`` listing the
        valid ones.
    generator, device, dtype
        See the module docstring.

    Returns
    -------
    Tensor, shape ``(n, 2)``
        Identical to calling the data set's function with the same arguments.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(1)
    >>> x = toy_dataset("rings", 100, params={"n_rings": 2}, generator=g)
    >>> x.shape
    torch.Size([100, 2])
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, one of {TOY_DATASETS}, got {type(name).__name__}")
    if name not in _GENERATORS:
        raise ValueError(f"name must be one of {TOY_DATASETS}, got {name!r}")
    params = {} if params is None else params
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping of parameter names to values, got {type(params).__name__}")
    allowed = _shape_parameters(name)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(
            f"params has unknown keys {unknown} for data set {name!r}; valid keys are {list(allowed)}"
        )
    return _GENERATORS[name](n, **dict(params), generator=generator, device=device, dtype=dtype)
