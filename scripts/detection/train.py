"""The YOLOX training recipe, metrics and checkpoints (the loop itself is scripts/train_detection.py).

Recipe (YOLOX report, section 2.1 and its training details): SGD with momentum 0.9 (Nesterov),
weight decay 5e-4 on convolution weights only, learning rate base_lr x batch / 64, a quadratic
warm-up over the first epochs, cosine decay to min_lr_ratio x lr, held there for the last
no-aug epochs, in which mosaic and mixup are off and the L1 box loss is on; an EMA of the
weights (decay 0.9998, ramped up over the first updates) is what gets validated and exported.
Box metrics live in scripts/evaluation/detection_metrics.py (shared with scripts/evaluate.py); the EMA in
scripts/training_run.py (shared with the segmentation training).
"""
import math
from dataclasses import dataclass
from typing import Dict, List

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
