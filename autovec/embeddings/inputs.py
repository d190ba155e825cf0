"""What can be embedded: text, or an image given as a URL, a file, bytes or a PIL image.

Images are normalised to :class:`ImageInput` (an ``http(s)`` URL or a ``data:`` URI)
before they reach a provider, so providers only ever see strings they can send. PIL is
never imported here: a PIL image is recognised by its type's module name and converted
with its own ``save`` method.
"""

from __future__ import annotations

import base64
import io
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autovec.embeddings.errors import UnsupportedInputError

__all__ = [
    "EmbedInput",
    "ImageInput",
    "as_image",
    "cache_text",
    "image_mime",
    "is_image_reference",
    "sniff_mime",
]


@dataclass(frozen=True)
class ImageInput:
    """An image, as an ``http(s)`` URL or a ``data:<mime>;base64,<data>`` URI."""

    uri: str

    def __repr__(self) -> str:
        shown = self.uri if len(self.uri) <= 80 else self.uri[:77] + "..."
        return f"ImageInput({shown!r})"

    @property
    def is_url(self) -> bool:
        """True for a remote ``http(s)`` URL (the provider fetches it)."""
        return self.uri.startswith(("http://", "https://"))

    @property
    def mime(self) -> str | None:
        """The media type of a data URI, else None."""
        if not self.uri.startswith("data:"):
            return None
        return self.uri[5:].split(";", 1)[0].split(",", 1)[0] or None

    @property
    def base64_data(self) -> str:
        """The raw base64 payload of a data URI (no ``data:`` prefix)."""
        if not self.uri.startswith("data:"):
            raise UnsupportedInputError("image is a URL, not inline data")
        return self.uri.split(",", 1)[1]

    def url_or_base64(self) -> str:
        """URL as is, inline data as raw base64 (what Jina's ``{"image": ...}`` takes)."""
        return self.uri if self.is_url else self.base64_data


EmbedInput = str | ImageInput

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


def image_mime(data: bytes) -> str | None:
    """The image type from its first bytes (magic numbers), or None if not an image."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def sniff_mime(data: bytes) -> str:
    """The image type from its first bytes (``image/png`` when unknown)."""
    return image_mime(data) or "image/png"


def _data_uri(data: bytes, mime: str | None = None) -> ImageInput:
    mime = mime or sniff_mime(data)
    return ImageInput(f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}")


def _is_pil_image(obj: object) -> bool:
    return any(c.__module__.startswith("PIL.") for c in type(obj).__mro__)


def _from_pil(image: Any) -> ImageInput:
    buf = io.BytesIO()
    fmt = "PNG" if image.mode in ("RGBA", "LA", "P", "1", "L") else "JPEG"
    if fmt == "JPEG" and image.mode != "RGB":
        image = image.convert("RGB")
    image.save(buf, format=fmt)
    return _data_uri(buf.getvalue(), "image/png" if fmt == "PNG" else "image/jpeg")


def is_image_reference(text: str) -> bool:
    """Whether a string names an image (URL, data URI, ``file:`` URL) rather than text."""
    t = text.strip()
    if t.startswith("data:image/"):
        return True
    parsed = urllib.parse.urlparse(t)
    return parsed.scheme in ("http", "https", "file") and bool(parsed.netloc or parsed.path)


def as_image(obj: object, *, max_bytes: int | None = None) -> ImageInput:
    """Normalise an image given in any supported form to an :class:`ImageInput`."""
    if isinstance(obj, ImageInput):
        return obj
    if isinstance(obj, Path):
        return _read_file(obj, max_bytes)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        data = bytes(obj)
        _check_size(len(data), max_bytes)
        return _data_uri(data)
    if isinstance(obj, str):
        text = obj.strip()
        if text.startswith("data:"):
            return ImageInput(text)
        parsed = urllib.parse.urlparse(text)
        if parsed.scheme in ("http", "https"):
            return ImageInput(text)
        if parsed.scheme == "file":
            from urllib.request import url2pathname

            return _read_file(Path(url2pathname(parsed.path)), max_bytes)
        path = Path(text)
        if path.is_file():
            return _read_file(path, max_bytes)
        raise UnsupportedInputError(
            f"not an image URL, data URI or file: {text[:80]!r} (pass text with source_type='text')"
        )
    if _is_pil_image(obj):
        return _from_pil(obj)
    raise UnsupportedInputError(
        "invalid image input; supported: URL string, data URI, file path, Path, bytes, "
        f"PIL.Image (got {type(obj).__name__})"
    )


def _check_size(size: int, max_bytes: int | None) -> None:
    if max_bytes is not None and size > max_bytes:
        raise UnsupportedInputError(f"image is {size} bytes, larger than the {max_bytes} allowed")


def _read_file(path: Path, max_bytes: int | None) -> ImageInput:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnsupportedInputError(f"cannot read image file {path}: {exc.strerror}") from None
    _check_size(len(data), max_bytes)
    return _data_uri(data)


def cache_text(item: EmbedInput) -> str:
    """The string that identifies an input in the cache."""
    return item if isinstance(item, str) else "\x00image:" + item.uri
