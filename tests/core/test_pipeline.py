"""run_pipeline end to end on tiny generated rasters with the bright-pixel segmentor.

The segmentor uses 64 px tiles with 25 % overlap (stride 48), so squares at the
positions below straddle tile seams. UTM rasters sit on the central meridian, where
ground areas are planar areas / 0.9996².
"""
import os

import numpy as np
import pytest
from osgeo import gdal, ogr

from building_area_plugin.core.errors import CancelledError, GsdUnknownError, ModelError, OutputError
from building_area_plugin.core.params import (GSD_SOURCE_GEOREFERENCING, GSD_SOURCE_MODEL, GSD_SOURCE_USER,
                                              Extent, PipelineParams)
from building_area_plugin.core.pipeline import run_pipeline
from tests import onnx_models
from tests.core.conftest import GSD_M, SQUARE, UTM_33N, UTM_GEOTRANSFORM, square_image, write_raster

UTM_SCALE = 0.9996


def features(path, layer_name):
    ds = ogr.Open(str(path))
    layer = ds.GetLayerByName(layer_name)
    return [(f.items(), f.GetGeometryRef().Clone()) for f in layer]


def params(tmp_path, raster, model, **overrides):
    return PipelineParams(raster_path=raster, output_path=str(tmp_path / "out" / "buildings.gpkg"),
                          segmentation_model=model, **overrides)


def test_square_across_tile_seams_is_one_building_with_its_ground_area(tmp_path, out_dir, utm_raster, bright_model):
    result = run_pipeline(params(tmp_path, utm_raster, bright_model))
    [(attrs, geometry)] = features(result.output_path, "buildings")
    side_m = SQUARE[2] * GSD_M
    assert attrs["area_m2"] == pytest.approx(side_m ** 2 / UTM_SCALE ** 2, rel=1e-3)
    assert attrs["area_m2"] == pytest.approx(side_m ** 2, rel=0.01)
    assert attrs["perimeter_m"] == pytest.approx(4 * side_m, rel=0.01)
    assert attrs["score"] > 0.99
    assert attrs["gsd_source"] == GSD_SOURCE_GEOREFERENCING
    assert geometry.GetGeometryCount() == 1  # one part


def test_summary_layer_reports_the_run(tmp_path, out_dir, utm_raster, bright_model):
    result = run_pipeline(params(tmp_path, utm_raster, bright_model))
    [(summary, extent)] = features(result.output_path, "summary")
    raster_m2 = (200 * GSD_M) ** 2 / UTM_SCALE ** 2
    assert summary["building_count"] == 1
    assert summary["analysed_area_m2"] == pytest.approx(raster_m2, rel=1e-3)
    assert summary["built_up_share_pct"] == pytest.approx(100 * 80 ** 2 / 200 ** 2, rel=1e-3)
    assert summary["gsd_m"] == pytest.approx(GSD_M, rel=1e-3)
    assert summary["gsd_source"] == GSD_SOURCE_GEOREFERENCING
    assert summary["models"] == "bright.onnx"
    assert summary["provider"] == "CPUExecutionProvider"
    assert summary["tiles"] == 16 == result.summary.tiles
    assert extent.GetArea() == pytest.approx((200 * GSD_M) ** 2)
    assert result.summary.total_area_m2 == pytest.approx(summary["total_area_m2"])


def test_outputs_are_in_the_raster_crs(tmp_path, out_dir, utm_raster, bright_model):
    result = run_pipeline(params(tmp_path, utm_raster, bright_model))
    ds = ogr.Open(result.output_path)
    for name in ("buildings", "summary"):
        assert ds.GetLayerByName(name).GetSpatialRef().GetAuthorityCode(None) == str(UTM_33N)


@pytest.mark.parametrize("masking", ["alpha", "nodata"])
def test_nodata_and_alpha_areas_are_not_analysed(tmp_path, out_dir, bright_model, masking):
    rgb = square_image(200, [(20, 20, 40), (120, 140, 40)], background=30)
    alpha = np.full((200, 200), 255, np.uint8)
    alpha[:, 100:] = 0  # the right half is not imagery
    if masking == "alpha":
        raster = write_raster(tmp_path / "r.tif", rgb, UTM_GEOTRANSFORM, UTM_33N, alpha=alpha)
    else:
        rgb[:, alpha == 0] = 0
        raster = write_raster(tmp_path / "r.tif", rgb, UTM_GEOTRANSFORM, UTM_33N, nodata=0)
    result = run_pipeline(params(tmp_path, raster, bright_model))
    assert result.summary.analysed_area_m2 == pytest.approx(100 * 200 * GSD_M ** 2 / UTM_SCALE ** 2, rel=1e-3)
    [(attrs, _)] = features(result.output_path, "buildings")  # the square in the masked half is gone
    assert attrs["area_m2"] == pytest.approx(40 * 40 * GSD_M ** 2, rel=0.01)


