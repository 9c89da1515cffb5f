"""The bad-input harness: a :class:`Case` is one wrong call and the clear error it must raise.

A case passes only if the call raises the expected exception class, from ebmbook's own code
(not a raw error from inside torch, NumPy or matplotlib), with a message that names the
argument (a regular expression). A call that returns instead fails, unless the case says
which results are acceptable (``ok``): some inputs may either work or be refused clearly.
"""
from __future__ import annotations

import contextlib
import linecache
import os
import re
import resource
from dataclasses import dataclass, field
from typing import Callable

import pytest

import ebmbook

PACKAGE_DIR = os.path.dirname(os.path.abspath(ebmbook.__file__))


@dataclass(frozen=True)
class Case:
    """One bad call of the public name ``name`` (``"module.Name"``, e.g. ``"samplers.MALA"``)."""

    name: str
    what: str
    call: Callable[[], object]
    exc: tuple[type[BaseException], ...]
    match: str
    pending: str | None = None        # "pending fix in <file>": a strict xfail until that file is fixed
    ok: Callable[[object], bool] | None = None   # a result that is acceptable instead of an error
    cap_memory: bool = False          # run under an address-space cap (the call might try to allocate GBs)
    marks: tuple = field(default=())

    @property
    def id(self) -> str:
        return f"{self.name}:{self.what}"

    def param(self):
        marks = list(self.marks)
        if self.pending is not None:
            marks.append(pytest.mark.xfail(strict=True, reason=f"pending fix in {self.pending}"))
        return pytest.param(self, id=self.id, marks=marks)


def _make(exc):
    def build(name: str, what: str, call: Callable[[], object], match: str, **kw) -> Case:
        return Case(name, what, call, exc if isinstance(exc, tuple) else (exc,), match, **kw)
    return build


T = _make(TypeError)                     # wrong type or dtype
V = _make(ValueError)                    # wrong shape, value or range
TV = _make((TypeError, ValueError))      # either is a fair answer (e.g. a dtype that is also a value)
R = _make(RuntimeError)                  # documented: unfitted model, unbound sampler
F = _make(FloatingPointError)            # documented: non-finite values that arise inside


def _origin(err: BaseException) -> tuple[str, str]:
    """File and source line where ``err`` was raised (the innermost frame of its traceback)."""
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "?", ""
    filename = tb.tb_frame.f_code.co_filename
    return filename, linecache.getline(filename, tb.tb_lineno).strip()


def _raised_by_ebmbook(err: BaseException) -> bool:
    """Whether a ``raise`` statement in ebmbook's own code raised ``err``.

    An error from inside torch or NumPy is raw even when its innermost Python frame is in
    ebmbook (a C function called there, e.g. ``torch.randn(..., generator=0)``): its line
    is the call, not a ``raise``.
    """
    filename, line = _origin(err)
    return os.path.abspath(filename).startswith(PACKAGE_DIR) and line.startswith("raise")


def _vm_size() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmSize in /proc/self/status")


@contextlib.contextmanager
def memory_cap(extra: int = 2 * 2**30):
    """Let the process grow by at most ``extra`` bytes of address space (an allocation beyond fails)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _vm_size() + extra
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _summary(result: object) -> str:
    text = repr(result)
    return text if len(text) < 200 else text[:200] + "..."


def _pattern(match: str) -> str:
    """An argument name (or names, ``a|b``) must appear as a whole word: ``n`` is not found in ``"n_steps"``."""
    return rf"\b(?:{match})\b" if re.fullmatch(r"\w+(\|\w+)*", match) else match


def check(case: Case) -> None:
    """Run ``case`` and fail with a precise message unless it raised the clear error it should."""
    expected = " or ".join(e.__name__ for e in case.exc)
    guard = memory_cap() if case.cap_memory else contextlib.nullcontext()
    try:
        with guard:
            result = case.call()
    except case.exc as err:
        if not _raised_by_ebmbook(err):
            where, line = _origin(err)
            pytest.fail(f"raw {type(err).__name__} from {where} ({line!r}), not a check of ebmbook's: {err}")
        if not re.search(_pattern(case.match), str(err)):
            pytest.fail(f"{type(err).__name__} does not name {case.match!r}: {err}")
        return
    except Exception as err:  # noqa: BLE001 - the point is to report what escaped
        pytest.fail(f"{type(err).__name__} instead of {expected} naming {case.match!r}: {err} "
                    f"(raised in {_origin(err)[0]})")
    if case.ok is not None and case.ok(result):
        return
    pytest.fail(f"no error: a silent result {_summary(result)} (expected {expected} naming {case.match!r})")
