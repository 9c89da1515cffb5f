"""Data sets: seeded 2-D toy distributions (:mod:`ebmbook.data.toy2d`)."""
from .toy2d import (
    TOY_DATASETS,
    checkerboard,
    checkerboard_log_density,
    eight_gaussians,
    eight_gaussians_log_density,
    rings,
    rings_log_density,
    swiss_roll,
    toy_dataset,
    two_moons,
)

__all__ = [
    "TOY_DATASETS",
    "toy_dataset",
    "eight_gaussians",
    "eight_gaussians_log_density",
    "two_moons",
    "swiss_roll",
    "checkerboard",
    "checkerboard_log_density",
    "rings",
    "rings_log_density",
]
