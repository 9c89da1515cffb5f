r"""Composing energies: products (AND), mixtures (OR) and negation (NOT).

Energies add where probabilities would need their normalisers: for
:math:`p_i \propto e^{-E_i}`,

.. math::
    \text{AND: } \prod_i p_i^{w_i} \propto e^{-\sum_i w_i E_i}, \qquad
    \text{OR: } \sum_i \pi_i e^{-E_i} = e^{\log \sum_i \pi_i e^{-E_i}}, \qquad
    \text{NOT: } \frac{p_b}{p_n^{\alpha}} \propto e^{-(E_b - \alpha E_n)},

and none of the three needs a :math:`Z_i` (Du et al., 2020). Every composed
energy is an :class:`~ebmbook.energies.Energy`: its parts are submodules (they
move with ``.to``), their event shapes must agree, and any sampler binds it.
Exact answers are exposed only where they are exact: a product or difference of
Gaussians is a Gaussian (``gaussian``, ``mean``, ``covariance``, ``log_z``), a
mixture of energies with known normalisers has an exact ``log_z`` and
``log_prob``.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ..utils import check_generator, check_int, check_nonnegative, check_tensor
from ._composition_forms import (_ExactGaussianView, as_module, check_parts, check_weights, combine, evaluate_parts,
                                 normalisable_limit, parts_device, parts_dtype, quadratic_form, shared_event_shape,
                                 tail_precision)
from .base import Energy, EnergyFn, evaluate_energy

__all__ = ["Product", "Mixture", "Negation"]


def _check_x(energy: Energy, x: torch.Tensor) -> None:
    if energy.event_shape:
        energy._check_input(x)
    else:
        check_tensor(x, "x", min_ndim=1, floating=True)


class Product(_ExactGaussianView, Energy):
    r"""AND of energies, a product of experts: :math:`E(x) = \sum_i w_i E_i(x)`.

    Its density is :math:`p(x) \propto \prod_i e^{-w_i E_i(x)}`, high only where
    every expert's is (Hinton, 2002). A weight is an inverse temperature:
    :math:`w_i = 1/T_i` sharpens (:math:`T_i < 1`) or flattens an expert, as
    :class:`~ebmbook.energies.Tempered` does for one energy. When every part is
    a :class:`~ebmbook.energies.Gaussian` (or a tempered or composed one) the
    product is a Gaussian with precision :math:`P = \sum_i w_i \Sigma_i^{-1}` and
    mean :math:`P^{-1} \sum_i w_i \Sigma_i^{-1}\mu_i`; then ``gaussian``,
    ``mean``, ``covariance``, ``log_z``, ``log_prob`` and ``sample`` are exact.

    Parameters
    ----------
    energies : list of energies ``(batch, *event_shape) -> (batch,)``, at least one,
        with equal event shapes
    weights : sequence or Tensor ``(K,)``, optional, non-negative and not all zero (default all 1)

    Attributes
    ----------
    parts : nn.ModuleList, the energies (plain callables are wrapped as modules)
    weights : Tensor ``(K,)``, buffer
    event_shape : tuple of int

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> a = Gaussian(torch.tensor([-1.0]), torch.eye(1))
    >>> b = Gaussian(torch.tensor([1.0]), torch.eye(1))
    >>> both = Product([a, b])
    >>> both.mean, both.covariance
    (tensor([0.]), tensor([[0.5000]]))

    Used in chapter 9.
    """

    def __init__(self, energies: Sequence[EnergyFn], weights: Sequence[float] | torch.Tensor | None = None):
        super().__init__()
        parts = check_parts(energies, "energies")
        w = check_weights(weights, len(parts), "weights")
        self.event_shape = shared_event_shape(parts, [f"energies[{i}]" for i in range(len(parts))])
        self.parts = nn.ModuleList(parts)
        self.register_buffer("weights", w.to(device=parts_device(self.parts), dtype=parts_dtype(self.parts)))
        self._w = [float(v) for v in w]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_x(self, x)
        total = None
        for part, w in zip(self.parts, self._w):
            if w == 0:
                continue
            term = w * evaluate_energy(part, x)
            total = term if total is None else total + term
        return total

    def _quadratic_form(self):
        return combine([quadratic_form(p) for p in self.parts], self._w)

    def _tail_precision(self):
        tails = [tail_precision(p) for p in self.parts]
        if any(t is None for t in tails):
            return None
        return sum(w * t for w, t in zip(self._w, tails))


class Mixture(Energy):
    r"""OR of energies: :math:`E(x) = -\log \sum_i \pi_i\, e^{-E_i(x)}`.

    Its density is high wherever *some* part's is. The weights are normalised,
    :math:`\sum_i \pi_i = 1`, and they weight the *unnormalised* densities
    :math:`e^{-E_i}`: the mixture's components carry probability
    :math:`\pi_i Z_i / \sum_j \pi_j Z_j`, so parts with unequal normalisers are
    not mixed in the proportions :math:`\pi` unless they are normalised. When
    every part has a known ``log_z`` (an :class:`~ebmbook.energies.AnalyticEnergy`
    or an exact composed energy) the mixture's is exact too,

    .. math:: \log Z = \log \sum_i \pi_i Z_i ,

    and ``log_prob`` is :math:`-E - \log Z`; for normalised parts
    (:math:`\log Z_i = 0`) that is the mixture formula :math:`\log \sum_i \pi_i p_i(x)`.
    ``sample`` draws exactly when, in addition, every part can.

    Parameters
    ----------
    energies : list of energies, at least one, with equal event shapes
    weights : sequence or Tensor ``(K,)``, optional, non-negative, not all zero (default equal)

    Attributes
    ----------
    parts : nn.ModuleList
    weights : Tensor ``(K,)``, buffer, normalised to sum to one
    event_shape : tuple of int

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> left, right = Gaussian(torch.tensor([-2.0]), torch.eye(1)), Gaussian(torch.tensor([2.0]), torch.eye(1))
    >>> either = Mixture([left, right], weights=[0.25, 0.75])
    >>> round(either.log_z, 4)  # each part's exp(-E) integrates to sqrt(2 pi)
    0.9189
    >>> either.log_prob(torch.zeros(1, 1)).exp()  # 0.25 N(0; -2, 1) + 0.75 N(0; 2, 1)
    tensor([0.0540])

    Used in chapter 9.
    """

    def __init__(self, energies: Sequence[EnergyFn], weights: Sequence[float] | torch.Tensor | None = None):
        super().__init__()
        parts = check_parts(energies, "energies")
        w = check_weights(weights, len(parts), "weights")
        w = w / w.sum()
        self.event_shape = shared_event_shape(parts, [f"energies[{i}]" for i in range(len(parts))])
        self.parts = nn.ModuleList(parts)
        device, dtype = parts_device(self.parts), parts_dtype(self.parts)
        self.register_buffer("weights", w.to(device=device, dtype=dtype))
        self.register_buffer("_log_weights", torch.log(w).to(device=device, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_x(self, x)
        return -torch.logsumexp(self._log_weights.to(x.dtype) - evaluate_parts(self.parts, x), dim=-1)

    @classmethod
    def of_densities(cls, energies: Sequence[EnergyFn],
                     weights: Sequence[float] | torch.Tensor | None = None) -> "Mixture":
        r"""The mixture of the parts' *normalised* densities, :math:`\sum_i \pi_i\, p_i(x)`.

        Every part must have a known ``log_z``; the energies are mixed with weights
        :math:`\propto \pi_i / Z_i`, so that part :math:`i` carries probability :math:`\pi_i`.

        Examples
        --------
        >>> from ebmbook.energies import SoftBox
        >>> small = SoftBox(torch.tensor([-1.0, -1.0]), torch.tensor([1.0, 1.0]), edge=0.1)
        >>> wide = SoftBox(torch.tensor([-6.0, -6.0]), torch.tensor([6.0, 6.0]), edge=1.0)
        >>> Mixture.of_densities([small, wide], [0.5, 0.5]).component_probabilities()
        tensor([0.5000, 0.5000], dtype=torch.float64)
        """
        parts = check_parts(energies, "energies")
        pis = check_weights(weights, len(parts), "weights")
        log_z = torch.tensor(cls._check_exact_of(parts, "of_densities"), dtype=torch.float64)
        log_w = torch.log(pis / pis.sum()) - log_z
        return cls(parts, torch.exp(log_w - log_w.max()))

    @staticmethod
    def _check_exact_of(parts, what: str) -> list[float]:
        values = []
        for i, part in enumerate(parts):
            try:
                values.append(float(part.log_z))
            except (AttributeError, NotImplementedError):
                raise AttributeError(f"Mixture.{what} needs every part to have a known log_z, but energies[{i}] "
                                     f"({type(part).__name__}) has none") from None
        return values

    def _part_log_z(self) -> list[float] | None:
        values = []
        for part in self.parts:
            try:
                values.append(float(part.log_z))
            except (AttributeError, NotImplementedError):
                return None
        return values

    def _check_exact(self, what: str) -> list[float]:
        values = self._part_log_z()
        if values is None:
            raise AttributeError(f"Mixture has no exact {what}: it needs every part to have a known log_z "
                                 "(an AnalyticEnergy or an exact composed energy)")
        return values

    @property
    def log_z(self) -> float:
        r""":math:`\log \sum_i \pi_i Z_i`, exact when every part's :math:`\log Z_i` is."""
        lz = torch.tensor(self._check_exact("log_z"), dtype=torch.float64)
        return float(torch.logsumexp(self.weights.detach().double().cpu().log() + lz, 0))

    def component_probabilities(self) -> torch.Tensor:
        r"""The mass of each part in the mixture, :math:`\pi_i Z_i / \sum_j \pi_j Z_j`, shape ``(K,)``."""
        lz = torch.tensor(self._check_exact("component probabilities"), dtype=torch.float64)
        return torch.softmax(self.weights.detach().double().cpu().log() + lz, 0)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log density :math:`-E(x) - \\log Z`, shape ``(batch,)`` (parts with known ``log_z`` only)."""
        return -self(x) - self.log_z

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` exact samples ``(n, *event_shape)``: a part drawn by its mass, then a draw from that part."""
        n = check_int(n, "n", minimum=1)
        probs = self.component_probabilities()
        if not all(callable(getattr(p, "sample", None)) for p in self.parts):
            raise AttributeError("Mixture.sample needs every part to have sample(n, generator=)")
        device = parts_device(self.parts)
        check_generator(generator, "generator", device=device)
        idx = torch.multinomial(probs.to(device), n, replacement=True, generator=generator)
        out = None
        for k, part in enumerate(self.parts):
            count = int((idx == k).sum())
            if count == 0:
                continue
            draws = part.sample(count, generator=generator)
            if out is None:
                out = torch.empty((n, *draws.shape[1:]), dtype=draws.dtype, device=draws.device)
            out[idx == k] = draws
        return out

    def _tail_precision(self):
        # far away the slowest-growing part dominates, -log sum_i pi_i e^{-E_i} ~ min_i E_i: the tail is
        # known when one part's tail precision is below every other's (in the Loewner order)
        tails = [tail_precision(p) for p, w in zip(self.parts, self.weights) if float(w) > 0]
        if any(t is None for t in tails):
            return None
        for t in tails:
            if all(float(torch.linalg.eigvalsh(o.to(t.device) - t).min()) >= -1e-12 for o in tails):
                return t
        return None


