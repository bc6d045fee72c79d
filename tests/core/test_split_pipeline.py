"""run_pipeline cuts blobs of touching roofs into buildings with the model's edge output (and boxes).

The edge segmentor (tests/onnx_models.py, edge=True) reads pixels dark in green as edges: a
magenta (255, 0, 255) line between two white roofs is a wall, building and edge at once. Its
tiles are 64 px with a 48 px stride, so the roofs below straddle tile seams. UTM rasters sit on
the central meridian: ground areas are planar areas / 0.9996².
"""
import numpy as np
import pytest
from osgeo import ogr

from building_area_plugin.core import fusion
from building_area_plugin.core.params import PipelineParams
from building_area_plugin.core.pipeline import run_pipeline
from tests import onnx_models
from tests.core.conftest import GSD_M, SQUARE, UTM_33N, UTM_GEOTRANSFORM, square_image, write_raster

UTM_SCALE = 0.9996
MAGENTA = (255, 0, 255)


def ground_m2(pixels):
    return pixels * GSD_M ** 2 / UTM_SCALE ** 2


def areas(path):
    ds = ogr.Open(str(path))
    features = sorted(ds.GetLayerByName("buildings"), key=lambda f: f.GetGeometryRef().GetEnvelope()[0])
    return [f["area_m2"] for f in features]


def run(tmp_path, raster, segmentor, **overrides):
    overrides.setdefault("output_path", str(tmp_path / "out" / "buildings.gpkg"))
    return run_pipeline(PipelineParams(raster_path=raster, segmentation_model=segmentor, **overrides))


@pytest.fixture
def edge_model(tmp_path):
    return onnx_models.bright_segmentor(tmp_path / "edge.onnx", edge=True)


@pytest.fixture
def walled_raster(tmp_path):
    """A 30 x 30 px and a 40 x 30 px white roof sharing a 2 px magenta wall (one blob of 30 x 72 px),
    across the tile seams at x = 48 and 64."""
    rgb = np.zeros((3, 160, 160), np.uint8)
    rgb[:, 30:60, 30:102] = 255
    rgb[:, 30:60, 60:62] = np.array(MAGENTA, np.uint8)[:, None, None]
    return write_raster(tmp_path / "walled.tif", rgb, UTM_GEOTRANSFORM, UTM_33N)


def test_the_edge_output_alone_splits_touching_roofs_into_buildings_that_add_up_to_the_blob(
        tmp_path, out_dir, walled_raster, edge_model):
    result = run(tmp_path, walled_raster, edge_model)
    found = areas(result.output_path)
    assert result.summary.building_count == 2
    assert found[0] == pytest.approx(ground_m2(30 * 31), rel=0.03)  # each roof takes a column of the wall
    assert found[1] == pytest.approx(ground_m2(30 * 41), rel=0.03)
    assert sum(found) == pytest.approx(ground_m2(30 * 72), rel=0.01)
    assert any("Split 1 blobs of touching roofs into 2 buildings" in line for line in result.log)


def test_imagery_coarser_than_the_models_split_limit_keeps_touching_roofs_one_building(tmp_path, out_dir,
                                                                                       walled_raster):
    # The raster is at 0.3 m: a model whose edges split only imagery of 0.25 m or finer leaves the blob whole.
    limited = onnx_models.bright_segmentor(tmp_path / "limited.onnx", onnx_models.metadata(split_max_gsd_m=0.25),
                                           edge=True)
    result = run(tmp_path, walled_raster, limited)
    assert areas(result.output_path) == [pytest.approx(ground_m2(30 * 72), rel=0.01)]
    assert any("coarser than the 0.25 m the model's split works at" in line for line in result.log)
    # (The raster's ground GSD is 0.3 m / 0.9996: UTM's scale on the central meridian.)
    finer = onnx_models.bright_segmentor(tmp_path / "finer.onnx", onnx_models.metadata(split_max_gsd_m=0.31),
                                         edge=True)
    assert run(tmp_path, walled_raster, finer, output_path=str(out_dir / "finer.gpkg")).summary.building_count == 2


def test_a_model_without_an_edge_output_keeps_touching_roofs_one_building(tmp_path, out_dir, walled_raster,
                                                                           bright_model):
    result = run(tmp_path, walled_raster, bright_model)
    assert areas(result.output_path) == [pytest.approx(ground_m2(30 * 72), rel=0.01)]
    assert not any("Split" in line for line in result.log)


def test_boxes_split_touching_roofs_the_edge_output_sees_as_one(tmp_path, out_dir, edge_model):
    # Yellow and cyan are both bright in green: no edge between them. The detector boxes each.
    rgb = np.zeros((3, 160, 160), np.uint8)
    rgb[0:2, 30:60, 30:60] = 255
    rgb[1:3, 30:60, 60:100] = 255
    raster = write_raster(tmp_path / "touching.tif", rgb, UTM_GEOTRANSFORM, UTM_33N)
    alone = run(tmp_path, raster, edge_model, output_path=str(out_dir / "alone.gpkg"))
    assert alone.summary.building_count == 1
    detector = onnx_models.channel_blob_detector(tmp_path / "det.onnx")
    fused = run(tmp_path, raster, edge_model, detection_model=detector)
    found = areas(fused.output_path)
    assert found[0] == pytest.approx(ground_m2(30 * 30), rel=0.02)
    assert found[1] == pytest.approx(ground_m2(30 * 40), rel=0.02)
    assert sum(found) == pytest.approx(ground_m2(30 * 70), rel=0.01)


def test_a_building_across_tile_seams_stays_one_polygon(tmp_path, out_dir, edge_model):
    raster = write_raster(tmp_path / "square.tif", square_image(200, [SQUARE]), UTM_GEOTRANSFORM, UTM_33N)
    result = run(tmp_path, raster, edge_model)
    assert areas(result.output_path) == [pytest.approx(ground_m2(SQUARE[2] ** 2), rel=1e-3)]


def test_a_blob_too_large_to_cut_stays_whole_with_a_warning(tmp_path, out_dir, walled_raster, edge_model,
                                                            monkeypatch):
    monkeypatch.setattr(fusion, "MAX_SPLIT_PX", 30 * 72 - 1)
    result = run(tmp_path, walled_raster, edge_model)
    assert result.summary.building_count == 1
    assert any("kept whole" in warning for warning in result.warnings)


def test_with_a_detector_an_outline_without_a_box_needs_the_detectors_minimum_score(tmp_path, out_dir):
    # Yellow: probability ~1 and a red box. (0, 255, 160): probability ~0.83 and no red box.
    rgb = np.zeros((3, 160, 160), np.uint8)
    rgb[0:2, 20:50, 20:50] = 255
    rgb[:, 90:120, 90:120] = np.array((0, 255, 160), np.uint8)[:, None, None]
    raster = write_raster(tmp_path / "two.tif", rgb, UTM_GEOTRANSFORM, UTM_33N)
    segmentor = onnx_models.bright_segmentor(tmp_path / "seg.onnx", edge=True)
    lenient = onnx_models.channel_blob_detector(tmp_path / "lenient.onnx", channels=(0,))
    strict = onnx_models.channel_blob_detector(tmp_path / "strict.onnx", channels=(0,),
                                               props=onnx_models.detector_metadata(fusion_min_score=0.9))
    assert run(tmp_path, raster, segmentor, detection_model=lenient).summary.building_count == 2
    result = run(tmp_path, raster, segmentor, detection_model=strict)
    assert areas(result.output_path) == [pytest.approx(ground_m2(30 * 30), rel=0.02)]
    assert any("Dropped 1 outlines that hold no detection box and score under 0.9" in line for line in result.log)
