"""The sampler contract shared by every MCMC method in :mod:`ebmbook.samplers`.

A sampler is a small, reusable object holding its validated settings and,
optionally, the energy it targets:

- ``s = MALA(energy, step_size=0.1)`` builds it on an energy;
  ``s = MALA(step_size=0.1)`` builds it unbound, and ``s.bind(energy)`` returns a
  copy on ``energy`` with the same settings (an objective binds the sampler it
  was given to the *current* model at every training step);
- ``state = s.init(x0)`` wraps a batch of chain positions ``(n_chains, *event_shape)``;
- ``state, info = s.step(state, generator=g)`` advances every chain by one
  transition, in one batched tensor operation.

States and infos are NamedTuples. Every state has at least ``position`` and
``energy``; a sampler may define its own state type with more fields (a cached
gradient, a momentum, an annealing level, an RBM's hidden layer) and declares it
as ``state_type``. :func:`ebmbook.samplers.run` and
:func:`ebmbook.samplers.sample_chain` accept any such state.

The ``energy`` field always holds what the bound energy returns: for
``Tempered(E, T)`` that is :math:`E/T`, the energy of the distribution being
sampled, for every sampler.
"""
from __future__ import annotations

import contextlib
import copy
import math
from typing import Callable, NamedTuple

import torch

from ..energies.base import energy_and_grad, evaluate_energy
from ..utils import check_finite, check_generator, check_positive, check_tensor

__all__ = ["State", "Info", "Sampler", "metropolis_accept", "is_state"]

EnergyFn = Callable[[torch.Tensor], torch.Tensor]


