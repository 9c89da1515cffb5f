"""Tests of the book itself: committed notebooks are stripped, and the table of
contents and the chapters/ folder agree.

The build executes every chapter, so a notebook committed with outputs would
only add noise to diffs (and could show stale numbers to someone reading the
file on a forge). Strip with e.g. ``jupyter nbconvert --clear-output --inplace``
or ``nbstripout``.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
TOC = ROOT / "_toc.yml"
SOURCE_SUFFIXES = (".ipynb", ".md")

NOTEBOOKS = sorted(CHAPTERS.glob("*.ipynb"))


def _toc_files(node) -> list[str]:
    """Every ``file:`` entry (root included) of a jb-book/jb-article toc, in order."""
    found: list[str] = []
    if isinstance(node, dict):
        for key in ("root", "file"):
            if isinstance(node.get(key), str):
                found.append(node[key])
        for key in ("parts", "chapters", "sections"):
            for child in node.get(key) or []:
                found.extend(_toc_files(child))
    elif isinstance(node, list):
        for child in node:
            found.extend(_toc_files(child))
    return found


def _resolve(entry: str) -> Path | None:
    """The source file a toc entry names (entries may omit the extension)."""
    path = ROOT / entry
    if path.suffix in SOURCE_SUFFIXES:
        return path if path.is_file() else None
    for suffix in SOURCE_SUFFIXES:
        candidate = path.with_name(path.name + suffix)
        if candidate.is_file():
            return candidate
    return None


def _toc_entries() -> list[str]:
    return _toc_files(yaml.safe_load(TOC.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stripped(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    problems = []
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {index} has {len(cell['outputs'])} output(s)")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {index} has execution_count {cell['execution_count']}")
    if "widgets" in nb.get("metadata", {}):
        problems.append("notebook metadata holds saved widget state ('widgets')")
    assert not problems, (
        f"{path.relative_to(ROOT)} is committed with outputs; clear them "
        f"(jupyter nbconvert --clear-output --inplace {path.relative_to(ROOT)}):\n  "
        + "\n  ".join(problems)
    )


def test_toc_is_a_jupyter_book() -> None:
    toc = yaml.safe_load(TOC.read_text(encoding="utf-8"))
    assert toc.get("format") == "jb-book", "_toc.yml must use format: jb-book"
    assert toc.get("root"), "_toc.yml must name a root page"
    entries = _toc_entries()
    duplicates = sorted({e for e in entries if entries.count(e) > 1})
    assert not duplicates, f"_toc.yml lists these more than once: {duplicates}"


def test_every_toc_entry_exists() -> None:
    missing = [entry for entry in _toc_entries() if _resolve(entry) is None]
    assert not missing, (
        "_toc.yml lists pages that do not exist (looked for "
        f"{' or '.join(SOURCE_SUFFIXES)}): {missing}"
    )


def test_every_chapter_notebook_is_in_toc() -> None:
    listed = {
        path.resolve()
        for path in (_resolve(entry) for entry in _toc_entries())
        if path is not None
    }
    unlisted = [str(p.relative_to(ROOT)) for p in NOTEBOOKS if p.resolve() not in listed]
    assert not unlisted, f"notebooks in chapters/ missing from _toc.yml: {unlisted}"
