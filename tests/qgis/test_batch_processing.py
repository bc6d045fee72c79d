"""building_area:detect_buildings_batch through processing.run and qgis_process: the same batch (a local Dask
cluster), with Processing's progress and Cancel, and a message when Dask is missing."""
import json
import os
import subprocess
import sys

import processing
import pytest
from qgis.core import QgsApplication, QgsProcessingException, QgsProcessingFeedback, QgsVectorLayer

from tests.batch.conftest import SQUARES, batch_env, expected_areas, read_buildings, town, write_mosaic
from tests.qgis.conftest import ROOT

ALGORITHM = "building_area:detect_buildings_batch"


@pytest.fixture
def tiles(tmp_path):
    folder = tmp_path / "tiles"
    write_mosaic(str(folder), town(320, SQUARES))
    return str(folder)


def test_the_batch_algorithm_is_registered(provider):
    assert ALGORITHM in [a.id() for a in QgsApplication.processingRegistry().providerById("building_area").algorithms()]


def test_a_folder_runs_on_a_local_cluster(provider, tiles, bright_model, tmp_path):
    output = str(tmp_path / "city.gpkg")
    feedback = QgsProcessingFeedback()
    progress = []
    feedback.progressChanged.connect(progress.append)
    result = processing.run(ALGORITHM, {"FOLDER": tiles, "SEGMENTATION_MODEL": bright_model, "DETECT": False,
                                        "WORKERS": 2, "OUTPUT": output}, feedback=feedback)
    areas = expected_areas(SQUARES)
    assert result["BUILDING_COUNT"] == len(areas) and result["RASTER_COUNT"] == 4 and result["FAILED_RASTERS"] == 0
    assert result["TOTAL_AREA_M2"] == pytest.approx(sum(areas), rel=0.003)
    layer = QgsVectorLayer(result["OUTPUT"], "buildings", "ogr")
    assert layer.isValid() and layer.featureCount() == len(areas)
    assert os.path.isfile(result["RASTERS_CSV"]) and os.path.isfile(result["RESULT_JSON"])
    with open(result["RESULT_JSON"], encoding="utf-8") as stream:
        assert json.load(stream)["cluster"]["kind"] == "local"
    assert progress and max(progress) >= 90


def test_layers_can_be_the_input(provider, tiles, bright_model, tmp_path):
    layers = sorted(os.path.join(tiles, name) for name in os.listdir(tiles))[:2]  # the top row of tiles
    result = processing.run(ALGORITHM, {"LAYERS": layers, "SEGMENTATION_MODEL": bright_model, "DETECT": False,
                                        "WORKERS": 1, "OUTPUT": str(tmp_path / "top.gpkg")})
    assert result["RASTER_COUNT"] == 2 and result["BUILDING_COUNT"] >= 3


def test_cancel_stops_the_run_and_running_again_resumes(provider, tiles, bright_model, tmp_path):
    output = tmp_path / "city.gpkg"
    parameters = {"FOLDER": tiles, "SEGMENTATION_MODEL": bright_model, "DETECT": False, "WORKERS": 1,
                  "WINDOW": 64, "OUTPUT": str(output)}
    feedback = QgsProcessingFeedback()
    feedback.progressChanged.connect(lambda _percent: feedback.cancel())  # Cancel once the first unit is done
    with pytest.raises(QgsProcessingException) as raised:
        processing.run(ALGORITHM, parameters, feedback=feedback)
    assert "run the same command again" in str(raised.value)
    assert not output.exists()
    result = processing.run(ALGORITHM, parameters)
    with open(result["RESULT_JSON"], encoding="utf-8") as stream:
        units = json.load(stream)["units"]
    assert units["skipped"] >= 1 and units["run"] + units["skipped"] == units["total"] == 36
    assert [a for a, *_ in read_buildings(output)] == pytest.approx(expected_areas(SQUARES), rel=0.003)


def test_no_input_is_refused(provider, bright_model, tmp_path):
    with pytest.raises(QgsProcessingException, match="folder of rasters or raster layers"):
        processing.run(ALGORITHM, {"SEGMENTATION_MODEL": bright_model, "OUTPUT": str(tmp_path / "o.gpkg")})


def test_without_dask_the_algorithm_says_how_to_install_it(provider, tiles, bright_model, tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, "building_area_plugin.batch.dask_runner", raising=False)
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails, as without the package
    with pytest.raises(QgsProcessingException) as raised:
        processing.run(ALGORITHM, {"FOLDER": tiles, "SEGMENTATION_MODEL": bright_model, "DETECT": False,
                                   "OUTPUT": str(tmp_path / "city.gpkg")})
    assert "pip install" in str(raised.value) and "distributed" in str(raised.value)


def test_the_plugin_loads_without_importing_dask():
    code = ("import sys; sys.path.append('/usr/share/qgis/python/plugins');"
            "import building_area_plugin.processing.provider, building_area_plugin.plugin;"
            "print('distributed' in sys.modules or 'dask' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=batch_env(), capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.strip() == "False", done.stderr


def test_qgis_process_runs_the_batch(qgis_process_env, tiles, bright_model, tmp_path):
    output = tmp_path / "city.gpkg"
    command = [os.path.join(ROOT, "scripts", "qgis_process.sh"), "--json", "run", ALGORITHM, "--",
               f"FOLDER={tiles}", f"SEGMENTATION_MODEL={bright_model}", "DETECT=false", "WORKERS=2",
               f"OUTPUT={output}"]
    done = subprocess.run(command, env=qgis_process_env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(done.stdout)["results"]
    assert results["BUILDING_COUNT"] == len(expected_areas(SQUARES)) and results["FAILED_RASTERS"] == 0
    assert [a for a, *_ in read_buildings(output)] == pytest.approx(expected_areas(SQUARES), rel=0.003)
