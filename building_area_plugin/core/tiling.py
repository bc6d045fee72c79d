"""The grid of overlapping model tiles over the work grid, and the weight that blends them."""
import math
from dataclasses import dataclass
from typing import Iterator, List

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


def blend_weight(tile_size: int, edge_weight: float = EDGE_WEIGHT) -> np.ndarray:
    """Separable Hann-like window [tile_size, tile_size]: 1 at the centre, ``edge_weight`` at the edges.

    Predictions near a tile's edge see less context; weighting them down and
    normalising by the summed weight blends overlapping tiles without seams.
    """
    centres = (np.arange(tile_size) + 0.5) / tile_size
    profile = edge_weight + (1.0 - edge_weight) * np.sin(np.pi * centres) ** 2
    return np.outer(profile, profile).astype(np.float32)
