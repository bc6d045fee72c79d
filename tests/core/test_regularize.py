"""Regularized outlines: right angles, aligned to each building, from outlines as the mask gives them."""
import math
import os

import cv2
import numpy as np
import pytest
from osgeo import gdal
from shapely.affinity import affine_transform
from shapely.geometry import Point, Polygon

from building_area_plugin.core.areas import GroundAreaCalculator
from building_area_plugin.core.params import GSD_SOURCE_USER, GroundSampling
from building_area_plugin.core.raster import QGIS_DEFAULT_GEOTRANSFORM
from building_area_plugin.core.regularize import Regularizer, dominant_angle
from building_area_plugin.core.vectorize import Building, iter_buildings, polygonize, threshold_mask

GSD_M = 0.3
# An L of 36 m x 36 m with 15 m wide wings, in pixels (x = column, y = row) around its bend.
L_SHAPE_PX = [(40, 40), (160, 40), (160, 90), (90, 90), (90, 160), (40, 160)]
CENTRE_PX = (100, 100)


def turned(points, degrees, centre=CENTRE_PX) -> np.ndarray:
    """points turned by degrees (clockwise on screen: rows grow downwards) about centre."""
    t = math.radians(degrees)
    rotation = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    return (np.asarray(points, float) - centre) @ rotation.T + centre


def mask_outline(tmp_path, polygon_px, size=200) -> Building:
    """The building the pipeline's vectorizing makes of polygon_px drawn into a mask (a raster without
    georeferencing)."""
    mask = np.zeros((size, size), np.uint8)
    cv2.fillPoly(mask, [np.round(np.asarray(polygon_px) * 16).astype(np.int32)], 255, lineType=cv2.LINE_8, shift=4)
    prob_path, mask_path, polygons_path = (os.path.join(str(tmp_path), n) for n in ("p.tif", "m.tif", "p.gpkg"))
    ds = gdal.GetDriverByName("GTiff").Create(prob_path, size, size, 1, gdal.GDT_Byte)
    ds.GetRasterBand(1).WriteArray(mask)
    ds = None
    threshold_mask(prob_path, mask_path, 0.5, lambda: False)
    polygonize(mask_path, polygons_path, lambda: False)
    [building] = iter_buildings(polygons_path, prob_path, QGIS_DEFAULT_GEOTRANSFORM, calculator(), 0.0, lambda: False)
    return building


def calculator(x_m=GSD_M, y_m=GSD_M, geotransform=QGIS_DEFAULT_GEOTRANSFORM):
    return GroundAreaCalculator("", geotransform, GroundSampling(x_m, y_m, GSD_SOURCE_USER))


def regularizer(x_m=GSD_M, y_m=GSD_M, geotransform=QGIS_DEFAULT_GEOTRANSFORM) -> Regularizer:
    return Regularizer(geotransform, x_m, y_m, calculator(x_m, y_m, geotransform))


def exterior(geometry) -> np.ndarray:
    [part] = getattr(geometry, "geoms", [geometry])
    return np.asarray(part.exterior.coords)[:-1]


def interior_angles(corners: np.ndarray) -> np.ndarray:
    """Interior angles (degrees) of a ring's corners, whatever its orientation."""
    before, after = np.roll(corners, 1, axis=0) - corners, np.roll(corners, -1, axis=0) - corners
    cross = after[:, 0] * before[:, 1] - after[:, 1] * before[:, 0]
    turn = np.degrees(np.arctan2(cross, (before * after).sum(axis=1))) % 360
    return turn if Polygon(corners).exterior.is_ccw else 360 - turn


def edge_directions(corners: np.ndarray) -> np.ndarray:
    """Each edge's direction modulo 90° (degrees, in [-45, 45))."""
    steps = np.roll(corners, -1, axis=0) - corners
    return (np.degrees(np.arctan2(steps[:, 1], steps[:, 0])) + 45) % 90 - 45


