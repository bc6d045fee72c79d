#!/usr/bin/env python3
"""Export one ONNX model that segments and detects on one encoder: one network run per tile for both.

The detector must have learnt on the segmentation model's frozen encoder
(`scripts/train_detection.py --backbone-from SEG_CKPT --freeze-backbone`), so both heads read the
very same features; the export refuses a detector whose backbone differs from the encoder in any
weight or BatchNorm statistic. Outputs: the segmentation model's (building probability, log GSD,
edge probability) and the detector's boxes (`detections`, named in the metadata as
`detection_output`). The metadata is the exported segmentation model's (threshold, GSD error,
split keys, score calibration) plus the exported detector's confidence, NMS IoU and
`fusion_min_score`:

    .venv-train/bin/python scripts/export_combined.py runs/seg_v2/best_ema.pt runs/det_shared/best.pt \\
        --segmentation-model models/building_segmentation_v2.onnx \\
        --detection-model runs/det_shared/export/building_detection_fp32.onnx \\
        --out runs/combined --calibration ../shared/data/banepa_nepal ...

Writes fp32 and, with --calibration, int8 (static QDQ on real tiles; the box decoding stays in
float). Run it through the plugin with the same file as segmentation and detection model
(`scripts/evaluate.py --model M --detection-model M`).
"""
import argparse
import json
import os
import sys
from typing import Dict, List

import numpy as np
import onnx
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from scripts import export_detection, export_segmentation  # noqa: E402
from scripts.detection.model import YOLOX, BoxDecoding  # noqa: E402
from scripts.onnx_tools import quantize_int8, read_metadata, set_metadata  # noqa: E402
from scripts.segmentation.model import exported_outputs  # noqa: E402

INPUT_NAME = "image"
DETECTION_OUTPUT = export_detection.OUTPUT_NAME
DETECTION_KEYS = ("det_conf", "det_iou_thresh", "fusion_min_score")


class SegmentAndDetect(nn.Module):
    """The segmentation model and the detector's neck and head on the segmentation model's encoder."""

    def __init__(self, segmentation: nn.Module, detector: YOLOX):
        super().__init__()
        self.segmentation, self.detector = segmentation, detector
        self.boxes = BoxDecoding()

    def forward(self, x):
        feats = self.segmentation.encoder(x)
        boxes = self.boxes(self.detector.from_features(tuple(feats[2:5])), x)
        return (*exported_outputs(*self.segmentation.from_features(feats)), boxes)


def check_same_encoder(seg_ckpt: Dict, det_ckpt: Dict) -> None:
    """The detector's backbone must be the segmentation encoder itself, weights and BatchNorm statistics."""
    encoder = {k: v for k, v in seg_ckpt["model"].items() if k.startswith("encoder.")}
    backbone = {k[len("backbone."):]: v for k, v in det_ckpt["model"].items() if k.startswith("backbone.encoder.")}
    differing = sorted(k for k in encoder if k not in backbone or not torch.equal(encoder[k], backbone[k]))
    if differing or len(backbone) != len(encoder):
        raise SystemExit(f"the detector's backbone is not this segmentation model's encoder ({len(differing)} of "
                         f"{len(encoder)} tensors differ, e.g. {differing[:1]}): train the detector with "
                         f"--backbone-from <this segmentation checkpoint> --freeze-backbone")
    if not np.allclose(seg_ckpt["mean"], det_ckpt["mean"]) or not np.allclose(seg_ckpt["std"], det_ckpt["std"]):
        raise SystemExit("the detector standardises its input differently from the segmentation model")


def build_model(seg_ckpt: Dict, det_ckpt: Dict) -> nn.Module:
    check_same_encoder(seg_ckpt, det_ckpt)
    segmentation = export_segmentation.load_model(seg_ckpt).model
    detector = export_detection.load_model(det_ckpt).model
    return SegmentAndDetect(segmentation, detector).eval()


