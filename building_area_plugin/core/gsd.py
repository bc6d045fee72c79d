"""Ground sampling distance (ground metres per pixel) from georeferencing, the user or the model."""
import math
from typing import Optional, Sequence, Tuple

import numpy as np
import pyproj
from osgeo import osr
from pyproj.exceptions import CRSError, ProjError

from .errors import GsdUnknownError, ParameterError
from .params import GSD_SOURCE_GEOREFERENCING, GSD_SOURCE_MODEL, GSD_SOURCE_USER, GroundSampling
from .raster import has_geotransform

MEASURE_SPAN_PX = 100    # the GSD is measured over this many pixels around the raster centre
USER_GSD_MIN_M = 0.005   # below: a microscope, not aerial imagery
USER_GSD_MAX_M = 100.0   # above: buildings are sub-pixel
WGS84 = pyproj.Geod(ellps="WGS84")
Z_80 = 1.2816            # half-width of a two-sided 80 % normal interval, in standard deviations
MAD_TO_SD = 1.4826       # median absolute deviation -> standard deviation of a normal
DISAGREEMENT_RATIO = 2.0  # georeferencing and GSD head further apart than this: warn


def _horizontal_crs(crs: pyproj.CRS) -> pyproj.CRS:
    """The 2D horizontal part: a compound CRS's first member, a bound CRS's source CRS."""
    if crs.is_bound:
        crs = crs.source_crs
    if crs.is_compound:
        crs = crs.sub_crs_list[0]
    return crs


def geodetic_frame(crs_wkt: str) -> Optional[Tuple[pyproj.Transformer, pyproj.Geod]]:
    """(x, y) -> (lon, lat) on the CRS's own datum, and that datum's ellipsoid to measure on.

    None for an empty or unparsable CRS and for engineering/local CRSs (no datum, so no
    place on the Earth). Staying on the CRS's own datum needs no datum-shift grids, and
    measuring on its own ellipsoid keeps distances exact (Bessel lon/lat measured on
    WGS 84 would be 1.2e-4 too long); WGS 84 is used if the datum has no ellipsoid.
    """
    if not crs_wkt:
        return None
    try:
        crs = _horizontal_crs(pyproj.CRS.from_wkt(crs_wkt))
        geodetic = crs.geodetic_crs
        if geodetic is None:
            return None
        return pyproj.Transformer.from_crs(crs, geodetic, always_xy=True), geodetic.get_geod() or WGS84
    except (CRSError, ProjError):
        return None


