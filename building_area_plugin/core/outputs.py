"""Atomic outputs and the temporary files of a run.

Every temporary file of a run is hidden and named ``.building-area-<run id>...``: its work
folder beside the output GeoPackage, and each output's partial file beside its final path.
Outputs are written under their partial names and renamed only once the whole run has
succeeded, so a failed or cancelled run leaves nothing behind, an existing output is only
replaced by a complete one, and a half-written file never carries the user's name.

A run killed outright (QGIS crashed, the power failed) cannot clean up after itself. Its
leftovers are hidden and never mistaken for results; the next run into the same folder
deletes them once nothing has been written to them for STALE_AFTER_S (a live run writes
its files every few seconds, so a parallel run's files are never touched).
"""
import os
import shutil
import tempfile
from collections import defaultdict
from typing import Dict, Iterable, List

from .errors import OutputError

TEMP_PREFIX = ".building-area-"
STALE_AFTER_S = 6 * 3600
# Files SQLite and GDAL may keep beside a file they write.
_SIDECARS = ("", "-journal", "-wal", "-shm", ".aux.xml")


def check_output_path(path: str, overwrite: bool, what: str) -> None:
    if os.path.exists(path) and not overwrite:
        raise OutputError(f"The {what} {path} already exists: choose another file or allow overwriting.")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OutputError(f"The folder of the {what} {path} does not exist: create it or choose another.")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"The folder of the {what} {path} is not writable: choose another folder.")


def _run_id(name: str) -> str:
    """The run a temporary name belongs to: '.building-area-<id>' or '.building-area-<id>.<output name>'."""
    return name[len(TEMP_PREFIX):].split(".", 1)[0]


def _last_write(paths: Iterable[str]) -> float:
    """The newest modification time among paths and the files directly inside those that are folders."""
    newest = 0.0
    for path in paths:
        newest = max(newest, os.path.getmtime(path))
        if os.path.isdir(path):
            newest = max([newest] + [entry.stat().st_mtime for entry in os.scandir(path)])
    return newest


def _remove(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)


def remove_stale_temporaries(folder: str, now: float) -> int:
    """Delete the temporary files in folder of runs that stopped writing STALE_AFTER_S before now.

    Returns how many files and folders were deleted. Files that vanish meanwhile (their
    run finished) are skipped.
    """
    runs: Dict[str, List[str]] = defaultdict(list)
    for name in os.listdir(folder):
        if name.startswith(TEMP_PREFIX):
            runs[_run_id(name)].append(os.path.join(folder, name))
    removed = 0
    for paths in runs.values():
        try:
            if now - _last_write(paths) > STALE_AFTER_S:
                for path in paths:
                    _remove(path)
                removed += len(paths)
        except OSError:
            continue
    return removed


def _make_workdir(folder: str) -> str:
    try:
        return tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=folder)
    except OSError as exc:
        raise OutputError(f"Cannot write in the folder {folder} ({exc.strerror or exc}): choose an output "
                          f"in a folder you can write to, with free disk space.") from None


class RunFiles:
    """The temporary files of one run; a context manager.

    ``workdir`` is a hidden folder for intermediate files, in the folder of the first
    output; temp_path() names an output's partial file; commit() renames every partial
    file to its final name. Leaving the context deletes what was not committed and the
    work folder. Entering first deletes stale leftovers of killed runs in the outputs'
    folders (``stale_removed`` counts them).
    """

    def __init__(self, output_paths: List[str], now: float):
        folders = list(dict.fromkeys(os.path.dirname(os.path.abspath(p)) for p in output_paths))
        self.stale_removed = sum(remove_stale_temporaries(folder, now) for folder in folders)
        self.workdir = _make_workdir(folders[0])
        self.run_id = _run_id(os.path.basename(self.workdir))
        self._final_by_temp: Dict[str, str] = {}

    def temp_path(self, final_path: str) -> str:
        """The hidden, partial name of an output, beside it (so that the rename stays on one file system)."""
        folder, name = os.path.split(os.path.abspath(final_path))
        temp = os.path.join(folder, f"{TEMP_PREFIX}{self.run_id}.{name}")  # keeps the extension for GDAL
        self._final_by_temp[temp] = final_path
        return temp

    def commit(self) -> None:
        for temp, final in list(self._final_by_temp.items()):
            try:
                os.replace(temp, final)
            except OSError as exc:
                raise OutputError(f"Could not write {final} ({exc}): close it in other programs "
                                  f"(a layer open in QGIS may lock it) and run again.") from None
            del self._final_by_temp[temp]

    def _discard(self) -> None:
        for temp in self._final_by_temp:
            for path in (temp + suffix for suffix in _SIDECARS):
                if os.path.lexists(path):
                    os.remove(path)
        self._final_by_temp.clear()

    def __enter__(self) -> "RunFiles":
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self._discard()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)
