"""Labelled imagery for training: the shared folder format, the Inria layout, GeoTIFF + vector labels.

Training images are small enough to hold in memory; the plugin itself never does this.
"""
import csv
import json
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import cv2
import numpy as np
from osgeo import gdal, ogr

gdal.UseExceptions()

INRIA_GSD_M = 0.3
# Box labels cover roof corners and a little ground: only their core is trusted as building,
# the ring between core and box edge is left out of the loss.
BOX_CORE_FRACTION = 0.7


@dataclass
class Item:
    source: str
    item_id: str
    image: np.ndarray                 # uint8 [H, W, 3]
    mask: np.ndarray                  # uint8 [H, W], 1 = building
    weight: np.ndarray                # uint8 [H, W], 0 = ignored by the mask loss
    gsd_m: Optional[float]            # None: unknown, trains the mask only
    label_quality: str = "exact"      # exact | coarse | boxes
    boxes: List[List[float]] = field(default_factory=list)  # COCO [x, y, w, h] in pixels
    # uint16 [H, W] building ids from per-building polygons (0 = none); None: only the mask is known,
    # so touching buildings are one blob and the edges between them are unknown.
    instances: Optional[np.ndarray] = None

    @property
    def edge_labels(self) -> str:
        """How far the edge output can learn from this item: 'instances', 'outline' or 'none'."""
        if self.label_quality != "exact":
            return "none"
        return "instances" if self.instances is not None else "outline"


def read_rgb(path: str) -> np.ndarray:
    ds = gdal.Open(path)
    bands = [ds.GetRasterBand(i + 1).ReadAsArray() for i in range(min(3, ds.RasterCount))]
    while len(bands) < 3:
        bands.append(bands[0])
    return np.ascontiguousarray(np.stack(bands, axis=-1).astype(np.uint8))


def read_mask(path: str) -> np.ndarray:
    ds = gdal.Open(path)  # keep a reference: a band outlives its dataset only in C, not in Python
    return (ds.GetRasterBand(1).ReadAsArray() > 127).astype(np.uint8)


def box_pseudo_mask(shape, boxes: List[List[float]]):
    """Mask and loss weight from building boxes: box cores are building, box rims are ignored."""
    mask = np.zeros(shape, np.uint8)
    weight = np.ones(shape, np.uint8)
    for x, y, w, h in boxes:
        x0, y0, x1, y1 = int(round(x)), int(round(y)), int(round(x + w)), int(round(y + h))
        weight[y0:y1, x0:x1] = 0
    for x, y, w, h in boxes:
        dx, dy = w * (1 - BOX_CORE_FRACTION) / 2, h * (1 - BOX_CORE_FRACTION) / 2
        x0, y0 = int(round(x + dx)), int(round(y + dy))
        x1, y1 = int(round(x + w - dx)), int(round(y + h - dy))
        mask[y0:y1, x0:x1] = 1
        weight[y0:y1, x0:x1] = 1
    return mask, weight


def _annotations_by_file(instances_path: str) -> Dict[str, List[dict]]:
    with open(instances_path) as f:
        coco = json.load(f)
    names = {img["id"]: img["file_name"] for img in coco["images"]}
    anns: Dict[str, List[dict]] = {name: [] for name in names.values()}
    for ann in coco["annotations"]:
        anns[names[ann["image_id"]]].append(ann)
    return anns


def instance_map(shape, annotations: List[dict], mask: np.ndarray) -> np.ndarray:
    """Building ids (1..n) burnt from COCO pixel polygons, limited to the mask (which keeps holes).

    Pixel-centre rule as the shared gt: corner coordinates move by half a pixel to centres.
    """
    ids = np.zeros(shape, np.uint16)
    for n, ann in enumerate(annotations, start=1):
        rings = [np.round((np.asarray(r, np.float64).reshape(-1, 2) - 0.5) * 16).astype(np.int32)
                 for r in ann.get("segmentation") or [] if len(r) >= 6]
        if rings:
            cv2.fillPoly(ids, rings, n, lineType=cv2.LINE_8, shift=4)
    return ids * (mask > 0)


def _image_path(folder: str, item_id: str) -> str:
    for ext in (".tif", ".tiff", ".jpg", ".png"):
        path = os.path.join(folder, "images", item_id + ext)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"no image for {item_id} in {folder}/images")


def load_shared_folder(folder: str) -> List[Item]:
    """One source in the shared format (images/, gt/, optional instances.json, index.csv)."""
    source = os.path.basename(os.path.normpath(folder))
    instances = os.path.join(folder, "instances.json")
    anns = _annotations_by_file(instances) if os.path.exists(instances) else {}
    items = []
    with open(os.path.join(folder, "index.csv")) as f:
        for row in csv.DictReader(f):
            image_path = _image_path(folder, row["id"])
            image = read_rgb(image_path)
            gt_path = os.path.join(folder, "gt", row["id"] + ".tif")
            item_anns = anns.get(os.path.basename(image_path), anns.get(row["id"] + ".tif", []))
            item_boxes = [a["bbox"] for a in item_anns]
            instances = None
            if os.path.exists(gt_path):
                mask = read_mask(gt_path)
                weight = np.ones_like(mask)
                quality = "coarse" if row.get("label_quality") == "coarse" else "exact"
                if any(a.get("segmentation") for a in item_anns):
                    instances = instance_map(mask.shape, item_anns, mask)
            elif item_boxes:
                mask, weight = box_pseudo_mask(image.shape[:2], item_boxes)
                quality = "boxes"
            else:
                continue
            gsd = float(row["gsd_m"]) if row.get("gsd_m") else None
            items.append(Item(source, row["id"], image, mask, weight, gsd, quality, item_boxes, instances))
    return items


