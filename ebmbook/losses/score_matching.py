r"""Score matching: fit an energy by its score, never touching the partition function.

The score of :math:`p_\theta(x) = e^{-E_\theta(x)}/Z_\theta` is
:math:`s_\theta(x) = \nabla_x \log p_\theta(x) = -\nabla_x E_\theta(x)`: :math:`Z_\theta` drops out.
Hyvärinen (2005) showed that the Fisher divergence to the data,
:math:`\tfrac12\,\mathbb E\,\|s_\theta - \nabla \log p_{\text{data}}\|^2`, equals up to a constant

.. math:: J(\theta) = \mathbb E_{\text{data}}\Big[\tfrac12\|\nabla_x E_\theta(x)\|^2 - \Delta_x E_\theta(x)\Big]
    = \mathbb E_{\text{data}}\Big[\tfrac12\|s_\theta(x)\|^2 + \operatorname{tr}\nabla_x s_\theta(x)\Big].

Four estimators of it live here: the exact one (a Laplacian, one backward pass per
dimension), the sliced one (random projections, one pass each), the denoising one (no
second derivatives at all, at the price of fitting the noise-smoothed density) and its
noise-conditional, multi-level form; :class:`ScoreMatching` makes any of them a training
objective for :class:`ebmbook.train.Trainer`.

Every function treats the examples of a batch as independent (as :func:`energy_and_grad`
does): :math:`\nabla_x \sum_i E(x_i)` gives each example's gradient, so an energy must not
mix examples (no batch normalisation). Bad input to any of them fails with a ``TypeError`` or
``ValueError`` naming the argument: ``x`` not a real floating, finite, non-empty ``(batch, *event_shape)``
tensor; an ``energy`` not differentiable in x (it detaches x or runs under ``no_grad``), or of
the wrong output shape; ``sigma <= 0``; ``sigmas`` not strictly decreasing and positive;
``n_projections < 1``; an unknown ``projection``; a ``generator`` that is not a
``torch.Generator`` on x's device.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch

from ..energies.base import evaluate_energy
from ..energies.noise_conditional import check_noise_ladder, takes_sigma
from ..utils import check_finite, check_generator, check_int, check_positive, check_tensor
from .base import LossOutput

__all__ = ["exact_score_matching_loss", "sliced_score_matching_loss", "denoising_score_matching_loss",
           "noise_conditional_dsm_loss", "ScoreMatching"]

METHODS = ("sliced", "exact", "denoising", "noise_conditional")
PROJECTIONS = ("rademacher", "gaussian")

_NOT_DIFFERENTIABLE = ("energy is not differentiable with respect to x (its output does not depend on x through "
                       "autograd, e.g. it detaches x, uses NumPy or runs under torch.no_grad): score matching "
                       "needs the gradient of the energy in x")


# -- shared pieces ------------------------------------------------------------------------
def _check_batch(x, name: str) -> torch.Tensor:
    """A finite, non-empty, real floating tensor ``(batch, *event_shape)``."""
    check_tensor(x, name, min_ndim=1, floating=True)
    if x.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one example, got shape {tuple(x.shape)}")
    return check_finite(x, name)


def _score_graph(e: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    r""":math:`\nabla_x E`, shape like ``x``, kept in the graph (differentiable in x and the parameters)."""
    if not e.requires_grad:
        raise TypeError(_NOT_DIFFERENTIABLE)
    (grad,) = torch.autograd.grad(e.sum(), x, create_graph=True, allow_unused=True)
    if grad is None:
        raise TypeError(_NOT_DIFFERENTIABLE)
    return grad


def _grad_or_zero(out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``d out / d x`` in the graph; zero where ``out`` does not depend on ``x`` (an affine energy)."""
    if not out.requires_grad:
        return torch.zeros_like(x)
    (grad,) = torch.autograd.grad(out, x, create_graph=True, allow_unused=True)
    return torch.zeros_like(x) if grad is None else grad


