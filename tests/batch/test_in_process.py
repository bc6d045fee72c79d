"""The batch run in one process (workers=0): what it finds and writes, on mosaics, windows, broken rasters.

The Dask runs (test_local_cluster.py, test_dask_cluster.py) run these same units on workers.
"""
import csv
import json
import os

import numpy as np
import pytest
from osgeo import gdal, ogr
from shapely import wkt

from building_area_plugin.batch import cli
from building_area_plugin.batch.runner import run_batch
from building_area_plugin.core.params import PipelineParams
from building_area_plugin.core.pipeline import run_pipeline
from tests.batch.conftest import (ACROSS_SEAMS, MOSAIC_PX, SQUARES, TILE_PX, batch_params, expected_areas,
                                  read_buildings, read_table, town, write_mosaic, write_raster)


def test_buildings_across_tile_seams_come_out_once_and_whole(mosaic, bright_model, tmp_path):
    result = run_batch(batch_params([mosaic], tmp_path / "city.gpkg", bright_model))
    buildings = read_buildings(result.output_path)
    assert [area for area, *_ in buildings] == pytest.approx(expected_areas(SQUARES), rel=0.003)
    assert sorted(parts for *_, parts, _ in buildings) == [1, 1, 1, 2, 2, 4]  # the corner one was in four tiles
    assert result.summary["joined_across_seams"] == len(ACROSS_SEAMS)
    # The same outlines as one pipeline run over the whole town (the tiles read through one VRT).
    whole = write_raster(tmp_path / "whole.tif", town(MOSAIC_PX, SQUARES))
    reference = run_pipeline(PipelineParams(whole, str(tmp_path / "whole.gpkg"), bright_model))
    expected = read_expected(reference.output_path)
    assert len(expected) == len(buildings)
    for (area, _, _, outline), (expected_area, expected_outline) in zip(buildings, expected):
        assert area == pytest.approx(expected_area, rel=1e-6)
        assert wkt.loads(outline).symmetric_difference(wkt.loads(expected_outline)).area < 1e-6


def read_expected(path):
    dataset = ogr.Open(str(path))
    return sorted((f.GetField("area_m2"), f.GetGeometryRef().ExportToWkt()) for f in dataset.GetLayerByName("buildings"))


def test_per_raster_summary_adds_up_to_the_merged_layer(mosaic, bright_model, tmp_path):
    result = run_batch(batch_params([mosaic], tmp_path / "city.gpkg", bright_model))
    buildings = read_buildings(result.output_path)
    rows = read_table(result.output_path, "rasters")
    assert len(rows) == 4 and all(row["status"] == "ok" for row in rows)
    assert sum(row["building_count"] for row in rows) == len(buildings) == result.summary["building_count"]
    assert sum(row["total_area_m2"] for row in rows) == pytest.approx(sum(a for a, *_ in buildings), rel=1e-9)
    for row in rows:  # each building counts for the raster holding most of it
        assert row["building_count"] == sum(1 for _, raster, *_ in buildings if raster == row["raster"])
    analysed = sum(row["analysed_area_m2"] for row in rows)
    assert analysed == pytest.approx((MOSAIC_PX * 0.3) ** 2, rel=0.002)
    assert result.summary["analysed_area_m2"] == pytest.approx(analysed)
    with open(result.csv_path, newline="", encoding="utf-8") as stream:
        table = list(csv.DictReader(stream))
    assert [int(r["building_count"]) for r in table] == [row["building_count"] for row in rows]
    with open(result.json_path, encoding="utf-8") as stream:
        assert json.load(stream)["building_count"] == len(buildings)


def test_a_rerun_skips_every_finished_unit(mosaic, bright_model, tmp_path):
    params = batch_params([mosaic], tmp_path / "city.gpkg", bright_model)
    first = run_batch(params)
    assert first.summary["units"] == {"total": 4, "run": 4, "skipped": 0, "failed": 0}
    again = run_batch(params)
    assert again.summary["units"] == {"total": 4, "run": 0, "skipped": 4, "failed": 0}
    assert read_buildings(again.output_path) == read_buildings(first.output_path)


