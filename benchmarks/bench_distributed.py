"""Data-parallel throughput of the Trainer: 1 process against 2 (gloo, 1 thread each, one machine).

Usage::

    python benchmarks/bench_distributed.py            # 300 steps per run
    python benchmarks/bench_distributed.py --quick    # 60 steps: a smoke run

The model is chapter 5's: ``MLPEnergy(2, (128, 128))`` trained by contrastive divergence with
20 SGLD steps per training step and a replay buffer, on the eight-Gaussians toy, at the
chapter's global batch of 256 and at 4096 (each of the 2 ranks computes half the examples and
its own chains). Reported: training steps per second for 1 and 2 processes and the scaling
(ideal 2.0 on 2 free cores). At batch 256 a step is dominated by per-call overhead (the same
21 small forward/backward passes whatever the batch), so halving the work per rank saves
little; at 4096 the arithmetic dominates and the ranks share it. The gradient all-reduce and
the metric average are the communication per step. Results go to
``benchmarks/results/distributed.json``.
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from common import RESULTS_DIR, environment, finish, load_average, table

import ebmbook
from ebmbook.data import eight_gaussians
from ebmbook.losses import ContrastiveDivergence
from ebmbook.models import MLPEnergy
from ebmbook.samplers import SGLD, ReplayBuffer, uniform_noise
from ebmbook.train import Trainer

BATCHES = (256, 4096)   # the chapter's batch, and one large enough for the arithmetic to dominate


def _steps_per_second(n_steps: int, batch: int) -> float:
    torch.manual_seed(0)
    data = eight_gaussians(20_000, generator=ebmbook.utils.make_generator(0))
    world = dist.get_world_size() if dist.is_initialized() else 1
    objective = ContrastiveDivergence((2,), sampler=SGLD(step_size=0.02), n_steps=20, alpha=0.001,
                                      buffer=ReplayBuffer(batch // world, (2,), init=uniform_noise(-5, 5)))
    trainer = Trainer(MLPEnergy(2, (128, 128)), objective, lr=1e-3, seed=0, progress=False)
    trainer.fit(data, 10, batch_size=batch)                    # warm-up
    start = time.perf_counter()
    trainer.fit(data, n_steps, batch_size=batch)
    return n_steps / (time.perf_counter() - start)


def _worker(rank: int, port: int, n_steps: int, out: str) -> None:
    # one process group for both batch sizes; rank 0 writes the rates
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    try:
        rates = [_steps_per_second(n_steps, batch) for batch in BATCHES]
        if rank == 0:
            with open(out, "w") as f:
                f.write(" ".join(map(str, rates)))
    finally:
        dist.destroy_process_group()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    t_start = time.perf_counter()
    n_steps = 60 if args.quick else 300
    device = torch.device("cpu")
    torch.set_num_threads(1)
    result = {"environment": environment(device), "n_steps": n_steps, "global_batches": list(BATCHES)}
    result["environment"]["loadavg_start"] = load_average()
    one = [_steps_per_second(n_steps, batch) for batch in BATCHES]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "rate")
        mp.start_processes(_worker, args=(port, n_steps, out), nprocs=2, join=True, start_method="spawn")
        two = [float(v) for v in open(out).read().split()]
    result["runs"] = [{"global_batch": b, "steps_per_s_1": o, "steps_per_s_2": t, "scaling": t / o}
                      for b, o, t in zip(BATCHES, one, two)]
    print(table([[str(b), f"{o:.1f}", f"{t:.1f}", f"{t / o:.2f}"] for b, o, t in zip(BATCHES, one, two)],
                ["global batch", "1 process steps/s", "2 processes steps/s", "scaling"]))
    finish(result, device, RESULTS_DIR / ("distributed_quick.json" if args.quick else "distributed.json"), t_start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