def _dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-example inner product, ``(batch, *event) -> (batch,)``."""
    return (a * b).reshape(a.shape[0], -1).sum(1)


def _check_sigmas(sigmas, name: str = "sigmas") -> torch.Tensor:
    """The ladder ``sigmas`` (strictly decreasing, positive) as a float64 CPU tensor."""
    return torch.tensor(check_noise_ladder(sigmas, name), dtype=torch.float64)


def _sliced_settings(n_projections, variance_reduction, projection) -> tuple[int, bool, str]:
    if not isinstance(variance_reduction, bool):
        raise TypeError(f"variance_reduction must be True or False, got {type(variance_reduction).__name__}")
    if projection not in PROJECTIONS:
        raise ValueError(f"projection must be one of {PROJECTIONS}, got {projection!r}")
    return check_int(n_projections, "n_projections", minimum=1), variance_reduction, projection


def _projections(like: torch.Tensor, projection: str, generator: torch.Generator | None) -> torch.Tensor:
    """Random directions shaped like ``like`` with :math:`\\mathbb E[vv^\\top] = I`."""
    if projection == "rademacher":
        signs = torch.randint(0, 2, like.shape, generator=generator, device=like.device)
        return signs.to(like.dtype) * 2 - 1
    return torch.randn(like.shape, generator=generator, device=like.device, dtype=like.dtype)


def _conditional_energy(energy: Callable, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Call ``energy(x, sigma)`` and check that it accepts the pair and returns ``(batch,)``."""
    if not callable(energy):
        raise TypeError(f"energy must be callable (x, sigma) -> (batch,), got {type(energy).__name__}")
    if takes_sigma(energy) is False:
        raise TypeError("energy must accept (x, sigma), a noise-conditional energy called as energy(x, sigma) "
                        "with sigma of shape (batch,), but it takes x only")
    e = energy(x, sigma)
    if not isinstance(e, torch.Tensor) or e.shape != (x.shape[0],):
        shape = tuple(e.shape) if isinstance(e, torch.Tensor) else type(e).__name__
        raise ValueError(f"energy(x, sigma) must return a tensor of shape (batch,) = ({x.shape[0]},), got {shape}")
    if not e.is_floating_point():
        raise TypeError(f"energy(x, sigma) must return real floating values, got dtype {e.dtype}")
    return e


# -- the four estimators (each returns the loss and the gradient it evaluated) -----------------
def _exact(energy, x):
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        grad = _score_graph(evaluate_energy(energy, x), x)
        flat = grad.reshape(grad.shape[0], -1)
        laplacian = torch.zeros(x.shape[0], dtype=grad.dtype, device=grad.device)
        for i in range(flat.shape[1]):  # one backward pass per dimension: row i of the Hessian, diagonal entry
            laplacian = laplacian + _grad_or_zero(flat[:, i].sum(), x).reshape(x.shape[0], -1)[:, i]
        loss = (0.5 * _dot(grad, grad) - laplacian).mean()
    return loss, grad


def _sliced(energy, x, n_projections, variance_reduction, projection, generator):
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        grad = _score_graph(evaluate_energy(energy, x), x)
        half_sq = 0.5 * _dot(grad, grad)
        total = torch.zeros((), dtype=grad.dtype, device=grad.device)
        for _ in range(n_projections):  # one extra backward pass per projection
            v = _projections(x, projection, generator)
            v_grad = _dot(v, grad)                                      # v^T grad E, (batch,)
            v_hess_v = _dot(v, _grad_or_zero(v_grad.sum(), x))          # v^T (Hessian E) v, (batch,)
            first = half_sq if variance_reduction else 0.5 * v_grad.pow(2)
            total = total + (first - v_hess_v).mean()
        loss = total / n_projections
    return loss, grad


def _denoising(energy, x, sigma, generator):
    noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    with torch.enable_grad():
        x_noisy = (x.detach() + sigma * noise).requires_grad_(True)
        grad = _score_graph(evaluate_energy(energy, x_noisy), x_noisy)
        # target (x_noisy - x) / sigma^2 = noise / sigma: grad E points away from the clean point
        residual = grad - noise / sigma
        loss = (0.5 * _dot(residual, residual)).mean()
    return loss, grad


