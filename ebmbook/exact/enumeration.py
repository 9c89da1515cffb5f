"""Exact answers for binary units by enumeration: log Z, probabilities, marginals, expectations.

The :math:`2^n` configurations are enumerated in float64 chunks, so answers are
exact up to round-off while memory stays bounded. A function that takes
``temperature=T`` answers for :class:`ebmbook.energies.Tempered` ``(energy, T)``.
"""
from __future__ import annotations

import math
from typing import Callable, Iterator, NamedTuple

import numpy as np
import torch

from ..energies.base import evaluate_energy
from ..energies.tempered import Tempered
from ..utils import check_device, check_int, check_positive
from .placement import _cast_input, evaluation_placement

__all__ = [
    "boltzmann_weights",
    "iter_states",
    "all_states",
    "log_partition",
    "probabilities",
    "expectation",
    "marginals",
    "Thermodynamics",
    "thermodynamics",
]

EnergyFn = Callable[[torch.Tensor], torch.Tensor]
MAX_UNITS = 30
MAX_ALL_STATES_BYTES = 4 * 2**30  #: all_states refuses to build a tensor larger than this
DEFAULT_CHUNK = 2**16


def _check_values(values: str) -> tuple[float, float]:
    if values == "spin":
        return (-1.0, 1.0)
    if values == "binary":
        return (0.0, 1.0)
    raise ValueError(f"values must be 'spin' ({{-1, +1}}) or 'binary' ({{0, 1}}), got {values!r}")


def boltzmann_weights(energies, temperature: float = 1.0) -> torch.Tensor:
    r"""Normalised Boltzmann weights of a finite set of states at temperature :math:`T`.

    The distribution of :class:`ebmbook.energies.Tempered` ``(E, T)`` over the
    listed states:

    .. math:: w_i = \frac{\exp(-E_i/T)}{\sum_j \exp(-E_j/T)}
              = \operatorname{softmax}(-E/T)_i ,

    computed with a softmax, so huge energies or tiny temperatures neither
    overflow nor underflow. Adding a constant to every energy leaves the weights
    unchanged; as :math:`T\to\infty` they become uniform and as :math:`T\to 0`
    they concentrate on the lowest energy.

    Parameters
    ----------
    energies : Tensor, ndarray or sequence of float, shape ``(n,)``, finite
    temperature : float, positive and finite

    Returns
    -------
    Tensor, shape ``(n,)``, summing to 1; float64 unless ``energies`` is a
    floating tensor, whose dtype and device it keeps.

    Examples
    --------
    >>> boltzmann_weights(torch.tensor([0.0, 1.0]), temperature=1.0)
    tensor([0.7311, 0.2689])

    Used in chapter 1 (and by :func:`ebmbook.widgets.temperature_explorer`).
    """
    temperature = check_positive(temperature, "temperature")
    if isinstance(energies, torch.Tensor):
        e = energies.detach()
        if e.is_complex():
            raise TypeError(f"energies must be real, got dtype {e.dtype}")
        if not e.is_floating_point():
            e = e.double()
    else:
        try:
            e = torch.as_tensor(np.asarray(energies, dtype=np.float64))
        except (TypeError, ValueError):
            raise TypeError("energies must be a tensor, array or sequence of numbers, "
                            f"got {type(energies).__name__}") from None
    if e.ndim != 1 or e.numel() == 0:
        raise ValueError(f"energies must have shape (n,) with n >= 1, got {tuple(e.shape)}")
    if not bool(torch.isfinite(e).all()):
        raise ValueError("energies contains NaN or infinite values")
    return torch.softmax(-e / temperature, dim=0)


def _check_dtype(dtype) -> torch.dtype:
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype (e.g. torch.float64), got {type(dtype).__name__}")
    return dtype


def iter_states(n: int, values: str = "spin", chunk_size: int = DEFAULT_CHUNK,
                device: torch.device | str | None = None,
                dtype: torch.dtype = torch.float64) -> Iterator[torch.Tensor]:
    """Yield all :math:`2^n` configurations in chunks of shape ``(<= chunk_size, n)``.

    Configuration ``k`` has unit ``i`` "on" when bit ``n-1-i`` of ``k`` is set, so
    the order is the binary counting order with the first unit most significant.

    Parameters
    ----------
    n : int, ``1 <= n <= 30``
    values : {'spin', 'binary'}
        Spins :math:`\\{-1,+1\\}` or bits :math:`\\{0,1\\}`.
    chunk_size : int
    device, dtype : where and in what precision to build the states.
    """
    n = check_int(n, "n", minimum=1)
    if n > MAX_UNITS:
        raise ValueError(f"n must be <= {MAX_UNITS} for enumeration, got {n}")
    chunk_size = check_int(chunk_size, "chunk_size", minimum=1)
    low, high = _check_values(values)
    device = check_device(device)
    _check_dtype(dtype)
    shifts = torch.arange(n - 1, -1, -1, device=device)
    total = 2**n
    for start in range(0, total, chunk_size):
        k = torch.arange(start, min(start + chunk_size, total), device=device)
        bits = (k.unsqueeze(-1) >> shifts) & 1
        yield (bits.to(dtype) * (high - low) + low)


