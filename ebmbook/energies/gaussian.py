"""Gaussian and Gaussian-mixture energies with exact normalisers.

They are the ground truth of the continuous samplers: every moment, marginal
and density is known, so a sampler's output can be tested against it.
"""
from __future__ import annotations

import math

import torch

from ..utils import check_finite, check_generator, check_int, check_nonnegative, check_positive, check_tensor
from .base import AnalyticEnergy

__all__ = ["Gaussian", "GaussianMixture"]


def _check_covariance(cov: torch.Tensor, dim: int, name: str) -> torch.Tensor:
    check_tensor(cov, name, ndim=2, floating=True)
    if cov.shape != (dim, dim):
        raise ValueError(f"{name} must have shape ({dim}, {dim}), got {tuple(cov.shape)}")
    check_finite(cov, name)
    if not torch.allclose(cov, cov.T, atol=1e-8):
        raise ValueError(f"{name} must be symmetric")
    try:
        torch.linalg.cholesky(cov.double())
    except RuntimeError as err:
        raise ValueError(f"{name} must be positive definite") from err
    return cov


class Gaussian(AnalyticEnergy):
    r"""Multivariate normal energy :math:`E(x) = \tfrac12 (x-\mu)^\top \Sigma^{-1} (x-\mu)`.

    Its normaliser is :math:`\log Z = \tfrac d2 \log 2\pi + \tfrac12 \log\det\Sigma`.

    Parameters
    ----------
    mean : Tensor, shape ``(d,)``
    covariance : Tensor, shape ``(d, d)``, symmetric positive definite

    Examples
    --------
    >>> g = Gaussian(torch.zeros(2), torch.eye(2))
    >>> g(torch.zeros(1, 2))
    tensor([0.])

    Used in chapters 1 and 2.
    """

    def __init__(self, mean: torch.Tensor, covariance: torch.Tensor):
        super().__init__()
        check_tensor(mean, "mean", ndim=1, floating=True)
        check_finite(mean, "mean")
        d = mean.shape[0]
        if d == 0:
            raise ValueError("mean must have at least one dimension, got shape (0,)")
        _check_covariance(covariance, d, "covariance")
        self.event_shape = (d,)
        self.register_buffer("mean", mean.clone())
        self.register_buffer("covariance", covariance.clone())
        chol = torch.linalg.cholesky(covariance.double())
        self.register_buffer("_chol", chol.to(mean.dtype))
        # Whitening matrix L^{-1}: one matmul per evaluation instead of a triangular solve.
        self.register_buffer("_whiten", torch.linalg.inv(chol).to(mean.dtype))
        self._log_z = 0.5 * d * math.log(2 * math.pi) + float(torch.log(torch.diagonal(chol)).sum())

    @classmethod
    def fit(cls, x: torch.Tensor, ridge: float = 1e-6) -> "Gaussian":
        r"""The maximum-likelihood Gaussian of the rows of ``x``: sample mean and covariance.

        Parameters
        ----------
        x : Tensor, shape ``(n, d)``, finite, at least two rows
        ridge : float >= 0, added to the covariance's diagonal (times its mean variance) so that
            data on a lower-dimensional subspace still give a positive-definite covariance

        Returns
        -------
        Gaussian, on x's device and in its dtype

        Examples
        --------
        >>> x = torch.randn(1000, 2, generator=torch.Generator().manual_seed(0)) * 2 + 1
        >>> g = Gaussian.fit(x)
        >>> g.mean.shape, g.covariance.shape
        (torch.Size([2]), torch.Size([2, 2]))

        Used in chapter 7, as the noise of noise-contrastive estimation.
        """
        check_tensor(x, "x", ndim=2, floating=True)
        check_finite(x, "x")
        if x.shape[0] < 2 or x.shape[1] == 0:
            raise ValueError(f"x must hold at least two rows of at least one coordinate, got shape {tuple(x.shape)}")
        ridge = check_nonnegative(ridge, "ridge")
        mean = x.mean(0)
        centred = (x - mean).double()
        cov = centred.T @ centred / (x.shape[0] - 1)
        cov = cov + ridge * float(torch.diagonal(cov).mean()) * torch.eye(x.shape[1], dtype=cov.dtype,
                                                                           device=cov.device)
        return cls(mean, (0.5 * (cov + cov.T)).to(x.dtype))

    @property
    def log_z(self) -> float:
        return self._log_z

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        z = (x - self.mean.to(x.dtype)) @ self._whiten.to(x.dtype).T
        return 0.5 * z.pow(2).sum(-1)

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` exact samples, shape ``(n, d)``."""
        n = check_int(n, "n", minimum=1)
        check_generator(generator, "generator", device=self.mean.device)
        eps = torch.randn(n, self.event_shape[0], generator=generator,
                          device=self.mean.device, dtype=self.mean.dtype)
        return self.mean + eps @ self._chol.T


class GaussianMixture(AnalyticEnergy):
    r"""Energy of a normalised mixture of Gaussians, :math:`E(x) = -\log \sum_k w_k \mathcal N(x; \mu_k, \Sigma_k)`.

    The mixture is normalised, so :math:`\log Z = 0` and ``log_prob = -energy``.
    Distant, narrow components make it the standard test of mixing between modes.

    Parameters
    ----------
    means : Tensor, shape ``(K, d)``
    covariances : Tensor, shape ``(K, d, d)`` or ``(K,)`` (isotropic standard deviations)
    weights : Tensor, shape ``(K,)``, optional
        Non-negative mixture weights; normalised to sum to one. Equal by default.

    Examples
    --------
    >>> mix = GaussianMixture(torch.tensor([[-2., 0.], [2., 0.]]), torch.tensor([0.5, 0.5]))
    >>> x = mix.sample(1000, generator=torch.Generator().manual_seed(0))
    >>> x.shape
    torch.Size([1000, 2])

    Used in chapter 2.
    """

    def __init__(self, means: torch.Tensor, covariances: torch.Tensor,
                 weights: torch.Tensor | None = None):
        super().__init__()
        check_tensor(means, "means", ndim=2, floating=True)
        check_finite(means, "means")
        k, d = means.shape
        if k == 0:
            raise ValueError("means must hold at least one component")
        check_tensor(covariances, "covariances", floating=True)
        if covariances.shape == (k,):
            check_finite(covariances, "covariances")
            if not bool((covariances > 0).all()):
                raise ValueError("covariances given as standard deviations must be positive")
            covariances = covariances.reshape(k, 1, 1) ** 2 * torch.eye(d, dtype=means.dtype, device=means.device)
        elif covariances.shape == (k, d, d):
            for i in range(k):
                _check_covariance(covariances[i], d, f"covariances[{i}]")
        else:
            raise ValueError(
                f"covariances must have shape ({k},) or ({k}, {d}, {d}), got {tuple(covariances.shape)}"
            )
        if weights is None:
            weights = torch.full((k,), 1.0 / k, dtype=means.dtype, device=means.device)
        check_tensor(weights, "weights", ndim=1)
        if weights.shape[0] != k:
            raise ValueError(f"weights must have shape ({k},), got {tuple(weights.shape)}")
        check_finite(weights, "weights")
        if bool((weights < 0).any()) or float(weights.sum()) <= 0:
            raise ValueError("weights must be non-negative and not all zero")
        self.event_shape = (d,)
        self.register_buffer("means", means.clone())
        self.register_buffer("covariances", covariances.clone())
        self.register_buffer("weights", weights / weights.sum())
        chol = torch.linalg.cholesky(covariances.double())
        self.register_buffer("_chol", chol.to(means.dtype))
        self.register_buffer("_whiten", torch.linalg.inv(chol).to(means.dtype))
        log_norm = 0.5 * d * math.log(2 * math.pi) + torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)
        self.register_buffer("_log_norm", log_norm.to(means.dtype))

    @property
    def log_z(self) -> float:
        return 0.0

    def component_log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Log density of each component at ``x``, shape ``(batch, K)``."""
        self._check_input(x)
        # z_k = L_k^{-1} (x - mu_k) = W_k x - W_k mu_k, as one einsum over (batch, K).
        w = self._whiten.to(x.dtype)
        z = torch.einsum("kij,bj->bki", w, x) - torch.einsum("kij,kj->ki", w, self.means.to(x.dtype))
        return -0.5 * z.pow(2).sum(-1) - self._log_norm.to(x.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        comp = self.component_log_prob(x) + torch.log(self.weights.to(x.dtype))
        return -torch.logsumexp(comp, dim=-1)

    def responsibilities(self, x: torch.Tensor) -> torch.Tensor:
        """Posterior probability of each component given ``x``, shape ``(batch, K)``."""
        comp = self.component_log_prob(x) + torch.log(self.weights.to(x.dtype))
        return torch.softmax(comp, dim=-1)

    @property
    def mean(self) -> torch.Tensor:
        """Mixture mean, shape ``(d,)``."""
        return (self.weights.unsqueeze(-1) * self.means).sum(0)

    @property
    def covariance(self) -> torch.Tensor:
        """Mixture covariance (law of total covariance), shape ``(d, d)``."""
        mu = self.mean
        diff = self.means - mu
        between = torch.einsum("k,ki,kj->ij", self.weights, diff, diff)
        within = torch.einsum("k,kij->ij", self.weights, self.covariances)
        return within + between

    def smoothed(self, sigma: float) -> "GaussianMixture":
        r"""The mixture convolved with :math:`\mathcal N(0, \sigma^2 I)`: the law of :math:`x + \sigma z`.

        Convolving a Gaussian with a Gaussian adds covariances, so the result is
        again a mixture, with the same means and weights:

        .. math:: p_\sigma(x) = \sum_k w_k\, \mathcal N(x;\ \mu_k,\ \Sigma_k + \sigma^2 I).

        This is the noise-perturbed data density whose score denoising score
        matching learns (chapter 6); :class:`~ebmbook.energies.SmoothedMixture`
        evaluates it for a different :math:`\sigma` on every row.

        Parameters
        ----------
        sigma : float, :math:`\sigma > 0`, the noise's standard deviation

        Returns
        -------
        GaussianMixture, on the same device and in the same dtype

        Examples
        --------
        >>> mix = GaussianMixture(torch.tensor([[-2., 0.], [2., 0.]]), torch.tensor([0.5, 0.5]))
        >>> mix.smoothed(1.0).covariances[0]
        tensor([[1.2500, 0.0000],
                [0.0000, 1.2500]])

        Used in chapter 6.
        """
        sigma = check_positive(sigma, "sigma")
        d = self.event_shape[0]
        eye = torch.eye(d, dtype=self.covariances.dtype, device=self.covariances.device)
        return GaussianMixture(self.means, self.covariances + sigma**2 * eye, self.weights)

    def sample(self, n: int, *, generator: torch.Generator | None = None,
               return_components: bool = False):
        """Draw ``n`` exact samples, shape ``(n, d)`` (and component labels if asked)."""
        n = check_int(n, "n", minimum=1)
        check_generator(generator, "generator", device=self.means.device)
        idx = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        eps = torch.randn(n, self.event_shape[0], generator=generator,
                          device=self.means.device, dtype=self.means.dtype)
        x = self.means[idx] + torch.einsum("nij,nj->ni", self._chol[idx], eps)
        return (x, idx) if return_components else x
