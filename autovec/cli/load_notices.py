"""The shell's one line per embedding model loaded, taken from the library's log records.

The embedding layer logs each model load at INFO on ``autovec.embeddings.loads`` and, as a
library, configures no logging. The interactive shell is an application: it shows those
lines on stderr (``-- embedding model … loaded: …``), and the embedding layer's warnings,
and nothing else below WARNING from that layer.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

EMBEDDINGS_LOGGER = "autovec.embeddings"
#: ``autovec.embeddings.local.runtime.LOADS_LOGGER``, by name: importing the embedding
#: layer would slow the shell's start for sessions that never embed.
LOADS_LOGGER = "autovec.embeddings.loads"


class _NoticeFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        return f"warning: {text}" if record.levelno >= logging.WARNING else f"-- {text}"


def _load_or_warning(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING or record.name == LOADS_LOGGER


def show_model_loads(stream: TextIO | None = None) -> logging.Handler:
    """Print model loads and embedding warnings to ``stream`` (stderr); the handler added."""
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(_NoticeFormatter())
    handler.addFilter(_load_or_warning)
    embeddings = logging.getLogger(EMBEDDINGS_LOGGER)
    embeddings.addHandler(handler)
    # Shown here, once: not again by a root handler some library may have configured.
    embeddings.propagate = False
    logging.getLogger(LOADS_LOGGER).setLevel(logging.INFO)
    return handler
