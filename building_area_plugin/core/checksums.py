"""SHA-256 checksums of the models shipped with the plugin (models/SHA256SUMS) or downloaded by it
(models/manifest.json).

SHA256SUMS has sha256sum's format, one ``<64 hex digits>  <file name>`` line per model, so
``sha256sum -c SHA256SUMS`` checks it too. scripts/update_checksums.py writes it. A model downloaded
into the user's profile is checked against the manifest it was downloaded from instead.
"""
import hashlib
import os
import re
from typing import Dict

from .errors import ModelError
from .manifest import MANIFEST_FILE, read_manifest

CHECKSUM_FILE = "SHA256SUMS"
_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")
_CHUNK = 1 << 20
_REGENERATE = "reinstall the plugin (developers: run scripts/update_checksums.py after changing a model)"


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_manifest(sums_path: str) -> bool:
    return os.path.basename(sums_path) == MANIFEST_FILE


def read_checksums(sums_path: str) -> Dict[str, str]:
    """File name -> lower-case hex digest; ModelError if the list is missing or malformed."""
    if _is_manifest(sums_path):
        return {entry.file: entry.sha256 for entry in read_manifest(sums_path)}
    try:
        with open(sums_path, encoding="utf-8") as stream:
            lines = [line.rstrip("\r\n") for line in stream if line.strip()]
    except OSError as exc:
        raise ModelError(f"The checksum list {sums_path} cannot be read ({exc.strerror or exc}), so the shipped "
                         f"models cannot be verified: {_REGENERATE}.") from None
    checksums = {}
    for number, line in enumerate(lines, start=1):
        match = _LINE.match(line)
        if match is None:
            raise ModelError(f"Line {number} of the checksum list {sums_path} is not '<sha256>  <file name>': "
                             f"{_REGENERATE}.")
        checksums[match.group(2)] = match.group(1).lower()
    return checksums


def verify_checksum(model_path: str, sums_path: str) -> None:
    """Raise ModelError unless the model's SHA-256 is the one listed for its file name in sums_path."""
    name = os.path.basename(model_path)
    expected = read_checksums(sums_path).get(name)
    if expected is None:
        raise ModelError(f"The shipped model {name} is not listed in {sums_path}, so it cannot be verified: "
                         f"{_REGENERATE}, or choose a model file outside the plugin's models folder.")
    if file_sha256(model_path) != expected:
        fix = (f"delete {model_path} and press the Building area toolbar button, which downloads it again"
               if _is_manifest(sums_path) else _REGENERATE)
        raise ModelError(f"The shipped model {name} does not match its checksum in {sums_path}: the file is "
                         f"damaged or was replaced. {fix[0].upper()}{fix[1:]}.")