def load_inria_folder(root: str) -> List[Item]:
    """The original Inria layout: AerialImageDataset/train/{images,gt}/<city><n>.tif at 0.3 m."""
    train = os.path.join(root, "AerialImageDataset", "train")
    if not os.path.isdir(train):
        train = os.path.join(root, "train")
    items = []
    for name in sorted(os.listdir(os.path.join(train, "images"))):
        item_id = os.path.splitext(name)[0]
        mask = read_mask(os.path.join(train, "gt", name))
        items.append(Item("inria_" + re.sub(r"\d+$", "", item_id), item_id,
                          read_rgb(os.path.join(train, "images", name)), mask, np.ones_like(mask), INRIA_GSD_M))
    return items


def rasterize_vector_labels(image_path: str, vector_path: str) -> np.ndarray:
    """Burn building polygons (any OGR vector, reprojected by GDAL) onto the image's grid."""
    src = gdal.Open(image_path)
    target = gdal.GetDriverByName("MEM").Create("", src.RasterXSize, src.RasterYSize, 1, gdal.GDT_Byte)
    target.SetGeoTransform(src.GetGeoTransform())
    target.SetProjection(src.GetProjection())
    vec = ogr.Open(vector_path)
    for i in range(vec.GetLayerCount()):
        gdal.RasterizeLayer(target, [1], vec.GetLayer(i), burn_values=[1])
    return target.GetRasterBand(1).ReadAsArray().astype(np.uint8)


def load_vector_labelled(image_path: str, vector_path: str) -> Item:
    from building_area_plugin.core.gsd import gsd_from_georeferencing
    ds = gdal.Open(image_path)
    gsd = gsd_from_georeferencing(ds.GetProjection(), ds.GetGeoTransform(), ds.RasterXSize, ds.RasterYSize)
    mask = rasterize_vector_labels(image_path, vector_path)
    return Item("vector_" + os.path.basename(os.path.dirname(os.path.abspath(image_path))),
                os.path.splitext(os.path.basename(image_path))[0], read_rgb(image_path), mask,
                np.ones_like(mask), gsd.mean_m if gsd else None)


# Validation holds out whole areas, never crops of a training image.
VALIDATION_RULES = {
    "banepa_nepal": lambda i: i.startswith("OAM-386695-"),            # the easternmost tile column
    "drone_turkey_labelme": lambda i: int(i.rsplit("_", 1)[1]) >= 7600,  # the end of the flight
    "dubai_aerial": lambda i: i.startswith("dubai_tile8_"),
    "austin_inria": lambda i: i in ("austin1_7", "austin1_8"),
    "massachusetts_gdl": lambda i: i == "23429155_15",
    "new_brunswick_gdl": lambda i: i.endswith("2of2"),
    "quebec_gdl": lambda i: i == "quebec_tiled_2",
    "vegas_spacenet2": lambda i: True,                                 # a city never trained on
    "kitsap_inria_1p5m": lambda i: True,                               # 1.5 m, a scale never trained on
    "roboflow_buildings_boxes": lambda i: i.startswith(("chicago", "Mekele")),
    "christchurch_whu_aerial": lambda i: True,                         # a city never trained on
    "crowdai_samples": lambda i: i in ("crowdai_5", "crowdai_6"),
    # Inria pieces: whole tiles on one side (SOURCE.md: no kept austin1 piece overlaps austin_inria);
    # kitsap8 goes with kitsap_inria_1p5m, which may show the same ground.
    "inria_samples": lambda i: i.startswith(("chicago1_", "vienna2_", "kitsap8_")),
    "potsdam_isprs": lambda i: i == "top_potsdam_7_9",
    "spacenet_samples": lambda i: "Khartoum" in i,
    "whu_east_asia": lambda i: i in ("whu_sat2_1_5613", "whu_sat2_1_5802"),
    "whu_satellite_samples": lambda i: i in ("whu_sat1_cairo", "whu_sat1_santiago", "whu_sat1_venice"),
    "xiamen_robosat": lambda i: i.startswith("xiamen_z18_217083_"),  # the eastern column of sections
}


def is_validation(source: str, item_id: str) -> bool:
    rule = VALIDATION_RULES.get(source)
    return bool(rule and rule(item_id))


def load_sources(folders: List[str]) -> List[Item]:
    items: List[Item] = []
    for folder in folders:
        if os.path.exists(os.path.join(folder, "index.csv")):
            items.extend(load_shared_folder(folder))
        else:
            items.extend(load_inria_folder(folder))
    return items


def split_items(items: List[Item]):
    train = [it for it in items if not is_validation(it.source, it.item_id)]
    val = [it for it in items if is_validation(it.source, it.item_id)]
    return train, val


def resize_to_gsd(image: np.ndarray, scale: float, interpolation=None) -> np.ndarray:
    """Real resampling: area averaging when shrinking (a GSD head must not learn aliasing)."""
    h, w = image.shape[:2]
    size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
    if interpolation is None:
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interpolation)
