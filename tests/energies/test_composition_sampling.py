"""Samplers on composed energies (the 2-D toys of Du et al., 2023) against grid quadrature.

Each check is a Bonferroni-combined chi-square test (2-D histogram and four projections) of the
final states of 4000 independent chains at false-failure probability ALPHA. Metropolis-corrected
samplers must pass; ULA at the same step size is biased and must be caught by the same test.
"""
import math

import pytest
import torch
from conftest import ALPHA

from ebmbook.energies import GaussianMixture, Mixture, Negation, Product, SoftBox
from ebmbook.exact import grid_quadrature
from ebmbook.metrics import grid_chi_square
from ebmbook.samplers import HMC, MALA, ULA, run

D64 = torch.float64


@pytest.fixture(autouse=True)
def one_thread():
    """Small batched chains: on a loaded CPU, extra intra-op threads cost far more than they save."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
N_CHAINS, N_STEPS, STEP = 4000, 1000, 0.015


def box(lo, hi, edge=0.1):
    return SoftBox(torch.tensor(lo, dtype=D64), torch.tensor(hi, dtype=D64), edge)


def toy(name):
    """The composed energy, the quadrature box and resolution (cells align with the walls), the start box."""
    vbar, hbar = box([-0.5, -3.5], [0.5, 3.5]), box([-3.5, -0.5], [3.5, 0.5])
    if name == "and":
        angles = torch.arange(8, dtype=D64) * math.pi / 4
        ring = GaussianMixture(2.83 * torch.stack([angles.cos(), angles.sin()], 1), torch.full((8,), 0.35, dtype=D64))
        return Product([ring, vbar]), ((-1.5, 1.5), (-4.5, 4.5), 300), ((-0.5, 0.5), (-3.5, 3.5))
    if name == "or":
        return Mixture([vbar, hbar]), ((-4.0, 4.0), (-4.0, 4.0), 320), ((-3.5, 3.5), (-3.5, 3.5))
    background = box([-6.0, -6.0], [6.0, 6.0], edge=1.0)
    square = Mixture.of_densities([box([-1.5, -1.5], [1.5, 1.5]), background], [0.5, 0.5])
    return Negation(box([-3.0, -3.0], [3.0, 3.0]), square, alpha=1.0), ((-4.0, 4.0), (-4.0, 4.0), 320), \
        ((-3.0, 3.0), (-3.0, 3.0))


def final_states(sampler, start, n_steps, seed, n_chains=N_CHAINS):
    g = torch.Generator().manual_seed(seed)
    x0 = torch.stack([torch.empty(n_chains, dtype=D64).uniform_(*lim, generator=g) for lim in start], 1)
    return run(sampler, x0, n_steps, generator=g).position


def fit(name, sampler, n_steps=N_STEPS, seed=0, n_chains=N_CHAINS):
    energy, (xlim, ylim, res), start = toy(name)
    grid = grid_quadrature(energy, xlim, ylim, res)
    return grid_chi_square(final_states(sampler.bind(energy), start, n_steps, seed, n_chains), grid, n_bins=20)


@pytest.mark.parametrize("name", ["and", "or", "not"])
def test_mala_samples_every_composition_exactly(name):
    assert fit(name, MALA(step_size=STEP)).p_value >= ALPHA


@pytest.mark.parametrize("name", ["and", "not"])
def test_hmc_samples_compositions_exactly(name):
    assert fit(name, HMC(step_size=0.1, n_leapfrog=5), n_steps=300).p_value >= ALPHA


@pytest.mark.parametrize("name", ["and", "or", "not"])
def test_ula_at_the_same_step_is_caught(name):
    # the walls have curvature 1 / 0.1^2 = 100, so step 0.015 overshoots them: ULA's stationary law
    # puts the wrong mass in the walls (measured in chapter 9); 10000 chains give the test the power to see it
    assert fit(name, ULA(step_size=STEP), n_chains=10000).p_value < ALPHA


def test_grid_chi_square_catches_the_wrong_density():
    energy, (xlim, ylim, res), start = toy("or")
    grid = grid_quadrature(energy, xlim, ylim, res)
    lopsided = final_states(MALA(Mixture(list(energy.parts), [0.4, 0.6]), step_size=STEP), start, N_STEPS, 1)
    assert grid_chi_square(lopsided, grid, n_bins=20).p_value < ALPHA