def test_windows_of_a_large_raster_match_one_pipeline_run(bright_model, tmp_path):
    rng = np.random.default_rng(7)
    squares = [(int(r), int(c), int(s)) for r, c, s in zip(rng.integers(0, 600, 40), rng.integers(0, 600, 40),
                                                           rng.integers(4, 40, 40))]
    raster = write_raster(tmp_path / "big.tif", town(640, squares))
    result = run_batch(batch_params([raster], tmp_path / "big_batch.gpkg", bright_model, window_px=200,
                                    margin_px=24))
    assert result.summary["units"]["total"] == 16 and result.summary["joined_across_seams"] > 0
    reference = run_pipeline(PipelineParams(raster, str(tmp_path / "big_once.gpkg"), bright_model))
    found, expected = read_buildings(result.output_path), read_expected(reference.output_path)
    assert len(found) == len(expected) == reference.summary.building_count
    for (area, _, _, outline), (expected_area, expected_outline) in zip(found, expected):
        assert area == pytest.approx(expected_area, rel=1e-6)
        assert wkt.loads(outline).symmetric_difference(wkt.loads(expected_outline)).area < 1e-6
    assert result.summary["analysed_area_m2"] == pytest.approx(reference.summary.analysed_area_m2, rel=1e-6)


def test_the_minimum_area_applies_to_a_building_joined_across_a_seam(bright_model, tmp_path):
    # 6 x 6 px = 3.24 m² across the seam: each half (1.62 m²) is below the 2 m² minimum, the building is not.
    write_mosaic(str(tmp_path / "tiles"), town(MOSAIC_PX, [(50, TILE_PX - 3, 6)]))
    result = run_batch(batch_params([str(tmp_path / "tiles")], tmp_path / "city.gpkg", bright_model))
    assert [area for area, *_ in read_buildings(result.output_path)] == pytest.approx([3.24], rel=0.003)


def corrupt_block(path, block_row, block_col):
    """Overwrite one compressed block of a tiled GeoTIFF with garbage: reading it fails, the rest reads."""
    dataset = gdal.Open(path)
    band = dataset.GetRasterBand(1)
    offset = int(band.GetMetadataItem(f"BLOCK_OFFSET_{block_col}_{block_row}", "TIFF"))
    size = int(band.GetMetadataItem(f"BLOCK_SIZE_{block_col}_{block_row}", "TIFF"))
    dataset = None
    with open(path, "r+b") as stream:
        stream.seek(offset)
        stream.write(b"\xff" * size)


