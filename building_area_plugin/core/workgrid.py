"""The grid the model works on: the raster window itself, or that window resampled to the model's GSD.

Resampling is exact and tile-aligned: ``align`` work pixels span exactly ``raster_step``
raster pixels, and tiles start at multiples of ``align``, so each tile reads an
integer raster window and the work grid's geotransform is the raster's, scaled.
The price is a scale of align/raster_step, within SCALE_TOLERANCE of the GSD ratio.
"""
import math
from dataclasses import dataclass
from typing import Optional, Tuple

from osgeo import gdal

from .raster import GeoTransform

# Within this relative GSD difference the model runs on the raster's own pixels.
RESAMPLE_TOLERANCE = 0.10
# The model sees imagery within this relative error of its GSD after resampling (areas
# are exact regardless: the work grid's geotransform is exact).
SCALE_TOLERANCE = 0.02
EDGE_TOLERANCE_PX = 1e-6

@dataclass(frozen=True)
class PixelWindow:
    """A window of the raster in pixels."""
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class WorkGrid:
    window: PixelWindow  # raster pixels processed
    align: int           # work pixels ...
    raster_step: int     # ... that span exactly this many raster pixels

    @property
    def resampled(self) -> bool:
        return self.align != self.raster_step

    @property
    def raster_px_per_work_px(self) -> float:
        return self.raster_step / self.align

    @property
    def width(self) -> int:
        return math.ceil(self.window.width * self.align / self.raster_step)

    @property
    def height(self) -> int:
        return math.ceil(self.window.height * self.align / self.raster_step)

    @property
    def analysed_width(self) -> int:
        """Work columns whose centres lie inside the window (the last one may overhang it)."""
        return min(self.width, round(self.window.width * self.align / self.raster_step))

    @property
    def analysed_height(self) -> int:
        return min(self.height, round(self.window.height * self.align / self.raster_step))

    def raster_window(self, x: int, y: int, size: int) -> Tuple[int, int, int]:
        """Raster (x, y, side) read for a work tile at (x, y); x, y, size are multiples of ``align``."""
        def to_raster(v: int) -> int:
            return v * self.raster_step // self.align  # exact: v is a multiple of align
        return self.window.x + to_raster(x), self.window.y + to_raster(y), to_raster(size)

    def geotransform(self, raster_geotransform: GeoTransform) -> GeoTransform:
        """The work grid's geotransform, from the raster's (rotation terms included)."""
        window_gt = window_geotransform(raster_geotransform, self.window)
        return scaled_geotransform(window_gt, self.raster_px_per_work_px)


def window_geotransform(gt: GeoTransform, window: PixelWindow) -> GeoTransform:
    return (gt[0] + window.x * gt[1] + window.y * gt[2], gt[1], gt[2],
            gt[3] + window.x * gt[4] + window.y * gt[5], gt[4], gt[5])


def scaled_geotransform(gt: GeoTransform, factor: float) -> GeoTransform:
    return (gt[0], gt[1] * factor, gt[2] * factor, gt[3], gt[4] * factor, gt[5] * factor)


def plan_work_grid(window: PixelWindow, image_gsd_m: float, model_gsd_m: float, tile_size: int) -> WorkGrid:
    """Work on the raster's pixels when its GSD is within 10 % of the model's, else resample to the model's."""
    ratio = image_gsd_m / model_gsd_m  # work pixels per raster pixel
    if abs(ratio - 1.0) <= RESAMPLE_TOLERANCE:
        return WorkGrid(window, 1, 1)
    return _aligned_grid(window, ratio, tile_size)


def _aligned_grid(window: PixelWindow, ratio: float, tile_size: int) -> WorkGrid:
    """The smallest alignment (a divisor of tile_size, at most a quarter of it) whose whole-pixel
    scale is within SCALE_TOLERANCE of ``ratio``; else the most accurate one.

    Small alignments keep the overlap near the model's (it is rounded up to the alignment).
    """
    divisors = [d for d in range(1, tile_size // 4 + 1) if tile_size % d == 0] or [tile_size]
    grids = [WorkGrid(window, d, max(1, round(d / ratio))) for d in divisors]

    def error(grid: WorkGrid) -> float:
        return abs(grid.align / grid.raster_step / ratio - 1.0)

    return next((g for g in grids if error(g) <= SCALE_TOLERANCE), min(grids, key=error))


def extent_window(output_geotransform: GeoTransform, width: int, height: int, extent) -> Optional[PixelWindow]:
    """Raster pixels touched by ``extent`` (an Extent in output coordinates), clipped to the raster.

    None when the extent does not overlap the raster; the whole raster for no extent.
    """
    if extent is None:
        return PixelWindow(0, 0, width, height)
    inverse = gdal.InvGeoTransform(output_geotransform)
    corners = [(extent.xmin, extent.ymin), (extent.xmin, extent.ymax),
               (extent.xmax, extent.ymin), (extent.xmax, extent.ymax)]
    cols, rows = zip(*(gdal.ApplyGeoTransform(inverse, x, y) for x, y in corners))
    # The tolerance keeps an extent drawn on pixel edges from picking up a sliver of the next pixel.
    x0, y0 = max(0, math.floor(min(cols) + EDGE_TOLERANCE_PX)), max(0, math.floor(min(rows) + EDGE_TOLERANCE_PX))
    x1 = min(width, math.ceil(max(cols) - EDGE_TOLERANCE_PX))
    y1 = min(height, math.ceil(max(rows) - EDGE_TOLERANCE_PX))
    if x1 <= x0 or y1 <= y0:
        return None
    return PixelWindow(x0, y0, x1 - x0, y1 - y0)
