"""Bounded memory: a raster many column blocks wide gives exactly the one-block result."""
import numpy as np
import pytest
from osgeo import gdal, ogr

from building_area_plugin.core import inference
from building_area_plugin.core.params import PipelineParams
from building_area_plugin.core.pipeline import run_pipeline
from building_area_plugin.core.probability import GTIFF_BLOCK_PX
from tests import onnx_models
from tests.core.conftest import UTM_33N, UTM_GEOTRANSFORM, write_raster

TILE = 64  # the test segmentor's tile size
NARROW_BLOCK_PX = 300


def textured_scene(seed: int, min_side: int, walls: bool) -> np.ndarray:
    """1500 x 260 px: 60 bright buildings of many sizes on textured ground, some across block seams;
    with walls, every other building has a magenta wall across it (two buildings)."""
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 90, (3, 260, 1500), dtype=np.uint8)
    for i in range(60):
        row, col = rng.integers(0, 230), rng.integers(0, 1470)
        h, w = rng.integers(min_side, 30, size=2)
        rgb[:, row:row + h, col:col + w] = rng.integers(170, 255)
        if walls and i % 2:
            rgb[1, row:row + h, col + w // 2:col + w // 2 + 2] = 0
    return rgb


@pytest.fixture
def wide_raster(tmp_path):
    return write_raster(tmp_path / "wide.tif", textured_scene(11, 6, walls=False), UTM_GEOTRANSFORM, UTM_33N)


@pytest.fixture
def walled_raster(tmp_path):
    return write_raster(tmp_path / "walled.tif", textured_scene(12, 10, walls=True), UTM_GEOTRANSFORM, UTM_33N)


@pytest.fixture
def context_model(tmp_path):
    return onnx_models.bright_segmentor(tmp_path / "context.onnx", context_px=9)


@pytest.fixture
def edge_context_model(tmp_path):
    return onnx_models.bright_segmentor(tmp_path / "edge_context.onnx", context_px=9, edge=True)


def run(tmp_path, raster, model, name):
    folder = tmp_path / name
    folder.mkdir()
    return run_pipeline(PipelineParams(raster_path=raster, output_path=str(folder / "b.gpkg"),
                                       segmentation_model=model, probability_path=str(folder / "p.tif"),
                                       min_area_m2=0.0))


def buildings(path):
    ds = ogr.Open(path)
    return sorted((round(f["area_m2"], 6), f.GetGeometryRef().ExportToWkt()) for f in ds.GetLayerByName("buildings"))


@pytest.mark.parametrize("raster_name, model_name", [("wide_raster", "context_model"),
                                                     ("walled_raster", "edge_context_model")])
def test_many_column_blocks_give_the_same_buildings_and_probability(tmp_path, raster_name, model_name, request,
                                                                     monkeypatch):
    wide_raster, context_model = request.getfixturevalue(raster_name), request.getfixturevalue(model_name)
    monkeypatch.setattr(inference, "BLOCK_PX", 100_000)
    one = run(tmp_path, wide_raster, context_model, "one_block")
    monkeypatch.setattr(inference, "BLOCK_PX", NARROW_BLOCK_PX)
    many = run(tmp_path, wide_raster, context_model, "many_blocks")

    assert one.summary.building_count > 40
    if model_name == "edge_context_model":  # the edge probability, blended in blocks too, cut the walled blobs
        assert any(line.startswith("Split") for line in many.log)
    assert buildings(many.output_path) == buildings(one.output_path)
    assert many.summary.total_area_m2 == one.summary.total_area_m2
    assert many.summary.analysed_area_m2 == pytest.approx(one.summary.analysed_area_m2, rel=1e-9)
    np.testing.assert_array_equal(gdal.Open(many.probability_path).ReadAsArray(),
                                  gdal.Open(one.probability_path).ReadAsArray())


@pytest.mark.parametrize("model_name", ["context_model", "edge_context_model"])
def test_blending_memory_is_set_by_the_block_width_not_the_raster(tmp_path, wide_raster, model_name, request,
                                                                   monkeypatch):
    context_model = request.getfixturevalue(model_name)
    shapes = []
    blender_class = inference.BlockBlender

    class RecordingBlender(blender_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            shapes.append(self.buffer_shape)

    monkeypatch.setattr(inference, "BlockBlender", RecordingBlender)
    monkeypatch.setattr(inference, "BLOCK_PX", NARROW_BLOCK_PX)
    run(tmp_path, wide_raster, context_model, "recorded")
    assert len(shapes) >= 4
    # A block holds one tile's rows, its own columns, and the columns its tiles share with the next block.
    assert max(width for _, width in shapes) <= NARROW_BLOCK_PX + TILE + GTIFF_BLOCK_PX
    assert all(rows == TILE for rows, _ in shapes)


def test_gdal_cache_is_capped_during_a_run_and_restored_after(tmp_path, wide_raster, context_model, monkeypatch):
    from building_area_plugin.core import pipeline
    seen = []
    read_window = pipeline.RasterSource.read_window

    def recording_read(self, *args, **kwargs):
        seen.append(gdal.GetCacheMax())
        return read_window(self, *args, **kwargs)

    monkeypatch.setattr(pipeline.RasterSource, "read_window", recording_read)
    before = gdal.GetCacheMax()
    run(tmp_path, wide_raster, context_model, "capped")
    assert seen and max(seen) <= min(before, pipeline.GDAL_CACHE_BYTES)
    assert gdal.GetCacheMax() == before
