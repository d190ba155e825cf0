"""The AST rewrite: MySQL function nodes sqlglot parsed -> calls of the declared ``__av_*`` UDFs.

One pre-order walk over the parsed MySQL tree, before SQLite generation; each handler maps
one sqlglot node class (or an anonymous call) to a call, checked against the declared arity.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from autovec import errors
from autovec.sql.functions.catalog import ANONYMOUS, ARITY, JSON_ANONYMOUS, JSON_UDFS
from autovec.sql.functions.registry import UDF_PREFIX


def _call(name: str, *args: Any) -> exp.Anonymous:
    expressions = [a for a in args if a is not None]
    least, most = ARITY.get(name, (0, None))
    if len(expressions) < least or (most is not None and len(expressions) > most):
        raise errors.wrong_parameter_count(name.upper())
    return exp.Anonymous(this=UDF_PREFIX + name, expressions=expressions)


def _str(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def _unit(node: exp.Expression) -> exp.Literal:
    unit = node.args.get("unit")
    name = unit.name if isinstance(unit, exp.Expression) else str(unit or "DAY")
    return _str(name.upper())


def _strip(node: exp.Expression | None, *wrappers: type[exp.Expression]) -> exp.Expression | None:
    """Drop the implicit casts sqlglot wraps arguments in (TsOrDsToDate/TsOrDsToTimestamp)."""
    while isinstance(node, wrappers):
        node = node.this
    return node


# sqlglot's strftime code -> MySQL's (the inverse of sqlglot's MySQL TIME_MAPPING, token by token)
_STRFTIME_TO_MYSQL = {
    "%B": "%M", "%-m": "%c", "%-d": "%e", "%I": "%h", "%M": "%i", "%S": "%s",
    "%W": "%u", "%-H": "%k", "%-I": "%l", "%A": "%W", "%G": "%x",
}  # fmt: skip
_STRFTIME_TOKEN = re.compile(r"%-?.")


def _format_arg(node: exp.Expression | None) -> exp.Expression | None:
    """sqlglot turns a literal MySQL format into Python's strftime codes; turn it back."""
    if isinstance(node, exp.Literal) and node.is_string:
        text = _STRFTIME_TOKEN.sub(
            lambda m: _STRFTIME_TO_MYSQL.get(m.group(0), m.group(0)), node.this
        )
        return _str(text)
    return node


def _path_arg(node: exp.Expression | None) -> exp.Expression | None:
    """sqlglot parses literal JSON paths into JSONPath trees; pass the path text instead."""
    if isinstance(node, exp.JSONPath):
        parts = ["$"]
        legs = node.expressions
        i = 0
        while i < len(legs):
            leg = legs[i]
            if isinstance(leg, exp.JSONPathRoot):
                pass
            elif (
                isinstance(leg, exp.JSONPathWildcard)
                and i + 1 < len(legs)
                and isinstance(legs[i + 1], exp.JSONPathWildcard)
            ):
                parts.append("**")
                i += 1
            elif isinstance(leg, exp.JSONPathWildcard):
                parts.append(".*")
            elif isinstance(leg, exp.JSONPathKey):
                key = leg.this
                if isinstance(key, exp.JSONPathWildcard):
                    parts.append(".*")
                elif re.fullmatch(r"[A-Za-z_$][\w$]*", str(key)):
                    parts.append(f".{key}")
                else:
                    parts.append("." + json.dumps(str(key), ensure_ascii=False))
            elif isinstance(leg, exp.JSONPathSubscript):
                sub = leg.this
                parts.append("[*]" if isinstance(sub, exp.JSONPathWildcard) else f"[{sub}]")
            else:
                return _str(node.sql(dialect="mysql").strip("'"))
            i += 1
        return _str("".join(parts))
    return node


_JSON_NODES: tuple[type[exp.Expression], ...] = (
    exp.JSONObject,
    exp.JSONExtract,
    exp.JSONSet,
    exp.JSONRemove,
    exp.JSONArrayAppend,
    exp.JSONKeys,
)


def _is_json(node: exp.Expression) -> bool:
    """Whether an argument already is JSON (so JSON_ARRAY/JSON_OBJECT embed it, not quote it)."""
    if isinstance(node, _JSON_NODES):
        return True
    if isinstance(node, exp.Cast) and node.to.this == exp.DataType.Type.JSON:
        return True
    if isinstance(node, exp.Anonymous):
        name = str(node.this).upper()
        return name in JSON_ANONYMOUS or name.lower() in JSON_UDFS
    return isinstance(node, exp.Boolean)


