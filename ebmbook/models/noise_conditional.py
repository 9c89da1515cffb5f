r"""A noise-conditional energy network :math:`E_\theta(x, \sigma)` for multi-level score matching."""
from __future__ import annotations

import math

import torch

from ..energies.base import Energy
from ..energies.noise_conditional import noise_levels_like
from ..utils import check_int, check_tensor
from .nets import MLPEnergy, _check_dtype

__all__ = ["NoiseConditionalEnergy"]


class NoiseConditionalEnergy(Energy):
    r"""A noise-conditional MLP energy, :math:`E_\theta(x, \sigma) = f_\theta(x, \log\sigma) / \sigma`.

    :math:`f_\theta` is an :class:`MLPEnergy` on the :math:`d + 1` inputs :math:`[x, \log\sigma]`.

    One network for every noise level of denoising score matching (chapter 6);
    its score :math:`-\nabla_x E_\theta(x, \sigma)` drives
    :class:`~ebmbook.samplers.AnnealedLangevin`. It follows the calling
    convention of :mod:`ebmbook.energies.smoothed`: ``energy(x, sigma)`` with a
    noise level per row.

    **Why divide by** :math:`\sigma` **(and not** :math:`\sigma^2` **, or nothing).**
    The target score of a perturbed point :math:`\tilde x = x + \sigma z` is
    :math:`\nabla_{\tilde x} \log q_\sigma(\tilde x \mid x) = -z / \sigma`, of norm about
    :math:`\sqrt d / \sigma`: across levels :math:`\sigma_1 = 20 \dots \sigma_L = 1` it
    changes by a factor of 20. Song & Ermon (2020, "Improved techniques", technique 3)
    observe that the trained score is close to :math:`s(x)/\sigma` and build that in.
    Here :math:`\nabla_x E_\theta = \nabla_x f_\theta / \sigma`, so the right scale at
    every level needs only an :math:`f_\theta` whose gradient is of order one — what an
    MLP with unit-scale weights gives without learning anything about
    :math:`\sigma`. Dividing by :math:`\sigma^2` would instead demand gradients of
    :math:`f_\theta` growing like :math:`\sigma`, and no division would leave the
    network to learn the :math:`1/\sigma` range through its :math:`\log\sigma` input;
    in both cases the loss weights of the levels pull against each other. The
    :math:`\log\sigma` input (on the scale of the other inputs, unlike
    :math:`\sigma`) still lets the *shape* of the energy depend on the level.

    Parameters
    ----------
    in_features : int, :math:`d` (2 for the toy sets, 64 for 8×8 digits)
    hidden : tuple of int, widths of :math:`f_\theta`'s hidden layers
    activation : str, see :class:`MLPEnergy` (smooth: the sampler differentiates the energy)

    Attributes
    ----------
    mlp : MLPEnergy on :math:`d + 1` inputs, the network :math:`f_\theta`
    event_shape : tuple ``(in_features,)``; inputs ``(batch, *shape)`` with
        ``prod(shape) == in_features`` (e.g. images ``(batch, 1, 8, 8)``) are flattened

    Examples
    --------
    >>> energy = NoiseConditionalEnergy(2, hidden=(64, 64))
    >>> x, sigma = torch.zeros(5, 2), torch.linspace(0.1, 1.0, 5)
    >>> energy(x, sigma).shape
    torch.Size([5])
    >>> energy(x, 0.5).shape                                 # one level for every row
    torch.Size([5])

    Used in chapter 6.
    """

    def __init__(self, in_features: int, hidden: tuple[int, ...] = (128, 128), activation: str = "silu"):
        super().__init__()
        in_features = check_int(in_features, "in_features", minimum=1)
        self.mlp = MLPEnergy(in_features + 1, hidden=hidden, activation=activation)
        self.in_features = in_features
        self.event_shape = (in_features,)

    def forward(self, x: torch.Tensor, sigma: torch.Tensor | float | None = None) -> torch.Tensor:
        """Energies ``(batch,)`` of ``x`` ``(batch, in_features)`` at noise levels ``sigma`` (``(batch,)`` or a float).

        Raises
        ------
        TypeError
            Without ``sigma`` (the network needs ``(x, sigma)``), or for a non-floating ``x``
            or one in another dtype than the network's.
        ValueError
            Wrong shapes, or ``sigma`` not finite and > 0.
        """
        check_tensor(x, "x", floating=True)
        if x.ndim < 2 or math.prod(x.shape[1:]) != self.in_features:
            raise ValueError(f"x must have shape (batch, {self.in_features}) (or (batch, *shape) with "
                             f"{self.in_features} entries per row) for {type(self).__name__}, got {tuple(x.shape)}")
        _check_dtype(self, x)
        s = noise_levels_like(sigma, x, type(self).__name__)
        h = torch.cat([x.reshape(x.shape[0], -1), torch.log(s).unsqueeze(1)], dim=1)
        return self.mlp.net(h).squeeze(-1) / s
