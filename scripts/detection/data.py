"""Building boxes for the detector: the shared folders' instances.json, resampled to the model's GSD.

Boxes come from per-building labels only (COCO ``bbox``, or the bounding box of the
``segmentation`` polygons where a bbox is missing), never from merged mask blobs. Images
are resampled once, at load, to the native GSD (0.3 m, the segmentation model's), so that
crops only add a small scale jitter. Sources without a GSD are left out (their building
sizes would teach the wrong scale).

Noisy box sets: ``BoxFilter`` drops training boxes under ``min_box_m`` on a side or thinner
than ``max_aspect`` (slivers and clipped fragments) and counts what it removes. It applies to
training items only: validation keeps the labels as given, so that runs with and without the
filter are scored against the same boxes.
"""
import csv
import json
import math
import os
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

from scripts.segmentation.data import _image_path, is_validation, read_rgb, resize_to_gsd

PAD_VALUE = 114  # grey for the parts of a crop outside the image


@dataclass
class BoxItem:
    source: str
    item_id: str
    image: np.ndarray                 # uint8 [H, W, 3] at the native GSD
    boxes: np.ndarray                 # float32 [n, 4] xyxy in pixels of ``image``
    gsd_m: float                      # the image's GSD before resampling


@dataclass
class BoxFilter:
    min_box_m: float = 1.5
    max_aspect: float = 8.0        # 0 keeps boxes of any aspect
    dropped: Dict[str, int] = field(default_factory=lambda: {"small": 0, "thin": 0})

    def apply(self, boxes: np.ndarray, gsd_m: float) -> np.ndarray:
        if len(boxes) == 0:
            return boxes
        w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
        small = np.minimum(w, h) * gsd_m < self.min_box_m
        elongated = np.maximum(w, h) > self.max_aspect * np.maximum(np.minimum(w, h), 1e-6)
        thin = ~small & elongated & (self.max_aspect > 0)
        self.dropped["small"] += int(small.sum())
        self.dropped["thin"] += int(thin.sum())
        return boxes[~small & ~thin]

    def apply_to_items(self, items: List["BoxItem"], native_gsd_m: float) -> List["BoxItem"]:
        return [replace(item, boxes=self.apply(item.boxes, native_gsd_m)) for item in items]


def annotation_box(ann: dict) -> Optional[List[float]]:
    """xyxy of an annotation: its bbox, else the bounds of its polygons."""
    if ann.get("bbox") and len(ann["bbox"]) == 4 and ann["bbox"][2] > 0 and ann["bbox"][3] > 0:
        x, y, w, h = ann["bbox"]
        return [x, y, x + w, y + h]
    coords = [c for ring in ann.get("segmentation") or [] if isinstance(ring, list) for c in ring]
    if len(coords) < 6:
        return None
    xs, ys = coords[0::2], coords[1::2]
    return [min(xs), min(ys), max(xs), max(ys)]


def boxes_by_file(instances_path: str) -> Dict[str, np.ndarray]:
    with open(instances_path) as f:
        coco = json.load(f)
    names = {img["id"]: img["file_name"] for img in coco["images"]}
    boxes: Dict[str, List[List[float]]] = {name: [] for name in names.values()}
    for ann in coco["annotations"]:
        box = annotation_box(ann)
        if box is not None and not ann.get("iscrowd"):
            boxes[names[ann["image_id"]]].append(box)
    return {name: np.asarray(b, np.float32).reshape(-1, 4) for name, b in boxes.items()}


def load_box_folder(folder: str, native_gsd_m: float) -> List[BoxItem]:
    """One shared-format source with instances.json; images without a GSD are skipped."""
    instances = os.path.join(folder, "instances.json")
    if not os.path.exists(instances):
        return []
    source = os.path.basename(os.path.normpath(folder))
    boxes = boxes_by_file(instances)
    items = []
    with open(os.path.join(folder, "index.csv")) as f:
        for row in csv.DictReader(f):
            if not row.get("gsd_m"):
                continue
            gsd = float(row["gsd_m"].split("-")[0])
            path = _image_path(folder, row["id"])
            item_boxes = boxes.get(os.path.basename(path), boxes.get(row["id"] + ".tif"))
            if item_boxes is None:
                continue
            scale = gsd / native_gsd_m
            image = read_rgb(path)
            if abs(scale - 1) > 0.02:
                image = resize_to_gsd(image, scale)
            items.append(BoxItem(source, row["id"], image, item_boxes * scale, gsd))
    return items


