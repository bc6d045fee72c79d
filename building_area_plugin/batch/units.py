"""The plan of a batch run: rasters checked, mosaics found, work units cut.

**Mosaics.** Georeferenced rasters on one pixel grid (same CRS, pixel size and bands, origins a
whole number of pixels apart, no rotation) whose extents touch or overlap are tiles of one
mosaic. They are read through one VRT (in the run's work folder), so a unit near a tile's edge
sees its neighbour's pixels, and every tile's units share one pixel space, in which the pieces of
a building cut by the seams are merged (merge.py). Where tiles overlap, the later one in the
VRT's order (sorted paths) owns the overlap, as the VRT shows it.

**Units.** A tile (or a lone raster) is one unit, or, when wider or taller than the window,
several windows of about window_px a side. A unit owns its core pixels; the pipeline runs on the
core grown by margin_px (within the dataset), so the model sees past the core's edges.
"""
import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from osgeo import gdal, osr
from shapely.geometry import box
from shapely.ops import unary_union

from ..core.errors import BuildingAreaError, InputRasterError, one_line
from ..core.gsd import gsd_from_georeferencing
from ..core.raster import RasterSource, has_geotransform
from .params import BatchParams, Unit

PLAN_VERSION = 1          # part of every unit's id: a change of the plan's rules redoes the units
GRID_TOLERANCE_PX = 1e-3  # origins this close to a whole number of pixels apart share a grid


@dataclass
class RasterInfo:
    path: str
    error: str = ""
    width: int = 0
    height: int = 0
    band_count: int = 0
    data_types: Tuple[int, ...] = ()
    crs_wkt: str = ""
    geotransform: Tuple[float, ...] = ()         # GDAL's
    output_geotransform: Tuple[float, ...] = ()  # where outputs are drawn (QGIS's convention without one)
    georeferenced: bool = False                   # a real geotransform
    palette: bool = False
    alpha_band: Optional[int] = None
    nodata: Tuple[Optional[float], ...] = ()
    rgb_bands: Tuple[int, ...] = ()
    size_bytes: int = 0
    mtime_ns: int = 0

    @property
    def rotated(self) -> bool:
        return bool(self.geotransform) and (self.geotransform[2] != 0 or self.geotransform[4] != 0)

    def identity(self) -> list:
        """What a unit's result depends on of this file (a changed file is processed again)."""
        return [self.path, self.size_bytes, self.mtime_ns]


def inspect_raster(path: str) -> RasterInfo:
    """Open the raster as the pipeline will (a missing, corrupt or truncated file fails here) and note its grid."""
    try:
        with RasterSource(path) as raster:
            info = RasterInfo(
                path=path, width=raster.width, height=raster.height, band_count=raster.band_count,
                crs_wkt=raster.crs_wkt, geotransform=tuple(raster.geotransform),
                output_geotransform=tuple(raster.output_geotransform),
                georeferenced=has_geotransform(raster.geotransform), palette=raster.palette_band is not None,
                alpha_band=raster.alpha_band, nodata=tuple(raster.nodata), rgb_bands=tuple(raster.rgb_bands))
            dataset = gdal.Open(path)
            info.data_types = tuple(dataset.GetRasterBand(i).DataType for i in range(1, dataset.RasterCount + 1))
            dataset = None
    except BuildingAreaError as error:
        return RasterInfo(path=path, error=str(error))
    try:
        stat = os.stat(path)
        info.size_bytes, info.mtime_ns = stat.st_size, stat.st_mtime_ns
    except OSError:
        pass  # a /vsi... name: its identity is its name
    return info


def _crs_key(crs_wkt: str) -> str:
    srs = osr.SpatialReference()
    if srs.ImportFromWkt(crs_wkt) != 0:
        return crs_wkt
    srs.AutoIdentifyEPSG()
    name, code = srs.GetAuthorityName(None), srs.GetAuthorityCode(None)
    return f"{name}:{code}" if name and code else srs.ExportToWkt()


def _phase(origin: float, step: float) -> float:
    """Where the origin falls within a pixel of this size, in [0, 1), at GRID_TOLERANCE_PX."""
    position = origin / step
    phase = round(position - math.floor(position), 3)
    return 0.0 if phase >= 1.0 else phase


def grid_key(info: RasterInfo) -> Optional[tuple]:
    """Rasters with equal keys lie on one pixel grid and read alike; None for a raster that is never a tile."""
    if info.error or not info.georeferenced or not info.crs_wkt or info.rotated or info.palette:
        return None
    gt = info.geotransform
    return (_crs_key(info.crs_wkt), round(gt[1], 9), round(gt[5], 9), _phase(gt[0], gt[1]), _phase(gt[3], gt[5]),
            info.band_count, info.data_types, info.alpha_band, info.nodata, info.rgb_bands)


