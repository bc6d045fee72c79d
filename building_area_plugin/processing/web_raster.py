"""Read a raster layer GDAL cannot open (XYZ, WMTS, WMS, ...) through QGIS into a temporary GeoTIFF.

The core reads GDAL datasets only. A web layer has no such dataset, so QGIS renders the
analysed extent, block by block, onto a grid chosen here: a local transverse Mercator CRS
centred on the extent (scale 1 at its centre, so a pixel is GSD metres on the ground to
better than 1e-6 over several km) at the model's GSD. The core then finds that GSD in the
georeferencing, exactly, and never resamples again.

What QGIS does for us while fetching (and what this module relies on rather than redoing):
the WMS/XYZ/WMTS provider requests the tiles of a block at once through Qt, which opens at
most 6 connections per host, and keeps fetched tiles in its in-memory tile cache and the
profile's network disk cache, so a tile shared by neighbouring blocks is downloaded once.
Blocks run row by row so those neighbours are recent cache entries.
"""
import contextlib
import os
import tempfile
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, Tuple

import numpy as np
from osgeo import gdal, ogr
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsNetworkAccessManager,
    QgsNetworkRequestParameters,
    QgsRasterBlockFeedback,
    QgsRasterPipe,
    QgsRasterProjector,
    QgsRectangle,
)
from qgis.PyQt import sip
from qgis.PyQt.QtCore import Qt, QThread
from qgis.PyQt.QtNetwork import QNetworkReply, QNetworkRequest

from ..core.errors import CancelledError, InputRasterError
from ..core.outputs import TEMP_PREFIX

GSD_SOURCE_RESAMPLED = "resampling"  # gsd_source of a layer read through QGIS: we chose the GSD when reading it
BLOCK_PX = 2048  # a side of one rendered block: 16 MB of ARGB, ~200 tiles at 0.3 m (within QGIS's tile cache)
LOCAL_TM = "+proj=tmerc +lat_0={lat:.6f} +lon_0={lon:.6f} +k=1 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"
WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")
# Temporary GeoTIFF: tiled for the core's window reads, light compression (imagery, read once).
GEOTIFF_OPTIONS = ["TILED=YES", "COMPRESS=DEFLATE", "ZLEVEL=1", "BIGTIFF=IF_SAFER", "PHOTOMETRIC=RGB", "ALPHA=YES"]

Progress = Callable[[float, str], None]


class WebLayerError(InputRasterError):
    """A layer read through QGIS failed: a tile request, an empty image, nothing visible."""


@dataclass(frozen=True)
class FetchGrid:
    """The grid a web layer is read onto: north-up, square pixels of gsd_m in crs."""
    crs: QgsCoordinateReferenceSystem
    xmin: float
    ymax: float
    width: int
    height: int
    gsd_m: float

    @property
    def geotransform(self) -> Tuple[float, float, float, float, float, float]:
        return (self.xmin, self.gsd_m, 0.0, self.ymax, 0.0, -self.gsd_m)

    def blocks(self, block_px: int) -> Iterator[Tuple[int, int, int, int]]:
        """(col, row, width, height) of the blocks, row by row."""
        for row in range(0, self.height, block_px):
            for col in range(0, self.width, block_px):
                yield col, row, min(block_px, self.width - col), min(block_px, self.height - row)

    def block_extent(self, col: int, row: int, width: int, height: int) -> QgsRectangle:
        x0, y1 = self.xmin + col * self.gsd_m, self.ymax - row * self.gsd_m
        return QgsRectangle(x0, y1 - height * self.gsd_m, x0 + width * self.gsd_m, y1)


