"""Shared test setup. QGIS's own Python plugins (Processing) live outside site-packages."""
import os
import sys

QGIS_PYTHON_PLUGINS = "/usr/share/qgis/python/plugins"

if os.path.isdir(QGIS_PYTHON_PLUGINS) and QGIS_PYTHON_PLUGINS not in sys.path:
    sys.path.append(QGIS_PYTHON_PLUGINS)
