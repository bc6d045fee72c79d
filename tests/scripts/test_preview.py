"""scripts/preview.py: the PNG preview of a run, alone and beside another run's buildings (before / after)."""
import cv2
import numpy as np
from osgeo import ogr, osr

from scripts import preview
from tests.core.conftest import UTM_33N, UTM_GEOTRANSFORM, write_raster

GSD = UTM_GEOTRANSFORM[1]


def buildings_gpkg(path, col: int, row: int, side: int) -> str:
    """One square building side x side px whose top-left pixel is (col, row) of the test raster."""
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(UTM_33N)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = ds.CreateLayer("buildings", srs, ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("area_m2", ogr.OFTReal))
    x0, y0 = UTM_GEOTRANSFORM[0] + col * GSD, UTM_GEOTRANSFORM[3] - row * GSD
    x1, y1 = x0 + side * GSD, y0 - side * GSD
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetGeometry(ogr.CreateGeometryFromWkt(f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"))
    feature.SetField("area_m2", (side * GSD) ** 2)
    layer.CreateFeature(feature)
    ds = None
    return str(path)


def outlined(panel: np.ndarray) -> np.ndarray:
    """Pixels of the yellow outline (anti-aliased: scaled towards the black background), not the white titles."""
    blue, green = panel[..., 0].astype(int), panel[..., 1].astype(int)
    return (green > 60) & (blue < green // 2)


def test_two_runs_are_drawn_side_by_side_each_on_its_own_copy_of_the_image(tmp_path):
    raster = write_raster(tmp_path / "r.tif", np.zeros((3, 60, 80), np.uint8), UTM_GEOTRANSFORM, UTM_33N)
    before = buildings_gpkg(tmp_path / "before.gpkg", 10, 10, 20)
    after = buildings_gpkg(tmp_path / "after.gpkg", 45, 30, 20)
    out = str(tmp_path / "p.png")
    assert preview.preview(raster, before, out, beside=after, titles=["before", "after"], areas=False) == 1
    image = cv2.imread(out)
    assert image.shape == (60, 2 * 80 + 8, 3)
    left, right = image[:, :80], image[:, 88:]
    assert outlined(left)[10:31, 10:31].any() and not outlined(left)[30:51, 45:66].any()
    assert outlined(right)[30:51, 45:66].any() and not outlined(right)[10:31, 10:31].any()