# Expressions MySQL types as booleans: in JSON they become true/false, not 1/0.
_PREDICATES = (exp.Predicate, exp.Not, exp.And, exp.Or, exp.Xor)


def _json_value_args(values: list[exp.Expression]) -> tuple[str, list[exp.Expression]]:
    """(flags, args): a '1' flag per argument that is JSON; booleans become JSON true/false."""
    flags = []
    out: list[exp.Expression] = []
    for value in values:
        flags.append("1" if _is_json(value) or isinstance(value, _PREDICATES) else "0")
        if isinstance(value, exp.Boolean):
            value = _str("true" if value.this else "false")
        elif isinstance(value, _PREDICATES):
            value = _call("json_bool", value)
        out.append(value)
    return "".join(flags), out


_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.Like, exp.In)


def _cast(node: exp.Cast) -> exp.Expression | None:
    to = node.to
    kind = to.this
    T = exp.DataType.Type
    params = [p.this if isinstance(p, exp.DataTypeParam) else p for p in to.expressions]
    value = node.this
    if kind in (T.BIGINT, T.INT, T.SMALLINT, T.TINYINT, T.MEDIUMINT) and not str(kind).startswith(
        "U"
    ):
        return _call("cast_signed", value)
    if kind in (T.UBIGINT, T.UINT, T.USMALLINT, T.UTINYINT, T.UMEDIUMINT):
        return _call("cast_unsigned", value)
    if kind in (T.DECIMAL, T.UDECIMAL):
        precision = params[0] if params else exp.Literal.number(10)
        scale = params[1] if len(params) > 1 else exp.Literal.number(0)
        return _call("cast_decimal", value, precision, scale)
    if kind in (T.CHAR, T.NCHAR, T.VARCHAR, T.NVARCHAR, T.TEXT):
        return _call("cast_char", value, params[0] if params else None)
    if kind == T.DATE:
        return _call("date", value)
    if kind in (T.DATETIME, T.TIMESTAMP, T.DATETIME64):
        return _call("datetime", value, params[0] if params else exp.Literal.number(0))
    if kind == T.TIME:
        return _call("time", value, params[0] if params else exp.Literal.number(0))
    if kind == T.JSON:
        return _call("cast_json", value)
    if kind == T.CHARACTER_SET:  # CONVERT(x USING charset)
        return _call("cast_char", value)
    if kind in (T.BINARY, T.VARBINARY, T.BLOB) and isinstance(node.parent, _COMPARISONS):
        # ``WHERE BINARY a = 'x'``: comparisons already are binary (utf8mb4_bin), while a
        # blob never equals text in SQLite.
        return value
    if kind in (T.DOUBLE, T.FLOAT):
        return _call("cast_double", value)
    return None


def _group_concat(node: exp.GroupConcat) -> exp.Expression | None:
    """Native group_concat unless DISTINCT needs a separator or several values (SQLite limits)."""
    inner = node.this
    order = None
    if isinstance(inner, exp.Order):
        order = inner
        inner = inner.this
    if not isinstance(inner, exp.Distinct):
        return None
    values = inner.expressions
    separator = node.args.get("separator")
    if len(values) == 1 and not isinstance(values[0], exp.Concat) and separator is None:
        return None
    parts = (
        values[0].expressions if len(values) == 1 and isinstance(values[0], exp.Concat) else values
    )
    packed = _call("gc_pack", separator or _str(","), *parts)
    argument: exp.Expression = exp.Distinct(expressions=[packed])
    if order is not None:  # ORDER BY goes inside the call's parentheses
        order.set("this", argument)
        argument = order
    return _call("group_concat", argument)


def _trim_node(node: exp.Trim) -> exp.Expression | None:
    remove = node.args.get("expression")
    if remove is None:
        return None
    position = str(node.args.get("position") or "BOTH").upper()
    return _call(f"trim_{position.lower()}", node.this, remove)


def _anon_interval_add(node: exp.Anonymous, name: str) -> exp.Expression | None:
    """ADDDATE/SUBDATE(d, INTERVAL n unit) or (d, days)."""
    args = node.expressions
    if len(args) != 2:
        return None
    value, amount = args
    sub = name == "SUBDATE"
    if isinstance(amount, exp.Interval):
        return _call("date_sub" if sub else "date_add", value, amount.this, _unit(amount))
    return _call("date_sub" if sub else "date_add", value, amount, _str("DAY"))