def load_box_sources(folders: List[str], native_gsd_m: float = 0.3) -> List[BoxItem]:
    return [item for folder in folders for item in load_box_folder(folder, native_gsd_m)]


def split_box_items(items: List[BoxItem]) -> Tuple[List[BoxItem], List[BoxItem]]:
    """The segmentation model's validation areas (whole areas, never crops of a training image)."""
    train = [it for it in items if not is_validation(it.source, it.item_id)]
    val = [it for it in items if is_validation(it.source, it.item_id)]
    return train, val


@dataclass(frozen=True)
class AugmentConfig:
    tile: int = 512
    scale_jitter: float = 0.3      # log2 range of the scale jitter around the native GSD
    mosaic_prob: float = 1.0
    mixup_prob: float = 0.5
    min_visible: float = 0.4       # a box cut by the crop keeps at least this share of its area
    hsv_gain: Tuple[float, float, float] = (0.015, 0.5, 0.3)


def crop(item: BoxItem, size: Tuple[int, int], scale: float, rng: np.random.Generator, min_visible: float
         ) -> Tuple[np.ndarray, np.ndarray]:
    """A (h, w) crop of the item resampled by ``scale`` at a random place, padded grey; boxes xyxy in the crop."""
    out_h, out_w = size
    win_w, win_h = out_w / scale, out_h / scale
    h, w = item.image.shape[:2]
    x0 = rng.uniform(min(0.0, w - win_w), max(0.0, w - win_w))
    y0 = rng.uniform(min(0.0, h - win_h), max(0.0, h - win_h))
    # Affine crop: output pixel (u, v) samples source (x0 + u / scale, y0 + v / scale).
    matrix = np.array([[scale, 0, -x0 * scale], [0, scale, -y0 * scale]], np.float32)
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    image = cv2.warpAffine(item.image, matrix, (out_w, out_h), flags=interpolation,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=(PAD_VALUE,) * 3)
    boxes = (item.boxes - np.array([x0, y0, x0, y0], np.float32)) * scale
    return image, clip_boxes(boxes, out_w, out_h, min_visible)


def clip_boxes(boxes: np.ndarray, width: float, height: float, min_visible: float) -> np.ndarray:
    if len(boxes) == 0:
        return boxes.reshape(0, 4)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    clipped = np.stack([boxes[:, 0].clip(0, width), boxes[:, 1].clip(0, height),
                        boxes[:, 2].clip(0, width), boxes[:, 3].clip(0, height)], 1)
    visible = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1])
    keep = (visible >= min_visible * np.maximum(area, 1e-6)) & (clipped[:, 2] - clipped[:, 0] >= 2) \
        & (clipped[:, 3] - clipped[:, 1] >= 2)
    return clipped[keep].astype(np.float32)


def flip_rotate(image: np.ndarray, boxes: np.ndarray, rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """Random horizontal flip and quarter turn: aerial images have no 'up'."""
    h, w = image.shape[:2]
    if rng.random() < 0.5:
        image = image[:, ::-1]
        boxes = np.stack([w - boxes[:, 2], boxes[:, 1], w - boxes[:, 0], boxes[:, 3]], 1)
    if rng.random() < 0.5 and h == w:
        image = np.rot90(image)  # counter-clockwise: (x, y) -> (y, w - x)
        boxes = np.stack([boxes[:, 1], w - boxes[:, 2], boxes[:, 3], w - boxes[:, 0]], 1)
    return np.ascontiguousarray(image), boxes.astype(np.float32).reshape(-1, 4)


def hsv_jitter(image: np.ndarray, gains: Tuple[float, float, float], rng: np.random.Generator) -> np.ndarray:
    r = rng.uniform(-1, 1, 3) * np.asarray(gains) + 1
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] * r[0]) % 180
    hsv[..., 1:] = np.clip(hsv[..., 1:] * r[1:], 0, 255)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)


