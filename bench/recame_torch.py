#!/usr/bin/env python3
"""PyTorch reference of ReCAME-Net and of its checkpoint contract (ARCHITECTURE.md §3 and §4).

The module tree has exactly the tensor names of the contract, so a `.safetensors` checkpoint written by
the Swift engine loads here with `load_state_dict(strict=True)` and gives the same logits, and a file
exported here loads in Swift.

Conventions shared with the Swift engine (keep them in step):
  * config: the JSON object of §4 in the metadata key "config"; "format" is "recame-1".
  * BatchNorm's num_batches_tracked is not stored. Exports drop it; loading a plain dict (which is what
    safetensors gives) lets BatchNorm's own loader supply it, so strict loading still works.
  * RCA: 2×2 grid with rows [0, H//2) and [H//2, H), columns likewise; one shared MLP (fc1, ReLU, fc2)
    applied to the average- and the max-pooled quadrant; q · sigmoid(MLP(avg) + MLP(max)).
  * cosine classifier: z = cosine_scale · <f/max(|f|, 1e-12), w/max(|w|, 1e-12)> + b (F.normalize).
  * ensemble: the mean of the experts' logits; probabilities are softmax(mean / temperature).
  * input: the normalized NCHW float32 tensor ((image - mean) / std already applied).

Usage:
  python3 bench/recame_torch.py export --config CONFIG.json --out MODEL.safetensors --seed S
  python3 bench/recame_torch.py logits --model MODEL.safetensors --input IN.npy --out LOGITS.npy
  python3 bench/recame_torch.py reference --model MODEL.safetensors --out REF.safetensors [--batch N --seed S]
  python3 bench/recame_torch.py layout --config CONFIG.json        (JSON list of [name, shape])
"""

import argparse
import json
import math
import os
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

FORMAT = "recame-1"
REQUIRED_FIELDS = [
    "depth", "widths", "experts", "num_classes", "class_names", "in_channels", "input_size", "mean", "std",
    "bn_eps", "cosine_scale", "rca_reduction", "rca_min_hidden",
]
OPTIONAL_FIELDS = ["kind", "temperature", "train_counts", "training"]
# What `export --config` fills in when a hand-written config leaves it out (the values of §4).
EXPORT_DEFAULTS = {"bn_eps": 1e-5, "cosine_scale": 16.0, "rca_reduction": 16, "rca_min_hidden": 4}


class ConfigError(ValueError):
    """A configuration field that is missing, mistyped or out of range; the message names the field."""

    def __init__(self, field, problem):
        super().__init__(f"config field '{field}' {problem}")
        self.field = field


def _reject_duplicates(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ConfigError(key, "appears more than once")
        result[key] = value
    return result


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value):
    return (isinstance(value, (int, float)) and not isinstance(value, bool)) and math.isfinite(value)


