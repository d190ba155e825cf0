"""TiDB's SQL dialect: sqlglot's MySQL dialect plus the few things TiDB adds.

The additions are small and live here, one place each:
- ``VECTOR<FLOAT>(D)`` is read as ``VECTOR(D)`` (TiDB's only element type);
- ``%s`` / ``%(name)s`` (PyMySQL's paramstyle) become SQLite placeholders;
- statements sqlglot does not model become TiDB's own nodes (tidb_nodes.py), read
  from the tokens by ``TiDBParser``: ``SAVEPOINT``, ``RELEASE SAVEPOINT``, ``RENAME
  TABLE``, ``ALTER TABLE … SET TIFLASH REPLICA`` / ``COMPACT``, vector and full-text
  index DDL (``CREATE VECTOR|FULLTEXT INDEX``, ``ALTER TABLE … ADD VECTOR INDEX``), and
  the statements accepted and ignored (FLUSH, GRANT, LOCK TABLES, ANALYZE, …).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.dialects.mysql import MySQL
from sqlglot.errors import ParseError, TokenError
from sqlglot.parsers.mysql import MySQLParser
from sqlglot.tokens import Token, TokenType
from sqlglot.trie import new_trie

from autovec import errors
from autovec.sql.tidb_nodes import (
    AddVectorIndex,
    CompactTable,
    CreateFulltextIndex,
    CreateVectorIndex,
    IgnoredStatement,
    MultiSchemaVectorIndex,
    ReleaseSavepoint,
    RenamePair,
    RenameTables,
    Savepoint,
    SecondaryIndex,
    SetTiflashReplica,
    VectorIndex,
)

# sqlglot logs what it finds odd (text kept as a Command, a JSON path it cannot read) to
# stderr; autovec judges those statements itself and answers with MySQL errors instead.
logging.getLogger("sqlglot").setLevel(logging.CRITICAL)

# sqlglot parses, copies and generates recursively, about 15 Python frames per level of
# nesting; Python's default limit of 1,000 would stop at ~40 parentheses where MySQL takes
# hundreds. Python 3.11+ keeps these frames off the C stack, so a higher limit is safe.
NESTING_RECURSION_LIMIT = 50_000
if sys.getrecursionlimit() < NESTING_RECURSION_LIMIT:
    sys.setrecursionlimit(NESTING_RECURSION_LIMIT)


# sqlglot's tokenizer keeps everything after a command word (SAVEPOINT, RELEASE, RENAME)
# as one string token; these read TiDB's forms from that text.
_RENAME_TABLES = re.compile(r"TABLES?\s+(.+)", re.I | re.S)
_RENAME_PAIR = re.compile(r"([`\w.]+)\s+TO\s+([`\w.]+)", re.I)
_SAVEPOINT_NAME = re.compile(r"`?(\w+)`?")
_RELEASE_SAVEPOINT = re.compile(r"SAVEPOINT\s+`?(\w+)`?", re.I)
# The table name TiDB's ALTER TABLE forms take here: written without spaces.
_ALTERED_TABLE = re.compile(r"[`\w.]+")


class TiDBParser(MySQLParser):
    """MySQL's parser, with what TiDB (and its clients) write besides."""

    # Command words whose whole statement TiDB gives a node of its own: the parser of
    # the text after the word, None when the text is not that form (then it stays a
    # Command, which autovec answers with 'not supported', as before).
    TIDB_COMMAND_PARSERS: ClassVar[dict[str, Callable[[str], exp.Expression | None]]] = {
        "SAVEPOINT": lambda rest: _named(Savepoint, _SAVEPOINT_NAME.fullmatch(rest)),
        "RELEASE": lambda rest: _named(ReleaseSavepoint, _RELEASE_SAVEPOINT.fullmatch(rest)),
        "RENAME": lambda rest: _rename_tables(_RENAME_TABLES.fullmatch(rest)),
    }

    # The first token of the statements TiDB reads its own way (one dict lookup for every
    # other statement: parsing is on every statement's path), mapped to their parsers;
    # each returns None, the cursor unmoved, for text that is not its form.
    TIDB_STATEMENT_PARSERS: ClassVar[dict[TokenType, Callable[[TiDBParser], exp.Expr | None]]] = {
        TokenType.ALTER: lambda self: (
            self._parse_vector_index_alter() or self._parse_tidb_alter_table()
        ),
        TokenType.CREATE: lambda self: self._parse_tidb_create(),
        TokenType.DROP: lambda self: self._parse_ignored("DROP", "USER"),
        TokenType.GRANT: lambda self: self._parse_ignored("GRANT"),
        TokenType.REVOKE: lambda self: self._parse_ignored("REVOKE"),
        TokenType.ANALYZE: lambda self: self._parse_ignored("ANALYZE"),
        TokenType.VAR: lambda self: self._parse_ignored("FLUSH"),
        TokenType.COMMAND: lambda self: self._parse_ignored_command() or self._parse_tidb_command(),
        TokenType.RENAME: lambda self: self._parse_tidb_command(),
        TokenType.REPLACE: lambda self: self._parse_replace(),
    }
    # Command words (one token: sqlglot keeps the rest as one string) TiDB accepts and ignores.
    IGNORED_COMMANDS: ClassVar[frozenset[str]] = frozenset(
        {"LOCK TABLES", "UNLOCK TABLES", "OPTIMIZE"}
    )
    # What a table name in TiDB's index DDL may start with (a word or a quoted name).
    TABLE_NAME_START: ClassVar[frozenset[TokenType]] = frozenset(
        MySQLParser.ID_VAR_TOKENS | {TokenType.IDENTIFIER}
    )

    def _parse_statement(self) -> exp.Expr | None:
        parse_tidb = self.TIDB_STATEMENT_PARSERS.get(self._curr.token_type)
        if parse_tidb is not None:
            node = parse_tidb(self)
            if node is not None:
                return node
        return super()._parse_statement()

    def _parse_tidb_command(self) -> exp.Expression | None:
        """SAVEPOINT, RELEASE SAVEPOINT, RENAME TABLE: a command word and its text."""
        command = self._curr
        if command.token_type in self.dialect.tokenizer_class.COMMANDS:
            parse_rest = self.TIDB_COMMAND_PARSERS.get(command.text.upper())
            rest = self._next
            # The form is the whole statement: the word and its text, nothing after.
            whole = self._index + 2 == len(self._tokens)
            if parse_rest and whole and rest and rest.token_type == TokenType.STRING:
                node = parse_rest(rest.text.strip())
                if node is not None:
                    self._advance(2)
                    return node
        return None

    def _parse_tidb_alter_table(self) -> exp.Expression | None:
        """``ALTER TABLE t SET TIFLASH REPLICA n`` / ``ALTER TABLE t COMPACT …`` as their
        nodes, the cursor past the statement; None (cursor unmoved) for any other text."""
        # Only ALTER TABLE pays for more than two looks (parsing is on every statement's path).
        if self._curr is None or self._curr.token_type != TokenType.ALTER:
            return None
        if self._next is None or self._next.token_type != TokenType.TABLE:
            return None
        tokens = self._tokens[self._index :]
        if len(tokens) < 4:
            return None
        words = [token.text.upper() for token in tokens]
        node: exp.Expression | None = None
        if "COMPACT" in words[3:]:  # whatever follows COMPACT is TiFlash's business
            node = self._altered_table(CompactTable, tokens, words.index("COMPACT", 3))
        elif words[-4:-1] == ["SET", "TIFLASH", "REPLICA"] and len(tokens) >= 6:
            count = tokens[-1]
            if count.token_type == TokenType.NUMBER and count.text.isdigit():
                node = self._altered_table(SetTiflashReplica, tokens, len(tokens) - 4)
                if node is not None:
                    node.set("count", exp.Literal.number(int(count.text)))
        if node is not None:
            self._advance(len(tokens))
        return node

    def _altered_table(
        self,
        node_class: type[CompactTable] | type[SetTiflashReplica],
        tokens: list[Token],
        end: int,
    ) -> exp.Expression | None:
        """The node on the table named by ``tokens[2:end]``, None when no name is there."""
        if end < 3:
            return None
        text = self.sql[tokens[2].start : tokens[end - 1].end + 1]
        if not _ALTERED_TABLE.fullmatch(text):
            return None
        return node_class(this=_table_named(text))

    # -- vector and full-text index DDL, statements accepted and ignored --------------------
    # These are whole statements: they are read only where one starts (index 0 of the
    # statement's tokens), never inside another (EXPLAIN ANALYZE …).

    def _parse_tidb_create(self) -> exp.Expression | None:
        """CREATE VECTOR INDEX, CREATE FULLTEXT INDEX, CREATE USER (ignored)."""
        if self._index != 0:
            return None
        kind = self._next
        if kind.token_type == TokenType.VECTOR:
            return self._parse_create_index(CreateVectorIndex)
        if kind.token_type != TokenType.VAR:
            return None
        word = kind.text.upper()
        if word == "FULLTEXT":
            return self._parse_create_index(CreateFulltextIndex)
        if word == "USER":
            return self._parse_ignored("CREATE", "USER")
        return None

    def _parse_create_index(
        self, node_class: type[CreateVectorIndex] | type[CreateFulltextIndex]
    ) -> SecondaryIndex | None:
        """``CREATE VECTOR|FULLTEXT INDEX|KEY [IF NOT EXISTS] name ON t (…) options``."""
        start = self._index
        self._advance(2)  # CREATE VECTOR / CREATE FULLTEXT
        node = None
        if self._match_texts(("INDEX", "KEY")):
            exists = self._match_text_seq("IF", "NOT", "EXISTS")
            name = self._parse_id_var(any_token=False)
            table = self._parse_tidb_table() if name and self._match(TokenType.ON) else None
            if table is not None:
                node = node_class(this=table, name=name, exists=exists or None)
                if not self._parse_key_part(node):
                    node = None
        if node is None:
            self._retreat(start)  # not TiDB's form: sqlglot's reading (or 'not supported')
        return node

    def _parse_vector_index_alter(self) -> exp.Expression | None:
        """``ALTER TABLE t ADD VECTOR INDEX …`` as AddVectorIndex, and ``ALTER TABLE t
        <change>, …, ADD VECTOR INDEX …`` as MultiSchemaVectorIndex; None (cursor unmoved)
        for any other ALTER."""
        if self._index != 0 or self._next.token_type != TokenType.TABLE:
            return None
        start = self._index
        self._advance(2)
        table = self._parse_tidb_table()
        node: exp.Expression | None = None
        if table is None:
            pass
        elif self._match_text_seq("ADD", "VECTOR"):
            if self._match_texts(("INDEX", "KEY")):
                exists = self._match_text_seq("IF", "NOT", "EXISTS")
                name = self._parse_id_var(any_token=False)  # None: ((…)) follows
                index = AddVectorIndex(this=table, name=name, exists=exists or None)
                node = index if self._parse_key_part(index) else None
        elif not self._match_text_seq("COMPACT", advance=False) and self._adds_vector_index_later():
            node = MultiSchemaVectorIndex(this=table)
            self._advance(len(self._tokens) - self._index)
        if node is None:
            self._retreat(start)
        return node

    def _adds_vector_index_later(self) -> bool:
        """Whether ``, ADD VECTOR INDEX|KEY`` follows somewhere in the statement."""
        tokens = self._tokens
        return any(
            tokens[at].token_type == TokenType.COMMA
            and tokens[at + 1].text.upper() == "ADD"
            and tokens[at + 2].text.upper() == "VECTOR"
            and tokens[at + 3].text.upper() in ("INDEX", "KEY")
            for at in range(self._index, len(tokens) - 3)
        )

    def _parse_tidb_table(self) -> exp.Table | None:
        """The table TiDB's index DDL names (``t``, ``db.t``), or None (cursor unmoved)."""
        if self._curr.token_type not in self.TABLE_NAME_START:
            return None
        start = self._index
        table = self._parse_table_parts(schema=True)  # schema: `t (` starts no function call
        if isinstance(table, exp.Table):
            return table
        self._retreat(start)
        return None

    def _parse_key_part(self, node: SecondaryIndex) -> bool:
        """The index's key part and the options after it, set on ``node``; False (the
        cursor anywhere) when the key part is not TiDB's form."""
        if not self._match(TokenType.L_PAREN):
            return False
        if isinstance(node, VectorIndex):
            # ((VEC_COSINE_DISTANCE(col))): the distance expression, in parentheses
            if self._curr.token_type != TokenType.L_PAREN:
                return False
            node.set("expression", self._parse_assignment())
        else:
            node.set("expressions", self._parse_csv(lambda: self._parse_id_var(any_token=False)))
            if not node.expressions:
                return False
        if not self._match(TokenType.R_PAREN):
            return False
        self._parse_index_options(node)
        return True

    def _parse_index_options(self, node: SecondaryIndex) -> None:
        """``USING|TYPE HNSW``, ``COMMENT '…'``, ``WITH PARSER p[(…)]``, ``VISIBLE``,
        ``INVISIBLE``, in any order, to the end of the statement; anything else keeps the
        whole text after the key part as ``unreadable``."""
        end = len(self._tokens)
        if self._index == end:
            return
        first = self._curr
        if self._match(TokenType.COMMA):
            node.set("more_changes", True)
        while self._index < end and not node.args.get("more_changes"):
            if self._match_texts(("USING", "TYPE")):
                if not self._match_text_seq("HNSW"):
                    break
                node.set("using", exp.var("HNSW"))
            elif self._match(TokenType.COMMENT):
                if self._curr.token_type != TokenType.STRING:
                    break
                node.set("comment", self._parse_string())
            elif self._match_text_seq("WITH", "PARSER"):
                if not self._match(TokenType.VAR):
                    break
                node.set("parser", exp.var(self._prev.text))
                if self._match(TokenType.L_PAREN) and not self._skip_past_r_paren():
                    break
            elif self._match_text_seq("INVISIBLE"):
                node.set("visible", False)
            elif not self._match_text_seq("VISIBLE"):
                break
        if self._index < end and not node.args.get("more_changes"):
            node.set("unreadable", exp.Literal.string(self._find_sql(first, self._tokens[-1])))
        self._advance(end - self._index)

    def _skip_past_r_paren(self) -> bool:
        """Past the next ``)`` (a parser's settings, which TiDB's own parsers ignore)."""
        while self._index < len(self._tokens):
            self._advance()
            if self._prev.token_type == TokenType.R_PAREN:
                return True
        return False

    def _parse_replace(self) -> exp.Expression | None:
        """``REPLACE [INTO] …``: MySQL's INSERT that first deletes the rows whose keys the
        new rows repeat, as the Insert node with ``replace`` set."""
        if self._index != 0:
            return None  # REPLACE(…) the string function
        self._advance()
        comments = self._prev_comments
        insert = self._parse_insert()
        insert.add_comments(comments, prepend=True)
        if isinstance(insert, exp.Insert):
            insert.set("replace", True)
        return insert

    def _parse_ignored(self, *words: str) -> IgnoredStatement | None:
        """A statement starting with ``words`` (then anything) as IgnoredStatement."""
        if self._index != 0 or not self._match_text_seq(*words, advance=False):
            return None
        self._advance(len(self._tokens) - self._index)
        return IgnoredStatement(this=exp.var(" ".join(words)))

    def _parse_ignored_command(self) -> IgnoredStatement | None:
        """LOCK TABLES, UNLOCK TABLES, OPTIMIZE: command words, then anything."""
        words = " ".join(self._curr.text.upper().split())
        if self._index != 0 or words not in self.IGNORED_COMMANDS:
            return None
        self._advance(len(self._tokens) - self._index)
        return IgnoredStatement(this=exp.var(words))

    # SHOW INDEXES / SHOW KEYS are MySQL's synonyms of SHOW INDEX (pytidb sends INDEXES).
    SHOW_PARSERS: ClassVar[dict[str, Any]] = {
        **MySQLParser.SHOW_PARSERS,
        "INDEXES": MySQLParser.SHOW_PARSERS["INDEX"],
        "KEYS": MySQLParser.SHOW_PARSERS["INDEX"],
    }
    SHOW_TRIE: ClassVar[dict[str, Any]] = new_trie(key.split(" ") for key in SHOW_PARSERS)

    def _parse_session_parameter(self) -> exp.SessionParameter:
        # ``@@GLOBAL.`name` `` (pytidb quotes the variable it sets): after the scope,
        # MySQL's rule reads only a bare word; take a quoted identifier as well.
        kind = None
        this = self._parse_id_var() or self._parse_primary()
        if this and self._match(TokenType.DOT):
            kind = this.name
            this = self._parse_id_var(any_token=True) or self._parse_primary()
        return self.expression(exp.SessionParameter(this=this, kind=kind))


