"""Fetching an ``http(s)`` image URL for the database, to public addresses only.

Every address the host resolves to is checked (:func:`address_refusal`), the connection
goes to the checked address — Host and the TLS name stay the URL's — so a second DNS
answer cannot swap it (rebinding), and each redirect is followed here and checked the
same way. Size is counted while the body streams; one time limit covers the lookup, the
redirects and the body. Connections are kept alive per checked address and TLS name.

The standard library's ``http.client``, not httpx: a fetch is one GET, and httpx's
layers cost 1.4 ms of CPU a loopback image against http.client's fraction of that, which
the GIL makes the whole ingest's ceiling. Imported on the first URL fetch.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass

import certifi

from autovec.embeddings.image_policy import (
    ALLOW_PRIVATE_HOSTS_SETTING,
    ER_OPTION_PREVENTS_STATEMENT,
    MAX_REDIRECTS_SETTING,
    TIMEOUT_SETTING,
    ByteLimit,
    FetchedImage,
    ImageFetchError,
    ImageFetchPolicy,
    checked_image,
)
from autovec.version import __version__

__all__ = [
    "ConnectionPool",
    "IPAddress",
    "address_refusal",
    "connection_pool",
    "fetch_url",
    "resolve_host",
]

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

#: Sent with every fetch. ``identity`` encoding: images are compressed already, and a
#: compressed body could expand far past the size limit within one read.
_HEADERS = {
    "User-Agent": f"autovec/{__version__}",
    "Accept": "image/*",
    "Accept-Encoding": "identity",
}
_READ_SIZE = 64 * 1024


_PoolKey = tuple[str, str, int, str]


@dataclass(frozen=True)
class _Target:
    """Where one request goes: the checked address, and the URL's own names."""

    scheme: str
    address: IPAddress
    port: int
    host_header: str
    #: The name TLS verifies (SNI and the certificate), for https; else None.
    tls_name: str | None
    path: str

    @property
    def key(self) -> _PoolKey:
        """What a kept-alive connection may be reused for: the same address *and* name."""
        return (self.scheme, str(self.address), self.port, self.tls_name or "")


class _PinnedHTTPSConnection(http.client.HTTPConnection):
    """HTTPS to a checked address, verifying the URL's name (not the address)."""

    default_port = 443

    def __init__(self, target: _Target, context: ssl.SSLContext, timeout: float) -> None:
        super().__init__(str(target.address), target.port, timeout=timeout)
        self._tls_name = target.tls_name
        self._context = context

    def connect(self) -> None:
        super().connect()
        self.start_tls()

    def start_tls(self) -> None:
        """The handshake on the open TCP connection, for the URL's name."""
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self._tls_name)


class ConnectionPool:
    """Idle kept-alive connections, by (scheme, checked address, port, TLS name).

    A connection is only ever to an address checked when it was opened, and serves only
    the TLS name it verified: one for ``images.example`` never answers for another name
    on the same address. ``tls``: the CA context (tests give one that trusts their own).
    """

    #: Idle connections kept, at most; and seconds one is kept unused.
    size = 32
    idle_seconds = 5.0

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self._tls = tls
        # Oldest first: (since when idle, key, connection).
        self._idle: list[tuple[float, _PoolKey, http.client.HTTPConnection]] = []
        self._lock = threading.Lock()

    def tls_context(self) -> ssl.SSLContext:
        with self._lock:
            if self._tls is None:  # one CA bundle for every connection: it costs ms to load
                self._tls = ssl.create_default_context(cafile=certifi.where())
            return self._tls

    def take(self, target: _Target) -> http.client.HTTPConnection | None:
        """The most recently idle connection for ``target``, or None."""
        with self._lock:
            expired = self._expire()
            found = None
            for index in range(len(self._idle) - 1, -1, -1):
                if self._idle[index][1] == target.key:
                    found = self._idle.pop(index)[2]
                    break
        for conn in expired:
            conn.close()
        return found

    def give(self, target: _Target, conn: http.client.HTTPConnection) -> None:
        """Keep ``conn`` for a next fetch of ``target``; the oldest goes if the pool is full."""
        with self._lock:
            expired = self._expire()
            self._idle.append((time.monotonic(), target.key, conn))
            while len(self._idle) > self.size:
                expired.append(self._idle.pop(0)[2])
        for old in expired:
            old.close()

    def _expire(self) -> list[http.client.HTTPConnection]:
        """Take out the connections idle too long (the caller holds the lock, closes them)."""
        cutoff = time.monotonic() - self.idle_seconds
        kept = [entry for entry in self._idle if entry[0] >= cutoff]
        expired = [entry[2] for entry in self._idle if entry[0] < cutoff]
        self._idle = kept
        return expired

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for _, _, conn in idle:
            conn.close()


