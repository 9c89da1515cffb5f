"""Tests of ebmbook.plot: every function draws on small input, returns its Axes/Figure,
labels its axes, accepts tensors and arrays, and rejects badly shaped input by name."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ebmbook import plot  # noqa: E402
from ebmbook.energies import Gaussian, Ring  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def as_numpy(x):
    return x.numpy()


def as_torch(x):
    return x


BOTH = pytest.mark.parametrize("convert", [as_torch, as_numpy], ids=["torch", "numpy"])


class Float32Net(torch.nn.Module):
    """A neural energy with float32 parameters that rejects float64 input."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)


def assert_xy_labels(ax, x="$x_1$", y="$x_2$"):
    assert isinstance(ax, Axes)
    assert ax.get_xlabel() == x
    assert ax.get_ylabel() == y


# --- landscapes --------------------------------------------------------------
@pytest.mark.parametrize("kind", ["density", "energy"])
def test_energy_landscape_kinds(kind):
    ax = plot.plot_energy_landscape(Ring(), resolution=32, kind=kind, title="ring")
    assert_xy_labels(ax)
    assert ax.get_title() == "ring"
    colorbars = [a for a in ax.figure.axes if a is not ax]
    assert len(colorbars) == 1
    assert ("density" if kind == "density" else "energy") in colorbars[0].get_ylabel()


def test_energy_landscape_density_is_normalised_image():
    ax = plot.plot_energy_landscape(Gaussian(torch.zeros(2), torch.eye(2)), (-6, 6), (-6, 6),
                                    resolution=60, colorbar=False, temperature=2.0)
    image = ax.get_images()[0].get_array()
    cell = (12 / 60) ** 2
    assert image.shape == (60, 60)
    assert abs(float(image.sum()) * cell - 1.0) < 1e-9
    assert len(ax.figure.axes) == 1


def test_energy_landscape_into_given_axes_and_float32_module():
    fig, axes = plt.subplots(1, 2)
    out = plot.plot_energy_landscape(Float32Net(), resolution=16, ax=axes[1], kind="energy")
    assert out is axes[1]


def test_energy_landscape_on_device(device):  # `device`: conftest fixture, every available device
    ax = plot.plot_energy_landscape(Ring().to(device), resolution=16)
    assert_xy_labels(ax)


def test_energy_landscape_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        plot.plot_energy_landscape(Ring(), kind="logp")
    with pytest.raises(ValueError, match="xlim"):
        plot.plot_energy_landscape(Ring(), xlim=(1, -1))
    with pytest.raises(ValueError, match="temperature"):
        plot.plot_energy_landscape(Ring(), temperature=0.0)
    with pytest.raises(TypeError, match="energy"):
        plot.plot_energy_landscape("ring")


# --- samples and paths -------------------------------------------------------
@BOTH
def test_plot_samples(convert):
    x = convert(torch.randn(300, 2, generator=torch.Generator().manual_seed(0)))
    ax = plot.plot_samples(x, label="draws", max_points=100)
    assert_xy_labels(ax)
    assert ax.collections[0].get_offsets().shape == (100, 2)
    assert ax.get_legend() is not None


def test_plot_samples_over_landscape():
    x = Ring().sample(200, generator=torch.Generator().manual_seed(0))
    ax = plot.plot_samples(x, energy=Ring(), xlim=(-3, 3), ylim=(-3, 3))
    assert_xy_labels(ax)
    assert len(ax.get_images()) == 1
    assert ax.get_xlim() == (-3, 3)


def test_plot_samples_rejects_bad_shape():
    with pytest.raises(ValueError, match="samples"):
        plot.plot_samples(torch.zeros(10, 3))
    with pytest.raises(ValueError, match="samples"):
        plot.plot_samples(np.array([[0.0, np.nan]]))
    with pytest.raises(TypeError, match="samples"):
        plot.plot_samples([[0.0, 1.0]])


@BOTH
def test_plot_trajectory_marks_rejections(convert):
    path = convert(torch.randn(21, 2, generator=torch.Generator().manual_seed(1)).cumsum(0))
    accepted = torch.ones(20, dtype=torch.bool)
    accepted[[3, 7, 11]] = False
    ax = plot.plot_trajectory(path, energy=Ring(), accepted=convert(accepted))
    assert_xy_labels(ax)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "rejected (3)" in labels


def test_plot_trajectory_rejects_bad_shapes():
    with pytest.raises(ValueError, match="positions"):
        plot.plot_trajectory(torch.zeros(5))
    with pytest.raises(ValueError, match="accepted"):
        plot.plot_trajectory(torch.zeros(5, 2), accepted=torch.ones(5, dtype=torch.bool))


