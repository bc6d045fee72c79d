"""Dice + Focal + Boundary loss for the mask and a log-space loss for the GSD head.

Every mask term takes a per-pixel weight (0 = ignored) so that box-derived pseudo-masks and
padding do not teach the network wrong labels.
"""
from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class LossWeights:
    dice: float = 1.0
    focal: float = 1.0
    boundary: float = 0.1
    gsd: float = 0.5
    edge: float = 0.5
    edge_pos_weight: float = 3.0    # the edge band is a few % of a crop's pixels
    focal_gamma: float = 2.0
    focal_alpha: float = 0.5


def dice_loss(logits, target, weight, eps: float = 1.0):
    prob = torch.sigmoid(logits)
    inter = (prob * target * weight).sum(dim=(1, 2, 3))
    union = ((prob + target) * weight).sum(dim=(1, 2, 3))
    return (1 - (2 * inter + eps) / (union + eps)).mean()


def focal_loss(logits, target, weight, gamma: float = 2.0, alpha: float = 0.5):
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p_t = torch.exp(-bce)
    alpha_t = alpha * target + (1 - alpha) * (1 - target)
    loss = alpha_t * (1 - p_t) ** gamma * bce * weight
    return loss.sum() / weight.sum().clamp(min=1.0)


def signed_distance(mask: np.ndarray) -> np.ndarray:
    """Signed distance to the mask boundary (negative inside), normalised by the tile size.

    Kervadec et al.'s boundary loss integrates the prediction over this map, which pulls
    probability mass towards the true outline.
    """
    mask = mask.astype(np.uint8)
    if mask.min() == mask.max():
        return np.zeros(mask.shape, np.float32)
    outside = cv2.distanceTransform(1 - mask, cv2.DIST_L2, 3)
    inside = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    return ((outside - inside) / max(mask.shape)).astype(np.float32)


def boundary_loss(logits, sdf, weight):
    prob = torch.sigmoid(logits)
    return (prob * sdf * weight).sum() / weight.sum().clamp(min=1.0)


def gsd_loss(log_gsd_pred, log_gsd_true, known):
    """Smooth L1 on log GSD: a relative error, the same for 0.1 m and 2 m."""
    if known.sum() == 0:
        return log_gsd_pred.sum() * 0.0
    err = F.smooth_l1_loss(log_gsd_pred[known], log_gsd_true[known], beta=0.1, reduction="mean")
    return err


def edge_loss(logits, target, weight, pos_weight: float):
    """Weighted BCE on the edge band, averaged over the pixels whose edge label is known."""
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none",
                                             pos_weight=torch.tensor(pos_weight, device=logits.device))
    return (bce * weight).sum() / weight.sum().clamp(min=1.0)


def total_loss(logits, log_gsd, batch, w: LossWeights):
    """logits: [N, 2, H, W] (building, edge)."""
    edge_logits, logits = logits[:, 1:2], logits[:, 0:1]
    target, weight, sdf = batch["mask"], batch["weight"], batch["sdf"]
    seg_weight = weight * batch["seg_scale"].view(-1, 1, 1, 1)
    parts = {
        "dice": dice_loss(logits, target, seg_weight),
        "focal": focal_loss(logits, target, seg_weight, w.focal_gamma, w.focal_alpha),
        "boundary": boundary_loss(logits, sdf, seg_weight),
        "gsd": gsd_loss(log_gsd.view(-1), batch["log_gsd"], batch["gsd_known"]),
        "edge": edge_loss(edge_logits, batch["edge"], batch["edge_weight"], w.edge_pos_weight),
    }
    total = (w.dice * parts["dice"] + w.focal * parts["focal"] + w.boundary * parts["boundary"]
             + w.gsd * parts["gsd"] + w.edge * parts["edge"])
    return total, {k: float(v.detach()) for k, v in parts.items()}
