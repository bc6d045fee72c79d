"""Windowed reading of an input raster through GDAL as 8-bit RGB plus a validity mask.

A raster is never read whole: colour statistics come from one downsampled read and
the pipeline reads windows, so rasters far larger than memory work.
"""
import contextlib
import math
import os
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
from osgeo import gdal

from .errors import InputRasterError, one_line

GeoTransform = Tuple[float, float, float, float, float, float]

# What GDAL reports for a raster without a geotransform (row numbers grow downwards)...
GDAL_DEFAULT_GEOTRANSFORM: GeoTransform = (0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
# ...and where QGIS's GDAL provider draws such a raster instead: x = column, y = -row
# (QgsGdalProvider::initBaseDataset sets mGeoTransform to this when GDALGetGeoTransform fails;
# a 300x200 plain TIFF has extent 0,-200 : 300,0 in QGIS 3.22). Output polygons use it so that
# they overlay the raster in QGIS.
QGIS_DEFAULT_GEOTRANSFORM: GeoTransform = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)

STATS_SAMPLE_MAX_PX = 1024        # colour statistics come from a read of at most this many px a side
STRETCH_PERCENTILES = (2.0, 98.0)
# Window edges closer than this (in output pixels) to a raster edge count as on it,
# so that float noise in x_size / out_width does not drop a whole output row.
_EDGE_EPS = 1e-6

_FLOAT_TYPES = (gdal.GDT_Float32, gdal.GDT_Float64)
_COLOUR_INTERPRETATIONS = (gdal.GCI_RedBand, gdal.GCI_GreenBand, gdal.GCI_BlueBand)
# Mask flags whose condition is checked directly on the data or on the alpha band.
_MASK_FLAGS_HANDLED_ELSEWHERE = gdal.GMF_ALL_VALID | gdal.GMF_NODATA | gdal.GMF_ALPHA


@contextlib.contextmanager
def _quiet_gdal() -> Iterator[None]:
    """Keep GDAL's own error printing off stderr; errors are turned into InputRasterError."""
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        yield
    finally:
        gdal.PopErrorHandler()


def _open_dataset(path: str) -> gdal.Dataset:
    if os.path.isfile(path) and not os.access(path, os.R_OK):
        raise InputRasterError(f"Input raster '{path}' is not readable: give yourself read permission on it "
                               "(or copy it to a folder of yours) and run again.")
    detail = ""
    with _quiet_gdal():
        gdal.ErrorReset()
        try:
            ds = gdal.OpenEx(path, gdal.OF_RASTER | gdal.OF_READONLY)
        except RuntimeError as exc:  # raised instead of returning None if gdal.UseExceptions() is on
            ds, detail = None, str(exc)
        detail = one_line(detail or gdal.GetLastErrorMsg())
    if ds is not None:
        return ds
    if not path.startswith("/vsi") and not os.path.exists(path):
        raise InputRasterError(f"Input raster not found: '{path}'. Check the path and that the file exists.")
    if os.path.isdir(path):
        raise InputRasterError(f"'{path}' is a folder, not a raster: choose an image file inside it.")
    raise InputRasterError(
        f"Cannot read '{path}' as a raster ({detail or 'not a raster format GDAL knows'}). "
        "Choose an image GDAL can open, e.g. a GeoTIFF, JPEG or PNG.")


