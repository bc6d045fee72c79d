"""Regularized building outlines: right-angled, simplified, aligned to each building's dominant direction.

The mask's outline follows the pixels, noise and all. On request it is replaced by an outline of
right angles only:

1. the building's dominant direction: the weighted circular mean of its edges' angles
   modulo 90° (so that walls and their perpendiculars agree), refined on the edges near it;
2. in a frame turned to that direction, every edge becomes a run along x or along y at its
   length-weighted mean offset; an edge steeper than SNAP_DEG from both becomes a two-step
   staircase of the same area;
3. neighbouring runs along the same axis merge; then, while a run is shorter than the step
   (STEP_PX pixels, at least STEP_M metres), it is dropped and its two neighbours (parallel
   to each other) merge: jogs of mask noise go, real wings stay;
4. consecutive runs meet at right angles: those corners are the new outline.

Everything is computed on the ground: output coordinates are taken to the raster's pixels
scaled to metres along columns and rows, where a right angle on the ground is a right angle.
An outline that no right-angled one fits (less than MIN_SHARE_ALONG of it near the two directions, as
a round building; or an IoU with the mask's under MIN_IOU) is written as the mask gave it.
"""
import math
from dataclasses import replace
from typing import Iterable, Iterator, List, Optional, Sequence

import numpy as np
from shapely.affinity import affine_transform
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from shapely.validation import make_valid

from .vectorize import MEASURE_BATCH, Building

STEP_PX = 2.0       # runs shorter than this many pixels are mask noise ...
STEP_M = 1.0        # ... or shorter than this on the ground, whichever is longer
SNAP_DEG = 20.0     # edges within this of the dominant direction or its perpendicular snap to it
REFINE_DEG = 15.0   # edges within this of the first estimate refine the dominant direction
MIN_SHARE_ALONG = 0.6  # at least this share of an outline must run along those directions (not a round one)
MIN_IOU = 0.6       # a right-angled outline must overlap the mask's at least this much (intersection / union)
SIMPLIFY_STEPS = 0.5  # Douglas-Peucker tolerance before anything else, in steps
MIN_HOLE_STEPS = 1.0  # holes narrower than this many steps are dropped
COLLINEAR_STEPS = 1e-6  # a vertex this close (in steps) to the line through its neighbours is on it

# A run of a ring: [axis, offset, weight]: axis 0 runs along x at y = offset, axis 1 along y at x = offset;
# weight is the length of the edges it stands for.
ALONG_X, ALONG_Y = 0, 1


def dominant_angle(rings: Sequence[np.ndarray]) -> float:
    """The direction (radians, in [-pi/4, pi/4)) that the rings' edges (closed [n, 2] arrays) mostly follow,
    modulo 90°. Edges weigh by their squared length: a long wall's direction is the surest."""
    steps = np.concatenate([np.diff(ring, axis=0) for ring in rings])
    length = np.hypot(steps[:, 0], steps[:, 1]) ** 2
    angle = np.arctan2(steps[:, 1], steps[:, 0])
    theta = math.atan2(float((length * np.sin(4 * angle)).sum()), float((length * np.cos(4 * angle)).sum())) / 4
    for _ in range(2):
        deviation = np.mod(angle - theta + math.pi / 4, math.pi / 2) - math.pi / 4
        near = np.abs(deviation) < math.radians(REFINE_DEG)
        if not near.any() or length[near].sum() == 0:
            break
        theta += float((length[near] * deviation[near]).sum() / length[near].sum())
    return float(np.mod(theta + math.pi / 4, math.pi / 2) - math.pi / 4)


def _share_along(rings: Sequence[np.ndarray], theta: float) -> float:
    """The share of the rings' length within SNAP_DEG of direction theta or its perpendicular."""
    steps = np.concatenate([np.diff(ring, axis=0) for ring in rings])
    length = np.hypot(steps[:, 0], steps[:, 1])
    deviation = np.mod(np.arctan2(steps[:, 1], steps[:, 0]) - theta + math.pi / 4, math.pi / 2) - math.pi / 4
    total = length.sum()
    return float(length[np.abs(deviation) <= math.radians(SNAP_DEG)].sum() / total) if total > 0 else 0.0


def _edge_runs(ring: np.ndarray) -> List[List[float]]:
    """The runs of a closed ring already turned to its dominant direction, one to three per edge."""
    snap = math.tan(math.radians(SNAP_DEG))
    runs: List[List[float]] = []
    for (x0, y0), (x1, y1) in zip(ring[:-1], ring[1:]):
        dx, dy = abs(x1 - x0), abs(y1 - y0)
        if dx == 0 and dy == 0:
            continue
        if min(dx, dy) <= snap * max(dx, dy):
            runs.append([ALONG_X, (y0 + y1) / 2, dx] if dx >= dy else [ALONG_Y, (x0 + x1) / 2, dy])
        elif dx >= dy:  # the staircase through the edge's middle cuts off as much as it adds
            runs += [[ALONG_X, y0, dx / 2], [ALONG_Y, (x0 + x1) / 2, dy], [ALONG_X, y1, dx / 2]]
        else:
            runs += [[ALONG_Y, x0, dy / 2], [ALONG_X, (y0 + y1) / 2, dx], [ALONG_Y, x1, dy / 2]]
    return runs


