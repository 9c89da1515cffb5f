"""The sampler contract: reusable parts (bind), open states, run, and the checks that keep chains honest."""
import warnings
from typing import NamedTuple

import pytest
import torch

from ebmbook.energies import Gaussian, Ising, Tempered
from ebmbook.samplers import (HMC, MALA, SGLD, ULA, Gibbs, Info, RandomWalkMetropolis, Sampler,
                              SpinFlipMetropolis, State, run, sample_chain)

GAUSS = Gaussian(torch.zeros(2), torch.eye(2))
UNBOUND = {
    "ULA": lambda: ULA(step_size=0.1),
    "MALA": lambda: MALA(step_size=0.1),
    "HMC": lambda: HMC(step_size=0.2, n_leapfrog=3),
    "RWM": lambda: RandomWalkMetropolis(step_size=0.5),
    "SGLD": lambda: SGLD(step_size=0.1, noise_scale=0.01, clamp=(-3.0, 3.0)),
}


@pytest.mark.parametrize("name", list(UNBOUND))
def test_bind_returns_a_configured_copy(name):
    unbound = UNBOUND[name]()
    assert not unbound.is_bound
    bound = unbound.bind(GAUSS)
    assert bound.is_bound and bound.energy is GAUSS and bound is not unbound
    assert not unbound.is_bound                                   # the original stays reusable
    assert bound.step_size == unbound.step_size
    # a bound copy runs exactly like a sampler built on the energy directly
    direct = type(unbound)(GAUSS, **{k: v for k, v in vars(unbound).items() if k != "energy"})
    a = sample_chain(bound, torch.ones(5, 2), 7, generator=torch.Generator().manual_seed(3))
    b = sample_chain(direct, torch.ones(5, 2), 7, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a.samples, b.samples)
    rebound = bound.bind(Tempered(GAUSS, 2.0))                    # rebinding another energy
    assert rebound.energy.temperature == 2.0 and bound.energy is GAUSS


@pytest.mark.parametrize("name", list(UNBOUND))
def test_unbound_sampler_refuses_to_start(name):
    with pytest.raises(RuntimeError, match="bind"):
        UNBOUND[name]().init(torch.zeros(3, 2))
    with pytest.raises(RuntimeError, match="bind"):
        run(UNBOUND[name](), torch.zeros(3, 2), 2)


def test_bind_rejects_non_callables_and_wrong_energies():
    with pytest.raises(TypeError, match="energy"):
        MALA(step_size=0.1).bind(42)
    with pytest.raises(TypeError, match="couplings"):
        Gibbs().bind(GAUSS)
    gibbs = Gibbs(schedule="checkerboard").bind(Ising.lattice(4))
    assert len(gibbs.classes) == 2


def test_missing_step_size_is_named():
    with pytest.raises(TypeError, match="step_size"):
        MALA(GAUSS)


def test_run_matches_the_final_state_of_sample_chain():
    mala = MALA(GAUSS, step_size=0.3)
    state = run(mala, torch.ones(6, 2), 25, generator=torch.Generator().manual_seed(0))
    trace = sample_chain(mala, torch.ones(6, 2), 25, generator=torch.Generator().manual_seed(0))
    assert torch.equal(state.position, trace.final_state.position)
    assert torch.equal(state.energy, trace.final_state.energy)
    again = run(mala, state, 0)                                  # zero steps from a state: unchanged
    assert again is state


class CountingState(NamedTuple):
    position: torch.Tensor
    energy: torch.Tensor
    n_moves: torch.Tensor


class CountingWalk(Sampler):
    """A sampler with a state of its own: a random walk that counts accepted moves per chain."""

    metropolis = True
    state_type = CountingState

    def init(self, x0):
        base = super().init(x0)
        return CountingState(base.position, base.energy, torch.zeros(x0.shape[0], dtype=torch.long))

    def step(self, state, *, generator=None):
        self._check_state(state)
        inner = RandomWalkMetropolis(self.energy, step_size=0.5)
        new, info = inner.step(State(state.position, state.energy), generator=generator)
        return CountingState(new.position, new.energy, state.n_moves + info.accepted.long()), info


