"""Fetching an ``http(s)`` image URL for the database, to public addresses only.

Every address the host resolves to is checked (:func:`address_refusal`), the connection
goes to the checked address — Host and the TLS name stay the URL's — so a second DNS
answer cannot swap it (rebinding), and each redirect is followed here and checked the
same way. Size is counted while the body streams; one time limit covers the lookup, the
redirects and the body. Imported on the first URL fetch: it brings httpx.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
import urllib.parse
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import certifi
import httpx

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
    "ClientPool",
    "IPAddress",
    "address_refusal",
    "client_pool",
    "fetch_url",
    "make_http_client",
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


def make_http_client(verify: ssl.SSLContext | bool = True) -> httpx.Client:
    """A client configured for image fetches (``verify``: tests pass their own CA).

    ``trust_env=False``: a proxy from the environment would connect to hosts we did not
    check. Connections are kept alive: each is to an address checked when it was opened
    (the request names the address, so the pool is keyed by it), and :class:`ClientPool`
    gives every TLS name a client of its own, so that a connection verified for one name
    never serves another on the same address. ``identity`` encoding: images are
    compressed already, and a compressed body could expand far past the size limit
    within one read.
    """
    return httpx.Client(
        verify=verify,
        trust_env=False,
        follow_redirects=False,
        limits=httpx.Limits(max_keepalive_connections=16, keepalive_expiry=5.0),
        headers={
            "User-Agent": f"autovec/{__version__}",
            "Accept": "image/*",
            "Accept-Encoding": "identity",
        },
    )


class ClientPool:
    """Kept-alive clients: one for ``http``, one per TLS name for ``https``.

    The least recently used client beyond :attr:`size` is closed once no fetch is using
    it. ``make`` builds a client (tests give one that trusts their own CA).
    """

    size = 32

    def __init__(self, make: Callable[[], httpx.Client] | None = None) -> None:
        self._make = make or self._verified_client
        self._clients: OrderedDict[str, httpx.Client] = OrderedDict()
        self._users: Counter[httpx.Client] = Counter()
        self._evicted: set[httpx.Client] = set()
        self._tls: ssl.SSLContext | None = None
        self._lock = threading.Lock()

    def _verified_client(self) -> httpx.Client:
        # One CA bundle for every client: loading it costs milliseconds a time.
        if self._tls is None:
            self._tls = ssl.create_default_context(cafile=certifi.where())
        return make_http_client(verify=self._tls)

    @contextmanager
    def client(self, tls_name: str | None) -> Iterator[httpx.Client]:
        """The client for ``tls_name`` (None: plain http), lent for one exchange."""
        key = "" if tls_name is None else tls_name.lower()
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = self._make()
            self._clients.move_to_end(key)
            self._users[client] += 1
            while len(self._clients) > self.size:
                _, old = self._clients.popitem(last=False)
                self._evicted.add(old)
            idle = [c for c in self._evicted if not self._users[c]]
            self._evicted.difference_update(idle)
        for old in idle:
            old.close()
        try:
            yield client
        finally:
            with self._lock:
                self._users[client] -= 1
                if not self._users[client]:
                    del self._users[client]
                    done = client in self._evicted
                    if done:
                        self._evicted.discard(client)
                else:
                    done = False
            if done:
                client.close()

    def close(self) -> None:
        """Close every client (the ones in use once their exchange ends)."""
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
            self._evicted.update(c for c in clients if self._users[c])
            idle = [c for c in clients if not self._users[c]]
        for client in idle:
            client.close()


_pool: ClientPool | None = None
_pool_lock = threading.Lock()


def client_pool() -> ClientPool:
    """The pool all fetches share, made on first use. Tests replace this."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ClientPool()
        return _pool


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
        tls_name = parsed.raw_host.decode("ascii") if parsed.scheme == "https" else None
        with (
            client_pool().client(tls_name) as client,
            client.stream(
                "GET",
                pinned,
                headers={"Host": host_header},
                timeout=timeout,
                extensions={"sni_hostname": parsed.raw_host.decode("ascii")},
            ) as response,
        ):
            if response.status_code in _REDIRECT_STATUSES and "location" in response.headers:
                return urllib.parse.urljoin(url, response.headers["location"])
            if response.status_code != 200:
                raise ImageFetchError(
                    f"image URL {url[:200]} answered HTTP {response.status_code}", source=url
                )
            self._check_headers(url, response)
            data = self._read_body(url, response)
        return checked_image(data, f"image URL {url[:200]}", source=self.source)

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


def fetch_url(url: str, policy: ImageFetchPolicy, limit: ByteLimit) -> FetchedImage:
    """The image at an ``http(s)`` URL, fetched under ``policy`` within ``limit``."""
    return _HttpFetch(url, policy, limit).run()
