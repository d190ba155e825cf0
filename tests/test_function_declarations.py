"""Each SQL function is declared once, and registration and every lookup table follow from it."""

from __future__ import annotations

from collections import Counter

import apsw

from autovec.sql.functions import catalog

DECLARED = (*catalog.SCALARS, *catalog.AGGREGATES)


def test_every_name_is_declared_once() -> None:
    names = Counter(declared.sql_name for declared in DECLARED)
    assert [name for name, count in names.items() if count > 1] == []
    mysql_names = Counter(name for function in catalog.SCALARS for name in function.mysql_names)
    assert [name for name, count in mysql_names.items() if count > 1] == []


def test_register_defines_each_declaration_once_as_declared() -> None:
    conn = apsw.Connection(":memory:")
    catalog.register(conn)
    rows = conn.execute(
        "SELECT name, type, narg, flags FROM pragma_function_list"
        " WHERE name LIKE '\\_\\_av\\_%' ESCAPE '\\' OR name = 'regexp'"
    ).fetchall()
    registered = {name: (kind, narg, flags) for name, kind, narg, flags in rows}
    assert len(rows) == len(registered) == len(DECLARED)
    for function in catalog.SCALARS:
        kind, narg, flags = registered[function.sql_name]
        assert kind == "s"
        assert narg == (function.arity[0] if function.sqlite_operator else -1)
        assert bool(flags & apsw.SQLITE_DETERMINISTIC) == function.deterministic, function.name
    for aggregate in catalog.AGGREGATES:
        assert registered[aggregate.sql_name][0] == "a"


def test_lookup_tables_name_only_declared_functions() -> None:
    scalar_names = {function.name for function in catalog.SCALARS}
    assert set(catalog.ARITY) == scalar_names
    assert set(catalog.ANONYMOUS.values()) <= scalar_names
    assert catalog.JSON_UDFS.issubset(declared.sql_name for declared in DECLARED)
    assert catalog.JSON_ANONYMOUS.issubset(catalog.ANONYMOUS)
    assert catalog.ARITY["json_length"] == (1, 2)
    assert catalog.ANONYMOUS["JSON_LENGTH"] == "json_length"
