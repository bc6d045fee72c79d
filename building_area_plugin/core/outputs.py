"""Atomic outputs: each is written under a temporary name beside its final path and renamed
only once the whole run has succeeded, so a failed or cancelled run leaves nothing behind
and never a half-written file under the user's name."""
import os
import uuid
from typing import Dict

from .errors import OutputError


def check_output_path(path: str, overwrite: bool, what: str) -> None:
    if os.path.exists(path) and not overwrite:
        raise OutputError(f"The {what} {path} already exists: choose another file or allow overwriting.")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OutputError(f"The folder of the {what} {path} does not exist: create it or choose another.")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"The folder of the {what} {path} is not writable: choose another folder.")


class PendingOutputs:
    """Temporary paths for final outputs; commit() renames them all, discard() deletes them."""

    def __init__(self):
        self._final_by_temp: Dict[str, str] = {}

    def temp_path(self, final_path: str) -> str:
        folder, name = os.path.split(os.path.abspath(final_path))
        stem, ext = os.path.splitext(name)
        # Hidden, unique, and keeping the extension so that GDAL picks no warning about it.
        temp = os.path.join(folder, f".{stem}.{uuid.uuid4().hex[:8]}.partial{ext}")
        self._final_by_temp[temp] = final_path
        return temp

    def commit(self) -> None:
        for temp, final in self._final_by_temp.items():
            try:
                os.replace(temp, final)
            except OSError as exc:
                raise OutputError(f"Could not write {final} ({exc}): close it in other programs "
                                  f"(a layer open in QGIS may lock it) and run again.")
        self._final_by_temp.clear()

    def discard(self) -> None:
        for temp in self._final_by_temp:
            for path in (temp, temp + "-journal", temp + "-wal", temp + "-shm", temp + ".aux.xml"):
                if os.path.exists(path):
                    os.remove(path)
        self._final_by_temp.clear()
