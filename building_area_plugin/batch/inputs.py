"""What a batch runs on: files, folders, globs, VRTs and text files listing any of them -> raster paths.

- a file is taken as a raster (a VRT is one raster: its windows become work units), except a text
  file of paths (.txt, .lst, .list, or any file named with a leading '@'), whose lines are inputs
  themselves (relative to the list's folder; empty lines and lines starting with '#' are skipped);
- a folder gives the rasters inside it and its subfolders, by extension (RASTER_EXTENSIONS);
- a glob (``tiles/*.tif``, ``city/**/*.jp2``) gives what it matches, files or folders.

Hidden files and folders (a leading '.') and the batch's own outputs are skipped. Each raster
comes once, in the order met (a folder's and a glob's in sorted order). An input that matches
nothing is reported, with the reason, and does not stop the others.
"""
import glob
import os
from dataclasses import dataclass, field
from typing import Iterable, List, Sequence, Set, Tuple

RASTER_EXTENSIONS = (".tif", ".tiff", ".gtif", ".vrt", ".jp2", ".j2k", ".img", ".png", ".jpg", ".jpeg",
                     ".webp", ".ecw", ".sid", ".kea", ".bil", ".hdr", ".nitf", ".ntf")
LIST_EXTENSIONS = (".txt", ".lst", ".list")
GLOB_CHARACTERS = "*?["
MAX_LIST_DEPTH = 4  # a list naming a list naming a list...


@dataclass
class ExpandedInputs:
    rasters: List[str] = field(default_factory=list)              # absolute paths, each once
    missing: List[Tuple[str, str]] = field(default_factory=list)  # (input as given, reason)


def not_found_message(item: str) -> str:
    return (f"Input not found: '{item}'. Give raster files, folders, globs such as 'tiles/*.tif', VRTs or text "
            f"files listing them.")


def empty_list_message(item: str) -> str:
    return f"The list '{item}' names no input: write one raster, folder or glob per line."


def no_rasters_message(item: str) -> str:
    return (f"The folder '{item}' holds no raster files (by extension: {', '.join(RASTER_EXTENSIONS[:6])}, ...): "
            f"choose the folder of the images.")


def _is_list_file(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in LIST_EXTENSIONS


def _hidden(path: str) -> bool:
    return os.path.basename(path).startswith(".")


class _Expander:
    def __init__(self, exclude: Sequence[str]):
        self.result = ExpandedInputs()
        self._seen: Set[str] = set()
        self._exclude = [os.path.abspath(path) for path in exclude]

    def _excluded(self, path: str) -> bool:
        return any(path == other or path.startswith(other.rstrip(os.sep) + os.sep) for other in self._exclude)

    def _add_raster(self, path: str) -> None:
        path = os.path.abspath(path)
        key = os.path.realpath(path)
        if key not in self._seen and not self._excluded(path):
            self._seen.add(key)
            self.result.rasters.append(path)

    def _folder(self, folder: str) -> int:
        found = 0
        for parent, folders, names in os.walk(folder):
            folders[:] = sorted(name for name in folders if not name.startswith(".")
                                and not self._excluded(os.path.abspath(os.path.join(parent, name))))
            for name in sorted(names):
                if not name.startswith(".") and os.path.splitext(name)[1].lower() in RASTER_EXTENSIONS:
                    self._add_raster(os.path.join(parent, name))
                    found += 1
        return found

    def add(self, item: str, relative_to: str = "", depth: int = 0) -> None:
        item = item.strip()
        list_file = item.startswith("@")
        path = os.path.join(relative_to, item[1:] if list_file else item)
        if any(ch in item for ch in GLOB_CHARACTERS) and not os.path.exists(path):
            matches = sorted(glob.glob(path, recursive=True))
            matches = [m for m in matches if not _hidden(m)]
            if not matches:
                self.result.missing.append((item, not_found_message(item)))
            for match in matches:
                self._path(match, item, depth, list_file=False)
            return
        if not os.path.exists(path):
            self.result.missing.append((item, not_found_message(item)))
            return
        self._path(path, item, depth, list_file)

    def _path(self, path: str, item: str, depth: int, list_file: bool) -> None:
        if os.path.isdir(path):
            if self._folder(path) == 0 and not self._excluded(os.path.abspath(path)):
                self.result.missing.append((item, no_rasters_message(item)))
        elif (list_file or _is_list_file(path)) and depth < MAX_LIST_DEPTH:
            self._list(path, item, depth)
        else:
            self._add_raster(path)

    def _list(self, path: str, item: str, depth: int) -> None:
        with open(path, encoding="utf-8", errors="replace") as stream:
            lines = [line.strip() for line in stream]
        entries = [line for line in lines if line and not line.startswith("#")]
        if not entries:
            self.result.missing.append((item, empty_list_message(item)))
        for entry in entries:
            self.add(entry, os.path.dirname(os.path.abspath(path)), depth + 1)


def expand_inputs(inputs: Iterable[str], exclude: Sequence[str] = ()) -> ExpandedInputs:
    """The rasters the inputs name (see the module's doc); paths under ``exclude`` are left out."""
    expander = _Expander(exclude)
    for item in inputs:
        expander.add(item)
    return expander.result
