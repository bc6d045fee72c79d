#!/usr/bin/env python3
"""Train the building detector (YOLOX-Nano/Tiny/S, plain torch) on the shared folders' building boxes.

Resumable: rerun the same command and it continues from OUT/last.pt (saved every epoch and
when --max-minutes runs out). OUT/best.pt holds the EMA weights with the best validation F1@0.5.
CPU by default, CUDA when present.

    .venv-train/bin/python scripts/train_detection.py ../shared/data/* --out runs/det_nano \\
        --model nano --epochs 100 --epoch-images 2000
"""
import argparse
import json
import os
import sys
import time
from dataclasses import asdict

import numpy as np
import torch
from tqdm import tqdm

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from scripts.training_run import ModelEMA, add_run_options, save_checkpoint, start_run  # noqa: E402
from building_area_plugin.core.detection import decode, nms  # noqa: E402
from scripts.detection.data import (AugmentConfig, BoxFilter, DetectionSampler, load_box_sources,  # noqa: E402
                                    split_box_items, standardize, validation_crops)
from scripts.detection.loss import yolox_loss  # noqa: E402
from scripts.detection.model import YOLOX, ExportWrapper, YoloxConfig, anchor_grid, count_parameters  # noqa: E402
from scripts.detection.seed import fit_batchnorm_to_data, seed_from_onnx  # noqa: E402
from scripts.segmentation.encoders import EFFICIENTNET_LITE, PRETRAINED_STATS  # noqa: E402
from scripts.detection.train import Schedule, parameter_groups  # noqa: E402
from scripts.evaluation.detection_metrics import detection_metrics  # noqa: E402

# YOLOX's own backbone (and its COCO seed) standardises with the ImageNet statistics; a pretrained
# encoder with the statistics its weights were trained with.
IMAGENET_STATS = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])


def standardization(backbone: str):
    mean, std = PRETRAINED_STATS.get(backbone, IMAGENET_STATS)
    return np.array(mean, np.float32), np.array(std, np.float32)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", nargs="*", help="shared-format folders; those with instances.json give boxes")
    p.add_argument("--out", default="runs/det")
    p.add_argument("--model", default="nano", choices=["nano", "tiny", "s"],
                   help="neck and head size (and backbone size for cspdarknet)")
    p.add_argument("--backbone", default="cspdarknet", choices=("cspdarknet",) + EFFICIENTNET_LITE,
                   help="YOLOX's CSPDarknet, or an EfficientNet-Lite encoder with its ImageNet weights")
    p.add_argument("--backbone-from", metavar="SEG_CHECKPOINT",
                   help="start the backbone from a segmentation checkpoint (train_segmentation.py): its encoder, "
                        "with its weights and standardisation")
    p.add_argument("--freeze-backbone", action="store_true",
                   help="train the neck and head only: the backbone keeps the segmentation model's features "
                        "(weights and BatchNorm statistics), so one network can carry both tasks")
    p.add_argument("--tile", type=int, default=512)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--epoch-images", type=int, default=2000, help="training samples per epoch")
    p.add_argument("--warmup-epochs", type=int, default=5)
    p.add_argument("--no-aug-epochs", type=int, default=15, help="last epochs without mosaic/mixup, with L1")
    p.add_argument("--base-lr", type=float, default=0.01, help="learning rate per 64 images")
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--ema-decay", type=float, default=0.9998)
    p.add_argument("--native-gsd", type=float, default=0.3, help="m/px the images are resampled to")
    p.add_argument("--scale-jitter", type=float, default=0.3, help="log2 range of the scale jitter")
    p.add_argument("--mosaic", type=float, default=1.0, help="probability of a mosaic sample")
    p.add_argument("--mixup", type=float, default=0.5, help="probability of mixup")
    p.add_argument("--min-box-m", type=float, default=1.5,
                   help="drop training boxes smaller than this on a side (noise; 0 keeps all)")
    p.add_argument("--max-aspect", type=float, default=8.0,
                   help="drop training boxes more elongated than this (slivers; 0 keeps all)")
    p.add_argument("--val-every", type=int, default=5, help="validate every this many epochs")
    p.add_argument("--val-conf", type=float, default=0.3)
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (smoke tests)")
    p.add_argument("--init-onnx", default=None,
                   help="start from a BN-fused YOLOX ONNX of the same size: ../shared/weights/yolox_nano_coco.onnx, "
                        "or a detector exported by scripts/export_detection.py (to train a shipped one further)")
    add_run_options(p)
    return p.parse_args(argv)



