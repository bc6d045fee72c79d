"""Ground areas (m²) and perimeters (m) of building polygons in output coordinates.

Planar areas in EPSG:3857 or in degrees are wrong by large factors, so georeferenced
polygons are measured geodesically on the ellipsoid of the CRS's datum (WGS 84 for
EPSG:3857/4326/UTM). Many polygons are measured together:
their rings are concatenated into one coordinate array, densified and reprojected in
a few numpy/PROJ calls; only the per-ring geodesic area call loops in Python.
"""
import math
from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence, Tuple

import numpy as np
import pyproj
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from .errors import ParameterError
from .gsd import geodetic_frame
from .params import GroundSampling
from .raster import has_geotransform

# Edges longer than this many pixels are split before measuring geodesically: a straight
# edge in a projection (or in degrees) is not a geodesic, and the difference grows with
# the square of the edge length. Building edges are shorter; extents get densified.
DENSIFY_PX = 100


@dataclass
class _Rings:
    """All rings of many polygons, one after another (each ring closed, as shapely gives it)."""
    xy: np.ndarray          # [n, 2] vertices
    ring_id: np.ndarray     # [n] ring of each vertex, ascending
    owner: np.ndarray       # [rings] index of the input geometry owning each ring
    is_hole: np.ndarray     # [rings] interior ring


def _polygons(geom: BaseGeometry) -> List[Polygon]:
    if geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, MultiPolygon):
        return list(geom.geoms)
    raise TypeError(f"Expected a Polygon or MultiPolygon, got {geom.geom_type}")


def _collect_rings(geoms: Iterable[BaseGeometry]) -> _Rings:
    coords: List[np.ndarray] = []
    owner: List[int] = []
    is_hole: List[bool] = []
    for index, geom in enumerate(geoms):
        for polygon in _polygons(geom):
            for ring_number, ring in enumerate((polygon.exterior, *polygon.interiors)):
                coords.append(np.asarray(ring.coords, dtype=float)[:, :2])
                owner.append(index)
                is_hole.append(ring_number > 0)
    if not coords:
        empty = np.zeros(0, dtype=int)
        return _Rings(np.zeros((0, 2)), empty, empty, np.zeros(0, dtype=bool))
    lengths = [len(c) for c in coords]
    ring_id = np.repeat(np.arange(len(coords)), lengths)
    return _Rings(np.concatenate(coords), ring_id, np.asarray(owner), np.asarray(is_hole))


def _densify(xy: np.ndarray, ring_id: np.ndarray, max_length: float) -> Tuple[np.ndarray, np.ndarray]:
    """Insert evenly spaced vertices so that no edge is longer than max_length."""
    if len(xy) < 2:
        return xy, ring_id
    step = xy[1:] - xy[:-1]
    same_ring = ring_id[1:] == ring_id[:-1]
    pieces = np.where(same_ring, np.ceil(np.hypot(step[:, 0], step[:, 1]) / max_length), 1).astype(int)
    pieces = np.append(np.maximum(pieces, 1), 1)  # the last vertex is kept as is
    if np.all(pieces == 1):
        return xy, ring_id
    source = np.repeat(np.arange(len(xy)), pieces)
    first_of_source = np.repeat(np.cumsum(pieces) - pieces, pieces)
    fraction = (np.arange(len(source)) - first_of_source) / pieces[source]
    step = np.vstack([step, np.zeros((1, 2))])
    return xy[source] + step[source] * fraction[:, None], ring_id[source]


def _planar_ring_measures(xy: np.ndarray, ring_id: np.ndarray, n_rings: int) -> Tuple[np.ndarray, np.ndarray]:
    """Unsigned shoelace area and perimeter of every ring."""
    same_ring = ring_id[1:] == ring_id[:-1]
    x0, y0, x1, y1 = xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1]
    cross = np.where(same_ring, x0 * y1 - x1 * y0, 0.0)
    length = np.where(same_ring, np.hypot(x1 - x0, y1 - y0), 0.0)
    area = np.abs(np.bincount(ring_id[:-1], weights=cross, minlength=n_rings)) / 2.0
    perimeter = np.bincount(ring_id[:-1], weights=length, minlength=n_rings)
    return area, perimeter


