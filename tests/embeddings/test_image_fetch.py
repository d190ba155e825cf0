"""Safe image fetching: every refusal of the default policy, and the fetches it allows.

Real HTTP servers on loopback serve the images. The default policy refuses loopback, so
the tests where a server must answer set the test-only ``allow_private_hosts``; the
refusal tests use the default policy and connect nowhere (a server that must not be
reached records every request). Addresses outside loopback are only ever *resolved*:
the policy refuses them before any connection.
"""

from __future__ import annotations

import base64
import io
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

from autovec.embeddings import EmbeddingError, image_http
from autovec.embeddings.image_fetch import (
    FetchedImage,
    ImageFetchError,
    ImageFetchPolicy,
    load_image,
)
from tests.certificates import SelfSignedCert, self_signed

DEFAULT = ImageFetchPolicy()
LOCAL = ImageFetchPolicy(allow_private_hosts=True)
PRIVATE_HINT = "SET @@GLOBAL.autovec_image_allow_private_hosts = ON is for tests only"


def make_image(fmt: str = "PNG", size: tuple[int, int] = (16, 16), colour: str = "red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format=fmt)
    return buf.getvalue()


def make_noise_png(side: int) -> bytes:
    """A PNG of random pixels: noise does not compress, so it is about 3 * side² bytes."""
    buf = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(3 * side * side)).save(buf, format="PNG")
    return buf.getvalue()


PNG = make_image("PNG")
JPEG = make_image("JPEG", colour="blue")
BIG_PNG = make_noise_png(100)

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class ImageServer:
    """A loopback HTTP server: ``routes`` maps a path to what answers it."""

    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, Host header)
    httpd: ThreadingHTTPServer | None = None
    #: Serve HTTPS with this context; the names clients ask for (SNI) are recorded.
    tls: ssl.SSLContext | None = None
    sni_names: list[str | None] = field(default_factory=list)
    ipv6: bool = False
    #: Speak HTTP/1.1 and keep connections open; the client ends seen are recorded.
    keep_alive: bool = False
    peers: set[tuple[str, int]] = field(default_factory=set)
    #: Close a kept-alive connection idle this long (seconds), as web servers do.
    idle_timeout: float | None = None

    @property
    def port(self) -> int:
        assert self.httpd is not None
        return int(self.httpd.server_address[1])

    def url(self, path: str, host: str | None = None) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host or ('[::1]' if self.ipv6 else '127.0.0.1')}:{self.port}{path}"

    def start(self) -> None:
        server = self

        class Answer(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if self.keep_alive else "HTTP/1.0"
            disable_nagle_algorithm = True  # a kept-alive answer's body is not held back
            timeout = self.idle_timeout

            def do_GET(self) -> None:
                server.requests.append((self.path, self.headers.get("Host", "")))
                server.peers.add(self.client_address[:2])
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up on purpose (size or time limit)

            def log_message(self, format: str, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            address_family = socket.AF_INET6 if self.ipv6 else socket.AF_INET

        self.httpd = Server(("::1" if self.ipv6 else "127.0.0.1", 0), Answer)
        self.httpd.daemon_threads = True
        if self.tls is not None:
            self.tls.sni_callback = lambda _sock, name, _ctx: self.sni_names.append(name)
            self.httpd.socket = self.tls.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[ImageServer]:
    image_server = ImageServer()
    image_server.start()
    yield image_server
    image_server.stop()


def body(data: bytes, content_type: str | None = "image/png", *, length: bool = True) -> Handler:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        if content_type is not None:
            handler.send_header("Content-Type", content_type)
        if length:
            handler.send_header("Content-Length", str(len(data)))
        else:
            handler.send_header("Connection", "close")  # the body ends when the socket does
        handler.end_headers()
        handler.wfile.write(data)

    return answer


def redirect(location: str, status: int = 302) -> Handler:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


def refused(
    source: str | bytes, policy: ImageFetchPolicy = DEFAULT, *, max_bytes: int | None = None
) -> ImageFetchError:
    with pytest.raises(ImageFetchError) as info:
        load_image(source, policy, max_bytes=max_bytes)
    return info.value


@dataclass
class FakeDNS:
    """What the module resolves names to in a test (IP literals stay themselves)."""

    names: dict[str, list[str]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def resolve(self, host: str, port: int) -> list[image_http.IPAddress]:
        self.calls.append(host)
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        if host not in self.names:
            raise OSError(f"fake DNS: no such host {host}")
        return [ipaddress.ip_address(a) for a in self.names[host]]


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    dns = FakeDNS()
    monkeypatch.setattr(image_http, "resolve_host", dns.resolve)
    return dns


# --- addresses the default policy refuses -----------------------------------------------


def test_loopback_ip_is_refused_without_connecting(server: ImageServer) -> None:
    server.routes["/x.png"] = body(PNG)
    url = server.url("/x.png")
    error = refused(url)
    assert str(error) == (
        f"image URL {url} resolves to a loopback address; the database fetches only "
        f"public addresses ({PRIVATE_HINT})"
    )
    assert error.errno == 1290
    assert error.setting == "autovec_image_allow_private_hosts"
    assert isinstance(error, EmbeddingError)
    assert server.requests == []


def test_localhost_is_refused_after_real_dns_resolution(server: ImageServer) -> None:
    server.routes["/x.png"] = body(PNG)
    error = refused(server.url("/x.png", host="localhost"))
    assert "resolves to a loopback address (127.0.0.1)" in str(error) or (
        "resolves to a loopback address (::1)" in str(error)
    )
    assert PRIVATE_HINT in str(error)
    assert server.requests == []


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("[::1]", "a loopback address"),
        ("127.1.2.3", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.9", "a private address"),
        ("192.168.1.1", "a private address"),
        ("[fc00::5]", "a private address"),
        ("[fe80::1]", "a link-local address"),
        ("169.254.3.4", "a link-local address"),
        ("100.64.0.1", "a carrier-grade NAT address"),
        ("240.0.0.1", "a reserved address"),
        ("[::ffff:127.0.0.1]", "a loopback address (IPv6 form of 127.0.0.1)"),
        ("[::ffff:10.0.0.1]", "a private address (IPv6 form of 10.0.0.1)"),
        ("[2002:a00:1::]", "a private address (IPv6 form of 10.0.0.1)"),
    ],
)
def test_non_public_addresses_are_refused_before_connecting(host: str, reason: str) -> None:
    error = refused(f"http://{host}/image.png")
    assert f"resolves to {reason}" in str(error)
    assert PRIVATE_HINT in str(error)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
        ("http://[fd00:ec2::254]/latest/", "a cloud metadata address"),
        ("http://[::ffff:169.254.169.254]/", "a cloud metadata address"),
        ("http://0.0.0.0/x.png", "an unspecified address"),
        ("http://224.0.0.1/x.png", "a multicast address"),
    ],
)
def test_metadata_and_unroutable_addresses_are_refused_even_in_test_mode(
    url: str, reason: str
) -> None:
    for policy in (DEFAULT, LOCAL):
        error = refused(url, policy)
        assert f"resolves to {reason}" in str(error)
        assert str(error).endswith("no setting allows it")
        assert error.setting is None


