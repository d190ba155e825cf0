"""Full-text search (TiDB reference §5) on the real engine: FULLTEXT DDL, FTS_MATCH_WORD,
BM25 scores, CJK and NGRAM parsers, index maintenance, errors, and hybrid search SQL."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

import autovec
from autovec.sql import fulltext
from autovec.sql.parser import parse
from autovec.storage import fulltext as storage
from tests.conftest import rows

# A corpus where every query term is in fewer than half the rows, so FTS5's IDF is > 0.
FRUIT = [
    (1, "apple banana"),
    (2, "Apple apple cherry"),
    (3, "banana cherry date"),
    (4, "date elderberry fig"),
    (5, "fig grape"),
    (6, "grape honeydew kiwi lemon"),
]


def bm25(query: list[str], corpus: list[list[str]], doc: list[str]) -> float:
    """TiDB's (Tantivy's) BM25 by hand: k1 = 1.2, b = 0.75, IDF = ln(1 + (N - n + 0.5) / (n + 0.5));
    one term per query phrase; doc lengths over all indexed columns."""
    k1, b = 1.2, 0.75
    n_docs = len(corpus)
    avgdl = sum(len(d) for d in corpus) / n_docs
    score = 0.0
    for term in query:
        n = sum(term in d for d in corpus)
        idf = math.log(1 + (n_docs - n + 0.5) / (n + 0.5))
        tf = doc.count(term)
        score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(doc) / avgdl))
    return score


@pytest.fixture
def fruit(cur: autovec.Cursor) -> autovec.Cursor:
    cur.execute(
        "CREATE TABLE fruit (id INT PRIMARY KEY, body TEXT, FULLTEXT INDEX ft (body) WITH PARSER STANDARD)"
    )
    cur.executemany("INSERT INTO fruit VALUES (%s, %s)", FRUIT)
    return cur


def ids(cursor: autovec.Cursor, sql: str, params: object = None) -> list[object]:
    return [r[0] for r in rows(cursor, sql, params)]


def fts_objects(conn: autovec.Connection, database: str = "test") -> list[str]:
    """FTS5 tables and triggers that exist in a database file."""
    found = conn.session.conn.execute(
        f'SELECT name FROM "{database}".sqlite_master '
        "WHERE name LIKE '\\_\\_av\\_fts\\_\\_%' ESCAPE '\\' AND type IN ('table', 'trigger') "
        "AND name NOT GLOB '*_data' AND name NOT GLOB '*_idx' AND name NOT GLOB '*_docsize' "
        "AND name NOT GLOB '*_config' ORDER BY name"
    )
    return [r[0] for r in found]


# -- DDL -----------------------------------------------------------------------------------


def test_inline_index_show_index_and_show_create(fruit: autovec.Cursor) -> None:
    index_rows = rows(fruit, "SHOW INDEX FROM fruit")
    ft = [r for r in index_rows if r[2] == "ft"]
    assert len(ft) == 1 and ft[0][4] == "body" and ft[0][10] == "FULLTEXT"
    create = rows(fruit, "SHOW CREATE TABLE fruit")[0][1]
    assert "FULLTEXT INDEX `ft`(`body`) WITH PARSER STANDARD" in create
    assert ids(fruit, "SELECT id FROM fruit WHERE fts_match_word('banana', body) ORDER BY id") == [
        1,
        3,
    ]


def test_alter_table_add_index_indexes_existing_rows_with_progress(
    conn: autovec.Connection, cur: autovec.Cursor
) -> None:
    cur.execute("CREATE TABLE notes (id INT PRIMARY KEY AUTO_INCREMENT, body TEXT)")
    cur.executemany(
        "INSERT INTO notes (body) VALUES (%s)",
        [(f"note number {i}" + (" special" if i % 1000 == 0 else ""),) for i in range(1, 4501)],
    )
    reports: list[tuple[int, int, str]] = []
    conn.session.progress = lambda done, total, label: reports.append((done, total, label))
    cur.execute("ALTER TABLE notes ADD FULLTEXT INDEX ft_body (body) WITH PARSER MULTILINGUAL")
    assert [(d, t) for d, t, _ in reports] == [(0, 4500), (2000, 4500), (4000, 4500), (4500, 4500)]
    assert {label for *_, label in reports} == {"fulltext index ft_body"}
    assert ids(cur, "SELECT id FROM notes WHERE fts_match_word('SPECIAL', body) ORDER BY id") == [
        1000,
        2000,
        3000,
        4000,
    ]


def test_alter_table_add_index_with_columnar_replica_clause(cur: autovec.Cursor) -> None:
    # ADD_COLUMNAR_REPLICA_ON_DEMAND is stripped by the lead's parser support (session.py).
    cur.execute("CREATE TABLE t (id INT PRIMARY KEY, c TEXT)")
    cur.execute("INSERT INTO t VALUES (1, 'stock items')")
    cur.execute(
        "ALTER TABLE t ADD FULLTEXT INDEX (c) WITH PARSER MULTILINGUAL ADD_COLUMNAR_REPLICA_ON_DEMAND"
    )
    assert [r[2] for r in rows(cur, "SHOW INDEX FROM t") if r[10] == "FULLTEXT"] == ["c"]
    assert ids(cur, "SELECT id FROM t WHERE fts_match_word('items', c)") == [1]


def test_create_fulltext_index_statement(conn: autovec.Connection, cur: autovec.Cursor) -> None:
    # CREATE FULLTEXT INDEX … ON … WITH PARSER … depends on the lead's parser support.
    cur.execute("CREATE TABLE t (id INT PRIMARY KEY, c TEXT)")
    cur.execute("INSERT INTO t VALUES (1, 'hello world'), (2, 'goodbye')")
    cur.execute("CREATE FULLTEXT INDEX idx_c ON t (c) WITH PARSER STANDARD")
    assert ids(cur, "SELECT id FROM t WHERE fts_match_word('world', c)") == [1]
    assert fts_objects(conn) == [
        "__av_fts__t__idx_c",
        "__av_fts__t__idx_c__ad",
        "__av_fts__t__idx_c__ai",
        "__av_fts__t__idx_c__au",
    ]
    cur.execute("DROP INDEX idx_c ON t")
    assert fts_objects(conn) == []
    with pytest.raises(autovec.DatabaseError, match="outside of fulltext index"):
        cur.execute("SELECT id FROM t WHERE fts_match_word('world', c)")


def test_index_ddl_errors(cur: autovec.Cursor) -> None:
    cur.execute("CREATE TABLE t (id INT PRIMARY KEY, c TEXT, n INT)")
    with pytest.raises(autovec.DatabaseError, match="Column 'n' cannot be part of FULLTEXT index"):
        cur.execute("ALTER TABLE t ADD FULLTEXT INDEX ft (n) WITH PARSER STANDARD")
    with pytest.raises(autovec.DatabaseError, match="Unsupported parser 'FOO'"):
        cur.execute("ALTER TABLE t ADD FULLTEXT INDEX ft (c) WITH PARSER FOO")
    assert [r for r in rows(cur, "SHOW INDEX FROM t") if r[10] == "FULLTEXT"] == []


def test_drop_and_rename_table_take_the_index_along(
    conn: autovec.Connection, cur: autovec.Cursor
) -> None:
    cur.execute("CREATE TABLE a (id INT PRIMARY KEY, c TEXT, FULLTEXT INDEX ft (c))")
    cur.execute("INSERT INTO a VALUES (1, 'red fox')")
    cur.execute("RENAME TABLE a TO b")
    assert ids(cur, "SELECT id FROM b WHERE fts_match_word('fox', c)") == [1]
    cur.execute("INSERT INTO b VALUES (2, 'blue fox')")
    assert ids(cur, "SELECT id FROM b WHERE fts_match_word('fox', c) ORDER BY id") == [1, 2]
    assert fts_objects(conn) == [
        "__av_fts__b__ft",
        "__av_fts__b__ft__ad",
        "__av_fts__b__ft__ai",
        "__av_fts__b__ft__au",
    ]
    assert [r[0] for r in rows(cur, "SHOW TABLES")] == ["b"]
    cur.execute("DROP TABLE b")
    assert fts_objects(conn) == []


# -- scores -----------------------------------------------------------------------------------


def test_bm25_scores_match_a_hand_computation(fruit: autovec.Cursor) -> None:
    corpus = [body.lower().split() for _, body in FRUIT]
    query = ["apple", "cherry"]
    found = rows(
        fruit,
        "SELECT id, fts_match_word('apple cherry', body) AS score FROM fruit "
        "WHERE fts_match_word('apple cherry', body) "
        "ORDER BY fts_match_word('apple cherry', body) DESC LIMIT 10",
    )
    expected = sorted(
        ((i, bm25(query, corpus, corpus[i - 1])) for i in (1, 2, 3)), key=lambda p: -p[1]
    )
    assert [r[0] for r in found] == [i for i, _ in expected] == [2, 1, 3]
    for (_, score), (_, want) in zip(found, expected, strict=True):
        assert isinstance(score, float)
        assert score == pytest.approx(want, rel=1e-9)


def test_non_matching_rows_score_zero_and_or_semantics(fruit: autovec.Cursor) -> None:
    scores = dict(rows(fruit, "SELECT id, fts_match_word('kiwi zzz', body) FROM fruit"))
    assert scores[6] > 0
    assert all(scores[i] == 0.0 for i in (1, 2, 3, 4, 5))
    # tokens are OR-ed: a row with one of them matches; more matching tokens score higher
    found = rows(
        fruit,
        "SELECT id, fts_match_word('date fig', body) AS s FROM fruit "
        "WHERE fts_match_word('date fig', body) ORDER BY s DESC",
    )
    assert found[0][0] == 4 and sorted(r[0] for r in found) == [3, 4, 5]
    # a repeated term counts more
    apple = dict(rows(fruit, "SELECT id, fts_match_word('apple', body) FROM fruit"))
    assert apple[2] > apple[1] > 0


def test_query_text_is_never_fts5_syntax(fruit: autovec.Cursor) -> None:
    tricky = '"Apple" OR NOT (* {body} : NEAR("x" "y") AND) -'  # words: apple, or, not, …
    sql = f"SELECT id FROM fruit WHERE fts_match_word('{tricky}', body) ORDER BY id"
    assert ids(fruit, sql) == [1, 2]
    assert ids(fruit, "SELECT id FROM fruit WHERE fts_match_word(%s, body) ORDER BY id", (tricky,)) == [1, 2]  # fmt: skip
    assert ids(fruit, "SELECT id FROM fruit WHERE fts_match_word('!!! ...', body)") == []
    assert ids(fruit, "SELECT id FROM fruit WHERE fts_match_word('', body)") == []
    assert rows(fruit, "SELECT fts_match_word('', body) FROM fruit WHERE id = 1") == [(0.0,)]


def test_bound_parameter_as_query(fruit: autovec.Cursor) -> None:
    sql = (
        "SELECT id, fts_match_word(%s, body) AS s FROM fruit WHERE fts_match_word(%s, body) "
        "ORDER BY s DESC"
    )
    first = rows(fruit, sql, ("apple cherry", "apple cherry"))
    assert [r[0] for r in first] == [2, 1, 3]
    literal = rows(
        fruit,
        "SELECT id, fts_match_word('apple cherry', body) AS s FROM fruit "
        "WHERE fts_match_word('apple cherry', body) ORDER BY s DESC",
    )
    assert first == literal
    assert [r[0] for r in rows(fruit, sql, ("grape", "grape"))] == [5, 6]  # cached plan, new text
    assert ids(fruit, "SELECT id FROM fruit WHERE fts_match_word(%s, body)", (None,)) == []


def test_where_uses_the_index(fruit: autovec.Cursor) -> None:
    plan = rows(fruit, "EXPLAIN SELECT id FROM fruit WHERE fts_match_word('apple', body)")
    details = " | ".join(str(r[4]) for r in plan)
    assert "__av_fts__fruit__ft VIRTUAL TABLE" in details
    assert "SCAN test.fruit" not in details  # rows are fetched by rowid, not scanned
    tree = parse(fulltext.normalize_text("SELECT 1 FROM t WHERE fts_match_word('a b' WITH PARSER ngram, c)"))  # fmt: skip
    assert fulltext.explain_text_searches(tree[0]) == [
        "textSearch:FTS_MATCH_WORD('a b' WITH PARSER NGRAM, c)"
    ]


def test_match_against_natural_language_mode(fruit: autovec.Cursor) -> None:
    assert rows(
        fruit,
        "SELECT id, MATCH (body) AGAINST ('apple cherry') AS s FROM fruit "
        "WHERE MATCH (body) AGAINST ('apple cherry' IN NATURAL LANGUAGE MODE) ORDER BY s DESC",
    ) == rows(
        fruit,
        "SELECT id, fts_match_word('apple cherry', body) AS s FROM fruit "
        "WHERE fts_match_word('apple cherry', body) ORDER BY s DESC",
    )
    with pytest.raises(autovec.NotSupportedError):
        fruit.execute("SELECT id FROM fruit WHERE MATCH (body) AGAINST ('+apple' IN BOOLEAN MODE)")


# -- columns -----------------------------------------------------------------------------------


def test_multi_column_calls(cur: autovec.Cursor) -> None:
    cur.execute(
        "CREATE TABLE art (id INT PRIMARY KEY, title TEXT, body TEXT, note TEXT, "
        "FULLTEXT INDEX tb (title, body) WITH PARSER STANDARD, "
        "FULLTEXT INDEX nt (note) WITH PARSER STANDARD)"
    )
    cur.execute(
        "INSERT INTO art VALUES (1, 'solar power', 'panels on roofs', 'x'), "
        "(2, 'wind farms', 'solar and wind', 'y'), (3, 'coal', 'mines', 'solar'), "
        "(4, 'hydro', 'dams', 'z'), (5, 'tidal', 'waves', 'w')"
    )
    # one index over both columns: OR across them
    assert ids(cur, "SELECT id FROM art WHERE fts_match_word('solar', title, body) ORDER BY id") == [1, 2]  # fmt: skip
    # one column of a two-column index: only that column
    assert ids(cur, "SELECT id FROM art WHERE fts_match_word('solar', body)") == [2]
    assert ids(cur, "SELECT id FROM art WHERE fts_match_word('solar', title)") == [1]
    # columns of different indexes: matches OR-ed, scores added
    assert ids(cur, "SELECT id FROM art WHERE fts_match_word('solar', title, note) ORDER BY id") == [1, 3]  # fmt: skip
    both = dict(rows(cur, "SELECT id, fts_match_word('solar', title, note) FROM art"))
    title = dict(rows(cur, "SELECT id, fts_match_word('solar', title) FROM art"))
    note = dict(rows(cur, "SELECT id, fts_match_word('solar', note) FROM art"))
    assert both == pytest.approx({k: title[k] + note[k] for k in both})
    # AND: several calls
    assert ids(
        cur,
        "SELECT id FROM art WHERE fts_match_word('solar', body) AND fts_match_word('wind', title)",
    ) == [2]
    # qualified columns and aliases
    assert ids(cur, "SELECT a.id FROM art AS a WHERE fts_match_word('coal', a.title)") == [3]


# -- parsers -----------------------------------------------------------------------------------


def test_multilingual_parser_finds_chinese_japanese_korean(cur: autovec.Cursor) -> None:
    cur.execute(
        "CREATE TABLE items (id INT PRIMARY KEY, title TEXT, "
        "FULLTEXT INDEX (title) WITH PARSER MULTILINGUAL, "
        "FULLTEXT INDEX std (title) WITH PARSER STANDARD)"
    )
    cur.executemany(
        "INSERT INTO items VALUES (%s, %s)",
        [
            (1, "イヤホン bluetooth ワイヤレスイヤホン"),
            (2, "我们的衣服的品質很好"),
            (3, "한국어를 배우는 학생"),
            (4, "Wireless Headphones"),
            (5, "东京大学的学生"),
            (6, "ノートパソコン"),
        ],
    )

    def search(query: str, parser: str = "MULTILINGUAL") -> list[object]:
        return ids(
            cur,
            f"SELECT id FROM items WHERE fts_match_word('{query}' WITH PARSER {parser}, title) "
            f"ORDER BY fts_match_word('{query}' WITH PARSER {parser}, title) DESC",
        )

    assert search("衣服") == [2]
    assert search("イヤホン") == [1]
    assert search("BLUETOOTH") == [1]
    assert search("한국어") == [3]
    assert search("学生") == [5]  # 학생 (row 3) is Korean, not the same characters
    assert search("东京大学") == [5]
    assert search("パソコン") == [6]
    assert search("wireless") == [4]
    assert search("衣") == [2]  # a single character: every bigram it begins, or ends a run
    assert search("好") == [2]
    # STANDARD keeps a CJK run as one token: only the whole run matches
    assert search("衣服", "STANDARD") == []
    assert search("イヤホン", "STANDARD") == [1]


def test_ngram_parser_substring_matching(cur: autovec.Cursor) -> None:
    cur.execute(
        "CREATE TABLE codes (id INT PRIMARY KEY, c TEXT, FULLTEXT INDEX ng (c) WITH PARSER NGRAM)"
    )
    cur.execute(
        "INSERT INTO codes VALUES (1, 'database systems'), (2, 'data science'), "
        "(3, 'Big Tables'), (4, 'metadata')"
    )
    assert ids(cur, "SELECT id FROM codes WHERE fts_match_word('abase', c)") == [1]
    assert ids(cur, "SELECT id FROM codes WHERE fts_match_word('DATA', c) ORDER BY id") == [1, 2, 4]
    assert ids(cur, "SELECT id FROM codes WHERE fts_match_word('ata sci', c)") == [2]  # AND-ed
    assert ids(cur, "SELECT id FROM codes WHERE fts_match_word('tab', c) ORDER BY id") == [1, 3]
    assert ids(cur, "SELECT id FROM codes WHERE fts_match_word('ble', c)") == [3]
    assert ids(cur, "SELECT id FROM codes WHERE fts_match_word('ms', c)") == [1]  # word end
    assert ids(cur, "SELECT id FROM codes WHERE fts_match_word('xyz', c)") == []


def test_tokenizers_directly() -> None:
    assert storage.multilingual_terms("衣服的品質 Bluetooth") == [
        "衣服",
        "服的",
        "的品",
        "品質",
        "質",
        "bluetooth",
    ]
    assert storage.multilingual_terms("衣服的", query=True) == ["衣服", "服的"]
    assert storage.ngram_terms("Hello", 3, 3) == ["hel", "ell", "llo", "lo", "o"]
    assert storage.ngram_terms("Hello", 2, 3, query=True) == ["hel", "ell", "llo"]
    assert storage.match_expression(storage.Analyzer("NGRAM"), "ab cde") == '"ab"* AND "cde"'
    assert (
        storage.match_expression(storage.Analyzer("STANDARD"), 'say "hi"', [1])
        == '{c1} : ("say" OR "hi")'
    )


def test_with_parser_text_is_normalised_outside_strings_only() -> None:
    assert fulltext.normalize_text("SELECT FTS_MATCH_WORD('a' WITH PARSER ngram, c)") == (
        "SELECT FTS_MATCH_WORD(__av_fts_parser('a', 'NGRAM'), c)"
    )
    text = "SELECT 'fts_match_word(''a'' WITH PARSER x, c)'"
    assert fulltext.normalize_text(text) == text


# -- index maintenance -----------------------------------------------------------------------------


def test_index_follows_writes_and_rollback(conn: autovec.Connection, cur: autovec.Cursor) -> None:
    cur.execute("CREATE TABLE t (id INT PRIMARY KEY, c TEXT, FULLTEXT INDEX ft (c))")
    cur.execute("INSERT INTO t VALUES (1, 'alpha beta'), (2, 'gamma')")
    assert cur.rowcount == 2  # the index's own writes are not counted
    search = "SELECT id FROM t WHERE fts_match_word(%s, c) ORDER BY id"
    cur.execute("UPDATE t SET c = 'delta' WHERE id = 1")
    assert cur.rowcount == 1
    assert ids(cur, search, ("alpha",)) == [] and ids(cur, search, ("delta",)) == [1]
    cur.execute("UPDATE t SET id = 10 WHERE id = 1")
    assert ids(cur, search, ("delta",)) == [10]
    cur.execute("DELETE FROM t WHERE id = 10")
    assert cur.rowcount == 1
    assert ids(cur, search, ("delta",)) == []
    cur.execute("REPLACE INTO t VALUES (2, 'epsilon')")
    assert ids(cur, search, ("gamma",)) == [] and ids(cur, search, ("epsilon",)) == [2]
    cur.execute("INSERT INTO t VALUES (2, 'zeta') ON DUPLICATE KEY UPDATE c = 'eta'")
    assert ids(cur, search, ("epsilon",)) == [] and ids(cur, search, ("eta",)) == [2]
    cur.execute("BEGIN")
    cur.execute("INSERT INTO t VALUES (3, 'theta')")
    cur.execute("UPDATE t SET c = 'iota' WHERE id = 2")
    assert ids(cur, search, ("theta",)) == [3]  # a transaction sees its own writes
    cur.execute("ROLLBACK")
    assert ids(cur, search, ("theta",)) == [] and ids(cur, search, ("eta",)) == [2]
    cur.executemany("INSERT INTO t VALUES (%s, %s)", [(4, "kappa"), (5, "kappa lambda")])
    assert cur.rowcount == 2
    assert ids(cur, search, ("kappa",)) == [4, 5]
    fts = '"test"."__av_fts__t__ft"'
    conn.session.conn.execute(f"INSERT INTO {fts}(\"__av_fts__t__ft\") VALUES ('integrity-check')")
    assert conn.session.conn.execute(f"SELECT count(*) FROM {fts}").fetchone() == (3,)


def test_index_survives_table_rebuilds(conn: autovec.Connection, cur: autovec.Cursor) -> None:
    cur.execute("CREATE TABLE t (id INT PRIMARY KEY, c TEXT, FULLTEXT INDEX ft (c))")
    cur.execute("INSERT INTO t VALUES (1, 'old text'), (2, 'other words')")
    cur.execute("ALTER TABLE t ADD COLUMN x INT")  # rebuilds the SQLite table
    search = "SELECT id FROM t WHERE fts_match_word(%s, c) ORDER BY id"
    assert ids(cur, search, ("text",)) == [1]
    cur.execute("INSERT INTO t VALUES (3, 'new text', 1)")
    cur.execute("UPDATE t SET c = 'fresh' WHERE id = 1")
    assert ids(cur, search, ("text",)) == [3] and ids(cur, search, ("fresh",)) == [1]
    cur.execute("ALTER TABLE t RENAME COLUMN c TO body")
    assert ids(cur, "SELECT id FROM t WHERE fts_match_word('fresh', body)") == [1]
    cur.execute("UPDATE t SET body = 'renamed column' WHERE id = 2")
    assert ids(cur, "SELECT id FROM t WHERE fts_match_word('column', body)") == [2]
    with pytest.raises(autovec.OperationalError, match="Unknown column 'c' in 'fts_match_word'"):
        cur.execute("SELECT id FROM t WHERE fts_match_word('fresh', c)")
    cur.execute("ALTER TABLE t MODIFY COLUMN body VARCHAR(100)")
    assert ids(cur, "SELECT id FROM t WHERE fts_match_word('text', body)") == [3]
    assert len(fts_objects(conn)) == 4


# -- errors ------------------------------------------------------------------------------------


def test_errors_have_tidb_texts(fruit: autovec.Cursor) -> None:
    fruit.execute("CREATE TABLE plain (id INT PRIMARY KEY, body TEXT)")
    with pytest.raises(autovec.DatabaseError) as info:
        fruit.execute("SELECT id FROM fruit WHERE fts_match_word(body, body)")
    assert info.value.args == (
        1235,
        "This version of TiDB doesn't yet support 'match against a non-constant string'",
    )
    with pytest.raises(autovec.DatabaseError) as info:
        fruit.execute("SELECT id FROM fruit WHERE fts_match_word('a', 'body')")
    assert info.value.args[1] == "not matching a column"
    with pytest.raises(autovec.DatabaseError) as info:
        fruit.execute("SELECT id FROM fruit WHERE fts_match_word('a', x)")
    assert info.value.args == (1054, "Unknown column 'x' in 'fts_match_word'")
    assert info.value.sqlstate == "42S22"
    assert str(info.value) == "1054 (42S22): Unknown column 'x' in 'fts_match_word'"
    for sql in (
        "SELECT id FROM plain WHERE fts_match_word('a', body)",
        "SELECT id FROM fruit WHERE fts_match_word('a' WITH PARSER NGRAM, body)",
        "SELECT s.id FROM (SELECT id, body FROM fruit) AS s WHERE fts_match_word('a', s.body)",
    ):
        with pytest.raises(autovec.DatabaseError) as info:
            fruit.execute(sql)
        assert info.value.args[1] == "cannot use 'FTS_MATCH_WORD()' outside of fulltext index"
    with pytest.raises(autovec.DatabaseError, match="Incorrect parameter count"):
        fruit.execute("SELECT fts_match_word('a') FROM fruit")


# -- hybrid search ----------------------------------------------------------------------------------

HYBRID = """
WITH vec AS (
  SELECT id, ROW_NUMBER() OVER (ORDER BY VEC_COSINE_DISTANCE(embedding, '[1,0,0]')) AS r
  FROM docs ORDER BY VEC_COSINE_DISTANCE(embedding, '[1,0,0]') LIMIT 20
), fts AS (
  SELECT id, ROW_NUMBER() OVER (ORDER BY fts_match_word('quick fox', text) DESC) AS r
  FROM docs WHERE fts_match_word('quick fox', text)
  ORDER BY fts_match_word('quick fox', text) DESC LIMIT 20
)
SELECT d.id, COALESCE(1/(60+vec.r),0) + COALESCE(1/(60+fts.r),0) AS score
FROM docs d LEFT JOIN vec ON d.id = vec.id LEFT JOIN fts ON d.id = fts.id
ORDER BY COALESCE(1/(60+vec.r),0) + COALESCE(1/(60+fts.r),0) DESC
"""


def test_documented_hybrid_search_sql(cur: autovec.Cursor) -> None:
    cur.execute(
        "CREATE TABLE docs (id INT PRIMARY KEY, text TEXT, embedding VECTOR(3), "
        "FULLTEXT INDEX (text) WITH PARSER STANDARD)"
    )
    cur.execute(
        "INSERT INTO docs VALUES "
        "(1, 'the quick brown fox', '[1,0,0]'), "
        "(2, 'a lazy dog sleeps', '[0.9,0.1,0]'), "
        "(3, 'quick quick fox jumps', '[0,1,0]'), "
        "(4, 'brown bear in the woods', '[0.5,0.5,0]'), "
        "(5, 'nothing relevant', '[-0.1,0,1]')"
    )
    # vector ranks: 1, 2, 4, 3, 5; full-text ranks: 3 (quick twice), 1
    vec_rank = {1: 1, 2: 2, 4: 3, 3: 4, 5: 5}
    fts_rank = {3: 1, 1: 2}
    expected = {
        i: 1 / (60 + vec_rank[i]) + (1 / (60 + fts_rank[i]) if i in fts_rank else 0)
        for i in vec_rank
    }
    found = rows(cur, HYBRID)
    assert [r[0] for r in found] == sorted(expected, key=lambda i: -expected[i]) == [1, 3, 2, 4, 5]
    for doc_id, score in found:
        assert score == pytest.approx(expected[doc_id])  # type: ignore[index]


def test_search_inside_cte_join_and_subquery(fruit: autovec.Cursor) -> None:
    fruit.execute("CREATE TABLE tags (fruit_id INT, tag TEXT)")
    fruit.execute("INSERT INTO tags VALUES (2, 'red'), (3, 'dark'), (6, 'green')")
    # rows 2 and 3 both hold 'cherry' once in three words: equal scores, the tag breaks the tie
    found = rows(
        fruit,
        "SELECT t.tag, f.id, fts_match_word('cherry', f.body) AS s FROM tags t JOIN fruit f "
        "ON f.id = t.fruit_id WHERE fts_match_word('cherry', f.body) ORDER BY s DESC, t.tag",
    )
    assert [r[:2] for r in found] == [("dark", 3), ("red", 2)]
    assert found[0][2] == pytest.approx(found[1][2]) and found[0][2] > 0
    scored = rows(
        fruit,
        "SELECT t.tag, fts_match_word('cherry', f.body) AS s FROM tags t JOIN fruit f "
        "ON f.id = t.fruit_id ORDER BY s DESC, t.tag",
    )
    assert scored[2] == ("green", 0.0)
    assert ids(
        fruit,
        "SELECT id FROM fruit WHERE id IN (SELECT id FROM fruit WHERE fts_match_word('fig', body)) "
        "ORDER BY id",
    ) == [4, 5]
    assert rows(
        fruit, "SELECT COUNT(*) FROM fruit WHERE NOT fts_match_word('fig grape', body)"
    ) == [(3,)]


def test_index_persists_across_connections(tmp_path: Path) -> None:
    first = autovec.connect(tmp_path / "data", autocommit=True)
    first.cursor().execute(
        "CREATE TABLE t (id INT PRIMARY KEY, c TEXT, FULLTEXT INDEX (c) WITH PARSER MULTILINGUAL)"
    )
    first.cursor().execute("INSERT INTO t VALUES (1, '衣服的品質')")
    second = autovec.connect(tmp_path / "data", autocommit=True)
    cur = second.cursor()
    cur.execute("INSERT INTO t VALUES (2, '品質管理')")  # the triggers need the tokenizer here too
    assert ids(cur, "SELECT id FROM t WHERE fts_match_word('品質', c) ORDER BY id") == [1, 2]
    assert ids(first.cursor(), "SELECT id FROM t WHERE fts_match_word('管理', c)") == [2]
    first.close()
    second.close()


def test_fast_enough(tmp_path: Path) -> None:
    """A thousand-row table, searched and ranked: well within the test-suite budget."""
    conn = autovec.connect(tmp_path / "perf", autocommit=True)
    cur = conn.cursor()
    cur.execute(
        "CREATE TABLE t (id INT PRIMARY KEY, c TEXT, FULLTEXT INDEX (c) WITH PARSER MULTILINGUAL)"
    )
    cur.executemany(
        "INSERT INTO t VALUES (%s, %s)",
        [(i, f"row {i} word{i % 50} 数据库{'系统' if i % 7 == 0 else ''}") for i in range(1000)],
    )
    top = rows(
        cur,
        "SELECT id FROM t WHERE fts_match_word('word7 系统', c) "
        "ORDER BY fts_match_word('word7 系统', c) DESC LIMIT 5",
    )
    assert len(top) == 5 and all(re.fullmatch(r"\d+", str(r[0])) for r in top)
    conn.close()
