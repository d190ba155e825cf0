"""The ``autovec`` command: argument parsing and dispatch to the sub-commands.

Kept free of engine imports at module level: ``autovec --version`` and ``--help`` must answer
at interpreter-start speed, so apsw, sqlglot and numpy load only once a command needs them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from autovec.version import __version__

#: ``formatting.FORMATS``, repeated so that ``--help`` need not import the formatters.
FORMATS = ("table", "json", "csv")

SQL_EPILOG = """\
examples:
  autovec sql                                   interactive shell on ./data
  autovec sql --db /tmp/db -e "SHOW TABLES"     run statements and exit
  autovec sql --format json -e "SELECT * FROM t" one JSON array per result set
  autovec sql < script.sql                      run a script from stdin
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``autovec`` argument parser, with one sub-parser per command."""
    parser = argparse.ArgumentParser(
        prog="autovec",
        description="autovec: an embedded database that speaks TiDB's SQL, vectors included.",
    )
    parser.add_argument("--version", action="version", version=f"autovec {__version__}")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")

    sql = commands.add_parser(
        "sql",
        help="run SQL: an interactive shell, -e statements, or a script on stdin",
        description="Run SQL against a data directory, in autocommit mode like the mysql client.",
        epilog=SQL_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sql.add_argument(
        "--db",
        default="./data",
        metavar="DIR",
        help="data directory (default: ./data; created if missing)",
    )
    sql.add_argument(
        "-D", "--database", default="test", metavar="NAME", help="current database (default: test)"
    )
    sql.add_argument(
        "-e", "--execute", metavar="SQL", help="run these ';'-separated statements and exit"
    )
    sql.add_argument(
        "--format", choices=FORMATS, default="table", help="output format (default: table)"
    )
    sql.add_argument(
        "-i",
        "--interactive",
        action="store_true",
        help="run the interactive shell even when stdin is not a terminal",
    )
    sql.add_argument(
        "-f", "--force", action="store_true", help="keep going after an error in -e or a script"
    )
    sql.set_defaults(handler=run_sql)

    serve = commands.add_parser(
        "serve",
        help="serve the data directory over the MySQL protocol (mysql, PyMySQL, SQLAlchemy)",
        description="Serve a data directory to MySQL and TiDB clients over the MySQL protocol.",
    )
    serve.add_argument(
        "--db", default="./data", metavar="DIR", help="data directory (default: ./data)"
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=int, default=4000, help="port (default: 4000; 0 picks a free one)"
    )
    serve.add_argument(
        "--max-connections", type=int, default=151, metavar="N",
        help="refuse clients beyond N at once with MySQL's 1040 (default: 151)",
    )  # fmt: skip
    serve.set_defaults(handler=run_serve)
    return parser


def run_serve(args: argparse.Namespace) -> int:
    """``autovec serve``: listen until SIGTERM or Ctrl-C."""
    from autovec.server.serve import run

    return run(args.db, args.host, args.port, args.max_connections)


def run_sql(args: argparse.Namespace) -> int:
    """``autovec sql``: open the data directory and run statements, a script, or the shell."""
    from autovec.cli.runner import Runner
    from autovec.cli.scanner import split_script
    from autovec.dbapi import connect
    from autovec.errors import Error

    try:
        connection = connect(args.db, database=args.database or None, autocommit=True)
    except Error as exc:
        print(f"ERROR {exc.errno} ({exc.sqlstate}): {exc.msg}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"ERROR: cannot open data directory {args.db!r}: {exc}", file=sys.stderr)
        return 1
    from autovec.cli.progress import progress_printer

    connection.session.progress = progress_printer()  # back-fills and index builds draw a bar
    try:
        typing = _stdin_is_terminal()
        interactive = args.execute is None and (args.interactive or typing)
        runner = Runner(connection.session, args.format, interactive=interactive)
        runner.announce_background_work()
        if args.execute is not None:
            return runner.run_script(split_script(args.execute), args.force)
        if not interactive:
            script = sys.stdin.read() if sys.stdin is not None else ""
            return runner.run_script(split_script(script), args.force)
        from autovec.cli.shell import History, Shell

        shell = Shell(runner, History() if typing else None)
        shell.banner(os.path.abspath(args.db) if args.db != ":memory:" else "in memory")
        return shell.loop()
    finally:
        connection.close()


def _stdin_is_terminal() -> bool:
    """Whether a person is typing; stdin may also be closed or missing under some launchers."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except ValueError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``autovec`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return handler(args)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`autovec sql -e ... | head`): stop quietly, and keep Python
        # from complaining again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
