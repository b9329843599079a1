"""Matte quality measures, against exact ground truth."""

from __future__ import annotations

import cv2
import numpy as np


def iou(pred: np.ndarray, truth: np.ndarray, threshold: float = 0.5) -> float:
    p = pred > threshold
    union = np.logical_or(p, truth).sum()
    if union == 0:
        return 1.0
    return float(np.logical_and(p, truth).sum() / union)


def _boundary(mask: np.ndarray) -> np.ndarray:
    m = mask.astype(np.uint8)
    return (m - cv2.erode(m, np.ones((3, 3), np.uint8))) > 0


def boundary_f1(pred: np.ndarray, truth: np.ndarray, tol: int = 3, threshold: float = 0.5) -> float:
    """F1 of boundary pixels matched within ``tol`` pixels (as in the DAVIS F measure)."""
    pb = _boundary(pred > threshold)
    tb = _boundary(truth)
    if not pb.any() and not tb.any():
        return 1.0
    if not pb.any() or not tb.any():
        return 0.0
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * tol + 1, 2 * tol + 1))
    t_near = cv2.dilate(tb.astype(np.uint8), k) > 0
    p_near = cv2.dilate(pb.astype(np.uint8), k) > 0
    precision = (pb & t_near).sum() / pb.sum()
    recall = (tb & p_near).sum() / tb.sum()
    return 0.0 if precision + recall == 0 else float(2 * precision * recall / (precision + recall))


def flicker(
    prev: np.ndarray, cur: np.ndarray, truth_prev: np.ndarray, truth_cur: np.ndarray
) -> float:
    """Mean |m_t - m_t-1| over pixels whose truth did not change."""
    stable = truth_prev == truth_cur
    if not stable.any():
        return 0.0
    return float(np.abs(cur.astype(np.float32) - prev.astype(np.float32))[stable].mean())


def person_fraction(pred: np.ndarray, threshold: float = 0.5) -> float:
    return float((pred > threshold).mean())


def edge_band(truth: np.ndarray, px: int = 4) -> np.ndarray:
    """The pixels within ``px`` of the true outline, on either side."""
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    t = truth.astype(np.uint8)
    return (cv2.dilate(t, k) - cv2.erode(t, k)) > 0


def edge_colour_error(picture: np.ndarray, ideal: np.ndarray, truth: np.ndarray) -> float:
    """Mean absolute colour difference (0..255, over channels) in the edge band."""
    band = edge_band(truth)
    diff = np.abs(picture.astype(np.int16) - ideal.astype(np.int16))
    return float(diff[band].mean())
