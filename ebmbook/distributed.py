r"""What :class:`ebmbook.train.Trainer` needs to train on several processes with ``torch.distributed``.

Launch the same script on every process with ``torchrun --nproc_per_node=N script.py`` (or
``torch.multiprocessing``), initialise the process group (``torch.distributed.init_process_group``
with ``"nccl"`` on GPUs, ``"gloo"`` on CPUs), and build the trainer as usual: it detects the group.

Data parallelism here is the arithmetic of ``DistributedDataParallel`` done explicitly: every
rank starts from rank 0's parameters, takes its share of one global batch, and after each
backward pass the gradients are averaged over ranks (one flat all-reduce), so every rank takes
the same optimiser step and the parameters stay identical. ``DistributedDataParallel`` itself is
not used because its reducer assumes the loss is built by calling the wrapped module's
``forward`` once; energy-based objectives call the energy many times and differentiate it in
``x`` inside the loss (samplers' ``autograd.grad``, score matching's double backward, NCE's
``log_prob``), which that reducer does not support.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch
import torch.distributed as dist

from .utils import check_int

__all__ = ["process_group", "rank_seed", "broadcast_from_rank0", "average_gradients", "average_metrics",
           "gather_objects", "to_device"]


def process_group(distributed: bool | None = None) -> tuple[int, int] | None:
    """``(rank, world_size)`` of the initialised default process group, or ``None`` for one process.

    Parameters
    ----------
    distributed : bool or None
        ``None`` detects: distributed when ``torch.distributed`` has an initialised group of
        more than one process. ``True`` requires one; ``False`` trains this process alone.

    Raises
    ------
    RuntimeError
        If ``distributed=True`` and no process group is initialised.
    TypeError
        If ``distributed`` is not a bool or None.

    Examples
    --------
    >>> process_group() is None      # a plain Python process
    True

    Used by :class:`ebmbook.train.Trainer`.
    """
    if distributed is not None and not isinstance(distributed, bool):
        raise TypeError(f"distributed must be True, False or None (detect), got {type(distributed).__name__}")
    active = dist.is_available() and dist.is_initialized()
    if distributed is True and not active:
        raise RuntimeError("distributed=True but no torch.distributed process group is initialised: launch with "
                           "torchrun and call torch.distributed.init_process_group first")
    if distributed is False or not active or dist.get_world_size() == 1:
        return None
    return dist.get_rank(), dist.get_world_size()


def rank_seed(seed: int, rank: int) -> int:
    """A distinct, reproducible seed for ``rank`` from the trainer's ``seed`` (rank 0 keeps ``seed``).

    Examples
    --------
    >>> rank_seed(7, 0)
    7
    """
    seed, rank = check_int(seed, "seed", minimum=0), check_int(rank, "rank", minimum=0)
    return (seed + rank * 0x9E3779B97F4A7C15) % 2**63


def broadcast_from_rank0(tensors: Iterable[torch.Tensor]) -> None:
    """Overwrite ``tensors`` in place with rank 0's values (one broadcast per tensor)."""
    with torch.no_grad():
        for t in tensors:
            dist.broadcast(t.data, src=0)


def average_gradients(parameters: list[torch.nn.Parameter]) -> None:
    """Replace every parameter's gradient by its mean over ranks (a missing gradient counts as zero)."""
    if not parameters:
        return
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in parameters]
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat, op=dist.ReduceOp.SUM)
    flat /= dist.get_world_size()
    offset = 0
    for p in parameters:
        n = p.numel()
        p.grad = flat[offset:offset + n].view_as(p).clone()
        offset += n


_VERIFIED_NAMES: set[tuple[str, ...]] = set()


def average_metrics(metrics: Mapping[str, float], device: torch.device) -> dict[str, float]:
    """The mean of each metric over ranks; every rank must log the same names.

    Raises
    ------
    RuntimeError
        If the ranks log different metric names (their averages would be meaningless).
    """
    names = sorted(metrics)
    if tuple(names) not in _VERIFIED_NAMES:   # compare the names across ranks once, not at every step
        gathered = gather_objects(names)
        if any(other != names for other in gathered):
            raise RuntimeError(f"ranks logged different metrics: {gathered}")
        _VERIFIED_NAMES.add(tuple(names))
    values = torch.tensor([float(metrics[k]) for k in names], dtype=torch.float64, device=device)
    dist.all_reduce(values, op=dist.ReduceOp.SUM)
    values /= dist.get_world_size()
    return dict(zip(names, values.tolist()))


def gather_objects(obj) -> list:
    """``obj`` from every rank, in rank order (``all_gather_object``)."""
    out = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def to_device(state, device):
    """A (nested) state dict with its tensors moved to ``device`` (``"cpu"`` to gather it across ranks)."""
    if isinstance(state, torch.Tensor):
        return state.detach().to(device)
    if isinstance(state, Mapping):
        return {k: to_device(v, device) for k, v in state.items()}
    return state
