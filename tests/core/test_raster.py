"""RasterSource: band roles, value scaling, validity and windowed reads (synthetic GeoTIFFs)."""
import subprocess
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import pytest
from osgeo import gdal, gdal_array, osr

from building_area_plugin.core.errors import InputRasterError
from building_area_plugin.core.raster import QGIS_DEFAULT_GEOTRANSFORM, RasterSource

UTM_GT = (500000.0, 0.5, 0.0, 5300000.0, 0.0, -0.5)


def write_raster(path: str, array: np.ndarray, geotransform: Optional[Sequence[float]] = None,
                 epsg: Optional[int] = None, nodata: Optional[float] = None,
                 interpretations: Optional[Sequence[int]] = None,
                 color_table: Optional[dict] = None, options: Sequence[str] = ()) -> str:
    """Write array ([bands,] rows, cols) as a GeoTIFF; georeferencing only where given."""
    array = np.asarray(array)
    if array.ndim == 2:
        array = array[None]
    bands, height, width = array.shape
    data_type = gdal_array.NumericTypeCodeToGDALTypeCode(array.dtype)
    ds = gdal.GetDriverByName("GTiff").Create(path, width, height, bands, data_type, list(options))
    if geotransform is not None:
        ds.SetGeoTransform(list(geotransform))
    if epsg is not None:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
        ds.SetSpatialRef(srs)
    if color_table is not None:
        # Before any pixel: GDAL 3.10 refuses to change the TIFF's photometric tag (palette)
        # once writing has begun; 3.6 allowed it.
        table = gdal.ColorTable()
        for entry, rgba in color_table.items():
            table.SetColorEntry(entry, rgba)
        ds.GetRasterBand(1).SetRasterColorTable(table)
    for index in range(bands):
        band = ds.GetRasterBand(index + 1)
        band.WriteArray(array[index])
        if nodata is not None:
            band.SetNoDataValue(nodata)
        if interpretations is not None:
            band.SetColorInterpretation(interpretations[index])
    ds = None
    return path


@pytest.fixture
def make_raster(tmp_path) -> Callable[..., str]:
    """make_raster(array, name='r.tif', **write_raster options) -> path of a new GeoTIFF."""
    def _make(array: np.ndarray, name: str = "r.tif", **kwargs) -> str:
        return write_raster(str(tmp_path / name), array, **kwargs)
    return _make


def ramp(height: int, width: int, dtype=np.uint8) -> np.ndarray:
    return (np.arange(height * width) % 251).reshape(height, width).astype(dtype)


def read_all(path: str):
    with RasterSource(path) as src:
        return src.read_window(0, 0, src.width, src.height)


def test_single_band_is_replicated_to_grey_rgb(make_raster):
    grey = ramp(20, 30)
    path = make_raster(grey)
    with RasterSource(path) as src:
        assert src.rgb_bands == (1, 1, 1) and src.alpha_band is None
        rgb, valid = src.read_window(0, 0, 30, 20)
    assert rgb.shape == (3, 20, 30) and rgb.dtype == np.uint8
    assert all(np.array_equal(plane, grey) for plane in rgb)
    assert valid.all()


def test_three_band_rgb_is_read_unchanged(make_raster):
    data = np.stack([ramp(16, 16), ramp(16, 16)[::-1], np.full((16, 16), 7, np.uint8)])
    rgb, valid = read_all(make_raster(data))
    assert np.array_equal(rgb, data) and valid.all()


def test_rgba_alpha_zero_marks_pixels_invalid(make_raster):
    data = np.full((4, 8, 8), 100, np.uint8)
    data[3, :, :4] = 0
    path = make_raster(data, options=["PHOTOMETRIC=RGB", "ALPHA=YES"])
    with RasterSource(path) as src:
        assert src.rgb_bands == (1, 2, 3) and src.alpha_band == 4
        rgb, valid = src.read_window(0, 0, 8, 8)
    assert not valid[:, :4].any() and valid[:, 4:].all()
    assert (rgb == 100).all()


