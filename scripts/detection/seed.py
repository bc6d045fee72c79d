"""Initialise a YOLOX from a BatchNorm-fused ONNX (optional): the COCO-trained Nano in ../shared/weights,
or a detector this project exported itself (to continue training a shipped model).

The ONNX graph's convolutions, in graph order, are matched one to one with this model's
convolutions in execution order (shapes must agree). Each fused convolution (weight, bias)
becomes our convolution's weight and its BatchNorm an identity plus that bias. The COCO
model reads BGR 0..255; the first convolution is rescaled so that it reads our standardized
RGB input instead. Our own exports (their metadata names their standardization) already read
it. The 80-class scores are not used for a model with other classes (their layers keep their
initialisation). Whether the COCO seed helps over training from scratch is measured in models/README.md.

An identity BatchNorm is exact in eval mode only: in training mode it normalizes each batch, which
would rescale every layer at the first step. fit_batchnorm_to_data gives each BatchNorm the statistics
of its input on real images and the affine that undoes them, so that training starts from the
seed's own function.
"""
import json
from typing import List, Optional, Sequence, Tuple

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from scripts.onnx_tools import read_metadata

from .model import YOLOX, ConvBnAct


def execution_order(model: YOLOX, size: int = 64) -> List[nn.Conv2d]:
    """The model's convolutions in the order a forward pass runs them."""
    order: List[nn.Conv2d] = []
    hooks = [m.register_forward_hook(lambda mod, _i, _o: order.append(mod))
             for m in model.modules() if isinstance(m, nn.Conv2d)]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    model.train(was_training)
    for hook in hooks:
        hook.remove()
    return order


def own_standardization(path: str) -> Optional[Tuple[List[float], List[float]]]:
    """(mean, std) an ONNX exported by this project reads its input with; None for a foreign model."""
    props = read_metadata(path)
    if "standardization_mean" not in props:
        return None
    return json.loads(props["standardization_mean"]), json.loads(props["standardization_std"])


def onnx_convolutions(path: str):
    graph = onnx.load(path).graph
    init = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    # The exporter shares equal tensors: a second one is an Identity of the first.
    for node in graph.node:
        if node.op_type == "Identity" and node.input[0] in init:
            init[node.output[0]] = init[node.input[0]]
    convs = []
    for node in graph.node:
        if node.op_type == "Conv":
            weight = init[node.input[1]]
            bias = init[node.input[2]] if len(node.input) > 2 else np.zeros(weight.shape[0], np.float32)
            convs.append((weight, bias))
    return convs


def seed_from_onnx(model: YOLOX, path: str, mean: Sequence[float], std: Sequence[float]) -> int:
    """Load the fused ONNX weights into ``model``; returns the number of convolutions loaded."""
    ours = execution_order(model)
    theirs = onnx_convolutions(path)
    standardization = own_standardization(path)
    if standardization is not None and not np.allclose(standardization, [list(mean), list(std)], atol=1e-6):
        raise ValueError(f"{path} reads images standardized with mean/std {standardization}, this model with "
                         f"{list(mean)}/{list(std)}: continue it with the same backbone")
    if len(ours) != len(theirs):
        raise ValueError(f"{path} has {len(theirs)} convolutions, the model {len(ours)}: not the same architecture")
    bn_of = {m.conv: m.bn for m in model.modules() if isinstance(m, ConvBnAct)}
    loaded = 0
    for index, (conv, (weight, bias)) in enumerate(zip(ours, theirs)):
        if tuple(conv.weight.shape) != weight.shape:
            if conv.weight.shape[1:] == weight.shape[1:] and conv.bias is not None:
                continue  # a prediction layer with another number of classes keeps its initialisation
            raise ValueError(f"convolution {index}: {tuple(conv.weight.shape)} here, {weight.shape} in {path}")
        weight, bias = torch.from_numpy(weight.copy()), torch.from_numpy(bias.copy())
        if index == 0 and standardization is None:
            weight, bias = _read_standardized_rgb(weight, bias, mean, std)
        with torch.no_grad():
            conv.weight.copy_(weight)
            if conv in bn_of:
                bn = bn_of[conv]
                bn.weight.fill_(1.0)
                bn.bias.copy_(bias)
                bn.running_mean.zero_()
                bn.running_var.fill_(1.0 - bn.eps)  # (x - 0) / sqrt(var + eps) = x
            else:
                conv.bias.copy_(bias)
        loaded += 1
    return loaded


def _read_standardized_rgb(weight: torch.Tensor, bias: torch.Tensor, mean, std):
    """The stem convolution on 12 space-to-depth channels (4 slices x BGR 0..255) -> slices x standardized RGB.

    raw_bgr[c] = 255 * (x_rgb[2 - c] * std[2 - c] + mean[2 - c]).
    """
    w = weight.clone().reshape(weight.shape[0], 4, 3, *weight.shape[2:])[:, :, [2, 1, 0]]  # BGR -> RGB inputs
    scale = torch.tensor(std, dtype=w.dtype).reshape(1, 1, 3, 1, 1) * 255.0
    shift = torch.tensor(mean, dtype=w.dtype).reshape(1, 1, 3, 1, 1) * 255.0
    new_bias = bias + (w * shift).sum(dim=(1, 2, 3, 4))
    return (w * scale).reshape(weight.shape), new_bias


@torch.no_grad()
def fit_batchnorm_to_data(model: nn.Module, images: torch.Tensor) -> None:
    """Make every BatchNorm of a seeded model reproduce its eval-mode function in training mode too.

    Each BatchNorm gets its input's per-channel mean and variance on ``images`` as running statistics,
    and its affine is rescaled and shifted so that eval mode computes the same function as before; a
    training batch like ``images``, normalized by its own statistics, then gets the same values too.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    stats = {}

    def record(module, inputs, _output):
        x = inputs[0].transpose(0, 1).flatten(1)
        stats[module] = (x.mean(1), x.var(1, unbiased=False))

    hooks = [m.register_forward_hook(record) for m in norms]
    was_training = model.training
    model.eval()
    model(images)
    model.train(was_training)
    for hook in hooks:
        hook.remove()
    for bn in norms:
        mean, var = stats[bn]
        old_scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        bn.bias.add_(old_scale * (mean - bn.running_mean))
        bn.weight.copy_(old_scale * torch.sqrt(var + bn.eps))
        bn.running_mean.copy_(mean)
        bn.running_var.copy_(var)
