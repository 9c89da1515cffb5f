"""Annealed Langevin dynamics: Song & Ermon's toy, the level bookkeeping, the step rule and the cost."""
import math

import pytest
import torch
from scipy import stats

from ebmbook.energies import Gaussian, GaussianMixture, SmoothedMixture, energy_and_grad
from ebmbook.models import NoiseConditionalEnergy
from ebmbook.samplers import ULA, AnnealedLangevin, AnnealedState, State, run, sample_chain

# Song & Ermon (2019), section 3.2 and figure 3: p = 4/5 N((5, 5), I) + 1/5 N((-5, -5), I), chains started
# uniformly on [-8, 8]^2, L = 10 noise levels geometric from 20 to 1 (ermongroup/ncsn, runners/toy_runner.py).
TOY = GaussianMixture(torch.tensor([[5.0, 5.0], [-5.0, -5.0]]), torch.ones(2), torch.tensor([0.8, 0.2]))
TOY_SIGMAS = torch.logspace(math.log10(20.0), 0.0, 10)


def toy_start(n, generator):
    return torch.rand(n, 2, generator=generator) * 16 - 8


def upper_share(x):
    """Share of chains in the (5, 5) half-plane x1 + x2 > 0, where 0.8 of the mass lies."""
    return float((x.sum(1) > 0).double().mean())


def quadratic(x, sigma):
    """A noise-conditional energy with a known gradient: x / (1 + sigma^2) (a smoothed N(0, I))."""
    return 0.5 * x.pow(2).sum(-1) / (1 + sigma**2)


class Counting:
    """Counts the evaluations of a noise-conditional energy (each sampler evaluation is one call)."""

    def __init__(self, energy):
        self.energy, self.calls = energy, 0

    def __call__(self, x, sigma):
        self.calls += 1
        return self.energy(x, sigma)


def test_annealed_langevin_recovers_the_mode_weights_of_the_toy():
    # The mass right of the diagonal is 0.8 under the target p_{sigma_L}; a binomial share of n = 20000
    # chains has standard error sqrt(0.8 * 0.2 / n) = 0.0028, so the tolerance 0.02 is 7 SE. Annealing in
    # finite time biases the share low (the weights freeze once the modes separate): at the paper's own
    # settings (T = 100 steps per level, their epsilon = 0.1, i.e. step_size 0.05 here) the share is
    # 0.778 +- 0.003, too close to the bound; with T = 200 and step_size 0.1 it is 0.793 +- 0.0013
    # (100 000 chains), leaving > 4.5 SE of margin (false failure < 1e-5).
    g = torch.Generator().manual_seed(0)
    sampler = AnnealedLangevin(SmoothedMixture(TOY), sigmas=TOY_SIGMAS, step_size=0.1, n_steps_per_level=200)
    state = run(sampler, toy_start(20000, g), sampler.n_steps, generator=g)
    assert (state.level, state.step) == (9, 200)
    assert abs(upper_share(state.position) - 0.8) < 0.02


def test_plain_langevin_loses_the_mode_weights_of_the_toy():
    # The paper's plain Langevin with exact scores: 1000 steps of epsilon = 0.1 (step_size 0.05 here) on
    # the unsmoothed mixture. Chains stay in the basin they start in, so about half (not 0.8) end right
    # of the diagonal; SE at n = 5000 is 0.007, so "off by more than 0.1" has a margin of 28 SE.
    g = torch.Generator().manual_seed(0)
    state = run(ULA(TOY, step_size=0.05), toy_start(5000, g), 1000, generator=g)
    assert abs(upper_share(state.position) - 0.8) > 0.1


def test_run_goes_through_every_level_once_then_stays_at_the_last():
    sampler = AnnealedLangevin(quadratic, sigmas=[4.0, 2.0, 1.0], step_size=0.01, n_steps_per_level=5)
    assert sampler.n_levels == 3 and sampler.n_steps == 15
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(7, 2, generator=g)
    for n_steps, (level, step) in {0: (0, 0), 4: (0, 4), 5: (1, 0), 9: (1, 4), 14: (2, 4),
                                   15: (2, 5), 23: (2, 13)}.items():
        state = run(sampler, x0, n_steps, generator=g)
        assert (state.level, state.step) == (level, step), n_steps
        # the cached energy and gradient are at the state's level, the one the next step uses
        sigma = torch.full((7,), sampler.sigmas[level])
        e, grad = energy_and_grad(lambda x: quadratic(x, sigma), state.position)
        torch.testing.assert_close(state.energy, e)
        torch.testing.assert_close(state.grad, grad)
    assert isinstance(state, AnnealedState)


