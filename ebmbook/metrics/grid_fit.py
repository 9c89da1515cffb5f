r"""Chi-square tests of 2-D samples against a density normalised by grid quadrature.

For a 2-D energy the exact density comes from :func:`ebmbook.exact.grid_quadrature`;
these tests ask whether independent draws (e.g. the final states of many
independent chains) follow it: one Pearson chi-square test on a 2-D histogram,
and one on the histogram of each 1-D projection :math:`u = v^\top x`, combined
by Bonferroni so that a correct sampler fails with probability at most
:math:`\alpha` whatever the number of tests.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import torch

from ..utils import check_finite, check_int, check_positive, check_tensor
from .goodness_of_fit import TestResult, discrete_chi_square

__all__ = ["GridFit", "grid_chi_square"]

DEFAULT_DIRECTIONS = ((1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, -1.0))


class GridFit(NamedTuple):
    """Outcome of :func:`grid_chi_square`.

    Attributes
    ----------
    p_value : float, Bonferroni-adjusted, :math:`\\min(1, m \\min_i p_i)` over the :math:`m` tests:
        the sample passes at level :math:`\\alpha` when ``p_value >= alpha``
    results : tuple of TestResult, the 2-D histogram test first, then one per direction
    names : tuple of str, what each test looked at (``"2-D"``, ``"u = (1, 0) . x"``, ...)
    """

    p_value: float
    results: tuple[TestResult, ...]
    names: tuple[str, ...]


def _bin_index(values: torch.Tensor, low: float, high: float, n_bins: int) -> torch.Tensor:
    """Bin ``0..n_bins-1`` of each value in ``[low, high)``, ``n_bins`` for anything outside."""
    idx = torch.floor((values - low) / (high - low) * n_bins).long()
    return torch.where((values >= low) & (values < high), idx.clamp(0, n_bins - 1), torch.full_like(idx, n_bins))


def _binned_test(sample_idx: torch.Tensor, cell_idx: torch.Tensor, cell_probs: torch.Tensor, n_cells: int,
                 min_expected: float) -> TestResult:
    probs = torch.zeros(n_cells + 1, dtype=torch.float64).index_add_(0, cell_idx, cell_probs)
    probs = probs.clamp_min(0) / probs.sum()
    return discrete_chi_square(sample_idx, probs, min_expected=min_expected)


def grid_chi_square(samples: torch.Tensor, grid, *, directions: Sequence[Sequence[float]] | None = None,
                    n_bins: int = 16, min_expected: float = 5.0) -> GridFit:
    r"""Test independent 2-D draws against a quadrature density (2-D histogram plus 1-D projections).

    The grid's cell probabilities :math:`p_{ij}\,\Delta x\,\Delta y` are summed into
    coarse bins, ``n_bins`` per axis for the 2-D test and ``n_bins`` along each
    projection :math:`u = v^\top x / \lVert v\rVert` (each cell counted at its
    centre); a draw outside the grid's box falls in one more bin of probability
    zero. Bins with small expected counts are pooled (:func:`ebmbook.metrics.discrete_chi_square`).
    With :math:`m` tests the combined p-value is :math:`\min(1, m \min_i p_i)`, so
    a sampler that targets the density fails at level :math:`\alpha` with
    probability at most :math:`\alpha`. The box must hold essentially all the
    mass, and the grid should be fine compared with the bins.

    Parameters
    ----------
    samples : Tensor ``(N, 2)``, independent draws (one per chain, not a correlated chain)
    grid : GridDensity, from :func:`ebmbook.exact.grid_quadrature`
    directions : sequence of 2-vectors, optional, the projections (default x, y, x + y, x - y)
    n_bins : int, bins per axis and per projection
    min_expected : float, pool bins whose expected count is below this

    Returns
    -------
    GridFit

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> from ebmbook.exact import grid_quadrature
    >>> g = Gaussian(torch.zeros(2), torch.eye(2))
    >>> fit = grid_chi_square(g.sample(4000, generator=torch.Generator().manual_seed(0)),
    ...                       grid_quadrature(g, (-5, 5), (-5, 5), 200))
    >>> fit.p_value > 1e-4
    True

    Used in chapter 9.
    """
    check_tensor(samples, "samples", ndim=2, last_dim=2, floating=True)
    if samples.shape[0] == 0:
        raise ValueError("samples must hold at least one draw, got shape (0, 2)")
    check_finite(samples, "samples")
    for field in ("xs", "ys", "log_density", "cell_area"):
        if not hasattr(grid, field):
            raise TypeError(f"grid must be a GridDensity from ebmbook.exact.grid_quadrature, got "
                            f"{type(grid).__name__}")
    n_bins = check_int(n_bins, "n_bins", minimum=2)
    min_expected = check_positive(min_expected, "min_expected")
    if directions is None:
        directions = DEFAULT_DIRECTIONS
    if isinstance(directions, (str, bytes)) or not isinstance(directions, (Sequence, torch.Tensor)):
        raise TypeError(f"directions must be a sequence of 2-vectors, got {type(directions).__name__}")
    dirs = torch.as_tensor([[float(a) for a in v] for v in directions], dtype=torch.float64) \
        if not isinstance(directions, torch.Tensor) else directions.detach().double().cpu()
    if dirs.ndim != 2 or dirs.shape[1] != 2 or not bool(torch.isfinite(dirs).all()):
        raise ValueError(f"directions must be finite 2-vectors, shape (m, 2), got {tuple(dirs.shape)}")
    norms = dirs.norm(dim=1, keepdim=True)
    if bool((norms == 0).any()):
        raise ValueError("directions must be non-zero vectors")
    dirs = dirs / norms

    x = samples.detach().double().cpu()
    xs, ys = grid.xs.detach().double().cpu(), grid.ys.detach().double().cpu()
    hx, hy = float(xs[1] - xs[0]), float(ys[1] - ys[0])
    (x0, x1), (y0, y1) = (float(xs[0]) - hx / 2, float(xs[-1]) + hx / 2), (float(ys[0]) - hy / 2,
                                                                             float(ys[-1]) + hy / 2)
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    points = torch.stack([xx.flatten(), yy.flatten()], -1)
    cell_probs = grid.log_density.detach().double().cpu().exp().flatten() * grid.cell_area

    def joint(p):
        bx, by = _bin_index(p[:, 0], x0, x1, n_bins), _bin_index(p[:, 1], y0, y1, n_bins)
        return torch.where((bx < n_bins) & (by < n_bins), by * n_bins + bx, torch.full_like(bx, n_bins * n_bins))

    results = [_binned_test(joint(x), joint(points), cell_probs, n_bins * n_bins, min_expected)]
    names = ["2-D"]
    for v in dirs:
        u_cells, u_samples = points @ v, x @ v
        half = 0.5 * (abs(float(v[0])) * hx + abs(float(v[1])) * hy)     # the box's extent along v
        low, high = float(u_cells.min()) - half, float(u_cells.max()) + half
        results.append(_binned_test(_bin_index(u_samples, low, high, n_bins),
                                    _bin_index(u_cells, low, high, n_bins), cell_probs, n_bins, min_expected))
        names.append(f"u = ({float(v[0]):.2f}, {float(v[1]):.2f}) . x")
    p_min = min(r.p_value for r in results)
    return GridFit(min(1.0, len(results) * p_min), tuple(results), tuple(names))

