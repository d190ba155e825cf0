"""The identity of one embedding cache entry, shared by every cache that stores vectors.

A module of its own at the package's bottom layer (standard library only) because both
leaves need it: :mod:`autovec.embeddings.cache` (in memory) and
:mod:`autovec.storage.embedding_cache` (on disk) key entries with it, and neither may
import the other. One function, so the two can never drift apart.
"""

from __future__ import annotations

import hashlib

__all__ = ["cache_key"]


def cache_key(model: str, options_json: str, content: str) -> bytes:
    """A 32-byte digest of ``(model, options, input)`` (inputs can be megabytes).

    Each part is length-prefixed, so no two different triples share a digest input.
    """
    h = hashlib.sha256()
    for part in (model, options_json, content):
        data = part.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.digest()
