"""One work unit, as a worker runs it: the core pipeline on the unit's window, its buildings sorted.

Buildings wholly inside the unit's core are final (layer ``buildings`` of units/<id>.gpkg, in the
dataset's CRS, measured by the pipeline). Buildings cut by the core's edge are cut to the core and
kept as pieces (layer ``pieces``, in the dataset's pixel coordinates, which are whole numbers on
pixel edges, so that the pieces of one building meet exactly); merge.py joins the pieces of
neighbouring units. Buildings outside the core (in the margin) belong to a neighbour.

With job.regularize, the pipeline still writes the mask's outlines (pieces must meet exactly on the
seams); whole buildings are regularized here and joined ones by the merge, with core.regularize.

Nothing partial ever carries a unit's name: the unit is written in a hidden folder of its own and
renamed into place, GeoPackage first, then units/<id>.json, which marks it done. A worker killed
on the way leaves only the hidden folder, which the next run deletes.
"""
import json
import math
import os
import platform
import shutil
import tempfile
import threading
import time
from typing import Dict, Optional, Tuple

import numpy as np
from osgeo import ogr
from shapely import wkt as shapely_wkt
from shapely.affinity import affine_transform
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry
from shapely.ops import transform

from ..core.areas import GroundAreaCalculator
from ..core.errors import BuildingAreaError, InputRasterError, one_line
from ..core.gdal_calls import gdal_call, gdal_release
from ..core.geopackage import BUILDINGS_LAYER
from ..core.gsd import gsd_from_georeferencing
from ..core.model import configure_sessions, models_loaded
from ..core.params import GSD_SOURCE_GEOREFERENCING, Extent, GroundSampling, PipelineParams, Summary
from ..core.pipeline import pixel_rectangle, run_pipeline
from ..core.raster import RasterSource
from ..core.regularize import Regularizer
from ..core.vectorize import centres_inside
from .params import STATUS_FAILED, STATUS_OK, Unit, UnitJob, UnitRecord
from .vector import add_feature, create_geopackage, create_layer, polygonal, read_features

PIECES_LAYER = "pieces"
TEMP_PREFIX = ".tmp-"
SNAP_PX = 1e-6          # a pixel coordinate this close to a whole number is that number (float noise of the round trip)
AREA_EPS_PX = 1e-6      # areas below this many square pixels are nothing
VALIDITY_ROWS = 512     # rows read at once to count a core's valid pixels
BUILDING_FIELDS = (("area_m2", ogr.OFTReal), ("area_m2_low", ogr.OFTReal), ("area_m2_high", ogr.OFTReal),
                   ("perimeter_m", ogr.OFTReal), ("score", ogr.OFTReal), ("gsd_m", ogr.OFTReal),
                   ("gsd_source", ogr.OFTString), ("area_reg_m2", ogr.OFTReal))
BUILDING_NAMES = tuple(name for name, _ in BUILDING_FIELDS)
PIECE_FIELDS = (("score", ogr.OFTReal),)

_configured: Dict[str, Optional[int]] = {}
_configure_lock = threading.Lock()


def record_path(units_dir: str, unit_id: str) -> str:
    return os.path.join(units_dir, unit_id + ".json")


def gpkg_path(units_dir: str, unit_id: str) -> str:
    return os.path.join(units_dir, unit_id + ".gpkg")


def read_record(units_dir: str, unit_id: str) -> Optional[UnitRecord]:
    """The unit's record when it finished (its GeoPackage is in place, if it succeeded), else None."""
    try:
        with open(record_path(units_dir, unit_id), encoding="utf-8") as stream:
            record = UnitRecord.from_dict(json.load(stream))
    except (OSError, ValueError, TypeError):
        return None
    if record.status == STATUS_OK and not os.path.isfile(gpkg_path(units_dir, unit_id)):
        return None
    return record


def worker_name() -> str:
    return f"{platform.node()}:{os.getpid()}"


def _worker_threads() -> int:
    """Threads of the Dask worker running this task (1 outside Dask)."""
    try:
        from distributed import get_worker

        return max(1, int(get_worker().state.nthreads))
    except (ImportError, ValueError, AttributeError):
        return 1


