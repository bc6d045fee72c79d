#!/usr/bin/env python3
"""Fit the calibration of building scores and write it into a segmentation model's metadata.

    .venv/bin/python scripts/calibrate_scores.py ../shared/data/banepa_nepal ../shared/data/drone_turkey_labelme \
        ../shared/data/massachusetts_gdl ../shared/data/new_brunswick_gdl --output out/seg_calibrated.onnx

Runs the plugin's own pipeline (the model without any calibration it already has, the detection model as the
plugin runs it) on the TRAINING images of the folders, matches the buildings found to the labelled ones one
to one at IoU >= 0.5 (as scripts/evaluate.py does), fits the monotone map from raw score to the share of
matched buildings (scripts/evaluation/calibration.py) and writes the model with that map under the metadata
key 'score_calibration' to --output (every other key kept). Then the VALIDATION images (the split of
scripts/segmentation/data.py) give the reliability of the raw and of the calibrated scores: the expected
calibration error (ECE) and the per-bin table. Only images with polygon labels count: a building outline
matched against a box is no measure of a true building.
"""
import argparse
import json
import os
import sys
import tempfile
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

import numpy as np
from osgeo import gdal, ogr
from shapely import wkb
from shapely.affinity import affine_transform
from tqdm import tqdm

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from building_area_plugin.core.errors import BuildingAreaError  # noqa: E402
from building_area_plugin.core.model import ModelMetadata  # noqa: E402
from building_area_plugin.core.params import PipelineParams  # noqa: E402
from building_area_plugin.core.pipeline import run_pipeline  # noqa: E402
from building_area_plugin.core.raster import RasterSource  # noqa: E402
from building_area_plugin.core.score_calibration import METADATA_KEY, ScoreCalibration  # noqa: E402
from building_area_plugin.shipped_models import DETECTION, SEGMENTATION, shipped_model  # noqa: E402
from scripts.evaluate import ImageCase, list_cases  # noqa: E402
from scripts.evaluation.calibration import DEFAULT_BINS, MIN_PER_BIN, fit_calibration, reliability  # noqa: E402
from scripts.evaluation.metrics import matched_flags  # noqa: E402
from scripts.onnx_tools import read_metadata, with_metadata  # noqa: E402

Pairs = Tuple[np.ndarray, np.ndarray]  # (raw scores, matched?) of the buildings found


def polygon_cases(folders: List[str], split: str, max_images: Optional[int]) -> List[ImageCase]:
    """The split's images with polygon instances, at most max_images per folder (in index order)."""
    cases = []
    for folder in folders:
        found = [c for c in list_cases(folder, split) if c.labels == "polygons" and c.instances]
        cases += found[:max_images] if max_images else found
    return cases


def buildings_found(case: ImageCase, model: str, detection_model: Optional[str], tmp: str):
    """(pixel polygons, raw scores) of the pipeline's buildings on the image, at the GSD evaluate.py uses."""
    with RasterSource(case.image_path) as raster:
        georeferenced, out_gt = raster.has_georeferencing, raster.output_geotransform
    params = PipelineParams(raster_path=case.image_path, output_path=os.path.join(tmp, "b.gpkg"),
                            segmentation_model=model, gsd_m=None if georeferenced else case.gsd_m,
                            detection_model=detection_model)
    result = run_pipeline(params)
    inverse = gdal.InvGeoTransform(out_gt)
    to_pixels = [inverse[1], inverse[2], inverse[4], inverse[5], inverse[0], inverse[3]]
    dataset = ogr.Open(result.output_path)
    polygons, scores = [], []
    for feature in dataset.GetLayerByName("buildings"):
        polygons.append(affine_transform(wkb.loads(bytes(feature.GetGeometryRef().ExportToWkb())), to_pixels))
        scores.append(feature.GetField("score"))
    return polygons, np.asarray(scores, float)


def collect(cases: List[ImageCase], model: str, detection_model: Optional[str], desc: str) -> Dict[str, Pairs]:
    """Per source, the (raw score, matched?) pairs of every building found on the cases."""
    scores: Dict[str, List[np.ndarray]] = defaultdict(list)
    hits: Dict[str, List[np.ndarray]] = defaultdict(list)
    for case in tqdm(cases, desc=desc, dynamic_ncols=True):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                polygons, raw = buildings_found(case, model, detection_model, tmp)
            except BuildingAreaError as exc:
                tqdm.write(f"{case.source}/{case.item_id}: skipped: {exc}")
                continue
        scores[case.source].append(raw)
        hits[case.source].append(matched_flags(polygons, case.instances))
    return {source: (np.concatenate(scores[source]), np.concatenate(hits[source])) for source in scores}


