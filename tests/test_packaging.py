"""Packaging: the core installs and imports without the optional plotting stack.

``import ebmbook`` must give every core subpackage without matplotlib or
ipywidgets; ``ebmbook.plot`` and ``ebmbook.widgets`` must say which extra to
install when their dependency is missing; pyproject.toml's core dependencies
must be exactly what the core imports; and the README's "Reusing the package"
example must run on a core-only install. The missing packages are simulated in
a fresh interpreter by an import hook that refuses them.
"""
import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ebmbook"
OPTIONAL_LAYERS = ("plot", "widgets")

# Runs first in the subprocess: any import of these packages fails as if they were not
# installed, and every attempt is recorded so a test can check nobody even tried.
BLOCK = textwrap.dedent("""
    import sys

    class _Blocked:
        names = {names!r}
        attempts = []

        def find_spec(self, fullname, path=None, target=None):
            if fullname.split(".")[0] in self.names:
                self.attempts.append(fullname)
                raise ModuleNotFoundError(f"No module named {{fullname!r}} (blocked by the test)",
                                          name=fullname)
            return None

    _blocker = _Blocked()
    sys.meta_path.insert(0, _blocker)
""")


def run_blocked(code: str, blocked=("matplotlib", "ipywidgets"), tmp_path=None) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter in which the ``blocked`` packages cannot be imported."""
    program = BLOCK.format(names=set(blocked)) + textwrap.dedent(code)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}   # this checkout, whatever is installed
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env,
                          cwd=tmp_path or ROOT, timeout=300)


def test_core_imports_without_matplotlib_or_ipywidgets(tmp_path):
    result = run_blocked("""
        import ebmbook
        for name in ("energies", "exact", "samplers", "models", "losses", "train", "metrics", "data", "utils"):
            assert getattr(ebmbook, name).__name__ == "ebmbook." + name, name
        assert sorted(ebmbook.__all__) == sorted(["energies", "exact", "samplers", "models", "losses",
                                                  "train", "metrics", "data", "utils", "__version__"])
        assert not _blocker.attempts, _blocker.attempts   # nobody even tried to import them
        assert "ebmbook.plot" not in sys.modules and "ebmbook.widgets" not in sys.modules
        print("core ok")
    """, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "core ok" in result.stdout


@pytest.mark.parametrize("layer, blocked, extra", [
    ("plot", ("matplotlib",), 'pip install "ebmbook[plot]"'),
    ("widgets", ("ipywidgets",), 'pip install "ebmbook[widgets]"'),
    ("widgets", ("matplotlib",), 'pip install "ebmbook[widgets]"'),
])
def test_optional_layers_name_their_extra(tmp_path, layer, blocked, extra):
    result = run_blocked(f"""
        import ebmbook
        try:
            import ebmbook.{layer}
        except ImportError as err:
            print("ImportError:", err)
        else:
            raise SystemExit("ebmbook.{layer} imported without {blocked[0]}")
    """, blocked=blocked, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert extra in result.stdout, result.stdout


def test_load_digits_without_scikit_learn_names_the_extra(tmp_path):
    result = run_blocked("""
        from ebmbook.data import load_digits, toy_dataset
        toy_dataset("two_moons", 10)        # the rest of ebmbook.data works
        try:
            load_digits()
        except ImportError as err:
            print("ImportError:", err)
    """, blocked=("sklearn",), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert 'pip install "ebmbook[data]"' in result.stdout, result.stdout


# --- pyproject.toml ------------------------------------------------------------------
def _pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _name(requirement: str) -> str:
    """The distribution name of a requirement string, normalised (``scikit_learn>=1`` -> ``scikit-learn``)."""
    return re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


# Import name -> distribution name, where they differ.
DISTRIBUTIONS = {"sklearn": "scikit-learn", "yaml": "pyyaml"}


def _module_level_imports(path: Path) -> set[str]:
    """Top-level names of the absolute imports a module runs when it is imported (not inside functions)."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Try):   # a guarded import is still run at import time
            for sub in ast.walk(node):
                if isinstance(sub, ast.Import):
                    names |= {a.name.split(".")[0] for a in sub.names}
    return names


def _core_modules():
    return [p for p in PACKAGE.rglob("*.py")
            if p.relative_to(PACKAGE).parts[0] not in OPTIONAL_LAYERS]


def test_core_dependencies_are_what_the_core_imports():
    project = _pyproject()["project"]
    core = {_name(r) for r in project["dependencies"]}
    assert not core & {"matplotlib", "ipywidgets", "scikit-learn", "jupyter-book"}, core
    imported = set()
    for path in _core_modules():
        imported |= _module_level_imports(path)
    third_party = {DISTRIBUTIONS.get(n, n) for n in imported
                   if n not in sys.stdlib_module_names and n not in ("ebmbook", "__future__")}
    # Every package the core imports at import time is a core dependency, and vice versa
    # (tqdm is imported lazily, for progress bars, so it is listed without a top-level import).
    assert third_party <= core, third_party - core
    assert core - third_party <= {"tqdm"}, core - third_party


def _imported_modules(path: Path) -> set[str]:
    """Every module an ``import`` anywhere in ``path`` may name, relative imports resolved."""
    package = list(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = base + (node.module.split(".") if node.module else [])
            names.add(".".join(module))
            names |= {".".join(module + [a.name]) for a in node.names}   # `from . import plot`
    return names


def test_core_never_imports_the_optional_layers():
    for path in _core_modules():
        for name in _imported_modules(path):
            assert not name.startswith(tuple(f"ebmbook.{layer}" for layer in OPTIONAL_LAYERS)), (path, name)


def test_extras_hold_the_optional_layers():
    extras = {k: [r.replace(" ", "") for r in v] for k, v in _pyproject()["project"]["optional-dependencies"].items()}
    assert "matplotlib" in {_name(r) for r in extras["plot"]}
    assert "ipywidgets" in {_name(r) for r in extras["widgets"]}
    assert "ebmbook[plot]" in extras["widgets"]           # the explorers draw with ebmbook.plot
    assert "scikit-learn" in {_name(r) for r in extras["data"]}
    for name in ("book", "test"):                         # building and testing the book needs everything
        selves = [r for r in extras[name] if _name(r) == "ebmbook"]
        assert selves and {"plot", "widgets", "data"} <= set(re.search(r"\[(.*)\]", selves[0])[1].split(",")), name


# --- the README's example ------------------------------------------------------------
def test_readme_reuse_example_runs_on_the_core(tmp_path):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Reusing the package", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the 'Reusing the package' section should hold one Python example"
    result = run_blocked(blocks[0] + "\nassert not _blocker.attempts, _blocker.attempts\n", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "torch.Size([1000, 256, 2])" in result.stdout, result.stdout
