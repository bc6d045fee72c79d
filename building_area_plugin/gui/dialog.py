"""Open the detect_buildings dialog from the toolbar.

Processing's own dialog runs the algorithm as a background task, shows its log and adds the
result layers to the project (styled by processing.result_layers).
"""
from qgis.core import QgsRasterLayer

ALGORITHM_ID = "building_area:detect_buildings"


def initial_parameters(iface) -> dict:
    """Preselect the active layer as INPUT when it is a raster."""
    layer = iface.activeLayer()
    return {"INPUT": layer.id()} if isinstance(layer, QgsRasterLayer) else {}


def open_detect_dialog(iface):
    """Show the algorithm dialog (non-modal, so the map stays usable) and return it."""
    import processing  # QGIS's Processing plugin, which QGIS loads before other plugins

    dialog = processing.createAlgorithmDialog(ALGORITHM_ID, initial_parameters(iface))
    dialog.show()
    return dialog
