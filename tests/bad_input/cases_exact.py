"""Bad input to ``ebmbook.exact`` (enumeration and quadrature)."""
from __future__ import annotations

import functools
import math

import torch

from ebmbook import exact as X
from ebmbook.energies import Gaussian, Ising
from ebmbook.models import MLPEnergy

from .harness import TV, T, V

ENUM = "ebmbook/exact/enumeration.py"
QUAD = "ebmbook/exact/quadrature.py"


@functools.cache  # energies are never changed by a case: build each once
def chain():
    return Ising.chain(3)


@functools.cache  # energies are never changed by a case: build each once
def gauss():
    return Gaussian(torch.zeros(2), torch.eye(2))


def grid(resolution=8, xlim=(-3.0, 3.0)):
    return X.grid_quadrature(gauss(), xlim=xlim, ylim=(-3.0, 3.0), resolution=resolution)


def float32_sequential():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0))


def finite_float(result) -> bool:
    return isinstance(result, float) and math.isfinite(result)


CASES = [
    V("exact.boltzmann_weights", "2d", lambda: X.boltzmann_weights(torch.zeros(2, 2)), "energies"),
    V("exact.boltzmann_weights", "empty", lambda: X.boltzmann_weights(torch.zeros(0)), "energies"),
    V("exact.boltzmann_weights", "nan", lambda: X.boltzmann_weights(torch.tensor([0.0, math.nan])), "energies"),
    V("exact.boltzmann_weights", "inf", lambda: X.boltzmann_weights([0.0, math.inf]), "energies"),
    T("exact.boltzmann_weights", "str", lambda: X.boltzmann_weights("abc"), "energies"),
    TV("exact.boltzmann_weights", "none", lambda: X.boltzmann_weights(None), "energies"),
    T("exact.boltzmann_weights", "complex", lambda: X.boltzmann_weights(torch.zeros(3, dtype=torch.complex64)),
      "energies"),
    V("exact.boltzmann_weights", "temperature-zero", lambda: X.boltzmann_weights([0.0, 1.0], 0.0), "temperature"),
    T("exact.boltzmann_weights", "temperature-str", lambda: X.boltzmann_weights([0.0, 1.0], "1"), "temperature"),
    V("exact.iter_states", "n-zero", lambda: next(X.iter_states(0)), "n"),
    V("exact.iter_states", "n-too-large", lambda: next(X.iter_states(31)), "n"),
    T("exact.iter_states", "n-str", lambda: next(X.iter_states("3")), "n"),
    V("exact.iter_states", "values-unknown", lambda: next(X.iter_states(3, "bits")), "values"),
    V("exact.iter_states", "chunk-size-zero", lambda: next(X.iter_states(3, chunk_size=0)), "chunk_size"),
    T("exact.iter_states", "dtype-str", lambda: next(X.iter_states(3, dtype="float")), "dtype"),
    V("exact.all_states", "n-30-memory", lambda: X.all_states(30), "GB", cap_memory=True),
    V("exact.all_states", "n-zero", lambda: X.all_states(0), "n"),
    V("exact.all_states", "values-unknown", lambda: X.all_states(2, "ising"), "values"),
    T("exact.log_partition", "energy-not-callable", lambda: X.log_partition(5, 3), "energy"),
    V("exact.log_partition", "n-zero", lambda: X.log_partition(chain(), 0), "n"),
    V("exact.log_partition", "values-unknown", lambda: X.log_partition(chain(), 3, values="ising"), "values"),
    V("exact.log_partition", "temperature-zero", lambda: X.log_partition(chain(), 3, temperature=0.0), "temperature"),
    V("exact.log_partition", "chunk-size-zero", lambda: X.log_partition(chain(), 3, chunk_size=0), "chunk_size"),
    V("exact.log_partition", "energy-wrong-shape", lambda: X.log_partition(lambda s: s.sum(), 3), "energy"),
    V("exact.log_partition", "energy-nan", lambda: X.log_partition(lambda s: s.sum(-1) * math.nan, 3), "energy"),
    V("exact.log_partition", "energy-wrong-n", lambda: X.log_partition(chain(), 4), "s|n"),
    TV("exact.log_partition", "float32-mlp", lambda: X.log_partition(MLPEnergy(3, hidden=(4,)), 3), "float64",
       ok=finite_float),
    TV("exact.log_partition", "float32-network", lambda: X.log_partition(float32_sequential(), 3), "float64",
       ok=finite_float),
    TV("exact.log_partition", "bad-device", lambda: X.log_partition(chain(), 3, device="nonsense"), "device"),
    T("exact.probabilities", "energy-none", lambda: X.probabilities(None, 3), "energy"),
    V("exact.probabilities", "n-too-large", lambda: X.probabilities(chain(), 31), "n"),
    V("exact.probabilities", "temperature-negative", lambda: X.probabilities(chain(), 3, temperature=-1.0),
      "temperature"),
    V("exact.probabilities", "energy-inf", lambda: X.probabilities(lambda s: s.sum(-1) + math.inf, 3), "energy"),
    T("exact.expectation", "fn-not-callable", lambda: X.expectation(chain(), 3, "magnetisation"), "fn"),
    V("exact.expectation", "fn-wrong-shape", lambda: X.expectation(chain(), 3, lambda s: s.sum()), "fn"),
    V("exact.expectation", "fn-not-tensor", lambda: X.expectation(chain(), 3, lambda s: 1.0), "fn"),
    V("exact.expectation", "n-zero", lambda: X.expectation(chain(), 0, lambda s: s), "n"),
    V("exact.marginals", "values-unknown", lambda: X.marginals(chain(), 3, values="ising"), "values"),
    V("exact.marginals", "temperature-inf", lambda: X.marginals(chain(), 3, temperature=math.inf), "temperature"),
    T("exact.marginals", "energy-str", lambda: X.marginals("ising", 3), "energy"),
    V("exact.thermodynamics", "temperature-zero", lambda: X.thermodynamics(chain(), 3, 0.0), "temperature"),
    T("exact.thermodynamics", "temperature-str", lambda: X.thermodynamics(chain(), 3, "2"), "temperature"),
    V("exact.thermodynamics", "n-zero", lambda: X.thermodynamics(chain(), 0, 1.0), "n"),
    T("exact.thermodynamics", "energy-not-callable", lambda: X.thermodynamics(3.0, 3, 1.0), "energy"),
    V("exact.GridDensity", "expectation-fn-wrong-shape", lambda: grid().expectation(lambda p: p), "fn"),
    T("exact.GridDensity", "expectation-fn-not-callable", lambda: grid().expectation("mean"), "fn"),
    TV("exact.GridDensity", "to-bad-device", lambda: grid().to("nonsense"), "device"),
    T("exact.evaluation_placement", "energy-not-callable", lambda: X.evaluation_placement(5), "energy"),
    V("exact.evaluation_placement", "event-shape-zero", lambda: X.evaluation_placement(gauss(), (0,)), "event_shape"),
    T("exact.evaluation_placement", "event-shape-int", lambda: X.evaluation_placement(gauss(), 2), "event_shape"),
    TV("exact.evaluation_placement", "bad-device", lambda: X.evaluation_placement(gauss(), device="nonsense"), "device"),
    V("exact.grid_quadrature", "resolution-one", lambda: grid(resolution=1), "resolution"),
    T("exact.grid_quadrature", "resolution-float", lambda: grid(resolution=8.0), "resolution"),
    V("exact.grid_quadrature", "xlim-reversed", lambda: grid(xlim=(1.0, -1.0)), "xlim"),
    V("exact.grid_quadrature", "xlim-nan", lambda: grid(xlim=(math.nan, 1.0)), "xlim"),
    TV("exact.grid_quadrature", "xlim-number", lambda: grid(xlim=3.0), "xlim"),
    V("exact.grid_quadrature", "temperature-zero", lambda: X.grid_quadrature(gauss(), resolution=8, temperature=0.0),
      "temperature"),
    V("exact.grid_quadrature", "chunk-size-zero", lambda: X.grid_quadrature(gauss(), resolution=8, chunk_size=0),
      "chunk_size"),
    T("exact.grid_quadrature", "energy-none", lambda: X.grid_quadrature(None, resolution=8), "energy"),
    V("exact.grid_quadrature", "energy-wrong-shape", lambda: X.grid_quadrature(lambda x: x, resolution=8), "energy"),
    V("exact.grid_quadrature", "energy-nan", lambda: X.grid_quadrature(lambda x: x.sum(-1) * math.nan, resolution=8),
      "energy"),
    V("exact.grid_kl_divergence", "different-grids", lambda: X.grid_kl_divergence(grid(8), grid(10)), "grid"),
    T("exact.grid_kl_divergence", "not-a-grid", lambda: X.grid_kl_divergence(grid(8), "q"), "q"),
]
