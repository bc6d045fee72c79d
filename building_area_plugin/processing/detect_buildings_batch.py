"""Processing algorithm building_area:detect_buildings_batch: many rasters in, one merged GeoPackage out.

Translation only, as for detect_buildings: QGIS parameters -> batch.params.BatchParams; the run is the
command line's (batch.runner.run_batch) on a local Dask cluster sized to the machine, with Processing's
progress bar and Cancel (which stops the cluster; running it again with the same output resumes).
Dask is imported only when the algorithm runs: without it the plugin loads and this algorithm says
how to install it.
"""
import multiprocessing
import os
import shutil
import sys

from qgis.core import (
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingOutputFile,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFile,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterVectorDestination,
)

from ..core.errors import BuildingAreaError, CancelledError
from ..icon import plugin_icon
from ..model_download import missing_model_message
from ..shipped_models import DETECTION, SEGMENTATION, checksum_list, manifest_entry, profile_models_dir, shipped_model
from ..translation import tr, translate_message
from .dependencies import BATCH_PACKAGES, missing_package_message
from .detect_buildings import user_profile_dir
from .raster_source import reads_as_file
from .result_layers import buildings_layer_uri, load_buildings_styled

SHORT_HELP = """<p>Finds the buildings of many rasters at once (a whole city) and writes them into one \
GeoPackage, on a local Dask cluster that uses every core of this computer.</p>
<p><b>Inputs.</b> A folder (its rasters and those of its subfolders) and/or raster layers read from files. \
Tiles of one mosaic (same CRS and pixel grid, touching) are read together: a building across tiles comes \
out once, whole, with its full area. Rasters larger than the window are cut into windows that run in \
parallel.</p>
<p><b>Outputs.</b> Layer <code>buildings</code> of the GeoPackage: every building with \
<code>area_m2</code> (ground area), <code>raster</code> (its source raster) and <code>parts</code> (pieces \
joined across seams); layer <code>rasters</code>: one row per raster (status, reason of a failure, buildings, \
areas), also written as <i>&lt;name&gt;_rasters.csv</i>; <i>&lt;name&gt;.json</i> holds the result. \
With <i>Regularize outlines</i>, buildings are written as right-angled outlines (as in 'Detect buildings and \
measure their area'): <code>area_m2</code> stays the mask's area, <code>area_reg_m2</code> is the outline's. A raster \
that cannot be processed is reported with its reason and does not stop the others.</p>
<p><b>Resuming.</b> Finished work is kept in the folder <i>&lt;name&gt;_batch</i> beside the output: after \
Cancel or a crash, run again with the same output and only what is left runs.</p>"""


def python_for_workers() -> str:
    """A Python interpreter for Dask's worker processes: QGIS's own executable is QGIS, not Python."""
    if os.path.basename(sys.executable).lower().startswith("python"):
        return sys.executable
    candidates = [shutil.which("python3"), shutil.which("python"),
                  os.path.join(sys.exec_prefix, "bin", "python3"), os.path.join(sys.exec_prefix, "python.exe")]
    return next((path for path in candidates if path and os.path.isfile(path)), sys.executable)


class BatchFeedback:
    """batch.runner.BatchProgress for Processing: progress over units, messages and failures in the log."""

    def __init__(self, feedback):
        self.feedback = feedback
        self.pending = 0
        self.done = 0

    def message(self, text: str) -> None:
        self.feedback.pushInfo(translate_message(text))

    def started(self, units: int, pending: int, planned_km2: float, done_km2: float) -> None:
        self.pending = pending
        self.feedback.pushInfo(tr("{} units to run, {} done before; {:.3f} km² in all.").format(
            pending, units - pending, planned_km2))

    def unit_done(self, record) -> None:
        self.done += 1
        self.feedback.setProgress(95.0 * self.done / max(1, self.pending))
        if record.status != "ok":
            self.feedback.pushWarning(f"{record.raster}: {translate_message(record.reason)}")