def _pixel_rect(info: RasterInfo, origin: Tuple[float, float]) -> Tuple[int, int, int, int]:
    """(col0, row0, col1, row1) of the raster on the grid whose pixel (0, 0) starts at origin."""
    gt = info.geotransform
    col = round((gt[0] - origin[0]) / gt[1])
    row = round((gt[3] - origin[1]) / gt[5])
    return col, row, col + info.width, row + info.height


def _touch(a: Tuple[int, int, int, int], b: Tuple[int, int, int, int]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _overlap(a: Tuple[int, int, int, int], b: Tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def mosaic_groups(infos: Sequence[RasterInfo]) -> List[List[RasterInfo]]:
    """The rasters grouped into mosaics (connected by touching extents on one grid); a lone raster is a group of one.

    Groups come in the order of their first raster; members in sorted path order (the VRT's).
    """
    by_key: Dict[tuple, List[int]] = {}
    for index, info in enumerate(infos):
        key = grid_key(info)
        by_key.setdefault(key if key is not None else ("alone", index), []).append(index)
    parent = list(range(len(infos)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for key, members in by_key.items():
        if key[0] == "alone" or len(members) < 2:
            continue
        origin = (infos[members[0]].geotransform[0], infos[members[0]].geotransform[3])
        rects = {i: _pixel_rect(infos[i], origin) for i in members}
        cell = max(max(r[2] - r[0], r[3] - r[1]) for r in rects.values())
        buckets: Dict[Tuple[int, int], List[int]] = {}
        for i, rect in rects.items():  # a spatial hash: only rasters in neighbouring cells can touch
            for cx in range(rect[0] // cell, rect[2] // cell + 1):
                for cy in range(rect[1] // cell, rect[3] // cell + 1):
                    for j in buckets.get((cx, cy), []):
                        if find(i) != find(j) and _touch(rect, rects[j]):
                            parent[find(i)] = find(j)
                    buckets.setdefault((cx, cy), []).append(i)
    groups: Dict[int, List[int]] = {}
    for index in range(len(infos)):
        groups.setdefault(find(index), []).append(index)
    ordered = sorted(groups.values(), key=min)
    return [sorted((infos[i] for i in group), key=lambda info: info.path) for group in ordered]


@dataclass
class Dataset:
    """What units read: one raster, or the VRT of a mosaic; members with their place in it."""
    path: str
    key: str
    crs_wkt: str
    output_geotransform: Tuple[float, ...]
    width: int
    height: int
    members: List[Tuple[RasterInfo, Tuple[int, int]]] = field(default_factory=list)  # (raster, (col, row) offset)
    georeferenced: bool = True

    def identity(self) -> list:
        return [[info.identity(), list(offset)] for info, offset in self.members]


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def build_mosaic(group: List[RasterInfo], folder: str) -> Dataset:
    """The VRT of a mosaic's tiles in folder (rewritten each run; named after its tiles)."""
    key = _digest([info.identity() for info in group])[:16]
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"mosaic_{key}.vrt")
    # Holes between the tiles must read as no data: an alpha band, unless the tiles bring their own
    # alpha or no-data value.
    add_alpha = group[0].alpha_band is None and all(v is None for v in group[0].nodata)
    options = gdal.BuildVRTOptions(addAlpha=add_alpha, resolution="highest")
    vrt = gdal.BuildVRT(path, [info.path for info in group], options=options)
    if vrt is None:
        raise InputRasterError(f"Could not build the mosaic of {len(group)} tiles ({one_line(gdal.GetLastErrorMsg())}).")
    gt = vrt.GetGeoTransform()
    width, height = vrt.RasterXSize, vrt.RasterYSize
    vrt = None
    origin = (gt[0], gt[3])
    members = [(info, _pixel_rect(info, origin)[:2]) for info in group]
    return Dataset(path=path, key=f"mosaic:{key}", crs_wkt=group[0].crs_wkt, output_geotransform=tuple(gt),
                   width=width, height=height, members=members)


def lone_dataset(info: RasterInfo) -> Dataset:
    return Dataset(path=info.path, key=f"raster:{_digest(info.identity())[:16]}", crs_wkt=info.crs_wkt,
                   output_geotransform=info.output_geotransform, width=info.width, height=info.height,
                   members=[(info, (0, 0))], georeferenced=info.georeferenced)


def _splits(start: int, end: int, window: int) -> List[Tuple[int, int]]:
    """[start, end) cut into the fewest near-equal pieces of at most ``window``."""
    count = max(1, math.ceil((end - start) / window))
    edges = [start + round(i * (end - start) / count) for i in range(count + 1)]
    return list(zip(edges[:-1], edges[1:]))


def pixel_ground_area_m2(dataset: Dataset, gsd_m: Optional[float]) -> float:
    """About the ground area of one pixel (for progress in km²); 0 when unknown (the model will tell)."""
    if gsd_m:
        return gsd_m * gsd_m
    if not dataset.georeferenced:
        return 0.0
    gsd = gsd_from_georeferencing(dataset.crs_wkt, dataset.output_geotransform, dataset.width, dataset.height)
    return gsd.x_m * gsd.y_m if gsd is not None else 0.0


def settings_digest(params: BatchParams) -> str:
    """The settings a unit's buildings depend on, models by file identity (a changed setting redoes the units)."""
    def identity(path: Optional[str]):
        if not path:
            return None
        try:
            stat = os.stat(path)
            return [os.path.abspath(path), stat.st_size, stat.st_mtime_ns]
        except OSError:
            return [path]
    return _digest({"plan": PLAN_VERSION, "segmentation": identity(params.segmentation_model),
                    "detection": identity(params.detection_model), "gsd": params.gsd_m,
                    "threshold": params.threshold, "min_area": params.min_area_m2, "det_conf": params.det_conf,
                    "det_iou": params.det_iou, "regularize": params.regularize})


def _members_read(dataset: Dataset, rects, window: Optional[Tuple[int, int, int, int]]) -> list:
    """The identities of the dataset's rasters a unit reading ``window`` (None: all) sees: a unit is done
    again when one of them changes, and only then."""
    if window is None:
        return dataset.identity()
    seen = (window[0], window[1], window[0] + window[2], window[1] + window[3])
    return [[info.identity(), list(offset)] for (info, offset), rect in zip(dataset.members, rects)
            if _touch(rect, seen)]


def dataset_units(dataset: Dataset, params: BatchParams, settings: str, first_index: int) -> List[Unit]:
    """The units of one dataset: each member's core (its rectangle less the later members' overlap),
    cut into windows when large. A raster that cannot be windowed (rotated; no georeferencing and no
    GSD given, so that each window would estimate its own) is one unit, read whole."""
    units: List[Unit] = []
    pixel_m2 = pixel_ground_area_m2(dataset, params.gsd_m)
    # The CRS by its code: GDAL's WKT of one file differs between processes (the full EPSG definition where the
    # process wrote the file itself), and a unit's id must not.
    crs = _crs_key(dataset.crs_wkt) if dataset.crs_wkt else ""
    rects = [(col, row, col + info.width, row + info.height) for info, (col, row) in dataset.members]
    for number, (info, offset) in enumerate(dataset.members):
        own = box(*rects[number])
        later = [box(*r) for r in rects[number + 1:] if _overlap(r, rects[number])]
        core = own.difference(unary_union(later)) if later else own
        if core.is_empty or core.area == 0:
            continue
        whole = info.rotated or (not info.georeferenced and not params.gsd_m)
        if whole:
            pieces = [(core, None)]
        else:
            x0, y0, x1, y1 = (int(round(v)) for v in core.bounds)
            pieces = []
            for wy0, wy1 in _splits(y0, y1, params.window_px):
                for wx0, wx1 in _splits(x0, x1, params.window_px):
                    cell = box(wx0, wy0, wx1, wy1)
                    piece = cell if not later else core.intersection(cell)
                    if piece.area > 0:
                        m = params.margin_px
                        window = (max(0, wx0 - m), max(0, wy0 - m), min(dataset.width, wx1 + m) - max(0, wx0 - m),
                                  min(dataset.height, wy1 + m) - max(0, wy0 - m))
                        pieces.append((piece, window))
        for piece, window in pieces:
            if window == (0, 0, dataset.width, dataset.height):
                window = None
            core_wkt = piece.wkt
            unit_id = _digest([settings, list(dataset.output_geotransform), crs,
                               _members_read(dataset, rects, window), core_wkt, window])[:20]
            units.append(Unit(
                unit_id=unit_id, raster=info.path, dataset=dataset.path, dataset_key=dataset.key,
                dataset_crs_wkt=dataset.crs_wkt, dataset_geotransform=tuple(dataset.output_geotransform),
                dataset_size=(dataset.width, dataset.height),
                core_wkt=core_wkt, window=window, raster_offset=tuple(offset), raster_size=(info.width, info.height),
                raster_geotransform=tuple(info.output_geotransform), planned_m2=piece.area * pixel_m2,
                index=first_index + len(units)))
    return units


@dataclass
class Plan:
    rasters: List[RasterInfo]
    datasets: List[Dataset]
    units: List[Unit]
    settings: str

    def units_of(self, raster: str) -> List[Unit]:
        return [unit for unit in self.units if unit.raster == raster]


def make_plan(infos: Sequence[RasterInfo], params: BatchParams, mosaic_folder: str) -> Plan:
    """Datasets and units of the rasters that opened (the others stay in ``rasters`` with their error)."""
    settings = settings_digest(params)
    datasets: List[Dataset] = []
    for group in mosaic_groups([info for info in infos if not info.error]):
        if len(group) > 1:
            try:
                datasets.append(build_mosaic(group, mosaic_folder))
                continue
            except BuildingAreaError:
                pass  # read them one by one: seams are then merged without the neighbours' context
        datasets.extend(lone_dataset(info) for info in group)
    units: List[Unit] = []
    for dataset in datasets:
        units.extend(dataset_units(dataset, params, settings, len(units)))
    return Plan(rasters=list(infos), datasets=datasets, units=units, settings=settings)
