"""Enable the building_area_plugin in a QGIS profile, so qgis_process loads its provider.

Usage: python3 scripts/enable_plugin.py PROFILE_ROOT
PROFILE_ROOT is what QGIS_CUSTOM_CONFIG_PATH points to; the setting goes into
PROFILE_ROOT/profiles/default/QGIS/QGIS3.ini. QSettings writes it, so an existing
profile keeps its other settings untouched.
"""
import os
import sys

from qgis.PyQt.QtCore import QSettings

PLUGIN_NAME = "building_area_plugin"


def enable(profile_root: str) -> str:
    ini_path = os.path.join(profile_root, "profiles", "default", "QGIS", "QGIS3.ini")
    settings = QSettings(ini_path, QSettings.Format.IniFormat)
    if settings.value(f"PythonPlugins/{PLUGIN_NAME}") not in (True, "true"):
        settings.setValue(f"PythonPlugins/{PLUGIN_NAME}", True)
        settings.sync()
    return ini_path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    enable(sys.argv[1])
