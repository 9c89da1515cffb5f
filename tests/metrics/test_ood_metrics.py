"""AUROC and FPR@TPR against scikit-learn and hand counts, ties included; the OOD scores."""
import math

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score, roc_curve

from ebmbook.metrics import (OODDetector, auroc, energy_score, fpr_at_tpr, gradient_norm_score, log_px_score,
                             max_softmax_score)


@pytest.mark.parametrize("seed, ties", [(0, False), (1, True), (2, True), (3, False)])
def test_auroc_equals_sklearn(seed, ties):
    rng = np.random.default_rng(seed)
    s_in, s_out = rng.normal(0.5, 1, 200), rng.normal(0, 1, 150)
    if ties:  # coarse rounding makes many ties within and across the two sets
        s_in, s_out = np.round(s_in), np.round(s_out)
    expected = roc_auc_score(np.r_[np.ones(200), np.zeros(150)], np.r_[s_in, s_out])
    assert auroc(torch.from_numpy(s_in), s_out) == pytest.approx(expected, abs=1e-12)


def test_auroc_extremes_and_all_ties():
    assert auroc(np.array([2.0, 3.0]), np.array([0.0, 1.0])) == 1.0
    assert auroc(np.array([0.0]), np.array([1.0])) == 0.0
    assert auroc(np.ones(5), np.ones(7)) == 0.5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fpr_at_tpr_against_sklearn_roc(seed):
    rng = np.random.default_rng(seed)
    s_in, s_out = rng.normal(1, 1, 400), rng.normal(0, 1, 300)
    fpr, tpr, _ = roc_curve(np.r_[np.ones(400), np.zeros(300)], np.r_[s_in, s_out])
    # continuous scores: the first ROC point reaching TPR >= 0.95 is our operating point
    assert fpr_at_tpr(s_in, s_out, 0.95) == pytest.approx(fpr[np.argmax(tpr >= 0.95)], abs=1e-12)


def test_detector_keeps_tpr_of_in_distribution():
    s = np.arange(1000.0)
    det = OODDetector(tpr=0.95).fit(s)
    assert det.predict(s).mean() == pytest.approx(0.05)
    assert det.false_positive_rate(np.array([-1.0, 2000.0])) == 0.5


def test_scores_closed_forms():
    logits = torch.tensor([[0.0, 0.0, 0.0], [2.0, 0.0, -1.0]])
    assert torch.allclose(log_px_score(logits), torch.logsumexp(logits, 1))
    assert torch.allclose(energy_score(logits, 1.0), log_px_score(logits))
    assert torch.allclose(energy_score(logits, 1e-3), logits.max(1).values, atol=1e-2)
    assert max_softmax_score(logits)[0].item() == pytest.approx(1 / 3)
    assert energy_score(torch.zeros(1, 4), 2.0).item() == pytest.approx(2 * math.log(4))
    quad = lambda x: 0.5 * x.pow(2).sum(1)
    x = torch.randn(5, 3)
    assert torch.allclose(gradient_norm_score(quad, x), -x.norm(dim=1))
