"""What the multimodal mocks (Jina, DashScope, Cohere) know about images.

A real multimodal model puts an image and a caption that describes it close together.
The mocks imitate that with colour, so that tests can check that a search finds the
*right* image, not merely some image:

* an image's vector is a fixed orthonormal projection (one per model) of its 4×4
  thumbnail, centred: the same picture gives the same vector wherever it is stored, and a
  re-encoded copy (a PIL image sent as JPEG) lands next to the original;
* a text that names a colour ("orange tabby cat") is embedded as a plain image of that
  colour, in the same space; any other text gets :func:`fake_vector` as before.

Images reach a mock as a URL, which the mock fetches the way the provider would (only
loopback URLs: no test reaches the internet), or inline (a ``data:`` URI or raw base64).
:class:`ImageServer` serves generated images on a loopback port for those URLs.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import numpy as np
from PIL import Image, ImageDraw

from tests.mock_providers.server import fake_vector

__all__ = [
    "COLOURS",
    "ImageRejected",
    "ImageServer",
    "check_decodable",
    "content_vector",
    "image_bytes",
    "make_image",
    "multimodal_vector",
    "sniff_format",
]

#: Colour words a text may name, and the colour it then stands for.
COLOURS: dict[str, tuple[int, int, int]] = {
    "orange": (255, 140, 0),
    "red": (220, 20, 20),
    "green": (30, 170, 40),
    "blue": (20, 60, 230),
    "yellow": (250, 230, 30),
    "purple": (140, 40, 180),
    "black": (10, 10, 10),
    "white": (245, 245, 245),
}
_GRID = 4
_FEATURES = _GRID * _GRID * 3 + 1  # the thumbnail, plus a constant so no vector is zero
_WORD = re.compile(r"[a-z]+")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
)


class ImageRejected(ValueError):
    """The mock cannot use this image (not fetchable, not decodable): a provider 400."""


def sniff_format(data: bytes) -> str | None:
    """``png``/``jpeg``/``gif``/``bmp``/``webp`` from the first bytes, else None."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def image_bytes(value: str, *, allow_urls: bool = True) -> bytes:
    """The image a provider was sent: fetched (loopback URL), or decoded (data URI /
    raw base64). Raises :class:`ImageRejected` with the provider-facing reason."""
    if value.startswith(("http://", "https://")):
        if not allow_urls:
            raise ImageRejected("image URLs are not accepted; send a data URI")
        return _fetch(value)
    payload = value.split(",", 1)[1] if value.startswith("data:") else value
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ImageRejected("image is neither a URL nor valid base64 data") from None


def _fetch(url: str) -> bytes:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host not in _LOOPBACK:
        raise ImageRejected(f"failed to fetch image from {url}: host unreachable")
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bytes(response.read())
    except (urllib.error.URLError, OSError) as exc:
        raise ImageRejected(f"failed to fetch image from {url}: {exc}") from None


@lru_cache(maxsize=32)
def _projection(dims: int, salt: str) -> np.ndarray:
    """``(dims, features)``; orthonormal columns (cosines kept exactly) when ``dims`` allows."""
    seed = fake_vector("projection", 8, salt=salt).view(np.uint32)
    rng = np.random.default_rng(seed.tolist())
    matrix = rng.standard_normal((dims, _FEATURES))
    if dims < _FEATURES:
        return (matrix / np.sqrt(dims)).astype(np.float32)
    q, _ = np.linalg.qr(matrix)
    return q.astype(np.float32)


def _features(image: Image.Image) -> np.ndarray:
    thumb = image.convert("RGB").resize((_GRID, _GRID), Image.Resampling.BOX)
    values = np.asarray(thumb, dtype=np.float32).reshape(-1) / 255.0 - 0.5
    return np.append(values, 0.25).astype(np.float32)


def _project(features: np.ndarray, dims: int, salt: str) -> np.ndarray:
    vec = _projection(dims, salt) @ features
    return (vec / np.linalg.norm(vec)).astype(np.float32)


def _decoded_features(data: bytes) -> np.ndarray:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return _features(image)
    except (OSError, ValueError, Image.DecompressionBombError):
        raise ImageRejected("the image could not be decoded") from None


def check_decodable(data: bytes) -> None:
    """Raise :class:`ImageRejected` unless ``data`` is an image Pillow can decode."""
    _decoded_features(data)


def content_vector(data: bytes, dims: int, salt: str) -> np.ndarray:
    """The vector of an encoded image (raises :class:`ImageRejected` if undecodable)."""
    return _project(_decoded_features(data), dims, salt)


def _colour_named(text: str) -> tuple[int, int, int] | None:
    for word in _WORD.findall(text.lower()):
        if word in COLOURS:
            return COLOURS[word]
    return None


def multimodal_vector(text: str, dims: int, salt: str, text_salt: str) -> np.ndarray:
    """A text's vector in the shared space: a colour it names, else ``fake_vector``
    salted with ``text_salt`` (what else the provider conditions text on)."""
    colour = _colour_named(text)
    if colour is None:
        return fake_vector(text, dims, salt=text_salt)
    return _project(_features(Image.new("RGB", (_GRID, _GRID), colour)), dims, salt)


def make_image(
    colour: tuple[int, int, int], *, size: int = 32, shape: str = "circle", fmt: str = "PNG"
) -> bytes:
    """A ``size``×``size`` picture: ``colour`` with a darker ``shape`` in the middle."""
    image = Image.new("RGB", (size, size), colour)
    draw = ImageDraw.Draw(image)
    inner = tuple(int(c * 0.6) for c in colour)
    box = (size // 4, size // 4, 3 * size // 4, 3 * size // 4)
    if shape == "circle":
        draw.ellipse(box, fill=inner)
    elif shape == "square":
        draw.rectangle(box, fill=inner)
    else:
        draw.polygon([(size // 2, box[1]), (box[0], box[3]), (box[2], box[3])], fill=inner)
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return buf.getvalue()


class _Server(ThreadingHTTPServer):
    # With listen()'s default backlog of 5, eight loaders connecting at once overflow it
    # and a refused SYN waits a second.
    request_queue_size = 128
    daemon_threads = True


class ImageServer:
    """A loopback HTTP server: ``GET /<name>`` answers ``images[name]`` (404 otherwise).

    ``on_request`` (if set) runs in the serving thread before each answer, for tests that
    watch what a client does while it waits for an image.
    """

    def __init__(self, images: dict[str, bytes] | None = None) -> None:
        self.images: dict[str, bytes] = dict(images or {})
        self.fetched: list[str] = []
        self.on_request: Callable[[str], None] | None = None
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    def url(self, name: str) -> str:
        """Where ``name`` is served."""
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/{name}"

    def start(self) -> Self:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # connections kept alive, as a web server's are
            # Headers and body go out in separate writes: with Nagle's algorithm, the body
            # of a kept-alive connection waits for the client's delayed ACK (40 ms).
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                name = urllib.parse.urlsplit(self.path).path.lstrip("/")
                with owner._lock:
                    owner.fetched.append(name)
                    data = owner.images.get(name)
                if owner.on_request is not None:
                    owner.on_request(name)
                if data is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", f"image/{sniff_format(data) or 'png'}")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="mock-images",
            daemon=True,
        ).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