class DetectionSampler:
    """Training samples: a plain crop, or a mosaic of four; optionally mixed up with a second sample."""

    def __init__(self, items: List[BoxItem], cfg: AugmentConfig, seed: int = 0):
        if not items:
            raise ValueError("no training images with boxes")
        self.items = items
        self.cfg = cfg
        self.rng = np.random.default_rng(seed)
        # Images with more buildings are drawn more often, but every image gets a chance.
        weights = np.array([1.0 + math.sqrt(len(it.boxes)) for it in items])
        self.p = weights / weights.sum()
        self.strong = True  # mosaic and mixup; switched off for the last epochs

    def _scale(self) -> float:
        return 2 ** self.rng.uniform(-self.cfg.scale_jitter, self.cfg.scale_jitter)

    def _item(self) -> BoxItem:
        return self.items[int(self.rng.choice(len(self.items), p=self.p))]

    def plain(self) -> Tuple[np.ndarray, np.ndarray]:
        t = self.cfg.tile
        return crop(self._item(), (t, t), self._scale(), self.rng, self.cfg.min_visible)

    def mosaic(self) -> Tuple[np.ndarray, np.ndarray]:
        """Four crops around a random centre, each at its own scale jitter."""
        t = self.cfg.tile
        cx, cy = (int(self.rng.uniform(0.25, 0.75) * t) for _ in range(2))
        canvas = np.full((t, t, 3), PAD_VALUE, np.uint8)
        all_boxes = []
        for x0, y0, x1, y1 in ((0, 0, cx, cy), (cx, 0, t, cy), (0, cy, cx, t), (cx, cy, t, t)):
            if x1 - x0 < 8 or y1 - y0 < 8:
                continue
            image, boxes = crop(self._item(), (y1 - y0, x1 - x0), self._scale(), self.rng, self.cfg.min_visible)
            canvas[y0:y1, x0:x1] = image
            all_boxes.append(boxes + np.array([x0, y0, x0, y0], np.float32))
        return canvas, np.concatenate(all_boxes) if all_boxes else np.zeros((0, 4), np.float32)

    def sample(self) -> Tuple[np.ndarray, np.ndarray]:
        """uint8 [T, T, 3] and xyxy boxes [n, 4]."""
        if self.strong and self.rng.random() < self.cfg.mosaic_prob:
            image, boxes = self.mosaic()
        else:
            image, boxes = self.plain()
        if self.strong and self.rng.random() < self.cfg.mixup_prob:
            other, other_boxes = self.plain()
            image = ((image.astype(np.float32) + other.astype(np.float32)) / 2).astype(np.uint8)
            boxes = np.concatenate([boxes, other_boxes])
        image, boxes = flip_rotate(image, boxes, self.rng)
        return hsv_jitter(image, self.cfg.hsv_gain, self.rng), boxes

    def batch(self, n: int, mean: np.ndarray, std: np.ndarray):
        """Standardized images float32 [n, 3, T, T] and targets [(class, cx, cy, w, h) per box] per image."""
        images, targets = [], []
        for _ in range(n):
            image, boxes = self.sample()
            images.append(standardize(image, mean, std))
            targets.append(to_targets(boxes))
        return np.stack(images), targets


def standardize(image: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """uint8 HWC -> float32 CHW, as the plugin feeds the ONNX model: (x / 255 - mean) / std."""
    return ((image.astype(np.float32) / 255.0 - mean) / std).transpose(2, 0, 1)


def to_targets(boxes: np.ndarray) -> np.ndarray:
    """xyxy [n, 4] -> [n, 5] (class 0, cx, cy, w, h)."""
    boxes = boxes.reshape(-1, 4)
    out = np.zeros((len(boxes), 5), np.float32)
    out[:, 1] = (boxes[:, 0] + boxes[:, 2]) / 2
    out[:, 2] = (boxes[:, 1] + boxes[:, 3]) / 2
    out[:, 3] = boxes[:, 2] - boxes[:, 0]
    out[:, 4] = boxes[:, 3] - boxes[:, 1]
    return out


def validation_crops(items: List[BoxItem], tile: int, per_image: int = 2, seed: int = 1):
    """Fixed crops (no jitter) of the validation images: (uint8 image, xyxy boxes)."""
    rng = np.random.default_rng(seed)
    crops = []
    for item in items:
        for _ in range(per_image):
            crops.append(crop(item, (tile, tile), 1.0, rng, 0.6))
    return crops
