"""Hostile input and failure in the core: clear typed errors, nothing half-written, nothing lost.

Every fixture is generated here (rasters, ONNX models, checksum lists). Each failing case
asserts the error type, a message naming the problem, and that the output folder holds
nothing afterwards (no output, no partial file, no work folder). Cases already pinned
down elsewhere (tests/core/test_raster.py, test_model.py, test_pipeline.py) are not repeated.
"""
import ast
import errno
import math
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import textwrap

import numpy as np
import pytest
from osgeo import gdal, ogr, osr

from building_area_plugin import shipped_models
from building_area_plugin.core import geopackage, outputs
from building_area_plugin.core.checksums import CHECKSUM_FILE, file_sha256
from building_area_plugin.core.errors import (GsdUnknownError, InputRasterError, ModelError, OutputError,
                                              ParameterError)
from building_area_plugin.core.gdal_calls import gdal_call, gdal_release
from building_area_plugin.core.params import Extent, PipelineParams
from building_area_plugin.core.pipeline import run_pipeline
from building_area_plugin.core.probability import ProbabilityWriter
from tests import onnx_models
from tests.core.conftest import GSD_M, SQUARE, UTM_33N, UTM_GEOTRANSFORM, square_image, write_raster
from tests.core.test_raster import write_raster as write_array

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "building_area_plugin"
SQUARE_M2 = (SQUARE[2] * GSD_M) ** 2
UTM_SCALE = 0.9996  # on the central meridian ground areas are planar areas / 0.9996²


def params(out_dir, raster, model, **overrides):
    return PipelineParams(raster_path=str(raster), output_path=str(out_dir / "buildings.gpkg"),
                          segmentation_model=str(model), **overrides)


def buildings(result):
    ds = ogr.Open(result.output_path)
    return [feature.items() for feature in ds.GetLayerByName("buildings")]


def expect_failure(error_type, fragment, out_dir, raster, model, **overrides) -> str:
    """Run, expect error_type with fragment in its message, and nothing left in out_dir."""
    with pytest.raises(error_type) as raised:
        run_pipeline(params(out_dir, raster, model, **overrides))
    message = str(raised.value)
    assert fragment in message
    assert "\n" not in message  # one line: qgis_process and the Processing log show it as is
    assert os.listdir(out_dir) == []
    return message


def with_srs(path, raster, wkt) -> str:
    """A VRT of raster that declares the CRS wkt, verbatim (a GeoTIFF would rewrite it as GeoKeys)."""
    gdal.Translate(str(path), raster, format="VRT", outputSRS=wkt)
    return str(path)


# -- inputs that cannot be read -----------------------------------------------------------

