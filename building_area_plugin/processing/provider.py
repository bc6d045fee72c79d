"""The Processing provider `building_area` (shown as "Building area" in the toolbox)."""
from qgis.core import QgsProcessingProvider

from ..icon import icon_path, plugin_icon
from ..translation import tr
from .detect_buildings import DetectBuildingsAlgorithm
from .detect_buildings_batch import DetectBuildingsBatchAlgorithm


class BuildingAreaProvider(QgsProcessingProvider):
    def id(self):
        return "building_area"

    def name(self):
        return tr("Building area")

    def longName(self):  # noqa: N802
        return tr("Building area (buildings and their ground area from imagery)")

    def icon(self):
        return plugin_icon()

    def svgIconPath(self):
        return icon_path()

    # The core writes GeoPackages and GeoTIFFs only: offer just those, also for temporary outputs.
    def supportedOutputVectorLayerExtensions(self):
        return ["gpkg"]

    def defaultVectorFileExtension(self, hasGeometry=True):
        return "gpkg"

    def supportedOutputRasterLayerExtensions(self):
        return ["tif"]

    def defaultRasterFileExtension(self):
        return "tif"

    def loadAlgorithms(self):
        self.addAlgorithm(DetectBuildingsAlgorithm())
        self.addAlgorithm(DetectBuildingsBatchAlgorithm())
