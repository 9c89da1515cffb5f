r"""Hopfield networks: classical (binary), dense associative memories and modern (continuous).

A classical Hopfield network (Hopfield, 1982) stores patterns
:math:`\xi^\mu \in \{-1,+1\}^N` as minima of the energy

.. math:: E(s) = -\tfrac12 s^\top W s, \qquad W_{ii} = 0,

and recalls by descending it one unit at a time. The dense associative memory
of Krotov & Hopfield (2016) sharpens the interaction, :math:`E = -\sum_\mu
F(\xi^\mu\cdot s)`, and the modern Hopfield network of Ramsauer et al. (2020)
makes the state continuous with an update that is exactly softmax attention.
"""
from __future__ import annotations

from typing import NamedTuple

import torch

from ..utils import check_device, check_generator, check_int, check_positive, check_tensor

__all__ = [
    "Hopfield",
    "DenseAssociativeMemory",
    "RecallResult",
    "overlap",
    "check_patterns",
]

RULES = ("hebbian", "storkey", "pseudoinverse")
MODES = ("async", "sync")


def check_patterns(patterns: torch.Tensor, name: str = "patterns", n_units: int | None = None) -> torch.Tensor:
    """Check that ``patterns`` is a non-empty ``(P, N)`` tensor of spins ±1 (of length ``n_units``)."""
    check_tensor(patterns, name, ndim=2)
    if patterns.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one pattern (P = 0)")
    if patterns.shape[1] == 0:
        raise ValueError(f"{name} must have at least one unit")
    if n_units is not None and patterns.shape[1] != n_units:
        raise ValueError(f"{name} must have length {n_units} (the network's units), got {patterns.shape[1]}")
    if not bool(((patterns == 1) | (patterns == -1)).all()):
        raise ValueError(f"{name} must contain only -1 and +1 (map bits b to 2b - 1)")
    return patterns


def overlap(states: torch.Tensor, patterns: torch.Tensor) -> torch.Tensor:
    r"""Overlaps :math:`m^\mu = \xi^\mu \cdot s / N` of states with patterns, shape ``(batch, P)``.

    :math:`m = 1` is perfect recall, :math:`m = -1` the inverted pattern (also a
    minimum), :math:`m \approx 0` an unrelated state.
    """
    check_tensor(states, "states", ndim=2)
    check_tensor(patterns, "patterns", ndim=2)
    if patterns.shape[1] == 0:
        raise ValueError("patterns must have at least one unit, got shape (P, 0)")
    if states.shape[1] != patterns.shape[1]:
        raise ValueError(f"states and patterns must have the same length, got {states.shape[1]} and {patterns.shape[1]}")
    return states.to(patterns.dtype) @ patterns.T / patterns.shape[1]


class RecallResult(NamedTuple):
    """Outcome of :meth:`Hopfield.recall`.

    Attributes
    ----------
    states : Tensor ``(batch, N)``, final states
    converged : Tensor ``(batch,)`` bool, reached a fixed point within ``max_sweeps``
    n_sweeps : Tensor ``(batch,)`` int, sweeps until the fixed point (``max_sweeps`` if not)
    energies : Tensor ``(n_recorded, batch)``, energy after every sweep (first row: the probes);
        after every single-unit update when ``record="unit"``; ``-inf`` where an exponential
        dense memory's energy overflows float64 (the dynamics are unaffected)
    cycled : Tensor ``(batch,)`` bool, synchronous dynamics entered a 2-cycle
    trajectory : Tensor ``(n_run + 1, batch, N)`` or None, the state after every sweep (first
        row: the probes; probes already settled repeat their state) when
        ``recall(..., record_states=True)``, else None
    """

    states: torch.Tensor
    converged: torch.Tensor
    n_sweeps: torch.Tensor
    energies: torch.Tensor
    cycled: torch.Tensor
    trajectory: torch.Tensor | None = None


def _sign_keep(field: torch.Tensor, current: torch.Tensor) -> torch.Tensor:
    """sign(field), keeping the current value where the field is exactly zero."""
    return torch.where(field > 0, 1.0, torch.where(field < 0, -1.0, current)).to(current.dtype)