@pytest.mark.parametrize("degrees", [0, 13, 30, 44])
def test_an_l_shaped_building_stays_l_shaped_with_right_angles(tmp_path, degrees):
    building = mask_outline(tmp_path, turned(L_SHAPE_PX, degrees))
    [regular] = regularizer().buildings([building])
    corners = exterior(regular.geometry)
    assert len(corners) == 6
    assert sorted(np.round(interior_angles(corners), 6)) == [90.0] * 5 + [270.0]
    # Output coordinates have y = -row: the L turned clockwise on screen is turned by -degrees here.
    assert edge_directions(corners) == pytest.approx(np.full(6, (-degrees + 45) % 90 - 45), abs=1.0)
    mask = building.geometry
    assert regular.geometry.intersection(mask).area / regular.geometry.union(mask).area > 0.98
    assert regular.area_m2 == building.area_m2  # the mask's area stays
    assert regular.area_reg_m2 == pytest.approx(regular.geometry.area * GSD_M ** 2, rel=1e-9)
    assert regular.area_reg_m2 == pytest.approx(building.area_m2, rel=0.02)


def test_a_slightly_noisy_rotated_rectangle_becomes_a_rectangle_at_its_orientation():
    # 24 m x 12 m turned by 25°, its outline sampled every 0.5 m with 0.15 m of noise, in 0.3 m pixels.
    rng = np.random.default_rng(3)
    corners = [(0, 0), (24, 0), (24, 12), (0, 12), (0, 0)]
    points = np.concatenate([np.linspace(a, b, 48, endpoint=False) for a, b in zip(corners[:-1], corners[1:])])
    noisy = turned(points + rng.normal(0, 0.15, points.shape), 25, centre=(12, 6)) / GSD_M
    [regular] = regularizer().buildings([Building(Polygon(noisy), 288.0, 72.0, 0.9)])
    found = exterior(regular.geometry) * GSD_M
    assert len(found) == 4
    assert sorted(np.round(interior_angles(found), 6)) == [90.0] * 4
    assert edge_directions(found) == pytest.approx(np.full(4, 25.0), abs=1.0)
    sides = sorted(np.hypot(*(np.roll(found, -1, axis=0) - found).T))
    assert sides == pytest.approx([12, 12, 24, 24], abs=0.3)


def test_a_courtyard_is_kept_as_a_right_angled_hole(tmp_path):
    outer = turned([(40, 40), (160, 40), (160, 160), (40, 160)], 20)
    inner = turned([(80, 80), (120, 80), (120, 120), (80, 120)], 20)
    building = mask_outline(tmp_path, outer)
    with_hole = Building(building.geometry.difference(Polygon(inner * [1, -1])), 0.0, 0.0, 1.0)
    regular = regularizer().outline(with_hole.geometry)
    [hole] = regular.interiors
    assert len(hole.coords) - 1 == 4 and len(regular.exterior.coords) - 1 == 4
    assert sorted(np.round(interior_angles(np.asarray(hole.coords)[:-1]), 6)) == [90.0] * 4


def test_an_outline_that_fits_no_right_angled_one_is_kept_as_found():
    round_building = Point(0, 0).buffer(10, 32)
    regular = regularizer(1.0, 1.0)
    assert regular.outline(round_building) is round_building
    assert regular.kept_as_found == 1


def test_right_angles_are_right_on_the_ground_with_oblong_pixels():
    # Pixels 0.4 m wide and 0.5 m tall (as EPSG:4326 away from the equator): a ground rectangle turned by 30°
    # is a parallelogram in pixels, and must come out as a rectangle on the ground, not in pixels.
    x_m, y_m = 0.4, 0.5
    ground = Polygon(turned([(0, 0), (20, 0), (20, 8), (0, 8)], 30, centre=(10, 4)))
    to_pixels, to_ground = [1 / x_m, 0, 0, 1 / y_m, 0, 0], [x_m, 0, 0, y_m, 0, 0]
    pixels = affine_transform(ground, to_pixels)
    regular = affine_transform(regularizer(x_m, y_m).outline(pixels), to_ground)
    corners = exterior(regular)
    assert sorted(np.round(interior_angles(corners), 6)) == [90.0] * 4
    assert regular.symmetric_difference(ground).area < 0.01 * ground.area


def test_the_dominant_direction_follows_the_long_walls_not_a_short_slanted_one():
    ring = np.array([(0, 0), (30, 0), (30, 10), (5, 10), (0, 5), (0, 0)], float)  # one corner cut at 45°
    assert math.degrees(dominant_angle([ring])) == pytest.approx(0.0, abs=0.5)