def _truncated(tmp_path, raster):
    data = pathlib.Path(raster).read_bytes()
    (tmp_path / "truncated.tif").write_bytes(data[:len(data) // 2])
    return tmp_path / "truncated.tif", "truncated or corrupt"


def _corrupt_header(tmp_path, raster):
    data = pathlib.Path(raster).read_bytes()
    (tmp_path / "corrupt.tif").write_bytes(data[:4] + b"\xff" * 400 + data[404:])
    return tmp_path / "corrupt.tif", "Cannot read"


def _text_file(tmp_path, _raster):
    (tmp_path / "notes.tif").write_text("these are not pixels\n")
    return tmp_path / "notes.tif", "Cannot read"


def _empty_file(tmp_path, _raster):
    (tmp_path / "empty.tif").write_bytes(b"")
    return tmp_path / "empty.tif", "Cannot read"


def _zero_by_zero(tmp_path, _raster):
    (tmp_path / "zero.vrt").write_text('<VRTDataset rasterXSize="0" rasterYSize="0">'
                                       '<VRTRasterBand dataType="Byte" band="1"/></VRTDataset>')
    return tmp_path / "zero.vrt", "0 x 0"


def _no_bands(tmp_path, _raster):
    (tmp_path / "bandless.vrt").write_text('<VRTDataset rasterXSize="10" rasterYSize="10"></VRTDataset>')
    return tmp_path / "bandless.vrt", "bands"


def _missing(tmp_path, _raster):
    return tmp_path / "nowhere" / "ortho.tif", "not found"


def _folder(tmp_path, _raster):
    (tmp_path / "tiles").mkdir()
    return tmp_path / "tiles", "is a folder"


@pytest.mark.parametrize("make_input", [_missing, _folder, _text_file, _empty_file, _truncated, _corrupt_header,
                                        _zero_by_zero, _no_bands])
def test_an_unusable_raster_is_refused_naming_it_and_nothing_is_written(tmp_path, out_dir, utm_raster,
                                                                       bright_model, make_input):
    path, problem = make_input(tmp_path, utm_raster)
    message = expect_failure(InputRasterError, problem, out_dir, path, bright_model)
    assert os.path.basename(path) in message


def test_an_unreadable_raster_names_the_permission_problem(out_dir, utm_raster, bright_model, monkeypatch):
    # Simulated: as root (as here) no permission bit stops reading.
    access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: path != utm_raster and access(path, mode, **kw))
    expect_failure(InputRasterError, "not readable", out_dir, utm_raster, bright_model)


def test_a_truncated_raster_fails_before_the_model_is_loaded(tmp_path, out_dir, utm_raster):
    # The corner probe finds the missing tail up front: the (missing) model is never looked at.
    path, _ = _truncated(tmp_path, utm_raster)
    expect_failure(InputRasterError, "truncated or corrupt", out_dir, path, tmp_path / "no_model.onnx")


# -- small, empty and unusual rasters -----------------------------------------------------

def test_a_one_pixel_raster_runs_and_finds_nothing(tmp_path, out_dir, bright_model):
    raster = write_raster(tmp_path / "one.tif", square_image(1, [(0, 0, 1)]), UTM_GEOTRANSFORM, UTM_33N)
    result = run_pipeline(params(out_dir, raster, bright_model))
    assert result.summary.building_count == 0
    assert result.summary.analysed_area_m2 == pytest.approx(GSD_M ** 2 / UTM_SCALE ** 2, rel=1e-3)
    assert os.listdir(out_dir) == ["buildings.gpkg"]


def test_a_raster_smaller_than_one_tile_works(tmp_path, out_dir, bright_model):
    raster = write_raster(tmp_path / "small.tif", square_image(40, [(10, 10, 20)]), UTM_GEOTRANSFORM, UTM_33N)
    result = run_pipeline(params(out_dir, raster, bright_model))
    [attrs] = buildings(result)
    assert attrs["area_m2"] == pytest.approx((20 * GSD_M) ** 2, rel=0.01)
    assert result.summary.tiles == 1


def test_a_raster_too_small_for_the_gsd_head_asks_for_the_gsd(tmp_path, out_dir, gsd_head_model):
    raster = write_raster(tmp_path / "plain.tif", square_image(40, [(10, 10, 20)]))  # no georeferencing
    expect_failure(GsdUnknownError, "from less than 64 x 64 px. Enter the GSD", out_dir, raster, gsd_head_model)
    result = run_pipeline(params(out_dir, raster, gsd_head_model, gsd_m=GSD_M))
    [attrs] = buildings(result)
    assert attrs["area_m2"] == pytest.approx((20 * GSD_M) ** 2, rel=0.01)


def _all_nodata(tmp_path):
    return write_raster(tmp_path / "nodata.tif", square_image(100, []), UTM_GEOTRANSFORM, UTM_33N, nodata=0)


def _all_transparent(tmp_path):
    return write_raster(tmp_path / "clear.tif", square_image(100, [(10, 10, 20)]), UTM_GEOTRANSFORM, UTM_33N,
                        alpha=np.zeros((100, 100), np.uint8))


def _all_nan(tmp_path):
    return write_array(str(tmp_path / "nan.tif"), np.full((3, 100, 100), np.nan, np.float32), UTM_GEOTRANSFORM, UTM_33N)


@pytest.mark.parametrize("make_raster", [_all_nodata, _all_transparent, _all_nan])
def test_a_raster_without_valid_pixels_is_refused(tmp_path, out_dir, bright_model, make_raster):
    expect_failure(InputRasterError, "has no valid pixels", out_dir, make_raster(tmp_path), bright_model)


def test_an_extent_entirely_outside_the_raster_is_refused(out_dir, utm_raster, bright_model):
    far_away = Extent(0.0, 0.0, 100.0, 100.0)
    expect_failure(ParameterError, "does not overlap", out_dir, utm_raster, bright_model, extent=far_away)


@pytest.mark.parametrize("extent", [Extent(1.0, 0.0, 0.0, 1.0), Extent(0.0, 0.0, math.nan, 1.0),
                                    Extent(0.0, 0.0, 1.0, math.inf)])
def test_an_empty_or_infinite_extent_is_refused(out_dir, utm_raster, bright_model, extent):
    expect_failure(ParameterError, "empty or not finite", out_dir, utm_raster, bright_model, extent=extent)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_nan_and_infinite_pixels_are_left_out_of_the_analysed_area(tmp_path, out_dir, bright_model):
    data = np.zeros((3, 200, 200), np.float32)
    row, col, side = SQUARE
    data[:, row:row + side, col:col + side] = 1000.0
    data[:, 150:, :] = np.nan
    data[0, 120:130, :] = np.inf
    data[1, 130:140, :] = -np.inf
    raster = write_array(str(tmp_path / "float.tif"), data, UTM_GEOTRANSFORM, UTM_33N)
    result = run_pipeline(params(out_dir, raster, bright_model))
    [attrs] = buildings(result)
    assert attrs["area_m2"] == pytest.approx(SQUARE_M2, rel=0.01)
    assert result.summary.analysed_area_m2 == pytest.approx(130 * 200 * GSD_M ** 2 / UTM_SCALE ** 2, rel=1e-3)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("dtype, ground, roof", [
    (np.uint16, 0, 65535),
    (np.int16, -30000, 30000),
    (np.int32, -2 ** 31, 2 ** 31 - 1),
    (np.float32, -1e-7, 1e-7),
    (np.float32, -3.4e38, 3.4e38),
    (np.float64, -1.7e308, 1.7e308),
])
def test_wide_and_odd_value_ranges_are_stretched_without_overflow(tmp_path, out_dir, bright_model, dtype, ground,
                                                                   roof):
    data = np.full((3, 200, 200), ground, dtype)
    row, col, side = SQUARE
    data[:, row:row + side, col:col + side] = roof
    raster = write_array(str(tmp_path / "odd.tif"), data, UTM_GEOTRANSFORM, UTM_33N)
    result = run_pipeline(params(out_dir, raster, bright_model))
    [attrs] = buildings(result)
    assert attrs["area_m2"] == pytest.approx(SQUARE_M2, rel=0.01)
    assert result.summary.analysed_area_m2 == pytest.approx((200 * GSD_M) ** 2 / UTM_SCALE ** 2, rel=1e-3)


def _grey_alpha(tmp_path):
    grey = square_image(200, [SQUARE])[0]
    return write_array(str(tmp_path / "ga.tif"), np.stack([grey, np.full_like(grey, 255)]), UTM_GEOTRANSFORM, UTM_33N,
                       interpretations=[gdal.GCI_GrayIndex, gdal.GCI_AlphaBand])


def _seven_bands(tmp_path):
    rgb = square_image(200, [SQUARE])
    extra = np.full((4, 200, 200), 7, np.uint8)
    return write_array(str(tmp_path / "seven.tif"), np.concatenate([extra[:2], rgb, extra[2:]]),
                       UTM_GEOTRANSFORM, UTM_33N,
                       interpretations=[gdal.GCI_Undefined] * 2 + [gdal.GCI_RedBand, gdal.GCI_GreenBand,
                                                                   gdal.GCI_BlueBand] + [gdal.GCI_Undefined] * 2)


def _palette(tmp_path):
    indices = (square_image(200, [SQUARE])[0] > 0).astype(np.uint8)
    return write_array(str(tmp_path / "palette.tif"), indices, UTM_GEOTRANSFORM, UTM_33N,
                       color_table={0: (10, 10, 10, 255), 1: (250, 250, 250, 255)})


@pytest.mark.parametrize("make_raster", [_grey_alpha, _seven_bands, _palette])
def test_two_band_many_band_and_palette_rasters_find_the_building(tmp_path, out_dir, bright_model, make_raster):
    result = run_pipeline(params(out_dir, make_raster(tmp_path), bright_model))
    [attrs] = buildings(result)
    assert attrs["area_m2"] == pytest.approx(SQUARE_M2, rel=0.01)


# -- georeferencing ---------------------------------------------------------------------------

def test_a_custom_wkt_crs_is_measured_on_its_own_ellipsoid(tmp_path, out_dir, utm_raster, bright_model):
    srs = osr.SpatialReference()
    srs.ImportFromProj4("+proj=tmerc +lat_0=0 +lon_0=15 +k=0.9999 +x_0=500000 +y_0=0 +ellps=bessel +units=m")
    raster = with_srs(tmp_path / "custom.vrt", utm_raster, srs.ExportToWkt())
    result = run_pipeline(params(out_dir, raster, bright_model))
    [attrs] = buildings(result)
    assert attrs["area_m2"] == pytest.approx(SQUARE_M2 / 0.9999 ** 2, rel=1e-3)  # on its central meridian
    assert result.summary.gsd_source == "georeferencing"


def test_a_crs_without_length_unit_asks_for_the_gsd_and_then_works(tmp_path, out_dir, utm_raster, bright_model):
    raster = with_srs(tmp_path / "unitless.vrt", utm_raster, 'LOCAL_CS["site",UNIT["unknown",0]]')
    expect_failure(GsdUnknownError, "GSD parameter", out_dir, raster, bright_model)
    result = run_pipeline(params(out_dir, raster, bright_model, gsd_m=GSD_M))
    [attrs] = buildings(result)
    assert attrs["area_m2"] == pytest.approx(SQUARE_M2, rel=0.01)


@pytest.mark.parametrize("geotransform", [
    (500000.0, 0.24, 0.18, 5000000.0, 0.18, -0.24),  # rotated by 36.87°, still 0.3 m pixels
    (500000.0, 0.3, 0.1, 5000000.0, 0.0, -0.3),      # sheared: columns lean, pixel area stays 0.09 m²
])
def test_rotated_and_sheared_rasters_give_ground_areas(tmp_path, out_dir, bright_model, geotransform):
    raster = write_raster(tmp_path / "skew.tif", square_image(200, [SQUARE]), geotransform, UTM_33N)
    result = run_pipeline(params(out_dir, raster, bright_model))
    [attrs] = buildings(result)
    assert attrs["area_m2"] == pytest.approx(SQUARE_M2 / UTM_SCALE ** 2, rel=0.01)


# -- paths and places -------------------------------------------------------------------------

def test_non_ascii_paths_with_spaces_work_for_raster_model_and_output(tmp_path, bright_model):
    folder = tmp_path / "Bäume und Häuser" / "ортофото 2024"
    folder.mkdir(parents=True)
    raster = write_raster(folder / "Straße 1.tif", square_image(200, [SQUARE]), UTM_GEOTRANSFORM, UTM_33N)
    model = folder / "modèle ünïcode.onnx"
    model.write_bytes(pathlib.Path(bright_model).read_bytes())
    result = run_pipeline(PipelineParams(raster, str(folder / "Gebäude Ergebnis.gpkg"), str(model),
                                         probability_path=str(folder / "Wahrscheinlichkeit ü.tif")))
    assert len(buildings(result)) == 1
    assert sorted(os.listdir(folder)) == ["Gebäude Ergebnis.gpkg", "Straße 1.tif", "Wahrscheinlichkeit ü.tif",
                                          "modèle ünïcode.onnx"]


def test_a_missing_non_ascii_path_is_named_in_the_message(tmp_path, out_dir, bright_model):
    message = expect_failure(InputRasterError, "not found", out_dir, tmp_path / "Luftbild Süd.tif", bright_model)
    assert "Luftbild Süd.tif" in message


def test_a_raster_in_a_read_only_folder_is_only_read(tmp_path, out_dir, bright_model):
    folder = tmp_path / "dvd"
    folder.mkdir()
    raster = write_raster(folder / "ortho.tif", square_image(200, [SQUARE]), UTM_GEOTRANSFORM, UTM_33N)
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    folder.chmod(0o555)
    try:
        result = run_pipeline(params(out_dir, raster, bright_model))
    finally:
        folder.chmod(0o755)
    assert len(buildings(result)) == 1
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before  # no .aux.xml, nothing touched


# -- models -----------------------------------------------------------------------------------

def _missing_model(tmp_path):
    return tmp_path / "absent.onnx", "does not exist"


def _pickled_model(tmp_path):
    (tmp_path / "model.pkl").write_bytes(b"\x80\x04\x95")
    return tmp_path / "model.pkl", "only ONNX models"


def _not_onnx(tmp_path):
    (tmp_path / "fake.onnx").write_bytes(b"PK\x03\x04 a zip, not a protobuf")
    return tmp_path / "fake.onnx", "not a usable ONNX model"


def _no_resolution(tmp_path):
    return onnx_models.bright_segmentor(tmp_path / "m.onnx", onnx_models.metadata(resolution=None)), "'resolution'"


def _tile_size_contradicts_input(tmp_path):
    return onnx_models.bright_segmentor(tmp_path / "m.onnx", side=128), "contradicts the model's fixed input"


def _four_channels(tmp_path):
    return onnx_models.bright_segmentor(tmp_path / "m.onnx", channels=4), "3 input channels"


def _hidden_size_mismatch(tmp_path):
    return onnx_models.reshaping_segmentor(tmp_path / "m.onnx", side=100), "failed on tiles"


def _nan_output(tmp_path):
    return onnx_models.bright_segmentor(tmp_path / "m.onnx", poison=True), "NaN"


@pytest.mark.parametrize("make_model", [_missing_model, _pickled_model, _not_onnx, _no_resolution,
                                        _tile_size_contradicts_input, _four_channels, _hidden_size_mismatch,
                                        _nan_output])
def test_an_unusable_model_is_refused_and_nothing_is_written(tmp_path, out_dir, utm_raster, make_model):
    model, problem = make_model(tmp_path)
    expect_failure(ModelError, problem, out_dir, utm_raster, model)


@pytest.fixture
def models_dir(tmp_path, bright_model):
    """A shipped-models folder with one model and its SHA256SUMS."""
    folder = tmp_path / "models"
    folder.mkdir()
    model = folder / "building_segmentation_v1.onnx"
    model.write_bytes(pathlib.Path(bright_model).read_bytes())
    (folder / CHECKSUM_FILE).write_text(f"{file_sha256(str(model))}  {model.name}\n")
    return folder


def test_a_shipped_model_matching_its_checksum_runs(out_dir, utm_raster, models_dir):
    model = models_dir / "building_segmentation_v1.onnx"
    result = run_pipeline(params(out_dir, utm_raster, model, model_checksums=str(models_dir / CHECKSUM_FILE)))
    assert len(buildings(result)) == 1


def _replace_model(models_dir):
    onnx_models.bright_segmentor(models_dir / "building_segmentation_v1.onnx", threshold=0.4)


def _drop_entry(models_dir):
    (models_dir / CHECKSUM_FILE).write_text(f"{'0' * 64}  other.onnx\n")


def _drop_list(models_dir):
    (models_dir / CHECKSUM_FILE).unlink()


def _garble_list(models_dir):
    (models_dir / CHECKSUM_FILE).write_text("building_segmentation_v1.onnx: fine, trust me\n")


@pytest.mark.parametrize("tamper, problem", [(_replace_model, "does not match its checksum"),
                                             (_drop_entry, "is not listed in"),
                                             (_drop_list, "cannot be read"),
                                             (_garble_list, "is not '<sha256>  <file name>'")])
def test_a_shipped_model_that_fails_its_checksum_is_refused(out_dir, utm_raster, models_dir, tamper, problem):
    tamper(models_dir)
    message = expect_failure(ModelError, problem, out_dir, utm_raster, models_dir / "building_segmentation_v1.onnx",
                             model_checksums=str(models_dir / CHECKSUM_FILE))
    assert "update_checksums.py" in message


def test_only_models_in_a_models_folder_are_checksummed(tmp_path, models_dir, bright_model, monkeypatch):
    monkeypatch.setattr(shipped_models, "MODEL_DIRS", [str(tmp_path / "elsewhere"), str(models_dir)])
    shipped = str(models_dir / "building_segmentation_v1.onnx")
    assert shipped_models.checksum_list(shipped) == str(models_dir / CHECKSUM_FILE)
    assert shipped_models.checksum_list(bright_model) is None


# -- outputs ----------------------------------------------------------------------------------

def test_an_unwritable_output_folder_is_refused_before_the_run(out_dir, utm_raster, bright_model, monkeypatch):
    # Simulated: as root (as here) no permission bit stops writing.
    access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: path != str(out_dir) and access(path, mode, **kw))
    expect_failure(OutputError, "is not writable", out_dir, utm_raster, bright_model)


