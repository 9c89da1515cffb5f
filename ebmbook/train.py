r"""One small training loop for every energy-based model in the book.

:class:`Trainer` runs ``objective(model, batch, generator=g) -> LossOutput``
under an optimiser, keeps a history, shows a notebook-aware progress bar, stops
(or rolls back) when training diverges, and writes checkpoints that load
without executing code. The same loop trains on CPU or CUDA.
"""
from __future__ import annotations

import copy
import math
import os
import pickle
from typing import Callable

import torch

from .utils import check_finite, check_int, check_positive, check_tensor

__all__ = ["Trainer", "TrainingDiverged", "CHECKPOINT_FORMAT"]

CHECKPOINT_FORMAT = "ebmbook-trainer-v1"
GUARDS = ("raise", "rollback")


class TrainingDiverged(FloatingPointError):
    """Raised when the loss or the energies become non-finite or explode."""


class Trainer:
    r"""Train ``model`` by minimising ``objective`` on minibatches of ``data``.

    Parameters
    ----------
    model : nn.Module, the energy (or any model the objective understands)
    objective : callable ``(model, batch, *, generator) -> LossOutput``, e.g.
        :class:`ebmbook.losses.ContrastiveDivergence`; if it has ``state_dict`` /
        ``load_state_dict`` (a replay buffer), checkpoints include it
    optimizer : torch.optim.Optimizer, optional (default Adam with ``lr``, betas (0, 0.999),
        the deep-EBM choice)
    lr : float, learning rate of the default optimiser
    scheduler : torch.optim.lr_scheduler.LRScheduler, optional, stepped after every
        optimisation step and saved in checkpoints (e.g. ``CosineAnnealingLR``: decaying
        the rate to zero freezes the slow random walk of the mode weights that
        persistent-chain training otherwise shows)
    seed : int, seeds the trainer's generator (batch order, sampler noise)
    guard : {'raise', 'rollback'}
        On divergence (non-finite loss, or a logged ``energy_*`` beyond
        ``max_energy`` in magnitude), raise :class:`TrainingDiverged`, or restore
        the last good snapshot, halve the learning rate and continue (at most
        ``max_rollbacks`` times, then raise).
    max_energy : float
    snapshot_every : int, steps between rollback snapshots
    grad_clip : float, optional, clip the parameters' gradient norm
    progress : bool, show a progress bar (tqdm.auto: a widget in notebooks)

    Attributes
    ----------
    history : dict of str to list of float, per step: every metric of the objective
        plus ``grad_norm`` and ``lr``
    step : int, optimisation steps taken
    generator : torch.Generator on the model's device
    rollbacks : int

    Examples
    --------
    >>> from ebmbook.models import MLPEnergy
    >>> from ebmbook.losses import ContrastiveDivergence
    >>> model = MLPEnergy(2)
    >>> trainer = Trainer(model, ContrastiveDivergence((2,), n_steps=5, buffer_size=500), lr=1e-3, progress=False)
    >>> trainer.fit(torch.randn(256, 2), n_steps=3, batch_size=32).step
    3

    Used in chapter 5 and every later chapter that trains.
    """

    def __init__(self, model: torch.nn.Module, objective: Callable, optimizer: torch.optim.Optimizer | None = None,
                 lr: float = 1e-3, *, scheduler=None, seed: int = 0, guard: str = "raise", max_energy: float = 1e4,
                 max_rollbacks: int = 3, snapshot_every: int = 50, grad_clip: float | None = None,
                 progress: bool = True):
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if not callable(objective):
            raise TypeError("objective must be callable (model, batch, *, generator) -> LossOutput")
        if guard not in GUARDS:
            raise ValueError(f"guard must be one of {GUARDS}, got {guard!r}")
        self.model = model
        self.objective = objective
        self.optimizer = optimizer if optimizer is not None else torch.optim.Adam(
            model.parameters(), lr=check_positive(lr, "lr"), betas=(0.0, 0.999))
        if scheduler is not None and getattr(scheduler, "optimizer", None) is not self.optimizer:
            raise ValueError("scheduler must be built on the trainer's optimizer")
        self.scheduler = scheduler
        self.guard = guard
        self.max_energy = check_positive(max_energy, "max_energy")
        self.max_rollbacks = check_int(max_rollbacks, "max_rollbacks", minimum=0)
        self.snapshot_every = check_int(snapshot_every, "snapshot_every", minimum=1)
        self.grad_clip = check_positive(grad_clip, "grad_clip") if grad_clip is not None else None
        self.progress = progress
        self.device = next(iter(model.parameters()), torch.empty(0)).device
        self.generator = torch.Generator(device=self.device).manual_seed(check_int(seed, "seed", minimum=0))
        self.history: dict[str, list[float]] = {}
        self.step = 0
        self.rollbacks = 0
        self._snapshot = None

    # -- the loop ---------------------------------------------------------------------
    def fit(self, data: torch.Tensor, n_steps: int, batch_size: int = 128) -> "Trainer":
        """Take ``n_steps`` optimisation steps on random minibatches of ``data``; returns ``self``.

        Steps undone by a rollback are taken again, so ``step`` always advances by ``n_steps``.

        Parameters
        ----------
        data : Tensor ``(n, *event_shape)``, moved to the model's device
        n_steps : int
        batch_size : int

        Raises
        ------
        ValueError
            If ``data`` is empty or holds NaN/inf.
        TrainingDiverged
            If training diverges (see ``guard``).
        """
        check_tensor(data, "data", min_ndim=1)
        if data.shape[0] == 0:
            raise ValueError("data must hold at least one example")
        check_finite(data, "data")
        n_steps = check_int(n_steps, "n_steps", minimum=0)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        data = data.to(self.device)
        steps = range(n_steps)
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=n_steps, desc="training", leave=False)
        self.model.train()
        done = 0
        while done < n_steps:
            if self._snapshot is None or self.step % self.snapshot_every == 0:
                self._take_snapshot()
            idx = torch.randint(data.shape[0], (batch_size,), generator=self.generator, device=self.device)
            metrics = self._one_step(data[idx])
            problem = self._divergence(metrics)
            if problem is not None:
                before = self.step
                self._handle_divergence(problem)
                done -= before - self.step  # steps undone by a rollback are taken again
                if bar is not None:
                    bar.n = done
                    bar.refresh()
                continue
            for key, value in metrics.items():
                self.history.setdefault(key, []).append(value)
            self.step += 1
            done += 1
            if bar is not None:
                bar.update(1)
                if done % 10 == 0:
                    bar.set_postfix(loss=f"{metrics.get('loss', float('nan')):.3g}")
        if bar is not None:
            bar.close()
        del steps
        return self

    def _one_step(self, batch: torch.Tensor) -> dict:
        self.optimizer.zero_grad(set_to_none=True)
        out = self.objective(self.model, batch, generator=self.generator)
        loss = out.loss
        metrics = dict(out.metrics)
        metrics.setdefault("loss", float(loss.detach()))
        if not math.isfinite(metrics["loss"]):
            return metrics
        loss.backward()
        params = [p for p in self.model.parameters() if p.grad is not None]
        if self.grad_clip is not None:
            norm = torch.nn.utils.clip_grad_norm_(params, self.grad_clip)
        else:
            norm = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in params])) if params \
                else torch.zeros(())
        metrics["grad_norm"] = float(norm)
        metrics["lr"] = float(self.optimizer.param_groups[0]["lr"])
        if math.isfinite(metrics["grad_norm"]):
            self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
        return metrics

    def _divergence(self, metrics: dict) -> str | None:
        for key, value in metrics.items():
            if not math.isfinite(value):
                return f"{key} is {value}"
            if key.startswith("energy") and abs(value) > self.max_energy:
                return f"{key} = {value:.3g} exceeds max_energy = {self.max_energy:g} in magnitude"
        return None

    def _handle_divergence(self, problem: str) -> None:
        message = (f"training diverged at step {self.step}: {problem}. Lower the learning rate or the "
                   "sampler step size, raise the energy regulariser alpha, or use spectral normalisation")
        if self.guard == "raise" or self.rollbacks >= self.max_rollbacks:
            raise TrainingDiverged(message + (f" (after {self.rollbacks} rollbacks)" if self.rollbacks else ""))
        self._restore_snapshot()
        for group in self.optimizer.param_groups:
            group["lr"] *= 0.5
        self.rollbacks += 1

    # -- snapshots and checkpoints ------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything needed to continue training identically (tensors and plain values only)."""
        objective_state = self.objective.state_dict() if hasattr(self.objective, "state_dict") else {}
        return {
            "format": CHECKPOINT_FORMAT,
            "step": self.step,
            "rollbacks": self.rollbacks,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else {},
            "objective": objective_state,
            "generator": self.generator.get_state(),
            "history": {k: list(v) for k, v in self.history.items()},
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore from :meth:`state_dict`."""
        if state.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"not an ebmbook trainer checkpoint (format {state.get('format')!r})")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        if hasattr(self.objective, "load_state_dict"):
            self.objective.load_state_dict(state["objective"])
        self.generator.set_state(state["generator"].cpu() if self.generator.device.type == "cpu"
                                 else state["generator"])
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.step = int(state["step"])
        self.rollbacks = int(state["rollbacks"])
        self._snapshot = None

    def _take_snapshot(self) -> None:
        self._snapshot = copy.deepcopy(self.state_dict())

    def _restore_snapshot(self) -> None:
        snapshot = self._snapshot
        rollbacks = self.rollbacks
        self.load_state_dict(copy.deepcopy(snapshot))
        self.rollbacks = rollbacks
        self._snapshot = snapshot

    def save(self, path: str | os.PathLike) -> None:
        """Write a checkpoint (model, optimiser, objective/replay buffer, RNG, history)."""
        torch.save(self.state_dict(), path)

    def load(self, path: str | os.PathLike) -> "Trainer":
        """Load a checkpoint written by :meth:`save`; returns ``self``.

        The file is read with ``torch.load(weights_only=True)``: a file that
        carries pickled code or arbitrary objects is refused, never executed.

        Raises
        ------
        ValueError
            If the file holds anything but tensors and plain values, or is not
            an ebmbook checkpoint.
        """
        try:
            state = torch.load(path, map_location=self.device, weights_only=True)
        except pickle.UnpicklingError as err:
            raise ValueError(
                f"refusing to load {os.fspath(path)!r}: it contains pickled Python objects or code, "
                "and ebmbook checkpoints hold only tensors and plain values"
            ) from err
        if not isinstance(state, dict):
            raise ValueError(f"not an ebmbook trainer checkpoint: {os.fspath(path)!r}")
        self.load_state_dict(state)
        return self
