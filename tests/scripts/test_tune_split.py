"""scripts/tune_split.py end to end on a generated shared-format folder: it tunes on training images only
and writes the chosen thresholds into copies of the models, which the plugin reads back."""
import json
import os

import numpy as np
import onnx
import pytest
from osgeo import gdal

from building_area_plugin.core.model import OnnxModel
from tests import onnx_models
from tests.core.conftest import UTM_33N, write_raster

if os.path.isdir("/usr/share/proj"):
    os.environ.setdefault("PROJ_DATA", "/usr/share/proj")

ROOFS = [[20, 30, 50, 30, 50, 60, 20, 60], [52, 30, 90, 30, 90, 60, 52, 60]]


def town(root, name="town"):
    """Two white roofs with a magenta wall between them (x 50-52), labelled as two buildings."""
    folder = root / name
    (folder / "images").mkdir(parents=True)
    rgb = np.zeros((3, 128, 128), np.uint8)
    rgb[:, 30:60, 20:90] = 255
    rgb[1, 30:60, 50:52] = 0
    write_raster(folder / "images" / "t1.tif", rgb, (500000.0, 0.3, 0.0, 5000000.0, 0.0, -0.3), UTM_33N)
    (folder / "index.csv").write_text("id,width,height,bands,dtype,gsd_m,gsd_basis,crs,city,country,labels,"
                                      "label_quality,license,origin\nt1,128,128,3,uint8,0.3,georeferencing,,,,"
                                      "polygons,exact,,\n")
    coco = {"images": [{"id": 1, "file_name": "t1.tif", "width": 128, "height": 128}],
            "annotations": [{"id": i + 1, "image_id": 1, "category_id": 1, "segmentation": [ring]}
                            for i, ring in enumerate(ROOFS)],
            "categories": [{"id": 1, "name": "building"}]}
    (folder / "instances.json").write_text(json.dumps(coco))
    return str(folder)


@pytest.fixture
def tune_split():
    """The script, imported here: scripts/evaluate.py (which it uses) turns on GDAL exceptions for the process."""
    used = gdal.GetUseExceptions()
    from scripts import tune_split as module
    yield module
    if not used:
        gdal.DontUseExceptions()


def test_the_chosen_thresholds_split_the_roofs_and_land_in_the_models_metadata(tmp_path, tune_split, capsys):
    segmentor = onnx_models.bright_segmentor(tmp_path / "seg.onnx", edge=True)
    detector = onnx_models.channel_blob_detector(tmp_path / "det.onnx", channels=(0,))
    out = tmp_path / "tune.json"
    tuned_seg, tuned_det = tmp_path / "seg_tuned.onnx", tmp_path / "det_tuned.onnx"
    tune_split.main([town(tmp_path), "--model", segmentor, "--detection-model", detector, "--json", str(out),
                     "--write-segmentation", str(tuned_seg), "--write-detection", str(tuned_det)])
    result = json.loads(out.read_text())
    ignored = result["segmentation_alone"][0]
    # One blob for two roofs matches only the larger one (IoU 38 x 30 / 70 x 30).
    assert ignored["settings"] == {"edges": "ignored"} and ignored["overall"]["building_f1"] == pytest.approx(2 / 3)
    best = max(row["overall"]["building_f1"] for row in result["segmentation_alone"])
    assert best == 1.0 and result["images"] == 1
    assert len(result["with_detector"]) == len(tune_split.NMS_IOUS) * len(tune_split.MIN_SCORES)

    meta = OnnxModel(str(tuned_seg)).metadata
    chosen = next(row["settings"] for row in result["segmentation_alone"] if row["overall"]["building_f1"] == 1.0)
    assert meta.edge_output == "edge" and meta.resolution_cm == 30  # the rest of the metadata is kept
    assert (meta.split_edge_thresh, meta.split_wall_prob, meta.split_seed_prob, meta.split_min_seed_m2) == (
        chosen["split_edge_thresh"], chosen["split_wall_prob"], chosen["split_seed_prob"], chosen["split_min_seed_m2"])
    detector_meta = OnnxModel(str(tuned_det)).metadata
    assert detector_meta.det_iou_thresh in tune_split.NMS_IOUS
    assert detector_meta.fusion_min_score in tune_split.MIN_SCORES
    assert "chosen (with the detector)" in capsys.readouterr().out


def test_a_segmentor_that_detects_gets_both_sets_of_keys_in_one_file(tmp_path, tune_split):
    both = onnx_models.detecting_segmentor(tmp_path / "both.onnx", edge=True)
    tuned, unused = tmp_path / "both_tuned.onnx", tmp_path / "det_tuned.onnx"
    out = tmp_path / "tune.json"
    tune_split.main([town(tmp_path), "--model", both, "--detection-model", both, "--json", str(out),
                     "--write-segmentation", str(tuned), "--write-detection", str(unused)])
    chosen = json.loads(out.read_text())["with_detector"]
    meta, keys = OnnxModel(str(tuned)).metadata, {p.key for p in onnx.load(str(tuned)).metadata_props}
    assert meta.detection_output == "boxes" and set(tune_split.SPLIT_KEYS) - {"split_max_gsd_m"} <= keys
    assert set(tune_split.DETECTION_KEYS) <= keys
    assert meta.det_iou_thresh in tune_split.NMS_IOUS and meta.fusion_min_score in tune_split.MIN_SCORES
    assert {"det_iou_thresh": meta.det_iou_thresh, "fusion_min_score": meta.fusion_min_score}.items() <= next(
        row["settings"] for row in chosen if row["settings"]["det_iou_thresh"] == meta.det_iou_thresh
        and row["settings"]["fusion_min_score"] == meta.fusion_min_score).items()
    assert not unused.exists()


def test_validation_images_are_never_used(tmp_path, tune_split, capsys):
    # banepa_nepal's easternmost tile column (ids OAM-386695-*) is held out for validation.
    folder = town(tmp_path, "banepa_nepal")
    os.rename(os.path.join(folder, "images", "t1.tif"), os.path.join(folder, "images", "OAM-386695-1.tif"))
    index = os.path.join(folder, "index.csv")
    with open(index) as f:
        text = f.read().replace("\nt1,", "\nOAM-386695-1,")
    with open(index, "w") as f:
        f.write(text)
    coco_path = os.path.join(folder, "instances.json")
    coco = json.loads(open(coco_path).read())
    coco["images"][0]["file_name"] = "OAM-386695-1.tif"
    with open(coco_path, "w") as f:
        json.dump(coco, f)
    segmentor = onnx_models.bright_segmentor(tmp_path / "seg.onnx", edge=True)
    with pytest.raises(SystemExit):
        tune_split.main([folder, "--model", segmentor, "--detection-model", "none"])
    assert "no training images" in capsys.readouterr().err
