"""The search access paths (sql/access_paths.py): which apply, in what order, what each
finds, and how each explains itself; a path that declines hands the search on."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

import autovec
from autovec.sql import exact_search, fulltext, query, vector_index
from autovec.sql.access_paths import Bindings, Candidates, PlanRow, SearchPlan, VectorPath
from autovec.sql.context import ExecContext
from autovec.sql.parser import parse
from autovec.vector import Vector
from tests.conftest import rows

ROWS = 300
SEARCH = "SELECT id FROM items ORDER BY VEC_COSINE_DISTANCE({column}, %s) LIMIT 5"


@pytest.fixture
def items(cur: autovec.Cursor) -> tuple[autovec.Cursor, np.ndarray]:
    """A table with an indexed vector column ``v`` and an unindexed one ``w``."""
    cur.execute(
        "CREATE TABLE items (id INT PRIMARY KEY, body TEXT, v VECTOR(8), w VECTOR(8), "
        "VECTOR INDEX ((VEC_COSINE_DISTANCE(v))), FULLTEXT INDEX ft (body))"
    )
    data = np.random.default_rng(3).standard_normal((ROWS, 8)).astype(np.float32)
    cur.executemany(
        "INSERT INTO items VALUES (%s, %s, %s, %s)",
        [(i, f"row {i}", data[i], data[i]) for i in range(ROWS)],
    )
    return cur, data


def nearest(data: np.ndarray, q: np.ndarray, k: int = 5) -> list[int]:
    cosine = 1 - (data @ q) / (np.linalg.norm(data, axis=1) * np.linalg.norm(q))
    return np.argsort(cosine, kind="stable")[:k].tolist()


def plan(cur: autovec.Cursor, sql: str, q: np.ndarray) -> tuple[query.SelectPlan, Bindings]:
    tree = parse(sql.replace("%s", "?"))[0]
    return query.plan_select(cur.connection.session, tree, [str(Vector(q))])


def test_the_order_of_the_paths() -> None:
    assert query.VECTOR_PATHS == (vector_index.INDEX_SCAN, exact_search.MATRIX_SCAN)
    assert query.TEXT_PATHS == (fulltext.FULL_TEXT_SCAN,)


def test_an_indexed_column_is_searched_by_its_index_then_exactly(
    items: tuple[autovec.Cursor, np.ndarray],
) -> None:
    cur, data = items
    select_plan, _ = plan(cur, SEARCH.format(column="v"), data[0])
    (search,) = select_plan.searches
    assert isinstance(search.path, vector_index.IndexScan)
    assert search.path.index is not None and search.path.index.columns == ["v"]
    assert search.paths[1:] == (exact_search.MATRIX_SCAN,)
    assert select_plan.warnings == []


def test_the_index_does_not_apply_to_another_column_or_metric(
    items: tuple[autovec.Cursor, np.ndarray],
) -> None:
    cur, data = items
    session = cur.connection.session
    for sql, reason in [
        (SEARCH.format(column="w"), "column 'w' does not have ANN index"),
        (SEARCH.format(column="v").replace("COSINE", "L2"), "not ordering by COSINE distance"),
    ]:
        select_plan, _ = plan(cur, sql, data[0])
        (search,) = select_plan.searches
        assert vector_index.INDEX_SCAN.applies(session, search) is None
        assert search.paths == (exact_search.MATRIX_SCAN,)
        assert select_plan.warnings == [("Warning", 1105, f"ANN index not used: {reason}")]


def test_each_vector_path_finds_the_nearest_rows(items: tuple[autovec.Cursor, np.ndarray]) -> None:
    cur, data = items
    session = cur.connection.session
    q = data[7] + 0.01
    select_plan, bindings = plan(cur, SEARCH.format(column="v"), q)
    (search,) = select_plan.searches
    index_scan, matrix_scan = search.paths
    for path in (index_scan, matrix_scan):
        found = path.candidates(session, search, bindings)
        assert found is not None and found.query == Vector(q)
        assert set(nearest(data, q)) <= set(found.rowids.tolist())
    assert rows(cur, SEARCH.format(column="v"), [q]) == [(i,) for i in nearest(data, q)]


def test_a_path_declines_a_null_query(items: tuple[autovec.Cursor, np.ndarray]) -> None:
    cur, data = items
    session = cur.connection.session
    select_plan, bindings = plan(cur, SEARCH.format(column="v"), data[0])
    (search,) = select_plan.searches
    bindings = {name: None for name in bindings}
    assert all(path.candidates(session, search, bindings) is None for path in search.paths)
    assert len(rows(cur, SEARCH.format(column="v"), [None])) == 5  # the plain plan answers


@dataclass
class Declining:
    """A path that applies but answers no bindings, counting how often it was asked."""

    asked: list[int] = field(default_factory=list)

    def applies(self, session: ExecContext, search: SearchPlan) -> VectorPath | None:
        return self

    def candidates(
        self, session: ExecContext, search: SearchPlan, bindings: Bindings
    ) -> Candidates | None:
        self.asked.append(search.slot)
        return None

    def explain(
        self, session: ExecContext, search: SearchPlan, bindings: Bindings
    ) -> list[PlanRow]:
        return []


def test_a_search_the_index_declines_falls_back_to_the_exact_path(
    items: tuple[autovec.Cursor, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    cur, data = items
    declining = Declining()
    monkeypatch.setattr(query, "VECTOR_PATHS", (declining, exact_search.MATRIX_SCAN))
    q = data[11]
    select_plan, bindings = plan(cur, SEARCH.format(column="v"), q)
    assert select_plan.searches[0].paths == (declining, exact_search.MATRIX_SCAN)
    result = select_plan.run(cur.connection.session, bindings)
    assert declining.asked == [0]  # asked first, then the exact path answered
    assert [tuple(r) for r in result.rows] == [(i,) for i in nearest(data, q)]


def test_each_path_explains_itself(items: tuple[autovec.Cursor, np.ndarray]) -> None:
    cur, data = items
    explained = {
        column: rows(cur, "EXPLAIN " + SEARCH.format(column=column), [data[0]])
        for column in ("v", "w")
    }
    assert explained["v"][2][2:4] == ("cop[tiflash]", "table:items, index:vector_index(v)")
    assert str(explained["v"][2][4]).startswith("keep order:false, annIndex:COSINE(v..[")
    assert explained["w"][2][2:4] == ("root", "table:items")
    assert str(explained["w"][2][4]).startswith("exactSearch:COSINE(items.w)")
    for plan_rows in explained.values():
        assert [r[0] for r in plan_rows] == ["Projection_1", "└─TopN_2", "  └─TableFullScan_3"]
        assert plan_rows[1][1] == "5.00" and plan_rows[2][1] == f"{ROWS}.00"


def test_the_full_text_path(items: tuple[autovec.Cursor, np.ndarray]) -> None:
    cur, _ = items
    session = cur.connection.session
    (tree,) = parse("SELECT id FROM items WHERE fts_match_word('row', body)")
    calls = [node for node in tree.walk() if fulltext.FULL_TEXT_SCAN.applies(session, node)]
    assert len(calls) == 1 and not fulltext.FULL_TEXT_SCAN.applies(session, tree)
    assert fulltext.FULL_TEXT_SCAN.explain(session, tree, None) == [
        (
            "TextSearch_1",
            "0.00",
            "cop[tiflash]",
            "fulltext index",
            "textSearch:FTS_MATCH_WORD('row', body)",
        )
    ]
    explained = rows(cur, "EXPLAIN SELECT id FROM items WHERE fts_match_word('row 7', body)")
    assert explained[-1][0] == "TextSearch_1"
    assert rows(cur, "SELECT id FROM items WHERE fts_match_word('7', body) ORDER BY id") == [(7,)]
