r"""The contrastive-divergence objective of deep EBMs, with the energy-magnitude regulariser.

Maximum likelihood for :math:`p_\theta(x) = e^{-E_\theta(x)}/Z_\theta` has gradient

.. math:: \nabla_\theta\, \mathbb E_{\text{data}}[-\log p_\theta(x)]
    = \mathbb E_{\text{data}}[\nabla_\theta E_\theta(x)] - \mathbb E_{p_\theta}[\nabla_\theta E_\theta(x)],

which is the gradient of :math:`\mathbb E_{\text{data}}[E_\theta] - \mathbb E_{p_\theta}[E_\theta]`
with the negative samples held fixed: push data energies down, model-sample energies up.
"""
from __future__ import annotations

import torch

from ..energies.base import evaluate_energy
from ..samplers.base import Sampler
from ..samplers.chain import run
from ..samplers.compiled import check_compile, compiled_step
from ..samplers.replay import InitFn, ReplayBuffer, uniform_noise
from ..samplers.sgld import SGLD
from ..utils import check_finite, check_int, check_nonnegative, check_tensor
from .base import LossOutput

__all__ = ["LossOutput", "contrastive_divergence_loss", "ContrastiveDivergence"]


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
    for name, energies in (("energy_pos", energy_pos), ("energy_neg", energy_neg)):
        check_tensor(energies, name, ndim=1, floating=True)
        if energies.shape[0] == 0:
            raise ValueError(f"{name} must hold at least one energy, got shape (0,)")
    loss = energy_pos.mean() - energy_neg.mean()
    if alpha > 0:
        loss = loss + alpha * (energy_pos.pow(2).mean() + energy_neg.pow(2).mean())
    return loss


