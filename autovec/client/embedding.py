"""Client-side embedding: filling plain ``VECTOR`` columns from their source on write.

Used for vector fields whose function is not server-side (``use_server=False``,
multimodal functions) and for every embedded field when the database has no
``EMBED_TEXT`` (then the column is created plain and the SDK embeds with autovec's own
providers, producing the vectors the database would have). pytidb's rules: a vector
already set is kept; a ``None`` or ``""`` source gives a ``None`` vector; all rows of a
call are embedded in one batch per field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, MutableMapping, Sequence
from typing import Any, TypeVar

from autovec.client.fields import VectorFieldInfo

__all__ = ["client_side", "embed_objects", "embed_values"]

Item = TypeVar("Item")
_MISSING = object()


def client_side(fields: Iterable[VectorFieldInfo]) -> list[VectorFieldInfo]:
    """The fields the SDK must embed itself."""
    return [f for f in fields if f.embed_fn is not None and f.source_field and not f.server_side]


def _fill(
    items: Sequence[Item],
    fields: Iterable[VectorFieldInfo],
    get: Callable[[Item, str], Any],
    put: Callable[[Item, str, Any], None],
    recompute: Callable[[Item, VectorFieldInfo], bool],
) -> None:
    for field in client_side(fields):
        assert field.embed_fn is not None and field.source_field is not None
        todo: list[Item] = []
        sources: list[Any] = []
        for item in items:
            current = get(item, field.name)
            if current is _MISSING:
                current = None
            if current is not None and not recompute(item, field):
                continue
            source = get(item, field.source_field)
            if source is _MISSING:
                continue
            if source is None or source == "":
                put(item, field.name, None)
                continue
            todo.append(item)
            sources.append(source)
        if not sources:
            continue
        vectors = field.embed_fn.get_source_embeddings(sources, source_type=field.source_type)
        for item, vector in zip(todo, vectors, strict=True):
            put(item, field.name, vector)


def embed_objects(
    objects: Sequence[Any],
    fields: Iterable[VectorFieldInfo],
    recompute: Callable[[Any, VectorFieldInfo], bool] = lambda _obj, _field: False,
) -> None:
    """Set missing vectors on model instances (``recompute``: also replace a stale one)."""
    _fill(
        objects,
        fields,
        lambda obj, name: getattr(obj, name, _MISSING),
        setattr,
        recompute,
    )


def embed_values(values: MutableMapping[str, Any], fields: Iterable[VectorFieldInfo]) -> None:
    """For ``UPDATE … SET``: a changed source re-embeds unless the vector is given too."""
    relevant = [f for f in fields if f.source_field in values and f.name not in values]

    def put(row: MutableMapping[str, Any], name: str, value: Any) -> None:
        row[name] = value

    _fill([values], relevant, lambda row, name: row.get(name, _MISSING), put, lambda *_: False)
