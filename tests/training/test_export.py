import json
import os

import numpy as np
import onnx
import onnxruntime as ort
import torch
from dataclasses import asdict

from scripts.export_segmentation import (build_metadata, export_fp32, export_int8, load_model, set_metadata)
from scripts.segmentation.model import SegModelConfig, UNetASPP

TINY = SegModelConfig(encoder="resnet18", width=8, aspp_channels=8, decoder_channels=(8, 8, 8, 8, 8))


def _checkpoint():
    torch.manual_seed(0)
    model = UNetASPP(TINY)
    return {"model": model.state_dict(), "config": asdict(TINY), "sampling": {"native_gsd_m": 0.3},
            "mean": [0.4, 0.4, 0.4], "std": [0.2, 0.2, 0.2], "train_sources": ["a", "b"],
            "train_images": 10, "step": 5}


def test_model_outputs_building_and_edge_logits_and_log_gsd_at_any_size():
    model = UNetASPP(TINY).eval()
    logits, log_gsd = model(torch.zeros(2, 3, 96, 160))
    assert logits.shape == (2, 2, 96, 160) and log_gsd.shape == (2, 1)


def test_efficientnet_model_exports_three_outputs_equal_to_torch(tmp_path):
    config = SegModelConfig(encoder="efficientnet_lite0", aspp_channels=16, decoder_channels=(16, 16, 8, 8, 8))
    ckpt = {**_checkpoint(), "model": UNetASPP(config).state_dict(), "config": asdict(config)}
    wrapper = load_model(ckpt)
    path = str(tmp_path / "m.onnx")
    export_fp32(wrapper, path, sample_size=64)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["building_probability", "log_gsd", "edge_probability"]
    x = np.random.default_rng(0).normal(size=(1, 3, 96, 128)).astype(np.float32)
    with torch.no_grad():
        expected = wrapper(torch.from_numpy(x))
    for got, want in zip(session.run(None, {"image": x}), expected):
        np.testing.assert_allclose(got, want.numpy(), atol=1e-4)
    meta = build_metadata({**ckpt, "args": {}}, "2.0.0", 512, 15, 0.5)
    assert meta["edge_output"] == "edge_probability"
    assert "ImageNet" in json.loads(meta["training_data"])["encoder_init"]


def test_onnx_output_equals_pytorch_at_two_tile_sizes(tmp_path):
    ckpt = _checkpoint()
    wrapper = load_model(ckpt)
    path = str(tmp_path / "m.onnx")
    export_fp32(wrapper, path, sample_size=64)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for size in (64, 128):
        x = np.random.default_rng(size).normal(size=(2, 3, size, size)).astype(np.float32)
        with torch.no_grad():
            expected = wrapper(torch.from_numpy(x))
        got = session.run(None, {"image": x})
        assert len(got) == len(expected) == 3
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a, b.numpy(), atol=1e-4)


def test_metadata_carries_the_keys_the_plugin_reads(tmp_path):
    ckpt = _checkpoint()
    path = str(tmp_path / "m.onnx")
    export_fp32(load_model(ckpt), path, sample_size=64)
    set_metadata(path, build_metadata(ckpt, "9.9.9", 512, 15, 0.45))
    meta = {p.key: p.value for p in onnx.load(path).metadata_props}
    assert meta["model_type"] == "segmentor" and float(meta["resolution"]) == 30
    assert meta["tile_size"] == "512" and meta["tiles_overlap"] == "15" and float(meta["seg_thresh"]) == 0.45
    assert json.loads(meta["standardization_mean"]) == [0.4, 0.4, 0.4]
    assert meta["gsd_output"] == "log_gsd" and meta["version"] == "9.9.9"
    assert "from scratch" in json.loads(meta["training_data"])["encoder_init"]


def _fp32_and_int8(tmp_path):
    """The tiny model exported in fp32 and int8 (calibrated on random tiles), and those tiles."""
    fp32, int8 = str(tmp_path / "m.onnx"), str(tmp_path / "m8.onnx")
    export_fp32(load_model(_checkpoint()), fp32, sample_size=64)
    rng = np.random.default_rng(0)
    tiles = [rng.normal(size=(1, 3, 64, 64)).astype(np.float32) for _ in range(4)]
    export_int8(fp32, int8, tiles)
    return fp32, int8, tiles


def test_int8_export_is_smaller_and_close_to_fp32(tmp_path):
    fp32, int8, tiles = _fp32_and_int8(tmp_path)
    assert os.path.getsize(int8) < os.path.getsize(fp32)
    a = ort.InferenceSession(fp32, providers=["CPUExecutionProvider"]).run(None, {"image": tiles[0]})[0]
    b = ort.InferenceSession(int8, providers=["CPUExecutionProvider"]).run(None, {"image": tiles[0]})[0]
    assert np.abs(a - b).mean() < 0.1


def test_int8_export_leaves_the_gsd_head_in_float(tmp_path):
    fp32, int8, tiles = _fp32_and_int8(tmp_path)
    graph = onnx.load(int8).graph
    head_outputs = {o for n in graph.node if "/gsd_head/" in n.name for o in n.output}
    assert head_outputs and not head_outputs & {n.input[0] for n in graph.node if n.op_type == "QuantizeLinear"}
    a, b = (ort.InferenceSession(p, providers=["CPUExecutionProvider"]).run(None, {"image": tiles[0]})[1]
            for p in (fp32, int8))
    np.testing.assert_allclose(a, b, atol=0.05)


def test_threshold_is_tuned_on_training_crops_to_one_of_the_grid_values(shared_folder):
    from scripts.export_segmentation import THRESHOLDS, tune_threshold
    ckpt = _checkpoint()
    threshold = tune_threshold(load_model(ckpt), [shared_folder], ckpt)
    assert threshold in THRESHOLDS


def test_calibrated_gsd_log_error_makes_the_plugins_interval_hold_the_training_images_gsd(shared_folder, tmp_path):
    from building_area_plugin.core.gsd import gsd_from_model
    from building_area_plugin.core.inference import sample_log_gsd
    from building_area_plugin.core.model import OnnxModel
    from building_area_plugin.core.raster import RasterSource
    from building_area_plugin.core.workgrid import PixelWindow
    from scripts.export_segmentation import calibrate_gsd_log_error
    path = str(tmp_path / "m.onnx")
    ckpt = _checkpoint()
    export_fp32(load_model(ckpt), path, sample_size=64)
    set_metadata(path, build_metadata(ckpt, "1", 64, 15, 0.5))
    log_error = calibrate_gsd_log_error(path, [shared_folder])
    with RasterSource(os.path.join(shared_folder, "images", "a1.tif")) as raster:
        log_gsd = sample_log_gsd(raster, PixelWindow(0, 0, raster.width, raster.height), OnnxModel(path), 4,
                                 lambda: False)
    low, high = gsd_from_model(log_gsd, log_error).interval_m
    assert low <= 0.5 <= high       # a1's documented GSD
    assert log_error > 0            # an untrained head is far off
