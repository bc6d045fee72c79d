"""Find the ONNX models shipped with the plugin.

Model files are named models/building_segmentation*.onnx and models/building_detection*.onnx.
The installed plugin keeps them in <plugin>/models; a source checkout keeps them in
<repository>/models, next to this package.
"""
import glob
import os
import re
from typing import List, Optional

SEGMENTATION = "building_segmentation"
DETECTION = "building_detection"

_PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
MODEL_DIRS = [os.path.join(_PLUGIN_DIR, "models"), os.path.join(os.path.dirname(_PLUGIN_DIR), "models")]


def _natural_key(path: str) -> List:
    # "..._v10.onnx" sorts after "..._v9.onnx".
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", os.path.basename(path))]


def shipped_model(kind: str) -> Optional[str]:
    """Path of the shipped model of this kind (SEGMENTATION or DETECTION), or None.

    With several versions in one folder, the highest-numbered name wins.
    """
    for folder in MODEL_DIRS:
        candidates = glob.glob(os.path.join(folder, kind + "*.onnx"))
        if candidates:
            return max(candidates, key=_natural_key)
    return None
