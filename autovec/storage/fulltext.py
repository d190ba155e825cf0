"""Full-text indexes on SQLite FTS5: one FTS5 table per index, kept current by triggers.

Layout (all inside the attached database file that holds the table):
- ``__av_fts__<table>__<index>``: a *contentless-delete* FTS5 table (``content=''``,
  ``contentless_delete=1``) whose rowid is the base row's rowid and whose columns
  ``c0, c1, …`` are the index's columns by position. It stores only the inverted index,
  not a copy of the text.
- triggers ``…__ai`` / ``…__ad`` / ``…__au`` on the base table write every INSERT,
  DELETE and UPDATE through to the FTS5 table inside the same transaction, so the index
  is crash-safe and follows ROLLBACK like the rows do.

Why contentless-delete rather than an external-content table (``content='t'``): an
external-content index must be told the *old* text on delete, so any rewrite of the
stored values behind its back (a column type change, a table rebuild) would corrupt it,
and it reads the base table by name and column names, so a table or column rename would
break it. Deleting by rowid has neither problem: columns are positional and the table
name appears only in the triggers. BM25 needs only the index statistics, which FTS5
keeps for contentless tables too.

Tokenizers (registered per connection by :func:`register`):
- STANDARD: FTS5's built-in ``unicode61`` (split on whitespace and punctuation,
  lower-cased, diacritics kept), so those tables open in any SQLite.
- MULTILINGUAL (``av_multilingual``): words of letters/digits lower-cased; Chinese,
  Japanese and Korean runs as overlapping character bigrams, plus the run's last
  character (a single-character run is that character alone) so one-character queries
  can be answered as prefix queries.
- NGRAM (``av_ngram min max granularity lower``): all character n-grams of length
  min..max inside each word (``word``) or over the whole text (``char``), plus the
  suffixes shorter than ``min`` so shorter queries can be answered as prefix queries.

This module never parses SQL; the SQL layer turns ``FTS_MATCH_WORD`` into queries built
from :func:`match_expression`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import apsw

FTS_PREFIX = "__av_fts__"
PARSERS = ("STANDARD", "MULTILINGUAL", "NGRAM")
BATCH_ROWS = 2000  # rows per step when populating an index (one progress report each)

Progress = Callable[[int, int], None]

# Scripts written without spaces between words: Hangul Jamo, CJK radicals/ideographic
# marks, Hiragana, Katakana (not its punctuation), Bopomofo, Hangul compatibility jamo,
# CJK ideographs (+ extension A, compatibility, planes 2-3), Hangul syllables, half-width
# Katakana.
_CJK = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3041-\u309f\u30a1-\u30fa"
    "\u30fc-\u30ff\u3105-\u312f\u3131-\u318e\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
_MULTILINGUAL_TOKEN = re.compile(f"(?P<cjk>[{_CJK}]+)|[^\\W_{_CJK}]+")
_CJK_CHAR = re.compile(f"[{_CJK}]")
_WORD = re.compile(r"[^\W_]+")


# -- analyzers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Analyzer:
    """How one index turns text into terms: the parser and its NGRAM options."""

    parser: str = "STANDARD"
    min_gram: int = 3
    max_gram: int = 3
    granularity: str = "word"  # NGRAM: grams within words, or over the whole text ("char")
    lower_case: bool = True

    def __post_init__(self) -> None:
        if self.parser not in PARSERS:
            raise ValueError(f"unknown full-text parser {self.parser!r}")
        if not 1 <= self.min_gram <= self.max_gram:
            raise ValueError("min_gram must be at least 1 and at most max_gram")
        if self.granularity not in ("word", "char"):
            raise ValueError("granularity must be 'word' or 'char'")

    @property
    def tokenizer_name(self) -> str:
        return {"STANDARD": "unicode61", "MULTILINGUAL": "av_multilingual"}.get(
            self.parser, "av_ngram"
        )

    @property
    def tokenizer_args(self) -> list[str]:
        if self.parser == "STANDARD":
            return ["remove_diacritics", "0"]
        if self.parser == "NGRAM":
            return [
                str(self.min_gram),
                str(self.max_gram),
                self.granularity,
                "1" if self.lower_case else "0",
            ]
        return []

    def fts5_tokenize(self) -> str:
        """The value of FTS5's ``tokenize=`` option."""
        return " ".join([self.tokenizer_name, *self.tokenizer_args])

    def terms(self, text: str, query: bool = False) -> list[str]:
        """The indexed terms of a text; ``query`` gives the terms to search for instead."""
        if self.parser == "MULTILINGUAL":
            return multilingual_terms(text, query)
        if self.parser == "NGRAM":
            return ngram_terms(
                text, self.min_gram, self.max_gram, self.granularity, self.lower_case, query
            )
        # STANDARD indexes with unicode61; splitting a query the same way in Python is
        # enough, since FTS5 re-tokenizes every quoted query term with the index's tokenizer.
        return [word.lower() for word in _WORD.findall(text)]

    def is_prefix(self, term: str) -> bool:
        """Whether a query term stands for every indexed term it begins (a prefix query)."""
        if self.parser == "NGRAM":
            return len(term) < self.min_gram
        if self.parser == "MULTILINGUAL":
            return len(term) == 1 and _CJK_CHAR.match(term) is not None
        return False

    @property
    def terms_and(self) -> bool:
        """NGRAM query grams must all match (substring search); other parsers OR terms."""
        return self.parser == "NGRAM"


