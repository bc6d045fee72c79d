"""The batch's plan, without running a model: inputs expanded, mosaics found, units cut, threads sized."""
import os

import pytest
from shapely import wkt

from building_area_plugin.batch.dask_runner import local_sizing
from building_area_plugin.batch.inputs import expand_inputs
from building_area_plugin.batch.units import inspect_raster, make_plan, mosaic_groups
from tests.batch.conftest import MOSAIC_PX, SQUARES, TILE_PX, batch_params, town, write_mosaic, write_raster


def test_inputs_expand_files_folders_globs_and_lists(tmp_path):
    folder = tmp_path / "tiles"
    paths = write_mosaic(str(folder), town(MOSAIC_PX, SQUARES))
    (folder / "notes.txt.aux.xml").write_text("not a raster")
    (folder / ".hidden.tif").write_text("skipped")
    other = write_raster(tmp_path / "other.tif", town(64, []))
    listing = tmp_path / "list.txt"
    listing.write_text(f"# rasters\n{other}\n\ntiles/tile_0_*.tif\nmissing.tif\n")
    expanded = expand_inputs([str(folder), str(listing), paths[0], str(tmp_path / "nothing_*.tif")])
    assert expanded.rasters == sorted(paths) + [other]  # each once, in the order met
    assert [item for item, _ in expanded.missing] == ["missing.tif", str(tmp_path / "nothing_*.tif")]
    assert "Input not found" in expanded.missing[0][1]


def test_outputs_inside_an_input_folder_are_not_inputs(tmp_path):
    write_raster(tmp_path / "a.tif", town(64, []))
    work = tmp_path / "city_batch" / "mosaics"
    work.mkdir(parents=True)
    write_raster(work / "mosaic.vrt.tif", town(64, []))
    expanded = expand_inputs([str(tmp_path)], exclude=[str(tmp_path / "city_batch")])
    assert expanded.rasters == [str(tmp_path / "a.tif")]


def test_tiles_on_one_grid_that_touch_are_one_mosaic(tmp_path):
    tiles = write_mosaic(str(tmp_path / "tiles"), town(MOSAIC_PX, SQUARES))
    apart = write_raster(tmp_path / "apart.tif", town(TILE_PX, []), col=10 * TILE_PX)
    beside = write_raster(tmp_path / "beside.tif", town(TILE_PX, []), col=2 * TILE_PX)  # touches: a tile too
    infos = [inspect_raster(p) for p in tiles + [apart, beside]]
    groups = mosaic_groups(infos)
    assert [[i.path for i in g] for g in groups] == [sorted(tiles + [beside]), [apart]]
    # A raster touching them in another CRS, or half a pixel off their grid, is not a tile of the mosaic.
    other_crs = write_raster(tmp_path / "other_crs.tif", town(TILE_PX, []), col=2 * TILE_PX, epsg=32634)
    off_grid = write_raster(tmp_path / "off_grid.tif", town(TILE_PX, []), col=2 * TILE_PX - 0.5)
    groups = mosaic_groups([inspect_raster(p) for p in tiles + [other_crs, off_grid]])
    assert sorted(len(g) for g in groups) == [1, 1, 4]


def test_large_rasters_are_cut_into_windows_with_a_margin(tmp_path, bright_model):
    path = write_raster(tmp_path / "big.tif", town(1000, []))
    params = batch_params([path], tmp_path / "out.gpkg", bright_model, window_px=400, margin_px=32)
    plan = make_plan([inspect_raster(path)], params, str(tmp_path / "mosaics"))
    assert len(plan.units) == 9  # 1000 px in three windows of 333-334 px each way
    cores = [wkt.loads(unit.core_wkt) for unit in plan.units]
    assert sum(core.area for core in cores) == 1000 * 1000
    assert all(a.intersection(b).area == 0 for i, a in enumerate(cores) for b in cores[i + 1:])
    first = plan.units[0]
    assert first.window == (0, 0, 333 + 32, 333 + 32)
    assert len({unit.unit_id for unit in plan.units}) == 9
    again = make_plan([inspect_raster(path)], params, str(tmp_path / "mosaics"))
    assert [u.unit_id for u in again.units] == [u.unit_id for u in plan.units]  # ids are stable: a rerun resumes
    changed = make_plan([inspect_raster(path)], batch_params([path], tmp_path / "out.gpkg", bright_model,
                                                             window_px=400, margin_px=32, min_area_m2=5.0),
                        str(tmp_path / "mosaics"))
    assert not {u.unit_id for u in changed.units} & {u.unit_id for u in plan.units}  # other settings: redone


