"""The GSD head's estimate carries an 80 % interval into the areas; a head that disagrees with the
georeferencing by more than 2x makes the run warn."""
import math

import numpy as np
import pytest
from osgeo import ogr

from building_area_plugin.core.gsd import disagreement, gsd_from_model
from building_area_plugin.core.params import GSD_SOURCE_MODEL, PipelineParams
from building_area_plugin.core.pipeline import run_pipeline
from tests import onnx_models
from tests.core.conftest import GSD_M, SQUARE, UTM_33N, UTM_GEOTRANSFORM, square_image, write_raster


def rows(path, layer_name):
    """Attribute dicts of a layer's features (read while the dataset is open)."""
    ds = ogr.Open(str(path))
    return [feature.items() for feature in ds.GetLayerByName(layer_name)]


def params(tmp_path, raster, model, **overrides):
    return PipelineParams(raster_path=raster, output_path=str(tmp_path / "out" / "buildings.gpkg"),
                          segmentation_model=model, **overrides)


def test_identical_tiles_give_the_models_calibrated_interval():
    gsd = gsd_from_model(np.full(16, math.log(0.5)), log_error=0.1)
    assert gsd.source == GSD_SOURCE_MODEL and gsd.mean_m == pytest.approx(0.5)
    assert gsd.interval_m == pytest.approx((0.5 * math.exp(-0.1), 0.5 * math.exp(0.1)))
    assert gsd.area_factors() == pytest.approx((math.exp(-0.2), math.exp(0.2)))


def test_tiles_that_disagree_widen_the_interval():
    rng = np.random.default_rng(0)
    calm = gsd_from_model(math.log(0.5) + rng.normal(0, 0.01, 16), log_error=0.1)
    noisy = gsd_from_model(math.log(0.5) + rng.normal(0, 0.3, 16), log_error=0.1)
    assert noisy.interval_m[0] < calm.interval_m[0] < 0.5 < calm.interval_m[1] < noisy.interval_m[1]


def test_georeferenced_and_model_gsd_more_than_twice_apart_is_named_in_one_line():
    assert disagreement(0.3, 0.6) is None
    line = disagreement(0.3, 0.9)
    assert "0.3 m/px" in line and "0.9 m/px" in line and "3.0x" in line and "\n" not in line


def test_model_gsd_gives_each_building_and_the_total_an_area_interval(tmp_path):
    (tmp_path / "out").mkdir()
    model = onnx_models.bright_segmentor(tmp_path / "m.onnx", onnx_models.metadata(gsd_log_error=0.1),
                                         gsd_m=GSD_M)
    raster = write_raster(tmp_path / "plain.tif", square_image(200, [SQUARE]))
    result = run_pipeline(params(tmp_path, raster, model))
    summary = result.summary
    assert summary.total_area_m2_low == pytest.approx(summary.total_area_m2 * math.exp(-0.2))
    assert summary.total_area_m2_high == pytest.approx(summary.total_area_m2 * math.exp(0.2))
    [building] = rows(result.output_path, "buildings")
    assert building["area_m2_low"] < building["area_m2"] < building["area_m2_high"]
    assert building["area_m2_high"] == pytest.approx(building["area_m2"] * math.exp(0.2))
    [row] = rows(result.output_path, "summary")
    assert row["total_area_m2_low"] == pytest.approx(summary.total_area_m2_low)
    assert any("80 % interval" in line for line in result.log) and result.warnings == []


def test_known_gsd_leaves_the_interval_empty_and_an_agreeing_head_says_nothing(tmp_path):
    (tmp_path / "out").mkdir()
    model = onnx_models.bright_segmentor(tmp_path / "m.onnx", gsd_m=GSD_M * 1.5)
    raster = write_raster(tmp_path / "utm.tif", square_image(200, [SQUARE]), UTM_GEOTRANSFORM, UTM_33N)
    result = run_pipeline(params(tmp_path, raster, model))
    assert result.summary.total_area_m2_low is None and result.warnings == []
    [building] = rows(result.output_path, "buildings")
    assert building["area_m2_low"] is None


def test_a_head_far_from_the_georeferencing_warns_and_the_georeferencing_still_wins(tmp_path):
    (tmp_path / "out").mkdir()
    model = onnx_models.bright_segmentor(tmp_path / "m.onnx", gsd_m=1.2)
    raster = write_raster(tmp_path / "utm.tif", square_image(200, [SQUARE]), UTM_GEOTRANSFORM, UTM_33N)
    result = run_pipeline(params(tmp_path, raster, model))
    [warning] = result.warnings
    assert "1.2 m/px" in warning and f"{GSD_M:g} m/px" in warning
    assert result.summary.gsd_source == "georeferencing" and result.summary.gsd_m == pytest.approx(GSD_M, rel=1e-3)


def test_a_user_gsd_is_not_checked_against_the_head(tmp_path):
    (tmp_path / "out").mkdir()
    model = onnx_models.bright_segmentor(tmp_path / "m.onnx", gsd_m=1.2)
    raster = write_raster(tmp_path / "utm.tif", square_image(200, [SQUARE]), UTM_GEOTRANSFORM, UTM_33N)
    assert run_pipeline(params(tmp_path, raster, model, gsd_m=0.3)).warnings == []
