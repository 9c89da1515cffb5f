r"""Joint energy models: a classifier's logits read as an energy over inputs and labels.

Grathwohl et al. (2019) read the logits :math:`f_\theta(x) \in \mathbb R^K` of any classifier as

.. math:: E_\theta(x, y) = -f_\theta(x)[y], \qquad
    E_\theta(x) = -\log \sum_y e^{f_\theta(x)[y]}, \qquad
    p_\theta(y \mid x) = \frac{e^{f_\theta(x)[y]}}{\sum_{y'} e^{f_\theta(x)[y']}},

so :math:`p_\theta(x, y) \propto e^{-E_\theta(x, y)}`, its marginal is
:math:`p_\theta(x) \propto e^{-E_\theta(x)}` (the free energy of :math:`x`), and the
conditional :math:`p_\theta(y \mid x)` is the ordinary softmax classifier: the
normaliser cancels. One network, three uses: classify, score inputs, generate.
"""
from __future__ import annotations

import torch
from torch import nn

from ..energies.base import Energy
from ..utils import check_int, check_tensor

__all__ = ["JEM", "ClassConditionalEnergy"]


def _check_labels(y, name: str, n_classes: int, n: int | None = None) -> torch.Tensor:
    """``y`` as an int64 tensor ``(n,)`` of classes in ``[0, n_classes)``, or an error naming ``name``."""
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"{name} must be a tensor of integer class labels, got {type(y).__name__}")
    if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer class labels, got dtype {y.dtype}")
    if y.ndim != 1 or (n is not None and y.shape[0] != n):
        want = f"({n},)" if n is not None else "(batch,)"
        raise ValueError(f"{name} must have shape {want}, got {tuple(y.shape)}")
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= n_classes):
        raise ValueError(f"{name} must hold classes in [0, {n_classes - 1}], got values in "
                         f"[{int(y.min())}, {int(y.max())}]")
    return y.long()


def _infer_event_shape(classifier: nn.Module) -> tuple[int, ...] | None:
    shape = getattr(classifier, "event_shape", None)
    if shape is not None:
        return tuple(shape)
    first = next((m for m in classifier.modules() if isinstance(m, (nn.Linear, nn.Conv2d))), None)
    return (first.in_features,) if isinstance(first, nn.Linear) else None


