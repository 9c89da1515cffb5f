"""Margin losses of LeCun et al. (2006) for energies over labels (chapter 7)."""
from __future__ import annotations

import pytest
import torch

from ebmbook.losses import MarginLoss, hinge_loss, log_loss, most_offending_incorrect, square_square_loss
from ebmbook.train import Trainer


def energies_and_labels(seed=0, batch=50, k=5):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, k, generator=g, dtype=torch.float64), torch.randint(0, k, (batch,), generator=g)


def brute_force(energies, labels):
    correct = torch.stack([energies[i, y] for i, y in enumerate(labels.tolist())])
    offending = torch.stack([min(energies[i, j] for j in range(energies.shape[1]) if j != y)
                             for i, y in enumerate(labels.tolist())])
    return correct, offending


def test_most_offending_incorrect_answer_matches_a_loop():
    e, y = energies_and_labels()
    correct, offending = most_offending_incorrect(e, y)
    ref_c, ref_o = brute_force(e, y)
    assert torch.equal(correct, ref_c) and torch.equal(offending, ref_o)


def test_the_three_losses_match_their_formulas():
    e, y = energies_and_labels(1)
    c, o = brute_force(e, y)
    assert torch.allclose(hinge_loss(e, y, margin=0.5), torch.clamp(0.5 + c - o, min=0).mean())
    assert torch.allclose(log_loss(e, y), torch.log1p(torch.exp(c - o)).mean())
    pos = e.exp()                                            # square-square needs E >= 0
    c, o = brute_force(pos, y)
    assert torch.allclose(square_square_loss(pos, y, margin=2.0), (c**2 + torch.clamp(2.0 - o, min=0) ** 2).mean())


def test_hinge_is_zero_exactly_when_every_answer_wins_by_the_margin():
    e = torch.tensor([[0.0, 1.0, 3.0], [0.0, 0.5, 3.0]])
    y = torch.tensor([0, 0])
    assert float(hinge_loss(e[:1], y[:1], margin=1.0)) == 0.0
    assert float(hinge_loss(e[1:], y[1:], margin=1.0)) == pytest.approx(0.5)


def test_square_square_refuses_negative_energies():
    with pytest.raises(ValueError, match="non-negative"):
        square_square_loss(torch.tensor([[-1.0, 2.0]]), torch.tensor([0]))


@pytest.mark.parametrize("kind", ["hinge", "log"])
def test_an_energy_classifier_trained_with_a_margin_loss_learns_separable_classes(kind):
    g = torch.Generator().manual_seed(2)
    centres = torch.tensor([[3.0, 0.0], [-3.0, 0.0], [0.0, 3.0]])
    y = torch.randint(0, 3, (600,), generator=g)
    x = centres[y] + 0.5 * torch.randn(600, 2, generator=g)
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 3)
    trainer = Trainer(model, MarginLoss(kind), lr=0.05, seed=0, progress=False).fit((x, y), 300, batch_size=64)
    accuracy = float((model(x).argmin(1) == y).float().mean())
    # the blobs are 6 standard deviations apart: a correct loss separates them; a sign slip
    # (pushing the correct energy up) sends the accuracy to ~0
    assert accuracy > 0.98
    assert trainer.history["energy_correct"][-1] < trainer.history["energy_offending"][-1]


def test_margin_loss_settings_are_checked():
    with pytest.raises(ValueError, match="margin"):
        MarginLoss("log", margin=1.0)
    with pytest.raises(ValueError, match="kind"):
        MarginLoss("energy")