def test_open_states_run_through_run_and_sample_chain():
    walk = CountingWalk(GAUSS)
    trace = sample_chain(walk, torch.zeros(10, 2), 30, generator=torch.Generator().manual_seed(0))
    assert isinstance(trace.final_state, CountingState)
    assert trace.samples.shape == (30, 10, 2)
    moves = trace.final_state.n_moves
    assert bool((moves > 0).all()) and bool((moves <= 30).all())
    cont = run(walk, trace.final_state, 5, generator=torch.Generator().manual_seed(1))
    assert bool((cont.n_moves >= moves).all())


def test_states_that_do_not_fit_are_refused():
    mala = MALA(GAUSS, step_size=0.1)
    rwm_state = RandomWalkMetropolis(GAUSS, step_size=0.1).init(torch.zeros(3, 2))
    with pytest.raises(TypeError, match="gradient"):
        mala.step(rwm_state)
    with pytest.raises(TypeError, match="CountingState"):
        CountingWalk(GAUSS).step(rwm_state)
    with pytest.raises(TypeError, match="x0"):
        sample_chain(mala, (torch.zeros(3, 2),), 3)                # a tuple without position/energy
    with pytest.raises(TypeError, match="x0"):
        run(mala, {"position": torch.zeros(3, 2)}, 3)


def test_nan_gradient_at_the_start_is_refused_not_frozen():
    # E = |x| has a NaN autograd gradient at the origin: MALA/HMC chains started there would
    # reject every proposal forever. init must say so.
    norm = lambda x: x.pow(2).sum(-1).sqrt()
    for sampler in (MALA(norm, step_size=0.1), HMC(norm, step_size=0.1, n_leapfrog=3), ULA(norm, step_size=0.1)):
        with pytest.raises(ValueError, match="gradient.*x0"):
            sampler.init(torch.zeros(4, 2))
    with pytest.raises(ValueError, match="energy is NaN"):
        RandomWalkMetropolis(lambda x: x.sum(-1).log(), step_size=0.1).init(-torch.ones(3, 2))


def test_non_differentiable_energy_is_named():
    with pytest.raises(TypeError, match="differentiable"):
        MALA(lambda x: x.detach().pow(2).sum(-1), step_size=0.1).init(torch.zeros(3, 2))


def test_integer_energy_random_walk():
    energy = lambda x: (x.abs().sum(-1) * 2).floor().long()          # an integer-valued energy
    trace = sample_chain(RandomWalkMetropolis(energy, step_size=0.5), torch.zeros(200, 2), 20,
                         generator=torch.Generator().manual_seed(0))
    assert trace.energies.is_floating_point() and 0.0 < trace.acceptance_rate < 1.0


def test_warns_when_no_proposal_is_ever_accepted():
    stuck = RandomWalkMetropolis(lambda x: 1e6 * x.pow(2).sum(-1), step_size=10.0)
    with pytest.warns(RuntimeWarning, match="no proposal was accepted"):
        sample_chain(stuck, torch.zeros(4, 2), 20, generator=torch.Generator().manual_seed(0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(stuck, torch.zeros(4, 2), 1, generator=torch.Generator().manual_seed(0))   # short runs: silent
        warnings.simplefilter("error")                               # a sampler that moves: silent
        sample_chain(MALA(GAUSS, step_size=0.3), torch.zeros(4, 2), 20, generator=torch.Generator().manual_seed(0))


def test_generator_must_be_a_generator_on_the_chains_device():
    with pytest.raises(TypeError, match="generator"):
        sample_chain(MALA(GAUSS, step_size=0.1), torch.zeros(3, 2), 3, generator=0)
    with pytest.raises(TypeError, match="generator"):
        run(MALA(GAUSS, step_size=0.1), torch.zeros(3, 2), 3, generator=0)


def test_x0_shape_is_blamed_on_x0():
    with pytest.raises(ValueError, match="x0"):
        MALA(GAUSS, step_size=0.1).init(torch.zeros(2))


def test_spin_samplers_take_their_temperature_from_tempered():
    ising = Ising.chain(4)
    for sampler in (SpinFlipMetropolis(Tempered(ising, 2.0)), Gibbs(Tempered(ising, 2.0))):
        assert not hasattr(sampler, "temperature")
    assert isinstance(Info(torch.ones(1), torch.ones(1, dtype=torch.bool)), tuple)
