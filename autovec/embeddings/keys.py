"""API keys and API bases: where they come from, and how they are kept out of sight.

Resolution order for a provider ``p`` (first non-empty wins):

1. an explicit value (``EmbeddingFunction(api_key=..., api_base=...)``);
2. the configured variables the SQL layer injects: ``TIDB_EXP_EMBED_<P>_API_KEY`` /
   ``TIDB_EXP_EMBED_<P>_API_BASE`` (names case-insensitive, ``''`` means unset, as in TiDB);
3. the same names in the process environment;
4. the provider's customary environment variables (``OPENAI_API_KEY``, ``HF_TOKEN``...).

Keys travel as :class:`Secret`, whose ``repr``/``str`` never show the value, so a key
cannot leak through a log line, an exception message or a traceback's locals.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "ENV_API_BASES",
    "ENV_API_KEYS",
    "KeyResolver",
    "ProviderCredentials",
    "RedactedHeaders",
    "Secret",
    "base_variable",
    "get_default_resolver",
    "key_variable",
    "redact",
    "set_default_resolver",
]

MASK = "******"

#: Customary environment variables per provider, tried after the TIDB_EXP_EMBED_* names.
ENV_API_KEYS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "jina_ai": ("JINA_API_KEY", "JINAAI_API_KEY"),
    "dashscope": ("DASHSCOPE_API_KEY",),
    "huggingface": ("HF_TOKEN", "HUGGINGFACE_API_KEY", "HUGGING_FACE_HUB_TOKEN"),
    "cohere": ("COHERE_API_KEY", "CO_API_KEY"),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "nvidia_nim": ("NVIDIA_API_KEY", "NVIDIA_NIM_API_KEY"),
    "tidbcloud_free": (),
}

ENV_API_BASES: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_BASE_URL", "OPENAI_API_BASE"),
    "huggingface": ("HF_INFERENCE_ENDPOINT",),
    "dashscope": ("DASHSCOPE_BASE_URL",),
    "cohere": ("CO_API_URL",),
}


def key_variable(provider: str) -> str:
    """The TiDB system variable holding ``provider``'s key."""
    return f"TIDB_EXP_EMBED_{provider.upper()}_API_KEY"


def base_variable(provider: str) -> str:
    """The TiDB-style system variable holding ``provider``'s API base URL."""
    return f"TIDB_EXP_EMBED_{provider.upper()}_API_BASE"


class Secret:
    """A string that does not print itself; call :meth:`reveal` at the point of use."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The real value: only for building a request header."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


_TOKEN_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"\b(sk-|hf_|jina_|nvapi-)[A-Za-z0-9_-]{8,}"),
    re.compile(r"\bAIza[0-9A-Za-z_-]{20,}"),
    re.compile(
        r"(?i)(\"(?:authorization|api[_-]?key|token|access[_-]?token|x-goog-api-key)\"\s*:\s*\")"
        r"[^\"]*"
    ),
)


def redact(text: str, secrets: Iterable[Secret | str | None] = ()) -> str:
    """Remove known key values and anything that looks like a key from ``text``."""
    for secret in secrets:
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if value and len(value) >= 4:
            text = text.replace(value, MASK)
    for pattern in _TOKEN_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
    return text


class RedactedHeaders(dict[str, str]):
    """Request headers whose ``repr`` hides credentials (safe in tracebacks with locals)."""

    SENSITIVE = frozenset({"authorization", "x-goog-api-key", "x-dashscope-apikey", "api-key"})

    def __repr__(self) -> str:
        shown = {k: (MASK if k.lower() in self.SENSITIVE else v) for k, v in self.items()}
        return f"RedactedHeaders({shown!r})"

    __str__ = __repr__


VariablesSource = Mapping[str, "str | None"] | Callable[[], Mapping[str, "str | None"]]


class KeyResolver:
    """Looks up keys and bases from injected variables, then the environment.

    ``variables`` may be a mapping or a zero-argument callable returning one; a callable
    is read on every lookup, so ``SET @@GLOBAL.TIDB_EXP_EMBED_OPENAI_API_KEY=...`` takes
    effect for embedding functions that already exist.
    """

    def __init__(
        self,
        variables: VariablesSource | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        use_environ: bool = True,
    ) -> None:
        self._variables = variables
        self._environ = environ
        self._use_environ = use_environ

    def __repr__(self) -> str:
        return f"KeyResolver(use_environ={self._use_environ})"

    def _vars(self) -> dict[str, str]:
        source = self._variables
        if source is None:
            return {}
        mapping = source() if callable(source) else source
        return {str(k).upper(): v for k, v in mapping.items() if isinstance(v, str) and v}

    def _env(self) -> Mapping[str, str]:
        if not self._use_environ:
            return {}
        return self._environ if self._environ is not None else os.environ

    def _lookup(self, variable: str, fallbacks: tuple[str, ...]) -> str | None:
        value = self._vars().get(variable.upper())
        if value:
            return value
        env = self._env()
        for name in (variable, *fallbacks):
            value = env.get(name)
            if value and value.strip():
                return value.strip()
        return None

    def api_key(self, provider: str) -> Secret | None:
        """The key for ``provider``, or None when none is configured."""
        value = self._lookup(key_variable(provider), ENV_API_KEYS.get(provider, ()))
        return Secret(value.strip()) if value else None

    def api_base(self, provider: str) -> str | None:
        """The API base URL override for ``provider``, or None for the provider default."""
        value = self._lookup(base_variable(provider), ENV_API_BASES.get(provider, ()))
        return value.strip() if value else None


@dataclass(frozen=True)
class ProviderCredentials:
    """What one provider instance uses to find its key and base, read at call time."""

    provider: str
    resolver: KeyResolver
    api_key_override: Secret | None = None
    api_base_override: str | None = None

    def api_key(self) -> Secret | None:
        """Explicit key first, then the resolver."""
        if self.api_key_override:
            return self.api_key_override
        return self.resolver.api_key(self.provider)

    def api_base(self) -> str | None:
        """Explicit base first, then the resolver."""
        if self.api_base_override and self.api_base_override.strip():
            return self.api_base_override.strip()
        return self.resolver.api_base(self.provider)

    @property
    def key_variable(self) -> str:
        """The variable a user sets to configure this provider's key."""
        return key_variable(self.provider)


_default_lock = threading.Lock()
_default_resolver = KeyResolver()


def get_default_resolver() -> KeyResolver:
    """The resolver used when none is passed (environment only until the SQL layer sets one)."""
    return _default_resolver


def set_default_resolver(resolver: KeyResolver) -> None:
    """Install the process-wide resolver (the embedded engine calls this once at start)."""
    global _default_resolver
    with _default_lock:
        _default_resolver = resolver
