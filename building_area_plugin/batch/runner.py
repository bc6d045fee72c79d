"""A whole batch run: inputs -> plan -> units (on Dask, or in this process) -> the merged outputs.

Outputs appear only when the run completes (core.outputs.RunFiles); a stopped run (Ctrl-C, Cancel,
a lost connection) keeps its finished units in the work folder, and the same command resumes.
"""
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from ..core.detection import check_detector
from ..core.errors import BuildingAreaError, CancelledError, InputRasterError, ParameterError, one_line
from ..core.model import OnnxModel
from ..core.outputs import RunFiles, check_output_path
from .inputs import expand_inputs
from .manifest import WorkFolder
from .merge import merge_units, write_json
from .messages import interrupted_message, unit_error_message
from .params import STATUS_FAILED, STATUS_OK, STATUS_PARTIAL, BatchParams, Unit, UnitJob, UnitRecord, output_files
from .unit import reset_process, run_unit
from .units import inspect_raster, make_plan


MIN_WINDOW_PX = 64


@dataclass
class BatchResult:
    output_path: str
    csv_path: str
    json_path: str
    work_dir: str
    summary: dict = field(default_factory=dict)  # what <stem>.json holds

    @property
    def building_count(self) -> int:
        return self.summary["building_count"]

    @property
    def total_area_m2(self) -> float:
        return self.summary["total_area_m2"]

    @property
    def failures(self) -> List[dict]:
        return self.summary["failures"]


class BatchProgress:
    """What a run reports; the command line draws tqdm bars, Processing its progress bar. Override what you need."""

    def message(self, text: str) -> None:
        pass

    def started(self, units: int, pending: int, planned_km2: float, done_km2: float) -> None:
        pass

    def unit_done(self, record: UnitRecord) -> None:
        pass


def check_batch_params(params: BatchParams) -> None:
    if not params.output_path.lower().endswith(".gpkg"):
        raise ParameterError(f"Output {params.output_path} must be a GeoPackage: give it the extension .gpkg.")
    check_output_path(params.output_path, True, "output GeoPackage")
    if params.min_area_m2 < 0 or not math.isfinite(params.min_area_m2):
        raise ParameterError(f"Minimum area {params.min_area_m2} m² must be a number, 0 or more (e.g. 2).")
    if params.window_px < MIN_WINDOW_PX:
        raise ParameterError(f"Window {params.window_px} px is too small: give at least {MIN_WINDOW_PX} px "
                             f"(default 8192).")
    if not 0 <= params.margin_px <= params.window_px // 2:
        raise ParameterError(f"Margin {params.margin_px} px must lie between 0 and half the window "
                             f"({params.window_px // 2} px).")
    for name, value in (("workers", params.workers), ("threads per worker", params.threads_per_worker),
                        ("onnxruntime threads", params.ort_threads)):
        if value is not None and value < 0:
            raise ParameterError(f"The number of {name} ({value}) cannot be negative.")


def check_models(params: BatchParams) -> None:
    """Open the models once here, so that a missing or broken model stops the run before any worker starts."""
    segmentation = OnnxModel(params.segmentation_model, params.model_checksums)
    if not segmentation.is_segmentor:
        raise BuildingAreaError(f"{segmentation.name} is a {segmentation.metadata.model_type} model; the "
                                f"segmentation model must be a segmentor: choose a building segmentation model.")
    if params.detection_model:
        check_detector(OnnxModel(params.detection_model, params.detection_checksums))


def unit_job(params: BatchParams, units_dir: str) -> UnitJob:
    return UnitJob(units_dir=units_dir, segmentation_model=params.segmentation_model,
                   detection_model=params.detection_model, model_checksums=params.model_checksums,
                   detection_checksums=params.detection_checksums, gsd_m=params.gsd_m, threshold=params.threshold,
                   min_area_m2=params.min_area_m2, det_conf=params.det_conf, det_iou=params.det_iou,
                   batch_size=params.batch_size, regularize=params.regularize, margin_px=params.margin_px,
                   ort_threads=params.ort_threads)


