"""Errors raised while turning inputs into vectors.

Every error is an :class:`EmbeddingError` carrying MySQL errno 1105 (``ER_UNKNOWN_ERROR``),
which is what TiDB reports for a failing ``EMBED_TEXT``; the SQL layer can surface
``errno``/``sqlstate`` unchanged. Message texts follow TiDB's own (``pkg/inference``), so
programs and users that grep for them keep working.

Messages never contain an API key: providers build them from redacted text only.
"""

from __future__ import annotations

__all__ = [
    "EmbeddingConfigError",
    "EmbeddingError",
    "EmbeddingProviderError",
    "EmbeddingResponseError",
    "InvalidDimensionsError",
    "InvalidModelNameError",
    "InvalidOptionsError",
    "MissingAPIKeyError",
    "ModelNotAvailableError",
    "RetryableError",
    "UnauthorizedError",
    "UnknownDimensionsError",
    "UnknownProviderError",
    "UnsupportedInputError",
    "missing_key_message",
    "unauthorized_message",
]


def _set_global(variable: str) -> str:
    return f"SET @@GLOBAL.{variable}='<API_KEY>'"


def missing_key_message(display_name: str, variable: str) -> str:
    """TiDB's text for a provider whose key is not configured."""
    return (
        f"{display_name} API key is not configured, to configure the API key: "
        f"{_set_global(variable)}"
    )


def unauthorized_message(display_name: str, variable: str) -> str:
    """TiDB's text for a provider that rejected the configured key (HTTP 401)."""
    return (
        f"{display_name} returns status unauthorized, check your API key. "
        f"To reconfigure a new API key: {_set_global(variable)}"
    )


class EmbeddingError(Exception):
    """Base class: embedding failed; the statement that needed it must fail."""

    errno: int = 1105
    sqlstate: str = "HY000"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# --- configuration: the user must change something before retrying -----------------


class EmbeddingConfigError(EmbeddingError):
    """The model name, options, dimensions or credentials are wrong or missing."""


class InvalidModelNameError(EmbeddingConfigError):
    """The name is not ``provider/model``."""

    def __init__(self, name: str) -> None:
        super().__init__(f"model name must be in format 'provider/model', got: {name}")
        self.name = name


class UnknownProviderError(EmbeddingConfigError):
    """The part before the first ``/`` names no registered provider."""

    def __init__(self, provider: str, available: list[str], *, kind: str = "embedding") -> None:
        # ``kind`` names the registry ("reranker" for autovec.rerankers); the text is TiDB's.
        super().__init__(
            f"unknown {kind} provider '{provider}', available providers: " + ", ".join(available)
        )
        self.provider = provider
        self.available = available


class UnknownDimensionsError(EmbeddingConfigError):
    """The model is not in the catalog and the caller gave no dimensions."""

    def __init__(self, model_name: str) -> None:
        super().__init__(
            f"Unknown dimensions for model {model_name}, please specify dimensions parameter."
        )
        self.model_name = model_name


class InvalidDimensionsError(EmbeddingConfigError):
    """The model cannot produce vectors of the requested size."""


class InvalidOptionsError(EmbeddingConfigError):
    """The ``EMBED_TEXT`` options are not a valid JSON object (or break the DDL rules)."""


class MissingAPIKeyError(EmbeddingConfigError):
    """The provider needs a key and none is configured."""

    def __init__(self, display_name: str, variable: str) -> None:
        super().__init__(missing_key_message(display_name, variable))
        self.variable = variable


class ModelNotAvailableError(EmbeddingConfigError):
    """A local model's weights (or the libraries to run them) are not on this machine."""


class UnsupportedInputError(EmbeddingConfigError):
    """The input cannot be embedded by this model (e.g. an image for a text-only model)."""


# --- the provider answered with an error ---------------------------------------------


class EmbeddingProviderError(EmbeddingError):
    """The provider rejected the request or failed; ``status`` is the HTTP status if any."""

    def __init__(self, message: str, *, provider: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status


class UnauthorizedError(EmbeddingProviderError):
    """The provider rejected the key (401/403); retrying cannot help."""


class EmbeddingResponseError(EmbeddingProviderError):
    """The provider answered 200 with something unusable (bad JSON, wrong count or size)."""


class RetryableError(EmbeddingProviderError):
    """A transient failure (429, 5xx, timeout, connection error).

    Raised to the caller only after the retry budget is spent; ``retry_after`` is the
    server's hint in seconds, when it gave one.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, provider=provider, status=status)
        self.retry_after = retry_after
