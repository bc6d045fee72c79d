"""Ground areas and perimeters: geodesic when georeferenced, planar x GSD otherwise."""
import numpy as np
import pyproj
import pytest
from shapely.geometry import LineString, MultiPolygon, Polygon, box

from building_area_plugin.core.areas import GroundAreaCalculator
from building_area_plugin.core.params import GroundSampling

UTM_SCALE = 0.9996  # UTM scale factor on the central meridian: ground = grid / 0.9996
UTM_GT = (500000.0, 0.5, 0.0, 5300000.0, 0.0, -0.5)
NO_GEOREF_GT = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)  # QGIS's grid for a raster without georeferencing
GSD_HALF_METRE = GroundSampling(0.5, 0.5, "user")


def wkt(epsg: int) -> str:
    return pyproj.CRS.from_epsg(epsg).to_wkt()


def utm_square(x0: float, y0: float, side: float) -> Polygon:
    return box(x0, y0, x0 + side, y0 + side)


def reproject(polygon: Polygon, epsg: int) -> Polygon:
    to_crs = pyproj.Transformer.from_crs(32633, epsg, always_xy=True)
    return Polygon([to_crs.transform(x, y) for x, y in polygon.exterior.coords])


def test_utm_square_of_100_m_is_10000_m2_on_the_ellipsoid():
    calc = GroundAreaCalculator(wkt(32633), UTM_GT, GSD_HALF_METRE)
    area, perimeter = calc.area_perimeter(utm_square(500000.0, 5200000.0, 100.0))
    assert calc.is_geodesic
    assert area == pytest.approx(10000.0, rel=2e-3)
    assert area == pytest.approx(10000.0 / UTM_SCALE ** 2, rel=1e-4)
    assert perimeter == pytest.approx(400.0 / UTM_SCALE, rel=1e-4)


@pytest.mark.parametrize("epsg, gt", [
    (3857, (1669792.0, 0.6, 0.0, 5939000.0, 0.0, -0.6)),
    (4326, (15.0, 1e-5, 0.0, 47.0, 0.0, -1e-5)),
])
def test_same_ground_square_in_mercator_and_degrees_has_the_same_area(epsg, gt):
    # A 100 m square near 15 E, 47 N (UTM 33N central meridian), expressed in another CRS.
    square = utm_square(500000.0, 5205000.0, 100.0)
    expected, _ = GroundAreaCalculator(wkt(32633), UTM_GT, GSD_HALF_METRE).area_perimeter(square)
    area, _ = GroundAreaCalculator(wkt(epsg), gt, GSD_HALF_METRE).area_perimeter(reproject(square, epsg))
    assert area == pytest.approx(expected, rel=5e-3)


def test_planar_mercator_area_would_be_wrong():
    # Guards the point of this module: in EPSG:3857 at 47 N planar area is 2.15x the ground area.
    square = reproject(utm_square(500000.0, 5205000.0, 100.0), 3857)
    area, _ = GroundAreaCalculator(wkt(3857), (1669792.0, 0.6, 0.0, 5939000.0, 0.0, -0.6),
                                   GSD_HALF_METRE).area_perimeter(square)
    assert square.area / area == pytest.approx(1 / np.cos(np.radians(47.0)) ** 2, rel=0.01)


def test_long_edges_follow_the_crs_not_the_geodesic():
    # A triangle whose top edge runs 3 degrees along the parallel 60 N. Geodesics between its
    # vertices bulge poleward (~1 km on the top edge) and change the area by ~0.16 %;
    # densified, the edges stay straight in degrees, as they are in the layer.
    triangle = Polygon([(0.0, 60.0), (3.0, 60.0), (1.5, 59.0)])
    calc = GroundAreaCalculator(wkt(4326), (0.0, 1e-4, 0.0, 60.0, 0.0, -1e-4), GSD_HALF_METRE)
    area, _ = calc.area_perimeter(triangle)
    dense = np.linspace(0.0, 1.0, 3001)[:-1]
    lons = np.concatenate([3.0 * dense, 3.0 - 1.5 * dense, 1.5 - 1.5 * dense])
    lats = np.concatenate([60.0 + 0 * dense, 60.0 - dense, 59.0 + dense])
    reference, _ = pyproj.Geod(ellps="WGS84").polygon_area_perimeter(lons, lats)
    undensified, _ = pyproj.Geod(ellps="WGS84").geometry_area_perimeter(triangle)
    assert area == pytest.approx(abs(reference), rel=1e-4)
    assert abs(abs(undensified) / area - 1) > 1e-3


