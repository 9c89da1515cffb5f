"""Bad input to ``ebmbook.models``: neural energies and Hopfield networks (RBMs: ``cases_rbm``)."""
from __future__ import annotations

import math

import torch

from ebmbook import models as Mo

from .harness import TV, R, T, V

XI = torch.tensor([[1.0, -1.0, 1.0, -1.0, 1.0, 1.0], [1.0, 1.0, -1.0, -1.0, 1.0, -1.0]])


def hopfield():
    return Mo.Hopfield().fit(XI)


def dense():
    return Mo.DenseAssociativeMemory(degree=3).fit(XI)


def modern():
    return Mo.ModernHopfield(beta=2.0).fit(XI)


def mlp():
    torch.manual_seed(0)
    return Mo.MLPEnergy(2, hidden=(4,))


def conv():
    torch.manual_seed(0)
    return Mo.ConvEnergy((1, 8, 8), channels=(2, 2))


CASES = [
    # -- neural energies -----------------------------------------------------------------------------------
    V("models.MLPEnergy", "in-features-zero", lambda: Mo.MLPEnergy(0), "in_features"),
    T("models.MLPEnergy", "in-features-str", lambda: Mo.MLPEnergy("2"), "in_features"),
    T("models.MLPEnergy", "hidden-int", lambda: Mo.MLPEnergy(2, hidden=64), "hidden"),
    V("models.MLPEnergy", "hidden-empty", lambda: Mo.MLPEnergy(2, hidden=()), "hidden"),
    V("models.MLPEnergy", "hidden-zero-width", lambda: Mo.MLPEnergy(2, hidden=(8, 0)), "hidden"),
    T("models.MLPEnergy", "hidden-float-width", lambda: Mo.MLPEnergy(2, hidden=(8.0,)), "hidden"),
    V("models.MLPEnergy", "activation-unknown", lambda: Mo.MLPEnergy(2, hidden=(4,), activation="relu"), "activation"),
    V("models.MLPEnergy", "forward-shape", lambda: mlp()(torch.zeros(3, 3)), "x"),
    V("models.MLPEnergy", "forward-1d", lambda: mlp()(torch.zeros(2)), "x"),
    T("models.MLPEnergy", "forward-int", lambda: mlp()(torch.zeros(3, 2, dtype=torch.long)), "x"),
    T("models.MLPEnergy", "forward-float16-on-float32", lambda: mlp()(torch.zeros(3, 2, dtype=torch.float16)), "x"),
    T("models.MLPEnergy", "forward-list", lambda: mlp()([[0.0, 0.0]]), "x"),
    T("models.MLPEnergy", "forward-float64-on-float32",
      lambda: mlp()(torch.zeros(3, 2, dtype=torch.float64)), "x|dtype"),
    V("models.ConvEnergy", "image-shape-2d", lambda: Mo.ConvEnergy((8, 8)), "image_shape"),
    TV("models.ConvEnergy", "image-shape-int", lambda: Mo.ConvEnergy(8), "image_shape"),
    V("models.ConvEnergy", "image-too-small", lambda: Mo.ConvEnergy((1, 2, 2)), "image_shape"),
    V("models.ConvEnergy", "image-shape-zero", lambda: Mo.ConvEnergy((0, 8, 8)), "image_shape"),
    TV("models.ConvEnergy", "channels-one", lambda: Mo.ConvEnergy((1, 8, 8), channels=(4,)), "channels"),
    TV("models.ConvEnergy", "channels-int", lambda: Mo.ConvEnergy((1, 8, 8), channels=4), "channels"),
    V("models.ConvEnergy", "activation-unknown", lambda: Mo.ConvEnergy((1, 8, 8), activation="gelu"), "activation"),
    V("models.ConvEnergy", "forward-shape", lambda: conv()(torch.zeros(2, 1, 7, 7)), "x"),
    V("models.ConvEnergy", "forward-flat-shape", lambda: conv()(torch.zeros(2, 63)), "x"),
    T("models.ConvEnergy", "forward-int", lambda: conv()(torch.zeros(2, 64, dtype=torch.long)), "x"),
    T("models.ConvEnergy", "forward-float16-on-float32", lambda: conv()(torch.zeros(2, 64, dtype=torch.float16)), "x"),
    T("models.ConvEnergy", "forward-none", lambda: conv()(None), "x"),
    # -- Hopfield networks ---------------------------------------------------------------------------------------
    V("models.Hopfield", "rule-unknown", lambda: Mo.Hopfield("hebb"), "rule"),
    TV("models.Hopfield", "rule-int", lambda: Mo.Hopfield(1), "rule"),
    V("models.Hopfield", "fit-bits", lambda: Mo.Hopfield().fit(XI.clamp(min=0)), "patterns"),
    V("models.Hopfield", "fit-nan", lambda: Mo.Hopfield().fit(torch.full((2, 4), math.nan)), "patterns"),
    V("models.Hopfield", "fit-empty", lambda: Mo.Hopfield().fit(torch.ones(0, 4)), "patterns"),
    V("models.Hopfield", "fit-1d", lambda: Mo.Hopfield().fit(torch.ones(4)), "patterns"),
    T("models.Hopfield", "fit-list", lambda: Mo.Hopfield().fit([[1, -1]]), "patterns"),
    V("models.Hopfield", "fit-dependent-pseudoinverse", lambda: Mo.Hopfield("pseudoinverse").fit(torch.cat([XI, XI])),
      "patterns"),
    R("models.Hopfield", "energy-unfitted", lambda: Mo.Hopfield().energy(XI), "fit"),
    R("models.Hopfield", "recall-unfitted", lambda: Mo.Hopfield().recall(XI), "fit"),
    R("models.Hopfield", "overlap-unfitted", lambda: Mo.Hopfield().overlap(XI), "fit"),
    V("models.Hopfield", "energy-wrong-length", lambda: hopfield().energy(torch.ones(2, 5)), "states"),
    V("models.Hopfield", "energy-non-spins", lambda: hopfield().energy(torch.zeros(2, 6)), "states"),
    V("models.Hopfield", "recall-mode-unknown", lambda: hopfield().recall(XI, mode="parallel"), "mode"),
    V("models.Hopfield", "recall-max-sweeps-zero", lambda: hopfield().recall(XI, max_sweeps=0), "max_sweeps"),
    V("models.Hopfield", "recall-record-unknown", lambda: hopfield().recall(XI, record="step"), "record"),
    V("models.Hopfield", "recall-1d-probe", lambda: hopfield().recall(XI[0]), "probes"),
    T("models.Hopfield", "recall-int-generator", lambda: hopfield().recall(XI, generator=0), "generator"),
    T("models.Hopfield", "sweep-int-generator", lambda: hopfield().sweep(XI, generator=0), "generator"),
    V("models.Hopfield", "sweep-mode-unknown", lambda: hopfield().sweep(XI, mode="random"), "mode"),
    V("models.Hopfield", "overlap-wrong-length", lambda: hopfield().overlap(torch.ones(2, 5)), "states"),
    TV("models.Hopfield", "to-bad-device", lambda: hopfield().to("nonsense"), "device"),
    V("models.DenseAssociativeMemory", "interaction-unknown", lambda: Mo.DenseAssociativeMemory("gaussian"),
      "interaction"),
    V("models.DenseAssociativeMemory", "degree-one", lambda: Mo.DenseAssociativeMemory(degree=1), "degree"),
    T("models.DenseAssociativeMemory", "degree-float", lambda: Mo.DenseAssociativeMemory(degree=2.5), "degree"),
    V("models.DenseAssociativeMemory", "beta-zero", lambda: Mo.DenseAssociativeMemory("exponential", beta=0.0), "beta"),
    V("models.DenseAssociativeMemory", "fit-bits",
      lambda: Mo.DenseAssociativeMemory().fit(XI.clamp(min=0)), "patterns"),
    R("models.DenseAssociativeMemory", "energy-unfitted", lambda: Mo.DenseAssociativeMemory().energy(XI), "fit"),
    V("models.DenseAssociativeMemory", "energy-wrong-length", lambda: dense().energy(torch.ones(2, 7)), "states"),
    T("models.DenseAssociativeMemory", "recall-int-generator", lambda: dense().recall(XI, generator=1), "generator"),
    V("models.DenseAssociativeMemory", "recall-non-spins", lambda: dense().recall(XI * 0.5), "probes"),
    V("models.ModernHopfield", "beta-zero", lambda: Mo.ModernHopfield(beta=0.0), "beta"),
    V("models.ModernHopfield", "chunk-size-zero", lambda: Mo.ModernHopfield(chunk_size=0), "chunk_size"),
    V("models.ModernHopfield", "fit-1d", lambda: Mo.ModernHopfield().fit(torch.ones(4)), "patterns"),
    V("models.ModernHopfield", "fit-empty", lambda: Mo.ModernHopfield().fit(torch.ones(0, 4)), "patterns"),
    V("models.ModernHopfield", "fit-nan", lambda: Mo.ModernHopfield().fit(torch.full((2, 4), math.nan)), "patterns"),
    T("models.ModernHopfield", "fit-list", lambda: Mo.ModernHopfield().fit([[1.0, 2.0]]), "patterns"),
    T("models.ModernHopfield", "fit-complex", lambda: Mo.ModernHopfield().fit(torch.ones(2, 4, dtype=torch.complex64)),
      "patterns"),
    R("models.ModernHopfield", "energy-unfitted", lambda: Mo.ModernHopfield().energy(XI), "fit"),
    V("models.ModernHopfield", "energy-wrong-length", lambda: modern().energy(torch.ones(2, 5)), "queries"),
    V("models.ModernHopfield", "attention-nan", lambda: modern().attention(torch.full((1, 6), math.nan)), "queries"),
    V("models.ModernHopfield", "retrieve-n-steps-zero", lambda: modern().retrieve(XI, n_steps=0), "n_steps"),
    T("models.ModernHopfield", "retrieve-list", lambda: modern().retrieve([[1.0] * 6]), "queries"),
    TV("models.ModernHopfield", "to-bad-device", lambda: modern().to("nonsense"), "device"),
    V("models.overlap", "length-mismatch", lambda: Mo.overlap(torch.ones(2, 5), XI), "states"),
    V("models.overlap", "1d", lambda: Mo.overlap(torch.ones(6), XI), "states"),
    T("models.overlap", "list", lambda: Mo.overlap([[1.0] * 6], XI), "states"),
    V("models.overlap", "empty-patterns", lambda: Mo.overlap(torch.ones(2, 0), torch.ones(1, 0)), "patterns"),
]
