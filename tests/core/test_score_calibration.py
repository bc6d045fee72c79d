"""The model's score calibration (metadata 'score_calibration'): read, checked and applied by the pipeline."""
import pytest
from osgeo import ogr

from building_area_plugin.core.errors import ModelError
from building_area_plugin.core.model import ModelMetadata
from building_area_plugin.core.params import PipelineParams
from building_area_plugin.core.pipeline import run_pipeline
from tests import onnx_models
from tests.onnx_models import metadata

HALVING = [[0.0, 0.0], [1.0, 0.5]]  # a map that halves every score


def scores(result):
    dataset = ogr.Open(result.output_path)
    return [feature.GetField("score") for feature in dataset.GetLayerByName("buildings")]


def test_the_pipeline_applies_the_models_calibration(tmp_path, out_dir, utm_raster):
    raw_model = onnx_models.bright_segmentor(tmp_path / "raw.onnx")
    calibrated_model = onnx_models.bright_segmentor(tmp_path / "calibrated.onnx", metadata(score_calibration=HALVING))
    raw = run_pipeline(PipelineParams(utm_raster, str(out_dir / "raw.gpkg"), raw_model))
    calibrated = run_pipeline(PipelineParams(utm_raster, str(out_dir / "calibrated.gpkg"), calibrated_model))
    [raw_score], [calibrated_score] = scores(raw), scores(calibrated)
    assert raw_score > 0.99
    assert calibrated_score == pytest.approx(raw_score / 2, abs=1e-9)
    assert any("score_calibration (2 knots)" in line for line in calibrated.log)
    assert not any("score_calibration" in line for line in raw.log)


def test_the_map_is_linear_between_knots_and_flat_beyond_them():
    calibration = ModelMetadata.from_props(metadata(score_calibration=[[0.4, 0.1], [0.6, 0.3], [0.9, 0.9]])
                                           ).score_calibration
    assert calibration([0.0, 0.4, 0.5, 0.75, 0.9, 1.0]).tolist() == pytest.approx([0.1, 0.1, 0.2, 0.6, 0.9, 0.9])


def test_without_the_key_there_is_no_calibration():
    assert ModelMetadata.from_props(metadata()).score_calibration is None


@pytest.mark.parametrize("knots", [[[0.2, 0.5], [0.8, 0.4]],   # goes down
                                   [[0.5, 0.2], [0.5, 0.4]],   # raw scores repeat
                                   [[0.2, 0.1], [1.2, 0.9]],   # outside [0, 1]
                                   [[0.5, 0.5]],               # one knot
                                   "0.5:0.8"])                 # not pairs
def test_a_calibration_that_is_not_a_rising_map_is_refused_with_its_fix(knots):
    with pytest.raises(ModelError, match="score_calibration") as raised:
        ModelMetadata.from_props(metadata(score_calibration=knots), "m.onnx")
    assert "calibrate_scores.py" in str(raised.value) and "remove the key" in str(raised.value)
