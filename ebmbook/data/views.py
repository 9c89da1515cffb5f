"""Two random views of each image: the positive pairs of contrastive learning (chapter 7).

A view is the image shifted by a random whole number of pixels (zeros shifted in) with Gaussian
pixel noise added. Two views of one image share its identity and differ in exactly what a good
representation should ignore: position and noise. Raw pixels are not shift-invariant (a digit
moved by one pixel is far from itself in pixel distance), so an embedding trained to match
the views can beat pixels at nearest-neighbour classification.
"""
from __future__ import annotations

import torch

from ..utils import check_finite, check_generator, check_int, check_nonnegative, check_tensor

__all__ = ["random_view", "two_views"]


def random_view(images: torch.Tensor, image_shape: tuple[int, int], max_shift: int = 1, noise: float = 0.1, *,
                generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Shift each flattened image by up to ``max_shift`` pixels in each direction and add pixel noise.

    Parameters
    ----------
    images : Tensor, shape ``(batch, H * W)``, real floating, finite
    image_shape : (H, W)
    max_shift : int >= 0, shifts are uniform on :math:`\{-m, \dots, m\}` per axis and image
    noise : float >= 0, standard deviation of the added Gaussian pixel noise
    generator : torch.Generator on the images' device, optional

    Returns
    -------
    Tensor, shape like ``images``

    Examples
    --------
    >>> x = torch.zeros(2, 16)
    >>> random_view(x, (4, 4), noise=0.0).shape
    torch.Size([2, 16])

    Used in chapter 7.
    """
    check_tensor(images, "images", ndim=2, floating=True)
    check_finite(images, "images")
    if (not isinstance(image_shape, (tuple, list)) or len(image_shape) != 2
            or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in image_shape)):
        raise TypeError(f"image_shape must be a pair of positive ints (H, W), got {image_shape!r}")
    h, w = image_shape
    if images.shape[1] != h * w:
        raise ValueError(f"images must have shape (batch, {h * w}) for image_shape {tuple(image_shape)}, "
                         f"got {tuple(images.shape)}")
    max_shift = check_int(max_shift, "max_shift", minimum=0)
    if max_shift >= min(h, w):
        raise ValueError(f"max_shift must be smaller than the image, got {max_shift} for {tuple(image_shape)}")
    noise = check_nonnegative(noise, "noise")
    check_generator(generator, device=images.device)
    n, m = images.shape[0], max_shift
    # pad by m and crop a random (H, W) window: a shift with zeros shifted in, all images at once
    padded = torch.nn.functional.pad(images.reshape(n, h, w), (m, m, m, m))
    dy, dx = (torch.randint(0, 2 * m + 1, (n,), generator=generator, device=images.device) for _ in range(2))
    rows = (dy[:, None] + torch.arange(h, device=images.device))[:, :, None]
    cols = (dx[:, None] + torch.arange(w, device=images.device))[:, None, :]
    view = padded[torch.arange(n, device=images.device)[:, None, None], rows, cols].reshape(n, h * w)
    if noise > 0:
        view = view + noise * torch.randn(view.shape, generator=generator, device=view.device, dtype=view.dtype)
    return view


def two_views(images: torch.Tensor, image_shape: tuple[int, int], max_shift: int = 1, noise: float = 0.1, *,
              generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Two independent :func:`random_view` s of every image: ``(view_a, view_b)``, each shaped like ``images``.

    Examples
    --------
    >>> a, b = two_views(torch.rand(3, 64), (8, 8), generator=torch.Generator().manual_seed(0))
    >>> a.shape == b.shape == (3, 64)
    True

    Used in chapter 7.
    """
    return (random_view(images, image_shape, max_shift, noise, generator=generator),
            random_view(images, image_shape, max_shift, noise, generator=generator))
