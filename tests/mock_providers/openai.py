"""Mock of OpenAI ``POST /v1/embeddings`` (providers.md §1), also any OpenAI-compatible server.

Validates ``Authorization: Bearer``, ``model``, ``input`` (string or list; no empty
string; at most 2048 items, 8192 tokens each, 300,000 in all), ``dimensions`` (only
text-embedding-3*, at most the native size; ada-002 → the documented 400) and
``encoding_format`` (``float`` | ``base64``). Vectors: :func:`fake_vector` salted with
the model name, then Matryoshka-truncated and renormalised to ``dimensions``.
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np

from tests.mock_providers.server import Failure, MockServer, Recorded, Reply, b64_f32, fake_vector

__all__ = ["OPENAI_MODELS", "OpenAIMock", "count_tokens", "openai_error"]

OPENAI_MODELS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
MRL_MODELS = {"text-embedding-3-small", "text-embedding-3-large"}


def count_tokens(text: str) -> int:
    """The mock's tokenizer: about four characters per token."""
    return max(1, len(text) // 4)


def openai_error(
    status: int, message: str, type_: str = "invalid_request_error", code: str | None = None
) -> Reply:
    """OpenAI's ``{"error": {"message", "type", "param", "code"}}``."""
    return Reply(
        status, {"error": {"message": message, "type": type_, "param": None, "code": code}}
    )


def truncate(vec: np.ndarray, dims: int) -> np.ndarray:
    """Matryoshka: first ``dims`` values, renormalised."""
    out = vec[:dims]
    return (out / np.linalg.norm(out)).astype(np.float32)


class OpenAIMock(MockServer):
    """``{api_base}/embeddings`` with ``api_base = {base_url}/v1``."""

    name = "openai"
    max_inputs = 2048
    max_input_tokens = 8192
    max_total_tokens = 300_000
    path = "/v1/embeddings"

    def __init__(self, *, models: dict[str, int] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.models = dict(OPENAI_MODELS if models is None else models)

    @property
    def api_base(self) -> str:
        return self.base_url + "/v1"

    def expected(self, text: str, model: str = "text-embedding-3-small", dims: int | None = None):
        """The vector this mock returns for ``text``."""
        vec = fake_vector(text, self.models[model], salt=model)
        return truncate(vec, dims) if dims else vec

    # --- errors ------------------------------------------------------------------------

    def error(self, status: int, message: str, req: Recorded | None = None) -> Reply:
        type_ = "server_error" if status >= 500 else "invalid_request_error"
        return openai_error(status, message, type_)

    def unauthorized(self, req: Recorded | None = None) -> Reply:
        return openai_error(
            401,
            "Incorrect API key provided: sk-ab***cd. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )

    def rate_limited(self, message: str | None, req: Recorded | None = None) -> Reply:
        reply = openai_error(
            429,
            message
            or "Rate limit reached for text-embedding-3-small in organization org-X on tokens "
            "per min (TPM): Limit 1000000, Used 976163, Requested 70716. Please try again in "
            "2.812s. Visit https://platform.openai.com/account/rate-limits to learn more.",
            type_="tokens",
            code="rate_limit_exceeded",
        )
        reply.headers.update(
            {
                "x-ratelimit-limit-requests": "60",
                "x-ratelimit-limit-tokens": "150000",
                "x-ratelimit-remaining-requests": "0",
                "x-ratelimit-remaining-tokens": "0",
                "x-ratelimit-reset-requests": "1s",
                "x-ratelimit-reset-tokens": "6m0s",
            }
        )
        return reply

    # --- the endpoint ------------------------------------------------------------------

    def route(self, req: Recorded, failure: Failure | None) -> Reply:
        if req.method != "POST" or req.path != self.path:
            return openai_error(404, f"Invalid URL ({req.method} {req.path})")
        if not self.bearer_ok(req):
            return self.unauthorized()
        body = req.body
        if not isinstance(body, dict):
            return openai_error(400, "We could not parse the JSON body of your request.")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return openai_error(400, "you must provide a model parameter")
        if model not in self.models:
            return openai_error(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                code="model_not_found",
            )
        texts = self._inputs(body.get("input"))
        if isinstance(texts, Reply):
            return texts
        fmt = body.get("encoding_format", "float")
        if fmt not in ("float", "base64"):
            return openai_error(
                400, f"'{fmt}' is not one of ['float', 'base64'] - 'encoding_format'"
            )
        native = self.models[model]
        dims = body.get("dimensions")
        if dims is not None:
            if model not in MRL_MODELS and model in OPENAI_MODELS:
                return openai_error(400, "This model does not support specifying dimensions.")
            if not isinstance(dims, int) or isinstance(dims, bool) or not 1 <= dims <= native:
                return openai_error(400, f"Invalid value for 'dimensions': {dims!r}.")
        size = self.shorten(failure, dims or native)
        data = []
        for index, text in enumerate(texts):
            vec = truncate(fake_vector(text, native, salt=model), size)
            data.append(
                {
                    "object": "embedding",
                    "index": index,
                    "embedding": b64_f32(vec) if fmt == "base64" else vec.tolist(),
                }
            )
        tokens = sum(count_tokens(t) for t in texts)
        return Reply(
            200,
            {
                "object": "list",
                "data": data,
                "model": model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
            headers={
                "x-request-id": f"req_{uuid.uuid4().hex}",
                "openai-processing-ms": "7",
                "openai-model": model,
                "x-ratelimit-limit-requests": "3000",
                "x-ratelimit-remaining-requests": "2999",
            },
        )

    def _inputs(self, value: Any) -> list[str] | Reply:
        invalid = "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            return openai_error(400, invalid)
        if len(value) > self.max_inputs:
            return openai_error(
                400, f"'$.input' is invalid: at most {self.max_inputs} inputs are allowed."
            )
        texts: list[str] = []
        for item in value:
            if isinstance(item, list) and all(isinstance(t, int) for t in item):
                item = " ".join(str(t) for t in item)  # token ids: embed their spelling
            if not isinstance(item, str) or item == "":
                return openai_error(400, invalid)
            tokens = count_tokens(item)
            if tokens > self.max_input_tokens:
                return openai_error(
                    400,
                    f"This model's maximum context length is {self.max_input_tokens} tokens, "
                    f"however you requested {tokens} tokens ({tokens} in your prompt; 0 for the "
                    "completion). Please reduce your prompt; or completion length.",
                )
            texts.append(item)
        total = sum(count_tokens(t) for t in texts)
        if total > self.max_total_tokens:
            return openai_error(
                400,
                f"Requested {total} tokens, max {self.max_total_tokens} tokens per request",
                code="max_tokens_per_request",
            )
        return texts
