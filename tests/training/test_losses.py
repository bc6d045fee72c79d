import math

import numpy as np
import torch

from scripts.segmentation.losses import (LossWeights, boundary_loss, dice_loss, focal_loss, gsd_loss,
                                         signed_distance, total_loss, edge_loss)


def _square(size=32):
    m = np.zeros((size, size), np.float32)
    m[8:24, 8:24] = 1
    return m


def _logits(mask, confidence=8.0):
    return torch.from_numpy((mask * 2 - 1) * confidence)[None, None]


def test_dice_and_focal_are_near_zero_for_a_confident_correct_prediction():
    m = _square()
    target, weight = torch.from_numpy(m)[None, None], torch.ones(1, 1, 32, 32)
    assert dice_loss(_logits(m), target, weight) < 0.01
    assert focal_loss(_logits(m), target, weight) < 1e-4
    assert dice_loss(_logits(1 - m), target, weight) > 0.9


def test_ignored_pixels_do_not_count():
    m = _square()
    wrong = m.copy()
    wrong[:8] = 1  # wrong only in the top rows
    target = torch.from_numpy(m)[None, None]
    weight = torch.ones(1, 1, 32, 32)
    weight[..., :8, :] = 0
    assert focal_loss(_logits(wrong), target, weight) < 1e-4
    assert dice_loss(_logits(wrong), target, weight) < 0.01


def test_boundary_loss_prefers_the_true_outline():
    m = _square()
    sdf = torch.from_numpy(signed_distance(m))[None, None]
    weight = torch.ones(1, 1, 32, 32)
    dilated = np.zeros_like(m)
    dilated[4:28, 4:28] = 1
    assert boundary_loss(_logits(m), sdf, weight) < boundary_loss(_logits(dilated), sdf, weight)
    assert signed_distance(m)[16, 16] < 0 < signed_distance(m)[0, 0]


def test_gsd_loss_is_relative_and_skips_unknown():
    pred = torch.tensor([math.log(0.11), math.log(1.1), 5.0])
    true = torch.tensor([math.log(0.1), math.log(1.0), 0.0])
    known = torch.tensor([True, True, False])
    both = gsd_loss(pred, true, known)
    first = gsd_loss(pred[:1], true[:1], known[:1])
    assert torch.isclose(both, first, atol=1e-6)  # 10 % error costs the same at 0.1 m and at 1 m
    assert gsd_loss(pred, true, torch.tensor([False] * 3)) == 0


def test_total_loss_backpropagates_through_all_three_heads():
    m = _square()
    logits = torch.cat([_logits(m, 0.1), torch.zeros(1, 1, 32, 32)], dim=1).requires_grad_(True)
    log_gsd = torch.zeros(1, 1, requires_grad=True)
    batch = {"mask": torch.from_numpy(m)[None, None], "weight": torch.ones(1, 1, 32, 32),
             "sdf": torch.from_numpy(signed_distance(m))[None, None], "log_gsd": torch.tensor([math.log(0.3)]),
             "gsd_known": torch.tensor([True]), "seg_scale": torch.tensor([1.0]),
             "edge": torch.zeros(1, 1, 32, 32), "edge_weight": torch.ones(1, 1, 32, 32)}
    loss, parts = total_loss(logits, log_gsd, batch, LossWeights())
    loss.backward()
    assert logits.grad[:, 0].abs().sum() > 0 and logits.grad[:, 1].abs().sum() > 0 and log_gsd.grad.abs().sum() > 0
    assert set(parts) == {"dice", "focal", "boundary", "gsd", "edge"}


def test_edge_loss_ignores_pixels_of_weight_zero():
    logits = torch.full((1, 1, 4, 4), 5.0)
    target = torch.zeros(1, 1, 4, 4)
    weight = torch.zeros(1, 1, 4, 4)
    assert edge_loss(logits, target, weight, 3.0) == 0
    weight[0, 0, 0, 0] = 1
    assert edge_loss(logits, target, weight, 3.0) > 4
