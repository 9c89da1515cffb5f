import pickle

import pytest
import torch

from ebmbook.losses import ContrastiveDivergence, LossOutput
from ebmbook.models import MLPEnergy
from ebmbook.samplers import uniform_noise
from ebmbook.train import Trainer, TrainingDiverged


def make_trainer(seed=0, **kwargs):
    torch.manual_seed(seed)
    model = MLPEnergy(2, (16, 16))
    obj = ContrastiveDivergence((2,), step_size=0.05, noise_scale=None, n_steps=5, alpha=0.01, buffer_size=200,
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
    obj = ContrastiveDivergence((2,), n_steps=2, buffer_size=50, device=device,
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

    tr.objective = calm_after_first_explosion
    tr.fit(DATA, 10, batch_size=8)
    assert tr.rollbacks == 1 and tr.step == 10 and len(tr.history["loss"]) == 10
