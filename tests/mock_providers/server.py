"""A real loopback HTTP server that provider mocks build on.

Each mock is a ``ThreadingHTTPServer`` on ``127.0.0.1`` with an ephemeral port, run in
a daemon thread. It records every request (headers lower-cased, JSON body decoded),
tracks how many requests are in flight (to test concurrency bounds), can add latency,
and can be told to fail the next requests in a given way:

========================  ===================================================
mode                      effect
========================  ===================================================
``unauthorized``          401 with the provider's bad-key body
``bad_request``           400 with the provider's error body
``rate_limit``            429 with ``retry-after`` / ``retry-after-ms`` headers
``server_error``          500 with the provider's error body
``overloaded``            503 with the provider's error body
``timeout``               sleep ``sleep`` seconds, then answer normally
``malformed``             200 whose body is not JSON
``wrong_dimensions``      200 whose vectors are one value short
========================  ===================================================

Vectors are deterministic: :func:`fake_vector` seeds a generator with a hash of the
text (and a salt naming what else the provider conditions on), so tests can compute
the exact vector a request must produce.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self
from urllib.parse import parse_qs, urlparse

import numpy as np
import orjson

__all__ = [
    "FAILURE_MODES",
    "Failure",
    "MockServer",
    "Recorded",
    "Reply",
    "b64_f32",
    "fake_vector",
]

FAILURE_MODES = (
    "unauthorized",
    "bad_request",
    "rate_limit",
    "server_error",
    "overloaded",
    "timeout",
    "malformed",
    "wrong_dimensions",
)


def fake_vector(text: str, dims: int, salt: str = "") -> np.ndarray:
    """A unit float32 vector that depends only on ``(salt, text, dims)``."""
    digest = hashlib.sha256(f"{salt}\x00{text}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    vec = rng.standard_normal(dims).astype(np.float32)
    return (vec / np.linalg.norm(vec)).astype(np.float32)


def b64_f32(vec: np.ndarray) -> str:
    """Base64 of little-endian float32 bytes, as OpenAI's ``encoding_format: base64``."""
    return base64.b64encode(np.asarray(vec, dtype="<f4").tobytes()).decode("ascii")


@dataclass
class Recorded:
    """One request the mock received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw: bytes
    body: Any

    def header(self, name: str) -> str | None:
        """A request header (case-insensitive)."""
        return self.headers.get(name.lower())


@dataclass
class Failure:
    """How to fail one request."""

    mode: str
    retry_after: float | str | None = None
    retry_after_ms: float | None = None
    sleep: float = 0.0
    message: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mode not in FAILURE_MODES:
            raise ValueError(f"unknown failure mode {self.mode!r}; one of {FAILURE_MODES}")


@dataclass
class Reply:
    """What to send back."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None

    def encode(self) -> bytes:
        if self.raw is not None:
            return self.raw
        # orjson writes the float arrays of an embedding answer ~15x faster than json: a
        # mock's own CPU must stay small beside the latency it imitates (benches).
        try:
            return orjson.dumps(self.body, option=orjson.OPT_NON_STR_KEYS)
        except TypeError:  # what only json takes (an int beyond 64 bits, ...)
            return json.dumps(self.body).encode("utf-8")


