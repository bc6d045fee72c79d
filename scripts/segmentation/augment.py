"""Crops at a chosen ground resolution, plus geometric and photometric augmentation."""
import math
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

from .data import Item, resize_to_gsd


@dataclass(frozen=True)
class SamplingConfig:
    tile: int = 256
    native_gsd_m: float = 0.3
    seg_jitter: float = 0.35            # log2 range of scale jitter around the native GSD
    gsd_min_m: float = 0.1
    gsd_max_m: float = 2.0
    gsd_mode_prob: float = 0.35         # share of crops drawn across 0.1-2 m for the GSD head
    max_upsample: float = 1.25          # GSD-head crops are never upsampled more than this
    # Share of GSD-head crops taken at the image's own resolution (log2 jitter +-gsd_native_jitter), as the
    # plugin reads tiles for the GSD head; the others are resampled across gsd_min_m-gsd_max_m.
    gsd_native_prob: float = 0.0
    gsd_native_jitter: float = 0.1
    seg_max_upsample: float = 2.0
    unknown_gsd_jitter: float = 0.3


def choose_scale(item: Item, cfg: SamplingConfig, rng: np.random.Generator):
    """Returns (output px per source px, GSD of the crop or None, mask-loss scale)."""
    if item.gsd_m is None:
        return 2 ** rng.uniform(-cfg.unknown_gsd_jitter, cfg.unknown_gsd_jitter), None, 1.0
    if rng.random() < cfg.gsd_mode_prob:
        # Drawn only when used, so that runs without native crops keep their random stream.
        if cfg.gsd_native_prob and rng.random() < cfg.gsd_native_prob:
            scale = min(2 ** rng.uniform(-cfg.gsd_native_jitter, cfg.gsd_native_jitter), cfg.max_upsample)
            return scale, item.gsd_m / scale, 0.3
        lo = max(cfg.gsd_min_m, item.gsd_m / cfg.max_upsample)
        target = math.exp(rng.uniform(math.log(lo), math.log(cfg.gsd_max_m)))
        return item.gsd_m / target, target, 0.3
    target = cfg.native_gsd_m * 2 ** rng.uniform(-cfg.seg_jitter, cfg.seg_jitter)
    scale = min(item.gsd_m / target, cfg.seg_max_upsample)
    return scale, item.gsd_m / scale, 1.0


@dataclass
class Crop:
    image: np.ndarray                 # uint8 [tile, tile, 3]
    mask: np.ndarray                  # uint8 [tile, tile]
    weight: np.ndarray                # uint8 [tile, tile], 0 = ignored by the mask loss
    ids: np.ndarray                   # uint16 building ids, or the mask where ids are unknown
    edge_labels: str                  # Item.edge_labels
    gsd: Optional[float] = None
    seg_scale: float = 1.0


def edge_target(ids: np.ndarray, weight: np.ndarray, edge_labels: str):
    """Edge band (where a 3x3 neighbourhood holds two ids, background included) and its loss weight.

    Where only the mask is known, edges inside a blob (touching buildings) are unknown, so the blob
    interior is ignored; box and coarse labels teach no edges.
    """
    kernel = np.ones((3, 3), np.uint8)
    edge = (cv2.dilate(ids, kernel) != cv2.erode(ids, kernel)).astype(np.uint8)
    if edge_labels == "none":
        return edge, np.zeros_like(weight)
    edge_weight = weight.copy()
    if edge_labels == "outline":
        interior = cv2.erode((ids > 0).astype(np.uint8), kernel) & (1 - edge)
        edge_weight[interior.astype(bool)] = 0
    return edge, edge_weight


def crop_at_scale(item: Item, scale: float, tile: int, rng: np.random.Generator) -> Crop:
    """A tile x tile crop of the item resampled by `scale`, padded (weight 0) where it runs out."""
    h, w = item.image.shape[:2]
    win = int(math.ceil(tile / scale))
    x0 = int(rng.integers(0, max(1, w - win + 1)))
    y0 = int(rng.integers(0, max(1, h - win + 1)))
    sl = (slice(y0, y0 + win), slice(x0, x0 + win))
    image = resize_to_gsd(item.image[sl], scale)
    mask = resize_to_gsd(item.mask[sl].astype(np.float32), scale) > 0.5
    weight = resize_to_gsd(item.weight[sl].astype(np.float32), scale) > 0.5
    ids = item.instances[sl] if item.instances is not None else item.mask[sl].astype(np.uint16)
    ids = resize_to_gsd(ids, scale, cv2.INTER_NEAREST)
    out = [np.zeros((tile, tile, 3), np.uint8), np.zeros((tile, tile), np.uint8),
           np.zeros((tile, tile), np.uint8), np.zeros((tile, tile), np.uint16)]
    ch, cw = min(tile, image.shape[0]), min(tile, image.shape[1])
    for dst, src in zip(out, (image, mask, weight, ids)):
        dst[:ch, :cw] = src[:ch, :cw]
    return Crop(out[0], out[1], out[2], out[3], item.edge_labels)