class Negation(_ExactGaussianView, Energy):
    r"""NOT: one energy with another carved out, :math:`E(x) = E_b(x) - \alpha E_n(x)`.

    Its density is :math:`p_b(x) / p_n(x)^{\alpha}` up to a constant: low where
    the negated energy's density is high (Du et al., 2020). Subtracting an energy
    can destroy normalisability: if :math:`E_n` grows faster than
    :math:`E_b/\alpha` in some direction, :math:`e^{-E}` grows without bound.
    Where both tails are known (Gaussians, :class:`~ebmbook.energies.SoftBox`,
    products and mixtures of them) the constructor checks it: with tail
    precisions :math:`P_b, P_n` (:math:`E \approx \tfrac12 x^\top P x` far away)
    the difference is normalisable iff :math:`P_b - \alpha P_n` is positive
    definite, i.e. :math:`\alpha < \alpha_{\max} = 1/\lambda_{\max}(P_b^{-1/2} P_n P_b^{-1/2})`,
    and a :class:`ValueError` says so otherwise. For other energies (networks)
    the check cannot be made; normalise on a grid
    (:func:`ebmbook.exact.grid_quadrature`) or watch the chains. When both parts
    are Gaussian the result is again Gaussian and its ``gaussian``, ``mean``,
    ``covariance``, ``log_z``, ``log_prob`` and ``sample`` are exact.

    Parameters
    ----------
    base : energy, what is kept
    negated : energy, what is carved out; same event shape as ``base``
    alpha : float, :math:`\alpha \ge 0`, the strength of the negation

    Attributes
    ----------
    base, negated : nn.Module
    alpha : float
    alpha_max : float or None, the normalisability limit when the tails are known

    Raises
    ------
    ValueError
        If ``alpha < 0``, the event shapes differ, or the tails show the result
        is not normalisable.

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> wide, narrow = Gaussian(torch.zeros(1), 4 * torch.eye(1)), Gaussian(torch.zeros(1), torch.eye(1))
    >>> Negation(wide, narrow, alpha=0.1).covariance
    tensor([[6.6667]])
    >>> Negation(wide, narrow, alpha=0.25)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ValueError: Negation is not normalisable ...

    Used in chapter 9.
    """

    def __init__(self, base: EnergyFn, negated: EnergyFn, alpha: float = 1.0):
        super().__init__()
        base, negated = as_module(base, "base"), as_module(negated, "negated")
        self.alpha = check_nonnegative(alpha, "alpha")
        self.event_shape = shared_event_shape([base, negated], ["base", "negated"], "base and negated")
        self.base, self.negated = base, negated
        tails = tail_precision(base), tail_precision(negated)
        self.alpha_max = None
        if tails[0] is not None and tails[1] is not None:
            self.alpha_max = self._limit(*tails)
            if not self.alpha < self.alpha_max:
                raise ValueError(
                    f"Negation is not normalisable: alpha = {self.alpha:g} but the negated energy's tails grow "
                    f"at least as fast as the base's / alpha in some direction (P_base - alpha * P_negated is not "
                    f"positive definite); choose alpha < {self.alpha_max:.6g}")

    @staticmethod
    def _limit(base_tail: torch.Tensor, negated_tail: torch.Tensor) -> float:
        if float(torch.linalg.eigvalsh(base_tail).min()) <= 0:
            return 0.0
        return normalisable_limit(base_tail, negated_tail)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_x(self, x)
        e = evaluate_energy(self.base, x)
        return e if self.alpha == 0 else e - self.alpha * evaluate_energy(self.negated, x)

    def _quadratic_form(self):
        return combine([quadratic_form(self.base), quadratic_form(self.negated)], [1.0, -self.alpha])

    def _tail_precision(self):
        tb, tn = tail_precision(self.base), tail_precision(self.negated)
        return None if tb is None or tn is None else tb - self.alpha * tn.to(tb.device)