class InProcessExecutor:
    """Units one after another in this process (workers=0): no Dask, the same unit code."""
    dashboard = ""
    scheduler = ""
    sizing = None

    def __init__(self, params: BatchParams):
        self.params = params

    def __enter__(self) -> "InProcessExecutor":
        return self

    def __exit__(self, *exc_info) -> None:
        reset_process()

    def worker_summary(self) -> Dict[str, object]:
        return {"workers": 0, "threads": 1}

    def run(self, units: List[Unit], job: UnitJob, on_record: Callable[[UnitRecord], None],
            is_cancelled: Callable[[], bool]) -> None:
        for done, unit in enumerate(units):
            if is_cancelled():
                raise CancelledError(interrupted_message(done, len(units)))
            on_record(self._run_one(unit, job))

    def _run_one(self, unit: Unit, job: UnitJob) -> UnitRecord:
        attempt = 0
        while True:
            try:
                return UnitRecord.from_dict(run_unit(unit, job))
            except (OSError, RuntimeError, ValueError, MemoryError) as error:
                attempt += 1
                if attempt > self.params.retries:
                    return UnitRecord(unit_id=unit.unit_id, raster=unit.raster, status=STATUS_FAILED,
                                      reason=unit_error_message(type(error).__name__, one_line(error)),
                                      planned_m2=unit.planned_m2)


def _executor(params: BatchParams, pending: int, progress: BatchProgress):
    if params.workers == 0 and not params.scheduler:
        return InProcessExecutor(params)
    from .dask_runner import DaskExecutor  # Dask only when a cluster is wanted: the plugin loads without it

    return DaskExecutor(params, pending, progress.message)


def no_rasters_text(missing: List[Tuple[str, str]]) -> str:
    if not missing:
        return "No raster to process among the inputs: give raster files, folders, globs, VRTs or lists of them."
    return f"No raster to process among the inputs. {missing[0][1]}"


def run_batch(params: BatchParams, progress: Optional[BatchProgress] = None,
              is_cancelled: Optional[Callable[[], bool]] = None) -> BatchResult:
    """Run the batch described by params; see the package's doc. Raises BuildingAreaError subclasses on expected
    failures of the whole run (a raster or a unit that fails is reported in the summary instead) and
    CancelledError when is_cancelled() turns true; KeyboardInterrupt passes through after the cluster is closed.
    """
    started = time.monotonic()
    progress = progress or BatchProgress()
    is_cancelled = is_cancelled or (lambda: False)
    check_batch_params(params)
    check_models(params)
    files = output_files(params.output_path)
    with WorkFolder(files["work"]) as work:
        removed = work.remove_partial_units()
        if removed:
            progress.message(removed_units_text(removed))
        expanded = expand_inputs(params.inputs, exclude=[files["work"], files["gpkg"], files["csv"], files["json"]])
        if not expanded.rasters:
            raise InputRasterError(no_rasters_text(expanded.missing))
        progress.message(checking_text(len(expanded.rasters)))
        infos = []
        for path in expanded.rasters:
            if is_cancelled():
                raise CancelledError("Cancelled while checking the rasters.")
            infos.append(inspect_raster(path))
        plan = make_plan(infos, params, work.mosaics_dir)
        work.write_manifest(plan, params.inputs, files["gpkg"])
        records: Dict[str, UnitRecord] = dict(work.finished(plan))
        pending = [unit for unit in plan.units if unit.unit_id not in records]
        skipped = len(records)
        planned_km2 = sum(unit.planned_m2 for unit in plan.units) / 1e6
        done_km2 = sum(unit.planned_m2 for unit in plan.units if unit.unit_id in records) / 1e6
        progress.message(plan_summary(len(infos), len(plan.datasets), len(plan.units), skipped))
        cluster: Dict[str, object] = {"kind": "none"}
        if pending:
            with _executor(params, len(pending), progress) as executor:
                cluster = _cluster_info(params, executor)
                if executor.dashboard:
                    progress.message(dashboard_text(executor.dashboard))
                    if not _has_bokeh():
                        progress.message(dashboard_hint_message())
                progress.started(len(plan.units), len(pending), planned_km2, done_km2)

                def on_record(record: UnitRecord) -> None:
                    records[record.unit_id] = record
                    progress.unit_done(record)
                executor.run(pending, unit_job(params, work.units_dir), on_record, is_cancelled)
            work.remove_partial_units()  # left by workers that died mid-unit (their units ran again elsewhere)
        else:
            progress.started(len(plan.units), 0, planned_km2, done_km2)
        progress.message(merging_text(len(plan.units)))
        with RunFiles([files["gpkg"], files["csv"], files["json"]], time.time()) as run_files:
            merged = merge_units(plan, records, expanded.missing, work.units_dir, params.min_area_m2,
                                 run_files.temp_path(files["gpkg"]), run_files.temp_path(files["csv"]), is_cancelled,
                                 params.regularize)
            summary = _summary(params, files, plan, records, merged, skipped, len(pending), cluster, started)
            write_json(run_files.temp_path(files["json"]), summary)
            run_files.commit()
    return BatchResult(files["gpkg"], files["csv"], files["json"], files["work"], summary)