def flip_rotate(arrays, rng: np.random.Generator):
    k = int(rng.integers(0, 4))
    flip = rng.random() < 0.5
    out = []
    for a in arrays:
        a = np.rot90(a, k, axes=(0, 1))
        out.append(np.ascontiguousarray(a[:, ::-1] if flip else a))
    return out


def add_shadow(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Darken a random polygon, as a cloud or building shadow would."""
    h, w = image.shape[:2]
    pts = np.stack([rng.integers(0, w, 5), rng.integers(0, h, 5)], axis=1).astype(np.int32)
    shade = np.zeros((h, w), np.uint8)
    cv2.fillPoly(shade, [cv2.convexHull(pts)], 1)
    factor = np.where(shade[..., None] == 1, rng.uniform(0.35, 0.7), 1.0)
    return (image * factor).astype(np.uint8)


def photometric(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    img = image.astype(np.float32)
    img = img * rng.uniform(0.7, 1.3, size=3) * rng.uniform(0.75, 1.25) + rng.uniform(-25, 25)
    if rng.random() < 0.5:  # gamma
        img = 255.0 * (np.clip(img, 0, 255) / 255.0) ** rng.uniform(0.7, 1.4)
    if rng.random() < 0.3:  # saturation
        grey = img.mean(axis=2, keepdims=True)
        img = grey + (img - grey) * rng.uniform(0.3, 1.5)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.25:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.5))
    if rng.random() < 0.3:
        noise = rng.normal(0, rng.uniform(2, 10), img.shape)
        img = np.clip(img + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        img = add_shadow(img, rng)
    return img


def sample_crop(item: Item, cfg: SamplingConfig, rng: np.random.Generator, augment: bool = True) -> Crop:
    scale, gsd, seg_scale = choose_scale(item, cfg, rng)
    crop = crop_at_scale(item, scale, cfg.tile, rng)
    if augment:
        crop.image, crop.mask, crop.weight, crop.ids = flip_rotate([crop.image, crop.mask, crop.weight, crop.ids], rng)
        crop.image = photometric(crop.image, rng)
    crop.gsd, crop.seg_scale = gsd, seg_scale
    return crop


def fixed_gsd_crops(items, cfg: SamplingConfig, per_source: int = 16, seed: int = 1):
    """Deterministic crops at each image's own resolution, as the plugin shows tiles to the GSD head:
    up to `per_source` from every source with a known GSD, tagged with it (Crop.gsd)."""
    rng = np.random.default_rng(seed)
    by_source = {}
    for item in items:
        if item.gsd_m:
            by_source.setdefault(item.source, []).append(item)
    crops = []
    for source, source_items in sorted(by_source.items()):
        for k in range(per_source):
            item = source_items[k % len(source_items)]
            crop = crop_at_scale(item, 1.0, cfg.tile, rng)
            crop.gsd = item.gsd_m
            crops.append((source, crop))
    return crops


def fixed_validation_crops(items, cfg: SamplingConfig, per_source: int = 200, seed: int = 0):
    """Deterministic crops at the native GSD, at least `per_source` from every exact-mask source
    (spread evenly over its images), each tagged with its source for per-source scores."""
    rng = np.random.default_rng(seed)
    by_source = {}
    for item in items:
        if item.label_quality == "exact":
            by_source.setdefault(item.source, []).append(item)
    crops = []
    for source, source_items in sorted(by_source.items()):
        per_item = math.ceil(per_source / len(source_items))
        for item in source_items:
            scale = min(item.gsd_m / cfg.native_gsd_m, cfg.seg_max_upsample) if item.gsd_m else 1.0
            for _ in range(per_item):
                crops.append((source, crop_at_scale(item, scale, cfg.tile, rng)))
    return crops
