#!/usr/bin/env python3
"""Train the building segmentation model (UNet-ASPP with building/edge outputs and a GSD head).

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
from scripts.training_run import ModelEMA, add_run_options, save_checkpoint, start_run  # noqa: E402
from scripts.segmentation.augment import SamplingConfig, fixed_gsd_crops, fixed_validation_crops  # noqa: E402
from scripts.segmentation.data import load_inria_folder, load_sources, split_items  # noqa: E402
from scripts.segmentation.encoders import ENCODERS, PRETRAINED_STATS, freeze_batchnorm_statistics  # noqa: E402
from scripts.segmentation.losses import LossWeights, total_loss  # noqa: E402
from scripts.segmentation.model import SegModelConfig, UNetASPP  # noqa: E402
from scripts.segmentation.sampler import BatchSampler, channel_stats  # noqa: E402
from scripts.segmentation.self_training import with_predicted_masks  # noqa: E402
from scripts.segmentation.validation import validate, validate_gsd  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", nargs="*", help="folders in the shared format (index.csv, images/, gt/)")
    p.add_argument("--inria", action="append", default=[], help="an Inria AerialImageDataset root (0.3 m)")
    p.add_argument("--out", default="runs/seg")
    p.add_argument("--encoder", default="efficientnet_lite0", choices=ENCODERS)
    p.add_argument("--no-pretrained", action="store_true", help="EfficientNet-Lite from random weights (ablation)")
    p.add_argument("--init", help="a torchvision-layout ResNet state dict to start a ResNet encoder from")
    p.add_argument("--width", type=int, default=64, help="ResNet only")
    p.add_argument("--start-from", metavar="CKPT",
                   help="a new run (step 0, fresh optimizer and schedule) from the network of a segmentation "
                        "checkpoint: fine-tuning, e.g. at another --native-gsd")
    p.add_argument("--encoder-lr", type=float, default=0.3,
                   help="the encoder's learning rate as a share of --lr (pretrained weights move slower)")
    p.add_argument("--frozen-steps", type=int, default=0, help="encoder frozen for the first N steps")
    p.add_argument("--encoder-bn", choices=("train", "frozen"), default="train",
                   help="frozen: the encoder's BatchNorm keeps its ImageNet statistics (small batches)")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--ema-decay", type=float, default=0.999,
                   help="also validate an exponential moving average of the weights, kept in best_ema.pt (0: off)")
    p.add_argument("--tile", type=int, default=256)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--native-gsd", type=float, default=0.3)
    p.add_argument("--seg-jitter", type=float, default=SamplingConfig.seg_jitter,
                   help="log2 range of the segmentation crops' scale jitter around the native GSD")
    p.add_argument("--gsd-native-prob", type=float, default=0.0,
                   help="share of the GSD head's crops taken at the image's own resolution, as the plugin reads it")
    p.add_argument("--no-boxes", action="store_true", help="leave out box-only sources (ablation)")
    p.add_argument("--box-masks", metavar="DIR",
                   help="self-training: box-only images learn a model's predicted masks inside their boxes "
                        "(scripts/predict_box_masks.py) instead of box cores")
    p.add_argument("--stop-at", type=int, default=0,
                   help="stop (validated, checkpointed) at this step of the --steps schedule; rerun goes on")
    p.add_argument("--val-every", type=int, default=100)
    p.add_argument("--ckpt-every", type=int, default=50)
    add_run_options(p)
    return p.parse_args(argv)



def learning_rate(step: int, args) -> float:
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    progress = (step - args.warmup) / max(1, args.steps - args.warmup)
    return args.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def open_log(path: str, step: int):
    """The run's log for appending, without records of steps after the checkpoint resumed from
    (a run stopped between checkpoints repeats those steps)."""
    if os.path.exists(path):
        with open(path) as f:
            kept = [line for line in f if json.loads(line)["step"] <= step]
        with open(path, "w") as f:
            f.writelines(kept)
    return open(path, "a")


def checkpoint_state(model, optimizer, step, sampler, extra, ema=None) -> dict:
    averaged = {"ema": ema.model.state_dict(), "ema_updates": ema.updates} if ema is not None else {}
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step,
            "rng": sampler.rng.bit_generator.state, "torch_rng": torch.get_rng_state(), **averaged, **extra}


def main(argv=None):
    args = parse_args(argv)
    device = start_run(args)

    items = load_sources(args.data) + [it for root in args.inria for it in load_inria_folder(root)]
    if args.no_boxes:
        items = [it for it in items if it.label_quality != "boxes"]
    if args.box_masks:
        items, relabelled = with_predicted_masks(items, args.box_masks)
        print(f"self-training: {relabelled} box-only images learn the masks in {args.box_masks}")
    train_items, val_items = split_items(items)
    cfg = SamplingConfig(tile=args.tile, native_gsd_m=args.native_gsd, seg_jitter=args.seg_jitter,
                         gsd_native_prob=args.gsd_native_prob)
    pretrained = (args.encoder in PRETRAINED_STATS and not args.no_pretrained) or bool(args.init)
    # Pretrained weights expect the standardisation they were trained with.
    mean, std = PRETRAINED_STATS.get(args.encoder) or channel_stats(train_items)
    val_crops = fixed_validation_crops(val_items, cfg)
    gsd_crops = fixed_gsd_crops(val_items, cfg)
    print(f"{len(train_items)} training and {len(val_items)} validation images "
          f"({len(val_crops)} validation crops); mean {mean} std {std}; device {device}")

    model = UNetASPP(SegModelConfig(encoder=args.encoder, width=args.width),
                     pretrained=pretrained and not args.init, init=args.init).to(device)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    encoder_params = list(model.encoder.parameters())
    encoder_ids = {id(p) for p in encoder_params}
    optimizer = torch.optim.AdamW(
        [{"params": encoder_params, "lr_share": args.encoder_lr if pretrained else 1.0},
         {"params": [p for p in model.parameters() if id(p) not in encoder_ids], "lr_share": 1.0}],
        lr=args.lr, weight_decay=1e-4)
    sampler = BatchSampler(train_items, cfg, args.batch, mean, std, args.seed)
    weights = LossWeights()
    last, best_path = os.path.join(args.out, "last.pt"), os.path.join(args.out, "best.pt")
    best_ema_path = os.path.join(args.out, "best_ema.pt")
    step, best_score, best_ema_score = 0, -1.0, -1.0
    ckpt = torch.load(last, map_location=device, weights_only=False) if os.path.exists(last) else None
    if ckpt is None and args.start_from:
        start = torch.load(args.start_from, map_location=device, weights_only=False)
        if start["config"]["encoder"] != args.encoder:
            raise SystemExit(f"--start-from {args.start_from} holds a {start['config']['encoder']} network: "
                             f"pass --encoder {start['config']['encoder']}")
        model.load_state_dict(start["model"])
        print(f"starting from the network of {args.start_from} (its step {start['step']})")
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        sampler.rng.bit_generator.state = ckpt["rng"]
        torch.set_rng_state(ckpt["torch_rng"])
        step, best_score = ckpt["step"], ckpt.get("best_score", -1.0)
        best_ema_score = ckpt.get("best_ema_score", -1.0)
        print(f"resumed from step {step} (best validation AP {best_score:.4f})")
    if args.stop_at and step >= args.stop_at:
        # A phase of the recipe that the run has already passed: a rerun of the whole recipe goes on.
        print(f"already at step {step}, not before --stop-at {args.stop_at}: nothing to do")
        return
    # The average starts from the current weights when a run resumes that had none.
    ema = ModelEMA(model, args.ema_decay, ramp=100) if args.ema_decay > 0 else None
    if ema is not None and ckpt is not None and "ema" in ckpt:
        ema.model.load_state_dict(ckpt["ema"])
        ema.updates = ckpt["ema_updates"]

    extra = lambda: {"config": asdict(model.config), "sampling": asdict(cfg), "mean": mean, "std": std,  # noqa: E731
                     "best_score": best_score, "best_ema_score": best_ema_score, "args": vars(args),
                     "train_sources": sorted({it.source for it in train_items}),
                     "train_images": len(train_items)}
    log = open_log(os.path.join(args.out, "log.jsonl"), step)
    started = time.time()
    model.train()
    bar = tqdm(total=args.steps, initial=step, desc="train", dynamic_ncols=True)
    while step < args.steps and not (args.stop_at and step == args.stop_at):
        frozen = step < args.frozen_steps
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, args) * group["lr_share"]
        optimizer.param_groups[0]["lr"] *= 0.0 if frozen else 1.0
        if args.encoder_bn == "frozen":
            # Validation puts the whole model back in training mode: freeze again every step.
            freeze_batchnorm_statistics(model.encoder)
        batch = {k: v.to(device) for k, v in sampler.next_batch().items()}
        image = batch["image"].contiguous(memory_format=torch.channels_last) if args.channels_last else batch["image"]
        logits, log_gsd = model(image)
        loss, parts = total_loss(logits, log_gsd, batch, weights)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        if ema is not None:
            ema.update(model)
        step += 1
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.3f}", gsd=f"{parts['gsd']:.3f}")
        record = {"step": step, "loss": loss.item(), **parts, "lr": optimizer.param_groups[1]["lr"],
                  "lr_encoder": optimizer.param_groups[0]["lr"], "elapsed_s": round(time.time() - started, 1),
                  "time": round(time.time()), "process_started": round(started, 3)}
        out_of_time = (bool(args.max_minutes) and time.time() - started > args.max_minutes * 60
                       or (args.stop_at > 0 and step == args.stop_at))
        if step % args.val_every == 0 or step == args.steps or out_of_time:
            record["val"] = {**validate(model, val_crops, mean, std, device),
                             **validate_gsd(model, gsd_crops, mean, std, device)}
            if record["val"]["score"] > best_score:
                best_score = record["val"]["score"]
                save_checkpoint(best_path, checkpoint_state(model, optimizer, step, sampler, extra()))
            tqdm.write(f"step {step}: val AP {record['val']['score']:.4f} IoU@0.5 {record['val']['iou']:.4f} "
                       f"best-threshold IoU {record['val']['best_iou']:.4f} GSD error {record['val']['gsd_err_pct']:.1f} % "
                       f"(best AP {best_score:.4f})")
            if ema is not None:
                record["val_ema"] = {**validate(ema.model, val_crops, mean, std, device),
                                     **validate_gsd(ema.model, gsd_crops, mean, std, device)}
                if record["val_ema"]["score"] > best_ema_score:
                    best_ema_score = record["val_ema"]["score"]
                    save_checkpoint(best_ema_path, checkpoint_state(ema.model, optimizer, step, sampler, extra()))
                tqdm.write(f"step {step}: EMA val AP {record['val_ema']['score']:.4f} "
                           f"IoU@0.5 {record['val_ema']['iou']:.4f} GSD error {record['val_ema']['gsd_err_pct']:.1f} % "
                           f"(best EMA AP {best_ema_score:.4f})")
        log.write(json.dumps(record) + "\n")
        log.flush()
        if step % args.ckpt_every == 0 or step == args.steps or out_of_time:
            save_checkpoint(last, checkpoint_state(model, optimizer, step, sampler, extra(), ema))
        if out_of_time:
            print(f"stopped at step {step} (time budget or --stop-at); rerun to go on")
            break
    bar.close()


if __name__ == "__main__":
    main()
