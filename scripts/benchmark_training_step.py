#!/usr/bin/env python3
"""Seconds per segmentation training step on this machine's CPU, for the choices that might speed it.

Times the long run's model (forward, the losses' main terms, backward, AdamW) on random batches of
the same pixel count at several crop sizes, eager and under torch.compile, always channels_last
(measured faster before: models/README.md). Pause any running training first (kill -STOP).

    .venv-train/bin/python scripts/benchmark_training_step.py --crops 256x8 384x4 512x2 --compile
"""
import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from typing import List

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from scripts.segmentation.model import SegModelConfig, UNetASPP  # noqa: E402


@dataclass
class StepCase:
    crop: int
    batch: int
    compiled: bool

    @property
    def label(self) -> str:
        return f"{self.batch} x {self.crop}² {'compiled' if self.compiled else 'eager'}"


def parse_crop(text: str):
    crop, batch = text.lower().split("x")
    return int(crop), int(batch)


def time_steps(case: StepCase, encoder: str, warmup: int, steps: int) -> List[float]:
    torch.manual_seed(0)
    model = UNetASPP(SegModelConfig(encoder=encoder)).to(memory_format=torch.channels_last).train()
    optimiser = torch.optim.AdamW(model.parameters(), 1e-4)
    forward = torch.compile(model) if case.compiled else model
    x = torch.randn(case.batch, 3, case.crop, case.crop).contiguous(memory_format=torch.channels_last)
    target = (torch.rand(case.batch, 2, case.crop, case.crop) > 0.7).float()
    log_gsd = torch.full((case.batch, 1), -1.2)
    times = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        optimiser.zero_grad()
        logits, gsd = forward(x)
        loss = F.binary_cross_entropy_with_logits(logits, target) + F.smooth_l1_loss(gsd, log_gsd)
        loss.backward()
        optimiser.step()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--crops", nargs="+", default=["256x8"], help="CROPxBATCH, e.g. 256x8 512x2")
    p.add_argument("--encoder", default="efficientnet_lite0")
    p.add_argument("--compile", action="store_true", help="also time each crop under torch.compile")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps (compilation happens in them)")
    p.add_argument("--steps", type=int, default=8)
    args = p.parse_args(argv)
    cases = [StepCase(crop, batch, compiled) for crop, batch in map(parse_crop, args.crops)
             for compiled in ([False, True] if args.compile else [False])]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.encoder}, channels_last")
    for case in cases:
        times = time_steps(case, args.encoder, args.warmup, args.steps)
        median = statistics.median(times)
        megapixels = case.batch * case.crop ** 2 / 1e6
        print(f"{case.label:>24s}: {median:.3f} s per step (median of {len(times)}), "
              f"{median / megapixels:.3f} s per megapixel")


if __name__ == "__main__":
    main()
