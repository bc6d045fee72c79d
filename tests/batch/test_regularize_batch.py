"""The batch with regularized outlines (--regularize): whole and joined buildings regularized as one pipeline run."""
import json

import cv2
import numpy as np
import pytest
from osgeo import ogr
from shapely import wkb

from building_area_plugin.batch import cli
from building_area_plugin.core.params import PipelineParams
from building_area_plugin.core.pipeline import run_pipeline
from tests.batch.conftest import BRIGHT, DARK, MOSAIC_PX, read_table, write_mosaic, write_raster
from tests.core.test_regularize import L_SHAPE_PX, exterior, interior_angles, turned


def l_town() -> np.ndarray:
    """Two Ls turned by 25°: one across the tiles' vertical seam (column 160), one inside the top left tile."""
    image = np.full((MOSAIC_PX, MOSAIC_PX), DARK, np.uint8)
    small = np.asarray(L_SHAPE_PX, float) * 0.5
    for offset in ((110, 170), (-5, -5)):  # (x, y) of the L's bounding box corner
        points = turned(small + offset, 25, centre=small.mean(axis=0) + offset)
        cv2.fillPoly(image, [np.round(points * 16).astype(np.int32)], int(BRIGHT), shift=4)
    return image


def buildings(path):
    dataset = ogr.Open(str(path))
    return sorted((f.GetField("area_m2"), f.GetField("area_reg_m2"), wkb.loads(bytes(f.GetGeometryRef().ExportToWkb())))
                  for f in dataset.GetLayerByName("buildings"))


def test_the_batch_writes_the_regularized_outlines_of_one_pipeline_run(bright_model, tmp_path):
    image = l_town()
    write_mosaic(str(tmp_path / "tiles"), image)
    output = tmp_path / "city.gpkg"
    code = cli.main([str(tmp_path / "tiles"), "-o", str(output), "--workers", "0", "--segmentation-model", bright_model,
                     "--no-detect", "--no-progress", "--regularize"])
    assert code == cli.EXIT_OK
    whole = write_raster(tmp_path / "whole.tif", image)
    reference = run_pipeline(PipelineParams(whole, str(tmp_path / "whole.gpkg"), bright_model, regularize=True))
    found, expected = buildings(output), buildings(reference.output_path)
    assert len(found) == len(expected) == 2
    for (area, area_reg, outline), (expected_area, expected_reg, expected_outline) in zip(found, expected):
        corners = exterior(outline)
        assert len(corners) == 6 and sorted(np.round(interior_angles(corners), 6)) == [90.0] * 5 + [270.0]
        assert area == pytest.approx(expected_area, rel=1e-6)
        assert area_reg == pytest.approx(expected_reg, rel=1e-3)
        assert outline.symmetric_difference(expected_outline).area < 1e-3 * expected_outline.area
    with open(tmp_path / "city.json", encoding="utf-8") as stream:
        summary = json.load(stream)
    assert summary["joined_across_seams"] == 1
    assert summary["total_area_reg_m2"] == pytest.approx(sum(reg for _, reg, _ in found), rel=1e-9)
    rows = read_table(output, "rasters")
    assert sum(row["total_area_reg_m2"] or 0.0 for row in rows) == pytest.approx(summary["total_area_reg_m2"])


def test_without_regularize_the_batch_writes_no_regularized_area(bright_model, tmp_path):
    write_mosaic(str(tmp_path / "tiles"), l_town())
    output = tmp_path / "city.gpkg"
    assert cli.main([str(tmp_path / "tiles"), "-o", str(output), "--workers", "0", "--segmentation-model",
                     bright_model, "--no-detect", "--no-progress"]) == cli.EXIT_OK
    assert [reg for _, reg, _ in buildings(output)] == [None, None]
    with open(tmp_path / "city.json", encoding="utf-8") as stream:
        assert json.load(stream)["total_area_reg_m2"] is None