def test_each_level_steps_with_alpha_i_and_noise_sqrt_2_alpha_i():
    sigmas, eps = [3.0, 1.5, 0.5], 0.02
    sampler = AnnealedLangevin(quadratic, sigmas=sigmas, step_size=eps, n_steps_per_level=10)
    expected = [eps * s**2 / sigmas[-1] ** 2 for s in sigmas]
    assert sampler.step_sizes == pytest.approx(expected, rel=1e-12)
    x = torch.randn(6, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    for level, alpha in enumerate(expected):
        sigma = torch.full((6,), sigmas[level], dtype=torch.float64)
        e, grad = energy_and_grad(lambda y: quadratic(y, sigma), x)
        torch.testing.assert_close(grad, x / (1 + sigmas[level] ** 2))
        new, info = sampler.step(AnnealedState(x, e, grad, level, 3), generator=torch.Generator().manual_seed(7))
        z = torch.randn(x.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(7))
        torch.testing.assert_close(new.position, x - alpha * grad + math.sqrt(2 * alpha) * z, rtol=1e-12, atol=1e-12)
        assert bool(info.accepted.all()) and bool((info.acceptance_prob == 1).all())


def test_mean_displacement_of_one_step_is_minus_alpha_i_times_the_gradient():
    # 20000 chains at one point: the mean move is -alpha_i grad E(x, sigma_i), its SE sqrt(2 alpha_i / n);
    # z-test per level and coordinate at 1e-4 / 6 (Bonferroni).
    sigmas, eps, n = [3.0, 1.5, 0.5], 0.02, 20000
    sampler = AnnealedLangevin(quadratic, sigmas=sigmas, step_size=eps, n_steps_per_level=10)
    x = torch.tensor([[1.0, -2.0]], dtype=torch.float64).expand(n, 2).clone()
    g = torch.Generator().manual_seed(0)
    for level, alpha in enumerate(sampler.step_sizes):
        sigma = torch.full((n,), sigmas[level], dtype=torch.float64)
        e, grad = energy_and_grad(lambda y: quadratic(y, sigma), x)
        new, _ = sampler.step(AnnealedState(x, e, grad, level, 0), generator=g)
        drift = -alpha * x[0] / (1 + sigmas[level] ** 2)
        z = ((new.position - x).mean(0) - drift) / math.sqrt(2 * alpha / n)
        assert bool((z.abs() < stats.norm.isf(1e-4 / 12)).all()), (level, z)


def test_one_energy_and_gradient_evaluation_per_step_level_changes_included():
    energy = Counting(quadratic)
    sampler = AnnealedLangevin(energy, sigmas=[4.0, 2.0, 1.0, 0.5], step_size=0.01, n_steps_per_level=3)
    x0 = torch.zeros(5, 2)
    run(sampler, x0, sampler.n_steps + 4, generator=torch.Generator().manual_seed(0))
    assert energy.calls == 1 + sampler.n_steps + 4        # init, then one per step: level changes cost nothing
    energy.calls = 0
    trace = sample_chain(sampler, x0, 10, burn_in=3, generator=torch.Generator().manual_seed(0))
    assert trace.n_grad_evals == energy.calls == 14


def test_sample_chain_records_each_draw_at_its_level():
    sigmas, steps = [4.0, 2.0, 1.0], 4
    sampler = AnnealedLangevin(quadratic, sigmas=sigmas, step_size=0.01, n_steps_per_level=steps)
    trace = sample_chain(sampler, torch.ones(6, 2), 14, generator=torch.Generator().manual_seed(0))
    assert trace.samples.shape == (14, 6, 2) and trace.energies.shape == (14, 6)
    assert trace.acceptance_rate == 1.0 and trace.final_state.level == 2
    for t in range(14):
        level = min((t + 1) // steps, len(sigmas) - 1)    # the level after t + 1 steps
        torch.testing.assert_close(trace.energies[t], quadratic(trace.samples[t], torch.tensor(sigmas[level])))


def test_bind_gives_a_configured_copy_and_an_unbound_sampler_refuses_to_start():
    unbound = AnnealedLangevin(sigmas=[2.0, 1.0], step_size=0.05, n_steps_per_level=3)
    assert not unbound.is_bound
    with pytest.raises(RuntimeError, match="bind"):
        unbound.init(torch.zeros(3, 2))
    energy = SmoothedMixture(TOY)
    bound = unbound.bind(energy)
    assert bound.energy is energy and not unbound.is_bound
    assert (bound.sigmas, bound.step_size, bound.n_steps_per_level) == ((2.0, 1.0), 0.05, 3)
    direct = AnnealedLangevin(energy, sigmas=[2.0, 1.0], step_size=0.05, n_steps_per_level=3)
    a = run(bound, torch.ones(4, 2), 8, generator=torch.Generator().manual_seed(2))
    b = run(direct, torch.ones(4, 2), 8, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a.position, b.position)


@pytest.mark.parametrize("energy", [TOY, Gaussian(torch.zeros(2), torch.eye(2)), lambda x: x.pow(2).sum(-1)],
                         ids=["mixture", "gaussian", "lambda"])
def test_a_plain_energy_is_refused_by_name(energy):
    with pytest.raises(TypeError, match="energy.*noise-conditional"):
        AnnealedLangevin(energy, sigmas=[2.0, 1.0], step_size=0.1)
    with pytest.raises(TypeError, match="energy.*noise-conditional"):
        AnnealedLangevin(sigmas=[2.0, 1.0], step_size=0.1).bind(energy)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(step_size=0.1), TypeError, "sigmas"),
    (dict(sigmas=[1.0, 2.0], step_size=0.1), ValueError, "decreasing"),
    (dict(sigmas=[2.0, 2.0], step_size=0.1), ValueError, "decreasing"),
    (dict(sigmas=[2.0, 0.0], step_size=0.1), ValueError, "sigmas"),
    (dict(sigmas=[2.0, -1.0], step_size=0.1), ValueError, "sigmas"),
    (dict(sigmas=[math.nan], step_size=0.1), ValueError, "sigmas"),
    (dict(sigmas=[], step_size=0.1), ValueError, "sigmas"),
    (dict(sigmas=torch.ones(2, 2), step_size=0.1), ValueError, "sigmas"),
    (dict(sigmas=2.0, step_size=0.1), TypeError, "sigmas"),
    (dict(sigmas=[2.0, 1.0]), TypeError, "step_size"),
    (dict(sigmas=[2.0, 1.0], step_size=0.0), ValueError, "step_size"),
    (dict(sigmas=[2.0, 1.0], step_size=0.1, n_steps_per_level=0), ValueError, "n_steps_per_level"),
    (dict(sigmas=[2.0, 1.0], step_size=0.1, n_steps_per_level=2.0), TypeError, "n_steps_per_level"),
])
def test_bad_settings_are_named(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        AnnealedLangevin(quadratic, **kwargs)


def test_a_state_from_another_sampler_or_schedule_is_refused():
    sampler = AnnealedLangevin(quadratic, sigmas=[2.0, 1.0], step_size=0.1, n_steps_per_level=2)
    state = sampler.init(torch.zeros(3, 2))
    with pytest.raises(TypeError, match="state"):
        sampler.step(State(state.position, state.energy, state.grad))
    with pytest.raises(ValueError, match="level"):
        sampler.step(state._replace(level=2))
    with pytest.raises(TypeError, match="level"):
        sampler.step(state._replace(level=torch.tensor(0)))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
def test_runs_on_every_device_and_dtype(device, dtype):
    energy = SmoothedMixture(TOY).to(device)
    sampler = AnnealedLangevin(energy, sigmas=TOY_SIGMAS[::3], step_size=0.1, n_steps_per_level=5)
    g = torch.Generator(device=device).manual_seed(0)
    x0 = torch.rand(64, 2, device=device, dtype=dtype, generator=g) * 16 - 8
    trace = sample_chain(sampler, x0, sampler.n_steps, generator=g)
    assert trace.samples.dtype == dtype and trace.samples.device.type == device.type
    assert bool(torch.isfinite(trace.energies).all())


def test_drives_a_noise_conditional_network():
    torch.manual_seed(0)
    net = NoiseConditionalEnergy(2, hidden=(16,)).double()
    sampler = AnnealedLangevin(net, sigmas=[1.0, 0.5], step_size=0.01, n_steps_per_level=3)
    state = run(sampler, torch.zeros(8, 2, dtype=torch.float64), 6, generator=torch.Generator().manual_seed(0))
    assert state.position.dtype == torch.float64 and (state.level, state.step) == (1, 3)


def test_reverse_diffusion_carries_noise_back_to_the_data_variance():
    # 1-D Gaussian data N(0, s^2): the VE marginals are N(0, s^2 + sigma^2) exactly, so chains started from
    # N(0, s^2 + sigma_1^2) and run to sigma_L must end with variance s^2 + sigma_L^2. With 20 000 chains the
    # sample variance has relative standard error sqrt(2 / n) = 1 %; 200 geometric levels leave a
    # discretisation error below 1 %; 6 % is over 4 standard errors beyond both.
    import math

    from ebmbook.energies import GaussianMixture, SmoothedMixture
    from ebmbook.samplers import ReverseDiffusion, run

    s = 0.5
    data = GaussianMixture(torch.zeros(1, 1, dtype=torch.float64), torch.full((1,), s, dtype=torch.float64))
    sigmas = torch.logspace(math.log10(5.0), math.log10(0.05), 200, dtype=torch.float64)
    reverse = ReverseDiffusion(SmoothedMixture(data), sigmas=sigmas)
    g = torch.Generator().manual_seed(0)
    x0 = math.sqrt(s**2 + 25.0) * torch.randn(20_000, 1, generator=g, dtype=torch.float64)
    state = run(reverse, x0, reverse.n_steps, generator=g)
    assert state.level == len(sigmas) - 1
    assert abs(float(state.position.var()) / (s**2 + 0.05**2) - 1) < 0.06
    assert reverse.n_steps == len(sigmas) - 1
    after = run(reverse, state, 5, generator=g)                      # past the last level: nothing moves
    assert torch.equal(after.position, state.position)
