"""The landing page's figures: one per part of the book, and the chapter dependency graph.

Every figure is computed with ``ebmbook`` when the book is built (the Sphinx
extension ``book/ebmbook_book.py`` calls :func:`generate` before any page is
read), so nothing here is a hand-made image. Run it by hand with::

    .venv/bin/python book/figures.py            # writes book/_generated/*.png

Each figure takes well under a few seconds on a 2-core CPU.

The dependency graph is read off the chapters themselves: there is an arrow
from chapter N to chapter M when chapter M's text refers back to "chapter N",
with arrows already implied by a path through other chapters left out
(transitive reduction). The parts come from ``_toc.yml``.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "_generated"
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

DPI = 110
SEED = 0


def _plt():
    import matplotlib

    matplotlib.use("Agg")  # no display; also inside the Sphinx process
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    _plt().close(fig)
    return path


# --------------------------------------------------------------------------- parts
def foundations(path: Path) -> Path:
    """A two-mode energy, its Boltzmann density, and MALA chains that sample it."""
    import torch

    from ebmbook.energies import GaussianMixture
    from ebmbook.plot import plot_energy_landscape, plot_samples
    from ebmbook.samplers import MALA, sample_chain

    plt = _plt()
    energy = GaussianMixture(torch.tensor([[-1.5, -1.0], [1.5, 1.0], [1.5, -1.5]]),
                             torch.tensor([0.6, 0.6, 0.45]))
    box = (-4.0, 4.0)
    g = torch.Generator().manual_seed(SEED)
    trace = sample_chain(MALA(energy, step_size=0.2), 3.0 * torch.randn(500, 2, generator=g), n_steps=300,
                         burn_in=200, thin=100, generator=g)
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.2), constrained_layout=True)
    plot_energy_landscape(energy, box, box, kind="energy", ax=axes[0], colorbar=False, title="energy $E(x)$")
    plot_energy_landscape(energy, box, box, ax=axes[1], colorbar=False, title=r"$p(x) = e^{-E(x)}/Z$")
    plot_samples(trace.samples[-1], energy=energy, ax=axes[2], xlim=box, ylim=box, s=3, alpha=0.7)
    axes[2].set_title(f"MALA: {trace.samples.shape[1]} chains after 500 steps")
    for ax in axes:
        ax.set_xticks([]), ax.set_yticks([])
    return _save(fig, path)


def classical(path: Path) -> Path:
    """A Hopfield network recalls stored digits from corrupted probes."""
    import torch

    from ebmbook.data import flip_spins, load_digits
    from ebmbook.models import Hopfield

    plt = _plt()
    data = load_digits(binarize=True)
    picks = [int((data.y_train == c).nonzero()[0]) for c in (0, 2, 3, 4, 7)]
    patterns = 2.0 * data.x_train[picks].double() - 1.0           # {0, 1} -> {-1, +1}
    net = Hopfield(rule="pseudoinverse").fit(patterns)
    g = torch.Generator().manual_seed(SEED)
    probes = flip_spins(patterns, 0.2, generator=g)
    recalled = net.recall(probes, generator=g).states
    rows = [("stored", patterns), ("20 % flipped", probes), ("recalled", recalled)]
    fig, axes = plt.subplots(len(rows), len(picks), figsize=(6.0, 3.8), constrained_layout=True)
    for r, (label, states) in enumerate(rows):
        for c in range(len(picks)):
            ax = axes[r, c]
            ax.imshow(states[c].reshape(data.image_shape).numpy(), cmap="gray_r", vmin=-1, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(label)
    fig.suptitle("a Hopfield network: memories are energy minima")
    return _save(fig, path)


def deep(path: Path) -> Path:
    """The score field -grad E of a ring-shaped energy and Langevin paths that follow it."""
    import numpy as np
    import torch

    from ebmbook.energies import Ring, energy_and_grad
    from ebmbook.plot import plot_energy_landscape
    from ebmbook.samplers import ULA, sample_chain

    plt = _plt()
    energy = Ring(radius=2.0, width=0.35)
    box = (-3.2, 3.2)
    fig, axes = plt.subplots(1, 2, figsize=(7.4, 3.4), constrained_layout=True)
    plot_energy_landscape(energy, box, box, ax=axes[0], colorbar=False, title=r"score $-\nabla E(x)$")
    xs = np.linspace(*box, 15)
    grid = torch.tensor(np.stack(np.meshgrid(xs, xs), -1).reshape(-1, 2))
    _, grad = energy_and_grad(energy, grid)
    score = -grad / (1.0 + grad.norm(dim=1, keepdim=True))          # squashed for display
    axes[0].quiver(grid[:, 0], grid[:, 1], score[:, 0], score[:, 1], color="white", scale=18, width=0.004)
    g = torch.Generator().manual_seed(SEED)
    x0 = 0.4 * torch.randn(6, 2, generator=g, dtype=torch.float64)
    trace = sample_chain(ULA(energy, step_size=0.01), x0, n_steps=400, generator=g)
    plot_energy_landscape(energy, box, box, ax=axes[1], colorbar=False, title="Langevin paths")
    for k in range(x0.shape[0]):
        path_k = trace.samples[:, k].numpy()
        axes[1].plot(path_k[:, 0], path_k[:, 1], lw=0.8, color="white", alpha=0.9)
        axes[1].plot(*path_k[0], "o", ms=3, color="orange")
    for ax in axes:
        ax.set_xticks([]), ax.set_yticks([])
    return _save(fig, path)


def composing(path: Path) -> Path:
    """Two energies, their product (AND) and their mixture (OR)."""
    import torch

    from ebmbook.energies import Gaussian, Mixture, Product
    from ebmbook.plot import plot_energy_landscape

    plt = _plt()
    wide, narrow = 2.0, 0.35
    a = Gaussian(torch.tensor([0.0, 0.8]), torch.diag(torch.tensor([wide, narrow]) ** 2))
    b = Gaussian(torch.tensor([0.8, 0.0]), torch.diag(torch.tensor([narrow, wide]) ** 2))
    box = (-3.5, 3.5)
    panels = [(a, "$E_1$: horizontal"), (b, "$E_2$: vertical"), (Product([a, b]), "AND: $E_1 + E_2$"),
              (Mixture([a, b]), r"OR: $-\log(e^{-E_1} + e^{-E_2})$")]
    fig, axes = plt.subplots(1, len(panels), figsize=(10, 2.8), constrained_layout=True)
    for ax, (energy, title) in zip(axes, panels):
        plot_energy_landscape(energy, box, box, ax=ax, colorbar=False, title=title)
        ax.set_xticks([]), ax.set_yticks([])
    return _save(fig, path)


# --------------------------------------------------------------------------- the graph
def _toc_parts(root: Path = ROOT) -> list[tuple[str, list[str]]]:
    """(caption, [chapter file, ...]) for every part of _toc.yml with numbered chapters."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    parts = []
    for part in toc.get("parts") or []:
        files = [c["file"] for c in part.get("chapters") or [] if re.match(r"chapters/\d\d_", c.get("file", ""))]
        if files:
            parts.append((part.get("caption", ""), files))
    return parts


