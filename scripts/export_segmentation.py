#!/usr/bin/env python3
"""Export a trained segmentation checkpoint to ONNX with the metadata the plugin reads.

Writes fp32, int8 (static QDQ, calibrated on real tiles) and fp16 variants next to each other:

    .venv-train/bin/python scripts/export_segmentation.py runs/seg34/best.pt \
        --out runs/export --calibration ../shared/data/banepa_nepal ../shared/data/austin_inria ...

Which variant ships is decided by scripts/evaluate.py on the validation split (see models/README.md).
"""
import argparse
import json
import os
import sys
from typing import Dict, List

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from scripts.onnx_tools import quantize_int8, set_metadata  # noqa: E402
from scripts.refit_gsd_head import interval_log_error  # noqa: E402
from scripts.segmentation.augment import SamplingConfig, fixed_validation_crops  # noqa: E402
from scripts.segmentation.data import load_sources, resize_to_gsd, split_items  # noqa: E402
from scripts.segmentation.encoders import PRETRAINED_STATS  # noqa: E402
from scripts.segmentation.model import ExportWrapper, load_trained  # noqa: E402
from scripts.segmentation.sampler import normalise  # noqa: E402

THRESHOLDS = np.round(np.arange(0.2, 0.75, 0.05), 2)

INPUT_NAME = "image"
OUTPUT_NAMES = ["building_probability", "log_gsd", "edge_probability"]


def encoder_init(ckpt: Dict) -> str:
    args = ckpt.get("args", {})
    if args.get("init"):
        return f"torchvision-layout ResNet weights from {os.path.basename(args['init'])}"
    if ckpt["config"]["encoder"] in PRETRAINED_STATS and not args.get("no_pretrained"):
        return "ImageNet (Google's EfficientNet-Lite weights, Apache-2.0)"
    return "random (trained from scratch)"


def gsd_head_refit(ckpt: Dict) -> Dict[str, str]:
    refit = ckpt.get("gsd_head_refit")
    if not refit:
        return {}
    return {"gsd_head": f"refitted on the frozen encoder: {refit['tile_count']} tiles of {refit['images']} "
                        f"training images (scripts/refit_gsd_head.py)"}


def build_metadata(ckpt: Dict, version: str, tile_size: int, overlap_pct: int, seg_thresh: float) -> Dict[str, str]:
    """Deepness/GeoDeep-compatible keys plus ours for the GSD output."""
    meta = {
        "model_type": "segmentor",
        "class_names": json.dumps(["background", "building"]),
        "resolution": f"{ckpt['sampling']['native_gsd_m'] * 100:g}",
        "tile_size": str(tile_size),
        "tiles_overlap": str(overlap_pct),
        "standardization_mean": json.dumps(ckpt["mean"]),
        "standardization_std": json.dumps(ckpt["std"]),
        "seg_thresh": f"{seg_thresh:g}",
        "gsd_output": OUTPUT_NAMES[1],
        "gsd_output_units": "log(m/px)",
        "version": version,
        "architecture": f"UNet-{ckpt['config']['encoder']}-ASPP{tuple(ckpt['config']['aspp_rates'])} + GSD head",
        "training_data": json.dumps({"sources": ckpt["train_sources"], "images": ckpt["train_images"],
                                     "steps": ckpt["step"], "encoder_init": encoder_init(ckpt),
                                     **gsd_head_refit(ckpt)}),
    }
    if len(ckpt["config"].get("outputs", ["building"])) > 1:
        meta["edge_output"] = OUTPUT_NAMES[2]
    if "gsd_log_error" in ckpt:  # held out by refit_gsd_head.py
        meta["gsd_log_error"] = f"{ckpt['gsd_log_error']:.4f}"
    return meta


def load_model(ckpt: Dict) -> torch.nn.Module:
    return ExportWrapper(load_trained(ckpt).to(memory_format=torch.contiguous_format)).eval()