def validate_config(config, fill_defaults=False):
    """Checks a config dict as the Swift loader does and returns it with optional fields defaulted."""
    if not isinstance(config, dict):
        raise ConfigError("config", "must be a JSON object")
    config = dict(config)
    if fill_defaults:
        for key, value in EXPORT_DEFAULTS.items():
            config.setdefault(key, value)
    for field in sorted(config):
        if field not in REQUIRED_FIELDS and field not in OPTIONAL_FIELDS:
            raise ConfigError(field, f"is not a field of {FORMAT}")
    for field in REQUIRED_FIELDS:
        if field not in config:
            raise ConfigError(field, "is missing")
    config.setdefault("kind", "ensemble")
    config.setdefault("temperature", 1.0)

    def integer(field, minimum):
        value = config[field]
        if not _is_int(value):
            raise ConfigError(field, "must be an integer")
        if value < minimum:
            raise ConfigError(field, f"must be at least {minimum}, got {value}")
        return value

    if config["kind"] not in ("ensemble", "student"):
        raise ConfigError("kind", f"must be one of ['ensemble', 'student'], got {config['kind']!r}")
    depth = integer("depth", 8)
    if (depth - 2) % 6 != 0:
        raise ConfigError("depth", f"must be 6n + 2 with n >= 1, got {depth}")
    widths = config["widths"]
    if not isinstance(widths, list) or len(widths) != 3 or not all(_is_int(w) and w >= 1 for w in widths):
        raise ConfigError("widths", "must list 3 positive stage widths")
    experts = integer("experts", 1)
    if config["kind"] == "student" and experts != 1:
        raise ConfigError("experts", f"a student has exactly 1 backbone, got {experts}")
    num_classes = integer("num_classes", 2)
    names = config["class_names"]
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ConfigError("class_names", "must be a list of non-empty strings")
    if len(names) != num_classes:
        raise ConfigError("class_names", f"has {len(names)} names but num_classes is {num_classes}")
    if len(set(names)) != len(names):
        raise ConfigError("class_names", "names a class twice")
    channels = integer("in_channels", 1)
    size = config["input_size"]
    if not isinstance(size, list) or len(size) != 2 or not all(_is_int(s) for s in size):
        raise ConfigError("input_size", "must be [height, width]")
    if min(size) < 5:
        raise ConfigError("input_size", "each side must be at least 5 so every stage's map splits into 4 quadrants")
    for field in ("mean", "std"):
        values = config[field]
        if not isinstance(values, list) or not all(_is_real(v) for v in values):
            raise ConfigError(field, "must be a list of numbers")
        if len(values) != channels:
            raise ConfigError(field, f"has {len(values)} values but in_channels is {channels}")
    if not all(v > 0 for v in config["std"]):
        raise ConfigError("std", "must be positive")
    for field in ("bn_eps", "cosine_scale", "temperature"):
        if not _is_real(config[field]) or config[field] <= 0:
            raise ConfigError(field, "must be a positive number")
    integer("rca_reduction", 1)
    integer("rca_min_hidden", 1)
    counts = config.get("train_counts")
    if counts is not None:
        if not isinstance(counts, list) or not all(_is_int(c) and c >= 0 for c in counts):
            raise ConfigError("train_counts", "must be a list of non-negative integers")
        if len(counts) != num_classes:
            raise ConfigError("train_counts", f"has {len(counts)} counts but num_classes is {num_classes}")
    training = config.get("training")
    if training is not None and not isinstance(training, dict):
        raise ConfigError("training", "must be an object")
    return config


def parse_config(text, fill_defaults=False):
    try:
        config = json.loads(text, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as error:
        raise ConfigError("config", f"is not valid JSON: {error}") from None
    return validate_config(config, fill_defaults)


def attention_hidden_size(channels, config):
    return max(channels // config["rca_reduction"], config["rca_min_hidden"])


class RegionalChannelAttention(nn.Module):
    """One channel-attention MLP shared by the four quadrants of the map."""

    def __init__(self, channels, hidden):
        super().__init__()
        self.fc1 = nn.Linear(channels, hidden)
        self.fc2 = nn.Linear(hidden, channels)

    def _attention(self, average, maximum):
        """sigmoid(MLP(avg) + MLP(max)) for pooled vectors [..., C], the MLP run once on both."""
        scores = self.fc2(F.relu(self.fc1(torch.stack([average, maximum]))))
        return torch.sigmoid(scores[0] + scores[1])

    def forward(self, x):
        n, channels, height, width = x.shape
        if height % 2 == 0 and width % 2 == 0:
            # Equal quadrants: view the map as [N, C, 2, H/2, 2, W/2] and pool and scale in one pass.
            grid = x.reshape(n, channels, 2, height // 2, 2, width // 2)
            attention = self._attention(
                grid.mean(dim=(3, 5)).permute(0, 2, 3, 1), grid.amax(dim=(3, 5)).permute(0, 2, 3, 1))
            return (grid * attention.permute(0, 3, 1, 2)[:, :, :, None, :, None]).reshape(x.shape)
        return self.forward_general(x)

    def forward_general(self, x):
        """Any size: rows [0, H//2) and [H//2, H), columns likewise (the last quadrants are larger)."""
        n, channels, height, width = x.shape
        h2, w2 = height // 2, width // 2
        quadrants = [x[:, :, r0:r1, c0:c1] for r0, r1 in ((0, h2), (h2, height)) for c0, c1 in ((0, w2), (w2, width))]
        attention = self._attention(
            torch.stack([q.mean(dim=(2, 3)) for q in quadrants], dim=1),
            torch.stack([q.amax(dim=(2, 3)) for q in quadrants], dim=1))  # [N, 4, C]
        grid = attention.permute(0, 2, 1).reshape(n, channels, 2, 2)
        rows = torch.tensor([h2, height - h2], device=x.device)
        cols = torch.tensor([w2, width - w2], device=x.device)
        full = grid.repeat_interleave(rows, dim=2, output_size=height).repeat_interleave(cols, dim=3, output_size=width)
        return x * full


class Shortcut(nn.Module):
    """Projection shortcut: 1×1 convolution with the block's stride, then BatchNorm."""

    def __init__(self, in_channels, out_channels, stride, eps):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=eps)

    def forward(self, x):
        return self.bn(self.conv(x))


class BasicBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride, config):
        super().__init__()
        eps = config["bn_eps"]
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels, eps=eps)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels, eps=eps)
        self.rca = RegionalChannelAttention(out_channels, attention_hidden_size(out_channels, config))
        if stride != 1 or in_channels != out_channels:
            self.shortcut = Shortcut(in_channels, out_channels, stride, eps)
        else:
            self.shortcut = None

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.rca(self.bn2(self.conv2(out)))
        residual = x if self.shortcut is None else self.shortcut(x)
        return F.relu(out + residual)


