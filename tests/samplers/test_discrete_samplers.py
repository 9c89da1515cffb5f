"""Discrete samplers against exact enumeration.

Each test runs many independent chains and keeps only their final states, so
the draws are independent and a Pearson chi-square test against the exact
probabilities applies. A correct sampler fails with probability ALPHA = 1e-4
(plus the total-variation distance left after burn-in, made negligible by
burn-ins many times longer than these small systems need to mix).
"""
import pytest
import torch

from conftest import ALPHA
from ebmbook import exact
from ebmbook.energies import Ising
from ebmbook.metrics import discrete_chi_square, state_index
from ebmbook.samplers import Gibbs, SpinFlipMetropolis, colour_classes, sample_chain

N_CHAINS = 4000


def random_ising(n, seed, scale):
    g = torch.Generator().manual_seed(seed)
    J = torch.randn(n, n, generator=g, dtype=torch.float64) * scale
    J = (J + J.T) / 2
    J.fill_diagonal_(0)
    return Ising(J, torch.randn(n, generator=g, dtype=torch.float64) * scale)


class HalvedRatioMetropolis(SpinFlipMetropolis):
    """Deliberately broken: uses exp(-dE / 2T), i.e. samples at twice the temperature."""

    def log_acceptance_ratio(self, energy_current, energy_proposed):
        return -(energy_proposed - energy_current) / (2 * self.temperature)


def final_state_p_value(sampler, model, n, temperature, device, steps, seed=0):
    g = torch.Generator(device=device).manual_seed(seed)
    x0 = torch.where(torch.rand(N_CHAINS, n, generator=g, device=device) < 0.5, -1.0, 1.0)
    trace = sample_chain(sampler, x0, 1, burn_in=steps, generator=g)
    probs = exact.probabilities(model, n, temperature=temperature)
    return discrete_chi_square(state_index(trace.samples[-1]), probs).p_value


def make_sampler(kind, model, temperature, n):
    if kind == "metropolis":
        return SpinFlipMetropolis(model, temperature, flips_per_step=n)
    return Gibbs(model, temperature, schedule=kind)


@pytest.mark.parametrize("kind", ["metropolis", "sequential", "random", "checkerboard"])
def test_sampler_matches_exact_distribution_random_couplings(kind, device):
    model = random_ising(6, seed=1, scale=0.6).to(device)
    sampler = make_sampler(kind, model, 1.0, 6)
    assert final_state_p_value(sampler, model, 6, 1.0, device, steps=60) > ALPHA


@pytest.mark.parametrize("kind", ["metropolis", "checkerboard"])
def test_sampler_matches_exact_distribution_on_lattice(kind, device):
    model = Ising.lattice(3, coupling=0.4, field=0.1).to(device)
    sampler = make_sampler(kind, model, 1.0, 9)
    assert final_state_p_value(sampler, model, 9, 1.0, device, steps=60) > ALPHA


def test_broken_metropolis_fails_the_same_check(device):
    model = random_ising(6, seed=1, scale=0.6).to(device)
    sampler = HalvedRatioMetropolis(model, 1.0, flips_per_step=6)
    assert final_state_p_value(sampler, model, 6, 1.0, device, steps=60) < ALPHA


def test_gibbs_at_temperature():
    # At T = 0.5 these frustrated couplings trap chains for tens of sweeps
    # (60 sweeps fail the check, as they should); 600 sweeps leave no trace.
    model = random_ising(5, seed=4, scale=1.0)
    for T in (0.5, 2.0):
        sampler = Gibbs(model, T, "sequential")
        assert final_state_p_value(sampler, model, 5, T, torch.device("cpu"), steps=600, seed=2) > ALPHA


def test_checkerboard_colours_a_lattice_in_two_independent_sets():
    model = Ising.lattice(6)
    classes = colour_classes(model.couplings)
    assert len(classes) == 2
    for sites in classes:
        assert not bool((model.couplings[sites][:, sites] != 0).any())


def test_same_seed_same_chain(device):
    model = Ising.lattice(4).to(device)
    for sampler in (SpinFlipMetropolis(model, 2.0, 4), Gibbs(model, 2.0, "random"), Gibbs(model, 2.0, "checkerboard")):
        runs = [sample_chain(sampler, torch.ones(8, 16, device=device), 20,
                             generator=torch.Generator(device=device).manual_seed(7)).samples for _ in range(2)]
        assert torch.equal(runs[0], runs[1])


def test_bad_input():
    model = Ising.chain(5)
    with pytest.raises(ValueError, match="spins"):
        SpinFlipMetropolis(model).init(torch.zeros(3, 5))
    with pytest.raises(ValueError, match="spins"):
        Gibbs(model).init(torch.zeros(3, 5))
    with pytest.raises(ValueError, match="shape"):
        Gibbs(model).init(torch.ones(3, 4))
    with pytest.raises(ValueError, match="temperature"):
        Gibbs(model, temperature=0.0)
    with pytest.raises(ValueError, match="schedule"):
        Gibbs(model, schedule="diagonal")
    with pytest.raises(TypeError, match="Ising"):
        Gibbs(lambda s: s.sum(-1))
    with pytest.raises(ValueError, match="flips_per_step"):
        SpinFlipMetropolis(model, flips_per_step=0)
    with pytest.raises(ValueError, match="x0"):
        SpinFlipMetropolis(model).init(torch.full((2, 5), float("nan")))
