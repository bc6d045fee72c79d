"""Processing algorithm building_area:detect_buildings.

Only translation lives here: QGIS parameters -> core PipelineParams, QgsProcessingFeedback ->
progress/cancel callbacks, core results -> Processing outputs, core errors -> QgsProcessingException.
"""
import os
from dataclasses import replace

from qgis.core import (
    QgsApplication,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorDestination,
)

from ..core.errors import BuildingAreaError
from ..core.params import Extent, PipelineParams
from ..icon import plugin_icon
from ..model_download import missing_model_message
from ..shipped_models import DETECTION, SEGMENTATION, checksum_list, manifest_entry, profile_models_dir, shipped_model
from ..translation import tr, translate_message
from .dependencies import missing_package_message
from .feedback_bridge import FeedbackBridge
from .raster_source import gdal_dataset_name, raster_problem, reads_as_file
from .result_layers import buildings_layer_uri, load_buildings_styled
from .web_raster import (GSD_SOURCE_RESAMPLED, LayerReader, layer_as_geotiff, layer_label, local_grid, model_gsd_m,
                         read_summary, relabel_gsd_source, web_layer_extent_missing)

SHORT_HELP = """<p>Finds buildings in an aerial or satellite image with an ONNX segmentation model \
and writes one polygon per building with its ground area in m².</p>
<p><b>Outputs.</b> <i>Building polygons</i> is a GeoPackage: layer <code>buildings</code> has \
<code>area_m2</code> (ground area on the WGS 84 ellipsoid, correct in any CRS, including \
EPSG:3857 and degrees), <code>perimeter_m</code>, <code>score</code> (mean building probability; with a \
model that carries a score calibration, about the chance that the building is real), \
<code>gsd_m</code> and <code>gsd_source</code>; layer <code>summary</code> holds the totals. \
The numeric outputs give the building count, total building area, analysed area (valid pixels \
only), built-up share in %, and the ground sampling distance (GSD) used with its source: \
<code>georeferencing</code>, <code>model</code> (estimated from the image) or <code>user</code>.</p>
<p><b>GSD.</b> Leave 0 to take it from the raster's georeferencing; set it (metres per pixel) \
for an image without georeferencing or to override it. Without either, the model estimates it from \
the image: then <code>area_m2_low</code>/<code>area_m2_high</code> (per building) and \
<i>TOTAL_AREA_M2_LOW</i>/<i>_HIGH</i> give the area at the ends of the estimate's 80 % interval \
(with a known GSD they equal the total). When the georeferencing and the model's estimate differ by \
more than 2x (a wrong CRS, a screenshot placed on a web map), the run warns, naming both.</p>
<p><b>Web layers.</b> An XYZ, WMTS or WMS layer (any layer not read from a file) is read through \
QGIS over <i>EXTENT</i>, which is then required, at the model's GSD (or the GSD parameter's) in a local \
transverse Mercator CRS; the GSD source is then <code>resampling</code>.</p>
<p><b>Regularize outlines.</b> Off by default. On, each building is written as a right-angled, \
simplified outline aligned to its own dominant direction (wings and courtyards kept, jogs of a few pixels \
removed); an outline that fits no right-angled one (a round building) is kept as found. \
<code>area_m2</code> stays the area of the segmentation mask; <code>area_reg_m2</code> holds the \
regularized outline's area, and the summary's <code>total_area_reg_m2</code> their sum.</p>
<p><b>Models.</b> Empty model fields use the models shipped in the plugin's <code>models</code> \
folder, or downloaded on first use into <code>building_area/models</code> in the QGIS profile folder. \
Threshold 0 uses the model's own threshold.</p>
<p><b>One polygon per building.</b> A segmentation model with an edge output (the shipped one has \
one) cuts each blob of touching roofs into buildings along the walls it sees, with thresholds from \
its own metadata; the buildings' areas add up to the blob's.</p>
<p><b>Detection.</b> With a detection model (<i>Also detect single buildings</i>), boxes found tile by \
tile are merged over the whole raster (a building cut by a tile edge is found once) and help cut \
blobs of touching roofs into one polygon per building; the building count comes from this fusion. \
<i>Detection boxes</i> writes them (layer <code>detections</code>: <code>score</code>, \
<code>area_m2</code>). Detection confidence and NMS IoU 0 use the model's own; dense districts \
need a high NMS IoU.</p>"""


