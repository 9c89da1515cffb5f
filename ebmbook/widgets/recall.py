r"""Hopfield recall from a corrupted pattern, sweep by sweep.

:func:`corrupt_and_recall` (pure, ``generator=``) corrupts a pattern with
:func:`ebmbook.data.flip_spins` and runs the network's own
:meth:`ebmbook.models.Hopfield.recall`, recording the state after every sweep;
:func:`recall_explorer` and :func:`recall_small_multiples` draw it and take a
``seed``, from which every redraw and every panel makes a fresh generator on
the network's device, so the same seed shows the same probes.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import ipywidgets
import numpy as np
import torch
from matplotlib import pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..data.patterns import flip_spins
from ..models.hopfield import DenseAssociativeMemory, Hopfield, check_patterns, overlap
from ..plot.images import plot_image_grid
from ..utils import check_generator, check_int, check_probability, check_spins, check_tensor, make_generator
from ._figures import _figure_png

__all__ = ["RecallPath", "corrupt_and_recall", "recall_small_multiples", "recall_explorer"]


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


def corrupt_and_recall(net: Hopfield | DenseAssociativeMemory, pattern: torch.Tensor,
                       flip_fraction: float, *, mode: str = "async", max_sweeps: int = 20,
                       generator: torch.Generator | None = None) -> RecallPath:
    r"""Corrupt one pattern, run a Hopfield network's recall from it, and record every sweep.

    The probe is ``pattern`` with a fraction ``flip_fraction`` of its units
    flipped (:func:`ebmbook.data.flip_spins`). The network's own
    :meth:`ebmbook.models.Hopfield.recall` then sweeps from it until a sweep
    changes nothing (a fixed point), a synchronous run returns to the state of
    two sweeps before (a 2-cycle), or ``max_sweeps`` sweeps have run, recording
    the state after every sweep. Both the corruption and the asynchronous
    update order are drawn from ``generator``, in that order.

    Parameters
    ----------
    net : fitted :class:`ebmbook.models.Hopfield` or :class:`ebmbook.models.DenseAssociativeMemory`
    pattern : Tensor ``(N,)`` of ±1, the uncorrupted target (usually a stored pattern)
    flip_fraction : float in [0, 1]
    mode : {'async', 'sync'}
    max_sweeps : int, at least 1
    generator : torch.Generator, optional
        On the network's device (every draw happens there, whatever device
        ``pattern`` is on; a generator on another device is a ``ValueError``).
        Same seed and device, same path.

    Returns
    -------
    RecallPath

    Examples
    --------
    >>> from ebmbook.data import random_patterns
    >>> from ebmbook.models import Hopfield
    >>> g = torch.Generator().manual_seed(0)
    >>> xi = random_patterns(3, 100, generator=g)
    >>> path = corrupt_and_recall(Hopfield().fit(xi), xi[0], flip_fraction=0.2, generator=g)
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
    max_sweeps = check_int(max_sweeps, "max_sweeps", minimum=1)
    if mode not in ("async", "sync"):
        raise ValueError(f"mode must be 'async' or 'sync', got {mode!r}")
    device = net.patterns_.device
    check_generator(generator, device=device)
    target = pattern.to(device=device, dtype=net.patterns_.dtype)
    probe = flip_spins(target.unsqueeze(0), flip_fraction, generator=generator)
    result = net.recall(probe, mode, max_sweeps, generator=generator, record_states=True)
    states = result.trajectory[:, 0]                       # (n_sweeps + 1, N): the probe, then every sweep
    energies = result.energies[:, 0].detach().to(device="cpu", dtype=torch.float64)
    overlaps = overlap(states.double(), target.double().unsqueeze(0))[:, 0].cpu()
    return RecallPath(probe[0].cpu(), states.cpu(), energies, overlaps, bool(result.converged[0]),
                      bool(result.cycled[0]))


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


