"""Stability of chapter 8's JEM recipe over seeds, beside the cross-entropy baseline.

Usage::

    python benchmarks/bench_jem.py            # 5 seeds at the chapter's settings (about 4 minutes on 2 idle CPU cores)
    python benchmarks/bench_jem.py --seeds 0 1 2
    python benchmarks/bench_jem.py --quick    # 3 seeds, 300 steps: a smoke run (about 20 s), targets not checked
    python benchmarks/bench_jem.py --device cuda

For each seed the same ``MLPClassifier(64, 10, (128, 128))`` is trained on the digits
twice with :class:`ebmbook.losses.JEMObjective` and :class:`ebmbook.train.Trainer`, as in
chapter 8 (same split, steps, sampler and optimiser): once with the generative term (JEM)
and once without (baseline, cross-entropy only). Reported per seed: whether the guard fired,
test accuracy, ECE (15 bins), mean confidence minus accuracy (> 0: over-confident), test
NLL, the AUROC of JEM's log p(x) against uniform noise and pixel-shuffled digits, and the
fraction of JEM's class-conditional samples that an independent judge (logistic regression
on the real training digits) reads as the intended class. The full run checks the chapter's
targets for every seed (accuracy >= baseline - 1.5 points, ECE below the baseline's,
AUROC >= 0.95, samples judged >= 70 %) and exits non-zero if any seed misses one. Results go
to ``benchmarks/results/jem.json`` (``jem_quick.json`` for ``--quick``).
"""
from __future__ import annotations

import argparse
import sys
import time

import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression

from common import RESULTS_DIR, environment, finish, load_average, resolve_device, table

import ebmbook
from ebmbook import metrics
from ebmbook.data import load_digits, ood_datasets
from ebmbook.losses import JEMObjective
from ebmbook.models import JEM, MLPClassifier
from ebmbook.samplers import SGLD, run
from ebmbook.train import Trainer, TrainingDiverged

# chapter 8's recipe: keep these equal to the chapter's cells
TEST_SIZE = 0.5       # load_digits(test_size=0.5): 899 training and 898 test digits
N_STEPS, BATCH = 3000, 64


