"""run_pipeline with regularized outlines (PipelineParams.regularize) and without (the default)."""
import cv2
import numpy as np
import pytest
from osgeo import ogr
from shapely import wkb

from building_area_plugin.core.params import PipelineParams
from building_area_plugin.core.pipeline import run_pipeline
from tests.core.conftest import UTM_33N, UTM_GEOTRANSFORM, write_raster
from tests.core.test_regularize import L_SHAPE_PX, exterior, interior_angles, turned


@pytest.fixture
def l_raster(tmp_path):
    """A white L turned by 30° on black, 200 x 200 px at 0.3 m in UTM."""
    rgb = np.zeros((3, 200, 200), np.uint8)
    mask = np.zeros((200, 200), np.uint8)
    cv2.fillPoly(mask, [np.round(turned(L_SHAPE_PX, 30) * 16).astype(np.int32)], 255, shift=4)
    rgb[:, mask > 0] = 255
    return write_raster(tmp_path / "l.tif", rgb, UTM_GEOTRANSFORM, UTM_33N)


def run(tmp_path, raster, model, name, **overrides):
    params = PipelineParams(raster_path=raster, output_path=str(tmp_path / f"{name}.gpkg"), segmentation_model=model,
                            **overrides)
    result = run_pipeline(params)
    dataset = ogr.Open(result.output_path)
    [(values, geometry)] = [(f.items(), wkb.loads(bytes(f.GetGeometryRef().ExportToWkb())))
                            for f in dataset.GetLayerByName("buildings")]
    [summary] = [f.items() for f in dataset.GetLayerByName("summary")]
    return result, values, geometry, summary


def test_regularized_outline_is_written_with_its_own_area_beside_the_masks(tmp_path, l_raster, bright_model):
    _, mask_values, mask_outline, _ = run(tmp_path, l_raster, bright_model, "mask")
    result, values, outline, summary = run(tmp_path, l_raster, bright_model, "regular", regularize=True)
    corners = exterior(outline)
    assert len(corners) == 6
    assert sorted(np.round(interior_angles(corners), 6)) == [90.0] * 5 + [270.0]
    for name in ("area_m2", "perimeter_m", "score"):  # measures of the mask
        assert values[name] == mask_values[name]
    assert values["area_reg_m2"] == pytest.approx(outline.area / 0.9996 ** 2, rel=1e-3)  # UTM's scale on the ground
    assert values["area_reg_m2"] == pytest.approx(values["area_m2"], rel=0.02)
    assert summary["total_area_reg_m2"] == pytest.approx(values["area_reg_m2"])
    assert result.summary.total_area_reg_m2 == pytest.approx(values["area_reg_m2"])
    assert summary["total_area_m2"] == pytest.approx(values["area_m2"])
    [line] = [line for line in result.log if line.startswith("Regularized outlines")]
    assert f"{values['area_reg_m2']:.1f} m²" in line and "0 outlines" in line
    assert outline.intersection(mask_outline).area / outline.union(mask_outline).area > 0.98


def test_by_default_outlines_are_the_masks_and_nothing_regularized_is_written(tmp_path, l_raster, bright_model):
    result, values, outline, summary = run(tmp_path, l_raster, bright_model, "default")
    assert not PipelineParams("r.tif", "o.gpkg", "m.onnx").regularize
    assert len(exterior(outline)) > 6  # the pixels' staircase along the slanted walls
    assert values["area_m2"] == pytest.approx(outline.area / 0.9996 ** 2, rel=1e-3)
    assert values["area_reg_m2"] is None and summary["total_area_reg_m2"] is None
    assert result.summary.total_area_reg_m2 is None
    assert not any(line.startswith("Regularized") for line in result.log)
