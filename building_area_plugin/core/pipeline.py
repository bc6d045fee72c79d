"""The whole run: raster + ONNX segmentation model -> GeoPackage of buildings with ground areas.

Streaming throughout: tiles are blended row by row into a temporary GeoTIFF on the
work grid (and the edge probability into a second one, for models with an edge output),
GDAL resamples them to the raster's grid and polygonizes the probability's threshold, and
buildings are split (fusion.py), measured and written one at a time. No array the size of
the raster exists.
"""
import logging
import math
import os
import time
from typing import Iterator, List, Optional, Tuple

import numpy as np
from shapely.geometry import Polygon

from .areas import GroundAreaCalculator
from .detection import (DetectionStage, TileBoxes, box_polygons, check_detector, resolve_thresholds, run_detection,
                        work_to_window_px)
from .detections_output import write_detections
from .errors import GsdUnknownError, InputRasterError, ModelError, ParameterError
from .fusion import MAX_SPLIT_SIDE_PX, FusionSettings, SplitCounts, split_buildings
from .gdal_calls import gdal_cache_limit
from .geopackage import GeoPackageWriter
from .gsd import disagreement, gsd_from_georeferencing, gsd_from_model, user_gsd
from .inference import GSD_MIN_TILE, ValidStrip, sample_log_gsd, segment
from .model import OnnxModel, median_gsd_m, open_model
from .outputs import RunFiles, check_output_path
from .params import (CancelCallback, Extent, GroundSampling, PipelineParams, PipelineResult,
                     ProgressCallback, Summary)
from .probability import DESCRIPTION, EDGE_DESCRIPTION, ProbabilityWriter, resample_to_grid
from .progress import TileProgress
from .raster import GeoTransform, RasterSource
from .regularize import Regularizer
from .vectorize import Building, count_polygons, iter_buildings, polygonize, threshold_mask
from .workgrid import PixelWindow, WorkGrid, extent_window, plan_work_grid, window_geotransform

LOG = logging.getLogger(__name__)
# GDAL's block cache fills up to its cap on any large raster (written blocks stay cached after
# they are flushed), so its cap is what peak memory grows by. 64 MB holds the input and output
# blocks under a row of tiles of one column block (~10 MB for tiled rasters) with room to spare.
GDAL_CACHE_BYTES = 64 * 1024 * 1024
SEGMENTATION_SHARE = 90.0  # percent of the progress bar for the tiles; vectorizing takes the rest


class RunLog(list):
    """Lines for PipelineResult.log, also sent to logging; warnings are kept apart as well."""

    def __init__(self):
        super().__init__()
        self.warnings: List[str] = []

    def add(self, line: str) -> None:
        LOG.info(line)
        self.append(line)

    def warn(self, line: str) -> None:
        LOG.warning(line)
        self.append("Warning: " + line)
        self.warnings.append(line)


def run_pipeline(params: PipelineParams, progress: ProgressCallback = None,
                 is_cancelled: CancelCallback = None) -> PipelineResult:
    """Find buildings in ``params.raster_path`` and write them to ``params.output_path``.

    Raises a BuildingAreaError subclass on expected failures; CancelledError when
    is_cancelled() turns true. Parameters, raster and model are checked before anything is
    written; outputs appear only when the run succeeds (see outputs.RunFiles).
    """
    started = time.monotonic()
    progress = progress or (lambda _percent, _message: None)
    is_cancelled = is_cancelled or (lambda: False)
    check_params(params)
    log = RunLog()
    with gdal_cache_limit(GDAL_CACHE_BYTES), RasterSource(params.raster_path) as raster:
        window = analysed_window(raster, params)
        model = open_segmentation_model(params, log)
        detector = open_detection_model(params, log, model)
        with RunFiles(output_paths(params), time.time()) as files:
            if files.stale_removed:
                log.add(f"Removed {files.stale_removed} temporary files left by an interrupted earlier run")
            summary = _process(raster, window, model, params, files, log, progress, is_cancelled, started,
                               detector)
            files.commit()
    interval = ""
    if summary.total_area_m2_low is not None:
        interval = (f" (80 % interval from the GSD estimate: {summary.total_area_m2_low:.1f} to "
                    f"{summary.total_area_m2_high:.1f} m²)")
    log.add(f"{summary.building_count} buildings, {summary.total_area_m2:.1f} m²{interval} of "
            f"{summary.analysed_area_m2:.1f} m² analysed ({summary.built_up_share_pct:.2f} %) "
            f"in {summary.runtime_s:.1f} s")
    progress(100.0, "Done")
    return PipelineResult(summary=summary, output_path=params.output_path,
                          detections_path=params.detections_path if params.detection_model else None,
                          probability_path=params.probability_path, log=list(log), warnings=list(log.warnings))


