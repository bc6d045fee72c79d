"""Probability raster -> building polygons with ground area, perimeter and score.

Everything here streams: the mask is thresholded window by window, GDAL polygonizes the
whole mask in one scanline pass (so a building across tile seams is one polygon; GDAL
holds a few rows and the outlines still open, not the mask), and features are cleaned
and measured one at a time.
"""
from dataclasses import dataclass
from typing import Iterator, List, Optional

import numpy as np
from osgeo import gdal, ogr
from shapely import wkb
from shapely.affinity import affine_transform
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import make_valid

from .errors import CancelledError
from .gdal_calls import gdal_call, gdal_progress, gdal_release
from .outline_scores import mean_probabilities, ring_edges
from .params import CancelCallback
from .probability import GTIFF_BLOCK_PX, create_geotiff, threshold_level
from .raster import GeoTransform

# Douglas-Peucker tolerance in pixels: removes the staircase of pixel edges, keeps corners.
SIMPLIFY_PX = 0.7
MIN_PART_PX = 1.0
WINDOW_COLS = 16 * GTIFF_BLOCK_PX  # columns thresholded at once
POLYGON_LAYER = "mask_polygons"
MEASURE_BATCH = 512  # outlines measured per GroundAreaCalculator call (its PROJ work is vectorised)


@dataclass
class Building:
    geometry: BaseGeometry  # (Multi)Polygon in the raster's CRS (for a raster without one: what QGIS shows)
    area_m2: float
    perimeter_m: float
    score: float       # mean building probability inside the polygon, 0..1
    area_reg_m2: Optional[float] = None  # the regularized outline's area, when the geometry is that outline


def threshold_mask(prob_path: str, mask_path: str, threshold: float, is_cancelled: CancelCallback) -> None:
    """Write a 0/1 mask of probability >= threshold, in pixel coordinates (no geotransform).

    Window by window (one block row by WINDOW_COLS columns), so memory does not grow with the raster.
    """
    src = gdal.Open(prob_path)
    band = src.GetRasterBand(1)
    width, height = src.RasterXSize, src.RasterYSize
    mask = create_geotiff(mask_path, width, height)
    mask_band = mask.GetRasterBand(1)
    level = threshold_level(threshold)
    for row in range(0, height, GTIFF_BLOCK_PX):
        if is_cancelled():
            raise CancelledError("Cancelled while thresholding the probability.")
        rows = min(GTIFF_BLOCK_PX, height - row)
        for col in range(0, width, WINDOW_COLS):
            cols = min(WINDOW_COLS, width - col)
            window = band.ReadAsArray(col, row, cols, rows)
            gdal_call(f"write {mask_path}", mask_band.WriteArray, (window >= level).astype(np.uint8), col, row)

    def release():
        nonlocal mask, mask_band
        mask = mask_band = None
    gdal_release(f"write {mask_path}", release)


def polygonize(mask_path: str, polygons_path: str, is_cancelled: CancelCallback) -> None:
    """8-connected polygons of the mask's 1-pixels, in pixel coordinates, into a GeoPackage layer."""
    mask = gdal.Open(mask_path)
    band = mask.GetRasterBand(1)
    out = gdal_call(f"create {polygons_path}", ogr.GetDriverByName("GPKG").CreateDataSource, polygons_path)
    layer = out.CreateLayer(POLYGON_LAYER, geom_type=ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("value", ogr.OFTInteger))
    layer.StartTransaction()  # one transaction: GeoPackage inserts are slow one by one
    # The mask is its own mask band: 0-pixels make no polygons.
    gdal_call("polygonize the building mask", gdal.Polygonize, band, band, layer, 0, ["8CONNECTED=8"],
              callback=gdal_progress(is_cancelled), is_cancelled=is_cancelled)
    gdal_call(f"save the outlines in {polygons_path}", layer.CommitTransaction)

    def release():
        nonlocal layer, out
        layer = out = None
    gdal_release(f"write {polygons_path}", release)


def count_polygons(polygons_path: str) -> int:
    polygons = ogr.Open(polygons_path)  # held: GDAL 3.6 layers die with their dataset
    return polygons.GetLayerByName(POLYGON_LAYER).GetFeatureCount()


