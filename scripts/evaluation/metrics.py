"""Pixel, area, GSD and per-building metrics."""
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np
from shapely.geometry import Polygon
from shapely.strtree import STRtree


@dataclass
class PixelCounts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, pred: np.ndarray, gt: np.ndarray) -> None:
        self.tp += int(np.logical_and(pred, gt).sum())
        self.fp += int(np.logical_and(pred, ~gt).sum())
        self.fn += int(np.logical_and(~pred, gt).sum())

    def iou(self) -> Optional[float]:
        denom = self.tp + self.fp + self.fn
        return self.tp / denom if denom else None

    def f1(self) -> Optional[float]:
        denom = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denom if denom else None


@dataclass
class MatchCounts:
    tp: int = 0
    n_pred: int = 0
    n_true: int = 0

    def f1(self) -> Optional[float]:
        denom = self.n_pred + self.n_true
        return 2 * self.tp / denom if denom else None


def match_polygons(pred: List[Polygon], true: List[Polygon], iou_min: float = 0.5) -> MatchCounts:
    """Greedy one-to-one matching by IoU (highest first), as in the SpaceNet building metric."""
    counts = MatchCounts(0, len(pred), len(true))
    if not pred or not true:
        return counts
    tree = STRtree(true)
    index = {id(g): i for i, g in enumerate(true)}
    pairs = []
    for p_i, p in enumerate(pred):
        for hit in tree.query(p):
            # shapely 2 returns indices, shapely 1.8 the geometries themselves.
            t_i = int(hit) if isinstance(hit, (int, np.integer)) else index[id(hit)]
            t = true[t_i]
            inter = p.intersection(t).area
            if inter > 0:
                iou = inter / (p.area + t.area - inter)
                if iou >= iou_min:
                    pairs.append((iou, p_i, t_i))
    used_p, used_t = set(), set()
    for _, p_i, t_i in sorted(pairs, reverse=True):
        if p_i not in used_p and t_i not in used_t:
            used_p.add(p_i)
            used_t.add(t_i)
    counts.tp = len(used_p)
    return counts


def relative_error(estimate: float, truth: float) -> float:
    return abs(estimate - truth) / truth


@dataclass
class SourceScores:
    pixels: PixelCounts = field(default_factory=PixelCounts)
    buildings: MatchCounts = field(default_factory=MatchCounts)
    area_errors: List[float] = field(default_factory=list)
    gsd_errors: List[float] = field(default_factory=list)
    # GSD from the model: did its 80 % interval hold the true GSD / the true building area?
    gsd_interval_hits: List[bool] = field(default_factory=list)
    area_interval_hits: List[bool] = field(default_factory=list)
    count_errors: List[float] = field(default_factory=list)  # |buildings found - true| / true, per image
    images: int = 0

    def merge(self, other: "SourceScores") -> None:
        self.pixels.tp += other.pixels.tp
        self.pixels.fp += other.pixels.fp
        self.pixels.fn += other.pixels.fn
        self.buildings.tp += other.buildings.tp
        self.buildings.n_pred += other.buildings.n_pred
        self.buildings.n_true += other.buildings.n_true
        self.area_errors += other.area_errors
        self.gsd_errors += other.gsd_errors
        self.gsd_interval_hits += other.gsd_interval_hits
        self.area_interval_hits += other.area_interval_hits
        self.count_errors += other.count_errors
        self.images += other.images

    def as_dict(self) -> Dict[str, Optional[float]]:
        def pct(values, q):
            return float(np.percentile(values, q)) if values else None

        def share(hits):
            return float(np.mean(hits)) if hits else None
        return {
            "images": self.images,
            "iou": self.pixels.iou(), "f1": self.pixels.f1(),
            "area_error_median": pct(self.area_errors, 50), "area_error_p90": pct(self.area_errors, 90),
            "gsd_error_median": pct(self.gsd_errors, 50), "gsd_error_p90": pct(self.gsd_errors, 90),
            "building_f1": self.buildings.f1() if self.buildings.n_true else None,
            "count_error_median": pct(self.count_errors, 50),
            "gsd_interval_coverage": share(self.gsd_interval_hits),
            "area_interval_coverage": share(self.area_interval_hits),
        }
