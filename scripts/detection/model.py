"""YOLOX in plain torch: CSPDarknet backbone, PAFPN neck, decoupled anchor-free head (strides 8/16/32).

Written from the YOLOX report (Ge et al., 2021, arXiv:2107.08430): one prediction per grid
cell and level (anchor-free), a decoupled head (a 1x1 stem, then two 3x3 branches: one for
class scores, one for box regression + objectness), boxes as (offset of the centre from the
cell, log of the size) in units of the level's stride. Nano and Tiny scale depth and width
down; Nano uses depthwise-separable convolutions.
"""
import math
from dataclasses import dataclass
from typing import List, Tuple

import torch
import torch.nn.functional as F
from torch import nn

STRIDES = (8, 16, 32)
PRIOR_PROB = 0.01  # initial objectness/class probability: the focal-loss-style bias init


@dataclass(frozen=True)
class YoloxConfig:
    depth: float = 0.33
    width: float = 0.25
    depthwise: bool = True
    num_classes: int = 1
    # "cspdarknet" (YOLOX's own) or an ImageNet-pretrained encoder of scripts/segmentation/encoders.py,
    # e.g. "efficientnet_lite0", whose stride 8/16/32 features feed the same neck and head.
    backbone: str = "cspdarknet"

    @classmethod
    def preset(cls, name: str, num_classes: int = 1, backbone: str = "cspdarknet") -> "YoloxConfig":
        presets = {"nano": (0.33, 0.25, True), "tiny": (0.33, 0.375, False), "s": (0.33, 0.50, False)}
        depth, width, depthwise = presets[name]
        return cls(depth, width, depthwise, num_classes, backbone)

    def channels(self, base: int) -> int:
        return int(round(base * self.width))

    def blocks(self, base: int) -> int:
        return max(1, int(round(base * self.depth)))


