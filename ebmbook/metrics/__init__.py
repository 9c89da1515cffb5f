"""Metrics: MCMC diagnostics (ESS, R-hat, acceptance), goodness-of-fit tests
against exact distributions, and annealed importance sampling (AIS) of log Z;
a sampler's bias against an exact expectation, mode coverage and the
magnetisation histogram of spin samples; later modules add MMD, calibration and
OOD scores."""
from .ais import AISResult, AnnealingPath, GeometricPath, ais, ais_betas, summarise_log_weights
from .calibration import CalibrationResult, expected_calibration_error
from .ood import (OODDetector, auroc, energy_score, fpr_at_tpr, gradient_norm_score, log_px_score,
                  max_softmax_score)
from .goodness_of_fit import TestResult, discrete_chi_square, ks_test, state_index
from .grid_fit import GridFit, grid_chi_square
from .magnetisation import magnetisation_histogram
from .modes import NearestMode, mode_fractions, nearest_mode
from .sampler_bias import SamplerBias, sampler_bias
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
    "GridFit",
    "grid_chi_square",
    "SamplerBias",
    "sampler_bias",
    "NearestMode",
    "nearest_mode",
    "mode_fractions",
    "magnetisation_histogram",
    "ais",
    "ais_betas",
    "AISResult",
    "summarise_log_weights",
    "AnnealingPath",
    "GeometricPath",
    "CalibrationResult",
    "expected_calibration_error",
    "auroc",
    "fpr_at_tpr",
    "OODDetector",
    "max_softmax_score",
    "energy_score",
    "log_px_score",
    "gradient_norm_score",
]
