"""Model instances as dicts: what ``model_dump()`` returns, without its cost where it can.

Vector columns load as numpy arrays (as tidb-vector's do); ``TableModel`` declares
:func:`vector_to_list` as their serializer so a dump has the lists the fields declare.
A search's ``to_list()`` dumps every hit, and pydantic's dump — copying each vector
element by element — was a quarter of the SDK's time per search, so for models whose
dump is plain (no serializers but this one, no computed or excluded fields)
:func:`fields_dumper` reads the attributes directly and converts vectors in one call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from pydantic import BaseModel

__all__ = ["Dump", "fields_dumper", "vector_to_list"]

Dump = Callable[[BaseModel], dict[str, Any]]


def vector_to_list(self: Any, value: Any) -> Any:  # "self": pydantic reads the name
    """A pydantic field serializer: a numpy vector as a list of Python floats."""
    if isinstance(value, np.ndarray):
        return value.astype(np.float64).tolist()  # one C call
    return value


def _model_dump(instance: BaseModel) -> dict[str, Any]:
    return instance.model_dump()


def fields_dumper(model: type[BaseModel]) -> Dump:
    """A function equal to ``instance.model_dump()`` for instances of ``model``."""
    decorators = model.__pydantic_decorators__
    vector_fields: set[str] = set()
    for decorator in decorators.field_serializers.values():
        if decorator.func is not vector_to_list:
            return _model_dump
        vector_fields.update(decorator.info.fields)
    if (
        decorators.model_serializers
        or model.model_computed_fields
        or any(info.exclude for info in model.model_fields.values())
    ):
        return _model_dump
    names = tuple(model.model_fields)
    serializer = model.__pydantic_serializer__

    def dump(instance: BaseModel) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in names:
            value = getattr(instance, name)
            if name in vector_fields:
                value = vector_to_list(instance, value)
            elif isinstance(value, (BaseModel, list, tuple, dict, set)):
                # Containers may hold models: pydantic's own dump of this field.
                value = serializer.to_python(instance, include={name})[name]
            out[name] = value
        return out

    return dump
