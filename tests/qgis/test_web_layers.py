"""Web layers as input: XYZ tiles of a synthetic town served from 127.0.0.1, compared with its GeoTIFF.

The town is bright squares on dark ground (found exactly by the bright test segmentor) in
UTM 33N at 0.3 m; its XYZ tiles are the same image warped to Web Mercator at zoom 19.
"""
import gc
import json
import os
import time

import numpy as np
import processing
import pytest
from osgeo import gdal
from qgis.core import (QgsApplication, QgsCoordinateReferenceSystem, QgsProcessingAlgRunnerTask, QgsProcessingContext,
                       QgsProcessingException, QgsProcessingFeedback, QgsProject, QgsRasterLayer, QgsRectangle,
                       QgsReferencedRectangle, QgsVectorLayer)
from qgis.PyQt.QtCore import QCoreApplication

from building_area_plugin.gui.dialog import initial_parameters
from building_area_plugin.processing.web_raster import LayerReader, argb_to_rgba, local_grid, read_layer
from tests.qgis.conftest import GSD_M, UTM_ORIGIN, run_qgis_process
from tests.qgis.scenes import write_squares
from tests.qgis.tile_server import TileServer, cut_xyz_tiles

ALGORITHM = "building_area:detect_buildings"
ZOOM = 19  # 0.2 m per pixel at 48° N: finer than the model's 0.3 m, as a basemap over a town would be
TOWN_PX = 1000  # 300 m x 300 m
# 36 buildings of 9 to 13.5 m a side, on a grid 36 m apart.
TOWN = [(50 + 150 * i, 50 + 150 * j, 30 + 5 * ((i + 2 * j) % 4)) for i in range(6) for j in range(6)]
TOWN_EXTENT = (f"{UTM_ORIGIN[0]},{UTM_ORIGIN[0] + TOWN_PX * GSD_M},"
               f"{UTM_ORIGIN[1] - TOWN_PX * GSD_M},{UTM_ORIGIN[1]} [EPSG:32633]")


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    folder = tmp_path_factory.mktemp("town")
    return write_squares(str(folder / "town.tif"), TOWN_PX, TOWN, 32633,
                         (UTM_ORIGIN[0], GSD_M, 0.0, UTM_ORIGIN[1], 0.0, -GSD_M))


@pytest.fixture(scope="module")
def tiles(town, tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("tiles"))
    assert 20 < cut_xyz_tiles(town, folder, ZOOM) < 100
    return folder


@pytest.fixture(scope="module")
def town_result(provider, town, bright_model, tmp_path_factory):
    """The GeoTIFF's result, the reference for the web layer."""
    output = tmp_path_factory.mktemp("geotiff") / "buildings.gpkg"
    return processing.run(ALGORITHM, {"INPUT": town, "SEGMENTATION_MODEL": bright_model, "OUTPUT": str(output)})


@pytest.fixture
def server(tiles):
    with TileServer(tiles) as serving:
        yield serving


def xyz_layer(server) -> QgsRasterLayer:
    layer = QgsRasterLayer(server.xyz_uri(ZOOM), "town tiles", "wms")
    assert layer.isValid()
    return layer


def run_failing(parameters, feedback=None) -> str:
    with pytest.raises(QgsProcessingException) as raised:
        processing.run(ALGORITHM, parameters, feedback=feedback)
    return str(raised.value)


def test_an_xyz_layer_gives_the_buildings_and_areas_of_the_geotiff(provider, server, bright_model, town_result,
                                                                    tmp_path):
    output = tmp_path / "buildings.gpkg"
    result = processing.run(ALGORITHM, {"INPUT": xyz_layer(server), "EXTENT": TOWN_EXTENT,
                                        "SEGMENTATION_MODEL": bright_model, "OUTPUT": str(output)})
    assert town_result["BUILDING_COUNT"] == len(TOWN)
    assert result["BUILDING_COUNT"] == len(TOWN)
    assert result["TOTAL_AREA_M2"] == pytest.approx(town_result["TOTAL_AREA_M2"], rel=0.02)
    web_areas = sorted(f["area_m2"] for f in QgsVectorLayer(result["OUTPUT"], "web", "ogr").getFeatures())
    tiff_areas = sorted(f["area_m2"] for f in QgsVectorLayer(town_result["OUTPUT"], "tiff", "ogr").getFeatures())
    assert web_areas == pytest.approx(tiff_areas, rel=0.05)
    # Read at the model's GSD, which the summary records as chosen by resampling.
    assert result["GSD_M"] == pytest.approx(GSD_M, rel=1e-6)
    assert result["GSD_SOURCE"] == "resampling"
    summary = QgsVectorLayer(f"{output}|layername=summary", "summary", "ogr")
    assert [f["gsd_source"] for f in summary.getFeatures()] == ["resampling"]
    buildings = QgsVectorLayer(result["OUTPUT"], "web", "ogr")
    assert {f["gsd_source"] for f in buildings.getFeatures()} == {"resampling"}
    assert all(count == 1 for count in server.requests.values())  # no tile fetched twice
    assert os.listdir(tmp_path) == ["buildings.gpkg"]  # the fetched raster is gone


