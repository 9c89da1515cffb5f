"""The Ising model on spins :math:`s \\in \\{-1, +1\\}^n` with any symmetric coupling."""
from __future__ import annotations

import math

import torch

from ..utils import _check_real, check_finite, check_int, check_positive, check_square_symmetric, check_tensor
from .base import Energy

__all__ = ["Ising", "ising_chain_log_z"]


class Ising(Energy):
    r"""Ising energy :math:`E(s) = -\tfrac12 s^\top J s - h^\top s` on :math:`s \in \{-1,+1\}^n`.

    With a zero-diagonal symmetric :math:`J`, :math:`\tfrac12 s^\top J s = \sum_{i<j} J_{ij} s_i s_j`
    counts each bond once. Positive couplings favour aligned neighbours
    (ferromagnet). The temperature is not part of the energy: samplers and
    :mod:`ebmbook.exact` take ``temperature`` and target :math:`\exp(-E/T)`.

    Parameters
    ----------
    couplings : Tensor, shape ``(n, n)``
        Symmetric with zero diagonal.
    field : Tensor, shape ``(n,)`` or float, optional
        External field :math:`h`; zero by default.
    lattice_shape : tuple of int, optional
        Geometry of the spins (e.g. ``(L, L)``), used only for plotting.

    Examples
    --------
    >>> chain = Ising.chain(5, coupling=1.0)
    >>> chain(torch.ones(1, 5))   # four aligned bonds
    tensor([-4.])

    Used in chapters 1 and 2.
    """

    def __init__(self, couplings: torch.Tensor, field: torch.Tensor | float | None = None,
                 lattice_shape: tuple[int, ...] | None = None):
        super().__init__()
        check_square_symmetric(couplings, "couplings")
        if not bool((torch.diagonal(couplings) == 0).all()):
            raise ValueError("couplings must have a zero diagonal (s_i^2 = 1 adds only a constant)")
        n = couplings.shape[0]
        if n == 0:
            raise ValueError("couplings must describe at least one spin")
        if field is None:
            field = torch.zeros(n, dtype=couplings.dtype, device=couplings.device)
        elif not isinstance(field, torch.Tensor):
            field = torch.full((n,), _check_real(field, "field"), dtype=couplings.dtype, device=couplings.device)
        check_tensor(field, "field", ndim=1)
        if field.shape[0] != n:
            raise ValueError(f"field must have shape ({n},), got {tuple(field.shape)}")
        check_finite(field, "field")
        self.event_shape = (n,)
        self.n_spins = n
        if lattice_shape is not None and not isinstance(lattice_shape, (tuple, list)):
            raise TypeError(f"lattice_shape must be a tuple of ints such as (L, L), got {type(lattice_shape).__name__}")
        self.lattice_shape = tuple(check_int(v, "lattice_shape", minimum=1) for v in lattice_shape) \
            if lattice_shape is not None else (n,)
        if math.prod(self.lattice_shape) != n:
            raise ValueError(f"lattice_shape {self.lattice_shape} does not hold {n} spins")
        self.register_buffer("couplings", couplings.clone())
        self.register_buffer("field", field.clone().to(couplings.dtype))

    @classmethod
    def chain(cls, n: int, coupling: float = 1.0, field: float = 0.0,
              periodic: bool = False) -> "Ising":
        """A 1-D chain of ``n`` spins with nearest-neighbour ``coupling`` and uniform ``field``."""
        n = check_int(n, "n", minimum=2)
        coupling, field = _check_real(coupling, "coupling"), _check_real(field, "field")
        J = torch.zeros(n, n, dtype=torch.float64)
        idx = torch.arange(n - 1)
        J[idx, idx + 1] = coupling
        if periodic and n > 2:
            J[n - 1, 0] = coupling
        J = J + J.T
        return cls(J, float(field))

    @classmethod
    def lattice(cls, L: int, coupling: float = 1.0, field: float = 0.0) -> "Ising":
        """A periodic ``L x L`` square lattice (spins in row-major order), 4 neighbours each."""
        L = check_int(L, "L", minimum=3)
        coupling, field = _check_real(coupling, "coupling"), _check_real(field, "field")
        n = L * L
        J = torch.zeros(n, n, dtype=torch.float64)
        for i in range(L):
            for j in range(L):
                a = i * L + j
                J[a, i * L + (j + 1) % L] = coupling
                J[a, ((i + 1) % L) * L + j] = coupling
        J = J + J.T
        return cls(J, float(field), lattice_shape=(L, L))

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        self._check_input(s, "s", floating=False)
        s = s.to(self.couplings.dtype) if not s.is_floating_point() else s
        J = self.couplings.to(s.dtype)
        h = self.field.to(s.dtype)
        return -0.5 * ((s @ J) * s).sum(-1) - s @ h

    def local_field(self, s: torch.Tensor) -> torch.Tensor:
        r"""Local fields :math:`J s + h`, shape ``(batch, n)``.

        Flipping spin :math:`i` changes the energy by :math:`2 s_i (Js + h)_i`, and
        the heat-bath conditional is :math:`p(s_i=+1 \mid s_{-i}) = \sigma(2 (Js+h)_i / T)`.
        """
        self._check_input(s, "s", floating=False)
        s = s.to(self.couplings.dtype) if not s.is_floating_point() else s
        return s @ self.couplings.to(s.dtype) + self.field.to(s.dtype)

    def magnetisation(self, s: torch.Tensor) -> torch.Tensor:
        """Mean spin of each configuration, shape ``(batch,)``."""
        self._check_input(s, "s", floating=False)
        return s.to(self.couplings.dtype).mean(-1) if not s.is_floating_point() else s.mean(-1)


