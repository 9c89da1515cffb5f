"""Checkpoint files that load without executing code, checked before anything is restored.

:class:`ebmbook.train.Trainer` writes its state with ``torch.save`` and reads it
back with :func:`read_checkpoint` (``torch.load(weights_only=True)``), then
checks it with :func:`check_checkpoint` against its own current state, so that
a corrupt, partial or mismatched file is refused before the model, optimiser or
objective is touched.
"""
from __future__ import annotations

import os
import pickle
from collections.abc import Mapping

import torch

from .utils import check_path

__all__ = ["CHECKPOINT_FORMAT", "CHECKPOINT_KEYS", "read_checkpoint", "check_same_tensors", "check_checkpoint"]

CHECKPOINT_FORMAT = "ebmbook-trainer-v1"
CHECKPOINT_KEYS = ("format", "step", "rollbacks", "model", "optimizer", "scheduler", "objective", "generator",
                   "history")
# Phrases of torch's weights-only unpickler meaning "this file holds objects or code that will not be
# built", as opposed to "these bytes are not a pickle at all", which also surfaces as UnpicklingError
# (e.g. "Unsupported operand 215" on random bytes).
_PICKLED_CODE_MARKERS = ("Unsupported global", "is blocked", "Can only create new object", "Can only build",
                         "unrecognized function")


def read_checkpoint(path: str | os.PathLike, map_location: torch.device | str | None = None) -> object:
    """Read a file written by ``torch.save`` with ``torch.load(weights_only=True)``.

    Parameters
    ----------
    path : path of the file
    map_location : where to put the tensors (as in ``torch.load``)

    Returns
    -------
    The stored object (dicts, lists, tensors and plain values only).

    Raises
    ------
    FileNotFoundError, OSError
        If the file cannot be opened.
    ValueError
        ``"refusing to load ..."`` if the file pickles Python objects or code (which are
        never built or run); ``"... is not a valid torch checkpoint ..."`` if the bytes are
        not a torch checkpoint at all (garbage, truncated, empty).
    """
    name = path = check_path(path, "path")
    with open(path, "rb") as file:  # a missing or unreadable file raises its own OSError here
        try:
            return torch.load(file, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as err:
            if any(marker in str(err) for marker in _PICKLED_CODE_MARKERS):
                raise ValueError(f"refusing to load {name!r}: it contains pickled Python objects or code, "
                                 "and ebmbook checkpoints hold only tensors and plain values") from err
            raise ValueError(f"{name!r} is not a valid torch checkpoint (corrupt or truncated file)") from err
        except Exception as err:  # on garbage the reader fails with whatever error the bytes provoke
            raise ValueError(f"{name!r} is not a valid torch checkpoint (corrupt or truncated file): "
                             f"{type(err).__name__}: {err}") from err


def check_same_tensors(current: Mapping, saved: object, what: str) -> None:
    """Dry run of a strict ``load_state_dict``: same keys, same shape wherever both hold a tensor.

    Raises
    ------
    ValueError
        Naming ``what`` and the missing, unexpected or misshapen keys.
    """
    if not isinstance(saved, Mapping):
        raise ValueError(f"checkpoint {what} state must be a dict, got {type(saved).__name__}")
    missing, unexpected = sorted(set(current) - set(saved)), sorted(set(saved) - set(current))
    if missing or unexpected:
        raise ValueError(f"checkpoint {what} state does not match: missing keys {missing}, "
                         f"unexpected keys {unexpected}")
    for key, value in current.items():
        other = saved[key]
        if isinstance(value, torch.Tensor) and isinstance(other, torch.Tensor) and value.shape != other.shape:
            raise ValueError(f"checkpoint {what} state {key!r} has shape {tuple(other.shape)}, "
                             f"expected {tuple(value.shape)}")


def check_checkpoint(saved: object, reference: Mapping, *, strict_objective: bool) -> None:
    """Check that ``saved`` can replace ``reference``, a trainer's current ``state_dict()``.

    Parameters
    ----------
    saved : the loaded checkpoint
    reference : the state the trainer has now; the checkpoint must have the same layout
    strict_objective : compare the objective states key by key and shape by shape (an
        ``nn.Module`` objective, or parameters stored by position) rather than by their
        top-level keys only (an objective with its own ``load_state_dict``, which checks
        the rest itself)

    Raises
    ------
    ValueError
        If ``saved`` is not an ebmbook trainer checkpoint, misses a key (named), or does
        not fit: model keys or shapes, optimiser parameter groups, a scheduler state where
        there is no scheduler (or none where there is one), objective state where the
        objective has none (or none where it has some), a generator of another kind.
    """
    if not isinstance(saved, Mapping) or saved.get("format") != CHECKPOINT_FORMAT:
        found = saved.get("format") if isinstance(saved, Mapping) else type(saved).__name__
        raise ValueError(f"not an ebmbook trainer checkpoint (format {found!r})")
    missing = [key for key in CHECKPOINT_KEYS if key not in saved]
    if missing:
        raise ValueError(f"checkpoint is missing {', '.join(map(repr, missing))}")
    check_same_tensors(reference["model"], saved["model"], "'model'")
    for key, what in (("scheduler", "a scheduler"), ("objective", "objective state (parameters, a replay buffer)")):
        now, then = reference[key], saved[key]
        if not isinstance(then, Mapping):
            raise ValueError(f"checkpoint {key!r} state must be a dict, got {type(then).__name__}")
        if bool(now) != bool(then):  # never drop a replay buffer or a log Z on the floor, nor invent one
            raise ValueError(f"checkpoint {key!r} state is empty but this trainer has {what}" if now else
                             f"checkpoint {key!r} state (keys {sorted(then)}) cannot be loaded: this trainer "
                             f"has no {what.removeprefix('a ')}")
    if strict_objective:
        check_same_tensors(reference["objective"], saved["objective"], "'objective'")
    elif set(reference["objective"]) != set(saved["objective"]):
        raise ValueError(f"checkpoint 'objective' state has keys {sorted(saved['objective'])}, "
                         f"expected {sorted(reference['objective'])}")
    # after the objective: an optimiser mismatch is often just a symptom of an objective's parameters
    opt = saved["optimizer"]
    if not isinstance(opt, Mapping) or not isinstance(opt.get("state"), Mapping) \
            or not isinstance(opt.get("param_groups"), list):
        raise ValueError("checkpoint 'optimizer' is not an optimizer state_dict")
    sizes = [len(group["params"]) for group in reference["optimizer"]["param_groups"]]
    saved_sizes = [len(group.get("params", ())) if isinstance(group, Mapping) else None
                   for group in opt["param_groups"]]
    if sizes != saved_sizes:
        raise ValueError(f"checkpoint 'optimizer' has parameter groups of sizes {saved_sizes}, expected {sizes}")
    generator, expected = saved["generator"], reference["generator"]
    if not isinstance(generator, torch.Tensor) or generator.dtype != torch.uint8 \
            or generator.numel() != expected.numel():
        raise ValueError("checkpoint 'generator' is not the state of a generator of this trainer's device type")
    if not isinstance(saved["history"], Mapping) or \
            not all(isinstance(k, str) and isinstance(v, list) for k, v in saved["history"].items()):
        raise ValueError("checkpoint 'history' must be a dict of metric name to list of float")
    for key in ("step", "rollbacks"):
        if isinstance(saved[key], bool) or not isinstance(saved[key], int) or saved[key] < 0:
            raise ValueError(f"checkpoint {key!r} must be a non-negative int, got {saved[key]!r}")
