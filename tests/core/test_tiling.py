"""Tile grid, blending weights, streaming stitching and the work grid."""
import numpy as np
import pytest

from building_area_plugin.core.params import Extent
from building_area_plugin.core.stitching import BlockBlender, SeamFile
from building_area_plugin.core.tiling import EDGE_WEIGHT, TileGrid, blend_weight, column_blocks, tile_origins
from building_area_plugin.core.workgrid import PixelWindow, extent_window, plan_work_grid


def coverage(grid: TileGrid) -> np.ndarray:
    counts = np.zeros((grid.height, grid.width), int)
    for tile in grid.tiles():
        counts[tile.y:tile.y + grid.tile_size, tile.x:tile.x + grid.tile_size] += 1
    return counts


@pytest.mark.parametrize("width, height", [(200, 130), (64, 64), (65, 300), (1000, 49)])
def test_tile_grid_covers_every_pixel(width, height):
    grid = TileGrid.create(width, height, 64, 25)
    assert coverage(grid).min() >= 1
    assert grid.count == len(list(grid.tiles()))


def test_stride_leaves_the_metadata_overlap():
    grid = TileGrid.create(1000, 1000, 64, 25)
    assert grid.stride == 48
    assert list(grid.xs[:3]) == [0, 48, 96]


def test_last_tile_is_flush_with_the_raster_edge():
    assert list(tile_origins(200, 64, 48)) == [0, 48, 96, 136]


def test_raster_smaller_than_a_tile_gets_one_overhanging_tile():
    assert list(tile_origins(40, 64, 48)) == [0]


def test_aligned_tile_starts_are_multiples_of_the_alignment():
    grid = TileGrid.create(203, 203, 64, 25, align=8)
    assert grid.stride % 8 == 0
    assert all(x % 8 == 0 for x in grid.xs)
    assert coverage(grid).min() >= 1


def test_batches_keep_row_major_order():
    grid = TileGrid.create(200, 130, 64, 25)
    batches = list(grid.batches(3))
    assert [t for batch in batches for t in batch] == list(grid.tiles())
    assert all(len(b) == 3 for b in batches[:-1]) and 1 <= len(batches[-1]) <= 3


def test_blend_weight_peaks_in_the_centre_and_keeps_a_floor_at_the_edges():
    weight = blend_weight(64)
    assert weight.shape == (64, 64)
    assert weight[31, 31] == weight.max() > 0.99
    assert weight.min() == pytest.approx(EDGE_WEIGHT ** 2, rel=0.05)
    np.testing.assert_allclose(weight, weight.T)


def stitch(grid: TileGrid, tile_values, valid=None, block_px=10_000, seam_dir=None, out_align=1, channels=1):
    """Blend the grid block by block; tile_values(tile) -> [T, T] (or [channels, T, T]).

    Returns (image [H, W] (or [channels, H, W]), release calls, blenders).
    """
    image = np.full((channels, grid.height, grid.width), np.nan, np.float32)
    releases, blenders = [], []

    def sink(row, col, values, valid_rows):
        assert values.shape[0] == channels
        window = image[:, row:row + values.shape[1], col:col + values.shape[2]]
        assert np.isnan(window).all(), "a pixel was released twice"
        window[:] = values
        releases.append((row, col, values.shape[1:]))

    blocks = column_blocks(grid, block_px, out_align)
    seams = [SeamFile(str(seam_dir / f"seam_{i}.bin")) for i in range(len(blocks) - 1)]
    for i, block in enumerate(blocks):
        seam_in, seam_out = (seams[i - 1] if i else None), (seams[i] if i < len(seams) else None)
        blender = BlockBlender(block, grid.xs, grid.ys, grid.height, sink, seam_in, seam_out, channels)
        blenders.append(blender)
        for batch in block.batches(5):
            for tile in batch:
                tile_valid = np.ones((grid.tile_size,) * 2, bool) if valid is None else valid(tile)
                values = tile_values(tile)
                blender.add(tile.x, tile.y, values.reshape((channels,) + values.shape[-2:]), tile_valid)
        blender.finish()
        if seam_in is not None:
            seam_in.close()
        if seam_out is not None:
            seam_out.rewind()
    return (image[0] if channels == 1 else image), releases, blenders


def smooth_truth(height, width):
    rows, cols = np.mgrid[0:height, 0:width]
    return (((np.sin(rows / 9.0) * np.cos(cols / 7.0)) + 1) / 2).astype(np.float32)


def test_blending_constant_tiles_gives_a_constant_image_without_seams():
    grid = TileGrid.create(200, 170, 64, 25)
    image, _, _ = stitch(grid, lambda tile: np.full((64, 64), 0.7, np.float32))
    np.testing.assert_allclose(image, 0.7, atol=1e-6)


def test_blending_tiles_that_agree_reproduces_the_image():
    grid = TileGrid.create(150, 120, 64, 25)
    truth = smooth_truth(120 + 64, 150 + 64)
    image, _, _ = stitch(grid, lambda t: truth[t.y:t.y + 64, t.x:t.x + 64])
    np.testing.assert_allclose(image, truth[:120, :150], atol=1e-5)


def test_rows_are_released_once_top_to_bottom():
    grid = TileGrid.create(100, 300, 64, 25)
    image, releases, _ = stitch(grid, lambda tile: np.full((64, 64), 0.5, np.float32))
    starts = [row for row, _, _ in releases]
    assert starts == sorted(starts) and starts[0] == 0
    assert sum(shape[0] for _, _, shape in releases) == 300
    assert max(shape[0] for _, _, shape in releases) <= 64  # never more than one tile's rows in flight
    assert not np.isnan(image).any()


