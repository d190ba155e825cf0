"""``EmbeddingFunction``: the one object callers use to turn inputs into vectors.

It has pytidb's constructor and methods (``embed_query``, ``embed_documents``,
``get_query_embedding``...) for the SDK, and a plain :meth:`EmbeddingFunction.embed`
for the SQL layer, which passes a column's raw ``EMBED_TEXT`` options and whether it is
writing rows (``kind="document"``) or answering ``VEC_EMBED_*`` (``kind="query"``):

* ``@search`` keys are applied (queries) or dropped (rows);
* the cache is consulted with the *effective* request as key, and duplicates within a
  call are embedded once;
* misses go to the provider, which batches, retries and runs requests concurrently;
* the result is float32 ``(n, d)``, checked against the declared ``dimensions``.

Creating one is cheap and offline: no request is made and no model is loaded until
the first ``embed``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from autovec.embeddings.base import (
    EmbeddingProvider,
    ModelRef,
    batch_sink,
    model_cache_dir,
    parse_model_name,
)
from autovec.embeddings.cache import EmbeddingCache, LRUEmbeddingCache, NullCache
from autovec.embeddings.catalog import ModelSpec, check_dimensions, lookup
from autovec.embeddings.errors import (
    EmbeddingResponseError,
    InvalidDimensionsError,
    UnknownDimensionsError,
    UnsupportedInputError,
)
from autovec.embeddings.inputs import EmbedInput, ImageInput, as_image, cache_text
from autovec.embeddings.inputs import is_image_reference as _is_image_reference
from autovec.embeddings.keys import (
    KeyResolver,
    ProviderCredentials,
    Secret,
    get_default_resolver,
)
from autovec.embeddings.options import (
    Kind,
    OptionsInput,
    canonical_json,
    options_for,
    parse_options,
    validate_options,
)
from autovec.embeddings.providers import provider_class, provider_names

if TYPE_CHECKING:
    import numpy as np

    from autovec.embeddings.image_fetch import ImageFetchPolicy

__all__ = [
    "MODEL_ALIASES",
    "PROVIDER_POOL_SIZE",
    "EmbeddingFunction",
    "VectorFieldSpec",
    "check_column",
    "get_default_cache",
    "normalize_model_name",
    "set_default_cache",
]

#: Bare names pytidb accepts as OpenAI models.
MODEL_ALIASES = {
    "text-embedding-3-small": "openai/text-embedding-3-small",
    "text-embedding-3-large": "openai/text-embedding-3-large",
    "text-embedding-ada-002": "openai/text-embedding-ada-002",
}

_default_cache: EmbeddingCache = LRUEmbeddingCache()
_cache_lock = threading.Lock()


def get_default_cache() -> EmbeddingCache:
    """The process-wide cache used when none is passed (in-memory LRU by default)."""
    return _default_cache


def set_default_cache(cache: EmbeddingCache) -> None:
    """Install a process-wide cache (e.g. the storage layer's persistent one)."""
    global _default_cache
    with _cache_lock:
        _default_cache = cache


def normalize_model_name(model_name: str) -> str:
    """Apply pytidb's aliases (``text-embedding-3-small`` → ``openai/...``)."""
    name = model_name.strip() if isinstance(model_name, str) else model_name
    return MODEL_ALIASES.get(name, name)


# Provider instances own HTTP connection pools and concurrency limits, so functions with
# the same configuration share one (the SQL layer may build a function per statement).
#: How many provider instances are kept; the least recently looked up is closed beyond it.
PROVIDER_POOL_SIZE = 256
_providers: OrderedDict[tuple[Any, ...], EmbeddingProvider] = OrderedDict()
_providers_lock = threading.Lock()


def _shared_provider(
    ref: ModelRef,
    spec: ModelSpec | None,
    credentials: ProviderCredentials,
    timeout: float | None,
    settings: Any,
) -> EmbeddingProvider:
    key = (
        ref.provider,
        ref.model,
        credentials.resolver,
        credentials.api_key_override,
        credentials.api_base_override,
        timeout,
        settings,
    )
    evicted: list[EmbeddingProvider] = []
    with _providers_lock:
        provider = _providers.get(key)
        if provider is None:
            cls = provider_class(ref.provider)
            provider = cls.from_config(
                ref.model, spec=spec, credentials=credentials, timeout=timeout, settings=settings
            )
            _providers[key] = provider
            while len(_providers) > PROVIDER_POOL_SIZE:
                evicted.append(_providers.popitem(last=False)[1])
        else:
            _providers.move_to_end(key)
    # Outside the lock: closing waits on sockets. A function still holding an evicted
    # instance keeps working (the instance opens a new client on its next request).
    for old in evicted:
        old.close()
    return provider


class EmbeddingFunction:
    """A model plus its settings: ``EmbeddingFunction("openai/text-embedding-3-small")``.

    ``**options`` are default ``EMBED_TEXT`` options for every call (``@search`` keys
    included). ``keys`` injects configured variables (else the process default, i.e. the
    environment); ``cache`` replaces the shared in-memory cache; ``http_settings`` (an
    :class:`autovec.embeddings.http.HttpSettings`) tunes retries and concurrency;
    ``model_cache`` is where local models' ONNX exports are kept; ``image_fetch_policy``
    how image URLs are fetched for a local model (which is given image data only).
    """

    def __init__(
        self,
        model_name: str,
        dimensions: int | None = None,
        api_key: str | None = None,
        api_base: str | None = None,
        timeout: float | None = None,
        caching: bool = True,
        multimodal: bool = False,
        *,
        use_server: bool | None = None,
        additional_json_options: Mapping[str, Any] | None = None,
        keys: KeyResolver | None = None,
        cache: EmbeddingCache | None = None,
        http_settings: Any = None,
        model_cache: Path | None = None,
        image_fetch_policy: ImageFetchPolicy | None = None,
        **options: Any,
    ) -> None:
        self.model_name = normalize_model_name(model_name)
        self.ref = parse_model_name(self.model_name, provider_names())
        self.provider_name = self.ref.provider
        self.model = self.ref.model
        self.spec: ModelSpec | None = lookup(self.ref.provider, self.ref.model)
        if dimensions is not None:
            if isinstance(dimensions, bool) or not isinstance(dimensions, int) or dimensions <= 0:
                raise InvalidDimensionsError(
                    f"dimensions must be a positive integer, got: {dimensions!r}"
                )
            if self.spec is not None:
                check_dimensions(self.spec, dimensions, model_name=self.model_name)
        self._dimensions = dimensions
        self._api_key = Secret(api_key) if api_key else None
        self.api_base = api_base
        self.timeout = timeout
        self.caching = caching
        self.multimodal = multimodal
        self.use_server = (not multimodal) if use_server is None else use_server
        #: ``use_server`` as the caller gave it (None: the SDK decides; see server_images).
        self.use_server_requested = use_server
        self.options: dict[str, Any] = {**parse_options(additional_json_options), **options}
        self._keys = keys
        self._cache = cache
        self._http_settings = http_settings
        #: Where local models' ONNX exports are cached (None: $AUTOVEC_MODEL_CACHE or
        #: ~/.cache/autovec/models-cache).
        self.model_cache = model_cache
        #: How image URLs are fetched for a provider that takes only image data (a local
        #: model); None: the safe defaults (public http(s) hosts only).
        self.image_fetch_policy = image_fetch_policy
        self._provider: EmbeddingProvider | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        parts = [f"model_name={self.model_name!r}"]
        if self._dimensions is not None:
            parts.append(f"dimensions={self._dimensions}")
        if self._api_key is not None:
            parts.append("api_key='******'")
        if self.api_base:
            parts.append(f"api_base={self.api_base!r}")
        return f"EmbeddingFunction({', '.join(parts)})"

    # --- what the function is --------------------------------------------------------

    @property
    def provider(self) -> EmbeddingProvider:
        """The provider instance serving this model (created on first use)."""
        with self._lock:
            if self._provider is None:
                credentials = ProviderCredentials(
                    self.ref.provider,
                    self._keys or get_default_resolver(),
                    self._api_key,
                    self.api_base,
                )
                self._provider = _shared_provider(
                    self.ref, self.spec, credentials, self.timeout, self._http_settings
                )
            return self._provider

    @property
    def server_images(self) -> bool:
        """Whether a database that can (autovec's ``EMBED_IMAGE``) may embed this function's
        image fields. pytidb embeds images client-side only; autovec's database does it
        itself unless told not to (``use_server=False``) or the function carries its own
        key or API base, which the database would not have."""
        if self.use_server_requested is not None:
            return self.use_server_requested
        return self._api_key is None and self.api_base is None

    @property
    def cache(self) -> EmbeddingCache:
        """Where vectors are cached (a no-op cache when ``caching=False``)."""
        if not self.caching:
            return NullCache()
        return self._cache if self._cache is not None else get_default_cache()

    @property
    def known_dimensions(self) -> int | None:
        """The output size if known without any request: declared, else the catalog's."""
        if self._dimensions is not None:
            return self._dimensions
        return self.spec.dimensions if self.spec is not None else None

    @property
    def dimensions(self) -> int:
        """The output size; ``UnknownDimensionsError`` for an uncatalogued model without one.

        A local model not in the catalog is loaded to find out (no network involved).
        """
        known = self.known_dimensions
        if known is not None:
            return known
        native = getattr(self.provider, "native_dimensions", None)
        if callable(native):
            return int(native())
        raise UnknownDimensionsError(self.model_name)

    def output_dimensions(self, options: OptionsInput = None) -> int | None:
        """The size ``EMBED_TEXT(model, x, options)`` will produce, when known offline."""
        provider = self.provider
        resolved = provider.resolve_options("document", self._options("document", options))
        return provider.expected_dimensions(resolved) or self._dimensions

    def sql_options(self) -> dict[str, Any]:
        """Default ``EMBED_TEXT`` JSON options for server-side use (what pytidb adds)."""
        out = dict(self.options)
        dims = self._dimensions
        option = self.provider.dimensions_option
        spec = self.spec
        if (
            dims is not None
            and option
            and spec is not None
            and spec.resizable
            and dims != spec.dimensions
        ):
            out.setdefault(option, dims)
        if self.provider_name == "tidbcloud_free" and self.model.startswith("cohere/"):
            out.setdefault("input_type", "search_document")
            out.setdefault("input_type@search", "search_query")
        return out

    # --- embedding -------------------------------------------------------------------

    def _options(self, kind: Kind, options: OptionsInput) -> dict[str, Any]:
        merged = options_for(kind, self.sql_options())
        merged.update(options_for(kind, options))
        return merged

    def embed(
        self,
        inputs: Sequence[EmbedInput],
        kind: Kind = "document",
        options: OptionsInput = None,
    ) -> np.ndarray:
        """Embed a batch: float32 ``(len(inputs), d)``, row ``i`` for ``inputs[i]``.

        ``options`` are raw ``EMBED_TEXT`` options (JSON text, dict or None); ``kind``
        selects the ``@search`` side. Fails as a whole: either every row has a vector
        or an :class:`~autovec.embeddings.errors.EmbeddingError` is raised.
        """
        import numpy as np

        if kind not in ("document", "query"):
            raise ValueError(f"kind must be 'document' or 'query', got {kind!r}")
        provider = self.provider
        opts = self._options(kind, options)
        for item in inputs:
            if not isinstance(item, (str, ImageInput)):
                raise UnsupportedInputError(
                    f"embedding input must be str or ImageInput, got {type(item).__name__}"
                )
        resolved = provider.resolve_options(kind, opts)
        if not inputs:
            return np.zeros((0, self.known_dimensions or 0), dtype=np.float32)
        options_key = canonical_json(resolved)
        # Embed each distinct input once.
        slot_of: dict[str, int] = {}
        unique: list[EmbedInput] = []
        rows: list[int] = []
        for item in inputs:
            text = cache_text(item)
            slot = slot_of.get(text)
            if slot is None:
                slot = slot_of[text] = len(unique)
                unique.append(item)
            rows.append(slot)
        texts = [cache_text(item) for item in unique]
        cache = self.cache
        vectors: list[np.ndarray | None] = list(cache.get_many(self.model_name, options_key, texts))
        missing = [i for i, vec in enumerate(vectors) if vec is None]
        if missing:
            kept: set[str] = set()  # inputs a batch already put in the cache

            def keep(batch: Sequence[EmbedInput], vectors: np.ndarray) -> None:
                batch_texts = [cache_text(x) for x in batch]
                cache.put_many(self.model_name, options_key, batch_texts, list(vectors))
                kept.update(batch_texts)

            token = batch_sink.set(keep)
            cache_token = model_cache_dir.set(self.model_cache)
            try:
                fresh = provider.embed([unique[i] for i in missing], kind=kind, options=opts)
            finally:
                model_cache_dir.reset(cache_token)
                batch_sink.reset(token)
            if fresh.shape[0] != len(missing):
                raise EmbeddingResponseError(
                    f"{provider.display_name}: got {fresh.shape[0]} vectors for "
                    f"{len(missing)} inputs"
                )
            self._check_size(fresh.shape[1])
            unkept = [j for j, i in enumerate(missing) if texts[i] not in kept]
            if unkept:  # providers that do not hand batches over (local models)
                cache.put_many(
                    self.model_name,
                    options_key,
                    [texts[missing[j]] for j in unkept],
                    [fresh[j] for j in unkept],
                )
            for i, vec in zip(missing, fresh, strict=True):
                vectors[i] = vec
        done = [vec for vec in vectors if vec is not None]
        sizes = {vec.shape[0] for vec in done}
        if len(done) != len(vectors) or len(sizes) != 1:
            raise EmbeddingResponseError(
                f"{self.model_name}: cached and new vectors differ in size {sorted(sizes)}"
            )
        matrix = np.stack([done[slot] for slot in rows]).astype(np.float32, copy=False)
        self._check_size(matrix.shape[1])
        return np.ascontiguousarray(matrix)

    def _check_size(self, size: int) -> None:
        declared = self._dimensions
        if declared is not None and size != declared:
            raise EmbeddingResponseError(
                f"{self.model_name} returned {size}-dimensional vectors, but the function "
                f"declares dimensions={declared}"
            )

    def embed_documents(self, texts: Sequence[Any]) -> np.ndarray:
        """Vectors for stored content: float32 ``(n, d)``."""
        return self.embed([self._to_input(t, "document") for t in texts], "document")

    def embed_query(self, query: Any) -> np.ndarray:
        """The vector for one query: float32 ``(d,)``."""
        return self.embed([self._to_input(query, "query")], "query")[0]

    def _to_input(self, value: Any, kind: Kind, source_type: str | None = None) -> EmbedInput:
        if source_type not in (None, "text", "image"):
            raise ValueError(f"invalid source type: {source_type}")
        if source_type == "text" or (source_type is None and not self.multimodal):
            if isinstance(value, str):
                return value
            raise UnsupportedInputError(
                f"expected text, got {type(value).__name__} (is the function multimodal?)"
            )
        # An image, or (on the query side) keywords to search images with.
        if (
            isinstance(value, str)
            and not _is_image_reference(value)
            and (kind == "query" or source_type is None)
        ):
            return value
        image = as_image(value)
        if image.is_url and not self.provider.accepts_image_urls:
            return self._fetched(image)
        return image

    def _fetched(self, image: ImageInput) -> ImageInput:
        """A URL image the provider cannot fetch (a local model), fetched here as data.

        Fetched as the database fetches (public hosts only, size, time and redirect
        limits, magic bytes) under ``image_fetch_policy``: an SDK may be handed URLs
        by its own users.
        """
        # Lazy: httpx is loaded only by a function that fetches an image.
        from autovec.embeddings.image_fetch import ImageFetchPolicy, load_image

        policy = self.image_fetch_policy or ImageFetchPolicy()
        return load_image(image.uri, policy).as_input()

    # --- pytidb's method names -------------------------------------------------------

    def get_query_embedding(
        self, query: Any, source_type: str | None = "text", **kwargs: Any
    ) -> list[float]:
        """pytidb: one query vector as a list."""
        item = self._to_input(query, "query", source_type)
        return [float(x) for x in self.embed([item], "query", kwargs or None)[0]]

    def get_source_embedding(
        self, source: Any, source_type: str | None = "text", **kwargs: Any
    ) -> list[float]:
        """pytidb: one stored-value vector as a list."""
        return self.get_source_embeddings([source], source_type, **kwargs)[0]

    def get_source_embeddings(
        self, sources: Sequence[Any], source_type: str | None = "text", **kwargs: Any
    ) -> list[list[float]]:
        """pytidb: stored-value vectors as lists."""
        items = [self._to_input(s, "document", source_type) for s in sources]
        return self.embed(items, "document", kwargs or None).tolist()  # type: ignore[no-any-return]

    def __call__(self, inputs: Sequence[Any]) -> np.ndarray:
        """Same as :meth:`embed_documents`."""
        return self.embed_documents(inputs)

    def VectorField(
        self,
        source_field: str | None = None,
        source_type: Literal["text", "image"] | None = None,
        *,
        distance_metric: str = "COSINE",
        index: bool | None = None,
        **field_kwargs: Any,
    ) -> Any:
        """pytidb: a vector field embedded by this function from ``source_field``.

        ``source_type`` defaults to ``"image"`` for a multimodal function (seed 003 declares
        its image column without it) and to ``"text"`` otherwise.

        Returns a :class:`VectorFieldSpec`, which
        ``autovec.schema.TableModel`` turns into a real ``VECTOR`` field when the class
        is created (typed ``Any`` so that ``embedding: list[float] = fn.VectorField(...)``
        type-checks, as with pytidb).
        """
        if source_type is None:
            source_type = "image" if self.multimodal else "text"
        if source_type not in ("text", "image"):
            raise ValueError(f"invalid source type: {source_type}")
        metric = getattr(distance_metric, "value", distance_metric)
        return VectorFieldSpec(
            embed_fn=self,
            source_field=source_field,
            source_type=source_type,
            distance_metric=str(metric).upper(),
            index=index,
            field_kwargs=dict(field_kwargs),
        )


def check_column(
    model_name: str,
    options: OptionsInput = None,
    dimensions: int | None = None,
) -> EmbeddingFunction:
    """DDL-time validation of ``VECTOR(D) GENERATED ALWAYS AS (EMBED_TEXT(m, c, opts))``.

    Checks the model name, TiDB's options rules (JSON object, no duplicate/empty keys,
    no ``k@search@search``), and, for catalogued models, that the model's output size
    with these options equals ``D``. Offline. Returns a function for the column.
    """
    opts = validate_options(options)
    fn = EmbeddingFunction(model_name)
    kinds: tuple[Kind, ...] = ("document", "query")
    for kind in kinds:
        fn.provider.resolve_options(kind, options_for(kind, opts))
    produced = fn.output_dimensions(opts)
    if dimensions is not None and produced is not None and produced != dimensions:
        raise InvalidDimensionsError(
            f"model {fn.model_name} produces {produced}-dimensional vectors, "
            f"which do not fit VECTOR({dimensions})"
        )
    return fn


# ``EmbeddingFunction.VectorField(...)``'s result. The embeddings layer sits below the SDK
# and must not import SQLModel or SQLAlchemy, so the method cannot build a model field; it
# returns this plain description, which ``autovec.schema.TableModel``'s metaclass turns
# into a VECTOR field (generated by EMBED_TEXT when the function is server-side).
@dataclass(frozen=True)
class VectorFieldSpec:
    """A vector field embedded by ``embed_fn`` from ``source_field``.

    ``distance_metric`` is a metric name (``"COSINE"``/``"L2"``); ``index=None`` means
    pytidb's default (an index for the indexable metrics). ``field_kwargs`` are passed on
    to the model field (``description=...``, ``sa_column=...``...).
    """

    embed_fn: EmbeddingFunction
    source_field: str | None = None
    source_type: Literal["text", "image"] = "text"
    distance_metric: str = "COSINE"
    index: bool | None = None
    field_kwargs: Mapping[str, Any] = field(default_factory=dict)