def local_grid(extent: QgsRectangle, extent_crs: QgsCoordinateReferenceSystem, gsd_m: float,
               transform_context) -> FetchGrid:
    """A grid at gsd_m covering extent, in a transverse Mercator CRS centred on it."""
    centre = QgsCoordinateTransform(extent_crs, WGS84, transform_context).transform(extent.center())
    crs = QgsCoordinateReferenceSystem.fromProj(LOCAL_TM.format(lat=centre.y(), lon=centre.x()))
    box = QgsCoordinateTransform(extent_crs, crs, transform_context).transformBoundingBox(extent)
    # Pixel edges on multiples of the GSD: the same extent always gives the same grid.
    xmin, ymax = np.floor(box.xMinimum() / gsd_m) * gsd_m, np.ceil(box.yMaximum() / gsd_m) * gsd_m
    width = max(1, int(np.ceil((box.xMaximum() - xmin) / gsd_m - 1e-9)))
    height = max(1, int(np.ceil((ymax - box.yMinimum()) / gsd_m - 1e-9)))
    return FetchGrid(crs, float(xmin), float(ymax), width, height, gsd_m)


def _current_thread_id() -> int:
    """The address of the calling thread's QThread (also for threads Python did not start)."""
    return sip.unwrapinstance(QThread.currentThread())


# QGIS's wms provider (WMS, WMTS, XYZ) tags the requests for a block's tiles with this initiator class.
TILE_REQUEST_INITIATOR = "QgsWmsTiledImageDownloadHandler"
INITIATOR_CLASS = QNetworkRequest.Attribute(int(QgsNetworkRequestParameters.RequestAttributes.AttributeInitiatorClass))


class HttpFailureWatch:
    """Records the network requests for reading this thread's blocks that failed, while in a ``with`` block.

    The provider gives back a partly blank image when a tile fails, with no error on the block,
    the provider or the block's feedback (at most a line in the message log), on QGIS 3.22 and
    3.40 alike. So the replies themselves are watched: an HTTP error status, a network error or
    an aborted request (QGIS's network timeout aborts), by URL. A later success for the same URL
    (a provider's retry) clears it.

    Which requests are a block's depends on the version. QGIS 3.22's provider makes them in the
    reading thread. QGIS 3.40's hands them to QGIS's tile download manager, one thread that
    fetches for every layer and map render, and whose network signals reach only the main
    thread's network manager, late. So the watch hooks into the creation of every reply, in the
    thread that makes it (a reply preprocessor), and follows the replies made by this thread,
    and the provider's tile requests (TILE_REQUEST_INITIATOR) made by any thread while one of our
    blocks is being read (``reading``). Each reply's result is recorded in that thread before
    the provider sees it, so it is known when the block returns. A tile that another web layer
    drawn at the same moment fails counts too: a failure too many stops a run (run it again),
    a missed one would let it measure blank imagery without a word.
    """

    def __init__(self):
        self._thread = _current_thread_id()
        self.failures: Dict[str, str] = {}
        self.reading = False  # a block of ours is being read (set around QgsRasterInterface.block)
        self._preprocessor = None

    def __enter__(self) -> "HttpFailureWatch":
        self._preprocessor = QgsNetworkAccessManager.setReplyPreprocessor(self._reply_created)
        return self

    def __exit__(self, *exc) -> None:
        QgsNetworkAccessManager.removeReplyPreprocessor(self._preprocessor)

    def _reply_created(self, request: QNetworkRequest, reply: QNetworkReply) -> None:
        """Called by QGIS for every request of every thread, in the thread that makes it."""
        if _current_thread_id() == self._thread or (
                self.reading and request.attribute(INITIATOR_CLASS) == TILE_REQUEST_INITIATOR):
            # The slot keeps the reply's address, not its Python wrapper: a wrapper kept past the reply's
            # deletion would be handed out again for a later reply at the same address (then raising
            # "has been deleted"), and one the slot refers to is a cycle Python's garbage collector
            # breaks by disconnecting the slot. Direct: it runs in the reply's thread, before the
            # provider (connected after this hook) hears of the result.
            address, url = sip.unwrapinstance(reply), request.url().toString()
            reply.finished.connect(lambda: self._reply_finished(address, url), Qt.ConnectionType.DirectConnection)

    def _reply_finished(self, address: int, url: str) -> None:
        # Runs in QGIS's threads, where an exception would abort QGIS (PyQt's qFatal): none escapes.
        try:
            reply = sip.wrapinstance(address, QNetworkReply)
            status = reply.attribute(QNetworkRequest.Attribute.HttpStatusCodeAttribute)
            error = reply.error()
            if error == QNetworkReply.NetworkError.NoError and (status is None or status < 400):
                self.failures.pop(url, None)
            elif error == QNetworkReply.NetworkError.OperationCanceledError:
                # QGIS's network timeout aborts a request; so does Cancel, which the caller checks first.
                self.failures[url] = "no answer in time (the request was aborted)"
            else:
                reason = reply.attribute(QNetworkRequest.Attribute.HttpReasonPhraseAttribute) or reply.errorString()
                self.failures[url] = f"HTTP {status} {reason}" if status else reason
        except Exception as exc:  # a reply that cannot be checked is not taken for a good one
            self.failures[url] = f"the reply could not be read ({exc})"

    def check(self, layer_name: str) -> None:
        if self.failures:
            url, reason = next(iter(self.failures.items()))
            others = f" (and {len(self.failures) - 1} more)" if len(self.failures) > 1 else ""
            raise WebLayerError(
                f"Reading the web layer '{layer_name}' failed: {reason} for {url}{others}. Check that the "
                f"service answers (open the URL in a browser) and that the layer's URL is right, then run again.")


