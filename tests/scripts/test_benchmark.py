"""scripts/benchmark.py: the generated mosaic and the medians it reports."""
import numpy as np
from osgeo import gdal

from scripts.benchmark import KEYS, median_figures, mosaic_vrt
from tests.core.conftest import UTM_33N, UTM_GEOTRANSFORM, write_raster


def test_mosaic_repeats_the_scene_over_the_requested_size_with_its_georeferencing(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 255, (3, 40, 40), dtype=np.uint8)
    scene = write_raster(tmp_path / "scene.tif", rgb, UTM_GEOTRANSFORM, UTM_33N)
    vrt = gdal.Open(mosaic_vrt(scene, 40, 100, str(tmp_path / "big.vrt")))
    assert (vrt.RasterXSize, vrt.RasterYSize, vrt.RasterCount) == (100, 100, 3)
    assert vrt.GetGeoTransform() == UTM_GEOTRANSFORM
    data = vrt.ReadAsArray()
    np.testing.assert_array_equal(data[:, 40:80, 80:100], rgb[:, :, :20])  # a repeat cut at the edge
    np.testing.assert_array_equal(data[:, :40, :40], rgb)


def test_figures_are_medians_over_runs_and_keep_the_provider():
    runs = [{**{key: 1.0 for key in KEYS}, "provider": "CPUExecutionProvider", "km2_per_min": value}
            for value in (3.0, 5.0, 4.0)]
    figures = median_figures(runs)
    assert figures["km2_per_min"] == 4.0 and figures["provider"] == "CPUExecutionProvider"
    assert figures["runs"] == 3
