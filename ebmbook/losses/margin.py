r"""Margin losses for energies over labels, after LeCun et al. (2006), "A tutorial on energy-based learning".

An energy-based classifier assigns an energy :math:`E(x, y)` to every answer :math:`y` and answers
:math:`\hat y = \arg\min_y E(x, y)`; no probabilities, no normaliser. Training must push the
correct answer's energy :math:`E_+ = E(x, y)` down and the others up. The losses here compare
:math:`E_+` with the energy of the **most offending incorrect answer**,
:math:`E_- = \min_{\bar y \ne y} E(x, \bar y)`:

=============  ==========================================================  =======================
loss           formula                                                     margin
=============  ==========================================================  =======================
hinge          :math:`\max(0,\ m + E_+ - E_-)`                              :math:`m > 0`
log            :math:`\log(1 + e^{E_+ - E_-})`                               soft, infinite
square-square  :math:`E_+^2 + \max(0,\ m - E_-)^2`                          :math:`m > 0`, needs :math:`E \ge 0`
=============  ==========================================================  =======================

LeCun et al. call a loss *good* (its minima make the correct answer win, with a margin) when
it pushes the correct energy down and the most offending incorrect one up, by a positive margin.
All three are good: hinge and square-square for any :math:`m > 0` (square-square only for energies
bounded below by 0, e.g. a softplus output, since it drives :math:`E_+` to 0, not to
:math:`-\infty`), log loss for any energies. The plain *energy loss* :math:`E_+` alone is not: it has
no contrastive term and collapses every energy. The negative log-likelihood (cross-entropy on
:math:`-E`) is the member that sums over all incorrect answers instead of the worst one.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..utils import check_finite, check_positive, check_tensor
from .base import LossOutput

__all__ = ["most_offending_incorrect", "hinge_loss", "log_loss", "square_square_loss", "MarginLoss"]

KINDS = ("hinge", "log", "square_square")


def most_offending_incorrect(energies: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The correct answer's energy and the lowest energy among the incorrect answers.

    Parameters
    ----------
    energies : Tensor, shape ``(batch, K)``, :math:`E(x_i, y)` for every label :math:`y`, ``K >= 2``
    labels : integer Tensor, shape ``(batch,)``, values in ``[0, K)``

    Returns
    -------
    energy_correct, energy_offending : Tensors, shape ``(batch,)``, :math:`E_+` and :math:`E_-`

    Examples
    --------
    >>> e = torch.tensor([[0.0, 2.0, 1.0]])
    >>> most_offending_incorrect(e, torch.tensor([1]))
    (tensor([2.]), tensor([0.]))

    Used in chapter 7.
    """
    check_tensor(energies, "energies", ndim=2, floating=True)
    check_finite(energies, "energies")
    batch, k = energies.shape
    if batch == 0 or k < 2:
        raise ValueError(f"energies must have shape (batch, K) with batch >= 1 and K >= 2 labels, "
                         f"got {tuple(energies.shape)}")
    check_tensor(labels, "labels", ndim=1)
    if labels.dtype not in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8):
        raise TypeError(f"labels must be an integer tensor of class indices, got dtype {labels.dtype}")
    if labels.shape[0] != batch:
        raise ValueError(f"labels must have shape ({batch},) like energies' batch, got {tuple(labels.shape)}")
    if labels.device != energies.device:
        raise ValueError(f"labels are on {labels.device} but energies are on {energies.device}")
    if bool(((labels < 0) | (labels >= k)).any()):
        raise ValueError(f"labels must lie in [0, {k}) for K = {k} labels")
    labels = labels.long()
    correct = energies.gather(1, labels[:, None]).squeeze(1)
    # mask the correct answer with +inf so that the minimum runs over the incorrect ones only
    masked = energies.masked_fill(F.one_hot(labels, k).bool(), float("inf"))
    return correct, masked.min(1).values


