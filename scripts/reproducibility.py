"""Deterministic seeds and the run options shared by the training scripts."""
import argparse
import random

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def add_run_options(p: argparse.ArgumentParser) -> None:
    """Time budget, seed, CPU threads and device: the same for every training script."""
    p.add_argument("--max-minutes", type=float, default=0, help="stop with a checkpoint after this long")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = all cores)")
    p.add_argument("--device", default="auto")