def train(weight: float, x, y, seed: int, n_steps: int, device) -> tuple[JEM, str | None]:
    torch.manual_seed(seed)
    model = JEM(MLPClassifier(64, 10, hidden=(128, 128)), 10).to(device)
    objective = JEMObjective((64,), 10, sampler=SGLD(step_size=1.0, noise_scale=0.01, clamp=(0.0, 1.0)),
                             n_steps=20, buffer=2000, alpha=0.1, generative_weight=weight,
                             warmup_steps=n_steps // 10, generator=ebmbook.utils.make_generator(seed, device))
    try:
        Trainer(model, objective, lr=1e-3, seed=seed, progress=False).fit((x, y), n_steps=n_steps, batch_size=BATCH)
    except TrainingDiverged as err:
        return model, str(err)
    return model, None


def evaluate(model: JEM, x_test, y_test, ood: dict) -> dict:
    with torch.no_grad():
        logits = model.logits(x_test)
        probs = logits.softmax(1)
        s_in = metrics.log_px_score(logits)
        aurocs = {k: metrics.auroc(s_in, metrics.log_px_score(model.logits(v))) for k, v in ood.items()}
    accuracy = float((probs.argmax(1) == y_test).float().mean())
    return {"accuracy": accuracy,
            "ece": metrics.expected_calibration_error(probs, y_test, n_bins=15).ece,
            "overconfidence": float(probs.max(1).values.mean()) - accuracy,
            "nll": float(F.cross_entropy(logits, y_test)),
            "auroc_noise": aurocs["uniform noise"], "auroc_shuffled": aurocs["shuffled pixels"]}


def judge_samples(model: JEM, judge: LogisticRegression, device) -> tuple[float, float]:
    """As in the chapter: 10 chains per class from uniform noise, 300 SGLD steps on E(x, y)."""
    generator = ebmbook.utils.make_generator(2, device)
    labels = torch.arange(10, device=device).repeat_interleave(10)
    x0 = torch.rand(100, 64, generator=generator, device=device)
    sampler = SGLD(step_size=0.1, noise_scale=0.01, clamp=(0.0, 1.0))
    samples = run(sampler.bind(model.conditional(labels)), x0, 300, generator=generator).position
    agree = lambda x: float((judge.predict(x.detach().cpu().numpy()) == labels.cpu().numpy()).mean())
    return agree(samples), agree(x0)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="300 steps per model, seeds 0 1 2; targets are not checked")
    p.add_argument("--device", default="auto")
    p.add_argument("--seeds", type=int, nargs="+", default=None, help="default 0 1 2 3 4 (quick: 0 1 2)")
    args = p.parse_args(argv)
    device = resolve_device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(1)
    seeds = args.seeds if args.seeds is not None else ([0, 1, 2] if args.quick else [0, 1, 2, 3, 4])
    t_start = time.perf_counter()
    n_steps = 300 if args.quick else N_STEPS
    d = load_digits(test_size=TEST_SIZE)
    x_train, y_train = d.x_train.to(device), d.y_train.to(device)
    x_test, y_test = d.x_test.to(device), d.y_test.to(device)
    ood = ood_datasets(x_test, generator=ebmbook.utils.make_generator(1, device))
    judge = LogisticRegression(max_iter=2000).fit(d.x_train.numpy(), d.y_train.numpy())
    result = {"environment": environment(device), "n_steps": n_steps, "test_size": TEST_SIZE,
              "n_train": len(y_train), "n_test": len(y_test), "seeds": {}}
    result["environment"]["loadavg_start"] = load_average()
    rows, failures = [], []
    for seed in seeds:
        base, base_err = train(0.0, x_train, y_train, seed, n_steps, device)
        jem, jem_err = train(1.0, x_train, y_train, seed, n_steps, device)
        b, j = evaluate(base, x_test, y_test, ood), evaluate(jem, x_test, y_test, ood)
        j["samples_judged"], j["noise_judged"] = judge_samples(jem, judge, device)
        diverged = jem_err or base_err
        result["seeds"][str(seed)] = {"baseline": b, "jem": j, "diverged": diverged}
        rows.append([str(seed), "yes" if diverged else "no", f"{100 * b['accuracy']:.2f}",
                     f"{100 * j['accuracy']:.2f}", f"{100 * b['ece']:.2f}", f"{100 * j['ece']:.2f}",
                     f"{100 * b['overconfidence']:+.2f}", f"{100 * j['overconfidence']:+.2f}",
                     f"{b['nll']:.3f}", f"{j['nll']:.3f}",
                     f"{j['auroc_noise']:.3f}", f"{j['auroc_shuffled']:.3f}", f"{100 * j['samples_judged']:.0f}"])
        checks = {"no divergence": not diverged,
                  "accuracy >= baseline - 1.5": j["accuracy"] >= b["accuracy"] - 0.015,
                  "ECE < baseline": j["ece"] < b["ece"],
                  "AUROC noise >= 0.95": j["auroc_noise"] >= 0.95,
                  "AUROC shuffled >= 0.95": j["auroc_shuffled"] >= 0.95,
                  "samples judged >= 70 %": j["samples_judged"] >= 0.70}
        failures += [f"seed {seed}: {name}" for name, ok in checks.items() if not ok]
    print(f"{len(y_train)} training and {len(y_test)} test digits, {n_steps} steps of batch {BATCH}")
    print(table(rows, ["seed", "diverged", "acc base %", "acc JEM %", "ECE base %", "ECE JEM %",
                       "conf-acc base", "conf-acc JEM", "NLL base", "NLL JEM",
                       "AUROC noise", "AUROC shuffled", "judged %"]))
    result["failures"] = failures
    finish(result, device, RESULTS_DIR / ("jem_quick.json" if args.quick else "jem.json"), t_start)
    if failures and not args.quick:
        print("targets missed:", *failures, sep="\n  ")
        sys.exit(1)
    return result


if __name__ == "__main__":
    main()
