"""Tests of ebmbook.data.toy2d: shapes, seeding, devices, exact densities, validation.

Statistical checks reject a correct implementation with probability at most
1e-4 each (binomial and chi-square quantiles, Bonferroni-split where a test
makes several comparisons); the seeds are fixed, not hunted.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from ebmbook.data import (
    TOY_DATASETS,
    checkerboard,
    checkerboard_log_density,
    eight_gaussians,
    eight_gaussians_log_density,
    rings,
    rings_log_density,
    swiss_roll,
    toy_dataset,
    two_moons,
)

ALPHA = 1e-4
FUNCTIONS = {
    "eight_gaussians": eight_gaussians,
    "two_moons": two_moons,
    "swiss_roll": swiss_roll,
    "checkerboard": checkerboard,
    "rings": rings,
}


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def chi_square_gof(counts: np.ndarray, probs: np.ndarray, alpha: float = ALPHA) -> tuple[float, float]:
    """Pearson statistic and its 1 - alpha critical value, pooling cells with expected count < 5."""
    n = counts.sum()
    expected = n * probs
    small = expected < 5
    counts = np.append(counts[~small], counts[small].sum())
    expected = np.append(expected[~small], expected[small].sum())
    keep = expected > 0
    statistic = float(((counts[keep] - expected[keep]) ** 2 / expected[keep]).sum())
    return statistic, float(stats.chi2.ppf(1 - alpha, keep.sum() - 1))


def grid(half_width: float, cells: int) -> tuple[torch.Tensor, float]:
    """Cell midpoints of a cells x cells grid on [-half_width, half_width]^2 (float64) and the cell area."""
    h = 2 * half_width / cells
    ticks = -half_width + h * (torch.arange(cells, dtype=torch.float64) + 0.5)
    xx, yy = torch.meshgrid(ticks, ticks, indexing="ij")
    return torch.stack((xx.reshape(-1), yy.reshape(-1)), dim=1), h * h


# ---------------------------------------------------------------------------
# shapes, dtypes, devices, seeding
# ---------------------------------------------------------------------------
def test_registry_names():
    assert TOY_DATASETS == tuple(FUNCTIONS)


@pytest.mark.parametrize("name", TOY_DATASETS)
def test_shape_dtype_and_finiteness(name):
    x = toy_dataset(name, 257, generator=seeded())
    assert x.shape == (257, 2) and x.dtype == torch.float32 and x.device.type == "cpu"
    assert bool(torch.isfinite(x).all())
    x64 = toy_dataset(name, 257, generator=seeded(), dtype=torch.float64)
    assert x64.dtype == torch.float64
    # Drawn in float64 and then cast: the dtype does not change the numbers.
    assert torch.equal(x64.to(torch.float32), x)
    assert toy_dataset(name, 1, generator=seeded()).shape == (1, 2)


@pytest.mark.parametrize("name", TOY_DATASETS)
def test_same_seed_same_data_different_seed_different_data(name):
    fn = FUNCTIONS[name]
    a = fn(500, generator=seeded(123))
    b = fn(500, generator=seeded(123))
    c = fn(500, generator=seeded(124))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    # the dispatcher gives exactly the function's output
    assert torch.equal(toy_dataset(name, 500, generator=seeded(123)), a)
    # without a generator, the global RNG is used (reproducible via torch.manual_seed)
    torch.manual_seed(5)
    d = fn(100)
    torch.manual_seed(5)
    assert torch.equal(fn(100), d)


@pytest.mark.parametrize("name", TOY_DATASETS)
def test_devices(name, device, make_generator):
    # A CPU generator gives the same numbers on every output device.
    on_device = toy_dataset(name, 300, generator=seeded(3), device=device)
    assert on_device.device.type == device.type
    assert torch.equal(on_device.cpu(), toy_dataset(name, 300, generator=seeded(3)))
    # A generator on the device draws there; the output follows it by default.
    g = make_generator(device, 3)
    x = toy_dataset(name, 300, generator=g)
    assert x.device.type == device.type
    assert torch.equal(x, toy_dataset(name, 300, generator=make_generator(device, 3)))


@pytest.mark.parametrize(
    "log_density,sampler",
    [(eight_gaussians_log_density, eight_gaussians),
     (checkerboard_log_density, checkerboard),
     (rings_log_density, rings)],
)
def test_log_density_follows_input_dtype_and_device(log_density, sampler, device):
    for dtype in (torch.float32, torch.float64):
        x = sampler(50, generator=seeded(), device=device, dtype=dtype)
        lp = log_density(x)
        assert lp.shape == (50,) and lp.dtype == dtype and lp.device.type == device.type
        assert bool(torch.isfinite(lp).all())  # every sample lies in the support


# ---------------------------------------------------------------------------
# eight Gaussians
# ---------------------------------------------------------------------------
def test_eight_gaussians_mode_shares():
    # Each point goes to the nearest centre (a 45-degree wedge). The mixture is
    # invariant under rotation by 45 degrees, so each wedge has probability
    # exactly 1/8 and each count is Binomial(n, 1/8). Acceptance interval: the
    # binomial quantiles at ALPHA / 8 per count (two-sided, union bound).
    n = 40_000
    x = eight_gaussians(n, generator=seeded(2024), dtype=torch.float64)
    wedge = torch.remainder(torch.round(torch.atan2(x[:, 1], x[:, 0]) / (math.pi / 4)), 8).long()
    counts = torch.bincount(wedge, minlength=8).numpy()
    alpha = ALPHA / 8
    lo = stats.binom.ppf(alpha / 2, n, 1 / 8)
    hi = stats.binom.isf(alpha / 2, n, 1 / 8)
    assert counts.sum() == n
    assert np.all((counts >= lo) & (counts <= hi)), (counts, lo, hi)


def test_eight_gaussians_samples_match_exact_bin_probabilities():
    # Bin probabilities of an isotropic Gaussian mixture over rectangles are
    # exact products of normal CDF differences.
    radius, std, n = 2.0, 0.5, 30_000
    x = eight_gaussians(n, radius=radius, std=std, generator=seeded(7), dtype=torch.float64).numpy()
    edges = np.linspace(-4.0, 4.0, 17)
    angles = np.arange(8) * np.pi / 4
    centres = radius * np.stack((np.cos(angles), np.sin(angles)), axis=1)
    px = np.diff(stats.norm.cdf((edges[None, :] - centres[:, :1]) / std), axis=1)  # (8, 16)
    py = np.diff(stats.norm.cdf((edges[None, :] - centres[:, 1:]) / std), axis=1)
    probs = np.einsum("ki,kj->ij", px, py).ravel() / 8
    inside, _, _ = np.histogram2d(x[:, 0], x[:, 1], bins=[edges, edges])
    counts = np.append(inside.ravel(), n - inside.sum())
    probs = np.append(probs, 1 - probs.sum())
    statistic, critical = chi_square_gof(counts, probs)
    assert statistic < critical


def test_eight_gaussians_log_density_against_scipy():
    x = torch.randn(200, 2, generator=seeded(1), dtype=torch.float64) * 3
    radius, std = 2.5, 0.4
    angles = np.arange(8) * np.pi / 4
    pdf = sum(stats.multivariate_normal(radius * np.array([np.cos(a), np.sin(a)]), std**2).pdf(x.numpy())
              for a in angles) / 8
    got = eight_gaussians_log_density(x, radius=radius, std=std)
    np.testing.assert_allclose(got.numpy(), np.log(pdf), rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------------------
# log densities integrate to one
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "log_density,kwargs,half_width,cells,tol",
    [
        # Smooth, rapidly decaying integrands: the midpoint rule is accurate to
        # round-off here (measured error < 1e-15), and the mass outside the box is < 1e-15.
        (eight_gaussians_log_density, {}, 6.5, 650, 1e-9),
        (eight_gaussians_log_density, {"radius": 1.0, "std": 1.0}, 9.0, 360, 1e-9),
        # Grid aligned with the squares: every cell is wholly dark or light, exact.
        (checkerboard_log_density, {}, 5.0, 100, 1e-12),
        (rings_log_density, {}, 4.5, 600, 1e-8),
        # Wide noise puts mass near the origin, where the density has an integrable
        # 1/rho singularity: the midpoint rule converges only like h (measured error
        # 1.9e-4 at h = 0.01, halving with h). Dropping the folded term N(-rho; r, s)
        # would lose ~0.8% of the mass here.
        (rings_log_density, {"n_rings": 2, "max_radius": 2.0, "noise": 0.5}, 5.0, 1000, 1e-3),
    ],
)
def test_log_density_integrates_to_one(log_density, kwargs, half_width, cells, tol):
    points, area = grid(half_width, cells)
    mass = float(torch.exp(log_density(points, **kwargs)).sum() * area)
    assert mass == pytest.approx(1.0, abs=tol)


# ---------------------------------------------------------------------------
# checkerboard
# ---------------------------------------------------------------------------
def test_checkerboard_uniform_on_dark_squares():
    n = 32_000
    x = checkerboard(n, generator=seeded(11), dtype=torch.float64)
    assert bool(((x >= -4) & (x < 4)).all())
    assert bool(torch.isfinite(checkerboard_log_density(x)).all())  # no point on a light square
    # 8 x 8 cells of side 1: the 32 cells in dark squares each have probability 1/32.
    cell = torch.floor(x + 4).long()
    counts = torch.bincount(cell[:, 0] * 8 + cell[:, 1], minlength=64).numpy()
    dark = ((np.arange(64) // 8) // 2 + (np.arange(64) % 8) // 2) % 2 == 0
    assert counts[~dark].sum() == 0
    statistic, critical = chi_square_gof(counts[dark], np.full(32, 1 / 32))
    assert statistic < critical


def test_checkerboard_log_density_values():
    x = torch.tensor([[-3.0, -3.0], [-1.0, -3.0], [-2.0, -2.0], [3.9, 3.9], [4.0, 0.0], [-4.0, -4.0]])
    lp = checkerboard_log_density(x)
    assert lp[0] == pytest.approx(-math.log(32))
    assert lp[1] == -math.inf  # light square
    assert lp[2] == pytest.approx(-math.log(32))  # [-2, 0)^2 is dark
    assert lp[3] == pytest.approx(-math.log(32))
    assert lp[4] == -math.inf  # the board is half open
    assert lp[5] == pytest.approx(-math.log(32))


def test_checkerboard_low_precision_stays_on_board():
    for dtype in (torch.float16, torch.bfloat16):
        x = checkerboard(5_000, generator=seeded(0), dtype=dtype)
        assert bool(torch.isfinite(checkerboard_log_density(x.double())).all())


# ---------------------------------------------------------------------------
# rings
# ---------------------------------------------------------------------------
def test_rings_radius_law_and_ring_weights():
    # Radial CDF of a folded Gaussian mixture, from the same model as rings_log_density:
    # P(rho <= b) = sum_j w_j [Phi((b - r_j)/s) - Phi((-b - r_j)/s)].
    n, n_rings, max_radius, noise = 30_000, 3, 3.0, 0.4
    x = rings(n, n_rings=n_rings, max_radius=max_radius, noise=noise, generator=seeded(5), dtype=torch.float64)
    rho = torch.linalg.vector_norm(x, dim=1).numpy()
    radii = max_radius * np.arange(1, n_rings + 1) / n_rings
    w = radii / radii.sum()
    edges = np.append(np.linspace(0, 4.5, 31), np.inf)
    cdf = (w[None, :] * (stats.norm.cdf((edges[:, None] - radii) / noise)
                         - stats.norm.cdf((-edges[:, None] - radii) / noise))).sum(1)
    counts, _ = np.histogram(rho, bins=edges)
    statistic, critical = chi_square_gof(counts, np.diff(cdf), alpha=ALPHA / 2)
    assert statistic < critical
    # angle uniform on (-pi, pi]: 16 equal sectors
    angle = np.arctan2(x[:, 1].numpy(), x[:, 0].numpy())
    sectors, _ = np.histogram(angle, bins=np.linspace(-np.pi, np.pi, 17))
    statistic, critical = chi_square_gof(sectors, np.full(16, 1 / 16), alpha=ALPHA / 2)
    assert statistic < critical


def test_rings_samples_match_log_density_on_bins():
    # 2-D check of sampler against density: bin probabilities by quadrature.
    n = 30_000
    x = rings(n, generator=seeded(17), dtype=torch.float64).numpy()
    cells, sub = 12, 40
    half_width = 4.2
    points, area = grid(half_width, cells * sub)
    density = torch.exp(rings_log_density(points)).reshape(cells, sub, cells, sub)
    probs = (density.sum(dim=(1, 3)) * area).numpy().ravel()
    edges = np.linspace(-half_width, half_width, cells + 1)
    inside, _, _ = np.histogram2d(x[:, 0], x[:, 1], bins=[edges, edges])
    counts = np.append(inside.ravel(), n - inside.sum())
    probs = np.append(probs, max(1 - probs.sum(), 0.0))
    statistic, critical = chi_square_gof(counts, probs / probs.sum())
    assert statistic < critical


def test_rings_noise_free_on_circles():
    x = rings(5000, n_rings=4, max_radius=4.0, noise=0.0, generator=seeded(2), dtype=torch.float64)
    rho = torch.linalg.vector_norm(x, dim=1)
    ring = torch.round(rho).long()
    assert torch.allclose(rho, ring.double(), atol=1e-12)
    # ring j chosen with probability j / 10: multinomial chi-square
    counts = torch.bincount(ring - 1, minlength=4).numpy()
    statistic, critical = chi_square_gof(counts, np.arange(1, 5) / 10)
    assert statistic < critical


def test_rings_log_density_infinite_only_at_origin():
    lp = rings_log_density(torch.tensor([[0.0, 0.0], [1e-3, 0.0]], dtype=torch.float64), noise=0.5)
    assert lp[0] == math.inf and math.isfinite(float(lp[1]))


# ---------------------------------------------------------------------------
# moons and swiss roll: geometry without noise, spread with noise
# ---------------------------------------------------------------------------
def test_two_moons_noise_free_geometry_and_balance():
    n = 20_000
    x = two_moons(n, noise=0.0, generator=seeded(4), dtype=torch.float64)
    u = x / 2 + torch.tensor([0.5, 0.25], dtype=torch.float64)
    upper = torch.isclose(u.norm(dim=1), torch.tensor(1.0, dtype=torch.float64)) & (u[:, 1] >= 0)
    lower_centre = torch.tensor([1.0, 0.5], dtype=torch.float64)
    lower = torch.isclose((u - lower_centre).norm(dim=1), torch.tensor(1.0, dtype=torch.float64)) \
        & (u[:, 1] <= 0.5)
    assert bool((upper | lower).all())
    k = int(upper.sum())
    assert stats.binom.ppf(ALPHA / 2, n, 0.5) <= k <= stats.binom.isf(ALPHA / 2, n, 0.5)


def test_swiss_roll_noise_free_geometry():
    x = swiss_roll(2000, noise=0.0, generator=seeded(6), dtype=torch.float64) * 5
    t = x.norm(dim=1)
    assert bool(((t >= 1.5 * math.pi - 1e-9) & (t <= 4.5 * math.pi + 1e-9)).all())
    assert torch.allclose(x, torch.stack((t * torch.cos(t), t * torch.sin(t)), dim=1), atol=1e-9)


@pytest.mark.parametrize("fn,scale", [(two_moons, 2.0), (swiss_roll, 0.2)])
def test_noise_scale(fn, scale):
    # Noise enters additively: the difference to the noise-free draw (same seed,
    # same uniforms) is Gaussian with std noise * scale in each coordinate.
    n = 4000
    clean = fn(n, noise=0.0, generator=seeded(9), dtype=torch.float64)
    noisy = fn(n, noise=0.3, generator=seeded(9), dtype=torch.float64)
    resid = ((noisy - clean) / (0.3 * scale)).reshape(-1).numpy()
    assert stats.kstest(resid, "norm").pvalue > ALPHA


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", TOY_DATASETS)
def test_bad_common_arguments(name):
    fn = FUNCTIONS[name]
    for bad in (0, -3):
        with pytest.raises(ValueError, match="n must be >= 1"):
            fn(bad)
    for bad in (2.5, True, "10", None):
        with pytest.raises(TypeError, match="n must be an integer"):
            fn(bad)
    with pytest.raises(TypeError, match="generator"):
        fn(10, generator=0)
    with pytest.raises(TypeError, match="dtype"):
        fn(10, dtype=torch.int64)
    with pytest.raises(TypeError, match="device"):
        fn(10, device=3.5)
    assert fn(np.int64(3)).shape == (3, 2)


def test_bad_shape_parameters():
    with pytest.raises(ValueError, match="radius"):
        eight_gaussians(10, radius=0.0)
    with pytest.raises(ValueError, match="std"):
        eight_gaussians(10, std=-1.0)
    with pytest.raises(ValueError, match="noise"):
        two_moons(10, noise=-0.1)
    with pytest.raises(ValueError, match="noise"):
        swiss_roll(10, noise=float("nan"))
    with pytest.raises(ValueError, match="n_rings"):
        rings(10, n_rings=0)
    with pytest.raises(TypeError, match="n_rings"):
        rings(10, n_rings=2.0)
    with pytest.raises(ValueError, match="max_radius"):
        rings(10, max_radius=-1.0)
    with pytest.raises(ValueError, match="noise"):
        rings_log_density(torch.zeros(3, 2), noise=0.0)  # density needs noise > 0


@pytest.mark.parametrize("log_density", [eight_gaussians_log_density, checkerboard_log_density,
                                         rings_log_density])
def test_log_density_bad_input(log_density):
    with pytest.raises(ValueError, match=r"x must have last dimension 2"):
        log_density(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="x must have 2 dimensions"):
        log_density(torch.zeros(2))
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        log_density(np.zeros((4, 2)))
    with pytest.raises(TypeError, match="floating"):
        log_density(torch.zeros(4, 2, dtype=torch.int64))
    with pytest.raises(ValueError, match="NaN"):
        log_density(torch.tensor([[0.0, float("nan")]]))


def test_toy_dataset_errors_name_the_problem():
    with pytest.raises(ValueError, match="name must be one of .*eight_gaussians.*rings"):
        toy_dataset("moons", 10)
    with pytest.raises(TypeError, match="name must be a string"):
        toy_dataset(3, 10)
    with pytest.raises(ValueError, match=r"unknown keys \['radius'\].*valid keys are \['noise'\]"):
        toy_dataset("two_moons", 10, params={"radius": 1.0})
    with pytest.raises(TypeError, match="params must be a mapping"):
        toy_dataset("two_moons", 10, params=[("noise", 0.1)])
    with pytest.raises(ValueError, match="n must be >= 1"):
        toy_dataset("rings", 0)


def test_toy_dataset_params_are_passed():
    a = toy_dataset("rings", 100, params={"n_rings": 2, "noise": 0.0}, generator=seeded(1))
    b = rings(100, n_rings=2, noise=0.0, generator=seeded(1))
    assert torch.equal(a, b)
    assert toy_dataset("checkerboard", 5, params={}, generator=seeded()).shape == (5, 2)
