#!/usr/bin/env python3
"""PyTorch CPU side of the model benchmark: images/s of bench/recame_torch.py's ReCAME-Net for one
shape, batch size and thread count, printed as one JSON line so that the Swift benchmark can run it
in the same session and print ours / PyTorch.

  python3 bench/recame_torch_bench.py --mode inference --depth 20 --experts 3 --input 1x28x28 \\
      --batch 64 --threads 1 [--seconds 5] [--warmup 3]
  python3 bench/recame_torch_bench.py --mode train ...     (forward, full §3 loss, backward, SGD step)

inference: eval mode under torch.inference_mode (BatchNorm with running statistics, PyTorch's own
kernels, no compilation). train: train mode, SGD momentum 0.9 Nesterov, weight decay 5e-4, the loss of
bench/recame_loss.py with its default weights and long-tailed counts 6000 * 100^(-c / (C - 1)).
"""

import argparse
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recame_loss import LossWeights, recame_loss  # noqa: E402
from recame_torch import ReCAMENet, parse_config, validate_config  # noqa: E402


def parse_input(text):
    try:
        channels, height, width = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--input must be CxHxW (e.g. 1x28x28), got {text!r}") from None
    return channels, height, width


def build_config(arguments):
    if arguments.config:
        with open(arguments.config, encoding="utf-8") as handle:
            return parse_config(handle.read(), fill_defaults=True)
    channels, height, width = arguments.input
    classes = arguments.classes
    return validate_config({
        "depth": arguments.depth, "widths": [round(w * arguments.width) for w in (16, 32, 64)],
        "experts": arguments.experts, "num_classes": classes,
        "class_names": [f"class{c}" for c in range(classes)], "in_channels": channels,
        "input_size": [height, width], "mean": [0.0] * channels, "std": [1.0] * channels,
    }, fill_defaults=True)


def measure(step, seconds, warmup, minimum):
    for _ in range(warmup):
        step()
    iterations = 0
    start = time.perf_counter()
    while True:
        step()
        iterations += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and iterations >= minimum:
            return iterations, elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["inference", "train"], required=True)
    parser.add_argument("--config", help="config JSON (else built from the flags below)")
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--width", type=float, default=1.0, help="width multiplier")
    parser.add_argument("--experts", type=int, default=3)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--input", type=parse_input, default=(1, 28, 28), help="CxHxW")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5.0, help="minimum measured time")
    parser.add_argument("--warmup", type=int, default=3, help="untimed iterations first")
    parser.add_argument("--min-iterations", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args(argv)

    torch.set_num_threads(arguments.threads)
    torch.manual_seed(arguments.seed)
    config = build_config(arguments)
    model = ReCAMENet(config)
    height, width = config["input_size"]
    inputs = torch.randn(arguments.batch, config["in_channels"], height, width)
    classes = config["num_classes"]

    if arguments.mode == "inference":
        model.eval()

        def step():
            with torch.inference_mode():
                model(inputs)
    else:
        model.train()
        labels = torch.randint(0, classes, (arguments.batch,))
        counts = config.get("train_counts") or [
            int(6000 * 100 ** (-c / max(classes - 1, 1))) for c in range(classes)]
        weights = LossWeights()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)

        def step():
            optimizer.zero_grad(set_to_none=True)
            logits, features = model.logits_and_features(inputs)
            loss, _ = recame_loss(logits, features, labels, counts, weights)
            loss.backward()
            optimizer.step()

    iterations, elapsed = measure(step, arguments.seconds, arguments.warmup, arguments.min_iterations)
    print(json.dumps({
        "framework": "pytorch", "torch": torch.__version__, "mode": arguments.mode,
        "depth": config["depth"], "widths": config["widths"], "experts": config["experts"],
        "input": [config["in_channels"], height, width], "batch": arguments.batch,
        "threads": torch.get_num_threads(), "iterations": iterations, "seconds": round(elapsed, 4),
        "images_per_s": round(iterations * arguments.batch / elapsed, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
