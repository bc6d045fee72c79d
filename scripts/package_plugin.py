#!/usr/bin/env python3
"""Zip the assembled plugin folder twice, for the two ways of installing it:
  dist/building_area_plugin-<version>.zip        full: the models inside, works offline at once
  dist/building_area_plugin-<version>-light.zip  light: no *.onnx, for the QGIS plugin repository
                                                 (25 MB at most, no binaries); models/manifest.json
                                                 tells the plugin what to download on first use
Usage: scripts/package_plugin.py PLUGIN_DIR DIST_DIR VERSION   (make package runs it)
"""
import os
import sys
import zipfile

LIGHT_LIMIT_BYTES = 25_000_000  # the plugin repository's upload limit, read as decimal MB to stay under either reading
MODEL_SUFFIX = ".onnx"


def zip_folder(folder: str, zip_path: str, with_models: bool) -> int:
    """Zip folder under its own name (QGIS installs the zip's top folder); return the zip's size."""
    top = os.path.basename(os.path.normpath(folder))
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for parent, folders, files in os.walk(folder):
            folders.sort()
            for name in sorted(files):
                if name.endswith(MODEL_SUFFIX) and not with_models:
                    continue
                path = os.path.join(parent, name)
                archive.write(path, os.path.join(top, os.path.relpath(path, folder)))
    return os.path.getsize(zip_path)


def package(plugin_dir: str, dist_dir: str, version: str):
    """Write both zips; SystemExit (and no light zip) when the light one exceeds the repository's limit."""
    if not os.path.isfile(os.path.join(plugin_dir, "models", "manifest.json")):
        raise SystemExit(f"{plugin_dir}/models/manifest.json is missing, without which the light zip cannot download "
                         f"its models: run scripts/update_manifest.py, then make package again.")
    os.makedirs(dist_dir, exist_ok=True)
    name = os.path.basename(os.path.normpath(plugin_dir))
    full = os.path.join(dist_dir, f"{name}-{version}.zip")
    light = os.path.join(dist_dir, f"{name}-{version}-light.zip")
    zip_folder(plugin_dir, full, with_models=True)
    size = zip_folder(plugin_dir, light, with_models=False)
    if size > LIGHT_LIMIT_BYTES:
        os.remove(light)
        raise SystemExit(f"{light} would be {size / 1e6:.1f} MB, over the plugin repository's "
                         f"{LIGHT_LIMIT_BYTES / 1e6:.0f} MB: move large files out of the plugin folder.")
    return full, light


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    for path in package(*argv):
        print(f"{path} ({os.path.getsize(path) / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