def _check_usable(ds: gdal.Dataset, path: str) -> None:
    if ds.RasterCount == 0 or ds.RasterXSize == 0 or ds.RasterYSize == 0:
        subdatasets = [v for k, v in (ds.GetMetadata("SUBDATASETS") or {}).items() if k.endswith("_NAME")]
        if subdatasets:
            raise InputRasterError(
                f"'{path}' is a container of several rasters; choose one of them, e.g. '{subdatasets[0]}'.")
        raise InputRasterError(f"'{path}' has no pixels ({ds.RasterXSize} x {ds.RasterYSize} px, "
                               f"{ds.RasterCount} bands). Choose a raster with image data.")
    for index in range(1, ds.RasterCount + 1):
        if gdal.DataTypeIsComplex(ds.GetRasterBand(index).DataType):
            raise InputRasterError(f"'{path}' has complex-valued band {index}; convert it to real values "
                                   "(e.g. amplitude) before detecting buildings.")
    gt = ds.GetGeoTransform()
    if gt[1] * gt[5] - gt[2] * gt[4] == 0:
        raise InputRasterError(f"'{path}' has a degenerate geotransform {gt} (zero pixel size); fix its "
                               "georeferencing or remove it.")


def _warp_if_needed(ds: gdal.Dataset) -> gdal.Dataset:
    """Georeference a raster located only by GCPs or RPCs, as QGIS does.

    QGIS's GDAL provider shows such rasters through an automatically warped VRT, so
    polygons must be computed on that warped grid to overlay it. An alpha band marks
    the warped-in corners as no data. Without a usable CRS the warp fails and QGIS (and
    this reader) fall back to the plain pixel grid.
    """
    if ds.GetGeoTransform(can_return_null=True) is not None:
        return ds
    if ds.GetGCPCount() == 0 and not ds.GetMetadata("RPC"):
        return ds
    with _quiet_gdal():
        try:
            warped = gdal.Warp("", ds, format="VRT", dstAlpha=True, resampleAlg="near", errorThreshold=0.2)
        except RuntimeError:
            warped = None
    return warped or ds


def _crs_wkt(ds: gdal.Dataset) -> str:
    srs = ds.GetSpatialRef()
    if srs is None:
        return ""
    # WKT2 keeps what WKT1 cannot express (e.g. some axis/unit combinations); pyproj, QGIS and OGR read it.
    return srs.ExportToWkt(["FORMAT=WKT2_2019"])


def _alpha_band(ds: gdal.Dataset) -> Optional[int]:
    for index in range(1, ds.RasterCount + 1):
        if ds.GetRasterBand(index).GetColorInterpretation() == gdal.GCI_AlphaBand:
            return index
    # GDAL flags the last band as alpha (GMF_ALPHA) for e.g. 2- and 4-band PNG/TIFF without interpretation.
    if ds.RasterCount > 1 and ds.GetRasterBand(1).GetMaskFlags() & gdal.GMF_ALPHA:
        return ds.RasterCount
    return None


def _rgb_bands(ds: gdal.Dataset, alpha_band: Optional[int]) -> Tuple[int, int, int]:
    by_interpretation: Dict[int, int] = {}
    for index in range(ds.RasterCount, 0, -1):  # descending, so the first band of a kind wins
        by_interpretation[ds.GetRasterBand(index).GetColorInterpretation()] = index
    if all(ci in by_interpretation for ci in _COLOUR_INTERPRETATIONS):
        red, green, blue = (by_interpretation[ci] for ci in _COLOUR_INTERPRETATIONS)
        return red, green, blue
    candidates = [i for i in range(1, ds.RasterCount + 1) if i != alpha_band] or [1]
    if len(candidates) >= 3:
        return candidates[0], candidates[1], candidates[2]
    return candidates[0], candidates[0], candidates[0]  # grey (or grey + extra band): replicate


def _palette_band(ds: gdal.Dataset, rgb_bands: Tuple[int, int, int]) -> Optional[int]:
    band = ds.GetRasterBand(rgb_bands[0])
    if len(set(rgb_bands)) == 1 and band.GetColorTable() is not None:
        return rgb_bands[0]
    return None


def _is_plain_byte(band: gdal.Band) -> bool:
    if band.DataType != gdal.GDT_Byte:
        return False
    # Signed 8-bit pixels: GDAL 3.7+ reads them as GDT_Int8 (and only warns when asked for
    # PIXELTYPE); GDAL 3.6 reads them as GDT_Byte marked PIXELTYPE=SIGNEDBYTE.
    return hasattr(gdal, "GDT_Int8") or band.GetMetadataItem("PIXELTYPE", "IMAGE_STRUCTURE") != "SIGNEDBYTE"


