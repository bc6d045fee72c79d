#!/usr/bin/env python3
"""Seconds per tile of ONNX models on this machine, through the plugin's own model runner.

    .venv/bin/python scripts/time_models.py models/*.onnx --tile 512 --repeats 5

Prints the median of several single-tile runs after a warm-up, plus the file size.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from building_area_plugin.core.model import OnnxModel  # noqa: E402


def seconds_per_tile(model: OnnxModel, tile: int, repeats: int) -> float:
    batch = np.random.default_rng(0).integers(0, 256, (1, 3, tile, tile), dtype=np.uint8)
    predict = model.predict_segmentation if model.is_segmentor else model.predict_detection
    if model.detects_while_segmenting:  # all its outputs, as the plugin runs it with detection on
        predict = lambda tiles: model.predict_segmentation(tiles, with_boxes=True)  # noqa: E731
    predict(batch)  # warm-up: graph optimisation, memory arena
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predict(batch)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="+")
    p.add_argument("--tile", type=int, default=512)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    for path in args.models:
        model = OnnxModel(path)
        s = seconds_per_tile(model, args.tile, args.repeats)
        print(f"{os.path.basename(path):45s} {os.path.getsize(path) / 1e6:6.1f} MB  "
              f"{s:6.3f} s per {args.tile}² tile  ({model.provider}, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
