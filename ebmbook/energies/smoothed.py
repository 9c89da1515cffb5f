r"""Noise-conditional energies: the calling convention ``energy(x, sigma)`` and an exact one.

A *noise-conditional* energy :math:`E(x, \sigma)` describes a whole family of
densities :math:`p_\sigma(x) \propto e^{-E(x, \sigma)}`, one per noise level: the
data density smoothed by Gaussian noise of standard deviation :math:`\sigma`.
Score matching with several noise levels learns such a family (Song & Ermon,
2019), and annealed Langevin dynamics samples it from the largest :math:`\sigma`
down to the smallest (:class:`ebmbook.samplers.AnnealedLangevin`).

The convention, shared by :class:`SmoothedMixture`,
:class:`ebmbook.models.NoiseConditionalEnergy`, the score-matching losses and
the annealed sampler: ``energy(x, sigma)`` with ``x`` of shape
``(batch, *event_shape)`` and ``sigma`` a tensor of shape ``(batch,)`` (one noise
level per row) returns energies of shape ``(batch,)``. The built-in energies
also take a Python float or a 0-d tensor for ``sigma`` and broadcast it.
"""
from __future__ import annotations

import math

import torch

from ..utils import check_generator
from .base import Energy
from .gaussian import GaussianMixture
from .noise_conditional import noise_levels_like

__all__ = ["SmoothedMixture"]



class SmoothedMixture(Energy):
    r"""The exact noise-conditional energy of a Gaussian mixture smoothed by :math:`\mathcal N(0, \sigma^2 I)`.

    .. math:: E(x, \sigma) = -\log \sum_k w_k\, \mathcal N\big(x;\ \mu_k,\ \Sigma_k + \sigma^2 I\big),

    the energy of :meth:`GaussianMixture.smoothed(sigma) <ebmbook.energies.GaussianMixture.smoothed>`,
    evaluated with a different :math:`\sigma` on every row in one batched
    operation: each :math:`\Sigma_k = U_k \Lambda_k U_k^\top` is diagonalised
    once, so :math:`\Sigma_k + \sigma^2 I = U_k (\Lambda_k + \sigma^2) U_k^\top`
    costs no factorisation per row. Every :math:`p_\sigma` is normalised
    (``log_z`` is 0), and :math:`-\nabla_x E(x, \sigma)` is the exact score that a
    noise-conditional network learns; it is the ground truth of chapter 6's
    tests and of annealed Langevin dynamics.

    Parameters
    ----------
    mixture : GaussianMixture

    Attributes
    ----------
    mixture : GaussianMixture, the unsmoothed density (:math:`\sigma \to 0`)
    event_shape : tuple ``(d,)``

    Examples
    --------
    >>> mix = GaussianMixture(torch.tensor([[5., 5.], [-5., -5.]]), torch.ones(2), torch.tensor([0.8, 0.2]))
    >>> energy = SmoothedMixture(mix)
    >>> x, sigma = torch.zeros(3, 2), torch.tensor([0.5, 1.0, 10.0])
    >>> energy(x, sigma).shape
    torch.Size([3])
    >>> torch.allclose(energy(x[2:], sigma[2:]), mix.smoothed(10.0)(x[2:]))
    True

    Used in chapter 6.
    """

    def __init__(self, mixture: GaussianMixture):
        super().__init__()
        if not isinstance(mixture, GaussianMixture):
            raise TypeError(f"mixture must be an ebmbook.energies.GaussianMixture, got {type(mixture).__name__}")
        self.mixture = mixture
        self.event_shape = tuple(mixture.event_shape)
        eigvals, eigvecs = torch.linalg.eigh(mixture.covariances.double())
        dtype = mixture.means.dtype
        self.register_buffer("_eigvals", eigvals.to(dtype))          # (K, d): the spectra of Sigma_k
        self.register_buffer("_eigvecs", eigvecs.to(dtype))          # (K, d, d): columns U_k

    @property
    def log_z(self) -> float:
        """0: the smoothed mixture is normalised at every :math:`\\sigma`."""
        return 0.0

    def forward(self, x: torch.Tensor, sigma: torch.Tensor | float | None = None) -> torch.Tensor:
        """Energies ``(batch,)`` of ``x`` ``(batch, d)`` at noise levels ``sigma`` ``(batch,)`` (or one float)."""
        self._check_input(x)
        s = noise_levels_like(sigma, x, type(self).__name__)
        means = self.mixture.means.to(x.dtype)
        # z_bk = U_k^T (x_b - mu_k): coordinates in the eigenbasis of Sigma_k
        z = torch.einsum("kji,bkj->bki", self._eigvecs.to(x.dtype), x.unsqueeze(1) - means)
        var = self._eigvals.to(x.dtype) + s.reshape(-1, 1, 1) ** 2      # (batch, K, d)
        d = self.event_shape[0]
        log_comp = -0.5 * (z.pow(2) / var).sum(-1) - 0.5 * torch.log(var).sum(-1) - 0.5 * d * math.log(2 * math.pi)
        return -torch.logsumexp(log_comp + torch.log(self.mixture.weights.to(x.dtype)), dim=-1)

    def log_prob(self, x: torch.Tensor, sigma: torch.Tensor | float) -> torch.Tensor:
        """Exact log density :math:`\\log p_\\sigma(x) = -E(x, \\sigma)`, shape ``(batch,)``."""
        return -self(x, sigma)

    def sample(self, n: int, sigma: float, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` exact samples of :math:`p_\\sigma` (a mixture draw plus :math:`\\sigma z`), shape ``(n, d)``."""
        check_generator(generator, "generator", device=self.mixture.means.device)
        return self.mixture.smoothed(sigma).sample(n, generator=generator)