def _named(
    node_class: type[Savepoint] | type[ReleaseSavepoint], match: re.Match[str] | None
) -> exp.Expression | None:
    """The node naming what ``match`` captured, or None when the text did not match."""
    return node_class(this=exp.to_identifier(match.group(1))) if match else None


def _table_named(text: str) -> exp.Table:
    r"""The table a ``[`\w.]+`` name in TiDB's own forms names (``db.t``, `` `t` ``)."""
    parts = [part.strip("`") for part in text.split(".")]
    if len(parts) == 2:
        return exp.Table(this=exp.to_identifier(parts[1]), db=exp.to_identifier(parts[0]))
    return exp.Table(this=exp.to_identifier(parts[0]))  # as before: the first part names it


def _rename_tables(match: re.Match[str] | None) -> RenameTables | None:
    """The pairs of a RENAME TABLE's text; a malformed pair kept as its text, to refuse
    when the statement reaches it."""
    if match is None:
        return None
    pairs: list[exp.Expression] = []
    for text in re.split(r"\s*,\s*", match.group(1)):
        pair = _RENAME_PAIR.fullmatch(text.strip())
        if pair is None:
            pairs.append(exp.Literal.string(text))
        else:
            old, new = _table_named(pair.group(1)), _table_named(pair.group(2))
            pairs.append(RenamePair(this=old, to=new))
    return RenameTables(expressions=pairs)


