"""Execute each chapter once: a failing assert still fails the build, and book/executed.py only lets
`make test` skip the chapters when the build executed exactly the current files without an error."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "book"))
import executed  # noqa: E402


def _notebook(path: Path, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A chapter")]
                                  + [nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.mark.slow
def test_a_failing_assert_fails_the_book_build(tmp_path):
    """The book's own execution settings (_config.yml) with -W: an assert that fails is a failed build."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    (tmp_path / "_config.yml").write_text(yaml.safe_dump({"title": "t", "execute": config["execute"],
                                                          "only_build_toc_files": True}))
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: chapter\n")
    (tmp_path / "intro.md").write_text("# Intro\n")
    _notebook(tmp_path / "chapter.ipynb", ["x = 1 + 1", "assert x == 3, 'the claim does not hold'", "y = 2"])
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run([str(jupyter_book), "build", str(tmp_path), "--all", "-W", "-n", "--keep-going"],
                            capture_output=True, text=True, timeout=600)
    log = result.stdout + result.stderr
    assert result.returncode != 0, log
    assert "the claim does not hold" in log or "AssertionError" in log, log
    # and the record of what was executed sees that the last cell never ran
    problems = executed.problems_of(tmp_path / "_build" / "jupyter_execute" / "chapter.ipynb")
    assert any("did not run" in p or "raised AssertionError" in p for p in problems), problems


def _fake_project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for d in ("chapters", "ebmbook", "benchmarks"):
        (root / d).mkdir(parents=True)
    for f in ("constraints.txt", "pyproject.toml", "_config.yml", "_toc.yml"):
        (root / f).write_text(f"# {f}\n")
    (root / "ebmbook" / "core.py").write_text("X = 1\n")
    _notebook(root / "chapters" / "01_a.ipynb", ["assert 1 + 1 == 2"])
    return root


def _execute_into_build(root: Path, ok: bool = True) -> None:
    out = root / "_build" / "jupyter_execute" / "chapters"
    out.mkdir(parents=True, exist_ok=True)
    nb = json.loads((root / "chapters" / "01_a.ipynb").read_text())
    for i, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        cell["execution_count"] = i + 1
        if not ok:
            cell["outputs"] = [{"output_type": "error", "ename": "AssertionError", "evalue": "", "traceback": []}]
    (out / "01_a.ipynb").write_text(json.dumps(nb))


def test_record_lets_make_test_skip_only_identical_inputs(tmp_path):
    root = _fake_project(tmp_path)
    assert executed.check(root) == 1                  # no build yet: execute the chapters
    executed.start(root)
    _execute_into_build(root)
    assert executed.finish(root) == 0
    assert executed.check(root) == 0                  # the build executed exactly these files
    (root / "ebmbook" / "core.py").write_text("X = 2\n")
    assert executed.check(root) == 1                  # the package changed: execute again
    (root / "ebmbook" / "core.py").write_text("X = 1\n")
    assert executed.check(root) == 0
    (root / "ebmbook" / "__pycache__").mkdir()
    (root / "ebmbook" / "__pycache__" / "core.cpython-311.pyc").write_bytes(b"\0")
    assert executed.check(root) == 0                  # caches do not count
    _notebook(root / "chapters" / "02_b.ipynb", ["pass"])
    assert executed.check(root) == 1                  # a new chapter: execute


def test_no_record_when_a_cell_failed_or_did_not_run(tmp_path):
    root = _fake_project(tmp_path)
    executed.start(root)
    _execute_into_build(root, ok=False)
    assert executed.finish(root) == 1
    assert executed.check(root) == 1
    executed.start(root)                              # a build that did not execute the chapter at all
    shutil.rmtree(root / "_build" / "jupyter_execute")
    assert executed.finish(root) == 1
    assert executed.check(root) == 1


def test_no_record_when_inputs_changed_during_the_build(tmp_path):
    root = _fake_project(tmp_path)
    executed.start(root)
    _execute_into_build(root)
    (root / "chapters" / "01_a.ipynb").write_text((root / "chapters" / "01_a.ipynb").read_text() + " ")
    assert executed.finish(root) == 0                 # the build itself was fine ...
    assert executed.check(root) == 1                  # ... but it executed other files than these
