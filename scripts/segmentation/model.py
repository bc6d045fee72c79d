"""UNet with an ASPP bottleneck, a building/edge head and a GSD regression head.

Plain torch on purpose: torchvision/timm/smp wheels reachable here do not import beside the CPU
torch. The encoder (encoders.py) is an ImageNet-pretrained EfficientNet-Lite or a ResNet.
"""
from dataclasses import dataclass
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .encoders import build_encoder

OUTPUTS = ("building", "edge")


@dataclass(frozen=True)
class SegModelConfig:
    encoder: str = "efficientnet_lite0"
    width: int = 64                          # channels of the first ResNet stage (ResNet only)
    aspp_channels: int = 128
    # At 512 px the bottleneck is 16x16: rates beyond ~8 would sample mostly padding.
    aspp_rates: Tuple[int, ...] = (2, 4, 6)
    decoder_channels: Tuple[int, ...] = (128, 64, 48, 32, 16)
    # building: roof pixels; edge: a 2-px band around every building outline, including the
    # line where two buildings touch, which is what lets one blob be split into buildings.
    outputs: Tuple[str, ...] = OUTPUTS


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


class UNetASPP(nn.Module):
    """Outputs (logits [N, len(outputs), H, W], log GSD in m/px [N,1])."""

    def __init__(self, config: SegModelConfig = SegModelConfig(), pretrained: bool = False,
                 init: Optional[str] = None):
        super().__init__()
        self.config = config
        self.encoder = build_encoder(config.encoder, config.width, pretrained, init)
        ch = self.encoder.channels  # strides 2, 4, 8, 16, 32
        self.aspp = ASPP(ch[4], config.aspp_channels, config.aspp_rates)
        skips = [ch[3], ch[2], ch[1], ch[0], 0]
        blocks, cin = [], config.aspp_channels
        for cskip, cout in zip(skips, config.decoder_channels):
            blocks.append(DecoderBlock(cin, cskip, cout))
            cin = cout
        self.decoder = nn.ModuleList(blocks)
        self.seg_head = nn.Conv2d(cin, len(config.outputs), 1)
        self.gsd_head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(ch[4], 128),
                                      nn.ReLU(inplace=True), nn.Linear(128, 1))

    def forward(self, x):
        return self.from_features(self.encoder(x))

    def from_features(self, feats):
        """The heads on the encoder's features (strides 2..32): (logits, log GSD)."""
        y = self.aspp(feats[4])
        skips = [feats[3], feats[2], feats[1], feats[0], None]
        for block, skip in zip(self.decoder, skips):
            y = block(y, skip)
        return self.seg_head(y), self.gsd_head(feats[4])


def load_trained(ckpt: dict) -> "UNetASPP":
    """The network a training checkpoint holds, in eval mode (its config's lists read back as tuples)."""
    config = SegModelConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in ckpt["config"].items()})
    model = UNetASPP(config)
    model.load_state_dict(ckpt["model"])
    return model.eval()


class ExportWrapper(nn.Module):
    """What goes into ONNX: probabilities instead of logits, normalisation left to the runner.

    Outputs (building probability [N,1,H,W], log GSD [N,1], edge probability [N,1,H,W]): one output
    per meaning, so a plugin that knows only the building output still finds exactly one."""

    def __init__(self, model: UNetASPP):
        super().__init__()
        self.model = model

    def forward(self, x):
        return exported_outputs(*self.model(x))


def exported_outputs(logits, log_gsd):
    """(building probability, log GSD[, edge probability]) from the model's logits and log GSD."""
    prob = torch.sigmoid(logits)
    if prob.shape[1] == 1:
        return prob, log_gsd
    return prob[:, 0:1], log_gsd, prob[:, 1:2]