class TiDB(MySQL):
    """sqlglot dialect for TiDB; MySQL's rules unless said otherwise."""

    class Tokenizer(MySQL.Tokenizer):
        # MySQL's tokenizer keeps a statement starting with REPLACE as one opaque
        # command; TiDBParser reads REPLACE [INTO] … as the INSERT it is.
        COMMANDS = MySQL.Tokenizer.COMMANDS - {TokenType.REPLACE}

    Parser = TiDBParser


# One pass over the text that knows about quotes and comments, so rewrites never touch
# the inside of a string literal or identifier.
_LEXEME = re.compile(
    r"""'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|`(?:[^`]|``)*`|--[^\n]*|\#[^\n]*|/\*.*?\*/"""
    r"""|%\((?P<named>\w+)\)s|(?P<pos>%s)|(?P<pct>%%)|(?P<vecfloat>VECTOR\s*<\s*FLOAT\s*>)|VECTOR\s*<\s*(?P<vecother>\w+)\s*>""",
    re.S | re.I,
)


def prepare_text(sql: str, with_params: bool) -> str:
    """Normalise TiDB-only lexemes; with parameters, turn ``%s`` into ``?``."""

    def replace(match: re.Match[str]) -> str:
        if match.group("vecfloat"):
            return "VECTOR"
        if match.group("vecother"):  # TiDB's grammar knows VECTOR<FLOAT> only
            start = match.start("vecother")
            raise _near(sql, start, match.end("vecother"), "Only VECTOR is supported for now")
        if with_params:
            if match.group("named"):
                return ":" + match.group("named")
            if match.group("pos"):
                return "?"
            if match.group("pct"):
                return "%"
        return match.group(0)

    if "%" not in sql and "<" not in sql:
        return sql
    return _LEXEME.sub(replace, sql)


