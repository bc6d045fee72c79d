"""Encoders: ImageNet weights load strictly (every tensor used, none missing, none mis-shaped)."""
import pytest
import torch

from scripts.segmentation.encoders import (EFFICIENTNET_LITE, ResNetEncoder, build_encoder, efficientnet_lite_weights,
                                           load_efficientnet_lite, load_torchvision_resnet)
from scripts.segmentation.model import SegModelConfig, UNetASPP

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("name", EFFICIENTNET_LITE)
def test_efficientnet_lite_features_equal_the_package_model_with_the_same_weights(name):
    from efficientnet_lite_pytorch import EfficientNet
    reference = EfficientNet.from_name(name.replace("_", "-"))
    reference.load_state_dict(efficientnet_lite_weights(name), strict=True)
    encoder = build_encoder(name, pretrained=True).eval()
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        feats = encoder(x)
        y = reference.eval()._swish(reference._bn0(reference._conv_stem(x)))
        for block in reference._blocks:
            y = block(y)
    assert [f.shape[-1] for f in feats] == [48, 24, 12, 6, 3]
    assert [f.shape[1] for f in feats] == encoder.channels
    torch.testing.assert_close(feats[-1], y)


def test_efficientnet_lite_weights_really_change_the_encoder():
    random_init = build_encoder("efficientnet_lite0", pretrained=False)
    pretrained = build_encoder("efficientnet_lite0", pretrained=True)
    key = "_blocks.3._depthwise_conv.weight"
    assert not torch.equal(random_init.state_dict()[key], pretrained.state_dict()[key])


@pytest.mark.parametrize("problem", ["missing", "unused", "mis-shaped"])
def test_efficientnet_lite_loading_fails_on_any_tensor_that_does_not_fit(problem):
    state = dict(efficientnet_lite_weights("efficientnet_lite0"))
    if problem == "missing":
        del state["_blocks.5._project_conv.weight"]
    elif problem == "unused":
        state["_blocks.99._bn0.weight"] = torch.ones(4)
    else:
        state["_bn0.weight"] = torch.ones(7)
    with pytest.raises(ValueError, match=f"{problem} \\['"):
        load_efficientnet_lite(build_encoder("efficientnet_lite0"), state)


def torchvision_layout(encoder: ResNetEncoder):
    """The state dict a torchvision ResNet of the same shape would have (names only differ)."""
    state = {}
    for key, value in encoder.state_dict().items():
        if key.startswith("stem.0."):
            state["conv1." + key[7:]] = value.clone() + 1
        elif key.startswith("stem.1."):
            state["bn1." + key[7:]] = value.clone() + 1
        else:
            _, stage, block, rest = key.split(".", 3)
            state[f"layer{int(stage) + 1}.{block}.{rest.replace('shortcut.', 'downsample.')}"] = value.clone() + 1
    state["fc.weight"], state["fc.bias"] = torch.zeros(1000, 512), torch.zeros(1000)
    return state


def test_a_torchvision_resnet_state_dict_fills_every_encoder_tensor(tmp_path):
    state = torchvision_layout(ResNetEncoder((2, 2, 2, 2), 64))
    path = tmp_path / "resnet18.pth"
    torch.save(state, path)
    model = UNetASPP(SegModelConfig(encoder="resnet18"), init=str(path))
    torch.testing.assert_close(model.encoder.state_dict()["stages.2.0.shortcut.1.running_var"],
                               state["layer3.0.downsample.1.running_var"])


def test_a_resnet_state_dict_of_another_depth_is_refused():
    state = torchvision_layout(ResNetEncoder((3, 4, 6, 3), 64))
    with pytest.raises(ValueError, match="unused"):
        load_torchvision_resnet(ResNetEncoder((2, 2, 2, 2), 64), state)
