import copy
import pickle

import pytest
import torch

from ebmbook.losses import ContrastiveDivergence, LossOutput
from ebmbook.models import MLPEnergy
from ebmbook.samplers import SGLD, uniform_noise
from ebmbook.train import Trainer, TrainingDiverged


def make_trainer(seed=0, **kwargs):
    torch.manual_seed(seed)
    model = MLPEnergy(2, (16, 16))
    obj = ContrastiveDivergence((2,), sampler=SGLD(step_size=0.05), n_steps=5, alpha=0.01, buffer=200,
                                init=uniform_noise(-3, 3), generator=torch.Generator().manual_seed(seed))
    return Trainer(model, obj, lr=1e-3, seed=seed, progress=False, **kwargs)


DATA = torch.randn(500, 2, generator=torch.Generator().manual_seed(0))


def test_history_records_every_step():
    tr = make_trainer().fit(DATA, 7, batch_size=32)
    assert tr.step == 7
    assert set(tr.history) >= {"loss", "energy_pos", "energy_neg", "grad_norm", "lr"}
    assert all(len(v) == 7 for v in tr.history.values())


def test_checkpoint_round_trip_continues_identically(tmp_path):
    tr = make_trainer().fit(DATA, 10, batch_size=32)
    tr.save(tmp_path / "ckpt.pt")
    tr.fit(DATA, 8, batch_size=32)
    expected = tr.history["loss"][-8:]
    fresh = make_trainer(seed=5).load(tmp_path / "ckpt.pt")   # different init: everything must come from the file
    fresh.fit(DATA, 8, batch_size=32)
    assert fresh.history["loss"][-8:] == expected
    assert fresh.step == 18


