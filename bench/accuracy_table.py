#!/usr/bin/env python3
"""Markdown rows for bench/RESULTS.md from what bench/run-accuracy wrote: the test metrics of each
experiment (.local/runs/NAME.eval.json), its best epoch and the median wall time of its epochs (from the
model's training history, or the PyTorch reference's JSON).

  python3 bench/accuracy_table.py NAME...          (run from the repository root)
"""

import json
import os
import statistics
import struct
import sys

RUNS = ".local/runs"


def percent(value):
    return "–" if value is None else f"{100 * value:.2f} %"


def history(name):
    """(best epoch, epochs, median seconds an epoch, median training images/s) of one experiment."""
    torch_result = os.path.join(RUNS, name + ".json")
    if os.path.exists(torch_result):
        with open(torch_result, encoding="utf-8") as handle:
            result = json.load(handle)
        records = result["history"]
        return (result["best_epoch"], result["epochs"], statistics.median(r["seconds"] for r in records),
                statistics.median(r["images_per_second"] for r in records))
    with open(os.path.join(RUNS, name + ".safetensors"), "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(length))
    training = json.loads(header["__metadata__"]["config"])["training"]
    records = training["history"]
    return (training["best_epoch"], training["epochs"], statistics.median(r["seconds"] for r in records),
            statistics.median(r["imagesPerSecond"] for r in records))


def main(names):
    print("| experiment | accuracy | macro-F1 | balanced acc. | Many | Medium | Few | per-class recall | "
          "best epoch | s / epoch (median) | train img/s |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|")
    for name in names:
        with open(os.path.join(RUNS, name + ".eval.json"), encoding="utf-8") as handle:
            metrics = json.load(handle)
        best, epochs, seconds, rate = history(name)
        recalls = " ".join(f"{100 * r:.0f}" for r in metrics["per_class_recall"])
        print(f"| {name} | {percent(metrics['accuracy'])} | {percent(metrics['macro_f1'])} | "
              f"{percent(metrics['balanced_accuracy'])} | {percent(metrics.get('many_recall'))} | "
              f"{percent(metrics.get('medium_recall'))} | {percent(metrics.get('few_recall'))} | {recalls} | "
              f"{best} / {epochs} | {seconds:.0f} | {rate:.1f} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
