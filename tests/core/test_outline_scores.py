"""Mean probability inside many outlines at once, against a pixel-by-pixel reference."""
import numpy as np
import pytest
from osgeo import gdal
from shapely.affinity import rotate
from shapely.geometry import MultiPolygon, Point, Polygon, box

from building_area_plugin.core import outline_scores
from building_area_plugin.core.outline_scores import mean_probabilities


def band_of(values: np.ndarray):
    ds = gdal.GetDriverByName("MEM").Create("", values.shape[1], values.shape[0], 1, gdal.GDT_Byte)
    ds.GetRasterBand(1).WriteArray(values)
    return ds, ds.GetRasterBand(1)  # the dataset is returned too: a band dies with it


def reference_mean(values: np.ndarray, polygon) -> float:
    """Pixels whose centre is inside the polygon, tested one by one."""
    minx, miny, maxx, maxy = polygon.bounds
    x0, y0 = max(0, int(np.floor(minx))), max(0, int(np.floor(miny)))
    x1, y1 = min(values.shape[1], int(np.ceil(maxx))), min(values.shape[0], int(np.ceil(maxy)))
    inside = [values[r, c] for r in range(y0, y1) for c in range(x0, x1) if polygon.contains(Point(c + 0.5, r + 0.5))]
    return float(np.mean(inside if inside else values[y0:y1, x0:x1])) / 255.0


def outlines(rng, count: int):
    """Rotated boxes, boxes with holes, L-shapes and two-part buildings, at random places."""
    shapes = []
    for _ in range(count):
        x, y = rng.uniform(2, 170, 2)
        w, h = rng.uniform(3, 25, 2)
        kind = rng.integers(4)
        if kind == 0:
            shapes.append(rotate(box(x, y, x + w, y + h), rng.uniform(0, 90)))
        elif kind == 1:
            shapes.append(Polygon(box(x, y, x + w + 6, y + h + 6).exterior,
                                  [box(x + 2, y + 2, x + w + 3.3, y + h + 3.7).exterior]))
        elif kind == 2:
            shapes.append(box(x, y, x + w, y + 3).union(box(x, y, x + 3.5, y + h)))
        else:
            shapes.append(MultiPolygon([box(x, y, x + 4.2, y + 4.2), box(x + 5.1, y + 5, x + 9, y + 11)]))
    return shapes


def test_each_outline_gets_the_mean_of_the_pixels_whose_centres_it_holds():
    rng = np.random.default_rng(3)
    values = rng.integers(0, 256, (200, 200), dtype=np.uint8)
    shapes = outlines(rng, 60)
    _ds, band = band_of(values)
    expected = [reference_mean(values, shape) for shape in shapes]
    assert mean_probabilities(band, shapes) == pytest.approx(expected, abs=1e-12)


def test_outlines_read_in_small_windows_get_the_same_scores_as_in_one(monkeypatch):
    rng = np.random.default_rng(5)
    values = rng.integers(0, 256, (200, 200), dtype=np.uint8)
    shapes = outlines(rng, 40)
    _ds, band = band_of(values)
    whole = mean_probabilities(band, shapes)
    monkeypatch.setattr(outline_scores, "MAX_WINDOW_PX", 500)
    assert mean_probabilities(band, shapes) == pytest.approx(whole, abs=1e-12)


def test_a_sliver_holding_no_pixel_centre_gets_its_bounding_box_mean():
    values = np.zeros((10, 10), np.uint8)
    values[2:4, 2:4] = [[10, 20], [30, 40]]
    _ds, band = band_of(values)
    sliver = Polygon([(2.0, 2.0), (4.0, 2.0), (4.0, 2.2)])  # covers no centre, bounding box 2 x 1 px
    assert mean_probabilities(band, [sliver])[0] == pytest.approx(15 / 255)


def test_outlines_reaching_past_the_raster_count_only_its_pixels():
    values = np.full((20, 20), 100, np.uint8)
    values[:, 15:] = 200
    _ds, band = band_of(values)
    assert mean_probabilities(band, [box(10, 5, 30, 8)])[0] == pytest.approx((5 * 100 + 5 * 200) / 10 / 255)
