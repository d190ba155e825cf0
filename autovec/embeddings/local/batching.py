"""Batches of texts of similar token length: every local embedding call goes through here.

A batch is padded to its longest text, so the work of a forward pass is its size times
its longest text. sentence-transformers sorts by character count, which for real text
leaves half again as many padding tokens as real ones in batches of 32; sorting by the
model's own token count leaves almost none, and each text's row does not depend on the
batch it is in, so the output is the same, only sooner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext

import numpy as np

from autovec.embeddings.inputs import ImageInput
from autovec.embeddings.local.encoders import ImageTextEncoder, TextEncoder

__all__ = ["encode_images", "encode_sorted", "l2_normalize", "token_sorted_order"]

#: torch.nn.functional.normalize's floor under a row's norm (an all-zero row stays zero).
_NORM_EPSILON = 1e-12


def token_sorted_order(encoder: TextEncoder, texts: Sequence[str]) -> np.ndarray:
    """Indices of ``texts`` from most to fewest tokens (stable among equal counts)."""
    counts = encoder.token_counts(texts)
    return np.argsort(-counts, kind="stable")


def encode_sorted(
    encoder: TextEncoder,
    texts: Sequence[str],
    *,
    batch_size: int,
    normalize: bool,
    turn: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> np.ndarray:
    """``texts`` embedded in batches of ``batch_size`` texts of similar token length.

    Rows come back in input order, float32, L2-normalised if ``normalize``. Each use of
    the encoder (counting tokens, each pass) is made inside a ``turn()``: callers that
    share the model wait for one batch of another's call, not for all of it.
    """
    if not texts:
        return np.zeros((0, encoder.dimensions), dtype=np.float32)
    if len(texts) == 1:  # one query: nothing to sort, no tokenizing twice
        with turn():
            out = np.asarray(encoder.encode_batch(texts), dtype=np.float32)
        return l2_normalize(out) if normalize else out
    with turn():
        order = token_sorted_order(encoder, texts)
    out = np.empty((len(texts), encoder.dimensions), dtype=np.float32)
    for start in range(0, len(texts), batch_size):
        rows = order[start : start + batch_size]
        batch = [texts[i] for i in rows]
        with turn():
            out[rows] = encoder.encode_batch(batch)
    return l2_normalize(out) if normalize else out


def encode_images(
    encoder: ImageTextEncoder,
    images: Sequence[ImageInput],
    *,
    batch_size: int,
    normalize: bool,
    turn: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> np.ndarray:
    """``images`` embedded in batches of ``batch_size``, rows in input order.

    Every image is resized to the model's one input shape, so batches need no sorting.
    Each batch is decoded and preprocessed before its ``turn()``: only the forward pass
    holds the model.
    """
    out = np.empty((len(images), encoder.dimensions), dtype=np.float32)
    for start in range(0, len(images), batch_size):
        pixels = encoder.pixel_values(images[start : start + batch_size])
        with turn():
            out[start : start + len(pixels)] = encoder.encode_pixels(pixels)
    return l2_normalize(out) if normalize else out


def l2_normalize(matrix: np.ndarray) -> np.ndarray:
    """Rows divided by their L2 norm (floored at 1e-12), as torch's ``normalize`` does."""
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix, dtype=np.float32))
    return matrix / np.maximum(norms, np.float32(_NORM_EPSILON))[:, None]