def _interval_arith(node: exp.Add | exp.Sub) -> exp.Expression | None:
    """``d + INTERVAL n unit``, ``INTERVAL n unit + d`` and ``d - INTERVAL n unit``."""
    left, right = node.this, node.expression
    if (
        isinstance(left, exp.Interval)
        and isinstance(right, exp.Interval)
        and not right.args.get("unit")
    ):
        # sqlglot reads ``INTERVAL 1 DAY + d`` as INTERVAL 1 DAY + INTERVAL d
        return (
            _call("date_add", right.this, left.this, _unit(left))
            if isinstance(node, exp.Add)
            else None
        )
    if isinstance(right, exp.Interval):
        name = "date_sub" if isinstance(node, exp.Sub) else "date_add"
        return _call(name, left, right.this, _unit(right))
    if isinstance(left, exp.Interval) and isinstance(node, exp.Add):
        return _call("date_add", right, left.this, _unit(left))
    return None
    return None


_NOW_NAMES = {"NOW", "SYSDATE", "LOCALTIME", "LOCALTIMESTAMP", "CURRENT_TIMESTAMP"}


def _anonymous(node: exp.Anonymous) -> exp.Expression | None:
    name = str(node.this).upper()
    if name.startswith(UDF_PREFIX.upper()):
        return None
    args = list(node.expressions)
    if name in _NOW_NAMES:
        return _call("now", *args)
    if name in ("ADDDATE", "SUBDATE"):
        return _anon_interval_add(node, name)
    if name in ("JSON_ARRAY", "JSON_INSERT", "JSON_REPLACE"):  # their values need JSON flags
        if name == "JSON_ARRAY":
            flags, values = _json_value_args(args)
            return _call("json_array", _str(flags), *values)
        doc, rest = args[0] if args else exp.null(), args[1:]
        flags, values = _json_value_args(rest)
        return _call(name.lower(), doc, _str(flags), *values)
    if name == "JSON_ARRAYAGG" and len(args) == 1:
        value = args[0]
        inner = value.this if isinstance(value, exp.Order) else value
        return _call("json_arrayagg_json" if _is_json(inner) else "json_arrayagg", value)
    udf = ANONYMOUS.get(name)
    if udf is None:
        return None
    return _call(udf, *args)


def _date_arg(node: exp.Expression) -> exp.Expression | None:
    return _strip(node.this, exp.TsOrDsToDate, exp.TsOrDsToTimestamp)


def _unary(name: str) -> Callable[[Any], exp.Expression | None]:
    """A one-argument function of a date: the implicit date cast sqlglot adds is dropped."""
    return lambda node: _call(name, _date_arg(node))


def _time_to_str(node: exp.TimeToStr) -> exp.Expression:
    fmt = node.args.get("format")
    if (
        isinstance(fmt, exp.Literal)
        and fmt.this == "%B"
        and isinstance(node.this, exp.TsOrDsToDate)
    ):
        return _call("monthname", _date_arg(node))
    return _call("date_format", _strip(node.this, exp.TsOrDsToTimestamp), _format_arg(fmt))


def _json_modify(name: str) -> Callable[[Any], exp.Expression]:
    def build(node: exp.Expression) -> exp.Expression:
        values = list(node.expressions)
        paths_and_values = [_path_arg(v) if i % 2 == 0 else v for i, v in enumerate(values)]
        flags, args = _json_value_args([v for v in paths_and_values if v is not None])
        return _call(name, node.this, _str(flags), *args)

    return build


def _extract_node(node: exp.Extract) -> exp.Expression:
    unit = node.this
    name = unit.name.upper() if isinstance(unit, exp.Expression) else str(unit).upper()
    return _call("extract", _str(name), node.expression)


def _current(name: str) -> Callable[[Any], exp.Expression]:
    return lambda node: _call(name, node.this) if node.this is not None else _call(name)


def _regexp_like_node(node: exp.RegexpLike) -> exp.Expression | None:
    flag = node.args.get("flag")
    if flag is None:
        return None  # SQLite's ``X REGEXP Y`` calls our regexp()
    return _call("regexp_like", node.this, node.expression, flag)


def _rand_node(node: exp.Rand) -> exp.Expression:
    return _call("rand", node.this) if node.this is not None else _call("rand")


def _round_node(node: exp.Round) -> exp.Expression:
    return _call("round", node.this, node.args.get("decimals"))


def _json_objectagg(node: exp.JSONObjectAgg) -> exp.Expression | None:
    pairs = node.expressions
    if len(pairs) != 1 or not isinstance(pairs[0], exp.JSONKeyValue):
        return None
    key, value = pairs[0].this, pairs[0].expression
    return _call("json_objectagg_json" if _is_json(value) else "json_objectagg", key, value)