class Exploit:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_loading_pickled_code_fails_safely(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump({"format": "ebmbook-trainer-v1", "model": Exploit()}, f, protocol=2)
    with pytest.raises(ValueError, match="refusing to load"):
        make_trainer().load(path)
    assert "must never run" not in capsys.readouterr().out


def test_not_a_checkpoint(tmp_path):
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not an ebmbook trainer checkpoint"):
        make_trainer().load(tmp_path / "other.pt")


class ExplodingObjective:
    """Energies that blow up after a few steps (a stand-in for a diverging run)."""

    guarded = ("energy_pos",)   # the guard bounds only the metrics an objective declares

    def __init__(self, explode_at):
        self.calls = 0
        self.explode_at = explode_at

    def __call__(self, model, batch, *, generator=None):
        self.calls += 1
        e = model(batch)
        scale = 1e6 if self.calls >= self.explode_at else 1.0
        loss = e.mean() * scale
        return LossOutput(loss, {"loss": float(loss.detach()), "energy_pos": float(e.mean().detach()) * scale})


def test_guard_raises_with_a_clear_message():
    torch.manual_seed(0)
    tr = Trainer(MLPEnergy(2, (8,)), ExplodingObjective(4), progress=False)
    with pytest.raises(TrainingDiverged, match="step 3: energy_pos"):
        tr.fit(DATA, 10, batch_size=8)
    assert tr.step == 3


def test_guard_rolls_back_and_halves_the_learning_rate():
    torch.manual_seed(0)
    obj = ExplodingObjective(6)
    tr = Trainer(MLPEnergy(2, (8,)), obj, lr=1e-2, guard="rollback", snapshot_every=2, max_rollbacks=2, progress=False)
    obj.explode_at = 6
    with pytest.raises(TrainingDiverged, match="after 2 rollbacks"):
        tr.fit(DATA, 20, batch_size=8)   # keeps exploding: two rollbacks, then stop
    assert tr.rollbacks == 2 and tr.optimizer.param_groups[0]["lr"] == pytest.approx(2.5e-3)


def test_nan_data_and_bad_settings():
    with pytest.raises(ValueError, match="data"):
        make_trainer().fit(torch.full((4, 2), float("nan")), 1)
    with pytest.raises(ValueError, match="guard"):
        Trainer(MLPEnergy(2), lambda *a, **k: None, guard="ignore")
    with pytest.raises(TypeError, match="model"):
        Trainer("model", lambda *a, **k: None)
    with pytest.raises(ValueError, match="batch_size"):
        make_trainer().fit(DATA, 1, batch_size=0)


def test_trains_on_device(device):
    torch.manual_seed(0)
    model = MLPEnergy(2, (8,)).to(device)
    obj = ContrastiveDivergence((2,), n_steps=2, buffer=50, device=device,
                                generator=torch.Generator(device=device).manual_seed(0))
    Trainer(model, obj, progress=False).fit(DATA, 3, batch_size=16)


def test_scheduler_is_stepped_and_checkpointed(tmp_path):
    def build():
        tr = make_trainer()
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(tr.optimizer, T_max=10)
        return Trainer(tr.model, tr.objective, tr.optimizer, scheduler=sched, progress=False)

    tr = build().fit(DATA, 4, batch_size=16)
    expected_lr = 0.5 * 1e-3 * (1 + __import__("math").cos(__import__("math").pi * 4 / 10))
    assert tr.optimizer.param_groups[0]["lr"] == pytest.approx(expected_lr)
    tr.save(tmp_path / "c.pt")
    again = build().load(tmp_path / "c.pt")
    assert again.scheduler.last_epoch == 4
    with pytest.raises(ValueError, match="scheduler"):
        other = torch.optim.SGD(tr.model.parameters(), lr=0.1)
        Trainer(tr.model, tr.objective, scheduler=torch.optim.lr_scheduler.StepLR(other, 5))


def test_rollback_retakes_the_undone_steps():
    torch.manual_seed(0)
    obj = ExplodingObjective(explode_at=6)
    tr = Trainer(MLPEnergy(2, (8,)), obj, guard="rollback", snapshot_every=2, max_rollbacks=1, progress=False)

    def calm_after_first_explosion(model, batch, *, generator=None):
        out = ExplodingObjective.__call__(obj, model, batch, generator=generator)
        obj.explode_at = 10**9 if obj.calls >= 6 else obj.explode_at
        return out

    calm_after_first_explosion.guarded = ("energy_pos",)
    tr.objective = calm_after_first_explosion
    tr.fit(DATA, 10, batch_size=8)
    assert tr.rollbacks == 1 and tr.step == 10 and len(tr.history["loss"]) == 10


# -- objectives with parameters, (x, y) batches, dtypes -------------------------------------------


class LogZObjective(torch.nn.Module):
    """An objective that owns a learnable scalar (a stand-in for a learnable log Z)."""

    guarded = ()

    def __init__(self, log_z=0.0):
        super().__init__()
        self.log_z = torch.nn.Parameter(torch.tensor(float(log_z)))

    def forward(self, model, batch, *, generator=None):
        loss = (model(batch).mean() + self.log_z - 1.0) ** 2
        return LossOutput(loss, {"log_z": float(self.log_z.detach())})


def logz_trainer(seed=0, log_z=0.0, model=None, **kwargs):
    torch.manual_seed(seed)
    model = MLPEnergy(2, (8,)) if model is None else model
    return Trainer(model, LogZObjective(log_z), lr=1e-2, seed=seed, progress=False, **kwargs)


def test_objective_parameters_are_trained_and_checkpointed(tmp_path):
    tr = logz_trainer().fit(DATA, 10, batch_size=16)
    assert any(p is tr.objective.log_z for p in tr.trained_parameters)
    assert abs(float(tr.objective.log_z.detach())) > 1e-3            # Adam moved it: it is in the optimiser
    tr.save(tmp_path / "ckpt.pt")
    saved_log_z = float(tr.objective.log_z.detach())
    tr.fit(DATA, 6, batch_size=16)
    expected = tr.history["loss"][-6:]
    fresh = logz_trainer(seed=5, log_z=3.0).load(tmp_path / "ckpt.pt")
    assert float(fresh.objective.log_z.detach()) == saved_log_z       # restored from the file, not the constructor
    fresh.fit(DATA, 6, batch_size=16)
    assert fresh.history["loss"][-6:] == expected
    assert float(fresh.objective.log_z.detach()) == float(tr.objective.log_z.detach())


def test_grad_norm_covers_the_objective_parameters():
    model = MLPEnergy(2, (8,)).requires_grad_(False)        # only log_z is trainable
    tr = logz_trainer(model=model).fit(DATA, 1, batch_size=16)
    assert tr.history["grad_norm"][0] > 0
    # d/dlog_z (m + log_z - 1)^2 = 2 (m + log_z - 1), at log_z = 0
    assert tr.history["grad_norm"][0] == pytest.approx(2 * abs(tr.history["loss"][0]) ** 0.5, rel=1e-5)
    # grad_clip covers log_z too: one SGD step of rate 1 moves it by the clipped norm, 0.01
    obj = LogZObjective()
    sgd = torch.optim.SGD([*model.parameters(), obj.log_z], lr=1.0)
    Trainer(model, obj, sgd, grad_clip=0.01, progress=False).fit(DATA, 1, batch_size=16)
    assert abs(float(obj.log_z.detach())) == pytest.approx(0.01, rel=1e-4)


class PlainObjectiveWithParameters:
    """Not an nn.Module: exposes its learnable offset through ``parameters()`` only."""

    def __init__(self):
        self.offset = torch.nn.Parameter(torch.zeros(()))

    def parameters(self):
        return [self.offset]

    def __call__(self, model, batch, *, generator=None):
        return LossOutput((model(batch).mean() + self.offset - 1.0) ** 2, {})


def test_plain_objective_parameters_are_trained_and_checkpointed(tmp_path):
    torch.manual_seed(0)
    tr = Trainer(MLPEnergy(2, (8,)), PlainObjectiveWithParameters(), lr=1e-2, progress=False).fit(DATA, 5, 16)
    assert float(tr.objective.offset.detach()) != 0.0
    tr.save(tmp_path / "c.pt")
    fresh = Trainer(MLPEnergy(2, (8,)), PlainObjectiveWithParameters(), progress=False).load(tmp_path / "c.pt")
    assert float(fresh.objective.offset.detach()) == float(tr.objective.offset.detach())
    with pytest.raises(ValueError, match="objective's parameters"):
        model = MLPEnergy(2, (8,))
        Trainer(model, PlainObjectiveWithParameters(), optimizer=torch.optim.SGD(model.parameters(), lr=0.1))


def label_of(x):
    """A deterministic label: which of three sectors the point falls in."""
    return (x[:, 0] > 0).long() + (x[:, 1] > 0).long()


class Classifier:
    """Cross-entropy on ``(x, y)`` batches; checks the rows of x and y were drawn together."""

    def __call__(self, model, batch, *, generator=None):
        assert isinstance(batch, tuple) and len(batch) == 2
        x, y = batch
        assert y.dtype == torch.int64 and x.dtype == next(model.parameters()).dtype
        assert torch.equal(y, label_of(x)), "x and y rows are not aligned"
        loss = torch.nn.functional.cross_entropy(model(x), y)
        return LossOutput(loss, {"accuracy": float((model(x).argmax(1) == y).float().mean())})


def test_tuple_data_trains_aligned_and_round_trips(tmp_path):
    x = DATA
    y = label_of(x)

    def build(seed=0):
        torch.manual_seed(seed)
        return Trainer(torch.nn.Linear(2, 3), Classifier(), lr=5e-2, seed=seed, progress=False)

    tr = build().fit((x, y), 60, batch_size=64)
    assert tr.history["loss"][-1] < tr.history["loss"][0]
    assert sum(tr.history["accuracy"][-10:]) / 10 > 0.7    # three classes: chance is about 1/3
    tr.save(tmp_path / "c.pt")
    tr.fit((x, y), 5, batch_size=64)
    fresh = build(seed=3).load(tmp_path / "c.pt").fit((x, y), 5, batch_size=64)
    assert fresh.history["loss"][-5:] == tr.history["loss"][-5:]


def test_bad_data_is_rejected_with_its_name():
    tr = logz_trainer()
    with pytest.raises(ValueError, match=r"data.*\[500, 499\]"):
        tr.fit((DATA, label_of(DATA)[:-1]), 1)
    with pytest.raises(TypeError, match="data"):
        tr.fit((DATA, [0] * 500), 1)
    with pytest.raises(TypeError, match="data"):
        tr.fit(DATA.numpy(), 1)
    with pytest.raises(ValueError, match="data"):
        tr.fit((), 1)
    with pytest.raises(ValueError, match="data"):
        tr.fit(DATA[:0], 1)
    bad = DATA.clone()
    bad[3, 1] = float("inf")
    with pytest.raises(ValueError, match=r"data\[1\]"):
        tr.fit((label_of(DATA), bad), 1)
    assert tr.step == 0


def test_float64_model_gets_float64_data():
    seen = []

    def objective(model, batch, *, generator=None):
        seen.append(batch.dtype)
        return LossOutput(model(batch).mean(), {})

    torch.manual_seed(0)
    tr = Trainer(MLPEnergy(2, (8,)).double(), objective, progress=False).fit(DATA, 3, batch_size=8)
    assert DATA.dtype == torch.float32 and seen == [torch.float64] * 3 and tr.step == 3
    obj = LogZObjective()
    Trainer(MLPEnergy(2, (8,)).double(), obj, progress=False).fit(DATA, 1, batch_size=8)
    assert obj.log_z.dtype == torch.float64                  # an nn.Module objective follows the model


# -- the divergence guard ---------------------------------------------------------------------------


class LoudObjective:
    """Logs a metric of a chosen size; ``guarded`` says whether the guard may bound it."""

    def __init__(self, value, guarded=()):
        self.value = value
        self.guarded = guarded

    def __call__(self, model, batch, *, generator=None):
        return LossOutput(model(batch).mean(), {"big": self.value, "small": 1.0})


def test_only_guarded_metrics_are_bounded_in_magnitude():
    torch.manual_seed(0)
    Trainer(MLPEnergy(2, (8,)), LoudObjective(1e9), progress=False).fit(DATA, 3, batch_size=8)   # not guarded
    with pytest.raises(TrainingDiverged, match="step 0: big = 1e"):
        Trainer(MLPEnergy(2, (8,)), LoudObjective(1e9, ("big",)), progress=False).fit(DATA, 3, batch_size=8)
    with pytest.raises(ValueError, match="guarded"):      # a misspelt name must not switch the guard off
        Trainer(MLPEnergy(2, (8,)), LoudObjective(1.0, ("bgi",)), progress=False).fit(DATA, 1, batch_size=8)
    with pytest.raises(TypeError, match="guarded"):
        Trainer(MLPEnergy(2, (8,)), LoudObjective(1.0, "big"), progress=False)


def test_any_non_finite_metric_trips_the_guard():
    torch.manual_seed(0)
    with pytest.raises(TrainingDiverged, match="big is nan"):
        Trainer(MLPEnergy(2, (8,)), LoudObjective(float("nan")), progress=False).fit(DATA, 3, batch_size=8)


def test_objective_must_return_a_loss_output():
    torch.manual_seed(0)
    model = MLPEnergy(2, (8,))
    with pytest.raises(TypeError, match="LossOutput"):
        Trainer(model, lambda m, b, *, generator=None: m(b).mean(), progress=False).fit(DATA, 1)
    with pytest.raises(ValueError, match="scalar"):
        Trainer(model, lambda m, b, *, generator=None: LossOutput(m(b), {}), progress=False).fit(DATA, 1)
    with pytest.raises(TypeError, match="metrics"):
        Trainer(model, lambda m, b, *, generator=None: LossOutput(m(b).mean(), {"e": m(b)}),
                progress=False).fit(DATA, 1)


# -- checkpoints: all or nothing ------------------------------------------------------------------------


def trained_state(tr):
    return ([p.detach().clone() for p in tr.trained_parameters], copy.deepcopy(tr.optimizer.state_dict()),
            tr.step, tr.generator.get_state())


def assert_unchanged(tr, before):
    params, opt, step, gen = before
    assert all(torch.equal(p, q) for p, q in zip(tr.trained_parameters, params))
    after = tr.optimizer.state_dict()
    assert after["param_groups"] == opt["param_groups"]
    for i, s in opt["state"].items():
        assert all(torch.equal(v, after["state"][i][k]) for k, v in s.items())
    assert tr.step == step and torch.equal(tr.generator.get_state(), gen)


@pytest.mark.parametrize("key", ["model", "optimizer", "objective", "generator", "history", "step", "scheduler"])
def test_partial_checkpoint_changes_nothing(key):
    state = logz_trainer(seed=1).fit(DATA, 4, batch_size=16).state_dict()
    del state[key]
    tr = logz_trainer(seed=2, log_z=2.0).fit(DATA, 3, batch_size=16)
    before = trained_state(tr)
    with pytest.raises(ValueError, match=repr(key)):
        tr.load_state_dict(state)
    assert_unchanged(tr, before)


def test_mismatched_model_checkpoint_changes_nothing():
    state = Trainer(MLPEnergy(2, (16,)), LogZObjective(), progress=False).state_dict()
    tr = logz_trainer().fit(DATA, 3, batch_size=16)
    before = trained_state(tr)
    with pytest.raises(ValueError, match="'model'.*shape"):
        tr.load_state_dict(state)
    assert_unchanged(tr, before)


class StatefulObjective:
    """Keeps a tensor of state whose load fails on a size mismatch, after the model is restored."""

    def __init__(self, size):
        self.memory = torch.zeros(size)

    def __call__(self, model, batch, *, generator=None):
        return LossOutput(model(batch).mean(), {})

    def state_dict(self):
        return {"memory": self.memory.clone()}

    def load_state_dict(self, state):
        if state["memory"].shape != self.memory.shape:
            raise ValueError("memory has the wrong size")
        self.memory = state["memory"].clone()


def test_failure_midway_through_loading_restores_everything():
    torch.manual_seed(1)
    state = Trainer(MLPEnergy(2, (8,)), StatefulObjective(3), progress=False).fit(DATA, 2, 8).state_dict()
    torch.manual_seed(2)
    tr = Trainer(MLPEnergy(2, (8,)), StatefulObjective(5), progress=False).fit(DATA, 3, batch_size=8)
    before = trained_state(tr)
    with pytest.raises(ValueError, match="wrong size"):
        tr.load_state_dict(state)        # passes the dry checks; fails in the objective's own loader
    assert_unchanged(tr, before)
    assert tr.objective.memory.shape == (5,)


def test_objective_state_must_have_a_home():
    buffered = make_trainer()
    unbuffered = Trainer(buffered.model, ContrastiveDivergence((2,), buffer=None), progress=False)
    with pytest.raises(ValueError, match="'objective'.*no objective state"):
        unbuffered.load_state_dict(buffered.state_dict())     # the replay buffer must not be dropped
    with pytest.raises(ValueError, match="'objective'.*empty"):
        buffered.load_state_dict(unbuffered.state_dict())
    plain = Trainer(MLPEnergy(2, (8,)), lambda m, b, *, generator=None: LossOutput(m(b).mean(), {}), progress=False)
    with pytest.raises(ValueError, match="'objective'"):
        plain.load_state_dict(logz_trainer().state_dict())     # a learnt log Z must not be dropped


def test_garbage_file_is_not_mistaken_for_pickled_code(tmp_path):
    tr = logz_trainer().fit(DATA, 2, batch_size=16)
    tr.save(tmp_path / "good.pt")
    good = (tmp_path / "good.pt").read_bytes()
    noise = bytes(torch.randint(256, (4096,), generator=torch.Generator().manual_seed(0), dtype=torch.uint8))
    files = {"random.pt": noise, "pickle-ish.pt": b"\x80\x02" + noise, "truncated.pt": good[: len(good) // 2],
             "empty.pt": b"", "text.pt": b"hello, this is not a checkpoint\n"}
    before = trained_state(tr)
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ValueError, match="not a valid torch checkpoint") as info:
            tr.load(tmp_path / name)
        assert "refusing" not in str(info.value), name
    assert_unchanged(tr, before)
    with pytest.raises(FileNotFoundError):
        tr.load(tmp_path / "missing.pt")


def test_pickled_module_is_refused(tmp_path):
    tr = logz_trainer()
    torch.save({"format": "ebmbook-trainer-v1", "model": tr.model}, tmp_path / "module.pt")
    with pytest.raises(ValueError, match="refusing to load"):
        tr.load(tmp_path / "module.pt")


def test_checkpoint_round_trip_on_device(device, tmp_path):
    def build(seed):
        torch.manual_seed(seed)
        return Trainer(MLPEnergy(2, (8,)).to(device), LogZObjective(seed), lr=1e-2, seed=seed, progress=False)

    tr = build(0).fit(DATA, 4, batch_size=16)
    assert tr.objective.log_z.device.type == device.type and float(tr.objective.log_z.detach()) != 0.0
    tr.save(tmp_path / "c.pt")
    tr.fit(DATA, 3, batch_size=16)
    fresh = build(1).load(tmp_path / "c.pt").fit(DATA, 3, batch_size=16)
    assert fresh.history["loss"] == tr.history["loss"]