def regularized_text(total_reg_m2: float, total_m2: float, kept_as_found: int) -> str:
    change_pct = 100.0 * (total_reg_m2 - total_m2) / total_m2 if total_m2 > 0 else 0.0
    return (f"Regularized outlines: {total_reg_m2:.1f} m² in all ({change_pct:+.1f} % against the mask's "
            f"{total_m2:.1f} m²); {kept_as_found} outlines fit no right-angled one and are kept as found")


def check_params(params: PipelineParams) -> None:
    if params.threshold is not None and not 0 < params.threshold < 1:
        raise ParameterError(f"Threshold {params.threshold} must lie between 0 and 1 (exclusive), e.g. 0.5.")
    if not 0 <= params.min_area_m2 < math.inf:
        raise ParameterError(f"Minimum area {params.min_area_m2} m² must be a number, 0 or more (e.g. 2).")
    if params.batch_size < 1:
        raise ParameterError(f"Batch size {params.batch_size} must be at least 1.")
    if params.gsd_m:
        user_gsd(params.gsd_m)  # raises ParameterError when implausible
    if params.extent is not None:
        check_extent(params.extent)
    if not params.output_path.lower().endswith(".gpkg"):
        raise ParameterError(f"Output {params.output_path} must be a GeoPackage: give it the extension .gpkg.")
    check_output_path(params.output_path, params.overwrite, "output GeoPackage")
    if params.probability_path:
        if os.path.abspath(params.probability_path) == os.path.abspath(params.output_path):
            raise ParameterError("The probability raster and the output GeoPackage need different file names.")
        check_output_path(params.probability_path, params.overwrite, "probability raster")
    check_detection_params(params)


def check_detection_params(params: PipelineParams) -> None:
    if params.det_conf is not None and not 0 <= params.det_conf < 1:
        raise ParameterError(f"Detection confidence {params.det_conf} must lie in [0, 1) (0 = the model's own), "
                             f"e.g. 0.3.")
    if params.det_iou is not None and not 0 <= params.det_iou <= 1:
        raise ParameterError(f"Detection NMS IoU {params.det_iou} must lie in [0, 1] (0 = the model's own); dense "
                             f"districts need a high one, e.g. 0.65.")
    if not params.detections_path:
        return
    if not params.detections_path.lower().endswith(".gpkg"):
        raise ParameterError(f"Detections {params.detections_path} must be a GeoPackage: give it the extension .gpkg.")
    others = [p for p in (params.output_path, params.probability_path) if p]
    if any(os.path.abspath(params.detections_path) == os.path.abspath(p) for p in others):
        raise ParameterError("The detections GeoPackage needs its own file name, not the output's or the "
                             "probability raster's.")
    check_output_path(params.detections_path, params.overwrite, "detections GeoPackage")


def check_extent(extent: Extent) -> None:
    corners = (extent.xmin, extent.ymin, extent.xmax, extent.ymax)
    if not all(math.isfinite(v) for v in corners) or extent.xmin >= extent.xmax or extent.ymin >= extent.ymax:
        raise ParameterError(f"The extent {corners} is empty or not finite: give xmin < xmax and ymin < ymax, "
                             f"or no extent for the whole raster.")


