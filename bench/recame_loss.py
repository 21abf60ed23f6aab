"""PyTorch reference of the ReCAME training loss (ARCHITECTURE.md §3), for the benchmark's training step
and for cross-checking the Swift loss term by term.

For a batch with labels y, per-class training counts n, expert logits z_k and pooled features f_k:
  balanced CE    CE(z_k + log n, y), for every expert (n clamped to at least 1 so log n is finite);
  HCM CE         mask m: expert 0's raw logits with the true class forced to the top, the top
                 N = min(hcm_top, C) classes kept (1) and the rest 0; CE((z_k + log n) * m, y);
  contrastive    sum over pairs i<j: d_ij if y_i = y_j else max(0, margin - d_ij), divided by B^2;
  compactness    sum over pairs i<j with y_i = y_j of d_ij, divided by B^2;
                 d = Euclidean distance (torch.cdist, whose gradient at d = 0 is 0);
  NBOD           1/(K-1) * sum over i != j of KL(softmax(z_j) || softmax(z_i)), batch mean, on the
                 balanced logits and again on the HCM-masked balanced logits (gradients flow into
                 both distributions; nothing is detached). 0 when K = 1.
  total          sum_k [w_ce * CE_bal + w_hcm * CE_hcm + w_con * contrastive + w_cmp * compactness]
                 + w_nbod * NBOD + w_nbod_hcm * NBOD_hcm.
"""

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F


@dataclass
class LossWeights:
    """Every weight of §3; a weight of 0 switches its term off (it is then not computed)."""

    balanced_ce: float = 1.0
    hcm_ce: float = 1.0
    contrastive: float = 0.05
    compactness: float = 0.05 * 0.0125
    nbod: float = 0.6
    nbod_hcm: float = 0.6
    contrastive_margin: float = 20.0
    hcm_top: int = 9

    def as_dict(self):
        return asdict(self)


def hcm_mask(expert0_logits, labels, top):
    """0/1 mask of the `top` highest classes of expert 0, the true class always among them."""
    forced = expert0_logits.detach().scatter(1, labels.unsqueeze(1), float("inf"))
    keep = forced.topk(min(top, forced.shape[1]), dim=1).indices
    return torch.zeros_like(expert0_logits).scatter(1, keep, 1.0)


def pair_losses(features, labels, margin):
    """(contrastive, compactness) of one expert's features, each divided by B^2."""
    batch = features.shape[0]
    distances = torch.cdist(features, features)
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    upper = torch.ones(batch, batch, dtype=torch.bool, device=features.device).triu(diagonal=1)
    same_pairs = (same & upper).to(features.dtype)
    other_pairs = (~same & upper).to(features.dtype)
    compactness = (distances * same_pairs).sum() / batch**2
    contrastive = compactness + (F.relu(margin - distances) * other_pairs).sum() / batch**2
    return contrastive, compactness


def nbod(logits):
    """1/(K-1) * sum_{i != j} KL(softmax(z_j) || softmax(z_i)), batch mean."""
    experts = len(logits)
    if experts < 2:
        return logits[0].new_zeros(())
    log_probabilities = [F.log_softmax(z, dim=1) for z in logits]
    total = logits[0].new_zeros(())
    for i in range(experts):
        for j in range(experts):
            if i != j:
                total = total + F.kl_div(
                    log_probabilities[i], log_probabilities[j], reduction="batchmean", log_target=True)
    return total / (experts - 1)


def recame_loss(expert_logits, expert_features, labels, train_counts, weights=None):
    """Returns (total, terms): terms maps each term's name to its value summed over experts (NBOD terms
    once), before weighting."""
    weights = weights or LossWeights()
    counts = torch.as_tensor(train_counts, dtype=expert_logits[0].dtype, device=labels.device)
    log_prior = counts.clamp(min=1).log().unsqueeze(0)
    balanced = [z + log_prior for z in expert_logits]
    terms = {}
    total = expert_logits[0].new_zeros(())

    if weights.balanced_ce:
        terms["balanced_ce"] = sum(F.cross_entropy(z, labels) for z in balanced)
        total = total + weights.balanced_ce * terms["balanced_ce"]
    masked = None
    if weights.hcm_ce or weights.nbod_hcm:
        mask = hcm_mask(expert_logits[0], labels, weights.hcm_top)
        masked = [z * mask for z in balanced]
    if weights.hcm_ce:
        terms["hcm_ce"] = sum(F.cross_entropy(z, labels) for z in masked)
        total = total + weights.hcm_ce * terms["hcm_ce"]
    if weights.contrastive or weights.compactness:
        pairs = [pair_losses(f, labels, weights.contrastive_margin) for f in expert_features]
        terms["contrastive"] = sum(p[0] for p in pairs)
        terms["compactness"] = sum(p[1] for p in pairs)
        total = total + weights.contrastive * terms["contrastive"] + weights.compactness * terms["compactness"]
    if weights.nbod:
        terms["nbod"] = nbod(balanced)
        total = total + weights.nbod * terms["nbod"]
    if weights.nbod_hcm:
        terms["nbod_hcm"] = nbod(masked)
        total = total + weights.nbod_hcm * terms["nbod_hcm"]
    return total, terms
