r"""Noise-contrastive estimation: learn an unnormalised density, and its log Z, by telling data from noise.

Gutmann & Hyvärinen (2010, 2012) turn density estimation into logistic regression. Draw
:math:`\nu` noise points :math:`y \sim p_n` per data point :math:`x \sim p_d` and classify
each point with the log-odds

.. math:: G(u) = \log p_\theta(u) - \log p_n(u) - \log \nu, \qquad
    P(\text{data} \mid u) = \sigma(G(u)).

The loss is the classifier's negative log-likelihood, per data point,

.. math:: J(\theta) = -\mathbb E_{p_d}\big[\log \sigma(G(x))\big]
    - \nu\, \mathbb E_{p_n}\big[\log \sigma(-G(y))\big].

Its minimiser over *all* functions is :math:`p_\theta = p_d` wherever :math:`p_n > 0`, and because
the classifier sees the model's *normalised* density, a model
:math:`\log p_\theta = -E_\theta - c` with a free constant :math:`c` learns
:math:`c = \log Z_\theta` too (:class:`ebmbook.energies.SelfNormalized`). Larger :math:`\nu`
lowers the estimator's variance towards maximum likelihood's; noise that does not cover the data
leaves the model free where :math:`p_n = 0`, and noise far from the data makes the task too easy
to be informative. :func:`info_nce_loss` is the ranking cousin (one positive among N candidates)
behind contrastive representation learning.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..utils import check_finite, check_generator, check_positive, check_tensor
from .base import LossOutput

__all__ = ["nce_loss", "NCE", "info_nce_loss", "InfoNCE"]


def _check_log_density(t, name: str, allow_neg_inf: bool = False) -> torch.Tensor:
    check_tensor(t, name, ndim=1, floating=True)
    if t.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one value, got shape (0,)")
    bad = torch.isnan(t) | (t == math.inf)
    if not allow_neg_inf:
        bad |= t == -math.inf
    if bool(bad.any()):
        what = "NaN or +inf" if allow_neg_inf else "NaN or infinite values"
        raise ValueError(f"{name} contains {what}")
    return t


def nce_loss(log_model_data: torch.Tensor, log_model_noise: torch.Tensor, log_noise_data: torch.Tensor,
             log_noise_noise: torch.Tensor, noise_ratio: float = 1.0) -> torch.Tensor:
    r"""The NCE loss of Gutmann & Hyvärinen (2012), from the four log densities.

    .. math:: J = -\frac1{n_d}\sum_{i} \log\sigma\big(G(x_i)\big)
        - \frac{\nu}{n_n}\sum_j \log\sigma\big(-G(y_j)\big), \qquad
        G = \log p_\theta - \log p_n - \log\nu .

    With :math:`n_n = \nu n_d` noise points this is the paper's objective (per data point);
    other noise counts give an unbiased estimate of the same population loss.

    Parameters
    ----------
    log_model_data : Tensor, shape ``(n_d,)``, :math:`\log p_\theta(x_i)` (normalised by the
        model's own log Z estimate), differentiable in the parameters
    log_model_noise : Tensor, shape ``(n_n,)``, :math:`\log p_\theta(y_j)`
    log_noise_data : Tensor, shape ``(n_d,)``, :math:`\log p_n(x_i)`; ``-inf`` is allowed (a data
        point outside the noise's support is classified as data with certainty and teaches nothing)
    log_noise_noise : Tensor, shape ``(n_n,)``, :math:`\log p_n(y_j)`, finite
    noise_ratio : float, :math:`\nu > 0`, noise points per data point

    Returns
    -------
    Tensor, scalar

    Examples
    --------
    >>> lm_d, lm_n = torch.tensor([-1.0, -1.2]), torch.tensor([-3.0, -2.5])
    >>> ln_d, ln_n = torch.tensor([-2.0, -2.0]), torch.tensor([-2.0, -2.0])
    >>> round(float(nce_loss(lm_d, lm_n, ln_d, ln_n)), 4)
    0.7359

    Used in chapter 7.
    """
    log_model_data = _check_log_density(log_model_data, "log_model_data")
    log_model_noise = _check_log_density(log_model_noise, "log_model_noise")
    log_noise_data = _check_log_density(log_noise_data, "log_noise_data", allow_neg_inf=True)
    log_noise_noise = _check_log_density(log_noise_noise, "log_noise_noise")
    if log_noise_data.shape != log_model_data.shape:
        raise ValueError(f"log_noise_data must have the shape of log_model_data {tuple(log_model_data.shape)}, "
                         f"got {tuple(log_noise_data.shape)}")
    if log_noise_noise.shape != log_model_noise.shape:
        raise ValueError(f"log_noise_noise must have the shape of log_model_noise {tuple(log_model_noise.shape)}, "
                         f"got {tuple(log_noise_noise.shape)}")
    nu = check_positive(noise_ratio, "noise_ratio")
    g_data = log_model_data - log_noise_data - math.log(nu)
    g_noise = log_model_noise - log_noise_noise - math.log(nu)
    return -F.logsigmoid(g_data).mean() - nu * F.logsigmoid(-g_noise).mean()


def _device_of(module) -> torch.device | None:
    if not isinstance(module, nn.Module):
        return None
    tensor = next(iter(module.parameters()), None)
    if tensor is None:
        tensor = next(iter(module.buffers()), None)
    return None if tensor is None else tensor.device


class NCE:
    r"""Noise-contrastive estimation as a training objective for :class:`ebmbook.train.Trainer`.

    Each call draws :math:`\text{round}(\nu \cdot \text{batch})` noise points from ``noise`` and
    returns :func:`nce_loss` of the batch against them. The model must expose a normalised
    ``log_prob(x)``: wrap an energy in :class:`ebmbook.energies.SelfNormalized` so that NCE learns its
    log Z (the Trainer trains the wrapper's ``log_z`` with the energy).

    Parameters
    ----------
    noise : a fixed distribution with ``log_prob(x) -> (batch,)`` and ``sample(n, *, generator)``
        on the model's device: a :class:`~ebmbook.energies.Gaussian` (e.g.
        ``Gaussian.fit(data)``), a :class:`~ebmbook.energies.GaussianMixture`, a
        :class:`~ebmbook.energies.UniformBox`, or a user's normalising flow. It is never trained
        (its log density is evaluated without gradients). It must cover the data: where the
        noise has no mass the model is not constrained.
    noise_ratio : float, :math:`\nu > 0`, noise points per data point

    Attributes
    ----------
    guarded : ("energy_data", "energy_noise"), the mean energies the trainer's divergence guard bounds

    Notes
    -----
    Logged metrics: loss; accuracy (of the data-versus-noise classifier over all points); energy_data and
    energy_noise (mean model energy on each); log_z (the model's, when it has one)

    Examples
    --------
    >>> from ebmbook.energies import Gaussian, SelfNormalized
    >>> from ebmbook.models import MLPEnergy
    >>> from ebmbook.train import Trainer
    >>> data = torch.randn(512, 2)
    >>> objective = NCE(Gaussian.fit(data), noise_ratio=4.0)
    >>> trainer = Trainer(SelfNormalized(MLPEnergy(2, (16,))), objective, lr=1e-2, progress=False)
    >>> trainer.fit(data, n_steps=3, batch_size=64).step
    3

    Used in chapter 7.
    """

    guarded: tuple[str, ...] = ("energy_data", "energy_noise")

    def __init__(self, noise, noise_ratio: float = 1.0):
        for method in ("log_prob", "sample"):
            if not callable(getattr(noise, method, None)):
                raise TypeError(f"noise must have log_prob(x) and sample(n, *, generator) methods (a normalised "
                                f"distribution, e.g. ebmbook.energies.Gaussian.fit(data)); "
                                f"{type(noise).__name__} has no {method}")
        self.noise = noise
        self.noise_ratio = check_positive(noise_ratio, "noise_ratio")

    def _noise_log_prob(self, x: torch.Tensor, name: str) -> torch.Tensor:
        with torch.no_grad():
            out = self.noise.log_prob(x)
        if not isinstance(out, torch.Tensor) or out.shape != (x.shape[0],):
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(f"noise.log_prob must return shape (batch,) = ({x.shape[0]},) on the {name}, got {shape}")
        return out.to(x.dtype)

    def __call__(self, model, batch: torch.Tensor, *, generator: torch.Generator | None = None) -> LossOutput:
        x = batch[0] if isinstance(batch, tuple) else batch
        check_tensor(x, "batch", min_ndim=1, floating=True)
        if x.shape[0] == 0:
            raise ValueError("batch must hold at least one example")
        check_finite(x, "batch")
        log_prob = getattr(model, "log_prob", None)
        if not callable(log_prob):
            raise TypeError(f"model must have a normalised log_prob(x) for NCE; wrap the energy as "
                            f"ebmbook.energies.SelfNormalized(energy) so that NCE learns its log Z "
                            f"({type(model).__name__} has none)")
        generator = check_generator(generator, device=x.device)
        noise_device = _device_of(self.noise)
        if noise_device is not None and noise_device.type != x.device.type:
            raise ValueError(f"noise is on {noise_device} but the batch is on {x.device}: move it with "
                             f"noise.to({str(x.device)!r})")
        n_noise = max(1, round(self.noise_ratio * x.shape[0]))
        y = self.noise.sample(n_noise, generator=generator)
        if not isinstance(y, torch.Tensor) or y.shape != (n_noise, *x.shape[1:]):
            shape = tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
            raise ValueError(f"noise samples must have shape ({n_noise}, {', '.join(map(str, x.shape[1:]))}) "
                             f"like the batch, got {shape}")
        y = y.to(x.dtype)
        log_model_data, log_model_noise = log_prob(x), log_prob(y)
        log_noise_data, log_noise_noise = self._noise_log_prob(x, "batch"), self._noise_log_prob(y, "noise samples")
        loss = nce_loss(log_model_data, log_model_noise, log_noise_data, log_noise_noise, self.noise_ratio)
        with torch.no_grad():
            log_nu = math.log(self.noise_ratio)
            correct = (log_model_data - log_noise_data > log_nu).sum() + \
                (log_model_noise - log_noise_noise <= log_nu).sum()
            log_z = getattr(model, "log_z", None)
            log_z = float(log_z.detach()) if isinstance(log_z, torch.Tensor) else (
                float(log_z) if isinstance(log_z, float) else None)
            # -log p = E + log Z recovers the energies without a second pass through the model
            offset = log_z if log_z is not None else 0.0
            metrics = {"loss": float(loss.detach()),
                       "accuracy": float(correct) / (x.shape[0] + n_noise),
                       "energy_data": float(-log_model_data.mean()) - offset,
                       "energy_noise": float(-log_model_noise.mean()) - offset}
            if log_z is not None:
                metrics["log_z"] = log_z
        return LossOutput(loss, metrics)


def info_nce_loss(scores: torch.Tensor, symmetric: bool = False) -> torch.Tensor:
    r"""InfoNCE (van den Oord et al. 2018): cross-entropy of finding each positive among N candidates.

    For a batch of N pairs :math:`(x_i, x'_i)` and scores :math:`S_{ij} = f(x_i, x'_j)` (a negative
    energy, e.g. :math:`f(x)\cdot f(x')/\tau`), the positive of row :math:`i` is column :math:`i`:

    .. math:: L = -\frac1N \sum_i \log \frac{e^{S_{ii}}}{\sum_j e^{S_{ij}}}, \qquad
        I(x; x') \ge \log N - L .

    The bound holds in expectation for any critic; it is why InfoNCE estimates of mutual
    information saturate at :math:`\log N`.

    Parameters
    ----------
    scores : Tensor, shape ``(N, N)``, real floating, finite; row ``i`` scores query ``i`` against
        every key, the positive on the diagonal
    symmetric : bool, average with the column-wise loss (keys against queries), as CLIP does

    Returns
    -------
    Tensor, scalar

    Examples
    --------
    >>> round(float(info_nce_loss(torch.zeros(4, 4))), 4)   # uninformative scores: log N
    1.3863

    Used in chapter 7.
    """
    check_tensor(scores, "scores", ndim=2, floating=True)
    if scores.shape[0] != scores.shape[1] or scores.shape[0] == 0:
        raise ValueError(f"scores must be a non-empty square (N, N) matrix with the positives on the diagonal, "
                         f"got shape {tuple(scores.shape)}")
    if not bool(torch.isfinite(scores).all()):
        raise ValueError("scores contains NaN or infinite values")
    if not isinstance(symmetric, bool):
        raise TypeError(f"symmetric must be True or False, got {type(symmetric).__name__}")
    target = torch.arange(scores.shape[0], device=scores.device)
    loss = F.cross_entropy(scores, target)
    return 0.5 * (loss + F.cross_entropy(scores.T, target)) if symmetric else loss


class InfoNCE:
    r"""Contrastive representation learning as a training objective (SimCLR's loss with InfoNCE).

    The model is an encoder :math:`f`, ``(batch, *event_shape) -> (batch, d)``. Each call makes two
    views of every example with ``views(x, generator=g) -> (a, b)``, embeds them on the unit sphere
    and scores every pair with the energy :math:`E(a_i, b_j) = -f(a_i)\cdot f(b_j)/\tau`; the loss is the
    symmetric :func:`info_nce_loss` of the scores :math:`-E`, the positives on the diagonal.

    Parameters
    ----------
    views : callable ``(x, *, generator) -> (view_a, view_b)``, e.g. a ``functools.partial`` of
        :func:`ebmbook.data.two_views`
    temperature : float, :math:`\tau > 0`

    Notes
    -----
    Logged metrics: loss; mutual_information_bound (:math:`\log N - L`, the bound on the views' mutual information);
    positive_similarity (mean cosine of the positive pairs)

    Examples
    --------
    >>> from functools import partial
    >>> from ebmbook.data import two_views
    >>> from ebmbook.train import Trainer
    >>> encoder = torch.nn.Sequential(torch.nn.Linear(16, 8))
    >>> objective = InfoNCE(partial(two_views, image_shape=(4, 4)), temperature=0.2)
    >>> Trainer(encoder, objective, progress=False).fit(torch.rand(64, 16), 2, batch_size=32).step
    2

    Used in chapter 7.
    """

    guarded: tuple[str, ...] = ()   # cosine scores are bounded by 1/temperature: nothing to diverge

    def __init__(self, views, temperature: float = 0.1):
        if not callable(views):
            raise TypeError(f"views must be callable (x, *, generator) -> (view_a, view_b), got {type(views).__name__}")
        self.views = views
        self.temperature = check_positive(temperature, "temperature")

    def __call__(self, model, batch, *, generator: torch.Generator | None = None) -> LossOutput:
        x = batch[0] if isinstance(batch, tuple) else batch
        check_tensor(x, "batch", min_ndim=1, floating=True)
        if x.shape[0] < 2:
            raise ValueError(f"batch must hold at least two examples (each is the others' negative), got {x.shape[0]}")
        pair = self.views(x, generator=generator)
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(v, torch.Tensor) for v in pair)
                and pair[0].shape == pair[1].shape and pair[0].shape[0] == x.shape[0]):
            raise ValueError("views must return a pair of tensors (view_a, view_b) with the batch's first dimension")
        za, zb = (model(v) for v in pair)
        if za.ndim != 2 or za.shape[0] != x.shape[0]:
            raise ValueError(f"model must map the batch to embeddings (batch, d), got shape {tuple(za.shape)}")
        za, zb = F.normalize(za, dim=1), F.normalize(zb, dim=1)
        scores = za @ zb.T / self.temperature
        loss = info_nce_loss(scores, symmetric=True)
        with torch.no_grad():
            metrics = {"loss": float(loss), "mutual_information_bound": math.log(x.shape[0]) - float(loss),
                       "positive_similarity": float((za * zb).sum(1).mean())}
        return LossOutput(loss, metrics)
