"""Tiny ONNX models generated with onnx.helper, for tests (no torch, no weights).

The "bright" segmentor says a pixel is a building when its normalized brightness
(the mean of the three standardized channels) is above ``threshold``:
``sigmoid(steepness * (mean - threshold))`` -- so a white square on black comes out
as a square of probability ~1, independent of the tile it falls in.
"""
import json
import math
from typing import Dict, Optional

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 8  # old enough for any onnxruntime we support

GSD_OUTPUT = "log_gsd"


def metadata(**overrides) -> Dict[str, str]:
    """Deepness-style metadata (JSON-encoded values); a value of None drops the key."""
    props = {
        "model_type": "Segmentor",
        "class_names": {0: "background", 1: "building"},
        "resolution": 30,
        "tile_size": 64,
        "tiles_overlap": 25,
        "seg_thresh": 0.5,
    }
    props.update(overrides)
    return {k: json.dumps(v) for k, v in props.items() if v is not None}


def _save(nodes, inputs, outputs, initializers, props: Dict[str, str], path) -> str:
    graph = helper.make_graph(nodes, "test_model", inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    helper.set_model_props(model, props)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return str(path)


def _const(name: str, value) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value, dtype=np.float32), name)


def bright_segmentor(path, props: Optional[Dict[str, str]] = None, gsd_m: Optional[float] = None,
                     channels: int = 3, steepness: float = 40.0, threshold: float = 0.5,
                     sigmoid: bool = True, poison: bool = False) -> str:
    """Write the bright-pixel segmentor to ``path``.

    gsd_m: add an output ``log_gsd`` [N, 1] that always says log(gsd_m) (and name it in the metadata).
    channels: the input's channel count (3 is valid; others test input validation).
    sigmoid: False leaves out the sigmoid, so the output holds logits (tests range checks).
    poison: multiply the output by NaN (tests NaN detection).
    """
    props = dict(props if props is not None else metadata())
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", channels, "H", "W"])
    mask = helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["N", 1, "H", "W"])
    initializers = [_const("threshold", threshold), _const("steepness", steepness)]
    nodes = [
        helper.make_node("ReduceMean", ["image"], ["brightness"], axes=[1], keepdims=1),
        helper.make_node("Sub", ["brightness", "threshold"], ["centred"]),
        helper.make_node("Mul", ["centred", "steepness"], ["logit" if sigmoid else "mask"]),
    ]
    if sigmoid:
        nodes.append(helper.make_node("Sigmoid", ["logit"], ["prob" if poison else "mask"]))
    if poison:
        initializers.append(_const("nan", np.nan))
        nodes.append(helper.make_node("Mul", ["prob", "nan"], ["mask"]))
    outputs = [mask]
    if gsd_m is not None:
        # A constant per image, but computed from the image so that it has the batch dimension.
        initializers += [_const("zero", 0.0), _const("log_value", math.log(gsd_m)),
                         numpy_helper.from_array(np.array([-1, 1], np.int64), "n_by_1")]
        nodes += [
            helper.make_node("ReduceMean", ["image"], ["image_mean"], axes=[1, 2, 3], keepdims=1),
            helper.make_node("Mul", ["image_mean", "zero"], ["zeros"]),
            helper.make_node("Add", ["zeros", "log_value"], ["log_gsd_4d"]),
            helper.make_node("Reshape", ["log_gsd_4d", "n_by_1"], [GSD_OUTPUT]),
        ]
        outputs.append(helper.make_tensor_value_info(GSD_OUTPUT, TensorProto.FLOAT, ["N", 1]))
        props.setdefault("gsd_output", json.dumps(GSD_OUTPUT))
    return _save(nodes, [image], outputs, initializers, props, path)