def _has_bokeh() -> bool:
    try:
        import bokeh  # noqa: F401 (the dashboard's plots)
    except ImportError:
        return False
    return True


def dashboard_hint_message() -> str:
    return "The dashboard needs the Python package bokeh (python3 -m pip install bokeh) for its plots."


def removed_units_text(count: int) -> str:
    return f"Removed {count} partial units left by an interrupted run or a lost worker"


def checking_text(count: int) -> str:
    return f"Checking {count} rasters"


def merging_text(count: int) -> str:
    return f"Merging {count} units"


def plan_summary(rasters: int, datasets: int, units: int, skipped: int) -> str:
    return (f"{rasters} rasters in {datasets} datasets (a mosaic of tiles is one), {units} units, {skipped} of "
            f"them done in an earlier run")


def dashboard_text(link: str) -> str:
    return f"Dask dashboard: {link}"


def _cluster_info(params: BatchParams, executor) -> Dict[str, object]:
    info: Dict[str, object] = {"kind": "in-process" if isinstance(executor, InProcessExecutor) else
                               ("scheduler" if params.scheduler else "local"),
                               "scheduler": executor.scheduler, "dashboard": executor.dashboard}
    info.update(executor.worker_summary())
    if executor.sizing is not None:
        info.update(threads_per_worker=executor.sizing.threads_per_worker, ort_threads=executor.sizing.ort_threads)
    elif params.ort_threads:
        info["ort_threads"] = params.ort_threads
    return info


def _summary(params: BatchParams, files: Dict[str, str], plan, records: Dict[str, UnitRecord], merged,
             skipped: int, run: int, cluster: Dict[str, object], started: float) -> dict:
    statuses = [row.status for row in merged.rows]
    failed_units = [r for r in records.values() if r.status != STATUS_OK]
    missing_units = [unit for unit in plan.units if unit.unit_id not in records]
    return {
        "output": files["gpkg"], "rasters_csv": files["csv"], "result_json": files["json"],
        "work_folder": files["work"],
        "building_count": merged.building_count, "total_area_m2": merged.total_area_m2,
        "total_area_reg_m2": merged.total_area_reg_m2,
        "analysed_area_m2": merged.analysed_area_m2,
        "built_up_share_pct": 100.0 * merged.total_area_m2 / merged.analysed_area_m2 if merged.analysed_area_m2 else 0.0,
        "joined_across_seams": merged.joined_buildings, "pieces": merged.pieces, "output_crs": merged.output_crs,
        "rasters": {"total": len(merged.rows), "ok": statuses.count(STATUS_OK),
                    "partial": statuses.count(STATUS_PARTIAL), "failed": statuses.count(STATUS_FAILED)},
        "failures": [{"raster": row.raster, "status": row.status, "reason": row.reason}
                     for row in merged.rows if row.status != STATUS_OK],
        "units": {"total": len(plan.units), "run": run, "skipped": skipped,
                  "failed": len(failed_units) + len(missing_units)},
        "cluster": cluster, "min_area_m2": params.min_area_m2,
        "runtime_s": round(time.monotonic() - started, 3),
    }
