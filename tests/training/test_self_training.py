"""Self-training of box-only sources: a model's masks inside the boxes instead of box cores."""
import os

import cv2
import numpy as np
import pytest

from scripts import predict_box_masks, train_segmentation
from scripts.segmentation.data import load_shared_folder
from scripts.segmentation.self_training import predicted_mask_path, self_training_mask, with_predicted_masks
from tests.onnx_models import bright_segmentor


def test_inside_a_box_the_confident_prediction_is_learned_and_its_rim_and_doubts_are_not():
    prob = np.zeros((40, 40))
    prob[8:20, 8:22] = 1.0          # an L-less roof inside the box
    prob[12:14, 16:18] = 0.5        # a doubtful patch
    prob[30:35, 30:35] = 1.0        # something bright that no box claims
    mask, weight = self_training_mask((40, 40), [[5, 5, 20, 20]], prob)
    assert mask[8:20, 8:22].all() and mask.sum() == 12 * 14  # the doubtful patch (0.5) counts as building
    assert mask[30:35, 30:35].sum() == 0 and weight[30:35, 30:35].all()  # outside the boxes: background
    assert not weight[5:7, 5:25].any() and not weight[5:25, 5:7].any()   # a 2-px rim is left out
    assert not weight[12:14, 16:18].any()                                 # so is the doubt
    assert weight[10, 10] == 1 and weight[20, 20] == 1                    # confident building, background


def test_predicted_masks_replace_box_cores_and_the_run_trains_on_them(shared_folder, tmp_path):
    model = bright_segmentor(str(tmp_path / "bright.onnx"), gsd_m=0.5)
    out = str(tmp_path / "masks")
    predict_box_masks.main([model, shared_folder, "--out", out])
    items = load_shared_folder(shared_folder)
    boxed = next(it for it in items if it.label_quality == "boxes")
    assert os.path.exists(predicted_mask_path(out, boxed))
    core = boxed.mask.copy()
    items, relabelled = with_predicted_masks(items, out)
    assert relabelled == 1
    roof = np.zeros_like(core)
    roof[10:30, 20:50] = 1          # the bright roof the fixture's box holds
    iou = (boxed.mask & roof).sum() / (boxed.mask | roof).sum()
    assert iou > 0.9 and (boxed.mask != core).any()
    train_segmentation.main([shared_folder, "--out", str(tmp_path / "seg"), "--steps", "1", "--tile", "64",
                             "--batch", "2", "--encoder", "resnet18", "--width", "16", "--warmup", "1",
                             "--val-every", "1", "--threads", "1", "--box-masks", out])


def test_a_predicted_mask_of_the_wrong_size_is_refused_with_the_fix(shared_folder, tmp_path):
    items = load_shared_folder(shared_folder)
    boxed = next(it for it in items if it.label_quality == "boxes")
    path = predicted_mask_path(str(tmp_path / "masks"), boxed)
    os.makedirs(os.path.dirname(path))
    cv2.imwrite(path, np.zeros((5, 5), np.uint8))
    with pytest.raises(ValueError, match="predict_box_masks"):
        with_predicted_masks(items, str(tmp_path / "masks"))
