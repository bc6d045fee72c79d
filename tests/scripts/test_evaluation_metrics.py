"""The evaluation metrics (runtime venv, no torch)."""
import os
import sys

import numpy as np
from shapely.geometry import box

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from scripts.evaluation.metrics import PixelCounts, SourceScores, match_polygons  # noqa: E402


def test_pixel_iou_and_f1_count_true_and_false_pixels():
    gt = np.zeros((10, 10), bool)
    gt[:5] = True
    pred = np.zeros((10, 10), bool)
    pred[:5, :5] = True
    pred[9, 9] = True
    c = PixelCounts()
    c.add(pred, gt)
    assert (c.tp, c.fp, c.fn) == (25, 1, 25)
    assert abs(c.iou() - 25 / 51) < 1e-12 and abs(c.f1() - 50 / 76) < 1e-12


def test_buildings_match_one_to_one_at_iou_half():
    true = [box(0, 0, 10, 10), box(20, 0, 30, 10)]
    pred = [box(1, 0, 10, 10), box(0, 0, 9, 10), box(20, 0, 24, 10)]  # two hit the first, one too small
    m = match_polygons(pred, true)
    assert (m.tp, m.n_pred, m.n_true) == (1, 3, 2)
    assert abs(m.f1() - 2 / 5) < 1e-12


def test_scores_merge_and_report_percentiles():
    a, b = SourceScores(images=1), SourceScores(images=2)
    a.area_errors, b.area_errors = [0.1], [0.2, 0.3]
    a.merge(b)
    d = a.as_dict()
    assert d["images"] == 3 and abs(d["area_error_median"] - 0.2) < 1e-12
    assert d["iou"] is None and d["building_f1"] is None