_pool: ConnectionPool | None = None
_pool_lock = threading.Lock()


def connection_pool() -> ConnectionPool:
    """The pool all fetches share, made on first use. Tests replace this."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ConnectionPool()
        return _pool


class _ConnectFailed(Exception):
    """No TCP connection to one address: the host's next address may answer."""


class _Reused(Exception):
    """A kept-alive connection turned out closed before it answered: open a new one."""


class _HttpFetch:
    """One URL fetch: resolve, check, connect to the checked address, follow redirects."""

    def __init__(self, source: str, policy: ImageFetchPolicy, limit: ByteLimit) -> None:
        #: The URL as given; after redirects, still what the image is said to come from.
        self.source = source
        self.policy = policy
        self.limit = limit
        self.deadline = time.monotonic() + policy.timeout_s

    def run(self) -> FetchedImage:
        url = original = self.source
        # The first request, then one per redirect allowed.
        for _ in range(self.policy.max_redirects + 1):
            target = self._fetch_or_redirect(url)
            if isinstance(target, FetchedImage):
                return target
            url = target
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
        parsed = _parse_url(url)
        addresses = self._checked_addresses(url, parsed)
        error: BaseException | None = None
        for address in addresses:
            try:
                return self._exchange(url, parsed.target(address))
            except _ConnectFailed as exc:  # try the host's next address
                error = exc.__cause__
            except TimeoutError:
                raise self.timed_out(url) from None
            except (OSError, http.client.HTTPException) as exc:
                raise ImageFetchError(
                    f"image URL {url[:200]} could not be fetched: {_describe(exc)}", source=url
                ) from None
        raise ImageFetchError(
            f"image URL {url[:200]} could not be fetched: cannot connect ({error})", source=url
        )

    def _checked_addresses(self, url: str, parsed: _ParsedURL) -> list[IPAddress]:
        host = parsed.host.rstrip(".")
        if host in _METADATA_HOSTS:
            raise ImageFetchError(
                f"image URL {url[:200]} names a cloud metadata host; the database never fetches it",
                source=url,
                errno=ER_OPTION_PREVENTS_STATEMENT,
            )
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            addresses = self._resolve(url, host, port)
        except OSError as exc:
            raise ImageFetchError(
                f"image URL {url[:200]}: cannot resolve host {host} ({exc})", source=url
            ) from None
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

    def _resolve(self, url: str, host: str, port: int) -> list[IPAddress]:
        """``resolve_host`` within the time left: getaddrinfo has no timeout of its own, so
        it runs on a daemon thread that is abandoned (it ends with the lookup) if late.
        An IP literal needs no lookup, nor the thread (a quarter of a loopback fetch's CPU)."""
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        outcome: list[list[IPAddress] | OSError] = []

        def lookup() -> None:
            try:
                outcome.append(resolve_host(host, port))
            except OSError as exc:
                outcome.append(exc)

        worker = threading.Thread(target=lookup, name="image-fetch-dns", daemon=True)
        worker.start()
        worker.join(self.remaining(url))
        if not outcome:
            raise self.timed_out(url)
        result = outcome[0]
        if isinstance(result, OSError):
            raise result
        return result

    def _exchange(self, url: str, target: _Target) -> FetchedImage | str:
        """One GET to the checked address, on a kept-alive connection when there is one."""
        pool = connection_pool()
        conn = pool.take(target)
        if conn is not None:
            try:
                response = self._request(url, conn, target)
            except _Reused:
                conn = None
        if conn is None:
            conn = self._connect(url, target, pool)
            try:
                response = self._request(url, conn, target)
            except _Reused as exc:  # a new connection closed at once: the server's doing
                raise ConnectionResetError("the server closed the connection") from exc.__cause__
        kept = False
        try:
            if response.status in _REDIRECT_STATUSES and response.getheader("location"):
                return urllib.parse.urljoin(url, response.getheader("location", ""))
            if response.status != 200:
                raise ImageFetchError(
                    f"image URL {url[:200]} answered HTTP {response.status}", source=url
                )
            self._check_headers(url, response)
            data = self._read_body(url, conn, response)
            kept = not response.will_close
        finally:
            response.close()  # the body is read: the connection may send the next request
            if kept:
                pool.give(target, conn)
            else:
                conn.close()
        return checked_image(data, f"image URL {url[:200]}", source=self.source)

    def _connect(
        self, url: str, target: _Target, pool: ConnectionPool
    ) -> http.client.HTTPConnection:
        timeout = self.remaining(url)
        conn: http.client.HTTPConnection
        if target.tls_name is None:
            conn = http.client.HTTPConnection(str(target.address), target.port, timeout=timeout)
        else:
            conn = _PinnedHTTPSConnection(target, pool.tls_context(), timeout)
        try:
            # TCP first, so that a refused address is told from a failed TLS handshake.
            http.client.HTTPConnection.connect(conn)
        except TimeoutError:
            conn.close()
            raise
        except OSError as exc:
            conn.close()
            raise _ConnectFailed() from exc
        if isinstance(conn, _PinnedHTTPSConnection):
            try:
                conn.start_tls()
            except BaseException:
                conn.close()
                raise
        return conn

    def _request(
        self, url: str, conn: http.client.HTTPConnection, target: _Target
    ) -> http.client.HTTPResponse:
        """Send the GET and read the answer's head; :class:`_Reused` if the connection
        was found closed before any answer."""
        if conn.sock is not None:
            conn.sock.settimeout(self.remaining(url))
        try:
            conn.putrequest("GET", target.path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", target.host_header)
            for name, value in _HEADERS.items():
                conn.putheader(name, value)
            conn.endheaders()
            return conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
            conn.close()
            raise _Reused() from exc
        except BaseException:
            conn.close()
            raise

    def _check_headers(self, url: str, response: http.client.HTTPResponse) -> None:
        declared = (response.getheader("content-type") or "").split(";", 1)[0].strip().lower()
        if declared and not declared.startswith("image/"):
            raise ImageFetchError(
                f"image URL {url[:200]} answered Content-Type {declared}, not an image/* type",
                source=url,
            )
        length = (response.getheader("content-length") or "").strip()
        if length.isdigit():
            self.limit.check(int(length), f"image URL {url[:200]}", source=url)

    def _read_body(
        self, url: str, conn: http.client.HTTPConnection, response: http.client.HTTPResponse
    ) -> bytes:
        body = bytearray()
        while True:
            if conn.sock is not None:  # each read waits at most for the time left
                conn.sock.settimeout(self.remaining(url))
            chunk = response.read1(_READ_SIZE)  # what has arrived, not a full buffer
            if not chunk:
                break
            body += chunk
            # Counted as it arrives: Content-Length may be absent or lie.
            self.limit.check(len(body), f"image URL {url[:200]}", source=url, at_least=True)
            self.remaining(url)
        return bytes(body)


@dataclass(frozen=True)
class _ParsedURL:
    scheme: str
    #: Lower-case, IDNA-encoded (as Host and SNI must be), without an IPv6 literal's [].
    host: str
    port: int
    #: The request target: path and query, percent-encoded.
    path: str

    def target(self, address: IPAddress) -> _Target:
        default_port = self.port == (443 if self.scheme == "https" else 80)
        name = f"[{self.host}]" if ":" in self.host else self.host
        return _Target(
            scheme=self.scheme,
            address=address,
            port=self.port,
            host_header=name if default_port else f"{name}:{self.port}",
            tls_name=self.host if self.scheme == "https" else None,
            path=self.path,
        )


def _parse_url(url: str) -> _ParsedURL:
    if any(ord(c) < 0x21 or c == "\x7f" for c in url):
        raise ImageFetchError(
            f"image URL {url[:200]!r} is invalid: it holds spaces or control characters",
            source=url,
        )
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
        host = parts.hostname or ""
        if host and not host.isascii():
            host = host.encode("idna").decode("ascii")
    except (ValueError, UnicodeError) as exc:
        raise ImageFetchError(f"image URL {url[:200]} is invalid: {exc}", source=url) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        raise ImageFetchError(
            f"image URL {url[:200]} is not an http(s) URL with a host", source=url
        )
    path = urllib.parse.quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        path += "?" + urllib.parse.quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    return _ParsedURL(scheme, host.lower(), port or (443 if scheme == "https" else 80), path)


def _describe(exc: BaseException) -> str:
    """An error's text for a message: its own, else its type (a bare RemoteDisconnected)."""
    return str(exc) or type(exc).__name__


def fetch_url(url: str, policy: ImageFetchPolicy, limit: ByteLimit) -> FetchedImage:
    """The image at an ``http(s)`` URL, fetched under ``policy`` within ``limit``."""
    return _HttpFetch(url, policy, limit).run()
