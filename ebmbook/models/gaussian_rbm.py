r"""The Gaussian–Bernoulli RBM: real-valued visible units of unit variance, binary hidden units."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..exact import iter_states
from ..utils import check_finite, check_tensor
from .rbm import _RBM

__all__ = ["GaussianBernoulliRBM"]


class GaussianBernoulliRBM(_RBM):
    r"""RBM with real-valued visibles of fixed unit variance and binary hiddens.

    .. math:: E(v, h) = \tfrac12\lVert v - b\rVert^2 - v^\top W h - c^\top h,

    so :math:`p(v\mid h) = \mathcal N(b + W h, I)` and
    :math:`F(v) = \tfrac12\lVert v-b\rVert^2 - \sum_j \operatorname{softplus}(c_j + v^\top W_{:j})`.
    Standardise the data (zero mean, unit variance per feature) before fitting;
    training, sampling and the rest of the interface are those of
    :class:`BernoulliRBM`, with a smaller default learning rate because the
    Gaussian visibles have unbounded gradients.

    Examples
    --------
    >>> x = torch.randn(500, 4, generator=torch.Generator().manual_seed(0))
    >>> rbm = GaussianBernoulliRBM(n_hidden=8, n_epochs=2, learning_rate=0.01).fit(x)

    Used in chapter 4.
    """

    visible_kind = "gaussian"

    def __init__(self, n_hidden: int = 16, method: str = "pcd", k: int = 1, learning_rate: float = 0.005,
                 n_epochs: int = 20, batch_size: int = 10, momentum: float = 0.0, weight_decay: float = 0.0,
                 n_chains: int | None = None, init_std: float = 0.01,
                 device: torch.device | str | None = None, dtype: torch.dtype = torch.float32,
                 progress: bool = False, monitor_size: int = 500):
        super().__init__(n_hidden, method, k, learning_rate, n_epochs, batch_size, momentum, weight_decay,
                         n_chains, init_std, device, dtype, progress, monitor_size)

    def _check_data(self, v: torch.Tensor, name: str = "v") -> torch.Tensor:
        check_tensor(v, name, ndim=2)
        if self.weights_ is not None and v.shape[1] != self.weights_.shape[0]:
            raise ValueError(f"{name} must have {self.weights_.shape[0]} features, got {v.shape[1]}")
        if not v.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor, got {v.dtype}")
        check_finite(v, name)
        return v

    def _initialise(self, data: torch.Tensor, generator: torch.Generator | None) -> None:
        super()._initialise(data, generator)
        self.visible_bias_ = data.mean(0).to(self.dtype)

    def _epoch_metrics(self, monitor: torch.Tensor) -> dict:
        return {"mean_free_energy": float(self.free_energy(monitor).mean())}

    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        self._check_fitted()
        self._check_layer(v, "v", 0)
        self._check_layer(h, "h", 1)
        v, h = v.to(self.weights_.dtype), h.to(self.weights_.dtype)
        return 0.5 * (v - self.visible_bias_).pow(2).sum(-1) - ((v @ self.weights_) * h).sum(-1) \
            - h @ self.hidden_bias_

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        self._check_fitted()
        self._check_layer(v, "v", 0)
        v = v.to(self.weights_.dtype)
        return 0.5 * (v - self.visible_bias_).pow(2).sum(-1) \
            - F.softplus(v @ self.weights_ + self.hidden_bias_).sum(-1)

    def visible_probs(self, h: torch.Tensor) -> torch.Tensor:
        """Mean of :math:`p(v\\mid h) = \\mathcal N(b + Wh, I)`, shape ``(batch, D)``."""
        self._check_fitted()
        self._check_layer(h, "h", 1)
        return h.to(self.weights_.dtype) @ self.weights_.T + self.visible_bias_

    def _default_init(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        return self.visible_bias_.expand(n, -1) + torch.randn(
            n, self.weights_.shape[0], generator=generator, device=self.weights_.device, dtype=self.weights_.dtype)

    def log_partition_exact(self, chunk_size: int = 2**14) -> float:
        r"""Exact :math:`\log Z` by enumerating the hidden layer (in float64 whatever the model's dtype).

        :math:`\int e^{-F} dv = \sum_h e^{c^\top h}\,(2\pi)^{D/2} e^{\frac12\lVert b+Wh\rVert^2 - \frac12\lVert b\rVert^2}`.
        """
        self._check_fitted()
        w = self.weights_.double()
        b, c = self.visible_bias_.double(), self.hidden_bias_.double()
        d, h = w.shape
        if h > 26:
            raise ValueError(f"exact log Z enumerates 2^{h} hidden states: too many (limit 26)")
        running = torch.tensor(-math.inf, dtype=torch.float64, device=w.device)
        for states in iter_states(h, "binary", chunk_size, device=w.device, dtype=torch.float64):
            mean = b + states @ w.T
            lw = states @ c + 0.5 * mean.pow(2).sum(-1) - 0.5 * b.pow(2).sum()
            running = torch.logaddexp(running, torch.logsumexp(lw, 0))
        return float(running) + 0.5 * d * math.log(2 * math.pi)
