"""book/figures.py: the landing page's dependency graph is read off the chapters and the toc."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "book"))
import figures  # noqa: E402


def test_dependency_graph_of_the_book():
    chapters, edges = figures.chapter_graph(ROOT)
    assert 1 in chapters and 2 in chapters, chapters
    assert all(a < b for a, b in edges), edges                    # only back references
    assert (1, 2) in edges                                         # chapter 2 refers back to chapter 1
    later = [n for n in chapters if n > 1]
    reached = {b for _, b in edges}
    assert set(later) <= reached, f"chapters with no prerequisite in the graph: {set(later) - reached}"
    # transitive reduction: no edge is implied by a longer path
    for a, b in edges:
        others = edges - {(a, b)}
        frontier, seen = [a], {a}
        while frontier:
            u = frontier.pop()
            for s, t in others:
                if s == u and t not in seen:
                    seen.add(t)
                    frontier.append(t)
        assert b not in seen, (a, b)


def test_every_figure_is_drawn(tmp_path):
    paths = figures.generate(tmp_path)
    assert [p.name for p in paths] == list(figures.FIGURES)
    assert all(p.stat().st_size > 5_000 for p in paths)
