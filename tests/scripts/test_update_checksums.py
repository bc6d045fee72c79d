"""scripts/update_checksums.py writes the SHA256SUMS the plugin verifies shipped models against."""
import subprocess
import sys
from pathlib import Path

import pytest

from building_area_plugin.core.checksums import CHECKSUM_FILE, verify_checksum
from building_area_plugin.core.errors import ModelError

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "update_checksums.py"


def update_checksums(*arguments) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *arguments], capture_output=True, text=True)


@pytest.fixture
def models(tmp_path):
    (tmp_path / "building_segmentation_v2.onnx").write_bytes(b"model two")
    (tmp_path / "building_detection_v1.onnx").write_bytes(b"model one")
    (tmp_path / "README.md").write_text("not a model")
    return tmp_path


def test_written_list_verifies_every_model_and_sha256sum_reads_it(models):
    assert update_checksums("--models-dir", str(models)).returncode == 0
    sums = models / CHECKSUM_FILE
    for model in models.glob("*.onnx"):
        verify_checksum(str(model), str(sums))
    assert [line.split("  ")[1] for line in sums.read_text().splitlines()] == [
        "building_detection_v1.onnx", "building_segmentation_v2.onnx"]
    assert subprocess.run(["sha256sum", "--check", "--quiet", CHECKSUM_FILE], cwd=models).returncode == 0


def test_check_fails_once_a_model_changes_until_the_list_is_rewritten(models):
    update_checksums("--models-dir", str(models))
    assert update_checksums("--check", "--models-dir", str(models)).returncode == 0
    (models / "building_segmentation_v2.onnx").write_bytes(b"retrained")
    checked = update_checksums("--check", "--models-dir", str(models))
    assert checked.returncode == 1 and "run scripts/update_checksums.py" in checked.stderr
    with pytest.raises(ModelError, match="does not match its checksum"):
        verify_checksum(str(models / "building_segmentation_v2.onnx"), str(models / CHECKSUM_FILE))


def test_an_empty_models_folder_is_reported_not_checksummed(tmp_path):
    done = update_checksums("--models-dir", str(tmp_path))
    assert done.returncode == 1 and "No models" in done.stderr
    assert not (tmp_path / CHECKSUM_FILE).exists()