def chapter_graph(root: Path = ROOT) -> tuple[dict[int, dict], set[tuple[int, int]]]:
    """Chapters in the toc ({number: {"title", "part", "file"}}) and the reduced set of (earlier, later) edges."""
    chapters: dict[int, dict] = {}
    for p, (caption, files) in enumerate(_toc_parts(root)):
        for f in files:
            path = root / (f + ".ipynb")
            if not path.is_file():
                continue
            number = int(Path(f).name[:2])
            nb = json.loads(path.read_text(encoding="utf-8"))
            text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
            title = next((line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("# ")), f)
            refs = {int(n) for n in re.findall(r"\b[Cc]hapters? (\d+)\b", text)}
            refs |= {int(n) for n in re.findall(r"\{doc\}`[^`]*?(\d\d)_[a-z_]+`", text)}
            chapters[number] = {"title": title, "part": p, "caption": caption, "file": f,
                                "refs": {n for n in refs if n < number}}
    edges = {(n, m) for m, info in chapters.items() for n in info["refs"] if n in chapters}

    def reachable(a: int, b: int, without: tuple[int, int]) -> bool:
        stack, seen = [a], {a}
        while stack:
            u = stack.pop()
            for (s, t) in edges:
                if s == u and (s, t) != without and t not in seen:
                    if t == b:
                        return True
                    seen.add(t)
                    stack.append(t)
        return False

    reduced = {e for e in edges if not reachable(e[0], e[1], without=e)}
    return chapters, reduced


