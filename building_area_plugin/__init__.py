"""Building area: a QGIS plugin that finds buildings in imagery and measures their ground area.

QGIS calls :func:`classFactory`. The QGIS-free core lives in :mod:`building_area_plugin.core`;
importing it must not pull in QGIS, so the plugin class is imported lazily.
"""


def classFactory(iface):  # noqa: N802 (name required by QGIS)
    """Create the plugin object. ``iface`` is None under qgis_process (no GUI)."""
    from .plugin import BuildingAreaPlugin

    return BuildingAreaPlugin(iface)
