"""Running a sampler: :func:`run` (final state only), :func:`sample_chain` and the :class:`Trace` it returns.

Both drive the same loop, :func:`_advance`, so the checks every chain run needs
(the finiteness guard, the stuck-chain warning) live in one place. With
``compile=True`` the loop calls the sampler's step compiled by
:func:`torch.compile` (:mod:`ebmbook.samplers.compiled`); the checks stay eager.
"""
from __future__ import annotations

import contextlib
import copy
import warnings
from typing import Iterator, NamedTuple

import torch

from ..utils import check_generator, check_int
from .adapt import DualAveraging
from .base import Info, Sampler, is_state
from .compiled import check_compile, compiled_step, tracing_gradients

__all__ = ["Trace", "run", "sample_chain"]

# Checking finiteness makes a GPU wait for the result, so the loop checks every few steps
# (and at the last one); this is the only host-device synchronisation inside the loop.
FINITE_CHECK_EVERY = 10


class Trace(NamedTuple):
    """The kept draws of a batch of chains.

    Attributes
    ----------
    samples : Tensor ``(n_kept, n_chains, *event_shape)``
    energies : Tensor ``(n_kept, n_chains)``, the bound energy at each kept draw
        (for ``Tempered(E, T)``: :math:`E/T`, whatever the sampler)
    acceptance_prob : Tensor ``(n_steps, n_chains)``, the acceptance probability of
        every post-burn-in step (thinned steps included), floating point
    acceptance_rate : float, mean of ``acceptance_prob``
    n_grad_evals : int, gradient evaluations per chain over the whole run
        (initialisation and burn-in included; for NUTS, the batched count: every
        chain's slot in each batched evaluation)
    final_state : the sampler's state after the last step, to continue the chains
    step_size : float or None, the step size of the kept draws: the adapted one
        with ``adapt=``, else the sampler's own (None for samplers without one)
    """

    samples: torch.Tensor
    energies: torch.Tensor
    acceptance_prob: torch.Tensor
    acceptance_rate: float
    n_grad_evals: int
    final_state: tuple
    step_size: float | None = None


def _start(sampler: Sampler, x0, generator) -> tuple[tuple, int]:
    """Validate the arguments shared by :func:`run` and :func:`sample_chain`; return the state and its cost."""
    if not isinstance(sampler, Sampler):
        raise TypeError(f"sampler must be an ebmbook Sampler, got {type(sampler).__name__}")
    if isinstance(x0, torch.Tensor):
        state = sampler.init(x0)
        n_grad = getattr(sampler, "init_grad_evals", 1 if sampler.uses_grad else 0)
    elif is_state(x0):
        state, n_grad = x0, 0
    else:
        raise TypeError("x0 must be a tensor of starting positions (n_chains, *event_shape) or a sampler state "
                        f"with `position` and `energy` fields, got {type(x0).__name__}")
    check_generator(generator, "generator", device=state.position.device)
    return state, n_grad


def _advance(sampler: Sampler, state, n_total: int, generator, progress: bool,
             warn_stuck: bool = False, compiled=None, compiled_from: int = 0) -> Iterator[tuple[int, tuple, Info]]:
    """Yield ``(t, state, info)`` for ``n_total`` steps; raise if energies go non-finite.

    With ``warn_stuck`` (runs that are read as samples, :func:`sample_chain`), warn if no
    chain ever moved. Short runs inside training and AIS (:func:`run`, often a single
    step) may legitimately reject everything once, so they do not warn. Steps
    ``t >= compiled_from`` call ``compiled`` (the compiled step) when given.
    """
    steps = range(n_total)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc=type(sampler).__name__, leave=False)
    moved = None
    for t in steps:
        step = compiled if compiled is not None and t >= compiled_from else sampler.step
        state, info = step(state, generator=generator)
        if warn_stuck and sampler.metropolis:
            moved = info.accepted if moved is None else moved | info.accepted
        if (t % FINITE_CHECK_EVERY == 0 or t == n_total - 1) and not bool(torch.isfinite(state.energy).all()):
            raise FloatingPointError(
                f"{type(sampler).__name__} produced non-finite energies by step {t}: the chains diverged "
                "(lower step_size; for a network energy, clip gradients or regularise its scale)")
        yield t, state, info
    if moved is not None and n_total > 0 and not bool(moved.any()):
        warnings.warn(
            f"{type(sampler).__name__}: no proposal was accepted in {n_total} steps on any chain, so every "
            "sample equals its start. Likely causes: step_size far too large, or an energy/gradient that is "
            "NaN or infinite at the proposals.", RuntimeWarning, stacklevel=3)


