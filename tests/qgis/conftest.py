"""Fixtures for the QGIS tests: Processing with our provider, tiny models and test rasters."""
import os
import subprocess

import pytest

from building_area_plugin import classFactory
from tests.onnx_models import bright_segmentor
from tests.qgis.scenes import write_squares

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UTM_ORIGIN = (600000.0, 5340000.0)
GSD_M = 0.3  # the bright segmentor's metadata says 30 cm/px, so no resampling happens
# (row, col, side): a 40 px square (12 m x 12 m), a 20 px one (6 m x 6 m) and a 3 px speck (below MIN_AREA)
SQUARES = [(20, 20, 40), (80, 90, 20), (140, 30, 3)]


@pytest.fixture
def plugin(qgis_iface, qgis_processing):
    """The plugin loaded into the stub desktop with its toolbar and menu; unloaded afterwards."""
    plugin = classFactory(qgis_iface)
    plugin.initGui()
    yield plugin
    plugin.unload()


@pytest.fixture(scope="module")
def provider(qgis_processing):
    """Our provider registered through the plugin, as qgis_process does (no iface), for one module.

    Module scope: the GUI tests register the provider through initGui themselves, and
    QGIS refuses (and deletes) a second provider with the same id.
    """
    from building_area_plugin import classFactory

    plugin = classFactory(None)
    plugin.initProcessing()
    yield plugin.provider
    plugin.unload()


@pytest.fixture(scope="session")
def bright_model(tmp_path_factory):
    return bright_segmentor(tmp_path_factory.mktemp("models") / "bright.onnx")


@pytest.fixture
def utm_raster(tmp_path):
    """200 x 200 px at 0.3 m in UTM 33N with the SQUARES."""
    return write_squares(str(tmp_path / "utm.tif"), 200, SQUARES, 32633,
                         (UTM_ORIGIN[0], GSD_M, 0.0, UTM_ORIGIN[1], 0.0, -GSD_M))


@pytest.fixture(scope="session")
def qgis_process_env(tmp_path_factory):
    """The plugin assembled by scripts/build_plugin.sh and a throwaway QGIS profile."""
    plugins = tmp_path_factory.mktemp("plugins")
    subprocess.run([os.path.join(ROOT, "scripts", "build_plugin.sh"), str(plugins / "building_area_plugin")],
                   check=True, capture_output=True)
    return dict(os.environ, QGIS_PLUGINPATH=str(plugins),
                QGIS_CUSTOM_CONFIG_PATH=str(tmp_path_factory.mktemp("profile")))


def run_qgis_process(env, *arguments) -> subprocess.CompletedProcess:
    """``qgis_process --json run building_area:detect_buildings -- arguments`` (through scripts/qgis_process.sh)."""
    command = [os.path.join(ROOT, "scripts", "qgis_process.sh"), "--json", "run",
               "building_area:detect_buildings", "--", *arguments]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
