r"""One chain of a named sampler on a 2-D energy: its path, its rejections, its acceptance rate.

:func:`run_sampler_path` (pure, ``generator=``) runs the chain with
:func:`ebmbook.samplers.sample_chain`; :func:`sampler_explorer` and
:func:`sampler_small_multiples` draw it over the density and take a ``seed``,
from which every redraw and every panel makes a fresh generator, so only the
settings change the path.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import ipywidgets
import torch
from matplotlib.figure import Figure

from ..exact import evaluation_placement
from ..plot._common import EnergyFn, _check_lim
from ..plot.landscapes import _draw_grid, _landscape_grid
from ..plot.samples import plot_trajectory
from ..samplers import HMC, MALA, ULA, RandomWalkMetropolis, Sampler, sample_chain
from ..utils import check_generator, check_int, check_positive, make_generator
from ._figures import _check_values, _figure_png, _small_multiples

__all__ = ["SAMPLERS", "SamplerPath", "run_sampler_path", "sampler_small_multiples", "sampler_explorer"]

#: Sampler names accepted by :func:`run_sampler_path`.
SAMPLERS: tuple[str, ...] = ("RWM", "ULA", "MALA", "HMC")
#: Leapfrog steps per HMC transition in the explorers.
HMC_LEAPFROG = 10


class SamplerPath(NamedTuple):
    """One chain's path from :func:`run_sampler_path` (CPU tensors).

    Attributes
    ----------
    positions : Tensor ``(n_steps + 1, 2)``, float64, the start followed by every step's state
    accepted : Tensor ``(n_steps,)``, bool, whether step ``t`` moved the chain (a rejected
        proposal leaves it where it was; an accepted continuous proposal moves it with
        probability one)
    acceptance_rate : float, mean Metropolis–Hastings acceptance probability
        over the steps (1 for ULA), :attr:`ebmbook.samplers.Trace.acceptance_rate`
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


def _check_start(x0) -> torch.Tensor:
    try:
        start = torch.as_tensor(x0.detach().cpu() if isinstance(x0, torch.Tensor) else x0,
                                dtype=torch.float64)
    except (TypeError, ValueError):
        raise ValueError(f"x0 must be a pair of numbers (x1, x2), got {x0!r}") from None
    if start.shape != (2,):
        raise ValueError(f"x0 must have shape (2,), got {tuple(start.shape)}")
    if not bool(torch.isfinite(start).all()):
        raise ValueError("x0 contains NaN or infinite values")
    return start


def run_sampler_path(energy: EnergyFn, sampler: str = "MALA", step_size: float = 0.1,
                     n_steps: int = 100, x0: Sequence[float] | torch.Tensor = (0.0, 0.0), *,
                     generator: torch.Generator | None = None) -> SamplerPath:
    r"""Run one chain of a named sampler on a 2-D energy and record its path.

    The chain is :func:`ebmbook.samplers.sample_chain` of the named sampler
    from ``x0``. The step-size parameter means what it means for each sampler:
    the proposal standard deviation of random-walk Metropolis, :math:`\epsilon`
    of the Langevin update :math:`x' = x - \epsilon\nabla E(x) + \sqrt{2\epsilon}\,\xi`
    (ULA, MALA), and the leapfrog step of HMC (with ``HMC_LEAPFROG = 10``
    leapfrog steps per transition).

    Parameters
    ----------
    energy : callable ``(batch, 2) -> (batch,)``
        The chain runs where and in the dtype :func:`ebmbook.exact.evaluation_placement`
        says: on the energy's device, in float64 unless it rejects float64 input
        (a float32 network runs in float32).
    sampler : {'RWM', 'ULA', 'MALA', 'HMC'} (case-insensitive)
    step_size : float, positive
    n_steps : int, transitions to run
    x0 : pair of float or Tensor ``(2,)``, the start
    generator : torch.Generator, optional
        On the energy's device (the chain is drawn there; a generator on another
        device is a ``ValueError``); same seed and device, same path.

    Returns
    -------
    SamplerPath

    Raises
    ------
    ValueError
        For an unknown sampler name, bad ``x0``/``step_size``/``n_steps``, or a
        generator on the wrong device.
    FloatingPointError
        If the chain diverges (ULA with too large a step).

    Examples
    --------
    >>> from ebmbook.energies import Ring
    >>> path = run_sampler_path(Ring(), "MALA", step_size=0.05, n_steps=50,
    ...                         generator=torch.Generator().manual_seed(0))
    >>> path.positions.shape, path.accepted.shape
    (torch.Size([51, 2]), torch.Size([50]))

    Used in chapter 2 (and by :func:`sampler_explorer` and :func:`sampler_small_multiples`).
    """
    name = _check_sampler_name(sampler)
    step_size = check_positive(step_size, "step_size")
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    start = _check_start(x0)
    if not callable(energy):
        raise TypeError(f"energy must be callable (batch, 2) -> (batch,), got {type(energy).__name__}")
    device, dtype = evaluation_placement(energy, (2,))
    check_generator(generator, device=device)
    chain_start = start.to(device=device, dtype=dtype).unsqueeze(0)
    try:
        trace = sample_chain(_make_sampler(name, energy, step_size), chain_start, n_steps,
                             generator=generator)
    except FloatingPointError as err:
        raise FloatingPointError(f"{name} diverged with step_size={step_size:g}: reduce the step size "
                                 f"[{err}]") from err
    positions = torch.cat([chain_start, trace.samples[:, 0]]).detach().to(device="cpu", dtype=torch.float64)
    # The Trace keeps acceptance probabilities, not the coin flips: a step was accepted
    # exactly when the chain moved (equal positions are exact copies, not round-off).
    accepted = (positions[1:] != positions[:-1]).any(dim=-1)
    return SamplerPath(positions, accepted, trace.acceptance_rate)


