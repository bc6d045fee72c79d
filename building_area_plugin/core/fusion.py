"""One building per real building: blobs of the building mask split by the edge output and detection boxes.

Segmentation merges touching roofs into one blob. Each blob is cut into buildings in its
own bounding-box window of the stitched probability rasters (never the whole raster; see
instances.py for the cut itself): by the model's edge probability where the model has an
edge output, and by the detection boxes where a detector ran. Without an edge output only
blobs holding two or more boxes are cut, as before the edge output existed. Every part
becomes its own polygon, measured on the ground like any building, with its own mean
probability as its score.

The thresholds come from the models' metadata (split_* of the segmentor, fusion_min_score
of the detector), in m² and probabilities, converted here to the raster's pixels and levels.
With a detector, a building that holds no box and scores under fusion_min_score is dropped.
"""
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

import numpy as np
from osgeo import gdal, ogr
from shapely import wkb
from shapely.affinity import affine_transform
from shapely.geometry import MultiPolygon, box as shapely_box
from shapely.geometry.base import BaseGeometry

from .errors import CancelledError
from .instances import SplitRules, blob_labels, centre_pixels
from .model import ModelMetadata
from .params import CancelCallback
from .probability import threshold_level
from .raster import GeoTransform
from .vectorize import Building, centres_inside, clean

# A box belongs to a blob when at least this share of its area lies inside the blob.
MEMBER_SHARE = 0.5
INDEX_CELL_PX = 64.0
# Largest blob window cut (pixels): the cut holds ~30 bytes a pixel of the window. A larger blob
# (a whole district read as one roof) stays whole, so that memory stays flat.
MAX_SPLIT_SIDE_PX = 2048
MAX_SPLIT_PX = MAX_SPLIT_SIDE_PX * MAX_SPLIT_SIDE_PX


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


@dataclass(frozen=True)
class FusionSettings:
    """The split's thresholds for one run, from the models' metadata, the raster's GSD and the minimum area."""
    rules: SplitRules
    uses_edges: bool            # the segmentor has an edge output
    has_detector: bool
    min_score: float            # with a detector: a building holding no box needs this score

    @classmethod
    def from_models(cls, segmentor: ModelMetadata, detector: Optional[ModelMetadata], pixel_m2: float,
                    min_area_m2: float, raster_gsd_m: float) -> "FusionSettings":
        """pixel_m2: the ground area of one pixel of the probability raster; raster_gsd_m: the raster's GSD."""
        uses_edges = segmentor.edge_output is not None and raster_gsd_m <= segmentor.split_max_gsd_m
        min_score = detector.fusion_min_score if detector is not None else 0.0
        rules = SplitRules(
            edge_level=threshold_level(segmentor.split_edge_thresh) if uses_edges else None,
            seed_level=threshold_level(segmentor.split_seed_prob),
            min_seed_px=math.ceil(segmentor.split_min_seed_m2 / pixel_m2),
            wall_level=threshold_level(segmentor.split_wall_prob) if uses_edges else None,
            min_part_px=math.ceil(min_area_m2 / pixel_m2),
            min_score_level=threshold_level(min_score) if min_score > 0 else 0)
        return cls(rules, uses_edges, detector is not None, min_score)

    @property
    def active(self) -> bool:
        """Whether a run has anything to cut or filter (not: no edge output and no detector)."""
        return self.uses_edges or self.has_detector

    def may_split(self, members: int, area_px: float) -> bool:
        """Whether a blob can hold two buildings: two boxes, or room for two seeds by the edges."""
        return members >= 2 or (self.uses_edges and area_px >= 2 * max(1, self.rules.min_seed_px))


@dataclass
class SplitCounts:
    """What the split did in a run (for the log)."""
    blobs_split: int = 0
    buildings_from_splits: int = 0
    too_large: int = 0
    dropped_unboxed: int = 0


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


@dataclass
class Piece:
    """One building cut from a blob: its cleaned pixel polygon, mean probability, and whether it holds a box."""
    pixel_polygon: BaseGeometry
    score: float
    boxed: bool