def peak_rss_mb() -> float:
    try:
        import resource  # Unix only
    except ImportError:
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def ort_threads_for_this_process(job: UnitJob) -> int:
    """onnxruntime threads: given, or this host's cores shared among all worker threads on it (cores used once)."""
    if job.ort_threads:
        return job.ort_threads
    per_host = job.ort_threads_by_host.get(platform.node())
    return per_host or max(1, available_cores() // _worker_threads())


def configure_process(job: UnitJob) -> None:
    """Models load once per process (kept open between units), with the thread count the run chose."""
    threads = ort_threads_for_this_process(job)
    with _configure_lock:
        if _configured.get("threads") != threads:
            configure_sessions(intra_op_threads=threads, cache=True)
            _configured["threads"] = threads


def reset_process() -> None:
    """Back to the core's defaults (models opened per run, a thread per core): after units ran in the client."""
    with _configure_lock:
        configure_sessions()
        _configured.clear()


def run_unit(unit: Unit, job: UnitJob) -> dict:
    """Run one unit (on a Dask worker or in the client's process); returns its record as a dict.

    Expected failures (a raster the pipeline refuses, no GSD, ...) make a failed record with the
    reason; anything else raises, for Dask to retry the unit.
    """
    started, cpu_started = time.monotonic(), time.process_time()
    done = read_record(job.units_dir, unit.unit_id)
    if done is not None and done.status == STATUS_OK:
        return done.to_dict()  # an earlier attempt finished it (a worker lost after writing, a rerun)
    configure_process(job)
    workdir = tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{unit.unit_id}-", dir=job.units_dir)
    try:
        record = _run(unit, job, workdir)
        record.runtime_s = round(time.monotonic() - started, 3)
        record.cpu_s = round(time.process_time() - cpu_started, 3)
        record.worker = worker_name()
        record.models_loaded = models_loaded()
        record.peak_rss_mb = peak_rss_mb()
        if record.status == STATUS_OK:
            os.replace(os.path.join(workdir, "unit.gpkg"), gpkg_path(job.units_dir, unit.unit_id))
        temp_record = os.path.join(workdir, "unit.json")
        with open(temp_record, "w", encoding="utf-8") as stream:
            json.dump(record.to_dict(), stream)
        os.replace(temp_record, record_path(job.units_dir, unit.unit_id))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return record.to_dict()


def _run(unit: Unit, job: UnitJob, workdir: str) -> UnitRecord:
    record = UnitRecord(unit_id=unit.unit_id, raster=unit.raster, status=STATUS_OK, planned_m2=unit.planned_m2)
    core = shapely_wkt.loads(unit.core_wkt)
    try:
        try:
            read = _Read(unit.dataset, unit.window, (0, 0), unit.dataset_geotransform)
            result = _pipeline(read, unit, job, workdir)
        except InputRasterError as error:
            if unit.dataset == unit.raster:
                raise
            # Reading the mosaic failed (a neighbouring tile broken mid-file): this raster alone, its
            # seams then merged without the neighbours' pixels.
            read = _Read(unit.raster, _own_window(unit, core, job.margin_px), unit.raster_offset,
                         unit.raster_geotransform)
            result = _pipeline(read, unit, job, workdir)
            record.note = fallback_message(one_line(error))
        gsd = ground_sampling(read.path, result.summary)
        _sort_buildings(result, read, core, unit, job, workdir, record, gsd)
        record.analysed_area_m2 = _analysed_area_m2(read, core, unit, result)
    except BuildingAreaError as error:
        return UnitRecord(unit_id=unit.unit_id, raster=unit.raster, status=STATUS_FAILED, reason=str(error),
                          planned_m2=unit.planned_m2)
    summary = result.summary
    record.gsd_x_m, record.gsd_y_m = gsd.x_m, gsd.y_m
    record.gsd_source, record.provider = summary.gsd_source, summary.provider
    record.warnings = list(result.warnings)
    return record


def ground_sampling(path: str, summary: Summary) -> GroundSampling:
    """The GSD the pipeline used on path: per axis where it came from the georeferencing (the summary has the mean)."""
    if summary.gsd_source == GSD_SOURCE_GEOREFERENCING:
        with RasterSource(path) as raster:
            gsd = gsd_from_georeferencing(raster.crs_wkt, raster.geotransform, raster.width, raster.height)
        if gsd is not None:
            return gsd
    return GroundSampling(summary.gsd_m, summary.gsd_m, summary.gsd_source)


def fallback_message(reason: str) -> str:
    return f"Read without its neighbouring tiles, whose mosaic could not be read: {reason}"


class _Read:
    """What a unit's pipeline reads: a dataset, a window of it (None: whole), its place in the unit's pixel space."""

    def __init__(self, path: str, window: Optional[Tuple[int, int, int, int]], offset: Tuple[int, int],
                 geotransform: Tuple[float, ...]):
        self.path, self.window, self.offset, self.geotransform = path, window, tuple(offset), tuple(geotransform)


def _own_window(unit: Unit, core: BaseGeometry, margin: int) -> Optional[Tuple[int, int, int, int]]:
    """The core's bounding box grown by the margin, in the raster's own pixels, within the raster."""
    x0, y0, x1, y1 = (int(round(v)) for v in core.bounds)
    ox, oy = unit.raster_offset
    width, height = unit.raster_size
    left, top = max(0, x0 - ox - margin), max(0, y0 - oy - margin)
    right, bottom = min(width, x1 - ox + margin), min(height, y1 - oy + margin)
    if (left, top, right, bottom) == (0, 0, width, height):
        return None
    return left, top, right - left, bottom - top


def window_extent(window: Tuple[int, int, int, int], gt: Tuple[float, ...]) -> Extent:
    x, y, width, height = window
    xs = [gt[0] + c * gt[1] + r * gt[2] for c in (x, x + width) for r in (y, y + height)]
    ys = [gt[3] + c * gt[4] + r * gt[5] for c in (x, x + width) for r in (y, y + height)]
    return Extent(min(xs), min(ys), max(xs), max(ys))


def _pipeline(read: _Read, unit: Unit, job: UnitJob, workdir: str):
    output = os.path.join(workdir, "pipeline.gpkg")
    params = PipelineParams(
        raster_path=read.path, output_path=output, segmentation_model=job.segmentation_model,
        detection_model=job.detection_model, model_checksums=job.model_checksums,
        detection_checksums=job.detection_checksums, gsd_m=job.gsd_m, threshold=job.threshold,
        min_area_m2=0.0,  # pieces of any size: a building's area counts only once its pieces are joined
        extent=window_extent(read.window, read.geotransform) if read.window is not None else None,
        batch_size=job.batch_size, det_conf=job.det_conf, det_iou=job.det_iou, overwrite=True)
    return run_pipeline(params)


def _to_pixels(geometry: BaseGeometry, gt: Tuple[float, ...], offset: Tuple[int, int]) -> BaseGeometry:
    """Output coordinates -> the unit's pixel space, snapped onto whole pixels where float noise moved them."""
    det = gt[1] * gt[5] - gt[2] * gt[4]
    a, b = gt[5] / det, -gt[2] / det
    d, e = -gt[4] / det, gt[1] / det
    xoff, yoff = -(a * gt[0] + b * gt[3]), -(d * gt[0] + e * gt[3])
    pixels = affine_transform(geometry, [a, b, d, e, xoff, yoff])

    def snap(x, y, z=None):
        x, y = np.asarray(x, float), np.asarray(y, float)
        x = np.where(np.abs(x - np.round(x)) < SNAP_PX, np.round(x), x) + offset[0]
        y = np.where(np.abs(y - np.round(y)) < SNAP_PX, np.round(y), y) + offset[1]
        return x, y
    return transform(snap, pixels)


def _sort_buildings(result, read: _Read, core: BaseGeometry, unit: Unit, job: UnitJob, workdir: str,
                    record: UnitRecord, gsd: GroundSampling) -> None:
    """Write units' buildings (inside the core) and pieces (cut by its edge) to workdir/unit.gpkg."""
    regularizer = None
    if job.regularize:
        calculator = GroundAreaCalculator(unit.dataset_crs_wkt, read.geotransform, gsd)
        regularizer = Regularizer(read.geotransform, gsd.x_m, gsd.y_m, calculator)
        record.buildings_area_reg_m2 = 0.0
    path = os.path.join(workdir, "unit.gpkg")
    dataset = create_geopackage(path)
    buildings = create_layer(dataset, path, BUILDINGS_LAYER, unit.dataset_crs_wkt, ogr.wkbMultiPolygon,
                             BUILDING_FIELDS)
    pieces = create_layer(dataset, path, PIECES_LAYER, "", ogr.wkbMultiPolygon, PIECE_FIELDS)
    dataset.StartTransaction()  # both layers in one transaction (GeoPackage transactions are per file)
    core_bounds = core.bounds
    core_is_box = abs(core.area - box(*core_bounds).area) < AREA_EPS_PX
    seams = core.boundary.difference(box(0, 0, *unit.dataset_size).boundary)  # the core's edges inside the dataset
    low = high = 0.0
    for geometry, values in read_features(result.output_path, BUILDINGS_LAYER, BUILDING_NAMES):
        if geometry is None:
            continue
        pixels = _to_pixels(geometry, read.geotransform, read.offset)
        minx, miny, maxx, maxy = pixels.bounds
        if maxx <= core_bounds[0] or maxy <= core_bounds[1] or minx >= core_bounds[2] or miny >= core_bounds[3]:
            continue  # in the margin: a neighbour's
        inside = (core_is_box and minx > core_bounds[0] and miny > core_bounds[1] and maxx < core_bounds[2]
                  and maxy < core_bounds[3])
        piece = None
        if not inside:
            cut = polygonal(pixels.intersection(core))
            if cut is None or cut.area <= AREA_EPS_PX:
                continue
            # Cut by the core's edge, or ending on a seam (where a raster read alone stops): a piece, for the
            # merge to join with its neighbours' part (or to keep whole when there is none).
            if cut.area < pixels.area - AREA_EPS_PX or pixels.boundary.intersection(seams).length > 0:
                piece = cut
        if piece is not None:
            add_feature(pieces, path, piece, {"score": values["score"]})
            record.pieces += 1
        elif (values["area_m2"] or 0.0) >= job.min_area_m2:
            if regularizer is not None:
                geometry = regularizer.outline(geometry)
                values = dict(values, area_reg_m2=regularizer.calculator.area_perimeter(geometry)[0])
                record.buildings_area_reg_m2 += values["area_reg_m2"]
            add_feature(buildings, path, geometry, values)
            record.buildings += 1
            record.buildings_area_m2 += values["area_m2"]
            if values["area_m2_low"] is not None:
                low += values["area_m2_low"]
                high += values["area_m2_high"]
    if low or high:
        record.buildings_area_m2_low, record.buildings_area_m2_high = low, high
    gdal_call(f"save the buildings in {path}", dataset.CommitTransaction)

    def release():
        nonlocal buildings, pieces, dataset
        buildings = pieces = dataset = None
    gdal_release(f"finish writing {path}", release)


def _analysed_area_m2(read: _Read, core: BaseGeometry, unit: Unit, result) -> float:
    """Ground area of the core's valid pixels (no data, transparent and NaN pixels do not count)."""
    whole_raster = read.window is None and read.path == unit.raster
    if whole_raster and abs(core.area - unit.raster_size[0] * unit.raster_size[1]) < AREA_EPS_PX:
        return result.summary.analysed_area_m2  # the pipeline analysed exactly the core
    gsd = GroundSampling(result.summary.gsd_m, result.summary.gsd_m, result.summary.gsd_source)
    ox, oy = read.offset
    x0, y0, x1, y1 = (int(round(v)) for v in core.bounds)
    core_is_box = abs(core.area - (x1 - x0) * (y1 - y0)) < AREA_EPS_PX
    total = 0.0
    with RasterSource(read.path) as raster:
        calculator = GroundAreaCalculator(raster.crs_wkt, raster.output_geotransform, gsd)
        for row in range(y0, y1, VALIDITY_ROWS):
            rows = min(VALIDITY_ROWS, y1 - row)
            _, valid = raster.read_window(x0 - ox, row - oy, x1 - x0, rows)
            if not core_is_box:
                valid &= centres_inside(core, x0, row, x1 - x0, rows)
            count = int(np.count_nonzero(valid))
            if count:
                strip_m2, _ = calculator.area_perimeter(
                    pixel_rectangle(raster.output_geotransform, x1 - x0, rows, col=x0 - ox, row=row - oy))
                total += count * strip_m2 / ((x1 - x0) * rows)
    return total if math.isfinite(total) else 0.0