_DIALECT = TiDB()


# Shared by every data directory: tokens are a pure function of the text.
@lru_cache(maxsize=512)
def _tokens(sql: str) -> tuple[Token, ...]:
    """The statement's tokens, shared by parsing and by naming result columns."""
    return tuple(_DIALECT.tokenize(sql))


def placeholder_count(sql: str) -> int:
    """How many ``?`` parameters the statement takes (none inside strings or comments)."""
    return sum(1 for token in _tokens(sql) if token.token_type == TokenType.PLACEHOLDER)


# Shared by every data directory: the tree is a pure function of the text (copied per use).
@lru_cache(maxsize=512)
def _parse_cached(sql: str) -> tuple[Any, ...]:
    # Text checks sqlglot leaves to us, here so a repeated statement pays for them once.
    first = _FIRST_WORD.match(sql)
    if first and first.group(1).upper() not in _STATEMENT_WORDS:
        raise _near(sql, first.start(1), first.end(1))  # sqlglot would read `hello` as SQL
    if _CONTROL.search(sql):
        bad = _control_outside_quotes(sql)
        if bad is not None:  # inside a literal it is a character like any other
            raise _near(sql, bad, bad + 1)
    parsed = _DIALECT.parser().parse(list(_tokens(sql)), sql)
    return tuple(e for e in parsed if e is not None)


