"""A threaded HTTP server on 127.0.0.1 that serves one model file the way a release host would
(with HTTP Range), and can misbehave on demand: corrupt bytes, cut connections, error statuses."""
import hashlib
import http.server
import threading
from typing import List, Optional

from building_area_plugin.core.manifest import MANIFEST_FILE, ModelEntry, manifest_text

MISSING_PATH = "/missing.onnx"


class ModelServer:
    def __init__(self, payload: bytes):
        self.payload = payload
        self.corrupt = False        # flip one byte of what is sent
        self.status = None          # answer every request with this HTTP error status
        self.drop_after = None      # send only this many bytes, then close the connection ...
        self.drops = 0              # ... for this many requests
        self.honour_range = True
        self.ranges: List[Optional[str]] = []  # the Range header of each request for the model
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/building_segmentation_v1.onnx"

    @property
    def missing_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}{MISSING_PATH}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def _body(self, range_header: Optional[str]):
        """(status, first byte, bytes) for a request with this Range header ("bytes=N-" only)."""
        start = 0
        if range_header and self.honour_range:
            start = int(range_header.removeprefix("bytes=").rstrip("-"))
        body = bytearray(self.payload[start:])
        if self.corrupt and body:
            body[len(body) // 2] ^= 0xFF
        return (206 if start else 200), start, bytes(body)

    def _handler(self):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                if self.path == MISSING_PATH:
                    self.send_error(404)
                    return
                server.ranges.append(self.headers.get("Range"))
                if server.status:
                    self.send_error(server.status)
                    return
                status, start, body = server._body(self.headers.get("Range"))
                if start >= len(server.payload):
                    self.send_error(416)
                    return
                self.send_response(status)
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(server.payload) - 1}/{len(server.payload)}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.drops:
                    server.drops -= 1
                    body = body[:server.drop_after]
                    self.close_connection = True
                self.wfile.write(body)

            def log_message(self, *args):  # keep pytest's output clean
                pass

        return Handler


MODEL_FILE = "building_segmentation_v1.onnx"


def model_entry(payload: bytes, *urls: str) -> ModelEntry:
    """The manifest entry of a segmentation model whose bytes are payload, served at urls."""
    return ModelEntry(name="building_segmentation", version="1.0.0", file=MODEL_FILE, size=len(payload),
                      sha256=hashlib.sha256(payload).hexdigest(), urls=tuple(urls))


def light_plugin_models(folder, entry: ModelEntry) -> str:
    """A light plugin's models folder: the manifest listing entry, and no model file."""
    folder.mkdir(parents=True)
    (folder / MANIFEST_FILE).write_text(manifest_text([entry]))
    return str(folder)