class ConvBnAct(nn.Module):
    def __init__(self, cin: int, cout: int, k: int = 1, stride: int = 1, groups: int = 1, act: bool = True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU(inplace=True) if act else nn.Identity()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class SeparableConv(nn.Module):
    """Depthwise k x k, then pointwise 1 x 1 (each with BN + SiLU)."""

    def __init__(self, cin: int, cout: int, k: int = 3, stride: int = 1):
        super().__init__()
        self.depthwise = ConvBnAct(cin, cin, k, stride, groups=cin)
        self.pointwise = ConvBnAct(cin, cout, 1)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


def conv3(cin: int, cout: int, stride: int, depthwise: bool) -> nn.Module:
    return SeparableConv(cin, cout, 3, stride) if depthwise else ConvBnAct(cin, cout, 3, stride)


class Bottleneck(nn.Module):
    def __init__(self, channels: int, shortcut: bool, depthwise: bool):
        super().__init__()
        self.reduce = ConvBnAct(channels, channels, 1)
        self.spatial = conv3(channels, channels, 1, depthwise)
        self.shortcut = shortcut

    def forward(self, x):
        y = self.spatial(self.reduce(x))
        return x + y if self.shortcut else y


class CSPBlock(nn.Module):
    """Cross-stage partial block: half the channels go through n bottlenecks, half bypass; then fused."""

    def __init__(self, cin: int, cout: int, n: int, shortcut: bool = True, depthwise: bool = False):
        super().__init__()
        hidden = cout // 2
        self.main = ConvBnAct(cin, hidden, 1)
        self.bypass = ConvBnAct(cin, hidden, 1)
        self.blocks = nn.Sequential(*[Bottleneck(hidden, shortcut, depthwise) for _ in range(n)])
        self.fuse = ConvBnAct(2 * hidden, cout, 1)

    def forward(self, x):
        main, bypass = self.main(x), self.bypass(x)
        return self.fuse(torch.cat([self.blocks(main), bypass], dim=1))


class SpatialPyramidPooling(nn.Module):
    def __init__(self, cin: int, cout: int, kernels: Tuple[int, ...] = (5, 9, 13)):
        super().__init__()
        hidden = cin // 2
        self.reduce = ConvBnAct(cin, hidden, 1)
        self.pools = nn.ModuleList([nn.MaxPool2d(k, 1, k // 2) for k in kernels])
        self.fuse = ConvBnAct(hidden * (len(kernels) + 1), cout, 1)

    def forward(self, x):
        x = self.reduce(x)
        return self.fuse(torch.cat([x] + [pool(x) for pool in self.pools], dim=1))


class SpaceToDepthStem(nn.Module):
    """'Focus': every 2 x 2 pixel block becomes 12 channels, then a 3 x 3 convolution (stride 2 overall)."""

    def __init__(self, cout: int):
        super().__init__()
        self.conv = ConvBnAct(12, cout, 3)

    def forward(self, x):
        return self.conv(torch.cat([x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2], x[..., 1::2, 1::2]], 1))


class CSPDarknet(nn.Module):
    """Features at strides 8, 16, 32."""

    def __init__(self, cfg: YoloxConfig):
        super().__init__()
        c = [cfg.channels(64 * m) for m in (1, 2, 4, 8, 16)]
        dw = cfg.depthwise
        self.stem = SpaceToDepthStem(c[0])
        self.stage2 = nn.Sequential(conv3(c[0], c[1], 2, dw), CSPBlock(c[1], c[1], cfg.blocks(3), depthwise=dw))
        self.stage3 = nn.Sequential(conv3(c[1], c[2], 2, dw), CSPBlock(c[2], c[2], cfg.blocks(9), depthwise=dw))
        self.stage4 = nn.Sequential(conv3(c[2], c[3], 2, dw), CSPBlock(c[3], c[3], cfg.blocks(9), depthwise=dw))
        self.stage5 = nn.Sequential(conv3(c[3], c[4], 2, dw), SpatialPyramidPooling(c[4], c[4]),
                                    CSPBlock(c[4], c[4], cfg.blocks(3), shortcut=False, depthwise=dw))
        self.channels = (c[2], c[3], c[4])

    def forward(self, x):
        x = self.stage2(self.stem(x))
        p3 = self.stage3(x)
        p4 = self.stage4(p3)
        p5 = self.stage5(p4)
        return p3, p4, p5


class PretrainedBackbone(nn.Module):
    """An ImageNet-pretrained encoder's features at strides 8, 16 and 32 (of its 2..32)."""

    def __init__(self, name: str, pretrained: bool):
        super().__init__()
        from scripts.segmentation.encoders import build_encoder
        self.encoder = build_encoder(name, pretrained=pretrained)
        self.channels = tuple(self.encoder.channels[2:5])

    def forward(self, x):
        return tuple(self.encoder(x)[2:5])


def build_backbone(cfg: YoloxConfig, pretrained: bool) -> nn.Module:
    if cfg.backbone == "cspdarknet":
        return CSPDarknet(cfg)
    return PretrainedBackbone(cfg.backbone, pretrained)


class PAFPN(nn.Module):
    """Top-down (upsampling) then bottom-up (strided convolution) fusion of the three levels."""

    def __init__(self, cfg: YoloxConfig, channels: Tuple[int, int, int]):
        super().__init__()
        c3, c4, c5 = channels
        n, dw = cfg.blocks(3), cfg.depthwise
        self.lateral5 = ConvBnAct(c5, c4, 1)
        self.top_down4 = CSPBlock(2 * c4, c4, n, shortcut=False, depthwise=dw)
        self.lateral4 = ConvBnAct(c4, c3, 1)
        self.top_down3 = CSPBlock(2 * c3, c3, n, shortcut=False, depthwise=dw)
        self.down3 = conv3(c3, c3, 2, dw)
        self.bottom_up4 = CSPBlock(2 * c3, c4, n, shortcut=False, depthwise=dw)
        self.down4 = conv3(c4, c4, 2, dw)
        self.bottom_up5 = CSPBlock(2 * c4, c5, n, shortcut=False, depthwise=dw)

    def forward(self, feats):
        p3, p4, p5 = feats
        l5 = self.lateral5(p5)
        t4 = self.top_down4(torch.cat([F.interpolate(l5, size=p4.shape[-2:], mode="nearest"), p4], 1))
        l4 = self.lateral4(t4)
        out3 = self.top_down3(torch.cat([F.interpolate(l4, size=p3.shape[-2:], mode="nearest"), p3], 1))
        out4 = self.bottom_up4(torch.cat([self.down3(out3), l4], 1))
        out5 = self.bottom_up5(torch.cat([self.down4(out4), l5], 1))
        return out3, out4, out5


class DecoupledHead(nn.Module):
    """Per level: 1x1 stem; class branch (2 x 3x3) -> scores; box branch (2 x 3x3) -> 4 box + 1 objectness."""

    def __init__(self, cfg: YoloxConfig, channels: Tuple[int, int, int]):
        super().__init__()
        hidden = cfg.channels(256)
        dw = cfg.depthwise
        self.stems = nn.ModuleList([ConvBnAct(c, hidden, 1) for c in channels])
        self.cls_branches = nn.ModuleList([nn.Sequential(conv3(hidden, hidden, 1, dw), conv3(hidden, hidden, 1, dw))
                                           for _ in channels])
        self.box_branches = nn.ModuleList([nn.Sequential(conv3(hidden, hidden, 1, dw), conv3(hidden, hidden, 1, dw))
                                           for _ in channels])
        self.cls_preds = nn.ModuleList([nn.Conv2d(hidden, cfg.num_classes, 1) for _ in channels])
        self.box_preds = nn.ModuleList([nn.Conv2d(hidden, 4, 1) for _ in channels])
        self.obj_preds = nn.ModuleList([nn.Conv2d(hidden, 1, 1) for _ in channels])
        bias = -math.log((1 - PRIOR_PROB) / PRIOR_PROB)
        for conv in list(self.cls_preds) + list(self.obj_preds):
            nn.init.constant_(conv.bias, bias)

    def forward(self, feats) -> List[torch.Tensor]:
        """Per level [N, 5 + classes, h, w]: raw box (dx, dy, log w, log h), objectness logit, class logits."""
        outputs = []
        for i, x in enumerate(feats):
            # Execution order: class branch, then box branch (scripts/detection/seed.py relies on it).
            x = self.stems[i](x)
            cls = self.cls_preds[i](self.cls_branches[i](x))
            box_feat = self.box_branches[i](x)
            outputs.append(torch.cat([self.box_preds[i](box_feat), self.obj_preds[i](box_feat), cls], 1))
        return outputs


class YOLOX(nn.Module):
    def __init__(self, cfg: YoloxConfig = YoloxConfig(), pretrained: bool = False):
        """pretrained: load the ImageNet weights of a pretrained backbone (training from scratch
        or exporting a checkpoint leaves it False)."""
        super().__init__()
        self.cfg = cfg
        self.backbone = build_backbone(cfg, pretrained)
        self.neck = PAFPN(cfg, self.backbone.channels)
        self.head = DecoupledHead(cfg, self.backbone.channels)

    def forward(self, x) -> torch.Tensor:
        """Raw predictions [N, anchors, 5 + classes], anchors of all levels, row-major per level."""
        return self.from_features(self.backbone(x))

    def from_features(self, feats) -> torch.Tensor:
        """Raw predictions from the backbone's features at strides 8, 16 and 32."""
        levels = self.head(self.neck(feats))
        return torch.cat([level.flatten(2).transpose(1, 2) for level in levels], 1)


def anchor_grid(height: int, width: int, device=None, dtype=torch.float32) -> Tuple[torch.Tensor, torch.Tensor]:
    """(cell xy [A, 2] in cells, stride [A, 1]) of every anchor for an input of height x width pixels."""
    cells, strides = [], []
    for stride in STRIDES:
        h, w = math.ceil(height / stride), math.ceil(width / stride)
        ys, xs = torch.meshgrid(torch.arange(h, device=device, dtype=dtype),
                                torch.arange(w, device=device, dtype=dtype), indexing="ij")
        cells.append(torch.stack([xs, ys], -1).reshape(-1, 2))
        strides.append(torch.full((h * w, 1), float(stride), device=device, dtype=dtype))
    return torch.cat(cells), torch.cat(strides)


def decode_boxes(raw: torch.Tensor, cells: torch.Tensor, strides: torch.Tensor) -> torch.Tensor:
    """Raw box [.., A, 4] -> (cx, cy, w, h) in input pixels."""
    xy = (raw[..., :2] + cells) * strides
    wh = torch.exp(raw[..., 2:4].clamp(max=12.0)) * strides
    return torch.cat([xy, wh], -1)


class ExportWrapper(nn.Module):
    """The graph the plugin runs: [N, 3, H, W] standardized -> [N, anchors, 5 + classes] decoded, in pixels.

    Box decoding (grid offsets, strides, exp) and the sigmoids are part of the graph; the anchor
    grid is computed from the input's size, so H and W stay dynamic (multiples of 32).
    """

    def __init__(self, model: YOLOX):
        super().__init__()
        self.model = model
        self.boxes = BoxDecoding()

    def forward(self, x):
        return self.boxes(self.model(x), x)


class BoxDecoding(nn.Module):
    """Raw predictions -> boxes in tile pixels with sigmoid scores, for an input x (its size sets the grid).
    A module of its own so that its nodes keep one name prefix in ONNX (int8 export leaves them in float)."""

    def forward(self, raw, x):
        parts_xy, parts_stride = [], []
        for stride in STRIDES:
            # Same rounding as the network's strided convolutions for multiples of 32.
            h = torch.div(x.shape[2] + stride - 1, stride, rounding_mode="floor")
            w = torch.div(x.shape[3] + stride - 1, stride, rounding_mode="floor")
            ys = torch.arange(h, dtype=x.dtype, device=x.device)
            xs = torch.arange(w, dtype=x.dtype, device=x.device)
            gy, gx = torch.meshgrid(ys, xs, indexing="ij")
            parts_xy.append(torch.stack([gx, gy], -1).reshape(-1, 2))
            parts_stride.append(torch.ones_like(gx).reshape(-1, 1) * stride)
        cells, strides = torch.cat(parts_xy), torch.cat(parts_stride)
        boxes = decode_boxes(raw[..., :4], cells, strides)
        return torch.cat([boxes, torch.sigmoid(raw[..., 4:])], -1)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