def multilingual_terms(text: str, query: bool = False) -> list[str]:
    """Words lower-cased; CJK runs as overlapping bigrams (see the module docstring)."""
    out: list[str] = []
    for match in _MULTILINGUAL_TOKEN.finditer(text):
        run = match.group("cjk")
        if run is None:
            out.append(match.group().lower())
        elif len(run) == 1:
            out.append(run)
        else:
            out.extend([run[i : i + 2] for i in range(len(run) - 1)])
            if not query:
                out.append(run[-1])
    return out


def ngram_terms(
    text: str,
    min_gram: int,
    max_gram: int,
    granularity: str = "word",
    lower_case: bool = True,
    query: bool = False,
) -> list[str]:
    """Character n-grams; a query gets the longest grams its words allow (AND-ed later)."""
    if lower_case:
        text = text.lower()
    segments = _WORD.findall(text) if granularity == "word" else [text] if text.strip() else []
    out: list[str] = []
    for segment in segments:
        length = len(segment)
        if query:
            if length < min_gram:
                out.append(segment)  # searched as a prefix
            else:
                n = min(max_gram, length)
                out.extend([segment[i : i + n] for i in range(length - n + 1)])
            continue
        for n in range(min_gram, max_gram + 1):
            out.extend([segment[i : i + n] for i in range(length - n + 1)])
        # the suffixes shorter than min_gram, so short queries find word ends too
        out.extend([segment[i:] for i in range(max(0, length - min_gram + 1), length)])
    return out


def _fts5_tokenizer(terms: Callable[[str, bool], list[str]]) -> Any:
    """Adapt a str → terms function to FTS5's interface (UTF-8 bytes in, terms out).

    Terms are handed back without byte offsets: FTS5 indexes token positions and needs
    offsets only for highlight()/snippet(), which autovec does not expose.
    """

    def tokenize(utf8: bytes, flags: int, _locale: str | None) -> list[str]:
        return terms(utf8.decode("utf-8", "replace"), bool(flags & apsw.FTS5_TOKENIZE_QUERY))

    return tokenize


def _multilingual_factory(_con: apsw.Connection, args: list[str]) -> Any:
    if args:
        raise ValueError("av_multilingual takes no arguments")
    return _fts5_tokenizer(multilingual_terms)


def _ngram_factory(_con: apsw.Connection, args: list[str]) -> Any:
    min_gram, max_gram, granularity, lower = (args + ["3", "3", "word", "1"][len(args) :])[:4]
    lo, hi, lower_case = int(min_gram), int(max_gram), lower != "0"

    def terms(text: str, query: bool) -> list[str]:
        return ngram_terms(text, lo, hi, granularity, lower_case, query)

    return _fts5_tokenizer(terms)


def register(conn: apsw.Connection) -> None:
    """Make full-text indexes usable on this connection.

    Registers the tokenizers (FTS5 looks them up whenever it opens an index, and a write
    to an indexed table runs the triggers), and turns on recursive triggers: SQLite fires
    DELETE triggers for rows that ``INSERT OR REPLACE`` removes only in that mode, and
    the index must hear about those deletions.
    """
    conn.register_fts5_tokenizer("av_multilingual", _multilingual_factory)
    conn.register_fts5_tokenizer("av_ngram", _ngram_factory)
    conn.register_fts5_function("av_bm25", _bm25)
    conn.execute("PRAGMA recursive_triggers = ON")


