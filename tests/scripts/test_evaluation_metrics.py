"""The evaluation metrics (runtime venv, no torch)."""
import os
import sys

import numpy as np
import pytest
from shapely.geometry import box

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from scripts.evaluation.metrics import PixelCounts, SourceScores, match_polygons, matched_flags  # noqa: E402


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


def test_area20_counts_matched_pairs_whose_area_is_within_a_fifth_of_the_true_one():
    true = [box(0, 0, 10, 10), box(20, 0, 30, 10), box(40, 0, 50, 10)]
    pred = [box(0, 0, 10, 8.5),    # IoU 0.85, area -15 %: within
            box(20, 0, 30, 13),    # IoU 0.77, area +30 %: matched, not within
            box(40, 0, 50, 12),    # IoU 0.83, area +20 %: within (the bound is inclusive)
            box(60, 0, 70, 10)]    # no true building
    m = match_polygons(pred, true)
    assert (m.tp, m.area_within) == (3, 2)
    assert m.area_share() == pytest.approx(2 / 3)
    assert m.precision() == pytest.approx(3 / 4) and m.recall() == pytest.approx(1.0)


def test_area20_is_unknown_without_matches_and_merges_as_counts():
    assert match_polygons([box(0, 0, 1, 1)], [box(5, 5, 6, 6)]).area_share() is None
    a, b = SourceScores(), SourceScores()
    a.buildings = match_polygons([box(0, 0, 10, 10)], [box(0, 0, 10, 10)])
    b.buildings = match_polygons([box(0, 0, 10, 5.5)], [box(0, 0, 10, 10)])  # IoU 0.55, area -45 %
    a.merge(b)
    d = a.as_dict()
    assert d["area_within_20pct"] == pytest.approx(0.5)
    assert d["building_precision"] == d["building_recall"] == d["building_f1"] == pytest.approx(1.0)


def test_matched_flags_mark_the_predictions_matched_one_to_one():
    true = [box(0, 0, 10, 10)]
    pred = [box(0, 0, 9, 10), box(0, 0, 10, 10), box(30, 0, 40, 10)]  # the exact one wins the true building
    assert matched_flags(pred, true).tolist() == [False, True, False]


def test_count_error_median_is_over_images_with_true_buildings():
    scores = SourceScores()
    scores.count_errors = [0.0, 0.5, 0.25]
    assert scores.as_dict()["count_error_median"] == pytest.approx(0.25)