@torch.no_grad()
def segmentation_backbone(path: str):
    """(encoder name, its state dict, mean, std) of a segmentation checkpoint."""
    seg = torch.load(path, map_location="cpu", weights_only=False)
    encoder = {k: v for k, v in seg["model"].items() if k.startswith("encoder.")}
    return seg["config"]["encoder"], encoder, np.array(seg["mean"], np.float32), np.array(seg["std"], np.float32)


def train_mode(model, freeze_backbone: bool) -> None:
    """Training mode, except a frozen backbone, whose BatchNorm statistics must not move either."""
    model.train()
    if freeze_backbone:
        model.backbone.eval()


def validate(model, crops, device, conf: float, mean: np.ndarray, std: np.ndarray, batch: int = 8):
    """Box precision/recall/F1 at conf and AP50 on fixed crops, decoded and NMS'd as the plugin does."""
    wrapper = ExportWrapper(model).eval()
    results = []
    for i in range(0, len(crops), batch):
        chunk = crops[i:i + batch]
        x = torch.from_numpy(np.stack([standardize(c[0], mean, std) for c in chunk])).to(device)
        output = wrapper(x).cpu().numpy()
        for (xyxy, score), (_, gt) in zip(decode(output, 0.01), chunk):
            keep = nms(xyxy, score, 0.5)
            results.append((xyxy[keep], score[keep], gt))
    return detection_metrics(results, conf)


