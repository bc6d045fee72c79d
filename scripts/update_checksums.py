#!/usr/bin/env python3
"""Write models/SHA256SUMS: the SHA-256 of every shipped model (models/*.onnx).

The plugin runs a model from its models folder only if it matches this list, so run this
after adding, retraining or re-exporting a model, and commit the list with the model.
  scripts/update_checksums.py                 # rewrite models/SHA256SUMS
  scripts/update_checksums.py --check         # exit 1 unless the list matches the models
  scripts/update_checksums.py --models-dir D  # another models folder
"""
import argparse
import glob
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from building_area_plugin.core.checksums import CHECKSUM_FILE, file_sha256  # noqa: E402
from scripts.generated_files import write_or_check  # noqa: E402


def checksum_lines(models_dir: str) -> str:
    """sha256sum's format: '<hex>  <name>' per model, sorted by name."""
    models = sorted(glob.glob(os.path.join(models_dir, "*.onnx")))
    return "".join(f"{file_sha256(path)}  {os.path.basename(path)}\n" for path in models)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", default=os.path.join(ROOT, "models"))
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if the list is out of date")
    args = parser.parse_args(argv)
    sums_path = os.path.join(args.models_dir, CHECKSUM_FILE)
    expected = checksum_lines(args.models_dir)
    if not expected:
        print(f"No models (*.onnx) in {args.models_dir}: nothing to checksum.", file=sys.stderr)
        return 1
    status = write_or_check(sums_path, expected, args.check, "scripts/update_checksums.py")
    if status or args.check:
        return status
    print(f"{sums_path}: {expected.count(chr(10))} models")
    return 0


if __name__ == "__main__":
    sys.exit(main())
