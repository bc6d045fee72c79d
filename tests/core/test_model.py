"""ModelMetadata parsing and OnnxModel: providers, input checks, normalisation, outputs."""
import logging
import math
import sys

import numpy as np
import pytest

from building_area_plugin.core.errors import ModelError
from building_area_plugin.core.model import ModelMetadata, OnnxModel
from tests import onnx_models
from tests.onnx_models import metadata


def test_metadata_parses_deepness_json_values():
    meta = ModelMetadata.from_props(metadata(
        class_names={0: "background", 1: "building"}, standardization_mean=[0.4, 0.5, 0.6],
        standardization_std=[0.2, 0.25, 0.5], det_conf=0.4, det_iou_thresh=0.9))
    assert meta.model_type == "segmentor"
    assert meta.resolution_cm == 30 and meta.gsd_m == pytest.approx(0.3)
    assert meta.tile_size == 64 and meta.tiles_overlap == 25
    assert meta.class_names == {0: "background", 1: "building"}
    assert meta.standardization_mean == (0.4, 0.5, 0.6)
    assert meta.standardization_std == (0.2, 0.25, 0.5)
    assert (meta.seg_thresh, meta.det_conf, meta.det_iou_thresh) == (0.5, 0.4, 0.9)
    assert meta.gsd_output is None and meta.version is None


def test_metadata_accepts_plain_text_values_and_keeps_versions_verbatim():
    # As scripts/export_segmentation.py writes them: bare strings, a class-name list.
    raw = {"model_type": "segmentor", "resolution": "30", "tile_size": "512", "class_names": '["bg", "building"]',
           "gsd_output": "log_gsd", "version": "0.10"}
    meta = ModelMetadata.from_props(raw)
    assert meta.class_names == {0: "bg", 1: "building"}
    assert meta.gsd_output == "log_gsd" and meta.version == "0.10"


def test_metadata_accepts_tiles_size_alias():
    meta = ModelMetadata.from_props(metadata(tile_size=None, tiles_size=256))
    assert meta.tile_size == 256


def test_metadata_with_contradicting_tile_sizes_is_refused():
    with pytest.raises(ModelError, match="'tile_size' .* 'tiles_size'"):
        ModelMetadata.from_props(metadata(tile_size=256, tiles_size=512))


@pytest.mark.parametrize("key", ["model_type", "resolution", "tile_size"])
def test_missing_metadata_names_the_key_and_the_fix(key):
    with pytest.raises(ModelError) as error:
        ModelMetadata.from_props(metadata(**{key: None}), "m.onnx")
    assert f"'{key}' is missing" in str(error.value)
    assert "metadata_props" in str(error.value)


def test_split_thresholds_are_read_from_metadata_with_defaults_for_models_without_them():
    meta = ModelMetadata.from_props(metadata(split_edge_thresh=0.3, split_seed_prob=0.6, split_min_seed_m2=4.5,
                                             split_wall_prob=0.45, fusion_min_score=0.7, split_max_gsd_m=0.35))
    assert (meta.split_edge_thresh, meta.split_seed_prob, meta.split_min_seed_m2) == (0.3, 0.6, 4.5)
    assert meta.split_max_gsd_m == 0.35
    assert meta.split_wall_prob == 0.45
    assert meta.fusion_min_score == 0.7
    plain = ModelMetadata.from_props(metadata())
    assert (plain.split_edge_thresh, plain.split_seed_prob, plain.split_min_seed_m2, plain.split_wall_prob) == (
        ModelMetadata.split_edge_thresh, ModelMetadata.split_seed_prob, ModelMetadata.split_min_seed_m2,
        ModelMetadata.split_wall_prob)
    assert plain.fusion_min_score == 0.0  # keeps every building
    assert plain.split_max_gsd_m == float("inf")  # splits imagery of any GSD


