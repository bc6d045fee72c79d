"""Self-training for box-only sources: the better model's mask inside each box replaces the box core.

A box says where a building is, not its shape; a box core (data.box_pseudo_mask) teaches every
roof to be a rectangle and leaves the rim untaught. Inside each box the segmentation model's own
prediction is a better shape; it is kept only where the model is confident, the box's rim stays
out of the loss (box edges are loose), and outside every box the image is background as before.
The predictions are made once (scripts/predict_box_masks.py) and read back as 8-bit PNGs.
"""
import os
from dataclasses import dataclass
from typing import List, Tuple

import cv2
import numpy as np

from .data import Item


@dataclass(frozen=True)
class SelfTrainingConfig:
    threshold: float = 0.5
    uncertain: float = 0.2       # probabilities within threshold +- this are left out of the loss
    rim_share: float = 0.1       # of the box's shorter side, left out of the loss along its edges
    min_rim_px: int = 2


def predicted_mask_path(folder: str, item: Item) -> str:
    return os.path.join(folder, item.source, item.item_id + ".png")


def self_training_mask(shape: Tuple[int, int], boxes: List[List[float]], prob: np.ndarray,
                       cfg: SelfTrainingConfig = SelfTrainingConfig()):
    """(mask, weight) uint8 [H, W] from COCO boxes and a building probability (0..1) of the image."""
    mask = np.zeros(shape, np.uint8)
    weight = np.ones(shape, np.uint8)
    confident = np.abs(prob - cfg.threshold) >= cfg.uncertain
    for x, y, w, h in boxes:
        x0, y0 = max(0, int(round(x))), max(0, int(round(y)))
        x1, y1 = min(shape[1], int(round(x + w))), min(shape[0], int(round(y + h)))
        if x1 <= x0 or y1 <= y0:
            continue
        inside = (slice(y0, y1), slice(x0, x1))
        mask[inside] |= (prob[inside] >= cfg.threshold).astype(np.uint8)
        weight[inside] = 0
    for x, y, w, h in boxes:  # then the confident interiors, so an overlapping box's rim cannot hide them
        rim = max(cfg.min_rim_px, int(round(cfg.rim_share * min(w, h))))
        x0, y0 = max(0, int(round(x)) + rim), max(0, int(round(y)) + rim)
        x1, y1 = min(shape[1], int(round(x + w)) - rim), min(shape[0], int(round(y + h)) - rim)
        if x1 > x0 and y1 > y0:
            interior = (slice(y0, y1), slice(x0, x1))
            weight[interior] = confident[interior].astype(np.uint8)
    return mask, weight


def with_predicted_masks(items: List[Item], folder: str,
                         cfg: SelfTrainingConfig = SelfTrainingConfig()) -> Tuple[List[Item], int]:
    """The items, box-only ones with a predicted mask in folder relabelled; and how many were."""
    relabelled = 0
    for item in items:
        path = predicted_mask_path(folder, item)
        if item.label_quality != "boxes" or not os.path.exists(path):
            continue
        prob = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if prob is None or prob.shape != item.image.shape[:2]:
            raise ValueError(f"{path}: not a {item.image.shape[1]} x {item.image.shape[0]} 8-bit mask of "
                             f"{item.source}/{item.item_id}; predict the masks again (scripts/predict_box_masks.py)")
        item.mask, item.weight = self_training_mask(item.image.shape[:2], item.boxes, prob / 255.0, cfg)
        relabelled += 1
    return items, relabelled
