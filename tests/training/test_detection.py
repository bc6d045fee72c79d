"""The YOLOX detector's training side: model shapes, SimOTA, loss, data, recipe, metrics and ONNX export."""
import os
from dataclasses import asdict, replace

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from scripts.detection.data import (AugmentConfig, BoxFilter, DetectionSampler, annotation_box, flip_rotate,
                                    load_box_sources, split_box_items, to_targets)
from scripts.detection.loss import candidate_anchors, simota, yolox_loss
from scripts.detection.model import STRIDES, YOLOX, ExportWrapper, YoloxConfig, anchor_grid, count_parameters
from scripts.detection.seed import onnx_convolutions
from scripts.detection.train import Schedule
from scripts.training_run import ModelEMA
from scripts.export_detection import build_metadata, export_fp32, export_int8, load_model, set_metadata

# A very small YOLOX for tests: Nano's layout at a tenth of the width.
TINY = YoloxConfig(depth=0.33, width=0.0625, depthwise=True, num_classes=1)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def anchors(h, w):
    return sum(-(-h // s) * -(-w // s) for s in STRIDES)


def test_presets_have_the_published_sizes():
    # YOLOX-Nano 0.91 M and Tiny 5.06 M parameters (YOLOX report, table 4)
    assert count_parameters(YOLOX(YoloxConfig.preset("nano"))) == pytest.approx(0.91e6, rel=0.03)
    assert count_parameters(YOLOX(YoloxConfig.preset("tiny"))) == pytest.approx(5.06e6, rel=0.03)


def test_forward_gives_one_prediction_per_cell_and_level():
    model = YOLOX(TINY).eval()
    raw = model(torch.zeros(2, 3, 96, 160))
    assert raw.shape == (2, anchors(96, 160), 6)
    cells, strides = anchor_grid(96, 160)
    assert cells.shape == (anchors(96, 160), 2) and strides.shape == (anchors(96, 160), 1)
    decoded = ExportWrapper(model)(torch.zeros(1, 3, 96, 160))
    assert decoded.shape == (1, anchors(96, 160), 6)
    assert ((decoded[..., 4:] >= 0) & (decoded[..., 4:] <= 1)).all()


def test_simota_assigns_each_ground_truth_to_anchors_near_its_centre():
    torch.manual_seed(0)
    cells, strides = anchor_grid(128, 128)
    centres = (cells + 0.5) * strides
    n = len(cells)
    # Predictions: every anchor predicts a 24 px box at its own centre, so IoUs are meaningful.
    pred = torch.cat([centres, torch.full((n, 2), 24.0)], 1)
    gt = torch.tensor([[40.0, 40, 30, 20], [96, 90, 20, 40]])
    assign = simota(pred, torch.zeros(n, 1), torch.zeros(n, 1), gt, torch.zeros(2), centres, strides, 1)
    assert assign.foreground.sum() >= 2
    assert set(assign.gt_index.tolist()) == {0, 1}
    assert ((assign.iou > 0) & (assign.iou <= 1)).all()
    box = torch.cat([gt[:, :2] - gt[:, 2:] / 2, gt[:, :2] + gt[:, 2:] / 2], 1)[assign.gt_index]
    chosen = centres[assign.foreground]
    assert ((chosen >= box[:, :2]) & (chosen <= box[:, 2:])).all()  # positives lie inside their box
    candidate, in_both = candidate_anchors(gt, centres, strides)
    assert in_both.shape == (2, int(candidate.sum()))


def test_loss_decreases_on_one_synthetic_image():
    torch.manual_seed(0)
    model = YOLOX(TINY)
    image = torch.full((1, 3, 64, 64), -1.0)
    image[:, :, 10:30, 12:40] = 1.0
    image[:, :, 40:60, 44:60] = 1.0
    targets = [torch.tensor([[0, 26.0, 20, 28, 20], [0, 52, 50, 16, 20]])]
    cells, strides = anchor_grid(64, 64)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-2)
    losses = []
    for _ in range(20):
        loss, parts = yolox_loss(model(image), targets, cells, strides, 1)
        losses.append(float(loss.detach()))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        assert parts["fg"] > 0 and np.isfinite(losses[-1])
    assert np.mean(losses[-3:]) < 0.85 * np.mean(losses[:3])
    l1_loss, l1_parts = yolox_loss(model(image), targets, cells, strides, 1, use_l1=True)
    assert l1_parts["l1"] > 0 and l1_loss.item() > loss.item() - 1.0


def test_loss_of_an_image_without_buildings_is_objectness_only():
    model = YOLOX(TINY)
    cells, strides = anchor_grid(64, 64)
    loss, parts = yolox_loss(model(torch.zeros(1, 3, 64, 64)), [torch.zeros((0, 5))], cells, strides, 1)
    assert parts["fg"] == 0 and parts["iou"] == 0 and loss.item() == pytest.approx(parts["obj"])
    loss.backward()


def test_schedule_warms_up_decays_and_ends_without_strong_augmentation():
    s = Schedule(epochs=10, steps_per_epoch=10, warmup_epochs=2, no_aug_epochs=3, base_lr=0.01, batch=32)
    assert s.lr == pytest.approx(0.005)
    lrs = [s.learning_rate(i) for i in range(100)]
    assert lrs[0] < lrs[10] < lrs[19] == pytest.approx(0.005)
    assert all(a >= b for a, b in zip(lrs[20:70], lrs[21:71]))
    assert lrs[70:] == [pytest.approx(0.005 * 0.05)] * 30
    assert s.strong_augmentation(6) and not s.strong_augmentation(7)
    assert s.use_l1(9) and not s.use_l1(0)


def test_ema_follows_the_model():
    model = torch.nn.Linear(2, 1)
    ema = ModelEMA(model, decay=0.5, ramp=1e-9)
    with torch.no_grad():
        model.weight.add_(2.0)
    ema.update(model)
    assert torch.allclose(ema.model.weight, model.weight - 1.0)


def test_boxes_come_from_bboxes_or_polygons_resampled_to_the_native_gsd(box_folder):
    assert annotation_box({"segmentation": [[1, 2, 5, 2, 5, 9]]}) == [1, 2, 5, 9]
    [item] = load_box_sources([box_folder], 0.3)
    assert item.image.shape == (100, 120, 3)  # 0.6 m -> 0.3 m
    np.testing.assert_allclose(item.boxes, [[20, 10, 60, 30], [60, 60, 100, 90], [0, 0, 2, 2]])
    assert split_box_items([item]) == ([item], [])


def test_box_filter_drops_small_and_sliver_training_boxes_and_counts_them(box_folder):
    [item] = load_box_sources([box_folder], 0.3)
    sliver = replace(item, boxes=np.vstack([item.boxes, [[0, 40, 90, 45]]]).astype(np.float32))
    box_filter = BoxFilter(min_box_m=1.5, max_aspect=8.0)
    [kept] = box_filter.apply_to_items([sliver], 0.3)
    np.testing.assert_allclose(kept.boxes, [[20, 10, 60, 30], [60, 60, 100, 90]])
    assert box_filter.dropped == {"small": 1, "thin": 1}
    [unfiltered] = BoxFilter(min_box_m=0, max_aspect=0).apply_to_items([sliver], 0.3)
    assert len(unfiltered.boxes) == 4


def test_samples_with_and_without_mosaic_and_mixup(box_folder):
    items = load_box_sources([box_folder], 0.3)
    sampler = DetectionSampler(items, AugmentConfig(tile=64), seed=1)
    for strong in (True, False):
        sampler.strong = strong
        for _ in range(5):
            image, boxes = sampler.sample()
            assert image.shape == (64, 64, 3) and image.dtype == np.uint8
            assert ((boxes >= 0) & (boxes <= 64)).all() and (boxes[:, 2:] > boxes[:, :2]).all()
    images, targets = sampler.batch(2, np.zeros(3, np.float32), np.ones(3, np.float32))
    assert images.shape == (2, 3, 64, 64) and all(t.shape[1] == 5 for t in targets)


def test_flip_rotate_moves_boxes_with_the_image():
    image = np.zeros((32, 32, 3), np.uint8)
    image[2:6, 20:30] = 255
    boxes = np.array([[20, 2, 30, 6]], np.float32)
    rng = np.random.default_rng(0)
    for _ in range(8):
        out, moved = flip_rotate(image, boxes, rng)
        ys, xs = np.nonzero(out[..., 0])
        np.testing.assert_allclose(moved[0], [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
    np.testing.assert_allclose(to_targets(boxes), [[0, 25, 4, 10, 4]])


def _checkpoint():
    torch.manual_seed(0)
    model = YOLOX(TINY).eval()
    # Non-trivial BatchNorm statistics, so that the export is checked on more than identities.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    return {"model": model.state_dict(), "config": asdict(TINY), "native_gsd_m": 0.3, "mean": [0.4, 0.4, 0.4],
            "std": [0.2, 0.2, 0.2], "train_sources": ["a"], "train_images": 3, "step": 7}


def test_onnx_export_equals_torch_at_two_sizes_and_carries_the_metadata(tmp_path):
    ckpt = _checkpoint()
    wrapper = load_model(ckpt)
    path = str(tmp_path / "det.onnx")
    export_fp32(wrapper, path, sample_size=64)
    set_metadata(path, build_metadata(ckpt, "0.1.0", 512, 20, 0.3, 0.6))
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for h, w in ((64, 64), (96, 160)):
        x = torch.randn(2, 3, h, w)
        with torch.no_grad():
            expected = wrapper(x).numpy()
        got = session.run(None, {"image": x.numpy()})[0]
        assert got.shape == (2, anchors(h, w), 6)
        np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-3)

    from building_area_plugin.core.model import ModelMetadata
    props = {p.key: p.value for p in onnx.load(path).metadata_props}
    meta = ModelMetadata.from_props(props)
    assert (meta.model_type, meta.resolution_cm, meta.tile_size, meta.tiles_overlap) == ("detector", 30, 512, 20)
    assert (meta.det_conf, meta.det_iou_thresh, meta.version) == (0.3, 0.6, "0.1.0")
    assert meta.class_names == {0: "building"} and meta.standardization_std == (0.2, 0.2, 0.2)
    assert os.path.getsize(path) < 15e6


def test_a_pretrained_backbone_feeds_the_same_neck_and_head_and_exports(tmp_path):
    cfg = replace(TINY, backbone="efficientnet_lite0")
    model = YOLOX(cfg).eval()
    assert model.backbone.channels == (40, 112, 320)  # EfficientNet-Lite0 at strides 8, 16, 32
    assert model(torch.zeros(1, 3, 64, 96)).shape == (1, anchors(64, 96), 6)
    ckpt = {**_checkpoint(), "model": model.state_dict(), "config": asdict(cfg)}
    path = str(tmp_path / "det.onnx")
    export_fp32(load_model(ckpt), path, sample_size=64)
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        expected = load_model(ckpt)(x).numpy()
    got = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"image": x.numpy()})[0]
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-3)
    assert "backbone efficientnet_lite0" in build_metadata(ckpt, "0.1.0", 512, 20, 0.3, 0.6)["architecture"]