def test_two_band_grey_alpha_replicates_grey_and_uses_alpha(make_raster):
    data = np.stack([ramp(6, 6), np.full((6, 6), 255, np.uint8)])
    data[1, 0, 0] = 0
    path = make_raster(data, interpretations=[gdal.GCI_GrayIndex, gdal.GCI_AlphaBand])
    with RasterSource(path) as src:
        assert src.rgb_bands == (1, 1, 1) and src.alpha_band == 2
        rgb, valid = src.read_window(0, 0, 6, 6)
    assert np.array_equal(rgb[1], data[0])
    assert not valid[0, 0] and valid.sum() == 35


def test_two_band_without_alpha_uses_first_band(make_raster):
    data = np.stack([ramp(6, 6), np.zeros((6, 6), np.uint8)])
    with RasterSource(make_raster(data)) as src:
        assert src.rgb_bands == (1, 1, 1) and src.alpha_band is None


def test_colour_interpretation_picks_rgb_among_six_bands(make_raster):
    data = np.stack([np.full((5, 5), 10 * (i + 1), np.uint8) for i in range(6)])
    interpretations = [gdal.GCI_Undefined, gdal.GCI_BlueBand, gdal.GCI_GreenBand, gdal.GCI_RedBand,
                       gdal.GCI_Undefined, gdal.GCI_Undefined]
    path = make_raster(data, interpretations=interpretations)
    with RasterSource(path) as src:
        assert src.rgb_bands == (4, 3, 2)
        rgb, _ = src.read_window(0, 0, 5, 5)
    assert [int(plane[0, 0]) for plane in rgb] == [40, 30, 20]


def test_six_bands_without_interpretation_use_first_three(make_raster):
    data = np.stack([np.full((5, 5), i, np.uint8) for i in range(6)])
    with RasterSource(make_raster(data)) as src:
        assert src.rgb_bands == (1, 2, 3)


PALETTE = {0: (0, 0, 0, 255), 1: (200, 10, 20, 255), 2: (5, 6, 7, 255), 3: (30, 40, 50, 255)}


def test_palette_raster_is_expanded_through_colour_table(make_raster):
    path = make_raster(np.array([[0, 1, 2, 3]], np.uint8), nodata=2, color_table=PALETTE)
    with RasterSource(path) as src:
        assert src.palette_band == 1 and src.rgb_bands == (1, 1, 1)
        rgb, valid = src.read_window(0, 0, 4, 1)
    assert rgb[:, 0, 1].tolist() == [200, 10, 20] and rgb[:, 0, 3].tolist() == [30, 40, 50]
    assert valid[0].tolist() == [True, True, False, True]  # 2 is the no-data index


def test_transparent_palette_entry_is_invalid(make_raster, tmp_path):
    # TIFF palettes have no alpha; a VRT keeps the colour table's alpha.
    tif = make_raster(np.array([[0, 1, 2, 3]], np.uint8), color_table=PALETTE)
    vrt = str(tmp_path / "palette.vrt")
    ds = gdal.Translate(vrt, tif, format="VRT")
    table = ds.GetRasterBand(1).GetColorTable().Clone()
    table.SetColorEntry(3, (30, 40, 50, 0))
    ds.GetRasterBand(1).SetColorTable(table)
    ds = None
    _, valid = read_all(vrt)
    assert valid[0].tolist() == [True, True, True, False]


def test_uint16_is_stretched_from_2nd_to_98th_percentile(make_raster):
    values = np.linspace(1000, 3000, 100 * 100).reshape(100, 100).astype(np.uint16)
    rgb, valid = read_all(make_raster(np.stack([values] * 3)))
    low, high = np.percentile(values, [2, 98])
    assert valid.all()
    assert (rgb[0][values <= low] == 0).all() and (rgb[0][values >= high] == 255).all()
    middle = np.argmin(np.abs(values - (low + high) / 2))
    assert abs(int(rgb[0].flat[middle]) - 128) <= 2
    assert (np.diff(rgb[0].ravel().astype(int)) >= 0).all()  # monotonic


