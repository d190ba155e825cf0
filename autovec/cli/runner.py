"""Running statements for the command line and reporting each outcome like the mysql client.

Shared by ``autovec sql -e``, piped scripts and the interactive shell, so all three print
results, messages and errors the same way. Errors go to stderr as
``ERROR 1146 (42S02): Table 'test.x' doesn't exist``; result data goes to stdout.
"""

from __future__ import annotations

import os
import re
import sys
import time
import traceback
from typing import TextIO

from autovec.cli import formatting
from autovec.cli.scanner import VERTICAL
from autovec.errors import Error
from autovec.sql.result import Result
from autovec.sql.session import Session

_USE_RE = re.compile(r"\s*use\s", re.IGNORECASE)


class Runner:
    """Executes statements on one session and prints their results in one output format."""

    def __init__(
        self,
        session: Session,
        output_format: str = "table",
        out: TextIO | None = None,
        err: TextIO | None = None,
        interactive: bool = False,
    ):
        if output_format not in formatting.FORMATS:
            raise ValueError(f"unknown output format {output_format!r}")
        self.session = session
        self.format = output_format
        self.out = sys.stdout if out is None else out
        self.err = sys.stderr if err is None else err
        self.interactive = interactive
        self._result_sets = 0  # CSV separates result sets with a blank line

    def execute(self, sql: str, terminator: str = ";") -> bool:
        """Run one statement and print its outcome; False when it failed."""
        started = time.perf_counter()
        try:
            result = self.session.execute(sql)
        except Error as exc:
            self.error(f"ERROR {exc.errno} ({exc.sqlstate}): {exc.msg}")
            return False
        except KeyboardInterrupt:
            if not self.interactive:
                raise
            self.error("ERROR 1317 (70100): Query execution was interrupted")
            return False
        except Exception as exc:  # an engine bug: report it and keep the shell alive
            if os.environ.get("AUTOVEC_DEBUG"):
                traceback.print_exc(file=self.err)
            self.error(f"ERROR 1105 (HY000): internal error: {type(exc).__name__}: {exc}")
            return False
        self.report(sql, result, time.perf_counter() - started, vertical=terminator == VERTICAL)
        self.announce_background_work()  # USE may have resumed a back-fill
        return True

    def announce_background_work(self) -> None:
        """Say which crashed back-fills opening a database resumed, never a silent wait."""
        for table in self.session.resumed_in_background:
            self.error(
                f"Note: resuming the embedding back-fill of {table} in the background; "
                "the table stays usable while its rows fill in."
            )
        self.session.resumed_in_background.clear()

    def run_script(self, statements: list[tuple[str, str]], force: bool = False) -> int:
        """Run statements in order, stopping at the first error unless ``force``; exit status."""
        status = 0
        for sql, terminator in statements:
            if not self.execute(sql, terminator):
                status = 1
                if not force:
                    break
        return status

    def report(self, sql: str, result: Result, seconds: float, vertical: bool = False) -> None:
        """Print one statement's result set or row count, then its message, if any."""
        warnings = len(self.session.warnings)
        if self.format == "table":
            lines = self._table_lines(sql, result, seconds, warnings, vertical)
            if result.message:
                lines.append(result.message)
            if self.interactive:
                lines.append("")
            self.write(self.out, lines)
            return
        if result.columns is not None:
            columns = _columns(result)
            if self.format == "json":
                self.write(self.out, [formatting.json_line(columns, result.rows)])
            else:
                text = formatting.csv_text(columns, result.rows)
                if self._result_sets:
                    text = "\n" + text
                self.out.write(text)
                self.out.flush()
            self._result_sets += 1
        if result.message:  # keep stdout machine-readable
            self.write(self.err, [result.message])

    def _table_lines(
        self, sql: str, result: Result, seconds: float, warnings: int, vertical: bool
    ) -> list[str]:
        if result.columns is None:
            if _USE_RE.match(sql):
                return ["Database changed"]
            return [formatting.ok_status(result.rowcount, seconds, warnings)]
        columns = _columns(result)
        lines: list[str] = []
        if result.rows:
            render = formatting.vertical if vertical else formatting.table
            lines = render(columns, result.rows)
        lines.append(formatting.rows_status(len(result.rows), seconds, warnings))
        return lines

    def error(self, text: str) -> None:
        """Print an error line on stderr (after flushing stdout, so the order reads right)."""
        self.out.flush()
        self.write(self.err, [text])

    @staticmethod
    def write(stream: TextIO, lines: list[str]) -> None:
        stream.write("".join(line + "\n" for line in lines))
        stream.flush()


def _columns(result: Result) -> list[formatting.Column]:
    return [formatting.Column(c.name, getattr(c.type, "name", None)) for c in result.columns or ()]
