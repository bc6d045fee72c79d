"""One blob of the building mask cut into buildings: seeds, a watershed, and the parts without support.

A blob is a connected component of the thresholded building probability; touching roofs
come out as one blob. It is cut in its own window of the stitched rasters (uint8
probability x 255), so a building across tile seams is never cut by a seam:

- seeds: with an edge output, the blob's insides (building probability high and edge
  probability low) of at least a minimum size, one per building; a seed that the exclusive
  parts of two or more detection boxes share is split between them, and a box whose exclusive
  part meets no seed seeds a building of its own. Without an edge output the boxes alone
  seed the buildings (and the caller only asks for blobs holding two or more boxes);
- the rest of the blob is flooded from the seeds over the elevation max(edge, 1 - probability)
  (1 - probability without an edge output), so borders follow the walls the edge output sees
  and the low-probability gaps between roofs;
- two parts whose shared border is no wall -- its mean elevation, max(edge, 1 - probability),
  is low -- are one building (noise in the edge output cuts roofs into several insides), unless
  each holds a box of its own;
- parts without support -- smaller than the minimum part size, or (detection ran) holding no
  box and with a mean probability under the minimum score -- are merged into the neighbour
  they share the longest border with.

Every pixel of the blob ends in exactly one building, so the buildings' areas add up to the blob's.
"""
import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

MAX_FILL_ITERATIONS = 64


@dataclass(frozen=True)
class SplitRules:
    """How a blob is cut, in the probability raster's uint8 levels and pixels."""
    edge_level: Optional[int]  # an inside pixel's edge probability is below this; None: no edge output
    seed_level: int            # ... and its building probability at least this
    min_seed_px: int           # insides smaller than this seed no building
    wall_level: Optional[int]  # parts whose border's mean wall value is below this are one; None: no such rule
    min_part_px: int           # parts smaller than this are merged into a neighbour
    min_score_level: int       # parts holding no box need this mean probability (0: no such rule)


def box_spans(boxes: np.ndarray, width: int, height: int) -> List[Tuple[int, int, int, int]]:
    """(first col, end col, first row, end row) of the pixels whose centres lie in each box (window pixels)."""
    return [_pixel_span(x0, x1, width) + _pixel_span(y0, y1, height) for x0, y0, x1, y1 in boxes]


def _pixel_span(lo: float, hi: float, size: int) -> Tuple[int, int]:
    """The pixels [first, last) whose centres (i + 0.5) lie in [lo, hi), clipped to 0..size."""
    first = min(size, max(0, math.ceil(lo - 0.5)))
    last = min(size, max(0, math.ceil(hi - 0.5)))
    return first, max(first, last)


def centre_pixels(boxes: np.ndarray, width: int, height: int) -> Tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of the pixel holding each box's centre, clipped to the window (an index into [h, w])."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    cols = np.clip(np.floor((boxes[:, 0] + boxes[:, 2]) / 2), 0, width - 1).astype(int)
    rows = np.clip(np.floor((boxes[:, 1] + boxes[:, 3]) / 2), 0, height - 1).astype(int)
    return rows, cols


def exclusive_owner(mask: np.ndarray, spans: List[Tuple[int, int, int, int]]) -> np.ndarray:
    """int32 [h, w]: the box (1..k) of each blob pixel inside exactly one box, else 0.

    O(h x w) memory for any number of boxes: a count and the last owner per pixel.
    """
    count = np.zeros(mask.shape, np.int32)
    owner = np.zeros(mask.shape, np.int32)
    for label, (c0, c1, r0, r1) in enumerate(spans, start=1):
        count[r0:r1, c0:c1] += 1
        owner[r0:r1, c0:c1] = label
    owner[~mask | (count != 1)] = 0
    return owner


