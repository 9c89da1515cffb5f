"""Shared fixtures: tests run on every available device (CPU, and CUDA when present)."""
import pytest
import torch

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])

# Statistical tests reject a correct implementation with probability at most ALPHA
# (divided among the tests of one check by Bonferroni where a check runs several).
ALPHA = 1e-4


@pytest.fixture(params=DEVICES)
def device(request):
    return torch.device(request.param)


def generator_on(device, seed=0):
    return torch.Generator(device=device).manual_seed(seed)


@pytest.fixture
def make_generator():
    return generator_on
