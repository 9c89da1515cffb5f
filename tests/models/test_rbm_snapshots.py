"""A shorter RBM fit is exactly the beginning of a longer one with the same seed.

Chapter 4 draws learning curves from fits of increasing ``n_epochs`` with one seed; this
is the property that makes those fits snapshots of a single run.
"""
import numpy as np
import pytest
import torch

from ebmbook.models import BernoulliRBM


@pytest.mark.parametrize("method", ["cd", "pcd"])
def test_short_fit_is_the_prefix_of_a_long_fit(method):
    data = (torch.rand(120, 12, generator=torch.Generator().manual_seed(0)) < 0.3).float()
    settings = dict(n_hidden=4, method=method, k=2, learning_rate=0.1, batch_size=10)
    long = BernoulliRBM(n_epochs=6, **settings).fit(data, generator=torch.Generator().manual_seed(3))
    for n_epochs in (1, 3):
        short = BernoulliRBM(n_epochs=n_epochs, **settings).fit(data, generator=torch.Generator().manual_seed(3))
        got = np.array([rec["reconstruction_error"] for rec in short.history_])
        want = np.array([rec["reconstruction_error"] for rec in long.history_[:n_epochs]])
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=0)


def test_same_seed_same_parameters():
    data = (torch.rand(60, 8, generator=torch.Generator().manual_seed(1)) < 0.5).float()
    fits = [BernoulliRBM(n_hidden=3, method="pcd", n_epochs=2).fit(data, generator=torch.Generator().manual_seed(7))
            for _ in range(2)]
    assert torch.equal(fits[0].weights_, fits[1].weights_)
    assert torch.equal(fits[0].chains_, fits[1].chains_)
