"""Pixel, area, GSD and per-building metrics (per-building: one-to-one matches at IoU >= 0.5)."""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

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
    """Buildings matched one to one at IoU >= 0.5, and of the matched pairs those whose areas agree."""
    tp: int = 0
    n_pred: int = 0
    n_true: int = 0
    area_within: int = 0  # matched pairs whose predicted area is within AREA_TOLERANCE of the true one

    def precision(self) -> Optional[float]:
        return self.tp / self.n_pred if self.n_pred else None

    def recall(self) -> Optional[float]:
        return self.tp / self.n_true if self.n_true else None

    def f1(self) -> Optional[float]:
        denom = self.n_pred + self.n_true
        return 2 * self.tp / denom if denom else None

    def area_share(self) -> Optional[float]:
        """The share of matched pairs whose predicted area is within AREA_TOLERANCE of the true building's."""
        return self.area_within / self.tp if self.tp else None

    def merge(self, other: "MatchCounts") -> None:
        self.tp += other.tp
        self.n_pred += other.n_pred
        self.n_true += other.n_true
        self.area_within += other.area_within


AREA_TOLERANCE = 0.2  # 'area20%': a matched building's area within 20 % of the true one


def match_pairs(pred: List[Polygon], true: List[Polygon], iou_min: float = 0.5) -> List[Tuple[int, int]]:
    """Greedy one-to-one matching by IoU (highest first), as in the SpaceNet building metric: (pred, true) indices."""
    if not pred or not true:
        return []
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
    used_p, used_t, matched = set(), set(), []
    for _, p_i, t_i in sorted(pairs, reverse=True):
        if p_i not in used_p and t_i not in used_t:
            used_p.add(p_i)
            used_t.add(t_i)
            matched.append((p_i, t_i))
    return matched


def matched_flags(pred: List[Polygon], true: List[Polygon], iou_min: float = 0.5) -> np.ndarray:
    """bool [len(pred)]: which predicted buildings are matched to a true one (a true building, at IoU >= iou_min)."""
    flags = np.zeros(len(pred), bool)
    for p_i, _ in match_pairs(pred, true, iou_min):
        flags[p_i] = True
    return flags


def match_polygons(pred: List[Polygon], true: List[Polygon], iou_min: float = 0.5) -> MatchCounts:
    """Counts of the one-to-one matching (match_pairs) and of its pairs whose areas agree within AREA_TOLERANCE."""
    pairs = match_pairs(pred, true, iou_min)
    within = sum(abs(pred[p].area - true[t].area) <= AREA_TOLERANCE * true[t].area for p, t in pairs)
    return MatchCounts(len(pairs), len(pred), len(true), int(within))


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
    count_errors: List[float] = field(default_factory=list)  # per image with true buildings: |found - true| / true
    images: int = 0

    def merge(self, other: "SourceScores") -> None:
        self.pixels.tp += other.pixels.tp
        self.pixels.fp += other.pixels.fp
        self.pixels.fn += other.pixels.fn
        self.buildings.merge(other.buildings)
        self.count_errors += other.count_errors
        self.area_errors += other.area_errors
        self.gsd_errors += other.gsd_errors
        self.gsd_interval_hits += other.gsd_interval_hits
        self.area_interval_hits += other.area_interval_hits
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
            "building_precision": self.buildings.precision() if self.buildings.n_true else None,
            "building_recall": self.buildings.recall(),
            "building_f1": self.buildings.f1() if self.buildings.n_true else None,
            "area_within_20pct": self.buildings.area_share(),
            "count_error_median": pct(self.count_errors, 50),
            "gsd_interval_coverage": share(self.gsd_interval_hits),
            "area_interval_coverage": share(self.area_interval_hits),
        }
