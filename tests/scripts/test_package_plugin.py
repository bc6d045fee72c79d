"""scripts/package_plugin.py: a full zip with the models and a light one without, which passes the plugin
repository's checks (25 MB, no binaries, metadata.txt, LICENSE, Bandit)."""
import configparser
import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "package_plugin.py"
METADATA = """[general]
name=Test plugin
qgisMinimumVersion=3.22
qgisMaximumVersion=4.99
supportsQt6=True
description=A plugin for tests.
about=A plugin for tests, with all the fields the repository asks for.
version=9.9.9
author=Tests
email=tests@example.org
repository=https://example.org/repository
tracker=https://example.org/issues
experimental=True
"""
_spec = importlib.util.spec_from_file_location("package_plugin", SCRIPT)
packaging = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(packaging)


@pytest.fixture
def plugin_dir(tmp_path):
    folder = tmp_path / "build" / "building_area_plugin"
    (folder / "models").mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "metadata.txt").write_text(METADATA)
    (folder / "LICENSE").write_text("GPL-2.0-or-later")
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
    common = ["building_area_plugin/LICENSE", "building_area_plugin/__init__.py", "building_area_plugin/metadata.txt",
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


@pytest.mark.parametrize("change, problem", [
    (lambda folder: (folder / "LICENSE").unlink(), "LICENSE is missing"),
    (lambda folder: (folder / "lib.so").write_bytes(b"\x7fELF" + bytes(100)), "lib.so: a binary file"),
    (lambda folder: (folder / "tool").write_bytes(b"\x7fELF" + bytes(100)), "tool: an executable"),
    (lambda folder: (folder / "__pycache__").mkdir() or (folder / "__pycache__" / "x.pyc").write_bytes(b"x"),
     "a __pycache__ folder"),
    (lambda folder: (folder / "metadata.txt").write_text(METADATA.replace("email=tests@example.org\n", "")),
     "metadata.txt lacks email"),
    (lambda folder: (folder / "metadata.txt").write_text(METADATA.replace("https://example.org/issues", "http://bugs")),
     "tracker=http://bugs is not a URL"),
    (lambda folder: (folder / "metadata.txt").write_text(METADATA.replace("4.99", "3.10")),
     "qgisMaximumVersion 3.10 is below"),
    (lambda folder: (folder / "metadata.txt").write_text(METADATA + "icon=icon.png\n"), "the icon icon.png"),
])
def test_a_light_zip_the_repository_would_refuse_is_not_written(plugin_dir, tmp_path, change, problem):
    change(plugin_dir)
    with pytest.raises(SystemExit, match="refused by the plugin repository") as refused:
        packaging.package(str(plugin_dir), str(tmp_path / "dist"), "9.9.9")
    assert problem in str(refused.value)
    assert os.listdir(tmp_path / "dist") == ["building_area_plugin-9.9.9.zip"]


@pytest.fixture(scope="module")
def real_light_zip(tmp_path_factory):
    """The light zip of this checkout, built as `make package` builds it."""
    work = tmp_path_factory.mktemp("package")
    plugin = work / "build" / "building_area_plugin"
    subprocess.run([str(ROOT / "scripts" / "build_plugin.sh"), str(plugin)], check=True, capture_output=True)
    parser = configparser.ConfigParser()
    parser.read(ROOT / "metadata.txt", encoding="utf-8")
    version = parser["general"]["version"]
    _, light = packaging.package(str(plugin), str(work / "dist"), version)
    return Path(light)


def test_the_real_light_zip_passes_the_repository_checks(real_light_zip):
    assert real_light_zip.stat().st_size <= 25_000_000
    assert packaging.check_repository_rules(str(real_light_zip)) == []
    listed = names(real_light_zip)
    assert "building_area_plugin/LICENSE" in listed and "building_area_plugin/metadata.txt" in listed
    assert not [name for name in listed if name.endswith((".onnx", ".pyc", ".so", ".ts"))]
    if shutil.which("lrelease") or Path("/usr/lib/qt5/bin/lrelease").exists():
        assert "building_area_plugin/i18n/building_area_ru.qm" in listed


def test_the_real_light_zip_is_bandit_clean(real_light_zip, tmp_path):
    """Bandit, as the repository runs it on uploads, over what the zip holds (generated files included)."""
    bandit = Path(sys.executable).parent / "bandit"
    if not bandit.exists():
        pytest.fail(f"{bandit} is missing: run make setup (requirements-dev.txt installs Bandit)")
    with zipfile.ZipFile(real_light_zip) as archive:
        archive.extractall(tmp_path)
    done = subprocess.run([str(bandit), "-q", "-r", str(tmp_path / "building_area_plugin")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
