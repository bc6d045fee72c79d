"""Processing with the light plugin (models/manifest.json, no model files): it never downloads, it names
the URL and the folder to put the model in; a model downloaded into the profile runs, a damaged one not."""
import os
import pathlib
import subprocess

import processing
import pytest
from qgis.core import QgsProcessingException

from building_area_plugin import shipped_models
from building_area_plugin.shipped_models import SEGMENTATION
from building_area_plugin.core.manifest import MANIFEST_FILE, read_manifest
from building_area_plugin.model_download import download_model
from building_area_plugin.processing import detect_buildings
from tests.delivery.model_server import MODEL_FILE, ModelServer, light_plugin_models, model_entry
from tests.qgis.conftest import ROOT, run_qgis_process

ALGORITHM = "building_area:detect_buildings"
FILE = MODEL_FILE


@pytest.fixture
def server(bright_model):
    with ModelServer(pathlib.Path(bright_model).read_bytes()) as running:
        yield running


@pytest.fixture
def entry(server):
    return model_entry(server.payload, server.url)


@pytest.fixture
def profile_models(tmp_path, entry, monkeypatch):
    """The light plugin's models folder holds only the manifest; returns the profile's models folder."""
    monkeypatch.setattr(shipped_models, "MODEL_DIRS", [light_plugin_models(tmp_path / "plugin" / "models", entry)])
    monkeypatch.setattr(detect_buildings, "user_profile_dir", lambda: str(tmp_path / "profile"))
    return tmp_path / "profile" / "building_area" / "models"


def run_failing(parameters) -> str:
    with pytest.raises(QgsProcessingException) as raised:
        processing.run(ALGORITHM, parameters)
    return str(raised.value)


def test_a_missing_model_fails_naming_the_url_and_the_folder(provider, utm_raster, entry, profile_models, tmp_path):
    message = run_failing({"INPUT": utm_raster, "OUTPUT": str(tmp_path / "buildings.gpkg")})
    assert f"download it by hand from {entry.urls[0]} and put it in {profile_models}" in message
    assert "toolbar button" in message and "choose an ONNX model file" in message
    assert not (tmp_path / "buildings.gpkg").exists() and not profile_models.exists()  # nothing fetched unasked


def test_a_model_downloaded_from_the_server_runs(provider, utm_raster, entry, profile_models, tmp_path):
    download_model(entry, str(profile_models))
    result = processing.run(ALGORITHM, {"INPUT": utm_raster, "OUTPUT": str(tmp_path / "buildings.gpkg")})
    assert result["BUILDING_COUNT"] == 2


def test_a_damaged_downloaded_model_is_refused(provider, utm_raster, entry, profile_models, tmp_path):
    download_model(entry, str(profile_models))
    model = profile_models / FILE
    data = bytearray(model.read_bytes())
    data[-1] ^= 0xFF
    model.write_bytes(bytes(data))
    message = run_failing({"INPUT": utm_raster, "OUTPUT": str(tmp_path / "buildings.gpkg")})
    assert "does not match its checksum" in message and f"Delete {model}" in message


@pytest.fixture(scope="module")
def light_plugin_env(tmp_path_factory):
    """The plugin as the light zip installs it (manifest, no model) and an empty QGIS profile."""
    plugins = tmp_path_factory.mktemp("light_plugins")
    subprocess.run([os.path.join(ROOT, "scripts", "build_plugin.sh"), str(plugins / "building_area_plugin")],
                   check=True, capture_output=True)
    for model in (plugins / "building_area_plugin" / "models").glob("*.onnx"):
        model.unlink()
    profile = tmp_path_factory.mktemp("profile")
    return dict(os.environ, QGIS_PLUGINPATH=str(plugins), QGIS_CUSTOM_CONFIG_PATH=str(profile)), profile


def test_qgis_process_without_the_model_names_the_url_and_the_folder(light_plugin_env, utm_raster, tmp_path):
    env, profile = light_plugin_env
    failed = run_qgis_process(env, f"INPUT={utm_raster}", f"OUTPUT={tmp_path / 'buildings.gpkg'}")
    assert failed.returncode != 0 and "Traceback" not in failed.stderr
    [entry] = [e for e in read_manifest(os.path.join(ROOT, "models", MANIFEST_FILE)) if e.name == SEGMENTATION]
    [reason] = {line.strip() for line in failed.stderr.splitlines()
                if "is not installed" in line and entry.file in line}
    assert f"download it by hand from {entry.urls[0]} and put it in {profile}" in reason
    assert reason.split(" and put it in ")[1].split(" ")[0].endswith(os.path.join("building_area", "models"))
