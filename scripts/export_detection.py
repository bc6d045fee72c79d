#!/usr/bin/env python3
"""Export a trained detector checkpoint to ONNX with box decoding in the graph and the plugin's metadata.

Output [N, anchors, 5 + classes]: cx, cy, w, h in tile pixels, objectness and class scores
(sigmoids applied). Height and width are dynamic (multiples of 32). Writes fp32 and, with
--calibration, int8 (static QDQ, calibrated on real tiles at the model's GSD), and prints
each one's box precision/recall/F1/AP50 on the validation crops of those folders:

    .venv-train/bin/python scripts/export_detection.py runs/det_nano/best.pt --out runs/det_nano/export \\
        --calibration ../shared/data/banepa_nepal ../shared/data/roboflow_buildings_boxes ...

Which variant ships is decided by measuring both on the validation split (see models/README.md).
"""
import argparse
import json
import os
import sys
from typing import Dict, List

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from building_area_plugin.core.detection import decode, nms  # noqa: E402
from building_area_plugin.core.model import OnnxModel  # noqa: E402
from scripts.evaluation.detection_metrics import detection_metrics  # noqa: E402
from scripts.onnx_tools import quantize_int8, set_metadata  # noqa: E402
from scripts.detection.data import load_box_sources, split_box_items, standardize, validation_crops  # noqa: E402
from scripts.detection.model import YOLOX, ExportWrapper, YoloxConfig  # noqa: E402

INPUT_NAME = "image"
OUTPUT_NAME = "detections"
CONFIDENCES = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


def build_metadata(ckpt: Dict, version: str, tile_size: int, overlap_pct: float, det_conf: float,
                   det_iou: float) -> Dict[str, str]:
    """Deepness/GeoDeep-style keys (JSON-encoded values) the plugin's ModelMetadata reads."""
    cfg = ckpt["config"]
    return {
        "model_type": json.dumps("Detector"),
        "class_names": json.dumps(["building"][:cfg["num_classes"]] or ["building"]),
        "resolution": json.dumps(round(ckpt["native_gsd_m"] * 100, 4)),
        "tile_size": json.dumps(tile_size),
        "tiles_overlap": json.dumps(overlap_pct),
        "standardization_mean": json.dumps(ckpt["mean"]),
        "standardization_std": json.dumps(ckpt["std"]),
        "det_conf": json.dumps(det_conf),
        "det_iou_thresh": json.dumps(det_iou),
        "version": json.dumps(version),
        "architecture": json.dumps(f"YOLOX (depth {cfg['depth']}, width {cfg['width']}, "
                                   f"{'depthwise' if cfg['depthwise'] else 'dense'}), backbone "
                                   f"{cfg.get('backbone', 'cspdarknet')}, strides 8/16/32"),
        "output_format": json.dumps("[N, anchors, 5 + classes]: cx, cy, w, h (tile px), objectness, class scores"),
        "training_data": json.dumps({"sources": ckpt.get("train_sources"), "images": ckpt.get("train_images"),
                                     "steps": ckpt.get("step")}),
    }




def load_model(ckpt: Dict) -> torch.nn.Module:
    model = YOLOX(YoloxConfig(**ckpt["config"]))
    model.load_state_dict(ckpt["model"])
    return ExportWrapper(model.eval()).eval()


def export_fp32(model: torch.nn.Module, path: str, sample_size: int = 256) -> None:
    dummy = torch.zeros(1, 3, sample_size, sample_size)
    torch.onnx.export(model, dummy, path, input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                      dynamic_axes={INPUT_NAME: {0: "batch", 2: "height", 3: "width"},
                                    OUTPUT_NAME: {0: "batch", 1: "anchors"}},
                      opset_version=17, dynamo=False)


def calibration_tiles(folders: List[str], ckpt: Dict, tile: int, count: int) -> List[np.ndarray]:
    """Standardized training tiles at the model's GSD, as the plugin feeds them."""
    items, _ = split_box_items(load_box_sources(folders, ckpt["native_gsd_m"]))
    mean, std = np.array(ckpt["mean"], np.float32), np.array(ckpt["std"], np.float32)
    crops = validation_crops(items, tile, per_image=1)
    rng = np.random.default_rng(0)
    picks = rng.permutation(len(crops))[:count]
    return [standardize(crops[i][0], mean, std)[None] for i in picks]


