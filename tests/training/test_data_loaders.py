import json
import os

import numpy as np
import pytest

from scripts.segmentation.augment import SamplingConfig, choose_scale, crop_at_scale, fixed_gsd_crops
from scripts.segmentation.data import (Item, box_pseudo_mask, is_validation, load_inria_folder,
                                       load_shared_folder, load_vector_labelled)
from tests.training.rasters import write_tif


def test_shared_folder_reads_masks_gsd_and_box_pseudo_masks(shared_folder):
    items = {it.item_id: it for it in load_shared_folder(shared_folder)}
    assert items["a1"].mask.sum() == 20 * 30 and items["a1"].gsd_m == 0.5
    assert items["a1"].label_quality == "exact"
    boxed = items["a2"]
    assert boxed.label_quality == "boxes" and boxed.gsd_m is None
    assert boxed.mask[20, 35] == 1 and boxed.weight[20, 35] == 1       # box core: building
    assert boxed.weight[10, 20] == 0                                   # box rim: ignored
    assert boxed.mask[50, 5] == 0 and boxed.weight[50, 5] == 1          # outside: background


def test_box_pseudo_mask_core_is_inside_the_box():
    mask, weight = box_pseudo_mask((100, 100), [[10, 10, 40, 20]])
    ys, xs = np.nonzero(mask)
    assert xs.min() >= 10 and xs.max() < 50 and ys.min() >= 10 and ys.max() < 30
    assert weight[:10].all() and not weight[10:30, 10:50][~mask[10:30, 10:50].astype(bool)].any()


def test_inria_layout_is_read_at_0_3_m(tmp_path):
    train = tmp_path / "AerialImageDataset" / "train"
    (train / "images").mkdir(parents=True)
    (train / "gt").mkdir()
    write_tif(str(train / "images" / "vienna1.tif"), np.zeros((32, 32, 3), np.uint8))
    gt = np.zeros((32, 32), np.uint8)
    gt[:8] = 255
    write_tif(str(train / "gt" / "vienna1.tif"), gt)
    (item,) = load_inria_folder(str(tmp_path))
    assert item.gsd_m == 0.3 and item.source == "inria_vienna" and item.mask.sum() == 8 * 32


def test_vector_labels_are_rasterized_onto_the_image_grid(tmp_path):
    image = str(tmp_path / "ortho.tif")
    write_tif(image, np.zeros((100, 100, 3), np.uint8), epsg=32633, gt=(500000, 0.5, 0, 5000000, 0, -0.5))
    square = {"type": "Polygon", "coordinates": [[[500010, 4999990], [500020, 4999990], [500020, 4999980],
                                                  [500010, 4999980], [500010, 4999990]]]}
    vector = tmp_path / "buildings.geojson"
    vector.write_text(json.dumps({"type": "FeatureCollection", "crs": {"type": "name", "properties": {
        "name": "urn:ogc:def:crs:EPSG::32633"}}, "features": [{"type": "Feature", "properties": {},
                                                               "geometry": square}]}))
    item = load_vector_labelled(image, str(vector))
    assert item.mask.sum() == 20 * 20                      # 10 m x 10 m at 0.5 m
    assert item.mask[20:40, 20:40].all()
    assert abs(item.gsd_m - 0.5) < 0.01


def test_validation_split_holds_out_whole_areas():
    assert is_validation("banepa_nepal", "OAM-386695-220241-19")
    assert not is_validation("banepa_nepal", "OAM-386690-220241-19")
    assert is_validation("vegas_spacenet2", "anything")
    assert not is_validation("unknown_source", "x")


def test_inria_pieces_stay_on_one_side_of_the_split_by_tile():
    assert is_validation("inria_samples", "chicago1_y0_x0") and is_validation("inria_samples", "chicago1_y4608_x0")
    assert not is_validation("inria_samples", "austin1_y256_x0") and not is_validation("inria_samples", "tyrol-w2_y1")
    assert is_validation("christchurch_whu_aerial", "whu_aerial_38")


def _item(gsd):
    img = np.zeros((600, 600, 3), np.uint8)
    return Item("s", "i", img, np.zeros((600, 600), np.uint8), np.ones((600, 600), np.uint8), gsd)


def test_gsd_crops_only_downsample_or_upsample_mildly():
    cfg = SamplingConfig(gsd_mode_prob=1.0)
    rng = np.random.default_rng(0)
    for _ in range(200):
        scale, gsd, _ = choose_scale(_item(0.5), cfg, rng)
        assert scale <= cfg.max_upsample + 1e-9 and cfg.gsd_min_m <= gsd <= cfg.gsd_max_m + 1e-9
        assert abs(0.5 / scale - gsd) < 1e-9


def test_crop_at_scale_pads_with_ignored_pixels():
    item = _item(0.3)
    item.mask[:] = 1
    crop = crop_at_scale(item, 0.25, 256, np.random.default_rng(0))
    assert crop.image.shape == (256, 256, 3) and crop.mask.shape == crop.weight.shape == crop.ids.shape == (256, 256)
    assert crop.weight[:150, :150].all() and not crop.weight[200:, 200:].any()


def test_native_gsd_crops_keep_the_images_own_resolution():
    cfg = SamplingConfig(gsd_mode_prob=1.0, gsd_native_prob=1.0)
    rng = np.random.default_rng(0)
    for _ in range(50):
        scale, gsd, _ = choose_scale(_item(0.13), cfg, rng)
        assert 2 ** -cfg.gsd_native_jitter - 1e-9 <= scale <= 2 ** cfg.gsd_native_jitter + 1e-9
        assert gsd == pytest.approx(0.13 / scale)


def test_without_native_crops_the_random_stream_is_unchanged():
    # A run resumed with the default must draw the same crops as before the option existed.
    old, new = np.random.default_rng(4), np.random.default_rng(4)
    for _ in range(50):
        choose_scale(_item(0.5), SamplingConfig(gsd_native_prob=0.0), new)
    for _ in range(50):
        if old.random() < SamplingConfig().gsd_mode_prob:
            lo = max(0.1, 0.5 / 1.25)
            old.uniform(np.log(lo), np.log(2.0))
        else:
            old.uniform(-0.35, 0.35)
    assert old.random() == new.random()


def test_gsd_validation_crops_are_at_native_resolution_and_know_their_gsd():
    items = [_item(0.13), _item(None), _item(0.5)]
    items[2] = Item("t", "j", items[2].image, items[2].mask, items[2].weight, 0.5)
    crops = fixed_gsd_crops(items, SamplingConfig(tile=64), per_source=3)
    assert [(s, c.gsd) for s, c in crops] == [("s", 0.13)] * 3 + [("t", 0.5)] * 3
    assert all(c.image.shape == (64, 64, 3) for _, c in crops)
