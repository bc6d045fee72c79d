"""Building detection: an ONNX box detector run tile by tile over the work grid, boxes merged over the raster.

The detector's output is [N, boxes, 5 + classes]: (cx, cy, w, h) in tile pixels (box
decoding is part of the graph), objectness, then one score per class; a box's score is
objectness x its best class score. Boxes are small, so all of a raster's boxes are held
in memory (a few MB for a city); images never are: tiles are read a batch at a time.

Merging, in one greedy pass over the boxes in descending score:

1. a box cut by an interior tile edge is the same building as a kept box it overlaps by
   SEAM_IOS of the smaller box's area (intersection over the smaller box): it is merged
   into it (their union), so a building cut by a tile seam is reported once and whole;
2. otherwise a box overlapping a kept box by IoU >= det_iou is suppressed (class-agnostic NMS).

NMS runs within each tile first (vectorised); in the raster-wide pass kept boxes are bucketed
on a coarse grid, so each box is only compared with its neighbours.
"""
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
from shapely.geometry import Polygon

from .errors import CancelledError, ModelError
from .inference import read_tiles
from .params import CancelCallback
from .raster import GeoTransform
from .tiling import Tile, TileGrid
from .workgrid import WorkGrid, plan_work_grid

# A box edge within this many pixels of an interior tile edge is cut by that edge.
CUT_MARGIN_PX = 2.0
# Intersection over the smaller box above which a cut box and a kept box are one building.
SEAM_IOS = 0.6
MIN_BOX_PX = 1.0  # boxes thinner than this (after clipping) are dropped


@dataclass
class Detections:
    """Boxes on the work grid: xyxy float64 [n, 4] (x0, y0, x1, y1 in work pixels), score float64 [n]."""
    xyxy: np.ndarray
    score: np.ndarray

    def __len__(self) -> int:
        return len(self.score)

    @classmethod
    def empty(cls) -> "Detections":
        return cls(np.zeros((0, 4)), np.zeros(0))


def decode(output: np.ndarray, conf: float) -> List[Tuple[np.ndarray, np.ndarray]]:
    """[N, boxes, 5 + classes] -> per image (xyxy [k, 4], score [k]) of the boxes scoring >= conf.

    score = objectness x best class score; a detector without class scores (5 columns)
    scores by objectness alone. Boxes are not clipped here.
    """
    if output.ndim != 3 or output.shape[2] < 5:
        raise ModelError(f"A detector's output must be [N, boxes, 5 + classes] (cx, cy, w, h, objectness, "
                         f"class scores); got {output.shape}.")
    output = output.astype(np.float64, copy=False)
    obj = output[..., 4]
    score = obj * output[..., 5:].max(axis=2) if output.shape[2] > 5 else obj
    results = []
    for image_boxes, image_score in zip(output, score):
        keep = np.isfinite(image_score) & (image_score >= conf)
        cx, cy, w, h = image_boxes[keep, :4].T
        xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        results.append((xyxy, image_score[keep]))
    return results


def box_area(xyxy: np.ndarray) -> np.ndarray:
    return np.clip(xyxy[..., 2] - xyxy[..., 0], 0, None) * np.clip(xyxy[..., 3] - xyxy[..., 1], 0, None)


