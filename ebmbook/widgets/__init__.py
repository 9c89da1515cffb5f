r"""Interactive explorers for Jupyter, and the static figures that stand in for them in the book.

One module per explorer, all re-exported here. Each explorer is a thin
``ipywidgets`` shell around pure functions that are tested on their own:

- ``temperature``: :func:`tempered_grid_density` (with
  :func:`ebmbook.exact.boltzmann_weights`) shows how temperature reshapes
  :math:`p_T(x) \propto \exp(-E(x)/T)`; used by :func:`temperature_explorer`;
- ``sampler``: :func:`run_sampler_path`, one chain of a sampler from a fixed
  start with its rejections (:func:`ebmbook.samplers.sample_chain`); used by
  :func:`sampler_explorer`;
- ``recall``: :func:`corrupt_and_recall` corrupts a stored pattern
  (:func:`ebmbook.data.flip_spins`) and follows a Hopfield network's own recall
  sweep by sweep; used by :func:`recall_explorer`.

The HTML book has no kernel, so every explorer has a static small-multiples
twin (:func:`temperature_small_multiples`, :func:`sampler_small_multiples`,
:func:`recall_small_multiples`) that the chapter shows next to it.

Randomness: the pure functions take ``generator=`` (a ``torch.Generator`` on
the device the draws happen on: the energy's for a sampler path, the network's
for a recall; a generator elsewhere is a ``ValueError``). The explorers and
their static twins take ``seed=`` instead, because every redraw and every panel
must start from the same random numbers: each makes a fresh generator with
:func:`ebmbook.utils.make_generator` ``(seed, device)``.

This layer is optional and sits on top of the package: nothing in the core
imports it, and it needs ipywidgets and matplotlib
(``pip install "ebmbook[widgets]"``). Used in chapter 1 (temperature), chapter 2
(samplers) and chapter 3 (Hopfield recall).
"""
try:
    import ipywidgets  # noqa: F401
    import matplotlib  # noqa: F401
except ImportError as err:  # ipywidgets and matplotlib are optional dependencies of ebmbook
    missing = err.name or "one of them"
    raise ImportError(f"ebmbook.widgets needs ipywidgets and matplotlib ({missing} is missing), which the "
                      'core package does not install: pip install "ebmbook[widgets]"') from err

from .recall import RecallPath, corrupt_and_recall, recall_explorer, recall_small_multiples
from .sampler import SAMPLERS, SamplerPath, run_sampler_path, sampler_explorer, sampler_small_multiples
from .temperature import temperature_explorer, temperature_small_multiples, tempered_grid_density

__all__ = [
    "SAMPLERS",
    "tempered_grid_density",
    "SamplerPath",
    "run_sampler_path",
    "temperature_explorer",
    "sampler_explorer",
    "temperature_small_multiples",
    "sampler_small_multiples",
    "RecallPath",
    "corrupt_and_recall",
    "recall_explorer",
    "recall_small_multiples",
]
