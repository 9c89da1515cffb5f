r"""Restricted Boltzmann machines trained with contrastive divergence, and their exact/AIS normalisers.

A Bernoulli RBM has binary visible units :math:`v \in \{0,1\}^{D}` and hidden
units :math:`h \in \{0,1\}^{H}` with energy

.. math:: E(v, h) = -v^\top W h - b^\top v - c^\top h .

The graph is bipartite, so both conditionals factorise,
:math:`p(h_j = 1\mid v) = \sigma(c_j + v^\top W_{:j})` and
:math:`p(v_i = 1\mid h) = \sigma(b_i + W_{i:} h)`, and the hidden units sum out
in closed form, giving the free energy
:math:`F(v) = -b^\top v - \sum_j \operatorname{softplus}(c_j + v^\top W_{:j})`
with :math:`p(v) = e^{-F(v)}/Z`.
"""
from __future__ import annotations

import math
import time
from typing import NamedTuple

import torch
import torch.nn.functional as F

from ..exact import iter_states
from ..utils import check_finite, check_int, check_nonnegative, check_positive, check_tensor

__all__ = ["BernoulliRBM", "GaussianBernoulliRBM", "AISResult", "ais_betas"]

METHODS = ("cd", "pcd")


class AISResult(NamedTuple):
    """Annealed importance sampling estimate of :math:`\\log Z`.

    Attributes
    ----------
    log_z : float, :math:`\\log Z_A + \\log \\frac1M\\sum_m w_m`
    log_z_low, log_z_high : float, :math:`\\log(\\bar w \\mp 3\\,\\mathrm{se}(\\bar w)) + \\log Z_A`
        (the bracket of Salakhutdinov & Murray, 2008; ``log_z_low`` is ``-inf`` when the
        bracket reaches zero)
    log_weights : Tensor ``(n_runs,)``, float64, the log importance weights
    ess : float, effective number of runs :math:`(\\sum w)^2 / \\sum w^2`
    """

    log_z: float
    log_z_low: float
    log_z_high: float
    log_weights: torch.Tensor
    ess: float


def ais_betas(n_betas: int = 14500) -> torch.Tensor:
    """Inverse temperatures for AIS, denser near 1 (Salakhutdinov & Murray, 2008).

    The default 14,500 splits as 500 in [0, 0.5), 4,000 in [0.5, 0.9) and
    10,000 in [0.9, 1]; other sizes keep those proportions.
    """
    n_betas = check_int(n_betas, "n_betas", minimum=3)
    n1 = max(1, round(n_betas * 500 / 14500))
    n2 = max(1, round(n_betas * 4000 / 14500))
    n3 = max(1, n_betas - n1 - n2)
    return torch.cat([
        torch.linspace(0, 0.5, n1 + 1, dtype=torch.float64)[:-1],
        torch.linspace(0.5, 0.9, n2 + 1, dtype=torch.float64)[:-1],
        torch.linspace(0.9, 1.0, n3, dtype=torch.float64),
    ])


def _log_mean_exp(x: torch.Tensor) -> float:
    return float(torch.logsumexp(x, 0) - math.log(x.numel()))


