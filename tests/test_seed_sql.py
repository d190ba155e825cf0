"""The Auto Embedding seed SQL, verbatim, through the `autovec sql` command (real local model)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

SEED = """
CREATE TABLE sample (
  `id`        INT,
  `content`   TEXT,
  `embedding` VECTOR(384) GENERATED ALWAYS AS (EMBED_TEXT(
                "huggingface/sentence-transformers/all-MiniLM-L6-v2",
                `content`
              )) STORED
);

INSERT INTO sample
    (`id`, `content`)
VALUES
    (1, "Java: Object-oriented language for cross-platform development."),
    (2, "Java coffee: Bold Indonesian beans with low acidity."),
    (3, "Java island: Densely populated, home to Jakarta."),
    (4, "Java's syntax is used in Android apps."),
    (5, "Dark roast Java beans enhance espresso blends.");

SELECT `id`, `content` FROM sample
ORDER BY
  VEC_EMBED_COSINE_DISTANCE(
    embedding,
    "How to start learning Java programming?"
  )
LIMIT 2;
"""


def test_seed_sql_runs_verbatim_in_the_shell(tmp_path: Path) -> None:
    script = shutil.which("autovec") or str(Path(sys.executable).parent / "autovec")
    done = subprocess.run(
        [script, "sql", "--db", str(tmp_path / "data"), "--format", "json", "-e", SEED],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert [row["id"] for row in result] == [1, 4]
