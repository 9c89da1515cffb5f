"""Bad input to ``ebmbook.losses``, ``ebmbook.train`` and ``ebmbook.checkpoint``."""
from __future__ import annotations

import math
import os
import tempfile

import torch

from ebmbook import checkpoint as C
from ebmbook import losses as L
from ebmbook import train
from ebmbook.models import MLPEnergy
from ebmbook.samplers import SGLD, ReplayBuffer

from .harness import TV, R, T, V

DATA = torch.randn(16, 2, generator=torch.Generator().manual_seed(0))
_TMP = tempfile.mkdtemp(prefix="ebmbook-bad-input-")


def tmp_file(name: str, data: bytes) -> str:
    path = os.path.join(_TMP, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def cd(**kw):
    settings = dict(sampler=SGLD(step_size=0.01, noise_scale=0.01), n_steps=1, buffer=None)
    settings.update(kw)
    return L.ContrastiveDivergence((2,), **settings)


def model():
    torch.manual_seed(0)
    return MLPEnergy(2, hidden=(4,))


def trainer(objective=None, **kw):
    return train.Trainer(model(), objective or cd(), progress=False, **kw)


def fit_with(objective):
    return trainer(objective).fit(DATA, n_steps=1, batch_size=4)


def bare_tensor(m, batch, *, generator=None):
    return m(batch).mean()


def vector_loss(m, batch, *, generator=None):
    return L.LossOutput(m(batch), {})


def list_metrics(m, batch, *, generator=None):
    return L.LossOutput(m(batch).mean(), [("loss", 1.0)])


def str_metric(m, batch, *, generator=None):
    return L.LossOutput(m(batch).mean(), {"energy": "low"})


class Guarded:
    guarded = "energy"

    def __call__(self, m, batch, *, generator=None):
        return L.LossOutput(m(batch).mean(), {})


def saved_object() -> str:
    path = os.path.join(_TMP, "object.pt")
    torch.save({"objective": Guarded()}, path)
    return path


def saved_state():
    return trainer().state_dict()


CASES = [
    # -- losses -------------------------------------------------------------------------------------------
    T("losses.contrastive_divergence_loss", "list", lambda: L.contrastive_divergence_loss([0.0], torch.zeros(2)),
      "energy_pos"),
    V("losses.contrastive_divergence_loss", "2d",
      lambda: L.contrastive_divergence_loss(torch.zeros(2, 1), torch.zeros(2)),
      "energy_pos"),
    V("losses.contrastive_divergence_loss", "empty",
      lambda: L.contrastive_divergence_loss(torch.zeros(0), torch.zeros(2)),
      "energy_pos"),
    T("losses.contrastive_divergence_loss", "int",
      lambda: L.contrastive_divergence_loss(torch.zeros(2, dtype=torch.long), torch.zeros(2)), "energy_pos"),
    V("losses.contrastive_divergence_loss", "alpha-negative",
      lambda: L.contrastive_divergence_loss(torch.zeros(2), torch.zeros(2), alpha=-1.0), "alpha"),
    T("losses.ContrastiveDivergence", "event-shape-int", lambda: L.ContrastiveDivergence(2), "event_shape"),
    V("losses.ContrastiveDivergence", "event-shape-zero", lambda: L.ContrastiveDivergence((2, 0)), "event_shape"),
    T("losses.ContrastiveDivergence", "sampler-str", lambda: L.ContrastiveDivergence((2,), sampler="SGLD"), "sampler"),
    V("losses.ContrastiveDivergence", "n-steps-zero", lambda: cd(n_steps=0), "n_steps"),
    T("losses.ContrastiveDivergence", "buffer-bool", lambda: cd(buffer=True), "buffer"),
    T("losses.ContrastiveDivergence", "buffer-str", lambda: cd(buffer="replay"), "buffer"),
    V("losses.ContrastiveDivergence", "buffer-negative", lambda: cd(buffer=-5), "buffer|capacity"),
    V("losses.ContrastiveDivergence", "buffer-wrong-shape", lambda: cd(buffer=ReplayBuffer(4, (3,))), "buffer"),
    V("losses.ContrastiveDivergence", "alpha-nan", lambda: cd(alpha=math.nan), "alpha"),
    T("losses.ContrastiveDivergence", "init-not-callable", lambda: cd(init="uniform"), "init"),
    TV("losses.ContrastiveDivergence", "bad-device", lambda: cd(buffer=8, device="nonsense"), "device"),
    T("losses.ContrastiveDivergence", "int-generator", lambda: cd(buffer=8, generator=0), "generator"),
    T("losses.ContrastiveDivergence", "call-batch-list", lambda: cd()(model(), [[0.0, 0.0]]), "batch"),
    V("losses.ContrastiveDivergence", "call-batch-shape", lambda: cd()(model(), torch.zeros(4, 3)), "batch"),
    V("losses.ContrastiveDivergence", "call-batch-empty", lambda: cd()(model(), torch.zeros(0, 2)), "batch"),
    V("losses.ContrastiveDivergence", "call-batch-nan", lambda: cd()(model(), torch.full((4, 2), math.nan)), "batch"),
    T("losses.ContrastiveDivergence", "call-batch-int", lambda: cd()(model(), torch.zeros(4, 2, dtype=torch.long)),
      "batch"),
    T("losses.ContrastiveDivergence", "call-int-generator", lambda: cd(buffer=8)(model(), DATA, generator=0),
      "generator"),
    T("losses.ContrastiveDivergence", "call-model-not-callable", lambda: cd()("mlp", DATA), "model|energy"),
    V("losses.ContrastiveDivergence", "negatives-zero", lambda: cd().negatives(model(), 0), "n"),
    T("losses.ContrastiveDivergence", "load-state-str", lambda: cd(buffer=8).load_state_dict("buffer"), "state"),
    V("losses.ContrastiveDivergence", "load-state-mismatch", lambda: cd(buffer=None).load_state_dict({"buffer": {}}),
      "buffer"),
    # -- train -------------------------------------------------------------------------------------------------
    T("train.Trainer", "model-not-module", lambda: train.Trainer(lambda x: x.sum(-1), cd()), "model"),
    T("train.Trainer", "objective-not-callable", lambda: train.Trainer(model(), "cd"), "objective"),
    V("train.Trainer", "guard-unknown", lambda: trainer(guard="ignore"), "guard"),
    V("train.Trainer", "lr-zero", lambda: trainer(lr=0.0), "lr"),
    T("train.Trainer", "lr-str", lambda: trainer(lr="1e-3"), "lr"),
    V("train.Trainer", "seed-negative", lambda: trainer(seed=-1), "seed"),
    T("train.Trainer", "seed-generator", lambda: trainer(seed=torch.Generator()), "seed"),
    V("train.Trainer", "max-energy-zero", lambda: trainer(max_energy=0.0), "max_energy"),
    V("train.Trainer", "snapshot-every-zero", lambda: trainer(snapshot_every=0), "snapshot_every"),
    V("train.Trainer", "max-rollbacks-negative", lambda: trainer(max_rollbacks=-1), "max_rollbacks"),
    V("train.Trainer", "grad-clip-negative", lambda: trainer(grad_clip=-1.0), "grad_clip"),
    T("train.Trainer", "optimizer-str", lambda: train.Trainer(model(), cd(), "adam", progress=False), "optimizer"),
    TV("train.Trainer", "scheduler-str", lambda: trainer(scheduler="cosine"), "scheduler"),
    T("train.Trainer", "guarded-str", lambda: trainer(Guarded()), "guarded"),
    T("train.Trainer", "fit-data-list", lambda: trainer().fit([[0.0, 0.0]], n_steps=1), "data"),
    T("train.Trainer", "fit-data-none", lambda: trainer().fit(None, n_steps=1), "data"),
    V("train.Trainer", "fit-data-empty", lambda: trainer().fit(torch.zeros(0, 2), n_steps=1), "data"),
    V("train.Trainer", "fit-data-nan", lambda: trainer().fit(torch.full((4, 2), math.nan), n_steps=1), "data"),
    V("train.Trainer", "fit-data-inf", lambda: trainer().fit(torch.full((4, 2), math.inf), n_steps=1), "data"),
    V("train.Trainer", "fit-data-scalar", lambda: trainer().fit(torch.tensor(1.0), n_steps=1), "data"),
    V("train.Trainer", "fit-tuple-lengths", lambda: trainer().fit((DATA, torch.zeros(3)), n_steps=1), "data"),
    V("train.Trainer", "fit-empty-tuple", lambda: trainer().fit((), n_steps=1), "data"),
    V("train.Trainer", "fit-n-steps-negative", lambda: trainer().fit(DATA, n_steps=-1), "n_steps"),
    T("train.Trainer", "fit-n-steps-float", lambda: trainer().fit(DATA, n_steps=1.0), "n_steps"),
    V("train.Trainer", "fit-batch-size-zero", lambda: trainer().fit(DATA, n_steps=1, batch_size=0), "batch_size"),
    T("train.Trainer", "objective-returns-bare-tensor", lambda: fit_with(bare_tensor), "LossOutput"),
    V("train.Trainer", "objective-vector-loss", lambda: fit_with(vector_loss), "loss"),
    T("train.Trainer", "objective-list-metrics", lambda: fit_with(list_metrics), "metrics"),
    T("train.Trainer", "objective-str-metric", lambda: fit_with(str_metric), "metrics"),
    V("train.Trainer", "load-state-empty", lambda: trainer().load_state_dict({}), "checkpoint"),
    V("train.Trainer", "load-state-not-dict", lambda: trainer().load_state_dict([1, 2]), "checkpoint"),
    V("train.Trainer", "load-state-missing-key",
      lambda: trainer().load_state_dict({k: v for k, v in saved_state().items() if k != "model"}), "model"),
    V("train.Trainer", "load-garbage-file", lambda: trainer().load(tmp_file("garbage.pt", b"not a checkpoint")),
      "checkpoint"),
    T("train.Trainer", "load-path-none", lambda: trainer().load(None), "path"),
    T("train.Trainer", "save-path-none", lambda: trainer().save(None), "path"),
    # -- checkpoint -------------------------------------------------------------------------------------------
    V("checkpoint.read_checkpoint", "garbage", lambda: C.read_checkpoint(tmp_file("junk.pt", os.urandom(64))),
      "checkpoint"),
    V("checkpoint.read_checkpoint", "empty-file", lambda: C.read_checkpoint(tmp_file("empty.pt", b"")), "checkpoint"),
    V("checkpoint.read_checkpoint", "pickled-object", lambda: C.read_checkpoint(saved_object()), "refusing"),
    T("checkpoint.read_checkpoint", "path-none", lambda: C.read_checkpoint(None), "path"),
    T("checkpoint.read_checkpoint", "path-int", lambda: C.read_checkpoint(3.5), "path"),
    V("checkpoint.check_same_tensors", "not-a-dict",
      lambda: C.check_same_tensors({"w": torch.zeros(2)}, [1], "'model'"),
      "model"),
    V("checkpoint.check_same_tensors", "missing-key",
      lambda: C.check_same_tensors({"w": torch.zeros(2)}, {}, "'model'"),
      "missing keys"),
    V("checkpoint.check_same_tensors", "shape",
      lambda: C.check_same_tensors({"w": torch.zeros(2)}, {"w": torch.zeros(3)}, "'model'"), "'w'"),
    V("checkpoint.check_checkpoint", "empty", lambda: C.check_checkpoint({}, saved_state(), strict_objective=True),
      "checkpoint"),
    V("checkpoint.check_checkpoint", "not-a-dict",
      lambda: C.check_checkpoint(None, saved_state(), strict_objective=True),
      "checkpoint"),
    V("checkpoint.check_checkpoint", "bad-step",
      lambda: C.check_checkpoint({**saved_state(), "step": -3}, saved_state(), strict_objective=True), "step"),
    V("checkpoint.check_checkpoint", "bad-history",
      lambda: C.check_checkpoint({**saved_state(), "history": [1]}, saved_state(), strict_objective=True), "history"),
]

# data-parallel training (ebmbook.distributed)
from ebmbook import distributed as DIST  # noqa: E402


CASES += [
    T("distributed.process_group", "distributed-str", lambda: DIST.process_group("yes"), "distributed"),
    R("distributed.process_group", "true-without-a-group", lambda: DIST.process_group(True), "process group"),
    V("distributed.rank_seed", "rank-negative", lambda: DIST.rank_seed(0, -1), "rank"),
    T("distributed.rank_seed", "seed-float", lambda: DIST.rank_seed(0.5, 0), "seed"),
    T("train.Trainer", "distributed-int", lambda: train.Trainer(torch.nn.Linear(2, 1), L.ScoreMatching("exact"),
                                                                progress=False, distributed=1), "distributed"),
]
