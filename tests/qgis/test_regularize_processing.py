"""REGULARIZE reaches the core from Processing, qgis_process and the batch algorithm; off by default."""
import sys
import types

import processing
import pytest
from qgis.core import QgsApplication, QgsVectorLayer

from building_area_plugin.batch import runner
from building_area_plugin.core.params import PipelineResult, Summary
from tests.qgis.conftest import SQUARES, run_qgis_process
from tests.qgis.scenes import write_squares
from tests.qgis.test_qgis_process import geotransform

ALGORITHM = "building_area:detect_buildings"


@pytest.fixture
def fake_core(monkeypatch):
    """Replace the core's run_pipeline and record the PipelineParams it receives."""
    calls = []

    def run_pipeline(params, progress, is_cancelled):
        calls.append(params)
        return PipelineResult(Summary(1, 10.0, 100.0, 10.0, 0.3, "user", total_area_reg_m2=9.5 if params.regularize
                                      else None), params.output_path)

    monkeypatch.setitem(sys.modules, "building_area_plugin.core.pipeline",
                        types.SimpleNamespace(run_pipeline=run_pipeline))
    return calls


@pytest.mark.parametrize("value, expected", [(None, False), (False, False), (True, True)])
def test_regularize_reaches_the_core_and_is_off_by_default(provider, fake_core, utm_raster, tmp_path, value, expected):
    parameters = {"INPUT": utm_raster, "SEGMENTATION_MODEL": "model.onnx", "OUTPUT": str(tmp_path / "b.gpkg")}
    if value is not None:
        parameters["REGULARIZE"] = value
    processing.run(ALGORITHM, parameters)
    assert fake_core[0].regularize is expected


def test_the_dialog_offers_regularize_unticked(provider):
    parameter = QgsApplication.processingRegistry().algorithmById(ALGORITHM).parameterDefinition("REGULARIZE")
    assert parameter.type() == "boolean" and parameter.defaultValue() is False


def test_qgis_process_writes_regularized_outlines_and_their_area(qgis_process_env, bright_model, tmp_path):
    raster = write_squares(str(tmp_path / "squares.tif"), 200, SQUARES, 3857, geotransform(3857))
    output = tmp_path / "buildings.gpkg"
    done = run_qgis_process(qgis_process_env, f"INPUT={raster}", f"SEGMENTATION_MODEL={bright_model}",
                            "REGULARIZE=true", f"OUTPUT={output}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Regularized outlines" in done.stdout + done.stderr
    layer = QgsVectorLayer(f"{output}|layername=buildings", "buildings", "ogr")
    pairs = sorted((f["area_m2"], f["area_reg_m2"]) for f in layer.getFeatures())
    assert len(pairs) == 2
    for area, area_reg in pairs:  # squares stay squares of about the mask's area
        assert area_reg == pytest.approx(area, rel=0.02)
    summary = QgsVectorLayer(f"{output}|layername=summary", "summary", "ogr")
    assert next(summary.getFeatures())["total_area_reg_m2"] == pytest.approx(sum(r for _, r in pairs))


def test_the_batch_algorithm_passes_regularize_to_the_batch(provider, bright_model, tmp_path, monkeypatch):
    received = []

    def run_batch(params, progress=None, is_cancelled=None):
        received.append(params)
        summary = {"building_count": 0, "total_area_m2": 0.0, "total_area_reg_m2": 0.0 if params.regularize else None,
                   "analysed_area_m2": 0.0, "rasters": {"total": 0}, "failures": []}
        return runner.BatchResult(params.output_path, "", "", "", summary)

    monkeypatch.setattr(runner, "run_batch", run_batch)
    for value in (None, True):
        parameters = {"FOLDER": str(tmp_path), "SEGMENTATION_MODEL": bright_model, "DETECT": False,
                      "OUTPUT": str(tmp_path / "city.gpkg")}
        if value is not None:
            parameters["REGULARIZE"] = value
        processing.run("building_area:detect_buildings_batch", parameters)
    assert [params.regularize for params in received] == [False, True]
