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
from collections import deque
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
#: Images handed to the provider per call: a round of
#: its concurrent requests (8 of DashScope's 8 images), few enough that the first group
#: is embedding soon. With the byte budget, it bounds memory.
EMBED_GROUP = 64
#: Bytes of loaded images in one group, at most.
EMBED_GROUP_BYTES = 32 * 1024 * 1024
#: Groups embedding at once: the next group's requests wait for the provider's
#: connections (its own limit) while the last ones of the group before are answered.
EMBEDS_IN_FLIGHT = 3
#: Images loaded (or being loaded) ahead of the group being filled: the loaders never
#: idle, and few images are held before they are counted against the group's bytes.
LOAD_AHEAD = 2 * FETCH_CONCURRENCY

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

    A pipeline, in source order: loads run :data:`FETCH_CONCURRENCY` at a time and up to
    :data:`LOAD_AHEAD` ahead; each group of :data:`EMBED_GROUP` loaded images is handed to
    the provider at once, with up to :data:`EMBEDS_IN_FLIGHT` groups embedding together
    (on worker threads, in this thread's context: the cache sink, the model cache). The
    downloads hide behind the provider's answers, and the provider's connections never
    wait for a group to be complete.
    """
    if not sources:
        return []
    from autovec.embeddings import EmbeddingError
    from autovec.embeddings.image_fetch import load_image

    policy = _policy(settings)
    max_bytes = embedder.function(database, model, kind).provider.max_image_bytes

    def load(source: str | bytes) -> FetchedImage:
        return load_image(source, policy, max_bytes=max_bytes)

    def embed(group: list[FetchedImage]) -> list[np.ndarray]:
        return _embed_group(embedder, database, model, options, group, kind, check_interrupted)

    if len(sources) == 1:  # one image (a query, a one-row INSERT): no threads
        try:
            return embed([load(sources[0])])
        except EmbeddingError as exc:
            raise embedding_error(exc) from None

    out: list[np.ndarray] = []
    loads: deque[Future[FetchedImage]] = deque()
    embeds: deque[Future[list[np.ndarray]]] = deque()
    group: list[FetchedImage] = []
    held = 0
    queued = 0  # sources handed to the loaders so far
    with (
        ThreadPoolExecutor(min(FETCH_CONCURRENCY, len(sources)), "image-load") as loading,
        ThreadPoolExecutor(EMBEDS_IN_FLIGHT, "image-embed") as embedding,
    ):
        try:
            while queued < len(sources) or loads:
                check_interrupted()
                while queued < len(sources) and len(loads) < LOAD_AHEAD:
                    loads.append(loading.submit(load, sources[queued]))
                    queued += 1
                image = loads.popleft().result()
                group.append(image)
                held += len(image.data)
                last = queued == len(sources) and not loads
                if len(group) >= EMBED_GROUP or held >= EMBED_GROUP_BYTES or last:
                    if len(embeds) >= EMBEDS_IN_FLIGHT:
                        out.extend(embeds.popleft().result())
                    context = contextvars.copy_context()
                    embeds.append(embedding.submit(context.run, embed, group))
                    group, held = [], 0
            while embeds:
                out.extend(embeds.popleft().result())
        except EmbeddingError as exc:
            _cancel(loads, embeds)
            raise embedding_error(exc) from None
        except BaseException:
            _cancel(loads, embeds)
            raise
    return out


def _cancel(*queues: deque[Future[Any]]) -> None:
    """Cancel what has not started; the pools' exit waits for what has."""
    for queue in queues:
        for future in queue:
            future.cancel()


def _embed_group(
    embedder: Embedder,
    database: str,
    model: str,
    options: str | None,
    images: list[FetchedImage],
    kind: str,
    check_interrupted: Callable[[], None],
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
        database,
        model,
        [image.as_input() for image in distinct],
        kind,
        options,
        check_interrupted=check_interrupted,
    )
    return [vectors[slot] for slot in slots]