class MockServer:
    """Base class: subclasses implement :meth:`route` and the error-body hooks."""

    #: Provider id, e.g. "openai".
    name: ClassVar[str] = "mock"

    def __init__(self, *, api_key: str | None = "test-key", latency: float = 0.0) -> None:
        self.api_key = api_key
        self.latency = latency
        self.requests: list[Recorded] = []
        self._failures: deque[Failure] = deque()
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> Self:
        handler = _make_handler(self)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"mock-{self.name}",
            daemon=True,
        )
        self._thread.start()
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

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_base(self) -> str:
        """The value to configure as the provider's API base (override per provider)."""
        return self.base_url

    def variables(self) -> dict[str, str]:
        """TiDB-style variables pointing a client at this mock (key and base)."""
        prefix = f"TIDB_EXP_EMBED_{self.name.upper()}"
        out = {f"{prefix}_API_BASE": self.api_base}
        if self.api_key is not None:
            out[f"{prefix}_API_KEY"] = self.api_key
        return out

    # --- test controls ---------------------------------------------------------------

    def fail_next(self, mode: str, times: int = 1, **kwargs: Any) -> None:
        """Make the next ``times`` requests fail in ``mode`` (see the module docstring)."""
        with self._lock:
            for _ in range(times):
                self._failures.append(Failure(mode, **kwargs))

    def clear(self) -> None:
        """Forget recorded requests, queued failures and concurrency counters."""
        with self._lock:
            self.requests.clear()
            self._failures.clear()
            self.max_in_flight = 0

    @property
    def last(self) -> Recorded:
        """The most recent request."""
        with self._lock:
            return self.requests[-1]

    # --- request handling ------------------------------------------------------------

    def _serve(self, req: Recorded) -> Reply | None:
        with self._lock:
            self.requests.append(req)
            failure = self._failures.popleft() if self._failures else None
        if failure is not None:
            reply = self._render_failure(failure, req)
            if reply is not None:
                return reply
        return self.route(req, failure)

    def _respond(self, req: Recorded) -> tuple[Reply, bytes]:
        """Serve one request taking ``latency`` seconds in all, like a remote service.

        The reply is computed first and the rest of the latency slept afterwards, so the
        mock's own CPU time (JSON, vectors) overlaps the latency instead of adding to it.
        """
        started = time.monotonic()
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            reply = self._serve(req)
            assert reply is not None
            payload = reply.encode()
            remaining = self.latency - (time.monotonic() - started)
            if remaining > 0:
                time.sleep(remaining)
            return reply, payload
        finally:
            with self._lock:
                self.in_flight -= 1

    def _render_failure(self, failure: Failure, req: Recorded) -> Reply | None:
        mode = failure.mode
        if mode == "timeout":
            time.sleep(failure.sleep)
            return None
        if mode == "wrong_dimensions":
            return None
        if mode == "malformed":
            return Reply(200, raw=b'{"object": "list", "data": [{"embedding": [0.1, ')
        if mode == "unauthorized":
            return self.unauthorized(req)
        if mode == "rate_limit":
            reply = self.rate_limited(failure.message, req)
            if failure.retry_after is not None:
                reply.headers["retry-after"] = str(failure.retry_after)
            if failure.retry_after_ms is not None:
                reply.headers["retry-after-ms"] = str(failure.retry_after_ms)
            reply.headers.update(failure.headers)
            return reply
        status = {"bad_request": 400, "server_error": 500, "overloaded": 503}[mode]
        default = {
            400: "Invalid request",
            500: "The server had an error while processing your request.",
            503: "Service temporarily unavailable",
        }[status]
        reply = self.error(status, failure.message or default, req)
        reply.headers.update(failure.headers)
        return reply

    # --- hooks for subclasses --------------------------------------------------------

    def route(self, req: Recorded, failure: Failure | None) -> Reply:
        """Answer a request; ``failure`` is only ever ``wrong_dimensions`` or ``timeout``."""
        raise NotImplementedError

    def error(self, status: int, message: str, req: Recorded | None = None) -> Reply:
        """The provider's error body for ``status`` (``req`` picks the API when it matters)."""
        return Reply(status, {"error": {"message": message}})

    def unauthorized(self, req: Recorded | None = None) -> Reply:
        """The provider's answer to a missing or wrong key."""
        return self.error(401, "invalid api key", req)

    def rate_limited(self, message: str | None, req: Recorded | None = None) -> Reply:
        """The provider's 429."""
        return self.error(429, message or "rate limited", req)

    @staticmethod
    def shorten(failure: Failure | None, dims: int) -> int:
        """The vector size to answer with (one short under ``wrong_dimensions``)."""
        return dims - 1 if failure is not None and failure.mode == "wrong_dimensions" else dims

    def bearer_ok(self, req: Recorded) -> bool:
        """Whether ``Authorization: Bearer <api_key>`` was sent (any request when key is None)."""
        if self.api_key is None:
            return True
        return req.header("authorization") == f"Bearer {self.api_key}"


def _make_handler(server: MockServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            parsed = urlparse(self.path)
            req = Recorded(
                method=self.command,
                path=parsed.path,
                query=parse_qs(parsed.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                raw=raw,
                body=body,
            )
            reply, payload = server._respond(req)
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

        do_POST = _handle
        do_GET = _handle

    return Handler
