"""Bad input to NCE, InfoNCE, the margin losses and their energies (chapter 7)."""
from __future__ import annotations

import math

import torch

from ebmbook import energies as E
from ebmbook import losses as L
from ebmbook.models import MLPEnergy

from .harness import T, TV, V

X = torch.randn(8, 2, generator=torch.Generator().manual_seed(0))
NAN = X.clone().index_put_((torch.tensor([1]), torch.tensor([0])), torch.tensor(float("nan")))
LP = torch.zeros(8)
NOISE = E.Gaussian(torch.zeros(2), 4 * torch.eye(2))
ENERGIES = torch.randn(6, 3, generator=torch.Generator().manual_seed(1))
LABELS = torch.tensor([0, 1, 2, 0, 1, 2])


def model():
    torch.manual_seed(0)
    return E.SelfNormalized(MLPEnergy(2, (4,)))


class NoLogProb:
    def sample(self, n, *, generator=None):
        return torch.zeros(n, 2)


class WrongShapeNoise:
    def log_prob(self, x):
        return torch.zeros(x.shape[0])

    def sample(self, n, *, generator=None):
        return torch.zeros(n, 3)


class WrongLogProbNoise(WrongShapeNoise):
    def log_prob(self, x):
        return torch.zeros(x.shape[0], 1)

    def sample(self, n, *, generator=None):
        return torch.zeros(n, 2)


def nce(lmd=LP, lmn=LP, lnd=LP, lnn=LP, nu=1.0):
    return L.nce_loss(lmd, lmn, lnd, lnn, nu)


