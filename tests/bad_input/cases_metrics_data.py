"""Bad input to ``ebmbook.metrics`` (MCMC diagnostics, goodness of fit) and ``ebmbook.data`` (toy sets, images)."""
from __future__ import annotations

import math
import os
import tempfile

import numpy as np
import torch

from ebmbook import data as D
from ebmbook import metrics as M

from .harness import TV, T, V, _make

FNF = _make(FileNotFoundError)   # documented: nothing is downloaded, a missing file is named

DRAWS = torch.randn(20, 2, generator=torch.Generator().manual_seed(0))
_TMP = tempfile.mkdtemp(prefix="ebmbook-bad-input-data-")


def idx_file(name: str, array=None, raw: bytes | None = None) -> str:
    path = os.path.join(_TMP, name)
    if raw is not None:
        with open(path, "wb") as f:
            f.write(raw)
    else:
        D.write_idx(path, array)
    return path


def mnist(images, labels, **kw):
    return D.load_mnist(idx_file("img.idx", images), idx_file("lab.idx", labels), **kw)


IMAGES = np.zeros((4, 3, 3), dtype=np.uint8)
LABELS = np.arange(4, dtype=np.uint8)
TOYS = {"eight_gaussians": D.eight_gaussians, "two_moons": D.two_moons, "swiss_roll": D.swiss_roll,
        "checkerboard": D.checkerboard, "rings": D.rings}
DENSITIES = {"eight_gaussians_log_density": D.eight_gaussians_log_density,
             "checkerboard_log_density": D.checkerboard_log_density, "rings_log_density": D.rings_log_density}

