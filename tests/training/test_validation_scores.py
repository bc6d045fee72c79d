"""Validation scores from probability histograms, and the GSD head's error."""
import numpy as np
import pytest
import torch

from scripts.segmentation.augment import Crop
from scripts.segmentation.validation import histograms, scores_from_histograms, validate_gsd


def test_a_perfect_prediction_scores_one():
    gt = np.zeros((10, 10), np.uint8)
    gt[2:5, 2:5] = 1
    scores = scores_from_histograms(*histograms(gt.astype(np.float32), gt, np.ones_like(gt, bool)))
    assert scores == {"ap": pytest.approx(1.0), "iou": pytest.approx(1.0), "best_iou": pytest.approx(1.0)}


def test_iou_at_half_and_at_the_best_threshold_differ_for_an_underconfident_model():
    gt = np.zeros((10, 10), np.uint8)
    gt[:, :5] = 1
    prob = np.where(gt == 1, 0.3, 0.1).astype(np.float32)
    scores = scores_from_histograms(*histograms(prob, gt, np.ones_like(gt, bool)))
    assert scores["iou"] == 0.0 and scores["best_iou"] == pytest.approx(1.0) and scores["ap"] == pytest.approx(1.0)


def test_ignored_pixels_do_not_count():
    gt = np.array([[1, 0]], np.uint8)
    prob = np.array([[0.9, 0.9]], np.float32)
    valid = np.array([[True, False]])
    assert scores_from_histograms(*histograms(prob, gt, valid))["iou"] == pytest.approx(1.0)


def test_random_scores_give_ap_near_the_building_share():
    rng = np.random.default_rng(0)
    gt = (rng.random((200, 200)) < 0.2).astype(np.uint8)
    scores = scores_from_histograms(*histograms(rng.random((200, 200)).astype(np.float32), gt,
                                                np.ones_like(gt, bool)))
    assert scores["ap"] == pytest.approx(0.2, abs=0.03)


class _ConstantGsdModel(torch.nn.Module):
    """Reads every crop as 0.4 m/px."""

    def forward(self, x):
        return torch.zeros(len(x), 2, *x.shape[2:]), torch.full((len(x), 1), float(np.log(0.4)))


def test_gsd_error_is_the_mean_over_sources_of_each_sources_median():
    crops = [(source, Crop(np.zeros((32, 32, 3), np.uint8), *(np.zeros((32, 32), np.uint8),) * 3, "none", gsd))
             for source, gsd in [("a", 0.4), ("a", 0.4), ("a", 0.2), ("b", 0.1)]]
    scores = validate_gsd(_ConstantGsdModel(), crops, (0.5,) * 3, (0.5,) * 3, "cpu")
    assert scores["gsd_per_source"] == {"a": pytest.approx(0.0, abs=1e-3), "b": pytest.approx(300.0)}
    assert scores["gsd_err_pct"] == pytest.approx(150.0, abs=1e-3)