# exp class -> builder of its replacement (None: leave the node alone)
_HANDLERS: dict[type, Callable[[Any], exp.Expression | None]] = {
    exp.Anonymous: _anonymous,
    exp.CurrentTimestamp: _current("now"),
    exp.Localtime: _current("now"),
    exp.Localtimestamp: _current("now"),
    exp.CurrentDate: lambda n: _call("curdate"),
    exp.CurrentTime: _current("curtime"),
    exp.UtcTimestamp: _current("utc_timestamp"),
    exp.UtcDate: lambda n: _call("utc_date"),
    exp.UtcTime: _current("utc_time"),
    exp.UnixToTime: lambda n: _call("from_unixtime", n.this, _format_arg(n.args.get("format"))),
    exp.TimeToStr: _time_to_str,
    exp.StrToTime: lambda n: _call("str_to_date", n.this, _format_arg(n.args.get("format"))),
    exp.StrToDate: lambda n: _call("str_to_date", n.this, _format_arg(n.args.get("format"))),
    exp.DateAdd: lambda n: _call("date_add", n.this, n.expression, _unit(n)),
    exp.DateSub: lambda n: _call("date_sub", n.this, n.expression, _unit(n)),
    exp.TimestampAdd: lambda n: _call("date_add", n.this, n.expression, _unit(n)),
    exp.Add: _interval_arith,
    exp.Sub: _interval_arith,
    exp.DateDiff: lambda n: _call(
        "datediff", _strip(n.this, exp.TsOrDsToDate), _strip(n.expression, exp.TsOrDsToDate)
    ),
    exp.TimestampDiff: lambda n: _call("timestampdiff", _unit(n), n.expression, n.this),
    exp.Year: _unary("year"),
    exp.Month: _unary("month"),
    exp.Day: _unary("day"),
    exp.DayOfMonth: _unary("day"),
    exp.Hour: lambda n: _call("hour", n.this),
    exp.Minute: lambda n: _call("minute", n.this),
    exp.Second: lambda n: _call("second", n.this),
    exp.DayOfWeek: _unary("dayofweek"),
    exp.DayOfYear: _unary("dayofyear"),
    exp.Quarter: _unary("quarter"),
    exp.Week: lambda n: _call("week", _date_arg(n), n.args.get("mode")),
    exp.LastDay: _unary("last_day"),
    exp.Dayname: _unary("dayname"),
    exp.TsOrDsToDate: lambda n: _call("date", n.this),
    exp.TsOrDsToTimestamp: lambda n: _call("datetime", n.this),
    exp.Time: lambda n: _call("time", n.this),
    exp.Timestamp: lambda n: _call("timestamp", n.this, n.args.get("zone")),
    exp.Extract: _extract_node,
    exp.ConcatWs: lambda n: _call("concat_ws", *n.expressions),
    # CONCAT(x) of one argument is still a string; several generate ``a || b`` (NULL-safe)
    exp.Concat: lambda n: _call("cast_char", n.expressions[0]) if len(n.expressions) == 1 else None,
    exp.Left: lambda n: _call("left", n.this, n.expression),
    exp.Right: lambda n: _call("right", n.this, n.expression),
    exp.Pad: lambda n: _call(
        "lpad" if n.args.get("is_left") else "rpad",
        n.this,
        n.expression,
        n.args.get("fill_pattern"),
    ),
    exp.Repeat: lambda n: _call("repeat", n.this, n.args.get("times")),
    exp.Reverse: lambda n: _call("reverse", n.this),
    exp.Space: lambda n: _call("space", n.this),
    exp.StrPosition: lambda n: _call(
        "locate", n.args.get("substr"), n.this, n.args.get("position")
    ),
    exp.Substring: lambda n: _call("substring", n.this, n.args.get("start"), n.args.get("length")),
    exp.SubstringIndex: lambda n: _call(
        "substring_index", n.this, n.args.get("delimiter"), n.args.get("count")
    ),
    exp.Elt: lambda n: _call("elt", n.this, *n.expressions),
    exp.Stuff: lambda n: _call(
        "insert", n.this, n.args.get("start"), n.args.get("length"), n.expression
    ),
    exp.Trim: _trim_node,
    exp.Upper: lambda n: _call("upper", n.this),
    exp.Lower: lambda n: _call("lower", n.this),
    exp.Length: lambda n: _call("length" if n.args.get("binary") else "char_length", n.this),
    exp.BitLength: lambda n: _call("bit_length", n.this),
    exp.Ascii: lambda n: _call("ascii", n.this),
    exp.Chr: lambda n: _call("char", *n.expressions),
    exp.Hex: lambda n: _call("hex", n.this),
    exp.Unhex: lambda n: _call("unhex", n.this),
    exp.MD5: lambda n: _call("md5", n.this),
    exp.SHA: lambda n: _call("sha1", n.this),
    exp.SHA2: lambda n: _call("sha2", n.this, n.args.get("length") or exp.Literal.number(256)),
    exp.Uuid: lambda n: _call("uuid"),
    exp.ToBase64: lambda n: _call("to_base64", n.this),
    exp.FromBase64: lambda n: _call("from_base64", n.this),
    exp.NumberToStr: lambda n: _call("format", n.this, n.args.get("format"), n.args.get("culture")),
    exp.Soundex: lambda n: _call("soundex", n.this),
    exp.Round: _round_node,
    exp.Trunc: lambda n: _call("truncate", n.this, n.args.get("decimals") or exp.Literal.number(0)),
    exp.Ceil: lambda n: _call("ceil", n.this),
    exp.Floor: lambda n: _call("floor", n.this),
    exp.Mod: lambda n: _call("mod", n.this, n.expression),
    exp.Rand: _rand_node,
    exp.BitwiseCount: lambda n: _call("bit_count", n.this),
    exp.JSONExtract: lambda n: _call(
        "json_extract", n.this, _path_arg(n.expression), *n.expressions
    ),
    exp.JSONExtractScalar: lambda n: _call("json_value", n.this, _path_arg(n.expression)),
    exp.JSONType: lambda n: _call("json_type", n.this),
    exp.JSONKeys: lambda n: _call("json_keys", n.this, _path_arg(n.expression)),
    exp.JSONSet: _json_modify("json_set"),
    exp.JSONArrayAppend: _json_modify("json_array_append"),
    exp.JSONRemove: lambda n: _call("json_remove", n.this, *(_path_arg(p) for p in n.expressions)),
    exp.JSONObjectAgg: lambda n: _json_objectagg(n),
    exp.RegexpLike: _regexp_like_node,
    exp.RegexpReplace: lambda n: _call(
        "regexp_replace",
        n.this,
        n.expression,
        n.args.get("replacement"),
        n.args.get("position")
        or (exp.Literal.number(1) if n.args.get("occurrence") or n.args.get("modifiers") else None),
        n.args.get("occurrence") or (exp.Literal.number(0) if n.args.get("modifiers") else None),
        n.args.get("modifiers"),
    ),
    exp.RegexpSubstr: lambda n: _call(
        "regexp_substr",
        n.this,
        n.expression,
        n.args.get("position"),
        n.args.get("occurrence"),
        n.args.get("parameters"),
    ),
    exp.RegexpInstr: lambda n: _call(
        "regexp_instr",
        n.this,
        n.expression,
        n.args.get("position"),
        n.args.get("occurrence"),
        n.args.get("option"),
        n.args.get("parameters"),
    ),
    exp.GroupConcat: _group_concat,
    exp.BitwiseAndAgg: lambda n: _call("bit_and", n.this),
    exp.BitwiseOrAgg: lambda n: _call("bit_or", n.this),
    exp.BitwiseXorAgg: lambda n: _call("bit_xor", n.this),
    exp.Cast: _cast,
}


