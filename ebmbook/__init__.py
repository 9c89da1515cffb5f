"""ebmbook: the companion package of the book *Energy-Based Models*.

Sub-packages follow the book: :mod:`ebmbook.energies` (the energy contract and
energies with known normalisers), :mod:`ebmbook.exact` (enumeration and
quadrature), :mod:`ebmbook.samplers` (MCMC with one ``init``/``step`` shape),
:mod:`ebmbook.metrics`, :mod:`ebmbook.data`, and the optional
:mod:`ebmbook.plot` and :mod:`ebmbook.widgets` layers on top.
"""
from . import data, energies, exact, metrics, samplers, utils  # noqa: F401

__version__ = "0.1.0"

__all__ = ["energies", "exact", "samplers", "metrics", "data", "utils", "__version__"]