def parse(sql: str) -> list[exp.Expression]:
    """Parse one or more statements into fresh (mutable) trees, or raise MySQL's 1064."""
    try:
        parsed = _parse_cached(sql)
    except (ParseError, TokenError) as exc:
        raise _syntax_error(sql, exc) from None
    except RecursionError:
        raise errors.syntax_error(_TOO_DEEP) from None
    except (AttributeError, TypeError, ValueError, IndexError) as exc:
        # sqlglot itself failing on malformed input (e.g. `SELECT DATE_ADD (`): the text
        # is not valid SQL, which is what the user needs to hear.
        raise _syntax_error(sql, exc) from None
    try:
        return [e.copy() for e in parsed]
    except RecursionError:
        raise errors.syntax_error(_TOO_DEEP) from None


_TOO_DEEP = "You have an error in your SQL syntax: the statement is nested too deeply"


# Words a MySQL/TiDB statement can start with; anything else is wrong at its first token.
_STATEMENT_WORDS = frozenset(
    [
        "ADMIN",
        "ALTER",
        "ANALYZE",
        "BEGIN",
        "BINLOG",
        "CALL",
        "CHECK",
        "CHECKSUM",
        "COMMIT",
        "CREATE",
        "DEALLOCATE",
        "DELETE",
        "DESC",
        "DESCRIBE",
        "DO",
        "DROP",
        "EXECUTE",
        "EXPLAIN",
        "FLASHBACK",
        "FLUSH",
        "GRANT",
        "HANDLER",
        "HELP",
        "IMPORT",
        "INSERT",
        "INSTALL",
        "KILL",
        "LOAD",
        "LOCK",
        "OPTIMIZE",
        "PREPARE",
        "PURGE",
        "RECOVER",
        "RELEASE",
        "RENAME",
        "REPAIR",
        "REPLACE",
        "RESET",
        "REVOKE",
        "ROLLBACK",
        "SAVEPOINT",
        "SELECT",
        "SET",
        "SHOW",
        "SHUTDOWN",
        "SPLIT",
        "START",
        "TABLE",
        "TRACE",
        "TRUNCATE",
        "UNINSTALL",
        "UNLOCK",
        "UPDATE",
        "USE",
        "VALUES",
        "WITH",
        "XA",
    ]
)
_FIRST_WORD = re.compile(r"(?>(?:\s|--[^\n]*|#[^\n]*|/\*.*?\*/)*)(\w+)", re.S)
_QUOTED = re.compile(r"""'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|`(?:[^`]|``)*`|(['"`])""", re.S)