CASES = [
    # SelfNormalized and UniformBox
    T("energies.SelfNormalized", "energy-not-callable", lambda: E.SelfNormalized("mlp"), "energy"),
    T("energies.SelfNormalized", "log-z-str", lambda: E.SelfNormalized(MLPEnergy(2, (4,)), log_z="0"), "log_z"),
    V("energies.SelfNormalized", "log-z-nan", lambda: E.SelfNormalized(MLPEnergy(2, (4,)), log_z=math.nan), "log_z"),
    T("energies.SelfNormalized", "nested", lambda: E.SelfNormalized(model()), "energy"),
    V("energies.SelfNormalized", "x-wrong-shape", lambda: model().log_prob(torch.zeros(4, 3)), "x"),
    V("energies.UniformBox", "high-below-low", lambda: E.UniformBox(torch.ones(2), torch.zeros(2)), "high"),
    V("energies.UniformBox", "shapes-differ", lambda: E.UniformBox(torch.zeros(2), torch.ones(3)), "low and high"),
    V("energies.UniformBox", "low-inf", lambda: E.UniformBox(torch.tensor([-math.inf, 0.0]), torch.ones(2)), "low"),
    T("energies.UniformBox", "low-int", lambda: E.UniformBox(torch.zeros(2, dtype=torch.long), torch.ones(2)), "low"),
    V("energies.UniformBox", "x-wrong-shape", lambda: E.UniformBox(torch.zeros(2), torch.ones(2))(torch.zeros(3, 3)),
      "x"),
    V("energies.UniformBox", "sample-n-zero", lambda: E.UniformBox(torch.zeros(2), torch.ones(2)).sample(0), "n"),
    V("energies.Gaussian", "fit-one-row", lambda: E.Gaussian.fit(torch.zeros(1, 2)), "x"),
    V("energies.Gaussian", "fit-nan", lambda: E.Gaussian.fit(NAN), "x"),
    V("energies.Gaussian", "fit-ridge-negative", lambda: E.Gaussian.fit(X, ridge=-1.0), "ridge"),
    # nce_loss
    V("losses.nce_loss", "noise-ratio-zero", lambda: nce(nu=0.0), "noise_ratio"),
    V("losses.nce_loss", "noise-ratio-negative", lambda: nce(nu=-2.0), "noise_ratio"),
    T("losses.nce_loss", "noise-ratio-str", lambda: nce(nu="1"), "noise_ratio"),
    V("losses.nce_loss", "log-model-data-nan", lambda: nce(lmd=torch.full((8,), math.nan)), "log_model_data"),
    V("losses.nce_loss", "log-noise-noise-inf", lambda: nce(lnn=torch.full((8,), -math.inf)), "log_noise_noise"),
    V("losses.nce_loss", "log-noise-data-wrong-shape", lambda: nce(lnd=torch.zeros(7)), "log_noise_data"),
    V("losses.nce_loss", "log-model-noise-2d", lambda: nce(lmn=torch.zeros(8, 1)), "log_model_noise"),
    V("losses.nce_loss", "empty", lambda: nce(torch.zeros(0), LP, torch.zeros(0), LP), "log_model_data"),
    T("losses.nce_loss", "int", lambda: nce(lmd=torch.zeros(8, dtype=torch.long)), "log_model_data"),
    # the NCE objective
    T("losses.NCE", "noise-without-log-prob", lambda: L.NCE(NoLogProb()), "noise"),
    T("losses.NCE", "noise-a-tensor", lambda: L.NCE(torch.zeros(2)), "noise"),
    V("losses.NCE", "noise-ratio-zero", lambda: L.NCE(NOISE, noise_ratio=0.0), "noise_ratio"),
    V("losses.NCE", "noise-ratio-inf", lambda: L.NCE(NOISE, noise_ratio=math.inf), "noise_ratio"),
    V("losses.NCE", "noise-samples-wrong-shape", lambda: L.NCE(WrongShapeNoise())(model(), X), "noise"),
    V("losses.NCE", "noise-log-prob-wrong-shape", lambda: L.NCE(WrongLogProbNoise())(model(), X), "noise"),
    T("losses.NCE", "model-without-log-prob", lambda: L.NCE(NOISE)(MLPEnergy(2, (4,)), X), "model"),
    V("losses.NCE", "batch-nan", lambda: L.NCE(NOISE)(model(), NAN), "batch"),
    V("losses.NCE", "batch-empty", lambda: L.NCE(NOISE)(model(), torch.zeros(0, 2)), "batch"),
    T("losses.NCE", "batch-int", lambda: L.NCE(NOISE)(model(), torch.zeros(4, 2, dtype=torch.long)), "batch"),
    T("losses.NCE", "generator-int", lambda: L.NCE(NOISE)(model(), X, generator=0), "generator"),
    # info_nce_loss
    V("losses.info_nce_loss", "not-square", lambda: L.info_nce_loss(torch.zeros(4, 5)), "scores"),
    V("losses.info_nce_loss", "1d", lambda: L.info_nce_loss(torch.zeros(4)), "scores"),
    V("losses.info_nce_loss", "empty", lambda: L.info_nce_loss(torch.zeros(0, 0)), "scores"),
    V("losses.info_nce_loss", "nan", lambda: L.info_nce_loss(torch.full((3, 3), math.nan)), "scores"),
    T("losses.info_nce_loss", "int", lambda: L.info_nce_loss(torch.zeros(3, 3, dtype=torch.long)), "scores"),
    T("losses.info_nce_loss", "symmetric-str", lambda: L.info_nce_loss(torch.zeros(3, 3), symmetric="yes"),
      "symmetric"),
    # margin losses
    V("losses.most_offending_incorrect", "labels-out-of-range",
      lambda: L.most_offending_incorrect(ENERGIES, LABELS + 1), "labels"),
    V("losses.most_offending_incorrect", "labels-negative",
      lambda: L.most_offending_incorrect(ENERGIES, -LABELS - 1), "labels"),
    T("losses.most_offending_incorrect", "labels-float",
      lambda: L.most_offending_incorrect(ENERGIES, LABELS.float()), "labels"),
    V("losses.most_offending_incorrect", "labels-wrong-length",
      lambda: L.most_offending_incorrect(ENERGIES, LABELS[:4]), "labels"),
    V("losses.most_offending_incorrect", "one-label", lambda: L.most_offending_incorrect(ENERGIES[:, :1], LABELS * 0),
      "energies"),
    V("losses.most_offending_incorrect", "energies-1d", lambda: L.most_offending_incorrect(ENERGIES[0], LABELS),
      "energies"),
    V("losses.most_offending_incorrect", "energies-nan",
      lambda: L.most_offending_incorrect(torch.full((6, 3), math.nan), LABELS), "energies"),
    V("losses.hinge_loss", "margin-zero", lambda: L.hinge_loss(ENERGIES, LABELS, margin=0.0), "margin"),
    V("losses.hinge_loss", "labels-out-of-range", lambda: L.hinge_loss(ENERGIES, LABELS * 3), "labels"),
    T("losses.log_loss", "labels-bool", lambda: L.log_loss(ENERGIES, LABELS > 0), "labels"),
    T("losses.log_loss", "energies-int", lambda: L.log_loss(torch.zeros(6, 3, dtype=torch.long), LABELS), "energies"),
    V("losses.square_square_loss", "negative-energies", lambda: L.square_square_loss(-ENERGIES.abs() - 1, LABELS),
      "energies"),
    V("losses.square_square_loss", "margin-negative",
      lambda: L.square_square_loss(ENERGIES.abs(), LABELS, margin=-1.0), "margin"),
    V("losses.MarginLoss", "kind-unknown", lambda: L.MarginLoss("energy"), "kind"),
    V("losses.MarginLoss", "log-with-margin", lambda: L.MarginLoss("log", margin=2.0), "margin"),
    V("losses.MarginLoss", "margin-zero", lambda: L.MarginLoss("hinge", margin=0.0), "margin"),
    T("losses.MarginLoss", "batch-not-a-pair", lambda: L.MarginLoss()(torch.nn.Linear(2, 3), X), "batch"),
    TV("losses.MarginLoss", "model-wrong-output",
       lambda: L.MarginLoss()(torch.nn.Linear(2, 1), (X, torch.zeros(8, dtype=torch.long))), "energies"),
]

