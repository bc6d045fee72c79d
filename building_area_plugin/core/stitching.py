"""Streaming blend of overlapping tile predictions into finished windows, in bounded memory.

The work grid is processed in column blocks (tiling.ColumnBlock), each top to bottom.
A block keeps only the rows that tiles still in flight can touch: tile_size rows by the
block's width, whatever the raster's size. Once a row of tiles starts below a row, that
row is final for the block's own columns and goes to the sink. The columns the next
block's tiles also reach are not final yet: their partial sums go to a seam file, which
the next block reads back row chunk by row chunk (both blocks release the same chunks,
in the same order), so a seam costs disk (rows x shared columns x (8 x channels + 1) bytes:
~0.2 GB per channel for 40 000 rows), not memory.

A tile carries one or more channels (the building probability, and the edge probability
of models with an edge output), all blended with the same weights.

Sums are float64 and the blend weight is computed, not summed: the result is the same
whether the grid is one block or many.
"""
import os
from typing import BinaryIO, Callable, Optional, Tuple

import numpy as np

from .tiling import ColumnBlock, blend_profile, summed_profile

# sink(first_row, first_col, probabilities float32 [channels, rows, cols] in 0..1, valid bool [rows, cols])
WindowSink = Callable[[int, int, np.ndarray, np.ndarray], None]


class SeamFile:
    """Partial sums of the columns two neighbouring blocks share, written by the left block, read by the right."""

    def __init__(self, path: str):
        self.path = path
        self.channels = self.cols = 0  # channels and width of the shared columns, set by the first write
        self._file: Optional[BinaryIO] = open(path, "w+b")

    def write(self, weighted: np.ndarray, valid: np.ndarray) -> None:
        """weighted [channels, rows, cols], valid [rows, cols]."""
        self.channels, self.cols = weighted.shape[0], weighted.shape[2]
        self._file.write(np.ascontiguousarray(weighted, np.float64).tobytes())
        self._file.write(np.ascontiguousarray(valid, bool).tobytes())

    def rewind(self) -> None:
        self._file.flush()
        self._file.seek(0)

    def read(self, rows: int) -> Tuple[np.ndarray, np.ndarray]:
        channels, cols = self.channels, self.cols
        weighted = np.fromfile(self._file, np.float64, channels * rows * cols).reshape(channels, rows, cols)
        valid = np.fromfile(self._file, bool, rows * cols).reshape(rows, cols)
        return weighted, valid

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            os.remove(self.path)


class BlockBlender:
    """Blends one column block's tiles; rows of the block's final columns go to ``sink``."""

    def __init__(self, block: ColumnBlock, grid_xs: np.ndarray, grid_ys: np.ndarray, height: int,
                 sink: WindowSink, seam_in: Optional[SeamFile] = None, seam_out: Optional[SeamFile] = None,
                 channels: int = 1):
        self.block, self.height = block, height
        self._sink, self._seam_in, self._seam_out = sink, seam_in, seam_out
        self._ys = grid_ys
        size = block.tile_size
        self._tile_weight = np.outer(blend_profile(size), blend_profile(size))
        width = block.cover_end - block.out_start
        self._weighted = np.zeros((channels, size, width), np.float64)
        self._product = np.empty((channels, size, size), np.float64)  # reused: one tile's weighted values
        self._valid = np.zeros((size, width), bool)
        # Every tile of the grid that reaches a column counts towards its weight, this block's or not.
        self._col_weight = summed_profile(grid_xs, size, block.out_start, block.cover_end)
        self._top = 0  # work-grid row held in buffer row 0

    @property
    def buffer_shape(self) -> Tuple[int, int]:
        """Rows x columns held in memory per channel: tile_size x the block's width, whatever the raster's size."""
        return self._valid.shape

    def add(self, x: int, y: int, values: np.ndarray, valid: np.ndarray) -> None:
        """Blend one tile's probabilities [channels, T, T] at (x, y); tiles must come row by row, top to bottom."""
        if y < self._top:
            raise ValueError(f"tile row {y} arrived after row {self._top} was released")
        self._release(y - self._top)
        h = min(values.shape[1], self.height - y)
        w = min(values.shape[2], self.block.cover_end - x)
        col = x - self.block.out_start
        product = np.multiply(self._tile_weight[:h, :w], values[:, :h, :w], out=self._product[:, :h, :w])
        self._weighted[:, :h, col:col + w] += product
        self._valid[:h, col:col + w] |= valid[:h, :w]

    def finish(self) -> None:
        """Release every row still held."""
        while self._top < self.height:
            self._release(self._valid.shape[0])

    def _release(self, rows: int) -> None:
        rows = min(rows, self.height - self._top, self._valid.shape[0])
        if rows <= 0:
            return
        weighted, valid = self._weighted[:, :rows], self._valid[:rows]
        if self._seam_in is not None:
            seam_weighted, seam_valid = self._seam_in.read(rows)
            weighted[:, :, :self._seam_in.cols] += seam_weighted
            valid[:, :self._seam_in.cols] |= seam_valid
        final = self.block.out_end - self.block.out_start
        if self._seam_out is not None:
            self._seam_out.write(weighted[:, :, final:], valid[:, final:])
        # Every pixel of the grid lies under a tile, and the blend window is > 0 everywhere.
        row_weight = summed_profile(self._ys, self.block.tile_size, self._top, self._top + rows)
        values = weighted[:, :, :final] / row_weight[:, None]
        values /= self._col_weight[None, :final]
        final_valid = valid[:, :final].copy()
        values *= final_valid  # nodata / alpha / outside the raster: no building there
        self._sink(self._top, self.block.out_start, values.astype(np.float32), final_valid)
        for buffer in (self._weighted, self._valid[None]):  # [channels or 1, rows, cols]
            buffer[:, :-rows] = buffer[:, rows:]
            buffer[:, -rows:] = 0
        self._top += rows
