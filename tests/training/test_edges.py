"""The edge output's labels: outlines of buildings, and the line where two buildings touch."""
import json

import numpy as np

from scripts.segmentation.augment import edge_target
from scripts.segmentation.data import instance_map, load_shared_folder


def two_touching_squares():
    ids = np.zeros((20, 30), np.uint16)
    ids[5:15, 5:15] = 1
    ids[5:15, 15:25] = 2
    return ids


def test_the_line_between_two_touching_buildings_is_edge():
    edge, weight = edge_target(two_touching_squares(), np.ones((20, 30), np.uint8), "instances")
    assert edge[10, 14] and edge[10, 15]           # both sides of the shared wall
    assert edge[10, 4] and edge[10, 5]             # the outline, inside and out
    assert not edge[10, 10] and not edge[10, 20] and not edge[0, 0]
    assert weight.all()


def test_a_mask_alone_teaches_outlines_but_not_the_inside_of_blobs():
    blob = (two_touching_squares() > 0).astype(np.uint16)
    edge, weight = edge_target(blob, np.ones((20, 30), np.uint8), "outline")
    assert edge[10, 5] and not edge[10, 15]
    assert weight[10, 5] == 1 and weight[0, 0] == 1
    assert weight[10, 15] == 0                     # a hidden wall may be there


def test_box_and_coarse_labels_teach_no_edges():
    _, weight = edge_target(two_touching_squares(), np.ones((20, 30), np.uint8), "none")
    assert not weight.any()


def test_instance_map_burns_each_polygon_with_its_own_id_inside_the_mask():
    mask = np.zeros((20, 30), np.uint8)
    mask[5:15, 5:25] = 1
    anns = [{"segmentation": [[5, 5, 15, 5, 15, 15, 5, 15]]}, {"segmentation": [[15, 5, 25, 5, 25, 15, 15, 15]]}]
    ids = instance_map(mask.shape, anns, mask)
    np.testing.assert_array_equal(ids, two_touching_squares())


def test_a_polygon_source_gets_instance_ids_and_a_box_source_does_not(shared_folder, tmp_path):
    items = {it.item_id: it for it in load_shared_folder(shared_folder)}
    assert items["a1"].instances is None and items["a1"].edge_labels == "outline"
    assert items["a2"].edge_labels == "none"
    with open(f"{shared_folder}/instances.json") as f:
        coco = json.load(f)
    coco["images"].append({"id": 2, "file_name": "a1.tif", "width": 80, "height": 64})
    coco["annotations"].append({"id": 2, "image_id": 2, "category_id": 1, "bbox": [20, 10, 30, 20],
                                "segmentation": [[20, 10, 50, 10, 50, 30, 20, 30]]})
    with open(f"{shared_folder}/instances.json", "w") as f:
        json.dump(coco, f)
    a1 = {it.item_id: it for it in load_shared_folder(shared_folder)}["a1"]
    assert a1.edge_labels == "instances" and set(np.unique(a1.instances)) == {0, 1}
    np.testing.assert_array_equal(a1.instances > 0, a1.mask > 0)
