"""Loading the images the database embeds: URLs, local files, data URIs and bytes, safely.

The database fetches what a row or a query names, so a statement must not be able to make
it read a private network or the server's own files (SSRF, local file disclosure):

* ``http(s)`` URLs go to public addresses only, checked after DNS resolution and on every
  redirect, connecting to the checked address (:mod:`autovec.embeddings.image_http`).
* Size, total time and redirect count are bounded; the size while streaming, so an
  endless or lying body never fills memory.
* A source is an image only if its magic bytes say so (and its Content-Type, when given).
* Local files are read only under the directories the user allows (none by default),
  after symlinks and ``..`` are resolved.

Every limit is a ``SET @@GLOBAL.autovec_image_*`` variable (:meth:`ImageFetchPolicy.
from_settings`), and every refusal is an :class:`ImageFetchError` naming the one to change.
Importing this module is cheap: httpx is loaded with the first URL.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
import urllib.parse
from pathlib import Path

from autovec.embeddings.image_policy import (
    ALLOW_PRIVATE_HOSTS_SETTING,
    DIRS_SETTING,
    ER_FILE_NOT_FOUND,
    ER_OPTION_PREVENTS_STATEMENT,
    MAX_BYTES_SETTING,
    MAX_REDIRECTS_SETTING,
    TIMEOUT_SETTING,
    ByteLimit,
    FetchedImage,
    ImageFetchError,
    ImageFetchPolicy,
    checked_image,
    parse_dirs,
)

__all__ = [
    "ALLOW_PRIVATE_HOSTS_SETTING",
    "DIRS_SETTING",
    "MAX_BYTES_SETTING",
    "MAX_REDIRECTS_SETTING",
    "TIMEOUT_SETTING",
    "FetchedImage",
    "ImageFetchError",
    "ImageFetchPolicy",
    "load_image",
    "parse_dirs",
]


def load_image(
    source: str | bytes, policy: ImageFetchPolicy, *, max_bytes: int | None = None
) -> FetchedImage:
    """Fetch and check one image: an ``http(s)`` URL, an absolute path or ``file:`` URL
    under an allowed directory, a ``data:`` URI, or the raw bytes.

    ``max_bytes`` (a provider's own limit) tightens the policy's.
    """
    limit = ByteLimit.of(policy, max_bytes)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        limit.check(len(data), "image bytes", source="image bytes")
        return checked_image(data, "image bytes", source="image bytes")
    text = source.strip()
    if text[:5].lower() == "data:":
        return _from_data_uri(text, limit)
    parsed = urllib.parse.urlsplit(text)
    scheme = parsed.scheme.lower()
    if scheme in ("http", "https"):
        from autovec.embeddings.image_http import fetch_url  # brings httpx: URLs only

        return fetch_url(text, policy, limit)
    if scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise ImageFetchError(
                f"image URL {text[:200]} names a remote host; file: URLs must be local",
                source=text,
            )
        path = urllib.parse.unquote(parsed.path)
        if not os.path.isabs(path):
            raise ImageFetchError(f"file: URL {text[:200]} is not an absolute path", source=text)
        return _read_file(text, Path(path), policy, limit)
    if os.path.isabs(text):
        return _read_file(text, Path(text), policy, limit)
    if scheme:
        raise ImageFetchError(
            f"image URL {text[:200]} has scheme '{scheme}'; the database fetches only "
            "http(s) URLs, data: URIs and files under "
            f"@@GLOBAL.{DIRS_SETTING}",
            source=text,
        )
    raise ImageFetchError(
        f"image source {text[:200]!r} is not an http(s) URL, a data: URI or an absolute "
        "path (relative paths are refused: the server's working directory is not yours)",
        source=text,
    )


# --- data: URIs ---------------------------------------------------------------------------


def _from_data_uri(uri: str, limit: ByteLimit) -> FetchedImage:
    label = uri if len(uri) <= 60 else uri[:57] + "..."
    header, comma, payload = uri[5:].partition(",")
    if not comma:
        raise ImageFetchError(f"data URI {label} has no ',' before its data", source=label)
    if header.lower().endswith(";base64"):
        # Checked before decoding: a huge URI must not be decoded just to be refused.
        limit.check(len(payload) * 3 // 4, f"data URI {label}", source=label)
        try:
            data = base64.b64decode("".join(payload.split()), validate=True)
        except (binascii.Error, ValueError):
            raise ImageFetchError(f"data URI {label} is not valid base64", source=label) from None
    else:
        data = urllib.parse.unquote_to_bytes(payload)
    limit.check(len(data), f"data URI {label}", source=label)
    return checked_image(data, f"data URI {label}", source=label)


# --- local files --------------------------------------------------------------------------


def _read_file(source: str, path: Path, policy: ImageFetchPolicy, limit: ByteLimit) -> FetchedImage:
    if not policy.allowed_dirs:
        raise ImageFetchError(
            f"image file {source} is refused: the database reads no local files until "
            f"SET @@GLOBAL.{DIRS_SETTING} = '<directory>' allows a directory",
            source=source,
            setting=DIRS_SETTING,
            errno=ER_OPTION_PREVENTS_STATEMENT,
        )
    try:
        # strict: a missing file is reported as missing, not as "outside" its directory
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        real = None
    allowed = [d.resolve() for d in policy.allowed_dirs]
    if real is not None and not any(real.is_relative_to(d) for d in allowed):
        shown = os.pathsep.join(str(d) for d in policy.allowed_dirs)
        raise ImageFetchError(
            f"image file {source} is outside the allowed image directories ({shown}); "
            f"SET @@GLOBAL.{DIRS_SETTING} = '<directory>' to allow its directory",
            source=source,
            setting=DIRS_SETTING,
            errno=ER_OPTION_PREVENTS_STATEMENT,
        )
    if real is None:
        raise ImageFetchError(
            f"image file {source} does not exist", source=source, errno=ER_FILE_NOT_FOUND
        )
    try:
        # O_NOFOLLOW: the checked path has no links left, so a link now means a swap.
        # O_NONBLOCK: a FIFO planted in an allowed directory must not hang the statement.
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise ImageFetchError(f"image file {source} is not a regular file", source=source)
            limit.check(info.st_size, f"image file {source}", source=source)
            data = _read_up_to(fd, limit.max_bytes + 1)
        finally:
            os.close(fd)
    except OSError as exc:
        raise ImageFetchError(
            f"cannot read image file {source}: {exc.strerror}", source=source
        ) from None
    limit.check(len(data), f"image file {source}", source=source, at_least=True)
    return checked_image(data, f"image file {source}", source=source)


def _read_up_to(fd: int, count: int) -> bytes:
    """At most ``count`` bytes: a file may grow after its size was checked."""
    parts: list[bytes] = []
    left = count
    while left > 0:
        part = os.read(fd, min(left, 1 << 20))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)
