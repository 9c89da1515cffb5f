r"""Closed-form answers for Gaussian targets: mixture marginals and ULA's stationary law.

A Gaussian (mixture) is the one continuous target where everything is known in
closed form, which makes it the yardstick of the continuous samplers:

- :func:`mixture_marginal_density`, the exact density of one coordinate of a
  :class:`ebmbook.energies.GaussianMixture` (a one-dimensional mixture);
- :func:`ula_gaussian_variance` and :func:`ula_gaussian_energy_bias`, the
  stationary variance of the unadjusted Langevin algorithm on a Gaussian, and the
  bias of the mean energy it implies: ULA's :math:`O(\epsilon)` bias, exactly.
"""
from __future__ import annotations

import math

import torch

from ..energies.gaussian import GaussianMixture
from ..utils import check_finite, check_int, check_positive, check_tensor

__all__ = ["mixture_marginal_density", "ula_gaussian_variance", "ula_gaussian_energy_bias"]


def mixture_marginal_density(mixture: GaussianMixture, x: torch.Tensor, dim: int = 0) -> torch.Tensor:
    r"""Exact density of coordinate ``dim`` of a Gaussian mixture, evaluated at ``x``.

    Marginalising a Gaussian keeps a Gaussian, so the marginal of coordinate
    :math:`j` is a one-dimensional mixture with the same weights:

    .. math:: p(x_j) = \sum_k w_k\, \frac{1}{\sqrt{2\pi\,\Sigma_{k,jj}}}
              \exp\!\Big(-\frac{(x_j - \mu_{k,j})^2}{2\,\Sigma_{k,jj}}\Big).

    Parameters
    ----------
    mixture : GaussianMixture
    x : Tensor, any shape, real floating point, finite
        Values of coordinate ``dim``; the mixture's parameters are moved to
        ``x``'s device and dtype.
    dim : int, ``0 <= dim < d``, the coordinate

    Returns
    -------
    Tensor, the shape, device and dtype of ``x``: the density at every entry.

    Raises
    ------
    TypeError
        If ``mixture`` is not a :class:`~ebmbook.energies.GaussianMixture`, ``x`` is not a
        real floating tensor, or ``dim`` is not an integer.
    ValueError
        If ``x`` holds NaN/inf or ``dim`` is outside ``[0, d)``.

    Examples
    --------
    >>> from ebmbook.energies import GaussianMixture
    >>> mix = GaussianMixture(torch.tensor([[-2., 0.], [2., 0.]]), torch.tensor([1.0, 1.0]))
    >>> mixture_marginal_density(mix, torch.tensor([0.0]), dim=1)   # N(0, 1) at 0
    tensor([0.3989])

    Used in chapter 2.
    """
    if not isinstance(mixture, GaussianMixture):
        raise TypeError(f"mixture must be an ebmbook.energies.GaussianMixture, got {type(mixture).__name__}")
    check_tensor(x, "x", floating=True)
    check_finite(x, "x")
    dim = check_int(dim, "dim", minimum=0)
    d = mixture.event_shape[0]
    if dim >= d:
        raise ValueError(f"dim must be < {d} (the mixture's dimension), got {dim}")
    mu = mixture.means[:, dim].to(x)
    var = mixture.covariances[:, dim, dim].to(x)
    comps = torch.exp(-(x[..., None] - mu) ** 2 / (2 * var)) / torch.sqrt(2 * math.pi * var)
    return (comps * mixture.weights.to(x)).sum(-1)


def _check_stable(step_size: float, std: float) -> None:
    if step_size >= 2 * std ** 2:
        raise ValueError(f"step_size must be < 2 std^2 = {2 * std ** 2:g}, where ULA on this Gaussian "
                         f"is stable, got {step_size:g} (the chain diverges)")


def ula_gaussian_variance(step_size: float, std: float) -> float:
    r"""Stationary variance of ULA on the Gaussian :math:`E(x) = x^2 / 2\sigma^2`.

    ULA's update is :math:`x' = (1 - \epsilon/\sigma^2)\,x + \sqrt{2\epsilon}\,z`, and
    solving :math:`v = (1 - \epsilon/\sigma^2)^2 v + 2\epsilon` gives

    .. math:: v_\epsilon = \frac{\sigma^2}{1 - \epsilon / (2\sigma^2)}
              = \sigma^2 \Big(1 + \frac{\epsilon}{2\sigma^2} + O(\epsilon^2)\Big),

    too wide by an amount proportional to :math:`\epsilon`. It holds for each
    coordinate of an isotropic Gaussian in any dimension.

    Parameters
    ----------
    step_size : float, :math:`0 < \epsilon < 2\sigma^2` (ULA diverges beyond)
    std : float, :math:`\sigma > 0`, the Gaussian's standard deviation

    Returns
    -------
    float, :math:`v_\epsilon`

    Raises
    ------
    TypeError
        If an argument is not a real number.
    ValueError
        If ``step_size`` or ``std`` is not positive and finite, or ``step_size >= 2 std^2``.

    Examples
    --------
    >>> ula_gaussian_variance(0.5, 1.0)   # 1 / (1 - 0.25)
    1.3333333333333333

    Used in chapter 2.
    """
    step_size = check_positive(step_size, "step_size")
    std = check_positive(std, "std")
    _check_stable(step_size, std)
    return std ** 2 / (1 - step_size / (2 * std ** 2))


def ula_gaussian_energy_bias(step_size: float, std: float, dim: int) -> float:
    r"""Bias of ULA's mean energy on an isotropic Gaussian of width :math:`\sigma` in ``dim`` dimensions.

    With :math:`E(x) = \lVert x\rVert^2 / 2\sigma^2`, the mean energy at ULA's
    stationary variance :math:`v_\epsilon` (:func:`ula_gaussian_variance`) is
    :math:`\tfrac d2 v_\epsilon/\sigma^2`, against the exact :math:`\tfrac d2`:

    .. math:: \langle E\rangle_{p_\epsilon} - \langle E\rangle_p
              = \frac d2 \Big(\frac{1}{1 - \epsilon/2\sigma^2} - 1\Big)
              \approx \frac d2\, \frac{\epsilon}{2\sigma^2} .

    Parameters
    ----------
    step_size : float, :math:`0 < \epsilon < 2\sigma^2`
    std : float, :math:`\sigma > 0`
    dim : int, the dimension :math:`d \ge 1`

    Returns
    -------
    float, the bias (positive: ULA's samples are too spread out)

    Raises
    ------
    TypeError
        If ``step_size`` or ``std`` is not a real number, or ``dim`` is not an integer.
    ValueError
        If ``step_size`` or ``std`` is not positive and finite, ``step_size >= 2 std^2``,
        or ``dim < 1``.

    Examples
    --------
    >>> ula_gaussian_energy_bias(0.5, 1.0, dim=2)   # 2/2 * (1 / (1 - 0.25) - 1)
    0.33333333333333326

    Used in chapter 2, as the one-well prediction of ULA's bias on the mixture.
    """
    step_size = check_positive(step_size, "step_size")
    std = check_positive(std, "std")
    dim = check_int(dim, "dim", minimum=1)
    _check_stable(step_size, std)
    return dim / 2 * (1 / (1 - step_size / (2 * std ** 2)) - 1)
