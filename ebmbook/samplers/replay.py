"""The replay buffer of persistent short-run chains used to train deep EBMs."""
from __future__ import annotations

import inspect
from typing import Callable

import torch

from ..utils import (_check_real, check_device, check_finite, check_generator, check_int, check_probability,
                     check_tensor)

__all__ = ["ReplayBuffer", "uniform_noise"]

InitFn = Callable[..., torch.Tensor]


def uniform_noise(low: float = -1.0, high: float = 1.0) -> InitFn:
    """An initial distribution: ``init(n, shape, generator, device, dtype=None) -> U(low, high)`` samples.

    Draws on ``device`` (which must be the generator's), in ``dtype`` (default: torch's default dtype).
    """
    low, high = _check_real(low, "low"), _check_real(high, "high")
    if not low < high:
        raise ValueError(f"low must be < high, got {low}, {high}")

    def init(n: int, shape: tuple[int, ...], generator: torch.Generator | None, device,
             dtype: torch.dtype | None = None) -> torch.Tensor:
        u = torch.rand((n, *shape), generator=generator, device=device, dtype=dtype)
        return low + (high - low) * u

    return init


def _check_dtype(dtype) -> None:
    if dtype is not None and not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"dtype must be a floating torch.dtype, got {dtype!r}")


def _takes_dtype(init: InitFn) -> bool:
    """Whether an initial distribution accepts a fifth argument, the dtype (as :func:`uniform_noise`'s does)."""
    try:
        inspect.signature(init).bind(0, (), None, None, None)
    except (TypeError, ValueError):
        return False
    return True


