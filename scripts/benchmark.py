#!/usr/bin/env python3
"""Speed and memory of the whole pipeline against onnxruntime alone, on an N x N px raster.

    .venv/bin/python scripts/benchmark.py --size 5000 --runs 3 --json out/bench_5000.json

Without --raster it generates a georeferenced town at 0.3 m (a 2500 px synthetic scene
repeated in a VRT mosaic, cached in --scene-dir). Every run is its own process, so peak
RSS is that of one pipeline, and runs are independent on a noisy machine; the printed and
written figures are medians over the runs. In each run, after the pipeline, the same
models run alone (onnxruntime through the plugin's model runner, already-read tiles in
memory) on a sample of the very tiles the pipeline ran, which gives the network's cost
per tile; pipeline_to_ort_ratio is the pipeline's time over that cost times its tiles.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from building_area_plugin.core.gsd import gsd_from_georeferencing  # noqa: E402
from building_area_plugin.core.inference import read_tiles  # noqa: E402
from building_area_plugin.core.model import OnnxModel  # noqa: E402
from building_area_plugin.core.params import PipelineParams  # noqa: E402
from building_area_plugin.core.pipeline import run_pipeline  # noqa: E402
from building_area_plugin.core.raster import RasterSource  # noqa: E402
from building_area_plugin.core.tiling import Tile, TileGrid  # noqa: E402
from building_area_plugin.core.workgrid import PixelWindow, plan_work_grid  # noqa: E402
from building_area_plugin.shipped_models import DETECTION, SEGMENTATION, checksum_list, shipped_model  # noqa: E402

SCENE_PX = 2500
GSD_M = 0.3
KEYS = ("km2_per_min", "s_per_tile", "peak_rss_mb", "pipeline_to_ort_ratio", "tiles", "size_px", "provider")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", type=int, default=5000, help="side of the generated raster in pixels")
    p.add_argument("--raster", help="benchmark this raster instead of a generated one")
    p.add_argument("--json", help="write the median figures here")
    p.add_argument("--runs", type=int, default=3, help="independent runs, each in its own process")
    p.add_argument("--detect", action="store_true", help="run the shipped detection model too")
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--ort-sample", type=int, default=64, help="tiles per model timed with onnxruntime alone")
    p.add_argument("--scene-dir", default="out/benchmark", help="where generated scenes are cached")
    p.add_argument("--one-run", action="store_true", help=argparse.SUPPRESS)  # a child process
    return p.parse_args(argv)


def mosaic_vrt(tile_path: str, tile_px: int, size: int, out_path: str) -> str:
    """A VRT of size x size px repeating tile_path, georeferenced as if tile_path were its top-left corner."""
    from osgeo import gdal
    src = gdal.Open(tile_path)
    gt, srs = src.GetGeoTransform(), src.GetProjection()
    bands = src.RasterCount
    src = None
    vrt = gdal.GetDriverByName("VRT").Create(out_path, size, size, 0)
    vrt.SetGeoTransform(gt)
    vrt.SetProjection(srs)
    repeats = range(0, size, tile_px)
    for band in range(1, bands + 1):
        vrt.AddBand(gdal.GDT_Byte)
        sources = []
        for y in repeats:
            for x in repeats:
                w, h = min(tile_px, size - x), min(tile_px, size - y)
                sources.append(
                    f"<SimpleSource><SourceFilename relativeToVRT=\"0\">{os.path.abspath(tile_path)}</SourceFilename>"
                    f"<SourceBand>{band}</SourceBand><SrcRect xOff=\"0\" yOff=\"0\" xSize=\"{w}\" ySize=\"{h}\"/>"
                    f"<DstRect xOff=\"{x}\" yOff=\"{y}\" xSize=\"{w}\" ySize=\"{h}\"/></SimpleSource>")
        vrt.GetRasterBand(band).SetMetadata({f"source_{i}": xml for i, xml in enumerate(sources)}, "new_vrt_sources")
    vrt.GetRasterBand(1).SetColorInterpretation(gdal.GCI_RedBand)
    vrt = None
    return out_path


def generated_raster(size: int, scene_dir: str) -> str:
    from scripts.make_demo_scene import make_scene
    tile_dir = os.path.join(scene_dir, f"town_{SCENE_PX}")
    tile_path = os.path.join(tile_dir, "scene.tif")
    if not os.path.exists(tile_path):
        print(f"generating a {SCENE_PX} px town in {tile_dir} ...", file=sys.stderr)
        make_scene(tile_dir, SCENE_PX, GSD_M)
    return mosaic_vrt(tile_path, SCENE_PX, size, os.path.join(scene_dir, f"town_{size}.vrt"))


def sample_tiles(raster: RasterSource, model: OnnxModel, count: int) -> np.ndarray:
    """Up to count tiles of the model's work grid, evenly spread over the raster, read as the pipeline reads them."""
    window = PixelWindow(0, 0, raster.width, raster.height)
    gsd = gsd_from_georeferencing(raster.crs_wkt, raster.geotransform, raster.width, raster.height)
    grid = plan_work_grid(window, gsd.mean_m, model.metadata.gsd_m, model.metadata.tile_size)
    tile_size = model.metadata.tile_size
    tiles = TileGrid.create(grid.width, grid.height, tile_size, model.metadata.tiles_overlap, grid.align)
    xs, ys = tiles.xs, tiles.ys
    picks = np.unique(np.linspace(0, tiles.count - 1, min(count, tiles.count)).round().astype(int))
    chosen = [Tile(int(xs[i % len(xs)]), int(ys[i // len(xs)])) for i in picks]
    return read_tiles(raster, grid, chosen, tile_size)[0]


def ort_seconds_per_tile(model: OnnxModel, tiles: np.ndarray, batch_size: int) -> float:
    """onnxruntime's own time per tile: session.run on inputs standardized beforehand."""
    outputs = model.output_names
    batches = [model.standardize(tiles[i:i + batch_size]) for i in range(0, len(tiles), batch_size)]
    model.run_session(outputs, batches[0])  # warm-up, as the pipeline's first batch is
    start = time.perf_counter()
    for batch in batches:
        model.run_session(outputs, batch)
    return (time.perf_counter() - start) / len(tiles)


def one_run(args) -> Dict:
    """One pipeline run and the onnxruntime-alone timing of its models (in this process)."""
    models = {SEGMENTATION: shipped_model(SEGMENTATION)}
    if args.detect:
        models[DETECTION] = shipped_model(DETECTION)
        if models[DETECTION] is None:
            raise SystemExit("--detect: no detection model in models/")
    with tempfile.TemporaryDirectory(prefix="benchmark-") as out:
        params = PipelineParams(
            raster_path=args.raster, output_path=os.path.join(out, "buildings.gpkg"),
            segmentation_model=models[SEGMENTATION], model_checksums=checksum_list(models[SEGMENTATION]),
            detection_model=models.get(DETECTION), batch_size=args.batch_size,
            detection_checksums=checksum_list(models[DETECTION]) if args.detect else None)
        start = time.perf_counter()
        result = run_pipeline(params)
        pipeline_s = time.perf_counter() - start
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux
    summary = result.summary
    ort_s = 0.0
    with RasterSource(args.raster) as raster:
        for path in models.values():
            model = OnnxModel(path)
            per_tile = ort_seconds_per_tile(model, sample_tiles(raster, model, args.ort_sample), args.batch_size)
            ort_s += per_tile * (summary.detection_tiles if not model.is_segmentor
                                 else summary.tiles - summary.detection_tiles)
    with RasterSource(args.raster) as raster:
        size_px = max(raster.width, raster.height)
    return {
        "km2_per_min": summary.analysed_area_m2 / 1e6 / (pipeline_s / 60.0),
        "s_per_tile": pipeline_s / summary.tiles,
        "peak_rss_mb": peak_rss_mb,
        "pipeline_to_ort_ratio": pipeline_s / ort_s,
        "tiles": summary.tiles,
        "size_px": size_px,
        "provider": summary.provider,
        "pipeline_s": pipeline_s,
        "ort_alone_s": ort_s,
        "buildings": summary.building_count,
    }


def median_figures(runs: List[Dict]) -> Dict:
    figures = {}
    for key in runs[0]:
        values = [run[key] for run in runs]
        figures[key] = statistics.median(values) if isinstance(values[0], (int, float)) else values[0]
    figures["runs"] = len(runs)
    figures["cpu_count"] = os.cpu_count()
    return figures


def child_command(args, raster: str) -> List[str]:
    command = [sys.executable, os.path.abspath(__file__), "--one-run", "--raster", raster,
               "--batch-size", str(args.batch_size), "--ort-sample", str(args.ort_sample)]
    return command + (["--detect"] if args.detect else [])


def main(argv=None) -> Optional[Dict]:
    from osgeo import gdal
    gdal.UseExceptions()
    args = parse_args(argv)
    if args.one_run:
        print(json.dumps(one_run(args)))
        return None
    os.makedirs(args.scene_dir, exist_ok=True)
    raster = args.raster or generated_raster(args.size, args.scene_dir)
    runs = []
    for i in range(args.runs):
        done = subprocess.run(child_command(args, raster), check=True, stdout=subprocess.PIPE, text=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"run {i + 1}/{args.runs}: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                                      for k, v in runs[-1].items()), file=sys.stderr)
    figures = median_figures(runs)
    print(json.dumps({key: figures[key] for key in KEYS}, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=1)
    return figures


if __name__ == "__main__":
    main()