def test_int8_export_runs_and_stays_close(tmp_path):
    ckpt = _checkpoint()
    fp32, int8 = str(tmp_path / "det.onnx"), str(tmp_path / "det_int8.onnx")
    export_fp32(load_model(ckpt), fp32, sample_size=64)
    tiles = [np.random.default_rng(i).normal(size=(1, 3, 64, 64)).astype(np.float32) for i in range(4)]
    export_int8(fp32, int8, tiles)
    a = ort.InferenceSession(fp32, providers=["CPUExecutionProvider"]).run(None, {"image": tiles[0]})[0]
    b = ort.InferenceSession(int8, providers=["CPUExecutionProvider"]).run(None, {"image": tiles[0]})[0]
    assert a.shape == b.shape
    assert np.abs(a[..., 4] - b[..., 4]).max() < 0.1  # objectness


COCO_NANO = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "..",
                         "shared", "weights", "yolox_nano_coco.onnx")


@pytest.mark.skipif(not os.path.exists(COCO_NANO), reason="needs ../shared/weights/yolox_nano_coco.onnx")
def test_seeding_from_the_coco_nano_reproduces_its_outputs():
    from scripts.detection.seed import seed_from_onnx
    model = YOLOX(YoloxConfig.preset("nano", num_classes=80))
    # mean 0, std 1/255: our input is the raw 0..255 image, as the COCO model's (so padding agrees too).
    assert seed_from_onnx(model, COCO_NANO, [0, 0, 0], [1 / 255] * 3) == 113
    model.eval()
    big = np.random.default_rng(1).integers(0, 255, (416, 416, 3)).astype(np.float32)
    with torch.no_grad():
        raw = model(torch.from_numpy(big.transpose(2, 0, 1)[None].copy())).numpy()
    ref = ort.InferenceSession(COCO_NANO, providers=["CPUExecutionProvider"]).run(
        None, {"images": big[..., ::-1].transpose(2, 0, 1)[None].copy()})[0]
    np.testing.assert_allclose(raw[..., :4], ref[..., :4], atol=1e-3)
    np.testing.assert_allclose(1 / (1 + np.exp(-raw[..., 4:])), ref[..., 4:], atol=1e-4)
    # A one-class model keeps its own class layers and loads the rest.
    assert seed_from_onnx(YOLOX(YoloxConfig.preset("nano")), COCO_NANO, [0.4] * 3, [0.2] * 3) == 110


