"""JSON compared with non-JSON values compares the SQL value it holds, as in MySQL."""

from __future__ import annotations

import pytest

import autovec
from tests.conftest import rows


@pytest.fixture
def docs(cur: autovec.Cursor) -> autovec.Cursor:
    cur.execute("CREATE TABLE d (id INT PRIMARY KEY, meta JSON)")
    cur.execute(
        'INSERT INTO d VALUES (1, \'{"lang": "fr", "rank": 7, "ok": true, "tags": [1]}\'),'
        ' (2, \'{"lang": "en", "rank": 3, "ok": false, "tags": []}\'), (3, \'{}\')'
    )
    return cur


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("JSON_EXTRACT(meta, '$.lang') = 'fr'", [1]),
        ("meta->'$.lang' = 'fr'", [1]),
        ("meta->>'$.lang' = 'fr'", [1]),
        ("JSON_EXTRACT(meta, '$.lang') <> 'fr'", [2]),  # a missing key is NULL
        ("JSON_EXTRACT(meta, '$.lang') IN ('fr', 'de')", [1]),
        ("JSON_EXTRACT(meta, '$.rank') > 5", [1]),
        ("JSON_EXTRACT(meta, '$.rank') BETWEEN 2 AND 4", [2]),
        ("JSON_EXTRACT(meta, '$.rank') = '7'", []),  # a JSON number is not the string '7'
        ("JSON_EXTRACT(meta, '$.ok') = 1", [1]),
        ("JSON_EXTRACT(meta, '$.lang') = JSON_EXTRACT(meta, '$.lang')", [1, 2]),
    ],
)
def test_json_against_scalars(docs: autovec.Cursor, condition: str, expected: list[int]) -> None:
    assert [r[0] for r in rows(docs, f"SELECT id FROM d WHERE {condition} ORDER BY id")] == expected


def test_json_values_still_print_as_json(docs: autovec.Cursor) -> None:
    assert rows(
        docs, "SELECT JSON_EXTRACT(meta, '$.lang'), meta->'$.tags' FROM d WHERE id = 1"
    ) == [('"fr"', "[1]")]