def run(sampler: Sampler, x0, n_steps: int, *, generator: torch.Generator | None = None,
        progress: bool = False, compile: bool = False):
    r"""Advance a batch of chains ``n_steps`` steps and return the final state (nothing is stored).

    The loop of training (short-run negatives), annealing and AIS: it costs
    ``n_steps`` sampler steps and no memory beyond one state.

    Parameters
    ----------
    sampler : Sampler, bound to an energy
    x0 : Tensor ``(n_chains, *event_shape)`` or a state to continue from
    n_steps : int, ``>= 0``
    generator : torch.Generator, optional; on the chains' device
    progress : bool, show a progress bar
    compile : bool, default False
        Run the sampler's step compiled with :func:`torch.compile` (ULA, SGLD,
        MALA, HMC). Same random numbers, results equal to rounding, not bit for
        bit; faster per step, but compiling costs seconds (tens of seconds the
        first time in a process), so it is for long runs. See the notes of
        :func:`sample_chain` for what is compiled, what it guarantees and where
        it helps.

    Returns
    -------
    the sampler's state (``.position`` holds the chains, detached)

    Raises
    ------
    FloatingPointError
        If the chains' energies become NaN or infinite.
    TypeError
        If ``compile`` is not a bool.
    ValueError
        If ``compile=True`` for a sampler whose step does not compile (NUTS, ...).

    Notes
    -----
    Inside the loop the host waits for the device only for the finiteness
    check every ``FINITE_CHECK_EVERY`` steps (and at the last step).

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> from ebmbook.samplers import ULA
    >>> state = run(ULA(Gaussian(torch.zeros(2), torch.eye(2)), step_size=0.1), torch.zeros(8, 2), 50,
    ...             generator=torch.Generator().manual_seed(0))
    >>> state.position.shape
    torch.Size([8, 2])

    Used in chapters 5 to 9.
    """
    use_compile = check_compile(compile)
    state, _ = _start(sampler, x0, generator)
    compiled = compiled_step(sampler) if use_compile else None
    n_steps = check_int(n_steps, "n_steps", minimum=0)
    with tracing_gradients() if compiled is not None else contextlib.nullcontext():
        for _, state, _ in _advance(sampler, state, n_steps, generator, progress, compiled=compiled):
            pass
    return state


def _adaptation(sampler: Sampler, adapt, burn_in: int):
    """Validate ``adapt``; return ``(sampler copy, running scheme, n_adapt)`` or ``(sampler, None, 0)``."""
    if adapt is None:
        return sampler, None, 0
    if not isinstance(adapt, DualAveraging):
        raise TypeError(f"adapt must be None or an ebmbook.samplers.DualAveraging, got {type(adapt).__name__}")
    if not (sampler.metropolis and isinstance(getattr(sampler, "step_size", None), float)):
        raise TypeError(f"adapt tunes the step_size of a Metropolis-type sampler (MALA, HMC, NUTS) to a target "
                        f"acceptance; {type(sampler).__name__} has none to tune")
    n_adapt = burn_in if adapt.n_steps is None else adapt.n_steps
    if n_adapt == 0:
        raise ValueError("adapt needs burn_in > 0: the step size is tuned during burn-in and frozen before "
                         "the kept draws")
    if n_adapt > burn_in:
        raise ValueError(f"adapt.n_steps ({n_adapt}) must be <= burn_in ({burn_in}): adaptation must end "
                         "before the kept draws, so that they come from one fixed Markov kernel")
    target = adapt.target_accept if adapt.target_accept is not None else getattr(sampler, "target_accept", 0.65)
    sampler = copy.copy(sampler)   # the caller's sampler keeps its step size
    return sampler, adapt.start(sampler.step_size, target), n_adapt


