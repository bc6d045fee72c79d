"""Tiny ONNX models generated with onnx.helper, for tests (no torch, no weights).

The "bright" segmentor says a pixel is a building when its normalized brightness
(the mean of the three standardized channels) is above ``threshold``:
``sigmoid(steepness * (mean - threshold))`` -- so a white square on black comes out
as a square of probability ~1, independent of the tile it falls in.
"""
import json
import math
import os
from typing import Dict, Optional

import numpy as np
import onnx
import onnx.compose
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
                     sigmoid: bool = True, poison: bool = False, side: Optional[int] = None,
                     context_px: int = 0, edge: bool = False) -> str:
    """Write the bright-pixel segmentor to ``path``.

    gsd_m: add an output ``log_gsd`` [N, 1] that always says log(gsd_m) (and name it in the metadata).
    channels: the input's channel count (3 is valid; others test input validation).
    sigmoid: False leaves out the sigmoid, so the output holds logits (tests range checks).
    poison: multiply the output by NaN (tests NaN detection).
    side: a fixed input height and width instead of dynamic ones (tests tile_size checks).
    context_px: average the brightness over a window this wide, zero-padded at the tile's edges, so that
        overlapping tiles disagree near their edges as a real network's do (tests blending).
    edge: add an output ``edge`` [N, 1, H, W], named in the metadata as ``edge_output`` as the
        segmentation models with an edge head have: the pixels dark in green are edges,
        ``sigmoid(steepness * (threshold - green))``. So a magenta (255, 0, 255) line between two
        white roofs is a wall: building (mean brightness 0.67) and edge at once.
    """
    props = dict(props if props is not None else metadata())
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", channels, side or "H", side or "W"])
    mask = helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["N", 1, "H", "W"])
    initializers = [_const("threshold", threshold), _const("steepness", steepness)]
    nodes = [
        helper.make_node("ReduceMean", ["image"], ["brightness" if not context_px else "pixel_brightness"],
                         axes=[1], keepdims=1),
    ]
    if context_px:
        pad = context_px // 2
        nodes.append(helper.make_node("AveragePool", ["pixel_brightness"], ["brightness"], count_include_pad=1,
                                      kernel_shape=[context_px, context_px], pads=[pad] * 4, strides=[1, 1]))
    nodes += [
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
    if edge:
        initializers.append(numpy_helper.from_array(np.array([1], np.int64), "green_channel"))
        nodes += [
            helper.make_node("Gather", ["image", "green_channel"], ["green"], axis=1),
            helper.make_node("Sub", ["threshold", "green"], ["darkness"]),
            helper.make_node("Mul", ["darkness", "steepness"], ["edge_logit"]),
            helper.make_node("Sigmoid", ["edge_logit"], ["edge"]),
        ]
        outputs.append(helper.make_tensor_value_info("edge", TensorProto.FLOAT, ["N", 1, "H", "W"]))
        props.setdefault("edge_output", json.dumps("edge"))
    return _save(nodes, [image], outputs, initializers, props, path)


def detector_metadata(**overrides) -> Dict[str, str]:
    """Detector metadata: 30 cm/px, 64 px tiles with 25 % overlap, one class."""
    props = {"model_type": "Detector", "class_names": ["building"], "resolution": 30, "tile_size": 64,
             "tiles_overlap": 25, "det_conf": 0.3, "det_iou_thresh": 0.5}
    props.update(overrides)
    return {k: json.dumps(v) for k, v in props.items() if v is not None}


def channel_blob_detector(path, props: Optional[Dict[str, str]] = None, channels=(0, 2),
                          score: float = 0.9) -> str:
    """A detector with one box per channel in ``channels``: the bounding box of that channel's bright pixels.

    Output [N, len(channels), 6]: cx, cy, w, h (tile pixels), objectness (``score`` where the
    channel has a pixel > 0.5 after standardization, else 0) and one class score of 1. So a
    square bright in red only and one bright in blue only give one exact box each, and a
    square cut by a tile edge gives the box of its visible part, as a real detector would.
    """
    props = dict(props if props is not None else detector_metadata())
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, "H", "W"])
    boxes = helper.make_tensor_value_info("boxes", TensorProto.FLOAT, ["N", len(channels), 6])
    initializers = [numpy_helper.from_array(np.asarray(channels, np.int64), "channels"),
                    _const("half", 0.5), _const("one", 1.0), _const("zero", 0.0), _const("score", score),
                    numpy_helper.from_array(np.array(2, np.int64), "axis2"),
                    numpy_helper.from_array(np.array([-1], np.int64), "last")]
    nodes = [
        helper.make_node("Gather", ["image", "channels"], ["picked"], axis=1),      # [N, C, H, W]
        helper.make_node("Greater", ["picked", "half"], ["bright_bool"]),
        helper.make_node("Cast", ["bright_bool"], ["bright"], to=TensorProto.FLOAT),
        helper.make_node("ReduceMax", ["bright"], ["cols"], axes=[2], keepdims=0),  # [N, C, W]
        helper.make_node("ReduceMax", ["bright"], ["rows"], axes=[3], keepdims=0),  # [N, C, H]
    ]
    for axis_name, any_name in (("x", "cols"), ("y", "rows")):
        nodes += [
            # Index + 1 of every column (row): a cumulative sum of ones; n = their count.
            helper.make_node("Mul", [any_name, "zero"], [f"{axis_name}_zeros"]),
            helper.make_node("Add", [f"{axis_name}_zeros", "one"], [f"{axis_name}_ones"]),
            helper.make_node("CumSum", [f"{axis_name}_ones", "axis2"], [f"{axis_name}_index1"]),
            helper.make_node("ReduceSum", [f"{axis_name}_ones", "last"], [f"{axis_name}_n"], keepdims=0),
            helper.make_node("Mul", [any_name, f"{axis_name}_index1"], [f"{axis_name}_hi_all"]),
            helper.make_node("ReduceMax", [f"{axis_name}_hi_all"], [f"{axis_name}1"], axes=[2], keepdims=0),
            helper.make_node("Unsqueeze", [f"{axis_name}_n", "last"], [f"{axis_name}_n1"]),
            helper.make_node("Add", [f"{axis_name}_n1", "one"], [f"{axis_name}_n_plus"]),
            helper.make_node("Sub", [f"{axis_name}_n_plus", f"{axis_name}_index1"], [f"{axis_name}_rev"]),
            helper.make_node("Mul", [any_name, f"{axis_name}_rev"], [f"{axis_name}_lo_all"]),
            helper.make_node("ReduceMax", [f"{axis_name}_lo_all"], [f"{axis_name}_lo_rev"], axes=[2], keepdims=0),
            helper.make_node("ReduceMax", [f"{axis_name}_n1"], [f"{axis_name}_n_c"], axes=[2], keepdims=0),
            helper.make_node("Sub", [f"{axis_name}_n_c", f"{axis_name}_lo_rev"], [f"{axis_name}0"]),
            helper.make_node("Add", [f"{axis_name}0", f"{axis_name}1"], [f"{axis_name}_sum"]),
            helper.make_node("Mul", [f"{axis_name}_sum", "half"], [f"c{axis_name}"]),
            helper.make_node("Sub", [f"{axis_name}1", f"{axis_name}0"], [f"size_{axis_name}"]),
        ]
    nodes += [
        helper.make_node("ReduceMax", ["cols"], ["present"], axes=[2], keepdims=0),    # [N, C]
        helper.make_node("Mul", ["present", "score"], ["obj"]),
        helper.make_node("Mul", ["present", "zero"], ["present_zeros"]),
        helper.make_node("Add", ["present_zeros", "one"], ["cls"]),
    ]
    columns = ["cx", "cy", "size_x", "size_y", "obj", "cls"]
    nodes += [helper.make_node("Unsqueeze", [c, "last"], [c + "_col"]) for c in columns]
    nodes.append(helper.make_node("Concat", [c + "_col" for c in columns], ["boxes"], axis=2))
    return _save(nodes, [image], [boxes], initializers, props, path)