def export_fp32(model: nn.Module, path: str, sample_size: int = 256) -> None:
    dummy = torch.zeros(1, 3, sample_size, sample_size)
    with torch.no_grad():
        segmentation_outputs = len(model(dummy)) - 1
    probability, log_gsd, edge = export_segmentation.OUTPUT_NAMES
    names = export_segmentation.OUTPUT_NAMES[:segmentation_outputs] + [DETECTION_OUTPUT]
    axes = {name: {0: "batch", 2: "height", 3: "width"} for name in (INPUT_NAME, probability, edge)}
    axes.update({log_gsd: {0: "batch"}, DETECTION_OUTPUT: {0: "batch", 1: "anchors"}})
    torch.onnx.export(model, dummy, path, input_names=[INPUT_NAME], output_names=names,
                      dynamic_axes={name: axes[name] for name in (INPUT_NAME, *names)}, opset_version=17, dynamo=False)


def combined_metadata(segmentation_onnx: str, detection_onnx: str, det_ckpt: Dict) -> Dict[str, str]:
    meta, detector = read_metadata(segmentation_onnx), read_metadata(detection_onnx)
    meta.update({key: detector[key] for key in DETECTION_KEYS if key in detector})
    meta.pop("precision", None)
    meta["detection_output"] = DETECTION_OUTPUT
    meta["architecture"] = (f"{meta.get('architecture', 'segmentation')} + YOLOX neck and head "
                            f"(width {det_ckpt['config']['width']}) on the same encoder")
    return meta


def decoding_nodes(path: str) -> List[str]:
    """Nodes of the box decoding (module `boxes`), left in float by the int8 export."""
    return [n.name for n in onnx.load(path).graph.node if n.name.startswith("/boxes/")]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("segmentation_checkpoint")
    p.add_argument("detection_checkpoint", help="a detector trained with --backbone-from the segmentation "
                                                "checkpoint and --freeze-backbone")
    p.add_argument("--segmentation-model", required=True, help="the segmentation checkpoint's exported ONNX "
                                                               "(its metadata is kept)")
    p.add_argument("--detection-model", required=True, help="the detector's exported ONNX (det_conf, "
                                                            "det_iou_thresh, fusion_min_score)")
    p.add_argument("--out", default="runs/combined")
    p.add_argument("--name", default="building_segmentation_detection")
    p.add_argument("--calibration", nargs="*", default=[], help="shared-format folders for int8 calibration")
    p.add_argument("--calibration-tiles", type=int, default=48)
    args = p.parse_args(argv)

    seg_ckpt = torch.load(args.segmentation_checkpoint, map_location="cpu", weights_only=False)
    det_ckpt = torch.load(args.detection_checkpoint, map_location="cpu", weights_only=False)
    model = build_model(seg_ckpt, det_ckpt)
    meta = combined_metadata(args.segmentation_model, args.detection_model, det_ckpt)
    os.makedirs(args.out, exist_ok=True)
    fp32 = os.path.join(args.out, f"{args.name}_fp32.onnx")
    export_fp32(model, fp32)
    set_metadata(fp32, meta)
    written = [fp32]
    if args.calibration:
        int8 = os.path.join(args.out, f"{args.name}_int8.onnx")
        tiles = export_segmentation.calibration_tiles(
            args.calibration, seg_ckpt["sampling"]["native_gsd_m"], int(json.loads(meta["tile_size"])),
            np.array(seg_ckpt["mean"], np.float32), np.array(seg_ckpt["std"], np.float32), args.calibration_tiles)
        kept_float = decoding_nodes(fp32) + export_segmentation.gsd_head_nodes(fp32)
        quantize_int8(fp32, int8, tiles, INPUT_NAME, nodes_to_exclude=kept_float)
        set_metadata(int8, {**meta, "precision": "int8"})
        written.append(int8)
    for path in written:
        print(f"{path}: {os.path.getsize(path) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