def test_metadata_host_name_is_refused_without_resolving(fake_dns: FakeDNS) -> None:
    error = refused("http://metadata.google.internal/computeMetadata/v1/", LOCAL)
    assert "names a cloud metadata host" in str(error)
    assert fake_dns.calls == []


def test_public_looking_name_resolving_to_loopback_is_refused(
    server: ImageServer, fake_dns: FakeDNS
) -> None:
    server.routes["/cat.png"] = body(PNG)
    fake_dns.names["images.example.com"] = ["127.0.0.1"]
    error = refused(server.url("/cat.png", host="images.example.com"))
    assert "resolves to a loopback address (127.0.0.1)" in str(error)
    assert server.requests == []


def test_every_resolved_address_must_be_public(fake_dns: FakeDNS) -> None:
    # A public first answer must not hide a private second one (DNS round-robin tricks).
    fake_dns.names["mixed.example.com"] = ["93.184.216.34", "10.0.0.7"]
    error = refused("http://mixed.example.com/x.png")
    assert "resolves to a private address (10.0.0.7)" in str(error)


def test_the_connection_goes_to_the_checked_address_without_a_second_lookup(
    server: ImageServer, fake_dns: FakeDNS
) -> None:
    # ``.invalid`` never resolves in real DNS: the fetch can only succeed by connecting to
    # the address the policy checked, while Host stays the URL's for virtual hosting.
    server.routes["/cat.png"] = body(PNG)
    fake_dns.names["images.invalid"] = ["127.0.0.1"]
    fetched = load_image(server.url("/cat.png", host="images.invalid"), LOCAL)
    assert fetched.data == PNG
    assert server.requests == [("/cat.png", f"images.invalid:{server.port}")]
    assert fake_dns.calls == ["images.invalid"]