def has_geotransform(geotransform: Optional[Sequence[float]]) -> bool:
    """False for None and for the placeholders GDAL and QGIS use for a raster without one.

    A CRS without a geotransform does not place pixels on the ground, so callers
    measuring ground sizes treat both placeholders as "not georeferenced".
    """
    if geotransform is None:
        return False
    return tuple(float(v) for v in geotransform) not in (GDAL_DEFAULT_GEOTRANSFORM, QGIS_DEFAULT_GEOTRANSFORM)


def _inside_span(offset: float, scale: float, n_out: int, n_src: int) -> Optional[Tuple[int, int]]:
    """Output pixels [first, last) whose whole footprint lies inside the raster, along one axis.

    Output pixel k covers source coordinates [offset + k*scale, offset + (k+1)*scale).
    A pixel only partly inside (a window not aligned with the raster edge) stays invalid
    rather than being squeezed in, which would shift the pixels next to it.
    """
    first = max(0, math.ceil(-offset / scale - _EDGE_EPS))
    last = min(n_out, math.floor((n_src - offset) / scale + _EDGE_EPS))
    return (first, last) if last > first else None


def _source_span(offset: float, scale: float, span: Tuple[int, int], n_src: int) -> Tuple[float, float]:
    """(start, size) in source pixels of output pixels span, clamped against float noise."""
    start = min(max(0.0, offset + span[0] * scale), float(n_src))
    end = min(max(start, offset + span[1] * scale), float(n_src))
    return start, end - start


def _nodata_in_buffer(nodata: float, dtype: np.dtype) -> Optional[np.generic]:
    """The no-data value as the read buffer stores it, or None if no pixel can hold it."""
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        if not float(nodata).is_integer() or not info.min <= nodata <= info.max:
            return None
    elif math.isnan(nodata):
        return None  # NaN pixels are invalid anyway
    return dtype.type(nodata)


