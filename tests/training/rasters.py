"""Tiny GeoTIFF writer for generated fixtures."""
import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()


def write_tif(path, array, epsg=None, gt=None):
    array = np.atleast_3d(array)
    h, w, bands = array.shape
    ds = gdal.GetDriverByName("GTiff").Create(path, w, h, bands, gdal.GDT_Byte)
    for b in range(bands):
        ds.GetRasterBand(b + 1).WriteArray(array[:, :, b])
    if epsg:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
        ds.SetProjection(srs.ExportToWkt())
        ds.SetGeoTransform(gt)
    ds = None
