"""Which result layers QGIS loads when the algorithm finishes, and how they are styled."""
from qgis.core import QgsProcessingLayerPostProcessorInterface

from ..gui.style import style_buildings_layer

BUILDINGS_LAYER = "buildings"  # layer name inside the core's output GeoPackage


class BuildingsStyler(QgsProcessingLayerPostProcessorInterface):
    """Styles the buildings layer after Processing has added it to the project."""

    # Processing keeps only a C++ pointer to a post-processor: Python must keep it alive.
    _instance = None

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802 (Qt override)
        style_buildings_layer(layer)

    @classmethod
    def instance(cls):
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance


def buildings_layer_uri(gpkg_path: str) -> str:
    return f"{gpkg_path}|layername={BUILDINGS_LAYER}"


def load_buildings_styled(context, gpkg_path: str) -> None:
    """Make Processing load the buildings layer of the GeoPackage (not its summary table),
    styled, if it was asked to load the output at all."""
    if not context.willLoadLayerOnCompletion(gpkg_path):
        return
    layers = context.layersToLoadOnCompletion()
    details = layers.pop(gpkg_path)
    details.setPostProcessor(BuildingsStyler.instance())
    layers[buildings_layer_uri(gpkg_path)] = details
    context.setLayersToLoadOnCompletion(layers)