def test_invalid_pixels_get_zero_probability():
    grid = TileGrid.create(100, 100, 64, 25)

    def valid(tile):
        mask = np.ones((64, 64), bool)
        mask[:, max(0, 50 - tile.x):] = False  # columns >= 50 are nodata
        return mask

    image, _, _ = stitch(grid, lambda tile: np.ones((64, 64), np.float32), valid)
    assert (image[:, 50:] == 0).all() and np.allclose(image[:, :50], 1.0)


def test_many_column_blocks_give_exactly_the_one_block_result(tmp_path):
    grid = TileGrid.create(700, 230, 64, 25)
    truth = smooth_truth(230 + 64, 700 + 64)
    noise = np.random.default_rng(3).random((230 + 64, 700 + 64)).astype(np.float32)

    def values(tile):  # tiles disagree where they overlap, as a real model's do
        return 0.5 * truth[tile.y:tile.y + 64, tile.x:tile.x + 64] + 0.5 * noise[tile.x % 7:tile.x % 7 + 64, :64]

    whole, _, one = stitch(grid, values, seam_dir=tmp_path)
    blocked, releases, many = stitch(grid, values, block_px=150, seam_dir=tmp_path, out_align=32)
    assert len(one) == 1 and len(many) >= 5
    assert not np.isnan(blocked).any()
    np.testing.assert_array_equal(np.rint(blocked * 255), np.rint(whole * 255))
    np.testing.assert_allclose(blocked, whole, atol=1e-6)
    assert not list(tmp_path.iterdir()), "seam files are removed once read"


def test_a_second_channel_is_blended_with_the_same_weights_as_the_first(tmp_path):
    grid = TileGrid.create(700, 230, 64, 25)
    truth = smooth_truth(230 + 64, 700 + 64)
    noise = np.random.default_rng(5).random((230 + 64, 700 + 64)).astype(np.float32)

    def building(tile):
        return 0.5 * truth[tile.y:tile.y + 64, tile.x:tile.x + 64] + 0.5 * noise[tile.x % 7:tile.x % 7 + 64, :64]

    def edge(tile):
        return 1 - noise[tile.y:tile.y + 64, tile.x:tile.x + 64] * (tile.x % 3) / 2

    alone = [stitch(grid, values, seam_dir=tmp_path)[0] for values in (building, edge)]
    both, _, blenders = stitch(grid, lambda tile: np.stack([building(tile), edge(tile)]), block_px=150,
                               seam_dir=tmp_path, out_align=32, channels=2)
    assert len(blenders) >= 5
    np.testing.assert_allclose(both[0], alone[0], atol=1e-6)
    np.testing.assert_allclose(both[1], alone[1], atol=1e-6)


def test_blender_memory_is_bounded_by_the_block_not_the_raster(tmp_path):
    grid = TileGrid.create(3000, 100, 64, 25)
    _, _, blenders = stitch(grid, lambda tile: np.full((64, 64), 0.5, np.float32), block_px=256,
                            seam_dir=tmp_path, out_align=32)
    widths = {blender.buffer_shape for blender in blenders}
    assert max(w for _, w in widths) <= 256 + 64 + 32
    assert all(rows == 64 for rows, _ in widths)


def test_column_blocks_finish_every_column_once_on_aligned_borders():
    grid = TileGrid.create(5000, 100, 512, 10)
    blocks = column_blocks(grid, 2048, 256)
    assert blocks[0].out_start == 0 and blocks[-1].out_end == 5000
    assert all(a.out_end == b.out_start for a, b in zip(blocks, blocks[1:]))
    assert all(b.out_end % 256 == 0 for b in blocks[:-1])
    assert all(b.out_end <= nxt.xs[0] for b, nxt in zip(blocks, blocks[1:]))  # no later tile reaches a finished column
    assert sorted(x for b in blocks for x in b.xs) == list(grid.xs)


def test_no_resampling_within_ten_percent_of_the_model_gsd():
    grid = plan_work_grid(PixelWindow(0, 0, 300, 200), 0.32, 0.30, 64)
    assert not grid.resampled and (grid.width, grid.height) == (300, 200)


def test_resampling_maps_tiles_to_whole_raster_windows():
    # 0.15 m imagery, 0.3 m model: one work pixel spans two raster pixels.
    grid = plan_work_grid(PixelWindow(10, 20, 400, 300), 0.15, 0.30, 64)
    assert grid.resampled and grid.raster_px_per_work_px == 2
    assert (grid.width, grid.height) == (200, 150)
    assert grid.raster_window(48, 96, 64) == (10 + 96, 20 + 192, 128)
    gt = grid.geotransform((1000.0, 0.15, 0.0, 2000.0, 0.0, -0.15))
    assert gt == pytest.approx((1000.0 + 10 * 0.15, 0.3, 0.0, 2000.0 - 20 * 0.15, 0.0, -0.3))


@pytest.mark.parametrize("tile_size", [64, 512, 100])
def test_resampling_scale_is_within_two_percent_of_the_gsd_ratio(tile_size):
    grid = plan_work_grid(PixelWindow(0, 0, 1000, 1000), 0.37, 0.30, tile_size)
    assert grid.raster_px_per_work_px == pytest.approx(0.30 / 0.37, rel=0.02)
    assert tile_size % grid.align == 0


def test_extent_selects_the_pixels_it_touches():
    gt = (1000.0, 0.5, 0.0, 2000.0, 0.0, -0.5)
    window = extent_window(gt, 400, 300, Extent(1010.0, 1900.0, 1050.2, 1990.0))
    assert window == PixelWindow(20, 20, 81, 180)


def test_extent_outside_the_raster_selects_nothing():
    gt = (1000.0, 0.5, 0.0, 2000.0, 0.0, -0.5)
    assert extent_window(gt, 400, 300, Extent(0.0, 0.0, 10.0, 10.0)) is None
