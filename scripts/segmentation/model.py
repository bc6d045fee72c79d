"""UNet with a ResNet encoder, an ASPP bottleneck and a GSD regression head, in plain torch.

Plain torch on purpose: torchvision/timm/smp wheels reachable here do not import beside the CPU
torch, and ResNet is small enough to write down. The encoder is trained from scratch (no ImageNet
weights exist on these machines).
"""
from dataclasses import dataclass
from typing import List, Tuple

import torch
import torch.nn.functional as F
from torch import nn

RESNET_LAYERS = {"resnet18": (2, 2, 2, 2), "resnet34": (3, 4, 6, 3)}


@dataclass(frozen=True)
class SegModelConfig:
    encoder: str = "resnet34"
    width: int = 64                          # channels of the first ResNet stage
    aspp_channels: int = 128
    # At 512 px the bottleneck is 16x16: rates beyond ~8 would sample mostly padding.
    aspp_rates: Tuple[int, ...] = (2, 4, 6)
    decoder_channels: Tuple[int, ...] = (128, 64, 48, 32, 16)


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)), inplace=True)
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x), inplace=True)


class ResNetEncoder(nn.Module):
    """Returns features at strides 2, 4, 8, 16 and 32."""

    def __init__(self, layers: Tuple[int, ...], width: int):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 7, 2, 3, bias=False), nn.BatchNorm2d(width),
                                  nn.ReLU(inplace=True))
        self.pool = nn.MaxPool2d(3, 2, 1)
        widths = [width, width * 2, width * 4, width * 8]
        stages, cin = [], width
        for i, (n_blocks, cout) in enumerate(zip(layers, widths)):
            stride = 1 if i == 0 else 2
            blocks = [BasicBlock(cin, cout, stride)] + [BasicBlock(cout, cout, 1) for _ in range(n_blocks - 1)]
            stages.append(nn.Sequential(*blocks))
            cin = cout
        self.stages = nn.ModuleList(stages)
        self.channels = [width] + widths

    def forward(self, x) -> List[torch.Tensor]:
        feats = [self.stem(x)]
        y = self.pool(feats[0])
        for stage in self.stages:
            y = stage(y)
            feats.append(y)
        return feats


def conv_bn_relu(cin: int, cout: int, k: int = 3, dilation: int = 1) -> nn.Sequential:
    pad = dilation * (k // 2)
    return nn.Sequential(nn.Conv2d(cin, cout, k, 1, pad, dilation=dilation, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class ASPP(nn.Module):
    def __init__(self, cin: int, cout: int, rates: Tuple[int, ...]):
        super().__init__()
        self.branches = nn.ModuleList([conv_bn_relu(cin, cout, 1)] +
                                      [conv_bn_relu(cin, cout, 3, r) for r in rates])
        self.image_pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(cin, cout, 1, bias=False), nn.ReLU(inplace=True))
        self.project = conv_bn_relu(cout * (len(rates) + 2), cout, 1)

    def forward(self, x):
        pooled = self.image_pool(x).expand(-1, -1, x.shape[2], x.shape[3])
        return self.project(torch.cat([b(x) for b in self.branches] + [pooled], dim=1))


class DecoderBlock(nn.Module):
    def __init__(self, cin: int, cskip: int, cout: int):
        super().__init__()
        self.block = nn.Sequential(conv_bn_relu(cin + cskip, cout), conv_bn_relu(cout, cout))

    def forward(self, x, skip=None):
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        if skip is not None:
            x = torch.cat([x, skip], dim=1)
        return self.block(x)


class UNetResNetASPP(nn.Module):
    """Outputs (building logits [N,1,H,W], log GSD in m/px [N,1])."""

    def __init__(self, config: SegModelConfig = SegModelConfig()):
        super().__init__()
        self.config = config
        self.encoder = ResNetEncoder(RESNET_LAYERS[config.encoder], config.width)
        ch = self.encoder.channels  # strides 2, 4, 8, 16, 32
        self.aspp = ASPP(ch[4], config.aspp_channels, config.aspp_rates)
        skips = [ch[3], ch[2], ch[1], ch[0], 0]
        blocks, cin = [], config.aspp_channels
        for cskip, cout in zip(skips, config.decoder_channels):
            blocks.append(DecoderBlock(cin, cskip, cout))
            cin = cout
        self.decoder = nn.ModuleList(blocks)
        self.seg_head = nn.Conv2d(cin, 1, 1)
        self.gsd_head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(ch[4], 128),
                                      nn.ReLU(inplace=True), nn.Linear(128, 1))

    def forward(self, x):
        feats = self.encoder(x)
        y = self.aspp(feats[4])
        skips = [feats[3], feats[2], feats[1], feats[0], None]
        for block, skip in zip(self.decoder, skips):
            y = block(y, skip)
        return self.seg_head(y), self.gsd_head(feats[4])


class ExportWrapper(nn.Module):
    """What goes into ONNX: probabilities instead of logits, normalisation left to the runner."""

    def __init__(self, model: UNetResNetASPP):
        super().__init__()
        self.model = model

    def forward(self, x):
        logits, log_gsd = self.model(x)
        return torch.sigmoid(logits), log_gsd