def test_a_model_seeded_from_our_own_export_computes_it_in_training_mode_too(tmp_path):
    from scripts.detection.seed import fit_batchnorm_to_data, seed_from_onnx
    ckpt = _checkpoint()
    path = str(tmp_path / "det.onnx")
    export_fp32(load_model(ckpt), path, sample_size=64)
    set_metadata(path, build_metadata(ckpt, "0.1.0", 512, 20, 0.3, 0.6))
    model = YOLOX(TINY)
    assert seed_from_onnx(model, path, ckpt["mean"], ckpt["std"]) == len(onnx_convolutions(path))
    x = torch.randn(4, 3, 64, 96)
    exported = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"image": x.numpy()})[0]
    with torch.no_grad():
        np.testing.assert_allclose(ExportWrapper(model).eval()(x).numpy(), exported, rtol=1e-3, atol=1e-3)
        before = model.eval()(x)
        fit_batchnorm_to_data(model, x)
        np.testing.assert_allclose(model.eval()(x).numpy(), before.numpy(), rtol=1e-3, atol=1e-3)
        # Training mode normalizes by the batch's own statistics: the same batch gives the same values.
        np.testing.assert_allclose(model.train()(x).numpy(), before.numpy(), rtol=1e-3, atol=1e-3)
    with pytest.raises(ValueError, match="standardized with mean/std"):
        seed_from_onnx(YOLOX(TINY), path, [0.5] * 3, [0.25] * 3)


