"""Training-side tests run in .venv-train (torch); they generate all their data."""
import json
import os
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


from tests.training.rasters import write_tif  # noqa: E402


@pytest.fixture
def shared_folder(tmp_path):
    """A two-image source in the shared format: one with a gt mask, one with boxes only."""
    root = tmp_path / "town_a"
    (root / "images").mkdir(parents=True)
    (root / "gt").mkdir()
    image = np.full((64, 80, 3), 90, np.uint8)
    image[10:30, 20:50] = 220
    mask = np.zeros((64, 80), np.uint8)
    mask[10:30, 20:50] = 255
    write_tif(str(root / "images" / "a1.tif"), image)
    write_tif(str(root / "gt" / "a1.tif"), mask)
    write_tif(str(root / "images" / "a2.tif"), image)
    (root / "index.csv").write_text(
        "id,width,height,bands,dtype,gsd_m,gsd_basis,crs,city,country,labels,label_quality,license,origin\n"
        "a1,80,64,3,uint8,0.5,documented,,X,Y,mask,exact,,\n"
        "a2,80,64,3,uint8,,unknown,,X,Y,boxes,boxes-noisy,,\n")
    coco = {"images": [{"id": 1, "file_name": "a2.tif", "width": 80, "height": 64}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [20, 10, 30, 20],
                             "segmentation": [[20, 10, 50, 10, 50, 30, 20, 30]], "area": 600, "iscrowd": 0}],
            "categories": [{"id": 1, "name": "building"}]}
    (root / "instances.json").write_text(json.dumps(coco))
    return str(root)


@pytest.fixture
def box_folder(tmp_path):
    """A source at 0.6 m with two buildings: one with a bbox, one with a polygon only; and a 1-px sliver."""
    root = tmp_path / "boxes_src"
    (root / "images").mkdir(parents=True)
    write_tif(str(root / "images" / "b1.tif"), np.full((50, 60, 3), 100, np.uint8))
    (root / "index.csv").write_text("id,width,height,bands,dtype,gsd_m,gsd_basis,crs,city,country,labels,"
                                    "label_quality,license,origin\nb1,60,50,3,uint8,0.6,documented,,,,boxes,,,\n")
    coco = {"images": [{"id": 1, "file_name": "b1.tif", "width": 60, "height": 50}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 5, 20, 10]},
                            {"id": 2, "image_id": 1, "category_id": 1, "segmentation": [[30, 30, 50, 30, 50, 45]]},
                            {"id": 3, "image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}],
            "categories": [{"id": 1, "name": "building"}]}
    (root / "instances.json").write_text(json.dumps(coco))
    return str(root)


@pytest.fixture
def one_torch_thread():
    """Small tensors: one thread is fastest, and two threads beside a running training crawl."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
