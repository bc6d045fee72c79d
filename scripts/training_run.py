"""What every training script does the same way: options, seeds, device, checkpoints, weight averaging."""
import argparse
import copy
import math
import os
import random

import numpy as np
import torch
from torch import nn


def add_run_options(p: argparse.ArgumentParser) -> None:
    """Time budget, seed, CPU threads and device."""
    p.add_argument("--max-minutes", type=float, default=0, help="stop with a checkpoint after this long")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = all cores)")
    p.add_argument("--device", default="auto")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def start_run(args: argparse.Namespace) -> torch.device:
    """Seeds, thread count and output folder; returns the device (CUDA when present under 'auto')."""
    seed_everything(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    if args.device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(args.device)


def save_checkpoint(path: str, state: dict) -> None:
    """Write through a temporary file: a checkpoint is never half-written."""
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


class ModelEMA:
    """Exponential moving average of the weights, its decay ramped from 0 to ``decay`` over the first updates."""

    def __init__(self, model: nn.Module, decay: float = 0.9998, ramp: float = 2000.0, updates: int = 0):
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.decay, self.ramp, self.updates = decay, ramp, updates

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / self.ramp))
        current = model.state_dict()
        for name, value in self.model.state_dict().items():
            if value.dtype.is_floating_point:
                value.mul_(d).add_(current[name].detach(), alpha=1 - d)
            else:
                value.copy_(current[name])