def test_exported_model_scores_like_torch_on_validation_crops(tmp_path, monkeypatch):
    from building_area_plugin.core.detection import decode, nms
    from scripts import export_detection
    from scripts.detection.data import BoxItem, standardize, validation_crops
    from scripts.evaluation.detection_metrics import detection_metrics

    ckpt = _checkpoint()
    for key, value in ckpt["model"].items():  # confident enough that boxes pass the 0.01 decoding floor
        if ("obj_preds" in key or "cls_preds" in key) and key.endswith("bias"):
            value.fill_(1.0)
    wrapper = load_model(ckpt)
    path = str(tmp_path / "det.onnx")
    export_fp32(wrapper, path, sample_size=64)
    set_metadata(path, build_metadata(ckpt, "0.1.0", 64, 20, 0.3, 0.6))
    rng = np.random.default_rng(5)
    items = [BoxItem("src", f"i{i}", rng.integers(0, 255, (80, 80, 3), dtype=np.uint8),
                     np.array([[10, 10, 40, 30], [50, 45, 70, 75]], np.float32), 0.3) for i in range(3)]
    monkeypatch.setattr(export_detection, "load_box_sources", lambda folders, gsd: items)
    monkeypatch.setattr(export_detection, "split_box_items", lambda loaded: ([], loaded))

    got = export_detection.validation_scores(path, ["unused"], ckpt, 64, conf=0.01, iou=0.6)

    expected = []
    mean, std = np.array(ckpt["mean"], np.float32), np.array(ckpt["std"], np.float32)
    for image, true in validation_crops(items, 64):
        with torch.no_grad():
            output = wrapper(torch.from_numpy(standardize(image, mean, std)[None])).numpy()
        (xyxy, score), = decode(output, 0.01)
        keep = nms(xyxy, score, 0.6)
        expected.append((xyxy[keep], score[keep], true))
    want = detection_metrics(expected, 0.01)
    assert got["predictions"] == want["predictions"] > 0
    for key in ("precision", "recall", "ap50"):
        assert got[key] == pytest.approx(want[key], abs=0.02)