def test_overlapping_tiles_own_their_pixels_once(tmp_path, bright_model):
    image = town(300, [])
    first = write_raster(tmp_path / "a.tif", image[:, :200])
    second = write_raster(tmp_path / "b.tif", image[:, 150:], col=150)  # 50 px of overlap
    params = batch_params([first, second], tmp_path / "out.gpkg", bright_model)
    plan = make_plan([inspect_raster(first), inspect_raster(second)], params, str(tmp_path / "mosaics"))
    assert len(plan.datasets) == 1 and plan.datasets[0].path.endswith(".vrt")
    areas = {os.path.basename(unit.raster): wkt.loads(unit.core_wkt).area for unit in plan.units}
    assert areas == {"a.tif": 150 * 300, "b.tif": 150 * 300}  # the later tile owns the overlap, as the VRT shows it


def test_a_broken_raster_is_kept_with_its_reason(tmp_path, bright_model):
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"II*\x00 not really a tiff")
    info = inspect_raster(str(broken))
    assert info.error and "broken.tif" in info.error
    plan = make_plan([info], batch_params([str(broken)], tmp_path / "o.gpkg", bright_model), str(tmp_path / "m"))
    assert plan.units == [] and plan.rasters == [info]


@pytest.mark.parametrize("cores, memory_gb, units, expected", [
    (2, 24, 100, (2, 1, 1)),    # this machine: two single-threaded workers, onnxruntime on one thread each
    (16, 8, 100, (5, 1, 3)),    # memory-bound: fewer workers, each model on more threads (5 x 3 <= 16)
    (16, 64, 3, (3, 1, 5)),     # fewer units than cores: the spare cores go to onnxruntime
    (1, 24, 10, (1, 1, 1)),
])
def test_the_local_cluster_uses_each_core_once(cores, memory_gb, units, expected):
    sizing = local_sizing(units, cores=cores, memory_bytes=memory_gb * 1024 ** 3)
    assert (sizing.workers, sizing.threads_per_worker, sizing.ort_threads) == expected
    assert sizing.workers * sizing.threads_per_worker * sizing.ort_threads <= cores


def test_unit_ids_are_the_same_in_another_process(tmp_path, bright_model):
    """GDAL gives the CRS of a file this process wrote as another WKT than a fresh process reads: ids must not
    depend on it, or a rerun would redo every unit."""
    import json
    import subprocess
    import sys

    from tests.batch.conftest import ROOT, batch_env

    path = write_raster(tmp_path / "big.tif", town(600, []))
    params = batch_params([path], tmp_path / "out.gpkg", bright_model, window_px=300)
    here = [unit.unit_id for unit in make_plan([inspect_raster(path)], params, str(tmp_path / "m")).units]
    code = ("import json, sys; from building_area_plugin.batch.units import inspect_raster, make_plan;"
            "from tests.batch.conftest import batch_params;"
            f"p = batch_params([{path!r}], {str(tmp_path / 'out.gpkg')!r}, {bright_model!r}, window_px=300);"
            f"print(json.dumps([u.unit_id for u in make_plan([inspect_raster({path!r})], p, {str(tmp_path / 'm')!r}).units]))")
    there = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=batch_env(), capture_output=True, text=True,
                           timeout=300, check=True)
    assert json.loads(there.stdout) == here and len(here) == 4
