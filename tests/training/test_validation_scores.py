"""Validation scores from probability histograms."""
import numpy as np
import pytest

from scripts.segmentation.validation import histograms, scores_from_histograms


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
