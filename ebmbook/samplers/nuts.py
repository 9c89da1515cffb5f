"""The No-U-Turn Sampler (multinomial variant), batched over chains."""
from __future__ import annotations

from typing import NamedTuple

import torch

from ..utils import check_int, check_positive
from .base import Sampler, State, _required_step_size, _where
from .hmc import _check_mass, _leapfrog, _mass_terms

__all__ = ["NUTS", "NUTSInfo"]


class NUTSInfo(NamedTuple):
    """What one NUTS step did.

    Attributes
    ----------
    acceptance_prob : Tensor ``(n_chains,)``, the mean of :math:`\\min(1, e^{-\\Delta H})` over the
        tree's new points (the statistic that step-size adaptation drives to its target)
    accepted : Tensor ``(n_chains,)``, bool, whether the chain moved
    energy_error : Tensor ``(n_chains,)``, :math:`\\Delta H` of the chosen point
    tree_depth : Tensor ``(n_chains,)``, int, doublings kept in each chain's tree
    n_leapfrog : Tensor ``(n_chains,)``, int, leapfrog steps each chain needed
    n_grad_evals : int, batched leapfrog steps this step cost (the largest tree sets it)
    """

    acceptance_prob: torch.Tensor
    accepted: torch.Tensor
    energy_error: torch.Tensor
    tree_depth: torch.Tensor
    n_leapfrog: torch.Tensor
    n_grad_evals: int


