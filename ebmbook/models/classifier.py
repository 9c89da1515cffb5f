r"""A multilayer-perceptron classifier: the network a joint energy model reads as an energy.

It returns logits :math:`f_\theta(x) \in \mathbb R^K`, nothing else; :class:`~ebmbook.models.JEM`
turns any such network into an energy. The activations are the smooth ones of
:mod:`ebmbook.models.nets`, because SGLD differentiates the logits with respect to the input.
"""
from __future__ import annotations

import torch
from torch import nn

from ..utils import check_int, check_tensor
from .nets import _check_dtype, mlp_layers

__all__ = ["MLPClassifier"]


class MLPClassifier(nn.Module):
    r"""Multilayer perceptron :math:`f_\theta: \mathbb R^d \to \mathbb R^K` returning logits.

    Parameters
    ----------
    in_features : int, :math:`d`
    n_classes : int, :math:`K \ge 2`
    hidden : tuple of int, widths of the hidden layers
    activation : {'silu', 'softplus', 'elu', 'tanh', 'leaky_relu'}, see :class:`MLPEnergy`
    spectral_norm : bool, wrap every linear layer in spectral normalisation

    Attributes
    ----------
    event_shape : ``(in_features,)``, read by :class:`JEM`
    n_classes : int

    Examples
    --------
    >>> net = MLPClassifier(64, 10, hidden=(32,))
    >>> net(torch.zeros(5, 64)).shape
    torch.Size([5, 10])

    Used in chapter 8.
    """

    def __init__(self, in_features: int, n_classes: int, hidden: tuple[int, ...] = (128, 128),
                 activation: str = "silu", spectral_norm: bool = False):
        super().__init__()
        in_features = check_int(in_features, "in_features", minimum=1)
        self.n_classes = check_int(n_classes, "n_classes", minimum=2)
        self.net = mlp_layers(in_features, hidden, self.n_classes, activation, spectral_norm)
        self.event_shape = (in_features,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape ``(batch, n_classes)`` for ``x`` of shape ``(batch, in_features)``."""
        check_tensor(x, "x", floating=True)
        if x.ndim != 2 or x.shape[1] != self.event_shape[0]:
            raise ValueError(f"x must have shape (batch, {self.event_shape[0]}), got {tuple(x.shape)}")
        _check_dtype(self, x)
        return self.net(x)
