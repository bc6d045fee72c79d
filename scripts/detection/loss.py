"""The YOLOX loss: SimOTA label assignment, IoU loss, objectness and class BCE, optional L1 on raw boxes.

SimOTA (YOLOX report, section 2.2), per image:
- candidates: anchors whose centre lies inside a ground-truth box or within CENTER_RADIUS
  strides of its centre;
- cost(gt, anchor) = class BCE of the joint score sqrt(cls x obj) + IOU_COST_WEIGHT x -log IoU,
  plus a large penalty unless the anchor is both inside the box and near its centre;
- each ground truth takes its dynamic k lowest-cost anchors, k = sum of its TOPK_IOU best
  IoUs (at least 1); an anchor claimed by several ground truths goes to the cheapest one.

Losses, normalised by the number of positive anchors: IOU_LOSS_WEIGHT x (1 - IoU²) on the
positives, BCE objectness on every anchor, BCE class scores on the positives with the
IoU of the prediction as target, and, for the last epochs, L1 between the raw box
outputs and the ground truth encoded the same way.
"""
from dataclasses import dataclass
from typing import List, Tuple

import torch
import torch.nn.functional as F

from .model import decode_boxes

CENTER_RADIUS = 2.5
TOPK_IOU = 10
IOU_COST_WEIGHT = 3.0
IOU_LOSS_WEIGHT = 5.0
OUTSIDE_COST = 1e5


def xywh_to_xyxy(b: torch.Tensor) -> torch.Tensor:
    return torch.cat([b[..., :2] - b[..., 2:4] / 2, b[..., :2] + b[..., 2:4] / 2], -1)


def pairwise_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU [len(a), len(b)] of (cx, cy, w, h) boxes."""
    a, b = xywh_to_xyxy(a), xywh_to_xyxy(b)
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area_a = (a[:, 2:] - a[:, :2]).clamp(min=0).prod(-1)
    area_b = (b[:, 2:] - b[:, :2]).clamp(min=0).prod(-1)
    return inter / (area_a[:, None] + area_b[None, :] - inter + 1e-9)


def matched_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of matching rows of two (cx, cy, w, h) box sets."""
    a, b = xywh_to_xyxy(a), xywh_to_xyxy(b)
    inter = (torch.minimum(a[:, 2:], b[:, 2:]) - torch.maximum(a[:, :2], b[:, :2])).clamp(min=0).prod(-1)
    area_a = (a[:, 2:] - a[:, :2]).clamp(min=0).prod(-1)
    area_b = (b[:, 2:] - b[:, :2]).clamp(min=0).prod(-1)
    return inter / (area_a + area_b - inter + 1e-9)


@dataclass
class Assignment:
    foreground: torch.Tensor   # bool [A]: positive anchors
    gt_index: torch.Tensor     # long [P]: the ground truth of each positive anchor
    iou: torch.Tensor          # [P]: IoU of each positive's prediction with its ground truth


def candidate_anchors(gt: torch.Tensor, centres: torch.Tensor, strides: torch.Tensor
                      ) -> Tuple[torch.Tensor, torch.Tensor]:
    """(candidate [A] bool, in box and centre region [G, A] bool) for ground truths (cx, cy, w, h) [G, 4]."""
    x, y = centres[:, 0][None], centres[:, 1][None]
    box = xywh_to_xyxy(gt)
    in_box = (x > box[:, 0:1]) & (x < box[:, 2:3]) & (y > box[:, 1:2]) & (y < box[:, 3:4])
    radius = CENTER_RADIUS * strides[:, 0][None]
    in_centre = ((x - gt[:, 0:1]).abs() < radius) & ((y - gt[:, 1:2]).abs() < radius)
    candidate = (in_box | in_centre).any(0)
    return candidate, (in_box & in_centre)[:, candidate]


