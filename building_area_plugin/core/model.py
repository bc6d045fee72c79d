"""ONNX models: metadata from the model file and an onnxruntime session around it.

Metadata keys follow Deepness/GeoDeep (values are JSON-encoded strings, as their
tools write them with ``json.dumps``), plus ours: ``gsd_output``, ``gsd_log_error``,
``edge_output``, ``detection_output`` (a segmentor that also detects: one network, one pass per tile),
``version``, ``score_calibration`` (see score_calibration.py), the instance split's ``split_*`` keys
(segmentors with an edge output) and ``fusion_min_score`` (detectors); see models/README.md.
"""
import ast
import json
import logging
import math
import os
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, NamedTuple, Optional, Tuple

import numpy as np

from .checksums import verify_checksum
from .errors import ModelError, one_line
from .score_calibration import METADATA_KEY as SCORE_CALIBRATION_KEY, ScoreCalibration

LOG = logging.getLogger(__name__)

MODEL_TYPES = ("segmentor", "detector")
GPU_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider")
REQUIRED_KEYS = ("model_type", "resolution", "tile_size")
DEFAULT_CLASS_NAMES = {0: "background", 1: "building"}
INPUT_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16}
# Outputs within this margin outside [0, 1] are float noise of a sigmoid, not logits.
PROBABILITY_TOLERANCE = 1e-3


class _Sessions:
    """How this process opens models: onnxruntime's intra-op threads (None: one per core) and whether
    open_model() keeps each model loaded for the next run (the batch workers: models load once)."""
    intra_op_threads: Optional[int] = None
    cache: Optional[Dict[tuple, "OnnxModel"]] = None
    loaded = 0  # models the cache has opened in this process
    lock = threading.Lock()


def configure_sessions(intra_op_threads: Optional[int] = None, cache: bool = False) -> None:
    """Set onnxruntime's intra-op threads for models opened from now on, and turn the model cache on or off."""
    with _Sessions.lock:
        _Sessions.intra_op_threads = intra_op_threads
        _Sessions.cache = {} if cache else None


def open_model(path: str, checksums: Optional[str] = None) -> "OnnxModel":
    """OnnxModel(path, checksums), or the one already open in this process when the cache is on.

    The cache keys on the file's identity (size, modification time) and the thread count, so a
    model file replaced meanwhile is opened (and checked) again. onnxruntime sessions run
    concurrently from several threads, so one model serves every thread of a process.
    """
    with _Sessions.lock:
        cache, threads = _Sessions.cache, _Sessions.intra_op_threads
    if cache is None:
        return OnnxModel(path, checksums)
    try:
        stat = os.stat(path)
        key = (os.path.realpath(path), checksums, stat.st_size, stat.st_mtime_ns, threads)
    except OSError:
        return OnnxModel(path, checksums)  # raises the ModelError that names the problem
    with _Sessions.lock:
        model = cache.get(key)
        if model is None:
            model = cache[key] = OnnxModel(path, checksums)
            _Sessions.loaded += 1
    return model


def models_loaded() -> int:
    """How many models open_model() has loaded into its cache in this process (the batch reports it per unit)."""
    return _Sessions.loaded


def _fix(key: str, example: str) -> str:
    return (f"Add metadata key '{key}' (e.g. {example}) to the ONNX model's metadata_props, "
            f"e.g. with onnx.helper.set_model_props, then load the model again.")


def _decode(value: str):
    """A metadata value: JSON as Deepness writes it, a Python literal, or else the raw text."""
    for parse in (json.loads, ast.literal_eval):
        try:
            return parse(value)
        except (ValueError, SyntaxError, TypeError):
            continue
    return value.strip()


def _text(raw: Mapping[str, str], key: str) -> Optional[str]:
    """A name or version: a JSON string is unquoted, anything else kept verbatim ('0.10' stays '0.10')."""
    if not raw.get(key):
        return None
    value = _decode(raw[key])
    return value if isinstance(value, str) else raw[key].strip()


