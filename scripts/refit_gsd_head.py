#!/usr/bin/env python3
"""Refit the segmentation model's GSD head on its frozen encoder, on tiles as the plugin reads them.

The long run trains the head on 256-px crops, most of them resampled across 0.1-2 m, beside the
mask loss. The plugin reads up to 16 tiles of up to 512 px at the image's own resolution and takes
the median of the head's reads. This script pools the frozen encoder's deepest features over such
tiles of the training images with a known GSD, at their own resolution and resampled coarser (never
finer: upsampling makes blur, not detail), and fits the head alone to them. The rest of the network,
and so every mask, is unchanged.

A head refitted this way reads its training images almost exactly, so its interval cannot be
calibrated on them. gsd_log_error comes from leave-one-source-out fits instead: each source's
images read by a head fitted without that source, as a city the model never saw. It is stored in
the checkpoint, and export_segmentation.py writes it into the model's metadata.

    .venv-train/bin/python scripts/refit_gsd_head.py runs/seg_v2/best_ema.pt ../shared/data/* \
        --out runs/seg_v2/gsd_refit.pt
"""
import argparse
import copy
import math
import os
import sys
from dataclasses import asdict, dataclass
from typing import Dict, List

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from building_area_plugin.core.gsd import Z_80, centre_and_spread  # noqa: E402
from building_area_plugin.core.inference import gsd_tile_size  # noqa: E402
from building_area_plugin.core.workgrid import PixelWindow  # noqa: E402
from scripts.segmentation.data import Item, load_sources, resize_to_gsd, split_items  # noqa: E402
from scripts.segmentation.model import UNetASPP, load_trained  # noqa: E402


@dataclass
class RefitConfig:
    per_source: int = 40          # training images a source at most, so that no source dominates
    coarser_versions: int = 3     # resampled copies of each image, GSD log-uniform up to max_gsd_m
    tiles: int = 2                # random tiles of each version
    max_gsd_m: float = 2.0
    tile_size: int = 512          # the model's tile; small images get smaller tiles, as in the plugin
    steps: int = 1500             # full-batch AdamW steps from the long run's head
    lr: float = 1e-3
    weight_decay: float = 1e-3
    seed: int = 0


@dataclass
class Samples:
    """Pooled encoder features of tiles; a group is one image at one GSD (the plugin's one read)."""
    features: np.ndarray   # float32 [N, C]
    log_gsd: np.ndarray    # float32 [N]
    group: np.ndarray      # int [N]
    source: np.ndarray     # str [N]

    def subset(self, keep: np.ndarray) -> "Samples":
        return Samples(self.features[keep], self.log_gsd[keep], self.group[keep], self.source[keep])


def training_images(folders: List[str], per_source: int, rng: np.random.Generator) -> List[Item]:
    """Training-side images with a known GSD, at most per_source of each source."""
    train, _ = split_items(load_sources(folders))
    chosen = []
    for source in sorted({it.source for it in train}):
        items = [it for it in train if it.source == source and it.gsd_m]
        chosen += [items[i] for i in sorted(rng.permutation(len(items))[:per_source])]
    return chosen


def random_tiles(image: np.ndarray, count: int, model_tile: int, rng: np.random.Generator) -> List[np.ndarray]:
    h, w = image.shape[:2]
    size = gsd_tile_size(model_tile, PixelWindow(0, 0, w, h))
    if h < size or w < size:
        return []
    corners = [(int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))) for _ in range(count)]
    return [image[y:y + size, x:x + size] for y, x in corners]