class ReplayBuffer:
    r"""A fixed-size store of negative samples that persist across training steps.

    Each training step draws a batch from the buffer, except that each draw is
    replaced by a fresh sample from the initial distribution with probability
    ``reinit_prob`` (Du & Mordatch, 2019 use 5%); after the sampler has moved
    the batch, :meth:`push` writes it back into the same slots. Persistent
    chains mix far longer than short-run ones at the same cost per step; the
    fresh draws keep the buffer from collapsing onto a few modes.

    Parameters
    ----------
    capacity : int, number of stored samples
    event_shape : tuple of int, shape of one sample
    reinit_prob : float in [0, 1]
    init : callable ``(n, shape, generator, device) -> Tensor``, the initial
        distribution (default :func:`uniform_noise` on [-1, 1])
    device : where the buffer lives
    dtype : its floating dtype (default: what ``init`` returns); :meth:`to` changes
        device and dtype later (:class:`~ebmbook.losses.ContrastiveDivergence`
        moves the buffer to its data's device and dtype)

    Examples
    --------
    >>> buf = ReplayBuffer(1000, (2,), generator=torch.Generator().manual_seed(0))
    >>> x, idx = buf.sample(64, generator=torch.Generator().manual_seed(1))
    >>> buf.push(x + 0.1, idx)

    Used in chapter 5.
    """

    def __init__(self, capacity: int, event_shape: tuple[int, ...], reinit_prob: float = 0.05,
                 init: InitFn | None = None, device: torch.device | str | None = None, *,
                 dtype: torch.dtype | None = None, generator: torch.Generator | None = None):
        self.capacity = check_int(capacity, "capacity", minimum=1)
        if not isinstance(event_shape, (tuple, list)):
            raise TypeError(f"event_shape must be a tuple of ints, e.g. (2,), got {type(event_shape).__name__}")
        self.event_shape = tuple(check_int(s, "event_shape", minimum=1) for s in event_shape)
        self.reinit_prob = check_probability(reinit_prob, "reinit_prob")
        self.init = init if init is not None else uniform_noise()
        if not callable(self.init):
            raise TypeError("init must be callable (n, shape, generator, device) -> Tensor")
        _check_dtype(dtype)
        device = check_device(device)
        check_generator(generator, "generator", device=device)
        self.device = torch.device(device) if device is not None else (
            generator.device if generator is not None else torch.device("cpu"))
        self.dtype = dtype
        self.buffer = self._fresh(self.capacity, generator)
        self.dtype = self.buffer.dtype

    def _fresh(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        if self.dtype is not None and _takes_dtype(self.init):   # draw in the buffer's precision directly
            x = self.init(n, self.event_shape, generator, self.device, self.dtype)
        else:
            x = self.init(n, self.event_shape, generator, self.device)
        if not isinstance(x, torch.Tensor) or tuple(x.shape) != (n, *self.event_shape):
            raise ValueError(f"init must return a tensor of shape ({n}, {', '.join(map(str, self.event_shape))})")
        if not x.is_floating_point():
            raise TypeError(f"init must return floating-point samples, got dtype {x.dtype}")
        return x.to(self.device, self.dtype if self.dtype is not None else x.dtype)

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None) -> "ReplayBuffer":
        """Move the stored samples (and future fresh draws) to ``device`` / ``dtype``; returns ``self``."""
        device = check_device(device)
        _check_dtype(dtype)
        if device is not None:
            self.device = device
        if dtype is not None:
            self.dtype = dtype
        self.buffer = self.buffer.to(self.device, self.dtype)
        return self

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw ``n`` samples (a copy) and the slots they came from, shapes ``(n, *event)`` and ``(n,)``."""
        n = check_int(n, "n", minimum=1)
        check_generator(generator, "generator", device=self.device)
        idx = torch.randint(self.capacity, (n,), generator=generator, device=self.device)
        x = self.buffer[idx].clone()
        reinit = torch.rand(n, generator=generator, device=self.device) < self.reinit_prob
        if bool(reinit.any()):
            x[reinit] = self._fresh(int(reinit.sum()), generator)
        return x, idx

    def push(self, x: torch.Tensor, idx: torch.Tensor) -> None:
        """Write samples ``x`` back into slots ``idx`` (as returned by :meth:`sample`)."""
        check_tensor(x, "x")
        check_tensor(idx, "idx", ndim=1)
        if idx.is_floating_point() or idx.is_complex() or idx.dtype == torch.bool:
            raise TypeError(f"idx must be an integer tensor of slots (from sample), got dtype {idx.dtype}")
        if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= self.capacity):
            raise ValueError(f"idx must hold slots in [0, {self.capacity - 1}], got values in "
                             f"[{int(idx.min())}, {int(idx.max())}]")
        if tuple(x.shape[1:]) != self.event_shape or x.shape[0] != idx.shape[0]:
            raise ValueError(f"x must have shape ({idx.shape[0]}, {', '.join(map(str, self.event_shape))}), "
                             f"got {tuple(x.shape)}")
        check_finite(x, "x")
        self.buffer[idx.to(self.device)] = x.detach().to(self.device, self.buffer.dtype)

    def state_dict(self) -> dict:
        """Tensors and settings to checkpoint (safe to load with ``weights_only=True``)."""
        return {"buffer": self.buffer.clone(), "reinit_prob": self.reinit_prob}

    def load_state_dict(self, state: dict) -> None:
        """Restore from :meth:`state_dict`."""
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict from state_dict(), got {type(state).__name__}")
        missing = [key for key in ("buffer", "reinit_prob") if key not in state]
        if missing:
            raise ValueError(f"state is missing {missing}: it is not a ReplayBuffer.state_dict()")
        buffer = state["buffer"]
        if not isinstance(buffer, torch.Tensor):
            raise TypeError(f"buffer in state must be a tensor, got {type(buffer).__name__}")
        reinit_prob = check_probability(state["reinit_prob"], "reinit_prob in state")
        if tuple(buffer.shape) != (self.capacity, *self.event_shape):
            raise ValueError(f"buffer in state has shape {tuple(buffer.shape)}, expected "
                             f"({self.capacity}, {', '.join(map(str, self.event_shape))})")
        if not buffer.is_floating_point():
            raise ValueError("buffer in state must be a floating-point tensor")
        self.buffer = buffer.to(self.device).clone()
        self.dtype = self.buffer.dtype
        self.reinit_prob = reinit_prob