# --- redirects -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("http://169.254.169.254/latest/meta-data/iam/", "resolves to a cloud metadata address"),
        ("http://metadata.google.internal/", "names a cloud metadata host"),
        ("http://[::ffff:0.0.0.0]/", "resolves to an unspecified address"),
        ("file:///etc/passwd", "is not an http(s) URL"),
    ],
)
def test_a_redirect_to_a_forbidden_target_is_refused(
    server: ImageServer, location: str, expected: str
) -> None:
    server.routes["/go"] = redirect(location)
    error = refused(server.url("/go"), LOCAL)
    assert expected in str(error)
    assert location[:20] in str(error)
    assert [path for path, _ in server.requests] == ["/go"]


def test_a_redirect_to_loopback_is_refused_by_the_default_policy(
    server: ImageServer, fake_dns: FakeDNS, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default policy with a "public" first hop: the loopback server stands in for a
    # public CDN by passing its first address check; the redirect's check is the real one.
    server.routes["/cat.png"] = body(PNG)
    server.routes["/go"] = redirect(server.url("/cat.png"))
    fake_dns.names["cdn.example.com"] = ["127.0.0.1"]
    checked: list[str] = []
    real_refusal = image_http.address_refusal

    def first_check_passes(address: image_http.IPAddress, *, allow_private: bool) -> str | None:
        checked.append(str(address))
        return None if len(checked) == 1 else real_refusal(address, allow_private=allow_private)

    monkeypatch.setattr(image_http, "address_refusal", first_check_passes)
    error = refused(server.url("/go", host="cdn.example.com"))
    assert "resolves to a loopback address" in str(error)
    assert PRIVATE_HINT in str(error)
    assert [path for path, _ in server.requests] == ["/go"]


def test_redirects_are_followed_up_to_the_limit(server: ImageServer) -> None:
    server.routes["/r0"] = body(PNG)
    for hop in range(1, 6):
        server.routes[f"/r{hop}"] = redirect(f"/r{hop - 1}", status=301 if hop % 2 else 307)
    policy = ImageFetchPolicy(allow_private_hosts=True, max_redirects=3)
    assert load_image(server.url("/r3"), policy).data == PNG
    error = refused(server.url("/r4"), policy)
    assert "redirects more than 3 times" in str(error)
    assert "SET @@GLOBAL.autovec_image_max_redirects" in str(error)
    assert error.setting == "autovec_image_max_redirects"
    no_redirects = ImageFetchPolicy(allow_private_hosts=True, max_redirects=0)
    assert "redirects more than 0 times" in str(refused(server.url("/r1"), no_redirects))


# --- size, time and content checks ---------------------------------------------------------


def test_oversize_with_content_length_is_refused_before_the_body(server: ImageServer) -> None:
    server.routes["/big.png"] = body(BIG_PNG)
    policy = ImageFetchPolicy(allow_private_hosts=True, max_bytes=len(BIG_PNG) - 1)
    error = refused(server.url("/big.png"), policy)
    assert f"is {len(BIG_PNG)} bytes, larger than the {len(BIG_PNG) - 1} allowed" in str(error)
    assert "SET @@GLOBAL.autovec_image_max_bytes" in str(error)
    assert error.setting == "autovec_image_max_bytes"


def test_oversize_without_content_length_is_counted_while_streaming(
    server: ImageServer,
) -> None:
    endless = PNG + b"\0" * (4 << 20)
    server.routes["/stream.png"] = body(endless, length=False)
    policy = ImageFetchPolicy(allow_private_hosts=True, max_bytes=100_000)
    error = refused(server.url("/stream.png"), policy)
    assert "is more than 100000 bytes, larger than the 100000 allowed" in str(error)


def test_a_providers_smaller_limit_tightens_the_policy(server: ImageServer) -> None:
    server.routes["/big.png"] = body(BIG_PNG)
    url = server.url("/big.png")
    assert load_image(url, LOCAL).data == BIG_PNG
    error = refused(url, LOCAL, max_bytes=len(BIG_PNG) // 2)
    assert "larger than the embedding provider accepts" in str(error)
    # A provider limit above the policy's does not loosen it.
    small = ImageFetchPolicy(allow_private_hosts=True, max_bytes=len(BIG_PNG) // 2)
    assert "autovec_image_max_bytes" in str(refused(url, small, max_bytes=1 << 30))


def test_a_slow_server_is_cut_off_at_the_timeout(server: ImageServer) -> None:
    def slow(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(5.0)
        body(PNG)(handler)

    server.routes["/slow.png"] = slow
    policy = ImageFetchPolicy(allow_private_hosts=True, timeout_s=0.3)
    started = time.monotonic()
    error = refused(server.url("/slow.png"), policy)
    assert time.monotonic() - started < 3.0
    assert "took longer than 0.3 s to fetch" in str(error)
    assert error.setting == "autovec_image_fetch_timeout"


def test_a_slow_dns_lookup_counts_against_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow_resolver(host: str, port: int) -> list[image_http.IPAddress]:
        time.sleep(5.0)
        return [ipaddress.ip_address("93.184.216.34")]

    monkeypatch.setattr(image_http, "resolve_host", slow_resolver)
    started = time.monotonic()
    error = refused("http://slow-dns.example.com/x.png", ImageFetchPolicy(timeout_s=0.3))
    assert time.monotonic() - started < 3.0
    assert "took longer than 0.3 s to fetch" in str(error)


def test_an_unknown_host_is_reported(fake_dns: FakeDNS) -> None:
    assert "cannot resolve host nowhere.invalid" in str(refused("http://nowhere.invalid/x.png"))


def test_the_time_limit_is_for_the_whole_body_not_each_read(server: ImageServer) -> None:
    # A server that trickles bytes never trips a per-read timeout; the total limit holds.
    def trickle(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "image/png")
        handler.send_header("Content-Length", str(len(PNG) + 100))
        handler.end_headers()
        handler.wfile.write(PNG)
        for _ in range(100):
            handler.wfile.write(b"\0")
            handler.wfile.flush()
            time.sleep(0.05)

    server.routes["/trickle.png"] = trickle
    policy = ImageFetchPolicy(allow_private_hosts=True, timeout_s=0.5)
    started = time.monotonic()
    error = refused(server.url("/trickle.png"), policy)
    assert time.monotonic() - started < 3.0
    assert "took longer than 0.5 s" in str(error)


def test_a_non_image_content_type_is_refused(server: ImageServer) -> None:
    server.routes["/page"] = body(PNG, "text/html; charset=utf-8")
    error = refused(server.url("/page"), LOCAL)
    assert "answered Content-Type text/html, not an image/* type" in str(error)


def test_html_served_as_png_is_refused_by_its_magic_bytes(server: ImageServer) -> None:
    server.routes["/fake.png"] = body(b"<!doctype html><html>hi</html>", "image/png")
    error = refused(server.url("/fake.png"), LOCAL)
    assert "is not a PNG, JPEG, GIF, WebP or BMP image" in str(error)
    assert "<!doctype" in str(error)


def test_an_http_error_status_is_reported(server: ImageServer) -> None:
    assert "answered HTTP 404" in str(refused(server.url("/missing.png"), LOCAL))


def test_other_schemes_and_relative_paths_are_refused() -> None:
    assert "scheme 'ftp'" in str(refused("ftp://example.com/x.png"))
    assert "relative paths are refused" in str(refused("images/x.png"))


# --- successes over HTTP ------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "mime"), [(PNG, "image/png"), (JPEG, "image/jpeg")])
def test_images_from_a_loopback_server_in_test_mode(
    server: ImageServer, data: bytes, mime: str
) -> None:
    # The Content-Type is not trusted for the mime: the magic bytes decide.
    server.routes["/img"] = body(data, "image/whatever")
    fetched = load_image(server.url("/img"), LOCAL)
    assert (fetched.data, fetched.mime) == (data, mime)
    assert fetched.source == server.url("/img")
    decoded = Image.open(io.BytesIO(fetched.data))
    assert decoded.size == (16, 16)


def test_no_content_type_is_accepted_when_the_bytes_are_an_image(server: ImageServer) -> None:
    server.routes["/raw"] = body(PNG, None, length=False)
    assert load_image(server.url("/raw"), LOCAL).mime == "image/png"


def test_proxies_from_the_environment_are_not_used(
    server: ImageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy would connect to hosts the policy never checked. This one, on loopback too,
    # would answer 404 to whatever it was asked.
    proxy = ImageServer()
    proxy.start()
    try:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
            monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        # Connections made now, with the proxies in the environment.
        fresh = image_http.ConnectionPool()
        monkeypatch.setattr(image_http, "connection_pool", lambda: fresh)
        server.routes["/img"] = body(PNG)
        assert load_image(server.url("/img"), LOCAL).data == PNG
        assert proxy.requests == []
        fresh.close()
    finally:
        proxy.stop()


def ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not ipv6_loopback_available(), reason="no IPv6 loopback on this machine")
def test_an_ipv6_loopback_server_in_test_mode() -> None:
    v6 = ImageServer(routes={"/img": body(PNG)}, ipv6=True)
    v6.start()
    try:
        assert "loopback" in str(refused(v6.url("/img")))
        assert load_image(v6.url("/img"), LOCAL).data == PNG
        assert v6.requests == [("/img", f"[::1]:{v6.port}")]
    finally:
        v6.stop()


def test_a_relative_redirect_to_an_image_is_followed(server: ImageServer) -> None:
    server.routes["/images/cat.png"] = body(PNG)
    server.routes["/images/latest"] = redirect("cat.png", status=308)
    fetched = load_image(server.url("/images/latest"), LOCAL)
    assert fetched.data == PNG
    assert fetched.source == server.url("/images/latest")


# --- local files ---------------------------------------------------------------------------------


@pytest.fixture
def gallery(tmp_path: Path) -> Path:
    images = tmp_path / "images"
    images.mkdir()
    (images / "cat.png").write_bytes(PNG)
    (tmp_path / "secret.png").write_bytes(PNG)
    return images


def test_no_local_file_is_read_until_a_directory_is_allowed(gallery: Path) -> None:
    error = refused(str(gallery / "cat.png"))
    assert "the database reads no local files until SET @@GLOBAL.autovec_image_dirs" in str(error)
    assert error.errno == 1290
    assert error.setting == "autovec_image_dirs"


def test_a_file_under_an_allowed_directory_is_read(gallery: Path) -> None:
    policy = ImageFetchPolicy(allowed_dirs=(gallery,))
    fetched = load_image(str(gallery / "cat.png"), policy)
    assert (fetched.data, fetched.mime, fetched.source) == (
        PNG,
        "image/png",
        str(gallery / "cat.png"),
    )
    assert load_image((gallery / "cat.png").as_uri(), policy).data == PNG


def test_a_file_outside_the_allowed_directories_is_refused(gallery: Path) -> None:
    policy = ImageFetchPolicy(allowed_dirs=(gallery,))
    outside = gallery.parent / "secret.png"
    error = refused(str(outside), policy)
    assert f"image file {outside} is outside the allowed image directories ({gallery})" in str(
        error
    )
    assert "SET @@GLOBAL.autovec_image_dirs" in str(error)
    assert "outside" in str(refused(outside.as_uri(), policy))


def test_a_symlink_escaping_the_allowed_directory_is_refused(gallery: Path) -> None:
    (gallery / "link.png").symlink_to(gallery.parent / "secret.png")
    (gallery / "up").symlink_to(gallery.parent)
    policy = ImageFetchPolicy(allowed_dirs=(gallery,))
    assert "outside the allowed" in str(refused(str(gallery / "link.png"), policy))
    assert "outside the allowed" in str(refused(str(gallery / "up" / "secret.png"), policy))


def test_a_dot_dot_escape_is_refused(gallery: Path) -> None:
    policy = ImageFetchPolicy(allowed_dirs=(gallery,))
    escape = f"{gallery}/../secret.png"
    assert "outside the allowed" in str(refused(escape, policy))


def test_an_allowed_directory_given_through_a_symlink_still_works(
    gallery: Path, tmp_path: Path
) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(gallery)
    policy = ImageFetchPolicy(allowed_dirs=(alias,))
    assert load_image(str(alias / "cat.png"), policy).data == PNG
    assert load_image(str(gallery / "cat.png"), policy).data == PNG


def test_missing_oversize_and_non_image_files(gallery: Path) -> None:
    policy = ImageFetchPolicy(allowed_dirs=(gallery,), max_bytes=len(PNG))
    missing = refused(str(gallery / "nope.png"), policy)
    assert "does not exist" in str(missing) and missing.errno == 1017
    (gallery / "big.png").write_bytes(PNG + b"\0")
    assert "larger than the" in str(refused(str(gallery / "big.png"), policy))
    (gallery / "notes.png").write_bytes(b"just text")
    assert "is not a PNG" in str(refused(str(gallery / "notes.png"), policy))
    (gallery / "sub").mkdir()
    assert "not a regular file" in str(refused(str(gallery / "sub"), policy))


# --- data URIs and bytes --------------------------------------------------------------------------


def test_bytes_and_data_uris_pass_the_size_and_magic_checks() -> None:
    uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert load_image(PNG, DEFAULT).mime == "image/png"
    assert load_image(uri, DEFAULT).data == PNG
    assert load_image(JPEG, DEFAULT).mime == "image/jpeg"
    assert "is not a PNG" in str(refused(b"%PDF-1.7 not an image"))
    assert "is not a PNG" in str(
        refused("data:image/png;base64," + base64.b64encode(b"hi").decode())
    )
    assert "not valid base64" in str(refused("data:image/png;base64,@@@@"))
    small = ImageFetchPolicy(max_bytes=len(PNG) - 1)
    assert "larger than the" in str(refused(PNG, small))
    assert "larger than the" in str(refused(uri, small))


def test_the_same_bytes_from_any_source_have_one_content_key(
    server: ImageServer, gallery: Path
) -> None:
    server.routes["/a.png"] = body(PNG)
    server.routes["/b/copy.png"] = body(PNG)
    server.routes["/other.png"] = body(JPEG, "image/jpeg")
    policy = ImageFetchPolicy(allowed_dirs=(gallery,), allow_private_hosts=True)
    uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    sources: list[str | bytes] = [
        server.url("/a.png"),
        server.url("/b/copy.png"),
        str(gallery / "cat.png"),
        PNG,
        uri,
    ]
    keys = {load_image(source, policy).content_key() for source in sources}
    assert len(keys) == 1
    assert keys != {load_image(server.url("/other.png"), policy).content_key()}


def test_as_input_is_a_data_uri_of_the_bytes() -> None:
    fetched = FetchedImage(JPEG, "image/jpeg", "test")
    image_input = fetched.as_input()
    assert image_input.mime == "image/jpeg"
    assert base64.b64decode(image_input.base64_data) == JPEG
    assert load_image(image_input.uri, DEFAULT).content_key() == fetched.content_key()


# --- the policy from the data directory's settings --------------------------------------------------


def test_policy_from_settings() -> None:
    assert ImageFetchPolicy.from_settings({}) == ImageFetchPolicy()
    policy = ImageFetchPolicy.from_settings(
        {
            "autovec_image_dirs": f"/srv/images{os.pathsep}/data/pics, /mnt/x",
            "autovec_image_allow_private_hosts": 1,
            "autovec_image_max_bytes": 3 << 20,
            "autovec_image_fetch_timeout": 2.5,
            "autovec_image_max_redirects": 0,
            "tidb_exp_embed_jina_ai_api_key": "ignored",
        }
    )
    assert policy == ImageFetchPolicy(
        allowed_dirs=(Path("/srv/images"), Path("/data/pics"), Path("/mnt/x")),
        allow_private_hosts=True,
        max_bytes=3 << 20,
        timeout_s=2.5,
        max_redirects=0,
    )
    assert ImageFetchPolicy.from_settings({"autovec_image_allow_private_hosts": "OFF"}) == DEFAULT
    with pytest.raises(ImageFetchError, match="autovec_image_max_bytes"):
        ImageFetchPolicy.from_settings({"autovec_image_max_bytes": "lots"})


# --- https: the pinned address, the URL's name ---------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> SelfSignedCert:
    return self_signed(tmp_path_factory.mktemp("tls"), "images.invalid", ["images.invalid"])


@pytest.fixture
def https_server(certificate: SelfSignedCert) -> Iterator[ImageServer]:
    image_server = ImageServer(tls=certificate.server_context(), keep_alive=True)
    image_server.start()
    yield image_server
    image_server.stop()


def test_https_goes_to_the_checked_address_and_verifies_the_urls_name(
    https_server: ImageServer,
    certificate: SelfSignedCert,
    fake_dns: FakeDNS,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The certificate names images.invalid only: the fetch succeeds only if the TLS name
    # (SNI and the certificate check) is the URL's while the socket goes to 127.0.0.1.
    https_server.routes["/cat.png"] = body(PNG)
    fake_dns.names["images.invalid"] = ["127.0.0.1"]
    trusting = image_http.ConnectionPool(tls=certificate.client_context())
    monkeypatch.setattr(image_http, "connection_pool", lambda: trusting)
    try:
        url = https_server.url("/cat.png", host="images.invalid")
        assert load_image(url, LOCAL).data == PNG
        assert https_server.sni_names == ["images.invalid"]
        assert https_server.requests == [("/cat.png", f"images.invalid:{https_server.port}")]
        # The same server by its address: the certificate does not name 127.0.0.1, and the
        # connection kept alive for images.invalid (the same address) does not serve it.
        by_address = refused(https_server.url("/cat.png"), LOCAL)
        assert "certificate" in str(by_address).lower()
        assert load_image(url, LOCAL).data == PNG
        assert https_server.sni_names.count("images.invalid") == 1  # its connection, kept
    finally:
        trusting.close()


def test_a_connection_the_server_closed_meanwhile_is_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closing = ImageServer(keep_alive=True, idle_timeout=0.1)
    closing.start()
    pool = image_http.ConnectionPool()
    monkeypatch.setattr(image_http, "connection_pool", lambda: pool)
    try:
        closing.routes["/cat.png"] = body(PNG)
        assert load_image(closing.url("/cat.png"), LOCAL).data == PNG
        time.sleep(0.4)  # the server has closed the kept connection; the pool does not know
        assert load_image(closing.url("/cat.png"), LOCAL).data == PNG
        assert len(closing.requests) == 2 and len(closing.peers) == 2
    finally:
        pool.close()
        closing.stop()


def test_connections_are_kept_alive_per_checked_address(
    fake_dns: FakeDNS, monkeypatch: pytest.MonkeyPatch
) -> None:
    keeping = ImageServer(keep_alive=True)
    keeping.start()
    pool = image_http.ConnectionPool()
    monkeypatch.setattr(image_http, "connection_pool", lambda: pool)
    try:
        keeping.routes["/cat.png"] = body(PNG)
        fake_dns.names["images.invalid"] = ["127.0.0.1"]
        for _ in range(5):
            assert load_image(keeping.url("/cat.png"), LOCAL).data == PNG
        assert len(keeping.requests) == 5 and len(keeping.peers) == 1
        # Another name on the same address: plain HTTP, the Host header says which one.
        by_name = keeping.url("/cat.png", host="images.invalid")
        assert load_image(by_name, LOCAL).data == PNG
        assert keeping.requests[-1] == ("/cat.png", f"images.invalid:{keeping.port}")
        assert fake_dns.calls == ["images.invalid"]  # checked, though the socket was open
        assert len(keeping.peers) == 1
        pool.idle_seconds = 0.0  # an idle connection is not kept past this: a new one
        assert load_image(keeping.url("/cat.png"), LOCAL).data == PNG
        assert len(keeping.peers) == 2
        pool.idle_seconds, pool.size = 5.0, 0  # nor when the pool is full: the one kept
        for _ in range(2):  # serves one more fetch, and then a new one is needed
            assert load_image(keeping.url("/cat.png"), LOCAL).data == PNG
        assert len(keeping.peers) == 3
    finally:
        pool.close()
        keeping.stop()


def test_https_certificates_are_verified_by_default(
    https_server: ImageServer, fake_dns: FakeDNS
) -> None:
    https_server.routes["/cat.png"] = body(PNG)
    fake_dns.names["images.invalid"] = ["127.0.0.1"]
    error = refused(https_server.url("/cat.png", host="images.invalid"), LOCAL)
    assert "CERTIFICATE_VERIFY_FAILED" in str(error)
    assert https_server.requests == []


def test_importing_the_module_does_not_load_httpx() -> None:
    # The SDK's embedding function imports it at start-up; httpx comes with the first URL.
    script = "import sys, autovec.embeddings.image_fetch as m\nprint('httpx' in sys.modules)\n"
    probe = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "False"