def test_uint16_holding_8bit_values_is_used_as_is(make_raster):
    values = ramp(20, 20, np.uint16)
    rgb, _ = read_all(make_raster(values))
    assert np.array_equal(rgb[0], values)


def test_constant_wide_band_does_not_divide_by_zero(make_raster):
    rgb, valid = read_all(make_raster(np.full((8, 8), 0.5, np.float32)))
    assert valid.all() and (rgb == 0).all()


def test_float_nan_and_inf_are_invalid(make_raster):
    values = np.linspace(0.0, 1.0, 64, dtype=np.float32).reshape(8, 8)
    values[0, 0], values[1, 1], values[2, 2] = np.nan, np.inf, -np.inf
    rgb, valid = read_all(make_raster(values))
    assert not valid[0, 0] and not valid[1, 1] and not valid[2, 2] and valid.sum() == 61
    assert rgb[:, 7, 7].tolist() == [255, 255, 255]


def test_nodata_pixels_are_invalid(make_raster):
    data = np.full((3, 4, 4), 50, np.uint8)
    data[:, 0, :] = 0
    path = make_raster(data, nodata=0)
    with RasterSource(path) as src:
        assert src.nodata == [0.0, 0.0, 0.0]
        _, valid = src.read_window(0, 0, 4, 4)
    assert not valid[0].any() and valid[1:].all()


def test_nodata_block_stays_invalid_when_downsampled(make_raster):
    data = np.full((8, 8), 50, np.uint8)
    data[:4, :4] = 0
    data[4:, 4:6] = 0
    path = make_raster(data, nodata=0)
    with RasterSource(path) as src:
        rgb, valid = src.read_window(0, 0, 8, 8, 2, 2)
    assert valid.tolist() == [[False, True], [True, True]]
    assert rgb[0, 1, 1] == 50  # the average ignores no-data pixels


def test_internal_mask_marks_pixels_invalid(make_raster, tmp_path):
    path = make_raster(np.full((3, 4, 4), 9, np.uint8))
    ds = gdal.Open(path, gdal.GA_Update)
    ds.CreateMaskBand(gdal.GMF_PER_DATASET)
    mask = np.full((4, 4), 255, np.uint8)
    mask[2:, :] = 0
    ds.GetRasterBand(1).GetMaskBand().WriteArray(mask)
    ds = None
    _, valid = read_all(path)
    assert valid[:2].all() and not valid[2:].any()


def test_window_beyond_every_edge_is_padded_and_invalid(make_raster):
    data = ramp(10, 12)
    with RasterSource(make_raster(data)) as src:
        rgb, valid = src.read_window(-3, -2, 18, 14)
    assert rgb.shape == (3, 14, 18)
    assert np.array_equal(rgb[0, 2:12, 3:15], data) and valid[2:12, 3:15].all()
    outside = np.ones_like(valid)
    outside[2:12, 3:15] = False
    assert not valid[outside].any() and (rgb[:, outside] == 0).all()


def test_window_entirely_outside_is_all_invalid(make_raster):
    with RasterSource(make_raster(ramp(10, 10))) as src:
        rgb, valid = src.read_window(50, 50, 8, 8, 4, 4)
    assert rgb.shape == (3, 4, 4) and not valid.any() and not rgb.any()


@pytest.mark.parametrize("out_size", [(37, 23), (250, 160)])
def test_resampled_read_has_requested_shape_and_keeps_a_constant(make_raster, out_size):
    with RasterSource(make_raster(np.full((3, 80, 100), 77, np.uint8))) as src:
        rgb, valid = src.read_window(0, 0, 100, 80, *out_size)
    assert rgb.shape == (3, out_size[1], out_size[0]) and valid.shape == (out_size[1], out_size[0])
    assert (rgb == 77).all() and valid.all()


def test_downsampling_averages(make_raster):
    data = np.array([[0, 100, 200, 200], [100, 200, 200, 200]], np.uint8)
    with RasterSource(make_raster(data)) as src:
        rgb, _ = src.read_window(0, 0, 4, 2, 2, 1)
    assert rgb[0, 0].tolist() == [100, 200]