def split_blob(prob_band: gdal.Band, edge_band: Optional[gdal.Band], pixel_polygon: BaseGeometry,
               boxes: np.ndarray, rules: SplitRules) -> Optional[List[Piece]]:
    """One blob (pixel polygon on the probability raster) cut into buildings; None: it is one building."""
    minx, miny, maxx, maxy = pixel_polygon.bounds
    x0, y0 = max(0, math.floor(minx)), max(0, math.floor(miny))
    x1, y1 = min(prob_band.XSize, math.ceil(maxx)), min(prob_band.YSize, math.ceil(maxy))
    if x1 <= x0 or y1 <= y0:
        return None
    w, h = x1 - x0, y1 - y0
    prob = prob_band.ReadAsArray(x0, y0, w, h).astype(np.uint8)
    edge = edge_band.ReadAsArray(x0, y0, w, h).astype(np.uint8) if edge_band is not None else None
    mask = centres_inside(pixel_polygon, x0, y0, w, h)
    local = boxes - np.array([x0, y0, x0, y0], np.float64)
    labels = blob_labels(prob, mask, local, rules, edge)
    if labels is None:
        return None
    # The score is the mean probability of the part's own pixels, as a whole blob's is of its pixels.
    count = int(labels.max()) + 1
    area = np.bincount(labels.ravel(), minlength=count)
    total = np.bincount(labels.ravel(), weights=prob.ravel().astype(np.float64), minlength=count)
    boxed = np.zeros(count, bool)
    boxed[labels[centre_pixels(local, w, h)]] = True
    pieces = [Piece(clean(geometry), total[label] / (255.0 * area[label]), bool(boxed[label]))
              for label, geometry in sorted(label_polygons(labels, x0, y0).items())]
    pieces = [piece for piece in pieces if piece.pixel_polygon is not None]
    return pieces if len(pieces) >= 2 else None


def split_buildings(buildings: Iterable[Building], boxes_px: np.ndarray, prob_path: str, edge_path: Optional[str],
                    geotransform: GeoTransform, calculator, settings: FusionSettings, min_area_m2: float,
                    is_cancelled: CancelCallback, counts: Optional[SplitCounts] = None) -> Iterator[Building]:
    """Buildings with every blob cut into its buildings (see the module's docstring).

    boxes_px: detection boxes xyxy in pixels of the probability raster (none without a
    detector); geotransform maps those pixels to output coordinates (the buildings'
    coordinates); edge_path: the stitched edge probability on the same grid, or None.
    """
    counts = counts if counts is not None else SplitCounts()
    index = BoxIndex(boxes_px)
    prob = gdal.Open(prob_path)  # held: the band dies with its dataset
    edge = gdal.Open(edge_path) if edge_path and settings.uses_edges else None
    prob_band, edge_band = prob.GetRasterBand(1), edge.GetRasterBand(1) if edge is not None else None
    to_output = [geotransform[1], geotransform[2], geotransform[4], geotransform[5], geotransform[0], geotransform[3]]
    to_pixels = _inverse(geotransform)
    for building in buildings:
        pixel_polygon = affine_transform(building.geometry, to_pixels)
        members = member_boxes(pixel_polygon, index) if len(index.xyxy) else index.xyxy
        pieces = None
        if settings.may_split(len(members), pixel_polygon.area):
            if _window_px(pixel_polygon) > MAX_SPLIT_PX:
                counts.too_large += 1
            else:
                if is_cancelled():
                    raise CancelledError("Cancelled while splitting buildings.")
                pieces = split_blob(prob_band, edge_band, pixel_polygon, members, settings.rules)
        if pieces is None:
            if _kept(building.score, len(members) > 0, settings, counts):
                yield building
            continue
        counts.blobs_split += 1
        geometries = [affine_transform(piece.pixel_polygon, to_output) for piece in pieces]
        areas, perimeters = calculator.areas_perimeters(geometries)
        for piece, geometry, area, perimeter in zip(pieces, geometries, areas, perimeters):
            if area >= min_area_m2 and _kept(piece.score, piece.boxed, settings, counts):
                counts.buildings_from_splits += 1
                yield Building(geometry, float(area), float(perimeter), piece.score)


def _kept(score: float, boxed: bool, settings: FusionSettings, counts: SplitCounts) -> bool:
    """With a detector, a building holding no box needs fusion_min_score; without one every building is kept."""
    if settings.has_detector and not boxed and score < settings.min_score:
        counts.dropped_unboxed += 1
        return False
    return True


def _window_px(pixel_polygon: BaseGeometry) -> float:
    minx, miny, maxx, maxy = pixel_polygon.bounds
    return (math.ceil(maxx) - math.floor(minx)) * (math.ceil(maxy) - math.floor(miny))


def _inverse(gt: GeoTransform) -> List[float]:
    inverse: Optional[Tuple[float, ...]] = gdal.InvGeoTransform(tuple(gt))
    if inverse is None:
        raise ValueError(f"geotransform {gt} cannot be inverted")
    g = inverse
    return [g[1], g[2], g[4], g[5], g[0], g[3]]
