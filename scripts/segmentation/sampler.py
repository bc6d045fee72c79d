"""Batches for training: which item to crop next, and numpy crops turned into tensors."""
import math
from collections import defaultdict
from typing import Dict, List

import numpy as np
import torch

from .augment import SamplingConfig, edge_target, sample_crop
from .data import Item
from .losses import signed_distance

# Share of crops per label quality: exact masks lead; box pseudo-masks and coarse masks add variety.
QUALITY_SHARE = {"exact": 0.5, "boxes": 0.35, "coarse": 0.15}


def item_probabilities(items: List[Item]) -> np.ndarray:
    """Each quality group gets its share, split equally among its sources, then among items."""
    groups: Dict[str, Dict[str, List[int]]] = defaultdict(lambda: defaultdict(list))
    for i, item in enumerate(items):
        groups[item.label_quality][item.source].append(i)
    total_share = sum(QUALITY_SHARE[q] for q in groups)
    probs = np.zeros(len(items))
    for quality, sources in groups.items():
        for indices in sources.values():
            probs[indices] = QUALITY_SHARE[quality] / total_share / len(sources) / len(indices)
    return probs / probs.sum()


def normalise(images: np.ndarray, mean, std) -> torch.Tensor:
    """uint8 [N,H,W,3] -> float [N,3,H,W], the same standardisation the plugin applies."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0
    return (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


class BatchSampler:
    def __init__(self, items: List[Item], cfg: SamplingConfig, batch_size: int, mean, std, seed: int):
        self.items, self.cfg, self.batch_size = items, cfg, batch_size
        self.mean, self.std = mean, std
        self.probs = item_probabilities(items)
        self.rng = np.random.default_rng(seed)

    def next_batch(self) -> Dict[str, torch.Tensor]:
        picks = self.rng.choice(len(self.items), size=self.batch_size, p=self.probs)
        return crops_to_batch([sample_crop(self.items[i], self.cfg, self.rng) for i in picks], self.mean, self.std)


def crops_to_batch(crops, mean, std) -> Dict[str, torch.Tensor]:
    masks = np.stack([c.mask for c in crops]).astype(np.float32)
    edges = [edge_target(c.ids, c.weight, c.edge_labels) for c in crops]

    def stacked(arrays):
        return torch.from_numpy(np.stack(arrays).astype(np.float32))[:, None]

    return {
        "image": normalise(np.stack([c.image for c in crops]), mean, std),
        "mask": torch.from_numpy(masks)[:, None],
        "weight": stacked([c.weight for c in crops]),
        "edge": stacked([e[0] for e in edges]),
        "edge_weight": stacked([e[1] for e in edges]),
        "sdf": torch.from_numpy(np.stack([signed_distance(m) for m in masks]))[:, None],
        "log_gsd": torch.tensor([math.log(c.gsd) if c.gsd else 0.0 for c in crops], dtype=torch.float32),
        "gsd_known": torch.tensor([c.gsd is not None for c in crops]),
        "seg_scale": torch.tensor([c.seg_scale for c in crops], dtype=torch.float32),
    }


def channel_stats(items: List[Item]):
    """Mean and std of 0..1 pixel values over the training images (for the model metadata)."""
    sums, sq, n = np.zeros(3), np.zeros(3), 0
    for item in items:
        px = item.image[::4, ::4].reshape(-1, 3).astype(np.float64) / 255.0
        sums += px.sum(0)
        sq += (px ** 2).sum(0)
        n += len(px)
    mean = sums / n
    return mean.round(4).tolist(), np.sqrt(sq / n - mean ** 2).round(4).tolist()
