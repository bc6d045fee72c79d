"""Find the ONNX models shipped with the plugin or downloaded for it.

Model files are named models/building_segmentation*.onnx and models/building_detection*.onnx.
The installed plugin keeps them in <plugin>/models; a source checkout keeps them in
<repository>/models, next to this package. Each models folder lists the SHA-256 of its models
in SHA256SUMS (scripts/update_checksums.py writes it); a model inside such a folder runs only
if it matches. A model the user keeps elsewhere is not checksummed.

The light plugin build has no model files, only models/manifest.json: its models are downloaded
into <QGIS profile>/building_area/models (the profile folder is QgsApplication.qgisSettingsDirPath(),
passed in by the QGIS side), looked for there after the plugin's own folders, and checked against
the manifest.
"""
import glob
import os
import re
from typing import List, Optional

from .core.checksums import CHECKSUM_FILE
from .core.manifest import MANIFEST_FILE, ModelEntry, read_manifest

SEGMENTATION = "building_segmentation"
DETECTION = "building_detection"

_PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
MODEL_DIRS = [os.path.join(_PLUGIN_DIR, "models"), os.path.join(os.path.dirname(_PLUGIN_DIR), "models")]
PROFILE_MODELS = os.path.join("building_area", "models")


def _natural_key(path: str) -> List:
    # "..._v10.onnx" sorts after "..._v9.onnx".
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", os.path.basename(path))]


def profile_models_dir(profile_dir: str) -> str:
    """Where downloaded models go in a QGIS profile folder."""
    return os.path.join(profile_dir, PROFILE_MODELS)


def manifest_path() -> Optional[str]:
    """The plugin's models/manifest.json, or None when no models folder has one."""
    for folder in MODEL_DIRS:
        path = os.path.join(folder, MANIFEST_FILE)
        if os.path.isfile(path):
            return path
    return None


def manifest_entry(kind: str) -> Optional[ModelEntry]:
    """The manifest's newest model of this kind, or None (no manifest, or none of this kind)."""
    path = manifest_path()
    entries = [entry for entry in read_manifest(path) if entry.name == kind] if path else []
    return max(entries, key=lambda entry: _natural_key(entry.file), default=None)


def shipped_model(kind: str, profile_dir: Optional[str] = None) -> Optional[str]:
    """Path of the shipped model of this kind (SEGMENTATION or DETECTION), or None.

    With several versions in one folder, the highest-numbered name wins. The profile's models
    folder counts only for the file the manifest lists, since only that one can be verified.
    """
    for folder in MODEL_DIRS:
        candidates = glob.glob(os.path.join(folder, kind + "*.onnx"))
        if candidates:
            return max(candidates, key=_natural_key)
    entry = manifest_entry(kind) if profile_dir else None
    if entry is not None:
        downloaded = os.path.join(profile_models_dir(profile_dir), entry.file)
        if os.path.isfile(downloaded):
            return downloaded
    return None


def missing_model(kind: str, profile_dir: str) -> Optional[ModelEntry]:
    """The manifest's entry of this kind when no model of that kind is installed yet, else None."""
    return None if shipped_model(kind, profile_dir) else manifest_entry(kind)


def checksum_list(model_path: str, profile_dir: Optional[str] = None) -> Optional[str]:
    """The list a model must match: the SHA256SUMS of the plugin models folder it lies in, or the manifest
    for the profile's models folder; None outside those folders."""
    folder = os.path.dirname(os.path.realpath(model_path))
    for models in MODEL_DIRS:
        if os.path.realpath(models) == folder:
            return os.path.join(models, CHECKSUM_FILE)
    if profile_dir and os.path.realpath(profile_models_dir(profile_dir)) == folder:
        return manifest_path()
    return None