def _number(props: Mapping[str, object], key: str, example: str, default=None) -> Optional[float]:
    if key not in props:
        return default
    try:
        return float(props[key])
    except (TypeError, ValueError):
        raise ModelError(f"Model metadata '{key}' is {props[key]!r}, not a number. {_fix(key, example)}")


def _triple(props: Mapping[str, object], key: str, default: float) -> Tuple[float, float, float]:
    value = props.get(key, [default] * 3)
    values = value if isinstance(value, (list, tuple)) else [value]
    try:
        values = [float(v) for v in values]
    except (TypeError, ValueError):
        values = []
    if len(values) == 1:
        values = values * 3
    if len(values) != 3:
        raise ModelError(f"Model metadata '{key}' is {value!r}: it needs one number per RGB channel. "
                         f"{_fix(key, '[0.485, 0.456, 0.406]')}")
    return tuple(values)


def _class_names(value) -> Dict[int, str]:
    # Deepness allows one mapping per output; the segmentation output is the first.
    if isinstance(value, list) and value and isinstance(value[0], dict):
        value = value[0]
    if isinstance(value, list):
        value = dict(enumerate(value))
    if not isinstance(value, dict):
        raise ModelError(f"Model metadata 'class_names' is {value!r}, not a mapping. "
                         f"{_fix('class_names', json.dumps({0: 'background', 1: 'building'}))}")
    try:
        return {int(k): str(v) for k, v in value.items()}
    except ValueError:
        raise ModelError(f"Model metadata 'class_names' has keys that are not class numbers: {value!r}. "
                         f"{_fix('class_names', json.dumps({0: 'background', 1: 'building'}))}")


