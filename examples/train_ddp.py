"""Train an energy-based model on one or many processes: the same script under ``python`` or ``torchrun``.

    python examples/train_ddp.py --model ebm --steps 2000                 # one process
    torchrun --nproc_per_node=2 examples/train_ddp.py --model ebm         # two processes (gloo on CPU)
    torchrun --nproc_per_node=8 examples/train_ddp.py --model jem         # eight GPUs (nccl)

``--model ebm`` is chapter 5's energy on the eight-Gaussians toy (contrastive divergence with SGLD
chains and a replay buffer per rank); ``--model jem`` is chapter 8's joint energy model on the
digits. ``--batch-size`` is the global batch, split over the ranks. Only rank 0 prints and writes
the checkpoint; ``--resume`` restarts every rank from it.
"""
from __future__ import annotations

import argparse
import os
import time

import torch
import torch.distributed as dist

import ebmbook
from ebmbook.data import eight_gaussians, load_digits
from ebmbook.losses import ContrastiveDivergence, JEMObjective
from ebmbook.models import JEM, MLPClassifier, MLPEnergy
from ebmbook.samplers import SGLD, ReplayBuffer, uniform_noise
from ebmbook.train import Trainer


def build(model_name: str, device: torch.device, seed: int):
    """The model, objective and training data of one of the book's runs."""
    torch.manual_seed(seed)
    if model_name == "ebm":
        data = eight_gaussians(20_000, generator=ebmbook.utils.make_generator(seed, device), device=device)
        objective = ContrastiveDivergence((2,), sampler=SGLD(step_size=0.02), n_steps=20, alpha=0.001,
                                          buffer=ReplayBuffer(1024, (2,), init=uniform_noise(-5, 5), device=device))
        return MLPEnergy(2, (128, 128)).to(device), objective, data
    digits = load_digits()
    model = JEM(MLPClassifier(64, 10, (256, 256)), 10).to(device)
    return model, JEMObjective((64,), 10, n_steps=20, buffer=1000), (digits.x_train.to(device),
                                                                  digits.y_train.to(device))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("ebm", "jem"), default="ebm")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=256, help="global batch, split over the ranks")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint", default="checkpoint.pt")
    parser.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    args = parser.parse_args()

    launched = "RANK" in os.environ and int(os.environ.get("WORLD_SIZE", "1")) > 1
    if torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
        torch.set_num_threads(1)      # one core per process
    if launched:                      # torchrun sets RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    try:
        model, objective, data = build(args.model, device, args.seed)
        trainer = Trainer(model, objective, lr=args.lr, seed=args.seed, progress=not launched)
        if args.resume:
            trainer.load(args.checkpoint)
        start = time.perf_counter()
        trainer.fit(data, args.steps, batch_size=args.batch_size)
        seconds = time.perf_counter() - start
        trainer.save(args.checkpoint)
        if trainer.rank == 0:
            print(f"{trainer.world_size} process(es): {args.steps} steps in {seconds:.1f} s "
                  f"({args.steps * args.batch_size / seconds:.0f} examples/s); final loss "
                  f"{trainer.history['loss'][-1]:.4f}; checkpoint {args.checkpoint}")
    finally:
        if launched:
            dist.destroy_process_group()


if __name__ == "__main__":
    main()
