import numpy as np
import pytest
import torch
from scipy import stats

from ebmbook import exact
from ebmbook.metrics import discrete_chi_square, ks_test, state_index


def test_state_index_inverts_enumeration_order():
    for values in ("spin", "binary"):
        states = exact.all_states(5, values)
        assert torch.equal(state_index(states, values), torch.arange(32))


def test_chi_square_accepts_exact_draws_and_rejects_wrong_ones():
    probs = torch.tensor([0.4, 0.3, 0.2, 0.05, 0.05], dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    draws = torch.multinomial(probs, 5000, replacement=True, generator=g)
    assert discrete_chi_square(draws, probs).p_value > 1e-4
    wrong = torch.multinomial(torch.tensor([0.3, 0.3, 0.2, 0.1, 0.1]), 5000, replacement=True, generator=g)
    assert discrete_chi_square(wrong, probs).p_value < 1e-4


def test_chi_square_pools_rare_states_and_matches_scipy():
    probs = torch.tensor([0.5, 0.49, 0.006, 0.004], dtype=torch.float64)
    draws = torch.tensor([0] * 48 + [1] * 51 + [2] * 1)
    res = discrete_chi_square(draws, probs)
    observed = np.array([48, 51, 1])
    expected = np.array([50, 49, 1.0])
    ref = stats.chisquare(observed, expected)
    assert res.dof == 2
    assert res.statistic == pytest.approx(ref.statistic)
    assert res.p_value == pytest.approx(ref.pvalue)


def test_ks_test_matches_scipy():
    x = torch.randn(500, generator=torch.Generator().manual_seed(0))
    res = ks_test(x, stats.norm.cdf)
    ref = stats.kstest(x.double().numpy(), stats.norm.cdf)
    assert res.p_value == pytest.approx(ref.pvalue) and res.dof == 500


def test_bad_input():
    with pytest.raises(ValueError, match="spins"):
        state_index(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="values"):
        state_index(torch.ones(2, 3), "ternary")
    with pytest.raises(ValueError, match="probs"):
        discrete_chi_square(torch.tensor([0, 1]), torch.tensor([0.5, 0.6]))
    with pytest.raises(ValueError, match="indices"):
        discrete_chi_square(torch.tensor([0, 5]), torch.tensor([0.5, 0.5]))
    with pytest.raises(ValueError, match="samples"):
        ks_test(torch.tensor([0.0, float("nan")]), stats.norm.cdf)
