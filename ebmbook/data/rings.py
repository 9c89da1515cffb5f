r"""Concentric rings: a 2-D toy data set with an exact log density (see :mod:`ebmbook.data.toy2d`)."""
from __future__ import annotations

import math

import torch

from ..utils import check_int, check_nonnegative, check_positive
from ._toy_common import _LOG_2PI, _check_common, _check_points, _finish, _normal, _uniform

__all__ = ["rings", "rings_log_density"]


# ---------------------------------------------------------------------------
# concentric rings
# ---------------------------------------------------------------------------
def _ring_radii(n_rings: int, max_radius: float) -> torch.Tensor:
    return max_radius * torch.arange(1, n_rings + 1, dtype=torch.float64) / n_rings


def _check_rings_args(n_rings, max_radius, noise, *, noise_positive: bool) -> tuple[int, float, float]:
    n_rings = check_int(n_rings, "n_rings", minimum=1)
    max_radius = check_positive(max_radius, "max_radius")
    noise = check_positive(noise, "noise") if noise_positive else check_nonnegative(noise, "noise")
    return n_rings, max_radius, noise


def rings(n: int, *, n_rings: int = 4, max_radius: float = 3.5, noise: float = 0.08,
          generator: torch.Generator | None = None,
          device: torch.device | str | None = None,
          dtype: torch.dtype = torch.float32) -> torch.Tensor:
    r"""Draw from concentric rings with Gaussian radial noise.

    Ring :math:`j = 1..K` has radius :math:`r_j = j\,r_{\max}/K` and is chosen
    with probability :math:`w_j = r_j / \sum_l r_l` (uniform density along the
    total length of the circles). A point is :math:`R(\cos\theta, \sin\theta)`
    with :math:`\theta \sim U[0, 2\pi)` and :math:`R = r_j + \sigma\epsilon`,
    :math:`\epsilon \sim \mathcal N(0, 1)`; the exact density is
    :func:`rings_log_density`.

    Parameters
    ----------
    n : int, positive
    n_rings : int, at least 1
        Number of rings :math:`K`.
    max_radius : float, positive
        Radius of the outermost ring.
    noise : float, non-negative
        Radial noise standard deviation :math:`\sigma`.
    generator, device, dtype
        See the module docstring.

    Returns
    -------
    Tensor, shape ``(n, 2)``

    Examples
    --------
    >>> x = rings(400, n_rings=3, generator=torch.Generator().manual_seed(0))
    >>> x.shape
    torch.Size([400, 2])
    """
    n, draw_device, out_device = _check_common(n, generator, device, dtype)
    n_rings, max_radius, noise = _check_rings_args(n_rings, max_radius, noise, noise_positive=False)
    radii = _ring_radii(n_rings, max_radius).to(draw_device)
    ring = torch.multinomial(radii / radii.sum(), n, replacement=True, generator=generator)
    theta = 2.0 * math.pi * _uniform(n, draw_device, generator)
    radius = radii[ring] + noise * _normal((n,), draw_device, generator)
    x = radius.unsqueeze(1) * torch.stack((torch.cos(theta), torch.sin(theta)), dim=1)
    return _finish(x, out_device, dtype)


def rings_log_density(x: torch.Tensor, *, n_rings: int = 4, max_radius: float = 3.5,
                      noise: float = 0.08) -> torch.Tensor:
    r"""Exact log density of :func:`rings` (``noise`` must be positive).

    A draw with a negative radius :math:`R` lands on the opposite side of the
    origin, so in polar coordinates :math:`(\rho, \varphi)` the radial density
    is folded, and the Jacobian :math:`\rho` of the polar map gives

    .. math::
        p(x) = \frac{1}{2\pi\rho} \sum_{j=1}^{K} w_j
               \big[\mathcal N(\rho; r_j, \sigma^2) + \mathcal N(-\rho; r_j, \sigma^2)\big],
        \qquad \rho = \lVert x \rVert,

    computed with a log-sum-exp. The density is integrable but infinite at
    the origin (``+inf`` there), where it is astronomically small for the
    default settings away from :math:`\rho = 0`.

    Parameters
    ----------
    x : Tensor, shape ``(n, 2)``, floating point
    n_rings, max_radius, noise
        As in :func:`rings`; ``noise`` > 0.

    Returns
    -------
    Tensor, shape ``(n,)``, dtype and device of ``x``

    Examples
    --------
    >>> lp = rings_log_density(torch.tensor([[3.5, 0.0], [0.0, 0.3]]))
    >>> bool(lp[0] > lp[1])
    True
    """
    _check_points(x)
    n_rings, max_radius, noise = _check_rings_args(n_rings, max_radius, noise, noise_positive=True)
    radii = _ring_radii(n_rings, max_radius).to(device=x.device, dtype=x.dtype)
    log_w = torch.log(radii / radii.sum())
    rho = torch.linalg.vector_norm(x, dim=1).unsqueeze(1)  # (n, 1)
    log_norm = -0.5 * _LOG_2PI - math.log(noise)
    near = -0.5 * ((rho - radii) / noise) ** 2  # N(rho; r_j)
    far = -0.5 * ((rho + radii) / noise) ** 2  # N(-rho; r_j)
    terms = torch.cat((log_w + near, log_w + far), dim=1) + log_norm
    return torch.logsumexp(terms, dim=1) - _LOG_2PI - torch.log(rho.squeeze(1))
