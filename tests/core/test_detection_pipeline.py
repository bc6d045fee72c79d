"""run_pipeline with a detection model: the DETECTIONS layer and the fusion of boxes with segmentation blobs.

The channel-blob detector (tests/onnx_models.py) boxes the pixels bright in red (box 1) and
in blue (box 2); the bright-pixel segmentor sees any square whose mean channel is > 0.5. So
a yellow (255, 255, 0) and a cyan (0, 255, 255) square side by side are one segmentation
blob holding two exact boxes. UTM rasters sit on the central meridian: ground areas are
planar areas / 0.9996².
"""
import os

import numpy as np
import pytest
from osgeo import ogr

from building_area_plugin.core.errors import ModelError, ParameterError
from building_area_plugin.core.params import PipelineParams
from building_area_plugin.core.pipeline import run_pipeline
from tests import onnx_models
from tests.core.conftest import GSD_M, UTM_33N, UTM_GEOTRANSFORM, write_raster

UTM_SCALE = 0.9996


def features(path, layer_name):
    ds = ogr.Open(str(path))
    return [(f.items(), f.GetGeometryRef().Clone()) for f in ds.GetLayerByName(layer_name)]


def ground_m2(pixels):
    return pixels * GSD_M ** 2 / UTM_SCALE ** 2


@pytest.fixture
def detector(tmp_path):
    return onnx_models.channel_blob_detector(tmp_path / "det.onnx")


@pytest.fixture
def touching_raster(tmp_path):
    """A 30 x 30 px yellow roof and a 40 x 30 px cyan roof touching, across tile seams (48/64)."""
    rgb = np.zeros((3, 160, 160), np.uint8)
    rgb[0:2, 30:60, 30:60] = 255   # yellow: red + green
    rgb[1:3, 30:60, 60:100] = 255  # cyan: green + blue
    return write_raster(tmp_path / "touching.tif", rgb, UTM_GEOTRANSFORM, UTM_33N)


def run(tmp_path, raster, segmentor, **overrides):
    return run_pipeline(PipelineParams(raster_path=raster, output_path=str(tmp_path / "out" / "buildings.gpkg"),
                                       segmentation_model=segmentor, **overrides))


def test_without_a_detector_touching_roofs_are_one_blob(tmp_path, out_dir, touching_raster, bright_model):
    result = run(tmp_path, touching_raster, bright_model)
    [(attrs, _)] = features(result.output_path, "buildings")
    assert attrs["area_m2"] == pytest.approx(ground_m2(30 * 70), rel=0.01)
    assert result.summary.detection_count == 0 and result.detections_path is None
    assert result.summary.models == ["bright.onnx"]


def test_boxes_split_touching_roofs_into_buildings_with_their_own_areas(tmp_path, out_dir, touching_raster,
                                                                        bright_model, detector):
    detections = str(out_dir / "detections.gpkg")
    result = run(tmp_path, touching_raster, bright_model, detection_model=detector, detections_path=detections)
    buildings = sorted(features(result.output_path, "buildings"), key=lambda f: f[1].GetEnvelope()[0])
    assert result.summary.building_count == 2
    areas = [attrs["area_m2"] for attrs, _ in buildings]
    assert areas[0] == pytest.approx(ground_m2(30 * 30), rel=0.02)
    assert areas[1] == pytest.approx(ground_m2(40 * 30), rel=0.02)
    assert sum(areas) == pytest.approx(ground_m2(30 * 70), rel=0.01)  # the blob's area, shared out
    assert result.summary.total_area_m2 == pytest.approx(sum(areas))
    assert result.summary.detection_count == 2
    assert result.summary.models == ["bright.onnx", "det.onnx"]
    assert result.detections_path == detections

    boxes = sorted(features(detections, "detections"), key=lambda f: f[1].GetEnvelope()[0])
    assert len(boxes) == 2
    x0, y0 = UTM_GEOTRANSFORM[0], UTM_GEOTRANSFORM[3]
    assert boxes[0][1].GetEnvelope() == pytest.approx((x0 + 30 * GSD_M, x0 + 60 * GSD_M,
                                                       y0 - 60 * GSD_M, y0 - 30 * GSD_M))
    assert boxes[1][1].GetEnvelope() == pytest.approx((x0 + 60 * GSD_M, x0 + 100 * GSD_M,
                                                       y0 - 60 * GSD_M, y0 - 30 * GSD_M))
    assert boxes[0][0]["score"] == pytest.approx(0.9)
    assert boxes[0][0]["area_m2"] == pytest.approx(ground_m2(30 * 30), rel=1e-3)
    assert boxes[1][0]["area_m2"] == pytest.approx(ground_m2(40 * 30), rel=1e-3)


def test_a_seam_building_is_detected_once(tmp_path, out_dir, bright_model, detector):
    rgb = np.zeros((3, 160, 160), np.uint8)
    rgb[0:2, 20:40, 40:70] = 255  # cut by the seams at x = 48 and 64 of the 64 px / 48 px-stride tiles
    raster = write_raster(tmp_path / "seam.tif", rgb, UTM_GEOTRANSFORM, UTM_33N)
    detections = str(out_dir / "d.gpkg")
    result = run(tmp_path, raster, bright_model, detection_model=detector, detections_path=detections)
    [(attrs, geometry)] = features(detections, "detections")
    x0, y0 = UTM_GEOTRANSFORM[0], UTM_GEOTRANSFORM[3]
    assert geometry.GetEnvelope() == pytest.approx((x0 + 40 * GSD_M, x0 + 70 * GSD_M, y0 - 40 * GSD_M, y0 - 20 * GSD_M))
    assert result.summary.building_count == 1


