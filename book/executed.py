"""Execute each chapter once: a record that a book build executed and validated every chapter.

``make book`` executes every notebook in the table of contents (Jupyter Book 1 with
``execute_notebooks: force``; a cell that raises, a failed ``assert`` included, is a
warning that ``-W`` turns into a failed build). Around the build the Makefile calls::

    python book/executed.py start     # before: fingerprint the inputs into _build/.executed.pending
    python book/executed.py finish    # after a build that succeeded: check the executed notebooks,
                                      # then keep the fingerprint as _build/.executed.json

``finish`` opens every executed copy in ``_build/jupyter_execute/`` and checks
that every code cell ran (has an execution count) and none holds an error, the
same thing ``pytest --nbval-lax`` checks. It keeps the record only if the inputs
did not change during the build.

``make test`` then calls ``python book/executed.py check``, which exits 0 (and
says so) only when that record exists and the inputs are still byte for byte the
ones the build executed; ``make notebooks`` then does not execute the chapters a
second time. Otherwise (no build, or anything changed since) it exits 1 and the
chapters run under nbval as before. The inputs are everything a chapter's
execution can depend on: every file in ``chapters/``, ``ebmbook/`` and
``benchmarks/`` (the results page imports the benchmarks), ``constraints.txt``,
``pyproject.toml``, ``_config.yml`` and ``_toc.yml``, plus the Python and torch
versions of the environment.
"""
from __future__ import annotations

import hashlib
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INPUT_DIRS = ("chapters", "ebmbook", "benchmarks")
INPUT_FILES = ("constraints.txt", "pyproject.toml", "_config.yml", "_toc.yml")
# what the build or the tests themselves write there (all ignored by git)
IGNORED_PARTS = {"__pycache__", ".ipynb_checkpoints", "results", ".pytest_cache", "checkpoints"}
IGNORED_SUFFIXES = {".pyc", ".ckpt"}
SKIP_TAGS = {"skip-execution", "nbval-skip", "raises-exception"}


def _inputs(root: Path) -> list[Path]:
    files = [root / f for f in INPUT_FILES if (root / f).is_file()]
    for d in INPUT_DIRS:
        files += [p for p in (root / d).rglob("*") if p.is_file()
                  and not IGNORED_PARTS & set(p.relative_to(root).parts) and p.suffix not in IGNORED_SUFFIXES]
    return sorted(files)


def digests(root: Path = ROOT) -> dict[str, str]:
    """SHA-256 of every input file by path, and the interpreter's versions."""
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:  # pragma: no cover - the book needs torch
        torch_version = "none"
    found = {"<environment>": f"python {platform.python_version()} torch {torch_version}"}
    for path in _inputs(root):
        found[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def fingerprint(root: Path = ROOT, files: dict[str, str] | None = None) -> str:
    """One SHA-256 over :func:`digests`."""
    return hashlib.sha256(json.dumps(files or digests(root), sort_keys=True).encode()).hexdigest()


def notebooks(root: Path = ROOT) -> list[str]:
    """The notebooks of chapters/ (the pages the build executes and nbval runs), relative to root."""
    return sorted(p.relative_to(root).as_posix() for p in (root / "chapters").glob("*.ipynb"))


def problems_of(executed: Path) -> list[str]:
    """What is wrong with an executed notebook: cells that did not run, or that raised."""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    found = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code" or not "".join(cell.get("source", "")).strip():
            continue
        if SKIP_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.get("execution_count") is None:
            found.append(f"cell {i} did not run")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {i} raised {out.get('ename')}: {out.get('evalue', '')[:200]}")
    return found


def start(root: Path = ROOT, build: Path | None = None) -> None:
    build = build or root / "_build"
    build.mkdir(parents=True, exist_ok=True)
    (build / ".executed.json").unlink(missing_ok=True)
    (build / ".executed.pending").write_text(json.dumps(digests(root)))


def finish(root: Path = ROOT, build: Path | None = None) -> int:
    build = build or root / "_build"
    pending = build / ".executed.pending"
    if not pending.is_file():
        print("executed.py finish: no fingerprint from `executed.py start`", file=sys.stderr)
        return 1
    before = json.loads(pending.read_text())
    key = fingerprint(root, before)
    pending.unlink()
    problems = {}
    for nb in notebooks(root):
        executed = build / "jupyter_execute" / nb
        if not executed.is_file():
            problems[nb] = ["the build did not execute it (no copy in _build/jupyter_execute/)"]
        elif found := problems_of(executed):
            problems[nb] = found
    if problems:
        for nb, found in problems.items():
            print(f"{nb}:\n  " + "\n  ".join(found), file=sys.stderr)
        print("executed.py: the build did not execute every chapter cleanly", file=sys.stderr)
        return 1
    after = digests(root)
    if after != before:
        changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        print("executed.py: files changed while the book was built, so `make test` will execute the "
              "chapters again: " + ", ".join(changed[:10]) + (" ..." if len(changed) > 10 else ""))
        return 0
    record = {"fingerprint": key, "notebooks": notebooks(root),
              "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    (build / ".executed.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"executed.py: the build executed and validated {len(record['notebooks'])} notebooks")
    return 0


def check(root: Path = ROOT, build: Path | None = None) -> int:
    build = build or root / "_build"
    stamp = build / ".executed.json"
    if not stamp.is_file():
        return 1
    record = json.loads(stamp.read_text())
    if record.get("fingerprint") != fingerprint(root) or record.get("notebooks") != notebooks(root):
        return 1
    print(f"chapters: not executed again. The book build of {record['date']} executed all "
          f"{len(record['notebooks'])} notebooks of chapters/ from these exact files and every cell ran "
          "without error (book/executed.py); run `make notebooks-again` to execute them under nbval anyway.")
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    commands = {"start": lambda: start() or 0, "finish": finish, "check": check,
                "fingerprint": lambda: print(fingerprint()) or 0}
    if len(argv) != 1 or argv[0] not in commands:
        print(f"usage: python book/executed.py {{{','.join(commands)}}}", file=sys.stderr)
        return 2
    return commands[argv[0]]()


if __name__ == "__main__":
    sys.exit(main())