def _expand(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return mask.reshape(mask.shape + (1,) * (like.ndim - 1))


class NUTS(Sampler):
    r"""The No-U-Turn Sampler (Hoffman & Gelman, 2014) with multinomial sampling (Betancourt, 2017).

    Each step draws a momentum :math:`r \sim \mathcal N(0, M)` and doubles a
    leapfrog trajectory, forwards or backwards in time at random, until it
    makes a U-turn: for the ends :math:`(x^-, r^-)`, :math:`(x^+, r^+)` of the
    trajectory or of any balanced subtree,

    .. math:: (x^+ - x^-)\cdot M^{-1} r^- < 0 \quad\text{or}\quad (x^+ - x^-)\cdot M^{-1} r^+ < 0,

    or diverges (:math:`\Delta H > 1000`), or reaches ``max_depth`` doublings.
    The next state is drawn from the points of the trajectory with probability
    :math:`\propto e^{-H(x, r)}`: uniformly-weighted progressive sampling inside
    a new subtree, and between the old tree and the new subtree with
    probability :math:`W_\text{new} / (W_\text{old} + W_\text{new})`. A subtree
    that turns or diverges is discarded. The trajectory length thus adapts
    to the local geometry; the step size is tuned with
    ``sample_chain(..., adapt=DualAveraging())`` (target 0.8).

    **What is batched.** All chains advance their leapfrog steps together, in
    one energy+gradient evaluation per step of the tree: the doublings run in
    lock-step (same depth, same leaf index for every chain), each chain with its
    own direction, its own U-turn and divergence checks and its own multinomial
    draws, expressed as masks. What is not batched: a chain whose tree has
    stopped still occupies its slot (its point is frozen), so a step costs
    :math:`2^{J} - 1` batched leapfrog steps with :math:`J` the number of
    doublings the *longest* tree needed, and the host reads one flag per
    doubling to know whether every tree has stopped.

    Parameters
    ----------
    energy : callable, differentiable; optional (see :meth:`bind`)
    step_size : float, :math:`\epsilon > 0` (required)
    max_depth : int, at most :math:`2^{\text{max\_depth}} - 1` leapfrog steps per step (default 8)
    mass : float or Tensor of the event shape, the diagonal of :math:`M`

    Examples
    --------
    >>> from ebmbook.energies import Gaussian
    >>> from ebmbook.samplers import DualAveraging, sample_chain
    >>> nuts = NUTS(Gaussian(torch.zeros(2), torch.eye(2)), step_size=0.5)
    >>> trace = sample_chain(nuts, torch.zeros(16, 2), 50, burn_in=50, adapt=DualAveraging(),
    ...                      generator=torch.Generator().manual_seed(0))

    Used in chapter 2.
    """

    uses_grad = True
    metropolis = True
    grad_evals_per_step = None   # varies: read NUTSInfo.n_grad_evals
    target_accept = 0.8
    max_energy_error = 1000.0

    def __init__(self, energy=None, step_size: float | None = None, *, max_depth: int = 8, mass=1.0):
        self.step_size = _required_step_size(step_size, "NUTS")
        self.max_depth = check_int(max_depth, "max_depth", minimum=1)
        if self.max_depth > 16:
            raise ValueError(f"max_depth must be <= 16 (2^16 leapfrog steps per step), got {self.max_depth}")
        self.mass = _check_mass(mass)
        super().__init__(energy)

    def _leaf_log_weight(self, delta_h: torch.Tensor) -> torch.Tensor:
        """Log multinomial weight of a point, :math:`-\\Delta H` (the Metropolis factor of NUTS)."""
        return -delta_h

    def _uturn(self, x_minus, r_minus, x_plus, r_plus, inv_m) -> torch.Tensor:
        """Per chain: whether the segment from ``x_minus`` to ``x_plus`` (forward in time) turns back."""
        dx = x_plus - x_minus
        a = (dx * r_minus * inv_m).flatten(1).sum(-1)
        b = (dx * r_plus * inv_m).flatten(1).sum(-1)
        return (a < 0) | (b < 0)

    def step(self, state: State, *, generator: torch.Generator | None = None) -> tuple[State, NUTSInfo]:
        self._check_state(state, generator)
        x0, e0, g0 = state
        n, dev, dt = x0.shape[0], x0.device, x0.dtype
        sqrt_m, inv_m = _mass_terms(self, x0)

        def kinetic(r):
            return 0.5 * (r.pow(2) * inv_m).flatten(1).sum(-1)

        def rand():
            return torch.rand(n, generator=generator, device=dev, dtype=dt)

        r0 = torch.randn(x0.shape, generator=generator, device=dev, dtype=dt) * sqrt_m
        h0 = e0 + kinetic(r0)
        # the two ends of the trajectory (x, r, grad) and the current proposal (x, energy, grad, dH)
        lo = [x0, r0, g0]
        hi = [x0, r0, g0]
        prop_x, prop_e, prop_g, prop_dh = x0, e0, g0, torch.zeros_like(e0)
        log_w = torch.zeros_like(e0)                      # log sum of weights of the tree (start: e^0)
        alive = torch.ones(n, dtype=torch.bool, device=dev)
        depth = torch.zeros(n, dtype=torch.long, device=dev)
        n_leap = torch.zeros(n, dtype=torch.long, device=dev)
        acc_sum = torch.zeros_like(e0)
        batched = 0
        for j in range(self.max_depth):
            forward = rand() < 0.5
            v = torch.where(forward, 1.0, -1.0).to(dt)
            eps = self.step_size * _expand(v, x0)
            fw = _expand(forward, x0)
            x = torch.where(fw, hi[0], lo[0])
            r = torch.where(fw, hi[1], lo[1])
            g = torch.where(fw, hi[2], lo[2])
            ok = alive.clone()                             # this subtree is still valid and growing
            sub_log_w = torch.full_like(e0, -torch.inf)
            sub_x, sub_e, sub_g, sub_dh = x, prop_e, g, prop_dh
            checkpoints: dict[int, tuple] = {}
            for leaf in range(2 ** j):
                x_new, r_new, e_new, g_new = _leapfrog(self.energy, x, r, g, eps, 1, inv_m)
                batched += 1
                okx = _expand(ok, x0)
                x, r, g = torch.where(okx, x_new, x), torch.where(okx, r_new, r), torch.where(okx, g_new, g)
                dh = torch.nan_to_num(e_new + kinetic(r_new) - h0, nan=torch.inf)
                diverged = dh > self.max_energy_error
                acc_sum = acc_sum + torch.where(ok, torch.exp(torch.clamp(-dh, max=0.0)), 0.0)
                n_leap = n_leap + ok
                lw = torch.where(ok & ~diverged, self._leaf_log_weight(dh), -torch.inf)
                new_sub = torch.logaddexp(sub_log_w, lw)
                take = ok & (rand() < torch.exp(lw - new_sub).nan_to_num(0.0))
                tk = _expand(take, x0)
                sub_x, sub_g = torch.where(tk, x, sub_x), torch.where(tk, g, sub_g)
                sub_e, sub_dh = torch.where(take, e_new, sub_e), torch.where(take, dh, sub_dh)
                sub_log_w = torch.where(ok, new_sub, sub_log_w)
                # balanced sub-subtrees: leaf k-aligned blocks of 2^k leaves, k = 1..j
                for k in range(1, j + 1):
                    if leaf % (2 ** k) == 0:
                        checkpoints[k] = (x, r)
                turned = torch.zeros_like(ok)
                for k in range(1, j + 1):
                    if (leaf + 1) % (2 ** k) == 0:
                        xs, rs = checkpoints[k]
                        # forward in time: the block runs from its start to this leaf if v = +1, back if -1
                        xm, rm = torch.where(fw, xs, x), torch.where(fw, rs, r)
                        xp, rp = torch.where(fw, x, xs), torch.where(fw, r, rs)
                        turned = turned | self._uturn(xm, rm, xp, rp, inv_m)
                ok = ok & ~diverged & ~turned
            merge = alive & ok
            p_new = torch.exp(sub_log_w - torch.logaddexp(log_w, sub_log_w)).nan_to_num(0.0)
            take = merge & (rand() < p_new)
            tk = _expand(take, x0)
            prop_x, prop_g = torch.where(tk, sub_x, prop_x), torch.where(tk, sub_g, prop_g)
            prop_e, prop_dh = torch.where(take, sub_e, prop_e), torch.where(take, sub_dh, prop_dh)
            log_w = torch.where(merge, torch.logaddexp(log_w, sub_log_w), log_w)
            mf, mb = _expand(merge & forward, x0), _expand(merge & ~forward, x0)
            hi = [torch.where(mf, a, b) for a, b in zip((x, r, g), hi)]
            lo = [torch.where(mb, a, b) for a, b in zip((x, r, g), lo)]
            depth = depth + merge
            alive = merge & ~self._uturn(lo[0], lo[1], hi[0], hi[1], inv_m)
            if not bool(alive.any()):                      # one host read per doubling
                break
        moved = (prop_x != x0).flatten(1).any(-1)
        info = NUTSInfo(acc_sum / n_leap.clamp(min=1).to(dt), moved, prop_dh, depth, n_leap, batched)
        return State(prop_x, prop_e, prop_g), info
