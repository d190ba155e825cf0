"""A loopback HTTP server serving generated images, for tests of image columns.

The database may fetch from loopback only with ``autovec_image_allow_private_hosts`` on
(a test-only setting), which :func:`allow_loopback_images` sets.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import autovec

__all__ = ["ImageServer", "allow_loopback_images", "png"]


def png(color: tuple[int, int, int] | str, size: int = 32, shape: str = "square") -> bytes:
    """A PNG of a ``shape`` (square or circle) in ``color`` on white."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    box = (size // 8, size // 8, size - size // 8, size - size // 8)
    if shape == "circle":
        draw.ellipse(box, fill=color)
    else:
        draw.rectangle(box, fill=color)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class ImageServer:
    """``GET /<name>`` answers ``images[name]`` (404 otherwise) and counts the requests.

    ``on_request`` (if set) runs in the serving thread before each answer: tests use it
    to observe what the database does while it fetches.
    """

    def __init__(self) -> None:
        self.images: dict[str, bytes] = {}
        self.hits: list[str] = []
        self.on_request: Callable[[str], None] | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                name = self.path.lstrip("/")
                owner.hits.append(name)
                if owner.on_request is not None:
                    owner.on_request(name)
                data = owner.images.get(name)
                if data is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def url(self, name: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/{name}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def allow_loopback_images(cur: autovec.Cursor) -> None:
    """Let the database fetch from this machine's loopback server (test-only)."""
    cur.execute("SET @@GLOBAL.autovec_image_allow_private_hosts = ON")