def intersection(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Intersection areas of one box [4] with others [k, 4]."""
    w = np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0])
    h = np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1])
    return np.clip(w, 0, None) * np.clip(h, 0, None)


def nms(xyxy: np.ndarray, score: np.ndarray, iou_thresh: float) -> np.ndarray:
    """Greedy class-agnostic non-maximum suppression; indices of the kept boxes, best first."""
    order = np.argsort(-score, kind="stable")
    areas = box_area(xyxy)
    keep = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(best)
        inter = intersection(xyxy[best], xyxy[rest])
        iou = inter / np.maximum(areas[best] + areas[rest] - inter, 1e-12)
        order = rest[iou < iou_thresh]
    return np.asarray(keep, dtype=int)


def merge_boxes(xyxy: np.ndarray, score: np.ndarray, cut: np.ndarray, iou_thresh: float,
                ios_thresh: float = SEAM_IOS, cell_px: Optional[float] = None) -> Detections:
    """Seam merging and NMS in one greedy pass (see the module doc); returns the kept boxes, best first.

    cut: bool [n], the box touches an interior tile edge. cell_px: bucket size (default twice
    the largest box side), so that overlapping boxes lie in neighbouring buckets.
    """
    n = len(score)
    if n == 0:
        return Detections.empty()
    sides = np.maximum(xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1])
    cell = float(cell_px or 0) or 2.0 * float(sides.max()) or 1.0
    kept_box = np.zeros((n, 4))
    kept_score = np.zeros(n)
    kept_cut = np.zeros(n, bool)
    kept = 0
    buckets: Dict[Tuple[int, int], List[int]] = defaultdict(list)

    def cell_of(box: np.ndarray) -> Tuple[int, int]:
        return int(math.floor((box[0] + box[2]) / 2 / cell)), int(math.floor((box[1] + box[3]) / 2 / cell))

    for i in np.argsort(-score, kind="stable"):
        box = xyxy[i]
        cx, cy = cell_of(box)
        near = np.fromiter((k for dx in (-1, 0, 1) for dy in (-1, 0, 1) for k in buckets.get((cx + dx, cy + dy), ())),
                           dtype=int)
        if near.size:
            others = kept_box[near]
            inter = intersection(box, others)
            area, other_area = box_area(box), box_area(others)
            ios = inter / np.maximum(np.minimum(area, other_area), 1e-12)
            seam = (cut[i] | kept_cut[near]) & (ios >= ios_thresh)
            if seam.any():
                k = int(near[np.argmax(np.where(seam, ios, -1.0))])
                old_cell = cell_of(kept_box[k])
                kept_box[k, :2] = np.minimum(kept_box[k, :2], box[:2])
                kept_box[k, 2:] = np.maximum(kept_box[k, 2:], box[2:])
                kept_cut[k] = kept_cut[k] and cut[i]
                if cell_of(kept_box[k]) != old_cell:
                    buckets[old_cell].remove(k)
                    buckets[cell_of(kept_box[k])].append(k)
                continue
            if (inter / np.maximum(area + other_area - inter, 1e-12) >= iou_thresh).any():
                continue
        buckets[(cx, cy)].append(kept)
        kept_box[kept], kept_score[kept], kept_cut[kept] = box, score[i], cut[i]
        kept += 1
    return Detections(kept_box[:kept], kept_score[:kept])


def tile_boxes(xyxy: np.ndarray, tile: Tile, tile_size: int, valid: np.ndarray, width: int, height: int
               ) -> Tuple[np.ndarray, np.ndarray]:
    """One tile's boxes on the work grid, clipped to the tile and to the analysed grid (width x height).

    Returns (xyxy [k, 4], keep [n] bool, cut [k] bool): the boxes kept, without boxes centred on invalid pixels
    (nodata, outside the raster) or thinner than MIN_BOX_PX.
    """
    limit = np.array([min(tile_size, width - tile.x), min(tile_size, height - tile.y)], np.float64)
    clipped = np.concatenate([np.clip(xyxy[:, :2], 0, limit), np.clip(xyxy[:, 2:], 0, limit)], axis=1)
    ok = ((clipped[:, 2] - clipped[:, 0]) >= MIN_BOX_PX) & ((clipped[:, 3] - clipped[:, 1]) >= MIN_BOX_PX)
    centre = ((clipped[:, :2] + clipped[:, 2:]) / 2).astype(int)
    centre = np.minimum(centre, np.array(valid.shape[::-1]) - 1)
    ok &= valid[centre[:, 1], centre[:, 0]]
    clipped = clipped[ok]
    # Interior tile edges only: a tile edge on the grid's border cuts nothing.
    interior_lo = np.array([tile.x > 0, tile.y > 0])
    interior_hi = np.array([tile.x + tile_size < width, tile.y + tile_size < height])
    cut = ((interior_lo & (clipped[:, :2] <= CUT_MARGIN_PX)).any(axis=1)
           | (interior_hi & (clipped[:, 2:] >= tile_size - CUT_MARGIN_PX)).any(axis=1))
    offset = np.array([tile.x, tile.y, tile.x, tile.y], np.float64)
    return clipped + offset, ok, cut


class TileBoxes:
    """Boxes gathered tile by tile over a work grid, then merged across the tiles' seams into buildings."""

    def __init__(self, grid: WorkGrid, tile_size: int, conf: float, iou: float):
        self.tile_size, self.conf, self.iou = tile_size, conf, iou
        self.width, self.height = grid.analysed_width, grid.analysed_height
        self._boxes: List[np.ndarray] = []
        self._scores: List[np.ndarray] = []
        self._cuts: List[np.ndarray] = []

    def add(self, tiles: List[Tile], valid: np.ndarray, output: np.ndarray) -> None:
        """A batch of tiles, their valid pixels bool [N, T, T] and the model's boxes [N, boxes, 5 + classes]."""
        for tile, tile_valid, (xyxy, score) in zip(tiles, valid, decode(output, self.conf)):
            # NMS within the tile first (cheap, vectorised): the raster-wide pass then sees ~1 box per building.
            first = nms(xyxy, score, self.iou)
            placed, keep, cut = tile_boxes(xyxy[first], tile, self.tile_size, tile_valid, self.width, self.height)
            self._boxes.append(placed)
            self._scores.append(score[first][keep])
            self._cuts.append(cut)

    def merged(self) -> Detections:
        if not sum(len(s) for s in self._scores):
            return Detections.empty()
        return merge_boxes(np.concatenate(self._boxes), np.concatenate(self._scores), np.concatenate(self._cuts),
                           self.iou)


def detect(raster, grid: WorkGrid, model, batch_size: int, conf: float, iou: float,
           on_batch: Callable[[int, int], None], is_cancelled: CancelCallback) -> Tuple[Detections, int]:
    """All buildings the detector finds on the work grid, merged across tiles; (detections, tile count)."""
    tile_size = model.metadata.tile_size
    tiles = TileGrid.create(grid.width, grid.height, tile_size, model.metadata.tiles_overlap, grid.align)
    found = TileBoxes(grid, tile_size, conf, iou)
    done = 0
    for batch in tiles.batches(batch_size):
        if is_cancelled():
            raise CancelledError("Cancelled during building detection.")
        rgb, valid = read_tiles(raster, grid, batch, tile_size)
        live = valid.reshape(len(valid), -1).any(axis=1)
        if live.any():
            found.add([t for t, v in zip(batch, live) if v], valid[live], model.predict_detection(rgb[live]))
        done += len(batch)
        on_batch(done, tiles.count)
    return found.merged(), tiles.count


def box_polygons(xyxy: np.ndarray, geotransform: GeoTransform) -> List[Polygon]:
    """Boxes in pixels of a grid -> polygons in that grid's output coordinates (rotation included)."""
    gt = geotransform

    def point(col: float, row: float) -> Tuple[float, float]:
        return gt[0] + col * gt[1] + row * gt[2], gt[3] + col * gt[4] + row * gt[5]

    return [Polygon([point(x0, y0), point(x1, y0), point(x1, y1), point(x0, y1)]) for x0, y0, x1, y1 in xyxy]


def check_detector(model) -> None:
    """A clear error when the detection model is not a box detector (nor a segmentor that detects)."""
    if model.metadata.model_type != "detector" and not model.detects_while_segmenting:
        raise ModelError(f"Detection model {model.name} is a {model.metadata.model_type} model; the detection model "
                         f"must have metadata model_type 'Detector' and output boxes [N, boxes, 5 + classes] "
                         f"(or be a segmentor whose metadata names its boxes in 'detection_output').")
    model.require_detection_output()


def resolve_thresholds(metadata, det_conf: Optional[float], det_iou: Optional[float]) -> Tuple[float, float]:
    """The run's confidence and NMS IoU: the parameters where set (> 0), else the model's metadata."""
    conf = det_conf if det_conf else metadata.det_conf
    iou = det_iou if det_iou else metadata.det_iou_thresh
    return float(conf), float(iou)


def work_to_window_px(xyxy: np.ndarray, grid: WorkGrid) -> np.ndarray:
    """Work-grid pixel boxes -> pixel boxes of the raster window (the probability raster's grid)."""
    return xyxy * grid.raster_px_per_work_px


@dataclass
class DetectionStage:
    """What the pipeline keeps of the detection run: boxes in pixels of the raster window, and counts."""
    window_xyxy: np.ndarray
    score: np.ndarray
    tiles: int

    def __len__(self) -> int:
        return len(self.score)


def run_detection(raster, window, gsd_m: float, model, batch_size: int, det_conf: Optional[float],
                  det_iou: Optional[float], log: Callable[[str], None], progress: Callable[[int, int], None],
                  is_cancelled: CancelCallback) -> DetectionStage:
    """Detect buildings over the raster window at the detector's own GSD and tile size."""
    conf, iou = resolve_thresholds(model.metadata, det_conf, det_iou)
    grid = plan_work_grid(window, gsd_m, model.metadata.gsd_m, model.metadata.tile_size)
    detections, tiles = detect(raster, grid, model, batch_size, conf, iou, progress, is_cancelled)
    log(f"Detection model {model.name}: {len(detections)} buildings in {tiles} tiles "
        f"(confidence >= {conf:g}, NMS IoU {iou:g})")
    return DetectionStage(work_to_window_px(detections.xyxy, grid), detections.score, tiles)
