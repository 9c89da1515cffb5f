r"""Constraints as energies: :math:`E(x) + \lambda\, C(x)`, and the masked quadratic penalty of inpainting.

A constraint :math:`C(x) \ge 0` that is zero where it holds becomes one more
term of the energy. At weight :math:`\lambda` the density is

.. math:: p_\lambda(x) \propto e^{-E(x) - \lambda C(x)},

a product of the model with the "expert" :math:`e^{-C/T}` at temperature
:math:`T = 1/\lambda` (:class:`~ebmbook.energies.Tempered`). As
:math:`\lambda \to \infty` the mass concentrates on :math:`\{C = 0\}`: the hard
constraint, e.g. the model conditioned on the observed pixels of an image.
"""
from __future__ import annotations

import torch

from ..utils import check_finite, check_positive, check_tensor
from ._composition_forms import (_ExactGaussianView, QuadraticForm, as_module, combine, quadratic_form,
                                 shared_event_shape, tail_precision)
from .base import Energy, EnergyFn, evaluate_energy

__all__ = ["Constrained", "MaskedQuadratic"]


class Constrained(_ExactGaussianView, Energy):
    r"""An energy with a soft constraint: :math:`E_\lambda(x) = E(x) + \lambda\, C(x)`.

    The penalty :math:`C` is any energy-shaped callable, non-negative and zero
    where the constraint holds (e.g. :class:`MaskedQuadratic`). The weight is an
    inverse temperature of the penalty alone: ``Constrained(E, C, lam)`` has the
    energy of :class:`~ebmbook.energies.Product` ``([E, Tempered(C, 1 / lam)])``,
    and :attr:`temperature` is :math:`1/\lambda`. Raising :math:`\lambda` moves
    the density towards the hard constraint :math:`p(x \mid C(x) = 0)`; a
    gradient sampler then needs a step size below about :math:`1/\lambda`
    times the penalty's curvature, since the penalty's walls get steep.
    When the energy and the penalty are both Gaussian quadratic forms the result
    is a Gaussian and ``gaussian``, ``mean``, ``covariance`` and ``log_z`` are exact.

    Parameters
    ----------
    energy : energy ``(batch, *event_shape) -> (batch,)``
    penalty : energy-shaped callable :math:`C(x) \ge 0`, same event shape
    weight : float, :math:`\lambda > 0`

    Attributes
    ----------
    energy, penalty : nn.Module
    weight : float
    temperature : float, :math:`1/\lambda`

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> prior = Gaussian(torch.zeros(2), torch.eye(2))
    >>> pin = MaskedQuadratic(torch.tensor([[1.0, 0.0]]), torch.tensor([1.0, 0.0]))
    >>> post = Constrained(prior, pin, weight=50.0)
    >>> post.mean
    tensor([0.9901, 0.0000])

    Used in chapter 9.
    """

    def __init__(self, energy: EnergyFn, penalty: EnergyFn, weight: float):
        super().__init__()
        energy, penalty = as_module(energy, "energy"), as_module(penalty, "penalty")
        self.weight = check_positive(weight, "weight")
        self.event_shape = shared_event_shape([energy, penalty], ["energy", "penalty"], "energy and penalty")
        self.energy, self.penalty = energy, penalty

    @property
    def temperature(self) -> float:
        """The penalty's temperature :math:`1/\\lambda`."""
        return 1.0 / self.weight

    def with_weight(self, weight: float) -> "Constrained":
        """The same energy and penalty (shared, not copied) at another weight :math:`\\lambda`."""
        return Constrained(self.energy, self.penalty, weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.event_shape:
            self._check_input(x)
        return evaluate_energy(self.energy, x) + self.weight * evaluate_energy(self.penalty, x)

    def _quadratic_form(self):
        return combine([quadratic_form(self.energy), quadratic_form(self.penalty)], [1.0, self.weight])

    def _tail_precision(self):
        te, tp = tail_precision(self.energy), tail_precision(self.penalty)
        return None if te is None or tp is None else te + self.weight * tp.to(te.device)


class MaskedQuadratic(Energy):
    r"""Penalty for disagreeing with observed values: :math:`C(x) = \sum_j m_j\,(x_j - o_j)^2`.

    With a binary mask :math:`m` (1 = observed) it is
    :math:`\lVert m \odot (x - o)\rVert^2`, zero exactly when the observed
    coordinates agree with :math:`o`; in :class:`Constrained` it turns an
    unconditional model into an inpainting one. Each chain can have its own
    observation: ``target`` has a batch dimension, of size 1 (shared) or of the
    number of chains.

    Parameters
    ----------
    target : Tensor ``(n, *event_shape)``, the observed values :math:`o` (``n = 1`` for one shared target)
    mask : Tensor broadcastable to ``target``, e.g. ``event_shape`` or ``(n, *event_shape)``,
        finite and non-negative (1 = observed, 0 = free)

    Attributes
    ----------
    target, mask : Tensor, buffers
    event_shape : tuple of int, ``target.shape[1:]``

    Examples
    --------
    >>> pin = MaskedQuadratic(torch.tensor([[1.0, 2.0]]), torch.tensor([1.0, 0.0]))
    >>> pin(torch.tensor([[3.0, 7.0]]))
    tensor([4.])
    >>> pin.clamp(torch.tensor([[3.0, 7.0]]))
    tensor([[1., 7.]])

    Used in chapter 9.
    """

    def __init__(self, target: torch.Tensor, mask: torch.Tensor):
        super().__init__()
        check_tensor(target, "target", min_ndim=2, floating=True)
        check_finite(target, "target")
        if target.shape[0] == 0:
            raise ValueError("target must hold at least one row (batch dimension first), got shape "
                             f"{tuple(target.shape)}")
        check_tensor(mask, "mask")
        if mask.is_complex():
            raise TypeError(f"mask must be real, got dtype {mask.dtype}")
        check_finite(mask, "mask")
        try:
            mask = torch.broadcast_to(mask, target.shape)
        except RuntimeError:
            raise ValueError(f"mask must broadcast to target's shape {tuple(target.shape)}, "
                             f"got {tuple(mask.shape)}") from None
        if bool((mask < 0).any()):
            raise ValueError("mask must be non-negative (1 = observed, 0 = free)")
        self.event_shape = tuple(target.shape[1:])
        self.register_buffer("target", target.clone())
        self.register_buffer("mask", mask.to(target).clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        n = self.target.shape[0]
        if n != 1 and x.shape[0] != n:
            raise ValueError(f"x must have one row per target row ({n}), got a batch of {x.shape[0]}: "
                             "run one chain per observation, or give a single target of shape (1, ...)")
        diff = x - self.target.to(x.dtype)
        return (self.mask.to(x.dtype) * diff.pow(2)).flatten(1).sum(-1)

    def clamp(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` with its observed coordinates (``mask > 0``) set to the target: the hard-constraint limit."""
        self._check_input(x)
        return torch.where(self.mask.to(x.device) > 0, self.target.to(x), x)

    def _quadratic_form(self):
        if self.target.shape[0] != 1 or len(self.event_shape) != 1:
            return None
        m, o = self.mask[0].double(), self.target[0].double()
        # sum_j m_j (x_j - o_j)^2 = 1/2 x^T (2 diag m) x - (2 m o)^T x + sum_j m_j o_j^2
        return QuadraticForm(torch.diag(2 * m), 2 * m * o, float((m * o * o).sum()))
