"""Alibaba Cloud Model Studio (DashScope) embeddings: native API and OpenAI-compatible mode.

The API base decides the mode: a base containing ``/compatible-mode`` uses
``POST {host}/compatible-mode/v1/embeddings`` (OpenAI shape, floats only, no
``text_type``); anything else uses the native
``POST {host}/api/v1/services/embeddings/text-embedding/text-embedding``, which knows

* ``dimension`` (singular; ``dimensions`` is accepted and renamed),
* ``text_type``: ``document`` for stored rows, ``query`` for queries (defaulted by side),
* ``instruct`` (text-embedding-v4, query side, English),
* ``output_type``: ``dense`` | ``sparse`` | ``dense&sparse`` (v3/v4).

Multimodal models (``tongyi-embedding-vision-*``, ``multimodal-embedding-v1``) use
``.../multimodal-embedding/multimodal-embedding`` with ``input.contents``; images go as
``{"image": <URL or data URI>}``, at most 8 per request (1 for v1: the catalog's batch
size). multimodal-embedding-v1 is served in Beijing only, so its default host is Beijing's.
text-embedding-v3/v4 take at most 10 texts per request; batching keeps within that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from autovec.embeddings.errors import EmbeddingResponseError, InvalidOptionsError
from autovec.embeddings.http import RemoteProvider, plan_batches
from autovec.embeddings.inputs import EmbedInput, ImageInput
from autovec.embeddings.options import Kind

__all__ = ["BEIJING_API_BASE", "BEIJING_ONLY_MODELS", "DashScopeProvider", "SparseVector"]

TEXT_PATH = "/api/v1/services/embeddings/text-embedding/text-embedding"
MULTIMODAL_PATH = "/api/v1/services/embeddings/multimodal-embedding/multimodal-embedding"
COMPAT_PATH = "/compatible-mode/v1/embeddings"

#: A sparse vector: vocabulary id → weight.
SparseVector = dict[int, float]

#: Models that Model Studio serves in the Beijing region only (seed 004, providers.md §2c).
BEIJING_ONLY_MODELS = frozenset({"multimodal-embedding-v1"})
BEIJING_API_BASE = "https://dashscope.aliyuncs.com"

_OUTPUT_TYPES = ("dense", "sparse", "dense&sparse")


class DashScopeProvider(RemoteProvider):
    """``dashscope/<model>``."""

    name = "dashscope"
    display_name = "DashScope"
    default_api_base = "https://dashscope-intl.aliyuncs.com"
    dimensions_option = "dimension"
    default_batch_size = 10
    max_image_bytes = 3 * 1024 * 1024  # providers.md §2c: ≤ 3 MB per image (alibabacloud.com)
    # The compatible mode's request is the template's; the native one has its own body.
    request_defaults = MappingProxyType({"encoding_format": "float"})
    kind_option = "text_type"
    kind_values = MappingProxyType({"document": "document", "query": "query"})

    # --- where to send ---------------------------------------------------------------

    def api_base(self) -> str:
        if self.uses_default_base() and self.model in BEIJING_ONLY_MODELS:
            return BEIJING_API_BASE
        return super().api_base()

    def _root(self) -> tuple[str, bool]:
        base = self.api_base()
        compat = "/compatible-mode" in base
        for suffix in ("/embeddings", "/compatible-mode/v1", "/api/v1"):
            if base.endswith(suffix):
                base = base[: -len(suffix)]
        return base, compat

    @property
    def compatible_mode(self) -> bool:
        """True when the configured base selects the OpenAI-compatible API."""
        return self._root()[1] and not self.multimodal

    def endpoint(self) -> str:
        root, _ = self._root()
        if self.multimodal:
            return root + MULTIMODAL_PATH
        return root + (COMPAT_PATH if self.compatible_mode else TEXT_PATH)

    # --- options ---------------------------------------------------------------------

    def requested_dimensions(self, options: Mapping[str, Any]) -> int | None:
        if options.get("dimension") is None and options.get("dimensions") is not None:
            options = {**options, "dimension": options["dimensions"]}
        return super().requested_dimensions(options)

    def resolve_options(self, kind: Kind, options: Mapping[str, Any]) -> dict[str, Any]:
        opts = dict(options)
        if "dimensions" in opts:
            value = opts.pop("dimensions")
            opts.setdefault("dimension", value)
        resolved = super().resolve_options(kind, opts)
        output_type = resolved.get("output_type", "dense")
        if output_type not in _OUTPUT_TYPES:
            raise InvalidOptionsError(
                f"DashScope output_type must be one of {', '.join(_OUTPUT_TYPES)}, "
                f"got: {output_type!r}"
            )
        if output_type == "sparse":
            raise InvalidOptionsError(
                "DashScope output_type 'sparse' returns no dense vector for a VECTOR column; "
                "use 'dense' or 'dense&sparse' (sparse weights: DashScopeProvider.embed_sparse)"
            )
        if self.compatible_mode:
            if "dimension" in resolved:
                resolved["dimensions"] = resolved.pop("dimension")
            for native_only in ("text_type", "instruct", "output_type"):
                resolved.pop(native_only, None)
        return resolved

    def takes_kind_option(self) -> bool:
        return not self.compatible_mode and not self.multimodal

    # --- requests --------------------------------------------------------------------

    def request_body(self, batch: list[EmbedInput], options: Mapping[str, Any]) -> dict[str, Any]:
        if self.compatible_mode:
            return super().request_body(batch, options)
        inputs: dict[str, Any]
        if self.multimodal:
            contents = [
                {"image": item.uri} if isinstance(item, ImageInput) else {"text": item}
                for item in batch
            ]
            inputs = {"contents": contents}
        else:
            inputs = {"texts": [str(item) for item in batch]}
        return {"model": self.model, "input": inputs, "parameters": dict(options)}

    def parse_response(self, payload: Any, count: int) -> Sequence[Any]:
        if self.compatible_mode:
            return super().parse_response(payload, count)
        items = self._ordered(payload, count, "index" if self.multimodal else "text_index")
        return [self._field(item, "embedding") for item in items]

    def _ordered(self, payload: Any, count: int, index_key: str) -> list[dict[str, Any]]:
        output = payload.get("output") if isinstance(payload, dict) else None
        items = output.get("embeddings") if isinstance(output, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise EmbeddingResponseError(
                f"{self.display_name}: response has no output.embeddings list", provider=self.name
            )
        if len(items) != count:
            raise EmbeddingResponseError(
                f"{self.display_name}: response has {len(items)} embeddings for {count} inputs",
                provider=self.name,
            )
        ordered: list[dict[str, Any] | None] = [None] * count
        for position, item in enumerate(items):
            index = item.get(index_key, position)
            if not isinstance(index, int) or not 0 <= index < count or ordered[index] is not None:
                raise EmbeddingResponseError(
                    f"{self.display_name}: response has a bad {index_key} {index!r}",
                    provider=self.name,
                )
            ordered[index] = item
        return [item for item in ordered if item is not None]

    def _field(self, item: Mapping[str, Any], key: str) -> Any:
        if key not in item:
            raise EmbeddingResponseError(
                f"{self.display_name}: response item has no '{key}'", provider=self.name
            )
        return item[key]

    def error_message(self, status: int, payload: Any) -> str | None:
        if isinstance(payload, dict) and isinstance(payload.get("message"), str):
            code = payload.get("code")
            message = payload["message"].strip()
            return f"{message} ({code})" if code else message
        return super().error_message(status, payload)

    # --- sparse output ---------------------------------------------------------------

    def embed_sparse(
        self, inputs: Sequence[str], *, kind: Kind, options: Mapping[str, Any]
    ) -> list[SparseVector]:
        """Sparse (lexical) weights per text, via the native API's ``output_type: sparse``."""
        if self.multimodal or self.compatible_mode:
            raise InvalidOptionsError(
                "sparse output needs a DashScope text model and the native API"
            )
        resolved = self.resolve_options(
            kind, {k: v for k, v in options.items() if k != "output_type"}
        )
        resolved["output_type"] = "sparse"
        key = self.api_key()
        texts = list(inputs)

        def run(batch: range) -> list[SparseVector]:
            sent: list[EmbedInput] = [texts[i] for i in batch]
            items = self._ordered(self.post_batch(sent, resolved, key), len(sent), "text_index")
            out: list[SparseVector] = []
            for item in items:
                weights = self._field(item, "sparse_embedding")
                out.append({int(w["index"]): float(w["value"]) for w in weights})
            return out

        parts = self.map_concurrently(run, plan_batches(texts, self.limits))
        return [vec for part in parts for vec in part]
