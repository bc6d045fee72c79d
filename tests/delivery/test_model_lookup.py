"""Where the plugin finds its models: its own models folder first, then the models downloaded into the
QGIS profile, which must match the manifest."""
import hashlib
import json

import pytest

from building_area_plugin import shipped_models
from building_area_plugin.core.checksums import verify_checksum
from building_area_plugin.core.errors import ModelError
from building_area_plugin.core.manifest import MANIFEST_FILE, ModelEntry, manifest_text, read_manifest
from building_area_plugin.shipped_models import SEGMENTATION

MODEL = b"downloaded model bytes"
FILE = "building_segmentation_v1.onnx"


@pytest.fixture
def plugin_models(tmp_path, monkeypatch):
    """A light plugin's models folder: the manifest, no model files."""
    folder = tmp_path / "plugin" / "models"
    folder.mkdir(parents=True)
    entry = ModelEntry(name=SEGMENTATION, version="1.0.0", file=FILE, size=len(MODEL),
                       sha256=hashlib.sha256(MODEL).hexdigest(), urls=("https://example.org/" + FILE,))
    (folder / MANIFEST_FILE).write_text(manifest_text([entry]))
    monkeypatch.setattr(shipped_models, "MODEL_DIRS", [str(folder)])
    return folder


@pytest.fixture
def profile(tmp_path):
    return tmp_path / "profile"


def downloaded(profile, name=FILE, data=MODEL):
    folder = profile / "building_area" / "models"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


def test_a_missing_model_is_reported_with_its_manifest_entry_until_downloaded(plugin_models, profile):
    assert shipped_models.shipped_model(SEGMENTATION, str(profile)) is None
    assert shipped_models.missing_model(SEGMENTATION, str(profile)).file == FILE
    model = downloaded(profile)
    assert shipped_models.shipped_model(SEGMENTATION, str(profile)) == str(model)
    assert shipped_models.missing_model(SEGMENTATION, str(profile)) is None


def test_a_downloaded_model_is_checked_against_the_manifest(plugin_models, profile):
    model = downloaded(profile)
    sums = shipped_models.checksum_list(str(model), str(profile))
    assert sums == str(plugin_models / MANIFEST_FILE)
    verify_checksum(str(model), sums)
    model.write_bytes(b"replaced model bytes!!")
    with pytest.raises(ModelError, match=f"does not match its checksum .* Delete {model} and press"):
        verify_checksum(str(model), sums)


def test_the_plugin_folder_wins_over_the_profile(plugin_models, profile):
    downloaded(profile)
    (plugin_models / "building_segmentation_v1.onnx").write_bytes(MODEL)
    assert shipped_models.shipped_model(SEGMENTATION, str(profile)) == str(plugin_models / FILE)


def test_a_profile_file_the_manifest_does_not_list_is_not_used(plugin_models, profile):
    downloaded(profile, name="building_segmentation_v9.onnx")
    assert shipped_models.shipped_model(SEGMENTATION, str(profile)) is None


def test_without_a_manifest_nothing_is_missing_or_downloaded(tmp_path, profile, monkeypatch):
    monkeypatch.setattr(shipped_models, "MODEL_DIRS", [str(tmp_path / "empty")])
    downloaded(profile)
    assert shipped_models.shipped_model(SEGMENTATION, str(profile)) is None
    assert shipped_models.missing_model(SEGMENTATION, str(profile)) is None


@pytest.mark.parametrize("content, problem", [
    ("{not json", "is not valid JSON"),
    (json.dumps({"format": 1}), "with a 'models' list"),
    (json.dumps({"format": 1, "models": [{"name": "x"}]}), "lacks 'version'"),
    (json.dumps({"format": 1, "models": [{"name": "x", "version": "1", "file": FILE, "size": 3, "sha256": "abc",
                                          "urls": ["https://example.org/m"]}]}), "needs a positive size, a SHA-256"),
])
def test_a_malformed_manifest_names_the_problem_and_the_fix(tmp_path, content, problem):
    path = tmp_path / MANIFEST_FILE
    path.write_text(content)
    with pytest.raises(ModelError, match=problem) as raised:
        read_manifest(str(path))
    assert "update_manifest.py" in str(raised.value)