def test_detection_thresholds_from_parameters(tmp_path, out_dir, touching_raster, bright_model, detector):
    # The detector scores 0.9: a confidence of 0.95 keeps no box, and nothing is split.
    result = run(tmp_path, touching_raster, bright_model, detection_model=detector,
                 detections_path=str(out_dir / "d.gpkg"), det_conf=0.95)
    assert result.summary.detection_count == 0
    assert result.summary.building_count == 1
    assert any("confidence >= 0.95" in line for line in result.log)


def test_a_detector_without_metadata_is_refused_before_writing(tmp_path, out_dir, touching_raster, bright_model):
    bare = onnx_models.channel_blob_detector(tmp_path / "bare.onnx",
                                             props=onnx_models.detector_metadata(resolution=None))
    with pytest.raises(ModelError, match="bare.onnx: metadata 'resolution' is missing"):
        run(tmp_path, touching_raster, bright_model, detection_model=bare, detections_path=str(out_dir / "d.gpkg"))
    assert os.listdir(out_dir) == []


@pytest.mark.parametrize("overrides, message", [
    ({"det_conf": 1.5}, "Detection confidence"),
    ({"det_iou": -0.1}, "Detection NMS IoU"),
    ({"detections_path": "DET.tif"}, "must be a GeoPackage"),
    ({"detections_path": "buildings.gpkg"}, "its own file name"),
])
def test_bad_detection_parameters_are_refused(tmp_path, out_dir, touching_raster, bright_model, detector,
                                              overrides, message):
    if "detections_path" in overrides:
        overrides = {**overrides, "detections_path": str(out_dir / overrides["detections_path"])}
    with pytest.raises(ParameterError, match=message):
        run(tmp_path, touching_raster, bright_model, detection_model=detector, **overrides)


def test_boxes_found_on_a_resampled_grid_map_back_to_the_raster(tmp_path, out_dir, bright_model, detector):
    # 0.15 m pixels: both models work on a grid of half the raster's resolution (their 0.3 m).
    gt = (UTM_GEOTRANSFORM[0], 0.15, 0.0, UTM_GEOTRANSFORM[3], 0.0, -0.15)
    rgb = np.zeros((3, 240, 240), np.uint8)
    rgb[0:2, 60:120, 40:100] = 255
    raster = write_raster(tmp_path / "fine.tif", rgb, gt, UTM_33N)
    detections = str(out_dir / "d.gpkg")
    result = run(tmp_path, raster, bright_model, detection_model=detector, detections_path=detections)
    [(attrs, geometry)] = features(detections, "detections")
    x0, y0 = gt[0], gt[3]
    assert geometry.GetEnvelope() == pytest.approx((x0 + 40 * 0.15, x0 + 100 * 0.15, y0 - 120 * 0.15,
                                                    y0 - 60 * 0.15), abs=0.3)  # within one work pixel
    assert attrs["area_m2"] == pytest.approx(9.0 * 9.0 / UTM_SCALE ** 2, rel=0.1)
    assert result.summary.building_count == 1


@pytest.fixture
def detecting_segmentor(tmp_path):
    return onnx_models.detecting_segmentor(tmp_path / "both.onnx")


def test_a_segmentor_that_detects_splits_roofs_with_its_own_boxes_in_one_pass(tmp_path, out_dir, touching_raster,
                                                                               bright_model, detector,
                                                                               detecting_segmentor):
    for name in ("one", "two"):
        (tmp_path / name / "out").mkdir(parents=True)
    two = run(tmp_path / "two", touching_raster, bright_model, detection_model=detector,
              detections_path=str(out_dir / "two.gpkg"))
    one = run(tmp_path / "one", touching_raster, detecting_segmentor, detection_model=detecting_segmentor,
              detections_path=str(out_dir / "one.gpkg"))
    assert one.summary.building_count == two.summary.building_count == 2
    assert sorted(a["area_m2"] for a, _ in features(one.output_path, "buildings")) == pytest.approx(
        sorted(a["area_m2"] for a, _ in features(two.output_path, "buildings")))
    envelopes = [sorted(g.GetEnvelope() for _, g in features(out_dir / name, "detections"))
                 for name in ("one.gpkg", "two.gpkg")]
    assert envelopes[0] == pytest.approx(envelopes[1])
    # One network run per tile: no detection tiles of their own, the model listed once.
    assert one.summary.detection_tiles == 0 and one.summary.detection_count == 2
    assert one.summary.tiles == two.summary.tiles - two.summary.detection_tiles
    assert one.summary.models == ["both.onnx"]
    assert any("one network run per tile" in line for line in one.log)


def test_a_segmentor_that_detects_segments_alone_without_a_detection_model(tmp_path, out_dir, touching_raster,
                                                                            detecting_segmentor):
    result = run(tmp_path, touching_raster, detecting_segmentor)
    assert result.summary.building_count == 1 and result.summary.detection_count == 0


def test_a_segmentor_that_detects_serves_another_segmentor_as_its_detector(tmp_path, out_dir, touching_raster,
                                                                            bright_model, detecting_segmentor):
    result = run(tmp_path, touching_raster, bright_model, detection_model=detecting_segmentor)
    assert result.summary.building_count == 2 and result.summary.detection_tiles > 0


def test_a_plain_segmentor_is_refused_as_the_detection_model(tmp_path, out_dir, touching_raster, bright_model):
    with pytest.raises(ModelError, match="must have metadata model_type 'Detector'.*'detection_output'"):
        run(tmp_path, touching_raster, bright_model, detection_model=bright_model)
    assert os.listdir(out_dir) == []
