"""ebmbook: the companion package of the book *Energy-Based Models*.

Sub-packages follow the book: :mod:`ebmbook.energies` (the energy contract and
energies with known normalisers), :mod:`ebmbook.exact` (enumeration and
quadrature), :mod:`ebmbook.samplers` (MCMC with one ``init``/``step`` shape),
:mod:`ebmbook.models` (Hopfield networks, RBMs, neural energies),
:mod:`ebmbook.losses` (training objectives), :mod:`ebmbook.train` (the training
loop), :mod:`ebmbook.metrics`, :mod:`ebmbook.data` and :mod:`ebmbook.utils`;
``import ebmbook`` imports them all.

The figure and explorer layers on top, :mod:`ebmbook.plot` and
:mod:`ebmbook.widgets`, are optional: they are not imported here (so the core
needs neither matplotlib nor ipywidgets) and are imported explicitly,
``from ebmbook import plot`` after ``pip install "ebmbook[plot]"`` (or
``"ebmbook[widgets]"``).
"""
from . import data, energies, exact, losses, metrics, models, samplers, train, utils  # noqa: F401

__version__ = "0.1.0"

__all__ = ["energies", "exact", "samplers", "models", "losses", "train", "metrics", "data", "utils",
           "__version__"]
