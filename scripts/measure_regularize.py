#!/usr/bin/env python3
"""What regularized outlines change, on real images: total area per image, time per building, match quality.

    .venv/bin/python scripts/measure_regularize.py ../shared/data/* --split val --json out/regularize.json

Runs the plugin's pipeline (outlines as the mask gives them, the detection model as the plugin runs it) on
each image of the split, then regularizes its buildings exactly as the pipeline does with REGULARIZE on
(core.regularize.Regularizer, in the same frame, measured by the same calculator), timing that step alone.
Per source and overall: the median, 10th and 90th percentile of the per-image change of the total building
area (regularized against mask, %), the CPU milliseconds per building of regularizing and of the pipeline
itself (process CPU time, all threads: on a shared machine wall time says more about the neighbours), the
share of outlines kept as found and,
where polygon instances exist, per-building F1 and area20% (scripts/evaluate.py's) of the mask's outlines and
of the regularized ones.
"""
import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np
from osgeo import gdal, ogr
from shapely import wkb
from shapely.affinity import affine_transform
from tqdm import tqdm

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from building_area_plugin.batch.unit import ground_sampling  # noqa: E402
from building_area_plugin.core.areas import GroundAreaCalculator  # noqa: E402
from building_area_plugin.core.errors import BuildingAreaError  # noqa: E402
from building_area_plugin.core.params import PipelineParams  # noqa: E402
from building_area_plugin.core.pipeline import run_pipeline  # noqa: E402
from building_area_plugin.core.raster import RasterSource  # noqa: E402
from building_area_plugin.core.regularize import Regularizer  # noqa: E402
from building_area_plugin.core.vectorize import Building  # noqa: E402
from building_area_plugin.shipped_models import DETECTION, SEGMENTATION, shipped_model  # noqa: E402
from scripts.evaluate import ImageCase, list_cases  # noqa: E402
from scripts.evaluation.metrics import MatchCounts, match_polygons  # noqa: E402


@dataclass
class Figures:
    changes_pct: List[float] = field(default_factory=list)  # per image with buildings
    buildings: int = 0
    kept_as_found: int = 0
    seconds: float = 0.0           # CPU time regularizing
    pipeline_seconds: float = 0.0  # CPU time of the pipeline runs
    mask_matches: MatchCounts = field(default_factory=MatchCounts)
    regular_matches: MatchCounts = field(default_factory=MatchCounts)

    def add(self, other: "Figures") -> None:
        self.changes_pct += other.changes_pct
        self.buildings += other.buildings
        self.kept_as_found += other.kept_as_found
        self.seconds += other.seconds
        self.pipeline_seconds += other.pipeline_seconds
        self.mask_matches.merge(other.mask_matches)
        self.regular_matches.merge(other.regular_matches)

    def as_dict(self) -> Dict[str, Optional[float]]:
        def pct(q):
            return float(np.percentile(self.changes_pct, q)) if self.changes_pct else None
        return {"images": len(self.changes_pct), "buildings": self.buildings,
                "area_change_median_pct": pct(50), "area_change_p10_pct": pct(10), "area_change_p90_pct": pct(90),
                "ms_per_building": 1000 * self.seconds / self.buildings if self.buildings else None,
                "pipeline_ms_per_building": 1000 * self.pipeline_seconds / self.buildings if self.buildings else None,
                "kept_as_found_share": self.kept_as_found / self.buildings if self.buildings else None,
                "building_f1_mask": self.mask_matches.f1() if self.mask_matches.n_true else None,
                "building_f1_regularized": self.regular_matches.f1() if self.regular_matches.n_true else None,
                "area20_mask": self.mask_matches.area_share(),
                "area20_regularized": self.regular_matches.area_share()}


def read_buildings(path: str) -> List[Building]:
    dataset = ogr.Open(path)
    return [Building(wkb.loads(bytes(f.GetGeometryRef().ExportToWkb())), f.GetField("area_m2"),
                     f.GetField("perimeter_m"), f.GetField("score")) for f in dataset.GetLayerByName("buildings")]


