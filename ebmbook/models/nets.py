"""Neural energies: an MLP for vectors and a small convolutional net for images.

Both map ``(batch, *event_shape)`` to energies ``(batch,)`` and follow the
stabilisation advice of the deep-EBM literature: smooth activations (the
Langevin sampler differentiates the energy, so its gradient should be smooth)
and optional spectral normalisation (bounds each layer's Lipschitz constant,
which keeps the energy landscape from growing cliffs during training).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..energies.base import Energy
from ..utils import check_int, check_tensor

__all__ = ["MLPEnergy", "ConvEnergy", "ACTIVATIONS"]

ACTIVATIONS = {
    "silu": nn.SiLU,
    "softplus": nn.Softplus,
    "elu": nn.ELU,
    "tanh": nn.Tanh,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
}


def _activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]()


def _check_dtype(module: nn.Module, x: torch.Tensor) -> None:
    """A network computes in its parameters' dtype: refuse other input by name, not with torch's matmul error."""
    dtype = next(module.parameters()).dtype
    if x.dtype != dtype:
        raise TypeError(f"x has dtype {x.dtype} but {type(module).__name__} computes in {dtype}: cast x with "
                        f"x.to({dtype}), or the network with .to({x.dtype}) (e.g. .double() for exact enumeration)")


def _maybe_sn(layer: nn.Module, spectral_norm: bool) -> nn.Module:
    return nn.utils.parametrizations.spectral_norm(layer) if spectral_norm else layer


def mlp_layers(in_features: int, hidden, out_features: int, activation: str, spectral_norm: bool) -> nn.Sequential:
    """Linear layers of widths ``in_features -> *hidden -> out_features`` with ``activation`` between them."""
    if not isinstance(hidden, (tuple, list)):
        raise TypeError(f"hidden must be a tuple of layer widths, e.g. hidden=({hidden!r},), "
                        f"got {type(hidden).__name__}")
    if len(hidden) == 0:
        raise ValueError("hidden must list at least one layer width")
    widths = [in_features] + [check_int(h, "hidden", minimum=1) for h in hidden]
    layers: list[nn.Module] = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [_maybe_sn(nn.Linear(a, b), spectral_norm), _activation(activation)]
    layers.append(_maybe_sn(nn.Linear(widths[-1], out_features), spectral_norm))
    return nn.Sequential(*layers)


class MLPEnergy(Energy):
    r"""Multilayer perceptron energy :math:`E_\theta: \mathbb R^d \to \mathbb R`.

    Parameters
    ----------
    in_features : int, :math:`d`
    hidden : tuple of int, widths of the hidden layers
    activation : {'silu', 'softplus', 'elu', 'tanh', 'leaky_relu'}
        Smooth activations give smooth energy gradients for Langevin sampling.
    spectral_norm : bool, wrap every linear layer in spectral normalisation

    Examples
    --------
    >>> energy = MLPEnergy(2, hidden=(64, 64))
    >>> energy(torch.zeros(5, 2)).shape
    torch.Size([5])

    Used in chapters 2 and 5.
    """

    def __init__(self, in_features: int, hidden: tuple[int, ...] = (128, 128), activation: str = "silu",
                 spectral_norm: bool = False):
        super().__init__()
        in_features = check_int(in_features, "in_features", minimum=1)
        self.net = mlp_layers(in_features, hidden, 1, activation, spectral_norm)
        self.event_shape = (in_features,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        _check_dtype(self, x)
        return self.net(x).squeeze(-1)


class ConvEnergy(Energy):
    r"""Small convolutional energy for single-channel images (8×8 digits, 28×28 MNIST).

    Three convolutions (the last two with stride 2) and a linear read-out; it
    accepts images as ``(batch, C, H, W)`` or flattened ``(batch, C*H*W)``.

    Parameters
    ----------
    image_shape : tuple ``(C, H, W)``
    channels : tuple of two ints, feature maps of the convolutions
    activation : str, see :class:`MLPEnergy`
    spectral_norm : bool

    Examples
    --------
    >>> energy = ConvEnergy((1, 8, 8))
    >>> energy(torch.rand(4, 64)).shape
    torch.Size([4])

    Used in chapter 5.
    """

    def __init__(self, image_shape: tuple[int, int, int] = (1, 8, 8), channels: tuple[int, int] = (32, 64),
                 activation: str = "silu", spectral_norm: bool = False):
        super().__init__()
        if not isinstance(image_shape, (tuple, list)) or len(image_shape) != 3:
            raise ValueError(f"image_shape must be (C, H, W), got {image_shape!r}")
        c, h, w = (check_int(v, "image_shape", minimum=1) for v in image_shape)
        if h < 4 or w < 4:
            raise ValueError(f"image_shape must describe images of at least 4x4 pixels, got {h}x{w}")
        if not isinstance(channels, (tuple, list)) or len(channels) != 2:
            raise ValueError(f"channels must be two feature-map counts (c1, c2), got {channels!r}")
        c1, c2 = (check_int(v, "channels", minimum=1) for v in channels)
        self.image_shape = (c, h, w)
        self.event_shape = (c, h, w)
        self.features = nn.Sequential(
            _maybe_sn(nn.Conv2d(c, c1, 3, padding=1), spectral_norm), _activation(activation),
            _maybe_sn(nn.Conv2d(c1, c2, 4, stride=2, padding=1), spectral_norm), _activation(activation),
            _maybe_sn(nn.Conv2d(c2, c2, 4, stride=2, padding=1), spectral_norm), _activation(activation),
        )
        with torch.no_grad():
            n_features = self.features(torch.zeros(1, c, h, w)).numel()
        self.readout = _maybe_sn(nn.Linear(n_features, 1), spectral_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor(x, "x", floating=True)
        c, h, w = self.image_shape
        if x.ndim == 2 and x.shape[1] == c * h * w:
            x = x.reshape(-1, c, h, w)
        elif x.ndim != 4 or tuple(x.shape[1:]) != (c, h, w):
            raise ValueError(
                f"x must have shape (batch, {c}, {h}, {w}) or (batch, {c * h * w}), got {tuple(x.shape)}"
            )
        _check_dtype(self, x)
        return self.readout(self.features(x).flatten(1)).squeeze(-1)
