r"""The JEM objective: cross-entropy for :math:`p(y \mid x)` plus contrastive divergence for :math:`p(x)`.

Grathwohl et al. (2019) factor :math:`\log p_\theta(x, y) = \log p_\theta(y \mid x) + \log p_\theta(x)`
and train both terms on the same network (:class:`~ebmbook.models.JEM`):

.. math:: \mathcal L = \underbrace{-\overline{\log p_\theta(y \mid x)}}_{\text{cross-entropy}}
    + \lambda_t \Big(\overline{E_\theta(x^+)} - \overline{E_\theta(x^-)}
    + \alpha\big(\overline{E_\theta(x^+)^2} + \overline{E_\theta(x^-)^2}\big)\Big),

with :math:`x^-` from a replay buffer of SGLD chains on :math:`E_\theta(x)` (the
generative term is :class:`~ebmbook.losses.ContrastiveDivergence`'s) and
:math:`\lambda_t` ramped from 0 to ``generative_weight`` over ``warmup_steps``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..models.jem import _check_labels
from ..samplers.base import Sampler
from ..samplers.chain import run
from ..samplers.replay import InitFn, ReplayBuffer, uniform_noise
from ..samplers.sgld import SGLD
from ..utils import check_finite, check_int, check_nonnegative, check_tensor
from .base import LossOutput
from .contrastive import ContrastiveDivergence, contrastive_divergence_loss

__all__ = ["JEMObjective"]


class JEMObjective:
    r"""Train a :class:`~ebmbook.models.JEM` as a classifier and as an EBM on labelled batches ``(x, y)``.

    The loss (module docstring) is cross-entropy on the batch plus the contrastive term of
    :class:`~ebmbook.losses.ContrastiveDivergence` with any sampler and replay buffer. With
    ``class_conditional=True`` the negatives come from class-conditional chains instead:
    slot :math:`i` of the buffer holds a chain of class :math:`i \bmod K`, moved on
    :math:`E(x, y)` (:meth:`ebmbook.models.JEM.conditional`); uniform labels make those
    chains a sample of :math:`p(x)` when the model's :math:`p(y)` is near uniform.

    Stabilisation recipe (what chapter 8 uses; JEM's users most often report that training
    diverges after a few epochs): the energy regulariser ``alpha`` (keeps :math:`E` near 0,
    so it cannot run away), smooth activations in the classifier (SiLU: SGLD follows
    :math:`\nabla_x E`), SGLD with a large step and small noise clamped to the pixel range
    (``SGLD(step_size=1, noise_scale=0.01, clamp=(0, 1))``, :math:`T = \sigma^2/2\epsilon`),
    a warm-up of the generative weight (the classifier first learns features), Adam with
    :math:`\beta_1 = 0` and a small learning rate, and the trainer's divergence guard on
    ``energy_pos``/``energy_neg`` (``guard='rollback'`` halves the rate and resumes).

    Parameters
    ----------
    event_shape : tuple of int, shape of one input
    n_classes : int, :math:`K`
    sampler : Sampler, optional, unbound; default ``SGLD(step_size=1.0, noise_scale=0.01, clamp=(0, 1))``
    n_steps : int, sampler steps per training step
    buffer : ReplayBuffer, int or None, as in :class:`ContrastiveDivergence`
    alpha : float, energy-magnitude regulariser
    generative_weight : float, :math:`\lambda` after warm-up (0 trains a plain classifier)
    warmup_steps : int, calls over which :math:`\lambda_t` rises linearly from 0
    class_conditional : bool, class-conditional replay (needs a buffer)
    init : callable ``(n, shape, generator, device) -> Tensor``, fresh chains
        (default uniform noise on [0, 1], the digits' range)
    device, generator : where a buffer built from an int lives, and its seed

    Attributes
    ----------
    guarded : ``("energy_pos", "energy_neg")``, bounded by the trainer's guard
    contrastive : the :class:`ContrastiveDivergence` holding the sampler and buffer
    calls : int, training steps seen (drives the warm-up; checkpointed)

    Examples
    --------
    >>> from ebmbook.models import JEM, MLPClassifier
    >>> from ebmbook.samplers import SGLD
    >>> objective = JEMObjective((64,), 10, sampler=SGLD(step_size=1.0, noise_scale=0.01), n_steps=5, buffer=100)
    >>> x, y = torch.rand(16, 64), torch.randint(10, (16,))
    >>> out = objective(JEM(MLPClassifier(64, 10), 10), (x, y), generator=torch.Generator().manual_seed(0))
    >>> sorted(out.metrics)
    ['accuracy', 'cross_entropy', 'energy_neg', 'energy_pos', 'generative_weight', 'loss']

    Used in chapter 8.
    """

    guarded = ("energy_pos", "energy_neg")

    def __init__(self, event_shape: tuple[int, ...], n_classes: int, sampler: Sampler | None = None,
                 n_steps: int = 20, buffer: ReplayBuffer | int | None = 10000, alpha: float = 0.1,
                 generative_weight: float = 1.0, warmup_steps: int = 0, class_conditional: bool = False,
                 init: InitFn | None = None, device: torch.device | str | None = None,
                 generator: torch.Generator | None = None):
        self.n_classes = check_int(n_classes, "n_classes", minimum=2)
        if sampler is None:
            sampler = SGLD(step_size=1.0, noise_scale=0.01, clamp=(0.0, 1.0))
        self.contrastive = ContrastiveDivergence(event_shape, sampler, n_steps, buffer, alpha,
                                                 init if init is not None else uniform_noise(0.0, 1.0),
                                                 device=device, generator=generator)
        self.event_shape = self.contrastive.event_shape
        self.generative_weight = check_nonnegative(generative_weight, "generative_weight")
        self.warmup_steps = check_int(warmup_steps, "warmup_steps", minimum=0)
        if not isinstance(class_conditional, bool):
            raise TypeError(f"class_conditional must be a bool, got {type(class_conditional).__name__}")
        if class_conditional and self.contrastive.buffer is None:
            raise ValueError("class_conditional replay needs a buffer (buffer=None draws short-run chains)")
        self.class_conditional = class_conditional
        self.calls = 0

    @property
    def alpha(self) -> float:
        return self.contrastive.alpha

    def current_weight(self) -> float:
        r""":math:`\lambda_t = \lambda \min(1, t / \text{warmup\_steps})` at the next call."""
        if self.warmup_steps == 0:
            return self.generative_weight
        return self.generative_weight * min(1.0, self.calls / self.warmup_steps)

    def negatives(self, model, n: int, *, generator: torch.Generator | None = None,
                  like: torch.Tensor | None = None) -> torch.Tensor:
        """``n`` negative samples for ``model`` (a JEM): marginal or class-conditional chains; updates the buffer."""
        return self._negatives_and_labels(model, n, generator=generator, like=like)[0]

    def _negatives_and_labels(self, model, n: int, *, generator: torch.Generator | None = None,
                              like: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        if not self.class_conditional:
            return self.contrastive.negatives(model, n, generator=generator, like=like), None
        buffer = self.contrastive.buffer
        if like is not None:
            buffer.to(device=like.device, dtype=like.dtype)
        x0, idx = buffer.sample(check_int(n, "n", minimum=1), generator=generator)
        energy = model.conditional(idx % self.n_classes)
        x = run(self.contrastive.sampler.bind(energy), x0, self.contrastive.n_steps, generator=generator)
        x = x.position.detach()
        buffer.push(x, idx)
        return x, idx % self.n_classes

    def _check_batch(self, model, batch) -> tuple[torch.Tensor, torch.Tensor]:
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            raise TypeError(f"batch must be a tuple (x, y) of inputs and integer labels, got "
                            f"{type(batch).__name__}")
        if not (callable(getattr(model, "logits", None)) and getattr(model, "n_classes", None) == self.n_classes):
            raise TypeError(f"model must be an ebmbook.models.JEM with n_classes={self.n_classes}, got "
                            f"{type(model).__name__}")
        x, y = batch
        check_tensor(x, "batch x", floating=True)
        if tuple(x.shape[1:]) != self.event_shape or x.shape[0] == 0:
            raise ValueError(f"batch x must have shape (batch >= 1, {', '.join(map(str, self.event_shape))}), "
                             f"got {tuple(x.shape)}")
        check_finite(x, "batch x")
        return x, _check_labels(y, "batch y", self.n_classes, x.shape[0])

    def __call__(self, model, batch, *, generator: torch.Generator | None = None) -> LossOutput:
        x, y = self._check_batch(model, batch)
        logits = model.logits(x)
        ce = F.cross_entropy(logits, y.to(logits.device))
        weight = self.current_weight()
        self.calls += 1
        metrics = {"cross_entropy": float(ce.detach()),
                   "accuracy": float((logits.detach().argmax(1) == y.to(logits.device)).float().mean()),
                   "generative_weight": weight}
        if self.class_conditional:   # contrastive divergence on p(x, y): E(x, y) = -f(x)[y]
            e_pos = -logits.gather(1, y.to(logits.device)[:, None]).squeeze(1)
        else:                        # on p(x): E(x) = -logsumexp f(x)
            e_pos = -torch.logsumexp(logits, dim=1)
        if weight > 0:
            x_neg, y_neg = self._negatives_and_labels(model, x.shape[0], generator=generator, like=x)
            e_neg = model(x_neg) if y_neg is None else model.energy(x_neg, y_neg)
            loss = ce + weight * contrastive_divergence_loss(e_pos, e_neg, self.alpha)
        else:  # plain classifier (or warm-up): no chains are run
            e_neg = e_pos.detach()
            loss = ce
        metrics.update(loss=float(loss.detach()), energy_pos=float(e_pos.detach().mean()),
                       energy_neg=float(e_neg.detach().mean()))
        return LossOutput(loss, metrics)

    def state_dict(self) -> dict:
        """The replay buffer and the call count, for checkpoints and rollbacks."""
        return {**self.contrastive.state_dict(), "calls": torch.tensor(self.calls)}

    def load_state_dict(self, state: dict) -> None:
        """Restore from :meth:`state_dict`."""
        if not isinstance(state, dict) or "calls" not in state:
            raise ValueError("state must be a dict from JEMObjective.state_dict() (with 'calls')")
        self.contrastive.load_state_dict({k: v for k, v in state.items() if k != "calls"})
        self.calls = int(state["calls"])