def _noise_conditional(energy, x, sigmas, generator):
    sigmas = sigmas.to(device=x.device, dtype=x.dtype)
    level = torch.randint(sigmas.numel(), (x.shape[0],), generator=generator, device=x.device)
    sigma = sigmas[level]                                               # (batch,): one level per example
    scale = sigma.view((-1,) + (1,) * (x.ndim - 1))
    noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    with torch.enable_grad():
        x_noisy = (x.detach() + scale * noise).requires_grad_(True)
        grad = _score_graph(_conditional_energy(energy, x_noisy, sigma), x_noisy)
        residual = scale * grad - noise                                 # lambda(sigma) = sigma^2
        loss = (0.5 * _dot(residual, residual)).mean()
    return loss, grad


# -- public functions --------------------------------------------------------------------------
def exact_score_matching_loss(energy: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    r"""Hyvärinen's score-matching loss with the exact Laplacian.

    .. math:: J(\theta) = \frac1n \sum_{i=1}^n \Big[\tfrac12\|\nabla_x E_\theta(x_i)\|^2
        - \Delta_x E_\theta(x_i)\Big], \qquad \Delta_x E = \sum_{j=1}^d \partial^2 E / \partial x_j^2 .

    (With the score :math:`s = -\nabla_x E` this is :math:`\tfrac12\|s\|^2 + \operatorname{tr}\nabla_x s`.)
    It is minimised, in expectation, by the data's own score (up to an additive constant in
    :math:`E`, which score matching cannot see).

    Cost: the Laplacian takes **one extra backward pass per dimension** :math:`d`
    (the diagonal of the Hessian, row by row), so the cost grows like :math:`d` times an
    energy gradient: fine for 2-D toys, hopeless for images (use
    :func:`sliced_score_matching_loss` or :func:`denoising_score_matching_loss`).

    Parameters
    ----------
    energy : callable, ``(batch, *event_shape) -> (batch,)``, twice differentiable in x
    x : Tensor ``(batch, *event_shape)``, real floating, finite, at least one example

    Returns
    -------
    Tensor, scalar, differentiable in the energy's parameters

    Examples
    --------
    >>> from ebmbook.models import MLPEnergy
    >>> loss = exact_score_matching_loss(MLPEnergy(2, (16,)), torch.randn(64, 2))
    >>> loss.backward()

    Used in chapter 6.
    """
    return _exact(energy, _check_batch(x, "x"))[0]


def sliced_score_matching_loss(energy: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                               n_projections: int = 1, *, variance_reduction: bool = True,
                               projection: str = "rademacher",
                               generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Sliced score matching (Song et al. 2019): the Laplacian replaced by random projections.

    With :math:`M` directions :math:`v` per example, :math:`\mathbb E[vv^\top] = I`,

    .. math:: \text{SSM} = \frac1{nM}\sum_{i,m} \Big[\tfrac12 (v_{im}^\top \nabla_x E(x_i))^2
        - v_{im}^\top \nabla_x^2 E(x_i)\, v_{im}\Big],

    and SSM-VR (``variance_reduction=True``) replaces :math:`\tfrac12(v^\top\nabla E)^2` by its
    expectation :math:`\tfrac12\|\nabla E\|^2`. Both are unbiased for
    :func:`exact_score_matching_loss`, because :math:`\mathbb E[v^\top H v] = \operatorname{tr} H`.
    The Hessian-vector product :math:`\nabla_x^2 E\, v` is a second backward pass of
    :math:`\sum_i v_i^\top \nabla E(x_i)`: **each projection costs one extra backward pass**,
    whatever the dimension.

    Parameters
    ----------
    energy : callable, ``(batch, *event_shape) -> (batch,)``, twice differentiable in x
    x : Tensor ``(batch, *event_shape)``, real floating, finite
    n_projections : int >= 1, directions per example (M)
    variance_reduction : bool, use SSM-VR (lower variance, same expectation)
    projection : {'rademacher', 'gaussian'}, entries of v: random signs or standard normals
    generator : torch.Generator, optional, on x's device

    Returns
    -------
    Tensor, scalar, differentiable in the energy's parameters

    Examples
    --------
    >>> from ebmbook.models import MLPEnergy
    >>> g = torch.Generator().manual_seed(0)
    >>> loss = sliced_score_matching_loss(MLPEnergy(2, (16,)), torch.randn(64, 2), 4, generator=g)

    Used in chapter 6.
    """
    x = _check_batch(x, "x")
    n_projections, variance_reduction, projection = _sliced_settings(n_projections, variance_reduction, projection)
    generator = check_generator(generator, device=x.device)
    return _sliced(energy, x, n_projections, variance_reduction, projection, generator)[0]


def denoising_score_matching_loss(energy: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                                  sigma: float, *, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Denoising score matching (Vincent 2011) at one noise level.

    With :math:`\tilde x = x + \sigma z`, :math:`z \sim \mathcal N(0, I)`, the score of the
    noising kernel is :math:`\nabla_{\tilde x}\log q(\tilde x\mid x) = -(\tilde x - x)/\sigma^2`,
    so in energy terms :math:`\nabla E(\tilde x)` should match :math:`(\tilde x - x)/\sigma^2 = z/\sigma`:

    .. math:: \text{DSM} = \frac1n \sum_{i=1}^n \tfrac12\Big\|\nabla_x E(\tilde x_i)
        - \frac{\tilde x_i - x_i}{\sigma^2}\Big\|^2 .

    Its minimiser is the score of the *smoothed* data density :math:`p_{\text{data}} * \mathcal
    N(0, \sigma^2 I)` (for Gaussian data of variance :math:`s^2`: precision :math:`1/(s^2+\sigma^2)`),
    not of the data itself. No second derivatives: one backward pass in x.

    Parameters
    ----------
    energy : callable, ``(batch, *event_shape) -> (batch,)``
    x : Tensor ``(batch, *event_shape)``, clean data, real floating, finite
    sigma : float > 0, noise standard deviation
    generator : torch.Generator, optional, on x's device

    Returns
    -------
    Tensor, scalar, differentiable in the energy's parameters

    Examples
    --------
    >>> from ebmbook.models import MLPEnergy
    >>> g = torch.Generator().manual_seed(0)
    >>> loss = denoising_score_matching_loss(MLPEnergy(2, (16,)), torch.randn(64, 2), 0.1, generator=g)

    Used in chapter 6.
    """
    x = _check_batch(x, "x")
    sigma = check_positive(sigma, "sigma")
    generator = check_generator(generator, device=x.device)
    return _denoising(energy, x, sigma, generator)[0]


def noise_conditional_dsm_loss(energy: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x: torch.Tensor,
                               sigmas: torch.Tensor | Sequence[float], *,
                               generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Multi-level denoising score matching for a noise-conditional energy (Song & Ermon 2019).

    Each example draws one level :math:`\sigma` uniformly from ``sigmas``
    (:math:`\sigma_1 > \dots > \sigma_L`), is noised, :math:`\tilde x = x + \sigma z`, and the
    energy is called as ``energy(x_noisy, sigma)`` with ``sigma`` of shape ``(batch,)``. With
    the weight :math:`\lambda(\sigma) = \sigma^2`, which makes every level's term of order one,

    .. math:: \mathcal L = \frac1n \sum_{i=1}^n \tfrac12\,\sigma_i^2\Big\|\nabla_x E(\tilde x_i, \sigma_i)
        - \frac{z_i}{\sigma_i}\Big\|^2 = \frac1n \sum_{i=1}^n \tfrac12\big\|\sigma_i \nabla_x E(\tilde x_i,
        \sigma_i) - z_i\big\|^2 .

    At level :math:`\sigma` the minimiser is the score of the data smoothed at :math:`\sigma`
    (see :func:`denoising_score_matching_loss`); an annealed Langevin sampler then walks the
    levels from :math:`\sigma_1` down to :math:`\sigma_L`.

    Parameters
    ----------
    energy : callable ``(x, sigma) -> (batch,)``, x ``(batch, *event_shape)``, sigma ``(batch,)``
    x : Tensor ``(batch, *event_shape)``, clean data, real floating, finite
    sigmas : 1-D tensor or sequence of float, strictly decreasing positive noise levels
    generator : torch.Generator, optional, on x's device

    Returns
    -------
    Tensor, scalar, differentiable in the energy's parameters

    Raises
    ------
    TypeError
        If ``energy`` cannot be called as ``energy(x, sigma)``, or on bad ``x`` or ``generator``.
    ValueError
        If ``sigmas`` is empty, non-positive or not strictly decreasing, or on bad ``x``.

    Examples
    --------
    >>> def energy(x, sigma):  # the score of N(0, (1 + sigma^2) I) at every level
    ...     return 0.5 * x.pow(2).sum(1) / (1 + sigma ** 2)
    >>> g = torch.Generator().manual_seed(0)
    >>> loss = noise_conditional_dsm_loss(energy, torch.randn(64, 2), [1.0, 0.5, 0.1], generator=g)

    Used in chapter 6.
    """
    x = _check_batch(x, "x")
    sigmas = _check_sigmas(sigmas)
    generator = check_generator(generator, device=x.device)
    return _noise_conditional(energy, x, sigmas, generator)[0]


class ScoreMatching:
    r"""Score matching as a training objective for :class:`ebmbook.train.Trainer`.

    ``ScoreMatching(method)(model, batch, generator=g)`` returns
    ``LossOutput(loss, {"loss", "grad_energy_norm"})``, the loss of the chosen estimator on the
    batch ``x`` and the mean :math:`\|\nabla_x E\|` at the points it evaluated (the data, or
    the noisy data for the denoising methods).

    Parameters
    ----------
    method : {'sliced', 'exact', 'denoising', 'noise_conditional'}
        :func:`sliced_score_matching_loss`, :func:`exact_score_matching_loss` (cost ∝ d),
        :func:`denoising_score_matching_loss` (needs ``sigma``) or
        :func:`noise_conditional_dsm_loss` (needs ``sigmas``; the model is called as
        ``model(x, sigma)``).
    sigma : float > 0, the noise level of ``'denoising'`` (refused by the other methods)
    sigmas : 1-D tensor or sequence, strictly decreasing levels of ``'noise_conditional'``
        (refused by the other methods)
    n_projections, variance_reduction, projection : the settings of ``'sliced'``

    Attributes
    ----------
    guarded : tuple of str, empty: score matching cannot see an additive constant in the
        energy, so the energy's magnitude is no sign of divergence, and a squared score is
        large by design at small noise. The trainer still stops on any non-finite metric.

    Examples
    --------
    >>> from ebmbook.models import MLPEnergy
    >>> from ebmbook.train import Trainer
    >>> trainer = Trainer(MLPEnergy(2, (16,)), ScoreMatching("denoising", sigma=0.1), lr=1e-3, progress=False)
    >>> trainer.fit(torch.randn(256, 2), n_steps=3, batch_size=32).step
    3

    Used in chapter 6.
    """

    guarded: tuple[str, ...] = ()

    def __init__(self, method: str = "sliced", *, sigma: float | None = None,
                 sigmas: torch.Tensor | Sequence[float] | None = None, n_projections: int = 1,
                 variance_reduction: bool = True, projection: str = "rademacher"):
        if not isinstance(method, str):
            raise TypeError(f"method must be one of {METHODS}, got {type(method).__name__}")
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        self.method = method
        for name, value, owner in (("sigma", sigma, "denoising"), ("sigmas", sigmas, "noise_conditional")):
            if method == owner and value is None:
                raise ValueError(f"{name} is required by method={owner!r}")
            if method != owner and value is not None:  # a setting that would be silently ignored
                raise ValueError(f"{name} is used only by method={owner!r}, not {method!r}")
        self.sigma = check_positive(sigma, "sigma") if method == "denoising" else None
        self.sigmas = _check_sigmas(sigmas) if method == "noise_conditional" else None
        self.n_projections, self.variance_reduction, self.projection = _sliced_settings(
            n_projections, variance_reduction, projection)

    def __call__(self, model, batch: torch.Tensor, *, generator: torch.Generator | None = None) -> LossOutput:
        x = _check_batch(batch, "batch")
        generator = check_generator(generator, device=x.device)
        if self.method == "exact":
            loss, grad = _exact(model, x)
        elif self.method == "sliced":
            loss, grad = _sliced(model, x, self.n_projections, self.variance_reduction, self.projection, generator)
        elif self.method == "denoising":
            loss, grad = _denoising(model, x, self.sigma, generator)
        else:
            loss, grad = _noise_conditional(model, x, self.sigmas, generator)
        grad_norm = grad.detach().reshape(grad.shape[0], -1).norm(dim=1).mean()
        return LossOutput(loss, {"loss": float(loss.detach()), "grad_energy_norm": float(grad_norm)})
