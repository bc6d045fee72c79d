"""scripts/measure_regularize.py on a generated shared-format folder: a slanted L, labelled."""
import json
import os

import cv2
import numpy as np
import pytest
from osgeo import gdal

from tests import onnx_models
from tests.core.conftest import UTM_33N, write_raster
from tests.core.test_regularize import L_SHAPE_PX, turned

if os.path.isdir("/usr/share/proj"):
    os.environ.setdefault("PROJ_DATA", "/usr/share/proj")


def l_folder(root):
    (root / "images").mkdir(parents=True)
    corners = turned(L_SHAPE_PX, 30)
    mask = np.zeros((200, 200), np.uint8)
    cv2.fillPoly(mask, [np.round(corners * 16).astype(np.int32)], 255, shift=4)
    write_raster(root / "images" / "l.tif", np.repeat(mask[None], 3, axis=0),
                 (500000.0, 0.3, 0.0, 5000000.0, 0.0, -0.3), UTM_33N)
    (root / "index.csv").write_text("id,width,height,bands,dtype,gsd_m,gsd_basis,crs,city,country,labels,"
                                    "label_quality,license,origin\nl,200,200,3,uint8,0.3,georeferencing,,,,"
                                    "polygons,exact,,\n")
    coco = {"images": [{"id": 1, "file_name": "l.tif", "width": 200, "height": 200}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1],
                             "segmentation": [corners.ravel().tolist()]}],
            "categories": [{"id": 1, "name": "building"}]}
    (root / "instances.json").write_text(json.dumps(coco))
    return str(root)


@pytest.fixture
def measure_regularize():
    """The script, imported here: scripts/evaluate.py (which it uses) turns GDAL exceptions on for the process."""
    used = gdal.GetUseExceptions()
    from scripts import measure_regularize as module
    yield module
    if not used:
        gdal.DontUseExceptions()


def test_a_slanted_l_changes_little_and_still_matches_its_label(tmp_path, measure_regularize):
    folder = l_folder(tmp_path / "town")
    model = onnx_models.bright_segmentor(tmp_path / "seg.onnx")
    out = tmp_path / "regularize.json"
    measure_regularize.main([folder, "--split", "all", "--model", model, "--detection-model", "none",
                             "--json", str(out)])
    figures = json.loads(out.read_text())["sources"]["overall"]
    assert (figures["images"], figures["buildings"], figures["kept_as_found_share"]) == (1, 1, 0.0)
    assert abs(figures["area_change_median_pct"]) < 2.0
    assert figures["building_f1_mask"] == figures["building_f1_regularized"] == 1.0
    assert figures["area20_regularized"] == 1.0
    assert figures["ms_per_building"] > 0
