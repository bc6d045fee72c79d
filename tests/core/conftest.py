"""Fixtures of the core tests: tiny generated rasters and ONNX models (no data files, no weights)."""
import os

import numpy as np
import pytest
from osgeo import gdal, osr

# pyproj from a venv does not find Debian's PROJ database by itself.
if os.path.isdir("/usr/share/proj"):
    os.environ.setdefault("PROJ_DATA", "/usr/share/proj")

from tests import onnx_models  # noqa: E402

UTM_33N = 32633
GSD_M = 0.3
# Central meridian of UTM 33N: the projection's scale factor there is 0.9996.
UTM_GEOTRANSFORM = (500000.0, GSD_M, 0.0, 5000000.0, 0.0, -GSD_M)


def write_raster(path, rgb, geotransform=None, epsg=None, nodata=None, alpha=None) -> str:
    """A GeoTIFF of uint8 rgb [3, H, W], optionally georeferenced, with a nodata value or an alpha band."""
    bands = 3 + (alpha is not None)
    ds = gdal.GetDriverByName("GTiff").Create(str(path), rgb.shape[2], rgb.shape[1], bands, gdal.GDT_Byte,
                                              ["PHOTOMETRIC=RGB"] + (["ALPHA=YES"] if alpha is not None else []))
    for index, plane in enumerate(list(rgb) + ([alpha] if alpha is not None else []), start=1):
        band = ds.GetRasterBand(index)
        band.WriteArray(plane)
        if nodata is not None:
            band.SetNoDataValue(nodata)
    if geotransform is not None:
        ds.SetGeoTransform(geotransform)
    if epsg is not None:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
        ds.SetProjection(srs.ExportToWkt())
    ds = None
    return str(path)


def square_image(size, squares, background=0):
    """rgb [3, size, size]: white squares (row, col, side) on a uniform background."""
    rgb = np.full((3, size, size), background, np.uint8)
    for row, col, side in squares:
        rgb[:, row:row + side, col:col + side] = 255
    return rgb


@pytest.fixture
def bright_model(tmp_path):
    """The bright-pixel segmentor: 30 cm/px, 64 px tiles, 25 % overlap, no GSD output."""
    return onnx_models.bright_segmentor(tmp_path / "bright.onnx")


@pytest.fixture
def gsd_head_model(tmp_path):
    """The bright-pixel segmentor with a GSD output that always says 0.3 m/px."""
    return onnx_models.bright_segmentor(tmp_path / "bright_gsd.onnx", gsd_m=GSD_M)


# An 80-px square that crosses the test tiles' seams (at 48/64 and 96/112) both ways.
SQUARE = (30, 40, 80)  # row, col, side

@pytest.fixture
def out_dir(tmp_path):
    (tmp_path / "out").mkdir()
    return tmp_path / "out"


@pytest.fixture
def utm_raster(tmp_path):
    return write_raster(tmp_path / "utm.tif", square_image(200, [SQUARE]), UTM_GEOTRANSFORM, UTM_33N)
