"""Bad input to ``ebmbook.samplers``: settings, starting points, states, generators, run/sample_chain."""
from __future__ import annotations

import functools
import math

import torch

from ebmbook import samplers as S
from ebmbook.energies import Gaussian, Ising, Tempered

from .harness import TV, R, T, V


@functools.cache  # energies are never changed by a case: build each once
def gauss():
    return Gaussian(torch.zeros(2), torch.eye(2))


def square(x):
    return x.pow(2).sum(-1)


def detached(x):
    return x.detach().pow(2).sum(-1)


def mala():
    return S.MALA(gauss(), step_size=0.1)


def rwm():
    return S.RandomWalkMetropolis(gauss(), step_size=0.5)


def rwm_state():
    return rwm().init(torch.zeros(3, 2))


def buffer():
    return S.ReplayBuffer(8, (2,), generator=torch.Generator().manual_seed(0))


def push(x, idx):
    return buffer().push(x, idx)


X0 = torch.zeros(3, 2)
NAN_X0 = torch.tensor([[0.0, math.nan], [0.0, 0.0]])
INF_X0 = torch.tensor([[math.inf, 0.0]])
EMPTY_X0 = torch.zeros(0, 2)
SPINS = torch.ones(2, 4)

# samplers on the 2-D Gaussian, each with a factory: every one gets the same starting-point cases
CONTINUOUS = {
    "RandomWalkMetropolis": lambda energy=None: S.RandomWalkMetropolis(energy or gauss(), step_size=0.5),
    "ULA": lambda energy=None: S.ULA(energy or gauss(), step_size=0.1),
    "MALA": lambda energy=None: S.MALA(energy or gauss(), step_size=0.1),
    "HMC": lambda energy=None: S.HMC(energy or gauss(), step_size=0.1, n_leapfrog=2),
    "SGLD": lambda energy=None: S.SGLD(energy or gauss(), step_size=0.1, noise_scale=0.01),
}
BAD_X0 = {
    "x0-list": (T, [[0.0, 0.0]]),
    "x0-none": (T, None),
    "x0-nan": (V, NAN_X0),
    "x0-inf": (V, INF_X0),
    "x0-empty": (V, EMPTY_X0),
    "x0-1d": (V, torch.zeros(2)),
    "x0-scalar": (V, torch.tensor(0.0)),
    "x0-wrong-event": (V, torch.zeros(3, 5)),
    "x0-int": (T, torch.zeros(3, 2, dtype=torch.long)),
    "x0-bool": (T, torch.zeros(3, 2, dtype=torch.bool)),
    "x0-complex": (T, torch.zeros(3, 2, dtype=torch.complex64)),
}

CASES = []
for _name, _make in CONTINUOUS.items():
    _target = f"samplers.{_name}"
    for _what, (_kind, _x0) in BAD_X0.items():
        CASES.append(_kind(_target, f"init-{_what}", lambda m=_make, x=_x0: m().init(x), "x0"))
    CASES += [
        R(_target, "init-unbound", lambda m=_make: type(m())(step_size=0.1).init(X0), "bind"),
        T(_target, "step-not-a-state", lambda m=_make: m().step(X0), "state"),
        T(_target, "step-int-generator", lambda m=_make: m().step(m().init(X0), generator=0), "generator"),
        T(_target, "bind-not-callable", lambda m=_make: type(m())(step_size=0.1).bind("gauss"), "energy"),
        T(_target, "step-size-missing", lambda m=_make: type(m())(gauss()), "step_size"),
        V(_target, "step-size-negative", lambda m=_make: type(m())(gauss(), step_size=-0.1), "step_size"),
        V(_target, "step-size-nan", lambda m=_make: type(m())(gauss(), step_size=math.nan), "step_size"),
        T(_target, "step-size-str", lambda m=_make: type(m())(gauss(), step_size="0.1"), "step_size"),
        V(_target, "x0-1d-blamed-on-x0", lambda m=_make: m(square).init(torch.zeros(2)), "x0"),
        V(_target, "energy-wrong-shape", lambda m=_make: m(lambda x: x.pow(2).sum()).init(X0), "energy"),
        V(_target, "energy-not-a-tensor", lambda m=_make: m(lambda x: x.tolist()).init(X0), "energy"),
    ]
    if _name != "RandomWalkMetropolis":   # the gradient samplers
        CASES += [
            T(_target, "not-differentiable", lambda m=_make: m(detached).init(X0), "differentiable"),
            T(_target, "step-with-rwm-state", lambda m=_make: m().step(rwm_state()), "state"),
        ]

