import itertools
import math

import pytest
import torch

from ebmbook import exact
from ebmbook.energies import Ising, ising_chain_log_z


def brute_force_energy(J, h, s):
    n = len(s)
    e = -sum(J[i][j] * s[i] * s[j] for i in range(n) for j in range(i + 1, n))
    return e - sum(h[i] * s[i] for i in range(n))


def test_energy_matches_pairwise_sum():
    g = torch.Generator().manual_seed(0)
    n = 6
    J = torch.randn(n, n, generator=g, dtype=torch.float64)
    J = (J + J.T) / 2
    J.fill_diagonal_(0)
    h = torch.randn(n, generator=g, dtype=torch.float64)
    model = Ising(J, h)
    states = torch.tensor(list(itertools.product([-1.0, 1.0], repeat=n)), dtype=torch.float64)
    expected = torch.tensor([brute_force_energy(J.tolist(), h.tolist(), s.tolist()) for s in states],
                            dtype=torch.float64)
    torch.testing.assert_close(model(states), expected)


def test_local_field_gives_flip_energy_change():
    model = Ising.lattice(4, coupling=0.7, field=0.2)
    s = torch.where(torch.rand(3, 16, generator=torch.Generator().manual_seed(1)) < 0.5, -1.0, 1.0).double()
    lf = model.local_field(s)
    for i in range(16):
        flipped = s.clone()
        flipped[:, i] *= -1
        torch.testing.assert_close(model(flipped) - model(s), 2 * s[:, i] * lf[:, i])


def test_lattice_has_four_neighbours_and_periodic_bonds():
    model = Ising.lattice(5)
    assert torch.all((model.couplings != 0).sum(1) == 4)
    # all-up configuration: 2 L^2 bonds
    assert float(model(torch.ones(1, 25))) == -50.0


def test_chain_open_and_periodic_bond_counts():
    assert float(Ising.chain(6)(torch.ones(1, 6))) == -5.0
    assert float(Ising.chain(6, periodic=True)(torch.ones(1, 6))) == -6.0


@pytest.mark.parametrize("periodic", [False, True])
def test_transfer_matrix_matches_brute_force(periodic):
    n, J, h, T = 7, -0.8, 0.4, 1.3
    model = Ising.chain(n, J, h, periodic=periodic)
    states = torch.tensor(list(itertools.product([-1.0, 1.0], repeat=n)), dtype=torch.float64)
    brute = float(torch.logsumexp(-model(states) / T, 0))
    assert abs(ising_chain_log_z(n, J, h, T, periodic) - brute) < 1e-12


def test_transfer_matrix_zero_coupling_is_independent_spins():
    # Z = (2 cosh(h/T))^n
    n, h, T = 50, 0.3, 0.7
    assert abs(ising_chain_log_z(n, 0.0, h, T) - n * math.log(2 * math.cosh(h / T))) < 1e-10


def test_ising_bad_input():
    with pytest.raises(ValueError, match="symmetric"):
        Ising(torch.tensor([[0.0, 1.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="diagonal"):
        Ising(torch.eye(3))
    with pytest.raises(ValueError, match="field"):
        Ising(torch.zeros(3, 3), torch.zeros(4))
    with pytest.raises(ValueError, match="shape"):
        Ising.chain(4)(torch.ones(2, 5))
    with pytest.raises(ValueError, match="temperature"):
        ising_chain_log_z(5, 1.0, temperature=0.0)
    with pytest.raises(ValueError, match="n"):
        Ising.chain(1)


def test_ising_moves_to_device(device):
    model = Ising.lattice(4).to(device)
    s = torch.ones(2, 16, device=device)
    assert model(s).device.type == device.type


@pytest.mark.parametrize("coupling, field", [(800.0, 0.0), (-800.0, 0.3), (1.0, 900.0), (-3.0, -750.0)])
@pytest.mark.parametrize("periodic", [False, True])
def test_chain_log_z_does_not_overflow_for_strong_couplings(coupling, field, periodic):
    # |J|/T or |h|/T beyond ~709 used to overflow math.exp; enumeration handles the case in float64.
    n = 7
    model = Ising.chain(n, coupling=coupling, field=field, periodic=periodic)
    exact_value = exact.log_partition(model, n)
    assert ising_chain_log_z(n, coupling, field, periodic=periodic) == pytest.approx(exact_value, rel=1e-12, abs=1e-9)


def test_chain_log_z_rejects_nan_couplings():
    with pytest.raises(ValueError, match="coupling"):
        ising_chain_log_z(5, float("nan"))
    with pytest.raises(ValueError, match="field"):
        ising_chain_log_z(5, 1.0, field=float("inf"))