def _combined(a: List[float], b: List[float]) -> List[float]:
    weight = a[2] + b[2]
    offset = (a[1] * a[2] + b[1] * b[2]) / weight if weight > 0 else (a[1] + b[1]) / 2
    return [a[0], offset, weight]


def _alternating(runs: List[List[float]]) -> List[List[float]]:
    """Neighbouring runs along the same axis merged (around the ring), so that axes alternate."""
    merged: List[List[float]] = []
    for run in runs:
        if merged and merged[-1][0] == run[0]:
            merged[-1] = _combined(merged[-1], run)
        else:
            merged.append(run)
    if len(merged) > 1 and merged[0][0] == merged[-1][0]:
        merged[0] = _combined(merged.pop(), merged[0])
    return merged


def _without_short_runs(runs: List[List[float]], step: float) -> List[List[float]]:
    """Drop the shortest run while it is shorter than step, merging its two (parallel) neighbours."""
    while len(runs) > 4:
        n = len(runs)
        lengths = [abs(runs[i - 1][1] - runs[(i + 1) % n][1]) for i in range(n)]
        shortest = int(np.argmin(lengths))
        if lengths[shortest] >= step:
            break
        start = (shortest - 1) % n
        turned = runs[start:] + runs[:start]  # the run before the shortest first
        runs = [_combined(turned[0], turned[2])] + turned[3:]
    return runs


def orthogonal_ring(ring: np.ndarray, step: float) -> Optional[np.ndarray]:
    """A closed ring of right angles (x/y-parallel edges) fitting a closed ring already turned to its dominant
    direction, or None when none does (fewer than four runs)."""
    runs = _without_short_runs(_alternating(_edge_runs(ring)), step)
    if len(runs) < 4 or len(runs) % 2:
        return None
    corners = []
    for run, following in zip(runs, runs[1:] + runs[:1]):
        x, y = (following[1], run[1]) if run[0] == ALONG_X else (run[1], following[1])
        corners.append((x, y))
    return np.asarray(corners + corners[:1], float)


def _polygons(geometry: BaseGeometry) -> List[Polygon]:
    return [p for p in getattr(geometry, "geoms", [geometry]) if isinstance(p, Polygon) and not p.is_empty]


def _canonical(polygon: Polygon, step: float) -> Polygon:
    """The polygon counter-clockwise, without collinear vertices, each ring starting at its lowest-left vertex:
    Douglas-Peucker keeps a ring's first vertex, so that an outline joined from pieces (the batch) simplifies as
    the same outline found whole."""
    def ring(coords, counter_clockwise: bool) -> np.ndarray:
        xy = np.asarray(coords, float)[:-1, :2]
        twice_area = float((xy[:, 0] * np.roll(xy[:, 1], -1) - np.roll(xy[:, 0], -1) * xy[:, 1]).sum())
        if (twice_area > 0) != counter_clockwise:
            xy = xy[::-1]
        steps = np.roll(xy, -1, axis=0) - xy
        before = np.roll(steps, 1, axis=0)
        turn = np.abs(before[:, 0] * steps[:, 1] - before[:, 1] * steps[:, 0])
        xy = xy[turn > COLLINEAR_STEPS * step * (np.hypot(*before.T) + np.hypot(*steps.T))]
        if len(xy) < 3:
            return xy
        key = np.round(xy / (COLLINEAR_STEPS * step))
        return np.roll(xy, -int(np.lexsort((key[:, 1], key[:, 0]))[0]), axis=0)
    shell = ring(polygon.exterior.coords, True)
    if len(shell) < 3:
        return polygon
    holes = [hole for hole in (ring(r.coords, False) for r in polygon.interiors) if len(hole) >= 3]
    return Polygon(shell, holes)


def _turned(ring: np.ndarray, origin: np.ndarray, cos: float, sin: float) -> np.ndarray:
    """ring (closed [n, 2]) turned by the angle whose cosine and sine are given, about origin."""
    xy = ring - origin
    return np.column_stack([xy[:, 0] * cos - xy[:, 1] * sin, xy[:, 0] * sin + xy[:, 1] * cos])


