"""models/manifest.json: each published model's name, version, file, size, SHA-256, download URLs and
a summary of its ONNX metadata.

The light plugin build ships the manifest without the model files: the plugin downloads a model from
its URLs on first use and checks it against the size and SHA-256 listed here.
scripts/update_manifest.py writes the manifest.
"""
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Tuple

from .errors import ModelError

MANIFEST_FILE = "manifest.json"
FORMAT = 1
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_REGENERATE = "reinstall the plugin (developers: run scripts/update_manifest.py after changing a model)"


@dataclass(frozen=True)
class ModelEntry:
    name: str                  # the model kind: building_segmentation or building_detection
    version: str               # the model's own version (its ONNX metadata 'version')
    file: str                  # file name in a models folder
    size: int                  # bytes
    sha256: str                # lower-case hex digest
    urls: Tuple[str, ...]      # tried in turn
    metadata: Dict[str, object] = field(default_factory=dict)  # summary of the ONNX metadata

    @property
    def size_mb(self) -> float:
        return self.size / 1e6

    def to_json(self) -> dict:
        item = asdict(self)
        item["urls"] = list(self.urls)
        return item


def _entry(item: object, number: int, path: str) -> ModelEntry:
    problem = f"Model {number} of the manifest {path}"
    if not isinstance(item, dict):
        raise ModelError(f"{problem} is not an object: {_REGENERATE}.")
    try:
        entry = ModelEntry(name=str(item["name"]), version=str(item["version"]), file=str(item["file"]),
                           size=int(item["size"]), sha256=str(item["sha256"]).lower(),
                           urls=tuple(str(url) for url in item["urls"]), metadata=dict(item.get("metadata", {})))
    except KeyError as missing:
        raise ModelError(f"{problem} lacks '{missing.args[0]}': {_REGENERATE}.") from None
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{problem} has a malformed field ({exc}): {_REGENERATE}.") from None
    if not _SHA256.match(entry.sha256) or entry.size <= 0 or not entry.urls:
        raise ModelError(f"{problem} ({entry.file}) needs a positive size, a SHA-256 and at least one URL: "
                         f"{_REGENERATE}.")
    return entry


def read_manifest(path: str) -> List[ModelEntry]:
    """The manifest's models; ModelError if it is missing, not JSON or malformed."""
    try:
        with open(path, encoding="utf-8") as stream:
            document = json.load(stream)
    except OSError as exc:
        raise ModelError(f"The model manifest {path} cannot be read ({exc.strerror or exc}): {_REGENERATE}.") from None
    except ValueError as exc:
        raise ModelError(f"The model manifest {path} is not valid JSON ({exc}): {_REGENERATE}.") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT or not isinstance(
            document.get("models"), list):
        raise ModelError(f"The model manifest {path} is not a format-{FORMAT} manifest with a 'models' list: "
                         f"{_REGENERATE}.")
    return [_entry(item, number, path) for number, item in enumerate(document["models"], start=1)]


def manifest_text(entries: List[ModelEntry]) -> str:
    """The manifest file's content: stable key order and indentation, so that a diff shows what changed."""
    document = {"format": FORMAT, "models": [entry.to_json() for entry in entries]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

