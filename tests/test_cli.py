"""The ``autovec`` command line, run as real subprocesses against real data directories.

The end-to-end tests start the installed console script (or ``python -m autovec.cli.main``
when it is missing), so argument parsing, exit codes, stdout/stderr and the terminal handling
of the interactive shell are all exercised as a user sees them. The pure pieces (output
formatting, statement scanning, the progress bar) are also tested in-process, where cases
are cheap.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import os
import select
import subprocess
import sys
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest

from autovec.cli import formatting, scanner
from autovec.cli.formatting import Column
from autovec.cli.load_notices import LOADS_LOGGER, show_model_loads
from autovec.cli.progress import ProgressBar, progress_printer
from autovec.embeddings.local import runtime
from autovec.version import __version__

SCRIPT = Path(sys.executable).with_name("autovec")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "autovec.cli.main"]


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["HOME"] = str(home)  # the shell's history file goes to ~/.autovec_history
    env.pop("AUTOVEC_HISTFILE", None)
    env["TERM"] = "dumb"
    return env


def autovec(
    *args: str,
    home: Path,
    stdin: str | None = None,
    check: int | None = 0,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run ``autovec ARGS`` to completion; assert its exit status unless ``check`` is None."""
    proc = subprocess.run(
        [*COMMAND, *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=_env(home),
        cwd=home,
        timeout=timeout,
    )
    if check is not None:
        assert proc.returncode == check, (
            f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc


def sql(
    tmp_path: Path, statements: str, *options: str, check: int | None = 0
) -> subprocess.CompletedProcess[str]:
    return autovec(
        "sql",
        "--db",
        str(tmp_path / "data"),
        *options,
        "-e",
        statements,
        home=tmp_path,
        check=check,
    )


SETUP = (
    "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20), price DECIMAL(10,2), v VECTOR(3));"
    "INSERT INTO t VALUES (1, 'apple', 1.50, '[1,2,3]'), (2, 'pear', NULL, '[-1,0.5,0]'),"
    " (3, NULL, 10.00, '[3,2,1]');"
)


# -- the command ---------------------------------------------------------------------------


def test_version(tmp_path: Path) -> None:
    assert autovec("--version", home=tmp_path).stdout == f"autovec {__version__}\n"
    module = subprocess.run(
        [sys.executable, "-m", "autovec", "--version"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=60,
    )
    assert module.returncode == 0
    assert module.stdout == f"autovec {__version__}\n"


def test_help_lists_commands(tmp_path: Path) -> None:
    out = autovec("--help", home=tmp_path).stdout
    assert "sql" in out and "--version" in out
    sql_help = autovec("sql", "--help", home=tmp_path).stdout
    for option in ("--db", "--database", "-e", "--format"):
        assert option in sql_help
    assert autovec(home=tmp_path, check=2).stderr.startswith("usage: autovec")


def test_cli_module_does_not_import_the_engine(tmp_path: Path) -> None:
    """``autovec.cli.main`` itself imports no numpy/apsw/sqlglot: ``--version`` stays fast.

    The ``autovec`` package is stubbed, so this checks the CLI module's own imports whatever
    the package ``__init__`` does.
    """
    package = Path(formatting.__file__).parents[1]
    probe = (
        "import sys, types\n"
        f"pkg = types.ModuleType('autovec'); pkg.__path__ = [{str(package)!r}]; sys.modules['autovec'] = pkg\n"
        "from autovec.cli.main import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('numpy', 'apsw', 'sqlglot', 'sqlalchemy') if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"autovec {__version__}", "[]"]


def test_version_starts_fast(tmp_path: Path) -> None:
    """``autovec --version`` answers at interpreter-start speed (the engine stays unloaded)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        autovec("--version", home=tmp_path)
        best = min(best, time.perf_counter() - started)
    assert best < 0.25, f"autovec --version took {best:.3f}s"


# -- -e: statements on the command line -----------------------------------------------------


def test_execute_table_format(tmp_path: Path) -> None:
    out = sql(
        tmp_path, SETUP + "SELECT id, name, price FROM t ORDER BY id; SELECT id FROM t WHERE id > 5"
    ).stdout
    lines = out.splitlines()
    assert lines[0].startswith("Query OK, 0 rows affected (")
    assert lines[1].startswith("Query OK, 3 rows affected (")
    assert lines[2:9] == [
        "+----+-------+-------+",
        "| id | name  | price |",
        "+----+-------+-------+",
        "|  1 | apple |  1.50 |",
        "|  2 | pear  |  NULL |",
        "|  3 | NULL  | 10.00 |",
        "+----+-------+-------+",
    ]
    assert lines[9].startswith("3 rows in set (") and lines[9].endswith(" sec)")
    assert lines[10].startswith("Empty set (")
    assert len(lines) == 11


def test_execute_json_format(tmp_path: Path) -> None:
    proc = sql(
        tmp_path,
        SETUP + "SELECT * FROM t ORDER BY id; SELECT COUNT(*) AS n, 1, 1 FROM t",
        "--format",
        "json",
    )
    lines = proc.stdout.splitlines()
    assert len(lines) == 2  # one line per result set, nothing for CREATE/INSERT
    rows = json.loads(lines[0], parse_float=Decimal)
    assert rows[0] == {"id": 1, "name": "apple", "price": Decimal("1.50"), "v": [1, 2, 3]}
    assert rows[1] == {"id": 2, "name": "pear", "price": None, "v": [-1, 0.5, 0]}
    assert rows[2]["name"] is None and rows[2]["price"] == Decimal("10.00")
    plain = json.loads(lines[0])
    assert plain[0]["v"] == [1.0, 2.0, 3.0] and all(isinstance(x, float) for x in plain[0]["v"])
    assert json.loads(lines[1]) == [{"n": 3, "1": 1, "1_2": 1}]


def test_execute_csv_format(tmp_path: Path) -> None:
    out = sql(
        tmp_path,
        SETUP + "SELECT id, name, v FROM t ORDER BY id; SELECT 'a,b' AS s",
        "--format",
        "csv",
    ).stdout
    first, second = out.split("\n\n")
    assert list(csv.reader(io.StringIO(first))) == [
        ["id", "name", "v"],
        ["1", "apple", "[1,2,3]"],
        ["2", "pear", "[-1,0.5,0]"],
        ["3", "", "[3,2,1]"],
    ]
    assert list(csv.reader(io.StringIO(second))) == [["s"], ["a,b"]]


def test_vector_search_query(tmp_path: Path) -> None:
    query = "SELECT id FROM t ORDER BY VEC_COSINE_DISTANCE(v, '[1,2,3]') LIMIT 1"
    out = sql(tmp_path, SETUP + query, "--format", "json").stdout
    assert json.loads(out) == [{"id": 1}]


# -- errors ------------------------------------------------------------------------------------


def test_unknown_table_stops_with_status_1(tmp_path: Path) -> None:
    proc = sql(tmp_path, "SELECT 1 AS one; SELECT * FROM x; SELECT 'after' AS later", check=1)
    assert proc.stderr == "ERROR 1146 (42S02): Table 'test.x' doesn't exist\n"
    assert "one" in proc.stdout and "later" not in proc.stdout  # stops at the first error


def test_syntax_error_and_unknown_database(tmp_path: Path) -> None:
    proc = sql(tmp_path, "SELEC 1", check=1)
    assert proc.stderr.startswith("ERROR 1064 (42000): You have an error in your SQL syntax")
    assert proc.stdout == ""
    proc = sql(tmp_path, "SELECT 1", "--database", "nope", check=1)
    assert proc.stderr == "ERROR 1049 (42000): Unknown database 'nope'\n"


def test_data_persists_between_invocations(tmp_path: Path) -> None:
    sql(
        tmp_path,
        "CREATE TABLE kv (k VARCHAR(10) PRIMARY KEY, n INT); INSERT INTO kv VALUES ('a', 1), ('b', 2)",
    )
    out = sql(tmp_path, "SELECT k, n FROM kv ORDER BY k", "--format", "json").stdout
    assert json.loads(out) == [{"k": "a", "n": 1}, {"k": "b", "n": 2}]


def test_script_on_stdin(tmp_path: Path) -> None:
    script = (
        "-- a script, as `autovec sql < script.sql` reads it\n"
        "CREATE TABLE s (id INT PRIMARY KEY, note VARCHAR(40));\n"
        "INSERT INTO s VALUES (1, 'semi;colon'),\n  (2, 'it''s');\n"
        "/* block comment; with a semicolon */\n"
        "SELECT note FROM s ORDER BY id\\G\n"
        "SELECT COUNT(*) AS n FROM s"  # the last statement needs no terminator
    )
    out = autovec("sql", "--db", str(tmp_path / "data"), home=tmp_path, stdin=script).stdout
    lines = out.splitlines()
    assert lines[1].startswith("Query OK, 2 rows affected")
    assert lines[2:6] == [
        "*************************** 1. row ***************************",
        "note: semi;colon",
        "*************************** 2. row ***************************",
        "note: it's",
    ]
    assert lines[7:12] == ["+---+", "| n |", "+---+", "| 2 |", "+---+"]


# -- the interactive shell -----------------------------------------------------------------------


def test_shell_with_forced_interactive_mode(tmp_path: Path) -> None:
    typed = (
        "CREATE DATABASE shop;\n"
        "use shop\n"
        "CREATE TABLE items (id INT PRIMARY KEY, v VECTOR(2));\n"
        "INSERT INTO items\n"
        "  VALUES (1, '[1,0]'),\n"
        "         (2, '[0,1]');\n"
        "SELECT * FROM missing;\n"  # an error does not end the shell
        "SELECT id,\n"
        "  'two\n"
        "lines' AS s\n"
        "FROM items WHERE id = 2\\G\n"
        "SELECT 1; \\c\n"
        "SELECT DATABASE() AS db;\n"
        "exit\n"
        "SELECT 'not run';\n"
    )
    proc = autovec("sql", "--db", str(tmp_path / "data"), "-i", home=tmp_path, stdin=typed)
    out = proc.stdout
    assert "autovec [test]> " in out
    assert "Database changed" in out
    assert "autovec [shop]> " in out  # the prompt follows USE
    assert "    -> " in out and "    '> " in out  # continuation prompts
    assert "Query OK, 2 rows affected" in out
    assert proc.stderr == "ERROR 1146 (42S02): Table 'shop.missing' doesn't exist\n"
    assert "id: 2\n s: two\nlines\n" in out
    assert "| shop |" in out
    assert "not run" not in out
    assert out.rstrip().endswith("Bye")


MINILM = "huggingface/sentence-transformers/all-MiniLM-L6-v2"


def test_shell_shows_each_model_load_once(tmp_path: Path) -> None:
    """The embedding layer's one INFO line per model load reaches the user, once."""
    typed = (
        "CREATE TABLE docs (id INT PRIMARY KEY, body TEXT, e VECTOR(384) GENERATED ALWAYS AS"
        f" (EMBED_TEXT('{MINILM}', body)) STORED);\n"
        "INSERT INTO docs (id, body) VALUES (1, 'a first text');\n"
        "INSERT INTO docs (id, body) VALUES (2, 'a second text');\n"
        "SELECT id FROM docs ORDER BY VEC_EMBED_COSINE_DISTANCE(e, 'second') LIMIT 1;\n"
    )
    data = str(tmp_path / "data")
    proc = autovec("sql", "--db", data, "-i", home=tmp_path, stdin=typed, timeout=240)
    assert proc.stdout.count("Query OK, 1 row affected") == 2
    assert "|  2 |" in proc.stdout  # the query embedded with the same, already loaded, model
    # The tests keep local models on torch ($AUTOVEC_ONNX=off): no export, one runtime.
    assert proc.stderr == (
        "-- embedding model sentence-transformers/all-MiniLM-L6-v2 loaded: torch runtime,"
        " 384 dimensions, max 256 tokens\n"
    )
    # Only the shell shows it: -e and scripts print their results alone.
    insert = "INSERT INTO docs (id, body) VALUES (3, 'a third text')"
    script = autovec("sql", "--db", data, "-e", insert, home=tmp_path, timeout=240)
    assert script.stdout and script.stderr == ""


def test_model_load_notices_pass_loads_and_warnings_only() -> None:
    stream, elsewhere = io.StringIO(), io.StringIO()
    level = logging.getLogger(LOADS_LOGGER).level
    root_handler = logging.StreamHandler(elsewhere)  # as a library's basicConfig() adds
    logging.getLogger().addHandler(root_handler)
    handler = show_model_loads(stream)
    embeddings = logging.getLogger("autovec.embeddings")
    try:
        embeddings.info("exported m to ONNX")  # below WARNING, not a load: not shown
        embeddings.debug("HTTP 200")
        logging.getLogger(LOADS_LOGGER).info("embedding model %s loaded: onnx runtime", "m")
        embeddings.warning("cached ONNX export of %s is unusable", "m")
    finally:
        embeddings.removeHandler(handler)
        embeddings.propagate = True
        logging.getLogger().removeHandler(root_handler)
        logging.getLogger(LOADS_LOGGER).setLevel(level)
    assert stream.getvalue().splitlines() == [
        "-- embedding model m loaded: onnx runtime",
        "warning: cached ONNX export of m is unusable",
    ]
    assert elsewhere.getvalue() == ""  # shown once, not again by the root's handler
    assert LOADS_LOGGER == runtime.LOADS_LOGGER


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_shell_on_a_terminal(tmp_path: Path) -> None:
    """Prompts, multi-line input, USE, Ctrl-C, Ctrl-D and the history file on a real pty."""
    import pty

    argv = [*COMMAND, "sql", "--db", str(tmp_path / "data")]
    pid, fd = pty.fork()
    if pid == 0:  # the child: become autovec on the terminal
        try:
            os.chdir(tmp_path)
            os.execve(argv[0], argv, _env(tmp_path))
        finally:
            os._exit(127)
    term = Terminal(fd)
    try:
        term.expect("autovec [test]> ")
        term.send("CREATE DATABASE lab;")
        term.expect("autovec [test]> ")
        term.send("USE lab;")
        term.expect("Database changed")
        term.expect("autovec [lab]> ")
        term.send("SELECT 40")
        term.expect("    -> ")
        term.send("  + 2 AS answer;")
        term.expect("| answer |")
        term.expect("|     42 |")
        term.expect("autovec [lab]> ")
        term.send("SELECT 'abandoned'")
        term.expect("    -> ")
        term.write(b"FROM")
        term.expect("FROM")  # echoed: readline is waiting for keys
        # CPython loses a SIGINT that lands between readline's redraw and its select(), so
        # give it a moment, as a person at the keyboard always does.
        time.sleep(0.2)
        term.write(b"\x03")  # Ctrl-C drops the statement being typed
        term.expect("autovec [lab]> ")
        term.send("SELECT 7 AS seven;")
        term.expect("|     7 |")
        term.expect("autovec [lab]> ")
        term.send("SELECT 'sk-123' AS openai_api_key;")  # looks secret: kept out of the history
        term.expect("autovec [lab]> ")
        term.write(b"\x04")  # Ctrl-D leaves
        term.expect("Bye")
        status = term.wait()
    finally:
        term.close()
    assert status == 0
    history = (tmp_path / ".autovec_history").read_text()
    assert "SELECT 40 + 2 AS answer;" in history
    assert "USE lab;" in history
    assert "sk-123" not in history
    assert (tmp_path / ".autovec_history").stat().st_mode & 0o077 == 0


class Terminal:
    """The controlling side of a pseudo-terminal, with pexpect-style ``expect``."""

    def __init__(self, fd: int):
        self.fd = fd
        self.seen = b""
        self.position = 0

    def write(self, data: bytes) -> None:
        os.write(self.fd, data)

    def send(self, line: str) -> None:
        self.write(line.encode() + b"\r")

    def expect(self, text: str, timeout: float = 15.0) -> None:
        wanted = text.encode()
        deadline = time.monotonic() + timeout
        while (found := self.seen.find(wanted, self.position)) < 0:
            remaining = deadline - time.monotonic()
            ready = select.select([self.fd], [], [], max(remaining, 0))[0] if remaining > 0 else []
            chunk = self._read() if ready else b""
            if not chunk:
                raise AssertionError(
                    f"expected {text!r}; the terminal showed:\n{self.seen.decode(errors='replace')!r}"
                )
            self.seen += chunk
        self.position = found + len(wanted)

    def _read(self) -> bytes:
        try:
            return os.read(self.fd, 65536)
        except OSError:  # EIO: the child has exited and closed the terminal
            return b""

    def wait(self, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            self._read() if select.select([self.fd], [], [], 0.05)[0] else None
        raise AssertionError("the shell did not exit")

    def close(self) -> None:
        os.close(self.fd)


# -- pure pieces, in-process ------------------------------------------------------------------------


def test_format_choices_match_the_formatters() -> None:
    from autovec.cli import main

    assert main.FORMATS == formatting.FORMATS


def test_scanner_terminators_quotes_and_comments() -> None:
    found = scanner.scan('select \';\' ; select "a\\"b" -- c;\n ;select 1\\G select `x;`\\g sel')
    assert found.statements == [
        ("select ';'", ";"),
        ('select "a\\"b" -- c;', ";"),
        ("select 1", "\\G"),
        ("select `x;`", "\\g"),
    ]
    assert found.rest == " sel" and found.rest_has_sql and found.open == ""
    assert scanner.scan("select 'it''s\n").open == "'"
    assert scanner.scan("select 1 /* ; \n").open == "/*"
    assert scanner.scan("-- only a comment\n;").statements == []
    assert scanner.scan("select 1 \\c select 2;").statements == [("select 2", ";")]
    quit_ = scanner.scan("select 1; \\q select 2;")
    assert quit_.quit and quit_.statements == [("select 1", ";")]
    assert scanner.split_script("a; b\n") == [("a", ";"), ("b", ";")]


def _table(columns: Sequence[Column], rows: Sequence[Sequence[object]]) -> str:
    return "\n".join(formatting.table(columns, rows))


def test_table_alignment_and_values() -> None:
    columns = [
        Column("n", "int"),
        Column("name", "varchar"),
        Column("d", "double"),
        Column("when", "datetime"),
    ]
    rows = [(1, "日本", 0.1, dt.datetime(2024, 1, 2, 3, 4, 5)), (None, "x", 1e20, None)]
    assert _table(columns, rows) == (
        "+------+------+------+---------------------+\n"
        "| n    | name | d    | when                |\n"
        "+------+------+------+---------------------+\n"
        "|    1 | 日本 |  0.1 | 2024-01-02 03:04:05 |\n"
        "| NULL | x    | 1e20 | NULL                |\n"
        "+------+------+------+---------------------+"
    )
    assert formatting.vertical([Column("id"), Column("long")], [(1, None)]) == [
        "*************************** 1. row ***************************",
        "  id: 1",
        "long: NULL",
    ]


@pytest.mark.parametrize(
    ("value", "single", "text"),
    [
        (1.0, False, "1"),
        (0.1, False, "0.1"),
        (-2.5, False, "-2.5"),
        (123456789012345.0, False, "123456789012345"),
        (1e15, False, "1e15"),
        (1.5e-16, False, "1.5e-16"),
        (0.10000000149011612, True, "0.1"),  # a FLOAT column's float32 0.1
    ],
)
def test_float_text(value: float, single: bool, text: str) -> None:
    assert formatting.format_float(value, single) == text


def test_scalar_values() -> None:
    assert formatting.text_value(dt.timedelta(hours=-25, seconds=-1)) == "-25:00:01"
    assert formatting.text_value(dt.timedelta(seconds=1, microseconds=5)) == "00:00:01.000005"
    assert formatting.text_value(b"\x01\xab") == "0x01AB"
    assert formatting.text_value(Decimal("1E+2")) == "100"
    assert formatting.json_literal(Decimal("1.50")) == "1.50"
    assert formatting.json_literal(b"hi") == '"aGk="'
    assert formatting.json_literal(dt.date(2024, 5, 6)) == '"2024-05-06"'
    assert formatting.json_literal('{"a": 1}', "json") == '{"a": 1}'
    assert formatting.json_literal(float("inf")) == '"inf"'
    assert formatting.rows_status(1, 0.0, warnings=2) == "1 row in set, 2 warnings (0.00 sec)"
    assert formatting.ok_status(-1, 0.012) == "Query OK, 0 rows affected (0.01 sec)"


class _FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_printer() -> None:
    assert progress_printer(io.StringIO()) is not None
    quiet = io.StringIO()
    progress_printer(quiet)(1, 2, "index")
    assert quiet.getvalue() == ""  # not a terminal: draws nothing
    screen = _FakeTerminal()
    bar = progress_printer(screen)
    bar(0, 4, "build")
    bar(4, 4, "build")
    drawn = screen.getvalue()
    assert drawn.startswith("\rbuild [") and drawn.endswith("] 100% 4/4\n")
    assert ProgressBar.render(1, 4, "x", 30) == "x [####.............]  25% 1/4"
    assert ProgressBar.render(5, 0, "rows", 30) == "rows 5"
