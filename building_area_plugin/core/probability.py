"""Probability GeoTIFFs (building, building edge): uint8 0..255, tiled and compressed, written row strip by row strip."""
from typing import Optional

import numpy as np
from osgeo import gdal

from .gdal_calls import gdal_call, gdal_progress, gdal_release
from .params import CancelCallback
from .raster import GeoTransform

GTIFF_BLOCK_PX = 256
# ZLEVEL=1: these files are mostly scratch; the fastest DEFLATE keeps compression out of the profile.
GTIFF_OPTIONS = ["TILED=YES", f"BLOCKXSIZE={GTIFF_BLOCK_PX}", f"BLOCKYSIZE={GTIFF_BLOCK_PX}", "COMPRESS=DEFLATE",
                 "ZLEVEL=1", "BIGTIFF=IF_SAFER"]
DESCRIPTION = "building probability x 255"
EDGE_DESCRIPTION = "building edge probability x 255"


def create_geotiff(path: str, width: int, height: int, geotransform: Optional[GeoTransform] = None,
                   crs_wkt: str = "") -> gdal.Dataset:
    """A one-band uint8 GeoTIFF; without a geotransform it lives in pixel coordinates (row down)."""
    ds = gdal_call(f"create {path}", gdal.GetDriverByName("GTiff").Create, path, width, height, 1, gdal.GDT_Byte,
                   GTIFF_OPTIONS)
    if geotransform is not None:
        ds.SetGeoTransform(geotransform)
    if crs_wkt:
        ds.SetProjection(crs_wkt)
    return ds


def to_byte(prob: np.ndarray) -> np.ndarray:
    return np.rint(prob * 255.0).astype(np.uint8)


def threshold_level(threshold: float) -> int:
    """The smallest stored byte that counts as a building for a 0..1 threshold."""
    return int(np.ceil(threshold * 255.0))


class ProbabilityWriter:
    """Receives finished probability windows and writes them to a GeoTIFF."""

    def __init__(self, path: str, width: int, height: int, geotransform: GeoTransform, crs_wkt: str,
                 description: str = DESCRIPTION):
        self.path = path
        self._ds = create_geotiff(path, width, height, geotransform, crs_wkt)
        self._band = self._ds.GetRasterBand(1)
        self._band.SetDescription(description)

    def write(self, row: int, col: int, prob: np.ndarray) -> None:
        gdal_call(f"write {self.path}", self._band.WriteArray, to_byte(prob), col, row)

    def close(self, check: bool = True) -> None:
        """Close the file; with check, OutputError if GDAL could not flush it (check=False after a failure)."""
        def release():
            self._ds = self._band = None
        gdal_release(f"finish writing {self.path}", release, check)


def resample_to_grid(src_path: str, dst_path: str, width: int, height: int, geotransform: GeoTransform,
                     crs_wkt: str, is_cancelled: CancelCallback, description: str = DESCRIPTION) -> None:
    """Warp a work-grid probability onto the raster's grid (GDAL streams it in chunks).

    Bilinear: the work grid is coarser or finer than the raster, and a smooth
    probability thresholds into smooth outlines.
    """
    dst = create_geotiff(dst_path, width, height, geotransform, crs_wkt)
    dst.GetRasterBand(1).SetDescription(description)
    options = gdal.WarpOptions(resampleAlg="bilinear", multithread=True,
                               callback=gdal_progress(is_cancelled))
    def warp():
        return dst if gdal.Warp(dst, src_path, options=options) == 1 else None  # 1: success into a dataset

    def release():
        nonlocal dst
        dst = None

    try:
        gdal_call(f"resample the probability into {dst_path}", warp, is_cancelled=is_cancelled)
    except BaseException:
        release()  # closed now, not when a traceback lets go of this frame
        raise
    gdal_release(f"write {dst_path}", release)

