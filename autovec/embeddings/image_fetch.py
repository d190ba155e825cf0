"""Fetching the images the database embeds: URLs, local files, data URIs and bytes, safely.

The database fetches what a row or a query names, so a statement must not be able to make
it read a private network or the server's own files (SSRF, local file disclosure):

* ``http(s)`` URLs go to public addresses only. Every address the host resolves to is
  checked, the connection goes to the checked address (no second lookup, so DNS rebinding
  cannot swap it), and each redirect is followed here and checked the same way.
* Size, total time and redirect count are bounded; the size while streaming, so an
  endless or lying body never fills memory.
* A body is an image only if its magic bytes say so (and its Content-Type, when given).
* Local files are read only under the directories the user allows (none by default),
  after symlinks and ``..`` are resolved.

Every limit is a ``SET @@GLOBAL.autovec_image_*`` variable (:meth:`ImageFetchPolicy.
from_settings`), and every refusal is an :class:`ImageFetchError` naming the one to change.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import os
import socket
import ssl
import stat
import threading
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from autovec.embeddings.errors import EmbeddingError
from autovec.embeddings.inputs import ImageInput, image_mime
from autovec.version import __version__

__all__ = [
    "ALLOW_PRIVATE_HOSTS_SETTING",
    "DIRS_SETTING",
    "MAX_BYTES_SETTING",
    "MAX_REDIRECTS_SETTING",
    "TIMEOUT_SETTING",
    "FetchedImage",
    "ImageFetchError",
    "ImageFetchPolicy",
    "address_refusal",
    "http_client",
    "load_image",
    "make_http_client",
    "parse_dirs",
    "resolve_host",
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

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

#: Cloud instance-metadata endpoints: never fetched, whatever the settings say.
_METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "169.254.170.2")
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

_PRIVATE_HINT = (
    f"the database fetches only public addresses (SET @@GLOBAL.{ALLOW_PRIVATE_HOSTS_SETTING}"
    " = ON is for tests only)"
)


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


def load_image(
    source: str | bytes, policy: ImageFetchPolicy, *, max_bytes: int | None = None
) -> FetchedImage:
    """Fetch and check one image: an ``http(s)`` URL, an absolute path or ``file:`` URL
    under an allowed directory, a ``data:`` URI, or the raw bytes.

    ``max_bytes`` (a provider's own limit) tightens the policy's.
    """
    limit = _Limit.of(policy, max_bytes)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        limit.check(len(data), "image bytes", source="image bytes")
        return _checked(data, "image bytes", source="image bytes")
    text = source.strip()
    if text[:5].lower() == "data:":
        return _from_data_uri(text, limit)
    parsed = urllib.parse.urlsplit(text)
    scheme = parsed.scheme.lower()
    if scheme in ("http", "https"):
        return _HttpFetch(text, policy, limit).run()
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


# --- limits and checks ------------------------------------------------------------------


@dataclass(frozen=True)
class _Limit:
    """The byte limit in force and whether it is the policy's or the provider's."""

    max_bytes: int
    from_provider: bool

    @classmethod
    def of(cls, policy: ImageFetchPolicy, provider_max: int | None) -> _Limit:
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


def _checked(data: bytes, what: str, *, source: str) -> FetchedImage:
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


# --- data: URIs ---------------------------------------------------------------------------


def _from_data_uri(uri: str, limit: _Limit) -> FetchedImage:
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
    return _checked(data, f"data URI {label}", source=label)


# --- local files --------------------------------------------------------------------------


def _read_file(source: str, path: Path, policy: ImageFetchPolicy, limit: _Limit) -> FetchedImage:
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
    return _checked(data, f"image file {source}", source=source)


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


# --- addresses ------------------------------------------------------------------------------


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (an IP literal: itself). Tests replace this."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        # An IPv6 sockaddr may carry a zone ("fe80::1%eth0"); the zone is not the address.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def address_refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why the database must not connect to ``address`` ("a loopback address"), or None."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        reason = address_refusal(embedded, allow_private=allow_private)
        return None if reason is None else f"{reason} (IPv6 form of {embedded})"
    if address in _METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if allow_private:
        return None
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "a carrier-grade NAT address (100.64.0.0/10)"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "a non-public address"
    return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo, NAT64), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


# --- http(s) -------------------------------------------------------------------------------

_client: httpx.Client | None = None
_client_lock = threading.Lock()


def make_http_client(verify: ssl.SSLContext | bool = True) -> httpx.Client:
    """A client configured for image fetches (``verify``: tests pass their own CA).

    ``trust_env=False``: a proxy from the environment would connect to hosts we did not
    check. No kept-alive connections: a pooled connection is keyed by the IP address and
    was verified for one TLS name, so it must not serve another host on the same address.
    ``identity`` encoding: images are compressed already, and a compressed body could
    expand far past the size limit within one read.
    """
    return httpx.Client(
        verify=verify,
        trust_env=False,
        follow_redirects=False,
        limits=httpx.Limits(max_keepalive_connections=0),
        headers={
            "User-Agent": f"autovec/{__version__}",
            "Accept": "image/*",
            "Accept-Encoding": "identity",
        },
    )


def http_client() -> httpx.Client:
    """The one client all fetches share, made on first use."""
    global _client
    with _client_lock:
        if _client is None:
            _client = make_http_client()
        return _client


class _HttpFetch:
    """One URL fetch: resolve, check, connect to the checked address, follow redirects."""

    def __init__(self, source: str, policy: ImageFetchPolicy, limit: _Limit) -> None:
        #: The URL as given; after redirects, still what the image is said to come from.
        self.source = source
        self.policy = policy
        self.limit = limit
        self.deadline = time.monotonic() + policy.timeout_s

    def run(self) -> FetchedImage:
        url = original = self.source
        for redirects in range(self.policy.max_redirects + 1):
            target = self._fetch_or_redirect(url)
            if isinstance(target, FetchedImage):
                return target
            url = target
            if redirects == self.policy.max_redirects:
                break
        raise ImageFetchError(
            f"image URL {original[:200]} redirects more than {self.policy.max_redirects} "
            f"times (SET @@GLOBAL.{MAX_REDIRECTS_SETTING} = <n> to follow more)",
            source=original,
            setting=MAX_REDIRECTS_SETTING,
        )

    def remaining(self, url: str) -> float:
        """Seconds left of the total time limit; the timeout error when none are."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self.timed_out(url)
        return left

    def timed_out(self, url: str) -> ImageFetchError:
        return ImageFetchError(
            f"image URL {url[:200]} took longer than {self.policy.timeout_s:g} s to fetch "
            f"(SET @@GLOBAL.{TIMEOUT_SETTING} = <seconds> to wait longer)",
            source=url,
            setting=TIMEOUT_SETTING,
        )

    def _fetch_or_redirect(self, url: str) -> FetchedImage | str:
        """The image at ``url``, or the URL it redirects to."""
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise ImageFetchError(f"image URL {url[:200]} is invalid: {exc}", source=url) from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ImageFetchError(
                f"image URL {url[:200]} is not an http(s) URL with a host", source=url
            )
        addresses = self._checked_addresses(url, parsed)
        error: httpx.TransportError | None = None
        for address in addresses:
            try:
                return self._exchange(url, parsed, address)
            except httpx.ConnectError as exc:  # try the host's next address
                error = exc
            except httpx.TimeoutException:
                raise self.timed_out(url) from None
            except httpx.TransportError as exc:
                raise ImageFetchError(
                    f"image URL {url[:200]} could not be fetched: {exc}", source=url
                ) from None
        raise ImageFetchError(
            f"image URL {url[:200]} could not be fetched: cannot connect ({error})", source=url
        )

    def _checked_addresses(self, url: str, parsed: httpx.URL) -> list[IPAddress]:
        host = parsed.raw_host.decode("ascii").lower().rstrip(".")
        if host in _METADATA_HOSTS:
            raise ImageFetchError(
                f"image URL {url[:200]} names a cloud metadata host; the database never fetches it",
                source=url,
                errno=ER_OPTION_PREVENTS_STATEMENT,
            )
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            addresses = resolve_host(host, port)
        except OSError as exc:
            raise ImageFetchError(
                f"image URL {url[:200]}: cannot resolve host {host} ({exc})", source=url
            ) from None
        self.remaining(url)
        if not addresses:
            raise ImageFetchError(f"image URL {url[:200]}: host {host} has no address", source=url)
        for address in addresses:
            reason = address_refusal(address, allow_private=self.policy.allow_private_hosts)
            if reason is not None:
                # Metadata/multicast/unspecified stay refused even in test mode.
                hint = (
                    "no setting allows it"
                    if self.policy.allow_private_hosts
                    or address_refusal(address, allow_private=True)
                    else _PRIVATE_HINT
                )
                shown = "" if str(address) == host else f" ({address})"
                raise ImageFetchError(
                    f"image URL {url[:200]} resolves to {reason}{shown}; {hint}",
                    source=url,
                    setting=None if hint == "no setting allows it" else ALLOW_PRIVATE_HOSTS_SETTING,
                    errno=ER_OPTION_PREVENTS_STATEMENT,
                )
        return addresses

    def _exchange(self, url: str, parsed: httpx.URL, address: IPAddress) -> FetchedImage | str:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        default_port = port == (443 if parsed.scheme == "https" else 80)
        name = parsed.raw_host.decode("ascii")  # IDNA-encoded, as Host and SNI must be
        if ":" in name:
            name = f"[{name}]"
        host_header = name if default_port else f"{name}:{port}"
        # The request goes to the checked address; Host and the TLS name (SNI, certificate
        # check) stay the URL's, so virtual hosts and HTTPS work as for the name.
        pinned = parsed.copy_with(host=str(address), port=port)
        timeout = httpx.Timeout(self.remaining(url))
        with http_client().stream(
            "GET",
            pinned,
            headers={"Host": host_header},
            timeout=timeout,
            extensions={"sni_hostname": parsed.raw_host.decode("ascii")},
        ) as response:
            if response.status_code in _REDIRECT_STATUSES and "location" in response.headers:
                return urllib.parse.urljoin(url, response.headers["location"])
            if response.status_code != 200:
                raise ImageFetchError(
                    f"image URL {url[:200]} answered HTTP {response.status_code}", source=url
                )
            self._check_headers(url, response)
            data = self._read_body(url, response)
        return _checked(data, f"image URL {url[:200]}", source=self.source)

    def _check_headers(self, url: str, response: httpx.Response) -> None:
        declared = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if declared and not declared.startswith("image/"):
            raise ImageFetchError(
                f"image URL {url[:200]} answered Content-Type {declared}, not an image/* type",
                source=url,
            )
        length = response.headers.get("content-length", "")
        if length.isdigit():
            self.limit.check(int(length), f"image URL {url[:200]}", source=url)

    def _read_body(self, url: str, response: httpx.Response) -> bytes:
        body = bytearray()
        # No chunk size: httpx would buffer up to it, and the limits are checked per read.
        for chunk in response.iter_bytes():
            body += chunk
            # Counted as it arrives: Content-Length may be absent or lie.
            self.limit.check(len(body), f"image URL {url[:200]}", source=url, at_least=True)
            self.remaining(url)
        return bytes(body)
