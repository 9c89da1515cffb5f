"""Parallel tempering (replica exchange) over a temperature ladder built on :class:`~ebmbook.energies.Tempered`."""
from __future__ import annotations

from typing import NamedTuple

import torch

from ..energies.tempered import Tempered
from .base import Info, Sampler, State, metropolis_accept

__all__ = ["ParallelTempering", "PTState", "PTInfo"]


class PTState(NamedTuple):
    """The chains of every temperature.

    Attributes
    ----------
    position, energy, grad : the :math:`T = 1` replica's (what a trace records)
    replicas : tuple of :class:`State`, one per temperature, coldest first; replica
        ``k``'s ``energy`` is :math:`E/T_k` (and its ``grad`` :math:`\\nabla E / T_k`)
    swap_prob_sum : Tensor ``(n_temperatures - 1,)``, sum over attempts of the mean
        swap acceptance probability of each adjacent pair
    swap_attempts : Tensor ``(n_temperatures - 1,)``, attempts per pair
    n_steps : int, steps taken (even steps try pairs (0, 1), (2, 3), ...; odd steps (1, 2), ...)
    """

    position: torch.Tensor
    energy: torch.Tensor
    grad: torch.Tensor | None
    replicas: tuple
    swap_prob_sum: torch.Tensor
    swap_attempts: torch.Tensor
    n_steps: int = 0

    @property
    def swap_acceptance(self) -> torch.Tensor:
        """Mean swap acceptance probability of each adjacent pair ``(k, k+1)``, shape ``(n_temperatures - 1,)``."""
        return self.swap_prob_sum / self.swap_attempts.clamp(min=1)


class PTInfo(NamedTuple):
    """What one parallel-tempering step did (``acceptance_prob``, ``accepted``: the :math:`T = 1` replica's move).

    ``swap_prob`` ``(n_temperatures - 1, n_chains)`` holds the swap acceptance
    probability of the pairs tried at this step (0 for the others); ``swap_tried``
    ``(n_temperatures - 1,)`` says which were tried.
    """

    acceptance_prob: torch.Tensor
    accepted: torch.Tensor
    energy_error: torch.Tensor | None
    swap_prob: torch.Tensor
    swap_tried: torch.Tensor


def _check_temperatures(temperatures) -> tuple[float, ...]:
    if isinstance(temperatures, torch.Tensor):
        temperatures = temperatures.detach().cpu().flatten().tolist()
    if isinstance(temperatures, (str, bytes)) or not hasattr(temperatures, "__len__"):
        raise TypeError(f"temperatures must be a sequence of numbers starting at 1, got {type(temperatures).__name__}")
    temps = []
    for t in temperatures:
        if isinstance(t, bool) or not isinstance(t, (int, float)):
            raise TypeError(f"temperatures must hold numbers, got {type(t).__name__}")
        temps.append(float(t))
    if len(temps) < 2:
        raise ValueError(f"temperatures must hold at least two temperatures (1 and a hotter one), got {temps}")
    if temps[0] != 1.0:
        raise ValueError(f"temperatures must start at 1 (the target), got {temps[0]}")
    if not all(b > a for a, b in zip(temps, temps[1:])) or not all(t < float("inf") for t in temps):
        raise ValueError(f"temperatures must be finite and strictly increasing, got {temps}")
    return tuple(temps)


