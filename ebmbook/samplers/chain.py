"""Running a sampler: :func:`sample_chain` and the :class:`Trace` it returns."""
from __future__ import annotations

from typing import NamedTuple

import torch

from ..utils import check_int
from .base import Sampler, State

__all__ = ["Trace", "sample_chain"]

FINITE_CHECK_EVERY = 10


class Trace(NamedTuple):
    """The kept draws of a batch of chains.

    Attributes
    ----------
    samples : Tensor ``(n_kept, n_chains, *event_shape)``
    energies : Tensor ``(n_kept, n_chains)``
    acceptance_prob : Tensor ``(n_steps, n_chains)``, the acceptance probability of
        every post-burn-in step (thinned steps included)
    acceptance_rate : float, mean of ``acceptance_prob``
    n_grad_evals : int, gradient evaluations per chain over the whole run
        (initialisation and burn-in included)
    final_state : State, to continue the chains
    """

    samples: torch.Tensor
    energies: torch.Tensor
    acceptance_prob: torch.Tensor
    acceptance_rate: float
    n_grad_evals: int
    final_state: State


def sample_chain(sampler: Sampler, x0: torch.Tensor | State, n_steps: int, *, burn_in: int = 0,
                 thin: int = 1, generator: torch.Generator | None = None,
                 progress: bool = False) -> Trace:
    r"""Run ``burn_in + n_steps`` steps of ``sampler`` on a batch of chains and keep every ``thin``-th draw.

    Chains are advanced together: each step is one batched tensor operation
    over all chains, never a Python loop over chains.

    Parameters
    ----------
    sampler : Sampler
    x0 : Tensor ``(n_chains, *event_shape)`` or a State to continue from
    n_steps : int, steps after burn-in
    burn_in : int, steps discarded first
    thin : int, keep draws ``thin, 2*thin, ...`` after burn-in (``n_steps // thin`` kept)
    generator : torch.Generator, optional; on the chains' device
    progress : bool, show a progress bar

    Returns
    -------
    Trace

    Raises
    ------
    FloatingPointError
        If the chains' energies become NaN or infinite (e.g. an unadjusted step
        size so large that the chains blow up).

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
    if not isinstance(sampler, Sampler):
        raise TypeError(f"sampler must be an ebmbook Sampler, got {type(sampler).__name__}")
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    burn_in = check_int(burn_in, "burn_in", minimum=0)
    thin = check_int(thin, "thin", minimum=1)
    if n_steps < thin:
        raise ValueError(f"n_steps ({n_steps}) must be >= thin ({thin}) to keep any draw")
    if isinstance(x0, State):
        state = x0
        n_grad = 0
    else:
        state = sampler.init(x0)
        n_grad = 1 if sampler.uses_grad else 0
    total = burn_in + n_steps
    steps = range(total)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc=type(sampler).__name__, leave=False)
    # Outputs are allocated once and filled in place: appending per-step tensors to
    # lists and stacking them at the end makes the allocator return and re-fault
    # large buffers every step (measured in benchmarks/bench_langevin.py).
    pos, energy = state.position, state.energy
    n_kept = n_steps // thin
    samples = torch.empty((n_kept, *pos.shape), dtype=pos.dtype, device=pos.device)
    energies = torch.empty((n_kept, *energy.shape), dtype=energy.dtype, device=energy.device)
    acceptance = torch.empty((n_steps, *energy.shape), dtype=energy.dtype, device=energy.device)
    kept = 0
    for t in steps:
        state, info = sampler.step(state, generator=generator)
        # Checking finiteness makes a GPU wait for the result, so check every few steps.
        if (t % FINITE_CHECK_EVERY == 0 or t == total - 1) and not bool(torch.isfinite(state.energy).all()):
            raise FloatingPointError(
                f"{type(sampler).__name__} produced non-finite energies by step {t}: "
                "the chains diverged (reduce the step size)"
            )
        if t >= burn_in:
            acceptance[t - burn_in] = info.acceptance_prob
            if (t - burn_in + 1) % thin == 0:
                samples[kept] = state.position
                energies[kept] = state.energy
                kept += 1
    n_grad += total * sampler.grad_evals_per_step
    return Trace(
        samples=samples,
        energies=energies,
        acceptance_prob=acceptance,
        acceptance_rate=float(acceptance.float().mean()),
        n_grad_evals=n_grad,
        final_state=state,
    )
