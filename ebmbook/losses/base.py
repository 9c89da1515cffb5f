"""What every objective returns: :class:`LossOutput`."""
from __future__ import annotations

from typing import NamedTuple

import torch

__all__ = ["LossOutput"]


class LossOutput(NamedTuple):
    """What an objective returns to :class:`ebmbook.train.Trainer`.

    An objective is any callable ``objective(model, batch, *, generator) -> LossOutput``;
    a batch is a tensor or a tuple of tensors (``(x, y)``). An objective may declare
    ``guarded``, the metric names whose magnitude the trainer's divergence guard
    bounds (every metric is always checked for finiteness).

    Attributes
    ----------
    loss : Tensor, scalar, differentiable in the model's (and the objective's) parameters
    metrics : dict of str to float, logged in the trainer's history
    """

    loss: torch.Tensor
    metrics: dict
