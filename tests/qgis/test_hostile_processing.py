"""Hostile input through Processing and qgis_process: QgsProcessingException with the core's one-line
reason (no traceback), a non-zero exit of qgis_process, no output left, and no state leaked into the
next run. The core's own handling of each case is pinned down in tests/core/test_hostile_input.py."""
import json
import os
import pathlib

import processing
import pytest
from qgis.core import QgsProcessingException, QgsProcessingFeedback, QgsVectorLayer

from building_area_plugin import shipped_models
from building_area_plugin.core.checksums import CHECKSUM_FILE, file_sha256
from tests.onnx_models import bright_segmentor
from tests.qgis.conftest import run_qgis_process

ALGORITHM = "building_area:detect_buildings"


def corrupt_copy(raster: str, path: pathlib.Path) -> str:
    """The raster with its TIFF directory overwritten: neither QGIS nor GDAL can open it."""
    data = pathlib.Path(raster).read_bytes()
    path.write_bytes(data[:4] + b"\xff" * 400 + data[404:])
    return str(path)


def truncated_copy(raster: str, path: pathlib.Path) -> str:
    """The raster cut in half, as by an interrupted copy: it opens, but its pixels cannot be read."""
    data = pathlib.Path(raster).read_bytes()
    path.write_bytes(data[:len(data) // 2])
    return str(path)


def run_failing(parameters, feedback=None) -> str:
    """Run, expect a QgsProcessingException and return its message."""
    with pytest.raises(QgsProcessingException) as raised:
        processing.run(ALGORITHM, parameters, feedback=feedback)
    message = str(raised.value)
    assert "Traceback" not in message
    return message


@pytest.fixture
def out_dir(tmp_path):
    (tmp_path / "out").mkdir()
    return tmp_path / "out"


def test_a_corrupt_tiff_is_named_and_the_next_run_still_works(provider, utm_raster, bright_model, tmp_path, out_dir):
    output = out_dir / "buildings.gpkg"
    corrupt = corrupt_copy(utm_raster, tmp_path / "corrupt.tif")
    message = run_failing({"INPUT": corrupt, "SEGMENTATION_MODEL": bright_model, "OUTPUT": str(output)})
    assert "Cannot read" in message and "corrupt.tif" in message
    assert os.listdir(out_dir) == []
    result = processing.run(ALGORITHM, {"INPUT": utm_raster, "SEGMENTATION_MODEL": bright_model,
                                        "OUTPUT": str(output)})
    assert result["BUILDING_COUNT"] == 2
    assert os.listdir(out_dir) == ["buildings.gpkg"]


def test_a_truncated_tiff_fails_with_the_core_reason(provider, utm_raster, bright_model, tmp_path, out_dir):
    truncated = truncated_copy(utm_raster, tmp_path / "truncated.tif")
    message = run_failing({"INPUT": truncated, "SEGMENTATION_MODEL": bright_model,
                           "OUTPUT": str(out_dir / "buildings.gpkg")})
    assert "truncated or corrupt" in message and "Copy or export the file again" in message
    assert os.listdir(out_dir) == []


def test_a_missing_raster_is_named_as_missing(provider, bright_model, tmp_path, out_dir):
    message = run_failing({"INPUT": str(tmp_path / "Luftbild Süd.tif"), "SEGMENTATION_MODEL": bright_model,
                           "OUTPUT": str(out_dir / "buildings.gpkg")})
    assert "not found" in message and "Luftbild Süd.tif" in message


def test_cancelling_mid_run_leaves_nothing(provider, utm_raster, bright_model, out_dir):
    feedback = QgsProcessingFeedback()
    feedback.progressChanged.connect(lambda percent: percent >= 30 and feedback.cancel())
    message = run_failing({"INPUT": utm_raster, "SEGMENTATION_MODEL": bright_model,
                           "OUTPUT": str(out_dir / "buildings.gpkg"), "PROBABILITY": str(out_dir / "p.tif")},
                          feedback)
    assert "Cancelled" in message
    assert feedback.progress() >= 30  # it had started
    assert os.listdir(out_dir) == []


@pytest.mark.parametrize("name, value, problem", [
    ("GSD", -0.3, "GSD"),              # refused by QGIS itself (minimum 0)
    ("GSD", 5000.0, "GSD 5000.0 m/px is out of range"),
    ("THRESHOLD", 1.0, "Threshold 1.0 must lie between 0 and 1"),
    ("THRESHOLD", 1.5, "THRESHOLD"),   # QGIS: above the maximum 1
    ("MIN_AREA", -1.0, "MIN_AREA"),    # QGIS: below the minimum 0
])
def test_out_of_range_parameters_are_refused(provider, utm_raster, bright_model, out_dir, name, value, problem):
    message = run_failing({"INPUT": utm_raster, "SEGMENTATION_MODEL": bright_model,
                           "OUTPUT": str(out_dir / "buildings.gpkg"), name: value})
    assert problem in message
    assert os.listdir(out_dir) == []


def test_a_failing_run_keeps_the_previous_output(provider, utm_raster, tmp_path, out_dir):
    old = out_dir / "buildings.gpkg"
    old.write_bytes(b"last week's buildings")
    broken = bright_segmentor(tmp_path / "nan.onnx", poison=True)
    assert "NaN" in run_failing({"INPUT": utm_raster, "SEGMENTATION_MODEL": broken, "OUTPUT": str(old)})
    assert old.read_bytes() == b"last week's buildings"
    assert os.listdir(out_dir) == ["buildings.gpkg"]


@pytest.fixture
def shipped(tmp_path, bright_model, monkeypatch):
    """A models folder with a shipped segmentation model and its SHA256SUMS, used as the plugin's."""
    folder = tmp_path / "models"
    folder.mkdir()
    model = folder / "building_segmentation_v1.onnx"
    model.write_bytes(pathlib.Path(bright_model).read_bytes())
    (folder / CHECKSUM_FILE).write_text(f"{file_sha256(str(model))}  {model.name}\n")
    monkeypatch.setattr(shipped_models, "MODEL_DIRS", [str(folder)])
    return model


def test_the_shipped_model_runs_when_it_matches_its_checksum(provider, utm_raster, shipped, out_dir):
    result = processing.run(ALGORITHM, {"INPUT": utm_raster, "OUTPUT": str(out_dir / "buildings.gpkg")})
    assert result["BUILDING_COUNT"] == 2


def test_a_tampered_shipped_model_is_refused(provider, utm_raster, shipped, out_dir):
    bright_segmentor(shipped, threshold=0.2)  # replaced behind the checksum list's back
    message = run_failing({"INPUT": utm_raster, "OUTPUT": str(out_dir / "buildings.gpkg")})
    assert "does not match its checksum" in message
    assert os.listdir(out_dir) == []


def test_a_model_chosen_from_elsewhere_is_not_checksummed(provider, utm_raster, shipped, tmp_path, out_dir):
    (shipped.parent / CHECKSUM_FILE).write_text("")  # the shipped list has nothing to say about it
    own = bright_segmentor(tmp_path / "mine.onnx")
    result = processing.run(ALGORITHM, {"INPUT": utm_raster, "SEGMENTATION_MODEL": own,
                                        "OUTPUT": str(out_dir / "buildings.gpkg")})
    assert result["BUILDING_COUNT"] == 2


def test_without_a_shipped_model_the_user_is_asked_for_one(provider, utm_raster, tmp_path, out_dir, monkeypatch):
    (tmp_path / "models").mkdir()
    monkeypatch.setattr(shipped_models, "MODEL_DIRS", [str(tmp_path / "models")])
    message = run_failing({"INPUT": utm_raster, "OUTPUT": str(out_dir / "buildings.gpkg")})
    assert "No segmentation model" in message and "Choose an ONNX model file" in message


def test_qgis_process_refuses_a_corrupt_tiff_in_one_line_then_runs_a_valid_one(qgis_process_env, utm_raster,
                                                                              bright_model, tmp_path, out_dir):
    output = out_dir / "buildings.gpkg"
    corrupt = corrupt_copy(utm_raster, tmp_path / "corrupt.tif")
    failed = run_qgis_process(qgis_process_env, f"INPUT={corrupt}", f"SEGMENTATION_MODEL={bright_model}",
                              f"OUTPUT={output}")
    assert failed.returncode != 0
    [reason] = [line.strip() for line in failed.stderr.splitlines() if line.strip().startswith("Cannot read")]
    assert "corrupt.tif" in reason and "Choose an image GDAL can open" in reason
    assert "Traceback" not in failed.stderr
    assert os.listdir(out_dir) == []

    done = run_qgis_process(qgis_process_env, f"INPUT={utm_raster}", f"SEGMENTATION_MODEL={bright_model}",
                            f"OUTPUT={output}")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"]["BUILDING_COUNT"] == 2
    assert QgsVectorLayer(f"{output}|layername=buildings", "buildings", "ogr").featureCount() == 2
    assert os.listdir(out_dir) == ["buildings.gpkg"]


def test_qgis_process_reports_a_truncated_tiff_without_traceback(qgis_process_env, utm_raster, bright_model,
                                                                 tmp_path, out_dir):
    truncated = truncated_copy(utm_raster, tmp_path / "truncated.tif")
    failed = run_qgis_process(qgis_process_env, f"INPUT={truncated}", f"SEGMENTATION_MODEL={bright_model}",
                              f"OUTPUT={out_dir / 'buildings.gpkg'}")
    assert failed.returncode != 0
    reasons = {line.strip() for line in failed.stderr.splitlines() if "is truncated or corrupt" in line}
    assert len(reasons) == 1  # QGIS logs it twice, as one and the same line
    assert "Traceback" not in failed.stderr
    assert os.listdir(out_dir) == []
