"""The Trainer under torch.distributed: 2 CPU processes with the gloo backend on 127.0.0.1.

One spawn of two workers checks three things and writes what it saw to files; the test compares:
the parameters are identical on both ranks after training with per-rank replay buffers (CD);
2-rank exact score matching with global batch B equals 1-process training with batch B; and a
checkpoint written by rank 0 resumes both ranks exactly as the uninterrupted run continues.
"""
from __future__ import annotations

import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from ebmbook.losses import ContrastiveDivergence, ScoreMatching
from ebmbook.models import MLPEnergy
from ebmbook.samplers import SGLD
from ebmbook.train import Trainer

WORLD, STEPS, BATCH = 2, 30, 64


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _data():
    return torch.randn(512, 2, generator=torch.Generator().manual_seed(0)) * 1.5


def _sm_trainer(distributed=None):
    torch.manual_seed(1)
    return Trainer(MLPEnergy(2, (16,)), ScoreMatching("exact"), lr=1e-2, seed=3, progress=False,
                   distributed=distributed)


def _cd_trainer():
    torch.manual_seed(100 + dist.get_rank())          # different initial networks: rank 0's must win
    objective = ContrastiveDivergence((2,), sampler=SGLD(step_size=0.05), n_steps=5, buffer=64)
    return Trainer(MLPEnergy(2, (16,)), objective, lr=1e-2, seed=5, progress=False)


def _flat(trainer):
    return torch.cat([p.detach().reshape(-1) for p in trainer.trained_parameters])


def _worker(rank, port, out):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD)
    try:
        data = _data()
        results = {}
        sm = _sm_trainer().fit(data, STEPS, batch_size=BATCH)
        results["sm"] = _flat(sm)
        cd = _cd_trainer().fit(data, 10, batch_size=BATCH)
        cd.save(os.path.join(out, "cd.pt"))
        cd.fit(data, 10, batch_size=BATCH)
        results["cd_uninterrupted"] = _flat(cd)
        results["cd_history"] = torch.tensor(cd.history["loss"])
        resumed = _cd_trainer().load(os.path.join(out, "cd.pt")).fit(data, 10, batch_size=BATCH)
        results["cd_resumed"] = _flat(resumed)
        results["cd_buffer"] = resumed.objective.buffer.buffer.clone()
        torch.save(results, os.path.join(out, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("ddp"))
    mp.start_processes(_worker, args=(_free_port(), out), nprocs=WORLD, join=True, start_method="spawn")
    return [torch.load(os.path.join(out, f"rank{r}.pt")) for r in range(WORLD)]


def test_parameters_are_identical_on_both_ranks(ranks):
    assert torch.equal(ranks[0]["cd_uninterrupted"], ranks[1]["cd_uninterrupted"])
    # the replay buffers are per rank: they differ, the parameters they trained do not
    assert not torch.equal(ranks[0]["cd_buffer"], ranks[1]["cd_buffer"])


def test_two_ranks_with_global_batch_b_equal_one_process_with_batch_b(ranks):
    single = _flat(_sm_trainer(distributed=False).fit(_data(), STEPS, batch_size=BATCH))
    assert torch.allclose(ranks[0]["sm"], single, atol=1e-5, rtol=0)
    assert torch.allclose(ranks[1]["sm"], single, atol=1e-5, rtol=0)


def test_a_rank0_checkpoint_resumes_every_rank_exactly(ranks):
    for r in ranks:
        assert torch.equal(r["cd_resumed"], r["cd_uninterrupted"])


def test_one_process_is_unchanged_and_distributed_true_needs_a_group():
    assert Trainer(MLPEnergy(2, (4,)), ScoreMatching("exact"), progress=False).world_size == 1
    with pytest.raises(RuntimeError, match="process group"):
        Trainer(MLPEnergy(2, (4,)), ScoreMatching("exact"), progress=False, distributed=True)
