"""Metrics: MCMC diagnostics (ESS, R-hat, acceptance), goodness-of-fit tests
against exact distributions, and annealed importance sampling (AIS) of log Z;
later modules add MMD, calibration and OOD scores."""
from .ais import AISResult, AnnealingPath, GeometricPath, ais, ais_betas, summarise_log_weights
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
    "ais",
    "ais_betas",
    "AISResult",
    "summarise_log_weights",
    "AnnealingPath",
    "GeometricPath",
]
