r"""The contrastive-divergence objective of deep EBMs, with the energy-magnitude regulariser.

Maximum likelihood for :math:`p_\theta(x) = e^{-E_\theta(x)}/Z_\theta` has gradient

.. math:: \nabla_\theta\, \mathbb E_{\text{data}}[-\log p_\theta(x)]
    = \mathbb E_{\text{data}}[\nabla_\theta E_\theta(x)] - \mathbb E_{p_\theta}[\nabla_\theta E_\theta(x)],

which is the gradient of :math:`\mathbb E_{\text{data}}[E_\theta] - \mathbb E_{p_\theta}[E_\theta]`
with the negative samples held fixed: push data energies down, model-sample energies up.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import torch

from ..samplers.replay import InitFn, ReplayBuffer, uniform_noise
from ..samplers.sgld import SGLD
from ..utils import check_int, check_nonnegative, check_positive

__all__ = ["LossOutput", "contrastive_divergence_loss", "ContrastiveDivergence"]


class LossOutput(NamedTuple):
    """What an objective returns to :class:`ebmbook.train.Trainer`.

    Attributes
    ----------
    loss : Tensor, scalar, differentiable in the model's parameters
    metrics : dict of str to float, logged in the history (``energy_*`` entries are
        watched by the divergence guard)
    """

    loss: torch.Tensor
    metrics: dict


def contrastive_divergence_loss(energy_pos: torch.Tensor, energy_neg: torch.Tensor,
                                alpha: float = 0.0) -> torch.Tensor:
    r"""Contrastive loss with the energy-magnitude regulariser of Du & Mordatch (2019).

    .. math:: \mathcal L = \overline{E_+} - \overline{E_-} + \alpha\,\big(\overline{E_+^2} + \overline{E_-^2}\big)

    Parameters
    ----------
    energy_pos : Tensor ``(batch,)``, energies of data
    energy_neg : Tensor ``(batch,)``, energies of negative samples
    alpha : float, regulariser weight; keeps energies near zero so they cannot
        drift to huge values that stall sampling

    Returns
    -------
    Tensor, scalar
    """
    alpha = check_nonnegative(alpha, "alpha")
    if energy_pos.ndim != 1 or energy_neg.ndim != 1:
        raise ValueError("energy_pos and energy_neg must have shape (batch,)")
    loss = energy_pos.mean() - energy_neg.mean()
    if alpha > 0:
        loss = loss + alpha * (energy_pos.pow(2).mean() + energy_neg.pow(2).mean())
    return loss


class ContrastiveDivergence:
    r"""Maximum-likelihood training objective with SGLD negatives from a replay buffer.

    Each call draws a batch of chains from the buffer (or, without a buffer,
    fresh from ``init``: short-run training), runs ``n_steps`` of :class:`ebmbook.samplers.SGLD`
    on the current energy, pushes the chains back, and returns
    :func:`contrastive_divergence_loss` of the data against the chains.

    Parameters
    ----------
    event_shape : tuple of int
    step_size, noise_scale, grad_clip, clamp : the SGLD settings
    n_steps : int, SGLD steps per training step
    alpha : float, energy-magnitude regulariser
    buffer_size : int or None, replay-buffer capacity (None: short-run from noise)
    reinit_prob : float, buffer reinitialisation probability
    init : callable, the initial distribution (default uniform on [-1, 1])
    device : where the buffer lives

    Examples
    --------
    >>> from ebmbook.models import MLPEnergy
    >>> objective = ContrastiveDivergence((2,), step_size=0.05, noise_scale=0.1, n_steps=10,
    ...                                   buffer_size=1000, init=uniform_noise(-4, 4))
    >>> out = objective(MLPEnergy(2), torch.randn(32, 2), generator=torch.Generator().manual_seed(0))
    >>> sorted(out.metrics)
    ['energy_neg', 'energy_pos', 'loss']

    Used in chapter 5.
    """

    def __init__(self, event_shape: tuple[int, ...], step_size: float = 0.05, noise_scale: float | None = 0.01,
                 n_steps: int = 20, alpha: float = 0.1, buffer_size: int | None = 10000,
                 reinit_prob: float = 0.05, init: InitFn | None = None, grad_clip: float | None = None,
                 clamp: tuple[float, float] | None = None, device: torch.device | str | None = None,
                 generator: torch.Generator | None = None):
        self.event_shape = tuple(event_shape)
        self.step_size = check_positive(step_size, "step_size")
        self.noise_scale = noise_scale
        self.n_steps = check_int(n_steps, "n_steps", minimum=1)
        self.alpha = check_nonnegative(alpha, "alpha")
        self.grad_clip = grad_clip
        self.clamp = clamp
        self.init = init if init is not None else uniform_noise()
        self.device = device
        # validate the SGLD settings once, here, with a placeholder energy
        SGLD(lambda x: x.flatten(1).sum(-1), self.step_size, noise_scale, grad_clip, clamp)
        self.buffer = (ReplayBuffer(buffer_size, self.event_shape, reinit_prob, self.init, device, generator=generator)
                       if buffer_size is not None else None)

    def sampler(self, energy: Callable[[torch.Tensor], torch.Tensor]) -> SGLD:
        """The SGLD sampler on ``energy`` with this objective's settings."""
        return SGLD(energy, self.step_size, self.noise_scale, self.grad_clip, self.clamp)

    def negatives(self, energy, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` negative samples: buffer (or noise) then ``n_steps`` of SGLD; updates the buffer."""
        if self.buffer is not None:
            x0, idx = self.buffer.sample(n, generator=generator)
        else:
            device = self.device if self.device is not None else (generator.device if generator is not None else "cpu")
            x0, idx = self.init(n, self.event_shape, generator, device), None
        x = self.sampler(energy).run(x0, self.n_steps, generator=generator)
        if idx is not None:
            self.buffer.push(x, idx)
        return x

    def __call__(self, model, batch: torch.Tensor, *, generator: torch.Generator | None = None) -> LossOutput:
        x_neg = self.negatives(model, batch.shape[0], generator=generator).to(batch.device)
        e_pos = model(batch)
        e_neg = model(x_neg)
        loss = contrastive_divergence_loss(e_pos, e_neg, self.alpha)
        return LossOutput(loss, {"loss": float(loss.detach()), "energy_pos": float(e_pos.detach().mean()),
                                 "energy_neg": float(e_neg.detach().mean())})

    def state_dict(self) -> dict:
        """The replay buffer, for checkpoints."""
        return {"buffer": self.buffer.state_dict()} if self.buffer is not None else {}

    def load_state_dict(self, state: dict) -> None:
        if self.buffer is not None:
            self.buffer.load_state_dict(state["buffer"])