def output_paths(params: PipelineParams) -> List[str]:
    detections = [params.detections_path] if params.detection_model and params.detections_path else []
    return [params.output_path] + ([params.probability_path] if params.probability_path else []) + detections


def analysed_window(raster: RasterSource, params: PipelineParams) -> PixelWindow:
    window = extent_window(raster.output_geotransform, raster.width, raster.height, params.extent)
    if window is None:
        raise ParameterError(f"The extent {params.extent} does not overlap the raster {params.raster_path}: "
                             f"choose an extent over the raster (in the raster's CRS).")
    return window


def open_segmentation_model(params: PipelineParams, log: RunLog) -> OnnxModel:
    model = open_model(params.segmentation_model, params.model_checksums)
    if not model.is_segmentor:
        raise ModelError(f"{model.name} is a {model.metadata.model_type} model; the segmentation model must be "
                         f"a segmentor: choose a building segmentation model.")
    log.add(f"Segmentation model {model.name} (version {model.metadata.version or 'unknown'}) "
            f"runs on {model.provider}")
    if model.metadata.score_calibration is not None:
        log.add(f"Building scores are calibrated by the model's score_calibration "
                f"({len(model.metadata.score_calibration.raw)} knots)")
    return model


def open_detection_model(params: PipelineParams, log: RunLog, segmentor: OnnxModel) -> Optional[OnnxModel]:
    """The detection model, or None without one (segmentation alone, as before).

    A segmentor that detects, chosen as the detection model too, is returned itself: its boxes
    come from the segmentation's own network runs.
    """
    if not params.detection_model:
        if params.detections_path:
            log.add("No detection model: the detections GeoPackage is not written.")
        return None
    if segmentor.detects_while_segmenting and _same_file(params.detection_model, params.segmentation_model):
        log.add("Detection by the segmentation model's own box output: one network run per tile for both")
        return segmentor
    model = open_model(params.detection_model, params.detection_checksums)
    check_detector(model)
    log.add(f"Detection model {model.name} (version {model.metadata.version or 'unknown'}) runs on {model.provider}")
    return model


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _process(raster: RasterSource, window: PixelWindow, model: OnnxModel, params: PipelineParams,
             files: RunFiles, log: RunLog, progress: ProgressCallback, is_cancelled: CancelCallback,
             started: float, detector: Optional[OnnxModel] = None) -> Summary:
    gsd, gsd_tiles = determine_gsd(raster, window, model, params, is_cancelled, log)
    interval = f" (80 % interval {gsd.interval_m[0]:.4f} to {gsd.interval_m[1]:.4f})" if gsd.interval_m else ""
    log.add(f"GSD {gsd.mean_m:.4f} m/px{interval} from {gsd.source}; model trained at "
            f"{model.metadata.gsd_m:.4f} m/px")
    grid = plan_work_grid(window, gsd.mean_m, model.metadata.gsd_m, model.metadata.tile_size)
    if grid.resampled:
        log.add(f"Resampling: {grid.align} model pixels per {grid.raster_step} raster pixels "
                f"(work grid {grid.width} x {grid.height} px)")
    prob_path = (files.temp_path(params.probability_path) if params.probability_path
                 else os.path.join(files.workdir, "probability.tif"))
    fusion = FusionSettings.from_models(model.metadata, detector.metadata if detector is not None else None,
                                        gsd.x_m * gsd.y_m, params.min_area_m2, gsd.mean_m)
    if model.has_edge_output and not fusion.uses_edges:
        log.add(f"Touching roofs are not split along edges: the raster's GSD, {gsd.mean_m:.2f} m, is coarser than "
                f"the {model.metadata.split_max_gsd_m:g} m the model's split works at (split_max_gsd_m)")
    edge_path = os.path.join(files.workdir, "edge.tif") if fusion.uses_edges else None
    one_pass = detector is model
    boxes = TileBoxes(grid, model.metadata.tile_size, *resolve_thresholds(model.metadata, params.det_conf,
                                                                          params.det_iou)) if one_pass else None
    tiles, strips = write_probabilities(raster, grid, model, params.batch_size, prob_path, edge_path, files.workdir,
                                        progress, is_cancelled, boxes)
    if not any(strip.valid_px for strip in strips):
        raise InputRasterError(
            f"{os.path.basename(params.raster_path)} has no valid pixels{' in the extent' if params.extent else ''}: "
            f"every pixel is no data, transparent or NaN. Check the raster's no-data value and alpha band, "
            f"or choose an extent with image data.")
    calculator = GroundAreaCalculator(raster.crs_wkt, raster.output_geotransform, gsd)
    window_gt = window_geotransform(raster.output_geotransform, window)
    stage = None
    if boxes is not None:
        found = boxes.merged()
        stage = DetectionStage(work_to_window_px(found.xyxy, grid), found.score, 0)
        log.add(f"Detection: {len(stage)} buildings in the segmentation's {tiles} tiles "
                f"(confidence >= {boxes.conf:g}, NMS IoU {boxes.iou:g})")
    elif detector is not None:
        stage = run_detection(
            raster, window, gsd.mean_m, detector, params.batch_size, params.det_conf, params.det_iou, log.add,
            TileProgress(progress, "Detected in", SEGMENTATION_SHARE, 2), is_cancelled)
    if stage is not None and params.detections_path:
        polygons = box_polygons(stage.window_xyxy, window_gt)
        areas, _ = calculator.areas_perimeters(polygons)
        write_detections(files.temp_path(params.detections_path), raster.crs_wkt, polygons, stage.score, areas)

    threshold = params.threshold if params.threshold is not None else model.metadata.seg_thresh
    progress(SEGMENTATION_SHARE + 2, f"Thresholding the probability at {threshold:g} and building polygons")
    polygons_path = outline_polygons(prob_path, threshold, files.workdir, is_cancelled)

    progress(SEGMENTATION_SHARE + 5, f"Measuring {count_polygons(polygons_path)} outlines")
    output = GeoPackageWriter(files.temp_path(params.output_path), raster.crs_wkt)
    try:
        count, total_m2 = 0, 0.0
        split = SplitCounts()
        boxes = stage.window_xyxy if stage is not None else np.zeros((0, 4))
        buildings = buildings_from_outlines(polygons_path, prob_path, edge_path, window_gt, calculator, fusion,
                                            boxes, params.min_area_m2, is_cancelled, split)
        calibration = model.metadata.score_calibration
        if calibration is not None:
            buildings = calibration.buildings(buildings)
        regularizer = Regularizer(window_gt, gsd.x_m, gsd.y_m, calculator) if params.regularize else None
        if regularizer is not None:
            buildings = regularizer.buildings(buildings)
        total_reg_m2 = 0.0
        for building in buildings:
            output.add_building(building, gsd)
            count, total_m2 = count + 1, total_m2 + building.area_m2
            total_reg_m2 += building.area_reg_m2 or 0.0
        log_split(log, fusion, split)
        factors = gsd.area_factors() or (None, None)
        analysed_m2 = analysed_area_m2(strips, grid.geotransform(raster.output_geotransform), calculator)
        summary = Summary(
            building_count=count, total_area_m2=total_m2, analysed_area_m2=analysed_m2,
            built_up_share_pct=100.0 * total_m2 / analysed_m2 if analysed_m2 > 0 else 0.0,
            gsd_m=gsd.mean_m, gsd_source=gsd.source,
            models=[model.name] + ([detector.name] if detector is not None and not one_pass else []),
            provider=model.provider,
            runtime_s=round(time.monotonic() - started, 3), tiles=tiles + gsd_tiles + (stage.tiles if stage else 0),
            detection_tiles=stage.tiles if stage else 0,
            detection_count=len(stage) if stage is not None else 0,
            total_area_m2_low=total_m2 * factors[0] if factors[0] is not None else None,
            total_area_m2_high=total_m2 * factors[1] if factors[1] is not None else None,
            total_area_reg_m2=total_reg_m2 if regularizer is not None else None)
        output.write_summary(pixel_rectangle(window_gt, window.width, window.height), summary)
        if regularizer is not None:
            log.add(regularized_text(total_reg_m2, total_m2, regularizer.kept_as_found))
    except BaseException:
        output.close(check=False)  # so that the partial file can be deleted
        raise
    output.close()
    return summary


