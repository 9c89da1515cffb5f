"""Bad input to joint energy models, calibration, OOD scores and OOD sets (chapter 8)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from ebmbook import data as D  # noqa: E402
from ebmbook import metrics as M  # noqa: E402
from ebmbook import plot as P  # noqa: E402
from ebmbook.losses import JEMObjective  # noqa: E402
from ebmbook.models import JEM, ClassConditionalEnergy, MLPClassifier  # noqa: E402

from .harness import R, T, TV, V  # noqa: E402

X = torch.rand(6, 64, generator=torch.Generator().manual_seed(0))
Y = torch.tensor([0, 1, 2, 3, 4, 5])
PROBS = torch.softmax(torch.randn(6, 10, generator=torch.Generator().manual_seed(1)), 1)
NAN = X.clone().index_put_((torch.tensor([1]), torch.tensor([0])), torch.tensor(float("nan")))
S = torch.randn(20, generator=torch.Generator().manual_seed(2))


def jem(k=10):
    torch.manual_seed(0)
    return JEM(MLPClassifier(64, k, hidden=(8,)), k)


def wrong_logits():   # a classifier that returns (batch, 5) where 10 classes are declared
    return JEM(nn.Sequential(nn.Linear(64, 5)), 10)


def objective(**kw):
    return JEMObjective((64,), 10, n_steps=1, buffer=50, **kw)


ece, auroc, fpr = M.expected_calibration_error, M.auroc, M.fpr_at_tpr

CASES = [
    # models
    V("models.MLPClassifier", "n-classes-one", lambda: MLPClassifier(64, 1), "n_classes"),
    T("models.MLPClassifier", "hidden-int", lambda: MLPClassifier(64, 10, hidden=8), "hidden"),
    V("models.MLPClassifier", "x-wrong-width", lambda: MLPClassifier(64, 10)(torch.rand(2, 63)), "x"),
    T("models.MLPClassifier", "x-int", lambda: MLPClassifier(64, 10)(torch.zeros(2, 64, dtype=torch.long)), "x"),
    T("models.JEM", "classifier-not-module", lambda: JEM(lambda x: x, 10), "classifier"),
    V("models.JEM", "n-classes-one", lambda: JEM(MLPClassifier(64, 2), 1), "n_classes"),
    V("models.JEM", "event-shape-unknown", lambda: JEM(nn.Sequential(nn.SiLU()), 10), "event_shape"),
    V("models.JEM", "logits-wrong-shape", lambda: wrong_logits()(X), "classifier"),
    V("models.JEM", "x-wrong-shape", lambda: jem()(torch.rand(3, 8)), "x"),
    T("models.JEM", "x-int", lambda: jem().class_probs(torch.zeros(3, 64, dtype=torch.long)), "x"),
    V("models.JEM", "energy-y-out-of-range", lambda: jem().energy(X, Y + 5), "y"),
    V("models.JEM", "energy-y-negative", lambda: jem().energy(X, Y - 1), "y"),
    T("models.JEM", "energy-y-float", lambda: jem().energy(X, Y.float()), "y"),
    V("models.JEM", "energy-y-wrong-length", lambda: jem().energy(X, Y[:3]), "y"),
    V("models.JEM", "conditional-y-too-large", lambda: jem().conditional(10), "y"),
    T("models.JEM", "conditional-y-float", lambda: jem().conditional(1.5), "y"),
    T("models.ClassConditionalEnergy", "jem-not-jem", lambda: ClassConditionalEnergy(nn.Linear(2, 2), 0), "jem"),
    V("models.ClassConditionalEnergy", "y-negative", lambda: ClassConditionalEnergy(jem(), -1), "y"),
    V("models.ClassConditionalEnergy", "y-empty", lambda: ClassConditionalEnergy(jem(), torch.zeros(0).long()), "y"),
    V("models.ClassConditionalEnergy", "x-rows-vs-labels", lambda: jem().conditional(Y)(X[:2]), "x"),
    # the objective
    V("losses.JEMObjective", "n-classes-one", lambda: JEMObjective((64,), 1), "n_classes"),
    V("losses.JEMObjective", "generative-weight-negative", lambda: objective(generative_weight=-1.0),
      "generative_weight"),
    V("losses.JEMObjective", "warmup-negative", lambda: objective(warmup_steps=-1), "warmup_steps"),
    T("losses.JEMObjective", "class-conditional-str", lambda: objective(class_conditional="yes"),
      "class_conditional"),
    V("losses.JEMObjective", "class-conditional-without-buffer",
      lambda: JEMObjective((64,), 10, buffer=None, class_conditional=True), "class_conditional"),
    T("losses.JEMObjective", "batch-tensor", lambda: objective()(jem(), X), "batch"),
    T("losses.JEMObjective", "model-not-jem", lambda: objective()(nn.Linear(64, 10), (X, Y)), "model"),
    T("losses.JEMObjective", "model-wrong-classes", lambda: objective()(jem(5), (X, Y)), "model"),
    V("losses.JEMObjective", "batch-x-wrong-shape", lambda: objective()(jem(), (X[:, :8], Y)), "batch x"),
    V("losses.JEMObjective", "batch-x-nan", lambda: objective()(jem(), (NAN, Y)), "batch x"),
    V("losses.JEMObjective", "batch-y-out-of-range", lambda: objective()(jem(), (X, Y + 5)), "batch y"),
    T("losses.JEMObjective", "batch-y-float", lambda: objective()(jem(), (X, Y.float())), "batch y"),
    V("losses.JEMObjective", "load-state-not-dict", lambda: objective().load_state_dict({"buffer": 1}), "state"),
    # calibration
    V("metrics.expected_calibration_error", "probs-do-not-sum-to-one", lambda: ece(PROBS * 0.5, Y), "probs"),
    V("metrics.expected_calibration_error", "probs-negative", lambda: ece(PROBS - 0.2, Y), "probs"),
    V("metrics.expected_calibration_error", "probs-nan", lambda: ece(PROBS.index_put((torch.tensor([0]),
                                                                          torch.tensor([0])), torch.tensor(np.nan)), Y),
      "probs"),
    V("metrics.expected_calibration_error", "probs-1d", lambda: ece(PROBS[0], Y), "probs"),
    V("metrics.expected_calibration_error", "probs-empty", lambda: ece(torch.zeros(0, 10), Y[:0]), "probs"),
    T("metrics.expected_calibration_error", "probs-int", lambda: ece(torch.ones(6, 10, dtype=torch.long), Y), "probs"),
    T("metrics.expected_calibration_error", "probs-list", lambda: ece(PROBS.tolist(), Y), "probs"),
    V("metrics.expected_calibration_error", "labels-out-of-range", lambda: ece(PROBS, Y + 5), "labels"),
    T("metrics.expected_calibration_error", "labels-float", lambda: ece(PROBS, Y.float()), "labels"),
    V("metrics.expected_calibration_error", "labels-wrong-length", lambda: ece(PROBS, Y[:4]), "labels"),
    V("metrics.expected_calibration_error", "n-bins-zero", lambda: ece(PROBS, Y, n_bins=0), "n_bins"),
    T("metrics.expected_calibration_error", "n-bins-float", lambda: ece(PROBS, Y, n_bins=2.5), "n_bins"),
    # OOD metrics
    V("metrics.auroc", "score-in-empty", lambda: auroc(torch.zeros(0), S), "score_in"),
    V("metrics.auroc", "score-out-empty", lambda: auroc(S, np.zeros(0)), "score_out"),
    V("metrics.auroc", "score-in-2d", lambda: auroc(S[:, None], S), "score_in"),
    V("metrics.auroc", "score-out-nan", lambda: auroc(S, torch.tensor([float("nan")])), "score_out"),
    T("metrics.auroc", "score-in-list", lambda: auroc([1.0, 2.0], S), "score_in"),
    T("metrics.auroc", "score-in-complex", lambda: auroc(S.to(torch.complex64), S), "score_in"),
    V("metrics.fpr_at_tpr", "tpr-zero", lambda: fpr(S, S, tpr=0.0), "tpr"),
    V("metrics.fpr_at_tpr", "tpr-above-one", lambda: fpr(S, S, tpr=1.5), "tpr"),
    T("metrics.fpr_at_tpr", "tpr-str", lambda: fpr(S, S, tpr="0.95"), "tpr"),
    V("metrics.fpr_at_tpr", "score-out-empty", lambda: fpr(S, torch.zeros(0)), "score_out"),
    V("metrics.OODDetector", "tpr-negative", lambda: M.OODDetector(tpr=-0.1), "tpr"),
    V("metrics.OODDetector", "fit-empty", lambda: M.OODDetector().fit(torch.zeros(0)), "score_in"),
    R("metrics.OODDetector", "predict-unfitted", lambda: M.OODDetector().predict(S), "fit"),
    V("metrics.OODDetector", "predict-nan", lambda: M.OODDetector().fit(S).predict(torch.tensor([np.nan])), "scores"),
    V("metrics.max_softmax_score", "logits-1d", lambda: M.max_softmax_score(torch.randn(5)), "logits"),
    T("metrics.max_softmax_score", "logits-int", lambda: M.max_softmax_score(torch.ones(2, 3, dtype=torch.long)),
      "logits"),
    V("metrics.max_softmax_score", "logits-one-class", lambda: M.max_softmax_score(torch.randn(4, 1)), "logits"),
    V("metrics.energy_score", "temperature-zero", lambda: M.energy_score(torch.randn(4, 3), temperature=0.0),
      "temperature"),
    V("metrics.energy_score", "logits-nan", lambda: M.energy_score(torch.tensor([[0.0, np.nan]])), "logits"),
    V("metrics.log_px_score", "logits-empty", lambda: M.log_px_score(torch.zeros(0, 10)), "logits"),
    T("metrics.log_px_score", "logits-array", lambda: M.log_px_score(np.zeros((2, 3))), "logits"),
    T("metrics.gradient_norm_score", "energy-not-callable", lambda: M.gradient_norm_score(3, X), "energy"),
    V("metrics.gradient_norm_score", "x-empty", lambda: M.gradient_norm_score(jem(), X[:0]), "x"),
    V("metrics.gradient_norm_score", "x-nan", lambda: M.gradient_norm_score(jem(), NAN), "x"),
    T("metrics.gradient_norm_score", "x-int", lambda: M.gradient_norm_score(jem(), Y), "x"),
    V("metrics.gradient_norm_score", "energy-wrong-shape", lambda: M.gradient_norm_score(lambda x: x, X), "energy"),
    # OOD sets
    V("data.noise_images", "n-zero", lambda: D.noise_images(0), "n"),
    V("data.noise_images", "image-shape-3d", lambda: D.noise_images(3, (1, 8, 8)), "image_shape"),
    T("data.noise_images", "generator-int", lambda: D.noise_images(3, generator=0), "generator"),
    V("data.shuffle_pixels", "x-1d", lambda: D.shuffle_pixels(X[0]), "x"),
    V("data.shuffle_pixels", "x-empty", lambda: D.shuffle_pixels(X[:0]), "x"),
    T("data.shuffle_pixels", "x-int", lambda: D.shuffle_pixels(Y[:, None].repeat(1, 4)), "x"),
    V("data.invert_images", "x-outside-unit-interval", lambda: D.invert_images(X * 16), "x"),
    V("data.invert_images", "x-nan", lambda: D.invert_images(NAN), "x"),
    V("data.photo_patches", "patch-size-not-multiple", lambda: D.photo_patches(2, patch_size=30), "patch_size"),
    V("data.photo_patches", "patch-size-too-large", lambda: D.photo_patches(2, patch_size=800), "patch_size"),
    V("data.photo_patches", "n-zero", lambda: D.photo_patches(0), "n"),
    V("data.split_classes", "held-out-absent", lambda: D.split_classes(X, Y, held_out=[9]), "held_out"),
    V("data.split_classes", "held-out-everything-but-one", lambda: D.split_classes(X, Y, held_out=[0, 1, 2, 3, 4]),
      "held_out"),
    T("data.split_classes", "held-out-int", lambda: D.split_classes(X, Y, held_out=3), "held_out"),
    T("data.split_classes", "y-float", lambda: D.split_classes(X, Y.float(), held_out=[1]), "y"),
    V("data.split_classes", "y-wrong-length", lambda: D.split_classes(X, Y[:3], held_out=[1]), "y"),
    V("data.ood_datasets", "x-wrong-width", lambda: D.ood_datasets(X[:, :10]), "x"),
    TV("data.ood_datasets", "generator-int", lambda: D.ood_datasets(X, generator=1), "generator"),
    # figures
    T("plot.plot_reliability_diagram", "result-tensor", lambda: P.plot_reliability_diagram(PROBS), "result"),
    T("plot.plot_reliability_diagram", "ax-str", lambda: P.plot_reliability_diagram(ece(PROBS, Y), ax="left"), "ax"),
    V("plot.plot_score_histograms", "score-in-empty", lambda: P.plot_score_histograms(torch.zeros(0), {"a": S}),
      "score_in"),
    T("plot.plot_score_histograms", "scores-out-list", lambda: P.plot_score_histograms(S, [S]), "scores_out"),
    V("plot.plot_score_histograms", "scores-out-nan",
      lambda: P.plot_score_histograms(S, {"noise": torch.tensor([np.nan])}), "scores_out"),
    V("plot.plot_score_histograms", "bins-zero", lambda: P.plot_score_histograms(S, {"a": S}, bins=0), "bins"),
]
