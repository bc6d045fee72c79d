#!/usr/bin/env python3
"""Tune the instance split's thresholds on TRAINING images, and write them into the models' metadata.

    scripts/qgis_env.sh .venv/bin/python scripts/tune_split.py ../shared/data/banepa_nepal \
        ../shared/data/drone_turkey_labelme ../shared/data/massachusetts_gdl ../shared/data/new_brunswick_gdl \
        --json out/tune_split.json [--write-segmentation OUT.onnx] [--write-detection OUT.onnx]

Only the training images (never the validation split, scripts/segmentation/data.py) of folders
with per-building polygons (instances.json) are used. Each image runs through the plugin's own
pipeline stages once (GSD as the plugin finds it with its georeferencing, else the documented
one; probability and edge probability stitched; boxes per NMS IoU), then every setting cuts the
same stitched rasters again. Per setting it prints the per-building F1 at IoU >= 0.5 (pooled
over images, as scripts/evaluate.py) and the median building-count error per image, overall
and per source.

Two stages, each picking, among the settings within F1_TOLERANCE of the best overall F1 (about
the sampling noise of F1 over these ~2 000 buildings), the one with the lowest count error:
1. segmentation alone: split_edge_thresh x split_wall_prob x split_seed_prob x split_min_seed_m2
   (the edge output ignored is printed first: the behaviour before the split, without a
   detector); a wall threshold at or under the edge threshold merges nothing the seeds did not
   already, so walls run from the edge threshold up;
   then, for that split, the coarsest raster GSD it is used at (split_max_gsd_m: coarser rasters
   are upsampled to the model's GSD and their blurred walls cut single roofs);
2. with the detector (unless --detection-model none), on stage 1's split: det_iou_thresh (NMS)
   x fusion_min_score.
--write-segmentation / --write-detection save copies of the models with the chosen keys added
to their metadata (everything else unchanged); a segmentation model that detects
(scripts/export_combined.py), given as both models, gets both sets of keys in --write-segmentation.
"""
import argparse
import itertools
import json
import math
import os
import sys
import tempfile
from dataclasses import dataclass, field, replace
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from osgeo import gdal
from shapely.affinity import affine_transform

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from building_area_plugin.core.areas import GroundAreaCalculator  # noqa: E402
from building_area_plugin.core.detection import run_detection  # noqa: E402
from building_area_plugin.core.fusion import FusionSettings, SplitCounts  # noqa: E402
from building_area_plugin.core.model import ModelMetadata, OnnxModel  # noqa: E402
from building_area_plugin.core.params import PipelineParams  # noqa: E402
from building_area_plugin.core.pipeline import (RunLog, buildings_from_outlines, determine_gsd,  # noqa: E402
                                                outline_polygons, write_probabilities)
from building_area_plugin.core.raster import RasterSource  # noqa: E402
from building_area_plugin.core.workgrid import PixelWindow, plan_work_grid, window_geotransform  # noqa: E402
from building_area_plugin.shipped_models import DETECTION, SEGMENTATION, shipped_model  # noqa: E402
from scripts.evaluate import ImageCase, list_cases  # noqa: E402
from scripts.evaluation.detection_metrics import count_error  # noqa: E402
from scripts.evaluation.metrics import MatchCounts, match_polygons  # noqa: E402

EDGE_THRESHOLDS = (0.3, 0.4, 0.5, 0.6)
WALL_STEPS = (0.0, 0.1, 0.2)  # split_wall_prob = split_edge_thresh + these
SEED_PROBS = (0.5, 0.65, 0.8)
MIN_SEEDS_M2 = (1.0, 3.0, 8.0)
NMS_IOUS = (0.5, 0.65, 0.8)
# Raw building scores run 0.8-0.98 (mean probability over a 0.65 threshold): the top of the grid is the fine part.
MIN_SCORES = (0.0, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9)
# split_max_gsd_m candidates, largest first: among equally good gates the one splitting the most imagery wins.
MAX_GSDS_M = (math.inf, 0.6, 0.35, 0.2)
MIN_AREA_M2 = PipelineParams.min_area_m2  # the plugin's default, as scripts/evaluate.py runs it
BATCH = 4
F1_TOLERANCE = 0.005
SPLIT_KEYS = ("split_edge_thresh", "split_wall_prob", "split_seed_prob", "split_min_seed_m2", "split_max_gsd_m")
DETECTION_KEYS = ("det_iou_thresh", "fusion_min_score")


def never() -> bool:
    return False


def quiet(*_args) -> None:
    return None


@dataclass
class Prepared:
    """One training image run through the pipeline up to its outlines: what every setting cuts again."""
    case: ImageCase
    polygons_path: str
    prob_path: str
    edge_path: Optional[str]
    window_gt: Tuple[float, ...]
    to_pixels: List[float]
    calculator: GroundAreaCalculator
    pixel_m2: float
    gsd_m: float  # the raster's GSD as the plugin finds it
    boxes: Dict[float, np.ndarray] = field(default_factory=dict)  # NMS IoU -> boxes in raster pixels