def test_a_missing_output_folder_is_refused(tmp_path, out_dir, utm_raster, bright_model):
    with pytest.raises(OutputError, match="does not exist"):
        run_pipeline(PipelineParams(utm_raster, str(tmp_path / "gone" / "b.gpkg"), bright_model))
    assert not (tmp_path / "gone").exists()


def test_a_folder_refusing_the_work_files_is_an_output_error(out_dir, utm_raster, bright_model, monkeypatch):
    def mkdtemp(**_kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    expect_failure(OutputError, "No space left on device", out_dir, utm_raster, bright_model)


def gdal_disk_full():
    """What GDAL does when the disk fills up: it reports a failure with the system's reason."""
    gdal.Error(gdal.CE_Failure, gdal.CPLE_FileIO, "No space left on device")
    return gdal.CE_Failure


@pytest.fixture
def old_output(out_dir):
    """A result of an earlier run that a failing run must not lose."""
    old = out_dir / "buildings.gpkg"
    old.write_bytes(b"last week's buildings")
    return old


def test_a_disk_filling_up_while_tiles_are_written_loses_nothing(out_dir, utm_raster, bright_model, old_output,
                                                                 monkeypatch):
    write = ProbabilityWriter.write

    def fill_up_after_one_strip(self, row, col, prob):
        if row > 0:
            gdal_call(f"write {self.path}", gdal_disk_full)
        write(self, row, col, prob)

    monkeypatch.setattr(ProbabilityWriter, "write", fill_up_after_one_strip)
    with pytest.raises(OutputError, match="No space left on device.*free disk space"):
        run_pipeline(params(out_dir, utm_raster, bright_model, probability_path=str(out_dir / "p.tif")))
    assert os.listdir(out_dir) == ["buildings.gpkg"]
    assert old_output.read_bytes() == b"last week's buildings"


def test_a_disk_filling_up_while_the_geopackage_is_closed_loses_nothing(out_dir, utm_raster, bright_model,
                                                                        old_output, monkeypatch):
    release = geopackage.gdal_release
    monkeypatch.setattr(geopackage, "gdal_release",
                        lambda what, close, check=True: release(what, lambda: (close(), gdal_disk_full()), check))
    with pytest.raises(OutputError, match="No space left on device"):
        run_pipeline(params(out_dir, utm_raster, bright_model))
    assert os.listdir(out_dir) == ["buildings.gpkg"]
    assert old_output.read_bytes() == b"last week's buildings"


def test_a_failed_flush_is_an_output_error_whether_gdal_records_or_raises_it():
    # GDAL 3.6 records a failure while a dataset is released; 3.10 raises it once exceptions are on.
    def raising_release():
        raise RuntimeError("_tiffWriteProc:No space left on device")

    with pytest.raises(OutputError, match="Could not finish writing x.tif: _tiffWriteProc:No space left on device"):
        gdal_release("finish writing x.tif", raising_release)
    gdal_release("close x.tif after an earlier failure", raising_release, check=False)  # that failure is reported


def test_a_failing_run_keeps_the_previous_output(out_dir, utm_raster, tmp_path, old_output):
    broken = onnx_models.bright_segmentor(tmp_path / "nan.onnx", poison=True)
    with pytest.raises(ModelError):
        run_pipeline(params(out_dir, utm_raster, broken))
    assert os.listdir(out_dir) == ["buildings.gpkg"]
    assert old_output.read_bytes() == b"last week's buildings"


KILLED_RUN = textwrap.dedent("""
    import os, signal, sys
    from building_area_plugin.core.params import PipelineParams
    from building_area_plugin.core.pipeline import run_pipeline

    def crash_half_way(percent, _message):
        if percent >= 50:
            os.kill(os.getpid(), signal.SIGKILL)  # as QGIS dying or a power cut: no cleanup at all

    raster, output, model = sys.argv[1:]
    run_pipeline(PipelineParams(raster, output, model, probability_path=output[:-5] + ".tif", batch_size=1),
                 progress=crash_half_way)
""")


def hidden(folder):
    return sorted(name for name in os.listdir(folder) if name.startswith(outputs.TEMP_PREFIX))


def test_a_killed_run_leaves_no_output_and_the_next_run_still_works(out_dir, utm_raster, bright_model):
    output = out_dir / "buildings.gpkg"
    killed = subprocess.run([sys.executable, "-c", KILLED_RUN, utm_raster, str(output), bright_model],
                            cwd=ROOT, capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    leftovers = hidden(out_dir)
    assert leftovers and sorted(os.listdir(out_dir)) == leftovers  # only hidden partial files: no output at all

    result = run_pipeline(params(out_dir, utm_raster, bright_model, probability_path=str(out_dir / "buildings.tif")))
    assert len(buildings(result)) == 1
    assert hidden(out_dir) == leftovers  # fresh leftovers may be a parallel run's: untouched
    assert sorted(set(os.listdir(out_dir)) - set(leftovers)) == ["buildings.gpkg", "buildings.tif"]


def test_stale_leftovers_of_a_killed_run_are_removed_by_the_next_run(out_dir, utm_raster, bright_model):
    workdir = out_dir / f"{outputs.TEMP_PREFIX}k1ll3d"
    workdir.mkdir()
    (workdir / "probability.tif").write_bytes(b"half")
    partial = out_dir / f"{outputs.TEMP_PREFIX}k1ll3d.buildings.gpkg"
    partial.write_bytes(b"half")
    long_ago = os.path.getmtime(partial) - outputs.STALE_AFTER_S - 60
    for path in (workdir / "probability.tif", workdir, partial):
        os.utime(path, (long_ago, long_ago))
    result = run_pipeline(params(out_dir, utm_raster, bright_model))
    assert os.listdir(out_dir) == ["buildings.gpkg"]
    assert any("Removed 2 temporary files" in line for line in result.log)


# -- parameters -------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, problem", [
    ({"gsd_m": -0.3}, "GSD -0.3"), ({"gsd_m": 0.0001}, "GSD 0.0001"), ({"gsd_m": 1e6}, "GSD 1000000.0"),
    ({"gsd_m": math.nan}, "GSD nan"), ({"gsd_m": math.inf}, "GSD inf"),
    ({"threshold": 0.0}, "Threshold 0.0"), ({"threshold": 1.0}, "Threshold 1.0"),
    ({"threshold": -0.2}, "Threshold -0.2"), ({"threshold": 1.5}, "Threshold 1.5"),
    ({"threshold": math.nan}, "Threshold nan"),
    ({"min_area_m2": -1.0}, "Minimum area -1.0"), ({"min_area_m2": math.nan}, "Minimum area nan"),
    ({"min_area_m2": math.inf}, "Minimum area inf"),
])
def test_out_of_range_parameters_are_refused_before_anything_runs(tmp_path, out_dir, utm_raster, overrides, problem):
    # The model does not even exist: parameters are checked first.
    expect_failure(ParameterError, problem, out_dir, utm_raster, tmp_path / "unused.onnx", **overrides)