def pooled(pairs: Dict[str, Pairs]) -> Pairs:
    if not pairs:
        return np.zeros(0), np.zeros(0, bool)
    return (np.concatenate([raw for raw, _ in pairs.values()]), np.concatenate([hit for _, hit in pairs.values()]))


def report(name: str, raw: np.ndarray, hits: np.ndarray, calibration: ScoreCalibration) -> dict:
    """Print and return the reliability of the raw and calibrated scores of one set of buildings."""
    if not len(raw):
        print(f"{name}: no buildings")
        return {"buildings": 0}
    calibrated = calibration(raw)
    ece_raw, _ = reliability(raw, hits)
    ece, table = reliability(calibrated, hits)
    print(f"{name}: {len(raw)} buildings, {hits.mean():.1%} true; ECE raw {ece_raw:.3f}, calibrated {ece:.3f}")
    print(f"  {'calibrated':>11s} {'buildings':>9s} {'mean score':>10s} {'true':>6s}")
    for row in table:
        print(f"  {row.low:4.1f}-{row.high:4.1f}  {row.count:9d} {row.mean_score:10.3f} {row.hit_rate:6.3f}")
    return {"buildings": int(len(raw)), "true_share": float(hits.mean()), "ece_raw": ece_raw, "ece_calibrated": ece,
            "bins": [row.__dict__ for row in table]}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folders", nargs="+", help="folders in the shared format with polygon instances (instances.json)")
    p.add_argument("--output", required=True, help="where to write the calibrated model (.onnx)")
    p.add_argument("--model", default=None, help="segmentation model (default: the shipped one)")
    p.add_argument("--detection-model", default=None,
                   help="detection model (default: the shipped one, if any); 'none': segmentation alone")
    p.add_argument("--max-images", type=int, default=None, help="at most this many images per folder and split")
    p.add_argument("--bins", type=int, default=DEFAULT_BINS, help=f"most knots of the map (default {DEFAULT_BINS})")
    p.add_argument("--min-per-bin", type=int, default=MIN_PER_BIN,
                   help=f"fewest buildings behind a knot (default {MIN_PER_BIN})")
    p.add_argument("--json", default=None, help="write the map and the reliability figures to this JSON file")
    args = p.parse_args(argv)
    model_path = args.model or shipped_model(SEGMENTATION)
    if model_path is None:
        p.error("no segmentation model in models/: pass --model PATH")
    detection_model = None if args.detection_model == "none" else (args.detection_model or shipped_model(DETECTION))
    if os.path.abspath(args.output) == os.path.abspath(model_path):
        p.error("--output must not be the model itself: write the calibrated model to a new file")

    with tempfile.TemporaryDirectory() as tmp:
        raw_model = os.path.join(tmp, "raw.onnx")  # the scores must be raw, whatever calibration the model has
        with_metadata(model_path, raw_model, {METADATA_KEY: None})
        train = collect(polygon_cases(args.folders, "train", args.max_images), raw_model, detection_model, "train")
        raw, hits = pooled(train)
        if not len(raw):
            p.error("no building found on the training images with polygon labels of these folders")
        calibration = ScoreCalibration.from_knots(fit_calibration(raw, hits, args.bins, args.min_per_bin))
        validation = collect(polygon_cases(args.folders, "val", args.max_images), raw_model, detection_model, "val")
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with_metadata(model_path, args.output, {METADATA_KEY: calibration.to_metadata()})
    print(f"model: {model_path}; detection: {detection_model or 'none'}; {len(calibration.raw)} knots written to "
          f"{args.output} ({METADATA_KEY}):")
    print("  " + ", ".join(f"{r:.3f}->{c:.3f}" for r, c in calibration.knots()))
    all_validation = pooled(validation)
    figures = {"model": os.path.basename(model_path), "output": args.output, METADATA_KEY: calibration.knots(),
               "train": report("training (fitted on)", *pooled(train), calibration),
               "validation": report("validation", *all_validation, calibration),
               "validation_sources": {source: report(f"  validation {source}", *pairs, calibration)
                                      for source, pairs in sorted(validation.items())}}
    current = ModelMetadata.from_props(read_metadata(model_path), model_path).score_calibration
    if current is not None:  # after a detector or key change: does the map the model has still hold?
        figures["validation_current_map"] = report("validation, the model's current map", *all_validation, current)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)


if __name__ == "__main__":
    main()
