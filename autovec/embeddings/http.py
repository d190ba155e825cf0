"""Shared HTTP plumbing for remote providers: batching, bounded concurrency, retries.

* Inputs are split into requests within the provider's count and token limits.
* Requests run on a thread pool; a per-provider semaphore bounds how many are in flight
  at once across all callers (default 8).
* Only transient failures are retried (429, 408, 409, 5xx, timeouts, connection
  errors), with exponential backoff and jitter; ``retry-after-ms`` / ``Retry-After``
  are obeyed when they lie in (0, 60] s, and ``x-should-retry`` overrides the decision,
  as openai-python does. 400/401/403/404 fail at once with a message saying what to do.
* Any failing batch fails the whole call, so a statement is all-or-nothing.

:class:`RemoteService` holds the part that is not about embeddings (keys, client,
retries, error classification), so that :mod:`autovec.rerankers` follows the same rules;
:class:`RemoteProvider` adds the embedding pipeline and the request template (OpenAI's
shape) on top of it, so that a provider module declares only what its API does differently.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, ClassVar, TypeVar

import httpx
import numpy as np
import orjson

from autovec.embeddings.base import (
    BatchLimits,
    EmbeddingProvider,
    batch_sink,
    decode_base64_f32,
    estimate_tokens,
    interrupt_check,
    to_matrix,
)
from autovec.embeddings.catalog import ModelSpec
from autovec.embeddings.errors import (
    EmbeddingProviderError,
    EmbeddingResponseError,
    MissingAPIKeyError,
    RetryableError,
    UnauthorizedError,
    unauthorized_message,
)
from autovec.embeddings.inputs import EmbedInput
from autovec.embeddings.keys import ProviderCredentials, RedactedHeaders, Secret, redact
from autovec.embeddings.options import Kind
from autovec.version import __version__

__all__ = [
    "HttpSettings",
    "RemoteProvider",
    "RemoteService",
    "backoff_delay",
    "parse_openai_embeddings",
    "parse_retry_after",
    "plan_batches",
]

log = logging.getLogger("autovec.embeddings")

T = TypeVar("T")
R = TypeVar("R")

RETRYABLE_STATUSES = frozenset({408, 409, 429})


def _loads(content: bytes) -> Any:
    """Parse a response body: orjson reads the large float arrays of embeddings several
    times faster than json, and that parsing holds the GIL every request thread needs."""
    return orjson.loads(content)


@dataclass(frozen=True)
class HttpSettings:
    """Timeouts, retry budget and concurrency for one provider instance."""

    #: Seconds to wait for a response (read/write/pool); ``connect_timeout`` for connecting.
    timeout: float = 60.0
    connect_timeout: float = 10.0
    #: Retries after the first attempt (so up to ``max_retries + 1`` requests).
    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    #: Server hints longer than this are ignored in favour of backoff (openai-python: 60 s).
    max_retry_after: float = 60.0
    #: Requests in flight at once, per provider instance.
    max_concurrency: int = 8
    #: Responses larger than this are refused (TiDB caps them at 32 MiB).
    max_response_bytes: int = 32 << 20

    def with_timeout(self, timeout: float | None) -> HttpSettings:
        """A copy with ``timeout`` (seconds) when given."""
        return self if timeout is None else replace(self, timeout=float(timeout))


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds the server asks us to wait: ``retry-after-ms``, then ``retry-after``."""
    lower = {k.lower(): v for k, v in headers.items()}
    ms = lower.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000.0
        except ValueError:
            pass
    value = lower.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return when.timestamp() - (time.time() if now is None else now)


