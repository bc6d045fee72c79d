"""The plugin icon, from the compiled Qt resources when present, else from the SVG file.

`make plugin` compiles resources.qrc into resources.py with pyrcc5. A source checkout, or
a Qt6 QGIS (which has no pyrcc), has no resources.py: the SVG file is used directly.
"""
import os

from qgis.PyQt.QtGui import QIcon

RESOURCE_ICON = ":/plugins/building_area/icon.svg"
SVG_ICON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "icons", "building_area.svg")


def icon_path() -> str:
    try:
        from . import resources  # noqa: F401  (importing registers RESOURCE_ICON with Qt)
    except ImportError:
        return SVG_ICON
    return RESOURCE_ICON


def plugin_icon() -> QIcon:
    return QIcon(icon_path())
