"""Small GeoTIFFs with bright squares ("buildings") on a dark ground, for the bright-pixel test model."""
from typing import Iterable, Optional, Tuple

import numpy as np
from osgeo import gdal, osr

DARK, BRIGHT = 30, 255
Square = Tuple[int, int, int]  # (row, col, side) in pixels


def write_squares(path: str, size: int, squares: Iterable[Square], epsg: Optional[int],
                  geotransform: Tuple[float, ...]) -> str:
    """A 3-band uint8 GeoTIFF; epsg None writes no CRS and no geotransform."""
    image = np.full((size, size), DARK, np.uint8)
    for row, col, side in squares:
        image[row:row + side, col:col + side] = BRIGHT
    dataset = gdal.GetDriverByName("GTiff").Create(path, size, size, 3, gdal.GDT_Byte, ["PHOTOMETRIC=RGB"])
    if epsg is not None:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
        dataset.SetProjection(srs.ExportToWkt())
        dataset.SetGeoTransform(geotransform)
    for band in range(1, 4):
        dataset.GetRasterBand(band).WriteArray(image)
    dataset.FlushCache()
    return path
