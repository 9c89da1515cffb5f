"""The sampler contract shared by every MCMC method in :mod:`ebmbook.samplers`.

A sampler is a small object holding its settings. ``state = s.init(x0)`` wraps a
batch of chain positions ``(n_chains, *event_shape)``; ``state, info = s.step(state,
generator=g)`` advances every chain by one transition, in one batched tensor
operation. State and info are NamedTuples, so they can be unpacked, stored or
passed to :func:`ebmbook.samplers.sample_chain`.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import torch

from ..energies.base import energy_and_grad, evaluate_energy
from ..utils import check_finite, check_tensor

__all__ = ["State", "Info", "Sampler", "metropolis_accept"]

EnergyFn = Callable[[torch.Tensor], torch.Tensor]


class State(NamedTuple):
    """Where the chains are.

    Attributes
    ----------
    position : Tensor, ``(n_chains, *event_shape)``
    energy : Tensor, ``(n_chains,)``, :math:`E` at ``position`` (cached)
    grad : Tensor or None, like ``position``: :math:`\\nabla E` at ``position``
        (cached by gradient-based samplers so each step costs one evaluation)
    """

    position: torch.Tensor
    energy: torch.Tensor
    grad: torch.Tensor | None = None


class Info(NamedTuple):
    """What one step did.

    Attributes
    ----------
    acceptance_prob : Tensor ``(n_chains,)``, the Metropolis–Hastings acceptance
        probability of the step's proposal (1 for unadjusted and Gibbs steps)
    accepted : Tensor ``(n_chains,)``, bool, whether each chain moved
    energy_error : Tensor ``(n_chains,)`` or None, HMC's change in the Hamiltonian
    """

    acceptance_prob: torch.Tensor
    accepted: torch.Tensor
    energy_error: torch.Tensor | None = None


class Sampler:
    """Base class: holds the energy and implements ``init``; subclasses implement ``step``.

    Attributes
    ----------
    grad_evals_per_step : int
        Energy-gradient evaluations one ``step`` costs (for ESS per gradient).
    uses_grad : bool
        Whether the state caches :math:`\\nabla E`.
    """

    grad_evals_per_step: int = 0
    uses_grad: bool = False

    def __init__(self, energy: EnergyFn):
        if not callable(energy):
            raise TypeError(f"energy must be callable (batch, *event) -> (batch,), got {type(energy).__name__}")
        self.energy = energy

    def init(self, x0: torch.Tensor) -> State:
        """Start chains at ``x0`` of shape ``(n_chains, *event_shape)``.

        Raises
        ------
        TypeError, ValueError
            If ``x0`` is not a tensor with a batch dimension, or holds NaN/inf.
        """
        check_tensor(x0, "x0", min_ndim=1)
        if x0.shape[0] == 0:
            raise ValueError("x0 must hold at least one chain")
        if not x0.is_floating_point():
            raise TypeError(f"x0 must be a floating-point tensor, got dtype {x0.dtype}")
        check_finite(x0, "x0")
        x0 = x0.detach().clone()
        if self.uses_grad:
            e, g = energy_and_grad(self.energy, x0)
            return State(x0, e, g)
        with torch.no_grad():
            e = evaluate_energy(self.energy, x0)
        return State(x0, e.detach(), None)

    def step(self, state: State, *, generator: torch.Generator | None = None) -> tuple[State, Info]:  # pragma: no cover
        raise NotImplementedError

    def _check_state(self, state: State) -> None:
        if not isinstance(state, State):
            raise TypeError(f"state must be a State from {type(self).__name__}.init, got {type(state).__name__}")


def metropolis_accept(log_ratio: torch.Tensor, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Accept with probability :math:`\min(1, e^{\log r})`, per chain.

    NaN ratios (e.g. a proposal whose energy overflowed) are rejected.

    Returns
    -------
    acceptance_prob : Tensor ``(n_chains,)``
    accepted : Tensor ``(n_chains,)``, bool
    """
    log_ratio = torch.nan_to_num(log_ratio, nan=-torch.inf)
    prob = torch.exp(torch.clamp(log_ratio, max=0.0))
    u = torch.rand(log_ratio.shape, generator=generator, device=log_ratio.device, dtype=log_ratio.dtype)
    return prob, u < prob


def _where(mask: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Select ``a`` where ``mask`` (per chain) else ``b``, broadcasting over event dims."""
    return torch.where(mask.reshape(mask.shape + (1,) * (a.ndim - 1)), a, b)
