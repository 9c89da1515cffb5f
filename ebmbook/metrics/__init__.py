"""Metrics: MCMC diagnostics (ESS, R-hat, acceptance) and goodness-of-fit tests
against exact distributions; later modules add AIS, MMD, calibration and OOD scores."""
from .goodness_of_fit import TestResult, discrete_chi_square, ks_test, state_index
from .mcmc import (
    ESS_METHODS,
    AcceptanceSummary,
    acceptance_summary,
    effective_sample_size,
    rhat,
)

__all__ = [
    "ESS_METHODS",
    "AcceptanceSummary",
    "acceptance_summary",
    "effective_sample_size",
    "rhat",
    "TestResult",
    "state_index",
    "discrete_chi_square",
    "ks_test",
]
