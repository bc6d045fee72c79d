"""One ONNX model with the segmentation and the YOLOX heads on one encoder (scripts/export_combined.py)."""
import json
from dataclasses import asdict

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from building_area_plugin.core.model import OnnxModel
from scripts import export_combined, export_detection, export_segmentation
from scripts.detection.model import YOLOX, YoloxConfig
from scripts.onnx_tools import quantize_int8, set_metadata
from scripts.segmentation.model import SegModelConfig, UNetASPP

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SEG = SegModelConfig(encoder="efficientnet_lite0", aspp_channels=16, decoder_channels=(16, 16, 8, 8, 8))
STATS = {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}


def _random_batchnorm_statistics(model: torch.nn.Module, seed: int) -> None:
    """So that the export is checked with the right statistics in the right place, not identities."""
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.copy_(torch.randn(module.num_features, generator=generator) * 0.1)
            module.running_var.copy_(torch.rand(module.num_features, generator=generator) + 0.5)


@pytest.fixture
def checkpoints():
    torch.manual_seed(0)
    seg = UNetASPP(SEG)
    _random_batchnorm_statistics(seg, 1)
    det = YOLOX(YoloxConfig.preset("nano", backbone="efficientnet_lite0"))
    _random_batchnorm_statistics(det, 2)
    det.backbone.encoder.load_state_dict(seg.encoder.state_dict())  # as --backbone-from ... --freeze-backbone
    seg_ckpt = {"model": seg.state_dict(), "config": asdict(SEG), "sampling": {"native_gsd_m": 0.3}, **STATS,
                "train_sources": ["a"], "train_images": 1, "step": 1, "args": {}}
    det_ckpt = {"model": det.state_dict(), "config": asdict(det.cfg), "native_gsd_m": 0.3, **STATS,
                "train_sources": ["a"], "train_images": 1, "step": 1}
    return seg_ckpt, det_ckpt


def test_the_combined_model_outputs_exactly_what_the_two_models_do(checkpoints, tmp_path):
    seg_ckpt, det_ckpt = checkpoints
    path = str(tmp_path / "both.onnx")
    export_combined.export_fp32(export_combined.build_model(seg_ckpt, det_ckpt), path, sample_size=64)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["building_probability", "log_gsd", "edge_probability",
                                                       "detections"]
    segmentation = export_segmentation.load_model(seg_ckpt)
    detector = export_detection.load_model(det_ckpt)
    for size in (64, 96):
        x = np.random.default_rng(size).normal(size=(2, 3, size, size)).astype(np.float32)
        with torch.no_grad():
            expected = [*segmentation(torch.from_numpy(x)), detector(torch.from_numpy(x))]
        for got, want in zip(session.run(None, {"image": x}), expected):
            np.testing.assert_allclose(got, want.numpy(), atol=1e-4)


def test_a_detector_with_its_own_backbone_is_refused(checkpoints):
    seg_ckpt, det_ckpt = checkpoints
    moved = dict(det_ckpt["model"])
    key = next(k for k in moved if k.startswith("backbone.encoder.") and k.endswith("running_mean"))
    moved[key] = moved[key] + 0.01  # a BatchNorm statistic the detector's training moved
    with pytest.raises(SystemExit, match="--freeze-backbone"):
        export_combined.build_model(seg_ckpt, {**det_ckpt, "model": moved})


def test_the_export_keeps_the_segmentation_metadata_and_names_the_boxes(checkpoints, tmp_path):
    seg_ckpt, det_ckpt = checkpoints
    seg_onnx, det_onnx = str(tmp_path / "seg.onnx"), str(tmp_path / "det.onnx")
    export_segmentation.export_fp32(export_segmentation.load_model(seg_ckpt), seg_onnx, sample_size=64)
    set_metadata(seg_onnx, {**export_segmentation.build_metadata(seg_ckpt, "2.9.0", 64, 15, 0.6),
                            "split_seed_prob": "0.8", "precision": "int8"})
    export_detection.export_fp32(export_detection.load_model(det_ckpt), det_onnx, sample_size=64)
    set_metadata(det_onnx, {**export_detection.build_metadata(det_ckpt, "1.0.0", 64, 20, 0.35, 0.45),
                            "fusion_min_score": "0.7"})
    torch.save(seg_ckpt, tmp_path / "seg.pt")
    torch.save(det_ckpt, tmp_path / "det.pt")
    export_combined.main([str(tmp_path / "seg.pt"), str(tmp_path / "det.pt"), "--segmentation-model", seg_onnx,
                          "--detection-model", det_onnx, "--out", str(tmp_path / "out"), "--name", "both"])
    path = str(tmp_path / "out" / "both_fp32.onnx")
    meta = {p.key: p.value for p in onnx.load(path).metadata_props}
    assert meta["version"] == "2.9.0" and meta["split_seed_prob"] == "0.8" and "precision" not in meta
    assert json.loads(meta["det_conf"]) == 0.35 and json.loads(meta["det_iou_thresh"]) == 0.45
    assert meta["fusion_min_score"] == "0.7" and meta["detection_output"] == "detections"

    model = OnnxModel(path)  # the plugin's runner
    assert model.detects_while_segmenting and model.metadata.seg_thresh == 0.6
    output = model.predict_segmentation(np.zeros((1, 3, 64, 64), np.uint8), with_boxes=True)
    assert output.prob.shape == output.edge.shape == (1, 64, 64) and output.boxes.shape[2] == 6


def _quantized_decoding_tensors(path: str) -> set:
    """Outputs of the box decoding's nodes that the int8 graph quantizes."""
    graph = onnx.load(path).graph
    decoding = {o for n in graph.node if n.name.startswith("/boxes/") for o in n.output}
    assert decoding
    return decoding & {n.input[0] for n in graph.node if n.op_type == "QuantizeLinear"}


def test_int8_leaves_the_box_decoding_in_float(checkpoints, tmp_path):
    seg_ckpt, det_ckpt = checkpoints
    fp32 = str(tmp_path / "both.onnx")
    export_combined.export_fp32(export_combined.build_model(seg_ckpt, det_ckpt), fp32, sample_size=64)
    rng = np.random.default_rng(0)
    tiles = [rng.normal(size=(1, 3, 64, 64)).astype(np.float32) for _ in range(4)]
    everything, kept_float = str(tmp_path / "all8.onnx"), str(tmp_path / "both8.onnx")
    quantize_int8(fp32, everything, tiles, "image")
    quantize_int8(fp32, kept_float, tiles, "image", nodes_to_exclude=export_combined.decoding_nodes(fp32))
    assert _quantized_decoding_tensors(everything)  # what the exclusion prevents
    assert not _quantized_decoding_tensors(kept_float)
    a, b = (ort.InferenceSession(p, providers=["CPUExecutionProvider"]).run(None, {"image": tiles[0]})
            for p in (fp32, kept_float))
    np.testing.assert_allclose(a[3][0, :, :2], b[3][0, :, :2], atol=8.0)  # box centres within a few pixels
