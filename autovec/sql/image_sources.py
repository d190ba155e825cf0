"""EMBED_IMAGE sources: the values an image column is embedded from, loaded by the database.

A source value is an ``http(s)`` URL, an absolute path or ``file:`` URL under a directory
the user allows, a ``data:`` URI, or the image bytes themselves (BLOB). The database loads
each with :func:`autovec.embeddings.image_fetch.load_image`, under the data directory's
policy (``SET @@GLOBAL.autovec_image_*``) and at most the provider's own size limit, and
sends the provider the bytes as a ``data:`` URI: a provider never fetches a user's URL, so
the same rules hold for every provider, and the cache identity is the image's content
(the same bytes at two URLs are embedded once, in the persistent cache).

Loading happens before the statement takes the write lock (``auto_embedding.embed_ahead``);
images are loaded a few at a time and concurrently, and embedded in groups large enough
for the provider to fill its batches, each group while the next is loaded.
"""

from __future__ import annotations

import contextvars
import hashlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from autovec.sql.embedder import Embedder, embedding_error

if TYPE_CHECKING:
    from autovec.embeddings.image_fetch import FetchedImage, ImageFetchPolicy

__all__ = [
    "FETCH_CONCURRENCY",
    "embed_images",
    "image_source",
    "is_image_query",
    "source_key",
]

#: Images loaded at once: URLs wait on the network, not on this process.
FETCH_CONCURRENCY = 8
#: Images loaded per round of the loaders (and between checks for KILL).
LOAD_CHUNK = FETCH_CONCURRENCY * 4
#: Images handed to the provider per call: enough for its concurrent batches to fill
#: (8 requests of DashScope's 8, twice), few enough that the first group is embedding soon
#: and the loading of the next hides behind it; with the byte budget, it bounds memory.
EMBED_GROUP = 128
#: Bytes of loaded images held before they are embedded and let go.
EMBED_GROUP_BYTES = 64 * 1024 * 1024

_IMAGE_QUERY_PREFIXES = ("http://", "https://", "data:image/", "file:")
#: How bytes that name an image (rather than being one) start, and how long they may be.
_REFERENCES = (b"http://", b"https://", b"data:", b"file:", b"/")
_MAX_REFERENCE = 8192


def image_source(value: Any) -> str | bytes | None:
    """What an image column embeds for a source value; None (a NULL vector) for NULL or
    an empty value.

    Bytes are the image, unless they are the text of a URL or path (a BLOB column given
    ``'https://…'`` stores the string's bytes): those are loaded like the string.
    """
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        head = data.lstrip()[:11].lower()
        if head.startswith(_REFERENCES) and (len(data) <= _MAX_REFERENCE or head[:5] == b"data:"):
            try:
                return data.decode("utf-8").strip()
            except UnicodeDecodeError:
                return data
        return data or None
    text = str(value).strip()
    return text or None


def source_key(source: str | bytes) -> str:
    """A source's identity within a statement (bytes by digest, not by value)."""
    if isinstance(source, bytes):
        return "\x00bytes:" + hashlib.sha256(source).hexdigest()
    return source


def is_image_query(query: Any) -> bool:
    """Whether a VEC_EMBED_* query on an image column names an image (else it is text)."""
    if isinstance(query, bytes):
        return True
    return isinstance(query, str) and query.strip().lower().startswith(_IMAGE_QUERY_PREFIXES)


def _policy(settings: Mapping[str, object]) -> ImageFetchPolicy:
    from autovec.embeddings.image_fetch import ImageFetchPolicy

    return ImageFetchPolicy.from_settings(settings)


def embed_images(
    embedder: Embedder,
    database: str,
    model: str,
    options: str | None,
    sources: Sequence[str | bytes],
    kind: str,
    settings: Mapping[str, object],
    check_interrupted: Callable[[], None],
) -> list[np.ndarray]:
    """One vector per source: each image loaded under the directory's policy, then embedded
    once per distinct content (the cache answers an image seen before).

    A pipeline: while one group of loaded images is being embedded (on a worker thread,
    in this thread's context: the cache sink, the model cache), the next group is loaded,
    so the time of the downloads hides behind the provider's and the other way round. At
    most two groups are held at once.
    """
    if not sources:
        return []
    policy = _policy(settings)
    max_bytes = embedder.function(database, model, kind).provider.max_image_bytes

    def embed(group: list[FetchedImage]) -> list[np.ndarray]:
        return _embed_group(embedder, database, model, options, group, kind)

    out: list[np.ndarray] = []
    group: list[FetchedImage] = []
    held = 0
    workers = min(FETCH_CONCURRENCY, len(sources))
    with (
        ThreadPoolExecutor(workers, thread_name_prefix="image-load") as loading,
        ThreadPoolExecutor(1, thread_name_prefix="image-embed") as embedding,
    ):
        pending: Future[list[np.ndarray]] | None = None
        for start in range(0, len(sources), LOAD_CHUNK):
            check_interrupted()
            loaded = _load_all(loading, sources[start : start + LOAD_CHUNK], policy, max_bytes)
            group.extend(loaded)
            held += sum(len(image.data) for image in loaded)
            if len(group) >= EMBED_GROUP or held >= EMBED_GROUP_BYTES:
                if pending is not None:
                    out.extend(pending.result())
                pending = embedding.submit(contextvars.copy_context().run, embed, group)
                group, held = [], 0
        if pending is not None:
            out.extend(pending.result())
    if group:
        out.extend(embed(group))
    return out


def _load_all(
    pool: ThreadPoolExecutor,
    sources: Sequence[str | bytes],
    policy: ImageFetchPolicy,
    max_bytes: int | None,
) -> list[FetchedImage]:
    """Every source loaded, in order; the first refusal fails them all."""
    from autovec.embeddings import EmbeddingError
    from autovec.embeddings.image_fetch import load_image

    def load(source: str | bytes) -> FetchedImage:
        return load_image(source, policy, max_bytes=max_bytes)

    try:
        if len(sources) == 1:
            return [load(sources[0])]
        return list(pool.map(load, sources))
    except EmbeddingError as exc:
        raise embedding_error(exc) from None


def _embed_group(
    embedder: Embedder,
    database: str,
    model: str,
    options: str | None,
    images: list[FetchedImage],
    kind: str,
) -> list[np.ndarray]:
    slot_of: dict[str, int] = {}
    distinct: list[FetchedImage] = []
    slots: list[int] = []
    for image in images:
        key = image.content_key()
        if key not in slot_of:
            slot_of[key] = len(distinct)
            distinct.append(image)
        slots.append(slot_of[key])
    vectors = embedder.embed(
        database, model, [image.as_input() for image in distinct], kind, options
    )
    return [vectors[slot] for slot in slots]