def export_int8(fp32_path: str, path: str, tiles: List[np.ndarray]) -> None:
    # The box decoding (exp, grid offsets) stays in float: quantizing it would round box sizes.
    quantize_int8(fp32_path, path, tiles, INPUT_NAME, op_types=["Conv"])


def validation_scores(path: str, folders: List[str], ckpt: Dict, tile: int, conf: float, iou: float,
                      batch: int = 8) -> Dict[str, float]:
    """Box P/R/F1 at conf and AP50 of an exported model on the validation crops (held-out areas),
    run, decoded and NMS'd by the plugin's own code."""
    _, val_items = split_box_items(load_box_sources(folders, ckpt["native_gsd_m"]))
    return detection_metrics(onnx_results(path, validation_crops(val_items, tile), iou, batch), conf)


def tuned_confidence(path: str, folders: List[str], ckpt: Dict, tile: int, iou: float, crops: int = 200) -> float:
    """The confidence with the best box F1 on training crops (never the validation areas)."""
    train_items, _ = split_box_items(load_box_sources(folders, ckpt["native_gsd_m"]))
    chosen = validation_crops(train_items, tile, per_image=1)
    chosen = [chosen[i] for i in np.random.default_rng(0).permutation(len(chosen))[:crops]]
    results = onnx_results(path, chosen, iou)
    f1 = {conf: detection_metrics(results, conf)["f1"] for conf in CONFIDENCES}
    return max(f1, key=f1.get)


def onnx_results(path: str, crops, iou: float, batch: int = 8):
    """(boxes, scores, true boxes) per crop from the exported model, through the plugin's runner, decoding and NMS."""
    model = OnnxModel(path)
    results = []
    for i in range(0, len(crops), batch):
        chunk = crops[i:i + batch]
        images = np.stack([image.transpose(2, 0, 1) for image, _ in chunk])
        for (xyxy, score), (_, true) in zip(decode(model.predict_detection(images), 0.01), chunk):
            keep = nms(xyxy, score, iou)
            results.append((xyxy[keep], score[keep], true))
    return results


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--out", default="runs/det/export")
    p.add_argument("--name", default="building_detection")
    p.add_argument("--version", default="1.0.0")
    p.add_argument("--tile-size", type=int, default=512)
    p.add_argument("--overlap", type=float, default=20, help="tile overlap in percent")
    p.add_argument("--det-conf", type=float, default=0.0,
                   help="confidence written to the metadata; 0: the best box F1 on training crops (needs --calibration)")
    p.add_argument("--det-iou", type=float, default=0.5)
    p.add_argument("--calibration", nargs="*", default=[], help="shared-format folders for int8 calibration")
    p.add_argument("--calibration-tiles", type=int, default=48)
    args = p.parse_args(argv)

    ckpt = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    os.makedirs(args.out, exist_ok=True)
    fp32 = os.path.join(args.out, f"{args.name}_fp32.onnx")
    export_fp32(load_model(ckpt), fp32)
    if not args.det_conf:
        if not args.calibration:
            p.error("--det-conf 0 tunes the confidence on training crops: give the data folders with --calibration")
        # The plugin's runner reads the metadata; the confidence in it does not matter for tuning.
        set_metadata(fp32, build_metadata(ckpt, args.version, args.tile_size, args.overlap, 0.3, args.det_iou))
        args.det_conf = tuned_confidence(fp32, args.calibration, ckpt, args.tile_size, args.det_iou)
        print(f"confidence {args.det_conf:g}: the best box F1 on training crops")
    meta = build_metadata(ckpt, args.version, args.tile_size, args.overlap, args.det_conf, args.det_iou)
    set_metadata(fp32, meta)
    written = [fp32]
    if args.calibration:
        int8 = os.path.join(args.out, f"{args.name}_int8.onnx")
        export_int8(fp32, int8, calibration_tiles(args.calibration, ckpt, args.tile_size, args.calibration_tiles))
        set_metadata(int8, {**meta, "precision": json.dumps("int8")})
        written.append(int8)
    for path in written:
        line = f"{path}: {os.path.getsize(path) / 1e6:.1f} MB"
        if args.calibration:
            scores = validation_scores(path, args.calibration, ckpt, args.tile_size, args.det_conf, args.det_iou)
            line += "; validation crops: " + ", ".join(f"{k} {v:.3f}" for k, v in scores.items()
                                                         if k in ("precision", "recall", "f1", "ap50"))
        print(line)


if __name__ == "__main__":
    main()
