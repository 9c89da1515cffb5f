"""ebmbook.metrics.magnetisation_histogram against hand counts and exact draws."""
import pytest
import torch

from ebmbook import exact
from ebmbook.energies import Ising
from ebmbook.metrics import magnetisation_histogram


def test_histogram_by_hand():
    spins = torch.tensor([[1, 1, 1], [1, -1, 1], [-1, -1, -1], [1, 1, -1], [-1, 1, -1]])   # M = 3, 1, -3, 1, -1
    h = magnetisation_histogram(spins)
    assert h.dtype == torch.float64
    assert h.tolist() == pytest.approx([1 / 5, 1 / 5, 2 / 5, 1 / 5], abs=1e-15)   # M = -3, -1, 1, 3


def test_histogram_matches_a_python_count(device):
    g = torch.Generator().manual_seed(0)
    spins = torch.where(torch.rand(2000, 7, generator=g) < 0.3, 1.0, -1.0)
    counts = [0] * 8
    for s in spins.tolist():
        counts[int(round((sum(s) + 7) / 2))] += 1
    h = magnetisation_histogram(spins.to(device))
    assert h.device.type == device.type
    assert h.cpu().tolist() == pytest.approx([c / 2000 for c in counts], abs=1e-15)


def test_exact_draws_reproduce_the_exact_distribution():
    # Draw states from the exact 3x3 Ising distribution: the histogram converges to
    # exact.magnetisation_distribution (same order of entries). Bonferroni over 10 entries of a
    # binomial z-test at total false-failure probability 1e-4: |z| < 4.4.
    n, temperature, draws = 9, 2.0, 20_000
    energy = Ising.lattice(3)
    p_exact = exact.magnetisation_distribution(energy, n, temperature=temperature)
    idx = torch.multinomial(exact.probabilities(energy, n, temperature=temperature), draws, replacement=True,
                            generator=torch.Generator().manual_seed(1))
    h = magnetisation_histogram(exact.all_states(n)[idx])
    se = torch.sqrt(p_exact * (1 - p_exact) / draws).clamp_min(1e-12)
    assert float(((h - p_exact) / se).abs().max()) < 4.4
    # ... and it is not the distribution at another temperature (the test has teeth):
    p_other = exact.magnetisation_distribution(energy, n, temperature=1.5)
    assert float(((h - p_other) / torch.sqrt(p_other * (1 - p_other) / draws)).abs().max()) > 4.4


@pytest.mark.parametrize("spins, exc, match", [
    ([[1, -1]], TypeError, "spins must be a torch.Tensor"),
    (torch.ones(4), ValueError, "spins must have 2 dimensions"),
    (torch.ones(0, 4), ValueError, r"spins must have shape \(N >= 1, n >= 1\)"),
    (torch.ones(3, 0), ValueError, r"spins must have shape \(N >= 1, n >= 1\)"),
    (torch.tensor([[1.0, 0.0]]), ValueError, "spins must contain only spins"),
    (torch.tensor([[1.0, float("nan")]]), ValueError, "spins must contain only spins"),
])
def test_bad_input_names_the_argument(spins, exc, match):
    with pytest.raises(exc, match=match):
        magnetisation_histogram(spins)
