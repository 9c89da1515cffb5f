"""Bad input to composed energies (``ebmbook.energies.composition``, ``constrained``, ``shapes``) and
to the grid chi-square test (``ebmbook.metrics.grid_fit``)."""
from __future__ import annotations

import torch

from ebmbook import energies as E
from ebmbook import metrics as M
from ebmbook.exact import grid_quadrature
from ebmbook.models import MLPEnergy

from .harness import T, TV, V

D64 = torch.float64


def gauss(d=2, scale=1.0):
    return E.Gaussian(torch.zeros(d), scale * torch.eye(d))


def box(lo=-1.0, hi=1.0, edge=0.1):
    return E.SoftBox(torch.tensor([lo, lo]), torch.tensor([hi, hi]), edge)


def mlp(d=2):
    torch.manual_seed(0)
    return MLPEnergy(d, hidden=(4,))


X = torch.randn(6, 2, generator=torch.Generator().manual_seed(0))
GRID = grid_quadrature(gauss(), (-5, 5), (-5, 5), 40)
PIN = E.MaskedQuadratic(torch.zeros(3, 2), torch.tensor([1.0, 0.0]))
NAN2 = torch.tensor([[0.0, float("nan")]])

CASES = [
    # Product
    V("energies.Product", "empty-list", lambda: E.Product([]), "energies"),
    T("energies.Product", "single-energy-not-list", lambda: E.Product(gauss()), "energies"),
    T("energies.Product", "part-not-callable", lambda: E.Product([gauss(), 3.0]), r"energies\[1\]"),
    V("energies.Product", "event-shapes-differ", lambda: E.Product([gauss(2), gauss(3)]), "energies"),
    V("energies.Product", "weights-negative", lambda: E.Product([gauss(), gauss()], [1.0, -1.0]), "weights"),
    V("energies.Product", "weights-all-zero", lambda: E.Product([gauss(), gauss()], [0.0, 0.0]), "weights"),
    V("energies.Product", "weights-wrong-length", lambda: E.Product([gauss(), gauss()], [1.0]), "weights"),
    V("energies.Product", "weights-nan", lambda: E.Product([gauss(), gauss()], [1.0, float("nan")]), "weights"),
    T("energies.Product", "weights-str", lambda: E.Product([gauss(), gauss()], "1, 1"), "weights"),
    V("energies.Product", "x-wrong-shape", lambda: E.Product([gauss(), gauss()])(torch.zeros(4, 3)), "x"),
    T("energies.Product", "x-int", lambda: E.Product([gauss()])(torch.zeros(4, 2, dtype=torch.long)), "x"),
    V("energies.Product", "part-wrong-output-shape", lambda: E.Product([lambda x: x])(X), "energy"),
    # Mixture
    V("energies.Mixture", "empty-list", lambda: E.Mixture([]), "energies"),
    T("energies.Mixture", "tuple-of-str", lambda: E.Mixture("ab"), "energies"),
    V("energies.Mixture", "event-shapes-differ", lambda: E.Mixture([mlp(2), mlp(3)]), "energies"),
    V("energies.Mixture", "weights-negative", lambda: E.Mixture([gauss(), gauss()], [0.5, -0.5]), "weights"),
    V("energies.Mixture", "weights-all-zero", lambda: E.Mixture([gauss(), gauss()], torch.zeros(2)), "weights"),
    V("energies.Mixture", "weights-inf", lambda: E.Mixture([gauss(), gauss()], [1.0, float("inf")]), "weights"),
    V("energies.Mixture", "weights-2d", lambda: E.Mixture([gauss(), gauss()], torch.ones(2, 1)), "weights"),
    V("energies.Mixture", "x-wrong-shape", lambda: E.Mixture([gauss(), gauss()])(torch.zeros(4)), "x"),
    TV("energies.Mixture", "of-densities-empty", lambda: E.Mixture.of_densities([]), "energies"),
    V("energies.Mixture", "of-densities-weights-negative",
      lambda: E.Mixture.of_densities([gauss(), gauss()], [-1.0, 2.0]), "weights"),
    V("energies.Mixture", "sample-n-zero", lambda: E.Mixture([gauss(), gauss()]).sample(0), "n"),
    T("energies.Mixture", "sample-generator-int", lambda: E.Mixture([gauss(), gauss()]).sample(5, generator=1),
      "generator"),
    # Negation
    V("energies.Negation", "alpha-negative", lambda: E.Negation(gauss(), gauss(), -0.5), "alpha"),
    T("energies.Negation", "alpha-str", lambda: E.Negation(gauss(), gauss(), "1"), "alpha"),
    V("energies.Negation", "alpha-nan", lambda: E.Negation(gauss(), gauss(), float("nan")), "alpha"),
    V("energies.Negation", "not-normalisable-gaussians", lambda: E.Negation(gauss(scale=4.0), gauss(), 0.5),
      "alpha"),
    V("energies.Negation", "not-normalisable-boxes", lambda: E.Negation(box(), box(-2.0, 2.0), 1.0), "alpha"),
    V("energies.Negation", "event-shapes-differ", lambda: E.Negation(gauss(2), gauss(3), 0.1), "event shape"),
    T("energies.Negation", "base-not-callable", lambda: E.Negation(None, gauss(), 0.1), "base"),
    T("energies.Negation", "negated-not-callable", lambda: E.Negation(gauss(), "x", 0.1), "negated"),
    V("energies.Negation", "x-wrong-shape", lambda: E.Negation(gauss(), gauss(scale=4.0), 0.1)(torch.zeros(2, 5)),
      "x"),
    # Constrained
    V("energies.Constrained", "weight-zero", lambda: E.Constrained(gauss(), PIN, 0.0), "weight"),
    V("energies.Constrained", "weight-negative", lambda: E.Constrained(gauss(), PIN, -1.0), "weight"),
    T("energies.Constrained", "weight-none", lambda: E.Constrained(gauss(), PIN, None), "weight"),
    T("energies.Constrained", "penalty-not-callable", lambda: E.Constrained(gauss(), 2.0, 1.0), "penalty"),
    T("energies.Constrained", "energy-not-callable", lambda: E.Constrained([1], PIN, 1.0), "energy"),
    V("energies.Constrained", "event-shapes-differ", lambda: E.Constrained(gauss(3), PIN, 1.0), "event shape"),
    V("energies.Constrained", "with-weight-negative", lambda: E.Constrained(gauss(), PIN, 1.0).with_weight(-2.0),
      "weight"),
    # MaskedQuadratic
    T("energies.MaskedQuadratic", "target-list", lambda: E.MaskedQuadratic([[0.0, 1.0]], torch.ones(2)), "target"),
    V("energies.MaskedQuadratic", "target-no-batch-dim", lambda: E.MaskedQuadratic(torch.zeros(2), torch.ones(2)),
      "target"),
    V("energies.MaskedQuadratic", "target-nan", lambda: E.MaskedQuadratic(NAN2, torch.ones(2)), "target"),
    V("energies.MaskedQuadratic", "target-empty", lambda: E.MaskedQuadratic(torch.zeros(0, 2), torch.ones(2)),
      "target"),
    V("energies.MaskedQuadratic", "mask-negative", lambda: E.MaskedQuadratic(torch.zeros(1, 2),
                                                                            torch.tensor([1.0, -1.0])), "mask"),
    V("energies.MaskedQuadratic", "mask-wrong-shape", lambda: E.MaskedQuadratic(torch.zeros(1, 2), torch.ones(3)),
      "mask"),
    T("energies.MaskedQuadratic", "mask-not-tensor", lambda: E.MaskedQuadratic(torch.zeros(1, 2), 1.0), "mask"),
    V("energies.MaskedQuadratic", "x-batch-mismatch", lambda: PIN(torch.zeros(4, 2)), "x"),
    V("energies.MaskedQuadratic", "x-wrong-shape", lambda: PIN(torch.zeros(3, 5)), "x"),
    V("energies.MaskedQuadratic", "clamp-x-wrong-shape", lambda: PIN.clamp(torch.zeros(3)), "x"),
    # SoftBox
    V("energies.SoftBox", "edge-zero", lambda: box(edge=0.0), "edge"),
    V("energies.SoftBox", "high-below-low", lambda: box(1.0, -1.0), "high"),
    V("energies.SoftBox", "shapes-differ", lambda: E.SoftBox(torch.zeros(2), torch.ones(3)), "low and high"),
    V("energies.SoftBox", "low-inf", lambda: E.SoftBox(torch.tensor([-float("inf"), 0.0]), torch.ones(2)), "low"),
    T("energies.SoftBox", "low-int", lambda: E.SoftBox(torch.zeros(2, dtype=torch.long), torch.ones(2)), "low"),
    V("energies.SoftBox", "x-wrong-shape", lambda: box()(torch.zeros(3, 3)), "x"),
    V("energies.SoftBox", "sample-n-negative", lambda: box().sample(-1), "n"),
    T("energies.SoftBox", "sample-generator-int", lambda: box().sample(3, generator=0), "generator"),
    # grid_chi_square
    V("metrics.grid_chi_square", "samples-3d", lambda: M.grid_chi_square(torch.zeros(5, 3), GRID), "samples"),
    V("metrics.grid_chi_square", "samples-empty", lambda: M.grid_chi_square(torch.zeros(0, 2), GRID), "samples"),
    V("metrics.grid_chi_square", "samples-nan", lambda: M.grid_chi_square(NAN2, GRID), "samples"),
    T("metrics.grid_chi_square", "samples-int", lambda: M.grid_chi_square(torch.zeros(5, 2, dtype=torch.long), GRID),
      "samples"),
    T("metrics.grid_chi_square", "grid-not-grid", lambda: M.grid_chi_square(X, GRID.log_density), "grid"),
    V("metrics.grid_chi_square", "n-bins-one", lambda: M.grid_chi_square(X, GRID, n_bins=1), "n_bins"),
    V("metrics.grid_chi_square", "direction-zero", lambda: M.grid_chi_square(X, GRID, directions=[(0, 0)]),
      "directions"),
    V("metrics.grid_chi_square", "direction-3d", lambda: M.grid_chi_square(X, GRID, directions=[(1, 0, 0)]),
      "directions"),
    T("metrics.grid_chi_square", "directions-str", lambda: M.grid_chi_square(X, GRID, directions="xy"),
      "directions"),
    V("metrics.grid_chi_square", "min-expected-zero", lambda: M.grid_chi_square(X, GRID, min_expected=0),
      "min_expected"),
]
