"""Detection through processing.run and qgis_process: parameters, both layers, touching roofs split."""
import json
import sys
import types

import numpy as np
import processing
import pytest
from osgeo import gdal, osr
from qgis.core import QgsVectorLayer

from building_area_plugin.core.params import PipelineResult, Summary
from tests.onnx_models import channel_blob_detector
from tests.qgis.conftest import GSD_M, UTM_ORIGIN, run_qgis_process

ALGORITHM = "building_area:detect_buildings"


@pytest.fixture(scope="module")
def detector(tmp_path_factory):
    return channel_blob_detector(tmp_path_factory.mktemp("det") / "det.onnx")


@pytest.fixture
def touching_raster(tmp_path):
    """A 30 x 30 px yellow roof touching a 40 x 30 px cyan roof (one blob for the bright segmentor;
    one box each for the channel-blob detector), UTM 33N at 0.3 m."""
    rgb = np.zeros((3, 128, 128), np.uint8)
    rgb[0:2, 30:60, 20:50] = 255
    rgb[1:3, 30:60, 50:90] = 255
    path = str(tmp_path / "touching.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, 128, 128, 3, gdal.GDT_Byte, ["PHOTOMETRIC=RGB"])
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds.SetProjection(srs.ExportToWkt())
    ds.SetGeoTransform((UTM_ORIGIN[0], GSD_M, 0.0, UTM_ORIGIN[1], 0.0, -GSD_M))
    for band in range(3):
        ds.GetRasterBand(band + 1).WriteArray(rgb[band])
    ds = None
    return path


def test_detection_parameters_are_translated(provider, monkeypatch, utm_raster, detector, tmp_path):
    calls = []

    def run_pipeline(params, progress, is_cancelled):
        calls.append(params)
        return PipelineResult(Summary(1, 1.0, 10.0, 10.0, 0.3, "georeferencing"), params.output_path,
                              detections_path=params.detections_path)

    monkeypatch.setitem(sys.modules, "building_area_plugin.core.pipeline",
                        types.SimpleNamespace(run_pipeline=run_pipeline))
    result = processing.run(ALGORITHM, {
        "INPUT": utm_raster, "SEGMENTATION_MODEL": "seg.onnx", "DETECT": True, "DETECTION_MODEL": detector,
        "DET_CONF": 0.4, "DET_IOU": 0.7, "OUTPUT": str(tmp_path / "b.gpkg"), "DETECTIONS": str(tmp_path / "d.gpkg")})
    params = calls[0]
    assert params.detection_model == detector and params.detection_checksums is None
    assert (params.det_conf, params.det_iou) == (0.4, 0.7)
    assert params.detections_path == str(tmp_path / "d.gpkg") == result["DETECTIONS"]
    processing.run(ALGORITHM, {"INPUT": utm_raster, "SEGMENTATION_MODEL": "seg.onnx", "DETECT": True,
                               "DETECTION_MODEL": detector, "OUTPUT": str(tmp_path / "c.gpkg")})
    assert (calls[1].det_conf, calls[1].det_iou) == (None, None)  # 0 = the model's own


def test_detect_writes_both_layers_and_splits_touching_roofs(provider, touching_raster, bright_model, detector,
                                                            tmp_path):
    result = processing.run(ALGORITHM, {
        "INPUT": touching_raster, "SEGMENTATION_MODEL": bright_model, "DETECT": True, "DETECTION_MODEL": detector,
        "OUTPUT": str(tmp_path / "b.gpkg"), "DETECTIONS": str(tmp_path / "d.gpkg")})
    buildings = QgsVectorLayer(result["OUTPUT"], "buildings", "ogr")
    boxes = QgsVectorLayer(str(tmp_path / "d.gpkg") + "|layername=detections", "detections", "ogr")
    assert buildings.isValid() and boxes.isValid()
    assert result["BUILDING_COUNT"] == buildings.featureCount() == boxes.featureCount() == 2
    areas = sorted(f["area_m2"] for f in buildings.getFeatures())
    assert areas == pytest.approx([30 * 30 * GSD_M ** 2, 40 * 30 * GSD_M ** 2], rel=0.02)
    assert sum(areas) == pytest.approx(70 * 30 * GSD_M ** 2, rel=0.01)


def test_qgis_process_detect_writes_both_layers(qgis_process_env, touching_raster, bright_model, detector, tmp_path):
    run = run_qgis_process(qgis_process_env, f"INPUT={touching_raster}", f"SEGMENTATION_MODEL={bright_model}",
                           "DETECT=true", f"DETECTION_MODEL={detector}", f"OUTPUT={tmp_path / 'b.gpkg'}",
                           f"DETECTIONS={tmp_path / 'd.gpkg'}")
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)["results"]
    assert results["BUILDING_COUNT"] == 2
    assert QgsVectorLayer(str(tmp_path / "d.gpkg") + "|layername=detections", "d", "ogr").featureCount() == 2
