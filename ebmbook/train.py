r"""One small training loop for every energy-based model in the book.

:class:`Trainer` runs ``objective(model, batch, generator=g) -> LossOutput``
under an optimiser, keeps a history, shows a notebook-aware progress bar, stops
(or rolls back) when training diverges, and writes checkpoints that load
without executing code. The same loop trains on CPU or CUDA.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Callable

import torch

from . import distributed as ddp
from .checkpoint import CHECKPOINT_FORMAT
from .trainer_state import TrainerState, _has_state_methods
from .utils import check_finite, check_int, check_positive

__all__ = ["Trainer", "TrainingDiverged", "CHECKPOINT_FORMAT"]

GUARDS = ("raise", "rollback")


class TrainingDiverged(FloatingPointError):
    """Raised when the loss or the energies become non-finite or explode."""


def _floating_dtype(module: torch.nn.Module) -> torch.dtype:
    """The dtype of the first floating parameter (or buffer) of ``module``: the precision it computes in."""
    for tensor in itertools.chain(module.parameters(), module.buffers()):
        if tensor.is_floating_point():
            return tensor.dtype
    return torch.get_default_dtype()


def _guarded_names(objective) -> frozenset[str]:
    """The metric names whose magnitude the divergence guard bounds (``objective.guarded``; none if absent)."""
    names = getattr(objective, "guarded", ())
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise TypeError(f"objective.guarded must be an iterable of metric names (str), got {names!r}")
    return frozenset(names)


class Trainer(TrainerState):
    r"""Train ``model`` by minimising ``objective`` on minibatches of ``data``.

    Parameters
    ----------
    model : nn.Module, the energy (or any model the objective understands); its device and
        floating dtype decide where and in what precision everything runs
    objective : callable ``(model, batch, *, generator) -> LossOutput``, e.g.
        :class:`ebmbook.losses.ContrastiveDivergence`. It must return an object with ``.loss``
        (a scalar tensor) and ``.metrics`` (a dict of str to float). If it is an ``nn.Module``
        or has a ``parameters()`` method (a learnable log Z), those parameters are trained too
        (an ``nn.Module`` objective is moved to the model's device and dtype). If it is an
        ``nn.Module`` or has ``state_dict`` / ``load_state_dict`` (a replay buffer), checkpoints
        and rollback snapshots include that state; a plain objective with ``parameters()`` but
        no ``state_dict`` has its parameters checkpointed by position. Its attribute
        ``guarded`` (optional) names the metrics whose magnitude the divergence guard bounds.
    optimizer : torch.optim.Optimizer, optional (default Adam with ``lr``, betas (0, 0.999),
        the deep-EBM choice, over the model's and the objective's parameters); a given
        optimiser must hold the objective's parameters
    lr : float, learning rate of the default optimiser
    scheduler : torch.optim.lr_scheduler.LRScheduler, optional, stepped after every
        optimisation step and saved in checkpoints (e.g. ``CosineAnnealingLR``: decaying
        the rate to zero freezes the slow random walk of the mode weights that
        persistent-chain training otherwise shows)
    seed : int, seeds the trainer's generator (batch order, sampler noise)
    guard : {'raise', 'rollback'}
        What to do on divergence, which is: any metric (the loss included) non-finite, or a
        metric named in ``objective.guarded`` beyond ``max_energy`` in magnitude. Other metrics
        may be as large as they like (a log-partition estimate, a squared score). ``'raise'``
        raises :class:`TrainingDiverged`; ``'rollback'`` restores the last good snapshot, halves
        the learning rate and continues (at most ``max_rollbacks`` times, then raises). A name
        in ``guarded`` that the objective does not log raises ``ValueError`` (a typo must not
        switch the guard off).
    max_energy : float, bound on the magnitude of the guarded metrics
    snapshot_every : int, steps between rollback snapshots
    grad_clip : float, optional, clip the gradient norm of all trained parameters
    progress : bool, show a progress bar (tqdm.auto: a widget in notebooks; rank 0 only)
    distributed : bool or None, data-parallel training over an initialised ``torch.distributed``
        process group (``None``: detect one; see :mod:`ebmbook.distributed`). Every rank starts
        from rank 0's parameters; each step draws one global batch of ``batch_size`` indices
        (the same on every rank, from a generator seeded with ``seed``) and each rank takes its
        ``1/world_size`` share, so ``batch_size`` is the global batch; gradients and logged
        metrics are averaged over ranks; each rank's own generator (sampler noise) is seeded
        from ``seed`` and its rank, and an objective's state (a replay buffer) is per rank.
        Only rank 0 shows the progress bar and writes checkpoints (:meth:`save` is collective:
        call it on every rank); a checkpoint holds every rank's generator and objective state,
        so all ranks resume exactly. With one process nothing changes.

    Attributes
    ----------
    history : dict of str to list of float, per step: every metric of the objective
        plus ``grad_norm`` (over all trained parameters, before clipping) and ``lr``
    step : int, optimisation steps taken
    generator : torch.Generator on the model's device
    device, dtype : the model's device and floating dtype; floating data is cast to them
    trained_parameters : list of Parameter, the model's then the objective's own (no duplicates)
    rollbacks : int

    Examples
    --------
    >>> from ebmbook.models import MLPEnergy
    >>> from ebmbook.losses import ContrastiveDivergence
    >>> model = MLPEnergy(2)
    >>> trainer = Trainer(model, ContrastiveDivergence((2,), n_steps=5, buffer=500), lr=1e-3, progress=False)
    >>> trainer.fit(torch.randn(256, 2), n_steps=3, batch_size=32).step
    3

    Used in chapter 5 and every later chapter that trains.
    """

    def __init__(self, model: torch.nn.Module, objective: Callable, optimizer: torch.optim.Optimizer | None = None,
                 lr: float = 1e-3, *, scheduler=None, seed: int = 0, guard: str = "raise", max_energy: float = 1e4,
                 max_rollbacks: int = 3, snapshot_every: int = 50, grad_clip: float | None = None,
                 progress: bool = True, distributed: bool | None = None):
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if not callable(objective):
            raise TypeError("objective must be callable (model, batch, *, generator) -> LossOutput")
        if guard not in GUARDS:
            raise ValueError(f"guard must be one of {GUARDS}, got {guard!r}")
        self._guarded = _guarded_names(objective)  # validated once; a malformed `guarded` fails here
        self.model = model
        self.objective = objective
        self.device = next(iter(model.parameters()), torch.empty(0)).device
        self.dtype = _floating_dtype(model)
        if isinstance(objective, torch.nn.Module):
            objective.to(device=self.device, dtype=self.dtype)  # casts floating tensors only
        # the model's parameters, then the objective's own (an objective may share some with the model)
        seen = {id(p) for p in model.parameters()}
        self._objective_parameters = []
        own = getattr(objective, "parameters", None)  # an nn.Module's, or a plain object's method
        for p in (own() if callable(own) else ()):
            if id(p) not in seen:
                if p.device != self.device:
                    raise ValueError(f"objective parameters must be on the model's device {self.device}, "
                                     f"got one on {p.device}")
                seen.add(id(p))
                self._objective_parameters.append(p)
        self.trained_parameters = list(model.parameters()) + self._objective_parameters
        if optimizer is None:
            optimizer = torch.optim.Adam(self.trained_parameters, lr=check_positive(lr, "lr"), betas=(0.0, 0.999))
        else:
            if not isinstance(optimizer, torch.optim.Optimizer):
                raise TypeError(f"optimizer must be a torch.optim.Optimizer over the model's parameters (or None "
                                f"for Adam with lr), got {type(optimizer).__name__}")
            held = {id(p) for group in optimizer.param_groups for p in group["params"]}
            if any(id(p) not in held for p in self._objective_parameters):
                # otherwise the objective's parameters would silently never move
                raise ValueError("optimizer must include the objective's parameters (objective.parameters())")
        self.optimizer = optimizer
        if scheduler is not None and getattr(scheduler, "optimizer", None) is not self.optimizer:
            raise ValueError("scheduler must be built on the trainer's optimizer")
        self.scheduler = scheduler
        self.guard = guard
        self.max_energy = check_positive(max_energy, "max_energy")
        self.max_rollbacks = check_int(max_rollbacks, "max_rollbacks", minimum=0)
        self.snapshot_every = check_int(snapshot_every, "snapshot_every", minimum=1)
        self.grad_clip = check_positive(grad_clip, "grad_clip") if grad_clip is not None else None
        seed = check_int(seed, "seed", minimum=0)
        self._group = ddp.process_group(distributed)          # (rank, world_size), or None for one process
        self.rank, self.world_size = self._group or (0, 1)
        self.progress = progress and self.rank == 0
        self.generator = torch.Generator(device=self.device).manual_seed(ddp.rank_seed(seed, self.rank))
        # one batch order shared by all ranks (in one process the trainer's generator draws it, as always)
        self._batch_generator = torch.Generator(device=self.device).manual_seed(seed) if self._group else None
        if self._group:
            ddp.broadcast_from_rank0(itertools.chain(self.trained_parameters, model.buffers()))
        self.history: dict[str, list[float]] = {}
        self.step = 0
        self.rollbacks = 0
        self._snapshot = None

    # -- the loop ---------------------------------------------------------------------
    def _prepare_data(self, data) -> tuple[torch.Tensor, ...]:
        """Validate ``data`` and move it to the model's device (floating tensors also to its dtype)."""
        if isinstance(data, tuple):
            if not data:
                raise ValueError("data must be a tensor or a non-empty tuple of tensors")
            names = [f"data[{i}]" for i in range(len(data))]
        else:
            data, names = (data,), ["data"]
        for tensor, name in zip(data, names):
            if not isinstance(tensor, torch.Tensor):
                raise TypeError(f"{name} must be a torch.Tensor (data is a tensor or a tuple of tensors), "
                                f"got {type(tensor).__name__}")
            if tensor.ndim == 0:
                raise ValueError(f"{name} must have a first (example) dimension, got a scalar")
        lengths = [t.shape[0] for t in data]
        if len(set(lengths)) > 1:
            raise ValueError(f"the tensors of data must have the same first dimension, got lengths {lengths}")
        if lengths[0] == 0:
            raise ValueError("data must hold at least one example")
        moved = []
        for tensor, name in zip(data, names):
            check_finite(tensor, name)
            if tensor.is_floating_point():
                converted = tensor.to(device=self.device, dtype=self.dtype)
                if converted.dtype != tensor.dtype:  # float64 -> float32 can overflow to inf
                    check_finite(converted, f"{name} (cast to {self.dtype})")
                moved.append(converted)
            else:  # labels and indices keep their integer dtype
                moved.append(tensor.to(self.device))
        return tuple(moved)

    def fit(self, data: torch.Tensor | tuple[torch.Tensor, ...], n_steps: int, batch_size: int = 128) -> "Trainer":
        """Take ``n_steps`` optimisation steps on random minibatches of ``data``; returns ``self``.

        Steps undone by a rollback are taken again, so ``step`` always advances by ``n_steps``.

        Parameters
        ----------
        data : Tensor ``(n, *event_shape)``, or a tuple of tensors with the same first
            dimension ``n`` (e.g. ``(x, y)``). Every minibatch takes the same random rows of
            each tensor and reaches the objective in the same form (a tensor, or a tuple).
            Floating tensors move to the model's device and dtype, integer ones (labels)
            to its device only.
        n_steps : int
        batch_size : int

        Raises
        ------
        TypeError
            If ``data`` (or an entry of it) is not a tensor, or the objective returns
            something other than ``LossOutput(loss, metrics)``.
        ValueError
            If ``data`` is empty, holds NaN/inf, or its tensors differ in length; if the
            objective's loss is not a scalar tensor.
        TrainingDiverged
            If training diverges (see ``guard``).
        """
        as_tuple = isinstance(data, tuple)
        tensors = self._prepare_data(data)
        n_steps = check_int(n_steps, "n_steps", minimum=0)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        if batch_size % self.world_size:
            raise ValueError(f"batch_size (the global batch) must be divisible by the {self.world_size} ranks, "
                             f"got {batch_size}")
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=n_steps, desc="training", leave=False)
        self.model.train()
        if isinstance(self.objective, torch.nn.Module):
            self.objective.train()
        done = 0
        while done < n_steps:
            if self._snapshot is None or self.step % self.snapshot_every == 0:
                self._take_snapshot()
            idx = torch.randint(tensors[0].shape[0], (batch_size,), generator=self._batch_generator or self.generator,
                                device=self.device)
            if self._group:
                idx = idx[self.rank::self.world_size]         # this rank's share of the global batch
            batch = tuple(t[idx] for t in tensors)
            metrics = self._one_step(batch if as_tuple else batch[0])
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
        return self

    @staticmethod
    def _unpack(out) -> tuple[torch.Tensor, dict[str, float]]:
        """Check what the objective returned: a scalar loss tensor and a dict of str to float."""
        if not (hasattr(out, "loss") and hasattr(out, "metrics")):
            raise TypeError("objective must return ebmbook.losses.LossOutput(loss, metrics) (loss a scalar tensor, "
                            f"metrics a dict of str to float), got {type(out).__name__}")
        loss = out.loss
        if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
            shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
            raise ValueError(f"objective's loss must be a scalar tensor, got {shape}")
        if not loss.requires_grad:
            raise ValueError("objective's loss does not require grad: it depends on no trained parameter")
        if not isinstance(out.metrics, Mapping):
            raise TypeError(f"objective's metrics must be a dict of str to float, got {type(out.metrics).__name__}")
        metrics = {}
        for key, value in out.metrics.items():
            try:  # a tensor metric still attached to the graph is read without autograd's warning
                number = float(value.detach() if isinstance(value, torch.Tensor) else value)
            except (TypeError, ValueError, RuntimeError):
                number = None
            if not isinstance(key, str) or number is None:
                raise TypeError(f"objective's metrics must map str to float, got {key!r}: {value!r}")
            metrics[key] = number
        return loss, metrics

    def _one_step(self, batch: torch.Tensor | tuple[torch.Tensor, ...]) -> dict:
        self.optimizer.zero_grad(set_to_none=True)
        loss, metrics = self._unpack(self.objective(self.model, batch, generator=self.generator))
        metrics.setdefault("loss", float(loss.detach()))
        if self._group:   # every rank sees the same averages, so all take the same decisions below
            metrics = ddp.average_metrics(metrics, self.device)
        if not math.isfinite(metrics["loss"]):
            return metrics
        loss.backward()
        if self._group:
            ddp.average_gradients(self.trained_parameters)
        params = [p for p in self.trained_parameters if p.grad is not None]
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
        guarded = self._guarded
        absent = sorted(guarded - set(metrics))
        if absent:  # a misspelt name would otherwise switch the guard off without a word
            raise ValueError(f"objective.guarded names metrics {absent} that the objective did not return")
        for key, value in metrics.items():
            if not math.isfinite(value):
                return f"{key} is {value}"
            if key in guarded and abs(value) > self.max_energy:
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