def test_density_comparison_energy_and_samples():
    fig = plot.plot_density_comparison(Ring(), Gaussian(torch.zeros(2), 2 * torch.eye(2)),
                                       resolution=32)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert "KL" in fig.axes[1].get_title()
    fig = plot.plot_density_comparison(Ring(), torch.randn(50, 2).numpy(), resolution=32)
    assert_xy_labels(fig.axes[1])
    with pytest.raises(ValueError, match="model"):
        plot.plot_density_comparison(Ring(), torch.zeros(4, 3))


# --- chain diagnostics -------------------------------------------------------
@BOTH
def test_plot_trace(convert):
    x = convert(torch.randn(50, 12, 2))
    ax = plot.plot_trace(x, dim=1)
    assert_xy_labels(ax, "step", "$x_{2}$")
    assert len(ax.lines) == 8  # at most 8 chains by default
    ax = plot.plot_trace(x, chains=[0, 5], label="position")
    assert len(ax.lines) == 2 and ax.get_ylabel() == "position"


def test_plot_trace_bad_input():
    with pytest.raises(ValueError, match="dim"):
        plot.plot_trace(torch.randn(50, 2, 2), dim=2)
    with pytest.raises(ValueError, match="samples"):
        plot.plot_trace(torch.randn(1, 2, 2))
    with pytest.raises(ValueError, match="chains"):
        plot.plot_trace(torch.randn(50, 2, 2), chains=[5])


@BOTH
def test_plot_autocorrelation(convert):
    g = torch.Generator().manual_seed(0)
    # AR(1) chains with coefficient 0.9: autocorrelation 0.9**lag.
    x = torch.zeros(4000, 4, 1, dtype=torch.float64)
    noise = torch.randn(4000, 4, 1, generator=g, dtype=torch.float64)
    for t in range(1, 4000):
        x[t] = 0.9 * x[t - 1] + noise[t]
    ax = plot.plot_autocorrelation(convert(x), max_lag=10, label="AR(1)")
    assert_xy_labels(ax, "lag", "autocorrelation")
    lags, rho = ax.lines[0].get_data()
    assert len(lags) == 11 and rho[0] == pytest.approx(1.0)
    assert np.allclose(rho[:6], 0.9 ** np.arange(6), atol=0.1)


def test_plot_autocorrelation_bad_input():
    with pytest.raises(ValueError, match="max_lag"):
        plot.plot_autocorrelation(torch.randn(20, 2), max_lag=0)
    with pytest.raises(ValueError, match="constant"):
        plot.plot_autocorrelation(torch.ones(20, 2))


@BOTH
def test_plot_marginal(convert):
    xs = torch.linspace(-4, 4, 100)
    dens = torch.exp(-xs**2 / 2) / (2 * torch.pi) ** 0.5
    ax = plot.plot_marginal(convert(torch.randn(500)), exact_x=convert(xs),
                            exact_density=convert(dens), bins=20)
    assert_xy_labels(ax, "$x$", "density")
    assert len(ax.patches) == 20 and len(ax.lines) == 1


def test_plot_histogram_vs_density():
    ax = plot.plot_histogram_vs_density(torch.randn(200, 2),
                                        lambda x: torch.exp(-x**2 / 2) / (2 * torch.pi) ** 0.5)
    assert_xy_labels(ax, "$x$", "density")


def test_plot_marginal_bad_input():
    with pytest.raises(ValueError, match="samples_1d"):
        plot.plot_marginal(torch.randn(5, 2, 2))
    with pytest.raises(ValueError, match="exact_x"):
        plot.plot_marginal(torch.randn(5), exact_x=torch.zeros(3))
    with pytest.raises(ValueError, match="exact_x"):
        plot.plot_marginal(torch.randn(5), exact_x=torch.zeros(3), exact_density=torch.zeros(4))


# --- spins and images --------------------------------------------------------
@BOTH
def test_plot_spins_lattice_and_chain(convert):
    s = convert(torch.tensor([1.0, -1.0] * 8))
    ax = plot.plot_spins(s, (4, 4), title="config")
    assert ax.get_images()[0].get_array().shape == (4, 4)
    assert ax.get_title() == "config"
    ax = plot.plot_spins(s)
    assert ax.get_images()[0].get_array().shape == (1, 16)


def test_plot_spins_bad_input():
    with pytest.raises(ValueError, match="spins"):
        plot.plot_spins(torch.tensor([1.0, 0.0, -1.0, 1.0]), (2, 2))
    with pytest.raises(ValueError, match="spins"):
        plot.plot_spins(torch.ones(5), (2, 2))
    with pytest.raises(ValueError, match="spins"):
        plot.plot_spins(torch.ones(2, 2))


@BOTH
def test_plot_spin_grid(convert):
    s = convert(torch.randint(0, 2, (5, 9), generator=torch.Generator().manual_seed(0)) * 2.0 - 1)
    fig = plot.plot_spin_grid(s, (3, 3), ncols=3, titles=list("abcde"))
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 5
    assert fig.axes[4].get_title() == "e"
    with pytest.raises(ValueError, match="spins"):
        plot.plot_spin_grid(s[0], (3, 3))


