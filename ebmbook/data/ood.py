r"""Out-of-distribution sets for the 8×8 digits, made without downloads.

All return flattened images ``(n, H * W)`` with pixels in [0, 1], the range of
:func:`~ebmbook.data.load_digits` (``scale=True``):

- :func:`noise_images`: uniform noise, :math:`x_j \sim U(0, 1)`;
- :func:`shuffle_pixels`: each digit's pixels in a random order (same grey-level histogram,
  no strokes);
- :func:`invert_images`: :math:`1 - x` (white digits on black become black on white);
- :func:`photo_patches`: grey-level patches of scikit-learn's two bundled photographs,
  average-pooled to 8×8;
- :func:`split_classes`: hold out some digit classes (train on the rest, score them).

Random draws follow the package's device rule (the generator's device, or the device of
the tensor argument, on which the generator must then live).

Used in chapter 8.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

from ..utils import check_finite, check_generator, check_int, check_tensor

__all__ = ["noise_images", "shuffle_pixels", "invert_images", "photo_patches", "ClassSplit", "split_classes",
           "ood_datasets"]


def _check_shape(image_shape) -> tuple[int, int]:
    if not isinstance(image_shape, (tuple, list)) or len(image_shape) != 2:
        raise ValueError(f"image_shape must be (H, W), got {image_shape!r}")
    return tuple(check_int(s, "image_shape", minimum=1) for s in image_shape)


def _check_images(x, name: str = "x") -> torch.Tensor:
    check_tensor(x, name, ndim=2, floating=True)
    if x.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one image, got shape {tuple(x.shape)}")
    check_finite(x, name)
    return x


def _device(generator: torch.Generator | None) -> torch.device:
    return generator.device if generator is not None else torch.device("cpu")


def noise_images(n: int, image_shape: tuple[int, int] = (8, 8), *,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    r"""``n`` images of i.i.d. uniform pixels :math:`U(0, 1)`, shape ``(n, H * W)``, float32.

    Examples
    --------
    >>> noise_images(5, generator=torch.Generator().manual_seed(0)).shape
    torch.Size([5, 64])

    Used in chapter 8.
    """
    n = check_int(n, "n", minimum=1)
    h, w = _check_shape(image_shape)
    check_generator(generator)
    return torch.rand(n, h * w, generator=generator, device=_device(generator))


def shuffle_pixels(x: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Each row of ``x`` ``(n, d)`` with its pixels in an independent random order (same shape).

    Examples
    --------
    >>> x = torch.arange(6.0).reshape(2, 3)
    >>> shuffle_pixels(x, generator=torch.Generator().manual_seed(0)).sort(1).values.equal(x)
    True

    Used in chapter 8.
    """
    _check_images(x)
    check_generator(generator, device=x.device)
    order = torch.rand(x.shape, generator=generator, device=x.device).argsort(dim=1)
    return x.gather(1, order)


def invert_images(x: torch.Tensor) -> torch.Tensor:
    r"""Photographic negatives :math:`1 - x` of images ``(n, d)`` with pixels in [0, 1].

    Examples
    --------
    >>> invert_images(torch.tensor([[0.0, 0.25, 1.0]]))
    tensor([[1.0000, 0.7500, 0.0000]])

    Used in chapter 8.
    """
    _check_images(x)
    if float(x.min()) < 0 or float(x.max()) > 1:
        raise ValueError(f"x must have pixels in [0, 1], got values in [{float(x.min()):g}, {float(x.max()):g}]")
    return 1.0 - x