def backoff_delay(
    attempt: int,
    settings: HttpSettings,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Delay before retry number ``attempt`` (0-based)."""
    if retry_after is not None and 0 < retry_after <= settings.max_retry_after:
        return retry_after
    base = min(settings.backoff_max, settings.backoff_base * (2**attempt))
    jitter = (rng or random).random()
    return base * (1 - 0.25 * jitter)


def plan_batches(items: Sequence[EmbedInput], limits: BatchLimits) -> list[range]:
    """Split ``items`` into consecutive ranges within the count and token limits.

    An input larger than the token budget on its own still gets a request of its own;
    the provider then decides (truncate or 400).
    """
    batches: list[range] = []
    start, tokens = 0, 0
    max_count = max(1, limits.max_batch_size)
    budget = limits.max_batch_tokens
    for i, item in enumerate(items):
        cost = estimate_tokens(item) if budget else 0
        count = i - start
        if count and (count >= max_count or (budget and tokens + cost > budget)):
            batches.append(range(start, i))
            start, tokens = i, 0
        tokens += cost
    if start < len(items):
        batches.append(range(start, len(items)))
    return batches


def parse_openai_embeddings(payload: Any, count: int, who: str) -> list[Any]:
    """Rows of an OpenAI-shaped answer (``data[].{index, embedding}``), in input order.

    ``embedding`` may be a float list or base64 of little-endian float32.
    """
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise EmbeddingResponseError(f"{who}: response has no 'data' list", provider=who)
    if len(data) != count:
        raise EmbeddingResponseError(
            f"{who}: response has {len(data)} embeddings for {count} inputs", provider=who
        )
    rows: list[Any] = [None] * count
    for position, item in enumerate(data):
        if not isinstance(item, dict) or "embedding" not in item:
            raise EmbeddingResponseError(f"{who}: response item has no 'embedding'", provider=who)
        index = item.get("index", position)
        if not isinstance(index, int) or not 0 <= index < count:
            raise EmbeddingResponseError(
                f"{who}: response index {index!r} is out of range [0, {count})", provider=who
            )
        if rows[index] is not None:
            raise EmbeddingResponseError(
                f"{who}: response contains duplicate index {index}", provider=who
            )
        value = item["embedding"]
        rows[index] = decode_base64_f32(value) if isinstance(value, str) else value
    return rows


class RemoteService:
    """What every client of a remote API shares (embedding providers, rerankers).

    Key and base lookup through :class:`ProviderCredentials`, one pooled httpx client,
    and :meth:`post_json` with the retry policy and error classification of this module.
    Subclasses set ``name``/``display_name`` and assign ``credentials`` before use.
    """

    #: Registry id (``provider`` in ``provider/model``); errors carry it.
    name: ClassVar[str] = ""
    #: How the provider is named in messages (TiDB's spelling: "OpenAI", "JinaAI"...).
    display_name: ClassVar[str] = ""
    #: Used when no ``api_base`` is configured.
    default_api_base: ClassVar[str] = ""
    #: Statuses that mean "the key is wrong" (NVIDIA NIM answers 403).
    unauthorized_statuses: ClassVar[frozenset[int]] = frozenset({401})
    #: Whether a call may go out without a key (e.g. a self-hosted OpenAI-compatible server).
    key_optional: ClassVar[bool] = False

    credentials: ProviderCredentials

    def __init__(
        self,
        *,
        settings: HttpSettings | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings or HttpSettings()
        self._sleep = sleep
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()
        # Exchanges in flight per client, and the closed-for-new-use clients that are
        # closed once their last exchange ends (an instance may be closed mid-request).
        self._exchanges: Counter[httpx.Client] = Counter()
        self._retired: set[httpx.Client] = set()
        self._slots = threading.BoundedSemaphore(max(1, self.settings.max_concurrency))

    # --- configuration ---------------------------------------------------------------

    def api_base(self) -> str:
        """The configured base URL, else the provider default; no trailing slash."""
        return (self.credentials.api_base() or self.default_api_base).rstrip("/")

    def uses_default_base(self) -> bool:
        """True when no base URL override is configured."""
        return not self.credentials.api_base()

    def api_key(self) -> Secret | None:
        """The key, or :class:`MissingAPIKeyError` (TiDB's text) when there is none."""
        key = self.credentials.api_key()
        if key:
            return key
        if self.key_optional and not self.uses_default_base():
            return None
        raise MissingAPIKeyError(self.display_name, self.credentials.key_variable)

    def auth_headers(self, key: Secret | None) -> dict[str, str]:
        """Request headers that carry the key."""
        return RedactedHeaders({"Authorization": f"Bearer {key.reveal()}"} if key else {})

    @property
    def client(self) -> httpx.Client:
        """One pooled client per provider instance, created on first use."""
        with self._client_lock:
            return self._current_client()

    def _current_client(self) -> httpx.Client:
        """The client, created when there is none; the caller holds ``_client_lock``."""
        if self._client is None:
            s = self.settings
            self._client = httpx.Client(
                timeout=httpx.Timeout(s.timeout, connect=s.connect_timeout),
                limits=httpx.Limits(
                    max_connections=max(1, s.max_concurrency),
                    max_keepalive_connections=max(1, s.max_concurrency),
                ),
                headers={"User-Agent": f"autovec/{__version__}"},
                follow_redirects=False,
            )
        return self._client

    @contextmanager
    def _lent_client(self) -> Iterator[httpx.Client]:
        """The client for one exchange; a :meth:`close` meanwhile waits for its return."""
        with self._client_lock:
            client = self._current_client()
            self._exchanges[client] += 1
        try:
            yield client
        finally:
            with self._client_lock:
                self._exchanges[client] -= 1
                last = not self._exchanges[client]
                if last:
                    del self._exchanges[client]
                retire = last and client in self._retired
                if retire:
                    self._retired.remove(client)
            if retire:
                client.close()

    def close(self) -> None:
        """Close the HTTP client now, or once the exchanges still using it have ended.

        The instance stays usable: a later request opens a new client.
        """
        with self._client_lock:
            client, self._client = self._client, None
            if client is not None and self._exchanges[client]:
                self._retired.add(client)
                return
        if client is not None:
            client.close()

    # --- one HTTP exchange with retries ----------------------------------------------

    def post_json(
        self,
        url: str,
        body: Any,
        *,
        headers: Mapping[str, str] | None = None,
        secrets: Sequence[Secret | None] = (),
    ) -> Any:
        """POST ``body`` as JSON; return the decoded JSON answer, retrying what is transient."""
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        all_headers = RedactedHeaders({"Content-Type": "application/json", **(headers or {})})
        attempts = self.settings.max_retries + 1
        for attempt in range(attempts):
            ok, result, error, should_retry = self._attempt(url, payload, all_headers, secrets)
            if ok:
                return result
            assert error is not None
            retry = isinstance(error, RetryableError) if should_retry is None else should_retry
            if not retry or attempt + 1 >= attempts:
                if retry and attempts > 1:
                    error.message = f"{error.message} (gave up after {attempts} attempts)"
                    error.args = (error.message,)
                raise error
            delay = backoff_delay(
                attempt,
                self.settings,
                error.retry_after if isinstance(error, RetryableError) else None,
            )
            log.warning(
                "%s: attempt %d/%d failed (%s); retrying in %.2fs",
                self.display_name,
                attempt + 1,
                attempts,
                error.message,
                delay,
            )
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(
        self,
        url: str,
        payload: bytes,
        headers: Mapping[str, str],
        secrets: Sequence[Secret | None],
    ) -> tuple[bool, Any, EmbeddingProviderError | None, bool | None]:
        """One request: ``(ok, json, error, x-should-retry)``.

        A separate frame on purpose: the raw response body (which a provider may echo a
        key into) lives only here, so it is gone from the traceback of a raised error.
        """
        try:
            with self._slots:
                status, resp_headers, content = self._exchange(url, payload, headers)
        except httpx.TimeoutException:
            timeout = RetryableError(
                f"{self.display_name}: request timed out after {self.settings.timeout:g}s",
                provider=self.name,
            )
            return False, None, timeout, None
        except httpx.TransportError as exc:
            unreachable = RetryableError(
                f"{self.display_name}: cannot connect to {self._where(url)}: {type(exc).__name__}",
                provider=self.name,
            )
            return False, None, unreachable, None
        if 200 <= status < 300:
            try:
                return True, _loads(content), None, None
            except (ValueError, UnicodeDecodeError):
                malformed = EmbeddingResponseError(
                    f"{self.display_name}: response is not valid JSON", provider=self.name
                )
                return False, None, malformed, False
        error = self.classify_error(status, resp_headers, content, secrets)
        hint = resp_headers.get("x-should-retry", "").lower()
        return False, None, error, True if hint == "true" else False if hint == "false" else None

    def _where(self, url: str) -> str:
        parsed = httpx.URL(url)
        return f"{parsed.scheme}://{parsed.host}" + (f":{parsed.port}" if parsed.port else "")

    def _exchange(
        self, url: str, payload: bytes, headers: Mapping[str, str]
    ) -> tuple[int, httpx.Headers, bytes]:
        limit = self.settings.max_response_bytes
        with (
            self._lent_client() as client,
            client.stream("POST", url, content=payload, headers=headers) as resp,
        ):
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise EmbeddingResponseError(
                        f"{self.display_name}: response is larger than {limit} bytes",
                        provider=self.name,
                        status=resp.status_code,
                    )
                chunks.append(chunk)
            return resp.status_code, resp.headers, b"".join(chunks)

    def classify_error(
        self,
        status: int,
        headers: httpx.Headers,
        content: bytes,
        secrets: Sequence[Secret | None] = (),
    ) -> EmbeddingProviderError:
        """Turn a non-2xx answer into the right error, with a redacted message."""
        try:
            payload: Any = json.loads(content) if content else None
        except (ValueError, UnicodeDecodeError):
            payload = None
        text = redact(content.decode("utf-8", "replace")[:4096], secrets)
        log.debug("%s: HTTP %d: %s", self.display_name, status, text)
        if status in self.unauthorized_statuses:
            return UnauthorizedError(
                unauthorized_message(self.display_name, self.credentials.key_variable),
                provider=self.name,
                status=status,
            )
        detail = self.error_message(status, payload)
        message = (
            f"{self.display_name}: {redact(detail, secrets)}"
            if detail
            else f"{self.display_name}: status code {status}"
        )
        if status in RETRYABLE_STATUSES or status >= 500:
            retry_after = parse_retry_after(headers)
            if retry_after is None:
                retry_after = self.retry_after_hint(payload)
            return RetryableError(
                message, provider=self.name, status=status, retry_after=retry_after
            )
        return EmbeddingProviderError(message, provider=self.name, status=status)

    def error_message(self, status: int, payload: Any) -> str | None:
        """The provider's own error text from a decoded error body, if it has one."""
        if isinstance(payload, dict):
            err = payload.get("error")
            if isinstance(err, dict) and isinstance(err.get("message"), str):
                return str(err["message"]).strip()
            if isinstance(err, str) and err.strip():
                return err.strip()
            for key in ("detail", "message"):
                value = payload.get(key)
                if isinstance(value, str) and value.strip():
                    return value.strip()
                if isinstance(value, (list, dict)) and value:
                    return json.dumps(value, ensure_ascii=False)
        return None

    def retry_after_hint(self, payload: Any) -> float | None:
        """A wait hint found in the error body (headers are checked first)."""
        return None


class RemoteProvider(RemoteService, EmbeddingProvider):
    """An embedding provider reached over HTTP, declared by what differs from a template.

    The template is OpenAI's API: ``POST {api_base}{endpoint_path}`` with the body
    ``{**request_defaults, **options, "model": <model>, <input_field>: [texts]}``,
    answered by ``data[].embedding``. A provider sets the class attributes below and
    overrides a method only where its API has another shape.
    """

    #: Completes the API base: a base already ending in the path's last segment is the
    #: endpoint, one ending in a leading part of the path gets the rest.
    endpoint_path: ClassVar[str] = "/embeddings"
    #: Body fields sent unless the options give them (e.g. how vectors are encoded).
    request_defaults: ClassVar[Mapping[str, Any]] = {}
    #: The body field that carries the inputs.
    input_field: ClassVar[str] = "input"
    #: The option telling the API whether it embeds a query or a document, and its value
    #: for each side; set unless the caller gave it (see :meth:`takes_kind_option`).
    kind_option: ClassVar[str | None] = None
    kind_values: ClassVar[Mapping[Kind, str]] = {}

    def __init__(
        self,
        model: str,
        *,
        spec: ModelSpec | None = None,
        credentials: ProviderCredentials | None = None,
        settings: HttpSettings | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # Two unrelated bases, each initialised once (they do not chain to each other).
        EmbeddingProvider.__init__(self, model, spec=spec, credentials=credentials)
        RemoteService.__init__(self, settings=settings, sleep=sleep)

    @classmethod
    def from_config(
        cls,
        model: str,
        *,
        spec: ModelSpec | None,
        credentials: ProviderCredentials,
        timeout: float | None = None,
        settings: Any = None,
    ) -> EmbeddingProvider:
        base = settings if isinstance(settings, HttpSettings) else HttpSettings()
        return cls(model, spec=spec, credentials=credentials, settings=base.with_timeout(timeout))

    # --- the embed pipeline ----------------------------------------------------------

    def embed(
        self, inputs: Sequence[EmbedInput], *, kind: Kind, options: Mapping[str, Any]
    ) -> np.ndarray:
        self.check_inputs(inputs)
        resolved = self.resolve_options(kind, options)
        dims = self.expected_dimensions(resolved)
        if not inputs:
            return np.zeros((0, dims or 0), dtype=np.float32)
        key = self.api_key()
        items = list(inputs)
        dims = self.response_dimensions(resolved)
        # Captured here: worker threads do not see context vars.
        sink, check_interrupted = batch_sink.get(), interrupt_check.get()

        def run(batch: range) -> np.ndarray:
            if check_interrupted is not None:  # a killed statement sends no more batches
                check_interrupted()
            try:
                rows = self.request_batch(
                    [items[i] for i in batch], kind=kind, options=resolved, api_key=key
                )
            except EmbeddingProviderError as exc:
                # 413: the server's batch cap is below what we assumed (e.g. a TEI server
                # started with a small --max-client-batch-size): halve and go on.
                if exc.status == 413 and len(batch) > 1:
                    mid = len(batch) // 2
                    return np.concatenate([run(batch[:mid]), run(batch[mid:])])
                raise
            matrix = to_matrix(rows, count=len(batch), dims=dims, who=self.display_name)
            if sink is not None:
                sink([items[i] for i in batch], self.postprocess(matrix, resolved))
            return matrix

        parts = self.map_concurrently(run, plan_batches(items, self.limits))
        if len({p.shape[1] for p in parts}) > 1:
            raise EmbeddingResponseError(
                f"{self.display_name}: batches returned vectors of different sizes",
                provider=self.name,
            )
        return self.postprocess(np.concatenate(parts), resolved)

    # --- the request template --------------------------------------------------------

    def endpoint(self) -> str:
        """The API base completed with :attr:`endpoint_path`."""
        base = self.api_base()
        segments = self.endpoint_path.strip("/").split("/")
        if base.endswith("/" + segments[-1]):
            return base
        for cut in range(len(segments) - 1, 0, -1):
            if base.endswith("/" + "/".join(segments[:cut])):
                return base + "/" + "/".join(segments[cut:])
        return base + self.endpoint_path

    def takes_kind_option(self) -> bool:
        """Whether this model is sent :attr:`kind_option` (some of a provider's are not)."""
        return self.kind_option is not None

    def resolve_options(self, kind: Kind, options: Mapping[str, Any]) -> dict[str, Any]:
        resolved = super().resolve_options(kind, options)
        if self.kind_option is not None and self.takes_kind_option():
            resolved.setdefault(self.kind_option, self.kind_values[kind])
        return resolved

    def request_body(self, batch: list[EmbedInput], options: Mapping[str, Any]) -> dict[str, Any]:
        """The JSON body of one request."""
        body: dict[str, Any] = {**self.request_defaults, **options, "model": self.model}
        body.update(self.request_inputs(batch))
        return body

    def request_inputs(self, batch: list[EmbedInput]) -> dict[str, Any]:
        """The body field(s) carrying the inputs: the texts under :attr:`input_field`."""
        return {self.input_field: [str(item) for item in batch]}

    def request_headers(self, api_key: Secret | None) -> dict[str, str]:
        """The headers of one request."""
        return self.auth_headers(api_key)

    def parse_response(self, payload: Any, count: int) -> Sequence[Any]:
        """One vector-like row per input, in input order, from the decoded answer."""
        return parse_openai_embeddings(payload, count, self.display_name)

    def post_batch(
        self, batch: list[EmbedInput], options: Mapping[str, Any], api_key: Secret | None
    ) -> Any:
        """Send one batch's request; the decoded JSON answer."""
        body = self.request_body(batch, options)
        return self.post_json(
            self.endpoint(), body, headers=self.request_headers(api_key), secrets=[api_key]
        )

    def request_batch(
        self,
        batch: list[EmbedInput],
        *,
        kind: Kind,
        options: Mapping[str, Any],
        api_key: Secret | None,
    ) -> Sequence[Any]:
        """Send one request (within :attr:`limits`); return one vector-like row per input."""
        return self.parse_response(self.post_batch(batch, options, api_key), len(batch))

    def response_dimensions(self, resolved: Mapping[str, Any]) -> int | None:
        """The vector size each response row must have (before :meth:`postprocess`)."""
        return self.expected_dimensions(resolved)

    def postprocess(self, matrix: np.ndarray, options: Mapping[str, Any]) -> np.ndarray:
        """Hook for client-side work after all batches arrived (e.g. renormalising)."""
        return matrix

    def map_concurrently(self, fn: Callable[[range], R], batches: list[range]) -> list[R]:
        """Run ``fn`` over ``batches`` on up to ``max_concurrency`` threads, in order.

        The first failure cancels what has not started and is raised once the requests
        already in flight have finished: what they bring back is paid for, and the batch
        sink (the cache) keeps it for the retry.
        """
        if len(batches) <= 1:
            return [fn(b) for b in batches]
        workers = min(len(batches), max(1, self.settings.max_concurrency))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"embed-{self.name}")
        try:
            futures: list[Future[R]] = [pool.submit(fn, b) for b in batches]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            for fut in futures:
                if fut in done and fut.exception() is not None:
                    for other in futures:
                        other.cancel()
                    raise fut.exception()  # type: ignore[misc]
            return [fut.result() for fut in futures]
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