def prepare(case: ImageCase, model: OnnxModel, detector: Optional[OnnxModel], workdir: str) -> Prepared:
    os.makedirs(workdir)
    with RasterSource(case.image_path) as raster:
        window = PixelWindow(0, 0, raster.width, raster.height)
        params = PipelineParams(raster_path=case.image_path, output_path=os.path.join(workdir, "b.gpkg"),
                                segmentation_model=model.path,
                                gsd_m=None if raster.has_georeferencing else case.gsd_m)
        gsd, _ = determine_gsd(raster, window, model, params, never, RunLog())
        grid = plan_work_grid(window, gsd.mean_m, model.metadata.gsd_m, model.metadata.tile_size)
        prob_path = os.path.join(workdir, "probability.tif")
        edge_path = os.path.join(workdir, "edge.tif") if model.has_edge_output else None
        write_probabilities(raster, grid, model, BATCH, prob_path, edge_path, workdir, quiet, never)
        polygons_path = outline_polygons(prob_path, model.metadata.seg_thresh, workdir, never)
        inverse = gdal.InvGeoTransform(raster.output_geotransform)
        prepared = Prepared(case, polygons_path, prob_path, edge_path,
                            window_geotransform(raster.output_geotransform, window),
                            [inverse[1], inverse[2], inverse[4], inverse[5], inverse[0], inverse[3]],
                            GroundAreaCalculator(raster.crs_wkt, raster.output_geotransform, gsd), gsd.x_m * gsd.y_m,
                            gsd.mean_m)
        if detector is not None:
            for iou in NMS_IOUS:
                stage = run_detection(raster, window, gsd.mean_m, detector, BATCH, None, iou, quiet, quiet, never)
                prepared.boxes[iou] = stage.window_xyxy
    return prepared


@dataclass
class Scores:
    matches: MatchCounts = field(default_factory=MatchCounts)
    count_errors: List[float] = field(default_factory=list)

    def add(self, matches: MatchCounts, error: float) -> None:
        self.matches.tp += matches.tp
        self.matches.n_pred += matches.n_pred
        self.matches.n_true += matches.n_true
        self.count_errors.append(error)

    @property
    def f1(self) -> float:
        return self.matches.f1() or 0.0

    @property
    def count_error(self) -> float:
        return float(np.median(self.count_errors)) if self.count_errors else float("nan")


def score(images: Sequence[Prepared], segmentor: ModelMetadata, detector: Optional[ModelMetadata],
          nms_iou: Optional[float]) -> Dict[str, Scores]:
    """Per source and 'overall': the buildings of every image cut with these settings, matched to the truth."""
    results: Dict[str, Scores] = {}
    for image in images:
        fusion = FusionSettings.from_models(segmentor, detector, image.pixel_m2, MIN_AREA_M2, image.gsd_m)
        boxes = image.boxes[nms_iou] if nms_iou is not None else np.zeros((0, 4))
        buildings = buildings_from_outlines(image.polygons_path, image.prob_path, image.edge_path, image.window_gt,
                                            image.calculator, fusion, boxes, MIN_AREA_M2, never, SplitCounts())
        found = [affine_transform(b.geometry, image.to_pixels) for b in buildings]
        matches = match_polygons(found, image.case.instances)
        error = count_error(len(found), len(image.case.instances))
        for name in (image.case.source, "overall"):
            results.setdefault(name, Scores()).add(matches, error)
    return results


def describe(settings: Dict[str, object]) -> str:
    return " ".join(f"{key}={value}" for key, value in settings.items())


def run_grid(label: str, images: Sequence[Prepared], grid: Iterable[Tuple[Dict[str, object], Tuple]],
             sources: Sequence[str]) -> List[Tuple[Dict[str, object], Dict[str, Scores]]]:
    print(f"\n== {label} ==")
    print(f"{'setting':100s} {'F1':>5s} {'cntE%':>6s}  " + "  ".join(f"{s[:14]:>14s}" for s in sources))
    rows = []
    for settings, args in grid:
        results = score(images, *args)
        overall = results["overall"]
        per_source = "  ".join(f"{results[s].f1:5.3f}/{100 * results[s].count_error:6.1f}%" for s in sources)
        print(f"{describe(settings):100s} {overall.f1:5.3f} {100 * overall.count_error:5.1f}%  {per_source}",
              flush=True)
        rows.append((settings, results))
    return rows


def best(rows: List[Tuple[Dict[str, object], Dict[str, Scores]]]) -> Tuple[Dict[str, object], Dict[str, Scores]]:
    top = max(row[1]["overall"].f1 for row in rows)
    close = [row for row in rows if row[1]["overall"].f1 >= top - F1_TOLERANCE]
    return min(close, key=lambda row: (row[1]["overall"].count_error, -row[1]["overall"].f1))