def export_fp32(model: torch.nn.Module, path: str, sample_size: int = 256):
    dummy = torch.zeros(1, 3, sample_size, sample_size)
    with torch.no_grad():
        names = OUTPUT_NAMES[:len(model(dummy))]
    axes = {INPUT_NAME: {0: "batch", 2: "height", 3: "width"}, OUTPUT_NAMES[1]: {0: "batch"}}
    axes.update({name: {0: "batch", 2: "height", 3: "width"} for name in names if name != OUTPUT_NAMES[1]})
    torch.onnx.export(model, dummy, path, input_names=[INPUT_NAME], output_names=names, dynamic_axes=axes,
                      opset_version=17, dynamo=False)


def calibration_tiles(folders: List[str], native_gsd: float, tile: int, mean, std, count: int, seed: int = 0):
    """Real training tiles at the model's GSD, standardised as the plugin does."""
    items, _ = split_items(load_sources(folders))
    rng = np.random.default_rng(seed)
    tiles = []
    for idx in rng.permutation(len(items)):
        item = items[idx]
        image = resize_to_gsd(item.image, item.gsd_m / native_gsd) if item.gsd_m else item.image
        if image.shape[0] < tile or image.shape[1] < tile:
            continue
        y = int(rng.integers(0, image.shape[0] - tile + 1))
        x = int(rng.integers(0, image.shape[1] - tile + 1))
        crop = image[y:y + tile, x:x + tile].astype(np.float32) / 255.0
        tiles.append(((crop - mean) / std).transpose(2, 0, 1)[None].astype(np.float32))
        if len(tiles) >= count:
            break
    return tiles


def gsd_head_nodes(fp32_path: str) -> List[str]:
    """The GSD head's nodes, left in float by the int8 export.

    The calibration tiles are all at the model's own GSD, so a quantized head would clamp log GSD
    to the narrow range they span: v2.2.0's int8 read nothing finer than 0.27 m.
    """
    return [n.name for n in onnx.load(fp32_path).graph.node if "/gsd_head/" in n.name]


def export_int8(fp32_path: str, path: str, tiles) -> None:
    quantize_int8(fp32_path, path, tiles, INPUT_NAME, nodes_to_exclude=gsd_head_nodes(fp32_path))


@torch.no_grad()
def tune_threshold(model: torch.nn.Module, folders: List[str], ckpt: Dict) -> float:
    """The probability threshold with the best pixel IoU on TRAINING crops with exact masks.

    Tuned on training images, so that the validation numbers stay unbiased.
    """
    train, _ = split_items(load_sources(folders))
    cfg = SamplingConfig(native_gsd_m=ckpt["sampling"]["native_gsd_m"])
    crops = [c for _, c in fixed_validation_crops([it for it in train if it.gsd_m], cfg, per_source=40, seed=1)]
    inter, union = np.zeros(len(THRESHOLDS)), np.zeros(len(THRESHOLDS))
    for i in range(0, len(crops), 8):
        chunk = crops[i:i + 8]
        prob = model(normalise(np.stack([c.image for c in chunk]), ckpt["mean"], ckpt["std"]))[0][:, 0].numpy()
        gt = np.stack([c.mask for c in chunk]).astype(bool)
        valid = np.stack([c.weight for c in chunk]).astype(bool)
        for k, t in enumerate(THRESHOLDS):
            pred = prob >= t
            inter[k] += np.logical_and(pred, gt)[valid].sum()
            union[k] += np.logical_or(pred, gt)[valid].sum()
    iou = inter / np.maximum(union, 1)
    print("threshold IoU on training crops: " + ", ".join(f"{t:.2f}: {v:.3f}" for t, v in zip(THRESHOLDS, iou)))
    return float(THRESHOLDS[int(np.argmax(iou))])