def test_hole_is_subtracted_and_its_boundary_counted():
    outer = [(500000, 5200000), (500100, 5200000), (500100, 5200100), (500000, 5200100)]
    hole = [(500025, 5200025), (500025, 5200075), (500075, 5200075), (500075, 5200025)]
    calc = GroundAreaCalculator(wkt(32633), UTM_GT, GSD_HALF_METRE)
    area, perimeter = calc.area_perimeter(Polygon(outer, [hole]))
    assert area == pytest.approx(7500.0 / UTM_SCALE ** 2, rel=1e-4)
    assert perimeter == pytest.approx(600.0 / UTM_SCALE, rel=1e-4)


def test_no_georeferencing_is_planar_pixels_times_gsd_squared():
    calc = GroundAreaCalculator("", NO_GEOREF_GT, GSD_HALF_METRE)
    area, perimeter = calc.area_perimeter(box(10, -30, 30, -20))  # 20 x 10 px
    assert not calc.is_geodesic
    assert area == pytest.approx(200 * 0.25) and perimeter == pytest.approx(60 * 0.5)


def test_anisotropic_gsd_scales_columns_and_rows_separately():
    calc = GroundAreaCalculator("", NO_GEOREF_GT, GroundSampling(0.4, 0.5, "model"))
    area, perimeter = calc.area_perimeter(box(0, -10, 20, 0))  # 20 columns x 10 rows
    assert area == pytest.approx(200 * 0.4 * 0.5)
    assert perimeter == pytest.approx(2 * 20 * 0.4 + 2 * 10 * 0.5)


def test_local_crs_is_planar_in_pixels_times_gsd():
    local = 'LOCAL_CS["site grid",UNIT["US survey foot",0.304800609601219],AXIS["E",EAST],AXIS["N",NORTH]]'
    gt = (1000.0, 2.0, 0.0, 5000.0, 0.0, -2.0)  # 2 ft pixels
    calc = GroundAreaCalculator(local, gt, GroundSampling(0.6096, 0.6096, "georeferencing"))
    area, _ = calc.area_perimeter(box(1000, 4900, 1100, 5000))  # 100 ft x 100 ft = 50 x 50 px
    assert not calc.is_geodesic
    assert area == pytest.approx(2500 * 0.6096 ** 2)


def test_crs_without_geotransform_is_not_measured_geodesically():
    calc = GroundAreaCalculator(wkt(4326), NO_GEOREF_GT, GSD_HALF_METRE)
    assert not calc.is_geodesic
    assert calc.area_perimeter(box(0, -2, 2, 0))[0] == pytest.approx(1.0)


def test_multipolygon_sums_its_parts_and_empty_is_zero():
    calc = GroundAreaCalculator("", NO_GEOREF_GT, GSD_HALF_METRE)
    parts = MultiPolygon([box(0, -2, 2, 0), box(10, -4, 14, 0)])
    assert calc.area_perimeter(parts)[0] == pytest.approx((4 + 16) * 0.25)
    assert calc.area_perimeter(Polygon()) == (0.0, 0.0)


def test_batch_matches_one_by_one():
    calc = GroundAreaCalculator(wkt(32633), UTM_GT, GSD_HALF_METRE)
    rng = np.random.default_rng(0)
    polygons = [box(x, y, x + w, y + h) for x, y, w, h in
                zip(rng.uniform(500000, 501000, 50), rng.uniform(5200000, 5201000, 50),
                    rng.uniform(3, 30, 50), rng.uniform(3, 30, 50))]
    polygons[7] = Polygon()
    areas, perimeters = calc.areas_perimeters(polygons)
    singles = np.array([calc.area_perimeter(p) for p in polygons])
    assert np.allclose(areas, singles[:, 0]) and np.allclose(perimeters, singles[:, 1])
    assert areas[7] == 0.0


def test_non_polygon_is_rejected():
    calc = GroundAreaCalculator("", NO_GEOREF_GT, GSD_HALF_METRE)
    with pytest.raises(TypeError, match="LineString"):
        calc.area_perimeter(LineString([(0, 0), (1, 1)]))
