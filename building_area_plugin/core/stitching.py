"""Streaming blend of overlapping tile predictions into finished rows.

Only the rows that tiles still in flight can touch are kept: a buffer of
tile_size rows by the work grid's width. Once a row of tiles starts below a row,
that row is final and goes to the sink; the buffer then shifts up.
"""
from typing import Callable

import numpy as np

# sink(first_row, probability float32 [rows, width] in 0..1, valid bool [rows, width])
RowSink = Callable[[int, np.ndarray, np.ndarray], None]


class RowBlender:
    def __init__(self, width: int, height: int, weight: np.ndarray, sink: RowSink):
        self.width, self.height = width, height
        self._weight = weight
        self._sink = sink
        rows = weight.shape[0]
        self._weighted = np.zeros((rows, width), np.float32)
        self._weights = np.zeros((rows, width), np.float32)
        self._valid = np.zeros((rows, width), bool)
        self._top = 0  # work-grid row held in buffer row 0

    def add(self, x: int, y: int, prob: np.ndarray, valid: np.ndarray) -> None:
        """Blend one tile's probability [T, T] at (x, y); tiles must come in row-major order."""
        if y < self._top:
            raise ValueError(f"tile row {y} arrived after row {self._top} was released")
        self._release(y - self._top)
        h, w = min(prob.shape[0], self.height - y), min(prob.shape[1], self.width - x)
        weight = self._weight[:h, :w]
        self._weighted[:h, x:x + w] += weight * prob[:h, :w]
        self._weights[:h, x:x + w] += weight
        self._valid[:h, x:x + w] |= valid[:h, :w]

    def finish(self) -> None:
        """Release every row still held."""
        self._release(self._weighted.shape[0])

    def _release(self, rows: int) -> None:
        rows = min(rows, self.height - self._top, self._weighted.shape[0])
        if rows <= 0:
            return
        weights = self._weights[:rows]
        prob = np.divide(self._weighted[:rows], weights, out=np.zeros_like(weights), where=weights > 0)
        valid = self._valid[:rows].copy()
        prob[~valid] = 0.0  # nodata / alpha / outside the raster: no building there
        self._sink(self._top, prob, valid)
        for buffer in (self._weighted, self._weights, self._valid):
            buffer[:-rows] = buffer[rows:]
            buffer[-rows:] = 0
        self._top += rows
