"""A real LocalCluster of two worker processes on the tiles of one mosaic: the same buildings as in one process,
each building across the seams once and whole, the per-raster summary adding up, models loaded once per worker,
and a rerun that skips every unit."""
import glob
import json
import os

import pytest

from building_area_plugin.batch.runner import run_batch
from tests.batch.conftest import ACROSS_SEAMS, SQUARES, batch_params, expected_areas, read_buildings, read_table


def test_two_workers_find_each_building_once_and_whole(mosaic, bright_model, tmp_path):
    # 64 px windows: each 160 px tile is 3 x 3 units, 36 in all, so that both workers get work.
    params = batch_params([mosaic], tmp_path / "city.gpkg", bright_model, workers=2, window_px=64, margin_px=16)
    result = run_batch(params)
    assert result.summary["cluster"]["kind"] == "local" and result.summary["cluster"]["workers"] == 2
    assert result.summary["cluster"]["ort_threads"] >= 1
    buildings = read_buildings(result.output_path)
    assert [area for area, *_ in buildings] == pytest.approx(expected_areas(SQUARES), rel=0.003)
    assert result.summary["units"] == {"total": 36, "run": 36, "skipped": 0, "failed": 0}
    assert sum(1 for *_, parts, _ in buildings if parts > 1) >= len(ACROSS_SEAMS)

    single = run_batch(batch_params([mosaic], tmp_path / "single.gpkg", bright_model, workers=0, window_px=64,
                                    margin_px=16))
    assert read_buildings(single.output_path) == [(a, r, p, g) for a, r, p, g in buildings]

    rows = read_table(result.output_path, "rasters")
    assert sum(row["building_count"] for row in rows) == len(buildings)
    assert sum(row["total_area_m2"] for row in rows) == pytest.approx(sum(a for a, *_ in buildings), rel=1e-9)

    records = [json.load(open(path, encoding="utf-8")) for path in glob.glob(os.path.join(
        result.work_dir, "units", "*.json"))]
    by_worker = {}
    for record in records:
        by_worker.setdefault(record["worker"], []).append(record["models_loaded"])
    assert by_worker and all(max(loaded) == 1 for loaded in by_worker.values())  # the model loaded once per worker

    again = run_batch(params)
    assert again.summary["units"] == {"total": 36, "run": 0, "skipped": 36, "failed": 0}
    assert again.summary["cluster"] == {"kind": "none"}  # nothing left to run: no cluster started
    assert read_buildings(again.output_path) == buildings