BM25_K1 = 1.2
BM25_B = 0.75


def _bm25(api: apsw.FTS5ExtensionApi, *_args: Any) -> float:
    """BM25 as TiDB scores it (Tantivy's): k1 = 1.2, b = 0.75, IDF = ln(1 + (N - n + 0.5) / (n + 0.5)).

    FTS5's own ``bm25()`` uses the older IDF ``ln((N - n + 0.5) / (n + 0.5))`` floored at
    1e-6, which makes any term found in half the rows score next to nothing — on a small
    table, almost every term. Document frequencies are counted once per query
    (``aux_data``), so each row costs only its own term counts.
    """
    stats = api.aux_data
    if stats is None:
        rows = api.row_count
        counts = []
        for phrase in range(api.phrase_count):
            matching: list[int] = []
            api.query_phrase(phrase, lambda _api, found: found.append(1), matching)
            counts.append(len(matching))
        average = (api.column_total_size(-1) / rows) if rows else 1.0
        idf = [math.log(1 + (rows - n + 0.5) / (n + 0.5)) for n in counts]
        stats = api.aux_data = (idf, average or 1.0)
    idf, average = stats
    length = api.column_size(-1)
    norm = BM25_K1 * (1 - BM25_B + BM25_B * length / average)
    score = 0.0
    for phrase, weight in enumerate(idf):
        tf = sum(len(offsets) for offsets in api.phrase_locations(phrase))
        if tf:
            score += weight * tf * (BM25_K1 + 1) / (tf + norm)
    return score


# -- queries ------------------------------------------------------------------------------


def query_terms(analyzer: Analyzer, text: str) -> list[str]:
    """The terms of a user's query text, as the index's tokenizer produces them."""
    return [term for term in analyzer.terms(text, query=True) if term]


def match_expression(analyzer: Analyzer, text: str, columns: Sequence[int] | None = None) -> str:
    """An FTS5 MATCH expression for a user's query: every term quoted (user text is never
    FTS5 syntax), OR-ed (AND-ed for NGRAM), limited to some index columns if asked.

    No terms gives ``""``, an empty phrase, which matches nothing.
    """
    terms = query_terms(analyzer, text)
    if not terms:
        return '""'
    phrases = [_quote(t) + ("*" if analyzer.is_prefix(t) else "") for t in terms]
    expression = (" AND " if analyzer.terms_and else " OR ").join(phrases)
    if columns is not None:
        expression = "{" + " ".join(f"c{i}" for i in columns) + "} : (" + expression + ")"
    return expression


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


# -- tables and triggers ------------------------------------------------------------------


def fts_table_name(table: str, index: str) -> str:
    return f"{FTS_PREFIX}{table.lower()}__{index.lower()}"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _trigger_names(table: str, index: str) -> list[str]:
    base = fts_table_name(table, index)
    return [f"{base}__ai", f"{base}__ad", f"{base}__au"]


def create(
    conn: apsw.Connection,
    database: str,
    table: str,
    index: str,
    columns: Sequence[str],
    analyzer: Analyzer,
    progress: Progress | None = None,
) -> None:
    """Create the FTS5 table and triggers of one index and index the rows already there."""
    fts = fts_table_name(table, index)
    names = ", ".join(f"c{i}" for i in range(len(columns)))
    tokenize = analyzer.fts5_tokenize().replace("'", "''")
    conn.execute(
        f"CREATE VIRTUAL TABLE {_q(database)}.{_q(fts)} USING fts5({names}, content='', "
        f"contentless_delete=1, tokenize='{tokenize}')"
    )
    populate(conn, database, table, index, columns, progress)
    create_triggers(conn, database, table, index, columns)


