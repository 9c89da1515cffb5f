"""Tests of ebmbook.widgets: the pure update functions, the explorers' construction,
and the static small-multiples figures that stand in for them in the HTML book.

The numerics the widgets build on are tested where they live: boltzmann_weights and
grid_quadrature in tests/test_exact.py, random_patterns and flip_spins in
tests/data/test_patterns.py."""
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ebmbook import widgets  # noqa: E402
from ebmbook.energies import Gaussian, Ring  # noqa: E402
from ebmbook.exact import GridDensity, grid_quadrature  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# --- tempered_grid_density -----------------------------------------------------
def test_tempered_grid_density_matches_quadrature():
    g = widgets.tempered_grid_density(Ring(), 2.0, resolution=40)
    ref = grid_quadrature(Ring(), resolution=40, temperature=2.0)
    assert isinstance(g, GridDensity)
    assert g.log_z == pytest.approx(ref.log_z)
    assert torch.allclose(g.log_density, ref.log_density)
    # A Gaussian at temperature T is a Gaussian with covariance T * I.
    gauss = widgets.tempered_grid_density(Gaussian(torch.zeros(2), torch.eye(2)), 2.0,
                                          (-9, 9), (-9, 9), resolution=200)
    assert gauss.log_z == pytest.approx(math.log(2 * math.pi * 2.0), abs=1e-3)
    with pytest.raises(ValueError, match="temperature"):
        widgets.tempered_grid_density(Ring(), -1.0)


# --- run_sampler_path ----------------------------------------------------------
def seeded(seed, device="cpu"):
    return torch.Generator(device=device).manual_seed(seed)


@pytest.mark.parametrize("name", widgets.SAMPLERS)
def test_run_sampler_path_shapes_and_determinism(name):
    a = widgets.run_sampler_path(Ring(), name, step_size=0.1, n_steps=15, x0=(2.0, 0.0), generator=seeded(3))
    b = widgets.run_sampler_path(Ring(), name, step_size=0.1, n_steps=15, x0=(2.0, 0.0), generator=seeded(3))
    assert a.positions.shape == (16, 2) and a.accepted.shape == (15,)
    assert a.accepted.dtype == torch.bool
    assert torch.equal(a.positions[0], torch.tensor([2.0, 0.0], dtype=torch.float64))
    assert torch.equal(a.positions, b.positions) and torch.equal(a.accepted, b.accepted)
    assert 0.0 <= a.acceptance_rate <= 1.0
    # A rejected step leaves the chain where it was.
    rejected = ~a.accepted
    assert torch.equal(a.positions[1:][rejected], a.positions[:-1][rejected])
    c = widgets.run_sampler_path(Ring(), name, step_size=0.1, n_steps=15, x0=(2.0, 0.0), generator=seeded(4))
    assert not torch.equal(a.positions, c.positions)


@pytest.mark.parametrize("name", widgets.SAMPLERS)
def test_run_sampler_path_is_sample_chain(name):
    # The path is exactly one chain of ebmbook.samplers.sample_chain with the same generator.
    from ebmbook.samplers import sample_chain
    from ebmbook.widgets.sampler import _make_sampler

    path = widgets.run_sampler_path(Ring(), name, step_size=0.2, n_steps=12, x0=(1.0, 0.5), generator=seeded(5))
    x0 = torch.tensor([[1.0, 0.5]], dtype=torch.float64)
    trace = sample_chain(_make_sampler(name, Ring(), 0.2), x0, 12, generator=seeded(5))
    assert torch.equal(path.positions, torch.cat([x0, trace.samples[:, 0]]))
    assert path.acceptance_rate == trace.acceptance_rate


def test_run_sampler_path_on_device(device):
    path = widgets.run_sampler_path(Ring().to(device), "MALA", n_steps=5, generator=seeded(0, device))
    assert path.positions.device.type == "cpu" and path.positions.shape == (6, 2)


def test_run_sampler_path_ula_always_accepts():
    path = widgets.run_sampler_path(Ring(), "ula", step_size=0.05, n_steps=20)
    assert path.acceptance_rate == 1.0
    assert bool(path.accepted.all())


