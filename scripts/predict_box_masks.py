#!/usr/bin/env python3
"""Predict building masks for the box-only training images, for self-training (--box-masks).

Runs a segmentation model through the plugin's own pipeline (tiling, resampling to the model's
GSD, blending) on every training image of the box-only sources among FOLDERS, and writes its
building probability, 0..255 on the image's grid, to OUT/<source>/<id>.png. Validation images
are left out, so no validation label leaks into training.

    .venv-train/bin/python scripts/predict_box_masks.py models/building_segmentation_v2.onnx \\
        ../shared/data/* --out runs/box_masks
"""
import argparse
import os
import shutil
import sys
import tempfile

import cv2
import numpy as np
from osgeo import gdal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from building_area_plugin.core.params import PipelineParams  # noqa: E402
from building_area_plugin.core.pipeline import run_pipeline  # noqa: E402
from scripts.segmentation.data import load_sources, split_items  # noqa: E402
from scripts.segmentation.self_training import predicted_mask_path  # noqa: E402


def predict(image: np.ndarray, gsd_m, model_path: str, tmp: str) -> np.ndarray:
    """The model's building probability 0..255 [H, W] for an RGB image at gsd_m (None: the model's estimate)."""
    src = os.path.join(tmp, "image.tif")
    ds = gdal.GetDriverByName("GTiff").Create(src, image.shape[1], image.shape[0], 3, gdal.GDT_Byte)
    for band in range(3):
        ds.GetRasterBand(band + 1).WriteArray(image[..., band])
    ds = None
    prob_path = os.path.join(tmp, "probability.tif")
    run_pipeline(PipelineParams(raster_path=src, output_path=os.path.join(tmp, "buildings.gpkg"),
                                segmentation_model=model_path, gsd_m=gsd_m, probability_path=prob_path))
    ds = gdal.Open(prob_path)  # kept while its band is read: a band outlives its dataset only in C
    return ds.GetRasterBand(1).ReadAsArray().astype(np.uint8)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="an ONNX segmentation model")
    p.add_argument("data", nargs="+", help="shared-format folders (the box-only ones are used)")
    p.add_argument("--out", default="runs/box_masks")
    args = p.parse_args(argv)
    train, _ = split_items([it for it in load_sources(args.data) if it.label_quality == "boxes"])
    print(f"{len(train)} box-only training images")
    for n, item in enumerate(train, start=1):
        path = predicted_mask_path(args.out, item)
        if os.path.exists(path):
            continue
        tmp = tempfile.mkdtemp(prefix="box_masks_")
        try:
            prob = predict(item.image, item.gsd_m, args.model, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        cv2.imwrite(path + ".tmp.png", prob)
        os.replace(path + ".tmp.png", path)
        if n % 50 == 0:
            print(f"{n} / {len(train)}")


if __name__ == "__main__":
    main()
