"""ONNX steps shared by the model exports: metadata and int8 static QDQ quantization."""
import os
from typing import Dict, List, Optional, Sequence

import numpy as np
import onnx


def set_metadata(path: str, meta: Dict[str, str]) -> None:
    """Replace the model's metadata_props (what the plugin reads) with `meta`."""
    model = onnx.load(path)
    del model.metadata_props[:]
    for key, value in meta.items():
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, path)


def read_metadata(path: str) -> Dict[str, str]:
    """The model's metadata_props as a dict (what the plugin reads)."""
    return {p.key: p.value for p in onnx.load(path, load_external_data=False).metadata_props}


def with_metadata(path: str, output: str, changes: Dict[str, Optional[str]]) -> None:
    """Write the model at path to output with metadata keys set to new values (None: key removed), others kept."""
    model = onnx.load(path)
    kept = [(p.key, p.value) for p in model.metadata_props if p.key not in changes]
    del model.metadata_props[:]
    for key, value in kept + [(k, v) for k, v in changes.items() if v is not None]:
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, output)


def quantize_int8(fp32_path: str, path: str, tiles: List[np.ndarray], input_name: str,
                  op_types: Optional[Sequence[str]] = None, nodes_to_exclude: Sequence[str] = ()) -> None:
    """Static QDQ int8 (per-channel weights), calibrated on real, standardised tiles; nodes_to_exclude stay float."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(tiles)

        def get_next(self):
            tile = next(self.it, None)
            return None if tile is None else {input_name: tile}

    prepared = path + ".prep.onnx"
    quant_pre_process(fp32_path, prepared, skip_symbolic_shape=True)
    try:
        quantize_static(prepared, path, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        op_types_to_quantize=list(op_types) if op_types else None,
                        nodes_to_exclude=list(nodes_to_exclude))
    finally:
        os.remove(prepared)