@pytest.mark.parametrize("as_uri", [False, True])
def test_a_web_layer_needs_an_extent(provider, server, bright_model, tmp_path, as_uri):
    # A layer loaded from a URI string (as qgis_process does) has no name: the message names its source.
    layer = f"wms://{server.xyz_uri(ZOOM)}" if as_uri else xyz_layer(server)
    message = run_failing({"INPUT": layer, "SEGMENTATION_MODEL": bright_model,
                           "OUTPUT": str(tmp_path / "buildings.gpkg")})
    assert "EXTENT" in message and (server.url if as_uri else "'town tiles'") in message
    assert server.requests == {}


@pytest.mark.parametrize("status", [500, 404])
def test_a_failing_tile_names_its_url_and_status(provider, server, bright_model, tmp_path, status):
    failing = sorted(server_paths(server))[len(TOWN) // 2]
    server.failures[failing] = status
    # Python's garbage collector runs while the failing reply is pending (as it may at any time): the
    # watch must go on following it. Only then: a collection on every request slows a loaded machine's
    # server past QGIS's network timeout.
    server.on_request = lambda path: path == failing and gc.collect()
    message = run_failing({"INPUT": xyz_layer(server), "EXTENT": TOWN_EXTENT, "SEGMENTATION_MODEL": bright_model,
                           "OUTPUT": str(tmp_path / "buildings.gpkg")})
    assert f"HTTP {status}" in message and server.url + failing in message
    assert os.listdir(tmp_path) == []


def run_in_a_task(parameters):
    """Run the algorithm as QGIS desktop does: in a task's thread, the main thread handling events meanwhile.

    Returns (succeeded, results, error messages reported to the feedback).
    """
    errors, done = [], []

    class Feedback(QgsProcessingFeedback):
        def reportError(self, error, fatalError=False):  # noqa: N802,N803 (QGIS's names)
            errors.append(error)

    feedback, context = Feedback(), QgsProcessingContext()
    algorithm = QgsApplication.processingRegistry().createAlgorithmById(ALGORITHM)
    task = QgsProcessingAlgRunnerTask(algorithm, parameters, context, feedback)
    task.executed.connect(lambda succeeded, results: done.append((succeeded, results)))
    QgsApplication.taskManager().addTask(task)
    deadline = time.monotonic() + 120  # a bound on waiting, not a timing check
    while not done and time.monotonic() < deadline:
        QCoreApplication.processEvents()
        time.sleep(0.01)
    assert done, "the task did not finish"
    succeeded, results = done[0]
    return succeeded, results, errors


@pytest.mark.parametrize("status", [None, 500])
def test_a_run_in_a_background_task_finds_the_buildings_or_the_failing_tile(provider, server, bright_model, town_result,
                                                                           tmp_path, status):
    # On 3.40 the tiles are then fetched by a third thread (QGIS's tile download manager).
    failing = sorted(server_paths(server))[len(TOWN) // 2]
    if status:
        server.failures[failing] = status
    succeeded, results, errors = run_in_a_task({"INPUT": xyz_layer(server), "EXTENT": TOWN_EXTENT,
                                                "SEGMENTATION_MODEL": bright_model,
                                                "OUTPUT": str(tmp_path / "buildings.gpkg")})
    if status:
        assert not succeeded
        assert any(f"HTTP {status}" in error and server.url + failing in error for error in errors), errors
        assert os.listdir(tmp_path) == []
    else:
        assert succeeded, errors
        assert results["BUILDING_COUNT"] == town_result["BUILDING_COUNT"]


def server_paths(server):
    """The paths of all tiles the server holds ('/19/x/y.png')."""
    for folder, _, names in os.walk(server.folder):
        for name in names:
            if name.endswith(".png"):  # not GDAL's .aux.xml sidecars
                yield "/" + os.path.relpath(os.path.join(folder, name), server.folder)


def test_cancelling_stops_fetching_tiles(provider, server, bright_model, tmp_path):
    feedback = QgsProcessingFeedback()
    server.delay_s = 0.3
    server.on_request = lambda _path: feedback.cancel()
    message = run_failing({"INPUT": xyz_layer(server), "EXTENT": TOWN_EXTENT, "SEGMENTATION_MODEL": bright_model,
                           "OUTPUT": str(tmp_path / "buildings.gpkg")}, feedback)
    assert "Cancelled" in message
    assert 0 < sum(server.requests.values()) < len(list(server_paths(server))) // 2
    assert os.listdir(tmp_path) == []


def test_tiles_shared_by_blocks_are_fetched_once(server, tmp_path):
    town_utm = QgsRectangle(UTM_ORIGIN[0], UTM_ORIGIN[1] - TOWN_PX * GSD_M, UTM_ORIGIN[0] + TOWN_PX * GSD_M,
                            UTM_ORIGIN[1])
    grid = local_grid(town_utm, QgsCoordinateReferenceSystem("EPSG:32633"), GSD_M,
                      QgsProject.instance().transformContext())
    path = str(tmp_path / "town.tif")
    read_layer(LayerReader(xyz_layer(server)), grid, path, QgsProject.instance().transformContext(),
               QgsProcessingFeedback(), lambda _percent, _text: None, block_px=256)
    assert len(list(grid.blocks(256))) == 16
    assert server.requests and all(count == 1 for count in server.requests.values())
    dataset = gdal.Open(path)
    assert (dataset.RasterXSize, dataset.RasterYSize) == (grid.width, grid.height)
    assert dataset.GetGeoTransform()[1] == -dataset.GetGeoTransform()[5] == GSD_M


def test_the_toolbar_dialog_takes_the_map_canvas_extent_for_a_web_layer(qgis_iface, server):
    layer = xyz_layer(server)
    layer_id = layer.id()
    QgsProject.instance().addMapLayer(layer)
    canvas = qgis_iface.mapCanvas()
    canvas.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
    canvas.setExtent(QgsRectangle(1820000, 6140000, 1821000, 6141000))
    qgis_iface.setActiveLayer(layer)
    try:
        parameters = initial_parameters(qgis_iface)
    finally:
        QgsProject.instance().removeMapLayer(layer_id)
    assert parameters["INPUT"] == layer_id
    assert isinstance(parameters["EXTENT"], QgsReferencedRectangle)
    assert parameters["EXTENT"].crs().authid() == "EPSG:3857"
    assert parameters["EXTENT"].contains(QgsRectangle(1820000, 6140000, 1821000, 6141000))


def test_premultiplied_argb_becomes_straight_rgba():
    # Opaque orange, half-transparent white (premultiplied: 128,128,128), fully transparent.
    argb = np.array([[0xFFFF8000, 0x80808080, 0x00000000]], np.uint32)
    rgba = argb_to_rgba(argb)
    assert rgba[:, 0, 0].tolist() == [255, 128, 0, 255]
    assert rgba[:, 0, 1].tolist() == [255, 255, 255, 128]
    assert rgba[:, 0, 2].tolist() == [0, 0, 0, 0]


def test_qgis_process_runs_on_an_xyz_layer_uri(qgis_process_env, server, bright_model, town_result, tmp_path):
    # qgis_process (3.22) loads "<provider>://<uri>" with that provider: here 'wms', which serves XYZ too.
    done = run_qgis_process(qgis_process_env, f"INPUT=wms://{server.xyz_uri(ZOOM)}", f"EXTENT={TOWN_EXTENT}",
                            f"SEGMENTATION_MODEL={bright_model}", f"OUTPUT={tmp_path / 'buildings.gpkg'}")
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(done.stdout)["results"]
    assert results["BUILDING_COUNT"] == town_result["BUILDING_COUNT"]
    assert results["TOTAL_AREA_M2"] == pytest.approx(town_result["TOTAL_AREA_M2"], rel=0.02)
    assert results["GSD_SOURCE"] == "resampling"
