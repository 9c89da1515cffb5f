import itertools
import math
import resource

import numpy as np
import pytest
import torch

from ebmbook import exact
from ebmbook.energies import Gaussian, Ising, Ring, Tempered, ising_chain_log_z


def random_ising(n, seed=0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    J = torch.randn(n, n, generator=g, dtype=torch.float64) * scale
    J = (J + J.T) / 2
    J.fill_diagonal_(0)
    return Ising(J, torch.randn(n, generator=g, dtype=torch.float64) * scale)


def brute_force_states(n, values):
    levels = [-1.0, 1.0] if values == "spin" else [0.0, 1.0]
    return torch.tensor(list(itertools.product(levels, repeat=n)), dtype=torch.float64)


@pytest.mark.parametrize("values", ["spin", "binary"])
def test_states_order_and_count(values):
    states = exact.all_states(4, values)
    torch.testing.assert_close(states, brute_force_states(4, values))
    chunks = list(exact.iter_states(4, values, chunk_size=3))
    assert [len(c) for c in chunks] == [3, 3, 3, 3, 3, 1]


@pytest.mark.parametrize("values", ["spin", "binary"])
@pytest.mark.parametrize("temperature", [0.5, 1.0, 3.0])
def test_log_partition_matches_brute_force(values, temperature):
    model = random_ising(8, seed=1)
    states = brute_force_states(8, values)
    brute = float(torch.logsumexp(-model(states) / temperature, 0))
    got = exact.log_partition(model, 8, values, temperature, chunk_size=37)
    assert abs(got - brute) < 1e-10


def test_probabilities_marginals_expectation_agree():
    model = random_ising(7, seed=2)
    p = exact.probabilities(model, 7)
    assert abs(float(p.sum()) - 1) < 1e-12
    states = exact.all_states(7)
    torch.testing.assert_close(exact.marginals(model, 7, chunk_size=10), ((states > 0).double() * p[:, None]).sum(0))
    mean_e = exact.expectation(model, 7, lambda s: model(s), chunk_size=5)
    torch.testing.assert_close(mean_e, (model(states) * p).sum())


def test_expectation_is_stable_at_low_temperature():
    # exp(-E/T) overflows float64 here; the streaming rescaling must not.
    model = Ising.chain(10, coupling=1.0)
    e = exact.expectation(model, 10, lambda s: s.mean(-1, keepdim=True).abs(), temperature=0.005)
    assert abs(float(e) - 1.0) < 1e-12


def test_chain_log_z_matches_transfer_matrix_to_1e10():
    for n, J, h, T, periodic in [(12, 1.0, 0.0, 1.0, False), (15, 0.7, 0.3, 2.0, True),
                                 (10, -1.2, 0.5, 0.8, False), (9, 1.0, -0.2, 0.5, True)]:
        model = Ising.chain(n, J, h, periodic=periodic)
        assert abs(exact.log_partition(model, n, temperature=T) - ising_chain_log_z(n, J, h, T, periodic)) < 1e-10


def test_twenty_spins_in_bounded_memory():
    model = Ising.chain(20, coupling=1.0, field=0.1)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    log_z = exact.log_partition(model, 20, chunk_size=2**15)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert abs(log_z - ising_chain_log_z(20, 1.0, 0.1)) < 1e-10
    # 2^20 states x 20 spins x 8 bytes = 160 MiB if materialised at once
    assert grown_mib < 100


def test_thermodynamics_of_independent_spins():
    # J = 0: U = -n h tanh(h/T), C = n (h/T)^2 / cosh^2(h/T)
    n, h, T = 6, 0.5, 0.8
    th = exact.thermodynamics(Ising.chain(n, 0.0, h), n, T)
    assert abs(th.mean_energy + n * h * math.tanh(h / T)) < 1e-10
    assert abs(th.heat_capacity - n * (h / T) ** 2 / math.cosh(h / T) ** 2) < 1e-10
    assert abs(th.free_energy + T * n * math.log(2 * math.cosh(h / T))) < 1e-10
    assert abs(th.entropy - (th.mean_energy - th.free_energy) / T) < 1e-12


def test_heat_capacity_is_variance_of_energy_by_fluctuation():
    model = random_ising(6, seed=3)
    T = 1.7
    p = exact.probabilities(model, 6, temperature=T)
    e = model(exact.all_states(6))
    var = float((p * e**2).sum() - (p * e).sum() ** 2)
    assert abs(exact.thermodynamics(model, 6, T).heat_capacity - var / T**2) < 1e-10


def test_grid_quadrature_gaussian():
    cov = torch.tensor([[1.0, 0.5], [0.5, 2.0]], dtype=torch.float64)
    g = Gaussian(torch.tensor([0.3, -0.2], dtype=torch.float64), cov)
    grid = exact.grid_quadrature(g, (-9, 9), (-9, 9), resolution=300)
    assert abs(grid.log_z - g.log_z) < 1e-8
    assert abs(float(grid.density.sum()) * grid.cell_area - 1) < 1e-10
    assert grid.log_density.shape == (300, 300)
    # row i is y = ys[i]: the density's row-wise mean y is the Gaussian mean
    assert abs(float((grid.density.sum(1) * grid.ys).sum() * grid.cell_area) + 0.2) < 1e-6
    assert grid.points.shape == (300 * 300, 2)
    assert abs(grid.expectation(lambda x: x[:, 0]) - 0.3) < 1e-6
    assert abs(grid.expectation(lambda x: (x[:, 1] + 0.2) ** 2) - 2.0) < 1e-6


def test_grid_kl_divergence_of_two_gaussians():
    p = exact.grid_quadrature(Gaussian(torch.zeros(2, dtype=torch.float64), torch.eye(2, dtype=torch.float64)),
                              (-10, 10), (-10, 10), 400)
    q = exact.grid_quadrature(Gaussian(torch.tensor([1.0, 0.0], dtype=torch.float64),
                                       torch.eye(2, dtype=torch.float64) * 2), (-10, 10), (-10, 10), 400)
    # KL(N(0, I) || N(m, 2I)) = 0.5 (tr + m^2/2 - d + d log 2)
    expected = 0.5 * (1.0 + 0.5 - 2 + 2 * math.log(2.0))
    assert abs(exact.grid_kl_divergence(p, q) - expected) < 1e-6
    assert exact.grid_kl_divergence(p, p) == 0.0


def test_exact_bad_input():
    model = Ising.chain(4)
    with pytest.raises(ValueError, match="values"):
        exact.log_partition(model, 4, values="bits")
    with pytest.raises(ValueError, match="temperature"):
        exact.log_partition(model, 4, temperature=-1)
    with pytest.raises(ValueError, match="n must be <="):
        next(exact.iter_states(40))
    with pytest.raises(ValueError, match="xlim"):
        exact.grid_quadrature(Gaussian(torch.zeros(2), torch.eye(2)), xlim=(1, -1))
    with pytest.raises(ValueError, match="same grid"):
        g = Gaussian(torch.zeros(2, dtype=torch.float64), torch.eye(2, dtype=torch.float64))
        exact.grid_kl_divergence(exact.grid_quadrature(g, resolution=10), exact.grid_quadrature(g, resolution=20))
    with pytest.raises(ValueError, match="shape"):
        exact.log_partition(lambda s: s.sum(), 3)
    with pytest.raises(ValueError, match="non-finite|NaN"):
        exact.log_partition(lambda s: s.sum(-1) * float("nan"), 3)


def test_enumeration_on_device(device):
    model = Ising.chain(10, 1.0, 0.2).to(device)
    assert abs(exact.log_partition(model, 10, device=device) - ising_chain_log_z(10, 1.0, 0.2)) < 1e-10


# --- boltzmann_weights -----------------------------------------------------------
ENERGIES = torch.tensor([0.3, -1.2, 2.0, 0.0, 5.0], dtype=torch.float64)


@pytest.mark.parametrize("temperature", [0.01, 0.5, 1.0, 7.0, 1e3])
def test_boltzmann_weights_normalised(temperature):
    w = exact.boltzmann_weights(ENERGIES, temperature)
    assert w.shape == (5,)
    assert float(w.sum()) == pytest.approx(1.0, abs=1e-12)
    assert bool((w >= 0).all())


def test_boltzmann_weights_match_formula_and_enumeration():
    w = exact.boltzmann_weights(ENERGIES, 2.0)
    expected = np.exp(-ENERGIES.numpy() / 2.0)
    assert np.allclose(w.numpy(), expected / expected.sum(), rtol=1e-12)
    # The same numbers as enumerating all states of a 3-spin Ising model at T = 2.
    model = random_ising(3, seed=4)
    states = exact.all_states(3)
    assert torch.allclose(exact.boltzmann_weights(model(states), 2.0),
                          exact.probabilities(model, 3, temperature=2.0), rtol=1e-12, atol=0)


def test_boltzmann_weights_limits():
    hot = exact.boltzmann_weights(ENERGIES, 1e9)
    assert torch.allclose(hot, torch.full((5,), 0.2, dtype=torch.float64), atol=1e-8)
    cold = exact.boltzmann_weights(ENERGIES, 1e-3)
    assert int(cold.argmax()) == int(ENERGIES.argmin())
    assert float(cold.max()) == pytest.approx(1.0, abs=1e-12)


def test_boltzmann_weights_shift_invariant_and_stable():
    w = exact.boltzmann_weights(ENERGIES, 0.7)
    assert torch.allclose(exact.boltzmann_weights(ENERGIES + 1e4, 0.7), w, atol=1e-12)
    huge = exact.boltzmann_weights([1e5, 1e5 + 1.0], 1.0)  # exp(-1e5) underflows naively
    assert torch.isfinite(huge).all() and float(huge[0]) == pytest.approx(1 / (1 + math.exp(-1)))


def test_boltzmann_weights_inputs(device):
    assert exact.boltzmann_weights(np.array([0.0, 0.0])).dtype == torch.float64
    assert exact.boltzmann_weights(torch.tensor([0.0, 1.0]), 1.0).dtype == torch.float32
    on_device = exact.boltzmann_weights(ENERGIES.to(device), 1.0)
    assert on_device.device.type == device.type
    with pytest.raises(ValueError, match="temperature"):
        exact.boltzmann_weights(ENERGIES, 0.0)
    with pytest.raises(ValueError, match="temperature"):
        exact.boltzmann_weights(ENERGIES, math.inf)
    with pytest.raises(ValueError, match="energies"):
        exact.boltzmann_weights(torch.tensor([0.0, math.nan]), 1.0)
    with pytest.raises(ValueError, match="energies"):
        exact.boltzmann_weights(torch.zeros(2, 2), 1.0)
    with pytest.raises(TypeError, match="energies"):
        exact.boltzmann_weights(["a", "b"], 1.0)


# --- temperature means Tempered --------------------------------------------------
def test_temperature_is_tempered():
    model = random_ising(6, seed=2)
    for T in (0.5, 3.0):
        hot = Tempered(model, T)
        assert exact.log_partition(model, 6, temperature=T) == exact.log_partition(hot, 6)
        assert torch.equal(exact.probabilities(model, 6, temperature=T), exact.probabilities(hot, 6))
        assert torch.equal(exact.marginals(model, 6, temperature=T), exact.marginals(hot, 6))
        g = exact.grid_quadrature(Ring(), resolution=30, temperature=T)
        h = exact.grid_quadrature(Tempered(Ring(), T), resolution=30)
        assert g.log_z == h.log_z and torch.equal(g.log_density, h.log_density)


# --- grid_quadrature: where and in what precision the energy is evaluated ---------
class Float32Net(torch.nn.Module):
    """A neural energy with float32 weights: it rejects float64 input."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(2, 1)

    def forward(self, x):
        return self.lin(x).squeeze(-1) + 0.5 * x.pow(2).sum(-1)


def test_evaluation_placement(device):
    assert exact.evaluation_placement(Ring()) == (torch.device("cpu"), torch.float64)
    assert exact.evaluation_placement(lambda x: x.pow(2).sum(-1)) == (torch.device("cpu"), torch.float64)
    placed, dtype = exact.evaluation_placement(Float32Net().to(device))
    assert placed.type == device.type and dtype == torch.float32
    assert exact.evaluation_placement(Float32Net().double())[1] == torch.float64
    with pytest.raises(TypeError, match="energy"):
        exact.evaluation_placement("ring")
    with pytest.raises(RuntimeError):   # no parameters to fall back to: the energy's own error
        exact.evaluation_placement(lambda x: x.float() @ torch.ones(2, dtype=torch.float64))


def test_grid_quadrature_of_a_float32_network_on_its_device(device):
    torch.manual_seed(0)
    net = Float32Net().to(device)
    grid = exact.grid_quadrature(net, (-6, 6), (-6, 6), resolution=80)   # no `device=`: the net's
    assert grid.log_density.dtype == torch.float64 and grid.xs.device.type == device.type
    double = Float32Net()
    double.load_state_dict(net.state_dict())                           # the same weights, in float64 on the CPU
    reference = exact.grid_quadrature(double.double(), (-6, 6), (-6, 6), resolution=80)
    # float32 evaluation of energies of size ~10: log Z agrees to ~1e-6 with the float64 one.
    assert abs(grid.log_z - reference.log_z) < 1e-5
    moved = grid.to("cpu")
    assert moved.xs.device.type == "cpu" and moved.log_z == grid.log_z
    assert torch.allclose(moved.log_density, reference.log_density, atol=1e-4)


def test_thermodynamics_of_a_float32_network_matches_its_log_partition():
    from ebmbook.models import MLPEnergy

    torch.manual_seed(0)
    net = MLPEnergy(4, (8,))
    th = exact.thermodynamics(net, 4, 1.0, values="binary")
    assert th.log_z == pytest.approx(exact.log_partition(net, 4, values="binary"))
    p = exact.probabilities(net, 4, values="binary")
    states = exact.all_states(4, "binary")
    with torch.no_grad():
        mean_e = float((p * net(states.float()).double()).sum())
    assert th.mean_energy == pytest.approx(mean_e, rel=1e-5)
