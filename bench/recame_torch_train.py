#!/usr/bin/env python3
"""PyTorch reference training of ReCAME-Net on FMNIST-LT with the protocol of `recame train`, so that the
Swift trainer's accuracy and wall time per epoch can be set next to the reference's (bench/RESULTS.md).

Same method, same data, same schedule as the Swift run (only the random streams differ):
  data        FMNIST-LT (ARCHITECTURE §8): class c keeps its first floor(6000 * IR^(-c/9)) training
              images in file order, less the last 50 images of each class, which form the balanced
              validation split; test: the full 10,000-image t10k set;
  input       (pixel/255 - mean) / std with the training split's per-channel mean and population std;
  augment     shift by dx, dy uniform in [-P, P] with fill 0 (the mean), then flips with probability 1/2;
  batches     reshuffled every epoch; the last partial batch is kept unless it holds a single image;
  optimiser   SGD, momentum 0.9 (not Nesterov), weight decay on weights only (not on BatchNorm or biases);
  schedule    per step: linear warm-up (step+1)/W * lr over W = warm-up epochs * steps, then cosine to 0;
  selection   the epoch with the best validation macro recall (never the test split);
  loss        bench/recame_loss.py (ARCHITECTURE §3), or plain cross-entropy with --baseline ce.

  python3 bench/recame_torch_train.py --imbalance 100 --epochs 8 --threads 1 [--experts 3] [--seed 1]
      [--batch 128 --lr 0.1 --warmup 1 --crop-padding 3 --flips h] [--baseline ce] [--json OUT.json]

One JSON line per epoch on stdout ({"epoch", "train_seconds", "seconds", "val_macro_recall", ...}) and a
final line with the test metrics of the selected epoch.
"""

import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recame_loss import LossWeights, recame_loss  # noqa: E402
from recame_torch import ReCAMENet, validate_config  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"
CLASSES = ["tshirt_top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"]


def read_idx(stem):
    path = os.path.join(DATA, stem + ".gz")
    opener = gzip.open if os.path.exists(path) else open
    with opener(path if os.path.exists(path) else os.path.join(DATA, stem), "rb") as handle:
        raw = handle.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def long_tail_counts(ratio, classes=10, head=6000):
    return [int(math.floor(head * ratio ** (-c / (classes - 1)))) for c in range(classes)]


def fmnist_lt(ratio, validation_per_class=50):
    images, labels = read_idx("train-images-idx3-ubyte"), read_idx("train-labels-idx1-ubyte")
    keep = long_tail_counts(ratio)
    train, validation = [], []
    for c in range(len(CLASSES)):
        members = np.nonzero(labels == c)[0]
        reserved = set(members[-validation_per_class:].tolist())
        validation += members[-validation_per_class:].tolist()
        train += [i for i in members[:keep[c]].tolist() if i not in reserved]
    train, validation = sorted(train), sorted(validation)
    test_images, test_labels = read_idx("t10k-images-idx3-ubyte"), read_idx("t10k-labels-idx1-ubyte")
    return (images[train], labels[train]), (images[validation], labels[validation]), (test_images, test_labels)


def normalized(images, mean, std):
    return torch.from_numpy(((images.astype(np.float32) / 255.0 - mean) / std)[:, None, :, :].copy())


def augment(batch, padding, flips, generator):
    n, _, height, width = batch.shape
    padded = F.pad(batch, (padding, padding, padding, padding))  # 0 = the mean after normalisation
    shifts = torch.randint(-padding, padding + 1, (n, 2), generator=generator)
    out = torch.empty_like(batch)
    for i in range(n):
        dy, dx = int(shifts[i, 0]), int(shifts[i, 1])
        out[i] = padded[i, :, padding - dy:padding - dy + height, padding - dx:padding - dx + width]
    if "h" in flips:
        mask = torch.rand(n, generator=generator) < 0.5
        out[mask] = out[mask].flip(3)
    if "v" in flips:
        mask = torch.rand(n, generator=generator) < 0.5
        out[mask] = out[mask].flip(2)
    return out


def learning_rate(step, base, warmup_steps, total_steps):
    if step < warmup_steps:
        return base * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
    return base * 0.5 * (1 + math.cos(math.pi * progress))


def confusion(model, images, labels, batch=500):
    model.eval()
    matrix = np.zeros((len(CLASSES), len(CLASSES)), dtype=np.int64)
    with torch.inference_mode():
        for start in range(0, len(images), batch):
            predicted = model(images[start:start + batch]).argmax(dim=1).numpy()
            np.add.at(matrix, (labels[start:start + batch], predicted), 1)
    return matrix