def log_split(log: RunLog, fusion: FusionSettings, counts: SplitCounts) -> None:
    if counts.blobs_split:
        log.add(f"Split {counts.blobs_split} blobs of touching roofs into {counts.buildings_from_splits} buildings")
    if counts.dropped_unboxed:
        log.add(f"Dropped {counts.dropped_unboxed} outlines that hold no detection box and score under "
                f"{fusion.min_score:g}")
    if counts.too_large:
        log.warn(f"{counts.too_large} blobs larger than {MAX_SPLIT_SIDE_PX} x {MAX_SPLIT_SIDE_PX} px were kept "
                 f"whole, not split into buildings: analyse a smaller extent at a time if that area is built up.")


def outline_polygons(prob_path: str, threshold: float, workdir: str, is_cancelled: CancelCallback) -> str:
    """The blobs of the probability's threshold as pixel polygons in workdir/polygons.gpkg (its path)."""
    mask_path, polygons_path = os.path.join(workdir, "mask.tif"), os.path.join(workdir, "polygons.gpkg")
    threshold_mask(prob_path, mask_path, threshold, is_cancelled)
    polygonize(mask_path, polygons_path, is_cancelled)  # the whole mask at once: no seams between tiles
    return polygons_path


def buildings_from_outlines(polygons_path: str, prob_path: str, edge_path: Optional[str], window_gt: GeoTransform,
                            calculator, fusion: FusionSettings, boxes: np.ndarray, min_area_m2: float,
                            is_cancelled: CancelCallback, counts: SplitCounts) -> Iterator[Building]:
    """The blobs measured, and split into buildings by the edge output and the boxes (pixels of prob_path)."""
    buildings = iter_buildings(polygons_path, prob_path, window_gt, calculator, min_area_m2, is_cancelled)
    if not fusion.active:
        return buildings
    return split_buildings(buildings, boxes, prob_path, edge_path, window_gt, calculator, fusion, min_area_m2,
                           is_cancelled, counts)