class JEM(Energy):
    r"""A joint energy model: any classifier ``(batch, *event_shape) -> (batch, K)`` as an energy.

    .. math:: E(x) = -\operatorname{logsumexp}_y f(x)[y], \quad E(x, y) = -f(x)[y],
        \quad p(y \mid x) = \operatorname{softmax} f(x)

    Calling the model gives the marginal energy :math:`E(x)`, so it plugs into every
    sampler and into :class:`~ebmbook.losses.ContrastiveDivergence`; :meth:`conditional`
    gives the class-conditional energy :math:`E(x, y)` for fixed :math:`y` as an
    :class:`~ebmbook.energies.Energy` of its own (class-conditional sampling, composition).

    Parameters
    ----------
    classifier : nn.Module returning logits ``(batch, n_classes)``
    n_classes : int, :math:`K \ge 2`
    event_shape : tuple of int, optional, shape of one input; default: the classifier's
        ``event_shape`` attribute, else the input width of its first ``nn.Linear``

    Examples
    --------
    >>> from ebmbook.models import MLPClassifier
    >>> jem = JEM(MLPClassifier(64, 10), 10)
    >>> x = torch.rand(4, 64)
    >>> jem(x).shape, jem.class_probs(x).shape, jem.energy(x, torch.tensor([0, 1, 2, 3])).shape
    (torch.Size([4]), torch.Size([4, 10]), torch.Size([4]))
    >>> jem.conditional(3)(x).shape
    torch.Size([4])

    Used in chapters 8 and 9.
    """

    def __init__(self, classifier: nn.Module, n_classes: int, event_shape: tuple[int, ...] | None = None):
        super().__init__()
        if not isinstance(classifier, nn.Module):
            raise TypeError(f"classifier must be a torch.nn.Module returning logits (batch, n_classes), "
                            f"got {type(classifier).__name__}")
        self.n_classes = check_int(n_classes, "n_classes", minimum=2)
        if event_shape is None:
            event_shape = _infer_event_shape(classifier)
            if event_shape is None:
                raise ValueError("event_shape could not be read from the classifier (it has no event_shape "
                                 "attribute and does not start with nn.Linear): pass event_shape=(C, H, W) etc.")
        if not isinstance(event_shape, (tuple, list)) or len(event_shape) == 0:
            raise TypeError(f"event_shape must be a non-empty tuple of ints, got {event_shape!r}")
        self.event_shape = tuple(check_int(s, "event_shape", minimum=1) for s in event_shape)
        self.classifier = classifier

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`f(x)`, shape ``(batch, n_classes)``, for ``x`` of shape ``(batch, *event_shape)``.

        Raises
        ------
        ValueError
            If ``x`` has the wrong shape, or the classifier returns logits of a shape other
            than ``(batch, n_classes)``.
        """
        self._check_input(x)
        f = self.classifier(x)
        if not isinstance(f, torch.Tensor) or tuple(f.shape) != (x.shape[0], self.n_classes):
            shape = tuple(f.shape) if isinstance(f, torch.Tensor) else type(f).__name__
            raise ValueError(f"classifier must return logits of shape (batch, n_classes) = "
                             f"({x.shape[0]}, {self.n_classes}), got {shape}")
        return f

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r"""Marginal energy :math:`E(x) = -\operatorname{logsumexp}_y f(x)[y]`, shape ``(batch,)``."""
        return -torch.logsumexp(self.logits(x), dim=1)

    def energy(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        r"""Joint energy :math:`E(x, y) = -f(x)[y]`, shape ``(batch,)``; ``y`` int64 ``(batch,)``."""
        f = self.logits(x)
        y = _check_labels(y, "y", self.n_classes, x.shape[0]).to(f.device)
        return -f.gather(1, y[:, None]).squeeze(1)

    def class_probs(self, x: torch.Tensor) -> torch.Tensor:
        r""":math:`p(y \mid x) = \operatorname{softmax} f(x)`, shape ``(batch, n_classes)``; rows sum to 1."""
        return torch.softmax(self.logits(x), dim=1)

    def conditional(self, y: int | torch.Tensor) -> "ClassConditionalEnergy":
        r"""The class-conditional energy :math:`x \mapsto E(x, y) = -f(x)[y]`, an :class:`Energy`.

        It targets :math:`p(x \mid y) \propto e^{f(x)[y]}`. ``y`` is one class (an int, for
        any batch) or a label per chain, an integer tensor ``(n,)`` (the batch must then have
        ``n`` rows): one sampler run then draws every class at once.
        """
        return ClassConditionalEnergy(self, y)


class ClassConditionalEnergy(Energy):
    r"""The energy :math:`E(x \mid y) = -f(x)[y]` of a :class:`JEM` at a fixed label.

    Shares the JEM's parameters (it holds the JEM as a submodule, so ``.to(device)`` moves
    both). Build it with :meth:`JEM.conditional`.

    Parameters
    ----------
    jem : JEM
    y : int in ``[0, K)``, or an integer tensor ``(n,)`` with one label per row of the input

    Attributes
    ----------
    event_shape : the JEM's
    label : int or Tensor ``(n,)``

    Examples
    --------
    >>> from ebmbook.models import MLPClassifier
    >>> e3 = JEM(MLPClassifier(64, 10), 10).conditional(3)
    >>> e3(torch.rand(2, 64)).shape, e3.event_shape
    (torch.Size([2]), (64,))

    Used in chapters 8 and 9.
    """

    def __init__(self, jem: JEM, y: int | torch.Tensor):
        super().__init__()
        if not isinstance(jem, JEM):
            raise TypeError(f"jem must be a JEM, got {type(jem).__name__}")
        if isinstance(y, torch.Tensor):
            y = _check_labels(y, "y", jem.n_classes)
            if y.shape[0] == 0:
                raise ValueError("y must hold at least one label, got shape (0,)")
        else:
            y = check_int(y, "y", minimum=0)
            if y >= jem.n_classes:
                raise ValueError(f"y must be a class in [0, {jem.n_classes - 1}], got {y}")
        self.jem = jem
        self.label = y
        self.event_shape = jem.event_shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.jem.logits(x)
        if isinstance(self.label, int):
            return -f[:, self.label]
        if self.label.shape[0] != x.shape[0]:
            raise ValueError(f"x must have one row per label, ({self.label.shape[0]}, ...), got {tuple(x.shape)}")
        return -f.gather(1, self.label.to(f.device)[:, None]).squeeze(1)
