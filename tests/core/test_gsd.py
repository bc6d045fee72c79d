"""Ground sampling distance from georeferencing (geodesic) and from the user."""
import math

import pyproj
import pytest
from osgeo import osr

from building_area_plugin.core.errors import GsdUnknownError, ParameterError
from building_area_plugin.core.gsd import gsd_from_georeferencing, user_gsd
from building_area_plugin.core.params import GSD_SOURCE_GEOREFERENCING, GSD_SOURCE_USER

WGS84_A = 6378137.0
WGS84_E2 = 6.69437999014e-3
SIZE = 1000  # raster width and height in pixels


def wkt(epsg: int) -> str:
    return pyproj.CRS.from_epsg(epsg).to_wkt()


def centred_geotransform(cx: float, cy: float, step_x: float, step_y: float):
    """North-up geotransform whose SIZE x SIZE raster is centred on (cx, cy)."""
    return (cx - step_x * SIZE / 2, step_x, 0.0, cy + step_y * SIZE / 2, 0.0, -step_y)


def ground_per_grid_unit(epsg: int, x: float, y: float) -> float:
    """Ground metres per CRS unit of a conformal projection at (x, y): unit length / scale factor."""
    crs = pyproj.CRS.from_epsg(epsg)
    lon, lat = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True).transform(x, y)
    scale = pyproj.Proj(crs).get_factors(lon, lat).meridional_scale
    return crs.axis_info[0].unit_conversion_factor / scale


def metres_per_degree(lat_deg: float):
    """(east-west, north-south) metres per degree on the WGS 84 ellipsoid (closed form)."""
    phi = math.radians(lat_deg)
    w = math.sqrt(1 - WGS84_E2 * math.sin(phi) ** 2)
    prime_vertical = WGS84_A / w
    meridional = WGS84_A * (1 - WGS84_E2) / w ** 3
    return math.radians(1) * prime_vertical * math.cos(phi), math.radians(1) * meridional


@pytest.mark.parametrize("easting", [500000.0, 700000.0])
def test_utm_gsd_is_pixel_size_over_local_scale_factor(easting):
    gt = centred_geotransform(easting, 5300000.0, 0.5, 0.5)
    gsd = gsd_from_georeferencing(wkt(32633), gt, SIZE, SIZE)
    expected = 0.5 * ground_per_grid_unit(32633, easting, 5300000.0)
    assert gsd.source == GSD_SOURCE_GEOREFERENCING
    assert gsd.x_m == pytest.approx(expected, rel=1e-3) and gsd.y_m == pytest.approx(expected, rel=1e-3)


def test_us_survey_feet_crs_gives_metres():
    x, y = 990000.0, 200000.0  # Manhattan, EPSG:2263 (NY Long Island, US survey feet)
    gsd = gsd_from_georeferencing(wkt(2263), centred_geotransform(x, y, 1.0, 1.0), SIZE, SIZE)
    assert gsd.x_m == pytest.approx(ground_per_grid_unit(2263, x, y), rel=1e-3)
    assert gsd.x_m == pytest.approx(0.3048, rel=1e-3) and gsd.y_m == pytest.approx(0.3048, rel=1e-3)


@pytest.mark.parametrize("lat", [0.0, 45.0, 60.0])
def test_web_mercator_gsd_is_nominal_times_cos_latitude(lat):
    _, y = pyproj.Transformer.from_crs(4326, 3857, always_xy=True).transform(10.0, lat)
    gsd = gsd_from_georeferencing(wkt(3857), centred_geotransform(1113194.9, y, 0.6, 0.6), SIZE, SIZE)
    nominal = 0.6 * math.cos(math.radians(lat))
    assert gsd.x_m == pytest.approx(nominal, rel=5e-3)
    # Spherical Mercator on the ellipsoid is not conformal: along meridians the ground step is
    # nominal * (1 - e2) / (1 - e2 sin2 lat)^1.5, 0.67 % short of nominal * cos(lat) at the equator.
    sin2 = math.sin(math.radians(lat)) ** 2
    assert gsd.y_m == pytest.approx(nominal * (1 - WGS84_E2) / (1 - WGS84_E2 * sin2) ** 1.5, rel=1e-3)
    assert gsd.y_m == pytest.approx(nominal, rel=7e-3)


