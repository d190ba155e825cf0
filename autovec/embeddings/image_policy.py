"""What the database may fetch for image columns, and what a fetched image is.

The policy (:class:`ImageFetchPolicy`, from the ``SET @@GLOBAL.autovec_image_*`` settings),
its error (:class:`ImageFetchError`, which names the setting that would allow a refused
image), the byte limit in force and the magic-byte check every source goes through. It
imports no HTTP client: :mod:`autovec.embeddings.image_fetch` loads images with it, and
:mod:`autovec.embeddings.image_http` fetches URLs.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from autovec.embeddings.errors import EmbeddingError
from autovec.embeddings.inputs import ImageInput, image_mime

__all__ = [
    "ALLOW_PRIVATE_HOSTS_SETTING",
    "DIRS_SETTING",
    "ER_FILE_NOT_FOUND",
    "ER_OPTION_PREVENTS_STATEMENT",
    "ER_UNKNOWN_ERROR",
    "MAX_BYTES_SETTING",
    "MAX_REDIRECTS_SETTING",
    "TIMEOUT_SETTING",
    "ByteLimit",
    "FetchedImage",
    "ImageFetchError",
    "ImageFetchPolicy",
    "checked_image",
    "parse_dirs",
]

DIRS_SETTING = "autovec_image_dirs"
ALLOW_PRIVATE_HOSTS_SETTING = "autovec_image_allow_private_hosts"
MAX_BYTES_SETTING = "autovec_image_max_bytes"
TIMEOUT_SETTING = "autovec_image_fetch_timeout"
MAX_REDIRECTS_SETTING = "autovec_image_max_redirects"

#: MySQL's "The server is running with an option that prevents this" (as for LOAD_FILE
#: outside ``secure_file_priv``): the policy refused; the user can change the option.
ER_OPTION_PREVENTS_STATEMENT = 1290
ER_FILE_NOT_FOUND = 1017
ER_UNKNOWN_ERROR = 1105


class ImageFetchError(EmbeddingError):
    """An image could not be fetched, or the fetch policy refused it.

    ``setting`` is the ``SET @@GLOBAL`` variable that would allow it (None when nothing
    would); ``source`` is the URL or path.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str = "",
        setting: str | None = None,
        errno: int = ER_UNKNOWN_ERROR,
    ) -> None:
        super().__init__(message)
        self.errno = errno
        self.source = source
        self.setting = setting


@dataclass(frozen=True)
class ImageFetchPolicy:
    """What the database may fetch; the defaults are the safe ones."""

    #: Directories whose files may be read (``autovec_image_dirs``); none by default.
    allowed_dirs: tuple[Path, ...] = ()
    #: Loopback/private/link-local hosts allowed: for tests against local servers only.
    allow_private_hosts: bool = False
    max_bytes: int = 10 * 1024 * 1024
    #: Seconds for the whole fetch, redirects included.
    timeout_s: float = 10.0
    max_redirects: int = 3

    @classmethod
    def from_settings(cls, settings: Mapping[str, object]) -> ImageFetchPolicy:
        """The policy from a data directory's global settings (missing ones: defaults)."""
        default = cls()
        dirs = settings.get(DIRS_SETTING)
        return cls(
            allowed_dirs=parse_dirs(dirs) if isinstance(dirs, str) else default.allowed_dirs,
            allow_private_hosts=_flag(
                settings.get(ALLOW_PRIVATE_HOSTS_SETTING, default.allow_private_hosts),
                ALLOW_PRIVATE_HOSTS_SETTING,
            ),
            max_bytes=int(
                _number(settings.get(MAX_BYTES_SETTING, default.max_bytes), MAX_BYTES_SETTING)
            ),
            timeout_s=_number(settings.get(TIMEOUT_SETTING, default.timeout_s), TIMEOUT_SETTING),
            max_redirects=int(
                _number(
                    settings.get(MAX_REDIRECTS_SETTING, default.max_redirects),
                    MAX_REDIRECTS_SETTING,
                )
            ),
        )


@dataclass(frozen=True)
class FetchedImage:
    """An image's bytes, checked: ``mime`` comes from the magic bytes."""

    data: bytes
    mime: str
    #: The URL or path it came from, for messages (data URIs and bytes: a short label).
    source: str

    def __repr__(self) -> str:
        return f"FetchedImage({self.mime}, {len(self.data)} bytes, from {self.source[:80]!r})"

    def as_input(self) -> ImageInput:
        """The image as a ``data:`` URI input, what every provider can be sent."""
        encoded = base64.b64encode(self.data).decode("ascii")
        return ImageInput(f"data:{self.mime};base64,{encoded}")

    def content_key(self) -> str:
        """SHA-256 of the bytes: the same image at two URLs is one cache entry."""
        return hashlib.sha256(self.data).hexdigest()


def parse_dirs(value: str) -> tuple[Path, ...]:
    """``autovec_image_dirs``: directories separated by ``os.pathsep`` or commas."""
    parts = value.replace(os.pathsep, ",").split(",")
    return tuple(Path(part.strip()) for part in parts if part.strip())


@dataclass(frozen=True)
class ByteLimit:
    """The byte limit in force and whether it is the policy's or the provider's."""

    max_bytes: int
    from_provider: bool

    @classmethod
    def of(cls, policy: ImageFetchPolicy, provider_max: int | None) -> ByteLimit:
        if provider_max is not None and provider_max < policy.max_bytes:
            return cls(provider_max, True)
        return cls(policy.max_bytes, False)

    def check(self, size: int, what: str, *, source: str, at_least: bool = False) -> None:
        """Refuse ``size`` bytes (of ``what``, for the message) over the limit."""
        if size <= self.max_bytes:
            return
        amount = f"more than {self.max_bytes}" if at_least else f"{size}"
        if self.from_provider:
            raise ImageFetchError(
                f"{what} is {amount} bytes, larger than the embedding provider accepts "
                f"({self.max_bytes} bytes); resize the image",
                source=source,
            )
        raise ImageFetchError(
            f"{what} is {amount} bytes, larger than the {self.max_bytes} allowed "
            f"(SET @@GLOBAL.{MAX_BYTES_SETTING} = <bytes> to raise the limit)",
            source=source,
            setting=MAX_BYTES_SETTING,
        )


def checked_image(data: bytes, what: str, *, source: str) -> FetchedImage:
    """The image, once its magic bytes say it is one (``what`` names it in the message)."""
    mime = image_mime(data)
    if mime is None:
        head = data[:16]
        raise ImageFetchError(
            f"{what} is not a PNG, JPEG, GIF, WebP or BMP image (it starts with {head!r})",
            source=source,
        )
    return FetchedImage(data, mime, source)


def _flag(value: object, setting: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.strip().upper() in ("ON", "TRUE", "1", "OFF", "FALSE", "0"):
        return value.strip().upper() in ("ON", "TRUE", "1")
    raise ImageFetchError(f"@@GLOBAL.{setting} must be ON or OFF, not {value!r}", setting=setting)


def _number(value: object, setting: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = -1.0
    if number < 0:
        raise ImageFetchError(
            f"@@GLOBAL.{setting} must be a non-negative number, not {value!r}", setting=setting
        )
    return number
