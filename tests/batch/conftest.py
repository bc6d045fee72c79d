"""Scenes for the batch tests: a town of bright squares ("buildings", for the bright-pixel test model) written as
one raster or as the tiles of a mosaic, and the helpers that run a batch and read what it wrote."""
import os

import numpy as np
import pytest
from osgeo import gdal, ogr, osr

# pyproj from a venv does not find Debian's PROJ database by itself (the workers inherit this too).
if os.path.isdir("/usr/share/proj"):
    os.environ.setdefault("PROJ_DATA", "/usr/share/proj")

from building_area_plugin.batch.params import BatchParams  # noqa: E402
from tests.onnx_models import bright_segmentor  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GSD_M = 0.3
ORIGIN = (600000.0, 5340000.0)
EPSG = 32633
DARK, BRIGHT = 30, 255
TILE_PX = 160
MOSAIC_PX = 2 * TILE_PX
# (row, col, side) in the mosaic's pixels; seams at row 160 and column 160.
ACROSS_SEAMS = [(40, 130, 60),    # across the vertical seam
                (135, 135, 50),   # across the corner of all four tiles
                (150, 20, 30)]    # across the horizontal seam
INSIDE = [(20, 20, 20), (230, 230, 25), (250, 40, 12), (60, 250, 4)]
SQUARES = ACROSS_SEAMS + INSIDE


def town(size, squares) -> np.ndarray:
    image = np.full((size, size), DARK, np.uint8)
    for row, col, side in squares:
        image[row:row + side, col:col + side] = BRIGHT
    return image


def write_raster(path, image, col=0, row=0, epsg=EPSG, options=()) -> str:
    """A 3-band GeoTIFF of image whose pixel (0, 0) is the town's pixel (col, row)."""
    height, width = image.shape
    dataset = gdal.GetDriverByName("GTiff").Create(str(path), width, height, 3, gdal.GDT_Byte,
                                                   ["PHOTOMETRIC=RGB", *options])
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    dataset.SetProjection(srs.ExportToWkt())
    dataset.SetGeoTransform((ORIGIN[0] + col * GSD_M, GSD_M, 0.0, ORIGIN[1] - row * GSD_M, 0.0, -GSD_M))
    for band in range(1, 4):
        dataset.GetRasterBand(band).WriteArray(image)
    dataset = None
    return str(path)


def write_mosaic(folder, image, tile=TILE_PX):
    """image cut into tile x tile GeoTIFFs tile_<row>_<col>.tif in folder; their paths."""
    os.makedirs(folder, exist_ok=True)
    paths = []
    for row in range(0, image.shape[0], tile):
        for col in range(0, image.shape[1], tile):
            paths.append(write_raster(os.path.join(folder, f"tile_{row // tile}_{col // tile}.tif"),
                                      image[row:row + tile, col:col + tile], col, row))
    return paths


def square_area_m2(side: int) -> float:
    return (side * GSD_M) ** 2


def expected_areas(squares, min_area_m2=2.0):
    return sorted(a for a in (square_area_m2(side) for _, _, side in squares) if a >= min_area_m2)


@pytest.fixture(scope="session")
def bright_model(tmp_path_factory):
    return bright_segmentor(tmp_path_factory.mktemp("models") / "bright.onnx")


@pytest.fixture
def mosaic(tmp_path):
    """The town as a 2 x 2 mosaic of 160 px tiles in tmp_path/tiles; the folder."""
    folder = tmp_path / "tiles"
    write_mosaic(str(folder), town(MOSAIC_PX, SQUARES))
    return str(folder)


def batch_params(inputs, output, model, **overrides) -> BatchParams:
    values = dict(inputs=list(inputs), output_path=str(output), segmentation_model=model, detection_model=None,
                  workers=0, dashboard_address=None)
    values.update(overrides)
    return BatchParams(**values)


def read_buildings(gpkg, layer="buildings"):
    """[(area_m2, raster, parts, geometry wkt)] of a batch output, sorted by area."""
    dataset = ogr.Open(str(gpkg))
    rows = [(f.GetField("area_m2"), f.GetField("raster"), f.GetField("parts"), f.GetGeometryRef().ExportToWkt())
            for f in dataset.GetLayerByName(layer)]
    return sorted(rows)


def unit_differences(units_dir, reference_dir):
    """The units of units_dir whose buildings or pieces differ from the same unit in reference_dir, each with its
    record: what a failed comparison of two runs of one plan needs to say which unit went wrong, and how."""
    def features(path):
        dataset = ogr.Open(path)
        return {dataset.GetLayer(i).GetName(): sorted(f.GetGeometryRef().ExportToWkt() for f in dataset.GetLayer(i))
                for i in range(dataset.GetLayerCount())}
    differing = []
    for name in sorted(os.listdir(units_dir)):
        ours, theirs = os.path.join(units_dir, name), os.path.join(reference_dir, name)
        if not name.endswith(".gpkg") or not os.path.exists(theirs):
            continue
        here, reference = features(ours), features(theirs)
        if here != reference:
            with open(ours[:-len(".gpkg")] + ".json", encoding="utf-8") as stream:
                differing.append({"unit": name, "here": here, "reference": reference, "record": stream.read()})
    return differing


def read_table(gpkg, layer):
    dataset = ogr.Open(str(gpkg))
    table = dataset.GetLayerByName(layer)
    names = [table.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(table.GetLayerDefn().GetFieldCount())]
    return [{name: feature.GetField(name) for name in names} for feature in table]


def batch_env():
    """The environment of a batch subprocess or a Dask worker: this checkout importable, PROJ's data found."""
    return dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
                PROJ_DATA=os.environ.get("PROJ_DATA", "/usr/share/proj"))