def segmentation_grid(meta: ModelMetadata):
    yield {"edges": "ignored"}, (replace(meta, edge_output=None), None, None)
    for edge, step, seed, min_seed in itertools.product(EDGE_THRESHOLDS, WALL_STEPS, SEED_PROBS, MIN_SEEDS_M2):
        settings = {"split_edge_thresh": edge, "split_wall_prob": round(edge + step, 2), "split_seed_prob": seed,
                    "split_min_seed_m2": min_seed}
        yield settings, (replace(meta, **settings), None, None)


def gate_grid(meta: ModelMetadata, split: Dict[str, object]):
    for max_gsd in MAX_GSDS_M:
        settings = {**split, "split_max_gsd_m": max_gsd}
        yield settings, (replace(meta, **settings), None, None)


def detection_grid(segmentor: ModelMetadata, detector: ModelMetadata, split: Dict[str, object]):
    for iou, min_score in itertools.product(NMS_IOUS, MIN_SCORES):
        settings = {**split, "det_iou_thresh": iou, "fusion_min_score": min_score}
        yield settings, (segmentor, replace(detector, fusion_min_score=min_score), iou)


def write_metadata(model_path: str, out_path: str, values: Dict[str, object]) -> None:
    """A copy of the model with these metadata keys set (as JSON, like every key the plugin reads)."""
    import onnx  # only this script needs it

    model = onnx.load(model_path)
    props = {p.key: p.value for p in model.metadata_props}
    props.update({key: json.dumps(value) for key, value in values.items()})
    del model.metadata_props[:]
    for key, value in props.items():
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, out_path)
    print(f"wrote {out_path}: {describe(values)}")


def as_json(rows) -> List[Dict]:
    return [{"settings": settings, **{name: {"building_f1": s.f1, "count_error_median": s.count_error,
                                              "images": len(s.count_errors)} for name, s in results.items()}}
            for settings, results in rows]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folders", nargs="+", help="shared-format folders with instances.json")
    p.add_argument("--model", default=None, help="segmentation model (default: the shipped one)")
    p.add_argument("--detection-model", default=None, help="detection model (default: the shipped one); 'none'")
    p.add_argument("--json", default=None, help="write every setting's figures here")
    p.add_argument("--write-segmentation", default=None, help="save the segmentation model with the chosen keys")
    p.add_argument("--write-detection", default=None, help="save the detection model with the chosen keys")
    args = p.parse_args(argv)
    model = OnnxModel(args.model or shipped_model(SEGMENTATION))
    if not model.has_edge_output:
        p.error(f"{model.name} has no edge output: there is nothing to tune")
    detector_path = None if args.detection_model == "none" else (args.detection_model or shipped_model(DETECTION))
    detector = OnnxModel(detector_path) if detector_path else None
    cases = [c for folder in args.folders for c in list_cases(folder, "train") if c.instances]
    if not cases:
        p.error("no training images with building polygons (instances.json) in these folders")
    sources = sorted({c.source for c in cases})
    print(f"{len(cases)} training images with building polygons from {', '.join(sources)}; "
          f"segmentation {model.name}, detection {detector.name if detector else 'none'}")
    with tempfile.TemporaryDirectory() as tmp:
        images = [prepare(case, model, detector, os.path.join(tmp, f"{i}")) for i, case in enumerate(cases)]
        stage1 = run_grid("segmentation alone", images, segmentation_grid(model.metadata), sources)
        split, _ = best([row for row in stage1 if "edges" not in row[0]])
        gates = run_grid("the split's GSD limit", images, gate_grid(model.metadata, split), sources)
        split, _ = best(gates)
        print(f"chosen (segmentation alone): {describe(split)}")
        stage2 = []
        if detector is not None:
            segmentor = replace(model.metadata, **split)
            stage2 = run_grid("with the detector", images, detection_grid(segmentor, detector.metadata, split),
                              sources)
            chosen, _ = best(stage2)
            print(f"chosen (with the detector): {describe(chosen)}")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"segmentation": model.name, "detection": detector.name if detector else None,
                       "images": len(cases), "sources": sources,
                       "segmentation_alone": as_json(stage1), "gsd_limit": as_json(gates),
                       "with_detector": as_json(stage2)}, f, indent=2)
    # A segmentation model that detects, tuned as its own detector, carries both sets of keys.
    one_model = detector is not None and os.path.samefile(detector.path, model.path)
    if args.write_segmentation:
        # No GSD limit is the plugin's default: the key is left out rather than written as infinity.
        values = {k: split[k] for k in SPLIT_KEYS if split[k] != math.inf}
        write_metadata(model.path, args.write_segmentation,
                       {**values, **({k: chosen[k] for k in DETECTION_KEYS} if one_model else {})})
    if args.write_detection and detector is not None and not one_model:
        write_metadata(detector.path, args.write_detection, {k: chosen[k] for k in DETECTION_KEYS})


if __name__ == "__main__":
    main()
