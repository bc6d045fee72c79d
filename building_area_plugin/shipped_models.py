"""Find the ONNX models shipped with the plugin.

Model files are named models/building_segmentation*.onnx and models/building_detection*.onnx.
The installed plugin keeps them in <plugin>/models; a source checkout keeps them in
<repository>/models, next to this package. Each models folder lists the SHA-256 of its models
in SHA256SUMS (scripts/update_checksums.py writes it); a model inside such a folder runs only
if it matches. A model the user keeps elsewhere is not checksummed.
"""
import glob
import os
import re
from typing import List, Optional

from .core.checksums import CHECKSUM_FILE

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


def checksum_list(model_path: str) -> Optional[str]:
    """The SHA256SUMS a model must match: that of the models folder it lies in; None outside those folders."""
    folder = os.path.dirname(os.path.realpath(model_path))
    for models in MODEL_DIRS:
        if os.path.realpath(models) == folder:
            return os.path.join(models, CHECKSUM_FILE)
    return None