def test_broken_rasters_are_reported_and_the_others_are_done(mosaic, bright_model, tmp_path, capsys):
    not_a_raster = tmp_path / "broken.tif"
    not_a_raster.write_text("this is not an image")
    truncated = tmp_path / "truncated.tif"
    whole = open(write_raster(tmp_path / "full.tif", town(200, [(10, 10, 30)]), ), "rb").read()
    truncated.write_bytes(whole[: len(whole) // 2])
    unreferenced = tmp_path / "plain.tif"
    dataset = gdal.GetDriverByName("GTiff").Create(str(unreferenced), 64, 64, 3, gdal.GDT_Byte)
    dataset = None  # no georeferencing, and the model cannot estimate a GSD
    output = tmp_path / "city.gpkg"
    code = cli.main([mosaic, str(not_a_raster), str(truncated), str(unreferenced), "-o", str(output), "--workers", "0",
                     "--segmentation-model", bright_model, "--no-detect", "--no-progress"])
    assert code == cli.EXIT_SOME_FAILED
    rows = {os.path.basename(row["raster"]): row for row in read_table(output, "rasters")}
    assert [rows[name]["status"] for name in ("broken.tif", "truncated.tif", "plain.tif")] == ["failed"] * 3
    assert "Cannot read" in rows["broken.tif"]["reason"]
    assert "truncated or corrupt" in rows["truncated.tif"]["reason"]
    assert "ground sampling distance" in rows["plain.tif"]["reason"]
    assert all(rows[f"tile_{r}_{c}.tif"]["status"] == "ok" for r in (0, 1) for c in (0, 1))
    assert [a for a, *_ in read_buildings(output)] == pytest.approx(expected_areas(SQUARES), rel=0.003)
    with open(str(tmp_path / "city.json"), encoding="utf-8") as stream:
        failures = {os.path.basename(f["raster"]) for f in json.load(stream)["failures"]}
    assert failures == {"broken.tif", "truncated.tif", "plain.tif"}
    assert "truncated.tif" in capsys.readouterr().err


def test_a_tile_broken_mid_file_fails_alone_and_its_neighbour_reads_without_it(bright_model, tmp_path):
    folder = tmp_path / "tiles"
    folder.mkdir()
    image = town(MOSAIC_PX, SQUARES)
    options = ("TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=32", "COMPRESS=DEFLATE")
    for row in (0, 1):
        for col in (0, 1):
            write_raster(folder / f"tile_{row}_{col}.tif", image[row * 160:(row + 1) * 160, col * 160:(col + 1) * 160],
                         col * 160, row * 160, options=options)
    # Top right tile: its block at rows 32-64, columns 0-32 (beside the seam; not a corner or the centre,
    # which are read when rasters are checked) is garbage.
    corrupt_block(str(folder / "tile_0_1.tif"), 1, 0)
    result = run_batch(batch_params([str(folder)], tmp_path / "city.gpkg", bright_model, margin_px=40))
    rows = {os.path.basename(row["raster"]): row for row in read_table(result.output_path, "rasters")}
    assert rows["tile_0_1.tif"]["status"] == "failed" and "corrupt" in rows["tile_0_1.tif"]["reason"]
    assert rows["tile_0_0.tif"]["status"] == "ok" and "without its neighbouring tiles" in rows["tile_0_0.tif"]["note"]
    assert rows["tile_1_0.tif"]["status"] == rows["tile_1_1.tif"]["status"] == "ok"
    areas = [a for a, *_ in read_buildings(result.output_path)]
    # Inside the good tiles everything is found; of the building across the broken tile's seam, its good part.
    for expected in expected_areas([(20, 20, 20), (230, 230, 25), (250, 40, 12), (150, 20, 30)]):
        assert any(area == pytest.approx(expected, rel=0.003) for area in areas)
    assert any(a == pytest.approx((60 * 0.3) * (30 * 0.3), rel=0.01) for a in areas)  # cols 130-160 of (40, 130, 60)


def test_rasters_in_other_crss_are_reprojected_into_one_layer(mosaic, bright_model, tmp_path):
    other = write_raster(tmp_path / "utm34.tif", town(100, [(30, 30, 20)]), epsg=32634)  # another zone
    plain = tmp_path / "plain.tif"
    dataset = gdal.GetDriverByName("GTiff").Create(str(plain), 100, 100, 3, gdal.GDT_Byte)
    for band in range(1, 4):
        dataset.GetRasterBand(band).WriteArray(town(100, [(10, 10, 30)]))
    dataset = None  # no georeferencing: with a GSD given, its buildings go to their own layer
    result = run_batch(batch_params([mosaic, other, str(plain)], tmp_path / "city.gpkg", bright_model, gsd_m=0.3))
    assert result.summary["output_crs"] == "EPSG:32633" and not result.summary["failures"]
    output = ogr.Open(result.output_path)  # held: GDAL 3.6 layers die with their dataset
    layer = output.GetLayerByName("buildings")
    assert layer.GetSpatialRef().GetAuthorityCode(None) == "32633"
    moved = [f for f in layer if f.GetField("raster") == other]
    assert len(moved) == 1 and moved[0].GetField("area_m2") == pytest.approx(36.0, rel=0.01)
    assert moved[0].GetGeometryRef().Centroid().GetX() > 900000  # zone 34's x = 600 000 lies far east in zone 33
    unreferenced = read_buildings(result.output_path, "buildings_unreferenced")
    assert [(round(area, 2), raster) for area, raster, *_ in unreferenced] == [(81.0, str(plain))]
    rows = {row["raster"]: row for row in read_table(result.output_path, "rasters")}
    assert sum(row["building_count"] for row in rows.values()) == len(read_buildings(result.output_path)) + 1


def test_two_runs_never_write_into_one_output(mosaic, bright_model, tmp_path):
    from building_area_plugin.batch.manifest import WorkFolder
    from building_area_plugin.core.errors import OutputError

    with WorkFolder(str(tmp_path / "city_batch")):  # as a run in progress holds it
        with pytest.raises(OutputError, match="Another batch run"):
            run_batch(batch_params([mosaic], tmp_path / "city.gpkg", bright_model))
    assert run_batch(batch_params([mosaic], tmp_path / "city.gpkg", bright_model)).summary["building_count"] == 6
