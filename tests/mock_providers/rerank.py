"""Deterministic relevance for the rerank mocks (Jina, Cohere, DashScope, TEI).

A document's score is the Jaccard overlap of its lower-cased word set with the
query's, rounded to 6 places: tests can compute the exact order and scores a request
must produce. Ties rank by input position, as a stable sort of the provider's would.
"""

from __future__ import annotations

import re

__all__ = ["ranked", "relevance", "words"]

_WORD = re.compile(r"\w+")


def words(text: str) -> set[str]:
    """The lower-cased word set of ``text``."""
    return set(_WORD.findall(text.lower()))


def relevance(query: str, document: str) -> float:
    """``|Q ∩ D| / |Q ∪ D|`` over word sets, in [0, 1]."""
    q, d = words(query), words(document)
    if not q or not d:
        return 0.0
    return round(len(q & d) / len(q | d), 6)


def ranked(query: str, documents: list[str]) -> list[tuple[int, float]]:
    """``(index, score)`` for every document, best first (ties by index)."""
    scores = [(i, relevance(query, doc)) for i, doc in enumerate(documents)]
    return sorted(scores, key=lambda pair: (-pair[1], pair[0]))