def _bernoulli(p: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """Independent 0/1 draws with probabilities ``p``, as ``u < p`` for uniform ``u``; same shape and dtype.

    The same distribution as ``torch.bernoulli(p)``, whose CPU kernel draws one element
    at a time: this is 2-3 times faster there (bernoulli took 40% of a PCD-1 update on the
    digits with 256 hidden units and batches of 100; ``benchmarks/bench_rbm.py``).
    """
    return torch.rand(p.shape, generator=generator, device=p.device, dtype=p.dtype).lt_(p)


class _RBM:
    """Shared machinery of the RBMs: settings, conditionals, block Gibbs, CD/PCD training."""

    def __init__(self, n_hidden: int = 16, method: str = "pcd", k: int = 1, learning_rate: float = 0.05,
                 n_epochs: int = 20, batch_size: int = 10, momentum: float = 0.0, weight_decay: float = 0.0,
                 n_chains: int | None = None, init_std: float = 0.01,
                 device: torch.device | str | None = None, dtype: torch.dtype = torch.float32,
                 progress: bool = False, monitor_size: int = 500):
        self.n_hidden = check_int(n_hidden, "n_hidden", minimum=1)
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        self.method = method
        self.k = check_int(k, "k", minimum=1)
        self.learning_rate = check_positive(learning_rate, "learning_rate")
        self.n_epochs = check_int(n_epochs, "n_epochs", minimum=0)
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        self.momentum = check_nonnegative(momentum, "momentum")
        if self.momentum >= 1:
            raise ValueError(f"momentum must be < 1, got {momentum}")
        self.weight_decay = check_nonnegative(weight_decay, "weight_decay")
        self.n_chains = check_int(n_chains, "n_chains", minimum=1) if n_chains is not None else None
        self.init_std = check_nonnegative(init_std, "init_std")
        self.device = torch.device(device) if device is not None else None
        self.dtype = dtype
        self.progress = progress
        self.monitor_size = check_int(monitor_size, "monitor_size", minimum=0)
        self.weights_: torch.Tensor | None = None

    # -- input checks ---------------------------------------------------------------
    def _check_data(self, v: torch.Tensor, name: str = "v") -> torch.Tensor:
        check_tensor(v, name, ndim=2)
        if self.weights_ is not None and v.shape[1] != self.weights_.shape[0]:
            raise ValueError(f"{name} must have {self.weights_.shape[0]} features, got {v.shape[1]}")
        if v.is_floating_point():
            check_finite(v, name)
        if not bool(((v == 0) | (v == 1)).all()):
            raise ValueError(f"{name} must be binary (0/1) for a Bernoulli RBM; binarise it first")
        return v

    def _check_fitted(self) -> None:
        if self.weights_ is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(data) first")

    # -- the model ------------------------------------------------------------------
    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """Joint energy :math:`E(v,h)`, shape ``(batch,)``."""
        self._check_fitted()
        v, h = v.to(self.weights_.dtype), h.to(self.weights_.dtype)
        return -((v @ self.weights_) * h).sum(-1) - v @ self.visible_bias_ - h @ self.hidden_bias_

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        r"""Free energy :math:`F(v) = -b^\top v - \sum_j \operatorname{softplus}(c_j + v^\top W_{:j})`, ``(batch,)``."""
        self._check_fitted()
        v = v.to(self.weights_.dtype)
        return -v @ self.visible_bias_ - F.softplus(v @ self.weights_ + self.hidden_bias_).sum(-1)

    def __call__(self, v: torch.Tensor) -> torch.Tensor:
        """The marginal energy of the visibles (the free energy): an ebmbook energy callable."""
        return self.free_energy(v)

    def hidden_probs(self, v: torch.Tensor) -> torch.Tensor:
        """:math:`p(h_j = 1 \\mid v)`, shape ``(batch, H)``."""
        return torch.sigmoid(v.to(self.weights_.dtype) @ self.weights_ + self.hidden_bias_)

    def visible_probs(self, h: torch.Tensor) -> torch.Tensor:
        """:math:`p(v_i = 1 \\mid h)`, shape ``(batch, D)``."""
        return torch.sigmoid(h.to(self.weights_.dtype) @ self.weights_.T + self.visible_bias_)

    def gibbs_step(self, v: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """One block-Gibbs step :math:`v \\to h \\to v'` for every chain, shape ``(batch, D)``."""
        h = _bernoulli(self.hidden_probs(v), generator)
        return _bernoulli(self.visible_probs(h), generator)

    def sample(self, n: int, n_steps: int = 1000, *, init: torch.Tensor | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Run ``n`` independent block-Gibbs chains for ``n_steps`` and return their states ``(n, D)``.

        Chains start from ``init`` (e.g. data) or, by default, from independent
        Bernoulli draws with the model's visible-bias probabilities.
        """
        self._check_fitted()
        n = check_int(n, "n", minimum=1)
        n_steps = check_int(n_steps, "n_steps", minimum=0)
        if init is None:
            p = torch.sigmoid(self.visible_bias_).expand(n, -1)
            v = torch.bernoulli(p, generator=generator)
        else:
            v = self._check_data(init, "init").to(self.weights_)
        with torch.no_grad():
            for _ in range(n_steps):
                v = self.gibbs_step(v, generator)
        return v

    # -- training -------------------------------------------------------------------
    def _initialise(self, data: torch.Tensor, generator: torch.Generator | None) -> None:
        d = data.shape[1]
        dev = data.device
        self.weights_ = torch.randn(d, self.n_hidden, generator=generator, device=dev, dtype=self.dtype) * self.init_std
        # Visible biases at the data log-odds: the model starts at the independent-Bernoulli fit.
        p = data.mean(0).clamp(1e-3, 1 - 1e-3)
        self.visible_bias_ = torch.log(p / (1 - p)).to(self.dtype)
        self.hidden_bias_ = torch.zeros(self.n_hidden, device=dev, dtype=self.dtype)
        n_chains = self.n_chains or self.batch_size
        idx = torch.randint(data.shape[0], (n_chains,), generator=generator, device=dev)
        self.chains_ = data[idx].clone()
        self.history_ = []

    def fit(self, data: torch.Tensor, *, generator: torch.Generator | None = None) -> "_RBM":
        """Train on binary ``data`` of shape ``(n, D)``; returns ``self``.

        Raises
        ------
        ValueError
            Non-binary, NaN or wrongly shaped data.
        FloatingPointError
            If the parameters become non-finite (e.g. a learning rate far too large).
        """
        self.weights_ = None
        self._check_data(data, "data")
        device = self.device or data.device
        data = data.to(device=device, dtype=self.dtype)
        self._initialise(data, generator)
        n = data.shape[0]
        params = (self.weights_, self.visible_bias_, self.hidden_bias_)
        velocity = [torch.zeros_like(p) for p in params]
        epochs = range(self.n_epochs)
        if self.progress:
            from tqdm.auto import tqdm

            epochs = tqdm(epochs, desc=f"{self.method.upper()}-{self.k}", leave=False)
        monitor = data[: self.monitor_size]
        with torch.no_grad():
            for epoch in epochs:
                start = time.perf_counter()
                order = torch.randperm(n, generator=generator, device=generator.device if generator is not None else "cpu").to(device)
                recon = torch.zeros((), device=device, dtype=self.dtype)
                monitoring = self.monitor_size > 0
                for begin in range(0, n, self.batch_size):
                    err = self._update(data[order[begin:begin + self.batch_size]], params, velocity, generator,
                                       monitoring)
                    if monitoring:
                        recon += err
                # NaN probabilities draw zeros (u < NaN is false), so divergence is caught here, once per epoch
                if not all(bool(torch.isfinite(p).all()) for p in params):
                    raise FloatingPointError(self._divergence_message(epoch))
                metrics = {"reconstruction_error": float(recon) / n, **self._epoch_metrics(monitor)} \
                    if monitoring else {}
                self.history_.append({"epoch": epoch + 1, **metrics, "seconds": time.perf_counter() - start})
        return self

    def _update(self, v_pos: torch.Tensor, params, velocity, generator,
                monitoring: bool = True) -> torch.Tensor | None:
        """One CD/PCD parameter update on a batch; returns its summed squared reconstruction error
        (``None`` when not ``monitoring``: it costs one more matrix product per batch)."""
        h_pos = self.hidden_probs(v_pos)
        v_neg = v_pos if self.method == "cd" else self.chains_
        for _ in range(self.k):
            v_neg = self.gibbs_step(v_neg, generator)
        if self.method == "pcd":
            self.chains_ = v_neg
        h_neg = self.hidden_probs(v_neg)
        # velocity <- momentum * velocity + learning_rate * gradient, then parameters += velocity, where
        #   grad W = <v h^T>_data - <v h^T>_model - weight_decay * W,
        #   grad b = <v>_data - <v>_model,  grad c = <h>_data - <h>_model.
        # The W part goes into the velocity in place with addmm_ (beta * self + alpha * mat1 @ mat2): no
        # (D, H) temporaries, 8% faster at MNIST size (benchmarks/bench_rbm.py).
        vel_w, vel_b, vel_c = velocity
        lr, m = self.learning_rate, self.momentum
        vel_w.addmm_(v_pos.T, h_pos, beta=m, alpha=lr / v_pos.shape[0])
        vel_w.addmm_(v_neg.T, h_neg, alpha=-lr / v_neg.shape[0])
        if self.weight_decay:
            vel_w.add_(self.weights_, alpha=-lr * self.weight_decay)
        vel_b.mul_(m).add_(v_pos.mean(0) - v_neg.mean(0), alpha=lr)
        vel_c.mul_(m).add_(h_pos.mean(0) - h_neg.mean(0), alpha=lr)
        for p, vel in zip(params, velocity):
            p.add_(vel)
        return (v_pos - self.visible_probs(h_pos)).pow(2).sum() if monitoring else None

    def _divergence_message(self, epoch: int) -> str:
        return (f"RBM parameters became non-finite in epoch {epoch + 1}: lower learning_rate "
                f"(now {self.learning_rate}) or weight_decay (now {self.weight_decay})")

    def log_likelihood(self, v: torch.Tensor, log_z: float) -> torch.Tensor:
        """:math:`\\log p(v) = -F(v) - \\log Z`, shape ``(batch,)`` (float64)."""
        self._check_data(v)
        return -self.free_energy(v.to(self.weights_)).double() - log_z

    def _epoch_metrics(self, monitor: torch.Tensor) -> dict:
        """Extra per-epoch entries of ``history_`` (overridden by each RBM)."""
        return {}


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
        r"""Exact :math:`\log Z` by enumerating the smaller layer (float64, chunked).

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
        for states in iter_states(n, "binary", chunk_size, device=w.device):
            lw = states @ enum_bias + F.softplus(states @ weights + other_bias).sum(-1)
            running = torch.logaddexp(running, torch.logsumexp(lw, 0))
        return float(running)

    def log_partition_ais(self, n_runs: int = 100, betas: torch.Tensor | None = None,
                          base_data: torch.Tensor | None = None, *,
                          generator: torch.Generator | None = None) -> AISResult:
        r"""Estimate :math:`\log Z` by annealed importance sampling (Neal, 2001; Salakhutdinov & Murray, 2008).

        The base model has no hidden interactions and visible biases :math:`b_A`
        set to the log-odds of ``base_data``'s marginals (or zero), so
        :math:`\log Z_A = \sum_i \operatorname{softplus}(b_{A,i}) + H\log 2` and exact
        samples are independent Bernoullis. Intermediate models are RBMs with visible bias
        :math:`(1-\beta)b_A + \beta b`, weights :math:`\beta W` and hidden bias
        :math:`\beta c`, each visited by one block-Gibbs step; ``n_runs`` chains run
        in parallel.

        Parameters
        ----------
        n_runs : int
        betas : Tensor, optional, increasing from 0 to 1 (default :func:`ais_betas`)
        base_data : Tensor ``(n, D)``, optional, binary data for the base rates
        generator : torch.Generator, optional

        Returns
        -------
        AISResult
        """
        self._check_fitted()
        n_runs = check_int(n_runs, "n_runs", minimum=2)
        if betas is None:
            betas = ais_betas()
        check_tensor(betas, "betas", ndim=1)
        betas = betas.double()
        if betas.numel() < 2 or float(betas[0]) != 0.0 or float(betas[-1]) != 1.0 \
                or bool((betas.diff() < 0).any()):
            raise ValueError("betas must increase from 0 to 1")
        w, b, c = self.weights_.double(), self.visible_bias_.double(), self.hidden_bias_.double()
        if base_data is not None:
            p = self._check_data(base_data, "base_data").double().mean(0).clamp(1e-3, 1 - 1e-3).to(w.device)
            b_base = torch.log(p / (1 - p))
        else:
            b_base = torch.zeros_like(b)
        # At beta = 0 the hidden units are free: each contributes a factor 2.
        log_z_base = float(F.softplus(b_base).sum()) + w.shape[1] * math.log(2.0)

        def log_p_star(v, beta):
            return ((1 - beta) * b_base + beta * b) @ v.T + F.softplus(beta * (v @ w + c)).sum(-1)

        betas = betas.tolist()
        with torch.no_grad():
            v = torch.bernoulli(torch.sigmoid(b_base).expand(n_runs, -1), generator=generator)
            log_w = torch.zeros(n_runs, dtype=torch.float64, device=w.device)
            for prev, beta in zip(betas[:-1], betas[1:]):
                log_w += log_p_star(v, beta) - log_p_star(v, prev)
                h = torch.bernoulli(torch.sigmoid(beta * (v @ w + c)), generator=generator)
                v = torch.bernoulli(torch.sigmoid((1 - beta) * b_base + beta * (b + h @ w.T)), generator=generator)
        log_mean = _log_mean_exp(log_w)
        # relative standard error of the mean weight, computed in a stable scale
        scaled = torch.exp(log_w - log_w.max())
        rel_se = float(scaled.std() / (scaled.mean() * math.sqrt(n_runs)))
        ess = float(scaled.sum() ** 2 / scaled.pow(2).sum())
        low = log_z_base + log_mean + (math.log(1 - 3 * rel_se) if rel_se < 1 / 3 else -math.inf)
        return AISResult(log_z_base + log_mean, low, log_z_base + log_mean + math.log1p(3 * rel_se),
                         log_w.cpu(), ess)


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
        v, h = v.to(self.weights_.dtype), h.to(self.weights_.dtype)
        return 0.5 * (v - self.visible_bias_).pow(2).sum(-1) - ((v @ self.weights_) * h).sum(-1) \
            - h @ self.hidden_bias_

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        self._check_fitted()
        v = v.to(self.weights_.dtype)
        return 0.5 * (v - self.visible_bias_).pow(2).sum(-1) \
            - F.softplus(v @ self.weights_ + self.hidden_bias_).sum(-1)

    def visible_probs(self, h: torch.Tensor) -> torch.Tensor:
        """Mean of :math:`p(v\\mid h) = \\mathcal N(b + Wh, I)`, shape ``(batch, D)``."""
        return h.to(self.weights_.dtype) @ self.weights_.T + self.visible_bias_

    def gibbs_step(self, v: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        h = _bernoulli(self.hidden_probs(v), generator)
        mean = self.visible_probs(h)
        return mean + torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)

    def sample(self, n: int, n_steps: int = 1000, *, init: torch.Tensor | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        self._check_fitted()
        n = check_int(n, "n", minimum=1)
        if init is None:
            init = self.visible_bias_.expand(n, -1) + torch.randn(
                n, self.weights_.shape[0], generator=generator, device=self.weights_.device, dtype=self.weights_.dtype)
        return super().sample(n, n_steps, init=init, generator=generator)

    def log_partition_exact(self, chunk_size: int = 2**14) -> float:
        r"""Exact :math:`\log Z` by enumerating the hidden layer.

        :math:`\int e^{-F} dv = \sum_h e^{c^\top h}\,(2\pi)^{D/2} e^{\frac12\lVert b+Wh\rVert^2 - \frac12\lVert b\rVert^2}`.
        """
        self._check_fitted()
        w = self.weights_.double()
        b, c = self.visible_bias_.double(), self.hidden_bias_.double()
        d, h = w.shape
        if h > 26:
            raise ValueError(f"exact log Z enumerates 2^{h} hidden states: too many (limit 26)")
        running = torch.tensor(-math.inf, dtype=torch.float64, device=w.device)
        for states in iter_states(h, "binary", chunk_size, device=w.device):
            mean = b + states @ w.T
            lw = states @ c + 0.5 * mean.pow(2).sum(-1) - 0.5 * b.pow(2).sum()
            running = torch.logaddexp(running, torch.logsumexp(lw, 0))
        return float(running) + 0.5 * d * math.log(2 * math.pi)

