"""MySQL's string functions: SUBSTRING, LOCATE, LPAD, TRIM, HEX, SHA2, FORMAT...

Strings compare case-sensitively (the engine's collation is ``utf8mb4_bin``, TiDB's
default), so LOCATE, FIELD... are case-sensitive as on TiDB.
"""

from __future__ import annotations

import base64
import binascii
import decimal
import hashlib
import uuid
from collections.abc import Callable

from autovec.sql.functions.registry import SqlFunction
from autovec.sql.functions.values import (
    DECIMAL_CONTEXT,
    Value,
    as_bytes,
    as_decimal,
    as_int,
    as_number,
    as_text,
    null_propagating,
)


def _concat_ws(sep: Value, first: Value, *rest: Value) -> str | None:
    """CONCAT_WS(sep, s, …): MySQL wants at least one string after the separator."""
    if sep is None:
        return None
    return as_text(sep).join(as_text(a) for a in (first, *rest) if a is not None)


@null_propagating
def _left(s: Value, n: Value) -> str:
    count = as_int(n)
    return as_text(s)[:count] if count > 0 else ""


@null_propagating
def _right(s: Value, n: Value) -> str:
    count = as_int(n)
    return as_text(s)[-count:] if count > 0 else ""


def _pad(left: bool) -> Callable[..., str | None]:
    @null_propagating
    def pad(s: Value, n: Value, fill: Value = " ") -> str | None:
        text, length, filler = as_text(s), as_int(n), as_text(fill)
        if length < 0:
            return None
        if len(text) >= length:
            return text[:length]
        if not filler:
            return None
        needed = length - len(text)
        padding = (filler * (needed // len(filler) + 1))[:needed]
        return padding + text if left else text + padding

    return pad


@null_propagating
def _repeat(s: Value, n: Value) -> str:
    return as_text(s) * max(as_int(n), 0)


@null_propagating
def _reverse(s: Value) -> str:
    return as_text(s)[::-1]


@null_propagating
def _space(n: Value) -> str:
    return " " * max(as_int(n), 0)


@null_propagating
def _locate(sub: Value, s: Value, pos: Value = 1) -> int:
    """LOCATE(substr, str[, pos]): 1-based, 0 when absent or pos out of range."""
    start = as_int(pos)
    text = as_text(s)
    if start < 1 or start > len(text) + 1:
        return 0
    return text.find(as_text(sub), start - 1) + 1


@null_propagating
def _substring(s: Value, pos: Value, length: Value = ...) -> str:
    """MySQL SUBSTRING: position 0 gives '', a negative position counts from the end."""
    text = as_text(s)
    start = as_int(pos)
    if start == 0 or abs(start) > len(text) or (start < 0 and -start > len(text)):
        return ""
    begin = start - 1 if start > 0 else len(text) + start
    if length is ...:
        return text[begin:]
    count = as_int(length)
    return text[begin : begin + count] if count > 0 else ""


@null_propagating
def _substring_index(s: Value, delim: Value, count: Value) -> str:
    text, sep, n = as_text(s), as_text(delim), as_int(count)
    if not sep or n == 0:
        return ""
    if n > 0:
        return sep.join(text.split(sep)[:n])
    return sep.join(text.split(sep)[n:])


@null_propagating
def _find_in_set(needle: Value, haystack: Value) -> int:
    target, items = as_text(needle), as_text(haystack)
    if "," in target or not items:
        return 0
    parts = items.split(",")
    return parts.index(target) + 1 if target in parts else 0


def _field(needle: Value, first: Value, *rest: Value) -> int:
    """FIELD: string comparison when all are strings, else numeric; NULL never matches."""
    items = (first, *rest)
    if needle is None:
        return 0
    if isinstance(needle, str | bytes) and all(
        isinstance(i, str | bytes) or i is None for i in items
    ):
        target = as_text(needle)
        for index, item in enumerate(items, 1):
            if item is not None and as_text(item) == target:
                return index
        return 0
    number = as_number(needle)
    for index, item in enumerate(items, 1):
        if item is not None and as_number(item) == number:
            return index
    return 0


def _elt(n: Value, *items: Value) -> Value:
    if n is None:
        return None
    index = as_int(n)
    if 1 <= index <= len(items):
        item = items[index - 1]
        return None if item is None else as_text(item)
    return None


@null_propagating
def _insert(s: Value, pos: Value, length: Value, new: Value) -> str:
    text, start, count = as_text(s), as_int(pos), as_int(length)
    if start < 1 or start > len(text):
        return text
    if count < 0 or start - 1 + count > len(text):
        count = len(text) - start + 1
    return text[: start - 1] + as_text(new) + text[start - 1 + count :]


def _trim(which: str) -> Callable[[Value, Value], str | None]:
    """TRIM with a remove string: MySQL removes the whole string repeatedly, not a char set."""

    @null_propagating
    def trim(s: Value, remove: Value) -> str:
        text, sub = as_text(s), as_text(remove)
        if not sub:
            return text
        if which in ("BOTH", "LEADING"):
            while text.startswith(sub):
                text = text[len(sub) :]
        if which in ("BOTH", "TRAILING"):
            while text.endswith(sub):
                text = text[: -len(sub)]
        return text

    return trim


def _case_map(text: str, upper: bool) -> str:
    """MySQL maps case one character to one ('ß' stays 'ß'), unlike str.upper()."""
    mapped = text.upper() if upper else text.lower()
    if len(mapped) == len(text):
        return mapped
    return "".join(m if len(m := (c.upper() if upper else c.lower())) == 1 else c for c in text)


@null_propagating
def _upper(s: Value) -> str:
    return _case_map(as_text(s), True)


@null_propagating
def _lower(s: Value) -> str:
    return _case_map(as_text(s), False)


@null_propagating
def _octet_length(s: Value) -> int:
    return len(as_bytes(s))


@null_propagating
def _bit_length(s: Value) -> int:
    return 8 * len(as_bytes(s))


@null_propagating
def _char_length(s: Value) -> int:
    return len(s) if isinstance(s, bytes) else len(as_text(s))


@null_propagating
def _ascii(s: Value) -> int:
    data = as_bytes(s)
    return data[0] if data else 0


@null_propagating
def _ord(s: Value) -> int:
    text = as_text(s)
    if not text:
        return 0
    result = 0
    for byte in text[0].encode("utf-8"):
        result = result * 256 + byte
    return result


def _binary_result(data: bytes) -> str | bytes:
    """A binary string result: text when it is valid UTF-8, so it compares like MySQL's."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def _char(*codes: Value) -> str | bytes:
    out = bytearray()
    for code in codes:
        if code is None:
            continue
        number = as_int(code) & 0xFFFFFFFF
        chunk = bytearray()
        while True:
            chunk.insert(0, number & 0xFF)
            number >>= 8
            if not number:
                break
        out += chunk
    return _binary_result(bytes(out))


@null_propagating
def _hex(value: Value) -> str:
    """HEX: of a number, its integer in hex; of a string, its bytes."""
    if isinstance(value, int | float):
        number = as_int(value)
        return format(number & 0xFFFFFFFFFFFFFFFF, "X")
    return as_bytes(value).hex().upper()


@null_propagating
def _unhex(value: Value) -> str | bytes | None:
    text = as_text(value)
    if len(text) % 2:
        text = "0" + text
    try:
        return _binary_result(bytes.fromhex(text))
    except ValueError:
        return None


@null_propagating
def _md5(value: Value) -> str:
    return hashlib.md5(as_bytes(value)).hexdigest()


@null_propagating
def _sha1(value: Value) -> str:
    return hashlib.sha1(as_bytes(value)).hexdigest()


@null_propagating
def _sha2(value: Value, bits: Value) -> str | None:
    size = as_int(bits)
    name = {0: "sha256", 224: "sha224", 256: "sha256", 384: "sha384", 512: "sha512"}.get(size)
    if name is None:
        return None
    return hashlib.new(name, as_bytes(value)).hexdigest()


def _uuid() -> str:
    return str(uuid.uuid1())


@null_propagating
def _to_base64(value: Value) -> str:
    encoded = base64.b64encode(as_bytes(value)).decode("ascii")
    return "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


@null_propagating
def _from_base64(value: Value) -> str | bytes | None:
    text = "".join(as_text(value).split())
    try:
        return _binary_result(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        return None


@null_propagating
def _format(value: Value, places: Value, locale: Value = "en_US") -> str:
    """FORMAT(x, d): rounded half away from zero, with thousands separators."""
    digits = max(0, min(as_int(places), 30))
    number = as_decimal(value).quantize(
        decimal.Decimal(1).scaleb(-digits), rounding=decimal.ROUND_HALF_UP, context=DECIMAL_CONTEXT
    )
    text = f"{number:,.{digits}f}"
    if as_text(locale).lower().startswith(("de", "es", "it", "nl", "pt", "id", "da")):
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


@null_propagating
def _strcmp(a: Value, b: Value) -> int:
    x, y = as_text(a), as_text(b)
    return (x > y) - (x < y)


@null_propagating
def _soundex(value: Value) -> str:
    codes = {
        c: str(d)
        for d, letters in enumerate(["aeiouyhw", "bfpv", "cgjkqsxz", "dt", "l", "mn", "r"])
        for c in letters
    }
    letters = [c for c in as_text(value).lower() if c.isalpha()]
    if not letters:
        return ""
    out = letters[0].upper()
    last = codes.get(letters[0], "")
    for c in letters[1:]:
        code = codes.get(c, "")
        if code and code != "0" and code != last:
            out += code
        if c not in "hw":
            last = code
    return out.ljust(4, "0")


FUNCTIONS: tuple[SqlFunction, ...] = (
    SqlFunction("concat_ws", _concat_ws),
    SqlFunction("left", _left),
    SqlFunction("right", _right),
    SqlFunction("lpad", _pad(True)),
    SqlFunction("rpad", _pad(False)),
    SqlFunction("repeat", _repeat),
    SqlFunction("reverse", _reverse),
    SqlFunction("space", _space),
    SqlFunction("locate", _locate),
    SqlFunction("substring", _substring, mysql_names=("MID",)),
    SqlFunction("substring_index", _substring_index),
    SqlFunction("find_in_set", _find_in_set, mysql_names=("FIND_IN_SET",)),
    SqlFunction("field", _field, mysql_names=("FIELD",)),
    SqlFunction("elt", _elt),
    SqlFunction("insert", _insert),
    SqlFunction("trim_both", _trim("BOTH")),
    SqlFunction("trim_leading", _trim("LEADING")),
    SqlFunction("trim_trailing", _trim("TRAILING")),
    SqlFunction("upper", _upper),
    SqlFunction("lower", _lower),
    SqlFunction("length", _octet_length, mysql_names=("OCTET_LENGTH",)),
    SqlFunction("char_length", _char_length),
    SqlFunction("bit_length", _bit_length),
    SqlFunction("ascii", _ascii),
    SqlFunction("ord", _ord, mysql_names=("ORD",)),
    SqlFunction("char", _char),
    SqlFunction("hex", _hex),
    SqlFunction("unhex", _unhex),
    SqlFunction("md5", _md5),
    SqlFunction("sha1", _sha1),
    SqlFunction("sha2", _sha2),
    SqlFunction("uuid", _uuid, deterministic=False),
    SqlFunction("to_base64", _to_base64),
    SqlFunction("from_base64", _from_base64),
    SqlFunction("format", _format),
    SqlFunction("strcmp", _strcmp, mysql_names=("STRCMP",)),
    SqlFunction("soundex", _soundex),
)
