"""JEMObjective: the loss is its formula, the warm-up ramps, the baseline runs no chains, it trains, it resumes."""
import torch

from ebmbook.data import load_digits
from ebmbook.losses import JEMObjective, contrastive_divergence_loss
from ebmbook.models import JEM, MLPClassifier
from ebmbook.samplers import SGLD
from ebmbook.train import Trainer


def make(k=10):
    torch.manual_seed(0)
    return JEM(MLPClassifier(64, k, hidden=(16,)), k)


def test_loss_is_cross_entropy_plus_contrastive_term():
    jem, x, y = make(), torch.rand(16, 64), torch.randint(10, (16,))
    obj = JEMObjective((64,), 10, sampler=SGLD(step_size=1.0, noise_scale=0.01), n_steps=3, buffer=None, alpha=0.2)
    out = obj(jem, (x, y), generator=torch.Generator().manual_seed(5))
    x_neg = obj.negatives(jem, 16, generator=torch.Generator().manual_seed(5), like=x)
    expected = torch.nn.functional.cross_entropy(jem.logits(x), y) + contrastive_divergence_loss(jem(x), jem(x_neg), 0.2)
    assert torch.allclose(out.loss, expected)


def test_warmup_and_plain_classifier():
    jem, batch = make(), (torch.rand(8, 64), torch.randint(10, (8,)))
    obj = JEMObjective((64,), 10, n_steps=1, buffer=32, warmup_steps=4)
    weights = [obj(jem, batch).metrics["generative_weight"] for _ in range(6)]
    assert weights == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    plain = JEMObjective((64,), 10, n_steps=1, buffer=32, generative_weight=0.0)
    before = plain.contrastive.buffer.buffer.clone()
    out = plain(jem, batch)
    assert torch.equal(plain.contrastive.buffer.buffer, before)   # no chains were run
    assert torch.allclose(out.loss, torch.nn.functional.cross_entropy(jem.logits(batch[0]), batch[1]))


def test_class_conditional_replay_trains_and_checkpoints():
    d = load_digits()
    jem = make()
    obj = JEMObjective((64,), 10, n_steps=5, buffer=200, class_conditional=True,
                       generator=torch.Generator().manual_seed(0))
    Trainer(jem, obj, lr=3e-3, progress=False).fit((d.x_train, d.y_train), n_steps=60, batch_size=32)
    with torch.no_grad():
        accuracy = float((jem.class_probs(d.x_test).argmax(1) == d.y_test).float().mean())
    # chance is 0.1: on 449 test digits, 0.5 is more than 25 binomial standard errors above it
    assert accuracy > 0.5
    state = obj.state_dict()
    fresh = JEMObjective((64,), 10, n_steps=5, buffer=200, class_conditional=True)
    fresh.load_state_dict(state)
    assert fresh.calls == 60 and torch.equal(fresh.contrastive.buffer.buffer, obj.contrastive.buffer.buffer)
