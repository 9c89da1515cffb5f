r"""A box with soft walls: the bars and squares of the 2-D composition toys, with an exact normaliser."""
from __future__ import annotations

import math

import torch

from ..utils import check_finite, check_generator, check_int, check_positive, check_tensor
from .base import AnalyticEnergy

__all__ = ["SoftBox"]


class SoftBox(AnalyticEnergy):
    r"""Uniform on a box, with Gaussian walls: flat inside, quadratic outside.

    .. math:: E(x) = \frac{1}{2 s^2} \sum_i \operatorname{dist}_i(x)^2, \qquad
              \operatorname{dist}_i(x) = \max(\text{low}_i - x_i,\ 0) + \max(x_i - \text{high}_i,\ 0),

    so the density is constant on :math:`\prod_i [\text{low}_i, \text{high}_i]`
    and falls off like a half-Gaussian of width :math:`s` (``edge``) outside.
    Unlike :class:`~ebmbook.energies.UniformBox` (infinite energy outside) it has
    a continuous gradient everywhere, so gradient samplers (ULA, MALA, HMC) can
    run on it and on compositions of it. It factorises over coordinates, so

    .. math:: \log Z = \sum_i \log\big(\text{high}_i - \text{low}_i + s\sqrt{2\pi}\big),

    and exact samples mix a uniform draw with half-normal tails per coordinate.
    Far from the box :math:`E(x) \approx \lVert x\rVert^2 / 2s^2`: its tail
    precision is :math:`I/s^2`, which is what decides whether a
    :class:`~ebmbook.energies.Negation` of boxes is normalisable.

    Parameters
    ----------
    low, high : Tensor, shape ``(d,)``, finite, ``low < high`` in every coordinate
    edge : float, positive, the width :math:`s` of the walls

    Examples
    --------
    >>> bar = SoftBox(torch.tensor([-0.5, -3.0]), torch.tensor([0.5, 3.0]), edge=0.1)
    >>> bar(torch.tensor([[0.0, 0.0], [0.6, 0.0]]))
    tensor([0.0000, 0.5000])
    >>> x = bar.sample(1000, generator=torch.Generator().manual_seed(0))

    Used in chapter 9.
    """

    def __init__(self, low: torch.Tensor, high: torch.Tensor, edge: float = 0.1):
        super().__init__()
        check_tensor(low, "low", ndim=1, floating=True)
        check_tensor(high, "high", ndim=1, floating=True)
        check_finite(low, "low")
        check_finite(high, "high")
        if low.shape != high.shape or low.shape[0] == 0:
            raise ValueError(f"low and high must have the same non-empty shape (d,), got {tuple(low.shape)} "
                             f"and {tuple(high.shape)}")
        if not bool((high.to(low) > low).all()):
            raise ValueError("high must exceed low in every coordinate")
        self.edge = check_positive(edge, "edge")
        self.event_shape = (low.shape[0],)
        self.register_buffer("low", low.clone())
        self.register_buffer("high", high.to(low).clone())
        widths = high.double() - low.double()
        self._log_z = float(torch.log(widths + self.edge * math.sqrt(2 * math.pi)).sum())

    @property
    def log_z(self) -> float:
        return self._log_z

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        low, high = self.low.to(x.dtype), self.high.to(x.dtype)
        dist = torch.relu(low - x) + torch.relu(x - high)
        return dist.pow(2).sum(-1) / (2 * self.edge**2)

    def _tail_precision(self) -> torch.Tensor:
        d = self.event_shape[0]
        return torch.eye(d, dtype=torch.float64, device=self.low.device) / self.edge**2

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` exact samples, shape ``(n, d)``: per coordinate, uniform with probability
        :math:`w/(w + s\\sqrt{2\\pi})`, otherwise a half-normal on a random side."""
        n = check_int(n, "n", minimum=1)
        check_generator(generator, "generator", device=self.low.device)
        low, high = self.low.double(), self.high.double()
        width = high - low
        shape, dev = (n, self.event_shape[0]), self.low.device
        kw = dict(generator=generator, device=dev, dtype=torch.float64)
        inside = torch.rand(shape, **kw) < width / (width + self.edge * math.sqrt(2 * math.pi))
        uniform = low + torch.rand(shape, **kw) * width
        tail = self.edge * torch.randn(shape, **kw).abs()
        right = torch.rand(shape, **kw) < 0.5
        outside = torch.where(right, high + tail, low - tail)
        return torch.where(inside, uniform, outside).to(self.low.dtype)