def clean(pixel_outline: BaseGeometry) -> Optional[BaseGeometry]:
    """One polygonized outline simplified and made valid (holes kept), or None if nothing is left.

    An 8-connected outline touching itself at a corner becomes a MultiPolygon: still one
    building. Parts under MIN_PART_PX² are slivers left by simplification.
    """
    valid = make_valid(pixel_outline.simplify(SIMPLIFY_PX, preserve_topology=True))
    parts = [p for p in getattr(valid, "geoms", [valid]) if isinstance(p, Polygon) and p.area >= MIN_PART_PX]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def centres_inside(polygon: BaseGeometry, x0: int, y0: int, width: int, height: int) -> np.ndarray:
    """bool [height, width]: which pixels of the window at (x0, y0) have their centre inside the pixel-space polygon.

    Even-odd crossing count of every ring's edges along each row of centres (a scanline
    fill): a GEOS point-in-polygon test per pixel cost a noticeable share of a dense
    town's run time.
    """
    start, end, _ = ring_edges([polygon])
    (xa, ya), (xb, yb) = start.T, end.T
    yc = (y0 + 0.5 + np.arange(height))[:, None]             # [H, 1]
    rows, edges = np.nonzero((ya <= yc) != (yb <= yc))        # the edge spans the row's centre line
    x_cross = xa[edges] + (yc[rows, 0] - ya[edges]) * (xb[edges] - xa[edges]) / (yb[edges] - ya[edges])
    # Every centre right of a crossing flips parity: count flips per row with a running sum.
    first_right = np.clip(np.floor(x_cross - x0 - 0.5).astype(np.int64) + 1, 0, width)
    flips = np.zeros((height, width + 1), np.int32)
    np.add.at(flips, (rows, first_right), 1)
    return np.cumsum(flips[:, :width], axis=1) % 2 == 1


def mean_probability(band: gdal.Band, polygon: BaseGeometry) -> float:
    """Mean probability (0..1) of the pixels whose centres fall inside the pixel-space polygon (see outline_scores)."""
    return float(mean_probabilities(band, [polygon])[0])


def iter_buildings(polygons_path: str, prob_path: str, geotransform: GeoTransform, calculator,
                   min_area_m2: float, is_cancelled: CancelCallback) -> Iterator[Building]:
    """Cleaned, measured buildings of at least ``min_area_m2``, in the polygonizer's order.

    geotransform maps the probability raster's pixels to output coordinates; calculator
    (a GroundAreaCalculator for those coordinates) measures MEASURE_BATCH outlines per call.
    """
    polygons, prob = ogr.Open(polygons_path), gdal.Open(prob_path)  # held: layers/bands die with them
    layer, prob_band = polygons.GetLayerByName(POLYGON_LAYER), prob.GetRasterBand(1)
    to_output = [geotransform[1], geotransform[2], geotransform[4], geotransform[5],
                 geotransform[0], geotransform[3]]
    batch: List[BaseGeometry] = []
    for feature in layer:
        outline = clean(wkb.loads(bytes(feature.GetGeometryRef().ExportToWkb())))
        if outline is not None:
            batch.append(outline)
        if len(batch) >= MEASURE_BATCH:
            yield from _measure(batch, to_output, calculator, min_area_m2, prob_band)
            batch = []
            if is_cancelled():
                raise CancelledError("Cancelled while measuring buildings.")
    yield from _measure(batch, to_output, calculator, min_area_m2, prob_band)


def _measure(pixel_polygons: List[BaseGeometry], to_output, calculator, min_area_m2: float,
             prob_band: gdal.Band) -> Iterator[Building]:
    geometries = [affine_transform(p, to_output) for p in pixel_polygons]
    if not geometries:
        return
    areas, perimeters = calculator.areas_perimeters(geometries)
    kept = np.flatnonzero(areas >= min_area_m2)
    scores = mean_probabilities(prob_band, [pixel_polygons[i] for i in kept])
    for i, score in zip(kept, scores):
        yield Building(geometries[i], float(areas[i]), float(perimeters[i]), float(score))
