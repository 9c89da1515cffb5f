"""Data-parallel throughput of the Trainer: 1 process against 2 (gloo, 1 thread each, one machine).

Usage::

    python benchmarks/bench_distributed.py            # 300 steps per run
    python benchmarks/bench_distributed.py --quick    # 60 steps: a smoke run

The model is chapter 5's: ``MLPEnergy(2, (128, 128))`` trained by contrastive divergence with
20 SGLD steps per training step and a replay buffer, on the eight-Gaussians toy, with a global
batch of 256 (each of 2 ranks computes 128 examples and its own chains). Reported: training
steps per second for 1 and 2 processes and the scaling (ideal 2.0 on 2 free cores; the
gradient all-reduce and the metric average are the communication per step). Results go to
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

BATCH = 256


def _steps_per_second(n_steps: int) -> float:
    torch.manual_seed(0)
    data = eight_gaussians(20_000, generator=ebmbook.utils.make_generator(0))
    world = dist.get_world_size() if dist.is_initialized() else 1
    objective = ContrastiveDivergence((2,), sampler=SGLD(step_size=0.02), n_steps=20, alpha=0.001,
                                      buffer=ReplayBuffer(BATCH // world, (2,), init=uniform_noise(-5, 5)))
    trainer = Trainer(MLPEnergy(2, (128, 128)), objective, lr=1e-3, seed=0, progress=False)
    trainer.fit(data, 10, batch_size=BATCH)                    # warm-up
    start = time.perf_counter()
    trainer.fit(data, n_steps, batch_size=BATCH)
    return n_steps / (time.perf_counter() - start)


def _worker(rank: int, port: int, n_steps: int, out: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    try:
        rate = _steps_per_second(n_steps)
        if rank == 0:
            with open(out, "w") as f:
                f.write(str(rate))
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
    result = {"environment": environment(device), "n_steps": n_steps, "global_batch": BATCH}
    result["environment"]["loadavg_start"] = load_average()
    one = _steps_per_second(n_steps)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "rate")
        mp.start_processes(_worker, args=(port, n_steps, out), nprocs=2, join=True, start_method="spawn")
        two = float(open(out).read())
    result.update(steps_per_s_1=one, steps_per_s_2=two, scaling=two / one)
    print(table([["1 process", f"{one:.1f}", "1.00"], ["2 processes", f"{two:.1f}", f"{two / one:.2f}"]],
                ["chapter-5 CD, global batch 256", "steps/s", "scaling"]))
    finish(result, device, RESULTS_DIR / ("distributed_quick.json" if args.quick else "distributed.json"), t_start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
