"""A seeded mutation fuzzer for the SQL engine: every failure must be an autovec error.

``tests/test_fuzz.py`` runs a few thousand statements in the suite; run this module to
search longer: ``python -m tests.fuzz_sql --statements 20000 --seed 7``.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import autovec

SETUP = [
    "CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, a VARCHAR(20), b DOUBLE,"
    " c DECIMAL(10,2), d DATETIME, j JSON, u BIGINT UNSIGNED, KEY ka (a))",
    "CREATE TABLE v (id INT PRIMARY KEY, e VECTOR(3), note TEXT,"
    " VECTOR INDEX idx_e ((VEC_COSINE_DISTANCE(e))))",
    "CREATE TABLE f (id INT PRIMARY KEY, body TEXT, FULLTEXT INDEX ft (body) WITH PARSER STANDARD)",
    "INSERT INTO t (a, b, c, d, j, u) VALUES ('x', 1.5, 2.25, '2024-01-02 03:04:05',"
    " '{\"k\": [1, 2]}', 7), ('y', NULL, -1, NULL, NULL, 18446744073709551615)",
    "INSERT INTO v VALUES (1, '[1,0,0]', 'one'), (2, '[0,1,0]', 'two'), (3, '[0,0,1]', NULL)",
    "INSERT INTO f VALUES (1, 'the quick brown fox'), (2, 'lazy dogs sleep')",
]

# Statements in the dialect's every corner; the fuzzer mutates them token by token.
CORPUS = [
    "SELECT 1",
    "SELECT 1 + 2 * 3, 'a' 'b', \"dq\", NULL, TRUE, 0x41, b'101', X'4142'",
    "SELECT id, a FROM t WHERE a IN ('x', 'y') AND b IS NOT NULL ORDER BY id DESC LIMIT 1, 2",
    "SELECT a, COUNT(*), SUM(b), AVG(c), GROUP_CONCAT(a ORDER BY id SEPARATOR ';')"
    " FROM t GROUP BY a HAVING COUNT(*) > 0",
    "SELECT * FROM t AS x JOIN t AS y ON x.id = y.id LEFT JOIN v ON v.id = x.id",
    "SELECT id FROM t WHERE id IN (SELECT id FROM v WHERE note LIKE 'o%')",
    "WITH RECURSIVE r (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r",
    "SELECT id, ROW_NUMBER() OVER (PARTITION BY a ORDER BY b) FROM t",
    "SELECT CASE WHEN b > 1 THEN 'big' ELSE 'small' END, IF(a = 'x', 1, 0), IFNULL(b, 0) FROM t",
    "SELECT COALESCE(NULL, a), NULLIF(a, 'x'), GREATEST(1, 2), LEAST('a', 'b') FROM t",
    "SELECT CAST(b AS SIGNED), CAST('12' AS UNSIGNED), CONVERT(a, CHAR), CAST(1.5 AS DECIMAL(5,2))",
    "SELECT CONCAT(a, '-', id), SUBSTRING(a, 1, 2), REPLACE(a, 'x', 'z'), UPPER(a), LENGTH(a) FROM t",
    "SELECT DATE_ADD(d, INTERVAL 1 DAY), DATE_FORMAT(d, '%Y-%m'), TIMESTAMPDIFF(SECOND, d, NOW())"
    " FROM t",
    "SELECT JSON_EXTRACT(j, '$.k[0]'), j->'$.k', j->>'$.k', JSON_LENGTH(j), JSON_OBJECT('a', 1)"
    " FROM t",
    "SELECT CONV('ff', 16, 10), FIELD('b', 'a', 'b'), ELT(2, 'a', 'b'), HEX('a'), ROUND(2.5)",
    "SELECT id, VEC_COSINE_DISTANCE(e, '[1,0,0]') AS d FROM v ORDER BY d LIMIT 2",
    "SELECT id FROM v ORDER BY VEC_L2_DISTANCE(e, '[0.5,0.5,0]') LIMIT 3",
    "SELECT VEC_DIMS(e), VEC_L2_NORM(e), VEC_AS_TEXT(e), VEC_NEGATIVE_INNER_PRODUCT(e, e) FROM v",
    "SELECT VEC_FROM_TEXT('[1,2,3]'), VEC_L1_DISTANCE('[1,2]', '[3,4]')",
    "SELECT id, fts_match_word('fox', body) FROM f WHERE fts_match_word('quick fox', body)",
    "INSERT INTO t (a, b) VALUES ('z', 3) ON DUPLICATE KEY UPDATE b = VALUES(b) + 1",
    "INSERT INTO v VALUES (9, '[1,1,1]', 'nine')",
    "INSERT INTO t (a) SELECT note FROM v WHERE id > 1",
    "REPLACE INTO v VALUES (1, '[1,0,0.5]', 'uno')",
    "UPDATE t SET b = b * 2, a = CONCAT(a, '!') WHERE id = 1",
    "UPDATE v SET e = '[0,0,2]' WHERE id = 3",
    "DELETE FROM t WHERE b < 0 ORDER BY id LIMIT 1",
    "CREATE TABLE IF NOT EXISTS n (id BIGINT, s TEXT, e VECTOR(2) COMMENT 'hnsw(m=16)')",
    "ALTER TABLE t ADD COLUMN z INT DEFAULT 3, ADD INDEX kz (z)",
    "ALTER TABLE v SET TIFLASH REPLICA 1",
    "ALTER TABLE v ADD VECTOR INDEX idx2 ((VEC_L2_DISTANCE(e))) USING HNSW",
    "CREATE VECTOR INDEX idx3 ON v ((VEC_COSINE_DISTANCE(e)))",
    "CREATE INDEX ib ON t (b)",
    "DROP INDEX ka ON t",
    "RENAME TABLE n TO n2",
    "TRUNCATE TABLE n",
    "SHOW TABLES",
    "SHOW FULL COLUMNS FROM t",
    "SHOW INDEX FROM v",
    "SHOW CREATE TABLE v",
    "SHOW VARIABLES LIKE 'tidb%'",
    "SHOW DATABASES",
    "SHOW WARNINGS",
    "DESCRIBE t",
    "EXPLAIN SELECT id FROM v ORDER BY VEC_COSINE_DISTANCE(e, '[1,0,0]') LIMIT 1",
    "SELECT * FROM information_schema.columns WHERE table_name = 't'",
    "SELECT * FROM information_schema.tiflash_indexes",
    "SET @x = 5, @@session.tidb_isolation_read_engines = 'tikv,tiflash'",
    "SELECT @x, @@version, @@autocommit, DATABASE(), VERSION(), CONNECTION_ID()",
    "SET NAMES utf8mb4",
    "BEGIN",
    "SAVEPOINT s1",
    "ROLLBACK TO SAVEPOINT s1",
    "COMMIT",
    "START TRANSACTION",
    "ROLLBACK",
    "CREATE DATABASE IF NOT EXISTS other",
    "USE other",
    "USE test",
    "DROP TABLE IF EXISTS n2",
    "SELECT a FROM t UNION SELECT note FROM v ORDER BY 1 LIMIT 3",
    "SELECT EXISTS (SELECT 1 FROM t WHERE t.id = 1), 1 BETWEEN 0 AND 2, 'a' REGEXP '^a'",
    "SELECT -b, ~1, 5 DIV 2, 5 MOD 3, 1 << 3, 7 & 3, 1 XOR 0, NOT 1 FROM t",
    "SELECT * FROM t WHERE d > '2020-01-01' AND d < DATE('2030-01-01') OR a <=> NULL",
    "CREATE VECTOR INDEX i9 ON v ((VEC_L2_DISTANCE(e))) COMMENT 'm=8, ef_search=32'",
    "INSERT INTO t (c, u) VALUES (1.005, 18446744073709551615), (-99.5, 0)",
    "INSERT INTO v VALUES (-9223372036854775808, '[0,1,1]', 'min')",
    "SELECT CAST(c AS DECIMAL(65,30)), 0.1 + 0.2, 10 / 4, SUM(c), AVG(u) FROM t",
    "SELECT _utf8mb4'x', N'y', 'a\\0b', CONCAT(e, '!'), GROUP_CONCAT(e) FROM v",
    "SET @vv = (SELECT e FROM v WHERE id = 1)",
    "SELECT @vv, FIRST_VALUE(e) OVER (ORDER BY id), IFNULL(e, '[0,0,0]') FROM v",
]

# What a mutation may insert: tokens that stress the parser and translator.
FRAGMENTS = [
    "(",
    ")",
    ",",
    ";",
    "'",
    '"',
    "`",
    "NULL",
    "SELECT",
    "FROM",
    "WHERE",
    "*",
    "+",
    "-",
    "/",
    "%",
    "=",
    "<",
    ">",
    "!",
    "?",
    "%s",
    "@",
    "@@",
    ".",
    "..",
    "1e309",
    "-1",
    "18446744073709551616",
    "99999999999999999999999999999999999999999999999999999",
    "0.000000000000000000000000000000000001",
    "''",
    "'[1,2'",
    "'[]'",
    "'[1e40,0,0]'",
    "'[NaN]'",
    "VEC_COSINE_DISTANCE(",
    "EMBED_TEXT(",
    "INTERVAL",
    "DAY",
    "AS",
    "AND",
    "OR",
    "ORDER BY",
    "GROUP BY",
    "LIMIT",
    "OFFSET",
    "JOIN",
    "ON",
    "UNION",
    "ALL",
    "DISTINCT",
    "CASE",
    "WHEN",
    "THEN",
    "END",
    "CAST(",
    "VECTOR",
    "VECTOR(0)",
    "VECTOR<DOUBLE>",
    "COMMENT 'm=abc'",
    "COMMENT 'hnsw(m=x)'",
    "DEFAULT",
    "KEY",
    "INDEX",
    "PRIMARY",
    "()",
    "_utf8mb4'x'",
    "N'x'",
    "x'zz'",
    "b'2'",
    "0x",
    "\\",
    "\n",
    "/*",
    "*/",
    "-- ",
    "#",
    "\x00",
    "é",
    "\U0001f600",
    "@a",
    "OVER (",
    "PARTITION BY",
    "ROWS BETWEEN",
    "WITH",
    "RECURSIVE",
    "COMMENT 'hnsw(m=-1)'",
    "'1e999999'",
    "DECIMAL(65,30)",
    "-9223372036854775808",
    "UNSIGNED",
    "DIV",
    "IFNULL(",
    "NULLIF(",
    "OVER",
    "FIRST_VALUE(",
    "t",
    "v",
    "f",
    "id",
    "e",
    "a",
    "j",
    "u",
    "c",
    "d",
    "b",
]

TOKEN = re.compile(r"'(?:[^'\\]|\\.)*'|\"[^\"]*\"|`[^`]*`|\w+|\S")


@dataclass
class Escape:
    """A statement that raised something other than an autovec error."""

    sql: str
    kind: str
    where: str


def mutate(sql: str, rng: random.Random) -> str:
    """One to three token-level edits: delete, duplicate, swap, insert, truncate."""
    tokens = TOKEN.findall(sql)
    for _ in range(rng.randint(1, 3)):
        if not tokens:
            tokens = [rng.choice(FRAGMENTS)]
        i = rng.randrange(len(tokens))
        edit = rng.randrange(6)
        if edit == 0:
            del tokens[i]
        elif edit == 1:
            tokens.insert(i, tokens[i])
        elif edit == 2:
            j = rng.randrange(len(tokens))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif edit == 3:
            tokens.insert(i, rng.choice(FRAGMENTS))
        elif edit == 4:
            tokens[i] = rng.choice(FRAGMENTS)
        else:
            tokens = tokens[: i + 1]
    return " ".join(tokens)


def nest(rng: random.Random) -> str:
    """Deep nesting, the other way statements break parsers."""
    depth = rng.choice([50, 200, 1000])
    shape = rng.randrange(3)
    if shape == 0:
        return "SELECT " + "(" * depth + "1" + ")" * depth
    if shape == 1:
        return "SELECT " + "ABS(" * depth + "1" + ")" * depth
    return "SELECT " + " + ".join(["1"] * depth * 3)


def statements(seed: int, count: int) -> Iterator[str]:
    rng = random.Random(seed)
    for n in range(count):
        if n % 97 == 0:
            yield nest(rng)
        else:
            yield mutate(rng.choice(CORPUS), rng)


def where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    inside = [f for f in frames if "/autovec/" in f.filename] or frames
    last = inside[-1]
    return f"{Path(last.filename).name}:{last.lineno} {last.name}"


def open_fuzz_db(path: Path) -> autovec.Connection:
    conn = autovec.connect(path, autocommit=True)
    cur = conn.cursor()
    for sql in SETUP:
        cur.execute(sql)
    cur.execute("SET max_execution_time = 2000")
    return conn


def execute(cursor: autovec.Cursor, sql: str) -> None:
    cursor.execute(sql)
    if cursor.description is not None:
        cursor.fetchall()


def run_one(
    conn: autovec.Connection,
    sql: str,
    escapes: list[Escape],
    then: Callable[[autovec.Cursor], object] = lambda _cursor: None,
) -> None:
    """Run one statement; record it in ``escapes`` if it raised a non-autovec exception."""
    try:
        cursor = conn.cursor()
        execute(cursor, sql)
        then(cursor)
    except autovec.InternalError as exc:  # the engine's last resort: a bug all the same
        cause = exc.__cause__ or exc
        escapes.append(Escape(sql, f"{type(cause).__name__}: {cause}"[:200], where(cause)))
    except autovec.Error:
        pass
    except Exception as exc:  # the point: anything that is not an autovec error
        escapes.append(Escape(sql, f"{type(exc).__name__}: {exc}"[:200], where(exc)))


def run(
    root: Path, seed: int, count: int, reset_every: int = 300, deadline_s: float = 1e9
) -> tuple[int, list[Escape]]:
    """Run ``count`` mutated statements; returns (statements run, escapes)."""
    escapes: list[Escape] = []
    started = time.monotonic()
    conn: autovec.Connection | None = None
    ran = 0
    for n, sql in enumerate(statements(seed, count)):
        if time.monotonic() - started > deadline_s:
            break
        if n % reset_every == 0:
            if conn is not None:
                conn.close()
            conn = open_fuzz_db(root / f"db{n}")
        assert conn is not None
        ran += 1
        run_one(conn, sql, escapes)
    if conn is not None:
        conn.close()
    return ran, escapes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--statements", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/autovec-fuzz"))
    args = parser.parse_args()
    started = time.monotonic()
    ran, escapes = run(args.dir / str(args.seed), args.seed, args.statements)
    kinds = Counter((e.kind.split(":")[0], e.where) for e in escapes)
    for (kind, place), n in kinds.most_common():
        example = next(e for e in escapes if e.kind.startswith(kind) and e.where == place)
        print(f"{n:5d} {kind} at {place}\n      {example.sql[:160]!r}\n      {example.kind}")
    print(f"{ran} statements, {len(escapes)} escapes, {time.monotonic() - started:.1f}s")
    sys.exit(1 if escapes else 0)


if __name__ == "__main__":
    main()