def populate(
    conn: apsw.Connection,
    database: str,
    table: str,
    index: str,
    columns: Sequence[str],
    progress: Progress | None = None,
) -> None:
    """(Re)index every row of the table, in rowid batches so progress can be reported."""
    qdb, fts = _q(database), _q(fts_table_name(table, index))
    source = f"{qdb}.{_q(table)}"
    conn.execute(f"INSERT INTO {qdb}.{fts}({fts}) VALUES ('delete-all')")
    total = int(conn.execute(f"SELECT count(*) FROM {source}").fetchone()[0])  # type: ignore[index]
    targets = ", ".join(["rowid", *(f"c{i}" for i in range(len(columns)))])
    values = ", ".join(["rowid", *(_q(c) for c in columns)])
    done, low = 0, -(2**63)
    if progress is not None:
        progress(0, total)
    while True:
        row = conn.execute(
            f"SELECT rowid FROM {source} WHERE rowid >= ? ORDER BY rowid "
            f"LIMIT 1 OFFSET {BATCH_ROWS - 1}",
            (low,),
        ).fetchone()
        high = row[0] if row else 2**63 - 1
        conn.execute(
            f"INSERT INTO {qdb}.{fts}({targets}) SELECT {values} FROM {source} "
            "WHERE rowid BETWEEN ? AND ?",
            (low, high),
        )
        done = min(done + BATCH_ROWS, total) if row else total
        if progress is not None and total:
            progress(done, total)
        if row is None or high == 2**63 - 1:
            return
        low = high + 1


def create_triggers(
    conn: apsw.Connection, database: str, table: str, index: str, columns: Sequence[str]
) -> None:
    """(Re)create the triggers that keep one index current; idempotent.

    Needed again whenever the base table is rebuilt (dropping a table drops its triggers)
    or renamed (the trigger names carry the table name).
    """
    drop_triggers(conn, database, table, index)
    qdb, fts = _q(database), _q(fts_table_name(table, index))
    insert_names, delete_name, update_name = _trigger_names(table, index)
    targets = ", ".join(["rowid", *(f"c{i}" for i in range(len(columns)))])
    new_values = ", ".join(["new.rowid", *(f"new.{_q(c)}" for c in columns)])
    changed = " OR ".join(
        ["old.rowid IS NOT new.rowid", *(f"old.{_q(c)} IS NOT new.{_q(c)}" for c in columns)]
    )
    insert = f"INSERT INTO {fts}({targets}) VALUES ({new_values});"
    delete = f"DELETE FROM {fts} WHERE rowid = old.rowid;"
    on = _q(table)
    conn.execute(f"CREATE TRIGGER {qdb}.{_q(insert_names)} AFTER INSERT ON {on} BEGIN {insert} END")
    conn.execute(f"CREATE TRIGGER {qdb}.{_q(delete_name)} AFTER DELETE ON {on} BEGIN {delete} END")
    conn.execute(
        f"CREATE TRIGGER {qdb}.{_q(update_name)} AFTER UPDATE ON {on} WHEN {changed} "
        f"BEGIN {delete} {insert} END"
    )


def drop_triggers(conn: apsw.Connection, database: str, table: str, index: str) -> None:
    for name in _trigger_names(table, index):
        conn.execute(f"DROP TRIGGER IF EXISTS {_q(database)}.{_q(name)}")


def drop(conn: apsw.Connection, database: str, table: str, index: str) -> None:
    """Drop one index: its triggers and its FTS5 table (and so its shadow tables)."""
    drop_triggers(conn, database, table, index)
    conn.execute(f"DROP TABLE IF EXISTS {_q(database)}.{_q(fts_table_name(table, index))}")


def rename(
    conn: apsw.Connection,
    database: str,
    old_table: str,
    new_table: str,
    index: str,
    columns: Sequence[str],
) -> None:
    """Follow a table rename: the FTS5 table (FTS5 renames its shadow tables) and triggers."""
    drop_triggers(conn, database, old_table, index)
    old, new = fts_table_name(old_table, index), fts_table_name(new_table, index)
    if old != new:
        conn.execute(f"ALTER TABLE {_q(database)}.{_q(old)} RENAME TO {_q(new)}")
    create_triggers(conn, database, new_table, index, columns)


def exists(conn: apsw.Connection, database: str, table: str, index: str) -> bool:
    row = conn.execute(
        f"SELECT 1 FROM {_q(database)}.sqlite_master WHERE type = 'table' AND name = ?",
        (fts_table_name(table, index),),
    ).fetchone()
    return row is not None
