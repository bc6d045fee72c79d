"""Fusion of segmentation and detection: detection boxes split merged segmentation blobs into buildings.

Segmentation merges touching roofs into one blob. A blob that holds two or more detection
boxes is split by a marker-based watershed on the building probability, computed only in
the blob's bounding-box window of the probability raster (never the whole raster):

- markers: the blob's pixels inside exactly one box get that box's label; pixels outside
  the blob are background;
- the rest of the blob (pixels in several boxes or in none) is flooded from the markers on
  the elevation 255 - probability, so the split follows the low-probability gaps between
  roofs where there are any;
- each label becomes its own polygon, measured on the ground like any building.

A blob with fewer than two boxes comes out unchanged.
"""
import math
from collections import defaultdict
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

import cv2
import numpy as np
from osgeo import gdal, ogr
from shapely import wkb
from shapely.affinity import affine_transform
from shapely.geometry import MultiPolygon, box as shapely_box
from shapely.geometry.base import BaseGeometry

from .errors import CancelledError
from .params import CancelCallback
from .raster import GeoTransform
from .vectorize import Building, centres_inside, clean, mean_probability

# A box belongs to a blob when at least this share of its area lies inside the blob.
MEMBER_SHARE = 0.5
INDEX_CELL_PX = 64.0
MAX_FILL_ITERATIONS = 64


class BoxIndex:
    """Boxes (pixel xyxy) bucketed on a coarse grid, for finding the boxes near a polygon."""

    def __init__(self, xyxy: np.ndarray, cell: float = INDEX_CELL_PX):
        self.xyxy = np.asarray(xyxy, np.float64).reshape(-1, 4)
        self._cell = cell
        self._cells: Dict[Tuple[int, int], List[int]] = defaultdict(list)
        for i, (x0, y0, x1, y1) in enumerate(self.xyxy):
            for cx in range(math.floor(x0 / cell), math.floor(x1 / cell) + 1):
                for cy in range(math.floor(y0 / cell), math.floor(y1 / cell) + 1):
                    self._cells[(cx, cy)].append(i)

    def query(self, bounds: Tuple[float, float, float, float]) -> np.ndarray:
        """Indices of the boxes overlapping bounds (minx, miny, maxx, maxy)."""
        minx, miny, maxx, maxy = bounds
        found = {i for cx in range(math.floor(minx / self._cell), math.floor(maxx / self._cell) + 1)
                 for cy in range(math.floor(miny / self._cell), math.floor(maxy / self._cell) + 1)
                 for i in self._cells.get((cx, cy), ())}
        if not found:
            return np.zeros(0, int)
        idx = np.fromiter(sorted(found), int)
        b = self.xyxy[idx]
        overlap = (b[:, 0] < maxx) & (b[:, 2] > minx) & (b[:, 1] < maxy) & (b[:, 3] > miny)
        return idx[overlap]


def member_boxes(pixel_polygon: BaseGeometry, index: BoxIndex) -> np.ndarray:
    """The boxes (pixel xyxy [k, 4]) of which at least MEMBER_SHARE lies inside the polygon."""
    candidates = index.query(pixel_polygon.bounds)
    members = []
    for i in candidates:
        box = shapely_box(*index.xyxy[i])
        if box.area > 0 and pixel_polygon.intersection(box).area >= MEMBER_SHARE * box.area:
            members.append(i)
    return index.xyxy[np.asarray(members, int)]