@dataclass(frozen=True)
class ModelMetadata:
    model_type: str                      # 'segmentor' | 'detector'
    resolution_cm: float                 # ground resolution the model was trained at, cm/px
    tile_size: int                       # model input side in pixels
    class_names: Dict[int, str] = field(default_factory=lambda: dict(DEFAULT_CLASS_NAMES))
    tiles_overlap: float = 10.0          # percent of tile_size
    standardization_mean: Tuple[float, float, float] = (0.0, 0.0, 0.0)
    standardization_std: Tuple[float, float, float] = (1.0, 1.0, 1.0)
    seg_thresh: float = 0.5
    det_conf: float = 0.3
    det_iou_thresh: float = 0.5
    gsd_output: Optional[str] = None     # output holding log(GSD m/px), shape [N, 1]
    edge_output: Optional[str] = None    # output holding building-edge probability, [N, 1, H, W]
    detection_output: Optional[str] = None  # a segmentor's output holding boxes, [N, boxes, 5 + classes]
    gsd_log_error: float = 0.0           # the GSD head's calibrated error in log space (see gsd.gsd_from_model)
    version: Optional[str] = None
    score_calibration: Optional[ScoreCalibration] = None  # raw building score -> share of true buildings
    # The instance split (split.py), tuned per model on training images (scripts/tune_split.py):
    split_edge_thresh: float = 0.5       # a blob pixel with edge probability below this is a building's inside
    split_seed_prob: float = 0.5         # ... and with building probability at least this
    split_min_seed_m2: float = 2.0       # insides smaller than this seed no building of their own
    split_wall_prob: float = 0.5         # two parts whose border's mean max(edge, 1 - probability) is lower are one
    # Edges split blobs only in rasters this fine or finer: coarser imagery is upsampled to the model's GSD,
    # and its blurred walls cut single roofs in pieces.
    split_max_gsd_m: float = math.inf
    # Detectors: a building that holds no box of theirs is kept only at this mean probability or more.
    fusion_min_score: float = 0.0

    @property
    def gsd_m(self) -> float:
        return self.resolution_cm / 100.0

    @classmethod
    def from_props(cls, raw: Mapping[str, str], model_name: str = "model") -> "ModelMetadata":
        props = {k: _decode(v) for k, v in raw.items()}
        _resolve_tile_size_alias(props)
        missing = [k for k in REQUIRED_KEYS if k not in props]
        if missing:
            examples = {"model_type": '"Segmentor"', "resolution": "30 (cm/px)", "tile_size": "512"}
            raise ModelError(f"{model_name}: metadata '{missing[0]}' is missing. "
                             f"{_fix(missing[0], examples[missing[0]])}")

        model_type = str(props["model_type"]).strip().lower()
        if model_type not in MODEL_TYPES:
            raise ModelError(f"{model_name}: metadata 'model_type' is {props['model_type']!r}; "
                             f"building-area runs 'Segmentor' and 'Detector' models. "
                             + _fix("model_type", '"Segmentor"'))
        resolution = _number(props, "resolution", "30 (cm/px)")
        tile_size = _number(props, "tile_size", "512")
        overlap = _number(props, "tiles_overlap", "10 (percent)", cls.tiles_overlap)
        seg_thresh = _number(props, "seg_thresh", "0.5", cls.seg_thresh)
        det_conf = _number(props, "det_conf", "0.3", cls.det_conf)
        det_iou = _number(props, "det_iou_thresh", "0.5", cls.det_iou_thresh)
        gsd_log_error = _number(props, "gsd_log_error", "0.15", cls.gsd_log_error)
        split_edge = _number(props, "split_edge_thresh", "0.5", cls.split_edge_thresh)
        split_seed = _number(props, "split_seed_prob", "0.5", cls.split_seed_prob)
        split_min_seed = _number(props, "split_min_seed_m2", "2.0", cls.split_min_seed_m2)
        split_wall = _number(props, "split_wall_prob", "0.5", cls.split_wall_prob)
        split_max_gsd = _number(props, "split_max_gsd_m", "0.35", cls.split_max_gsd_m)
        fusion_min_score = _number(props, "fusion_min_score", "0.5", cls.fusion_min_score)
        std = _triple(props, "standardization_std", 1.0)
        checks = (
            ("resolution", resolution, resolution > 0, "30 (cm/px)"),
            ("tile_size", tile_size, tile_size >= 16 and tile_size == int(tile_size), "512"),
            ("tiles_overlap", overlap, 0 <= overlap < 100, "10 (percent)"),
            ("seg_thresh", seg_thresh, 0 < seg_thresh < 1, "0.5"),
            ("det_conf", det_conf, 0 < det_conf < 1, "0.3"),
            ("det_iou_thresh", det_iou, 0 < det_iou <= 1, "0.5"),
            ("gsd_log_error", gsd_log_error, 0 <= gsd_log_error < 5, "0.15"),
            ("split_edge_thresh", split_edge, 0 < split_edge <= 1, "0.5"),
            ("split_seed_prob", split_seed, 0 <= split_seed < 1, "0.5"),
            ("split_min_seed_m2", split_min_seed, 0 <= split_min_seed < math.inf, "2.0"),
            ("split_wall_prob", split_wall, 0 <= split_wall <= 1, "0.5"),
            ("split_max_gsd_m", split_max_gsd, split_max_gsd > 0, "0.35"),
            ("fusion_min_score", fusion_min_score, 0 <= fusion_min_score < 1, "0.5"),
            ("standardization_std", std, all(s > 0 for s in std), "[0.229, 0.224, 0.225]"),
        )
        for key, value, ok, example in checks:
            if not ok:
                raise ModelError(f"{model_name}: metadata '{key}' = {value!r} is out of range. "
                                 f"{_fix(key, example)}")
        return cls(
            model_type=model_type,
            resolution_cm=resolution,
            tile_size=int(tile_size),
            class_names=_class_names(props.get("class_names", DEFAULT_CLASS_NAMES)),
            tiles_overlap=overlap,
            standardization_mean=_triple(props, "standardization_mean", 0.0),
            standardization_std=std,
            seg_thresh=seg_thresh,
            det_conf=det_conf,
            det_iou_thresh=det_iou,
            gsd_output=_text(raw, "gsd_output"),
            edge_output=_text(raw, "edge_output"),
            detection_output=_text(raw, "detection_output"),
            gsd_log_error=gsd_log_error,
            version=_text(raw, "version"),
            score_calibration=(ScoreCalibration.from_knots(props[SCORE_CALIBRATION_KEY], model_name)
                               if props.get(SCORE_CALIBRATION_KEY) is not None else None),
            split_edge_thresh=split_edge,
            split_seed_prob=split_seed,
            split_min_seed_m2=split_min_seed,
            split_wall_prob=split_wall,
            split_max_gsd_m=split_max_gsd,
            fusion_min_score=fusion_min_score,
        )