# -- what the plugin package may do -----------------------------------------------------------

FORBIDDEN_MODULES = {"subprocess", "socket", "urllib", "http", "ftplib", "smtplib", "requests", "pickle", "shelve",
                     "marshal", "dill", "joblib", "cloudpickle"}
FORBIDDEN_CALLS = {("os", "system"), ("os", "popen"), ("os", "spawnl"), ("os", "execv"), (None, "eval"),
                   (None, "exec"), (None, "__import__")}


def _imports_and_calls(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (("import", alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield "import", node.module.split(".")[0]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            yield "call", (None, node.func.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value,
                                                                                               ast.Name):
            yield "call", (node.func.value.id, node.func.attr)


# The one module that may reach the network: it fetches the manifest's models over HTTPS, on
# the user's request from the toolbar, and verifies their SHA-256 before anything loads them.
NETWORK_MODULE = "model_download.py"


def test_the_plugin_package_has_no_network_shell_or_pickle_code():
    found = [(path.relative_to(ROOT), what) for path in PLUGIN.rglob("*.py")
             for kind, what in _imports_and_calls(path)
             if (kind == "import" and what in FORBIDDEN_MODULES) or (kind == "call" and what in FORBIDDEN_CALLS)]
    network_only = [(path, what) for path, what in found if path.name == NETWORK_MODULE and what == "requests"]
    assert [item for item in found if item not in network_only] == []


def test_only_the_model_downloader_uses_the_network():
    users = {path.relative_to(PLUGIN).as_posix() for path in PLUGIN.rglob("*.py")
             for kind, what in _imports_and_calls(path) if kind == "import" and what == "requests"}
    assert users == {NETWORK_MODULE}
