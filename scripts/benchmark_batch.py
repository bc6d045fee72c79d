#!/usr/bin/env python3
"""Speed of the batch command with 1 and 2 workers, and its per-unit overheads (docs/BENCHMARKS.md).

    scripts/qgis_env.sh .venv/bin/python scripts/benchmark_batch.py --json out/benchmark/batch.json

Cuts the generated 0.3 m town (scripts/make_demo_scene.py, cached in --scene-dir) into a mosaic of
--tiles x --tiles GeoTIFFs and runs the batch command on it once per configuration (workers x
onnxruntime threads; 0 workers = in one process, without Dask), each in its own process with the
shipped models, then measures what a unit costs besides its pipeline:

- cluster_start_s: a LocalCluster of 2 workers up and its client connected;
- dask_task_ms: Dask's own cost per task (no-op tasks through submit and as_completed, 2 workers);
- model_load_s: opening the shipped models (what each worker pays once);
- merge_s_per_unit / merge_ms_per_building: merging the finished units into the GeoPackage;
- rerun_s: the same command again, every unit done (checking, planning, merging).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENE_PX = 2500
GSD_M = 0.3


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tiles", type=int, default=2, help="the town cut into TILES x TILES GeoTIFFs (units)")
    p.add_argument("--configs", default="1x1,1x2,2x1",
                   help="comma-separated WORKERSxORT_THREADS (0xN: in one process, without Dask)")
    p.add_argument("--no-detect", action="store_true", help="segmentation only")
    p.add_argument("--scene-dir", default="out/benchmark")
    p.add_argument("--json", help="write the figures here")
    return p.parse_args(argv)


def tiles_of_town(scene_dir: str, tiles: int) -> str:
    from osgeo import gdal

    from scripts.make_demo_scene import make_scene

    town = os.path.join(scene_dir, f"town_{SCENE_PX}", "scene.tif")
    if not os.path.exists(town):
        print(f"generating a {SCENE_PX} px town ...", file=sys.stderr)
        make_scene(os.path.dirname(town), SCENE_PX, GSD_M)
    folder = os.path.join(scene_dir, f"town_{SCENE_PX}_tiles_{tiles}")
    os.makedirs(folder, exist_ok=True)
    step = SCENE_PX // tiles
    for row in range(tiles):
        for col in range(tiles):
            path = os.path.join(folder, f"tile_{row}_{col}.tif")
            if not os.path.exists(path):
                gdal.Translate(path, town, srcWin=[col * step, row * step, step, step])
    return folder


def run_command(tiles: str, output: str, workers: int, ort_threads: int, detect: bool) -> dict:
    command = [sys.executable, "-m", "building_area_plugin.batch", tiles, "-o", output, "--workers", str(workers),
               "--ort-threads", str(ort_threads), "--no-dashboard", "--no-progress", "--json"]
    if not detect:
        command.append("--no-detect")
    env = dict(os.environ, PYTHONPATH=ROOT)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    return {"wall_s": wall, "summary": json.loads(done.stdout)}


def unit_records(work_dir: str):
    folder = os.path.join(work_dir, "units")
    return [json.load(open(os.path.join(folder, name), encoding="utf-8")) for name in sorted(os.listdir(folder))
            if name.endswith(".json")]


def measure_config(tiles: str, workers: int, ort_threads: int, detect: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="batch-bench-") as out:
        output = os.path.join(out, "city.gpkg")
        first = run_command(tiles, output, workers, ort_threads, detect)
        records = unit_records(first["summary"]["work_folder"])
        rerun = run_command(tiles, output, workers, ort_threads, detect)
    summary = first["summary"]
    km2 = summary["analysed_area_m2"] / 1e6
    by_worker = {}
    for record in records:
        by_worker.setdefault(record["worker"], []).append(record["runtime_s"])
    busiest = max(sum(times) for times in by_worker.values())
    return {
        "workers": workers, "ort_threads": ort_threads, "units": len(records), "km2": km2,
        "wall_s": round(first["wall_s"], 2), "km2_per_min": round(km2 / first["wall_s"] * 60, 3),
        "unit_s_median": round(statistics.median(r["runtime_s"] for r in records), 2),
        "units_s_sum": round(sum(r["runtime_s"] for r in records), 2),
        "busiest_worker_s": round(busiest, 2),
        "units_cpu_s": round(sum(r.get("cpu_s", 0.0) for r in records), 2),
        "km2_per_cpu_min": round(km2 / sum(r.get("cpu_s", 0.0) for r in records) * 60, 3),
        "outside_units_s": round(first["wall_s"] - busiest, 2),  # start, checking, model check, merge, Dask
        "peak_rss_mb": round(max(r.get("peak_rss_mb", 0.0) for r in records), 1),
        "buildings": summary["building_count"], "joined_across_seams": summary["joined_across_seams"],
        "rerun_s": round(rerun["wall_s"], 2),
    }


def cluster_overheads(tasks: int = 200) -> dict:
    import logging

    from distributed import Client, LocalCluster, as_completed

    start = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, silence_logs=logging.CRITICAL)
    client = Client(cluster)
    started = time.perf_counter() - start
    try:
        client.submit(int, 0, pure=False).result()  # warm
        start = time.perf_counter()
        futures = [client.submit(int, i, pure=False) for i in range(tasks)]
        for _ in as_completed(futures):
            pass
        per_task = (time.perf_counter() - start) / tasks
    finally:
        client.close()
        cluster.close()
    return {"cluster_start_s": round(started, 2), "dask_task_ms": round(per_task * 1000, 2)}


def model_load_s(detect: bool) -> float:
    from building_area_plugin.core.model import OnnxModel
    from building_area_plugin.shipped_models import DETECTION, SEGMENTATION, shipped_model

    times = []
    for _ in range(3):
        start = time.perf_counter()
        OnnxModel(shipped_model(SEGMENTATION))
        if detect:
            OnnxModel(shipped_model(DETECTION))
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 3)


def merge_cost(tiles: str, detect: bool) -> dict:
    """Merge a finished run's units again, timed alone."""
    from building_area_plugin.batch.inputs import expand_inputs
    from building_area_plugin.batch.manifest import WorkFolder
    from building_area_plugin.batch.merge import merge_units
    from building_area_plugin.batch.params import BatchParams, output_files
    from building_area_plugin.batch.runner import run_batch
    from building_area_plugin.batch.units import inspect_raster, make_plan
    from building_area_plugin.shipped_models import DETECTION, SEGMENTATION, shipped_model

    with tempfile.TemporaryDirectory(prefix="batch-merge-") as out:
        params = BatchParams(inputs=[tiles], output_path=os.path.join(out, "city.gpkg"),
                             segmentation_model=shipped_model(SEGMENTATION),
                             detection_model=shipped_model(DETECTION) if detect else None, workers=0)
        run_batch(params)
        files = output_files(params.output_path)
        with WorkFolder(files["work"]) as work:
            plan = make_plan([inspect_raster(p) for p in expand_inputs([tiles]).rasters], params, work.mosaics_dir)
            records = work.finished(plan)
            start = time.perf_counter()
            merged = merge_units(plan, records, [], work.units_dir, params.min_area_m2,
                                 os.path.join(out, "again.gpkg"), os.path.join(out, "again.csv"), lambda: False)
            seconds = time.perf_counter() - start
    return {"merge_s": round(seconds, 3), "merge_s_per_unit": round(seconds / len(plan.units), 4),
            "merge_ms_per_building": round(1000 * seconds / max(1, merged.building_count), 3),
            "buildings": merged.building_count}


def main(argv=None) -> int:
    args = parse_args(argv)
    if not os.environ.get("PROJ_DATA") and os.path.isdir("/usr/share/proj"):
        os.environ["PROJ_DATA"] = "/usr/share/proj"
    detect = not args.no_detect
    tiles = tiles_of_town(args.scene_dir, args.tiles)
    results = {"tiles": args.tiles, "tile_px": SCENE_PX // args.tiles, "gsd_m": GSD_M, "detect": detect,
               "cores": len(os.sched_getaffinity(0)), "configs": []}
    for config in args.configs.split(","):
        workers, ort_threads = (int(v) for v in config.split("x"))
        print(f"{workers} workers x {ort_threads} onnxruntime threads ...", file=sys.stderr)
        results["configs"].append(measure_config(tiles, workers, ort_threads, detect))
        print(json.dumps(results["configs"][-1]), file=sys.stderr)
    results.update(cluster_overheads())
    results["model_load_s"] = model_load_s(detect)
    results["merge"] = merge_cost(tiles, detect)
    print(json.dumps(results, indent=2))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as stream:
            json.dump(results, stream, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