def test_geographic_crs_gsd_is_geodesic_and_anisotropic_at_60n():
    step = 1e-5  # degrees
    gsd = gsd_from_georeferencing(wkt(4326), centred_geotransform(10.0, 60.0, step, step), SIZE, SIZE)
    per_degree_x, per_degree_y = metres_per_degree(60.0)
    assert gsd.x_m == pytest.approx(step * per_degree_x, rel=1e-3)
    assert gsd.y_m == pytest.approx(step * per_degree_y, rel=1e-3)
    assert gsd.x_m / gsd.y_m == pytest.approx(0.5, rel=0.01)


def test_rotated_geotransform_keeps_the_step_length():
    angle = math.radians(30)
    north_up = centred_geotransform(500000.0, 5300000.0, 0.5, 0.5)
    # column step (0.5 cos a, 0.5 sin a), row step (0.5 sin a, -0.5 cos a): a 30 degree rotation
    rotated = (north_up[0], 0.5 * math.cos(angle), 0.5 * math.sin(angle),
               north_up[3], 0.5 * math.sin(angle), -0.5 * math.cos(angle))
    plain = gsd_from_georeferencing(wkt(32633), north_up, SIZE, SIZE)
    turned = gsd_from_georeferencing(wkt(32633), rotated, SIZE, SIZE)
    assert turned.x_m == pytest.approx(plain.x_m, rel=1e-4) and turned.y_m == pytest.approx(plain.y_m, rel=1e-4)


@pytest.mark.parametrize("user_input, centre_x, expected", [
    ("EPSG:31467", 3500000.0, 0.5),                  # WKT1 with TOWGS84 (a bound CRS), k = 1
    ("EPSG:32633+5773", 500000.0, 0.5 / 0.9996),     # compound: UTM + EGM96 height
])
def test_gdal_wkt1_bound_and_compound_crs_are_measured_geodesically(user_input, centre_x, expected):
    srs = osr.SpatialReference()
    srs.SetFromUserInput(user_input)
    gt = centred_geotransform(centre_x, 5300000.0, 0.5, 0.5)
    gsd = gsd_from_georeferencing(srs.ExportToWkt(), gt, SIZE, SIZE)  # WKT1, as GetProjection() gives
    assert gsd.x_m == pytest.approx(expected, rel=1e-4) and gsd.y_m == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("crs_wkt, gt", [
    ("", (500000.0, 0.5, 0.0, 5300000.0, 0.0, -0.5)),           # no CRS: units unknown
    (wkt(32633), (0.0, 1.0, 0.0, 0.0, 0.0, 1.0)),               # GDAL's "no geotransform"
    (wkt(32633), (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)),              # QGIS's placeholder grid
])
def test_no_georeferencing_gives_none(crs_wkt, gt):
    assert gsd_from_georeferencing(crs_wkt, gt, SIZE, SIZE) is None


def test_local_crs_uses_its_unit_factor():
    local = 'LOCAL_CS["site grid",UNIT["US survey foot",0.304800609601219],AXIS["E",EAST],AXIS["N",NORTH]]'
    gsd = gsd_from_georeferencing(local, (1000.0, 2.0, 0.0, 5000.0, 0.0, -3.0), SIZE, SIZE)
    assert gsd.x_m == pytest.approx(2 * 0.3048006, rel=1e-6) and gsd.y_m == pytest.approx(3 * 0.3048006, rel=1e-6)


def test_local_crs_without_unit_asks_for_a_user_gsd():
    with pytest.raises(GsdUnknownError, match="GSD"):
        gsd_from_georeferencing('LOCAL_CS["site",UNIT["unknown",0]]', (0.0, 1.0, 0.0, 0.0, 0.0, -1.5), SIZE, SIZE)


def test_tiny_raster_is_measured_over_its_own_size():
    gsd = gsd_from_georeferencing(wkt(32633), (500000.0, 0.5, 0.0, 5300000.0, 0.0, -0.5), 3, 2)
    assert gsd.x_m == pytest.approx(0.5 / 0.9996, rel=1e-3)


def test_user_gsd_is_isotropic_and_marked_user():
    gsd = user_gsd(0.3)
    assert (gsd.x_m, gsd.y_m, gsd.source) == (0.3, 0.3, GSD_SOURCE_USER)


@pytest.mark.parametrize("value", [0, -0.5, float("nan"), float("inf"), 150.0, 0.001, "abc", None])
def test_user_gsd_rejects_implausible_values_naming_the_range(value):
    with pytest.raises(ParameterError, match=r"0\.005 and 100"):
        user_gsd(value)
