#!/usr/bin/env python3
"""Side-by-side validation curves of training runs (ablations), from their own logs.

    .venv-train/bin/python scripts/compare_runs.py runs/abl_seg34 runs/abl_seg18 runs/abl_det_filter ...

A segmentation run (``log.jsonl``) gives its steps, wall time, seconds per step and, at each
validation on the fixed held-out crops, the pixel AP (mean over sources: the checkpoint score) and
IoU at 0.5 (older runs: IoU at 0.5 alone); a detection run (``history.json``) gives box
precision, recall, F1@0.5 and AP50 on its fixed held-out crops at each validation. The runs'
options come from their ``last.pt`` checkpoints, so the table says what was compared.
"""
import argparse
import json
import os
import time
from typing import List

import torch

SEGMENTATION_OPTIONS = ("encoder", "steps", "no_boxes", "batch", "tile", "encoder_lr", "frozen_steps")
DETECTION_OPTIONS = ("model", "epochs", "epoch_images", "min_box_m", "max_aspect", "init_onnx")


def run_options(run: str, keys) -> str:
    args = torch.load(os.path.join(run, "last.pt"), map_location="cpu", weights_only=False)["args"]
    return " ".join(f"{k}={args[k]}" for k in keys if k in args)


def training_seconds(records: List[dict]) -> float:
    """Wall time over all training processes."""
    return sum(part[-1]["elapsed_s"] for part in sessions(records))


def segmentation_rows(run: str) -> List[str]:
    with open(os.path.join(run, "log.jsonl")) as f:
        records = [json.loads(line) for line in f]
    last, seconds = records[-1], training_seconds(records)
    validations = [(r["step"], validation_scores(r)) for r in records if "val" in r or "val_iou" in r]
    curve = ", ".join(f"{step}: " + "/".join(f"{v:.3f}" for v in scores) for step, scores in validations)
    best = max((scores for _, scores in validations), default=(float("nan"),))
    names = "AP/IoU@0.5" if any("val" in r for r in records) else "IoU@0.5"
    return [f"{run}  [{run_options(run, SEGMENTATION_OPTIONS)}]",
            f"  {last['step']} steps in {seconds / 60:.1f} min ({seconds / last['step']:.2f} s/step); "
            f"val {names} {curve or 'none yet'}; best {best[0]:.3f}"]


def validation_scores(record: dict) -> tuple:
    """(AP, IoU at 0.5) of a validation record; (IoU at 0.5,) for runs logged before AP."""
    if "val" in record:
        return record["val"]["score"], record["val"]["iou"]
    return (record["val_iou"],)


def detection_rows(run: str) -> List[str]:
    with open(os.path.join(run, "history.json")) as f:
        history = json.load(f)
    rows = [f"{run}  [{run_options(run, DETECTION_OPTIONS)}]"]
    rows += [f"  step {h['step']}: P {h['precision']:.3f} R {h['recall']:.3f} F1 {h['f1']:.3f} "
             f"AP50 {h['ap50']:.3f}" for h in history]
    return rows


def sessions(records: List[dict]) -> List[List[dict]]:
    """The records of each training process: its start time where logged, else the elapsed clock's restart
    (which misses a resume whose first step took longer than the whole previous process)."""
    parts: List[List[dict]] = []
    previous = None
    for record in records:
        if previous is None or new_process(previous, record):
            parts.append([])
        parts[-1].append(record)
        previous = record
    return parts


def new_process(previous: dict, record: dict) -> bool:
    if "process_started" in previous and "process_started" in record:
        return record["process_started"] != previous["process_started"]
    return record["elapsed_s"] < previous["elapsed_s"]


def ledger_rows(run: str, batch: int) -> List[str]:
    """A markdown training ledger: one row per training process (a session may hold several), with hours,
    steps, crops seen and validation."""
    with open(os.path.join(run, "log.jsonl")) as f:
        records = [json.loads(line) for line in f]
    rows = ["| run (process) | started (UTC) | hours | steps | crops seen (total) | validation at its end (AP / IoU@0.5) "
            "| weight average (EMA) at its end |",
            "|---|---|---|---|---|---|---|"]
    for n, part in enumerate(sessions(records), start=1):
        started = (time.strftime("%Y-%m-%d %H:%M", time.gmtime(part[0]["time"] - part[0]["elapsed_s"]))
                   if "time" in part[0] else "-")
        vals = [validation_scores(r) for r in part if "val" in r or "val_iou" in r]
        val = " / ".join(f"{v:.3f}" for v in vals[-1]) if vals else "-"
        averaged = [r["val_ema"] for r in part if "val_ema" in r]
        ema = f"{averaged[-1]['score']:.3f} / {averaged[-1]['iou']:.3f}" if averaged else "-"
        if averaged and "gsd_err_pct" in averaged[-1]:
            ema += f", GSD error {averaged[-1]['gsd_err_pct']:.0f} %"
        rows.append(f"| {n} | {started} | {part[-1]['elapsed_s'] / 3600:.2f} | {part[0]['step']}-{part[-1]['step']} | "
                    f"{part[-1]['step'] * batch:,} | {val} | {ema} |")
    return rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", help="run folders of train_segmentation.py or train_detection.py")
    p.add_argument("--ledger", action="store_true", help="segmentation runs: a markdown ledger, one row a session")
    args = p.parse_args(argv)
    for run in args.runs:
        if args.ledger:
            batch = torch.load(os.path.join(run, "last.pt"), map_location="cpu", weights_only=False)["args"]["batch"]
            print("\n".join(ledger_rows(run, batch)))
        elif os.path.exists(os.path.join(run, "log.jsonl")):
            print("\n".join(segmentation_rows(run)))
        elif os.path.exists(os.path.join(run, "history.json")):
            print("\n".join(detection_rows(run)))
        else:
            raise SystemExit(f"{run}: neither log.jsonl (segmentation) nor history.json (detection) is there; "
                             "pass the --out folder of a finished training run")


if __name__ == "__main__":
    main()
