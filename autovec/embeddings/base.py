"""The provider interface, model-name parsing, and the checks every provider shares.

A provider turns a list of inputs into a float32 matrix of shape ``(n, d)``. It knows
its own wire format and limits; everything else (caching, ``@search`` options, keys)
is done once, above it, in :mod:`autovec.embeddings.function`.

numpy is imported inside functions so that ``import autovec.embeddings`` stays cheap.
"""

from __future__ import annotations

import base64
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from autovec.embeddings.catalog import ModelSpec, check_dimensions
from autovec.embeddings.errors import (
    EmbeddingResponseError,
    InvalidDimensionsError,
    InvalidModelNameError,
    UnknownProviderError,
    UnsupportedInputError,
)
from autovec.embeddings.inputs import EmbedInput, ImageInput
from autovec.embeddings.keys import KeyResolver, ProviderCredentials, get_default_resolver
from autovec.embeddings.options import Kind

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "BatchLimits",
    "EmbeddingProvider",
    "Kind",
    "ModelRef",
    "decode_base64_f32",
    "estimate_tokens",
    "interrupt_check",
    "normalize_rows",
    "parse_model_name",
    "split_model_name",
    "to_matrix",
]


@dataclass(frozen=True)
class ModelRef:
    """A parsed ``provider/model`` name."""

    provider: str
    model: str

    @property
    def full_name(self) -> str:
        """``provider/model`` with the provider normalised."""
        return f"{self.provider}/{self.model}"


def split_model_name(name: str) -> ModelRef:
    """Split at the first ``/``: provider trimmed and lower-cased, model kept as written."""
    if not isinstance(name, str) or "/" not in name:
        raise InvalidModelNameError(str(name))
    provider, model = name.split("/", 1)
    provider, model = provider.strip().lower(), model.strip()
    if not provider or not model:
        raise InvalidModelNameError(name)
    return ModelRef(provider, model)


def parse_model_name(name: str, available: Collection[str]) -> ModelRef:
    """:func:`split_model_name`, then check the provider is one of ``available``."""
    ref = split_model_name(name)
    if ref.provider not in available:
        raise UnknownProviderError(ref.provider, sorted(available))
    return ref


@dataclass(frozen=True)
class BatchLimits:
    """How much one request to the provider may carry."""

    max_batch_size: int = 32
    max_batch_tokens: int | None = None
    max_input_tokens: int | None = None


def estimate_tokens(item: EmbedInput) -> int:
    """A deliberately high token estimate (UTF-8 bytes / 3) for batch planning.

    Remote tokenizers are not available offline; over-estimating only makes batches
    smaller, while under-estimating would make the provider answer 400.
    """
    if isinstance(item, ImageInput):
        return 1024
    return len(item.encode("utf-8")) // 3 + 1


#: Set by :class:`~autovec.embeddings.function.EmbeddingFunction` around a provider call:
#: remote providers hand each batch to it as soon as it arrives, so the vectors of a call
#: that fails later (one batch out of many) are already cached and not paid for again.
batch_sink: ContextVar[Callable[[Sequence[Any], np.ndarray], None] | None] = ContextVar(
    "batch_sink", default=None
)

#: Set by :class:`~autovec.embeddings.function.EmbeddingFunction` around a provider call:
#: where local models keep their ONNX exports (the data directory's model cache); None
#: means the user-wide default. Providers are shared between data directories, so the
#: directory travels with the call, not with the provider.
model_cache_dir: ContextVar[Path | None] = ContextVar("model_cache_dir", default=None)

#: Set by the database around a statement's embedding call: raises (the statement's own
#: error) once the statement is killed. A long call checks it between its chunks, so it
#: can be given a whole statement's inputs and still stop within one chunk of a KILL.
interrupt_check: ContextVar[Callable[[], None] | None] = ContextVar("interrupt_check", default=None)