def recall_small_multiples(net: Hopfield | DenseAssociativeMemory, patterns: torch.Tensor,
                           image_shape: Sequence[int], flip_fractions: Sequence[float], seed: int = 0, *,
                           mode: str = "async", max_sweeps: int = 20, cmap: str = "gray") -> Figure:
    """A grid of recalls: one row per pattern, one column per corruption level.

    The static twin of :func:`recall_explorer`. Each panel shows the corrupted
    probe (left) and the state the network recalls from it (right), made by
    :func:`corrupt_and_recall` with a fresh generator on the network's device
    seeded with ``seed`` (the same for every panel), and is titled
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
    seed : int, non-negative; a panel is reproduced by :func:`corrupt_and_recall` with
        ``generator=make_generator(seed, device)`` (:func:`ebmbook.utils.make_generator`)
    mode : {'async', 'sync'}
    max_sweeps : int
    cmap : str, matplotlib colour map of the images (-1 at its low end, +1 at its high end)

    Returns
    -------
    Figure with ``P * len(flip_fractions)`` axes, row by row

    Examples
    --------
    >>> from ebmbook.data import random_patterns
    >>> from ebmbook.models import Hopfield
    >>> xi = random_patterns(2, 64, generator=torch.Generator().manual_seed(0))
    >>> fig = recall_small_multiples(Hopfield().fit(xi), xi, (8, 8), [0.1, 0.3])
    >>> len(fig.axes)
    4

    Used in chapter 3.
    """
    patterns, shape = _recall_inputs(net, patterns, image_shape)
    seed = check_int(seed, "seed", minimum=0)
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
            path = corrupt_and_recall(net, patterns[i], f, mode=mode, max_sweeps=max_sweeps,
                                      generator=make_generator(seed, net.patterns_.device))
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


def recall_explorer(net: Hopfield | DenseAssociativeMemory, patterns: torch.Tensor,
                    image_shape: Sequence[int], *, labels: Sequence[str] | None = None,
                    max_sweeps: int = 20, cmap: str = "gray") -> ipywidgets.Widget:
    """Pick a pattern, corrupt it, and watch a Hopfield network recall it.

    Each change reruns :func:`corrupt_and_recall` with a fresh generator on
    the network's device seeded with the seed box's value (so a seed shows the
    same probe as :func:`recall_small_multiples` with that seed), and redraws
    the probe, the recalled state and the target side by side, next to the energy (and the
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
    >>> from ebmbook.data import random_patterns
    >>> from ebmbook.models import Hopfield
    >>> xi = random_patterns(3, 64)
    >>> recall_explorer(Hopfield().fit(xi), xi, (8, 8))   # doctest: +SKIP

    Used in chapter 3.
    """
    patterns, shape = _recall_inputs(net, patterns, image_shape)
    max_sweeps = check_int(max_sweeps, "max_sweeps", minimum=1)
    if labels is None:
        labels = [f"pattern {i}" for i in range(patterns.shape[0])]
    labels = [str(label) for label in labels]
    if len(labels) != patterns.shape[0]:
        raise ValueError(f"labels must have {patterns.shape[0]} entries, one per pattern, got {len(labels)}")

    pattern_w = ipywidgets.Dropdown(options=[(label, i) for i, label in enumerate(labels)], value=0,
                                 description="pattern")
    flip_w = ipywidgets.FloatSlider(value=0.1, min=0.0, max=0.5, step=0.02, description="flipped",
                                 continuous_update=False, readout_format=".0%")
    mode_w = ipywidgets.ToggleButtons(options=["async", "sync"], value="async", description="updates")
    seed_w = ipywidgets.BoundedIntText(value=0, min=0, max=10**6, description="seed")
    status = ipywidgets.HTML()
    image = ipywidgets.Image(format="png")

    def redraw(_change=None) -> None:
        target = patterns[pattern_w.value]
        path = corrupt_and_recall(net, target, flip_w.value, mode=mode_w.value, max_sweeps=max_sweeps,
                                  generator=make_generator(seed_w.value, net.patterns_.device))
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
    return ipywidgets.VBox([ipywidgets.HBox([pattern_w, flip_w]), ipywidgets.HBox([mode_w, seed_w]), status, image])