def dependency_graph(path: Path, root: Path = ROOT) -> Path:
    """Chapters as boxes, one column per part, arrows from a chapter to those that build on it."""
    import textwrap

    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path as MplPath

    plt = _plt()
    chapters, edges = chapter_graph(root)
    parts = _toc_parts(root)
    n_rows = max((sum(1 for c in chapters.values() if c["part"] == p) for p in range(len(parts))), default=1)
    fig, ax = plt.subplots(figsize=(2.9 * max(len(parts), 1), 1.25 * n_rows + 0.8))
    colours = plt.get_cmap("Set2").colors
    w, h = 2.1, 0.8
    pos: dict[int, tuple[float, float]] = {}
    for p, (caption, _) in enumerate(parts):
        members = sorted(n for n, c in chapters.items() if c["part"] == p)
        x = 2.9 * p
        ax.text(x, 0.75, "\n".join(textwrap.wrap(caption, 18)), ha="center", va="bottom", fontsize=9.5,
                weight="bold")
        for r, n in enumerate(members):
            y = -1.25 * r
            pos[n] = (x, y)
            ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05",
                                        fc=colours[p % len(colours)], ec="0.3", lw=0.8, zorder=2))
            title = textwrap.shorten(chapters[n]["title"], 66, placeholder="…")
            ax.text(x, y, f"{n}. " + "\n".join(textwrap.wrap(title, 23)), ha="center", va="center",
                    fontsize=8, zorder=3)
    for a, b in sorted(edges):
        (xa, ya), (xb, yb) = pos[a], pos[b]
        if xa == xb:   # same part: straight down from the box above
            start, end, rad = (xa, ya - h / 2 - 0.05), (xb, yb + h / 2 + 0.05), 0.0
            if abs(ya - yb) > 1.5:       # skips a box: bend around it
                start, end, rad = (xa + w / 2 + 0.05, ya), (xb + w / 2 + 0.05, yb), -0.5
        elif abs(xa - xb) > 3.0:   # skips a part: run through the gaps between that part's boxes
            verts = [(xa + w / 2 + 0.05, ya)]
            for k in range(1, round((xb - xa) / 2.9)):
                x = xa + 2.9 * k
                y = ya + (yb - ya) * (x - xa) / (xb - xa)
                gap = -0.625 - 1.25 * max(0, round((-0.625 - y) / 1.25))
                verts += [(x - w / 2 - 0.05, gap), (x + w / 2 + 0.05, gap)]
            verts.append((xb - w / 2 - 0.05, yb))
            ax.add_patch(FancyArrowPatch(path=MplPath(verts), arrowstyle="-|>", mutation_scale=10, lw=0.9,
                                         color="0.25", zorder=1))
            continue
        else:
            start, end, rad = (xa + w / 2 + 0.05, ya), (xb - w / 2 - 0.05, yb), 0.1
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10, lw=0.9, color="0.25",
                                     connectionstyle=f"arc3,rad={rad}", zorder=1))
    ax.set_xlim(-1.5, 2.9 * max(len(parts) - 1, 0) + 1.5)
    ax.set_ylim(-1.25 * (n_rows - 1) - 0.8, 1.6)
    ax.set_aspect("equal")
    ax.axis("off")
    return _save(fig, path)


FIGURES = {
    "part_foundations.png": foundations,
    "part_classical.png": classical,
    "part_deep.png": deep,
    "part_using.png": composing,
    "chapter_graph.png": dependency_graph,
}


def generate(out: Path = OUT) -> list[Path]:
    """Draw every figure of the landing page into ``out``; return the paths."""
    import torch

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)      # tiny problems: one thread is fastest and leaves the other core alone
    try:
        return [draw(out / name) for name, draw in FIGURES.items()]
    finally:
        torch.set_num_threads(threads)


if __name__ == "__main__":
    import time

    t0 = time.perf_counter()
    for p in generate(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(p)
    print(f"{time.perf_counter() - t0:.1f} s")