def regularize_polygonal(geometry: BaseGeometry, step: float) -> Optional[BaseGeometry]:
    """The right-angled outline of a (Multi)Polygon given in metres, or None when none fits it."""
    if not geometry.is_valid:
        geometry = make_valid(geometry)
    parts = _simplified_parts(geometry, step)
    if not parts:
        return None
    rings = [np.asarray(ring.coords, float)[:, :2] for part in parts for ring in (part.exterior, *part.interiors)]
    theta = dominant_angle(rings)
    if _share_along(rings, theta) < MIN_SHARE_ALONG:
        return None
    origin, cos, sin = rings[0][0], math.cos(theta), math.sin(theta)
    shapes = [_orthogonal_polygon(part, origin, cos, sin, step) for part in parts]
    if any(shape is None for shape in shapes):
        return None
    pieces = [p for shape in shapes for p in _polygons(shape)]
    turned = pieces[0] if len(pieces) == 1 else unary_union(pieces)
    # Back to the building's direction: x' = origin + R(theta) x.
    found = _polygons(affine_transform(turned, [cos, -sin, sin, cos, origin[0], origin[1]]))
    if not found:
        return None
    regular = found[0] if len(found) == 1 else MultiPolygon(found)
    overlap = regular.intersection(geometry).area
    union = regular.area + geometry.area - overlap
    if union <= 0 or overlap / union < MIN_IOU:
        return None
    return regular


def _simplified_parts(geometry: BaseGeometry, step: float) -> List[Polygon]:
    """The polygons to regularize: canonical, simplified (the pixels' staircase along a slanted wall would pull
    the direction towards the raster's axes), without slivers smaller than a step square unless nothing else."""
    canonical = MultiPolygon([_canonical(p, step) for p in _polygons(geometry)])
    parts = _polygons(canonical.simplify(step * SIMPLIFY_STEPS, preserve_topology=True))
    return [p for p in parts if p.area >= step * step] or ([max(parts, key=lambda p: p.area)] if parts else [])


def _orthogonal_polygon(part: Polygon, origin: np.ndarray, cos: float, sin: float, step: float
                        ) -> Optional[BaseGeometry]:
    """The right-angled polygon of one part, in the frame turned by theta (cos, sin) about origin; None when its
    shell has none."""
    def orthogonal(ring) -> Optional[np.ndarray]:
        return orthogonal_ring(_turned(np.asarray(ring.coords, float)[:, :2], origin, cos, -sin), step)
    shell = orthogonal(part.exterior)
    if shell is None:
        return None
    holes = [hole for hole in (orthogonal(ring) for ring in part.interiors)
             if hole is not None and _narrowest(hole) >= MIN_HOLE_STEPS * step]
    return make_valid(Polygon(shell, holes))


def _narrowest(ring: np.ndarray) -> float:
    """The smaller side of an axis-parallel ring's bounding box."""
    return float(min(np.ptp(ring[:, 0]), np.ptp(ring[:, 1])))


class Regularizer:
    """Regularizes building outlines given in output coordinates.

    geotransform maps the raster's pixels to output coordinates; x_m and y_m are the ground size of
    a pixel along its columns and rows: together they give the frame in metres the outlines are
    regularized in. calculator (a GroundAreaCalculator for those coordinates) measures them.
    """

    def __init__(self, geotransform: Sequence[float], x_m: float, y_m: float, calculator):
        g = [float(v) for v in geotransform]
        det = g[1] * g[5] - g[2] * g[4]
        # output -> pixel (the geotransform's inverse), then pixel -> metres along columns and rows
        a, b, d, e = g[5] / det, -g[2] / det, -g[4] / det, g[1] / det
        col0, row0 = -(a * g[0] + b * g[3]), -(d * g[0] + e * g[3])
        self._to_metres = [a * x_m, b * x_m, d * y_m, e * y_m, col0 * x_m, row0 * y_m]
        self._to_output = [g[1] / x_m, g[2] / y_m, g[4] / x_m, g[5] / y_m, g[0], g[3]]
        self.step_m = max(STEP_M, STEP_PX * (x_m + y_m) / 2)
        self.calculator = calculator
        self.kept_as_found = 0  # outlines no right-angled outline fits: written as the mask gave them

    def outline(self, geometry: BaseGeometry) -> BaseGeometry:
        """The regularized outline in output coordinates; geometry itself when none fits (counted)."""
        regular = regularize_polygonal(affine_transform(geometry, self._to_metres), self.step_m)
        if regular is None:
            self.kept_as_found += 1
            return geometry
        return affine_transform(regular, self._to_output)

    def buildings(self, buildings: Iterable[Building]) -> Iterator[Building]:
        """The buildings with regularized outlines and their area (area_reg_m2); area_m2 stays the mask's."""
        batch: List[Building] = []
        for building in buildings:
            batch.append(building)
            if len(batch) >= MEASURE_BATCH:
                yield from self._regularized(batch)
                batch = []
        yield from self._regularized(batch)

    def _regularized(self, batch: List[Building]) -> Iterator[Building]:
        if not batch:
            return
        outlines = [self.outline(building.geometry) for building in batch]
        areas, _ = self.calculator.areas_perimeters(outlines)
        for building, outline, area in zip(batch, outlines, areas):
            yield replace(building, geometry=outline, area_reg_m2=float(area))
