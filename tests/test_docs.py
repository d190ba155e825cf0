"""Every code block of README.md and docs/*.md, run as written.

Conventions (a block's kind is its fence's info string):

* ```python — the python blocks of one page run in order, in one namespace, in a fresh
  temporary working directory (so ``TiDBClient.connect()`` opens ``./data`` there). A
  ```text block right after a python block (blank lines between at most) is that block's
  expected stdout, compared line by line (trailing spaces ignored).
* ```sql — a transcript when it holds ``autovec [db]>`` prompts: each statement is typed
  into the real shell (``autovec.cli.shell.Shell``) on ``./data``, the prompts must be the
  shell's, and the lines after a statement must be what it printed (timings masked;
  ``Query OK`` / ``rows in set`` lines are compared only when the transcript shows some).
  Otherwise a script, run statement by statement on ``./data``; any error fails.
* ```sh — run by ``bash -e`` in the page's directory with the venv's ``autovec`` first on
  PATH; it must exit 0. If lines start with ``$ ``, those are the commands and the other
  lines their expected output.
* An HTML comment right before a fence changes how it runs:
  ``<!-- docs-test: skip (why) -->`` — not run (a reason is required; reported as a skip);
  ``<!-- docs-test: mock jina_ai -->`` — run with the in-process mock of that provider
  (``tests/mock_providers``) standing in: its key and API base are in the environment
  (``TIDB_EXP_EMBED_<P>_API_KEY``/``_API_BASE``, and the vendor's own key variable) while
  the block runs;
  ``<!-- docs-test: serve -->`` — a one-line ``autovec serve … --port N`` block started in
  the background (on a free port, which then replaces the word ``N`` in the page's later
  blocks) and stopped when the page ends.

Any other fence language, or a malformed marker, fails. Each block is one test, named
``page:line-kind``; a block runs the page's earlier blocks first if they have not run, and
fails when one of them did.
"""

from __future__ import annotations

import contextlib
import io
import linecache
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import SQLModel

import autovec
from autovec.cli.runner import Runner
from autovec.cli.scanner import split_script
from autovec.cli.shell import Shell
from tests.mock_providers import CohereMock, JinaMock, MockServer

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BIN = Path(sys.executable).parent

FENCE = re.compile(r"^```(\S*)\s*$")
MARKER = re.compile(r"^<!--\s*docs-test:\s*(?P<body>.*?)\s*-->\s*$")
SKIP = re.compile(r"^skip\s+\((?P<reason>[^)]+)\)$")
MOCK = re.compile(r"^mock\s+(?P<provider>[a-z_]+)$")
PROMPT = re.compile(r"^autovec \[(?P<db>[^\]]+)\]> (?P<sql>.*)$")
CONTINUATION = re.compile(r"^\s*-> ?(?P<sql>.*)$")
TIMING = re.compile(r"\(\d+\.\d+ sec\)")
STATUS = re.compile(r"^(Query OK, |\d+ rows? in set|Empty set|Database changed)")
SERVE_PORT = re.compile(r"--port\s+(\d+)")

#: Providers a ``mock`` marker may name: the mock, and the vendor's own key variable.
MOCKS: dict[str, tuple[type[MockServer], str, str]] = {
    "jina_ai": (JinaMock, "jina_test_0123456789abcdef", "JINA_API_KEY"),
    "cohere": (CohereMock, "co-test-0123456789abcdef", "COHERE_API_KEY"),
}
KINDS = ("python", "sql", "sh", "text")


@dataclass
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    kind: str
    text: str
    marker: str | None = None
    expected_output: str | None = None  # a following ```text block

    @property
    def name(self) -> str:
        return f"{_relative(self.page)}:{self.line}-{self.kind}"


def _relative(page: Path) -> str:
    return str(page.relative_to(ROOT)) if page.is_relative_to(ROOT) else page.name


