"""XYZ tiles of a GeoTIFF, served from a local folder on 127.0.0.1 by a small threaded HTTP server.

Tiles are cut with GDAL (a warp to EPSG:3857 per tile, written as RGBA PNG), so the web layer
shows the same scene as the GeoTIFF, through Web Mercator and PNG, as a real basemap would.
"""
import http.server
import math
import os
import sys
import threading
import uuid
from dataclasses import dataclass, field
from typing import Dict, Iterator, Optional, Tuple

from osgeo import gdal

EARTH_HALF_CIRCUMFERENCE = math.pi * 6378137.0  # EPSG:3857 x of the antimeridian
TILE_PX = 256


def tile_bounds(zoom: int, x: int, y: int) -> Tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) in EPSG:3857 of XYZ tile (zoom, x, y); y counts down from the north."""
    size = 2 * EARTH_HALF_CIRCUMFERENCE / 2 ** zoom
    xmin = -EARTH_HALF_CIRCUMFERENCE + x * size
    ymax = EARTH_HALF_CIRCUMFERENCE - y * size
    return xmin, ymax - size, xmin + size, ymax


def tiles_over(raster: str, zoom: int) -> Iterator[Tuple[int, int]]:
    """(x, y) of the tiles at zoom that the raster's footprint touches."""
    info = gdal.Warp("", raster, format="VRT", dstSRS="EPSG:3857")
    gt = info.GetGeoTransform()
    xmin, ymax = gt[0], gt[3]
    xmax, ymin = xmin + gt[1] * info.RasterXSize, ymax + gt[5] * info.RasterYSize
    size = 2 * EARTH_HALF_CIRCUMFERENCE / 2 ** zoom
    for y in range(int((EARTH_HALF_CIRCUMFERENCE - ymax) // size), int((EARTH_HALF_CIRCUMFERENCE - ymin) // size) + 1):
        for x in range(int((xmin + EARTH_HALF_CIRCUMFERENCE) // size),
                       int((xmax + EARTH_HALF_CIRCUMFERENCE) // size) + 1):
            yield x, y


def cut_xyz_tiles(raster: str, folder: str, zoom: int) -> int:
    """Write folder/zoom/x/y.png for every tile over the raster (transparent outside it); returns the count."""
    png = gdal.GetDriverByName("PNG")
    count = 0
    for x, y in tiles_over(raster, zoom):
        os.makedirs(os.path.join(folder, str(zoom), str(x)), exist_ok=True)
        xmin, ymin, xmax, ymax = tile_bounds(zoom, x, y)
        tile = gdal.Warp("", raster, format="MEM", dstSRS="EPSG:3857", outputBounds=(xmin, ymin, xmax, ymax),
                         width=TILE_PX, height=TILE_PX, dstAlpha=True, resampleAlg="bilinear")
        png.CreateCopy(os.path.join(folder, str(zoom), str(x), f"{y}.png"), tile)
        count += 1
    return count


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that hung up (a cancelled fetch aborts its requests) is no error; others are."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class TileServer:
    """Serves folder on http://127.0.0.1:<port>/<token>/; counts requests per path; failures[path] = HTTP status.

    Paths are those inside folder ('/19/x/y.png'). The random token makes each server's tile URLs
    new to QGIS, whose tile cache outlives a layer (and a port may be reused).

    delay_s: how long each tile request waits before its answer (for cancelling mid-fetch).
    on_request: called with each requested path (from the server's threads).
    """
    folder: str
    failures: Dict[str, int] = field(default_factory=dict)
    delay_s: float = 0.0
    on_request: Optional[object] = None
    requests: Dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        server = self
        self.token = uuid.uuid4().hex

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=server.folder, **kwargs)

            def do_GET(self):  # noqa: N802 (http.server's name)
                prefix = f"/{server.token}"
                if not self.path.startswith(prefix + "/"):
                    self.send_error(404)
                    return
                self.path = self.path[len(prefix):]
                server.requests[self.path] = server.requests.get(self.path, 0) + 1
                if server.on_request:
                    server.on_request(self.path)
                if server.delay_s:
                    threading.Event().wait(server.delay_s)
                if self.path in server.failures:
                    self.send_error(server.failures[self.path])
                    return
                super().do_GET()

            def end_headers(self):
                # As tile services do: let clients cache tiles.
                self.send_header("Cache-Control", "max-age=3600")
                super().end_headers()

            def log_message(self, *args):
                pass

        self._httpd = QuietServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/{self.token}"

    def xyz_uri(self, zoom: int) -> str:
        """A QGIS 'wms' provider URI of the tiles, as QGIS writes XYZ connections."""
        return f"type=xyz&url={self.url}/%7Bz%7D/%7Bx%7D/%7By%7D.png&zmax={zoom}&zmin={zoom}"

    def __enter__(self) -> "TileServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
