"""building-area-batch: find the buildings of many rasters (a whole city) in one command, on Dask.

    python -m building_area_plugin.batch /data/tiles --output /data/city.gpkg
    python -m building_area_plugin.batch /data/tiles --output /data/city.gpkg --scheduler tcp://10.0.0.5:8786

(scripts/building-area-batch runs the same with the repository's venv.) Inputs are raster files,
folders, globs, VRTs or text files listing them. Writes city.gpkg (layer buildings: every building
once, with its ground area and its source raster; layer rasters: the per-raster summary; layer
units), city_rasters.csv (the per-raster summary), city.json (the result) and keeps city_batch/
(the finished units: the same command resumes an interrupted run and skips what is done).

Exit status: 0 done, 3 done but some rasters failed (see the summary), 1 the run failed,
2 bad arguments, 130 interrupted (run the same command again to resume).
"""
import argparse
import json
import os
import sys
from typing import Optional

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_SOME_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def parse_args(argv=None) -> argparse.Namespace:
    from .params import DASHBOARD_ADDRESS, DEFAULT_MARGIN_PX, DEFAULT_RETRIES, DEFAULT_WINDOW_PX

    p = argparse.ArgumentParser(prog="building-area-batch", description=__doc__.split("\n\n")[0],
                                epilog=__doc__.split("\n\n", 2)[2], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="raster files, folders, globs, VRTs, lists of paths (.txt)")
    p.add_argument("-o", "--output", required=True, help="the merged GeoPackage (.gpkg) to write")
    cluster = p.add_argument_group("cluster")
    cluster.add_argument("--scheduler", help="address of an existing Dask scheduler, e.g. tcp://10.0.0.5:8786 "
                                             "(default: a local cluster sized to this machine)")
    cluster.add_argument("--workers", type=int, help="local worker processes (default: as many as cores and memory "
                                                     "allow; 0: run in this process, without Dask)")
    cluster.add_argument("--threads-per-worker", type=int, help="threads per local worker (default 1)")
    cluster.add_argument("--ort-threads", type=int, help="onnxruntime threads per model (default: cores / worker threads)")
    cluster.add_argument("--retries", type=int, default=DEFAULT_RETRIES,
                         help=f"reruns of a unit that raised an unexpected error (default {DEFAULT_RETRIES})")
    cluster.add_argument("--dashboard-address", default=DASHBOARD_ADDRESS,
                         help=f"the local cluster's dashboard (default {DASHBOARD_ADDRESS})")
    cluster.add_argument("--no-dashboard", action="store_true", help="no dashboard for the local cluster")
    units = p.add_argument_group("work units")
    units.add_argument("--window", type=int, default=DEFAULT_WINDOW_PX,
                       help=f"rasters larger than this (px) are cut into windows of about this size (default {DEFAULT_WINDOW_PX})")
    units.add_argument("--margin", type=int, default=DEFAULT_MARGIN_PX,
                       help=f"pixels read around each unit, for the model's context (default {DEFAULT_MARGIN_PX})")
    model = p.add_argument_group("detection (as the Processing algorithm's parameters)")
    model.add_argument("--segmentation-model", help="ONNX segmentation model (default: the shipped one)")
    model.add_argument("--detection-model", help="ONNX detection model (default: the shipped one)")
    model.add_argument("--no-detect", action="store_true", help="segmentation only, no detection model")
    model.add_argument("--gsd", type=float, help="ground sampling distance, m/px (default: from the georeferencing)")
    model.add_argument("--min-area", type=float, default=2.0, help="smallest building kept, m² (default 2)")
    model.add_argument("--threshold", type=float, help="building probability threshold (default: the model's)")
    model.add_argument("--det-conf", type=float, help="detection confidence (default: the model's)")
    model.add_argument("--det-iou", type=float, help="detection NMS IoU (default: the model's)")
    model.add_argument("--batch-size", type=int, default=4, help="tiles per model call (default 4)")
    model.add_argument("--regularize", action="store_true",
                       help="write right-angled outlines aligned to each building (area_m2 stays the mask's; "
                            "area_reg_m2 is the outline's)")
    out = p.add_argument_group("output")
    out.add_argument("--no-progress", action="store_true", help="no progress bars (messages still go to stderr)")
    out.add_argument("--json", action="store_true", help="print the result (as in <output>.json) on stdout")
    return p.parse_args(argv)