CASES += [
    # -- the base class and its helpers -------------------------------------------------------------
    T("samplers.Sampler", "energy-not-callable", lambda: S.Sampler(5), "energy"),
    R("samplers.Sampler", "init-unbound", lambda: S.Sampler().init(X0), "bind"),
    T("samplers.Sampler", "bind-none", lambda: S.MALA(step_size=0.1).bind(None), "energy"),
    T("samplers.metropolis_accept", "list", lambda: S.metropolis_accept([0.0, -1.0], None), "log_ratio"),
    T("samplers.metropolis_accept", "int-generator", lambda: S.metropolis_accept(torch.zeros(3), 0), "generator"),
    # -- settings of each sampler -------------------------------------------------------------------
    TV("samplers.ULA", "noise-scale-str", lambda: S.ULA(gauss(), step_size=0.1, noise_scale="0.1"), "noise_scale"),
    V("samplers.ULA", "noise-scale-negative", lambda: S.ULA(gauss(), step_size=0.1, noise_scale=-1.0), "noise_scale"),
    V("samplers.ULA", "noise-scale-inf", lambda: S.ULA(gauss(), step_size=0.1, noise_scale=math.inf), "noise_scale"),
    V("samplers.SGLD", "grad-clip-zero", lambda: S.SGLD(step_size=0.1, grad_clip=0.0), "grad_clip"),
    V("samplers.SGLD", "clamp-reversed", lambda: S.SGLD(step_size=0.1, clamp=(1.0, -1.0)), "clamp"),
    V("samplers.SGLD", "clamp-nan", lambda: S.SGLD(step_size=0.1, clamp=(0.0, math.nan)), "clamp"),
    TV("samplers.SGLD", "clamp-str", lambda: S.SGLD(step_size=0.1, clamp=("a", "b")), "clamp"),
    TV("samplers.SGLD", "clamp-number", lambda: S.SGLD(step_size=0.1, clamp=1.0), "clamp"),
    V("samplers.HMC", "n-leapfrog-zero", lambda: S.HMC(step_size=0.1, n_leapfrog=0), "n_leapfrog"),
    T("samplers.HMC", "n-leapfrog-float", lambda: S.HMC(step_size=0.1, n_leapfrog=2.0), "n_leapfrog"),
    V("samplers.HMC", "mass-zero", lambda: S.HMC(step_size=0.1, mass=0.0), "mass"),
    V("samplers.leapfrog", "n-steps-zero",
      lambda: S.leapfrog(gauss(), X0, X0, X0, step_size=0.1, n_steps=0), "n_steps"),
    V("samplers.leapfrog", "step-size-negative",
      lambda: S.leapfrog(gauss(), X0, X0, X0, step_size=-0.1, n_steps=2), "step_size"),
    V("samplers.leapfrog", "mass-zero",
      lambda: S.leapfrog(gauss(), X0, X0, X0, step_size=0.1, n_steps=2, mass=0.0), "mass"),
    V("samplers.leapfrog", "momentum-shape",
      lambda: S.leapfrog(gauss(), X0, torch.zeros(3, 1), X0, step_size=0.1, n_steps=2), "momentum"),
    V("samplers.leapfrog", "grad-shape",
      lambda: S.leapfrog(gauss(), X0, X0, torch.zeros(2), step_size=0.1, n_steps=2), "grad"),
    T("samplers.leapfrog", "position-list",
      lambda: S.leapfrog(gauss(), [[0.0, 0.0]], X0, X0, step_size=0.1, n_steps=2), "position"),
    T("samplers.leapfrog", "energy-not-callable",
      lambda: S.leapfrog(None, X0, X0, X0, step_size=0.1, n_steps=2), "energy"),
    # -- spin samplers ----------------------------------------------------------------------------------
    T("samplers.SpinFlipMetropolis", "temperature-as-flips",
      lambda: S.SpinFlipMetropolis(Ising.chain(4), 2.0), "Tempered"),
    V("samplers.SpinFlipMetropolis", "flips-zero", lambda: S.SpinFlipMetropolis(Ising.chain(4), 0), "flips_per_step"),
    T("samplers.SpinFlipMetropolis", "energy-not-callable", lambda: S.SpinFlipMetropolis(4), "energy"),
    V("samplers.SpinFlipMetropolis", "init-bits", lambda: S.SpinFlipMetropolis(Ising.chain(4)).init(SPINS * 0), "x0"),
    V("samplers.SpinFlipMetropolis", "init-1d", lambda: S.SpinFlipMetropolis(Ising.chain(4)).init(torch.ones(4)), "x0"),
    V("samplers.SpinFlipMetropolis", "init-empty",
      lambda: S.SpinFlipMetropolis(Ising.chain(4)).init(torch.ones(0, 4)), "x0"),
    V("samplers.SpinFlipMetropolis", "init-wrong-n",
      lambda: S.SpinFlipMetropolis(Ising.chain(4)).init(torch.ones(2, 5)), "s|x0"),
    T("samplers.SpinFlipMetropolis", "init-list", lambda: S.SpinFlipMetropolis(Ising.chain(4)).init([[1.0] * 4]), "x0"),
    R("samplers.SpinFlipMetropolis", "init-unbound", lambda: S.SpinFlipMetropolis().init(SPINS), "bind"),
    T("samplers.SpinFlipMetropolis", "step-int-generator",
      lambda: S.SpinFlipMetropolis(Ising.chain(4)).step(S.SpinFlipMetropolis(Ising.chain(4)).init(SPINS), generator=3),
      "generator"),
    T("samplers.Gibbs", "temperature-as-schedule", lambda: S.Gibbs(Ising.chain(4), 2.0), "Tempered"),
    V("samplers.Gibbs", "schedule-unknown", lambda: S.Gibbs(Ising.chain(4), "diagonal"), "schedule"),
    T("samplers.Gibbs", "energy-not-ising", lambda: S.Gibbs(gauss()), "couplings"),
    T("samplers.Gibbs", "tempered-gaussian", lambda: S.Gibbs(Tempered(gauss(), 2.0)), "couplings"),
    V("samplers.Gibbs", "init-wrong-n", lambda: S.Gibbs(Ising.chain(4)).init(torch.ones(2, 5)), "x0"),
    V("samplers.Gibbs", "init-non-spins", lambda: S.Gibbs(Ising.chain(4)).init(SPINS * 0.5), "x0"),
    V("samplers.Gibbs", "init-empty", lambda: S.Gibbs(Ising.chain(4)).init(torch.ones(0, 4)), "x0"),
    T("samplers.Gibbs", "init-none", lambda: S.Gibbs(Ising.chain(4)).init(None), "x0"),
    R("samplers.Gibbs", "init-unbound", lambda: S.Gibbs().init(SPINS), "bind"),
    T("samplers.Gibbs", "step-int-generator",
      lambda: S.Gibbs(Ising.chain(4)).step(S.Gibbs(Ising.chain(4)).init(SPINS), generator=0), "generator"),
    T("samplers.Gibbs", "step-not-a-state", lambda: S.Gibbs(Ising.chain(4)).step(SPINS), "state"),
    T("samplers.colour_classes", "list", lambda: S.colour_classes([[0, 1], [1, 0]]), "couplings"),
    V("samplers.colour_classes", "not-square", lambda: S.colour_classes(torch.ones(2, 3)), "couplings"),
    V("samplers.colour_classes", "1-d", lambda: S.colour_classes(torch.ones(3)), "couplings"),
    # -- run and sample_chain -----------------------------------------------------------------------------
    T("samplers.run", "sampler-str", lambda: S.run("MALA", X0, 3), "sampler"),
    T("samplers.run", "x0-list", lambda: S.run(mala(), [[0.0, 0.0]], 3), "x0"),
    T("samplers.run", "x0-dict", lambda: S.run(mala(), {"position": X0}, 3), "x0"),
    V("samplers.run", "x0-nan", lambda: S.run(mala(), NAN_X0, 3), "x0"),
    V("samplers.run", "x0-empty", lambda: S.run(mala(), EMPTY_X0, 3), "x0"),
    V("samplers.run", "x0-1d", lambda: S.run(S.MALA(square, step_size=0.1), torch.zeros(2), 3), "x0"),
    V("samplers.run", "n-steps-negative", lambda: S.run(mala(), X0, -1), "n_steps"),
    T("samplers.run", "n-steps-float", lambda: S.run(mala(), X0, 2.0), "n_steps"),
    T("samplers.run", "int-generator", lambda: S.run(mala(), X0, 3, generator=0), "generator"),
    R("samplers.run", "unbound", lambda: S.run(S.MALA(step_size=0.1), X0, 3), "bind"),
    T("samplers.run", "other-samplers-state", lambda: S.run(mala(), rwm_state(), 2), "state"),
    T("samplers.sample_chain", "sampler-none", lambda: S.sample_chain(None, X0, 3), "sampler"),
    T("samplers.sample_chain", "x0-tuple", lambda: S.sample_chain(mala(), (X0,), 3), "x0"),
    V("samplers.sample_chain", "x0-inf", lambda: S.sample_chain(mala(), INF_X0, 3), "x0"),
    V("samplers.sample_chain", "n-steps-zero", lambda: S.sample_chain(mala(), X0, 0), "n_steps"),
    V("samplers.sample_chain", "burn-in-negative", lambda: S.sample_chain(mala(), X0, 3, burn_in=-1), "burn_in"),
    V("samplers.sample_chain", "thin-zero", lambda: S.sample_chain(mala(), X0, 3, thin=0), "thin"),
    V("samplers.sample_chain", "thin-above-n-steps", lambda: S.sample_chain(mala(), X0, 3, thin=5), "thin"),
    T("samplers.sample_chain", "int-generator", lambda: S.sample_chain(mala(), X0, 3, generator=0), "generator"),
    R("samplers.sample_chain", "unbound", lambda: S.sample_chain(S.HMC(step_size=0.1), X0, 3), "bind"),
    T("samplers.sample_chain", "other-samplers-state", lambda: S.sample_chain(mala(), rwm_state(), 2), "state"),
    # -- the replay buffer ---------------------------------------------------------------------------------
    V("samplers.ReplayBuffer", "capacity-zero", lambda: S.ReplayBuffer(0, (2,)), "capacity"),
    T("samplers.ReplayBuffer", "capacity-float", lambda: S.ReplayBuffer(2.5, (2,)), "capacity"),
    V("samplers.ReplayBuffer", "event-shape-zero", lambda: S.ReplayBuffer(4, (2, 0)), "event_shape"),
    T("samplers.ReplayBuffer", "event-shape-int", lambda: S.ReplayBuffer(4, 2), "event_shape"),
    V("samplers.ReplayBuffer", "reinit-prob", lambda: S.ReplayBuffer(4, (2,), reinit_prob=1.5), "reinit_prob"),
    T("samplers.ReplayBuffer", "init-not-callable", lambda: S.ReplayBuffer(4, (2,), init="uniform"), "init"),
    V("samplers.ReplayBuffer", "init-wrong-shape", lambda: S.ReplayBuffer(4, (2,), init=lambda *a: torch.zeros(4, 3)),
      "init"),
    T("samplers.ReplayBuffer", "dtype-int", lambda: S.ReplayBuffer(4, (2,), dtype=torch.int64), "dtype"),
    T("samplers.ReplayBuffer", "int-generator", lambda: S.ReplayBuffer(4, (2,), generator=0), "generator"),
    TV("samplers.ReplayBuffer", "bad-device", lambda: S.ReplayBuffer(4, (2,), device="nonsense"), "device"),
    T("samplers.ReplayBuffer", "init-returns-int",
      lambda: S.ReplayBuffer(4, (2,), init=lambda n, shape, g, d: torch.zeros(n, *shape, dtype=torch.long)), "init"),
    V("samplers.ReplayBuffer", "sample-zero", lambda: buffer().sample(0), "n"),
    T("samplers.ReplayBuffer", "sample-int-generator", lambda: buffer().sample(4, generator=0), "generator"),
    V("samplers.ReplayBuffer", "push-shape", lambda: push(torch.zeros(2, 3), torch.tensor([0, 1])), "x"),
    V("samplers.ReplayBuffer", "push-nan", lambda: push(NAN_X0, torch.tensor([0, 1])), "x"),
    T("samplers.ReplayBuffer", "push-list", lambda: push([[0.0, 0.0]], torch.tensor([0])), "x"),
    T("samplers.ReplayBuffer", "push-idx-list", lambda: push(torch.zeros(2, 2), [0, 1]), "idx"),
    V("samplers.ReplayBuffer", "push-idx-out-of-range", lambda: push(torch.zeros(2, 2), torch.tensor([0, 8])), "idx"),
    T("samplers.ReplayBuffer", "push-idx-float", lambda: push(torch.zeros(2, 2), torch.tensor([0.0, 1.0])), "idx"),
    T("samplers.ReplayBuffer", "to-int-dtype", lambda: buffer().to(dtype=torch.int64), "dtype"),
    TV("samplers.ReplayBuffer", "to-bad-device", lambda: buffer().to("nonsense"), "device"),
    TV("samplers.ReplayBuffer", "load-empty-state", lambda: buffer().load_state_dict({}), "state|buffer"),
    T("samplers.ReplayBuffer", "load-str-state", lambda: buffer().load_state_dict("buffer"), "state"),
    TV("samplers.ReplayBuffer", "load-list-buffer",
       lambda: buffer().load_state_dict({"buffer": [[0.0, 0.0]] * 8, "reinit_prob": 0.1}), "buffer"),
    V("samplers.ReplayBuffer", "load-bad-reinit-prob",
      lambda: buffer().load_state_dict({"buffer": torch.zeros(8, 2), "reinit_prob": 2.0}), "reinit_prob"),
    T("samplers.uniform_noise", "low-str", lambda: S.uniform_noise("a", 1.0), "low"),
    V("samplers.uniform_noise", "reversed", lambda: S.uniform_noise(1.0, -1.0), "low"),
    V("samplers.uniform_noise", "high-inf", lambda: S.uniform_noise(0.0, math.inf), "high"),
]
