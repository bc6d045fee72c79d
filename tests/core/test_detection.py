"""Detection: decoding, NMS, seam merging, mapping to the CRS, and which boxes belong to a blob."""
import numpy as np
import pytest
from shapely.geometry import box as shapely_box

from building_area_plugin.core.detection import (Detections, box_polygons, decode, detect, merge_boxes, nms,
                                                 resolve_thresholds, tile_boxes)
from building_area_plugin.core.errors import ModelError
from building_area_plugin.core.fusion import BoxIndex, member_boxes
from building_area_plugin.core.model import OnnxModel
from building_area_plugin.core.raster import RasterSource
from building_area_plugin.core.tiling import Tile
from building_area_plugin.core.workgrid import PixelWindow, WorkGrid
from tests import onnx_models
from tests.core.conftest import UTM_33N, UTM_GEOTRANSFORM, write_raster


def test_decode_scores_objectness_times_best_class_and_converts_to_corners():
    output = np.array([[[10, 20, 4, 6, 0.9, 0.5, 1.0],     # score 0.9
                        [30, 30, 2, 2, 0.5, 0.4, 0.2],     # score 0.2 < conf
                        [5, 5, 10, 10, 0.6, 0.5, 0.0]]],   # score 0.3
                      np.float32)
    [(xyxy, score)] = decode(output, conf=0.25)
    np.testing.assert_allclose(xyxy, [[8, 17, 12, 23], [0, 0, 10, 10]])
    np.testing.assert_allclose(score, [0.9, 0.3], rtol=1e-6)


def test_decode_refuses_a_wrong_shape():
    with pytest.raises(ModelError, match="5 \\+ classes"):
        decode(np.zeros((1, 10, 4), np.float32), 0.3)


def test_nms_keeps_the_best_of_overlapping_boxes_and_separate_ones():
    xyxy = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30], [0, 0, 10, 5]], float)
    score = np.array([0.8, 0.9, 0.7, 0.6])
    # box 1 beats box 0 (IoU 9/11); box 3 overlaps box 1 by 45/105 < 0.5: kept.
    assert nms(xyxy, score, 0.5).tolist() == [1, 2, 3]
    assert nms(xyxy, score, 0.95).tolist() == [1, 0, 2, 3]


def test_merge_boxes_is_nms_for_boxes_not_cut_by_a_seam():
    xyxy = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [2, 2, 6, 6]], float)
    merged = merge_boxes(xyxy, np.array([0.9, 0.8, 0.7]), np.zeros(3, bool), 0.5)
    # The small box inside the big one is another building (not cut): IoU 0.16, kept.
    np.testing.assert_allclose(merged.xyxy, [[0, 0, 10, 10], [2, 2, 6, 6]])


def test_a_building_cut_by_a_seam_is_reported_once_and_whole():
    # Tiles of 64 px at x = 0 and 48: a building at x 40..70 is cut in both (IoU of the parts 16/30).
    left = tile_boxes(np.array([[40.0, 10, 64, 30]]), Tile(0, 0), 64, np.ones((64, 64), bool), 200, 64)
    right = tile_boxes(np.array([[0.0, 10, 22, 30]]), Tile(48, 0), 64, np.ones((64, 64), bool), 200, 64)
    assert left[2].tolist() == [True] and right[2].tolist() == [True]
    xyxy = np.concatenate([left[0], right[0]])
    merged = merge_boxes(xyxy, np.array([0.8, 0.9]), np.array([True, True]), iou_thresh=0.5)
    np.testing.assert_allclose(merged.xyxy, [[40, 10, 70, 30]])
    np.testing.assert_allclose(merged.score, [0.9])