def test_resampled_imagery_gives_the_same_area(tmp_path, out_dir, bright_model):
    # 0.15 m imagery of the same ground: the model (0.3 m) works on a half-size grid.
    fine_gt = UTM_GEOTRANSFORM[:1] + (0.15,) + UTM_GEOTRANSFORM[2:5] + (-0.15,)
    row, col, side = SQUARE
    raster = write_raster(tmp_path / "fine.tif", square_image(400, [(2 * row, 2 * col, 2 * side)]), fine_gt, UTM_33N)
    result = run_pipeline(params(tmp_path, raster, bright_model, probability_path=str(out_dir / "p.tif")))
    [(attrs, _)] = features(result.output_path, "buildings")
    assert attrs["area_m2"] == pytest.approx((side * GSD_M) ** 2, rel=0.02)
    assert any("Resampling" in line for line in result.log)
    prob = gdal.Open(result.probability_path)
    assert (prob.RasterXSize, prob.RasterYSize) == (400, 400)
    assert prob.GetGeoTransform() == pytest.approx(fine_gt)


def test_gsd_comes_from_the_model_head_without_georeferencing(tmp_path, out_dir, gsd_head_model):
    raster = write_raster(tmp_path / "plain.tif", square_image(200, [SQUARE]))
    result = run_pipeline(params(tmp_path, raster, gsd_head_model))
    assert result.summary.gsd_source == GSD_SOURCE_MODEL
    assert result.summary.gsd_m == pytest.approx(GSD_M, rel=1e-5)
    [(attrs, geometry)] = features(result.output_path, "buildings")
    assert attrs["area_m2"] == pytest.approx((SQUARE[2] * GSD_M) ** 2, rel=1e-4)
    assert geometry.GetEnvelope() == (40.0, 120.0, -110.0, -30.0)  # x = column, y = -row, as QGIS shows it
    assert ogr.Open(result.output_path).GetLayerByName("buildings").GetSpatialRef().IsLocal()  # srs_id -1


def test_unknown_gsd_asks_the_user_for_one(tmp_path, out_dir, bright_model):
    raster = write_raster(tmp_path / "plain.tif", square_image(100, []))
    with pytest.raises(GsdUnknownError, match="Enter the GSD"):
        run_pipeline(params(tmp_path, raster, bright_model))
    assert os.listdir(out_dir) == []


def test_user_gsd_wins_over_the_model_head(tmp_path, out_dir, gsd_head_model):
    raster = write_raster(tmp_path / "plain.tif", square_image(200, [SQUARE]))
    result = run_pipeline(params(tmp_path, raster, gsd_head_model, gsd_m=0.32))
    assert (result.summary.gsd_source, result.summary.gsd_m) == (GSD_SOURCE_USER, 0.32)
    [(attrs, _)] = features(result.output_path, "buildings")
    assert attrs["area_m2"] == pytest.approx((SQUARE[2] * 0.32) ** 2, rel=1e-4)


def test_user_gsd_wins_over_georeferencing(tmp_path, out_dir, utm_raster, bright_model):
    result = run_pipeline(params(tmp_path, utm_raster, bright_model, gsd_m=0.31))
    assert (result.summary.gsd_source, result.summary.gsd_m) == (GSD_SOURCE_USER, 0.31)


def test_cancel_stops_within_a_batch_and_leaves_nothing(tmp_path, out_dir, utm_raster, bright_model):
    polls = []

    def cancel_on_third_poll():
        polls.append(1)
        return len(polls) >= 3

    with pytest.raises(CancelledError):
        run_pipeline(params(tmp_path, utm_raster, bright_model, probability_path=str(out_dir / "p.tif"),
                            batch_size=2), is_cancelled=cancel_on_third_poll)
    assert len(polls) == 3
    assert os.listdir(out_dir) == []


def test_existing_output_is_kept_when_overwrite_is_off(tmp_path, out_dir, utm_raster, bright_model):
    existing = out_dir / "buildings.gpkg"
    existing.write_bytes(b"keep me")
    with pytest.raises(OutputError, match="already exists"):
        run_pipeline(params(tmp_path, utm_raster, bright_model, overwrite=False))
    assert existing.read_bytes() == b"keep me"
    assert os.listdir(out_dir) == ["buildings.gpkg"]


def test_existing_output_is_replaced_when_overwrite_is_on(tmp_path, out_dir, utm_raster, bright_model):
    (out_dir / "buildings.gpkg").write_bytes(b"old")
    result = run_pipeline(params(tmp_path, utm_raster, bright_model))
    assert len(features(result.output_path, "buildings")) == 1
    assert os.listdir(out_dir) == ["buildings.gpkg"]