def _pixel_to_crs(geotransform: Sequence[float], cols: np.ndarray,
                  rows: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    gt = geotransform
    return gt[0] + cols * gt[1] + rows * gt[2], gt[3] + cols * gt[4] + rows * gt[5]


def _geodesic_gsd(transformer: pyproj.Transformer, geod: pyproj.Geod, geotransform: Sequence[float],
                  width: int, height: int) -> Optional[GroundSampling]:
    """Ground length of one column step and one row step at the raster centre.

    Measures the geodesic between the two points half a span either side of the centre
    along each pixel-step vector (central difference), so rotation, shear, linear units
    and the projection's local scale factor are all accounted for. None if the centre
    lies outside the projection's domain.
    """
    span_x, span_y = min(MEASURE_SPAN_PX, width), min(MEASURE_SPAN_PX, height)
    cx, cy = width / 2.0, height / 2.0
    cols = np.array([cx - span_x / 2, cx + span_x / 2, cx, cx])
    rows = np.array([cy, cy, cy - span_y / 2, cy + span_y / 2])
    lon, lat = transformer.transform(*_pixel_to_crs(geotransform, cols, rows), errcheck=False)
    if not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
        return None
    _, _, distances = geod.inv(lon[[0, 2]], lat[[0, 2]], lon[[1, 3]], lat[[1, 3]])
    x_m, y_m = float(distances[0]) / span_x, float(distances[1]) / span_y
    if not (x_m > 0 and y_m > 0 and math.isfinite(x_m) and math.isfinite(y_m)):
        return None
    return GroundSampling(x_m, y_m, GSD_SOURCE_GEOREFERENCING)


def _metres_per_unit(crs_wkt: str) -> float:
    """The CRS's linear unit in metres, per GDAL; NaN when it has none (or is geographic)."""
    srs = osr.SpatialReference()
    try:
        imported = srs.ImportFromWkt(crs_wkt) == 0
    except RuntimeError:  # raised instead of an error code if gdal.UseExceptions() is on
        imported = False
    if not imported or srs.IsGeographic():
        return math.nan
    return srs.GetLinearUnits()


def _unit_factor_gsd(crs_wkt: str, geotransform: Sequence[float]) -> GroundSampling:
    """Pixel size times the CRS's linear unit, for CRSs not tied to the Earth (local grids)."""
    metres_per_unit = _metres_per_unit(crs_wkt)
    if not (metres_per_unit > 0 and math.isfinite(metres_per_unit)):
        raise GsdUnknownError(
            "The raster's pixel size cannot be converted to metres: its CRS has no usable length unit "
            "(or the raster lies outside the CRS's valid area). Enter the ground sampling distance "
            "(metres per pixel) in the GSD parameter.")
    gt = geotransform
    x_m = math.hypot(gt[1], gt[4]) * metres_per_unit
    y_m = math.hypot(gt[2], gt[5]) * metres_per_unit
    return GroundSampling(x_m, y_m, GSD_SOURCE_GEOREFERENCING)


def gsd_from_georeferencing(crs_wkt: str, geotransform: Sequence[float],
                            width: int, height: int) -> Optional[GroundSampling]:
    """True ground metres per pixel along columns (x) and rows (y) at the raster centre.

    None without georeferencing: no CRS (pixel units unknown) or no geotransform (GDAL's
    placeholder (0, 1, 0, 0, 0, 1) or QGIS's (0, 1, 0, 0, 0, -1)). For a CRS on a datum the
    size is geodesic, on the datum's ellipsoid; for a local CRS it is the pixel size times
    the CRS's unit. Raises GsdUnknownError if a local CRS has no length unit.
    """
    if not crs_wkt or not has_geotransform(geotransform):
        return None
    frame = geodetic_frame(crs_wkt)
    if frame is not None:
        gsd = _geodesic_gsd(*frame, geotransform, width, height)
        if gsd is not None:
            return gsd
    return _unit_factor_gsd(crs_wkt, geotransform)


def user_gsd(value_m: float) -> GroundSampling:
    """A GSD given by the user, in metres per pixel, checked to be plausible imagery."""
    try:
        value = float(value_m)
    except (TypeError, ValueError):
        value = math.nan
    if not USER_GSD_MIN_M <= value <= USER_GSD_MAX_M:  # also false for NaN
        raise ParameterError(
            f"GSD {value_m!r} m/px is out of range: enter the ground size of one pixel in metres, "
            f"between {USER_GSD_MIN_M} and {USER_GSD_MAX_M:g} (e.g. 0.3), or leave it empty/0 for automatic.")
    return GroundSampling(value, value, GSD_SOURCE_USER)


def centre_and_spread(log_gsd: np.ndarray) -> Tuple[float, float]:
    """The tiles' log-GSD reads as one estimate: their median and a robust standard deviation."""
    values = np.asarray(log_gsd, np.float64).ravel()
    centre = float(np.median(values))
    return centre, MAD_TO_SD * float(np.median(np.abs(values - centre)))


def gsd_from_model(log_gsd: np.ndarray, log_error: float = 0.0) -> GroundSampling:
    """The GSD head's estimate: the median over tiles, with an 80 % interval.

    The interval's half-width in log space combines the tiles' spread (a robust standard
    deviation) with the model's own error on images it was not fitted to (``log_error``,
    from its metadata 'gsd_log_error', calibrated at export so that the interval holds the
    true GSD on 80 % of training images). Areas scale as the GSD squared.
    """
    centre, spread = centre_and_spread(log_gsd)
    half = math.hypot(Z_80 * spread, log_error)
    value = math.exp(centre)
    return GroundSampling(value, value, GSD_SOURCE_MODEL, (math.exp(centre - half), math.exp(centre + half)))


def disagreement(georeferenced_m: float, model_m: float) -> Optional[str]:
    """A one-line warning when the georeferencing's GSD and the GSD head's differ by more than 2x."""
    ratio = max(georeferenced_m, model_m) / min(georeferenced_m, model_m)
    if ratio <= DISAGREEMENT_RATIO:
        return None
    return (f"The georeferencing says {georeferenced_m:.3g} m/px but the image looks like {model_m:.3g} m/px to "
            f"the model ({ratio:.1f}x apart): areas use the georeferencing's; if the CRS or geotransform is wrong "
            f"(e.g. a screenshot placed on a web map), fix it or enter the GSD by hand.")