@pytest.mark.parametrize("shape, kwargs", [((6, 8, 8), {}), ((6, 1, 8, 8), {}),
                                           ((6, 64), {"image_shape": (8, 8)}),
                                           ((6, 3, 8, 8), {})])
@BOTH
def test_plot_image_grid_layouts(shape, kwargs, convert):
    images = convert(torch.rand(shape))
    ax = plot.plot_image_grid(images, nrow=4, title="digits", **kwargs)
    tile = ax.get_images()[0].get_array()
    # 2 rows x 4 columns of 8x8 with 1 pixel padding
    assert tile.shape[:2] == (2 * 8 + 3, 4 * 8 + 5)
    assert ax.get_title() == "digits"


def test_plot_image_grid_bad_input():
    with pytest.raises(ValueError, match="images"):
        plot.plot_image_grid(torch.rand(6, 64))
    with pytest.raises(ValueError, match="images"):
        plot.plot_image_grid(torch.rand(6, 63), image_shape=(8, 8))
    with pytest.raises(ValueError, match="image_shape"):
        plot.plot_image_grid(torch.rand(6, 64), image_shape=(64,))


@pytest.mark.parametrize("module", ["__init__", "_common", "landscapes", "samples", "diagnostics",
                                    "spins", "images"])
def test_no_pyplot_show_and_no_widgets_import(module):
    import ast
    from pathlib import Path

    tree = ast.parse((Path(plot.__file__).parent / f"{module}.py").read_text())
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    imported += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [m for m in imported if "widgets" in m]
    calls = [n.func.attr for n in ast.walk(tree)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    assert "show" not in calls


def test_modules_are_small_and_reexported():
    # One module per kind of figure, each readable top to bottom; the package re-exports them all.
    from pathlib import Path

    for path in Path(plot.__file__).parent.glob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, path.name
    for name in plot.__all__:
        assert callable(getattr(plot, name)), name


def test_landscape_uses_exact_quadrature():
    # The image is ebmbook.exact.grid_quadrature's density: plot carries no numerics of its own.
    from ebmbook.exact import grid_quadrature

    ax = plot.plot_energy_landscape(Ring(), (-3, 3), (-3, 3), resolution=20, temperature=1.5, colorbar=False)
    grid = grid_quadrature(Ring(), (-3, 3), (-3, 3), resolution=20, temperature=1.5)
    assert np.allclose(ax.get_images()[0].get_array(), grid.density.numpy(), rtol=1e-12, atol=0)


# --- fields: a 1-D energy next to its density, and the score as arrows ---------------------------------
def test_energy_profile_densities_are_normalised():
    double_well = lambda x: (x[:, 0] ** 2 - 1) ** 2  # noqa: E731
    ax_e, ax_p = plot.plot_energy_profile(double_well, (-2.5, 2.5), temperatures=(0.2, 1.0), resolution=500)
    assert ax_e.get_ylabel() == "energy $E(x)$" and ax_p.get_ylabel() == "density $p_T(x)$"
    assert len(ax_p.get_lines()) == 2
    for line in ax_p.get_lines():
        x, y = line.get_xdata(), line.get_ydata()
        assert abs(float(y.sum() * (x[1] - x[0])) - 1.0) < 1e-9      # midpoint rule on the grid
        assert abs(float(x[np.argmax(y)])) > 0.9                     # modes sit in the wells at |x| = 1


def test_energy_profile_matches_a_gaussian_density():
    ax_e, ax_p = plot.plot_energy_profile(Gaussian(torch.zeros(1), torch.eye(1)), (-8, 8), temperatures=(2.0,))
    x, y = ax_p.get_lines()[0].get_xdata(), ax_p.get_lines()[0].get_ydata()
    np.testing.assert_allclose(y, np.exp(-x**2 / 4) / np.sqrt(4 * np.pi), atol=1e-8)   # N(0, T) at T = 2


def test_score_field_arrows_point_downhill():
    ax = plot.plot_score_field(Gaussian(torch.zeros(2), torch.eye(2)), (-2, 2), (-2, 2), n_arrows=4, resolution=16)
    assert_xy_labels(ax)
    quiver = [c for c in ax.collections if c.__class__.__name__ == "Quiver"][0]
    # The score of N(0, I) is -x: every arrow points back to the origin with length |x|.
    np.testing.assert_allclose(quiver.U, -quiver.X, atol=1e-12)
    np.testing.assert_allclose(quiver.V, -quiver.Y, atol=1e-12)


def test_score_field_on_float32_module():
    ax = plot.plot_score_field(Float32Net(), n_arrows=3, resolution=8)
    assert isinstance(ax, Axes)