def sampler_small_multiples(energy: EnergyFn, step_sizes: Sequence[float], sampler: str = "MALA",
                            n_steps: int = 200, xlim: tuple[float, float] = (-4.0, 4.0),
                            ylim: tuple[float, float] = (-4.0, 4.0), seed: int = 0, *,
                            x0: Sequence[float] = (0.0, 0.0), ncols: int = 4,
                            resolution: int = 120) -> Figure:
    """One panel per step size: a chain's path over the density, titled with its acceptance rate.

    The static twin of :func:`sampler_explorer`; every panel runs
    :func:`run_sampler_path` from the same start with a fresh generator seeded
    with ``seed`` (on the energy's device), so only the step size differs.

    Parameters
    ----------
    energy : callable ``(batch, 2) -> (batch,)``
    step_sizes : sequence of positive float, one panel each
    sampler : {'RWM', 'ULA', 'MALA', 'HMC'}
    n_steps : int
    xlim, ylim : (low, high)
    seed : int, non-negative
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
    seed = check_int(seed, "seed", minimum=0)
    device, _ = evaluation_placement(energy, (2,))
    paths = [run_sampler_path(energy, name, h, n_steps, x0, generator=make_generator(seed, device))
             for h in steps]
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


def sampler_explorer(energy: EnergyFn, xlim: tuple[float, float] = (-4.0, 4.0),
                     ylim: tuple[float, float] = (-4.0, 4.0), *, x0: Sequence[float] = (0.0, 0.0),
                     seed: int = 0, resolution: int = 150) -> ipywidgets.Widget:
    """Pick a sampler, step size and number of steps; see the chain's path and acceptance rate.

    Each change reruns :func:`run_sampler_path` with a fresh generator seeded
    with ``seed`` (so only the settings change the path) and redraws it over
    the density, which is evaluated once. Rejected proposals are marked with
    red crosses. In the HTML book use :func:`sampler_small_multiples` instead.

    Parameters
    ----------
    energy : callable ``(batch, 2) -> (batch,)``
    xlim, ylim : (low, high)
    x0 : pair of float, the start
    seed : int, non-negative
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
    xlim = _check_lim(xlim, "xlim")
    ylim = _check_lim(ylim, "ylim")
    resolution = check_int(resolution, "resolution", minimum=2)
    seed = check_int(seed, "seed", minimum=0)
    device, _ = evaluation_placement(energy, (2,))
    grid = _landscape_grid(energy, xlim, ylim, resolution)
    density = grid.density.numpy()
    xs, ys = grid.xs.numpy(), grid.ys.numpy()

    name_w = ipywidgets.Dropdown(options=list(SAMPLERS), value="MALA", description="sampler")
    step_w = ipywidgets.FloatLogSlider(value=0.1, base=10, min=-3, max=0.5, step=0.05,
                                       description="step size", continuous_update=False,
                                       readout_format=".3g")
    n_w = ipywidgets.IntSlider(value=100, min=10, max=1000, step=10, description="steps",
                               continuous_update=False)
    status = ipywidgets.HTML()
    image = ipywidgets.Image(format="png")

    def redraw(_change=None) -> None:
        fig = Figure(figsize=(4.6, 4.6))
        fig.subplots_adjust(left=0.14, right=0.96, bottom=0.11, top=0.97)
        ax = fig.add_subplot()
        _draw_grid(ax, xs, ys, density, "density", colorbar=False)
        try:
            path = run_sampler_path(energy, name_w.value, step_w.value, n_w.value, x0,
                                    generator=make_generator(seed, device))
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
    return ipywidgets.VBox([ipywidgets.HBox([name_w, step_w, n_w]), status, image])