def layer_label(layer) -> str:
    """How messages name a layer: a layer loaded from a URI (qgis_process) has an empty name."""
    return layer.name() or layer.source()


class LayerReader:
    """A raster layer's provider and renderer, cloned where the layer lives (the main thread), as QGIS does
    for map rendering, so that reading can happen in a Processing worker thread."""

    def __init__(self, layer):
        self.name = layer_label(layer)
        self.provider = layer.providerType()
        self.crs = layer.crs()
        self._provider = layer.dataProvider().clone()
        self._renderer = layer.renderer().clone()

    def pipe(self, crs: QgsCoordinateReferenceSystem, transform_context) -> QgsRasterPipe:
        """Provider -> renderer (what the user sees, as ARGB) -> projector into crs."""
        pipe = QgsRasterPipe()
        projector = QgsRasterProjector()
        projector.setCrs(self.crs, crs, transform_context)
        projector.setPrecision(QgsRasterProjector.Precision.Exact)  # pixel-exact geometry, not a mesh
        for interface in (self._provider.clone(), self._renderer.clone(), projector):
            if not pipe.set(interface):
                raise WebLayerError(f"QGIS cannot render the layer '{self.name}' for reading.")
        return pipe


def argb_to_rgba(argb: np.ndarray) -> np.ndarray:
    """QGIS's premultiplied ARGB32 pixels [h, w] (uint32) as straight RGBA bands [4, h, w] (uint8)."""
    alpha = (argb >> 24).astype(np.uint8)
    rgba = np.empty((4,) + argb.shape, np.uint8)
    scale = np.where(alpha > 0, 255.0 / np.maximum(alpha, 1), 0.0).astype(np.float32)
    for band, shift in enumerate((16, 8, 0)):
        channel = ((argb >> shift) & 0xFF).astype(np.float32)
        rgba[band] = np.clip(np.rint(channel * scale), 0, 255)
    rgba[3] = alpha
    return rgba


def read_layer(reader: LayerReader, grid: FetchGrid, path: str, transform_context, feedback,
               progress: Progress, block_px: int = BLOCK_PX) -> None:
    """Render the layer onto grid and write it to path (RGBA GeoTIFF), one block in memory at a time.

    feedback: the QgsFeedback whose cancel stops the fetch (pending tile requests included).
    Raises WebLayerError on a failed tile request, an image QGIS could not render, or an
    extent where the layer shows nothing; CancelledError when cancelled.
    """
    pipe = reader.pipe(grid.crs, transform_context)
    dataset = gdal.GetDriverByName("GTiff").Create(path, grid.width, grid.height, 4, gdal.GDT_Byte, GEOTIFF_OPTIONS)
    dataset.SetProjection(grid.crs.toWkt(QgsCoordinateReferenceSystem.WktVariant.WKT2_2019))
    dataset.SetGeoTransform(grid.geotransform)
    blocks = list(grid.blocks(block_px))
    visible = False
    try:
        with HttpFailureWatch() as watch:
            for number, (col, row, width, height) in enumerate(blocks):
                rgba = _read_block(pipe, grid.block_extent(col, row, width, height), width, height, feedback,
                                   watch, reader.name)
                visible = visible or bool(rgba[3].any())
                dataset.WriteRaster(col, row, width, height, rgba.tobytes(), band_list=[1, 2, 3, 4])
                progress(100.0 * (number + 1) / len(blocks), f"Read {number + 1} of {len(blocks)} blocks of "
                                                             f"'{reader.name}'")
    finally:
        dataset = None  # closes the file, so that it can be read or deleted
    if not visible:
        raise WebLayerError(f"The layer '{reader.name}' shows nothing in the extent: every pixel read is "
                            f"transparent. Choose an extent the layer covers (zoom the map onto its imagery).")


