"""A ring-shaped 2-D energy: a non-Gaussian density with an exact normaliser."""
from __future__ import annotations

import math

import torch

from ..utils import check_device, check_generator, check_int, check_positive
from .base import AnalyticEnergy

__all__ = ["Ring"]


class Ring(AnalyticEnergy):
    r"""Ring energy :math:`E(x) = \frac{(\lVert x \rVert - r)^2}{2\sigma^2}` on :math:`\mathbb R^2`.

    Mass concentrates on a circle of radius ``radius``: the density is curved
    (no linear change of variables makes it Gaussian) and its gradient points
    towards the circle, which makes it a good test of gradient-based samplers.
    In polar coordinates the normaliser is a one-dimensional integral with a
    closed form,

    .. math::
        Z = 2\pi\Big[\sigma^2 e^{-r^2/2\sigma^2}
            + r\sigma\sqrt{\pi/2}\,\big(1 + \operatorname{erf}(r/\sigma\sqrt2)\big)\Big].

    Parameters
    ----------
    radius : float, positive
    width : float, positive, the radial standard deviation :math:`\sigma`

    Examples
    --------
    >>> ring = Ring(radius=2.0, width=0.3)
    >>> ring(torch.tensor([[2.0, 0.0]]))
    tensor([0.])

    Used in chapter 2.
    """

    event_shape = (2,)

    def __init__(self, radius: float = 2.0, width: float = 0.3):
        super().__init__()
        self.radius = check_positive(radius, "radius")
        self.width = check_positive(width, "width")
        r, s = self.radius, self.width
        radial = s**2 * math.exp(-(r**2) / (2 * s**2)) + r * s * math.sqrt(math.pi / 2) * (
            1 + math.erf(r / (s * math.sqrt(2)))
        )
        self._log_z = math.log(2 * math.pi * radial)

    @property
    def log_z(self) -> float:
        return self._log_z

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        # sqrt of (|x|^2 + tiny) keeps the gradient finite at the origin.
        norm = torch.sqrt(x.pow(2).sum(-1) + torch.finfo(x.dtype).tiny)
        return (norm - self.radius) ** 2 / (2 * self.width**2)

    def sample(self, n: int, *, generator: torch.Generator | None = None,
               device: torch.device | str | None = None) -> torch.Tensor:
        r"""Draw ``n`` exact samples, shape ``(n, 2)``.

        The radius has density :math:`f(\rho) \propto \rho\,\phi((\rho-r)/\sigma)`
        on :math:`\rho > 0`. Since :math:`\rho \le r + |\rho - r|`, it is dominated
        by :math:`r\phi(u/\sigma) + |u|\phi(u/\sigma)` with :math:`u = \rho - r`: a
        mixture of a normal and a signed Rayleigh variable. Rejection from that
        mixture (acceptance :math:`\rho / (r + |u|)`) is exact.
        """
        n = check_int(n, "n", minimum=1)
        check_generator(generator, "generator")
        device = check_device(device)
        if device is None:
            device = generator.device if generator is not None else torch.device("cpu")
        check_generator(generator, "generator", device=device)
        r, s = self.radius, self.width
        w_normal = r * s * math.sqrt(2 * math.pi)
        w_rayleigh = 2 * s**2
        p_normal = w_normal / (w_normal + w_rayleigh)
        uniform = lambda m: torch.rand(m, generator=generator, device=device)  # noqa: E731
        radii = torch.empty(0, device=device)
        while radii.numel() < n:
            m = 2 * (n - radii.numel()) + 16
            pick_normal = uniform(m) < p_normal
            normal = torch.randn(m, generator=generator, device=device) * s
            rayleigh = s * torch.sqrt(-2 * torch.log1p(-uniform(m)))
            sign = torch.where(uniform(m) < 0.5, -1.0, 1.0)
            u = torch.where(pick_normal, normal, sign * rayleigh)
            rho = r + u
            accept = (rho > 0) & (uniform(m) * (r + u.abs()) < rho)
            radii = torch.cat([radii, rho[accept]])
        theta = 2 * math.pi * uniform(n)
        radii = radii[:n]
        return torch.stack([radii * torch.cos(theta), radii * torch.sin(theta)], dim=-1)