class ContrastiveDivergence:
    r"""Maximum-likelihood training objective: model samples from any sampler, optionally persistent.

    Each call starts a batch of chains (from the replay buffer, or fresh from
    ``init`` for short-run training), binds ``sampler`` to the *current* model
    and runs it ``n_steps`` steps (:func:`ebmbook.samplers.run`), writes the
    chains back to the buffer, and returns :func:`contrastive_divergence_loss`
    of the data against the chains. The sampler is any ebmbook sampler, built
    unbound (``SGLD(step_size=...)``, ``MALA(step_size=...)``, ``HMC(...)``):
    its settings are validated once, when you build it.

    Parameters
    ----------
    event_shape : tuple of int, shape of one example
    sampler : Sampler, optional, unbound; default ``SGLD(step_size=0.05, noise_scale=0.01)``
        (the image-paper style, :math:`T = \sigma^2/2\epsilon = 10^{-3}`; chapter 5 uses
        ``SGLD(step_size=0.02)``, :math:`T = 1`, for 2-D toys)
    n_steps : int, sampler steps per training step
    buffer : ReplayBuffer, int or None
        A :class:`ebmbook.samplers.ReplayBuffer` of persistent chains; an int, the
        capacity of a new buffer that draws fresh chains from ``init`` (on ``device``,
        seeded by ``generator``); or ``None``: short-run chains from ``init`` at every step.
    alpha : float, energy-magnitude regulariser
    init : callable ``(n, shape, generator, device) -> Tensor``, the initial distribution
        of fresh chains (default :func:`~ebmbook.samplers.uniform_noise` on [-1, 1])
    device : where a buffer built from an int lives (it then follows the data's
        device and dtype, so a float64 model gets float64 chains)
    generator : seeds a buffer built from an int
    compile : bool, default False
        Run the sampler's steps compiled (``run(..., compile=True)``; ULA, SGLD,
        MALA and HMC). The step compiles once, at the first training step, and
        every later step reuses it (the model's parameters may change); it pays
        off in long training runs, see :func:`ebmbook.samplers.sample_chain`. A
        sampler whose step does not compile (or a platform without
        ``torch.compile``) is refused here, when the objective is built.

    Attributes
    ----------
    guarded : tuple of str, the metrics the trainer's divergence guard bounds

    Examples
    --------
    >>> from ebmbook.models import MLPEnergy
    >>> from ebmbook.samplers import MALA
    >>> objective = ContrastiveDivergence((2,), sampler=MALA(step_size=0.01), n_steps=10,
    ...                                   buffer=1000, init=uniform_noise(-4, 4))
    >>> out = objective(MLPEnergy(2), torch.randn(32, 2), generator=torch.Generator().manual_seed(0))
    >>> sorted(out.metrics)
    ['energy_neg', 'energy_pos', 'loss']

    Used in chapter 5.
    """

    guarded = ("energy_pos", "energy_neg")

    def __init__(self, event_shape: tuple[int, ...], sampler: Sampler | None = None, n_steps: int = 20,
                 buffer: ReplayBuffer | int | None = 10000, alpha: float = 0.1, init: InitFn | None = None,
                 device: torch.device | str | None = None, generator: torch.Generator | None = None,
                 compile: bool = False):
        if not isinstance(event_shape, (tuple, list)):
            raise TypeError(f"event_shape must be a tuple of ints, e.g. (2,), got {type(event_shape).__name__}")
        self.event_shape = tuple(check_int(s, "event_shape", minimum=1) for s in event_shape)
        if sampler is None:
            sampler = SGLD(step_size=0.05, noise_scale=0.01)
        if not isinstance(sampler, Sampler):
            raise TypeError(f"sampler must be an ebmbook Sampler (e.g. SGLD(step_size=0.05)), got "
                            f"{type(sampler).__name__}")
        self.sampler = sampler
        self.compile = check_compile(compile)
        if self.compile:
            compiled_step(sampler)   # refuse a sampler whose step does not compile now, not at step 1
        self.n_steps = check_int(n_steps, "n_steps", minimum=1)
        self.alpha = check_nonnegative(alpha, "alpha")
        self.init = init if init is not None else uniform_noise()
        if not callable(self.init):
            raise TypeError("init must be callable (n, shape, generator, device) -> Tensor")
        self.device = device
        if isinstance(buffer, bool) or not (buffer is None or isinstance(buffer, (int, ReplayBuffer))):
            raise TypeError(f"buffer must be a ReplayBuffer, an int capacity or None, got {type(buffer).__name__}")
        if isinstance(buffer, int):
            buffer = ReplayBuffer(buffer, self.event_shape, init=self.init, device=device, generator=generator)
        elif isinstance(buffer, ReplayBuffer) and buffer.event_shape != self.event_shape:
            raise ValueError(f"buffer holds samples of shape {buffer.event_shape}, but event_shape is "
                             f"{self.event_shape}")
        self.buffer = buffer

    def negatives(self, energy, n: int, *, generator: torch.Generator | None = None,
                  like: torch.Tensor | None = None) -> torch.Tensor:
        """Draw ``n`` negative samples: buffer (or ``init``) then ``n_steps`` of the sampler on ``energy``.

        Updates the buffer. The chains take ``like``'s device and dtype when given
        (the data batch), else the buffer's (or the generator's device).
        """
        n = check_int(n, "n", minimum=1)
        if self.buffer is not None:
            if like is not None:
                self.buffer.to(device=like.device, dtype=like.dtype)
            x0, idx = self.buffer.sample(n, generator=generator)
        else:
            device = like.device if like is not None else (
                self.device if self.device is not None else (generator.device if generator is not None else "cpu"))
            x0, idx = self.init(n, self.event_shape, generator, device), None
            if like is not None:
                x0 = x0.to(like.dtype)
        x = run(self.sampler.bind(energy), x0, self.n_steps, generator=generator,
                compile=self.compile).position.detach()
        if idx is not None:
            self.buffer.push(x, idx)
        return x

    def __call__(self, model, batch: torch.Tensor, *, generator: torch.Generator | None = None) -> LossOutput:
        if not isinstance(batch, torch.Tensor):
            raise TypeError(f"batch must be a tensor of examples (batch, *event_shape), got {type(batch).__name__}")
        check_tensor(batch, "batch", floating=True)
        if tuple(batch.shape[1:]) != self.event_shape or batch.shape[0] == 0:
            raise ValueError(f"batch must have shape (batch >= 1, {', '.join(map(str, self.event_shape))}), "
                             f"got {tuple(batch.shape)}")
        check_finite(batch, "batch")
        x_neg = self.negatives(model, batch.shape[0], generator=generator, like=batch)
        e_pos = evaluate_energy(model, batch)      # checks the (batch,) contract
        e_neg = evaluate_energy(model, x_neg)
        loss = contrastive_divergence_loss(e_pos, e_neg, self.alpha)
        return LossOutput(loss, {"loss": float(loss.detach()), "energy_pos": float(e_pos.detach().mean()),
                                 "energy_neg": float(e_neg.detach().mean())})

    def state_dict(self) -> dict:
        """The replay buffer, for checkpoints."""
        return {"buffer": self.buffer.state_dict()} if self.buffer is not None else {}

    def load_state_dict(self, state: dict) -> None:
        """Restore the replay buffer from :meth:`state_dict`.

        Raises
        ------
        ValueError
            If the state holds a buffer and this objective has none, or the reverse.
        """
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict from state_dict(), got {type(state).__name__}")
        if (self.buffer is None) != ("buffer" not in state):
            have = "has no replay buffer" if self.buffer is None else "has a replay buffer"
            raise ValueError(f"this objective {have} but the saved state "
                             f"{'holds one' if 'buffer' in state else 'holds none'}: build the objective "
                             "with the same buffer setting as the one that was saved")
        if self.buffer is not None:
            self.buffer.load_state_dict(state["buffer"])