def write_probabilities(raster: RasterSource, grid: WorkGrid, model: OnnxModel, batch_size: int, prob_path: str,
                        edge_path: Optional[str], workdir: str, progress: ProgressCallback,
                        is_cancelled: CancelCallback, boxes: Optional[TileBoxes] = None):
    """Write the probability (and the edge probability to edge_path) on the raster's grid (window);
    boxes gathers the boxes of a segmentor that detects from the same network runs.

    Returns (tiles, valid strips). Tiles are blended row by row onto the work grid; a
    resampled work grid is then warped onto the raster's grid by GDAL, which streams it.
    """
    work_gt = grid.geotransform(raster.output_geotransform)
    targets = [(prob_path, DESCRIPTION, "work_probability.tif")]
    if edge_path:
        targets.append((edge_path, EDGE_DESCRIPTION, "work_edge.tif"))
    work_paths = [os.path.join(workdir, work_name) if grid.resampled else path for path, _, work_name in targets]
    writers: List[ProbabilityWriter] = []
    try:
        for work_path, (_, description, _) in zip(work_paths, targets):
            writers.append(ProbabilityWriter(work_path, grid.width, grid.height, work_gt, raster.crs_wkt,
                                             description))
        tiles, strips = segment(
            raster, grid, model, writers, batch_size,
            TileProgress(progress, "Segmented", 0.0, SEGMENTATION_SHARE), is_cancelled, workdir, boxes)
    except BaseException:
        for writer in writers:
            writer.close(check=False)  # so that the partial file can be deleted
        raise
    for writer in writers:
        writer.close()
    if grid.resampled:
        progress(SEGMENTATION_SHARE, "Resampling the probability to the raster's grid")
        window = grid.window
        for work_path, (path, description, _) in zip(work_paths, targets):
            resample_to_grid(work_path, path, window.width, window.height,
                             window_geotransform(raster.output_geotransform, window), raster.crs_wkt, is_cancelled,
                             description)
    return tiles, strips


