"""The algorithm through processing.run: registration, outputs, parameter translation, errors."""
import os
import sys
import types

import processing
import pytest
from qgis.core import QgsApplication, QgsProcessingException, QgsProcessingFeedback, QgsVectorLayer

from building_area_plugin import shipped_models
from building_area_plugin.core.params import Extent, PipelineResult, Summary
from tests.qgis.conftest import GSD_M, UTM_ORIGIN
from tests.qgis.scenes import write_squares

ALGORITHM = "building_area:detect_buildings"


def run_failing(parameters, feedback=None) -> str:
    """Run, expect a QgsProcessingException and return its message."""
    with pytest.raises(QgsProcessingException) as raised:
        processing.run(ALGORITHM, parameters, feedback=feedback)
    return str(raised.value)


def test_provider_registers_and_lists_the_algorithm(provider):
    registry = QgsApplication.processingRegistry()
    assert registry.providerById("building_area").name() == "Building area"
    assert ALGORITHM in [algorithm.id() for algorithm in registry.providerById("building_area").algorithms()]
    assert registry.algorithmById(ALGORITHM).displayName()


def test_run_writes_buildings_with_areas_matching_the_outputs(provider, utm_raster, bright_model, tmp_path):
    result = processing.run(ALGORITHM, {"INPUT": utm_raster, "SEGMENTATION_MODEL": bright_model,
                                        "OUTPUT": str(tmp_path / "buildings.gpkg")})
    layer = QgsVectorLayer(result["OUTPUT"], "buildings", "ogr")
    assert layer.isValid() and "area_m2" in layer.fields().names()
    areas = sorted(feature["area_m2"] for feature in layer.getFeatures())
    assert result["BUILDING_COUNT"] == layer.featureCount() == 2  # the 3 px speck is below MIN_AREA (2 m²)
    assert result["TOTAL_AREA_M2"] == pytest.approx(sum(areas), rel=1e-9)
    assert areas == pytest.approx([6.0 * 6.0, 12.0 * 12.0], rel=0.01)
    assert result["ANALYSED_AREA_M2"] == pytest.approx((200 * GSD_M) ** 2, rel=0.01)
    assert result["BUILT_UP_SHARE"] == pytest.approx(100 * sum(areas) / result["ANALYSED_AREA_M2"], rel=1e-6)
    assert result["GSD_M"] == pytest.approx(GSD_M, rel=1e-3)
    assert result["GSD_SOURCE"] == "georeferencing"
    assert result["PROVIDER"] == "CPUExecutionProvider"


@pytest.fixture
def fake_core(monkeypatch):
    """Replace the core's run_pipeline and record the PipelineParams it receives."""
    calls = []

    def run_pipeline(params, progress, is_cancelled):
        calls.append(params)
        progress(50.0, "half way")
        return PipelineResult(Summary(3, 100.0, 1000.0, 10.0, 0.25, "user"), params.output_path)

    monkeypatch.setitem(sys.modules, "building_area_plugin.core.pipeline",
                        types.SimpleNamespace(run_pipeline=run_pipeline))
    return calls


def test_parameters_are_translated_for_the_core(provider, fake_core, utm_raster, tmp_path, monkeypatch):
    models = tmp_path / "models"
    models.mkdir()
    for name in ("building_segmentation_v2.onnx", "building_segmentation_v10.onnx"):
        (models / name).write_bytes(b"")
    monkeypatch.setattr(shipped_models, "MODEL_DIRS", [str(models)])
    x0, y0 = UTM_ORIGIN
    result = processing.run(ALGORITHM, {
        "INPUT": utm_raster, "OUTPUT": str(tmp_path / "b.gpkg"), "GSD": 0.25, "THRESHOLD": 0, "MIN_AREA": 5,
        "EXTENT": f"{x0 + 3},{x0 + 30},{y0 - 30},{y0 - 3} [EPSG:32633]"})
    params = fake_core[0]
    assert params.raster_path == utm_raster
    assert params.segmentation_model == str(models / "building_segmentation_v10.onnx")
    assert (params.gsd_m, params.threshold, params.min_area_m2) == (0.25, None, 5.0)
    assert params.extent == pytest.approx(Extent(x0 + 3, y0 - 30, x0 + 30, y0 - 3))
    assert params.detection_model is None and params.probability_path is None  # no detector shipped here
    assert result["BUILDING_COUNT"] == 3 and result["GSD_SOURCE"] == "user"


def test_extent_in_another_crs_is_reprojected_to_the_raster_crs(provider, fake_core, utm_raster, tmp_path):
    processing.run(ALGORITHM, {"INPUT": utm_raster, "SEGMENTATION_MODEL": "model.onnx",
                               "OUTPUT": str(tmp_path / "b.gpkg"),
                               "EXTENT": "16.3600,16.3601,48.1900,48.1901 [EPSG:4326]"})
    extent = fake_core[0].extent
    assert 590000 < extent.xmin < extent.xmax < 610000 and 5330000 < extent.ymin < extent.ymax < 5350000


def test_an_unreadable_input_raises(provider, bright_model, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a raster")
    run_failing({"INPUT": str(notes), "SEGMENTATION_MODEL": bright_model, "OUTPUT": str(tmp_path / "b.gpkg")})


def test_a_core_error_is_reported_without_traceback(provider, bright_model, tmp_path):
    raster = write_squares(str(tmp_path / "plain.tif"), 64, [(10, 10, 20)], None, ())
    output = tmp_path / "b.gpkg"
    message = run_failing({"INPUT": raster, "SEGMENTATION_MODEL": bright_model, "OUTPUT": str(output)})
    assert "GSD" in message and "Traceback" not in message
    assert not output.exists()


def test_a_non_geopackage_output_is_refused(provider, utm_raster, bright_model, tmp_path):
    message = run_failing({"INPUT": utm_raster, "SEGMENTATION_MODEL": bright_model,
                           "OUTPUT": str(tmp_path / "b.shp")})
    assert ".gpkg" in message


def test_cancelling_stops_the_run_and_leaves_no_output(provider, utm_raster, bright_model, tmp_path):
    feedback = QgsProcessingFeedback()
    feedback.cancel()
    output = tmp_path / "b.gpkg"
    run_failing({"INPUT": utm_raster, "SEGMENTATION_MODEL": bright_model, "OUTPUT": str(output)}, feedback)
    assert not output.exists()
    assert not [name for name in os.listdir(tmp_path) if name.startswith("b.gpkg")]
