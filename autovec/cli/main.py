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
#: ``onnx_export.REPORT_TEXTS``, repeated for the same reason.
CHECK_TEXTS = 2000

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
    serve.add_argument("--user", metavar="U", help="the one account's user name (default: root)")
    serve.add_argument(
        "--password", metavar="P", help="its password (default: none, loopback only)"
    )
    serve.add_argument(
        "--users-file", metavar="F", help="accounts from a users file (see: autovec passwd)"
    )
    serve.add_argument("--ssl-cert", metavar="C", help="TLS certificate (PEM), with --ssl-key")
    serve.add_argument("--ssl-key", metavar="K", help="TLS private key (PEM)")
    serve.add_argument(
        "--require-secure-transport", action="store_true",
        help="refuse clients that do not switch to TLS (MySQL's 3159)",
    )  # fmt: skip
    serve.add_argument(
        "--max-connections", type=int, default=151, metavar="N",
        help="refuse clients beyond N at once with MySQL's 1040 (default: 151)",
    )  # fmt: skip
    serve.add_argument(
        "--max-allowed-packet", type=int, default=64 * 1024 * 1024, metavar="BYTES",
        help="refuse larger client packets with MySQL's 1153 (default: 64 MiB)",
    )  # fmt: skip
    serve.set_defaults(handler=run_serve)

    passwd = commands.add_parser(
        "passwd",
        help="add a user to a users file, or change its password",
        description="Write USER's password into the users file FILE (created if missing), as"
        " the hashes MySQL's login plugins check; the password itself is never stored. The"
        " password is prompted for, or read as one line from stdin when it is not a terminal.",
    )
    passwd.add_argument("file", metavar="FILE", help="the users file for autovec serve")
    passwd.add_argument("user", metavar="USER", help="the user name")
    passwd.set_defaults(handler=run_passwd)

    models = commands.add_parser(
        "models",
        help="the local embedding models on this machine: list them, check the int8 mode",
        description="Local embedding models: where they are, how they run, their int8 mode.",
    )
    actions = models.add_subparsers(dest="action", title="actions", metavar="ACTION")
    models.set_defaults(help_parser=models)  # `autovec models` alone: its own help
    listing = actions.add_parser(
        "list", help="the local models found, their runtime and whether an export is cached"
    )
    check = actions.add_parser(
        "check", help="measure the int8 mode of a model against its fp32 form (cosine, top-10)"
    )
    check.add_argument("model", help="a model name (all-MiniLM-L6-v2) or a model directory")
    check.add_argument(
        "--texts",
        type=int,
        default=CHECK_TEXTS,
        metavar="N",
        help=f"measure on N standard-library docstrings (default: {CHECK_TEXTS}; fewer is quicker)",
    )
    for action in (listing, check):
        action.add_argument(
            "--db",
            metavar="DIR",
            help="use this data directory's model cache (default: $AUTOVEC_MODEL_CACHE or "
            "~/.cache/autovec/models-cache)",
        )
        action.add_argument(
            "--format", choices=("table", "json"), default="table", help="output format"
        )
        action.set_defaults(handler=run_models)
    return parser


def run_models(args: argparse.Namespace) -> int:
    """``autovec models list`` / ``autovec models check MODEL``."""
    from autovec.cli.models import run

    return run(args)


def run_serve(args: argparse.Namespace) -> int:
    """``autovec serve``: listen until SIGTERM or Ctrl-C."""
    import ssl

    from autovec.server.accounts import UsersFileError
    from autovec.server.serve import ServerConfig, load_accounts, run, tls_context

    if (args.ssl_cert is None) != (args.ssl_key is None):
        print("autovec serve: --ssl-cert and --ssl-key go together", file=sys.stderr)
        return 2
    try:
        accounts = load_accounts(args.user, args.password, args.users_file)
        tls = tls_context(args.ssl_cert, args.ssl_key) if args.ssl_cert else None
    except UsersFileError as exc:
        print(f"autovec serve: {exc}", file=sys.stderr)
        return 2
    except (OSError, ssl.SSLError) as exc:
        print(f"autovec serve: cannot load the TLS certificate or key: {exc}", file=sys.stderr)
        return 2
    config = ServerConfig(
        args.db,
        args.host,
        args.port,
        accounts,
        tls,
        args.require_secure_transport,
        args.max_connections,
        args.max_allowed_packet,
    )
    return run(config)


def run_passwd(args: argparse.Namespace) -> int:
    """``autovec passwd FILE USER``: set USER's password in the users file."""
    import getpass

    from autovec.server.accounts import Account, Accounts, UsersFileError

    try:
        accounts = Accounts.load(args.file) if os.path.exists(args.file) else Accounts([])
        if _stdin_is_terminal():
            password = getpass.getpass(f"New password for {args.user}: ")
            if getpass.getpass("Again: ") != password:
                print("autovec passwd: the passwords differ; nothing changed", file=sys.stderr)
                return 1
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        accounts.with_account(Account.with_password(args.user, password)).save(args.file)
    except (UsersFileError, OSError) as exc:
        print(f"autovec passwd: {exc}", file=sys.stderr)
        return 1
    print(f"{args.file}: password of {args.user} set", file=sys.stderr)
    return 0


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
        from autovec.cli.load_notices import show_model_loads
        from autovec.cli.shell import History, Shell

        show_model_loads()  # the user sees when (and how) a model is first loaded
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
    if handler is None:  # no command (or no action): usage, as argparse answers a bad one
        helped: argparse.ArgumentParser = getattr(args, "help_parser", parser)
        helped.print_help(sys.stderr)
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
