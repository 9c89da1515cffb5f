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
from ebmbook.energies import Ising, Tempered
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
    """Deliberately broken: uses exp(-dE / 2), i.e. samples at twice the temperature."""

    def log_acceptance_ratio(self, energy_current, energy_proposed):
        return -(energy_proposed - energy_current) / 2


def final_state_p_value(sampler, model, n, temperature, device, steps, seed=0):
    g = torch.Generator(device=device).manual_seed(seed)
    x0 = torch.where(torch.rand(N_CHAINS, n, generator=g, device=device) < 0.5, -1.0, 1.0)
    trace = sample_chain(sampler, x0, 1, burn_in=steps, generator=g)
    probs = exact.probabilities(model, n, temperature=temperature)
    return discrete_chi_square(state_index(trace.samples[-1]), probs).p_value


def make_sampler(kind, model, temperature, n):
    """The one temperature rule: every spin sampler targets exp(-E/T) through Tempered(E, T)."""
    if kind == "metropolis":
        return SpinFlipMetropolis(Tempered(model, temperature), flips_per_step=n)
    return Gibbs(Tempered(model, temperature), schedule=kind)


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
    sampler = HalvedRatioMetropolis(model, flips_per_step=6)
    assert final_state_p_value(sampler, model, 6, 1.0, device, steps=60) < ALPHA


def test_gibbs_at_temperature():
    # At T = 0.5 these frustrated couplings trap chains for tens of sweeps
    # (60 sweeps fail the check, as they should); 600 sweeps leave no trace.
    model = random_ising(5, seed=4, scale=1.0)
    for T in (0.5, 2.0):
        sampler = make_sampler("sequential", model, T, 5)
        assert final_state_p_value(sampler, model, 5, T, torch.device("cpu"), steps=600, seed=2) > ALPHA


def test_checkerboard_colours_a_lattice_in_two_independent_sets():
    model = Ising.lattice(6)
    classes = colour_classes(model.couplings)
    assert len(classes) == 2
    for sites in classes:
        assert not bool((model.couplings[sites][:, sites] != 0).any())


def test_same_seed_same_chain(device):
    model = Ising.lattice(4).to(device)
    hot = Tempered(model, 2.0)
    for sampler in (SpinFlipMetropolis(hot, 4), Gibbs(hot, "random"), Gibbs(hot, "checkerboard")):
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
    with pytest.raises(TypeError, match="Tempered"):
        Gibbs(model, 2.0)
    with pytest.raises(TypeError, match="Tempered"):
        SpinFlipMetropolis(model, 2.5)
    with pytest.raises(TypeError):
        Gibbs(model, temperature=2.0)
    with pytest.raises(ValueError, match="schedule"):
        Gibbs(model, schedule="diagonal")
    with pytest.raises(TypeError, match="Ising"):
        Gibbs(lambda s: s.sum(-1))
    with pytest.raises(ValueError, match="flips_per_step"):
        SpinFlipMetropolis(model, flips_per_step=0)
    with pytest.raises(ValueError, match="x0"):
        SpinFlipMetropolis(model).init(torch.full((2, 5), float("nan")))


@pytest.mark.parametrize("kind", ["metropolis", "checkerboard", "sequential"])
def test_tempered_spin_samplers_match_exact_at_T_2_5(kind, device):
    # The one temperature rule on a random 8-spin model at T = 2.5: chi-square at ALPHA.
    model = random_ising(8, seed=3, scale=1.0).to(device)
    sampler = make_sampler(kind, model, 2.5, 8)
    assert final_state_p_value(sampler, model, 8, 2.5, device, steps=60, seed=4) > ALPHA


def test_tempered_spin_samplers_report_the_same_energy_scale():
    # Both samplers' states and traces hold the tempered energy E/T (not E), so traces compare.
    model = random_ising(8, seed=3, scale=1.0)
    hot = Tempered(model, 2.5)
    x0 = torch.where(torch.rand(64, 8, generator=torch.Generator().manual_seed(0)) < 0.5, -1.0, 1.0).double()
    for sampler in (SpinFlipMetropolis(hot, flips_per_step=8), Gibbs(hot, schedule="checkerboard")):
        trace = sample_chain(sampler, x0, 5, generator=torch.Generator().manual_seed(1))
        torch.testing.assert_close(trace.energies[-1], model(trace.samples[-1]) / 2.5)


def test_tempered_ising_is_an_ising_model_with_scaled_parameters():
    model = random_ising(5, seed=0, scale=1.0)
    hot = Tempered(Tempered(model, 2.0), 1.5)          # nested: T = 3
    s = torch.where(torch.rand(7, 5, generator=torch.Generator().manual_seed(0)) < 0.5, -1.0, 1.0).double()
    torch.testing.assert_close(hot.couplings, model.couplings / 3.0)
    torch.testing.assert_close(hot.field, model.field / 3.0)
    torch.testing.assert_close(hot.local_field(s), model.local_field(s) / 3.0)
    quadratic = -0.5 * ((s @ hot.couplings) * s).sum(-1) - s @ hot.field
    torch.testing.assert_close(hot(s), quadratic)


def test_integer_energy_keeps_fractional_acceptance():
    # An integer-valued energy (Ising with integer couplings, evaluated on int spins) must not
    # truncate acceptance probabilities to 0/1.
    J = torch.zeros(6, 6, dtype=torch.int64)
    idx = torch.arange(5)
    J[idx, idx + 1] = 1
    J = J + J.T

    def int_energy(s):
        si = s.round().long()
        return -((si @ J) * si).sum(-1) // 2

    x0 = torch.ones(500, 6)
    trace = sample_chain(SpinFlipMetropolis(int_energy, flips_per_step=6), x0, 20,
                         generator=torch.Generator().manual_seed(0))
    assert trace.acceptance_prob.is_floating_point()
    probs = trace.acceptance_prob.unique()
    assert bool(((probs > 0) & (probs < 1)).any())   # exp(-2), exp(-4) per flip are fractional