def _read_block(pipe, extent: QgsRectangle, width: int, height: int, feedback, watch: HttpFailureWatch,
                name: str) -> np.ndarray:
    block_feedback = QgsRasterBlockFeedback()
    feedback.canceled.connect(block_feedback.cancel)  # aborts the block's pending tile requests
    try:
        if feedback.isCanceled():
            raise CancelledError(f"Cancelled while reading the layer '{name}'.")
        watch.reading = True
        block = pipe.last().block(1, extent, width, height, block_feedback)
    finally:
        watch.reading = False
        feedback.canceled.disconnect(block_feedback.cancel)
    if feedback.isCanceled():
        raise CancelledError(f"Cancelled while reading the layer '{name}'.")
    watch.check(name)
    if block is None or not block.isValid() or block.width() != width or block.height() != height:
        errors = "; ".join(block_feedback.errors()) or "no reason given"
        raise WebLayerError(f"QGIS returned no image for the layer '{name}' ({errors}). Check that the layer "
                            f"draws on the map, then run again.")
    return argb_to_rgba(np.frombuffer(bytes(block.data()), np.uint32).reshape(height, width))


@contextlib.contextmanager
def layer_as_geotiff(reader: LayerReader, grid: FetchGrid, output_path: str, transform_context, feedback,
                     progress: Progress) -> Iterator[str]:
    """The layer read onto grid (see read_layer) as a GeoTIFF in a hidden folder beside the output.

    The folder is deleted when the block ends, also on an error or cancel; named like the
    core's temporary files, a crash's leftover is removed by a later run (core.outputs).
    """
    folder = os.path.dirname(os.path.abspath(output_path))
    with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX + "web-", dir=folder) as workdir:
        path = os.path.join(workdir, "layer.tif")
        read_layer(reader, grid, path, transform_context, feedback, progress)
        yield path


def model_gsd_m(model_path: str, checksums) -> float:
    """The GSD the segmentation model was trained at (its metadata 'resolution'), m/px."""
    from ..core.model import OnnxModel  # onnxruntime is needed from here on only

    return OnnxModel(model_path, checksums).metadata.gsd_m


def read_summary(reader: LayerReader, grid: FetchGrid) -> str:
    return (f"Read '{reader.name}' through QGIS onto {grid.width} x {grid.height} px of {grid.gsd_m:.3f} m in a "
            f"local transverse Mercator CRS centred on the extent: the GSD is exact, chosen by resampling the layer.")


def relabel_gsd_source(gpkg_path: str, layers=("buildings", "summary")) -> None:
    """Mark the GSD of an output GeoPackage as chosen by resampling (the core saw a georeferenced GeoTIFF)."""
    dataset = ogr.Open(gpkg_path, 1)
    if dataset is None:
        raise WebLayerError(f"Cannot open {gpkg_path} to record the GSD's source.")
    dataset.StartTransaction()  # all features or none
    for name in layers:
        layer = dataset.GetLayerByName(name)
        for fid in [feature.GetFID() for feature in layer]:  # FIDs first: no writes while iterating
            feature = layer.GetFeature(fid)
            feature.SetField("gsd_source", GSD_SOURCE_RESAMPLED)
            layer.SetFeature(feature)
    dataset.CommitTransaction()
    dataset = None


def web_layer_extent_missing(name: str, provider: str) -> str:
    return (f"'{name}' is read through QGIS (provider '{provider}', e.g. a web map), which has no edge to stop "
            f"at: give the extent to analyse in EXTENT (e.g. the map canvas extent).")
