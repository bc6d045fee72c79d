"""The synthetic demo town: deterministic, georeferenced, with footprints that match the image."""
import importlib.util
import os

import numpy as np
import pytest
from osgeo import gdal, ogr, osr

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_script(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "scripts", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


scene = load_script("make_demo_scene")


@pytest.fixture(scope="module")
def small_scene(tmp_path_factory):
    return scene.make_scene(str(tmp_path_factory.mktemp("scene")), size=320, gsd=0.3, seed=3)


def test_the_same_seed_gives_the_same_town(small_scene, tmp_path):
    again, _ = scene.make_scene(str(tmp_path), size=320, gsd=0.3, seed=3)
    assert np.array_equal(gdal.Open(small_scene[0]).ReadAsArray(), gdal.Open(again).ReadAsArray())


def test_the_raster_is_georeferenced_rgb(small_scene):
    dataset = gdal.Open(small_scene[0])
    assert (dataset.RasterCount, dataset.RasterXSize, dataset.RasterYSize) == (3, 320, 320)
    assert dataset.GetGeoTransform() == pytest.approx(scene.geotransform(0.3))
    assert osr.SpatialReference(wkt=dataset.GetProjection()).GetAuthorityCode(None) == str(scene.EPSG)


def test_footprints_lie_on_roofs_and_carry_their_ground_area(small_scene):
    raster_path, truth_path = small_scene
    image = gdal.Open(raster_path).ReadAsArray().astype(np.float32)
    source = ogr.Open(truth_path)
    layer = source.GetLayerByName("buildings")
    assert layer.GetFeatureCount() > 3
    for feature in layer:
        geometry = feature.GetGeometryRef()
        # UTM 33N 100 km east of the central meridian: ground and grid areas differ by < 0.1 %.
        assert feature.GetField("area_m2") == pytest.approx(geometry.GetArea(), rel=1e-3)
        x, y = geometry.PointOnSurface().GetPoint_2D()
        col, row = int((x - scene.ORIGIN[0]) / 0.3), int((scene.ORIGIN[1] - y) / 0.3)
        red, green, blue = image[:, row, col]
        assert not (green > red + 15 and green > blue + 15), "a footprint over grass or trees"
