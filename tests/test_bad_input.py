"""No silent failures: every public entry point of ebmbook refuses bad input with a clear error.

The cases live in ``tests/bad_input/cases_*.py``, one table per area of the package. Each case
calls a public name (a function, a class, or a method of an object built from it) with a wrong
shape, NaN/inf, a wrong dtype, an empty batch or a wrong type, and expects a ``TypeError`` or
``ValueError`` (or a documented ``RuntimeError``/``FloatingPointError``) raised by ebmbook itself
whose message names the argument. :func:`test_every_public_name_is_covered` fails when a name
in a module's ``__all__`` has neither a case nor an entry in :data:`EXEMPT`, so new API joins
the table.
"""
from __future__ import annotations

import importlib
import sys

import pytest

from bad_input import (cases_adaptive, cases_annealed, cases_composition, cases_core, cases_exact, cases_jem,
                       cases_metrics_data, cases_models, cases_nce, cases_plot_widgets, cases_rbm_ais,
                       cases_sampling_analysis, cases_samplers, cases_score_matching, cases_training)
from bad_input.harness import check

MODULES = ["energies", "exact", "samplers", "models", "losses", "train", "metrics", "data", "utils",
           "checkpoint", "plot", "widgets", "distributed"]

CASE_MODULES = [cases_jem, cases_core, cases_samplers, cases_training, cases_metrics_data, cases_models, cases_exact,
                cases_rbm_ais, cases_plot_widgets, cases_score_matching,
                cases_annealed, cases_nce, cases_composition, cases_adaptive, cases_sampling_analysis]
CASES = [case for module in CASE_MODULES for case in module.CASES]

#: Public names with no bad-input cases of their own, each with the reason.
EXEMPT = {
    "distributed.broadcast_from_rank0": "collective: needs an initialised process group (tests/test_distributed.py)",
    "distributed.average_gradients": "collective: needs an initialised process group (tests/test_distributed.py)",
    "distributed.average_metrics": "collective: needs an initialised process group (tests/test_distributed.py)",
    "distributed.gather_objects": "collective: needs an initialised process group (tests/test_distributed.py)",
    "distributed.to_device": "moves whatever nested dict it is given; non-tensors pass through unchanged",
    "utils.default_device": "takes no arguments",
    "energies.Energy": "abstract base class: forward is the subclass's; its shape check runs in every energy case",
    "samplers.State": "NamedTuple data container",
    "samplers.Info": "NamedTuple data container",
    "samplers.Trace": "NamedTuple data container",
    "samplers.AnnealedState": "NamedTuple data container (AnnealedLangevin.step refuses other states)",
    "samplers.NUTSInfo": "NamedTuple data container",
    "samplers.PTState": "NamedTuple data container (ParallelTempering.step refuses other states)",
    "samplers.PTInfo": "NamedTuple data container",
    "samplers.is_state": "a predicate: any object is valid input and gets True or False",
    "losses.LossOutput": "NamedTuple data container (Trainer checks what an objective returns)",
    "train.TrainingDiverged": "exception class",
    "train.CHECKPOINT_FORMAT": "constant",
    "checkpoint.CHECKPOINT_FORMAT": "constant",
    "checkpoint.CHECKPOINT_KEYS": "constant",
    "metrics.ESS_METHODS": "constant",
    "metrics.AcceptanceSummary": "NamedTuple data container",
    "metrics.TestResult": "NamedTuple data container",
    "metrics.GridFit": "NamedTuple data container",
    "metrics.SamplerBias": "NamedTuple data container",
    "metrics.NearestMode": "NamedTuple data container",
    "models.ACTIVATIONS": "constant (a name -> layer table; MLPEnergy/ConvEnergy check activation names)",
    "models.RecallResult": "NamedTuple data container",
    "data.ImageData": "NamedTuple data container",
    "data.ClassSplit": "NamedTuple data container",
    "metrics.CalibrationResult": "NamedTuple data container",
    "data.TOY_DATASETS": "constant",
    "exact.Thermodynamics": "NamedTuple data container",
    "models.RBMGibbsState": "NamedTuple data container (RBMGibbs.step refuses other states)",
    "models.RBMLayers": "NamedTuple data container",
    "metrics.AISResult": "NamedTuple data container",
    "widgets.SAMPLERS": "constant",
    "widgets.SamplerPath": "NamedTuple data container",
    "widgets.RecallPath": "NamedTuple data container",
}


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_bad_input_is_refused_clearly(case):
    try:
        check(case)
    finally:  # a figure call that failed midway leaves its figure open
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")


def _public_names():
    names = []
    for module in MODULES:
        mod = importlib.import_module(f"ebmbook.{module}")
        names += [f"{module}.{name}" for name in mod.__all__]
    return names


def test_every_public_name_is_covered():
    covered = {case.name for case in CASES}
    missing = [name for name in _public_names() if name not in covered and name not in EXEMPT]
    assert not missing, f"public names without bad-input cases (add cases, or an EXEMPT reason): {missing}"


def test_the_table_names_only_public_names():
    public = set(_public_names())
    stale = sorted(({case.name for case in CASES} | set(EXEMPT)) - public)
    assert not stale, f"the table names what is no longer public (remove or rename): {stale}"
    both = sorted({case.name for case in CASES} & set(EXEMPT))
    assert not both, f"names both exempt and tested (drop the exemption): {both}"


def test_case_ids_are_unique():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


@pytest.mark.parametrize("n", [2, 3, 4, 5, 7, 10, 29, 100, 101, 999, 1000, 14499, 14500, 14501])
def test_ais_betas_run_from_zero_to_exactly_one(n):
    from ebmbook.metrics import ais_betas

    betas = ais_betas(n)
    assert betas.shape == (n,) and float(betas[0]) == 0.0 and float(betas[-1]) == 1.0
    assert bool((betas.diff() > 0).all())