class _SpinMemory:
    """Shared recall machinery of the binary memories: sweeps, fixed points, 2-cycles."""

    n_units: int

    def _check_fitted(self) -> None:
        if getattr(self, "patterns_", None) is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(patterns) first")

    def _check_states(self, states: torch.Tensor, name: str = "states") -> torch.Tensor:
        self._check_fitted()
        check_tensor(states, name, ndim=2)
        check_patterns(states, name, self.n_units)
        return states

    def _unit_field(self, s: torch.Tensor, i: int) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _sync_field(self, s: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def energy(self, states: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _recorded_energy(self, states: torch.Tensor) -> torch.Tensor:
        """The energy recall records (states already checked); a memory may allow ``-inf`` here."""
        return self.energy(states)

    def sweep(self, states: torch.Tensor, mode: str = "async", *, generator: torch.Generator | None = None,
              record_units: bool = False):
        """One sweep: every unit updated once, in a random order (``async``) or all at once (``sync``).

        In asynchronous mode one random permutation is drawn per sweep and shared
        by the batch. Returns the new states (and, with ``record_units``, the
        energies after each single-unit update, shape ``(N, batch)``).
        """
        self._check_states(states)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        check_generator(generator, "generator")
        s = states.to(self.patterns_.dtype).clone()
        if mode == "sync":
            s = _sign_keep(self._sync_field(s), s)
            return (s, self._recorded_energy(s).unsqueeze(0)) if record_units else s
        order = torch.randperm(self.n_units, generator=generator, device=s.device if generator is None
                               else generator.device).tolist()
        trajectory = []
        for i in order:
            s[:, i] = _sign_keep(self._unit_field(s, i), s[:, i])
            if record_units:
                trajectory.append(self._recorded_energy(s))
        return (s, torch.stack(trajectory)) if record_units else s

    def recall(self, probes: torch.Tensor, mode: str = "async", max_sweeps: int = 100, *,
               generator: torch.Generator | None = None, record: str = "sweep",
               record_states: bool = False) -> RecallResult:
        """Run the dynamics from ``probes`` until every probe is at a fixed point or ``max_sweeps``.

        Parameters
        ----------
        probes : Tensor ``(batch, N)`` of ±1
        mode : {'async', 'sync'}
        max_sweeps : int
        generator : torch.Generator, optional (the random update order)
        record : {'sweep', 'unit'}, energy after every sweep or after every single-unit update
        record_states : bool, also keep the state after every sweep in ``trajectory``

        Returns
        -------
        RecallResult

        Notes
        -----
        Asynchronous updates never increase the energy (with symmetric weights and
        zero self-coupling), so they end at a fixed point. Synchronous updates can
        instead enter a 2-cycle, which is detected and reported in ``cycled``.
        """
        self._check_states(probes, "probes")
        max_sweeps = check_int(max_sweeps, "max_sweeps", minimum=1)
        if record not in ("sweep", "unit"):
            raise ValueError(f"record must be 'sweep' or 'unit', got {record!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        check_generator(generator, "generator")
        s = probes.to(self.patterns_.dtype).clone()
        batch = s.shape[0]
        energies = [self._recorded_energy(s)]
        converged = torch.zeros(batch, dtype=torch.bool, device=s.device)
        cycled = torch.zeros_like(converged)
        n_sweeps = torch.full((batch,), max_sweeps, dtype=torch.long, device=s.device)
        previous = None
        trajectory = [s] if record_states else None
        for t in range(1, max_sweeps + 1):
            if record == "unit":
                new, unit_energies = self.sweep(s, mode, generator=generator, record_units=True)
                energies.extend(unit_energies)
            else:
                new = self.sweep(s, mode, generator=generator)
                energies.append(self._recorded_energy(new))
            # frozen probes keep their state: done ones stay put
            new = torch.where((converged | cycled).unsqueeze(-1), s, new)
            if record_states:
                trajectory.append(new)
            fixed = (new == s).all(-1) & ~converged & ~cycled
            n_sweeps = torch.where(fixed, torch.full_like(n_sweeps, t), n_sweeps)
            converged |= fixed
            if mode == "sync" and previous is not None:
                two_cycle = (new == previous).all(-1) & ~(new == s).all(-1) & ~cycled & ~converged
                cycled |= two_cycle
            previous, s = s, new
            if bool((converged | cycled).all()):
                break
        return RecallResult(s, converged, n_sweeps, torch.stack(energies), cycled,
                            torch.stack(trajectory) if record_states else None)

    def overlap(self, states: torch.Tensor) -> torch.Tensor:
        """Overlaps of ``states`` with the stored patterns, shape ``(batch, P)``."""
        self._check_fitted()
        return overlap(states, self.patterns_)


class Hopfield(_SpinMemory):
    r"""Classical Hopfield network on spins ±1.

    Learning rules (all give a symmetric :math:`W` with zero diagonal):

    - ``"hebbian"``: :math:`W = \frac1N \sum_\mu \xi^\mu {\xi^\mu}^\top`; capacity
      :math:`P/N \approx 0.138` for random patterns (Amit, Gutfreund & Sompolinsky, 1985).
    - ``"storkey"``: Storkey's (1997) incremental, local rule
      :math:`\Delta W_{ij} = \frac1N(\xi_i\xi_j - \xi_i h_{ji} - h_{ij}\xi_j)`, with
      :math:`h_{ij} = \sum_{k\ne i,j} W_{ik}\xi_k`; higher capacity than Hebb.
    - ``"pseudoinverse"``: the projection rule :math:`W = \Xi^\top (\Xi\Xi^\top)^{-1}\Xi`
      (rows of :math:`\Xi` are patterns): every linearly independent pattern is a
      fixed point, correlated patterns included.

    Parameters
    ----------
    rule : {'hebbian', 'storkey', 'pseudoinverse'}

    Attributes
    ----------
    weights_ : Tensor ``(N, N)``
    patterns_ : Tensor ``(P, N)``
    n_units : int

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> xi = torch.where(torch.rand(5, 100, generator=g) < 0.5, -1.0, 1.0)
    >>> net = Hopfield("hebbian").fit(xi)
    >>> bool((net.recall(xi, generator=g).states == xi).all())
    True

    Used in chapter 3.
    """

    def __init__(self, rule: str = "hebbian"):
        if rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
        self.rule = rule
        self.weights_: torch.Tensor | None = None
        self.patterns_: torch.Tensor | None = None

    def fit(self, patterns: torch.Tensor) -> "Hopfield":
        """Store ``patterns`` (``(P, N)``, ±1) with the chosen rule; returns ``self``."""
        check_patterns(patterns)
        xi = patterns.to(torch.float32 if not patterns.is_floating_point() else patterns.dtype)
        n_patterns, n = xi.shape
        if self.rule == "hebbian":
            w = xi.T @ xi / n
        elif self.rule == "storkey":
            w = torch.zeros(n, n, dtype=xi.dtype, device=xi.device)
            for pattern in xi:
                h = w @ pattern  # h_i = sum_k W_ik xi_k (diagonal is zero)
                # h_ij excludes k = j: h_i - W_ij xi_j, so the update simplifies (xi^2 = 1):
                # dW = (xi xi^T - xi h^T - h xi^T + 2 W) / N (the W terms restore k != j)
                w = w + (torch.outer(pattern, pattern) - torch.outer(pattern, h) - torch.outer(h, pattern)
                         + 2 * w) / n
                w.fill_diagonal_(0)
        else:
            gram = (xi @ xi.T).double()
            if torch.linalg.matrix_rank(gram) < n_patterns:
                raise ValueError("patterns must be linearly independent for the pseudoinverse rule")
            w = (xi.T.double() @ torch.linalg.solve(gram, xi.double())).to(xi.dtype)
        w = 0.5 * (w + w.T)
        w.fill_diagonal_(0)
        self.weights_ = w
        self.patterns_ = xi
        self.n_units = n
        return self

    def energy(self, states: torch.Tensor) -> torch.Tensor:
        r""":math:`E(s) = -\tfrac12 s^\top W s`, shape ``(batch,)``."""
        self._check_states(states)
        s = states.to(self.weights_.dtype)
        return -0.5 * ((s @ self.weights_) * s).sum(-1)

    def _unit_field(self, s: torch.Tensor, i: int) -> torch.Tensor:
        return s @ self.weights_[i]  # row i == column i: W is symmetric, rows are contiguous

    def _sync_field(self, s: torch.Tensor) -> torch.Tensor:
        return s @ self.weights_

    def to(self, device: torch.device | str) -> "Hopfield":
        """Move the learned tensors to ``device``; returns ``self``."""
        self._check_fitted()
        device = check_device(device)
        self.weights_ = self.weights_.to(device)
        self.patterns_ = self.patterns_.to(device)
        return self


class DenseAssociativeMemory(_SpinMemory):
    r"""Dense associative memory (Krotov & Hopfield, 2016) on spins ±1.

    .. math:: E(s) = -\sum_\mu F(\xi^\mu \cdot s), \qquad
        F(x) = x^n \ (\text{polynomial}) \quad\text{or}\quad F(x) = e^{x}\ (\text{exponential}).

    A unit is set to the sign that gives the lower energy with all other units fixed,

    .. math:: s_i \leftarrow \operatorname{sign} \sum_\mu \big[F(\xi^\mu_i + a^\mu_i) - F(-\xi^\mu_i + a^\mu_i)\big],
        \quad a^\mu_i = \sum_{j\ne i} \xi^\mu_j s_j,

    so asynchronous updates never increase :math:`E`. With ``degree=2`` this is
    the classical Hebbian network; capacity grows like :math:`N^{n-1}` for degree
    :math:`n`, and exponentially for the exponential interaction (Demircigil et al., 2017).

    Parameters
    ----------
    interaction : {'polynomial', 'exponential'}
    degree : int, the power :math:`n \ge 2` (polynomial only)
    beta : float, scale of the exponential, :math:`F(x) = e^{\beta x}`; ignored for polynomials

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> xi = torch.where(torch.rand(60, 50, generator=g) < 0.5, -1.0, 1.0)   # P/N = 1.2
    >>> mem = DenseAssociativeMemory("polynomial", degree=4).fit(xi)
    >>> bool((mem.recall(xi, generator=g).states == xi).all())
    True

    Used in chapter 3.
    """

    def __init__(self, interaction: str = "polynomial", degree: int = 3, beta: float = 1.0):
        if interaction not in ("polynomial", "exponential"):
            raise ValueError(f"interaction must be 'polynomial' or 'exponential', got {interaction!r}")
        self.interaction = interaction
        self.degree = check_int(degree, "degree", minimum=2)
        self.beta = check_positive(beta, "beta")
        self.patterns_: torch.Tensor | None = None

    def fit(self, patterns: torch.Tensor) -> "DenseAssociativeMemory":
        """Store ``patterns`` (``(P, N)``, ±1): the memory is the patterns themselves."""
        check_patterns(patterns)
        # float64 for both interactions: x^n of an overlap up to N overflows float32 for large n,
        # and exp(beta * N) does so from beta * N ~ 89 (float64 holds it to beta * N ~ 709).
        self.patterns_ = patterns.double()
        self.n_units = patterns.shape[1]
        return self

    def _log_f_terms(self, x: torch.Tensor) -> torch.Tensor:
        return self.beta * x

    def energy(self, states: torch.Tensor) -> torch.Tensor:
        """:math:`-\\sum_\\mu F(\\xi^\\mu\\cdot s)`, shape ``(batch,)``, in float64.

        Raises
        ------
        FloatingPointError
            If the value overflows float64 (the exponential interaction beyond
            :math:`\\beta N \\approx 709`); recall still works then, and records ``-inf``.
        """
        self._check_states(states)
        e = self._recorded_energy(states)
        if not bool(torch.isfinite(e).all()):
            cause = (f"beta * N = {self.beta * self.n_units:g} > 709: use a smaller beta"
                     if self.interaction == "exponential" else
                     f"degree {self.degree} with N = {self.n_units}: use a smaller degree")
            raise FloatingPointError(f"the energy overflows float64 ({cause})")
        return e

    def _recorded_energy(self, states: torch.Tensor) -> torch.Tensor:
        # The recall dynamics compare fields in log space and work whatever the size of the
        # energy; what recall records may be -inf where the value itself overflows float64.
        a = states.to(self.patterns_.dtype) @ self.patterns_.T
        if self.interaction == "polynomial":
            return -(a ** self.degree).sum(-1)
        return -torch.exp(self.beta * a).sum(-1)

    def _unit_field(self, s: torch.Tensor, i: int) -> torch.Tensor:
        xi_i = self.patterns_[:, i]
        a = s @ self.patterns_.T - s[:, i:i + 1] * xi_i  # overlaps without unit i, (batch, P)
        if self.interaction == "polynomial":
            return ((a + xi_i) ** self.degree - (a - xi_i) ** self.degree).sum(-1)
        # Compare sum exp(beta(a + xi)) with sum exp(beta(a - xi)) in log space (no overflow).
        up = torch.logsumexp(self.beta * (a + xi_i), dim=-1)
        down = torch.logsumexp(self.beta * (a - xi_i), dim=-1)
        return up - down

    def _sync_field(self, s: torch.Tensor) -> torch.Tensor:
        return torch.stack([self._unit_field(s, i) for i in range(self.n_units)], dim=-1)

    def to(self, device: torch.device | str) -> "DenseAssociativeMemory":
        """Move the stored patterns to ``device``; returns ``self``."""
        self._check_fitted()
        device = check_device(device)
        self.patterns_ = self.patterns_.to(device)
        return self
