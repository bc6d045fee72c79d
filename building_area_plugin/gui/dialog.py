"""Open the detect_buildings dialog from the toolbar.

Processing's own dialog runs the algorithm as a background task, shows its log and adds the
result layers to the project (styled by processing.result_layers).
"""
from qgis.core import QgsRasterLayer, QgsReferencedRectangle

from ..processing.raster_source import reads_as_file

ALGORITHM_ID = "building_area:detect_buildings"


def initial_parameters(iface) -> dict:
    """Preselect the active layer as INPUT when it is a raster, and for a layer read through QGIS
    (a web map has no edge of its own) the map canvas extent as EXTENT."""
    layer = iface.activeLayer()
    if not isinstance(layer, QgsRasterLayer):
        return {}
    if reads_as_file(layer):
        return {"INPUT": layer.id()}
    canvas = iface.mapCanvas()
    return {"INPUT": layer.id(),
            "EXTENT": QgsReferencedRectangle(canvas.extent(), canvas.mapSettings().destinationCrs())}


def open_detect_dialog(iface):
    """Show the algorithm dialog (non-modal, so the map stays usable) and return it."""
    import processing  # QGIS's Processing plugin, which QGIS loads before other plugins

    dialog = processing.createAlgorithmDialog(ALGORITHM_ID, initial_parameters(iface))
    dialog.show()
    return dialog
