"""The YOLOX training recipe, metrics and checkpoints (the loop itself is scripts/train_detection.py).

Recipe (YOLOX report, section 2.1 and its training details): SGD with momentum 0.9 (Nesterov),
weight decay 5e-4 on convolution weights only, learning rate base_lr x batch / 64, a quadratic
warm-up over the first epochs, cosine decay to min_lr_ratio x lr, held there for the last
no-aug epochs, in which mosaic and mixup are off and the L1 box loss is on; an EMA of the
weights (decay 0.9998, ramped up over the first updates) is what gets validated and exported.
"""
import copy
import math
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class Schedule:
    epochs: int = 100
    steps_per_epoch: int = 250
    warmup_epochs: int = 5
    no_aug_epochs: int = 15
    base_lr: float = 0.01          # per 64 images
    batch: int = 8
    min_lr_ratio: float = 0.05

    @property
    def lr(self) -> float:
        return self.base_lr * self.batch / 64.0

    @property
    def total_steps(self) -> int:
        return self.epochs * self.steps_per_epoch

    def strong_augmentation(self, epoch: int) -> bool:
        """Mosaic and mixup until the last no_aug_epochs."""
        return epoch < self.epochs - self.no_aug_epochs

    def use_l1(self, epoch: int) -> bool:
        return not self.strong_augmentation(epoch)

    def learning_rate(self, step: int) -> float:
        warm = min(self.warmup_epochs * self.steps_per_epoch, self.total_steps)
        no_aug = self.no_aug_epochs * self.steps_per_epoch
        low = self.lr * self.min_lr_ratio
        if step < warm:
            return self.lr * ((step + 1) / max(1, warm)) ** 2
        if step >= self.total_steps - no_aug:
            return low
        progress = (step - warm) / max(1, self.total_steps - warm - no_aug)
        return low + 0.5 * (self.lr - low) * (1 + math.cos(math.pi * progress))


def parameter_groups(model: nn.Module, weight_decay: float) -> List[Dict]:
    """Weight decay on convolution/linear weights only, not on BatchNorm or biases."""
    decay, no_decay = [], []
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False):
            if name == "weight" and not isinstance(module, nn.modules.batchnorm._BatchNorm):
                decay.append(param)
            else:
                no_decay.append(param)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


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


def box_iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU [len(a), len(b)] of xyxy boxes."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area_a = np.clip(a[:, 2:] - a[:, :2], 0, None).prod(-1)
    area_b = np.clip(b[:, 2:] - b[:, :2], 0, None).prod(-1)
    return inter / np.maximum(area_a[:, None] + area_b[None] - inter, 1e-9)


def match_detections(pred: np.ndarray, score: np.ndarray, gt: np.ndarray, iou_thresh: float = 0.5) -> np.ndarray:
    """True positive flag per prediction (best score first claims its best unclaimed ground truth)."""
    order = np.argsort(-score)
    ious = box_iou_matrix(pred[order], gt)
    claimed = np.zeros(len(gt), bool)
    tp = np.zeros(len(pred), bool)
    for rank, i in enumerate(order):
        if len(gt) == 0:
            break
        candidates = np.where(~claimed, ious[rank], -1.0)
        j = int(np.argmax(candidates))
        if candidates[j] >= iou_thresh:
            claimed[j] = True
            tp[i] = True
    return tp


def detection_metrics(results: Sequence[Tuple[np.ndarray, np.ndarray, np.ndarray]], conf: float,
                      iou_thresh: float = 0.5) -> Dict[str, float]:
    """Precision, recall, F1 at ``conf`` and AP at IoU >= iou_thresh over images of (pred xyxy, score, gt xyxy)."""
    scores, flags, n_gt = [], [], 0
    for pred, score, gt in results:
        scores.append(score)
        flags.append(match_detections(pred, score, gt, iou_thresh))
        n_gt += len(gt)
    score = np.concatenate(scores) if scores else np.zeros(0)
    tp = np.concatenate(flags) if flags else np.zeros(0, bool)
    above = score >= conf
    n_tp = int(tp[above].sum())
    precision = n_tp / max(1, int(above.sum()))
    recall = n_tp / max(1, n_gt)
    f1 = 2 * precision * recall / max(1e-9, precision + recall)
    order = np.argsort(-score)
    cum_tp = np.cumsum(tp[order])
    prec_curve = cum_tp / np.arange(1, len(order) + 1) if len(order) else np.zeros(0)
    rec_curve = cum_tp / max(1, n_gt)
    ap = 0.0
    if len(order):
        # All-point interpolation: area under the monotone precision envelope.
        envelope = np.maximum.accumulate(prec_curve[::-1])[::-1]
        steps = np.diff(np.concatenate([[0.0], rec_curve]))
        ap = float((steps * envelope).sum())
    return {"precision": precision, "recall": recall, "f1": f1, "ap50": ap, "gt": n_gt,
            "predictions": int(above.sum())}