def _syntax_error(sql: str, exc: Exception) -> errors.ProgrammingError:
    """TiDB's 1064: the line and column where the first bad token ends, and the text from it."""
    if isinstance(exc, TokenError):
        for quote in _QUOTED.finditer(sql):
            if quote.group(1):  # an opening quote that never closes
                return _near(sql, quote.start(), len(sql))
    if isinstance(exc, ParseError) and exc.errors:
        detail = exc.errors[0]
        line, col = detail.get("line"), detail.get("col")
        if isinstance(line, int) and isinstance(col, int):
            end = _offset(sql, line, col)
            start = max(0, end - len(detail.get("highlight") or ""))
            unexpected = "Unexpected token" in (detail.get("description") or "")
            if not unexpected and not sql[end:].strip().strip(";"):
                start = end = len(sql.rstrip().rstrip(";"))  # the statement stops too soon
            return _near(sql, start, end)
    return errors.syntax_error_near(sql.strip())


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _control_outside_quotes(sql: str) -> int | None:
    """Where a control character (NUL, ^A…) stands outside every quoted literal."""
    quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(sql) if not m.group(1)]
    for found in _CONTROL.finditer(sql):
        if not any(start <= found.start() < end for start, end in quoted):
            return found.start()
    return None


def _offset(sql: str, line: int, col: int) -> int:
    """sqlglot's (line, 1-based column of a token's last character) as an offset past it."""
    lines = sql.split("\n")
    before = sum(len(text) + 1 for text in lines[: max(0, line - 1)])
    return min(len(sql), before + col)


def _near(sql: str, start: int, end: int, reason: str = "") -> errors.ProgrammingError:
    line = sql.count("\n", 0, end) + 1
    column = end - (sql.rfind("\n", 0, end) + 1)
    return errors.syntax_error_near(sql[start:].rstrip().rstrip(";"), line, column, reason)