CASES = [
    # -- MCMC diagnostics ---------------------------------------------------------------------------------
    T("metrics.effective_sample_size", "list", lambda: M.effective_sample_size([[0.0]] * 10), "samples"),
    T("metrics.effective_sample_size", "complex",
      lambda: M.effective_sample_size(DRAWS.to(torch.complex64)), "samples"),
    T("metrics.effective_sample_size", "object-array", lambda: M.effective_sample_size(np.array([["a"]] * 10)),
      "samples"),
    V("metrics.effective_sample_size", "1d", lambda: M.effective_sample_size(torch.randn(20)), "samples"),
    V("metrics.effective_sample_size", "three-draws", lambda: M.effective_sample_size(torch.randn(3, 2)), "samples"),
    V("metrics.effective_sample_size", "no-chains", lambda: M.effective_sample_size(torch.randn(10, 0)), "samples"),
    V("metrics.effective_sample_size", "nan", lambda: M.effective_sample_size(DRAWS.index_fill(0, torch.tensor([3]),
                                                                                                 math.nan)), "samples"),
    V("metrics.effective_sample_size", "method-unknown", lambda: M.effective_sample_size(DRAWS, "median"), "method"),
    T("metrics.effective_sample_size", "method-int", lambda: M.effective_sample_size(DRAWS, 1), "method"),
    V("metrics.rhat", "1d", lambda: M.rhat(torch.randn(20)), "samples"),
    V("metrics.rhat", "inf", lambda: M.rhat(DRAWS.index_fill(0, torch.tensor([0]), math.inf)), "samples"),
    T("metrics.rhat", "none", lambda: M.rhat(None), "samples"),
    V("metrics.rhat", "empty", lambda: M.rhat(torch.zeros(0, 4)), "samples"),
    V("metrics.acceptance_summary", "1d", lambda: M.acceptance_summary(torch.rand(5)), "acceptance"),
    V("metrics.acceptance_summary", "above-one", lambda: M.acceptance_summary(torch.full((3, 2), 1.5)), "acceptance"),
    V("metrics.acceptance_summary", "nan", lambda: M.acceptance_summary(torch.full((3, 2), math.nan)), "acceptance"),
    V("metrics.acceptance_summary", "empty", lambda: M.acceptance_summary(torch.zeros(0, 2)), "acceptance"),
    T("metrics.acceptance_summary", "list", lambda: M.acceptance_summary([[1.0]]), "acceptance"),
    # -- goodness of fit ------------------------------------------------------------------------------------
    V("metrics.state_index", "non-spins", lambda: M.state_index(torch.zeros(2, 3)), "states"),
    V("metrics.state_index", "non-bits", lambda: M.state_index(-torch.ones(2, 3), "binary"), "states"),
    V("metrics.state_index", "values-unknown", lambda: M.state_index(torch.ones(2, 3), "ising"), "values"),
    V("metrics.state_index", "1d", lambda: M.state_index(torch.ones(3)), "states"),
    T("metrics.state_index", "list", lambda: M.state_index([[1, -1]]), "states"),
    V("metrics.state_index", "too-many-units", lambda: M.state_index(torch.ones(2, 70)), "states"),
    V("metrics.discrete_chi_square", "probs-not-normalised",
      lambda: M.discrete_chi_square(torch.zeros(50, dtype=torch.long), torch.tensor([0.5, 0.6])), "probs"),
    V("metrics.discrete_chi_square", "probs-negative",
      lambda: M.discrete_chi_square(torch.zeros(50, dtype=torch.long), torch.tensor([1.5, -0.5])), "probs"),
    V("metrics.discrete_chi_square", "probs-nan",
      lambda: M.discrete_chi_square(torch.zeros(50, dtype=torch.long), torch.tensor([math.nan, 0.5])), "probs"),
    V("metrics.discrete_chi_square", "indices-out-of-range",
      lambda: M.discrete_chi_square(torch.full((50,), 2), torch.tensor([0.5, 0.5])), "indices"),
    V("metrics.discrete_chi_square", "indices-empty",
      lambda: M.discrete_chi_square(torch.zeros(0, dtype=torch.long), torch.tensor([0.5, 0.5])), "indices"),
    TV("metrics.discrete_chi_square", "indices-fractional",
       lambda: M.discrete_chi_square(torch.full((50,), 0.5), torch.tensor([0.5, 0.5])), "indices"),
    V("metrics.discrete_chi_square", "indices-2d",
      lambda: M.discrete_chi_square(torch.zeros(5, 2, dtype=torch.long), torch.tensor([0.5, 0.5])), "indices"),
    T("metrics.discrete_chi_square", "probs-list",
      lambda: M.discrete_chi_square(torch.zeros(5, dtype=torch.long), [0.5, 0.5]), "probs"),
    TV("metrics.discrete_chi_square", "min-expected-str",
       lambda: M.discrete_chi_square(torch.zeros(50, dtype=torch.long), torch.tensor([0.5, 0.5]), "5"), "min_expected"),
    V("metrics.ks_test", "2d", lambda: M.ks_test(torch.zeros(4, 2), lambda x: x), "samples"),
    V("metrics.ks_test", "nan", lambda: M.ks_test(torch.tensor([0.0, math.nan]), lambda x: x), "samples"),
    V("metrics.ks_test", "empty", lambda: M.ks_test(torch.zeros(0), lambda x: x), "samples"),
    T("metrics.ks_test", "cdf-not-callable", lambda: M.ks_test(torch.zeros(4), 0.5), "cdf"),
    T("metrics.ks_test", "list", lambda: M.ks_test([0.1, 0.2], lambda x: x), "samples"),
    # -- data: toy sets -------------------------------------------------------------------------------------
    *[case for name, fn in TOYS.items() for case in [
        V(f"data.{name}", "n-zero", lambda fn=fn: fn(0), "n"),
        T(f"data.{name}", "n-str", lambda fn=fn: fn("10"), "n"),
        T(f"data.{name}", "int-generator", lambda fn=fn: fn(4, generator=0), "generator"),
        T(f"data.{name}", "dtype-int", lambda fn=fn: fn(4, dtype=torch.int64), "dtype"),
        TV(f"data.{name}", "bad-device", lambda fn=fn: fn(4, device="nonsense"), "device"),
    ]],
    V("data.eight_gaussians", "radius-negative", lambda: D.eight_gaussians(4, radius=-1.0), "radius"),
    V("data.eight_gaussians", "std-zero", lambda: D.eight_gaussians(4, std=0.0), "std"),
    V("data.two_moons", "noise-negative", lambda: D.two_moons(4, noise=-0.1), "noise"),
    V("data.swiss_roll", "noise-nan", lambda: D.swiss_roll(4, noise=math.nan), "noise"),
    V("data.rings", "n-rings-zero", lambda: D.rings(4, n_rings=0), "n_rings"),
    V("data.rings", "max-radius-zero", lambda: D.rings(4, max_radius=0.0), "max_radius"),
    *[case for name, fn in DENSITIES.items() for case in [
        V(f"data.{name}", "shape", lambda fn=fn: fn(torch.zeros(3, 3)), "x"),
        V(f"data.{name}", "1d", lambda fn=fn: fn(torch.zeros(2)), "x"),
        V(f"data.{name}", "nan", lambda fn=fn: fn(torch.tensor([[0.0, math.nan]])), "x"),
        T(f"data.{name}", "int", lambda fn=fn: fn(torch.zeros(3, 2, dtype=torch.long)), "x"),
        T(f"data.{name}", "list", lambda fn=fn: fn([[0.0, 0.0]]), "x"),
    ]],
    V("data.eight_gaussians_log_density", "std-zero", lambda: D.eight_gaussians_log_density(DRAWS, std=0.0), "std"),
    V("data.rings_log_density", "noise-zero", lambda: D.rings_log_density(DRAWS, noise=0.0), "noise"),
    T("data.toy_dataset", "name-int", lambda: D.toy_dataset(3, 10), "name"),
    V("data.toy_dataset", "name-unknown", lambda: D.toy_dataset("spiral", 10), "name"),
    V("data.toy_dataset", "params-unknown", lambda: D.toy_dataset("rings", 10, params={"radius": 1.0}), "params"),
    T("data.toy_dataset", "params-list", lambda: D.toy_dataset("rings", 10, params=[("noise", 0.1)]), "params"),
    V("data.toy_dataset", "n-zero", lambda: D.toy_dataset("two_moons", 0), "n"),
    T("data.toy_dataset", "int-generator", lambda: D.toy_dataset("two_moons", 4, generator=1), "generator"),
    # -- data: images ------------------------------------------------------------------------------------------
    V("data.load_digits", "test-size-one", lambda: D.load_digits(test_size=1.0), "test_size"),
    V("data.load_digits", "test-size-negative", lambda: D.load_digits(test_size=-0.1), "test_size"),
    V("data.load_digits", "seed-negative", lambda: D.load_digits(seed=-1), "seed"),
    T("data.load_digits", "threshold-str", lambda: D.load_digits(binarize=True, threshold="7"), "threshold"),
    FNF("data.read_idx", "missing", lambda: D.read_idx(os.path.join(_TMP, "missing.idx")), "missing.idx"),
    V("data.read_idx", "garbage", lambda: D.read_idx(idx_file("garbage.idx", raw=b"\x01\x02\x03\x04\x05")), "IDX"),
    V("data.read_idx", "truncated",
      lambda: D.read_idx(idx_file("short.idx", raw=b"\x00\x00\x08\x01\x00\x00\x00\x09ab")),
      "expected"),
    T("data.read_idx", "path-none", lambda: D.read_idx(None), "path"),
    V("data.write_idx", "dtype-without-code",
      lambda: D.write_idx(os.path.join(_TMP, "c.idx"), np.zeros(3, np.complex64)),
      "dtype"),
    TV("data.write_idx", "object-array",
       lambda: D.write_idx(os.path.join(_TMP, "o.idx"), np.array([None, 1])), "array"),
    T("data.write_idx", "path-none", lambda: D.write_idx(None, np.zeros(3, np.uint8)), "path"),
    FNF("data.load_mnist", "missing", lambda: D.load_mnist(os.path.join(_TMP, "nope.idx"), os.path.join(_TMP, "n.idx")),
        "nope.idx"),
    V("data.load_mnist", "images-2d", lambda: mnist(np.zeros((4, 9), np.uint8), LABELS), "images_path"),
    V("data.load_mnist", "labels-mismatch", lambda: mnist(IMAGES, LABELS[:3]), "labels_path"),
    V("data.load_mnist", "test-size-one", lambda: mnist(IMAGES, LABELS, test_size=1.0), "test_size"),
    V("data.load_mnist", "seed-negative", lambda: mnist(IMAGES, LABELS, seed=-2), "seed"),
    V("data.load_mnist", "float-pixels-out-of-range", lambda: mnist(np.full((4, 3, 3), 2.0, np.float32), LABELS),
      "images|lie in"),
]