class DetectBuildingsBatchAlgorithm(QgsProcessingAlgorithm):
    FOLDER = "FOLDER"
    LAYERS = "LAYERS"
    GSD = "GSD"
    MIN_AREA = "MIN_AREA"
    REGULARIZE = "REGULARIZE"
    DETECT = "DETECT"
    SEGMENTATION_MODEL = "SEGMENTATION_MODEL"
    DETECTION_MODEL = "DETECTION_MODEL"
    THRESHOLD = "THRESHOLD"
    WORKERS = "WORKERS"
    WINDOW = "WINDOW"
    OUTPUT = "OUTPUT"
    RASTERS_CSV = "RASTERS_CSV"
    RESULT_JSON = "RESULT_JSON"
    BUILDING_COUNT = "BUILDING_COUNT"
    TOTAL_AREA_M2 = "TOTAL_AREA_M2"
    ANALYSED_AREA_M2 = "ANALYSED_AREA_M2"
    RASTER_COUNT = "RASTER_COUNT"
    FAILED_RASTERS = "FAILED_RASTERS"

    def __init__(self):
        super().__init__()
        self._layer_paths = []

    def createInstance(self):  # noqa: N802 (QGIS override)
        return DetectBuildingsBatchAlgorithm()

    def name(self):
        return "detect_buildings_batch"

    def displayName(self):  # noqa: N802
        return tr("Detect buildings in many rasters (batch, Dask)")

    def shortHelpString(self):  # noqa: N802
        return tr(SHORT_HELP)

    def helpString(self):  # noqa: N802
        return self.shortHelpString()

    def icon(self):
        return plugin_icon()

    def tags(self):
        return tr("building,footprint,area,batch,city,mosaic,tiles,dask,parallel").split(",")

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(
            self.FOLDER, tr("Folder of rasters (with its subfolders)"),
            behavior=QgsProcessingParameterFile.Behavior.Folder, optional=True))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.LAYERS, tr("Raster layers"), layerType=QgsProcessing.SourceType.TypeRaster, optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.GSD, tr("Ground sampling distance, m/px (0 = automatic)"),
            type=QgsProcessingParameterNumber.Type.Double, defaultValue=0.0, optional=True, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.MIN_AREA, tr("Minimum building area (m²)"),
            type=QgsProcessingParameterNumber.Type.Double, defaultValue=2.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterBoolean(
            self.REGULARIZE, tr("Regularize outlines (right angles, aligned to each building)"), defaultValue=False))
        self.addParameter(QgsProcessingParameterBoolean(
            self.DETECT, tr("Also detect single buildings (boxes)"),
            defaultValue=shipped_model(DETECTION, user_profile_dir()) is not None))
        advanced = [
            QgsProcessingParameterFile(self.SEGMENTATION_MODEL, tr("Segmentation model (ONNX; empty = shipped model)"),
                                       extension="onnx", optional=True),
            QgsProcessingParameterFile(self.DETECTION_MODEL, tr("Detection model (ONNX; empty = shipped model)"),
                                       extension="onnx", optional=True),
            QgsProcessingParameterNumber(self.THRESHOLD, tr("Building probability threshold (0 = the model's own)"),
                                         type=QgsProcessingParameterNumber.Type.Double, defaultValue=0.0,
                                         optional=True, minValue=0.0, maxValue=1.0),
            QgsProcessingParameterNumber(self.WORKERS, tr("Worker processes (0 = as many as cores and memory allow)"),
                                         type=QgsProcessingParameterNumber.Type.Integer, defaultValue=0,
                                         minValue=0),
            QgsProcessingParameterNumber(self.WINDOW, tr("Window: rasters larger than this (px) run in windows"),
                                         type=QgsProcessingParameterNumber.Type.Integer, defaultValue=8192,
                                         minValue=64),
        ]
        for parameter in advanced:
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
            self.addParameter(parameter)
        output = QgsProcessingParameterVectorDestination(
            self.OUTPUT, tr("Buildings of all rasters"), type=QgsProcessing.SourceType.TypeVectorPolygon)
        output.setHelp(tr("A GeoPackage (.gpkg) with the layers 'buildings', 'rasters' and 'units'."))
        self.addParameter(output)
        self.addOutput(QgsProcessingOutputFile(self.RASTERS_CSV, tr("Per-raster summary (CSV)")))
        self.addOutput(QgsProcessingOutputFile(self.RESULT_JSON, tr("Result (JSON)")))
        for name, label in ((self.BUILDING_COUNT, tr("Number of buildings")),
                            (self.TOTAL_AREA_M2, tr("Total building area (m²)")),
                            (self.ANALYSED_AREA_M2, tr("Analysed area (m²)")),
                            (self.RASTER_COUNT, tr("Number of rasters")),
                            (self.FAILED_RASTERS, tr("Rasters that failed (wholly or in part)"))):
            self.addOutput(QgsProcessingOutputNumber(name, label))

    def prepareAlgorithm(self, parameters, context, feedback):  # noqa: N802
        # Layers are touched here, in the main thread.
        self._layer_paths = []
        for layer in self.parameterAsLayerList(parameters, self.LAYERS, context) or []:
            if not reads_as_file(layer):
                raise QgsProcessingException(tr(
                    "'{}' is not read from a file (a web layer?): the batch runs on raster files only; use "
                    "'Detect buildings and measure their area' with an extent for it.").format(layer.name()))
            self._layer_paths.append(layer.source())
        return True

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        inputs = list(self._layer_paths)
        folder = self.parameterAsFile(parameters, self.FOLDER, context)
        if folder:
            inputs.insert(0, folder)
        if not inputs:
            raise QgsProcessingException(tr("Choose a folder of rasters or raster layers."))
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        if os.path.splitext(output)[1].lower() != ".gpkg":
            raise QgsProcessingException(tr("'{}' must be a {} file, not '{}'.").format(
                self.parameterDefinition(self.OUTPUT).description(), ".gpkg", output))
        window = self.parameterAsInt(parameters, self.WINDOW, context)
        try:
            from ..batch.params import DEFAULT_MARGIN_PX, BatchParams
            from ..batch.runner import run_batch

            params = BatchParams(
                inputs=inputs, output_path=output, **self._models(parameters, context, feedback),
                gsd_m=self.parameterAsDouble(parameters, self.GSD, context) or None,
                threshold=self.parameterAsDouble(parameters, self.THRESHOLD, context) or None,
                min_area_m2=self.parameterAsDouble(parameters, self.MIN_AREA, context),
                regularize=self.parameterAsBoolean(parameters, self.REGULARIZE, context),
                workers=self.parameterAsInt(parameters, self.WORKERS, context) or None,
                window_px=window, margin_px=min(DEFAULT_MARGIN_PX, window // 4), dashboard_address=None)
            multiprocessing.set_executable(python_for_workers())
            result = run_batch(params, BatchFeedback(feedback), feedback.isCanceled)
        except ImportError as error:
            message = missing_package_message(error, BATCH_PACKAGES)
            if message is None:
                raise
            raise QgsProcessingException(translate_message(message)) from None
        except CancelledError as error:
            raise QgsProcessingException(translate_message(str(error))) from None
        except BuildingAreaError as error:
            raise QgsProcessingException(translate_message(str(error))) from None
        summary = result.summary
        feedback.pushInfo(tr("{} buildings, {:.1f} m² built up of {:.1f} m² analysed in {} rasters ({} failed).").format(
            summary["building_count"], summary["total_area_m2"], summary["analysed_area_m2"],
            summary["rasters"]["total"], len(summary["failures"])))
        if summary["total_area_reg_m2"] is not None:
            feedback.pushInfo(tr("The regularized outlines cover {:.1f} m² (area_reg_m2).").format(
                summary["total_area_reg_m2"]))
        for failure in summary["failures"]:
            feedback.pushWarning(f"{failure['raster']}: {translate_message(failure['reason'])}")
        load_buildings_styled(context, output)
        return {
            self.OUTPUT: buildings_layer_uri(output), self.RASTERS_CSV: result.csv_path,
            self.RESULT_JSON: result.json_path, self.BUILDING_COUNT: summary["building_count"],
            self.TOTAL_AREA_M2: summary["total_area_m2"], self.ANALYSED_AREA_M2: summary["analysed_area_m2"],
            self.RASTER_COUNT: summary["rasters"]["total"], self.FAILED_RASTERS: len(summary["failures"]),
        }

    def _models(self, parameters, context, feedback) -> dict:
        profile = user_profile_dir()
        segmentation = (self.parameterAsFile(parameters, self.SEGMENTATION_MODEL, context)
                        or shipped_model(SEGMENTATION, profile))
        if not segmentation:
            entry = manifest_entry(SEGMENTATION)
            if entry is not None:
                raise QgsProcessingException(translate_message(missing_model_message(entry, profile_models_dir(profile)))
                                             + tr(" Or choose an ONNX model file in 'Segmentation model'."))
            raise QgsProcessingException(tr(
                "No segmentation model: the plugin's models folder has no building_segmentation*.onnx. "
                "Choose an ONNX model file in 'Segmentation model'."))
        detection = None
        if self.parameterAsBoolean(parameters, self.DETECT, context):
            detection = (self.parameterAsFile(parameters, self.DETECTION_MODEL, context)
                         or shipped_model(DETECTION, profile))
            if not detection:
                feedback.pushWarning(tr("No detection model found: detection is skipped, segmentation still runs."))
        return {"segmentation_model": segmentation, "model_checksums": checksum_list(segmentation, profile),
                "detection_model": detection or None,
                "detection_checksums": checksum_list(detection, profile) if detection else None}
