"""Tests of ebmbook.metrics.mcmc: ESS, R-hat and acceptance summaries.

Three kinds of check:

* agreement to round-off with an independent, deliberately plain reference
  implementation (below): a line-by-line NumPy port of ArviZ's loops for
  Vehtari et al. (2021), with autocovariances from direct sums instead of the
  FFT and ranks from ``scipy.stats.rankdata``;
* statistical checks against analytic truth: the ESS of stationary AR(1)
  chains, ``N (1 - rho) / (1 + rho)``, and R-hat of independent chains, with
  thresholds set from a false-failure probability of 1e-4 (see each test);
* input validation.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats
from scipy.special import ndtri

from ebmbook.metrics import (
    ESS_METHODS,
    AcceptanceSummary,
    acceptance_summary,
    effective_sample_size,
    rhat,
)

Z_1E4 = stats.norm.ppf(1 - 1e-4 / 2)  # two-sided z for false-failure probability 1e-4


# ---------------------------------------------------------------------------
# plain reference implementation (one coordinate, chains first as in ArviZ)
# ---------------------------------------------------------------------------
def ref_split(ary: np.ndarray) -> np.ndarray:
    """(n_chain, n_draw) -> (2 n_chain, n_draw // 2), dropping an odd middle draw."""
    half = ary.shape[1] // 2
    return np.concatenate((ary[:, :half], ary[:, ary.shape[1] - half:]), axis=0)


def ref_z_scale(ary: np.ndarray) -> np.ndarray:
    rank = stats.rankdata(ary, method="average").reshape(ary.shape)
    return ndtri((rank - 0.375) / (ary.size + 0.25))


def ref_autocov(chain: np.ndarray) -> np.ndarray:
    n = chain.size
    c = chain - chain.mean()
    return np.array([np.dot(c[: n - t], c[t:]) / n for t in range(n)])


def ref_ess(ary: np.ndarray) -> float:
    """ArviZ's ``_ess`` on split chains of shape (n_chain, n_draw), loops and all."""
    if np.all(ary == ary.flat[0]):
        return math.nan
    n_chain, n_draw = ary.shape
    acov = np.stack([ref_autocov(c) for c in ary])
    chain_mean = ary.mean(axis=1)
    mean_var = np.mean(acov[:, 0]) * n_draw / (n_draw - 1.0)
    var_plus = mean_var * (n_draw - 1.0) / n_draw
    if n_chain > 1:
        var_plus += np.var(chain_mean, ddof=1)
    rho_hat_t = np.zeros(n_draw)
    rho_hat_even = 1.0
    rho_hat_t[0] = rho_hat_even
    rho_hat_odd = 1.0 - (mean_var - np.mean(acov[:, 1])) / var_plus
    rho_hat_t[1] = rho_hat_odd
    t = 1  # Geyer's initial positive sequence
    while t < (n_draw - 3) and (rho_hat_even + rho_hat_odd) > 0.0:
        rho_hat_even = 1.0 - (mean_var - np.mean(acov[:, t + 1])) / var_plus
        rho_hat_odd = 1.0 - (mean_var - np.mean(acov[:, t + 2])) / var_plus
        if (rho_hat_even + rho_hat_odd) >= 0:
            rho_hat_t[t + 1] = rho_hat_even
            rho_hat_t[t + 2] = rho_hat_odd
        t += 2
    max_t = t - 2
    if rho_hat_even > 0:
        rho_hat_t[max_t + 1] = rho_hat_even
    t = 1  # Geyer's initial monotone sequence
    while t <= max_t - 2:
        if (rho_hat_t[t + 1] + rho_hat_t[t + 2]) > (rho_hat_t[t - 1] + rho_hat_t[t]):
            rho_hat_t[t + 1] = (rho_hat_t[t - 1] + rho_hat_t[t]) / 2.0
            rho_hat_t[t + 2] = rho_hat_t[t + 1]
        t += 2
    ess = n_chain * n_draw
    tau_hat = -1.0 + 2.0 * np.sum(rho_hat_t[: max_t + 1]) + np.sum(rho_hat_t[max_t + 1: max_t + 2])
    tau_hat = max(tau_hat, 1 / np.log10(ess))
    return ess / tau_hat


def ref_ess_method(draws: np.ndarray, method: str) -> float:
    """draws: (n_draw, n_chain) in ebmbook's layout."""
    ary = draws.T
    if method == "basic":
        return ref_ess(ref_split(ary))
    if method == "bulk":
        return ref_ess(ref_z_scale(ref_split(ary)))
    low = ref_ess(ref_split((ary <= np.quantile(ary, 0.05)).astype(float)))
    high = ref_ess(ref_split((ary <= np.quantile(ary, 0.95)).astype(float)))
    return float(np.fmin(low, high))  # a constant indicator (NaN) is ignored


def ref_rhat_plain(ary: np.ndarray) -> float:
    n = ary.shape[1]
    between = n * np.var(ary.mean(axis=1), ddof=1)
    within = np.mean(np.var(ary, axis=1, ddof=1))
    return math.sqrt((between / within + n - 1) / n)


def ref_rhat(draws: np.ndarray) -> float:
    split = ref_split(draws.T)
    bulk = ref_rhat_plain(ref_z_scale(split))
    # np.quantile rather than np.median: the two middle draws are exactly equidistant
    # from the median, so whether they tie after folding depends on how the
    # midpoint is rounded; ebmbook follows np.quantile's linear rule.
    tail = ref_rhat_plain(ref_z_scale(np.abs(split - np.quantile(split, 0.5))))
    return max(bulk, tail)


# ---------------------------------------------------------------------------
# test data
# ---------------------------------------------------------------------------
def ar1(n_draws: int, n_chains: int, n_rep: int, rho: float, generator: torch.Generator) -> torch.Tensor:
    """Stationary unit-variance AR(1) chains, shape (n_draws, n_chains, n_rep)."""
    eps = torch.randn(n_draws, n_chains, n_rep, generator=generator, dtype=torch.float64)
    x = torch.empty_like(eps)
    x[0] = eps[0]
    scale = math.sqrt(1.0 - rho**2)
    for t in range(1, n_draws):
        x[t] = rho * x[t - 1] + scale * eps[t]
    return x


def reference_cases() -> list[np.ndarray]:
    """Varied (n_draws, n_chains) arrays: short/odd lengths, ties, anticorrelation, drift."""
    rng = np.random.default_rng(12345)
    cases = []
    for n_draws, n_chains in [(4, 1), (5, 2), (6, 3), (7, 1), (9, 4), (50, 4), (301, 3), (400, 2)]:
        cases.append(rng.standard_normal((n_draws, n_chains)))
    g = torch.Generator().manual_seed(7)
    for rho in (0.95, -0.6, 0.3):
        cases.append(ar1(400, 4, 1, rho, g)[..., 0].numpy())
    cases.append(rng.integers(0, 3, size=(80, 4)).astype(float))  # heavy ties
    cases.append(rng.standard_cauchy((200, 4)))  # heavy tails
    drift = rng.standard_normal((120, 4)) + np.linspace(0, 3, 120)[:, None]  # non-stationary
    cases.append(drift)
    shifted = rng.standard_normal((100, 4))
    shifted[:, 0] += 4.0
    cases.append(shifted)
    alternating = np.tile(np.array([1.0, -1.0]), 30)[:, None] + 0.1 * rng.standard_normal((60, 3))
    cases.append(alternating)  # strongly antithetic: exercises the cap and the half pair
    return cases


CASES = reference_cases()


# ---------------------------------------------------------------------------
# agreement with the reference implementation
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("method", ESS_METHODS)
def test_ess_matches_reference(method):
    for draws in CASES:
        got = effective_sample_size(torch.from_numpy(draws), method=method)
        want = ref_ess_method(draws, method)
        assert got.shape == ()
        assert got.dtype == torch.float64
        if math.isnan(want):
            assert math.isnan(float(got)), draws.shape
        else:
            assert float(got) == pytest.approx(want, rel=1e-9), (method, draws.shape)


def test_rhat_matches_reference():
    for draws in CASES:
        assert float(rhat(draws)) == pytest.approx(ref_rhat(draws), rel=1e-10), draws.shape


@pytest.mark.parametrize("method", ESS_METHODS)
def test_vectorised_over_event_matches_per_coordinate(method):
    g = torch.Generator().manual_seed(3)
    draws = torch.randn(60, 3, 2, 4, generator=g, dtype=torch.float64)
    draws[:, :, 1, 2] = draws[:, :, 1, 2].cumsum(0)  # one badly mixing coordinate
    ess = effective_sample_size(draws, method=method)
    rh = rhat(draws)
    assert ess.shape == (2, 4) and rh.shape == (2, 4)
    for i in range(2):
        for j in range(4):
            coord = draws[:, :, i, j].numpy()
            assert float(ess[i, j]) == pytest.approx(ref_ess_method(coord, method), rel=1e-9)
            assert float(rh[i, j]) == pytest.approx(ref_rhat(coord), rel=1e-10)


# ---------------------------------------------------------------------------
# statistical checks against analytic values
# ---------------------------------------------------------------------------
# ESS of the mean of a stationary AR(1) chain: N (1 - rho) / (1 + rho).
# Each test draws R independent replicate data sets (as R event coordinates, so
# one vectorised call) and compares the mean relative error with zero. The
# threshold is BIAS + z * SE, where SE is the replicates' standard error and
# z = 3.89 (two-sided false-failure probability 1e-4). BIAS = 3% allows for the
# finite-sample bias of the truncated autocorrelation sum, which shrinks slowly
# with n: measured on independent replicates with 8 chains of 1000 draws it is
# -1% for iid draws (the truncation keeps positive noise), +0.8% for rho = 0.5,
# +0.3% for rho = 0.9 and +1.4% for rho = -0.3. Bugs such
# as a lost factor 2 in tau, per-chain instead of total ESS, or a missing
# var+ correction move the mean by far more than 3%.
AR_BIAS = 0.03


@pytest.mark.parametrize("rho,method", [(0.0, "basic"), (0.5, "basic"), (0.9, "basic"),
                                        (-0.3, "basic"), (0.5, "bulk")])
def test_ess_matches_ar1_analytic(rho, method):
    n_draws, n_chains, n_rep = 1000, 8, 120
    g = torch.Generator().manual_seed(2024)
    draws = ar1(n_draws, n_chains, n_rep, rho, g)
    truth = n_draws * n_chains * (1 - rho) / (1 + rho)
    rel = effective_sample_size(draws, method=method) / truth - 1.0
    assert rel.shape == (n_rep,)
    se = float(rel.std()) / math.sqrt(n_rep)
    assert abs(float(rel.mean())) <= AR_BIAS + Z_1E4 * se, (float(rel.mean()), se)


def test_iid_ess_close_to_total_draws_all_methods():
    # iid draws: every ESS variant estimates N (the quantile indicators of iid
    # draws are iid too). Same threshold logic as above; the tail-ESS gets twice
    # the bias allowance because its indicator chains (p = 0.05) are very skewed
    # and its truncation bias is about twice as large (measured on independent
    # replicates with 8 chains of 1000 draws: -0.8% basic/bulk, -2.6% tail;
    # -1.8% / -4.9% with 4 chains of 500).
    g = torch.Generator().manual_seed(11)
    n_draws, n_chains, n_rep = 1000, 8, 100
    draws = torch.randn(n_draws, n_chains, n_rep, generator=g, dtype=torch.float64)
    total = n_draws * n_chains
    for method in ESS_METHODS:
        rel = effective_sample_size(draws, method=method) / total - 1.0
        se = float(rel.std()) / math.sqrt(n_rep)
        allowance = 2 * AR_BIAS if method == "tail" else AR_BIAS
        assert abs(float(rel.mean())) <= allowance + Z_1E4 * se, (method, float(rel.mean()), se)


def test_bulk_ess_robust_to_heavy_tails_and_monotone_maps():
    # Rank normalisation makes bulk-ESS invariant under strictly increasing maps.
    g = torch.Generator().manual_seed(5)
    draws = ar1(400, 4, 3, 0.6, g)
    bulk = effective_sample_size(draws)
    assert torch.allclose(effective_sample_size(torch.exp(3 * draws)), bulk, rtol=1e-12)
    assert torch.allclose(effective_sample_size(torch.tan(0.49 * math.pi * torch.tanh(draws))),
                          bulk, rtol=1e-12)


def test_rhat_close_to_one_for_independent_chains():
    # For iid draws on m split chains of length n, B/W ~ F(m-1, m(n-1)) ~ chi2_{m-1}/(m-1),
    # so R-hat^2 = (n-1)/n + (B/W)/n. Threshold: the chi2 quantile at false-failure
    # probability 1e-4 shared (union bound) by the bulk and folded R-hat of every coordinate.
    g = torch.Generator().manual_seed(8)
    n_draws, n_chains, n_coords = 2000, 4, 20
    draws = torch.randn(n_draws, n_chains, n_coords, generator=g, dtype=torch.float64)
    m, n = 2 * n_chains, n_draws // 2
    q = stats.chi2.ppf(1 - 1e-4 / (2 * n_coords), m - 1)
    bound = math.sqrt((n - 1) / n + q / (m - 1) / n)
    r = rhat(draws)
    assert r.shape == (n_coords,)
    assert float(r.max()) < bound < 1.01


def test_rhat_flags_shifted_chain_and_scale_mismatch():
    g = torch.Generator().manual_seed(9)
    draws = torch.randn(1000, 4, generator=g, dtype=torch.float64)
    shifted = draws.clone()
    shifted[:, 0] += 2.0
    assert float(rhat(shifted)) > 1.1
    # Same location, different scale: only the folded (tail) R-hat sees it.
    scaled = draws.clone()
    scaled[:, 0] *= 4.0
    assert float(rhat(scaled)) > 1.1
    # A single chain that drifts is caught by splitting it.
    drift = torch.randn(1000, 1, generator=g, dtype=torch.float64) + torch.linspace(0, 4, 1000)[:, None]
    assert float(rhat(drift)) > 1.1


def test_tail_ess_low_when_tails_mix_poorly():
    # Two of four chains never leave [-1, 1]: the bulk looks fine (bulk-ESS near
    # the 4000 draws), but the 5%/95% quantile indicators disagree between chains
    # (tail-ESS ~ 140 across seeds; the factor-5 margin is far beyond its noise).
    g = torch.Generator().manual_seed(10)
    draws = torch.randn(1000, 4, generator=g, dtype=torch.float64)
    draws[:, :2] = draws[:, :2].clamp(-1.0, 1.0)
    assert float(effective_sample_size(draws, "tail")) < 0.2 * float(effective_sample_size(draws, "bulk"))


# ---------------------------------------------------------------------------
# inputs, outputs, devices
# ---------------------------------------------------------------------------
def test_output_device_dtype_and_input_types(device):
    # `device` is the conftest fixture: every available device.
    g = torch.Generator().manual_seed(0)
    draws32 = torch.randn(100, 4, 3, generator=g).to(device)
    for method in ESS_METHODS:
        ess = effective_sample_size(draws32, method=method)
        assert ess.dtype == torch.float64 and ess.device.type == device.type and ess.shape == (3,)
        assert torch.allclose(ess.cpu(), effective_sample_size(draws32.cpu().numpy(), method=method))
    r = rhat(draws32)
    assert r.dtype == torch.float64 and r.device.type == device.type and r.shape == (3,)
    # int and bool input are accepted (e.g. indicator chains)
    assert effective_sample_size(torch.randint(0, 5, (40, 2), generator=g)).shape == ()
    assert rhat((torch.randn(40, 2, generator=g) > 0).numpy()).shape == ()


def test_requires_grad_input_is_fine():
    x = torch.randn(50, 2, dtype=torch.float64, requires_grad=True)
    assert effective_sample_size(x).requires_grad is False


def test_constant_coordinate_gives_nan():
    x = torch.randn(50, 3, 2, dtype=torch.float64)
    x[:, :, 1] = 1.5
    for method in ESS_METHODS:
        ess = effective_sample_size(x, method)
        assert torch.isfinite(ess[0]) and torch.isnan(ess[1])
    r = rhat(x)
    assert torch.isfinite(r[0]) and torch.isnan(r[1])


@pytest.mark.parametrize("fn", [effective_sample_size, rhat])
def test_bad_samples_raise(fn):
    with pytest.raises(ValueError, match="samples"):
        fn(torch.randn(10))  # 1-D
    with pytest.raises(ValueError, match="at least 4 draws"):
        fn(torch.randn(3, 4))
    bad = torch.randn(10, 2)
    bad[3, 1] = float("nan")
    with pytest.raises(ValueError, match="NaN or infinite"):
        fn(bad)
    bad[3, 1] = float("inf")
    with pytest.raises(ValueError, match="NaN or infinite"):
        fn(bad)
    with pytest.raises(ValueError, match="chain"):
        fn(torch.randn(10, 0))
    with pytest.raises(TypeError, match="samples"):
        fn([[1.0, 2.0]] * 5)
    with pytest.raises(TypeError, match="samples"):
        fn(torch.randn(10, 2, dtype=torch.complex64))


def test_bad_method_raises():
    x = torch.randn(10, 2)
    with pytest.raises(ValueError, match="method must be one of"):
        effective_sample_size(x, method="mean")
    with pytest.raises(TypeError, match="method"):
        effective_sample_size(x, method=1)


def test_acceptance_summary_values():
    acc = torch.tensor([[1.0, 0.2, 0.0], [0.5, 0.4, 0.0], [0.0, 0.6, 0.3]])
    s = acceptance_summary(acc)
    assert isinstance(s, AcceptanceSummary)
    assert s.mean == pytest.approx(3.0 / 9.0)
    assert torch.allclose(s.per_chain, torch.tensor([0.5, 0.4, 0.1], dtype=torch.float64))
    assert s.per_chain.dtype == torch.float64
    assert s.min_chain == pytest.approx(0.1) and s.max_chain == pytest.approx(0.5)
    # booleans (accept indicators) and NumPy arrays work too
    b = acceptance_summary(np.array([[True, False], [True, True]]))
    assert b.mean == pytest.approx(0.75) and b.min_chain == pytest.approx(0.5)


def test_acceptance_summary_device(device):
    s = acceptance_summary(torch.rand(20, 4, device=device))
    assert s.per_chain.device.type == device.type and s.per_chain.shape == (4,)


def test_acceptance_summary_bad_input():
    with pytest.raises(ValueError, match=r"acceptance must have shape \(n_steps, n_chains\)"):
        acceptance_summary(torch.rand(10))
    with pytest.raises(ValueError, match="at least one step"):
        acceptance_summary(torch.rand(0, 3))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        acceptance_summary(torch.tensor([[0.5, 1.5]]))
    with pytest.raises(ValueError, match="NaN"):
        acceptance_summary(torch.tensor([[0.5, float("nan")]]))
    with pytest.raises(TypeError, match="acceptance"):
        acceptance_summary([[0.5]])