def measure(case: ImageCase, model: str, detection_model: Optional[str], tmp: str) -> Figures:
    with RasterSource(case.image_path) as raster:
        georeferenced, crs_wkt, out_gt = raster.has_georeferencing, raster.crs_wkt, raster.output_geotransform
    pipeline_started = time.process_time()
    result = run_pipeline(PipelineParams(
        raster_path=case.image_path, output_path=os.path.join(tmp, "b.gpkg"), segmentation_model=model,
        gsd_m=None if georeferenced else case.gsd_m, detection_model=detection_model))
    pipeline_seconds = time.process_time() - pipeline_started
    buildings = read_buildings(result.output_path)
    gsd = ground_sampling(case.image_path, result.summary)
    regularizer = Regularizer(out_gt, gsd.x_m, gsd.y_m, GroundAreaCalculator(crs_wkt, out_gt, gsd))
    started = time.process_time()
    regular = list(regularizer.buildings(buildings))
    figures = Figures(buildings=len(buildings), kept_as_found=regularizer.kept_as_found,
                      seconds=time.process_time() - started, pipeline_seconds=pipeline_seconds)
    total = sum(b.area_m2 for b in buildings)
    if total > 0:
        figures.changes_pct.append(100.0 * (sum(b.area_reg_m2 for b in regular) - total) / total)
    if case.labels == "polygons" and case.instances:
        inverse = gdal.InvGeoTransform(out_gt)
        to_pixels = [inverse[1], inverse[2], inverse[4], inverse[5], inverse[0], inverse[3]]
        for matches, found in ((figures.mask_matches, buildings), (figures.regular_matches, regular)):
            matches.merge(match_polygons([affine_transform(b.geometry, to_pixels) for b in found], case.instances))
    return figures


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folders", nargs="+", help="folders in the shared format (index.csv, images/)")
    p.add_argument("--split", choices=["all", "val", "train"], default="val")
    p.add_argument("--model", default=None, help="segmentation model (default: the shipped one)")
    p.add_argument("--detection-model", default=None,
                   help="detection model (default: the shipped one, if any); 'none': segmentation alone")
    p.add_argument("--max-images", type=int, default=None, help="at most this many images per folder")
    p.add_argument("--json", default=None, help="write the figures to this JSON file")
    args = p.parse_args(argv)
    model = args.model or shipped_model(SEGMENTATION)
    if model is None:
        p.error("no segmentation model in models/: pass --model PATH")
    detection_model = None if args.detection_model == "none" else (args.detection_model or shipped_model(DETECTION))
    cases = []
    for folder in args.folders:
        if os.path.exists(os.path.join(folder, "index.csv")):
            cases += list_cases(folder, args.split)[:args.max_images]
    per_source: Dict[str, Figures] = defaultdict(Figures)
    overall = Figures()
    for case in tqdm(cases, desc="regularize", dynamic_ncols=True):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                figures = measure(case, model, detection_model, tmp)
            except BuildingAreaError as exc:
                tqdm.write(f"{case.source}/{case.item_id}: skipped: {exc}")
                continue
        per_source[case.source].add(figures)
        overall.add(figures)
    results = {name: f.as_dict() for name, f in sorted(per_source.items())}
    results["overall"] = overall.as_dict()

    def fmt(value, digits=1):
        return f"{value:.{digits}f}" if value is not None else "-"
    print(f"model: {model}; detection: {detection_model or 'none'}; split: {args.split}")
    print(f"{'source':28s} {'imgs':>4s} {'bldgs':>6s} {'dA50%':>6s} {'dA10%':>6s} {'dA90%':>6s} {'ms/bld':>6s} "
          f"{'pipe':>6s} "
          f"{'kept%':>5s} {'F1msk':>5s} {'F1reg':>5s} {'a20msk':>6s} {'a20reg':>6s}")
    for name, r in results.items():
        print(f"{name:28s} {r['images']:4d} {r['buildings']:6d} {fmt(r['area_change_median_pct']):>6s} "
              f"{fmt(r['area_change_p10_pct']):>6s} {fmt(r['area_change_p90_pct']):>6s} "
              f"{fmt(r['ms_per_building'], 2):>6s} {fmt(r['pipeline_ms_per_building'], 1):>6s} "
              f"{fmt(100 * r['kept_as_found_share'] if r['kept_as_found_share'] is not None else None, 0):>5s} "
              f"{fmt(r['building_f1_mask'], 3):>5s} {fmt(r['building_f1_regularized'], 3):>5s} "
              f"{fmt(r['area20_mask'], 3):>6s} {fmt(r['area20_regularized'], 3):>6s}")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"model": os.path.basename(model), "split": args.split, "sources": results}, f, indent=2)


if __name__ == "__main__":
    main()
