"""Typed parameters and results of the pipeline (plain data, no QGIS)."""
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple

# progress(percent 0..100, message); is_cancelled() -> True stops the run.
ProgressCallback = Callable[[float, str], None]
CancelCallback = Callable[[], bool]

GSD_SOURCE_GEOREFERENCING = "georeferencing"
GSD_SOURCE_MODEL = "model"
GSD_SOURCE_USER = "user"


@dataclass(frozen=True)
class Extent:
    """Axis-aligned extent in the raster's CRS (georeferenced units)."""
    xmin: float
    ymin: float
    xmax: float
    ymax: float


@dataclass(frozen=True)
class PipelineParams:
    raster_path: str
    output_path: str                      # GeoPackage: layers 'buildings' and 'summary'
    segmentation_model: str               # path to an ONNX segmentation model
    detection_model: Optional[str] = None  # path to an ONNX detection model (optional)
    detections_path: Optional[str] = None  # GeoPackage of detection boxes (optional)
    probability_path: Optional[str] = None  # GeoTIFF of building probability on the raster grid
    gsd_m: Optional[float] = None          # user GSD in m/px; None or 0 = automatic
    threshold: Optional[float] = None      # None = the model's seg_thresh
    min_area_m2: float = 2.0
    extent: Optional[Extent] = None
    batch_size: int = 4
    overwrite: bool = True
    det_conf: Optional[float] = None       # None = the model's det_conf
    det_iou: Optional[float] = None        # None = the model's det_iou_thresh
    model_checksums: Optional[str] = None  # SHA256SUMS the model must match (shipped models); None: not verified
    detection_checksums: Optional[str] = None  # the same for the detection model
    regularize: bool = False               # write right-angled outlines (core/regularize.py); areas stay the mask's


@dataclass
class GroundSampling:
    """Ground metres per pixel along the raster's columns (x) and rows (y)."""
    x_m: float
    y_m: float
    source: str  # one of GSD_SOURCE_*
    # (low, high) m/px, an 80 % interval, when the GSD is an estimate (the model's GSD head).
    interval_m: Optional[Tuple[float, float]] = None

    @property
    def mean_m(self) -> float:
        return (self.x_m + self.y_m) / 2.0

    def area_factors(self) -> Optional[Tuple[float, float]]:
        """What an area measured at this GSD is multiplied by at the interval's ends (areas go as GSD²)."""
        if self.interval_m is None:
            return None
        low, high = self.interval_m
        return (low / self.mean_m) ** 2, (high / self.mean_m) ** 2


@dataclass
class Summary:
    building_count: int
    total_area_m2: float
    analysed_area_m2: float
    built_up_share_pct: float
    gsd_m: float
    gsd_source: str
    models: List[str] = field(default_factory=list)
    provider: str = ""
    runtime_s: float = 0.0
    tiles: int = 0               # model tiles run: segmentation, its GSD check and detection together
    detection_tiles: int = 0     # of which the detection model's
    detection_count: int = 0
    # The total area at the ends of the GSD's 80 % interval; None when the GSD is not an estimate.
    total_area_m2_low: Optional[float] = None
    total_area_m2_high: Optional[float] = None
    # The regularized outlines' total area; None when the outlines are not regularized.
    total_area_reg_m2: Optional[float] = None


@dataclass
class PipelineResult:
    summary: Summary
    output_path: str
    detections_path: Optional[str] = None
    probability_path: Optional[str] = None
    log: List[str] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)  # also in log; shown as warnings by the QGIS layer
