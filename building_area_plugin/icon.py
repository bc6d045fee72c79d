"""The plugin icon, from the compiled Qt resources when present, else from the SVG file.

`make plugin` compiles resources.qrc into resources.py with pyrcc5. A source checkout, or
a Qt6 QGIS (no pyrcc there, and a Qt 5 resources.py is not loaded) uses the SVG file directly.
"""
import os

from qgis.PyQt.QtCore import QT_VERSION_STR
from qgis.PyQt.QtGui import QIcon

RESOURCE_ICON = ":/plugins/building_area/icon.svg"
SVG_ICON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "icons", "building_area.svg")


def icon_path() -> str:
    if QT_VERSION_STR.startswith("5."):  # resources.py is compiled for Qt 5 (pyrcc5); Qt 6 takes the SVG
        try:
            from . import resources  # noqa: F401  (importing registers RESOURCE_ICON with Qt)
        except ImportError:
            return SVG_ICON
        return RESOURCE_ICON
    return SVG_ICON


def plugin_icon() -> QIcon:
    return QIcon(icon_path())
