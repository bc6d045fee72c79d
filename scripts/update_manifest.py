#!/usr/bin/env python3
"""Write models/manifest.json: name, version, file, size, SHA-256, download URL and a summary of the
ONNX metadata of every model in models/*.onnx.

The light plugin zip ships this manifest instead of the models and downloads each model from its URL
on first use; the URL is the model file attached to the GitHub release of this plugin version. Run
this with the venv's Python (it reads the metadata with onnx) after adding, retraining or
re-exporting a model, or after changing the plugin version, and commit the manifest with the model.
  .venv/bin/python scripts/update_manifest.py                 # rewrite models/manifest.json
  .venv/bin/python scripts/update_manifest.py --check         # exit 1 unless it matches the models
  .venv/bin/python scripts/update_manifest.py --models-dir D  # another models folder
"""
import argparse
import glob
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from building_area_plugin.core.checksums import file_sha256  # noqa: E402
from building_area_plugin.core.manifest import MANIFEST_FILE, ModelEntry, manifest_text  # noqa: E402
from scripts.generated_files import write_or_check  # noqa: E402

RELEASE_URL = "https://github.com/building-area/building-area/releases/download/v{version}/{file}"
# What a user choosing a model to download wants to know; the full metadata stays in the model.
SUMMARY_KEYS = ("model_type", "resolution", "tile_size", "tiles_overlap", "gsd_output", "precision", "architecture")
_NAME = re.compile(r"^(?P<name>.+?)(_v\d+)?\.onnx$")


def plugin_version() -> str:
    with open(os.path.join(ROOT, "metadata.txt"), encoding="utf-8") as stream:
        return next(line.split("=", 1)[1].strip() for line in stream if line.startswith("version="))


def _decoded(value: str):
    # Deepness-style metadata values are JSON ("30", "[0.4, ...]"); anything else is kept as text.
    try:
        return json.loads(value)
    except ValueError:
        return value


def onnx_metadata(path: str) -> dict:
    import onnx  # only this script needs it (the plugin reads metadata with onnxruntime)

    return {prop.key: prop.value for prop in onnx.load(path, load_external_data=False).metadata_props}


def model_entry(path: str, release: str) -> ModelEntry:
    file = os.path.basename(path)
    metadata = onnx_metadata(path)
    if "version" not in metadata:
        raise SystemExit(f"{path} has no 'version' metadata: add it (onnx.helper.set_model_props) and export again.")
    return ModelEntry(
        name=_NAME.match(file).group("name"),
        version=str(_decoded(metadata["version"])),
        file=file,
        size=os.path.getsize(path),
        sha256=file_sha256(path),
        urls=(RELEASE_URL.format(version=release, file=file),),
        metadata={key: _decoded(metadata[key]) for key in SUMMARY_KEYS if key in metadata},
    )


def expected_manifest(models_dir: str) -> str:
    """The manifest for the models in models_dir, sorted by file name; '' when there are none."""
    models = sorted(glob.glob(os.path.join(models_dir, "*.onnx")))
    if not models:
        return ""
    release = plugin_version()
    return manifest_text([model_entry(path, release) for path in models])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", default=os.path.join(ROOT, "models"))
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if the manifest is out of date")
    args = parser.parse_args(argv)
    manifest_path = os.path.join(args.models_dir, MANIFEST_FILE)
    expected = expected_manifest(args.models_dir)
    if not expected:
        print(f"No models (*.onnx) in {args.models_dir}: nothing to list.", file=sys.stderr)
        return 1
    status = write_or_check(manifest_path, expected, args.check, "scripts/update_manifest.py")
    if status or args.check:
        return status
    print(f"{manifest_path}: {len(json.loads(expected)['models'])} models")
    return 0


if __name__ == "__main__":
    sys.exit(main())
