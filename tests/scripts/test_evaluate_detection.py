"""scripts/evaluate.py with a detection model, end to end on a generated shared-format folder."""
import json
import os

import numpy as np
import pytest
from osgeo import gdal

from tests import onnx_models
from tests.core.conftest import UTM_33N, write_raster

if os.path.isdir("/usr/share/proj"):
    os.environ.setdefault("PROJ_DATA", "/usr/share/proj")


def shared_folder(root, label_quality="exact"):
    """One georeferenced image: a yellow and a cyan roof touching, labelled as two instances."""
    (root / "images").mkdir(parents=True)
    rgb = np.zeros((3, 128, 128), np.uint8)
    rgb[0:2, 30:60, 20:50] = 255
    rgb[1:3, 30:60, 50:90] = 255
    write_raster(root / "images" / "t1.tif", rgb, (500000.0, 0.3, 0.0, 5000000.0, 0.0, -0.3), UTM_33N)
    (root / "index.csv").write_text("id,width,height,bands,dtype,gsd_m,gsd_basis,crs,city,country,labels,"
                                    "label_quality,license,origin\nt1,128,128,3,uint8,0.3,georeferencing,,,,"
                                    f"polygons,{label_quality},,\n")
    coco = {"images": [{"id": 1, "file_name": "t1.tif", "width": 128, "height": 128}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [20, 30, 30, 30],
                             "segmentation": [[20, 30, 50, 30, 50, 60, 20, 60]]},
                            {"id": 2, "image_id": 1, "category_id": 1, "bbox": [50, 30, 40, 30],
                             "segmentation": [[50, 30, 90, 30, 90, 60, 50, 60]]}],
            "categories": [{"id": 1, "name": "building"}]}
    (root / "instances.json").write_text(json.dumps(coco))
    return str(root)


@pytest.fixture
def evaluate():
    """scripts/evaluate.py, imported here: it turns on GDAL exceptions for the whole process, which the
    core's own error handling must not run under (so it is not imported at collection, and undone after)."""
    used = gdal.GetUseExceptions()
    from scripts import evaluate as module
    yield module
    if not used:
        gdal.DontUseExceptions()


def test_detection_and_fusion_metrics(tmp_path, evaluate):
    folder = shared_folder(tmp_path / "town")
    segmentor = onnx_models.bright_segmentor(tmp_path / "seg.onnx", gsd_m=0.3)  # evaluate.py asks its GSD head
    detector = onnx_models.channel_blob_detector(tmp_path / "det.onnx")
    out = tmp_path / "eval.json"
    evaluate.main([folder, "--model", segmentor, "--detection-model", detector, "--json", str(out)])
    overall = json.loads(out.read_text())["overall"]
    assert overall["box_f1"] == 1.0 and overall["box_ap50"] == 1.0
    assert overall["building_f1"] == 1.0  # the fused polygons: the touching roofs are split
    assert overall["fused_count_error_median"] == 0.0 and overall["detector_count_error_median"] == 0.0
    assert overall["count_error_median"] == 0.0 and overall["area_within_20pct"] == 1.0
    assert overall["building_precision"] == overall["building_recall"] == 1.0

    evaluate.main([folder, "--model", segmentor, "--detection-model", "none", "--json", str(out)])
    overall = json.loads(out.read_text())["overall"]
    # One blob for two buildings: it matches only the larger roof (IoU 1200/2100).
    assert "box_f1" not in overall and overall["building_f1"] == pytest.approx(2 / 3)
    # The blob (2 100 px) is 75 % larger than the roof it matches (1 200 px); one found for two: count error 50 %.
    assert overall["area_within_20pct"] == 0.0 and overall["count_error_median"] == pytest.approx(0.5)


def with_gt(folder):
    gt = np.zeros((128, 128), np.uint8)
    gt[30:60, 20:90] = 255
    os.makedirs(os.path.join(folder, "gt"))
    ds = gdal.GetDriverByName("GTiff").Create(os.path.join(folder, "gt", "t1.tif"), 128, 128, 1, gdal.GDT_Byte)
    ds.GetRasterBand(1).WriteArray(gt)
    ds = None
    return folder


@pytest.mark.parametrize("log_error, coverage", [(0.1, 0.0), (0.5, 1.0)])
def test_the_gsd_interval_coverage_counts_images_whose_true_gsd_it_holds(tmp_path, evaluate, log_error, coverage):
    folder = with_gt(shared_folder(tmp_path / "town"))
    # The head says 0.45 m/px for a 0.3 m image: exp(-0.1) * 0.45 = 0.41 misses it, exp(-0.5) * 0.45 = 0.27 holds it.
    segmentor = onnx_models.bright_segmentor(tmp_path / "seg.onnx", onnx_models.metadata(gsd_log_error=log_error),
                                             gsd_m=0.45)
    out = tmp_path / "eval.json"
    evaluate.main([folder, "--model", segmentor, "--detection-model", "none", "--json", str(out)])
    result = json.loads(out.read_text())
    assert result["overall"]["gsd_interval_coverage"] == coverage
    assert result["overall"]["iou"] == pytest.approx(1.0)
    assert list(result["gsd_bands"]) == ["GSD 0.2-0.4 m"]


def test_coarse_labels_stay_out_of_the_exact_labels_row(tmp_path, evaluate):
    exact = shared_folder(tmp_path / "town")
    coarse = shared_folder(tmp_path / "coarse_town", label_quality="coarse")
    segmentor = onnx_models.bright_segmentor(tmp_path / "seg.onnx", gsd_m=0.3)
    out = tmp_path / "eval.json"
    evaluate.main([exact, coarse, "--model", segmentor, "--detection-model", "none", "--json", str(out)])
    result = json.loads(out.read_text())
    assert result["overall"]["images"] == 2 and result["exact_labels"]["images"] == 1


def test_a_segmentor_that_detects_is_evaluated_as_its_own_detector(tmp_path, evaluate):
    folder = shared_folder(tmp_path / "town")
    both = onnx_models.detecting_segmentor(tmp_path / "both.onnx", gsd_m=0.3)
    out = tmp_path / "eval.json"
    evaluate.main([folder, "--model", both, "--detection-model", both, "--json", str(out)])
    overall = json.loads(out.read_text())["overall"]
    assert overall["box_f1"] == 1.0 and overall["building_f1"] == 1.0