def test_run_sampler_path_step_size_effect():
    small = widgets.run_sampler_path(Ring(), "RWM", step_size=0.01, n_steps=100, x0=(2.0, 0.0))
    large = widgets.run_sampler_path(Ring(), "RWM", step_size=3.0, n_steps=100, x0=(2.0, 0.0))
    assert small.acceptance_rate > large.acceptance_rate


def test_run_sampler_path_float32_module():
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 1)

        def forward(self, x):
            return self.lin(x).squeeze(-1) + 0.5 * x.pow(2).sum(-1)

    path = widgets.run_sampler_path(Net(), "MALA", step_size=0.1, n_steps=5)
    assert path.positions.shape == (6, 2) and path.positions.dtype == torch.float64


def test_run_sampler_path_bad_input():
    with pytest.raises(ValueError, match="sampler"):
        widgets.run_sampler_path(Ring(), "NUTS")
    with pytest.raises(ValueError, match="step_size"):
        widgets.run_sampler_path(Ring(), "MALA", step_size=0.0)
    with pytest.raises(ValueError, match="n_steps"):
        widgets.run_sampler_path(Ring(), "MALA", n_steps=0)
    with pytest.raises(ValueError, match="x0"):
        widgets.run_sampler_path(Ring(), "MALA", x0=(0.0, 0.0, 0.0))
    with pytest.raises(TypeError, match="generator"):
        widgets.run_sampler_path(Ring(), "MALA", generator=0)
    with pytest.raises(FloatingPointError, match="step size"):
        widgets.run_sampler_path(Gaussian(torch.zeros(2), torch.eye(2)), "ULA", step_size=50.0,
                                 n_steps=200, x0=(1.0, 1.0))


# --- explorers -----------------------------------------------------------------
def test_temperature_explorer_builds_and_updates():
    import ipywidgets
    w = widgets.temperature_explorer(Ring(), temperatures=(0.25, 4.0), resolution=24)
    assert isinstance(w, ipywidgets.Widget)
    slider, image = w.children
    assert isinstance(slider, ipywidgets.FloatLogSlider) and slider.value == 1.0
    first = image.value
    assert first[:4] == b"\x89PNG"
    slider.value = 2.0
    assert image.value != first
    with pytest.raises(ValueError, match="temperatures"):
        widgets.temperature_explorer(Ring(), temperatures=(0.0, 1.0))


def test_sampler_explorer_builds_and_updates():
    import ipywidgets
    w = widgets.sampler_explorer(Ring(), resolution=24)
    assert isinstance(w, ipywidgets.Widget)
    controls, status, image = w.children
    name_w, step_w, n_w = controls.children
    assert "acceptance rate" in status.value
    name_w.value = "RWM"
    assert "RWM" in status.value
    n_w.value = 20
    assert "20 steps" in status.value
    assert image.value[:4] == b"\x89PNG"


# --- static small multiples ----------------------------------------------------
def test_temperature_small_multiples_panels():
    fig = widgets.temperature_small_multiples(Ring(), [0.25, 0.5, 1.0, 2.0, 4.0], resolution=24,
                                              ncols=3)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 5
    assert "T = 0.25" in fig.axes[0].get_title()
    assert fig.axes[0].get_xlabel() == "$x_1$"


def test_sampler_small_multiples_panels():
    fig = widgets.sampler_small_multiples(Ring(), [0.01, 0.3, 3.0], sampler="RWM", n_steps=30,
                                          resolution=24)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3
    titles = [ax.get_title() for ax in fig.axes]
    assert all("acceptance" in t for t in titles)
    with pytest.raises(ValueError, match="sampler"):
        widgets.sampler_small_multiples(Ring(), [0.1], sampler="Gibbs")
    with pytest.raises(ValueError, match="step_sizes"):
        widgets.sampler_small_multiples(Ring(), [])


# --- Hopfield recall: corrupt_and_recall, explorer, small multiples ----------------
from ebmbook.data import flip_spins, random_patterns  # noqa: E402
from ebmbook.models import DenseAssociativeMemory, Hopfield  # noqa: E402


def _random_patterns(p, n, seed=0):
    return random_patterns(p, n, generator=seeded(seed))


@pytest.fixture
def memory():
    xi = _random_patterns(3, 64)  # P/N = 0.05: every pattern is a stable memory
    return Hopfield("hebbian").fit(xi), xi


