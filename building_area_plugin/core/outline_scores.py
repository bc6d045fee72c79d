"""Mean building probability inside many outlines at once.

A building's score is the mean probability of the pixels whose centres lie inside its
outline (even-odd rule). Done one outline at a time, a raster read and a fill cost more
than everything else in measuring it. Here the outlines of a batch share one read of the
window they cover, every ring edge is crossed with each row of pixel centres it spans in
a few numpy calls, consecutive crossings of an outline on a row bound a run of inside
pixels, and the runs' pixels are gathered and summed together.
"""
from typing import List, Sequence

import numpy as np
from osgeo import gdal
from shapely.geometry.base import BaseGeometry

# The most pixels read at once: a batch of outlines whose boxes span more is cut in two, in space.
MAX_WINDOW_PX = 16 * 1024 * 1024


def mean_probabilities(band: gdal.Band, pixel_polygons: Sequence[BaseGeometry]) -> np.ndarray:
    """float64 [n]: each pixel-space polygon's mean probability (0..1, the band stores 0..255).

    A polygon covering no pixel centre (a sliver after simplification) gets the mean of its
    bounding box's pixels.
    """
    means = np.empty(len(pixel_polygons))
    if not pixel_polygons:
        return means
    boxes = _pixel_boxes(band, pixel_polygons)
    for group in _compact_groups(boxes, np.arange(len(boxes))):
        means[group] = _group_means(band, [pixel_polygons[i] for i in group], boxes[group])
    return means / 255.0


def _compact_groups(boxes: np.ndarray, members: np.ndarray) -> List[np.ndarray]:
    """members split at the median box centre along the longer side until each group's window is small enough."""
    own = boxes[members]
    width, height = own[:, 2].max() - own[:, 0].min(), own[:, 3].max() - own[:, 1].min()
    if len(members) == 1 or width * height <= MAX_WINDOW_PX:
        return [members]
    axis = 0 if width >= height else 1
    order = np.argsort(own[:, axis] + own[:, axis + 2], kind="stable")
    half = len(members) // 2
    return _compact_groups(boxes, members[order[:half]]) + _compact_groups(boxes, members[order[half:]])


def _group_means(band: gdal.Band, pixel_polygons: Sequence[BaseGeometry], boxes: np.ndarray) -> np.ndarray:
    """Mean band value (0..255) inside each polygon, from one read of the window holding their boxes."""
    x0, y0 = boxes[:, 0].min(), boxes[:, 1].min()
    x1, y1 = boxes[:, 2].max(), boxes[:, 3].max()
    values = band.ReadAsArray(int(x0), int(y0), int(x1 - x0), int(y1 - y0))
    sums, counts = _inside_sums(values, int(x0), int(y0), pixel_polygons, boxes)
    means = np.empty(len(pixel_polygons))
    filled = counts > 0
    means[filled] = sums[filled] / counts[filled]
    for i in np.flatnonzero(~filled):
        bx0, by0, bx1, by1 = boxes[i] - [x0, y0, x0, y0]
        means[i] = values[by0:by1, bx0:bx1].mean()
    return means


def _pixel_boxes(band: gdal.Band, pixel_polygons: Sequence[BaseGeometry]) -> np.ndarray:
    """int64 [n, 4]: the pixels x0, y0, x1, y1 (exclusive) each polygon's bounds reach, within the band."""
    bounds = np.array([p.bounds for p in pixel_polygons], np.float64)
    boxes = np.concatenate([np.floor(bounds[:, :2]), np.ceil(bounds[:, 2:])], axis=1).astype(np.int64)
    return np.clip(boxes, 0, [band.XSize, band.YSize, band.XSize, band.YSize])


def ring_edges(pixel_polygons: Sequence[BaseGeometry]):
    """Every ring edge of every polygon: start points [e, 2], end points [e, 2], owning polygon [e]."""
    starts: List[np.ndarray] = []
    ends: List[np.ndarray] = []
    owners: List[np.ndarray] = []
    for index, polygon in enumerate(pixel_polygons):
        for part in getattr(polygon, "geoms", [polygon]):
            for ring in (part.exterior, *part.interiors):
                xy = np.asarray(ring.coords)[:, :2]
                starts.append(xy[:-1])
                ends.append(xy[1:])
                owners.append(np.full(len(xy) - 1, index))
    return np.concatenate(starts), np.concatenate(ends), np.concatenate(owners)


def _inside_sums(values: np.ndarray, x0: int, y0: int, pixel_polygons: Sequence[BaseGeometry], boxes: np.ndarray):
    """Sum and count of the values whose pixel centres lie inside each polygon.

    values is the window at pixel (x0, y0) that holds every polygon's pixel box (boxes, in band pixels).
    """
    start, end, owner = ring_edges(pixel_polygons)
    (xa, ya), (xb, yb) = start.T, end.T
    # An edge crosses the centre line y = row + 0.5 when it lies in [min(ya, yb), max(ya, yb)).
    first = np.ceil(np.minimum(ya, yb) - 0.5).astype(np.int64)
    last = np.ceil(np.maximum(ya, yb) - 0.5).astype(np.int64) - 1
    first = np.maximum(first, boxes[owner, 1])
    last = np.minimum(last, boxes[owner, 3] - 1)
    rows_per_edge = np.maximum(last - first + 1, 0)
    edge = np.repeat(np.arange(len(owner)), rows_per_edge)
    row = first[edge] + np.arange(len(edge)) - np.repeat(np.cumsum(rows_per_edge) - rows_per_edge, rows_per_edge)
    yc = row + 0.5
    x_cross = xa[edge] + (yc - ya[edge]) * (xb[edge] - xa[edge]) / (yb[edge] - ya[edge])
    # Centres right of a crossing start (or end) a run; runs are clipped to the polygon's box.
    col = np.clip(np.floor(x_cross - 0.5).astype(np.int64) + 1, boxes[owner[edge], 0], boxes[owner[edge], 2])
    who = owner[edge]
    order = np.lexsort((col, row, who))
    who, row, col = who[order], row[order], col[order]
    # Each outline crosses each row an even number of times: crossings pair up in order.
    run_owner, run_row, run_start, run_end = who[0::2], row[0::2], col[0::2], col[1::2]
    # The pixels of every run, gathered from the flattened window and summed run by run.
    keep = run_end > run_start
    run_owner, lengths = run_owner[keep], (run_end - run_start)[keep]
    first_px = (run_row[keep] - y0) * values.shape[1] + (run_start[keep] - x0)
    offsets = np.cumsum(lengths) - lengths
    pixels = np.repeat(first_px - offsets, lengths) + np.arange(lengths.sum())
    run_sums = np.add.reduceat(values.ravel()[pixels].astype(np.int64), offsets) if len(offsets) else offsets
    n = len(pixel_polygons)
    sums = np.bincount(run_owner, weights=run_sums, minlength=n)
    counts = np.bincount(run_owner, weights=lengths, minlength=n)
    return sums, counts