def split_statements(sql: str) -> list[str]:
    """Split a script into statements on top-level semicolons (quotes and comments respected)."""
    parts: list[str] = []
    start = 0
    for match in re.finditer(
        r"""'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|`(?:[^`]|``)*`|--[^\n]*|\#[^\n]*|/\*.*?\*/|;""",
        sql,
        re.S,
    ):
        if match.group(0) == ";":
            parts.append(sql[start : match.start()])
            start = match.end()
    parts.append(sql[start:])
    return [p.strip() for p in parts if p.strip() and not _only_comments(p)]


def _only_comments(text: str) -> bool:
    stripped = re.sub(r"--[^\n]*|\#[^\n]*|/\*.*?\*/", "", text, flags=re.S)
    return not stripped.strip()


def quote_identifier(name: str) -> str:
    """Quote for SQLite."""
    return '"' + name.replace('"', '""') + '"'


def mysql_quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


# Where a select list ends, at the SELECT's own parenthesis depth.
_SELECT_LIST_ENDS = frozenset(
    {
        TokenType.FROM,
        TokenType.WHERE,
        TokenType.GROUP_BY,
        TokenType.HAVING,
        TokenType.WINDOW,
        TokenType.ORDER_BY,
        TokenType.LIMIT,
        TokenType.UNION,
        TokenType.EXCEPT,
        TokenType.INTERSECT,
        TokenType.INTO,
        TokenType.FOR,
        TokenType.LOCK,
        TokenType.SEMICOLON,
        TokenType.R_PAREN,
    }
)
_SELECT_MODIFIERS = frozenset(
    [
        "ALL",
        "DISTINCT",
        "DISTINCTROW",
        "HIGH_PRIORITY",
        "STRAIGHT_JOIN",
        "SQL_SMALL_RESULT",
        "SQL_BIG_RESULT",
        "SQL_BUFFER_RESULT",
        "SQL_NO_CACHE",
        "SQL_CACHE",
        "SQL_CALC_FOUND_ROWS",
    ]
)
_COMMENT_OR_QUOTED = re.compile(
    r"""'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|`(?:[^`]|``)*`"""
    r"""|(?P<comment>/\*(?!!).*?\*/|--[ \t][^\n]*|\#[^\n]*)""",
    re.S,
)
MAX_COLUMN_NAME = 256  # MySQL cuts longer result-column names


def select_item_texts(sql: str) -> list[str]:
    """The text of each item of the statement's first select list, as MySQL names columns.

    MySQL names an unaliased result column by the item exactly as written, comments
    left out (``1 IS NOT NULL``, ``now()``, ``a  +  b``). Empty when there is no
    select list or the text cannot be tokenized.
    """
    try:
        tokens = _tokens(sql)
    except TokenError:  # text sqlglot cannot tokenize has no names
        return []
    start = _first_select(tokens)
    if start is None:
        return []
    items: list[list[Token]] = [[]]
    depth = 0
    for token in tokens[start + 1 :]:
        if depth == 0 and token.token_type in _SELECT_LIST_ENDS:
            break
        if token.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET):
            depth += 1
        elif token.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET):
            depth -= 1
        if depth == 0 and token.token_type == TokenType.COMMA:
            items.append([])
        elif not items[-1] and len(items) == 1 and token.text.upper() in _SELECT_MODIFIERS:
            continue
        else:
            items[-1].append(token)
    return [_item_text(sql, item) for item in items if item]


def _first_select(tokens: Sequence[Token]) -> int | None:
    """The outermost SELECT: the main query past any WITH, or a UNION's first part."""
    best: tuple[int, int] | None = None
    depth = 0
    for index, token in enumerate(tokens):
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        elif token.token_type == TokenType.SELECT and (best is None or depth < best[0]):
            best = (depth, index)
    return None if best is None else best[1]


def _item_text(sql: str, item: list[Token]) -> str:
    text = sql[item[0].start : item[-1].end + 1]
    if "--" in text or "/*" in text or "#" in text:
        text = _COMMENT_OR_QUOTED.sub(
            lambda m: "" if m.group("comment") else m.group(0), text
        ).strip()
    return text[:MAX_COLUMN_NAME]