def _inverse_affine(geotransform: Sequence[float]) -> np.ndarray:
    """2x3 matrix mapping output coordinates (x, y, 1) to pixel (col, row)."""
    gt = [float(v) for v in geotransform]
    forward = np.array([[gt[1], gt[2], gt[0]], [gt[4], gt[5], gt[3]], [0.0, 0.0, 1.0]])
    if abs(np.linalg.det(forward)) == 0:
        raise ParameterError(f"Degenerate geotransform {tuple(gt)}: pixel size is zero.")
    return np.linalg.inv(forward)[:2]


class GroundAreaCalculator:
    """Measures polygons given in output coordinates (CRS units, or x = col, y = -row).

    Georeferenced on a datum: reprojected to lon/lat and measured geodesically on the
    datum's ellipsoid (see gsd.geodetic_frame); gsd is not used. Otherwise (no
    georeferencing, local CRS): converted to pixel coordinates and scaled by gsd.x_m
    along columns and gsd.y_m along rows, which gives area_px * x_m * y_m and an exact
    perimeter even for anisotropic pixels.
    Holes are subtracted from areas; their boundaries count in perimeters.
    """

    def __init__(self, crs_wkt: str, geotransform: Sequence[float], gsd: GroundSampling) -> None:
        self._gsd = gsd
        self._to_pixels = _inverse_affine(geotransform)
        gt = geotransform
        self._max_segment = DENSIFY_PX * min(math.hypot(gt[1], gt[4]), math.hypot(gt[2], gt[5]))
        self._frame = self._usable_frame(crs_wkt, geotransform)

    @staticmethod
    def _usable_frame(crs_wkt: str, geotransform: Sequence[float]
                      ) -> Optional[Tuple[pyproj.Transformer, pyproj.Geod]]:
        """The CRS's lon/lat transformer and ellipsoid, if the grid origin lies in its domain."""
        if not has_geotransform(geotransform):
            return None  # a CRS alone does not place pixel coordinates on the Earth
        frame = geodetic_frame(crs_wkt)
        if frame is None:
            return None
        lon, lat = frame[0].transform(geotransform[0], geotransform[3], errcheck=False)
        return frame if math.isfinite(lon) and math.isfinite(lat) else None

    @property
    def is_geodesic(self) -> bool:
        """True when areas are measured on the ellipsoid, False when planar x GSD."""
        return self._frame is not None

    def area_perimeter(self, geom: BaseGeometry) -> Tuple[float, float]:
        """(area m², perimeter m) of one Polygon or MultiPolygon."""
        areas, perimeters = self.areas_perimeters([geom])
        return float(areas[0]), float(perimeters[0])

    def areas_perimeters(self, geoms: Sequence[BaseGeometry]) -> Tuple[np.ndarray, np.ndarray]:
        """Areas (m²) and perimeters (m) of many polygons at once, as float arrays."""
        rings = _collect_rings(geoms)
        n_rings = len(rings.owner)
        if n_rings == 0:
            return np.zeros(len(geoms)), np.zeros(len(geoms))
        if self._frame is not None:
            ring_area, ring_perimeter = self._geodesic_ring_measures(rings, n_rings)
        else:
            ring_area, ring_perimeter = self._pixel_scaled_ring_measures(rings, n_rings)
        signed = np.where(rings.is_hole, -ring_area, ring_area)
        areas = np.bincount(rings.owner, weights=signed, minlength=len(geoms))
        perimeters = np.bincount(rings.owner, weights=ring_perimeter, minlength=len(geoms))
        return np.maximum(areas, 0.0), perimeters

    def _pixel_scaled_ring_measures(self, rings: _Rings, n_rings: int) -> Tuple[np.ndarray, np.ndarray]:
        pixels = rings.xy @ self._to_pixels[:, :2].T + self._to_pixels[:, 2]
        metres = pixels * np.array([self._gsd.x_m, self._gsd.y_m])
        return _planar_ring_measures(metres, rings.ring_id, n_rings)

    def _geodesic_ring_measures(self, rings: _Rings, n_rings: int) -> Tuple[np.ndarray, np.ndarray]:
        transformer, geod = self._frame
        xy, ring_id = _densify(rings.xy, rings.ring_id, self._max_segment)
        lon, lat = transformer.transform(xy[:, 0], xy[:, 1], errcheck=False)
        bounds = np.searchsorted(ring_id, np.arange(n_rings + 1))
        area = np.empty(n_rings)
        perimeter = np.empty(n_rings)
        for ring in range(n_rings):
            start, end = bounds[ring], bounds[ring + 1]
            ring_area, perimeter[ring] = geod.polygon_area_perimeter(lon[start:end], lat[start:end])
            area[ring] = abs(ring_area)
        return area, perimeter