@torch.no_grad()
def simota(pred_boxes: torch.Tensor, obj_logit: torch.Tensor, cls_logit: torch.Tensor, gt_boxes: torch.Tensor,
           gt_classes: torch.Tensor, centres: torch.Tensor, strides: torch.Tensor, num_classes: int) -> Assignment:
    """SimOTA for one image: pred_boxes [A, 4] decoded (cx, cy, w, h), logits [A, 1] / [A, C], gt [G, 4] / [G]."""
    n_anchors = pred_boxes.shape[0]
    candidate, in_both = candidate_anchors(gt_boxes, centres, strides)
    cand_idx = candidate.nonzero(as_tuple=True)[0]
    if cand_idx.numel() == 0:
        return Assignment(torch.zeros(n_anchors, dtype=torch.bool, device=pred_boxes.device),
                          torch.zeros(0, dtype=torch.long), torch.zeros(0))
    ious = pairwise_iou(gt_boxes, pred_boxes[cand_idx])                                  # [G, K]
    iou_cost = -torch.log(ious + 1e-8)
    joint = (cls_logit[cand_idx].float().sigmoid() * obj_logit[cand_idx].float().sigmoid()).sqrt()  # [K, C]
    target = F.one_hot(gt_classes.long(), num_classes).float()                           # [G, C]
    joint = joint[None].expand(len(gt_boxes), -1, -1).clamp(1e-6, 1 - 1e-6)
    cls_cost = F.binary_cross_entropy(joint, target[:, None].expand_as(joint), reduction="none").sum(-1)
    cost = cls_cost + IOU_COST_WEIGHT * iou_cost + OUTSIDE_COST * (~in_both).float()

    matching = torch.zeros_like(cost)
    top_ious = torch.topk(ious, min(TOPK_IOU, ious.shape[1]), dim=1).values
    dynamic_k = top_ious.sum(1).int().clamp(min=1)
    for g in range(len(gt_boxes)):
        k = int(min(dynamic_k[g].item(), cost.shape[1]))
        matching[g, torch.topk(cost[g], k, largest=False).indices] = 1.0
    claimed = matching.sum(0) > 1
    if claimed.any():
        cheapest = cost[:, claimed].argmin(0)
        matching[:, claimed] = 0.0
        matching[cheapest, claimed.nonzero(as_tuple=True)[0]] = 1.0
    positive = matching.sum(0) > 0
    foreground = torch.zeros(n_anchors, dtype=torch.bool, device=pred_boxes.device)
    foreground[cand_idx[positive]] = True
    gt_index = matching[:, positive].argmax(0)
    iou = (matching * ious).sum(0)[positive]
    return Assignment(foreground, gt_index, iou)


def encode_l1_target(gt: torch.Tensor, cells: torch.Tensor, strides: torch.Tensor) -> torch.Tensor:
    """Ground truth (cx, cy, w, h) in the raw output's units: cell offset and log size per stride."""
    return torch.cat([gt[:, :2] / strides - cells, torch.log(gt[:, 2:4] / strides + 1e-8)], -1)


def yolox_loss(raw: torch.Tensor, targets: List[torch.Tensor], cells: torch.Tensor, strides: torch.Tensor,
               num_classes: int, use_l1: bool = False) -> Tuple[torch.Tensor, dict]:
    """raw [N, A, 5 + C] from YOLOX.forward; targets: per image [G, 5] (class, cx, cy, w, h) in pixels."""
    boxes = decode_boxes(raw[..., :4], cells, strides)
    centres = (cells + 0.5) * strides
    obj_targets = torch.zeros_like(raw[..., 4])
    iou_terms, cls_terms, l1_terms = [], [], []
    num_fg = 0
    for i, target in enumerate(targets):
        if len(target) == 0:
            continue
        gt_classes, gt_boxes = target[:, 0], target[:, 1:5]
        assign = simota(boxes[i].detach(), raw[i, :, 4:5].detach(), raw[i, :, 5:].detach(), gt_boxes,
                        gt_classes, centres, strides, num_classes)
        fg = assign.foreground
        if not fg.any():
            continue
        num_fg += int(fg.sum())
        obj_targets[i, fg] = 1.0
        matched = gt_boxes[assign.gt_index]
        iou_terms.append(1.0 - matched_iou(boxes[i, fg], matched) ** 2)
        cls_target = F.one_hot(gt_classes[assign.gt_index].long(), num_classes).float() * assign.iou[:, None]
        cls_terms.append(F.binary_cross_entropy_with_logits(raw[i, fg, 5:], cls_target, reduction="none").sum(-1))
        if use_l1:
            l1_target = encode_l1_target(matched, cells[fg], strides[fg])
            l1_terms.append((raw[i, fg, :4] - l1_target).abs().sum(-1))
    denom = max(num_fg, 1)
    loss_obj = F.binary_cross_entropy_with_logits(raw[..., 4], obj_targets, reduction="sum") / denom
    zero = raw.sum() * 0.0
    loss_iou = torch.cat(iou_terms).sum() / denom if iou_terms else zero
    loss_cls = torch.cat(cls_terms).sum() / denom if cls_terms else zero
    loss_l1 = torch.cat(l1_terms).sum() / denom if l1_terms else zero
    total = IOU_LOSS_WEIGHT * loss_iou + loss_obj + loss_cls + loss_l1
    parts = {name: float(value.detach()) for name, value in
             (("iou", loss_iou), ("obj", loss_obj), ("cls", loss_cls), ("l1", loss_l1))}
    parts["fg"] = num_fg
    return total, parts