class CosineClassifier(nn.Module):
    def __init__(self, features, classes, scale):
        super().__init__()
        self.scale = scale
        self.weight = nn.Parameter(torch.empty(classes, features))
        self.bias = nn.Parameter(torch.zeros(classes))
        bound = 1.0 / math.sqrt(features)
        nn.init.uniform_(self.weight, -bound, bound)

    def forward(self, features):
        cosine = F.normalize(features, dim=1) @ F.normalize(self.weight, dim=1).t()
        return self.scale * cosine + self.bias


class Expert(nn.Module):
    """One CIFAR-style ResNet backbone with RCA in every block and its own cosine classifier."""

    def __init__(self, config):
        super().__init__()
        widths = config["widths"]
        blocks = (config["depth"] - 2) // 6
        self.conv1 = nn.Conv2d(config["in_channels"], widths[0], 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0], eps=config["bn_eps"])
        in_channels = widths[0]
        for stage in range(3):
            layers = []
            for block in range(blocks):
                stride = 2 if stage > 0 and block == 0 else 1
                layers.append(BasicBlock(in_channels, widths[stage], stride, config))
                in_channels = widths[stage]
            setattr(self, f"layer{stage + 1}", nn.Sequential(*layers))
        self.classifier = CosineClassifier(widths[2], config["num_classes"], float(config["cosine_scale"]))

    def features(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        return out.mean(dim=(2, 3))

    def forward(self, x):
        return self.classifier(self.features(x))


class ReCAMENet(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.experts = nn.ModuleList([Expert(config) for _ in range(config["experts"])])
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def expert_logits(self, x):
        """[K, N, C]: every expert's logits."""
        return torch.stack([expert(x) for expert in self.experts])

    def logits_and_features(self, x):
        """([z_k], [f_k]): every expert's logits and pooled features, for the training loss."""
        features = [expert.features(x) for expert in self.experts]
        return [expert.classifier(f) for expert, f in zip(self.experts, features)], features

    def forward(self, x):
        """[N, C]: the ensemble's logits (mean over experts)."""
        return self.expert_logits(x).mean(dim=0)


def contract_state_dict(model):
    """The model's tensors under the contract: float32, contiguous, without num_batches_tracked."""
    return {
        name: tensor.detach().to(torch.float32).contiguous().clone()
        for name, tensor in model.state_dict().items()
        if not name.endswith("num_batches_tracked")
    }


def save_checkpoint(model, config, path, extra_metadata=None):
    """Writes the checkpoint atomically (temporary file in the same folder, then rename)."""
    from safetensors.torch import save_file

    metadata = dict(extra_metadata or {})
    metadata["format"] = FORMAT
    metadata["config"] = json.dumps(validate_config(config), sort_keys=True, separators=(",", ":"))
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".recame-", suffix=".tmp")
    os.close(handle)
    try:
        save_file(contract_state_dict(model), temporary, metadata=metadata)
        # mkstemp creates the file private; a checkpoint is shared like any other file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def load_checkpoint(path):
    """Reads a checkpoint of the contract; returns (config, model in eval mode). Strict: wrong format,
    config, dtype, missing, unexpected or misshapen tensors raise with the name of what is wrong."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(path, framework="pt") as handle:
        metadata = handle.metadata() or {}
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{path}: metadata format is {metadata.get('format')!r}, expected {FORMAT!r}")
    if "config" not in metadata:
        raise ValueError(f"{path}: metadata has no 'config'")
    config = parse_config(metadata["config"])
    tensors = load_file(path)
    for name, tensor in tensors.items():
        if tensor.dtype != torch.float32:
            raise ValueError(f"{path}: tensor '{name}' is {tensor.dtype}, expected float32")
    model = ReCAMENet(config)
    model.load_state_dict(tensors, strict=True)
    model.eval()
    return config, model


def randomize_batch_norm(model, generator):
    """Non-trivial affine parameters and running statistics, so that a logits comparison exercises them."""
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            shape = module.weight.shape
            with torch.no_grad():
                module.weight.copy_(torch.rand(shape, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(shape, generator=generator) * 0.1)
                module.running_mean.copy_(torch.randn(shape, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(shape, generator=generator) + 0.5)
        elif isinstance(module, CosineClassifier):
            with torch.no_grad():
                module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.1)


def command_export(arguments):
    with open(arguments.config, encoding="utf-8") as handle:
        config = parse_config(handle.read(), fill_defaults=True)
    torch.manual_seed(arguments.seed)
    model = ReCAMENet(config)
    if arguments.bn_init == "random":
        randomize_batch_norm(model, torch.Generator().manual_seed(arguments.seed + 1))
    save_checkpoint(model, config, arguments.out)
    return 0


def command_logits(arguments):
    config, model = load_checkpoint(arguments.model)
    batch = np.load(arguments.input)
    if batch.dtype != np.float32:
        raise ValueError(f"{arguments.input}: dtype is {batch.dtype}, expected float32")
    if batch.ndim != 4 or batch.shape[1] != config["in_channels"]:
        raise ValueError(
            f"{arguments.input}: shape {batch.shape} is not [N, {config['in_channels']}, H, W]")
    with torch.no_grad():
        inputs = torch.from_numpy(np.ascontiguousarray(batch))
        logits = model.expert_logits(inputs) if arguments.per_expert else model(inputs)
    np.save(arguments.out, logits.numpy().astype(np.float32))
    return 0


def command_reference(arguments):
    """A fixture for engines without PyTorch: a seeded input batch and this reference's logits for it,
    as a safetensors file (tensors "input" [N, C, H, W], "expert_logits" [K, N, C], "logits" [N, C])."""
    from safetensors.torch import save_file

    config, model = load_checkpoint(arguments.model)
    generator = torch.Generator().manual_seed(arguments.seed)
    height, width = config["input_size"]
    inputs = torch.randn(arguments.batch, config["in_channels"], height, width, generator=generator)
    with torch.no_grad():
        expert_logits = model.expert_logits(inputs)
    tensors = {"input": inputs, "expert_logits": expert_logits, "logits": expert_logits.mean(dim=0)}
    metadata = {"model": os.path.basename(arguments.model), "torch": torch.__version__}
    save_file({name: tensor.contiguous() for name, tensor in tensors.items()}, arguments.out, metadata=metadata)
    return 0


def command_layout(arguments):
    with open(arguments.config, encoding="utf-8") as handle:
        config = parse_config(handle.read(), fill_defaults=True)
    model = ReCAMENet(config)
    layout = [[name, list(tensor.shape)] for name, tensor in contract_state_dict(model).items()]
    json.dump(layout, sys.stdout)
    sys.stdout.write("\n")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description="PyTorch reference of ReCAME-Net and its checkpoint contract")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    commands = parser.add_subparsers(dest="command", required=True)

    export = commands.add_parser("export", help="write a seeded random model in the checkpoint contract")
    export.add_argument("--config", required=True, help="config JSON (bn_eps, cosine_scale, rca_* default to §4)")
    export.add_argument("--out", required=True)
    export.add_argument("--seed", type=int, default=0)
    export.add_argument("--bn-init", choices=["random", "identity"], default="random",
                        help="random BN statistics and classifier bias (default), or PyTorch's identity init")
    export.set_defaults(run=command_export)

    logits = commands.add_parser("logits", help="eval-mode logits of a checkpoint for an NCHW float32 .npy")
    logits.add_argument("--model", required=True)
    logits.add_argument("--input", required=True)
    logits.add_argument("--out", required=True)
    logits.add_argument("--per-expert", action="store_true", help="write [K, N, C] instead of the mean [N, C]")
    logits.set_defaults(run=command_logits)

    reference = commands.add_parser("reference", help="write a seeded input batch and its logits (a test fixture)")
    reference.add_argument("--model", required=True)
    reference.add_argument("--out", required=True)
    reference.add_argument("--batch", type=int, default=4)
    reference.add_argument("--seed", type=int, default=0)
    reference.set_defaults(run=command_reference)

    layout = commands.add_parser("layout", help="print the contract's tensor names and shapes for a config")
    layout.add_argument("--config", required=True)
    layout.set_defaults(run=command_layout)

    arguments = parser.parse_args(argv)
    if arguments.threads is not None:
        torch.set_num_threads(arguments.threads)
    try:
        return arguments.run(arguments)
    except (ValueError, RuntimeError, OSError) as error:
        print(f"recame_torch: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