def test_corrupt_and_recall_shapes_and_determinism(memory, device):
    net, xi = memory
    net = Hopfield("hebbian").fit(xi.to(device))
    a = widgets.corrupt_and_recall(net, xi[1], 0.2, generator=seeded(3, device))
    b = widgets.corrupt_and_recall(net, xi[1], 0.2, generator=seeded(3, device))
    assert isinstance(a, widgets.RecallPath)
    n = a.n_sweeps
    assert 1 <= n <= 20
    assert a.probe.shape == (64,) and a.states.shape == (n + 1, 64)
    assert a.energies.shape == (n + 1,) and a.overlaps.shape == (n + 1,)
    assert a.energies.dtype == torch.float64 and a.states.device.type == "cpu"
    assert torch.equal(a.states[0], a.probe)
    assert torch.equal(a.states, b.states) and torch.equal(a.energies, b.energies)
    # 20 % of 64 units is round(12.8) = 13 flips: overlap exactly 1 - 2 * 13 / 64.
    assert float(a.overlaps[0]) == pytest.approx(1 - 2 * 13 / 64)
    # A converged run ends with a sweep that changed nothing; at P/N = 0.05 it is the pattern.
    assert a.converged and not a.cycled and torch.equal(a.states[-1], a.states[-2])
    assert float(a.overlaps[-1]) == 1.0
    # Asynchronous sweeps never raise the energy (float32 weights: round-off ~1e-5).
    assert bool((a.energies.diff() <= 1e-4).all())
    # The path is flip_spins then Hopfield.recall, drawing from one generator in that order.
    g = seeded(3, device)
    probe = flip_spins(xi[1].to(device)[None], 0.2, generator=g)
    res = net.recall(probe, max_sweeps=20, generator=g)
    assert torch.equal(probe[0].cpu(), a.probe)
    assert torch.equal(res.states[0].cpu(), a.states[-1]) and int(res.n_sweeps[0]) == n
    assert torch.allclose(res.energies[:, 0].double().cpu(), a.energies)
    c = widgets.corrupt_and_recall(net, xi[1], 0.2, generator=seeded(4, device))
    assert not torch.equal(a.probe, c.probe)


def test_corrupt_and_recall_no_corruption_is_a_fixed_point(memory):
    net, xi = memory
    for i in range(3):
        path = widgets.corrupt_and_recall(net, xi[i], 0.0, generator=seeded(i))
        assert float(path.overlaps[0]) == 1.0 and float(path.overlaps[-1]) == 1.0
        assert path.n_sweeps == 1 and path.converged


def test_corrupt_and_recall_sync_two_cycle():
    # Two antiferromagnetic units started aligned swap forever under synchronous updates.
    net = Hopfield("hebbian").fit(torch.tensor([[1.0, -1.0]]))
    path = widgets.corrupt_and_recall(net, torch.tensor([1.0, -1.0]), 0.5, mode="sync", generator=seeded(0))
    assert path.cycled and not path.converged and path.n_sweeps == 2
    assert torch.equal(path.states[2], path.states[0])
    # Flipping all units gives the inverted pattern, itself a fixed point (overlap -1).
    inverted = widgets.corrupt_and_recall(net, torch.tensor([1.0, -1.0]), 1.0)
    assert float(inverted.overlaps[-1]) == -1.0 and inverted.converged


def test_corrupt_and_recall_dense_memory():
    xi = _random_patterns(40, 30)  # P/N > 1: beyond a classical network, fine for degree 4
    mem = DenseAssociativeMemory("polynomial", degree=4).fit(xi)
    path = widgets.corrupt_and_recall(mem, xi[0], 0.1, generator=seeded(1))
    assert float(path.overlaps[-1]) == 1.0


def test_corrupt_and_recall_bad_input(memory):
    net, xi = memory
    with pytest.raises(TypeError, match="net"):
        widgets.corrupt_and_recall(object(), xi[0], 0.1)
    with pytest.raises(RuntimeError, match="fit"):
        widgets.corrupt_and_recall(Hopfield(), xi[0], 0.1)
    with pytest.raises(ValueError, match="length 64"):
        widgets.corrupt_and_recall(net, torch.ones(10), 0.1)
    with pytest.raises(ValueError, match="pattern"):
        widgets.corrupt_and_recall(net, xi[:2], 0.1)
    with pytest.raises(ValueError, match="flip_fraction"):
        widgets.corrupt_and_recall(net, xi[0], -0.1)
    with pytest.raises(ValueError, match="mode"):
        widgets.corrupt_and_recall(net, xi[0], 0.1, mode="parallel")
    with pytest.raises(ValueError, match="max_sweeps"):
        widgets.corrupt_and_recall(net, xi[0], 0.1, max_sweeps=0)
    with pytest.raises(TypeError, match="generator"):
        widgets.corrupt_and_recall(net, xi[0], 0.1, generator=3)


