"""Self-checks of the PyTorch reference against brute-force loops (needs torch and safetensors):

    python3 -m unittest discover -s bench -p 'test_*.py'
"""

import json
import math
import os
import sys
import tempfile
import unittest

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import recame_loss  # noqa: E402
import recame_torch  # noqa: E402


def loop_attention(rca, x):
    height, width = x.shape[2], x.shape[3]
    out = torch.empty_like(x)

    def mlp(v):
        return rca.fc2(torch.relu(rca.fc1(v)))

    for r0, r1 in ((0, height // 2), (height // 2, height)):
        for c0, c1 in ((0, width // 2), (width // 2, width)):
            q = x[:, :, r0:r1, c0:c1]
            out[:, :, r0:r1, c0:c1] = q * torch.sigmoid(mlp(q.mean((2, 3))) + mlp(q.amax((2, 3))))[:, :, None, None]
    return out


class ReferenceTests(unittest.TestCase):
    def test_attention_matches_the_loop_definition_for_even_and_odd_maps(self):
        torch.manual_seed(0)
        rca = recame_torch.RegionalChannelAttention(16, 4).double()
        for shape in [(3, 16, 8, 6), (2, 16, 7, 9), (2, 16, 2, 2), (2, 16, 3, 2)]:
            x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
            torch.testing.assert_close(rca(x), loop_attention(rca, x))
            torch.testing.assert_close(rca.forward_general(x), loop_attention(rca, x))
        small = recame_torch.RegionalChannelAttention(4, 2).double()
        for shape in [(2, 4, 4, 6), (1, 4, 5, 3)]:
            x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
            self.assertTrue(torch.autograd.gradcheck(small, (x,)))

    def test_loss_terms_match_loops(self):
        torch.manual_seed(1)
        batch, classes, features, experts = 6, 12, 5, 3
        logits = [torch.randn(batch, classes, dtype=torch.float64) * 3 for _ in range(experts)]
        feats = [torch.randn(batch, features, dtype=torch.float64) * 4 for _ in range(experts)]
        labels = torch.tensor([0, 3, 3, 11, 0, 7])
        counts = [1000, 500, 200, 100, 50, 20, 10, 5, 3, 2, 1, 0]
        total, terms = recame_loss.recame_loss(logits, feats, labels, counts)

        prior = torch.tensor([math.log(max(c, 1)) for c in counts], dtype=torch.float64)
        balanced = [z + prior for z in logits]
        masks = torch.zeros(batch, classes, dtype=torch.float64)
        for b in range(batch):
            scores = logits[0][b].clone()
            scores[labels[b]] = float("inf")
            for c in scores.argsort(descending=True)[:9]:
                masks[b, c] = 1
            self.assertEqual(masks[b, labels[b]].item(), 1)
        masked = [z * masks for z in balanced]

        def ce(z):
            return sum(-F.log_softmax(z[b], 0)[labels[b]] for b in range(batch)) / batch

        def kl(p_logits, q_logits):  # KL(softmax(p) || softmax(q)), batch mean
            p = F.softmax(p_logits, 1)
            return (p * (F.log_softmax(p_logits, 1) - F.log_softmax(q_logits, 1))).sum() / batch

        contrastive = compactness = 0
        for f in feats:
            for i in range(batch):
                for j in range(i + 1, batch):
                    d = (f[i] - f[j]).norm()
                    if labels[i] == labels[j]:
                        contrastive += d / batch**2
                        compactness += d / batch**2
                    else:
                        contrastive += max(0, 20 - d) / batch**2
        nbod = sum(kl(balanced[j], balanced[i]) for i in range(experts) for j in range(experts) if i != j) / 2
        nbod_hcm = sum(kl(masked[j], masked[i]) for i in range(experts) for j in range(experts) if i != j) / 2
        expected = {
            "balanced_ce": sum(ce(z) for z in balanced), "hcm_ce": sum(ce(z) for z in masked),
            "contrastive": contrastive, "compactness": compactness, "nbod": nbod, "nbod_hcm": nbod_hcm,
        }
        for name, value in expected.items():
            torch.testing.assert_close(terms[name], torch.as_tensor(value, dtype=torch.float64), msg=name)
        w = recame_loss.LossWeights()
        torch.testing.assert_close(
            total, w.balanced_ce * expected["balanced_ce"] + w.hcm_ce * expected["hcm_ce"]
            + w.contrastive * contrastive + w.compactness * compactness + w.nbod * nbod + w.nbod_hcm * nbod_hcm)

    def test_switched_off_terms_are_not_computed(self):
        logits = [torch.randn(4, 3)]
        feats = [torch.randn(4, 2)]
        weights = recame_loss.LossWeights(hcm_ce=0, nbod_hcm=0, contrastive=0, compactness=0, nbod=0)
        total, terms = recame_loss.recame_loss(logits, feats, torch.tensor([0, 1, 2, 0]), [5, 5, 5], weights)
        self.assertEqual(set(terms), {"balanced_ce"})
        torch.testing.assert_close(total, F.cross_entropy(logits[0] + math.log(5), torch.tensor([0, 1, 2, 0])))

    def test_checkpoint_round_trip_and_strict_load(self):
        config = recame_torch.validate_config({
            "depth": 8, "widths": [4, 8, 8], "experts": 2, "num_classes": 3, "class_names": ["a", "b", "c"],
            "in_channels": 2, "input_size": [7, 6], "mean": [0, 0], "std": [1, 1],
        }, fill_defaults=True)
        torch.manual_seed(2)
        model = recame_torch.ReCAMENet(config)
        recame_torch.randomize_batch_norm(model, torch.Generator().manual_seed(3))
        model.eval()
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "m.safetensors")
            recame_torch.save_checkpoint(model, config, path)
            loaded_config, loaded = recame_torch.load_checkpoint(path)
        self.assertEqual(json.dumps(loaded_config, sort_keys=True), json.dumps(config, sort_keys=True))
        x = torch.randn(3, 2, 7, 6)
        with torch.no_grad():
            torch.testing.assert_close(loaded(x), model(x), rtol=0, atol=0)

    def test_config_errors_name_the_field(self):
        with self.assertRaisesRegex(recame_torch.ConfigError, "'depth'"):
            recame_torch.parse_config('{"depth": 20, "depth": 32}')
        good = {"depth": 8, "widths": [4, 8, 8], "experts": 1, "num_classes": 2, "class_names": ["a", "b"],
                "in_channels": 1, "input_size": [8, 8], "mean": [0], "std": [1]}
        for field, value in [("depth", 9), ("std", [0]), ("class_names", ["a"]), ("input_size", [4, 8])]:
            with self.assertRaisesRegex(recame_torch.ConfigError, f"'{field}'"):
                recame_torch.validate_config(dict(good, **{field: value}), fill_defaults=True)


if __name__ == "__main__":
    unittest.main()
