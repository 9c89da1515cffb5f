r"""Interactive explorers for Jupyter, and the static figures that stand in for them in the book.

Each explorer is a thin ``ipywidgets`` shell around pure functions that are
tested on their own:

- :func:`boltzmann_weights` and :func:`tempered_grid_density`: how temperature
  reshapes :math:`p_T(x) \propto \exp(-E(x)/T)` (used by
  :func:`temperature_explorer`);
- :func:`run_sampler_path`: one chain of a sampler from a fixed start, with its
  accept/reject record (used by :func:`sampler_explorer`);
- :func:`flip_spins` and :func:`corrupt_and_recall`: corrupt a stored
  pattern and follow a Hopfield network's recall sweep by sweep (used by
  :func:`recall_explorer`).

The HTML book has no kernel, so every explorer has a static small-multiples
twin (:func:`temperature_small_multiples`, :func:`sampler_small_multiples`,
:func:`recall_small_multiples`) that the chapter shows next to it. ``ipywidgets`` is imported only inside the
explorer functions, so ``import ebmbook.widgets`` works without a display.

Used in chapter 1 (temperature), chapter 2 (samplers) and chapter 3 (Hopfield recall).
"""
from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Callable, NamedTuple, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .exact import GridDensity
from .plot import (
    _check_lim,
    _draw_grid,
    _energy_dtype_device,
    _grid_energy,
    _landscape_grid,
    plot_trajectory,
)
from .models.hopfield import DenseAssociativeMemory, Hopfield, check_patterns
from .plot import plot_image_grid
from .samplers import HMC, MALA, ULA, RandomWalkMetropolis, Sampler
from .utils import check_int, check_positive, check_probability, check_spins, check_tensor

if TYPE_CHECKING:  # pragma: no cover
    import ipywidgets

__all__ = [
    "SAMPLERS",
    "boltzmann_weights",
    "tempered_grid_density",
    "SamplerPath",
    "run_sampler_path",
    "temperature_explorer",
    "sampler_explorer",
    "temperature_small_multiples",
    "sampler_small_multiples",
    "flip_spins",
    "RecallPath",
    "corrupt_and_recall",
    "recall_explorer",
    "recall_small_multiples",
]

EnergyFn = Callable[[torch.Tensor], torch.Tensor]

#: Sampler names accepted by :func:`run_sampler_path`.
SAMPLERS: tuple[str, ...] = ("RWM", "ULA", "MALA", "HMC")
#: Leapfrog steps per HMC transition in the explorers.
HMC_LEAPFROG = 10


# ---------------------------------------------------------------------------
# pure update logic
# ---------------------------------------------------------------------------
def boltzmann_weights(energies, temperature: float) -> torch.Tensor:
    r"""Normalised Boltzmann weights of a finite set of states.

    .. math:: w_i = \frac{\exp(-E_i/T)}{\sum_j \exp(-E_j/T)}
              = \operatorname{softmax}(-E/T)_i

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

    Used in chapter 1 (and by :func:`temperature_explorer`).
    """
    temperature = check_positive(temperature, "temperature")
    if isinstance(energies, torch.Tensor):
        e = energies.detach()
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


def tempered_grid_density(energy: EnergyFn, temperature: float,
                          xlim: tuple[float, float] = (-4.0, 4.0),
                          ylim: tuple[float, float] = (-4.0, 4.0),
                          resolution: int = 200) -> GridDensity:
    r"""The tempered density :math:`p_T \propto \exp(-E/T)` normalised on a 2-D grid.

    A thin wrapper on :func:`ebmbook.exact.grid_quadrature` that also handles
    float32 neural energies and energies on a GPU (evaluated where their
    parameters live, in float64 when they accept it), and returns the result
    on the CPU.

    Parameters
    ----------
    energy : callable ``(batch, 2) -> (batch,)``
    temperature : float, positive
    xlim, ylim : (low, high)
    resolution : int, cells per axis

    Returns
    -------
    GridDensity, CPU float64

    Examples
    --------
    >>> from ebmbook.energies import Ring
    >>> g = tempered_grid_density(Ring(), 2.0, resolution=100)
    >>> round(float(g.density.sum() * g.cell_area), 6)
    1.0

    Used in chapter 1.
    """
    temperature = check_positive(temperature, "temperature")
    resolution = check_int(resolution, "resolution", minimum=2)
    xlim = _check_lim(xlim, "xlim")
    ylim = _check_lim(ylim, "ylim")
    return _landscape_grid(energy, xlim, ylim, resolution, temperature=temperature)


