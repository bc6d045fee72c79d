"""Calibrated building scores: the model's map from a building's raw score to how often such a building is real.

A building's raw score is its mean building probability, which says little about how often a
building found with it is a true building. A segmentation model may carry, in its metadata key
``score_calibration``, a monotone piecewise-linear map fitted on labelled images (see
scripts/calibrate_scores.py): a JSON list of [raw, calibrated] knots, raw strictly increasing in
[0, 1], calibrated non-decreasing in [0, 1]. Between knots the map is linear; below the first knot
and above the last it keeps the end knots' values. Without the key the score stays raw.
"""
import json
import math
from dataclasses import dataclass, replace
from typing import Iterable, Iterator, List, Tuple

import numpy as np

from .errors import ModelError
from .vectorize import Building

METADATA_KEY = "score_calibration"
EXAMPLE = "[[0.5, 0.2], [0.9, 0.85]]"


@dataclass(frozen=True)
class ScoreCalibration:
    raw: Tuple[float, ...]         # strictly increasing, in [0, 1]
    calibrated: Tuple[float, ...]  # non-decreasing, in [0, 1]

    @classmethod
    def from_knots(cls, knots, model_name: str = "model") -> "ScoreCalibration":
        """The map from [[raw, calibrated], ...]; ModelError naming the problem when it is not a monotone map."""
        try:
            pairs = [(float(raw), float(calibrated)) for raw, calibrated in knots]
        except (TypeError, ValueError):
            pairs = []
        if len(pairs) < 2 or not all(math.isfinite(v) for pair in pairs for v in pair):
            raise ModelError(f"{model_name}: metadata '{METADATA_KEY}' is {knots!r}, not a list of at least two "
                             f"[raw, calibrated] number pairs. Write it as e.g. {EXAMPLE} "
                             f"(scripts/calibrate_scores.py does), or remove the key.")
        raw, calibrated = (tuple(values) for values in zip(*pairs))
        in_range = all(0.0 <= v <= 1.0 for v in raw + calibrated)
        if not in_range or np.any(np.diff(raw) <= 0) or np.any(np.diff(calibrated) < 0):
            raise ModelError(f"{model_name}: metadata '{METADATA_KEY}' must go up: raw scores strictly increasing, "
                             f"calibrated ones never decreasing, all in [0, 1] (e.g. {EXAMPLE}). Fit it again "
                             f"with scripts/calibrate_scores.py, or remove the key.")
        return cls(raw, calibrated)

    def knots(self) -> List[List[float]]:
        return [[raw, calibrated] for raw, calibrated in zip(self.raw, self.calibrated)]

    def to_metadata(self) -> str:
        return json.dumps(self.knots())

    def __call__(self, score):
        """The calibrated score(s) of raw score(s)."""
        return np.interp(score, self.raw, self.calibrated)

    def buildings(self, buildings: Iterable[Building]) -> Iterator[Building]:
        for building in buildings:
            yield replace(building, score=float(self(building.score)))
