"""scripts/package_plugin.py: a full zip with the models and a light one without, under the plugin
repository's 25 MB limit."""
import importlib.util
import os
import zipfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "package_plugin.py"
_spec = importlib.util.spec_from_file_location("package_plugin", SCRIPT)
packaging = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(packaging)


@pytest.fixture
def plugin_dir(tmp_path):
    folder = tmp_path / "build" / "building_area_plugin"
    (folder / "models").mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "metadata.txt").write_text("[general]\n")
    (folder / "models" / "manifest.json").write_text("{}")
    (folder / "models" / "building_segmentation_v1.onnx").write_bytes(os.urandom(200_000))  # incompressible
    return folder


def names(path):
    with zipfile.ZipFile(path) as archive:
        return sorted(archive.namelist())


def test_the_full_zip_holds_the_models_and_the_light_one_only_the_manifest(plugin_dir, tmp_path):
    full, light = packaging.package(str(plugin_dir), str(tmp_path / "dist"), "9.9.9")
    assert os.path.basename(full) == "building_area_plugin-9.9.9.zip"
    assert os.path.basename(light) == "building_area_plugin-9.9.9-light.zip"
    common = ["building_area_plugin/__init__.py", "building_area_plugin/metadata.txt",
              "building_area_plugin/models/manifest.json"]
    assert names(full) == sorted(common + ["building_area_plugin/models/building_segmentation_v1.onnx"])
    assert names(light) == common


def test_a_light_zip_over_the_limit_is_refused(plugin_dir, tmp_path, monkeypatch):
    (plugin_dir / "big.bin").write_bytes(os.urandom(150_000))
    monkeypatch.setattr(packaging, "LIGHT_LIMIT_BYTES", 100_000)
    with pytest.raises(SystemExit, match="over the plugin repository's"):
        packaging.package(str(plugin_dir), str(tmp_path / "dist"), "9.9.9")
    assert os.listdir(tmp_path / "dist") == ["building_area_plugin-9.9.9.zip"]


def test_a_light_zip_needs_the_manifest(plugin_dir, tmp_path):
    (plugin_dir / "models" / "manifest.json").unlink()
    with pytest.raises(SystemExit, match="update_manifest.py"):
        packaging.package(str(plugin_dir), str(tmp_path / "dist"), "9.9.9")