class SamplerPath(NamedTuple):
    """One chain's path from :func:`run_sampler_path` (CPU tensors).

    Attributes
    ----------
    positions : Tensor ``(n_steps + 1, 2)``, the start followed by every step's state
    accepted : Tensor ``(n_steps,)``, bool, whether step ``t`` moved the chain
    acceptance_rate : float, mean Metropolis–Hastings acceptance probability
        over the steps (1 for ULA), as in :attr:`ebmbook.samplers.Trace.acceptance_rate`
    """

    positions: torch.Tensor
    accepted: torch.Tensor
    acceptance_rate: float


def _check_sampler_name(sampler: str) -> str:
    if not isinstance(sampler, str) or sampler.upper() not in SAMPLERS:
        raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    return sampler.upper()


def _make_sampler(name: str, energy: EnergyFn, step_size: float) -> Sampler:
    if name == "RWM":
        return RandomWalkMetropolis(energy, step_size=step_size)
    if name == "ULA":
        return ULA(energy, step_size=step_size)
    if name == "MALA":
        return MALA(energy, step_size=step_size)
    return HMC(energy, step_size=step_size, n_leapfrog=HMC_LEAPFROG)


def run_sampler_path(energy: EnergyFn, sampler: str = "MALA", step_size: float = 0.1,
                     n_steps: int = 100, x0: Sequence[float] | torch.Tensor = (0.0, 0.0),
                     seed: int = 0) -> SamplerPath:
    r"""Run one chain of a named sampler on a 2-D energy and record its path.

    The step-size parameter means what it means for each sampler: the proposal
    standard deviation of random-walk Metropolis, :math:`\epsilon` of the
    Langevin update :math:`x' = x - \epsilon\nabla E(x) + \sqrt{2\epsilon}\,\xi`
    (ULA, MALA), and the leapfrog step of HMC (with ``HMC_LEAPFROG = 10``
    leapfrog steps per transition).

    Parameters
    ----------
    energy : callable ``(batch, 2) -> (batch,)``
    sampler : {'RWM', 'ULA', 'MALA', 'HMC'} (case-insensitive)
    step_size : float, positive
    n_steps : int, transitions to run
    x0 : pair of float or Tensor ``(2,)``, the start
    seed : int, seeds a ``torch.Generator`` on the energy's device; same seed
        and device, same path

    Returns
    -------
    SamplerPath

    Raises
    ------
    ValueError
        For an unknown sampler name or bad ``x0``/``step_size``/``n_steps``.
    FloatingPointError
        If the chain diverges (ULA with too large a step).

    Examples
    --------
    >>> from ebmbook.energies import Ring
    >>> path = run_sampler_path(Ring(), "MALA", step_size=0.05, n_steps=50)
    >>> path.positions.shape, path.accepted.shape
    (torch.Size([51, 2]), torch.Size([50]))

    Used in chapter 2 (and by :func:`sampler_explorer`).
    """
    name = _check_sampler_name(sampler)
    step_size = check_positive(step_size, "step_size")
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    try:
        start = torch.as_tensor(x0.detach().cpu() if isinstance(x0, torch.Tensor) else x0,
                                dtype=torch.float64)
    except (TypeError, ValueError):
        raise ValueError(f"x0 must be a pair of numbers (x1, x2), got {x0!r}") from None
    if start.shape != (2,):
        raise ValueError(f"x0 must have shape (2,), got {tuple(start.shape)}")
    if not bool(torch.isfinite(start).all()):
        raise ValueError("x0 contains NaN or infinite values")
    if not callable(energy):
        raise TypeError(f"energy must be callable (batch, 2) -> (batch,), got {type(energy).__name__}")
    device, dtype = _energy_dtype_device(energy)
    s = _make_sampler(name, energy, step_size)
    generator = torch.Generator(device=device).manual_seed(seed)
    state = s.init(start.to(device=device, dtype=dtype).unsqueeze(0))
    positions = [state.position[0]]
    accepted, probs = [], []
    for t in range(n_steps):
        state, info = s.step(state, generator=generator)
        if not bool(torch.isfinite(state.energy).all()):
            raise FloatingPointError(f"{name} diverged at step {t} with step_size={step_size:g}: "
                                     "reduce the step size")
        positions.append(state.position[0])
        accepted.append(info.accepted[0])
        probs.append(info.acceptance_prob[0])
    positions_t = torch.stack(positions).detach().to(device="cpu", dtype=torch.float64)
    accepted_t = torch.stack(accepted).detach().cpu().bool()
    rate = float(torch.stack(probs).double().mean())
    return SamplerPath(positions_t, accepted_t, rate)


