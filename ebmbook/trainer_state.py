"""The Trainer's state: checkpoints (:meth:`save`, :meth:`load`) and rollback snapshots.

A mixin of :class:`ebmbook.train.Trainer`, kept apart so that the training loop reads on its
own. Checkpoints hold tensors and plain values only and load with ``weights_only=True``
(:mod:`ebmbook.checkpoint`); under ``torch.distributed`` they also hold every rank's generator
and objective state, gathered to rank 0, so that all ranks resume exactly.
"""
from __future__ import annotations

import copy
import os
from collections.abc import Mapping

import torch

from . import distributed as ddp
from .checkpoint import CHECKPOINT_FORMAT, check_checkpoint, read_checkpoint
from .utils import check_path

__all__: list[str] = []   # private to ebmbook.train


def _has_state_methods(obj) -> bool:
    return callable(getattr(obj, "state_dict", None)) and callable(getattr(obj, "load_state_dict", None))


class TrainerState:
    """Checkpoint and snapshot methods of :class:`ebmbook.train.Trainer` (which sets every attribute used here)."""

    # -- snapshots and checkpoints ------------------------------------------------------
    def _objective_state(self) -> dict:
        """The objective's state: its ``state_dict()``, else its own parameters by position, else ``{}``."""
        if _has_state_methods(self.objective):
            return self.objective.state_dict()
        return {str(i): p.detach().clone() for i, p in enumerate(self._objective_parameters)}

    def state_dict(self) -> dict:
        """Everything needed to continue training identically (tensors and plain values only).

        Under ``torch.distributed`` this is collective (every rank must call it): it adds
        ``"ranks"``, every rank's generator and objective state, gathered from all ranks.
        """
        state = self._local_state()
        if self._group:
            state["ranks"] = {"generator": ddp.gather_objects(state["generator"].cpu()),
                              "objective": ddp.gather_objects(ddp.to_device(state["objective"], "cpu")),
                              "batch_generator": self._batch_generator.get_state()}
        return state

    def _local_state(self) -> dict:
        return {
            "format": CHECKPOINT_FORMAT,
            "step": self.step,
            "rollbacks": self.rollbacks,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else {},
            "objective": self._objective_state(),
            "generator": self.generator.get_state(),
            "history": {k: list(v) for k, v in self.history.items()},
        }

    def _apply_state(self, state: Mapping) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        if _has_state_methods(self.objective):
            self.objective.load_state_dict(state["objective"])
        else:
            with torch.no_grad():
                for i, p in enumerate(self._objective_parameters):
                    p.copy_(state["objective"][str(i)])
        self.generator.set_state(state["generator"].cpu())  # get/set_state work on CPU byte tensors
        ranks = state.get("ranks")
        if self._group and ranks is not None:
            if len(ranks["generator"]) != self.world_size:
                raise ValueError(f"checkpoint was written by {len(ranks['generator'])} ranks, this run has "
                                 f"{self.world_size}")
            self.generator.set_state(ranks["generator"][self.rank].cpu())
            self._batch_generator.set_state(ranks["batch_generator"].cpu())
            if _has_state_methods(self.objective):
                self.objective.load_state_dict(ddp.to_device(ranks["objective"][self.rank], self.device))
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.step = int(state["step"])
        self.rollbacks = int(state["rollbacks"])
        self._snapshot = None

    def load_state_dict(self, state: dict) -> None:
        """Restore from :meth:`state_dict`; all or nothing.

        The checkpoint is validated first (format, every key, the model's and the objective's
        keys and shapes, optimiser groups, scheduler, generator); if loading still fails
        midway, the trainer is put back exactly as it was before the call.

        Raises
        ------
        ValueError
            If ``state`` is not an ebmbook checkpoint, misses a key, does not fit this
            model, optimiser or scheduler, or holds objective state this objective has no
            place for (or lacks state it needs).
        """
        reference = self.state_dict()
        check_checkpoint(state, reference, strict_objective=isinstance(self.objective, torch.nn.Module)
                         or not _has_state_methods(self.objective))
        backup, snapshot = copy.deepcopy(reference), self._snapshot
        try:
            self._apply_state(state)
        except BaseException:
            self._apply_state(backup)
            self._snapshot = snapshot
            raise

    def _take_snapshot(self) -> None:
        state = self._local_state()   # this rank's own state: no collective needed to roll back
        if self._group:
            state["ranks"] = None
            state["batch_generator"] = self._batch_generator.get_state()
        self._snapshot = copy.deepcopy(state)

    def _restore_snapshot(self) -> None:
        snapshot = self._snapshot
        rollbacks = self.rollbacks
        self._apply_state(copy.deepcopy(snapshot))  # our own snapshot: no need to validate it
        if self._group:
            self._batch_generator.set_state(snapshot["batch_generator"])
        self.rollbacks = rollbacks
        self._snapshot = snapshot

    def save(self, path: str | os.PathLike) -> None:
        """Write a checkpoint (model, optimiser, scheduler, objective state, RNG, history); under
        ``torch.distributed`` call it on every rank: rank 0 writes, the others wait for it."""
        path = check_path(path, "path")
        state = self.state_dict()
        if self.rank == 0:
            torch.save(state, path)
        if self._group:
            torch.distributed.barrier()

    def load(self, path: str | os.PathLike) -> "Trainer":
        """Load a checkpoint written by :meth:`save`; returns ``self``.

        The file is read with ``torch.load(weights_only=True)``: a file that
        carries pickled code or arbitrary objects is refused, never executed.
        Loading is all or nothing (see :meth:`load_state_dict`).

        Raises
        ------
        FileNotFoundError
            If there is no file at ``path``.
        ValueError
            If the file holds anything but tensors and plain values, is not a torch
            checkpoint at all (corrupt, truncated), or is not an ebmbook checkpoint
            that fits this trainer.
        """
        self.load_state_dict(read_checkpoint(path, map_location=self.device))
        return self