class State(NamedTuple):
    """Where the chains are (the state of every built-in continuous and spin sampler).

    Attributes
    ----------
    position : Tensor, ``(n_chains, *event_shape)``
    energy : Tensor, ``(n_chains,)``, the bound energy at ``position`` (cached)
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


def is_state(obj) -> bool:
    """Whether ``obj`` is a sampler state: a NamedTuple with ``position`` and ``energy`` tensors."""
    return isinstance(obj, tuple) and isinstance(getattr(obj, "position", None), torch.Tensor) \
        and isinstance(getattr(obj, "energy", None), torch.Tensor)


class Sampler:
    """Base class: holds the energy and implements ``bind`` and ``init``; subclasses implement ``step``.

    Parameters
    ----------
    energy : callable ``(batch, *event) -> (batch,)``, optional
        The target's energy; leave it out to build a reusable, unbound sampler
        and give it one later with :meth:`bind`.

    Attributes
    ----------
    grad_evals_per_step : int
        Energy-gradient evaluations one ``step`` costs (for ESS per gradient).
    uses_grad : bool
        Whether the state caches :math:`\\nabla E`.
    metropolis : bool
        Whether the step accepts or rejects a proposal (so an acceptance of
        exactly zero over a run means the chains are stuck).
    state_type : type
        The NamedTuple type of this sampler's states.
    """

    grad_evals_per_step: int = 0
    uses_grad: bool = False
    metropolis: bool = False
    state_type: type = State

    def __init__(self, energy: EnergyFn | None = None):
        self.energy = None
        if energy is not None:
            self._attach(energy)

    # -- binding --------------------------------------------------------------------
    def bind(self, energy: EnergyFn) -> "Sampler":
        """Return a copy of this sampler on ``energy``, with the same (already validated) settings.

        The original is unchanged, so one configured sampler can serve many
        energies: an objective binds it to the current model at every step, AIS
        to every intermediate distribution.

        Raises
        ------
        TypeError
            If ``energy`` is not callable, or is not an energy this sampler can
            use (e.g. :class:`Gibbs` needs ``couplings`` and ``field``).
        """
        bound = copy.copy(self)
        bound._attach(energy)
        return bound

    def _attach(self, energy: EnergyFn) -> None:
        if energy is None or not callable(energy):
            raise TypeError(f"energy must be callable (batch, *event) -> (batch,), got {type(energy).__name__}")
        self._check_energy(energy)
        self.energy = energy

    def _check_energy(self, energy: EnergyFn) -> None:
        """Hook: subclasses that need more than a callable check (and precompute) here."""

    @property
    def is_bound(self) -> bool:
        """Whether the sampler has an energy to target."""
        return self.energy is not None

    def _require_energy(self) -> None:
        if self.energy is None:
            name = type(self).__name__
            raise RuntimeError(f"this {name} has no energy: build it as {name}(energy, ...) or call "
                               f"{name}(...).bind(energy) before init/step")

    # -- starting chains ------------------------------------------------------------
    def _check_x0(self, x0: torch.Tensor) -> torch.Tensor:
        check_tensor(x0, "x0", min_ndim=1)
        if x0.shape[0] == 0:
            raise ValueError("x0 must hold at least one chain: shape (n_chains, *event_shape)")
        if not x0.is_floating_point():
            raise TypeError(f"x0 must be a floating-point tensor, got dtype {x0.dtype}")
        check_finite(x0, "x0")
        # Blame a wrongly shaped x0 on x0, not on the energy. Energies that also accept their
        # events flattened (ConvEnergy takes (batch, C*H*W)) are given the benefit of the doubt.
        event_shape = tuple(getattr(self.energy, "event_shape", None) or ())
        if event_shape and tuple(x0.shape[1:]) != event_shape and math.prod(x0.shape[1:]) != math.prod(event_shape):
            raise ValueError(f"x0 must have shape (n_chains, {', '.join(map(str, event_shape))}) for this "
                             f"energy, got {tuple(x0.shape)}")
        return x0.detach().clone()

    def init(self, x0: torch.Tensor) -> State:
        """Start chains at ``x0`` of shape ``(n_chains, *event_shape)``.

        Raises
        ------
        TypeError, ValueError
            If ``x0`` is not a floating tensor with a batch dimension, holds
            NaN/inf, or if the energy (or, for gradient samplers, its gradient)
            is not finite at ``x0``: such chains could never move.
        RuntimeError
            If the sampler has no energy (see :meth:`bind`).
        """
        self._require_energy()
        x0 = self._check_x0(x0)
        with _blame_flat_x0(x0):
            if self.uses_grad:
                e, g = energy_and_grad(self.energy, x0)
            else:
                with torch.no_grad():
                    e, g = evaluate_energy(self.energy, x0).detach(), None
        _check_start(e, "energy")
        if g is not None:
            _check_start(g, "gradient of the energy")
        return State(x0, e, g)

    def step(self, state, *, generator: torch.Generator | None = None):  # pragma: no cover
        raise NotImplementedError

    def _unit_info(self, like: torch.Tensor) -> Info:
        """The :class:`Info` of a step that always moves (acceptance 1), built once per batch shape.

        Unadjusted and Gibbs steps return the same two constant tensors at every step instead
        of allocating them anew (treat an ``Info`` as read-only).
        """
        key = (like.shape, like.device, like.dtype)
        cache = self.__dict__.setdefault("_unit_info_cache", {})
        info = cache.get(key)
        if info is None:
            info = Info(torch.ones(like.shape, device=like.device, dtype=like.dtype),
                        torch.ones(like.shape, device=like.device, dtype=torch.bool))
            cache.clear()  # one shape at a time: a long-lived sampler must not grow a cache
            cache[key] = info
        return info

    def _check_state(self, state, generator: torch.Generator | None = None) -> None:
        """Refuse a state this sampler cannot continue (wrong type, or another sampler's), or a bad ``generator``."""
        # Fast path of the hot loop: the state type this sampler made, its cached gradient, and a
        # generator on the chains' device (or none) need no further checks.
        if type(state) is self.state_type and self.energy is not None \
                and (not self.uses_grad or state.grad is not None) \
                and (generator is None or (type(generator) is torch.Generator
                                           and generator.device.type == state.position.device.type)):
            return
        self._require_energy()
        name = type(self).__name__
        if not is_state(state):
            raise TypeError(f"state must be a sampler state with `position` and `energy` (from {name}.init), "
                            f"got {type(state).__name__}")
        if not isinstance(state, self.state_type):
            raise TypeError(f"state is a {type(state).__name__}, but {name} continues {self.state_type.__name__}: "
                            f"start the chains with {name}.init(position)")
        if self.uses_grad and getattr(state, "grad", None) is None:
            raise TypeError(f"state has no cached gradient, so it comes from a sampler without gradients: "
                            f"restart with {name}.init(state.position)")
        check_generator(generator, "generator", device=state.position.device)


@contextlib.contextmanager
def _blame_flat_x0(x0: torch.Tensor):
    """Blame a 1-D ``x0`` that the energy cannot evaluate on ``x0``: it reads as chains of scalar events."""
    try:
        yield
    except ValueError as err:
        if x0.ndim != 1:
            raise
        raise ValueError(f"x0 has shape {tuple(x0.shape)}, which reads as {x0.shape[0]} chains of scalar events, "
                         f"and the energy refuses that ({err}); x0 must have shape (n_chains, *event_shape): "
                         "for one chain of a d-dimensional energy use x0.reshape(1, d)") from err


def _check_start(values: torch.Tensor, what: str) -> None:
    finite = torch.isfinite(values.reshape(values.shape[0], -1)).all(dim=1)
    if not bool(finite.all()):
        bad = torch.nonzero(~finite).flatten()
        hint = " (e.g. E(x) = |x| has no gradient at 0)" if what.startswith("gradient") else ""
        raise ValueError(f"the {what} is NaN or infinite at x0 for {bad.numel()} of {values.shape[0]} chains "
                         f"(first: chain {int(bad[0])}){hint}: start the chains where it is finite")


def metropolis_accept(log_ratio: torch.Tensor, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Accept with probability :math:`\min(1, e^{\log r})`, per chain.

    NaN ratios (e.g. a proposal whose energy overflowed) are rejected. The
    probability is computed in floating point even for integer energies (in the
    default dtype then), so it is never truncated to 0/1.

    Returns
    -------
    acceptance_prob : Tensor ``(n_chains,)``
    accepted : Tensor ``(n_chains,)``, bool
    """
    check_tensor(log_ratio, "log_ratio")
    check_generator(generator, "generator", device=log_ratio.device)
    if not log_ratio.is_floating_point():
        log_ratio = log_ratio.to(torch.get_default_dtype())
    log_ratio = torch.nan_to_num(log_ratio, nan=-torch.inf)
    prob = torch.exp(torch.clamp(log_ratio, max=0.0))
    u = torch.rand(log_ratio.shape, generator=generator, device=log_ratio.device, dtype=log_ratio.dtype)
    return prob, u < prob


def _accept(log_ratio: torch.Tensor, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`metropolis_accept` without its argument checks (the samplers' hot path)."""
    if not log_ratio.is_floating_point():
        log_ratio = log_ratio.to(torch.get_default_dtype())
    prob = torch.nan_to_num(log_ratio, nan=-torch.inf).clamp_(max=0.0).exp_()
    u = torch.rand(log_ratio.shape, generator=generator, device=log_ratio.device, dtype=log_ratio.dtype)
    return prob, u < prob


def _grad_step(energy, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Energy and gradient at a proposal, for the hot loop of a sampler whose ``init`` already checked the energy.

    Skips the argument checks of :func:`~ebmbook.energies.energy_and_grad`; anything unusual
    (wrong shape, non-differentiable, integer energies) falls back to it, so errors stay as clear.
    """
    with torch.enable_grad():
        xg = x.detach().requires_grad_(True)
        e = energy(xg)
        if type(e) is torch.Tensor and e.requires_grad and e.is_floating_point() and e.shape == x.shape[:1]:
            (grad,) = torch.autograd.grad(e.sum(), xg, allow_unused=True)
            if grad is not None:
                return e.detach(), grad
    return energy_and_grad(energy, x)


def _where(mask: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Select ``a`` where ``mask`` (per chain) else ``b``, broadcasting over event dims."""
    return torch.where(mask.reshape(mask.shape + (1,) * (a.ndim - 1)), a, b)


def _required_step_size(step_size, sampler: str) -> float:
    """``step_size`` has no sensible default: refuse a missing one by name."""
    if step_size is None:
        raise TypeError(f"{sampler} needs step_size, e.g. {sampler}(energy, step_size=0.1) or {sampler}(step_size=0.1)")
    return check_positive(step_size, "step_size")
