#!/usr/bin/env python3
"""Evaluate the shipped models through the plugin's own core pipeline on shared-format folders.

    .venv/bin/python scripts/evaluate.py ../shared/data/banepa_nepal ../shared/data/austin_inria \
        --split val --json out/eval.json

Per source and overall: pixel IoU/F1 at the known GSD, the GSD head's relative error, the
built-up area error with the GSD found as the plugin finds it, and where instances.json exists the
buildings matched one to one at IoU >= 0.5: per-building precision, recall and F1 ('bldP', 'bldR',
'bldF1'), the share of matched pairs whose area is within 20 % of the true building's ('area20%')
and the median building-count error per image ('cntE%'); then pixel IoU per GSD band. With the GSD taken from the model (each
image is also run without its georeferencing), how often the 80 % interval holds the true GSD
('gsdIn%') and the true building area ('areaIn%'). Runs unattended on folders it has never seen
(no torch needed). 'exact labels' pools the images whose index.csv says label_quality exact:
coarse labels (offset by up to ~20 px and incomplete, as Xiamen's) cannot score outlines one to one.

With a detection model (--detection-model, or the shipped one): box precision, recall, F1 and
AP50 at IoU >= 0.5 against the instances' boxes (AP over the boxes the plugin delivers, i.e.
above the model's confidence), and the median building-count error per image of the detector
alone and of the fused polygons (whose per-building F1 is then 'bldF1').
"""
import argparse
import csv
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np
from osgeo import gdal, ogr
from shapely import wkb
from shapely.affinity import affine_transform
from shapely.geometry import Polygon
from tqdm import tqdm

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from building_area_plugin.core.errors import BuildingAreaError  # noqa: E402
from building_area_plugin.core.inference import estimate_gsd_m  # noqa: E402
from building_area_plugin.core.model import OnnxModel  # noqa: E402
from building_area_plugin.core.params import PipelineParams  # noqa: E402
from building_area_plugin.core.pipeline import run_pipeline  # noqa: E402
from building_area_plugin.core.raster import RasterSource  # noqa: E402
from building_area_plugin.core.workgrid import PixelWindow  # noqa: E402
from building_area_plugin.shipped_models import DETECTION, SEGMENTATION, shipped_model  # noqa: E402
from scripts.evaluation.detection_metrics import DetectionScores, count_error  # noqa: E402
from scripts.evaluation.metrics import SourceScores, match_polygons, relative_error  # noqa: E402
from scripts.segmentation.data import is_validation  # noqa: E402

