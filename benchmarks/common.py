"""Shared helpers of the benchmarks: timing, environment record, result files.

Benchmarks compare implementations *in one process, in one run*: every
candidate is warmed up, then the candidates are timed in interleaved rounds
(the order rotates each round) and the median over rounds is reported. What a
benchmark reports are ratios between candidates measured this way, which
survive a change of machine far better than absolute seconds.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).resolve().parent / "results"

if str(REPO_ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO_ROOT))


def resolve_device(name: str) -> torch.device:
    """``"auto"`` picks CUDA when present, else CPU; anything else is passed to ``torch.device``."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda requested but CUDA is not available")
    return device


def synchronize(device: torch.device) -> None:
    """Wait for queued kernels so that wall-clock timings are honest on GPUs."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _minor_faults() -> int:
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    except (ImportError, OSError):  # pragma: no cover - not on POSIX
        return 0


def time_call(fn: Callable[[], object], device: torch.device, inner: int = 1) -> tuple[float, float, float]:
    """Per call of ``fn``, averaged over ``inner`` back-to-back calls: wall seconds,
    process CPU seconds (all threads; unaffected by time spent descheduled) and
    minor page faults."""
    synchronize(device)
    faults = _minor_faults()
    cpu = time.process_time()
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    synchronize(device)
    wall = time.perf_counter() - start
    return wall / inner, (time.process_time() - cpu) / inner, (_minor_faults() - faults) / inner


def malloc_no_trim() -> bool:
    """Stop glibc from returning freed memory to the OS (fixed mmap and trim thresholds).

    With the default, dynamic thresholds, the megabyte-sized activation buffers of
    an autograd pass can be unmapped after every step and page-faulted back in at
    the next, at a cost that depends on the allocation history of the process.
    Fixing the thresholds removes that effect for every candidate alike. Returns
    whether it took effect (glibc only).
    """
    try:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        ok = libc.mallopt(M_MMAP_THRESHOLD, 256 * 2**20) == 1
        ok = (libc.mallopt(M_TRIM_THRESHOLD, 1024 * 2**20) == 1) and ok
        return ok
    except (OSError, AttributeError):
        return False


def interleaved(candidates: dict[str, Callable[[], object]], device: torch.device, *,
                repeats: int, warmup: int = 1, inner: int | dict[str, int] = 1,
                budget_s: float | None = None, min_repeats: int = 3) -> dict[str, dict]:
    """Time every candidate in interleaved rounds; return per-candidate statistics.

    Parameters
    ----------
    candidates : name -> zero-argument callable (one unit of work)
    repeats : number of timed rounds; each round times every candidate once,
        in an order that rotates from round to round
    warmup : untimed calls of every candidate before the first round
    inner : calls per timed sample (an int, or a per-candidate dict)
    budget_s : optional wall-clock budget; once spent, stop after ``min_repeats``
        rounds (keeps a run on a busy shared machine from dragging on)

    Returns
    -------
    dict name -> {"median_s", "min_s", "max_s", "samples_s", "cpu_median_s",
    "cpu_samples_s", "minor_faults"}, per call (seconds; faults a median);
    ``len(samples_s)`` is the number of rounds actually timed
    """
    names = list(candidates)
    inner_of = {n: (inner[n] if isinstance(inner, dict) else inner) for n in names}
    for _ in range(warmup):
        for n in names:
            time_call(candidates[n], device, inner_of[n])
    samples: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    faults: dict[str, list[float]] = {n: [] for n in names}
    start = time.perf_counter()
    for r in range(repeats):
        if budget_s is not None and r >= min_repeats and time.perf_counter() - start > budget_s:
            break
        k = r % len(names)
        for n in names[k:] + names[:k]:
            wall, cpu_s, flt = time_call(candidates[n], device, inner_of[n])
            samples[n].append(wall)
            cpu[n].append(cpu_s)
            faults[n].append(flt)
    return {
        n: {
            "median_s": statistics.median(s),
            "min_s": min(s),
            "max_s": max(s),
            "samples_s": s,
            "cpu_median_s": statistics.median(cpu[n]),
            "cpu_samples_s": cpu[n],
            "minor_faults": statistics.median(faults[n]),
        }
        for n, s in samples.items()
    }


def environment(device: torch.device) -> dict:
    """What the numbers were measured on."""
    info = {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"),
        "device": str(device),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    try:
        import ebmbook

        info["ebmbook"] = ebmbook.__version__
    except Exception:  # pragma: no cover - reported, not fatal
        info["ebmbook"] = None
    return info


def load_average() -> list[float] | None:
    """1, 5 and 15-minute load averages (None where the OS has none): a busy
    neighbour on a small machine inflates times and widens the spread."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_json(data: dict, path: Path) -> Path:
    """Write ``data`` as indented JSON, creating the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    return path


def table(rows: list[list[str]], header: list[str]) -> str:
    """A plain-text table with right-aligned numeric columns."""
    cols = list(zip(header, *rows))
    widths = [max(len(str(c)) for c in col) for col in cols]
    def fmt(row):
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths)))
    line = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(header), line] + [fmt(r) for r in rows])


def finish(result: dict, device: torch.device, out: Path, t_start: float, what: str = "absolute times") -> Path:
    """Close a benchmark run: wall time, end-of-run load, a warning if other processes shared the CPU, JSON.

    Every ``bench_*.py`` ends with this, so their results carry the same fields.
    """
    env = result["environment"]
    result["wall_s"] = time.perf_counter() - t_start
    env["loadavg_end"] = load_average()
    loads = [la[0] for la in (env["loadavg_start"], env["loadavg_end"]) if la]
    busy = max(loads, default=0.0)
    # this process alone accounts for up to its own threads of the load
    if device.type == "cpu" and env["cpu_count"] and busy > env["cpu_count"] + 0.5:
        print(f"\nwarning: 1-minute load average reached {busy:.1f} on {env['cpu_count']} cores: other "
              f"processes shared the CPU, so {what} are inflated and ratios noisier than usual")
    path = write_json(result, out)
    print(f"\ntotal {result['wall_s']:.1f} s; results written to {path}")
    return path
