"""Scores on the fixed validation crops: per source, from histograms of building probability.

Checkpoints are chosen by a threshold-free score (pixel average precision, averaged over sources so
that every place counts the same); IoU at 0.5 and at the best threshold are logged beside it, and
the GSD head's error on crops at each image's own resolution (validate_gsd).
"""
from collections import defaultdict
from typing import Dict, List, Tuple

import numpy as np
import torch

from .augment import Crop
from .sampler import normalise

BINS = 100


def histograms(prob: np.ndarray, gt: np.ndarray, valid: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Counts of building and background pixels per probability bin."""
    bins = np.minimum((prob[valid] * BINS).astype(np.int64), BINS - 1)
    labels = gt[valid].astype(bool)
    return (np.bincount(bins[labels], minlength=BINS), np.bincount(bins[~labels], minlength=BINS))


def scores_from_histograms(pos: np.ndarray, neg: np.ndarray) -> Dict[str, float]:
    """AP, IoU at 0.5 and the best IoU over thresholds k/BINS."""
    tp = np.cumsum(pos[::-1])[::-1].astype(np.float64)     # predicted building at threshold k/BINS
    fp = np.cumsum(neg[::-1])[::-1].astype(np.float64)
    total_pos = float(pos.sum())
    iou = tp / np.maximum(total_pos + fp, 1.0)
    if total_pos == 0:
        return {"ap": float("nan"), "iou": float("nan"), "best_iou": float("nan")}
    precision = tp / np.maximum(tp + fp, 1.0)
    recall = tp / total_pos
    recall_steps = recall - np.append(recall[1:], 0.0)
    return {"ap": float((precision * recall_steps).sum()), "iou": float(iou[BINS // 2]),
            "best_iou": float(iou.max())}


@torch.no_grad()
def validate(model, crops: List[Tuple[str, Crop]], mean, std, device, batch: int = 16) -> Dict:
    """Per-source and mean scores; 'score' (mean AP over sources) picks the best checkpoint.
    The model comes back in the mode it was in."""
    was_training = model.training
    model.eval()
    hist = defaultdict(lambda: [np.zeros(BINS, np.int64), np.zeros(BINS, np.int64)])
    for i in range(0, len(crops), batch):
        chunk = crops[i:i + batch]
        x = normalise(np.stack([c.image for _, c in chunk]), mean, std).to(device)
        prob = torch.sigmoid(model(x)[0][:, 0]).cpu().numpy()
        for p, (source, crop) in zip(prob, chunk):
            pos, neg = histograms(p, crop.mask, crop.weight.astype(bool))
            hist[source][0] += pos
            hist[source][1] += neg
    model.train(was_training)
    per_source = {s: scores_from_histograms(*h) for s, h in sorted(hist.items())}
    scored = [v for v in per_source.values() if not np.isnan(v["ap"])]
    # No exact-mask validation source (tiny test data): every score is 0, so the first checkpoint is kept.
    summary = {k: float(np.mean([v[k] for v in scored])) if scored else 0.0 for k in ("ap", "iou", "best_iou")}
    return {"score": summary["ap"], **summary, "per_source": per_source}


@torch.no_grad()
def validate_gsd(model, crops: List[Tuple[str, Crop]], mean, std, device, batch: int = 16) -> Dict:
    """The GSD head's error |estimate / true - 1| in %: median per source, and their mean ('gsd_err_pct').

    The crops are at their images' own resolution (augment.fixed_gsd_crops), as the plugin reads them.
    The model comes back in the mode it was in.
    """
    was_training = model.training
    model.eval()
    errors = defaultdict(list)
    for i in range(0, len(crops), batch):
        chunk = crops[i:i + batch]
        x = normalise(np.stack([c.image for _, c in chunk]), mean, std).to(device)
        log_gsd = model(x)[1][:, 0].float().cpu().numpy()
        for estimate, (source, crop) in zip(np.exp(log_gsd), chunk):
            errors[source].append(abs(estimate / crop.gsd - 1.0) * 100.0)
    model.train(was_training)
    per_source = {s: float(np.median(e)) for s, e in sorted(errors.items())}
    return {"gsd_err_pct": float(np.mean(list(per_source.values()))) if per_source else float("nan"),
            "gsd_per_source": per_source}