def all_states(n: int, values: str = "spin", device: torch.device | str | None = None,
               dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """All :math:`2^n` configurations at once, shape ``(2**n, n)``, in :func:`iter_states` order.

    Raises
    ------
    ValueError
        If the tensor would take more than 4 GB (use :func:`iter_states` to stream the states).
    """
    n = check_int(n, "n", minimum=1)
    if n > MAX_UNITS:
        raise ValueError(f"n must be <= {MAX_UNITS} for enumeration, got {n}")
    _check_values(values)
    itemsize = torch.empty((), dtype=_check_dtype(dtype)).element_size()
    needed = 2**n * n * max(itemsize, 8)  # the states and the int64 bits they are built from
    if needed > MAX_ALL_STATES_BYTES:
        raise ValueError(f"all_states(n={n}) would need about {needed / 1e9:.1f} GB "
                         f"(limit {MAX_ALL_STATES_BYTES / 1e9:.1f} GB): use iter_states to stream the states")
    return torch.cat(list(iter_states(n, values, chunk_size=2**n, device=device, dtype=dtype)))


def _tempered(energy: EnergyFn, temperature: float) -> Tempered:
    """``Tempered(energy, T)``: the one definition of temperature every function here uses."""
    if not callable(energy):
        raise TypeError(f"energy must be callable (batch, *event_shape) -> (batch,), got {type(energy).__name__}")
    return Tempered(energy, check_positive(temperature, "temperature"))


def _prepared(energy: EnergyFn, n: int, temperature: float,
              device: torch.device | str | None) -> tuple[Tempered, torch.device | None]:
    """``Tempered(energy, T)`` ready for float64 states, and the checked ``device``.

    An ``nn.Module`` with floating parameters that are not float64 (a float32 network)
    is probed with :func:`ebmbook.exact.evaluation_placement`; if it rejects float64
    input, the states are cast to its parameters' dtype before it is evaluated.
    """
    device = check_device(device)
    tempered = _tempered(energy, temperature)
    n = check_int(n, "n", minimum=1)
    if n > MAX_UNITS:
        raise ValueError(f"n must be <= {MAX_UNITS} for enumeration, got {n}")
    if isinstance(energy, torch.nn.Module) and any(
            t.is_floating_point() and t.dtype != torch.float64
            for t in list(energy.parameters()) + list(energy.buffers())):
        place = device if device is not None else torch.device("cpu")
        _, dtype = evaluation_placement(energy, (n,), place)
        if dtype != torch.float64:
            tempered = Tempered(_cast_input(energy, dtype), tempered.temperature)
    return tempered, device


def _log_weights(tempered: EnergyFn, states: torch.Tensor) -> torch.Tensor:
    """Unnormalised log probabilities :math:`-E(s)/T` of ``states`` in float64."""
    with torch.no_grad():
        e = evaluate_energy(tempered, states)
    if e.dtype != torch.float64:
        e = e.double()
    if not bool(torch.isfinite(e).all()):
        raise ValueError("energy returned NaN or infinite values during enumeration")
    return -e


def log_partition(energy: EnergyFn, n: int, values: str = "spin", temperature: float = 1.0,
                  chunk_size: int = DEFAULT_CHUNK, device: torch.device | str | None = None) -> float:
    r"""Exact :math:`\log Z(T) = \log \sum_s \exp(-E(s)/T)` by chunked enumeration (float64).

    :math:`Z(T)` is the normaliser of :class:`ebmbook.energies.Tempered` ``(energy, T)``.

    Parameters
    ----------
    energy : callable ``(batch, n) -> (batch,)``, accepting float64 input
    n : int, number of units
    values : {'spin', 'binary'}
    temperature : float, positive
    chunk_size : int, states evaluated per call (bounds memory)
    device : where to enumerate (defaults to CPU)

    Returns
    -------
    float

    Examples
    --------
    >>> from ebmbook.energies import Ising
    >>> round(log_partition(Ising.chain(3, coupling=0.0), 3), 6)   # 2^3 equally likely states
    2.079442

    Used in chapter 1.
    """
    tempered, device = _prepared(energy, n, temperature, device)
    running = torch.tensor(-math.inf, dtype=torch.float64, device=device)
    for states in iter_states(n, values, chunk_size, device=device):
        lw = _log_weights(tempered, states)
        running = torch.logaddexp(running, torch.logsumexp(lw, 0))
    return float(running)


def probabilities(energy: EnergyFn, n: int, values: str = "spin", temperature: float = 1.0,
                  chunk_size: int = DEFAULT_CHUNK,
                  device: torch.device | str | None = None) -> torch.Tensor:
    """Exact probability of every configuration under ``Tempered(energy, temperature)``.

    Returns
    -------
    Tensor, shape ``(2**n,)``, float64, in :func:`iter_states` order
    """
    tempered, device = _prepared(energy, n, temperature, device)
    lw = torch.cat([_log_weights(tempered, s)
                    for s in iter_states(n, values, chunk_size, device=device)])
    return torch.softmax(lw, 0)


def expectation(energy: EnergyFn, n: int, fn: Callable[[torch.Tensor], torch.Tensor],
                values: str = "spin", temperature: float = 1.0,
                chunk_size: int = DEFAULT_CHUNK,
                device: torch.device | str | None = None) -> torch.Tensor:
    r"""Exact :math:`\mathbb E_{p_T}[f(s)]` in one streaming pass over the states.

    :math:`p_T` is the distribution of :class:`ebmbook.energies.Tempered` ``(energy, T)``.

    Parameters
    ----------
    fn : callable
        Maps states ``(batch, n)`` to ``(batch, *out_shape)``.

    Returns
    -------
    Tensor, shape ``out_shape``, float64

    Notes
    -----
    Weights are rescaled by the running maximum log weight, so no
    :math:`\exp(-E/T)` ever overflows and a single pass suffices.
    """
    tempered, device = _prepared(energy, n, temperature, device)
    if not callable(fn):
        raise TypeError(f"fn must be callable (batch, n) -> (batch, *out_shape), got {type(fn).__name__}")
    max_lw = torch.tensor(-math.inf, dtype=torch.float64, device=device)
    total = None
    norm = torch.tensor(0.0, dtype=torch.float64, device=device)
    for states in iter_states(n, values, chunk_size, device=device):
        lw = _log_weights(tempered, states)
        f = fn(states)
        if not isinstance(f, torch.Tensor) or f.shape[:1] != states.shape[:1]:
            raise ValueError("fn must return a tensor whose first dimension is the batch")
        f = f.double()
        new_max = torch.maximum(max_lw, lw.max())
        scale = torch.exp(max_lw - new_max)
        w = torch.exp(lw - new_max)
        contrib = torch.tensordot(w, f, dims=([0], [0]))
        total = contrib if total is None else total * scale + contrib
        norm = norm * scale + w.sum()
        max_lw = new_max
    return total / norm


def marginals(energy: EnergyFn, n: int, values: str = "spin", temperature: float = 1.0,
              chunk_size: int = DEFAULT_CHUNK, device: torch.device | str | None = None) -> torch.Tensor:
    """Exact probability that each unit is on (+1 for spins, 1 for bits) under ``Tempered(energy, temperature)``.

    Returns
    -------
    Tensor, shape ``(n,)``, float64
    """
    low, high = _check_values(values)
    return expectation(energy, n, lambda s: (s == high).double(), values, temperature,
                       chunk_size, device)


class Thermodynamics(NamedTuple):
    """Exact thermodynamic quantities at one temperature (all Python floats)."""

    temperature: float
    log_z: float
    free_energy: float      #: :math:`F = -T \log Z`
    mean_energy: float      #: :math:`U = \langle E \rangle`
    heat_capacity: float    #: :math:`C = (\langle E^2\rangle - \langle E\rangle^2) / T^2`
    entropy: float          #: :math:`S = (U - F) / T`
    mean_abs_magnetisation: float  #: :math:`\langle |\bar s| \rangle`


def thermodynamics(energy: EnergyFn, n: int, temperature: float, values: str = "spin",
                   chunk_size: int = DEFAULT_CHUNK,
                   device: torch.device | str | None = None) -> Thermodynamics:
    r"""Free energy, mean energy, heat capacity, entropy and :math:`\langle|m|\rangle` by enumeration.

    Averages are over :class:`ebmbook.energies.Tempered` ``(energy, temperature)``;
    the mean energy is that of ``energy`` itself, :math:`U = \langle E\rangle_T`.

    Examples
    --------
    >>> from ebmbook.energies import Ising
    >>> th = thermodynamics(Ising.chain(8), 8, temperature=2.0)
    >>> th.heat_capacity > 0
    True

    Used in chapter 1.
    """
    temperature = check_positive(temperature, "temperature")
    log_z = log_partition(energy, n, values, temperature, chunk_size, device)

    # the energy as enumeration evaluates it (a float32 network gets its states cast to float32)
    evaluated = _prepared(energy, n, 1.0, device)[0].energy

    def stats(s: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            e = evaluate_energy(evaluated, s).double()
        return torch.stack([e, e * e, s.mean(-1).abs()], dim=-1)

    mean_e, mean_e2, mean_abs_m = expectation(energy, n, stats, values, temperature,
                                              chunk_size, device).tolist()
    free_energy = -temperature * log_z
    return Thermodynamics(
        temperature=temperature,
        log_z=log_z,
        free_energy=free_energy,
        mean_energy=mean_e,
        heat_capacity=max(mean_e2 - mean_e**2, 0.0) / temperature**2,
        entropy=(mean_e - free_energy) / temperature,
        mean_abs_magnetisation=mean_abs_m,
    )