def test_recall_explorer_builds_and_updates(memory):
    import ipywidgets
    net, xi = memory
    w = widgets.recall_explorer(net, xi, (8, 8), labels=["a", "b", "c"])
    assert isinstance(w, ipywidgets.Widget)
    row1, row2, status, image = w.children
    pattern_w, flip_w = row1.children
    mode_w, seed_w = row2.children
    assert "<b>a</b>" in status.value and "fixed point" in status.value
    first = image.value
    assert first[:4] == b"\x89PNG"
    pattern_w.value = 2
    assert "<b>c</b>" in status.value
    flip_w.value = 0.3
    assert "30%" in status.value and image.value != first
    mode_w.value = "sync"
    assert "sync" in status.value
    with pytest.raises(ValueError, match="image_shape"):
        widgets.recall_explorer(net, xi, (8, 9))
    with pytest.raises(ValueError, match="labels"):
        widgets.recall_explorer(net, xi, (8, 8), labels=["a"])


def test_recall_small_multiples_panels(memory):
    net, xi = memory
    fig = widgets.recall_small_multiples(net, xi[:2], (8, 8), [0.0, 0.1, 0.3])
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 6
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "0% flipped: m = 1.00" and "10% flipped" in titles[1]
    assert fig.axes[0].get_ylabel() == "pattern 0"
    with pytest.raises(ValueError, match="flip_fractions"):
        widgets.recall_small_multiples(net, xi, (8, 8), [])
    with pytest.raises(ValueError, match="flip_fractions"):
        widgets.recall_small_multiples(net, xi, (8, 8), [2.0])
    with pytest.raises(ValueError, match="patterns"):
        widgets.recall_small_multiples(net, torch.ones(2, 10), (8, 8), [0.1])


def test_recall_small_multiples_cmap(memory):
    net, xi = memory
    fig = widgets.recall_small_multiples(net, xi[:1], (8, 8), [0.0], cmap="gray_r")
    image = fig.axes[0].get_images()[0]
    assert image.get_cmap().name.startswith("gray_r")
    assert image.get_clim() == (-1.0, 1.0)


def test_small_multiples_reproduce_the_pure_functions(memory):
    # A panel of a static twin is the pure function with a fresh generator seeded with `seed`.
    net, xi = memory
    fig = widgets.recall_small_multiples(net, xi[:1], (8, 8), [0.3], seed=5)
    path = widgets.corrupt_and_recall(net, xi[0], 0.3, generator=seeded(5))
    assert fig.axes[0].get_title() == f"30% flipped: m = {float(path.overlaps[-1]):.2f}"
    fig = widgets.sampler_small_multiples(Ring(), [0.3], sampler="RWM", n_steps=40, resolution=16, seed=2)
    path = widgets.run_sampler_path(Ring(), "RWM", 0.3, 40, generator=seeded(2))
    assert fig.axes[0].get_title() == f"step 0.3: acceptance {path.acceptance_rate:.2f}"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a second device (CUDA)")
def test_generator_on_the_wrong_device_is_refused(memory):
    net, xi = memory                      # a CPU network and a CPU energy: draws happen on the CPU
    with pytest.raises(ValueError, match="generator"):
        widgets.corrupt_and_recall(net, xi[0], 0.1, generator=seeded(0, "cuda"))
    with pytest.raises(ValueError, match="generator"):
        widgets.run_sampler_path(Ring(), "MALA", generator=seeded(0, "cuda"))


def test_modules_are_small_and_reexported():
    # One module per explorer, each readable top to bottom; the package re-exports every public name.
    from pathlib import Path

    for path in Path(widgets.__file__).parent.glob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, path.name
    for name in widgets.__all__:
        assert getattr(widgets, name) is not None, name
    # The numerics moved down: they live in the core, not here.
    assert not hasattr(widgets, "boltzmann_weights") and not hasattr(widgets, "flip_spins")