def main(argv=None):
    args = parse_args(argv)
    device = start_run(args)
    box_filter = BoxFilter(min_box_m=args.min_box_m, max_aspect=args.max_aspect)
    train_items, val_items = split_box_items(load_box_sources(args.data, args.native_gsd))
    train_items = box_filter.apply_to_items(train_items, args.native_gsd)
    print(f"{len(train_items)} training / {len(val_items)} validation images, "
          f"{sum(len(i.boxes) for i in train_items)} / {sum(len(i.boxes) for i in val_items)} boxes; "
          f"filtered out of the training boxes {box_filter.dropped}")
    aug = AugmentConfig(tile=args.tile, scale_jitter=args.scale_jitter, mosaic_prob=args.mosaic,
                        mixup_prob=args.mixup)
    sampler = DetectionSampler(train_items, aug, args.seed)
    val_crops = validation_crops(val_items, args.tile) if val_items else []

    seg_backbone = segmentation_backbone(args.backbone_from) if args.backbone_from else None
    cfg = YoloxConfig.preset(args.model, backbone=seg_backbone[0] if seg_backbone else args.backbone)
    if args.init_onnx and cfg.backbone != "cspdarknet":
        raise SystemExit("--init-onnx seeds YOLOX's own CSPDarknet; a pretrained --backbone brings its weights")
    if args.freeze_backbone and seg_backbone is None:
        raise SystemExit("--freeze-backbone keeps a segmentation model's encoder: give it with --backbone-from")
    resuming = os.path.exists(os.path.join(args.out, "last.pt"))
    model = YOLOX(cfg, pretrained=not resuming and seg_backbone is None).to(device)
    mean, std = seg_backbone[2:] if seg_backbone else standardization(cfg.backbone)
    if seg_backbone and not resuming:
        model.backbone.load_state_dict(seg_backbone[1], strict=True)
    for param in model.backbone.parameters():
        param.requires_grad_(not args.freeze_backbone)
    schedule = Schedule(args.epochs, max(1, args.epoch_images // args.batch), args.warmup_epochs,
                        args.no_aug_epochs, args.base_lr, args.batch)
    optimizer = torch.optim.SGD(parameter_groups(model, args.weight_decay), lr=schedule.lr, momentum=0.9,
                                nesterov=True)
    if args.init_onnx and not resuming:
        loaded = seed_from_onnx(model, args.init_onnx, mean.tolist(), std.tolist())
        print(f"initialised {loaded} convolutions from {args.init_onnx}")
        fit_batchnorm_to_data(model, torch.from_numpy(sampler.batch(16, mean, std)[0]).to(device))
    ema = ModelEMA(model, args.ema_decay)
    step, best, history = 0, -1.0, []
    last_path, best_path = os.path.join(args.out, "last.pt"), os.path.join(args.out, "best.pt")
    if os.path.exists(last_path):
        ckpt = torch.load(last_path, map_location=device, weights_only=False)
        model.load_state_dict(ckpt["model"])
        ema.model.load_state_dict(ckpt["ema"])
        ema.updates = ckpt["ema_updates"]
        optimizer.load_state_dict(ckpt["optimizer"])
        step, best, history = ckpt["step"], ckpt["best"], ckpt["history"]
        sampler.rng = np.random.default_rng(args.seed + step)
        print(f"resumed at step {step} (epoch {step // schedule.steps_per_epoch})")
    print(f"YOLOX-{args.model} ({cfg.backbone}): {count_parameters(model) / 1e6:.2f} M parameters, lr {schedule.lr:g}, "
          f"{schedule.steps_per_epoch} steps x {args.epochs} epochs")
    cells, strides = (t.to(device) for t in anchor_grid(args.tile, args.tile))

    def checkpoint() -> dict:
        return {"model": model.state_dict(), "ema": ema.model.state_dict(), "ema_updates": ema.updates,
                "optimizer": optimizer.state_dict(), "step": step, "best": best, "history": history,
                "config": asdict(cfg), "args": vars(args), "mean": mean.tolist(), "std": std.tolist(),
                "native_gsd_m": args.native_gsd, "tile": args.tile,
                "train_sources": sorted({i.source for i in train_items}), "train_images": len(train_items)}

    started = time.monotonic()
    train_mode(model, args.freeze_backbone)
    bar = tqdm(total=schedule.total_steps, initial=step, desc="train", dynamic_ncols=True)
    while step < schedule.total_steps:
        epoch = step // schedule.steps_per_epoch
        sampler.strong = schedule.strong_augmentation(epoch)
        for group in optimizer.param_groups:
            group["lr"] = schedule.learning_rate(step)
        images, targets = sampler.batch(args.batch, mean, std)
        raw = model(torch.from_numpy(images).to(device))
        loss, parts = yolox_loss(raw, [torch.from_numpy(t).to(device) for t in targets], cells, strides,
                                 cfg.num_classes, use_l1=schedule.use_l1(epoch))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        optimizer.step()
        ema.update(model)
        step += 1
        bar.update(1)
        bar.set_postfix(loss=f"{float(loss.detach()):.3f}", fg=parts["fg"], lr=f"{schedule.learning_rate(step - 1):.2e}")
        end_of_epoch = step % schedule.steps_per_epoch == 0
        out_of_time = args.max_minutes and (time.monotonic() - started) / 60 >= args.max_minutes
        out_of_steps = args.max_steps and step >= args.max_steps
        if end_of_epoch and val_crops and ((epoch + 1) % args.val_every == 0 or step == schedule.total_steps):
            metrics = validate(ema.model, val_crops, device, args.val_conf, mean, std)
            history.append({"step": step, "epoch": epoch + 1, **metrics})
            tqdm.write(json.dumps(history[-1]))
            if metrics["f1"] > best:
                best = metrics["f1"]
                save_checkpoint(best_path, {**checkpoint(), "model": ema.model.state_dict()})
            train_mode(model, args.freeze_backbone)
        if end_of_epoch or out_of_time or out_of_steps:
            save_checkpoint(last_path, checkpoint())
        if out_of_time or out_of_steps:
            tqdm.write(f"stopped at step {step}; rerun the same command to continue")
            break
    bar.close()
    if not os.path.exists(best_path):  # no validation images: the final EMA weights
        save_checkpoint(best_path, {**checkpoint(), "model": ema.model.state_dict()})
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump(history, f, indent=1)


if __name__ == "__main__":
    main()
