"""The interactive SQL shell: prompt, multi-line statements, history, client commands.

It behaves like the mysql client so that habits carry over: statements end with ``;``
(or ``\\g``; ``\\G`` prints rows vertically) and may span lines, ``use db`` / ``exit`` /
``help`` work without a semicolon, Ctrl-C discards the line being typed, Ctrl-D leaves,
errors are printed and the shell carries on, and the prompt shows the current database.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any, TextIO

from autovec.cli.runner import Runner
from autovec.cli.scanner import scan
from autovec.version import __version__

HISTORY_FILE = "~/.autovec_history"
HISTORY_LENGTH = 5000

#: Continuation prompts, by what the text typed so far ends inside (like mysql's).
CONTINUATION = {"": "    -> ", "'": "    '> ", '"': '    "> ', "`": "    `> ", "/*": "   /*> "}

_QUIT_RE = re.compile(r"\s*(exit|quit|\\q)\s*;?\s*$", re.IGNORECASE)
_HELP_RE = re.compile(r"\s*(help|\\h|\?)\s*;?\s*$", re.IGNORECASE)
#: Entries never written to the history file: they may hold secrets, such as the
#: ``SET @@GLOBAL.tidb_exp_embed_openai_api_key = '…'`` that configures auto-embedding.
#: (The mysql client skips ``*IDENTIFIED*`` and ``*PASSWORD*`` for the same reason.)
_SECRET_RE = re.compile(r"api_?key|password|identified|secret", re.IGNORECASE)
_USE_RE = re.compile(r"\s*use\s+([^;]+?)\s*$", re.IGNORECASE)  # `use db` needs no ';'

HELP = """\
List of autovec shell commands (SQL statements end with ';', '\\g' or '\\G'):
  exit, quit (\\q)  Leave the shell; Ctrl-D does too.
  help (\\h, ?)     Show this help.
  use NAME         Make NAME the current database (no ';' needed).
  \\c               Discard the statement being typed; Ctrl-C does too.
  \\G               End a statement and print each row as a block of 'column: value'.
History is kept in ~/.autovec_history.
"""


class History:
    """Line editing and persistent history via stdlib ``readline``, when the platform has it."""

    def __init__(self, path: str | None = None):
        self.path = os.path.expanduser(path or os.environ.get("AUTOVEC_HISTFILE") or HISTORY_FILE)
        self.readline: Any = None
        try:
            import readline
        except ImportError:  # e.g. Windows without pyreadline: plain input() still works
            return
        self.readline = readline
        if hasattr(readline, "set_auto_history"):
            readline.set_auto_history(False)  # whole statements are added, not their lines
        readline.set_history_length(HISTORY_LENGTH)
        try:
            readline.read_history_file(self.path)
        except OSError:
            pass  # no history yet

    def add(self, entry: str) -> None:
        """Remember one statement for up-arrow recall, unless it may hold a secret."""
        if self.readline is not None and entry.strip() and not _SECRET_RE.search(entry):
            self.readline.add_history(entry)

    def save(self) -> None:
        """Write the history file, readable by its owner only (statements hold data)."""
        if self.readline is None:
            return
        try:
            self.readline.write_history_file(self.path)
            os.chmod(self.path, 0o600)
        except OSError as exc:
            print(f"warning: could not save history to {self.path}: {exc}", file=sys.stderr)


class Shell:
    """The read-eval-print loop over one :class:`Runner`."""

    def __init__(self, runner: Runner, history: History | None = None, out: TextIO | None = None):
        self.runner = runner
        self.history = history
        self.out = sys.stdout if out is None else out
        self.buffer = ""  # the statement being typed
        self.open = ""  # the quote or comment it ends inside
        self.entry: list[str] = []  # its lines, for one history entry

    def prompt(self) -> str:
        if self.buffer:
            return CONTINUATION.get(self.open, CONTINUATION[""])
        return f"autovec [{self.runner.session.database or '(none)'}]> "

    def banner(self, where: str) -> None:
        self.out.write(
            f"Welcome to the autovec {__version__} shell: TiDB SQL with vectors, on SQLite ({where}).\n"
            "Statements end with ';' (or '\\G' for vertical rows). Type 'help' for help, 'exit' to leave.\n\n"
        )
        self.out.flush()

    def loop(self) -> int:
        """Read and run statements until exit/quit/Ctrl-D; the exit status is 0."""
        try:
            while True:
                try:
                    line = input(self.prompt())
                except EOFError:
                    self.out.write("\n")
                    break
                except KeyboardInterrupt:
                    self.out.write("^C\n")  # drop what was typed, as mysql does
                    self._reset()
                    continue
                try:
                    if not self.feed(line):
                        break
                except KeyboardInterrupt:  # e.g. while a long result is being printed
                    self.out.write("^C\n")
                    self._reset()
        finally:
            if self.history is not None:
                self.history.save()
        self.out.write("Bye\n")
        self.out.flush()
        return 0

    def feed(self, line: str) -> bool:
        """Take one input line, running what it completes; False once the user quits."""
        self.entry.append(line)
        if not self.buffer:
            command = self._client_command(line)
            if command is not None:
                return not command
        self.buffer = f"{self.buffer}\n{line}" if self.buffer else line
        found = scan(self.buffer)
        for sql, terminator in found.statements:
            self.runner.execute(sql, terminator)
        if found.quit:
            self._reset()
            return False
        if found.rest_has_sql or found.open:
            self.buffer, self.open = found.rest, found.open
        else:
            self._reset()
        return True

    def _client_command(self, line: str) -> bool | None:
        """Handle a client command typed at the main prompt: True to quit, None if not one."""
        if _QUIT_RE.match(line):
            self._reset()
            return True
        if _HELP_RE.match(line):
            self.out.write(HELP + "\n")
            self._reset()
            return False
        match = _USE_RE.match(line)
        if match:
            self.runner.execute(f"USE {match.group(1)}")
            self._reset()
            return False
        return None

    def _reset(self) -> None:
        """Forget the statement being typed, recording what was typed in the history."""
        if self.history is not None and self.entry:
            self.history.add(" ".join(part.strip() for part in self.entry if part.strip()))
        self.buffer, self.open, self.entry = "", "", []
