"""Probability raster -> measured building polygons (threshold, polygonize, clean, measure, score)."""
import numpy as np
import pytest
from osgeo import gdal

from building_area_plugin.core.areas import GroundAreaCalculator
from building_area_plugin.core.errors import CancelledError
from building_area_plugin.core.params import GSD_SOURCE_USER, GroundSampling
from building_area_plugin.core.probability import threshold_level
from building_area_plugin.core.raster import QGIS_DEFAULT_GEOTRANSFORM
from building_area_plugin.core.vectorize import iter_buildings, polygonize, threshold_mask

GSD_M = 0.5  # planar areas: pixels x 0.25 m²


def buildings_of(tmp_path, prob, threshold=0.5, min_area_m2=0.0, is_cancelled=lambda: False):
    """Vectorize a uint8 probability array as the pipeline does, on a raster without georeferencing."""
    prob_path, mask_path, polygons_path = (str(tmp_path / n) for n in ("p.tif", "m.tif", "p.gpkg"))
    ds = gdal.GetDriverByName("GTiff").Create(prob_path, prob.shape[1], prob.shape[0], 1, gdal.GDT_Byte)
    ds.GetRasterBand(1).WriteArray(prob)
    ds = None
    threshold_mask(prob_path, mask_path, threshold, is_cancelled)
    polygonize(mask_path, polygons_path, is_cancelled)
    calculator = GroundAreaCalculator("", QGIS_DEFAULT_GEOTRANSFORM, GroundSampling(GSD_M, GSD_M, GSD_SOURCE_USER))
    return list(iter_buildings(polygons_path, prob_path, QGIS_DEFAULT_GEOTRANSFORM, calculator, min_area_m2,
                               is_cancelled))


def test_square_with_a_hole_keeps_its_hole(tmp_path):
    prob = np.zeros((60, 60), np.uint8)
    prob[10:40, 12:42] = 255
    prob[20:28, 22:30] = 0
    [building] = buildings_of(tmp_path, prob)
    assert building.geometry.geom_type == "Polygon"
    assert len(building.geometry.interiors) == 1
    assert building.area_m2 == pytest.approx((30 * 30 - 8 * 8) * GSD_M ** 2)
    assert building.perimeter_m == pytest.approx((4 * 30 + 4 * 8) * GSD_M)


def test_outlines_are_in_the_coordinates_qgis_shows(tmp_path):
    prob = np.zeros((40, 40), np.uint8)
    prob[5:15, 20:30] = 255
    [building] = buildings_of(tmp_path, prob)
    assert building.geometry.bounds == (20.0, -15.0, 30.0, -5.0)  # x = column, y = -row


def test_diagonally_touching_pixels_make_one_building(tmp_path):
    prob = np.zeros((40, 40), np.uint8)
    prob[5:15, 5:15] = 255
    prob[15:25, 15:25] = 255
    [building] = buildings_of(tmp_path, prob)
    assert building.area_m2 == pytest.approx(2 * 100 * GSD_M ** 2)


def test_buildings_under_the_minimum_area_are_dropped(tmp_path):
    prob = np.zeros((60, 60), np.uint8)
    prob[5:9, 5:9] = 255      # 16 px = 4 m²
    prob[20:40, 20:40] = 255  # 400 px = 100 m²
    buildings = buildings_of(tmp_path, prob, min_area_m2=5.0)
    assert [b.area_m2 for b in buildings] == [pytest.approx(100.0)]


def test_score_is_the_mean_probability_inside_the_outline(tmp_path):
    prob = np.zeros((40, 40), np.uint8)
    prob[5:25, 5:10] = 200   # an L-shaped building ...
    prob[20:25, 5:25] = 240
    prob[5:12, 15:25] = 255  # ... with another building inside its bounding box
    buildings = buildings_of(tmp_path, prob)
    l_shape = max(buildings, key=lambda b: b.area_m2)
    assert l_shape.score == pytest.approx((15 * 5 * 200 + 5 * 20 * 240) / (15 * 5 + 5 * 20) / 255)


def test_threshold_splits_probability_at_the_given_value(tmp_path):
    prob = np.zeros((30, 30), np.uint8)
    prob[2:12, 2:12] = 160  # 0.63
    prob[15:25, 15:25] = 100  # 0.39
    assert len(buildings_of(tmp_path, prob, threshold=0.5)) == 1
    assert len(buildings_of(tmp_path, prob, threshold=0.3)) == 2


def test_threshold_level_counts_a_probability_of_exactly_the_threshold():
    assert threshold_level(0.5) == 128  # 0.5 is stored as round(127.5) = 128
    assert threshold_level(0.0) == 0


def test_cancel_stops_vectorizing(tmp_path):
    prob = np.full((30, 30), 255, np.uint8)
    with pytest.raises(CancelledError):
        buildings_of(tmp_path, prob, is_cancelled=lambda: True)