def _resolve_tile_size_alias(props: Dict[str, object]) -> None:
    """Deepness documents 'tile_size' but its tool writes 'tiles_size': accept both, unless they disagree."""
    if "tiles_size" not in props:
        return
    if "tile_size" in props and props["tile_size"] != props["tiles_size"]:
        raise ModelError(f"Model metadata 'tile_size' ({props['tile_size']}) and 'tiles_size' "
                         f"({props['tiles_size']}) contradict each other: keep only one of them.")
    props["tile_size"] = props.pop("tiles_size")


def _import_onnxruntime():
    try:
        import onnxruntime
    except ImportError:
        raise ModelError("onnxruntime is not installed in QGIS's Python. Install it with "
                         "'python3 -m pip install onnxruntime' (or 'onnxruntime-gpu' for an NVIDIA GPU) "
                         "using the Python that QGIS runs, then restart QGIS.")
    return onnxruntime


def _fixed(dim) -> Optional[int]:
    """A static dimension, or None where the model leaves it dynamic (a name or None)."""
    return dim if isinstance(dim, int) and dim > 0 else None


def _check_model_file(path: str) -> None:
    """ONNX files only: a pickled model (.pt, .pkl, ...) runs code when loaded, an ONNX graph does not."""
    if not path.lower().endswith(".onnx"):
        raise ModelError(f"{path} is not an ONNX model file (.onnx): building-area loads only ONNX models, never "
                         f"pickled Python objects. Export the model to ONNX and choose the .onnx file.")
    if not os.path.isfile(path):
        raise ModelError(f"Model file {path} does not exist: choose an existing .onnx file.")


