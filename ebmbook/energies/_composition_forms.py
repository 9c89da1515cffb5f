r"""Shared machinery of the composed energies: part checks, quadratic closed forms, tail curvature.

A *quadratic form* :math:`E(x) = \tfrac12 x^\top P x - h^\top x + k` is how a
Gaussian energy (and any sum or difference of them) is represented exactly, in
float64: a weighted sum of quadratic forms is a quadratic form, and when
:math:`P` is positive definite its Boltzmann density is the Gaussian
:math:`\mathcal N(P^{-1}h, P^{-1})` with

.. math:: \log Z = -k + \tfrac12 h^\top P^{-1} h + \tfrac d2 \log 2\pi - \tfrac12 \log\det P .

The *tail precision* of an energy is the matrix :math:`P_\infty` with
:math:`E(x) = \tfrac12 x^\top P_\infty x + O(\lVert x\rVert)` as
:math:`\lVert x\rVert \to \infty`, where it is known; a difference
:math:`E_a - \alpha E_b` is normalisable when :math:`P_{\infty,a} - \alpha P_{\infty,b}`
is positive definite and is not when it has a negative eigenvalue.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Callable, NamedTuple

import torch
from torch import nn

from ..utils import check_tensor
from .base import Energy, evaluate_energy
from .gaussian import Gaussian
from .tempered import Tempered

EnergyFn = Callable[[torch.Tensor], torch.Tensor]


class QuadraticForm(NamedTuple):
    """:math:`E(x) = \\tfrac12 x^\\top P x - h^\\top x + k` (float64)."""

    precision: torch.Tensor   # (d, d), symmetric
    linear: torch.Tensor      # (d,)
    constant: float

    def scaled(self, w: float) -> "QuadraticForm":
        return QuadraticForm(w * self.precision, w * self.linear, w * self.constant)

    def __add__(self, other: "QuadraticForm") -> "QuadraticForm":  # type: ignore[override]
        return QuadraticForm(self.precision + other.precision.to(self.precision.device),
                             self.linear + other.linear.to(self.linear.device), self.constant + other.constant)

    def min_eigenvalue(self) -> float:
        return float(torch.linalg.eigvalsh(self.precision).min())

    def gaussian(self) -> tuple[torch.Tensor, torch.Tensor, float]:
        """Mean, covariance and log Z of the normalised density (``P`` must be positive definite)."""
        chol = torch.linalg.cholesky(self.precision)
        mean = torch.cholesky_solve(self.linear.unsqueeze(-1), chol).squeeze(-1)
        cov = torch.cholesky_inverse(chol)
        d = mean.shape[0]
        log_z = (-self.constant + 0.5 * float(self.linear @ mean) + 0.5 * d * math.log(2 * math.pi)
                 - float(torch.log(torch.diagonal(chol)).sum()))
        return mean, 0.5 * (cov + cov.T), log_z


def combine(forms: Sequence[QuadraticForm | None], weights: Sequence[float]) -> QuadraticForm | None:
    """:math:`\\sum_i w_i E_i` as a quadratic form, or ``None`` if any part has none."""
    if any(f is None for f in forms):
        return None
    total = forms[0].scaled(weights[0])
    for form, w in zip(forms[1:], weights[1:]):
        total = total + form.scaled(w)
    return total


def quadratic_form(energy) -> QuadraticForm | None:
    """The exact quadratic form of ``energy`` if it has one (Gaussian, tempered or composed), else ``None``."""
    if isinstance(energy, Gaussian):
        cov = energy.covariance.double()
        precision = torch.linalg.inv(cov)
        precision = 0.5 * (precision + precision.T)
        mean = energy.mean.double()
        linear = precision @ mean
        return QuadraticForm(precision, linear, 0.5 * float(mean @ linear))
    if isinstance(energy, Tempered):
        form = quadratic_form(energy.energy)
        return None if form is None else form.scaled(1.0 / energy.temperature)
    method = getattr(type(energy), "_quadratic_form", None)
    return method(energy) if method is not None else None


def tail_precision(energy) -> torch.Tensor | None:
    """:math:`P_\\infty` of ``energy`` (float64) where it is known, else ``None``."""
    form = quadratic_form(energy)
    if form is not None:
        return form.precision
    if isinstance(energy, Tempered):
        tail = tail_precision(energy.energy)
        return None if tail is None else tail / energy.temperature
    method = getattr(type(energy), "_tail_precision", None)
    return method(energy) if method is not None else None


def normalisable_limit(base_tail: torch.Tensor, negated_tail: torch.Tensor) -> float:
    r"""The largest :math:`\alpha` for which :math:`P_b - \alpha P_n` stays positive definite (inf if all).

    It is :math:`1/\lambda_\max(P_b^{-1/2} P_n P_b^{-1/2})`, from the generalised eigenvalues of the pair.
    """
    chol = torch.linalg.cholesky(base_tail)
    inv = torch.linalg.inv(chol)
    lam = float(torch.linalg.eigvalsh(inv @ negated_tail.to(inv.device) @ inv.T).max())
    return math.inf if lam <= 0 else 1.0 / lam


class _FunctionEnergy(Energy):
    """Wrap a plain callable as a module, so composed energies keep every part in an ``nn.ModuleList``."""

    def __init__(self, fn: EnergyFn):
        super().__init__()
        self.fn = fn
        self.event_shape = tuple(getattr(fn, "event_shape", ()) or ())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)


def as_module(energy, name: str) -> nn.Module:
    if not callable(energy):
        raise TypeError(f"{name} must be an energy, a callable (batch, *event_shape) -> (batch,), "
                        f"got {type(energy).__name__}")
    return energy if isinstance(energy, nn.Module) else _FunctionEnergy(energy)


def check_parts(energies, name: str = "energies") -> list[nn.Module]:
    """Check a non-empty list of energies and return them as modules."""
    if isinstance(energies, (nn.Module, str, bytes)) or callable(energies) or not isinstance(energies, Sequence):
        raise TypeError(f"{name} must be a list or tuple of energies, got {type(energies).__name__} "
                        f"(wrap a single energy as [energy])")
    if len(energies) == 0:
        raise ValueError(f"{name} must hold at least one energy, got an empty {type(energies).__name__}")
    return [as_module(e, f"{name}[{i}]") for i, e in enumerate(energies)]


def shared_event_shape(parts: Sequence, names: Sequence[str], what: str = "energies") -> tuple[int, ...]:
    """The one event shape the parts declare (``()`` when none declares any); raise, naming ``what``, if two differ."""
    declared = [(n, tuple(getattr(p, "event_shape", ()) or ())) for n, p in zip(names, parts)]
    declared = [(n, s) for n, s in declared if s != ()]
    if declared and any(s != declared[0][1] for _, s in declared):
        listing = ", ".join(f"{n}: {s}" for n, s in declared)
        raise ValueError(f"{what} must have the same event shape, got {listing}")
    return declared[0][1] if declared else ()


def check_weights(weights, k: int, name: str, *, allow_zero_total: bool = False) -> torch.Tensor:
    """Non-negative, finite weights of shape ``(k,)``, not all zero, as a float64 tensor."""
    if weights is None:
        return torch.ones(k, dtype=torch.float64)
    if isinstance(weights, (str, bytes)) or not isinstance(weights, (torch.Tensor, Sequence)):
        raise TypeError(f"{name} must be a sequence or tensor of {k} non-negative numbers, "
                        f"got {type(weights).__name__}")
    if not isinstance(weights, torch.Tensor):
        if not all(isinstance(w, (int, float)) and not isinstance(w, bool) for w in weights):
            raise TypeError(f"{name} must hold real numbers, got {list(weights)!r}")
        weights = torch.tensor([float(w) for w in weights], dtype=torch.float64)
    check_tensor(weights, name, ndim=1)
    if weights.is_complex() or weights.dtype == torch.bool:
        raise TypeError(f"{name} must be real numbers, got dtype {weights.dtype}")
    if weights.shape[0] != k:
        raise ValueError(f"{name} must have one weight per energy, shape ({k},), got {tuple(weights.shape)}")
    weights = weights.detach().double().cpu()
    if not bool(torch.isfinite(weights).all()):
        raise ValueError(f"{name} contains NaN or infinite values")
    if bool((weights < 0).any()):
        raise ValueError(f"{name} must be non-negative, got {weights.tolist()}")
    if not allow_zero_total and float(weights.sum()) <= 0:
        raise ValueError(f"{name} must not all be zero, got {weights.tolist()}")
    return weights


def evaluate_parts(parts: Sequence[nn.Module], x: torch.Tensor) -> torch.Tensor:
    """Energies of every part, stacked to shape ``(batch, K)`` (each part's output shape checked)."""
    return torch.stack([evaluate_energy(p, x) for p in parts], dim=-1)


def parts_device(module: nn.Module) -> torch.device:
    for t in list(module.parameters()) + list(module.buffers()):
        return t.device
    return torch.device("cpu")


def parts_dtype(module: nn.Module) -> torch.dtype:
    for t in list(module.parameters()) + list(module.buffers()):
        if t.is_floating_point():
            return t.dtype
    return torch.get_default_dtype()


class _ExactGaussianView:
    r"""Mixin of energies that are exactly Gaussian when all their parts are.

    ``gaussian`` is the normalised :class:`~ebmbook.energies.Gaussian` (or ``None``);
    ``log_z``, ``mean`` and ``covariance`` exist only when it is not ``None``
    (``hasattr`` is false otherwise, and the error says why); ``log_prob`` and
    ``sample`` use them.
    """

    _exact_names = ("log_z", "mean", "covariance")

    def _normalised(self):
        form = quadratic_form(self)
        if form is None or form.min_eigenvalue() <= 0:
            return None
        return form.gaussian()

    @property
    def gaussian(self) -> Gaussian | None:
        """The normalised Gaussian this energy equals, or ``None`` if it is not a closed-form Gaussian."""
        exact = self._normalised()
        if exact is None:
            return None
        mean, cov, _ = exact
        dtype = parts_dtype(self)
        return Gaussian(mean.to(dtype), cov.to(dtype))

    def _exact(self, name: str):
        exact = self._normalised()
        if exact is None:
            raise AttributeError(f"{type(self).__name__} has no exact {name}: it is known in closed form only "
                                 "when every part is a Gaussian (or a Tempered or composed Gaussian)")
        return exact

    @property
    def log_z(self) -> float:
        """Exact :math:`\\log Z` (closed-form Gaussian parts only)."""
        return self._exact("log_z")[2]

    @property
    def mean(self) -> torch.Tensor:
        """Exact mean ``(d,)`` (closed-form Gaussian parts only)."""
        return self._exact("mean")[0].to(parts_dtype(self))

    @property
    def covariance(self) -> torch.Tensor:
        """Exact covariance ``(d, d)`` (closed-form Gaussian parts only)."""
        return self._exact("covariance")[1].to(parts_dtype(self))

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log density :math:`-E(x) - \\log Z`, shape ``(batch,)`` (closed-form Gaussian parts only)."""
        return -self(x) - self.log_z

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` exact samples ``(n, d)`` of the closed-form Gaussian (Gaussian parts only)."""
        self._exact("sample")
        return self.gaussian.sample(n, generator=generator)

    def __getattr__(self, name: str):
        # A property that raises AttributeError falls back to __getattr__; keep its explanation.
        if name in _ExactGaussianView._exact_names:
            self._exact(name)
        return super().__getattr__(name)
