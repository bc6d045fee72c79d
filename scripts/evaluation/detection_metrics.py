"""Detection metrics (numpy only, shared by scripts/evaluate.py and the detector's training):
box precision, recall, F1 and AP at IoU >= 0.5, and building-count errors per image."""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

BoxResult = Tuple[np.ndarray, np.ndarray, np.ndarray]  # (pred xyxy [n, 4], score [n], true xyxy [m, 4])


def box_iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU [len(a), len(b)] of xyxy boxes."""
    a, b = np.asarray(a, float).reshape(-1, 4), np.asarray(b, float).reshape(-1, 4)
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area_a = np.clip(a[:, 2:] - a[:, :2], 0, None).prod(-1)
    area_b = np.clip(b[:, 2:] - b[:, :2], 0, None).prod(-1)
    return inter / np.maximum(area_a[:, None] + area_b[None] - inter, 1e-9)


def match_detections(pred: np.ndarray, score: np.ndarray, true: np.ndarray, iou_thresh: float = 0.5) -> np.ndarray:
    """True-positive flag per prediction: best score first claims its best unclaimed true box (COCO/VOC style)."""
    order = np.argsort(-np.asarray(score), kind="stable")
    ious = box_iou_matrix(np.asarray(pred)[order], true)
    claimed = np.zeros(ious.shape[1], bool)
    tp = np.zeros(len(order), bool)
    for rank, i in enumerate(order):
        if ious.shape[1] == 0:
            break
        candidates = np.where(~claimed, ious[rank], -1.0)
        j = int(np.argmax(candidates))
        if candidates[j] >= iou_thresh:
            claimed[j] = True
            tp[i] = True
    return tp


def detection_metrics(results: Sequence[BoxResult], conf: float = 0.0, iou_thresh: float = 0.5) -> Dict[str, float]:
    """Precision, recall, F1 of the boxes scoring >= conf, and AP (all-point) over every box given."""
    scores, flags, n_true = [], [], 0
    for pred, score, true in results:
        scores.append(np.asarray(score, float))
        flags.append(match_detections(pred, score, true, iou_thresh))
        n_true += len(true)
    score = np.concatenate(scores) if scores else np.zeros(0)
    tp = np.concatenate(flags) if flags else np.zeros(0, bool)
    above = score >= conf
    n_tp = int(tp[above].sum())
    precision = n_tp / max(1, int(above.sum()))
    recall = n_tp / max(1, n_true)
    f1 = 2 * precision * recall / max(1e-9, precision + recall)
    ap = 0.0
    if len(score):
        order = np.argsort(-score, kind="stable")
        cum_tp = np.cumsum(tp[order])
        precision_curve = cum_tp / np.arange(1, len(order) + 1)
        recall_curve = cum_tp / max(1, n_true)
        envelope = np.maximum.accumulate(precision_curve[::-1])[::-1]
        ap = float((np.diff(np.concatenate([[0.0], recall_curve])) * envelope).sum())
    return {"precision": precision, "recall": recall, "f1": f1, "ap50": ap, "true": n_true,
            "predictions": int(above.sum())}


def count_error(found: int, true: int) -> Optional[float]:
    """Relative building-count error of one image; None for an image without buildings."""
    return abs(found - true) / true if true else None


@dataclass
class DetectionScores:
    """Detector boxes against the true buildings' boxes, and count errors of the detector and of the fusion."""
    boxes: List[BoxResult] = field(default_factory=list)
    detector_count_errors: List[float] = field(default_factory=list)
    fused_count_errors: List[float] = field(default_factory=list)

    def add_image(self, pred: np.ndarray, score: np.ndarray, true: np.ndarray, fused_count: int) -> None:
        self.boxes.append((pred, score, true))
        for errors, found in ((self.detector_count_errors, len(pred)), (self.fused_count_errors, fused_count)):
            error = count_error(found, len(true))
            if error is not None:
                errors.append(error)

    def merge(self, other: "DetectionScores") -> None:
        self.boxes += other.boxes
        self.detector_count_errors += other.detector_count_errors
        self.fused_count_errors += other.fused_count_errors

    def as_dict(self) -> Dict[str, Optional[float]]:
        def median(values):
            return float(np.median(values)) if values else None
        metrics = detection_metrics(self.boxes) if self.boxes else {}
        return {"box_precision": metrics.get("precision"), "box_recall": metrics.get("recall"),
                "box_f1": metrics.get("f1"), "box_ap50": metrics.get("ap50"),
                "detector_count_error_median": median(self.detector_count_errors),
                "fused_count_error_median": median(self.fused_count_errors)}