def determine_gsd(raster: RasterSource, window: PixelWindow, model: OnnxModel, params: PipelineParams,
                  is_cancelled: CancelCallback, log: RunLog) -> Tuple[GroundSampling, int]:
    """The user's GSD, else the georeferencing's (checked against the GSD head's), else the head's;
    and the number of tiles the GSD head ran on.

    The head is not asked about a window under GSD_MIN_TILE a side: padded to a tile, the
    image would be too small a part of what it sees.
    """
    if params.gsd_m:
        return user_gsd(params.gsd_m), 0
    too_small = min(window.width, window.height) < GSD_MIN_TILE
    head = model.has_gsd_output and not too_small
    if raster.has_georeferencing:
        gsd = gsd_from_georeferencing(raster.crs_wkt, raster.geotransform, raster.width, raster.height)
        if gsd is not None:
            log_gsd = sample_log_gsd(raster, window, model, params.batch_size, is_cancelled) if head else []
            warning = disagreement(gsd.mean_m, median_gsd_m(log_gsd)) if len(log_gsd) else None
            if warning:
                log.warn(warning)
            return gsd, len(log_gsd)
    if head:
        log_gsd = sample_log_gsd(raster, window, model, params.batch_size, is_cancelled)
        if log_gsd.size and np.isfinite(log_gsd).all():
            return gsd_from_model(log_gsd, model.metadata.gsd_log_error), len(log_gsd)
    small = f" from less than {GSD_MIN_TILE} x {GSD_MIN_TILE} px" if model.has_gsd_output and too_small else ""
    raise GsdUnknownError(
        f"The ground sampling distance of {os.path.basename(params.raster_path)} is unknown: it has no "
        f"georeferencing and the model {model.name} cannot estimate it{small}. Enter the GSD (metres per pixel, "
        f"e.g. 0.3) in the GSD parameter, or georeference the raster.")


def pixel_rectangle(gt: GeoTransform, width: float, height: float, col: float = 0.0, row: float = 0.0) -> Polygon:
    """The output-coordinate polygon of pixels [col, col + width) x [row, row + height)."""
    corners = [(col, row), (col + width, row), (col + width, row + height), (col, row + height)]
    return Polygon([(gt[0] + c * gt[1] + r * gt[2], gt[3] + c * gt[4] + r * gt[5]) for c, r in corners])


def analysed_area_m2(strips: List[ValidStrip], work_gt: GeoTransform, calculator) -> float:
    """Ground area of the valid work pixels: each strip's valid count times its mean pixel ground area.

    A strip spans one row of tiles by one column block (~ a few hundred metres by ~ a
    kilometre), over which the ground size of a pixel is constant to far better than the
    areas' accuracy.
    """
    total = 0.0
    for strip in strips:
        if strip.valid_px == 0:
            continue
        rectangle = pixel_rectangle(work_gt, strip.cols, strip.rows, col=strip.col, row=strip.row)
        strip_m2, _ = calculator.area_perimeter(rectangle)
        total += strip.valid_px * strip_m2 / (strip.cols * strip.rows)
    return total