def sample_chain(sampler: Sampler, x0, n_steps: int, *, burn_in: int = 0,
                 thin: int = 1, generator: torch.Generator | None = None,
                 progress: bool = False, adapt: DualAveraging | None = None, compile: bool = False) -> Trace:
    r"""Run ``burn_in + n_steps`` steps of ``sampler`` on a batch of chains and keep every ``thin``-th draw.

    Chains are advanced together: each step is one batched tensor operation
    over all chains, never a Python loop over chains.

    Parameters
    ----------
    sampler : Sampler, bound to an energy
    x0 : Tensor ``(n_chains, *event_shape)`` or a state (any sampler state with
        ``position`` and ``energy``) to continue from
    n_steps : int, steps after burn-in
    burn_in : int, steps discarded first
    thin : int, keep draws ``thin, 2*thin, ...`` after burn-in (``n_steps // thin`` kept)
    generator : torch.Generator, optional; on the chains' device
    progress : bool, show a progress bar
    adapt : DualAveraging, optional
        Tune the sampler's ``step_size`` during the first ``adapt.n_steps``
        steps of burn-in (default: all of it), then freeze it; the kept draws
        use the frozen step, reported as ``Trace.step_size``. The sampler
        passed in is not modified.
    compile : bool, default False
        Run the sampler's step compiled with :func:`torch.compile` (inductor).
        Supported for ULA, SGLD, MALA and HMC; see the notes.

    Returns
    -------
    Trace

    Raises
    ------
    FloatingPointError
        If the chains' energies become NaN or infinite (e.g. an unadjusted step
        size so large that the chains blow up).
    ValueError
        If ``adapt`` would run longer than ``burn_in``, or ``compile=True`` for a
        sampler whose step does not compile (NUTS, the annealed and discrete samplers).
    TypeError
        If ``compile`` is not a bool.

    Notes
    -----
    Inside the loop the host waits for the device only for the finiteness
    check every ``FINITE_CHECK_EVERY`` steps, and, with ``adapt``, once per
    adapting step (to read the mean acceptance).

    **compile=True.** What is compiled is the sampler's own ``step``, with the
    gradient of the energy traced into the graph. Its draws from ``generator``
    run eagerly (dynamo breaks the graph at each), and draws from the global RNG
    use torch's own random ops (inductor's ``fallback_random``): either way the
    same numbers, in the same order, as with ``compile=False``. The checks of
    the loop stay eager. The arithmetic is fused by inductor, which changes the
    rounding, so the chains equal those of ``compile=False`` to rounding, **not
    bit for bit**: after 15-30 steps, about 1e-15 apart in float64 (the tests
    require 1e-10) and 1e-6 in float32 (``benchmarks/bench_compile.py``). A
    rounding difference can flip a Metropolis decision whose uniform lies
    within rounding of the acceptance probability (about 1e-7 per chain and
    step in float32); that chain then follows another path with the same law.
    The same generator with ``compile=True`` reproduces its own chains bit for
    bit. With ``adapt``, the adapting steps run eagerly (dynamo specialises on
    ``step_size``, so a step size that changes at every step would recompile
    at every step) and the compiled step takes over at the frozen step size.

    Compiling costs seconds: on a 2-core CPU with a cold inductor cache, 14-18 s
    of inductor start-up once per process plus 5-19 s per sampler type, setting
    value, chain shape, dtype and device (a warm on-disk cache cuts the second
    part to 1-3 s). It is reused by every ``bind`` copy and every model of the
    same architecture, whatever its parameter values, so a training loop calling
    ``run(sampler.bind(model), ..., compile=True)`` at every step compiles once;
    past ``torch._dynamo.config.recompile_limit`` new settings run uncompiled
    with dynamo's warning. Measured gain (``benchmarks/bench_compile.py``, MLP
    energy 2-128-128-1 in float32, 1 CPU thread): a step is 1.3-1.4x faster
    for ULA and MALA and 1.65-1.7x for HMC, at 256 and at 4096 chains
    (1.15-1.7x with 2 threads). The compile time is repaid after roughly 400
    (HMC, 4096 chains) to 40 000 (ULA, MALA, 256 chains) steps: worth it for
    long runs and for training that runs one sampler for many steps, not for
    one short run. Not yet measured on CUDA (run the benchmark with ``--device cuda``).

    Warns
    -----
    RuntimeWarning
        If a Metropolis-type sampler accepted nothing on any chain over the run.

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> from ebmbook.samplers import MALA
    >>> mala = MALA(Gaussian(torch.zeros(2), torch.eye(2)), step_size=0.5)
    >>> trace = sample_chain(mala, torch.zeros(4, 2), 100, burn_in=50,
    ...                      generator=torch.Generator().manual_seed(0))
    >>> trace.samples.shape
    torch.Size([100, 4, 2])

    Used in every chapter that samples.
    """
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    burn_in = check_int(burn_in, "burn_in", minimum=0)
    thin = check_int(thin, "thin", minimum=1)
    if n_steps < thin:
        raise ValueError(f"n_steps ({n_steps}) must be >= thin ({thin}) to keep any draw")
    use_compile = check_compile(compile)
    sampler, adaptation, n_adapt = _adaptation(sampler, adapt, burn_in)
    state, n_grad = _start(sampler, x0, generator)
    compiled = compiled_step(sampler) if use_compile else None
    fixed_cost = sampler.grad_evals_per_step is not None
    # Outputs are allocated once and filled in place: appending per-step tensors to
    # lists and stacking them at the end makes the allocator return and re-fault
    # large buffers every step (measured in benchmarks/bench_langevin.py).
    pos, energy = state.position, state.energy
    prob_dtype = energy.dtype if energy.is_floating_point() else torch.get_default_dtype()
    samples = torch.empty((n_steps // thin, *pos.shape), dtype=pos.dtype, device=pos.device)
    energies = torch.empty((n_steps // thin, *energy.shape), dtype=prob_dtype, device=energy.device)
    acceptance = torch.empty((n_steps, *energy.shape), dtype=prob_dtype, device=energy.device)
    kept = 0
    with tracing_gradients() if compiled is not None else contextlib.nullcontext():
        for t, state, info in _advance(sampler, state, burn_in + n_steps, generator, progress, warn_stuck=True,
                                       compiled=compiled, compiled_from=n_adapt):
            if not fixed_cost:   # NUTS: the tree size varies from step to step (a host-side int)
                n_grad += info.n_grad_evals
            if t < n_adapt:
                sampler.step_size = adaptation.update(float(info.acceptance_prob.mean()))
                if t == n_adapt - 1:
                    sampler.step_size = adaptation.final_step_size
            if t >= burn_in:
                acceptance[t - burn_in] = info.acceptance_prob
                if (t - burn_in + 1) % thin == 0:
                    samples[kept] = state.position
                    energies[kept] = state.energy
                    kept += 1
    return Trace(
        samples=samples,
        energies=energies,
        acceptance_prob=acceptance,
        acceptance_rate=float(acceptance.mean()),
        n_grad_evals=n_grad + ((burn_in + n_steps) * sampler.grad_evals_per_step if fixed_cost else 0),
        final_state=state,
        step_size=getattr(sampler, "step_size", None) if isinstance(getattr(sampler, "step_size", None), float)
        else None,
    )
