r"""The Bernoulli–Bernoulli RBM, with its pseudo-likelihood and its exact and AIS normalisers."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..exact import iter_states
from ..metrics.ais import AISResult, ais, ais_betas
from ..utils import check_int
from .rbm import _RBM
from .rbm_gibbs import RBMAnnealingPath, RBMGibbs, _IndependentBernoulli

__all__ = ["BernoulliRBM"]


class BernoulliRBM(_RBM):
    r"""Bernoulli–Bernoulli RBM trained by CD-k or persistent CD.

    The log-likelihood gradient has a data term and a model term,

    .. math:: \frac{\partial \log p(v)}{\partial W} = v\,\mathbb E[h\mid v]^\top
        - \mathbb E_{p(v',h)}[v' h^\top],

    and the second is estimated with Gibbs samples: CD-k restarts a k-step chain
    at each data batch (Hinton, 2002); PCD keeps ``n_chains`` persistent chains
    running across updates (Tieleman, 2008). Updates use mean hidden
    activations (Rao–Blackwellised), optional momentum and L2 weight decay.

    Parameters
    ----------
    n_hidden : int
    method : {'cd', 'pcd'}
    k : int, Gibbs steps per update
    learning_rate : float
    n_epochs : int
    batch_size : int
    momentum : float in [0, 1)
    weight_decay : float, L2 coefficient on ``W``
    n_chains : int, optional, persistent chains for PCD (default ``batch_size``)
    init_std : float, standard deviation of the initial weights
    device, dtype : where and in what precision to train (float32 by default)
    progress : bool, show a progress bar over epochs
    monitor_size : int, training examples used for the per-epoch pseudo-likelihood in ``history_``;
        0 switches monitoring off (no reconstruction error or pseudo-likelihood: fastest training)

    Attributes
    ----------
    weights_ : Tensor ``(D, H)``
    visible_bias_ : Tensor ``(D,)``
    hidden_bias_ : Tensor ``(H,)``
    history_ : list of dict, per epoch: ``epoch``, ``reconstruction_error``,
        ``pseudo_log_likelihood`` (per dimension), ``seconds``
    chains_ : Tensor ``(n_chains, D)``, the persistent chains (PCD)

    Examples
    --------
    >>> from ebmbook.data import load_digits
    >>> data = load_digits(binarize=True)
    >>> rbm = BernoulliRBM(n_hidden=16, n_epochs=2).fit(data.x_train, generator=torch.Generator().manual_seed(0))
    >>> rbm.weights_.shape
    torch.Size([64, 16])

    Used in chapter 4.
    """

    # -- evaluation -----------------------------------------------------------------
    def _epoch_metrics(self, monitor: torch.Tensor) -> dict:
        return {"pseudo_log_likelihood": float(self.pseudo_log_likelihood(monitor).mean())}

    def pseudo_log_likelihood(self, v: torch.Tensor, chunk_size: int = 16) -> torch.Tensor:
        r"""Deterministic pseudo-log-likelihood per dimension, shape ``(batch,)``.

        .. math:: \mathrm{PL}(v) = \frac1D \sum_{i=1}^D \log p(v_i \mid v_{-i})
            = -\frac1D \sum_i \operatorname{softplus}\big(F(v) - F(v^{(i)})\big),

        summing over *every* bit :math:`i` (:math:`v^{(i)}` flips bit :math:`i`).
        scikit-learn's ``score_samples`` flips one random bit and scales by
        :math:`D`, which is noisy and grows with the number of features; this is
        exact and comparable across data sets.
        """
        self._check_fitted()
        self._check_data(v)
        chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
        v = v.to(self.weights_)
        with torch.no_grad():
            pre = v @ self.weights_ + self.hidden_bias_           # (B, H)
            f = self.free_energy(v)                                # (B,)
            sign = 1 - 2 * v                                       # +1 flips 0->1, -1 flips 1->0
            total = torch.zeros_like(f)
            d = v.shape[1]
            for start in range(0, d, chunk_size):
                idx = slice(start, min(start + chunk_size, d))
                delta = sign[:, idx]                               # (B, c)
                pre_flip = pre.unsqueeze(1) + delta.unsqueeze(-1) * self.weights_[idx].unsqueeze(0)
                f_flip = -(v @ self.visible_bias_).unsqueeze(1) - delta * self.visible_bias_[idx] \
                    - F.softplus(pre_flip).sum(-1)
                total += F.softplus(f.unsqueeze(1) - f_flip).sum(-1)
        return -total / d

    def log_partition_exact(self, chunk_size: int = 2**14) -> float:
        r"""Exact :math:`\log Z` by enumerating the smaller layer (in float64 whatever the model's dtype, chunked).

        Summing out the other layer in closed form, with hidden states enumerated,

        .. math:: \log Z = \log \sum_h \exp\Big(c^\top h + \sum_i \operatorname{softplus}(b_i + W_{i:}h)\Big),

        and symmetrically over visible states. Feasible up to about 24–26 units
        in the smaller layer.
        """
        self._check_fitted()
        w = self.weights_.double()
        b, c = self.visible_bias_.double(), self.hidden_bias_.double()
        d, h = w.shape
        if min(d, h) > 26:
            raise ValueError(f"exact log Z enumerates 2^{min(d, h)} states: too many (limit 26)")
        if h <= d:
            enum_bias, other_bias, weights, n = c, b, w.T, h        # enumerate hidden
        else:
            enum_bias, other_bias, weights, n = b, c, w, d          # enumerate visible
        running = torch.tensor(-math.inf, dtype=torch.float64, device=w.device)
        for states in iter_states(n, "binary", chunk_size, device=w.device, dtype=torch.float64):
            lw = states @ enum_bias + F.softplus(states @ weights + other_bias).sum(-1)
            running = torch.logaddexp(running, torch.logsumexp(lw, 0))
        return float(running)

    def log_partition_ais(self, n_runs: int = 100, betas: torch.Tensor | None = None,
                          base_data: torch.Tensor | None = None, *,
                          generator: torch.Generator | None = None) -> AISResult:
        r"""Estimate :math:`\log Z` by annealed importance sampling (Neal, 2001; Salakhutdinov & Murray, 2008).

        The base model is independent visible units with logits :math:`b_A`, the
        log-odds of ``base_data``'s marginals (or zero), so
        :math:`\log Z_A = \sum_i \operatorname{softplus}(b_{A,i})` and exact samples are
        independent Bernoullis. Intermediate models are RBMs with visible bias
        :math:`(1-\beta)b_A + \beta b`, weights :math:`\beta W` and hidden bias
        :math:`\beta c` (:class:`RBMAnnealingPath`), each visited by one step of
        :class:`RBMGibbs`; ``n_runs`` chains run in parallel, in float64. This is

        ``ais(self, base, RBMGibbs(), betas, n_runs, path=RBMAnnealingPath)``

        with :func:`ebmbook.metrics.ais`.

        Parameters
        ----------
        n_runs : int, ``>= 1``
        betas : Tensor, optional, strictly increasing from 0 to 1 (default :func:`ebmbook.metrics.ais_betas`)
        base_data : Tensor ``(n, D)``, optional, binary data for the base rates
        generator : torch.Generator, optional, on the model's device

        Returns
        -------
        AISResult

        Examples
        --------
        >>> rbm = BernoulliRBM(n_hidden=3)
        >>> rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_ = torch.randn(5, 3), torch.zeros(5), torch.zeros(3)
        >>> res = rbm.log_partition_ais(n_runs=100, betas=ais_betas(500), generator=torch.Generator().manual_seed(0))
        >>> abs(res.log_z - rbm.log_partition_exact()) < 0.1
        True
        """
        self._check_fitted()
        if betas is None:
            betas = ais_betas()
        w = self.weights_
        if base_data is not None:
            self._check_data(base_data, "base_data")
            if base_data.shape[0] == 0:
                raise ValueError("base_data must hold at least one example")
            p = base_data.double().mean(0).clamp(1e-3, 1 - 1e-3).to(w.device)
            b_base = torch.log(p / (1 - p))
        else:
            b_base = torch.zeros(w.shape[0], dtype=torch.float64, device=w.device)
        return ais(self, _IndependentBernoulli(b_base), RBMGibbs(), betas, n_runs, path=RBMAnnealingPath,
                   generator=generator)