def calibrate_gsd_log_error(onnx_path: str, folders: List[str], per_source: int = 20, seed: int = 0) -> float:
    """The 'gsd_log_error' that makes the plugin's 80 % GSD interval hold the true GSD on 80 % of
    training images (at most `per_source` a source, so that no source dominates).

    Only for a head that did not fit its training images closely: a head refitted by
    refit_gsd_head.py brings its own, leave-one-source-out value in the checkpoint.
    Runs the plugin's own estimate (inference.sample_log_gsd) and its interval (gsd.gsd_from_model).
    """
    from building_area_plugin.core.gsd import centre_and_spread
    from building_area_plugin.core.inference import sample_log_gsd
    from building_area_plugin.core.model import OnnxModel
    from building_area_plugin.core.raster import RasterSource
    from building_area_plugin.core.workgrid import PixelWindow
    from scripts.evaluate import list_cases

    model = OnnxModel(onnx_path)
    rng = np.random.default_rng(seed)
    reads = []
    for folder in folders:
        cases = [c for c in list_cases(folder, "train") if c.gsd_m]
        for case in [cases[i] for i in rng.permutation(len(cases))[:per_source]]:
            with RasterSource(case.image_path) as raster:
                window = PixelWindow(0, 0, raster.width, raster.height)
                log_gsd = sample_log_gsd(raster, window, model, 4, lambda: False)
            if not log_gsd.size:
                continue
            centre, spread = centre_and_spread(log_gsd)
            reads.append((centre - np.log(case.gsd_m), spread))
    value = interval_log_error(np.array(reads, np.float64).reshape(-1, 2))
    print(f"gsd_log_error {value:.3f} (80 % GSD interval calibrated on {len(reads)} training images)")
    return value


def export_fp16(fp32_path: str, path: str):
    from onnxruntime.transformers.float16 import convert_float_to_float16
    model = convert_float_to_float16(onnx.load(fp32_path), keep_io_types=True)
    onnx.save(model, path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--out", default="runs/export")
    p.add_argument("--name", default="building_segmentation")
    p.add_argument("--version", default="1.0.0")
    p.add_argument("--tile-size", type=int, default=512)
    p.add_argument("--overlap", type=int, default=15, help="tile overlap in percent")
    p.add_argument("--seg-thresh", type=float, default=None,
                   help="probability threshold (default: tuned on training crops of --calibration)")
    p.add_argument("--calibration", nargs="*", default=[], help="shared-format folders for int8 calibration")
    p.add_argument("--calibration-tiles", type=int, default=48)
    args = p.parse_args(argv)

    ckpt = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    os.makedirs(args.out, exist_ok=True)
    model = load_model(ckpt)
    seg_thresh = args.seg_thresh
    if seg_thresh is None:
        seg_thresh = tune_threshold(model, args.calibration, ckpt) if args.calibration else 0.5
    meta = build_metadata(ckpt, args.version, args.tile_size, args.overlap, seg_thresh)
    fp32 = os.path.join(args.out, f"{args.name}_fp32.onnx")
    export_fp32(model, fp32)
    set_metadata(fp32, meta)
    if "gsd_log_error" not in meta and args.calibration:
        meta["gsd_log_error"] = f"{calibrate_gsd_log_error(fp32, args.calibration):.4f}"
        set_metadata(fp32, meta)
    written = [fp32]
    if args.calibration:
        int8 = os.path.join(args.out, f"{args.name}_int8.onnx")
        tiles = calibration_tiles(args.calibration, ckpt["sampling"]["native_gsd_m"], args.tile_size,
                                  np.array(ckpt["mean"], np.float32), np.array(ckpt["std"], np.float32),
                                  args.calibration_tiles)
        export_int8(fp32, int8, tiles)
        set_metadata(int8, {**meta, "precision": "int8"})
        written.append(int8)
    fp16 = os.path.join(args.out, f"{args.name}_fp16.onnx")
    export_fp16(fp32, fp16)
    set_metadata(fp16, {**meta, "precision": "fp16"})
    written.append(fp16)
    for path in written:
        print(f"{path}: {os.path.getsize(path) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