def photo_patches(n: int, image_shape: tuple[int, int] = (8, 8), patch_size: int = 32, *,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    r"""``n`` random grey-level patches of scikit-learn's sample photographs, pooled to ``image_shape``.

    Each patch is a ``patch_size`` × ``patch_size`` crop at a uniform random place in one of
    the two bundled photographs (``china.jpg``, ``flower.jpg``), converted to grey
    (channel mean / 255) and average-pooled to ``image_shape``: natural-image texture at the
    digits' resolution.

    Parameters
    ----------
    n : int
    image_shape : (H, W)
    patch_size : int, a multiple of H and W, at most the photographs' height (427)
    generator : torch.Generator, optional

    Returns
    -------
    Tensor ``(n, H * W)``, float32, pixels in [0, 1], on the generator's device

    Examples
    --------
    >>> photo_patches(3, generator=torch.Generator().manual_seed(0)).shape
    torch.Size([3, 64])

    Used in chapter 8.
    """
    n = check_int(n, "n", minimum=1)
    h, w = _check_shape(image_shape)
    patch_size = check_int(patch_size, "patch_size", minimum=1)
    if patch_size % h or patch_size % w:
        raise ValueError(f"patch_size must be a multiple of the image size {h}x{w}, got {patch_size}")
    check_generator(generator)
    try:
        from sklearn.datasets import load_sample_images
    except ImportError as err:
        raise ImportError('photo_patches needs scikit-learn (and pillow): pip install "ebmbook[data]"') from err
    device = _device(generator)
    photos = torch.stack([torch.from_numpy(im.astype('float32')).mean(-1) / 255.0 for im in load_sample_images().images])
    if patch_size > min(photos.shape[1:]):
        raise ValueError(f"patch_size must be at most {min(photos.shape[1:])} (the photographs' height), "
                         f"got {patch_size}")
    photos = photos.to(device)
    which = torch.randint(photos.shape[0], (n,), generator=generator, device=device)
    top = torch.randint(photos.shape[1] - patch_size + 1, (n,), generator=generator, device=device)
    left = torch.randint(photos.shape[2] - patch_size + 1, (n,), generator=generator, device=device)
    offsets = torch.arange(patch_size, device=device)
    rows = (top[:, None] + offsets)[:, :, None]
    cols = (left[:, None] + offsets)[:, None, :]
    crops = photos[which[:, None, None], rows, cols]                       # (n, P, P)
    pooled = F.avg_pool2d(crops[:, None], kernel_size=(patch_size // h, patch_size // w))
    return pooled.reshape(n, h * w).clamp(0.0, 1.0)


class ClassSplit(NamedTuple):
    """Images split by class (:func:`split_classes`).

    Attributes
    ----------
    x_in : Tensor ``(n_in, d)``, images of the kept classes
    y_in : Tensor ``(n_in,)``, their labels renumbered 0 .. len(classes_in) - 1
    x_out : Tensor ``(n_out, d)``, images of the held-out classes
    y_out : Tensor ``(n_out,)``, their original labels
    classes_in : tuple of int, the kept original classes (label ``i`` of ``y_in`` is ``classes_in[i]``)
    """

    x_in: torch.Tensor
    y_in: torch.Tensor
    x_out: torch.Tensor
    y_out: torch.Tensor
    classes_in: tuple[int, ...]


def split_classes(x: torch.Tensor, y: torch.Tensor, held_out) -> ClassSplit:
    """Hold out the classes ``held_out``: train on the others, score the held-out ones as OOD.

    Parameters
    ----------
    x : Tensor ``(n, d)``
    y : Tensor ``(n,)``, integer labels
    held_out : sequence of int, classes present in ``y``; at least two classes must remain

    Examples
    --------
    >>> split = split_classes(torch.rand(6, 4), torch.tensor([0, 1, 2, 0, 1, 2]), held_out=[1])
    >>> split.y_in.tolist(), split.y_out.tolist(), split.classes_in
    ([0, 1, 0, 1], [1, 1], (0, 2))

    Used in chapter 8.
    """
    _check_images(x)
    check_tensor(y, "y", ndim=1)
    if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise TypeError(f"y must hold integer class labels, got dtype {y.dtype}")
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"y must have shape ({x.shape[0]},), one label per image of x, got {tuple(y.shape)}")
    if isinstance(held_out, (str, bytes)) or not hasattr(held_out, "__iter__"):
        raise TypeError(f"held_out must be a sequence of class labels, got {type(held_out).__name__}")
    held = sorted({check_int(c, "held_out") for c in held_out})
    present = sorted(set(y.tolist()))
    missing = [c for c in held if c not in present]
    if not held or missing:
        raise ValueError(f"held_out must name classes present in y ({present}), got {sorted(held_out)}")
    kept = tuple(c for c in present if c not in held)
    if len(kept) < 2:
        raise ValueError(f"held_out must leave at least two classes to classify, leaves {list(kept)}")
    out = torch.isin(y, torch.tensor(held, device=y.device))
    remap = torch.full((max(present) + 1,), -1, dtype=torch.long, device=y.device)
    remap[torch.tensor(kept, device=y.device)] = torch.arange(len(kept), device=y.device)
    return ClassSplit(x[~out], remap[y[~out].long()], x[out], y[out], kept)


def ood_datasets(x: torch.Tensor, image_shape: tuple[int, int] = (8, 8), *,
                 generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """The four input-space OOD sets for images ``x`` ``(n, H * W)``, each with ``n`` images.

    Returns ``{"uniform noise", "shuffled pixels", "inverted", "photo patches"}`` mapped to
    tensors on ``x``'s device (the held-out-classes set needs a model trained without those
    classes: :func:`split_classes`).

    Examples
    --------
    >>> sets = ood_datasets(torch.rand(10, 64), generator=torch.Generator().manual_seed(0))
    >>> sorted(sets)
    ['inverted', 'photo patches', 'shuffled pixels', 'uniform noise']

    Used in chapter 8.
    """
    _check_images(x)
    h, w = _check_shape(image_shape)
    if x.shape[1] != h * w:
        raise ValueError(f"x must have shape (n, {h * w}) for image_shape {(h, w)}, got {tuple(x.shape)}")
    check_generator(generator, device=x.device)
    n = x.shape[0]
    return {"uniform noise": noise_images(n, (h, w), generator=generator).to(x),
            "shuffled pixels": shuffle_pixels(x, generator=generator),
            "inverted": invert_images(x),
            "photo patches": photo_patches(n, (h, w), generator=generator).to(x)}