# two views and the InfoNCE objective
from ebmbook import data as D  # noqa: E402

IMAGES = torch.rand(4, 16, generator=torch.Generator().manual_seed(2))


def encoder():
    torch.manual_seed(0)
    return torch.nn.Linear(16, 3)


def views(x, *, generator=None):
    return D.two_views(x, (4, 4), generator=generator)


CASES += [
    V("data.random_view", "wrong-size", lambda: D.random_view(IMAGES, (3, 3)), "images"),
    T("data.random_view", "image-shape-int", lambda: D.random_view(IMAGES, 16), "image_shape"),
    T("data.random_view", "image-shape-float", lambda: D.random_view(IMAGES, (4.0, 4.0)), "image_shape"),
    V("data.random_view", "max-shift-too-big", lambda: D.random_view(IMAGES, (4, 4), max_shift=4), "max_shift"),
    V("data.random_view", "max-shift-negative", lambda: D.random_view(IMAGES, (4, 4), max_shift=-1), "max_shift"),
    V("data.random_view", "noise-negative", lambda: D.random_view(IMAGES, (4, 4), noise=-0.1), "noise"),
    T("data.random_view", "images-int", lambda: D.random_view(torch.zeros(2, 16, dtype=torch.long), (4, 4)),
      "images"),
    V("data.random_view", "images-nan", lambda: D.random_view(torch.full((2, 16), math.nan), (4, 4)), "images"),
    T("data.random_view", "generator-int", lambda: D.random_view(IMAGES, (4, 4), generator=0), "generator"),
    V("data.two_views", "images-3d", lambda: D.two_views(IMAGES.reshape(4, 4, 4), (4, 4)), "images"),
    V("data.two_views", "noise-nan", lambda: D.two_views(IMAGES, (4, 4), noise=math.nan), "noise"),
    T("losses.InfoNCE", "views-not-callable", lambda: L.InfoNCE("shift"), "views"),
    V("losses.InfoNCE", "temperature-zero", lambda: L.InfoNCE(views, temperature=0.0), "temperature"),
    V("losses.InfoNCE", "batch-of-one", lambda: L.InfoNCE(views)(encoder(), IMAGES[:1]), "batch"),
    T("losses.InfoNCE", "batch-int", lambda: L.InfoNCE(views)(encoder(), torch.zeros(4, 16, dtype=torch.long)),
      "batch"),
    V("losses.InfoNCE", "views-return-one", lambda: L.InfoNCE(lambda x, generator=None: x)(encoder(), IMAGES), "views"),
    V("losses.InfoNCE", "model-scalar-output",
      lambda: L.InfoNCE(views)(lambda x: x.sum(1), IMAGES), "model"),
]
