r"""Restricted Boltzmann machines: the machinery every RBM shares (conditionals, sampling, CD/PCD training).

A Bernoulli RBM has binary visible units :math:`v \in \{0,1\}^{D}` and hidden
units :math:`h \in \{0,1\}^{H}` with energy

.. math:: E(v, h) = -v^\top W h - b^\top v - c^\top h .

The graph is bipartite, so both conditionals factorise,
:math:`p(h_j = 1\mid v) = \sigma(c_j + v^\top W_{:j})` and
:math:`p(v_i = 1\mid h) = \sigma(b_i + W_{i:} h)`, and the hidden units sum out
in closed form, giving the free energy
:math:`F(v) = -b^\top v - \sum_j \operatorname{softplus}(c_j + v^\top W_{:j})`
with :math:`p(v) = e^{-F(v)}/Z`.

:class:`_RBM` holds what every RBM shares; the models are
:class:`ebmbook.models.BernoulliRBM` (``bernoulli_rbm.py``, with the exact and
AIS normalisers) and :class:`ebmbook.models.GaussianBernoulliRBM`
(``gaussian_rbm.py``); block Gibbs sampling is :class:`ebmbook.models.RBMGibbs`
(``rbm_gibbs.py``).
"""
from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F

from ..samplers.chain import run
from ..utils import (_check_real, check_device, check_finite, check_generator, check_int, check_nonnegative,
                     check_positive, check_tensor)
from .rbm_gibbs import RBMGibbs, RBMLayers

__all__: list[str] = []   # the models are exported by bernoulli_rbm.py and gaussian_rbm.py

METHODS = ("cd", "pcd")

# A parameter beyond this magnitude means training has diverged even while it is still finite: an RBM's
# conditionals saturate for inputs of a few tens, and float32 products of 1e6-sized weights are ~1e12 away
# from overflow (a Gaussian-Bernoulli RBM that diverged had weights of 4e8 and a reconstruction error of 1e19).
PARAMETER_LIMIT = 1e6