def metrics(matrix, train_counts):
    support = matrix.sum(axis=1)
    predicted = matrix.sum(axis=0)
    hits = np.diag(matrix)
    recall = np.where(support > 0, hits / np.maximum(support, 1), 0.0)
    precision = np.where(predicted > 0, hits / np.maximum(predicted, 1), 0.0)
    f1 = np.where(recall + precision > 0, 2 * recall * precision / np.maximum(recall + precision, 1e-12), 0.0)

    def group(selector):
        members = [c for c, n in enumerate(train_counts) if selector(n)]
        return float(np.mean(recall[members])) if members else None

    return {
        "accuracy": float(hits.sum() / matrix.sum()), "macro_f1": float(f1.mean()),
        "balanced_accuracy": float(recall.mean()), "many_recall": group(lambda n: n > 100),
        "medium_recall": group(lambda n: 20 <= n <= 100), "few_recall": group(lambda n: n < 20),
        "per_class_recall": recall.tolist(), "per_class_precision": precision.tolist(),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--imbalance", type=float, default=100)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--experts", type=int, default=3)
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--crop-padding", type=int, default=3)
    parser.add_argument("--flips", choices=["hv", "h", "none"], default="h")
    parser.add_argument("--baseline", choices=["ce"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", help="also write the final result object to this file")
    arguments = parser.parse_args(argv)
    if arguments.baseline:
        arguments.experts = 1
    if not 0 <= arguments.warmup < arguments.epochs:
        parser.error(f"--warmup must be in 0..<epochs, got {arguments.warmup}")

    torch.manual_seed(arguments.seed)
    torch.set_num_threads(arguments.threads)
    generator = torch.Generator().manual_seed(arguments.seed)
    (train_x, train_y), (val_x, val_y), (test_x, test_y) = fmnist_lt(arguments.imbalance)
    counts = np.bincount(train_y, minlength=len(CLASSES)).tolist()
    pixels = train_x.astype(np.float64) / 255.0
    mean, std = float(pixels.mean()), max(float(pixels.std()), 1e-3)
    train_images = normalized(train_x, mean, std)
    train_labels = torch.from_numpy(train_y.astype(np.int64))
    val_images, test_images = normalized(val_x, mean, std), normalized(test_x, mean, std)

    config = validate_config({
        "depth": arguments.depth, "widths": [16, 32, 64], "experts": arguments.experts,
        "num_classes": len(CLASSES), "class_names": CLASSES, "in_channels": 1, "input_size": [28, 28],
        "mean": [mean], "std": [std],
    }, fill_defaults=True)
    model = ReCAMENet(config)
    decayed = [p for name, p in model.named_parameters() if name.endswith("weight") and p.dim() > 1]
    plain = [p for name, p in model.named_parameters() if not (name.endswith("weight") and p.dim() > 1)]
    optimizer = torch.optim.SGD(
        [{"params": decayed, "weight_decay": arguments.weight_decay}, {"params": plain, "weight_decay": 0}],
        lr=arguments.lr, momentum=0.9)
    weights = LossWeights()

    count = len(train_labels)
    steps = count // arguments.batch + (1 if count % arguments.batch >= 2 else 0)
    warmup_steps, total_steps = arguments.warmup * steps, arguments.epochs * steps
    step, best_score, best_epoch, best_state, history = 0, -1.0, 0, None, []
    for epoch in range(arguments.epochs):
        started = time.perf_counter()
        model.train()
        order = torch.randperm(count, generator=generator)
        sums = {}
        for index in range(steps):
            members = order[index * arguments.batch:(index + 1) * arguments.batch]
            batch = augment(train_images[members], arguments.crop_padding, arguments.flips, generator)
            labels = train_labels[members]
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(step, arguments.lr, warmup_steps, total_steps)
            logits, features = model.logits_and_features(batch)
            if arguments.baseline:
                total, terms = F.cross_entropy(logits[0], labels), {}
            else:
                total, terms = recame_loss(logits, features, labels, counts, weights)
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            optimizer.step()
            step += 1
            sums["total"] = sums.get("total", 0.0) + float(total)
            for name, value in terms.items():
                sums[name] = sums.get(name, 0.0) + float(value)
            print(f"\repoch {epoch + 1}/{arguments.epochs} step {index + 1}/{steps} "
                  f"loss {sums['total'] / (index + 1):.4f}", end="", file=sys.stderr, flush=True)
        train_seconds = time.perf_counter() - started
        validation = metrics(confusion(model, val_images, val_y), counts)
        record = {
            "epoch": epoch + 1, "train_seconds": round(train_seconds, 2),
            "seconds": round(time.perf_counter() - started, 2),
            "images_per_second": round(count / train_seconds, 1),
            "loss": {name: value / steps for name, value in sums.items()},
            "val_macro_recall": validation["balanced_accuracy"], "val_accuracy": validation["accuracy"],
        }
        history.append(record)
        print(file=sys.stderr)
        print(json.dumps(record), flush=True)
        if validation["balanced_accuracy"] > best_score:
            best_score, best_epoch = validation["balanced_accuracy"], epoch + 1
            best_state = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    model.load_state_dict(best_state)
    result = {
        "framework": f"torch {torch.__version__}", "method": "baseline-ce" if arguments.baseline else "recame",
        "imbalance": arguments.imbalance, "epochs": arguments.epochs, "experts": arguments.experts,
        "threads": arguments.threads, "seed": arguments.seed, "train_counts": counts, "best_epoch": best_epoch,
        "median_epoch_seconds": float(np.median([r["seconds"] for r in history])),
        "test": metrics(confusion(model, test_images, test_y), counts), "history": history,
    }
    print(json.dumps(result), flush=True)
    if arguments.json:
        with open(arguments.json, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=1)


if __name__ == "__main__":
    main()