class _Progress:
    """tqdm bars over units and km² on stderr (imported lazily: only the command line needs tqdm)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.units_bar = self.area_bar = None
        self.done = self.total = 0

    def message(self, text: str) -> None:
        if self.units_bar is not None:
            from tqdm import tqdm

            tqdm.write(text, file=sys.stderr)
        else:
            print(text, file=sys.stderr, flush=True)

    def started(self, units: int, pending: int, planned_km2: float, done_km2: float) -> None:
        from tqdm import tqdm

        self.total, self.done = units, units - pending
        if not pending:
            return
        disable = None if self.enabled else True  # None: tqdm draws only on a terminal
        self.units_bar = tqdm(total=units, initial=units - pending, desc="units", unit="unit", position=0,
                              file=sys.stderr, disable=disable, dynamic_ncols=True)
        self.area_bar = tqdm(total=round(planned_km2, 4), initial=round(done_km2, 4), desc="km² ", unit="km²",
                             position=1, file=sys.stderr, disable=disable, dynamic_ncols=True,
                             bar_format="{l_bar}{bar}| {n:.2f}/{total:.2f} km² [{elapsed}<{remaining}]")

    def unit_done(self, record) -> None:
        self.done += 1
        if self.units_bar is not None:
            self.units_bar.update(1)
            self.area_bar.update(record.planned_m2 / 1e6)
        if record.status != "ok":
            self.message(f"{record.raster}: {record.reason}")

    def close(self) -> None:
        for bar in (self.area_bar, self.units_bar):
            if bar is not None:
                bar.close()
        self.units_bar = self.area_bar = None


def _params(args, shipped):
    from .params import BatchParams

    segmentation = args.segmentation_model or shipped.shipped_model(shipped.SEGMENTATION)
    if not segmentation:
        raise SystemExit("building-area-batch: no segmentation model: the models folder has no "
                         "building_segmentation*.onnx; give --segmentation-model.")
    detection = None if args.no_detect else (args.detection_model or shipped.shipped_model(shipped.DETECTION))
    return BatchParams(
        inputs=args.inputs, output_path=args.output, segmentation_model=segmentation,
        model_checksums=shipped.checksum_list(segmentation), detection_model=detection,
        detection_checksums=shipped.checksum_list(detection) if detection else None,
        gsd_m=args.gsd or None, threshold=args.threshold or None, min_area_m2=args.min_area,
        det_conf=args.det_conf or None, det_iou=args.det_iou or None, batch_size=args.batch_size,
        regularize=args.regularize,
        window_px=args.window, margin_px=args.margin, workers=args.workers,
        threads_per_worker=args.threads_per_worker, ort_threads=args.ort_threads, scheduler=args.scheduler,
        dashboard_address=None if args.no_dashboard else args.dashboard_address, retries=args.retries)


def _report(summary: dict) -> str:
    rasters, units = summary["rasters"], summary["units"]
    lines = [f"{summary['building_count']} buildings, {summary['total_area_m2']:.1f} m² built up of "
             f"{summary['analysed_area_m2'] / 1e6:.3f} km² analysed ({summary['built_up_share_pct']:.2f} %), "
             f"{summary['joined_across_seams']} of them joined across seams"
             + (f"; regularized outlines {summary['total_area_reg_m2']:.1f} m²"
                if summary.get("total_area_reg_m2") is not None else ""),
             f"rasters: {rasters['ok']} ok, {rasters['partial']} partial, {rasters['failed']} failed; units: "
             f"{units['run']} run, {units['skipped']} done before, {units['failed']} failed; "
             f"{summary['runtime_s']:.1f} s"]
    lines += [f"  {failure['status']}: {failure['raster']}: {failure['reason']}" for failure in summary["failures"]]
    lines += [f"buildings: {summary['output']}", f"per raster: {summary['rasters_csv']}",
              f"result: {summary['result_json']}"]
    return "\n".join(lines)


def main(argv=None) -> int:
    # pyproj from a venv does not find Debian's PROJ database by itself (also for the workers it starts).
    if not os.environ.get("PROJ_DATA") and os.path.isdir("/usr/share/proj"):
        os.environ["PROJ_DATA"] = "/usr/share/proj"
    args = parse_args(argv)
    from .. import shipped_models
    from ..core.errors import BuildingAreaError, CancelledError
    from .messages import interrupted_message
    from .runner import run_batch

    progress = _Progress(enabled=not args.no_progress)
    try:
        result = run_batch(_params(args, shipped_models), progress)
    except KeyboardInterrupt:
        progress.close()
        print("Interrupted. " + interrupted_message(progress.done, progress.total), file=sys.stderr)
        return EXIT_INTERRUPTED
    except CancelledError as error:
        progress.close()
        print(str(error), file=sys.stderr)
        return EXIT_INTERRUPTED
    except BuildingAreaError as error:
        progress.close()
        print(f"building-area-batch: {error}", file=sys.stderr)
        return EXIT_ERROR
    progress.close()
    print(_report(result.summary), file=sys.stderr)
    if args.json:
        print(json.dumps(result.summary, indent=2))
    return EXIT_SOME_FAILED if result.failures else EXIT_OK


def run(argv: Optional[list] = None) -> None:
    """Console-script entry point."""
    sys.exit(main(argv))
