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
``.../multimodal-embedding/multimodal-embedding`` with ``input.contents``.
text-embedding-v3/v4 take at most 10 texts per request; batching keeps within that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from autovec.embeddings.errors import EmbeddingResponseError, InvalidOptionsError
from autovec.embeddings.http import RemoteProvider, plan_batches
from autovec.embeddings.inputs import EmbedInput, ImageInput
from autovec.embeddings.keys import Secret
from autovec.embeddings.options import Kind
from autovec.embeddings.providers.openai import parse_openai_embeddings

__all__ = ["DashScopeProvider", "SparseVector"]

TEXT_PATH = "/api/v1/services/embeddings/text-embedding/text-embedding"
MULTIMODAL_PATH = "/api/v1/services/embeddings/multimodal-embedding/multimodal-embedding"
COMPAT_PATH = "/compatible-mode/v1/embeddings"

#: A sparse vector: vocabulary id → weight.
SparseVector = dict[int, float]

_OUTPUT_TYPES = ("dense", "sparse", "dense&sparse")


class DashScopeProvider(RemoteProvider):
    """``dashscope/<model>``."""

    name = "dashscope"
    display_name = "DashScope"
    default_api_base = "https://dashscope-intl.aliyuncs.com"
    dimensions_option = "dimension"
    default_batch_size = 10

    # --- where to send ---------------------------------------------------------------

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
        elif not self.multimodal:
            resolved.setdefault("text_type", kind)
        return resolved

    # --- requests --------------------------------------------------------------------

    def request_batch(
        self,
        batch: list[EmbedInput],
        *,
        kind: Kind,
        options: Mapping[str, Any],
        api_key: Secret | None,
    ) -> Sequence[Any]:
        root, compat = self._root()
        headers = self.auth_headers(api_key)
        if self.multimodal:
            return self._multimodal(root, batch, options, headers, api_key)
        texts = [str(item) for item in batch]
        if compat:
            body: dict[str, Any] = {"encoding_format": "float", **options}
            body["model"] = self.model
            body["input"] = texts
            payload = self.post_json(root + COMPAT_PATH, body, headers=headers, secrets=[api_key])
            return parse_openai_embeddings(payload, len(batch), self.display_name)
        items = self._native_text(root, texts, options, headers, api_key)
        return [self._field(item, "embedding") for item in items]

    def _native_text(
        self,
        root: str,
        texts: list[str],
        options: Mapping[str, Any],
        headers: Mapping[str, str],
        api_key: Secret | None,
    ) -> list[dict[str, Any]]:
        body = {"model": self.model, "input": {"texts": texts}, "parameters": dict(options)}
        payload = self.post_json(root + TEXT_PATH, body, headers=headers, secrets=[api_key])
        return self._ordered(payload, len(texts), "text_index")

    def _multimodal(
        self,
        root: str,
        batch: list[EmbedInput],
        options: Mapping[str, Any],
        headers: Mapping[str, str],
        api_key: Secret | None,
    ) -> list[Any]:
        contents = [
            {"image": item.uri} if isinstance(item, ImageInput) else {"text": item}
            for item in batch
        ]
        body = {"model": self.model, "input": {"contents": contents}, "parameters": dict(options)}
        payload = self.post_json(root + MULTIMODAL_PATH, body, headers=headers, secrets=[api_key])
        items = self._ordered(payload, len(batch), "index")
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
        root, _ = self._root()
        texts = list(inputs)
        headers = self.auth_headers(key)

        def run(batch: range) -> list[SparseVector]:
            items = self._native_text(root, [texts[i] for i in batch], resolved, headers, key)
            out: list[SparseVector] = []
            for item in items:
                weights = self._field(item, "sparse_embedding")
                out.append({int(w["index"]): float(w["value"]) for w in weights})
            return out

        parts = self.map_concurrently(run, plan_batches(texts, self.limits))
        return [vec for part in parts for vec in part]
