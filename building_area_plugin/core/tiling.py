"""The grid of overlapping model tiles over the work grid, and the weight that blends them."""
import math
from dataclasses import dataclass
from typing import Iterator, List, Tuple

import numpy as np

# Weight at a tile's very edge relative to its centre: > 0 so that pixels only one tile
# sees (the raster's border) still get a value, small so that seams fade out.
EDGE_WEIGHT = 0.05


@dataclass(frozen=True)
class Tile:
    x: int  # column of the tile's top-left pixel on the work grid
    y: int  # row of the tile's top-left pixel on the work grid


def tile_origins(length: int, tile_size: int, stride: int, align: int = 1) -> np.ndarray:
    """Tile starts along one axis: every ``stride``, plus a last tile flush with the end.

    Starts are multiples of ``align`` (the last one rounded up, so it may overhang by
    less than ``align``); a raster shorter than a tile gets one tile that overhangs.
    """
    last = math.ceil(max(0, length - tile_size) / align) * align
    return np.unique(np.append(np.arange(0, last, stride), last))


@dataclass(frozen=True)
class TileGrid:
    width: int
    height: int
    tile_size: int
    stride: int
    align: int = 1

    @classmethod
    def create(cls, width: int, height: int, tile_size: int, overlap_pct: float, align: int = 1) -> "TileGrid":
        """Overlap in pixels is rounded up to a multiple of ``align`` and leaves a stride of at least ``align``."""
        if tile_size % align:
            raise ValueError(f"tile size {tile_size} is not a multiple of the alignment {align}")
        overlap = math.ceil(tile_size * overlap_pct / 100.0 / align) * align
        stride = max(align, tile_size - overlap)
        return cls(width, height, tile_size, stride, align)

    @property
    def xs(self) -> np.ndarray:
        return tile_origins(self.width, self.tile_size, self.stride, self.align)

    @property
    def ys(self) -> np.ndarray:
        return tile_origins(self.height, self.tile_size, self.stride, self.align)

    @property
    def count(self) -> int:
        return len(self.xs) * len(self.ys)

    def tiles(self) -> Iterator[Tile]:
        """Row-major order: the stitcher relies on rows of tiles arriving top to bottom."""
        xs = self.xs
        for y in self.ys:
            for x in xs:
                yield Tile(int(x), int(y))

    def batches(self, batch_size: int) -> Iterator[List[Tile]]:
        batch: List[Tile] = []
        for tile in self.tiles():
            batch.append(tile)
            if len(batch) == batch_size:
                yield batch
                batch = []
        if batch:
            yield batch


def blend_profile(tile_size: int, edge_weight: float = EDGE_WEIGHT) -> np.ndarray:
    """The 1-D Hann-like profile [tile_size] (float64): 1 at the centre, ``edge_weight`` at the edges."""
    centres = (np.arange(tile_size) + 0.5) / tile_size
    return edge_weight + (1.0 - edge_weight) * np.sin(np.pi * centres) ** 2


def blend_weight(tile_size: int, edge_weight: float = EDGE_WEIGHT) -> np.ndarray:
    """Separable Hann-like window [tile_size, tile_size]: 1 at the centre, ``edge_weight`` at the edges.

    Predictions near a tile's edge see less context; weighting them down and
    normalising by the summed weight blends overlapping tiles without seams.
    """
    profile = blend_profile(tile_size, edge_weight)
    return np.outer(profile, profile).astype(np.float32)


def summed_profile(origins: np.ndarray, tile_size: int, start: int, stop: int) -> np.ndarray:
    """Sum of the blend profiles of tiles starting at ``origins``, over positions [start, stop) of one axis.

    The blend window is separable and the tiles form a grid, so the blended weight of a
    pixel is the product of this sum along its row and along its column.
    """
    profile = blend_profile(tile_size)
    total = np.zeros(stop - start)
    for origin in origins[(origins < stop) & (origins + tile_size > start)]:
        lo, hi = max(start, origin), min(stop, origin + tile_size)
        total[lo - start:hi - start] += profile[lo - origin:hi - origin]
    return total


@dataclass(frozen=True)
class ColumnBlock:
    """The tiles of a range of tile columns, and the work-grid columns they finish.

    Blocks are processed left to right, each top to bottom. Columns [out_start, out_end)
    are final once this block is done: the next block's tiles start at or after out_end.
    The block's tiles cover up to cover_end; what lies beyond out_end is handed on.
    """
    xs: Tuple[int, ...]
    ys: Tuple[int, ...]
    tile_size: int
    out_start: int
    out_end: int
    cover_end: int

    @property
    def count(self) -> int:
        return len(self.xs) * len(self.ys)

    def batches(self, batch_size: int) -> Iterator[List[Tile]]:
        """Tiles row by row (the blender relies on rows arriving top to bottom), batch_size at a time."""
        tiles = [Tile(x, y) for y in self.ys for x in self.xs]
        for start in range(0, len(tiles), batch_size):
            yield tiles[start:start + batch_size]


def column_blocks(grid: TileGrid, max_width: int, out_align: int) -> List[ColumnBlock]:
    """Split the grid's tile columns into blocks at most ``max_width`` px wide (at least one tile).

    Block borders fall on multiples of ``out_align`` where they can (the output GeoTIFF's
    block width, so that no file block is written by two blocks).
    """
    xs, ys = [int(x) for x in grid.xs], tuple(int(y) for y in grid.ys)
    groups: List[List[int]] = [[]]
    for x in xs:
        if groups[-1] and x + grid.tile_size - groups[-1][0] > max_width:
            groups.append([])
        groups[-1].append(x)
    blocks, out_start = [], 0
    for i, group in enumerate(groups):
        if i + 1 < len(groups):
            next_x = groups[i + 1][0]
            aligned = next_x // out_align * out_align
            out_end = aligned if aligned > out_start else next_x
        else:
            out_end = grid.width
        cover_end = min(grid.width, group[-1] + grid.tile_size)
        blocks.append(ColumnBlock(tuple(group), ys, grid.tile_size, out_start, out_end, max(cover_end, out_end)))
        out_start = out_end
    return blocks