def test_downsampled_window_beyond_edge_keeps_placement(make_raster):
    data = np.tile(np.arange(0, 200, 10, dtype=np.uint8), (4, 1))  # 20 columns, value = 10 * col
    with RasterSource(make_raster(data)) as src:
        rgb, valid = src.read_window(-4, 0, 40, 4, 20, 2)
    # output pixel k averages source columns 2k-4 and 2k-3
    assert not valid[:, :2].any() and not valid[:, 12:].any() and valid[:, 2:12].all()
    assert rgb[0, 0, 2:12].tolist() == [5 + 20 * k for k in range(10)]


def test_fractional_window_is_placed_within_half_a_pixel(make_raster):
    data = np.tile(np.arange(0, 200, 10, dtype=np.uint8), (4, 1))
    with RasterSource(make_raster(data)) as src:
        rgb, valid = src.read_window(5.5, 1.0, 8.0, 2.0)
    # output pixel k is centred on source x = 6 + k, halfway between the centres of columns
    # 5 + k and 6 + k: ideally 55 + 10 k; half a source pixel off would be 5 away.
    assert valid.all()
    assert np.allclose(rgb[0, 0, :].astype(float), [55 + 10 * k for k in range(8)], atol=2.5)


def test_no_georeferencing_uses_qgis_pixel_grid(make_raster):
    with RasterSource(make_raster(ramp(4, 4))) as src:
        assert not src.has_georeferencing and src.crs_wkt == ""
        assert src.output_geotransform == QGIS_DEFAULT_GEOTRANSFORM == (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)


def test_georeferenced_raster_keeps_its_geotransform_and_crs(make_raster):
    path = make_raster(ramp(4, 4), geotransform=UTM_GT, epsg=32633)
    with RasterSource(path) as src:
        assert src.has_georeferencing and src.output_geotransform == UTM_GT
        assert "32633" in src.crs_wkt


def test_gcp_only_raster_is_warped_like_qgis(tmp_path):
    path = str(tmp_path / "gcp.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, 30, 20, 1)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds.SetGCPs([gdal.GCP(500000, 5000000, 0, 0, 0), gdal.GCP(500030, 5000000, 0, 30, 0),
                gdal.GCP(500000, 4999980, 0, 0, 20)], srs.ExportToWkt())
    ds = None
    with RasterSource(path) as src:
        assert src.has_georeferencing and src.alpha_band is not None
        gt = src.output_geotransform
    assert gt[0] == pytest.approx(500000) and gt[3] == pytest.approx(5000000) and gt[1] == pytest.approx(1)


def test_large_raster_is_not_read_whole(tmp_path):
    # 40 000 x 40 000 uint16 = 3.2 GB if read whole; sparse, so the file itself is tiny.
    path = str(tmp_path / "big.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, 40000, 40000, 3, gdal.GDT_UInt16,
                                              ["TILED=YES", "SPARSE_OK=YES", "BLOCKXSIZE=1024", "BLOCKYSIZE=1024"])
    ds = None
    with RasterSource(path) as src:
        rgb, valid = src.read_window(39990, 39990, 20, 20)
    assert rgb.shape == (3, 20, 20) and valid[:10, :10].all() and not valid[10:, :].any()


def test_missing_file_names_the_path(tmp_path):
    missing = str(tmp_path / "nope.tif")
    with pytest.raises(InputRasterError, match="nope.tif") as info:
        RasterSource(missing)
    assert "not found" in str(info.value)


def test_text_file_is_rejected_naming_the_path(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("these are not pixels\n")
    with pytest.raises(InputRasterError, match="notes.txt"):
        RasterSource(str(text))


def test_core_modules_import_without_qgis():
    code = ("import sys; import building_area_plugin.core.raster, building_area_plugin.core.gsd, "
            "building_area_plugin.core.areas; assert not any(m.split('.')[0] == 'qgis' for m in sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
