"""Running the segmentation model over the work grid, one batch of tiles at a time."""
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, List, Optional, Sequence, Tuple

import numpy as np

from .errors import CancelledError
from .model import OnnxModel, median_gsd_m
from .params import CancelCallback
from .probability import GTIFF_BLOCK_PX, ProbabilityWriter
from .stitching import BlockBlender, SeamFile
from .tiling import Tile, TileGrid, column_blocks
from .workgrid import PixelWindow, WorkGrid

if TYPE_CHECKING:  # detection imports this module
    from .detection import TileBoxes

GSD_SAMPLE_TILES = 16  # tiles the model's GSD head looks at
GSD_MIN_TILE = 64      # smallest tile the GSD head is shown
# Widest column block blended at once, in work pixels: bounds the blender's memory
# (tile_size rows x this, float64 per channel + bool: ~20 MB a channel at 512 px tiles) whatever
# the raster's width.
BLOCK_PX = 4096


@dataclass(frozen=True)
class ValidStrip:
    """Valid (analysed) work pixels in rows [row, row + rows) and columns [col, col + cols) of the work grid."""
    row: int
    rows: int
    col: int
    cols: int
    valid_px: int


def read_tiles(raster, grid: WorkGrid, tiles: Sequence[Tile], tile_size: int) -> Tuple[np.ndarray, np.ndarray]:
    """RGB uint8 [N, 3, T, T] and valid bool [N, T, T] of work-grid tiles (GDAL resamples when needed)."""
    reads = []
    for tile in tiles:
        x, y, side = grid.raster_window(tile.x, tile.y, tile_size)
        reads.append(raster.read_window(x, y, side, side, tile_size, tile_size))
    return np.stack([r[0] for r in reads]), np.stack([r[1] for r in reads])


def predict_valid_tiles(model: OnnxModel, tiles: Sequence[Tile], rgb: np.ndarray, valid: np.ndarray, channels: int,
                        boxes: Optional["TileBoxes"] = None) -> np.ndarray:
    """Building probability, and with channels=2 the model's edge probability: [N, channels, T, T].

    Tiles without a valid pixel (nodata borders) skip the model. boxes: where a segmentor that
    detects hands the same run's boxes.
    """
    values = np.zeros((len(valid), channels) + valid.shape[1:], np.float32)
    live = valid.reshape(len(valid), -1).any(axis=1)
    if live.any():
        output = model.predict_segmentation(rgb[live], with_boxes=boxes is not None)
        values[live, 0] = output.prob
        if channels == 2:
            values[live, 1] = output.edge
        if boxes is not None:
            boxes.add([tile for tile, ok in zip(tiles, live) if ok], valid[live], output.boxes)
    return values


def segment(raster, grid: WorkGrid, model: OnnxModel, writers: Sequence[ProbabilityWriter], batch_size: int,
            on_batch: Callable[[int, int], None], is_cancelled: CancelCallback,
            scratch_dir: str, boxes: Optional["TileBoxes"] = None) -> Tuple[int, List[ValidStrip]]:
    """Blend the model's tiles over the work grid, column block by column block.

    writers: one per channel of predict_valid_tiles (the building probability, then, when given a
    second writer, the model's edge probability). Returns the number of tiles and the valid pixels of each finished window
    (for the analysed area). is_cancelled() is polled before every batch. Seam files between
    blocks live in scratch_dir. boxes: gathers the boxes of a segmentor that detects, from the same runs.
    """
    tile_size = model.metadata.tile_size
    tiles = TileGrid.create(grid.width, grid.height, tile_size, model.metadata.tiles_overlap, grid.align)
    strips: List[ValidStrip] = []

    def sink(row: int, col: int, values: np.ndarray, valid: np.ndarray) -> None:
        for writer, channel in zip(writers, values):
            writer.write(row, col, channel)
        rows = max(0, min(valid.shape[0], grid.analysed_height - row))
        cols = max(0, min(valid.shape[1], grid.analysed_width - col))
        strips.append(ValidStrip(row, rows, col, cols, int(np.count_nonzero(valid[:rows, :cols]))))

    blocks = column_blocks(tiles, BLOCK_PX, GTIFF_BLOCK_PX)
    # seams[i] carries block i's unfinished columns to block i + 1.
    seams = [SeamFile(os.path.join(scratch_dir, f"seam_{i}.bin")) for i in range(len(blocks) - 1)]
    done = 0
    try:
        for i, block in enumerate(blocks):
            seam_in = seams[i - 1] if i > 0 else None
            seam_out = seams[i] if i < len(seams) else None
            blender = BlockBlender(block, tiles.xs, tiles.ys, grid.height, sink, seam_in, seam_out, len(writers))
            for batch in block.batches(batch_size):
                if is_cancelled():
                    raise CancelledError("Cancelled during building segmentation.")
                rgb, valid = read_tiles(raster, grid, batch, tile_size)
                predictions = predict_valid_tiles(model, batch, rgb, valid, len(writers), boxes)
                for tile, values, tile_valid in zip(batch, predictions, valid):
                    blender.add(tile.x, tile.y, values, tile_valid)
                done += len(batch)
                on_batch(done, tiles.count)
            blender.finish()
            if seam_in is not None:
                seam_in.close()
            if seam_out is not None:
                seam_out.rewind()
    finally:
        for seam in seams:
            seam.close()
    return tiles.count, strips


def gsd_tile_size(model_tile: int, window: PixelWindow) -> int:
    """The model's tile, shrunk to fit a small raster.

    The GSD head averages over the whole tile: padding would dilute what it sees of the image.
    Multiples of 32 keep every encoder stage aligned.
    """
    fit = min(window.width, window.height) // 32 * 32
    return max(GSD_MIN_TILE, min(model_tile, fit))


def estimate_gsd_m(raster, window: PixelWindow, model: OnnxModel, batch_size: int,
                   is_cancelled: CancelCallback) -> float:
    """Median GSD (m/px) the model's GSD head reads over the window; NaN when no tile has a valid pixel."""
    log_gsd = sample_log_gsd(raster, window, model, batch_size, is_cancelled)
    return median_gsd_m(log_gsd) if log_gsd.size else float("nan")


def sample_log_gsd(raster, window: PixelWindow, model: OnnxModel, batch_size: int,
                   is_cancelled: CancelCallback) -> np.ndarray:
    """log GSD (m/px) the model's GSD head reads from each of up to 16 tiles spread over the window.

    Tiles are read at the raster's own resolution: the head measures the image as it is.
    Empty when no tile has a valid pixel.
    """
    grid = WorkGrid(window, 1, 1)
    tile_size = gsd_tile_size(model.metadata.tile_size, window)
    tiles = TileGrid.create(window.width, window.height, tile_size, 0.0)
    xs, ys = tiles.xs, tiles.ys
    picks = np.unique(np.linspace(0, tiles.count - 1, min(GSD_SAMPLE_TILES, tiles.count)).round().astype(int))
    sample = [Tile(int(xs[i % len(xs)]), int(ys[i // len(xs)])) for i in picks]
    log_gsd: List[np.ndarray] = []
    for start in range(0, len(sample), batch_size):
        if is_cancelled():
            raise CancelledError("Cancelled while estimating the GSD.")
        rgb, valid = read_tiles(raster, grid, sample[start:start + batch_size], tile_size)
        live = valid.reshape(len(valid), -1).any(axis=1)
        if live.any():
            log_gsd.append(model.predict_segmentation(rgb[live]).log_gsd)
    return np.concatenate(log_gsd) if log_gsd else np.zeros(0, np.float32)
