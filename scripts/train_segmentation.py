#!/usr/bin/env python3
"""Train the building segmentation model (UNet-ResNet-ASPP with a GSD head).

Resumable: rerun the same command and it continues from OUT/last.pt. It stops cleanly, with a
checkpoint, after --max-minutes, so a CPU budget can be spent in chunks. CPU by default, CUDA
when present.

    .venv-train/bin/python scripts/train_segmentation.py ../shared/data/* --out runs/seg
"""
import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict

import numpy as np
import torch
from tqdm import tqdm

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from scripts.training_run import add_run_options, save_checkpoint, start_run  # noqa: E402
from scripts.segmentation.augment import SamplingConfig, fixed_validation_crops  # noqa: E402
from scripts.segmentation.data import load_inria_folder, load_sources, split_items  # noqa: E402
from scripts.segmentation.losses import LossWeights, total_loss  # noqa: E402
from scripts.segmentation.model import SegModelConfig, UNetResNetASPP  # noqa: E402
from scripts.segmentation.sampler import BatchSampler, channel_stats, normalise  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", nargs="*", help="folders in the shared format (index.csv, images/, gt/)")
    p.add_argument("--inria", action="append", default=[], help="an Inria AerialImageDataset root (0.3 m)")
    p.add_argument("--out", default="runs/seg")
    p.add_argument("--encoder", default="resnet34", choices=["resnet34", "resnet18"])
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--tile", type=int, default=256)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--native-gsd", type=float, default=0.3)
    p.add_argument("--no-boxes", action="store_true", help="leave out box-only sources (ablation)")
    p.add_argument("--val-every", type=int, default=100)
    p.add_argument("--ckpt-every", type=int, default=50)
    add_run_options(p)
    return p.parse_args(argv)



def learning_rate(step: int, args) -> float:
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    progress = (step - args.warmup) / max(1, args.steps - args.warmup)
    return args.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


@torch.no_grad()
def validate(model, crops, mean, std, device, batch: int = 8):
    """Pixel IoU at 0.5 on fixed validation crops at the native GSD."""
    model.eval()
    inter = union = 0
    for i in range(0, len(crops), batch):
        chunk = crops[i:i + batch]
        x = normalise(np.stack([c[0] for c in chunk]), mean, std).to(device)
        pred = (torch.sigmoid(model(x)[0])[:, 0] > 0.5).cpu().numpy()
        gt = np.stack([c[1] for c in chunk]).astype(bool)
        valid = np.stack([c[2] for c in chunk]).astype(bool)
        inter += np.logical_and(pred, gt)[valid].sum()
        union += np.logical_or(pred, gt)[valid].sum()
    model.train()
    return float(inter / max(union, 1))


def checkpoint_state(model, optimizer, step, sampler, extra) -> dict:
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step,
            "rng": sampler.rng.bit_generator.state, "torch_rng": torch.get_rng_state(), **extra}


def main(argv=None):
    args = parse_args(argv)
    device = start_run(args)

    items = load_sources(args.data) + [it for root in args.inria for it in load_inria_folder(root)]
    if args.no_boxes:
        items = [it for it in items if it.label_quality != "boxes"]
    train_items, val_items = split_items(items)
    cfg = SamplingConfig(tile=args.tile, native_gsd_m=args.native_gsd)
    mean, std = channel_stats(train_items)
    val_crops = fixed_validation_crops(val_items, cfg)
    print(f"{len(train_items)} training and {len(val_items)} validation images "
          f"({len(val_crops)} validation crops); mean {mean} std {std}; device {device}")

    model = UNetResNetASPP(SegModelConfig(encoder=args.encoder, width=args.width)).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    sampler = BatchSampler(train_items, cfg, args.batch, mean, std, args.seed)
    weights = LossWeights()
    last, best_path = os.path.join(args.out, "last.pt"), os.path.join(args.out, "best.pt")
    step, best_iou = 0, -1.0
    if os.path.exists(last):
        ckpt = torch.load(last, map_location=device, weights_only=False)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        sampler.rng.bit_generator.state = ckpt["rng"]
        torch.set_rng_state(ckpt["torch_rng"])
        step, best_iou = ckpt["step"], ckpt.get("best_iou", -1.0)
        print(f"resumed from step {step} (best IoU {best_iou:.4f})")

    extra = lambda: {"config": asdict(model.config), "sampling": asdict(cfg), "mean": mean, "std": std,  # noqa: E731
                     "best_iou": best_iou, "args": vars(args),
                     "train_sources": sorted({it.source for it in train_items}),
                     "train_images": len(train_items)}
    log = open(os.path.join(args.out, "log.jsonl"), "a")
    started = time.time()
    model.train()
    bar = tqdm(total=args.steps, initial=step, desc="train", dynamic_ncols=True)
    while step < args.steps:
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, args)
        batch = {k: v.to(device) for k, v in sampler.next_batch().items()}
        logits, log_gsd = model(batch["image"])
        loss, parts = total_loss(logits, log_gsd, batch, weights)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        step += 1
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.3f}", gsd=f"{parts['gsd']:.3f}")
        record = {"step": step, "loss": loss.item(), **parts, "lr": learning_rate(step - 1, args),
                  "elapsed_s": round(time.time() - started, 1)}
        if step % args.val_every == 0 or step == args.steps:
            record["val_iou"] = validate(model, val_crops, mean, std, device)
            if record["val_iou"] > best_iou:
                best_iou = record["val_iou"]
                save_checkpoint(best_path, checkpoint_state(model, optimizer, step, sampler, extra()))
            tqdm.write(f"step {step}: val IoU {record['val_iou']:.4f} (best {best_iou:.4f})")
        log.write(json.dumps(record) + "\n")
        log.flush()
        out_of_time = args.max_minutes and time.time() - started > args.max_minutes * 60
        if step % args.ckpt_every == 0 or step == args.steps or out_of_time:
            save_checkpoint(last, checkpoint_state(model, optimizer, step, sampler, extra()))
        if out_of_time:
            print(f"time budget reached at step {step}; rerun to resume")
            break
    bar.close()


if __name__ == "__main__":
    main()
