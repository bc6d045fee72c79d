"""scripts/calibrate_scores.py end to end on a generated shared-format folder: fit on training images, write the
map into the model's metadata, report on validation images."""
import json
import os

import numpy as np
import onnx
import pytest
from osgeo import gdal, ogr

from building_area_plugin.core.model import ModelMetadata
from building_area_plugin.core.params import PipelineParams
from building_area_plugin.core.pipeline import run_pipeline
from tests import onnx_models
from tests.core.conftest import UTM_33N, write_raster

if os.path.isdir("/usr/share/proj"):
    os.environ.setdefault("PROJ_DATA", "/usr/share/proj")

# (row, col, side, brightness, labelled): bright roofs score high, dim ones lower; two dim ones are not buildings.
ROOFS = [(10, 10, 20, 255, True), (10, 50, 20, 255, True), (10, 90, 20, 200, True),
         (60, 10, 20, 200, False), (60, 50, 20, 170, True), (60, 90, 20, 170, False)]
# The folder's name picks the split rule of scripts/segmentation/data.py: Banepa's OAM-386695-* are validation.
IMAGES = ["OAM-1-train", "OAM-386695-val"]


def shared_folder(root):
    (root / "images").mkdir(parents=True)
    rows, images, annotations = [], [], []
    for number, item in enumerate(IMAGES, start=1):
        rgb = np.zeros((3, 128, 128), np.uint8)
        for row, col, side, level, labelled in ROOFS:
            rgb[:, row:row + side, col:col + side] = level
            if labelled:
                annotations.append({"id": len(annotations) + 1, "image_id": number, "category_id": 1,
                                    "bbox": [col, row, side, side],
                                    "segmentation": [[col, row, col + side, row, col + side, row + side, col,
                                                      row + side]]})
        write_raster(root / "images" / f"{item}.tif", rgb, (500000.0, 0.3, 0.0, 5000000.0, 0.0, -0.3), UTM_33N)
        images.append({"id": number, "file_name": f"{item}.tif", "width": 128, "height": 128})
        rows.append(f"{item},128,128,3,uint8,0.3,georeferencing,,,,polygons,exact,,")
    (root / "index.csv").write_text("id,width,height,bands,dtype,gsd_m,gsd_basis,crs,city,country,labels,"
                                    "label_quality,license,origin\n" + "\n".join(rows) + "\n")
    (root / "instances.json").write_text(json.dumps({"images": images, "annotations": annotations,
                                                     "categories": [{"id": 1, "name": "building"}]}))
    return str(root)


@pytest.fixture
def calibrate_scores():
    """The script, imported here: scripts/evaluate.py (which it uses) turns GDAL exceptions on for the process."""
    used = gdal.GetUseExceptions()
    from scripts import calibrate_scores as module
    yield module
    if not used:
        gdal.DontUseExceptions()


def test_the_fitted_map_is_written_into_the_model_and_reported_on_validation(tmp_path, calibrate_scores):
    folder = shared_folder(tmp_path / "banepa_nepal")
    # A gentle sigmoid: roofs of brightness 255, 200 and 170 score about 0.98, 0.9 and 0.8.
    model = onnx_models.bright_segmentor(tmp_path / "seg.onnx", steepness=8.0)
    output, figures = tmp_path / "out" / "calibrated.onnx", tmp_path / "calibration.json"
    calibrate_scores.main([folder, "--model", model, "--detection-model", "none", "--output", str(output),
                           "--min-per-bin", "1", "--json", str(figures)])
    props = {p.key: p.value for p in onnx.load(str(output)).metadata_props}
    original = {p.key: p.value for p in onnx.load(model).metadata_props}
    assert {k: v for k, v in props.items() if k != "score_calibration"} == original
    calibration = ModelMetadata.from_props(props).score_calibration  # a valid, rising map
    result = json.loads(figures.read_text())
    assert result["score_calibration"] == calibration.knots()
    # Training: the bright roofs are all true, the 200 ones half, the 170 ones half.
    assert result["train"]["buildings"] == 6 and result["train"]["true_share"] == pytest.approx(4 / 6)
    assert calibration([0.99]) == pytest.approx([1.0]) and calibration([0.8]) == pytest.approx([0.5], abs=0.01)
    assert result["validation"]["buildings"] == 6 and result["validation"]["ece_calibrated"] < 0.05
    assert result["validation"]["ece_raw"] > 0.1

    # The plugin itself now gives the calibrated scores.
    run = run_pipeline(PipelineParams(os.path.join(folder, "images", "OAM-1-train.tif"), str(tmp_path / "b.gpkg"),
                                      str(output)))
    dataset = ogr.Open(run.output_path)
    scores = sorted(f.GetField("score") for f in dataset.GetLayerByName("buildings"))
    assert scores == pytest.approx([0.5, 0.5, 0.5, 0.5, 1.0, 1.0], abs=0.01)


def test_the_map_a_model_already_has_is_reported_beside_the_refit(tmp_path, calibrate_scores):
    folder = shared_folder(tmp_path / "banepa_nepal")
    model = onnx_models.bright_segmentor(tmp_path / "seg.onnx", steepness=8.0)
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    common = ["--detection-model", "none", "--min-per-bin", "1"]
    calibrate_scores.main([folder, "--model", model, "--output", str(tmp_path / "c1.onnx"), "--json", str(first)]
                          + common)
    assert "validation_current_map" not in json.loads(first.read_text())  # the raw model has no map
    # Refitting a calibrated model on the same images: its current map scores as the refit does.
    calibrate_scores.main([folder, "--model", str(tmp_path / "c1.onnx"), "--output", str(tmp_path / "c2.onnx"),
                           "--json", str(second)] + common)
    result = json.loads(second.read_text())
    current = result["validation_current_map"]
    assert current["buildings"] == result["validation"]["buildings"] == 6
    assert current["ece_calibrated"] == pytest.approx(result["validation"]["ece_calibrated"])
    assert current["ece_raw"] == pytest.approx(result["validation"]["ece_raw"])  # raw scores, whatever the map