def split_labels(prob: np.ndarray, mask: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Watershed labels int32 [h, w] of one blob: 0 outside the mask, 1..k for box k.

    prob: uint8 probability x 255 [h, w]; mask: bool [h, w], the blob; boxes: xyxy [k, 4]
    in the window's pixel coordinates (pixel centres at +0.5).
    """
    h, w = mask.shape
    k = len(boxes)
    # Per pixel: how many boxes hold its centre, and the last of them (O(h x w) memory for any k).
    count = np.zeros((h, w), np.int32)
    owner = np.zeros((h, w), np.int32)
    spans = [_pixel_span(x0, x1, w) + _pixel_span(y0, y1, h) for x0, y0, x1, y1 in boxes]
    for label, (c0, c1, r0, r1) in enumerate(spans, start=1):
        count[r0:r1, c0:c1] += 1
        owner[r0:r1, c0:c1] = label
    exclusive = mask & (count == 1)
    background = k + 1
    markers = np.zeros((h + 2, w + 2), np.int32)  # a 1-pixel frame: cv2.watershed marks the image border -1
    markers[:] = background
    inner = markers[1:-1, 1:-1]
    inner[mask] = 0
    inner[exclusive] = owner[exclusive]
    for label, (c0, c1, r0, r1) in enumerate(spans, start=1):
        if c1 > c0 and r1 > r0 and not (inner[r0:r1, c0:c1] == label).any():
            # A box overlapped everywhere by others still seeds its centre pixel.
            row, col = min(h - 1, (r0 + r1) // 2), min(w - 1, (c0 + c1) // 2)
            if mask[row, col]:
                inner[row, col] = label
    elevation = np.full((h + 2, w + 2), 255, np.uint8)
    elevation[1:-1, 1:-1] = 255 - prob
    cv2.watershed(cv2.merge([elevation, elevation, elevation]), markers)
    labels = markers[1:-1, 1:-1].copy()
    labels[~mask] = 0
    return _fill_unresolved(labels, mask, background)


def _pixel_span(lo: float, hi: float, size: int) -> Tuple[int, int]:
    """The pixels [first, last) whose centres (i + 0.5) lie in [lo, hi), clipped to 0..size."""
    first = min(size, max(0, math.ceil(lo - 0.5)))
    last = min(size, max(0, math.ceil(hi - 0.5)))
    return first, max(first, last)


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


def label_polygons(labels: np.ndarray, x0: int, y0: int) -> Dict[int, BaseGeometry]:
    """Pixel-edge polygons of each label (offset by the window origin), in the raster window's pixels."""
    h, w = labels.shape
    ds = gdal.GetDriverByName("MEM").Create("", w, h, 1, gdal.GDT_Int32)
    ds.SetGeoTransform((x0, 1.0, 0.0, y0, 0.0, 1.0))
    band = ds.GetRasterBand(1)
    band.WriteArray(labels)
    mask_ds = gdal.GetDriverByName("MEM").Create("", w, h, 1, gdal.GDT_Byte)
    mask_band = mask_ds.GetRasterBand(1)
    mask_band.WriteArray((labels > 0).astype(np.uint8))
    vector = ogr.GetDriverByName("Memory").CreateDataSource("")
    layer = vector.CreateLayer("labels", geom_type=ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("label", ogr.OFTInteger))
    gdal.Polygonize(band, mask_band, layer, 0, ["8CONNECTED=8"])
    parts: Dict[int, List[BaseGeometry]] = defaultdict(list)
    for feature in layer:
        parts[feature.GetField(0)].append(wkb.loads(bytes(feature.GetGeometryRef().ExportToWkb())))
    return {label: (geoms[0] if len(geoms) == 1 else MultiPolygon(
        [p for g in geoms for p in getattr(g, "geoms", [g])])) for label, geoms in parts.items()}


def split_blob(prob_band: gdal.Band, pixel_polygon: BaseGeometry, boxes: np.ndarray) -> List[BaseGeometry]:
    """One blob (pixel polygon on the probability raster) split by its boxes: cleaned pixel polygons."""
    minx, miny, maxx, maxy = pixel_polygon.bounds
    x0, y0 = max(0, math.floor(minx)), max(0, math.floor(miny))
    x1, y1 = min(prob_band.XSize, math.ceil(maxx)), min(prob_band.YSize, math.ceil(maxy))
    if x1 <= x0 or y1 <= y0:
        return [pixel_polygon]
    prob = prob_band.ReadAsArray(x0, y0, x1 - x0, y1 - y0).astype(np.uint8)
    mask = centres_inside(pixel_polygon, x0, y0, x1 - x0, y1 - y0)
    local = boxes - np.array([x0, y0, x0, y0], np.float64)
    labels = split_labels(prob, mask, local)
    pieces = [clean(geometry) for _, geometry in sorted(label_polygons(labels, x0, y0).items())]
    pieces = [p for p in pieces if p is not None]
    return pieces or [pixel_polygon]


def split_buildings(buildings: Iterable[Building], boxes_px: np.ndarray, prob_path: str, geotransform: GeoTransform,
                    calculator, min_area_m2: float, is_cancelled: CancelCallback) -> Iterator[Building]:
    """Buildings with every blob holding two or more boxes split into one building per box.

    boxes_px: detection boxes xyxy in pixels of the probability raster; geotransform maps
    those pixels to output coordinates (the buildings' coordinates).
    """
    index = BoxIndex(boxes_px)
    prob = gdal.Open(prob_path)  # held: the band dies with its dataset
    band = prob.GetRasterBand(1)
    to_output = [geotransform[1], geotransform[2], geotransform[4], geotransform[5], geotransform[0], geotransform[3]]
    to_pixels = _inverse(geotransform)
    for building in buildings:
        if len(index.xyxy) < 2:
            yield building
            continue
        pixel_polygon = affine_transform(building.geometry, to_pixels)
        members = member_boxes(pixel_polygon, index)
        if len(members) < 2:
            yield building
            continue
        if is_cancelled():
            raise CancelledError("Cancelled while splitting buildings by their detections.")
        pieces = split_blob(band, pixel_polygon, members)
        geometries = [affine_transform(p, to_output) for p in pieces]
        areas, perimeters = calculator.areas_perimeters(geometries)
        for pixel_piece, geometry, area, perimeter in zip(pieces, geometries, areas, perimeters):
            if area >= min_area_m2:
                yield Building(geometry, float(area), float(perimeter), mean_probability(band, pixel_piece))


def _inverse(gt: GeoTransform) -> List[float]:
    inverse: Optional[Tuple[float, ...]] = gdal.InvGeoTransform(tuple(gt))
    if inverse is None:
        raise ValueError(f"geotransform {gt} cannot be inverted")
    g = inverse
    return [g[1], g[2], g[4], g[5], g[0], g[3]]