def test_tile_boxes_clip_drop_invalid_centres_and_flag_only_interior_edges():
    valid = np.ones((64, 64), bool)
    valid[:, 50:] = False  # nodata on the right
    xyxy = np.array([[-5, 0, 10, 10], [52, 0, 60, 10], [20, 20, 30, 30]], float)
    placed, keep, cut = tile_boxes(xyxy, Tile(0, 0), 64, valid, 500, 500)
    assert keep.tolist() == [True, False, True]
    np.testing.assert_allclose(placed, [[0, 0, 10, 10], [20, 20, 30, 30]])
    assert cut.tolist() == [False, False]  # the tile's left/top edges are the grid's border
    placed, _, cut = tile_boxes(np.array([[0, 5, 10, 10.0]]), Tile(48, 96), 64, np.ones((64, 64), bool), 500, 500)
    np.testing.assert_allclose(placed, [[48, 101, 58, 106]])
    assert cut.tolist() == [True]


def test_boxes_map_exactly_to_crs_coordinates():
    [polygon] = box_polygons(np.array([[10, 20, 30, 50]], float), UTM_GEOTRANSFORM)
    assert polygon.bounds == (500000 + 10 * 0.3, 5000000 - 50 * 0.3, 500000 + 30 * 0.3, 5000000 - 20 * 0.3)
    rotated = (100.0, 1.0, 0.5, 200.0, 0.5, -1.0)
    [polygon] = box_polygons(np.array([[0, 0, 2, 2]], float), rotated)
    assert list(polygon.exterior.coords)[:4] == [(100, 200), (102, 201), (103, 199), (101, 198)]


def test_thresholds_from_parameters_override_the_model():
    meta = type("Meta", (), {"det_conf": 0.3, "det_iou_thresh": 0.5})()
    assert resolve_thresholds(meta, None, None) == (0.3, 0.5)
    assert resolve_thresholds(meta, 0.6, 0.8) == (0.6, 0.8)
    assert resolve_thresholds(meta, 0, 0) == (0.3, 0.5)


def test_detect_over_a_raster_finds_a_seam_building_once_with_its_exact_box(tmp_path):
    # 64 px tiles, 25 % overlap: tiles at 0, 48, 96, ...; a red square at cols 40..70 is cut in two tiles.
    rgb = np.zeros((3, 150, 150), np.uint8)
    rgb[0, 20:40, 40:70] = 255
    rgb[2, 100:120, 100:130] = 255
    raster = write_raster(tmp_path / "r.tif", rgb, UTM_GEOTRANSFORM, UTM_33N)
    model = OnnxModel(onnx_models.channel_blob_detector(tmp_path / "det.onnx"))
    with RasterSource(raster) as source:
        grid = WorkGrid(PixelWindow(0, 0, 150, 150), 1, 1)
        found, tiles = detect(source, grid, model, 3, 0.3, 0.5, lambda done, total: None, lambda: False)
    assert tiles == 9
    order = np.argsort(found.xyxy[:, 0])
    np.testing.assert_allclose(found.xyxy[order], [[40, 20, 70, 40], [100, 100, 130, 120]])
    np.testing.assert_allclose(found.score, [0.9, 0.9], rtol=1e-6)


def test_a_segmentor_is_no_detector(tmp_path, bright_model):
    with pytest.raises(ModelError, match="not a detector"):
        OnnxModel(bright_model).predict_detection(np.zeros((1, 3, 64, 64), np.uint8))


def test_a_detector_without_metadata_is_refused_clearly(tmp_path):
    path = onnx_models.channel_blob_detector(tmp_path / "bare.onnx",
                                             props=onnx_models.detector_metadata(model_type=None))
    with pytest.raises(ModelError, match="'model_type' is missing"):
        OnnxModel(path)


def test_member_boxes_are_those_mostly_inside_the_blob():
    index = BoxIndex(np.array([[0, 0, 10, 10], [8, 0, 18, 10], [100, 100, 110, 110]], float))
    blob = shapely_box(0, 0, 12, 10)
    np.testing.assert_allclose(member_boxes(blob, index), [[0, 0, 10, 10]])


def test_detections_container():
    assert len(Detections.empty()) == 0