@pytest.mark.parametrize("key, value", [("tiles_overlap", 100), ("resolution", 0), ("seg_thresh", 1.5),
                                        ("standardization_std", [1, 0, 1]), ("model_type", "Regressor"),
                                        ("split_edge_thresh", 0), ("split_seed_prob", 1.0),
                                        ("split_min_seed_m2", -1), ("split_wall_prob", 1.5),
                                        ("fusion_min_score", 1.2), ("split_max_gsd_m", 0)])
def test_out_of_range_metadata_is_refused(key, value):
    with pytest.raises(ModelError, match=key):
        ModelMetadata.from_props(metadata(**{key: value}))


def test_missing_model_file_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        OnnxModel(str(tmp_path / "none.onnx"))


def test_a_file_that_is_not_onnx_is_a_model_error(tmp_path):
    path = tmp_path / "fake.onnx"
    path.write_text("not a model")
    with pytest.raises(ModelError, match="not a usable ONNX model"):
        OnnxModel(str(path))


def test_missing_onnxruntime_says_how_to_install_it(bright_model, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # makes `import onnxruntime` fail
    with pytest.raises(ModelError, match="pip install onnxruntime"):
        OnnxModel(bright_model)


def test_provider_is_cpu_here_and_is_reported(bright_model, caplog):
    with caplog.at_level(logging.INFO, logger="building_area_plugin.core.model"):
        model = OnnxModel(bright_model)
    assert model.provider == "CPUExecutionProvider"
    assert "CPUExecutionProvider" in caplog.text


def test_model_input_must_take_three_channels(tmp_path):
    path = onnx_models.bright_segmentor(tmp_path / "four.onnx", channels=4)
    with pytest.raises(ModelError, match="3 input channels"):
        OnnxModel(path)


def test_gsd_output_named_in_metadata_must_exist(tmp_path):
    path = onnx_models.bright_segmentor(tmp_path / "m.onnx", metadata(gsd_output="nope"))
    with pytest.raises(ModelError, match="'gsd_output'"):
        OnnxModel(path)


def test_edge_output_named_in_metadata_must_exist(tmp_path):
    path = onnx_models.bright_segmentor(tmp_path / "m.onnx", metadata(edge_output="nope"))
    with pytest.raises(ModelError, match="'edge_output'"):
        OnnxModel(path)


def test_a_named_edge_output_is_not_taken_for_the_building_output(tmp_path):
    model = OnnxModel(onnx_models.bright_segmentor(tmp_path / "m.onnx", gsd_m=0.3, edge=True))
    batch = np.zeros((1, 3, 16, 16), np.uint8)
    batch[0, :, 4:8, 4:8] = 255
    prob, log_gsd, edge, _ = model.predict_segmentation(batch)
    assert model.metadata.edge_output == "edge"
    np.testing.assert_array_equal(np.argwhere(prob[0] > 0.5).min(0), [4, 4])
    assert (prob[0] > 0.5).sum() == 16 and log_gsd.shape == (1,)
    assert edge.shape == prob.shape and np.array_equal(edge[0] > 0.5, prob[0] < 0.5)


def test_bright_pixels_come_out_as_buildings(bright_model):
    batch = np.zeros((2, 3, 32, 48), np.uint8)
    batch[0, :, 4:10, 6:20] = 255
    prob, log_gsd, edge, boxes = OnnxModel(bright_model).predict_segmentation(batch)
    assert prob.shape == (2, 32, 48) and prob.dtype == np.float32
    expected = np.zeros((2, 32, 48), bool)
    expected[0, 4:10, 6:20] = True
    np.testing.assert_array_equal(prob > 0.5, expected)
    assert log_gsd is None and edge is None and boxes is None


def test_standardization_from_metadata_is_applied(tmp_path):
    # 140/255 = 0.55 is bright without standardization, and (0.55 - 0.5) / 0.25 = 0.2 is dark with it.
    batch = np.full((1, 3, 16, 16), 140, np.uint8)
    plain = OnnxModel(onnx_models.bright_segmentor(tmp_path / "a.onnx"))
    standardized = OnnxModel(onnx_models.bright_segmentor(
        tmp_path / "b.onnx", metadata(standardization_mean=[0.5] * 3, standardization_std=[0.25] * 3)))
    assert plain.predict_segmentation(batch)[0].min() > 0.5
    assert standardized.predict_segmentation(batch)[0].max() < 0.5


def test_gsd_output_gives_log_gsd_per_image(gsd_head_model):
    log_gsd = OnnxModel(gsd_head_model).predict_segmentation(np.zeros((3, 3, 16, 16), np.uint8)).log_gsd
    np.testing.assert_allclose(log_gsd, [math.log(0.3)] * 3, rtol=1e-6)


def test_nan_output_is_a_model_error(tmp_path):
    model = OnnxModel(onnx_models.bright_segmentor(tmp_path / "nan.onnx", poison=True))
    with pytest.raises(ModelError, match="NaN"):
        model.predict_segmentation(np.zeros((1, 3, 16, 16), np.uint8))


def test_logit_output_is_a_model_error(tmp_path):
    model = OnnxModel(onnx_models.bright_segmentor(tmp_path / "logits.onnx", sigmoid=False))
    with pytest.raises(ModelError, match="sigmoid"):
        model.predict_segmentation(np.full((1, 3, 16, 16), 255, np.uint8))


def test_metadata_is_read_from_the_model_file(tmp_path):
    model = OnnxModel(onnx_models.bright_segmentor(tmp_path / "m.onnx", metadata(version="1.2.0")))
    assert model.metadata.version == "1.2.0" and model.metadata.tile_size == 64


def test_gpu_providers_come_first_when_onnxruntime_gpu_offers_them(tmp_path, monkeypatch):
    import onnxruntime
    asked = []
    real_session = onnxruntime.InferenceSession

    def recording_session(path, sess_options=None, providers=None):
        asked.append(providers)
        return real_session(path, sess_options=sess_options, providers=["CPUExecutionProvider"])

    monkeypatch.setattr(onnxruntime, "get_available_providers",
                        lambda: ["CUDAExecutionProvider", "TensorrtExecutionProvider", "CPUExecutionProvider"])
    monkeypatch.setattr(onnxruntime, "InferenceSession", recording_session)
    model = OnnxModel(onnx_models.bright_segmentor(tmp_path / "m.onnx"))
    assert asked == [["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]]
    assert model.provider == "CPUExecutionProvider"


def test_a_segmentor_that_detects_gives_its_boxes_from_the_same_run_when_asked(tmp_path):
    model = OnnxModel(onnx_models.detecting_segmentor(tmp_path / "both.onnx"))
    batch = np.zeros((2, 3, 32, 32), np.uint8)
    batch[0, 0, 4:10, 6:20] = 255  # bright in red: box 1 of the channel-blob detector
    assert model.detects_while_segmenting
    assert model.predict_segmentation(batch).boxes is None
    output = model.predict_segmentation(batch, with_boxes=True)
    assert output.boxes.shape == (2, 2, 6)
    np.testing.assert_allclose(output.boxes[0, 0, :5], [13, 7, 14, 6, 0.9], atol=1e-5)
    np.testing.assert_array_equal(model.predict_detection(batch), output.boxes)


def test_a_named_detection_output_that_is_missing_is_refused(tmp_path):
    path = onnx_models.bright_segmentor(tmp_path / "m.onnx", onnx_models.metadata(detection_output="boxes"))
    with pytest.raises(ModelError, match="metadata 'detection_output' names 'boxes', which is not an output"):
        OnnxModel(path)


def test_boxes_are_refused_from_a_segmentor_without_a_box_output(bright_model):
    with pytest.raises(ModelError, match="no box output"):
        OnnxModel(bright_model).predict_segmentation(np.zeros((1, 3, 16, 16), np.uint8), with_boxes=True)