def detecting_segmentor(path, props: Optional[Dict[str, str]] = None, **segmentor_options) -> str:
    """The bright segmentor and the channel-blob detector in one graph: one run gives the probability and
    the boxes (output ``boxes``, named in the metadata as ``detection_output``), as a network with a
    segmentation and a YOLOX head on one encoder does."""
    props = dict(props if props is not None else metadata(detection_output="boxes", det_conf=0.3,
                                                          det_iou_thresh=0.5))
    segmentor = onnx.load(bright_segmentor(path, props, **segmentor_options))
    detector_path = f"{path}.boxes.onnx"
    detector = onnx.compose.add_prefix(onnx.load(channel_blob_detector(detector_path)), "det_")
    os.remove(detector_path)
    for node in detector.graph.node:  # the detector reads the segmentor's input
        node.input[:] = ["image" if name == "det_image" else name for name in node.input]
        node.output[:] = ["boxes" if name == "det_boxes" else name for name in node.output]
    [boxes] = detector.graph.output
    boxes.name = "boxes"
    graph = segmentor.graph
    graph.node.extend(detector.graph.node)
    graph.initializer.extend(detector.graph.initializer)
    graph.output.append(boxes)
    onnx.checker.check_model(segmentor)
    onnx.save(segmentor, str(path))
    return str(path)


def reshaping_segmentor(path, side: int) -> str:
    """A segmentor that declares dynamic input sizes but reshapes its input to side x side px inside:
    it fails at run time on any other tile size (the mismatch only shows when it runs)."""
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, "H", "W"])
    mask = helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["N", 1, "H", "W"])
    shape = numpy_helper.from_array(np.array([-1, 3, side, side], np.int64), "fixed_shape")
    nodes = [
        helper.make_node("Reshape", ["image", "fixed_shape"], ["fixed"]),
        helper.make_node("ReduceMean", ["fixed"], ["brightness"], axes=[1], keepdims=1),
        helper.make_node("Sigmoid", ["brightness"], ["mask"]),
    ]
    return _save(nodes, [image], [mask], [shape], metadata(), path)