class ParallelTempering(Sampler):
    r"""Replica exchange: one chain per temperature, neighbours swap states with a Metropolis test.

    Replica :math:`k` runs ``sampler`` on ``Tempered(E, T_k)``, targeting
    :math:`\exp(-E/T_k)` with :math:`1 = T_0 < T_1 < \dots`; hot replicas cross
    barriers, and swaps carry what they find down to :math:`T_0`. After each
    round of moves, adjacent pairs :math:`(k, k+1)` (even pairs on even steps,
    odd pairs on odd steps) swap their states with probability

    .. math:: \min\big\{1,\ \exp\big((1/T_k - 1/T_{k+1})\,(E(x_k) - E(x_{k+1}))\big)\big\},

    which leaves the product :math:`\prod_k \exp(-E(x_k)/T_k)` invariant, so
    replica 0 samples :math:`\exp(-E)` exactly. Each of ``n_chains`` chains has its
    own ladder; replicas are stepped one temperature after another (a loop of
    ``len(temperatures)`` batched steps). The swap acceptance of each pair is
    reported by ``state.swap_acceptance``: a pair near 0 means the ladder needs
    another rung there.

    Parameters
    ----------
    sampler : Sampler whose states are :class:`State` (RandomWalkMetropolis,
        ULA, MALA, HMC, NUTS, Gibbs, ...), bound or unbound: its settings are used at every
        temperature (its energy, if bound, is the target unless ``energy`` is given)
    temperatures : sequence of float, strictly increasing, starting at 1
    energy : callable, optional; the target :math:`E` (see :meth:`bind`)

    Examples
    --------
    >>> from ebmbook.energies import GaussianMixture
    >>> from ebmbook.samplers import MALA, sample_chain
    >>> far = GaussianMixture(torch.tensor([[-3.5, 0.0], [3.5, 0.0]]), torch.tensor([0.5, 0.5]))
    >>> pt = ParallelTempering(MALA(far, step_size=0.3), [1.0, 2.0, 4.0, 8.0, 16.0, 32.0])
    >>> trace = sample_chain(pt, torch.zeros(64, 2), 200, generator=torch.Generator().manual_seed(0))
    >>> trace.final_state.swap_acceptance.shape
    torch.Size([5])

    Used in chapter 2.
    """

    state_type = PTState

    def __init__(self, sampler: Sampler, temperatures, energy=None):
        if not isinstance(sampler, Sampler) or isinstance(sampler, ParallelTempering):
            raise TypeError(f"sampler must be an ebmbook Sampler (not a ParallelTempering), "
                            f"got {type(sampler).__name__}")
        if sampler.state_type is not State:
            raise TypeError(f"sampler must keep plain State states (position, energy, grad) so that replicas "
                            f"can swap; {type(sampler).__name__} keeps {sampler.state_type.__name__}")
        self.sampler = sampler
        self.temperatures = _check_temperatures(temperatures)
        self.uses_grad = sampler.uses_grad
        self.metropolis = sampler.metropolis
        super().__init__(energy if energy is not None else sampler.energy)

    @property
    def grad_evals_per_step(self):
        per = self.sampler.grad_evals_per_step
        return None if per is None else per * len(self.temperatures)

    @property
    def init_grad_evals(self) -> int:
        return len(self.temperatures) if self.uses_grad else 0

    def _check_energy(self, energy) -> None:
        self.replica_samplers = tuple(self.sampler.bind(energy if t == 1.0 else Tempered(energy, t))
                                      for t in self.temperatures)

    def _swap_log_ratio(self, base_cold: torch.Tensor, base_hot: torch.Tensor, t_cold: float, t_hot: float):
        """:math:`\\log r = (1/T_k - 1/T_{k+1})(E(x_k) - E(x_{k+1}))` per chain."""
        return (1.0 / t_cold - 1.0 / t_hot) * (base_cold - base_hot)

    def init(self, x0: torch.Tensor) -> PTState:
        """Start every temperature's chains at ``x0`` ``(n_chains, *event_shape)``."""
        self._require_energy()
        reps = tuple(s.init(x0) for s in self.replica_samplers)
        k = len(self.temperatures) - 1
        zeros = torch.zeros(k, device=reps[0].energy.device, dtype=reps[0].energy.dtype)
        return PTState(reps[0].position, reps[0].energy, reps[0].grad, reps, zeros, zeros.clone(), 0)

    def step(self, state: PTState, *, generator: torch.Generator | None = None) -> tuple[PTState, PTInfo]:
        self._check_state(state, generator)
        reps, infos = [], []
        for s, rep in zip(self.replica_samplers, state.replicas):
            rep, info = s.step(rep, generator=generator)
            reps.append(rep)
            infos.append(info)
        temps = self.temperatures
        n_pairs = len(temps) - 1
        e0 = reps[0].energy
        swap_prob = torch.zeros((n_pairs, e0.shape[0]), device=e0.device, dtype=e0.dtype)
        tried = torch.zeros(n_pairs, device=e0.device, dtype=torch.bool)
        for k in range(state.n_steps % 2, n_pairs, 2):
            a, b = reps[k], reps[k + 1]
            base_a, base_b = a.energy * temps[k], b.energy * temps[k + 1]
            prob, acc = metropolis_accept(self._swap_log_ratio(base_a, base_b, temps[k], temps[k + 1]), generator)
            reps[k], reps[k + 1] = _swap(a, b, acc, temps[k], temps[k + 1])
            swap_prob[k] = prob
            tried[k] = True
        sums = state.swap_prob_sum + swap_prob.mean(-1)
        attempts = state.swap_attempts + tried
        cold = reps[0]
        new = PTState(cold.position, cold.energy, cold.grad, tuple(reps), sums, attempts, state.n_steps + 1)
        first = infos[0]
        return new, PTInfo(first.acceptance_prob, first.accepted, None, swap_prob, tried)


def _swap(a: State, b: State, acc: torch.Tensor, t_a: float, t_b: float) -> tuple[State, State]:
    """Exchange the positions of replicas ``a`` (at ``t_a``) and ``b`` where ``acc``, rescaling the cached values."""
    m = acc.reshape(acc.shape + (1,) * (a.position.ndim - 1))
    pos_a = torch.where(m, b.position, a.position)
    pos_b = torch.where(m, a.position, b.position)
    e_a = torch.where(acc, b.energy * (t_b / t_a), a.energy)
    e_b = torch.where(acc, a.energy * (t_a / t_b), b.energy)
    if a.grad is None:
        return State(pos_a, e_a, None), State(pos_b, e_b, None)
    g_a = torch.where(m, b.grad * (t_b / t_a), a.grad)
    g_b = torch.where(m, a.grad * (t_a / t_b), b.grad)
    return State(pos_a, e_a, g_a), State(pos_b, e_b, g_b)