READ_SHARE = 30.0  # percent of the progress bar for reading a layer through QGIS, before the core runs


def user_profile_dir() -> str:
    """The QGIS profile folder, where downloaded models live (building_area/models)."""
    return QgsApplication.qgisSettingsDirPath()


def summary_text(summary) -> str:
    text = tr("{} buildings, {:.1f} m² built up of {:.1f} m² analysed ({:.2f} %); GSD {:.3f} m/px from {}; "
              "{} tiles on {} in {:.1f} s.").format(
        summary.building_count, summary.total_area_m2, summary.analysed_area_m2,
        summary.built_up_share_pct, summary.gsd_m, summary.gsd_source, summary.tiles, summary.provider,
        summary.runtime_s)
    if summary.total_area_m2_low is not None:
        text += " " + tr("The GSD is the model's estimate: the total area lies between {:.1f} and {:.1f} m² "
                         "(80 % interval).").format(summary.total_area_m2_low, summary.total_area_m2_high)
    if summary.total_area_reg_m2 is not None:
        text += " " + tr("The regularized outlines cover {:.1f} m² (area_reg_m2).").format(summary.total_area_reg_m2)
    return text


def first_number(*values):
    return next(v for v in values if v is not None)


class DetectBuildingsAlgorithm(QgsProcessingAlgorithm):
    INPUT = "INPUT"
    EXTENT = "EXTENT"
    GSD = "GSD"
    SEGMENTATION_MODEL = "SEGMENTATION_MODEL"
    DETECTION_MODEL = "DETECTION_MODEL"
    THRESHOLD = "THRESHOLD"
    DET_CONF = "DET_CONF"
    DET_IOU = "DET_IOU"
    MIN_AREA = "MIN_AREA"
    REGULARIZE = "REGULARIZE"
    DETECT = "DETECT"
    OUTPUT = "OUTPUT"
    DETECTIONS = "DETECTIONS"
    PROBABILITY = "PROBABILITY"
    BUILDING_COUNT = "BUILDING_COUNT"
    TOTAL_AREA_M2 = "TOTAL_AREA_M2"
    TOTAL_AREA_M2_LOW = "TOTAL_AREA_M2_LOW"
    TOTAL_AREA_M2_HIGH = "TOTAL_AREA_M2_HIGH"
    ANALYSED_AREA_M2 = "ANALYSED_AREA_M2"
    BUILT_UP_SHARE = "BUILT_UP_SHARE"
    GSD_M = "GSD_M"
    GSD_SOURCE = "GSD_SOURCE"
    PROVIDER = "PROVIDER"

    def __init__(self):
        super().__init__()
        self._raster_path = None
        self._raster_crs = None
        self._reader = None  # a layer GDAL cannot open (XYZ, WMS, ...), read through QGIS

    def createInstance(self):  # noqa: N802 (QGIS override)
        return DetectBuildingsAlgorithm()

    def name(self):
        return "detect_buildings"

    def displayName(self):  # noqa: N802
        return tr("Detect buildings and measure their area")

    def shortHelpString(self):  # noqa: N802
        return tr(SHORT_HELP)

    def helpString(self):  # noqa: N802
        return self.shortHelpString()

    def icon(self):
        return plugin_icon()

    def tags(self):
        return tr("building,footprint,area,roof,segmentation,detection,onnx,deep learning").split(",")

    def initAlgorithm(self, config=None):  # noqa: N802
        self._add_input_parameters()
        self._add_model_parameters()
        self._add_destinations()
        self._add_numeric_outputs()

    def _add_input_parameters(self):
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, tr("Image (orthophoto or satellite raster)")))
        self.addParameter(QgsProcessingParameterExtent(self.EXTENT, tr("Analyse only this extent (required for web layers)"), optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.GSD, tr("Ground sampling distance, m/px (0 = automatic)"),
            type=QgsProcessingParameterNumber.Type.Double, defaultValue=0.0, optional=True, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.MIN_AREA, tr("Minimum building area (m²)"),
            type=QgsProcessingParameterNumber.Type.Double, defaultValue=2.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterBoolean(
            self.REGULARIZE, tr("Regularize outlines (right angles, aligned to each building)"), defaultValue=False))

    def _add_model_parameters(self):
        has_detector = shipped_model(DETECTION, user_profile_dir()) is not None
        self.addParameter(QgsProcessingParameterBoolean(
            self.DETECT, tr("Also detect single buildings (boxes)"),
            defaultValue=has_detector))
        for name, label in ((self.SEGMENTATION_MODEL, tr("Segmentation model (ONNX; empty = shipped model)")),
                            (self.DETECTION_MODEL, tr("Detection model (ONNX; empty = shipped model)"))):
            model = QgsProcessingParameterFile(name, label, extension="onnx", optional=True)
            model.setFlags(model.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
            self.addParameter(model)
        threshold = QgsProcessingParameterNumber(
            self.THRESHOLD, tr("Building probability threshold (0 = the model's own)"),
            type=QgsProcessingParameterNumber.Type.Double, defaultValue=0.0, optional=True,
            minValue=0.0, maxValue=1.0)
        threshold.setFlags(threshold.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        self.addParameter(threshold)
        for name, label in ((self.DET_CONF, tr("Detection confidence (0 = the model's own)")),
                            (self.DET_IOU, tr("Detection NMS IoU, higher keeps more overlapping boxes "
                                              "(0 = the model's own)"))):
            number = QgsProcessingParameterNumber(name, label, type=QgsProcessingParameterNumber.Type.Double,
                                                  defaultValue=0.0, optional=True, minValue=0.0, maxValue=1.0)
            number.setFlags(number.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
            self.addParameter(number)

    def _add_destinations(self):
        output = QgsProcessingParameterVectorDestination(
            self.OUTPUT, tr("Building polygons"), type=QgsProcessing.SourceType.TypeVectorPolygon)
        output.setHelp(tr("A GeoPackage (.gpkg) with the layers 'buildings' and 'summary'."))
        self.addParameter(output)
        self.addParameter(QgsProcessingParameterVectorDestination(
            self.DETECTIONS, tr("Detection boxes"), type=QgsProcessing.SourceType.TypeVectorPolygon,
            optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.PROBABILITY, tr("Building probability (GeoTIFF)"), optional=True, createByDefault=False))

    def _add_numeric_outputs(self):
        for name, label in ((self.BUILDING_COUNT, tr("Number of buildings")),
                            (self.TOTAL_AREA_M2, tr("Total building area (m²)")),
                            (self.TOTAL_AREA_M2_LOW, tr("Total building area, low end of the 80 % interval "
                                                        "(m²; GSD estimated by the model)")),
                            (self.TOTAL_AREA_M2_HIGH, tr("Total building area, high end of the 80 % interval "
                                                         "(m²; GSD estimated by the model)")),
                            (self.ANALYSED_AREA_M2, tr("Analysed area (m²)")),
                            (self.BUILT_UP_SHARE, tr("Built-up share (%)")),
                            (self.GSD_M, tr("Ground sampling distance used (m/px)"))):
            self.addOutput(QgsProcessingOutputNumber(name, label))
        self.addOutput(QgsProcessingOutputString(self.GSD_SOURCE, tr("Source of the GSD")))
        self.addOutput(QgsProcessingOutputString(self.PROVIDER, tr("onnxruntime execution provider")))

    def checkParameterValues(self, parameters, context):  # noqa: N802
        """Processing says only "Could not load source layer" for any raster it cannot load (even "not found"
        for a corrupt file): name the real problem and its fix instead."""
        ok, message = super().checkParameterValues(parameters, context)
        if not ok and self.parameterAsRasterLayer(parameters, self.INPUT, context) is None:
            message = translate_message(raster_problem(parameters.get(self.INPUT)) or message)
        if ok and parameters.get(self.EXTENT) in (None, ""):
            layer = self.parameterAsRasterLayer(parameters, self.INPUT, context)
            if not reads_as_file(layer):
                missing = web_layer_extent_missing(layer_label(layer), layer.providerType())
                return False, translate_message(missing)
        return ok, message

    def prepareAlgorithm(self, parameters, context, feedback):  # noqa: N802
        # Runs in the main thread, where touching project layers is safe; processAlgorithm does not.
        layer = self.parameterAsRasterLayer(parameters, self.INPUT, context)
        self._raster_crs = layer.crs()
        if reads_as_file(layer):
            self._raster_path = gdal_dataset_name(layer)
        else:
            self._reader = LayerReader(layer)
        return True

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        feedback = feedback or QgsProcessingFeedback()
        try:
            params = self._pipeline_params(parameters, context, feedback)
        except BuildingAreaError as error:  # e.g. a damaged models/manifest.json
            raise QgsProcessingException(translate_message(str(error))) from None
        if self._reader is None:
            result = self._run_core(params, feedback)
        else:
            result = self._run_on_layer_read_by_qgis(params, parameters, context, feedback)
        feedback.pushInfo(summary_text(result.summary))
        load_buildings_styled(context, params.output_path)
        return self._outputs(result)

    def _pipeline_params(self, parameters, context, feedback) -> PipelineParams:
        detection_model = self._detection_model(parameters, context, feedback)
        detections_path = self._destination(parameters, self.DETECTIONS, context, (".gpkg",))
        if detections_path and not detection_model:
            feedback.pushWarning(tr("Detection is off: no detection boxes are written."))
        segmentation_model = self._segmentation_model(parameters, context)
        profile = user_profile_dir()
        return PipelineParams(
            raster_path=self._raster_path,
            output_path=self._destination(parameters, self.OUTPUT, context, (".gpkg",)),
            segmentation_model=segmentation_model,
            model_checksums=checksum_list(segmentation_model, profile),
            detection_model=detection_model,
            detection_checksums=checksum_list(detection_model, profile) if detection_model else None,
            detections_path=detections_path if detection_model else None,
            det_conf=self.parameterAsDouble(parameters, self.DET_CONF, context) or None,
            det_iou=self.parameterAsDouble(parameters, self.DET_IOU, context) or None,
            probability_path=self._destination(parameters, self.PROBABILITY, context, (".tif", ".tiff")),
            gsd_m=self.parameterAsDouble(parameters, self.GSD, context) or None,
            threshold=self.parameterAsDouble(parameters, self.THRESHOLD, context) or None,
            min_area_m2=self.parameterAsDouble(parameters, self.MIN_AREA, context),
            extent=self._extent(parameters, context) if self._reader is None else None,
            regularize=self.parameterAsBoolean(parameters, self.REGULARIZE, context),
        )

    def _destination(self, parameters, name, context, extensions):
        """The path chosen for a destination parameter; None for an unset optional one."""
        path = self.parameterAsOutputLayer(parameters, name, context)
        if not path:
            return None
        # The core writes GeoPackages and GeoTIFFs only, whatever format the user picked.
        if os.path.splitext(path)[1].lower() not in extensions:
            raise QgsProcessingException(tr("'{}' must be a {} file, not '{}'.").format(
                self.parameterDefinition(name).description(), " or ".join(extensions), path))
        return path

    def _segmentation_model(self, parameters, context) -> str:
        path = (self.parameterAsFile(parameters, self.SEGMENTATION_MODEL, context)
                or shipped_model(SEGMENTATION, user_profile_dir()))
        entry = None if path else manifest_entry(SEGMENTATION)
        if entry is not None:
            # Processing and qgis_process never download (a batch job must not fetch 25 MB unasked).
            missing = missing_model_message(entry, profile_models_dir(user_profile_dir()))
            raise QgsProcessingException(translate_message(missing)
                                         + tr(" Or choose an ONNX model file in 'Segmentation model'."))
        if not path:
            raise QgsProcessingException(tr(
                "No segmentation model: the plugin's models folder has no building_segmentation*.onnx. "
                "Choose an ONNX model file in 'Segmentation model'."))
        return path

    def _detection_model(self, parameters, context, feedback):
        if not self.parameterAsBoolean(parameters, self.DETECT, context):
            return None
        path = (self.parameterAsFile(parameters, self.DETECTION_MODEL, context)
                or shipped_model(DETECTION, user_profile_dir()))
        entry = None if path else manifest_entry(DETECTION)
        if entry is not None:
            missing = missing_model_message(entry, profile_models_dir(user_profile_dir()))
            feedback.pushWarning(translate_message(missing)
                                 + tr(" Detection is skipped, segmentation still runs."))
        elif not path:
            feedback.pushWarning(tr("No detection model found: detection is skipped, segmentation still runs."))
        return path or None

    def _extent(self, parameters, context):
        if parameters.get(self.EXTENT) in (None, ""):
            return None
        # Reprojected into the raster's CRS, as the core expects.
        rect = self.parameterAsExtent(parameters, self.EXTENT, context, self._raster_crs)
        if rect.isEmpty():
            raise QgsProcessingException(tr("The extent is empty."))
        return Extent(rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())

    def _run_on_layer_read_by_qgis(self, params: PipelineParams, parameters, context, feedback):
        """Read the layer at the model's GSD (or the GSD parameter's) over EXTENT, then run the core on it."""
        if parameters.get(self.EXTENT) in (None, ""):
            missing = web_layer_extent_missing(self._reader.name, self._reader.provider)
            raise QgsProcessingException(translate_message(missing))
        extent = self.parameterAsExtent(parameters, self.EXTENT, context)
        crs = self.parameterAsExtentCrs(parameters, self.EXTENT, context)
        bridge = FeedbackBridge(feedback)
        try:
            gsd_m = params.gsd_m or model_gsd_m(params.segmentation_model, params.model_checksums)
            grid = local_grid(extent, crs if crs.isValid() else self._raster_crs, gsd_m, context.transformContext())
            with layer_as_geotiff(self._reader, grid, params.output_path, context.transformContext(), feedback,
                                  lambda percent, text: bridge.progress(percent * READ_SHARE / 100, text)) as raster:
                feedback.pushInfo(translate_message(read_summary(self._reader, grid)))
                # The GeoTIFF is the extent, at exactly the GSD: the core takes both from its georeferencing.
                result = self._run_core(replace(params, raster_path=raster, gsd_m=None, extent=None), feedback,
                                        progress_from=READ_SHARE)
            relabel_gsd_source(result.output_path)
        except BuildingAreaError as error:
            raise QgsProcessingException(translate_message(str(error))) from None
        result.summary.gsd_source = GSD_SOURCE_RESAMPLED
        return result

    def _run_core(self, params: PipelineParams, feedback, progress_from: float = 0.0):
        bridge = FeedbackBridge(feedback)
        try:
            # Imported here so that the provider loads even when onnxruntime is missing.
            from ..core.pipeline import run_pipeline

            result = run_pipeline(
                params, lambda percent, text: bridge.progress(progress_from + percent * (100 - progress_from) / 100,
                                                              text),
                bridge.is_cancelled)
        except ImportError as error:
            message = missing_package_message(error)
            if message is None:
                raise
            raise QgsProcessingException(translate_message(message)) from None
        except BuildingAreaError as error:
            raise QgsProcessingException(translate_message(str(error))) from None
        for line in result.log:
            feedback.pushInfo(translate_message(line))
        for line in result.warnings:
            feedback.pushWarning(translate_message(line))
        return result

    def _outputs(self, result) -> dict:
        summary = result.summary
        outputs = {
            self.OUTPUT: buildings_layer_uri(result.output_path),
            self.BUILDING_COUNT: summary.building_count,
            self.TOTAL_AREA_M2: summary.total_area_m2,
            # With a known GSD the interval is the total itself: no GSD uncertainty to add.
            self.TOTAL_AREA_M2_LOW: first_number(summary.total_area_m2_low, summary.total_area_m2),
            self.TOTAL_AREA_M2_HIGH: first_number(summary.total_area_m2_high, summary.total_area_m2),
            self.ANALYSED_AREA_M2: summary.analysed_area_m2,
            self.BUILT_UP_SHARE: summary.built_up_share_pct,
            self.GSD_M: summary.gsd_m,
            self.GSD_SOURCE: summary.gsd_source,
            self.PROVIDER: summary.provider,
        }
        if result.detections_path:
            outputs[self.DETECTIONS] = result.detections_path
        if result.probability_path:
            outputs[self.PROBABILITY] = result.probability_path
        return outputs
