"""Score calibration (numpy only): a monotone map from raw building scores to the share of true buildings, and
its reliability (expected calibration error and the per-bin table).

The map is isotonic regression (pool adjacent violators) on quantile bins of the raw score: each bin's mean
raw score becomes a knot whose value is the bin's share of hits, pooled with its neighbours wherever the
shares would go down. The plugin interpolates linearly between the knots (core/score_calibration.py).
"""
from dataclasses import dataclass
from typing import List

import numpy as np

DEFAULT_BINS = 20
MIN_PER_BIN = 20
RELIABILITY_BINS = 10


def pool_adjacent_violators(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The non-decreasing sequence closest to values in weighted least squares."""
    blocks: List[List[float]] = []  # [mean, weight, count]
    for value, weight in zip(np.asarray(values, float), np.asarray(weights, float)):
        blocks.append([value, weight, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            (m1, w1, c1), (m2, w2, c2) = blocks[-2], blocks.pop()
            blocks[-1] = [(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2]
    return np.concatenate([np.full(count, mean) for mean, _, count in blocks])


def fit_calibration(raw: np.ndarray, hits: np.ndarray, bins: int = DEFAULT_BINS,
                    min_per_bin: int = MIN_PER_BIN) -> List[List[float]]:
    """[[raw, calibrated], ...] knots of the monotone map from raw score to hit rate (see the module's doc).

    raw: scores in [0, 1]; hits: whether each scored building is a true one. At most ``bins`` quantile bins of
    at least ``min_per_bin`` buildings; flat runs keep only their end knots. ValueError when the scores cannot
    make two knots (fewer than two distinct scores).
    """
    raw, hits = np.asarray(raw, float), np.asarray(hits, float)
    order = np.argsort(raw, kind="stable")
    raw, hits = raw[order], hits[order]
    count = max(1, min(bins, len(raw) // max(1, min_per_bin)))
    groups = [g for g in np.array_split(np.arange(len(raw)), count) if len(g)]
    x = np.array([raw[g].mean() for g in groups])
    y = np.array([hits[g].mean() for g in groups])
    w = np.array([len(g) for g in groups], float)
    if len(groups) == 1:  # one bin: a flat map over the scores' range
        if raw[0] == raw[-1]:
            raise ValueError(f"{len(raw)} buildings all scored {raw[0]:g}: too few to fit a calibration")
        return [[float(raw[0]), float(y[0])], [float(raw[-1]), float(y[0])]]
    # Bins of equal mean score (many equal scores) are one knot.
    unique_x, inverse = np.unique(x, return_inverse=True)
    if len(unique_x) < len(x):
        w_sum = np.bincount(inverse, weights=w)
        y = np.bincount(inverse, weights=y * w) / w_sum
        x, w = unique_x, w_sum
    if len(x) < 2:
        raise ValueError(f"{len(raw)} buildings all scored {raw[0]:g}: too few to fit a calibration")
    fitted = np.clip(pool_adjacent_violators(y, w), 0.0, 1.0)
    keep = np.ones(len(x), bool)
    keep[1:-1] = ~((fitted[1:-1] == fitted[:-2]) & (fitted[1:-1] == fitted[2:]))  # inside a flat run
    return [[float(a), float(b)] for a, b in zip(np.clip(x[keep], 0.0, 1.0), fitted[keep])]


@dataclass
class ReliabilityBin:
    low: float
    high: float
    count: int
    mean_score: float
    hit_rate: float


def reliability(scores: np.ndarray, hits: np.ndarray, bins: int = RELIABILITY_BINS):
    """(expected calibration error, [ReliabilityBin] of the non-empty equal-width bins of the scores).

    ECE = sum over bins of (bin's share of buildings) x |mean score - share of hits|.
    """
    scores, hits = np.asarray(scores, float), np.asarray(hits, float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, bins - 1)
    table, ece = [], 0.0
    for b in range(bins):
        inside = index == b
        n = int(inside.sum())
        if not n:
            continue
        mean_score, hit_rate = float(scores[inside].mean()), float(hits[inside].mean())
        table.append(ReliabilityBin(float(edges[b]), float(edges[b + 1]), n, mean_score, hit_rate))
        ece += n / len(scores) * abs(mean_score - hit_rate)
    return ece, table
