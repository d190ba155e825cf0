"""MySQL's JSON functions on JSON text: paths, JSON_EXTRACT, JSON_SET, JSON_CONTAINS, merges...

Results are printed as MySQL prints JSON (``", "`` and ``": "`` separators, keys by length).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from autovec import errors
from autovec.sql.functions.registry import SqlFunction
from autovec.sql.functions.values import (
    Value,
    as_number,
    as_text,
    null_propagating,
    sql_error,
)


def _json_error(fn: str, arg: int, exc: json.JSONDecodeError) -> errors.DatabaseError:
    return errors.DatabaseError(
        f'Invalid JSON text in argument {arg} to function {fn}: "{exc.msg}" at position {exc.pos}.',
        3141,
    )


# Shared by every data directory: a pure function of the text, whatever the directory.
@functools.lru_cache(maxsize=512)
def _loads_cached(text: str) -> Any:
    return json.loads(text)


def _json_doc(value: Value, fn: str, arg: int = 1) -> Any:
    """Parse a JSON document argument (cached: documents repeat across rows and calls)."""
    if isinstance(value, int | float):
        return value
    text = as_text(value)
    try:
        return _loads_cached(text)
    except json.JSONDecodeError as exc:
        raise _json_error(fn, arg, exc) from None


def _json_key(key: str) -> tuple[int, bytes]:
    encoded = key.encode("utf-8")
    return len(encoded), encoded


def dump_json(value: Any) -> str:
    """JSON text as MySQL prints it: ', ' and ': ' separators, keys by length then bytes."""
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: _json_key(kv[0]))
        return (
            "{"
            + ", ".join(json.dumps(k, ensure_ascii=False) + ": " + dump_json(v) for k, v in items)
            + "}"
        )
    if isinstance(value, list):
        return "[" + ", ".join(dump_json(v) for v in value) + "]"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{value:.1f}"
        return repr(value).replace("e+", "e")
    return json.dumps(value, ensure_ascii=False)


def sql_to_json(value: Value, is_json: bool) -> Any:
    """An SQL argument as a JSON value: JSON-typed arguments are parsed, strings stay strings."""
    if value is None:
        return None
    if is_json:
        return json.loads(as_text(value)) if isinstance(value, str | bytes) else value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


# A path leg: ("key", name) | ("key*",) | ("idx", n, from_end) | ("idx*",) | ("range", a, a_end, b, b_end) | ("**",)
Leg = tuple[Any, ...]
_PATH_TOKEN = re.compile(
    r'\s*(?:\.\s*(?:(?P<star>\*)|"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<name>[^\s.\[*"]+))'
    r"|\[\s*(?:(?P<istar>\*)|(?P<a>last(?:\s*-\s*\d+)?|\d+)(?:\s+to\s+(?P<b>last(?:\s*-\s*\d+)?|\d+))?)\s*\]"
    r"|(?P<dstar>\*\*))"
)


def _index(text: str) -> tuple[int, bool]:
    if text.startswith("last"):
        rest = text[4:].replace(" ", "").lstrip("-")
        return int(rest or 0), True
    return int(text), False


# Shared by every data directory: a pure function of the path text.
@functools.lru_cache(maxsize=512)
def _parse_path(path: str) -> tuple[Leg, ...]:
    """Parse a MySQL JSON path ('$.a[0]', '$."k"', '$[*]', '$**.b', '$[last-1]', '$[1 to 3]')."""
    text = path.strip()
    if not text.startswith("$"):
        raise sql_error(
            f"Invalid JSON path expression. The error is around character position 1 in '{path}'.",
            3143,
        )
    legs: list[Leg] = []
    pos = 1
    while pos < len(text):
        match = _PATH_TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            if text[pos:].strip() == "":
                break
            raise sql_error(
                f"Invalid JSON path expression. The error is around character position {pos + 1} in '{path}'.",
                3143,
            )
        pos = match.end()
        if match.group("star"):
            legs.append(("key*",))
        elif match.group("quoted") is not None:
            legs.append(("key", json.loads('"' + match.group("quoted") + '"')))
        elif match.group("name") is not None:
            legs.append(("key", match.group("name")))
        elif match.group("istar"):
            legs.append(("idx*",))
        elif match.group("dstar"):
            legs.append(("**",))
        elif match.group("b") is not None:
            a, a_end = _index(match.group("a"))
            b, b_end = _index(match.group("b"))
            legs.append(("range", a, a_end, b, b_end))
        else:
            n, from_end = _index(match.group("a"))
            legs.append(("idx", n, from_end))
    if legs and legs[-1][0] == "**":
        raise sql_error(
            f"Invalid JSON path expression. The error is around character position {len(text)} in '{path}'.",
            3143,
        )
    return tuple(legs)


def _is_wild(legs: tuple[Leg, ...]) -> bool:
    return any(leg[0] in ("key*", "idx*", "**", "range") for leg in legs)


def _descendants(value: Any) -> Iterator[Any]:
    yield value
    children = (
        value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    )
    for child in children:
        yield from _descendants(child)


def _resolve(index: int, from_end: bool, size: int) -> int:
    return size - 1 - index if from_end else index


def _walk_path(value: Any, legs: tuple[Leg, ...]) -> Iterator[Any]:
    """All values a path selects (scalars count as a one-element array for [0] / [last])."""
    if not legs:
        yield value
        return
    leg, rest = legs[0], legs[1:]
    kind = leg[0]
    if kind == "key":
        if isinstance(value, dict) and leg[1] in value:
            yield from _walk_path(value[leg[1]], rest)
    elif kind == "key*":
        if isinstance(value, dict):
            for child in value.values():
                yield from _walk_path(child, rest)
    elif kind == "idx":
        items = value if isinstance(value, list) else [value]
        i = _resolve(leg[1], leg[2], len(items))
        if 0 <= i < len(items):
            yield from _walk_path(items[i], rest)
    elif kind == "idx*":
        if isinstance(value, list):
            for child in value:
                yield from _walk_path(child, rest)
    elif kind == "range":
        items = value if isinstance(value, list) else [value]
        lo, hi = _resolve(leg[1], leg[2], len(items)), _resolve(leg[3], leg[4], len(items))
        for i in range(max(lo, 0), min(hi, len(items) - 1) + 1):
            yield from _walk_path(items[i], rest)
    elif kind == "**":
        for node in _descendants(value):
            yield from _walk_path(node, rest)


def _path_values(doc: Any, path: Value) -> tuple[list[Any], bool]:
    legs = _parse_path(as_text(path))
    return list(_walk_path(doc, legs)), _is_wild(legs)


def _json_extract(doc: Value, *paths: Value) -> str | None:
    if doc is None or any(p is None for p in paths):
        return None
    value = _json_doc(doc, "json_extract")
    found: list[Any] = []
    wrap = len(paths) > 1
    for path in paths:
        values, wild = _path_values(value, path)
        wrap = wrap or wild
        found.extend(values)
    if not found:
        return None
    return dump_json(found) if wrap else dump_json(found[0])


def _json_value(doc: Value, path: Value) -> Value:
    """``->>``: JSON_UNQUOTE(JSON_EXTRACT(doc, path)), without the JSON round trip."""
    if doc is None or path is None:
        return None
    values, wild = _path_values(_json_doc(doc, "json_extract"), path)
    if not values:
        return None
    if wild:
        return dump_json(values)
    value = values[0]
    return value if isinstance(value, str) else dump_json(value)


@null_propagating
def _json_unquote(value: Value) -> str:
    text = as_text(value)
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        try:
            result = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _json_error("json_unquote", 1, exc) from None
        if isinstance(result, str):
            return result
    return text


@null_propagating
def _json_quote(value: Value) -> str:
    return json.dumps(as_text(value), ensure_ascii=False)


def _json_object(flags: str, *args: Value) -> str:
    if len(args) % 2:
        raise sql_error(
            "Incorrect parameter count in the call to native function 'json_object'", 1582
        )
    result: dict[str, Any] = {}
    for i in range(0, len(args), 2):
        key = args[i]
        if key is None:
            raise sql_error("JSON documents may not contain NULL member names.", 3158)
        result.setdefault(as_text(key), sql_to_json(args[i + 1], flags[i + 1] == "1"))
    return dump_json(result)


def _json_array(flags: str, *args: Value) -> str:
    return dump_json([sql_to_json(a, flags[i] == "1") for i, a in enumerate(args)])


def _json_bool(value: Value) -> str | None:
    """A boolean SQL value as JSON text (its argument is flagged as JSON)."""
    if value is None:
        return None
    return "true" if as_number(value) else "false"


def _json_valid(value: Value) -> int | None:
    if value is None:
        return None
    if not isinstance(value, str | bytes):
        return 0
    try:
        _loads_cached(as_text(value))
    except json.JSONDecodeError:
        return 0
    return 1


def _json_type_name(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "INTEGER"
    if isinstance(value, float):
        return "DOUBLE"
    if isinstance(value, str):
        return "STRING"
    return "ARRAY" if isinstance(value, list) else "OBJECT"


@null_propagating
def _json_type(value: Value) -> str:
    return _json_type_name(_json_doc(value, "json_type"))


_NOT_FOUND = object()


def _json_at(doc: Value, path: Value, function: str) -> Any:
    """The document, or its first value at ``path`` when one is given; _NOT_FOUND if none."""
    value = _json_doc(doc, function)
    if path is ...:
        return value
    values, _ = _path_values(value, path)
    return values[0] if values else _NOT_FOUND


def _json_length(doc: Value, path: Value = ...) -> int | None:
    if doc is None or path is None:
        return None
    value = _json_at(doc, path, "json_length")
    if value is _NOT_FOUND:
        return None
    return len(value) if isinstance(value, dict | list) else 1


def _json_depth_of(value: Any) -> int:
    if isinstance(value, dict) and value:
        return 1 + max(_json_depth_of(v) for v in value.values())
    if isinstance(value, list) and value:
        return 1 + max(_json_depth_of(v) for v in value)
    return 1


@null_propagating
def _json_depth(doc: Value) -> int:
    return _json_depth_of(_json_doc(doc, "json_depth"))


def _json_keys(doc: Value, path: Value = ...) -> str | None:
    if doc is None or path is None:
        return None
    value = _json_at(doc, path, "json_keys")
    if not isinstance(value, dict):
        return None
    return dump_json(sorted(value, key=_json_key))


def _json_eq(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def _contains(target: Any, candidate: Any) -> bool:
    """MySQL JSON_CONTAINS semantics."""
    if isinstance(target, list):
        if isinstance(candidate, list):
            return all(_contains(target, c) for c in candidate)
        return any(_contains(t, candidate) for t in target)
    if isinstance(target, dict):
        if not isinstance(candidate, dict):
            return False
        return all(k in target and _contains(target[k], v) for k, v in candidate.items())
    return not isinstance(candidate, list | dict) and _json_eq(target, candidate)


def _json_contains(target: Value, candidate: Value, path: Value = ...) -> int | None:
    if target is None or candidate is None or path is None:
        return None
    doc = _json_doc(target, "json_contains", 1)
    wanted = _json_doc(candidate, "json_contains", 2)
    if path is not ...:
        values, wild = _path_values(doc, path)
        if wild:
            raise sql_error(
                "In this situation, path expressions may not contain the * and ** tokens.", 3149
            )
        if not values:
            return None
        doc = values[0]
    return int(_contains(doc, wanted))


def _json_contains_path(doc: Value, mode: Value, *paths: Value) -> int | None:
    if doc is None or mode is None or any(p is None for p in paths):
        return None
    value = _json_doc(doc, "json_contains_path")
    how = as_text(mode).lower()
    if how not in ("one", "all"):
        raise sql_error(
            "The oneOrAll argument to json_contains_path may take these values: 'one' or 'all'.",
            3150,
        )
    hits = [bool(_path_values(value, p)[0]) for p in paths]
    return int(any(hits) if how == "one" else all(hits))


def _modify(mode: str) -> Callable[..., str | None]:
    """JSON_SET / JSON_INSERT / JSON_REPLACE: (doc, flags, path, value, ...)."""

    def modify(doc: Value, flags: str, *args: Value) -> str | None:
        if doc is None:
            return None
        if len(args) % 2:
            raise sql_error(
                f"Incorrect parameter count in the call to native function 'json_{mode}'", 1582
            )
        root = json.loads(json.dumps(_json_doc(doc, f"json_{mode}")))
        for i in range(0, len(args), 2):
            path, raw = args[i], args[i + 1]
            if path is None:
                return None
            legs = _parse_path(as_text(path))
            if _is_wild(legs):
                raise sql_error(
                    "In this situation, path expressions may not contain the * and ** tokens.", 3149
                )
            root = _set_path(root, legs, sql_to_json(raw, flags[i + 1] == "1"), mode)
        return dump_json(root)

    return modify


def _set_path(root: Any, legs: tuple[Leg, ...], value: Any, mode: str) -> Any:
    if not legs:
        return value if mode in ("set", "replace") else root
    parents = list(_walk_path(root, legs[:-1]))
    if not parents:
        return root
    parent = parents[0]
    leg = legs[-1]
    if leg[0] == "key":
        if not isinstance(parent, dict):
            return root
        exists = leg[1] in parent
        if (exists and mode in ("set", "replace")) or (not exists and mode in ("set", "insert")):
            parent[leg[1]] = value
        return root
    # array index
    if isinstance(parent, list):
        i = _resolve(leg[1], leg[2], len(parent))
        if 0 <= i < len(parent):
            if mode in ("set", "replace"):
                parent[i] = value
        elif i >= len(parent) and mode in ("set", "insert"):
            parent.append(value)
        return root
    i = _resolve(leg[1], leg[2], 1)
    if i == 0:
        replacement = value if mode in ("set", "replace") else parent
    elif i > 0 and mode in ("set", "insert"):
        replacement = [parent, value]
    else:
        return root
    if len(legs) == 1:
        return replacement
    grand = next(iter(_walk_path(root, legs[:-2])))
    key = legs[-2]
    if key[0] == "key":
        grand[key[1]] = replacement
    else:
        grand[_resolve(key[1], key[2], len(grand))] = replacement
    return root


def _json_remove(doc: Value, *paths: Value) -> str | None:
    if doc is None or any(p is None for p in paths):
        return None
    root = json.loads(json.dumps(_json_doc(doc, "json_remove")))
    for path in paths:
        legs = _parse_path(as_text(path))
        if not legs or _is_wild(legs):
            raise sql_error("The path expression '$' is not allowed in this context.", 3153)
        for parent in list(_walk_path(root, legs[:-1]))[:1]:
            leg = legs[-1]
            if leg[0] == "key" and isinstance(parent, dict):
                parent.pop(leg[1], None)
            elif leg[0] == "idx" and isinstance(parent, list):
                i = _resolve(leg[1], leg[2], len(parent))
                if 0 <= i < len(parent):
                    del parent[i]
    return dump_json(root)


def _json_array_append(doc: Value, flags: str, *args: Value) -> str | None:
    if doc is None:
        return None
    root = json.loads(json.dumps(_json_doc(doc, "json_array_append")))
    for i in range(0, len(args), 2):
        path, raw = args[i], args[i + 1]
        if path is None:
            return None
        legs = _parse_path(as_text(path))
        value = sql_to_json(raw, flags[i + 1] == "1")
        targets = list(_walk_path(root, legs))
        if not targets:
            continue
        target = targets[0]
        if isinstance(target, list):
            target.append(value)
        else:
            root = _set_path(root, legs, [target, value], "set")
    return dump_json(root)


def _merge_preserve(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        merged = dict(a)
        for k, v in b.items():
            merged[k] = _merge_preserve(merged[k], v) if k in merged else v
        return merged
    left = a if isinstance(a, list) else [a]
    right = b if isinstance(b, list) else [b]
    return left + right


def _merge_patch(a: Any, b: Any) -> Any:
    if not isinstance(b, dict):
        return b
    merged = dict(a) if isinstance(a, dict) else {}
    for k, v in b.items():
        if v is None:
            merged.pop(k, None)
        else:
            merged[k] = _merge_patch(merged.get(k), v)
    return merged


def _json_merge(patch: bool) -> Callable[..., str | None]:
    def merge(*docs: Value) -> str | None:
        name = "json_merge_patch" if patch else "json_merge_preserve"
        result: Any = ...
        for i, doc in enumerate(docs, 1):
            if doc is None:
                if not patch:
                    return None
                result = None
                continue
            value = _json_doc(doc, name, i)
            if result is ...:
                result = value
            elif patch:
                result = (
                    _merge_patch(result, value)
                    if result is not None or isinstance(value, dict)
                    else None
                )
            else:
                result = _merge_preserve(result, value)
        return None if result is ... or (result is None and patch) else dump_json(result)

    return merge


def _cast_json(value: Value) -> str | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return dump_json(value)
    return dump_json(_json_doc(value, "cast_as_json"))


FUNCTIONS: tuple[SqlFunction, ...] = (
    SqlFunction("cast_json", _cast_json, returns_json=True),
    SqlFunction("json_extract", _json_extract, returns_json=True),
    SqlFunction("json_value", _json_value),
    SqlFunction("json_unquote", _json_unquote, mysql_names=("JSON_UNQUOTE",)),
    SqlFunction("json_quote", _json_quote, mysql_names=("JSON_QUOTE",)),
    SqlFunction("json_object", _json_object, returns_json=True),
    SqlFunction("json_array", _json_array, mysql_names=("JSON_ARRAY",), returns_json=True),
    SqlFunction("json_valid", _json_valid, mysql_names=("JSON_VALID",)),
    SqlFunction("json_bool", _json_bool),
    SqlFunction("json_type", _json_type),
    SqlFunction("json_length", _json_length, mysql_names=("JSON_LENGTH",)),
    SqlFunction("json_depth", _json_depth, mysql_names=("JSON_DEPTH",)),
    SqlFunction("json_keys", _json_keys, returns_json=True),
    SqlFunction("json_contains", _json_contains, mysql_names=("JSON_CONTAINS",)),
    SqlFunction("json_contains_path", _json_contains_path, mysql_names=("JSON_CONTAINS_PATH",)),
    SqlFunction("json_set", _modify("set"), returns_json=True),
    SqlFunction("json_insert", _modify("insert"), mysql_names=("JSON_INSERT",), returns_json=True),
    SqlFunction(
        "json_replace", _modify("replace"), mysql_names=("JSON_REPLACE",), returns_json=True
    ),
    SqlFunction("json_remove", _json_remove, returns_json=True),
    SqlFunction("json_array_append", _json_array_append, returns_json=True),
    SqlFunction(
        "json_merge_preserve",
        _json_merge(False),
        mysql_names=(
            "JSON_MERGE_PRESERVE",
            "JSON_MERGE",
        ),
        returns_json=True,
    ),
    SqlFunction(
        "json_merge_patch", _json_merge(True), mysql_names=("JSON_MERGE_PATCH",), returns_json=True
    ),
)
