"""``EMBED_TEXT`` options: parsing, DDL validation and the ``key@search`` rule.

TiDB semantics (reference/tidb-sql.md §4):

* the options must be a JSON object, else ``EMBED_TEXT expects options in JSON format``;
  SQL NULL or ``''`` means "no options";
* a key ending in ``@search`` applies only to queries: it is dropped when rows are
  written, and in ``VEC_EMBED_*`` it replaces the plain key;
* DDL rejects duplicate keys, empty keys and ``k@search@search``;
* every other key is passed unchanged to the provider.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from autovec.embeddings.errors import InvalidOptionsError

__all__ = [
    "SEARCH_SUFFIX",
    "Kind",
    "canonical_json",
    "options_for",
    "parse_options",
    "search_options",
    "validate_options",
    "write_options",
]

Kind = Literal["document", "query"]

SEARCH_SUFFIX = "@search"
_NOT_JSON = "EMBED_TEXT expects options in JSON format"

OptionsInput = str | bytes | Mapping[str, Any] | None


def _load(raw: str | bytes, *, strict: bool) -> dict[str, Any]:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if strict and key in out:
                raise InvalidOptionsError(f"EMBED_TEXT options contain duplicate key '{key}'")
            out[key] = value
        return out

    try:
        value = json.loads(raw, object_pairs_hook=pairs)
    except (ValueError, UnicodeDecodeError):
        raise InvalidOptionsError(_NOT_JSON) from None
    if not isinstance(value, dict):
        raise InvalidOptionsError(_NOT_JSON)
    return value


def parse_options(raw: OptionsInput) -> dict[str, Any]:
    """Options as a dict; run-time parsing (last duplicate wins, as JSON decoders do)."""
    if raw is None:
        return {}
    if isinstance(raw, Mapping):
        return dict(raw)
    if isinstance(raw, (bytes, bytearray)):
        raw = bytes(raw)
        if not raw.strip():
            return {}
        return _load(raw, strict=False)
    if not raw.strip():
        return {}
    return _load(raw, strict=False)


def validate_options(raw: OptionsInput) -> dict[str, Any]:
    """DDL-time check: a JSON object without duplicate, empty or doubly-suffixed keys."""
    if raw is None:
        return {}
    if isinstance(raw, Mapping):
        options = dict(raw)
    elif isinstance(raw, (bytes, bytearray, str)):
        if not raw.strip():
            return {}
        options = _load(bytes(raw) if isinstance(raw, bytearray) else raw, strict=True)
    else:
        raise InvalidOptionsError(_NOT_JSON)
    for key in options:
        if not isinstance(key, str) or not key.strip():
            raise InvalidOptionsError("EMBED_TEXT options contain an empty key")
        base = key[: -len(SEARCH_SUFFIX)] if key.endswith(SEARCH_SUFFIX) else key
        if not base.strip():
            raise InvalidOptionsError(f"EMBED_TEXT options key '{key}' has an empty name")
        if SEARCH_SUFFIX in base:
            raise InvalidOptionsError(
                f"EMBED_TEXT options key '{key}' is invalid: "
                f"'{SEARCH_SUFFIX}' may appear only once, at the end"
            )
    return options


def write_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Options for embedding stored rows: every ``@search`` key dropped."""
    return {k: v for k, v in options.items() if not k.endswith(SEARCH_SUFFIX)}


def search_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Options for embedding a query: ``k@search`` replaces ``k``."""
    out = write_options(options)
    for key, value in options.items():
        if key.endswith(SEARCH_SUFFIX):
            out[key[: -len(SEARCH_SUFFIX)]] = value
    return out


def options_for(kind: Kind, raw: OptionsInput) -> dict[str, Any]:
    """Parse ``raw`` and apply the ``@search`` rule for ``kind``."""
    options = parse_options(raw)
    return search_options(options) if kind == "query" else write_options(options)


def canonical_json(options: Mapping[str, Any]) -> str:
    """One spelling per options value (sorted keys, no spaces): a stable cache-key part."""
    return json.dumps(
        options, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
