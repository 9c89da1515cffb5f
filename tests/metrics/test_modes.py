"""ebmbook.metrics.nearest_mode and mode_fractions against hand computations and brute force."""
import math

import pytest
import torch

from ebmbook.metrics import NearestMode, mode_fractions, nearest_mode

MODES = torch.tensor([[-1.0, 0.0], [1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)


def test_nearest_mode_by_hand():
    x = torch.tensor([[-2.0, 0.0], [0.5, 0.5], [0.0, 3.0], [1.0, 0.0]], dtype=torch.float64)
    out = nearest_mode(x, MODES)
    assert isinstance(out, NearestMode)
    assert out.index.tolist() == [0, 1, 2, 1]
    # |(-2,0)-(-1,0)|^2 = 1; |(0.5,0.5)-(1,0)|^2 = 0.5; |(0,3)-(0,2)|^2 = 1; on a centre: 0
    assert out.squared_distance.tolist() == pytest.approx([1.0, 0.5, 1.0, 0.0], abs=1e-12)


def test_nearest_mode_matches_a_loop_over_modes(device):
    g = torch.Generator().manual_seed(0)
    x = 3 * torch.randn(500, 3, generator=g, dtype=torch.float64)
    modes = torch.randn(5, 3, generator=g).double()           # float32-representable centres
    d2 = torch.stack([((x - m) ** 2).sum(-1) for m in modes], -1)      # (500, 5), brute force
    out = nearest_mode(x.to(device), modes.float())                     # modes follow x's device and dtype
    assert out.index.device.type == device.type
    assert torch.equal(out.index.cpu(), d2.argmin(-1))
    assert torch.allclose(out.squared_distance.cpu(), d2.min(-1).values, rtol=1e-10, atol=1e-10)


def test_squared_distances_are_accurate_in_float32_close_to_a_mode():
    # 100 points (more than cdist's 25-row switch to its |x|^2 + |mu|^2 - 2 x.mu path) within 1e-3 of
    # a mode at (4, 4): that path cancels to garbage here; differences keep float32's relative accuracy.
    g = torch.Generator().manual_seed(0)
    offsets = 1e-3 * torch.randn(100, 2, generator=g, dtype=torch.float64)
    modes = torch.tensor([[4.0, 4.0], [-4.0, -4.0]], dtype=torch.float64)
    exact = offsets.pow(2).sum(-1)
    got = nearest_mode((modes[0] + offsets).float(), modes.float())
    assert torch.equal(got.index, torch.zeros(100, dtype=torch.long))
    torch.testing.assert_close(got.squared_distance.double(), exact, rtol=1e-2, atol=0)


def test_mode_fractions_by_hand():
    x = torch.tensor([[-2.0, 0.0], [0.5, 0.5], [0.0, 3.0], [1.0, 0.0], [3.0, -1.0]], dtype=torch.float64)
    f = mode_fractions(x, MODES)
    assert f.dtype == torch.float64
    assert f.tolist() == pytest.approx([1 / 5, 3 / 5, 1 / 5], abs=1e-15)


def test_mode_fractions_count_empty_modes_and_sum_to_one(device):
    x = torch.tensor([[5.0, 0.0], [4.0, 1.0]], device=device)
    f = mode_fractions(x, MODES.float())
    assert f.device.type == device.type
    assert f.cpu().tolist() == [0.0, 1.0, 0.0]
    g = torch.Generator().manual_seed(1)
    assert float(mode_fractions(torch.randn(1001, 2, generator=g), MODES).sum()) == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: nearest_mode(torch.zeros(4), MODES), ValueError, "x must have 2 dimensions"),
    (lambda: nearest_mode([[0.0, 0.0]], MODES), TypeError, "x must be a torch.Tensor"),
    (lambda: nearest_mode(torch.zeros(4, 2, dtype=torch.long), MODES), TypeError, "x must be a real floating"),
    (lambda: nearest_mode(torch.tensor([[0.0, math.inf]]), MODES), ValueError, "x contains"),
    (lambda: nearest_mode(torch.zeros(4, 2), MODES[:, :1]), ValueError, r"modes must have shape \(K, 2\)"),
    (lambda: nearest_mode(torch.zeros(4, 2), torch.zeros(0, 2)), ValueError, "modes must hold at least one"),
    (lambda: nearest_mode(torch.zeros(4, 2), torch.zeros(2)), ValueError, "modes must have 2 dimensions"),
    (lambda: nearest_mode(torch.zeros(4, 2), torch.tensor([[math.nan, 0.0]])), ValueError, "modes contains"),
    (lambda: mode_fractions(torch.zeros(0, 2), MODES), ValueError, "x must hold at least one sample"),
    (lambda: mode_fractions(torch.zeros(3, 2), None), TypeError, "modes must be a torch.Tensor"),
])
def test_bad_input_names_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