def box_markers(mask: np.ndarray, spans: List[Tuple[int, int, int, int]]) -> np.ndarray:
    """Markers 1..k of the boxes: each box's exclusive blob pixels, else (overlapped everywhere) its centre pixel."""
    h, w = mask.shape
    markers = exclusive_owner(mask, spans)
    for label, (c0, c1, r0, r1) in enumerate(spans, start=1):
        if c1 > c0 and r1 > r0 and not (markers[r0:r1, c0:c1] == label).any():
            row, col = min(h - 1, (r0 + r1) // 2), min(w - 1, (c0 + c1) // 2)
            if mask[row, col]:
                markers[row, col] = label
    return markers


def seeds(prob: np.ndarray, edge: np.ndarray, mask: np.ndarray, rules: SplitRules) -> np.ndarray:
    """int32 [h, w]: the blob's insides of at least min_seed_px, numbered 1..n (4-connected), else 0."""
    inside = (mask & (prob >= rules.seed_level) & (edge < rules.edge_level)).astype(np.uint8)
    count, components, stats, _ = cv2.connectedComponentsWithStats(inside, connectivity=4)
    keep = stats[:, cv2.CC_STAT_AREA] >= max(1, rules.min_seed_px)
    keep[0] = False
    numbers = np.zeros(count, np.int32)
    numbers[keep] = np.arange(1, int(keep.sum()) + 1)
    return numbers[components]


def seed_markers(prob: np.ndarray, edge: np.ndarray, mask: np.ndarray, spans: List[Tuple[int, int, int, int]],
                 rules: SplitRules) -> np.ndarray:
    """Markers from the insides, split where two boxes share one and completed by the boxes that meet none."""
    seeded = seeds(prob, edge, mask, rules)
    if not spans:
        return seeded
    owner = exclusive_owner(mask, spans)
    k = len(spans)
    overlap = np.bincount((seeded * (k + 1) + owner)[(seeded > 0) & (owner > 0)],
                          minlength=(seeded.max() + 1) * (k + 1)).reshape(-1, k + 1)
    markers = seeded.copy()
    next_label = int(seeded.max()) + 1
    for seed in range(1, overlap.shape[0]):
        sharing = np.flatnonzero(overlap[seed] >= max(1, rules.min_seed_px))
        if len(sharing) < 2:
            continue
        inside = seeded == seed
        markers[inside] = 0  # the part no single box claims is flooded
        for box in sharing:
            markers[inside & (owner == box)] = next_label
            next_label += 1
    unseeded = np.flatnonzero(overlap[1:].sum(axis=0) == 0)
    for box in unseeded[unseeded > 0]:
        own = (owner == box) & (markers == 0)
        if own.any():
            markers[own] = next_label
            next_label += 1
    return markers


def flood(markers: np.ndarray, elevation: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Watershed labels int32 [h, w] of the blob from the markers (> 0) over the uint8 elevation; 0 outside."""
    h, w = mask.shape
    background = int(markers.max()) + 1
    framed = np.full((h + 2, w + 2), background, np.int32)  # a 1-pixel frame: cv2.watershed marks the border -1
    inner = framed[1:-1, 1:-1]
    inner[mask] = markers[mask]
    height = np.full((h + 2, w + 2), 255, np.uint8)
    height[1:-1, 1:-1] = elevation
    cv2.watershed(cv2.merge([height, height, height]), framed)
    labels = framed[1:-1, 1:-1].copy()
    labels[~mask] = 0
    return _fill_unresolved(labels, mask, background)


def _fill_unresolved(labels: np.ndarray, mask: np.ndarray, background: int) -> np.ndarray:
    """Blob pixels left as watershed lines (-1), background or unreached take a neighbouring building label."""
    unresolved = mask & ((labels <= 0) | (labels == background))
    labels[unresolved] = 0
    kernel = np.ones((3, 3), np.uint8)
    for _ in range(MAX_FILL_ITERATIONS):
        if not unresolved.any():
            break
        grown = cv2.dilate(labels.astype(np.float32), kernel).astype(np.int32)
        take = unresolved & (grown > 0)
        if not take.any():
            break
        labels[take] = grown[take]
        unresolved &= ~take
    labels[unresolved] = 0
    return labels


def shared_borders(labels: np.ndarray, wall: np.ndarray) -> Dict[Tuple[int, int], Tuple[int, int]]:
    """{(a, b): (pixel sides a and b share, sum over them of the higher wall value of the two pixels)}.

    For every pair of touching labels a < b (0 is no label); wall: uint8 [h, w].
    """
    pairs, walls = [], []
    for (a, b), (wa, wb) in (((labels[:, :-1], labels[:, 1:]), (wall[:, :-1], wall[:, 1:])),
                             ((labels[:-1, :], labels[1:, :]), (wall[:-1, :], wall[1:, :]))):
        touching = (a != b) & (a > 0) & (b > 0)
        low, high = np.minimum(a[touching], b[touching]), np.maximum(a[touching], b[touching])
        pairs.append(np.stack([low, high], axis=1))
        walls.append(np.maximum(wa[touching], wb[touching]).astype(np.int64))
    found, index, counts = np.unique(np.concatenate(pairs), axis=0, return_inverse=True, return_counts=True)
    sums = np.bincount(index.ravel(), weights=np.concatenate(walls), minlength=len(found))
    return {(int(a), int(b)): (int(n), int(total)) for (a, b), n, total in zip(found, counts, sums)}


class Parts:
    """The parts of a cut blob, merged into one another: areas, probability sums, boxes and shared borders.

    A part holds a box when it holds the box's centre pixel.
    """

    def __init__(self, labels: np.ndarray, prob: np.ndarray, wall: np.ndarray, boxes: np.ndarray):
        count = int(labels.max()) + 1
        self.area = np.bincount(labels.ravel(), minlength=count).astype(np.int64)
        self.total = np.bincount(labels.ravel(), weights=prob.ravel().astype(np.float64), minlength=count)
        self.boxed = np.zeros(count, bool)
        self.boxed[labels[centre_pixels(boxes, labels.shape[1], labels.shape[0])]] = True
        self.boxed[0] = False
        self.borders = shared_borders(labels, wall)
        self.parent = np.arange(count)

    def live(self) -> List[int]:
        return [part for part in range(1, len(self.area)) if self.area[part] > 0]

    def neighbours(self, part: int) -> Dict[int, Tuple[int, int]]:
        return {(b if a == part else a): border for (a, b), border in self.borders.items() if part in (a, b)}

    def merge(self, part: int, into: int) -> None:
        self.parent[self.parent == part] = into
        self.area[into] += self.area[part]
        self.total[into] += self.total[part]
        self.boxed[into] |= self.boxed[part]
        self.area[part] = 0
        merged: Dict[Tuple[int, int], Tuple[int, int]] = {}
        for (a, b), (n, total) in self.borders.items():
            a, b = (into if a == part else a), (into if b == part else b)
            if a != b:
                key = (min(a, b), max(a, b))
                old_n, old_total = merged.get(key, (0, 0))
                merged[key] = (old_n + n, old_total + total)
        self.borders = merged


def merge_parts(labels: np.ndarray, prob: np.ndarray, wall: np.ndarray, boxes: np.ndarray,
                rules: SplitRules) -> np.ndarray:
    """Parts that are not separate buildings joined to a neighbour; returns the new labels.

    First, two parts whose shared border is no wall (its mean wall value under wall_level)
    become one, the weakest border first, unless each holds a box of its own. Then parts without
    support -- smaller than min_part_px, or holding no box with a mean probability under
    min_score_level -- join the neighbour they share the longest border with, smallest first. A
    part with no neighbour stays (the caller's minimum area and score decide on it).
    """
    parts = Parts(labels, prob, wall, boxes)
    if rules.wall_level is not None:
        while True:
            weak = [(total / n, pair) for pair, (n, total) in parts.borders.items()
                    if total < rules.wall_level * n and not (parts.boxed[pair[0]] and parts.boxed[pair[1]])]
            if not weak:
                break
            a, b = min(weak)[1]
            parts.merge(*((a, b) if parts.area[a] <= parts.area[b] else (b, a)))

    def unsupported(part: int) -> bool:
        dim = rules.min_score_level > 0 and not parts.boxed[part] and \
            parts.total[part] < rules.min_score_level * parts.area[part]
        return parts.area[part] < rules.min_part_px or dim

    for part in sorted(parts.live(), key=lambda p: parts.area[p]):
        neighbours = parts.neighbours(part)
        if parts.area[part] and unsupported(part) and neighbours:
            parts.merge(part, max(neighbours, key=lambda p: (neighbours[p][0], parts.area[p])))
    return parts.parent[labels]


def blob_labels(prob: np.ndarray, mask: np.ndarray, boxes: np.ndarray, rules: SplitRules,
                edge: Optional[np.ndarray] = None) -> Optional[np.ndarray]:
    """int32 [h, w] labels of one blob's buildings (0 outside the blob), or None when it is one building.

    prob, edge: uint8 x 255 [h, w] windows; mask: bool [h, w], the blob; boxes: the blob's
    detection boxes, xyxy [k, 4] in the window's pixels (pixel centres at +0.5).
    """
    spans = box_spans(boxes, mask.shape[1], mask.shape[0])
    if edge is None:
        markers, elevation = box_markers(mask, spans), 255 - prob
    else:
        markers, elevation = seed_markers(prob, edge, mask, spans, rules), np.maximum(edge, 255 - prob)
    if len(np.unique(markers[markers > 0])) < 2:
        return None
    labels = merge_parts(flood(markers, elevation, mask), prob, elevation, boxes, rules)
    return labels if len(np.unique(labels[labels > 0])) >= 2 else None
