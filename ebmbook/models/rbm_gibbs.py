r"""Block Gibbs sampling of RBMs, and the annealing path through RBMs that AIS uses to estimate their :math:`\log Z`.

An RBM's layers are conditionally independent given each other, so one Gibbs
sweep redraws a whole layer at once:

.. math:: h \sim p(h \mid v) = \prod_j \operatorname{Bernoulli}\big(\sigma(c_j + v^\top W_{:j})\big),
    \qquad v' \sim p(v \mid h),

with :math:`p(v_i = 1 \mid h) = \sigma(b_i + W_{i:} h)` for binary visibles and
:math:`p(v \mid h) = \mathcal N(b + W h, I)` for Gaussian ones. :class:`RBMGibbs`
is that sweep as an :class:`ebmbook.samplers.Sampler`; the RBMs' ``sample``,
their CD/PCD training and their AIS all run it.

:class:`RBMAnnealingPath` is the path of Salakhutdinov & Murray (2008) from
independent visibles to a Bernoulli RBM. It is *not* the geometric path
between the two marginal energies: :math:`(1-\beta)E_A(v) + \beta F(v)` contains
:math:`\beta\operatorname{softplus}(\cdot)`, which is no RBM's free energy, so block
Gibbs could not sample it. It is the geometric path on the joint
:math:`(v, h)`, whose every point is an RBM, summed over :math:`h` exactly.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F

from ..energies.base import AnalyticEnergy
from ..metrics.ais import AnnealingPath, GeometricPath
from ..samplers.base import Info, Sampler, _check_start
from ..utils import check_binary, check_int, check_tensor

__all__ = ["RBMLayers", "RBMGibbsState", "RBMGibbs", "RBMAnnealingPath"]

VISIBLE_KINDS = ("bernoulli", "gaussian")


def _bernoulli(p: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """Independent 0/1 draws with probabilities ``p``, as ``u < p`` for uniform ``u``; same shape and dtype.

    The same distribution as ``torch.bernoulli(p)``, whose CPU kernel draws one element
    at a time: this is 2-3 times faster there (bernoulli took 40% of a PCD-1 update on the
    digits with 256 hidden units and batches of 100; ``benchmarks/bench_rbm.py``).
    """
    return torch.rand(p.shape, generator=generator, device=p.device, dtype=p.dtype).lt_(p)


class RBMLayers(NamedTuple):
    """The parameters block Gibbs needs: what an RBM, or a point of an annealing path, hands to :class:`RBMGibbs`.

    Attributes
    ----------
    weights : Tensor ``(D, H)``, :math:`W`
    visible_bias : Tensor ``(D,)``, :math:`b`
    hidden_bias : Tensor ``(H,)``, :math:`c`
    visible : {'bernoulli', 'gaussian'}, the visible units' conditional
    offset : float, a constant added to the free energy (0 for an RBM)
    """

    weights: torch.Tensor
    visible_bias: torch.Tensor
    hidden_bias: torch.Tensor
    visible: str = "bernoulli"
    offset: float = 0.0


class RBMGibbsState(NamedTuple):
    """Where the block-Gibbs chains are.

    Attributes
    ----------
    position : Tensor ``(n_chains, D)``, the visible units :math:`v`
    energy : Tensor ``(n_chains,)``, the bound energy (the free energy :math:`F(v)`)
    hidden_input : Tensor ``(n_chains, H)``, :math:`c + v^\\top W`, cached: the next step's
        :math:`p(h = 1 \\mid v)` is its sigmoid, and training reuses it
    hidden : Tensor ``(n_chains, H)`` or None, the hidden units :math:`h` that
        ``position`` was drawn from (None at ``init``)
    """

    position: torch.Tensor
    energy: torch.Tensor
    hidden_input: torch.Tensor
    hidden: torch.Tensor | None = None


def _layers_of(energy) -> RBMLayers:
    """The :class:`RBMLayers` of an RBM or an :class:`RBMAnnealingPath`; a clear TypeError for anything else."""
    get = getattr(energy, "_rbm_layers", None)
    if callable(get):
        return get()
    if isinstance(energy, GeometricPath) and callable(getattr(energy.target, "_rbm_layers", None)):
        raise TypeError(
            "RBMGibbs cannot sample GeometricPath(base, rbm, beta): (1 - beta) E_base + beta F(v) contains "
            "beta * softplus(...), which is no RBM's free energy, so block Gibbs would sample the wrong "
            "distribution. Anneal an RBM with path=RBMAnnealingPath (the path through RBMs with weights "
            "beta W), or use a Metropolis-type transition on the geometric path")
    raise TypeError(f"RBMGibbs needs an RBM (BernoulliRBM, GaussianBernoulliRBM) or an RBMAnnealingPath, "
                    f"got {type(energy).__name__}")


def _free_energy(layers: RBMLayers, v: torch.Tensor, hidden_input: torch.Tensor) -> torch.Tensor:
    """:math:`F(v)` given :math:`c + v^\\top W`, shape ``(batch,)`` (plus the layers' offset)."""
    if layers.visible == "bernoulli":
        e = torch.addmv(F.softplus(hidden_input).sum(-1), v, layers.visible_bias).neg_()   # -(sum softplus + b.v)
    else:
        e = 0.5 * (v - layers.visible_bias).pow(2).sum(-1) - F.softplus(hidden_input).sum(-1)
    return e + layers.offset if layers.offset else e


class RBMGibbs(Sampler):
    r"""Block Gibbs sampler of an RBM's visible units: :math:`v \to h \sim p(h\mid v) \to v' \sim p(v\mid h)`.

    One step redraws every hidden unit, then every visible unit, in two matrix
    products; it leaves the RBM's marginal :math:`p(v) \propto e^{-F(v)}` invariant
    and is always accepted. States cache :math:`c + v^\top W`, so a step costs two
    products in all, and record the hidden layer drawn.

    Parameters
    ----------
    energy : a fitted :class:`BernoulliRBM` or :class:`GaussianBernoulliRBM`, or an
        :class:`RBMAnnealingPath`; optional (see :meth:`bind`). The sampler uses
        the RBM's parameter tensors as they are when it is bound (in-place updates,
        as in training, are seen; reassigned attributes are not: bind again).

    Examples
    --------
    >>> from ebmbook.models import BernoulliRBM
    >>> from ebmbook.samplers import run
    >>> rbm = BernoulliRBM(n_hidden=4)
    >>> rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_ = torch.randn(6, 4), torch.zeros(6), torch.zeros(4)
    >>> state = run(RBMGibbs(rbm), torch.zeros(10, 6), 20, generator=torch.Generator().manual_seed(0))
    >>> state.position.shape, state.hidden.shape
    (torch.Size([10, 6]), torch.Size([10, 4]))

    Used in chapter 4.
    """

    state_type = RBMGibbsState

    def __init__(self, energy=None):
        self.layers: RBMLayers | None = None
        super().__init__(energy)

    def _check_energy(self, energy) -> None:
        self.layers = _layers_of(energy)

    def init(self, x0: torch.Tensor) -> RBMGibbsState:
        """Start chains at visible states ``x0`` of shape ``(n_chains, D)`` (binary for Bernoulli visibles).

        Raises
        ------
        TypeError, ValueError
            Wrong shape, NaN/inf, or non-binary values for Bernoulli visibles.
        """
        self._require_energy()
        d = self.layers.weights.shape[0]
        check_tensor(x0, "x0", ndim=2)
        if x0.shape[1] != d:
            raise ValueError(f"x0 must have shape (n_chains, {d}) for this RBM, got {tuple(x0.shape)}")
        x0 = self._check_x0(x0)
        if self.layers.visible == "bernoulli":
            check_binary(x0, "x0")          # Bernoulli visible units take 0/1
        state = self._start(x0.to(self.layers.weights))
        _check_start(state.energy, "energy")
        return state

    def _start(self, v: torch.Tensor, hidden: torch.Tensor | None = None) -> RBMGibbsState:
        """The state at visible units ``v`` (already checked, in the parameters' dtype and device)."""
        hidden_input = self.hidden_input(v)
        return RBMGibbsState(v, _free_energy(self.layers, v, hidden_input), hidden_input, hidden)

    def hidden_input(self, v: torch.Tensor) -> torch.Tensor:
        """The hidden units' input :math:`c + v^\\top W`, ``(batch, H)``; its sigmoid is :math:`p(h=1 \\mid v)`."""
        return v @ self.layers.weights + self.layers.hidden_bias

    def sweep(self, hidden_input: torch.Tensor, *, generator: torch.Generator | None = None
              ) -> tuple[torch.Tensor, torch.Tensor]:
        r"""One block-Gibbs sweep from the hidden units' input :math:`a = c + v^\top W`.

        .. math:: h_j \sim \operatorname{Bernoulli}\big(\sigma(a_j)\big), \qquad
            v'_i \sim \operatorname{Bernoulli}\big(\sigma(b_i + W_{i:} h)\big)
            \quad \text{(Gaussian visibles: } v' \sim \mathcal N(b + W h, I)\text{)}.

        The transition without a state's bookkeeping (energy, info): :meth:`step`
        runs it, and so does CD/PCD training, which needs no energies.

        Parameters
        ----------
        hidden_input : Tensor ``(batch, H)``, :math:`a` (cached in the state)
        generator : torch.Generator, optional

        Returns
        -------
        v : Tensor ``(batch, D)``, the new visible units
        h : Tensor ``(batch, H)``, the hidden units drawn on the way
        """
        w, b = self.layers.weights, self.layers.visible_bias
        h = _bernoulli(torch.sigmoid(hidden_input), generator)                  # h ~ p(h | v)
        if self.layers.visible == "bernoulli":
            v = _bernoulli(torch.sigmoid(h @ w.T + b), generator)               # v' ~ p(v | h)
        else:
            mean = h @ w.T + b                                                  # v' ~ N(b + W h, I)
            v = mean + torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        return v, h

    def step(self, state: RBMGibbsState, *, generator: torch.Generator | None = None
             ) -> tuple[RBMGibbsState, Info]:
        self._check_state(state, generator)
        v, h = self.sweep(state.hidden_input, generator=generator)
        new = self._start(v, hidden=h)
        ones = torch.ones_like(new.energy)   # a Gibbs step is always accepted
        return new, Info(ones, ones.bool())


class _IndependentBernoulli(AnalyticEnergy):
    r"""Independent bits with logits :math:`a`: :math:`E(v) = -a^\top v` on :math:`\{0,1\}^D`.

    :math:`\log Z = \sum_i \operatorname{softplus}(a_i)`, and exact samples are independent coin flips.

    The base of an RBM's AIS. (A general factorised-Bernoulli energy belongs in
    :mod:`ebmbook.energies`; this private one serves the RBM until it exists there.)
    """

    def __init__(self, logits: torch.Tensor):
        super().__init__()
        check_tensor(logits, "logits", ndim=1)
        self.register_buffer("logits", logits.detach().clone())
        self.event_shape = (logits.shape[0],)

    @property
    def log_z(self) -> float:
        return float(F.softplus(self.logits.double()).sum())

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        return -(v @ self.logits.to(v.dtype))

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        return _bernoulli(torch.sigmoid(self.logits).expand(check_int(n, "n", minimum=1), -1), generator)


class RBMAnnealingPath(AnnealingPath):
    r"""The annealing path from independent visibles (logits :math:`b_A`) to a Bernoulli RBM, through RBMs.

    The point at :math:`\beta` is the RBM with weights :math:`\beta W`, hidden bias
    :math:`\beta c` and visible bias :math:`(1-\beta) b_A + \beta b`: the geometric
    path on the joint energies, :math:`(1-\beta)(-b_A^\top v) + \beta E(v, h)`, with
    :math:`h` summed out. Its energy is that RBM's free energy plus a constant,

    .. math:: E_\beta(v) = -\big((1-\beta) b_A + \beta b\big)^\top v
        - \sum_j \operatorname{softplus}\big(\beta (c_j + v^\top W_{:j})\big) + (1-\beta) H \log 2,

    where the constant makes :math:`E_0` the base energy :math:`-b_A^\top v`
    exactly (at :math:`\beta = 0` each free hidden unit contributes :math:`\log 2`).
    :class:`RBMGibbs` samples every point exactly. Everything runs in float64.

    Parameters
    ----------
    base : independent-Bernoulli energy with ``logits`` :math:`b_A` ``(D,)``
    target : a fitted :class:`BernoulliRBM`
    beta : float in [0, 1]

    Examples
    --------
    :meth:`BernoulliRBM.log_partition_ais` is this path in :func:`ebmbook.metrics.ais`,
    ``ais(rbm, base, RBMGibbs(), betas, n_runs, path=RBMAnnealingPath)``:

    >>> from ebmbook.metrics import ais_betas
    >>> from ebmbook.models import BernoulliRBM
    >>> rbm = BernoulliRBM(n_hidden=3)
    >>> rbm.weights_, rbm.visible_bias_, rbm.hidden_bias_ = torch.randn(5, 3), torch.zeros(5), torch.zeros(3)
    >>> res = rbm.log_partition_ais(n_runs=100, betas=ais_betas(500), generator=torch.Generator().manual_seed(0))
    >>> abs(res.log_z - rbm.log_partition_exact()) < 0.1
    True

    Used in chapter 4 (through :meth:`BernoulliRBM.log_partition_ais`).
    """

    def __init__(self, base, target, beta: float, *, _endpoints: tuple | None = None):
        super().__init__(base, target, beta)
        if _endpoints is None:
            layers = _layers_of(target)
            if layers.visible != "bernoulli":
                raise TypeError(f"RBMAnnealingPath needs an RBM with Bernoulli visible units, got "
                                f"{type(target).__name__}")
            logits = getattr(base, "logits", None)
            d = layers.weights.shape[0]
            if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != (d,):
                raise TypeError(f"base must be independent Bernoulli units with `logits` of shape ({d},), "
                                f"got {type(base).__name__}")
            w = layers.weights.double()
            _endpoints = (w, layers.visible_bias.double(), layers.hidden_bias.double(), logits.double().to(w.device))
        self._endpoints = _endpoints
        self.event_shape = (_endpoints[0].shape[0],)

    def at(self, beta: float) -> "RBMAnnealingPath":
        return RBMAnnealingPath(self.base, self.target, beta, _endpoints=self._endpoints)

    def _energy(self, v: torch.Tensor, hidden_input: torch.Tensor, beta: float) -> torch.Tensor:
        """:math:`E_\\beta(v)` given :math:`a = c + v^\\top W` at ``beta`` (float64)."""
        w, b, c, b_base = self._endpoints
        return -(v @ ((1 - beta) * b_base + beta * b)) - F.softplus(beta * hidden_input).sum(-1) \
            + (1 - beta) * w.shape[1] * math.log(2.0)

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        w, _, c, _ = self._endpoints
        v = v.to(w)
        return self._energy(v, v @ w + c, self.beta)

    def log_weight_increment(self, v: torch.Tensor, beta_next: float) -> torch.Tensor:
        """:math:`E_\\beta(v) - E_{\\beta'}(v)`, float64, from one product :math:`v^\\top W`."""
        w, _, c, _ = self._endpoints
        v = v.to(w)
        a = v @ w + c
        return self._energy(v, a, self.beta) - self._energy(v, a, float(beta_next))

    def _rbm_layers(self) -> RBMLayers:
        w, b, c, b_base = self._endpoints
        beta = self.beta
        return RBMLayers(beta * w, (1 - beta) * b_base + beta * b, beta * c, "bernoulli",
                         (1 - beta) * w.shape[1] * math.log(2.0))
