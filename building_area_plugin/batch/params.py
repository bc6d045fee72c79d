"""Plain data of a batch run: its parameters, its work units and what each unit leaves behind."""
import os
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

DEFAULT_WINDOW_PX = 8192   # a raster wider or taller than this is cut into windows (work units) of about this size
DEFAULT_MARGIN_PX = 128    # pixels read around a unit so that the model sees past the unit's edges
DEFAULT_RETRIES = 2        # reruns of a unit whose run raised an unexpected error (a lost worker is Dask's matter)
DASHBOARD_ADDRESS = "127.0.0.1:8787"

STATUS_OK = "ok"
STATUS_FAILED = "failed"
STATUS_PARTIAL = "partial"   # a raster some of whose units failed


@dataclass(frozen=True)
class BatchParams:
    inputs: Sequence[str]
    output_path: str                        # the merged GeoPackage; beside it <stem>_rasters.csv, <stem>.json, <stem>_batch/
    segmentation_model: str
    detection_model: Optional[str] = None
    model_checksums: Optional[str] = None
    detection_checksums: Optional[str] = None
    gsd_m: Optional[float] = None
    threshold: Optional[float] = None
    min_area_m2: float = 2.0
    det_conf: Optional[float] = None
    det_iou: Optional[float] = None
    regularize: bool = False                # right-angled outlines (core.regularize), as PipelineParams.regularize
    batch_size: int = 4
    window_px: int = DEFAULT_WINDOW_PX
    margin_px: int = DEFAULT_MARGIN_PX
    workers: Optional[int] = None           # None: sized to the machine; 0: in this process, without Dask
    threads_per_worker: Optional[int] = None
    ort_threads: Optional[int] = None       # onnxruntime intra-op threads per model; None: cores / worker threads
    scheduler: Optional[str] = None         # tcp://host:8786: an existing Dask cluster
    dashboard_address: Optional[str] = DASHBOARD_ADDRESS  # the local cluster's dashboard; None: none
    retries: int = DEFAULT_RETRIES


def output_files(output_path: str) -> Dict[str, str]:
    """The files of a batch run named after its GeoPackage: city.gpkg -> city_rasters.csv, city.json, city_batch/."""
    stem = os.path.splitext(os.path.abspath(output_path))[0]
    return {"gpkg": os.path.abspath(output_path), "csv": stem + "_rasters.csv", "json": stem + ".json",
            "work": stem + "_batch"}


@dataclass(frozen=True)
class UnitJob:
    """What every unit of a run shares: the pipeline's settings and where units write."""
    units_dir: str
    segmentation_model: str
    detection_model: Optional[str]
    model_checksums: Optional[str]
    detection_checksums: Optional[str]
    gsd_m: Optional[float]
    threshold: Optional[float]
    min_area_m2: float
    det_conf: Optional[float]
    det_iou: Optional[float]
    batch_size: int
    regularize: bool = False
    margin_px: int = DEFAULT_MARGIN_PX
    ort_threads: Optional[int] = None                           # None: from ort_threads_by_host, else cores / threads
    ort_threads_by_host: Dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Unit:
    """One work unit: the pixels ``core`` of ``dataset`` (the raster, or the VRT of its mosaic).

    Coordinates are the dataset's pixels (column, row). The pipeline runs on ``window`` (the
    core's bounding box grown by the margin, within the dataset; None: the whole dataset);
    buildings are then cut to the core. ``raster_offset`` and ``raster_size`` place the source
    raster in the dataset: when reading the mosaic fails (a neighbour broken mid-file), the
    unit runs on the raster alone.
    """
    unit_id: str
    raster: str
    dataset: str
    dataset_key: str                         # pieces are merged only with pieces of the same dataset
    dataset_crs_wkt: str
    dataset_geotransform: Tuple[float, ...]  # output geotransform: dataset pixel -> output coordinates
    dataset_size: Tuple[int, int]            # width, height in pixels
    core_wkt: str
    window: Optional[Tuple[int, int, int, int]]  # x, y, width, height
    raster_offset: Tuple[int, int]
    raster_size: Tuple[int, int]
    raster_geotransform: Tuple[float, ...]
    planned_m2: float                        # ground area of the core (for progress), 0 when unknown
    index: int = 0                           # the unit's place in the plan


@dataclass
class UnitRecord:
    """What a unit left: written as units/<id>.json once its GeoPackage is in place (the manifest's entry)."""
    unit_id: str
    raster: str
    status: str
    reason: str = ""
    buildings: int = 0              # whole buildings inside the unit (at least the minimum area)
    buildings_area_m2: float = 0.0
    buildings_area_m2_low: Optional[float] = None
    buildings_area_m2_high: Optional[float] = None
    buildings_area_reg_m2: Optional[float] = None  # their regularized outlines' area, when regularized
    pieces: int = 0                 # parts of buildings cut by the unit's seams, merged later
    analysed_area_m2: float = 0.0
    planned_m2: float = 0.0
    gsd_x_m: float = 0.0
    gsd_y_m: float = 0.0
    gsd_source: str = ""
    gsd_interval_m: Optional[Tuple[float, float]] = None
    provider: str = ""
    runtime_s: float = 0.0
    cpu_s: float = 0.0              # CPU time of the worker process during the unit (all its threads)
    worker: str = ""
    models_loaded: int = 0          # models the worker process had loaded when the unit ended (once each)
    peak_rss_mb: float = 0.0        # the worker process's peak resident memory so far
    note: str = ""
    warnings: List[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "UnitRecord":
        known = {name: values[name] for name in cls.__dataclass_fields__ if name in values}
        record = cls(**known)
        if record.gsd_interval_m is not None:
            record.gsd_interval_m = tuple(record.gsd_interval_m)
        return record
