"""The run's work folder (<stem>_batch/ beside the output): what a rerun into the same output can skip.

- ``manifest.json``: the plan (settings, every unit's raster, window and core), rewritten by each run;
- ``units/<id>.gpkg`` and ``units/<id>.json``: a finished unit's buildings and its record. A unit's
  id is a hash of everything its result depends on (settings, models, the files it reads, its
  window), so a rerun skips exactly the units whose record is there and redoes those whose
  inputs changed; a failed unit is tried again;
- ``mosaics/*.vrt``: the VRTs over mosaics' tiles;
- ``lock``: held by the running client, so that two runs never write into one output.

Hidden ``units/.tmp-*`` folders are units being written, or left by a worker that died; each run
deletes those it finds at its start (no other run can be writing: the lock).
"""
import json
import os
import shutil
import time
from typing import Dict, Iterable, Optional

try:
    import fcntl  # Unix
except ImportError:
    fcntl = None
    import msvcrt  # Windows

from ..core.errors import OutputError
from .params import STATUS_OK, UnitRecord
from .unit import TEMP_PREFIX, read_record
from .units import Plan

MANIFEST_VERSION = 1


def _lock(fd: int) -> None:
    """An exclusive lock on the open file, held until it is closed; OSError when another process holds it."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)


class WorkFolder:
    """The work folder of one output; a context manager holding its lock."""

    def __init__(self, path: str):
        self.path = path
        self.units_dir = os.path.join(path, "units")
        self.mosaics_dir = os.path.join(path, "mosaics")
        self.manifest_path = os.path.join(path, "manifest.json")
        self._lock = None

    def __enter__(self) -> "WorkFolder":
        try:
            os.makedirs(self.units_dir, exist_ok=True)
            self._lock = open(os.path.join(self.path, "lock"), "w", encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"Cannot write the work folder {self.path} ({exc.strerror or exc}): choose an output "
                              f"in a folder you can write to.") from None
        try:
            _lock(self._lock.fileno())
        except OSError:
            self._lock.close()
            self._lock = None
            raise OutputError(f"Another batch run is writing into {self.path}: wait for it to finish, or choose "
                              f"another output.") from None
        self._lock.write(f"{os.getpid()}\n")
        self._lock.flush()
        return self

    def __exit__(self, *exc_info) -> None:
        if self._lock is not None:
            self._lock.close()  # releases the lock
            self._lock = None

    def remove_partial_units(self) -> int:
        """Delete the hidden folders of units that were being written when their worker (or run) died."""
        removed = 0
        for name in os.listdir(self.units_dir):
            if name.startswith(TEMP_PREFIX):
                shutil.rmtree(os.path.join(self.units_dir, name), ignore_errors=True)
                removed += 1
        return removed

    def finished(self, plan: Plan) -> Dict[str, UnitRecord]:
        """The plan's units that finished successfully in an earlier run (their files are complete)."""
        found = {}
        for unit in plan.units:
            record = read_record(self.units_dir, unit.unit_id)
            if record is not None and record.status == STATUS_OK:
                found[unit.unit_id] = record
        return found

    def records(self, unit_ids: Iterable[str]) -> Dict[str, UnitRecord]:
        found = {}
        for unit_id in unit_ids:
            record = read_record(self.units_dir, unit_id)
            if record is not None:
                found[unit_id] = record
        return found

    def write_manifest(self, plan: Plan, inputs: Iterable[str], output: str, extra: Optional[dict] = None) -> None:
        manifest = {
            "version": MANIFEST_VERSION, "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "output": output,
            "inputs": list(inputs), "settings": plan.settings,
            "units": [{"id": unit.unit_id, "raster": unit.raster, "dataset": unit.dataset, "window": unit.window,
                       "core": unit.core_wkt} for unit in plan.units],
        }
        manifest.update(extra or {})
        temp = self.manifest_path + ".tmp"
        with open(temp, "w", encoding="utf-8") as stream:
            json.dump(manifest, stream, indent=1)
        os.replace(temp, self.manifest_path)