def flip_spins(patterns: torch.Tensor, flip_fraction: float, *,
               generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Corrupt spin patterns by flipping a fixed fraction of their units.

    In every pattern exactly :math:`k = \operatorname{round}(f N)` units, chosen
    uniformly at random without replacement, change sign, so the overlap of the
    corrupted pattern with the original is exactly :math:`m = 1 - 2k/N`.

    Parameters
    ----------
    patterns : Tensor ``(N,)`` or ``(batch, N)`` of ±1
    flip_fraction : float in [0, 1], the fraction :math:`f` of units to flip
    generator : torch.Generator, optional
        The random choice is drawn on the generator's device (the patterns'
        device without one) and applied on the patterns' device, so a CPU
        generator gives the same corruption whatever device the patterns live on.

    Returns
    -------
    Tensor, same shape, dtype and device as ``patterns``

    Examples
    --------
    >>> x = torch.ones(2, 10)
    >>> (flip_spins(x, 0.3, generator=torch.Generator().manual_seed(0)) == -1).sum(-1)
    tensor([3, 3])

    Used in chapter 3 (and by :func:`corrupt_and_recall`).
    """
    check_tensor(patterns, "patterns")
    if patterns.ndim not in (1, 2) or patterns.shape[-1] == 0:
        raise ValueError(f"patterns must have shape (N,) or (batch, N) with N >= 1, got {tuple(patterns.shape)}")
    check_spins(patterns, "patterns")
    flip_fraction = check_probability(flip_fraction, "flip_fraction")
    batch = patterns.reshape(-1, patterns.shape[-1])
    n = batch.shape[1]
    k = int(round(flip_fraction * n))
    out = batch.clone()
    if k > 0:
        scores = torch.rand(batch.shape, generator=generator,
                            device=patterns.device if generator is None else generator.device)
        idx = scores.argsort(dim=-1)[:, :k].to(patterns.device)
        out.scatter_(1, idx, -out.gather(1, idx))
    return out.reshape(patterns.shape)


class RecallPath(NamedTuple):
    """One probe's recall, sweep by sweep, from :func:`corrupt_and_recall` (CPU tensors).

    Attributes
    ----------
    probe : Tensor ``(N,)``, the corrupted pattern the dynamics start from
    states : Tensor ``(n_sweeps + 1, N)``, the probe followed by the state after every sweep;
        when the run reached a fixed point the last two rows are equal (the final sweep
        changed nothing, as in :meth:`ebmbook.models.Hopfield.recall`)
    energies : Tensor ``(n_sweeps + 1,)``, float64, the network's energy of every row of ``states``
    overlaps : Tensor ``(n_sweeps + 1,)``, float64, overlap :math:`m = \\xi\\cdot s/N` of every
        row with the uncorrupted pattern (1: perfect recall)
    converged : bool, the dynamics reached a fixed point within ``max_sweeps``
    cycled : bool, synchronous dynamics entered a 2-cycle (always False for ``async``)
    """

    probe: torch.Tensor
    states: torch.Tensor
    energies: torch.Tensor
    overlaps: torch.Tensor
    converged: bool
    cycled: bool

    @property
    def n_sweeps(self) -> int:
        """Number of sweeps run (rows of ``states`` minus one)."""
        return self.states.shape[0] - 1


def _check_memory(net) -> None:
    if not isinstance(net, (Hopfield, DenseAssociativeMemory)):
        raise TypeError("net must be an ebmbook.models.Hopfield or DenseAssociativeMemory, "
                        f"got {type(net).__name__}")
    if getattr(net, "patterns_", None) is None:
        raise RuntimeError(f"{type(net).__name__} is not fitted: call fit(patterns) first")


def corrupt_and_recall(net: "Hopfield | DenseAssociativeMemory", pattern: torch.Tensor,
                       flip_fraction: float, seed: int = 0, mode: str = "async",
                       max_sweeps: int = 20) -> RecallPath:
    r"""Corrupt one pattern, run a Hopfield network's recall from it, and record every sweep.

    The probe is ``pattern`` with a fraction ``flip_fraction`` of its units
    flipped (:func:`flip_spins`, drawn with a CPU generator seeded with ``seed``,
    so the probe is the same on every device). The network then sweeps
    (:meth:`ebmbook.models.Hopfield.sweep`, update order from a generator on the
    network's device seeded with ``seed``) until a sweep changes nothing (a fixed
    point), a synchronous run returns to the state of two sweeps before (a
    2-cycle), or ``max_sweeps`` sweeps have run. The final state is the one
    :meth:`ebmbook.models.Hopfield.recall` reaches from the same probe with the
    same generator.

    Parameters
    ----------
    net : fitted :class:`ebmbook.models.Hopfield` or :class:`ebmbook.models.DenseAssociativeMemory`
    pattern : Tensor ``(N,)`` of ±1, the uncorrupted target (usually a stored pattern)
    flip_fraction : float in [0, 1]
    seed : int, non-negative; same seed and device, same path
    mode : {'async', 'sync'}
    max_sweeps : int, at least 1

    Returns
    -------
    RecallPath

    Examples
    --------
    >>> from ebmbook.models import Hopfield
    >>> g = torch.Generator().manual_seed(0)
    >>> xi = torch.where(torch.rand(3, 100, generator=g) < 0.5, -1.0, 1.0)
    >>> path = corrupt_and_recall(Hopfield().fit(xi), xi[0], flip_fraction=0.2)
    >>> float(path.overlaps[0]), float(path.overlaps[-1])
    (0.6, 1.0)

    Used in chapter 3 (and by :func:`recall_explorer` and :func:`recall_small_multiples`).
    """
    _check_memory(net)
    check_tensor(pattern, "pattern", ndim=1)
    if pattern.shape[0] != net.n_units:
        raise ValueError(f"pattern must have length {net.n_units} (the network's units), got {pattern.shape[0]}")
    check_spins(pattern, "pattern")
    flip_fraction = check_probability(flip_fraction, "flip_fraction")
    seed = check_int(seed, "seed", minimum=0)
    max_sweeps = check_int(max_sweeps, "max_sweeps", minimum=1)
    if mode not in ("async", "sync"):
        raise ValueError(f"mode must be 'async' or 'sync', got {mode!r}")
    device = net.patterns_.device
    target = pattern.to(device=device, dtype=net.patterns_.dtype)
    probe = flip_spins(target.unsqueeze(0), flip_fraction, generator=torch.Generator().manual_seed(seed))
    generator = torch.Generator(device=device).manual_seed(seed)
    states = [probe]
    converged = cycled = False
    for _ in range(max_sweeps):
        new = net.sweep(states[-1], mode, generator=generator)
        states.append(new)
        if torch.equal(new, states[-2]):
            converged = True
            break
        if mode == "sync" and len(states) >= 3 and torch.equal(new, states[-3]):
            cycled = True
            break
    path = torch.cat(states)
    energies = net.energy(path).detach().to(device="cpu", dtype=torch.float64)
    overlaps = (path.double() @ target.double() / net.n_units).cpu()
    return RecallPath(probe[0].cpu(), path.cpu(), energies, overlaps, converged, cycled)


# ---------------------------------------------------------------------------
# drawing helpers shared by the explorers and the static figures
# ---------------------------------------------------------------------------
class _EnergyGrid(NamedTuple):
    xs: np.ndarray
    ys: np.ndarray
    energy: torch.Tensor  # (ny, nx), float64
    cell_area: float


def _energy_grid(energy: EnergyFn, xlim, ylim, resolution: int) -> _EnergyGrid:
    g = _landscape_grid(energy, xlim, ylim, resolution)
    return _EnergyGrid(g.xs.numpy(), g.ys.numpy(), torch.from_numpy(_grid_energy(g)), g.cell_area)


def _draw_tempered(ax, grid: _EnergyGrid, temperature: float, colorbar: bool) -> None:
    w = boltzmann_weights(grid.energy.flatten(), temperature)
    density = (w / grid.cell_area).reshape(grid.energy.shape)
    _draw_grid(ax, grid.xs, grid.ys, density.numpy(), "density", colorbar=colorbar,
               temperature=temperature)
    mean_e = float((w * grid.energy.flatten()).sum())
    ax.set_title(rf"$T = {temperature:.3g}$, $\langle E\rangle_T = {mean_e:.2f}$")
    ax.set_aspect("equal", adjustable="box")


def _small_multiples(n: int, ncols: int, panel: float = 3.2) -> tuple[Figure, np.ndarray]:
    cols = min(n, ncols)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * panel, rows * panel), squeeze=False,
                             layout="constrained")
    axes = axes.ravel()
    for ax in axes[n:]:
        fig.delaxes(ax)
    return fig, axes[:n]


def _figure_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return buf.getvalue()


def _check_values(values, name: str) -> list[float]:
    try:
        out = [check_positive(v, name) for v in values]
    except TypeError:
        raise TypeError(f"{name} must be a sequence of positive numbers, got {values!r}") from None
    if not out:
        raise ValueError(f"{name} must hold at least one value")
    return out


# ---------------------------------------------------------------------------
# static figures for the HTML book
# ---------------------------------------------------------------------------
def temperature_small_multiples(energy: EnergyFn, temperatures: Sequence[float],
                                xlim: tuple[float, float] = (-4.0, 4.0),
                                ylim: tuple[float, float] = (-4.0, 4.0), *,
                                resolution: int = 150, ncols: int = 4) -> Figure:
    r"""One panel per temperature showing :math:`p_T(x) \propto \exp(-E(x)/T)`.

    The static twin of :func:`temperature_explorer`: the energy is evaluated
    once on the grid and each panel reweights it with :func:`boltzmann_weights`.
    Each title gives :math:`T` and the mean energy :math:`\langle E\rangle_T`.

    Parameters
    ----------
    energy : callable ``(batch, 2) -> (batch,)``
    temperatures : sequence of positive float, one panel each
    xlim, ylim : (low, high)
    resolution : int, cells per axis
    ncols : int, panels per row

    Returns
    -------
    Figure

    Examples
    --------
    >>> from ebmbook.energies import Ring
    >>> fig = temperature_small_multiples(Ring(), [0.25, 1.0, 4.0], resolution=64)
    >>> len(fig.axes)
    3

    Used in chapter 1.
    """
    temps = _check_values(temperatures, "temperatures")
    xlim = _check_lim(xlim, "xlim")
    ylim = _check_lim(ylim, "ylim")
    resolution = check_int(resolution, "resolution", minimum=2)
    ncols = check_int(ncols, "ncols", minimum=1)
    grid = _energy_grid(energy, xlim, ylim, resolution)
    fig, axes = _small_multiples(len(temps), ncols)
    for ax, t in zip(axes, temps):
        _draw_tempered(ax, grid, t, colorbar=False)
    return fig


def sampler_small_multiples(energy: EnergyFn, step_sizes: Sequence[float], sampler: str = "MALA",
                            n_steps: int = 200, xlim: tuple[float, float] = (-4.0, 4.0),
                            ylim: tuple[float, float] = (-4.0, 4.0), seed: int = 0, *,
                            x0: Sequence[float] = (0.0, 0.0), ncols: int = 4,
                            resolution: int = 120) -> Figure:
    """One panel per step size: a chain's path over the density, titled with its acceptance rate.

    The static twin of :func:`sampler_explorer`; every panel uses the same
    seed and start (:func:`run_sampler_path`), so only the step size differs.

    Parameters
    ----------
    energy : callable ``(batch, 2) -> (batch,)``
    step_sizes : sequence of positive float, one panel each
    sampler : {'RWM', 'ULA', 'MALA', 'HMC'}
    n_steps : int
    xlim, ylim : (low, high)
    seed : int
    x0 : pair of float, the start
    ncols : int, panels per row
    resolution : int, grid cells per axis of the background density

    Returns
    -------
    Figure

    Examples
    --------
    >>> from ebmbook.energies import Ring
    >>> fig = sampler_small_multiples(Ring(), [0.01, 0.1, 1.0], "RWM", n_steps=50)
    >>> len(fig.axes)
    3

    Used in chapter 2.
    """
    name = _check_sampler_name(sampler)
    steps = _check_values(step_sizes, "step_sizes")
    xlim = _check_lim(xlim, "xlim")
    ylim = _check_lim(ylim, "ylim")
    ncols = check_int(ncols, "ncols", minimum=1)
    resolution = check_int(resolution, "resolution", minimum=2)
    paths = [run_sampler_path(energy, name, h, n_steps, x0, seed) for h in steps]
    grid = _landscape_grid(energy, xlim, ylim, resolution)
    fig, axes = _small_multiples(len(steps), ncols)
    for i, (ax, h, path) in enumerate(zip(axes, steps, paths)):
        _draw_grid(ax, grid.xs.numpy(), grid.ys.numpy(), grid.density.numpy(), "density",
                   colorbar=False)
        plot_trajectory(path.positions, ax=ax, accepted=path.accepted, xlim=xlim, ylim=ylim,
                        color="white", legend=i == 0)
        ax.set_title(f"step {h:g}: acceptance {path.acceptance_rate:.2f}")
        ax.set_aspect("equal", adjustable="box")
    fig.suptitle(f"{name}, {n_steps} steps from $x_0 = ({float(x0[0]):g}, {float(x0[1]):g})$")
    return fig


def _recall_inputs(net, patterns: torch.Tensor, image_shape) -> tuple[torch.Tensor, tuple[int, int]]:
    _check_memory(net)
    check_patterns(patterns, "patterns", net.n_units)
    try:
        shape = tuple(check_int(v, "image_shape", minimum=1) for v in image_shape)
    except TypeError:
        raise TypeError(f"image_shape must be a pair (H, W) of integers, got {image_shape!r}") from None
    if len(shape) != 2 or shape[0] * shape[1] != net.n_units:
        raise ValueError(f"image_shape must be (H, W) with H * W = {net.n_units} (the network's units), "
                         f"got {image_shape!r}")
    return patterns, shape


def _draw_spin_images(ax, images: torch.Tensor, image_shape, title: str | None = None,
                      cmap: str = "gray") -> None:
    plot_image_grid(images, nrow=images.shape[0], ax=ax, vmin=-1.0, vmax=1.0, image_shape=image_shape,
                    title=title, padding=2, cmap=cmap)


def _path_summary(path: RecallPath) -> str:
    if path.converged:
        return f"fixed point after {path.n_sweeps} sweeps"
    if path.cycled:
        return f"2-cycle after {path.n_sweeps} sweeps"
    return f"not settled after {path.n_sweeps} sweeps"


def recall_small_multiples(net: "Hopfield | DenseAssociativeMemory", patterns: torch.Tensor,
                           image_shape: Sequence[int], flip_fractions: Sequence[float], seed: int = 0, *,
                           mode: str = "async", max_sweeps: int = 20, cmap: str = "gray") -> Figure:
    """A grid of recalls: one row per pattern, one column per corruption level.

    The static twin of :func:`recall_explorer`. Each panel shows the corrupted
    probe (left) and the state the network recalls from it (right), made by
    :func:`corrupt_and_recall` with the same ``seed`` everywhere, and is titled
    with the overlap :math:`m` of the recalled state with the uncorrupted
    pattern (1: perfect recall, -1: the inverted pattern). With the default
    ``cmap="gray"`` spins are drawn black (-1) and white (+1); ``"gray_r"``
    draws +1 as black ink on white paper, which suits digits.

    Parameters
    ----------
    net : fitted :class:`ebmbook.models.Hopfield` or :class:`ebmbook.models.DenseAssociativeMemory`
    patterns : Tensor ``(P, N)`` of ±1, the uncorrupted targets, one row of panels each
    image_shape : (H, W) with ``H * W = N``
    flip_fractions : sequence of float in [0, 1], one column each
    seed : int
    mode : {'async', 'sync'}
    max_sweeps : int
    cmap : str, matplotlib colour map of the images (-1 at its low end, +1 at its high end)

    Returns
    -------
    Figure with ``P * len(flip_fractions)`` axes, row by row

    Examples
    --------
    >>> from ebmbook.models import Hopfield
    >>> g = torch.Generator().manual_seed(0)
    >>> xi = torch.where(torch.rand(2, 64, generator=g) < 0.5, -1.0, 1.0)
    >>> fig = recall_small_multiples(Hopfield().fit(xi), xi, (8, 8), [0.1, 0.3])
    >>> len(fig.axes)
    4

    Used in chapter 3.
    """
    patterns, shape = _recall_inputs(net, patterns, image_shape)
    try:
        fractions = [check_probability(f, "flip_fractions") for f in flip_fractions]
    except TypeError:
        raise TypeError(f"flip_fractions must be a sequence of numbers in [0, 1], got {flip_fractions!r}") from None
    if not fractions:
        raise ValueError("flip_fractions must hold at least one value")
    rows, cols = patterns.shape[0], len(fractions)
    panel_w = 0.5 + 0.3 * shape[1] * 2 / max(shape)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * max(panel_w, 1.9), rows * 1.35 + 0.5),
                             squeeze=False, layout="constrained")
    for i in range(rows):
        for j, f in enumerate(fractions):
            path = corrupt_and_recall(net, patterns[i], f, seed=seed, mode=mode, max_sweeps=max_sweeps)
            ax = axes[i, j]
            _draw_spin_images(ax, torch.stack([path.probe, path.states[-1]]), shape,
                              title=f"{f:.0%} flipped: m = {float(path.overlaps[-1]):.2f}", cmap=cmap)
            ax.title.set_fontsize("small")
            if j == 0:
                ax.set_ylabel(f"pattern {i}")
            if i == rows - 1:
                ax.set_xlabel("probe → recalled")
    fig.suptitle(f"recall from corrupted patterns ({mode}, seed {seed}); "
                 "m = overlap of the recalled state with the pattern")
    return fig


# ---------------------------------------------------------------------------
# live explorers (Jupyter)
# ---------------------------------------------------------------------------
def temperature_explorer(energy: EnergyFn, xlim: tuple[float, float] = (-4.0, 4.0),
                         ylim: tuple[float, float] = (-4.0, 4.0),
                         temperatures: tuple[float, float] = (0.25, 4.0), *,
                         resolution: int = 150) -> "ipywidgets.Widget":
    r"""A slider over the temperature that redraws :math:`p_T(x) \propto \exp(-E(x)/T)`.

    The energy is evaluated once; moving the (logarithmic) slider reweights the
    grid with :func:`boltzmann_weights`, so updates are fast even for a neural
    energy. In the HTML book use :func:`temperature_small_multiples` instead.

    Parameters
    ----------
    energy : callable ``(batch, 2) -> (batch,)``
    xlim, ylim : (low, high)
    temperatures : (low, high), positive; the slider's range (starts at
        :math:`T = 1` when inside it)
    resolution : int

    Returns
    -------
    ipywidgets.VBox
        The slider above the figure; display it as the last expression of a cell.

    Examples
    --------
    >>> from ebmbook.energies import Ring
    >>> temperature_explorer(Ring())   # doctest: +SKIP

    Used in chapter 1.
    """
    import ipywidgets as widgets

    t_low, t_high = _check_lim(temperatures, "temperatures")
    if t_low <= 0:
        raise ValueError(f"temperatures must be positive, got {temperatures!r}")
    xlim = _check_lim(xlim, "xlim")
    ylim = _check_lim(ylim, "ylim")
    resolution = check_int(resolution, "resolution", minimum=2)
    grid = _energy_grid(energy, xlim, ylim, resolution)
    t0 = 1.0 if t_low <= 1.0 <= t_high else math.sqrt(t_low * t_high)
    slider = widgets.FloatLogSlider(value=t0, base=10, min=math.log10(t_low), max=math.log10(t_high),
                                    step=0.01, description="T", continuous_update=False,
                                    readout_format=".3g")
    image = widgets.Image(format="png")

    def redraw(temperature: float) -> None:
        fig = Figure(figsize=(5.0, 4.2))
        fig.subplots_adjust(left=0.12, right=0.95, bottom=0.12, top=0.9)
        _draw_tempered(fig.add_subplot(), grid, temperature, colorbar=True)
        image.value = _figure_png(fig)

    slider.observe(lambda change: redraw(change["new"]), names="value")
    redraw(t0)
    return widgets.VBox([slider, image])


def sampler_explorer(energy: EnergyFn, xlim: tuple[float, float] = (-4.0, 4.0),
                     ylim: tuple[float, float] = (-4.0, 4.0), *,
                     x0: Sequence[float] = (0.0, 0.0), resolution: int = 150) -> "ipywidgets.Widget":
    """Pick a sampler, step size and number of steps; see the chain's path and acceptance rate.

    Each change reruns :func:`run_sampler_path` (seed 0, so only the settings
    change the path) and redraws it over the density, which is evaluated once.
    Rejected proposals are marked with red crosses. In the HTML book use
    :func:`sampler_small_multiples` instead.

    Parameters
    ----------
    energy : callable ``(batch, 2) -> (batch,)``
    xlim, ylim : (low, high)
    x0 : pair of float, the start
    resolution : int, grid cells per axis of the background density

    Returns
    -------
    ipywidgets.VBox
        The controls, a line reporting the acceptance rate, and the figure.

    Examples
    --------
    >>> from ebmbook.energies import Ring
    >>> sampler_explorer(Ring())   # doctest: +SKIP

    Used in chapter 2.
    """
    import ipywidgets as widgets

    xlim = _check_lim(xlim, "xlim")
    ylim = _check_lim(ylim, "ylim")
    resolution = check_int(resolution, "resolution", minimum=2)
    grid = _landscape_grid(energy, xlim, ylim, resolution)
    density = grid.density.numpy()
    xs, ys = grid.xs.numpy(), grid.ys.numpy()

    name_w = widgets.Dropdown(options=list(SAMPLERS), value="MALA", description="sampler")
    step_w = widgets.FloatLogSlider(value=0.1, base=10, min=-3, max=0.5, step=0.05,
                                    description="step size", continuous_update=False,
                                    readout_format=".3g")
    n_w = widgets.IntSlider(value=100, min=10, max=1000, step=10, description="steps",
                            continuous_update=False)
    status = widgets.HTML()
    image = widgets.Image(format="png")

    def redraw(_change=None) -> None:
        fig = Figure(figsize=(4.6, 4.6))
        fig.subplots_adjust(left=0.14, right=0.96, bottom=0.11, top=0.97)
        ax = fig.add_subplot()
        _draw_grid(ax, xs, ys, density, "density", colorbar=False)
        try:
            path = run_sampler_path(energy, name_w.value, step_w.value, n_w.value, x0, seed=0)
        except FloatingPointError as err:
            status.value = f"<b>{name_w.value}</b>: {err}"
        else:
            plot_trajectory(path.positions, ax=ax, accepted=path.accepted, xlim=xlim, ylim=ylim,
                            color="white")
            status.value = (f"<b>{name_w.value}</b>, step size {step_w.value:.3g}, "
                            f"{n_w.value} steps: acceptance rate <b>{path.acceptance_rate:.2f}</b>")
        ax.set_aspect("equal", adjustable="box")
        image.value = _figure_png(fig)

    for w in (name_w, step_w, n_w):
        w.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([name_w, step_w, n_w]), status, image])


def recall_explorer(net: "Hopfield | DenseAssociativeMemory", patterns: torch.Tensor,
                    image_shape: Sequence[int], *, labels: Sequence[str] | None = None,
                    max_sweeps: int = 20, cmap: str = "gray") -> "ipywidgets.Widget":
    """Pick a pattern, corrupt it, and watch a Hopfield network recall it.

    Each change reruns :func:`corrupt_and_recall` and redraws the probe, the
    recalled state and the target side by side, next to the energy (and the
    overlap with the target) after every sweep. Asynchronous sweeps never raise
    the energy; synchronous ones can end in a 2-cycle. In the HTML book use
    :func:`recall_small_multiples` instead.

    Parameters
    ----------
    net : fitted :class:`ebmbook.models.Hopfield` or :class:`ebmbook.models.DenseAssociativeMemory`
    patterns : Tensor ``(P, N)`` of ±1, the targets to choose from (usually the stored patterns)
    image_shape : (H, W) with ``H * W = N``
    labels : sequence of ``P`` str, optional; names of the patterns in the selector
    max_sweeps : int
    cmap : str, colour map of the images (default: -1 black, +1 white; ``"gray_r"`` for ink on paper)

    Returns
    -------
    ipywidgets.VBox
        The controls (pattern, fraction flipped, update mode, seed), a status
        line and the figure.

    Examples
    --------
    >>> from ebmbook.models import Hopfield
    >>> xi = torch.where(torch.rand(3, 64) < 0.5, -1.0, 1.0)
    >>> recall_explorer(Hopfield().fit(xi), xi, (8, 8))   # doctest: +SKIP

    Used in chapter 3.
    """
    import ipywidgets as widgets

    patterns, shape = _recall_inputs(net, patterns, image_shape)
    max_sweeps = check_int(max_sweeps, "max_sweeps", minimum=1)
    if labels is None:
        labels = [f"pattern {i}" for i in range(patterns.shape[0])]
    labels = [str(label) for label in labels]
    if len(labels) != patterns.shape[0]:
        raise ValueError(f"labels must have {patterns.shape[0]} entries, one per pattern, got {len(labels)}")

    pattern_w = widgets.Dropdown(options=[(label, i) for i, label in enumerate(labels)], value=0,
                                 description="pattern")
    flip_w = widgets.FloatSlider(value=0.1, min=0.0, max=0.5, step=0.02, description="flipped",
                                 continuous_update=False, readout_format=".0%")
    mode_w = widgets.ToggleButtons(options=["async", "sync"], value="async", description="updates")
    seed_w = widgets.BoundedIntText(value=0, min=0, max=10**6, description="seed")
    status = widgets.HTML()
    image = widgets.Image(format="png")

    def redraw(_change=None) -> None:
        target = patterns[pattern_w.value]
        path = corrupt_and_recall(net, target, flip_w.value, seed=seed_w.value, mode=mode_w.value,
                                  max_sweeps=max_sweeps)
        fig = Figure(figsize=(9.0, 2.8))
        grid = fig.add_gridspec(1, 6, width_ratios=[1, 1, 1, 0.3, 1.2, 1.2], left=0.02, right=0.91,
                                bottom=0.18, top=0.85, wspace=0.3)
        for k, (img, title) in enumerate([(path.probe, "probe"), (path.states[-1], "recalled"),
                                          (target.cpu(), "target")]):
            _draw_spin_images(fig.add_subplot(grid[0, k]), img.unsqueeze(0), shape, title=title, cmap=cmap)
        ax = fig.add_subplot(grid[0, 4:])
        sweeps = np.arange(path.n_sweeps + 1)
        ax.plot(sweeps, path.energies.numpy(), "o-", color="C0")
        ax.set_xlabel("sweep")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("energy $E(s)$", color="C0")
        twin = ax.twinx()
        twin.plot(sweeps, path.overlaps.numpy(), "s--", color="C1")
        twin.set_ylim(-1.05, 1.05)
        twin.set_ylabel("overlap $m$", color="C1")
        image.value = _figure_png(fig)
        status.value = (f"<b>{labels[pattern_w.value]}</b>, {flip_w.value:.0%} of the units flipped "
                        f"(overlap {float(path.overlaps[0]):.2f}), {mode_w.value} updates: "
                        f"{_path_summary(path)}, final overlap <b>{float(path.overlaps[-1]):.2f}</b>")

    for w in (pattern_w, flip_w, mode_w, seed_w):
        w.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([pattern_w, flip_w]), widgets.HBox([mode_w, seed_w]), status, image])