def parse_page(page: Path) -> list[Block]:
    """The page's fenced blocks; ```text blocks attached to the python block before them."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    marker: str | None = None
    previous_end = -10  # index of the closing fence of the last block
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        m = MARKER.match(stripped)
        if m:
            marker = m.group("body")
            i += 1
            continue
        fence = FENCE.match(lines[i])
        if fence is None:
            if stripped:
                marker = None  # a marker applies only to the fence right after it
            i += 1
            continue
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise AssertionError(f"{page}:{start + 1}: unclosed code fence")
        block = Block(page, start + 1, fence.group(1), "\n".join(body) + "\n", marker)
        gap = lines[previous_end + 1 : start] if previous_end >= 0 else ["x"]
        follows = bool(blocks) and all(not g.strip() for g in gap)
        if block.kind == "text" and follows and blocks[-1].kind == "python" and marker is None:
            blocks[-1].expected_output = block.text
        else:
            blocks.append(block)
        previous_end = i
        marker = None
        i += 1
    return blocks


def check_block(block: Block) -> None:
    """Fail on a block the runner cannot run and that is not marked skip."""
    if block.marker is not None and not (
        SKIP.match(block.marker) or MOCK.match(block.marker) or block.marker == "serve"
    ):
        raise AssertionError(f"{block.name}: malformed marker <!-- docs-test: {block.marker} -->")
    mock = MOCK.match(block.marker or "")
    if mock and mock.group("provider") not in MOCKS:
        raise AssertionError(f"{block.name}: no mock for {mock.group('provider')!r}")
    if SKIP.match(block.marker or ""):
        return
    if block.kind not in KINDS or block.kind == "text":
        raise AssertionError(
            f"{block.name}: a ```{block.kind or '(no language)'} block cannot be run; use "
            "python, sql or sh, put ```text right after a python block as its output, "
            "or mark it <!-- docs-test: skip (why) -->"
        )
    if block.marker == "serve" and (
        block.kind != "sh"
        or len(block.text.strip().splitlines()) != 1
        or "autovec serve" not in block.text
    ):
        raise AssertionError(f"{block.name}: a serve block is one `autovec serve` line")


ALL_BLOCKS = [block for page in PAGES for block in parse_page(page)]


def normalise(text: str) -> list[str]:
    lines = [TIMING.sub("(… sec)", line.rstrip()) for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


# --- one page's state ------------------------------------------------------------------


@dataclass
class PageRun:
    page: Path
    blocks: list[Block]
    directory: Path
    namespace: dict[str, Any] = field(default_factory=dict)
    done: int = 0  # blocks run so far
    failed: str | None = None  # the first failed block's name
    connection: autovec.Connection | None = None
    server: subprocess.Popen[str] | None = None
    substitutions: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        slug = re.sub(r"\W", "_", self.page.stem.lower())
        self.namespace = {"__name__": f"docs_{slug}", "__builtins__": __builtins__}

    def close(self) -> None:
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        # Clients the page opened: close their pools before the directory goes.
        for value in list(self.namespace.values()):
            if isinstance(value, autovec.TiDBClient):
                value.disconnect()
            elif isinstance(value, autovec.Connection) and not value.closed:
                value.close()
        if self.connection is not None:
            self.connection.close()
        self.namespace.clear()
        shutil.rmtree(self.directory, ignore_errors=True)

    def sql_session(self) -> autovec.Connection:
        if self.connection is None:
            self.connection = autovec.connect(self.directory / "data", autocommit=True)
        return self.connection

    def source(self, block: Block) -> str:
        text = block.text
        for old, new in self.substitutions.items():
            text = re.sub(rf"\b{re.escape(old)}\b", new, text)
        return text


class Pages:
    def __init__(self) -> None:
        self.runs: dict[Path, PageRun] = {}

    def get(self, page: Path) -> PageRun:
        if page not in self.runs:
            blocks = [b for b in ALL_BLOCKS if b.page == page]
            directory = Path(tempfile.mkdtemp(prefix=f"docs-{page.stem}-"))
            self.runs[page] = PageRun(page, blocks, directory)
        return self.runs[page]

    def close(self) -> None:
        for run in self.runs.values():
            run.close()
        self.runs.clear()


@pytest.fixture(scope="module")
def pages() -> Iterator[Pages]:
    before = set(SQLModel.metadata.tables)
    state = Pages()
    yield state
    state.close()
    # Tables the pages declared: forgotten, so other modules may reuse their names.
    for name in set(SQLModel.metadata.tables) - before:
        SQLModel.metadata.remove(SQLModel.metadata.tables[name])


# --- running blocks --------------------------------------------------------------------


@contextlib.contextmanager
def in_directory(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


@contextlib.contextmanager
def mocked(marker: str | None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    m = MOCK.match(marker or "")
    if m is None:
        yield
        return
    cls, key, vendor_variable = MOCKS[m.group("provider")]
    mock = cls(api_key=key)  # type: ignore[call-arg]
    mock.start()
    try:
        with monkeypatch.context() as patch:
            for name, value in mock.variables().items():
                patch.setenv(name, value)
            patch.setenv(vendor_variable, key)
            yield
    finally:
        mock.stop()


def run_python(run: PageRun, block: Block) -> None:
    filename = f"<{_relative(block.page)}>"
    source = run.source(block)
    # Line numbers in tracebacks are the page's own.
    padded = "\n" * block.line + source
    page_lines = block.page.read_text(encoding="utf-8").splitlines(keepends=True)
    linecache.cache[filename] = (len(padded), None, page_lines, filename)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(padded, filename, "exec", dont_inherit=True), run.namespace)
    if block.expected_output is not None:
        assert normalise(out.getvalue()) == normalise(block.expected_output), (
            f"{block.name} printed:\n{out.getvalue()}"
        )
    else:
        sys.stdout.write(out.getvalue())


@dataclass
class Step:
    sql: str
    expected: list[str] = field(default_factory=list)
    printed: str = ""


def run_sql_transcript(run: PageRun, block: Block) -> None:
    conn = run.sql_session()
    buffer = io.StringIO()
    runner = Runner(conn.session, "table", out=buffer, err=buffer, interactive=False)
    shell = Shell(runner, None, out=buffer)
    steps: list[Step] = []

    def feed(text: str) -> None:
        buffer.seek(0)
        buffer.truncate()
        shell.feed(text)
        steps[-1].printed += buffer.getvalue()

    for line in run.source(block).splitlines():
        prompt, continued = PROMPT.match(line), CONTINUATION.match(line)
        if line.startswith("$ "):
            assert re.match(r"^\$ autovec sql( --db \./data)?\s*$", line), (
                f"{block.name}: a transcript starts the shell on ./data, not {line!r}"
            )
        elif prompt:
            assert shell.prompt() == f"autovec [{prompt.group('db')}]> ", (
                f"{block.name}: typed at {line!r}, but the shell shows {shell.prompt()!r}"
            )
            steps.append(Step(prompt.group("sql")))
            feed(prompt.group("sql"))
        elif continued and steps and shell.buffer:
            steps[-1].sql += "\n" + continued.group("sql")
            feed(continued.group("sql"))
        else:
            assert steps, f"{block.name}: output before the first prompt: {line!r}"
            steps[-1].expected.append(line)
    assert not shell.buffer, f"{block.name}: the last statement is not terminated"
    for step in steps:
        actual, want = normalise(step.printed), normalise("\n".join(step.expected))
        if not any(STATUS.match(line) for line in want):
            actual = [line for line in actual if not STATUS.match(line)]
        assert actual == want, f"{block.name}: {step.sql!r} printed:\n" + "\n".join(actual)


def run_sql_script(run: PageRun, block: Block) -> None:
    cur = run.sql_session().cursor()
    for sql, _terminator in split_script(run.source(block)):
        try:
            cur.execute(sql)
            if cur.description:
                cur.fetchall()
        except autovec.Error as exc:
            raise AssertionError(f"{block.name}: {sql!r} failed: {exc}") from exc


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = os.getcwd()
    env["TERM"] = "dumb"
    return env


def run_sh(run: PageRun, block: Block) -> None:
    source = run.source(block)
    if block.marker == "serve":
        start_server(run, block, source)
        return
    lines = source.splitlines()
    if any(line.startswith("$ ") for line in lines):
        commands: list[tuple[str, list[str]]] = []
        for line in lines:
            if line.startswith("$ "):
                commands.append((line[2:], []))
            else:
                assert commands, f"{block.name}: output before the first `$ ` command"
                commands[-1][1].append(line)
        for command, expected in commands:
            proc = _bash(block, command)
            assert normalise(proc.stdout + proc.stderr) == normalise("\n".join(expected)), (
                f"{block.name}: `{command}` printed:\n{proc.stdout}{proc.stderr}"
            )
    else:
        _bash(block, source)


def _bash(block: Block, script: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        env=_environment(),
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert proc.returncode == 0, (
        f"{block.name}: exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    )
    return proc


def start_server(run: PageRun, block: Block, source: str) -> None:
    documented = SERVE_PORT.search(source)
    assert documented, f"{block.name}: a serve block names its --port"
    command = SERVE_PORT.sub("--port 0", source.strip())
    assert command.startswith("autovec serve")
    args = [str(BIN / "autovec"), *command.split()[1:]]
    env = {**_environment(), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    run.server = process
    assert process.stdout is not None
    deadline = time.monotonic() + 120
    line = ""
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if "listening on" in line or not line:
            break
    match = re.search(r"listening on ([\d.]+):(\d+)", line)
    assert match, f"{block.name}: the server did not start: {line!r}"
    run.substitutions[documented.group(1)] = match.group(2)


RUNNERS = {"python": run_python, "sh": run_sh}


def run_block(run: PageRun, block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    with in_directory(run.directory), mocked(block.marker, monkeypatch):
        if block.kind == "sql":
            if PROMPT.search(block.text) or re.search(r"(?m)^autovec \[", block.text):
                run_sql_transcript(run, block)
            else:
                run_sql_script(run, block)
        else:
            RUNNERS[block.kind](run, block)


def advance(run: PageRun, until: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the page's blocks before index ``until`` that have not run yet."""
    while run.done < until:
        earlier = run.blocks[run.done]
        run.done += 1
        if SKIP.match(earlier.marker or ""):
            continue
        try:
            run_block(run, earlier, monkeypatch)
        except BaseException:
            run.failed = run.failed or earlier.name
            raise