@torch.no_grad()
def pooled_features(model: UNetASPP, tiles: List[np.ndarray], mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """What the GSD head sees: the encoder's deepest features, averaged over the tile."""
    x = (np.stack(tiles).astype(np.float32) / 255.0 - mean) / std
    return model.encoder(torch.from_numpy(x.transpose(0, 3, 1, 2).copy()))[4].mean((2, 3)).numpy()


def collect_samples(model: UNetASPP, items: List[Item], mean: np.ndarray, std: np.ndarray,
                    cfg: RefitConfig, rng: np.random.Generator) -> Samples:
    features, log_gsd, group, source = [], [], [], []
    reads = 0
    for item in items:
        gsds = [item.gsd_m] + [math.exp(rng.uniform(math.log(item.gsd_m), math.log(max(cfg.max_gsd_m, item.gsd_m))))
                               for _ in range(cfg.coarser_versions)]
        for gsd in gsds:
            image = item.image if gsd == item.gsd_m else resize_to_gsd(item.image, item.gsd_m / gsd)
            tiles = random_tiles(image, cfg.tiles, cfg.tile_size, rng)
            if not tiles:
                continue
            features.append(pooled_features(model, tiles, mean, std))
            log_gsd += [math.log(gsd)] * len(tiles)
            group += [reads] * len(tiles)
            source += [item.source] * len(tiles)
            reads += 1
    return Samples(np.concatenate(features), np.array(log_gsd, np.float32), np.array(group), np.array(source))


def fit_head(head: nn.Module, samples: Samples, cfg: RefitConfig) -> nn.Module:
    """A copy of the head (its pooling layers included) trained on pooled features, L1 in log space."""
    torch.manual_seed(cfg.seed)
    fitted = copy.deepcopy(head).train()
    mlp = fitted[2:]  # after AdaptiveAvgPool2d and Flatten: the features are pooled already
    optimiser = torch.optim.AdamW(mlp.parameters(), cfg.lr, weight_decay=cfg.weight_decay)
    x, y = torch.from_numpy(samples.features), torch.from_numpy(samples.log_gsd)
    for _ in range(cfg.steps):
        optimiser.zero_grad()
        loss = (mlp(x)[:, 0] - y).abs().mean()
        loss.backward()
        optimiser.step()
    return fitted.eval()


@torch.no_grad()
def read_errors(head: nn.Module, samples: Samples) -> np.ndarray:
    """Per group, as the plugin reads an image: (error of the median log GSD, robust spread of the tiles)."""
    reads = head[2:](torch.from_numpy(samples.features))[:, 0].numpy()
    out = []
    for g in np.unique(samples.group):
        in_group = samples.group == g
        centre, spread = centre_and_spread(reads[in_group])
        out.append((centre - float(samples.log_gsd[in_group][0]), spread))
    return np.array(out, np.float64).reshape(-1, 2)


def interval_log_error(errors: np.ndarray, coverage_pct: float = 80.0) -> float:
    """The model error that makes the plugin's interval (tiles' spread combined with it, see
    gsd.gsd_from_model) hold the truth on coverage_pct of the reads: per read, sqrt(e^2 - (Z s)^2)."""
    if not len(errors):
        return 0.0
    needed = np.sqrt(np.maximum(0.0, errors[:, 0] ** 2 - (Z_80 * errors[:, 1]) ** 2))
    return float(np.percentile(needed, coverage_pct))


def leave_one_source_out_errors(head: nn.Module, samples: Samples, cfg: RefitConfig) -> Dict[str, np.ndarray]:
    """Each source's reads by a head fitted on the other sources."""
    if len(np.unique(samples.source)) < 2:
        raise ValueError("holding a source out needs images with a known GSD from at least two sources")
    out = {}
    for source in np.unique(samples.source):
        held = samples.source == source
        out[str(source)] = read_errors(fit_head(head, samples.subset(~held), cfg), samples.subset(held))
    return out


def relative_error_summary(errors: np.ndarray) -> str:
    rel = np.abs(np.exp(errors[:, 0]) - 1)
    return f"GSD error median {np.median(rel):.1%}, p90 {np.percentile(rel, 90):.1%} ({len(rel)} reads)"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("folders", nargs="+", help="shared-format source folders (their training side is used)")
    p.add_argument("--out", required=True, help="the checkpoint with the refitted head and its gsd_log_error")
    for name, value in asdict(RefitConfig()).items():
        p.add_argument("--" + name.replace("_", "-"), type=type(value), default=value)
    args = p.parse_args(argv)
    cfg = RefitConfig(**{k: getattr(args, k) for k in asdict(RefitConfig())})

    ckpt = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    model = load_trained(ckpt)
    rng = np.random.default_rng(cfg.seed)
    items = training_images(args.folders, cfg.per_source, rng)
    samples = collect_samples(model, items, np.array(ckpt["mean"], np.float32), np.array(ckpt["std"], np.float32),
                              cfg, rng)
    print(f"{len(samples.log_gsd)} tiles, {len(np.unique(samples.group))} reads, {len(items)} images")
    print("long run's head on them:", relative_error_summary(read_errors(model.gsd_head, samples)))
    held_out = leave_one_source_out_errors(model.gsd_head, samples, cfg)
    for source, errors in held_out.items():
        print(f"  {source} held out: {relative_error_summary(errors)}")
    pooled = np.concatenate(list(held_out.values()))
    log_error = interval_log_error(pooled)
    print(f"leave-one-source-out: {relative_error_summary(pooled)}; gsd_log_error {log_error:.3f}")

    head = fit_head(model.gsd_head, samples, cfg)
    print("refitted head on its training reads:", relative_error_summary(read_errors(head, samples)))
    state = dict(ckpt["model"])
    state.update({"gsd_head." + k: v for k, v in head.state_dict().items()})
    refit = {**asdict(cfg), "images": len(items), "tile_count": len(samples.log_gsd),
             "held_out_gsd_error_median": float(np.median(np.abs(np.exp(pooled[:, 0]) - 1)))}
    torch.save({**ckpt, "model": state, "gsd_log_error": log_error, "gsd_head_refit": refit}, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