class OnnxModel:
    """An ONNX segmentation model ready to run on uint8 RGB tiles.

    checksums: a SHA256SUMS file the model must be listed in with its exact SHA-256 (shipped
    models); None for a model the user chose, which is only checked to be valid ONNX.
    """

    def __init__(self, path: str, checksums: Optional[str] = None):
        self.path = path
        self.name = os.path.basename(path)
        _check_model_file(path)
        if checksums is not None:
            verify_checksum(path, checksums)
        ort = _import_onnxruntime()
        self._session = self._open_session(ort, path)
        self.metadata = ModelMetadata.from_props(self._session.get_modelmeta().custom_metadata_map, self.name)
        self.provider = self._session.get_providers()[0]
        LOG.info("Model %s runs on %s", self.name, self.provider)
        self._input = self._check_input()
        self._batch_limit = _fixed(self._input.shape[0])
        # Detectors share the session code but have no segmentation output; a segmentor may carry boxes too.
        self._seg_output = self._find_segmentation_output() if self.is_segmentor else None
        self._det_output = self.metadata.detection_output if self.is_segmentor else self._find_detection_output()
        self._check_named_outputs()
        mean = np.asarray(self.metadata.standardization_mean, np.float32).reshape(1, 3, 1, 1)
        std = np.asarray(self.metadata.standardization_std, np.float32).reshape(1, 3, 1, 1)
        # (x / 255 - mean) / std folded into one multiply-add per pixel.
        self._scale = (1.0 / (255.0 * std)).astype(np.float32)
        self._offset = (-mean / std).astype(np.float32)

    @staticmethod
    def _open_session(ort, path: str):
        options = ort.SessionOptions()
        options.intra_op_num_threads = _Sessions.intra_op_threads or os.cpu_count() or 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 4  # fatal only: failures reach the user once, as a ModelError
        # onnxruntime-gpu offers TensorRT and/or CUDA; the first one that loads runs the model.
        available = ort.get_available_providers()
        providers = [p for p in GPU_PROVIDERS if p in available] + ["CPUExecutionProvider"]
        try:
            return ort.InferenceSession(path, sess_options=options, providers=providers)
        except Exception as exc:  # onnxruntime raises its own exception types per failure
            raise ModelError(f"{path} is not a usable ONNX model ({one_line(exc)}). Choose a valid .onnx model "
                             f"file.") from None

    @property
    def is_segmentor(self) -> bool:
        return self.metadata.model_type == "segmentor"

    @property
    def has_gsd_output(self) -> bool:
        return self.metadata.gsd_output is not None

    @property
    def has_edge_output(self) -> bool:
        return self.metadata.edge_output is not None

    @property
    def detects_while_segmenting(self) -> bool:
        """A segmentor with a box output: one network run per tile gives the probabilities and the boxes."""
        return self.is_segmentor and self.metadata.detection_output is not None

    def _check_input(self):
        inputs = self._session.get_inputs()
        if len(inputs) != 1:
            raise ModelError(f"{self.name} has {len(inputs)} inputs; building-area needs a model with one "
                             f"image input [N, 3, H, W].")
        model_input = inputs[0]
        shape = model_input.shape
        if len(shape) != 4 or _fixed(shape[1]) not in (3, None):
            raise ModelError(f"{self.name} takes input {shape}; building-area feeds RGB tiles "
                             f"[N, 3, H, W]: export the model with 3 input channels.")
        if model_input.type not in INPUT_TYPES:
            raise ModelError(f"{self.name} takes {model_input.type}; export it with a float32 or float16 input.")
        tile = self.metadata.tile_size
        for dim in shape[2:]:
            if _fixed(dim) not in (tile, None):
                raise ModelError(f"{self.name}: metadata 'tile_size' = {tile} contradicts the model's fixed "
                                 f"input {shape}: set 'tile_size' to {dim}.")
        return model_input

    def _find_segmentation_output(self) -> str:
        others = (self.metadata.gsd_output, self.metadata.edge_output, self.metadata.detection_output)
        candidates = [o for o in self._session.get_outputs() if o.name not in others and len(o.shape) == 4]
        if len(candidates) != 1:
            raise ModelError(f"{self.name} has {len(candidates)} outputs of shape [N, C, H, W]; building-area "
                             f"needs exactly one (the building probability).")
        channels = _fixed(candidates[0].shape[1])
        classes = len(self.metadata.class_names)
        if channels is not None and channels > 1 and channels != classes:
            raise ModelError(f"{self.name}: metadata 'class_names' lists {classes} classes but the output has "
                             f"{channels} channels: list one name per channel (class 1 = building).")
        return candidates[0].name

    def _check_named_outputs(self) -> None:
        names = [o.name for o in self._session.get_outputs()]
        for key in ("gsd_output", "edge_output", "detection_output"):
            value = getattr(self.metadata, key)
            if value is not None and value not in names:
                raise ModelError(f"{self.name}: metadata '{key}' names '{value}', which is "
                                 f"not an output of the model (outputs: {names}): fix or remove that key.")

    def _find_detection_output(self) -> Optional[str]:
        """The one output [N, boxes, 5 + classes]; None when there is not exactly one (see require_detection_output)."""
        candidates = [o for o in self._session.get_outputs() if len(o.shape) == 3]
        columns = _fixed(candidates[0].shape[2]) if len(candidates) == 1 else None
        if len(candidates) != 1 or (columns is not None and columns < 5):
            return None
        return candidates[0].name

    def require_detection_output(self) -> str:
        if self.is_segmentor and self._det_output is None:
            raise ModelError(f"{self.name} is a {self.metadata.model_type} model, not a detector: choose a "
                             f"building detection model (or a segmentor whose metadata names its boxes in "
                             f"'detection_output').")
        if self._det_output is None:
            raise ModelError(f"{self.name} is a detector but has no single output of shape [N, boxes, 5 + classes]; "
                             f"building-area needs exactly one, with the boxes decoded (cx, cy, w, h in tile "
                             f"pixels, objectness, class scores).")
        return self._det_output

    def predict_detection(self, batch: np.ndarray) -> np.ndarray:
        """uint8 [N, 3, H, W] -> boxes float32 [N, boxes, 5 + classes] (cx, cy, w, h, objectness, classes)."""
        output = self.require_detection_output()
        if batch.ndim != 4 or batch.shape[1] != 3:
            raise ValueError(f"expected uint8 [N, 3, H, W], got {batch.shape}")
        n = batch.shape[0]
        limit = self._batch_limit or n
        parts = []
        for i in range(0, n, limit):
            chunk = batch[i:i + limit]
            if chunk.shape[0] < limit:
                chunk = np.concatenate([chunk, np.zeros((limit - chunk.shape[0],) + chunk.shape[1:], chunk.dtype)])
            parts.append(self._boxes(self.run_session([output], self.standardize(chunk))[0], chunk.shape[0]))
        return np.concatenate(parts)[:n]

    def _boxes(self, boxes: np.ndarray, n: int) -> np.ndarray:
        if boxes.ndim != 3 or boxes.shape[0] != n or boxes.shape[2] < 5:
            raise ModelError(f"{self.name} returned boxes of {boxes.shape}; a detector must return "
                             f"[N, boxes, 5 + classes].")
        return boxes.astype(np.float32, copy=False)

    def predict_segmentation(self, batch: np.ndarray, with_boxes: bool = False) -> "SegmentationOutput":
        """uint8 [N, 3, H, W] -> building probability, log GSD and edge probability (see SegmentationOutput);
        with_boxes: also the boxes of a segmentor that detects (detects_while_segmenting)."""
        if not self.is_segmentor:
            raise ModelError(f"{self.name} is a {self.metadata.model_type} model, not a segmentor: choose a "
                             f"building segmentation model.")
        if batch.ndim != 4 or batch.shape[1] != 3:
            raise ValueError(f"expected uint8 [N, 3, H, W], got {batch.shape}")
        n = batch.shape[0]
        limit = self._batch_limit or n
        if with_boxes and not self.detects_while_segmenting:
            raise ModelError(f"{self.name} has no box output: its metadata names none in 'detection_output'.")
        parts = [self._run(batch[i:i + limit], limit, with_boxes) for i in range(0, n, limit)]
        return SegmentationOutput(*(np.concatenate(field)[:n] if field[0] is not None else None
                                    for field in zip(*parts)))

    def _run(self, chunk: np.ndarray, limit: int, with_boxes: bool) -> "SegmentationOutput":
        # A model exported with a fixed batch size gets its last chunk padded to that size.
        if chunk.shape[0] < limit:
            chunk = np.concatenate([chunk, np.zeros((limit - chunk.shape[0],) + chunk.shape[1:], chunk.dtype)])
        names = self.output_names + ([self._det_output] if with_boxes else [])
        results = dict(zip(names, self.run_session(names, self.standardize(chunk))))
        gsd, edge = self.metadata.gsd_output, self.metadata.edge_output
        return SegmentationOutput(
            self._probability(results[self._seg_output], chunk.shape, self._seg_output),
            self._log_gsd(results[gsd], chunk.shape[0]) if gsd else None,
            self._probability(results[edge], chunk.shape, edge) if edge else None,
            self._boxes(results[self._det_output], chunk.shape[0]) if with_boxes else None)

    @property
    def output_names(self) -> List[str]:
        """The outputs the plugin runs: the building probability (with the log GSD and the edge probability
        where the model has them), or the boxes."""
        if self.is_segmentor:
            named = [self.metadata.gsd_output, self.metadata.edge_output]
            return [self._seg_output] + [name for name in named if name]
        return [self.require_detection_output()]

    def standardize(self, batch: np.ndarray) -> np.ndarray:
        """uint8 [N, 3, H, W] -> the model's input: (x / 255 - mean) / std in its float type."""
        x = batch.astype(np.float32)
        x *= self._scale
        x += self._offset
        return x.astype(INPUT_TYPES[self._input.type], copy=False)

    def run_session(self, outputs, x: np.ndarray):
        """onnxruntime alone on a standardized batch (the benchmark times exactly this)."""
        try:
            return self._session.run(outputs, {self._input.name: x})
        except Exception as exc:  # onnxruntime raises its own exception types per failure
            raise ModelError(f"{self.name} failed on tiles of {tuple(x.shape)} ({one_line(exc)}). It does not run on "
                             f"{self.metadata.tile_size} px RGB tiles as its metadata says: fix 'tile_size' "
                             f"or choose another model.") from None

    def _probability(self, output: np.ndarray, input_shape, name: str) -> np.ndarray:
        """A probability output [N, C, H, W] (class 1 of several channels, else channel 0) as float32 [N, H, W]."""
        n, _, h, w = input_shape
        if output.ndim != 4 or output.shape[0] != n or output.shape[2:] != (h, w):
            raise ModelError(f"{self.name}: output '{name}' is {output.shape} for input {tuple(input_shape)}; "
                             f"a probability output must be [N, C, H, W] at the input's size.")
        prob = output[:, 1 if output.shape[1] > 1 else 0].astype(np.float32, copy=False)
        low, high = prob.min(), prob.max()  # NaN anywhere makes both NaN
        if np.isnan(low) or np.isnan(high):
            raise ModelError(f"{self.name}: output '{name}' holds NaN: the model is broken (check its export "
                             f"and its standardization_mean/std metadata).")
        if low < -PROBABILITY_TOLERANCE or high > 1 + PROBABILITY_TOLERANCE:
            raise ModelError(f"{self.name}: output '{name}' holds values outside 0..1 ({low:.3g}..{high:.3g}): "
                             f"export it with a sigmoid/softmax.")
        return prob if 0.0 <= low and high <= 1.0 else np.clip(prob, 0.0, 1.0)

    def _log_gsd(self, output: np.ndarray, n: int) -> np.ndarray:
        if output.size != n:
            raise ModelError(f"{self.name}: output '{self.metadata.gsd_output}' has shape {output.shape}; "
                             f"it must hold one log(GSD) per image, [N, 1].")
        log_gsd = output.reshape(n).astype(np.float32)
        if not np.isfinite(log_gsd).all():
            raise ModelError(f"{self.name}: output '{self.metadata.gsd_output}' returned NaN/inf: the GSD head "
                             f"is broken; set a GSD by hand instead.")
        return log_gsd


class SegmentationOutput(NamedTuple):
    """What a segmentor says about a batch of N tiles of H x W pixels."""
    prob: np.ndarray                # building probability, float32 [N, H, W]
    log_gsd: Optional[np.ndarray]   # log(GSD m/px) per tile, float32 [N]; None without a GSD output
    edge: Optional[np.ndarray]      # building-edge probability, float32 [N, H, W]; None without an edge output
    boxes: Optional[np.ndarray] = None  # boxes [N, boxes, 5 + classes] when asked for (detects_while_segmenting)


def median_gsd_m(log_gsd: np.ndarray) -> float:
    """The median ground sampling distance of per-tile log(GSD) predictions, in m/px."""
    return float(math.exp(float(np.median(log_gsd))))