@pytest.fixture(autouse=True)
def _offline(no_internet: None) -> None:
    """Documentation never reaches the internet (mocks listen on loopback)."""


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=[b.name for b in ALL_BLOCKS])
def test_block(block: Block, pages: Pages, monkeypatch: pytest.MonkeyPatch) -> None:
    check_block(block)
    run = pages.get(block.page)
    index = run.blocks.index(block)
    skip = SKIP.match(block.marker or "")
    if skip:
        pytest.skip(f"docs-test: skip ({skip.group('reason')})")
    if run.failed is None and run.done < index:
        try:
            advance(run, index, monkeypatch)
        except BaseException as exc:
            pytest.fail(f"an earlier block of the page failed ({run.failed}): {exc}")
    if run.failed is not None:
        pytest.fail(f"an earlier block of the page failed: {run.failed}")
    assert run.done == index, f"{block.name} already ran"
    run.done += 1
    try:
        run_block(run, block, monkeypatch)
    except BaseException:
        run.failed = block.name
        raise


def test_markers_and_counts(capsys: pytest.CaptureFixture[str]) -> None:
    """Every page has runnable blocks; every marker is valid; the skips are listed."""
    pages_seen = {b.page for b in ALL_BLOCKS}
    assert (ROOT / "README.md") in pages_seen
    assert len([p for p in PAGES if p.parent.name == "docs"]) >= 8, "a page per feature"
    for block in ALL_BLOCKS:
        check_block(block)
    skipped = [b for b in ALL_BLOCKS if SKIP.match(b.marker or "")]
    mocked_blocks = [b for b in ALL_BLOCKS if MOCK.match(b.marker or "")]
    runnable = len(ALL_BLOCKS) - len(skipped)
    # Skips must stay the exception: the docs are meant to run.
    assert len(skipped) * 4 <= len(ALL_BLOCKS), [b.name for b in skipped]
    with capsys.disabled():
        print(
            f"\ndocs: {len(ALL_BLOCKS)} blocks, {runnable} run ({len(mocked_blocks)} on mocks), "
            f"{len(skipped)} skipped:"
        )
        for b in skipped:
            print(f"  {b.name}: {b.marker}")


def test_parser_attaches_output_and_markers(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# t\n\n```python\nprint(1)\n```\n\n```text\n1\n```\n\n"
        "<!-- docs-test: skip (needs a terminal) -->\n```sh\nautovec sql\n```\n\n"
        "prose\n\n```text\nnot an output\n```\n",
        encoding="utf-8",
    )
    blocks = parse_page(page)
    assert [(b.line, b.kind) for b in blocks] == [(3, "python"), (12, "sh"), (18, "text")]
    assert blocks[0].expected_output == "1\n"
    assert blocks[1].marker == "skip (needs a terminal)"
    with pytest.raises(AssertionError, match="cannot be run"):
        check_block(blocks[2])