class EmbeddingProvider(ABC):
    """One provider (OpenAI, Jina, a local model...) serving one model."""

    #: Registry id: the part before the ``/`` in ``provider/model``.
    name: ClassVar[str] = ""
    #: How the provider is named in messages (TiDB's spelling: "OpenAI", "JinaAI"...).
    display_name: ClassVar[str] = ""
    #: The option key that asks for a given output size, or None when there is none.
    dimensions_option: ClassVar[str | None] = "dimensions"
    #: Default inputs per request when the catalog does not say.
    default_batch_size: ClassVar[int] = 32
    #: The largest image (bytes) one input may be, when the provider documents a limit;
    #: the database refuses a larger one before sending it (``EMBED_IMAGE``).
    max_image_bytes: ClassVar[int | None] = None

    def __init__(
        self,
        model: str,
        *,
        spec: ModelSpec | None = None,
        credentials: ProviderCredentials | None = None,
    ) -> None:
        self.spec = spec
        # Send the canonical name when the user wrote an alias (e.g. jina-embedding-v4).
        self.model = spec.name if spec is not None and spec.provider == self.name else model
        self.requested_model = model
        self.credentials = credentials or ProviderCredentials(self.name, get_default_resolver())

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
        """Build an instance from what :class:`EmbeddingFunction` knows.

        ``timeout``/``settings`` matter only to remote providers, which override this.
        """
        return cls(model, spec=spec, credentials=credentials)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r})"

    @property
    def full_name(self) -> str:
        """``provider/model``."""
        return f"{self.name}/{self.requested_model}"

    @property
    def multimodal(self) -> bool:
        """Whether this model accepts image inputs."""
        return bool(self.spec and self.spec.multimodal)

    @property
    def accepts_image_urls(self) -> bool:
        """Whether an image URL may be handed over as is (the provider fetches it).

        When not, the SDK fetches it first and passes the image as a ``data:`` URI.
        """
        return True

    @property
    def limits(self) -> BatchLimits:
        """Per-request limits, from the catalog when the model is known."""
        spec = self.spec
        return BatchLimits(
            max_batch_size=(spec.max_batch_size if spec and spec.max_batch_size else None)
            or self.default_batch_size,
            max_batch_tokens=spec.max_batch_tokens if spec else None,
            max_input_tokens=spec.max_input_tokens if spec else None,
        )

    # --- options -------------------------------------------------------------------

    def requested_dimensions(self, options: Mapping[str, Any]) -> int | None:
        """The output size the options ask for, if any."""
        key = self.dimensions_option
        if key is None or key not in options or options[key] is None:
            return None
        value = options[key]
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise InvalidDimensionsError(
                f"option '{key}' must be a positive integer, got: {value!r}"
            )
        return value

    def resolve_options(self, kind: Kind, options: Mapping[str, Any]) -> dict[str, Any]:
        """The options this provider will actually apply for ``kind``.

        Pure and cheap: its canonical JSON is the cache key, so two calls that would send
        the same request resolve to the same dict. Subclasses add query/document
        defaults (task, input_type, prompts) without overriding explicit options.
        """
        resolved = dict(options)
        dims = self.requested_dimensions(resolved)
        if dims is not None and self.spec is not None:
            check_dimensions(self.spec, dims, model_name=self.full_name)
            if not self.spec.resizable and dims == self.spec.dimensions:
                # Asking a fixed-size model for its own size is a no-op; some APIs
                # (ada-002) answer 400 if sent it, so do not send it.
                resolved.pop(self.dimensions_option or "", None)
        return resolved

    def expected_dimensions(self, resolved: Mapping[str, Any]) -> int | None:
        """The vector size a response must have, when it is known in advance."""
        dims = self.requested_dimensions(resolved)
        if dims is not None:
            return dims
        return self.spec.dimensions if self.spec is not None else None

    def check_inputs(self, inputs: Sequence[EmbedInput]) -> None:
        """Reject inputs the model cannot take, before any request is made."""
        for item in inputs:
            if isinstance(item, ImageInput):
                if not self.multimodal:
                    raise UnsupportedInputError(
                        f"model {self.full_name} does not accept image input"
                    )
            elif not isinstance(item, str):
                raise UnsupportedInputError(
                    f"embedding input must be text or an image, got {type(item).__name__}"
                )

    # --- the one method that matters ------------------------------------------------

    @abstractmethod
    def embed(
        self, inputs: Sequence[EmbedInput], *, kind: Kind, options: Mapping[str, Any]
    ) -> np.ndarray:
        """Embed ``inputs``; returns float32 of shape ``(len(inputs), d)``.

        ``options`` are the caller's (already ``@search``-resolved) options; the provider
        applies :meth:`resolve_options` itself. Splitting into requests within
        :attr:`limits` is the provider's job; callers may pass any number of inputs.
        """

    def close(self) -> None:
        """Release connections or models held by this instance."""
        return None


def default_credentials(provider: str, resolver: KeyResolver | None = None) -> ProviderCredentials:
    """Credentials read from ``resolver`` (or the process default)."""
    return ProviderCredentials(provider, resolver or get_default_resolver())


# --- array helpers -------------------------------------------------------------------


def decode_base64_f32(data: str) -> np.ndarray:
    """Decode base64 of little-endian float32 bytes (OpenAI's ``encoding_format: base64``)."""
    import numpy as np

    try:
        raw = base64.b64decode(data, validate=True)
    except (ValueError, TypeError):
        raise EmbeddingResponseError("invalid base64 embedding in response") from None
    if len(raw) % 4:
        raise EmbeddingResponseError("invalid embedding data: length is not a multiple of 4")
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


def to_matrix(
    rows: Sequence[Any],
    *,
    count: int,
    dims: int | None,
    who: str,
) -> np.ndarray:
    """Stack provider rows into ``(count, d)`` float32, checking count, shape and values."""
    import numpy as np

    if len(rows) != count:
        raise EmbeddingResponseError(
            f"{who}: response has {len(rows)} embeddings for {count} inputs", provider=who
        )
    if count == 0:
        return np.zeros((0, dims or 0), dtype=np.float32)
    try:
        arrays = [np.asarray(r, dtype=np.float32).reshape(-1) for r in rows]
    except (TypeError, ValueError):
        raise EmbeddingResponseError(
            f"{who}: response embeddings are not numeric", provider=who
        ) from None
    sizes = {a.shape[0] for a in arrays}
    if len(sizes) != 1:
        raise EmbeddingResponseError(
            f"{who}: response embeddings have different sizes {sorted(sizes)}", provider=who
        )
    size = sizes.pop()
    if dims is not None and size != dims:
        raise EmbeddingResponseError(
            f"{who}: returned {size}-dimensional vectors, expected {dims}", provider=who
        )
    if size == 0:
        raise EmbeddingResponseError(f"{who}: response embeddings are empty", provider=who)
    matrix = np.ascontiguousarray(np.stack(arrays))
    if not np.isfinite(matrix).all():
        raise EmbeddingResponseError(f"{who}: response embeddings contain NaN or Inf")
    return matrix


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """Scale each row to unit L2 length (zero rows stay zero)."""
    import numpy as np

    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray((matrix / norms).astype(np.float32))


def truncate_dimensions(matrix: np.ndarray, dims: int) -> np.ndarray:
    """Matryoshka truncation: keep the first ``dims`` values, then renormalise."""
    if dims >= matrix.shape[1]:
        return matrix
    return normalize_rows(matrix[:, :dims])