gdal.UseExceptions()
# Images with less building than this have no meaningful relative area error.
MIN_TRUE_AREA_M2 = 50.0
NO_GEOTRANSFORM = (0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
GSD_BANDS_M = (0.2, 0.4, 0.8)  # upper edges of the bands < 0.2, 0.2-0.4, 0.4-0.8 m; then >= 0.8 m


def gsd_band(gsd_m: Optional[float]) -> str:
    if gsd_m is None:
        return "GSD unknown"
    edges = (0.0,) + GSD_BANDS_M + (float("inf"),)
    for low, high in zip(edges, edges[1:]):
        if gsd_m < high:
            return f"GSD {low:g}-{high:g} m" if high != float("inf") else f"GSD >= {low:g} m"


@dataclass
class ImageCase:
    source: str
    item_id: str
    image_path: str
    gt_path: Optional[str]
    gsd_m: Optional[float]
    instances: List[Polygon]
    labels: str = ""  # index.csv's: polygons, mask or boxes (instances.json then holds the boxes)
    label_quality: str = ""  # index.csv's: exact, coarse (offset, incomplete), boxes-noisy


def read_instances(folder: str) -> Dict[str, List[Polygon]]:
    path = os.path.join(folder, "instances.json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        coco = json.load(f)
    names = {img["id"]: os.path.splitext(img["file_name"])[0] for img in coco["images"]}
    polygons: Dict[str, List[Polygon]] = {name: [] for name in names.values()}
    for ann in coco["annotations"]:
        rings = [Polygon(np.array(r).reshape(-1, 2)) for r in ann["segmentation"] if len(r) >= 6]
        polygons[names[ann["image_id"]]].extend(r.buffer(0) for r in rings)
    return polygons


def find_image(folder: str, item_id: str) -> Optional[str]:
    for ext in (".tif", ".tiff", ".jpg", ".png"):
        path = os.path.join(folder, "images", item_id + ext)
        if os.path.exists(path):
            return path
    return None


def list_cases(folder: str, split: str) -> List[ImageCase]:
    source = os.path.basename(os.path.normpath(folder))
    instances = read_instances(folder)
    cases = []
    with open(os.path.join(folder, "index.csv")) as f:
        for row in csv.DictReader(f):
            held_out = is_validation(source, row["id"])
            if (split == "val" and not held_out) or (split == "train" and held_out):
                continue
            image = find_image(folder, row["id"])
            if image is None:
                continue
            gt = os.path.join(folder, "gt", row["id"] + ".tif")
            cases.append(ImageCase(source, row["id"], image, gt if os.path.exists(gt) else None,
                                   float(row["gsd_m"]) if row.get("gsd_m") else None,
                                   instances.get(row["id"], []), row.get("labels", ""), row.get("label_quality", "")))
    return cases


def read_band(path: str) -> np.ndarray:
    ds = gdal.Open(path)
    return ds.GetRasterBand(1).ReadAsArray()


def pixel_polygons(gpkg: str, geotransform) -> List[Polygon]:
    """The output building polygons in pixel coordinates of the raster (for instance matching)."""
    inv = gdal.InvGeoTransform(geotransform)
    ds = ogr.Open(gpkg)
    layer = ds.GetLayerByName("buildings")
    out = []
    for feature in layer:
        geom = wkb.loads(bytes(feature.GetGeometryRef().ExportToWkb()))
        out.append(affine_transform(geom, [inv[1], inv[2], inv[4], inv[5], inv[0], inv[3]]))
    return out


def run(case: ImageCase, model_path: str, tmp: str, gsd_m: Optional[float], probability: bool,
        detection_model: Optional[str] = None):
    params = PipelineParams(raster_path=case.image_path, output_path=os.path.join(tmp, "b.gpkg"),
                            segmentation_model=model_path, gsd_m=gsd_m,
                            probability_path=os.path.join(tmp, "p.tif") if probability else None,
                            detection_model=detection_model,
                            detections_path=os.path.join(tmp, "d.gpkg") if detection_model else None)
    return run_pipeline(params)


def pixel_boxes(gpkg: str, geotransform):
    """The detections layer's boxes as pixel xyxy [n, 4] of the raster, and their scores."""
    inv = gdal.InvGeoTransform(geotransform)
    ds = ogr.Open(gpkg)
    boxes, scores = [], []
    for feature in ds.GetLayerByName("detections"):
        geom = affine_transform(wkb.loads(bytes(feature.GetGeometryRef().ExportToWkb())),
                                [inv[1], inv[2], inv[4], inv[5], inv[0], inv[3]])
        boxes.append(geom.bounds)
        scores.append(feature.GetField("score"))
    return np.asarray(boxes, float).reshape(-1, 4), np.asarray(scores, float)


def evaluate_case(case: ImageCase, model: OnnxModel, model_path: str, detection_model: Optional[str] = None
                  ) -> Tuple[SourceScores, DetectionScores]:
    scores = SourceScores(images=1)
    detection = DetectionScores()
    with RasterSource(case.image_path) as raster:
        georeferenced = raster.has_georeferencing
        out_gt = raster.output_geotransform
        if case.gsd_m:
            window = PixelWindow(0, 0, raster.width, raster.height)
            estimate = estimate_gsd_m(raster, window, model, 4, lambda: False)
            scores.gsd_errors.append(relative_error(estimate, case.gsd_m))
    with tempfile.TemporaryDirectory() as tmp:
        # Known GSD: the georeferencing's, or the documented one for plain images.
        known = None if georeferenced else case.gsd_m
        result = run(case, model_path, tmp, known, probability=case.gt_path is not None,
                     detection_model=detection_model if case.instances else None)
        if case.gt_path:
            gt = read_band(case.gt_path) > 127
            pred = read_band(result.probability_path) >= round(255 * model.metadata.seg_thresh)
            scores.pixels.add(pred, gt)
        if case.instances:
            polygons = pixel_polygons(result.output_path, out_gt)
            scores.buildings = match_polygons(polygons, case.instances)
            error = count_error(len(polygons), len(case.instances))
            scores.count_errors += [error] if error is not None else []
            if result.detections_path:
                pred, score = pixel_boxes(result.detections_path, out_gt)
                true = np.asarray([p.bounds for p in case.instances if not p.is_empty], float).reshape(-1, 4)
                detection.add_image(pred, score, true, result.summary.building_count)
        if case.gt_path and case.gsd_m:
            true_area = (read_band(case.gt_path) > 127).sum() * case.gsd_m ** 2
            if true_area >= MIN_TRUE_AREA_M2:
                estimated = run(ImageCase(**{**case.__dict__, "image_path": plain_copy(case.image_path, tmp)}),
                                model_path, tmp, None, probability=False)
                found = result if georeferenced else estimated
                scores.area_errors.append(relative_error(found.summary.total_area_m2, true_area))
                add_interval_hits(scores, estimated.summary, case.gsd_m, true_area)
    return scores, detection


def plain_copy(image_path: str, tmp: str) -> str:
    """The image without georeferencing, so that the pipeline takes the GSD from the model."""
    path = os.path.join(tmp, "plain.tif")
    ds = gdal.Translate(path, image_path)
    ds.SetGeoTransform(NO_GEOTRANSFORM)  # GDAL's default: written as no georeferencing
    ds.SetProjection("")
    ds = None  # closes and flushes the file
    return path


def add_interval_hits(scores: SourceScores, summary, true_gsd_m: float, true_area_m2: float) -> None:
    """Did the run's 80 % area interval (GSD from the model) hold the truth?

    GSD only: the area this segmentation gives at the true GSD lies in the interval exactly when
    the true GSD lies in the GSD interval. Area: the true (labelled) building area, which also
    carries the segmentation's own error.
    """
    if summary.total_area_m2_low is None:
        return
    at_true_gsd = summary.total_area_m2 * (true_gsd_m / summary.gsd_m) ** 2
    scores.gsd_interval_hits.append(summary.total_area_m2_low <= at_true_gsd <= summary.total_area_m2_high)
    scores.area_interval_hits.append(summary.total_area_m2_low <= true_area_m2 <= summary.total_area_m2_high)


def fmt(value, pct=False):
    if value is None:
        return "    -"
    return f"{100 * value:5.1f}" if pct else f"{value:5.3f}"


def print_table(results: Dict[str, Dict]):
    detection = any("box_f1" in r for r in results.values())
    print(f"{'source':28s} {'imgs':>4s} {'IoU':>5s} {'F1':>5s} {'areaE50%':>8s} {'areaE90%':>8s} "
          f"{'gsdE50%':>7s} {'gsdE90%':>7s} {'gsdIn%':>6s} {'areaIn%':>7s} {'bldP':>5s} {'bldR':>5s} {'bldF1':>5s} "
          f"{'area20%':>7s} {'cntE%':>6s}"
          + (f" {'boxP':>5s} {'boxR':>5s} {'boxF1':>5s} {'AP50':>5s} {'cntE%det':>8s} {'cntE%fus':>8s}"
             if detection else ""))
    for name, r in results.items():
        line = (f"{name:28s} {r['images']:4d} {fmt(r['iou'])} {fmt(r['f1'])} {fmt(r['area_error_median'], True):>8s} "
                f"{fmt(r['area_error_p90'], True):>8s} {fmt(r['gsd_error_median'], True):>7s} "
                f"{fmt(r['gsd_error_p90'], True):>7s} {fmt(r['gsd_interval_coverage'], True):>6s} "
                f"{fmt(r['area_interval_coverage'], True):>7s} {fmt(r['building_precision'])} "
                f"{fmt(r['building_recall'])} {fmt(r['building_f1'])} {fmt(r['area_within_20pct'], True):>7s} "
                f"{fmt(r['count_error_median'], True):>6s}")
        if detection:
            line += (f" {fmt(r.get('box_precision'))} {fmt(r.get('box_recall'))} {fmt(r.get('box_f1'))} "
                     f"{fmt(r.get('box_ap50'))} {fmt(r.get('detector_count_error_median'), True):>8s} "
                     f"{fmt(r.get('fused_count_error_median'), True):>8s}")
        print(line)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folders", nargs="+", help="folders in the shared format (index.csv, images/, gt/)")
    p.add_argument("--model", default=None, help="segmentation model (default: the shipped one)")
    p.add_argument("--split", choices=["all", "val", "train"], default="all",
                   help="our validation split (held-out areas) or all images")
    p.add_argument("--json", default=None, help="write the numbers to this JSON file")
    p.add_argument("--detection-model", default=None,
                   help="detection model (default: the shipped one, if any); 'none' evaluates segmentation alone")
    args = p.parse_args(argv)
    detection_model = None if args.detection_model == "none" else (args.detection_model or shipped_model(DETECTION))

    model_path = args.model or shipped_model(SEGMENTATION)
    if model_path is None:
        p.error("no segmentation model in models/: pass --model PATH")
    model = OnnxModel(model_path)
    per_source: Dict[str, SourceScores] = {}
    overall = SourceScores()
    # Coarse labels (offset by up to ~20 px, incomplete: Xiamen) cannot score outlines one to one.
    exact, exact_det = SourceScores(), DetectionScores()
    per_band: Dict[str, SourceScores] = {}
    per_source_det: Dict[str, DetectionScores] = {}
    overall_det = DetectionScores()
    cases = [c for folder in args.folders for c in list_cases(folder, args.split)]
    for case in tqdm(cases, desc="evaluate", dynamic_ncols=True):
        try:
            scores, detection = evaluate_case(case, model, model_path, detection_model)
        except BuildingAreaError as exc:
            tqdm.write(f"{case.source}/{case.item_id}: skipped: {exc}")
            continue
        per_source.setdefault(case.source, SourceScores()).merge(scores)
        overall.merge(scores)
        per_band.setdefault(gsd_band(case.gsd_m), SourceScores()).merge(scores)
        per_source_det.setdefault(case.source, DetectionScores()).merge(detection)
        overall_det.merge(detection)
        if case.label_quality == "exact":
            exact.merge(scores)
            exact_det.merge(detection)

    def combined(s: SourceScores, d: DetectionScores) -> Dict:
        return {**s.as_dict(), **(d.as_dict() if detection_model else {})}

    results = {name: combined(s, per_source_det[name]) for name, s in sorted(per_source.items())}
    overall_dict = combined(overall, overall_det)
    exact_dict = combined(exact, exact_det)
    print(f"model: {model_path} ({model.provider}); detection: {detection_model or 'none'}; split: {args.split}")
    print_table({**results, "overall": overall_dict, "exact labels": exact_dict})
    bands = {name: s.as_dict() for name, s in sorted(per_band.items())}
    print()
    print_table(bands)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"model": os.path.basename(model_path), "split": args.split,
                       "detection_model": os.path.basename(detection_model) if detection_model else None,
                       "overall": overall_dict, "exact_labels": exact_dict, "sources": results,
                       "gsd_bands": bands}, f, indent=2)


if __name__ == "__main__":
    main()