def _stretch_to_byte(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Map low..high to 0..255. Halving first keeps every step finite, even for float64 data near its limits."""
    half_low = low / 2.0
    scaled = (values.astype(np.float64) / 2.0 - half_low) * (255.0 / (high / 2.0 - half_low))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


class RasterSource:
    """An open input raster read window by window as RGB uint8 with a validity mask.

    Attributes:
        path, width, height, band_count.
        crs_wkt: the CRS as WKT2, '' without one.
        geotransform: GDAL's geotransform (GDAL_DEFAULT_GEOTRANSFORM without one).
        output_geotransform: maps pixel (col, row) to the coordinates QGIS shows the raster
            in, and that output polygons must use: the geotransform, or
            QGIS_DEFAULT_GEOTRANSFORM (y = -row) for a raster without georeferencing.
        has_georeferencing: the raster has a CRS or a real geotransform.
        rgb_bands: 1-based bands shown as R, G, B (one band three times for grey or palette).
        palette_band: the band expanded through its colour table, or None.
        alpha_band: 1-based alpha band, or None.
        nodata: no-data value of each band (index 0 = band 1), None where unset.

    A raster located only by GCPs/RPCs is read through a warped VRT, as QGIS displays it;
    the attributes then describe that warped grid.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        dataset = _open_dataset(path)
        _check_usable(dataset, path)
        self._ds = _warp_if_needed(dataset)
        self._source_ds = dataset  # kept alive: a warped VRT reads from it
        ds = self._ds
        self.width: int = ds.RasterXSize
        self.height: int = ds.RasterYSize
        self.band_count: int = ds.RasterCount
        self.crs_wkt: str = _crs_wkt(ds)
        self.geotransform: GeoTransform = tuple(ds.GetGeoTransform())  # type: ignore[assignment]
        georeferenced_grid = has_geotransform(ds.GetGeoTransform(can_return_null=True))
        self.has_georeferencing: bool = bool(self.crs_wkt) or georeferenced_grid
        self.output_geotransform: GeoTransform = (self.geotransform if georeferenced_grid
                                                  else QGIS_DEFAULT_GEOTRANSFORM)
        self.alpha_band: Optional[int] = _alpha_band(ds)
        self.rgb_bands: Tuple[int, int, int] = _rgb_bands(ds, self.alpha_band)
        self.palette_band: Optional[int] = _palette_band(ds, self.rgb_bands)
        self.nodata: List[Optional[float]] = [ds.GetRasterBand(i).GetNoDataValue()
                                              for i in range(1, ds.RasterCount + 1)]
        self._setup_reading()
        self._probe_corners()
        self._stretch = self._compute_stretch()

    # -- reading plan -------------------------------------------------------------------
    def _setup_reading(self) -> None:
        """Decide which dataset and bands give colour and which give validity."""
        ds = self._ds
        if self.palette_band is not None:
            # GDAL expands the palette (nodata index -> alpha 0) into a virtual RGBA dataset.
            self._read_ds = gdal.Translate("", ds, format="VRT", bandList=[self.palette_band], rgbExpand="rgba")
            self._colour_bands: Tuple[int, ...] = (1, 2, 3)
            self._read_alpha: Optional[int] = 4
            self._band_nodata: Dict[int, float] = {}
        else:
            self._read_ds = ds
            self._colour_bands = tuple(sorted(set(self.rgb_bands)))
            self._read_alpha = self.alpha_band
            self._band_nodata = {b: self.nodata[b - 1] for b in self._colour_bands if self.nodata[b - 1] is not None}
        self._mask_bands = self._explicit_masks()
        self._is_byte = all(_is_plain_byte(self._read_ds.GetRasterBand(b)) for b in self._colour_bands)
        # float64 data is read as float64: in float32, values beyond ±3.4e38 would turn into inf (invalid).
        float64 = any(self._read_ds.GetRasterBand(b).DataType == gdal.GDT_Float64 for b in self._colour_bands)
        self._buf_type = gdal.GDT_Byte if self._is_byte else (gdal.GDT_Float64 if float64 else gdal.GDT_Float32)

    def _probe_corners(self) -> None:
        """Read a pixel at each corner and the centre: a truncated or corrupt file fails now, not mid-run."""
        right, bottom = self.width - 1, self.height - 1
        for col, row in sorted({(0, 0), (right, 0), (0, bottom), (right, bottom), (right // 2, bottom // 2)}):
            self._read(self._read_ds, (float(col), float(row), 1.0, 1.0), 1, 1, gdal.GRIORA_NearestNeighbour,
                       list(self._colour_bands), self._buf_type)

    def _explicit_masks(self) -> List[gdal.Band]:
        """GDAL mask bands (internal masks, .msk files) not already covered by nodata or alpha."""
        masks: List[gdal.Band] = []
        seen_per_dataset = False
        for index in sorted(set(self.rgb_bands)):
            band = self._ds.GetRasterBand(index)
            flags = band.GetMaskFlags()
            if flags & _MASK_FLAGS_HANDLED_ELSEWHERE:
                continue
            if flags & gdal.GMF_PER_DATASET:
                if seen_per_dataset:
                    continue
                seen_per_dataset = True
            masks.append(band.GetMaskBand())
        return masks

    def _compute_stretch(self) -> Dict[int, Tuple[float, float]]:
        """Per colour band (low, high) mapped to 0..255; empty for 8-bit data used as is.

        Computed once from a nearest-neighbour read of at most STATS_SAMPLE_MAX_PX a side
        (GDAL uses overviews for it when present), so every window is scaled the same way.
        """
        if self._is_byte:
            return {}
        scale = max(self.width / STATS_SAMPLE_MAX_PX, self.height / STATS_SAMPLE_MAX_PX, 1.0)
        out_w, out_h = max(1, round(self.width / scale)), max(1, round(self.height / scale))
        data, valid = self._read_inside((0.0, 0.0, float(self.width), float(self.height)),
                                        out_w, out_h, gdal.GRIORA_NearestNeighbour)
        samples = [band_data[valid] for band_data in data]
        integer_data = all(self._read_ds.GetRasterBand(b).DataType not in _FLOAT_TYPES
                           for b in self._colour_bands)
        if integer_data and all(s.size == 0 or (s.min() >= 0 and s.max() <= 255) for s in samples):
            # 8-bit imagery stored in a wider integer type: use it as is, like 8-bit data.
            return {b: (0.0, 255.0) for b in self._colour_bands}
        return {b: self._percentile_range(s) for b, s in zip(self._colour_bands, samples)}

    @staticmethod
    def _percentile_range(samples: np.ndarray) -> Tuple[float, float]:
        if samples.size == 0:
            return 0.0, 255.0
        # Of halved values, so that interpolating between values near float64's limits cannot overflow.
        low, high = (2.0 * float(v) for v in np.percentile(samples.astype(np.float64) / 2.0, STRETCH_PERCENTILES))
        if not high / 2.0 > low / 2.0:
            # A constant band has no range to stretch: use its values as is (clipped to 0..255).
            return 0.0, 255.0
        return low, high

    # -- window reads -------------------------------------------------------------------
    def read_window(self, x_off: float, y_off: float, x_size: float, y_size: float,
                    out_width: Optional[int] = None, out_height: Optional[int] = None
                    ) -> Tuple[np.ndarray, np.ndarray]:
        """Read source window (x_off, y_off, x_size, y_size), in pixels, resampled to out size.

        Returns (rgb uint8 [3, h, w], valid bool [h, w]). The window may extend past any
        raster edge: those pixels are zero and invalid, as are output pixels only partly
        inside the raster. Offsets and sizes may be fractional (GDAL floating-point
        windows): downsampling averages, upsampling and fractional offsets interpolate
        bilinearly, so placement is exact and values are within half a source pixel.
        Palette rasters are always sampled nearest-neighbour (GDAL cannot average indices).
        """
        out_w = int(out_width) if out_width is not None else int(round(x_size))
        out_h = int(out_height) if out_height is not None else int(round(y_size))
        if out_w <= 0 or out_h <= 0 or not x_size > 0 or not y_size > 0:
            raise ValueError(f"Empty window or output size: {(x_size, y_size, out_w, out_h)}")
        rgb = np.zeros((3, out_h, out_w), dtype=np.uint8)
        valid = np.zeros((out_h, out_w), dtype=bool)
        x_scale, y_scale = x_size / out_w, y_size / out_h
        cols = _inside_span(x_off, x_scale, out_w, self.width)
        rows = _inside_span(y_off, y_scale, out_h, self.height)
        if cols is None or rows is None:
            return rgb, valid
        x0, xs = _source_span(x_off, x_scale, cols, self.width)
        y0, ys = _source_span(y_off, y_scale, rows, self.height)
        buf_w, buf_h = cols[1] - cols[0], rows[1] - rows[0]
        algorithm = self._resample_algorithm((x0, y0, xs, ys), buf_w, buf_h)
        data, inside_valid = self._read_inside((x0, y0, xs, ys), buf_w, buf_h, algorithm)
        rgb[:, rows[0]:rows[1], cols[0]:cols[1]] = self._to_rgb(data)
        valid[rows[0]:rows[1], cols[0]:cols[1]] = inside_valid
        return rgb, valid

    def _resample_algorithm(self, window: Tuple[float, float, float, float], buf_w: int, buf_h: int) -> int:
        x0, y0, xs, ys = window
        if self.palette_band is not None:
            return gdal.GRIORA_NearestNeighbour
        if xs > buf_w or ys > buf_h:
            return gdal.GRIORA_Average
        if xs < buf_w or ys < buf_h or not float(x0).is_integer() or not float(y0).is_integer():
            return gdal.GRIORA_Bilinear
        return gdal.GRIORA_NearestNeighbour  # a plain copy

    def _read_inside(self, window: Tuple[float, float, float, float], buf_w: int, buf_h: int,
                     algorithm: int) -> Tuple[np.ndarray, np.ndarray]:
        """Colour bands [n, h, w] (raw values) and validity of a window inside the raster."""
        data = self._read(self._read_ds, window, buf_w, buf_h, algorithm, list(self._colour_bands), self._buf_type)
        valid = np.ones((buf_h, buf_w), dtype=bool)
        for band_data, band in zip(data, self._colour_bands):
            nodata = self._band_nodata.get(band)
            stored = None if nodata is None else _nodata_in_buffer(nodata, data.dtype)
            if stored is not None:
                valid &= band_data != stored
        if not self._is_byte:
            valid &= np.isfinite(data).all(axis=0)
        if self._read_alpha is not None:
            alpha = self._read(self._read_ds, window, buf_w, buf_h, algorithm, [self._read_alpha], gdal.GDT_Byte)
            valid &= alpha[0] > 0
        for mask in self._mask_bands:
            valid &= self._read_band(mask, window, buf_w, buf_h, algorithm) > 0
        return data, valid

    def _read(self, ds: gdal.Dataset, window: Tuple[float, float, float, float], buf_w: int, buf_h: int,
              algorithm: int, bands: Sequence[int], buf_type: int) -> np.ndarray:
        x0, y0, xs, ys = window
        with _quiet_gdal():
            try:
                data = ds.ReadAsArray(x0, y0, xs, ys, buf_xsize=buf_w, buf_ysize=buf_h, buf_type=buf_type,
                                      resample_alg=algorithm, band_list=list(bands))
            except RuntimeError:
                data = None
            message = one_line(gdal.GetLastErrorMsg())
        if data is None:
            raise InputRasterError(f"'{self.path}' is truncated or corrupt: reading its pixels {window} failed "
                                   f"({message.rstrip('.') or 'GDAL gave no reason'}). Copy or export the file again.")
        return data.reshape(len(bands), buf_h, buf_w)

    def _read_band(self, band: gdal.Band, window: Tuple[float, float, float, float], buf_w: int, buf_h: int,
                   algorithm: int) -> np.ndarray:
        x0, y0, xs, ys = window
        with _quiet_gdal():
            data = band.ReadAsArray(x0, y0, xs, ys, buf_xsize=buf_w, buf_ysize=buf_h, resample_alg=algorithm)
        if data is None:
            raise InputRasterError(f"Reading the mask of '{self.path}' failed; the file may be corrupt.")
        return data

    def _to_rgb(self, data: np.ndarray) -> np.ndarray:
        """Map the raw colour-band values to the 3 x uint8 R, G, B planes."""
        if self._is_byte:
            planes = {b: data[i] for i, b in enumerate(self._colour_bands)}
        else:
            clean = np.nan_to_num(data, nan=0.0, posinf=0.0, neginf=0.0)
            planes = {b: _stretch_to_byte(clean[i], *self._stretch[b]) for i, b in enumerate(self._colour_bands)}
        read_rgb = (1, 2, 3) if self.palette_band is not None else self.rgb_bands
        return np.stack([planes[b] for b in read_rgb])

    # -- lifetime -----------------------------------------------------------------------
    def close(self) -> None:
        """Release the GDAL datasets (idempotent)."""
        self._mask_bands = []
        self._read_ds = None
        self._ds = None
        self._source_ds = None

    def __enter__(self) -> "RasterSource":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