def _json_object_node(node: exp.JSONObject) -> exp.Expression:
    keys: list[exp.Expression] = []
    values: list[exp.Expression] = []
    for pair in node.expressions:
        if isinstance(pair, exp.JSONKeyValue):
            keys.append(pair.this)
            values.append(pair.expression)
    flags, converted = _json_value_args(values)
    args: list[exp.Expression] = []
    for key, value in zip(keys, converted, strict=True):
        args.extend((key, value))
    return _call("json_object", _str("".join(f"0{f}" for f in flags)), *args)


_HANDLERS[exp.JSONObject] = _json_object_node


def rewrite(expression: exp.Expression) -> exp.Expression:
    """Replace MySQL functions SQLite lacks or gets wrong by ``__av_*`` calls, in place.

    One pre-order walk, so a handler sees its arguments as sqlglot parsed them (and can drop
    sqlglot's implicit casts); replaced nodes' children are reused, and reached later.
    Idempotent: ``__av_*`` calls and nodes left alone are never rewritten again.
    """
    handlers = _HANDLERS
    for node in list(expression.walk()):
        handler = handlers.get(type(node))
        if handler is None:
            continue
        if node is not expression and node.parent is None:
            continue  # detached by an ancestor's rewrite (an implicit cast it dropped)
        replacement = handler(node)
        if replacement is None or replacement is node:
            continue
        if node is expression:
            expression = replacement
        else:
            node.replace(replacement)
    return expression
