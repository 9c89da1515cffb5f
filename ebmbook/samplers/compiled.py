"""Opt-in compilation of a sampler's step with :func:`torch.compile` (``run(..., compile=True)``).

What is compiled is the sampler's own ``step`` method, unchanged, with the
inductor backend. Three settings make that compile well and keep the package's
contracts; each was found by trying it (``benchmarks/bench_compile.py``):

* ``torch._dynamo.config.trace_autograd_ops = True`` while the step runs, so the
  ``torch.autograd.grad`` of the energy is traced into the graph (forward and
  backward of the energy become one compiled graph). Without it dynamo breaks
  the graph around every gradient, and little is left to compile.
* Random draws with an explicit ``torch.Generator`` break the graph: dynamo
  cannot put a generator into a graph, so each ``torch.randn``/``torch.rand`` of
  the step runs eagerly, from the caller's generator, in the same order as
  without compilation. Hence the same random numbers.
* ``fallback_random=True`` does the same for draws without a generator (the
  global RNG): inductor would otherwise replace them with its own random stream.

Compiled code lives with dynamo, on the code object of the step function, guarded
on what the trace read. A sampler copy made by ``bind`` or ``copy`` with the same
settings, a new generator, another model of the same architecture and new
parameter values all reuse it. A new shape of the chains, a new dtype or device,
parameters that start or stop requiring gradients, or a new value of a float
setting (dynamo specialises on ``step_size``) compile again, within dynamo's
``recompile_limit`` per function; beyond it dynamo runs the step uncompiled and
warns.
"""
from __future__ import annotations

import contextlib
import functools
from typing import Callable, Iterator

import torch

from .base import Sampler
from .hmc import HMC
from .langevin import MALA, ULA

__all__ = ["check_compile", "compiled_step", "tracing_gradients"]

# Steps known to compile into a few graphs: fixed-size tensor work, no host-side
# control flow. SGLD has ULA's step. NUTS (a tree whose size depends on the data),
# the noise ladders (an integer level that changes every step), Gibbs, tempering
# and the discrete samplers would recompile or break the graph at every step.
_SUPPORTED = {ULA.step: "ULA", MALA.step: "MALA", HMC.step: "HMC"}

BACKEND = "inductor"
OPTIONS = {"fallback_random": True}

_CACHE: dict[Callable, Callable] = {}


def check_compile(compile) -> bool:
    """Refuse anything but ``True``/``False`` for the ``compile`` argument."""
    if not isinstance(compile, bool):
        raise TypeError(f"compile must be True or False, got {compile!r} ({type(compile).__name__})")
    return compile


def compiled_step(sampler: Sampler) -> Callable:
    """``step(state, generator=g)`` of ``sampler``, compiled (cached per step function).

    Raises
    ------
    ValueError
        If the sampler's step is not one that compiles (only ULA, SGLD, MALA
        and HMC, and subclasses that keep their step, are supported).
    RuntimeError
        If ``torch.compile`` is not supported on this Python/platform.
    """
    fn = type(sampler).step
    if fn not in _SUPPORTED:
        raise ValueError(
            f"compile=True supports ULA, SGLD, MALA and HMC, not {type(sampler).__name__}: its step has "
            "host-side, data-dependent control flow (NUTS' tree, an annealing level, discrete updates) "
            "that would recompile or break the graph at every step; use compile=False")
    if not torch._dynamo.is_dynamo_supported():
        raise RuntimeError("compile=True needs torch.compile, which this Python/platform does not "
                           "support; use compile=False")
    compiled = _CACHE.get(fn)
    if compiled is None:
        compiled = _CACHE[fn] = torch.compile(fn, backend=BACKEND, options=OPTIONS)
    return functools.partial(compiled, sampler)


@contextlib.contextmanager
def tracing_gradients() -> Iterator[None]:
    """Let dynamo trace ``torch.autograd.grad`` inside the block (set once around a run's loop).

    Dynamo reads the flag when it traces, i.e. at the first call and at every
    recompilation; entering the block costs ~30 µs, so it wraps the loop, not
    each step. Torch versions without the flag compile with graph breaks at
    the gradient instead.
    """
    config = torch._dynamo.config
    if not hasattr(config, "trace_autograd_ops"):   # pragma: no cover - older torch
        yield
        return
    with config.patch(trace_autograd_ops=True):
        yield
