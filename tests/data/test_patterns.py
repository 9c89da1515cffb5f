"""Tests of ebmbook.data.patterns: random ±1 patterns and their corruption, and the device rule."""
import math

import pytest
import torch

from ebmbook.data import flip_spins, random_patterns


def seeded(seed, device="cpu"):
    return torch.Generator(device=device).manual_seed(seed)


# --- random_patterns -------------------------------------------------------------
def test_random_patterns_are_spins_and_seeded():
    xi = random_patterns(4, 50, generator=seeded(0))
    assert xi.shape == (4, 50) and xi.dtype == torch.float32
    assert bool(((xi == 1) | (xi == -1)).all())
    assert torch.equal(xi, random_patterns(4, 50, generator=seeded(0)))
    assert not torch.equal(xi, random_patterns(4, 50, generator=seeded(1)))
    # The book's recipe, `where(rand < 0.5, -1, +1)`, gives the same numbers for bias 0.
    recipe = torch.where(torch.rand(4, 50, generator=seeded(0)) < 0.5, -1.0, 1.0)
    assert torch.equal(xi, recipe)


@pytest.mark.parametrize("bias", [-0.6, 0.0, 0.4])
def test_random_patterns_bias_is_the_mean(bias):
    # 200 000 independent units: the sample mean has standard deviation sqrt(1 - b^2)/447 < 2.3e-3,
    # so a 4.5-sigma band (false-failure probability ~7e-6) is 0.0101.
    xi = random_patterns(400, 500, bias=bias, generator=seeded(3), dtype=torch.float64)
    assert abs(float(xi.mean()) - bias) < 4.5 * math.sqrt(1 - bias**2) / math.sqrt(xi.numel())
    assert torch.equal(random_patterns(2, 8, bias=1.0), torch.ones(2, 8))
    assert torch.equal(random_patterns(2, 8, bias=-1.0), -torch.ones(2, 8))


def test_random_patterns_devices(device):
    # Drawn on the generator's device, then moved: the same seed gives the same patterns everywhere.
    cpu = random_patterns(3, 20, generator=seeded(5))
    moved = random_patterns(3, 20, generator=seeded(5), device=device, dtype=torch.float64)
    assert moved.device.type == device.type and moved.dtype == torch.float64
    assert torch.equal(moved.cpu().float(), cpu)
    on_device = random_patterns(3, 20, generator=seeded(5, device))
    assert on_device.device.type == device.type


def test_random_patterns_bad_input():
    with pytest.raises(ValueError, match="n_patterns"):
        random_patterns(0, 10)
    with pytest.raises(TypeError, match="n_units"):
        random_patterns(2, 1.5)
    with pytest.raises(ValueError, match="bias"):
        random_patterns(2, 10, bias=1.5)
    with pytest.raises(TypeError, match="generator"):
        random_patterns(2, 10, generator=0)
    with pytest.raises(TypeError, match="dtype"):
        random_patterns(2, 10, dtype=torch.int64)


# --- flip_spins ----------------------------------------------------------------------
@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.25, 0.5, 1.0])
def test_flip_spins_flips_exactly(fraction):
    x = random_patterns(5, 40, generator=seeded(0))
    out = flip_spins(x, fraction, generator=seeded(1))
    assert out.shape == x.shape and out.dtype == x.dtype
    assert torch.equal((out != x).sum(-1), torch.full((5,), round(fraction * 40)))
    assert bool(((out == 1) | (out == -1)).all())
    one = flip_spins(x[0], fraction, generator=seeded(1))
    assert one.shape == (40,)
    assert torch.equal(out, flip_spins(x, fraction, generator=seeded(1)))
    assert torch.equal(x, random_patterns(5, 40, generator=seeded(0)))   # the input is left alone


def test_flip_spins_chooses_units_uniformly():
    # Flipping 1 of 4 units in 8000 copies: each unit is chosen ~Binomial(8000, 1/4) times,
    # sd 38.7; a 5-sigma band has false-failure probability ~2e-6 per unit.
    counts = (flip_spins(torch.ones(8000, 4), 0.25, generator=seeded(2)) == -1).sum(0)
    assert bool(((counts - 2000).abs() < 5 * 38.7).all()), counts


def test_flip_spins_on_device(device):
    x = random_patterns(3, 30, generator=seeded(0), device=device)
    out = flip_spins(x, 0.2, generator=seeded(4, device))
    assert out.device.type == device.type
    assert torch.equal((out != x).sum(-1).cpu(), torch.full((3,), 6))


def test_flip_spins_bad_input():
    with pytest.raises(ValueError, match="flip_fraction"):
        flip_spins(torch.ones(4), 1.5)
    with pytest.raises(ValueError, match="-1 and \\+1"):
        flip_spins(torch.zeros(4), 0.5)
    with pytest.raises(ValueError, match="shape"):
        flip_spins(torch.ones(2, 2, 2), 0.5)
    with pytest.raises(TypeError, match="generator"):
        flip_spins(torch.ones(4), 0.5, generator="seed")


# --- the device rule (ebmbook.utils.check_generator) ------------------------------
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_flip_spins_refuses_a_generator_on_another_device():
    with pytest.raises(ValueError, match="generator"):
        flip_spins(torch.ones(4, device="cuda"), 0.5, generator=seeded(0))
    with pytest.raises(ValueError, match="generator"):
        flip_spins(torch.ones(4), 0.5, generator=seeded(0, "cuda"))
    # cuda and cuda:0 are the same device.
    flip_spins(torch.ones(4, device="cuda:0"), 0.5, generator=seeded(0, "cuda"))
