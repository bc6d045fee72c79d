"""Files generated from the models folder (SHA256SUMS, manifest.json): write them, or check they are current."""
import os
import sys
from typing import Optional


def read_text(path: str) -> Optional[str]:
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as stream:
        return stream.read()


def write_or_check(path: str, expected: str, check: bool, regenerate: str) -> int:
    """With check, exit status 1 (and say to run ``regenerate``) when path differs from expected; else write it."""
    if check:
        if read_text(path) != expected:
            print(f"{path} does not match the models in {os.path.dirname(path)}: run {regenerate}", file=sys.stderr)
            return 1
        return 0
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(expected)
    return 0