class _RBM:
    """Shared machinery of the RBMs: settings, conditionals, sampling, CD/PCD training, divergence guard."""

    #: the visible units' conditional, for :class:`RBMGibbs`
    visible_kind = "bernoulli"

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
        self.device = check_device(device)
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise TypeError(f"dtype must be a floating-point torch.dtype (e.g. torch.float32), got {dtype!r}")
        self.dtype = dtype
        self.progress = progress
        self.monitor_size = check_int(monitor_size, "monitor_size", minimum=0)
        self.weights_: torch.Tensor | None = None
        self.visible_bias_: torch.Tensor | None = None
        self.hidden_bias_: torch.Tensor | None = None

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

    def _check_layer(self, x: torch.Tensor, name: str, axis: int) -> torch.Tensor:
        """Check that ``x`` is a tensor whose last dimension is the visible (``axis`` 0) or hidden (1) width."""
        check_tensor(x, name, min_ndim=1)
        width = self.weights_.shape[axis]
        if x.shape[-1] != width:
            raise ValueError(f"{name} must have last dimension {width} ({'visible' if axis == 0 else 'hidden'} "
                             f"units of this RBM), got shape {tuple(x.shape)}")
        return x

    def _check_fitted(self) -> None:
        """Refuse to use a model without parameters (clearly, not with an AttributeError on ``None``)."""
        w, b, c = self.weights_, self.visible_bias_, self.hidden_bias_
        if w is None or b is None or c is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(data) first (or set weights_, "
                               "visible_bias_ and hidden_bias_)")
        if w.ndim != 2 or tuple(b.shape) != (w.shape[0],) or tuple(c.shape) != (w.shape[1],):
            raise ValueError(f"weights_ {tuple(w.shape)}, visible_bias_ {tuple(b.shape)} and hidden_bias_ "
                             f"{tuple(c.shape)} do not fit together: expected (D, H), (D,) and (H,)")

    def _rbm_layers(self) -> RBMLayers:
        """The parameters :class:`RBMGibbs` samples with (the tensors themselves: in-place updates are seen)."""
        self._check_fitted()
        return RBMLayers(self.weights_, self.visible_bias_, self.hidden_bias_, self.visible_kind)

    # -- the model ------------------------------------------------------------------
    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """Joint energy :math:`E(v,h)`, shape ``(batch,)``."""
        self._check_fitted()
        self._check_layer(v, "v", 0)
        self._check_layer(h, "h", 1)
        v, h = v.to(self.weights_.dtype), h.to(self.weights_.dtype)
        return -((v @ self.weights_) * h).sum(-1) - v @ self.visible_bias_ - h @ self.hidden_bias_

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        r"""Free energy :math:`F(v) = -b^\top v - \sum_j \operatorname{softplus}(c_j + v^\top W_{:j})`, ``(batch,)``."""
        self._check_fitted()
        self._check_layer(v, "v", 0)
        v = v.to(self.weights_.dtype)
        return -v @ self.visible_bias_ - F.softplus(v @ self.weights_ + self.hidden_bias_).sum(-1)

    def __call__(self, v: torch.Tensor) -> torch.Tensor:
        """The marginal energy of the visibles (the free energy): an ebmbook energy callable."""
        return self.free_energy(v)

    def hidden_probs(self, v: torch.Tensor) -> torch.Tensor:
        """:math:`p(h_j = 1 \\mid v)`, shape ``(batch, H)``."""
        self._check_fitted()
        self._check_layer(v, "v", 0)
        return torch.sigmoid(v.to(self.weights_.dtype) @ self.weights_ + self.hidden_bias_)

    def visible_probs(self, h: torch.Tensor) -> torch.Tensor:
        """:math:`p(v_i = 1 \\mid h)`, shape ``(batch, D)``."""
        self._check_fitted()
        self._check_layer(h, "h", 1)
        return torch.sigmoid(h.to(self.weights_.dtype) @ self.weights_.T + self.visible_bias_)

    def gibbs_step(self, v: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """One block-Gibbs step :math:`v \\to h \\to v'` for every chain, shape ``(batch, D)``.

        A step of :class:`ebmbook.models.RBMGibbs`; to run chains, use :meth:`sample`.
        """
        sampler = RBMGibbs(self)
        with torch.no_grad():
            state, _ = sampler.step(sampler.init(v), generator=generator)
        return state.position

    def sample(self, n: int, n_steps: int = 1000, *, init: torch.Tensor | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Run ``n`` independent block-Gibbs chains for ``n_steps`` and return their states ``(n, D)``.

        The chains are :class:`RBMGibbs` chains run by :func:`ebmbook.samplers.run`.
        They start from ``init`` ``(n, D)`` (e.g. data) or, by default, from
        independent draws with the model's visible biases (Bernoulli with
        probabilities :math:`\\sigma(b)`; Gaussian :math:`\\mathcal N(b, I)`).
        """
        self._check_fitted()
        n = check_int(n, "n", minimum=1)
        n_steps = check_int(n_steps, "n_steps", minimum=0)
        check_generator(generator, "generator", device=self.weights_.device)
        if init is None:
            v = self._default_init(n, generator)
        else:
            v = self._check_data(init, "init").to(self.weights_)
            if v.shape[0] != n:
                raise ValueError(f"init must hold n = {n} chains, got shape {tuple(init.shape)}")
        with torch.no_grad():
            return run(RBMGibbs(self), v, n_steps, generator=generator).position

    def _default_init(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        return torch.bernoulli(torch.sigmoid(self.visible_bias_).expand(n, -1), generator=generator)

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
            Empty, non-binary, NaN or wrongly shaped data.
        FloatingPointError
            If training diverges: a parameter becomes non-finite or exceeds
            ``PARAMETER_LIMIT`` (1e6) in magnitude, or the monitored reconstruction
            error or free energies become non-finite (e.g. a learning rate far too large).
            ``history_`` holds the epochs up to and including the failed one.
        """
        self.weights_ = self.visible_bias_ = self.hidden_bias_ = None
        self._check_data(data, "data")
        if data.shape[0] == 0 or data.shape[1] == 0:
            raise ValueError(f"data must hold at least one example with at least one feature, got shape "
                             f"{tuple(data.shape)}")
        device = self.device or data.device
        check_generator(generator, "generator", device=device)
        data = data.to(device=device, dtype=self.dtype)
        self._initialise(data, generator)
        # The one block-Gibbs sampler of the negative phase; bound to the parameter tensors, which
        # the updates change in place.
        self._gibbs = RBMGibbs(self)
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
                metrics = {"reconstruction_error": float(recon) / n, **self._epoch_metrics(monitor)} \
                    if monitoring else {}
                self.history_.append({"epoch": epoch + 1, **metrics, "seconds": time.perf_counter() - start})
                # NaN probabilities draw zeros (u < NaN is false) and huge weights stay finite for a while,
                # so divergence is caught here, once per epoch, from the parameters and the monitors.
                self._check_divergence(epoch, params, metrics)
        return self

    def _update(self, v_pos: torch.Tensor, params, velocity, generator,
                monitoring: bool = True) -> torch.Tensor | None:
        """One CD/PCD parameter update on a batch; returns its summed squared reconstruction error
        (``None`` when not ``monitoring``: it costs one more matrix product per batch)."""
        # The negative phase: k block-Gibbs sweeps of RBMGibbs from the data (CD) or the persistent
        # chains (PCD). Training needs no energies, so it runs the sweep without a sampler state; the
        # input c + v W is kept, so the chains' hidden probabilities (for CD also the data's) cost
        # no extra product.
        gibbs = self._gibbs
        v_neg = v_pos if self.method == "cd" else self.chains_
        hidden_input = gibbs.hidden_input(v_neg)
        h_pos = torch.sigmoid(hidden_input if self.method == "cd" else gibbs.hidden_input(v_pos))
        for _ in range(self.k):
            v_neg, _ = gibbs.sweep(hidden_input, generator=generator)
            hidden_input = gibbs.hidden_input(v_neg)
        if self.method == "pcd":
            self.chains_ = v_neg
        h_neg = torch.sigmoid(hidden_input)
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

    def _check_divergence(self, epoch: int, params, metrics: dict) -> None:
        """Raise FloatingPointError if the parameters or the epoch's monitors show divergence."""
        problems = []
        if not all(bool(torch.isfinite(p).all()) for p in params):
            problems.append("the parameters became non-finite")
        else:
            largest = max(float(p.abs().max()) for p in params)
            if largest > PARAMETER_LIMIT:
                problems.append(f"the parameters exploded (largest magnitude {largest:.3g} > {PARAMETER_LIMIT:g})")
        bad = [name for name, value in metrics.items() if not math.isfinite(value)]
        if bad:
            problems.append(f"the monitored {' and '.join(bad)} became non-finite")
        if problems:
            raise FloatingPointError(
                f"{type(self).__name__} training diverged in epoch {epoch + 1}: {'; '.join(problems)}. Lower "
                f"learning_rate (now {self.learning_rate}) or weight_decay (now {self.weight_decay})")

    def log_likelihood(self, v: torch.Tensor, log_z: float) -> torch.Tensor:
        """:math:`\\log p(v) = -F(v) - \\log Z`, shape ``(batch,)`` (float64)."""
        self._check_data(v)
        log_z = _check_real(log_z, "log_z")
        return -self.free_energy(v.to(self.weights_)).double() - log_z

    def _epoch_metrics(self, monitor: torch.Tensor) -> dict:
        """Extra per-epoch entries of ``history_`` (overridden by each RBM)."""
        return {}