def ising_chain_log_z(n: int, coupling: float, field: float = 0.0, temperature: float = 1.0,
                      periodic: bool = False) -> float:
    r"""Closed-form log partition function of a uniform 1-D Ising chain (transfer matrix).

    With :math:`K = J/T`, :math:`B = h/T` and the symmetric transfer matrix
    :math:`T_{ss'} = \exp(K s s' + B (s+s')/2)`, whose eigenvalues are

    .. math:: \lambda_\pm = e^{K}\cosh B \pm \sqrt{e^{2K}\sinh^2 B + e^{-2K}},

    a periodic ring has :math:`Z = \lambda_+^n + \lambda_-^n` and an open chain
    :math:`Z = \sum_\pm \lambda_\pm^{n-1} (v_\pm^\top a)^2` with :math:`a_s = e^{Bs/2}`
    and :math:`v_\pm` the eigenvectors. It is computed as
    :math:`\operatorname{tr} T^n` and :math:`a^\top T^{n-1} a` by repeated squaring
    in log space (float64): all entries of :math:`T` are positive, so unlike the
    eigenvalue sum nothing cancels (an odd antiferromagnetic ring) and nothing
    overflows, whatever :math:`|J|/T` or :math:`|h|/T`; the cost is
    :math:`O(\log n)`. Used in chapter 1 to check enumeration.
    """
    n = check_int(n, "n", minimum=2)
    t = check_positive(temperature, "temperature")
    K, B = _check_real(coupling, "coupling") / t, _check_real(field, "field") / t
    if periodic and n == 2:
        raise ValueError("a periodic chain needs n >= 3 (n = 2 would count one bond twice)")
    # Work with log T and multiply matrices in log space (log-sum-exp): every entry of T is
    # positive, so nothing cancels (an eigenvalue sum lambda_+^n + lambda_-^n does, for a
    # frustrated odd antiferromagnetic ring) and nothing overflows however large |J|/T or |h|/T.
    log_t = torch.tensor([[K + B, -K], [-K, K - B]], dtype=torch.float64)
    if periodic:
        return float(torch.logsumexp(torch.diagonal(_log_matrix_power(log_t, n)), 0))
    log_a = torch.tensor([B / 2, -B / 2], dtype=torch.float64)
    inner = _log_matrix_power(log_t, n - 1)
    return float(torch.logsumexp((log_a[:, None] + inner + log_a[None, :]).flatten(), 0))


def _log_matmul(log_a: torch.Tensor, log_b: torch.Tensor) -> torch.Tensor:
    """``log(exp(log_a) @ exp(log_b))`` for matrices of positive entries, computed stably."""
    return torch.logsumexp(log_a[:, :, None] + log_b[None, :, :], dim=1)


def _log_matrix_power(log_m: torch.Tensor, power: int) -> torch.Tensor:
    """``log(exp(log_m) ** power)`` by repeated squaring: O(log power) 2x2 products."""
    result = torch.tensor([[0.0, -math.inf], [-math.inf, 0.0]], dtype=torch.float64)   # log of the identity
    base = log_m
    while power:
        if power & 1:
            result = _log_matmul(result, base)
        base = _log_matmul(base, base)
        power >>= 1
    return result
