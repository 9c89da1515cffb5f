"""ebmbook.exact.magnetisation_distribution against closed forms and brute-force enumeration."""
import math

import pytest
import torch

from ebmbook import exact
from ebmbook.energies import Ising


def _brute_force(energy, n, temperature):
    """P(M = 2k - n) by listing every state, its probability and its magnetisation."""
    states = exact.all_states(n)
    p = exact.probabilities(energy, n, temperature=temperature)
    out = torch.zeros(n + 1, dtype=torch.float64)
    for s, ps in zip(states, p):
        out[int(round((float(s.sum()) + n) / 2))] += ps
    return out


@pytest.mark.parametrize("temperature", [0.5, 1.0, 3.0])
def test_independent_spins_give_the_binomial(temperature):
    # Without couplings or field every state is equally likely: P(M = 2k - n) = C(n, k) / 2^n.
    n = 6
    p = exact.magnetisation_distribution(Ising.chain(n, coupling=0.0), n, temperature=temperature)
    binomial = torch.tensor([math.comb(n, k) / 2 ** n for k in range(n + 1)], dtype=torch.float64)
    assert p.dtype == torch.float64 and p.shape == (n + 1,)
    assert torch.allclose(p, binomial, rtol=0, atol=1e-14)


@pytest.mark.parametrize("temperature", [0.7, 2.5])
def test_matches_brute_force_with_couplings_and_field(temperature):
    g = torch.Generator().manual_seed(0)
    n = 5
    j = torch.randn(n, n, generator=g, dtype=torch.float64)
    j = (j + j.T) / 2
    j.fill_diagonal_(0.0)
    energy = Ising(j, torch.randn(n, generator=g, dtype=torch.float64))
    p = exact.magnetisation_distribution(energy, n, temperature=temperature)
    assert torch.allclose(p, _brute_force(energy, n, temperature), rtol=0, atol=1e-14)
    assert float(p.sum()) == pytest.approx(1.0, abs=1e-14)


def test_two_spin_ferromagnet_by_hand():
    # E = -s1 s2 (open chain of 2): aligned states have weight e, opposite ones e^-1.
    p = exact.magnetisation_distribution(Ising.chain(2, coupling=1.0), 2)
    z = 2 * math.e + 2 / math.e
    assert p.tolist() == pytest.approx([math.e / z, 2 / math.e / z, math.e / z], abs=1e-15)


def test_chunking_does_not_change_the_answer():
    energy = Ising.lattice(3)
    whole = exact.magnetisation_distribution(energy, 9, temperature=2.0)
    chunked = exact.magnetisation_distribution(energy, 9, temperature=2.0, chunk_size=7)
    assert torch.allclose(whole, chunked, rtol=0, atol=1e-14)


def test_on_device(device):
    energy = Ising.lattice(3).to(device)
    p = exact.magnetisation_distribution(energy, 9, temperature=1.5, device=device)
    assert p.device.type == device.type
    assert torch.allclose(p.cpu(), _brute_force(Ising.lattice(3), 9, 1.5), rtol=0, atol=1e-12)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"n": 0}, ValueError, "n must be >= 1"),
    ({"n": 31}, ValueError, "n must be <= 30"),
    ({"n": 3.0}, TypeError, "n must be an integer"),
    ({"n": 3, "temperature": 0.0}, ValueError, "temperature"),
    ({"n": 3, "chunk_size": 0}, ValueError, "chunk_size"),
])
def test_bad_input_names_the_argument(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        exact.magnetisation_distribution(Ising.chain(3), **kwargs)


def test_energy_must_be_callable():
    with pytest.raises(TypeError, match="energy must be callable"):
        exact.magnetisation_distribution("ising", 3)
