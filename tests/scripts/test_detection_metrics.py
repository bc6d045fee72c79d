"""Detection metrics of scripts/evaluate.py on known boxes."""
import numpy as np
import pytest

from scripts.evaluation.detection_metrics import (DetectionScores, count_error, detection_metrics,
                                                  match_detections)

TRUE = np.array([[0, 0, 10, 10], [20, 20, 30, 30]], float)
PRED = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], float)
SCORE = np.array([0.9, 0.8, 0.7])


def test_a_duplicate_is_a_false_positive():
    assert match_detections(PRED, SCORE, TRUE).tolist() == [True, False, False]
    assert match_detections(PRED, SCORE, np.zeros((0, 4))).tolist() == [False, False, False]


def test_precision_recall_f1_ap():
    m = detection_metrics([(PRED, SCORE, TRUE)], conf=0.5)
    assert (m["precision"], m["recall"], m["f1"]) == (pytest.approx(1 / 3), 0.5, pytest.approx(0.4))
    assert m["ap50"] == pytest.approx(0.5)  # the first box finds one of two buildings at precision 1
    assert detection_metrics([(PRED, SCORE, TRUE)], conf=0.85)["precision"] == 1.0


def test_count_errors_of_detector_and_fusion():
    assert count_error(3, 2) == 0.5 and count_error(1, 0) is None
    scores = DetectionScores()
    scores.add_image(PRED, SCORE, TRUE, fused_count=2)
    other = DetectionScores()
    other.add_image(np.zeros((0, 4)), np.zeros(0), np.zeros((0, 4)), fused_count=0)
    scores.merge(other)
    d = scores.as_dict()
    assert d["detector_count_error_median"] == 0.5 and d["fused_count_error_median"] == 0.0
    assert d["box_recall"] == 0.5
