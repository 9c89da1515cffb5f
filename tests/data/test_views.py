"""Two random views of images (chapter 7's contrastive learning)."""
from __future__ import annotations

import torch
from scipy import stats

from conftest import ALPHA
from ebmbook.data import random_view, two_views


def test_a_view_is_a_shift_with_zeros_shifted_in():
    image = torch.arange(1.0, 17.0).reshape(1, 16)
    seen = set()
    for seed in range(60):
        view = random_view(image, (4, 4), max_shift=1, noise=0.0, generator=torch.Generator().manual_seed(seed))
        grid, original = view.reshape(4, 4), image.reshape(4, 4)
        # find the shift that explains the view
        matches = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                   if torch.equal(grid, _shift(original, dy, dx))]
        assert len(matches) == 1
        seen.add(matches[0])
    assert len(seen) == 9            # all nine shifts occur (each has probability 1/9 per draw)


def _shift(img, dy, dx):
    out = torch.zeros_like(img)
    h, w = img.shape
    for i in range(h):
        for j in range(w):
            si, sj = i + dy, j + dx
            if 0 <= si < h and 0 <= sj < w:
                out[i, j] = img[si, sj]
    return out


def test_pixel_noise_has_the_requested_standard_deviation():
    x = torch.zeros(2000, 64)
    view = random_view(x, (8, 8), max_shift=0, noise=0.3, generator=torch.Generator().manual_seed(0))
    flat = (view / 0.3).flatten().numpy()
    assert stats.kstest(flat, "norm").pvalue > ALPHA


def test_two_views_differ_and_keep_the_shape():
    x = torch.rand(5, 64, generator=torch.Generator().manual_seed(1))
    a, b = two_views(x, (8, 8), generator=torch.Generator().manual_seed(2))
    assert a.shape == b.shape == x.shape and not torch.equal(a, b)
