"""Expected calibration error against a hand computation (Guo et al.'s definition)."""
import numpy as np
import pytest
import torch

from ebmbook.metrics import expected_calibration_error


def hand_ece(p, y, n_bins):
    conf, pred = p.max(1), p.argmax(1)
    total = 0.0
    for m in range(n_bins):
        lo, hi = m / n_bins, (m + 1) / n_bins
        inside = [i for i in range(len(y)) if (lo < conf[i] <= hi) or (m == 0 and conf[i] == 0)]
        if inside:
            acc = np.mean([pred[i] == y[i] for i in inside])
            total += len(inside) / len(y) * abs(acc - np.mean(conf[inside]))
    return total


@pytest.mark.parametrize("seed, n_bins", [(0, 15), (1, 1), (2, 7), (3, 50)])
def test_ece_equals_hand_computation(seed, n_bins):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(300, 5)) * rng.uniform(0.1, 4)
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    y = rng.integers(0, 5, 300)
    result = expected_calibration_error(torch.from_numpy(p), torch.from_numpy(y), n_bins=n_bins)
    assert result.ece == pytest.approx(hand_ece(p, y, n_bins), abs=1e-12)
    assert result.counts.sum() == 300 and len(result.accuracy) == n_bins


def test_perfect_and_worst_cases():
    p = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert expected_calibration_error(p, np.array([0, 1])).ece == 0.0
    assert expected_calibration_error(p, np.array([1, 0])).ece == pytest.approx(1.0)


def test_bin_edges_are_right_closed():
    # confidence exactly 0.6 belongs to (0.5, 0.6], not (0.6, 0.7]
    r = expected_calibration_error(np.array([[0.6, 0.4]]), np.array([0]), n_bins=10)
    assert r.counts[5] == 1 and np.isnan(r.accuracy[6])
