"""Data sets: seeded 2-D toy distributions (:mod:`ebmbook.data.toy2d`), images
(:mod:`ebmbook.data.images`: bundled digits, user-supplied MNIST IDX files) and
random spin patterns with their corruption (:mod:`ebmbook.data.patterns`).

Random draws follow one device rule: on the generator's device, unless a tensor
argument fixes the device, in which case the generator must be on it (else a
``ValueError`` naming ``generator``)."""
from .images import ImageData, load_digits, load_mnist, read_idx, write_idx
from .ood import (ClassSplit, invert_images, noise_images, ood_datasets, photo_patches, shuffle_pixels,
                  split_classes)
from .patterns import flip_spins, random_patterns
from .views import random_view, two_views
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
    "random_patterns",
    "flip_spins",
    "random_view",
    "two_views",
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
    "noise_images",
    "shuffle_pixels",
    "invert_images",
    "photo_patches",
    "ClassSplit",
    "split_classes",
    "ood_datasets",
]
