"""Stability of chapter 8's JEM recipe over seeds, beside the cross-entropy baseline.

Usage::

    python benchmarks/bench_jem.py            # 3 seeds at the chapter's settings (about 2 minutes on 2 CPU cores)
    python benchmarks/bench_jem.py --quick    # 3 seeds, 300 steps: a smoke run (about 20 s), targets not checked
    python benchmarks/bench_jem.py --device cuda

For each seed the same ``MLPClassifier(64, 10, (128, 128))`` is trained on the digits
twice with :class:`ebmbook.losses.JEMObjective` and :class:`ebmbook.train.Trainer`, as in
chapter 8: once with the generative term (JEM) and once without (baseline, cross-entropy
only). Reported per seed: whether the guard fired, test accuracy, ECE (15 bins), and the
AUROC of JEM's log p(x) against uniform noise and pixel-shuffled digits. The full run checks
the chapter's targets for every seed (accuracy >= baseline - 1.5 points, ECE below the
baseline's, AUROC >= 0.95) and exits non-zero if any seed misses one. Results go to
``benchmarks/results/jem.json`` (``jem_quick.json`` for ``--quick``).
"""
from __future__ import annotations

import argparse
import sys
import time

import torch

from common import RESULTS_DIR, environment, finish, load_average, resolve_device, table

import ebmbook
from ebmbook import metrics
from ebmbook.data import load_digits, ood_datasets
from ebmbook.losses import JEMObjective
from ebmbook.models import JEM, MLPClassifier
from ebmbook.samplers import SGLD
from ebmbook.train import Trainer, TrainingDiverged


def train(weight: float, x, y, seed: int, n_steps: int, device) -> tuple[JEM, str | None]:
    torch.manual_seed(seed)
    model = JEM(MLPClassifier(64, 10, hidden=(128, 128)), 10).to(device)
    objective = JEMObjective((64,), 10, sampler=SGLD(step_size=1.0, noise_scale=0.01, clamp=(0.0, 1.0)),
                             n_steps=20, buffer=2000, alpha=0.1, generative_weight=weight,
                             warmup_steps=n_steps // 10, generator=ebmbook.utils.make_generator(seed, device))
    try:
        Trainer(model, objective, lr=1e-3, seed=seed, progress=False).fit((x, y), n_steps=n_steps, batch_size=64)
    except TrainingDiverged as err:
        return model, str(err)
    return model, None


def evaluate(model: JEM, x_test, y_test, ood: dict) -> dict:
    with torch.no_grad():
        probs = model.class_probs(x_test)
        s_in = metrics.log_px_score(model.logits(x_test))
        aurocs = {k: metrics.auroc(s_in, metrics.log_px_score(model.logits(v))) for k, v in ood.items()}
    return {"accuracy": float((probs.argmax(1) == y_test).float().mean()),
            "ece": metrics.expected_calibration_error(probs, y_test, n_bins=15).ece,
            "auroc_noise": aurocs["uniform noise"], "auroc_shuffled": aurocs["shuffled pixels"]}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="300 steps per model; targets are not checked")
    p.add_argument("--device", default="auto")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = p.parse_args(argv)
    device = resolve_device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(1)
    t_start = time.perf_counter()
    n_steps = 300 if args.quick else 2000
    d = load_digits()
    x_train, y_train = d.x_train.to(device), d.y_train.to(device)
    x_test, y_test = d.x_test.to(device), d.y_test.to(device)
    ood = ood_datasets(x_test, generator=ebmbook.utils.make_generator(1, device))
    result = {"environment": environment(device), "n_steps": n_steps, "seeds": {}}
    result["environment"]["loadavg_start"] = load_average()
    rows, failures = [], []
    for seed in args.seeds:
        base, base_err = train(0.0, x_train, y_train, seed, n_steps, device)
        jem, jem_err = train(1.0, x_train, y_train, seed, n_steps, device)
        b, j = evaluate(base, x_test, y_test, ood), evaluate(jem, x_test, y_test, ood)
        result["seeds"][str(seed)] = {"baseline": b, "jem": j, "diverged": jem_err or base_err}
        rows.append([str(seed), "yes" if (jem_err or base_err) else "no", f"{100 * b['accuracy']:.2f}",
                     f"{100 * j['accuracy']:.2f}", f"{100 * b['ece']:.2f}", f"{100 * j['ece']:.2f}",
                     f"{j['auroc_noise']:.3f}", f"{j['auroc_shuffled']:.3f}"])
        checks = {"no divergence": not (jem_err or base_err),
                  "accuracy >= baseline - 1.5": j["accuracy"] >= b["accuracy"] - 0.015,
                  "ECE < baseline": j["ece"] < b["ece"],
                  "AUROC noise >= 0.95": j["auroc_noise"] >= 0.95,
                  "AUROC shuffled >= 0.95": j["auroc_shuffled"] >= 0.95}
        failures += [f"seed {seed}: {name}" for name, ok in checks.items() if not ok]
    print(table(rows, ["seed", "diverged", "acc base %", "acc JEM %", "ECE base %", "ECE JEM %",
                       "AUROC noise", "AUROC shuffled"]))
    result["failures"] = failures
    finish(result, device, RESULTS_DIR / ("jem_quick.json" if args.quick else "jem.json"), t_start)
    if failures and not args.quick:
        print("targets missed:", *failures, sep="\n  ")
        sys.exit(1)
    return result


if __name__ == "__main__":
    main()
