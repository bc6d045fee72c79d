"""Fitting the score calibration (scripts/evaluation/calibration.py) and measuring its reliability."""
import numpy as np
import pytest

from building_area_plugin.core.score_calibration import ScoreCalibration
from scripts.evaluation.calibration import fit_calibration, pool_adjacent_violators, reliability


def true_hit_rate(raw):
    """How often a building of this raw score is real, in the generated case: rising, not linear, not 1:1."""
    return 0.1 + 0.8 * ((raw - 0.3) / 0.7) ** 2


def test_the_fitted_map_recovers_known_hit_probabilities():
    rng = np.random.default_rng(5)
    raw = rng.uniform(0.3, 1.0, 40000)
    hits = rng.random(raw.size) < true_hit_rate(raw)
    calibration = ScoreCalibration.from_knots(fit_calibration(raw, hits))  # the core accepts it as a monotone map
    grid = np.linspace(0.35, 0.95, 25)
    assert calibration(grid) == pytest.approx(true_hit_rate(grid), abs=0.04)
    ece, _ = reliability(calibration(raw), hits)
    assert ece < 0.02 < reliability(raw, hits)[0]


def test_the_map_rises_even_where_few_buildings_make_the_rates_go_down():
    rng = np.random.default_rng(1)
    raw = rng.uniform(0.0, 1.0, 300)
    hits = rng.random(raw.size) < 0.5  # no relation: bin rates zigzag around 0.5
    knots = np.asarray(fit_calibration(raw, hits, bins=20, min_per_bin=10))
    assert np.all(np.diff(knots[:, 0]) > 0) and np.all(np.diff(knots[:, 1]) >= 0)
    assert np.all((knots >= 0) & (knots <= 1))


def test_pool_adjacent_violators_averages_what_goes_down():
    fitted = pool_adjacent_violators(np.array([0.1, 0.5, 0.3, 0.7]), np.array([1.0, 1.0, 3.0, 1.0]))
    assert fitted.tolist() == pytest.approx([0.1, 0.35, 0.35, 0.7])


def test_scores_that_cannot_make_a_map_are_refused():
    with pytest.raises(ValueError, match="too few"):
        fit_calibration(np.full(50, 0.7), np.ones(50, bool))


def test_reliability_of_overconfident_scores():
    scores = np.full(100, 0.9)
    hits = np.arange(100) < 60
    ece, [row] = reliability(scores, hits)
    assert ece == pytest.approx(0.3)
    assert (row.low, row.high, row.count, row.hit_rate) == (pytest.approx(0.9), pytest.approx(1.0), 100, 0.6)