def test_probability_is_written_on_the_raster_grid(tmp_path, out_dir, utm_raster, bright_model):
    result = run_pipeline(params(tmp_path, utm_raster, bright_model, probability_path=str(out_dir / "p.tif")))
    prob = gdal.Open(result.probability_path)
    source = gdal.Open(utm_raster)
    assert (prob.RasterXSize, prob.RasterYSize) == (200, 200)
    assert prob.GetGeoTransform() == source.GetGeoTransform()
    assert prob.GetSpatialRef().IsSame(source.GetSpatialRef())
    expected = np.zeros((200, 200), np.uint8)
    row, col, side = SQUARE
    expected[row:row + side, col:col + side] = 255
    np.testing.assert_array_equal(prob.ReadAsArray(), expected)
    assert sorted(os.listdir(out_dir)) == ["buildings.gpkg", "p.tif"]


def test_extent_restricts_the_analysed_window(tmp_path, out_dir, bright_model):
    rgb = square_image(200, [(20, 20, 40), (120, 140, 40)])
    raster = write_raster(tmp_path / "r.tif", rgb, UTM_GEOTRANSFORM, UTM_33N)
    x0, y0 = UTM_GEOTRANSFORM[0], UTM_GEOTRANSFORM[3]
    extent = Extent(x0, y0 - 100 * GSD_M, x0 + 100 * GSD_M, y0)  # the top-left quarter
    result = run_pipeline(params(tmp_path, raster, bright_model, extent=extent,
                                 probability_path=str(out_dir / "p.tif")))
    assert result.summary.building_count == 1
    assert result.summary.analysed_area_m2 == pytest.approx((100 * GSD_M) ** 2 / UTM_SCALE ** 2, rel=1e-3)
    prob = gdal.Open(result.probability_path)
    assert (prob.RasterXSize, prob.RasterYSize) == (100, 100)
    assert prob.GetGeoTransform() == pytest.approx(UTM_GEOTRANSFORM)


def test_a_segmentor_given_as_detection_model_is_refused(tmp_path, out_dir, utm_raster, bright_model):
    with pytest.raises(ModelError, match="Detection model bright.onnx is a segmentor model"):
        run_pipeline(params(tmp_path, utm_raster, bright_model, detection_model=bright_model))
    assert os.listdir(out_dir) == []


def test_progress_counts_tiles_up_to_done(tmp_path, out_dir, utm_raster, bright_model):
    reports = []
    run_pipeline(params(tmp_path, utm_raster, bright_model), progress=lambda p, m: reports.append((p, m)))
    percents = [p for p, _ in reports]
    assert percents == sorted(percents) and percents[-1] == 100.0
    assert any("16 of 16 tiles" in m for _, m in reports)


def test_a_detector_given_as_segmentation_model_is_refused(tmp_path, out_dir, utm_raster):
    detector = onnx_models.bright_segmentor(tmp_path / "det.onnx", onnx_models.metadata(model_type="Detector"))
    with pytest.raises(ModelError, match="segmentor"):
        run_pipeline(params(tmp_path, utm_raster, detector))
    assert os.listdir(out_dir) == []


@pytest.fixture
def gdal_exceptions():
    """GDAL raising instead of returning errors, as after any gdal.UseExceptions() in the process."""
    gdal.UseExceptions()
    yield
    gdal.DontUseExceptions()


def test_runs_the_same_with_gdal_exceptions_on(tmp_path, out_dir, bright_model, gdal_exceptions):
    fine_gt = UTM_GEOTRANSFORM[:1] + (0.15,) + UTM_GEOTRANSFORM[2:5] + (-0.15,)
    raster = write_raster(tmp_path / "fine.tif", square_image(400, [(60, 80, 160)]), fine_gt, UTM_33N)
    result = run_pipeline(params(tmp_path, raster, bright_model, probability_path=str(out_dir / "p.tif")))
    assert result.summary.building_count == 1
    with pytest.raises(CancelledError):
        run_pipeline(params(tmp_path, raster, bright_model), is_cancelled=lambda: True)


def test_gsd_head_tiles_shrink_to_fit_a_small_raster():
    from building_area_plugin.core.inference import gsd_tile_size
    from building_area_plugin.core.workgrid import PixelWindow
    assert gsd_tile_size(512, PixelWindow(0, 0, 256, 300)) == 256
    assert gsd_tile_size(512, PixelWindow(0, 0, 5000, 5000)) == 512
    assert gsd_tile_size(512, PixelWindow(0, 0, 40, 40)) == 64