def hinge_loss(energies: torch.Tensor, labels: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    r"""Mean hinge loss :math:`\max(0,\ m + E_+ - E_-)`: zero once the correct answer wins by ``margin``.

    Parameters
    ----------
    energies, labels : as in :func:`most_offending_incorrect`
    margin : float, :math:`m > 0`

    Examples
    --------
    >>> float(hinge_loss(torch.tensor([[0.0, 3.0]]), torch.tensor([0]), margin=1.0))
    0.0

    Used in chapter 7.
    """
    margin = check_positive(margin, "margin")
    correct, offending = most_offending_incorrect(energies, labels)
    return F.relu(margin + correct - offending).mean()


def log_loss(energies: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    r"""Mean log loss :math:`\log(1 + e^{E_+ - E_-})`, a smooth hinge with an infinite soft margin.

    Examples
    --------
    >>> round(float(log_loss(torch.tensor([[0.0, 0.0]]), torch.tensor([0]))), 4)
    0.6931

    Used in chapter 7.
    """
    correct, offending = most_offending_incorrect(energies, labels)
    return F.softplus(correct - offending).mean()


def square_square_loss(energies: torch.Tensor, labels: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    r"""Mean square-square loss :math:`E_+^2 + \max(0,\ m - E_-)^2`, for energies bounded below by 0.

    Raises
    ------
    ValueError
        If an energy is negative: the loss would reward pushing the correct energy back up to 0.

    Examples
    --------
    >>> float(square_square_loss(torch.tensor([[0.0, 2.0]]), torch.tensor([0])))
    0.0

    Used in chapter 7.
    """
    margin = check_positive(margin, "margin")
    correct, offending = most_offending_incorrect(energies, labels)
    if bool((energies.detach() < 0).any()):
        raise ValueError("energies must be non-negative for the square-square loss (end the network with a "
                         "softplus, or use hinge_loss / log_loss)")
    return (correct.pow(2) + F.relu(margin - offending).pow(2)).mean()


class MarginLoss:
    r"""A margin loss as a training objective: the model maps ``x`` to energies ``(batch, K)``.

    Batches are ``(x, y)`` with integer labels ``y``; inference is
    :math:`\hat y = \arg\min_y E(x, y)`.

    Parameters
    ----------
    kind : {'hinge', 'log', 'square_square'}
    margin : float > 0, of 'hinge' and 'square_square' (refused by 'log', which has none)

    Notes
    -----
    Logged metrics: loss; accuracy (of argmin over the batch); energy_correct and energy_offending (means)

    Attributes
    ----------
    guarded : ("energy_correct", "energy_offending"): a margin loss has no normaliser to keep the
        energies in range, so their magnitude is what the divergence guard bounds

    Examples
    --------
    >>> from ebmbook.train import Trainer
    >>> model = torch.nn.Linear(4, 3)
    >>> data = (torch.randn(64, 4), torch.randint(0, 3, (64,)))
    >>> Trainer(model, MarginLoss("hinge"), lr=1e-2, progress=False).fit(data, n_steps=2, batch_size=16).step
    2

    Used in chapter 7.
    """

    guarded: tuple[str, ...] = ("energy_correct", "energy_offending")

    def __init__(self, kind: str = "hinge", margin: float | None = None):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if kind == "log" and margin is not None:
            raise ValueError("margin is not used by kind='log' (its margin is soft and infinite)")
        self.kind = kind
        self.margin = None if kind == "log" else check_positive(1.0 if margin is None else margin, "margin")

    def __call__(self, model, batch, *, generator: torch.Generator | None = None) -> LossOutput:
        if not isinstance(batch, tuple) or len(batch) != 2:
            raise TypeError("batch must be a tuple (x, y) of inputs and integer labels (pass Trainer.fit data=(x, y))")
        x, y = batch
        energies = model(x)
        if self.kind == "hinge":
            loss = hinge_loss(energies, y, self.margin)
        elif self.kind == "log":
            loss = log_loss(energies, y)
        else:
            loss = square_square_loss(energies, y, self.margin)
        with torch.no_grad():
            correct, offending = most_offending_incorrect(energies, y)
            metrics = {"loss": float(loss.detach()),
                       "accuracy": float((energies.argmin(1) == y).float().mean()),
                       "energy_correct": float(correct.mean()), "energy_offending": float(offending.mean())}
        return LossOutput(loss, metrics)
