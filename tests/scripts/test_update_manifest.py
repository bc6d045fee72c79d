"""scripts/update_manifest.py writes models/manifest.json, from which the light plugin downloads its models."""
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from building_area_plugin.core.checksums import CHECKSUM_FILE, read_checksums
from building_area_plugin.core.manifest import MANIFEST_FILE, read_manifest
from tests.onnx_models import bright_segmentor, metadata

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "update_manifest.py"
PLUGIN_VERSION = next(line.split("=", 1)[1].strip() for line in (ROOT / "metadata.txt").read_text().splitlines()
                      if line.startswith("version="))


def update_manifest(*arguments) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *arguments], capture_output=True, text=True)


def test_the_committed_manifest_matches_the_models_folder():
    models = ROOT / "models"
    entries = read_manifest(str(models / MANIFEST_FILE))
    assert sorted(entry.file for entry in entries) == sorted(path.name for path in models.glob("*.onnx"))
    for entry in entries:
        data = (models / entry.file).read_bytes()
        assert (entry.size, entry.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert read_checksums(str(models / CHECKSUM_FILE)) == {entry.file: entry.sha256 for entry in entries}
    checked = update_manifest("--check")
    assert checked.returncode == 0, checked.stderr


@pytest.fixture
def models(tmp_path):
    bright_segmentor(tmp_path / "building_segmentation_v2.onnx", props=metadata(version="2.1.0"))
    (tmp_path / "README.md").write_text("not a model")
    return tmp_path


def test_each_model_is_listed_with_its_release_url_and_metadata_summary(models):
    assert update_manifest("--models-dir", str(models)).returncode == 0
    [entry] = read_manifest(str(models / MANIFEST_FILE))
    model = models / "building_segmentation_v2.onnx"
    assert (entry.name, entry.version, entry.file) == ("building_segmentation", "2.1.0", model.name)
    assert (entry.size, entry.sha256) == (model.stat().st_size, hashlib.sha256(model.read_bytes()).hexdigest())
    assert entry.urls == ("https://github.com/building-area/building-area/releases/download/"
                          f"v{PLUGIN_VERSION}/building_segmentation_v2.onnx",)
    assert entry.metadata == {"model_type": "Segmentor", "resolution": 30, "tile_size": 64, "tiles_overlap": 25}


def test_check_fails_once_a_model_changes_until_the_manifest_is_rewritten(models):
    update_manifest("--models-dir", str(models))
    assert update_manifest("--check", "--models-dir", str(models)).returncode == 0
    bright_segmentor(models / "building_segmentation_v2.onnx", props=metadata(version="2.1.0"), threshold=0.3)
    checked = update_manifest("--check", "--models-dir", str(models))
    assert checked.returncode == 1 and "run scripts/update_manifest.py" in checked.stderr
    update_manifest("--models-dir", str(models))
    assert update_manifest("--check", "--models-dir", str(models)).returncode == 0


def test_a_model_without_a_version_is_refused(tmp_path):
    bright_segmentor(tmp_path / "building_segmentation_v1.onnx")
    done = update_manifest("--models-dir", str(tmp_path))
    assert done.returncode != 0 and "no 'version' metadata" in done.stderr
    assert not (tmp_path / MANIFEST_FILE).exists()

