"""Hopfield networks: energy descent, fixed points, 2-cycles, capacity and retrieval."""
import math
import time

import pytest
import torch

from ebmbook.models import DenseAssociativeMemory, Hopfield, ModernHopfield, overlap


def random_patterns(p, n, generator, device="cpu"):
    return torch.where(torch.rand(p, n, generator=generator) < 0.5, -1.0, 1.0).to(device)


def flip(patterns, fraction, generator):
    n = patterns.shape[1]
    k = int(round(fraction * n))
    idx = torch.rand(patterns.shape, generator=generator).argsort(-1)[:, :k]
    out = patterns.clone()
    out.scatter_(1, idx.to(out.device), -out.gather(1, idx.to(out.device)))
    return out


@pytest.mark.parametrize("rule", ["hebbian", "storkey", "pseudoinverse"])
def test_energy_never_increases_along_asynchronous_trajectories(rule):
    # Property test over random networks, loads and random starts: energy after
    # every single-unit update is <= the one before (up to float round-off).
    for seed in range(8):
        g = torch.Generator().manual_seed(seed)
        n = int(torch.randint(10, 60, (1,), generator=g))
        p = int(torch.randint(1, max(2, n // 3), (1,), generator=g))
        net = Hopfield(rule).fit(random_patterns(p, n, g).double())
        probes = random_patterns(16, n, g).double()
        res = net.recall(probes, max_sweeps=20, generator=g, record="unit")
        steps = res.energies.diff(dim=0)
        assert bool((steps <= 1e-9).all()), f"energy increased for rule={rule}, seed={seed}"
        assert bool(res.converged.all())


def test_dense_memory_energy_never_increases():
    for interaction, degree in (("polynomial", 3), ("polynomial", 4), ("exponential", 2)):
        g = torch.Generator().manual_seed(1)
        mem = DenseAssociativeMemory(interaction, degree=degree, beta=0.3).fit(random_patterns(30, 24, g))
        res = mem.recall(random_patterns(10, 24, g), generator=g, record="unit")
        e = res.energies.double()
        assert bool((e.diff(dim=0) <= 1e-6 * e.abs().max()).all())


@pytest.mark.parametrize("rule", ["hebbian", "storkey", "pseudoinverse"])
def test_stored_patterns_are_fixed_points_at_low_load(rule, device):
    g = torch.Generator().manual_seed(0)
    xi = random_patterns(5, 200, g, device)  # P/N = 0.025
    net = Hopfield(rule).fit(xi)
    for mode in ("async", "sync"):
        res = net.recall(xi, mode=mode, generator=torch.Generator().manual_seed(1))
        assert torch.equal(res.states, xi) and bool((res.n_sweeps == 1).all())


def test_synchronous_dynamics_two_cycle():
    # Two antiferromagnetically coupled units started aligned swap forever under
    # synchronous updates; asynchronous updates settle.
    net = Hopfield("hebbian").fit(torch.tensor([[1.0, -1.0]]))
    start = torch.tensor([[1.0, 1.0]])
    sync = net.recall(start, mode="sync", max_sweeps=10)
    assert bool(sync.cycled.all()) and not bool(sync.converged.any())
    after_one = net.sweep(start, mode="sync")
    assert torch.equal(after_one, -start) and torch.equal(net.sweep(after_one, mode="sync"), start)
    assert bool(net.recall(start, mode="async", generator=torch.Generator().manual_seed(0)).converged.all())


def test_synchronous_two_cycles_in_random_networks():
    g = torch.Generator().manual_seed(3)
    net = Hopfield("hebbian").fit(random_patterns(40, 100, g))  # beyond capacity
    res = net.recall(random_patterns(200, 100, g), mode="sync", max_sweeps=200)
    assert bool(res.cycled.any())
    assert not bool((res.cycled & res.converged).any())


def capacity_overlap(rule, load, n=500, seed=0):
    g = torch.Generator().manual_seed(seed)
    xi = random_patterns(int(round(load * n)), n, g)
    net = Hopfield(rule).fit(xi)
    res = net.recall(xi, max_sweeps=60, generator=g)
    return float(net.overlap(res.states).diagonal().mean())


def test_hebbian_capacity_at_n_500():
    # Issue targets. At P/N = 0.1 the AGS theory gives m ~ 0.99; at 0.2 retrieval
    # states no longer exist and m falls to the spin-glass level.
    assert capacity_overlap("hebbian", 0.10) >= 0.97
    assert capacity_overlap("hebbian", 0.20) < 0.6


def test_pseudoinverse_holds_more_than_hebbian():
    assert capacity_overlap("pseudoinverse", 0.20) >= 0.97
    assert capacity_overlap("storkey", 0.20) > capacity_overlap("hebbian", 0.20) + 0.2


def test_pattern_completion_from_corruption():
    g = torch.Generator().manual_seed(4)
    xi = random_patterns(10, 300, g)
    net = Hopfield("hebbian").fit(xi)
    res = net.recall(flip(xi, 0.15, g), generator=g)
    assert float(net.overlap(res.states).diagonal().min()) == 1.0


def test_storkey_rule_matches_definition():
    # Compare the vectorised update with the textbook double loop on a tiny net.
    g = torch.Generator().manual_seed(5)
    xi = random_patterns(3, 6, g).double()
    w = torch.zeros(6, 6, dtype=torch.float64)
    for pat in xi:
        new = w.clone()
        for i in range(6):
            for j in range(6):
                if i == j:
                    continue
                h_ij = sum(w[i, k] * pat[k] for k in range(6) if k not in (i, j))
                h_ji = sum(w[j, k] * pat[k] for k in range(6) if k not in (i, j))
                new[i, j] = w[i, j] + (pat[i] * pat[j] - pat[i] * h_ji - h_ij * pat[j]) / 6
        w = new
    torch.testing.assert_close(Hopfield("storkey").fit(xi).weights_, w)


def test_dense_memory_exceeds_classical_capacity():
    g = torch.Generator().manual_seed(6)
    xi = random_patterns(100, 50, g)  # P/N = 2
    probes = flip(xi, 0.1, g)
    dense = DenseAssociativeMemory("polynomial", degree=4).fit(xi)
    assert float(dense.overlap(dense.recall(probes, generator=g).states).diagonal().mean()) > 0.99
    expo = DenseAssociativeMemory("exponential", beta=1.0).fit(xi)
    assert float(expo.overlap(expo.recall(probes, generator=g).states).diagonal().mean()) > 0.99
    hebb = Hopfield().fit(xi)
    assert float(hebb.overlap(hebb.recall(probes, generator=g).states).diagonal().mean()) < 0.6


def test_dense_degree_two_is_hebbian():
    g = torch.Generator().manual_seed(7)
    xi = random_patterns(8, 40, g)
    s = random_patterns(5, 40, g)
    dense = DenseAssociativeMemory("polynomial", degree=2).fit(xi)
    hebb = Hopfield().fit(xi)
    # sum (xi.s)^2 = -2N E_hebb + P N (the diagonal Hebb drops), so E_dense = 2N E_hebb - P N
    torch.testing.assert_close(dense.energy(s).float(), 2 * 40 * hebb.energy(s) - 8 * 40, rtol=1e-5, atol=1e-3)


def test_modern_hopfield_retrieval_at_scale(device):
    # Issue target: d = 64, P = 10,000 random patterns, 10% bits flipped,
    # beta = 0.5: >= 99% exact one-step retrieval, 10,000 queries batched.
    g = torch.Generator().manual_seed(0)
    x = random_patterns(10000, 64, g, device)
    net = ModernHopfield(beta=0.5).fit(x)
    queries = flip(x, 0.1, g)
    start = time.perf_counter()
    out = net.retrieve(queries)
    elapsed = time.perf_counter() - start
    exact = (torch.sign(out) == x).all(-1).float().mean()
    assert float(exact) >= 0.99, f"exact retrieval {float(exact):.4f} in {elapsed:.2f}s"


def test_modern_hopfield_update_is_attention_and_descends_energy():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(50, 16, generator=g)
    q = torch.randn(20, 16, generator=g)
    net = ModernHopfield(beta=0.8).fit(x)
    attn = torch.nn.functional.scaled_dot_product_attention(q[None], x[None], x[None], scale=0.8)[0]
    torch.testing.assert_close(net.retrieve(q), attn, rtol=1e-5, atol=1e-5)
    e0 = net.energy(q)
    e1 = net.energy(net.retrieve(q))
    assert bool((e1 <= e0 + 1e-5).all())
    assert bool((net.energy(x) >= -1e-4).all())  # E >= 0 by construction


def test_overlap_helper():
    xi = torch.tensor([[1.0, 1.0, -1.0, -1.0]])
    torch.testing.assert_close(overlap(torch.tensor([[1.0, 1.0, -1.0, 1.0]]), xi), torch.tensor([[0.5]]))


def test_bad_input():
    with pytest.raises(ValueError, match="-1 and \\+1"):
        Hopfield().fit(torch.tensor([[0.0, 1.0]]))
    with pytest.raises(ValueError, match="P = 0"):
        Hopfield().fit(torch.zeros(0, 5))
    with pytest.raises(ValueError, match="rule"):
        Hopfield("oja")
    net = Hopfield().fit(torch.ones(1, 4))
    with pytest.raises(ValueError, match="length 4"):
        net.recall(torch.ones(2, 5))
    with pytest.raises(ValueError, match="probes"):
        net.recall(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="mode"):
        net.recall(torch.ones(2, 4), mode="parallel")
    with pytest.raises(RuntimeError, match="fit"):
        Hopfield().recall(torch.ones(1, 4))
    with pytest.raises(ValueError, match="linearly independent"):
        Hopfield("pseudoinverse").fit(torch.ones(2, 4))
    with pytest.raises(ValueError, match="degree"):
        DenseAssociativeMemory(degree=1)
    with pytest.raises(ValueError, match="beta"):
        ModernHopfield(beta=0)
    with pytest.raises(ValueError, match="queries"):
        ModernHopfield().fit(torch.ones(3, 4)).retrieve(torch.ones(2, 5))
    with pytest.raises(ValueError, match="P = 0"):
        ModernHopfield().fit(torch.zeros(0, 4))


def test_exponential_memory_energy_is_finite_beyond_float32_range():
    # exp(N) overflows float32 from N ~ 89; the memory keeps float64 and returns the true value.
    g = torch.Generator().manual_seed(0)
    patterns = torch.where(torch.rand(3, 120, generator=g) < 0.5, -1.0, 1.0)        # float32 input
    net = DenseAssociativeMemory("exponential", beta=1.0).fit(patterns)
    e = net.energy(patterns[:1])
    assert bool(torch.isfinite(e).all())
    expected = -torch.exp(patterns[:1].double() @ patterns.double().T).sum(-1)
    torch.testing.assert_close(e, expected)
    too_sharp = DenseAssociativeMemory("exponential", beta=10.0).fit(patterns)       # exp(1200) overflows
    with pytest.raises(FloatingPointError, match="beta"):
        too_sharp.energy(patterns[:1])


def test_recall_records_the_state_after_every_sweep():
    g = torch.Generator().manual_seed(0)
    patterns = torch.where(torch.rand(2, 64, generator=g) < 0.5, -1.0, 1.0)
    net = Hopfield().fit(patterns)
    probes = patterns.clone()
    probes[:, :10] *= -1                                           # corrupt 10 bits of each
    result = net.recall(probes, generator=g, record_states=True)
    assert result.trajectory.shape[1:] == (2, 64)
    assert torch.equal(result.trajectory[0], probes) and torch.equal(result.trajectory[-1], result.states)
    # the energy recorded after each sweep is the energy of the recorded state
    torch.testing.assert_close(net.energy(result.trajectory.flatten(0, 1)).reshape(result.energies.shape),
                               result.energies)
    assert net.recall(probes, generator=g).trajectory is None


def test_exponential_memory_recall_works_when_the_energy_overflows():
    # beta * N = 800 > 709: energy() says so, but recall (log-space fields) still retrieves.
    g = torch.Generator().manual_seed(1)
    patterns = torch.where(torch.rand(3, 800, generator=g) < 0.5, -1.0, 1.0)
    net = DenseAssociativeMemory("exponential", beta=1.0).fit(patterns)
    probe = patterns[:1].clone()
    probe[0, :40] *= -1
    result = net.recall(probe, generator=g)
    assert torch.equal(result.states, patterns[:1])
    assert bool(torch.isinf(result.energies).all())
    with pytest.raises(FloatingPointError, match="beta"):
        net.energy(patterns[:1])
