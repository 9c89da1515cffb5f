"""Data sets: seeded 2-D toy distributions (:mod:`ebmbook.data.toy2d`) and images
(:mod:`ebmbook.data.images`: bundled digits, user-supplied MNIST IDX files)."""
from .images import ImageData, load_digits, load_mnist, read_idx, write_idx
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
    "ImageData",
    "load_digits",
    "load_mnist",
    "read_idx",
    "write_idx",
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
