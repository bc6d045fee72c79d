#!/usr/bin/env python3
"""Zip the assembled plugin folder twice, for the two ways of installing it:
  dist/building_area_plugin-<version>.zip        full: the models inside, works offline at once
  dist/building_area_plugin-<version>-light.zip  light: no *.onnx, for the QGIS plugin repository
                                                 (25 MB at most, no binaries); models/manifest.json
                                                 tells the plugin what to download on first use
The light zip must pass check_repository_rules (what plugins.qgis.org checks on upload, offline: size,
layout, no binaries or bytecode, metadata.txt fields, LICENSE), or it is not written.
Usage: scripts/package_plugin.py PLUGIN_DIR DIST_DIR VERSION   (make package runs it)
"""
import configparser
import io
import os
import re
import sys
import zipfile
from typing import List
from urllib.parse import urlparse

LIGHT_LIMIT_BYTES = 25_000_000  # the plugin repository's upload limit, read as decimal MB to stay under either reading
MODEL_SUFFIX = ".onnx"

# What plugins.qgis.org checks on upload (its plugins/validator.py), as far as it can be checked offline,
# and its "no binaries" rule: no compiled code of any platform, no bytecode.
REQUIRED_METADATA = ("name", "description", "about", "version", "qgisMinimumVersion", "author", "email",
                     "repository", "tracker")
BOOLEAN_METADATA = ("experimental", "deprecated", "server", "supportsQt6")
URL_METADATA = {"tracker": "http://bugs", "repository": "http://repo", "homepage": "http://homepage"}
FORBIDDEN_FOLDERS = ("__pycache__", ".git", "__MACOSX")
BINARY_SUFFIXES = (".pyc", ".pyo", ".pyd", ".so", ".dll", ".dylib", ".exe", ".bin", ".a", ".lib", ".o", ".jar",
                   ".whl", MODEL_SUFFIX)
BINARY_MAGIC = (b"\x7fELF", b"MZ", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe")


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


def _version(text: str):
    return tuple(int(part) for part in re.findall(r"\d+", text))


def check_repository_rules(zip_path: str) -> List[str]:
    """Why plugins.qgis.org would refuse the zip (size, layout, binaries, metadata.txt, LICENSE); [] if it would not."""
    problems = []
    size = os.path.getsize(zip_path)
    if size > LIGHT_LIMIT_BYTES:
        problems.append(f"{size / 1e6:.1f} MB, over the repository's {LIGHT_LIMIT_BYTES / 1e6:.0f} MB")
    try:
        archive = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile as exc:
        return problems + [f"not a zip file ({exc})"]
    with archive:
        names = archive.namelist()
        bad = archive.testzip()
        if bad:
            problems.append(f"{bad} is damaged in the zip (CRC)")
        tops = sorted({name.split("/")[0] for name in names})
        if len(tops) != 1:
            return problems + [f"one top folder expected, found {tops}"]
        top = tops[0]
        if not re.match(r"^[A-Za-z][A-Za-z0-9_-]+$", top) or not top.isidentifier():
            problems.append(f"the top folder {top!r} is not a Python identifier")
        for name in names:
            parts = name.split("/")
            if ".." in parts or name.startswith("/"):
                problems.append(f"{name}: a path outside the plugin folder")
            for folder in FORBIDDEN_FOLDERS:
                if folder in parts:
                    problems.append(f"{name}: a {folder} folder")
            if name.endswith("/"):
                continue
            if name.lower().endswith(BINARY_SUFFIXES):
                problems.append(f"{name}: a binary file")
            elif archive.read(name)[:4].startswith(BINARY_MAGIC):
                problems.append(f"{name}: an executable (by its first bytes)")
        for required in ("__init__.py", "metadata.txt", "LICENSE"):
            if f"{top}/{required}" not in names:
                problems.append(f"{top}/{required} is missing")
        if f"{top}/metadata.txt" in names:
            problems += _metadata_problems(archive.read(f"{top}/metadata.txt"), top, names)
    return problems


def _metadata_problems(text: bytes, top: str, names: List[str]) -> List[str]:
    parser = configparser.ConfigParser()
    parser.optionxform = str
    try:
        parser.read_file(io.StringIO(text.decode("utf-8")))
    except (UnicodeDecodeError, configparser.Error) as exc:
        return [f"metadata.txt cannot be read ({exc})"]
    if not parser.has_section("general"):
        return ["metadata.txt has no [general] section"]
    metadata = dict(parser.items("general"))
    problems = [f"metadata.txt lacks {field}" for field in REQUIRED_METADATA if not metadata.get(field, "").strip()]
    for field in BOOLEAN_METADATA:
        if field in metadata and metadata[field].strip().lower() not in ("true", "false", "1", "0", "yes", "no"):
            problems.append(f"metadata.txt: {field}={metadata[field]} is not a boolean")
    if "/" in metadata.get("author", ""):
        problems.append("metadata.txt: the author contains a slash")
    for field, placeholder in URL_METADATA.items():
        url = metadata.get(field)
        if url is not None and (url == placeholder or not all(urlparse(url)[:2])):
            problems.append(f"metadata.txt: {field}={url} is not a URL")
    icon = metadata.get("icon", "")
    if icon and f"{top}/{icon.removeprefix('./')}" not in names:
        problems.append(f"metadata.txt: the icon {icon} is not in the zip")
    low, high = metadata.get("qgisMinimumVersion", ""), metadata.get("qgisMaximumVersion")
    if high is not None and _version(high) < _version(low):
        problems.append(f"metadata.txt: qgisMaximumVersion {high} is below qgisMinimumVersion {low}")
    return problems


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
    problems = check_repository_rules(light)
    if problems:
        os.remove(light)
        raise SystemExit(f"{light} would be refused by the plugin repository: " + "; ".join(problems))
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
